import "imports-lib-bad.g"

graph main(x: f32[4]) -> (y: f32[4]) {
    y = bad(x)
}

import "imports-lib2.g"

graph act_tanh(x: f32[N]) -> (y: f32[N]) {
    y = tanh(x)
}

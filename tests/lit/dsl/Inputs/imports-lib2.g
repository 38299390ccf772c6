import "imports-lib.g"  # a cycle: already read, so nothing happens

graph act_sigmoid(x: f32[N]) -> (y: f32[N]) {
    y = sigmoid(x)
}

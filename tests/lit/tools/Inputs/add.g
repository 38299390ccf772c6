dim N = 3

graph adder(a: f32[N], b: f32[N]) -> (sum: f32[N], diff: f32[N]) {
    sum = a + b
    diff = a - b
}

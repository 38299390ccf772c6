graph add_scaled(a: f32[N], b: f32[N], s: f32[N]) -> (c: f32[N]) {
    c = a + b * s
}

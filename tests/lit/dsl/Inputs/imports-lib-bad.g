# A library with a typo.
graph bad(x: f32[N]) -> (y: f32[N]) {
    y = sigmod(x)
}

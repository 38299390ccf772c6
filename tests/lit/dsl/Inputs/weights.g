# Parameters whose files are missing or do not match.

graph f(x: f32[4, 3]) -> (y: f32[4, 3]) {
    param a: f32[4, 3] = load("missing.npy")
    param b: f32[4, 3] = load("w34.npy")
    param c: f32[4, 3] = load("w64.npy")
    param d: f32[4, 3] = load(42)
    y = x
}

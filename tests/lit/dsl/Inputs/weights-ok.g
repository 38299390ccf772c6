graph f() -> (y: f32[3, 4]) {
    param w: f32[3, 4] = load("w34.npy")
    param h: bf16[3, 4] = load("w34.npy")
    y = w + cast(h, to=f32)
}

# 16 x 512 KiB of input and as much of result: 1 MiB on each of
# acc1-mini's 16 tiles, which have 64 KiB each.
graph too_big(x: f32[16, 131072]) -> (y: f32[16, 131072]) {
    h = exp(x)
    y = h * x
}

# 4 MB in and 4 MB out: more than acc1-mini's 16 tiles of 64 KiB hold
# (acc1, with 1472 tiles of 624 KiB, takes it).
graph big(x: f32[1000000]) -> (y: f32[1000000]) {
    y = relu(x) * 2.0
}

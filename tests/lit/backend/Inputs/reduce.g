# Reductions for the kernel tests: one within tiles, one across tiles.
graph reduce(x: f32[8, 32], big: f32[64, 1024]) -> (rows: f32[8], total: f32[1, 1]) {
    rows = reduce_sum(x * x, axes=[1], keepdims=false)
    total = reduce_max(big, axes=[0, 1], keepdims=true)
}

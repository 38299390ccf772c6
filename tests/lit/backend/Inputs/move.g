# Elementwise kernels and data movement: a fused kernel with a broadcast
# operand (multicast to the tiles that need it), a transpose (exchange
# between tiles, packing and unpacking copies) and a slice of a resident
# value (local copies).
graph moves(x: f32[64, 64], b: f32[64]) -> (y: f32[64, 64], t: f32[64, 64], s: f32[64, 32]) {
    y = relu(x * 2.0 + exp(b))
    t = transpose(y, perm=[1, 0]) - 1.0
    s = slice(y, starts=[0], ends=[32], axes=[1]) * 3.0
}

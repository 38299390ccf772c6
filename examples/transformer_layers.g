# Building blocks of a transformer encoder, imported by transformer.g.
# B (batch), T (tokens) and E (width) are bound by the caller's shapes.

# Multi-head self-attention: heads of width E // heads, scaled dot products,
# softmax over the keys, heads joined and projected.
graph self_attention(x: f32[B, T, E], heads: int, seed: int) -> (y: f32[B, T, E]) {
    param wq: f32[E, E] = normal(seed, 0.1)
    param wk: f32[E, E] = normal(seed + 1, 0.1)
    param wv: f32[E, E] = normal(seed + 2, 0.1)
    param wo: f32[E, E] = normal(seed + 3, 0.1)
    param head_width: f32[] = E // heads

    # [B, T, E] -> [B, heads, T, E/heads]
    q = transpose(reshape(x @ wq, shape=[B, T, heads, E // heads]), perm=[0, 2, 1, 3])
    k = transpose(reshape(x @ wk, shape=[B, T, heads, E // heads]), perm=[0, 2, 1, 3])
    v = transpose(reshape(x @ wv, shape=[B, T, heads, E // heads]), perm=[0, 2, 1, 3])

    scores = q @ transpose(k, perm=[0, 1, 3, 2]) / sqrt(head_width)   # [B, heads, T, T]
    context = softmax(scores, axis=-1) @ v                              # [B, heads, T, E/heads]
    joined = reshape(transpose(context, perm=[0, 2, 1, 3]), shape=[B, T, E])
    y = joined @ wo
}

# The position-wise MLP with an exact (erf) GELU.
graph feed_forward(x: f32[B, T, E], hidden: int, seed: int) -> (y: f32[B, T, E]) {
    param w1: f32[E, hidden] = normal(seed, 0.1)
    param b1: f32[hidden] = zeros
    param w2: f32[hidden, E] = normal(seed + 1, 0.05)
    param b2: f32[E] = zeros
    y = gelu(x @ w1 + b1) @ w2 + b2
}

# One transformer encoder layer (post-norm, as in BERT): self-attention and a
# GELU MLP, each added to its input and layer-normalised.
#
#   acc-run --reference examples/transformer.g --random-inputs
#   acc-run --reference examples/transformer.g -D T=128 -D E=256 --random-inputs

import "transformer_layers.g"

dim N = 2   # sequences
dim T = 16  # tokens per sequence
dim E = 64  # model width
dim HEADS = 4

graph encoder_layer(x: f32[N, T, E]) -> (y: f32[N, T, E]) {
    param ln1_scale: f32[E] = ones
    param ln1_bias: f32[E] = zeros
    param ln2_scale: f32[E] = uniform(seed=7, lo=0.9, hi=1.1)
    param ln2_bias: f32[E] = normal(seed=8, std=0.02)

    h = layer_norm(x + self_attention(x, HEADS, 100), ln1_scale, ln1_bias, epsilon=1e-5)
    y = layer_norm(h + feed_forward(h, 4 * E, 200), ln2_scale, ln2_bias, epsilon=1e-5)
}

# ResNet basic blocks: a downsampling block (stride 2, 1x1 projection on the
# shortcut) followed by an identity block, with batch normalisation in
# inference form.
#
#   acc-run --reference examples/resnet_block.g --random-inputs
#   acc-run --reference examples/resnet_block.g -D C=64 -D H=56 --random-inputs

dim N = 1
dim C = 16 # channels in; the blocks double them
dim H = 16 # height and width in; the blocks halve them

# A convolution with "same" padding and a batch norm. co, k, stride and seed
# are compile-time ints: every call makes its own weights from its seed.
graph conv_bn(x: f32[B, Ci, Hi, Wi], co: int, k: int, stride: int, seed: int)
        -> (y: f32[B, co, (Hi - 1) // stride + 1, (Wi - 1) // stride + 1]) {
    param w: f32[co, Ci, k, k] = normal(seed, 0.1)
    param gamma: f32[co] = uniform(seed + 1, 0.5, 1.5)
    param beta: f32[co] = normal(seed + 2, 0.1)
    param mean: f32[co] = normal(seed + 3, 0.1)
    param var: f32[co] = uniform(seed + 4, 0.5, 1.5)
    p = k // 2
    y = batch_norm(conv2d(x, w, stride=[stride, stride], pad=[p, p, p, p]), gamma, beta, mean, var)
}

graph down_block(x: f32[B, Ci, Hi, Wi], co: int, seed: int)
        -> (y: f32[B, co, (Hi - 1) // 2 + 1, (Wi - 1) // 2 + 1]) {
    h = relu(conv_bn(x, co, 3, 2, seed))
    h = conv_bn(h, co, 3, 1, seed + 10)
    shortcut = conv_bn(x, co, 1, 2, seed + 20)
    y = relu(h + shortcut)
}

graph identity_block(x: f32[B, Ci, Hi, Wi], seed: int) -> (y: f32[B, Ci, Hi, Wi]) {
    h = relu(conv_bn(x, Ci, 3, 1, seed))
    h = conv_bn(h, Ci, 3, 1, seed + 10)
    y = relu(h + x)
}

graph resnet_block(x: f32[N, C, H, H]) -> (y: f32[N, 2 * C, H // 2, H // 2]) {
    h = down_block(x, 2 * C, 100)
    y = identity_block(h, 200)
}

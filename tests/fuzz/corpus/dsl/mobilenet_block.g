# MobileNet-style depthwise-separable convolutions: a MobileNetV1 block
# (3x3 depthwise, 1x1 pointwise) and a MobileNetV2 inverted residual
# (1x1 expand, 3x3 depthwise, 1x1 project, plus the input), with ReLU6.
#
#   acc-run --reference examples/mobilenet_block.g --random-inputs

dim N = 1
dim C = 16
dim H = 16

graph relu6(x: f32[B, Ci, Hi, Wi]) -> (y: f32[B, Ci, Hi, Wi]) {
    y = clip(x, 0, 6)
}

graph bn(x: f32[B, Ci, Hi, Wi], seed: int) -> (y: f32[B, Ci, Hi, Wi]) {
    param gamma: f32[Ci] = uniform(seed, 0.5, 1.5)
    param beta: f32[Ci] = normal(seed + 1, 0.1)
    param mean: f32[Ci] = normal(seed + 2, 0.1)
    param var: f32[Ci] = uniform(seed + 3, 0.5, 1.5)
    y = batch_norm(x, gamma, beta, mean, var, epsilon=0.001)
}

# 3x3 depthwise (groups = channels: one filter per channel), then 1x1 pointwise.
graph separable(x: f32[B, Ci, Hi, Wi], co: int, stride: int, seed: int)
        -> (y: f32[B, co, (Hi - 1) // stride + 1, (Wi - 1) // stride + 1]) {
    param dw: f32[Ci, 1, 3, 3] = normal(seed, 0.3)
    param pw: f32[co, Ci, 1, 1] = normal(seed + 1, 0.2)
    h = relu6(bn(conv2d(x, dw, stride=[stride, stride], pad=[1, 1, 1, 1], groups=Ci), seed + 2))
    y = relu6(bn(conv2d(h, pw), seed + 6))
}

graph inverted_residual(x: f32[B, Ci, Hi, Wi], expand: int, seed: int) -> (y: f32[B, Ci, Hi, Wi]) {
    param up: f32[Ci * expand, Ci, 1, 1] = normal(seed, 0.2)
    param dw: f32[Ci * expand, 1, 3, 3] = normal(seed + 1, 0.3)
    param down: f32[Ci, Ci * expand, 1, 1] = normal(seed + 2, 0.1)
    h = relu6(bn(conv2d(x, up), seed + 3))
    h = relu6(bn(conv2d(h, dw, pad=[1, 1, 1, 1], groups=Ci * expand), seed + 7))
    y = x + bn(conv2d(h, down), seed + 11)
}

graph mobilenet_block(x: f32[N, C, H, H]) -> (y: f32[N, 2 * C, H // 2, H // 2]) {
    h = separable(x, 2 * C, 2, 100)
    y = inverted_residual(h, 4, 200)
}

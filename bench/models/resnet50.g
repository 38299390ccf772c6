# ResNet-50 (v1.5: the stride in the 3x3 convolution of each bottleneck),
# inference form with batch normalisation, 224x224 images, 1000 classes,
# about 25.6 million weights from seeded initialisers. It measures the
# compiler's speed on a real network's size:
#
#   accc --emit=ir -O2 --time-passes bench/models/resnet50.g -o /dev/null
#   acc-run --reference bench/models/resnet50.g -D N=1 --random-inputs   (slow: a minute)

dim N = 1

graph conv_bn(x: f32[B, Ci, Hi, Wi], co: int, k: int, stride: int, seed: int)
        -> (y: f32[B, co, (Hi - 1) // stride + 1, (Wi - 1) // stride + 1]) {
    param w: f32[co, Ci, k, k] = normal(seed, 0.05)
    param gamma: f32[co] = uniform(seed + 1, 0.5, 1.5)
    param beta: f32[co] = normal(seed + 2, 0.1)
    param mean: f32[co] = normal(seed + 3, 0.1)
    param var: f32[co] = uniform(seed + 4, 0.5, 1.5)
    p = k // 2
    y = batch_norm(conv2d(x, w, stride=[stride, stride], pad=[p, p, p, p]), gamma, beta, mean, var)
}

# A bottleneck with a projection shortcut (the first block of a stage).
graph bottleneck_down(x: f32[B, Ci, Hi, Wi], mid: int, stride: int, seed: int)
        -> (y: f32[B, 4 * mid, (Hi - 1) // stride + 1, (Wi - 1) // stride + 1]) {
    h = relu(conv_bn(x, mid, 1, 1, seed))
    h = relu(conv_bn(h, mid, 3, stride, seed + 10))
    h = conv_bn(h, 4 * mid, 1, 1, seed + 20)
    y = relu(h + conv_bn(x, 4 * mid, 1, stride, seed + 30))
}

graph bottleneck(x: f32[B, C, H, W], mid: int, seed: int) -> (y: f32[B, C, H, W]) {
    h = relu(conv_bn(x, mid, 1, 1, seed))
    h = relu(conv_bn(h, mid, 3, 1, seed + 10))
    y = relu(conv_bn(h, 4 * mid, 1, 1, seed + 20) + x)
}

graph resnet50(image: f32[N, 3, 224, 224]) -> (logits: f32[N, 1000]) {
    h = relu(conv_bn(image, 64, 7, 2, 1000))                                # [N, 64, 112, 112]
    h = max_pool2d(h, kernel=[3, 3], stride=[2, 2], pad=[1, 1, 1, 1])        # [N, 64, 56, 56]
    h = bottleneck_down(h, 64, 1, 2000)
    h = bottleneck(h, 64, 2100)
    h = bottleneck(h, 64, 2200)
    h = bottleneck_down(h, 128, 2, 3000)                                     # [N, 512, 28, 28]
    h = bottleneck(h, 128, 3100)
    h = bottleneck(h, 128, 3200)
    h = bottleneck(h, 128, 3300)
    h = bottleneck_down(h, 256, 2, 4000)                                     # [N, 1024, 14, 14]
    h = bottleneck(h, 256, 4100)
    h = bottleneck(h, 256, 4200)
    h = bottleneck(h, 256, 4300)
    h = bottleneck(h, 256, 4400)
    h = bottleneck(h, 256, 4500)
    h = bottleneck_down(h, 512, 2, 5000)                                     # [N, 2048, 7, 7]
    h = bottleneck(h, 512, 5100)
    h = bottleneck(h, 512, 5200)
    h = flatten(global_avg_pool(h), axis=1)                                 # [N, 2048]
    param fc_w: f32[2048, 1000] = normal(seed=6000, std=0.02)
    param fc_b: f32[1000] = zeros
    logits = h @ fc_w + fc_b
}

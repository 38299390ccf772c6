# LeNet-5 on 28x28 grey images: two 5x5 convolutions with max pooling, then
# three fully connected layers.
#
#   acc-run --reference examples/lenet.g --random-inputs

dim N = 4

graph lenet(image: f32[N, 1, 28, 28]) -> (logits: f32[N, 10]) {
    param c1_w: f32[6, 1, 5, 5] = normal(seed=11, std=0.2)
    param c1_b: f32[6] = zeros
    param c2_w: f32[16, 6, 5, 5] = normal(seed=12, std=0.08)
    param c2_b: f32[16] = uniform(seed=13, lo=-0.05, hi=0.05)
    param f1_w: f32[400, 120] = normal(seed=14, std=0.05)
    param f1_b: f32[120] = zeros
    param f2_w: f32[120, 84] = normal(seed=15, std=0.09)
    param f2_b: f32[84] = zeros
    param f3_w: f32[84, 10] = normal(seed=16, std=0.1)
    param f3_b: f32[10] = zeros

    h = relu(conv2d(image, c1_w, c1_b, pad=[2, 2, 2, 2]))   # [N, 6, 28, 28]
    h = max_pool2d(h, kernel=[2, 2], stride=[2, 2])          # [N, 6, 14, 14]
    h = relu(conv2d(h, c2_w, c2_b))                          # [N, 16, 10, 10]
    h = max_pool2d(h, kernel=[2, 2], stride=[2, 2])          # [N, 16, 5, 5]
    h = flatten(h, axis=1)                                   # [N, 400]
    h = relu(h @ f1_w + f1_b)
    h = relu(h @ f2_w + f2_b)
    logits = h @ f3_w + f3_b
}

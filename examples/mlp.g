# A multi-layer perceptron for 28x28 images, flattened: 784 -> 128 -> 64 -> 10.
#
#   acc-run --reference examples/mlp.g --random-inputs
#   acc-run --reference examples/mlp.g -D N=32 -i x=images.npy -o probs=probs.npy

dim N = 8 # the batch; override with -D N=...

# One fully connected layer. B, I and O are bound by the arguments' shapes.
graph dense_relu(x: f32[B, I], w: f32[I, O], b: f32[O]) -> (y: f32[B, O]) {
    y = relu(x @ w + b)
}

graph mlp(x: f32[N, 784]) -> (probs: f32[N, 10]) {
    param w1: f32[784, 128] = normal(seed=1, std=0.05)
    param b1: f32[128] = zeros
    param w2: f32[128, 64] = normal(seed=2, std=0.1)
    param b2: f32[64] = uniform(seed=3, lo=-0.1, hi=0.1)
    param w3: f32[64, 10] = normal(seed=4, std=0.2)
    param b3: f32[10] = [0.0, 0.1, 0.2, 0.3, 0.4, -0.4, -0.3, -0.2, -0.1, 0.0]

    h1 = dense_relu(x, w1, b1)
    h2 = dense_relu(h1, w2, b2)
    probs = softmax(h2 @ w3 + b3, axis=-1)
}

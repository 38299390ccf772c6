# An imported layer, a weight from scale.npy (f32[32]), elementwise math
# and data movement:
#   c = transpose(a * scale + 0.5 + sigmoid(b))
#   m = [max(a, b) | tanh(a - b)]   (joined along the columns)
import "layers.g"

dim R = 16
dim C = 32

graph net(a: f32[R, C], b: f32[R, C]) -> (c: f32[C, R], m: f32[R, 2 * C]) {
    param scale: f32[C] = load("scale.npy")
    c = transpose(scale_shift(a, scale) + sigmoid(b))
    m = concat(max(a, b), tanh(a - b), axis=1)
}

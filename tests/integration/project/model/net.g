# c = a + b * scale, with scale (all ones) from scale.npy: the sum vadd.s
# computes, so check_add checks both.
import "layers.g"

dim N = 256

graph net(a: f32[N], b: f32[N]) -> (c: f32[N]) {
    param scale: f32[N] = load("scale.npy")
    c = add_scaled(a, b, scale)
}

# A model with an op the backend cannot compile yet (a matrix product:
# fused_matmul). When it can, give this file an op it still cannot
# compile, or drop the last part of code.test (the NOT-YET checks).
graph not_yet(a: f32[4, 8], b: f32[8, 2]) -> (c: f32[4, 2]) {
    c = a @ b
}

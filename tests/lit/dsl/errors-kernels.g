# The fused kernels are made by the passes; the DSL cannot call them.
# RUN: not accc --emit=ir %s 2>&1 | FileCheck %s

graph g(x: f32[4]) -> (y: f32[4]) {
# CHECK: errors-kernels.g:[[@LINE+1]]:9: error: 'fused' is a kernel the compiler's passes make; it cannot be written in the DSL
    y = fused(x)
}

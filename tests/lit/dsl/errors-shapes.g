# Shape and dtype mismatches name the op and show both shapes.
# RUN: not accc --emit=ir %s 2>&1 | FileCheck %s --strict-whitespace --match-full-lines

graph f(x: f32[8, 128], v: f32[10], img: f32[1, 3, 32, 32], k: f32[16, 4, 3, 3], i: i32[8, 128]) -> (y: f32[8, 128]) {
# CHECK:{{.*}}errors-shapes.g:[[@LINE+3]]:11: error: 'add' cannot broadcast f32[8, 128] with f32[10]: dimension sizes 128 and 10 differ
# CHECK-NEXT:{{^}}    a = x + v
# CHECK-NEXT:{{^}}          ^
    a = x + v
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:11: error: 'matmul' inner dimensions differ: f32[8, 128] @ f32[8, 128] (128 vs 8)
    b = x @ x
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:9: error: 'conv2d' x f32[1, 3, 32, 32] has 3 channels, but weight f32[16, 4, 3, 3] expects 4 per group (groups=1)
    c = conv2d(img, k)
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:9: error: 'reshape' cannot change the element count: f32[8, 128] has 1024, shape=[3, 5] has 15
    d = reshape(x, shape=[3, 5])
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:11: error: 'add' operands have different dtypes: a is f32[8, 128], b is i32[8, 128]
    e = x + i
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:9: error: 'exp' does not take i32 operands (it takes f32 f16 bf16)
    f = exp(i)
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:9: error: 'concat' along axis 0: f32[8, 128] and f32[10] differ in another dimension
    g = concat(x, v, axis=0)
# A value that failed stays quiet: no second error for 'a' here.
    h = relu(a)
# CHECK:{{.*}}errors-shapes.g:[[@LINE+1]]:5: error: output 'y' is declared f32[8, 128], but this value is f32[8, 64]
    y = slice(x, starts=[0], ends=[64], axes=[1])
}
# CHECK:{{^}}8 errors generated.

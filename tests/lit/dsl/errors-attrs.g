# Attribute values of the wrong kind, out of range or missing.
# RUN: not accc --emit=ir %s 2>&1 | FileCheck %s --strict-whitespace --match-full-lines

graph f(x: f32[1, 4, 8, 8], w: f32[4, 4, 3, 3]) -> (y: f32[1, 4, 8, 8]) {
# CHECK:{{.*}}errors-attrs.g:[[@LINE+3]]:29: error: attribute 'stride' of 'conv2d' expects a list of ints, e.g. [1, 1], got a float
# CHECK-NEXT:{{^}}    a = conv2d(x, w, stride=1.5)
# CHECK-NEXT:{{^}}                            ^
    a = conv2d(x, w, stride=1.5)
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:36: error: attribute 'pad' of 'conv2d' expects a list of ints, e.g. [1, 1]; this entry is a float
    b = conv2d(x, w, pad=[1, 1, 1, 0.5])
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:25: error: attribute 'axis' of 'softmax' expects an int, got a string
    c = softmax(x, axis="last")
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:32: error: attribute 'keepdims' of 'reduce_sum' expects true or false, got an int
    d = reduce_sum(x, keepdims=1)
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:29: error: attribute 'approximate' of 'gelu' must be one of "none", "tanh", not "fast"
    e = gelu(x, approximate="fast")
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:9: error: 'softmax' axis=4 is out of range for rank 4 (allowed -4 to 3)
    f = softmax(x, axis=4)
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:9: error: 'max_pool2d' needs attribute 'kernel' (ints)
    g = max_pool2d(x)
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:20: error: attribute 'to' of 'cast' expects a dtype such as f16, got a string
    h = cast(x, to="f16")
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:28: error: attribute 'axis' is given twice
    i = softmax(x, axis=1, axis=2)
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:9: error: 'conv2d' stride=[0, 1] must be positive
    j = conv2d(x, w, stride=[0, 1])
# CHECK:{{.*}}errors-attrs.g:[[@LINE+1]]:9: error: 'transpose' perm=[0, 1, 1, 2] is not a permutation of the 4 dimensions of f32[1, 4, 8, 8]
    k = transpose(x, perm=[0, 1, 1, 2])
    y = x
}
# CHECK:{{^}}11 errors generated.

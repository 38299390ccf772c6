# Unknown ops, names, attributes, dtypes and dimensions, each with a
# suggestion when one is close.
# RUN: not accc --emit=ir %s 2>&1 | FileCheck %s --strict-whitespace --match-full-lines

dim N = 4

graph f(x: f32[N, 8], weights: f32[8, 8]) -> (y: f32[N, 8]) {
# CHECK:{{.*}}errors-names.g:[[@LINE+3]]:9: error: unknown op 'relu2'; did you mean 'relu'?
# CHECK-NEXT:{{^}}    a = relu2(x)
# CHECK-NEXT:{{^}}        ^
    a = relu2(x)
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:9: error: unknown op or graph 'frobnicate'
    b = frobnicate(x)
# CHECK:{{.*}}errors-names.g:[[@LINE+3]]:13: error: unknown name 'wieghts'; did you mean 'weights'?
# CHECK-NEXT:{{^}}    c = x @ wieghts
# CHECK-NEXT:{{^}}            ^
    c = x @ wieghts
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:20: error: 'softmax' has no attribute 'axes'; did you mean 'axis'?
    d = softmax(x, axes=1)
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:17: error: 'relu' has no attributes
    e = relu(x, alpha=0.1)
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:15: error: unknown dtype 'f23'; did you mean 'f32'?
    param w0: f23[8] = zeros
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:22: error: dimension 'M' is not bound: declare 'dim M = ...' or pass -D M=VALUE
    param w1: f32[8, M] = zeros
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:9: error: 'normal' initialises a parameter: write 'param NAME: TYPE = normal(...)'
    g = normal(1, 0.1)
# CHECK:{{.*}}errors-names.g:[[@LINE+1]]:30: error: 'nothing' is not a constant here: attributes and shapes take numbers, lists, strings, dtypes and dimension names
    h = reshape(x, shape=[N, nothing])
    y = x
}
# CHECK:{{^}}9 errors generated.

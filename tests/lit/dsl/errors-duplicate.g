# Two graphs or two dims of one name; the model is not lowered then.
# RUN: not accc --emit=ir %s 2>&1 | FileCheck %s --strict-whitespace --match-full-lines

dim N = 2
# CHECK:{{.*}}errors-duplicate.g:[[@LINE+1]]:5: error: dimension 'N' is declared twice
dim N = 3

graph f(x: f32[4]) -> (y: f32[4]) {
    y = x
}

# CHECK:{{.*}}errors-duplicate.g:[[@LINE+2]]:7: error: graph 'f' is defined twice
# CHECK:{{.*}}errors-duplicate.g:8:7: note: the first definition is here
graph f(x: f32[4]) -> (y: f32[4]) {
    y = x
}

# CHECK:{{.*}}errors-duplicate.g:[[@LINE+1]]:7: error: graph 'relu' has the name of an op
graph relu(x: f32[4]) -> (y: f32[4]) {
    y = x
}
# CHECK:{{^}}3 errors generated.

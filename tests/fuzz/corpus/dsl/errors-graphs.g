# Graph calls: arity, argument shapes against the callee's signature, result
# counts, recursion, outputs never assigned. An error inside a called graph
# is reported once, at its place in the callee, not at every call.
# RUN: not accc --emit=ir --entry main %s 2>&1 | FileCheck %s --strict-whitespace --match-full-lines

graph dense(x: f32[B, K], w: f32[K, M]) -> (y: f32[B, M]) {
    y = x @ w
}

graph two(x: f32[N]) -> (a: f32[N], b: f32[N]) {
    a = x
    b = x
}

graph main(x: f32[8, 16], w: f32[12, 4], v: f32[4]) -> (y: f32[8, 16]) {
# CHECK:{{.*}}errors-graphs.g:[[@LINE+3]]:18: error: argument 'w' of 'dense' is f32[12, 4], but 'dense' declares f32[K, M] (here f32[16, 4])
# CHECK-NEXT:{{^}}    a = dense(x, w)
# CHECK-NEXT:{{^}}                 ^
    a = dense(x, w)
# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:9: error: graph 'dense' takes 2 inputs, got 1
    b = dense(x)
# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:14: error: 'two' has 2 results here; assign them all, as in a, b = two(...)
    c = relu(two(v))
# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:15: error: 'two' gives 2 results, but 3 names are assigned
    d, e, f = two(v)
# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:18: error: graph 'dense' takes its inputs by position, not by keyword
    j = dense(x, w=w)
    g = loop(v)
    h = broken(v)
    i = broken(v)
    k = unassigned(v)
    y = x
}

graph loop(x: f32[N]) -> (y: f32[N]) {
# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:9: error: 'loop' calls itself (through loop); graphs are inlined, so they cannot recurse
    y = loop(x)
}

graph broken(x: f32[N]) -> (y: f32[N]) {
# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:9: error: unknown op 'sqr'; did you mean 'sqrt'?
    y = sqr(x)
}

# CHECK:{{.*}}errors-graphs.g:[[@LINE+1]]:33: error: output 'b' of 'unassigned' is never assigned
graph unassigned(x: f32[4]) -> (b: f32[4]) {
    a = x
}
# CHECK-NOT: error
# CHECK:{{^}}8 errors generated.

# Syntax errors: each is reported with its location, source line and caret,
# the parser recovers at the end of the statement, and one run reports all.
# RUN: not accc --emit=ir %s 2>&1 | FileCheck %s --strict-whitespace --match-full-lines

graph f(x: f32[4]) -> (y: f32[4]) {
# CHECK:{{.*}}errors-syntax.g:[[@LINE+3]]:13: error: expected an expression, found ')'
# CHECK-NEXT:{{^}}    a = x + )
# CHECK-NEXT:{{^}}            ^
    a = x + )
# CHECK:{{.*}}errors-syntax.g:[[@LINE+3]]:16: error: expected ')', found identifier 'x'
# CHECK-NEXT:{{^}}    b = relu(x x)
# CHECK-NEXT:{{^}}               ^
    b = relu(x x)
# CHECK:{{.*}}errors-syntax.g:[[@LINE+3]]:11: error: unexpected character '$'
# CHECK-NEXT:{{^}}    c = x $ x
# CHECK-NEXT:{{^}}          ^
    c = x $ x
# CHECK:{{.*}}errors-syntax.g:[[@LINE+3]]:9: error: unterminated string
# CHECK-NEXT:{{^}}    d = "abc
# CHECK-NEXT:{{^}}        ^
    d = "abc
    y = x
}

# CHECK:{{.*}}errors-syntax.g:[[@LINE+4]]:15: error: this bracket is never closed
# CHECK-NEXT:{{^}}    e = concat(x, x, axis=0
# CHECK-NEXT:{{^}}              ^
graph g(x: f32[4]) -> (y: f32[8]) {
    e = concat(x, x, axis=0
}
# CHECK:{{.*}}errors-syntax.g:[[@LINE+1]]:9: error: expected '(', found '->'
graph h -> (y: f32[1]) {
    y = 1
}
# CHECK:{{.*}}errors-syntax.g:[[@LINE+1]]:8: error: expected string, found integer '42'
import 42
# CHECK:{{^}}7 errors generated.

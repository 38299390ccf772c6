# An entry graph needs outputs, each declared once.
# RUN: not accc --emit=ir --entry none %s 2>&1 | FileCheck %s --check-prefix=NONE
# RUN: not accc --emit=ir --entry twice %s 2>&1 | FileCheck %s --check-prefix=TWICE

# NONE: errors-outputs.g:[[@LINE+1]]:7: error: graph 'none' has no outputs; the entry graph needs one
graph none(x: f32[2]) -> () {
}

# TWICE: errors-outputs.g:[[@LINE+1]]:39: error: output 'y' is declared twice
graph twice(x: f32[2]) -> (y: f32[2], y: f32[2]) {
    y = x
}

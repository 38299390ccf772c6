; .include: a directory, a file that includes itself, a missing file.
; RUN: not acc-as %s -o %t.bin 2>&1 | FileCheck %s
        .include "Inputs"
; CHECK: err-include.s:[[#@LINE-1]]:18: error: cannot read '{{.*}}Inputs': not a regular file
        .include "Inputs/self.s"
; CHECK: self.s:2:18: error: .include nested more than 16 deep
        .include "Inputs/none.s"
; CHECK: err-include.s:[[#@LINE-1]]:18: error: cannot open '{{.*}}none.s': No such file or directory
; CHECK: 3 errors generated.

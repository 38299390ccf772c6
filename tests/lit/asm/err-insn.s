; Assembler diagnostics for instructions: every error of the file is
; reported with file:line:col, the exit status is 1 and no binary is written.
; Syntax errors come first (pass 1), then errors in values (pass 2, when
; every label is known), so the order is checked only for the first.
; RUN: rm -f %t.bin
; RUN: not acc-as %s -o %t.bin 2> %t.err
; RUN: FileCheck %s < %t.err
; RUN: test ! -e %t.bin

        .machine acc1-mini
        .program p
        .supervisor
main:   fadd    m1, m2, m3
; CHECK: err-insn.s:[[#@LINE-1]]:9: error: unknown instruction 'fadd'
; CHECK-NEXT: main:   fadd    m1, m2, m3
; CHECK-NEXT:         ^
        add     m1, m2, m16
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:25: error: bad register 'm16' (m registers are m0 to m15)
        add     m1, a2, m3
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:21: error: expected an m register, found 'a2'
        addi    m1, m2, 70000
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:25: error: immediate 70000 out of range for 'addi' (-65536 to 65535)
        ldw     m1, [m2-4097]
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:24: error: immediate -4097 out of range for 'ldw' (-4096 to 4095)
        br      nowhere
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: undefined symbol 'nowhere'
        f32add  a0, a1, a2
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:9: error: 'f32add' is not allowed in supervisor code (worker only)
        add     m1, m2
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:23: error: too few operands for 'add' (add md, ma, mb)
        add     m1, m2, m3, m4
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:27: error: unexpected ',' after the operands
        get     m1, 300
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:21: error: control register 300 out of range (0 to 255)

        .worker
w:      run     m1, w
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:9: error: 'run' is not allowed in worker code (supervisor only)
        ld64    a1:2, [m1]
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: bad register pair 'a1:2' (pairs are a0:1, a2:3, ... a14:15)
        ld128   a4:5, [m1]
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: bad register quad 'a4:5' (quads are a0:3, a4:7, a8:11, a12:15)
        ld64    a0, [m1]
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: expected an a register pair (like a0:1), found 'a0'
        f32add  a0:1, a1, a2
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: expected an a register, found the group 'a0:1'
        ldw     m1, [m2]+=m33
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:27: error: undefined symbol 'm33'
        bz      m1, far
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:21: error: 'bz' jumps to program 'q'; targets must be in program 'p'
        .word   0
        loopi   5000, w
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: immediate 5000 out of range for 'loopi' (0 to 4095)
; CHECK-DAG: err-insn.s:[[#@LINE-2]]:23: error: the loop end must come after 'loopi'
        br      0x3
; CHECK-DAG: err-insn.s:[[#@LINE-1]]:17: error: target 0x3 is not a multiple of 4
        .program q
far:    end
; CHECK: 20 errors generated.

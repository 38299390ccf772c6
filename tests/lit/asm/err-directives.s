; Assembler diagnostics for directives, all in one file.
; RUN: rm -f %t.bin
; RUN: not acc-as %s -o %t.bin 2> %t.err
; RUN: FileCheck %s < %t.err
; RUN: test ! -e %t.bin

        .machine acc1-mini
        .input  a, f32, [256]
        .output c, f32, [256]
        .input  q, f99, [2]
        .program p
        .word   @tile
        .org    0x100
        end
        .machine acc1
        .foo    1
        .tiles  20
        .tiles  3..1
        .tiles  0
        .exec   nope
        .exec   p
        .org    LATER
        .org    0x100
x:      .word   1, 2
        .org    0x104
x:      .byte   300
        .half   7
        .slot   0
        .recv   99, 0x100, 4
        .tiles  2
        .send   0xfff0, 32, 1
        .send   0x100, 4, 1, 3, 1
        .layout nope, 0, 0, 1
        .layout a, 0, 250, 10
        .hostin c, 0, 0x100, 4
        .include "missing.s"
        .equ    LATER, 4
        .program r
        end
        .tiles  0
        .exec   r

; CHECK-DAG: err-directives.s:10:20: error: expected an element type (f32 f16 bf16 i8 u8 i32 i64 bool), found 'f99'
; CHECK-DAG: err-directives.s:12:17: error: @tile is only defined in directives that apply to each tile
; CHECK-DAG: err-directives.s:13:9: error: .org needs a tile selection (.tiles) first
; CHECK-DAG: err-directives.s:15:9: error: .machine must come before any code, data or tensor
; CHECK-DAG: err-directives.s:16:9: error: unknown directive '.foo'
; CHECK-DAG: err-directives.s:17:17: error: tile 20 out of range (0 to 15)
; CHECK-DAG: err-directives.s:18:17: error: last tile 1 out of range (3 to 15)
; CHECK-DAG: err-directives.s:20:17: error: no program called 'nope'
; CHECK-DAG: err-directives.s:22:17: error: undefined symbol 'LATER' (it must be defined before this line)
; CHECK-DAG: err-directives.s:26:1: error: redefinition of 'x'
; CHECK-DAG: err-directives.s:24:1: note: 'x' was defined here
; CHECK-DAG: err-directives.s:26:17: error: byte 300 out of range (-128 to 255)
; CHECK-DAG: err-directives.s:27:9: error: data on tile 0 at 0x105..0x107 overlaps other data
; CHECK-DAG: err-directives.s:24:9: note: the other data is defined here
; CHECK-DAG: err-directives.s:29:17: error: tile 99 out of range (0 to 15)
; CHECK-DAG: err-directives.s:31:9: error: 0xfff0..0x10010 lies outside tile 2's 65536 bytes of SRAM
; CHECK-DAG: err-directives.s:32:9: error: tile 1 is named twice
; CHECK-DAG: err-directives.s:33:17: error: no tensor called 'nope' (declare it with .input or .output first)
; CHECK-DAG: err-directives.s:34:9: error: elements 250..259 (stride 1) run past the end of 'a' (256 elements)
; CHECK-DAG: err-directives.s:35:9: error: 'c' is an output; use .hostout
; CHECK-DAG: err-directives.s:36:18: error: cannot open '{{.*}}missing.s': No such file or directory
; CHECK-DAG: err-directives.s:41:17: error: tile 0 already runs program 'p'
; CHECK: 20 errors generated.

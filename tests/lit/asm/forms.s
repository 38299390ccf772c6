; Every kind of operand and directive, assembled and disassembled. The
; round trip over this file is checked by roundtrip.test.
; RUN: acc-as %s -o %t.bin
; RUN: acc-objdump -d %t.bin | FileCheck %s
; RUN: acc-objdump --tiles %t.bin | FileCheck %s --check-prefix=TILES

        .machine acc1-mini, tiles=8, sram_bytes=32768
; CHECK: .machine acc1-mini, tiles=8, sram_bytes=32768
        .include "Inputs/consts.s"

        .input  "in.1", f16, [2, 16]
        .output "out/0", f32, [32]
; CHECK: .input  "in.1", f16, [2, 16]
; CHECK: .output "out/0", f32, [32]

        .program first
main:   li      m1, -5
        lih     m1, 0xffff
        addi    m2, m1, -(3 << 2)
        andi    m3, m2, 0x1ffff
        shli    m4, m3, 31
        get     m5, TILE
        get     m6, 200
        xpost   m5, 7
        loop    m6, .Lend
        add     m7, m7, m1
.Lend:  bnz     m7, main
        call    m15, sub
        sync
        end
sub:    jr      m15
; CHECK: main:
; CHECK-NEXT: li      m1, -5
; CHECK-NEXT: lih     m1, 65535
; CHECK-NEXT: addi    m2, m1, -12
; CHECK-NEXT: andi    m3, m2, 131071
; CHECK-NEXT: shli    m4, m3, 31
; CHECK-NEXT: get     m5, TILE
; CHECK-NEXT: get     m6, 200
; CHECK-NEXT: xpost   m5, 7
; CHECK-NEXT: loop    m6, .Lp0_0028
; CHECK-NEXT: add     m7, m7, m1
; CHECK-NEXT: .Lp0_0028:
; CHECK-NEXT: bnz     m7, main
; CHECK-NEXT: call    m15, sub
; CHECK: sub:
; CHECK-NEXT: jr      m15

        .worker
work:   ldw     m1, [m2-8]
        ldbs.pi:                        ; a label may contain dots
        ld128   a4:7, [m3]+=m4
        st64    a2:3, [m0+BUF]
        ldh     m5, [m6]+=-2
        f16amp  [m1]+=8
        i8amp   [m1]+=m2
        bf16amp a6:7
        ampsth  [m9]+=16, 1
        ampget  a8:11, 3
        ampput  2, a12:15
        ampw    [m1]+=16, m2
        ampw    [m1]+=m3, m4
        f32v4toi8 a0, a4:7
        i8v4tof32 a8:11, a1
        splat16 a2:3, a5
        alih    a0, 0x3f80
        .word   0xffffffff              ; not an instruction
        f32exp  a1, a0
        exit
; CHECK: .worker
; CHECK-NEXT: work:
; CHECK-NEXT: ldw     m1, [m2-8]
; CHECK-NEXT: ldbs.pi:
; CHECK-NEXT: ld128   a4:7, [m3]+=m4
; CHECK-NEXT: st64    a2:3, [m0+1024]
; CHECK-NEXT: ldh     m5, [m6]+=-2
; CHECK-NEXT: f16amp  [m1]+=8
; CHECK-NEXT: i8amp   [m1]+=m2
; CHECK-NEXT: bf16amp a6:7
; CHECK-NEXT: ampsth  [m9]+=16, 1
; CHECK-NEXT: ampget  a8:11, 3
; CHECK-NEXT: ampput  2, a12:15
; CHECK-NEXT: ampw    [m1]+=16, m2
; CHECK-NEXT: ampw    [m1]+=m3, m4
; CHECK-NEXT: f32v4toi8 a0, a4:7
; CHECK-NEXT: i8v4tof32 a8:11, a1
; CHECK-NEXT: splat16 a2:3, a5
; CHECK-NEXT: alih    a0, 16256
; CHECK-NEXT: .word   0xffffffff
; CHECK-NEXT: f32exp  a1, a0
; CHECK-NEXT: exit
end_of_first:                           ; a label after the last instruction

        .program second                 ; a second program, run by other tiles
        run     m0, w2
        end
        .worker
w2:     exit
; The binary stores code labels as offsets into the concatenated code, so
; one past the end of "first" is the start of "second": same bytes.
; CHECK: .program second
; CHECK-NEXT: .supervisor
; CHECK-NEXT: end_of_first:
; CHECK-NEXT: run     m0, w2

        .tiles  0, 2..3
        .exec   first
        .org    BUF
        .f32    1.5, -0.0, inf
        .f16    1, -2.5
        .bf16   3.0
        .byte   1, 2, 3
        .align  8
        .dword  -1
        .half   0x1234
        .space  6
        .word   @tile
        .slot   2
        .send   BUF, LEN, 4..7, 1
        .recv   @tile + 1, BUF + 64, 8
        .hostin "in.1", 32, BUF + 128, 32
        .layout "in.1", BUF + 128, 16, 16
        .tiles  1
        .exec   second
        .slot   0
        .hostout "out/0", 4, 0x80, 124
        .layout "out/0", 0x100, 0, 16, 2
        .layout "out/0", 0x200, 1, 16, 2
; CHECK: .tiles  0
; CHECK-NEXT: .exec   first
; CHECK-NEXT: .org    0x400
; CHECK-NEXT: .word   0x3fc00000, 0x80000000, 0x7f800000, 0xc1003c00, 0x02014040
; CHECK-NEXT: .byte   0x03
; CHECK-NEXT: .org    0x418
; CHECK-NEXT: .word   0xffffffff, 0xffffffff
; CHECK-NEXT: .byte   0x34, 0x12
; CHECK-NEXT: .org    0x428
; CHECK-NEXT: .word   0x00000000
; CHECK-NEXT: .slot   2
; CHECK-NEXT: .send   0x400, 32, 4..7, 1
; CHECK-NEXT: .recv   1, 0x440, 8
; CHECK-NEXT: .hostin "in.1", 32, 0x480, 32
; CHECK-NEXT: .layout "in.1", 0x480, 16, 16
; CHECK: .tiles  1
; CHECK-NEXT: .exec   second
; CHECK-NEXT: .slot   0
; CHECK-NEXT: .hostout "out/0", 4, 0x80, 124
; CHECK-NEXT: .layout "out/0", 0x100, 0, 16, 2
; CHECK-NEXT: .layout "out/0", 0x200, 1, 16, 2
; CHECK: .tiles  3
; CHECK: .word   0x00000003

; TILES:      tile  program          data-bytes  segments  slots  sends  recvs  hostin  hostout
; TILES-NEXT:    0  first                    35         3      3      1      1       1        0
; TILES-NEXT:    1  second                    0         0      1      0      0       0        1
; TILES-NEXT:    2  first                    35         3      3      1      1       1        0

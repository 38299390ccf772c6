; matmul.s — C = A x B on the matrix unit of one tile, with all six workers.
;
;   A: 24 x 64 f16 (input a)    B: 64 x 16 f16 (input b)    C: 24 x 16 f32 (output c)
;
; Superstep 1 loads B into the tile's matrix-unit weight state W (shared by
; the workers): six workers copy it 16 bytes per ampw. B's row-major layout
; is exactly W's (a row of 16 f16 is 32 bytes). Superstep 2 gives each
; worker four rows of A. Per row a worker issues 16 f16amp (4 elements of
; A against 4 rows of W each, 64 MACs, the slice pointer wrapping after
; the 64 rows) and 4 ampst to store and clear the 16 f32 accumulators: 20
; instructions per 16 outputs, 16 of them multiplies (80% of the issue
; slots do MACs; docs/machine.md works this out for larger K).
;
;   acc-as examples/asm/matmul.s -o matmul.bin
;   acc-run matmul.bin -i a=a.npy -i b=b.npy -o c=c.npy

        .machine acc1-mini

        .input  a, f16, [24, 64]
        .input  b, f16, [64, 16]
        .output c, f32, [24, 16]

        .equ    A, 0x0000               ; 24 rows x 128 bytes
        .equ    B, 0x1000               ; 64 rows x 32 bytes
        .equ    C, 0x2000               ; 24 rows x 64 bytes
        .equ    WARGS, 0x3000           ; six {source, W offset, pieces} blocks
        .equ    CARGS, 0x3080           ; six {A rows, C rows} blocks
        .equ    WLEN, 64 * 32           ; bytes of W in use: 64 rows of 16 f16

        .program matmul
        .supervisor
main:   li      m2, WLEN
        ampcfg  m2                      ; W holds 64 rows; every slice pointer to 0
        li      m1, WARGS
        loopi   6, .Lloading
        run     m1, load_w
        addi    m1, m1, 16
.Lloading:
        wait                            ; W is complete before anyone multiplies
        li      m1, CARGS
        loopi   6, .Lcomputing
        run     m1, rows
        addi    m1, m1, 16
.Lcomputing:
        wait
        end

        .worker
; m1 -> {source, W offset, pieces}: copy pieces x 16 bytes into W
load_w: ldw     m2, [m1]
        ldw     m3, [m1+4]
        ldw     m4, [m1+8]
        loop    m4, .Lcopied
        ampw    [m2]+=16, m3
.Lcopied:
        exit

; m1 -> {A rows, C rows}: four rows of C = A x B
rows:   ldw     m2, [m1]
        ldw     m3, [m1+4]
        ampclr
        loopi   4, .Lrows_done
        f16amp  [m2]+=8                 ; k = 0..3
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8                 ; k = 16..19
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8                 ; k = 32..35
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8                 ; k = 48..51
        f16amp  [m2]+=8
        f16amp  [m2]+=8
        f16amp  [m2]+=8                 ; k = 60..63: the slice pointer wraps
        ampst   [m3]+=16, 0             ; C[row][0..3], accumulators cleared
        ampst   [m3]+=16, 1
        ampst   [m3]+=16, 2
        ampst   [m3]+=16, 3
.Lrows_done:
        exit

; ---- data of tile 0 ---------------------------------------------------------------
        .tiles  0
        .exec   matmul
        .layout a, A, 0, 24 * 64
        .layout b, B, 0, 64 * 16
        .layout c, C, 0, 24 * 16
        .org    WARGS                   ; 128 pieces of 16 bytes: 22 22 21 21 21 21
        .word   B + 16 * 0,   16 * 0,   22, 0
        .word   B + 16 * 22,  16 * 22,  22, 0
        .word   B + 16 * 44,  16 * 44,  21, 0
        .word   B + 16 * 65,  16 * 65,  21, 0
        .word   B + 16 * 86,  16 * 86,  21, 0
        .word   B + 16 * 107, 16 * 107, 21, 0
        .org    CARGS                   ; worker w: rows 4w .. 4w+3
        .word   A + 128 * 0,  C + 64 * 0,  0, 0
        .word   A + 128 * 4,  C + 64 * 4,  0, 0
        .word   A + 128 * 8,  C + 64 * 8,  0, 0
        .word   A + 128 * 12, C + 64 * 12, 0, 0
        .word   A + 128 * 16, C + 64 * 16, 0, 0
        .word   A + 128 * 20, C + 64 * 20, 0, 0

; vadd.s — c = a + b on four tiles, gathered on tile 0 by one exchange.
;
; Tiles 0..3 each hold 64 f32 elements of a and b (the host scatters them,
; see the .layout lines) and add them with all six workers, two lanes at a
; time. Tiles 1..3 then send their 64 sums to tile 0, which receives them
; next to its own: after the superstep tile 0 holds all of c.
;
; Run it:
;   acc-as examples/asm/vadd.s -o vadd.bin
;   acc-run vadd.bin -i a=a.npy -i b=b.npy -o c=c.npy

        .machine acc1-mini

        .input  a, f32, [256]
        .input  b, f32, [256]
        .output c, f32, [256]

        .equ    A, 0x000                ; 64 elements of a
        .equ    B, 0x100                ; 64 elements of b
        .equ    C, 0x200                ; c: 64 sums here, all 256 on tile 0
        .equ    ARGS, 0x600             ; six 16-byte worker argument blocks

        .program vadd
        .supervisor
main:   li      m1, ARGS
        loopi   6, .Lstarted            ; start the six workers
        run     m1, worker              ; m1 = the worker's argument block
        addi    m1, m1, 16
.Lstarted:
        wait
        xpost   m0, 0                   ; post this tile's exchange slot 0
        sync                            ; barrier, then the exchange
        end

        .worker
; m1 -> {a, b, c, pairs}: c[i] = a[i] + b[i] for `pairs` pairs of elements
worker: ldw     m2, [m1]
        ldw     m3, [m1+4]
        ldw     m4, [m1+8]
        ldw     m5, [m1+12]
        loop    m5, .Ldone
        ld64    a0:1, [m2]+=8
        ld64    a2:3, [m3]+=8
        f32v2add a0:1, a0:1, a2:3
        st64    a0:1, [m4]+=8
.Ldone: exit

; ---- per-tile data ------------------------------------------------------------
        .tiles  0..3
        .exec   vadd
        .layout a, A, @tile * 64, 64    ; elements 64t .. 64t+63 of a
        .layout b, B, @tile * 64, 64
        .org    ARGS                    ; 32 pairs over six workers: 6 6 5 5 5 5
        .word   A + 0,   B + 0,   C + 0,   6
        .word   A + 48,  B + 48,  C + 48,  6
        .word   A + 96,  B + 96,  C + 96,  5
        .word   A + 136, B + 136, C + 136, 5
        .word   A + 176, B + 176, C + 176, 5
        .word   A + 216, B + 216, C + 216, 5

        .tiles  1..3                    ; the exchange: 256 bytes each to tile 0
        .slot   0
        .send   C, 256, 0

        .tiles  0
        .slot   0
        .recv   1, C + 256, 256
        .recv   2, C + 512, 256
        .recv   3, C + 768, 256
        .layout c, C, 0, 256

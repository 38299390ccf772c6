; reduce.s — the sum of 1536 f32 values spread over 16 tiles, reduced
; across the tiles in a tree of four exchanges.
;
; Each tile holds 96 values of x. Six workers sum 16 values each (two
; lanes at a time), one worker adds the six partial sums. Then, in
; superstep k = 0..3, every tile t with t mod 2^(k+1) = 2^k sends its sum
; to tile t - 2^k, which adds it to its own. After four steps tile 0 holds
; the total. Which tiles send and receive at each step is data, not code:
; exchange slot k of each tile, and a per-tile table of four flags saying
; whether the tile adds at step k. Every tile runs the same program.
;
;   acc-as examples/asm/reduce.s -o reduce.bin
;   acc-run reduce.bin -i x=x.npy -o s=s.npy

        .machine acc1-mini

        .input  x, f32, [1536]
        .output s, f32, [1]

        .equ    X, 0x000                ; 96 values
        .equ    PART, 0x200             ; six partial sums
        .equ    SUM, 0x220              ; this tile's sum
        .equ    INBOX, 0x224            ; a sum received from another tile
        .equ    STEPS, 0x240            ; four words: 1 if this tile adds at step k

        .program reduce
        .supervisor
main:   li      m1, X
        loopi   6, .Lstarted            ; six workers, 16 values each
        run     m1, partial
        addi    m1, m1, 64
.Lstarted:
        wait
        run     m0, combine             ; one worker adds the six partial sums
        wait
        li      m3, 0                   ; k
        li      m4, STEPS
.Lstep: xpost   m3, 0                   ; slot k: this tile's part of step k
        sync
        ldw     m5, [m4]+=4             ; does this tile add at step k?
        bz      m5, .Lnext
        run     m0, accumulate
        wait
.Lnext: addi    m3, m3, 1
        cmplti  m6, m3, 4
        bnz     m6, .Lstep
        end

        .worker
; m1 -> 16 values (X + 64i for worker i): PART[i] = their sum
partial:
        addi    m2, m1, -X              ; m2 = 4i, the offset of PART[i]
        shri    m2, m2, 4
        alih    a0, 0                   ; a0:1 = 0, 0
        alih    a1, 0
        loopi   8, .Lsummed
        ld64    a2:3, [m1]+=8
        f32v2add a0:1, a0:1, a2:3
.Lsummed:
        f32add  a0, a0, a1
        st32    a0, [m2+PART]
        exit

; SUM = PART[0] + ... + PART[5]
combine:
        ld32    a0, [m0+PART]
        ld32    a1, [m0+PART+4]
        f32add  a0, a0, a1
        ld32    a1, [m0+PART+8]
        f32add  a0, a0, a1
        ld32    a1, [m0+PART+12]
        f32add  a0, a0, a1
        ld32    a1, [m0+PART+16]
        f32add  a0, a0, a1
        ld32    a1, [m0+PART+20]
        f32add  a0, a0, a1
        st32    a0, [m0+SUM]
        exit

; SUM = SUM + INBOX
accumulate:
        ld32    a0, [m0+SUM]
        ld32    a1, [m0+INBOX]
        f32add  a0, a0, a1
        st32    a0, [m0+SUM]
        exit

; ---- per-tile data: the inputs, the tree, the flags ----------------------------------
        .tiles  0..15
        .exec   reduce
        .layout x, X, @tile * 96, 96

        .tiles  1, 3, 5, 7, 9, 11, 13, 15       ; step 0: odd tiles send to t - 1
        .slot   0
        .send   SUM, 4, @tile - 1
        .tiles  0, 2, 4, 6, 8, 10, 12, 14
        .slot   0
        .recv   @tile + 1, INBOX, 4

        .tiles  2, 6, 10, 14                    ; step 1: to t - 2
        .slot   1
        .send   SUM, 4, @tile - 2
        .tiles  0, 4, 8, 12
        .slot   1
        .recv   @tile + 2, INBOX, 4

        .tiles  4, 12                           ; step 2: to t - 4
        .slot   2
        .send   SUM, 4, @tile - 4
        .tiles  0, 8
        .slot   2
        .recv   @tile + 4, INBOX, 4

        .tiles  8                               ; step 3: to t - 8
        .slot   3
        .send   SUM, 4, 0
        .tiles  0
        .slot   3
        .recv   8, INBOX, 4
        .layout s, SUM, 0, 1

        .org    STEPS                           ; who adds at steps 0..3
        .word   1, 1, 1, 1                      ; tile 0
        .tiles  8
        .org    STEPS
        .word   1, 1, 1, 0
        .tiles  4, 12
        .org    STEPS
        .word   1, 1, 0, 0
        .tiles  2, 6, 10, 14
        .org    STEPS
        .word   1, 0, 0, 0
        .tiles  1, 3, 5, 7, 9, 11, 13, 15
        .org    STEPS
        .word   0, 0, 0, 0

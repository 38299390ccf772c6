; A worker stores one word past the end of the tile's 64 KiB of SRAM.
        .machine acc1-mini, tiles=2
        .program p
        .supervisor
main:   run     m0, store
        wait
        end
        .worker
store:  li      m2, 0xfff0
        stw     m2, [m2+12]
        stw     m2, [m2+16]
        exit
        .tiles  1
        .exec   p

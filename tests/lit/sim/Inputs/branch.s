; A worker jumps to an address in a register, past the end of its program.
        .machine acc1-mini, tiles=1
        .program p
        .supervisor
main:   run     m0, jump
        wait
        end
        .worker
jump:   li      m3, 0x400
        jr      m3
        exit
        .tiles  0
        .exec   p

; A supervisor loads from an address past the end of SRAM.
        .machine acc1-mini, tiles=1
        .program p
        .supervisor
main:   li      m1, 0x12345
        ldh     m2, [m1]+=2
        end
        .tiles  0
        .exec   p

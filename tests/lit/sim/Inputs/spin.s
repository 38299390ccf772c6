; A program that never ends.
        .machine acc1-mini, tiles=1
        .program p
        .supervisor
main:   addi    m1, m1, 1
        br      main
        .tiles  0
        .exec   p

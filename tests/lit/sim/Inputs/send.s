; Tile 0 sends 64 bytes to tile 1, which runs no program.
        .machine acc1-mini, tiles=2
        .program p
        .supervisor
main:   xpost   m0, 0
        sync
        end
        .tiles  0
        .exec   p
        .slot   0
        .send   0x100, 64, 1

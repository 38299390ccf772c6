; included by forms.s
        .equ    BUF, 0x400
        .equ    LEN, 2 * (8 + 8)

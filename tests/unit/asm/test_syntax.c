/* The printer and the assembler agree on every instruction: an instruction
 * printed by isa_print (as acc-objdump does) assembles back to the same
 * word, for each row of the table at the ends of its operand ranges and at
 * random points (fixed seed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "asm.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static int64_t pick(IsaFieldId f, int which) {
    int64_t min, max, step;
    isa_operand_range(f, &min, &max, &step);
    int64_t n = (max - min) / step + 1;
    if (which == 0) return min;
    if (which == 1) return max;
    return min + (int64_t)(rng() % (uint64_t)n) * step;
}

enum { LINES = 40 };

static void test_print_then_assemble(void **state) {
    for (int op = 0; op < ISA_OP_COUNT; op++) {
        const IsaInfo *info = isa_info((IsaOp)op);
        StrBuf src, line;
        sb_init(&src);
        sb_init(&line);
        sb_puts(&src, ".machine acc1-mini\n.program p\n.supervisor\nend\n");
        sb_puts(&src, info->ctx & ISA_CTX_W ? ".worker\n" : ".supervisor\n");
        uint32_t words[LINES];
        for (int k = 0; k < LINES; k++) {
            IsaInsn insn = {.op = (IsaOp)op};
            for (int i = 0; i < info->noperands; i++)
                isa_set_operand(&insn, info->operands[i], pick(info->operands[i], k));
            uint32_t pc = 4 + 4 * (uint32_t)k;
            words[k] = isa_encode(&insn);
            sb_clear(&line);
            isa_print(&line, &insn, pc, NULL, NULL);
            sb_printf(&src, "%s\n", line.data);
        }
        char *out = NULL;
        size_t outlen = 0;
        FILE *f = open_memstream(&out, &outlen);
        Diag diag;
        diag_init(&diag, "test", f);
        AsmImage *img = asm_assemble_text("t.s", src.data, src.len, &diag);
        fflush(f);
        if (!img)
            fail_msg("%s: the printed text does not assemble:\n%s\n%s", info->name, out, src.data);
        assert_int_equal(img->programs[0].ncode, LINES + 1);
        for (int k = 0; k < LINES; k++)
            if (img->programs[0].code[k + 1] != words[k])
                fail_msg("%s: line %d assembles to 0x%08x, not 0x%08x", info->name, k,
                         img->programs[0].code[k + 1], words[k]);
        asm_image_free(img);
        diag_free(&diag);
        fclose(f);
        free(out);
        sb_free(&src);
        sb_free(&line);
    }
}

/* Labels and expressions in operands resolve to the same words as numbers. */
static void test_labels_and_expressions(void **state) {
    const char *src = ".machine acc1-mini\n"
                      ".equ K, 3 * (1 << 4) - 1\n"
                      ".program p\n"
                      "top:  li m1, K\n"
                      "      loopi 2, end\n"
                      "      addi m1, m1, -K % 5\n"
                      "end:  bnz m1, top\n"
                      "      br end + 4\n"
                      "      end\n";
    Diag diag;
    diag_init(&diag, "test", stderr);
    AsmImage *img = asm_assemble_text("t.s", src, strlen(src), &diag);
    assert_non_null(img);
    IsaInsn insn;
    assert_true(isa_decode(img->programs[0].code[0], &insn));
    assert_int_equal(insn.op, ISA_LI);
    assert_int_equal(insn.imm, 47);
    assert_true(isa_decode(img->programs[0].code[1], &insn));
    assert_int_equal(insn.op, ISA_LOOPI);
    assert_int_equal(insn.imm2, 2);
    assert_int_equal(insn.imm, 8); /* end is 2 instructions on */
    assert_true(isa_decode(img->programs[0].code[2], &insn));
    assert_int_equal(insn.imm, -2); /* -47 % 5 */
    assert_true(isa_decode(img->programs[0].code[3], &insn));
    assert_int_equal(insn.imm, -12);
    assert_true(isa_decode(img->programs[0].code[4], &insn));
    assert_int_equal(insn.op, ISA_BR);
    assert_int_equal(insn.imm, 0);      /* end + 4 is the br itself */
    assert_int_equal(img->nsymbols, 2); /* top and end */
    asm_image_free(img);
    diag_free(&diag);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_then_assemble),
        cmocka_unit_test(test_labels_and_expressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

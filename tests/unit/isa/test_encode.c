/* Encoder and decoder: every instruction over its field ranges, and random
 * words against a brute-force decoder. A fixed seed keeps failures
 * reproducible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "isa.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) {
    /* xorshift64*: small, fixed, good enough for test vectors. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* A value field f can hold: the ends of its range, its neighbours, or random. */
static int64_t pick_value(IsaFieldId f, int which) {
    int64_t min, max, step;
    isa_operand_range(f, &min, &max, &step);
    int64_t n = (max - min) / step + 1;
    switch (which) {
    case 0: return min;
    case 1: return max;
    case 2: return n > 1 ? min + step : min;
    case 3: return n > 1 ? max - step : max;
    case 4: return min + (n / 2) * step;
    default: return min + (int64_t)(rng() % (uint64_t)n) * step;
    }
}

static void assert_same(const IsaInsn *a, const IsaInsn *b) {
    assert_int_equal(a->op, b->op);
    assert_int_equal(a->d, b->d);
    assert_int_equal(a->a, b->a);
    assert_int_equal(a->b, b->b);
    assert_int_equal(a->imm, b->imm);
    assert_int_equal(a->imm2, b->imm2);
}

/* Every instruction encodes and decodes to itself at the ends of each
 * field's range and at 200 random points. */
static void test_round_trip_every_instruction(void **state) {
    for (int op = 0; op < ISA_OP_COUNT; op++) {
        const IsaInfo *info = isa_info((IsaOp)op);
        for (int which = 0; which < 205; which++) {
            IsaInsn in = {.op = (IsaOp)op};
            for (unsigned i = 0; i < info->noperands; i++)
                isa_set_operand(&in, info->operands[i], pick_value(info->operands[i], which));
            uint32_t word = isa_encode(&in);
            assert_int_equal(word & info->mask, info->match);
            IsaInsn out;
            if (!isa_decode(word, &out)) fail_msg("%s: 0x%08x does not decode", info->name, word);
            assert_same(&in, &out);
            assert_int_equal(isa_encode(&out), word);
        }
    }
}

/* The slow, obviously right decoder: scan every row. */
static int brute_decode(uint32_t word) {
    int found = -1;
    for (int op = 0; op < ISA_OP_COUNT; op++) {
        const IsaInfo *info = isa_info((IsaOp)op);
        if ((word & info->mask) == info->match) {
            assert_int_equal(found, -1); /* the table checker promises no overlaps */
            found = op;
        }
    }
    return found;
}

/* Random words: the fast decoder agrees with the brute-force one, and every
 * decodable word re-encodes to itself (every bit of a word is meaningful). */
static void test_random_words(void **state) {
    int decoded = 0;
    for (int i = 0; i < 400000; i++) {
        uint32_t word = (uint32_t)rng();
        const IsaInfo *near = isa_info((IsaOp)(rng() % ISA_OP_COUNT));
        if (i % 4 == 1) /* a valid instruction with random operands */
            word = near->match | (word & ~near->mask);
        else if (i % 4 == 2) /* the same with one fixed bit flipped */
            word = (near->match | (word & ~near->mask)) ^ (1u << (rng() % 32) & near->mask);
        IsaInsn insn;
        bool ok = isa_decode(word, &insn);
        int expect = brute_decode(word);
        assert_int_equal(ok, expect >= 0);
        if (!ok) continue;
        decoded++;
        assert_int_equal(insn.op, expect);
        assert_int_equal(isa_encode(&insn), word);
    }
    assert_true(decoded > 100000); /* the valid quarter and some luck */
}

static void test_match_words_decode_to_themselves(void **state) {
    for (int op = 0; op < ISA_OP_COUNT; op++) {
        IsaInsn insn;
        assert_true(isa_decode(isa_info((IsaOp)op)->match, &insn));
        assert_int_equal(insn.op, op);
    }
    IsaInsn insn;
    assert_true(isa_decode(0, &insn)); /* zeroed memory is "trap 0" */
    assert_int_equal(insn.op, ISA_TRAP);
    assert_int_equal(insn.imm, 0);
    assert_false(isa_decode(0xffffffffu, &insn));
}

static void test_operand_ranges(void **state) {
    assert_true(isa_operand_fits(ISA_F_S17, -65536));
    assert_true(isa_operand_fits(ISA_F_S17, 65535));
    assert_false(isa_operand_fits(ISA_F_S17, 65536));
    assert_false(isa_operand_fits(ISA_F_S17, -65537));
    assert_true(isa_operand_fits(ISA_F_U17, 131071));
    assert_false(isa_operand_fits(ISA_F_U17, -1));
    assert_true(isa_operand_fits(ISA_F_DP, 14));
    assert_false(isa_operand_fits(ISA_F_DP, 3)); /* pairs start even */
    assert_false(isa_operand_fits(ISA_F_DP, 16));
    assert_true(isa_operand_fits(ISA_F_DQ, 12));
    assert_false(isa_operand_fits(ISA_F_DQ, 6));
    assert_true(isa_operand_fits(ISA_F_BR17, -4 * 65536));
    assert_false(isa_operand_fits(ISA_F_BR17, 2));  /* not a whole instruction */
    assert_true(isa_operand_fits(ISA_F_END13, 4));  /* empty body */
    assert_false(isa_operand_fits(ISA_F_END13, 0)); /* end before the body */
    assert_true(isa_operand_fits(ISA_F_END13, 4 * 8192));
    assert_false(isa_operand_fits(ISA_F_END13, 4 * 8193));
}

static void test_known_encodings(void **state) {
    /* add m1, m2, m3 = op 1, md 1, ma 2, mb 3, fn13 0 */
    IsaInsn add = {.op = ISA_ADD, .d = 1, .a = 2, .b = 3};
    assert_int_equal(isa_encode(&add), (1u << 25) | (1u << 21) | (2u << 17) | (3u << 13));
    /* f16amp [m4]+=8: op 0x40, ty4 0, ma 4, s17 8 */
    IsaInsn amp = {.op = ISA_F16AMP, .a = 4, .imm = 8};
    assert_int_equal(isa_encode(&amp), (0x40u << 25) | (4u << 17) | 8u);
    /* br -4: op 0x10, br25 = -1 */
    IsaInsn br = {.op = ISA_BR, .imm = -4};
    assert_int_equal(isa_encode(&br), (0x10u << 25) | 0x1ffffffu);
}

static const char *label_fn(void *ctx, uint32_t target) {
    return target == 0x40 ? "loop_top" : NULL;
}

static void test_print(void **state) {
    StrBuf sb;
    sb_init(&sb);
    struct {
        IsaInsn insn;
        const char *text;
    } cases[] = {
        {{.op = ISA_ADD, .d = 1, .a = 2, .b = 3}, "add     m1, m2, m3"},
        {{.op = ISA_LDW, .d = 1, .a = 2, .imm = -8}, "ldw     m1, [m2-8]"},
        {{.op = ISA_LDW, .d = 1, .a = 2, .imm = 0}, "ldw     m1, [m2]"},
        {{.op = ISA_LD64_PI, .d = 4, .a = 3, .imm = 8}, "ld64    a4:5, [m3]+=8"},
        {{.op = ISA_ST128_PR, .d = 8, .a = 3, .b = 5}, "st128   a8:11, [m3]+=m5"},
        {{.op = ISA_F16AMP, .a = 1, .imm = 8}, "f16amp  [m1]+=8"},
        {{.op = ISA_AMPSTH, .a = 2, .imm = 16, .imm2 = 1}, "ampsth  [m2]+=16, 1"},
        {{.op = ISA_GET, .d = 5, .imm2 = ISA_CSR_WID}, "get     m5, WID"},
        {{.op = ISA_GET, .d = 5, .imm2 = 200}, "get     m5, 200"},
        {{.op = ISA_BNZ, .a = 2, .imm = -8}, "bnz     m2, loop_top"},
        {{.op = ISA_BNZ, .a = 2, .imm = 8}, "bnz     m2, 0x50"},
        {{.op = ISA_LOOPI, .imm2 = 6, .imm = 12}, "loopi   6, 0x54"},
        {{.op = ISA_EXIT}, "exit"},
        {{.op = ISA_F32V2TOBF16, .d = 3, .a = 6}, "f32v2tobf16 a3, a6:7"},
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(cases); i++) {
        sb_clear(&sb);
        isa_print(&sb, &cases[i].insn, 0x48, label_fn, NULL);
        assert_string_equal(sb.data, cases[i].text);
    }
    sb_free(&sb);
}

/* The generated rows expand in any consumer: here a name table, the way an
 * interpreter builds its dispatch table. */
static const char *const row_names[] = {
#define ISA_INSN(ID, NAME, ...) [ISA_##ID] = NAME,
#include "isa_table.h"
};
_Static_assert(ACC_ARRAY_LEN(row_names) == ISA_OP_COUNT, "one row per instruction");

static void test_rows_expand(void **state) {
    for (int op = 0; op < ISA_OP_COUNT; op++)
        assert_string_equal(row_names[op], isa_info((IsaOp)op)->name);
    assert_int_equal(ISA_NUM_INSNS, ISA_OP_COUNT);
}

static void test_csr_and_trap_names(void **state) {
    assert_string_equal(isa_csr_name(ISA_CSR_TILE), "TILE");
    assert_int_equal(isa_csr_lookup("NTILES", 6), ISA_CSR_NTILES);
    assert_int_equal(isa_csr_lookup("NOPE", 4), -1);
    assert_null(isa_csr_name(250));
    assert_string_equal(isa_trap_name(ISA_TRAP_BOUNDS), "BOUNDS");
    assert_non_null(isa_trap_text(ISA_TRAP_USER));
    assert_null(isa_trap_name(0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_instruction),
        cmocka_unit_test(test_random_words),
        cmocka_unit_test(test_match_words_decode_to_themselves),
        cmocka_unit_test(test_operand_ranges),
        cmocka_unit_test(test_known_encodings),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_rows_expand),
        cmocka_unit_test(test_csr_and_trap_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

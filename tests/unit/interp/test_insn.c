/*
 * The instruction families against C reference computations: each test
 * runs generated straight-line worker code over a table of operands
 * (special values and random ones) and compares every result bit with
 * plain C written here, independently of the interpreter: its own
 * round-to-nearest-even to f16 and bf16 (via nearbyint in double), its own
 * saturation, min/max and NaN rules. Only the transcendental helpers and
 * isa_amp are taken from isa-spec/fmath.c, since they are the normative
 * definitions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "simtest.h"

/* ---- reference arithmetic ----------------------------------------------------------- */

static uint32_t canon(float f) {
    return isnan(f) ? 0x7fc00000u : f32_bits(f);
}

static float fl(uint32_t u) {
    return f32_from_bits(u);
}

/* Round x to f16 bits, nearest even; NaN is 0x7e00. */
static uint16_t ref_f16(double x) {
    if (isnan(x)) return 0x7e00;
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    double a = fabs(x);
    if (a >= 65520.0) return sign | 0x7c00; /* 65520 is the tie with 2^16: even is infinity */
    int e = a < 0x1p-14 ? -14 : ilogb(a);
    double q = ldexp(1.0, e - 10); /* the spacing of f16 values around a */
    double v = nearbyint(a / q) * q;
    if (v < 0x1p-14) return sign | (uint16_t)(v / 0x1p-24);
    int ve = ilogb(v);
    return sign | (uint16_t)((ve + 15) << 10) | (uint16_t)(v / ldexp(1.0, ve - 10) - 1024);
}

/* Round x to bf16 bits, nearest even; NaN is 0x7fc0. */
static uint16_t ref_bf16(double x) {
    if (isnan(x)) return 0x7fc0;
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    double a = fabs(x);
    if (a >= 0x1.ffp127) return sign | 0x7f80;
    int e = a < 0x1p-126 ? -126 : ilogb(a);
    double q = ldexp(1.0, e - 7);
    double v = nearbyint(a / q) * q;
    return sign | (uint16_t)(f32_bits((float)v) >> 16);
}

static double ref_sat(double v, double lo, double hi) {
    if (isnan(v)) return 0;
    return v < lo ? lo : v > hi ? hi : v;
}

static float ref_min(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0 && b == 0) return signbit(a) ? a : b;
    return a < b ? a : b;
}

static float ref_max(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0 && b == 0) return signbit(a) ? b : a;
    return a > b ? a : b;
}

static uint32_t lcg_state = 2024;
static uint32_t lcg(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state ^ (lcg_state >> 15);
}

static const uint32_t f32_specials[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xc0200000,
    0x3f000000, 0xbf000000, 0x3dcccccd, 0x7f7fffff, 0xff7fffff, 0x00000001, 0x807fffff,
    0x00800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001, 0x4b800001,
    0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x42fe0000, 0x42ff0000, 0xc3008000,
    0xc3010000, 0x437f8000, 0x477fe000, 0x477ff000, 0x477fefff, 0x33800000, 0x33000000,
    0x33400000, 0x38800000, 0x387fe000, 0x3f801000, 0x3f803000, 0x3f808000, 0x3f818000,
};
enum { NSPECIAL = ACC_ARRAY_LEN(f32_specials), NF32 = NSPECIAL + 16 };

/* Special values, then random ones of moderate exponent. */
static void f32_values(uint32_t v[NF32]) {
    memcpy(v, f32_specials, sizeof f32_specials);
    for (int i = NSPECIAL; i < NF32; i++) v[i] = (lcg() & 0x807fffffu) | (100u + lcg() % 56) << 23;
}

/* ---- running generated code --------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) {
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* For every pair (x[i], y[j]): the body loads both into m2/m3 (or a1/a2),
 * runs `insn`, stores the result word. Returns the results (caller frees). */
static uint32_t *run_pairs(const char *insn, bool areg, const uint32_t *x, size_t nx,
                           const uint32_t *y, size_t ny) {
    size_t n = nx * ny;
    uint8_t *in = xmalloc(8 * n);
    uint32_t *out = xmalloc(4 * n);
    StrBuf body;
    sb_init(&body);
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++) {
            put32(in + 8 * (i * ny + j), x[i]);
            put32(in + 8 * (i * ny + j) + 4, y[j]);
            if (areg) {
                st_code(&body, "ld32 a1, [m5]+=4\nld32 a2, [m5]+=4\nalih a3, 0x5555");
                st_code(&body, "%s\nst32 a3, [m6]+=4", insn);
            } else {
                st_code(&body, "ldw m2, [m5]+=4\nldw m3, [m5]+=4\nli m4, 0x5555");
                st_code(&body, "%s\nstw m4, [m6]+=4", insn);
            }
        }
    st_worker(body.data, in, 8 * n, out, 4 * n, NULL);
    sb_free(&body);
    free(in);
    return out;
}

/* ---- integer arithmetic ------------------------------------------------------------- */

typedef struct IntOp {
    const char *name;
    uint32_t (*ref)(uint32_t x, uint32_t y);
} IntOp;

#define REF(NAME, EXPR)                                                                            \
    static uint32_t ref_##NAME(uint32_t x, uint32_t y) {                                           \
        return (EXPR);                                                                             \
    }
#define I32(v) ((int32_t)(v))
REF(add, x + y)
REF(sub, x - y)
REF(mul, (uint32_t)((uint64_t)x *y))
REF(and, x &y)
REF(or, x | y)
REF(xor, x ^ y)
REF(shl, x << (y % 32))
REF(shr, x >> (y % 32))
REF(sar, (uint32_t)(I32(x) < 0 ? ~(~x >> (y % 32)) : x >> (y % 32)))
REF(min_i, I32(x) < I32(y) ? x : y)
REF(max_i, I32(x) > I32(y) ? x : y)
REF(minu, x < y ? x : y)
REF(maxu, x > y ? x : y)
REF(cmpeq, x == y)
REF(cmpne, x != y)
REF(cmplt, I32(x) < I32(y))
REF(cmpltu, x < y)
REF(cmple, I32(x) <= I32(y))
REF(cmpleu, x <= y)

static const IntOp int_ops[] = {
    {"add", ref_add},       {"sub", ref_sub},     {"mul", ref_mul},       {"and", ref_and},
    {"or", ref_or},         {"xor", ref_xor},     {"shl", ref_shl},       {"shr", ref_shr},
    {"sar", ref_sar},       {"min", ref_min_i},   {"max", ref_max_i},     {"minu", ref_minu},
    {"maxu", ref_maxu},     {"cmpeq", ref_cmpeq}, {"cmpne", ref_cmpne},   {"cmplt", ref_cmplt},
    {"cmpltu", ref_cmpltu}, {"cmple", ref_cmple}, {"cmpleu", ref_cmpleu},
};

static const uint32_t int_values[] = {
    0,          1,          2,          31,         32,    33,    0x7fffffff, 0x80000000,
    0xffffffff, 0xfffffffe, 0x12345678, 0xdeadbeef, 65535, 65536, 100,        0xffffff9c};

static void test_integer_register_ops(void **state) {
    enum { N = ACC_ARRAY_LEN(int_values) };
    for (size_t k = 0; k < ACC_ARRAY_LEN(int_ops); k++) {
        char insn[64];
        snprintf(insn, sizeof insn, "%s m4, m2, m3", int_ops[k].name);
        uint32_t *out = run_pairs(insn, false, int_values, N, int_values, N);
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++) {
                uint32_t want = int_ops[k].ref(int_values[i], int_values[j]);
                if (out[i * N + j] != want)
                    fail_msg("%s 0x%x, 0x%x: got 0x%x, want 0x%x", int_ops[k].name, int_values[i],
                             int_values[j], out[i * N + j], want);
            }
        free(out);
    }
}

typedef struct ImmOp {
    const char *name;
    uint32_t (*ref)(uint32_t x, uint32_t y);
    bool is_signed; /* the immediate is sign-extended */
    int32_t imms[6];
} ImmOp;

static void test_integer_immediate_ops(void **state) {
    static const ImmOp ops[] = {
        {"addi", ref_add, true, {0, 1, -1, 65535, -65536, 1234}},
        {"muli", ref_mul, true, {0, 1, -1, 65535, -65536, 3}},
        {"andi", ref_and, false, {0, 1, 0x1ffff, 0xff00, 0x10000, 7}},
        {"ori", ref_or, false, {0, 1, 0x1ffff, 0xff00, 0x10000, 7}},
        {"xori", ref_xor, false, {0, 1, 0x1ffff, 0xff00, 0x10000, 7}},
        {"cmpeqi", ref_cmpeq, true, {0, 1, -1, 65535, -65536, 100}},
        {"cmpnei", ref_cmpne, true, {0, 1, -1, 65535, -65536, 100}},
        {"cmplti", ref_cmplt, true, {0, 1, -1, 65535, -65536, 100}},
        {"cmpltui", ref_cmpltu, false, {0, 1, 0x1ffff, 65535, 65536, 100}},
        {"shli", ref_shl, false, {0, 1, 4, 16, 30, 31}},
        {"shri", ref_shr, false, {0, 1, 4, 16, 30, 31}},
        {"sari", ref_sar, false, {0, 1, 4, 16, 30, 31}},
    };
    enum { N = ACC_ARRAY_LEN(int_values) };
    for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++)
        for (int m = 0; m < 6; m++) {
            char insn[64];
            snprintf(insn, sizeof insn, "%s m4, m2, %d", ops[k].name, ops[k].imms[m]);
            uint32_t *out = run_pairs(insn, false, int_values, N, int_values, 1);
            for (size_t i = 0; i < N; i++) {
                uint32_t want = ops[k].ref(int_values[i], (uint32_t)ops[k].imms[m]);
                if (out[i] != want)
                    fail_msg("%s: got 0x%x, want 0x%x for 0x%x", insn, out[i], want, int_values[i]);
            }
            free(out);
        }
}

/* sel, li, lih, and m0: reads as zero, ignores writes. */
static void test_integer_constants_and_m0(void **state) {
    uint8_t in[8] = {0};
    uint32_t out[8];
    st_worker("li m1, -1\n"
              "li m2, 0x0fffff\n"
              "lih m2, 0xabcd\n"
              "li m3, 5\n"
              "li m4, 9\n"
              "li m7, 0\n"
              "sel m7, m3, m4\n" /* m7 == 0: mb */
              "li m8, 1\n"
              "sel m8, m3, m4\n" /* m8 != 0: ma */
              "addi m0, m0, 77\n"
              "add m9, m0, m0\n"
              "ldw m0, [m5]+=4\n" /* the base register m5 still advances */
              "stw m1, [m6]+=4\nstw m2, [m6]+=4\nstw m7, [m6]+=4\nstw m8, [m6]+=4\n"
              "stw m9, [m6]+=4\nstw m5, [m6]+=4\nstw m0, [m6]+=4\nstw m4, [m6]+=4\n",
              in, sizeof in, out, sizeof out, NULL);
    uint32_t want[8] = {0xffffffffu, 0xabcdffffu, 9, 5, 0, 4, 0, 9};
    for (int i = 0; i < 8; i++) assert_int_equal(out[i], want[i]);
}

/* ---- loads and stores --------------------------------------------------------------- */

static void test_loads(void **state) {
    uint8_t in[64];
    for (int i = 0; i < 64; i++) in[i] = (uint8_t)(0x80 + i * 7);
    uint32_t out[32];
    memset(out, 0, sizeof out);
    st_worker("ldb m1, [m5+3]\nstw m1, [m6]+=4\n"
              "ldbs m1, [m5+3]\nstw m1, [m6]+=4\n"
              "ldh m1, [m5+2]\nstw m1, [m6]+=4\n"
              "ldhs m1, [m5+2]\nstw m1, [m6]+=4\n"
              "ldw m1, [m5+4]\nstw m1, [m6]+=4\n"
              "addi m2, m5, 16\n"
              "ldbs m1, [m2]+=3\nstw m1, [m6]+=4\nstw m2, [m6]+=4\n" /* 16 -> 19 */
              "ldh m1, [m2-1]\nstw m1, [m6]+=4\n"                    /* bytes 18, 19 */
              "li m3, -8\n"
              "addi m2, m5, 24\n"
              "ldw m1, [m2]+=m3\nstw m1, [m6]+=4\nstw m2, [m6]+=4\n" /* 24 -> 16 */
              "addi m2, m5, 8\n"
              "ldw m2, [m2]+=4\nstw m2, [m6]+=4\n" /* the loaded value wins */
              "addi m2, m5, 32\n"
              "ld32 a0, [m2+4]\nst32 a0, [m6]+=4\n"
              "ld64 a2:3, [m2]+=8\nst64 a2:3, [m6]+=8\nstw m2, [m6]+=4\n"
              "addi m2, m2, 8\n"
              "ld128 a4:7, [m2]+=m3\nst32 a4, [m6]+=4\nst32 a5, [m6]+=4\nst32 a6, [m6]+=4\n"
              "st32 a7, [m6]+=4\nstw m2, [m6]+=4\n",
              in, sizeof in, out, sizeof out, NULL);
    uint32_t w[16];
    memcpy(w, in, sizeof w);
    int k = 0;
    assert_int_equal(out[k++], in[3]);
    assert_int_equal(out[k++], (uint32_t)(int32_t)(int8_t)in[3]);
    assert_int_equal(out[k++], in[2] | in[3] << 8);
    assert_int_equal(out[k++], (uint32_t)(int32_t)(int16_t)(in[2] | in[3] << 8));
    assert_int_equal(out[k++], w[1]);
    assert_int_equal(out[k++], (uint32_t)(int32_t)(int8_t)in[16]);
    assert_int_equal(out[k++], 19);
    assert_int_equal(out[k++], in[18] | in[19] << 8);
    assert_int_equal(out[k++], w[6]);
    assert_int_equal(out[k++], 16);
    assert_int_equal(out[k++], w[2]);
    assert_int_equal(out[k++], w[9]);
    assert_int_equal(out[k++], w[8]);
    assert_int_equal(out[k++], w[9]);
    assert_int_equal(out[k++], 40);
    for (int i = 0; i < 4; i++) assert_int_equal(out[k++], w[12 + i]);
    assert_int_equal(out[k++], 40);
}

static void test_stores(void **state) {
    uint8_t in[16] = {0};
    uint8_t out[64];
    memset(out, 0, sizeof out);
    st_worker("li m1, 0x3344\nlih m1, 0x1122\n"
              "stb m1, [m6+0]\nsth m1, [m6+2]\nstw m1, [m6+4]\n"
              "addi m2, m6, 8\n"
              "stb m1, [m2]+=1\nstb m1, [m2]+=1\nsth m1, [m2]+=2\n" /* 8..11 */
              "li m3, 4\n"
              "stw m2, [m2]+=m3\n" /* stores 12 + 0x8000, the old base */
              "stw m2, [m6+16]\n"  /* 16 + 0x8000 */
              "mtoa a0, m1\nmtoa a1, m3\nmtoa a2, m2\nmtoa a3, m1\n"
              "addi m2, m6, 24\n"
              "st32 a0, [m2-4]\n"    /* 20 */
              "st64 a0:1, [m2]+=8\n" /* 24 */
              "st128 a0:3, [m6+32]\n"
              "li m3, -16\n"
              "addi m2, m6, 48\n"
              "st64 a2:3, [m2]+=m3\nstw m2, [m6+56]\n",
              in, sizeof in, out, sizeof out, NULL);
    uint8_t want[64] = {0x44, 0, 0x44, 0x33, 0x44, 0x33, 0x22, 0x11, 0x44, 0x44, 0x44, 0x33};
    put32(want + 12, 0x8000 + 12);
    put32(want + 16, 0x8000 + 16);
    put32(want + 20, 0x11223344);
    put32(want + 24, 0x11223344);
    put32(want + 28, 4);
    put32(want + 32, 0x11223344);
    put32(want + 36, 4);
    put32(want + 40, 0x8000 + 16);
    put32(want + 44, 0x11223344);
    put32(want + 48, 0x8000 + 16);
    put32(want + 52, 0x11223344);
    put32(want + 56, 0x8000 + 32);
    assert_memory_equal(out, want, sizeof want);
}

/* ---- register moves ----------------------------------------------------------------- */

static void test_moves(void **state) {
    uint8_t in[4] = {0};
    uint32_t out[12];
    st_worker("alih a0, 0x3f80\n"
              "alih a1, 0x1234\nalil a1, 0xabcd\n"
              "li m1, -7\nmtoa a2, m1\n"
              "atom m2, a1\nmtoa a3, m2\n"
              "mov32 a4, a1\n"
              "mov64 a6:7, a0:1\n"
              "splat32 a8:9, a2\n"
              "splat16 a10:11, a1\n"
              "st128 a0:3, [m6+0]\nst128 a4:7, [m6+16]\nst128 a8:11, [m6+32]\n",
              in, sizeof in, out, sizeof out, NULL);
    uint32_t want[12] = {0x3f800000, 0x1234abcd, 0xfffffff9, 0x1234abcd, 0x1234abcd, 0,
                         0x3f800000, 0x1234abcd, 0xfffffff9, 0xfffffff9, 0xabcdabcd, 0xabcdabcd};
    for (int i = 0; i < 12; i++) assert_int_equal(out[i], want[i]);
}

/* ---- scalar f32 --------------------------------------------------------------------- */

typedef struct FloatOp {
    const char *name;
    float (*ref)(float x, float y);
} FloatOp;

static float fadd(float x, float y) {
    return x + y;
}
static float fsub(float x, float y) {
    return x - y;
}
static float fmul(float x, float y) {
    return x * y;
}
static float fdiv(float x, float y) {
    return x / y;
}

static void check_word(const char *what, uint32_t x, uint32_t y, uint32_t got, uint32_t want) {
    if (got != want) fail_msg("%s 0x%08x, 0x%08x: got 0x%08x, want 0x%08x", what, x, y, got, want);
}

static void test_f32_binary(void **state) {
    static const FloatOp ops[] = {{"f32add", fadd}, {"f32sub", fsub},    {"f32mul", fmul},
                                  {"f32div", fdiv}, {"f32min", ref_min}, {"f32max", ref_max}};
    uint32_t v[NF32];
    f32_values(v);
    char insn[64];
    for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++) {
        snprintf(insn, sizeof insn, "%s a3, a1, a2", ops[k].name);
        uint32_t *out = run_pairs(insn, true, v, NF32, v, NF32);
        for (int i = 0; i < NF32; i++)
            for (int j = 0; j < NF32; j++)
                check_word(ops[k].name, v[i], v[j], out[i * NF32 + j],
                           canon(ops[k].ref(fl(v[i]), fl(v[j]))));
        free(out);
    }
    static const char *cmps[] = {"f32cmpeq", "f32cmplt", "f32cmple"};
    for (int k = 0; k < 3; k++) {
        snprintf(insn, sizeof insn, "%s a3, a1, a2", cmps[k]);
        uint32_t *out = run_pairs(insn, true, v, NF32, v, NF32);
        for (int i = 0; i < NF32; i++)
            for (int j = 0; j < NF32; j++) {
                float x = fl(v[i]), y = fl(v[j]);
                bool c = k == 0 ? x == y : k == 1 ? x < y : x <= y;
                check_word(cmps[k], v[i], v[j], out[i * NF32 + j], c ? 0xffffffffu : 0);
            }
        free(out);
    }
    /* Bit operations keep NaN payloads. */
    static const char *bits[] = {"and32", "or32", "xor32", "andn32"};
    for (int k = 0; k < 4; k++) {
        snprintf(insn, sizeof insn, "%s a3, a1, a2", bits[k]);
        uint32_t *out = run_pairs(insn, true, v, NF32, v, NF32);
        for (int i = 0; i < NF32; i++)
            for (int j = 0; j < NF32; j++) {
                uint32_t x = v[i], y = v[j];
                uint32_t want = k == 0 ? x & y : k == 1 ? x | y : k == 2 ? x ^ y : x & ~y;
                check_word(bits[k], x, y, out[i * NF32 + j], want);
            }
        free(out);
    }
}

/* f32fma and sel32 read their destination: a3 is loaded with a third value. */
static void test_f32_ternary(void **state) {
    uint32_t v[NF32];
    f32_values(v);
    enum { N = 6 };
    size_t n = (size_t)NF32 * N * N;
    uint8_t *in = xmalloc(12 * n);
    uint32_t *out = xmalloc(8 * n);
    StrBuf body;
    sb_init(&body);
    size_t at = 0;
    for (int i = 0; i < NF32; i++)
        for (int j = 0; j < N; j++)
            for (int k = 0; k < N; k++, at++) {
                put32(in + 12 * at, v[i]);
                put32(in + 12 * at + 4, v[(j * 5) % NF32]);
                put32(in + 12 * at + 8, v[(k * 7 + 3) % NF32]);
                st_code(&body, "ld32 a1, [m5]+=4\nld32 a2, [m5]+=4\nld32 a3, [m5+0]\nld32 a4, "
                               "[m5]+=4\nf32fma a3, a1, a2\nsel32 a4, a1, a2\nst32 a3, "
                               "[m6]+=4\nst32 a4, [m6]+=4");
            }
    st_worker(body.data, in, 12 * n, out, 8 * n, NULL);
    for (size_t q = 0; q < n; q++) {
        uint32_t a = get32(in + 12 * q), b = get32(in + 12 * q + 4), c = get32(in + 12 * q + 8);
        check_word("f32fma", a, b, out[2 * q], canon(fmaf(fl(a), fl(b), fl(c))));
        check_word("sel32", a, b, out[2 * q + 1], (c & a) | (~c & b));
    }
    sb_free(&body);
    free(in);
    free(out);
}

static void test_f32_unary(void **state) {
    uint32_t v[NF32];
    f32_values(v);
    static const char *ops[] = {"f32abs",  "f32neg",  "f32sqrt",  "f32rsqrt", "f32exp",  "f32log",
                                "f32tanh", "f32sigm", "f32floor", "f32ceil",  "f32rint", "mov32"};
    for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++) {
        char insn[64];
        snprintf(insn, sizeof insn, "%s a3, a1", ops[k]);
        uint32_t *out = run_pairs(insn, true, v, NF32, v, 1);
        for (int i = 0; i < NF32; i++) {
            float x = fl(v[i]);
            uint32_t want;
            switch (k) {
            case 0: want = v[i] & 0x7fffffffu; break;
            case 1: want = v[i] ^ 0x80000000u; break;
            case 2: want = canon(sqrtf(x)); break;
            case 3: want = f32_bits(isa_rsqrt32(x)); break;
            case 4: want = f32_bits(isa_exp32(x)); break;
            case 5: want = f32_bits(isa_log32(x)); break;
            case 6: want = f32_bits(isa_tanh32(x)); break;
            case 7: want = f32_bits(isa_sigm32(x)); break;
            case 8: want = canon(floorf(x)); break;
            case 9: want = canon(ceilf(x)); break;
            case 10: want = canon(nearbyintf(x)); break;
            default: want = v[i]; break;
            }
            check_word(ops[k], v[i], 0, out[i], want);
        }
        free(out);
    }
}

/* ---- conversions -------------------------------------------------------------------- */

static void test_conversions_scalar(void **state) {
    uint32_t v[NF32];
    f32_values(v);
    static const char *ops[] = {"f32toi32",  "f32toi32z", "i32tof32", "f32tof16",
                                "f32tobf16", "f16tof32",  "bf16tof32"};
    for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++) {
        char insn[64];
        snprintf(insn, sizeof insn, "%s a3, a1", ops[k]);
        uint32_t *out = run_pairs(insn, true, v, NF32, v, 1);
        for (int i = 0; i < NF32; i++) {
            float x = fl(v[i]);
            uint16_t h = (uint16_t)v[i];
            uint32_t want;
            switch (k) {
            case 0:
                want = (uint32_t)(int32_t)ref_sat(nearbyint(x), -2147483648.0, 2147483647.0);
                break;
            case 1: want = (uint32_t)(int32_t)ref_sat(trunc(x), -2147483648.0, 2147483647.0); break;
            case 2: want = f32_bits((float)(int32_t)v[i]); break;
            case 3: want = ref_f16(x); break;
            case 4: want = ref_bf16(x); break;
            case 5: {
                /* exact widening: (-1)^s 2^(e-15) (1 + m/1024), subnormals, inf, NaN bits */
                uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff, s = (uint32_t)(h >> 15) << 31;
                if (e == 0x1f)
                    want = s | 0x7f800000u | m << 13;
                else
                    want = s | f32_bits((float)(e ? ldexp(1 + m / 1024.0, (int)e - 15)
                                                  : ldexp(m / 1024.0, -14)));
                break;
            }
            default: want = (uint32_t)h << 16; break;
            }
            check_word(ops[k], v[i], 0, out[i], want);
        }
        free(out);
    }
}

/* f16 and bf16 rounding at the edges: ties, overflow, subnormals, NaN. */
static void test_half_rounding_edges(void **state) {
    static const struct {
        uint32_t in;
        uint16_t f16, bf16;
    } cases[] = {
        {0x3f801000, 0x3c00, 0x3f80}, /* 1 + 2^-11: f16 tie, even is 1 */
        {0x3f803000, 0x3c02, 0x3f80}, /* 1 + 3 2^-11: f16 tie, even is up */
        {0x3f808000, 0x3c04, 0x3f80}, /* 1 + 2^-8: bf16 tie, even is 1 */
        {0x3f818000, 0x3c0c, 0x3f82}, /* 1 + 3 2^-8: bf16 tie, up */
        {0x477fe000, 0x7bff, 0x4780}, /* 65504, f16's largest */
        {0x477fefff, 0x7bff, 0x4780}, /* just below the tie */
        {0x477ff000, 0x7c00, 0x4780}, /* 65520: the tie, to infinity */
        {0x33800000, 0x0001, 0x3380}, /* 2^-24, f16's smallest subnormal */
        {0x33000000, 0x0000, 0x3300}, /* 2^-25: tie, even is 0 */
        {0x33400000, 0x0001, 0x3340}, /* 1.5 2^-25: up */
        {0x387fe000, 0x0400, 0x3880}, /* a tie that rounds up to f16's smallest normal */
        {0x387fc000, 0x03ff, 0x3880}, /* f16's largest subnormal, exactly */
        {0x7f7fffff, 0x7c00, 0x7f80}, /* f32 max: infinity in both */
        {0x7f7f7fff, 0x7c00, 0x7f7f}, /* below bf16's tie to infinity */
        {0x00000001, 0x0000, 0x0000}, /* f32's smallest subnormal */
        {0x80000000, 0x8000, 0x8000}, {0x7fc00000, 0x7e00, 0x7fc0}, /* NaN: canonical */
        {0xffc12345, 0x7e00, 0x7fc0}, {0x7f800001, 0x7e00, 0x7fc0}, {0xff800000, 0xfc00, 0xff80},
    };
    enum { N = ACC_ARRAY_LEN(cases) };
    uint32_t x[N];
    for (int i = 0; i < N; i++) {
        x[i] = cases[i].in;
        /* the reference agrees with the table, so both are right */
        assert_int_equal(ref_f16(fl(x[i])), cases[i].f16);
        assert_int_equal(ref_bf16(fl(x[i])), cases[i].bf16);
    }
    uint32_t *h = run_pairs("f32tof16 a3, a1", true, x, N, x, 1);
    uint32_t *b = run_pairs("f32tobf16 a3, a1", true, x, N, x, 1);
    for (int i = 0; i < N; i++) {
        check_word("f32tof16", x[i], 0, h[i], cases[i].f16);
        check_word("f32tobf16", x[i], 0, b[i], cases[i].bf16);
    }
    free(h);
    free(b);
}

/* Pair and quad conversions, int8 quantisation with saturation. */
static void test_conversions_vector(void **state) {
    uint32_t v[NF32];
    f32_values(v);
    size_t n = NF32 - 3;
    uint8_t *in = xmalloc(16 * n);
    uint32_t *out = xmalloc(4 * 8 * n);
    StrBuf body;
    sb_init(&body);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) put32(in + 16 * i + 4 * k, v[i + (size_t)k]);
        st_code(&body, "ld128 a0:3, [m5+0]\nld32 a4, [m5]+=16\n"
                       "f32v2tof16 a8, a0:1\nf32v2tobf16 a9, a0:1\n"
                       "f32v4toi8 a10, a0:3\nf32v4tou8 a11, a0:3\n"
                       "st128 a8:11, [m6]+=16\n"
                       "f16v2tof32 a12:13, a4\nbf16v2tof32 a14:15, a4\n"
                       "st128 a12:15, [m6]+=16");
    }
    st_worker(body.data, in, 16 * n, out, 32 * n, NULL);
    for (size_t i = 0; i < n; i++) {
        const uint32_t *o = out + 8 * i;
        float f[4];
        for (int k = 0; k < 4; k++) f[k] = fl(v[i + (size_t)k]);
        check_word("f32v2tof16", v[i], v[i + 1], o[0],
                   ref_f16(f[0]) | (uint32_t)ref_f16(f[1]) << 16);
        check_word("f32v2tobf16", v[i], v[i + 1], o[1],
                   ref_bf16(f[0]) | (uint32_t)ref_bf16(f[1]) << 16);
        uint32_t i8 = 0, u8 = 0;
        for (int k = 0; k < 4; k++) {
            i8 |= (uint32_t)(uint8_t)(int8_t)ref_sat(nearbyint(f[k]), -128, 127) << 8 * k;
            u8 |= (uint32_t)(uint8_t)ref_sat(nearbyint(f[k]), 0, 255) << 8 * k;
        }
        check_word("f32v4toi8", v[i], v[i + 1], o[2], i8);
        check_word("f32v4tou8", v[i], v[i + 1], o[3], u8);
        uint32_t lo = v[i] & 0xffff, hi = v[i] >> 16;
        /* f16v2tof32 agrees with the scalar widening, checked above */
        check_word("bf16v2tof32", v[i], 0, o[6], lo << 16);
        check_word("bf16v2tof32", v[i], 0, o[7], hi << 16);
        check_word("f16v2tof32", v[i], 0, f32_bits(fl(o[4])), f32_bits(f16_to_f32((uint16_t)lo)));
    }
    sb_free(&body);
    free(in);
    free(out);
    /* Dequantisation of every byte value, and the saturation edges. */
    uint8_t bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (uint8_t)i;
    uint32_t deq[512];
    StrBuf code;
    sb_init(&code);
    for (int i = 0; i < 64; i++)
        st_code(&code, "ld32 a0, [m5]+=4\ni8v4tof32 a4:7, a0\nu8v4tof32 a8:11, a0\n"
                       "st128 a4:7, [m6+0]\nst128 a8:11, [m6+1024]\naddi m6, m6, 16");
    st_worker(code.data, bytes, sizeof bytes, deq, sizeof deq, NULL);
    sb_free(&code);
    for (int i = 0; i < 256; i++) {
        assert_true(fl(deq[i]) == (float)(int8_t)(uint8_t)i);
        assert_true(fl(deq[256 + i]) == (float)i);
    }
}

/* ---- SIMD --------------------------------------------------------------------------- */

/* For every pair (x[i], y[j]) of 64-bit values: the body loads them into
 * a2:3 and a4:5, a0:1 with z[(i + j) % nz], runs insn, stores a0:1. */
static uint64_t *run_pairs64(const char *insn, const uint64_t *x, size_t n) {
    size_t np = n * n;
    uint8_t *in = xmalloc(24 * np);
    uint64_t *out = xmalloc(8 * np);
    StrBuf body;
    sb_init(&body);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            uint8_t *p = in + 24 * (i * n + j);
            memcpy(p, &x[i], 8);
            memcpy(p + 8, &x[j], 8);
            memcpy(p + 16, &x[(i * 3 + j) % n], 8);
            st_code(&body,
                    "ld64 a2:3, [m5]+=8\nld64 a4:5, [m5]+=8\nld64 a0:1, "
                    "[m5]+=8\n%s\nst64 a0:1, [m6]+=8",
                    insn);
        }
    st_worker(body.data, in, 24 * np, out, 8 * np, NULL);
    sb_free(&body);
    free(in);
    return out;
}

static uint16_t lane(uint64_t v, int i) {
    return (uint16_t)(v >> 16 * i);
}

static void pairs64_values(uint64_t *x, size_t n) {
    uint32_t v[NF32];
    f32_values(v);
    for (size_t i = 0; i < n; i++) {
        /* 16-bit lanes: halves of the f32 specials (f16 and bf16 edge values) and random. */
        uint32_t a = v[(i * 2) % NF32], b = v[(i * 2 + 1) % NF32];
        if (i % 3 == 0) a = (a >> 16) | (uint32_t)ref_f16(fl(b)) << 16;
        if (i % 3 == 1) b = (uint32_t)ref_f16(fl(a)) | (lcg() & 0xffff0000u);
        x[i] = a | (uint64_t)b << 32;
    }
}

static void test_simd_f32v2(void **state) {
    enum { N = 36 };
    uint64_t x[N];
    uint32_t v[NF32];
    f32_values(v);
    for (int i = 0; i < N; i++) x[i] = v[i % NF32] | (uint64_t)v[(i * 7 + 1) % NF32] << 32;
    static const char *ops[] = {"f32v2add", "f32v2sub",   "f32v2mul",   "f32v2fma",  "f32v2min",
                                "f32v2max", "f32v2cmpeq", "f32v2cmplt", "f32v2cmple"};
    for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++) {
        char insn[64];
        snprintf(insn, sizeof insn, "%s a0:1, a2:3, a4:5", ops[k]);
        uint64_t *out = run_pairs64(insn, x, N);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                uint64_t z = x[(i * 3 + j) % N], got = out[i * N + j];
                for (int l = 0; l < 2; l++) {
                    float a = fl((uint32_t)(x[i] >> 32 * l)), b = fl((uint32_t)(x[j] >> 32 * l));
                    float c = fl((uint32_t)(z >> 32 * l));
                    uint32_t want = 0;
                    switch (k) {
                    case 0: want = canon(a + b); break;
                    case 1: want = canon(a - b); break;
                    case 2: want = canon(a * b); break;
                    case 3: want = canon(fmaf(a, b, c)); break;
                    case 4: want = canon(ref_min(a, b)); break;
                    case 5: want = canon(ref_max(a, b)); break;
                    case 6: want = a == b ? 0xffffffffu : 0; break;
                    case 7: want = a < b ? 0xffffffffu : 0; break;
                    default: want = a <= b ? 0xffffffffu : 0; break;
                    }
                    check_word(ops[k], f32_bits(a), f32_bits(b), (uint32_t)(got >> 32 * l), want);
                }
            }
        free(out);
    }
}

static double widen16(bool bf, uint16_t h) {
    return bf ? bf16_to_f32(h) : f16_to_f32(h);
}

static void test_simd_16bit(void **state) {
    enum { N = 36 };
    uint64_t x[N];
    pairs64_values(x, N);
    static const char *ops[] = {"add", "sub",   "mul",   "fma",  "min",
                                "max", "cmpeq", "cmplt", "cmple"};
    for (int bf = 0; bf < 2; bf++)
        for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++) {
            char insn[64];
            snprintf(insn, sizeof insn, "%sv4%s a0:1, a2:3, a4:5", bf ? "bf16" : "f16", ops[k]);
            uint64_t *out = run_pairs64(insn, x, N);
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++) {
                    uint64_t z = x[(i * 3 + j) % N], got = out[i * N + j];
                    for (int l = 0; l < 4; l++) {
                        double a = widen16(bf, lane(x[i], l)), b = widen16(bf, lane(x[j], l));
                        double c = widen16(bf, lane(z, l));
                        uint16_t (*round)(double) = bf ? ref_bf16 : ref_f16;
                        uint16_t want = 0;
                        /* add, sub, mul: the exact result (exact in double), rounded once */
                        switch (k) {
                        case 0: want = round(a + b); break;
                        case 1: want = round(a - b); break;
                        case 2: want = round(a * b); break;
                        case 3: want = round(fmaf((float)a, (float)b, (float)c)); break;
                        case 4: want = round(ref_min((float)a, (float)b)); break;
                        case 5: want = round(ref_max((float)a, (float)b)); break;
                        case 6: want = a == b ? 0xffff : 0; break;
                        case 7: want = a < b ? 0xffff : 0; break;
                        default: want = a <= b ? 0xffff : 0; break;
                        }
                        if (lane(got, l) != want)
                            fail_msg("%s lane %d of 0x%016llx, 0x%016llx: got 0x%04x, want 0x%04x",
                                     insn, l, (unsigned long long)x[i], (unsigned long long)x[j],
                                     lane(got, l), want);
                    }
                }
            free(out);
        }
}

static void test_simd_bits(void **state) {
    enum { N = 12 };
    uint64_t x[N];
    pairs64_values(x, N);
    static const char *ops[] = {"and64 a0:1, a2:3, a4:5", "or64 a0:1, a2:3, a4:5",
                                "xor64 a0:1, a2:3, a4:5", "andn64 a0:1, a2:3, a4:5",
                                "sel64 a0:1, a2:3, a4:5", "f32v2abs a0:1, a2:3",
                                "f32v2neg a0:1, a2:3",    "f16v4abs a0:1, a2:3",
                                "f16v4neg a0:1, a2:3",    "mov64 a0:1, a2:3"};
    for (size_t k = 0; k < ACC_ARRAY_LEN(ops); k++) {
        uint64_t *out = run_pairs64(ops[k], x, N);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                uint64_t a = x[i], b = x[j], z = x[(i * 3 + j) % N], want;
                switch (k) {
                case 0: want = a & b; break;
                case 1: want = a | b; break;
                case 2: want = a ^ b; break;
                case 3: want = a & ~b; break;
                case 4: want = (z & a) | (~z & b); break;
                case 5: want = a & 0x7fffffff7fffffffull; break;
                case 6: want = a ^ 0x8000000080000000ull; break;
                case 7: want = a & 0x7fff7fff7fff7fffull; break;
                case 8: want = a ^ 0x8000800080008000ull; break;
                default: want = a; break;
                }
                if (out[i * N + j] != want) fail_msg("%s: wrong bits", ops[k]);
            }
        free(out);
    }
}

/* ---- branches, calls, the hardware loop, control registers -------------------------- */

static void test_branches_and_loops(void **state) {
    uint8_t in[4] = {0};
    uint32_t out[16];
    memset(out, 0, sizeof out);
    st_worker("        li m1, 0\n"
              "        li m2, 3\n"
              ".La:    addi m1, m1, 10\n" /* a counted branch loop: 3 times */
              "        addi m2, m2, -1\n"
              "        bnz m2, .La\n"
              "        stw m1, [m6+0]\n"
              "        li m3, 0\n"
              "        loopi 5, .Lb\n" /* a hardware loop of two instructions */
              "        addi m3, m3, 1\n"
              "        addi m3, m3, 100\n"
              ".Lb:    stw m3, [m6+4]\n"
              "        li m4, 0\n"
              "        loopi 0, .Lc\n" /* count zero skips the body */
              "        addi m4, m4, 1\n"
              ".Lc:    stw m4, [m6+8]\n"
              "        li m7, 7\n"
              "        li m8, 0\n"
              "        loop m7, .Ld\n" /* a body of one instruction repeats it */
              "        addi m8, m8, 3\n"
              ".Ld:    stw m8, [m6+12]\n"
              "        li m9, 0\n"
              "        loopi 4, .Le\n" /* an untaken branch inside a body is fine */
              "        bz m7, .Le\n"
              "        addi m9, m9, 1\n"
              ".Le:    stw m9, [m6+16]\n"
              "        call m10, .Lsub\n"
              "        stw m11, [m6+20]\n"
              "        li m12, .Lsub2\n"
              "        callr m13, m12\n"
              "        stw m11, [m6+24]\n"
              "        bz m0, .Lf\n"
              "        trap 1\n"
              ".Lsub:  li m11, 42\n"
              "        jr m10\n"
              ".Lsub2: li m11, 43\n"
              "        jr m13\n"
              ".Lf:    br .Lg\n"
              "        trap 2\n"
              ".Lg:    li m14, 1\n"
              "        stw m14, [m6+28]\n",
              in, sizeof in, out, sizeof out, NULL);
    uint32_t want[8] = {30, 505, 0, 21, 4, 42, 43, 1};
    for (int i = 0; i < 8; i++) assert_int_equal(out[i], want[i]);
}

/* get: every control/status register, on two tiles across a barrier. */
static void test_control_registers(void **state) {
    SimModel *m = st_load("        .machine acc1-mini, tiles=3\n"
                          "        .output r, i32, [2, 16]\n"
                          "        .program p\n"
                          "        .supervisor\n"
                          "        get m1, TILE\n"
                          "        get m2, NTILES\n"
                          "        get m3, WID\n"
                          "        get m4, NWORKERS\n"
                          "        get m5, SSTEP\n"
                          "        get m6, CYCLE\n"
                          "        get m7, 200\n" /* undefined: reads 0 */
                          "        sync\n"
                          "        get m8, SSTEP\n"
                          "        get m9, CYCLE\n"
                          "        stw m1, [m0+0]\nstw m2, [m0+4]\nstw m3, [m0+8]\n"
                          "        stw m4, [m0+12]\nstw m5, [m0+16]\nstw m6, [m0+20]\n"
                          "        stw m7, [m0+24]\nstw m8, [m0+28]\nstw m9, [m0+32]\n"
                          "        li m1, 256\n"
                          "        run m0, w\n"
                          "        run m0, w\n"
                          "        run m0, w\n"
                          "        wait\n"
                          "        end\n"
                          "        .worker\n"
                          "w:      get m2, WID\n"
                          "        shli m3, m2, 2\n"
                          "        stw m2, [m3+36]\n"
                          "        exit\n"
                          "        .tiles 0, 2\n"
                          "        .exec p\n"
                          "        .tiles 0\n"
                          "        .layout r, 0, 0, 16\n"
                          "        .tiles 2\n"
                          "        .layout r, 0, 16, 16\n");
    int32_t r[32];
    sim_bind_output(m, 0, r);
    SimOptions opt = {.threads = 2};
    assert_int_equal(sim_run(m, &opt), SIM_OK);
    for (int t = 0; t < 2; t++) {
        const int32_t *x = r + 16 * t;
        assert_int_equal(x[0], 2 * t);
        assert_int_equal(x[1], 3);
        assert_int_equal(x[2], 6); /* the supervisor reads the number of workers */
        assert_int_equal(x[3], 6);
        assert_int_equal(x[4], 0);
        assert_int_equal(x[5],
                         30); /* the sixth instruction: the supervisor issues every 6 cycles */
        assert_int_equal(x[6], 0);
        assert_int_equal(x[7], 1);
        /* sync at 42, barrier: 42 + 100 (no data moves), get SSTEP at 142, get CYCLE at 148 */
        assert_int_equal(x[8], 148);
        assert_int_equal(x[9], 0);
        assert_int_equal(x[10], 1);
        assert_int_equal(x[11], 2);
    }
    sim_free(m);
}

/* ---- the matrix unit ---------------------------------------------------------------- */

/* One f16/bf16/f32/i8 multiply as docs/machine.md defines it: per column,
 * the rows in order, one fmaf per product (int8: exact). */
static void ref_amp(int type, uint32_t acc[16], uint64_t x, const uint8_t *w) {
    int lanes = type == 2 ? 2 : type == 3 ? 8 : 4;
    for (int j = 0; j < 16; j++) {
        if (type == 3) {
            for (int r = 0; r < 8; r++)
                acc[j] += (uint32_t)((int8_t)(x >> 8 * r) * (int8_t)w[16 * r + j]);
            continue;
        }
        float a = fl(acc[j]);
        for (int r = 0; r < lanes; r++) {
            float xr, wr;
            if (type == 2) {
                xr = fl((uint32_t)(x >> 32 * r));
                wr = fl(get32(w + 64 * r + 4 * j));
            } else {
                uint16_t wh = (uint16_t)(w[32 * r + 2 * j] | w[32 * r + 2 * j + 1] << 8);
                xr = (float)widen16(type == 1, (uint16_t)(x >> 16 * r));
                wr = (float)widen16(type == 1, wh);
            }
            a = fmaf(xr, wr, a);
        }
        acc[j] = canon(a);
    }
}

static uint16_t random_half(bool bf, bool specials) {
    static const uint16_t f16_special[] = {0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00,
                                           0x0001, 0x03ff, 0x7bff, 0x3c00, 0x0400};
    static const uint16_t bf16_special[] = {0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x0001,
                                            0x0080, 0x7f7f, 0x3f80, 0x0d00, 0x7000, 0x3c00};
    uint32_t r = lcg();
    if (specials && r % 16 == 0)
        return bf ? bf16_special[(r >> 8) % ACC_ARRAY_LEN(bf16_special)]
                  : f16_special[(r >> 8) % ACC_ARRAY_LEN(f16_special)];
    /* moderate exponents, so sums stay finite */
    return bf ? (uint16_t)((r >> 16 & 0x807f) | (120 + (r >> 4) % 14) << 7)
              : (uint16_t)((r >> 16 & 0x83ff) | (10 + (r >> 4) % 10) << 10);
}

/* Each of the 4 types: W gets random weights (with special values), a
 * worker configures WLEN = 512, streams K inputs from memory (both memory
 * forms and the register form), and stores the accumulators after every
 * 4 multiplies; the slice pointer wraps. */
static void test_matrix_unit_multiplies(void **state) {
    enum { WLEN = 512, STEPS = 12, WBYTES = 1024 };
    static const char *names[] = {"f16amp", "bf16amp", "f32amp", "i8amp"};
    for (int type = 0; type < 4; type++) {
        uint8_t in[WBYTES + 8 * STEPS];
        for (int i = 0; i < WBYTES / 2; i++) {
            uint16_t h = type < 2 ? random_half(type == 1, false) : (uint16_t)lcg();
            if (type == 2 && i % 2 == 1) h = (uint16_t)((h & 0x87ff) | 0x3800); /* moderate f32 */
            in[2 * i] = (uint8_t)h;
            in[2 * i + 1] = (uint8_t)(h >> 8);
        }
        for (int i = 0; i < STEPS * 4; i++) {
            uint16_t h = type < 2 ? random_half(type == 1, false) : (uint16_t)lcg();
            if (type == 2 && i % 2 == 1) h = (uint16_t)((h & 0x87ff) | 0x3800);
            in[WBYTES + 2 * i] = (uint8_t)h;
            in[WBYTES + 2 * i + 1] = (uint8_t)(h >> 8);
        }
        StrBuf body;
        sb_init(&body);
        st_code(&body,
                "li m1, %d\nampcfg m1\nli m2, 0\nloopi %d, .Lw\nampw [m5]+=16, m2\n.Lw:", WLEN,
                WBYTES / 16);
        st_code(&body, "li m3, %d\nli m4, 8\nampclr", WBYTES);
        for (int s = 0; s < STEPS; s++) {
            if (s % 3 == 0)
                st_code(&body, "%s [m3]+=8", names[type]);
            else if (s % 3 == 1)
                st_code(&body, "%s [m3]+=m4", names[type]);
            else
                st_code(&body, "ld64 a2:3, [m3]+=8\n%s a2:3", names[type]);
            if (s % 4 == 3)
                st_code(&body, "ampst [m6]+=16, 0\nampst [m6]+=16, 1\nampst [m6]+=16, 2\n"
                               "ampst [m6]+=16, 3");
        }
        uint32_t out[16 * STEPS / 4];
        st_worker(body.data, in, sizeof in, out, sizeof out, NULL);
        sb_free(&body);
        uint32_t acc[16] = {0};
        unsigned ptr = 0;
        for (int s = 0; s < STEPS; s++) {
            uint64_t x;
            memcpy(&x, in + WBYTES + 8 * s, 8);
            ref_amp(type, acc, x, in + ptr);
            ptr = (ptr + 128) % WLEN;
            if (s % 4 == 3) {
                for (int j = 0; j < 16; j++)
                    if (out[16 * (s / 4) + j] != acc[j])
                        fail_msg("%s step %d column %d: got 0x%08x, want 0x%08x", names[type], s, j,
                                 out[16 * (s / 4) + j], acc[j]);
                memset(acc, 0, sizeof acc);
            }
        }
    }
}

/* Read-outs: raw, rounded to f16/bf16 (with rounding edges), to registers;
 * partial sums in; weights by a register stride (ampw.pr). */
static void test_matrix_unit_readout(void **state) {
    static const uint32_t accs[16] = {0x3f801000, 0x3f803000, 0x477ff000, 0x33000000,
                                      0x7fc00000, 0xff800000, 0x80000000, 0x3f808000,
                                      0x3f818000, 0x7f7f7fff, 0x00000001, 0x387fc000,
                                      0xbf800000, 0x42280000, 0xc2280000, 0x12345678};
    uint8_t in[64 + 32];
    memcpy(in, accs, 64);
    for (int i = 0; i < 32; i++) in[64 + i] = (uint8_t)(i * 9);
    uint8_t out[160];
    st_worker("ampld [m5]+=16, 0\nampld [m5]+=16, 1\nampld [m5]+=16, 2\nampld [m5]+=16, 3\n"
              "ampsth [m6]+=16, 0\nampstb [m6]+=16, 1\n" /* out 0..31 */
              "li m5, 0\n"
              "ampld [m5]+=16, 0\nampld [m5]+=16, 1\nampld [m5]+=16, 2\nampld [m5]+=16, 3\n"
              "ampstb [m6]+=16, 0\nampsth [m6]+=16, 1\n" /* out 32..63 */
              "ampst [m6]+=16, 0\n"                      /* cleared: zeros, 64..79 */
              "ld128 a4:7, [m0+0]\nampput 2, a4:7\n"
              "ampget a8:11, 2\nst128 a8:11, [m6]+=16\n" /* 80..95 */
              "ampget a8:11, 2\nst128 a8:11, [m6]+=16\n" /* cleared: 96..111 */
              "li m1, 128\nampcfg m1\n"
              "li m2, 64\nli m3, 16\nli m4, 0\n"
              "ampw [m2]+=m3, m4\nampw [m2]+=m3, m4\n"    /* W[0..31] = in[64..95] */
              "stw m2, [m6+16]\nstw m4, [m6+20]\n"        /* 128..135 */
              "li m7, 0x3c00\nmtoa a0, m7\nmtoa a1, m0\n" /* x = (1, 0, 0, 0) in f16 */
              "ampclr\nf16amp a0:1\n"
              "ampst [m6]+=16, 0\n", /* 112..127: overwrites the words */
              in, sizeof in, out, sizeof out, NULL);
    for (int i = 0; i < 8; i++) {
        uint16_t h, b;
        memcpy(&h, out + 2 * i, 2);
        memcpy(&b, out + 16 + 2 * i, 2);
        assert_int_equal(h, ref_f16(fl(accs[i])));
        assert_int_equal(b, ref_bf16(fl(accs[8 + i])));
        memcpy(&b, out + 32 + 2 * i, 2);
        memcpy(&h, out + 48 + 2 * i, 2);
        assert_int_equal(b, ref_bf16(fl(accs[i])));
        assert_int_equal(h, ref_f16(fl(accs[8 + i])));
    }
    uint8_t zeros[16] = {0};
    assert_memory_equal(out + 64, zeros, 16);
    assert_memory_equal(out + 80, accs, 16);
    assert_memory_equal(out + 96, zeros, 16);
    assert_int_equal(get32(out + 128), 96);
    assert_int_equal(get32(out + 132), 32);
    /* Row 0 of W (in[64..95]) as f16, times 1: the first 4 columns. */
    for (int j = 0; j < 4; j++) {
        uint16_t w = (uint16_t)(in[64 + 2 * j] | in[64 + 2 * j + 1] << 8);
        assert_int_equal(get32(out + 112 + 4 * j), canon(f16_to_f32(w)));
    }
}

/* A product-plus-sum whose double rounding lands on a float midpoint: x =
 * 1 + 2^-12, w = 2^-24 (1 - 2^-12 + 2^-24), so x w = 2^-24 + 2^-60, and
 * 1 + x w rounds to 1 + 2^-24 in double, a tie that goes to 1 in f32;
 * fmaf rounds once, up to 1 + 2^-23. The same among subnormal sums, where
 * the tie is at another bit, and sums past the largest float. */
static void test_matrix_unit_rounding_edges(void **state) {
    static const struct {
        float x, w, acc;
    } cases[] = {
        {0x1.001p0f, 0x1.ffe002p-25f, 1.0f},        /* the midpoint: 1 + 2^-23 */
        {-0x1.001p0f, 0x1.ffe002p-25f, -1.0f},      /* the same, negative */
        {0x1.001p0f, -0x1.ffe002p-25f, 1.0f},       /* below 1: 1 - 2^-24 */
        {0x1.001p-75f, 0x1.ffe002p-76f, 0x1p-130f}, /* the midpoint among subnormals */
        {0x1p-75f, 0x1p-75f, 0x1p-149f},            /* subnormal sums */
        {0x1.8p-70f, 0x1p-70f, -0x1p-140f},
        {0x1p127f, 0x1.8p1f, -0x1p127f},             /* past the largest float */
        {0x1.fffffep127f, 0x1.000002p0f, -0x1p104f}, /* rounds to the largest */
    };
    enum { N = ACC_ARRAY_LEN(cases) };
    uint8_t in[48 * N];
    memset(in, 0, sizeof in);
    StrBuf body;
    sb_init(&body);
    st_code(&body, "li m1, 128\nampcfg m1");
    for (int i = 0; i < N; i++) {
        /* W row 0 = (w_i, 0, 0, 0, ...), acc[0..3] = (acc_i, 0, 0, 0), x = (x_i, 0) */
        memcpy(in + 48 * i, &cases[i].w, 4);
        memcpy(in + 48 * i + 16, &cases[i].acc, 4);
        memcpy(in + 48 * i + 32, &cases[i].x, 4);
        st_code(&body, "li m2, 0\nampw [m5]+=16, m2\nampclr\nampld [m5]+=16, 0\n"
                       "ld64 a0:1, [m5]+=16\nf32amp a0:1\nampst [m6]+=16, 0");
    }
    uint32_t out[4 * N];
    st_worker(body.data, in, sizeof in, out, sizeof out, NULL);
    sb_free(&body);
    for (int i = 0; i < N; i++) {
        uint32_t want = canon(fmaf(0, 0, fmaf(cases[i].x, cases[i].w, cases[i].acc)));
        if (i == 0) assert_int_equal(want, f32_bits(0x1.000002p0f));
        if (out[4 * i] != want) fail_msg("case %d: got 0x%08x, want 0x%08x", i, out[4 * i], want);
    }
}

/* The fast paths of interp/amp.c against isa_amp, the reference, on random
 * weights and inputs full of special values, for every type. */
static void test_matrix_unit_fast_paths(void **state) {
    SimTile *T = xcalloc(1, sizeof *T);
    T->workers = 6;
    T->wlen = ISA_AMP_WBYTES;
    for (int round = 0; round < 200; round++) {
        int type = round % 4;
        for (int i = 0; i < ISA_AMP_WBYTES / 16; i++) {
            uint8_t row[16];
            for (int k = 0; k < 8; k++) {
                bool specials = round % 8 < 4;
                uint16_t h = type < 2 ? random_half(type == 1, specials) : (uint16_t)lcg();
                if (specials && type == 1 && lcg() % 64 == 0)
                    h = (uint16_t)(lcg() & 0xffff); /* any bf16: tiny, huge, NaN */
                row[2 * k] = (uint8_t)h;
                row[2 * k + 1] = (uint8_t)(h >> 8);
            }
            sim_amp_load(T, 16 * (uint32_t)i, row);
        }
        SimCtx *c = &T->ctx[0];
        uint32_t ref[16];
        for (int j = 0; j < 16; j++)
            c->acc[j] = ref[j] = type == 3 ? lcg() : f32_bits((float)(int)(lcg() % 200) - 100);
        c->ptr = 0;
        for (int s = 0; s < 64; s++) {
            if (s == 32) /* new weights for some rows while the float copy is in use */
                for (int i = 0; i < 64; i++) {
                    uint8_t row[16];
                    for (int k = 0; k < 16; k += 2) {
                        uint16_t h =
                            type < 2 ? random_half(type == 1, round % 8 < 4) : (uint16_t)lcg();
                        row[k] = (uint8_t)h;
                        row[k + 1] = (uint8_t)(h >> 8);
                    }
                    sim_amp_load(T, 16 * (lcg() % (ISA_AMP_WBYTES / 16)), row);
                }
            uint64_t x = 0;
            for (int k = 0; k < 4; k++)
                x |= (uint64_t)(type < 2 ? random_half(type == 1, round % 8 < 4) : (uint16_t)lcg())
                     << 16 * k;
            uint32_t ptr = c->ptr;
            sim_amp_multiply(T, c, (IsaAmpType)type, x);
            isa_amp((IsaAmpType)type, ref, x, T->w + ptr);
            for (int j = 0; j < 16; j++)
                if (c->acc[j] != ref[j])
                    fail_msg("type %d round %d step %d column %d: 0x%08x, isa_amp 0x%08x", type,
                             round, s, j, c->acc[j], ref[j]);
        }
    }
    free(T->cache);
    free(T);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_register_ops),
        cmocka_unit_test(test_integer_immediate_ops),
        cmocka_unit_test(test_integer_constants_and_m0),
        cmocka_unit_test(test_loads),
        cmocka_unit_test(test_stores),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_f32_binary),
        cmocka_unit_test(test_f32_ternary),
        cmocka_unit_test(test_f32_unary),
        cmocka_unit_test(test_conversions_scalar),
        cmocka_unit_test(test_half_rounding_edges),
        cmocka_unit_test(test_conversions_vector),
        cmocka_unit_test(test_simd_f32v2),
        cmocka_unit_test(test_simd_16bit),
        cmocka_unit_test(test_simd_bits),
        cmocka_unit_test(test_branches_and_loops),
        cmocka_unit_test(test_control_registers),
        cmocka_unit_test(test_matrix_unit_multiplies),
        cmocka_unit_test(test_matrix_unit_readout),
        cmocka_unit_test(test_matrix_unit_rounding_edges),
        cmocka_unit_test(test_matrix_unit_fast_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

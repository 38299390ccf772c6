/* The ISA's numeric helpers: rounding, saturation, min/max edge cases, the
 * transcendental reference algorithms against libm in double precision,
 * and the matrix-unit step against plain loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "isa.h"

/* The error bounds docs/machine.md states, in units in the last place. */
#define EXP_MAX_ULP  1.0
#define LOG_MAX_ULP  1.0
#define TANH_MAX_ULP 1.5
#define SIGM_MAX_ULP 2.5

static double ulp_of(double y) {
    double a = fabs(y);
    if (a < 0x1p-126) return 0x1p-149;
    int e;
    frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
    return ldexp(1.0, e - 24);
}

static double ulp_error(float got, double want) {
    if (isinf(want) || isinf(got)) return (double)got == want ? 0 : INFINITY;
    return fabs((double)got - want) / ulp_of(want);
}

typedef struct Sweep {
    float lo, hi;
    float (*fn)(float);
    double (*ref)(double);
    double worst;
    float worst_x;
} Sweep;

static double sigm_ref(double x) {
    return 1.0 / (1.0 + exp(-x));
}

/* Every float in [lo, hi] with a stride over the bit patterns: about two
 * million points, denser where the floats are. */
static void sweep(Sweep *s) {
    s->worst = 0;
    for (int side = 0; side < 2; side++) {
        float a = side ? fmaxf(s->lo, 0.0f) : s->lo, b = side ? s->hi : fminf(s->hi, -0.0f);
        if (side == 0 && s->lo >= 0) continue;
        if (side == 1 && s->hi < 0) continue;
        uint32_t ua = f32_bits(fabsf(a)), ub = f32_bits(fabsf(b));
        uint32_t from = ua < ub ? ua : ub, to = ua < ub ? ub : ua;
        uint32_t stride = (to - from) / 1000000 + 1;
        for (uint64_t u = from; u <= to; u += stride) {
            float x = f32_from_bits((uint32_t)u);
            if (side == 0) x = -x;
            double e = ulp_error(s->fn(x), s->ref((double)x));
            if (e > s->worst) {
                s->worst = e;
                s->worst_x = x;
            }
        }
    }
}

static void test_exp_accuracy(void **state) {
    Sweep s = {-103.9f, 88.72f, isa_exp32, exp, 0, 0};
    sweep(&s);
    print_message("exp32: max error %.3f ulp at %a\n", s.worst, s.worst_x);
    assert_true(s.worst <= EXP_MAX_ULP);
    assert_true(isa_exp32(0.0f) == 1.0f);
    assert_true(isinf(isa_exp32(89.0f)));
    assert_true(isa_exp32(-104.0f) == 0.0f);
    assert_true(isa_exp32(-INFINITY) == 0.0f);
    assert_true(f32_bits(isa_exp32(NAN)) == ISA_NAN32);
    assert_true(isa_exp32(-103.0f) > 0.0f); /* subnormal results */
}

static void test_log_accuracy(void **state) {
    Sweep s = {0x1p-149f, 0x1.fffffep127f, isa_log32, log, 0, 0};
    sweep(&s);
    print_message("log32: max error %.3f ulp at %a\n", s.worst, s.worst_x);
    assert_true(s.worst <= LOG_MAX_ULP);
    assert_true(isa_log32(1.0f) == 0.0f);
    assert_true(isa_log32(0.0f) == -INFINITY);
    assert_true(isinf(isa_log32(INFINITY)));
    assert_true(f32_bits(isa_log32(-1.0f)) == ISA_NAN32);
}

static void test_tanh_accuracy(void **state) {
    Sweep s = {-12.0f, 12.0f, isa_tanh32, tanh, 0, 0};
    sweep(&s);
    print_message("tanh32: max error %.3f ulp at %a\n", s.worst, s.worst_x);
    assert_true(s.worst <= TANH_MAX_ULP);
    assert_true(isa_tanh32(100.0f) == 1.0f);
    assert_true(isa_tanh32(-100.0f) == -1.0f);
    assert_true(signbit(isa_tanh32(-0.0f)));
}

static void test_sigm_accuracy(void **state) {
    Sweep s = {-100.0f, 60.0f, isa_sigm32, sigm_ref, 0, 0};
    sweep(&s);
    print_message("sigm32: max error %.3f ulp at %a\n", s.worst, s.worst_x);
    assert_true(s.worst <= SIGM_MAX_ULP);
    assert_true(isa_sigm32(0.0f) == 0.5f);
    assert_true(isa_sigm32(200.0f) == 1.0f);
    assert_true(isa_sigm32(-200.0f) == 0.0f);
}

static void test_rsqrt(void **state) {
    assert_true(isa_rsqrt32(4.0f) == 0.5f);
    assert_true(isinf(isa_rsqrt32(0.0f)));
    assert_true(f32_bits(isa_rsqrt32(-1.0f)) == ISA_NAN32);
}

static void test_rounding_helpers(void **state) {
    assert_true(isa_rint_even(2.5f) == 2.0f);
    assert_true(isa_rint_even(3.5f) == 4.0f);
    assert_true(isa_rint_even(-2.5f) == -2.0f);
    assert_true(signbit(isa_rint_even(-0.4f)));
    assert_true(isa_rint_even(0x1p24f + 2) == 0x1p24f + 2);
    assert_true(f32_bits(isa_rn32(NAN)) == ISA_NAN32);
    assert_true(f32_bits(isa_rn32(-NAN)) == ISA_NAN32);
    assert_int_equal(isa_rn16(NAN), ISA_NAN16);
    assert_int_equal(isa_rnb16(NAN), ISA_NANB16);
    assert_int_equal(isa_rn16(1.0f), 0x3c00);
    assert_int_equal(isa_rnb16(1.0f), 0x3f80);
}

static void test_saturation(void **state) {
    assert_int_equal(isa_sat_i32(3e9f), INT32_MAX);
    assert_int_equal(isa_sat_i32(-3e9f), INT32_MIN);
    assert_int_equal(isa_sat_i32(-0x1p31f), INT32_MIN);
    assert_int_equal(isa_sat_i32(NAN), 0);
    assert_int_equal(isa_sat_i32(-7.9f), -7);
    assert_int_equal(isa_sat_i8(127.6f), 127);
    assert_int_equal(isa_sat_i8(-128.0f), -128);
    assert_int_equal(isa_sat_i8(-129.0f), -128);
    assert_int_equal(isa_sat_i8(INFINITY), 127);
    assert_int_equal(isa_sat_i8(NAN), 0);
    assert_int_equal(isa_sat_u8(-3.0f), 0);
    assert_int_equal(isa_sat_u8(300.0f), 255);
    assert_int_equal(isa_sat_u8(NAN), 0);
    /* the ISA's quantise: rint first, then saturate */
    assert_int_equal(isa_sat_i8(isa_rint_even(-127.5f)), -128);
    assert_int_equal(isa_sat_i8(isa_rint_even(126.5f)), 126);
}

static void test_min_max(void **state) {
    assert_true(signbit(isa_fmin32(0.0f, -0.0f)));
    assert_true(signbit(isa_fmin32(-0.0f, 0.0f)));
    assert_false(signbit(isa_fmax32(-0.0f, 0.0f)));
    assert_false(signbit(isa_fmax32(0.0f, -0.0f)));
    assert_true(f32_bits(isa_fmin32(NAN, 1.0f)) == ISA_NAN32);
    assert_true(f32_bits(isa_fmax32(1.0f, NAN)) == ISA_NAN32);
    assert_true(isa_fmin32(-1.0f, 2.0f) == -1.0f);
    assert_true(isa_fmax32(-1.0f, 2.0f) == 2.0f);
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* One f16 multiply against 4 rows equals 16 dot products of length 4
 * accumulated in row order with fmaf. */
static void test_amp_f16(void **state) {
    uint8_t w[ISA_AMP_STEP];
    uint32_t acc[16];
    float want[16];
    uint64_t x = 0;
    float xs[4] = {1.5f, -2.0f, 0.25f, 3.0f};
    for (int r = 0; r < 4; r++) x |= (uint64_t)f32_to_f16(xs[r]) << (16 * r);
    for (int j = 0; j < 16; j++) {
        acc[j] = f32_bits((float)j);
        want[j] = (float)j;
        for (int r = 0; r < 4; r++) {
            float wv = (float)(r * 16 + j) / 8.0f - 3.0f;
            put16(w + 32 * r + 2 * j, f32_to_f16(wv));
            want[j] = fmaf(xs[r], wv, want[j]);
        }
    }
    isa_amp(ISA_AMP_F16, acc, x, w);
    for (int j = 0; j < 16; j++) assert_true(f32_from_bits(acc[j]) == want[j]);
}

static void test_amp_i8_wraps(void **state) {
    uint8_t w[ISA_AMP_STEP];
    uint32_t acc[16];
    memset(w, 0x80, sizeof w); /* -128 everywhere */
    uint64_t x = 0x8080808080808080ull;
    for (int j = 0; j < 16; j++) acc[j] = 0x7fffffffu;
    isa_amp(ISA_AMP_I8, acc, x, w);
    /* 0x7fffffff + 8 * 16384 wraps */
    for (int j = 0; j < 16; j++) assert_int_equal(acc[j], 0x7fffffffu + 8u * 16384u);
}

static void test_amp_f32_nan_is_canonical(void **state) {
    uint8_t w[ISA_AMP_STEP] = {0};
    uint32_t acc[16] = {0};
    uint64_t x = (uint64_t)0x7f800000u | (uint64_t)f32_bits(1.0f) << 32; /* inf, 1 */
    isa_amp(ISA_AMP_F32, acc, x, w);                                     /* inf * 0 = NaN */
    for (int j = 0; j < 16; j++) assert_int_equal(acc[j], ISA_NAN32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_accuracy),
        cmocka_unit_test(test_log_accuracy),
        cmocka_unit_test(test_tanh_accuracy),
        cmocka_unit_test(test_sigm_accuracy),
        cmocka_unit_test(test_rsqrt),
        cmocka_unit_test(test_rounding_helpers),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_amp_f16),
        cmocka_unit_test(test_amp_i8_wraps),
        cmocka_unit_test(test_amp_f32_nan_is_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* f16/bf16 conversions (round-to-nearest-even) and dtype element access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "support.h"

static void test_f16_known_values(void **state) {
    assert_int_equal(f32_to_f16(0.0f), 0x0000);
    assert_int_equal(f32_to_f16(-0.0f), 0x8000);
    assert_int_equal(f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(f32_to_f16(65504.0f), 0x7bff); /* largest finite */
    assert_int_equal(f32_to_f16(65519.0f), 0x7bff); /* below the halfway point */
    assert_int_equal(f32_to_f16(65520.0f), 0x7c00); /* halfway: even is infinity */
    assert_int_equal(f32_to_f16(1e10f), 0x7c00);
    assert_int_equal(f32_to_f16(-INFINITY), 0xfc00);
    assert_int_equal(f32_to_f16(0x1p-24f), 0x0001); /* smallest subnormal */
    assert_int_equal(f32_to_f16(0x1p-25f), 0x0000); /* tie with zero: even */
    assert_int_equal(f32_to_f16(0x1.000002p-25f), 0x0001);
    assert_int_equal(f32_to_f16(0x1.8p-24f), 0x0002);        /* tie 1 vs 2: even */
    assert_int_equal(f32_to_f16(0x1p-14f), 0x0400);          /* smallest normal */
    assert_int_equal(f32_to_f16(0x1.ffcp-15f), 0x0400);      /* subnormal rounding up to normal */
    assert_int_equal(f32_to_f16(1.0f + 0x1p-11f), 0x3c00);   /* tie: even mantissa */
    assert_int_equal(f32_to_f16(1.0f + 0x3p-11f), 0x3c02);   /* tie: rounds up to even */
    assert_int_equal(f32_to_f16(1.0f + 0x1.2p-11f), 0x3c01); /* above the tie */
    assert_true(isnan(f16_to_f32(f32_to_f16(NAN))));
    assert_true((f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (f32_to_f16(NAN) & 0x3ff) != 0);
}

static void test_f16_exhaustive_round_trip(void **state) {
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = f16_to_f32((uint16_t)h);
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) {
            assert_true(isnan(f));
            continue;
        }
        assert_int_equal(f32_to_f16(f), h);
    }
    assert_true(f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(f16_to_f32(0x03ff) == 0x1.ff8p-15f);
    /* Every value against the definition: (-1)^s 2^(e-15) (1 + m/1024), or
     * 2^-14 (m/1024) for e = 0; infinities and NaNs keep their payload. */
    for (uint32_t h = 0; h < 0x10000; h++) {
        uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
        float f = f16_to_f32((uint16_t)h);
        if (e == 0x1f) {
            assert_int_equal(f32_bits(f), (h & 0x8000) << 16 | 0x7f800000 | m << 13);
            continue;
        }
        double v = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp(m / 1024.0, -14);
        assert_true((double)f == ((h & 0x8000) ? -v : v));
        assert_int_equal(f32_bits(f) >> 31, h >> 15);
    }
    assert_true(f16_to_f32(0x7bff) == 65504.0f);
}

/* Independent check of round-to-nearest-even: the chosen f16 is at least as
 * close as both neighbours, and on a tie it is the even one. */
static void test_f16_nearest_even_property(void **state) {
    uint32_t seed = 12345;
    for (int n = 0; n < 200000; n++) {
        seed = seed * 1664525u + 1013904223u;
        /* Finite f32 values in the f16 range and a little beyond. */
        uint32_t bits = (seed & 0x807fffff) | ((100u + (seed >> 8) % 50u) << 23);
        float x = f32_from_bits(bits);
        uint16_t h = f32_to_f16(x);
        double got = f16_to_f32(h);
        if (isinf(got)) {
            assert_true(fabs(x) >= 65520.0);
            continue;
        }
        double err = fabs(got - x);
        for (int d = -1; d <= 1; d += 2) {
            uint16_t nb = (uint16_t)(h + d);
            if ((nb & 0x7fff) >= 0x7c00 || ((h & 0x7fff) == 0 && d < 0)) continue;
            double other = fabs((double)f16_to_f32(nb) - x);
            assert_true(err <= other);
            if (err == other) assert_int_equal(h & 1, 0);
        }
    }
}

static void test_bf16(void **state) {
    assert_int_equal(f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(f32_to_bf16(1.0f + 0x1p-8f), 0x3f80); /* tie: even */
    assert_int_equal(f32_to_bf16(1.0f + 0x3p-8f), 0x3f82); /* tie: up to even */
    assert_int_equal(f32_to_bf16(1.0f + 0x1.2p-8f), 0x3f81);
    assert_int_equal(f32_to_bf16(3.4028235e38f), 0x7f80); /* rounds to infinity */
    assert_int_equal(f32_to_bf16(-INFINITY), 0xff80);
    assert_true(isnan(bf16_to_f32(f32_to_bf16(NAN))));
    assert_true(isnan(bf16_to_f32(f32_to_bf16(f32_from_bits(0x7f800001))))); /* low-payload NaN */
    for (uint32_t b = 0; b < 0x10000; b++) {
        if ((b & 0x7f80) == 0x7f80 && (b & 0x7f)) continue;
        assert_int_equal(f32_to_bf16(bf16_to_f32((uint16_t)b)), b);
    }
}

static void test_dtype_get_set(void **state) {
    int8_t i8[1];
    uint8_t u8[1];
    int32_t i32[1];
    int64_t i64[1];
    dtype_set(ACC_DTYPE_I8, i8, 0, 300.0);
    assert_int_equal(i8[0], 127);
    dtype_set(ACC_DTYPE_I8, i8, 0, -300.0);
    assert_int_equal(i8[0], -128);
    dtype_set(ACC_DTYPE_I8, i8, 0, -2.7);
    assert_int_equal(i8[0], -2);
    dtype_set(ACC_DTYPE_U8, u8, 0, -1.0);
    assert_int_equal(u8[0], 0);
    dtype_set(ACC_DTYPE_I32, i32, 0, NAN);
    assert_int_equal(i32[0], 0);
    dtype_set(ACC_DTYPE_I32, i32, 0, -1e10);
    assert_int_equal(i32[0], INT32_MIN);
    dtype_set(ACC_DTYPE_I64, i64, 0, 1e30);
    assert_true(i64[0] == INT64_MAX);
    dtype_set(ACC_DTYPE_I64, i64, 0, -1e30);
    assert_true(i64[0] == INT64_MIN);
    uint16_t h[1];
    dtype_set(ACC_DTYPE_F16, h, 0, 1.5);
    assert_int_equal(h[0], 0x3e00);
    assert_true(dtype_get(ACC_DTYPE_F16, h, 0) == 1.5);
    assert_int_equal(dtype_size(ACC_DTYPE_BF16), 2);
    assert_string_equal(dtype_name(ACC_DTYPE_BOOL), "bool");
    assert_int_equal(dtype_lookup("i32", 3), ACC_DTYPE_I32);
    assert_int_equal(dtype_lookup("f3", 2), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_known_values),
        cmocka_unit_test(test_f16_exhaustive_round_trip),
        cmocka_unit_test(test_f16_nearest_even_property),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_dtype_get_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

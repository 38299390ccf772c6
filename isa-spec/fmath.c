/*
 * The numeric functions the ISA's semantics are written with. These are
 * normative: the interpreter calls them, so every ACC-1 result is the same
 * on any host. They use only IEEE binary32 operations in the default
 * rounding mode (round to nearest even) and fmaf, which C defines as one
 * rounding, and this file is built with -ffp-contract=off, so the compiler
 * may not fuse or reorder anything.
 *
 * The transcendental helpers are fixed algorithms, not "the nearest float
 * to the true value": range reduction with a two-part ln 2, a polynomial
 * evaluated by Horner's rule with fmaf, and an exact scaling. Their errors
 * against the true value are measured by tests/unit/isa/test_fmath.c and
 * stated in docs/machine.md.
 */
#include "isa.h"

#include <math.h>

static const float LOG2E = 0x1.715476p+0f;      /* log2(e) rounded to f32 */
static const float LN2_HI = 0x1.62e400p-1f;     /* ln 2, high part: n * LN2_HI is exact */
static const float LN2_LO = 0x1.7f7d1cp-20f;    /* ln 2 - LN2_HI */
static const float LOG_LN2_HI = 0x1.62e300p-1f; /* the same split for log32 */
static const float LOG_LN2_LO = 0x1.2fefa2p-17f;

static float canonical_nan(void) {
    return f32_from_bits(ISA_NAN32);
}

float isa_rn32(float x) {
    return isnan(x) ? canonical_nan() : x;
}

uint16_t isa_rn16(float x) {
    return isnan(x) ? ISA_NAN16 : f32_to_f16(x);
}

uint16_t isa_rnb16(float x) {
    return isnan(x) ? ISA_NANB16 : f32_to_bf16(x);
}

float isa_rint_even(float x) {
    if (isnan(x)) return canonical_nan();
    float a = fabsf(x);
    if (a >= 0x1p23f) return x; /* already integral, or infinite */
    /* a + 2^23 lies in [2^23, 2^24), where the spacing is 1: the addition
     * rounds a to an integer, ties to even. */
    float r = (a + 0x1p23f) - 0x1p23f;
    return copysignf(r, x);
}

float isa_fmin32(float a, float b) {
    if (isnan(a) || isnan(b)) return canonical_nan();
    if (a == b) return signbit(a) ? a : b; /* -0 before +0 */
    return a < b ? a : b;
}

float isa_fmax32(float a, float b) {
    if (isnan(a) || isnan(b)) return canonical_nan();
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}

int32_t isa_sat_i32(float x) {
    if (isnan(x)) return 0;
    if (x >= 0x1p31f) return INT32_MAX;
    if (x <= -0x1p31f) return INT32_MIN;
    return (int32_t)x;
}

int8_t isa_sat_i8(float x) {
    if (isnan(x)) return 0;
    if (x >= 127.0f) return 127;
    if (x <= -128.0f) return -128;
    return (int8_t)(int)x;
}

uint8_t isa_sat_u8(float x) {
    if (isnan(x)) return 0;
    if (x >= 255.0f) return 255;
    if (x <= 0.0f) return 0;
    return (uint8_t)(int)x;
}

/* 2^k for -126 <= k <= 127, exactly. */
static float pow2(int k) {
    return f32_from_bits((uint32_t)(k + 127) << 23);
}

/* p * 2^n with one rounding, for p in [0.5, 2) and -152 <= n <= 128. */
static float scale(float p, int n) {
    if (n > 127) return (p * 2.0f) * pow2(n - 1);
    if (n < -126) return (p * pow2(n + 64)) * 0x1p-64f; /* first product exact */
    return p * pow2(n);
}

/* e^r - 1 for |r| <= ln2/2 + a little: Taylor to degree 9. */
static float expm1_reduced(float r) {
    float p = 1.0f / 362880.0f;
    p = fmaf(p, r, 1.0f / 40320.0f);
    p = fmaf(p, r, 1.0f / 5040.0f);
    p = fmaf(p, r, 1.0f / 720.0f);
    p = fmaf(p, r, 1.0f / 120.0f);
    p = fmaf(p, r, 1.0f / 24.0f);
    p = fmaf(p, r, 1.0f / 6.0f);
    p = fmaf(p, r, 0.5f);
    return fmaf(r * r, p, r);
}

/* Range reduction: x = n ln2 + r, |r| <= ln2/2 (plus rounding). */
static float reduce(float x, float *n) {
    *n = isa_rint_even(x * LOG2E);
    float r = fmaf(-*n, LN2_HI, x);
    return fmaf(-*n, LN2_LO, r);
}

float isa_exp32(float x) {
    if (isnan(x)) return canonical_nan();
    if (x > 0x1.62e42ep+6f) return INFINITY; /* e^x > FLT_MAX rounds to infinity */
    if (x < -0x1.9fe368p+6f) return 0.0f;    /* below half the smallest subnormal */
    float n;
    float r = reduce(x, &n);
    /* e^r = 1 + expm1(r), rounded once more when added to 1. */
    float p = expm1_reduced(r) + 1.0f;
    return scale(p, (int)n);
}

float isa_log32(float x) {
    if (isnan(x) || x < 0.0f) return canonical_nan();
    if (x == 0.0f) return -INFINITY;
    if (isinf(x)) return x;
    int e = 0;
    uint32_t u = f32_bits(x);
    if (u < 0x00800000u) { /* subnormal: normalise */
        u = f32_bits(x * 0x1p23f);
        e = -23;
    }
    e += (int)(u >> 23) - 127;
    float m = f32_from_bits((u & 0x007fffffu) | 0x3f800000u); /* [1, 2) */
    if (m > 0x1.6a09e6p+0f) { /* sqrt(2): keep m in [sqrt(1/2), sqrt(2)] */
        m *= 0.5f;
        e++;
    }
    /* log(m) = log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)), s = f / (2 + f),
     * R(z) = 2/3 z + 2/5 z^2 + ... (the series of 2 atanh(s) - 2s). */
    float f = m - 1.0f; /* exact */
    float s = f / (2.0f + f);
    float z = s * s;
    float R = 2.0f / 11.0f;
    R = fmaf(R, z, 2.0f / 9.0f);
    R = fmaf(R, z, 2.0f / 7.0f);
    R = fmaf(R, z, 2.0f / 5.0f);
    R = fmaf(R, z, 2.0f / 3.0f);
    R = R * z;
    float hfsq = 0.5f * f * f;
    float k = (float)e;
    return k * LOG_LN2_HI - ((hfsq - (s * (hfsq + R) + k * LOG_LN2_LO)) - f);
}

/* tanh for |a| < 0.55: its Taylor series to degree 19, a + a z P(z) with
 * z = a^2 (the truncation error is below 1e-9 relative). */
static float tanh_series(float a) {
    static const float c[] = {
        -1.0f / 3.0f,
        2.0f / 15.0f,
        -17.0f / 315.0f,
        62.0f / 2835.0f,
        -1382.0f / 155925.0f,
        21844.0f / 6081075.0f,
        -929569.0f / 638512875.0f,
        6404582.0f / 10854718875.0f,
        -443861162.0f / 1856156927625.0f,
        18888466084.0f / 194896477400625.0f,
    };
    float z = a * a;
    float p = c[9];
    for (int i = 8; i >= 0; i--) p = fmaf(p, z, c[i]);
    return fmaf(a * z, p, a);
}

float isa_tanh32(float x) {
    if (isnan(x)) return canonical_nan();
    float a = fabsf(x);
    float t;
    if (a >= 10.0f) {
        t = 1.0f; /* 1 - tanh(10) is below a quarter ulp of 1 */
    } else if (a < 0.55f) {
        t = tanh_series(a);
    } else {
        float e = isa_exp32(2.0f * a);
        t = 1.0f - 2.0f / (e + 1.0f);
    }
    return copysignf(t, x);
}

float isa_sigm32(float x) {
    if (isnan(x)) return canonical_nan();
    if (x >= 0.0f) return 1.0f / (1.0f + isa_exp32(-x));
    float e = isa_exp32(x);
    return e / (1.0f + e);
}

float isa_rsqrt32(float x) {
    return isa_rn32(1.0f / sqrtf(x));
}

/* ---- the matrix unit ------------------------------------------------------- */

static uint16_t lane16(uint64_t x, int i) {
    return (uint16_t)(x >> (16 * i));
}

static uint16_t load16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t load32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void isa_amp(IsaAmpType type, uint32_t acc[16], uint64_t x, const uint8_t w[ISA_AMP_STEP]) {
    for (int j = 0; j < 16; j++) {
        float a = f32_from_bits(acc[j]);
        switch (type) {
        case ISA_AMP_F16:
            for (int r = 0; r < 4; r++)
                a = fmaf(f16_to_f32(lane16(x, r)), f16_to_f32(load16(w + 32 * r + 2 * j)), a);
            acc[j] = f32_bits(isa_rn32(a));
            break;
        case ISA_AMP_BF16:
            for (int r = 0; r < 4; r++)
                a = fmaf(bf16_to_f32(lane16(x, r)), bf16_to_f32(load16(w + 32 * r + 2 * j)), a);
            acc[j] = f32_bits(isa_rn32(a));
            break;
        case ISA_AMP_F32:
            for (int r = 0; r < 2; r++)
                a = fmaf(f32_from_bits((uint32_t)(x >> (32 * r))),
                         f32_from_bits(load32(w + 64 * r + 4 * j)), a);
            acc[j] = f32_bits(isa_rn32(a));
            break;
        case ISA_AMP_I8:
            for (int r = 0; r < 8; r++) {
                int32_t p = (int32_t)(int8_t)(x >> (8 * r)) * (int32_t)(int8_t)w[16 * r + j];
                acc[j] += (uint32_t)p;
            }
            break;
        }
    }
}

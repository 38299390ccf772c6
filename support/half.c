/*
 * f16 (IEEE binary16) and bf16 (the top half of an f32), converted from f32
 * with round-to-nearest-even, the rounding the machine and the reference
 * evaluator both use. Overflow rounds to infinity; NaN stays NaN (quiet).
 * The widening conversions (exact) are inline in support.h.
 */
#include "support.h"

#include <string.h>

/* value >> shift, rounded to nearest, ties to even; shift >= 1. */
static uint32_t shift_rne(uint32_t value, unsigned shift) {
    if (shift >= 32) return 0;
    uint32_t kept = value >> shift;
    uint32_t rest = value & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (kept & 1))) kept++;
    return kept;
}

uint16_t f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t exp = (x >> 23) & 0xff;
    uint32_t mant = x & 0x7fffff;

    if (exp == 0xff) /* inf, or NaN with its top payload bits and the quiet bit */
        return sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0);
    int e = (int)exp - 127 + 15; /* biased f16 exponent */
    if (e >= 31) return sign | 0x7c00;
    if (e <= 0) {
        /* Subnormal (or zero) in f16: value = mant24 * 2^(exp-150) = m * 2^-24. */
        if (e < -10) return sign;
        uint32_t mant24 = mant | 0x800000;
        return sign | (uint16_t)shift_rne(mant24, (unsigned)(14 - e));
    }
    /* A carry out of the mantissa bumps the exponent, up to infinity: right. */
    uint32_t r = shift_rne(((uint32_t)e << 23) | mant, 13);
    return sign | (uint16_t)r;
}

uint16_t f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    return (uint16_t)shift_rne(x, 16);
}

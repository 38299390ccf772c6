/*
 * The matrix unit (docs/machine.md, "The matrix unit"): weight loads and
 * multiplies, bit-identical to the reference isa_amp() but fast, since a
 * large matmul is almost nothing but multiplies.
 *
 * isa_amp() accumulates each column with one fmaf per row. fmaf rounds
 * once, so wherever the product x * w is exact in f32, fmaf(x, w, a) is
 * the f32 addition a + (x * w) — two plain operations the compiler turns
 * into SIMD across the 16 columns:
 *
 *   f16:  11-bit significands give a 22-bit product, and f16's exponents
 *         keep it between 2^-48 and 2^32: always exact.
 *   bf16: 8-bit significands, but f32's exponent range: exact when both
 *         factors are zero or of magnitude 2^-63 .. 2^63 (the product is
 *         then a normal float).
 *   int8: integer sums, exact in any order.
 *
 * f32 products, and bf16 ones out of that range, go through mac(): the
 * product is exact in double, so the double sum is the only rounding
 * before the one to float, and that double rounding cannot change the
 * result unless the sum lands exactly on a midpoint between two floats
 * (or outside the normal floats), where fmaf itself decides.
 *
 * The 16-bit paths read the weights from a float copy of W (SimAmpCache),
 * built on the first multiply of a type and kept in step by every ampw.
 */
#include "sim.h"

#include <math.h>
#include <string.h>

enum { W16 = ISA_AMP_WBYTES / 2 };

static inline float widen(int type, uint16_t h) {
    return type == ISA_AMP_F16 ? f16_to_f32(h) : bf16_to_f32(h);
}

/* A bf16 factor whose products with other such factors are exact floats. */
static bool bf16_safe(float v) {
    float a = fabsf(v);
    return a == 0.0f || (a >= 0x1p-63f && a <= 0x1p63f);
}

static uint16_t w16(const SimTile *T, unsigned i) {
    return (uint16_t)(T->w[2 * i] | T->w[2 * i + 1] << 8);
}

static SimAmpCache *cache_for(SimTile *T, int type) {
    SimAmpCache *k = T->cache;
    if (k && k->type == type) return k;
    if (!k) k = T->cache = xmalloc(sizeof *k);
    k->type = type;
    k->unsafe = 0;
    for (unsigned i = 0; i < W16; i++) {
        k->w[i] = widen(type, w16(T, i));
        if (type == ISA_AMP_BF16 && !bf16_safe(k->w[i])) k->unsafe++;
    }
    return k;
}

void sim_amp_load(SimTile *T, uint32_t offset, const uint8_t *bytes) {
    memcpy(T->w + offset, bytes, 16);
    SimAmpCache *k = T->cache;
    if (!k) return;
    for (unsigned i = offset / 2; i < offset / 2 + 8; i++) {
        float v = widen(k->type, w16(T, i));
        if (k->type == ISA_AMP_BF16) k->unsafe += (unsigned)!bf16_safe(v) - !bf16_safe(k->w[i]);
        k->w[i] = v;
    }
}

/* acc[j] = (((acc[j] + x0 w0j) + x1 w1j) + x2 w2j) + x3 w3j, every product
 * exact; then every NaN becomes the canonical NaN. */
static void accumulate16(float *restrict acc, const float *restrict x, const float *restrict w) {
    float x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    for (int j = 0; j < 16; j++) {
        float s = acc[j];
        s = s + x0 * w[j];
        s = s + x1 * w[16 + j];
        s = s + x2 * w[32 + j];
        s = s + x3 * w[48 + j];
        acc[j] = s;
    }
}

static void canonical_nans(uint32_t *restrict acc) {
    for (int j = 0; j < 16; j++) acc[j] = (acc[j] & 0x7fffffffu) > 0x7f800000u ? ISA_NAN32 : acc[j];
}

/* fmaf(x, w, a), bit for bit (see the top of the file). */
static inline float mac(float x, float w, float a) {
    double sum = (double)x * (double)w + (double)a;
    uint64_t b;
    memcpy(&b, &sum, sizeof b);
    unsigned e = (unsigned)(b >> 52) & 0x7ff; /* normal floats: 1023 - 126 .. 1023 + 127 */
    if (e - (1023 - 126) > 253 || (b & 0x1fffffffu) == 0x10000000u) return fmaf(x, w, a);
    return (float)sum;
}

static uint32_t canonical(float a) {
    return a == a ? f32_bits(a) : ISA_NAN32;
}

/* f32: 2 rows of 16 f32 weights (64 bytes each). */
static void multiply_f32(uint32_t *restrict acc, uint64_t x, const uint8_t *restrict w) {
    float x0 = f32_from_bits((uint32_t)x), x1 = f32_from_bits((uint32_t)(x >> 32));
    for (int j = 0; j < 16; j++) {
        float w0, w1;
        memcpy(&w0, w + 4 * j, 4);
        memcpy(&w1, w + 64 + 4 * j, 4);
        acc[j] = canonical(mac(x1, w1, mac(x0, w0, f32_from_bits(acc[j]))));
    }
}

/* 16-bit weights whose products may not be exact in f32. */
static void multiply16_exact(uint32_t *restrict acc, const float *restrict x,
                             const float *restrict w) {
    for (int j = 0; j < 16; j++) {
        float a = f32_from_bits(acc[j]);
        for (int r = 0; r < 4; r++) a = mac(x[r], w[16 * r + j], a);
        acc[j] = canonical(a);
    }
}

static void multiply_i8(uint32_t *restrict acc, uint64_t x, const uint8_t *restrict w) {
    for (int r = 0; r < 8; r++) {
        int32_t xr = (int8_t)(uint8_t)(x >> 8 * r);
        for (int j = 0; j < 16; j++) acc[j] += (uint32_t)(xr * (int8_t)w[16 * r + j]);
    }
}

void sim_amp_multiply(SimTile *T, SimCtx *c, IsaAmpType type, uint64_t x) {
    const uint8_t *w = T->w + c->ptr;
    switch (type) {
    case ISA_AMP_F16:
    case ISA_AMP_BF16: {
        SimAmpCache *k = cache_for(T, (int)type);
        float xs[4];
        bool safe = type == ISA_AMP_F16 || k->unsafe == 0;
        for (int r = 0; r < 4; r++) {
            xs[r] = widen((int)type, (uint16_t)(x >> 16 * r));
            if (type == ISA_AMP_BF16) safe = safe && bf16_safe(xs[r]);
        }
        if (safe) {
            accumulate16(c->accf, xs, k->w + c->ptr / 2);
            canonical_nans(c->acc);
        } else {
            multiply16_exact(c->acc, xs, k->w + c->ptr / 2);
        }
        break;
    }
    case ISA_AMP_F32: multiply_f32(c->acc, x, w); break;
    case ISA_AMP_I8: multiply_i8(c->acc, x, w); break;
    }
    c->ptr += ISA_AMP_STEP; /* below WLEN, a multiple of AMP_STEP: wraps exactly at WLEN */
    if (c->ptr >= T->wlen) c->ptr = 0;
}

/*
 * Primitives without an instruction, as branch-free instruction sequences
 * over virtual registers (docs/backend.md, "Numerics"). Each is a
 * documented algorithm in f32; the errors are measured against the
 * evaluator (libm in double) by tests/unit/backend/test_mathlib.c.
 *
 *   sin, cos, tan  reduction by pi/2 in three parts (Cody and Waite, with
 *                  fma), then the minimax polynomials of Cephes' sinf/cosf
 *                  on [-pi/4, pi/4]; accurate while |x| < 2^16
 *   atan           Cephes' atanf: reduction to [0, tan(pi/8)] by
 *                  pi/2 - atan(1/x) and pi/4 + atan((x-1)/(x+1))
 *   asin, acos     Cephes' asinf polynomial on [0, 1/2], and
 *                  asin(x) = pi/2 - 2 asin(sqrt((1 - x)/2)) above
 *   sinh, cosh     a Taylor polynomial below 1 (sinh), else from
 *                  h = exp(|x| - ln 2): sinh = h - 1/(4h), cosh = h + 1/(4h)
 *   erf            Taylor to x^9 below 1/2, else Abramowitz and Stegun
 *                  7.1.26 (absolute error below 1.5e-7)
 *   pow            exp(b log|a|) with the signs and special cases of C's pow
 *   fmod           a - trunc(a/b) b by fma with one correction each way;
 *                  exact while |a/b| < 2^23
 *   integer / %    restoring division over the 32 bits, branch-free
 */
#include "internal.h"

#include <math.h>

static int32_t newa(VCode *v) {
    return vc_new(v, VC_A);
}

static int32_t newm(VCode *v) {
    return vc_new(v, VC_M);
}

int32_t math_const(VCode *v, float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    int32_t r = newa(v);
    vc_op(v, ISA_ALIH, r, 0, 0, (int32_t)(bits >> 16));
    if (bits & 0xffff) vc_op_rmw(v, ISA_ALIL, r, 0, 0, (int32_t)(bits & 0xffff));
    return r;
}

static int32_t f2(VCode *v, IsaOp op, int32_t a, int32_t b) {
    int32_t r = newa(v);
    vc_op(v, op, r, a, b, 0);
    return r;
}

static int32_t f1(VCode *v, IsaOp op, int32_t a) {
    int32_t r = newa(v);
    vc_op(v, op, r, a, 0, 0);
    return r;
}

/* c + a * b, one rounding. */
static int32_t fma3(VCode *v, int32_t c, int32_t a, int32_t b) {
    int32_t r = newa(v);
    vc_op(v, ISA_MOV32, r, c, 0, 0);
    vc_op_rmw(v, ISA_F32FMA, r, a, b, 0);
    return r;
}

/* c[0] z^(n-1) + ... + c[n-1] by Horner's rule. */
static int32_t horner(VCode *v, int32_t z, const float *c, int n) {
    int32_t p = math_const(v, c[0]);
    for (int i = 1; i < n; i++) {
        int32_t t = math_const(v, c[i]);
        vc_op_rmw(v, ISA_F32FMA, t, p, z, 0);
        p = t;
    }
    return p;
}

/* mask ? a : b, mask an all-ones/zero float mask (kept). */
static int32_t msel(VCode *v, int32_t mask, int32_t a, int32_t b) {
    int32_t r = newa(v);
    vc_op(v, ISA_MOV32, r, mask, 0, 0);
    vc_op_rmw(v, ISA_SEL32, r, a, b, 0);
    return r;
}

/* The sign bit of x put on |y|'s place: y must be non-negative. */
static int32_t with_sign_of(VCode *v, int32_t y, int32_t x) {
    int32_t sm = math_const(v, -0.0f), s = f2(v, ISA_AND32, x, sm);
    return f2(v, ISA_OR32, y, s);
}

/* A bool (m register, 0/1) as a float mask. */
static int32_t bool_mask(VCode *v, int32_t b) {
    int32_t n = newm(v), a = newa(v);
    vc_op(v, ISA_SUB, n, VPHYS(0), b, 0);
    vc_op(v, ISA_MTOA, a, n, 0, 0);
    return a;
}

/* ---- sin, cos, tan ----------------------------------------------------------------------- */

static const float sin_c[] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
static const float cos_c[] = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};

/* x = k pi/2 + r, |r| <= pi/4; *q gets k (an m register). */
static int32_t reduce_pio2(VCode *v, int32_t x, int32_t *q) {
    int32_t twoopi = math_const(v, 0.636619772367581343f);
    int32_t kf = f1(v, ISA_F32RINT, f2(v, ISA_F32MUL, x, twoopi));
    int32_t nk = f1(v, ISA_F32NEG, kf);
    int32_t r = fma3(v, x, nk, math_const(v, 1.57079637050628662109375f));
    r = fma3(v, r, nk, math_const(v, -4.37113900018624283e-8f));
    r = fma3(v, r, nk, math_const(v, -1.7151245100059149e-15f));
    int32_t ki = f1(v, ISA_F32TOI32, kf), m = newm(v);
    vc_op(v, ISA_ATOM, m, ki, 0, 0);
    *q = m;
    return r;
}

static int32_t sin_poly(VCode *v, int32_t r, int32_t z) {
    int32_t p = horner(v, z, sin_c, 3);
    int32_t pz = f2(v, ISA_F32MUL, p, z);
    return fma3(v, r, pz, r);
}

static int32_t cos_poly(VCode *v, int32_t z) {
    int32_t p = horner(v, z, cos_c, 3);
    int32_t w = f2(v, ISA_F32MUL, z, z);
    int32_t c = fma3(v, math_const(v, 1.0f), z, math_const(v, -0.5f));
    return fma3(v, c, w, p);
}

/* sin (quadrant shift 0) or cos (shift 1) of x. */
static int32_t sincos(VCode *v, int32_t x, int shift) {
    int32_t q;
    int32_t r = reduce_pio2(v, x, &q);
    int32_t z = f2(v, ISA_F32MUL, r, r);
    int32_t s = sin_poly(v, r, z), c = cos_poly(v, z);
    if (shift) {
        int32_t q1 = newm(v);
        vc_op(v, ISA_ADDI, q1, q, 0, shift);
        q = q1;
    }
    int32_t odd = newm(v), two = newm(v), sh = newm(v), sa = newa(v);
    vc_op(v, ISA_ANDI, odd, q, 0, 1);
    vc_op(v, ISA_ANDI, two, q, 0, 2);
    vc_op(v, ISA_SHLI, sh, two, 0, 30);
    vc_op(v, ISA_MTOA, sa, sh, 0, 0);
    int32_t val = msel(v, bool_mask(v, odd), c, s);
    return f2(v, ISA_XOR32, val, sa);
}

int32_t math_sin(VCode *v, int32_t x) {
    return sincos(v, x, 0);
}

int32_t math_cos(VCode *v, int32_t x) {
    return sincos(v, x, 1);
}

int32_t math_tan(VCode *v, int32_t x) {
    int32_t q;
    int32_t r = reduce_pio2(v, x, &q);
    int32_t z = f2(v, ISA_F32MUL, r, r);
    int32_t s = sin_poly(v, r, z), c = cos_poly(v, z);
    int32_t odd = newm(v);
    vc_op(v, ISA_ANDI, odd, q, 0, 1);
    int32_t m = bool_mask(v, odd);
    int32_t num = msel(v, m, c, s), den = msel(v, m, s, c);
    int32_t t = f2(v, ISA_F32DIV, num, den);
    /* odd quadrants: -cos/sin */
    int32_t sh = newm(v), sa = newa(v);
    vc_op(v, ISA_SHLI, sh, odd, 0, 31);
    vc_op(v, ISA_MTOA, sa, sh, 0, 0);
    return f2(v, ISA_XOR32, t, sa);
}

/* ---- atan, asin, acos ---------------------------------------------------------------------- */

int32_t math_atan(VCode *v, int32_t x) {
    static const float c[] = {8.05374449538e-2f, -1.38776856032e-1f, 1.99777106478e-1f,
                              -3.33329491539e-1f};
    int32_t a = f1(v, ISA_F32ABS, x);
    int32_t one = math_const(v, 1.0f);
    int32_t big = f2(v, ISA_F32CMPLT, math_const(v, 2.414213562373095f), a);
    int32_t mid = f2(v, ISA_F32CMPLT, math_const(v, 0.4142135623730950f), a);
    int32_t xb = f1(v, ISA_F32NEG, f2(v, ISA_F32DIV, one, a));
    int32_t xm = f2(v, ISA_F32DIV, f2(v, ISA_F32SUB, a, one), f2(v, ISA_F32ADD, a, one));
    int32_t xr = msel(v, big, xb, msel(v, mid, xm, a));
    int32_t y0 = msel(v, big, math_const(v, 1.5707963267948966f),
                      msel(v, mid, math_const(v, 0.7853981633974483f), math_const(v, 0.0f)));
    int32_t z = f2(v, ISA_F32MUL, xr, xr);
    int32_t p = horner(v, z, c, 4);
    int32_t y = fma3(v, xr, f2(v, ISA_F32MUL, p, z), xr);
    return with_sign_of(v, f2(v, ISA_F32ADD, y0, y), x);
}

/* asin on [-1/2, 1/2]: x + x^3 P(x^2). */
static int32_t asin_core(VCode *v, int32_t x) {
    static const float c[] = {4.2163199048e-2f, 2.4181311049e-2f, 4.5470025998e-2f,
                              7.4953002686e-2f, 1.6666752422e-1f};
    int32_t z = f2(v, ISA_F32MUL, x, x);
    int32_t p = horner(v, z, c, 5);
    return fma3(v, x, f2(v, ISA_F32MUL, p, z), x);
}

/* sqrt((1 - |x|) / 2) and the mask |x| > 1/2. */
static int32_t half_angle(VCode *v, int32_t x, int32_t *big) {
    int32_t a = f1(v, ISA_F32ABS, x), half = math_const(v, 0.5f);
    *big = f2(v, ISA_F32CMPLT, half, a);
    int32_t t = f2(v, ISA_F32MUL, f2(v, ISA_F32SUB, math_const(v, 1.0f), a), half);
    return f1(v, ISA_F32SQRT, t);
}

int32_t math_asin(VCode *v, int32_t x) {
    int32_t big, s = half_angle(v, x, &big);
    int32_t a = f1(v, ISA_F32ABS, x);
    int32_t y = asin_core(v, msel(v, big, s, a));
    int32_t yb = fma3(v, math_const(v, 1.5707963267948966f), math_const(v, -2.0f), y);
    return with_sign_of(v, msel(v, big, yb, y), x);
}

int32_t math_acos(VCode *v, int32_t x) {
    int32_t big, s = half_angle(v, x, &big);
    int32_t cs = asin_core(v, msel(v, big, s, x));
    int32_t two = f2(v, ISA_F32ADD, cs, cs);
    int32_t negx = f2(v, ISA_F32CMPLT, x, math_const(v, 0.0f));
    int32_t bigv = msel(v, negx, f2(v, ISA_F32SUB, math_const(v, 3.14159265358979f), two), two);
    int32_t small = f2(v, ISA_F32SUB, math_const(v, 1.5707963267948966f), cs);
    return msel(v, big, bigv, small);
}

/* ---- sinh, cosh, erf ----------------------------------------------------------------------- */

/* h = exp(|x| - ln 2) = e^|x| / 2, finite up to |x| of about 89.4. */
static int32_t half_exp(VCode *v, int32_t x) {
    int32_t a = f1(v, ISA_F32ABS, x);
    return f1(v, ISA_F32EXP, f2(v, ISA_F32SUB, a, math_const(v, 0.693147180559945f)));
}

int32_t math_sinh(VCode *v, int32_t x) {
    static const float c[] = {1.0f / 362880, 1.0f / 5040, 1.0f / 120, 1.0f / 6};
    int32_t z = f2(v, ISA_F32MUL, x, x);
    int32_t p = horner(v, z, c, 4);
    int32_t small = fma3(v, x, f2(v, ISA_F32MUL, p, z), x);
    int32_t h = half_exp(v, x);
    int32_t q = f2(v, ISA_F32DIV, math_const(v, 0.25f), h);
    int32_t big = with_sign_of(v, f2(v, ISA_F32SUB, h, q), x);
    int32_t a = f1(v, ISA_F32ABS, x);
    int32_t is_small = f2(v, ISA_F32CMPLT, a, math_const(v, 1.0f));
    return msel(v, is_small, small, big);
}

int32_t math_cosh(VCode *v, int32_t x) {
    int32_t h = half_exp(v, x);
    return f2(v, ISA_F32ADD, h, f2(v, ISA_F32DIV, math_const(v, 0.25f), h));
}

int32_t math_erf(VCode *v, int32_t x) {
    static const float taylor[] = {1.0f / 216, -1.0f / 42, 1.0f / 10, -1.0f / 3, 1.0f};
    static const float as[] = {1.061405429f, -1.453152027f, 1.421413741f, -0.284496736f,
                               0.254829592f};
    int32_t z = f2(v, ISA_F32MUL, x, x);
    int32_t p = horner(v, z, taylor, 5);
    int32_t small = f2(v, ISA_F32MUL, f2(v, ISA_F32MUL, p, x), math_const(v, 1.1283791670955126f));
    int32_t a = f1(v, ISA_F32ABS, x);
    int32_t t = f2(v, ISA_F32DIV, math_const(v, 1.0f),
                   fma3(v, math_const(v, 1.0f), math_const(v, 0.3275911f), a));
    int32_t poly = f2(v, ISA_F32MUL, horner(v, t, as, 5), t);
    int32_t e = f1(v, ISA_F32EXP, f1(v, ISA_F32NEG, z));
    int32_t y = fma3(v, math_const(v, 1.0f), f1(v, ISA_F32NEG, poly), e);
    int32_t big = with_sign_of(v, y, x);
    int32_t is_small = f2(v, ISA_F32CMPLT, a, math_const(v, 0.5f));
    return msel(v, is_small, small, big);
}

/* ---- pow, fmod -------------------------------------------------------------------------- */

int32_t math_pow(VCode *v, int32_t a, int32_t b) {
    int32_t abs_a = f1(v, ISA_F32ABS, a);
    int32_t r = f1(v, ISA_F32EXP, f2(v, ISA_F32MUL, b, f1(v, ISA_F32LOG, abs_a)));
    int32_t bi = f1(v, ISA_F32RINT, b);
    int32_t is_int = f2(v, ISA_F32CMPEQ, bi, b);
    int32_t hb = f2(v, ISA_F32MUL, b, math_const(v, 0.5f));
    int32_t even = f2(v, ISA_F32CMPEQ, f1(v, ISA_F32RINT, hb), hb);
    int32_t negr = msel(v, even, r, f1(v, ISA_F32NEG, r));
    int32_t nan = math_const(v, NAN);
    int32_t neg_base = msel(v, is_int, negr, nan);
    int32_t zero = math_const(v, 0.0f), one = math_const(v, 1.0f);
    int32_t is_neg = f2(v, ISA_F32CMPLT, a, zero);
    int32_t res = msel(v, is_neg, neg_base, r);
    res = msel(v, f2(v, ISA_F32CMPEQ, a, one), one, res);
    return msel(v, f2(v, ISA_F32CMPEQ, b, zero), one, res);
}

/* Where the signs of x and y differ and x is not zero: a float mask. */
static int32_t signs_differ(VCode *v, int32_t x, int32_t y, int32_t zero) {
    int32_t xn = f2(v, ISA_F32CMPLT, x, zero), yn = f2(v, ISA_F32CMPLT, y, zero);
    int32_t d = f2(v, ISA_XOR32, xn, yn);
    return f2(v, ISA_ANDN32, d, f2(v, ISA_F32CMPEQ, x, zero));
}

int32_t math_fmod(VCode *v, int32_t a, int32_t b, bool c_fmod) {
    int32_t zero = math_const(v, 0.0f);
    int32_t q = f2(v, ISA_F32DIV, a, b);
    int32_t qpos = f2(v, ISA_F32CMPLE, zero, q);
    int32_t qt = msel(v, qpos, f1(v, ISA_F32FLOOR, q), f1(v, ISA_F32CEIL, q));
    int32_t r = fma3(v, a, f1(v, ISA_F32NEG, qt), b);
    /* one step of the quotient moves r by |b| with a's sign */
    int32_t ab = f1(v, ISA_F32ABS, b), sab = with_sign_of(v, ab, a);
    int32_t over_by_one = signs_differ(v, r, a, zero);
    r = f2(v, ISA_F32ADD, r, msel(v, over_by_one, sab, zero));
    int32_t short_by_one = f2(v, ISA_F32CMPLE, ab, f1(v, ISA_F32ABS, r));
    r = f2(v, ISA_F32SUB, r, msel(v, short_by_one, sab, zero));
    if (!c_fmod) /* the divisor's sign */
        r = f2(v, ISA_F32ADD, r, msel(v, signs_differ(v, r, b, zero), b, zero));
    return r;
}

/* ---- Integer division ------------------------------------------------------------------- */

/* Unsigned n / d and n % d, branch-free over the 32 bits. */
static void udivmod(VCode *v, int32_t n, int32_t d, int32_t *q, int32_t *r) {
    int32_t qq = VPHYS(0), rr = VPHYS(0), nn = n;
    for (int i = 0; i < 32; i++) {
        int32_t bit = newm(v), n2 = newm(v), r2 = newm(v), r3 = newm(v), ge = newm(v), t = newm(v),
                q2 = newm(v), q3 = newm(v);
        vc_op(v, ISA_SHRI, bit, nn, 0, 31);
        vc_op(v, ISA_SHLI, n2, nn, 0, 1);
        vc_op(v, ISA_SHLI, r2, rr, 0, 1);
        vc_op(v, ISA_OR, r3, r2, bit, 0);
        vc_op(v, ISA_CMPLEU, ge, d, r3, 0);
        vc_op(v, ISA_SUB, t, r3, d, 0);
        vc_op(v, ISA_SHLI, q2, qq, 0, 1);
        vc_op(v, ISA_OR, q3, q2, ge, 0);
        vc_op_rmw(v, ISA_SEL, ge, t, r3, 0); /* ge becomes the new remainder */
        nn = n2;
        rr = ge;
        qq = q3;
    }
    *q = qq;
    *r = rr;
}

/* |x| as unsigned, and the sign mask (0 or -1). */
static int32_t uabs(VCode *v, int32_t x, int32_t *sign) {
    int32_t s = newm(v), y = newm(v), r = newm(v);
    vc_op(v, ISA_SARI, s, x, 0, 31);
    vc_op(v, ISA_XOR, y, x, s, 0);
    vc_op(v, ISA_SUB, r, y, s, 0);
    *sign = s;
    return r;
}

/* (x ^ s) - s: x negated where s is -1. */
static int32_t apply_sign(VCode *v, int32_t x, int32_t s) {
    int32_t y = newm(v), r = newm(v);
    vc_op(v, ISA_XOR, y, x, s, 0);
    vc_op(v, ISA_SUB, r, y, s, 0);
    return r;
}

static int32_t zero_if(VCode *v, int32_t cond, int32_t x) {
    int32_t r = newm(v);
    vc_op(v, ISA_ADDI, r, cond, 0, 0);
    vc_op_rmw(v, ISA_SEL, r, VPHYS(0), x, 0);
    return r;
}

int32_t math_idiv(VCode *v, int32_t a, int32_t b) {
    int32_t sa, sb, q, r;
    int32_t ua = uabs(v, a, &sa), ub = uabs(v, b, &sb);
    udivmod(v, ua, ub, &q, &r);
    int32_t s = newm(v), bz = newm(v);
    vc_op(v, ISA_XOR, s, sa, sb, 0);
    vc_op(v, ISA_CMPEQ, bz, b, VPHYS(0), 0);
    return zero_if(v, bz, apply_sign(v, q, s));
}

int32_t math_imod(VCode *v, int32_t a, int32_t b, bool c_fmod) {
    int32_t sa, sb, q, r;
    int32_t ua = uabs(v, a, &sa), ub = uabs(v, b, &sb);
    udivmod(v, ua, ub, &q, &r);
    int32_t rs = apply_sign(v, r, sa); /* the sign of a, as C's % */
    if (!c_fmod) {
        /* the divisor's sign: add b when r != 0 and their signs differ */
        int32_t rn = newm(v), bn = newm(v), diff = newm(v), nz = newm(v), fix = newm(v),
                rb = newm(v);
        vc_op(v, ISA_CMPLT, rn, rs, VPHYS(0), 0);
        vc_op(v, ISA_CMPLT, bn, b, VPHYS(0), 0);
        vc_op(v, ISA_XOR, diff, rn, bn, 0);
        vc_op(v, ISA_CMPNE, nz, rs, VPHYS(0), 0);
        vc_op(v, ISA_AND, fix, diff, nz, 0);
        vc_op(v, ISA_ADD, rb, rs, b, 0);
        int32_t sel = newm(v);
        vc_op(v, ISA_ADDI, sel, fix, 0, 0);
        vc_op_rmw(v, ISA_SEL, sel, rb, rs, 0);
        rs = sel;
    }
    int32_t bz = newm(v), bm1 = newm(v), bad = newm(v);
    vc_op(v, ISA_CMPEQ, bz, b, VPHYS(0), 0);
    vc_op(v, ISA_CMPEQI, bm1, b, 0, -1);
    vc_op(v, ISA_OR, bad, bz, bm1, 0);
    return zero_if(v, bad, rs);
}

/*
 * Kernel bodies: the scalar primitives of a fused kernel's body as
 * instructions over virtual registers (vcode.c), one element at a time.
 *
 * Values: f32 in an a register; i32, i8, u8 and bool in an m register,
 * normalised (i8 sign-extended, u8 zero-extended, bool 0 or 1, so signed
 * comparisons and extensions need nothing); i64 in two m registers (low,
 * high). Every primitive computes as the IR's numerics say (docs/ir.md):
 * integers wrap to their width, float comparisons with NaN are false,
 * max/min propagate NaN. Primitives without an instruction come from
 * mathlib.c.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

static int32_t newa(VCode *v) {
    return vc_new(v, VC_A);
}

static int32_t newm(VCode *v) {
    return vc_new(v, VC_M);
}

static BVal val1(AccDtype t, int32_t r) {
    return (BVal){t, {r, 0}};
}

static int32_t iconst(VCode *v, int32_t x) {
    int32_t r = newm(v);
    if (x >= -(1 << 20) && x < (1 << 20)) {
        vc_op(v, ISA_LI, r, 0, 0, x);
    } else {
        vc_op(v, ISA_LI, r, 0, 0, (int32_t)((uint32_t)x & 0xffff));
        vc_op_rmw(v, ISA_LIH, r, 0, 0, (int32_t)(((uint32_t)x >> 16) & 0xffff));
    }
    return r;
}

/* An i8/u8 result wrapped to its width. */
static int32_t normalise(VCode *v, AccDtype t, int32_t x) {
    if (t == ACC_DTYPE_I8) {
        int32_t s = newm(v), r = newm(v);
        vc_op(v, ISA_SHLI, s, x, 0, 24);
        vc_op(v, ISA_SARI, r, s, 0, 24);
        return r;
    }
    if (t == ACC_DTYPE_U8) {
        int32_t r = newm(v);
        vc_op(v, ISA_ANDI, r, x, 0, 0xff);
        return r;
    }
    if (t == ACC_DTYPE_BOOL) {
        int32_t r = newm(v);
        vc_op(v, ISA_CMPNE, r, x, VPHYS(0), 0);
        return r;
    }
    return x;
}

/* A float mask (all ones or zero) as a bool 0/1. */
static int32_t mask_to_bool(VCode *v, int32_t mask) {
    int32_t m = newm(v), b = newm(v);
    vc_op(v, ISA_ATOM, m, mask, 0, 0);
    vc_op(v, ISA_ANDI, b, m, 0, 1);
    return b;
}

/* cond ? a : b for f32 values, cond a bool. */
static int32_t fselect(VCode *v, int32_t cond, int32_t a, int32_t b) {
    int32_t neg = newm(v), mask = newa(v);
    vc_op(v, ISA_SUB, neg, VPHYS(0), cond, 0);
    vc_op(v, ISA_MTOA, mask, neg, 0, 0);
    vc_op_rmw(v, ISA_SEL32, mask, a, b, 0);
    return mask;
}

/* cond ? a : b for m values, cond a bool (or any integer). */
static int32_t iselect(VCode *v, int32_t cond, int32_t a, int32_t b) {
    int32_t r = newm(v);
    vc_op(v, ISA_ADDI, r, cond, 0, 0);
    vc_op_rmw(v, ISA_SEL, r, a, b, 0);
    return r;
}

/* ---- Loads, stores, casts ---------------------------------------------------------- */

BVal body_load(VCode *v, AccDtype t, int ptr, int32_t step) {
    int32_t p = VPHYS(ptr);
    switch (t) {
    case ACC_DTYPE_F32: {
        int32_t a = newa(v);
        vc_load_pi(v, ISA_LD32_PI, a, p, step);
        return val1(ACC_DTYPE_F32, a);
    }
    case ACC_DTYPE_F16:
    case ACC_DTYPE_BF16: {
        int32_t m = newm(v), a = newa(v);
        vc_load_pi(v, ISA_LDH_PI, m, p, step);
        if (t == ACC_DTYPE_F16) {
            int32_t h = newa(v);
            vc_op(v, ISA_MTOA, h, m, 0, 0);
            vc_op(v, ISA_F16TOF32, a, h, 0, 0);
        } else {
            int32_t s = newm(v);
            vc_op(v, ISA_SHLI, s, m, 0, 16);
            vc_op(v, ISA_MTOA, a, s, 0, 0);
        }
        return val1(ACC_DTYPE_F32, a);
    }
    case ACC_DTYPE_I32: {
        int32_t m = newm(v);
        vc_load_pi(v, ISA_LDW_PI, m, p, step);
        return val1(t, m);
    }
    case ACC_DTYPE_I8: {
        int32_t m = newm(v);
        vc_load_pi(v, ISA_LDBS_PI, m, p, step);
        return val1(t, m);
    }
    case ACC_DTYPE_U8:
    case ACC_DTYPE_BOOL: {
        int32_t m = newm(v);
        vc_load_pi(v, ISA_LDB_PI, m, p, step);
        return val1(t, m);
    }
    case ACC_DTYPE_I64: {
        int32_t lo = newm(v), hi = newm(v);
        vc_load_pi(v, ISA_LDW_PI, lo, p, 4);
        vc_load_pi(v, ISA_LDW_PI, hi, p, step - 4);
        return (BVal){t, {lo, hi}};
    }
    default: ice("body: cannot load %s", dtype_name(t));
    }
}

void body_store(VCode *v, BVal x, AccDtype t, int ptr, int32_t step) {
    int32_t p = VPHYS(ptr);
    switch (t) {
    case ACC_DTYPE_F32: vc_store(v, ISA_ST32_PI, x.v[0], p, step); return;
    case ACC_DTYPE_F16:
    case ACC_DTYPE_BF16: {
        int32_t h = newa(v), m = newm(v);
        vc_op(v, t == ACC_DTYPE_F16 ? ISA_F32TOF16 : ISA_F32TOBF16, h, x.v[0], 0, 0);
        vc_op(v, ISA_ATOM, m, h, 0, 0);
        vc_store(v, ISA_STH_PI, m, p, step);
        return;
    }
    case ACC_DTYPE_I32: vc_store(v, ISA_STW_PI, x.v[0], p, step); return;
    case ACC_DTYPE_I8:
    case ACC_DTYPE_U8:
    case ACC_DTYPE_BOOL: vc_store(v, ISA_STB_PI, x.v[0], p, step); return;
    case ACC_DTYPE_I64:
        vc_store(v, ISA_STW_PI, x.v[0], p, 4);
        vc_store(v, ISA_STW_PI, x.v[1], p, step - 4);
        return;
    default: ice("body: cannot store %s", dtype_name(t));
    }
}

/* f32 to i64: truncated toward zero, saturated, NaN to 0. */
static BVal f32_to_i64(VCode *v, int32_t x) {
    int32_t t = newa(v), small_lo = newm(v), small_hi = newm(v);
    vc_op(v, ISA_F32TOI32Z, t, x, 0, 0);
    vc_op(v, ISA_ATOM, small_lo, t, 0, 0);
    vc_op(v, ISA_SARI, small_hi, small_lo, 0, 31);
    /* |x| >= 2^31: x is integral; hi = floor(x / 2^32), the rest exact */
    int32_t ax = newa(v), two31 = math_const(v, 2147483648.0f), bigm = newa(v);
    vc_op(v, ISA_F32ABS, ax, x, 0, 0);
    vc_op(v, ISA_F32CMPLE, bigm, two31, ax, 0);
    int32_t big = mask_to_bool(v, bigm);
    int32_t inv = math_const(v, 0x1p-32f), hs = newa(v), hf = newa(v), hi_a = newa(v), hi = newm(v);
    vc_op(v, ISA_F32MUL, hs, x, inv, 0);
    vc_op(v, ISA_F32FLOOR, hf, hs, 0, 0);
    vc_op(v, ISA_F32TOI32Z, hi_a, hf, 0, 0);
    vc_op(v, ISA_ATOM, hi, hi_a, 0, 0);
    int32_t r = newa(v), neg = newa(v), two32 = math_const(v, 0x1p32f);
    vc_op(v, ISA_F32NEG, neg, hf, 0, 0);
    vc_op(v, ISA_MOV32, r, x, 0, 0);
    vc_op_rmw(v, ISA_F32FMA, r, neg, two32, 0); /* x - hf * 2^32, exact, in [0, 2^32) */
    /* r >= 2^31: subtract 2^31 before converting, then set the top bit */
    int32_t hm = newa(v), hib = 0, rr = newa(v), ri = newa(v), lo_m = newm(v), top = newm(v),
            lo = newm(v);
    vc_op(v, ISA_F32CMPLE, hm, two31, r, 0);
    hib = mask_to_bool(v, hm);
    int32_t sub = fselect(v, hib, two31, math_const(v, 0.0f));
    vc_op(v, ISA_F32SUB, rr, r, sub, 0);
    vc_op(v, ISA_F32TOI32Z, ri, rr, 0, 0);
    vc_op(v, ISA_ATOM, lo_m, ri, 0, 0);
    vc_op(v, ISA_SHLI, top, hib, 0, 31);
    vc_op(v, ISA_OR, lo, lo_m, top, 0);
    /* |x| >= 2^63 saturates: hi is already saturated, lo follows hi's sign */
    int32_t two63 = math_const(v, 0x1p63f), satm = newa(v), sat = 0, ones = newm(v);
    vc_op(v, ISA_F32CMPLE, satm, two63, ax, 0);
    sat = mask_to_bool(v, satm);
    vc_op(v, ISA_SARI, ones, hi, 0, 31); /* -1 for negative: lo 0; else lo all ones */
    int32_t allones = iconst(v, -1), satlo2 = newm(v);
    vc_op(v, ISA_XOR, satlo2, ones, allones, 0); /* positive: -1, negative: 0 */
    int32_t lo2 = iselect(v, sat, satlo2, lo);
    int32_t rlo = iselect(v, big, lo2, small_lo), rhi = iselect(v, big, hi, small_hi);
    return (BVal){ACC_DTYPE_I64, {rlo, rhi}};
}

/* i64 to f32: exact values in i32's range convert with one rounding, the
 * others as hi * 2^32 + lo (two roundings). */
static int32_t i64_to_f32(VCode *v, BVal x) {
    int32_t sext = newm(v), fits = newm(v);
    vc_op(v, ISA_SARI, sext, x.v[0], 0, 31);
    vc_op(v, ISA_CMPEQ, fits, sext, x.v[1], 0);
    int32_t la = newa(v), lf = newa(v);
    vc_op(v, ISA_MTOA, la, x.v[0], 0, 0);
    vc_op(v, ISA_I32TOF32, lf, la, 0, 0);
    /* lo as unsigned: add 2^32 when its top bit is set */
    int32_t neg = newm(v), adj = 0, lu = newa(v);
    vc_op(v, ISA_CMPLT, neg, x.v[0], VPHYS(0), 0);
    adj = fselect(v, neg, math_const(v, 0x1p32f), math_const(v, 0.0f));
    vc_op(v, ISA_F32ADD, lu, lf, adj, 0);
    int32_t ha = newa(v), hf = newa(v), big = newa(v);
    vc_op(v, ISA_MTOA, ha, x.v[1], 0, 0);
    vc_op(v, ISA_I32TOF32, hf, ha, 0, 0);
    vc_op(v, ISA_MOV32, big, lu, 0, 0);
    vc_op_rmw(v, ISA_F32FMA, big, hf, math_const(v, 0x1p32f), 0);
    return fselect(v, fits, lf, big);
}

BVal body_cast(VCode *v, BVal x, AccDtype t) {
    AccDtype f = x.t;
    if (t == ACC_DTYPE_F16 || t == ACC_DTYPE_BF16) t = ACC_DTYPE_F32;
    if (f == t) return x;
    if (f == ACC_DTYPE_F32) {
        if (t == ACC_DTYPE_BOOL) {
            int32_t z = math_const(v, 0.0f), m = newa(v);
            vc_op(v, ISA_F32CMPEQ, m, x.v[0], z, 0);
            int32_t b = mask_to_bool(v, m), r = newm(v);
            vc_op(v, ISA_XORI, r, b, 0, 1); /* NaN != 0 */
            return val1(t, r);
        }
        if (t == ACC_DTYPE_I64) return f32_to_i64(v, x.v[0]);
        int32_t a = newa(v), m = newm(v);
        vc_op(v, ISA_F32TOI32Z, a, x.v[0], 0, 0);
        vc_op(v, ISA_ATOM, m, a, 0, 0);
        if (t == ACC_DTYPE_I8 || t == ACC_DTYPE_U8) {
            int32_t lo = iconst(v, t == ACC_DTYPE_I8 ? -128 : 0),
                    hi = iconst(v, t == ACC_DTYPE_I8 ? 127 : 255), c1 = newm(v), c2 = newm(v);
            vc_op(v, ISA_MIN, c1, m, hi, 0);
            vc_op(v, ISA_MAX, c2, c1, lo, 0);
            m = c2;
        }
        return val1(t, m);
    }
    if (f == ACC_DTYPE_I64) {
        if (t == ACC_DTYPE_F32) return val1(t, i64_to_f32(v, x));
        if (t == ACC_DTYPE_BOOL) {
            int32_t o = newm(v), r = newm(v);
            vc_op(v, ISA_OR, o, x.v[0], x.v[1], 0);
            vc_op(v, ISA_CMPNE, r, o, VPHYS(0), 0);
            return val1(t, r);
        }
        return val1(t, normalise(v, t, x.v[0]));
    }
    /* f is i32, i8, u8 or bool */
    if (t == ACC_DTYPE_F32) {
        int32_t a = newa(v), r = newa(v);
        vc_op(v, ISA_MTOA, a, x.v[0], 0, 0);
        vc_op(v, ISA_I32TOF32, r, a, 0, 0);
        return val1(t, r);
    }
    if (t == ACC_DTYPE_I64) {
        int32_t hi = newm(v);
        vc_op(v, ISA_SARI, hi, x.v[0], 0, 31);
        return (BVal){t, {x.v[0], hi}};
    }
    if (t == ACC_DTYPE_I32) return val1(t, x.v[0]);
    return val1(t, normalise(v, t, x.v[0]));
}

/* ---- i64 arithmetic -------------------------------------------------------------------- */

static BVal i64_add(VCode *v, BVal a, BVal b) {
    int32_t lo = newm(v), c = newm(v), h1 = newm(v), hi = newm(v);
    vc_op(v, ISA_ADD, lo, a.v[0], b.v[0], 0);
    vc_op(v, ISA_CMPLTU, c, lo, a.v[0], 0);
    vc_op(v, ISA_ADD, h1, a.v[1], b.v[1], 0);
    vc_op(v, ISA_ADD, hi, h1, c, 0);
    return (BVal){ACC_DTYPE_I64, {lo, hi}};
}

static BVal i64_sub(VCode *v, BVal a, BVal b) {
    int32_t lo = newm(v), c = newm(v), h1 = newm(v), hi = newm(v);
    vc_op(v, ISA_SUB, lo, a.v[0], b.v[0], 0);
    vc_op(v, ISA_CMPLTU, c, a.v[0], b.v[0], 0);
    vc_op(v, ISA_SUB, h1, a.v[1], b.v[1], 0);
    vc_op(v, ISA_SUB, hi, h1, c, 0);
    return (BVal){ACC_DTYPE_I64, {lo, hi}};
}

/* The high 32 bits of the unsigned product x * y. */
static int32_t mulhu(VCode *v, int32_t x, int32_t y) {
    int32_t xl = newm(v), xh = newm(v), yl = newm(v), yh = newm(v);
    vc_op(v, ISA_ANDI, xl, x, 0, 0xffff);
    vc_op(v, ISA_SHRI, xh, x, 0, 16);
    vc_op(v, ISA_ANDI, yl, y, 0, 0xffff);
    vc_op(v, ISA_SHRI, yh, y, 0, 16);
    int32_t p0 = newm(v), p1 = newm(v), p2 = newm(v), p3 = newm(v);
    vc_op(v, ISA_MUL, p0, xl, yl, 0);
    vc_op(v, ISA_MUL, p1, xl, yh, 0);
    vc_op(v, ISA_MUL, p2, xh, yl, 0);
    vc_op(v, ISA_MUL, p3, xh, yh, 0);
    int32_t m0 = newm(v), m1 = newm(v), m2 = newm(v), mid = newm(v), mid2 = newm(v);
    vc_op(v, ISA_SHRI, m0, p0, 0, 16);
    vc_op(v, ISA_ANDI, m1, p1, 0, 0xffff);
    vc_op(v, ISA_ANDI, m2, p2, 0, 0xffff);
    vc_op(v, ISA_ADD, mid, m0, m1, 0);
    vc_op(v, ISA_ADD, mid2, mid, m2, 0);
    int32_t h1 = newm(v), h2 = newm(v), h3 = newm(v), s1 = newm(v), s2 = newm(v), s3 = newm(v);
    vc_op(v, ISA_SHRI, h1, p1, 0, 16);
    vc_op(v, ISA_SHRI, h2, p2, 0, 16);
    vc_op(v, ISA_SHRI, h3, mid2, 0, 16);
    vc_op(v, ISA_ADD, s1, p3, h1, 0);
    vc_op(v, ISA_ADD, s2, s1, h2, 0);
    vc_op(v, ISA_ADD, s3, s2, h3, 0);
    return s3;
}

static BVal i64_mul(VCode *v, BVal a, BVal b) {
    int32_t lo = newm(v), x1 = newm(v), x2 = newm(v), t = newm(v), hi = newm(v);
    vc_op(v, ISA_MUL, lo, a.v[0], b.v[0], 0);
    int32_t h = mulhu(v, a.v[0], b.v[0]);
    vc_op(v, ISA_MUL, x1, a.v[0], b.v[1], 0);
    vc_op(v, ISA_MUL, x2, a.v[1], b.v[0], 0);
    vc_op(v, ISA_ADD, t, h, x1, 0);
    vc_op(v, ISA_ADD, hi, t, x2, 0);
    return (BVal){ACC_DTYPE_I64, {lo, hi}};
}

static BVal i64_neg(VCode *v, BVal a) {
    BVal zero = {ACC_DTYPE_I64, {VPHYS(0), VPHYS(0)}};
    return i64_sub(v, zero, a);
}

/* a < b (signed), a == b, as bools. */
static int32_t i64_lt(VCode *v, BVal a, BVal b) {
    int32_t hlt = newm(v), heq = newm(v), llt = newm(v), t = newm(v), r = newm(v);
    vc_op(v, ISA_CMPLT, hlt, a.v[1], b.v[1], 0);
    vc_op(v, ISA_CMPEQ, heq, a.v[1], b.v[1], 0);
    vc_op(v, ISA_CMPLTU, llt, a.v[0], b.v[0], 0);
    vc_op(v, ISA_AND, t, heq, llt, 0);
    vc_op(v, ISA_OR, r, hlt, t, 0);
    return r;
}

static int32_t i64_eq(VCode *v, BVal a, BVal b) {
    int32_t x = newm(v), y = newm(v), o = newm(v), r = newm(v);
    vc_op(v, ISA_XOR, x, a.v[0], b.v[0], 0);
    vc_op(v, ISA_XOR, y, a.v[1], b.v[1], 0);
    vc_op(v, ISA_OR, o, x, y, 0);
    vc_op(v, ISA_CMPEQ, r, o, VPHYS(0), 0);
    return r;
}

static BVal i64_select(VCode *v, int32_t c, BVal a, BVal b) {
    return (BVal){ACC_DTYPE_I64, {iselect(v, c, a.v[0], b.v[0]), iselect(v, c, a.v[1], b.v[1])}};
}

/* ---- The primitives ------------------------------------------------------------------ */

/* i64 truncating division and remainder (x / 0 = x % 0 = 0; mod with the
 * divisor's sign unless c_fmod): |a| / |b| by 64 unrolled steps of
 * restoring division on register pairs, straight-line code. */
static BVal i64_divmod(VCode *v, BVal a, BVal b, bool want_mod, bool c_fmod) {
    /* Only |b|, the running remainder and quotient and one word of flags
     * (bit 0: a < 0, bit 1: b < 0, bit 2: b == 0) live through the steps. */
    int32_t na = newm(v), nb = newm(v), bzl = newm(v), bzh = newm(v), bz = newm(v), f1 = newm(v),
            f2 = newm(v), f3 = newm(v), flags = newm(v);
    vc_op(v, ISA_CMPLT, na, a.v[1], VPHYS(0), 0);
    vc_op(v, ISA_CMPLT, nb, b.v[1], VPHYS(0), 0);
    vc_op(v, ISA_CMPEQ, bzl, b.v[0], VPHYS(0), 0);
    vc_op(v, ISA_CMPEQ, bzh, b.v[1], VPHYS(0), 0);
    vc_op(v, ISA_AND, bz, bzl, bzh, 0);
    vc_op(v, ISA_SHLI, f1, nb, 0, 1);
    vc_op(v, ISA_SHLI, f2, bz, 0, 2);
    vc_op(v, ISA_OR, f3, na, f1, 0);
    vc_op(v, ISA_OR, flags, f3, f2, 0);
    BVal ua = i64_select(v, na, i64_neg(v, a), a), ub = i64_select(v, nb, i64_neg(v, b), b);
    int32_t rlo = iconst(v, 0), rhi = iconst(v, 0), nlo = ua.v[0], nhi = ua.v[1];
    for (int step = 0; step < 64; step++) {
        int32_t top = newm(v), rt = newm(v), nt = newm(v), r1 = newm(v), r2 = newm(v), n1 = newm(v),
                n2 = newm(v), n3 = newm(v);
        vc_op(v, ISA_SHRI, top, nhi, 0, 31);
        vc_op(v, ISA_SHRI, rt, rlo, 0, 31);
        vc_op(v, ISA_SHLI, r1, rhi, 0, 1);
        vc_op(v, ISA_OR, r2, r1, rt, 0);
        int32_t l1 = newm(v), l2 = newm(v);
        vc_op(v, ISA_SHLI, l1, rlo, 0, 1);
        vc_op(v, ISA_OR, l2, l1, top, 0);
        vc_op(v, ISA_SHRI, nt, nlo, 0, 31);
        vc_op(v, ISA_SHLI, n1, nhi, 0, 1);
        vc_op(v, ISA_OR, n2, n1, nt, 0);
        vc_op(v, ISA_SHLI, n3, nlo, 0, 1);
        /* rem >= divisor (unsigned) */
        int32_t lth = newm(v), eqh = newm(v), ltl = newm(v), e1 = newm(v), lt = newm(v),
                ge = newm(v);
        vc_op(v, ISA_CMPLTU, lth, r2, ub.v[1], 0);
        vc_op(v, ISA_CMPEQ, eqh, r2, ub.v[1], 0);
        vc_op(v, ISA_CMPLTU, ltl, l2, ub.v[0], 0);
        vc_op(v, ISA_AND, e1, eqh, ltl, 0);
        vc_op(v, ISA_OR, lt, lth, e1, 0);
        vc_op(v, ISA_XORI, ge, lt, 0, 1);
        int32_t slo = newm(v), shi = newm(v), shi2 = newm(v);
        vc_op(v, ISA_SUB, slo, l2, ub.v[0], 0);
        vc_op(v, ISA_SUB, shi, r2, ub.v[1], 0);
        vc_op(v, ISA_SUB, shi2, shi, ltl, 0);
        rlo = iselect(v, ge, slo, l2);
        rhi = iselect(v, ge, shi2, r2);
        int32_t nq = newm(v);
        vc_op(v, ISA_OR, nq, n3, ge, 0);
        nlo = nq;
        nhi = n2;
    }
    BVal q = {ACC_DTYPE_I64, {nlo, nhi}}, r = {ACC_DTYPE_I64, {rlo, rhi}};
    BVal zero = {ACC_DTYPE_I64, {VPHYS(0), VPHYS(0)}};
    int32_t fa = newm(v), fb0 = newm(v), fb = newm(v), fz0 = newm(v), fz = newm(v);
    vc_op(v, ISA_ANDI, fa, flags, 0, 1);
    vc_op(v, ISA_SHRI, fb0, flags, 0, 1);
    vc_op(v, ISA_ANDI, fb, fb0, 0, 1);
    vc_op(v, ISA_SHRI, fz0, flags, 0, 2);
    vc_op(v, ISA_ANDI, fz, fz0, 0, 1);
    if (!want_mod) {
        int32_t sq = newm(v);
        vc_op(v, ISA_XOR, sq, fa, fb, 0);
        q = i64_select(v, sq, i64_neg(v, q), q);
        return i64_select(v, fz, zero, q);
    }
    r = i64_select(v, fa, i64_neg(v, r), r); /* the sign of a */
    if (!c_fmod) {
        int32_t rn = newm(v), diff = newm(v), nzl = newm(v), nzh = newm(v), nz = newm(v),
                fix = newm(v);
        vc_op(v, ISA_CMPLT, rn, r.v[1], VPHYS(0), 0);
        vc_op(v, ISA_XOR, diff, rn, fb, 0);
        vc_op(v, ISA_CMPNE, nzl, r.v[0], VPHYS(0), 0);
        vc_op(v, ISA_CMPNE, nzh, r.v[1], VPHYS(0), 0);
        vc_op(v, ISA_OR, nz, nzl, nzh, 0);
        vc_op(v, ISA_AND, fix, diff, nz, 0);
        BVal sb = i64_select(v, fb, i64_neg(v, ub), ub); /* b again */
        r = i64_select(v, fix, i64_add(v, r, sb), r);
    }
    return i64_select(v, fz, zero, r);
}

static int32_t fbin(VCode *v, IsaOp op, int32_t a, int32_t b) {
    int32_t r = newa(v);
    vc_op(v, op, r, a, b, 0);
    return r;
}

static int32_t ibin(VCode *v, IsaOp op, int32_t a, int32_t b) {
    int32_t r = newm(v);
    vc_op(v, op, r, a, b, 0);
    return r;
}

static int32_t fun(VCode *v, IsaOp op, int32_t a) {
    int32_t r = newa(v);
    vc_op(v, op, r, a, 0, 0);
    return r;
}

/* Integer power by squaring over every bit of the exponent, wrapping. */
static int32_t ipow(VCode *v, AccDtype t, int32_t a, int32_t b) {
    int32_t r = iconst(v, 1), base = a, e = b;
    for (int i = 0; i < 31; i++) {
        int32_t bit = newm(v), prod = newm(v), sq = newm(v), ne = newm(v);
        vc_op(v, ISA_ANDI, bit, e, 0, 1);
        vc_op(v, ISA_MUL, prod, r, base, 0);
        r = iselect(v, bit, prod, r);
        vc_op(v, ISA_MUL, sq, base, base, 0);
        vc_op(v, ISA_SHRI, ne, e, 0, 1);
        base = sq;
        e = ne;
    }
    /* a negative exponent: 1 for a == 1, +-1 for a == -1, else 0 */
    int32_t neg = newm(v), is1 = newm(v), ism1 = newm(v), odd = newm(v);
    vc_op(v, ISA_CMPLT, neg, b, VPHYS(0), 0);
    vc_op(v, ISA_CMPEQI, is1, a, 0, 1);
    vc_op(v, ISA_CMPEQI, ism1, a, 0, -1);
    vc_op(v, ISA_ANDI, odd, b, 0, 1);
    int32_t m1 = iconst(v, -1), one = iconst(v, 1);
    int32_t sm1 = iselect(v, odd, m1, one);
    int32_t nr = iselect(v, ism1, sm1, VPHYS(0));
    nr = iselect(v, is1, one, nr);
    return normalise(v, t, iselect(v, neg, nr, r));
}

/* i64 power by squaring, wrapping; a negative exponent truncates 1/a^-b
 * (1 for a == 1, +-1 for a == -1, else 0): 63 unrolled steps. */
static BVal i64_pow(VCode *v, BVal a, BVal b) {
    BVal r = {ACC_DTYPE_I64, {iconst(v, 1), iconst(v, 0)}}, base = a;
    int32_t elo = b.v[0], ehi = b.v[1];
    for (int i = 0; i < 63; i++) {
        int32_t bit = newm(v);
        vc_op(v, ISA_ANDI, bit, elo, 0, 1);
        r = i64_select(v, bit, i64_mul(v, r, base), r);
        if (i == 62) break;
        base = i64_mul(v, base, base);
        int32_t lo1 = newm(v), top = newm(v), lo = newm(v), hi = newm(v);
        vc_op(v, ISA_SHRI, lo1, elo, 0, 1);
        vc_op(v, ISA_SHLI, top, ehi, 0, 31);
        vc_op(v, ISA_OR, lo, lo1, top, 0);
        vc_op(v, ISA_SHRI, hi, ehi, 0, 1);
        elo = lo;
        ehi = hi;
    }
    int32_t neg = newm(v), is1l = newm(v), is1h = newm(v), is1 = newm(v), ism1l = newm(v),
            ism1h = newm(v), ism1 = newm(v), odd = newm(v);
    vc_op(v, ISA_CMPLT, neg, b.v[1], VPHYS(0), 0);
    vc_op(v, ISA_CMPEQI, is1l, a.v[0], 0, 1);
    vc_op(v, ISA_CMPEQ, is1h, a.v[1], VPHYS(0), 0);
    vc_op(v, ISA_AND, is1, is1l, is1h, 0);
    vc_op(v, ISA_CMPEQI, ism1l, a.v[0], 0, -1);
    vc_op(v, ISA_CMPEQI, ism1h, a.v[1], 0, -1);
    vc_op(v, ISA_AND, ism1, ism1l, ism1h, 0);
    vc_op(v, ISA_ANDI, odd, b.v[0], 0, 1);
    BVal one = {ACC_DTYPE_I64, {iconst(v, 1), VPHYS(0)}};
    BVal m1 = {ACC_DTYPE_I64, {iconst(v, -1), iconst(v, -1)}};
    BVal zero = {ACC_DTYPE_I64, {VPHYS(0), VPHYS(0)}};
    BVal nr = i64_select(v, ism1, i64_select(v, odd, m1, one), zero);
    nr = i64_select(v, is1, one, nr);
    return i64_select(v, neg, nr, r);
}

static BVal emit_unary(VCode *v, IrOpKind k, BVal x, AccDtype t) {
    if (x.t == ACC_DTYPE_F32) {
        int32_t a = x.v[0];
        switch (k) {
        case IR_OP_neg: return val1(t, fun(v, ISA_F32NEG, a));
        case IR_OP_abs: return val1(t, fun(v, ISA_F32ABS, a));
        case IR_OP_relu: {
            int32_t z = math_const(v, 0.0f), m = newa(v);
            vc_op(v, ISA_F32CMPLT, m, a, z, 0);
            vc_op_rmw(v, ISA_SEL32, m, z, a, 0);
            return val1(t, m);
        }
        case IR_OP_sign: {
            int32_t z = math_const(v, 0.0f), p = newa(v), n = newa(v);
            vc_op(v, ISA_F32CMPLT, p, z, a, 0);
            vc_op_rmw(v, ISA_SEL32, p, math_const(v, 1.0f), a, 0);
            vc_op(v, ISA_F32CMPLT, n, a, z, 0);
            vc_op_rmw(v, ISA_SEL32, n, math_const(v, -1.0f), p, 0);
            return val1(t, n);
        }
        case IR_OP_sigmoid: return val1(t, fun(v, ISA_F32SIGM, a));
        case IR_OP_tanh: return val1(t, fun(v, ISA_F32TANH, a));
        case IR_OP_exp: return val1(t, fun(v, ISA_F32EXP, a));
        case IR_OP_log: return val1(t, fun(v, ISA_F32LOG, a));
        case IR_OP_sqrt: return val1(t, fun(v, ISA_F32SQRT, a));
        case IR_OP_rsqrt: return val1(t, fun(v, ISA_F32RSQRT, a));
        case IR_OP_floor: return val1(t, fun(v, ISA_F32FLOOR, a));
        case IR_OP_ceil: return val1(t, fun(v, ISA_F32CEIL, a));
        case IR_OP_round: return val1(t, fun(v, ISA_F32RINT, a));
        case IR_OP_sin: return val1(t, math_sin(v, a));
        case IR_OP_cos: return val1(t, math_cos(v, a));
        case IR_OP_tan: return val1(t, math_tan(v, a));
        case IR_OP_asin: return val1(t, math_asin(v, a));
        case IR_OP_acos: return val1(t, math_acos(v, a));
        case IR_OP_atan: return val1(t, math_atan(v, a));
        case IR_OP_sinh: return val1(t, math_sinh(v, a));
        case IR_OP_cosh: return val1(t, math_cosh(v, a));
        case IR_OP_erf: return val1(t, math_erf(v, a));
        case IR_OP_is_nan: {
            int32_t m = newa(v), b = newm(v), r = newm(v);
            vc_op(v, ISA_F32CMPEQ, m, a, a, 0);
            vc_op(v, ISA_ATOM, b, m, 0, 0);
            vc_op(v, ISA_ADDI, r, b, 0, 1); /* mask -1 -> 0, 0 -> 1 */
            return val1(t, r);
        }
        default: break;
        }
    } else if (x.t == ACC_DTYPE_I64) {
        switch (k) {
        case IR_OP_neg: return i64_neg(v, x);
        case IR_OP_abs: {
            int32_t neg = newm(v);
            vc_op(v, ISA_CMPLT, neg, x.v[1], VPHYS(0), 0);
            return i64_select(v, neg, i64_neg(v, x), x);
        }
        case IR_OP_relu: {
            int32_t neg = newm(v);
            vc_op(v, ISA_CMPLT, neg, x.v[1], VPHYS(0), 0);
            BVal zero = {ACC_DTYPE_I64, {VPHYS(0), VPHYS(0)}};
            return i64_select(v, neg, zero, x);
        }
        case IR_OP_sign: {
            int32_t o = newm(v), nz = newm(v), neg = newm(v), lo = newm(v), hi = newm(v);
            vc_op(v, ISA_OR, o, x.v[0], x.v[1], 0);
            vc_op(v, ISA_CMPNE, nz, o, VPHYS(0), 0);
            vc_op(v, ISA_SARI, neg, x.v[1], 0, 31); /* -1 or 0 */
            vc_op(v, ISA_OR, lo, nz, neg, 0);       /* 1, -1 or 0 */
            vc_op(v, ISA_ADDI, hi, neg, 0, 0);
            return (BVal){t, {lo, hi}};
        }
        default: break;
        }
    } else {
        int32_t a = x.v[0];
        switch (k) {
        case IR_OP_neg: return val1(t, normalise(v, t, ibin(v, ISA_SUB, VPHYS(0), a)));
        case IR_OP_abs: {
            int32_t s = newm(v), y = newm(v), r = newm(v);
            vc_op(v, ISA_SARI, s, a, 0, 31);
            vc_op(v, ISA_XOR, y, a, s, 0);
            vc_op(v, ISA_SUB, r, y, s, 0);
            return val1(t, normalise(v, t, r));
        }
        case IR_OP_relu: return val1(t, ibin(v, ISA_MAX, a, VPHYS(0)));
        case IR_OP_sign: {
            int32_t p = newm(v), n = newm(v), r = newm(v);
            vc_op(v, ISA_CMPLT, p, VPHYS(0), a, 0);
            vc_op(v, ISA_CMPLT, n, a, VPHYS(0), 0);
            vc_op(v, ISA_SUB, r, p, n, 0);
            return val1(t, r);
        }
        case IR_OP_not: {
            int32_t r = newm(v);
            vc_op(v, ISA_XORI, r, a, 0, 1);
            return val1(t, r);
        }
        default: break;
        }
    }
    ice("body: no code for %s on %s", ir_op_name(k), dtype_name(x.t));
}

static BVal emit_binary(VCode *v, IrOpKind k, BVal x, BVal y, AccDtype t, bool c_fmod) {
    if (x.t == ACC_DTYPE_F32) {
        int32_t a = x.v[0], b = y.v[0];
        switch (k) {
        case IR_OP_add: return val1(t, fbin(v, ISA_F32ADD, a, b));
        case IR_OP_sub: return val1(t, fbin(v, ISA_F32SUB, a, b));
        case IR_OP_mul: return val1(t, fbin(v, ISA_F32MUL, a, b));
        case IR_OP_div: return val1(t, fbin(v, ISA_F32DIV, a, b));
        case IR_OP_max: return val1(t, fbin(v, ISA_F32MAX, a, b));
        case IR_OP_min: return val1(t, fbin(v, ISA_F32MIN, a, b));
        case IR_OP_mod: return val1(t, math_fmod(v, a, b, c_fmod));
        case IR_OP_pow: return val1(t, math_pow(v, a, b));
        case IR_OP_equal: return val1(t, mask_to_bool(v, fbin(v, ISA_F32CMPEQ, a, b)));
        case IR_OP_less: return val1(t, mask_to_bool(v, fbin(v, ISA_F32CMPLT, a, b)));
        case IR_OP_less_equal: return val1(t, mask_to_bool(v, fbin(v, ISA_F32CMPLE, a, b)));
        case IR_OP_greater: return val1(t, mask_to_bool(v, fbin(v, ISA_F32CMPLT, b, a)));
        case IR_OP_greater_equal: return val1(t, mask_to_bool(v, fbin(v, ISA_F32CMPLE, b, a)));
        default: break;
        }
    } else if (x.t == ACC_DTYPE_I64) {
        switch (k) {
        case IR_OP_add: return i64_add(v, x, y);
        case IR_OP_sub: return i64_sub(v, x, y);
        case IR_OP_mul: return i64_mul(v, x, y);
        case IR_OP_div: return i64_divmod(v, x, y, false, false);
        case IR_OP_mod: return i64_divmod(v, x, y, true, c_fmod);
        case IR_OP_pow: return i64_pow(v, x, y);
        case IR_OP_max: return i64_select(v, i64_lt(v, y, x), x, y);
        case IR_OP_min: return i64_select(v, i64_lt(v, x, y), x, y);
        case IR_OP_equal: return val1(t, i64_eq(v, x, y));
        case IR_OP_less: return val1(t, i64_lt(v, x, y));
        case IR_OP_greater: return val1(t, i64_lt(v, y, x));
        case IR_OP_less_equal: {
            int32_t r = newm(v);
            vc_op(v, ISA_XORI, r, i64_lt(v, y, x), 0, 1);
            return val1(t, r);
        }
        case IR_OP_greater_equal: {
            int32_t r = newm(v);
            vc_op(v, ISA_XORI, r, i64_lt(v, x, y), 0, 1);
            return val1(t, r);
        }
        default: break;
        }
    } else {
        int32_t a = x.v[0], b = y.v[0];
        switch (k) {
        case IR_OP_add: return val1(t, normalise(v, t, ibin(v, ISA_ADD, a, b)));
        case IR_OP_sub: return val1(t, normalise(v, t, ibin(v, ISA_SUB, a, b)));
        case IR_OP_mul: return val1(t, normalise(v, t, ibin(v, ISA_MUL, a, b)));
        case IR_OP_div: return val1(t, normalise(v, t, math_idiv(v, a, b)));
        case IR_OP_mod: return val1(t, normalise(v, t, math_imod(v, a, b, c_fmod)));
        case IR_OP_pow: return val1(t, ipow(v, t, a, b));
        case IR_OP_max: return val1(t, ibin(v, ISA_MAX, a, b));
        case IR_OP_min: return val1(t, ibin(v, ISA_MIN, a, b));
        case IR_OP_equal: return val1(t, ibin(v, ISA_CMPEQ, a, b));
        case IR_OP_less: return val1(t, ibin(v, ISA_CMPLT, a, b));
        case IR_OP_less_equal: return val1(t, ibin(v, ISA_CMPLE, a, b));
        case IR_OP_greater: return val1(t, ibin(v, ISA_CMPLT, b, a));
        case IR_OP_greater_equal: return val1(t, ibin(v, ISA_CMPLE, b, a));
        case IR_OP_and: return val1(t, ibin(v, ISA_AND, a, b));
        case IR_OP_or: return val1(t, ibin(v, ISA_OR, a, b));
        case IR_OP_xor: return val1(t, ibin(v, ISA_XOR, a, b));
        default: break;
        }
    }
    ice("body: no code for %s on %s", ir_op_name(k), dtype_name(x.t));
}

/* A rank-0 constant of the body. */
static BVal emit_constant(VCode *v, const IrConst *c) {
    AccDtype t = c->type.dtype;
    if (t == ACC_DTYPE_F32) {
        float f;
        memcpy(&f, c->data, 4);
        return val1(t, math_const(v, f));
    }
    if (t == ACC_DTYPE_I64) {
        int64_t x;
        memcpy(&x, c->data, 8);
        return (BVal){t, {iconst(v, (int32_t)(uint32_t)x), iconst(v, (int32_t)(x >> 32))}};
    }
    return val1(t, iconst(v, (int32_t)dtype_get(t, c->data, 0)));
}

BVal body_emit(VCode *v, const IrGraph *body, const BVal *inputs) {
    BVal *vals = xcalloc((size_t)body->nvals + 1, sizeof *vals);
    for (int i = 0; i < body->ninputs; i++) vals[body->inputs[i]] = inputs[i];
    ir_for_each_op(body, id) {
        const IrOp *op = &body->ops[id];
        AccDtype t = body->vals[op->out[0]].type.dtype;
        BVal r;
        if (op->kind == IR_OP_constant) {
            r = emit_constant(v, ir_value_const(body, op->out[0]));
        } else if (op->kind == IR_OP_cast) {
            r = body_cast(v, vals[op->in[0]], t);
        } else if (op->kind == IR_OP_where) {
            BVal c = vals[op->in[0]], a = vals[op->in[1]], b = vals[op->in[2]];
            if (a.t == ACC_DTYPE_F32)
                r = val1(t, fselect(v, c.v[0], a.v[0], b.v[0]));
            else if (a.t == ACC_DTYPE_I64)
                r = i64_select(v, c.v[0], a, b);
            else
                r = val1(t, iselect(v, c.v[0], a.v[0], b.v[0]));
        } else if (op->nin == 1) {
            r = emit_unary(v, op->kind, vals[op->in[0]], t);
        } else {
            bool c_fmod = op->kind == IR_OP_mod && ir_attr_bool(body, id, "fmod");
            r = emit_binary(v, op->kind, vals[op->in[0]], vals[op->in[1]], t, c_fmod);
        }
        r.t = t == ACC_DTYPE_F16 || t == ACC_DTYPE_BF16 ? ACC_DTYPE_F32 : t;
        vals[op->out[0]] = r;
    }
    BVal out = vals[ir_body_result(body)];
    free(vals);
    return out;
}

bool body_supported(const IrGraph *body, char *why, size_t len) {
    /* every primitive of the lowered form has code on every body dtype */
    (void)body;
    (void)why;
    (void)len;
    return true;
}

/* ---- Primitives for kernels --------------------------------------------------------- */

BVal body_prim(VCode *v, IrOpKind k, const BVal *args, AccDtype t) {
    BVal r;
    if (k == IR_OP_where) {
        BVal c = args[0], a = args[1], b = args[2];
        if (a.t == ACC_DTYPE_F32)
            r = val1(t, fselect(v, c.v[0], a.v[0], b.v[0]));
        else if (a.t == ACC_DTYPE_I64)
            r = i64_select(v, c.v[0], a, b);
        else
            r = val1(t, iselect(v, c.v[0], a.v[0], b.v[0]));
    } else if (ir_op_info(k)->nin_max == 1) {
        r = emit_unary(v, k, args[0], t);
    } else {
        r = emit_binary(v, k, args[0], args[1], t, false);
    }
    r.t = t;
    return r;
}

BVal body_constant(VCode *v, AccDtype t, double x) {
    if (t == ACC_DTYPE_F32) return val1(t, math_const(v, (float)x));
    if (t == ACC_DTYPE_I64) {
        int64_t i = x <= -9.2e18 ? INT64_MIN : x >= 9.2e18 ? INT64_MAX : (int64_t)x;
        return (BVal){t, {iconst(v, (int32_t)(uint32_t)i), iconst(v, (int32_t)(i >> 32))}};
    }
    return val1(t, iconst(v, (int32_t)x));
}

void body_move(VCode *v, BVal dst, BVal src) {
    if (src.t == ACC_DTYPE_F32) {
        vc_op(v, ISA_MOV32, dst.v[0], src.v[0], 0, 0);
        return;
    }
    vc_op(v, ISA_ADDI, dst.v[0], src.v[0], 0, 0);
    if (src.t == ACC_DTYPE_I64) vc_op(v, ISA_ADDI, dst.v[1], src.v[1], 0, 0);
}

/*
 * Evaluator: elementwise ops. Each op is a scalar function, one for floats
 * (double in, rounded to the result dtype by ev_setf) and, where the op
 * takes integers, one for int64 (wrapped by ev_seti). Operands broadcast by
 * NumPy's rules.
 */
#include "eval.h"

#include <math.h>
#include <string.h>

/* The attributes elementwise ops may have, read once per op. */
typedef struct EwParams {
    double alpha, beta, gamma;
    bool tanh_approx, fmod;
} EwParams;

static EwParams params(const IrEval *c) {
    EwParams p;
    memset(&p, 0, sizeof p);
    if (ir_attr_slot(c->kind, "alpha") >= 0) p.alpha = EV_ATTR_FLOAT(c, "alpha");
    if (ir_attr_slot(c->kind, "beta") >= 0) p.beta = EV_ATTR_FLOAT(c, "beta");
    if (ir_attr_slot(c->kind, "gamma") >= 0) p.gamma = EV_ATTR_FLOAT(c, "gamma");
    if (ir_attr_slot(c->kind, "approximate") >= 0)
        p.tanh_approx = strcmp(ir_attr_str(c->g, c->op, "approximate"), "tanh") == 0;
    if (ir_attr_slot(c->kind, "fmod") >= 0) p.fmod = EV_ATTR_BOOL(c, "fmod");
    return p;
}

/* ---- Unary ------------------------------------------------------------------------------ */

typedef double (*UnaryF)(double x, const EwParams *p);
typedef int64_t (*UnaryI)(int64_t x, const EwParams *p);

static int unary(IrEval *c, UnaryF f, UnaryI fi) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    EwParams p = params(c);
    if (y->f && !x->f) ice("%s: float result from integer operand", EV_NAME(c));
    if (!y->f && !fi) ice("%s: no integer version", EV_NAME(c));
    for (int64_t j = 0; j < y->count; j++) {
        if (y->f)
            ev_setf(y, j, f(x->f[j], &p));
        else
            ev_seti(y, j, fi(x->i[j], &p));
    }
    return 0;
}

/* Unsigned arithmetic, so integer overflow wraps instead of being undefined. */
static int64_t wrap_neg(int64_t x) {
    return (int64_t)(0 - (uint64_t)x);
}

#define UNARY_F(name, expr)                                                                        \
    static double f_##name(double x, const EwParams *p) {                                          \
        (void)p;                                                                                   \
        return (expr);                                                                             \
    }                                                                                              \
    int ir_eval_##name(IrEval *c) {                                                                \
        return unary(c, f_##name, NULL);                                                           \
    }
#define UNARY_FI(name, expr, iexpr)                                                                \
    static double f_##name(double x, const EwParams *p) {                                          \
        (void)p;                                                                                   \
        return (expr);                                                                             \
    }                                                                                              \
    static int64_t i_##name(int64_t x, const EwParams *p) {                                        \
        (void)p;                                                                                   \
        return (iexpr);                                                                            \
    }                                                                                              \
    int ir_eval_##name(IrEval *c) {                                                                \
        return unary(c, f_##name, i_##name);                                                       \
    }

static const double SQRT_2_OVER_PI = 0.79788456080286535588; /* sqrt(2/pi) */

static double gelu(double x, const EwParams *p) {
    if (p->tanh_approx) return 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1 + erf(x / sqrt(2.0)));
}

static double softplus(double x) {
    /* log(1 + e^x) without overflow for large x. */
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* NaN propagates through the comparisons below: (NaN < 0) is false. */
UNARY_FI(neg, -x, wrap_neg(x))
UNARY_FI(abs, fabs(x), x < 0 ? wrap_neg(x) : x)
UNARY_FI(sign, x > 0 ? 1.0 : x < 0 ? -1.0 : x, x > 0 ? 1 : x < 0 ? -1 : 0)
UNARY_FI(relu, x < 0 ? 0.0 : x, x < 0 ? 0 : x)
UNARY_FI(identity, x, x)
UNARY_F(leaky_relu, x < 0 ? p->alpha * x : x)
UNARY_F(elu, x < 0 ? p->alpha * expm1(x) : x)
UNARY_F(selu, p->gamma *(x <= 0 ? p->alpha * expm1(x) : x))
UNARY_F(gelu, gelu(x, p))
UNARY_F(sigmoid, 1.0 / (1.0 + exp(-x)))
UNARY_F(hard_sigmoid, fmax(0.0, fmin(1.0, p->alpha *x + p->beta)))
UNARY_F(hard_swish, x *fmax(0.0, fmin(1.0, x / 6.0 + 0.5)))
UNARY_F(softplus, softplus(x))
UNARY_F(softsign, x / (1.0 + fabs(x)))
UNARY_F(tanh, tanh(x))
UNARY_F(exp, exp(x))
UNARY_F(log, log(x))
UNARY_F(sqrt, sqrt(x))
UNARY_F(rsqrt, 1.0 / sqrt(x))
UNARY_F(reciprocal, 1.0 / x)
UNARY_F(floor, floor(x))
UNARY_F(ceil, ceil(x))
UNARY_F(round, nearbyint(x)) /* the default rounding mode: ties to even */
UNARY_F(sin, sin(x))
UNARY_F(cos, cos(x))
UNARY_F(tan, tan(x))
UNARY_F(asin, asin(x))
UNARY_F(acos, acos(x))
UNARY_F(atan, atan(x))
UNARY_F(sinh, sinh(x))
UNARY_F(cosh, cosh(x))
UNARY_F(erf, erf(x))

int ir_eval_not(IrEval *c) {
    for (int64_t j = 0; j < c->out[0]->count; j++) c->out[0]->i[j] = !c->in[0]->i[j];
    return 0;
}

int ir_eval_is_nan(IrEval *c) {
    for (int64_t j = 0; j < c->out[0]->count; j++) c->out[0]->i[j] = isnan(c->in[0]->f[j]);
    return 0;
}

int ir_eval_clip(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    bool has_lo = c->nin > 1, has_hi = c->nin > 2;
    for (int64_t j = 0; j < y->count; j++) {
        if (y->f) {
            double v = x->f[j];
            if (has_lo && v < c->in[1]->f[0]) v = c->in[1]->f[0];
            if (has_hi && v > c->in[2]->f[0]) v = c->in[2]->f[0];
            y->f[j] = v;
        } else {
            int64_t v = x->i[j];
            if (has_lo && v < c->in[1]->i[0]) v = c->in[1]->i[0];
            if (has_hi && v > c->in[2]->i[0]) v = c->in[2]->i[0];
            y->i[j] = v;
        }
    }
    return 0;
}

/* ---- Binary --------------------------------------------------------------------------- */

typedef double (*BinaryF)(double a, double b, const EwParams *p);
typedef int64_t (*BinaryI)(int64_t a, int64_t b, const EwParams *p);

/* y[j] = f(a[.], b[.]); a bool result (comparisons) takes 0/1 from either
 * version of the function. */
static int binary(IrEval *c, BinaryF f, BinaryI fi) {
    const EvTensor *a = c->in[0], *b = c->in[1];
    EvTensor *y = c->out[0];
    EwParams p = params(c);
    for (int64_t j = 0; j < y->count; j++) {
        int64_t ja = ev_bcast_index(&a->type, &y->type, j),
                jb = ev_bcast_index(&b->type, &y->type, j);
        if (a->f) {
            double v = f(a->f[ja], b->f[jb], &p);
            if (y->f)
                ev_setf(y, j, v);
            else
                y->i[j] = v != 0;
        } else {
            if (!fi) ice("%s: no integer version", EV_NAME(c));
            ev_seti(y, j, fi(a->i[ja], b->i[jb], &p));
        }
    }
    return 0;
}

static int64_t i_div(int64_t a, int64_t b) {
    if (b == 0) return 0;
    if (b == -1) return wrap_neg(a); /* INT64_MIN / -1 overflows */
    return a / b;                    /* C truncates toward zero */
}

static int64_t i_mod(int64_t a, int64_t b, bool c_fmod) {
    if (b == 0 || b == -1) return 0;
    int64_t r = a % b; /* sign of a */
    if (!c_fmod && r != 0 && (r < 0) != (b < 0)) r += b;
    return r;
}

static double f_mod(double a, double b, bool c_fmod) {
    double r = fmod(a, b);
    if (!c_fmod && r != 0 && (r < 0) != (b < 0)) r += b;
    return r;
}

/* Integer power by squaring, wrapping; a negative exponent truncates 1/a^-b. */
static int64_t i_pow(int64_t a, int64_t b) {
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    uint64_t r = 1, base = (uint64_t)a;
    for (uint64_t e = (uint64_t)b; e; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
    }
    return (int64_t)r;
}

static double f_max(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

static double f_min(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
}

#define BINARY_FI(name, expr, iexpr)                                                               \
    static double bf_##name(double a, double b, const EwParams *p) {                               \
        (void)p;                                                                                   \
        return (expr);                                                                             \
    }                                                                                              \
    static int64_t bi_##name(int64_t a, int64_t b, const EwParams *p) {                            \
        (void)p;                                                                                   \
        return (iexpr);                                                                            \
    }                                                                                              \
    int ir_eval_##name(IrEval *c) {                                                                \
        return binary(c, bf_##name, bi_##name);                                                    \
    }

BINARY_FI(add, a + b, (int64_t)((uint64_t)a + (uint64_t)b))
BINARY_FI(sub, a - b, (int64_t)((uint64_t)a - (uint64_t)b))
BINARY_FI(mul, a *b, (int64_t)((uint64_t)a *(uint64_t)b))
BINARY_FI(div, a / b, i_div(a, b))
BINARY_FI(mod, f_mod(a, b, p->fmod), i_mod(a, b, p->fmod))
BINARY_FI(pow, pow(a, b), i_pow(a, b))
BINARY_FI(max, f_max(a, b), a > b ? a : b)
BINARY_FI(min, f_min(a, b), a < b ? a : b)
BINARY_FI(prelu, a < 0 ? b * a : a, a < 0 ? (int64_t)((uint64_t)a * (uint64_t)b) : a)
BINARY_FI(equal, a == b, a == b)
BINARY_FI(less, a < b, a < b)
BINARY_FI(less_equal, a <= b, a <= b)
BINARY_FI(greater, a > b, a > b)
BINARY_FI(greater_equal, a >= b, a >= b)
BINARY_FI(and, a &&b, a &&b)
BINARY_FI(or, a || b, a || b)
BINARY_FI(xor, (a != 0) != (b != 0), (a != 0) != (b != 0))

int ir_eval_where(IrEval *c) {
    const EvTensor *cond = c->in[0], *a = c->in[1], *b = c->in[2];
    EvTensor *y = c->out[0];
    for (int64_t j = 0; j < y->count; j++) {
        int64_t jc = ev_bcast_index(&cond->type, &y->type, j);
        if (cond->i[jc])
            ev_copy(y, j, a, ev_bcast_index(&a->type, &y->type, j));
        else
            ev_copy(y, j, b, ev_bcast_index(&b->type, &y->type, j));
    }
    return 0;
}

/* ---- Conversions ---------------------------------------------------------------------- */

int ir_eval_cast(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    AccDtype to = y->type.dtype;
    for (int64_t j = 0; j < y->count; j++) {
        if (y->f)
            ev_setf(y, j, ev_get(x, j)); /* round to nearest even */
        else if (to == ACC_DTYPE_BOOL)
            y->i[j] = x->f ? x->f[j] != 0 : x->i[j] != 0; /* NaN is true */
        else if (x->f)
            y->i[j] = ev_saturate(to, x->f[j]);
        else
            y->i[j] = ev_wrap(to, x->i[j]); /* integer to integer keeps the low bits */
    }
    return 0;
}

/* Index along axis of element j, for per-axis scale and zero point. */
static int64_t channel_of(const IrEval *c, const EvTensor *x, const EvTensor *scale, int64_t j) {
    if (scale->count == 1) return 0;
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), x->type.rank);
    int64_t inner = 1;
    for (int i = axis + 1; i < x->type.rank; i++) inner *= x->type.dims[i];
    return (j / inner) % x->type.dims[axis];
}

/* ONNX computes x / scale in f32 and rounds that half to even; so do we,
 * since a different quotient rounding would move ties. */
int ir_eval_quantize(IrEval *c) {
    const EvTensor *x = c->in[0], *scale = c->in[1], *zp = c->nin > 2 ? c->in[2] : NULL;
    EvTensor *y = c->out[0];
    bool is_signed = y->type.dtype == ACC_DTYPE_I8;
    double lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    for (int64_t j = 0; j < y->count; j++) {
        int64_t ch = channel_of(c, x, scale, j);
        float q = (float)x->f[j] / (float)scale->f[ch];
        double v = nearbyint((double)q) + (zp ? (double)zp->i[ch] : 0.0);
        y->i[j] = (int64_t)(v != v ? 0 : v < lo ? lo : v > hi ? hi : v);
    }
    return 0;
}

int ir_eval_dequantize(IrEval *c) {
    const EvTensor *x = c->in[0], *scale = c->in[1], *zp = c->nin > 2 ? c->in[2] : NULL;
    EvTensor *y = c->out[0];
    for (int64_t j = 0; j < y->count; j++) {
        int64_t ch = channel_of(c, x, scale, j);
        float centred = (float)(x->i[j] - (zp ? zp->i[ch] : 0));
        ev_setf(y, j, (double)(centred * (float)scale->f[ch]));
    }
    return 0;
}

/*
 * canon: canonicalisation. One walk in program order applies, to each op:
 *
 *   - constant folding (fold.c's rule);
 *   - shape normalisation: squeeze, unsqueeze, flatten and chains of
 *     reshapes become one reshape with explicit dimensions; a pair of
 *     transposes becomes one (or none); a transpose that only moves
 *     dimensions of size 1 becomes a reshape; an expand of an expand one;
 *   - identities removed: identity, cast to the same dtype, reshape to the
 *     same shape, a slice of everything, pads of 0, tile by 1, expand to
 *     the same shape, concat or split of one piece, where on a constant
 *     condition, x + 0, x - 0, x * 1, x / 1, x ^ 1, max(x, x), min(x, x),
 *     and(x, x), or(x, x), neg(neg(x)), not(not(x)); abs and relu of
 *     themselves, floor, ceil and round of themselves;
 *   - exact algebra: x * -1 is neg(x), x / 2^k is x * 2^-k, cast chains
 *     through a dtype that holds every value exactly are one cast, constants
 *     go to the right of add, mul, and, or, xor and equal;
 *   - batch_norm after a convolution or a matmul/gemm whose weights are
 *     constants, with constant statistics, is folded into the weights and
 *     the bias;
 *   - after lowering, the same rules inside each kernel's body (a new body
 *     when anything changes), and a fused kernel whose body returns one of
 *     its operands unchanged is that operand.
 *
 * Every rule is exact (the same bits) except: x + 0 and x - (-0) turn a
 * -0.0 into +0.0, and folding batch_norm rounds the scaled weights
 * (docs/passes.md). Rules that build ops are written so the walk revisits
 * and simplifies what they built.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const IrType *type_of(Rewriter *rw, IrRef v) {
    return &rw->g->vals[v].type;
}

static IrRef in_(Rewriter *rw, IrOpId id, int i) {
    return rw->g->ops[id].in[i];
}

static IrRef out_(Rewriter *rw, IrOpId id) {
    return rw->g->ops[id].out[0];
}

/* The op that defines v, or 0 for a graph input. */
static IrOpId def_of(Rewriter *rw, IrRef v) {
    return rw->g->vals[v].def;
}

static IrOpKind def_kind(Rewriter *rw, IrRef v) {
    IrOpId d = def_of(rw, v);
    return d ? rw->g->ops[d].kind : IR_OP_COUNT;
}

/* Replace op by v if v has op's result type exactly. */
static bool become(Rewriter *rw, IrOpId id, IrRef v) {
    if (!ir_type_equal(type_of(rw, v), type_of(rw, out_(rw, id)))) return false;
    rw_replace_op(rw, id, v);
    return true;
}

/* ---- Shapes ---------------------------------------------------------------------------- */

static bool reshape_like(IrOpKind k) {
    return k == IR_OP_reshape || k == IR_OP_squeeze || k == IR_OP_unsqueeze || k == IR_OP_flatten;
}

static bool canon_reshape(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    IrRef src = in_(rw, id, 0);
    while (reshape_like(def_kind(rw, src))) src = g->ops[def_of(rw, src)].in[0];
    const IrType *y = type_of(rw, out_(rw, id));
    if (ir_type_equal(type_of(rw, src), y)) return become(rw, id, src);
    if (g->ops[id].kind == IR_OP_reshape && src == in_(rw, id, 0) &&
        ir_attr_bool(g, id, "allowzero")) {
        int n;
        const int64_t *shape = ir_attr_ints(g, id, "shape", &n);
        bool same = n == y->rank;
        for (int i = 0; same && i < n; i++) same = shape[i] == y->dims[i];
        if (same) return false;
    }
    int rank = y->rank;
    int64_t dims[IR_MAX_RANK];
    memcpy(dims, y->dims, sizeof dims);
    rw_replace_op(rw, id, pb_reshape(&rw->b, src, rank, dims));
    return true;
}

static bool canon_transpose(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    IrRef x = in_(rw, id, 0);
    const IrType *t = type_of(rw, x);
    int n;
    const int64_t *perm = ir_attr_ints(g, id, "perm", &n);
    int64_t p[IR_MAX_RANK];
    memcpy(p, perm, (size_t)n * sizeof *p);
    bool identity = true;
    for (int i = 0; i < n; i++) identity &= p[i] == i;
    if (identity) return become(rw, id, x);
    if (def_kind(rw, x) == IR_OP_transpose) {
        IrOpId inner = def_of(rw, x);
        const int64_t *q = ir_attr_ints(g, inner, "perm", &n);
        int64_t c[IR_MAX_RANK];
        for (int i = 0; i < n; i++) c[i] = q[p[i]];
        rw_replace_op(rw, id, pb_transpose(&rw->b, g->ops[inner].in[0], c));
        return true;
    }
    /* Only dimensions of size 1 move: the elements stay in order. */
    int64_t last = -1;
    bool in_order = true;
    for (int i = 0; i < n; i++) {
        if (t->dims[p[i]] == 1) continue;
        in_order &= p[i] > last;
        last = p[i];
    }
    if (in_order) {
        const IrType *y = type_of(rw, out_(rw, id));
        int64_t dims[IR_MAX_RANK];
        memcpy(dims, y->dims, sizeof dims);
        rw_replace_op(rw, id, pb_reshape(&rw->b, x, y->rank, dims));
        return true;
    }
    return false;
}

static bool canon_expand(Rewriter *rw, IrOpId id) {
    IrRef x = in_(rw, id, 0);
    if (become(rw, id, x)) return true;
    if (def_kind(rw, x) == IR_OP_expand) {
        const IrType *y = type_of(rw, out_(rw, id));
        int64_t dims[IR_MAX_RANK];
        memcpy(dims, y->dims, sizeof dims);
        IrRef src = rw->g->ops[def_of(rw, x)].in[0];
        IrOpId op = pb_create(&rw->b, IR_OP_expand, 1, &src);
        ir_set_attr_ints(rw->g, op, "shape", y->rank, dims);
        rw_replace_op(rw, id, pb_finish(&rw->b, op));
        return true;
    }
    return false;
}

static bool canon_slice(Rewriter *rw, IrOpId id) {
    int n;
    const int64_t *steps = ir_attr_ints(rw->g, id, "steps", &n);
    for (int i = 0; i < n; i++)
        if (steps[i] < 0) return false; /* a reversal */
    return become(rw, id, in_(rw, id, 0));
}

static bool all_equal(const int64_t *v, int n, int64_t x) {
    for (int i = 0; i < n; i++)
        if (v[i] != x) return false;
    return true;
}

/* ---- Elementwise ------------------------------------------------------------------------- */

/* Every value of dtype from is exactly a value of dtype to. */
static bool exact_in(AccDtype from, AccDtype to) {
    if (from == to || from == ACC_DTYPE_BOOL) return true;
    switch (from) {
    case ACC_DTYPE_I8:
    case ACC_DTYPE_U8:
        return to == ACC_DTYPE_I32 || to == ACC_DTYPE_I64 || to == ACC_DTYPE_F16 ||
               to == ACC_DTYPE_BF16 || to == ACC_DTYPE_F32;
    case ACC_DTYPE_I32: return to == ACC_DTYPE_I64;
    case ACC_DTYPE_F16:
    case ACC_DTYPE_BF16: return to == ACC_DTYPE_F32;
    default: return false;
    }
}

static bool canon_cast(Rewriter *rw, IrOpId id) {
    IrRef x = in_(rw, id, 0);
    if (become(rw, id, x)) return true;
    if (def_kind(rw, x) != IR_OP_cast) return false;
    IrRef x0 = rw->g->ops[def_of(rw, x)].in[0];
    if (!exact_in(type_of(rw, x0)->dtype, type_of(rw, x)->dtype)) return false;
    rw_replace_op(rw, id, pb_cast(&rw->b, x0, type_of(rw, out_(rw, id))->dtype));
    return true;
}

static bool symmetric(IrOpKind k) {
    return k == IR_OP_add || k == IR_OP_mul || k == IR_OP_and || k == IR_OP_or || k == IR_OP_xor ||
           k == IR_OP_equal;
}

/* 1 / v when that is exact: v = ±2^k with 2^-k a normal number. */
static bool exact_reciprocal(double v, double *r) {
    if (!isfinite(v) || v == 0) return false;
    int e;
    double m = frexp(fabs(v), &e);
    if (m != 0.5) return false;
    *r = 1.0 / v;
    return fabs(*r) >= 0x1p-126 && fabs(*r) <= 0x1p127;
}

static bool canon_binary(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    IrOpKind kind = g->ops[id].kind;
    IrRef a = in_(rw, id, 0), b = in_(rw, id, 1);
    if (symmetric(kind) && ir_value_const(g, a) && !ir_value_const(g, b)) {
        ir_op_set_operand(g, id, 0, b);
        ir_op_set_operand(g, id, 1, a);
        return true;
    }
    AccDtype dt = type_of(rw, a)->dtype;
    bool f = (dtype_flags(dt) & DT_FLOAT) != 0;
    switch (kind) {
    case IR_OP_add:
        if (pb_is_splat(g, b, 0.0) || (f && pb_is_splat(g, b, -0.0))) return become(rw, id, a);
        break;
    case IR_OP_sub:
        if (pb_is_splat(g, b, 0.0) || (f && pb_is_splat(g, b, -0.0))) return become(rw, id, a);
        break;
    case IR_OP_mul:
        if (pb_is_splat(g, b, 1.0)) return become(rw, id, a);
        if (pb_is_splat(g, b, -1.0) && ir_type_equal(type_of(rw, a), type_of(rw, out_(rw, id)))) {
            rw_replace_op(rw, id, pb_op1(&rw->b, IR_OP_neg, a));
            return true;
        }
        break;
    case IR_OP_div: {
        if (pb_is_splat(g, b, 1.0)) return become(rw, id, a);
        const IrConst *c = ir_value_const(g, b);
        double v, r;
        if (f && c && ir_const_splat(c, &v) && exact_reciprocal(v, &r)) {
            /* b's shape and dtype, holding 1/v exactly. */
            IrType rt = c->type;
            int64_t count = ir_type_count(&rt);
            void *data = xmalloc((size_t)(count ? count : 1) * dtype_size(dt));
            for (int64_t i = 0; i < count; i++) dtype_set(dt, data, (size_t)i, r);
            IrRef rc = pb_constant(&rw->b, &rt, data);
            free(data);
            rw_replace_op(rw, id, pb_op2(&rw->b, IR_OP_mul, a, rc));
            return true;
        }
        break;
    }
    case IR_OP_pow:
        if (pb_is_splat(g, b, 1.0)) return become(rw, id, a);
        break;
    case IR_OP_max:
    case IR_OP_min:
    case IR_OP_and:
    case IR_OP_or:
        if (a == b) return become(rw, id, a);
        break;
    default: break;
    }
    return false;
}

static bool canon_unary(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    IrOpKind kind = g->ops[id].kind;
    IrRef x = in_(rw, id, 0);
    IrOpKind inner = def_kind(rw, x);
    switch (kind) {
    case IR_OP_identity: return become(rw, id, x);
    case IR_OP_neg:
    case IR_OP_not:
        if (inner == kind) return become(rw, id, g->ops[def_of(rw, x)].in[0]);
        break;
    case IR_OP_abs:
        if (inner == IR_OP_abs) return become(rw, id, x);
        if (inner == IR_OP_neg) {
            rw_replace_op(rw, id, pb_op1(&rw->b, IR_OP_abs, g->ops[def_of(rw, x)].in[0]));
            return true;
        }
        break;
    case IR_OP_relu:
    case IR_OP_floor:
    case IR_OP_ceil:
    case IR_OP_round:
        if (inner == kind) return become(rw, id, x);
        break;
    default: break;
    }
    return false;
}

static bool canon_where(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    IrRef c = in_(rw, id, 0);
    if (pb_is_splat(g, c, 1.0)) return become(rw, id, in_(rw, id, 1));
    if (pb_is_splat(g, c, 0.0)) return become(rw, id, in_(rw, id, 2));
    return false;
}

/* ---- batch_norm into the op before it ------------------------------------------------------ */

/* The per-channel scale s = scale / sqrt(var + eps) and shift
 * t = bias - mean * s of a batch_norm with constant operands, in double;
 * false if they are not constants. */
static bool bn_params(Rewriter *rw, IrOpId bn, double **s, double **t, int64_t *ch) {
    const IrConst *p[4];
    for (int i = 0; i < 4; i++)
        if (!(p[i] = ir_value_const(rw->g, in_(rw, bn, 1 + i)))) return false;
    double eps = ir_attr_float(rw->g, bn, "epsilon");
    *ch = p[0]->type.dims[0];
    *s = xmalloc((size_t)(*ch ? *ch : 1) * sizeof **s);
    *t = xmalloc((size_t)(*ch ? *ch : 1) * sizeof **t);
    for (int64_t c = 0; c < *ch; c++) {
        (*s)[c] = pb_const_at(p[0], c) / sqrt(pb_const_at(p[3], c) + eps);
        (*t)[c] = pb_const_at(p[1], c) - pb_const_at(p[2], c) * (*s)[c];
    }
    return true;
}

/* A constant of type t with values v (double, rounded to t's dtype). */
static IrRef const_from(Rewriter *rw, const IrType *t, const double *v) {
    int64_t n = ir_type_count(t);
    void *data = xmalloc((size_t)(n ? n : 1) * dtype_size(t->dtype));
    for (int64_t i = 0; i < n; i++) dtype_set(t->dtype, data, (size_t)i, v[i]);
    IrRef c = pb_constant(&rw->b, t, data);
    free(data);
    return c;
}

/* A copy of constant w with element i multiplied by alpha * s[(i / div) % mod],
 * computed in double and rounded once (f32 without a detour through
 * dtype_get/dtype_set: the weights of a large network are millions). */
static IrRef scaled(Rewriter *rw, const IrConst *w, const double *s, int64_t div, int64_t mod,
                    double alpha) {
    IrType t = w->type; /* pb_constant moves g->consts */
    int64_t n = ir_type_count(&t);
    void *data = xmalloc((size_t)(n ? n : 1) * dtype_size(t.dtype));
    /* n = outer * mod * div: runs of div elements share a factor. */
    int64_t i = 0, outer = n / (div * mod);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < mod; j++) {
            double f = alpha * s[j];
            if (t.dtype == ACC_DTYPE_F32) {
                const float *src = (const float *)w->data + i;
                float *dst = (float *)data + i;
                for (int64_t q = 0; q < div; q++) dst[q] = (float)((double)src[q] * f);
            } else {
                for (int64_t q = 0; q < div; q++)
                    dtype_set(t.dtype, data, (size_t)(i + q), pb_const_at(w, i + q) * f);
            }
            i += div;
        }
    IrRef c = pb_constant(&rw->b, &t, data);
    free(data);
    return c;
}

static bool fold_bn_conv(Rewriter *rw, IrOpId bn, IrOpId conv, const double *s, const double *t) {
    IrGraph *g = rw->g;
    const IrConst *w = ir_value_const(g, g->ops[conv].in[1]);
    const IrConst *b = g->ops[conv].nin > 2 ? ir_value_const(g, g->ops[conv].in[2]) : NULL;
    if (!w || (g->ops[conv].nin > 2 && !b)) return false;
    int64_t m = w->type.dims[0], per = ir_type_count(&w->type) / (m ? m : 1);
    double *bv = xmalloc((size_t)(m ? m : 1) * sizeof *bv);
    for (int64_t c = 0; c < m; c++) bv[c] = (b ? pb_const_at(b, c) : 0.0) * s[c] + t[c];
    IrType bt = ir_type(w->type.dtype, 1, &m);
    IrRef in[3] = {g->ops[conv].in[0], scaled(rw, w, s, per ? per : 1, m ? m : 1, 1.0),
                   const_from(rw, &bt, bv)};
    free(bv);
    IrOpId op = pb_create(&rw->b, g->ops[conv].kind, 3, in);
    static const char *const names[] = {"stride", "pad", "dilation", "groups"};
    for (int i = 0; i < 4; i++) ir_set_attr(g, op, names[i], ir_attr(g, conv, names[i]));
    rw_replace_op(rw, bn, pb_finish(&rw->b, op));
    return true;
}

/* matmul [N, K] @ W [K, C] or gemm: scale W's columns; the shift becomes
 * an add (matmul) or gemm's c. */
static bool fold_bn_linear(Rewriter *rw, IrOpId bn, IrOpId mm, const double *s, const double *t,
                           int64_t ch) {
    IrGraph *g = rw->g;
    bool gemm = g->ops[mm].kind == IR_OP_gemm;
    const IrType *y = type_of(rw, out_(rw, mm));
    const IrConst *w = ir_value_const(g, g->ops[mm].in[1]);
    if (!w || w->type.rank != 2 || y->rank != 2 || y->dims[1] != ch) return false;
    bool tb = gemm && ir_attr_bool(g, mm, "trans_b");
    double alpha = gemm ? ir_attr_float(g, mm, "alpha") : 1.0;
    double beta = gemm ? ir_attr_float(g, mm, "beta") : 1.0;
    const IrConst *c = gemm && g->ops[mm].nin > 2 ? ir_value_const(g, g->ops[mm].in[2]) : NULL;
    if (gemm && g->ops[mm].nin > 2 && !c) return false;
    /* The shift: beta * c * s + t, shaped like c broadcast against [C];
     * read before const_from moves g->consts. */
    IrType ct = ir_type(w->type.dtype, 1, &ch);
    if (c) ir_broadcast(&c->type, &ct, &ct, NULL);
    ct.dtype = w->type.dtype;
    int64_t cn = ir_type_count(&ct), strides[IR_MAX_RANK];
    if (c) ir_broadcast_strides(&c->type, &ct, strides);
    double *cv = xmalloc((size_t)(cn ? cn : 1) * sizeof *cv);
    for (int64_t i = 0; i < cn; i++) {
        int64_t at = 0, rest = i;
        for (int d = ct.rank - 1; c && d >= 0; d--) {
            at += (rest % ct.dims[d]) * strides[d];
            rest /= ct.dims[d];
        }
        cv[i] = beta * (c ? pb_const_at(c, at) : 0.0) * s[i % ch] + t[i % ch];
    }
    /* w' = alpha * w * s by output column (rows when transposed). */
    int64_t rows = w->type.dims[0], cols = w->type.dims[1];
    IrRef wn = tb ? scaled(rw, w, s, cols ? cols : 1, rows ? rows : 1, alpha)
                  : scaled(rw, w, s, 1, cols ? cols : 1, alpha);
    IrRef shift = const_from(rw, &ct, cv);
    free(cv);
    IrRef a = g->ops[mm].in[0];
    IrOpId op;
    if (gemm) {
        IrRef in[3] = {a, wn, shift};
        op = pb_create(&rw->b, IR_OP_gemm, 3, in);
        ir_set_attr_bool(g, op, "trans_a", ir_attr_bool(g, mm, "trans_a"));
        ir_set_attr_bool(g, op, "trans_b", tb);
        rw_replace_op(rw, bn, pb_finish(&rw->b, op));
    } else {
        IrRef prod = pb_op2(&rw->b, IR_OP_matmul, a, wn);
        rw_replace_op(rw, bn, pb_op2(&rw->b, IR_OP_add, prod, shift));
    }
    return true;
}

static bool canon_batch_norm(Rewriter *rw, IrOpId bn) {
    IrGraph *g = rw->g;
    IrRef x = in_(rw, bn, 0);
    IrOpId p = def_of(rw, x);
    if (!p || rw_uses(rw, x) != 1) return false;
    IrOpKind k = g->ops[p].kind;
    bool conv = k == IR_OP_conv1d || k == IR_OP_conv2d || k == IR_OP_conv3d;
    if (!conv && k != IR_OP_matmul && k != IR_OP_gemm) return false;
    double *s, *t;
    int64_t ch;
    if (!bn_params(rw, bn, &s, &t, &ch)) return false;
    bool done = conv ? fold_bn_conv(rw, bn, p, s, t) : fold_bn_linear(rw, bn, p, s, t, ch);
    free(s);
    free(t);
    return done;
}

/* ---- Kernels (after lowering) --------------------------------------------------------------- */

/* Simplify a kernel's body with these same rules, on a copy. */
static bool canon_body(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    const IrGraph *body = ir_op_body(g, id);
    if (!body->first) {
        /* The body returns an input: the kernel may be its operand. */
        IrRef r = ir_body_result(body);
        for (int i = 0; i < body->ninputs; i++) {
            int slot = ir_body_operand(g->ops[id].kind, i);
            if (body->inputs[i] == r && slot >= 0 && g->ops[id].kind == IR_OP_fused)
                return become(rw, id, in_(rw, id, slot));
        }
        return false;
    }
    /* One op over distinct inputs: no rule applies, skip the copy. */
    IrOpId only = body->first;
    if (!body->ops[only].next) {
        bool plain = true;
        const IrOp *op = &body->ops[only];
        for (int i = 0; i < op->nin; i++) {
            plain &= body->vals[op->in[i]].def == IR_NONE;
            for (int j = 0; j < i; j++) plain &= op->in[i] != op->in[j];
        }
        if (plain) return false;
    }
    IrGraph *copy = ir_graph_clone(body);
    PassContext inner;
    pass_context_init(&inner);
    pass_canon(copy, &inner);
    pass_dce(copy, &inner);
    pass_context_free(&inner);
    if (ir_body_equal(copy, body)) {
        ir_graph_free(copy);
        return false;
    }
    IrOpId c = ir_op_copy(g, g, id, g->ops[id].in, rw->b.loc);
    ir_set_attr_body(g, c, "body", copy);
    rw_replace_op(rw, id, ir_op_result(g, c, 0));
    return true;
}

/* ---- The walk ----------------------------------------------------------------------------------
 */

static bool canon_op(Rewriter *rw, IrOpId id, void *ctx) {
    (void)ctx;
    IrGraph *g = rw->g;
    IrRef folded[IR_MAX_RESULTS];
    if (pass_fold_op(&rw->b, id, folded)) {
        for (int i = 0; i < g->ops[id].nout; i++) rw_replace(rw, g->ops[id].out[i], folded[i]);
        rw_erase(rw, id);
        return true;
    }
    IrOpKind kind = g->ops[id].kind;
    int n;
    switch (kind) {
    case IR_OP_constant: return false;
    case IR_OP_reshape:
    case IR_OP_squeeze:
    case IR_OP_unsqueeze:
    case IR_OP_flatten: return canon_reshape(rw, id);
    case IR_OP_transpose: return canon_transpose(rw, id);
    case IR_OP_expand: return canon_expand(rw, id);
    case IR_OP_slice: return canon_slice(rw, id);
    case IR_OP_cast: return canon_cast(rw, id);
    case IR_OP_where: return canon_where(rw, id);
    case IR_OP_batch_norm: return canon_batch_norm(rw, id);
    case IR_OP_tile: {
        const int64_t *rep = ir_attr_ints(g, id, "repeats", &n);
        return all_equal(rep, n, 1) && become(rw, id, in_(rw, id, 0));
    }
    case IR_OP_pad: {
        const int64_t *pads = ir_attr_ints(g, id, "pads", &n);
        return all_equal(pads, n, 0) && become(rw, id, in_(rw, id, 0));
    }
    case IR_OP_concat: return g->ops[id].nin == 1 && become(rw, id, in_(rw, id, 0));
    case IR_OP_split: return g->ops[id].nout == 1 && become(rw, id, in_(rw, id, 0));
    case IR_OP_fused:
    case IR_OP_fused_matmul:
    case IR_OP_fused_conv:
    case IR_OP_fused_reduce: return canon_body(rw, id);
    default: break;
    }
    unsigned flags = ir_op_info(kind)->flags;
    if ((flags & IR_EW) && g->ops[id].nin == 2) return canon_binary(rw, id);
    if ((flags & IR_EW) && g->ops[id].nin == 1) return canon_unary(rw, id);
    return false;
}

void pass_canon(IrGraph *g, PassContext *pc) {
    Rewriter rw;
    rw_init(&rw, g, pc);
    rw_walk(&rw, canon_op, NULL);
    rw_finish(&rw);
}

/*
 * lower: every op onto the kernel families (docs/passes.md, "The lowered
 * form"). Afterwards the graph holds only constants and ops flagged
 * IR_KERNEL in ops.def, in canonical form:
 *
 *   fused elementwise   fused (one per elementwise op; fuse merges them)
 *   reduction           fused_reduce (sum/prod/max/min), argmax, argmin
 *   matrix unit         fused_matmul, fused_conv (2-D and 3-D)
 *   pooling             max_pool2d/3d, avg_pool2d/3d
 *   data movement       reshape, transpose, expand, slice, concat, pad, gather
 *
 * Composite ops are written as simpler ops first (softmax as max, exp, sum
 * and divide; conv1d as conv2d; conv_transpose as a convolution over a
 * dilated, padded input; gemm as transposes, matmul and an epilogue; ...),
 * then the walk visits what it built and lowers that in turn. Composite
 * ops over f16/bf16 compute their intermediates in f32 (casts at both
 * ends), so statistics such as a mean or a softmax sum are not rounded to
 * 16 bits. Each rewrite is exact except where docs/passes.md says
 * otherwise (a decomposition rounds where the evaluator's composite op
 * computes in double).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Helpers ------------------------------------------------------------------------ */

static IrGraph *G(Rewriter *rw) {
    return rw->g;
}

static const IrType *type_of(Rewriter *rw, IrRef v) {
    return &rw->g->vals[v].type;
}

static IrRef in_(Rewriter *rw, IrOpId id, int i) {
    return rw->g->ops[id].in[i];
}

static IrRef out_(Rewriter *rw, IrOpId id) {
    return rw->g->ops[id].out[0];
}

static bool is_float(AccDtype t) {
    return (dtype_flags(t) & DT_FLOAT) != 0;
}

/* Arithmetic in a compute dtype: f32 for f16/bf16 values, else their own. */
typedef struct Num {
    Build *b;
    AccDtype dt, ct; /* the op's dtype and the one to compute in */
} Num;

static Num num(Rewriter *rw, AccDtype dt) {
    Num n = {&rw->b, dt, ir_compute_dtype(dt)};
    return n;
}

static IrRef to_ct(Num *n, IrRef x) {
    return pb_cast(n->b, x, n->ct);
}

static IrRef from_ct(Num *n, IrRef x) {
    return pb_cast(n->b, x, n->dt);
}

static IrRef k(Num *n, double v) {
    return pb_scalar(n->b, n->ct, v);
}

static IrRef op2(Num *n, IrOpKind kind, IrRef a, IrRef b) {
    return pb_op2(n->b, kind, a, b);
}

static IrRef op1(Num *n, IrOpKind kind, IrRef a) {
    return pb_op1(n->b, kind, a);
}

/* The ascending axes of mask; their count. */
static int mask_axes(const bool *mask, int rank, int64_t *axes) {
    int n = 0;
    for (int i = 0; i < rank; i++)
        if (mask[i]) axes[n++] = i;
    return n;
}

/* ---- Scalar expressions: the body of one elementwise op ---------------------------- */

/* The primitives (IR_KERNEL and IR_EW) for an elementwise op of src, with
 * body values a[] for its operands, built in bb (a body). */
static IrRef scalar_expr(Build *bb, const IrGraph *src, IrOpId id, const IrRef *a) {
    const IrOp *op = &src->ops[id];
    IrOpKind kind = op->kind;
    AccDtype t = bb->g->vals[a[0]].type.dtype;
    IrRef x = a[0];
#define C(v)        pb_scalar(bb, t, (v))
#define O1(k, p)    pb_op1(bb, IR_OP_##k, (p))
#define O2(k, p, q) pb_op2(bb, IR_OP_##k, (p), (q))
#define ATTR(name)  ir_attr_float(src, id, name)
    switch (kind) {
    case IR_OP_identity: return x;
    case IR_OP_cast: return pb_cast(bb, x, ir_compute_dtype(ir_attr_dtype(src, id, "to")));
    case IR_OP_reciprocal: return O2(div, C(1), x);
    case IR_OP_softsign: return O2(div, x, O2(add, C(1), O1(abs, x)));
    case IR_OP_leaky_relu:
        return pb_op3(bb, IR_OP_where, O2(less, x, C(0)), O2(mul, x, C(ATTR("alpha"))), x);
    case IR_OP_prelu: return pb_op3(bb, IR_OP_where, O2(less, x, C(0)), O2(mul, x, a[1]), x);
    case IR_OP_elu: {
        IrRef neg = O2(mul, C(ATTR("alpha")), O2(sub, O1(exp, x), C(1)));
        return pb_op3(bb, IR_OP_where, O2(less, x, C(0)), neg, x);
    }
    case IR_OP_selu: {
        IrRef neg = O2(mul, C(ATTR("alpha")), O2(sub, O1(exp, x), C(1)));
        IrRef v = pb_op3(bb, IR_OP_where, O2(less_equal, x, C(0)), neg, x);
        return O2(mul, C(ATTR("gamma")), v);
    }
    case IR_OP_gelu: {
        IrRef half = O2(mul, x, C(0.5));
        if (strcmp(ir_attr_str(src, id, "approximate"), "tanh") == 0) {
            IrRef cube = O2(mul, O2(mul, x, x), x);
            IrRef inner = O2(add, x, O2(mul, cube, C(0.044715)));
            IrRef th = O1(tanh, O2(mul, inner, C(0.79788456080286535588)));
            return O2(mul, half, O2(add, th, C(1)));
        }
        IrRef e = O1(erf, O2(mul, x, C(0.70710678118654752440)));
        return O2(mul, half, O2(add, e, C(1)));
    }
    case IR_OP_hard_sigmoid: {
        IrRef v = O2(add, O2(mul, x, C(ATTR("alpha"))), C(ATTR("beta")));
        IrRef lo = pb_op3(bb, IR_OP_where, O2(less, v, C(0)), C(0), v);
        return pb_op3(bb, IR_OP_where, O2(greater, lo, C(1)), C(1), lo);
    }
    case IR_OP_hard_swish: {
        IrRef v = O2(add, O2(div, x, C(6)), C(0.5));
        IrRef lo = pb_op3(bb, IR_OP_where, O2(less, v, C(0)), C(0), v);
        IrRef hi = pb_op3(bb, IR_OP_where, O2(greater, lo, C(1)), C(1), lo);
        return O2(mul, x, hi);
    }
    case IR_OP_softplus: {
        /* max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|. */
        IrRef tail = O1(log, O2(add, C(1), O1(exp, O1(neg, O1(abs, x)))));
        return O2(add, O1(relu, x), tail);
    }
    case IR_OP_clip: {
        IrRef v = x;
        if (op->nin > 1) v = pb_op3(bb, IR_OP_where, O2(less, v, a[1]), a[1], v);
        if (op->nin > 2) v = pb_op3(bb, IR_OP_where, O2(greater, v, a[2]), a[2], v);
        return v;
    }
    default: break;
    }
#undef C
#undef O1
#undef O2
#undef ATTR
    unsigned flags = ir_op_info(kind)->flags;
    if (!(flags & IR_EW) || !(flags & IR_KERNEL))
        ice("lower: no scalar form for %s", ir_op_name(kind));
    IrRef in[IR_MAX_OPERANDS];
    for (int i = 0; i < op->nin; i++) in[i] = a[i];
    IrOpId nid = ir_op_copy(bb->g, src, id, in, bb->loc);
    return ir_op_result(bb->g, nid, 0);
}

/* A body holding only primitives, or NULL if body already does. */
static IrGraph *primitive_body(const IrGraph *body) {
    bool ok = true;
    ir_for_each_op(body, id) {
        unsigned f = ir_op_info(body->ops[id].kind)->flags;
        if (body->ops[id].kind != IR_OP_constant &&
            (f & (IR_EW | IR_KERNEL)) != (IR_EW | IR_KERNEL))
            ok = false;
    }
    if (ok) return NULL;
    AccDtype dt[IR_MAX_OPERANDS];
    const char *names[IR_MAX_OPERANDS];
    for (int i = 0; i < body->ninputs; i++) {
        dt[i] = body->vals[body->inputs[i]].type.dtype;
        names[i] = body->vals[body->inputs[i]].name;
    }
    IrGraph *nb = ir_body_new(body->ninputs, dt, names);
    Build bb = {nb, {0, 0, 0}};
    IrRef *map = xcalloc((size_t)body->nvals, sizeof *map);
    for (int i = 0; i < body->ninputs; i++) map[body->inputs[i]] = nb->inputs[i];
    ir_for_each_op(body, id) {
        const IrOp *op = &body->ops[id];
        IrRef a[IR_MAX_OPERANDS];
        for (int i = 0; i < op->nin; i++) a[i] = map[op->in[i]];
        if (op->kind == IR_OP_constant)
            map[op->out[0]] = ir_op_result(nb, ir_op_copy(nb, body, id, a, bb.loc), 0);
        else
            map[op->out[0]] = scalar_expr(&bb, body, id, a);
    }
    ir_body_finish(nb, map[ir_body_result(body)]);
    free(map);
    return nb;
}

/* ---- Elementwise ops: one fused kernel each ------------------------------------------ */

static IrRef make_fused(Rewriter *rw, KernelBuilder *kb, IrRef r, AccDtype dtype) {
    IrOpId k = kb_make(kb, IR_OP_fused, NULL, r, dtype, rw->b.loc);
    return kb_finish_op(rw->g, k);
}

static bool lower_elementwise(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    if (g->ops[id].kind == IR_OP_identity) {
        rw_replace_op(rw, id, in_(rw, id, 0));
        return true;
    }
    KernelBuilder kb;
    kb_init(&kb, g, 0, ACC_DTYPE_F32);
    IrRef args[IR_MAX_OPERANDS];
    kb_operands(&kb, g->ops[id].nin, g->ops[id].in, args);
    IrRef r = scalar_expr(&kb.bb, g, id, args);
    rw_replace_op(rw, id, make_fused(rw, &kb, r, type_of(rw, out_(rw, id))->dtype));
    return true;
}

/* scale and zero point along axis of x, shaped to broadcast against x. */
static IrRef quant_param(Rewriter *rw, IrOpId id, IrRef p) {
    IrType x = *type_of(rw, in_(rw, id, 0));
    IrType t = *type_of(rw, p);
    if (ir_type_count(&t) == 1) return pb_reshape(&rw->b, p, 0, NULL);
    int axis = ir_norm_axis(ir_attr_int(G(rw), id, "axis"), x.rank);
    int64_t dims[IR_MAX_RANK];
    int rank = x.rank - axis;
    dims[0] = x.dims[axis];
    for (int i = 1; i < rank; i++) dims[i] = 1;
    return pb_reshape(&rw->b, p, rank, dims);
}

static bool lower_quantize(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    int nin = g->ops[id].nin;
    bool quantize = g->ops[id].kind == IR_OP_quantize_linear;
    IrRef in[3] = {in_(rw, id, 0), quant_param(rw, id, in_(rw, id, 1)),
                   nin > 2 ? quant_param(rw, id, in_(rw, id, 2)) : IR_NONE};
    KernelBuilder kb;
    kb_init(&kb, g, 0, ACC_DTYPE_F32);
    IrRef a[3];
    kb_operands(&kb, nin, in, a);
    Build *bb = &kb.bb;
    IrRef r;
    if (quantize) {
        /* round_half_even(x / scale) + zero_point, saturated by the cast:
         * the evaluator's f32 division and rounding, exactly. */
        r = pb_op1(bb, IR_OP_round, pb_op2(bb, IR_OP_div, a[0], pb_cast(bb, a[1], ACC_DTYPE_F32)));
        if (nin > 2) r = pb_op2(bb, IR_OP_add, r, pb_cast(bb, a[2], ACC_DTYPE_F32));
        r = pb_cast(bb, r, type_of(rw, out_(rw, id))->dtype);
    } else {
        /* (x - zero_point) exactly in i64, to f32, times scale. */
        r = pb_cast(bb, a[0], ACC_DTYPE_I64);
        if (nin > 2) r = pb_op2(bb, IR_OP_sub, r, pb_cast(bb, a[2], ACC_DTYPE_I64));
        r = pb_op2(bb, IR_OP_mul, pb_cast(bb, r, ACC_DTYPE_F32), a[1]);
    }
    rw_replace_op(rw, id, make_fused(rw, &kb, r, type_of(rw, out_(rw, id))->dtype));
    return true;
}

/* A fused op from hand-written IR: primitives only in its body. */
static bool lower_fused_body(Rewriter *rw, IrOpId id) {
    IrGraph *nb = primitive_body(ir_op_body(G(rw), id));
    if (!nb) return false;
    IrGraph *g = G(rw);
    IrOpId c = ir_op_copy(g, g, id, g->ops[id].in, rw->b.loc);
    ir_set_attr_body(g, c, "body", nb);
    /* Same inputs and result dtype, so the copy's inference still holds. */
    rw_replace_op(rw, id, ir_op_result(g, c, 0));
    return true;
}

/* ---- Reductions ------------------------------------------------------------------------ */

/* The axes a reduce_* op reduces, as a mask; false if none (noop). */
static bool reduce_mask(Rewriter *rw, IrOpId id, bool *mask) {
    IrType x = *type_of(rw, in_(rw, id, 0));
    int n;
    const int64_t *axes = ir_attr_ints(G(rw), id, "axes", &n);
    bool noop = ir_attr_bool(G(rw), id, "noop_with_empty_axes");
    bool any = false;
    for (int i = 0; i < x.rank; i++) mask[i] = n == 0 && !noop;
    for (int i = 0; i < n; i++) mask[ir_norm_axis(axes[i], x.rank)] = true;
    for (int i = 0; i < x.rank; i++) any |= mask[i];
    return any;
}

/* fused_reduce of kind over mask, with an identity body, result dtype dt. */
static IrRef make_reduce(Rewriter *rw, const char *kind, IrRef x, const bool *mask, AccDtype dt) {
    KernelBuilder kb;
    kb_init(&kb, G(rw), 0, ACC_DTYPE_F32);
    IrRef r = kb_operand(&kb, x);
    IrOpId op = kb_make(&kb, IR_OP_fused_reduce, NULL, r, dt, rw->b.loc);
    int64_t axes[IR_MAX_RANK];
    int n = mask_axes(mask, type_of(rw, x)->rank, axes);
    ir_set_attr_str(G(rw), op, "kind", kind);
    ir_set_attr_ints(G(rw), op, "axes", n, axes);
    return kb_finish_op(G(rw), op);
}

/* A kept-dimension result v reshaped to op's result. */
static IrRef to_result(Rewriter *rw, IrOpId id, IrRef v) {
    IrType y = *type_of(rw, out_(rw, id));
    return pb_reshape(&rw->b, v, y.rank, y.dims);
}

static bool lower_reduce(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrOpKind kind = g->ops[id].kind;
    IrRef x = in_(rw, id, 0);
    IrType xt = *type_of(rw, x);
    AccDtype dt = xt.dtype;
    bool mask[IR_MAX_RANK];
    bool any = reduce_mask(rw, id, mask);
    Num n = num(rw, dt);
    IrRef v;
    if (!any) {
        /* Every element reduced alone: the reduction's map only. */
        IrRef xw = is_float(dt) ? to_ct(&n, x) : pb_cast(&rw->b, x, ACC_DTYPE_I64);
        switch (kind) {
        case IR_OP_reduce_l1:
        case IR_OP_reduce_l2: v = op1(&n, IR_OP_abs, xw); break;
        case IR_OP_reduce_sum_square: v = op2(&n, IR_OP_mul, xw, xw); break;
        case IR_OP_reduce_log_sum: v = op1(&n, IR_OP_log, xw); break;
        default: v = x; break;
        }
        v = pb_cast(&rw->b, v, dt);
        rw_replace_op(rw, id, to_result(rw, id, v));
        return true;
    }
    int64_t axes[IR_MAX_RANK];
    int na = mask_axes(mask, xt.rank, axes);
    int64_t count = 1;
    for (int i = 0; i < na; i++) count *= xt.dims[axes[i]];
    switch (kind) {
    case IR_OP_reduce_sum: v = make_reduce(rw, "sum", x, mask, dt); break;
    case IR_OP_reduce_prod: v = make_reduce(rw, "prod", x, mask, dt); break;
    case IR_OP_reduce_max: v = make_reduce(rw, "max", x, mask, dt); break;
    case IR_OP_reduce_min: v = make_reduce(rw, "min", x, mask, dt); break;
    case IR_OP_reduce_mean:
        if (is_float(dt)) {
            IrRef s = make_reduce(rw, "sum", to_ct(&n, x), mask, n.ct);
            v = from_ct(&n, op2(&n, IR_OP_div, s, k(&n, (double)count)));
        } else {
            /* The sum wraps at 64 bits, then truncating division: exact. */
            Build *b = &rw->b;
            IrRef s = make_reduce(rw, "sum", pb_cast(b, x, ACC_DTYPE_I64), mask, ACC_DTYPE_I64);
            v = pb_cast(b, pb_op2(b, IR_OP_div, s, pb_scalar(b, ACC_DTYPE_I64, (double)count)), dt);
        }
        break;
    case IR_OP_reduce_l1:
    case IR_OP_reduce_sum_square: {
        bool f = is_float(dt);
        IrRef xw = f ? to_ct(&n, x) : pb_cast(&rw->b, x, ACC_DTYPE_I64);
        IrRef m = kind == IR_OP_reduce_l1 ? pb_op1(&rw->b, IR_OP_abs, xw)
                                          : pb_op2(&rw->b, IR_OP_mul, xw, xw);
        v = make_reduce(rw, "sum", m, mask, f ? n.ct : ACC_DTYPE_I64);
        v = pb_cast(&rw->b, v, dt);
        break;
    }
    case IR_OP_reduce_l2: {
        IrRef xc = to_ct(&n, x);
        v = from_ct(&n, op1(&n, IR_OP_sqrt,
                            make_reduce(rw, "sum", op2(&n, IR_OP_mul, xc, xc), mask, n.ct)));
        break;
    }
    case IR_OP_reduce_log_sum:
        v = from_ct(&n, op1(&n, IR_OP_log, make_reduce(rw, "sum", to_ct(&n, x), mask, n.ct)));
        break;
    case IR_OP_reduce_log_sum_exp: {
        /* m + log(sum(exp(x - m))) with m the maximum, or 0 where it is
         * infinite (then the sum gives the right infinity or zero). */
        IrRef xc = to_ct(&n, x);
        IrRef m = make_reduce(rw, "max", xc, mask, n.ct);
        IrRef inf = op2(&n, IR_OP_equal, op1(&n, IR_OP_abs, m), k(&n, INFINITY));
        IrRef ms = pb_op3(&rw->b, IR_OP_where, inf, k(&n, 0), m);
        IrRef s =
            make_reduce(rw, "sum", op1(&n, IR_OP_exp, op2(&n, IR_OP_sub, xc, ms)), mask, n.ct);
        v = from_ct(&n, op2(&n, IR_OP_add, op1(&n, IR_OP_log, s), ms));
        break;
    }
    default: ice("lower: %s is not a reduction", ir_op_name(kind));
    }
    rw_replace_op(rw, id, to_result(rw, id, v));
    return true;
}

static bool lower_arg_reduce(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrType x = *type_of(rw, in_(rw, id, 0));
    int64_t axis = ir_attr_int(g, id, "axis");
    bool keep = ir_attr_bool(g, id, "keepdims");
    if (axis >= 0 && keep) return false;
    IrRef xv = in_(rw, id, 0);
    IrOpId op = pb_create(&rw->b, g->ops[id].kind, 1, &xv);
    ir_set_attr_int(g, op, "axis", ir_norm_axis(axis, x.rank));
    ir_set_attr_bool(g, op, "keepdims", true);
    ir_set_attr_bool(g, op, "select_last_index", ir_attr_bool(g, id, "select_last_index"));
    rw_replace_op(rw, id, to_result(rw, id, pb_finish(&rw->b, op)));
    return true;
}

static bool lower_global_pool(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    IrType t = *type_of(rw, x);
    int64_t spatial = 1;
    bool mask[IR_MAX_RANK] = {false};
    for (int i = 2; i < t.rank; i++) spatial *= t.dims[i], mask[i] = true;
    IrRef v;
    if (g->ops[id].kind == IR_OP_global_avg_pool) {
        Num n = num(rw, t.dtype);
        IrRef s = make_reduce(rw, "sum", to_ct(&n, x), mask, n.ct);
        v = from_ct(&n, op2(&n, IR_OP_div, s, k(&n, (double)spatial)));
    } else if (spatial == 0) {
        v = make_reduce(rw, "max", x, mask, t.dtype);
    } else {
        /* max pooling over the whole plane keeps global_max_pool's NaN rule
         * (NaN never wins), which a max reduction would not. */
        int64_t dims[4] = {t.dims[0], t.dims[1], 1, spatial};
        IrRef flat = pb_reshape(&rw->b, x, 4, dims);
        IrOpId op = pb_create(&rw->b, IR_OP_max_pool2d, 1, &flat);
        ir_set_attr_ints(g, op, "kernel", 2, (int64_t[]){1, spatial});
        v = pb_finish(&rw->b, op);
    }
    rw_replace_op(rw, id, to_result(rw, id, v));
    return true;
}

/* ---- Normalisation and softmax -------------------------------------------------------- */

static bool lower_softmax(Rewriter *rw, IrOpId id) {
    IrRef x = in_(rw, id, 0);
    IrType t = *type_of(rw, x);
    bool mask[IR_MAX_RANK] = {false};
    mask[ir_norm_axis(ir_attr_int(G(rw), id, "axis"), t.rank)] = true;
    Num n = num(rw, t.dtype);
    IrRef xc = to_ct(&n, x);
    IrRef m = make_reduce(rw, "max", xc, mask, n.ct);
    IrRef d = op2(&n, IR_OP_sub, xc, m);
    IrRef e = op1(&n, IR_OP_exp, d);
    IrRef s = make_reduce(rw, "sum", e, mask, n.ct);
    IrRef y = G(rw)->ops[id].kind == IR_OP_softmax ? op2(&n, IR_OP_div, e, s)
                                                   : op2(&n, IR_OP_sub, d, op1(&n, IR_OP_log, s));
    rw_replace_op(rw, id, from_ct(&n, y));
    return true;
}

/* (x - mean) * rsqrt(var + eps) over the mask (two passes, as the
 * evaluator); returns it in the compute dtype. */
static IrRef normalise(Rewriter *rw, Num *n, IrRef x, const bool *mask, double eps) {
    IrType t = *type_of(rw, x);
    int64_t count = 1;
    for (int i = 0; i < t.rank; i++)
        if (mask[i]) count *= t.dims[i];
    IrRef xc = to_ct(n, x);
    IrRef mean = op2(n, IR_OP_div, make_reduce(rw, "sum", xc, mask, n->ct), k(n, (double)count));
    IrRef d = op2(n, IR_OP_sub, xc, mean);
    IrRef var = op2(n, IR_OP_div, make_reduce(rw, "sum", op2(n, IR_OP_mul, d, d), mask, n->ct),
                    k(n, (double)count));
    IrRef inv = op1(n, IR_OP_rsqrt, op2(n, IR_OP_add, var, k(n, eps)));
    return op2(n, IR_OP_mul, d, inv);
}

/* A per-channel vector [C] shaped to broadcast along dimension 1 of a
 * rank-r tensor: [C, 1, ..., 1]. */
static IrRef per_channel(Rewriter *rw, IrRef v, int rank) {
    int64_t dims[IR_MAX_RANK];
    dims[0] = type_of(rw, v)->dims[0];
    for (int i = 1; i < rank - 1; i++) dims[i] = 1;
    return pb_reshape(&rw->b, v, rank - 1, dims);
}

static bool lower_layer_norm(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    IrType t = *type_of(rw, x);
    int axis = ir_norm_axis(ir_attr_int(g, id, "axis"), t.rank);
    bool mask[IR_MAX_RANK] = {false};
    for (int i = axis; i < t.rank; i++) mask[i] = true;
    Num n = num(rw, t.dtype);
    IrRef y = normalise(rw, &n, x, mask, ir_attr_float(g, id, "epsilon"));
    y = op2(&n, IR_OP_mul, y, to_ct(&n, in_(rw, id, 1)));
    if (g->ops[id].nin > 2) y = op2(&n, IR_OP_add, y, to_ct(&n, in_(rw, id, 2)));
    rw_replace_op(rw, id, from_ct(&n, y));
    return true;
}

static bool lower_instance_norm(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    int rank = type_of(rw, x)->rank;
    bool mask[IR_MAX_RANK] = {false};
    for (int i = 2; i < rank; i++) mask[i] = true;
    Num n = num(rw, type_of(rw, x)->dtype);
    IrRef y = normalise(rw, &n, x, mask, ir_attr_float(g, id, "epsilon"));
    y = op2(&n, IR_OP_mul, y, to_ct(&n, per_channel(rw, in_(rw, id, 1), rank)));
    y = op2(&n, IR_OP_add, y, to_ct(&n, per_channel(rw, in_(rw, id, 2), rank)));
    rw_replace_op(rw, id, from_ct(&n, y));
    return true;
}

/* Inference batch norm as a scale and shift per channel:
 * s = scale * rsqrt(var + eps), t = bias - mean * s, y = x * s + t. */
static bool lower_batch_norm(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    int rank = type_of(rw, x)->rank;
    Num n = num(rw, type_of(rw, x)->dtype);
    IrRef p[4];
    for (int i = 0; i < 4; i++) p[i] = to_ct(&n, in_(rw, id, 1 + i));
    IrRef eps = k(&n, ir_attr_float(g, id, "epsilon"));
    IrRef s = op2(&n, IR_OP_mul, p[0], op1(&n, IR_OP_rsqrt, op2(&n, IR_OP_add, p[3], eps)));
    IrRef sh = op2(&n, IR_OP_sub, p[1], op2(&n, IR_OP_mul, p[2], s));
    IrRef y = op2(&n, IR_OP_mul, to_ct(&n, x), per_channel(rw, s, rank));
    y = op2(&n, IR_OP_add, y, per_channel(rw, sh, rank));
    rw_replace_op(rw, id, from_ct(&n, y));
    return true;
}

/* ---- Matrix unit: matmul and convolution -------------------------------------------- */

/* a @ b as a fused_matmul of equal-rank operands, 1-D operands promoted;
 * the result reshaped to y's shape. */
static IrRef make_matmul(Rewriter *rw, IrRef a, IrRef b, const IrType *y) {
    Build *bld = &rw->b;
    IrType ta = *type_of(rw, a);
    IrType tb = *type_of(rw, b);
    if (ta.rank == 1) a = pb_reshape(bld, a, 2, (int64_t[]){1, ta.dims[0]});
    if (tb.rank == 1) b = pb_reshape(bld, b, 2, (int64_t[]){tb.dims[0], 1});
    ta = *type_of(rw, a);
    tb = *type_of(rw, b);
    int rank = ta.rank > tb.rank ? ta.rank : tb.rank;
    for (int s = 0; s < 2; s++) {
        IrRef *v = s ? &b : &a;
        IrType t = *type_of(rw, *v);
        if (t.rank == rank) continue;
        int64_t dims[IR_MAX_RANK];
        int shift = rank - t.rank;
        for (int i = 0; i < rank; i++) dims[i] = i < shift ? 1 : t.dims[i - shift];
        *v = pb_reshape(bld, *v, rank, dims);
    }
    AccDtype acc = ir_acc_dtype(type_of(rw, a)->dtype, type_of(rw, b)->dtype);
    KernelBuilder kb;
    kb_init(&kb, G(rw), 1, acc);
    IrRef r = pb_cast(&kb.bb, kb.body->inputs[0], ir_compute_dtype(y->dtype));
    IrRef lead[2] = {a, b};
    IrRef v = kb_finish_op(G(rw), kb_make(&kb, IR_OP_fused_matmul, lead, r, y->dtype, bld->loc));
    return pb_reshape(bld, v, y->rank, y->dims);
}

static bool lower_matmul(Rewriter *rw, IrOpId id) {
    IrType y = *type_of(rw, out_(rw, id));
    rw_replace_op(rw, id, make_matmul(rw, in_(rw, id, 0), in_(rw, id, 1), &y));
    return true;
}

/* matmul_integer on the int8 matrix unit: a u8 operand as i8 (x - 128),
 * and (a - za) @ (b - zb) = a8 @ b8 + ca * colsum(b8) + cb * rowsum(a8)
 * + K * ca * cb, with a = a8 + sa (sa 128 for u8, else 0), ca = sa - za,
 * cb = sb - zb; all exact in i32. Operands of rank 2 and more. */
static bool matmul_integer_i8(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    Build *b = &rw->b;
    int nin = g->ops[id].nin;
    IrRef v8[2], c[2];
    for (int i = 0; i < 2; i++) {
        IrRef v = in_(rw, id, i);
        bool u8 = type_of(rw, v)->dtype == ACC_DTYPE_U8;
        if (u8) {
            v = pb_op2(b, IR_OP_sub, pb_cast(b, v, ACC_DTYPE_I32),
                       pb_scalar(b, ACC_DTYPE_I32, 128));
            v = pb_cast(b, v, ACC_DTYPE_I8);
        }
        v8[i] = v;
        c[i] = pb_scalar(b, ACC_DTYPE_I32, u8 ? 128 : 0);
        if (nin > 2 + i) {
            IrRef zp = pb_reshape(b, in_(rw, id, 2 + i), 0, NULL);
            c[i] = pb_op2(b, IR_OP_sub, c[i], pb_cast(b, zp, ACC_DTYPE_I32));
        }
    }
    IrType y = *type_of(rw, out_(rw, id));
    const IrType *ta = type_of(rw, v8[0]);
    int64_t k = ta->dims[ta->rank - 1], last = -1, second = -2;
    IrRef r = make_matmul(rw, v8[0], v8[1], &y);
    IrRef rows = pb_reduce(b, IR_OP_reduce_sum, pb_cast(b, v8[0], ACC_DTYPE_I32), 1, &last, true);
    IrRef cols = pb_reduce(b, IR_OP_reduce_sum, pb_cast(b, v8[1], ACC_DTYPE_I32), 1, &second, true);
    r = pb_op2(b, IR_OP_add, r, pb_op2(b, IR_OP_mul, c[0], cols));
    r = pb_op2(b, IR_OP_add, r, pb_op2(b, IR_OP_mul, c[1], rows));
    IrRef kab = pb_op2(b, IR_OP_mul, pb_op2(b, IR_OP_mul, c[0], c[1]),
                       pb_scalar(b, ACC_DTYPE_I32, (double)k));
    rw_replace_op(rw, id, pb_op2(b, IR_OP_add, r, kab));
    return true;
}

static bool lower_matmul_integer(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef ab[2] = {in_(rw, id, 0), in_(rw, id, 1)};
    int nin = g->ops[id].nin;
    bool centred = false;
    for (int i = 2; i < nin; i++) centred |= !pb_is_splat(g, in_(rw, id, i), 0.0);
    bool unsigned_ =
        type_of(rw, ab[0])->dtype == ACC_DTYPE_U8 || type_of(rw, ab[1])->dtype == ACC_DTYPE_U8;
    if ((centred || unsigned_) && type_of(rw, ab[0])->rank >= 2 && type_of(rw, ab[1])->rank >= 2)
        return matmul_integer_i8(rw, id);
    if (centred) {
        /* (a - a_zero_point) in i32, exactly; then an i32 matmul. */
        for (int i = 0; i < 2; i++) {
            IrRef v = pb_cast(&rw->b, ab[i], ACC_DTYPE_I32);
            if (nin > 2 + i) {
                IrRef zp = pb_reshape(&rw->b, in_(rw, id, 2 + i), 0, NULL);
                v = pb_op2(&rw->b, IR_OP_sub, v, pb_cast(&rw->b, zp, ACC_DTYPE_I32));
            }
            ab[i] = v;
        }
    }
    IrType y = *type_of(rw, out_(rw, id));
    rw_replace_op(rw, id, make_matmul(rw, ab[0], ab[1], &y));
    return true;
}

/* alpha * a' @ b' + beta * c, as transposes, a matmul and elementwise ops. */
static bool lower_gemm(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef a = in_(rw, id, 0), b = in_(rw, id, 1);
    static const int64_t swap[2] = {1, 0};
    if (ir_attr_bool(g, id, "trans_a")) a = pb_transpose(&rw->b, a, swap);
    if (ir_attr_bool(g, id, "trans_b")) b = pb_transpose(&rw->b, b, swap);
    double alpha = ir_attr_float(g, id, "alpha"), beta = ir_attr_float(g, id, "beta");
    Num n = num(rw, type_of(rw, a)->dtype);
    IrRef y = to_ct(&n, pb_op2(&rw->b, IR_OP_matmul, a, b));
    if (alpha != 1.0) y = op2(&n, IR_OP_mul, y, k(&n, alpha));
    if (g->ops[id].nin > 2) {
        IrRef c = to_ct(&n, in_(rw, id, 2));
        if (beta != 1.0) c = op2(&n, IR_OP_mul, c, k(&n, beta));
        y = op2(&n, IR_OP_add, y, c);
    }
    rw_replace_op(rw, id, from_ct(&n, y));
    return true;
}

static void copy_window(IrGraph *g, IrOpId to, IrOpId from) {
    static const char *const names[] = {"stride", "pad", "dilation", "groups"};
    for (int i = 0; i < 4; i++) ir_set_attr(g, to, names[i], ir_attr(g, from, names[i]));
}

static bool lower_conv(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0), w = in_(rw, id, 1);
    IrType y = *type_of(rw, out_(rw, id));
    AccDtype dt = y.dtype;
    KernelBuilder kb;
    kb_init(&kb, g, 1, ir_acc_dtype(dt, dt));
    IrRef r = kb.body->inputs[0];
    if (g->ops[id].nin > 2) {
        IrRef bias = per_channel(rw, in_(rw, id, 2), y.rank);
        r = pb_op2(&kb.bb, IR_OP_add, r, kb_operand(&kb, bias));
    }
    IrRef lead[2] = {x, w};
    IrOpId op = kb_make(&kb, IR_OP_fused_conv, lead, r, dt, rw->b.loc);
    copy_window(g, op, id);
    rw_replace_op(rw, id, kb_finish_op(g, op));
    return true;
}

/* A 1-D conv or pool as the 2-D one over [N, C, 1, L]. */
static bool lower_1d(Rewriter *rw, IrOpId id, IrOpKind kind2d) {
    IrGraph *g = G(rw);
    IrOpId o = id;
    int nin = g->ops[o].nin;
    IrRef in[3];
    for (int i = 0; i < nin; i++) {
        IrRef v = in_(rw, o, i);
        IrType t = *type_of(rw, v);
        if (i < 2 && t.rank == 3)
            v = pb_reshape(&rw->b, v, 4, (int64_t[]){t.dims[0], t.dims[1], 1, t.dims[2]});
        in[i] = v;
    }
    IrWindow w;
    ir_window(g, o, &w);
    IrOpId op = pb_create(&rw->b, kind2d, nin, in);
    ir_set_attr_ints(g, op, "stride", 2, (int64_t[]){1, w.stride[0]});
    ir_set_attr_ints(g, op, "dilation", 2, (int64_t[]){1, w.dilation[0]});
    ir_set_attr_ints(g, op, "pad", 4, (int64_t[]){0, w.pad_begin[0], 0, w.pad_end[0]});
    if (ir_attr_slot(kind2d, "groups") >= 0) ir_set_attr_int(g, op, "groups", w.groups);
    if (ir_attr_slot(kind2d, "kernel") >= 0) {
        ir_set_attr_ints(g, op, "kernel", 2, (int64_t[]){1, w.kernel[0]});
        ir_set_attr_bool(g, op, "ceil_mode", ir_attr_bool(g, o, "ceil_mode"));
    }
    if (ir_attr_slot(kind2d, "count_include_pad") >= 0)
        ir_set_attr_bool(g, op, "count_include_pad", ir_attr_bool(g, o, "count_include_pad"));
    if (ir_attr_slot(kind2d, "output_padding") >= 0)
        ir_set_attr_ints(g, op, "output_padding", 2, (int64_t[]){0, w.output_padding[0]});
    IrRef v = pb_finish(&rw->b, op);
    rw_replace_op(rw, id, to_result(rw, id, v));
    return true;
}

/* x with stride - 1 zeros between its elements along axis. */
static IrRef dilate(Build *b, IrRef x, int axis, int64_t stride) {
    IrType t = *pb_type(b, x);
    int64_t h = t.dims[axis];
    if (stride == 1 || h == 0) return x;
    int rank = t.rank;
    int64_t dims[IR_MAX_RANK], pads[2 * IR_MAX_RANK] = {0};
    for (int i = 0, j = 0; i < rank; i++) {
        dims[j++] = t.dims[i];
        if (i == axis) dims[j++] = 1;
    }
    x = pb_reshape(b, x, rank + 1, dims);
    pads[(rank + 1) + axis + 1] = stride - 1; /* after each element */
    x = pb_pad(b, x, pads, 0.0);
    IrType t2 = *pb_type(b, x);
    int64_t d2[IR_MAX_RANK];
    for (int i = 0, j = 0; i < rank + 1; i++) {
        if (i == axis + 1) continue;
        d2[j++] = i == axis ? t2.dims[i] * t2.dims[i + 1] : t2.dims[i];
    }
    x = pb_reshape(b, x, rank, d2);
    return pb_slice(b, x, axis, 0, (h - 1) * stride + 1, 1);
}

/* conv_transpose as a convolution (docs/passes.md): the input dilated by
 * the stride and padded by dilation * (k - 1) - pad (cropped where that is
 * negative; the end also gets output_padding), the weight's channel roles
 * swapped per group and its kernel flipped, stride 1. */
static bool lower_conv_transpose(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    Build *b = &rw->b;
    IrRef x = in_(rw, id, 0), w = in_(rw, id, 1);
    IrWindow win;
    ir_window(g, id, &win);
    int nsp = win.nsp, rank = nsp + 2;
    IrType y = *type_of(rw, out_(rw, id));
    if (ir_type_count(type_of(rw, x)) == 0) {
        /* Nothing to scatter: every output is the bias (or 0). */
        IrRef v =
            g->ops[id].nin > 2 ? per_channel(rw, in_(rw, id, 2), rank) : pb_scalar(b, y.dtype, 0.0);
        rw_replace_op(rw, id, pb_expand(b, v, y.rank, y.dims));
        return true;
    }
    int64_t pads[2 * IR_MAX_RANK] = {0};
    for (int i = 0; i < nsp; i++) {
        x = dilate(b, x, 2 + i, win.stride[i]);
        int64_t span = win.dilation[i] * (win.kernel[i] - 1);
        pads[2 + i] = span - win.pad_begin[i];
        pads[rank + 2 + i] = span - win.pad_end[i] + win.output_padding[i];
    }
    x = pb_pad(b, x, pads, 0.0);
    /* w [C, M/g, k...] -> [g, C/g, M/g, k...] -> [g, M/g, C/g, k...] -> [M, C/g, k...] */
    IrType wt = *type_of(rw, w);
    int64_t groups = win.groups, c = wt.dims[0], mg = wt.dims[1];
    int64_t d5[IR_MAX_RANK], perm[IR_MAX_RANK], d4[IR_MAX_RANK];
    d5[0] = groups, d5[1] = c / groups, d5[2] = mg;
    perm[0] = 0, perm[1] = 2, perm[2] = 1;
    d4[0] = groups * mg, d4[1] = c / groups;
    for (int i = 0; i < nsp; i++) {
        d5[3 + i] = wt.dims[2 + i];
        perm[3 + i] = 3 + i;
        d4[2 + i] = wt.dims[2 + i];
    }
    w = pb_reshape(b, w, rank + 1, d5);
    w = pb_transpose(b, w, perm);
    w = pb_reshape(b, w, rank, d4);
    for (int i = 0; i < nsp; i++)
        if (wt.dims[2 + i] > 1) w = pb_slice(b, w, 2 + i, wt.dims[2 + i] - 1, wt.dims[2 + i], -1);
    static const IrOpKind convs[] = {IR_OP_conv1d, IR_OP_conv2d, IR_OP_conv3d};
    IrRef in[3] = {x, w, g->ops[id].nin > 2 ? in_(rw, id, 2) : IR_NONE};
    IrOpId op = pb_create(b, convs[nsp - 1], g->ops[id].nin, in);
    int64_t ones[3] = {1, 1, 1}, zeros[6] = {0};
    ir_set_attr_ints(g, op, "stride", nsp, ones);
    ir_set_attr_ints(g, op, "pad", 2 * nsp, zeros);
    ir_set_attr_ints(g, op, "dilation", nsp, win.dilation);
    ir_set_attr_int(g, op, "groups", groups);
    rw_replace_op(rw, id, pb_finish(b, op));
    return true;
}

/* ---- Data movement ---------------------------------------------------------------------- */

static bool lower_reshape_like(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrType y = *type_of(rw, out_(rw, id));
    if (g->ops[id].kind == IR_OP_reshape && ir_attr_bool(g, id, "allowzero")) {
        int n;
        const int64_t *shape = ir_attr_ints(g, id, "shape", &n);
        bool same = n == y.rank;
        for (int i = 0; same && i < n; i++) same = shape[i] == y.dims[i];
        if (same && !ir_type_equal(&y, type_of(rw, in_(rw, id, 0)))) return false;
    }
    IrRef x = in_(rw, id, 0);
    IrRef v = ir_type_equal(type_of(rw, x), &y) ? x : IR_NONE;
    if (!v) {
        IrOpId op = pb_create(&rw->b, IR_OP_reshape, 1, &x);
        ir_set_attr_ints(g, op, "shape", y.rank, y.dims);
        ir_set_attr_bool(g, op, "allowzero", true);
        v = pb_finish(&rw->b, op);
    }
    rw_replace_op(rw, id, v);
    return true;
}

static bool lower_transpose(Rewriter *rw, IrOpId id) {
    int n;
    const int64_t *perm = ir_attr_ints(G(rw), id, "perm", &n);
    for (int i = 0; i < n; i++)
        if (perm[i] != i) return false;
    rw_replace_op(rw, id, in_(rw, id, 0));
    return true;
}

static bool lower_expand(Rewriter *rw, IrOpId id) {
    IrRef x = in_(rw, id, 0);
    IrType y = *type_of(rw, out_(rw, id));
    if (type_of(rw, x)->rank == y.rank && !ir_type_equal(type_of(rw, x), &y)) return false;
    rw_replace_op(rw, id, pb_expand(&rw->b, x, y.rank, y.dims));
    return true;
}

static bool normalise_axis(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    int64_t axis = ir_attr_int(g, id, "axis");
    if (axis >= 0) return false;
    int rank = type_of(rw, in_(rw, id, 0))->rank;
    ir_set_attr_int(g, id, "axis", ir_norm_axis(axis, rank));
    return true;
}

/* gather_elements: a gather along axis 0 of the flattened data, at flat
 * indices base + idx * stride(axis), base a constant of the other
 * coordinates; an index outside [-dim, dim) becomes the flat size, which
 * the gather rejects at run time as the evaluator rejects the original. */
static bool lower_gather_elements(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0), idx = in_(rw, id, 1);
    IrType xt = *type_of(rw, x), it = *type_of(rw, idx);
    int rank = xt.rank, axis = ir_norm_axis(ir_attr_int(g, id, "axis"), rank);
    int64_t xs[IR_MAX_RANK], total = 1, n = 1;
    for (int d = rank - 1; d >= 0; d--) xs[d] = total, total *= xt.dims[d];
    for (int d = 0; d < rank; d++) n *= it.dims[d];
    int64_t *base = xmalloc((size_t)(n ? n : 1) * sizeof *base);
    for (int64_t e = 0; e < n; e++) {
        int64_t f = e, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
            if (d != axis) off += f % it.dims[d] * xs[d];
            f /= it.dims[d];
        }
        base[e] = off;
    }
    IrType bt = it;
    bt.dtype = ACC_DTYPE_I64;
    IrRef basev = pb_constant(&rw->b, &bt, base);
    free(base);
    Build *b = &rw->b;
    IrRef i = pb_cast(b, idx, ACC_DTYPE_I64),
          dim = pb_scalar(b, ACC_DTYPE_I64, (double)xt.dims[axis]);
    IrRef zero = pb_scalar(b, ACC_DTYPE_I64, 0);
    IrRef neg = pb_op2(b, IR_OP_less, i, zero);
    i = pb_op3(b, IR_OP_where, neg, pb_op2(b, IR_OP_add, i, dim), i);
    IrRef bad =
        pb_op2(b, IR_OP_or, pb_op2(b, IR_OP_less, i, zero), pb_op2(b, IR_OP_greater_equal, i, dim));
    IrRef flat = pb_op2(b, IR_OP_add, basev,
                        pb_op2(b, IR_OP_mul, i, pb_scalar(b, ACC_DTYPE_I64, (double)xs[axis])));
    flat = pb_op3(b, IR_OP_where, bad, pb_scalar(b, ACC_DTYPE_I64, (double)total), flat);
    IrRef in[2] = {pb_reshape(b, x, 1, &total), flat};
    IrOpId op = pb_create(b, IR_OP_gather, 2, in);
    ir_set_attr_int(g, op, "axis", 0);
    rw_replace_op(rw, id, pb_finish(b, op));
    return true;
}

static bool lower_concat(Rewriter *rw, IrOpId id) {
    if (G(rw)->ops[id].nin == 1) {
        rw_replace_op(rw, id, in_(rw, id, 0));
        return true;
    }
    return normalise_axis(rw, id);
}

static bool lower_split(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    int axis = ir_norm_axis(ir_attr_int(g, id, "axis"), type_of(rw, x)->rank);
    int n;
    const int64_t *sizes = ir_attr_ints(g, id, "split", &n); /* arena: stays put */
    int64_t first = 0;
    for (int i = 0; i < n; i++) {
        rw_replace(rw, g->ops[id].out[i], pb_slice(&rw->b, x, axis, first, sizes[i], 1));
        first += sizes[i];
    }
    rw_erase(rw, id);
    return true;
}

/* One slice over the axes it changes, ascending, each with its first
 * index; the result if nothing changes. */
static bool lower_slice(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    IrType t = *type_of(rw, x);
    int n;
    const int64_t *starts = ir_attr_ints(g, id, "starts", &n);
    const int64_t *ends = ir_attr_ints(g, id, "ends", &n);
    const int64_t *axes = ir_attr_ints(g, id, "axes", &n);
    const int64_t *steps = ir_attr_ints(g, id, "steps", &n);
    int64_t first[IR_MAX_RANK], len[IR_MAX_RANK], step[IR_MAX_RANK];
    bool sliced[IR_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int a = ir_norm_axis(axes[i], t.rank);
        ir_slice_axis(t.dims[a], starts[i], ends[i], steps[i], &first[a], &len[a]);
        step[a] = steps[i];
        sliced[a] = !(steps[i] == 1 && first[a] == 0 && len[a] == t.dims[a]);
        if (len[a] == 0) first[a] = 0, step[a] = 1;
    }
    int64_t cs[IR_MAX_RANK], ce[IR_MAX_RANK], ca[IR_MAX_RANK], cst[IR_MAX_RANK];
    int m = 0;
    for (int a = 0; a < t.rank; a++) {
        if (!sliced[a]) continue;
        cs[m] = first[a];
        ce[m] = first[a] + len[a] * step[a];
        if (step[a] < 0 && ce[m] < 0) ce[m] = -(t.dims[a] + 1);
        ca[m] = a;
        cst[m] = step[a];
        m++;
    }
    bool same = m == n;
    for (int i = 0; same && i < m; i++)
        same = starts[i] == cs[i] && ends[i] == ce[i] && axes[i] == ca[i] && steps[i] == cst[i];
    if (same && m > 0) return false;
    IrRef v = x;
    if (m > 0) {
        IrOpId op = pb_create(&rw->b, IR_OP_slice, 1, &x);
        ir_set_attr_ints(g, op, "starts", m, cs);
        ir_set_attr_ints(g, op, "ends", m, ce);
        ir_set_attr_ints(g, op, "axes", m, ca);
        ir_set_attr_ints(g, op, "steps", m, cst);
        v = pb_finish(&rw->b, op);
    }
    rw_replace_op(rw, id, v);
    return true;
}

/* Constant indices (i64) 0..n-1 mapped by the pad rule of one axis. */
static IrRef pad_indices(Build *b, int64_t dim, int64_t pb_, int64_t pe, bool reflect) {
    int64_t n = dim + pb_ + pe;
    int64_t *idx = xmalloc((size_t)(n ? n : 1) * sizeof *idx);
    for (int64_t j = 0; j < n; j++) {
        int64_t p = j - pb_;
        if (p < 0 || p >= dim)
            p = reflect ? (p < 0 ? -p : 2 * (dim - 1) - p) : (p < 0 ? 0 : dim - 1);
        idx[j] = p;
    }
    IrType t = ir_type(ACC_DTYPE_I64, 1, &n);
    IrRef v = pb_constant(b, &t, idx);
    free(idx);
    return v;
}

static bool lower_pad(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    IrType t = *type_of(rw, x);
    int n;
    const int64_t *pads = ir_attr_ints(g, id, "pads", &n);
    bool negative = false, any = false;
    for (int i = 0; i < n; i++) negative |= pads[i] < 0, any |= pads[i] != 0;
    if (!any) {
        rw_replace_op(rw, id, x);
        return true;
    }
    if (!negative) return false;
    const char *mode = ir_attr_str(g, id, "mode");
    int rank = t.rank;
    IrRef v = x;
    if (strcmp(mode, "constant") == 0) {
        v = pb_pad(&rw->b, x, pads, ir_attr_float(g, id, "value"));
    } else {
        /* reflect/edge with cropping: each axis is a gather of fixed
         * indices, which follow the evaluator's rule exactly. */
        for (int i = 0; i < rank; i++) {
            if (pads[i] == 0 && pads[rank + i] == 0) continue;
            IrRef idx = pad_indices(&rw->b, t.dims[i], pads[i], pads[rank + i],
                                    strcmp(mode, "reflect") == 0);
            IrRef in[2] = {v, idx};
            IrOpId op = pb_create(&rw->b, IR_OP_gather, 2, in);
            ir_set_attr_int(g, op, "axis", i);
            v = pb_finish(&rw->b, op);
        }
    }
    rw_replace_op(rw, id, v);
    return true;
}

/* tile: each repeated axis gets a new axis of the repeat count before it,
 * which an expand fills; a reshape merges the pairs. */
static bool lower_tile(Rewriter *rw, IrOpId id) {
    IrGraph *g = G(rw);
    IrRef x = in_(rw, id, 0);
    int n;
    const int64_t *rep = ir_attr_ints(g, id, "repeats", &n);
    for (int a = 0; a < n; a++) {
        if (rep[a] == 1) continue;
        IrType t = *type_of(rw, x);
        int64_t with1[IR_MAX_RANK], wide[IR_MAX_RANK], merged[IR_MAX_RANK];
        int r = t.rank;
        if (r + 1 > IR_MAX_RANK) {
            /* No room for the extra axis: gather the axis's indices, repeated. */
            int64_t d = t.dims[a], len = d * rep[a];
            int64_t *idx = xmalloc((size_t)(len ? len : 1) * sizeof *idx);
            for (int64_t j = 0; j < len; j++) idx[j] = j % d;
            IrType it = ir_type(ACC_DTYPE_I64, 1, &len);
            IrRef in[2] = {x, pb_constant(&rw->b, &it, idx)};
            free(idx);
            IrOpId op = pb_create(&rw->b, IR_OP_gather, 2, in);
            ir_set_attr_int(g, op, "axis", a);
            x = pb_finish(&rw->b, op);
            continue;
        }
        for (int i = 0, j = 0; i < r; i++) {
            if (i == a) with1[j] = 1, wide[j++] = rep[a];
            with1[j] = t.dims[i];
            wide[j++] = t.dims[i];
            merged[i] = i == a ? rep[a] * t.dims[i] : t.dims[i];
        }
        x = pb_reshape(&rw->b, x, r + 1, with1);
        x = pb_expand(&rw->b, x, r + 1, wide);
        x = pb_reshape(&rw->b, x, r, merged);
    }
    rw_replace_op(rw, id, x);
    return true;
}

/* ---- Dispatch ------------------------------------------------------------------------------ */

static bool lower_op(Rewriter *rw, IrOpId id, void *ctx) {
    (void)ctx;
    IrGraph *g = G(rw);
    IrOpKind kind = g->ops[id].kind;
    switch (kind) {
    case IR_OP_constant: return false;
    case IR_OP_quantize_linear:
    case IR_OP_dequantize_linear: return lower_quantize(rw, id);
    case IR_OP_fused:
    case IR_OP_fused_matmul:
    case IR_OP_fused_conv: return lower_fused_body(rw, id);
    case IR_OP_fused_reduce: {
        if (lower_fused_body(rw, id)) return true;
        int n;
        const int64_t *axes = ir_attr_ints(g, id, "axes", &n);
        int rank = type_of(rw, out_(rw, id))->rank;
        bool mask[IR_MAX_RANK] = {false};
        for (int i = 0; i < n; i++) mask[ir_norm_axis(axes[i], rank)] = true;
        int64_t sorted[IR_MAX_RANK];
        int m = mask_axes(mask, rank, sorted);
        bool same = m == n && n > 0;
        for (int i = 0; same && i < n; i++) same = axes[i] == sorted[i];
        if (same) return false;
        if (m == 0) {
            /* No axis: the body alone, as an elementwise kernel. */
            IrOpId c = ir_op_create(g, IR_OP_fused, g->ops[id].nin, g->ops[id].in, rw->b.loc);
            ir_set_attr(g, c, "body", ir_attr(g, id, "body"));
            ir_set_attr(g, c, "dtype", ir_attr(g, id, "dtype"));
            IrRef v = kb_finish_op(g, c);
            rw_replace_op(rw, id,
                          pb_expand(&rw->b, v, type_of(rw, out_(rw, id))->rank,
                                    type_of(rw, out_(rw, id))->dims));
            return true;
        }
        ir_set_attr_ints(g, id, "axes", m, sorted);
        return true;
    }
    case IR_OP_matmul: return lower_matmul(rw, id);
    case IR_OP_matmul_integer: return lower_matmul_integer(rw, id);
    case IR_OP_gemm: return lower_gemm(rw, id);
    case IR_OP_conv1d: return lower_1d(rw, id, IR_OP_conv2d);
    case IR_OP_conv2d:
    case IR_OP_conv3d: return lower_conv(rw, id);
    case IR_OP_conv_transpose1d:
    case IR_OP_conv_transpose2d:
    case IR_OP_conv_transpose3d: return lower_conv_transpose(rw, id);
    case IR_OP_max_pool1d: return lower_1d(rw, id, IR_OP_max_pool2d);
    case IR_OP_avg_pool1d: return lower_1d(rw, id, IR_OP_avg_pool2d);
    case IR_OP_max_pool2d:
    case IR_OP_max_pool3d:
    case IR_OP_avg_pool2d:
    case IR_OP_avg_pool3d: return false;
    case IR_OP_global_avg_pool:
    case IR_OP_global_max_pool: return lower_global_pool(rw, id);
    case IR_OP_batch_norm: return lower_batch_norm(rw, id);
    case IR_OP_layer_norm: return lower_layer_norm(rw, id);
    case IR_OP_instance_norm: return lower_instance_norm(rw, id);
    case IR_OP_softmax:
    case IR_OP_log_softmax: return lower_softmax(rw, id);
    case IR_OP_reduce_sum:
    case IR_OP_reduce_mean:
    case IR_OP_reduce_max:
    case IR_OP_reduce_min:
    case IR_OP_reduce_prod:
    case IR_OP_reduce_l1:
    case IR_OP_reduce_l2:
    case IR_OP_reduce_sum_square:
    case IR_OP_reduce_log_sum:
    case IR_OP_reduce_log_sum_exp: return lower_reduce(rw, id);
    case IR_OP_argmax:
    case IR_OP_argmin: return lower_arg_reduce(rw, id);
    case IR_OP_reshape:
    case IR_OP_flatten:
    case IR_OP_squeeze:
    case IR_OP_unsqueeze: return lower_reshape_like(rw, id);
    case IR_OP_transpose: return lower_transpose(rw, id);
    case IR_OP_expand: return lower_expand(rw, id);
    case IR_OP_concat: return lower_concat(rw, id);
    case IR_OP_split: return lower_split(rw, id);
    case IR_OP_slice: return lower_slice(rw, id);
    case IR_OP_pad: return lower_pad(rw, id);
    case IR_OP_tile: return lower_tile(rw, id);
    case IR_OP_gather: return normalise_axis(rw, id);
    case IR_OP_gather_elements: return lower_gather_elements(rw, id);
    default: break;
    }
    if (ir_op_info(kind)->flags & IR_EW) return lower_elementwise(rw, id);
    ice("lower: no lowering for %s", ir_op_name(kind));
}

void pass_lower(IrGraph *g, PassContext *pc) {
    Rewriter rw;
    rw_init(&rw, g, pc);
    rw.budget = INT64_MAX; /* lowering must finish: every rule makes progress */
    rw_walk(&rw, lower_op, NULL);
    rw_finish(&rw);
    pc->lowered = true;
}

/*
 * Elementwise ONNX ops: those with an IR op of their own (unary, binary,
 * comparisons), variadic ones as chains, and the compositions: Celu,
 * ThresholdedRelu, Shrink, IsInf, the inverse hyperbolic functions, Pow
 * with mixed dtypes, Cast, Clip, Where.
 */
#include "importer.h"

#include <math.h>
#include <string.h>

/* Copy the node's float attributes that the IR op's schema also has
 * (alpha, beta, gamma): the names agree, and so do the defaults. */
static void copy_float_attrs(Imp *im, IrOpId op, IrOpKind kind) {
    const IrOpInfo *info = ir_op_info(kind);
    for (int i = 0; i < info->nattrs; i++) {
        const IrAttrSchema *s = &info->attrs[i];
        if (s->kind == IR_ATTR_FLOAT && imp_attr_has(im, s->name))
            ir_set_attr_float(im->g, op, s->name, imp_attr_float(im, s->name, 0));
    }
}

bool imp_map_unary(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    IrOpId op = imp_op(im, row->kind, 1, &x);
    if (op) copy_float_attrs(im, op, row->kind);
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_binary(Imp *im, const ImpOp *row) {
    IrRef y = imp_binary(im, row->kind, imp_in(im, 0), imp_in(im, 1));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_identity(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    imp_def(im, 0, x);
    return x != IR_NONE;
}

/* Max, Min, Sum: a chain of the binary op; Mean: the sum, divided. */
bool imp_map_variadic(Imp *im, const ImpOp *row) {
    int n = imp_nin(im);
    if (n < 1) return imp_fail(im, "needs at least one input");
    IrRef acc = imp_in(im, 0);
    for (int i = 1; i < n && acc; i++) acc = imp_binary(im, row->kind, acc, imp_in(im, i));
    if (acc && strcmp(row->name, "Mean") == 0 && n > 1)
        acc = imp_binary(im, IR_OP_div, acc, imp_scalar(im, imp_type(im, acc)->dtype, n));
    imp_def(im, 0, acc);
    return acc != IR_NONE;
}

bool imp_map_mod(Imp *im, const ImpOp *row) {
    IrRef in[2] = {imp_in(im, 0), imp_in(im, 1)};
    IrOpId op = imp_op(im, row->kind, 2, in);
    if (op) ir_set_attr_bool(im->g, op, "fmod", imp_attr_int(im, "fmod", 0) != 0);
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* Pow's exponent may have another dtype than its base (12+); the result
 * has the base's. A float exponent of an integer base is applied in the
 * exponent's dtype, then cast back (truncating, as ONNX's reference). */
bool imp_map_pow(Imp *im, const ImpOp *row) {
    IrRef a = imp_in(im, 0), b = imp_in(im, 1);
    if (!a || !b) return false;
    AccDtype ta = imp_type(im, a)->dtype, tb = imp_type(im, b)->dtype;
    IrRef y;
    if (ta == tb || (dtype_flags(ta) & DT_FLOAT)) {
        y = imp_binary(im, row->kind, a, imp_cast(im, b, ta));
    } else if (dtype_flags(tb) & DT_FLOAT) {
        y = imp_cast(im, imp_binary(im, row->kind, imp_cast(im, a, tb), b), ta);
    } else {
        y = imp_binary(im, row->kind, a, imp_cast(im, b, ta));
    }
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_cast(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    AccDtype to;
    if (strcmp(row->name, "CastLike") == 0) {
        IrRef like = imp_in(im, 1);
        if (!like) return false;
        to = imp_type(im, like)->dtype;
    } else {
        if (!imp_attr_has(im, "to")) return imp_fail(im, "attribute 'to' is missing");
        int64_t t = imp_attr_int(im, "to", 0);
        if (!imp_dtype((int32_t)t, &to))
            return imp_fail(im, "casting to %s is not supported", onnx_type_name((int32_t)t));
    }
    IrRef y = imp_cast(im, x, to);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* The lowest and highest values of a dtype, as clip bounds. */
static double lowest(AccDtype t) {
    switch (t) {
    case ACC_DTYPE_I8: return INT8_MIN;
    case ACC_DTYPE_U8: return 0;
    case ACC_DTYPE_I32: return INT32_MIN;
    case ACC_DTYPE_I64: return (double)INT64_MIN;
    default: return -INFINITY;
    }
}

bool imp_map_clip(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    AccDtype t = imp_type(im, x)->dtype;
    IrRef lo = IR_NONE, hi = IR_NONE;
    if (im->opset < 11) {
        if (imp_attr_has(im, "min")) lo = imp_scalar(im, t, imp_attr_float(im, "min", 0));
        if (imp_attr_has(im, "max")) hi = imp_scalar(im, t, imp_attr_float(im, "max", 0));
    } else {
        if (imp_has(im, 1) && !(lo = imp_in(im, 1))) return false;
        if (imp_has(im, 2) && !(hi = imp_in(im, 2))) return false;
    }
    /* The IR's optional operands go from the end: an absent min with a
     * max present is the dtype's lowest value. */
    if (!lo && hi) lo = imp_scalar(im, t, lowest(t));
    IrRef in[3] = {x, lo, hi};
    IrRef y = imp_finish(im, imp_op(im, row->kind, hi ? 3 : lo ? 2 : 1, in));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_where(Imp *im, const ImpOp *row) {
    IrRef y = imp_ternary(im, row->kind, imp_in(im, 0), imp_in(im, 1), imp_in(im, 2));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ---- Compositions ----------------------------------------------------------------- */

static IrRef scalar_like(Imp *im, IrRef x, double v) {
    return x ? imp_scalar(im, imp_type(im, x)->dtype, v) : IR_NONE;
}

/* celu(x) = max(x, 0) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * elu(x / alpha). */
bool imp_map_celu(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    double alpha = imp_attr_float(im, "alpha", 1.0);
    IrRef a = scalar_like(im, x, alpha);
    IrRef y =
        imp_binary(im, IR_OP_mul, imp_unary(im, IR_OP_elu, imp_binary(im, IR_OP_div, x, a)), a);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* x where x > alpha, else 0. */
bool imp_map_thresholded_relu(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    double alpha = imp_attr_float(im, "alpha", 1.0);
    IrRef keep = imp_binary(im, IR_OP_greater, x, scalar_like(im, x, alpha));
    IrRef y = imp_ternary(im, IR_OP_where, keep, x, scalar_like(im, x, 0));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* x + bias where x < -lambd, x - bias where x > lambd, else 0. */
bool imp_map_shrink(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    double lambd = imp_attr_float(im, "lambd", 0.5), bias = imp_attr_float(im, "bias", 0.0);
    IrRef below = imp_binary(im, IR_OP_less, x, scalar_like(im, x, -lambd));
    IrRef above = imp_binary(im, IR_OP_greater, x, scalar_like(im, x, lambd));
    IrRef b = scalar_like(im, x, bias);
    IrRef inner =
        imp_ternary(im, IR_OP_where, above, imp_binary(im, IR_OP_sub, x, b), scalar_like(im, x, 0));
    IrRef y = imp_ternary(im, IR_OP_where, below, imp_binary(im, IR_OP_add, x, b), inner);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_is_inf(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    bool pos = imp_attr_int(im, "detect_positive", 1) != 0;
    bool neg = imp_attr_int(im, "detect_negative", 1) != 0;
    IrRef p = pos ? imp_binary(im, IR_OP_equal, x, scalar_like(im, x, INFINITY)) : IR_NONE;
    IrRef n = neg ? imp_binary(im, IR_OP_equal, x, scalar_like(im, x, -INFINITY)) : IR_NONE;
    IrRef y;
    if (pos && neg)
        y = imp_binary(im, IR_OP_or, p, n);
    else if (pos || neg)
        y = pos ? p : n;
    else /* nothing is detected: x == NaN is false everywhere */
        y = imp_binary(im, IR_OP_equal, x, scalar_like(im, x, NAN));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* asinh(x) = sign(x) * log(|x| + sqrt(x^2 + 1)), without cancellation for
 * negative x. */
bool imp_map_asinh(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    IrRef ax = imp_unary(im, IR_OP_abs, x);
    IrRef r = imp_unary(
        im, IR_OP_sqrt,
        imp_binary(im, IR_OP_add, imp_binary(im, IR_OP_mul, x, x), scalar_like(im, x, 1)));
    IrRef l = imp_unary(im, IR_OP_log, imp_binary(im, IR_OP_add, ax, r));
    IrRef y = imp_binary(im, IR_OP_mul, imp_unary(im, IR_OP_sign, x), l);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* acosh(x) = log(x + sqrt((x - 1) * (x + 1))). */
bool imp_map_acosh(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    IrRef one = scalar_like(im, x, 1);
    IrRef r = imp_unary(im, IR_OP_sqrt,
                        imp_binary(im, IR_OP_mul, imp_binary(im, IR_OP_sub, x, one),
                                   imp_binary(im, IR_OP_add, x, one)));
    IrRef y = imp_unary(im, IR_OP_log, imp_binary(im, IR_OP_add, x, r));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* atanh(x) = log((1 + x) / (1 - x)) / 2. */
bool imp_map_atanh(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    IrRef one = scalar_like(im, x, 1);
    IrRef q = imp_binary(im, IR_OP_div, imp_binary(im, IR_OP_add, one, x),
                         imp_binary(im, IR_OP_sub, one, x));
    IrRef y = imp_binary(im, IR_OP_mul, imp_unary(im, IR_OP_log, q), scalar_like(im, x, 0.5));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

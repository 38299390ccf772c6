/*
 * Op builders for the passes (internal.h): short calls for the ops the
 * rewrites make, in the canonical forms of the lowered form.
 */
#include "internal.h"

#include <string.h>

const IrType *pb_type(const Build *b, IrRef v) {
    return &b->g->vals[v].type;
}

IrOpId pb_create(Build *b, IrOpKind kind, int nin, const IrRef *in) {
    return ir_op_create(b->g, kind, nin, in, b->loc);
}

IrRef pb_finish(Build *b, IrOpId op) {
    if (!ir_op_finish(b->g, op, NULL)) ice("pass built a bad op");
    return ir_op_result(b->g, op, 0);
}

static IrRef build(Build *b, IrOpKind kind, int nin, const IrRef *in) {
    return pb_finish(b, pb_create(b, kind, nin, in));
}

IrRef pb_op1(Build *b, IrOpKind kind, IrRef x) {
    return build(b, kind, 1, &x);
}

IrRef pb_op2(Build *b, IrOpKind kind, IrRef x, IrRef y) {
    IrRef in[2] = {x, y};
    return build(b, kind, 2, in);
}

IrRef pb_op3(Build *b, IrOpKind kind, IrRef x, IrRef y, IrRef z) {
    IrRef in[3] = {x, y, z};
    return build(b, kind, 3, in);
}

IrRef pb_scalar(Build *b, AccDtype t, double v) {
    return ir_constant_scalar(b->g, t, v, b->loc);
}

IrRef pb_constant(Build *b, const IrType *t, const void *data) {
    return ir_constant(b->g, t, data, b->loc);
}

IrRef pb_cast(Build *b, IrRef x, AccDtype t) {
    if (pb_type(b, x)->dtype == t) return x;
    IrOpId op = pb_create(b, IR_OP_cast, 1, &x);
    ir_set_attr_dtype(b->g, op, "to", t);
    return pb_finish(b, op);
}

static bool same_dims(const IrType *t, int rank, const int64_t *dims) {
    if (t->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return false;
    return true;
}

IrRef pb_reshape(Build *b, IrRef x, int rank, const int64_t *shape) {
    int64_t dims[IR_MAX_RANK];
    if (rank) memcpy(dims, shape, (size_t)rank * sizeof *dims);
    if (same_dims(pb_type(b, x), rank, dims)) return x;
    IrOpId op = pb_create(b, IR_OP_reshape, 1, &x);
    ir_set_attr_ints(b->g, op, "shape", rank, dims);
    ir_set_attr_bool(b->g, op, "allowzero", true);
    return pb_finish(b, op);
}

IrRef pb_transpose(Build *b, IrRef x, const int64_t *perm) {
    int rank = pb_type(b, x)->rank;
    bool identity = true;
    for (int i = 0; i < rank; i++) identity &= perm[i] == i;
    if (identity) return x;
    IrOpId op = pb_create(b, IR_OP_transpose, 1, &x);
    ir_set_attr_ints(b->g, op, "perm", rank, perm);
    return pb_finish(b, op);
}

IrRef pb_expand(Build *b, IrRef x, int rank, const int64_t *shape) {
    /* shape may point into g->vals, which building moves: copy it. */
    int64_t dims[IR_MAX_RANK];
    memcpy(dims, shape, (size_t)rank * sizeof *dims);
    const IrType *t = pb_type(b, x);
    if (same_dims(t, rank, dims)) return x;
    if (t->rank < rank) {
        int64_t padded[IR_MAX_RANK] = {0};
        int shift = rank - t->rank;
        for (int i = 0; i < rank; i++) padded[i] = i < shift ? 1 : t->dims[i - shift];
        x = pb_reshape(b, x, rank, padded);
        if (same_dims(pb_type(b, x), rank, dims)) return x;
    }
    IrOpId op = pb_create(b, IR_OP_expand, 1, &x);
    ir_set_attr_ints(b->g, op, "shape", rank, dims);
    return pb_finish(b, op);
}

IrRef pb_slice(Build *b, IrRef x, int axis, int64_t first, int64_t len, int64_t step) {
    const IrType *t = pb_type(b, x);
    if (step == 1 && first == 0 && len == t->dims[axis]) return x;
    /* ends: one past the last index taken; for a negative step that may be
     * before index 0, which ONNX's rules spell -(dim + 1). */
    int64_t end = first + len * step;
    if (step < 0 && end < 0) end = -(t->dims[axis] + 1);
    if (len == 0) first = 0, end = 0;
    int64_t a = axis;
    IrOpId op = pb_create(b, IR_OP_slice, 1, &x);
    ir_set_attr_ints(b->g, op, "starts", 1, &first);
    ir_set_attr_ints(b->g, op, "ends", 1, &end);
    ir_set_attr_ints(b->g, op, "axes", 1, &a);
    ir_set_attr_ints(b->g, op, "steps", 1, &step);
    return pb_finish(b, op);
}

IrRef pb_pad(Build *b, IrRef x, const int64_t *pads, double value) {
    int rank = pb_type(b, x)->rank;
    int64_t pos[2 * IR_MAX_RANK];
    bool any = false;
    for (int i = 0; i < rank; i++) {
        /* Output index j reads x[j - begin] when that is inside x, else
         * value: the part of x it reads, then what fills either side. */
        int64_t dim = pb_type(b, x)->dims[i], begin = pads[i], end = pads[rank + i];
        int64_t out = dim + begin + end;
        int64_t lo = begin < 0 ? -begin : 0, hi = end < 0 ? dim + end : dim;
        int64_t len = hi > lo ? hi - lo : 0;
        if (lo > dim) lo = dim;
        int64_t lead = begin < 0 ? 0 : begin > out - len ? out - len : begin;
        x = pb_slice(b, x, i, len ? lo : 0, len, 1);
        pos[i] = lead;
        pos[rank + i] = out - len - lead;
        any |= pos[i] || pos[rank + i];
    }
    if (!any) return x;
    IrOpId op = pb_create(b, IR_OP_pad, 1, &x);
    ir_set_attr_ints(b->g, op, "pads", 2 * rank, pos);
    ir_set_attr_float(b->g, op, "value", value);
    return pb_finish(b, op);
}

IrRef pb_reduce(Build *b, IrOpKind kind, IrRef x, int n, const int64_t *axes, bool keepdims) {
    IrOpId op = pb_create(b, kind, 1, &x);
    ir_set_attr_ints(b->g, op, "axes", n, axes);
    ir_set_attr_bool(b->g, op, "keepdims", keepdims);
    return pb_finish(b, op);
}

double pb_const_at(const IrConst *c, int64_t i) {
    return dtype_get(c->type.dtype, c->data, (size_t)i);
}

bool pb_is_splat(const IrGraph *g, IrRef v, double x) {
    const IrConst *c = ir_value_const(g, v);
    double first;
    if (!c || !ir_const_splat(c, &first)) return false;
    if (c->type.dtype == ACC_DTYPE_I64) return (double)((const int64_t *)c->data)[0] == x;
    return memcmp(&first, &x, sizeof x) == 0;
}

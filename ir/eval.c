/*
 * The reference evaluator: runs a graph op by op in program order, each op
 * through its eval function from ops.def, on plain C loops. It is the
 * numeric oracle for the rest of accc, so it favours being obviously right
 * over being fast: the numeric rules are in eval.h and docs/ir.md.
 *
 * Intermediate tensors are freed after their last use, so a model needs
 * about as much memory as its largest live set, not all of its values.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Numeric helpers ------------------------------------------------------------- */

double ev_round(AccDtype t, double v) {
    switch (t) {
    case ACC_DTYPE_F32: return (float)v;
    case ACC_DTYPE_F16: return f16_to_f32(f32_to_f16((float)v));
    case ACC_DTYPE_BF16: return bf16_to_f32(f32_to_bf16((float)v));
    case ACC_DTYPE_F64: return v;
    default: ice("ev_round: %s is not a float dtype", dtype_name(t));
    }
}

int64_t ev_wrap(AccDtype t, int64_t v) {
    uint64_t u = (uint64_t)v;
    switch (t) {
    case ACC_DTYPE_I8: return (int64_t)(u & 0xff) - ((u & 0x80) ? 0x100 : 0);
    case ACC_DTYPE_U8: return (int64_t)(u & 0xff);
    case ACC_DTYPE_I32: return (int64_t)(u & 0xffffffffu) - ((u & 0x80000000u) ? 0x100000000 : 0);
    case ACC_DTYPE_I64: return v;
    case ACC_DTYPE_BOOL: return v != 0;
    default: ice("ev_wrap: %s is not an integer dtype", dtype_name(t));
    }
}

int64_t ev_saturate(AccDtype t, double v) {
    if (t == ACC_DTYPE_BOOL) return v != 0;
    if (v != v) return 0;
    double lo, hi_excl;
    int64_t lo_i, hi_i;
    switch (t) {
    case ACC_DTYPE_I8: lo_i = INT8_MIN, hi_i = INT8_MAX, hi_excl = 0x1p7; break;
    case ACC_DTYPE_U8: lo_i = 0, hi_i = UINT8_MAX, hi_excl = 0x1p8; break;
    case ACC_DTYPE_I32: lo_i = INT32_MIN, hi_i = INT32_MAX, hi_excl = 0x1p31; break;
    case ACC_DTYPE_I64: lo_i = INT64_MIN, hi_i = INT64_MAX, hi_excl = 0x1p63; break;
    default: ice("ev_saturate: %s is not an integer dtype", dtype_name(t));
    }
    lo = (double)lo_i;
    if (v >= hi_excl) return hi_i;
    if (v <= lo) return lo_i;
    return (int64_t)v; /* truncates toward zero */
}

void ev_alloc(EvTensor *t, const IrType *type) {
    t->type = *type;
    t->count = ir_type_count(type);
    t->f = NULL;
    t->i = NULL;
    size_t n = t->count ? (size_t)t->count : 1;
    if (ev_is_float(type->dtype))
        t->f = xcalloc(n, sizeof(double));
    else
        t->i = xcalloc(n, sizeof(int64_t));
}

void ev_free(EvTensor *t) {
    free(t->f);
    free(t->i);
    t->f = NULL;
    t->i = NULL;
}

void ev_strides(const IrType *t, int64_t *strides) {
    int64_t s = 1;
    for (int i = t->rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= t->dims[i];
    }
}

void ev_bcast_strides(const IrType *in, const IrType *out, int64_t *strides) {
    int64_t own[IR_MAX_RANK];
    ev_strides(in, own);
    int shift = out->rank - in->rank;
    for (int i = 0; i < out->rank; i++) {
        int k = i - shift;
        strides[i] = (k < 0 || in->dims[k] == 1) ? 0 : own[k];
    }
}

int64_t ev_bcast_index(const IrType *in, const IrType *out, int64_t j) {
    if (in->rank == out->rank && ir_type_count(in) == ir_type_count(out)) return j;
    int64_t k = 0, stride = 1;
    int shift = out->rank - in->rank;
    for (int i = out->rank - 1; i >= shift; i--) {
        int64_t idx = j % out->dims[i];
        j /= out->dims[i];
        int64_t d = in->dims[i - shift];
        if (d != 1) k += idx * stride;
        stride *= d;
    }
    return k;
}

void ev_load(EvTensor *t, const void *data) {
    AccDtype dt = t->type.dtype;
    for (int64_t j = 0; j < t->count; j++) {
        if (t->f)
            t->f[j] = dtype_get(dt, data, (size_t)j);
        else if (dt == ACC_DTYPE_I64)
            t->i[j] = ((const int64_t *)data)[j];
        else
            t->i[j] = (int64_t)dtype_get(dt, data, (size_t)j); /* exact below 2^53 */
    }
}

void ev_unflatten(const IrType *t, int64_t j, int64_t *idx) {
    for (int i = t->rank - 1; i >= 0; i--) {
        int64_t d = t->dims[i] ? t->dims[i] : 1;
        idx[i] = j % d;
        j /= d;
    }
}

int ev_error(IrEval *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(c->err, c->errlen, "%s: ", EV_NAME(c));
    if (n >= 0 && (size_t)n < c->errlen) vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- Conversions at the edges ------------------------------------------------------- */

static void from_npy(EvTensor *t, const NpyArray *a, const IrType *type) {
    ev_alloc(t, type);
    ev_load(t, a->data);
}

static void to_npy(const EvTensor *t, NpyArray *a) {
    npy_alloc(a, t->type.dtype, t->type.rank, t->type.dims);
    for (int64_t j = 0; j < t->count; j++) {
        if (t->f)
            dtype_set(a->dtype, a->data, (size_t)j, t->f[j]);
        else if (a->dtype == ACC_DTYPE_I64)
            ((int64_t *)a->data)[j] = t->i[j];
        else
            dtype_set(a->dtype, a->data, (size_t)j, (double)t->i[j]);
    }
}

static bool npy_matches(const NpyArray *a, const IrType *t) {
    if (a->dtype != t->dtype || a->ndim != t->rank) return false;
    for (int i = 0; i < t->rank; i++)
        if (a->shape[i] != t->dims[i]) return false;
    return true;
}

static const char *npy_type_str(const NpyArray *a) {
    IrType t;
    memset(&t, 0, sizeof t);
    t.dtype = a->dtype;
    t.rank = a->ndim < IR_MAX_RANK ? a->ndim : IR_MAX_RANK;
    for (int i = 0; i < t.rank; i++) t.dims[i] = a->shape[i];
    return ir_type_str(&t);
}

/* ---- Running one op ------------------------------------------------------------------ */

static int run_op(const IrGraph *g, IrOpId id, const EvTensor *const *in, EvTensor *out, char *err,
                  size_t errlen) {
    const IrOp *op = &g->ops[id];
    IrEval c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.op = id;
    c.kind = op->kind;
    c.nin = op->nin;
    c.nout = op->nout;
    c.err = err;
    c.errlen = errlen;
    for (int i = 0; i < op->nin; i++) c.in[i] = in[i];
    for (int i = 0; i < op->nout; i++) {
        ev_alloc(&out[i], &g->vals[op->out[i]].type);
        c.out[i] = &out[i];
    }
    int rc = ir_op_info(op->kind)->eval(&c);
    if (rc != 0)
        for (int i = 0; i < op->nout; i++) ev_free(&out[i]);
    return rc;
}

int ir_eval_op(const IrGraph *g, IrOpId id, const NpyArray *const *in, NpyArray *out, char *err,
               size_t errlen) {
    const IrOp *op = &g->ops[id];
    EvTensor ins[IR_MAX_OPERANDS], outs[IR_MAX_RESULTS];
    const EvTensor *inp[IR_MAX_OPERANDS];
    for (int i = 0; i < op->nin; i++) {
        const IrType *t = &g->vals[op->in[i]].type;
        if (!npy_matches(in[i], t)) {
            snprintf(err, errlen, "%s: operand %d is %s, expected %s", ir_op_name(op->kind), i,
                     npy_type_str(in[i]), ir_type_str(t));
            for (int k = 0; k < i; k++) ev_free(&ins[k]);
            return -1;
        }
        from_npy(&ins[i], in[i], t);
        inp[i] = &ins[i];
    }
    int rc = run_op(g, id, inp, outs, err, errlen);
    for (int i = 0; i < op->nin; i++) ev_free(&ins[i]);
    if (rc != 0) return rc;
    for (int i = 0; i < op->nout; i++) {
        to_npy(&outs[i], &out[i]);
        ev_free(&outs[i]);
    }
    return 0;
}

/* ---- Running a graph ------------------------------------------------------------------ */

int ir_eval(const IrGraph *g, const NpyArray *inputs, NpyArray *outputs, char *err, size_t errlen) {
    for (int i = 0; i < g->ninputs; i++) {
        const IrValue *v = &g->vals[g->inputs[i]];
        if (!npy_matches(&inputs[i], &v->type)) {
            snprintf(err, errlen, "input '%s' must be %s, got %s", v->name ? v->name : "?",
                     ir_type_str(&v->type), npy_type_str(&inputs[i]));
            return -1;
        }
    }
    /* Position of each op, and of each value's last use; outputs live on. */
    int32_t *last_use = xcalloc((size_t)g->nvals, sizeof *last_use);
    int32_t pos = 0;
    ir_for_each_op(g, id) {
        pos++;
        for (int i = 0; i < g->ops[id].nin; i++) last_use[g->ops[id].in[i]] = pos;
    }
    for (int i = 0; i < g->noutputs; i++) last_use[g->outputs[i].val] = INT32_MAX;

    EvTensor *vals = xcalloc((size_t)g->nvals, sizeof *vals);
    for (int i = 0; i < g->ninputs; i++)
        from_npy(&vals[g->inputs[i]], &inputs[i], &g->vals[g->inputs[i]].type);

    int rc = 0;
    pos = 0;
    ir_for_each_op(g, id) {
        const IrOp *op = &g->ops[id];
        const EvTensor *in[IR_MAX_OPERANDS];
        EvTensor out[IR_MAX_RESULTS];
        for (int i = 0; i < op->nin; i++) in[i] = &vals[op->in[i]];
        rc = run_op(g, id, in, out, err, errlen);
        if (rc != 0) break;
        pos++;
        for (int i = 0; i < op->nout; i++) vals[op->out[i]] = out[i];
        for (int i = 0; i < op->nin; i++)
            if (last_use[op->in[i]] == pos) ev_free(&vals[op->in[i]]);
        /* A result nobody reads. */
        for (int i = 0; i < op->nout; i++)
            if (last_use[op->out[i]] == 0) ev_free(&vals[op->out[i]]);
    }
    if (rc == 0)
        for (int i = 0; i < g->noutputs; i++) to_npy(&vals[g->outputs[i].val], &outputs[i]);
    for (int32_t v = 0; v < g->nvals; v++) ev_free(&vals[v]);
    free(vals);
    free(last_use);
    return rc;
}

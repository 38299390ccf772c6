/*
 * The reference evaluator's private interface, shared by eval*.c.
 *
 * Every tensor is held as one 8-byte word per element:
 *   - float dtypes (f32 f16 bf16) as double, holding a value of the dtype
 *     exactly (each op rounds its results to the dtype: ev_round);
 *   - integer dtypes and bool as int64_t, holding a value of the dtype
 *     (integer results wrap to the dtype's width: ev_wrap; bool is 0 or 1).
 * Ops compute in double or int64 and round or wrap once per result
 * element, which is what docs/ir.md promises.
 */
#ifndef ACCC_IR_EVAL_H
#define ACCC_IR_EVAL_H

#include "ir.h"

typedef struct EvTensor {
    IrType type;
    int64_t count;
    double *f;  /* float dtypes, else NULL */
    int64_t *i; /* integer and bool dtypes, else NULL */
} EvTensor;

struct IrEval {
    const IrGraph *g;
    IrOpId op;
    IrOpKind kind;
    int nin, nout;
    const EvTensor *in[IR_MAX_OPERANDS];
    EvTensor *out[IR_MAX_RESULTS]; /* allocated with the result types */
    char *err;
    size_t errlen;
};

static inline bool ev_is_float(AccDtype t) {
    return (dtype_flags(t) & DT_FLOAT) != 0;
}

/* v rounded to the float dtype t (through f32 for f16 and bf16). */
double ev_round(AccDtype t, double v);
/* v wrapped to the integer dtype t (two's complement; bool: v != 0). */
int64_t ev_wrap(AccDtype t, int64_t v);
/* Float to integer dtype t: truncate toward zero, saturate, NaN is 0. */
int64_t ev_saturate(AccDtype t, double v);

void ev_alloc(EvTensor *t, const IrType *type);
void ev_free(EvTensor *t);
/* Copy element k of src to element j of dst (same dtype class). */
static inline void ev_copy(EvTensor *dst, int64_t j, const EvTensor *src, int64_t k) {
    if (dst->f)
        dst->f[j] = src->f[k];
    else
        dst->i[j] = src->i[k];
}

/* Set a result element, rounding or wrapping to its dtype. */
static inline void ev_setf(EvTensor *t, int64_t j, double v) {
    t->f[j] = ev_round(t->type.dtype, v);
}
static inline void ev_seti(EvTensor *t, int64_t j, int64_t v) {
    t->i[j] = ev_wrap(t->type.dtype, v);
}
/* Element j as a double, whatever the class. */
static inline double ev_get(const EvTensor *t, int64_t j) {
    return t->f ? t->f[j] : (double)t->i[j];
}

/* Strides of a C-order shape. */
void ev_strides(const IrType *t, int64_t *strides);
/* Strides of in read through a broadcast to out's rank: 0 on broadcast
 * dimensions (the result dimensions in lines up with from the right). */
void ev_bcast_strides(const IrType *in, const IrType *out, int64_t *strides);
/* Flat index into in of the element broadcast to element j of out. */
int64_t ev_bcast_index(const IrType *in, const IrType *out, int64_t j);
/* Fill t (allocated with its type) from raw storage-format data. */
void ev_load(EvTensor *t, const void *data);
/* Multi-index idx (rank dims) of flat index j. */
void ev_unflatten(const IrType *t, int64_t j, int64_t *idx);

int ev_error(IrEval *c, const char *fmt, ...) ACC_PRINTF(2, 3);

/* Reduce x into y (the reduce_* op kind k's accumulation and finishing)
 * over the dimensions marked in mask; y has x's rank (reduced dimensions of
 * size 1) or the rank without them. */
void ev_reduce(IrOpKind k, const bool *mask, const EvTensor *x, EvTensor *y);

#define EV_NAME(c)             ir_op_name((c)->kind)
#define EV_ATTR_INT(c, name)   ir_attr_int((c)->g, (c)->op, name)
#define EV_ATTR_FLOAT(c, name) ir_attr_float((c)->g, (c)->op, name)
#define EV_ATTR_BOOL(c, name)  ir_attr_bool((c)->g, (c)->op, name)

#endif

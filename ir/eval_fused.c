/*
 * Evaluator: the fused kernels. A body is evaluated over whole tensors:
 * each body input becomes a tensor of the shape the kernel iterates over
 * (its operand broadcast, its dtype promoted: f16/bf16 values are f32
 * values already), and each body op runs through its own eval function on
 * those tensors. Since body ops are elementwise, that computes every
 * element exactly as the scalar expression would, with each body op
 * rounding to its dtype (f32 inside for f16/bf16 kernels). The kernel then
 * stores the body's result in its dtype: the one rounding to f16/bf16.
 *
 * The accumulators of fused_matmul and fused_conv are the matmul and
 * convolution sums (in double, index order) rounded to the accumulator's
 * dtype; fused_reduce accumulates like reduce_* and rounds to the body's
 * dtype before the store.
 */
#include "eval.h"

#include <stdlib.h>
#include <string.h>

/* A tensor of the given shape and dtype holding src broadcast to it. */
static void broadcast_into(EvTensor *dst, const EvTensor *src, const IrType *shape, AccDtype dt) {
    IrType t = *shape;
    t.dtype = dt;
    ev_alloc(dst, &t);
    for (int64_t j = 0; j < dst->count; j++)
        ev_copy(dst, j, src, ev_bcast_index(&src->type, shape, j));
}

/* Evaluate body over shape. args[i] (consumed: freed here) are its inputs,
 * already of shape and of the body's input dtypes. On success *result is
 * the body's result over shape. */
static int eval_body(IrEval *c, const IrGraph *body, EvTensor *args, const IrType *shape,
                     EvTensor *result) {
    int32_t *last_use = xcalloc((size_t)body->nvals, sizeof *last_use);
    int32_t pos = 0;
    ir_for_each_op(body, id) {
        pos++;
        for (int i = 0; i < body->ops[id].nin; i++) last_use[body->ops[id].in[i]] = pos;
    }
    IrRef res = ir_body_result(body);
    last_use[res] = INT32_MAX;
    EvTensor *vals = xcalloc((size_t)body->nvals, sizeof *vals);
    for (int i = 0; i < body->ninputs; i++) vals[body->inputs[i]] = args[i];
    int rc = 0;
    pos = 0;
    ir_for_each_op(body, id) {
        const IrOp *op = &body->ops[id];
        IrType t = *shape;
        t.dtype = body->vals[op->out[0]].type.dtype;
        EvTensor *out = &vals[op->out[0]];
        ev_alloc(out, &t);
        pos++;
        if (op->kind == IR_OP_constant) {
            const IrConst *k = &body->consts[op->attrs[0].u.tensor];
            EvTensor one;
            ev_alloc(&one, &k->type);
            ev_load(&one, k->data);
            for (int64_t j = 0; j < out->count; j++) ev_copy(out, j, &one, 0);
            ev_free(&one);
        } else {
            IrEval sub;
            memset(&sub, 0, sizeof sub);
            sub.g = body;
            sub.op = id;
            sub.kind = op->kind;
            sub.nin = op->nin;
            sub.nout = 1;
            sub.err = c->err;
            sub.errlen = c->errlen;
            for (int i = 0; i < op->nin; i++) sub.in[i] = &vals[op->in[i]];
            sub.out[0] = out;
            rc = ir_op_info(op->kind)->eval(&sub);
            if (rc != 0) break;
        }
        for (int i = 0; i < op->nin; i++)
            if (last_use[op->in[i]] == pos) ev_free(&vals[op->in[i]]);
        if (last_use[op->out[0]] == 0) ev_free(out);
    }
    if (rc == 0) {
        *result = vals[res];
        vals[res].f = NULL;
        vals[res].i = NULL;
    }
    for (int32_t v = 0; v < body->nvals; v++) ev_free(&vals[v]);
    free(vals);
    free(last_use);
    return rc;
}

/* The body inputs that stand for operands first.. of c's op, over shape. */
static void operand_args(IrEval *c, int first, const IrType *shape, EvTensor *args) {
    for (int i = first; i < c->nin; i++)
        broadcast_into(&args[i - first], c->in[i], shape, ir_compute_dtype(c->in[i]->type.dtype));
}

/* Store the body's result v in the op's result y (rounding to its dtype). */
static void store(EvTensor *y, const EvTensor *v) {
    for (int64_t j = 0; j < y->count; j++) {
        if (y->f)
            ev_setf(y, j, v->f[j]);
        else
            y->i[j] = v->i[j];
    }
}

static const IrGraph *body_of(const IrEval *c) {
    return ir_op_body(c->g, c->op);
}

int ir_eval_fused(IrEval *c) {
    EvTensor args[IR_MAX_OPERANDS], v;
    const IrType *shape = &c->out[0]->type;
    operand_args(c, 0, shape, args);
    if (eval_body(c, body_of(c), args, shape, &v) != 0) return -1;
    store(c->out[0], &v);
    ev_free(&v);
    return 0;
}

/* The accumulator of a matmul or convolution kernel: eval (the plain op's
 * function) with the result rounded to the accumulator dtype instead. */
static int accumulate(IrEval *c, int (*eval)(IrEval *), EvTensor *acc) {
    IrType t = c->out[0]->type;
    t.dtype = ir_acc_dtype(c->in[0]->type.dtype, c->in[1]->type.dtype);
    ev_alloc(acc, &t);
    IrEval sub = *c;
    sub.nin = 2; /* no bias */
    sub.nout = 1;
    sub.out[0] = acc;
    return eval(&sub);
}

static int fused_accumulated(IrEval *c, int (*eval)(IrEval *)) {
    EvTensor args[IR_MAX_OPERANDS], v;
    const IrType *shape = &c->out[0]->type;
    if (accumulate(c, eval, &args[0]) != 0) {
        ev_free(&args[0]);
        return -1;
    }
    operand_args(c, 2, shape, args + 1);
    if (eval_body(c, body_of(c), args, shape, &v) != 0) return -1;
    store(c->out[0], &v);
    ev_free(&v);
    return 0;
}

int ir_eval_fused_matmul(IrEval *c) {
    return fused_accumulated(c, ir_eval_matmul);
}

int ir_eval_fused_conv(IrEval *c) {
    return fused_accumulated(c, ir_eval_conv);
}

int ir_eval_fused_reduce(IrEval *c) {
    static const char *const kinds[] = {"sum", "prod", "max", "min"};
    static const IrOpKind ops[] = {IR_OP_reduce_sum, IR_OP_reduce_prod, IR_OP_reduce_max,
                                   IR_OP_reduce_min};
    const char *kind = ir_attr_str(c->g, c->op, "kind");
    int which = 0;
    while (which < 3 && strcmp(kinds[which], kind) != 0) which++;
    IrType shape = c->in[0]->type;
    for (int i = 1; i < c->nin; i++) ir_broadcast(&shape, &c->in[i]->type, &shape, NULL);
    EvTensor args[IR_MAX_OPERANDS], v, acc;
    operand_args(c, 0, &shape, args);
    if (eval_body(c, body_of(c), args, &shape, &v) != 0) return -1;
    int n;
    const int64_t *axes = ir_attr_ints(c->g, c->op, "axes", &n);
    bool mask[IR_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) mask[ir_norm_axis(axes[i], shape.rank)] = true;
    IrType t = c->out[0]->type;
    t.dtype = v.type.dtype;
    ev_alloc(&acc, &t);
    ev_reduce(ops[which], mask, &v, &acc);
    store(c->out[0], &acc);
    ev_free(&v);
    ev_free(&acc);
    return 0;
}

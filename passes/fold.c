/*
 * fold: constant folding. An op whose operands are all constants is
 * evaluated at compile time by the reference evaluator (ir_eval_op), so a
 * folded result is exactly what the graph would have computed, bit for
 * bit, and its results become constants.
 *
 * Not folded: ops whose result would be much larger than their operands
 * (an expand or tile of a small constant stays a cheap data movement
 * instead of a large constant in memory), and ops the evaluator rejects on
 * these values (a gather index out of range stays, to fail at run time as
 * it would have).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A result may be this many elements, or as large as the largest operand. */
enum { FOLD_MIN_ELEMENTS = 1 << 16 };

static void const_to_npy(const IrConst *c, NpyArray *a) {
    npy_alloc(a, c->type.dtype, c->type.rank, c->type.dims);
    if (a->count) memcpy(a->data, c->data, a->count * dtype_size(c->type.dtype));
}

bool pass_fold_op(Build *b, IrOpId id, IrRef *out) {
    IrGraph *g = b->g;
    const IrOp *op = &g->ops[id];
    if (op->kind == IR_OP_constant || op->nin == 0) return false;
    int64_t largest = FOLD_MIN_ELEMENTS;
    for (int i = 0; i < op->nin; i++) {
        const IrConst *c = ir_value_const(g, op->in[i]);
        if (!c) return false;
        int64_t n = ir_type_count(&c->type);
        if (n > largest) largest = n;
    }
    for (int i = 0; i < op->nout; i++)
        if (ir_type_count(&g->vals[op->out[i]].type) > largest) return false;

    int nin = op->nin, nout = op->nout;
    NpyArray *in = xcalloc((size_t)nin, sizeof *in);
    const NpyArray **inp = xcalloc((size_t)nin, sizeof *inp);
    NpyArray res[IR_MAX_RESULTS];
    for (int i = 0; i < nin; i++) {
        const_to_npy(ir_value_const(g, op->in[i]), &in[i]);
        inp[i] = &in[i];
    }
    char err[256];
    bool ok = ir_eval_op(g, id, inp, res, err, sizeof err) == 0;
    for (int i = 0; i < nin; i++) npy_free(&in[i]);
    free(in);
    free(inp);
    if (!ok) return false;
    for (int i = 0; i < nout; i++) {
        const IrType *t = &g->vals[g->ops[id].out[i]].type;
        out[i] = pb_constant(b, t, res[i].data);
        npy_free(&res[i]);
    }
    return true;
}

static bool fold(Rewriter *rw, IrOpId id, void *ctx) {
    (void)ctx;
    IrRef out[IR_MAX_RESULTS];
    if (!pass_fold_op(&rw->b, id, out)) return false;
    for (int i = 0; i < rw->g->ops[id].nout; i++) rw_replace(rw, rw->g->ops[id].out[i], out[i]);
    rw_erase(rw, id);
    return true;
}

void pass_fold(IrGraph *g, PassContext *pc) {
    Rewriter rw;
    rw_init(&rw, g, pc);
    rw_walk(&rw, fold, NULL);
    rw_finish(&rw);
}

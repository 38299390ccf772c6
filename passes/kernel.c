/*
 * Building kernels (internal.h): the operands of a fused op, collected
 * once each, and its body, built with the builders of build.c inside the
 * body graph. lower makes every kernel through here; fuse merges bodies
 * with kb_inline.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const SrcLoc no_loc = {0, 0, 0};

void kb_init(KernelBuilder *kb, IrGraph *g, int nacc, AccDtype acc) {
    memset(kb, 0, sizeof *kb);
    kb->g = g;
    static const char *const acc_name[] = {"acc"};
    kb->body = ir_body_new(nacc, &acc, nacc ? acc_name : NULL);
    kb->bb.g = kb->body;
    kb->bb.loc = no_loc;
    kb->skip = nacc ? 2 : 0;
}

IrRef kb_operand(KernelBuilder *kb, IrRef v) {
    for (int i = 0; i < kb->n; i++)
        if (kb->operands[i] == v) return kb->inputs[i];
    if (kb->n + kb->skip >= IR_MAX_OPERANDS) ice("kernel with too many operands");
    IrType t = ir_type(ir_compute_dtype(kb->g->vals[v].type.dtype), 0, NULL);
    kb->operands[kb->n] = v;
    kb->inputs[kb->n] = ir_add_input(kb->body, NULL, &t);
    return kb->inputs[kb->n++];
}

IrRef kb_scalar(KernelBuilder *kb, AccDtype t, double v) {
    return pb_scalar(&kb->bb, t, v);
}

/* A one-element constant, if v is one. */
static const IrConst *single(const IrGraph *g, IrRef v) {
    const IrConst *c = ir_value_const(g, v);
    return c && ir_type_count(&c->type) == 1 ? c : NULL;
}

void kb_operands(KernelBuilder *kb, int n, const IrRef *in, IrRef *args) {
    /* A constant operand of one element may live in the body, unless its
     * rank is what makes the kernel's result rank; one operand stays. */
    int rank = -1, keep = -1;
    for (int i = 0; i < n; i++)
        if (!single(kb->g, in[i]) && kb->g->vals[in[i]].type.rank > rank)
            rank = kb->g->vals[in[i]].type.rank;
    if (rank < 0) {
        keep = 0;
        for (int i = 1; i < n; i++)
            if (kb->g->vals[in[i]].type.rank > kb->g->vals[in[keep]].type.rank) keep = i;
        rank = kb->g->vals[in[keep]].type.rank;
    }
    for (int i = 0; i < n; i++) {
        const IrConst *c = single(kb->g, in[i]);
        if (c && i != keep && c->type.rank <= rank) {
            IrType t = ir_type(ir_compute_dtype(c->type.dtype), 0, NULL);
            /* The value, exactly: f16/bf16 widen to f32 exactly; i64 keeps
             * its bits. */
            unsigned char buf[8];
            if (c->type.dtype == ACC_DTYPE_I64)
                memcpy(buf, c->data, 8);
            else
                dtype_set(t.dtype, buf, 0, dtype_get(c->type.dtype, c->data, 0));
            args[i] = pb_constant(&kb->bb, &t, buf);
        } else {
            args[i] = kb_operand(kb, in[i]);
        }
    }
}

IrRef kb_inline(KernelBuilder *kb, const IrGraph *src, const IrRef *args) {
    IrRef *map = xcalloc((size_t)src->nvals, sizeof *map);
    for (int i = 0; i < src->ninputs; i++) map[src->inputs[i]] = args[i];
    IrRef in[IR_MAX_OPERANDS];
    ir_for_each_op(src, id) {
        const IrOp *op = &src->ops[id];
        for (int i = 0; i < op->nin; i++) in[i] = map[op->in[i]];
        IrOpId nid = ir_op_copy(kb->body, src, id, in, no_loc);
        map[op->out[0]] = ir_op_result(kb->body, nid, 0);
    }
    IrRef r = map[ir_body_result(src)];
    free(map);
    return r;
}

/* One op per distinct computation in a body, and none unused. */
static void tidy(IrGraph *body) {
    /* Nothing to share or drop: no op, or one op that gives the result. */
    IrOpId first = body->first;
    if (!first || (!body->ops[first].next && body->ops[first].out[0] == ir_body_result(body)))
        return;
    PassContext pc;
    pass_context_init(&pc);
    pass_cse(body, &pc);
    pass_dce(body, &pc);
    pass_context_free(&pc);
}

IrOpId kb_make(KernelBuilder *kb, IrOpKind kind, const IrRef *lead, IrRef r, AccDtype dtype,
               SrcLoc loc) {
    ir_body_finish(kb->body, r);
    tidy(kb->body);
    IrRef in[IR_MAX_OPERANDS];
    int n = 0;
    for (int i = 0; i < kb->skip; i++) in[n++] = lead[i];
    for (int i = 0; i < kb->n; i++) in[n++] = kb->operands[i];
    IrOpId op = ir_op_create(kb->g, kind, n, in, loc);
    ir_set_attr_body(kb->g, op, "body", kb->body);
    ir_set_attr_dtype(kb->g, op, "dtype", dtype);
    kb->body = NULL;
    return op;
}

IrRef kb_finish_op(IrGraph *g, IrOpId op) {
    if (!ir_op_finish(g, op, NULL)) ice("pass built a bad kernel");
    return ir_op_result(g, op, 0);
}

void kb_abandon(KernelBuilder *kb) {
    ir_graph_free(kb->body);
    kb->body = NULL;
}

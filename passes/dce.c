/*
 * dce: dead code elimination. One walk backwards from the graph's
 * outputs: an op is live if one of its results is read by a live op or is
 * a graph output; the others are erased. No op has side effects, so
 * nothing else keeps an op alive. Graph inputs stay (they are the
 * interface), even when nothing reads them.
 *
 * Then the constant data and bodies no live op refers to are freed (their
 * table entries stay, so indices do not move): folding and fusion leave
 * many behind, such as a network's weights before batch norm was folded
 * into them.
 */
#include "internal.h"

#include <stdlib.h>

static void free_unreferenced(IrGraph *g) {
    bool *used_const = xcalloc((size_t)g->nconsts + 1, sizeof *used_const);
    bool *used_body = xcalloc((size_t)g->nbodies + 1, sizeof *used_body);
    ir_for_each_op(g, id) {
        const IrOp *op = &g->ops[id];
        int n = ir_op_info(op->kind)->nattrs;
        for (int i = 0; i < n; i++) {
            if (op->attrs[i].kind == IR_ATTR_TENSOR) used_const[op->attrs[i].u.tensor] = true;
            if (op->attrs[i].kind == IR_ATTR_BODY) used_body[op->attrs[i].u.body] = true;
        }
    }
    for (int32_t i = 0; i < g->nconsts; i++)
        if (!used_const[i]) {
            free(g->consts[i].data);
            g->consts[i].data = NULL;
        }
    for (int32_t i = 0; i < g->nbodies; i++)
        if (!used_body[i]) {
            ir_graph_free(g->bodies[i]);
            g->bodies[i] = NULL;
        }
    free(used_const);
    free(used_body);
}

void pass_dce(IrGraph *g, PassContext *pc) {
    (void)pc;
    bool *live = xcalloc((size_t)g->nvals, sizeof *live);
    for (int i = 0; i < g->noutputs; i++) live[g->outputs[i].val] = true;
    for (IrOpId id = g->last; id;) {
        IrOpId prev = g->ops[id].prev;
        const IrOp *op = &g->ops[id];
        bool used = false;
        for (int i = 0; i < op->nout; i++) used |= live[op->out[i]];
        if (used)
            for (int i = 0; i < op->nin; i++) live[op->in[i]] = true;
        else
            ir_op_erase(g, id);
        id = prev;
    }
    free(live);
    free_unreferenced(g);
}

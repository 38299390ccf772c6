/*
 * dce: dead code elimination. One walk backwards from the graph's
 * outputs: an op is live if one of its results is read by a live op or is
 * a graph output; the others are erased. No op has side effects, so
 * nothing else keeps an op alive. Graph inputs stay (they are the
 * interface), even when nothing reads them.
 */
#include "internal.h"

#include <stdlib.h>

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
}

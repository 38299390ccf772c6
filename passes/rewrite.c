/*
 * The one-walk rewriter (internal.h): replacements forwarded as the walk
 * reaches their uses, approximate use counts, and the walk that revisits
 * what a rewrite builds.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Room for every value and op the graph has now. */
static void grow(Rewriter *rw) {
    IrGraph *g = rw->g;
    if ((size_t)g->nvals > rw->capvals) {
        size_t old = rw->capvals, cap = old;
        XGROW(rw->repl, cap, (size_t)g->nvals);
        cap = old;
        XGROW(rw->uses, cap, (size_t)g->nvals);
        memset(rw->repl + old, 0, (cap - old) * sizeof *rw->repl);
        memset(rw->uses + old, 0, (cap - old) * sizeof *rw->uses);
        rw->capvals = cap;
    }
    if ((size_t)g->nops > rw->capops) {
        size_t old = rw->capops;
        XGROW(rw->counted, rw->capops, (size_t)g->nops);
        memset(rw->counted + old, 0, rw->capops - old);
    }
}

static void count_operands(Rewriter *rw, IrOpId op) {
    const IrOp *o = &rw->g->ops[op];
    for (int i = 0; i < o->nin; i++) rw->uses[o->in[i]]++;
    rw->counted[op] = 1;
}

void rw_init(Rewriter *rw, IrGraph *g, PassContext *pc) {
    memset(rw, 0, sizeof *rw);
    rw->g = g;
    rw->pc = pc;
    rw->b.g = g;
    grow(rw);
    ir_for_each_op(g, id) count_operands(rw, id);
    for (int i = 0; i < g->noutputs; i++) rw->uses[g->outputs[i].val]++;
    /* Every op may be rewritten a few times (each rewrite makes progress);
     * the budget only guards against a pair of rules undoing each other. */
    rw->budget = 16 * (int64_t)g->nops + 1024;
}

IrRef rw_value(Rewriter *rw, IrRef v) {
    while ((size_t)v < rw->capvals && rw->repl[v]) v = rw->repl[v];
    return v;
}

void rw_finish(Rewriter *rw) {
    IrGraph *g = rw->g;
    for (int i = 0; i < g->noutputs; i++) g->outputs[i].val = rw_value(rw, g->outputs[i].val);
    g->uses_valid = false;
    free(rw->repl);
    free(rw->uses);
    free(rw->counted);
    memset(rw, 0, sizeof *rw);
}

void rw_replace(Rewriter *rw, IrRef old, IrRef new_value) {
    grow(rw);
    new_value = rw_value(rw, new_value);
    if (old == new_value) return;
    if (!ir_type_equal(&rw->g->vals[old].type, &rw->g->vals[new_value].type))
        ice("rewrite replaces %s by %s", ir_type_str(&rw->g->vals[old].type),
            ir_type_str(&rw->g->vals[new_value].type));
    rw->repl[old] = new_value;
    rw->uses[new_value] += rw->uses[old];
    rw->uses[old] = 0;
    /* Keep the source's name on the value that now carries it. */
    IrValue *o = &rw->g->vals[old], *n = &rw->g->vals[new_value];
    if (o->name && !n->name) n->name = o->name;
}

void rw_erase(Rewriter *rw, IrOpId op) {
    grow(rw);
    const IrOp *o = &rw->g->ops[op];
    if (rw->counted[op])
        for (int i = 0; i < o->nin; i++) rw->uses[rw_value(rw, o->in[i])]--;
    ir_op_erase(rw->g, op);
}

void rw_replace_op(Rewriter *rw, IrOpId op, IrRef v) {
    rw_replace(rw, ir_op_result(rw->g, op, 0), v);
    rw_erase(rw, op);
}

int32_t rw_uses(Rewriter *rw, IrRef v) {
    grow(rw);
    return rw->uses[rw_value(rw, v)];
}

/* Forward op's operands through the replacements, and count a new op's. */
static void visit(Rewriter *rw, IrOpId op) {
    grow(rw);
    IrOp *o = &rw->g->ops[op];
    for (int i = 0; i < o->nin; i++) {
        IrRef v = rw_value(rw, o->in[i]);
        if (v != o->in[i]) {
            o->in[i] = v;
            rw->g->uses_valid = false;
        }
    }
    if (!rw->counted[op]) count_operands(rw, op);
}

void rw_walk(Rewriter *rw, RewriteFn *fn, void *ctx) {
    IrGraph *g = rw->g;
    for (IrOpId id = g->first; id;) {
        visit(rw, id);
        if (rw->budget <= 0) {
            id = g->ops[id].next;
            continue;
        }
        IrOpId prev = g->ops[id].prev;
        ir_set_insert_point(g, id);
        rw->b.loc = g->ops[id].loc;
        bool changed = fn(rw, id, ctx);
        ir_set_insert_point(g, IR_NONE);
        if (changed) {
            rw->budget--;
            id = prev ? g->ops[prev].next : g->first;
        } else {
            id = g->ops[id].next;
        }
    }
}

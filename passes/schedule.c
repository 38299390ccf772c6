/*
 * schedule — the second backend pass (docs/backend.md, "Supersteps"): put
 * the plan's tasks into BSP supersteps.
 *
 * ASAP over the tasks in creation order, which is a topological order (tile
 * creates the tasks that fill a buffer before any task that reads it): a
 * compute task runs in the first phase in which every buffer it reads is
 * complete; an exchange at the barrier that ends the first phase in which
 * its sources are complete, its destinations complete from the next phase
 * on. Tasks of one phase run on each tile in creation order; all exchanges
 * of a phase happen at its barrier. Each task's time (its position in that
 * order, exchanges after the compute of their phase) is what place uses for
 * lifetimes.
 */
#include "passes.h"

#include <stdlib.h>

static const Plan *sort_plan;

static int cmp_task(const void *a, const void *b) {
    const PlanTask *x = &sort_plan->tasks[*(const int32_t *)a],
                   *y = &sort_plan->tasks[*(const int32_t *)b];
    if (x->phase != y->phase) return x->phase < y->phase ? -1 : 1;
    int xx = x->kind == PLAN_XCHG, yx = y->kind == PLAN_XCHG;
    if (xx != yx) return xx - yx;
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    return (i > j) - (i < j);
}

void pass_schedule(IrGraph *g, PassContext *pc) {
    (void)g;
    Plan *p = pc->plan;
    if (!p || pc->failed) return;
    int32_t *ready = xcalloc((size_t)p->nbufs + 1, sizeof *ready);
    int32_t nphases = 1;
    for (int32_t i = 0; i < p->ntasks; i++) {
        PlanTask *t = &p->tasks[i];
        int32_t ph = 0;
        for (int32_t k = 0; k < t->nin; k++)
            if (ready[t->in[k]] > ph) ph = ready[t->in[k]];
        t->phase = ph;
        int32_t done = t->kind == PLAN_XCHG ? ph + 1 : ph;
        for (int32_t k = 0; k < t->nout; k++)
            if (ready[t->out[k]] < done) ready[t->out[k]] = done;
        if (done + 1 > nphases) nphases = done + 1;
    }
    free(ready);
    p->nphases = nphases;
    free(p->order);
    p->order = xmalloc((size_t)(p->ntasks ? p->ntasks : 1) * sizeof *p->order);
    for (int32_t i = 0; i < p->ntasks; i++) p->order[i] = i;
    sort_plan = p;
    qsort(p->order, (size_t)p->ntasks, sizeof *p->order, cmp_task);
    sort_plan = NULL;
    for (int32_t k = 0; k < p->ntasks; k++) p->tasks[p->order[k]].time = k;
}

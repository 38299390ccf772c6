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
 * lifetimes. Tasks marked late (moves of streamed constants, fills when
 * saving memory) then move as late as their readers allow.
 */
#include "passes.h"

#include <stdint.h>
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
    /* Late tasks (moves of streamed constants, fills) as late as their
     * readers allow, so the copies they make live only around their use:
     * backwards, each buffer's need is the first phase a reader runs in
     * (an exchange reads at the barrier ending its phase); a compute task
     * writing it may run in that phase (before the reader, in creation
     * order), an exchange at the barrier before it. */
    int32_t *need = xmalloc(((size_t)p->nbufs + 1) * sizeof *need);
    for (int32_t b = 0; b < p->nbufs; b++) need[b] = INT32_MAX;
    for (int32_t i = p->ntasks - 1; i >= 0; i--) {
        PlanTask *t = &p->tasks[i];
        if (t->late) {
            int32_t lim = INT32_MAX;
            for (int32_t k = 0; k < t->nout; k++)
                if (need[t->out[k]] < lim) lim = need[t->out[k]];
            if (lim == INT32_MAX) lim = nphases - 1; /* nothing reads it */
            int32_t ph = t->kind == PLAN_XCHG ? lim - 1 : lim;
            if (ph > t->phase) t->phase = ph;
        }
        for (int32_t k = 0; k < t->nin; k++)
            if (t->phase < need[t->in[k]]) need[t->in[k]] = t->phase;
    }
    free(need);
    p->nphases = nphases;
    free(p->order);
    p->order = xmalloc((size_t)(p->ntasks ? p->ntasks : 1) * sizeof *p->order);
    for (int32_t i = 0; i < p->ntasks; i++) p->order[i] = i;
    sort_plan = p;
    qsort(p->order, (size_t)p->ntasks, sizeof *p->order, cmp_task);
    sort_plan = NULL;
    for (int32_t k = 0; k < p->ntasks; k++) p->tasks[p->order[k]].time = k;
}

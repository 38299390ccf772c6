/*
 * tile, the planner's cycle estimates (PlanTask.cycles; docs/backend.md,
 * "Estimates") for the tasks whose generator left them unset: elementwise
 * kernels, copies and fills from their argument words, exchanges from
 * their bytes.
 *
 * A worker issues one instruction every `workers` cycles (machine.md, the
 * barrel), so a kernel's time on a tile is its busiest worker's
 * instructions times `workers`; the estimate of a task is its slowest
 * tile's. An exchange takes its busiest tile's bytes over the per-tile
 * bandwidth plus the latency, and the barrier's sync.
 */
#include "internal.h"

#include <stdlib.h>

enum {
    KERNEL_START = 20, /* the supervisor's run and wait, the kernel's prologue */
    ROW_COST = 8,      /* per row of a chunk or descriptor: bumps, counters, branches */
};

/* Instructions per element of a body (the turns of machine.md's classes). */
static int64_t body_cost(const IrGraph *body) {
    int64_t n = 0;
    ir_for_each_op(body, b) {
        switch (body->ops[b].kind) {
        case IR_OP_constant: n += 1; break;
        case IR_OP_exp:
        case IR_OP_log:
        case IR_OP_tanh:
        case IR_OP_sigmoid: n += 4; break;
        case IR_OP_sqrt:
        case IR_OP_rsqrt:
        case IR_OP_div: n += 3; break;
        case IR_OP_sin:
        case IR_OP_cos:
        case IR_OP_tan:
        case IR_OP_asin:
        case IR_OP_acos:
        case IR_OP_atan:
        case IR_OP_sinh:
        case IR_OP_cosh:
        case IR_OP_erf:
        case IR_OP_pow:
        case IR_OP_mod: n += 30; break;
        case IR_OP_where: n += 4; break;
        default: n += 2; break;
        }
    }
    return n;
}

/* The word at byte offset off of a tile's argument block. */
static uint32_t word_at(const PlanBuf *ab, int32_t q, int64_t off) {
    int64_t i = off / 4;
    return i >= 0 && (uint32_t)i < ab->size[q] / 4 ? ab->words[q][i].value : 0;
}

/* A chunked kernel (EW): per worker {nchunks, chunk*, bump[nbuf]}, chunks
 * {n1, n0, ptr[nbuf]}. */
static int64_t ew_cycles(const Plan *p, const PlanTask *t) {
    const PlanEwSpec *s = t->spec;
    const PlanBuf *ab = &p->bufs[t->args];
    int64_t per = body_cost(ir_op_body(p->g, s->op)) + 1;
    for (int k = 1; k < s->nbuf; k++) per += s->inner[k] != 0;
    int64_t worst = 0, w = p->machine.workers;
    for (int32_t q = 0; q < ab->ntiles; q++) {
        uint32_t nw = word_at(ab, q, 0);
        for (uint32_t k = 0; k < nw; k++) {
            int64_t blk = PLAN_ARGS_HEADER + (int64_t)k * (2 + s->nbuf) * 4;
            uint32_t nc = word_at(ab, q, blk), list = word_at(ab, q, blk + 4);
            int64_t n = KERNEL_START;
            for (uint32_t c = 0; c < nc; c++) {
                int64_t at = list + (int64_t)c * (2 + s->nbuf) * 4;
                int64_t n1 = word_at(ab, q, at), n0 = word_at(ab, q, at + 4);
                n += n1 * (n0 * per + ROW_COST) + 2 + s->nbuf;
            }
            if (n * w > worst) worst = n * w;
        }
    }
    return worst;
}

/* COPY and FILL: per worker {ndesc, desc*}, descriptors of ni x no. */
static int64_t copy_cycles(const Plan *p, const PlanTask *t) {
    const PlanBuf *ab = &p->bufs[t->args];
    bool fill = t->kind == PLAN_FILL;
    int dsize = fill ? PLAN_FILL_DESC : PLAN_COPY_DESC, ni_at = fill ? 4 : 8,
        no_at = fill ? 12 : 20;
    int64_t worst = 0, w = p->machine.workers;
    for (int32_t q = 0; q < ab->ntiles; q++) {
        uint32_t nw = word_at(ab, q, 0);
        for (uint32_t k = 0; k < nw; k++) {
            int64_t blk = PLAN_ARGS_HEADER + (int64_t)k * PLAN_COPY_WORKER;
            uint32_t nd = word_at(ab, q, blk), list = word_at(ab, q, blk + 4);
            int64_t n = KERNEL_START;
            for (uint32_t d = 0; d < nd; d++) {
                int64_t at = list + (int64_t)d * dsize;
                int64_t ni = word_at(ab, q, at + ni_at), no = word_at(ab, q, at + no_at);
                n += no * (ni * (fill ? 1 : 2) + ROW_COST) + 10;
            }
            if (n * w > worst) worst = n * w;
        }
    }
    return worst;
}

/* XCHG: the busiest tile's bytes sent or received over the bandwidth. */
static int64_t xchg_cycles(const Plan *p, const PlanTask *t) {
    const IsaMachine *m = &p->machine;
    int64_t *sent = xcalloc((size_t)m->tiles, sizeof *sent);
    int64_t *recv = xcalloc((size_t)m->tiles, sizeof *recv);
    plan_xchg_bytes(t, sent, recv);
    int64_t worst = plan_xchg_busiest(m, sent, recv);
    free(sent);
    free(recv);
    return t->nxfers ? worst + m->xlatency_cycles + m->sync_cycles : 0;
}

void tile_estimate(Plan *p) {
    for (int32_t i = 0; i < p->ntasks; i++) {
        PlanTask *t = &p->tasks[i];
        if (t->cycles) continue;
        switch (t->kind) {
        case PLAN_EW:
            if (t->args >= 0 && t->spec) t->cycles = ew_cycles(p, t);
            break;
        case PLAN_COPY:
        case PLAN_FILL:
            if (t->args >= 0) t->cycles = copy_cycles(p, t);
            break;
        case PLAN_XCHG: t->cycles = xchg_cycles(p, t); break;
        default: break;
        }
    }
}

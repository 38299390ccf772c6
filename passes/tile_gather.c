/*
 * tile, gather with indices known only at run time (docs/backend.md,
 * "Gather"): a GATHER task. (A gather with constant indices is a view,
 * move.c.)
 *
 * The result is split along its first dimension, so each tile's block is
 * one run of result elements; the data and the indices are replicated on
 * the result's tiles (every tile may read any data row). Each worker walks
 * its part of the run, reads the index, checks it (an index outside
 * [-dim, dim) traps, the evaluator's error) and copies the element.
 */
#include "internal.h"

#include <stdlib.h>

enum { GATHER_MIN_TILE_BYTES = 1024, GATHER_MAX_TILES = 16 };

/* A layout of type ty with the same grid as l, every tile holding all of it. */
static void replicated(const PlanLayout *l, const IrType *ty, PlanLayout *r) {
    layout_single(r, ty->dtype, ty->rank, ty->dims, l->base);
    r->ngrid = l->ngrid;
    memcpy(r->grid, l->grid, sizeof r->grid);
}

void tile_gather(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    Plan *p = t->p;
    const IrOp *op = &g->ops[id];
    IrRef data = op->in[0], idx = op->in[1], y = op->out[0];
    const IrType *dt = &g->vals[data].type, *it = &g->vals[idx].type, *yt = &g->vals[y].type;
    int axis = (int)ir_attr_int(g, id, "axis");
    int64_t inner = 1, nidx = 1, total = 1;
    for (int d = axis + 1; d < dt->rank; d++) inner *= dt->dims[d];
    for (int d = 0; d < it->rank; d++) nidx *= it->dims[d];
    for (int d = 0; d < yt->rank; d++) total *= yt->dims[d];
    int64_t es = (int64_t)dtype_size(yt->dtype);

    /* The result: split along dimension 0 only. */
    PlanLayout ol;
    tile_default_layout(t, yt, &ol);
    int32_t base = ol.base;
    layout_single(&ol, yt->dtype, yt->rank, yt->dims, base);
    if (yt->rank > 0 && yt->dims[0] > 1) {
        int64_t row = total / yt->dims[0] * es, want = yt->dims[0];
        int64_t by_bytes = row * yt->dims[0] / GATHER_MIN_TILE_BYTES;
        if (want > by_bytes) want = by_bytes;
        if (want > GATHER_MAX_TILES) want = GATHER_MAX_TILES;
        if (want > (int64_t)t->m->tiles) want = t->m->tiles;
        if (want > 1) {
            int64_t block = (yt->dims[0] + want - 1) / want;
            ol.ngrid = 1;
            ol.grid[0] = (int32_t)((yt->dims[0] + block - 1) / block);
            ol.axis[0] = 0;
            ol.block[0] = block;
            if (ol.base + ol.grid[0] > (int32_t)t->m->tiles) ol.base = 0;
        }
    }
    PlanLayout dl, il;
    replicated(&ol, dt, &dl);
    replicated(&ol, it, &il);
    int32_t db = tile_value_in(t, data, &dl);
    int32_t ib = tile_value_in(t, idx, &il);
    int32_t out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);

    PlanGatherSpec *spec = ARENA_NEW(t->arena, PlanGatherSpec);
    spec->esize = (int)es;
    spec->idx_dtype = it->dtype;
    spec->nidx = nidx;
    spec->inner = inner;
    spec->dim = dt->dims[axis];
    const char *name = p->bufs[out].name;
    int32_t task = plan_add_task(p, PLAN_GATHER, id, name);
    int32_t ntl = layout_ntiles(&ol);
    plan_task_set_layout_tiles(p, task, &ol);
    plan_task_reads(p, task, db);
    plan_task_reads(p, task, ib);
    plan_task_writes(p, task, out);
    int32_t ab = tile_args_buf(t, task, name);
    p->tasks[task].spec = spec;
    int64_t most = 0, w = t->m->workers;
    int64_t per_row = yt->rank > 0 && yt->dims[0] ? total / yt->dims[0] : total;
    for (int32_t q = 0; q < ntl; q++) {
        int64_t blockc[IR_MAX_RANK];
        layout_block_of(&ol, q, blockc);
        int64_t first = 0, count = total;
        if (ol.ngrid == 1 && ol.axis[0] == 0) {
            first = blockc[0] * ol.block[0] * per_row;
            count = layout_extent(&ol, blockc, 0) * per_row;
        }
        if (count > most) most = count;
        int64_t nw = count < w ? (count ? count : 1) : w;
        size_t n = PLAN_ARGS_HEADER / 4 + (size_t)nw * PLAN_GATHER_WORKER / 4;
        PlanWord *words = ARENA_ARRAY(&p->arena, PlanWord, n);
        memset(words, 0, n * sizeof *words);
        for (size_t i = 0; i < n; i++) words[i].buf = -1;
        words[0].value = (uint32_t)nw;
        for (int64_t k = 0; k < nw; k++) {
            int64_t a = count * k / nw, b = count * (k + 1) / nw, e = first + a;
            PlanWord *wb = &words[PLAN_ARGS_HEADER / 4 + k * PLAN_GATHER_WORKER / 4];
            wb[0] = (PlanWord){-1, (uint32_t)(b - a)};
            wb[1] = (PlanWord){out, (uint32_t)(a * es)};
            wb[2] = (PlanWord){db, 0};
            wb[3] = (PlanWord){ib, 0};
            wb[4] = (PlanWord){-1, (uint32_t)(e / (inner * nidx))};
            wb[5] = (PlanWord){-1, (uint32_t)(e / inner % nidx)};
            wb[6] = (PlanWord){-1, (uint32_t)(e % inner)};
            wb[7] = (PlanWord){-1, 0};
        }
        p->bufs[ab].words[q] = words;
        p->bufs[ab].size[q] = (uint32_t)(n * 4);
    }
    p->tasks[task].cycles = (most + w - 1) / w * 24 * w + 20 * w;
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, out);
}

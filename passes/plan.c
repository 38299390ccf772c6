/*
 * The backend's plan: buffers and tasks, built by tile, ordered by
 * schedule, placed by place, read by the backend's code generation.
 */
#include "passes.h"

#include <stdint.h>
#include <stdlib.h>

static const char *const task_names[] = {
#define PLAN_TASK(id, doc) [PLAN_##id] = #id,
#include "plantasks.def"
#undef PLAN_TASK
};
_Static_assert(ACC_ARRAY_LEN(task_names) == PLAN_TASK_COUNT, "plantasks.def rows out of step");

Plan *plan_new(const IrGraph *g, const IsaMachine *m) {
    Plan *p = xcalloc(1, sizeof *p);
    p->g = g;
    p->machine = *m;
    arena_init(&p->arena);
    return p;
}

void plan_free(Plan *p) {
    if (!p) return;
    free(p->bufs);
    free(p->tasks);
    free(p->order);
    free(p->peak);
    free(p->in_buf);
    free(p->out_buf);
    arena_free(&p->arena);
    free(p);
}

const char *plan_task_name(PlanTaskKind k) {
    return (unsigned)k < PLAN_TASK_COUNT ? task_names[k] : "?";
}

int32_t plan_add_buf(Plan *p, PlanBufKind kind, IrRef value, IrOpId op, const char *name) {
    XGROW(p->bufs, p->capbufs, (size_t)p->nbufs + 1);
    PlanBuf *b = &p->bufs[p->nbufs];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->value = value;
    b->op = op;
    b->name = arena_strdup(&p->arena, name ? name : "");
    b->first = b->last = -1;
    return p->nbufs++;
}

void plan_buf_alloc_tiles(Plan *p, PlanBuf *b, int32_t n) {
    size_t m = (size_t)(n ? n : 1);
    b->ntiles = n;
    b->tiles = ARENA_ARRAY(&p->arena, int32_t, m);
    b->size = ARENA_ARRAY(&p->arena, uint32_t, m);
    b->addr = ARENA_ARRAY(&p->arena, uint32_t, m);
}

int32_t plan_add_layout_buf(Plan *p, PlanBufKind kind, IrRef value, IrOpId op, const char *name,
                            const PlanLayout *l) {
    int32_t id = plan_add_buf(p, kind, value, op, name);
    PlanBuf *b = &p->bufs[id];
    b->has_layout = true;
    b->layout = *l;
    layout_canon(&b->layout);
    int32_t n = layout_ntiles(&b->layout);
    uint32_t bytes = (uint32_t)layout_block_bytes(&b->layout);
    plan_buf_alloc_tiles(p, b, n);
    for (int32_t i = 0; i < n; i++) {
        b->tiles[i] = b->layout.base + i;
        b->size[i] = bytes;
    }
    return id;
}

int32_t plan_add_task(Plan *p, PlanTaskKind kind, IrOpId op, const char *what) {
    XGROW(p->tasks, p->captasks, (size_t)p->ntasks + 1);
    PlanTask *t = &p->tasks[p->ntasks];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->op = op;
    t->what = arena_strdup(&p->arena, what ? what : "");
    t->args = -1;
    t->phase = t->time = -1;
    return p->ntasks++;
}

static void push(Plan *p, int32_t **list, int32_t *n, int32_t v) {
    for (int32_t i = 0; i < *n; i++)
        if ((*list)[i] == v) return;
    int32_t *grown = ARENA_ARRAY(&p->arena, int32_t, (size_t)*n + 1);
    if (*n) memcpy(grown, *list, (size_t)*n * sizeof *grown);
    grown[(*n)++] = v;
    *list = grown;
}

void plan_task_reads(Plan *p, int32_t task, int32_t buf) {
    PlanTask *t = &p->tasks[task];
    push(p, &t->in, &t->nin, buf);
}

void plan_task_writes(Plan *p, int32_t task, int32_t buf) {
    PlanTask *t = &p->tasks[task];
    push(p, &t->out, &t->nout, buf);
}

void plan_task_set_tiles(Plan *p, int32_t task, int32_t n, const int32_t *tiles) {
    PlanTask *t = &p->tasks[task];
    t->ntiles = n;
    t->tiles = ARENA_ARRAY(&p->arena, int32_t, (size_t)(n ? n : 1));
    if (n) memcpy(t->tiles, tiles, (size_t)n * sizeof *tiles);
}

void plan_task_set_layout_tiles(Plan *p, int32_t task, const PlanLayout *l) {
    PlanTask *t = &p->tasks[task];
    t->ntiles = layout_ntiles(l);
    t->tiles = ARENA_ARRAY(&p->arena, int32_t, (size_t)(t->ntiles ? t->ntiles : 1));
    for (int32_t q = 0; q < t->ntiles; q++) t->tiles[q] = l->base + q;
}

static int32_t find_sorted(const int32_t *list, int32_t n, int32_t v) {
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (list[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && list[lo] == v ? lo : -1;
}

int32_t plan_buf_tile_index(const PlanBuf *b, int32_t tile) {
    return find_sorted(b->tiles, b->ntiles, tile);
}

int32_t plan_task_tile_index(const PlanTask *t, int32_t tile) {
    return find_sorted(t->tiles, t->ntiles, tile);
}

/* ---- Listing ------------------------------------------------------------------------ */

static const char *const buf_kinds[] = {"value", "input", "const", "acc", "temp", "args"};

void plan_xchg_bytes(const PlanTask *t, int64_t *sent, int64_t *recv) {
    size_t cap = 16;
    while (cap < 2 * (size_t)t->nxfers) cap *= 2;
    int32_t *seen = xmalloc(cap * sizeof *seen); /* the first transfer of each range */
    for (size_t i = 0; i < cap; i++) seen[i] = -1;
    for (int32_t k = 0; k < t->nxfers; k++) {
        const PlanXfer *x = &t->xfers[k];
        recv[x->to] += x->len;
        uint64_t h = ((uint64_t)(uint32_t)x->from * 0x9e3779b97f4a7c15ull) ^
                     ((uint64_t)(uint32_t)x->sbuf << 40) ^ ((uint64_t)x->soff << 8) ^ x->len;
        h *= 0xff51afd7ed558ccdull;
        size_t i = (size_t)(h >> 20) & (cap - 1);
        for (; seen[i] >= 0; i = (i + 1) & (cap - 1)) {
            const PlanXfer *y = &t->xfers[seen[i]];
            if (y->from == x->from && y->sbuf == x->sbuf && y->soff == x->soff && y->len == x->len)
                break;
        }
        if (seen[i] >= 0) continue; /* another destination of a multicast */
        seen[i] = k;
        sent[x->from] += x->len;
    }
    free(seen);
}

int64_t plan_xchg_busiest(const IsaMachine *m, const int64_t *sent, const int64_t *recv) {
    int64_t worst = 0;
    for (uint32_t tl = 0; tl < m->tiles; tl++) {
        int64_t s = (sent[tl] + m->xsend_bytes - 1) / m->xsend_bytes,
                r = (recv[tl] + m->xrecv_bytes - 1) / m->xrecv_bytes;
        if (s > worst) worst = s;
        if (r > worst) worst = r;
    }
    return worst;
}

static void print_tiles(StrBuf *sb, int32_t n, const int32_t *tiles) {
    if (n == 0) {
        sb_puts(sb, "no tiles");
        return;
    }
    bool range = tiles[n - 1] - tiles[0] == n - 1;
    if (range)
        sb_printf(sb, n == 1 ? "tile %d" : "tiles %d..%d", tiles[0], tiles[n - 1]);
    else {
        sb_printf(sb, "%d tiles:", n);
        for (int32_t i = 0; i < n && i < 8; i++) sb_printf(sb, " %d", tiles[i]);
        if (n > 8) sb_puts(sb, " ...");
    }
}

void plan_print(StrBuf *sb, const Plan *p) {
    sb_printf(sb, "# plan for %s: %d buffers, %d tasks", p->machine.preset, p->nbufs, p->ntasks);
    if (p->order) sb_printf(sb, ", %d supersteps", p->nphases);
    sb_puts(sb, "\n");
    for (int32_t i = 0; i < p->nbufs; i++) {
        const PlanBuf *b = &p->bufs[i];
        sb_printf(sb, "#   buf %d %s %s: ", i, buf_kinds[b->kind], b->name);
        if (b->has_layout)
            layout_print(sb, &b->layout);
        else {
            uint32_t most = 0;
            for (int32_t k = 0; k < b->ntiles; k++) most = b->size[k] > most ? b->size[k] : most;
            sb_printf(sb, "up to %u bytes on ", most);
            print_tiles(sb, b->ntiles, b->tiles);
        }
        if (p->peak && b->ntiles > 0) {
            sb_printf(sb, " at 0x%x", b->addr[0]);
            bool same = true;
            for (int32_t k = 1; k < b->ntiles; k++) same &= b->addr[k] == b->addr[0];
            if (!same) sb_puts(sb, " (tile 0 of its tiles)");
            sb_printf(sb, " live %d..%d", b->first, b->last);
        }
        sb_puts(sb, "\n");
    }
    for (int32_t k = 0; k < p->ntasks; k++) {
        int32_t i = p->order ? p->order[k] : k;
        const PlanTask *t = &p->tasks[i];
        sb_printf(sb, "#   task %d %s", i, task_names[t->kind]);
        if (t->phase >= 0) sb_printf(sb, " step %d", t->phase);
        sb_printf(sb, " %s on ", t->what);
        print_tiles(sb, t->ntiles, t->tiles);
        if (t->kind == PLAN_XCHG) sb_printf(sb, ", %d transfers", t->nxfers);
        sb_puts(sb, " (");
        for (int32_t j = 0; j < t->nin; j++) sb_printf(sb, "%s%d", j ? " " : "", t->in[j]);
        sb_puts(sb, " -> ");
        for (int32_t j = 0; j < t->nout; j++) sb_printf(sb, "%s%d", j ? " " : "", t->out[j]);
        sb_puts(sb, ")\n");
    }
}

/* ---- --report ---------------------------------------------------------------------- */

void plan_report_json(StrBuf *sb, const Plan *p) {
    const IsaMachine *m = &p->machine;
    int32_t T = (int32_t)m->tiles;
    sb_printf(sb, "{\n  \"machine\": ");
    sb_json_string(sb, m->preset);
    sb_printf(sb, ",\n  \"tiles\": %d,\n  \"sram_bytes\": %u,\n  \"supersteps\": %d,\n", T,
              m->sram_bytes, p->nphases);
    /* per superstep: the slowest tile's estimated compute, the exchange */
    int64_t *compute = xcalloc((size_t)p->nphases + 1, sizeof *compute);
    int64_t *per_tile = xcalloc((size_t)T, sizeof *per_tile);
    int64_t *sent = xcalloc((size_t)T, sizeof *sent), *recv = xcalloc((size_t)T, sizeof *recv);
    sb_puts(sb, "  \"steps\": [");
    for (int32_t ph = 0; ph < p->nphases; ph++) {
        memset(per_tile, 0, (size_t)T * sizeof *per_tile);
        memset(sent, 0, (size_t)T * sizeof *sent);
        memset(recv, 0, (size_t)T * sizeof *recv);
        bool any_x = false;
        for (int32_t i = 0; i < p->ntasks; i++) {
            const PlanTask *t = &p->tasks[i];
            if (t->phase != ph) continue;
            if (t->kind == PLAN_XCHG) {
                plan_xchg_bytes(t, sent, recv);
                any_x |= t->nxfers > 0;
                continue;
            }
            for (int32_t k = 0; k < t->ntiles; k++) per_tile[t->tiles[k]] += t->cycles;
        }
        int64_t worst = 0;
        for (int32_t tl = 0; tl < T; tl++)
            if (per_tile[tl] > worst) worst = per_tile[tl];
        uint64_t xc = any_x ? (uint64_t)plan_xchg_busiest(m, sent, recv) + m->xlatency_cycles : 0;
        sb_printf(sb, "%s\n    {\"step\": %d, \"compute_cycles\": %lld, \"exchange_cycles\": %llu}",
                  ph ? "," : "", ph, (long long)worst, (unsigned long long)xc);
        compute[ph] = worst;
    }
    sb_puts(sb, "\n  ],\n  \"tile_memory\": [");
    bool first = true;
    for (int32_t tl = 0; tl < T && p->peak; tl++) {
        if (!p->peak[tl]) continue;
        sb_printf(sb, "%s\n    {\"tile\": %d, \"peak_bytes\": %u, \"buffers\": [", first ? "" : ",",
                  tl, p->peak[tl]);
        first = false;
        bool bfirst = true;
        for (int32_t b = 0; b < p->nbufs; b++) {
            const PlanBuf *buf = &p->bufs[b];
            int32_t k = plan_buf_tile_index(buf, tl);
            if (k < 0 || !buf->size[k]) continue;
            sb_printf(sb, "%s{\"name\": ", bfirst ? "" : ", ");
            sb_json_string(sb, buf->name);
            sb_printf(sb, ", \"bytes\": %u, \"address\": %u, \"live\": [%d, %d]}", buf->size[k],
                      buf->addr[k], buf->first, buf->last == INT32_MAX ? -1 : buf->last);
            bfirst = false;
        }
        sb_puts(sb, "]}");
    }
    sb_puts(sb, "\n  ]\n}\n");
    free(compute);
    free(per_tile);
    free(sent);
    free(recv);
}

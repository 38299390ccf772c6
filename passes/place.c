/*
 * place — the third backend pass (docs/backend.md, "SRAM"): an address for
 * every buffer on every tile that holds it.
 *
 * A buffer lives from its first writer's time to its last reader's
 * (schedule's times); inputs, constants and argument blocks from the
 * start, outputs to the end. Each tile is placed on its own by a linear
 * scan over time: buffers that die before the next one starts return their
 * memory to a free list (coalesced), and each new buffer takes the smallest
 * free range that fits, else memory above everything placed. Every tile
 * keeps its first bytes for the workers' scratch and the step table.
 *
 * A tile whose high-water mark passes its SRAM fails the compile: the
 * message names the tile, the op it works for when the most bytes are live
 * there (its peak) and the largest buffers live then.
 */
#include "passes.h"

#include <limits.h>
#include <stdlib.h>

enum { FOREVER = INT32_MAX };

typedef struct Item {
    int32_t buf, index; /* buffer and its tile index */
    int32_t first, last;
    uint32_t size;
    bool fresh; /* placed where no buffer was before it: still zero */
} Item;

typedef struct Range {
    uint32_t start, end;
} Range;

typedef struct Tile {
    Item *items;
    size_t n, cap;
} Tile;

static int cmp_item(const void *a, const void *b) {
    const Item *x = a, *y = b;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return (x->buf > y->buf) - (x->buf < y->buf);
}

/* Lifetimes from the schedule. */
static void lifetimes(Plan *p) {
    for (int32_t b = 0; b < p->nbufs; b++) {
        PlanBuf *buf = &p->bufs[b];
        bool at_start = buf->kind == PLAN_BUF_INPUT || buf->kind == PLAN_BUF_CONST ||
                        buf->kind == PLAN_BUF_ARGS;
        buf->first = at_start ? -1 : FOREVER;
        buf->last = -1;
    }
    for (int32_t i = 0; i < p->ntasks; i++) {
        const PlanTask *t = &p->tasks[i];
        for (int32_t k = 0; k < t->nout; k++) {
            PlanBuf *b = &p->bufs[t->out[k]];
            if (t->time < b->first) b->first = t->time;
            if (t->time > b->last) b->last = t->time;
        }
        for (int32_t k = 0; k < t->nin; k++) {
            PlanBuf *b = &p->bufs[t->in[k]];
            if (t->time > b->last) b->last = t->time;
        }
    }
    for (int32_t b = 0; b < p->nbufs; b++) {
        PlanBuf *buf = &p->bufs[b];
        if (buf->first == FOREVER) buf->first = -1; /* never written: from the start */
        if (buf->last < buf->first) buf->last = buf->first;
        if (buf->output) buf->last = FOREVER;
    }
}

typedef struct Failure {
    int32_t tile;
    uint64_t need;
    int32_t buf; /* the buffer that went past the limit */
} Failure;

/* Place one tile; returns its high-water mark. */
static uint64_t place_tile(Plan *p, Tile *tl, uint32_t reserved, uint32_t limit, int32_t *over) {
    if (tl->n) qsort(tl->items, tl->n, sizeof *tl->items, cmp_item);
    Range *free_list = NULL;
    size_t nfree = 0, capfree = 0;
    Item **live = NULL; /* placed and not yet dead, any order */
    size_t nlive = 0, caplive = 0;
    uint64_t top = reserved;
    *over = -1;
    for (size_t i = 0; i < tl->n; i++) {
        Item *it = &tl->items[i];
        /* free what died before this starts */
        for (size_t k = 0; k < nlive;) {
            Item *d = live[k];
            if (d->last >= it->first) {
                k++;
                continue;
            }
            uint32_t a = p->bufs[d->buf].addr[d->index],
                     e = a + (uint32_t)align_up(d->size, PLAN_ALIGN);
            /* insert into the sorted free list, coalescing */
            size_t at = 0;
            while (at < nfree && free_list[at].start < a) at++;
            XGROW(free_list, capfree, nfree + 1);
            memmove(free_list + at + 1, free_list + at, (nfree - at) * sizeof *free_list);
            free_list[at] = (Range){a, e};
            nfree++;
            if (at + 1 < nfree && free_list[at].end == free_list[at + 1].start) {
                free_list[at].end = free_list[at + 1].end;
                memmove(free_list + at + 1, free_list + at + 2,
                        (nfree - at - 2) * sizeof *free_list);
                nfree--;
            }
            if (at > 0 && free_list[at - 1].end == free_list[at].start) {
                free_list[at - 1].end = free_list[at].end;
                memmove(free_list + at, free_list + at + 1, (nfree - at - 1) * sizeof *free_list);
                nfree--;
            }
            live[k] = live[--nlive];
        }
        uint32_t need = (uint32_t)align_up(it->size, PLAN_ALIGN);
        size_t best = nfree;
        for (size_t k = 0; k < nfree; k++)
            if (free_list[k].end - free_list[k].start >= need &&
                (best == nfree || free_list[k].end - free_list[k].start <
                                      free_list[best].end - free_list[best].start))
                best = k;
        uint32_t addr;
        it->fresh = false;
        if (best < nfree) {
            addr = free_list[best].start;
            free_list[best].start += need;
            if (free_list[best].start == free_list[best].end) {
                memmove(free_list + best, free_list + best + 1,
                        (nfree - best - 1) * sizeof *free_list);
                nfree--;
            }
        } else if (nfree && free_list[nfree - 1].end == top) {
            /* extend the free range at the top */
            addr = free_list[nfree - 1].start;
            nfree--;
            top = (uint64_t)addr + need;
        } else {
            addr = (uint32_t)top;
            top += need;
            it->fresh = true;
        }
        p->bufs[it->buf].addr[it->index] = addr;
        if (top > limit && *over < 0) *over = (int32_t)i;
        XGROW(live, caplive, nlive + 1);
        live[nlive++] = it;
    }
    free(free_list);
    free(live);
    return top;
}

/* SRAM starts zeroed (docs/machine.md), so a fill of zeros into a buffer
 * that is the first to use its addresses on a tile stores nothing new: the
 * tile leaves the fill's task. Only the move that made the fill writes the
 * buffer before its readers, at other positions (docs/backend.md). In the
 * plan for speed the fills of convolutions' padded inputs run in the
 * first superstep, where on their own they can take a tenth of a layer's
 * time. */
static void drop_fresh_fills(Plan *p, const Tile *tiles) {
    size_t *base = xmalloc(((size_t)p->nbufs + 1) * sizeof *base), n = 0;
    for (int32_t b = 0; b < p->nbufs; b++) {
        base[b] = n;
        n += (size_t)p->bufs[b].ntiles;
    }
    bool *fresh = xcalloc(n + 1, sizeof *fresh);
    for (int32_t t = 0; t < (int32_t)p->machine.tiles; t++)
        for (size_t i = 0; i < tiles[t].n; i++)
            fresh[base[tiles[t].items[i].buf] + (size_t)tiles[t].items[i].index] =
                tiles[t].items[i].fresh;
    for (int32_t i = 0; i < p->ntasks; i++) {
        PlanTask *tk = &p->tasks[i];
        if (tk->kind != PLAN_FILL || !((const PlanCopySpec *)tk->spec)->zeros) continue;
        int32_t kept = 0;
        for (int32_t k = 0; k < tk->ntiles; k++) {
            bool all = true;
            for (int32_t o = 0; o < tk->nout && all; o++) {
                int32_t q = plan_buf_tile_index(&p->bufs[tk->out[o]], tk->tiles[k]);
                all = q >= 0 && fresh[base[tk->out[o]] + (size_t)q];
            }
            if (!all) tk->tiles[kept++] = tk->tiles[k];
        }
        tk->ntiles = kept;
    }
    free(fresh);
    free(base);
}

/* The time at which the most bytes are live on tile tl (its peak). */
static int32_t peak_time(const Tile *tl) {
    int32_t best = -1;
    uint64_t most = 0;
    for (size_t i = 0; i < tl->n; i++) {
        int32_t when = tl->items[i].first;
        uint64_t sum = 0;
        for (size_t k = 0; k < tl->n; k++)
            if (tl->items[k].first <= when && tl->items[k].last >= when)
                sum += align_up(tl->items[k].size, PLAN_ALIGN);
        if (sum > most) most = sum, best = when;
    }
    return best;
}

/* The op the tile works for at time when: its first task from then on
 * (inputs and constants live from the start: the first task). */
static IrOpId op_at(const Plan *p, int32_t tile, int32_t when, IrOpId fallback) {
    int32_t best = -1;
    for (int32_t i = 0; i < p->ntasks; i++) {
        const PlanTask *t = &p->tasks[i];
        if (t->time < when || plan_task_tile_index(t, tile) < 0) continue;
        if (best < 0 || t->time < p->tasks[best].time) best = i;
    }
    return best >= 0 ? p->tasks[best].op : fallback;
}

static void report(Plan *p, PassContext *pc, Tile *tiles, const Failure *f) {
    const IrGraph *g = p->g;
    Tile *tl = &tiles[f->tile];
    int32_t when = peak_time(tl);
    IrOpId op = op_at(p, f->tile, when, p->bufs[f->buf].op);
    StrBuf at;
    sb_init(&at);
    if (op) {
        IrNames names;
        ir_names_init(&names, g);
        StrBuf line;
        sb_init(&line);
        ir_print_op(&line, g, &names, op, NULL);
        /* "%43: f32[...] = conv2d(%x, ...)" -> "%43 = conv2d(%x, ...)" */
        const char *colon = strchr(line.data, ':'), *eq = strstr(line.data, " = ");
        if (colon && eq && colon < eq)
            sb_printf(&at, " at %.*s%s", (int)(colon - line.data), line.data, eq);
        else
            sb_printf(&at, " at %s", line.data);
        /* one line: a kernel's body stops at its first line */
        char *nl = strchr(at.data, '\n');
        if (nl || at.len > 100) {
            at.len = nl && (size_t)(nl - at.data) < 97 ? (size_t)(nl - at.data) : 97;
            at.data[at.len] = 0;
            sb_puts(&at, "...");
        }
        sb_free(&line);
        ir_names_free(&names);
    }
    SrcLoc loc = op ? g->ops[op].loc : (SrcLoc){0, 0, 0};
    Diag *d = pc->diag;
    uint64_t limit = p->machine.sram_bytes;
    if (d) {
        diag_error(d, loc, "model needs %llu KiB on tile %d (limit %llu KiB)%s",
                   (unsigned long long)((f->need + 1023) / 1024), f->tile,
                   (unsigned long long)(limit / 1024), at.data ? at.data : "");
        /* the largest buffers live on that tile at its peak */
        Item top[5];
        int ntop = 0;
        for (size_t i = 0; i < tl->n; i++) {
            Item *it = &tl->items[i];
            if (it->first > when || it->last < when) continue;
            int k;
            if (ntop < 5) {
                k = ntop++;
            } else {
                if (top[4].size >= it->size) continue;
                k = 4;
            }
            top[k] = *it;
            while (k > 0 && top[k - 1].size < top[k].size) {
                Item tmp = top[k - 1];
                top[k - 1] = top[k];
                top[k] = tmp;
                k--;
            }
        }
        for (int k = 0; k < ntop; k++)
            diag_note(d, (SrcLoc){0, 0, 0}, "%llu KiB on tile %d: %s",
                      (unsigned long long)((top[k].size + 1023) / 1024), f->tile,
                      p->bufs[top[k].buf].name);
    }
    sb_free(&at);
    pc->failed = true;
}

void pass_place(IrGraph *g, PassContext *pc) {
    (void)g;
    Plan *p = pc->plan;
    if (!p || pc->failed) return;
    lifetimes(p);
    int32_t T = (int32_t)p->machine.tiles;
    /* The step table: one word per compute task, after the scratch. */
    int32_t ncompute = 0;
    for (int32_t i = 0; i < p->ntasks; i++) ncompute += p->tasks[i].kind != PLAN_XCHG;
    p->steptab = (uint32_t)align_up((uint64_t)ncompute * 4, PLAN_ALIGN);
    uint32_t reserved = (uint32_t)(p->machine.workers * PLAN_SCRATCH) + p->steptab;
    Tile *tiles = xcalloc((size_t)T, sizeof *tiles);
    int32_t used = 0;
    for (int32_t b = 0; b < p->nbufs; b++) {
        const PlanBuf *buf = &p->bufs[b];
        for (int32_t k = 0; k < buf->ntiles; k++) {
            if (!buf->size[k]) continue;
            Tile *tl = &tiles[buf->tiles[k]];
            XGROW(tl->items, tl->cap, tl->n + 1);
            tl->items[tl->n++] = (Item){b, k, buf->first, buf->last, buf->size[k], false};
        }
    }
    for (int32_t i = 0; i < p->ntasks; i++)
        for (int32_t k = 0; k < p->tasks[i].ntiles; k++)
            if (p->tasks[i].tiles[k] + 1 > used) used = p->tasks[i].tiles[k] + 1;
    p->nprog_tiles = used;
    free(p->peak);
    p->peak = xcalloc((size_t)T, sizeof *p->peak);
    Failure worst = {-1, 0, -1};
    for (int32_t t = 0; t < T; t++) {
        int32_t over;
        uint32_t base = t < used ? reserved : 0;
        uint64_t top = place_tile(p, &tiles[t], base, p->machine.sram_bytes, &over);
        p->peak[t] = (uint32_t)(top > UINT32_MAX ? UINT32_MAX : top);
        if (over >= 0 && top > worst.need) worst = (Failure){t, top, tiles[t].items[over].buf};
    }
    if (worst.tile >= 0 && pc->oom_quiet)
        pc->oom = true;
    else if (worst.tile >= 0)
        report(p, pc, tiles, &worst);
    else
        drop_fresh_fills(p, tiles);
    for (int32_t t = 0; t < T; t++) free(tiles[t].items);
    free(tiles);
}

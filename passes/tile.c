/*
 * tile — the first backend pass (docs/backend.md): layouts for every value
 * and the tasks that compute and move them, in a Plan on the PassContext.
 *
 * Ops are planned in program order. Each kernel op chooses the layout of its
 * result (reusing an operand's when they have the same shape, so chains of
 * elementwise kernels move nothing), asks for each operand in the layout it
 * needs (tile_value_in: reuse, a resident input placed there, a constant
 * laid out at compile time, or a movement), and writes its tasks with their
 * per-tile argument blocks. Data-movement ops are views (move.c): nothing
 * happens for them until a consumer asks for their value.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

enum {
    MIN_TILE_BYTES = 1024, /* a default layout gives each tile at least this much */
    MIN_EW_PER_WORKER = 16,
    STREAM_MIN_BYTES = 512,  /* smaller constants stay resident where they are read */
    STREAM_CHUNK_MIN = 1024, /* a streamed constant's home puts at least this on a tile */
};

/* ---- Values ------------------------------------------------------------------------ */

const char *tile_value_name(Tiler *t, IrRef v) {
    const IrValue *val = &t->g->vals[v];
    if (val->name) return arena_printf(t->arena, "%%%s", val->name);
    return arena_printf(t->arena, "%%%d", (int)v);
}

void tile_note_buf(Tiler *t, IrRef v, int32_t b) {
    ValState *vs = &t->vals[v];
    XGROW(vs->bufs, vs->capbufs, (size_t)vs->nbufs + 1);
    vs->bufs[vs->nbufs++] = b;
    if (vs->home < 0) vs->home = b;
}

/* A default layout for a tensor of type ty, spreading small ones over the
 * machine so that independent small ops land on different tiles. */
static void default_layout(Tiler *t, const IrType *ty, PlanLayout *l) {
    int32_t T = (int32_t)t->m->tiles;
    layout_default(l, ty->dtype, ty->rank, ty->dims, 0, T, MIN_TILE_BYTES);
    int32_t used = layout_ntiles(l);
    if (used < T) {
        int32_t base = t->next_base;
        if (base + used > T) base = 0;
        l->base = base;
        t->next_base = (base + used) % T;
    }
}

int32_t tile_new_value_buf(Tiler *t, PlanBufKind kind, IrRef v, const PlanLayout *l,
                           const char *suffix) {
    const char *name = tile_value_name(t, v);
    if (suffix) name = arena_printf(t->arena, "%s %s", name, suffix);
    return plan_add_layout_buf(t->p, kind, v, t->g->vals[v].def, name, l);
}

/* A streamed constant's home: its bytes as the unique blocks of l
 * (layout_unique) hold them, concatenated and cut into equal chunks, one
 * per tile, on consecutive tiles from where the last one ended, so that
 * constants spread evenly over the machine. Filled at compile time; b (in
 * layout l) is then filled from it by late copies. */
static void stream_const(Tiler *t, MapNode *map, const PlanLayout *l, int32_t b, IrOpId op,
                         const char *name) {
    Plan *p = t->p;
    int32_t T = (int32_t)t->m->tiles;
    PlanLayout hl;
    layout_unique(l, &hl);
    hl.base = 0;
    int32_t h = plan_add_layout_buf(p, PLAN_BUF_CONST, IR_NONE, op, name, &hl);
    move_into(t, h, map, op);
    int64_t U = layout_ntiles(&hl), B = (int64_t)layout_block_bytes(&hl), total = U * B;
    int64_t c = ceil_div(total, T);
    if (c < STREAM_CHUNK_MIN) c = STREAM_CHUNK_MIN;
    c = (c + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
    int32_t nch = (int32_t)ceil_div(total, c), start = t->next_const_tile;
    t->next_const_tile = (start + nch) % T;
    uint8_t *bytes = arena_alloc(&p->arena, (size_t)total + 1, 16);
    for (int64_t u = 0; u < U; u++) memcpy(bytes + u * B, p->bufs[h].data[u], (size_t)B);
    p->bufs[h].ntiles = 0; /* only its data was wanted */

    int32_t sb =
        plan_add_buf(p, PLAN_BUF_CONST, IR_NONE, op, arena_printf(t->arena, "%s [stored]", name));
    PlanBuf *s = &p->bufs[sb];
    plan_buf_alloc_tiles(p, s, nch);
    s->data = ARENA_ARRAY(&p->arena, void *, (size_t)nch);
    int32_t *tile_of = xmalloc((size_t)nch * sizeof *tile_of);
    for (int32_t k = 0; k < nch; k++) {
        /* ascending tiles: chunks that wrapped past the last tile come first */
        int32_t wrapped = start + nch > T ? start + nch - T : 0;
        int32_t j = k < wrapped ? T - start + k : k - wrapped;
        int64_t lo = j * c, len = total - lo < c ? total - lo : c;
        s->tiles[k] = (start + j) % T;
        s->size[k] = (uint32_t)len;
        s->data[k] = bytes + lo;
        tile_of[j] = s->tiles[k];
    }

    const PlanLayout *dl = &p->bufs[b].layout;
    int32_t n = layout_ntiles(dl);
    PlanXfer *pieces = NULL;
    size_t np = 0, cap = 0;
    for (int32_t q = 0; q < n; q++) {
        int64_t blockc[IR_MAX_RANK];
        layout_block_of(dl, q, blockc);
        int64_t u = layout_tile_of_block(&hl, blockc);
        for (int64_t at = u * B; at < (u + 1) * B;) {
            int64_t j = at / c, end = (j + 1) * c < (u + 1) * B ? (j + 1) * c : (u + 1) * B;
            XGROW(pieces, cap, np + 1);
            pieces[np++] = (PlanXfer){tile_of[j],
                                      dl->base + q,
                                      sb,
                                      b,
                                      (uint32_t)(at - j * c),
                                      (uint32_t)(at - u * B),
                                      (uint32_t)(end - at)};
            at = end;
        }
    }
    int32_t first_task = p->ntasks;
    move_pieces(t, b, pieces, np, op);
    for (int32_t i = first_task; i < p->ntasks; i++) p->tasks[i].late = true;
    free(pieces);
    free(tile_of);
}

int32_t tile_fill_buf(Tiler *t, MapNode *map, const PlanLayout *l, IrRef value, IrOpId op,
                      const char *name, bool home) {
    bool is_const = move_map_is_const(t, map);
    bool stream =
        is_const && !home && t->pc->save_memory && layout_block_bytes(l) >= STREAM_MIN_BYTES;
    int32_t b = plan_add_layout_buf(t->p, is_const && !stream ? PLAN_BUF_CONST : PLAN_BUF_VALUE,
                                    value, op, name, l);
    if (stream)
        stream_const(t, map, l, b, op, name);
    else
        move_into(t, b, map, op);
    return b;
}

/* A buffer of v in layout l (its home, or another layout of it). */
static int32_t materialise(Tiler *t, IrRef v, const PlanLayout *l, const char *suffix, bool home) {
    const char *name = tile_value_name(t, v);
    if (suffix) name = arena_printf(t->arena, "%s %s", name, suffix);
    int32_t b = tile_fill_buf(t, move_map_of_value(t, v), l, v, t->g->vals[v].def, name, home);
    tile_note_buf(t, v, b);
    return b;
}

int32_t tile_value_home(Tiler *t, IrRef v) {
    ValState *vs = &t->vals[v];
    if (vs->home >= 0) return vs->home;
    if (vs->nbufs > 0) return vs->bufs[0];
    PlanLayout l;
    default_layout(t, &t->g->vals[v].type, &l);
    if (vs->kind == VAL_INPUT) {
        int32_t b = tile_new_value_buf(t, PLAN_BUF_INPUT, v, &l, NULL);
        tile_note_buf(t, v, b);
        return b;
    }
    return materialise(t, v, &l, NULL, true);
}

/* The host's cycles for writing the replicas of l's blocks (u: l without
 * them). */
static uint64_t host_replicas_cycles(const Tiler *t, const PlanLayout *l, const PlanLayout *u) {
    uint64_t bytes = (uint64_t)(layout_ntiles(l) - layout_ntiles(u)) * layout_block_bytes(l);
    return bytes * t->m->clock_khz / ((uint64_t)t->m->host_mbps * 1000);
}

/* About what moving a block of l into place costs: a barrier, the
 * exchange and the copies out of the staging. */
static uint64_t move_cycles(const Tiler *t, const PlanLayout *l) {
    uint64_t b = layout_block_bytes(l);
    const IsaMachine *m = t->m;
    return m->sync_cycles + m->xlatency_cycles + b / m->xrecv_bytes + b / m->ldst_bytes;
}

int32_t tile_value_in(Tiler *t, IrRef v, const PlanLayout *want) {
    ValState *vs = &t->vals[v];
    for (int32_t i = 0; i < vs->nbufs; i++)
        if (layout_equal(&t->p->bufs[vs->bufs[i]].layout, want)) return vs->bufs[i];
    /* The host writes an input's elements, not its margins: SRAM starts
     * zeroed, so only a layout whose margins hold +0 (or anything) can be
     * written directly. */
    bool zero_pad = want->pad_undefined || (want->pad == 0 && !signbit(want->pad));
    if (vs->kind == VAL_INPUT && vs->nbufs == 0 && (zero_pad || layout_is_plain(want))) {
        /* A layout that replicates blocks: the host link is the machine's
         * narrowest path, so unless the replicas cost it less than a move,
         * the host writes each block once and the exchange copies it to
         * the replicas (a multicast). */
        PlanLayout u;
        layout_unique(want, &u);
        bool replicated = layout_ntiles(&u) < layout_ntiles(want) &&
                          host_replicas_cycles(t, want, &u) > move_cycles(t, want);
        int32_t b = tile_new_value_buf(t, PLAN_BUF_INPUT, v, replicated ? &u : want, NULL);
        tile_note_buf(t, v, b);
        if (!replicated) return b;
        return materialise(t, v, want, "moved", false);
    }
    return materialise(t, v, want, vs->nbufs ? "moved" : NULL, false);
}

/* ---- Layouts of operands ------------------------------------------------------------ */

/* The layout an operand of type x needs so that each tile of out's grid
 * holds the operand elements its block of out reads, x broadcast to out's
 * shape (NumPy rules, aligned from the right): the same grid, split where
 * x is not broadcast, replicated where it is; the same storage order. */
void tile_operand_layout(const PlanLayout *out, const IrType *x, PlanLayout *l) {
    memset(l, 0, sizeof *l);
    l->dtype = x->dtype;
    l->rank = x->rank;
    l->base = out->base;
    l->ngrid = out->ngrid;
    memcpy(l->grid, out->grid, sizeof l->grid);
    int shift = out->rank - x->rank;
    for (int d = 0; d < IR_MAX_RANK; d++) {
        l->axis[d] = -1;
        l->mult[d] = 1;
        l->order[d] = (int8_t)d;
    }
    for (int d = 0; d < x->rank; d++) {
        int od = d + shift;
        l->dims[d] = x->dims[d];
        l->block[d] = x->dims[d];
        if (x->dims[d] == out->dims[od] && out->axis[od] >= 0) {
            l->axis[d] = out->axis[od];
            l->block[d] = out->block[od];
        }
    }
    int n = 0;
    for (int i = 0; i < out->rank; i++)
        if (out->order[i] >= shift) l->order[n++] = (int8_t)(out->order[i] - shift);
}

/* A plain layout like l (same grid, blocks, order) for a tensor of type ty
 * of the same shape. */
static void same_grid_layout(const PlanLayout *l, AccDtype dtype, PlanLayout *out) {
    *out = *l;
    out->dtype = dtype;
    for (int d = 0; d < l->rank; d++) out->lo[d] = out->hi[d] = 0, out->mult[d] = 1;
    out->pad = 0;
    out->pad_undefined = false;
}

/* ---- Work on one tile: strided iteration over a block ----------------------------- */

typedef TileIter Iter;

/* Merge each dimension into the next inner one when every buffer steps
 * through both as one (contiguous or broadcast in both). The innermost
 * dimension stays, so its strides are the kernel's on every tile. */
static void iter_collapse(Iter *it) {
    int n = 0;
    Iter out = *it;
    /* walk from the inner end */
    int64_t ext[IR_MAX_RANK], st[PLAN_MAX_BUFS][IR_MAX_RANK];
    for (int i = it->n - 1; i >= 0; i--) {
        if (n > 0 && it->ext[i] == 1) continue; /* a dimension of one on this tile */
        bool merge = n > 0;
        for (int k = 0; k < it->nbuf && merge; k++)
            merge = it->stride[k][i] == st[k][n - 1] * ext[n - 1];
        if (merge) {
            ext[n - 1] *= it->ext[i];
            continue;
        }
        ext[n] = it->ext[i];
        for (int k = 0; k < it->nbuf; k++) st[k][n] = it->stride[k][i];
        n++;
    }
    out.n = n;
    for (int i = 0; i < n; i++) {
        out.ext[i] = ext[n - 1 - i];
        for (int k = 0; k < it->nbuf; k++) out.stride[k][i] = st[k][n - 1 - i];
    }
    *it = out;
}

static void push_word(PlanWord **w, size_t *n, size_t *cap, int32_t buf, int64_t value) {
    XGROW(*w, *cap, *n + 1);
    (*w)[(*n)++] = (PlanWord){buf, (uint32_t)value};
}

/* The argument words of a chunked kernel (EW and friends) on one tile:
 * per worker {nchunks, chunk*, bump[nbuf], extra...}, chunks {n1, n0,
 * ptr[nbuf]}. */
static PlanWord *chunk_args(Plan *p, const Iter *it, int32_t args_buf, int workers,
                            int64_t min_per_worker, int64_t grain, int32_t *nwords) {
    int64_t total = 1;
    for (int i = 0; i < it->n; i++) total *= it->ext[i];
    int nw = (int)((total + min_per_worker - 1) / min_per_worker);
    if (nw > workers) nw = workers;
    if (nw < 1) nw = 1;
    int m = it->n, nb = it->nbuf;
    /* chunks of every worker */
    PlanWord *chunks = NULL;
    size_t nc = 0, capc = 0;
    int64_t count[16], first[16];
    int64_t coord[IR_MAX_RANK];
    for (int w = 0; w < nw; w++) {
        int64_t a = total * w / nw / grain * grain,
                b = w == nw - 1 ? total : total * (w + 1) / nw / grain * grain, pos = a;
        first[w] = (int64_t)nc;
        count[w] = 0;
        while (pos < b) {
            int64_t f = pos;
            for (int i = m - 1; i >= 0; i--) {
                coord[i] = f % it->ext[i];
                f /= it->ext[i];
            }
            int64_t inner = it->ext[m - 1], n1 = 1, n0;
            if (m == 1 || coord[m - 1] != 0 || b - pos < inner) {
                n0 = inner - coord[m - 1];
                if (n0 > b - pos) n0 = b - pos;
            } else {
                n0 = inner;
                n1 = it->ext[m - 2] - coord[m - 2];
                if (n1 > (b - pos) / inner) n1 = (b - pos) / inner;
            }
            push_word(&chunks, &nc, &capc, -1, n1);
            push_word(&chunks, &nc, &capc, -1, n0);
            for (int k = 0; k < nb; k++) {
                int64_t off = it->base[k];
                for (int i = 0; i < m; i++) off += coord[i] * it->stride[k][i];
                push_word(&chunks, &nc, &capc, it->buf[k], off);
            }
            count[w]++;
            pos += n1 * n0;
        }
    }
    PlanWord *w = NULL;
    size_t n = 0, cap = 0;
    push_word(&w, &n, &cap, -1, nw);
    for (int i = 0; i < 3; i++) push_word(&w, &n, &cap, -1, 0);
    int per = 2 + nb;
    int64_t list = PLAN_ARGS_HEADER + (int64_t)nw * per * 4;
    for (int k = 0; k < nw; k++) {
        push_word(&w, &n, &cap, -1, count[k]);
        push_word(&w, &n, &cap, args_buf, list + first[k] * 4);
        for (int b = 0; b < nb; b++) {
            int64_t bump =
                m >= 2 ? it->stride[b][m - 2] - it->ext[m - 1] * it->stride[b][m - 1] : 0;
            push_word(&w, &n, &cap, -1, bump);
        }
    }
    for (size_t i = 0; i < nc; i++) push_word(&w, &n, &cap, chunks[i].buf, chunks[i].value);
    free(chunks);
    PlanWord *out = ARENA_ARRAY(&p->arena, PlanWord, n);
    memcpy(out, w, n * sizeof *w);
    free(w);
    *nwords = (int32_t)n;
    return out;
}

/* An ARGS buffer for task on its tiles (words filled per tile by the caller). */
int32_t tile_args_buf(Tiler *t, int32_t task, const char *what) {
    Plan *p = t->p;
    PlanTask *tk = &p->tasks[task];
    int32_t b =
        plan_add_buf(p, PLAN_BUF_ARGS, IR_NONE, tk->op, arena_printf(t->arena, "args %s", what));
    PlanBuf *ab = &p->bufs[b];
    tk = &p->tasks[task];
    int32_t n = tk->ntiles;
    plan_buf_alloc_tiles(p, ab, n);
    memcpy(ab->tiles, tk->tiles, (size_t)n * sizeof *ab->tiles);
    ab->words = ARENA_ARRAY(&p->arena, PlanWord *, (size_t)(n ? n : 1));
    tk->args = b;
    plan_task_reads(p, task, b);
    return b;
}

/* ---- Elementwise ----------------------------------------------------------------------- */

/* The layout of an elementwise result: an operand's when one of the same
 * shape is already somewhere, else a default one. */
static void ew_result_layout(Tiler *t, IrOpId id, int first_operand, PlanLayout *l) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    const IrType *y = &g->vals[op->out[0]].type;
    AccDtype dt = y->dtype;
    for (int i = first_operand; i < op->nin; i++) {
        const IrType *x = &g->vals[op->in[i]].type;
        const ValState *vs = &t->vals[op->in[i]];
        if (x->rank != y->rank || vs->nbufs == 0) continue;
        bool same = true;
        for (int d = 0; d < y->rank; d++) same &= x->dims[d] == y->dims[d];
        if (!same) continue;
        int32_t b = vs->home >= 0 ? vs->home : vs->bufs[0];
        same_grid_layout(&t->p->bufs[b].layout, dt, l);
        return;
    }
    default_layout(t, y, l);
}

/* The EW task computing op's body into buffer out over out's layout, with
 * operand buffers in[] (body input k+first feeds from in[k]); acc_buf, if
 * >= 0, is body input 0 (an accumulator). */
void tile_ew_task(Tiler *t, IrOpId id, int32_t out, int nin, const int32_t *in,
                  const int *input_of) {
    Plan *p = t->p;
    const PlanLayout olv = p->bufs[out].layout, *ol = &olv; /* bufs may move */
    int nb = 1 + nin;
    if (nb > PLAN_MAX_BUFS) ice("tile: more than %d buffers in one kernel", PLAN_MAX_BUFS);
    PlanEwSpec *spec = ARENA_NEW(t->arena, PlanEwSpec);
    spec->op = id;
    spec->nbuf = nb;
    spec->out_dtype = ol->dtype;
    spec->dtype[0] = ol->dtype;
    for (int k = 0; k < nin; k++) {
        spec->input[k + 1] = input_of[k];
        spec->dtype[k + 1] = p->bufs[in[k]].layout.dtype;
    }
    const char *name = p->bufs[out].name;
    int32_t task = plan_add_task(p, PLAN_EW, id, name);
    int32_t ntl = layout_ntiles(ol);
    plan_task_set_layout_tiles(p, task, ol);
    for (int k = 0; k < nin; k++) plan_task_reads(p, task, in[k]);
    plan_task_writes(p, task, out);
    int32_t ab = tile_args_buf(t, task, name);
    p->tasks[task].spec = spec;
    ol = &p->bufs[out].layout; /* args_buf added a buffer: p->bufs may have moved */

    /* Iteration order: the result's storage order, without dimensions of
     * size 1 (their strides do not matter). */
    int dims[IR_MAX_RANK], nd = 0;
    for (int i = 0; i < ol->rank; i++)
        if (ol->dims[ol->order[i]] > 1) dims[nd++] = ol->order[i];
    int64_t ostr[IR_MAX_RANK];
    layout_strides(ol, ostr);
    int64_t bstr[PLAN_MAX_BUFS][IR_MAX_RANK]; /* per buffer, per result dim: byte stride */
    int64_t boff[PLAN_MAX_BUFS];
    for (int k = 0; k < nb; k++) {
        const PlanLayout *bl = k == 0 ? ol : &p->bufs[in[k - 1]].layout;
        int64_t es = (int64_t)dtype_size(bl->dtype), st[IR_MAX_RANK];
        layout_strides(bl, st);
        int shift = ol->rank - bl->rank;
        boff[k] = 0;
        for (int d = 0; d < ol->rank; d++) {
            int bd = d - shift;
            bool present = bd >= 0 && bl->dims[bd] == ol->dims[d] && ol->dims[d] > 1;
            bstr[k][d] = present ? st[bd] * es : 0;
        }
        for (int d = 0; d < bl->rank; d++) boff[k] += bl->lo[d] * st[d] * es;
    }
    /* The kernel's row strides are those of the innermost dimension. */
    int inner = nd ? dims[nd - 1] : -1;
    for (int k = 0; k < nb; k++) spec->inner[k] = inner >= 0 ? bstr[k][inner] : 0;

    PlanBuf *abuf = &p->bufs[ab];
    for (int32_t q = 0; q < ntl; q++) {
        int64_t blockc[IR_MAX_RANK];
        layout_block_of(ol, q, blockc);
        Iter it;
        memset(&it, 0, sizeof it);
        it.nbuf = nb;
        it.n = nd ? nd : 1;
        for (int i = 0; i < nd; i++) it.ext[i] = layout_extent(ol, blockc, dims[i]);
        if (!nd) it.ext[0] = 1;
        for (int k = 0; k < nb; k++) {
            it.buf[k] = k == 0 ? out : in[k - 1];
            it.base[k] = boff[k];
            for (int i = 0; i < nd; i++) it.stride[k][i] = bstr[k][dims[i]];
        }
        bool empty = false;
        for (int i = 0; i < it.n; i++) empty |= it.ext[i] == 0;
        for (int d = 0; d < ol->rank; d++) empty |= ol->dims[d] == 0; /* no element at all */
        if (empty) it.ext[0] = 0, it.n = 1;
        iter_collapse(&it);
        int32_t nw;
        abuf = &p->bufs[ab];
        abuf->words[q] = chunk_args(p, &it, ab, (int)t->m->workers, MIN_EW_PER_WORKER, 1, &nw);
        abuf->size[q] = (uint32_t)nw * 4;
    }
}

static void tile_fused(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    IrRef y = op->out[0];
    PlanLayout ol;
    ew_result_layout(t, id, 0, &ol);
    int32_t in[PLAN_MAX_BUFS];
    int input_of[PLAN_MAX_BUFS];
    if (op->nin + 1 > PLAN_MAX_BUFS) ice("tile: more than %d operands", PLAN_MAX_BUFS - 1);
    for (int i = 0; i < op->nin; i++) {
        PlanLayout want;
        tile_operand_layout(&ol, &g->vals[op->in[i]].type, &want);
        in[i] = tile_value_in(t, op->in[i], &want);
        input_of[i] = i;
    }
    int32_t out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);
    tile_ew_task(t, id, out, op->nin, in, input_of);
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, out);
}

/* ---- Shared with the other kernel families (internal.h) ----------------------------- */

void tile_default_layout(Tiler *t, const IrType *ty, PlanLayout *l) {
    default_layout(t, ty, l);
}
void tile_iter_collapse(TileIter *it) {
    iter_collapse(it);
}
PlanWord *tile_chunk_args(Plan *p, const TileIter *it, int32_t args, int workers,
                          int64_t min_per_worker, int64_t grain, int32_t *nwords) {
    return chunk_args(p, it, args, workers, min_per_worker, grain, nwords);
}

/* ---- The pass ---------------------------------------------------------------------- */

static void unsupported(Tiler *t, IrOpId id) {
    const IrOp *op = &t->g->ops[id];
    if (t->pc->diag)
        diag_error(t->pc->diag, op->loc, "the backend cannot compile '%s' yet",
                   ir_op_name(op->kind));
    else
        fprintf(stderr, "error: the backend cannot compile '%s' yet\n", ir_op_name(op->kind));
    t->pc->failed = true;
}

static void tile_op(Tiler *t, IrOpId id) {
    const IrOp *op = &t->g->ops[id];
    switch (op->kind) {
    case IR_OP_constant: t->vals[op->out[0]].kind = VAL_CONST; break;
    case IR_OP_fused: tile_fused(t, id); break;
    case IR_OP_fused_reduce:
    case IR_OP_argmax:
    case IR_OP_argmin:
    case IR_OP_max_pool2d:
    case IR_OP_max_pool3d:
    case IR_OP_avg_pool2d:
    case IR_OP_avg_pool3d: tile_reduce(t, id); break;
    case IR_OP_gather:
        if (!move_is_view(t->g, op->out[0])) {
            tile_gather(t, id);
            break;
        }
        t->vals[op->out[0]].kind = VAL_VIEW;
        break;
    case IR_OP_fused_matmul: tile_matmul(t, id); break;
    case IR_OP_fused_conv: tile_conv(t, id); break;
    default:
        if (move_is_view(t->g, op->out[0])) {
            t->vals[op->out[0]].kind = VAL_VIEW;
            break;
        }
        unsupported(t, id);
    }
}

/* Outputs must not be the same buffer twice, nor an input the host also
 * writes; a resident output is read after the run. */
static void plan_outputs(Tiler *t) {
    Plan *p = t->p;
    const IrGraph *g = t->g;
    p->out_buf = xcalloc((size_t)g->noutputs + 1, sizeof *p->out_buf);
    for (int k = 0; k < g->noutputs; k++) {
        IrRef v = g->outputs[k].val;
        int32_t b = tile_value_home(t, v);
        p->out_buf[k] = b;
        p->bufs[b].output = true;
    }
    p->in_buf = xcalloc((size_t)g->ninputs + 1, sizeof *p->in_buf);
    for (int k = 0; k < g->ninputs; k++) {
        const ValState *vs = &t->vals[g->inputs[k]];
        p->in_buf[k] = -1;
        for (int32_t i = 0; i < vs->nbufs; i++)
            if (p->bufs[vs->bufs[i]].kind == PLAN_BUF_INPUT) p->in_buf[k] = vs->bufs[i];
    }
}

/* Constants and argument blocks are resident for the whole run (in the
 * plan for speed, every constant): once they alone overflow a tile, the
 * plan cannot fit, and there is no need to finish it for place to say so.
 * resident: bytes per tile so far, from the buffers before *seen. */
static bool resident_overflow(Tiler *t, uint64_t *resident, int32_t *seen) {
    const Plan *p = t->p;
    bool over = false;
    for (; *seen < p->nbufs; ++*seen) {
        const PlanBuf *b = &p->bufs[*seen];
        if (b->kind != PLAN_BUF_CONST && b->kind != PLAN_BUF_ARGS) continue;
        for (int32_t i = 0; i < b->ntiles; i++) {
            uint64_t *r = &resident[b->tiles[i]];
            *r += align_up(b->size[i], PLAN_ALIGN);
            if (*r > t->m->sram_bytes) over = true;
        }
    }
    return over;
}

/* Tile g into pc->plan. A dry run (layouts and buffers only) returns
 * false as soon as what stays resident overflows a tile; a real run stops
 * there too in the plan for speed (pc->oom_quiet), setting pc->oom. */
static bool tile_graph(IrGraph *g, PassContext *pc, bool dry) {
    plan_free(pc->plan);
    pc->plan = plan_new(g, pc->machine);
    Tiler t;
    memset(&t, 0, sizeof t);
    t.p = pc->plan;
    t.g = g;
    t.m = pc->machine;
    t.pc = pc;
    t.dry = dry;
    t.arena = &t.p->arena;
    t.vals = xcalloc((size_t)g->nvals + 1, sizeof *t.vals);
    for (int32_t v = 0; v < g->nvals; v++) t.vals[v].home = -1;
    for (int k = 0; k < g->ninputs; k++) t.vals[g->inputs[k]].kind = VAL_INPUT;
    uint64_t *resident = xcalloc((size_t)t.m->tiles, sizeof *resident);
    int32_t seen = 0;
    bool fits = true;
    ir_for_each_op(g, id) {
        tile_op(&t, id);
        if (pc->failed) break;
        if (pc->oom_quiet && resident_overflow(&t, resident, &seen)) {
            fits = false;
            break;
        }
    }
    free(resident);
    if (!dry && !fits) pc->oom = true; /* the pipeline plans again, saving memory */
    if (!dry && !pc->failed && fits) plan_outputs(&t);
    if (!dry && !pc->failed && fits) tile_estimate(t.p);
    for (int32_t v = 0; v < g->nvals; v++) free(t.vals[v].bufs);
    free(t.vals);
    return fits;
}

void pass_tile(IrGraph *g, PassContext *pc) {
    if (!pc->machine) return;
    /* The plan for speed first runs dry: moving the data is most of the
     * tiler's time, and when the constants and argument blocks (without
     * the moves' own) already overflow a tile, the plan cannot fit. */
    if (pc->oom_quiet && !pc->save_memory) {
        bool fits = tile_graph(g, pc, true);
        if (pc->failed) return;
        if (!fits) {
            pc->oom = true;
            return;
        }
    }
    tile_graph(g, pc, false);
}

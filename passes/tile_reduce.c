/*
 * tile, reductions (docs/backend.md, "Reductions"): fused_reduce,
 * argmax/argmin and max/avg pooling as REDUCE and ARGRED tasks.
 *
 * All three are one shape of work: a result over the kept dimensions of an
 * iteration space S, each element reduced over S's reduced dimensions.
 * The result takes a default layout; each operand is asked for in the same
 * grid with its reduced dimensions whole on every tile and stored
 * innermost, so the reduced positions of one result element are one or two
 * strided runs, the same on every tile (spec constants), and the result
 * elements of a tile are chunks as for elementwise kernels.
 *
 * When the result is small and the input large, the reduction is split
 * across tiles: the first reduced dimension is also split over a grid axis
 * of P tiles, each tile reduces its part into a partial result [P, ...],
 * an exchange brings the partials to the result's tiles, and a second
 * REDUCE (no body) combines them.
 *
 * Pooling reduces a window buffer [N, C, O..., K...] that a movement fills
 * from the input (MAP_POOLWIN; pad -inf for max, 0 for average); average
 * pooling divides by a constant buffer of window counts.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

enum {
    SPLIT_MIN_BYTES = 16384, /* split a reduction across tiles above this per result tile */
    MIN_RED_PER_WORKER = 1,
};

/* What to reduce: S, its reduced dimensions, and the buffers. */
typedef struct Red {
    IrOpId op;
    PlanTaskKind task;
    PlanReduceKind kind;
    bool body, select_last;
    int rank;
    int64_t dims[IR_MAX_RANK];
    bool reduced[IR_MAX_RANK];
    int out_dim[IR_MAX_RANK]; /* S dim -> result layout dim, or -1 (reduced, dropped) */
    int32_t out;              /* result buffer */
    int nin;
    int32_t in[PLAN_MAX_BUFS]; /* operand buffers, dims aligned with S from the right */
    int input[PLAN_MAX_BUFS];
    int32_t divisor; /* -1, or an f32 buffer in the result's layout */
    int split_dim;   /* -1, or the S dim cut to one tile's part (operands hold all of it) */
    int64_t wsplit;  /* > 1: the run of each result element cut into this many, result dim 1 */
    int64_t split_full;
    AccDtype acc;
    int cost;     /* instructions per reduced position (estimate) */
    bool product; /* operand 0 x operand 1, summed (depthwise convolution) */
    int nstrided; /* operands 0..nstrided-1 are read with in_st (bytes per S dim) */
    int64_t in_st[2][IR_MAX_RANK]; /* from their block's first stored position */
} Red;

/* A reduction of op id with nothing set but what every one needs: a
 * REDUCE of kind (the caller may make it an ARGRED), no divisor, no split. */
static void red_init(Red *r, IrOpId id, PlanReduceKind kind) {
    memset(r, 0, sizeof *r);
    r->op = id;
    r->task = PLAN_REDUCE;
    r->kind = kind;
    r->divisor = -1;
    r->split_dim = -1;
    r->wsplit = 1;
}

static int64_t clamp64(int64_t x, int64_t lo, int64_t hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

/* Strides (bytes) of buffer b along S's dimensions, 0 where broadcast, and
 * the offset of its block's first element. */
static void buf_strides(const Plan *p, const Red *r, int32_t b, const int *dimmap, int64_t *st,
                        int64_t *off) {
    const PlanLayout *l = &p->bufs[b].layout;
    int64_t es = (int64_t)dtype_size(l->dtype), ls[IR_MAX_RANK];
    layout_strides(l, ls);
    int shift = r->rank - l->rank;
    for (int d = 0; d < r->rank; d++) {
        int bd = dimmap ? dimmap[d] : d - shift;
        int64_t want = d == r->split_dim ? r->split_full : r->dims[d];
        bool present = bd >= 0 && l->dims[bd] == want && want > 1;
        st[d] = present ? ls[bd] * es : 0;
    }
    *off = 0;
    for (int d = 0; d < l->rank; d++) *off += l->lo[d] * ls[d] * es;
}

/* The result elements of tile q of ol (nk dims it_dim, buffer strides
 * it_st) as it iterates them, collapsed; their count. */
static int64_t result_iter(const PlanLayout *ol, int32_t q, int nk, const int *it_dim, int nb,
                           const int32_t *bufs, const int64_t *off, int64_t it_st[][IR_MAX_RANK],
                           TileIter *it) {
    int64_t blockc[IR_MAX_RANK];
    layout_block_of(ol, q, blockc);
    memset(it, 0, sizeof *it);
    it->nbuf = nb;
    it->n = nk ? nk : 1;
    it->ext[0] = 1;
    for (int i = 0; i < nk; i++) it->ext[i] = layout_extent(ol, blockc, it_dim[i]);
    int64_t n = 1;
    for (int i = 0; i < it->n; i++) n *= it->ext[i];
    for (int d = 0; d < ol->rank; d++) n *= ol->dims[d] == 0 ? 0 : 1; /* no element at all */
    for (int k = 0; k < nb; k++) {
        it->buf[k] = bufs[k];
        it->base[k] = off[k];
        for (int i = 0; i < nk; i++) it->stride[k][i] = it_st[k][i];
    }
    if (n == 0) it->ext[0] = 0, it->n = 1;
    tile_iter_collapse(it);
    return n;
}

/* Whether a reduction of kind, accumulating in acc, of in values into
 * out results is a sum that f32v2add and the pair conversions serve. */
static bool lanes_dtypes(PlanReduceKind kind, AccDtype acc, AccDtype in, AccDtype out) {
    return kind == PLAN_RED_SUM && acc == ACC_DTYPE_F32 && in == ACC_DTYPE_F32 &&
           (out == ACC_DTYPE_F32 || out == ACC_DTYPE_F16 || out == ACC_DTYPE_BF16);
}

/* Whether spec is such a plain sum into contiguous results, one run of a
 * few positions lanes elements apart (the partials of a K split): a
 * kernel can take lanes results at a time. */
static bool lanes_apply(const PlanReduceSpec *s, const Red *r, int lanes) {
    return r->task == PLAN_REDUCE && !s->body && !s->product && !s->divisor && r->wsplit == 1 &&
           s->nbuf == 2 && lanes_dtypes(s->kind, s->acc_dtype, s->dtype[1], s->out_dtype) &&
           s->r1 == 1 && s->r0 >= 1 && s->r0 <= 16 && s->rs0[1] % (4 * lanes) == 0 &&
           s->inner[1] == 4 && s->inner[0] == (int64_t)dtype_size(s->out_dtype);
}

/* Whether a tile's elements (it, collapsed) come in rows of a multiple of
 * lanes whose starts are lanes-element aligned in every buffer. */
static bool lanes_fit(const PlanReduceSpec *s, const TileIter *it, int lanes) {
    if (it->ext[it->n - 1] % lanes) return false;
    for (int k = 0; k < s->nbuf; k++) {
        int64_t al = lanes * (int64_t)dtype_size(s->dtype[k]);
        if (it->base[k] % al) return false;
        for (int i = 0; i + 1 < it->n; i++)
            if (it->stride[k][i] % al) return false;
    }
    return true;
}

/* The REDUCE or ARGRED task of r. */
static void reduce_task(Tiler *t, const Red *r) {
    Plan *p = t->p;
    const PlanLayout olv = p->bufs[r->out].layout, *ol = &olv; /* bufs may move */
    int nb = 1 + r->nin + (r->divisor >= 0);
    if (nb > PLAN_MAX_BUFS) ice("tile: more than %d buffers in one kernel", PLAN_MAX_BUFS);
    int32_t bufs[PLAN_MAX_BUFS];
    bufs[0] = r->out;
    for (int k = 0; k < r->nin; k++) bufs[1 + k] = r->in[k];
    if (r->divisor >= 0) bufs[nb - 1] = r->divisor;

    PlanReduceSpec *spec = ARENA_NEW(t->arena, PlanReduceSpec);
    spec->op = r->op;
    spec->kind = r->kind;
    spec->body = r->body;
    spec->divisor = r->divisor >= 0;
    spec->select_last = r->select_last;
    spec->product = r->product;
    spec->nbuf = nb;
    spec->acc_dtype = r->acc;
    spec->out_dtype = ol->dtype;
    for (int k = 0; k < nb; k++) spec->dtype[k] = p->bufs[bufs[k]].layout.dtype;
    for (int k = 0; k < r->nin; k++) spec->input[1 + k] = r->input[k];

    /* Strides of every buffer along S. The result and divisor are indexed
     * through out_dim; operands align from the right. */
    int64_t st[PLAN_MAX_BUFS][IR_MAX_RANK], off[PLAN_MAX_BUFS];
    for (int k = 0; k < nb; k++) {
        bool outlike = k == 0 || (spec->divisor && k == nb - 1);
        buf_strides(p, r, bufs[k], outlike ? r->out_dim : NULL, st[k], &off[k]);
    }
    for (int k = 0; k < r->nstrided; k++) {
        memcpy(st[1 + k], r->in_st[k], sizeof st[1 + k]);
        off[1 + k] = 0;
    }
    /* The reduced positions: reduced dims of S (extent > 1), collapsed. */
    TileIter rit;
    memset(&rit, 0, sizeof rit);
    rit.nbuf = r->nin;
    for (int d = 0; d < r->rank; d++) {
        if (!r->reduced[d] || r->dims[d] <= 1) continue;
        rit.ext[rit.n] = r->dims[d];
        for (int k = 0; k < r->nin; k++) rit.stride[k][rit.n] = st[1 + k][d];
        rit.n++;
    }
    if (rit.n == 0) rit.ext[rit.n++] = 1;
    tile_iter_collapse(&rit);
    if (rit.n > 2)
        ice("tile: %s: reduced positions in more than two runs", ir_op_name(t->g->ops[r->op].kind));
    spec->r0 = rit.ext[rit.n - 1];
    spec->r1 = rit.n == 2 ? rit.ext[0] : 1;
    for (int d = 0; d < r->rank; d++)
        if (r->reduced[d] && r->dims[d] == 0) spec->r0 = 0, spec->r1 = 1; /* nothing to reduce */
    for (int k = 0; k < r->nin; k++) {
        spec->rs0[1 + k] = rit.stride[k][rit.n - 1];
        spec->rs1[1 + k] = rit.n == 2 ? rit.stride[k][0] : 0;
    }
    if (r->task == PLAN_ARGRED && spec->r1 != 1) ice("tile: argmax over more than one run");
    if (r->wsplit > 1) {
        if (spec->r1 != 1 || spec->r0 % r->wsplit) ice("tile: a reduction's run does not split");
        spec->r0 /= r->wsplit;
    }

    /* Result elements: the runs of a split (result dim 1), then the kept
     * dims of S in the result's storage order; it_dim: the result dim
     * giving each one's extent on a tile. */
    int it_dim[IR_MAX_RANK], nk = 0;
    int64_t it_st[PLAN_MAX_BUFS][IR_MAX_RANK];
    if (r->wsplit > 1) {
        int64_t ls[IR_MAX_RANK];
        layout_strides(ol, ls);
        it_dim[nk] = 1;
        it_st[0][nk] = ls[1] * (int64_t)dtype_size(ol->dtype);
        for (int k = 1; k < nb; k++) it_st[k][nk] = spec->r0 * spec->rs0[k];
        nk++;
    }
    for (int i = 0; i < ol->rank; i++)
        for (int d = 0; d < r->rank; d++)
            if (r->out_dim[d] == ol->order[i] && !r->reduced[d] && r->dims[d] > 1) {
                it_dim[nk] = r->out_dim[d];
                for (int k = 0; k < nb; k++) it_st[k][nk] = st[k][d];
                nk++;
            }
    for (int k = 0; k < nb; k++) spec->inner[k] = nk ? it_st[k][nk - 1] : 0;

    const char *name = p->bufs[r->out].name;
    int32_t task = plan_add_task(p, r->task, r->op, name);
    int32_t ntl = layout_ntiles(ol);
    plan_task_set_layout_tiles(p, task, ol);
    for (int k = 1; k < nb; k++) plan_task_reads(p, task, bufs[k]);
    plan_task_writes(p, task, r->out);
    int32_t ab = tile_args_buf(t, task, name);
    p->tasks[task].spec = spec;

    int64_t most = 0, rcount = spec->r0 * spec->r1;
    TileIter it;
    for (int lanes = 4; lanes > 1 && !spec->lanes; lanes /= 2) {
        bool fit = lanes_apply(spec, r, lanes);
        for (int32_t q = 0; q < ntl && fit; q++)
            fit = result_iter(ol, q, nk, it_dim, nb, bufs, off, it_st, &it) == 0 ||
                  lanes_fit(spec, &it, lanes);
        if (fit) spec->lanes = lanes;
    }
    for (int32_t q = 0; q < ntl; q++) {
        int64_t n = result_iter(ol, q, nk, it_dim, nb, bufs, off, it_st, &it);
        if (n > most) most = n;
        int32_t nw;
        PlanBuf *abuf = &p->bufs[ab];
        abuf->words[q] = tile_chunk_args(p, &it, ab, (int)t->m->workers, MIN_RED_PER_WORKER,
                                         spec->lanes ? spec->lanes : 1, &nw);
        abuf->size[q] = (uint32_t)nw * 4;
    }
    /* A worker issues every `workers` cycles: per worker, its elements
     * times the instructions each takes. */
    int64_t w = t->m->workers, per = (most + w - 1) / w;
    if (spec->lanes) /* per lanes results: loads, f32v2adds, conversions, store, bump */
        p->tasks[task].cycles =
            ceil_div(per, spec->lanes) * (spec->r0 * (1 + spec->lanes / 2) + 2) * w + 20 * w;
    else
        p->tasks[task].cycles = per * (rcount * r->cost + 8) * w + 20 * w;
}

/* Instructions per reduced position: loads, the body, the combine. */
static int body_cost(const IrGraph *body, int nin) {
    int n = 1 + nin; /* the loads and the combine */
    if (!body) return n;
    ir_for_each_op(body, b) {
        IrOpKind k = body->ops[b].kind;
        n += k == IR_OP_constant ? 1 : 3;
    }
    return n;
}

/* The storage order of operands: the kept dims in the result's order, then
 * the reduced ones. */
static void reduced_innermost(PlanLayout *l, const Red *r, const PlanLayout *ol) {
    int shift = r->rank - l->rank, n = 0;
    for (int i = 0; i < ol->rank; i++)
        for (int d = 0; d < r->rank; d++)
            if (r->out_dim[d] == ol->order[i] && !r->reduced[d] && d - shift >= 0)
                l->order[n++] = (int8_t)(d - shift);
    for (int d = shift; d < r->rank; d++)
        if (r->reduced[d]) l->order[n++] = (int8_t)(d - shift);
    if (n != l->rank) ice("tile: a reduction's storage order");
}

/* ---- fused_reduce and argmax/argmin ---------------------------------------------------- */

static PlanReduceKind reduce_kind(const IrGraph *g, IrOpId id) {
    const IrOp *op = &g->ops[id];
    if (op->kind == IR_OP_argmax) return PLAN_RED_ARGMAX;
    if (op->kind == IR_OP_argmin) return PLAN_RED_ARGMIN;
    const char *k = ir_attr_str(g, id, "kind");
    return !strcmp(k, "sum")    ? PLAN_RED_SUM
           : !strcmp(k, "prod") ? PLAN_RED_PROD
           : !strcmp(k, "max")  ? PLAN_RED_MAX
                                : PLAN_RED_MIN;
}

/* Whether the reduction of r is worth splitting across tiles: few result
 * tiles, many bytes of input each. */
static int64_t split_parts(Tiler *t, const Red *r, const PlanLayout *ol, int first_red) {
    if (first_red < 0 || r->task != PLAN_REDUCE) return 1;
    int64_t in_bytes = 0;
    for (int k = 0; k < t->g->ops[r->op].nin; k++) {
        const IrType *x = &t->g->vals[t->g->ops[r->op].in[k]].type;
        int64_t n = 1;
        for (int d = 0; d < x->rank; d++) n *= x->dims[d];
        in_bytes += n * (int64_t)dtype_size(x->dtype);
    }
    int64_t per_tile = in_bytes / layout_ntiles(ol);
    if (per_tile < SPLIT_MIN_BYTES) return 1;
    int64_t free_tiles = (int64_t)t->m->tiles / layout_ntiles(ol);
    int64_t parts = clamp64(per_tile / (SPLIT_MIN_BYTES / 4), 1, free_tiles);
    parts = clamp64(parts, 1, r->dims[first_red]);
    while (parts > 1 && r->dims[first_red] % parts) parts--; /* equal parts on every tile */
    return parts;
}

/* Whether an operand of type x is broadcast along some reduced dimensions
 * of r but not all: its reduced positions are then no single run. */
static bool partly_broadcast(const Red *r, const IrType *x) {
    int shift = r->rank - x->rank;
    bool some = false, all = true;
    for (int d = 0; d < r->rank; d++) {
        if (!r->reduced[d] || r->dims[d] <= 1) continue;
        bool b = d < shift || x->dims[d - shift] == 1;
        some |= b;
        all &= b;
    }
    return some && !all;
}

/* Operand x expanded along the reduced dimensions (a movement into a
 * buffer of S's rank), so that its reduced positions are one run. */
static int32_t expanded_operand(Tiler *t, const Red *r, IrRef x, const PlanLayout *ol) {
    const IrType *xt = &t->g->vals[x].type;
    int shift = r->rank - xt->rank;
    int64_t dims1[IR_MAX_RANK], dims2[IR_MAX_RANK];
    for (int d = 0; d < r->rank; d++) {
        dims1[d] = d < shift ? 1 : xt->dims[d - shift];
        dims2[d] = r->reduced[d] ? r->dims[d] : dims1[d];
    }
    MapNode *m = move_map_of_value(t, x);
    if (shift > 0) m = move_map_node(t, MAP_RESHAPE, xt->dtype, r->rank, dims1, 1, &m);
    m = move_map_node(t, MAP_EXPAND, xt->dtype, r->rank, dims2, 1, &m);
    IrType et = ir_type(xt->dtype, r->rank, dims2);
    PlanLayout want;
    tile_operand_layout(ol, &et, &want);
    reduced_innermost(&want, r, ol);
    int32_t b =
        plan_add_layout_buf(t->p, PLAN_BUF_VALUE, IR_NONE, r->op,
                            arena_printf(t->arena, "%s [expanded]", tile_value_name(t, x)), &want);
    move_into(t, b, m, r->op);
    return b;
}

/* A reduction split across tiles whose result fits one tile: when operand
 * x (of S's shape) is already split along the first reduced dimension
 * only, in equal parts, the partials take its tiles and part count, so x
 * moves nowhere. */
static void reuse_split(Tiler *t, const Red *r, IrRef x, int first_red, const PlanLayout *ol,
                        int64_t *parts, int32_t *base) {
    const ValState *vs = &t->vals[x];
    if (vs->nbufs == 0 || layout_ntiles(ol) != 1) return;
    const PlanLayout *hl = &t->p->bufs[vs->home >= 0 ? vs->home : vs->bufs[0]].layout;
    if (hl->rank != r->rank || hl->ngrid != 1 || hl->axis[first_red] != 0) return;
    for (int d = 0; d < r->rank; d++)
        if (hl->dims[d] != r->dims[d] || (d != first_red && hl->axis[d] >= 0)) return;
    int64_t n = hl->grid[0];
    if (n < 2 || hl->block[first_red] * n != r->dims[first_red]) return;
    if (hl->base + n > (int64_t)t->m->tiles) return;
    *parts = n;
    *base = hl->base;
}

static void tile_fused_reduce(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    IrRef y = op->out[0];
    const IrType *yt = &g->vals[y].type;
    Red r;
    red_init(&r, id, reduce_kind(g, id));
    bool arg = r.kind == PLAN_RED_ARGMAX || r.kind == PLAN_RED_ARGMIN;
    r.task = arg ? PLAN_ARGRED : PLAN_REDUCE;
    r.body = !arg;
    IrType s = g->vals[op->in[0]].type;
    for (int i = 1; i < op->nin; i++) ir_broadcast(&s, &g->vals[op->in[i]].type, &s, NULL);
    r.rank = s.rank;
    memcpy(r.dims, s.dims, sizeof r.dims);
    for (int d = 0; d < s.rank; d++) r.out_dim[d] = d;
    if (arg) {
        r.reduced[ir_attr_int(g, id, "axis")] = true;
        r.select_last = ir_attr_bool(g, id, "select_last_index");
        AccDtype xt = s.dtype;
        r.acc = xt == ACC_DTYPE_F16 || xt == ACC_DTYPE_BF16 ? ACC_DTYPE_F32 : xt;
        r.cost = 10;
    } else {
        int n;
        const int64_t *axes = ir_attr_ints(g, id, "axes", &n);
        for (int i = 0; i < n; i++) r.reduced[axes[i]] = true;
        const IrGraph *body = ir_op_body(g, id);
        r.acc = body->vals[ir_body_result(body)].type.dtype;
        r.cost = body_cost(body, op->nin);
    }
    int first_red = -1;
    for (int d = 0; d < r.rank && first_red < 0; d++)
        if (r.reduced[d] && r.dims[d] > 1) first_red = d;

    PlanLayout ol;
    tile_default_layout(t, yt, &ol);
    int64_t parts = split_parts(t, &r, &ol, first_red);
    for (int i = 0; i < op->nin; i++) /* one run per tile's part: no partial broadcasts */
        if (partly_broadcast(&r, &g->vals[op->in[i]].type)) parts = 1;
    int32_t reuse_base = -1;
    if (parts > 1) reuse_split(t, &r, op->in[0], first_red, &ol, &parts, &reuse_base);
    if (parts <= 1) {
        r.nin = op->nin;
        for (int i = 0; i < op->nin; i++) {
            r.input[i] = i;
            if (partly_broadcast(&r, &g->vals[op->in[i]].type)) {
                r.in[i] = expanded_operand(t, &r, op->in[i], &ol);
                continue;
            }
            PlanLayout want;
            tile_operand_layout(&ol, &g->vals[op->in[i]].type, &want);
            reduced_innermost(&want, &r, &ol);
            r.in[i] = tile_value_in(t, op->in[i], &want);
        }
        r.out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);
        reduce_task(t, &r);
        t->vals[y].kind = VAL_COMPUTED;
        tile_note_buf(t, y, r.out);
        return;
    }

    /* Across tiles: partials [P, W, y...] on a grid of P x (y's grid), the
     * first reduced dimension also split over the new axis; when y has
     * fewer elements than a tile has workers, each tile's part is cut
     * into W runs more (W dividing it), one per worker. */
    int64_t chunk = r.dims[first_red] / parts, per_tile = chunk, ny = 1;
    for (int d = 0; d < r.rank; d++) {
        if (r.reduced[d] && d != first_red) per_tile *= r.dims[d];
        if (!r.reduced[d]) ny *= r.dims[d];
    }
    int64_t wsplit = 1;
    for (int64_t w = 2; w * ny <= (int64_t)t->m->workers; w++)
        if (per_tile % w == 0) wsplit = w;
    int lead = wsplit > 1 ? 2 : 1; /* P, and W */
    PlanLayout pl = ol;
    pl.rank = ol.rank + lead;
    pl.dtype = r.acc;
    for (int d = 0; d < ol.rank; d++) {
        pl.dims[d + lead] = ol.dims[d];
        pl.axis[d + lead] = ol.axis[d] >= 0 ? ol.axis[d] + 1 : -1;
        pl.block[d + lead] = ol.block[d];
    }
    for (int d = 0; d < pl.rank; d++) pl.lo[d] = pl.hi[d] = 0, pl.mult[d] = 1;
    pl.dims[0] = parts;
    pl.block[0] = 1;
    pl.axis[0] = 0;
    if (lead == 2) pl.dims[1] = pl.block[1] = wsplit, pl.axis[1] = -1;
    for (int g2 = ol.ngrid; g2 > 0; g2--) pl.grid[g2] = ol.grid[g2 - 1];
    pl.grid[0] = (int32_t)parts;
    pl.ngrid = ol.ngrid + 1;
    for (int i = 0; i < lead; i++) pl.order[i] = (int8_t)i;
    for (int i = 0; i < ol.rank; i++) pl.order[i + lead] = (int8_t)(ol.order[i] + lead);
    if (reuse_base >= 0) pl.base = reuse_base;
    if (pl.base + layout_ntiles(&pl) > (int32_t)t->m->tiles) pl.base = 0;
    pl.pad = 0;
    pl.pad_undefined = false;
    int32_t partial =
        plan_add_layout_buf(t->p, PLAN_BUF_VALUE, IR_NONE, id,
                            arena_printf(t->arena, "%s [partial]", tile_value_name(t, y)), &pl);
    /* Stage 1: operands in pl's grid; reduced dims whole except first_red,
     * split over axis 0. */
    Red r1 = r;
    r1.out = partial;
    for (int d = 0; d < r.rank; d++) r1.out_dim[d] = d + lead;
    r1.wsplit = wsplit;
    r1.nin = op->nin;
    for (int i = 0; i < op->nin; i++) {
        const IrType *x = &g->vals[op->in[i]].type;
        PlanLayout want;
        tile_operand_layout(&ol, x, &want);
        /* shift ol's grid axes by one, add axis 0 */
        for (int g2 = want.ngrid; g2 > 0; g2--) want.grid[g2] = want.grid[g2 - 1];
        want.grid[0] = (int32_t)parts;
        want.ngrid++;
        want.base = pl.base;
        for (int d = 0; d < x->rank; d++)
            if (want.axis[d] >= 0) want.axis[d]++;
        int shift = r.rank - x->rank, xd = first_red - shift;
        if (xd >= 0 && x->dims[xd] == r.dims[first_red]) {
            want.axis[xd] = 0;
            want.block[xd] = chunk;
        }
        reduced_innermost(&want, &r, &ol);
        r1.in[i] = tile_value_in(t, op->in[i], &want);
        r1.input[i] = i;
    }
    /* Stage 1 iterates S with first_red cut to its block: reduce_task
     * reads S's dims for the reduced extents. */
    r1.dims[first_red] = chunk;
    r1.split_dim = first_red;
    r1.split_full = r.dims[first_red];
    reduce_task(t, &r1);

    /* Stage 2: the partials combined into y. */
    int32_t out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);
    tile_combine_partials(t, id, partial, lead, r.kind, r.acc, out);
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, out);
}

void tile_combine_partials(Tiler *t, IrOpId id, int32_t partial, int lead, PlanReduceKind kind,
                           AccDtype acc, int32_t out) {
    const PlanLayout pl = t->p->bufs[partial].layout, ol = t->p->bufs[out].layout;
    const char *name = t->p->bufs[out].name;
    /* the partials, moved into out's grid, reduced over the lead dims,
     * stored innermost (one run), or outermost for a plain f32 sum (one
     * block per partial, which the REDUCE kernel can add two results at a
     * time: PlanReduceSpec.lanes) */
    bool outer = lanes_dtypes(kind, acc, pl.dtype, ol.dtype);
    PlanLayout gl = pl;
    gl.base = ol.base;
    gl.ngrid = ol.ngrid;
    memcpy(gl.grid, ol.grid, sizeof gl.grid);
    for (int d = 0; d < ol.rank; d++)
        gl.axis[d + lead] = ol.axis[d], gl.block[d + lead] = ol.block[d];
    for (int i = 0; i < lead; i++) gl.axis[i] = -1, gl.block[i] = gl.dims[i];
    for (int i = 0; i < ol.rank; i++)
        gl.order[(outer ? lead : 0) + i] = (int8_t)(ol.order[i] + lead);
    for (int i = 0; i < lead; i++) gl.order[(outer ? 0 : ol.rank) + i] = (int8_t)i;
    int32_t gathered = plan_add_layout_buf(t->p, PLAN_BUF_VALUE, IR_NONE, id,
                                           arena_printf(t->arena, "%s [partials]", name), &gl);
    /* the sum reads only the blocks' extents: the positions an edge block
     * stores past them need no fill (which would run first and hold the
     * buffer from the start) */
    t->p->bufs[gathered].layout.pad_undefined = true;
    move_into(t, gathered, move_map_leaf_buf(t, partial), id);
    Red r2;
    red_init(&r2, id, kind);
    r2.rank = ol.rank + lead;
    for (int i = 0; i < lead; i++) {
        r2.dims[i] = pl.dims[i];
        r2.reduced[i] = true;
        r2.out_dim[i] = -1;
    }
    for (int d = 0; d < ol.rank; d++) {
        r2.dims[d + lead] = ol.dims[d];
        r2.out_dim[d + lead] = d;
    }
    r2.nin = 1;
    r2.in[0] = gathered;
    r2.acc = acc;
    r2.cost = 2;
    r2.out = out;
    reduce_task(t, &r2);
}

/* ---- Pooling --------------------------------------------------------------------------- */

/* Window counts of average pooling per output position (the evaluator's). */
static int64_t pool_count(const IrWindow *w, const int64_t *o, bool include_pad) {
    int64_t count = 1;
    for (int s = 0; s < w->nsp; s++) {
        int64_t c = 0;
        for (int64_t k = 0; k < w->kernel[s]; k++) {
            int64_t i = o[s] * w->stride[s] - w->pad_begin[s] + k * w->dilation[s];
            bool in = include_pad ? i >= -w->pad_begin[s] && i < w->in[s] + w->pad_end[s]
                                  : i >= 0 && i < w->in[s];
            c += in;
        }
        count *= c;
    }
    return count;
}

static int32_t pool_counts(Tiler *t, IrOpId id, const IrWindow *w, const PlanLayout *ol);

/* The input of a 2-D window op laid out for reading in place: in the
 * result's grid (images and channels split alike, nothing else), the
 * padding and whatever the last windows overhang as margins holding pad. */
static void window_input_layout(const PlanLayout *ol, const IrType *xt, const IrWindow *w,
                                double pad, PlanLayout *xl) {
    *xl = *ol;
    xl->dtype = xt->dtype;
    for (int d = 0; d < xl->rank; d++) {
        xl->order[d] = (int8_t)d;
        xl->mult[d] = 1;
        xl->lo[d] = xl->hi[d] = 0;
    }
    for (int s = 0; s < 2; s++) {
        int d = 2 + s;
        /* a split of the result's rows (ol's block of them) splits the
         * input's alike: each block with the rows its windows overhang as
         * margins (the neighbours' rows, or padding) */
        int64_t on = ol->axis[d] >= 0 ? ol->block[d] : w->out[s];
        int64_t blk = ol->axis[d] >= 0 ? on * w->stride[s] : w->in[s];
        int64_t need = (on - 1) * w->stride[s] + (w->kernel[s] - 1) * w->dilation[s] + 1;
        xl->dims[d] = w->in[s];
        xl->block[d] = blk;
        xl->lo[d] = w->pad_begin[s];
        xl->hi[d] = need - w->pad_begin[s] > blk ? need - w->pad_begin[s] - blk : 0;
    }
    xl->pad = pad;
    xl->pad_undefined = false;
}

/* S = [N, C, O0, O1, K0, K1] of a 2-D window op; operand 0 (the input in
 * xl) read in place: window origins stride apart, taps dilation apart. */
static void window_strides(Red *r, const PlanLayout *xl, const IrWindow *w) {
    int64_t ls[IR_MAX_RANK], es = (int64_t)dtype_size(xl->dtype);
    layout_strides(xl, ls);
    if (r->nstrided < 1) r->nstrided = 1;
    r->in_st[0][0] = xl->dims[0] > 1 ? ls[0] * es : 0;
    r->in_st[0][1] = xl->dims[1] > 1 ? ls[1] * es : 0;
    for (int s = 0; s < 2; s++) {
        r->dims[4 + s] = w->kernel[s];
        r->in_st[0][2 + s] = w->stride[s] * ls[2 + s] * es;
        r->in_st[0][4 + s] = w->dilation[s] * ls[2 + s] * es;
    }
}

/* 2-D pooling straight from the input, when the result is split over
 * images and channels only: the input in the same grid with the padding
 * (and whatever the last windows overhang) as margins holding the pad
 * value, each result element reducing two strided runs of it (the window's
 * rows). No window buffer, so no copies and no descriptors for them. */
static bool pool_in_place(Tiler *t, IrOpId id, const IrWindow *w, const PlanLayout *ol,
                          bool is_max) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    IrRef x = op->in[0], y = op->out[0];
    const IrType *xt = &g->vals[x].type, *yt = &g->vals[y].type;
    for (int d = 2; d < yt->rank; d++)
        if (ol->axis[d] >= 0) return false;
    PlanLayout xl;
    window_input_layout(ol, xt, w, is_max ? -INFINITY : 0, &xl);

    Red r;
    red_init(&r, id, is_max ? PLAN_RED_MAXNUM : PLAN_RED_SUM);
    r.rank = yt->rank + 2;
    memcpy(r.dims, yt->dims, sizeof r.dims);
    window_strides(&r, &xl, w);
    for (int d = 0; d < r.rank; d++) {
        r.reduced[d] = d >= yt->rank;
        r.out_dim[d] = d < yt->rank ? d : -1;
    }
    r.nin = 1;
    r.in[0] = tile_value_in(t, x, &xl);
    r.acc = ACC_DTYPE_F32;
    r.cost = 5;
    r.divisor = is_max ? -1 : pool_counts(t, id, w, ol);
    r.out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, ol, NULL);
    reduce_task(t, &r);
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, r.out);
    return true;
}

/* Average pooling's divisors: the window counts, f32, in ol's grid (plain
 * storage, ol's order). */
static int32_t pool_counts(Tiler *t, IrOpId id, const IrWindow *wp, const PlanLayout *ol) {
    const IrGraph *g = t->g;
    IrWindow w = *wp;
    IrRef y = g->ops[id].out[0];
    PlanLayout dl = *ol;
    dl.dtype = ACC_DTYPE_F32;
    for (int d = 0; d < dl.rank; d++) dl.lo[d] = dl.hi[d] = 0, dl.mult[d] = 1;
    dl.pad = 0;
    dl.pad_undefined = false;
    bool include_pad = ir_attr_bool(g, id, "count_include_pad");
    int32_t db =
        plan_add_layout_buf(t->p, PLAN_BUF_CONST, IR_NONE, id,
                            arena_printf(t->arena, "%s [counts]", tile_value_name(t, y)), &dl);
    PlanBuf *b = &t->p->bufs[db];
    b->data = ARENA_ARRAY(&t->p->arena, void *, (size_t)b->ntiles);
    int64_t lst[IR_MAX_RANK];
    layout_strides(&dl, lst);
    for (int32_t q = 0; q < b->ntiles; q++) {
        float *data = ARENA_ARRAY(&t->p->arena, float, b->size[q] / 4 + 1);
        memset(data, 0, b->size[q]);
        int64_t blockc[IR_MAX_RANK], ext[IR_MAX_RANK], c[IR_MAX_RANK] = {0}, n = 1;
        layout_block_of(&dl, q, blockc);
        for (int d = 0; d < dl.rank; d++) n *= ext[d] = layout_extent(&dl, blockc, d);
        for (int64_t e = 0; e < n; e++) {
            int64_t f = e, at = 0, o[3];
            for (int d = dl.rank - 1; d >= 0; d--) c[d] = f % ext[d], f /= ext[d];
            for (int d = 0; d < dl.rank; d++) at += c[d] * lst[d];
            for (int s = 0; s < w.nsp; s++) o[s] = blockc[2 + s] * dl.block[2 + s] + c[2 + s];
            data[at] = (float)pool_count(&w, o, include_pad);
        }
        b->data[q] = data;
    }
    return db;
}

static void tile_pool(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    IrRef x = op->in[0], y = op->out[0];
    const IrType *xt = &g->vals[x].type, *yt = &g->vals[y].type;
    bool is_max = op->kind == IR_OP_max_pool2d || op->kind == IR_OP_max_pool3d;
    IrWindow w;
    ir_window(g, id, &w);
    PlanLayout ol;
    tile_default_layout(t, yt, &ol);
    if (w.nsp == 2 && pool_in_place(t, id, &w, &ol, is_max)) return;

    /* The windows [N, C, O..., K...] in ol's grid, K innermost. */
    PlanLayout wl = ol;
    wl.dtype = xt->dtype;
    wl.rank = yt->rank + w.nsp;
    for (int s = 0; s < w.nsp; s++) {
        int d = yt->rank + s;
        wl.dims[d] = wl.block[d] = w.kernel[s];
        wl.axis[d] = -1;
        wl.lo[d] = wl.hi[d] = 0;
        wl.mult[d] = 1;
        wl.order[d] = (int8_t)d;
    }
    for (int d = 0; d < yt->rank; d++) wl.lo[d] = wl.hi[d] = 0, wl.mult[d] = 1;
    wl.pad = is_max ? -INFINITY : 0;
    wl.pad_undefined = false;
    MapNode *src = move_map_of_value(t, x);
    MapNode *win = move_map_node(t, MAP_POOLWIN, xt->dtype, wl.rank, wl.dims, 1, &src);
    win->win = w;
    win->padv = wl.pad;
    int32_t wb =
        plan_add_layout_buf(t->p, PLAN_BUF_VALUE, IR_NONE, id,
                            arena_printf(t->arena, "%s [windows]", tile_value_name(t, y)), &wl);
    move_into(t, wb, win, id);

    Red r;
    red_init(&r, id, is_max ? PLAN_RED_MAXNUM : PLAN_RED_SUM);
    r.rank = wl.rank;
    memcpy(r.dims, wl.dims, sizeof r.dims);
    for (int d = 0; d < wl.rank; d++) {
        r.reduced[d] = d >= yt->rank;
        r.out_dim[d] = d < yt->rank ? d : -1;
    }
    r.nin = 1;
    r.in[0] = wb;
    r.acc = ACC_DTYPE_F32;
    r.cost = 5;
    r.out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);
    if (!is_max) r.divisor = pool_counts(t, id, &w, &ol);
    reduce_task(t, &r);
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, r.out);
}

/* The REDUCE of the product of op r->op's first two operands (a and b,
 * in layouts al and bl, read with r's in_st) into its result in layout
 * ol: straight into it (rounded to its dtype) when the body is the
 * identity, else into an accumulator that the epilogue reads. */
static void product_reduce(Tiler *t, Red *r, const PlanLayout *al, const PlanLayout *bl,
                           const PlanLayout *ol) {
    IrOpId id = r->op;
    const IrOp *op = &t->g->ops[id];
    r->product = true;
    r->nstrided = 2;
    r->nin = 2;
    r->in[0] = tile_value_in(t, op->in[0], al);
    r->in[1] = tile_value_in(t, op->in[1], bl);
    r->cost = 6;
    IrRef y = t->g->ops[id].out[0];
    int32_t out = tile_new_value_buf(t, PLAN_BUF_VALUE, y, ol, NULL);
    bool ident = tile_identity_body(t->g, id);
    if (ident) {
        r->out = out;
    } else {
        PlanLayout cl = *ol;
        cl.dtype = r->acc;
        r->out =
            plan_add_layout_buf(t->p, PLAN_BUF_ACC, IR_NONE, id,
                                arena_printf(t->arena, "%s [acc]", tile_value_name(t, y)), &cl);
    }
    reduce_task(t, r);
    if (!ident) tile_epilogue(t, id, r->out, out, 0);
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, out);
}

bool tile_depthwise(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    IrRef x = op->in[0], wv = op->in[1], y = op->out[0];
    const IrType *xt = &g->vals[x].type, *wt = &g->vals[wv].type, *yt = &g->vals[y].type;
    IrWindow w;
    ir_window(g, id, &w);
    int64_t N = yt->dims[0], C = xt->dims[1];
    if (w.nsp != 2 || w.groups != C || yt->dims[1] != C || wt->dims[1] != 1) return false;
    if (xt->dtype != wt->dtype || !(dtype_flags(xt->dtype) & DT_FLOAT) ||
        xt->dtype == ACC_DTYPE_F64)
        return false;
    /* the result split over images and channels, and when they leave
     * tiles idle, over its rows too (the input's rows split alike) */
    PlanLayout ol;
    int64_t nc = N * C, T = (int64_t)t->m->tiles;
    layout_default(&ol, yt->dtype, yt->rank, yt->dims, 0, (int32_t)(nc < T ? nc : T), 1024);
    for (int d = 2; d < yt->rank; d++)
        if (ol.axis[d] >= 0) return false;
    int64_t O0 = w.out[0], rp = nc < T ? T / nc : 1;
    for (; rp > 1; rp--) {
        int64_t ob = ceil_div(O0, rp < O0 ? rp : O0);
        int64_t parts = ceil_div(O0, ob);
        if (ceil_div(w.in[0], ob * w.stride[0]) == parts && parts > 1) {
            ol.axis[2] = (int8_t)ol.ngrid;
            ol.grid[ol.ngrid++] = (int32_t)parts;
            ol.block[2] = ob;
            break;
        }
    }
    PlanLayout xl, wl;
    window_input_layout(&ol, xt, &w, 0, &xl);
    /* the weights [C, 1, K0, K1]: channels split as the result's */
    wl = ol;
    wl.dtype = wt->dtype;
    for (int d = 0; d < wl.rank; d++) {
        wl.dims[d] = wl.block[d] = wt->dims[d];
        wl.axis[d] = -1;
        wl.order[d] = (int8_t)d;
        wl.lo[d] = wl.hi[d] = 0;
        wl.mult[d] = 1;
    }
    wl.axis[0] = ol.axis[1];
    wl.block[0] = ol.block[1];
    wl.pad = 0;

    Red r;
    red_init(&r, id, PLAN_RED_SUM);
    r.rank = yt->rank + 2;
    memcpy(r.dims, yt->dims, sizeof r.dims);
    window_strides(&r, &xl, &w);
    int64_t ws[IR_MAX_RANK], es = (int64_t)dtype_size(wt->dtype);
    layout_strides(&wl, ws);
    r.in_st[1][1] = ws[0] * es;
    r.in_st[1][4] = ws[2] * es;
    r.in_st[1][5] = ws[3] * es;
    for (int d = 0; d < r.rank; d++) {
        r.reduced[d] = d >= yt->rank;
        r.out_dim[d] = d < yt->rank ? d : -1;
    }
    r.acc = ACC_DTYPE_F32;
    product_reduce(t, &r, &xl, &wl, &ol);
    return true;
}

bool tile_matmul_vector(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    IrRef av = op->in[0], bv = op->in[1], y = op->out[0];
    const IrType *at = &g->vals[av].type, *bt = &g->vals[bv].type, *yt = &g->vals[y].type;
    int R = yt->rank;
    AccDtype acc = ir_acc_dtype(at->dtype, bt->dtype);
    if ((dtype_flags(at->dtype) & DT_FLOAT) || (dtype_flags(bt->dtype) & DT_FLOAT) || R < 2 ||
        at->rank != R || bt->rank != R || R + 1 > IR_MAX_RANK)
        return false;
    for (int d = 0; d < R - 2; d++)
        if ((at->dims[d] != yt->dims[d] && at->dims[d] != 1) ||
            (bt->dims[d] != yt->dims[d] && bt->dims[d] != 1))
            return false;
    int64_t K = at->dims[R - 1];
    /* the result in the default layout; each tile's rows of A and columns
     * of B, all of K, in that grid (replicated where it splits the other) */
    PlanLayout ol, al, bl;
    layout_default(&ol, yt->dtype, R, yt->dims, 0, (int32_t)t->m->tiles, 1024);
    const IrType *src[2] = {at, bt};
    PlanLayout *lay[2] = {&al, &bl};
    for (int k = 0; k < 2; k++) {
        PlanLayout *l = lay[k];
        *l = ol;
        l->dtype = src[k]->dtype;
        for (int d = 0; d < R; d++) {
            l->dims[d] = l->block[d] = src[k]->dims[d];
            l->axis[d] = -1;
            l->lo[d] = l->hi[d] = 0;
            l->mult[d] = 1;
        }
        for (int d = 0; d < R - 2; d++)
            if (src[k]->dims[d] == yt->dims[d] && ol.axis[d] >= 0)
                l->axis[d] = ol.axis[d], l->block[d] = ol.block[d];
        int d = k == 0 ? R - 2 : R - 1; /* A's rows, B's columns */
        if (ol.axis[d] >= 0) l->axis[d] = ol.axis[d], l->block[d] = ol.block[d];
        l->pad = 0;
    }

    /* S = [batch..., M, N, K], K reduced: A read at (batch, m, k), B at
     * (batch, k, n), stride 0 where broadcast */
    Red r;
    red_init(&r, id, PLAN_RED_SUM);
    r.rank = R + 1;
    memcpy(r.dims, yt->dims, sizeof r.dims);
    r.dims[R] = K;
    for (int k = 0; k < 2; k++) {
        int64_t ls[IR_MAX_RANK], es = (int64_t)dtype_size(src[k]->dtype);
        layout_strides(lay[k], ls);
        for (int d = 0; d < R - 2; d++) r.in_st[k][d] = src[k]->dims[d] > 1 ? ls[d] * es : 0;
        r.in_st[k][R - 2] = k == 0 ? ls[R - 2] * es : 0;
        r.in_st[k][R - 1] = k == 1 ? ls[R - 1] * es : 0;
        r.in_st[k][R] = (k == 0 ? ls[R - 1] : ls[R - 2]) * es;
    }
    for (int d = 0; d <= R; d++) {
        r.reduced[d] = d == R;
        r.out_dim[d] = d < R ? d : -1;
    }
    r.acc = acc;
    product_reduce(t, &r, &al, &bl, &ol);
    return true;
}

void tile_reduce(Tiler *t, IrOpId id) {
    switch (t->g->ops[id].kind) {
    case IR_OP_max_pool2d:
    case IR_OP_max_pool3d:
    case IR_OP_avg_pool2d:
    case IR_OP_avg_pool3d: tile_pool(t, id); break;
    default: tile_fused_reduce(t, id);
    }
}

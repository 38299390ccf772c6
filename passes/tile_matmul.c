/*
 * tile_matmul — the matrix-unit families of the tiler (docs/backend.md,
 * "Matrix-unit kernels"): fused_matmul and fused_conv become one MATMUL
 * task (the matrix unit, into an f32/i32 accumulator or straight into the
 * result) and, unless the body is the identity, an EW task for the
 * epilogue.
 *
 * A convolution is a direct implicit matmul: its input is stored
 * channels-last with the padding as margins, so the K elements one output
 * pixel needs for one kernel row (or tap) are contiguous and the kernel
 * reads them in place; nothing is copied into an im2col buffer.
 *
 * The split of the work over tiles (batch, rows, 16-column blocks) comes
 * from a small cost model (amp_cost) that counts the matrix unit's issue
 * cycles, weight loads, the epilogue, the bytes operands must receive and
 * the SRAM each tile needs; the cheapest split that fits wins.
 */
#include "internal.h"

#include <stdlib.h>

enum {
    GRID_B = 0, /* grid axes of a matmul or convolution: batch (or images), */
    GRID_M = 1, /* rows (or output rows), */
    GRID_N = 2, /* 16-column blocks (output channels) */
    MAX_SEG_ROWS = 1 << 20,
};

/* ---- The matrix unit per operand dtype ---------------------------------------------- */

typedef struct AmpType {
    int lanes;    /* K elements per multiply */
    int kmax;     /* rows of W at most */
    int rowbytes; /* bytes of one W row (16 elements) */
    int turns;    /* issue turns of one multiply */
} AmpType;

static bool amp_type(const IsaMachine *m, AccDtype a, AccDtype b, AmpType *at) {
    if (a != b) return false;
    switch (a) {
    case ACC_DTYPE_F16:
    case ACC_DTYPE_BF16:
        *at = (AmpType){4, 256, 32, (int)((64 + m->mac_f16 - 1) / m->mac_f16)};
        return true;
    case ACC_DTYPE_F32:
        *at = (AmpType){2, 128, 64, (int)((32 + m->mac_f32 - 1) / m->mac_f32)};
        return true;
    case ACC_DTYPE_I8:
        *at = (AmpType){8, 512, 16, (int)((128 + m->mac_i8 - 1) / m->mac_i8)};
        return true;
    default: return false;
    }
}

static int64_t round_up(int64_t a, int64_t b) {
    return ceil_div(a, b) * b;
}

/* K split into chunks of kw rows of W: kw a multiple of the lanes. */
static void chunking(int64_t k, const AmpType *at, int32_t *nchunks, int32_t *kw) {
    int64_t kp = round_up(k > 0 ? k : 1, at->lanes);
    int64_t kc = ceil_div(kp, at->kmax);
    *nchunks = (int32_t)kc;
    *kw = (int32_t)round_up(ceil_div(kp, kc), at->lanes);
}

/* ---- The cost model ----------------------------------------------------------------- */

/* Cycles of one MATMUL task on one tile: per batch step, column block and
 * chunk, the supervisor's bookkeeping, loading W (16 bytes per cycle) and
 * the multipliers' rows (six workers share the issue slots; a worker's row
 * is kw/lanes multiplies plus its read-out and pointer bumps). */
static int64_t amp_cycles(const AmpType *at, int64_t nbatch, int64_t ncols, int64_t nchunks,
                          int64_t kw, int64_t rows, int workers) {
    int64_t nw = rows < workers ? rows : workers;
    if (nw < 1) nw = 1;
    int64_t per_row = kw / at->lanes * at->turns + (nchunks > 1 ? 11 : 6);
    int64_t mult = ceil_div(rows, nw) * per_row * workers;
    int64_t wload = kw * at->rowbytes / 16 + 80;
    return nbatch * ncols * nchunks * (wload + mult + 150);
}

/* Part counts p of n that give distinct blocks (ceil(n / ceil(n / p)) == p),
 * ascending: every useful way to split n. */
static int part_counts(int64_t n, int64_t *out, int max) {
    int k = 0;
    for (int64_t p = 1; p <= n && k < max; p++)
        if (ceil_div(n, ceil_div(n, p)) == p) out[k++] = p;
    return k;
}

/* ---- Shared building blocks --------------------------------------------------------- */

static const IrType *vtype(const Tiler *t, IrRef v) {
    return &t->g->vals[v].type;
}

/* A layout over the three-axis grid, nothing split yet. */
static void grid_layout(PlanLayout *l, AccDtype dt, int rank, const int64_t *dims, int32_t base,
                        const int32_t *grid) {
    memset(l, 0, sizeof *l);
    l->dtype = dt;
    l->rank = rank;
    l->base = base;
    l->ngrid = 3;
    for (int a = 0; a < 3; a++) l->grid[a] = grid[a];
    for (int d = 0; d < IR_MAX_RANK; d++) {
        l->axis[d] = -1;
        l->mult[d] = 1;
        l->order[d] = (int8_t)d;
    }
    for (int d = 0; d < rank; d++) l->dims[d] = l->block[d] = dims[d];
}

static void split(PlanLayout *l, int d, int axis, int64_t block) {
    if (l->grid[axis] <= 1 || block >= l->dims[d]) return;
    l->axis[d] = (int8_t)axis;
    l->block[d] = block;
}

/* Whether v has to come from another op's tiles (a computed value, or a
 * view of one), for the exchange estimate. */
static bool computed(const Tiler *t, IrRef v) {
    ValKind k = t->vals[v].kind;
    return k == VAL_COMPUTED || k == VAL_VIEW;
}

static void err_dtype(Tiler *t, IrOpId id) {
    const IrOp *op = &t->g->ops[id];
    const char *a = dtype_name(vtype(t, op->in[0])->dtype),
               *b = dtype_name(vtype(t, op->in[1])->dtype);
    if (t->pc->diag)
        diag_error(t->pc->diag, op->loc,
                   "the backend cannot compile '%s' of %s and %s operands yet",
                   ir_op_name(op->kind), a, b);
    else
        fprintf(stderr, "error: the backend cannot compile '%s' of %s and %s operands yet\n",
                ir_op_name(op->kind), a, b);
    t->pc->failed = true;
}

/* Whether op's body returns its accumulator unchanged. */
bool tile_identity_body(const IrGraph *g, IrOpId id) {
    const IrGraph *body = ir_op_body(g, id);
    return body && body->ninputs == 1 && ir_body_result(body) == body->inputs[0];
}

static int body_ops(const IrGraph *g, IrOpId id) {
    const IrGraph *body = ir_op_body(g, id);
    return body ? body->nops : 0;
}

/* The per-tile words of a MATMUL task: the base pointers, the chunk
 * table, the loaders, the multipliers and their segments. */
typedef struct AmpArgs {
    PlanWord *w;
    size_t n, cap;
} AmpArgs;

static void aw(AmpArgs *a, int32_t buf, int64_t v) {
    XGROW(a->w, a->cap, a->n + 1);
    a->w[a->n++] = (PlanWord){buf, (uint32_t)v};
}

/* A segment list: {A offset, C offset, O offset, rows} per segment. */
typedef struct Segs {
    int64_t *v; /* 4 per segment */
    size_t n, cap;
} Segs;

static void seg_add(Segs *s, int64_t a, int64_t c, int64_t o, int64_t rows) {
    XGROW(s->v, s->cap, 4 * (s->n + 1));
    s->v[4 * s->n] = a, s->v[4 * s->n + 1] = c, s->v[4 * s->n + 2] = o, s->v[4 * s->n + 3] = rows;
    s->n++;
}

/* The A offset of row r of a tile's block: rows are the points of a
 * grid of lines (lines[i] points, A strides lstride[i]) with the last
 * dimension the segment's direction (stride spec a_row). */
typedef struct RowGeom {
    int n;                     /* dimensions of the row space */
    int64_t ext[IR_MAX_RANK];  /* extent of each, outer first */
    int64_t astr[IR_MAX_RANK]; /* A bytes per step of each */
} RowGeom;

static int64_t row_aoff(const RowGeom *rg, int64_t r) {
    int64_t off = 0;
    for (int i = rg->n - 1; i >= 0; i--) {
        off += (r % rg->ext[i]) * rg->astr[i];
        r /= rg->ext[i];
    }
    return off;
}

/* Segments of worker rows [r0, r1): runs along the last dimension. */
static void worker_segs(const RowGeom *rg, int64_t r0, int64_t r1, const PlanAmpSpec *s,
                        Segs *out) {
    int64_t inner = rg->ext[rg->n - 1];
    int64_t r = r0;
    while (r < r1) {
        int64_t n = inner - r % inner;
        if (n > r1 - r) n = r1 - r;
        if (n > MAX_SEG_ROWS) n = MAX_SEG_ROWS;
        seg_add(out, row_aoff(rg, r), r * s->c_row, r * s->o_row, n);
        r += n;
    }
}

/* The MATMUL task: A, B, C (accumulator, may equal O) and O buffers on
 * the tiles of layout cl; chunk offsets; rows of every tile's block. */
static int32_t amp_task(Tiler *t, IrOpId id, const PlanAmpSpec *spec_in, int32_t abuf, int64_t a0,
                        int32_t bbuf, int32_t cbuf, int32_t obuf, const int64_t *chunk_a,
                        const int64_t *chunk_b, const RowGeom *rg, int64_t cycles) {
    Plan *p = t->p;
    PlanAmpSpec *spec = ARENA_NEW(t->arena, PlanAmpSpec);
    *spec = *spec_in;
    const PlanLayout *cl = &p->bufs[cbuf].layout;
    const char *name = arena_printf(t->arena, "%s [matrix unit]", p->bufs[obuf].name);
    int32_t task = plan_add_task(p, PLAN_MATMUL, id, name);
    int32_t ntl = layout_ntiles(cl);
    plan_task_set_layout_tiles(p, task, cl);
    plan_task_reads(p, task, abuf);
    plan_task_reads(p, task, bbuf);
    if ((spec->nchunks > 1 || spec->acc_out) && cbuf != obuf) {
        plan_task_reads(p, task, cbuf);
        plan_task_writes(p, task, cbuf);
    }
    if (spec->acc_in) plan_task_reads(p, task, cbuf);
    plan_task_writes(p, task, obuf);
    int32_t ab = tile_args_buf(t, task, name);
    p->tasks[task].spec = spec;
    p->tasks[task].cycles = cycles;

    int64_t rows = 1;
    for (int i = 0; i < rg->n; i++) rows *= rg->ext[i];
    int nl = spec->nloaders, nw = spec->nworkers;
    int32_t loaders = PLAN_AMP_CHUNKS + 8 * spec->nchunks;
    int32_t mults = loaders + PLAN_AMP_BLOCK * nl;
    int32_t segs_at = mults + PLAN_AMP_BLOCK * nw;
    /* the same words on every tile, but for the addresses */
    Segs segs[8];
    memset(segs, 0, sizeof segs);
    for (int k = 0; k < nw; k++)
        worker_segs(rg, rows * k / nw, rows * (k + 1) / nw, spec, &segs[k]);
    for (int32_t q = 0; q < ntl; q++) {
        AmpArgs a = {0};
        for (int i = 0; i < PLAN_AMP_BASE / 4; i++) aw(&a, -1, 0);
        aw(&a, abuf, a0);
        aw(&a, bbuf, 0);
        aw(&a, cbuf, 0);
        aw(&a, obuf, 0);
        for (int c = 0; c < spec->nchunks; c++) {
            aw(&a, -1, chunk_a[c]);
            aw(&a, -1, chunk_b[c]);
        }
        for (int k = 0; k < nl; k++) {
            int64_t r0 = (int64_t)spec->kw * k / nl, r1 = (int64_t)spec->kw * (k + 1) / nl;
            AmpType at;
            amp_type(&p->machine, spec->in_dtype, spec->in_dtype, &at);
            aw(&a, -1, 0);
            aw(&a, ab, 0);
            aw(&a, -1, r0 * spec->b_row);
            aw(&a, -1, r0 * at.rowbytes);
            aw(&a, -1, r1 - r0);
            for (int i = 0; i < 3; i++) aw(&a, -1, 0);
        }
        int64_t seg_off = segs_at;
        for (int k = 0; k < nw; k++) {
            aw(&a, -1, 1);
            aw(&a, ab, 0);
            aw(&a, -1, (int64_t)segs[k].n);
            aw(&a, ab, seg_off);
            for (int i = 0; i < 4; i++) aw(&a, -1, 0);
            seg_off += 16 * (int64_t)segs[k].n;
        }
        for (int k = 0; k < nw; k++)
            for (size_t i = 0; i < 4 * segs[k].n; i++) aw(&a, -1, segs[k].v[i]);
        PlanBuf *abuf_p = &p->bufs[ab];
        abuf_p->words[q] = ARENA_ARRAY(&p->arena, PlanWord, a.n);
        memcpy(abuf_p->words[q], a.w, a.n * sizeof *a.w);
        abuf_p->size[q] = (uint32_t)a.n * 4;
        free(a.w);
    }
    for (int k = 0; k < nw; k++) free(segs[k].v);
    return task;
}

/* The epilogue: out = body(acc, operands...) over out's layout. */
void tile_epilogue(Tiler *t, IrOpId id, int32_t acc, int32_t out, int64_t cycles) {
    const IrGraph *g = t->g;
    const IrOp *op = &g->ops[id];
    int32_t in[PLAN_MAX_BUFS];
    int input_of[PLAN_MAX_BUFS];
    int nin = op->nin - 1;
    if (nin + 1 > PLAN_MAX_BUFS) ice("tile: more than %d operands", PLAN_MAX_BUFS - 1);
    in[0] = acc;
    input_of[0] = 0;
    const PlanLayout olv = t->p->bufs[out].layout, *ol = &olv; /* p->bufs may move */
    for (int i = 2; i < op->nin; i++) {
        PlanLayout want;
        tile_operand_layout(ol, vtype(t, op->in[i]), &want);
        in[i - 1] = tile_value_in(t, op->in[i], &want);
        input_of[i - 1] = i - 1;
    }
    tile_ew_task(t, id, out, nin, in, input_of);
    t->p->tasks[t->p->ntasks - 1].cycles = cycles;
}

/* The SRAM one tile may give an op's buffers: most of it, less when
 * constants are streamed (the machine is short of memory, and their homes
 * and other resident data share every tile). */
static int64_t op_budget(const Tiler *t) {
    return (int64_t)t->m->sram_bytes * (t->pc->save_memory ? 4 : 7) / 10;
}

/* A grid axis of kp parts inserted before l's grid axis at (K split):
 * at 0 outside the others. */
static void add_k_axis(PlanLayout *l, int32_t kp, int at) {
    for (int a = l->ngrid; a > at; a--) l->grid[a] = l->grid[a - 1];
    l->grid[at] = kp;
    l->ngrid++;
    for (int d = 0; d < l->rank; d++)
        if (l->axis[d] >= at) l->axis[d]++;
}

/* The partial accumulators of a K split: [kp, cl's dims], one part per
 * tile along the K axis (grid axis at), each tile's block as cl's. */
static const PlanLayout *partial_layout(const PlanLayout *cl, int32_t kp, int at) {
    static PlanLayout pl;
    pl = *cl;
    add_k_axis(&pl, kp, at);
    pl.rank = cl->rank + 1;
    for (int d = cl->rank; d > 0; d--) {
        pl.dims[d] = pl.dims[d - 1], pl.axis[d] = pl.axis[d - 1], pl.block[d] = pl.block[d - 1];
        pl.lo[d] = pl.lo[d - 1], pl.hi[d] = pl.hi[d - 1], pl.mult[d] = pl.mult[d - 1];
    }
    pl.dims[0] = kp, pl.axis[0] = (int8_t)at, pl.block[0] = 1, pl.lo[0] = pl.hi[0] = 0,
    pl.mult[0] = 1;
    pl.order[0] = 0;
    for (int i = 0; i < cl->rank; i++) pl.order[i + 1] = (int8_t)(cl->order[i] + 1);
    return &pl;
}

/* What summing kp partial accumulators of cbytes per tile (n elements)
 * costs: the copy of each tile's own partial and the exchange of the
 * others, a barrier more, and the REDUCE reading kp values per element. */
static int64_t combine_cycles(const Tiler *t, int64_t kp, int64_t cbytes, int64_t n) {
    const IsaMachine *m = t->m;
    return (kp - 1) * cbytes / m->xrecv_bytes + cbytes / m->ldst_bytes * m->workers / 2 +
           2 * (m->sync_cycles + m->xlatency_cycles) + n * (kp + 8);
}

/* The same when the sum is spread over the kp tiles of a block, each
 * summing 1/kp of it (a reduce-scatter). */
static int64_t spread_combine_cycles(const Tiler *t, int64_t kp, int64_t cbytes, int64_t n) {
    return combine_cycles(t, kp, cbytes / kp, n / kp);
}

/* A K split's partials (pbuf) summed into the result obuf when op id's
 * body is the identity, else into an accumulator in layout cl (of the
 * accumulation dtype) that the epilogue (ecycles) reads. */
static void sum_partials(Tiler *t, IrOpId id, int32_t pbuf, const PlanLayout *cl, int32_t obuf,
                         int64_t ecycles) {
    if (tile_identity_body(t->g, id)) {
        tile_combine_partials(t, id, pbuf, 1, PLAN_RED_SUM, cl->dtype, obuf);
        return;
    }
    IrRef y = t->g->ops[id].out[0];
    int32_t sum =
        plan_add_layout_buf(t->p, PLAN_BUF_ACC, IR_NONE, id,
                            arena_printf(t->arena, "%s [acc]", tile_value_name(t, y)), cl);
    tile_combine_partials(t, id, pbuf, 1, PLAN_RED_SUM, cl->dtype, sum);
    tile_epilogue(t, id, sum, obuf, ecycles);
}

/* Tiles from a base that spreads small ops over the machine. */
static int32_t pick_base(Tiler *t, int32_t used) {
    int32_t T = (int32_t)t->m->tiles;
    if (used >= T) return 0;
    int32_t base = t->next_base;
    if (base + used > T) base = 0;
    t->next_base = (base + used) % T;
    return base;
}

/* ---- fused_matmul ---------------------------------------------------------------------- */

typedef struct MmPlan {
    int64_t bp, mp, np, kp; /* parts of the batch, M, 16-column blocks and K chunks */
    int64_t ks;             /* K steps, one after another */
    bool spread;            /* a K split's sum spread over the kp tiles of a block */
    int64_t cost;
} MmPlan;

/* Operand v in layout l, broadcast over the batch dimensions where l's
 * dimensions are larger (expand). */
static int32_t operand_buf(Tiler *t, IrOpId id, IrRef v, const PlanLayout *l, bool expand) {
    if (!expand) return tile_value_in(t, v, l);
    MapNode *m = move_map_of_value(t, v);
    MapNode *e = move_map_node(t, MAP_EXPAND, l->dtype, l->rank, l->dims, 1, &m);
    return tile_fill_buf(t, e, l, IR_NONE, id,
                         arena_printf(t->arena, "%s [expanded]", tile_value_name(t, v)), false);
}

/* Operand v's slice [k0, k0 + n) of K (its dimension kd) for a K step, in
 * layout l with that dimension cut to the slice (zero-padded to whole
 * chunks: l's mult; with a K split, still in l's blocks over the tiles). */
static int32_t step_operand(Tiler *t, IrOpId id, IrRef v, const PlanLayout *l, int kd, int64_t k0,
                            int64_t n) {
    PlanLayout sl = *l;
    int64_t kl = t->g->vals[v].type.dims[kd] - k0;
    sl.dims[kd] = n < kl ? n : kl;
    if (sl.axis[kd] < 0) sl.block[kd] = sl.dims[kd];
    MapNode *m = move_map_of_value(t, v);
    MapNode *s = move_map_node(t, MAP_SLICE, sl.dtype, sl.rank, sl.dims, 1, &m);
    for (int d = 0; d < sl.rank; d++) s->a[d] = d == kd ? k0 : 0, s->b[d] = 1;
    return tile_fill_buf(
        t, s, &sl, IR_NONE, id,
        arena_printf(t->arena, "%s [K from %lld]", tile_value_name(t, v), (long long)k0), false);
}

void tile_matmul(Tiler *t, IrOpId id) {
    const IrGraph *g = t->g;
    Plan *p = t->p;
    const IrOp *op = &g->ops[id];
    IrRef y = op->out[0], av = op->in[0], bv = op->in[1];
    const IrType *yt = vtype(t, y), *at_ = vtype(t, av), *bt_ = vtype(t, bv);
    AmpType at;
    if (!amp_type(t->m, at_->dtype, bt_->dtype, &at)) {
        if (!tile_matmul_vector(t, id)) err_dtype(t, id);
        return;
    }
    int R = yt->rank, dm = R - 2, dn = R - 1;
    int64_t M = yt->dims[dm], N = yt->dims[dn], K = at_->dims[R - 1];
    AccDtype acc_dt = at_->dtype == ACC_DTYPE_I8 ? ACC_DTYPE_I32 : ACC_DTYPE_F32;
    AccDtype out_dt = yt->dtype;
    bool ident = tile_identity_body(g, id);
    bool direct =
        ident && (out_dt == acc_dt || (acc_dt == ACC_DTYPE_F32 &&
                                       (out_dt == ACC_DTYPE_F16 || out_dt == ACC_DTYPE_BF16)));
    int32_t nchunks, kw;
    chunking(K, &at, &nchunks, &kw);
    int64_t kst = (int64_t)nchunks * kw;

    /* batch: the largest batch dimension is split; operands broadcast in
     * every batch dimension are read with stride 0, in some but not all
     * are expanded */
    int bd = -1;
    int64_t nbt = 1;
    for (int d = 0; d < dm; d++) {
        nbt *= yt->dims[d];
        if (yt->dims[d] > 1 && (bd < 0 || yt->dims[d] > yt->dims[bd])) bd = d;
    }
    int bcast[2] = {0, 0}; /* 0 full, 1 broadcast in all, 2 mixed */
    const IrType *ot[2] = {at_, bt_};
    for (int k = 0; k < 2; k++) {
        int nb = 0, nfull = 0;
        for (int d = 0; d < dm; d++) {
            if (yt->dims[d] == 1) continue;
            nb++;
            nfull += ot[k]->dims[d] == yt->dims[d];
        }
        bcast[k] = nfull == nb ? 0 : nfull == 0 ? 1 : 2;
    }
    int64_t ext = bd >= 0 ? yt->dims[bd] : 1, rest = nbt / (ext ? ext : 1);
    bool fold = bcast[1] == 1 && bcast[0] != 1;
    int64_t esa = (int64_t)dtype_size(at_->dtype), eso = (int64_t)dtype_size(out_dt);
    int nbody = body_ops(g, id);

    /* choose the split */
    int64_t T = (int64_t)t->m->tiles, sram = op_budget(t);
    static int64_t cb[4096], cm[4096], cn[4096];
    int nbp = part_counts(ext, cb, 4096), nmp = part_counts(M, cm, 4096),
        nnp = part_counts(ceil_div(N, 16), cn, 4096);
    MmPlan best = {1, 1, 1, 1, 1, false, -1}, fallback = {1, 1, 1, 1, 1, false, -1};
    bool xa = computed(t, av) || t->pc->save_memory, xb = computed(t, bv) || t->pc->save_memory;
    static int64_t ck[4096];
    int nkp = part_counts(nchunks, ck, 4096);
    int64_t xr = (int64_t)t->m->xrecv_bytes, sync = (int64_t)t->m->sync_cycles;
    /* K steps: K is also cut into ks steps run one after another, each
     * moving its slices of A and B in and adding to the partial sums in C,
     * so that only one step's operands are on the tiles at a time and the
     * blocks can be larger (not with a mixed broadcast). With a K split
     * too, step i's slice of K is cut into the kp parts, which must then
     * come out even. */
    int64_t ks_max = bcast[0] == 2 || bcast[1] == 2 ? 1 : nchunks;
    /* a constant operand is resident, every step's slice at once, unless
     * constants are streamed */
    bool ra = !t->pc->save_memory && move_map_is_const(t, move_map_of_value(t, av)),
         rb = !t->pc->save_memory && move_map_is_const(t, move_map_of_value(t, bv));
    for (int64_t ks = 1; ks <= ks_max; ks *= 2)
        for (int i = 0; i < nbp; i++)
            for (int j = 0; j < nmp; j++)
                for (int k = 0; k < nnp; k++)
                    for (int l = 0; l < nkp; l++) {
                        int64_t bp = cb[i], mp = cm[j], np = cn[k], kp = ck[l];
                        if (bp * mp * np * kp > T) break;
                        if (ks > 1 && kp > 1 && (nchunks % kp || nchunks / kp % ks)) continue;
                        int64_t kc = ceil_div(ceil_div(nchunks, kp), ks); /* chunks per tile step */
                        int64_t bt = ceil_div(ext, bp) * rest, mt = ceil_div(M, mp);
                        int64_t nt = np == 1 ? round_up(N, 16) : 16 * ceil_div(ceil_div(N, 16), np);
                        int64_t rows = fold ? bt * mt : mt, nb = fold ? 1 : bt;
                        int64_t abytes = (bcast[0] == 1 ? 1 : bt) * mt * kc * kw * esa;
                        int64_t bbytes = (bcast[1] == 1 ? 1 : bt) * kc * kw * nt * esa;
                        int64_t cbytes = bt * mt * nt * 4, obytes = bt * mt * nt * eso;
                        bool spread = kp > 1 && mt >= kp;
                        int64_t share = spread ? kp : 1; /* tiles a block's result is spread over */
                        int64_t opbytes = abytes * (ra ? ks : 1) + bbytes * (rb ? ks : 1);
                        int64_t mem = opbytes + obytes;
                        if (kp > 1) {
                            /* the larger of the multiplies' operands and partial,
                             * and the sum's partial, gathered partials, result
                             * and accumulator (with resident constants) */
                            int64_t res = (ra ? abytes * ks : 0) + (rb ? bbytes * ks : 0);
                            int64_t sum = res + cbytes + cbytes * kp / share + obytes / share +
                                          (ident ? 0 : cbytes / share);
                            mem = opbytes + cbytes > sum ? opbytes + cbytes : sum;
                        } else if (!(direct && out_dt == acc_dt)) {
                            mem += cbytes;
                        }
                        if (!direct) mem += obytes / share * (op->nin - 2);
                        if (mem > sram) {
                            if (best.cost < 0 && (fallback.cost < 0 || mem < fallback.cost))
                                fallback = (MmPlan){bp, mp, np, kp, ks, spread, mem};
                            continue;
                        }
                        /* operands moved in */
                        bool sa = xa || (ks > 1 && !ra), sb = xb || (ks > 1 && !rb);
                        int64_t cost =
                            amp_cycles(&at, nb, nt / 16, kc, kw, rows, (int)t->m->workers);
                        cost += ((sa ? abytes : 0) + (sb ? bbytes : 0)) / xr;
                        cost += sync * 2 * (sa || sb);
                        cost *= ks;
                        if (!direct) cost += bt * mt * nt * (3 + nbody + op->nin - 2) / share;
                        if (spread)
                            cost += spread_combine_cycles(t, kp, cbytes, bt * mt * nt);
                        else if (kp > 1)
                            cost += combine_cycles(t, kp, cbytes, bt * mt * nt);
                        if (best.cost < 0 || cost < best.cost)
                            best = (MmPlan){bp, mp, np, kp, ks, spread, cost};
                    }
    if (best.cost < 0) best = fallback; /* the least memory; place reports that it does not fit */
    if (best.cost < 0) best = (MmPlan){1, 1, 1, 1, 1, false, 0};
    int64_t bt = ceil_div(ext, best.bp) * rest, mt = ceil_div(M, best.mp);
    int64_t nt = best.np == 1 ? N : 16 * ceil_div(ceil_div(N, 16), best.np);
    int32_t grid[3] = {(int32_t)ceil_div(ext, ceil_div(ext, best.bp)), (int32_t)ceil_div(M, mt),
                       (int32_t)ceil_div(N, nt)};
    int32_t kc = (int32_t)ceil_div(nchunks, best.kp), kp = (int32_t)ceil_div(nchunks, kc);
    int32_t used = grid[0] * grid[1] * grid[2];
    int32_t base = pick_base(t, used * kp);
    /* K steps: step i takes chunks [i*kcs, (i+1)*kcs) of K */
    int32_t kcs = (int32_t)ceil_div(kc, best.ks), nsteps = (int32_t)ceil_div(kc, kcs);

    /* layouts: a spread sum cuts each block's rows over the kp tiles
     * holding its partials, or its columns when only they divide evenly
     * (into groups of 4); the K split's grid axis goes inside that of M or
     * N, so that those are the same tiles */
    bool by_n = mt % kp != 0 && nt % (4 * kp) == 0;
    const int kat = by_n ? 3 : GRID_N;
    PlanLayout cl, fl, ol, al, bl;
    grid_layout(&cl, acc_dt, R, yt->dims, base, grid);
    if (bd >= 0) split(&cl, bd, GRID_B, ceil_div(ext, grid[0]));
    split(&cl, dm, GRID_M, mt);
    split(&cl, dn, GRID_N, nt);
    cl.mult[dn] = 16;
    cl.pad_undefined = true;
    fl = cl; /* the sum's */
    if (kp > 1 && best.spread) {
        int d = by_n ? dn : dm, ax = by_n ? GRID_N : GRID_M;
        int64_t part = ceil_div(by_n ? nt : mt, kp);
        fl.grid[ax] = (int32_t)ceil_div(yt->dims[d], part);
        fl.axis[d] = -1;
        split(&fl, d, ax, part);
    }
    ol = fl;
    ol.dtype = out_dt;
    ol.pad_undefined = false;
    if (!direct) ol.mult[dn] = 1;
    int64_t full[IR_MAX_RANK];
    const IrType *src[2] = {at_, bt_};
    PlanLayout *lay[2] = {&al, &bl};
    for (int k = 0; k < 2; k++) {
        for (int d = 0; d < R; d++)
            full[d] = d < dm && bcast[k] == 2 ? yt->dims[d] : src[k]->dims[d];
        grid_layout(lay[k], src[k]->dtype, R, full, base, grid);
        if (bd >= 0 && full[bd] == yt->dims[bd]) split(lay[k], bd, GRID_B, ceil_div(ext, grid[0]));
    }
    split(&al, dm, GRID_M, mt);
    al.mult[R - 1] = kst;
    bl.mult[R - 2] = kst;
    split(&bl, dn, GRID_N, nt);
    bl.mult[dn] = 16;
    if (kp > 1) {
        /* K split: kcs chunks per tile and step */
        add_k_axis(&al, kp, kat);
        add_k_axis(&bl, kp, kat);
        split(&al, R - 1, kat, (int64_t)kcs * kw);
        split(&bl, R - 2, kat, (int64_t)kcs * kw);
        al.mult[R - 1] = bl.mult[R - 2] = kw;
    }
    if (nsteps > 1) al.mult[R - 1] = bl.mult[R - 2] = kw; /* each step's slice in whole chunks */
    int64_t kstep = (int64_t)kp * kcs * kw;               /* the K of one step's slice */
    int32_t abuf, bbuf;
    if (nsteps > 1) {
        abuf = step_operand(t, id, av, &al, R - 1, 0, kstep);
        bbuf = step_operand(t, id, bv, &bl, R - 2, 0, kstep);
    } else {
        abuf = operand_buf(t, id, av, &al, bcast[0] == 2);
        bbuf = operand_buf(t, id, bv, &bl, bcast[1] == 2);
    }
    if (bcast[0] == 2) bcast[0] = 0;
    if (bcast[1] == 2) bcast[1] = 0;
    int32_t obuf = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);
    int32_t cbuf = obuf;
    if (kp > 1)
        cbuf = plan_add_layout_buf(p, PLAN_BUF_ACC, IR_NONE, id,
                                   arena_printf(t->arena, "%s [partial]", tile_value_name(t, y)),
                                   partial_layout(&cl, kp, kat));
    else if (!(direct && out_dt == acc_dt))
        cbuf = (direct && nchunks == 1)
                   ? obuf
                   : plan_add_layout_buf(p, PLAN_BUF_ACC, IR_NONE, id,
                                         arena_printf(t->arena, "%s [acc]", tile_value_name(t, y)),
                                         &cl);

    bool to_out = direct && kp == 1; /* the matrix unit stores the result */
    for (int32_t step = 0; step < nsteps; step++) {
        int32_t c0 = step * kcs, nc = kc - c0 < kcs ? kc - c0 : kcs;
        if (step > 0) {
            /* the next slices move in once the last step has used its own */
            int32_t first_task = p->ntasks;
            abuf = step_operand(t, id, av, &al, R - 1, step * kstep, (int64_t)kp * nc * kw);
            bbuf = step_operand(t, id, bv, &bl, R - 2, step * kstep, (int64_t)kp * nc * kw);
            for (int32_t i = first_task; i < p->ntasks; i++) plan_task_reads(p, i, cbuf);
        }
        bool last = step == nsteps - 1;
        /* strides, from the buffers as stored */
        const PlanLayout *A = &p->bufs[abuf].layout, *B = &p->bufs[bbuf].layout,
                         *C = kp > 1 ? &cl : &p->bufs[cbuf].layout,
                         *O = to_out && last ? &p->bufs[obuf].layout : C;
        int64_t esc = (int64_t)dtype_size(C->dtype), eo = (int64_t)dtype_size(O->dtype);
        int64_t mst = layout_stored(C, dm);
        PlanAmpSpec s;
        memset(&s, 0, sizeof s);
        s.in_dtype = at_->dtype;
        s.out_dtype = O->dtype;
        s.kw = kw;
        s.nchunks = nc;
        s.acc_in = step > 0;
        s.acc_out = !last;
        s.ncols = (int32_t)(layout_stored(C, dn) / 16);
        /* blocks are compact and row-major where it matters (canon may move
         * dimensions stored with extent 1, whose strides mean nothing) */
        s.a_row = layout_stored(A, R - 1) * esa;
        s.b_row = layout_stored(B, dn) * esa;
        s.c_row = layout_stored(C, dn) * esc;
        s.o_row = layout_stored(O, dn) * eo;
        s.a_batch = bcast[0] == 1 ? 0 : s.a_row * layout_stored(A, dm);
        s.b_batch = bcast[1] == 1 ? 0 : s.b_row * layout_stored(B, R - 2);
        s.c_batch = s.c_row * mst;
        s.o_batch = s.o_row * mst;
        int64_t btiles = 1;
        for (int d = 0; d < dm; d++) btiles *= layout_stored(C, d);
        int64_t rows = fold ? btiles * mst : mst;
        s.nbatch = (int32_t)(fold ? 1 : btiles);
        s.nloaders = kw < 6 ? kw : 6;
        s.nworkers = (int32_t)(rows < (int64_t)t->m->workers ? rows : (int64_t)t->m->workers);
        RowGeom rg = {1, {rows}, {s.a_row}};
        int64_t *ca = xmalloc((size_t)nc * sizeof *ca), *cbo = xmalloc((size_t)nc * sizeof *cbo);
        for (int c = 0; c < nc; c++)
            ca[c] = (int64_t)c * kw * esa, cbo[c] = (int64_t)c * kw * s.b_row;
        int64_t mmc = amp_cycles(&at, s.nbatch, s.ncols, nc, kw, rows, (int)t->m->workers);
        amp_task(t, id, &s, abuf, 0, bbuf, cbuf, to_out && last ? obuf : cbuf, ca, cbo, &rg, mmc);
        free(ca);
        free(cbo);
    }
    int64_t ecycles = bt * mt * nt * (3 + nbody + op->nin - 2) / (int64_t)t->m->workers;
    if (kp > 1) {
        sum_partials(t, id, cbuf, &fl, obuf, best.spread ? ecycles / kp : ecycles);
    } else if (!direct) {
        tile_epilogue(t, id, cbuf, obuf, ecycles);
    }
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, obuf);
}

/* ---- fused_conv ------------------------------------------------------------------------ */

/* How K (the window: taps x input channels of a group) is cut into chunks
 * whose A elements are contiguous in the channels-last input. */
typedef struct ConvK {
    int64_t cst;     /* channels of a group as stored (padded with zeros) */
    int32_t kw;      /* rows of W per chunk */
    int whole_row;   /* 1: a chunk is a kernel row (all taps of the last
                        spatial dimension, all channels) */
    int64_t cblocks; /* channel blocks per tap (whole_row 0) */
    int32_t nchunks;
} ConvK;

static void conv_k(const IrWindow *w, int64_t cg, int64_t groups, const AmpType *at, ConvK *k) {
    int ns = w->nsp;
    int64_t ktaps = 1;
    for (int s = 0; s < ns; s++) ktaps *= w->kernel[s];
    int64_t klast = w->kernel[ns - 1];
    int64_t c1 = round_up(cg, at->lanes); /* every pixel 8-byte aligned */
    memset(k, 0, sizeof *k);
    if (groups == 1 && w->dilation[ns - 1] == 1 && klast * c1 <= at->kmax) {
        k->whole_row = 1;
        k->cst = c1;
        k->kw = (int32_t)(klast * c1);
        k->cblocks = 1;
        k->nchunks = (int32_t)(ktaps / klast);
        return;
    }
    int64_t cp = round_up(cg, at->lanes);
    k->cblocks = ceil_div(cp, at->kmax);
    k->kw = (int32_t)round_up(ceil_div(cp, k->cblocks), at->lanes);
    k->cst = k->cblocks * k->kw;
    k->nchunks = (int32_t)(ktaps * k->cblocks);
}

typedef struct ConvPlan {
    int64_t bp, op, mp;
    int64_t kp; /* parts of the input channels (a K split) */
    int64_t cost;
} ConvPlan;

void tile_conv(Tiler *t, IrOpId id) {
    if (tile_depthwise(t, id)) return;
    const IrGraph *g = t->g;
    Plan *p = t->p;
    const IrOp *op = &g->ops[id];
    IrRef y = op->out[0], xv = op->in[0], wv = op->in[1];
    const IrType *yt = vtype(t, y), *xt = vtype(t, xv), *wt = vtype(t, wv);
    AmpType at;
    if (!amp_type(t->m, xt->dtype, wt->dtype, &at)) {
        err_dtype(t, id);
        return;
    }
    IrWindow w;
    ir_window(g, id, &w);
    int ns = w.nsp, R = yt->rank;
    int64_t N = yt->dims[0], M = yt->dims[1], C = xt->dims[1], G = w.groups;
    int64_t cg = C / G, mg = M / G;
    AccDtype acc_dt = ACC_DTYPE_F32, out_dt = yt->dtype;
    bool direct = G == 1 && tile_identity_body(g, id) &&
                  (out_dt == ACC_DTYPE_F32 || out_dt == ACC_DTYPE_F16 || out_dt == ACC_DTYPE_BF16);
    ConvK ck;
    conv_k(&w, cg, G, &at, &ck);
    int64_t ktaps = 1, rest = 1;
    for (int s = 0; s < ns; s++) ktaps *= w.kernel[s];
    for (int s = 1; s < ns; s++) rest *= w.out[s];
    int64_t kkst = ktaps * ck.cst;
    int64_t esa = (int64_t)dtype_size(xt->dtype), eso = (int64_t)dtype_size(out_dt);
    int nbody = body_ops(g, id);
    int64_t O0 = w.out[0], H0 = w.in[0], s0 = w.stride[0];

    /* choose the split: images, output rows (when the input splits alike),
     * 16-channel blocks of the output (one group only) */
    int64_t T = (int64_t)t->m->tiles, sram = op_budget(t);
    static int64_t cb[4096], co[4096], cm[4096];
    int nbp = part_counts(N, cb, 4096), nop = part_counts(O0, co, 4096),
        nmp = G == 1 ? part_counts(ceil_div(M, 16), cm, 4096) : (cm[0] = 1, 1);
    ConvPlan best = {1, 1, 1, 1, -1}, fallback = {1, 1, 1, 1, -1};
    bool xx = computed(t, xv);
    int64_t row_px = 1; /* pixels of one input row of an image, padding included */
    for (int s = 1; s < ns; s++) row_px *= w.in[s] + w.pad_begin[s] + w.pad_end[s];
    /* K split: the input channels in kp parts of cpart (lane groups), on
     * kp times the tiles, each tile's partial sums combined as matmul's
     * (one group, float only) */
    static int64_t ckp[4096];
    int64_t lanes = at.lanes, ncb = ceil_div(C, lanes);
    int nkp = G == 1 && acc_dt == ACC_DTYPE_F32 && at.lanes < 8 ? part_counts(ncb, ckp, 4096)
                                                                : (ckp[0] = 1, 1);
    for (int l = 0; l < nkp; l++) {
        int64_t kp = ckp[l], cpart = kp == 1 ? cg : lanes * ceil_div(ncb, kp);
        /* a part does two chunks of K at least: with less, the combine
         * (a barrier, copies, a REDUCE) costs more than the split saves */
        if (kp > 1 && ktaps * cpart < 2 * at.kmax) break;
        ConvK kk;
        conv_k(&w, cpart, G, &at, &kk);
        int64_t kkst_k = ktaps * kk.cst;
        int64_t row_bytes_in = row_px * (G == 1 ? kk.cst : C + kk.cst) * esa;
        for (int i = 0; i < nbp; i++)
            for (int j = 0; j < nop; j++)
                for (int k = 0; k < nmp; k++) {
                    int64_t bp = cb[i], opp = co[j], mp = cm[k];
                    if (bp * opp * mp * kp > T) break;
                    int64_t nt = ceil_div(N, bp), ot = ceil_div(O0, opp);
                    if (opp > 1 && ceil_div(H0, ot * s0) != opp) continue;
                    int64_t mt = mp == 1 ? round_up(M, 16) : 16 * ceil_div(ceil_div(M, 16), mp);
                    int64_t rows = nt * ot * rest;
                    int64_t in_rows = (ot - 1) * s0 + (w.kernel[0] - 1) * w.dilation[0] + 1;
                    int64_t xbytes = nt * in_rows * row_bytes_in;
                    int64_t bbytes = G * kkst_k * (G == 1 ? mt : round_up(mg, 16)) * esa;
                    int64_t mst = G == 1 ? mt : M + 16;
                    int64_t cbytes = rows * mst * 4, obytes = rows * mst * eso;
                    int64_t mem = xbytes + bbytes + cbytes + obytes * (direct ? 1 : op->nin - 1);
                    if (kp > 1) mem += cbytes * kp; /* the partials brought together */
                    if (mem > sram) {
                        if (best.cost < 0 && (fallback.cost < 0 || mem < fallback.cost))
                            fallback = (ConvPlan){bp, opp, mp, kp, mem};
                        continue;
                    }
                    int64_t ncols = G == 1 ? mt / 16 : ceil_div(mg, 16);
                    int64_t cost =
                        amp_cycles(&at, G, ncols, kk.nchunks, kk.kw, rows, (int)t->m->workers);
                    if (!direct || kp > 1) cost += rows * mst * (3 + nbody + op->nin - 2);
                    cost += (xx ? xbytes : 0) / (int64_t)t->m->xrecv_bytes;
                    cost += (int64_t)t->m->sync_cycles * 2 * xx;
                    if (kp > 1) cost += combine_cycles(t, kp, cbytes, rows * mst);
                    if (best.cost < 0 || cost < best.cost) best = (ConvPlan){bp, opp, mp, kp, cost};
                }
    }
    if (best.cost < 0) best = fallback;
    if (best.cost < 0) best = (ConvPlan){1, 1, 1, 1, 0};
    int64_t kp = best.kp;
    if (kp > 1) { /* the tile's channels: one part */
        conv_k(&w, lanes * ceil_div(ncb, kp), G, &at, &ck);
        kkst = ktaps * ck.cst;
    }
    int64_t nt = ceil_div(N, best.bp), ot = ceil_div(O0, best.op);
    int64_t mt = best.mp == 1 ? M : 16 * ceil_div(ceil_div(M, 16), best.mp);
    int32_t grid[3] = {(int32_t)ceil_div(N, nt), (int32_t)ceil_div(O0, ot),
                       (int32_t)ceil_div(M, mt)};
    int32_t used = grid[0] * grid[1] * grid[2];
    int32_t base = pick_base(t, used * (int32_t)kp);

    /* the accumulator and the result: channels last */
    PlanLayout cl, ol, xl, bl;
    int64_t mg16 = round_up(mg, 16);
    int64_t cdims[IR_MAX_RANK], xdims[IR_MAX_RANK];
    memcpy(cdims, yt->dims, sizeof cdims);
    memcpy(xdims, xt->dims, sizeof xdims);
    if (G > 1) cdims[1] = G * mg16, xdims[1] = G * ck.cst;
    grid_layout(&cl, acc_dt, R, cdims, base, grid);
    for (int i = 0; i < R; i++) cl.order[i] = (int8_t)(i == 0 ? 0 : i == R - 1 ? 1 : i + 1);
    split(&cl, 0, GRID_B, nt);
    split(&cl, 2, GRID_M, ot);
    split(&cl, 1, GRID_N, mt);
    if (G == 1) cl.mult[1] = 16;
    cl.pad_undefined = true;
    grid_layout(&ol, out_dt, R, yt->dims, base, grid);
    memcpy(ol.order, cl.order, sizeof ol.order);
    split(&ol, 0, GRID_B, nt);
    split(&ol, 2, GRID_M, ot);
    split(&ol, 1, GRID_N, mt);
    if (direct) ol.mult[1] = 16;

    /* the input: channels last, the padding as margins */
    grid_layout(&xl, xt->dtype, R, xdims, base, grid);
    memcpy(xl.order, cl.order, sizeof xl.order);
    split(&xl, 0, GRID_B, nt);
    if (grid[GRID_M] > 1) split(&xl, 2, GRID_M, ot * s0);
    for (int s = 0; s < ns; s++) {
        int64_t blk = s == 0 && grid[GRID_M] > 1 ? ot * s0 : w.in[s];
        int64_t on = s == 0 ? ot : w.out[s];
        int64_t need = (on - 1) * w.stride[s] + (w.kernel[s] - 1) * w.dilation[s] + 1;
        xl.lo[2 + s] = w.pad_begin[s];
        xl.hi[2 + s] = need - w.pad_begin[s] > blk ? need - w.pad_begin[s] - blk : 0;
    }
    int32_t xbuf;
    if (G == 1) {
        xl.mult[1] = ck.cst;
        if (kp > 1) { /* the channels' parts over a grid axis outside the others */
            add_k_axis(&xl, (int32_t)kp, 0);
            split(&xl, 1, 0, lanes * ceil_div(ncb, kp));
        }
        xbuf = tile_value_in(t, xv, &xl);
    } else {
        /* each group's channels padded to cst: aligned group offsets */
        MapNode *xm = move_map_of_value(t, xv);
        int64_t e1[IR_MAX_RANK], e2[IR_MAX_RANK];
        e1[0] = N, e1[1] = G, e1[2] = cg;
        for (int q = 0; q < ns; q++) e1[3 + q] = w.in[q];
        MapNode *x1 = move_map_node(t, MAP_RESHAPE, xt->dtype, 3 + ns, e1, 1, &xm);
        memcpy(e2, e1, sizeof e2);
        e2[2] = ck.cst;
        MapNode *x2 = move_map_node(t, MAP_PAD, xt->dtype, 3 + ns, e2, 1, &x1);
        for (int d = 0; d < 3 + ns; d++) x2->a[d] = 0;
        x2->mode = 0;
        x2->padv = 0;
        MapNode *x3 = move_map_node(t, MAP_RESHAPE, xt->dtype, R, xdims, 1, &x2);
        xbuf = tile_fill_buf(t, x3, &xl, IR_NONE, id,
                             arena_printf(t->arena, "%s [groups padded]", tile_value_name(t, xv)),
                             false);
    }

    /* the weights: [G, taps x channels (padded), Mg] */
    MapNode *m = move_map_of_value(t, wv);
    int64_t d1[IR_MAX_RANK], d2[IR_MAX_RANK], d3[IR_MAX_RANK], d4[3];
    d1[0] = G, d1[1] = mg, d1[2] = cg;
    for (int s = 0; s < ns; s++) d1[3 + s] = w.kernel[s];
    MapNode *r1 = move_map_node(t, MAP_RESHAPE, wt->dtype, 3 + ns, d1, 1, &m);
    d2[0] = G;
    for (int s = 0; s < ns; s++) d2[1 + s] = w.kernel[s];
    d2[1 + ns] = cg, d2[2 + ns] = mg;
    MapNode *tr = move_map_node(t, MAP_TRANSPOSE, wt->dtype, 3 + ns, d2, 1, &r1);
    tr->a[0] = 0;
    for (int s = 0; s < ns; s++) tr->a[1 + s] = 3 + s;
    tr->a[1 + ns] = 2, tr->a[2 + ns] = 1;
    memcpy(d3, d2, sizeof d3);
    d3[1 + ns] = ck.cst;
    MapNode *pd = move_map_node(t, MAP_PAD, wt->dtype, 3 + ns, d3, 1, &tr);
    for (int d = 0; d < 3 + ns; d++) pd->a[d] = 0;
    pd->mode = 0;
    pd->padv = 0;
    d4[0] = G, d4[1] = kkst, d4[2] = mg;
    MapNode *wm = move_map_node(t, MAP_RESHAPE, wt->dtype, 3, d4, 1, &pd);
    grid_layout(&bl, wt->dtype, 3, d4, base, grid);
    if (G == 1) split(&bl, 2, GRID_N, mt);
    bl.mult[2] = 16;
    if (kp > 1) {
        /* [1, taps..., channels, out]: a tile's block is its part's
         * channels of every tap, each part stored as cst channels */
        wm = tr;
        grid_layout(&bl, wt->dtype, 3 + ns, d2, base, grid);
        split(&bl, 2 + ns, GRID_N, mt);
        bl.mult[2 + ns] = 16;
        add_k_axis(&bl, (int32_t)kp, 0);
        split(&bl, 1 + ns, 0, lanes * ceil_div(ncb, kp));
        bl.mult[1 + ns] = ck.cst;
    }
    int32_t bbuf = tile_fill_buf(
        t, wm, &bl, IR_NONE, id,
        arena_printf(t->arena, "%s [taps x channels, out]", tile_value_name(t, wv)), false);

    int32_t obuf = tile_new_value_buf(t, PLAN_BUF_VALUE, y, &ol, NULL);
    int32_t cbuf = obuf;
    if (kp > 1)
        cbuf = plan_add_layout_buf(p, PLAN_BUF_ACC, IR_NONE, id,
                                   arena_printf(t->arena, "%s [partial]", tile_value_name(t, y)),
                                   partial_layout(&cl, (int32_t)kp, 0));
    else if (!(direct && out_dt == acc_dt))
        cbuf = (direct && ck.nchunks == 1 && G == 1)
                   ? obuf
                   : plan_add_layout_buf(p, PLAN_BUF_ACC, IR_NONE, id,
                                         arena_printf(t->arena, "%s [acc]", tile_value_name(t, y)),
                                         &cl);

    bool to_out = direct && kp == 1; /* the matrix unit stores the result */
    const PlanLayout *X = &p->bufs[xbuf].layout, *B = &p->bufs[bbuf].layout,
                     *Cl = kp > 1 ? &cl : &p->bufs[cbuf].layout,
                     *O = to_out ? &p->bufs[obuf].layout : Cl;
    int64_t sx[IR_MAX_RANK], sb[IR_MAX_RANK], sc[IR_MAX_RANK], so[IR_MAX_RANK];
    layout_strides(X, sx);
    layout_strides(B, sb);
    layout_strides(Cl, sc);
    layout_strides(O, so);
    int64_t esc = (int64_t)dtype_size(Cl->dtype), eo = (int64_t)dtype_size(O->dtype);
    PlanAmpSpec s;
    memset(&s, 0, sizeof s);
    s.in_dtype = xt->dtype;
    s.out_dtype = O->dtype;
    s.kw = ck.kw;
    s.nchunks = ck.nchunks;
    s.nbatch = (int32_t)G;
    s.ncols = (int32_t)(G == 1 ? layout_stored(Cl, 1) / 16 : mg16 / 16);
    /* rows: the pixels of the tile's block, images outermost */
    RowGeom rg;
    rg.n = 1 + ns;
    rg.ext[0] = layout_stored(Cl, 0);
    rg.astr[0] = sx[0] * esa;
    for (int q = 0; q < ns; q++) {
        rg.ext[1 + q] = layout_stored(Cl, 2 + q);
        rg.astr[1 + q] = w.stride[q] * sx[2 + q] * esa;
    }
    s.a_row = rg.astr[ns];
    s.b_row = layout_stored(B, B->rank - 1) * esa;
    (void)sb;
    int64_t c_cols = layout_stored(Cl, 1);
    s.c_row = c_cols * esc;
    s.o_row = layout_stored(O, 1) * eo;
    (void)sc, (void)so;
    s.a_batch = ck.cst * esa;
    s.b_batch = B->dims[1] * s.b_row;
    s.c_batch = mg16 * esc;
    s.o_batch = mg16 * eo;
    int64_t rows = 1;
    for (int i = 0; i < rg.n; i++) rows *= rg.ext[i];
    s.nloaders = ck.kw < 6 ? ck.kw : 6;
    s.nworkers = (int32_t)(rows < (int64_t)t->m->workers ? rows : (int64_t)t->m->workers);
    int64_t *ca = xmalloc((size_t)ck.nchunks * sizeof *ca),
            *cbo = xmalloc((size_t)ck.nchunks * sizeof *cbo);
    int32_t nc = 0;
    int64_t tap[3] = {0, 0, 0};
    int64_t step_taps = ck.whole_row ? w.kernel[ns - 1] : 1;
    for (int64_t ti = 0; ti < ktaps; ti += step_taps) {
        int64_t f = ti;
        for (int q = ns - 1; q >= 0; q--) tap[q] = f % w.kernel[q], f /= w.kernel[q];
        int64_t aoff = 0;
        for (int q = 0; q < ns; q++) aoff += tap[q] * w.dilation[q] * sx[2 + q] * esa;
        for (int64_t c0 = 0; c0 < ck.cst; c0 += ck.whole_row ? ck.cst : ck.kw) {
            ca[nc] = aoff + c0 * esa;
            cbo[nc] = (ti * ck.cst + c0) * s.b_row;
            nc++;
        }
    }
    if (nc != ck.nchunks) ice("tile: convolution chunks %d, expected %d", nc, ck.nchunks);
    /* A's origin: the stored block starts lo before the block */
    int64_t mmc = amp_cycles(&at, s.nbatch, s.ncols, s.nchunks, s.kw, rows, (int)t->m->workers);
    amp_task(t, id, &s, xbuf, 0, bbuf, cbuf, to_out ? obuf : cbuf, ca, cbo, &rg, mmc);
    free(ca);
    free(cbo);
    int64_t ecycles = rows * c_cols * (3 + nbody + op->nin - 2) / (int64_t)t->m->workers;
    if (kp > 1) {
        sum_partials(t, id, cbuf, &cl, obuf, ecycles);
        t->vals[y].kind = VAL_COMPUTED;
        tile_note_buf(t, y, obuf);
        return;
    }
    if (G > 1) {
        /* the groups' accumulators [N, G x mg16, O...] as [N, M, O...] */
        MapNode *am = move_map_leaf_buf(t, cbuf);
        int64_t e1[IR_MAX_RANK], e2[IR_MAX_RANK];
        e1[0] = N, e1[1] = G, e1[2] = mg16;
        for (int q = 0; q < ns; q++) e1[3 + q] = w.out[q];
        MapNode *a1 = move_map_node(t, MAP_RESHAPE, acc_dt, 3 + ns, e1, 1, &am);
        memcpy(e2, e1, sizeof e2);
        e2[2] = mg;
        MapNode *a2 = move_map_node(t, MAP_SLICE, acc_dt, 3 + ns, e2, 1, &a1);
        for (int d = 0; d < 3 + ns; d++) a2->a[d] = 0, a2->b[d] = 1;
        MapNode *a3 = move_map_node(t, MAP_RESHAPE, acc_dt, R, yt->dims, 1, &a2);
        PlanLayout al2 = ol;
        al2.dtype = acc_dt;
        al2.pad_undefined = true;
        cbuf = plan_add_layout_buf(
            p, PLAN_BUF_ACC, IR_NONE, id,
            arena_printf(t->arena, "%s [acc of the groups]", tile_value_name(t, y)), &al2);
        move_into(t, cbuf, a3, id);
    }
    if (!direct) /* Cl's stored extent, read before buffers were added (p->bufs may move) */
        tile_epilogue(t, id, cbuf, obuf, ecycles);
    t->vals[y].kind = VAL_COMPUTED;
    tile_note_buf(t, y, obuf);
}

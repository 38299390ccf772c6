/*
 * The movement engine (docs/backend.md, "Movement"): make a buffer hold the
 * elements a map says, by local copies, fills and transfers between tiles.
 *
 * move_into enumerates the destination's stored positions tile by tile, in
 * storage order, a row of the innermost stored dimension at a time. Each
 * position is a pad (a fill) or an element that the map follows down to a
 * leaf value, which is then found on a tile holding it (the destination
 * tile itself when some buffer of the value has it there); a row is
 * followed as affine runs, cut where a view is not affine along it or a
 * source block ends. The (source offset, destination offset) pairs of each
 * (source tile, source buffer) are compressed into runs as they come; then
 * each source becomes local copy descriptors, or transfers (direct when
 * both sides are contiguous enough, else through a packing copy on the
 * source, made once for all replicas of the destination block, and an
 * unpacking copy on the destination). Local copies may ride the exchange
 * as transfers to the tile itself (local_to_exchange).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

enum {
    DIRECT_MAX = 8,      /* at most this many direct transfers per tile pair... */
    DIRECT_BYTES = 64,   /* ...unless they average this many bytes */
    MIN_PER_WORKER = 64, /* elements a copying worker gets at least */
    SELF_ROW = 1024,     /* local copy rows of at least this many bytes may become transfers */
};

/* ---- Maps ---------------------------------------------------------------------------- */

MapNode *move_map_node(Tiler *t, MapKind kind, AccDtype dtype, int rank, const int64_t *dims,
                       int nchild, MapNode **child) {
    MapNode *n = ARENA_NEW(t->arena, MapNode);
    n->kind = kind;
    n->dtype = dtype;
    n->rank = rank;
    for (int d = 0; d < rank; d++) n->dims[d] = dims[d];
    n->nchild = nchild;
    n->child = ARENA_ARRAY(t->arena, MapNode *, (size_t)(nchild ? nchild : 1));
    for (int i = 0; i < nchild; i++) n->child[i] = child[i];
    n->buf = -1;
    return n;
}

MapNode *move_map_leaf_buf(Tiler *t, int32_t buf) {
    const PlanLayout *l = &t->p->bufs[buf].layout;
    MapNode *n = move_map_node(t, MAP_BUF, l->dtype, l->rank, l->dims, 0, NULL);
    n->buf = buf;
    return n;
}

/* The first index and the step along every dimension of a slice. */
static void slice_params(const IrGraph *g, IrOpId op, const IrType *x, int64_t *first,
                         int64_t *step) {
    int n, ns, ne, na;
    const int64_t *starts = ir_attr_ints(g, op, "starts", &ns);
    const int64_t *ends = ir_attr_ints(g, op, "ends", &ne);
    const int64_t *axes = ir_attr_ints(g, op, "axes", &na);
    const int64_t *steps = ir_attr_ints(g, op, "steps", &n);
    for (int d = 0; d < x->rank; d++) first[d] = 0, step[d] = 1;
    for (int i = 0; i < na; i++) {
        int a = ir_norm_axis(axes[i], x->rank);
        int64_t len;
        ir_slice_axis(x->dims[a], starts[i], ends[i], steps[i], &first[a], &len);
        step[a] = steps[i];
    }
}

/* Whether every constant index of a gather is in range (else the op is a
 * run-time gather that traps, as the evaluator fails). */
static bool indices_in_range(const IrConst *c, int64_t dim) {
    int64_t n = ir_type_count(&c->type);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = (int64_t)dtype_get(c->type.dtype, c->data, (size_t)i);
        if (k < -dim || k >= dim) return false;
    }
    return true;
}

bool move_is_view(const IrGraph *g, IrRef v) {
    IrOpId id = g->vals[v].def;
    if (!id) return false;
    const IrOp *op = &g->ops[id];
    switch (op->kind) {
    case IR_OP_reshape:
    case IR_OP_transpose:
    case IR_OP_expand:
    case IR_OP_slice:
    case IR_OP_concat:
    case IR_OP_pad: return true;
    case IR_OP_gather:
    case IR_OP_gather_elements: {
        const IrConst *c = ir_value_const(g, op->in[1]);
        if (!c) return false;
        int rank = g->vals[op->in[0]].type.rank;
        int axis = ir_norm_axis(ir_attr_int(g, id, "axis"), rank);
        return indices_in_range(c, g->vals[op->in[0]].type.dims[axis]);
    }
    default: return false;
    }
}

MapNode *move_map_of_value(Tiler *t, IrRef v) {
    const IrGraph *g = t->g;
    const IrType *ty = &g->vals[v].type;
    if (!move_is_view(g, v)) {
        MapNode *n = move_map_node(t, MAP_VALUE, ty->dtype, ty->rank, ty->dims, 0, NULL);
        n->value = v;
        return n;
    }
    IrOpId id = g->vals[v].def;
    const IrOp *op = &g->ops[id];
    MapNode *kids[IR_MAX_OPERANDS];
    int nk = op->kind == IR_OP_concat ? op->nin : 1;
    for (int i = 0; i < nk; i++) kids[i] = move_map_of_value(t, op->in[i]);
    MapKind kind = MAP_RESHAPE;
    switch (op->kind) {
    case IR_OP_reshape: kind = MAP_RESHAPE; break;
    case IR_OP_transpose: kind = MAP_TRANSPOSE; break;
    case IR_OP_expand: kind = MAP_EXPAND; break;
    case IR_OP_slice: kind = MAP_SLICE; break;
    case IR_OP_concat: kind = MAP_CONCAT; break;
    case IR_OP_pad: kind = MAP_PAD; break;
    case IR_OP_gather: kind = MAP_GATHER; break;
    case IR_OP_gather_elements: kind = MAP_GATHER_EL; break;
    default: ice("move: %s is not a view", ir_op_name(op->kind));
    }
    MapNode *n = move_map_node(t, kind, ty->dtype, ty->rank, ty->dims, nk, kids);
    const IrType *x = &g->vals[op->in[0]].type;
    switch (op->kind) {
    case IR_OP_transpose: {
        int np;
        const int64_t *perm = ir_attr_ints(g, id, "perm", &np);
        for (int i = 0; i < np; i++) n->a[i] = perm[i];
        break;
    }
    case IR_OP_slice: slice_params(g, id, x, n->a, n->b); break;
    case IR_OP_concat: n->axis = ir_norm_axis(ir_attr_int(g, id, "axis"), ty->rank); break;
    case IR_OP_pad: {
        int np;
        const int64_t *pads = ir_attr_ints(g, id, "pads", &np);
        for (int d = 0; d < x->rank; d++) n->a[d] = pads[d];
        const char *mode = ir_attr_str(g, id, "mode");
        n->mode = strcmp(mode, "reflect") == 0 ? 1 : strcmp(mode, "edge") == 0 ? 2 : 0;
        n->padv = ir_attr_float(g, id, "value");
        break;
    }
    case IR_OP_gather:
    case IR_OP_gather_elements: {
        n->axis = ir_norm_axis(ir_attr_int(g, id, "axis"), x->rank);
        n->idx = ir_value_const(g, op->in[1]);
        n->idx_rank = n->idx->type.rank;
        for (int d = 0; d < n->idx_rank; d++) n->idx_dims[d] = n->idx->type.dims[d];
        break;
    }
    default: break;
    }
    return n;
}

static int64_t flat_of(const int64_t *x, const int64_t *dims, int rank) {
    int64_t f = 0;
    for (int d = 0; d < rank; d++) f = f * dims[d] + x[d];
    return f;
}

static void unflat(int64_t f, const int64_t *dims, int rank, int64_t *x) {
    for (int d = rank - 1; d >= 0; d--) {
        int64_t n = dims[d] ? dims[d] : 1;
        x[d] = f % n;
        f /= n;
    }
}

static int64_t const_index(const IrConst *c, int64_t i) {
    return (int64_t)dtype_get(c->type.dtype, c->data, (size_t)i);
}

/* How many of pos, pos + step, pos + 2*step, ... lie in [lo, hi). */
static int64_t steps_within(int64_t pos, int64_t step, int64_t lo, int64_t hi) {
    if (step > 0) return (hi - 1 - pos) / step + 1;
    if (step < 0) return (pos - lo) / -step + 1;
    return INT64_MAX;
}

/* Follow elements x + i*e_d0, i < *len, of n's result down to a leaf.
 * Returns true with *leaf, xl and dir set: element i is the leaf's
 * element xl + i*dir for every i below the shortened *len (views that
 * are not affine along the run cut it to one element); or false with
 * *padv set and *len = 1 (a position holding a constant). */
static bool resolve(const MapNode *n, const int64_t *x, int d0, int64_t *len, const MapNode **leaf,
                    int64_t *xl, int64_t *dir, double *padv) {
    int64_t buf[2][IR_MAX_RANK], dbuf[2][IR_MAX_RANK], dx[IR_MAX_RANK];
    const int64_t *cur = x, *cd = dx;
    int64_t L = *len;
    for (int d = 0; d < n->rank; d++) dx[d] = d == d0;
    int which = 0;
    for (;;) {
        if (L <= 1) cd = NULL; /* one element: no direction to follow */
        if (n->kind == MAP_VALUE || n->kind == MAP_BUF) {
            *leaf = n;
            for (int d = 0; d < n->rank; d++) {
                xl[d] = cur[d];
                dir[d] = cd ? cd[d] : 0;
            }
            *len = L;
            return true;
        }
        int64_t *y = buf[which], *yd = dbuf[which];
        which ^= 1;
        const MapNode *c = n->child[0];
        for (int d = 0; d < c->rank; d++) yd[d] = 0;
        switch (n->kind) {
        case MAP_RESHAPE: {
            unflat(flat_of(cur, n->dims, n->rank), c->dims, c->rank, y);
            if (!cd) break;
            /* the flat step must move one child digit, without carries */
            int64_t fd = flat_of(cd, n->dims, n->rank), stride = 1;
            int k = c->rank - 1;
            for (; k >= 0; stride *= c->dims[k], k--)
                if (fd % stride == 0 && fd / stride > -c->dims[k] && fd / stride < c->dims[k])
                    break;
            if (k < 0) {
                L = 1;
                break;
            }
            yd[k] = fd / stride;
            int64_t m = steps_within(y[k], yd[k], 0, c->dims[k]);
            if (m < L) L = m;
            break;
        }
        case MAP_TRANSPOSE:
            for (int i = 0; i < n->rank; i++) {
                y[n->a[i]] = cur[i];
                if (cd) yd[n->a[i]] = cd[i];
            }
            break;
        case MAP_EXPAND:
            for (int d = 0; d < n->rank; d++) {
                y[d] = c->dims[d] == 1 ? 0 : cur[d];
                if (cd) yd[d] = c->dims[d] == 1 ? 0 : cd[d];
            }
            break;
        case MAP_SLICE:
            for (int d = 0; d < n->rank; d++) {
                y[d] = n->a[d] + cur[d] * n->b[d];
                if (cd) yd[d] = cd[d] * n->b[d];
            }
            break;
        case MAP_CONCAT: {
            int64_t off = cur[n->axis];
            int k = 0;
            while (k < n->nchild - 1 && off >= n->child[k]->dims[n->axis])
                off -= n->child[k++]->dims[n->axis];
            c = n->child[k];
            for (int d = 0; d < n->rank; d++) {
                y[d] = cur[d];
                if (cd) yd[d] = cd[d];
            }
            y[n->axis] = off;
            if (cd) {
                int64_t m = steps_within(off, cd[n->axis], 0, c->dims[n->axis]);
                if (m < L) L = m;
            }
            break;
        }
        case MAP_PAD:
            for (int d = 0; d < n->rank; d++) {
                int64_t dim = c->dims[d], p = cur[d] - n->a[d];
                if (p < 0 || p >= dim) {
                    if (n->mode == 0) {
                        *padv = n->padv;
                        *len = 1;
                        return false;
                    }
                    p = n->mode == 1 ? (p < 0 ? -p : 2 * (dim - 1) - p) : (p < 0 ? 0 : dim - 1);
                    L = 1; /* reflected or clamped: not followed as a run */
                } else if (cd) {
                    int64_t m = steps_within(p, cd[d], 0, dim);
                    if (m < L) L = m;
                }
                y[d] = p;
                if (cd) yd[d] = cd[d];
            }
            break;
        case MAP_GATHER: {
            /* result = x[:axis] + indices + x[axis+1:] */
            int a = n->axis, ri = n->idx_rank;
            for (int d = 0; d < a; d++) y[d] = cur[d];
            int64_t k = const_index(n->idx, flat_of(cur + a, n->idx_dims, ri));
            y[a] = k < 0 ? k + c->dims[a] : k;
            for (int d = a + 1; d < c->rank; d++) y[d] = cur[d - 1 + ri];
            L = 1;
            break;
        }
        case MAP_GATHER_EL: {
            for (int d = 0; d < n->rank; d++) y[d] = cur[d];
            int64_t k = const_index(n->idx, flat_of(cur, n->idx_dims, n->idx_rank));
            y[n->axis] = k < 0 ? k + c->dims[n->axis] : k;
            L = 1;
            break;
        }
        case MAP_CONVWIN: {
            /* (g, p, k) with p over [N, O...], k over [Cg, K...] */
            const IrWindow *w = &n->win;
            int64_t pd[4] = {0}, kd[4] = {0}, pdims[4], kdims[4];
            pdims[0] = c->dims[0];
            kdims[0] = c->dims[1] / n->a[0];
            for (int s = 0; s < w->nsp; s++) pdims[s + 1] = w->out[s], kdims[s + 1] = w->kernel[s];
            unflat(cur[1], pdims, w->nsp + 1, pd);
            unflat(cur[2], kdims, w->nsp + 1, kd);
            y[0] = pd[0];
            y[1] = cur[0] * kdims[0] + kd[0];
            for (int s = 0; s < w->nsp; s++) {
                int64_t i = pd[s + 1] * w->stride[s] - w->pad_begin[s] + kd[s + 1] * w->dilation[s];
                if (i < 0 || i >= w->in[s]) {
                    *padv = 0;
                    *len = 1;
                    return false;
                }
                y[2 + s] = i;
            }
            L = 1;
            break;
        }
        case MAP_POOLWIN: {
            /* (n, c, o..., k...) */
            const IrWindow *w = &n->win;
            y[0] = cur[0];
            y[1] = cur[1];
            for (int s = 0; s < w->nsp; s++) {
                int64_t i = cur[2 + s] * w->stride[s] - w->pad_begin[s] +
                            cur[2 + w->nsp + s] * w->dilation[s];
                if (i < 0 || i >= w->in[s]) {
                    *padv = n->padv;
                    *len = 1;
                    return false;
                }
                y[2 + s] = i;
            }
            L = 1;
            break;
        }
        case MAP_CONVOUT: {
            /* (n, m, o...) from acc [g, N*O..., Mg] */
            const IrWindow *w = &n->win;
            int64_t mg = c->dims[2], p = cur[0];
            for (int s = 0; s < w->nsp; s++) p = p * w->out[s] + cur[2 + s];
            y[0] = cur[1] / mg;
            y[1] = p;
            y[2] = cur[1] % mg;
            L = 1;
            break;
        }
        default: ice("move: bad map kind %d", (int)n->kind);
        }
        n = c;
        cur = y;
        cd = yd;
    }
}

bool move_map_is_const(Tiler *t, const MapNode *map) {
    if (map->kind == MAP_BUF) return false;
    if (map->kind == MAP_VALUE) return ir_value_const(t->g, map->value) != NULL;
    for (int i = 0; i < map->nchild; i++)
        if (!move_map_is_const(t, map->child[i])) return false;
    return true;
}

/* Give every leaf value a buffer (constants and inputs get a default one). */
static void materialise_leaves(Tiler *t, const MapNode *map) {
    if (map->kind == MAP_VALUE) {
        tile_value_home(t, map->value);
        return;
    }
    for (int i = 0; i < map->nchild; i++) materialise_leaves(t, map->child[i]);
}

/* ---- Runs and descriptors -------------------------------------------------------- */

typedef struct Run {
    int64_t s, d, n, ss, ds; /* s + i*ss -> d + i*ds, i < n */
} Run;

typedef struct Runs {
    Run *v;
    size_t n, cap;
    Run cur; /* the run being extended; n == 0: none */
} Runs;

static void runs_flush(Runs *r) {
    if (!r->cur.n) return;
    XGROW(r->v, r->cap, r->n + 1);
    r->v[r->n++] = r->cur;
    r->cur.n = 0;
}

static void runs_add(Runs *r, int64_t s, int64_t d) {
    Run *c = &r->cur;
    if (c->n == 1 && (s - c->s) == (int32_t)(s - c->s) && (d - c->d) == (int32_t)(d - c->d)) {
        c->ss = s - c->s;
        c->ds = d - c->d;
        c->n = 2;
        return;
    }
    if (c->n > 1 && s == c->s + c->n * c->ss && d == c->d + c->n * c->ds) {
        c->n++;
        return;
    }
    runs_flush(r);
    *c = (Run){s, d, 1, 0, 0};
}

/* runs_add of s + i*ss -> d + i*ds for i < n, extending the open run in
 * one step where it continues it. */
static void runs_add_n(Runs *r, int64_t s, int64_t d, int64_t n, int64_t ss, int64_t ds) {
    while (n > 0) {
        Run *c = &r->cur;
        if (c->n > 1 && s == c->s + c->n * c->ss && d == c->d + c->n * c->ds &&
            (n == 1 || (ss == c->ss && ds == c->ds))) {
            c->n += n;
            return;
        }
        runs_add(r, s, d);
        s += ss;
        d += ds;
        n--;
    }
}

/* A copy descriptor: no outer rows of ni elements, s + o*so + i*ss ->
 * d + o*dso + i*ds, from buffer sbuf to buffer dbuf (fills: no source). */
typedef struct Desc {
    int32_t sbuf, dbuf;
    int64_t s, d, ni, ss, ds, no, so, dso;
    uint64_t bits; /* fills: the value stored */
} Desc;

typedef struct Descs {
    Desc *v;
    size_t n, cap;
} Descs;

static void descs_add_run(Descs *l, int32_t sbuf, int32_t dbuf, const Run *r, uint64_t bits) {
    Desc *last = l->n ? &l->v[l->n - 1] : NULL;
    if (last && last->sbuf == sbuf && last->dbuf == dbuf && last->ni == r->n &&
        last->bits == bits && (r->n == 1 || (last->ss == r->ss && last->ds == r->ds))) {
        int64_t so = r->s - (last->s + (last->no - 1) * last->so),
                dso = r->d - (last->d + (last->no - 1) * last->dso);
        if (last->no == 1 && so == (int32_t)so && dso == (int32_t)dso) {
            last->so = so;
            last->dso = dso;
            last->no = 2;
            return;
        }
        if (last->no > 1 && so == last->so && dso == last->dso) {
            last->no++;
            return;
        }
    }
    XGROW(l->v, l->cap, l->n + 1);
    l->v[l->n++] = (Desc){sbuf, dbuf, r->s, r->d, r->n, r->n > 1 ? r->ss : 0, r->n > 1 ? r->ds : 0,
                          1,    0,    0,    bits};
}

/* ---- The mover ----------------------------------------------------------------------- */

/* One source of a destination tile: a (tile, buffer) and its runs. */
typedef struct Source {
    int32_t tile, buf;
    Runs runs;
    int64_t count;
} Source;

typedef struct Mover {
    Tiler *t;
    Plan *p;
    int32_t dst;
    const MapNode *map;
    IrOpId op;
    int64_t es;
    int32_t ntiles;
    Descs *copy_a, *copy_b, *fills;  /* per machine tile */
    int64_t *pack_size, *stage_size; /* per machine tile */
    int32_t packbuf, stagebuf;
    PlanXfer *xfers;
    size_t nxfers, capxfers;
    Source *src;
    size_t nsrc, capsrc;
    int32_t *src_of; /* per (tile * nbufs + buf) hash: index into src, or -1 */
    size_t hashcap;
    struct FillSet {
        uint64_t bits;
        Runs runs;
    } fill[4]; /* positions of a tile holding constants, by value */
    int nfill;
    struct Pack {
        int32_t tile, buf;
        Run *runs; /* what was packed, in destination order */
        size_t nruns;
        uint64_t hash;
        int64_t base; /* where, in the pack buffer */
    } * packs;        /* the packs made so far: replicas of a block reuse them */
    size_t npacks, cappacks;
    int32_t *pack_of; /* hash table: index into packs, or -1 */
    size_t packcap;
    int64_t (*strides)[IR_MAX_RANK]; /* per buffer, [0] < 0: not yet computed */
    int32_t nstrides;
} Mover;

/* n positions from doff on, es bytes apart, hold constant v. */
static void fill_add(Mover *mv, AccDtype dtype, double v, int64_t doff, int64_t n) {
    uint8_t b[8] = {0};
    dtype_set(dtype, b, 0, v);
    uint64_t bits;
    memcpy(&bits, b, sizeof bits);
    int k = 0;
    while (k < mv->nfill && mv->fill[k].bits != bits) k++;
    if (k == mv->nfill) {
        if (k == (int)ACC_ARRAY_LEN(mv->fill)) ice("move: more than %d fill values", k);
        mv->fill[k].bits = bits;
        mv->nfill++;
    }
    runs_add_n(&mv->fill[k].runs, 0, doff, n, 0, mv->es);
}

static uint32_t hash_key(int64_t key) {
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 33);
}

static Source *source_for(Mover *mv, int32_t tile, int32_t buf) {
    int64_t key = (int64_t)tile * mv->p->nbufs + buf;
    if (mv->nsrc * 2 + 2 > mv->hashcap) {
        size_t cap = mv->hashcap ? mv->hashcap * 2 : 64;
        free(mv->src_of);
        mv->src_of = xmalloc(cap * sizeof *mv->src_of);
        for (size_t i = 0; i < cap; i++) mv->src_of[i] = -1;
        mv->hashcap = cap;
        for (size_t i = 0; i < mv->nsrc; i++) {
            int64_t k = (int64_t)mv->src[i].tile * mv->p->nbufs + mv->src[i].buf;
            size_t h = hash_key(k) & (cap - 1);
            while (mv->src_of[h] >= 0) h = (h + 1) & (cap - 1);
            mv->src_of[h] = (int32_t)i;
        }
    }
    size_t h = hash_key(key) & (mv->hashcap - 1);
    while (mv->src_of[h] >= 0) {
        Source *s = &mv->src[mv->src_of[h]];
        if (s->tile == tile && s->buf == buf) return s;
        h = (h + 1) & (mv->hashcap - 1);
    }
    XGROW(mv->src, mv->capsrc, mv->nsrc + 1);
    Source *s = &mv->src[mv->nsrc];
    memset(s, 0, sizeof *s);
    s->tile = tile;
    s->buf = buf;
    mv->src_of[h] = (int32_t)mv->nsrc++;
    return s;
}

static void reset_sources(Mover *mv) {
    for (size_t i = 0; i < mv->nsrc; i++) free(mv->src[i].runs.v);
    mv->nsrc = 0;
    for (size_t i = 0; i < mv->hashcap; i++) mv->src_of[i] = -1;
}

/* Where element x of a layout is: on tile want if some block there holds
 * it (returns true), else on the owner chosen for want. *len is cut to
 * the steps x + i*dir that stay in x's block. */
/* Buffer b's layout and its strides (computed once per move). */
static const PlanLayout *source_layout(Mover *mv, int32_t b, const int64_t **strides) {
    const PlanLayout *l = &mv->p->bufs[b].layout;
    if (b >= mv->nstrides) {
        int32_t n = mv->p->nbufs;
        mv->strides = xrealloc(mv->strides, (size_t)n * sizeof *mv->strides);
        for (int32_t i = mv->nstrides; i < n; i++) mv->strides[i][0] = -1;
        mv->nstrides = n;
    }
    if (mv->strides[b][0] < 0) layout_strides(l, mv->strides[b]);
    *strides = mv->strides[b];
    return l;
}

static bool locate(Mover *mv, int32_t buf, const int64_t *x, const int64_t *dir, int64_t *len,
                   int32_t want, int32_t *tile, int64_t *off, int64_t *step) {
    int64_t coord[PLAN_MAX_GRID];
    const int64_t *strides;
    const PlanLayout *l = source_layout(mv, buf, &strides);
    int32_t q = want - l->base, n = layout_ntiles(l);
    bool inside = q >= 0 && q < n;
    int32_t rest = inside ? q : (want % n + n) % n;
    for (int a = l->ngrid - 1; a >= 0; a--) {
        coord[a] = rest % l->grid[a];
        rest /= l->grid[a];
    }
    int64_t o = 0, st = 0;
    for (int d = 0; d < l->rank; d++) {
        int64_t b = l->axis[d] >= 0 ? x[d] / l->block[d] : 0;
        if (l->axis[d] >= 0) {
            coord[l->axis[d]] = b;
            int64_t lo = b * l->block[d], hi = lo + l->block[d];
            int64_t m = steps_within(x[d], dir[d], lo, hi < l->dims[d] ? hi : l->dims[d]);
            if (m < *len) *len = m;
        }
        o += (x[d] - b * l->block[d] + l->lo[d]) * strides[d];
        st += dir[d] * strides[d];
    }
    int64_t g = 0;
    for (int a = 0; a < l->ngrid; a++) g = g * l->grid[a] + coord[a];
    *tile = l->base + (int32_t)g;
    *off = o * (int64_t)dtype_size(l->dtype);
    *step = st * (int64_t)dtype_size(l->dtype);
    return *tile == want;
}

/* The buffer, tile and offset of leaf elements xl + i*dir, i < *len,
 * preferring tile want; *len is cut to where that answer holds for all of
 * them, with the source offset advancing by *step bytes. */
static void find_element(Mover *mv, const MapNode *leaf, const int64_t *x, const int64_t *dir,
                         int64_t *len, int32_t want, int32_t *buf, int32_t *tile, int64_t *off,
                         int64_t *step) {
    Tiler *t = mv->t;
    if (leaf->kind == MAP_BUF) {
        locate(mv, leaf->buf, x, dir, len, want, tile, off, step);
        *buf = leaf->buf;
        return;
    }
    /* every buffer's block ends where the choice may change */
    const ValState *vs = &t->vals[leaf->value];
    int32_t home = vs->home >= 0 ? vs->home : vs->bufs[0];
    *buf = -1;
    for (int32_t i = 0; i < vs->nbufs; i++) {
        int32_t tl;
        int64_t o, st;
        if (locate(mv, vs->bufs[i], x, dir, len, want, &tl, &o, &st) && *buf < 0) {
            *buf = vs->bufs[i], *tile = tl, *off = o, *step = st;
        }
    }
    if (*buf >= 0) return;
    locate(mv, home, x, dir, len, want, tile, off, step);
    *buf = home;
}

/* Tell the pack/stage buffers they hold bytes on tile. */
static void add_temp_tile(Plan *p, int32_t b, int32_t tile, int64_t bytes) {
    PlanBuf *buf = &p->bufs[b];
    int32_t n = buf->ntiles;
    int32_t *tiles = ARENA_ARRAY(&p->arena, int32_t, (size_t)n + 1);
    uint32_t *size = ARENA_ARRAY(&p->arena, uint32_t, (size_t)n + 1);
    uint32_t *addr = ARENA_ARRAY(&p->arena, uint32_t, (size_t)n + 1);
    int32_t at = 0;
    while (at < n && buf->tiles[at] < tile) at++;
    if (n) {
        memcpy(tiles, buf->tiles, (size_t)at * sizeof *tiles);
        memcpy(size, buf->size, (size_t)at * sizeof *size);
        memcpy(tiles + at + 1, buf->tiles + at, (size_t)(n - at) * sizeof *tiles);
        memcpy(size + at + 1, buf->size + at, (size_t)(n - at) * sizeof *size);
    }
    tiles[at] = tile;
    size[at] = (uint32_t)bytes;
    buf->tiles = tiles;
    buf->size = size;
    buf->addr = addr;
    buf->ntiles = n + 1;
}

static void add_xfer(Mover *mv, int32_t from, int32_t to, int32_t sbuf, int64_t soff, int32_t dbuf,
                     int64_t doff, int64_t len) {
    XGROW(mv->xfers, mv->capxfers, mv->nxfers + 1);
    mv->xfers[mv->nxfers++] =
        (PlanXfer){from, to, sbuf, dbuf, (uint32_t)soff, (uint32_t)doff, (uint32_t)len};
}

/* Contiguous pieces of a source's runs, on the source side (side 0), the
 * destination side (1) or both (2): calls piece(start_s, start_d, bytes). */
typedef void PieceFn(Mover *mv, Source *s, int64_t sa, int64_t da, int64_t bytes, void *ctx);

static int64_t pieces(Mover *mv, Source *s, int side, PieceFn *fn, void *ctx) {
    int64_t es = mv->es, count = 0;
    int64_t ps = 0, pd = 0, len = 0; /* the open piece */
#define CONTINUES(a, b)                                                                            \
    (len > 0 && (side == 1 || (a) == ps + len) && (side == 0 || (b) == pd + len))
#define OPEN(a, b, bytes)                                                                          \
    do {                                                                                           \
        if (len && fn) fn(mv, s, ps, pd, len, ctx);                                                \
        if (len) count++;                                                                          \
        ps = (a), pd = (b), len = (bytes);                                                         \
    } while (0)
    for (size_t i = 0; i < s->runs.n; i++) {
        const Run *r = &s->runs.v[i];
        bool whole = r->n == 1 || ((side == 1 || r->ss == es) && (side == 0 || r->ds == es));
        if (whole) {
            if (CONTINUES(r->s, r->d))
                len += r->n * es;
            else
                OPEN(r->s, r->d, r->n * es);
            continue;
        }
        for (int64_t k = 0; k < r->n; k++) {
            int64_t a = r->s + k * r->ss, b = r->d + k * r->ds;
            if (CONTINUES(a, b))
                len += es;
            else
                OPEN(a, b, es);
        }
    }
    OPEN(0, 0, 0);
#undef CONTINUES
#undef OPEN
    return count;
}

typedef struct XferCtx {
    int32_t dst_tile;
    int32_t sbuf, dbuf;
    int64_t sbase, dbase; /* packed side: offsets from here, counted in elements */
    int64_t pos;          /* bytes of the packed side so far */
    int packed;           /* 0: source side is packed (pack buffer), 1: destination (stage) */
} XferCtx;

/* A transfer of one contiguous piece (both sides contiguous). */
static void piece_direct(Mover *mv, Source *s, int64_t sa, int64_t da, int64_t bytes, void *c) {
    XferCtx *x = c;
    add_xfer(mv, s->tile, x->dst_tile, s->buf, sa, mv->dst, da, bytes);
}

/* A source-contiguous piece into the staging buffer (unpacked later). */
static void piece_to_stage(Mover *mv, Source *s, int64_t sa, int64_t da, int64_t bytes, void *c) {
    (void)da;
    XferCtx *x = c;
    add_xfer(mv, s->tile, x->dst_tile, s->buf, sa, mv->stagebuf, x->dbase + x->pos, bytes);
    x->pos += bytes;
}

/* A destination-contiguous piece out of the pack buffer. */
static void piece_from_pack(Mover *mv, Source *s, int64_t sa, int64_t da, int64_t bytes, void *c) {
    (void)sa;
    XferCtx *x = c;
    add_xfer(mv, s->tile, x->dst_tile, mv->packbuf, x->sbase + x->pos, mv->dst, da, bytes);
    x->pos += bytes;
}

/* Copies of a source's elements into consecutive places (packing) or out
 * of consecutive places (unpacking). */
static void pack_descs(Mover *mv, Source *s, Descs *into, int32_t tobuf, int64_t base) {
    int64_t pos = base;
    for (size_t i = 0; i < s->runs.n; i++) {
        Run r = s->runs.v[i];
        r.d = pos;
        r.ds = mv->es;
        pos += r.n * mv->es;
        descs_add_run(into, s->buf, tobuf, &r, 0);
    }
}

static void unpack_descs(Mover *mv, Source *s, Descs *into, int64_t base) {
    int64_t pos = base;
    for (size_t i = 0; i < s->runs.n; i++) {
        Run r = s->runs.v[i];
        r.s = pos;
        r.ss = mv->es;
        pos += r.n * mv->es;
        descs_add_run(into, mv->stagebuf, mv->dst, &r, 0);
    }
}

static uint64_t pack_hash(const Source *s) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)s->tile ^ ((uint64_t)s->buf << 32);
    const uint8_t *b = (const uint8_t *)s->runs.v;
    for (size_t i = 0; i < s->runs.n * sizeof *s->runs.v; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Where the same elements of s's tile and buffer were packed in the same
 * order (for a replica of the destination block), or -1. */
static int64_t find_pack(const Mover *mv, const Source *s, uint64_t h) {
    if (!mv->packcap) return -1;
    for (size_t i = h & (mv->packcap - 1); mv->pack_of[i] >= 0; i = (i + 1) & (mv->packcap - 1)) {
        const struct Pack *k = &mv->packs[mv->pack_of[i]];
        if (k->hash == h && k->tile == s->tile && k->buf == s->buf && k->nruns == s->runs.n &&
            memcmp(k->runs, s->runs.v, s->runs.n * sizeof *k->runs) == 0)
            return k->base;
    }
    return -1;
}

static void add_pack(Mover *mv, const Source *s, uint64_t h, int64_t base) {
    if (2 * (mv->npacks + 1) > mv->packcap) {
        size_t cap = mv->packcap ? 2 * mv->packcap : 64;
        free(mv->pack_of);
        mv->pack_of = xmalloc(cap * sizeof *mv->pack_of);
        for (size_t i = 0; i < cap; i++) mv->pack_of[i] = -1;
        mv->packcap = cap;
        for (size_t k = 0; k < mv->npacks; k++) {
            size_t i = mv->packs[k].hash & (cap - 1);
            while (mv->pack_of[i] >= 0) i = (i + 1) & (cap - 1);
            mv->pack_of[i] = (int32_t)k;
        }
    }
    XGROW(mv->packs, mv->cappacks, mv->npacks + 1);
    struct Pack *k = &mv->packs[mv->npacks];
    k->tile = s->tile, k->buf = s->buf, k->nruns = s->runs.n, k->hash = h, k->base = base;
    k->runs = xmalloc((s->runs.n ? s->runs.n : 1) * sizeof *k->runs);
    memcpy(k->runs, s->runs.v, s->runs.n * sizeof *k->runs);
    size_t i = h & (mv->packcap - 1);
    while (mv->pack_of[i] >= 0) i = (i + 1) & (mv->packcap - 1);
    mv->pack_of[i] = (int32_t)mv->npacks++;
}

/* Everything destination tile dt needs from source s. */
static void plan_source(Mover *mv, int32_t dt, Source *s) {
    runs_flush(&s->runs);
    if (s->tile == dt) {
        for (size_t i = 0; i < s->runs.n; i++)
            descs_add_run(&mv->copy_a[dt], s->buf, mv->dst, &s->runs.v[i], 0);
        return;
    }
    int64_t bytes = s->count * mv->es;
    XferCtx x = {dt, s->buf, mv->dst, 0, 0, 0, 0};
    int64_t both = pieces(mv, s, 2, NULL, NULL);
    if (both <= DIRECT_MAX || bytes / both >= DIRECT_BYTES) {
        pieces(mv, s, 2, piece_direct, &x);
        return;
    }
    int64_t ns = pieces(mv, s, 0, NULL, NULL), nd = pieces(mv, s, 1, NULL, NULL);
    if (ns <= DIRECT_MAX || bytes / ns >= DIRECT_BYTES) {
        /* Contiguous at the source: transfer into staging, unpack there. */
        x.dbase = mv->stage_size[dt];
        mv->stage_size[dt] += bytes;
        pieces(mv, s, 0, piece_to_stage, &x);
        unpack_descs(mv, s, &mv->copy_b[dt], x.dbase);
        return;
    }
    /* Pack at the source in destination order, once for every replica of
     * the destination block: the same packed range then goes to each (a
     * multicast). */
    uint64_t h = pack_hash(s);
    x.sbase = find_pack(mv, s, h);
    if (x.sbase < 0) {
        x.sbase = mv->pack_size[s->tile];
        mv->pack_size[s->tile] += bytes;
        pack_descs(mv, s, &mv->copy_a[s->tile], mv->packbuf, x.sbase);
        add_pack(mv, s, h, x.sbase);
    }
    if (nd <= DIRECT_MAX || bytes / nd >= DIRECT_BYTES) {
        pieces(mv, s, 1, piece_from_pack, &x);
        return;
    }
    int64_t stage = mv->stage_size[dt];
    mv->stage_size[dt] += bytes;
    add_xfer(mv, s->tile, dt, mv->packbuf, x.sbase, mv->stagebuf, stage, bytes);
    unpack_descs(mv, s, &mv->copy_b[dt], stage);
}

/* Copy n elements of leaf constant from x on, dir apart, to out. */
static void const_elements(Tiler *t, const MapNode *leaf, const int64_t *x, const int64_t *dir,
                           int64_t n, uint8_t *out) {
    const IrConst *c = ir_value_const(t->g, leaf->value);
    size_t es = dtype_size(c->type.dtype);
    int64_t f = flat_of(x, leaf->dims, leaf->rank), fd = flat_of(dir, leaf->dims, leaf->rank);
    const uint8_t *data = c->data;
    if (fd == 1) {
        memcpy(out, data + f * (int64_t)es, (size_t)n * es);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(out + i * (int64_t)es, data + (f + i * fd) * (int64_t)es, es);
}

/* The positions pos, pos+1, ... (n of them, along the innermost stored
 * dimension d0, at element x) of destination tile `tile`: constants
 * written to data, else sources' runs and fills recorded. */
static void enumerate_run(Mover *mv, int32_t tile, int d0, int64_t *x, int64_t pos, int64_t n,
                          uint8_t *data) {
    const PlanLayout *l = &mv->p->bufs[mv->dst].layout;
    int64_t es = mv->es;
    while (n > 0) {
        const MapNode *leaf = NULL;
        int64_t xl[IR_MAX_RANK], dir[IR_MAX_RANK], len = n;
        double padv = l->pad;
        if (!resolve(mv->map, x, d0, &len, &leaf, xl, dir, &padv)) {
            if (data)
                dtype_set(l->dtype, data + pos * es, 0, padv);
            else
                fill_add(mv, l->dtype, padv, pos * es, 1);
        } else if (data) {
            const_elements(mv->t, leaf, xl, dir, len, data + pos * es);
        } else {
            int32_t buf, st;
            int64_t soff, step;
            find_element(mv, leaf, xl, dir, &len, tile, &buf, &st, &soff, &step);
            Source *s = source_for(mv, st, buf);
            runs_add_n(&s->runs, soff, pos * es, len, step, es);
            s->count += len;
        }
        x[d0] += len;
        pos += len;
        n -= len;
    }
}

/* n positions from pos on are the layout's margins or padding. */
static void pad_positions(Mover *mv, uint8_t *data, int64_t pos, int64_t n) {
    const PlanLayout *l = &mv->p->bufs[mv->dst].layout;
    if (l->pad_undefined || n <= 0) return;
    if (!data) {
        fill_add(mv, l->dtype, l->pad, pos * mv->es, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) dtype_set(l->dtype, data + (pos + i) * mv->es, 0, l->pad);
}

/* Enumerate destination tile q's stored positions, a row of the
 * innermost stored dimension at a time. */
static void enumerate_tile(Mover *mv, int32_t q, uint8_t *data) {
    const PlanBuf *db = &mv->p->bufs[mv->dst];
    const PlanLayout *l = &db->layout;
    int32_t tile = l->base + q;
    int rank = l->rank, d0 = rank ? l->order[rank - 1] : 0;
    int64_t blockc[IR_MAX_RANK], stored[IR_MAX_RANK] = {0}, local[IR_MAX_RANK], x[IR_MAX_RANK];
    layout_block_of(l, q, blockc);
    int64_t total = 1;
    for (int d = 0; d < rank; d++) {
        stored[d] = layout_stored(l, d);
        local[d] = 0;
        total *= stored[d];
    }
    int64_t row = rank ? stored[d0] : 1;
    for (int64_t pos = 0; pos < total; pos += row) {
        /* the row's positions are pads, then data [a, b), then pads */
        bool pad = false;
        for (int d = 0; d < rank; d++) {
            x[d] = blockc[d] * l->block[d] - l->lo[d] + local[d];
            if (d != d0 &&
                (x[d] < 0 || x[d] >= l->dims[d] || local[d] >= l->block[d] + l->lo[d] + l->hi[d]))
                pad = true;
        }
        int64_t a = 0, b = 0;
        if (!pad && rank) {
            int64_t x0 = x[d0], used = l->block[d0] + l->lo[d0] + l->hi[d0];
            a = x0 < 0 ? (-x0 < row ? -x0 : row) : 0;
            b = l->dims[d0] - x0 < used ? l->dims[d0] - x0 : used;
            if (b > row) b = row;
            if (b < a) b = a;
        } else if (!pad) {
            b = 1;
        }
        pad_positions(mv, data, pos, a);
        if (b > a) {
            if (rank) x[d0] += a;
            enumerate_run(mv, tile, d0, x, pos + a, b - a, data);
        }
        pad_positions(mv, data, pos + b, row - b);
        /* next row in storage order */
        for (int i = rank - 2; i >= 0; i--) {
            int d = l->order[i];
            if (++local[d] < stored[d]) break;
            local[d] = 0;
        }
    }
    if (data) return;
    for (size_t i = 0; i < mv->nsrc; i++) plan_source(mv, tile, &mv->src[i]);
    reset_sources(mv);
    for (int k = 0; k < mv->nfill; k++) {
        Runs *r = &mv->fill[k].runs;
        runs_flush(r);
        for (size_t i = 0; i < r->n; i++)
            descs_add_run(&mv->fills[tile], -1, mv->dst, &r->v[i], mv->fill[k].bits);
        free(r->v);
    }
    memset(mv->fill, 0, sizeof mv->fill);
    mv->nfill = 0;
}

/* ---- Tasks from descriptors ------------------------------------------------------ */

static void push_word(PlanWord **w, size_t *n, size_t *cap, int32_t buf, int64_t value) {
    XGROW(*w, *cap, *n + 1);
    (*w)[(*n)++] = (PlanWord){buf, (uint32_t)value};
}

/* Split descriptors among up to `workers` workers with about equal element
 * counts (big descriptors are cut along their rows or elements). */
static int split_descs(const Descs *in, int workers, Descs *out) {
    int64_t total = 0;
    for (size_t i = 0; i < in->n; i++) total += in->v[i].ni * in->v[i].no;
    int nw = (int)((total + MIN_PER_WORKER - 1) / MIN_PER_WORKER);
    if (nw > workers) nw = workers;
    if (nw < 1) nw = 1;
    int w = 0;
    int64_t quota = (total + nw - 1) / nw, have = 0;
    for (size_t i = 0; i < in->n; i++) {
        Desc d = in->v[i];
        while (d.ni * d.no > 0) {
            int64_t room = quota - have;
            if (room <= 0 && w < nw - 1) {
                w++;
                have = 0;
                continue;
            }
            if (w == nw - 1) room = INT64_MAX;
            Desc part = d;
            int64_t n = d.ni * d.no;
            if (n <= room) {
                part = d;
                d.no = 0;
            } else if (d.no > 1 && room >= d.ni) {
                part.no = room / d.ni;
                d.s += part.no * d.so;
                d.d += part.no * d.dso;
                d.no -= part.no;
            } else if (d.no == 1) {
                part.ni = room;
                d.s += room * d.ss;
                d.d += room * d.ds;
                d.ni -= room;
            } else {
                /* one row does not fit: take it whole in this worker */
                part.no = 1;
                d.s += d.so;
                d.d += d.dso;
                d.no -= 1;
            }
            XGROW(out[w].v, out[w].cap, out[w].n + 1);
            out[w].v[out[w].n++] = part;
            have += part.ni * part.no;
        }
    }
    return nw;
}

/* The argument words of a copy or fill task on one tile. */
static PlanWord *desc_args(Plan *p, const Descs *descs, bool fill, int32_t args_buf,
                           int32_t *nwords) {
    int W = (int)p->machine.workers;
    Descs parts[16];
    memset(parts, 0, sizeof parts);
    int nw = split_descs(descs, W, parts);
    PlanWord *w = NULL;
    size_t n = 0, cap = 0;
    int per = fill ? 7 : 8;
    push_word(&w, &n, &cap, -1, nw);
    for (int i = 0; i < 3; i++) push_word(&w, &n, &cap, -1, 0);
    int64_t list = 16 + (int64_t)nw * 8;
    for (int k = 0; k < nw; k++) {
        push_word(&w, &n, &cap, -1, (int64_t)parts[k].n);
        push_word(&w, &n, &cap, args_buf, list);
        list += (int64_t)parts[k].n * per * 4;
    }
    for (int k = 0; k < nw; k++) {
        for (size_t i = 0; i < parts[k].n; i++) {
            const Desc *d = &parts[k].v[i];
            if (!fill) push_word(&w, &n, &cap, d->sbuf, d->s);
            push_word(&w, &n, &cap, d->dbuf, d->d);
            push_word(&w, &n, &cap, -1, d->ni);
            if (!fill) push_word(&w, &n, &cap, -1, d->ss);
            push_word(&w, &n, &cap, -1, d->ds);
            push_word(&w, &n, &cap, -1, d->no);
            if (!fill) push_word(&w, &n, &cap, -1, d->so - d->ni * d->ss);
            push_word(&w, &n, &cap, -1, d->dso - d->ni * d->ds);
            if (fill) {
                push_word(&w, &n, &cap, -1, (int64_t)(uint32_t)d->bits);
                push_word(&w, &n, &cap, -1, (int64_t)(uint32_t)(d->bits >> 32));
            }
        }
        free(parts[k].v);
    }
    PlanWord *out = ARENA_ARRAY(&p->arena, PlanWord, n ? n : 1);
    memcpy(out, w, n * sizeof *w);
    free(w);
    *nwords = (int32_t)n;
    return out;
}

/* A copy or fill task over the tiles whose lists are non-empty. */
/* Whether descriptor d, copying (or filling) es-byte elements, can do w
 * bytes at a time: its rows contiguous (on both sides), their bytes and
 * every start a multiple of w. */
static bool desc_widens(const Desc *d, bool fill, int64_t es, int64_t w) {
    if (d->ni > 1 && ((!fill && d->ss != es) || d->ds != es)) return false;
    if ((d->ni * es) % w || (!fill && d->s % w) || d->d % w) return false;
    return d->no == 1 || ((fill || d->so % w == 0) && d->dso % w == 0);
}

/* The widest element (up to 8 bytes) every descriptor of a copy or fill
 * task allows; the descriptors are rewritten for it (a fill's value
 * repeated). Contiguous copies and fills of narrow elements then move 8
 * bytes at a time. */
static int64_t widen_descs(Descs *per_tile, int32_t ntiles, bool fill, int64_t es) {
    int64_t w = 8;
    for (; w > es; w /= 2) {
        bool ok = true;
        for (int32_t k = 0; k < ntiles && ok; k++)
            for (size_t i = 0; i < per_tile[k].n && ok; i++)
                ok = desc_widens(&per_tile[k].v[i], fill, es, w);
        if (ok) break;
    }
    if (w <= es) return es;
    for (int32_t k = 0; k < ntiles; k++)
        for (size_t i = 0; i < per_tile[k].n; i++) {
            Desc *d = &per_tile[k].v[i];
            d->ni = d->ni * es / w;
            d->ds = d->ni > 1 ? w : 0;
            d->ss = fill ? 0 : d->ds;
            if (fill) {
                uint64_t v = d->bits & (~0ull >> (64 - 8 * es));
                d->bits = 0;
                for (int64_t b = 0; b < w; b += es) d->bits |= v << (8 * b);
            }
        }
    return w;
}

static void descs_task(Mover *mv, Descs *per_tile, PlanTaskKind kind, const char *what) {
    Plan *p = mv->p;
    int32_t n = 0;
    for (int32_t k = 0; k < mv->ntiles; k++) n += per_tile[k].n > 0;
    if (n == 0) return;
    int64_t es = widen_descs(per_tile, mv->ntiles, kind == PLAN_FILL, mv->es);
    int32_t task = plan_add_task(p, kind, mv->op, what);
    int32_t *tiles = xmalloc((size_t)n * sizeof *tiles);
    n = 0;
    for (int32_t k = 0; k < mv->ntiles; k++)
        if (per_tile[k].n > 0) tiles[n++] = k;
    plan_task_set_tiles(p, task, n, tiles);
    StrBuf name;
    sb_init(&name);
    sb_printf(&name, "args %s %s", plan_task_name(kind), p->bufs[mv->dst].name);
    int32_t args = plan_add_buf(p, PLAN_BUF_ARGS, IR_NONE, mv->op, name.data);
    sb_free(&name);
    PlanBuf *ab = &p->bufs[args];
    plan_buf_alloc_tiles(p, ab, n);
    ab->words = ARENA_ARRAY(&p->arena, PlanWord *, (size_t)n);
    PlanCopySpec *spec = ARENA_NEW(&p->arena, PlanCopySpec);
    spec->esize = (int)es;
    spec->zeros = kind == PLAN_FILL;
    for (int32_t i = 0; i < n && spec->zeros; i++)
        for (size_t j = 0; j < per_tile[tiles[i]].n && spec->zeros; j++)
            spec->zeros = per_tile[tiles[i]].v[j].bits == 0;
    p->tasks[task].spec = spec;
    p->tasks[task].args = args;
    plan_task_reads(p, task, args);
    for (int32_t i = 0; i < n; i++) {
        Descs *d = &per_tile[tiles[i]];
        int32_t nw;
        ab->tiles[i] = tiles[i];
        ab->words[i] = desc_args(p, d, kind == PLAN_FILL, args, &nw);
        ab->size[i] = (uint32_t)nw * 4;
        for (size_t j = 0; j < d->n; j++) {
            if (d->v[j].sbuf >= 0) plan_task_reads(p, task, d->v[j].sbuf);
            plan_task_writes(p, task, d->v[j].dbuf);
        }
        free(d->v);
        d->v = NULL;
        d->n = d->cap = 0;
    }
    free(tiles);
}

static int cmp_xfer(const void *a, const void *b) {
    const PlanXfer *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    if (x->to != y->to) return x->to < y->to ? -1 : 1;
    if (x->sbuf != y->sbuf) return x->sbuf < y->sbuf ? -1 : 1;
    if (x->soff != y->soff) return x->soff < y->soff ? -1 : 1;
    return 0;
}

static void xchg_task(Mover *mv) {
    if (!mv->nxfers) return;
    Plan *p = mv->p;
    StrBuf name;
    sb_init(&name);
    sb_printf(&name, "into %s", p->bufs[mv->dst].name);
    int32_t task = plan_add_task(p, PLAN_XCHG, mv->op, name.data);
    sb_free(&name);
    PlanTask *t = &p->tasks[task];
    /* sorted by source tile (a stable counting sort: the transfers come
     * mostly in order of destination tile, then offset), then each
     * source's transfers, where they are not in order already */
    int32_t T = mv->ntiles;
    size_t *at = xcalloc((size_t)T + 1, sizeof *at);
    for (size_t i = 0; i < mv->nxfers; i++) at[mv->xfers[i].from + 1]++;
    for (int32_t k = 0; k < T; k++) at[k + 1] += at[k];
    t->xfers = ARENA_ARRAY(&p->arena, PlanXfer, mv->nxfers);
    for (size_t i = 0; i < mv->nxfers; i++) t->xfers[at[mv->xfers[i].from]++] = mv->xfers[i];
    for (size_t lo = 0, hi; lo < mv->nxfers; lo = hi) {
        bool sorted = true;
        for (hi = lo + 1; hi < mv->nxfers && t->xfers[hi].from == t->xfers[lo].from; hi++)
            if (cmp_xfer(&t->xfers[hi - 1], &t->xfers[hi]) > 0) sorted = false;
        if (!sorted) qsort(t->xfers + lo, hi - lo, sizeof *t->xfers, cmp_xfer);
    }
    free(at);
    t->nxfers = (int32_t)mv->nxfers;
    /* the tiles that send or receive */
    uint8_t *used = xcalloc((size_t)mv->ntiles, 1);
    for (size_t i = 0; i < mv->nxfers; i++) {
        used[mv->xfers[i].from] = used[mv->xfers[i].to] = 1;
        plan_task_reads(p, task, mv->xfers[i].sbuf);
        plan_task_writes(p, task, mv->xfers[i].dbuf);
    }
    int32_t n = 0, *tiles = xmalloc((size_t)mv->ntiles * sizeof *tiles);
    for (int32_t k = 0; k < mv->ntiles; k++)
        if (used[k]) tiles[n++] = k;
    plan_task_set_tiles(p, task, n, tiles);
    free(tiles);
    free(used);
}

static void mover_init(Mover *mv, Tiler *t, int32_t dst, IrOpId op) {
    memset(mv, 0, sizeof *mv);
    mv->t = t;
    mv->p = t->p;
    mv->dst = dst;
    mv->op = op;
    mv->ntiles = (int32_t)t->p->machine.tiles;
}

static int32_t temp_buf(Plan *p, const char *what, int32_t dst, IrOpId op) {
    StrBuf name;
    sb_init(&name);
    sb_printf(&name, "%s %s", what, p->bufs[dst].name);
    int32_t b = plan_add_buf(p, PLAN_BUF_TEMP, IR_NONE, op, name.data);
    sb_free(&name);
    return b;
}

/* Local copies the exchange can make instead, as a transfer from a tile
 * to itself: a move's exchange costs what its busiest tile receives, so a
 * tile that receives less has room for its copies' bytes there, and the
 * compute phase need not wait for a copy that moves 4 bytes a cycle (only
 * copies straight into the destination, in rows of SELF_ROW bytes). */
static void local_to_exchange(Mover *mv) {
    if (!mv->nxfers) return;
    int64_t *recv = xcalloc((size_t)mv->ntiles, sizeof *recv), most = 0;
    for (size_t i = 0; i < mv->nxfers; i++) recv[mv->xfers[i].to] += mv->xfers[i].len;
    for (int32_t k = 0; k < mv->ntiles; k++)
        if (recv[k] > most) most = recv[k];
    for (int32_t k = 0; k < mv->ntiles; k++) {
        Descs *l = &mv->copy_a[k];
        int64_t bytes = 0;
        bool all = l->n > 0;
        for (size_t i = 0; i < l->n && all; i++) {
            const Desc *d = &l->v[i];
            all = d->dbuf == mv->dst && (d->ni == 1 || d->ss == mv->es) &&
                  (d->ni == 1 || d->ds == mv->es) && d->ni * mv->es >= SELF_ROW;
            bytes += d->ni * d->no * mv->es;
        }
        if (!all || recv[k] + bytes > most) continue;
        for (size_t i = 0; i < l->n; i++) {
            const Desc *d = &l->v[i];
            for (int64_t o = 0; o < d->no; o++)
                add_xfer(mv, k, k, d->sbuf, d->s + o * d->so, d->dbuf, d->d + o * d->dso,
                         d->ni * mv->es);
        }
        recv[k] += bytes;
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
    }
    free(recv);
}

void move_into(Tiler *t, int32_t dst, MapNode *map, IrOpId op) {
    Plan *p = t->p;
    PlanBuf *db = &p->bufs[dst];
    bool is_const = db->kind == PLAN_BUF_CONST;
    if (!is_const) materialise_leaves(t, map);
    if (t->dry) return;
    Mover mv;
    mover_init(&mv, t, dst, op);
    mv.map = map;
    mv.es = (int64_t)dtype_size(p->bufs[dst].layout.dtype);
    if (!is_const) {
        mv.copy_a = xcalloc((size_t)mv.ntiles, sizeof *mv.copy_a);
        mv.copy_b = xcalloc((size_t)mv.ntiles, sizeof *mv.copy_b);
        mv.fills = xcalloc((size_t)mv.ntiles, sizeof *mv.fills);
        mv.pack_size = xcalloc((size_t)mv.ntiles, sizeof *mv.pack_size);
        mv.stage_size = xcalloc((size_t)mv.ntiles, sizeof *mv.stage_size);
        mv.packbuf = temp_buf(p, "send", dst, op);
        mv.stagebuf = temp_buf(p, "stage", dst, op);
        mv.hashcap = 64;
        mv.src_of = xmalloc(mv.hashcap * sizeof *mv.src_of);
        for (size_t i = 0; i < mv.hashcap; i++) mv.src_of[i] = -1;
    } else {
        db->data = ARENA_ARRAY(&p->arena, void *, (size_t)db->ntiles);
    }
    const PlanLayout *dl = &p->bufs[dst].layout;
    int32_t n = layout_ntiles(dl);
    if (is_const) {
        /* replicas of a block share its bytes */
        PlanLayout ul;
        layout_unique(dl, &ul);
        ul.base = 0;
        int32_t *first = xmalloc((size_t)n * sizeof *first);
        for (int32_t q = 0; q < n; q++) first[q] = -1;
        for (int32_t q = 0; q < n; q++) {
            int64_t blockc[IR_MAX_RANK];
            layout_block_of(dl, q, blockc);
            int32_t u = layout_tile_of_block(&ul, blockc);
            if (first[u] >= 0) {
                db->data[q] = db->data[first[u]];
                continue;
            }
            first[u] = q;
            db->data[q] = arena_alloc(&p->arena, db->size[q] ? db->size[q] : 1, 16);
            enumerate_tile(&mv, q, db->data[q]);
        }
        free(first);
        return;
    }
    for (int32_t q = 0; q < n; q++) enumerate_tile(&mv, q, NULL);
    for (int32_t k = 0; k < mv.ntiles; k++) {
        if (mv.pack_size[k]) add_temp_tile(p, mv.packbuf, k, mv.pack_size[k]);
        if (mv.stage_size[k]) add_temp_tile(p, mv.stagebuf, k, mv.stage_size[k]);
    }
    StrBuf what;
    sb_init(&what);
    sb_printf(&what, "into %s", p->bufs[dst].name);
    local_to_exchange(&mv);
    int32_t first_task = p->ntasks;
    descs_task(&mv, mv.fills, PLAN_FILL, what.data);
    /* fills read nothing: run early, they would hold the buffer from the
     * start (docs/backend.md, "Constants, when they do not fit") */
    if (t->pc->save_memory)
        for (int32_t i = first_task; i < p->ntasks; i++) p->tasks[i].late = true;
    descs_task(&mv, mv.copy_a, PLAN_COPY, what.data);
    xchg_task(&mv);
    descs_task(&mv, mv.copy_b, PLAN_COPY, what.data);
    sb_free(&what);
    free(mv.copy_a);
    free(mv.copy_b);
    free(mv.fills);
    free(mv.pack_size);
    free(mv.stage_size);
    free(mv.xfers);
    free(mv.src);
    free(mv.src_of);
    for (size_t i = 0; i < mv.npacks; i++) free(mv.packs[i].runs);
    free(mv.packs);
    free(mv.pack_of);
    free(mv.strides);
}

void move_pieces(Tiler *t, int32_t dst, const PlanXfer *pieces, size_t n, IrOpId op) {
    if (t->dry) return;
    Plan *p = t->p;
    Mover mv;
    mover_init(&mv, t, dst, op);
    mv.copy_a = xcalloc((size_t)mv.ntiles, sizeof *mv.copy_a);
    /* local copies move bytes: in 8-byte words when every piece allows */
    mv.es = 8;
    for (size_t i = 0; i < n; i++)
        if ((pieces[i].soff | pieces[i].doff | pieces[i].len) % 8) mv.es = 1;
    for (size_t i = 0; i < n; i++) {
        const PlanXfer *x = &pieces[i];
        if (!x->len) continue;
        if (x->from == x->to) {
            Run r = {x->soff, x->doff, x->len / mv.es, mv.es, mv.es};
            descs_add_run(&mv.copy_a[x->to], x->sbuf, x->dbuf, &r, 0);
        } else {
            add_xfer(&mv, x->from, x->to, x->sbuf, x->soff, x->dbuf, x->doff, x->len);
        }
    }
    StrBuf what;
    sb_init(&what);
    sb_printf(&what, "into %s", p->bufs[dst].name);
    descs_task(&mv, mv.copy_a, PLAN_COPY, what.data);
    xchg_task(&mv);
    sb_free(&what);
    free(mv.copy_a);
    free(mv.xfers);
}

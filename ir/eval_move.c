/*
 * Evaluator: data movement. Every result element is a copy of one input
 * element (or a pad value), found by mapping the result's multi-index back
 * to the input's.
 */
#include "eval.h"

#include <string.h>

/* reshape, flatten, squeeze, unsqueeze: C order is unchanged. */
int ir_eval_copy(IrEval *c) {
    for (int64_t j = 0; j < c->out[0]->count; j++) ev_copy(c->out[0], j, c->in[0], j);
    return 0;
}

int ir_eval_constant(IrEval *c) {
    const IrConst *k = &c->g->consts[ir_attr(c->g, c->op, "value")->u.tensor];
    ev_load(c->out[0], k->data);
    return 0;
}

int ir_eval_transpose(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    int n;
    const int64_t *perm = ir_attr_ints(c->g, c->op, "perm", &n);
    int64_t xs[IR_MAX_RANK], idx[IR_MAX_RANK];
    ev_strides(&x->type, xs);
    for (int64_t j = 0; j < y->count; j++) {
        ev_unflatten(&y->type, j, idx);
        int64_t k = 0;
        for (int i = 0; i < n; i++) k += idx[i] * xs[perm[i]];
        ev_copy(y, j, x, k);
    }
    return 0;
}

int ir_eval_expand(IrEval *c) {
    EvTensor *y = c->out[0];
    for (int64_t j = 0; j < y->count; j++)
        ev_copy(y, j, c->in[0], ev_bcast_index(&c->in[0]->type, &y->type, j));
    return 0;
}

int ir_eval_tile(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    int64_t xs[IR_MAX_RANK], idx[IR_MAX_RANK];
    ev_strides(&x->type, xs);
    for (int64_t j = 0; j < y->count; j++) {
        ev_unflatten(&y->type, j, idx);
        int64_t k = 0;
        for (int i = 0; i < x->type.rank; i++) k += (idx[i] % x->type.dims[i]) * xs[i];
        ev_copy(y, j, x, k);
    }
    return 0;
}

/* Sizes around an axis: outer (before it) and inner (after it). */
static void around(const IrType *t, int axis, int64_t *outer, int64_t *inner) {
    *outer = *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= t->dims[i];
    for (int i = axis + 1; i < t->rank; i++) *inner *= t->dims[i];
}

int ir_eval_concat(IrEval *c) {
    EvTensor *y = c->out[0];
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), y->type.rank);
    int64_t outer, inner, j = 0;
    around(&y->type, axis, &outer, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < c->nin; i++) {
            int64_t block = c->in[i]->type.dims[axis] * inner;
            for (int64_t k = 0; k < block; k++) ev_copy(y, j++, c->in[i], o * block + k);
        }
    return 0;
}

int ir_eval_split(IrEval *c) {
    const EvTensor *x = c->in[0];
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), x->type.rank);
    int64_t outer, inner, j = 0;
    around(&x->type, axis, &outer, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < c->nout; i++) {
            int64_t block = c->out[i]->type.dims[axis] * inner;
            for (int64_t k = 0; k < block; k++) ev_copy(c->out[i], o * block + k, x, j++);
        }
    return 0;
}

int ir_eval_slice(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    int n;
    const int64_t *starts = ir_attr_ints(c->g, c->op, "starts", &n);
    const int64_t *ends = ir_attr_ints(c->g, c->op, "ends", &n);
    const int64_t *axes = ir_attr_ints(c->g, c->op, "axes", &n);
    const int64_t *steps = ir_attr_ints(c->g, c->op, "steps", &n);
    int64_t first[IR_MAX_RANK], step[IR_MAX_RANK], xs[IR_MAX_RANK], idx[IR_MAX_RANK];
    for (int i = 0; i < x->type.rank; i++) first[i] = 0, step[i] = 1;
    for (int i = 0; i < n; i++) {
        int a = ir_norm_axis(axes[i], x->type.rank);
        int64_t len;
        ir_slice_axis(x->type.dims[a], starts[i], ends[i], steps[i], &first[a], &len);
        step[a] = steps[i];
    }
    ev_strides(&x->type, xs);
    for (int64_t j = 0; j < y->count; j++) {
        ev_unflatten(&y->type, j, idx);
        int64_t k = 0;
        for (int i = 0; i < x->type.rank; i++) k += (first[i] + idx[i] * step[i]) * xs[i];
        ev_copy(y, j, x, k);
    }
    return 0;
}

int ir_eval_pad(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    int n, rank = x->type.rank;
    const int64_t *pads = ir_attr_ints(c->g, c->op, "pads", &n);
    const char *mode = ir_attr_str(c->g, c->op, "mode");
    bool reflect = strcmp(mode, "reflect") == 0, edge = strcmp(mode, "edge") == 0;
    double value = EV_ATTR_FLOAT(c, "value");
    int64_t xs[IR_MAX_RANK], idx[IR_MAX_RANK];
    ev_strides(&x->type, xs);
    for (int64_t j = 0; j < y->count; j++) {
        ev_unflatten(&y->type, j, idx);
        int64_t k = 0;
        bool outside = false;
        for (int i = 0; i < rank; i++) {
            int64_t d = x->type.dims[i], p = idx[i] - pads[i];
            if (p < 0 || p >= d) {
                if (reflect) /* mirror about the edge element, which is not repeated */
                    p = p < 0 ? -p : 2 * (d - 1) - p;
                else if (edge)
                    p = p < 0 ? 0 : d - 1;
                else
                    outside = true;
            }
            k += p * xs[i];
        }
        if (!outside)
            ev_copy(y, j, x, k);
        else if (y->f)
            ev_setf(y, j, value);
        else
            y->i[j] = ev_saturate(y->type.dtype, value);
    }
    return 0;
}

int ir_eval_gather(IrEval *c) {
    const EvTensor *x = c->in[0], *indices = c->in[1];
    EvTensor *y = c->out[0];
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), x->type.rank);
    int64_t outer, inner, dim = x->type.dims[axis], nidx = indices->count;
    around(&x->type, axis, &outer, &inner);
    for (int64_t t = 0; t < nidx; t++) {
        int64_t k = indices->i[t];
        if (k < -dim || k >= dim)
            return ev_error(c, "index %lld is out of range for axis %d of size %lld", (long long)k,
                            axis, (long long)dim);
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t t = 0; t < nidx; t++) {
            int64_t k = indices->i[t];
            if (k < 0) k += dim;
            for (int64_t r = 0; r < inner; r++)
                ev_copy(y, (o * nidx + t) * inner + r, x, (o * dim + k) * inner + r);
        }
    return 0;
}

int ir_eval_gather_elements(IrEval *c) {
    const EvTensor *x = c->in[0], *indices = c->in[1];
    EvTensor *y = c->out[0];
    int rank = x->type.rank, axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), rank);
    int64_t dim = x->type.dims[axis], xs[IR_MAX_RANK], idx[IR_MAX_RANK];
    ev_strides(&x->type, xs);
    for (int64_t j = 0; j < indices->count; j++) {
        int64_t k = indices->i[j];
        if (k < -dim || k >= dim)
            return ev_error(c, "index %lld is out of range for axis %d of size %lld", (long long)k,
                            axis, (long long)dim);
        ev_unflatten(&indices->type, j, idx);
        idx[axis] = k < 0 ? k + dim : k;
        int64_t at = 0;
        for (int d = 0; d < rank; d++) at += idx[d] * xs[d];
        ev_copy(y, j, x, at);
    }
    return 0;
}

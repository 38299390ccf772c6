/*
 * Evaluator: reductions over axes, argmax and argmin.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* For each input dimension, the stride of the matching result dimension,
 * or 0 when the dimension is reduced (mask). y keeps reduced dimensions as
 * size 1 when its rank is x's. */
static void result_strides(const bool *mask, const EvTensor *x, const EvTensor *y, int64_t *st) {
    bool keep = y->type.rank == x->type.rank;
    int64_t ys[IR_MAX_RANK];
    ev_strides(&y->type, ys);
    for (int i = 0, k = 0; i < x->type.rank; i++) {
        if (!mask[i])
            st[i] = ys[k++];
        else {
            st[i] = 0;
            if (keep) k++;
        }
    }
}

int ir_eval_reduce(IrEval *c) {
    int n;
    const int64_t *axes = ir_attr_ints(c->g, c->op, "axes", &n);
    bool noop = EV_ATTR_BOOL(c, "noop_with_empty_axes");
    bool mask[IR_MAX_RANK];
    const EvTensor *x = c->in[0];
    for (int i = 0; i < x->type.rank; i++) mask[i] = n == 0 && !noop;
    for (int i = 0; i < n; i++) mask[ir_norm_axis(axes[i], x->type.rank)] = true;
    ev_reduce(c->kind, mask, x, c->out[0]);
    return 0;
}

void ev_reduce(IrOpKind k, const bool *mask, const EvTensor *x, EvTensor *y) {
    int64_t st[IR_MAX_RANK], idx[IR_MAX_RANK];
    result_strides(mask, x, y, st);
    size_t ny = (size_t)(y->count ? y->count : 1);
    int64_t *map = xmalloc((size_t)(x->count ? x->count : 1) * sizeof *map);
    int64_t *count = xcalloc(ny, sizeof *count);
    for (int64_t j = 0; j < x->count; j++) {
        ev_unflatten(&x->type, j, idx);
        int64_t o = 0;
        for (int i = 0; i < x->type.rank; i++) o += idx[i] * st[i];
        map[j] = o;
        count[o]++;
    }
    if (y->f) {
        double *acc = xmalloc(ny * sizeof *acc), *max = xmalloc(ny * sizeof *max);
        double init = k == IR_OP_reduce_prod  ? 1
                      : k == IR_OP_reduce_max ? -INFINITY
                      : k == IR_OP_reduce_min ? INFINITY
                                              : 0;
        for (size_t o = 0; o < ny; o++) acc[o] = init, max[o] = -INFINITY;
        if (k == IR_OP_reduce_log_sum_exp) /* subtract the max so exp cannot overflow */
            for (int64_t j = 0; j < x->count; j++) max[map[j]] = fmax(max[map[j]], x->f[j]);
        for (int64_t j = 0; j < x->count; j++) {
            double v = x->f[j], *a = &acc[map[j]];
            switch (k) {
            case IR_OP_reduce_max: *a = isnan(v) || isnan(*a) ? NAN : fmax(*a, v); break;
            case IR_OP_reduce_min: *a = isnan(v) || isnan(*a) ? NAN : fmin(*a, v); break;
            case IR_OP_reduce_prod: *a *= v; break;
            case IR_OP_reduce_l1: *a += fabs(v); break;
            case IR_OP_reduce_l2:
            case IR_OP_reduce_sum_square: *a += v * v; break;
            case IR_OP_reduce_log_sum_exp: *a += exp(v - max[map[j]]); break;
            default: *a += v; break; /* sum, mean, log_sum */
            }
        }
        for (size_t o = 0; o < (size_t)y->count; o++) {
            double v = acc[o];
            if (k == IR_OP_reduce_mean) v /= (double)count[o];
            if (k == IR_OP_reduce_l2) v = sqrt(v);
            if (k == IR_OP_reduce_log_sum) v = log(v);
            if (k == IR_OP_reduce_log_sum_exp) v = isinf(max[o]) ? max[o] : max[o] + log(v);
            ev_setf(y, (int64_t)o, v);
        }
        free(acc);
        free(max);
    } else {
        uint64_t *acc = xmalloc(ny * sizeof *acc); /* unsigned: sums and products wrap */
        for (size_t o = 0; o < ny; o++) acc[o] = k == IR_OP_reduce_prod ? 1 : 0;
        bool *seen = xcalloc(ny, sizeof *seen);
        for (int64_t j = 0; j < x->count; j++) {
            int64_t v = x->i[j];
            uint64_t *a = &acc[map[j]];
            bool first = !seen[map[j]];
            seen[map[j]] = true;
            switch (k) {
            case IR_OP_reduce_max: *a = first || v > (int64_t)*a ? (uint64_t)v : *a; break;
            case IR_OP_reduce_min: *a = first || v < (int64_t)*a ? (uint64_t)v : *a; break;
            case IR_OP_reduce_prod: *a *= (uint64_t)v; break;
            case IR_OP_reduce_l1: *a += v < 0 ? 0 - (uint64_t)v : (uint64_t)v; break;
            case IR_OP_reduce_sum_square: *a += (uint64_t)v * (uint64_t)v; break;
            default: *a += (uint64_t)v; break; /* sum, mean */
            }
        }
        for (size_t o = 0; o < (size_t)y->count; o++) {
            int64_t v = (int64_t)acc[o];
            if (k == IR_OP_reduce_mean) v = count[o] ? v / count[o] : 0;
            ev_seti(y, (int64_t)o, v);
        }
        free(acc);
        free(seen);
    }
    free(map);
    free(count);
}

/* NumPy's argmax/argmin: the first extreme element, and NaN counts as the
 * extreme; select_last_index takes the last one instead. */
int ir_eval_arg_reduce(IrEval *c) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    bool is_max = c->kind == IR_OP_argmax, last = EV_ATTR_BOOL(c, "select_last_index");
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), x->type.rank);
    int64_t len = x->type.dims[axis], inner = 1, outer = 1;
    for (int i = 0; i < axis; i++) outer *= x->type.dims[i];
    for (int i = axis + 1; i < x->type.rank; i++) inner *= x->type.dims[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t r = 0; r < inner; r++) {
            int64_t base = o * len * inner + r, best = 0;
            for (int64_t k = 1; k < len; k++) {
                double v = ev_get(x, base + k * inner), b = ev_get(x, base + best * inner);
                bool better, same;
                if (x->f) {
                    better = isnan(v) ? !isnan(b) : !isnan(b) && (is_max ? v > b : v < b);
                    same = v == b || (isnan(v) && isnan(b));
                } else {
                    int64_t iv = x->i[base + k * inner], ib = x->i[base + best * inner];
                    better = is_max ? iv > ib : iv < ib;
                    same = iv == ib;
                }
                if (better || (last && same)) best = k;
            }
            y->i[o * inner + r] = best;
        }
    return 0;
}

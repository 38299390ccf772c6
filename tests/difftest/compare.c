/*
 * Inputs, tolerances and comparison for difftest (difftest.h).
 *
 * Tolerances, per output dtype (docs/passes.md, "Testing"):
 *
 *   integers, bool, and any output of an exact graph: equal values
 *   f32:  |got - want| <= 1e-5 * scale + 1e-4 * |want|
 *   f16:  |got - want| <= 2e-3 * scale + 1e-2 * |want|
 *   bf16: |got - want| <= 2e-2 * scale + 5e-2 * |want|
 *
 * with scale = max(1, largest |want| of the output): errors of a rounding
 * step are relative to the values it rounds, which an output's largest
 * element bounds better than each element (a sum near zero from large
 * terms). NaN must match NaN and infinities must be equal in every case.
 */
#include "difftest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

NpyArray *dt_inputs(const IrGraph *g, uint64_t seed) {
    NpyArray *in = calloc((size_t)g->ninputs + 1, sizeof *in);
    if (!in) ice("out of memory");
    for (int i = 0; i < g->ninputs; i++) {
        const IrType *t = &g->vals[g->inputs[i]].type;
        npy_alloc(&in[i], t->dtype, t->rank, t->dims);
        uint64_t s = seed * 7919 + (uint64_t)i;
        AccDtype dt = t->dtype;
        if (dtype_flags(dt) & DT_FLOAT)
            ir_init_normal(dt, in[i].data, in[i].count, s, 1.0);
        else if (dt == ACC_DTYPE_BOOL)
            ir_init_uniform(dt, in[i].data, in[i].count, s, 0, 2);
        else if (dt == ACC_DTYPE_U8)
            ir_init_uniform(dt, in[i].data, in[i].count, s, 0, 16);
        else
            ir_init_uniform(dt, in[i].data, in[i].count, s, -8, 8);
    }
    return in;
}

void dt_inputs_free(const IrGraph *g, NpyArray *inputs) {
    for (int i = 0; i < g->ninputs; i++) npy_free(&inputs[i]);
    free(inputs);
}

DtTolerance dt_tolerance(AccDtype dt) {
    switch (dt) {
    case ACC_DTYPE_F32: return (DtTolerance){1e-4, 1e-5};
    case ACC_DTYPE_F16: return (DtTolerance){1e-2, 2e-3};
    case ACC_DTYPE_BF16: return (DtTolerance){5e-2, 2e-2};
    default: return (DtTolerance){0, 0};
    }
}

bool dt_compare(const DtGraph *t, int k, const NpyArray *got, const NpyArray *want, char *msg,
                size_t msglen) {
    DtTolerance tol = t->exact ? (DtTolerance){0, 0} : dt_tolerance(want->dtype);
    return dt_compare_tol(t, k, got, want, tol, msg, msglen);
}

bool dt_compare_tol(const DtGraph *t, int k, const NpyArray *got, const NpyArray *want,
                    DtTolerance tol, char *msg, size_t msglen) {
    const char *name = t->g->outputs[k].name;
    bool shape_ok = got->dtype == want->dtype && got->ndim == want->ndim;
    for (int i = 0; shape_ok && i < got->ndim; i++) shape_ok = got->shape[i] == want->shape[i];
    if (!shape_ok) {
        snprintf(msg, msglen, "output %s: dtype or shape differs", name);
        return false;
    }
    bool ints = !(dtype_flags(want->dtype) & DT_FLOAT);
    if (ints) {
        size_t bytes = want->count * dtype_size(want->dtype);
        if (bytes && memcmp(got->data, want->data, bytes) != 0) {
            for (size_t i = 0; i < want->count; i++) {
                double g = dtype_get(got->dtype, got->data, i),
                       w = dtype_get(want->dtype, want->data, i);
                if (g != w) {
                    snprintf(msg, msglen, "output %s: element %zu is %.17g, want %.17g (exact)",
                             name, i, g, w);
                    return false;
                }
            }
            snprintf(msg, msglen, "output %s: bytes differ", name);
            return false;
        }
        return true;
    }
    double scale = 1;
    for (size_t i = 0; i < want->count; i++) {
        double w = fabs(dtype_get(want->dtype, want->data, i));
        if (isfinite(w) && w > scale) scale = w;
    }
    for (size_t i = 0; i < want->count; i++) {
        double g = dtype_get(got->dtype, got->data, i), w = dtype_get(want->dtype, want->data, i);
        if (isnan(g) && isnan(w)) continue;
        if (g == w) continue;
        if (isfinite(g) && isfinite(w) && fabs(g - w) <= tol.atol * scale + tol.rtol * fabs(w))
            continue;
        snprintf(msg, msglen,
                 "output %s: element %zu is %.9g, want %.9g (%s, rtol %g, atol %g x %g)", name, i,
                 g, w, t->exact ? "exact" : dtype_name(want->dtype), tol.rtol, tol.atol, scale);
        return false;
    }
    return true;
}

int dt_check(const DtGraph *t, const IrGraph *b, char *msg, size_t msglen) {
    const IrGraph *a = t->g;
    if (a->ninputs != b->ninputs || a->noutputs != b->noutputs) {
        snprintf(msg, msglen, "the graphs have different inputs or outputs");
        return -1;
    }
    NpyArray *in = dt_inputs(a, t->seed);
    NpyArray *want = calloc((size_t)a->noutputs, sizeof *want);
    NpyArray *got = calloc((size_t)a->noutputs, sizeof *got);
    char err[512];
    int rc = 0;
    if (ir_eval(a, in, want, err, sizeof err) != 0) {
        snprintf(msg, msglen, "reference evaluation failed: %s", err);
        rc = -1;
    } else if (ir_eval(b, in, got, err, sizeof err) != 0) {
        snprintf(msg, msglen, "evaluation of the transformed graph failed: %s", err);
        rc = -1;
        for (int k = 0; k < a->noutputs; k++) npy_free(&want[k]);
    } else {
        for (int k = 0; k < a->noutputs; k++) {
            if (rc == 0 && !dt_compare(t, k, &got[k], &want[k], msg, msglen)) rc = 1;
            npy_free(&got[k]);
            npy_free(&want[k]);
        }
    }
    free(want);
    free(got);
    dt_inputs_free(a, in);
    return rc;
}

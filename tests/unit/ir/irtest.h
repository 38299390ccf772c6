/*
 * Helpers shared by the IR unit tests: graphs from IR text, arrays from
 * literal values, evaluation, comparison. Header-only (static functions).
 */
#ifndef ACCC_IRTEST_H
#define ACCC_IRTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* A graph from IR text that must parse and verify. */
static inline IrGraph *parse_ok(const char *text) {
    Diag d;
    diag_init(&d, "test", stderr);
    IrGraph *g = ir_parse("test.ir", text, strlen(text), NULL, &d);
    if (!g) fail_msg("IR text did not parse:\n%s", text);
    diag_free(&d);
    return g;
}

/* An array of dtype t and the given shape holding vals (dtype_set rules). */
static inline NpyArray make_array(AccDtype t, int rank, const int64_t *dims, const double *vals) {
    NpyArray a;
    npy_alloc(&a, t, rank, dims);
    for (size_t i = 0; i < a.count; i++) dtype_set(t, a.data, i, vals[i]);
    return a;
}
#define ARR(t, dims, ...)                                                                          \
    make_array(t, (int)(sizeof(dims) / sizeof((dims)[0])), dims, (const double[]){__VA_ARGS__})
#define SCALAR(t, v) make_array(t, 0, NULL, (const double[]){v})
#define DIMS(...)    ((const int64_t[]){__VA_ARGS__})

/* Evaluate; fails the test on an error. outputs get g->noutputs arrays. */
static inline void eval_ok(const IrGraph *g, NpyArray *inputs, NpyArray *outputs) {
    char err[512];
    if (ir_eval(g, inputs, outputs, err, sizeof err) != 0) fail_msg("evaluation failed: %s", err);
}

/* Parse, evaluate with inputs, free the inputs; returns the first output. */
static inline NpyArray run1(const char *text, int nin, NpyArray *inputs) {
    IrGraph *g = parse_ok(text);
    NpyArray out[IR_MAX_RESULTS];
    eval_ok(g, inputs, out);
    for (int i = 0; i < nin; i++) npy_free(&inputs[i]);
    for (int i = 1; i < g->noutputs; i++) npy_free(&out[i]);
    ir_graph_free(g);
    return out[0];
}

/* a holds exactly want (bitwise equal as doubles; NaN matches NaN), and has
 * dtype t and n elements. Frees a. */
static inline void expect_values(NpyArray *a, AccDtype t, size_t n, const double *want) {
    assert_int_equal(a->dtype, t);
    assert_int_equal(a->count, n);
    for (size_t i = 0; i < n; i++) {
        double got = dtype_get(a->dtype, a->data, i);
        if (isnan(want[i]) && isnan(got)) continue;
        if (got != want[i] || signbit(got) != signbit(want[i]))
            fail_msg("element %zu: got %.17g, want %.17g", i, got, want[i]);
    }
    npy_free(a);
}
#define EXPECT(a, t, ...)                                                                          \
    expect_values(&(a), t, sizeof((const double[]){__VA_ARGS__}) / sizeof(double),                 \
                  (const double[]){__VA_ARGS__})

/* Within tol of want. Frees a. */
static inline void expect_close(NpyArray *a, size_t n, const double *want, double tol) {
    assert_int_equal(a->count, n);
    for (size_t i = 0; i < n; i++) {
        double got = dtype_get(a->dtype, a->data, i);
        if (!(fabs(got - want[i]) <= tol))
            fail_msg("element %zu: got %.17g, want %.17g (tolerance %g)", i, got, want[i], tol);
    }
    npy_free(a);
}
#define EXPECT_CLOSE(a, tol, ...)                                                                  \
    expect_close(&(a), sizeof((const double[]){__VA_ARGS__}) / sizeof(double),                     \
                 (const double[]){__VA_ARGS__}, tol)

/* The IR text of g. Caller frees. */
static inline char *print_ir(const IrGraph *g) {
    StrBuf sb;
    sb_init(&sb);
    ir_print(&sb, g, NULL);
    return sb_take(&sb);
}

#endif

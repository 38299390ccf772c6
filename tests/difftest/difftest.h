/*
 * difftest — seeded random graphs for differential testing, and the
 * comparison of two evaluations of a graph within a stated tolerance.
 *
 * A test draws small random graphs (random shapes with broadcasting, chains
 * of elementwise, matmul, convolution, pooling, reduction, normalisation
 * and data-movement ops over f32, f16, bf16, i32 and i8), transforms each
 * (the middle end's pipeline; later: compile and simulate), evaluates both
 * on the same seeded inputs and compares every output:
 *
 *   DtOptions o;
 *   dt_options_default(&o);
 *   DtGraph t;
 *   dt_generate(seed, &o, &t);            t.g: a verified graph
 *   NpyArray *in = dt_inputs(t.g, seed);  one array per input
 *   ... ir_eval(t.g, in, want, ...) and the same inputs through the
 *       transformed graph or the compiled binary into got ...
 *   dt_compare(&t, k, &got[k], &want[k], msg, sizeof msg)  for each output k
 *   dt_inputs_free(t.g, in); dt_graph_free(&t);
 *
 * The same seed gives the same graph and inputs on every host. Tolerances
 * (dt_tolerance, docs/passes.md): exact (bit for bit, NaN matching NaN) for
 * integer outputs and for graphs made only of data movement and exact ops
 * (t.exact); otherwise per dtype, relative to the size of the output.
 *
 * The library is accc_difftest (tests/difftest/); the runner that checks
 * the middle end is difftest.c in the same directory.
 */
#ifndef ACCC_DIFFTEST_H
#define ACCC_DIFFTEST_H

#include "ir.h"

/* Op families a generated graph may use. */
enum {
    DT_EW = 1 << 0,     /* elementwise: arithmetic, activations, comparisons, casts */
    DT_MATMUL = 1 << 1, /* matmul, gemm, matmul_integer */
    DT_CONV = 1 << 2,   /* convolutions (1-D, 2-D, transposed), pooling */
    DT_REDUCE = 1 << 3, /* reductions, argmax/argmin, global pooling */
    DT_MOVE = 1 << 4,   /* reshape, transpose, slice, pad, concat, split, tile, gather, ... */
    DT_NORM = 1 << 5,   /* softmax, log_softmax, layer/batch/instance norm, quantisation */
    DT_ALL = (1 << 6) - 1,
};

typedef struct DtOptions {
    int max_ops;          /* at most this many ops besides constants (default 16) */
    int max_rank;         /* tensor ranks 1..max_rank (default 4, at most 5) */
    int64_t max_dim;      /* dimensions 1..max_dim (default 6) */
    int64_t max_elements; /* no value larger than this (default 4096) */
    unsigned families;    /* DT_* (default DT_ALL) */
    unsigned dtypes;      /* 1 << AccDtype for each main dtype allowed (default f32 f16
                             bf16 i32 i8) */
} DtOptions;

typedef struct DtGraph {
    IrGraph *g;     /* the graph, verified */
    AccDtype dtype; /* its main dtype */
    bool exact;     /* both evaluations must agree bit for bit */
    uint64_t seed;
} DtGraph;

typedef struct DtTolerance {
    double rtol, atol; /* |got - want| <= atol * scale + rtol * |want|, scale = max(1, max|want|) */
} DtTolerance;

void dt_options_default(DtOptions *o);
/* Make graph number seed under o into t. */
void dt_generate(uint64_t seed, const DtOptions *o, DtGraph *t);
void dt_graph_free(DtGraph *t);
/* Seeded inputs for g: floats from N(0, 1), integers in [-8, 8), bools. */
NpyArray *dt_inputs(const IrGraph *g, uint64_t seed);
void dt_inputs_free(const IrGraph *g, NpyArray *inputs);
/* The tolerance for an output of dtype dt (zero for integers and bool). */
DtTolerance dt_tolerance(AccDtype dt);
/* Does got match want (output k of t's graph)? On a mismatch, msg says
 * where and by how much. */
bool dt_compare(const DtGraph *t, int k, const NpyArray *got, const NpyArray *want, char *msg,
                size_t msglen);
/* dt_compare with the tolerance tol for float outputs (integers: exact). */
bool dt_compare_tol(const DtGraph *t, int k, const NpyArray *got, const NpyArray *want,
                    DtTolerance tol, char *msg, size_t msglen);
/* Evaluate a and b (same inputs and outputs) on dt_inputs(a, seed) and
 * compare every output as dt_compare does: 0 if they agree, 1 if they
 * differ, -1 if either evaluation fails (message in msg). */
int dt_check(const DtGraph *t, const IrGraph *b, char *msg, size_t msglen);

#endif

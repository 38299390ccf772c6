/*
 * What the DSL and IR fuzz targets share: a quiet Diag, and the checks run
 * on every graph a parser accepts — it verifies, its IR text parses back to
 * the same text, its DSL text lowers to a graph with the same IR text, and
 * (when small) it evaluates on zero inputs without a crash.
 */
#ifndef ACCC_FUZZ_MODEL_H
#define ACCC_FUZZ_MODEL_H

#include "frontend.h"

#include <stdlib.h>
#include <string.h>

enum {
    FUZZ_MAX_CONST = 1 << 20,
    FUZZ_MAX_OPS = 20000, /* inlining can multiply a small input into many ops */
    FUZZ_MAX_EVAL_ELEMENTS = 1 << 14,
    FUZZ_MAX_EVAL_OPS = 256,
    FUZZ_MAX_WINDOW_WORK = 1 << 22, /* output elements x window volume of a conv or pool */
};

static FILE *fuzz_sink(void) {
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    return sink;
}

static void fuzz_diag(Diag *d) {
    diag_init(d, "fuzz", fuzz_sink());
    d->max_errors = 20;
}

static char *fuzz_print(const IrGraph *g) {
    StrBuf sb;
    sb_init(&sb);
    ir_print(&sb, g, NULL);
    return sb_take(&sb);
}

static IrGraph *fuzz_reparse(const char *text) {
    Diag d;
    fuzz_diag(&d);
    IrParseOptions po;
    memset(&po, 0, sizeof po);
    po.no_files = true;
    po.max_const_bytes = FUZZ_MAX_CONST;
    IrGraph *g = ir_parse("again.ir", text, strlen(text), &po, &d);
    diag_free(&d);
    return g;
}

/* A convolution's or pooling op's work: every output element visits the
 * whole window, however small the tensors are. */
static bool window_small(const IrGraph *g, IrOpId id) {
    if (!ir_op_spatial_rank(g->ops[id].kind)) return true;
    IrWindow w;
    ir_window(g, id, &w);
    double work = (double)ir_type_count(&g->vals[g->ops[id].out[0]].type);
    for (int i = 0; i < w.nsp; i++) work *= (double)w.kernel[i];
    if (ir_attr_slot(g->ops[id].kind, "groups") >= 0) /* and each input channel of a group */
        work *= (double)g->vals[g->ops[id].in[1]].type.dims[1];
    return work <= FUZZ_MAX_WINDOW_WORK;
}

static bool small_enough(const IrGraph *g) {
    if (g->nops > FUZZ_MAX_EVAL_OPS) return false;
    for (int32_t v = 1; v < g->nvals; v++)
        if (ir_type_count(&g->vals[v].type) > FUZZ_MAX_EVAL_ELEMENTS) return false;
    ir_for_each_op(g, id) if (!window_small(g, id)) return false;
    return true;
}

static void fuzz_check_graph(IrGraph *g) {
    if (!ir_verify(g, NULL)) abort();
    char *text = fuzz_print(g);
    IrGraph *again = fuzz_reparse(text);
    if (!again) abort(); /* printed text must parse */
    char *text2 = fuzz_print(again);
    if (strcmp(text, text2) != 0) abort(); /* and print the same */
    ir_graph_free(again);
    free(text2);

    StrBuf dsl;
    sb_init(&dsl);
    fe_emit_dsl(&dsl, g, NULL);
    Diag d;
    fuzz_diag(&d);
    FeOptions fo;
    memset(&fo, 0, sizeof fo);
    fo.no_files = true;
    fo.max_const_bytes = FUZZ_MAX_CONST;
    fo.max_ops = FUZZ_MAX_OPS;
    IrGraph *from_dsl = fe_dsl_parse("emitted.g", dsl.data, dsl.len, ".", &fo, &d);
    if (!from_dsl) abort(); /* emitted DSL must lower */
    diag_free(&d);
    ir_graph_free(from_dsl);
    sb_free(&dsl);
    free(text);

    if (!small_enough(g)) return;
    NpyArray *in = calloc((size_t)g->ninputs + 1, sizeof *in);
    NpyArray *out = calloc((size_t)g->noutputs + 1, sizeof *out);
    for (int i = 0; i < g->ninputs; i++) {
        const IrType *t = &g->vals[g->inputs[i]].type;
        npy_alloc(&in[i], t->dtype, t->rank, t->dims);
    }
    char err[512];
    if (ir_eval(g, in, out, err, sizeof err) == 0)
        for (int i = 0; i < g->noutputs; i++) npy_free(&out[i]);
    for (int i = 0; i < g->ninputs; i++) npy_free(&in[i]);
    free(in);
    free(out);
}

#endif

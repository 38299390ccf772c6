/*
 * The ways onnx-conform runs a model (conform.h). To add one, write a
 * function with ConformMode's run signature and add a row to
 * conform_modes[]; give it its own known_failures.MODE.txt and a ctest in
 * CMakeLists.txt.
 */
#include "accsim.h"
#include "backend.h"
#include "conform.h"

#include <stdlib.h>
#include <string.h>

bool conform_convert(const NpyArray *a, AccDtype t, NpyArray *out) {
    bool narrow = a->dtype == ACC_DTYPE_F64 && (dtype_flags(t) & DT_FLOAT);
    bool to_bf16 = a->dtype == ACC_DTYPE_F32 && t == ACC_DTYPE_BF16;
    if (a->dtype != t && !narrow && !to_bf16) return false;
    npy_alloc(out, t, a->ndim, a->shape);
    if (a->dtype == t)
        memcpy(out->data, a->data, a->count * dtype_size(t));
    else
        for (size_t k = 0; k < a->count; k++)
            dtype_set(t, out->data, k, dtype_get(a->dtype, a->data, k));
    return true;
}

/* The inputs of g, in g's order, from the run's named inputs. */
static bool gather_inputs(const IrGraph *g, const ConformRun *r, NpyArray *in, char *err,
                          size_t errlen) {
    for (int i = 0; i < g->ninputs; i++) {
        const IrValue *v = &g->vals[g->inputs[i]];
        int k = 0;
        while (k < r->ninputs && strcmp(r->input_names[k], v->name) != 0) k++;
        bool ok = k < r->ninputs && conform_convert(&r->inputs[k], v->type.dtype, &in[i]);
        if (!ok) {
            snprintf(err, errlen, "no test data fits input '%s' (%s)", v->name,
                     ir_type_str(&v->type));
            for (int j = 0; j < i; j++) npy_free(&in[j]);
            return false;
        }
    }
    return true;
}

/* What a mode does with the imported graph g and its test inputs. */
typedef ConformStatus RunGraph(ConformRun *r, IrGraph *g, const NpyArray *in, char *err,
                               size_t errlen);

/* Import the model, check its outputs against the test's and bind its
 * inputs, then run: the part every mode shares. */
static ConformStatus run_imported(ConformRun *r, RunGraph *run, char *err, size_t errlen) {
    IrGraph *g = fe_onnx_import_model(r->model, r->opts, r->diag);
    if (!g) return CONFORM_NOT_IMPORTED;
    ConformStatus status = CONFORM_FAILED;
    NpyArray *in = xcalloc((size_t)g->ninputs + 1, sizeof *in);
    if (g->noutputs != r->noutputs) {
        snprintf(err, errlen, "the model has %d outputs, the test %d", g->noutputs, r->noutputs);
    } else if (gather_inputs(g, r, in, err, errlen)) {
        status = run(r, g, in, err, errlen);
        for (int i = 0; i < g->ninputs; i++) npy_free(&in[i]);
    }
    free(in);
    ir_graph_free(g);
    return status;
}

/* reference: import, then evaluate the IR with ir_eval. */
static ConformStatus eval_graph(ConformRun *r, IrGraph *g, const NpyArray *in, char *err,
                                size_t errlen) {
    return ir_eval(g, in, r->outputs, err, errlen) == 0 ? CONFORM_RAN : CONFORM_FAILED;
}

static ConformStatus run_reference(ConformRun *r, char *err, size_t errlen) {
    return run_imported(r, eval_graph, err, errlen);
}

/* A compiled model stops after this many cycles (far more than any node
 * test needs; a run this long is a bug, not a slow test). */
enum { COMPILED_MAX_CYCLES = 1000000000 };

/* Run the image of g on in; r->outputs filled. false with err set. */
static bool simulate(const IrGraph *g, const AsmImage *image, const NpyArray *in, NpyArray *outputs,
                     char *err, size_t errlen) {
    /* The binary reads each input's bytes as its type says: the data must
     * have that shape (the evaluator checks the same). */
    for (int i = 0; i < g->ninputs; i++) {
        const IrValue *v = &g->vals[g->inputs[i]];
        bool same = in[i].ndim == v->type.rank;
        for (int d = 0; same && d < v->type.rank; d++) same = in[i].shape[d] == v->type.dims[d];
        if (!same) {
            IrType got = ir_type(in[i].dtype, in[i].ndim < IR_MAX_RANK ? in[i].ndim : IR_MAX_RANK,
                                 in[i].shape);
            char want[160];
            snprintf(want, sizeof want, "%s", ir_type_str(&v->type));
            snprintf(err, errlen, "input '%s' must be %s, got %s", v->name, want,
                     ir_type_str(&got));
            return false;
        }
    }
    SimModel *m = sim_load_image(image, err, errlen);
    if (!m) return false;
    bool ok = false;
    if (sim_num_inputs(m) != g->ninputs || sim_num_outputs(m) != g->noutputs) {
        snprintf(err, errlen, "the binary has %d inputs and %d outputs, the graph %d and %d",
                 sim_num_inputs(m), sim_num_outputs(m), g->ninputs, g->noutputs);
    } else {
        for (int i = 0; i < g->ninputs; i++) sim_bind_input(m, i, in[i].data);
        for (int o = 0; o < g->noutputs; o++) {
            const IrType *t = &g->vals[g->outputs[o].val].type;
            npy_alloc(&outputs[o], t->dtype, t->rank, t->dims);
            sim_bind_output(m, o, outputs[o].data);
        }
        SimOptions so = {.threads = 1, .max_cycles = COMPILED_MAX_CYCLES, .trace = false};
        ok = sim_run(m, &so) == SIM_OK;
        if (!ok) {
            snprintf(err, errlen, "%s", sim_message(m));
            for (int o = 0; o < g->noutputs; o++) npy_free(&outputs[o]);
        }
    }
    sim_free(m);
    return ok;
}

/* compiled: import, compile for r->machine in memory (the middle end, the
 * backend's passes, code generation, as acc-run does with a source model),
 * then run the image on libaccsim. */
static ConformStatus compile_graph(ConformRun *r, IrGraph *g, const NpyArray *in, char *err,
                                   size_t errlen) {
    ConformStatus status = CONFORM_FAILED;
    PassContext pc;
    pass_context_init(&pc);
    pc.machine = r->machine;
    pc.diag = r->diag;
    BackendOutput out;
    memset(&out, 0, sizeof out);
    pass_pipeline(g, &pc);
    if (backend_compile(g, &pc, NULL, &out) != 0) {
        status = CONFORM_NOT_COMPILED;
    } else {
        if (simulate(g, out.image, in, r->outputs, err, errlen)) status = CONFORM_RAN;
        backend_output_free(&out);
    }
    pass_context_free(&pc);
    return status;
}

static ConformStatus run_compiled(ConformRun *r, char *err, size_t errlen) {
    return run_imported(r, compile_graph, err, errlen);
}

const ConformMode conform_modes[] = {
    {"reference", "import, then evaluate the IR with the reference evaluator", run_reference},
    {"compiled", "import, compile for --target in memory, run on libaccsim", run_compiled},
};
const int conform_nmodes = (int)ACC_ARRAY_LEN(conform_modes);

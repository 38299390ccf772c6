/*
 * The ways onnx-conform runs a model (conform.h). To add one, write a
 * function with ConformMode's run signature and add a row to
 * conform_modes[]; give it its own known_failures.MODE.txt and a ctest in
 * CMakeLists.txt.
 */
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

/* reference: import, then evaluate the IR with ir_eval. */
static ConformStatus run_reference(ConformRun *r, char *err, size_t errlen) {
    IrGraph *g = fe_onnx_import_model(r->model, r->opts, r->diag);
    if (!g) return CONFORM_NOT_IMPORTED;
    ConformStatus status = CONFORM_FAILED;
    NpyArray *in = xcalloc((size_t)g->ninputs + 1, sizeof *in);
    if (g->noutputs != r->noutputs) {
        snprintf(err, errlen, "the model has %d outputs, the test %d", g->noutputs, r->noutputs);
    } else if (gather_inputs(g, r, in, err, errlen)) {
        if (ir_eval(g, in, r->outputs, err, errlen) == 0) status = CONFORM_RAN;
        for (int i = 0; i < g->ninputs; i++) npy_free(&in[i]);
    }
    free(in);
    ir_graph_free(g);
    return status;
}

const ConformMode conform_modes[] = {
    {"reference", "import, then evaluate the IR with the reference evaluator", run_reference},
};
const int conform_nmodes = (int)ACC_ARRAY_LEN(conform_modes);

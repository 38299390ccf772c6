/* libFuzzer target: the ONNX reader must reject or accept any bytes, as a
 * model and as a standalone TensorProto, without reading outside them; what
 * it accepts must hold together (every tensor's data matches its dims) and
 * print. External data is off: the input is not in a file. */
#include "onnx.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tensor(const OnnxTensor *t) {
    size_t count = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0) abort();
        count *= (size_t)t->dims[i];
    }
    if (count != t->count || !t->data || dtype_size(t->dtype) == 0) abort();
    if (t->count) (void)dtype_get(t->dtype, t->data, t->count - 1);
}

static void check_graph(const OnnxGraph *g) {
    for (size_t i = 0; i < g->ninitializers; i++) check_tensor(&g->initializers[i]);
    for (size_t i = 0; i < g->nnodes; i++) {
        const OnnxNode *n = &g->nodes[i];
        for (size_t k = 0; k < n->nattrs; k++) {
            const OnnxAttr *a = &n->attrs[k];
            if (onnx_attr_find(n, a->name) == NULL) abort();
            if (a->t) check_tensor(a->t);
            if (a->g) check_graph(a->g);
            for (size_t j = 0; j < a->ntensors; j++) check_tensor(&a->tensors[j]);
            for (size_t j = 0; j < a->ngraphs; j++) check_graph(&a->graphs[j]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    Arena a;
    Diag d;
    arena_init(&a);
    diag_init(&d, "fuzz", sink);
    OnnxDumpOptions opt = {8};
    StrBuf out;
    sb_init(&out);

    OnnxModel *m;
    if (onnx_model_parse(data, size, "fuzz.onnx", NULL, &a, &d, &m) == 0) {
        if (m->nopsets == 0) abort();
        check_graph(&m->graph);
        onnx_dump_model(m, &opt, &out);
    } else if (d.nerrors == 0) {
        abort(); /* a failed read must say why */
    }
    OnnxTensor *t;
    if (onnx_tensor_parse(data, size, "fuzz.pb", NULL, &a, &d, &t) == 0) {
        check_tensor(t);
        onnx_dump_tensor(t, &opt, &out);
    }

    sb_free(&out);
    diag_free(&d);
    arena_free(&a);
    return 0;
}

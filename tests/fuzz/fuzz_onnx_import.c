/* libFuzzer target: the ONNX importer (reader and mapping onto the IR).
 * Any bytes must be rejected with a message or become a graph that holds
 * together (fuzz_check_graph: it verifies, prints and parses back, lowers
 * from its DSL text, and evaluates when small). Symbolic dimensions are
 * bound to 2; constants the importer makes are capped at 1 MiB, the graph
 * at FUZZ_MAX_OPS ops. */
#include "fuzz_model.h"
#include "onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Arena a;
    Diag d;
    arena_init(&a);
    fuzz_diag(&d);
    OnnxModel *m;
    if (onnx_model_parse(data, size, "fuzz.onnx", NULL, &a, &d, &m) == 0) {
        static const FeDefine dims[] = {{"N", 2}, {"batch", 2}, {"M", 2}, {"seq", 2}};
        FeOptions o;
        memset(&o, 0, sizeof o);
        o.defines = dims;
        o.ndefines = (int)(sizeof dims / sizeof dims[0]);
        o.max_const_bytes = FUZZ_MAX_CONST;
        o.max_ops = FUZZ_MAX_OPS;
        int before = d.nerrors;
        IrGraph *g = fe_onnx_import_model(m, &o, &d);
        if (g) {
            fuzz_check_graph(g);
            ir_graph_free(g);
        } else if (d.nerrors == before) {
            abort(); /* a failed import must say why */
        }
        Arena names;
        arena_init(&names);
        const char **frozen;
        size_t n = fe_onnx_const_inputs(m, &names, &frozen);
        for (size_t i = 0; i < n; i++)
            if (!frozen[i]) abort();
        arena_free(&names);
    }
    diag_free(&d);
    arena_free(&a);
    return 0;
}

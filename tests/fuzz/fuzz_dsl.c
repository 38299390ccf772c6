/* libFuzzer target: the DSL front end (lexer, parser, lowering) must
 * diagnose or accept any bytes without a crash; what it accepts must pass
 * the checks of fuzz_model.h. Imports and load() are disabled. */
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Diag d;
    fuzz_diag(&d);
    FeOptions fo;
    memset(&fo, 0, sizeof fo);
    fo.no_files = true;
    fo.max_const_bytes = FUZZ_MAX_CONST;
    fo.max_ops = FUZZ_MAX_OPS;
    IrGraph *g = fe_dsl_parse("fuzz.g", (const char *)data, size, ".", &fo, &d);
    diag_free(&d);
    if (g) {
        fuzz_check_graph(g);
        ir_graph_free(g);
    }
    return 0;
}

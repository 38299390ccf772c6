/* libFuzzer target: the IR text parser must diagnose or accept any bytes
 * without a crash; what it accepts must verify and round-trip (see
 * fuzz_model.h). load() is disabled. */
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Diag d;
    fuzz_diag(&d);
    IrParseOptions po;
    memset(&po, 0, sizeof po);
    po.no_files = true;
    po.max_const_bytes = FUZZ_MAX_CONST;
    IrGraph *g = ir_parse("fuzz.ir", (const char *)data, size, &po, &d);
    diag_free(&d);
    if (g) {
        fuzz_check_graph(g);
        ir_graph_free(g);
    }
    return 0;
}

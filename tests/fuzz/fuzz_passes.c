/* libFuzzer target: the middle end on any IR text the parser accepts. At
 * every optimisation level the pipeline must finish without an internal
 * error and leave the graph in the lowered form (ir_verify_lowered), which
 * must pass fuzz_model.h's checks: it verifies, its IR text parses back to
 * the same text, its DSL text (kernels unfused) lowers, and when small it
 * evaluates without a crash. load() is disabled. */
#include "fuzz_model.h"
#include "passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_level(const IrGraph *g, int level) {
    IrGraph *h = ir_graph_clone(g);
    PassContext pc;
    pass_context_init(&pc);
    pc.opt_level = level;
    pass_pipeline(h, &pc);
    pass_context_free(&pc);
    if (!ir_verify_lowered(h, NULL)) abort();
    /* Verifies, round-trips as text, writes DSL that lowers, evaluates. */
    fuzz_check_graph(h);
    ir_graph_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Diag d;
    fuzz_diag(&d);
    IrParseOptions po;
    memset(&po, 0, sizeof po);
    po.no_files = true;
    po.max_const_bytes = FUZZ_MAX_CONST;
    IrGraph *g = ir_parse("fuzz.ir", (const char *)data, size, &po, &d);
    diag_free(&d);
    if (!g) return 0;
    if (g->nops <= FUZZ_MAX_OPS)
        for (int level = 0; level <= 2; level++) run_level(g, level);
    ir_graph_free(g);
    return 0;
}

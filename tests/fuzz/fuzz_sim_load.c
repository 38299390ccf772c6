/* libFuzzer target: libaccsim's loader on arbitrary bytes. It must never
 * crash or read outside the buffer; a binary it accepts is run (when its
 * machine and tensors are small) with zeroed inputs and a low cycle
 * limit, and must stop cleanly: finished, trapped or out of cycles. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_TENSOR = 1 << 20, MAX_SRAM = 16 << 20 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    uint8_t *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    SimModel *m = sim_load_memory(copy, size, err, sizeof err);
    free(copy);
    if (!m) return 0;
    const IsaMachine *mach = sim_machine(m);
    bool small = (uint64_t)mach->tiles * mach->sram_bytes <= MAX_SRAM;
    int nin = sim_num_inputs(m), nout = sim_num_outputs(m);
    void **bufs = calloc((size_t)(nin + nout) + 1, sizeof *bufs);
    for (int k = 0; k < nin + nout && small; k++) {
        const SimTensor *t = k < nin ? sim_input(m, k) : sim_output(m, k - nin);
        if (t->bytes > MAX_TENSOR)
            small = false;
        else
            bufs[k] = calloc(t->bytes + 1, 1);
    }
    if (small) {
        for (int k = 0; k < nin; k++) sim_bind_input(m, k, bufs[k]);
        for (int k = 0; k < nout; k++) sim_bind_output(m, k, bufs[nin + k]);
        SimOptions opt = {.threads = 1, .max_cycles = 20000, .trace = true};
        SimStatus s = sim_run(m, &opt);
        if (s == SIM_UNBOUND) abort(); /* every input was bound */
        StrBuf text;
        sb_init(&text);
        sim_stats_format(m, &text);
        sb_free(&text);
    }
    for (int k = 0; k < nin + nout; k++) free(bufs[k]);
    free(bufs);
    sim_free(m);
    return 0;
}

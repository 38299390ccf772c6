/*
 * run_sim — acc-run's interpreter mode: an ACC-1 binary (from a file, or
 * compiled in memory) on libaccsim, with its tensors read and written by
 * the driver exactly as for acc-run --reference, so a binary and its
 * model's reference evaluation see the same inputs and print the same way.
 */
#ifndef ACCC_RUN_SIM_H
#define ACCC_RUN_SIM_H

#include "driver.h"

#include "accsim.h"

typedef struct RunSimOptions {
    bool stats;          /* --stats: the statistics on stderr */
    const char *trace;   /* --trace FILE.json */
    int threads;         /* --threads N; 0: one per core */
    uint64_t max_cycles; /* --max-cycles N; 0: libaccsim's default */
} RunSimOptions;

/* --stats, --trace FILE, --threads N, --max-cycles N. */
DriverSection run_sim_options(RunSimOptions *o);
/* Whether path names an ACC-1 binary (ends in .bin, or starts with the ELF
 * magic) rather than a source model. */
bool run_is_binary(const char *path);
/* Bind the inputs (-i, positional, --random-inputs), run, print the
 * statistics and write the trace, then queue or print the outputs.
 * EXIT_OK, or EXIT_USER after a message (bad tensors, a trap, the cycle
 * limit). */
int run_on_sim(Driver *drv, const DriverIO *io, const RunSimOptions *o, SimModel *m);

#endif

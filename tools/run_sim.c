/* acc-run's interpreter mode; see run_sim.h. */
#include "run_sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool parse_u64(const char *s, uint64_t *out) {
    if (!*s || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE) return false;
    *out = v;
    return true;
}

enum { OPT_SIM_STATS, OPT_SIM_TRACE, OPT_SIM_THREADS, OPT_SIM_MAX_CYCLES };

static DriverArg sim_option(Driver *drv, void *ctx, int id, const char *v) {
    RunSimOptions *o = ctx;
    uint64_t n;
    switch (id) {
    case OPT_SIM_STATS: o->stats = true; return DRIVER_TAKEN;
    case OPT_SIM_TRACE:
        if (!*v) {
            driver_usage(drv, "--trace needs a file name");
            return DRIVER_BAD;
        }
        o->trace = v;
        return DRIVER_TAKEN;
    case OPT_SIM_THREADS:
        if (!parse_u64(v, &n) || n < 1 || n > 1024) {
            driver_usage(drv, "--threads needs a number of threads from 1 to 1024, not '%s'", v);
            return DRIVER_BAD;
        }
        o->threads = (int)n;
        return DRIVER_TAKEN;
    case OPT_SIM_MAX_CYCLES:
        if (!parse_u64(v, &n) || n < 1) {
            driver_usage(drv, "--max-cycles needs a positive number of cycles, not '%s'", v);
            return DRIVER_BAD;
        }
        o->max_cycles = n;
        return DRIVER_TAKEN;
    }
    ice("sim_option: option %d", id);
}

DriverSection run_sim_options(RunSimOptions *o) {
    static const OptSpec specs[] = {
        {OPT_SIM_STATS, "--stats", NULL, 0, "print the cycle count and statistics (standard error)",
         NULL},
        {OPT_SIM_TRACE, "--trace", "FILE.json", OPT_SPACE,
         "write the run's timeline as Chrome trace-event JSON (Perfetto)", NULL},
        {OPT_SIM_THREADS, "--threads", "N", OPT_SPACE,
         "simulate tiles on N host threads (default: one per core)", NULL},
        {OPT_SIM_MAX_CYCLES, "--max-cycles", "N", OPT_SPACE,
         "stop a run after N cycles (default 10000000000)", NULL},
    };
    return (DriverSection){{"Interpreter", specs, ACC_ARRAY_LEN(specs)}, sim_option, o};
}

bool run_is_binary(const char *path) {
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".bin") == 0) return true;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char magic[4] = {0};
    bool elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
    fclose(f);
    return elf;
}

static IrType tensor_type(const SimTensor *t) {
    return ir_type(t->dtype, t->ndim, t->shape);
}

static int sim_error(Driver *drv, const char *msg) {
    return driver_error(drv, "%s", msg);
}

int run_on_sim(Driver *drv, const DriverIO *io, const RunSimOptions *o, SimModel *m) {
    int nin = sim_num_inputs(m), nout = sim_num_outputs(m);
    const char **in_names = xcalloc((size_t)nin + 1, sizeof *in_names);
    IrType *in_types = xcalloc((size_t)nin + 1, sizeof *in_types);
    const char **out_names = xcalloc((size_t)nout + 1, sizeof *out_names);
    NpyArray *inputs = xcalloc((size_t)nin + 1, sizeof *inputs);
    NpyArray *outputs = xcalloc((size_t)nout + 1, sizeof *outputs);
    for (int k = 0; k < nin; k++) {
        in_names[k] = sim_input(m, k)->name;
        in_types[k] = tensor_type(sim_input(m, k));
    }
    for (int k = 0; k < nout; k++) out_names[k] = sim_output(m, k)->name;

    int rc = driver_read_inputs(drv, io, nin, in_names, in_types, inputs);
    if (rc == EXIT_OK) {
        for (int k = 0; k < nin; k++) sim_bind_input(m, k, inputs[k].data);
        for (int k = 0; k < nout; k++) {
            const SimTensor *t = sim_output(m, k);
            npy_alloc(&outputs[k], t->dtype, t->ndim, t->shape);
            sim_bind_output(m, k, outputs[k].data);
        }
        SimOptions opt = {
            .threads = o->threads, .max_cycles = o->max_cycles, .trace = o->trace != NULL};
        SimStatus status = sim_run(m, &opt);
        if (status != SIM_OK) rc = sim_error(drv, sim_message(m));
        if (status == SIM_CYCLE_LIMIT)
            diag_note(&drv->diag, diag_loc(0, 0, 0), "--max-cycles N sets the limit");
        if (o->stats) {
            StrBuf text;
            sb_init(&text);
            sim_stats_format(m, &text);
            fputs(text.data ? text.data : "", stderr);
            sb_free(&text);
        }
        char err[600];
        if (o->trace && sim_trace_save(m, o->trace, err, sizeof err) < 0 && rc == EXIT_OK)
            rc = sim_error(drv, err);
        if (rc == EXIT_OK) rc = driver_write_outputs(drv, io, nout, out_names, outputs);
    }
    for (int k = 0; k < nin; k++) npy_free(&inputs[k]);
    for (int k = 0; k < nout; k++) npy_free(&outputs[k]);
    free(inputs);
    free(outputs);
    free(in_names);
    free(in_types);
    free(out_names);
    return rc;
}

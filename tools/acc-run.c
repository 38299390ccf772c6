/*
 * acc-run: run a model.
 *
 *   acc-run MODEL.bin [TENSORS] [--stats] [--trace T.json] [--threads N] [--max-cycles N]
 *       an ACC-1 binary on the reference interpreter (libaccsim; run_sim.c)
 *   acc-run MODEL.g|MODEL.ir|MODEL.onnx [TENSORS] [MODEL OPTIONS] [SIM OPTIONS]
 *       the model compiled in memory (as accc), then run as a binary
 *   acc-run --reference MODEL.g|MODEL.ir|MODEL.onnx [TENSORS] [MODEL OPTIONS]
 *       the model's IR on the reference evaluator
 *
 *   TENSORS: [-i NAME=IN.npy]... [IN.npy]... [-o NAME=OUT.npy]... [--random-inputs[=SEED]]
 *   MODEL OPTIONS (as accc): [--entry NAME] [-D NAME=VALUE]... [--freeze NAME=FILE.npy]...
 *                            [--target PRESET]
 */
#include "run_sim.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: acc-run MODEL.bin [options] [IN.npy...]\n"
    "       acc-run MODEL.g|MODEL.ir|MODEL.onnx [options] [IN.npy...]\n"
    "       acc-run --reference MODEL.g|MODEL.ir|MODEL.onnx [options] [IN.npy...]\n"
    "\n"
    "Run an ACC-1 binary on the reference interpreter (a source model is compiled\n"
    "in memory first, as accc does), or evaluate a model's IR with the reference\n"
    "evaluator.\n"
    "\n"
    "  --reference           evaluate the IR directly\n"
    "  -i NAME=FILE.npy      the input called NAME\n"
    "  IN.npy                inputs not given by name, in the model's order\n"
    "  --random-inputs[=SEED]\n"
    "                        fill inputs not given: floats from normal(SEED + k, 1),\n"
    "                        integers uniform in [0, 10), bools 0 or 1 (k: input index,\n"
    "                        SEED 0 by default)\n"
    "  -o NAME=FILE.npy      write the output called NAME (bf16 is written as f32);\n"
    "                        without -o, print each output's shape, first values,\n"
    "                        sum and checksum\n"
    "  --entry NAME          the graph to run (default: the last in the file)\n"
    "  -D NAME=VALUE         bind a named dimension (ONNX: a symbolic input dimension)\n"
    "  --freeze NAME=FILE.npy\n"
    "                        treat the input NAME as the constant in FILE.npy\n"
    "  --target PRESET       the machine to compile for: acc1 (default), acc1-gc2,\n"
    "                        acc1-mini\n"
    "  --stats               print the cycle count and statistics (to stderr)\n"
    "  --trace FILE.json     write the run's timeline as Chrome trace-event JSON\n"
    "                        (open it in Perfetto or chrome://tracing)\n"
    "  --threads N           simulate tiles on N host threads (default: one per core);\n"
    "                        results and statistics do not depend on N\n"
    "  --max-cycles N        stop a run that takes more than N cycles\n"
    "                        (default 10000000000)\n";

static const char usage_end[] =
    "  --help                print this help\n"
    "  --version             print the version\n"
    "\n"
    "With --reference, the passes run only when -O or --passes is given: the evaluator\n"
    "then computes the graph as the middle end leaves it.\n"
    "\n"
    "Exit status: 0 success, 1 error in the model or the tensors, a trap or the cycle\n"
    "limit, 2 bad command line.\n";

static int run_reference(Driver *drv, const DriverIO *io) {
    IrGraph *g = driver_load(drv);
    if (!g) return EXIT_USER;
    driver_run_passes(drv, g, false);
    const char **in_names = xcalloc((size_t)g->ninputs + 1, sizeof *in_names);
    IrType *in_types = xcalloc((size_t)g->ninputs + 1, sizeof *in_types);
    const char **out_names = xcalloc((size_t)g->noutputs + 1, sizeof *out_names);
    /* Inputs by the names the IR text prints (an unnamed input %3 is "3"). */
    IrNames names;
    ir_names_init(&names, g);
    for (int k = 0; k < g->ninputs; k++) {
        const char *n = names.name[g->inputs[k]];
        in_names[k] = n[0] == '#' ? n + 1 : n;
        in_types[k] = g->vals[g->inputs[k]].type;
    }
    for (int k = 0; k < g->noutputs; k++) out_names[k] = g->outputs[k].name;
    NpyArray *inputs = xcalloc((size_t)g->ninputs + 1, sizeof *inputs);
    NpyArray *outputs = xcalloc((size_t)g->noutputs + 1, sizeof *outputs);
    int rc = driver_read_inputs(drv, io, g->ninputs, in_names, in_types, inputs);
    if (rc == EXIT_OK) {
        char err[600];
        if (ir_eval(g, inputs, outputs, err, sizeof err) < 0) {
            fprintf(stderr, "%s: error: %s\n", drv->tool, err);
            rc = EXIT_USER;
        } else {
            rc = driver_write_outputs(drv, io, g->noutputs, out_names, outputs);
            for (int k = 0; k < g->noutputs; k++) npy_free(&outputs[k]);
        }
        for (int k = 0; k < g->ninputs; k++) npy_free(&inputs[k]);
    }
    free(inputs);
    free(outputs);
    free(in_names);
    free(in_types);
    ir_names_free(&names);
    free(out_names);
    ir_graph_free(g);
    return rc;
}

/* A source model: compile it in memory, then run the image. */
static int run_compiled(Driver *drv, const DriverIO *io, const RunSimOptions *sim) {
    IrGraph *g = driver_load(drv);
    if (!g) return EXIT_USER;
    BackendOptions opts = {0};
    BackendOutput out;
    int rc = driver_compile(drv, g, &opts, &out);
    if (rc == EXIT_OK) {
        char err[600];
        SimModel *m = sim_load_image(out.image, err, sizeof err);
        if (m) {
            rc = run_on_sim(drv, io, sim, m);
            sim_free(m);
        } else {
            fprintf(stderr, "acc-run: error: %s\n", err);
            rc = EXIT_USER;
        }
        backend_output_free(&out);
    }
    ir_graph_free(g);
    return rc;
}

int main(int argc, char **argv) {
    Driver drv;
    DriverIO io;
    driver_init(&drv, "acc-run");
    driver_io_init(&io);
    RunSimOptions sim;
    memset(&sim, 0, sizeof sim);
    bool reference = false;
    int rc = EXIT_OK;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        const char *arg = argv[i];
        DriverArg r = driver_option(&drv, argc, argv, &i);
        if (r == DRIVER_NOT_MINE) r = driver_io_option(&drv, &io, argc, argv, &i);
        if (r == DRIVER_NOT_MINE) r = run_sim_option(&drv, &sim, argc, argv, &i);
        if (r == DRIVER_BAD) rc = EXIT_USAGE;
        if (r != DRIVER_NOT_MINE) continue;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            driver_pass_help(stdout, 24);
            fputs(usage_end, stdout);
            goto done;
        } else if (strcmp(arg, "--version") == 0) {
            driver_version(&drv);
            goto done;
        } else if (strcmp(arg, "--reference") == 0) {
            reference = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            rc = driver_usage(&drv, "unknown option '%s'", arg);
        } else if (driver_set_model(&drv, arg) == DRIVER_BAD) {
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && !drv.model) rc = driver_usage(&drv, "no model given");
    if (rc == EXIT_OK && reference) {
        rc = run_reference(&drv, &io);
    } else if (rc == EXIT_OK && run_is_binary(drv.model)) {
        char err[600];
        SimModel *m = sim_load_file(drv.model, err, sizeof err);
        if (m) {
            rc = run_on_sim(&drv, &io, &sim, m);
            sim_free(m);
        } else {
            fprintf(stderr, "acc-run: error: %s\n", err);
            rc = EXIT_USER;
        }
    } else if (rc == EXIT_OK) {
        rc = run_compiled(&drv, &io, &sim);
    }
done:
    driver_io_free(&io);
    driver_free(&drv);
    return rc;
}

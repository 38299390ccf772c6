/*
 * acc-run: run a model.
 *
 *   acc-run MODEL.bin [TENSORS] [--stats] [--trace T.json] [--threads N] [--max-cycles N]
 *       an ACC-1 binary on the reference interpreter (libaccsim; run_sim.c)
 *   acc-run MODEL.g|MODEL.ir|MODEL.onnx [TENSORS] [MODEL OPTIONS] [SIM OPTIONS]
 *       the model compiled in memory (as accc does), then run as a binary
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

static const char synopsis[] =
    "usage: acc-run MODEL.bin [options] [IN.npy...]\n"
    "       acc-run MODEL.g|MODEL.ir|MODEL.onnx [options] [IN.npy...]\n"
    "       acc-run --reference MODEL.g|MODEL.ir|MODEL.onnx [options] [IN.npy...]\n"
    "\n"
    "Run an ACC-1 binary on the reference interpreter (a source model is compiled\n"
    "in memory first, as accc does), or evaluate a model's IR with the reference\n"
    "evaluator. IN.npy: inputs not given by name, in the model's order.\n"
    "\n";

static const char epilogue[] =
    "\n"
    "With --reference, the passes run only when -O or --passes is given: the evaluator\n"
    "then computes the graph as the middle end leaves it. The -o files are written\n"
    "only if the run succeeds. 'man acc-run' explains every option.\n"
    "\n"
    "Exit status: 0 success, 1 error in the model or the tensors, a trap or the cycle\n"
    "limit, 2 bad command line, 3 internal error.\n";

enum { OPT_REFERENCE };

static DriverArg run_option(Driver *drv, void *ctx, int id, const char *v) {
    *(bool *)ctx = true; /* --reference, the one option of this table */
    return DRIVER_TAKEN;
}

static const OptSpec run_specs[] = {
    {OPT_REFERENCE, "--reference", NULL, 0, "evaluate the model's IR with the reference evaluator",
     NULL},
};

/* IN.npy is an input; anything else the model. */
static DriverArg run_argument(Driver *drv, void *ctx, const char *arg) {
    size_t n = strlen(arg);
    if (n > 4 && strcmp(arg + n - 4, ".npy") == 0) {
        driver_io_add_input(ctx, arg);
        return DRIVER_TAKEN;
    }
    return driver_set_model(drv, arg);
}

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
            rc = driver_error(drv, "%s", err);
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

/* A source model: compile it in memory for --target, then run the image. */
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
            rc = driver_error(drv, "%s", err);
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
    drv.synopsis = synopsis;
    drv.epilogue = epilogue;
    driver_io_init(&io);
    RunSimOptions sim;
    memset(&sim, 0, sizeof sim);
    bool reference = false;
    const DriverSection sections[] = {
        {{"Mode", run_specs, ACC_ARRAY_LEN(run_specs)}, run_option, &reference},
        driver_io_options(&io),
        run_sim_options(&sim),
        driver_model_options(),
        driver_pass_options(),
        driver_diag_options(),
    };
    int rc = driver_parse(&drv, argc, argv, sections, ACC_ARRAY_LEN(sections), run_argument, &io);
    if (rc == EXIT_OK && reference) {
        rc = run_reference(&drv, &io);
    } else if (rc == EXIT_OK && run_is_binary(drv.model)) {
        char err[600];
        SimModel *m = sim_load_file(drv.model, err, sizeof err);
        if (m) {
            rc = run_on_sim(&drv, &io, &sim, m);
            sim_free(m);
        } else {
            rc = driver_error(&drv, "%s", err);
        }
    } else if (rc == EXIT_OK) {
        rc = run_compiled(&drv, &io, &sim);
    }
    driver_io_free(&io);
    return driver_finish(&drv, rc);
}

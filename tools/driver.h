/*
 * driver — what the accc commands share, so each main() stays a short
 * list of steps: the command line (option tables that drive both the
 * parser and --help), the options that choose and load a model (-D,
 * --entry, --freeze, --target, the middle end's), diagnostics (-Werror,
 * -fdiagnostics-format), outputs written together at the end (with the
 * depfile, -MD), the progress line, the tensors a run takes and gives, and
 * the exit codes.
 *
 * A command is:
 *
 *   driver_init(&drv, "accc");
 *   rc = driver_parse(&drv, argc, argv, sections, n, positional, ctx);
 *   ... driver_load, driver_run_passes, driver_output(&drv, path) ...
 *   return driver_finish(&drv, rc);
 *
 * Every message goes through drv.diag, so -fdiagnostics-format=json and
 * -Werror see all of them; driver_finish writes the outputs (only when
 * nothing failed), prints the count of errors and warnings (or the JSON
 * array), and gives the exit status.
 */
#ifndef ACCC_DRIVER_H
#define ACCC_DRIVER_H

#include "backend.h"
#include "frontend.h"
#include "passes.h"

/* Exit status: 3 is what ice() exits with. */
enum { EXIT_OK = 0, EXIT_USER = 1, EXIT_USAGE = 2, EXIT_ICE = 3 };
/* driver_parse: --help or --version was printed; exit 0. */
enum { DRIVER_DONE = -1 };

/* What a section's handler says about an option. */
typedef enum DriverArg {
    DRIVER_TAKEN, /* used */
    DRIVER_BAD,   /* a usage error, already reported */
} DriverArg;

typedef struct Driver Driver;
/* Handle option id (a row of the section's table) with its value (NULL
 * when it takes none). */
typedef DriverArg DriverHandler(Driver *drv, void *ctx, int id, const char *value);
/* Handle a positional argument. */
typedef DriverArg DriverPositional(Driver *drv, void *ctx, const char *arg);

/* Options, their --help lines and what handles them. */
typedef struct DriverSection {
    OptTable table;
    DriverHandler *handle;
    void *ctx;
} DriverSection;

struct Driver {
    const char *tool;     /* "accc", "acc-run": the prefix of messages */
    const char *synopsis; /* --help: what comes before the options */
    const char *epilogue; /* --help: what comes after them */
    const char *model;    /* the model's path */
    FeOptions fe;         /* entry graph, -D bindings, --freeze, deps */
    FeDefine *defines;
    size_t capdefines;
    FeFreeze *freezes;
    size_t capfreezes;
    int target;            /* IsaPreset (--target); the first preset by default */
    Diag diag;             /* every message of the run */
    PassContext pc;        /* -O, --print-after(-all), --time-passes */
    const char *pass_list; /* --passes=LIST, or NULL */
    bool opt_given;        /* -O0, -O1 or -O2 was given */
    /* Outputs, written by driver_finish when the run succeeded: the side
     * outputs and the depfile first, the main output last. */
    OutFiles outs;
    const char *output; /* the main output ("-": standard output), the depfile's target */
    StrBuf main_out;    /* its text */
    bool main_used;     /* driver_output gave it out */
    /* -MD, -MF, -MT, -MP: the depfile lists drv->deps, which the front end fills. */
    bool depfile_wanted;
    const char *depfile;    /* -MF FILE; NULL: the output with .d for its extension */
    const char *dep_target; /* -MT TARGET; NULL: the output */
    bool dep_phony;         /* -MP */
    FileDeps deps;
    /* The progress line (a terminal only). */
    struct DriverProgress {
        bool enabled;        /* stderr is a terminal and messages are text */
        double start, delay; /* seconds: when the run started, when to show the line */
        int step, steps;
        bool shown; /* a line is on the screen */
    } progress;
};

void driver_init(Driver *drv, const char *tool);
void driver_free(Driver *drv);
/* Report a usage error ("tool: error: ..." and a pointer to --help);
 * returns EXIT_USAGE. */
int driver_usage(Driver *drv, const char *fmt, ...) ACC_PRINTF(2, 3);
/* Report an error without a place; returns EXIT_USER. */
int driver_error(Driver *drv, const char *fmt, ...) ACC_PRINTF(2, 3);

/* ---- The command line ------------------------------------------------------------ */

/* The sections every model-reading command takes: -D, --entry, --freeze,
 * --target; the middle end's -O, --passes, --print-after(-all),
 * --time-passes; the depfile's -MD, -MF, -MT, -MP; -Werror and
 * -fdiagnostics-format. */
DriverSection driver_model_options(void);
DriverSection driver_pass_options(void);
DriverSection driver_deps_options(void);
DriverSection driver_diag_options(void);
/* Parse argv: each option goes to the handler of the section whose table
 * has it, positional arguments to positional; --help (printing synopsis,
 * every section's options, --help and --version, epilogue) and --version
 * are handled here. Diagnostics options take effect before anything is
 * reported, wherever they stand. Returns EXIT_OK, EXIT_USAGE (reported)
 * or DRIVER_DONE. */
int driver_parse(Driver *drv, int argc, char **argv, const DriverSection *sections, size_t n,
                 DriverPositional *positional, void *ctx);
/* Set the model path (the one positional argument of accc). */
DriverArg driver_set_model(Driver *drv, const char *path);
/* Set the main output, once the options are read, and check the depfile
 * options against it. EXIT_OK or EXIT_USAGE (reported). */
int driver_set_output(Driver *drv, const char *path);

/* ---- A run ------------------------------------------------------------------------- */

/* Start the progress line: the run has steps steps (the front end, each
 * pass, what follows); driver_pass_steps counts the passes. */
void driver_progress_start(Driver *drv, int steps);
int driver_pass_steps(const Driver *drv, bool always);
/* The next step begins. */
void driver_progress(Driver *drv, const char *step);
/* Load drv->model (reporting every error). NULL on failure. */
IrGraph *driver_load(Driver *drv);
/* Run the middle end on g as the options ask: the --passes list if given,
 * else the pipeline at the -O level when `always` or an -O option was
 * given; then the --time-passes table. */
void driver_run_passes(Driver *drv, IrGraph *g, bool always);
/* Compile g for the --target machine: the pipeline (the backend's passes
 * included) and code generation. EXIT_OK with out filled (free it with
 * backend_output_free), or EXIT_USER after reporting to drv->diag (the
 * model does not fit, or uses what the backend cannot compile). */
int driver_compile(Driver *drv, IrGraph *g, const BackendOptions *opts, BackendOutput *out);
/* A buffer for the output at path ("-": standard output), written by
 * driver_finish if the run succeeds. */
StrBuf *driver_output(Driver *drv, const char *path);
/* g as IR text to the main output (load() paths relative to its
 * directory). */
void driver_emit_ir(Driver *drv, const IrGraph *g);
/* g as DSL text to the main output: large constants without a recipe
 * (imported or folded weights) go to .npy files beside it, written with
 * it (kept inline when it is standard output). */
void driver_emit_dsl(Driver *drv, IrGraph *g);
/* End the run: with rc EXIT_OK and no error reported, write the depfile
 * (when asked) and every output; clear the progress line; print the
 * count of errors and warnings (or the JSON array); free drv. Returns the
 * exit status: rc, or EXIT_USER if an error was reported (-Werror counts
 * warnings) or an output could not be written. */
int driver_finish(Driver *drv, int rc);

/* ---- Tensors in and out of a run ----------------------------------------------- */

typedef struct DriverBinding {
    const char *name; /* NULL: positional */
    const char *path;
} DriverBinding;

typedef struct DriverIO {
    DriverBinding *inputs, *outputs;
    int ninputs, noutputs;
    size_t capinputs, capoutputs;
    bool random; /* --random-inputs: fill inputs not given */
    uint64_t seed;
} DriverIO;

void driver_io_init(DriverIO *io);
void driver_io_free(DriverIO *io);
/* -i NAME=FILE, -o NAME=FILE, --random-inputs[=SEED]. */
DriverSection driver_io_options(DriverIO *io);
/* A positional FILE.npy: the next input not given by name. */
void driver_io_add_input(DriverIO *io, const char *path);
/* Arrays for n inputs (names and types from the model): named files,
 * positional files for the rest in order, then random values if asked.
 * bf16 inputs may come as f32 files, float inputs as f64 files (rounded).
 * EXIT_OK, or EXIT_USER (reported). */
int driver_read_inputs(Driver *drv, const DriverIO *io, int n, const char *const *names,
                       const IrType *types, NpyArray *arrays);
/* Queue the outputs named by -o (written by driver_finish); with no -o,
 * print each output's dtype and shape, its first values, their sum and a
 * checksum of its bytes. bf16 is written as f32. EXIT_OK or EXIT_USER
 * (reported). */
int driver_write_outputs(Driver *drv, const DriverIO *io, int n, const char *const *names,
                         const NpyArray *arrays);

#endif

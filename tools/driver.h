/*
 * driver — what the accc commands share, so each main() stays a short
 * list of steps: the options that choose and load a model (-D, --entry),
 * the tensors a run takes and gives (-i, -o, positional .npy files,
 * --random-inputs), writing results atomically, and the exit codes
 * (0 ok, 1 bad input, 2 bad command line).
 *
 * A command parses its arguments in one loop: every argument is offered to
 * driver_option() and driver_io_option() first, then to the command's own
 * options. A shared option (-D, --entry, --freeze, --target) is a case in
 * driver_option(); a command-specific one is a case in its main().
 */
#ifndef ACCC_DRIVER_H
#define ACCC_DRIVER_H

#include "backend.h"
#include "frontend.h"
#include "passes.h"

enum { EXIT_OK = 0, EXIT_USER = 1, EXIT_USAGE = 2 };

/* What driver_option and driver_io_option say about an argument. */
typedef enum DriverArg {
    DRIVER_NOT_MINE, /* not a shared option: the command looks at it */
    DRIVER_TAKEN,    /* consumed (with its value); *i points at the last one used */
    DRIVER_BAD,      /* a usage error, already reported */
} DriverArg;

typedef struct Driver {
    const char *tool;  /* "accc", "acc-run": the prefix of messages */
    const char *model; /* the model's path */
    FeOptions fe;      /* entry graph, -D bindings */
    FeDefine *defines;
    size_t capdefines;
    FeFreeze *freezes;
    size_t capfreezes;
    int target;            /* IsaPreset (--target); the first preset by default */
    Diag diag;             /* messages about the model and the run */
    PassContext pc;        /* -O, --print-after(-all), --time-passes */
    const char *pass_list; /* --passes=LIST, or NULL */
    bool opt_given;        /* -O0, -O1 or -O2 was given */
} Driver;

void driver_init(Driver *drv, const char *tool);
void driver_free(Driver *drv);
/* "tool: error: ..." and a pointer to --help; returns EXIT_USAGE. */
int driver_usage(Driver *drv, const char *fmt, ...) ACC_PRINTF(2, 3);
/* Print "tool VERSION". */
void driver_version(const Driver *drv);

/* The value of an option spelled --name=V, --name V, or for one-letter
 * names -xV and -x V. False if argv[*i] is not this option; a missing value
 * is reported (and *bad set). */
bool driver_value(Driver *drv, int argc, char **argv, int *i, const char *name, const char **value,
                  bool *bad);

/* Shared model options: -D NAME=VALUE, --entry NAME, --freeze NAME=FILE.npy,
 * --target PRESET (checked against the machine presets); and the middle
 * end's: -O0/-O1/-O2, --passes=LIST, --print-after-all, --print-after=PASS,
 * --time-passes. */
DriverArg driver_option(Driver *drv, int argc, char **argv, int *i);
/* The help lines of the middle end's options, descriptions from column. */
void driver_pass_help(FILE *out, int column);
/* Run the middle end on g as the options ask: the --passes list if given,
 * else the pipeline at the -O level when `always` or an -O option was
 * given; then the --time-passes table. */
void driver_run_passes(Driver *drv, IrGraph *g, bool always);
/* Compile g for the --target machine: the pipeline (the backend's passes
 * included) and code generation. EXIT_OK with out filled (free it with
 * backend_output_free), or EXIT_USER after reporting (the model does not
 * fit, or uses what the backend cannot compile). */
int driver_compile(Driver *drv, IrGraph *g, const BackendOptions *opts, BackendOutput *out);
/* Set the model path (the one positional argument of accc). */
DriverArg driver_set_model(Driver *drv, const char *path);
/* Load drv->model (reporting every error). NULL on failure. */
IrGraph *driver_load(Driver *drv);
/* g as IR text into text, for writing to out (load() paths relative to
 * out's directory). EXIT_OK. */
int driver_emit_ir(Driver *drv, const IrGraph *g, const char *out, StrBuf *text);
/* g as DSL text into text, for writing to out: large constants without a
 * recipe (imported or folded weights) go to .npy files beside out (kept
 * inline when out is standard output). EXIT_OK or EXIT_USER (reported). */
int driver_emit_dsl(Driver *drv, IrGraph *g, const char *out, StrBuf *text);
/* Write data to path ("-" is standard output) completely or not at all;
 * EXIT_OK or EXIT_USER (reported). */
int driver_write(Driver *drv, const char *path, const void *data, size_t len);

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
/* -i NAME=FILE, -o NAME=FILE, --random-inputs[=SEED], FILE.npy (positional). */
DriverArg driver_io_option(Driver *drv, DriverIO *io, int argc, char **argv, int *i);
/* Arrays for n inputs (names and types from the model): named files,
 * positional files for the rest in order, then random values if asked.
 * bf16 inputs may come as f32 files, float inputs as f64 files (rounded).
 * EXIT_OK, or EXIT_USER (reported). */
int driver_read_inputs(Driver *drv, const DriverIO *io, int n, const char *const *names,
                       const IrType *types, NpyArray *arrays);
/* Write the outputs named by -o; with no -o, print each output's dtype and
 * shape, its first values, their sum and a checksum of its bytes. bf16 is
 * written as f32. EXIT_OK or EXIT_USER (reported). */
int driver_write_outputs(Driver *drv, const DriverIO *io, int n, const char *const *names,
                         const NpyArray *arrays);

#endif

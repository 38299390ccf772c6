/*
 * onnx-conform: accc against ONNX's node test suite. conform.c finds the
 * tests, decides which are in scope (every op in the importer's op set),
 * reads their test data, compares outputs and reports; a mode (modes.c)
 * turns a model and its inputs into outputs. The comparison and the
 * report never look at the mode, so a new way of running models is one
 * more entry in conform_modes[]:
 *
 *   reference   import, evaluate the IR with the reference evaluator
 *   compiled    import, compile for the --target machine (default
 *               acc1-mini) in memory, run the image on libaccsim
 *
 * Each mode keeps its own list of known failures
 * (known_failures.MODE.txt).
 */
#ifndef ACCC_CONFORM_H
#define ACCC_CONFORM_H

#include "frontend.h"
#include "isa.h"
#include "onnx.h"

/* One run of a model on one test data set. */
typedef struct ConformRun {
    const OnnxModel *model;
    const FeOptions *opts; /* freezes: the inputs that decide shapes */
    /* The other graph inputs, by name, as the test data holds them (a
     * DOUBLE input as f64: the mode narrows it to what the model takes). */
    int ninputs;
    const char *const *input_names;
    const NpyArray *inputs;
    /* One array per graph output, in the model's order; the mode fills
     * them (the runner frees them with npy_free). */
    int noutputs;
    NpyArray *outputs;
    Diag *diag;                /* for import and compile messages; the runner shows the first */
    const IsaMachine *machine; /* the compiled mode's target (--target) */
} ConformRun;

typedef enum ConformStatus {
    CONFORM_RAN,          /* outputs filled */
    CONFORM_NOT_IMPORTED, /* the importer refused the model (diag says why) */
    CONFORM_NOT_COMPILED, /* the compiler refused it (diag says why) */
    CONFORM_FAILED,       /* it did not run: err says why */
} ConformStatus;

typedef struct ConformMode {
    const char *name;
    const char *doc;
    ConformStatus (*run)(ConformRun *r, char *err, size_t errlen);
} ConformMode;

/* ---- modes.c ---------------------------------------------------------------------- */

extern const ConformMode conform_modes[];
extern const int conform_nmodes;

/* Convert a to dtype t into out (f64 narrowed to a float dtype, f32 to
 * bf16); false if that is not a conversion the modes make. */
bool conform_convert(const NpyArray *a, AccDtype t, NpyArray *out);

#endif

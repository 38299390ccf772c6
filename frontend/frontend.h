/*
 * frontend — models in, IR out. The .g DSL (flex + bison, frontend/dsl/),
 * the IR text form and ONNX models (frontend/onnx/import.c, over the
 * reader accc_onnx) are read here: a tool asks for a model by path through
 * fe_load and gets a verified IrGraph, whatever the format.
 *
 * Errors in a model go to the Diag as file:line:col messages; the loaders
 * report as many as they can before giving up.
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_FRONTEND_H
#define ACCC_FRONTEND_H

#include "ir.h"

/* A compile-time binding from the command line: -D NAME=VALUE. */
typedef struct FeDefine {
    const char *name;
    int64_t value;
} FeDefine;

/* --freeze NAME=FILE.npy: a graph input made a constant. */
typedef struct FeFreeze {
    const char *name;
    const char *path;      /* the .npy file holding its value, or NULL ... */
    const NpyArray *value; /* ... when the value is given in memory */
} FeFreeze;

typedef struct FeOptions {
    const char *entry;       /* the graph to load; NULL: the last one of the main file */
    const FeDefine *defines; /* named dimensions (override 'dim' declarations) */
    int ndefines;
    const FeFreeze *freezes; /* inputs to treat as constants */
    int nfreezes;
    size_t max_const_bytes; /* largest constant a model may make; 0: IR_MAX_CONST_BYTES */
    int32_t max_ops;        /* most ops after inlining or importing; 0: FE_MAX_OPS */
    bool no_files;          /* refuse import and load() (fuzzing) */
    /* Every file the model is read from (the model, imports, load() and
     * --freeze weights, ONNX external data) is recorded here when read,
     * for depfiles; NULL: nothing is recorded. */
    FileDeps *deps;
} FeOptions;

#define FE_MAX_OPS 1000000 /* a model larger than this is surely a mistake */

/* ---- load.c: any model, by its extension ------------------------------------ */

typedef enum FeFormat {
    FE_FORMAT_UNKNOWN,
    FE_FORMAT_DSL,  /* .g */
    FE_FORMAT_IR,   /* .ir */
    FE_FORMAT_ONNX, /* .onnx */
} FeFormat;

FeFormat fe_format_of(const char *path);
/* Read, parse, check and verify the model at path ("-" is standard input,
 * read as .g), then apply opts->freezes. NULL after reporting errors. */
IrGraph *fe_load(const char *path, const FeOptions *opts, Diag *d);
/* Make the inputs named by opts->freezes constants (for .g and .ir models;
 * the ONNX importer freezes while it imports, since a frozen input may
 * decide shapes). False after reporting an unknown name or a value that
 * does not match the input. */
bool fe_freeze_inputs(IrGraph *g, const FeOptions *opts, Diag *d);
/* The value of a --freeze entry: f->value, or f->path loaded (and recorded
 * in deps; *owned: free it with npy_free). 0, or -1 with a message in err. */
int fe_freeze_value(const FeFreeze *f, FileDeps *deps, NpyArray *out, bool *owned, char *err,
                    size_t errlen);
/* f's value as a constant op of g, checked against want (its dtype; its
 * dims where not negative): f64 data narrows to a float dtype, f32 data
 * rounds to bf16. IR_NONE after reporting at loc. */
IrRef fe_freeze_constant(IrGraph *g, const FeFreeze *f, FileDeps *deps, const IrType *want,
                         SrcLoc loc, Diag *d);

/* ---- onnx/import.c: ONNX models ---------------------------------------------------- */

/* Import the ONNX model at path (opsets 7 to 18 of the default domain)
 * onto the IR: -D binds symbolic input dimensions, --freeze makes inputs
 * constants. Every op the importer cannot map is listed in one message.
 * NULL after reporting errors. */
IrGraph *fe_onnx_import(const char *path, const FeOptions *opts, Diag *d);
/* The same for a model already read (onnx.h) into memory. */
struct OnnxModel;
IrGraph *fe_onnx_import_model(const struct OnnxModel *m, const FeOptions *opts, Diag *d);
/* The graph inputs of m that feed an input a node needs as a constant (a
 * Reshape's shape, a Slice's starts, ...): what to --freeze. Returns how
 * many; *names (in a) lists them in graph input order. */
size_t fe_onnx_const_inputs(const struct OnnxModel *m, Arena *a, const char ***names);
/* The ONNX ops the importer maps, in alphabetical order: op names, the
 * first opset each mapping follows, what each becomes. */
typedef struct FeOnnxOp {
    const char *name;
    int since;
    unsigned const_inputs; /* bit i: input i must be a constant */
    const char *ir, *notes;
} FeOnnxOp;
size_t fe_onnx_ops(const FeOnnxOp **ops);

/* ---- dsl/lower.c: the .g DSL -------------------------------------------------- */

/* Parse DSL text (registered with d as name; imports and load() paths are
 * relative to dir) and lower its entry graph to verified IR. */
IrGraph *fe_dsl_parse(const char *name, const char *text, size_t len, const char *dir,
                      const FeOptions *opts, Diag *d);

/* ---- dsl/emit.c: IR back to DSL text ------------------------------------------- */

/* Write g as a .g program that lowers to the same computation (--emit=g).
 * Constants keep their recipes; load() paths are relative to opts->base_dir. */
void fe_emit_dsl(StrBuf *sb, const IrGraph *g, const IrPrintOptions *opts);

#endif

/*
 * frontend — models in, IR out. The .g DSL (flex + bison, frontend/dsl/)
 * and the IR text form are read here, and any later source language (the
 * ONNX importer) joins through fe_load: a tool asks for a model by path and
 * gets a verified IrGraph, whatever the format.
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

typedef struct FeOptions {
    const char *entry;       /* the graph to load; NULL: the last one of the main file */
    const FeDefine *defines; /* named dimensions (override 'dim' declarations) */
    int ndefines;
    size_t max_const_bytes; /* largest constant a model may make; 0: IR_MAX_CONST_BYTES */
    int32_t max_ops;        /* most ops after inlining; 0: FE_MAX_OPS */
    bool no_files;          /* refuse import and load() (fuzzing) */
} FeOptions;

#define FE_MAX_OPS 1000000 /* a model larger than this is surely a mistake */

/* ---- load.c: any model, by its extension ------------------------------------ */

typedef enum FeFormat {
    FE_FORMAT_UNKNOWN,
    FE_FORMAT_DSL,  /* .g */
    FE_FORMAT_IR,   /* .ir */
    FE_FORMAT_ONNX, /* .onnx (not yet supported) */
} FeFormat;

FeFormat fe_format_of(const char *path);
/* Read, parse, check and verify the model at path ("-" is standard input,
 * read as .g). NULL after reporting errors. */
IrGraph *fe_load(const char *path, const FeOptions *opts, Diag *d);

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

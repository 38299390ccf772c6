/*
 * accc: the compiler. It reads a model (.g, .ir or .onnx), checks it, runs
 * the passes and writes an ACC-1 binary (the default), its assembly (-S,
 * --emit=asm), or the IR or DSL text (--emit=ir|g; large constants without
 * a recipe go to .npy files beside a DSL output).
 *
 *   accc [--emit=ir|g|asm|bin] [-S] [-o OUT] [--report=FILE.json] [-O0|-O1|-O2]
 *        [--passes=LIST] [--entry NAME] [-D NAME=VALUE]... [--freeze NAME=FILE.npy]...
 *        [--target PRESET] [--print-after-all] [--print-after=PASS] [--time-passes] MODEL
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: accc [options] MODEL.g|MODEL.ir|MODEL.onnx\n"
    "\n"
    "Compile a model for ACC-1, or write it out as IR or DSL text.\n"
    "\n"
    "  --emit=KIND       what to write: bin (an ACC-1 binary, the default), asm (its\n"
    "                    assembly, which acc-as turns into the same binary), ir (the\n"
    "                    IR text form) or g (DSL text; constants of 64 or more\n"
    "                    elements without a recipe are written to OUT.NAME.npy files\n"
    "                    beside OUT)\n"
    "  -S                the same as --emit=asm\n"
    "  -o FILE           where to write it (default: standard output, also '-o -')\n"
    "  --report=FILE     with asm or bin: write the plan's memory use per tile and\n"
    "                    cycle estimates per superstep as JSON\n"
    "  --entry NAME      the graph to compile (default: the last in the file)\n"
    "  -D NAME=VALUE     bind a named dimension, overriding its 'dim' declaration\n"
    "                    (ONNX: a symbolic dimension of the graph inputs)\n"
    "  --freeze NAME=FILE.npy\n"
    "                    treat the input NAME as the constant in FILE.npy (needed\n"
    "                    when an ONNX input decides a shape, e.g. a Reshape's shape)\n"
    "  --target PRESET   the machine: acc1 (default), acc1-gc2 or acc1-mini\n";

static const char usage_passes[] =
    "\n"
    "Compiling runs the pipeline at -O2 and the backend's passes (tile, schedule,\n"
    "place). With --emit=ir or g, no pass runs unless -O or --passes is given: then\n"
    "the IR is written as the passes leave it (e.g. accc --emit=ir --passes=canon,dce IN.ir).\n";

static const char usage_end[] =
    "  --help            print this help\n"
    "  --version         print the version\n"
    "\n"
    "Exit status: 0 success, 1 error in the model, 2 bad command line.\n";

typedef enum Emit { EMIT_IR, EMIT_G, EMIT_ASM, EMIT_BIN } Emit;
static const char *const emit_names[] = {"ir", "g", "asm", "bin"};

static int parse_emit(Driver *drv, const char *v, Emit *emit) {
    for (int k = 0; k < (int)ACC_ARRAY_LEN(emit_names); k++)
        if (strcmp(v, emit_names[k]) == 0) {
            *emit = (Emit)k;
            return EXIT_OK;
        }
    return driver_usage(drv, "--emit needs ir, g, asm or bin, not '%s'", v);
}

/* --emit=asm|bin: compile, then write the assembly or the binary (and the
 * report), each completely or not at all. */
static int compile(Driver *drv, IrGraph *g, Emit emit, const char *out, const char *report) {
    BackendOptions opts = {.want_asm = emit == EMIT_ASM, .want_report = report != NULL};
    BackendOutput bo;
    int rc = driver_compile(drv, g, &opts, &bo);
    if (rc != EXIT_OK) return rc;
    if (emit == EMIT_ASM) {
        rc = driver_write(drv, out, bo.asm_text.data, bo.asm_text.len);
    } else {
        StrBuf bin;
        sb_init(&bin);
        asm_image_write(bo.image, &bin);
        rc = driver_write(drv, out, bin.data, bin.len);
        sb_free(&bin);
    }
    if (rc == EXIT_OK && report) rc = driver_write(drv, report, bo.report.data, bo.report.len);
    backend_output_free(&bo);
    return rc;
}

int main(int argc, char **argv) {
    Driver drv;
    driver_init(&drv, "accc");
    Emit emit = EMIT_BIN;
    const char *out = NULL, *report = NULL;
    int rc = EXIT_OK;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        const char *arg = argv[i], *v;
        bool bad = false;
        DriverArg r = driver_option(&drv, argc, argv, &i);
        if (r == DRIVER_BAD) rc = EXIT_USAGE;
        if (r != DRIVER_NOT_MINE) continue;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            driver_pass_help(stdout, 20);
            fputs(usage_end, stdout);
            fputs(usage_passes, stdout);
            driver_free(&drv);
            return EXIT_OK;
        } else if (strcmp(arg, "--version") == 0) {
            driver_version(&drv);
            driver_free(&drv);
            return EXIT_OK;
        } else if (driver_value(&drv, argc, argv, &i, "--emit", &v, &bad)) {
            rc = bad ? EXIT_USAGE : parse_emit(&drv, v, &emit);
        } else if (strcmp(arg, "-S") == 0) {
            emit = EMIT_ASM;
        } else if (driver_value(&drv, argc, argv, &i, "--report", &v, &bad)) {
            if (bad) rc = EXIT_USAGE;
            report = v;
        } else if (driver_value(&drv, argc, argv, &i, "-o", &v, &bad)) {
            if (bad) rc = EXIT_USAGE;
            out = v;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            rc = driver_usage(&drv, "unknown option '%s'", arg);
        } else if (driver_set_model(&drv, arg) == DRIVER_BAD) {
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && !drv.model) rc = driver_usage(&drv, "no model given");
    if (rc == EXIT_OK && report && emit != EMIT_ASM && emit != EMIT_BIN)
        rc = driver_usage(&drv, "--report needs --emit=asm or --emit=bin");
    if (rc != EXIT_OK) {
        driver_free(&drv);
        return rc;
    }

    IrGraph *g = driver_load(&drv);
    if (!g) {
        driver_free(&drv);
        return EXIT_USER;
    }
    if (!out) out = "-";
    if (emit == EMIT_ASM || emit == EMIT_BIN) {
        rc = compile(&drv, g, emit, out, report);
    } else {
        driver_run_passes(&drv, g, false);
        StrBuf text;
        sb_init(&text);
        rc = emit == EMIT_IR ? driver_emit_ir(&drv, g, out, &text)
                             : driver_emit_dsl(&drv, g, out, &text);
        if (rc == EXIT_OK) rc = driver_write(&drv, out, text.data, text.len);
        sb_free(&text);
    }
    ir_graph_free(g);
    driver_free(&drv);
    return rc;
}

/*
 * accc: the compiler. It reads a model (.g, .ir or .onnx), checks it, runs
 * the middle end's passes and writes what --emit asks for: the IR text,
 * DSL text (large constants in .npy files beside it), and — once the
 * backend is in — ACC-1 assembly or a binary. Every output, the depfile
 * (-MD) included, is written at the end and only if the compile
 * succeeded (driver.h).
 *
 *   accc [--emit=ir|g|asm|bin | -S] [-o OUT] [MODEL OPTIONS] [-MD [-MF F] [-MT T] [-MP]]
 *        [-Werror] [-fdiagnostics-format=json] MODEL
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

static const char synopsis[] =
    "usage: accc [options] MODEL.g|MODEL.ir|MODEL.onnx|-\n"
    "\n"
    "Compile a model for ACC-1, or write it out as IR or DSL text ('-': DSL text on\n"
    "standard input).\n"
    "\n";

static const char epilogue[] =
    "\n"
    "With --emit=ir or g, no pass runs unless -O or --passes is given. The outputs\n"
    "(with --emit=g its .npy files, with -MD the depfile) are written only if the\n"
    "compile succeeds. ACCC_PROGRESS_DELAY=SECONDS: when a progress line appears on\n"
    "a terminal (default 1). 'man accc' explains every option.\n"
    "\n"
    "Exit status: 0 success, 1 error in the model, 2 bad command line, 3 internal error.\n";

/* ---- What --emit writes -------------------------------------------------------------- */

typedef enum Emit { EMIT_IR, EMIT_G, EMIT_ASM, EMIT_BIN } Emit;

typedef struct Accc {
    Emit emit;
    const char *out;    /* -o FILE; NULL: by emits[].extension */
    const char *report; /* --report=FILE.json; NULL: none */
} Accc;

/* Write g, the compiled graph, to drv->output (and any other output)
 * through driver_output. Errors go to drv->diag: driver_finish then writes
 * nothing and exits 1. */
typedef void EmitFn(Driver *drv, IrGraph *g, const Accc *a);

static void emit_ir(Driver *drv, IrGraph *g, const Accc *a) {
    driver_emit_ir(drv, g);
}

static void emit_dsl(Driver *drv, IrGraph *g, const Accc *a) {
    driver_emit_dsl(drv, g);
}

/* ACC-1 code: compile, then the assembly or the binary to the main output
 * and the report to a->report, each through driver_output (so -o -, the
 * depfile and atomic output need nothing more). The passes run here, with
 * the target machine set. */
static void emit_code(Driver *drv, IrGraph *g, const Accc *a) {
    BackendOptions opts = {.want_asm = a->emit == EMIT_ASM, .want_report = a->report != NULL};
    BackendOutput bo;
    if (driver_compile(drv, g, &opts, &bo) != EXIT_OK) return;
    driver_progress(drv, "write");
    StrBuf *out = driver_output(drv, drv->output);
    if (a->emit == EMIT_ASM)
        sb_append(out, bo.asm_text.data, bo.asm_text.len);
    else
        asm_image_write(bo.image, out);
    if (a->report) {
        StrBuf *rep = driver_output(drv, a->report);
        sb_append(rep, bo.report.data, bo.report.len);
    }
    backend_output_free(&bo);
}

/* What each --emit kind writes, and where without -o. */
static const struct {
    const char *name;
    EmitFn *fn;
    bool code;             /* ACC-1 code: the whole pipeline runs; --report applies */
    const char *extension; /* the default output: MODEL's stem with this; NULL: stdout */
} emits[] = {
    [EMIT_IR] = {"ir", emit_ir, false, NULL},
    [EMIT_G] = {"g", emit_dsl, false, NULL},
    [EMIT_ASM] = {"asm", emit_code, true, ".s"},
    [EMIT_BIN] = {"bin", emit_code, true, ".bin"},
};

/* ---- Options --------------------------------------------------------------------------- */

enum { OPT_EMIT, OPT_ASM, OPT_OUT, OPT_REPORT };

static DriverArg accc_option(Driver *drv, void *ctx, int id, const char *v) {
    Accc *a = ctx;
    switch (id) {
    case OPT_EMIT:
        for (int k = 0; k < (int)ACC_ARRAY_LEN(emits); k++)
            if (strcmp(v, emits[k].name) == 0) {
                a->emit = (Emit)k;
                return DRIVER_TAKEN;
            }
        driver_usage(drv, "--emit needs ir, g, asm or bin, not '%s'", v);
        return DRIVER_BAD;
    case OPT_ASM: a->emit = EMIT_ASM; return DRIVER_TAKEN;
    case OPT_OUT: a->out = v; return DRIVER_TAKEN;
    case OPT_REPORT: a->report = v; return DRIVER_TAKEN;
    }
    ice("accc_option: option %d", id);
}

static const OptSpec accc_specs[] = {
    {OPT_EMIT, "--emit", "KIND", 0, "what to write: ir, g (DSL text), asm, bin (default)", NULL},
    {OPT_ASM, "-S", NULL, 0, "write assembly: --emit=asm", NULL},
    {OPT_OUT, "-o", "FILE", 0, "where to write it ('-': standard output)", NULL},
    {OPT_REPORT, "--report", "FILE.json", 0, "write the memory and cycle plan per tile", NULL},
};

static DriverArg model_argument(Driver *drv, void *ctx, const char *arg) {
    return driver_set_model(drv, arg);
}

/* Where the output goes without -o: text to standard output, code to
 * MODEL's stem with the kind's extension in the current directory (as
 * cc -c and cc -S do). */
static char *default_output(const char *model, Emit emit) {
    if (!emits[emit].extension) return xstrdup("-");
    const char *base = strrchr(model, '/') ? strrchr(model, '/') + 1 : model;
    if (strcmp(model, "-") == 0) base = "a";
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%.*s%s", (int)stem, base, emits[emit].extension);
    return sb_take(&sb);
}

/* The options' combinations, once all are read. */
static int check_options(Driver *drv, const Accc *a) {
    if (a->report && !emits[a->emit].code)
        return driver_usage(drv, "--report describes ACC-1 code: use it with --emit=asm or bin");
    return EXIT_OK;
}

int main(int argc, char **argv) {
    Driver drv;
    driver_init(&drv, "accc");
    drv.synopsis = synopsis;
    drv.epilogue = epilogue;
    Accc a = {EMIT_BIN, NULL, NULL};
    const DriverSection sections[] = {
        {{"Output", accc_specs, ACC_ARRAY_LEN(accc_specs)}, accc_option, &a},
        driver_model_options(),
        driver_pass_options(),
        driver_deps_options(),
        driver_diag_options(),
    };
    int rc =
        driver_parse(&drv, argc, argv, sections, ACC_ARRAY_LEN(sections), model_argument, NULL);
    char *out = NULL;
    if (rc == EXIT_OK) {
        out = a.out ? xstrdup(a.out) : default_output(drv.model, a.emit);
        rc = driver_set_output(&drv, out);
    }
    if (rc == EXIT_OK) rc = check_options(&drv, &a);
    if (rc != EXIT_OK) {
        rc = driver_finish(&drv, rc);
        free(out);
        return rc;
    }

    bool code = emits[a.emit].code;
    driver_progress_start(&drv, 1 + driver_pass_steps(&drv, code) + 1);
    IrGraph *g = driver_load(&drv);
    if (g) {
        if (!code) {
            driver_run_passes(&drv, g, false);
            driver_progress(&drv, "write");
        }
        emits[a.emit].fn(&drv, g, &a);
        ir_graph_free(g);
    }
    rc = driver_finish(&drv, g ? EXIT_OK : EXIT_USER);
    free(out);
    return rc;
}

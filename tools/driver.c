/*
 * The commands' shared machinery: the command line, model loading, the
 * outputs and the depfile, the progress line, tensors in and out. See
 * driver.h.
 */
#include "driver.h"

#include "isa.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef ACCC_VERSION
#define ACCC_VERSION "unknown"
#endif

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- The progress line ---------------------------------------------------------------- */

/* Shown only on a terminal, and only once the run has taken longer than
 * ACCC_PROGRESS_DELAY seconds (default 1): a fast compile prints nothing,
 * and nothing ever reaches a file or a pipe. */
static void progress_init(Driver *drv) {
    struct DriverProgress *p = &drv->progress;
    memset(p, 0, sizeof *p);
    p->start = now_seconds();
    p->delay = 1.0;
    const char *env = getenv("ACCC_PROGRESS_DELAY");
    if (env && *env) {
        char *end;
        double v = strtod(env, &end);
        if (!*end && v >= 0) p->delay = v;
    }
    p->enabled = isatty(STDERR_FILENO);
}

/* Take the line off the screen (before any other text reaches stderr). */
static void progress_clear(void *user) {
    Driver *drv = user;
    if (!drv->progress.shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    drv->progress.shown = false;
}

void driver_progress_start(Driver *drv, int steps) {
    struct DriverProgress *p = &drv->progress;
    p->steps = steps;
    p->step = 0;
    /* JSON messages and IR dumps share stderr: no line then. */
    if (drv->diag.format != DIAG_TEXT || drv->pc.print_after_all || drv->pc.print_after)
        p->enabled = false;
}

void driver_progress(Driver *drv, const char *step) {
    struct DriverProgress *p = &drv->progress;
    if (!p->enabled || p->steps <= 0) return;
    int done = p->step < p->steps ? p->step : p->steps - 1;
    p->step++;
    if (now_seconds() - p->start < p->delay) return;
    fprintf(stderr, "\r%s: [%3d%%] %s\033[K", drv->tool, 100 * done / p->steps, step);
    fflush(stderr);
    p->shown = true;
}

static void progress_pass(void *user, const char *pass) {
    driver_progress(user, pass);
}

int driver_pass_steps(const Driver *drv, bool always) {
    if (drv->pass_list) return pass_list_length(drv->pass_list);
    if (always) return pass_pipeline_length(drv->pc.opt_level) + 3; /* tile, schedule, place */
    return drv->opt_given ? pass_pipeline_length(drv->pc.opt_level) : 0;
}

/* ---- Setup and messages ------------------------------------------------------------------ */

void driver_init(Driver *drv, const char *tool) {
    memset(drv, 0, sizeof *drv);
    drv->tool = tool;
    diag_init(&drv->diag, tool, stderr);
    drv->diag.before_print = progress_clear;
    drv->diag.user = drv;
    pass_context_init(&drv->pc);
    drv->pc.before_pass = progress_pass;
    drv->pc.user = drv;
    drv->pc.diag = &drv->diag;
    outfiles_init(&drv->outs);
    sb_init(&drv->main_out);
    deps_init(&drv->deps);
    progress_init(drv);
    /* A closed pipe on standard output is a write error (exit 1), not a
     * signal. */
    signal(SIGPIPE, SIG_IGN);
}

void driver_free(Driver *drv) {
    pass_context_free(&drv->pc);
    for (int k = 0; k < drv->fe.ndefines; k++) free((char *)drv->defines[k].name);
    free(drv->defines);
    for (int k = 0; k < drv->fe.nfreezes; k++) free((char *)drv->freezes[k].name);
    free(drv->freezes);
    outfiles_free(&drv->outs);
    sb_free(&drv->main_out);
    deps_free(&drv->deps);
    diag_free(&drv->diag);
}

static const SrcLoc nowhere = {0, 0, 0};

int driver_usage(Driver *drv, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    StrBuf msg;
    sb_init(&msg);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    opt_usage(&drv->diag, "%s", msg.data);
    sb_free(&msg);
    return EXIT_USAGE;
}

int driver_error(Driver *drv, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(&drv->diag, DIAG_ERROR, nowhere, fmt, ap);
    va_end(ap);
    return EXIT_USER;
}

/* ---- The command line ------------------------------------------------------------------- */

enum {
    OPT_MODEL_DEFINE,
    OPT_MODEL_ENTRY,
    OPT_MODEL_FREEZE,
    OPT_MODEL_TARGET,
    OPT_PASS_LEVEL,
    OPT_PASS_LIST,
    OPT_PASS_PRINT_ALL,
    OPT_PASS_PRINT,
    OPT_PASS_TIME,
    OPT_DEPS_MD,
    OPT_DEPS_MF,
    OPT_DEPS_MT,
    OPT_DEPS_MP,
    OPT_DIAG_WERROR,
    OPT_DIAG_FORMAT,
    OPT_HELP,
    OPT_VERSION,
};

/* NAME=VALUE with VALUE an integer. */
static bool parse_define(const char *s, FeDefine *out) {
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) return false;
    for (const char *p = s; p < eq; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (p > s && *p >= '0' && *p <= '9')))
            return false;
    char *end;
    errno = 0;
    long long v = strtoll(eq + 1, &end, 10);
    if (end == eq + 1 || *end || errno == ERANGE || v < 0) return false;
    out->name = xstrndup(s, (size_t)(eq - s));
    out->value = v;
    return true;
}

static DriverArg add_freeze(Driver *drv, const char *v) {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1]) {
        driver_usage(drv, "--freeze needs NAME=FILE.npy, not '%s'", v);
        return DRIVER_BAD;
    }
    for (int k = 0; k < drv->fe.nfreezes; k++)
        if (strlen(drv->freezes[k].name) == (size_t)(eq - v) &&
            strncmp(drv->freezes[k].name, v, (size_t)(eq - v)) == 0) {
            driver_usage(drv, "--freeze %s is given twice", drv->freezes[k].name);
            return DRIVER_BAD;
        }
    XGROW(drv->freezes, drv->capfreezes, (size_t)drv->fe.nfreezes + 1);
    FeFreeze *f = &drv->freezes[drv->fe.nfreezes++];
    f->name = xstrndup(v, (size_t)(eq - v));
    f->path = eq + 1;
    f->value = NULL;
    drv->fe.freezes = drv->freezes;
    return DRIVER_TAKEN;
}

static DriverArg set_target(Driver *drv, const char *v) {
    int p = isa_preset_lookup(v);
    if (p >= 0) {
        drv->target = p;
        return DRIVER_TAKEN;
    }
    StrBuf names;
    sb_init(&names);
    for (int k = 0; k < ISA_PRESET_COUNT; k++)
        sb_printf(&names, "%s%s", k ? ", " : "", isa_preset((IsaPreset)k)->preset);
    driver_usage(drv, "--target needs one of %s, not '%s'", names.data, v);
    sb_free(&names);
    return DRIVER_BAD;
}

static DriverArg model_option(Driver *drv, void *ctx, int id, const char *v) {
    FeDefine def;
    switch (id) {
    case OPT_MODEL_DEFINE:
        if (!parse_define(v, &def)) {
            driver_usage(drv, "-D needs NAME=VALUE with a non-negative integer VALUE, not '%s'", v);
            return DRIVER_BAD;
        }
        XGROW(drv->defines, drv->capdefines, (size_t)drv->fe.ndefines + 1);
        drv->defines[drv->fe.ndefines++] = def;
        drv->fe.defines = drv->defines;
        return DRIVER_TAKEN;
    case OPT_MODEL_ENTRY: drv->fe.entry = v; return DRIVER_TAKEN;
    case OPT_MODEL_FREEZE: return add_freeze(drv, v);
    case OPT_MODEL_TARGET: return set_target(drv, v);
    }
    ice("model_option: option %d", id);
}

DriverSection driver_model_options(void) {
    /* The preset names come from the machine table. */
    static char target_help[160];
    static OptSpec specs[] = {
        {OPT_MODEL_DEFINE, "-D", "NAME=VALUE", 0,
         "bind a named dimension (ONNX: a symbolic input dimension)", NULL},
        {OPT_MODEL_ENTRY, "--entry", "NAME", OPT_SPACE,
         "the graph to use (default: the last in the file)", NULL},
        {OPT_MODEL_FREEZE, "--freeze", "NAME=FILE.npy", OPT_SPACE,
         "treat the input NAME as the constant in FILE.npy", NULL},
        {OPT_MODEL_TARGET, "--target", "PRESET", 0, target_help, NULL},
    };
    if (!target_help[0]) {
        StrBuf sb;
        sb_init(&sb);
        sb_puts(&sb, "the machine:");
        for (int k = 0; k < ISA_PRESET_COUNT; k++)
            sb_printf(&sb, "%s %s%s", k ? "," : "", isa_preset((IsaPreset)k)->preset,
                      k ? "" : " (default)");
        snprintf(target_help, sizeof target_help, "%s", sb.data);
        sb_free(&sb);
    }
    return (DriverSection){{"Model", specs, ACC_ARRAY_LEN(specs)}, model_option, NULL};
}

static DriverArg pass_option(Driver *drv, void *ctx, int id, const char *v) {
    char err[512];
    switch (id) {
    case OPT_PASS_LEVEL:
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0 && strcmp(v, "2") != 0) {
            driver_usage(drv, "unknown optimisation level '-O%s' (use -O0, -O1 or -O2)", v);
            return DRIVER_BAD;
        }
        drv->pc.opt_level = v[0] - '0';
        drv->opt_given = true;
        return DRIVER_TAKEN;
    case OPT_PASS_LIST:
        if (!pass_list_check(v, err, sizeof err)) {
            driver_usage(drv, "--passes: %s", err);
            return DRIVER_BAD;
        }
        drv->pass_list = v;
        return DRIVER_TAKEN;
    case OPT_PASS_PRINT_ALL: drv->pc.print_after_all = true; return DRIVER_TAKEN;
    case OPT_PASS_PRINT:
        if (!pass_find(v)) {
            const char *hint = pass_suggest(v);
            driver_usage(drv, "--print-after: unknown pass '%s'%s%s%s", v,
                         hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            return DRIVER_BAD;
        }
        drv->pc.print_after = v;
        return DRIVER_TAKEN;
    case OPT_PASS_TIME: drv->pc.time_passes = true; return DRIVER_TAKEN;
    }
    ice("pass_option: option %d", id);
}

DriverSection driver_pass_options(void) {
    static const OptSpec specs[] = {
        {OPT_PASS_LEVEL, "-O", "LEVEL", OPT_JOINED,
         "optimisation level of the middle end (default -O2)", "-O0, -O1, -O2"},
        {OPT_PASS_LIST, "--passes", "LIST", 0,
         "run exactly these passes (comma-separated), not the pipeline", NULL},
        {OPT_PASS_PRINT_ALL, "--print-after-all", NULL, 0,
         "print the IR after every pass (standard error)", NULL},
        {OPT_PASS_PRINT, "--print-after", "PASS", 0,
         "print the IR after each run of PASS (standard error)", NULL},
        {OPT_PASS_TIME, "--time-passes", NULL, 0, "print each pass's wall time (standard error)",
         NULL},
    };
    return (DriverSection){{"Middle end", specs, ACC_ARRAY_LEN(specs)}, pass_option, NULL};
}

static DriverArg deps_option(Driver *drv, void *ctx, int id, const char *v) {
    switch (id) {
    case OPT_DEPS_MD: drv->depfile_wanted = true; return DRIVER_TAKEN;
    case OPT_DEPS_MF: drv->depfile = v; return DRIVER_TAKEN;
    case OPT_DEPS_MT: drv->dep_target = v; return DRIVER_TAKEN;
    case OPT_DEPS_MP: drv->dep_phony = true; return DRIVER_TAKEN;
    }
    ice("deps_option: option %d", id);
}

DriverSection driver_deps_options(void) {
    static const OptSpec specs[] = {
        {OPT_DEPS_MD, "-MD", NULL, 0, "also write a depfile: a Make rule naming every file read",
         NULL},
        {OPT_DEPS_MF, "-MF", "FILE", 0, "the depfile (default: the output, extension .d)", NULL},
        {OPT_DEPS_MT, "-MT", "TARGET", 0, "the depfile rule's target (default: the output)", NULL},
        {OPT_DEPS_MP, "-MP", NULL, 0,
         "add an empty rule per dependency (Make forgets deleted files)", NULL},
    };
    return (DriverSection){{"Dependencies", specs, ACC_ARRAY_LEN(specs)}, deps_option, NULL};
}

static bool diag_format(const char *v, DiagFormat *f) {
    if (strcmp(v, "text") == 0)
        *f = DIAG_TEXT;
    else if (strcmp(v, "json") == 0)
        *f = DIAG_JSON;
    else
        return false;
    return true;
}

static DriverArg diag_option(Driver *drv, void *ctx, int id, const char *v) {
    switch (id) {
    case OPT_DIAG_WERROR: drv->diag.werror = true; return DRIVER_TAKEN;
    case OPT_DIAG_FORMAT:
        if (!diag_format(v, &drv->diag.format)) {
            driver_usage(drv, "-fdiagnostics-format needs text or json, not '%s'", v);
            return DRIVER_BAD;
        }
        return DRIVER_TAKEN;
    }
    ice("diag_option: option %d", id);
}

DriverSection driver_diag_options(void) {
    static const OptSpec specs[] = {
        {OPT_DIAG_WERROR, "-Werror", NULL, 0, "treat warnings as errors", NULL},
        {OPT_DIAG_FORMAT, "-fdiagnostics-format", "FORMAT", OPT_EQUALS,
         "messages as text (default) or json (one array of objects)", NULL},
    };
    return (DriverSection){{"Diagnostics", specs, ACC_ARRAY_LEN(specs)}, diag_option, NULL};
}

static const OptSpec general_specs[] = {
    {OPT_HELP, "--help", NULL, 0, "print this help", NULL},
    {OPT_HELP, "-h", NULL, OPT_HIDDEN, "print this help", NULL},
    {OPT_VERSION, "--version", NULL, 0, "print the version", NULL},
};

int driver_parse(Driver *drv, int argc, char **argv, const DriverSection *sections, size_t n,
                 DriverPositional *positional, void *ctx) {
    /* The message format first, so that every message follows it. */
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "-fdiagnostics-format=", 21) == 0)
            diag_format(argv[i] + 21, &drv->diag.format);
    OptTable *tables = xcalloc(n + 1, sizeof *tables);
    for (size_t k = 0; k < n; k++) tables[k] = sections[k].table;
    tables[n] = (OptTable){"General", general_specs, ACC_ARRAY_LEN(general_specs)};
    int rc = EXIT_OK;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        size_t t;
        const OptSpec *spec;
        const char *value;
        char err[512];
        OptResult r = opt_match(tables, n + 1, argc, argv, &i, &t, &spec, &value, err, sizeof err);
        if (r == OPT_BAD) {
            rc = driver_usage(drv, "%s", err);
        } else if (r == OPT_POSITIONAL) {
            if (positional(drv, ctx, argv[i]) == DRIVER_BAD) rc = EXIT_USAGE;
        } else if (t < n) {
            if (sections[t].handle(drv, sections[t].ctx, spec->id, value) == DRIVER_BAD)
                rc = EXIT_USAGE;
        } else if (spec->id == OPT_HELP) {
            opt_print_help(drv->synopsis, tables, n + 1, drv->epilogue);
            rc = DRIVER_DONE;
        } else {
            printf("%s %s\n", drv->tool, ACCC_VERSION);
            rc = DRIVER_DONE;
        }
    }
    free(tables);
    if (rc == EXIT_OK && !drv->model) rc = driver_usage(drv, "no model given");
    return rc;
}

DriverArg driver_set_model(Driver *drv, const char *path) {
    if (drv->model) {
        driver_usage(drv, "more than one model given ('%s' and '%s')", drv->model, path);
        return DRIVER_BAD;
    }
    drv->model = path;
    return DRIVER_TAKEN;
}

/* path with its extension (after the last '.' of its last component)
 * replaced by ext. */
static char *replace_extension(const char *path, const char *ext) {
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t keep = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, path, keep);
    sb_puts(&sb, ext);
    return sb_take(&sb);
}

int driver_set_output(Driver *drv, const char *path) {
    drv->output = path;
    if (!drv->depfile_wanted) {
        if (drv->depfile || drv->dep_target || drv->dep_phony)
            return driver_usage(drv, "-MF, -MT and -MP go with -MD");
        return EXIT_OK;
    }
    bool to_stdout = strcmp(path, "-") == 0;
    if (to_stdout && (!drv->depfile || !drv->dep_target))
        return driver_usage(drv, "-MD with the output on standard output needs -MF FILE and "
                                 "-MT TARGET");
    if (drv->depfile && strcmp(drv->depfile, "-") == 0)
        return driver_usage(drv, "-MF needs a file, not standard output");
    drv->fe.deps = &drv->deps;
    return EXIT_OK;
}

/* ---- A run ------------------------------------------------------------------------------- */

IrGraph *driver_load(Driver *drv) {
    driver_progress(drv, "read");
    return fe_load(drv->model, &drv->fe, &drv->diag);
}

void driver_run_passes(Driver *drv, IrGraph *g, bool always) {
    if (drv->pass_list)
        pass_run_list(g, &drv->pc, drv->pass_list);
    else if (always || drv->opt_given)
        pass_pipeline(g, &drv->pc);
    if (drv->pc.time_passes) {
        progress_clear(drv);
        pass_print_timings(&drv->pc);
    }
}

int driver_compile(Driver *drv, IrGraph *g, const BackendOptions *opts, BackendOutput *out) {
    drv->pc.machine = isa_preset((IsaPreset)drv->target);
    driver_run_passes(drv, g, true);
    return backend_compile(g, &drv->pc, opts, out) == 0 ? EXIT_OK : EXIT_USER;
}

StrBuf *driver_output(Driver *drv, const char *path) {
    if (drv->output && strcmp(path, drv->output) == 0 && !drv->main_used) {
        drv->main_used = true;
        return &drv->main_out;
    }
    return outfiles_add(&drv->outs, path);
}

/* The directory an output's relative paths start from. */
static char *output_dir(const char *out) {
    return strcmp(out, "-") == 0 ? xstrdup(".") : path_dirname(out);
}

void driver_emit_ir(Driver *drv, const IrGraph *g) {
    IrPrintOptions opts;
    memset(&opts, 0, sizeof opts);
    char *dir = output_dir(drv->output);
    opts.base_dir = dir;
    ir_print(driver_output(drv, drv->output), g, &opts);
    free(dir);
}

/* Constants this large leave DSL text for .npy files. */
enum { DSL_INLINE_LIMIT = 64 };

void driver_emit_dsl(Driver *drv, IrGraph *g) {
    IrPrintOptions opts;
    memset(&opts, 0, sizeof opts);
    const char *out = drv->output;
    char *dir = output_dir(out);
    opts.base_dir = dir;
    StrBuf *text = driver_output(drv, out);
    if (strcmp(out, "-") != 0) {
        /* OUT.g -> OUT.NAME.npy */
        const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
        size_t stem_len = strlen(base);
        if (stem_len > 2 && strcmp(base + stem_len - 2, ".g") == 0) stem_len -= 2;
        char *stem = xstrndup(base, stem_len);
        ir_const_externalize(g, dir, stem, DSL_INLINE_LIMIT, &drv->outs);
        free(stem);
    }
    fe_emit_dsl(text, g, &opts);
    free(dir);
}

/* The depfile, into the outputs. */
static int add_depfile(Driver *drv) {
    char *path = drv->depfile ? xstrdup(drv->depfile) : replace_extension(drv->output, ".d");
    const char *target = drv->dep_target ? drv->dep_target : drv->output;
    char err[600];
    int rc = EXIT_OK;
    if (deps_format_make(driver_output(drv, path), target, &drv->deps, drv->dep_phony, err,
                         sizeof err) < 0)
        rc = driver_error(drv, "%s", err);
    free(path);
    return rc;
}

int driver_finish(Driver *drv, int rc) {
    if (rc == DRIVER_DONE) { /* --help or --version: nothing else to say */
        driver_free(drv);
        return EXIT_OK;
    }
    if (rc == EXIT_OK && diag_failed(&drv->diag)) rc = EXIT_USER;
    if (rc == EXIT_OK && drv->depfile_wanted) rc = add_depfile(drv);
    if (rc == EXIT_OK && drv->main_used) {
        *outfiles_add(&drv->outs, drv->output) = drv->main_out;
        sb_init(&drv->main_out);
    }
    if (rc == EXIT_OK) {
        char err[600];
        if (outfiles_commit(&drv->outs, err, sizeof err) < 0) rc = driver_error(drv, "%s", err);
    }
    progress_clear(drv);
    diag_finish(&drv->diag);
    driver_free(drv);
    return rc;
}

/* ---- Tensors in and out ------------------------------------------------------------ */

void driver_io_init(DriverIO *io) {
    memset(io, 0, sizeof *io);
}

void driver_io_free(DriverIO *io) {
    for (int k = 0; k < io->ninputs; k++) free((char *)io->inputs[k].name);
    for (int k = 0; k < io->noutputs; k++) free((char *)io->outputs[k].name);
    free(io->inputs);
    free(io->outputs);
}

enum { OPT_IO_INPUT, OPT_IO_OUTPUT, OPT_IO_RANDOM };

static DriverArg add_binding(Driver *drv, DriverBinding **list, int *n, size_t *cap,
                             const char *opt, const char *v) {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1]) {
        driver_usage(drv, "%s needs NAME=FILE.npy, not '%s'", opt, v);
        return DRIVER_BAD;
    }
    XGROW(*list, *cap, (size_t)*n + 1);
    (*list)[*n].name = xstrndup(v, (size_t)(eq - v));
    (*list)[*n].path = eq + 1;
    (*n)++;
    return DRIVER_TAKEN;
}

static DriverArg io_option(Driver *drv, void *ctx, int id, const char *v) {
    DriverIO *io = ctx;
    switch (id) {
    case OPT_IO_INPUT: return add_binding(drv, &io->inputs, &io->ninputs, &io->capinputs, "-i", v);
    case OPT_IO_OUTPUT:
        return add_binding(drv, &io->outputs, &io->noutputs, &io->capoutputs, "-o", v);
    case OPT_IO_RANDOM:
        io->random = true;
        if (v) {
            char *end;
            errno = 0;
            unsigned long long seed = strtoull(v, &end, 10);
            if (end == v || *end || errno == ERANGE || v[0] == '-') {
                driver_usage(drv, "--random-inputs=SEED needs a non-negative integer, not '%s'", v);
                return DRIVER_BAD;
            }
            io->seed = seed;
        }
        return DRIVER_TAKEN;
    }
    ice("io_option: option %d", id);
}

DriverSection driver_io_options(DriverIO *io) {
    static const OptSpec specs[] = {
        {OPT_IO_INPUT, "-i", "NAME=FILE.npy", 0, "the input called NAME", NULL},
        {OPT_IO_OUTPUT, "-o", "NAME=FILE.npy", 0,
         "write the output called NAME (bf16 as f32); without -o: print a summary", NULL},
        {OPT_IO_RANDOM, "--random-inputs", "SEED", OPT_OPTIONAL,
         "fill the inputs not given with seeded random values", NULL},
    };
    return (DriverSection){{"Tensors", specs, ACC_ARRAY_LEN(specs)}, io_option, io};
}

void driver_io_add_input(DriverIO *io, const char *path) {
    XGROW(io->inputs, io->capinputs, (size_t)io->ninputs + 1);
    io->inputs[io->ninputs].name = NULL;
    io->inputs[io->ninputs].path = path;
    io->ninputs++;
}

static int find_name(const char *name, int n, const char *const *names) {
    for (int k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0) return k;
    return -1;
}

static int unknown_name(Driver *drv, const char *what, const char *name, int n,
                        const char *const *names) {
    const char *hint = str_suggest(name, names, (size_t)n);
    if (hint)
        return driver_error(drv, "the model has no %s '%s'; did you mean '%s'?", what, name, hint);
    StrBuf all;
    sb_init(&all);
    for (int k = 0; k < n; k++) sb_printf(&all, "%s'%s'", k ? ", " : "", names[k]);
    driver_error(drv, "the model has no %s '%s' (it has %s)", what, name, n ? all.data : "none");
    sb_free(&all);
    return EXIT_USER;
}

/* Load one input file and check it against the model's input. */
static int load_input(Driver *drv, const char *path, const char *name, const IrType *t,
                      NpyArray *out) {
    char err[600];
    NpyArray a;
    if (npy_load(path, &a, err, sizeof err) < 0) return driver_error(drv, "%s", err);
    bool shape_ok = a.ndim == t->rank;
    for (int k = 0; shape_ok && k < t->rank; k++) shape_ok = a.shape[k] == t->dims[k];
    /* .npy has no bf16: a bf16 input comes as f32 and is rounded; a float
     * input may come as f64 (an ONNX DOUBLE input, computed in f32). */
    bool widened = (t->dtype == ACC_DTYPE_BF16 && a.dtype == ACC_DTYPE_F32) ||
                   ((dtype_flags(t->dtype) & DT_FLOAT) && a.dtype == ACC_DTYPE_F64);
    if (!shape_ok || (a.dtype != t->dtype && !widened)) {
        IrType have;
        memset(&have, 0, sizeof have);
        have.dtype = a.dtype;
        have.rank = a.ndim < IR_MAX_RANK ? a.ndim : IR_MAX_RANK;
        for (int k = 0; k < have.rank; k++) have.dims[k] = a.shape[k];
        char want[160];
        snprintf(want, sizeof want, "%s", ir_type_str(t));
        driver_error(drv, "input '%s' must be %s, but '%s' holds %s", name, want, path,
                     ir_type_str(&have));
        npy_free(&a);
        return EXIT_USER;
    }
    if (widened) {
        npy_alloc(out, t->dtype, t->rank, t->dims);
        for (size_t k = 0; k < a.count; k++)
            dtype_set(t->dtype, out->data, k, dtype_get(a.dtype, a.data, k));
        npy_free(&a);
    } else {
        *out = a;
    }
    return EXIT_OK;
}

/* --random-inputs: input k of the run gets normal(seed + k, 1) when float,
 * integers uniform in [0, 10), bools uniform in {0, 1}. */
static void random_input(const IrType *t, uint64_t seed, int k, NpyArray *out) {
    npy_alloc(out, t->dtype, t->rank, t->dims);
    uint64_t s = seed + (uint64_t)k;
    if (dtype_flags(t->dtype) & DT_FLOAT)
        ir_init_normal(t->dtype, out->data, out->count, s, 1.0);
    else
        ir_init_uniform(t->dtype, out->data, out->count, s, 0, t->dtype == ACC_DTYPE_BOOL ? 2 : 10);
}

int driver_read_inputs(Driver *drv, const DriverIO *io, int n, const char *const *names,
                       const IrType *types, NpyArray *arrays) {
    int rc = EXIT_OK;
    bool *given = xcalloc((size_t)(n ? n : 1), sizeof *given);
    memset(arrays, 0, (size_t)n * sizeof *arrays);
    for (int b = 0; b < io->ninputs && rc == EXIT_OK; b++) {
        if (!io->inputs[b].name) continue;
        int k = find_name(io->inputs[b].name, n, names);
        if (k < 0) {
            rc = unknown_name(drv, "input", io->inputs[b].name, n, names);
        } else if (given[k]) {
            rc = driver_error(drv, "input '%s' is given twice", names[k]);
        } else {
            rc = load_input(drv, io->inputs[b].path, names[k], &types[k], &arrays[k]);
            given[k] = rc == EXIT_OK;
        }
    }
    int next = 0;
    for (int b = 0; b < io->ninputs && rc == EXIT_OK; b++) {
        if (io->inputs[b].name) continue;
        while (next < n && given[next]) next++;
        if (next == n) {
            rc = driver_error(drv, "'%s' is one input file too many (the model has %d input%s)",
                              io->inputs[b].path, n, n == 1 ? "" : "s");
            break;
        }
        rc = load_input(drv, io->inputs[b].path, names[next], &types[next], &arrays[next]);
        given[next] = rc == EXIT_OK;
    }
    for (int k = 0; k < n && rc == EXIT_OK; k++) {
        if (given[k]) continue;
        if (io->random) {
            random_input(&types[k], io->seed, k, &arrays[k]);
            given[k] = true;
            continue;
        }
        rc = driver_error(drv,
                          "input '%s' (%s) is not given; pass -i %s=FILE.npy or --random-inputs",
                          names[k], ir_type_str(&types[k]), names[k]);
    }
    if (rc != EXIT_OK)
        for (int k = 0; k < n; k++)
            if (given[k]) npy_free(&arrays[k]);
    free(given);
    return rc;
}

/* bf16 leaves as f32, since .npy cannot hold it. */
static void savable(const NpyArray *a, NpyArray *out, bool *owned) {
    *owned = a->dtype == ACC_DTYPE_BF16;
    if (!*owned) {
        *out = *a;
        return;
    }
    npy_alloc(out, ACC_DTYPE_F32, a->ndim, a->shape);
    for (size_t k = 0; k < a->count; k++)
        dtype_set(ACC_DTYPE_F32, out->data, k, dtype_get(a->dtype, a->data, k));
}

static void print_summary(const char *name, const NpyArray *a) {
    IrType t;
    memset(&t, 0, sizeof t);
    t.dtype = a->dtype;
    t.rank = a->ndim;
    for (int k = 0; k < a->ndim; k++) t.dims[k] = a->shape[k];
    printf("%s: %s = [", name, ir_type_str(&t));
    size_t shown = a->count < 6 ? a->count : 6;
    double sum = 0;
    for (size_t k = 0; k < a->count; k++) sum += dtype_get(a->dtype, a->data, k);
    for (size_t k = 0; k < shown; k++) {
        double v = dtype_get(a->dtype, a->data, k);
        if (a->dtype == ACC_DTYPE_I64)
            printf("%s%lld", k ? ", " : "", (long long)((const int64_t *)a->data)[k]);
        else if (dtype_flags(a->dtype) & DT_FLOAT)
            printf("%s%.6g", k ? ", " : "", v);
        else
            printf("%s%.0f", k ? ", " : "", v);
    }
    /* FNV-1a over the tensor's bytes: equal checksums mean equal bits. */
    uint32_t h = 2166136261u;
    const unsigned char *p = a->data;
    for (size_t k = 0; k < a->count * dtype_size(a->dtype); k++) h = (h ^ p[k]) * 16777619u;
    printf("%s] sum=%.9g fnv1a=%08x\n", a->count > shown ? ", ..." : "", sum, h);
}

int driver_write_outputs(Driver *drv, const DriverIO *io, int n, const char *const *names,
                         const NpyArray *arrays) {
    if (io->noutputs == 0) {
        for (int k = 0; k < n; k++) print_summary(names[k], &arrays[k]);
        return EXIT_OK;
    }
    /* Check every name first, so a typo writes nothing. */
    for (int b = 0; b < io->noutputs; b++)
        if (find_name(io->outputs[b].name, n, names) < 0)
            return unknown_name(drv, "output", io->outputs[b].name, n, names);
    for (int b = 0; b < io->noutputs; b++) {
        int k = find_name(io->outputs[b].name, n, names);
        NpyArray a;
        bool owned;
        savable(&arrays[k], &a, &owned);
        npy_serialize(&a, driver_output(drv, io->outputs[b].path));
        if (owned) npy_free(&a);
    }
    return EXIT_OK;
}

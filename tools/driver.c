/*
 * The commands' shared machinery: option parsing, model loading, tensors
 * in and out. See driver.h.
 */
#include "driver.h"

#include "isa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef ACCC_VERSION
#define ACCC_VERSION "unknown"
#endif

void driver_init(Driver *drv, const char *tool) {
    memset(drv, 0, sizeof *drv);
    drv->tool = tool;
    diag_init(&drv->diag, tool, stderr);
    pass_context_init(&drv->pc);
}

void driver_free(Driver *drv) {
    pass_context_free(&drv->pc);
    for (int k = 0; k < drv->fe.ndefines; k++) free((char *)drv->defines[k].name);
    free(drv->defines);
    for (int k = 0; k < drv->fe.nfreezes; k++) free((char *)drv->freezes[k].name);
    free(drv->freezes);
    diag_free(&drv->diag);
}

int driver_usage(Driver *drv, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", drv->tool);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s: try '%s --help'\n", drv->tool, drv->tool);
    va_end(ap);
    return EXIT_USAGE;
}

void driver_version(const Driver *drv) {
    printf("%s %s\n", drv->tool, ACCC_VERSION);
}

bool driver_value(Driver *drv, int argc, char **argv, int *i, const char *name, const char **value,
                  bool *bad) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return false;
    const char *rest = arg + n;
    bool short_opt = name[0] == '-' && name[1] != '-';
    if (*rest == '=' && !short_opt) {
        *value = rest + 1;
        return true;
    }
    if (*rest && short_opt) {
        *value = rest;
        return true;
    }
    if (*rest) return false; /* --entryx is another option */
    if (*i + 1 >= argc) {
        driver_usage(drv, "%s needs a value", name);
        *bad = true;
        return true;
    }
    *value = argv[++*i];
    return true;
}

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

/* The middle end's options for --help: the option, then its description
 * (lines joined by \n). */
static const char *const pass_help[][2] = {
    {"-O0, -O1, -O2", "optimisation level of the middle end (default -O2): -O0\n"
                      "lowers only, -O1 adds folding, canonicalisation, CSE and\n"
                      "DCE, -O2 adds fusion (docs/passes.md)"},
    {"--passes=LIST", "run exactly these passes, comma-separated, in order\n"
                      "(canon, fold, cse, dce, lower, fuse), not the pipeline"},
    {"--print-after-all", "print the IR after every pass (standard error)"},
    {"--print-after=PASS", "print the IR after each run of PASS (standard error)"},
    {"--time-passes", "print each pass's wall time (standard error)"},
};

void driver_pass_help(FILE *out, int column) {
    for (size_t k = 0; k < ACC_ARRAY_LEN(pass_help); k++) {
        int n = fprintf(out, "  %s", pass_help[k][0]);
        const char *d = pass_help[k][1];
        if (n >= column) {
            fputc('\n', out);
            n = 0;
        }
        while (*d) {
            size_t len = strcspn(d, "\n");
            fprintf(out, "%*s%.*s\n", column - n, "", (int)len, d);
            n = 0;
            d += len + (d[len] == '\n');
        }
    }
}

/* -O0/-O1/-O2, --passes, --print-after(-all), --time-passes. */
static DriverArg driver_pass_option(Driver *drv, int argc, char **argv, int *i) {
    const char *arg = argv[*i], *v;
    bool bad = false;
    char err[512];
    if (strcmp(arg, "-O0") == 0 || strcmp(arg, "-O1") == 0 || strcmp(arg, "-O2") == 0) {
        drv->pc.opt_level = arg[2] - '0';
        drv->opt_given = true;
        return DRIVER_TAKEN;
    }
    if (strncmp(arg, "-O", 2) == 0) {
        driver_usage(drv, "unknown optimisation level '%s' (use -O0, -O1 or -O2)", arg);
        return DRIVER_BAD;
    }
    if (driver_value(drv, argc, argv, i, "--passes", &v, &bad)) {
        if (bad) return DRIVER_BAD;
        if (!pass_list_check(v, err, sizeof err)) {
            driver_usage(drv, "--passes: %s", err);
            return DRIVER_BAD;
        }
        drv->pass_list = v;
        return DRIVER_TAKEN;
    }
    if (strcmp(arg, "--print-after-all") == 0) {
        drv->pc.print_after_all = true;
        return DRIVER_TAKEN;
    }
    if (driver_value(drv, argc, argv, i, "--print-after", &v, &bad)) {
        if (bad) return DRIVER_BAD;
        if (!pass_find(v)) {
            const char *hint = pass_suggest(v);
            driver_usage(drv, "--print-after: unknown pass '%s'%s%s%s", v,
                         hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            return DRIVER_BAD;
        }
        drv->pc.print_after = v;
        return DRIVER_TAKEN;
    }
    if (strcmp(arg, "--time-passes") == 0) {
        drv->pc.time_passes = true;
        return DRIVER_TAKEN;
    }
    return DRIVER_NOT_MINE;
}

void driver_run_passes(Driver *drv, IrGraph *g, bool always) {
    if (drv->pass_list)
        pass_run_list(g, &drv->pc, drv->pass_list);
    else if (always || drv->opt_given)
        pass_pipeline(g, &drv->pc);
    if (drv->pc.time_passes) pass_print_timings(&drv->pc);
}

int driver_compile(Driver *drv, IrGraph *g, const BackendOptions *opts, BackendOutput *out) {
    drv->pc.machine = isa_preset((IsaPreset)drv->target);
    drv->pc.diag = &drv->diag;
    driver_run_passes(drv, g, true);
    int rc = backend_compile(g, &drv->pc, opts, out) == 0 ? EXIT_OK : EXIT_USER;
    if (rc != EXIT_OK) diag_finish(&drv->diag);
    return rc;
}

DriverArg driver_option(Driver *drv, int argc, char **argv, int *i) {
    const char *v;
    bool bad = false;
    if (driver_value(drv, argc, argv, i, "-D", &v, &bad)) {
        if (bad) return DRIVER_BAD;
        FeDefine def;
        if (!parse_define(v, &def)) {
            driver_usage(drv, "-D needs NAME=VALUE with a non-negative integer VALUE, not '%s'", v);
            return DRIVER_BAD;
        }
        XGROW(drv->defines, drv->capdefines, (size_t)drv->fe.ndefines + 1);
        drv->defines[drv->fe.ndefines++] = def;
        drv->fe.defines = drv->defines;
        return DRIVER_TAKEN;
    }
    if (driver_value(drv, argc, argv, i, "--entry", &v, &bad)) {
        if (bad) return DRIVER_BAD;
        drv->fe.entry = v;
        return DRIVER_TAKEN;
    }
    if (driver_value(drv, argc, argv, i, "--freeze", &v, &bad)) {
        if (bad) return DRIVER_BAD;
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
    if (driver_value(drv, argc, argv, i, "--target", &v, &bad)) {
        if (bad) return DRIVER_BAD;
        int p = isa_preset_lookup(v);
        if (p < 0) {
            StrBuf names;
            sb_init(&names);
            for (int k = 0; k < ISA_PRESET_COUNT; k++)
                sb_printf(&names, "%s%s", k ? ", " : "", isa_preset((IsaPreset)k)->preset);
            driver_usage(drv, "--target needs one of %s, not '%s'", names.data, v);
            sb_free(&names);
            return DRIVER_BAD;
        }
        drv->target = p;
        return DRIVER_TAKEN;
    }
    return driver_pass_option(drv, argc, argv, i);
}

DriverArg driver_set_model(Driver *drv, const char *path) {
    if (drv->model) {
        driver_usage(drv, "more than one model given ('%s' and '%s')", drv->model, path);
        return DRIVER_BAD;
    }
    drv->model = path;
    return DRIVER_TAKEN;
}

IrGraph *driver_load(Driver *drv) {
    IrGraph *g = fe_load(drv->model, &drv->fe, &drv->diag);
    diag_finish(&drv->diag);
    return g;
}

int driver_emit_ir(Driver *drv, const IrGraph *g, const char *out, StrBuf *text) {
    (void)drv;
    IrPrintOptions opts;
    memset(&opts, 0, sizeof opts);
    char *dir = strcmp(out, "-") == 0 ? xstrdup(".") : path_dirname(out);
    opts.base_dir = dir;
    ir_print(text, g, &opts);
    free(dir);
    return EXIT_OK;
}

/* Constants this large leave DSL text for .npy files. */
enum { DSL_INLINE_LIMIT = 64 };

int driver_emit_dsl(Driver *drv, IrGraph *g, const char *out, StrBuf *text) {
    IrPrintOptions opts;
    memset(&opts, 0, sizeof opts);
    bool to_file = strcmp(out, "-") != 0;
    char *dir = to_file ? path_dirname(out) : xstrdup(".");
    opts.base_dir = dir;
    int rc = EXIT_OK;
    if (to_file) {
        /* OUT.g -> OUT.NAME.npy */
        const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
        size_t stem_len = strlen(base);
        if (stem_len > 2 && strcmp(base + stem_len - 2, ".g") == 0) stem_len -= 2;
        char *stem = xstrndup(base, stem_len);
        char err[600];
        if (ir_const_externalize(g, dir, stem, DSL_INLINE_LIMIT, err, sizeof err) < 0) {
            fprintf(stderr, "%s: error: %s\n", drv->tool, err);
            rc = EXIT_USER;
        }
        free(stem);
    }
    if (rc == EXIT_OK) fe_emit_dsl(text, g, &opts);
    free(dir);
    return rc;
}

int driver_write(Driver *drv, const char *path, const void *data, size_t len) {
    char err[600];
    if (file_write_atomic(path, data, len, err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", drv->tool, err);
        return EXIT_USER;
    }
    return EXIT_OK;
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

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

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

DriverArg driver_io_option(Driver *drv, DriverIO *io, int argc, char **argv, int *i) {
    const char *v;
    bool bad = false;
    const char *arg = argv[*i];
    if (strcmp(arg, "--random-inputs") == 0) {
        io->random = true;
        return DRIVER_TAKEN;
    }
    if (strncmp(arg, "--random-inputs=", 16) == 0) {
        char *end;
        errno = 0;
        unsigned long long seed = strtoull(arg + 16, &end, 10);
        if (end == arg + 16 || *end || errno == ERANGE || arg[16] == '-') {
            driver_usage(drv, "--random-inputs=SEED needs a non-negative integer, not '%s'",
                         arg + 16);
            return DRIVER_BAD;
        }
        io->random = true;
        io->seed = seed;
        return DRIVER_TAKEN;
    }
    if (driver_value(drv, argc, argv, i, "-i", &v, &bad))
        return bad ? DRIVER_BAD
                   : add_binding(drv, &io->inputs, &io->ninputs, &io->capinputs, "-i", v);
    if (driver_value(drv, argc, argv, i, "-o", &v, &bad))
        return bad ? DRIVER_BAD
                   : add_binding(drv, &io->outputs, &io->noutputs, &io->capoutputs, "-o", v);
    if (arg[0] != '-' && ends_with(arg, ".npy")) {
        XGROW(io->inputs, io->capinputs, (size_t)io->ninputs + 1);
        io->inputs[io->ninputs].name = NULL;
        io->inputs[io->ninputs].path = arg;
        io->ninputs++;
        return DRIVER_TAKEN;
    }
    return DRIVER_NOT_MINE;
}

static int find_name(const char *name, int n, const char *const *names) {
    for (int k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0) return k;
    return -1;
}

static void unknown_name(Driver *drv, const char *what, const char *name, int n,
                         const char *const *names) {
    const char *hint = str_suggest(name, names, (size_t)n);
    StrBuf all;
    sb_init(&all);
    for (int k = 0; k < n; k++) sb_printf(&all, "%s'%s'", k ? ", " : "", names[k]);
    if (hint)
        fprintf(stderr, "%s: error: the model has no %s '%s'; did you mean '%s'?\n", drv->tool,
                what, name, hint);
    else
        fprintf(stderr, "%s: error: the model has no %s '%s' (it has %s)\n", drv->tool, what, name,
                n ? all.data : "none");
    sb_free(&all);
}

/* Load one input file and check it against the model's input. */
static int load_input(Driver *drv, const char *path, const char *name, const IrType *t,
                      NpyArray *out) {
    char err[600];
    NpyArray a;
    if (npy_load(path, &a, err, sizeof err) < 0) {
        fprintf(stderr, "%s: error: %s\n", drv->tool, err);
        return EXIT_USER;
    }
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
        fprintf(stderr, "%s: error: input '%s' must be %s, but '%s' holds %s\n", drv->tool, name,
                want, path, ir_type_str(&have));
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
            unknown_name(drv, "input", io->inputs[b].name, n, names);
            rc = EXIT_USER;
        } else if (given[k]) {
            fprintf(stderr, "%s: error: input '%s' is given twice\n", drv->tool, names[k]);
            rc = EXIT_USER;
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
            fprintf(stderr,
                    "%s: error: '%s' is one input file too many (the model has %d input%s)\n",
                    drv->tool, io->inputs[b].path, n, n == 1 ? "" : "s");
            rc = EXIT_USER;
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
        fprintf(stderr,
                "%s: error: input '%s' (%s) is not given; pass -i %s=FILE.npy or "
                "--random-inputs\n",
                drv->tool, names[k], ir_type_str(&types[k]), names[k]);
        rc = EXIT_USER;
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
        if (find_name(io->outputs[b].name, n, names) < 0) {
            unknown_name(drv, "output", io->outputs[b].name, n, names);
            return EXIT_USER;
        }
    for (int b = 0; b < io->noutputs; b++) {
        int k = find_name(io->outputs[b].name, n, names);
        NpyArray a;
        bool owned;
        savable(&arrays[k], &a, &owned);
        char err[600];
        int rc = npy_save(io->outputs[b].path, &a, err, sizeof err);
        if (owned) npy_free(&a);
        if (rc < 0) {
            fprintf(stderr, "%s: error: %s\n", drv->tool, err);
            return EXIT_USER;
        }
    }
    return EXIT_OK;
}

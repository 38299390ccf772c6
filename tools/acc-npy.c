/*
 * acc-npy: look at and compare .npy files, the tensors that enter and leave
 * every accc tool.
 *
 *   acc-npy show FILE.npy [--all]
 *   acc-npy cmp A.npy B.npy [--rtol R] [--atol A]
 *   acc-npy convert IN.npy OUT.npy --to DTYPE
 *
 * Exit status: 0 success (or arrays equal), 1 bad file (or arrays differ),
 * 2 usage error.
 */
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

#ifndef ACCC_VERSION
#define ACCC_VERSION "unknown"
#endif

static const char synopsis[] =
    "usage: acc-npy show FILE.npy [--all]\n"
    "       acc-npy cmp A.npy B.npy [--rtol R] [--atol A]\n"
    "       acc-npy convert IN.npy OUT.npy --to DTYPE\n"
    "\n"
    "show prints the dtype, the shape and the values; cmp compares element-wise,\n"
    "|a - b| <= atol + rtol * |b| with NaN equal to NaN, and exits 0 if every\n"
    "element passes, 1 otherwise (naming the worst element); convert writes IN's\n"
    "values as DTYPE (floats round to nearest even, integers truncate and saturate).\n"
    "\n";
static const char epilogue[] =
    "\n"
    "Exit status: 0 success (cmp: equal), 1 a bad file (cmp: different), 2 bad command\n"
    "line, 3 internal error.\n";

static void print_shape(const NpyArray *a) {
    printf("[");
    for (int i = 0; i < a->ndim; i++) printf("%s%lld", i ? ", " : "", (long long)a->shape[i]);
    printf("]");
}

static void print_value(const NpyArray *a, size_t i) {
    double v = dtype_get(a->dtype, a->data, i);
    if (a->dtype == ACC_DTYPE_F64)
        printf("%.17g", v);
    else if (dtype_flags(a->dtype) & DT_FLOAT)
        printf("%.9g", v);
    else if (a->dtype == ACC_DTYPE_I64)
        printf("%lld", (long long)((int64_t *)a->data)[i]);
    else
        printf("%.0f", v);
}

static int load_error(Diag *d, const char *err) {
    diag_error(d, diag_loc(0, 0, 0), "%s", err);
    return 1;
}

static int cmd_show(Diag *d, const char *path, bool all) {
    NpyArray a;
    char err[512];
    if (npy_load(path, &a, err, sizeof err) < 0) return load_error(d, err);
    printf("%s ", dtype_name(a.dtype));
    print_shape(&a);
    printf("\n");
    size_t n = all || a.count <= 16 ? a.count : 16;
    for (size_t i = 0; i < n; i++) {
        print_value(&a, i);
        printf(i + 1 < n ? " " : "");
    }
    if (n < a.count) printf(" ... (%zu more)", a.count - n);
    printf("\n");
    npy_free(&a);
    return 0;
}

static bool same_shape(const NpyArray *a, const NpyArray *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

static int cmd_cmp(Diag *d, const char *pa, const char *pb, double rtol, double atol) {
    NpyArray a, b;
    char err[512];
    if (npy_load(pa, &a, err, sizeof err) < 0) return load_error(d, err);
    if (npy_load(pb, &b, err, sizeof err) < 0) {
        npy_free(&a);
        return load_error(d, err);
    }
    int rc = 0;
    if (a.dtype != b.dtype || !same_shape(&a, &b)) {
        printf("mismatch: %s %s", pa, dtype_name(a.dtype));
        print_shape(&a);
        printf(" vs %s %s", pb, dtype_name(b.dtype));
        print_shape(&b);
        printf("\n");
        rc = 1;
    } else {
        size_t bad = 0, worst = 0;
        double worst_excess = -1;
        for (size_t i = 0; i < a.count; i++) {
            double x = dtype_get(a.dtype, a.data, i), y = dtype_get(b.dtype, b.data, i);
            if (isnan(x) && isnan(y)) continue;
            double diff = fabs(x - y), allowed = atol + rtol * fabs(y);
            if (x == y || diff <= allowed) continue;
            double excess = isnan(diff) ? INFINITY : diff - allowed;
            if (excess > worst_excess) worst_excess = excess, worst = i;
            bad++;
        }
        if (bad) {
            printf("mismatch: %zu of %zu elements differ; worst at flat index %zu: ", bad, a.count,
                   worst);
            print_value(&a, worst);
            printf(" vs ");
            print_value(&b, worst);
            printf("\n");
            rc = 1;
        } else {
            printf("equal: %zu elements\n", a.count);
        }
    }
    npy_free(&a);
    npy_free(&b);
    return rc;
}

static int cmd_convert(Diag *d, const char *in, const char *out, const char *to) {
    int t = to ? dtype_lookup(to, strlen(to)) : -1;
    if (t < 0 || t == ACC_DTYPE_BF16)
        return opt_usage(d, "--to needs one of f32 f16 f64 i8 u8 i32 i64 bool");
    NpyArray a, b;
    char err[512];
    if (npy_load(in, &a, err, sizeof err) < 0) return load_error(d, err);
    npy_alloc(&b, (AccDtype)t, a.ndim, a.shape);
    for (size_t i = 0; i < a.count; i++)
        dtype_set(b.dtype, b.data, i, dtype_get(a.dtype, a.data, i));
    int rc = npy_save(out, &b, err, sizeof err);
    if (rc < 0) load_error(d, err);
    npy_free(&a);
    npy_free(&b);
    return rc < 0 ? 1 : 0;
}

static bool parse_double(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return *s && !*end && *out >= 0;
}

enum { OPT_ALL, OPT_RTOL, OPT_ATOL, OPT_TO, OPT_HELP, OPT_VERSION };

static const OptSpec specs[] = {
    {OPT_ALL, "--all", NULL, 0, "show: every value (default: the first 16)", NULL},
    {OPT_RTOL, "--rtol", "R", OPT_SPACE, "cmp: relative tolerance (default 0)", NULL},
    {OPT_ATOL, "--atol", "A", OPT_SPACE, "cmp: absolute tolerance (default 0)", NULL},
    {OPT_TO, "--to", "DTYPE", OPT_SPACE, "convert: f32 f16 f64 i8 u8 i32 i64 bool", NULL},
    {OPT_HELP, "--help", NULL, 0, "print this help", NULL},
    {OPT_HELP, "-h", NULL, OPT_HIDDEN, "print this help", NULL},
    {OPT_VERSION, "--version", NULL, 0, "print the version", NULL},
};
static const OptTable tables[] = {{NULL, specs, ACC_ARRAY_LEN(specs)}};

typedef struct Command {
    const char *words[3]; /* the command and its files */
    int nwords;
    bool all;
    double rtol, atol;
    const char *to;
} Command;

/* The command line into *c: 0 to go on, 2 after a usage error, -1 after
 * --help or --version. */
static int parse(Diag *d, int argc, char **argv, Command *c) {
    for (int i = 1; i < argc; i++) {
        size_t t;
        const OptSpec *spec;
        const char *v;
        char err[256];
        OptResult r = opt_match(tables, 1, argc, argv, &i, &t, &spec, &v, err, sizeof err);
        if (r == OPT_BAD) return opt_usage(d, "%s", err);
        if (r == OPT_POSITIONAL) {
            if (c->nwords == 3) return opt_usage(d, "too many files");
            c->words[c->nwords++] = argv[i];
            continue;
        }
        switch (spec->id) {
        case OPT_ALL: c->all = true; break;
        case OPT_RTOL:
        case OPT_ATOL:
            if (!parse_double(v, spec->id == OPT_RTOL ? &c->rtol : &c->atol))
                return opt_usage(d, "%s needs a non-negative number, not '%s'", spec->name, v);
            break;
        case OPT_TO: c->to = v; break;
        case OPT_HELP: opt_print_help(synopsis, tables, 1, epilogue); return -1;
        case OPT_VERSION: printf("acc-npy %s\n", ACCC_VERSION); return -1;
        }
    }
    return 0;
}

static int run(Diag *d, const Command *c) {
    const char *cmd = c->nwords ? c->words[0] : "";
    int nfiles = c->nwords - 1;
    if (strcmp(cmd, "show") == 0 && nfiles == 1) return cmd_show(d, c->words[1], c->all);
    if (strcmp(cmd, "cmp") == 0 && nfiles == 2)
        return cmd_cmp(d, c->words[1], c->words[2], c->rtol, c->atol);
    if (strcmp(cmd, "convert") == 0 && nfiles == 2)
        return cmd_convert(d, c->words[1], c->words[2], c->to);
    if (!c->nwords) return opt_usage(d, "no command: show, cmp or convert");
    if (strcmp(cmd, "show") && strcmp(cmd, "cmp") && strcmp(cmd, "convert"))
        return opt_usage(d, "unknown command '%s' (show, cmp or convert)", cmd);
    return opt_usage(d, "%s takes %d file%s", cmd, strcmp(cmd, "show") ? 2 : 1,
                     strcmp(cmd, "show") ? "s" : "");
}

int main(int argc, char **argv) {
    Diag diag;
    diag_init(&diag, "acc-npy", stderr);
    /* A closed pipe on standard output is a write error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    Command c;
    memset(&c, 0, sizeof c);
    int rc = parse(&diag, argc, argv, &c);
    if (rc == 0) rc = run(&diag, &c);
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0)
        rc = load_error(&diag, "cannot write to standard output");
    if (rc >= 0) diag_finish(&diag);
    diag_free(&diag);
    return rc < 0 ? 0 : rc;
}

/*
 * acc-onnx-dump: print what accc reads from an ONNX model, or from one of
 * the TensorProto files ONNX's test data sets are made of.
 *
 *   acc-onnx-dump [--all] MODEL.onnx
 *   acc-onnx-dump [--all] --tensor TENSOR.pb [--npy OUT.npy]
 *
 * Exit status: 0 success, 1 unreadable or unsupported file, 2 usage error.
 */
#include "onnx.h"

#include <stdlib.h>
#include <signal.h>
#include <string.h>

#ifndef ACCC_VERSION
#define ACCC_VERSION "unknown"
#endif

static const char synopsis[] =
    "usage: acc-onnx-dump [--all] MODEL.onnx\n"
    "       acc-onnx-dump [--all] --tensor TENSOR.pb [--npy OUT.npy]\n"
    "\n"
    "Print an ONNX model as accc reads it: opsets, graph inputs and outputs with\n"
    "dtype and shape, initializers with their first values, nodes with their\n"
    "attributes.\n"
    "\n";
static const char epilogue[] =
    "\n"
    "Exit status: 0 success, 1 a file accc cannot read, 2 bad command line, 3 internal\n"
    "error.\n";

enum { OPT_ALL, OPT_TENSOR, OPT_NPY, OPT_HELP, OPT_VERSION };

static const OptSpec specs[] = {
    {OPT_ALL, "--all", NULL, 0, "print every value (default: the first 8 of each tensor)", NULL},
    {OPT_TENSOR, "--tensor", NULL, 0, "read a standalone TensorProto file (ONNX test data)", NULL},
    {OPT_NPY, "--npy", "FILE", OPT_SPACE, "with --tensor: also write the values as .npy", NULL},
    {OPT_HELP, "--help", NULL, 0, "print this help", NULL},
    {OPT_HELP, "-h", NULL, OPT_HIDDEN, "print this help", NULL},
    {OPT_VERSION, "--version", NULL, 0, "print the version", NULL},
};
static const OptTable tables[] = {{NULL, specs, ACC_ARRAY_LEN(specs)}};

enum { DEFAULT_VALUES = 8 };

/* Write t to path as .npy; .npy has no bf16, so bf16 widens to f32. */
static int write_npy(Diag *d, const OnnxTensor *t, const char *path) {
    if (t->ndim > NPY_MAX_DIMS) {
        diag_error(d, diag_loc(0, 0, 0),
                   "cannot write '%s': .npy output takes at most %d dimensions, the tensor has %d",
                   path, NPY_MAX_DIMS, t->ndim);
        return -1;
    }
    NpyArray a;
    AccDtype dt = t->dtype == ACC_DTYPE_BF16 ? ACC_DTYPE_F32 : t->dtype;
    npy_alloc(&a, dt, t->ndim, t->dims);
    if (dt == t->dtype)
        memcpy(a.data, t->data, t->count * dtype_size(dt));
    else
        for (size_t i = 0; i < t->count; i++)
            dtype_set(dt, a.data, i, dtype_get(t->dtype, t->data, i));
    char err[512];
    int rc = npy_save(path, &a, err, sizeof err);
    if (rc) diag_error(d, diag_loc(0, 0, 0), "%s", err);
    npy_free(&a);
    return rc;
}

typedef struct Dump {
    const char *input, *npy;
    bool tensor;
    OnnxDumpOptions opt;
} Dump;

/* The command line into *o: 0 to go on, 2 after a usage error, -1 after
 * --help or --version. */
static int parse(Diag *d, int argc, char **argv, Dump *o) {
    for (int i = 1; i < argc; i++) {
        size_t t;
        const OptSpec *spec;
        const char *v;
        char err[256];
        OptResult r = opt_match(tables, 1, argc, argv, &i, &t, &spec, &v, err, sizeof err);
        if (r == OPT_BAD) return opt_usage(d, "%s", err);
        if (r == OPT_POSITIONAL) {
            if (o->input)
                return opt_usage(d, "more than one input file ('%s' and '%s')", o->input, argv[i]);
            o->input = argv[i];
            continue;
        }
        switch (spec->id) {
        case OPT_ALL: o->opt.max_values = 0; break;
        case OPT_TENSOR: o->tensor = true; break;
        case OPT_NPY: o->npy = v; break;
        case OPT_HELP: opt_print_help(synopsis, tables, 1, epilogue); return -1;
        case OPT_VERSION: printf("acc-onnx-dump %s\n", ACCC_VERSION); return -1;
        }
    }
    if (!o->input) return opt_usage(d, "no input file");
    if (o->npy && !o->tensor) return opt_usage(d, "--npy needs --tensor");
    return 0;
}

int main(int argc, char **argv) {
    Diag d;
    diag_init(&d, "acc-onnx-dump", stderr);
    /* A closed pipe on standard output is a write error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    Dump o = {NULL, NULL, false, {DEFAULT_VALUES}};
    int rc = parse(&d, argc, argv, &o);
    if (rc != 0) {
        if (rc > 0) diag_finish(&d);
        diag_free(&d);
        return rc < 0 ? 0 : rc;
    }
    const char *input = o.input, *npy = o.npy;
    bool tensor = o.tensor;
    OnnxDumpOptions opt = o.opt;

    Arena arena;
    StrBuf out;
    arena_init(&arena);
    sb_init(&out);
    if (tensor) {
        OnnxTensor *t;
        rc = onnx_tensor_read(input, &arena, &d, &t);
        if (rc == 0) onnx_dump_tensor(t, &opt, &out);
        if (rc == 0 && npy) rc = write_npy(&d, t, npy);
    } else {
        OnnxModel *m;
        rc = onnx_model_read(input, &arena, &d, &m);
        if (rc == 0) onnx_dump_model(m, &opt, &out);
    }
    char err[256];
    if (rc == 0 && file_write_atomic("-", out.data ? out.data : "", out.len, err, sizeof err) < 0) {
        diag_error(&d, diag_loc(0, 0, 0), "%s", err);
        rc = -1;
    }
    diag_finish(&d);
    sb_free(&out);
    arena_free(&arena);
    diag_free(&d);
    return rc == 0 ? 0 : 1;
}

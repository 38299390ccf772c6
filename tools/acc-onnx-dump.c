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
#include <string.h>

static const char usage[] =
    "usage: acc-onnx-dump [--all] MODEL.onnx\n"
    "       acc-onnx-dump [--all] --tensor TENSOR.pb [--npy OUT.npy]\n"
    "\n"
    "  Print an ONNX model as accc reads it: opsets, graph inputs and outputs\n"
    "  with dtype and shape, initializers with their first values, nodes with\n"
    "  their attributes.\n"
    "\n"
    "  --tensor   read a standalone TensorProto file (ONNX test data: input_0.pb)\n"
    "  --npy F    with --tensor: also write the values to F as .npy (bf16 as f32)\n"
    "  --all      print every value (default: the first 8 of each tensor)\n"
    "  --help     print this help\n";

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

int main(int argc, char **argv) {
    const char *input = NULL, *npy = NULL;
    bool tensor = false;
    OnnxDumpOptions opt = {DEFAULT_VALUES};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(arg, "--all") == 0) {
            opt.max_values = 0;
        } else if (strcmp(arg, "--tensor") == 0) {
            tensor = true;
        } else if (strcmp(arg, "--npy") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "acc-onnx-dump: error: --npy needs a file name\n");
                return 2;
            }
            npy = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "acc-onnx-dump: error: unknown option '%s'\n%s", arg, usage);
            return 2;
        } else if (!input) {
            input = arg;
        } else {
            fprintf(stderr, "acc-onnx-dump: error: more than one input file\n");
            return 2;
        }
    }
    if (!input) {
        fprintf(stderr, "acc-onnx-dump: error: no input file\n%s", usage);
        return 2;
    }
    if (npy && !tensor) {
        fprintf(stderr, "acc-onnx-dump: error: --npy needs --tensor\n");
        return 2;
    }

    Diag d;
    Arena arena;
    StrBuf out;
    diag_init(&d, "acc-onnx-dump", stderr);
    arena_init(&arena);
    sb_init(&out);
    int rc;
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
    if (rc == 0) fwrite(out.data, 1, out.len, stdout);
    diag_finish(&d);
    sb_free(&out);
    arena_free(&arena);
    diag_free(&d);
    if (fflush(stdout) != 0) return 1;
    return rc == 0 ? 0 : 1;
}

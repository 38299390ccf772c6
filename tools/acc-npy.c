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
#include <string.h>

static const char usage[] =
    "usage: acc-npy show FILE.npy [--all]\n"
    "       acc-npy cmp A.npy B.npy [--rtol R] [--atol A]\n"
    "       acc-npy convert IN.npy OUT.npy --to DTYPE\n"
    "\n"
    "  show     print the dtype, the shape and the values (the first 16 unless --all)\n"
    "  cmp      compare element-wise: |a - b| <= atol + rtol * |b|, NaN equal to NaN;\n"
    "           exit 0 if every element passes, 1 otherwise (with the worst element)\n"
    "  convert  write IN's values as DTYPE (f32 f16 f64 i8 u8 i32 i64 bool): floats\n"
    "           round to nearest even, integers truncate and saturate\n"
    "  --rtol R relative tolerance for cmp (default 0)\n"
    "  --atol A absolute tolerance for cmp (default 0)\n"
    "  --all    show every value\n"
    "  --help   print this help\n";

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

static int cmd_show(const char *path, bool all) {
    NpyArray a;
    char err[512];
    if (npy_load(path, &a, err, sizeof err) < 0) {
        fprintf(stderr, "acc-npy: error: %s\n", err);
        return 1;
    }
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

static int cmd_cmp(const char *pa, const char *pb, double rtol, double atol) {
    NpyArray a, b;
    char err[512];
    if (npy_load(pa, &a, err, sizeof err) < 0) {
        fprintf(stderr, "acc-npy: error: %s\n", err);
        return 1;
    }
    if (npy_load(pb, &b, err, sizeof err) < 0) {
        fprintf(stderr, "acc-npy: error: %s\n", err);
        npy_free(&a);
        return 1;
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

static int cmd_convert(const char *in, const char *out, const char *to) {
    int t = to ? dtype_lookup(to, strlen(to)) : -1;
    if (t < 0 || t == ACC_DTYPE_BF16) {
        fprintf(stderr, "acc-npy: error: --to needs one of f32 f16 f64 i8 u8 i32 i64 bool\n");
        return 2;
    }
    NpyArray a, b;
    char err[512];
    if (npy_load(in, &a, err, sizeof err) < 0) {
        fprintf(stderr, "acc-npy: error: %s\n", err);
        return 1;
    }
    npy_alloc(&b, (AccDtype)t, a.ndim, a.shape);
    for (size_t i = 0; i < a.count; i++)
        dtype_set(b.dtype, b.data, i, dtype_get(a.dtype, a.data, i));
    int rc = npy_save(out, &b, err, sizeof err);
    if (rc < 0) fprintf(stderr, "acc-npy: error: %s\n", err);
    npy_free(&a);
    npy_free(&b);
    return rc < 0 ? 1 : 0;
}

static bool parse_double(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return *s && !*end && *out >= 0;
}

int main(int argc, char **argv) {
    const char *files[2] = {NULL, NULL};
    int nfiles = 0;
    bool all = false;
    double rtol = 0, atol = 0;
    const char *to = NULL;
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--all") == 0) {
            all = true;
        } else if (strcmp(arg, "--rtol") == 0 || strcmp(arg, "--atol") == 0) {
            if (i + 1 >= argc || !parse_double(argv[i + 1], arg[2] == 'r' ? &rtol : &atol)) {
                fprintf(stderr, "acc-npy: error: %s needs a non-negative number\n", arg);
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--to") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "acc-npy: error: --to needs a dtype\n");
                return 2;
            }
            to = argv[++i];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "acc-npy: error: unknown option '%s'\n%s", arg, usage);
            return 2;
        } else if (nfiles < 2) {
            files[nfiles++] = arg;
        } else {
            fprintf(stderr, "acc-npy: error: too many files\n");
            return 2;
        }
    }
    if (strcmp(cmd, "show") == 0 && nfiles == 1) return cmd_show(files[0], all);
    if (strcmp(cmd, "cmp") == 0 && nfiles == 2) return cmd_cmp(files[0], files[1], rtol, atol);
    if (strcmp(cmd, "convert") == 0 && nfiles == 2) return cmd_convert(files[0], files[1], to);
    fprintf(stderr, "acc-npy: error: bad command line\n%s", usage);
    return 2;
}

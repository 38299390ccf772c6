/*
 * Runs the evaluator test cases that gen_eval_cases.py computed with NumPy:
 * for each case, parse its .ir file (the declared result types must match
 * shape inference), evaluate it on the input arrays and compare with the
 * expected arrays. Fails if any case differs, or if some op of ops.def has
 * no case at all.
 *
 *   unit-ir_eval_numpy CASE_DIR
 */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Case {
    char name[128], ir[256];
    char in[IR_MAX_RESULTS][256];
    char out[IR_MAX_RESULTS][256];
    double rtol[IR_MAX_RESULTS], atol[IR_MAX_RESULTS];
    int nin, nout;
    char error[256];
} Case;

/* Copy a manifest field, cut to the destination's size. */
static void copy_field(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static char *join(const char *dir, const char *name) {
    return path_join(dir, name);
}

/* A graph input of bf16 comes as f32 data (NumPy has no bf16). */
static bool load_input(const char *path, const IrType *t, NpyArray *a, char *err, size_t errlen) {
    if (npy_load(path, a, err, errlen) < 0) return false;
    if (t->dtype == ACC_DTYPE_BF16 && a->dtype == ACC_DTYPE_F32) {
        NpyArray b;
        npy_alloc(&b, ACC_DTYPE_BF16, a->ndim, a->shape);
        for (size_t i = 0; i < a->count; i++)
            dtype_set(b.dtype, b.data, i, dtype_get(a->dtype, a->data, i));
        npy_free(a);
        *a = b;
    }
    return true;
}

/* got and want agree: same shape; equal dtype (or bf16 against f32 data);
 * each element within atol + rtol * |want|, NaN with NaN, inf with inf. */
static bool compare(const char *what, const NpyArray *got, const NpyArray *want, double rtol,
                    double atol) {
    bool dtype_ok =
        got->dtype == want->dtype || (got->dtype == ACC_DTYPE_BF16 && want->dtype == ACC_DTYPE_F32);
    bool shape_ok = got->ndim == want->ndim;
    for (int i = 0; shape_ok && i < got->ndim; i++) shape_ok = got->shape[i] == want->shape[i];
    if (!dtype_ok || !shape_ok) {
        printf("FAIL %s: got %s with %d dimensions, want %s with %d\n", what,
               dtype_name(got->dtype), got->ndim, dtype_name(want->dtype), want->ndim);
        return false;
    }
    for (size_t i = 0; i < got->count; i++) {
        double g, w;
        if (got->dtype == ACC_DTYPE_I64) {
            int64_t gi = ((const int64_t *)got->data)[i], wi = ((const int64_t *)want->data)[i];
            if (gi == wi) continue;
            printf("FAIL %s: element %zu is %lld, want %lld\n", what, i, (long long)gi,
                   (long long)wi);
            return false;
        }
        g = dtype_get(got->dtype, got->data, i);
        w = dtype_get(want->dtype, want->data, i);
        if (isnan(g) && isnan(w)) continue;
        if (g == w) continue;
        if (!isinf(w) && fabs(g - w) <= atol + rtol * fabs(w)) continue;
        printf("FAIL %s: element %zu is %.9g, want %.9g\n", what, i, g, w);
        return false;
    }
    return true;
}

static bool run_case(const char *dir, const Case *c, bool *seen) {
    char *ir_path = join(dir, c->ir);
    size_t len;
    char err[600];
    char *text = file_read(ir_path, &len, err, sizeof err);
    if (!text) {
        printf("FAIL %s: %s\n", c->name, err);
        free(ir_path);
        return false;
    }
    Diag d;
    diag_init(&d, "eval-numpy", stdout);
    IrParseOptions po;
    memset(&po, 0, sizeof po);
    po.base_dir = dir;
    IrGraph *g = ir_parse(ir_path, text, len, &po, &d);
    free(text);
    free(ir_path);
    diag_free(&d);
    if (!g) {
        printf("FAIL %s: the .ir file does not parse (see above)\n", c->name);
        return false;
    }
    ir_for_each_op(g, id) seen[g->ops[id].kind] = true;
    bool ok = g->ninputs == c->nin && g->noutputs == c->nout;
    if (!ok) printf("FAIL %s: the manifest and the graph disagree on inputs or outputs\n", c->name);
    NpyArray in[IR_MAX_RESULTS], out[IR_MAX_RESULTS], want;
    int loaded = 0;
    for (int i = 0; ok && i < c->nin; i++, loaded++) {
        char *p = join(dir, c->in[i]);
        ok = load_input(p, &g->vals[g->inputs[i]].type, &in[i], err, sizeof err);
        if (!ok) printf("FAIL %s: %s\n", c->name, err);
        free(p);
    }
    if (ok) {
        int rc = ir_eval(g, in, out, err, sizeof err);
        if (c->error[0]) {
            ok = rc != 0 && strcmp(err, c->error) == 0;
            if (!ok)
                printf("FAIL %s: want the error \"%s\", got %s\"%s\"\n", c->name, c->error,
                       rc ? "" : "success ", rc ? err : "");
            if (rc == 0)
                for (int i = 0; i < c->nout; i++) npy_free(&out[i]);
        } else if (rc != 0) {
            printf("FAIL %s: %s\n", c->name, err);
            ok = false;
        } else {
            for (int i = 0; i < c->nout; i++) {
                char *p = join(dir, c->out[i]);
                if (npy_load(p, &want, err, sizeof err) < 0) {
                    printf("FAIL %s: %s\n", c->name, err);
                    ok = false;
                } else {
                    char what[200];
                    snprintf(what, sizeof what, "%s output %d", c->name, i);
                    ok &= compare(what, &out[i], &want, c->rtol[i], c->atol[i]);
                    npy_free(&want);
                }
                free(p);
                npy_free(&out[i]);
            }
        }
    }
    for (int i = 0; i < loaded; i++) npy_free(&in[i]);
    ir_graph_free(g);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: unit-ir_eval_numpy CASE_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char *manifest = join(dir, "manifest.txt");
    FILE *f = fopen(manifest, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s (run gen_eval_cases.py first)\n", manifest);
        return 1;
    }
    free(manifest);
    bool seen[IR_OP_COUNT] = {false};
    int ncases = 0, failed = 0;
    Case c;
    memset(&c, 0, sizeof c);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "case ", 5) == 0) {
            memset(&c, 0, sizeof c);
            copy_field(c.name, sizeof c.name, line + 5);
        } else if (strncmp(line, "ir ", 3) == 0) {
            copy_field(c.ir, sizeof c.ir, line + 3);
        } else if (strncmp(line, "in ", 3) == 0 && c.nin < IR_MAX_RESULTS) {
            copy_field(c.in[c.nin++], sizeof c.in[0], line + 3);
        } else if (strncmp(line, "out ", 4) == 0 && c.nout < IR_MAX_RESULTS) {
            char path[256];
            if (sscanf(line + 4, "%255s %lf %lf", path, &c.rtol[c.nout], &c.atol[c.nout]) != 3) {
                fprintf(stderr, "bad manifest line: %s\n", line);
                return 1;
            }
            copy_field(c.out[c.nout++], sizeof c.out[0], path);
        } else if (strncmp(line, "error ", 6) == 0) {
            copy_field(c.error, sizeof c.error, line + 6);
        } else if (strcmp(line, "end") == 0) {
            ncases++;
            if (!run_case(dir, &c, seen)) failed++;
        }
    }
    fclose(f);
    int missing = 0;
    for (int k = 0; k < IR_OP_COUNT; k++)
        if (!seen[k]) {
            printf("FAIL op '%s' has no evaluator case\n", ir_op_name((IrOpKind)k));
            missing++;
        }
    printf("%d of %d cases match NumPy; %d op%s without a case\n", ncases - failed, ncases, missing,
           missing == 1 ? "" : "s");
    return failed || missing || ncases == 0 ? 1 : 0;
}

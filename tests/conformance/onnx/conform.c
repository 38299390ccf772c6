/*
 * onnx-conform: run ONNX's node test suite (gen_node_tests.py) through
 * accc and compare with the expected outputs the suite ships.
 *
 *   onnx-conform [--mode=reference|compiled] [--target PRESET] [--known FILE]
 *                [--write-known FILE] [--min-pass PERCENT] [--filter TEXT] [--verbose] SUITE
 *
 * A test is in scope when every node of its model uses an op of the
 * importer's op set (frontend/onnx/import.def). For each in-scope test and
 * each of its test data sets, the inputs that must be constants (a
 * Reshape's shape, ...) are frozen with the data set's values, the mode
 * runs the model on the other inputs, and every output is compared with
 * output_K.pb:
 *
 *   f32 (and DOUBLE, which accc computes in f32)  |got - want| <= 1e-7 + 1e-3 |want|
 *   f16                                           |got - want| <= 1e-5 + 4e-3 |want|
 *   bf16                                          |got - want| <= 1e-5 + 1.6e-2 |want|
 *   integers, bool                                exact
 *
 * NaN matches NaN and infinities match themselves; shapes and dtypes must
 * match exactly. f32 uses ONNX's own backend-test tolerances; the f16 and
 * bf16 ones allow about 4 and 2 units in the last place, since accc rounds
 * after every op where other backends may keep f32 between ops.
 *
 * The report is a table of tests per op (passed, failed, skipped because
 * some op of the test is out of scope), the totals, and every failure with
 * its reason. The run fails (exit 1) on a regression: an in-scope test that
 * fails but is not in the known-failures file, a listed test that passes
 * (remove it), a listed test that does not exist or is out of scope, or a
 * pass rate below --min-pass. Exit 2 for a bad command line.
 *
 * --mode=compiled compiles each model for --target (default acc1-mini) and
 * runs it on libaccsim; a model the compiler refuses fails with the
 * compiler's message ("compile: ..."). --write-known FILE writes the list
 * of known failures this run found (to refresh it when the compiler
 * learns new ops): the comment lines that open the --known file, then one
 * line per failing test, sorted by name, with the reason the --known file
 * gave it, or its failure message if it was not listed (with --filter, the
 * listed tests that did not run stay listed). The run then fails only on
 * --min-pass.
 */
#include "conform.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- Tests ------------------------------------------------------------------------- */

typedef enum Result { RES_SKIP, RES_PASS, RES_FAIL } Result;

typedef struct Test {
    char *name;
    char **ops; /* distinct op types it uses ("domain.Op" outside the default domain) */
    int nops;
    bool in_scope;
    Result result;
    char *why; /* the failure, when failed */
} Test;

typedef struct Known {
    char *name, *reason;
    bool matched;
} Known;

typedef struct Suite {
    const ConformMode *mode;
    const char *dir; /* SUITE/node */
    Test *tests;
    size_t ntests, cap;
    Known *known;
    size_t nknown, capknown;
    char *known_header;        /* the comment lines that open the --known file */
    const IsaMachine *machine; /* --target */
    bool verbose;
    bool filtered; /* --filter: only some tests ran */
} Suite;

static int cmp_test(const void *a, const void *b) {
    return strcmp(((const Test *)a)->name, ((const Test *)b)->name);
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool find_tests(Suite *s, const char *filter) {
    DIR *d = opendir(s->dir);
    if (!d) {
        fprintf(stderr, "onnx-conform: error: cannot open '%s' (run gen_node_tests.py first)\n",
                s->dir);
        return false;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, "test_", 5) != 0) continue;
        if (filter && !strstr(e->d_name, filter)) continue;
        XGROW(s->tests, s->cap, s->ntests + 1);
        memset(&s->tests[s->ntests], 0, sizeof s->tests[0]);
        s->tests[s->ntests++].name = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(s->tests, s->ntests, sizeof *s->tests, cmp_test);
    return true;
}

/* ---- Known failures: "test_name  reason" per line, # comments ---------------------- */

static bool read_known(Suite *s, const char *path) {
    char err[600];
    size_t len;
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "onnx-conform: error: %s\n", err);
        return false;
    }
    int lineno = 0;
    bool ok = true, header = true;
    StrBuf head;
    sb_init(&head);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        while (*line == ' ' || *line == '\t') line++;
        if (header && (!*line || *line == '#')) sb_printf(&head, "%s\n", line);
        if (!*line || *line == '#') continue;
        header = false;
        char *sp = line + strcspn(line, " \t");
        char *reason = sp + strspn(sp, " \t");
        if (!*reason) {
            fprintf(stderr, "%s:%d: error: '%.*s' needs a reason after the test name\n", path,
                    lineno, (int)(sp - line), line);
            ok = false;
            continue;
        }
        XGROW(s->known, s->capknown, s->nknown + 1);
        s->known[s->nknown].name = xstrndup(line, (size_t)(sp - line));
        s->known[s->nknown].reason = xstrdup(reason);
        s->known[s->nknown].matched = false;
        s->nknown++;
    }
    s->known_header = sb_take(&head);
    free(text);
    return ok;
}

/* ---- Test data ----------------------------------------------------------------------- */

/* An NpyArray viewing a tensor's data (not owned). */
static NpyArray view(const OnnxTensor *t) {
    NpyArray a;
    memset(&a, 0, sizeof a);
    a.dtype = t->dtype;
    a.ndim = t->ndim < NPY_MAX_DIMS ? t->ndim : NPY_MAX_DIMS;
    for (int i = 0; i < a.ndim; i++) a.shape[i] = t->dims[i];
    a.count = t->count;
    a.data = t->data;
    return a;
}

/* ONNX's test data holds BFLOAT16 values as UINT16 bit patterns (NumPy has
 * no bf16), which the reader widens to i32: when the model declares the
 * value BFLOAT16, take the bits back as bf16 (in a). */
static void bf16_from_bits(OnnxTensor *t, const OnnxType *declared, Arena *a) {
    if (declared->kind != ONNX_TYPE_TENSOR || declared->elem_type != ONNX_BFLOAT16 ||
        t->onnx_type != ONNX_UINT16)
        return;
    uint16_t *bits = ARENA_ARRAY(a, uint16_t, t->count + 1);
    for (size_t k = 0; k < t->count; k++) bits[k] = (uint16_t)((const int32_t *)t->data)[k];
    t->data = bits;
    t->dtype = ACC_DTYPE_BF16;
    t->onnx_type = ONNX_BFLOAT16;
}

/* The first line a Diag wrote to a memory stream. */
static char *first_line(FILE *f, char **buf) {
    fflush(f);
    const char *text = *buf ? *buf : "";
    return xstrndup(text, strcspn(text, "\n"));
}

/* ---- Comparison ------------------------------------------------------------------------- */

typedef struct Tolerance {
    double rtol, atol;
    bool exact;
} Tolerance;

static Tolerance tolerance_of(int32_t onnx_type) {
    switch (onnx_type) {
    case ONNX_FLOAT:
    case ONNX_DOUBLE: return (Tolerance){1e-3, 1e-7, false};
    case ONNX_FLOAT16: return (Tolerance){4e-3, 1e-5, false};
    case ONNX_BFLOAT16: return (Tolerance){1.6e-2, 1e-5, false};
    default: return (Tolerance){0, 0, true};
    }
}

static bool close_enough(double got, double want, Tolerance t) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= t.atol + t.rtol * fabs(want);
}

static int64_t int_at(AccDtype t, const void *data, size_t k) {
    if (t == ACC_DTYPE_I64) return ((const int64_t *)data)[k];
    return (int64_t)dtype_get(t, data, k);
}

static void shape_str(char *buf, size_t len, AccDtype t, int ndim, const int64_t *dims) {
    IrType ty = ir_type(t, ndim < IR_MAX_RANK ? ndim : IR_MAX_RANK, dims);
    snprintf(buf, len, "%s", ir_type_str(&ty));
}

/* got against want; false with why set. */
static bool compare(const char *name, const OnnxTensor *want, const NpyArray *got, char *why,
                    size_t len) {
    AccDtype wt;
    if (!onnx_type_to_dtype(want->onnx_type, &wt)) wt = ACC_DTYPE_COUNT;
    if (wt == ACC_DTYPE_F64) wt = ACC_DTYPE_F32; /* accc computes DOUBLE in f32 */
    bool same_shape = want->ndim == got->ndim;
    for (int i = 0; same_shape && i < got->ndim; i++) same_shape = want->dims[i] == got->shape[i];
    if (!same_shape || wt != got->dtype) {
        char a[160], b[160];
        shape_str(a, sizeof a, got->dtype, got->ndim, got->shape);
        shape_str(b, sizeof b, wt == ACC_DTYPE_COUNT ? want->dtype : wt, want->ndim, want->dims);
        snprintf(why, len, "output '%s' is %s, expected %s", name, a, b);
        return false;
    }
    Tolerance tol = tolerance_of(want->onnx_type);
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < want->count; k++) {
        bool ok = tol.exact ? int_at(got->dtype, got->data, k) == int_at(want->dtype, want->data, k)
                            : close_enough(dtype_get(got->dtype, got->data, k),
                                           dtype_get(want->dtype, want->data, k), tol);
        if (!ok && bad++ == 0) first = k;
    }
    if (!bad) return true;
    if (tol.exact)
        snprintf(why, len, "output '%s' element %zu is %lld, expected %lld (%zu of %zu differ)",
                 name, first, (long long)int_at(got->dtype, got->data, first),
                 (long long)int_at(want->dtype, want->data, first), bad, want->count);
    else
        snprintf(why, len,
                 "output '%s' element %zu is %.9g, expected %.9g (%zu of %zu differ beyond rtol "
                 "%g, atol %g)",
                 name, first, dtype_get(got->dtype, got->data, first),
                 dtype_get(want->dtype, want->data, first), bad, want->count, tol.rtol, tol.atol);
    return false;
}

/* ---- Running one test ---------------------------------------------------------------------- */

static char *pathf(const char *fmt, ...) ACC_PRINTF(1, 2);
static char *pathf(const char *fmt, ...) {
    StrBuf sb;
    sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    return sb_take(&sb);
}

/* A quiet Diag writing to a memory buffer. */
typedef struct Capture {
    Diag d;
    FILE *f;
    char *buf;
    size_t len;
} Capture;

static void capture_open(Capture *c) {
    c->buf = NULL;
    c->f = open_memstream(&c->buf, &c->len);
    if (!c->f) ice("open_memstream failed");
    diag_init(&c->d, "onnx-conform", c->f);
}

static void capture_close(Capture *c) {
    diag_free(&c->d);
    fclose(c->f);
    free(c->buf);
}

static bool name_in(const char *name, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

/* One data set: NULL if it passed, else why not (allocated). */
static char *run_data_set(const Suite *s, const OnnxModel *m, const char *dir, Arena *a,
                          Capture *cap) {
    const OnnxGraph *og = &m->graph;
    const char **frozen;
    size_t nfrozen = fe_onnx_const_inputs(m, a, &frozen);
    FeFreeze *freezes = ARENA_ARRAY(a, FeFreeze, og->ninputs + 1);
    NpyArray *values = ARENA_ARRAY(a, NpyArray, og->ninputs + 1);
    const char **names = ARENA_ARRAY(a, const char *, og->ninputs + 1);
    int nfreezes = 0, ninputs = 0, k = 0;
    char why[1024];
    /* input_K.pb is the K-th graph input that is not an initializer. */
    for (size_t i = 0; i < og->ninputs; i++) {
        const char *name = og->inputs[i].name;
        if (onnx_graph_initializer(og, name)) continue;
        char *path = pathf("%s/input_%d.pb", dir, k++);
        OnnxTensor *t;
        int rc = onnx_tensor_read(path, a, &cap->d, &t);
        free(path);
        if (rc != 0) {
            char *line = first_line(cap->f, &cap->buf);
            snprintf(why, sizeof why, "test data: %s", line);
            free(line);
            return xstrdup(why);
        }
        bf16_from_bits(t, &og->inputs[i].type, a);
        NpyArray v = view(t);
        if (name_in(name, frozen, nfrozen)) {
            values[og->ninputs - 1 - (size_t)nfreezes] = v;
            freezes[nfreezes].name = name;
            freezes[nfreezes].path = NULL;
            freezes[nfreezes].value = &values[og->ninputs - 1 - (size_t)nfreezes];
            nfreezes++;
        } else {
            values[ninputs] = v;
            names[ninputs++] = name;
        }
    }
    OnnxTensor **want = ARENA_ARRAY(a, OnnxTensor *, og->noutputs + 1);
    for (size_t o = 0; o < og->noutputs; o++) {
        char *path = pathf("%s/output_%zu.pb", dir, o);
        int rc = onnx_tensor_read(path, a, &cap->d, &want[o]);
        free(path);
        if (rc != 0) {
            char *line = first_line(cap->f, &cap->buf);
            snprintf(why, sizeof why, "expected output: %s", line);
            free(line);
            return xstrdup(why);
        }
        bf16_from_bits(want[o], &og->outputs[o].type, a);
    }
    FeOptions opts;
    memset(&opts, 0, sizeof opts);
    opts.freezes = freezes;
    opts.nfreezes = nfreezes;
    NpyArray *got = xcalloc(og->noutputs + 1, sizeof *got);
    ConformRun run = {m,   &opts,   ninputs,   names, values, (int)og->noutputs,
                      got, &cap->d, s->machine};
    char err[960] = "";
    ConformStatus st = s->mode->run(&run, err, sizeof err);
    char *result = NULL;
    if (st == CONFORM_NOT_IMPORTED) {
        char *line = first_line(cap->f, &cap->buf);
        snprintf(why, sizeof why, "import: %s", line[0] ? line : "failed");
        free(line);
        result = xstrdup(why);
    } else if (st == CONFORM_NOT_COMPILED) {
        char *line = first_line(cap->f, &cap->buf);
        snprintf(why, sizeof why, "compile: %s", line[0] ? line : "failed");
        free(line);
        result = xstrdup(why);
    } else if (st == CONFORM_FAILED) {
        snprintf(why, sizeof why, "run: %s", err);
        result = xstrdup(why);
    } else {
        for (size_t o = 0; o < og->noutputs && !result; o++)
            if (!compare(og->outputs[o].name, want[o], &got[o], why, sizeof why))
                result = xstrdup(why);
        for (size_t o = 0; o < og->noutputs; o++) npy_free(&got[o]);
    }
    free(got);
    return result;
}

static bool default_domain(const char *d) {
    return !d[0] || strcmp(d, "ai.onnx") == 0;
}

static bool in_op_set(const char *op) {
    const FeOnnxOp *ops;
    size_t n = fe_onnx_ops(&ops);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ops[i].name, op) == 0) return true;
    return false;
}

/* Drop every "dir/" from s: messages name files relative to the test. */
static void strip_dir(char *s, const char *dir) {
    size_t n = strlen(dir);
    for (char *p; s && (p = strstr(s, dir)) && p[n] == '/';)
        memmove(p, p + n + 1, strlen(p + n + 1) + 1);
}

/* Every data set of the test in dir: NULL if all passed, else why not
 * (allocated). */
static char *run_data_sets(const Suite *s, const OnnxModel *m, const char *dir, Arena *a,
                           Capture *cap) {
    for (int set = 0;; set++) {
        char *sd = pathf("%s/test_data_set_%d", dir, set);
        if (!is_dir(sd)) {
            free(sd);
            return set == 0 ? xstrdup("no test data sets") : NULL;
        }
        char *why = run_data_set(s, m, sd, a, cap);
        free(sd);
        if (why) {
            char *r = set ? pathf("data set %d: %s", set, why) : xstrdup(why);
            free(why);
            return r;
        }
    }
}

/* The first line of f (rewound), or "" (allocated). */
static char *file_first_line(FILE *f) {
    char line[512] = "";
    rewind(f);
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    return xstrdup(line);
}

/* run_data_sets in a child process, so that a test that crashes the
 * compiler (an internal error exits the process) fails alone, with the
 * first line the child wrote to standard error as its reason. */
static char *run_isolated(const Suite *s, const OnnxModel *m, const char *dir, Arena *a,
                          Capture *cap) {
    FILE *result = tmpfile(), *err = tmpfile();
    if (!result || !err) ice("tmpfile failed");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) ice("fork failed");
    if (pid == 0) {
        dup2(fileno(err), 2);
        char *why = run_data_sets(s, m, dir, a, cap);
        if (why) fputs(why, result);
        fflush(result);
        fflush(stderr);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) ice("waitpid failed");
    char *why;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        why = file_first_line(result);
        if (!why[0]) {
            free(why);
            why = NULL;
        }
    } else {
        char *line = file_first_line(err);
        why = WIFEXITED(status) ? pathf("exit status %d: %s", WEXITSTATUS(status), line)
                                : pathf("killed by signal %d: %s", WTERMSIG(status), line);
        free(line);
    }
    fclose(result);
    fclose(err);
    return why;
}

static void run_test(Suite *s, Test *t) {
    char *dir = pathf("%s/%s", s->dir, t->name);
    char *path = pathf("%s/model.onnx", dir);
    Arena a;
    arena_init(&a);
    Capture cap;
    capture_open(&cap);
    OnnxModel *m;
    if (onnx_model_read(path, &a, &cap.d, &m) != 0) {
        /* The reader conformance test covers this; here it is a failure. */
        char *line = first_line(cap.f, &cap.buf);
        t->in_scope = true;
        t->result = RES_FAIL;
        t->why = pathf("read: %s", line);
        free(line);
    } else {
        t->in_scope = true;
        for (size_t i = 0; i < m->graph.nnodes; i++) {
            const OnnxNode *n = &m->graph.nodes[i];
            char *op = default_domain(n->domain) ? xstrdup(n->op_type)
                                                 : pathf("%s.%s", n->domain, n->op_type);
            bool seen = false;
            for (int k = 0; k < t->nops && !seen; k++) seen = strcmp(t->ops[k], op) == 0;
            if (seen) {
                free(op);
                continue;
            }
            t->ops = xrealloc(t->ops, (size_t)(t->nops + 1) * sizeof *t->ops);
            t->ops[t->nops++] = op;
            if (!default_domain(n->domain) || !in_op_set(n->op_type)) t->in_scope = false;
        }
        t->result = t->in_scope ? RES_PASS : RES_SKIP;
        if (t->in_scope) {
            t->why = run_isolated(s, m, dir, &a, &cap);
            if (t->why) t->result = RES_FAIL;
        }
    }
    strip_dir(t->why, dir);
    capture_close(&cap);
    arena_free(&a);
    free(path);
    free(dir);
}

/* ---- Report -----------------------------------------------------------------------------------
 */

typedef struct OpRow {
    const char *op;
    int in_scope, passed, failed, skipped;
} OpRow;

static int cmp_row(const void *a, const void *b) {
    return strcmp(((const OpRow *)a)->op, ((const OpRow *)b)->op);
}

static void print_table(const Suite *s) {
    OpRow *rows = NULL;
    size_t nrows = 0, cap = 0;
    for (size_t i = 0; i < s->ntests; i++) {
        const Test *t = &s->tests[i];
        for (int k = 0; k < t->nops; k++) {
            size_t r = 0;
            while (r < nrows && strcmp(rows[r].op, t->ops[k]) != 0) r++;
            if (r == nrows) {
                XGROW(rows, cap, nrows + 1);
                memset(&rows[r], 0, sizeof rows[r]);
                rows[r].op = t->ops[k];
                nrows++;
            }
            rows[r].in_scope += t->in_scope;
            rows[r].passed += t->result == RES_PASS;
            rows[r].failed += t->result == RES_FAIL;
            rows[r].skipped += t->result == RES_SKIP;
        }
    }
    qsort(rows, nrows, sizeof *rows, cmp_row);
    printf("%-36s %8s %7s %7s %8s\n", "op (tests using it)", "in scope", "passed", "failed",
           "skipped");
    for (size_t r = 0; r < nrows; r++) {
        char mark = in_op_set(rows[r].op) ? ' ' : '-';
        printf("%c%-35s %8d %7d %7d %8d\n", mark, rows[r].op, rows[r].in_scope, rows[r].passed,
               rows[r].failed, rows[r].skipped);
    }
    printf("('-': not in accc's op set; its tests are skipped, out of scope)\n\n");
    free(rows);
}

static Known *find_known(Suite *s, const char *name) {
    for (size_t k = 0; k < s->nknown; k++)
        if (strcmp(s->known[k].name, name) == 0) return &s->known[k];
    return NULL;
}

static int cmp_known(const void *a, const void *b) {
    return strcmp(((const Known *)a)->name, ((const Known *)b)->name);
}

/* --write-known: the failures of this run become the known failures (in s
 * and in the file at path), each with the reason the old list gave it or
 * else its failure message. false if the file cannot be written. */
static bool write_known(Suite *s, const char *path) {
    StrBuf sb;
    sb_init(&sb);
    if (s->known_header && s->known_header[0])
        sb_printf(&sb, "%s", s->known_header);
    else
        sb_printf(&sb,
                  "# ONNX node tests in scope that fail with the %s mode, one per line: the\n"
                  "# test, then why (onnx-conform --write-known wrote this list).\n\n",
                  s->mode->name);
    Known *known = NULL;
    size_t nknown = 0, cap = 0;
    for (size_t i = 0; i < s->ntests; i++) {
        const Test *t = &s->tests[i];
        if (t->result != RES_FAIL) continue;
        const Known *old = find_known(s, t->name);
        char *reason = xstrdup(old ? old->reason : t->why);
        for (char *p = reason; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
        XGROW(known, cap, nknown + 1);
        known[nknown].name = xstrdup(t->name);
        known[nknown].reason = reason;
        known[nknown].matched = false;
        nknown++;
    }
    /* With --filter, the listed tests that did not run stay listed. */
    for (size_t k = 0; k < s->nknown && s->filtered; k++) {
        bool ran = false;
        for (size_t i = 0; i < s->ntests && !ran; i++)
            ran = strcmp(s->tests[i].name, s->known[k].name) == 0;
        if (ran) continue;
        XGROW(known, cap, nknown + 1);
        known[nknown].name = xstrdup(s->known[k].name);
        known[nknown].reason = xstrdup(s->known[k].reason);
        known[nknown].matched = false;
        nknown++;
    }
    qsort(known, nknown, sizeof *known, cmp_known);
    for (size_t k = 0; k < nknown; k++)
        sb_printf(&sb, "%-44s %s\n", known[k].name, known[k].reason);
    char err[600];
    bool ok = file_write_atomic(path, sb.data, sb.len, err, sizeof err) == 0;
    if (!ok)
        fprintf(stderr, "onnx-conform: error: %s\n", err);
    else
        printf("wrote %s: %zu known failures\n\n", path, nknown);
    sb_free(&sb);
    for (size_t k = 0; k < s->nknown; k++) {
        free(s->known[k].name);
        free(s->known[k].reason);
    }
    free(s->known);
    s->known = known;
    s->nknown = nknown;
    s->capknown = cap;
    return ok;
}

/* The verdict: the number of regressions. */
static int report(Suite *s, double min_pass, double seconds) {
    print_table(s);
    size_t in_scope = 0, passed = 0, failed = 0, skipped = 0, known_failed = 0;
    int regressions = 0;
    for (size_t i = 0; i < s->ntests; i++) {
        Test *t = &s->tests[i];
        Known *k = find_known(s, t->name);
        if (k) k->matched = true;
        in_scope += t->in_scope;
        passed += t->result == RES_PASS;
        failed += t->result == RES_FAIL;
        skipped += t->result == RES_SKIP;
        if (t->result == RES_FAIL && k) known_failed++;
    }
    double rate = in_scope ? 100.0 * (double)passed / (double)in_scope : 0;
    printf("mode %s: %zu node tests; %zu in scope (every op in accc's op set), %zu skipped\n",
           s->mode->name, s->ntests, in_scope, skipped);
    printf("passed %zu of %zu in scope (%.1f%%); failed %zu (%zu known); %.1f s\n\n", passed,
           in_scope, rate, failed, known_failed, seconds);
    if (failed) printf("failures:\n");
    for (size_t i = 0; i < s->ntests; i++) {
        Test *t = &s->tests[i];
        if (t->result != RES_FAIL) continue;
        Known *k = find_known(s, t->name);
        printf("  %-52s %s%s\n", t->name, k ? "(known) " : "NEW: ", t->why);
        if (!k) regressions++;
    }
    for (size_t i = 0; i < s->ntests; i++) {
        Test *t = &s->tests[i];
        Known *k = find_known(s, t->name);
        if (!k) continue;
        if (t->result == RES_PASS) {
            printf("  %-52s passes now: remove it from the known failures\n", t->name);
            regressions++;
        } else if (t->result == RES_SKIP) {
            printf("  %-52s is out of scope: remove it from the known failures\n", t->name);
            regressions++;
        }
    }
    /* With --filter, entries for tests not run are not stale. */
    for (size_t k = 0; k < s->nknown && !s->filtered; k++) {
        if (s->known[k].matched) continue;
        printf("  %-52s is listed as a known failure but is not in the suite\n", s->known[k].name);
        regressions++;
    }
    if (in_scope && rate < min_pass) {
        printf("pass rate %.1f%% is below the required %.1f%%\n", rate, min_pass);
        regressions++;
    }
    printf("%s\n", regressions ? "FAILED: the results differ from the known failures"
                               : "OK: every failure is a known one");
    return regressions;
}

/* ---- main
 * ---------------------------------------------------------------------------------------- */

static int usage(const char *msg) {
    fprintf(stderr,
            "onnx-conform: error: %s\n"
            "usage: onnx-conform [--mode=reference|compiled] [--target PRESET] [--known FILE]\n"
            "                    [--write-known FILE] [--min-pass PERCENT] [--filter TEXT]\n"
            "                    [--verbose] SUITE\n",
            msg);
    return 2;
}

static bool value_arg(int argc, char **argv, int *i, const char *name, const char **v) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return false;
    if (argv[*i][n] == '=') {
        *v = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] || *i + 1 >= argc) return false;
    *v = argv[++*i];
    return true;
}

int main(int argc, char **argv) {
    Suite s;
    memset(&s, 0, sizeof s);
    s.mode = &conform_modes[0];
    s.machine = isa_preset(ISA_PRESET_acc1_mini);
    const char *suite = NULL, *known = NULL, *filter = NULL, *write_path = NULL, *v;
    double min_pass = 0;
    for (int i = 1; i < argc; i++) {
        if (value_arg(argc, argv, &i, "--mode", &v)) {
            s.mode = NULL;
            for (int k = 0; k < conform_nmodes; k++)
                if (strcmp(conform_modes[k].name, v) == 0) s.mode = &conform_modes[k];
            if (!s.mode) return usage("unknown --mode (modes: reference, compiled)");
        } else if (value_arg(argc, argv, &i, "--target", &v)) {
            int p = isa_preset_lookup(v);
            if (p < 0) return usage("unknown --target (acc1, acc1-gc2, acc1-mini)");
            s.machine = isa_preset((IsaPreset)p);
        } else if (value_arg(argc, argv, &i, "--write-known", &v)) {
            write_path = v;
        } else if (value_arg(argc, argv, &i, "--known", &v)) {
            known = v;
        } else if (value_arg(argc, argv, &i, "--min-pass", &v)) {
            min_pass = atof(v);
        } else if (value_arg(argc, argv, &i, "--filter", &v)) {
            filter = v;
            s.filtered = true;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            s.verbose = true;
        } else if (argv[i][0] == '-') {
            return usage("unknown option");
        } else if (suite) {
            return usage("more than one suite directory");
        } else {
            suite = argv[i];
        }
    }
    if (!suite) return usage("no suite directory");
    char *dir = pathf("%s/node", suite);
    s.dir = dir;
    if (known && !read_known(&s, known)) return 1;
    if (!find_tests(&s, filter)) return 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < s.ntests; i++) {
        run_test(&s, &s.tests[i]);
        if (s.verbose)
            fprintf(stderr, "%s %s%s%s\n",
                    s.tests[i].result == RES_PASS   ? "pass"
                    : s.tests[i].result == RES_FAIL ? "FAIL"
                                                    : "skip",
                    s.tests[i].name, s.tests[i].why ? ": " : "",
                    s.tests[i].why ? s.tests[i].why : "");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (write_path && !write_known(&s, write_path)) return 1;
    int regressions = report(&s, min_pass, secs);
    for (size_t i = 0; i < s.ntests; i++) {
        for (int k = 0; k < s.tests[i].nops; k++) free(s.tests[i].ops[k]);
        free(s.tests[i].ops);
        free(s.tests[i].name);
        free(s.tests[i].why);
    }
    for (size_t k = 0; k < s.nknown; k++) {
        free(s.known[k].name);
        free(s.known[k].reason);
    }
    free(s.known);
    free(s.known_header);
    free(s.tests);
    free(dir);
    return regressions ? 1 : 0;
}

/*
 * acc-run for ACC-1 binaries: everything between the command line and
 * libaccsim (include/accsim.h).
 *
 *   acc-run MODEL.bin [-i NAME=IN.npy]... [IN.npy]... [-o NAME=OUT.npy]...
 *           [--random-inputs[=SEED]] [--stats] [--trace T.json]
 *           [--threads N] [--max-cycles N]
 *
 * Inputs are named (-i), positional in graph order, or random. Without -o,
 * each output is printed: dtype and shape, its first values, their sum and
 * an FNV-1a checksum of its bytes. The random inputs and the printed
 * summary are those of acc-run --reference (normal(SEED + k, 1) for float
 * input k from SplitMix64 and Box-Muller, integers uniform in [0, 10), bools
 * 0 or 1), so a binary and its model's reference evaluation can be
 * compared on the same inputs.
 */
#include "run_bin.h"

#include "accsim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_USER = 1, EXIT_USAGE = 2 };

static const char usage[] =
    "usage: acc-run MODEL.bin [options] [IN.npy...]\n"
    "\n"
    "Run an ACC-1 binary on the reference interpreter.\n"
    "\n"
    "  -i NAME=FILE.npy      the input called NAME (bf16 inputs may be f32 files)\n"
    "  IN.npy                inputs not given by name, in the model's order\n"
    "  --random-inputs[=SEED]\n"
    "                        fill inputs not given: floats from normal(SEED + k, 1),\n"
    "                        integers uniform in [0, 10), bools 0 or 1 (k: input index,\n"
    "                        SEED 0 by default)\n"
    "  -o NAME=FILE.npy      write the output called NAME (bf16 is written as f32);\n"
    "                        without -o, print each output's shape, first values,\n"
    "                        sum and checksum\n"
    "  --stats               print the cycle count and statistics (to stderr)\n"
    "  --trace FILE.json     write the run's timeline as Chrome trace-event JSON\n"
    "                        (open it in Perfetto or chrome://tracing)\n"
    "  --threads N           simulate tiles on N host threads (default: one per core);\n"
    "                        results and statistics do not depend on N\n"
    "  --max-cycles N        stop a run that takes more than N cycles\n"
    "                        (default 10000000000)\n"
    "  --help                print this help\n"
    "\n"
    "Exit status: 0 success, 1 error in the binary or the tensors, a trap or the cycle\n"
    "limit, 2 bad command line.\n";

typedef struct Binding {
    char *name; /* NULL: positional */
    const char *path;
} Binding;

typedef struct Args {
    const char *model;
    Binding *inputs, *outputs;
    size_t ninputs, noutputs, capinputs, capoutputs;
    bool random;
    uint64_t seed;
    bool stats;
    const char *trace;
    int threads;
    uint64_t max_cycles;
} Args;

static int usage_error(const char *fmt, ...) ACC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("acc-run: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(acc-run --help lists the options)\n", stderr);
    return EXIT_USAGE;
}

static int user_error(const char *fmt, ...) ACC_PRINTF(1, 2);
static int user_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("acc-run: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USER;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool run_is_binary(const char *path) {
    if (ends_with(path, ".bin")) return true;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char magic[4] = {0};
    bool elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
    fclose(f);
    return elf;
}

/* The value of --name=V, --name V, -xV or -x V; NULL if argv[*i] is not
 * that option. *missing is set when the value is absent. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return NULL;
    if (arg[n] == '=' && name[1] == '-') return arg + n + 1;
    if (arg[n] != '\0') return name[1] == '-' ? NULL : arg + n;
    if (*i + 1 >= argc) {
        *missing = true;
        return arg;
    }
    return argv[++*i];
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (!*s || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE) return false;
    *out = v;
    return true;
}

static int add_binding(Binding **list, size_t *n, size_t *cap, const char *opt, const char *v) {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1]) return usage_error("%s needs NAME=FILE.npy, not '%s'", opt, v);
    XGROW(*list, *cap, *n + 1);
    (*list)[*n].name = xstrndup(v, (size_t)(eq - v));
    (*list)[(*n)++].path = eq + 1;
    return EXIT_OK;
}

static int parse_args(int argc, char **argv, Args *a) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        bool missing = false;
        uint64_t n;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return -1;
        } else if (!strcmp(arg, "--stats")) {
            a->stats = true;
        } else if (!strcmp(arg, "--random-inputs")) {
            a->random = true;
        } else if (!strncmp(arg, "--random-inputs=", 16)) {
            if (!parse_u64(arg + 16, &a->seed))
                return usage_error("--random-inputs=SEED needs a non-negative integer, not '%s'",
                                   arg + 16);
            a->random = true;
        } else if ((v = option_value(argc, argv, &i, "-i", &missing))) {
            if (missing) return usage_error("-i needs NAME=FILE.npy");
            if (add_binding(&a->inputs, &a->ninputs, &a->capinputs, "-i", v)) return EXIT_USAGE;
        } else if ((v = option_value(argc, argv, &i, "-o", &missing))) {
            if (missing) return usage_error("-o needs NAME=FILE.npy");
            if (add_binding(&a->outputs, &a->noutputs, &a->capoutputs, "-o", v)) return EXIT_USAGE;
        } else if ((v = option_value(argc, argv, &i, "--trace", &missing))) {
            if (missing || !*v) return usage_error("--trace needs a file name");
            a->trace = v;
        } else if ((v = option_value(argc, argv, &i, "--threads", &missing))) {
            if (missing || !parse_u64(v, &n) || n < 1 || n > 1024)
                return usage_error("--threads needs a number of threads from 1 to 1024, not '%s'",
                                   missing ? "" : v);
            a->threads = (int)n;
        } else if ((v = option_value(argc, argv, &i, "--max-cycles", &missing))) {
            if (missing || !parse_u64(v, &n) || n < 1)
                return usage_error("--max-cycles needs a positive number of cycles, not '%s'",
                                   missing ? "" : v);
            a->max_cycles = n;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (!a->model) {
            a->model = arg;
        } else if (ends_with(arg, ".npy")) {
            XGROW(a->inputs, a->capinputs, a->ninputs + 1);
            a->inputs[a->ninputs].name = NULL;
            a->inputs[a->ninputs++].path = arg;
        } else {
            return usage_error("'%s': only one model, and inputs are .npy files", arg);
        }
    }
    if (!a->model) return usage_error("no model given");
    return EXIT_OK;
}

/* ---- tensors in --------------------------------------------------------------------- */

static void type_string(char *buf, size_t len, AccDtype dtype, int ndim, const int64_t *shape) {
    int n = snprintf(buf, len, "%s[", dtype_name(dtype));
    for (int d = 0; d < ndim && n > 0 && (size_t)n < len; d++)
        n += snprintf(buf + n, len - (size_t)n, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (n > 0 && (size_t)n < len) snprintf(buf + n, len - (size_t)n, "]");
}

static void list_names(const SimModel *m, bool outputs, char *buf, size_t len) {
    int n = outputs ? sim_num_outputs(m) : sim_num_inputs(m), at = 0;
    buf[0] = '\0';
    for (int k = 0; k < n && at >= 0 && (size_t)at < len; k++) {
        const SimTensor *t = outputs ? sim_output(m, k) : sim_input(m, k);
        at += snprintf(buf + at, len - (size_t)at, "%s'%s'", k ? ", " : "", t->name);
    }
    if (!n) snprintf(buf, len, "none");
}

static int load_input(const char *path, const SimTensor *t, NpyArray *out) {
    char err[600];
    NpyArray a;
    if (npy_load(path, &a, err, sizeof err) < 0) return user_error("%s", err);
    bool shape_ok = a.ndim == t->ndim;
    for (int d = 0; shape_ok && d < t->ndim; d++) shape_ok = a.shape[d] == t->shape[d];
    bool widened = t->dtype == ACC_DTYPE_BF16 && a.dtype == ACC_DTYPE_F32;
    if (!shape_ok || (a.dtype != t->dtype && !widened)) {
        char want[200], have[200];
        type_string(want, sizeof want, t->dtype, t->ndim, t->shape);
        type_string(have, sizeof have, a.dtype, a.ndim, a.shape);
        npy_free(&a);
        return user_error("input '%s' must be %s, but '%s' holds %s", t->name, want, path, have);
    }
    if (widened) {
        npy_alloc(out, t->dtype, t->ndim, t->shape);
        for (size_t k = 0; k < a.count; k++)
            dtype_set(t->dtype, out->data, k, dtype_get(a.dtype, a.data, k));
        npy_free(&a);
    } else {
        *out = a;
    }
    return EXIT_OK;
}

/* SplitMix64 and Box-Muller: the generator of acc-run --reference. */
static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *state) {
    return (double)(splitmix64(state) >> 11) * 0x1p-53;
}

static void random_input(const SimTensor *t, uint64_t seed, NpyArray *out) {
    npy_alloc(out, t->dtype, t->ndim, t->shape);
    uint64_t state = seed;
    if (dtype_flags(t->dtype) & DT_FLOAT) {
        const double two_pi = 6.283185307179586476925;
        for (size_t i = 0; i < out->count; i += 2) {
            double u1 = uniform01(&state), u2 = uniform01(&state);
            double r = sqrt(-2.0 * log(1.0 - u1));
            dtype_set(t->dtype, out->data, i, r * cos(two_pi * u2));
            if (i + 1 < out->count) dtype_set(t->dtype, out->data, i + 1, r * sin(two_pi * u2));
        }
    } else {
        double hi = t->dtype == ACC_DTYPE_BOOL ? 2 : 10;
        for (size_t i = 0; i < out->count; i++)
            dtype_set(t->dtype, out->data, i, floor(hi * uniform01(&state)));
    }
}

static int read_inputs(const Args *a, const SimModel *m, NpyArray *arrays) {
    int n = sim_num_inputs(m);
    bool *given = xcalloc((size_t)n + 1, sizeof *given);
    int rc = EXIT_OK;
    for (size_t b = 0; b < a->ninputs && rc == EXIT_OK; b++) {
        if (!a->inputs[b].name) continue;
        int k = sim_find_input(m, a->inputs[b].name);
        if (k < 0) {
            char names[400];
            list_names(m, false, names, sizeof names);
            rc = user_error("the model has no input '%s' (it has %s)", a->inputs[b].name, names);
        } else if (given[k]) {
            rc = user_error("input '%s' is given twice", a->inputs[b].name);
        } else {
            rc = load_input(a->inputs[b].path, sim_input(m, k), &arrays[k]);
            given[k] = rc == EXIT_OK;
        }
    }
    int next = 0;
    for (size_t b = 0; b < a->ninputs && rc == EXIT_OK; b++) {
        if (a->inputs[b].name) continue;
        while (next < n && given[next]) next++;
        if (next == n) {
            rc = user_error("'%s' is one input file too many (the model has %d input%s)",
                            a->inputs[b].path, n, n == 1 ? "" : "s");
            break;
        }
        rc = load_input(a->inputs[b].path, sim_input(m, next), &arrays[next]);
        given[next] = rc == EXIT_OK;
    }
    for (int k = 0; k < n && rc == EXIT_OK; k++) {
        if (given[k]) continue;
        const SimTensor *t = sim_input(m, k);
        if (a->random) {
            random_input(t, a->seed + (uint64_t)k, &arrays[k]);
            given[k] = true;
            continue;
        }
        char type[200];
        type_string(type, sizeof type, t->dtype, t->ndim, t->shape);
        rc = user_error("input '%s' (%s) is not given; pass -i %s=FILE.npy or --random-inputs",
                        t->name, type, t->name);
    }
    free(given);
    return rc;
}

/* ---- tensors out -------------------------------------------------------------------- */

static void print_summary(const SimTensor *t, const void *data) {
    char type[200];
    type_string(type, sizeof type, t->dtype, t->ndim, t->shape);
    printf("%s: %s = [", t->name, type);
    size_t shown = t->count < 6 ? (size_t)t->count : 6;
    double sum = 0;
    for (size_t k = 0; k < t->count; k++) sum += dtype_get(t->dtype, data, k);
    for (size_t k = 0; k < shown; k++) {
        double v = dtype_get(t->dtype, data, k);
        if (t->dtype == ACC_DTYPE_I64)
            printf("%s%lld", k ? ", " : "", (long long)((const int64_t *)data)[k]);
        else if (dtype_flags(t->dtype) & DT_FLOAT)
            printf("%s%.6g", k ? ", " : "", v);
        else
            printf("%s%.0f", k ? ", " : "", v);
    }
    /* FNV-1a over the tensor's bytes: equal checksums mean equal bits. */
    uint32_t h = 2166136261u;
    const unsigned char *p = data;
    for (uint64_t k = 0; k < t->bytes; k++) h = (h ^ p[k]) * 16777619u;
    printf("%s] sum=%.9g fnv1a=%08x\n", t->count > shown ? ", ..." : "", sum, h);
}

static int save_output(const char *path, const SimTensor *t, void *data) {
    NpyArray a;
    memset(&a, 0, sizeof a);
    bool widen = t->dtype == ACC_DTYPE_BF16; /* .npy has no bf16 */
    if (widen) {
        npy_alloc(&a, ACC_DTYPE_F32, t->ndim, t->shape);
        for (size_t k = 0; k < t->count; k++)
            dtype_set(ACC_DTYPE_F32, a.data, k, dtype_get(t->dtype, data, k));
    } else {
        a.dtype = t->dtype;
        a.ndim = t->ndim;
        memcpy(a.shape, t->shape, sizeof a.shape);
        a.count = (size_t)t->count;
        a.data = data;
    }
    char err[600];
    int rc = npy_save(path, &a, err, sizeof err);
    if (widen) npy_free(&a);
    return rc < 0 ? user_error("%s", err) : EXIT_OK;
}

static int check_output_names(const Args *a, const SimModel *m) {
    for (size_t b = 0; b < a->noutputs; b++)
        if (sim_find_output(m, a->outputs[b].name) < 0) {
            char names[400];
            list_names(m, true, names, sizeof names);
            return user_error("the model has no output '%s' (it has %s)", a->outputs[b].name,
                              names);
        }
    return EXIT_OK;
}

static int write_outputs(const Args *a, const SimModel *m, void **buffers) {
    if (!a->noutputs) {
        for (int k = 0; k < sim_num_outputs(m); k++) print_summary(sim_output(m, k), buffers[k]);
        return EXIT_OK;
    }
    for (size_t b = 0; b < a->noutputs; b++) {
        int k = sim_find_output(m, a->outputs[b].name);
        int rc = save_output(a->outputs[b].path, sim_output(m, k), buffers[k]);
        if (rc) return rc;
    }
    return EXIT_OK;
}

/* ---- the run ------------------------------------------------------------------------ */

static int run(const Args *a, SimModel *m) {
    int rc = check_output_names(a, m);
    if (rc) return rc;
    int nin = sim_num_inputs(m), nout = sim_num_outputs(m);
    NpyArray *inputs = xcalloc((size_t)nin + 1, sizeof *inputs);
    void **outputs = xcalloc((size_t)nout + 1, sizeof *outputs);
    rc = read_inputs(a, m, inputs);
    if (rc == EXIT_OK) {
        for (int k = 0; k < nin; k++) sim_bind_input(m, k, inputs[k].data);
        for (int k = 0; k < nout; k++) {
            outputs[k] = xmalloc(sim_output(m, k)->bytes + 1);
            sim_bind_output(m, k, outputs[k]);
        }
        SimOptions opt = {
            .threads = a->threads, .max_cycles = a->max_cycles, .trace = a->trace != NULL};
        SimStatus status = sim_run(m, &opt);
        if (status != SIM_OK) rc = user_error("%s", sim_message(m));
        if (status == SIM_CYCLE_LIMIT)
            fputs("acc-run: note: --max-cycles N sets the limit\n", stderr);
        if (a->stats) {
            StrBuf text;
            sb_init(&text);
            sim_stats_format(m, &text);
            fputs(text.data, stderr);
            sb_free(&text);
        }
        char err[600];
        if (a->trace && sim_trace_save(m, a->trace, err, sizeof err) < 0 && rc == EXIT_OK)
            rc = user_error("%s", err);
        if (rc == EXIT_OK) rc = write_outputs(a, m, outputs);
    }
    for (int k = 0; k < nin; k++) npy_free(&inputs[k]);
    for (int k = 0; k < nout; k++) free(outputs[k]);
    free(inputs);
    free(outputs);
    return rc;
}

int run_binary(int argc, char **argv) {
    Args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc == EXIT_OK) {
        char err[600];
        SimModel *m = sim_load_file(a.model, err, sizeof err);
        rc = m ? run(&a, m) : user_error("%s", err);
        sim_free(m);
    }
    for (size_t k = 0; k < a.ninputs; k++) free(a.inputs[k].name);
    for (size_t k = 0; k < a.noutputs; k++) free(a.outputs[k].name);
    free(a.inputs);
    free(a.outputs);
    return rc < 0 ? EXIT_OK : rc;
}

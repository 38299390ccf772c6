/*
 * The compiled differential test: graphs compiled by the whole toolchain
 * (middle end, backend passes, code generation) for a target, run on
 * libaccsim, and compared with the reference evaluator within dt_compare's
 * tolerances (exact for integer outputs and exact graphs).
 *
 *   difftest-compiled [--target PRESET]... [--seeds N] [--first S] [--families LIST]
 *                     [--model FILE]... [--cases DIR] [--case NAME] [--skip FILE]
 *                     [--skip-unsupported] [--verbose]
 *
 * Three sources of graphs: seeded random graphs (difftest.h; --families
 * picks ew, matmul, conv, reduce, move, norm or all), model files (the
 * examples), and the evaluator's per-op cases (DIR/manifest.txt from
 * tests/unit/ir/gen_eval_cases.py: every op of the IR). Each runs on every
 * --target (default acc1-mini). Exit status 1 if anything fails; a failure
 * names what to rerun (--case NAME runs one case).
 *
 * --skip FILE names what is left out, one a line ('#' comments): case
 * names, model file names (mnist.g) and random families (family:matmul).
 */
#include "accsim.h"
#include "backend.h"
#include "difftest.h"
#include "frontend.h"

#include <stdlib.h>
#include <string.h>

typedef struct Run {
    const IsaMachine *targets[8];
    int ntargets;
    bool verbose;
    int failures, checks, skips;
    bool skip_unsupported; /* --skip-unsupported: what the backend refuses is a skip */
    char **skip;           /* --skip: names left out */
    int nskip;
    size_t capskip;
    const char *only; /* --case: run only this case */
} Run;

static void show(const IrGraph *g, const PassContext *pc) {
    StrBuf sb;
    sb_init(&sb);
    ir_print(&sb, g, NULL);
    if (pc && pc->plan) plan_print(&sb, pc->plan);
    fputs(sb.data, stdout);
    sb_free(&sb);
}

/* Compile g for m and run it on inputs; outputs into got. 0, or -1 with
 * the reason in msg. */
static int compile_and_run(const IrGraph *g0, const IsaMachine *m, const NpyArray *inputs,
                           NpyArray *got, char *msg, size_t msglen, bool verbose) {
    IrGraph *g = ir_graph_clone(g0);
    if (verbose) {
        printf("--- compiling for %s\n", m->preset);
        fflush(stdout);
    }
    Diag d;
    char *dtext = NULL;
    size_t dlen = 0;
    FILE *dout = open_memstream(&dtext, &dlen);
    diag_init(&d, "difftest-compiled", dout ? dout : stdout);
    PassContext pc;
    pass_context_init(&pc);
    pc.machine = m;
    pc.diag = &d;
    pass_pipeline(g, &pc);
    if (verbose && pc.plan) {
        show(g, &pc);
        fflush(stdout);
    }
    BackendOutput out;
    memset(&out, 0, sizeof out);
    int rc = -1;
    if (dout) fflush(dout);
    if (dtext && dlen) fputs(dtext, stdout);
    if (pc.failed || !pc.plan) {
        snprintf(msg, msglen, "does not compile (%d errors above)", d.nerrors);
        if (dtext && strstr(dtext, "cannot compile")) rc = -2; /* not yet in the backend */
    } else if (backend_generate(pc.plan, NULL, &out) == 0) {
        char err[512];
        SimModel *sm = sim_load_image(out.image, err, sizeof err);
        if (!sm) {
            snprintf(msg, msglen, "the image does not load: %s", err);
        } else {
            for (int k = 0; k < g->ninputs; k++) sim_bind_input(sm, k, inputs[k].data);
            for (int k = 0; k < g->noutputs; k++) {
                const IrType *t = &g->vals[g->outputs[k].val].type;
                npy_alloc(&got[k], t->dtype, t->rank, t->dims);
                sim_bind_output(sm, k, got[k].data);
            }
            SimOptions so = {.threads = 1, .max_cycles = 0, .trace = false};
            SimStatus st = sim_run(sm, &so);
            if (st == SIM_OK) {
                rc = 0;
            } else {
                snprintf(msg, msglen, "the run failed: %s", sim_message(sm));
                for (int k = 0; k < g->noutputs; k++) npy_free(&got[k]);
            }
            sim_free(sm);
        }
    }
    if (rc != 0 && verbose) show(g, &pc);
    backend_output_free(&out);
    pass_context_free(&pc);
    diag_free(&d);
    if (dout) fclose(dout);
    free(dtext);
    ir_graph_free(g);
    return rc;
}

/* Evaluate t's graph and its compiled form on every target, compare. */
static void check(Run *run, const char *what, const DtGraph *t, const NpyArray *inputs) {
    const IrGraph *g = t->g;
    NpyArray *want = xcalloc((size_t)g->noutputs + 1, sizeof *want);
    char err[512];
    if (ir_eval(g, inputs, want, err, sizeof err) != 0) {
        free(want);
        return; /* the evaluator rejects these inputs: nothing to compare */
    }
    for (int i = 0; i < run->ntargets; i++) {
        const IsaMachine *m = run->targets[i];
        NpyArray *got = xcalloc((size_t)g->noutputs + 1, sizeof *got);
        char msg[2048];
        run->checks++;
        int rc = compile_and_run(g, m, inputs, got, msg, sizeof msg, run->verbose);
        if (rc == -2 && run->skip_unsupported) {
            printf("SKIP %s on %s: an op the backend cannot compile yet\n", what, m->preset);
            run->skips++;
        } else if (rc != 0) {
            printf("FAIL %s on %s: %s\n", what, m->preset, msg);
            run->failures++;
        } else {
            bool ok = true;
            for (int k = 0; k < g->noutputs; k++) {
                if (ok && !dt_compare(t, k, &got[k], &want[k], msg, sizeof msg)) {
                    printf("FAIL %s on %s: %s\n", what, m->preset, msg);
                    run->failures++;
                    ok = false;
                    if (run->verbose) show(g, NULL);
                }
                npy_free(&got[k]);
            }
        }
        free(got);
    }
    for (int k = 0; k < g->noutputs; k++) npy_free(&want[k]);
    free(want);
}

/* ---- The evaluator's per-op cases -------------------------------------------------- */

static bool load_input(const char *path, const IrType *t, NpyArray *a) {
    char err[512];
    if (npy_load(path, a, err, sizeof err) < 0) return false;
    if (a->dtype != t->dtype) {
        NpyArray b;
        npy_alloc(&b, t->dtype, a->ndim, a->shape);
        for (size_t i = 0; i < a->count; i++)
            dtype_set(b.dtype, b.data, i, dtype_get(a->dtype, a->data, i));
        npy_free(a);
        *a = b;
    }
    return true;
}

/* One case of the manifest: its graph, inputs, expected outputs and their
 * tolerances, and whether the evaluator rejects it (error). */
typedef struct Case {
    char name[256], ir[512];
    char in[IR_MAX_RESULTS][512], out[IR_MAX_RESULTS][512];
    double rtol[IR_MAX_RESULTS], atol[IR_MAX_RESULTS];
    int nin, nout;
    bool error;
} Case;

/* Whether name is on the skip list (one name per line, '#' comments). */
static bool skipped(const Run *run, const char *name) {
    for (int i = 0; i < run->nskip; i++)
        if (!strcmp(run->skip[i], name)) return true;
    return false;
}

/* The compiled case against the manifest's expected outputs, within the
 * wider of the case's tolerance and difftest's for the dtype (exact for
 * integers and bool). An error case must fail at run time (a trap). */
static void run_case(Run *run, const char *dir, const Case *c) {
    char err[512];
    char *path = path_join(dir, c->ir);
    Diag d;
    diag_init(&d, "difftest-compiled", stdout);
    size_t n;
    char *src = file_read(path, &n, err, sizeof err);
    IrParseOptions po;
    memset(&po, 0, sizeof po);
    po.base_dir = dir;
    IrGraph *g = src ? ir_parse(path, src, n, &po, &d) : NULL;
    free(src);
    free(path);
    diag_free(&d);
    if (!g) {
        printf("FAIL case %s: does not parse\n", c->name);
        run->failures++;
        return;
    }
    NpyArray *in = xcalloc((size_t)g->ninputs + 1, sizeof *in);
    NpyArray *want = xcalloc((size_t)g->noutputs + 1, sizeof *want);
    bool ok = c->nin == g->ninputs && c->nout == g->noutputs;
    for (int k = 0; k < g->ninputs && ok; k++) {
        char *p = path_join(dir, c->in[k]);
        ok = load_input(p, &g->vals[g->inputs[k]].type, &in[k]);
        free(p);
    }
    for (int k = 0; k < g->noutputs && ok && !c->error; k++) {
        char *p = path_join(dir, c->out[k]);
        ok = load_input(p, &g->vals[g->outputs[k].val].type, &want[k]);
        free(p);
    }
    if (!ok) {
        printf("FAIL case %s: its inputs or outputs do not load\n", c->name);
        run->failures++;
    }
    for (int i = 0; i < run->ntargets && ok; i++) {
        const IsaMachine *m = run->targets[i];
        NpyArray *got = xcalloc((size_t)g->noutputs + 1, sizeof *got);
        char msg[2048];
        run->checks++;
        int rc = compile_and_run(g, m, in, got, msg, sizeof msg, run->verbose);
        if (c->error) {
            if (rc == 0) {
                printf("FAIL case %s on %s: runs, but the evaluator rejects it\n", c->name,
                       m->preset);
                run->failures++;
                for (int k = 0; k < g->noutputs; k++) npy_free(&got[k]);
            } else if (!strstr(msg, "the run failed")) {
                printf("FAIL case %s on %s: %s\n", c->name, m->preset, msg);
                run->failures++;
            } else if (run->verbose) {
                printf("ok case %s on %s: %s\n", c->name, m->preset, msg);
            }
        } else if (rc != 0) {
            printf("FAIL case %s on %s: %s\n", c->name, m->preset, msg);
            run->failures++;
        } else {
            bool same = true;
            for (int k = 0; k < g->noutputs; k++) {
                DtTolerance tol = dt_tolerance(want[k].dtype);
                if (c->rtol[k] > tol.rtol) tol.rtol = c->rtol[k];
                if (c->atol[k] > tol.atol) tol.atol = c->atol[k];
                DtGraph t = {g, ACC_DTYPE_F32, false, 1};
                if (same && !dt_compare_tol(&t, k, &got[k], &want[k], tol, msg, sizeof msg)) {
                    printf("FAIL case %s on %s: %s\n", c->name, m->preset, msg);
                    run->failures++;
                    same = false;
                }
                npy_free(&got[k]);
            }
        }
        free(got);
    }
    for (int k = 0; k < g->ninputs; k++) npy_free(&in[k]);
    for (int k = 0; k < g->noutputs; k++) npy_free(&want[k]);
    free(in);
    free(want);
    ir_graph_free(g);
}

/* Every case of DIR/manifest.txt not on the skip list. The manifest's
 * lines: "case NAME", "ir FILE", "in FILE" per input, "out FILE RTOL
 * ATOL" per output, "error MESSAGE" when the evaluator rejects the case,
 * "end". */
static void run_cases(Run *run, const char *dir) {
    char *manifest = path_join(dir, "manifest.txt");
    size_t len;
    char err[512];
    char *text = file_read(manifest, &len, err, sizeof err);
    free(manifest);
    if (!text) {
        printf("FAIL cases: %s\n", err);
        run->failures++;
        return;
    }
    Case c;
    memset(&c, 0, sizeof c);
    int ncases = 0, nskipped = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (!strncmp(line, "case ", 5)) {
            memset(&c, 0, sizeof c);
            snprintf(c.name, sizeof c.name, "%s", line + 5);
        } else if (!strncmp(line, "ir ", 3)) {
            snprintf(c.ir, sizeof c.ir, "%s", line + 3);
        } else if (!strncmp(line, "in ", 3) && c.nin < IR_MAX_RESULTS) {
            snprintf(c.in[c.nin++], sizeof c.in[0], "%s", line + 3);
        } else if (!strncmp(line, "out ", 4) && c.nout < IR_MAX_RESULTS) {
            char file[512];
            if (sscanf(line + 4, "%511s %lf %lf", file, &c.rtol[c.nout], &c.atol[c.nout]) == 3)
                snprintf(c.out[c.nout++], sizeof c.out[0], "%s", file);
        } else if (!strncmp(line, "error", 5)) {
            c.error = true;
        } else if (!strcmp(line, "end")) {
            if (run->only && strcmp(run->only, c.name)) continue;
            if (skipped(run, c.name)) {
                nskipped++;
                continue;
            }
            ncases++;
            run_case(run, dir, &c);
        }
    }
    printf("%d cases (%d skipped)\n", ncases, nskipped);
    free(text);
}

/* --skip FILE: case names and model base names, one a line. */
static bool load_skip(Run *run, const char *path) {
    size_t len;
    char err[512];
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "difftest-compiled: error: %s\n", err);
        return false;
    }
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char name[256];
        if (sscanf(line, "%255s", name) != 1) continue;
        XGROW(run->skip, run->capskip, (size_t)run->nskip + 1);
        run->skip[run->nskip++] = xstrdup(name);
    }
    free(text);
    return true;
}

/* ---- Options ------------------------------------------------------------------------- */

static unsigned parse_families(const char *list) {
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"ew", DT_EW},     {"matmul", DT_MATMUL}, {"conv", DT_CONV}, {"reduce", DT_REDUCE},
                 {"move", DT_MOVE}, {"norm", DT_NORM},     {"all", DT_ALL}};
    unsigned f = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *w = strtok(buf, ","); w; w = strtok(NULL, ",")) {
        bool found = false;
        for (size_t i = 0; i < ACC_ARRAY_LEN(names); i++)
            if (!strcmp(w, names[i].name)) f |= names[i].bit, found = true;
        if (!found) return 0;
    }
    return f;
}

static int usage(void) {
    fprintf(stderr, "usage: difftest-compiled [--target PRESET]... [--seeds N] [--first S] "
                    "[--families LIST] [--model FILE]... [--cases DIR] [--case NAME] [--skip FILE] "
                    "[--skip-unsupported] [--verbose]\n");
    return 2;
}

int main(int argc, char **argv) {
    Run run;
    memset(&run, 0, sizeof run);
    setvbuf(stdout, NULL, _IOLBF, 0); /* what ran so far shows even after an abort */
    uint64_t first = 1, count = 0;
    unsigned families = DT_ALL;
    const char *models[64], *cases = NULL;
    int nmodels = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--seeds") && i + 1 < argc)
            count = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--first") && i + 1 < argc)
            first = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--families") && i + 1 < argc) {
            if (!(families = parse_families(argv[++i]))) return usage();
        } else if (!strcmp(a, "--target") && i + 1 < argc && run.ntargets < 8) {
            int p = isa_preset_lookup(argv[++i]);
            if (p < 0) return usage();
            run.targets[run.ntargets++] = isa_preset((IsaPreset)p);
        } else if (!strcmp(a, "--model") && i + 1 < argc && nmodels < 64)
            models[nmodels++] = argv[++i];
        else if (!strcmp(a, "--cases") && i + 1 < argc)
            cases = argv[++i];
        else if (!strcmp(a, "--case") && i + 1 < argc)
            run.only = argv[++i];
        else if (!strcmp(a, "--skip") && i + 1 < argc) {
            if (!load_skip(&run, argv[++i])) return 2;
        } else if (!strcmp(a, "--verbose"))
            run.verbose = true;
        else if (!strcmp(a, "--skip-unsupported"))
            run.skip_unsupported = true;
        else
            return usage();
    }
    if (!run.ntargets) run.targets[run.ntargets++] = isa_preset(ISA_PRESET_acc1_mini);
    for (int i = 0; i < run.nskip; i++)
        if (!strncmp(run.skip[i], "family:", 7)) families &= ~parse_families(run.skip[i] + 7);
    for (int m = 0; m < nmodels; m++) {
        const char *base = strrchr(models[m], '/');
        if (skipped(&run, base ? base + 1 : models[m])) continue;
        Diag d;
        diag_init(&d, "difftest-compiled", stdout);
        FeOptions fo;
        memset(&fo, 0, sizeof fo);
        IrGraph *g = fe_load(models[m], &fo, &d);
        diag_free(&d);
        if (!g) {
            printf("FAIL %s: does not load\n", models[m]);
            run.failures++;
            continue;
        }
        DtGraph t = {g, ACC_DTYPE_F32, false, 1};
        NpyArray *in = dt_inputs(g, 1);
        check(&run, models[m], &t, in);
        dt_inputs_free(g, in);
        ir_graph_free(g);
    }
    if (cases) run_cases(&run, cases);
    DtOptions o;
    dt_options_default(&o);
    o.families = families;
    for (uint64_t s = first; s < first + count && families; s++) {
        DtGraph t;
        dt_generate(s, &o, &t);
        NpyArray *in = dt_inputs(t.g, s);
        char what[64];
        snprintf(what, sizeof what, "seed %llu", (unsigned long long)s);
        check(&run, what, &t, in);
        dt_inputs_free(t.g, in);
        dt_graph_free(&t);
    }
    printf("%d checks, %d failures, %d skipped\n", run.checks, run.failures, run.skips);
    if (run.skips && run.skips == run.checks) run.failures++; /* nothing was compared */
    for (int i = 0; i < run.nskip; i++) free(run.skip[i]);
    free(run.skip);
    return run.failures ? 1 : 0;
}

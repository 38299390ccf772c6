/*
 * The middle end's differential test. For each seed and optimisation
 * level: generate a graph (difftest.h), run the pipeline on a copy, and
 * check that
 *   - the result is in the lowered form (ir_verify_lowered);
 *   - its IR text prints, parses and prints again to the same text;
 *   - it evaluates to the same outputs as the original, within the
 *     tolerance of dt_compare (exact for integer and data-movement graphs);
 *   - its fused kernels evaluate exactly as the plain ops they stand for
 *     (ir_unfuse), bit for bit.
 * With --model, the same checks on model files (the examples).
 *
 *   difftest [--seeds N] [--first S] [-O LEVELS] [--verbose] [--model FILE]...
 *
 * LEVELS is a list of digits ("012", the default). Exit status 1 if any
 * check fails; each failure names the seed and level to reproduce it with
 * --first S --seeds 1 --verbose.
 */
#include "difftest.h"
#include "frontend.h"
#include "passes.h"

#include <stdlib.h>
#include <string.h>

typedef struct Run {
    const char *levels;
    bool verbose;
    int failures, checks;
} Run;

static char *print(const IrGraph *g) {
    StrBuf sb;
    sb_init(&sb);
    ir_print(&sb, g, NULL);
    return sb_take(&sb);
}

static void fail(Run *run, const char *what, uint64_t seed, int level, const char *msg,
                 const IrGraph *before, const IrGraph *after) {
    run->failures++;
    printf("FAIL %s seed %llu -O%d: %s\n", what, (unsigned long long)seed, level, msg);
    if (run->verbose) {
        char *a = print(before), *b = after ? print(after) : NULL;
        printf("--- before\n%s--- after -O%d\n%s", a, level, b ? b : "(none)\n");
        free(a);
        free(b);
    }
}

/* The printed text parses and prints the same. */
static bool round_trips(const IrGraph *g, char *msg, size_t msglen) {
    char *text = print(g);
    Diag d;
    diag_init(&d, "difftest", stdout);
    IrGraph *again = ir_parse("lowered.ir", text, strlen(text), NULL, &d);
    bool ok = again != NULL;
    if (ok) {
        char *text2 = print(again);
        ok = strcmp(text, text2) == 0;
        free(text2);
        ir_graph_free(again);
    }
    if (!ok) snprintf(msg, msglen, "the lowered IR text does not round-trip");
    diag_free(&d);
    free(text);
    return ok;
}

/* All checks of one graph at one level. */
static void check(Run *run, const char *what, const DtGraph *t, int level) {
    char msg[600];
    IrGraph *h = ir_graph_clone(t->g);
    PassContext pc;
    pass_context_init(&pc);
    pc.opt_level = level;
    pass_pipeline(h, &pc);
    pass_context_free(&pc);
    run->checks++;
    Diag d;
    diag_init(&d, "difftest", stdout);
    if (!ir_verify_lowered(h, &d)) {
        fail(run, what, t->seed, level, "not in the lowered form", t->g, h);
    } else if (!round_trips(h, msg, sizeof msg)) {
        fail(run, what, t->seed, level, msg, t->g, h);
    } else {
        int rc = dt_check(t, h, msg, sizeof msg);
        if (rc != 0) {
            fail(run, what, t->seed, level, msg, t->g, h);
        } else {
            IrGraph *plain = ir_graph_clone(h);
            ir_unfuse(plain);
            DtGraph lowered = {h, t->dtype, true, t->seed};
            if (dt_check(&lowered, plain, msg, sizeof msg) != 0)
                fail(run, what, t->seed, level, msg, h, plain);
            ir_graph_free(plain);
        }
    }
    diag_free(&d);
    ir_graph_free(h);
}

static void check_levels(Run *run, const char *what, const DtGraph *t) {
    for (const char *l = run->levels; *l; l++) check(run, what, t, *l - '0');
}

static int usage(void) {
    fprintf(stderr,
            "usage: difftest [--seeds N] [--first S] [-O LEVELS] [--verbose] [--model FILE]...\n");
    return 2;
}

int main(int argc, char **argv) {
    Run run = {"012", false, 0, 0};
    uint64_t first = 1, count = 200;
    const char *models[64];
    int nmodels = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--seeds") == 0 && i + 1 < argc)
            count = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--first") == 0 && i + 1 < argc)
            first = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "-O") == 0 && i + 1 < argc)
            run.levels = argv[++i];
        else if (strcmp(a, "--verbose") == 0)
            run.verbose = true;
        else if (strcmp(a, "--model") == 0 && i + 1 < argc && nmodels < 64)
            models[nmodels++] = argv[++i];
        else
            return usage();
    }
    for (const char *l = run.levels; *l; l++)
        if (*l < '0' || *l > '2') return usage();
    if (nmodels) {
        for (int m = 0; m < nmodels; m++) {
            Diag d;
            diag_init(&d, "difftest", stderr);
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
            check_levels(&run, models[m], &t);
            ir_graph_free(g);
        }
    } else {
        DtOptions o;
        dt_options_default(&o);
        for (uint64_t s = first; s < first + count; s++) {
            DtGraph t;
            dt_generate(s, &o, &t);
            check_levels(&run, "random graph", &t);
            dt_graph_free(&t);
        }
    }
    printf("%d checks, %d failures\n", run.checks, run.failures);
    return run.failures ? 1 : 0;
}

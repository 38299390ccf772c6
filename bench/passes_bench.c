/*
 * passes-bench: the middle end's speed. Loads a model (or generates a
 * random graph of about N ops with the difftest generator), then runs the
 * pipeline on fresh copies several times and prints, per pass, the fastest
 * run's wall time. Printing and loading are not timed.
 *
 *   passes-bench MODEL.g|MODEL.ir [-O LEVEL] [--repeat R]
 *   passes-bench --random N [-O LEVEL] [--repeat R]
 */
#include "difftest.h"
#include "frontend.h"
#include "passes.h"

#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: passes-bench MODEL | --random N [-O LEVEL] [--repeat R]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *model = NULL;
    int level = 2, repeat = 3;
    long random_ops = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-O") == 0 && i + 1 < argc)
            level = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--random") == 0 && i + 1 < argc)
            random_ops = atol(argv[++i]);
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else
            return usage();
    }
    if ((!model && random_ops <= 0) || repeat < 1 || level < 0 || level > 2) return usage();
    IrGraph *g;
    if (model) {
        Diag d;
        diag_init(&d, "passes-bench", stderr);
        FeOptions fo;
        memset(&fo, 0, sizeof fo);
        g = fe_load(model, &fo, &d);
        diag_free(&d);
        if (!g) return 1;
    } else {
        DtOptions o;
        dt_options_default(&o);
        o.max_ops = (int)random_ops;
        o.max_dim = 4;
        o.max_elements = 256;
        o.dtypes = 1u << ACC_DTYPE_F32;
        DtGraph t;
        dt_generate(1, &o, &t);
        g = t.g;
        /* Every value nothing reads becomes an output, so every op is live. */
        ir_build_uses(g);
        IrRef *unread = xmalloc((size_t)g->nvals * sizeof *unread);
        int nunread = 0;
        ir_for_each_op(g, id) {
            for (int i = 0; i < g->ops[id].nout; i++) {
                int n;
                ir_uses(g, g->ops[id].out[i], &n);
                if (n == 0) unread[nunread++] = g->ops[id].out[i];
            }
        }
        for (int k = 0; k < nunread; k++) {
            char name[32];
            snprintf(name, sizeof name, "out%d", k);
            ir_add_output(g, name, unread[k]);
        }
        free(unread);
    }
    int32_t ops = 0;
    ir_for_each_op(g, id) ops++;
    double best_total = 1e300;
    PassContext best;
    memset(&best, 0, sizeof best);
    for (int r = 0; r < repeat; r++) {
        IrGraph *h = ir_graph_clone(g);
        PassContext pc;
        pass_context_init(&pc);
        pc.opt_level = level;
        pc.time_passes = true;
        pass_pipeline(h, &pc);
        double total = 0;
        for (int i = 0; i < pc.ntimings; i++) total += pc.timings[i].ms;
        if (total < best_total) {
            best_total = total;
            pass_context_free(&best);
            best = pc;
        } else {
            pass_context_free(&pc);
        }
        ir_graph_free(h);
    }
    printf("%s: %d ops, -O%d, best of %d runs\n", model ? model : "random graph", ops, level,
           repeat);
    best.log = stdout;
    pass_print_timings(&best);
    pass_context_free(&best);
    ir_graph_free(g);
    return 0;
}

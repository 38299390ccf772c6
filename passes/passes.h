/*
 * passes — the middle end: graph-to-graph passes over the SSA tensor IR,
 * run from one list (pipeline.c). Each pass is one file exporting
 * void pass_NAME(IrGraph *, PassContext *); docs/passes.md describes every
 * pass, the pipeline, and the lowered form the backend receives.
 *
 * Rules every pass follows:
 *   - deterministic: ops are visited in program order (or its reverse),
 *     tables are only looked up, never iterated, so no hash or pointer order
 *     reaches the output;
 *   - linear or n log n in the graph's size;
 *   - results change only as docs/passes.md allows (folding uses the
 *     evaluator's exact semantics; floating point is never reassociated);
 *   - after lower (PassContext.lowered), a pass keeps the graph in the
 *     lowered form (ir_verify_lowered).
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_PASSES_H
#define ACCC_PASSES_H

#include "ir.h"

typedef struct PassContext PassContext;
typedef void PassFn(IrGraph *g, PassContext *pc);

/* ---- passes.def: the passes ------------------------------------------------------ */

typedef enum PassId {
#define PASS(name, doc) PASS_##name,
#include "passes.def"
#undef PASS
    PASS_COUNT
} PassId;

typedef struct PassInfo {
    const char *name;
    PassFn *run;
    const char *doc;
} PassInfo;

#define PASS(name, doc) void pass_##name(IrGraph *g, PassContext *pc);
#include "passes.def"
#undef PASS

/* ---- pipeline.c: the pass manager and the pipeline ------------------------------- */

typedef struct PassTiming {
    const char *pass;
    double ms;               /* wall time */
    int32_t ops_in, ops_out; /* live ops before and after */
} PassTiming;

struct PassContext {
    int opt_level;           /* 0: only what lowering needs; 1: no fusion; 2 (default): all */
    bool lowered;            /* lower has run: passes keep the lowered form */
    bool print_after_all;    /* --print-after-all: the IR after every pass */
    const char *print_after; /* --print-after=PASS: the IR after each run of PASS */
    bool time_passes;        /* --time-passes: collect timings (pass_print_timings) */
    FILE *log;               /* where dumps and timings go (stderr) */
    /* Called before each pass with its name (the driver's progress line);
     * NULL: nothing is called. */
    void (*before_pass)(void *user, const char *pass);
    void *user;
    bool count_only; /* pass_pipeline_length: pass_run counts and runs nothing */
    int npasses;     /* passes run (or counted) so far */
    PassTiming *timings;
    int ntimings;
    size_t captimings;
};

void pass_context_init(PassContext *pc);
void pass_context_free(PassContext *pc);
/* The pass called name, or NULL. */
const PassInfo *pass_find(const char *name);
const PassInfo *pass_info(PassId id);
/* The closest pass name to a misspelling, or NULL. */
const char *pass_suggest(const char *name);
/* Run one pass: time it, verify the graph after it in debug builds (also the
 * lowered form once lower has run), print it if asked. */
void pass_run(IrGraph *g, PassContext *pc, PassId id);
/* The standard pipeline at pc->opt_level (docs/passes.md, "The pipeline").
 * It calls pass_run and nothing else, so that pass_pipeline_length can
 * count it without a graph. */
void pass_pipeline(IrGraph *g, PassContext *pc);
/* How many passes the pipeline runs at an -O level (for progress). */
int pass_pipeline_length(int opt_level);
/* Check a comma-separated list of pass names ("canon,cse,dce"); on an
 * unknown name writes a message to err and returns false. */
bool pass_list_check(const char *list, char *err, size_t errlen);
/* Run the passes of a checked list, in order. */
void pass_run_list(IrGraph *g, PassContext *pc, const char *list);
/* How many passes a list names. */
int pass_list_length(const char *list);
/* The --time-passes table, on pc->log. */
void pass_print_timings(const PassContext *pc);

#endif

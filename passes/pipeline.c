/*
 * The pass manager and the pipeline: the one list of passes, in order
 * (pass_pipeline), and what happens around each pass (pass_run): timing,
 * the verifier in debug builds, --print-after dumps.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const PassInfo passes[] = {
#define PASS(name, doc) [PASS_##name] = {#name, pass_##name, doc},
#include "passes.def"
#undef PASS
};
_Static_assert(ACC_ARRAY_LEN(passes) == PASS_COUNT, "passes.def rows out of step");

/* ---- The pipeline --------------------------------------------------------------------- */

/* The middle end, as docs/passes.md "The pipeline" describes it. -O0 runs
 * only what the backend needs (lower, and dce to drop what lowering left
 * unused); -O1 adds the clean-ups; -O2 adds fusion. */
void pass_pipeline(IrGraph *g, PassContext *pc) {
    int o = pc->opt_level;
    if (o >= 1) {
        pass_run(g, pc, PASS_canon); /* fold, normalise, fold batch_norm into conv/matmul */
        pass_run(g, pc, PASS_cse);
        pass_run(g, pc, PASS_dce);
    }
    pass_run(g, pc, PASS_lower); /* onto the kernel families: the lowered form from here */
    if (o >= 1) pass_run(g, pc, PASS_canon); /* fold what lowering exposed (weight transposes) */
    if (o >= 2) pass_run(g, pc, PASS_fuse);  /* elementwise chains, epilogues, prologues */
    if (o >= 1) pass_run(g, pc, PASS_cse);
    pass_run(g, pc, PASS_dce);

    /* The backend's passes, when compiling for a machine (docs/backend.md).
     * Placement comes after scheduling: it needs the lifetimes. */
    if (pc->machine) {
        /* The plan for speed; if that does not fit, again saving memory
         * (constants streamed to their readers, fills late). */
        bool save = pc->save_memory;
        pc->oom_quiet = !save;
        pc->oom = false;
        pass_run(g, pc, PASS_tile); /* layouts, kernels and data movement per tile */
        /* (tile stops early when resident data alone overflows a tile) */
        if (!pc->failed && !pc->oom) pass_run(g, pc, PASS_schedule); /* supersteps, exchanges */
        if (!pc->failed && !pc->oom) pass_run(g, pc, PASS_place);    /* SRAM addresses */
        if (pc->oom && !pc->failed) {
            pc->save_memory = true;
            pc->oom_quiet = false;
            pc->oom = false;
            pass_run(g, pc, PASS_tile);
            if (!pc->failed) pass_run(g, pc, PASS_schedule);
            if (!pc->failed) pass_run(g, pc, PASS_place);
            pc->save_memory = save;
        }
    }
}

/* ---- Running one pass -------------------------------------------------------------------- */

void pass_context_init(PassContext *pc) {
    memset(pc, 0, sizeof *pc);
    pc->opt_level = 2;
    pc->log = stderr;
}

void pass_context_free(PassContext *pc) {
    plan_free(pc->plan);
    pc->plan = NULL;
    free(pc->timings);
    pc->timings = NULL;
    pc->ntimings = 0;
    pc->captimings = 0;
}

const PassInfo *pass_info(PassId id) {
    if ((unsigned)id >= PASS_COUNT) ice("pass_info: bad pass %d", (int)id);
    return &passes[id];
}

const PassInfo *pass_find(const char *name) {
    for (int k = 0; k < PASS_COUNT; k++)
        if (strcmp(passes[k].name, name) == 0) return &passes[k];
    return NULL;
}

const char *pass_suggest(const char *name) {
    const char *names[PASS_COUNT];
    for (int k = 0; k < PASS_COUNT; k++) names[k] = passes[k].name;
    return str_suggest(name, names, PASS_COUNT);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int32_t live_ops(const IrGraph *g) {
    int32_t n = 0;
    ir_for_each_op(g, id) n++;
    return n;
}

static void dump(const IrGraph *g, PassContext *pc, const char *pass) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "# IR after %s\n", pass);
    ir_print(&sb, g, NULL);
    if (pc->plan) plan_print(&sb, pc->plan);
    fputs(sb.data, pc->log);
    sb_free(&sb);
}

int pass_pipeline_length(int opt_level) {
    PassContext pc;
    pass_context_init(&pc);
    pc.opt_level = opt_level;
    pc.count_only = true;
    pass_pipeline(NULL, &pc);
    pass_context_free(&pc);
    return pc.npasses;
}

void pass_run(IrGraph *g, PassContext *pc, PassId id) {
    const PassInfo *p = pass_info(id);
    pc->npasses++;
    if (pc->count_only) return;
    if (pc->before_pass) pc->before_pass(pc->user, p->name);
    int32_t before = pc->time_passes ? live_ops(g) : 0;
    double start = now_ms();
    p->run(g, pc);
    double ms = now_ms() - start;
    if (id == PASS_lower) pc->lowered = true;
    IR_VERIFY_DEBUG(g);
    if (pc->lowered) IR_VERIFY_LOWERED_DEBUG(g);
    if (pc->time_passes) {
        XGROW(pc->timings, pc->captimings, (size_t)pc->ntimings + 1);
        pc->timings[pc->ntimings++] = (PassTiming){p->name, ms, before, live_ops(g)};
    }
    if (pc->print_after_all || (pc->print_after && strcmp(pc->print_after, p->name) == 0))
        dump(g, pc, p->name);
}

/* ---- --passes=LIST ----------------------------------------------------------------------- */

/* The next name of a comma-separated list into buf; advances *list. */
static bool next_name(const char **list, char *buf, size_t size) {
    const char *s = *list;
    if (!*s) return false;
    size_t n = strcspn(s, ",");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), s);
    *list = s[n] ? s + n + 1 : s + n;
    return true;
}

bool pass_list_check(const char *list, char *err, size_t errlen) {
    char name[64];
    const char *p = list;
    while (next_name(&p, name, sizeof name)) {
        if (pass_find(name)) continue;
        const char *hint = pass_suggest(name);
        StrBuf all;
        sb_init(&all);
        for (int k = 0; k < PASS_COUNT; k++) sb_printf(&all, "%s%s", k ? ", " : "", passes[k].name);
        if (hint)
            snprintf(err, errlen, "unknown pass '%s'; did you mean '%s'?", name, hint);
        else
            snprintf(err, errlen, "unknown pass '%s' (the passes are %s)", name, all.data);
        sb_free(&all);
        return false;
    }
    return true;
}

int pass_list_length(const char *list) {
    char name[64];
    int n = 0;
    while (next_name(&list, name, sizeof name)) n++;
    return n;
}

void pass_run_list(IrGraph *g, PassContext *pc, const char *list) {
    char name[64];
    const char *p = list;
    while (next_name(&p, name, sizeof name)) {
        const PassInfo *info = pass_find(name);
        if (!info) ice("pass_run_list: unchecked pass '%s'", name);
        pass_run(g, pc, (PassId)(info - passes));
    }
}

/* ---- --time-passes ------------------------------------------------------------------------ */

void pass_print_timings(const PassContext *pc) {
    double total = 0;
    for (int i = 0; i < pc->ntimings; i++) total += pc->timings[i].ms;
    fprintf(pc->log, "===-- pass timing (wall clock) --===\n");
    fprintf(pc->log, "  %-10s %10s %7s %9s %9s\n", "pass", "ms", "%", "ops in", "ops out");
    for (int i = 0; i < pc->ntimings; i++) {
        const PassTiming *t = &pc->timings[i];
        fprintf(pc->log, "  %-10s %10.3f %6.1f%% %9d %9d\n", t->pass, t->ms,
                total > 0 ? 100.0 * t->ms / total : 0.0, t->ops_in, t->ops_out);
    }
    fprintf(pc->log, "  %-10s %10.3f %6.1f%%\n", "total", total, 100.0);
}

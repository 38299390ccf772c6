/*
 * kmatmul — the matrix-unit kernel of MATMUL tasks (docs/backend.md,
 * "Matrix-unit kernels") and the supervisor loop that drives it. The
 * argument block's format is PlanAmpSpec's (passes.h).
 *
 * The supervisor walks batch steps, 16-column blocks and K chunks; per
 * chunk it writes the state words (A, B, C, O pointers, first, left),
 * sets WLEN, starts the loaders (each copies its rows of the B panel into
 * W, a row stride apart), waits, starts the multipliers, waits. A
 * multiplier streams each of its rows of A (kw elements, contiguous)
 * through kw/lanes multiplies; the slice pointer wraps at WLEN by itself,
 * so the row loop is straight-line code in a hardware loop.
 */
#include "internal.h"

enum {
    S_A = PLAN_AMP_S,
    S_B = PLAN_AMP_S + 4,
    S_C = PLAN_AMP_S + 8,
    S_O = PLAN_AMP_S + 12,
    S_FIRST = PLAN_AMP_S + 16,
    S_LEFT = PLAN_AMP_S + 20,
    S_CB = PLAN_AMP_S + 24,
    S_OB = PLAN_AMP_S + 28,
    B_A = PLAN_AMP_BASE,
    B_B = PLAN_AMP_BASE + 4,
    B_C = PLAN_AMP_BASE + 8,
    B_O = PLAN_AMP_BASE + 12,
};
_Static_assert(PLAN_AMP_S + 32 == PLAN_AMP_BASE && PLAN_AMP_BASE + 16 == PLAN_AMP_CHUNKS,
               "the argument block's state and base words");

typedef struct AmpIsa {
    IsaOp mul;
    int lanes, rowbytes;
} AmpIsa;

static AmpIsa amp_isa(AccDtype t) {
    switch (t) {
    case ACC_DTYPE_F16: return (AmpIsa){ISA_F16AMP, 4, 32};
    case ACC_DTYPE_BF16: return (AmpIsa){ISA_BF16AMP, 4, 32};
    case ACC_DTYPE_F32: return (AmpIsa){ISA_F32AMP, 2, 64};
    case ACC_DTYPE_I8: return (AmpIsa){ISA_I8AMP, 8, 16};
    default: ice("kmatmul: no matrix unit for %s", dtype_name(t));
    }
}

/* One row loop of the multipliers: m14 A, m15 C (partials in), m10 the
 * store pointer, m9 rows; m12, m2, m13 the pointer bumps. */
static bool fits13(int64_t v) {
    return v >= -4096 && v <= 4095;
}

static void row_loop(Code *c, const PlanAmpSpec *s, bool load, bool last, int32_t next_seg) {
    AmpIsa ai = amp_isa(s->in_dtype);
    int32_t end = code_label(c, NULL);
    code_jump(c, ISA_LOOP, 0, 9, end, 0);
    /* the last access of each pointer steps to the next row by itself
     * when the step fits the immediate, else an add follows */
    if (load) {
        int64_t step = s->c_row - 48;
        for (int q = 0; q < 4; q++)
            code_op(c, ISA_AMPLD, 0, 15, 0, q < 3 || !fits13(step) ? 16 : (int32_t)step, q);
        code_comment(c, "the partial sums so far");
        if (!fits13(step)) code_op(c, ISA_ADD, 15, 15, 2, 0, 0);
    }
    int nmul = s->kw / ai.lanes;
    int64_t astep = 8 + s->a_row - (int64_t)s->kw * (int64_t)dtype_size(s->in_dtype);
    bool afits = astep >= -65536 && astep <= 65535;
    for (int k = 0; k < nmul; k++) {
        code_op(c, ai.mul, 0, 14, 0, k < nmul - 1 || !afits ? 8 : (int32_t)astep, 0);
        if (k == 0) code_comment(c, "%d multiplies: k = 0..%d of the chunk", nmul, s->kw - 1);
    }
    if (!afits) code_op(c, ISA_ADD, 14, 14, 12, 0, 0);
    AccDtype st = last ? s->out_dtype : ACC_DTYPE_F32;
    int64_t row = last ? s->o_row : s->c_row;
    if (st == ACC_DTYPE_F16 || st == ACC_DTYPE_BF16) {
        IsaOp op = st == ACC_DTYPE_F16 ? ISA_AMPSTH : ISA_AMPSTB;
        bool f = fits13(row - 16);
        for (int h = 0; h < 2; h++)
            code_op(c, op, 0, 10, 0, h < 1 || !f ? 16 : (int32_t)(row - 16), h);
        code_comment(c, "16 results rounded once to %s", dtype_name(st));
        if (!f) code_op(c, ISA_ADD, 10, 10, 13, 0, 0);
    } else {
        bool f = fits13(row - 48);
        for (int q = 0; q < 4; q++)
            code_op(c, ISA_AMPST, 0, 10, 0, q < 3 || !f ? 16 : (int32_t)(row - 48), q);
        code_comment(c, last ? "16 results" : "16 partial sums");
        if (!f) code_op(c, ISA_ADD, 10, 10, 13, 0, 0);
    }
    code_bind(c, end);
    code_op(c, ISA_ADDI, 4, 4, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 4, next_seg, 0);
    code_op(c, ISA_EXIT, 0, 0, 0, 0, 0);
}

/* A multiplier variant: per segment {A, C, O offsets, rows}, then the
 * row loop. */
static void variant(Code *c, const PlanAmpSpec *s, bool first, bool last, int32_t label) {
    AmpIsa ai = amp_isa(s->in_dtype);
    code_bind(c, label);
    code_note(c, "chunk %s%s%s%s", first ? "first" : "", first && last ? " and " : "",
              last ? "last" : (first ? "" : "in the middle"),
              s->acc_in || s->acc_out ? " of this K step" : "");
    /* a K step after the first adds to C; one before the last ends in C */
    bool load = !first || s->acc_in;
    last = last && !s->acc_out;
    int ostep = last && (s->out_dtype == ACC_DTYPE_F16 || s->out_dtype == ACC_DTYPE_BF16) ? 32 : 64;
    code_li(c, 13, (last ? s->o_row : s->c_row) - ostep);
    code_li(c, 2, s->c_row - 64);
    int32_t seg = code_label(c, NULL);
    code_bind(c, seg);
    code_op(c, ISA_LDW_PI, 14, 5, 0, 4, 0);
    code_op(c, ISA_ADD, 14, 14, 6, 0, 0);
    code_comment(c, "A");
    code_op(c, ISA_LDW_PI, 15, 5, 0, 4, 0);
    code_op(c, ISA_ADD, 15, 15, 7, 0, 0);
    code_comment(c, "C");
    code_op(c, ISA_LDW_PI, 10, 5, 0, 4, 0);
    if (last)
        code_op(c, ISA_ADD, 10, 10, 8, 0, 0);
    else
        code_op(c, ISA_ADD, 10, 15, 0, 0, 0);
    code_comment(c, last ? "O" : "the partial sums go back to C");
    code_op(c, ISA_LDW_PI, 9, 5, 0, 4, 0);
    code_comment(c, "rows");
    (void)ai;
    row_loop(c, s, load, last, seg);
}

void kmatmul_kernel(const Plan *p, const PlanTask *t, Kernel *k) {
    (void)p;
    const PlanAmpSpec *s = t->spec;
    AmpIsa ai = amp_isa(s->in_dtype);
    Code *c = &k->code;
    code_context(c, ASM_WORKER);
    k->entry = code_label(c, NULL);
    k->wblock = PLAN_AMP_BLOCK;
    int32_t mult = code_label(c, NULL), done = code_label(c, NULL), wend = code_label(c, NULL);
    code_bind(c, k->entry);
    code_op(c, ISA_LDW, 2, 1, 0, 0, 0);
    code_comment(c, "0: load W, 1: multiply");
    code_op(c, ISA_LDW, 3, 1, 0, 4, 0);
    code_comment(c, "the argument block");
    code_jump(c, ISA_BNZ, 0, 2, mult, 0);

    /* loader: rows of the B panel, b_row apart, into W */
    code_note(c, "loader: %d-byte rows of the B panel into W", ai.rowbytes);
    code_op(c, ISA_LDW, 4, 3, 0, S_B, 0);
    code_op(c, ISA_LDW, 5, 1, 0, 8, 0);
    code_op(c, ISA_ADD, 4, 4, 5, 0, 0);
    code_op(c, ISA_LDW, 5, 1, 0, 12, 0);
    code_comment(c, "W offset");
    code_op(c, ISA_LDW, 6, 1, 0, 16, 0);
    code_comment(c, "rows");
    int pieces = ai.rowbytes / 16;
    code_li(c, 7, s->b_row - 16 * (pieces - 1));
    code_jump(c, ISA_LOOP, 0, 6, wend, 0);
    for (int i = 0; i < pieces - 1; i++) code_op(c, ISA_AMPW, 0, 4, 5, 16, 0);
    code_op(c, ISA_AMPW_PR, 5, 4, 7, 0, 0);
    code_bind(c, wend);
    code_op(c, ISA_EXIT, 0, 0, 0, 0, 0);

    /* multiplier */
    code_bind(c, mult);
    code_note(c, "multiplier: its segments of rows, 16 columns each");
    code_op(c, ISA_LDW, 4, 1, 0, 8, 0);
    code_comment(c, "segments");
    code_op(c, ISA_LDW, 5, 1, 0, 12, 0);
    code_jump(c, ISA_BZ, 0, 4, done, 0);
    code_op(c, ISA_AMPCLR, 0, 0, 0, 0, 0);
    code_op(c, ISA_LDW, 6, 3, 0, S_A, 0);
    code_op(c, ISA_LDW, 7, 3, 0, S_C, 0);
    code_op(c, ISA_LDW, 8, 3, 0, S_O, 0);
    code_op(c, ISA_LDW, 9, 3, 0, S_FIRST, 0);
    code_op(c, ISA_LDW, 11, 3, 0, S_LEFT, 0);
    code_op(c, ISA_ADDI, 11, 11, 0, -1, 0);
    code_comment(c, "0 on the last chunk");
    code_li(c, 12, s->a_row - (int64_t)s->kw * (int64_t)dtype_size(s->in_dtype));
    int32_t vfl = code_label(c, NULL), vf = code_label(c, NULL), vm = code_label(c, NULL),
            vl = code_label(c, NULL), notfirst = code_label(c, NULL);
    code_jump(c, ISA_BZ, 0, 9, notfirst, 0);
    code_jump(c, ISA_BNZ, 0, 11, vf, 0);
    code_jump(c, ISA_BR, 0, 0, vfl, 0);
    code_bind(c, notfirst);
    code_jump(c, ISA_BNZ, 0, 11, vm, 0);
    code_jump(c, ISA_BR, 0, 0, vl, 0);
    variant(c, s, true, true, vfl);
    if (s->nchunks > 1) {
        variant(c, s, true, false, vf);
        variant(c, s, false, false, vm);
        variant(c, s, false, true, vl);
    } else {
        code_bind(c, vf);
        code_bind(c, vm);
        code_bind(c, vl);
    }
    code_bind(c, done);
    code_op(c, ISA_EXIT, 0, 0, 0, 0, 0);
}

/* Start n workers on entry from m1 = the first block, and wait. */
static void start(Code *c, int n, int32_t off, int32_t entry) {
    int32_t started = code_label(c, NULL);
    code_addi(c, 1, 2, off, 13);
    code_jump(c, ISA_LOOPI, 0, 0, started, n);
    code_jump(c, ISA_RUN, 0, 1, entry, 0);
    code_op(c, ISA_ADDI, 1, 1, 0, PLAN_AMP_BLOCK, 0);
    code_bind(c, started);
    code_op(c, ISA_WAIT, 0, 0, 0, 0, 0);
}

void kmatmul_invocation(Code *c, const PlanTask *t, int32_t entry) {
    const PlanAmpSpec *s = t->spec;
    AmpIsa ai = amp_isa(s->in_dtype);
    int64_t esb = (int64_t)dtype_size(s->in_dtype);
    int64_t eso = (int64_t)dtype_size(s->out_dtype);
    int32_t skip = code_label(c, NULL), lb = code_label(c, NULL), lj = code_label(c, NULL),
            lc = code_label(c, NULL);
    code_op(c, ISA_LDW_PI, 2, 10, 0, 4, 0);
    code_comment(c, "this tile's arguments, or 0");
    code_jump(c, ISA_BZ, 0, 2, skip, 0);
    code_op(c, ISA_LDW, 14, 2, 0, B_A, 0);
    code_op(c, ISA_LDW, 15, 2, 0, B_B, 0);
    code_op(c, ISA_LDW, 12, 2, 0, B_C, 0);
    code_op(c, ISA_STW, 12, 2, 0, S_CB, 0);
    code_op(c, ISA_LDW, 12, 2, 0, B_O, 0);
    code_op(c, ISA_STW, 12, 2, 0, S_OB, 0);
    code_li(c, 3, s->nbatch);
    code_comment(c, "batch steps");
    code_bind(c, lb);
    code_li(c, 4, s->ncols);
    code_comment(c, "16-column blocks");
    code_op(c, ISA_ADD, 7, 15, 0, 0, 0);
    code_op(c, ISA_LDW, 8, 2, 0, S_CB, 0);
    code_op(c, ISA_LDW, 9, 2, 0, S_OB, 0);
    code_bind(c, lj);
    code_li(c, 5, s->nchunks);
    code_comment(c, "K chunks of %d rows", s->kw);
    code_addi(c, 6, 2, PLAN_AMP_CHUNKS, 13);
    code_li(c, 11, 1);
    code_bind(c, lc);
    code_op(c, ISA_LDW_PI, 12, 6, 0, 4, 0);
    code_op(c, ISA_ADD, 12, 12, 14, 0, 0);
    code_op(c, ISA_STW, 12, 2, 0, S_A, 0);
    code_op(c, ISA_LDW_PI, 12, 6, 0, 4, 0);
    code_op(c, ISA_ADD, 12, 12, 7, 0, 0);
    code_op(c, ISA_STW, 12, 2, 0, S_B, 0);
    code_op(c, ISA_STW, 8, 2, 0, S_C, 0);
    code_op(c, ISA_STW, 9, 2, 0, S_O, 0);
    code_op(c, ISA_STW, 11, 2, 0, S_FIRST, 0);
    code_op(c, ISA_STW, 5, 2, 0, S_LEFT, 0);
    code_li(c, 12, (int64_t)s->kw * ai.rowbytes);
    code_op(c, ISA_AMPCFG, 0, 12, 0, 0, 0);
    code_comment(c, "WLEN: %d rows of W", s->kw);
    start(c, s->nloaders, PLAN_AMP_CHUNKS + 8 * s->nchunks, entry);
    code_comment(c, "W is loaded");
    start(c, s->nworkers, PLAN_AMP_CHUNKS + 8 * s->nchunks + PLAN_AMP_BLOCK * s->nloaders, entry);
    code_comment(c, "the chunk is multiplied");
    code_li(c, 11, 0);
    code_op(c, ISA_ADDI, 5, 5, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 5, lc, 0);
    code_addi(c, 7, 7, 16 * esb, 13);
    code_op(c, ISA_ADDI, 8, 8, 0, 64, 0);
    code_addi(c, 9, 9, 16 * eso, 13);
    code_op(c, ISA_ADDI, 4, 4, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 4, lj, 0);
    code_addi(c, 14, 14, s->a_batch, 13);
    code_addi(c, 15, 15, s->b_batch, 13);
    code_op(c, ISA_LDW, 12, 2, 0, S_CB, 0);
    code_addi(c, 12, 12, s->c_batch, 13);
    code_op(c, ISA_STW, 12, 2, 0, S_CB, 0);
    code_op(c, ISA_LDW, 12, 2, 0, S_OB, 0);
    code_addi(c, 12, 12, s->o_batch, 13);
    code_op(c, ISA_STW, 12, 2, 0, S_OB, 0);
    code_op(c, ISA_ADDI, 3, 3, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 3, lb, 0);
    code_bind(c, skip);
}

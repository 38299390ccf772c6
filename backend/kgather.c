/*
 * The gather kernel (GATHER; passes.h, PlanGatherSpec): one result element
 * per step, its index read and checked at run time.
 *
 *   m2 elements left, m3 result pointer, m4 data, m5 indices, m6 o, m7 j,
 *   m8 i (the position of the element), m13 dim, m14 inner, m15 the
 *   number of indices; m9..m12 temporaries.
 */
#include "internal.h"

static int log2_of(int x) {
    int n = 0;
    while ((1 << n) < x) n++;
    return n;
}

void kernel_gather(const Plan *p, const PlanTask *t, Kernel *k) {
    (void)p;
    const PlanGatherSpec *s = t->spec;
    Code *c = &k->code;
    code_context(c, ASM_WORKER);
    k->entry = code_label(c, NULL);
    code_bind(c, k->entry);
    int32_t done = code_label(c, NULL), elem = code_label(c, NULL), inrange = code_label(c, NULL),
            nonneg = code_label(c, NULL), next = code_label(c, NULL), bad = code_label(c, NULL);
    for (int r = 2; r <= 8; r++) code_op(c, ISA_LDW, r, 1, 0, 4 * (r - 2), 0);
    code_comment(c, "count, result, data, indices, o, j, i");
    code_li(c, 13, s->dim);
    code_li(c, 14, s->inner);
    code_li(c, 15, s->nidx);
    code_jump(c, ISA_BZ, 0, 2, done, 0);
    code_bind(c, elem);
    bool wide = s->idx_dtype == ACC_DTYPE_I64;
    code_op(c, ISA_SHLI, 9, 7, 0, wide ? 3 : 2, 0);
    code_op(c, ISA_ADD, 9, 9, 5, 0, 0);
    code_op(c, ISA_LDW, 10, 9, 0, 0, 0);
    code_comment(c, "the index");
    if (wide) {
        /* an i64 index must fit in 32 bits: its high word is the sign of the low */
        code_op(c, ISA_LDW, 11, 9, 0, 4, 0);
        code_op(c, ISA_SARI, 12, 10, 0, 31, 0);
        code_op(c, ISA_CMPEQ, 12, 12, 11, 0, 0);
        code_jump(c, ISA_BZ, 0, 12, bad, 0);
    }
    code_op(c, ISA_CMPLT, 12, 10, 0, 0, 0);
    code_jump(c, ISA_BZ, 0, 12, nonneg, 0);
    code_op(c, ISA_ADD, 10, 10, 13, 0, 0);
    code_comment(c, "negative: from the end");
    code_bind(c, nonneg);
    code_op(c, ISA_CMPLTU, 12, 10, 13, 0, 0);
    code_jump(c, ISA_BNZ, 0, 12, inrange, 0);
    code_bind(c, bad);
    code_op(c, ISA_TRAP, 0, 0, 0, PLAN_TRAP_GATHER, 0);
    code_comment(c, "index out of range");
    code_bind(c, inrange);
    /* data + ((o * dim + idx) * inner + i) * esize */
    code_op(c, ISA_MUL, 9, 6, 13, 0, 0);
    code_op(c, ISA_ADD, 9, 9, 10, 0, 0);
    code_op(c, ISA_MUL, 9, 9, 14, 0, 0);
    code_op(c, ISA_ADD, 9, 9, 8, 0, 0);
    if (s->esize > 1) code_op(c, ISA_SHLI, 9, 9, 0, log2_of(s->esize), 0);
    code_op(c, ISA_ADD, 9, 9, 4, 0, 0);
    switch (s->esize) {
    case 1:
        code_op(c, ISA_LDB, 10, 9, 0, 0, 0);
        code_op(c, ISA_STB_PI, 10, 3, 0, 1, 0);
        break;
    case 2:
        code_op(c, ISA_LDH, 10, 9, 0, 0, 0);
        code_op(c, ISA_STH_PI, 10, 3, 0, 2, 0);
        break;
    case 4:
        code_op(c, ISA_LDW, 10, 9, 0, 0, 0);
        code_op(c, ISA_STW_PI, 10, 3, 0, 4, 0);
        break;
    default:
        code_op(c, ISA_LDW, 10, 9, 0, 0, 0);
        code_op(c, ISA_LDW, 11, 9, 0, 4, 0);
        code_op(c, ISA_STW_PI, 10, 3, 0, 4, 0);
        code_op(c, ISA_STW_PI, 11, 3, 0, 4, 0);
        break;
    }
    code_comment(c, "the element");
    /* the next position: i, then j, then o */
    code_op(c, ISA_ADDI, 8, 8, 0, 1, 0);
    code_op(c, ISA_CMPEQ, 12, 8, 14, 0, 0);
    code_jump(c, ISA_BZ, 0, 12, next, 0);
    code_op(c, ISA_ADDI, 8, 0, 0, 0, 0);
    code_op(c, ISA_ADDI, 7, 7, 0, 1, 0);
    code_op(c, ISA_CMPEQ, 12, 7, 15, 0, 0);
    code_jump(c, ISA_BZ, 0, 12, next, 0);
    code_op(c, ISA_ADDI, 7, 0, 0, 0, 0);
    code_op(c, ISA_ADDI, 6, 6, 0, 1, 0);
    code_bind(c, next);
    code_op(c, ISA_ADDI, 2, 2, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 2, elem, 0);
    code_bind(c, done);
    code_op(c, ISA_EXIT, 0, 0, 0, 0, 0);
    k->wblock = PLAN_GATHER_WORKER;
}

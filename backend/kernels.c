/*
 * Worker kernels: the code a tile's workers run for a task, the same on
 * every tile (what differs per tile comes from the argument blocks whose
 * formats passes.h states). Each kernel is a fragment of code with its
 * entry label; compile.c shares identical fragments.
 *
 * Register conventions: m0 reads zero; m1 points at the worker's argument
 * block (set by run); m15 holds the worker's scratch address when the
 * kernel spills (WID * PLAN_SCRATCH, the scratch sits at address 0).
 */
#include "internal.h"

#include <stdlib.h>

enum { M_SCRATCH = 15 };

static uint32_t bit_range(int lo, int hi) {
    uint32_t s = 0;
    for (int r = lo; r <= hi; r++) s |= 1u << r;
    return s;
}

void kernel_scratch_prologue(Code *c) {
    code_op(c, ISA_GET, M_SCRATCH, 0, 0, 0, ISA_CSR_WID);
    code_op(c, ISA_SHLI, M_SCRATCH, M_SCRATCH, 0, 8, 0); /* PLAN_SCRATCH = 256 */
    _Static_assert(PLAN_SCRATCH == 256, "the shift above");
}

void kernel_chunk_frame(Code *c, int32_t done, int32_t chunk, const char *per_row, int ptr0, int nb,
                        int divisor) {
    code_op(c, ISA_LDW, 2, 1, 0, 0, 0);
    code_op(c, ISA_LDW, 3, 1, 0, 4, 0);
    code_jump(c, ISA_BZ, 0, 2, done, 0);
    code_bind(c, chunk);
    code_op(c, ISA_LDW_PI, 4, 3, 0, 4, 0);
    code_comment(c, "rows");
    code_op(c, ISA_LDW_PI, 5, 3, 0, 4, 0);
    code_comment(c, "%s", per_row);
    for (int k = 0; k < nb; k++) {
        code_op(c, ISA_LDW_PI, ptr0 + k, 3, 0, 4, 0);
        code_comment(c, k == 0 ? "result" : k == divisor ? "divisor" : "operand %d", k - 1);
    }
}

void kernel_chunk_close(Code *c, int32_t row, int32_t chunk, int32_t done, int ptr0, int nb,
                        int tmp) {
    for (int k = 0; k < nb; k++) {
        code_op(c, ISA_LDW, tmp, 1, 0, 8 + 4 * k, 0);
        code_op(c, ISA_ADD, ptr0 + k, ptr0 + k, tmp, 0, 0);
    }
    code_op(c, ISA_ADDI, 4, 4, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 4, row, 0);
    code_op(c, ISA_ADDI, 2, 2, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 2, chunk, 0);
    code_bind(c, done);
    code_op(c, ISA_EXIT, 0, 0, 0, 0, 0);
}

/* ---- Elementwise ------------------------------------------------------------------------ */

/*
 * m2 chunks left, m3 next chunk, m4 rows left, m5 elements per row,
 * m6.. one pointer per buffer (0: the result). Per row: operands that do
 * not move along the row (inner stride 0) are loaded once into registers
 * kept through the hardware loop over the row, whose body loads the other
 * operands, computes the body and stores the result.
 *
 * The body gets the m registers the frame leaves; when that is too few,
 * m1..m5 are saved in the scratch around the row (mode 1), and when even
 * that is too few, values spill to the scratch (mode 2); last, operands
 * constant along the row are loaded again for every element instead of
 * held in registers (mode 3).
 */
static bool ew_try(const Plan *p, const PlanEwSpec *s, Code *c, int mode) {
    const IrGraph *g = p->g;
    const IrGraph *body = ir_op_body(g, s->op);
    int nb = s->nbuf;
    int ptr0 = 6;
    bool save = mode >= 1;
    if (ptr0 + nb > M_SCRATCH - 1) return false;
    int32_t done = code_label(c, NULL), chunk = code_label(c, NULL), row = code_label(c, NULL),
            end = code_label(c, NULL);
    if (save) kernel_scratch_prologue(c);
    kernel_chunk_frame(c, done, chunk, "elements per row", ptr0, nb, -1);
    code_bind(c, row);
    if (save) {
        for (int r = 1; r <= 5; r++) code_op(c, ISA_STW, r, M_SCRATCH, 0, 4 * (r - 1), 0);
        code_comment(c, "the frame, while the row needs its registers");
    }
    /* saved, m1..m4 are free for the row; m5 only once the hardware loop
     * has read it (the count of the row's elements) */
    uint32_t mfree =
        save ? bit_range(1, M_SCRATCH - 1) & ~bit_range(ptr0, ptr0 + nb - 1) & ~(1u << 5)
             : bit_range(ptr0 + nb, 15);
    uint32_t afree = bit_range(0, 15);
    VPool pool = {afree, mfree, mode >= 2 ? M_SCRATCH : -1, 20};

    /* Operands constant along a row, loaded once per row. */
    BVal inputs[PLAN_MAX_BUFS];
    VCode pre;
    vc_init(&pre);
    int32_t keep[2 * PLAN_MAX_BUFS];
    int nkeep = 0, keep_buf[2 * PLAN_MAX_BUFS], keep_half[2 * PLAN_MAX_BUFS];
    bool hoist = mode < 3;
    for (int k = 1; k < nb; k++) {
        if (s->inner[k] != 0 || !hoist) continue;
        BVal x = body_load(&pre, s->dtype[k], ptr0 + k, 0);
        inputs[s->input[k]] = x;
        for (int h = 0; h < (x.t == ACC_DTYPE_I64 ? 2 : 1); h++) {
            keep_buf[nkeep] = k;
            keep_half[nkeep] = h;
            keep[nkeep++] = x.v[h];
        }
    }
    int where[2 * PLAN_MAX_BUFS];
    if (!vc_emit(&pre, &pool, c, keep, nkeep, where)) {
        vc_free(&pre);
        return false;
    }
    for (int i = 0; i < nkeep; i++) {
        VClass cl = pre.cls[keep[i]];
        if (cl == VC_A)
            pool.a &= ~(1u << where[i]);
        else
            pool.m &= ~(1u << where[i]);
        inputs[s->input[keep_buf[i]]].v[keep_half[i]] = VPHYS(where[i]);
    }
    vc_free(&pre);

    /* The loop over a row. */
    VCode v;
    vc_init(&v);
    for (int k = 1; k < nb; k++)
        if (s->inner[k] != 0 || !hoist)
            inputs[s->input[k]] = body_load(&v, s->dtype[k], ptr0 + k, (int32_t)s->inner[k]);
    BVal r = body_emit(&v, body, inputs);
    r = body_cast(&v, r, s->out_dtype);
    body_store(&v, r, s->out_dtype, ptr0, (int32_t)s->inner[0]);
    code_jump(c, ISA_LOOP, 0, 5, end, 0);
    if (save) pool.m |= 1u << 5;
    bool ok = vc_emit(&v, &pool, c, NULL, 0, NULL);
    vc_free(&v);
    if (!ok) return false;
    code_bind(c, end);
    if (save)
        for (int r2 = 1; r2 <= 5; r2++) code_op(c, ISA_LDW, r2, M_SCRATCH, 0, 4 * (r2 - 1), 0);
    /* the next row: bump every pointer */
    kernel_chunk_close(c, row, chunk, done, ptr0, nb, ptr0 + nb);
    return true;
}

static void ew_kernel(const Plan *p, const PlanTask *t, Kernel *k) {
    const PlanEwSpec *s = t->spec;
    for (int mode = 0; mode < 4; mode++) {
        Code c;
        code_init(&c, k->code.prefix);
        code_context(&c, ASM_WORKER);
        k->entry = code_label(&c, NULL);
        code_bind(&c, k->entry);
        if (ew_try(p, s, &c, mode)) {
            code_free(&k->code);
            k->code = c;
            k->wblock = (uint32_t)(2 + s->nbuf) * 4;
            return;
        }
        code_free(&c);
    }
    ice("kernels: the body of %s needs more registers than a worker has", t->what);
}

/* ---- Copies and fills ------------------------------------------------------------------ */

static void copy_kernel(const PlanCopySpec *s, bool fill, Code *c) {
    int32_t done = code_label(c, NULL), desc = code_label(c, NULL), outer = code_label(c, NULL),
            end = code_label(c, NULL);
    code_op(c, ISA_LDW, 2, 1, 0, 0, 0);
    code_op(c, ISA_LDW, 3, 1, 0, 4, 0);
    code_jump(c, ISA_BZ, 0, 2, done, 0);
    code_bind(c, desc);
    if (!fill) code_op(c, ISA_LDW_PI, 4, 3, 0, 4, 0);
    code_op(c, ISA_LDW_PI, 5, 3, 0, 4, 0);
    code_op(c, ISA_LDW_PI, 6, 3, 0, 4, 0);
    if (!fill) code_op(c, ISA_LDW_PI, 7, 3, 0, 4, 0);
    code_op(c, ISA_LDW_PI, 8, 3, 0, 4, 0);
    code_op(c, ISA_LDW_PI, 9, 3, 0, 4, 0);
    if (!fill) code_op(c, ISA_LDW_PI, 10, 3, 0, 4, 0);
    code_op(c, ISA_LDW_PI, 11, 3, 0, 4, 0);
    if (fill) {
        code_op(c, ISA_LDW_PI, 12, 3, 0, 4, 0);
        code_op(c, ISA_LDW_PI, 13, 3, 0, 4, 0);
        if (s->esize == 8) {
            code_op(c, ISA_MTOA, 0, 12, 0, 0, 0);
            code_op(c, ISA_MTOA, 1, 13, 0, 0, 0);
        }
    }
    code_bind(c, outer);
    code_jump(c, ISA_LOOP, 0, 6, end, 0);
    IsaOp ld, st;
    switch (s->esize) {
    case 1: ld = ISA_LDB_PR, st = ISA_STB_PR; break;
    case 2: ld = ISA_LDH_PR, st = ISA_STH_PR; break;
    case 4: ld = ISA_LDW_PR, st = ISA_STW_PR; break;
    case 8: ld = ISA_LD64_PR, st = ISA_ST64_PR; break;
    default: ice("kernels: copies of %d-byte elements", s->esize);
    }
    if (!fill) code_op(c, ld, s->esize == 8 ? 0 : 12, 4, 7, 0, 0);
    code_op(c, st, s->esize == 8 ? 0 : 12, 5, 8, 0, 0);
    code_bind(c, end);
    if (!fill) code_op(c, ISA_ADD, 4, 4, 10, 0, 0);
    code_op(c, ISA_ADD, 5, 5, 11, 0, 0);
    code_op(c, ISA_ADDI, 9, 9, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 9, outer, 0);
    code_op(c, ISA_ADDI, 2, 2, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 2, desc, 0);
    code_bind(c, done);
    code_op(c, ISA_EXIT, 0, 0, 0, 0, 0);
}

void kernel_generate(const Plan *p, const PlanTask *t, const char *name, Kernel *k) {
    memset(k, 0, sizeof *k);
    code_init(&k->code, name);
    switch (t->kind) {
    case PLAN_EW: ew_kernel(p, t, k); return;
    case PLAN_MATMUL: kmatmul_kernel(p, t, k); return;
    case PLAN_COPY:
    case PLAN_FILL:
        code_context(&k->code, ASM_WORKER);
        k->entry = code_label(&k->code, NULL);
        code_bind(&k->code, k->entry);
        copy_kernel(t->spec, t->kind == PLAN_FILL, &k->code);
        k->wblock = PLAN_COPY_WORKER;
        return;
    case PLAN_REDUCE:
    case PLAN_ARGRED: kernel_reduce(p, t, k); return;
    case PLAN_GATHER: kernel_gather(p, t, k); return;
    default: ice("kernels: no kernel for %s tasks yet", plan_task_name(t->kind));
    }
}

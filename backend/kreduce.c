/*
 * The reduction kernels (REDUCE, ARGRED; passes.h, PlanReduceSpec): per
 * result element, an accumulator kept in registers through a hardware loop
 * over a run of reduced positions (a software loop over the runs), then the
 * result stored.
 *
 *   m2 chunks left, m3 next chunk, m4 rows left, m5 elements per row,
 *   m6 elements left in the row, m7.. one pointer per buffer (0: the
 *   result), then one run pointer per operand, the run count, the hardware
 *   loop count and a temporary; the accumulator in a15 (f32) or m
 *   registers. When the body needs more registers, m2..m5 wait in the
 *   worker's scratch during a row (mode 1), and then values spill (mode 2).
 */
#include "internal.h"

#include <math.h>
#include <stdint.h>

enum { M_SCRATCH = 15, A_ACC = 15 };

static uint32_t bits(int lo, int hi) {
    uint32_t s = 0;
    for (int r = lo; r <= hi; r++) s |= 1u << r;
    return s;
}

/* The identity of a combine on dtype t. */
static double identity(PlanReduceKind k, AccDtype t) {
    bool f = t == ACC_DTYPE_F32;
    double lo = f                    ? -INFINITY
                : t == ACC_DTYPE_I8  ? -128
                : t == ACC_DTYPE_I32 ? (double)INT32_MIN
                : t == ACC_DTYPE_I64 ? -9.3e18
                                     : 0;
    double hi = f                    ? INFINITY
                : t == ACC_DTYPE_I8  ? 127
                : t == ACC_DTYPE_U8  ? 255
                : t == ACC_DTYPE_I32 ? (double)INT32_MAX
                : t == ACC_DTYPE_I64 ? 9.3e18
                                     : 1;
    switch (k) {
    case PLAN_RED_PROD: return 1;
    case PLAN_RED_MAX:
    case PLAN_RED_MAXNUM: return lo;
    case PLAN_RED_MIN: return hi;
    default: return 0;
    }
}

/* Registers fixed for the whole kernel. */
typedef struct Frame {
    int ptr0, rc, r0, tmp, nop;
    int q[PLAN_MAX_BUFS];   /* operand k's run pointer (its own pointer when it stays put) */
    int far[PLAN_MAX_BUFS]; /* a register holding operand k's step, or -1 */
    bool moves[PLAN_MAX_BUFS];
    BVal acc;    /* the accumulator (physical registers) */
    int bi, idx; /* ARGRED: best index, current index */
    uint32_t mfree, afree;
} Frame;

static bool take_m(uint32_t *free, int *r) {
    for (int i = 2; i < 16; i++)
        if (*free & (1u << i)) {
            *free &= ~(1u << i);
            *r = i;
            return true;
        }
    return false;
}

static BVal phys(AccDtype t, int r0, int r1) {
    return (BVal){t, {VPHYS(r0), VPHYS(r1)}};
}

/* Emit v with the frame's pools; false if they are too small. */
static bool emit(VCode *v, const Frame *f, Code *c, int mode) {
    VPool pool = {f->afree, f->mfree, mode == 2 ? M_SCRATCH : -1, 16 + 4 * PLAN_MAX_BUFS};
    return vc_emit(v, &pool, c, NULL, 0, NULL);
}

static bool reduce_try(const Plan *p, const PlanTask *t, const PlanReduceSpec *s, Code *c,
                       int mode) {
    bool arg = t->kind == PLAN_ARGRED;
    int nb = s->nbuf, nop = nb - 1 - s->divisor, div = s->divisor ? nb - 1 : -1;
    AccDtype at = s->acc_dtype;
    Frame f;
    memset(&f, 0, sizeof f);
    f.nop = nop;
    /* m registers: m1 args; m2..m6 the frame (m2..m5 free during a row in
     * modes 1 and 2); m15 the scratch in modes 1 and 2. */
    uint32_t m = bits(7, mode >= 1 ? 14 : 15);
    f.afree = bits(0, 15);
    /* the pointers from m7; the rest lives only within a row, where modes
     * 1 and 2 also free m2..m5 */
    f.ptr0 = 7;
    if (7 + nb > (mode >= 1 ? 15 : 16)) return false;
    m &= ~bits(7, 7 + nb - 1);
    if (mode >= 1) m |= bits(2, 5);
    /* Operands that move through the reduced positions: mode 0 copies
     * their pointers into run pointers; modes 1 and 2 run the pointers
     * themselves and take them back from the scratch after the runs. */
    for (int k = 1; k <= nop; k++) {
        f.moves[k] = s->rs0[k] != 0 || (s->r1 > 1 && s->rs1[k] != 0) || arg;
        f.q[k] = f.ptr0 + k;
        if (f.moves[k] && mode == 0 && !take_m(&m, &f.q[k])) return false;
    }
    f.rc = -1;
    if (s->r1 > 1 && !take_m(&m, &f.rc)) return false;
    if (!take_m(&m, &f.r0) || !take_m(&m, &f.tmp)) return false;
    /* an operand step past a post-increment's immediate (the partials of
     * a K split, a block apart) lives in a register */
    for (int k = 1; k <= nop; k++) {
        f.far[k] = -1;
        if (s->rs0[k] >= -4096 && s->rs0[k] < 4096) continue;
        if (arg || !take_m(&m, &f.far[k])) return false;
    }
    if (at == ACC_DTYPE_F32) {
        f.afree &= ~(1u << A_ACC);
        f.acc = phys(at, A_ACC, 0);
    } else {
        int a0, a1 = 0;
        if (!take_m(&m, &a0)) return false;
        if (at == ACC_DTYPE_I64 && !take_m(&m, &a1)) return false;
        f.acc = phys(at, a0, a1);
    }
    if (arg && (!take_m(&m, &f.bi) || !take_m(&m, &f.idx))) return false;
    f.mfree = m;

    int32_t done = code_label(c, NULL), chunk = code_label(c, NULL), row = code_label(c, NULL),
            elem = code_label(c, NULL), run = code_label(c, NULL), end = code_label(c, NULL);
    if (mode >= 1) kernel_scratch_prologue(c);
    kernel_chunk_frame(c, done, chunk, "result elements per row", f.ptr0, nb, div);
    code_bind(c, row);
    code_op(c, ISA_ADDI, 6, 5, 0, 0, 0);
    code_comment(c, "result elements left in the row");
    if (mode >= 1) {
        for (int r = 2; r <= 5; r++) code_op(c, ISA_STW, r, M_SCRATCH, 0, 4 * (r - 2), 0);
        code_comment(c, "the frame, while the row needs its registers");
    }
    int64_t loop_n = arg ? s->r0 - 1 : s->r0;
    if (loop_n < 0) loop_n = 0;
    code_li(c, f.r0, loop_n);
    code_comment(c, "reduced positions per run");
    for (int k = 1; k <= nop; k++)
        if (f.far[k] >= 0) {
            code_li(c, f.far[k], s->rs0[k]);
            code_comment(c, "operand %d's step", k - 1);
        }

    /* Per element: start the accumulator and the run pointers. */
    code_bind(c, elem);
    for (int k = 1; k <= nop; k++) {
        if (f.q[k] != f.ptr0 + k) code_op(c, ISA_ADDI, f.q[k], f.ptr0 + k, 0, 0, 0);
        if (mode >= 1 && f.moves[k]) code_op(c, ISA_STW, f.ptr0 + k, M_SCRATCH, 0, 16 + 4 * k, 0);
    }
    VCode v;
    vc_init(&v);
    if (arg) {
        BVal x = body_load(&v, s->dtype[1], f.q[1], (int32_t)s->rs0[1]);
        body_move(&v, f.acc, x);
        vc_op(&v, ISA_ADDI, VPHYS(f.bi), VPHYS(0), 0, 0);
        vc_op(&v, ISA_ADDI, VPHYS(f.idx), VPHYS(0), 0, 0);
    } else {
        /* an empty integer max or min is 0, as the evaluator's */
        bool empty_int = s->r0 * s->r1 == 0 && at != ACC_DTYPE_F32 && s->kind != PLAN_RED_PROD;
        body_move(&v, f.acc, body_constant(&v, at, empty_int ? 0 : identity(s->kind, at)));
    }
    bool ok = emit(&v, &f, c, mode);
    vc_free(&v);
    if (!ok) return false;
    if (f.rc >= 0) code_li(c, f.rc, s->r1);

    /* The hardware loop over one run of reduced positions. */
    code_bind(c, run);
    code_jump(c, ISA_LOOP, 0, f.r0, end, 0);
    vc_init(&v);
    if (arg) {
        BVal x = body_load(&v, s->dtype[1], f.q[1], (int32_t)s->rs0[1]);
        vc_op(&v, ISA_ADDI, VPHYS(f.idx), VPHYS(f.idx), 0, 1);
        BVal b = f.acc, better, two[2];
        bool is_max = s->kind == PLAN_RED_ARGMAX;
        two[0] = is_max ? b : x;
        two[1] = is_max ? x : b;
        better = body_prim(&v, IR_OP_less, two, ACC_DTYPE_BOOL);
        if (at == ACC_DTYPE_F32) {
            BVal xn = body_prim(&v, IR_OP_is_nan, &x, ACC_DTYPE_BOOL);
            BVal bn = body_prim(&v, IR_OP_is_nan, &b, ACC_DTYPE_BOOL);
            BVal nbn = body_prim(&v, IR_OP_not, &bn, ACC_DTYPE_BOOL);
            BVal pr[2] = {xn, nbn};
            BVal nanwin = body_prim(&v, IR_OP_and, pr, ACC_DTYPE_BOOL);
            pr[0] = better, pr[1] = nanwin;
            better = body_prim(&v, IR_OP_or, pr, ACC_DTYPE_BOOL);
            if (s->select_last) {
                BVal xb[2] = {x, b};
                BVal eq = body_prim(&v, IR_OP_equal, xb, ACC_DTYPE_BOOL);
                pr[0] = xn, pr[1] = bn;
                BVal both = body_prim(&v, IR_OP_and, pr, ACC_DTYPE_BOOL);
                pr[0] = eq, pr[1] = both;
                BVal same = body_prim(&v, IR_OP_or, pr, ACC_DTYPE_BOOL);
                pr[0] = better, pr[1] = same;
                better = body_prim(&v, IR_OP_or, pr, ACC_DTYPE_BOOL);
            }
        } else if (s->select_last) {
            BVal xb[2] = {x, b};
            BVal eq = body_prim(&v, IR_OP_equal, xb, ACC_DTYPE_BOOL);
            BVal pr[2] = {better, eq};
            better = body_prim(&v, IR_OP_or, pr, ACC_DTYPE_BOOL);
        }
        BVal sel[3] = {better, x, b};
        body_move(&v, f.acc, body_prim(&v, IR_OP_where, sel, at));
        BVal isel[3] = {better, phys(ACC_DTYPE_I32, f.idx, 0), phys(ACC_DTYPE_I32, f.bi, 0)};
        body_move(&v, phys(ACC_DTYPE_I32, f.bi, 0),
                  body_prim(&v, IR_OP_where, isel, ACC_DTYPE_I32));
    } else {
        BVal inputs[PLAN_MAX_BUFS], x;
        for (int k = 1; k <= nop; k++) {
            BVal *in = &inputs[s->body ? s->input[k] : k - 1];
            if (f.far[k] < 0) {
                *in = body_load(&v, s->dtype[k], f.q[k], (int32_t)s->rs0[k]);
            } else if (s->dtype[k] == ACC_DTYPE_F32) {
                int32_t a = vc_new(&v, VC_A);
                vc_load_pr(&v, ISA_LD32_PR, a, VPHYS(f.q[k]), VPHYS(f.far[k]));
                *in = (BVal){ACC_DTYPE_F32, {a, 0}};
            } else {
                *in = body_load(&v, s->dtype[k], f.q[k], 0);
                vc_op(&v, ISA_ADD, VPHYS(f.q[k]), VPHYS(f.q[k]), VPHYS(f.far[k]), 0);
            }
        }
        if (s->body) {
            x = body_emit(&v, ir_op_body(p->g, s->op), inputs);
        } else if (s->product) {
            BVal pr[2] = {body_cast(&v, inputs[0], at), body_cast(&v, inputs[1], at)};
            x = body_prim(&v, IR_OP_mul, pr, at);
        } else {
            x = inputs[0];
        }
        if (x.t != at) x = body_cast(&v, x, at);
        BVal pr[2] = {f.acc, x}, r;
        static const IsaOp fcombine[] = {ISA_F32ADD, ISA_F32MUL, ISA_F32MAX, ISA_F32MIN};
        if (at == ACC_DTYPE_F32 && s->kind <= PLAN_RED_MIN) {
            /* straight into the accumulator (f32max/f32min propagate NaN) */
            vc_op(&v, fcombine[s->kind], f.acc.v[0], f.acc.v[0], x.v[0], 0);
        } else {
            switch (s->kind) {
            case PLAN_RED_SUM: r = body_prim(&v, IR_OP_add, pr, at); break;
            case PLAN_RED_PROD: r = body_prim(&v, IR_OP_mul, pr, at); break;
            case PLAN_RED_MAX: r = body_prim(&v, IR_OP_max, pr, at); break;
            case PLAN_RED_MIN: r = body_prim(&v, IR_OP_min, pr, at); break;
            default: { /* NaN loses: the new value only when it is greater */
                if (at == ACC_DTYPE_F32) {
                    int32_t mask = vc_new(&v, VC_A);
                    vc_op(&v, ISA_F32CMPLT, mask, f.acc.v[0], x.v[0], 0);
                    vc_op_rmw(&v, ISA_SEL32, mask, x.v[0], f.acc.v[0], 0);
                    r = (BVal){at, {mask, 0}};
                    break;
                }
                BVal gt = body_prim(&v, IR_OP_less, pr, ACC_DTYPE_BOOL);
                BVal sel[3] = {gt, x, f.acc};
                r = body_prim(&v, IR_OP_where, sel, at);
            }
            }
            body_move(&v, f.acc, r);
        }
    }
    ok = emit(&v, &f, c, mode);
    vc_free(&v);
    if (!ok) return false;
    code_bind(c, end);
    if (f.rc >= 0) {
        for (int k = 1; k <= nop; k++)
            if (f.moves[k]) code_addi(c, f.q[k], f.q[k], s->rs1[k] - s->r0 * s->rs0[k], f.tmp);
        code_op(c, ISA_ADDI, f.rc, f.rc, 0, -1, 0);
        code_jump(c, ISA_BNZ, 0, f.rc, run, 0);
    }

    /* The result. */
    vc_init(&v);
    if (arg) {
        BVal r = {ACC_DTYPE_I64, {VPHYS(f.bi), VPHYS(0)}};
        body_store(&v, r, s->out_dtype, f.ptr0, (int32_t)s->inner[0]);
    } else {
        BVal r = f.acc;
        if (div >= 0) {
            BVal pr[2] = {r, body_load(&v, ACC_DTYPE_F32, f.ptr0 + div, (int32_t)s->inner[div])};
            r = body_prim(&v, IR_OP_div, pr, at);
        }
        r = body_cast(&v, r, s->out_dtype);
        body_store(&v, r, s->out_dtype, f.ptr0, (int32_t)s->inner[0]);
    }
    ok = emit(&v, &f, c, mode);
    vc_free(&v);
    if (!ok) return false;
    for (int k = 1; k <= nop; k++) {
        if (mode >= 1 && f.moves[k]) code_op(c, ISA_LDW, f.ptr0 + k, M_SCRATCH, 0, 16 + 4 * k, 0);
        if (s->inner[k]) code_addi(c, f.ptr0 + k, f.ptr0 + k, s->inner[k], f.tmp);
    }
    code_op(c, ISA_ADDI, 6, 6, 0, -1, 0);
    code_jump(c, ISA_BNZ, 0, 6, elem, 0);
    if (mode >= 1)
        for (int r = 2; r <= 5; r++) code_op(c, ISA_LDW, r, M_SCRATCH, 0, 4 * (r - 2), 0);
    /* The next row: bump every pointer (the element loop moved them by
     * inner per element; the bump words take them to the next row). */
    kernel_chunk_close(c, row, chunk, done, f.ptr0, nb, 6);
    return true;
}

/* A plain f32 sum of lanes (2 or 4) results at a time (spec->lanes): per
 * row, a hardware loop over its groups of lanes loads the r0 positions'
 * values through the operand pointer (m8, stepping rs0 in m10, then on to
 * the next group by m11), adds them with f32v2add, converts and stores
 * the results. The sum starts from the first position, not from 0: only
 * the sign of a zero sum of zeros can differ from the scalar kernel's. */
static void reduce_lanes(const PlanReduceSpec *s, Code *c) {
    enum { P_OUT = 7, P_IN = 8, LEFT = 6, STEP = 10, NEXT = 11 };
    bool quad = s->lanes == 4;
    int32_t done = code_label(c, NULL), chunk = code_label(c, NULL), row = code_label(c, NULL),
            end = code_label(c, NULL);
    kernel_chunk_frame(c, done, chunk, "result elements per row", P_OUT, 2, -1);
    code_li(c, STEP, s->rs0[1]);
    code_comment(c, "from one position's values to the next");
    code_li(c, NEXT, 4 * s->lanes - s->r0 * s->rs0[1]);
    code_comment(c, "on to the next %d results", s->lanes);
    code_bind(c, row);
    code_op(c, ISA_SHRI, LEFT, 5, 0, quad ? 2 : 1, 0);
    code_comment(c, "groups in the row");
    code_jump(c, ISA_LOOP, 0, LEFT, end, 0);
    IsaOp ld = quad ? ISA_LD128_PR : ISA_LD64_PR;
    code_op(c, ld, 0, P_IN, STEP, 0, 0); /* the sum in a0..a3 */
    for (int64_t j = 1; j < s->r0; j++) {
        code_op(c, ld, 4, P_IN, STEP, 0, 0);
        for (int h = 0; h < s->lanes / 2; h++)
            code_op(c, ISA_F32V2ADD, 2 * h, 2 * h, 4 + 2 * h, 0, 0);
    }
    code_op(c, ISA_ADD, P_IN, P_IN, NEXT, 0, 0);
    if (s->out_dtype == ACC_DTYPE_F32) {
        code_op(c, quad ? ISA_ST128_PI : ISA_ST64_PI, 0, P_OUT, 0, 4 * s->lanes, 0);
    } else {
        IsaOp cvt = s->out_dtype == ACC_DTYPE_F16 ? ISA_F32V2TOF16 : ISA_F32V2TOBF16;
        for (int h = 0; h < s->lanes / 2; h++) code_op(c, cvt, 4 + h, 2 * h, 0, 0, 0);
        code_op(c, quad ? ISA_ST64_PI : ISA_ST32_PI, 4, P_OUT, 0, 2 * s->lanes, 0);
    }
    code_bind(c, end);
    kernel_chunk_close(c, row, chunk, done, P_OUT, 2, LEFT);
}

void kernel_reduce(const Plan *p, const PlanTask *t, Kernel *k) {
    const PlanReduceSpec *s = t->spec;
    if (s->lanes > 1) {
        Code c;
        code_init(&c, k->code.prefix);
        code_context(&c, ASM_WORKER);
        k->entry = code_label(&c, NULL);
        code_bind(&c, k->entry);
        reduce_lanes(s, &c);
        code_free(&k->code);
        k->code = c;
        k->wblock = (uint32_t)(2 + s->nbuf) * 4;
        return;
    }
    for (int mode = 0; mode < 3; mode++) {
        Code c;
        code_init(&c, k->code.prefix);
        code_context(&c, ASM_WORKER);
        k->entry = code_label(&c, NULL);
        code_bind(&c, k->entry);
        if (reduce_try(p, t, s, &c, mode)) {
            code_free(&k->code);
            k->code = c;
            k->wblock = (uint32_t)(2 + s->nbuf) * 4;
            return;
        }
        code_free(&c);
    }
    ice("kernels: the reduction %s needs more registers than a worker has", t->what);
}

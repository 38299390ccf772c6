/*
 * fuse: fusion of kernels (after lower). One walk in program order; for
 * each kernel C:
 *
 *   1. Producers into C. An operand of C that a `fused` kernel P computes
 *      (not a matmul's or convolution's matrix operands) is computed inside
 *      C instead: P's body is inlined into C's, P's operands become C's.
 *      This merges chains of elementwise kernels into one, puts elementwise
 *      prologues into reductions (sum of squares reads x, not x * x), and
 *      brings residual operands into epilogues. P is inlined when C is its
 *      only reader and P has as many elements as C iterates over, or when
 *      P is cheap (a few simple arithmetic ops: recomputing it is cheaper
 *      than a kernel boundary), so an expensive P is never computed twice
 *      or once per broadcast element. P stays, for its other readers, until
 *      dce.
 *   2. C into a matmul or convolution. A `fused` C whose operand is the
 *      result of a fused_matmul or fused_conv M that nothing else reads,
 *      of C's shape, becomes M's epilogue: one kernel that applies C's body
 *      to the accumulator (bias add, activation, residual add, scaling).
 *
 * Kernels stay below MAX_OPERANDS operands and MAX_BODY_OPS body ops. An
 * explicit narrowing cast (a kernel that only casts to f16 or bf16) is
 * never inlined: inside a kernel intermediate values are not rounded to
 * f16/bf16 (docs/ir.md), and a cast asks for exactly that rounding.
 *
 * Results change only as docs/ir.md allows for fused kernels: values that
 * were stored as f16/bf16 between two kernels stay f32 inside one.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    MAX_OPERANDS = 16, /* body inputs of one kernel */
    MAX_BODY_OPS = 96, /* ops of one body */
    CHEAP_OPS = 4,     /* a producer this small (of cheap ops) may be recomputed */
};

static int body_ops(const IrGraph *body) {
    int n = 0;
    ir_for_each_op(body, id) n += body->ops[id].kind != IR_OP_constant;
    return n;
}

static bool cheap_op(IrOpKind k) {
    switch (k) {
    case IR_OP_constant:
    case IR_OP_add:
    case IR_OP_sub:
    case IR_OP_mul:
    case IR_OP_div:
    case IR_OP_neg:
    case IR_OP_abs:
    case IR_OP_relu:
    case IR_OP_max:
    case IR_OP_min:
    case IR_OP_sign:
    case IR_OP_floor:
    case IR_OP_ceil:
    case IR_OP_round:
    case IR_OP_cast:
    case IR_OP_where:
    case IR_OP_equal:
    case IR_OP_less:
    case IR_OP_less_equal:
    case IR_OP_greater:
    case IR_OP_greater_equal:
    case IR_OP_and:
    case IR_OP_or:
    case IR_OP_xor:
    case IR_OP_not:
    case IR_OP_is_nan: return true;
    default: return false;
    }
}

static bool cheap(const IrGraph *body) {
    if (body_ops(body) > CHEAP_OPS) return false;
    ir_for_each_op(body, id) {
        if (!cheap_op(body->ops[id].kind)) return false;
    }
    return true;
}

/* A kernel that only rounds to f16/bf16: its body casts, nothing else. */
static bool narrowing_cast(const IrGraph *g, IrOpId p) {
    AccDtype dt = ir_attr_dtype(g, p, "dtype");
    if (dt != ACC_DTYPE_F16 && dt != ACC_DTYPE_BF16) return false;
    const IrGraph *body = ir_op_body(g, p);
    ir_for_each_op(body, id) {
        if (body->ops[id].kind != IR_OP_cast) return false;
    }
    return true;
}

/* How many elements kernel id computes its body for. */
static int64_t iterations(const IrGraph *g, IrOpId id) {
    const IrOp *op = &g->ops[id];
    if (op->kind != IR_OP_fused_reduce) return ir_type_count(&g->vals[op->out[0]].type);
    IrType shape = g->vals[op->in[0]].type;
    for (int i = 1; i < op->nin; i++) ir_broadcast(&shape, &g->vals[op->in[i]].type, &shape, NULL);
    return ir_type_count(&shape);
}

static void copy_kernel_attrs(IrGraph *g, IrOpId to, IrOpId from) {
    static const char *const names[] = {"kind", "axes", "stride", "pad", "dilation", "groups"};
    for (size_t i = 0; i < ACC_ARRAY_LEN(names); i++)
        if (ir_attr_slot(g->ops[to].kind, names[i]) >= 0)
            ir_set_attr(g, to, names[i], ir_attr(g, from, names[i]));
}

/* P's body inlined at the current builder, its operands made C's. */
static IrRef inline_producer(KernelBuilder *kb, const IrGraph *g, IrOpId p) {
    IrRef args[IR_MAX_OPERANDS];
    const IrOp *op = &g->ops[p];
    for (int j = 0; j < op->nin; j++) args[j] = kb_operand(kb, op->in[j]);
    return kb_inline(kb, ir_op_body(g, p), args);
}

/* ---- 1. Producers into their consumer ----------------------------------------------------- */

static bool fuse_producers(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    IrOpKind kind = g->ops[id].kind;
    const IrGraph *body = ir_op_body(g, id);
    int skip = ir_body_skip(kind), nin = g->ops[id].nin;
    int64_t iters = iterations(g, id);
    bool take[IR_MAX_OPERANDS] = {false}, any = false;
    int ops = body_ops(body), operands = nin - skip;
    for (int i = skip; i < nin; i++) {
        IrRef v = g->ops[id].in[i];
        IrOpId p = g->vals[v].def;
        if (!p || g->ops[p].kind != IR_OP_fused || narrowing_cast(g, p)) continue;
        const IrGraph *pb = ir_op_body(g, p);
        bool whole = ir_type_count(&g->vals[v].type) == iters;
        if (!((rw_uses(rw, v) == 1 && whole) || cheap(pb))) continue;
        int more_ops = body_ops(pb), more_operands = g->ops[p].nin - 1;
        if (ops + more_ops > MAX_BODY_OPS || operands + more_operands > MAX_OPERANDS) continue;
        ops += more_ops;
        operands += more_operands;
        take[i] = any = true;
    }
    if (!any) return false;

    KernelBuilder kb;
    AccDtype acc = skip ? body->vals[body->inputs[0]].type.dtype : ACC_DTYPE_F32;
    kb_init(&kb, g, skip ? 1 : 0, acc);
    IrRef args[IR_MAX_OPERANDS];
    int a = 0;
    if (skip) args[a++] = kb.body->inputs[0];
    for (int i = skip; i < nin; i++) {
        IrRef v = g->ops[id].in[i];
        args[a++] = take[i] ? inline_producer(&kb, g, g->vals[v].def) : kb_operand(&kb, v);
    }
    IrRef r = kb_inline(&kb, body, args);
    IrRef lead[2] = {g->ops[id].in[0], skip ? g->ops[id].in[1] : IR_NONE};
    IrOpId op = kb_make(&kb, kind, lead, r, ir_attr_dtype(g, id, "dtype"), rw->b.loc);
    copy_kernel_attrs(g, op, id);
    rw_replace_op(rw, id, kb_finish_op(g, op));
    return true;
}

/* ---- 2. An elementwise kernel into the matmul or convolution before it ---------------------- */

static bool fuse_epilogue(Rewriter *rw, IrOpId id) {
    IrGraph *g = rw->g;
    if (g->ops[id].kind != IR_OP_fused) return false;
    const IrType *y = &g->vals[g->ops[id].out[0]].type;
    int nin = g->ops[id].nin;
    for (int i = 0; i < nin; i++) {
        IrRef v = g->ops[id].in[i];
        IrOpId m = g->vals[v].def;
        if (!m || (g->ops[m].kind != IR_OP_fused_matmul && g->ops[m].kind != IR_OP_fused_conv))
            continue;
        const IrType *mt = &g->vals[v].type;
        bool same_shape = mt->rank == y->rank;
        for (int d = 0; same_shape && d < y->rank; d++) same_shape = mt->dims[d] == y->dims[d];
        const IrGraph *mb = ir_op_body(g, m), *cb = ir_op_body(g, id);
        if (!same_shape || rw_uses(rw, v) != 1 || (g->ops[m].nin - 2) + (nin - 1) > MAX_OPERANDS ||
            body_ops(mb) + body_ops(cb) > MAX_BODY_OPS)
            continue;
        KernelBuilder kb;
        kb_init(&kb, g, 1, mb->vals[mb->inputs[0]].type.dtype);
        IrRef margs[IR_MAX_OPERANDS], cargs[IR_MAX_OPERANDS];
        margs[0] = kb.body->inputs[0];
        for (int j = 2; j < g->ops[m].nin; j++) margs[j - 1] = kb_operand(&kb, g->ops[m].in[j]);
        IrRef mv = kb_inline(&kb, mb, margs);
        for (int k = 0; k < nin; k++)
            cargs[k] = g->ops[id].in[k] == v ? mv : kb_operand(&kb, g->ops[id].in[k]);
        IrRef r = kb_inline(&kb, cb, cargs);
        IrRef lead[2] = {g->ops[m].in[0], g->ops[m].in[1]};
        IrOpId op = kb_make(&kb, g->ops[m].kind, lead, r, ir_attr_dtype(g, id, "dtype"), rw->b.loc);
        copy_kernel_attrs(g, op, m);
        rw_replace_op(rw, id, kb_finish_op(g, op));
        return true;
    }
    return false;
}

static bool fuse_op(Rewriter *rw, IrOpId id, void *ctx) {
    (void)ctx;
    if (!ir_op_body(rw->g, id)) return false;
    return fuse_producers(rw, id) || fuse_epilogue(rw, id);
}

void pass_fuse(IrGraph *g, PassContext *pc) {
    Rewriter rw;
    rw_init(&rw, g, pc);
    rw_walk(&rw, fuse_op, NULL);
    rw_finish(&rw);
}

/*
 * cse: common subexpression elimination. Ops are visited in program
 * order; each is looked up in a table of the ops seen so far by its kind,
 * operands and attributes, and an equal one takes its place. Constants
 * are equal when their dtype, shape and bytes are (their recipes may
 * differ); bodies when they have the same structure (ir_body_equal).
 *
 * Operands of add, mul, and, or, xor and equal are compared as unordered
 * pairs: those ops give the same result either way round. max and min do
 * not (max(-0, +0) is +0, max(+0, -0) is -0), nor does anything else.
 *
 * The table is only looked up, never iterated, so its order cannot reach
 * the output; a graph is one block, so an earlier equal op dominates.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct Table {
    IrOpId *slots; /* 0: empty */
    uint64_t *hashes;
    size_t cap;
} Table;

static bool symmetric(IrOpKind k) {
    return k == IR_OP_add || k == IR_OP_mul || k == IR_OP_and || k == IR_OP_or || k == IR_OP_xor ||
           k == IR_OP_equal;
}

static uint64_t mix(uint64_t h, uint64_t v) {
    return (h ^ v) * 0x100000001b3ull + (v >> 7);
}

static uint64_t hash_attr(const IrGraph *g, const IrAttr *a) {
    uint64_t h = (uint64_t)a->kind;
    switch (a->kind) {
    case IR_ATTR_INT:
    case IR_ATTR_BOOL: return mix(h, (uint64_t)a->u.i);
    case IR_ATTR_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &a->u.f, sizeof bits);
        return mix(h, bits);
    }
    case IR_ATTR_STR:
        for (const char *s = a->u.s; *s; s++) h = mix(h, (unsigned char)*s);
        return h;
    case IR_ATTR_DTYPE: return mix(h, (uint64_t)a->u.t);
    case IR_ATTR_INTS:
        for (int i = 0; i < a->n; i++) h = mix(h, (uint64_t)a->u.is[i]);
        return h;
    case IR_ATTR_FLOATS:
        for (int i = 0; i < a->n; i++) {
            uint64_t bits;
            memcpy(&bits, &a->u.fs[i], sizeof bits);
            h = mix(h, bits);
        }
        return h;
    case IR_ATTR_TENSOR: return mix(h, g->consts[a->u.tensor].hash);
    case IR_ATTR_BODY: return mix(h, ir_body_hash(g->bodies[a->u.body]));
    default: return h;
    }
}

static uint64_t hash_op(const IrGraph *g, IrOpId id) {
    const IrOp *op = &g->ops[id];
    uint64_t h = mix(0xcbf29ce484222325ull, (uint64_t)op->kind);
    h = mix(h, (uint64_t)op->nin);
    if (symmetric(op->kind) && op->nin == 2) {
        IrRef a = op->in[0], b = op->in[1];
        h = mix(h, (uint64_t)(a < b ? a : b));
        h = mix(h, (uint64_t)(a < b ? b : a));
    } else {
        for (int i = 0; i < op->nin; i++) h = mix(h, (uint64_t)op->in[i]);
    }
    const IrOpInfo *info = ir_op_info(op->kind);
    for (int i = 0; i < info->nattrs; i++) h = mix(h, hash_attr(g, &op->attrs[i]));
    return h;
}

static bool const_equal(const IrConst *x, const IrConst *y) {
    if (!ir_type_equal(&x->type, &y->type) || x->hash != y->hash) return false;
    size_t bytes = (size_t)ir_type_count(&x->type) * dtype_size(x->type.dtype);
    return bytes == 0 || memcmp(x->data, y->data, bytes) == 0;
}

static bool attr_equal(const IrGraph *g, const IrAttr *a, const IrAttr *b) {
    if (a->kind == IR_ATTR_TENSOR && b->kind == IR_ATTR_TENSOR)
        return const_equal(&g->consts[a->u.tensor], &g->consts[b->u.tensor]);
    if (a->kind == IR_ATTR_BODY && b->kind == IR_ATTR_BODY)
        return ir_body_equal(g->bodies[a->u.body], g->bodies[b->u.body]);
    return ir_attr_equal(a, b);
}

static bool op_equal(const IrGraph *g, IrOpId x, IrOpId y) {
    const IrOp *p = &g->ops[x], *q = &g->ops[y];
    if (p->kind != q->kind || p->nin != q->nin || p->nout != q->nout) return false;
    bool same = true;
    for (int i = 0; same && i < p->nin; i++) same = p->in[i] == q->in[i];
    if (!same && symmetric(p->kind) && p->nin == 2)
        same = p->in[0] == q->in[1] && p->in[1] == q->in[0];
    if (!same) return false;
    for (int i = 0; i < p->nout; i++)
        if (!ir_type_equal(&g->vals[p->out[i]].type, &g->vals[q->out[i]].type)) return false;
    const IrOpInfo *info = ir_op_info(p->kind);
    for (int i = 0; i < info->nattrs; i++)
        if (!attr_equal(g, &p->attrs[i], &q->attrs[i])) return false;
    return true;
}

/* The earlier op equal to id, or 0 after entering id. */
static IrOpId find_or_add(Table *t, const IrGraph *g, IrOpId id) {
    uint64_t h = hash_op(g, id);
    size_t i = (size_t)h & (t->cap - 1);
    while (t->slots[i]) {
        if (t->hashes[i] == h && op_equal(g, t->slots[i], id)) return t->slots[i];
        i = (i + 1) & (t->cap - 1);
    }
    t->slots[i] = id;
    t->hashes[i] = h;
    return 0;
}

static bool cse(Rewriter *rw, IrOpId id, void *ctx) {
    IrOpId same = find_or_add(ctx, rw->g, id);
    if (!same) return false;
    for (int i = 0; i < rw->g->ops[id].nout; i++)
        rw_replace(rw, rw->g->ops[id].out[i], rw->g->ops[same].out[i]);
    rw_erase(rw, id);
    return true;
}

void pass_cse(IrGraph *g, PassContext *pc) {
    Table t;
    t.cap = 64;
    while (t.cap < 2 * (size_t)g->nops) t.cap *= 2;
    t.slots = xcalloc(t.cap, sizeof *t.slots);
    t.hashes = xcalloc(t.cap, sizeof *t.hashes);
    Rewriter rw;
    rw_init(&rw, g, pc);
    rw_walk(&rw, cse, &t);
    rw_finish(&rw);
    free(t.slots);
    free(t.hashes);
}

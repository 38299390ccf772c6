/*
 * The verifier: everything a pass may rely on about a graph, checked.
 *
 *   - the program order list is well formed and holds only live ops;
 *   - SSA: every value is defined once (a graph input or one op result), and
 *     every operand and graph output is defined before it is used;
 *   - every op has a valid operand count and operand dtypes, every schema
 *     attribute with the right kind and an allowed value, and result types
 *     equal to what shape inference computes from its operands.
 *
 * Run on every parsed IR file and, in debug builds, between passes.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

typedef struct Verifier {
    IrGraph *g;
    Diag *d;
    IrNames names;
    bool ok;
} Verifier;

static void report(Verifier *v, IrOpId op, const char *fmt, ...) ACC_PRINTF(3, 4);
static void report(Verifier *v, IrOpId op, const char *fmt, ...) {
    StrBuf msg;
    sb_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    sb_puts(&msg, "verifier: ");
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    SrcLoc loc = {0, 0, 0};
    if (op) {
        sb_puts(&msg, " in '");
        ir_print_op(&msg, v->g, &v->names, op, NULL);
        sb_puts(&msg, "'");
        loc = v->g->ops[op].loc;
    }
    if (!v->d) ice("%s", msg.data);
    diag_error(v->d, loc, "%s", msg.data);
    sb_free(&msg);
    v->ok = false;
}

static bool valid_ref(const IrGraph *g, IrRef r) {
    return r > 0 && r < g->nvals;
}

/* The linked list: consistent links, live ops only, no cycle. */
static bool check_order(Verifier *v) {
    IrGraph *g = v->g;
    int32_t count = 0;
    IrOpId prev = IR_NONE;
    for (IrOpId id = g->first; id; id = g->ops[id].next) {
        if (id < 0 || id >= g->nops || ++count > g->nops || g->ops[id].prev != prev ||
            g->ops[id].dead) {
            report(v, IR_NONE, "the op list is corrupt at op %d", id);
            return false;
        }
        prev = id;
    }
    if (g->last != prev) {
        report(v, IR_NONE, "the op list's last op is %d, not %d", g->last, prev);
        return false;
    }
    return true;
}

static void check_op(Verifier *v, IrOpId id, bool *defined) {
    IrGraph *g = v->g;
    IrOp *op = &g->ops[id];
    if ((unsigned)op->kind >= IR_OP_COUNT) {
        report(v, IR_NONE, "op %d has no valid kind (%d)", id, (int)op->kind);
        return;
    }
    bool operands_ok = true;
    for (int i = 0; i < op->nin; i++) {
        if (!valid_ref(g, op->in[i]) || !defined[op->in[i]]) {
            report(v, IR_NONE, "operand %d of op %d (%s) is not defined before it", i, id,
                   ir_op_name(op->kind));
            operands_ok = false;
        }
    }
    for (int i = 0; i < op->nout; i++) {
        IrRef r = op->out[i];
        if (!valid_ref(g, r) || defined[r] || g->vals[r].def != id || g->vals[r].res != i) {
            report(v, IR_NONE, "result %d of op %d (%s) is not a value defined only there", i, id,
                   ir_op_name(op->kind));
            return;
        }
    }
    if (operands_ok) {
        IrInfer c;
        if (op->nout < 1) {
            report(v, id, "op has no results");
        } else if (!ir_op_check(g, id, v->d, &c)) {
            v->ok = false;
        } else if (c.nout != op->nout) {
            report(v, id, "op has %d results, shape inference gives %d", op->nout, c.nout);
        } else {
            for (int i = 0; i < op->nout; i++) {
                const IrType *have = &g->vals[op->out[i]].type;
                if (!ir_type_equal(have, &c.out[i])) {
                    char want[160];
                    snprintf(want, sizeof want, "%s", ir_type_str(&c.out[i]));
                    report(v, id, "result %d is %s, shape inference gives %s", i, ir_type_str(have),
                           want);
                }
            }
        }
    }
    for (int i = 0; i < op->nout; i++) defined[op->out[i]] = true;
    const IrOpInfo *info = ir_op_info(op->kind);
    for (int i = 0; i < info->nattrs; i++) {
        const IrAttr *a = &op->attrs[i];
        if (a->kind != IR_ATTR_BODY || a->u.body < 0 || a->u.body >= g->nbodies) continue;
        if (!ir_verify(g->bodies[a->u.body], v->d)) report(v, id, "its body is malformed");
    }
}

/* ---- The lowered form ------------------------------------------------------------ */

static bool ascending_axes(const int64_t *axes, int n, int rank, bool nonempty) {
    if (nonempty && n == 0) return false;
    for (int i = 0; i < n; i++)
        if (axes[i] < 0 || axes[i] >= rank || (i && axes[i] <= axes[i - 1])) return false;
    return true;
}

/* The canonical attributes of each kernel op (docs/passes.md). */
static void check_canonical(Verifier *v, IrOpId id) {
    IrGraph *g = v->g;
    const IrOp *op = &g->ops[id];
    const IrType *x = op->nin ? &g->vals[op->in[0]].type : NULL;
    const IrType *y = &g->vals[op->out[0]].type;
    int n;
    switch (op->kind) {
    case IR_OP_reshape: {
        const int64_t *shape = ir_attr_ints(g, id, "shape", &n);
        bool ok = n == y->rank && ir_attr_bool(g, id, "allowzero");
        for (int i = 0; ok && i < n; i++) ok = shape[i] == y->dims[i];
        if (!ok)
            report(v, id, "a lowered reshape has shape= its result's dimensions, allowzero=true");
        break;
    }
    case IR_OP_expand:
        if (x->rank != y->rank) report(v, id, "a lowered expand keeps its operand's rank");
        break;
    case IR_OP_slice: {
        const int64_t *axes = ir_attr_ints(g, id, "axes", &n);
        const int64_t *starts = ir_attr_ints(g, id, "starts", &n);
        bool ok = ascending_axes(axes, n, x->rank, false);
        for (int i = 0; ok && i < n; i++)
            ok = starts[i] >= 0 && (starts[i] < x->dims[axes[i]] || y->dims[axes[i]] == 0);
        if (!ok) report(v, id, "a lowered slice lists ascending axes, each with its first index");
        break;
    }
    case IR_OP_pad: {
        const int64_t *pads = ir_attr_ints(g, id, "pads", &n);
        for (int i = 0; i < n; i++)
            if (pads[i] < 0) {
                report(v, id, "a lowered pad has no negative pads");
                break;
            }
        break;
    }
    case IR_OP_concat:
    case IR_OP_gather:
        if (ir_attr_int(g, id, "axis") < 0) report(v, id, "a lowered op has a non-negative axis");
        break;
    case IR_OP_argmax:
    case IR_OP_argmin:
        if (ir_attr_int(g, id, "axis") < 0 || !ir_attr_bool(g, id, "keepdims"))
            report(v, id, "a lowered %s has a non-negative axis and keepdims=true",
                   ir_op_name(op->kind));
        break;
    case IR_OP_fused_reduce: {
        const int64_t *axes = ir_attr_ints(g, id, "axes", &n);
        if (!ascending_axes(axes, n, y->rank, true))
            report(v, id, "a lowered fused_reduce lists its axes, ascending");
        break;
    }
    default: break;
    }
}

static void check_lowered_op(Verifier *v, IrOpId id) {
    IrGraph *g = v->g;
    const IrOp *op = &g->ops[id];
    unsigned flags = ir_op_info(op->kind)->flags;
    if (!(flags & IR_KERNEL) || (flags & IR_EW)) {
        report(v, id, "'%s' is not a kernel op, but the graph is lowered", ir_op_name(op->kind));
        return;
    }
    const IrGraph *body = ir_op_body(g, id);
    if (body) {
        ir_for_each_op(body, b) {
            IrOpKind k = body->ops[b].kind;
            unsigned f = ir_op_info(k)->flags;
            if (k != IR_OP_constant && (f & (IR_KERNEL | IR_EW)) != (IR_KERNEL | IR_EW))
                report(v, id, "its body holds '%s', which is not a scalar primitive",
                       ir_op_name(k));
        }
    }
    check_canonical(v, id);
}

bool ir_verify_lowered(IrGraph *g, Diag *d) {
    if (!ir_verify(g, d)) return false;
    Verifier v = {g, d, {NULL, 0}, true};
    ir_names_init(&v.names, g);
    ir_for_each_op(g, id) check_lowered_op(&v, id);
    ir_names_free(&v.names);
    return v.ok;
}

bool ir_verify(IrGraph *g, Diag *d) {
    Verifier v = {g, d, {NULL, 0}, true};
    if (!check_order(&v)) return false;
    bool *defined = xcalloc((size_t)g->nvals, sizeof *defined);
    /* Names for messages; values not yet checked may be odd, so guard. */
    ir_names_init(&v.names, g);
    for (int i = 0; i < g->ninputs; i++) {
        IrRef r = g->inputs[i];
        if (!valid_ref(g, r) || defined[r] || g->vals[r].def != IR_NONE) {
            report(&v, IR_NONE, "graph input %d is not a value of its own", i);
            continue;
        }
        defined[r] = true;
    }
    ir_for_each_op(g, id) check_op(&v, id, defined);
    for (int i = 0; i < g->noutputs; i++)
        if (!valid_ref(g, g->outputs[i].val) || !defined[g->outputs[i].val])
            report(&v, IR_NONE, "graph output '%s' is not a defined value", g->outputs[i].name);
    if (g->noutputs == 0) report(&v, IR_NONE, "graph '%s' has no outputs", g->name);
    free(defined);
    ir_names_free(&v.names);
    return v.ok;
}

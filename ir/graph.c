/*
 * Graphs: the value, op and constant tables, the builder, attributes, use
 * lists and cloning. The policy (who owns what, what invalidates what) is
 * stated at the top of ir.h.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* ---- Types ------------------------------------------------------------------ */

IrType ir_type(AccDtype dtype, int rank, const int64_t *dims) {
    IrType t;
    memset(&t, 0, sizeof t);
    if (rank < 0 || rank > IR_MAX_RANK) ice("ir_type: rank %d", rank);
    t.dtype = dtype;
    t.rank = rank;
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

int64_t ir_type_count(const IrType *t) {
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0) return -1;
        if (t->dims[i] && n > INT64_MAX / t->dims[i]) return -1;
        n *= t->dims[i];
    }
    return n;
}

bool ir_type_equal(const IrType *a, const IrType *b) {
    if (a->dtype != b->dtype || a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

void ir_type_print(StrBuf *sb, const IrType *t) {
    sb_printf(sb, "%s[", dtype_name(t->dtype));
    for (int i = 0; i < t->rank; i++) sb_printf(sb, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    sb_putc(sb, ']');
}

const char *ir_type_str(const IrType *t) {
    /* A few rotating buffers, so one message can show several types. */
    static char bufs[4][160];
    static int next;
    char *buf = bufs[next++ % 4];
    StrBuf sb;
    sb_init(&sb);
    ir_type_print(&sb, t);
    snprintf(buf, sizeof bufs[0], "%s", sb.data);
    sb_free(&sb);
    return buf;
}

bool ir_broadcast(const IrType *a, const IrType *b, IrType *out, int *bad_dim) {
    int rank = a->rank > b->rank ? a->rank : b->rank;
    IrType r;
    memset(&r, 0, sizeof r);
    r.dtype = a->dtype;
    r.rank = rank;
    for (int i = 0; i < rank; i++) {
        /* Align from the right: dimension i of the result. */
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            if (bad_dim) *bad_dim = i;
            return false;
        }
        r.dims[i] = da == 1 ? db : da;
    }
    *out = r;
    return true;
}

void ir_broadcast_strides(const IrType *in, const IrType *out, int64_t *strides) {
    int64_t own = 1;
    int shift = out->rank - in->rank;
    for (int i = out->rank - 1; i >= 0; i--) {
        int k = i - shift;
        strides[i] = (k < 0 || in->dims[k] == 1) ? 0 : own;
        if (k >= 0) own *= in->dims[k];
    }
}

/* ---- Graphs ------------------------------------------------------------------ */

IrGraph *ir_graph_new(const char *name) {
    IrGraph *g = xcalloc(1, sizeof *g);
    arena_init(&g->arena);
    g->name = arena_strdup(&g->arena, name ? name : "main");
    /* Index 0 of the value and op tables is IR_NONE. */
    XGROW(g->vals, g->capvals, 16);
    memset(&g->vals[0], 0, sizeof g->vals[0]);
    g->nvals = 1;
    XGROW(g->ops, g->capops, 16);
    memset(&g->ops[0], 0, sizeof g->ops[0]);
    g->nops = 1;
    return g;
}

void ir_graph_free(IrGraph *g) {
    if (!g) return;
    for (int32_t i = 0; i < g->nconsts; i++) free(g->consts[i].data);
    free(g->consts);
    free(g->vals);
    free(g->ops);
    free(g->inputs);
    free(g->outputs);
    free(g->uses);
    for (int32_t i = 0; i < g->nbodies; i++) ir_graph_free(g->bodies[i]);
    free(g->bodies);
    arena_free(&g->arena);
    free(g);
}

static IrRef new_value(IrGraph *g, const IrType *type, const char *name, IrOpId def, int res) {
    if (g->nvals == INT32_MAX) ice("too many values");
    XGROW(g->vals, g->capvals, (size_t)g->nvals + 1);
    IrValue *v = &g->vals[g->nvals];
    memset(v, 0, sizeof *v);
    v->type = *type;
    v->name = name ? arena_strdup(&g->arena, name) : NULL;
    v->def = def;
    v->res = res;
    g->uses_valid = false;
    return g->nvals++;
}

IrRef ir_add_input(IrGraph *g, const char *name, const IrType *type) {
    IrRef v = new_value(g, type, name, IR_NONE, g->ninputs);
    XGROW(g->inputs, g->capinputs, (size_t)g->ninputs + 1);
    g->inputs[g->ninputs++] = v;
    return v;
}

void ir_remove_input(IrGraph *g, int index) {
    if (index < 0 || index >= g->ninputs) ice("ir_remove_input: no input %d", index);
    memmove(&g->inputs[index], &g->inputs[index + 1],
            (size_t)(g->ninputs - index - 1) * sizeof *g->inputs);
    g->ninputs--;
    for (int i = index; i < g->ninputs; i++) g->vals[g->inputs[i]].res = i;
    g->uses_valid = false;
}

void ir_add_output(IrGraph *g, const char *name, IrRef v) {
    if (v <= 0 || v >= g->nvals) ice("ir_add_output: bad value %d", v);
    XGROW(g->outputs, g->capoutputs, (size_t)g->noutputs + 1);
    g->outputs[g->noutputs].name = arena_strdup(&g->arena, name);
    g->outputs[g->noutputs].val = v;
    g->noutputs++;
    g->uses_valid = false;
}

void ir_value_set_name(IrGraph *g, IrRef v, const char *name) {
    g->vals[v].name = name ? arena_strdup(&g->arena, name) : NULL;
}

/* ---- Ops --------------------------------------------------------------------- */

void ir_set_insert_point(IrGraph *g, IrOpId before) {
    if (before && (before >= g->nops || g->ops[before].dead)) ice("bad insert point %d", before);
    g->insert_before = before;
}

static void link_op(IrGraph *g, IrOpId id) {
    IrOp *op = &g->ops[id];
    IrOpId next = g->insert_before;
    IrOpId prev = next ? g->ops[next].prev : g->last;
    op->prev = prev;
    op->next = next;
    if (prev)
        g->ops[prev].next = id;
    else
        g->first = id;
    if (next)
        g->ops[next].prev = id;
    else
        g->last = id;
}

static void unlink_op(IrGraph *g, IrOpId id) {
    IrOp *op = &g->ops[id];
    if (op->prev)
        g->ops[op->prev].next = op->next;
    else
        g->first = op->next;
    if (op->next)
        g->ops[op->next].prev = op->prev;
    else
        g->last = op->prev;
    if (g->insert_before == id) g->insert_before = op->next;
    op->prev = op->next = IR_NONE;
}

IrOpId ir_op_create(IrGraph *g, IrOpKind kind, int nin, const IrRef *in, SrcLoc loc) {
    if ((unsigned)kind >= IR_OP_COUNT) ice("ir_op_create: bad kind %d", (int)kind);
    if (nin < 0 || nin > IR_MAX_OPERANDS) ice("ir_op_create: %d operands", nin);
    for (int i = 0; i < nin; i++)
        if (in[i] <= 0 || in[i] >= g->nvals) ice("ir_op_create: bad operand %d", in[i]);
    if (g->nops == INT32_MAX) ice("too many ops");
    XGROW(g->ops, g->capops, (size_t)g->nops + 1);
    IrOpId id = g->nops++;
    IrOp *op = &g->ops[id];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->nin = nin;
    op->in = ARENA_ARRAY(&g->arena, IrRef, nin ? nin : 1);
    if (nin) memcpy(op->in, in, (size_t)nin * sizeof *in);
    int nattrs = ir_op_info(kind)->nattrs;
    op->attrs = ARENA_ARRAY(&g->arena, IrAttr, nattrs ? nattrs : 1);
    op->loc = loc;
    link_op(g, id);
    g->uses_valid = false;
    return id;
}

IrRef ir_op_result(const IrGraph *g, IrOpId op, int i) {
    const IrOp *o = &g->ops[op];
    if (i < 0 || i >= o->nout) ice("ir_op_result: %s has no result %d", ir_op_name(o->kind), i);
    return o->out[i];
}

void ir_op_erase(IrGraph *g, IrOpId id) {
    IrOp *op = &g->ops[id];
    if (op->dead) ice("ir_op_erase: op %d erased twice", id);
    unlink_op(g, id);
    op->dead = true;
    g->uses_valid = false;
}

void ir_op_set_operand(IrGraph *g, IrOpId op, int slot, IrRef v) {
    IrOp *o = &g->ops[op];
    if (slot < 0 || slot >= o->nin || v <= 0 || v >= g->nvals)
        ice("ir_op_set_operand: slot %d, value %d", slot, v);
    o->in[slot] = v;
    g->uses_valid = false;
}

void ir_replace_uses(IrGraph *g, IrRef old, IrRef new_value) {
    if (new_value <= 0 || new_value >= g->nvals) ice("ir_replace_uses: bad value %d", new_value);
    ir_for_each_op(g, id) {
        IrOp *op = &g->ops[id];
        for (int i = 0; i < op->nin; i++)
            if (op->in[i] == old) op->in[i] = new_value;
    }
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i].val == old) g->outputs[i].val = new_value;
    g->uses_valid = false;
}

/* ---- Attributes -------------------------------------------------------------- */

static int slot_of(const IrGraph *g, IrOpId op, const char *name) {
    int slot = ir_attr_slot(g->ops[op].kind, name);
    if (slot < 0) ice("op %s has no attribute '%s'", ir_op_name(g->ops[op].kind), name);
    return slot;
}

const IrAttr *ir_attr(const IrGraph *g, IrOpId op, const char *name) {
    return &g->ops[op].attrs[slot_of(g, op, name)];
}

static const IrAttr *attr_of_kind(const IrGraph *g, IrOpId op, const char *name, IrAttrKind kind) {
    const IrAttr *a = ir_attr(g, op, name);
    if (a->kind != kind)
        ice("attribute '%s' of %s is %s, not %s", name, ir_op_name(g->ops[op].kind),
            ir_attr_kind_name(a->kind), ir_attr_kind_name(kind));
    return a;
}

int64_t ir_attr_int(const IrGraph *g, IrOpId op, const char *name) {
    return attr_of_kind(g, op, name, IR_ATTR_INT)->u.i;
}

double ir_attr_float(const IrGraph *g, IrOpId op, const char *name) {
    return attr_of_kind(g, op, name, IR_ATTR_FLOAT)->u.f;
}

bool ir_attr_bool(const IrGraph *g, IrOpId op, const char *name) {
    return attr_of_kind(g, op, name, IR_ATTR_BOOL)->u.i != 0;
}

const char *ir_attr_str(const IrGraph *g, IrOpId op, const char *name) {
    return attr_of_kind(g, op, name, IR_ATTR_STR)->u.s;
}

AccDtype ir_attr_dtype(const IrGraph *g, IrOpId op, const char *name) {
    return attr_of_kind(g, op, name, IR_ATTR_DTYPE)->u.t;
}

const int64_t *ir_attr_ints(const IrGraph *g, IrOpId op, const char *name, int *n) {
    const IrAttr *a = attr_of_kind(g, op, name, IR_ATTR_INTS);
    *n = a->n;
    return a->u.is;
}

const double *ir_attr_floats(const IrGraph *g, IrOpId op, const char *name, int *n) {
    const IrAttr *a = attr_of_kind(g, op, name, IR_ATTR_FLOATS);
    *n = a->n;
    return a->u.fs;
}

/* Copy value into the graph's arena. */
static IrAttr copy_attr(IrGraph *g, const IrAttr *value) {
    IrAttr a = *value;
    if (a.kind == IR_ATTR_STR) a.u.s = arena_strdup(&g->arena, value->u.s);
    if (a.kind == IR_ATTR_INTS) {
        a.u.is = ARENA_ARRAY(&g->arena, int64_t, a.n ? a.n : 1);
        if (a.n) memcpy(a.u.is, value->u.is, (size_t)a.n * sizeof(int64_t));
    }
    if (a.kind == IR_ATTR_FLOATS) {
        a.u.fs = ARENA_ARRAY(&g->arena, double, a.n ? a.n : 1);
        if (a.n) memcpy(a.u.fs, value->u.fs, (size_t)a.n * sizeof(double));
    }
    return a;
}

void ir_set_attr(IrGraph *g, IrOpId op, const char *name, const IrAttr *value) {
    int slot = slot_of(g, op, name);
    IrAttrKind want = ir_op_info(g->ops[op].kind)->attrs[slot].kind;
    if (value->kind != want)
        ice("attribute '%s' of %s wants %s, got %s", name, ir_op_name(g->ops[op].kind),
            ir_attr_kind_name(want), ir_attr_kind_name(value->kind));
    if (value->kind == IR_ATTR_TENSOR && (value->u.tensor < 0 || value->u.tensor >= g->nconsts))
        ice("attribute '%s': no constant %d", name, value->u.tensor);
    if (value->kind == IR_ATTR_BODY && (value->u.body < 0 || value->u.body >= g->nbodies))
        ice("attribute '%s': no body %d", name, value->u.body);
    g->ops[op].attrs[slot] = copy_attr(g, value);
}

#define SET_ATTR(fn, type, kind_, field)                                                           \
    void fn(IrGraph *g, IrOpId op, const char *name, type v) {                                     \
        IrAttr a;                                                                                  \
        memset(&a, 0, sizeof a);                                                                   \
        a.kind = kind_;                                                                            \
        a.u.field = v;                                                                             \
        ir_set_attr(g, op, name, &a);                                                              \
    }
SET_ATTR(ir_set_attr_int, int64_t, IR_ATTR_INT, i)
SET_ATTR(ir_set_attr_float, double, IR_ATTR_FLOAT, f)
SET_ATTR(ir_set_attr_str, const char *, IR_ATTR_STR, s)
SET_ATTR(ir_set_attr_dtype, AccDtype, IR_ATTR_DTYPE, t)
#undef SET_ATTR

void ir_set_attr_bool(IrGraph *g, IrOpId op, const char *name, bool v) {
    IrAttr a;
    memset(&a, 0, sizeof a);
    a.kind = IR_ATTR_BOOL;
    a.u.i = v;
    ir_set_attr(g, op, name, &a);
}

void ir_set_attr_ints(IrGraph *g, IrOpId op, const char *name, int n, const int64_t *v) {
    IrAttr a;
    memset(&a, 0, sizeof a);
    a.kind = IR_ATTR_INTS;
    a.n = n;
    a.u.is = (int64_t *)v;
    ir_set_attr(g, op, name, &a);
}

void ir_set_attr_body(IrGraph *g, IrOpId op, const char *name, IrGraph *body) {
    IrAttr a;
    memset(&a, 0, sizeof a);
    a.kind = IR_ATTR_BODY;
    a.u.body = ir_body_add(g, body);
    ir_set_attr(g, op, name, &a);
}

void ir_set_attr_floats(IrGraph *g, IrOpId op, const char *name, int n, const double *v) {
    IrAttr a;
    memset(&a, 0, sizeof a);
    a.kind = IR_ATTR_FLOATS;
    a.n = n;
    a.u.fs = (double *)v;
    ir_set_attr(g, op, name, &a);
}

bool ir_attr_equal(const IrAttr *a, const IrAttr *b) {
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case IR_ATTR_NONE: return true;
    case IR_ATTR_INT:
    case IR_ATTR_BOOL: return a->u.i == b->u.i;
    /* Bitwise, so NaN equals NaN and -0.0 differs from 0.0. */
    case IR_ATTR_FLOAT: return memcmp(&a->u.f, &b->u.f, sizeof(double)) == 0;
    case IR_ATTR_STR: return strcmp(a->u.s, b->u.s) == 0;
    case IR_ATTR_DTYPE: return a->u.t == b->u.t;
    case IR_ATTR_INTS:
        return a->n == b->n && (a->n == 0 || memcmp(a->u.is, b->u.is, (size_t)a->n * 8) == 0);
    case IR_ATTR_FLOATS:
        return a->n == b->n && (a->n == 0 || memcmp(a->u.fs, b->u.fs, (size_t)a->n * 8) == 0);
    case IR_ATTR_TENSOR: return a->u.tensor == b->u.tensor;
    case IR_ATTR_BODY: return a->u.body == b->u.body;
    case IR_ATTR_KIND_COUNT: break;
    }
    ice("ir_attr_equal: bad kind %d", (int)a->kind);
}

/* ---- Finishing an op: check, default, infer, create results ----------------- */

static bool fail(Diag *d, SrcLoc loc, const char *fmt, ...) ACC_PRINTF(3, 4);
static bool fail(Diag *d, SrcLoc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (!d) {
        StrBuf sb;
        sb_init(&sb);
        sb_vprintf(&sb, fmt, ap);
        ice("building IR: %s", sb.data);
    }
    diag_vreport(d, DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
    return false;
}

static bool check_operands(IrGraph *g, IrOpId id, Diag *d) {
    IrOp *op = &g->ops[id];
    const IrOpInfo *info = ir_op_info(op->kind);
    if (op->nin < info->nin_min || (info->nin_max >= 0 && op->nin > info->nin_max)) {
        if (info->nin_min == info->nin_max)
            return fail(d, op->loc, "'%s' takes %d operand%s (%s), got %d", info->name,
                        info->nin_min, info->nin_min == 1 ? "" : "s", info->operands_text, op->nin);
        if (info->nin_max < 0)
            return fail(d, op->loc, "'%s' takes at least %d operand%s, got %d", info->name,
                        info->nin_min, info->nin_min == 1 ? "" : "s", op->nin);
        return fail(d, op->loc, "'%s' takes %d to %d operands (%s), got %d", info->name,
                    info->nin_min, info->nin_max, info->operands_text, op->nin);
    }
    if (op->nin > 0) {
        const IrType *t = &g->vals[op->in[0]].type;
        if (!ir_dtype_in(t->dtype, info->types))
            return fail(d, op->loc, "'%s' does not take %s operands (it takes %s)", info->name,
                        dtype_name(t->dtype), ir_types_text(info->types));
    }
    return true;
}

/* Required attributes present, choices respected, plain defaults filled
 * (only checked when check_only: a finished op has them all). */
static bool check_attrs(IrGraph *g, IrOpId id, Diag *d, bool check_only) {
    IrOp *op = &g->ops[id];
    const IrOpInfo *info = ir_op_info(op->kind);
    bool ok = true;
    for (int i = 0; i < info->nattrs; i++) {
        const IrAttrSchema *s = &info->attrs[i];
        IrAttr *a = &op->attrs[i];
        if (a->kind == IR_ATTR_NONE) {
            if (s->presence == IR_ATTR_REQUIRED || check_only)
                ok = fail(d, op->loc, "'%s' needs attribute '%s' (%s)", info->name, s->name,
                          ir_attr_kind_name(s->kind));
            else if (s->presence == IR_ATTR_DEFAULT)
                *a = copy_attr(g, &s->def);
            continue;
        }
        if (a->kind != s->kind) {
            ok = fail(d, op->loc, "attribute '%s' of '%s' is %s, not %s", s->name, info->name,
                      ir_attr_kind_name(a->kind), ir_attr_kind_name(s->kind));
            continue;
        }
        if (a->kind == IR_ATTR_TENSOR && (a->u.tensor < 0 || a->u.tensor >= g->nconsts)) {
            ok = fail(d, op->loc, "attribute '%s' of '%s' names no constant", s->name, info->name);
            continue;
        }
        if (a->kind == IR_ATTR_BODY && (a->u.body < 0 || a->u.body >= g->nbodies)) {
            ok = fail(d, op->loc, "attribute '%s' of '%s' names no body", s->name, info->name);
            continue;
        }
        if (s->choices) {
            bool found = false;
            for (const char *const *c = s->choices; *c; c++) found |= strcmp(*c, a->u.s) == 0;
            if (!found) {
                StrBuf sb;
                sb_init(&sb);
                for (const char *const *c = s->choices; *c; c++)
                    sb_printf(&sb, "%s\"%s\"", c == s->choices ? "" : ", ", *c);
                ok = fail(d, op->loc, "attribute '%s' of '%s' must be one of %s, not \"%s\"",
                          s->name, info->name, sb.data, a->u.s);
                sb_free(&sb);
            }
        }
    }
    return ok;
}

/* A tensor bigger than this many elements is surely a mistake. */
#define IR_MAX_ELEMENTS ((int64_t)1 << 40)

static bool run_infer(IrGraph *g, IrOpId id, Diag *d, IrInfer *c) {
    IrOp *op = &g->ops[id];
    bool check_only = c->check_only;
    memset(c, 0, sizeof *c);
    c->check_only = check_only;
    c->g = g;
    c->op = id;
    c->kind = op->kind;
    c->diag = d;
    c->loc = op->loc;
    c->nin = op->nin;
    for (int i = 0; i < op->nin; i++) c->in[i] = &g->vals[op->in[i]].type;
    c->nout = ir_op_info(op->kind)->nout;
    if (!ir_op_info(op->kind)->infer(c) || c->failed) return false;
    for (int i = 0; i < c->nout; i++) {
        int64_t n = ir_type_count(&c->out[i]);
        if (n < 0 || n > IR_MAX_ELEMENTS) {
            ir_infer_error(c, "'%s' would make a tensor of more than 2^40 elements",
                           ir_op_name(op->kind));
            return false;
        }
    }
    return true;
}

bool ir_op_finish(IrGraph *g, IrOpId id, Diag *d) {
    IrOp *op = &g->ops[id];
    if (op->dead || op->nout) ice("ir_op_finish: op %d already finished or erased", id);
    IrInfer c;
    c.check_only = false;
    if (!check_operands(g, id, d) || !check_attrs(g, id, d, false) || !run_infer(g, id, d, &c)) {
        ir_op_erase(g, id);
        return false;
    }
    if (c.nout < 1 || c.nout > IR_MAX_RESULTS)
        ice("%s inferred %d results", ir_op_name(op->kind), c.nout);
    IrRef *out = ARENA_ARRAY(&g->arena, IrRef, c.nout);
    for (int i = 0; i < c.nout; i++) out[i] = new_value(g, &c.out[i], NULL, id, i);
    op = &g->ops[id]; /* new_value may have moved nothing here, but be plain */
    op->out = out;
    op->nout = c.nout;
    return true;
}

bool ir_op_check(IrGraph *g, IrOpId id, Diag *d, IrInfer *c) {
    c->check_only = true;
    return check_operands(g, id, d) && check_attrs(g, id, d, true) && run_infer(g, id, d, c);
}

IrRef ir_build(IrGraph *g, IrOpKind kind, int nin, const IrRef *in, Diag *d, SrcLoc loc) {
    IrOpId op = ir_op_create(g, kind, nin, in, loc);
    if (!ir_op_finish(g, op, d)) return IR_NONE;
    return ir_op_result(g, op, 0);
}

IrRef ir_build1(IrGraph *g, IrOpKind kind, IrRef a) {
    SrcLoc none = {0, 0, 0};
    return ir_build(g, kind, 1, &a, NULL, none);
}

IrRef ir_build2(IrGraph *g, IrOpKind kind, IrRef a, IrRef b) {
    SrcLoc none = {0, 0, 0};
    IrRef in[2] = {a, b};
    return ir_build(g, kind, 2, in, NULL, none);
}

/* ---- Constants --------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    /* Eight bytes a step (FNV-1a over words): weights run to hundreds of MB. */
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= w;
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int32_t ir_const_add(IrGraph *g, const IrType *type, const void *data) {
    int64_t count = ir_type_count(type);
    if (count < 0 || count > IR_MAX_ELEMENTS) ice("ir_const_add: bad shape %s", ir_type_str(type));
    size_t bytes = (size_t)count * dtype_size(type->dtype);
    XGROW(g->consts, g->capconsts, (size_t)g->nconsts + 1);
    IrConst *c = &g->consts[g->nconsts];
    memset(c, 0, sizeof *c);
    c->type = *type;
    c->data = xmalloc(bytes);
    if (bytes) memcpy(c->data, data, bytes);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, &type->dtype, sizeof type->dtype);
    h = fnv1a(h, &type->rank, sizeof type->rank);
    h = fnv1a(h, type->dims, (size_t)type->rank * sizeof(int64_t));
    c->hash = fnv1a(h, c->data, bytes);
    c->origin = IR_CONST_DATA;
    return g->nconsts++;
}

IrRef ir_constant_from(IrGraph *g, int32_t index, SrcLoc loc) {
    IrOpId op = ir_op_create(g, IR_OP_constant, 0, NULL, loc);
    IrAttr a;
    memset(&a, 0, sizeof a);
    a.kind = IR_ATTR_TENSOR;
    a.u.tensor = index;
    ir_set_attr(g, op, "value", &a);
    if (!ir_op_finish(g, op, NULL)) ice("constant op failed");
    return ir_op_result(g, op, 0);
}

IrRef ir_constant(IrGraph *g, const IrType *type, const void *data, SrcLoc loc) {
    return ir_constant_from(g, ir_const_add(g, type, data), loc);
}

IrRef ir_constant_scalar(IrGraph *g, AccDtype dtype, double v, SrcLoc loc) {
    unsigned char buf[8];
    dtype_set(dtype, buf, 0, v);
    IrType t = ir_type(dtype, 0, NULL);
    return ir_constant(g, &t, buf, loc);
}

const IrConst *ir_value_const(const IrGraph *g, IrRef v) {
    IrOpId def = g->vals[v].def;
    if (!def || g->ops[def].kind != IR_OP_constant) return NULL;
    return &g->consts[g->ops[def].attrs[0].u.tensor];
}

bool ir_const_splat(const IrConst *c, double *v) {
    int64_t n = ir_type_count(&c->type);
    size_t size = dtype_size(c->type.dtype);
    if (n <= 0) return false;
    const unsigned char *p = c->data;
    for (int64_t i = 1; i < n; i++)
        if (memcmp(p, p + (size_t)i * size, size) != 0) return false;
    *v = dtype_get(c->type.dtype, c->data, 0);
    return true;
}

/* ---- Use lists ------------------------------------------------------------- */

void ir_build_uses(IrGraph *g) {
    for (int32_t v = 0; v < g->nvals; v++) g->vals[v].nuses = 0;
    size_t total = 0;
    ir_for_each_op(g, id) {
        for (int i = 0; i < g->ops[id].nin; i++) g->vals[g->ops[id].in[i]].nuses++;
        total += (size_t)g->ops[id].nin;
    }
    for (int i = 0; i < g->noutputs; i++) g->vals[g->outputs[i].val].nuses++;
    total += (size_t)g->noutputs;
    XGROW(g->uses, g->capuses, total + 1);
    int32_t next = 0;
    for (int32_t v = 0; v < g->nvals; v++) {
        g->vals[v].first_use = next;
        next += g->vals[v].nuses;
        g->vals[v].nuses = 0;
    }
    /* Fill in program order, so each list is sorted by position. */
    ir_for_each_op(g, id) {
        for (int i = 0; i < g->ops[id].nin; i++) {
            IrValue *v = &g->vals[g->ops[id].in[i]];
            g->uses[v->first_use + v->nuses++] = (IrUse){id, i};
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        IrValue *v = &g->vals[g->outputs[i].val];
        g->uses[v->first_use + v->nuses++] = (IrUse){IR_NONE, i};
    }
    g->nuses = total;
    g->uses_valid = true;
}

const IrUse *ir_uses(const IrGraph *g, IrRef v, int *n) {
    if (!g->uses_valid) ice("ir_uses: use lists are stale; call ir_build_uses first");
    *n = g->vals[v].nuses;
    return &g->uses[g->vals[v].first_use];
}

/* ---- Copying ops and cloning --------------------------------------------------- */

/* A copy of constant k of src in dst, recipe included. */
static int32_t copy_const(IrGraph *dst, const IrGraph *src, int32_t k) {
    const IrConst *from = &src->consts[k];
    int32_t index = ir_const_add(dst, &from->type, from->data);
    IrConst *to = &dst->consts[index];
    to->origin = from->origin;
    to->path = from->path ? arena_strdup(&dst->arena, from->path) : NULL;
    to->seed = from->seed;
    to->a = from->a;
    to->b = from->b;
    return index;
}

/* Copy the attributes of src's op onto dst's op nid. Tensors and bodies are
 * copied into dst, through the maps when given (-1: not copied yet). */
static void copy_attrs(IrGraph *dst, IrOpId nid, const IrGraph *src, IrOpId id, int32_t *const_map,
                       int32_t *body_map) {
    const IrOp *op = &src->ops[id];
    const IrOpInfo *info = ir_op_info(op->kind);
    for (int i = 0; i < info->nattrs; i++) {
        IrAttr a = op->attrs[i];
        if (a.kind == IR_ATTR_TENSOR) {
            int32_t k = a.u.tensor;
            if (!const_map)
                a.u.tensor = copy_const(dst, src, k);
            else {
                if (const_map[k] < 0) const_map[k] = copy_const(dst, src, k);
                a.u.tensor = const_map[k];
            }
        }
        if (a.kind == IR_ATTR_BODY) {
            int32_t k = a.u.body;
            if (!body_map)
                a.u.body = ir_body_add(dst, ir_graph_clone(src->bodies[k]));
            else {
                if (body_map[k] < 0) body_map[k] = ir_body_add(dst, ir_graph_clone(src->bodies[k]));
                a.u.body = body_map[k];
            }
        }
        if (a.kind != IR_ATTR_NONE) dst->ops[nid].attrs[i] = copy_attr(dst, &a);
    }
}

IrOpId ir_op_copy(IrGraph *dst, const IrGraph *src, IrOpId id, const IrRef *in, SrcLoc loc) {
    const IrOp *op = &src->ops[id];
    IrOpKind kind = op->kind;
    int nin = op->nin;
    IrOpId nid = ir_op_create(dst, kind, nin, in, loc);
    if (dst == src) {
        /* Same graph: tensors and bodies are shared (both are immutable). */
        const IrOpInfo *info = ir_op_info(kind);
        for (int i = 0; i < info->nattrs; i++) {
            IrAttr a = dst->ops[id].attrs[i];
            if (a.kind != IR_ATTR_NONE) dst->ops[nid].attrs[i] = copy_attr(dst, &a);
        }
    } else {
        copy_attrs(dst, nid, src, id, NULL, NULL);
    }
    if (!ir_op_finish(dst, nid, NULL)) ice("ir_op_copy: %s failed", ir_op_name(kind));
    return nid;
}

IrGraph *ir_graph_clone(const IrGraph *g) {
    IrGraph *c = ir_graph_new(g->name);
    IrRef *map = xcalloc((size_t)g->nvals, sizeof *map);
    int32_t *const_map = xmalloc((size_t)(g->nconsts ? g->nconsts : 1) * sizeof *const_map);
    int32_t *body_map = xmalloc((size_t)(g->nbodies ? g->nbodies : 1) * sizeof *body_map);
    for (int32_t i = 0; i < g->nconsts; i++) const_map[i] = -1;
    for (int32_t i = 0; i < g->nbodies; i++) body_map[i] = -1;
    for (int i = 0; i < g->ninputs; i++) {
        const IrValue *v = &g->vals[g->inputs[i]];
        map[g->inputs[i]] = ir_add_input(c, v->name, &v->type);
    }
    IrRef in[IR_MAX_OPERANDS];
    ir_for_each_op(g, id) {
        const IrOp *op = &g->ops[id];
        for (int i = 0; i < op->nin; i++) in[i] = map[op->in[i]];
        IrOpId nid = ir_op_create(c, op->kind, op->nin, in, op->loc);
        copy_attrs(c, nid, g, id, const_map, body_map);
        IrRef *out = ARENA_ARRAY(&c->arena, IrRef, op->nout ? op->nout : 1);
        for (int i = 0; i < op->nout; i++) {
            const IrValue *v = &g->vals[op->out[i]];
            out[i] = map[op->out[i]] = new_value(c, &v->type, v->name, nid, i);
        }
        c->ops[nid].out = out;
        c->ops[nid].nout = op->nout;
    }
    for (int i = 0; i < g->noutputs; i++)
        ir_add_output(c, g->outputs[i].name, map[g->outputs[i].val]);
    free(map);
    free(const_map);
    free(body_map);
    return c;
}

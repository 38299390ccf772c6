/*
 * Bodies: the scalar expressions that fused kernels (fused, fused_matmul,
 * fused_conv, fused_reduce) carry, docs/ir.md "Fused kernels".
 *
 * A body is an IrGraph of rank-0 values: one input per element the kernel
 * reads (the accumulator, then one per extra operand, or one per operand),
 * elementwise ops and rank-0 constants, and one output, the element the
 * kernel computes. Its values never have dtype f16 or bf16 (those compute
 * in f32 inside a kernel), and the kernel rounds its result once, when it
 * stores it in the op's dtype. Bodies are owned by the graph of the op
 * (g->bodies) and never change once attached.
 *
 * Here: building and comparing bodies, the shape inference of fused,
 * fused_matmul and fused_reduce (fused_conv's is with the convolutions in
 * infer.c), and ir_unfuse, which writes a fused op back as plain ops.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* ---- Dtypes ------------------------------------------------------------------------ */

AccDtype ir_compute_dtype(AccDtype t) {
    return t == ACC_DTYPE_F16 || t == ACC_DTYPE_BF16 ? ACC_DTYPE_F32 : t;
}

AccDtype ir_acc_dtype(AccDtype a, AccDtype b) {
    if (dtype_flags(a) & DT_FLOAT) return ACC_DTYPE_F32;
    bool small_a = a == ACC_DTYPE_I8 || a == ACC_DTYPE_U8;
    bool small_b = b == ACC_DTYPE_I8 || b == ACC_DTYPE_U8;
    if (small_a && small_b) return ACC_DTYPE_I32;
    return a;
}

/* ---- Building ---------------------------------------------------------------------- */

IrGraph *ir_body_new(int n, const AccDtype *dtypes, const char *const *names) {
    IrGraph *body = ir_graph_new("body");
    for (int i = 0; i < n; i++) {
        IrType t = ir_type(dtypes[i], 0, NULL);
        ir_add_input(body, names ? names[i] : NULL, &t);
    }
    return body;
}

void ir_body_finish(IrGraph *body, IrRef result) {
    if (body->noutputs) ice("ir_body_finish: the body already has its result");
    ir_add_output(body, "y", result);
}

int32_t ir_body_add(IrGraph *g, IrGraph *body) {
    if (!body || body == g) ice("ir_body_add: bad body");
    XGROW(g->bodies, g->capbodies, (size_t)g->nbodies + 1);
    g->bodies[g->nbodies] = body;
    return g->nbodies++;
}

const IrGraph *ir_op_body(const IrGraph *g, IrOpId op) {
    int slot = ir_attr_slot(g->ops[op].kind, "body");
    if (slot < 0) return NULL;
    const IrAttr *a = &g->ops[op].attrs[slot];
    if (a->kind != IR_ATTR_BODY) return NULL;
    return g->bodies[a->u.body];
}

IrRef ir_body_result(const IrGraph *body) {
    if (body->noutputs != 1) ice("a body has %d results", body->noutputs);
    return body->outputs[0].val;
}

int ir_body_skip(IrOpKind kind) {
    return kind == IR_OP_fused_matmul || kind == IR_OP_fused_conv ? 2 : 0;
}

int ir_body_operand(IrOpKind kind, int input) {
    if (ir_body_skip(kind) == 0) return input;
    return input == 0 ? -1 : input + 1;
}

bool ir_graph_has_bodies(const IrGraph *g) {
    ir_for_each_op(g, id) {
        if (ir_op_body(g, id)) return true;
    }
    return false;
}

/* ---- Comparing ---------------------------------------------------------------------- */

/* Each value's position: inputs 0.., then results in program order. */
static int32_t *ordinals(const IrGraph *b) {
    int32_t *ord = xmalloc((size_t)b->nvals * sizeof *ord);
    for (int32_t v = 0; v < b->nvals; v++) ord[v] = -1;
    int32_t n = 0;
    for (int i = 0; i < b->ninputs; i++) ord[b->inputs[i]] = n++;
    ir_for_each_op(b, id) {
        for (int i = 0; i < b->ops[id].nout; i++) ord[b->ops[id].out[i]] = n++;
    }
    return ord;
}

static bool const_equal(const IrConst *x, const IrConst *y) {
    if (!ir_type_equal(&x->type, &y->type)) return false;
    size_t bytes = (size_t)ir_type_count(&x->type) * dtype_size(x->type.dtype);
    return bytes == 0 || memcmp(x->data, y->data, bytes) == 0;
}

bool ir_body_equal(const IrGraph *a, const IrGraph *b) {
    if (a == b) return true;
    if (a->ninputs != b->ninputs || a->noutputs != b->noutputs) return false;
    for (int i = 0; i < a->ninputs; i++)
        if (!ir_type_equal(&a->vals[a->inputs[i]].type, &b->vals[b->inputs[i]].type)) return false;
    int32_t *oa = ordinals(a), *ob = ordinals(b);
    bool same = true;
    IrOpId x = a->first, y = b->first;
    for (; same && x && y; x = a->ops[x].next, y = b->ops[y].next) {
        const IrOp *p = &a->ops[x], *q = &b->ops[y];
        same = p->kind == q->kind && p->nin == q->nin && p->nout == q->nout;
        for (int i = 0; same && i < p->nin; i++) same = oa[p->in[i]] == ob[q->in[i]];
        for (int i = 0; same && i < p->nout; i++)
            same = ir_type_equal(&a->vals[p->out[i]].type, &b->vals[q->out[i]].type);
        const IrOpInfo *info = ir_op_info(p->kind);
        for (int i = 0; same && i < info->nattrs; i++) {
            const IrAttr *s = &p->attrs[i], *t = &q->attrs[i];
            if (s->kind == IR_ATTR_TENSOR && t->kind == IR_ATTR_TENSOR)
                same = const_equal(&a->consts[s->u.tensor], &b->consts[t->u.tensor]);
            else if (s->kind == IR_ATTR_BODY && t->kind == IR_ATTR_BODY)
                same = ir_body_equal(a->bodies[s->u.body], b->bodies[t->u.body]);
            else
                same = ir_attr_equal(s, t);
        }
    }
    same = same && !x && !y;
    for (int i = 0; same && i < a->noutputs; i++)
        same = oa[a->outputs[i].val] == ob[b->outputs[i].val];
    free(oa);
    free(ob);
    return same;
}

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

uint64_t ir_body_hash(const IrGraph *b) {
    int32_t *ord = ordinals(b);
    uint64_t h = mix(0, (uint64_t)b->ninputs);
    for (int i = 0; i < b->ninputs; i++) h = mix(h, (uint64_t)b->vals[b->inputs[i]].type.dtype);
    ir_for_each_op(b, id) {
        const IrOp *op = &b->ops[id];
        h = mix(h, (uint64_t)op->kind);
        for (int i = 0; i < op->nin; i++) h = mix(h, (uint64_t)ord[op->in[i]]);
        if (op->kind == IR_OP_constant) h = mix(h, b->consts[op->attrs[0].u.tensor].hash);
    }
    for (int i = 0; i < b->noutputs; i++) h = mix(h, (uint64_t)ord[b->outputs[i].val]);
    free(ord);
    return h;
}

/* ---- Shape inference ---------------------------------------------------------------- */

#define NAME(c) ir_op_name((c)->kind)

/* Ops a body may hold: elementwise ops whose operands all broadcast
 * alike. clip (scalar bounds), prelu (slope shaped like x) and the
 * quantisation ops (per-axis parameters) are written out in other ops. */
static bool body_op_allowed(IrOpKind kind) {
    if (kind == IR_OP_constant) return true;
    if (!(ir_op_info(kind)->flags & IR_EW)) return false;
    return kind != IR_OP_clip && kind != IR_OP_prelu && kind != IR_OP_quantize_linear &&
           kind != IR_OP_dequantize_linear;
}

static bool scalar_ok(IrInfer *c, const IrType *t, const char *what) {
    AccDtype dt = t->dtype;
    if (t->rank == 0 && dt != ACC_DTYPE_F16 && dt != ACC_DTYPE_BF16) return true;
    ir_infer_error(c, "'%s' body: %s is %s; body values are scalars (rank 0), never f16 or bf16",
                   NAME(c), what, ir_type_str(t));
    return false;
}

bool ir_infer_body(IrInfer *c, const AccDtype *inputs, int n, AccDtype *result) {
    const IrGraph *b = c->g->bodies[ir_attr(c->g, c->op, "body")->u.body];
    if (b->ninputs != n) {
        ir_infer_error(c, "'%s' body takes %d input%s, but the op gives it %d", NAME(c), b->ninputs,
                       b->ninputs == 1 ? "" : "s", n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const IrType *t = &b->vals[b->inputs[i]].type;
        if (!scalar_ok(c, t, "an input")) return false;
        if (t->dtype != inputs[i]) {
            ir_infer_error(c, "'%s' body input %d is %s, but its operand gives %s[]", NAME(c), i,
                           ir_type_str(t), dtype_name(inputs[i]));
            return false;
        }
    }
    if (b->noutputs != 1) {
        ir_infer_error(c, "'%s' body has %d results, not 1", NAME(c), b->noutputs);
        return false;
    }
    ir_for_each_op(b, id) {
        IrOpKind k = b->ops[id].kind;
        if (!body_op_allowed(k)) {
            ir_infer_error(c, "'%s' body holds '%s'; a body holds elementwise ops and constants",
                           NAME(c), ir_op_name(k));
            return false;
        }
        for (int i = 0; i < b->ops[id].nout; i++)
            if (!scalar_ok(c, &b->vals[b->ops[id].out[i]].type, "a value")) return false;
    }
    const IrType *rt = &b->vals[ir_body_result(b)].type;
    if (!scalar_ok(c, rt, "the result")) return false;
    *result = rt->dtype;
    const IrAttr *dt = ir_attr(c->g, c->op, "dtype");
    if (dt->kind == IR_ATTR_NONE) {
        if (c->check_only) ice("verifier: attribute 'dtype' absent");
        ir_set_attr_dtype(c->g, c->op, "dtype", *result);
        dt = ir_attr(c->g, c->op, "dtype");
    }
    if (!(dtype_flags(dt->u.t) & DT_IR) || ir_compute_dtype(dt->u.t) != *result) {
        ir_infer_error(c, "'%s' dtype=%s does not match its body's result %s[]", NAME(c),
                       dtype_name(dt->u.t), dtype_name(*result));
        return false;
    }
    if (c->kind == IR_OP_fused_reduce && *result == ACC_DTYPE_BOOL) {
        ir_infer_error(c, "'fused_reduce' cannot reduce bool values");
        return false;
    }
    return true;
}

/* The common shape of operands first.., or false (reported). */
static bool broadcast_all(IrInfer *c, int first, IrType *shape) {
    *shape = *c->in[first];
    for (int i = first + 1; i < c->nin; i++) {
        int bad;
        IrType r;
        if (!ir_broadcast(shape, c->in[i], &r, &bad)) {
            ir_infer_error(c, "'%s' operand %d %s does not broadcast with %s", NAME(c), i + 1,
                           ir_type_str(c->in[i]), ir_type_str(shape));
            return false;
        }
        *shape = r;
    }
    return true;
}

/* Operands from first on broadcast to shape exactly. */
static bool broadcast_to(IrInfer *c, int first, const IrType *shape) {
    for (int i = first; i < c->nin; i++) {
        int bad;
        IrType r;
        bool ok = ir_broadcast(c->in[i], shape, &r, &bad) && r.rank == shape->rank;
        for (int d = 0; ok && d < r.rank; d++) ok = r.dims[d] == shape->dims[d];
        if (!ok) {
            ir_infer_error(c, "'%s' operand %d %s does not broadcast to the result %s", NAME(c),
                           i + 1, ir_type_str(c->in[i]), ir_type_str(shape));
            return false;
        }
    }
    return true;
}

static const IrAttr *dtype_attr(IrInfer *c) {
    return ir_attr(c->g, c->op, "dtype");
}

bool ir_infer_fused(IrInfer *c) {
    IrType shape;
    if (!broadcast_all(c, 0, &shape)) return false;
    AccDtype in[IR_MAX_OPERANDS];
    for (int i = 0; i < c->nin; i++) in[i] = ir_compute_dtype(c->in[i]->dtype);
    AccDtype result;
    if (!ir_infer_body(c, in, c->nin, &result)) return false;
    c->out[0] = shape;
    c->out[0].dtype = dtype_attr(c)->u.t;
    return true;
}

bool ir_infer_fused_matmul(IrInfer *c) {
    const IrType *a = c->in[0], *b = c->in[1];
    int r = a->rank;
    if (r < 2 || b->rank != r) {
        ir_infer_error(c, "'fused_matmul' needs operands of equal rank, 2 or more, got %s @ %s",
                       ir_type_str(a), ir_type_str(b));
        return false;
    }
    bool fa = dtype_flags(a->dtype) & DT_FLOAT, fb = dtype_flags(b->dtype) & DT_FLOAT;
    AccDtype acc = ir_acc_dtype(a->dtype, b->dtype);
    if (fa != fb || (a->dtype != b->dtype && acc != ACC_DTYPE_I32) || a->dtype == ACC_DTYPE_BOOL ||
        b->dtype == ACC_DTYPE_BOOL) {
        ir_infer_error(c, "'fused_matmul' operands have different dtypes: %s @ %s", ir_type_str(a),
                       ir_type_str(b));
        return false;
    }
    if (a->dims[r - 1] != b->dims[r - 2]) {
        ir_infer_error(c, "'fused_matmul' inner dimensions differ: %s @ %s", ir_type_str(a),
                       ir_type_str(b));
        return false;
    }
    IrType y = *a;
    for (int i = 0; i < r - 2; i++) {
        if (a->dims[i] != b->dims[i] && a->dims[i] != 1 && b->dims[i] != 1) {
            ir_infer_error(c, "'fused_matmul' batch dimensions do not broadcast: %s @ %s",
                           ir_type_str(a), ir_type_str(b));
            return false;
        }
        y.dims[i] = a->dims[i] == 1 ? b->dims[i] : a->dims[i];
    }
    y.dims[r - 1] = b->dims[r - 1];
    if (!broadcast_to(c, 2, &y)) return false;
    AccDtype in[IR_MAX_OPERANDS];
    in[0] = acc;
    for (int i = 2; i < c->nin; i++) in[i - 1] = ir_compute_dtype(c->in[i]->dtype);
    AccDtype result;
    if (!ir_infer_body(c, in, c->nin - 1, &result)) return false;
    c->out[0] = y;
    c->out[0].dtype = dtype_attr(c)->u.t;
    return true;
}

bool ir_infer_fused_reduce(IrInfer *c) {
    IrType shape;
    if (!broadcast_all(c, 0, &shape)) return false;
    int n;
    const int64_t *axes = ir_attr_ints(c->g, c->op, "axes", &n);
    bool mask[IR_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int a = ir_norm_axis(axes[i], shape.rank);
        if (a < 0 || mask[a]) {
            ir_infer_error(c, "'fused_reduce' axis %lld is out of range or repeated for %s",
                           (long long)axes[i], ir_type_str(&shape));
            return false;
        }
        mask[a] = true;
    }
    AccDtype in[IR_MAX_OPERANDS];
    for (int i = 0; i < c->nin; i++) in[i] = ir_compute_dtype(c->in[i]->dtype);
    AccDtype result;
    if (!ir_infer_body(c, in, c->nin, &result)) return false;
    c->out[0] = shape;
    for (int i = 0; i < shape.rank; i++)
        if (mask[i]) c->out[0].dims[i] = 1;
    c->out[0].dtype = dtype_attr(c)->u.t;
    return true;
}

/* ---- Unfusing ------------------------------------------------------------------------- */

static IrRef cast_to(IrGraph *g, IrRef v, AccDtype t, SrcLoc loc) {
    if (g->vals[v].type.dtype == t) return v;
    IrOpId op = ir_op_create(g, IR_OP_cast, 1, &v, loc);
    ir_set_attr_dtype(g, op, "to", t);
    if (!ir_op_finish(g, op, NULL)) ice("unfuse: cast failed");
    return ir_op_result(g, op, 0);
}

static IrRef expand_to(IrGraph *g, IrRef v, const IrType *shape, SrcLoc loc) {
    const IrType *t = &g->vals[v].type;
    bool same = t->rank == shape->rank;
    for (int i = 0; same && i < t->rank; i++) same = t->dims[i] == shape->dims[i];
    if (same) return v;
    IrOpId op = ir_op_create(g, IR_OP_expand, 1, &v, loc);
    ir_set_attr_ints(g, op, "shape", shape->rank, shape->dims);
    if (!ir_op_finish(g, op, NULL)) ice("unfuse: expand failed");
    return ir_op_result(g, op, 0);
}

/* The body's ops as ops of g over whole tensors, args standing for its
 * inputs; returns the value of its result. */
static IrRef inline_body(IrGraph *g, const IrGraph *body, const IrRef *args, SrcLoc loc) {
    IrRef *map = xcalloc((size_t)body->nvals, sizeof *map);
    for (int i = 0; i < body->ninputs; i++) map[body->inputs[i]] = args[i];
    IrRef in[IR_MAX_OPERANDS];
    ir_for_each_op(body, id) {
        const IrOp *op = &body->ops[id];
        for (int i = 0; i < op->nin; i++) in[i] = map[op->in[i]];
        IrOpId nid = ir_op_copy(g, body, id, in, loc);
        map[op->out[0]] = ir_op_result(g, nid, 0);
    }
    IrRef r = map[ir_body_result(body)];
    free(map);
    return r;
}

/* The values a fused op's body inputs stand for, from operand `first` on,
 * promoted to their compute dtypes. */
static void body_args(IrGraph *g, IrOpId id, int first, IrRef *args, int *n) {
    int nin = g->ops[id].nin;
    SrcLoc loc = g->ops[id].loc;
    for (int i = first; i < nin; i++) {
        IrRef v = g->ops[id].in[i];
        args[(*n)++] = cast_to(g, v, ir_compute_dtype(g->vals[v].type.dtype), loc);
    }
}

static IrRef unfuse_op(IrGraph *g, IrOpId id) {
    IrOpKind kind = g->ops[id].kind;
    SrcLoc loc = g->ops[id].loc;
    const IrGraph *body = ir_op_body(g, id);
    IrType result = g->vals[g->ops[id].out[0]].type;
    AccDtype dtype = ir_attr_dtype(g, id, "dtype");
    IrRef args[IR_MAX_OPERANDS];
    int n = 0;
    IrType shape = result; /* where the body is evaluated */
    if (kind == IR_OP_fused_matmul || kind == IR_OP_fused_conv) {
        IrRef a = g->ops[id].in[0], b = g->ops[id].in[1];
        AccDtype acc = ir_acc_dtype(g->vals[a].type.dtype, g->vals[b].type.dtype);
        IrRef in[2] = {cast_to(g, a, acc, loc), cast_to(g, b, acc, loc)};
        IrOpKind k = kind == IR_OP_fused_matmul  ? IR_OP_matmul
                     : g->vals[a].type.rank == 4 ? IR_OP_conv2d
                                                 : IR_OP_conv3d;
        IrOpId op = ir_op_create(g, k, 2, in, loc);
        if (k != IR_OP_matmul) {
            static const char *const names[] = {"stride", "pad", "dilation", "groups"};
            for (int i = 0; i < 4; i++) ir_set_attr(g, op, names[i], ir_attr(g, id, names[i]));
        }
        if (!ir_op_finish(g, op, NULL)) ice("unfuse: %s failed", ir_op_name(k));
        args[n++] = ir_op_result(g, op, 0);
        body_args(g, id, 2, args, &n);
    } else {
        body_args(g, id, 0, args, &n);
        if (kind == IR_OP_fused_reduce) {
            shape = g->vals[g->ops[id].in[0]].type;
            for (int i = 1; i < g->ops[id].nin; i++)
                ir_broadcast(&shape, &g->vals[g->ops[id].in[i]].type, &shape, NULL);
        }
    }
    IrRef v = inline_body(g, body, args, loc);
    shape.dtype = g->vals[v].type.dtype;
    v = expand_to(g, v, &shape, loc);
    if (kind == IR_OP_fused_reduce) {
        static const IrOpKind kinds[] = {IR_OP_reduce_sum, IR_OP_reduce_prod, IR_OP_reduce_max,
                                         IR_OP_reduce_min};
        static const char *const names[] = {"sum", "prod", "max", "min"};
        const char *k = ir_attr_str(g, id, "kind");
        int which = 0;
        while (strcmp(names[which], k) != 0) which++;
        IrOpId op = ir_op_create(g, kinds[which], 1, &v, loc);
        ir_set_attr(g, op, "axes", ir_attr(g, id, "axes"));
        if (!ir_op_finish(g, op, NULL)) ice("unfuse: reduce failed");
        v = ir_op_result(g, op, 0);
    }
    return cast_to(g, v, dtype, loc);
}

void ir_unfuse(IrGraph *g) {
    /* Replacements are forwarded as the walk reaches each use (uses come
     * after their definition), so the rewrite stays linear. */
    IrRef *repl = xcalloc((size_t)g->nvals, sizeof *repl);
    size_t nrepl = (size_t)g->nvals;
    for (IrOpId id = g->first; id;) {
        IrOpId next = g->ops[id].next;
        for (int i = 0; i < g->ops[id].nin; i++) {
            IrRef v = g->ops[id].in[i];
            if ((size_t)v < nrepl && repl[v]) g->ops[id].in[i] = repl[v];
        }
        if (ir_op_body(g, id)) {
            ir_set_insert_point(g, id);
            IrRef v = unfuse_op(g, id);
            ir_set_insert_point(g, IR_NONE);
            IrRef old = g->ops[id].out[0];
            if (!g->vals[v].name && g->vals[old].name) ir_value_set_name(g, v, g->vals[old].name);
            repl[old] = v;
            ir_op_erase(g, id);
        }
        id = next;
    }
    for (int i = 0; i < g->noutputs; i++) {
        IrRef v = g->outputs[i].val;
        if ((size_t)v < nrepl && repl[v]) g->outputs[i].val = repl[v];
    }
    free(repl);
    g->uses_valid = false;
}

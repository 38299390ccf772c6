/*
 * The ONNX importer: a model read by accc_onnx (onnx.h) becomes a verified
 * IR graph. This file owns the model level — opsets, the list of
 * unsupported ops, graph inputs (symbolic dimensions bound by -D, inputs
 * frozen by --freeze), initializers, the node loop, graph outputs, the
 * removal of ops left unused — and the helpers the op mappers (map_*.c)
 * build with. The op table is import.def.
 *
 * Values keep their ONNX names, so --emit=ir and --emit=g read like the
 * model. Initializers become constant ops when first used. Ops whose
 * operands are all constants are evaluated at once (ir_eval_op), so the
 * shape arithmetic exporters emit (Shape -> Gather -> Concat -> Reshape)
 * folds into the constants the IR's attributes need.
 */
#include "importer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IMP_MIN_OPSET 1  /* older opsets: per op, by each row's since column */
#define IMP_MAX_OPSET 18 /* newer opsets may change any op: refused */

/* ---- The op table ------------------------------------------------------------------- */

static const ImpOp imp_table[] = {
#define ONNX_OP(name, since, map, kind, const_inputs, ir, notes)                                   \
    {#name, since, map, kind, const_inputs, ir, notes},
#include "import.def"
#undef ONNX_OP
};

static const FeOnnxOp fe_table[] = {
#define ONNX_OP(name, since, map, kind, const_inputs, ir, notes)                                   \
    {#name, since, const_inputs, ir, notes},
#include "import.def"
#undef ONNX_OP
};
_Static_assert(ACC_ARRAY_LEN(imp_table) == ACC_ARRAY_LEN(fe_table), "one row each");

size_t fe_onnx_ops(const FeOnnxOp **ops) {
    *ops = fe_table;
    return ACC_ARRAY_LEN(fe_table);
}

const ImpOp *imp_op_lookup(const char *name) {
    size_t lo = 0, hi = ACC_ARRAY_LEN(imp_table);
    while (lo < hi) { /* the rows are sorted */
        size_t mid = (lo + hi) / 2;
        int c = strcmp(imp_table[mid].name, name);
        if (c == 0) return &imp_table[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static bool default_domain(const char *domain) {
    return domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0;
}

/* ---- Messages ------------------------------------------------------------------------ */

bool imp_fail(Imp *im, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(im->d, DIAG_ERROR, im->loc, fmt, ap);
    va_end(ap);
    im->failed = true;
    return false;
}

/* "node 'conv1' (Conv)" or "node 3 (Conv)" for an unnamed node. */
static void node_label(char *buf, size_t len, const OnnxNode *n, size_t index) {
    if (n->name[0])
        snprintf(buf, len, "node '%s' (%s)", n->name, n->op_type);
    else
        snprintf(buf, len, "node %zu (%s)", index, n->op_type);
}

/* ---- Types ----------------------------------------------------------------------------- */

bool imp_dtype(int32_t onnx_type, AccDtype *out) {
    AccDtype t;
    if (!onnx_type_to_dtype(onnx_type, &t)) return false;
    *out = t == ACC_DTYPE_F64 ? ACC_DTYPE_F32 : t;
    return (dtype_flags(*out) & DT_IR) != 0;
}

/* A tensor's data as IR storage: DOUBLE narrowed to f32, the rest as read.
 * Returns data to free, or NULL when t's data can be used as it is. */
static void *narrowed(const OnnxTensor *t) {
    if (t->dtype != ACC_DTYPE_F64) return NULL;
    float *f = xmalloc((t->count ? t->count : 1) * sizeof *f);
    for (size_t i = 0; i < t->count; i++)
        dtype_set(ACC_DTYPE_F32, f, i, ((const double *)t->data)[i]);
    return f;
}

/* ---- Values ------------------------------------------------------------------------------ */

IrRef imp_tensor(Imp *im, const OnnxTensor *t, const char *name) {
    AccDtype dt;
    if (!imp_dtype(t->onnx_type, &dt)) {
        imp_fail(im, "tensor '%s' of type %s is not supported", name, onnx_type_name(t->onnx_type));
        return IR_NONE;
    }
    if (t->ndim > IR_MAX_RANK) {
        imp_fail(im, "tensor '%s' has rank %d (accc supports at most %d)", name, t->ndim,
                 IR_MAX_RANK);
        return IR_NONE;
    }
    IrType type = ir_type(dt, t->ndim, t->dims);
    void *f = narrowed(t);
    IrRef v = ir_constant(im->g, &type, f ? f : t->data, im->loc);
    free(f);
    if (name[0]) ir_value_set_name(im->g, v, name);
    return v;
}

/* The IR value of an ONNX value name, making initializers constants on
 * first use; IR_NONE (reported once) when nothing defines it. */
static IrRef value_of(Imp *im, const char *name) {
    int64_t *v = strmap_get(&im->values, name);
    if (v) return *v == IMP_FAILED ? IR_NONE : (IrRef)*v;
    int64_t *init = strmap_get(&im->inits, name);
    IrRef r = IR_NONE;
    if (init)
        r = imp_tensor(im, &im->m->graph.initializers[*init], name);
    else
        imp_fail(im, "input '%s' is not a graph input, an initializer or an earlier node's output",
                 name);
    strmap_put(&im->values, name, r ? r : IMP_FAILED);
    return r;
}

int imp_nin(const Imp *im) {
    return (int)im->node->ninputs;
}

bool imp_has(const Imp *im, int i) {
    return i >= 0 && (size_t)i < im->node->ninputs && im->node->inputs[i][0] != '\0';
}

IrRef imp_in(Imp *im, int i) {
    if (!imp_has(im, i)) {
        imp_fail(im, "input %d is missing", i);
        return IR_NONE;
    }
    return value_of(im, im->node->inputs[i]);
}

const IrType *imp_type(const Imp *im, IrRef v) {
    return &im->g->vals[v].type;
}

const IrConst *imp_const(const Imp *im, IrRef v) {
    return v ? ir_value_const(im->g, v) : NULL;
}

/* Where a value that should be constant comes from, for the message. */
static void explain_not_constant(Imp *im, int i, const char *what) {
    const char *name = im->node->inputs[i];
    for (size_t k = 0; k < im->m->graph.ninputs; k++)
        if (strcmp(im->m->graph.inputs[k].name, name) == 0) {
            imp_fail(im,
                     "input %d (%s) must be a constant, but it is the graph input '%s'; freeze "
                     "it with --freeze %s=FILE.npy",
                     i, what, name, name);
            return;
        }
    imp_fail(im, "input %d (%s) must be a constant, but '%s' is computed at run time", i, what,
             name);
}

const IrConst *imp_const_in(Imp *im, int i, const char *what) {
    IrRef v = imp_in(im, i);
    if (!v) return NULL;
    const IrConst *c = imp_const(im, v);
    if (!c) explain_not_constant(im, i, what);
    return c;
}

bool imp_const_ints(Imp *im, int i, const char *what, int64_t **v, int *n) {
    const IrConst *c = imp_const_in(im, i, what);
    if (!c) return false;
    if (!(dtype_flags(c->type.dtype) & (DT_INT | DT_UINT)) || c->type.rank > 1) {
        return imp_fail(im, "input %d (%s) must be a 1-D integer tensor, got %s", i, what,
                        ir_type_str(&c->type));
    }
    int64_t count = ir_type_count(&c->type);
    *v = ARENA_ARRAY(&im->scratch, int64_t, (size_t)count + 1);
    for (int64_t k = 0; k < count; k++) {
        if (c->type.dtype == ACC_DTYPE_I64)
            (*v)[k] = ((const int64_t *)c->data)[k];
        else
            (*v)[k] = (int64_t)dtype_get(c->type.dtype, c->data, (size_t)k);
    }
    *n = (int)count;
    return true;
}

bool imp_const_number(Imp *im, int i, const char *what, double *v) {
    const IrConst *c = imp_const_in(im, i, what);
    if (!c) return false;
    if (ir_type_count(&c->type) != 1)
        return imp_fail(im, "input %d (%s) must hold one value, got %s", i, what,
                        ir_type_str(&c->type));
    *v = dtype_get(c->type.dtype, c->data, 0);
    return true;
}

/* ---- Attributes ----------------------------------------------------------------------- */

bool imp_attr_has(const Imp *im, const char *name) {
    return onnx_attr_find(im->node, name) != NULL;
}

static void wrong_type(Imp *im, const char *name, OnnxAttrType want) {
    imp_fail(im, "attribute '%s' is of type %s, expected %s", name,
             onnx_attr_type_name(onnx_attr_find(im->node, name)->type), onnx_attr_type_name(want));
}

int64_t imp_attr_int(Imp *im, const char *name, int64_t def) {
    if (onnx_attr_int(im->node, name, &def) == ONNX_GET_WRONG_TYPE)
        wrong_type(im, name, ONNX_ATTR_INT);
    return def;
}

/* An ONNX float (f32) as the double with the same shortest decimal, so the
 * IR text shows what the model's author wrote (1e-05, not
 * 9.999999747378752e-06); it rounds back to the same f32. */
static double f32_as_written(float f) {
    StrBuf sb;
    sb_init(&sb);
    sb_put_float(&sb, f);
    double d = strtod(sb.data, NULL);
    sb_free(&sb);
    return d;
}

double imp_attr_float(Imp *im, const char *name, double def) {
    float f;
    switch (onnx_attr_float(im->node, name, &f)) {
    case ONNX_GET_OK: return f32_as_written(f);
    case ONNX_GET_WRONG_TYPE: wrong_type(im, name, ONNX_ATTR_FLOAT); return def;
    case ONNX_GET_ABSENT: return def;
    }
    return def;
}

const char *imp_attr_str(Imp *im, const char *name, const char *def) {
    OnnxBytes s;
    switch (onnx_attr_string(im->node, name, &s)) {
    case ONNX_GET_OK: return s.data ? s.data : ""; /* typed STRING with no value: empty */
    case ONNX_GET_WRONG_TYPE: wrong_type(im, name, ONNX_ATTR_STRING); return def;
    case ONNX_GET_ABSENT: return def;
    }
    return def;
}

bool imp_attr_ints(Imp *im, const char *name, int64_t **v, int *n) {
    const int64_t *p;
    size_t count;
    switch (onnx_attr_ints(im->node, name, &p, &count)) {
    case ONNX_GET_OK: break;
    case ONNX_GET_WRONG_TYPE: wrong_type(im, name, ONNX_ATTR_INTS); return false;
    case ONNX_GET_ABSENT: return false;
    }
    *v = ARENA_ARRAY(&im->scratch, int64_t, count + 1);
    if (count) memcpy(*v, p, count * sizeof *p);
    *n = (int)count;
    return true;
}

bool imp_attr_floats(Imp *im, const char *name, double **v, int *n) {
    const float *p;
    size_t count;
    switch (onnx_attr_floats(im->node, name, &p, &count)) {
    case ONNX_GET_OK: break;
    case ONNX_GET_WRONG_TYPE: wrong_type(im, name, ONNX_ATTR_FLOATS); return false;
    case ONNX_GET_ABSENT: return false;
    }
    *v = ARENA_ARRAY(&im->scratch, double, count + 1);
    for (size_t k = 0; k < count; k++) (*v)[k] = f32_as_written(p[k]);
    *n = (int)count;
    return true;
}

/* ---- Building IR --------------------------------------------------------------------------- */

IrOpId imp_op(Imp *im, IrOpKind kind, int nin, const IrRef *in) {
    for (int i = 0; i < nin; i++)
        if (!in[i]) return IR_NONE;
    return ir_op_create(im->g, kind, nin, in, im->loc);
}

/* Replace op (all operands constants) by constants holding its results. */
static int fold(Imp *im, IrOpId op, IrRef *out) {
    IrGraph *g = im->g;
    const IrOp *o = ir_op(g, op);
    int nin = o->nin, nout = o->nout;
    for (int i = 0; i < nout; i++)
        if (ir_type_count(&g->vals[o->out[i]].type) > IMP_FOLD_LIMIT) return -1;
    NpyArray ins[IR_MAX_OPERANDS], outs[IR_MAX_RESULTS];
    const NpyArray *inp[IR_MAX_OPERANDS];
    for (int i = 0; i < nin; i++) {
        const IrConst *c = ir_value_const(g, o->in[i]);
        memset(&ins[i], 0, sizeof ins[i]);
        ins[i].dtype = c->type.dtype;
        ins[i].ndim = c->type.rank;
        for (int k = 0; k < c->type.rank; k++) ins[i].shape[k] = c->type.dims[k];
        ins[i].count = (size_t)ir_type_count(&c->type);
        ins[i].data = c->data;
        inp[i] = &ins[i];
    }
    char err[512];
    if (ir_eval_op(g, op, inp, outs, err, sizeof err) < 0) {
        imp_fail(im, "%s", err);
        return 0;
    }
    for (int i = 0; i < nout; i++) {
        IrType t = g->vals[ir_op(g, op)->out[i]].type;
        out[i] = ir_constant(g, &t, outs[i].data, im->loc);
        npy_free(&outs[i]);
    }
    ir_op_erase(g, op);
    return nout;
}

/* Ops folded at import: those costing time linear in their operands and
 * results (elementwise, data movement, reductions) — what shape arithmetic
 * uses. A matmul or convolution of constants stays an op for the compiler. */
static bool all_constant(const IrGraph *g, IrOpId op) {
    const IrOp *o = ir_op(g, op);
    if (o->kind == IR_OP_constant || o->nin == 0) return false;
    if (!(ir_op_info(o->kind)->flags & (IR_EW | IR_MOVE | IR_RED))) return false;
    for (int i = 0; i < o->nin; i++)
        if (!ir_value_const(g, o->in[i])) return false;
    return true;
}

/* Finish op; its results into out. The count, or 0 after an error. */
static int finish_all(Imp *im, IrOpId op, IrRef *out) {
    if (!op) return 0;
    if (!ir_op_finish(im->g, op, im->d)) {
        im->failed = true;
        return 0;
    }
    if (all_constant(im->g, op)) {
        int n = fold(im, op, out);
        if (n >= 0) return n;
    }
    const IrOp *o = ir_op(im->g, op);
    for (int i = 0; i < o->nout; i++) out[i] = o->out[i];
    return o->nout;
}

IrRef imp_finish(Imp *im, IrOpId op) {
    IrRef out[IR_MAX_RESULTS];
    return finish_all(im, op, out) ? out[0] : IR_NONE;
}

int imp_finish_n(Imp *im, IrOpId op, IrRef *out) {
    return finish_all(im, op, out);
}

IrRef imp_unary(Imp *im, IrOpKind kind, IrRef x) {
    return imp_finish(im, imp_op(im, kind, 1, &x));
}

IrRef imp_binary(Imp *im, IrOpKind kind, IrRef a, IrRef b) {
    IrRef in[2] = {a, b};
    return imp_finish(im, imp_op(im, kind, 2, in));
}

IrRef imp_ternary(Imp *im, IrOpKind kind, IrRef a, IrRef b, IrRef c) {
    IrRef in[3] = {a, b, c};
    return imp_finish(im, imp_op(im, kind, 3, in));
}

IrRef imp_cast(Imp *im, IrRef x, AccDtype to) {
    if (!x) return IR_NONE;
    if (imp_type(im, x)->dtype == to) return x;
    IrOpId op = imp_op(im, IR_OP_cast, 1, &x);
    ir_set_attr_dtype(im->g, op, "to", to);
    return imp_finish(im, op);
}

IrRef imp_scalar(Imp *im, AccDtype t, double v) {
    return ir_constant_scalar(im->g, t, v, im->loc);
}

IrRef imp_constant(Imp *im, const IrType *t, const void *data) {
    return ir_constant(im->g, t, data, im->loc);
}

bool imp_const_fits(Imp *im, const IrType *t) {
    size_t limit = im->opts->max_const_bytes ? im->opts->max_const_bytes : IR_MAX_CONST_BYTES;
    int64_t count = ir_type_count(t);
    if (count >= 0 && (uint64_t)count <= limit / dtype_size(t->dtype)) return true;
    imp_fail(im, "would make a constant %s larger than %zu bytes", ir_type_str(t), limit);
    return false;
}

IrRef imp_iota(Imp *im, int64_t n, int rank, int axis) {
    int64_t dims[IR_MAX_RANK];
    for (int i = 0; i < rank; i++) dims[i] = i == axis ? n : 1;
    IrType t = ir_type(ACC_DTYPE_I64, rank, dims);
    if (!imp_const_fits(im, &t)) return IR_NONE;
    int64_t *data = xmalloc((size_t)(n ? n : 1) * sizeof *data);
    for (int64_t i = 0; i < n; i++) data[i] = i;
    IrRef v = imp_constant(im, &t, data);
    free(data);
    return v;
}

IrRef imp_reshape(Imp *im, IrRef x, int rank, const int64_t *shape) {
    IrOpId op = imp_op(im, IR_OP_reshape, 1, &x);
    if (op) ir_set_attr_ints(im->g, op, "shape", rank, shape);
    return imp_finish(im, op);
}

IrRef imp_transpose(Imp *im, IrRef x, int rank, const int64_t *perm) {
    IrOpId op = imp_op(im, IR_OP_transpose, 1, &x);
    if (op) ir_set_attr_ints(im->g, op, "perm", rank, perm);
    return imp_finish(im, op);
}

IrRef imp_reduce(Imp *im, IrOpKind kind, IrRef x, int n, const int64_t *axes, bool keepdims) {
    IrOpId op = imp_op(im, kind, 1, &x);
    if (op) {
        ir_set_attr_ints(im->g, op, "axes", n, axes);
        ir_set_attr_bool(im->g, op, "keepdims", keepdims);
    }
    return imp_finish(im, op);
}

IrRef imp_coerce_2d(Imp *im, IrRef x, int64_t axis) {
    if (!x) return IR_NONE;
    IrOpId op = imp_op(im, IR_OP_flatten, 1, &x);
    ir_set_attr_int(im->g, op, "axis", axis);
    return imp_finish(im, op);
}

/* ---- Outputs of a node ------------------------------------------------------------------- */

int imp_nout(const Imp *im) {
    return (int)im->node->noutputs;
}

bool imp_has_out(const Imp *im, int i) {
    return i >= 0 && (size_t)i < im->node->noutputs && im->node->outputs[i][0] != '\0';
}

void imp_def(Imp *im, int i, IrRef v) {
    if (!imp_has_out(im, i)) return;
    const char *name = im->node->outputs[i];
    if (v && !im->g->vals[v].name) ir_value_set_name(im->g, v, name);
    strmap_put(&im->values, name, v ? v : IMP_FAILED);
}

/* ---- Graph inputs ------------------------------------------------------------------------- */

static const FeFreeze *find_freeze(const FeOptions *o, const char *name) {
    for (int i = 0; i < o->nfreezes; i++)
        if (strcmp(o->freezes[i].name, name) == 0) return &o->freezes[i];
    return NULL;
}

static bool find_define(const FeOptions *o, const char *name, int64_t *v) {
    for (int i = 0; i < o->ndefines; i++)
        if (strcmp(o->defines[i].name, name) == 0) {
            *v = o->defines[i].value;
            return true;
        }
    return false;
}

/* The IR type of a graph input: static dims, symbolic ones bound by -D.
 * False after reporting; with frozen set, symbolic dims may stay unbound
 * (the frozen value decides them: -1). */
static bool input_type(Imp *im, const OnnxValueInfo *vi, bool frozen, IrType *out) {
    const OnnxType *t = &vi->type;
    if (t->kind != ONNX_TYPE_TENSOR)
        return imp_fail(im, "graph input '%s' is not a tensor (accc imports tensors only)",
                        vi->name);
    AccDtype dt;
    if (!imp_dtype(t->elem_type, &dt))
        return imp_fail(im, "graph input '%s' has element type %s, which accc does not support",
                        vi->name, onnx_type_name(t->elem_type));
    if (!t->has_shape)
        return imp_fail(im, "graph input '%s' has no shape; accc needs static shapes", vi->name);
    if (t->ndim > IR_MAX_RANK)
        return imp_fail(im, "graph input '%s' has rank %d (accc supports at most %d)", vi->name,
                        t->ndim, IR_MAX_RANK);
    int64_t unknown[IR_MAX_RANK] = {0};
    *out = ir_type(dt, t->ndim, unknown);
    bool ok = true;
    for (int i = 0; i < t->ndim; i++) {
        const OnnxDim *d = &t->dims[i];
        out->dims[i] = d->value;
        if (d->value >= 0 || frozen) continue;
        if (d->param && find_define(im->opts, d->param, &out->dims[i])) continue;
        if (d->param)
            ok = imp_fail(im,
                          "graph input '%s' dimension %d is '%s', which has no size; give it one "
                          "with -D %s=SIZE",
                          vi->name, i, d->param, d->param);
        else
            ok = imp_fail(im,
                          "graph input '%s' dimension %d has no size (neither a number nor a "
                          "name); accc needs static shapes",
                          vi->name, i);
    }
    return ok;
}

static bool import_inputs(Imp *im) {
    const OnnxGraph *og = &im->m->graph;
    bool ok = true;
    for (size_t i = 0; i < og->ninputs; i++) {
        const OnnxValueInfo *vi = &og->inputs[i];
        const FeFreeze *f = find_freeze(im->opts, vi->name);
        /* An input with an initializer of its name (older exporters list
         * every weight as an input) is that constant. */
        if (!f && strmap_get(&im->inits, vi->name)) continue;
        if (strmap_get(&im->values, vi->name)) {
            ok = imp_fail(im, "graph input '%s' is listed twice", vi->name);
            continue;
        }
        IrType t;
        IrRef v = IR_NONE;
        if (input_type(im, vi, f != NULL, &t))
            v = f ? fe_freeze_constant(im->g, f, im->opts->deps, &t, im->loc, im->d)
                  : ir_add_input(im->g, vi->name, &t);
        if (v && f) ir_value_set_name(im->g, v, vi->name);
        ok &= v != IR_NONE;
        strmap_put(&im->values, vi->name, v ? v : IMP_FAILED);
    }
    for (int k = 0; k < im->opts->nfreezes; k++) {
        const char *name = im->opts->freezes[k].name;
        bool found = false;
        for (size_t i = 0; i < og->ninputs && !found; i++)
            found = strcmp(og->inputs[i].name, name) == 0;
        if (!found) ok = imp_fail(im, "--freeze %s: the model has no input '%s'", name, name);
    }
    for (int k = 0; k < im->opts->ndefines; k++) {
        const char *name = im->opts->defines[k].name;
        bool used = false;
        for (size_t i = 0; i < og->ninputs && !used; i++) {
            const OnnxType *t = &og->inputs[i].type;
            for (int j = 0; t->kind == ONNX_TYPE_TENSOR && t->has_shape && j < t->ndim; j++)
                used |= t->dims[j].param && strcmp(t->dims[j].param, name) == 0;
        }
        if (!used)
            diag_warning(im->d, im->loc, "-D %s: no graph input has a dimension named '%s'", name,
                         name);
    }
    return ok;
}

/* ---- Unsupported ops: one message listing them all ---------------------------------------- */

typedef struct Missing {
    const char *what; /* "Resize", "com.microsoft.Gelu", "Add before opset 7" */
    size_t count;
    StrBuf names; /* the first four nodes */
} Missing;

/* Why the node cannot be imported, or NULL if it can. */
static const char *unsupported(Imp *im, const OnnxNode *n) {
    if (!default_domain(n->domain))
        return arena_printf(&im->scratch, "%s.%s", n->domain, n->op_type);
    const ImpOp *op = imp_op_lookup(n->op_type);
    if (!op) return n->op_type;
    if (im->opset < op->since)
        return arena_printf(&im->scratch, "%s before opset %d", n->op_type, op->since);
    return NULL;
}

static bool check_ops(Imp *im) {
    const OnnxGraph *og = &im->m->graph;
    Missing *missing = NULL;
    size_t nmissing = 0, cap = 0, nodes = 0;
    for (size_t i = 0; i < og->nnodes; i++) {
        const char *what = unsupported(im, &og->nodes[i]);
        if (!what) continue;
        nodes++;
        size_t k = 0;
        while (k < nmissing && strcmp(missing[k].what, what) != 0) k++;
        if (k == nmissing) {
            XGROW(missing, cap, nmissing + 1);
            missing[k].what = what;
            missing[k].count = 0;
            sb_init(&missing[k].names);
            nmissing++;
        }
        Missing *ms = &missing[k];
        if (ms->count < 4) {
            const OnnxNode *n = &og->nodes[i];
            if (n->name[0])
                sb_printf(&ms->names, "%s'%s'", ms->count ? ", " : "", n->name);
            else
                sb_printf(&ms->names, "%snode %zu", ms->count ? ", " : "", i);
        } else if (ms->count == 4) {
            sb_puts(&ms->names, ", ...");
        }
        ms->count++;
    }
    if (!nmissing) return true;
    StrBuf msg;
    sb_init(&msg);
    for (size_t k = 0; k < nmissing; k++) {
        sb_printf(&msg, "%s%s (%zu node%s: %s)", k ? ", " : "", missing[k].what, missing[k].count,
                  missing[k].count == 1 ? "" : "s", missing[k].names.data);
        sb_free(&missing[k].names);
    }
    diag_error(im->d, im->loc, "%zu of %zu nodes use ops accc cannot import: %s", nodes, og->nnodes,
               msg.data);
    sb_free(&msg);
    free(missing);
    return false;
}

/* ---- Nodes ---------------------------------------------------------------------------- */

static void import_node(Imp *im, size_t index) {
    const OnnxNode *n = &im->m->graph.nodes[index];
    im->node = n;
    im->node_index = index;
    im->failed = false;
    node_label(im->context, sizeof im->context - 2, n, index);
    strcat(im->context, ": ");
    im->d->context = im->context;
    for (size_t i = 0; i < n->noutputs; i++)
        if (n->outputs[i][0] &&
            (strmap_get(&im->values, n->outputs[i]) || strmap_get(&im->inits, n->outputs[i]))) {
            imp_fail(im, "output '%s' is already defined (ONNX values are assigned once)",
                     n->outputs[i]);
            im->d->context = NULL;
            im->node = NULL;
            return;
        }
    /* A node reading a value whose node failed stays quiet. */
    bool quiet = false;
    for (size_t i = 0; i < n->ninputs && !quiet; i++) {
        int64_t *v = n->inputs[i][0] ? strmap_get(&im->values, n->inputs[i]) : NULL;
        quiet = v && *v == IMP_FAILED;
    }
    if (!quiet) {
        const ImpOp *op = imp_op_lookup(n->op_type);
        if (!op->map(im, op)) im->failed = true;
    }
    /* Every output the node names must now be defined; after a failure
     * they are all marked failed, so their uses stay quiet. */
    for (size_t i = 0; i < n->noutputs; i++) {
        if (!n->outputs[i][0]) continue;
        if (!quiet && !im->failed && !strmap_get(&im->values, n->outputs[i]))
            imp_fail(im, "output %zu ('%s') is not supported", i, n->outputs[i]);
        if (quiet || im->failed) strmap_put(&im->values, n->outputs[i], IMP_FAILED);
    }
    im->d->context = NULL;
    im->node = NULL;
}

/* ---- Graph outputs --------------------------------------------------------------------------- */

static bool import_outputs(Imp *im) {
    const OnnxGraph *og = &im->m->graph;
    bool ok = true;
    StrSet seen;
    strset_init(&seen);
    for (size_t i = 0; i < og->noutputs; i++) {
        const OnnxValueInfo *vi = &og->outputs[i];
        if (!strset_add(&seen, vi->name)) {
            ok = imp_fail(im, "graph output '%s' is listed twice", vi->name);
            continue;
        }
        int64_t *v = strmap_get(&im->values, vi->name);
        if (!v && strmap_get(&im->inits, vi->name)) {
            value_of(im, vi->name);
            v = strmap_get(&im->values, vi->name);
        }
        if (!v) {
            ok = imp_fail(im, "graph output '%s' is not computed by any node", vi->name);
            continue;
        }
        if (*v == IMP_FAILED) {
            ok = false;
            continue;
        }
        IrRef r = (IrRef)*v;
        const IrType *t = imp_type(im, r);
        const OnnxType *ot = &vi->type;
        AccDtype dt;
        bool match =
            ot->kind != ONNX_TYPE_TENSOR || !imp_dtype(ot->elem_type, &dt) || dt == t->dtype;
        if (match && ot->kind == ONNX_TYPE_TENSOR && ot->has_shape) {
            match = ot->ndim == t->rank;
            for (int k = 0; match && k < t->rank; k++)
                match = ot->dims[k].value < 0 || ot->dims[k].value == t->dims[k];
        }
        if (!match) {
            StrBuf decl;
            sb_init(&decl);
            onnx_dump_type(ot, &decl);
            ok = imp_fail(im, "graph output '%s' is declared %s, but computes %s", vi->name,
                          decl.data, ir_type_str(t));
            sb_free(&decl);
            continue;
        }
        ir_add_output(im->g, vi->name, r);
    }
    strset_free(&seen);
    if (ok && og->noutputs == 0) ok = imp_fail(im, "the graph has no outputs");
    return ok;
}

/* Erase ops whose results nothing uses: initializers read only as
 * attributes, shape arithmetic folded into constants. */
static void remove_unused(IrGraph *g) {
    int32_t *uses = xcalloc((size_t)g->nvals + 1, sizeof *uses);
    ir_for_each_op(g, id) {
        const IrOp *o = ir_op(g, id);
        for (int i = 0; i < o->nin; i++) uses[o->in[i]]++;
    }
    for (int i = 0; i < g->noutputs; i++) uses[g->outputs[i].val]++;
    for (IrOpId id = g->last, prev; id; id = prev) {
        prev = g->ops[id].prev;
        const IrOp *o = ir_op(g, id);
        bool used = false;
        for (int i = 0; i < o->nout && !used; i++) used = uses[o->out[i]] > 0;
        if (used) continue;
        for (int i = 0; i < o->nin; i++) uses[o->in[i]]--;
        ir_op_erase(g, id);
    }
    free(uses);
}

/* ---- The model ---------------------------------------------------------------------------------
 */

static const char *graph_name(const OnnxModel *m) {
    const char *name = m->graph.name;
    return name && name[0] ? name : "main";
}

IrGraph *fe_onnx_import_model(const OnnxModel *m, const FeOptions *opts, Diag *d) {
    FeOptions none;
    memset(&none, 0, sizeof none);
    Imp im;
    memset(&im, 0, sizeof im);
    im.m = m;
    im.opts = opts ? opts : &none;
    im.d = d;
    im.loc = diag_loc(m->file, 0, 0);
    arena_init(&im.scratch);
    strmap_init(&im.values);
    strmap_init(&im.inits);
    im.opset = onnx_model_opset(m, "");
    bool ok = true;
    if (im.opts->entry) {
        ok = imp_fail(&im,
                      "--entry %s: an ONNX model has one graph; --entry is for .g and .ir "
                      "files",
                      im.opts->entry);
    } else if (im.opset < 0) {
        ok = imp_fail(&im, "the model imports no opset of the default ONNX domain");
    } else if (im.opset > IMP_MAX_OPSET || im.opset < IMP_MIN_OPSET) {
        ok = imp_fail(&im,
                      "opset %lld of the default domain is not supported (accc imports "
                      "opsets up to %d)",
                      (long long)im.opset, IMP_MAX_OPSET);
    }
    if (ok) ok = check_ops(&im);
    if (ok) {
        im.g = ir_graph_new(graph_name(m));
        for (size_t i = 0; i < m->graph.ninitializers; i++)
            strmap_put(&im.inits, m->graph.initializers[i].name, (int64_t)i);
        ok = import_inputs(&im);
        int32_t max_ops = im.opts->max_ops ? im.opts->max_ops : FE_MAX_OPS;
        for (size_t i = 0; ok && i < m->graph.nnodes; i++) {
            import_node(&im, i);
            if (im.g->nops > max_ops) /* an unrolled RNN makes many */
                ok = imp_fail(&im, "the model makes more than %d IR ops", (int)max_ops);
        }
        ok = ok && d->nerrors == 0 && import_outputs(&im);
    }
    if (ok) {
        remove_unused(im.g);
        ok = ir_verify(im.g, d);
    }
    if (!ok && im.g) {
        ir_graph_free(im.g);
        im.g = NULL;
    }
    strmap_free(&im.values);
    strmap_free(&im.inits);
    arena_free(&im.scratch);
    return im.g;
}

IrGraph *fe_onnx_import(const char *path, const FeOptions *opts, Diag *d) {
    Arena a;
    arena_init(&a);
    OnnxModel *m;
    IrGraph *g = NULL;
    if (onnx_model_read(path, &a, d, &m) == 0) {
        FileDeps *deps = opts ? opts->deps : NULL;
        deps_add(deps, path);
        for (size_t i = 0; i < m->nexternal_files; i++) deps_add(deps, m->external_files[i]);
        g = fe_onnx_import_model(m, opts, d);
    }
    arena_free(&a);
    return g;
}

size_t fe_onnx_const_inputs(const OnnxModel *m, Arena *a, const char ***names) {
    /* Walk the nodes backwards: an input a node needs constant is needed,
     * and so is every input of a node whose output is needed (it must fold). */
    const OnnxGraph *og = &m->graph;
    StrSet needed;
    strset_init(&needed);
    for (size_t k = og->nnodes; k-- > 0;) {
        const OnnxNode *node = &og->nodes[k];
        const ImpOp *op = default_domain(node->domain) ? imp_op_lookup(node->op_type) : NULL;
        bool all = false;
        for (size_t j = 0; j < node->noutputs && !all; j++)
            all = node->outputs[j][0] && strset_has(&needed, node->outputs[j]);
        for (size_t j = 0; j < node->ninputs; j++) {
            bool need = all || (op && j < 32 && (op->const_inputs & (1u << j)));
            if (need && node->inputs[j][0]) strset_add(&needed, node->inputs[j]);
        }
    }
    *names = ARENA_ARRAY(a, const char *, og->ninputs + 1);
    size_t n = 0;
    for (size_t i = 0; i < og->ninputs; i++) {
        const char *in = og->inputs[i].name;
        if (strset_has(&needed, in) && !onnx_graph_initializer(og, in)) (*names)[n++] = in;
    }
    strset_free(&needed);
    return n;
}

/*
 * From syntax tree to IR: names, types, constants, ops and inlining.
 *
 * The entry graph is lowered statement by statement into one IrGraph; a
 * call of another graph lowers that graph's body in place (inlining), with
 * its inputs bound to the arguments and the dimension names of its
 * signature bound by the arguments' shapes, like a generic function's type
 * parameters. Every op goes through ir_op_finish, so the messages about
 * shapes, dtypes and attributes come from shape inference, at the
 * operator's or call's location.
 *
 * Errors do not stop the lowering: a name whose statement failed is
 * "poisoned", and everything computed from it is skipped quietly, so each
 * mistake is reported once and the rest of the program is still checked.
 */
#define _XOPEN_SOURCE 700 /* realpath(), to import each file once */
#include "lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The names that make parameters: not ops, not callable in expressions. */
static const char *const initialisers[] = {"zeros", "ones", "normal", "uniform", "load"};

/* ---- Scopes ---------------------------------------------------------------------- */

static Binding *lookup(Scope *s, const char *name) {
    for (int i = s->n - 1; i >= 0; i--)
        if (strcmp(s->b[i].name, name) == 0) return &s->b[i];
    return NULL;
}

/* Bind a name to a value. A number (p = k // 2) is also a constant, usable
 * in attributes and shapes; anything else hides an outer constant. */
void dsl_bind(Scope *s, const char *name, Val v, SrcLoc loc) {
    if (v.kind == V_LITERAL) {
        CVal c;
        memset(&c, 0, sizeof c);
        c.kind = v.is_float ? C_FLOAT : C_INT;
        c.f = v.num;
        c.loc = loc;
        /* An integer literal is exact below 2^63 in magnitude. */
        bool fits = v.num > -0x1p63 && v.num < 0x1p63;
        if (!v.is_float && fits) c.i = (int64_t)v.num;
        if (v.is_float || fits) dsl_const_bind(&s->consts, name, c);
    } else if (v.kind == V_ERROR) {
        CVal c;
        memset(&c, 0, sizeof c);
        c.kind = C_POISON;
        dsl_const_bind(&s->consts, name, c);
    } else {
        dsl_const_unbind(&s->consts, name);
    }
    Binding *b = lookup(s, name);
    if (!b) {
        size_t cap = (size_t)s->cap;
        XGROW(s->b, cap, (size_t)s->n + 1);
        s->cap = (int)cap;
        b = &s->b[s->n++];
        b->name = name;
    }
    b->val = v;
    b->loc = loc;
}

static GraphDef *find_graph(Lower *L, const char *name) {
    for (int i = 0; i < L->ngraphs; i++)
        if (strcmp(L->graphs[i]->name, name) == 0) return L->graphs[i];
    return NULL;
}

/* "; did you mean 'x'?" for an unknown name, from tensors and constants in
 * scope (and, for calls, ops and graphs). */
static const char *suggest_name(Lower *L, Scope *s, const char *name, bool callable) {
    size_t n = 0, cap = 0;
    const char **cands = NULL;
    if (s) {
        for (int i = 0; i < s->n; i++) {
            XGROW(cands, cap, n + 1);
            cands[n++] = s->b[i].name;
        }
        for (const ConstEnv *e = &s->consts; e; e = e->parent)
            for (int i = 0; i < e->n; i++) {
                XGROW(cands, cap, n + 1);
                cands[n++] = e->names[i];
            }
    }
    if (callable) {
        for (int k = 0; k < IR_OP_COUNT; k++) {
            XGROW(cands, cap, n + 1);
            cands[n++] = ir_op_name((IrOpKind)k);
        }
        for (int i = 0; i < L->ngraphs; i++) {
            XGROW(cands, cap, n + 1);
            cands[n++] = L->graphs[i]->name;
        }
    }
    const char *best = str_suggest(name, cands, n);
    free(cands);
    return best;
}

/* ---- Values ------------------------------------------------------------------------------ */

Val dsl_error_val(void) {
    Val v;
    memset(&v, 0, sizeof v);
    v.kind = V_ERROR;
    return v;
}

Val dsl_tensor_val(IrRef r, SrcLoc loc) {
    Val v = dsl_error_val();
    v.kind = r ? V_TENSOR : V_ERROR;
    v.ref = r;
    v.loc = loc;
    return v;
}

static const IrType *type_of(Lower *L, Val v) {
    return &L->g->vals[v.ref].type;
}

/* Give number literals a dtype from the tensors beside them: a float
 * literal takes the first float tensor's dtype, an integer literal the
 * first non-bool tensor's; with none, f32 and i64. */
static bool resolve_literals(Lower *L, Val *vals, int n) {
    AccDtype first_float = ACC_DTYPE_F32, first_num = ACC_DTYPE_COUNT;
    bool have_float = false;
    for (int i = 0; i < n; i++) {
        if (vals[i].kind == V_ERROR) return false;
        if (vals[i].kind != V_TENSOR) continue;
        AccDtype t = type_of(L, vals[i])->dtype;
        if (!have_float && (dtype_flags(t) & DT_FLOAT)) {
            first_float = t;
            have_float = true;
        }
        if (first_num == ACC_DTYPE_COUNT && t != ACC_DTYPE_BOOL) first_num = t;
    }
    for (int i = 0; i < n; i++) {
        if (vals[i].kind != V_LITERAL) continue;
        AccDtype t = vals[i].is_float               ? first_float
                     : first_num != ACC_DTYPE_COUNT ? first_num
                                                    : ACC_DTYPE_I64;
        vals[i] =
            dsl_tensor_val(ir_constant_scalar(L->g, t, vals[i].num, vals[i].loc), vals[i].loc);
    }
    return true;
}

static bool budget_ok(Lower *L, SrcLoc loc) {
    int32_t max = L->opts->max_ops ? L->opts->max_ops : FE_MAX_OPS;
    if (L->g->nops <= max) return true;
    if (!L->too_big)
        diag_error(L->d, loc, "the model has more than %d ops after inlining graph calls", max);
    L->too_big = true;
    return false;
}

/* ---- Expressions ------------------------------------------------------------------------- */

static Val lower_expr(Lower *L, Scope *s, const Node *n);
static int lower_call(Lower *L, Scope *s, const Node *call, Val *out, int max);
typedef struct CallArgs CallArgs;
static int lower_op_call_args(Lower *L, Scope *s, const Node *call, IrOpKind kind,
                              const char *opname, CallArgs *ca, Val *out, int max);

static Val lower_binary(Lower *L, Scope *s, const Node *n) {
    Val v[2] = {lower_expr(L, s, n->lhs), lower_expr(L, s, n->rhs)};
    if (v[0].kind == V_ERROR || v[1].kind == V_ERROR) return dsl_error_val();
    if (v[0].kind == V_LITERAL && v[1].kind == V_LITERAL && n->op != '@') {
        /* Number arithmetic is done now, by the constant evaluator's rules
         * (integer overflow and division by zero are errors); the result
         * stays a literal. */
        CVal c[2], r;
        for (int i = 0; i < 2; i++) {
            memset(&c[i], 0, sizeof c[i]);
            bool exact_int = !v[i].is_float && v[i].num > -0x1p63 && v[i].num < 0x1p63;
            c[i].kind = exact_int ? C_INT : C_FLOAT;
            c[i].i = exact_int ? (int64_t)v[i].num : 0;
            c[i].f = v[i].num;
            c[i].loc = v[i].loc;
        }
        if (!dsl_const_binary(L, n, &c[0], &c[1], &r)) return dsl_error_val();
        Val lit = v[0];
        lit.is_float = r.kind == C_FLOAT;
        lit.num = r.kind == C_FLOAT ? r.f : (double)r.i;
        lit.loc = n->loc;
        return lit;
    }
    if (n->op == OP_FLOORDIV) {
        diag_error(L->d, n->loc,
                   "'//' divides constants (shapes, attributes); use div() or "
                   "floor() on tensors");
        return dsl_error_val();
    }
    if (!resolve_literals(L, v, 2) || !budget_ok(L, n->loc)) return dsl_error_val();
    IrOpKind kind = n->op == '+'   ? IR_OP_add
                    : n->op == '-' ? IR_OP_sub
                    : n->op == '*' ? IR_OP_mul
                    : n->op == '/' ? IR_OP_div
                                   : IR_OP_matmul;
    IrRef in[2] = {v[0].ref, v[1].ref};
    return dsl_tensor_val(ir_build(L->g, kind, 2, in, L->d, n->loc), n->loc);
}

static Val lower_expr_node(Lower *L, Scope *s, const Node *n);

static Val lower_expr(Lower *L, Scope *s, const Node *n) {
    if (L->expr_depth >= MAX_EXPR_DEPTH) {
        if (!L->too_deep)
            diag_error(L->d, n->loc, "expressions nest more than %d deep here", MAX_EXPR_DEPTH);
        L->too_deep = true;
        return dsl_error_val();
    }
    L->expr_depth++;
    Val v = lower_expr_node(L, s, n);
    L->expr_depth--;
    return v;
}

static Val lower_expr_node(Lower *L, Scope *s, const Node *n) {
    Val v = dsl_error_val();
    v.loc = n->loc;
    switch (n->kind) {
    case N_INT:
    case N_FLOAT:
        v.kind = V_LITERAL;
        v.is_float = n->kind == N_FLOAT;
        v.num = n->kind == N_FLOAT ? n->f : n->i == INT64_MIN ? 0x1p63 : (double)n->i;
        return v;
    case N_NAME: {
        Binding *b = lookup(s, n->str);
        if (b) {
            v = b->val;
            if (v.kind == V_LITERAL) v.loc = n->loc;
            return v;
        }
        if (dsl_const_lookup(&s->consts, n->str)) {
            /* A dimension or an int/float parameter: a number. */
            CVal c;
            if (!dsl_eval_const(L, &s->consts, n, &c)) return v; /* a poisoned name */
            if (c.kind == C_INT || c.kind == C_FLOAT) {
                v.kind = V_LITERAL;
                v.is_float = c.kind == C_FLOAT;
                v.num = c.kind == C_FLOAT ? c.f : (double)c.i;
                return v;
            }
        }
        const char *hint = suggest_name(L, s, n->str, false);
        if (hint)
            diag_error(L->d, n->loc, "unknown name '%s'; did you mean '%s'?", n->str, hint);
        else
            diag_error(L->d, n->loc, "unknown name '%s'", n->str);
        return v;
    }
    case N_NEG: {
        Val x = lower_expr(L, s, n->lhs);
        if (x.kind == V_LITERAL) {
            x.num = -x.num;
            x.loc = n->loc;
            return x;
        }
        if (x.kind == V_ERROR || !budget_ok(L, n->loc)) return dsl_error_val();
        IrRef in = x.ref;
        return dsl_tensor_val(ir_build(L->g, IR_OP_neg, 1, &in, L->d, n->loc), n->loc);
    }
    case N_BINARY: return lower_binary(L, s, n);
    case N_CALL: {
        Val out[IR_MAX_RESULTS];
        int k = lower_call(L, s, n, out, IR_MAX_RESULTS);
        if (k < 0) return dsl_error_val();
        if (k != 1) {
            diag_error(L->d, n->loc,
                       "'%s' has %d results here; assign them all, as in a, b = %s(...)", n->str, k,
                       n->str);
            return dsl_error_val();
        }
        return out[0];
    }
    case N_BOOL:
        diag_error(L->d, n->loc, "true and false are attribute values, not tensors");
        return v;
    case N_STRING:
        diag_error(L->d, n->loc, "a string is an attribute value, not a tensor");
        return v;
    case N_LIST:
        diag_error(L->d, n->loc,
                   "a list is not a tensor here; declare it with 'param NAME: TYPE = [...]'");
        return v;
    case N_KWARG: break;
    }
    diag_error(L->d, n->loc, "a keyword argument cannot appear here");
    return v;
}

/* ---- Op calls ----------------------------------------------------------------------------- */

/* The arguments of a call, split into operands and keyword arguments. The
 * arrays are on the heap: calls nest as deep as expressions do. */
struct CallArgs {
    Val *args;
    const Node **kwargs;
    int nargs, nkw;
};

static void free_call_args(CallArgs *a) {
    free(a->args);
    free(a->kwargs);
}

static int lower_op_call(Lower *L, Scope *s, const Node *call, IrOpKind kind, Val *out, int max) {
    const char *opname = ir_op_name(kind);
    if (call->list.n > IR_MAX_OPERANDS) {
        diag_error(L->d, call->loc, "'%s' has more than %d arguments", opname, IR_MAX_OPERANDS);
        return -1;
    }
    CallArgs ca = {xcalloc((size_t)call->list.n + 1, sizeof(Val)),
                   xcalloc((size_t)call->list.n + 1, sizeof(const Node *)), 0, 0};
    int rc = lower_op_call_args(L, s, call, kind, opname, &ca, out, max);
    free_call_args(&ca);
    return rc;
}

static int lower_op_call_args(Lower *L, Scope *s, const Node *call, IrOpKind kind,
                              const char *opname, CallArgs *ca, Val *out, int max) {
    Val *args = ca->args;
    const Node **kwargs = ca->kwargs;
    int nargs = 0, nkw = 0;
    bool failed = false;
    for (int i = 0; i < call->list.n; i++) {
        const Node *a = call->list.items[i];
        if (a->kind == N_KWARG) {
            kwargs[nkw++] = a;
            continue;
        }
        if (nkw) {
            diag_error(L->d, a->loc, "a positional operand cannot follow keyword arguments");
            return -1;
        }
        args[nargs] = lower_expr(L, s, a);
        failed |= args[nargs++].kind == V_ERROR;
    }
    /* Attribute values are checked even when an operand failed. */
    IrAttr attrs[IR_MAX_ATTRS];
    int slots[IR_MAX_ATTRS], nattrs = 0;
    for (int i = 0; i < nkw; i++) {
        const Node *kw = kwargs[i];
        int slot = ir_attr_slot(kind, kw->str);
        if (slot < 0) {
            const IrOpInfo *info = ir_op_info(kind);
            const char *names[IR_MAX_ATTRS];
            for (int k = 0; k < info->nattrs; k++) names[k] = info->attrs[k].name;
            const char *hint = str_suggest(kw->str, names, (size_t)info->nattrs);
            if (hint)
                diag_error(L->d, kw->loc, "'%s' has no attribute '%s'; did you mean '%s'?", opname,
                           kw->str, hint);
            else if (info->nattrs == 0)
                diag_error(L->d, kw->loc, "'%s' has no attributes", opname);
            else
                diag_error(L->d, kw->loc, "'%s' has no attribute '%s'", opname, kw->str);
            failed = true;
            continue;
        }
        bool dup = false;
        for (int k = 0; k < nattrs; k++) dup |= slots[k] == slot;
        if (dup) {
            diag_error(L->d, kw->loc, "attribute '%s' is given twice", kw->str);
            failed = true;
            continue;
        }
        CVal v;
        if (!dsl_eval_const(L, &s->consts, kw->lhs, &v) ||
            !dsl_to_attr(L, &v, &ir_op_info(kind)->attrs[slot], opname, &attrs[nattrs])) {
            failed = true;
            continue;
        }
        slots[nattrs++] = slot;
    }
    if (failed || !resolve_literals(L, args, nargs) || !budget_ok(L, call->loc)) return -1;
    IrRef *in = xcalloc((size_t)nargs + 1, sizeof *in);
    for (int i = 0; i < nargs; i++) in[i] = args[i].ref;
    IrOpId op = ir_op_create(L->g, kind, nargs, in, call->loc);
    free(in);
    for (int i = 0; i < nattrs; i++)
        ir_set_attr(L->g, op, ir_op_info(kind)->attrs[slots[i]].name, &attrs[i]);
    if (!ir_op_finish(L->g, op, L->d)) return -1;
    int nout = L->g->ops[op].nout;
    if (nout > max) nout = max;
    for (int i = 0; i < nout; i++) out[i] = dsl_tensor_val(ir_op_result(L->g, op, i), call->loc);
    return L->g->ops[op].nout;
}

/* ---- Graph calls (inlining) --------------------------------------------------------------- */

static int lower_body(Lower *L, const GraphDef *gd, Scope *s, Val *out);

/* Bind the callee's signature: constants for int/float parameters, and
 * dimension names from the argument shapes. */
static bool bind_signature(Lower *L, const GraphDef *gd, const Node *call, Scope *caller,
                           const Val *args, Scope *callee) {
    bool ok = true;
    /* Plain-name dimensions first, so expressions like 2*N can use them. */
    for (int i = 0; i < gd->ninputs; i++) {
        const Decl *p = &gd->inputs[i];
        if (!p->type.tensor) continue;
        const IrType *t = type_of(L, args[i]);
        if (p->type.dims.n != t->rank) continue; /* reported below */
        for (int k = 0; k < t->rank; k++) {
            const Node *dim = p->type.dims.items[k];
            if (dim->kind != N_NAME) continue;
            bool bound_here = false; /* by an earlier input or an int parameter */
            for (int j = 0; j < callee->consts.n; j++)
                bound_here |= strcmp(callee->consts.names[j], dim->str) == 0;
            if (!bound_here) {
                CVal v;
                memset(&v, 0, sizeof v);
                v.kind = C_INT;
                v.i = t->dims[k];
                v.loc = dim->loc;
                dsl_const_bind(&callee->consts, dim->str, v);
            }
        }
    }
    for (int i = 0; i < gd->ninputs && ok; i++) {
        const Decl *p = &gd->inputs[i];
        const Node *arg = call->list.items[i];
        if (!p->type.tensor) continue;
        const IrType *t = type_of(L, args[i]);
        IrType want;
        if (!dsl_eval_type(L, &callee->consts, &p->type, &want)) return false;
        if (!ir_type_equal(&want, t)) {
            char got[160];
            snprintf(got, sizeof got, "%s", ir_type_str(t));
            diag_error(L->d, arg->loc,
                       "argument '%s' of '%s' is %s, but '%s' declares %s (here %s)", p->name,
                       gd->name, got, gd->name, dsl_type_text(L, &p->type), ir_type_str(&want));
            ok = false;
        }
    }
    (void)caller;
    return ok;
}

static int lower_graph_call(Lower *L, Scope *s, const Node *call, GraphDef *gd, Val *out, int max) {
    if (gd->failed) return -1;
    for (int i = 0; i < L->depth; i++)
        if (L->stack[i] == gd) {
            diag_error(L->d, call->loc,
                       "'%s' calls itself (through %s); graphs are inlined, so "
                       "they cannot recurse",
                       gd->name, L->stack[L->depth - 1]->name);
            return -1;
        }
    if (L->depth == MAX_INLINE_DEPTH) {
        diag_error(L->d, call->loc, "graph calls nest more than %d deep", MAX_INLINE_DEPTH);
        return -1;
    }
    int npos = 0;
    for (int i = 0; i < call->list.n; i++) {
        if (call->list.items[i]->kind == N_KWARG) {
            diag_error(L->d, call->list.items[i]->loc,
                       "graph '%s' takes its inputs by position, not by keyword", gd->name);
            return -1;
        }
        npos++;
    }
    if (npos != gd->ninputs) {
        diag_error(L->d, call->loc, "graph '%s' takes %d input%s, got %d", gd->name, gd->ninputs,
                   gd->ninputs == 1 ? "" : "s", npos);
        return -1;
    }
    Scope callee;
    memset(&callee, 0, sizeof callee);
    callee.graph = gd;
    callee.consts.parent = &L->globals;
    Val *args = xcalloc((size_t)(npos ? npos : 1), sizeof *args);
    bool failed = false;
    for (int i = 0; i < npos; i++) {
        const Decl *p = &gd->inputs[i];
        const Node *a = call->list.items[i];
        if (!p->type.tensor) {
            /* An int or float parameter takes a constant. */
            CVal v;
            if (!dsl_eval_const(L, &s->consts, a, &v)) {
                failed = true;
                continue;
            }
            bool is_int = strcmp(p->type.dtype, "int") == 0;
            if (is_int ? v.kind != C_INT : v.kind != C_INT && v.kind != C_FLOAT) {
                diag_error(L->d, a->loc, "argument '%s' of '%s' must be %s, got %s", p->name,
                           gd->name, is_int ? "an int" : "a number", dsl_ckind_name(&v));
                failed = true;
                continue;
            }
            if (!is_int && v.kind == C_INT) v.kind = C_FLOAT, v.f = (double)v.i;
            dsl_const_bind(&callee.consts, p->name, v);
            continue;
        }
        args[i] = lower_expr(L, s, a);
        failed |= args[i].kind == V_ERROR;
    }
    int n = -1;
    if (!failed && resolve_literals(L, args, npos)) {
        for (int i = 0; i < npos && !failed; i++) {
            const Decl *p = &gd->inputs[i];
            if (!p->type.tensor) continue;
            if (p->type.dims.n != type_of(L, args[i])->rank) {
                diag_error(L->d, call->list.items[i]->loc,
                           "argument '%s' of '%s' is %s, but '%s' declares %s", p->name, gd->name,
                           ir_type_str(type_of(L, args[i])), gd->name, dsl_type_text(L, &p->type));
                failed = true;
            }
        }
        if (!failed && bind_signature(L, gd, call, s, args, &callee)) {
            for (int i = 0; i < npos; i++)
                if (gd->inputs[i].type.tensor)
                    dsl_bind(&callee, gd->inputs[i].name, args[i], gd->inputs[i].loc);
            L->stack[L->depth++] = gd;
            Val results[IR_MAX_RESULTS];
            n = lower_body(L, gd, &callee, results);
            L->depth--;
            if (n < 0) gd->failed = true;
            for (int i = 0; i < n && i < max; i++) out[i] = results[i];
        }
    }
    free(args);
    free(callee.b);
    dsl_const_free(&callee.consts);
    return n;
}

static int lower_call(Lower *L, Scope *s, const Node *call, Val *out, int max) {
    GraphDef *gd = find_graph(L, call->str);
    if (gd) return lower_graph_call(L, s, call, gd, out, max);
    int kind = ir_op_lookup(call->str, strlen(call->str));
    if (kind == IR_OP_constant) {
        diag_error(L->d, call->loc, "constants are made with 'param NAME: TYPE = ...'");
        return -1;
    }
    if (kind >= 0 && ir_attr_slot((IrOpKind)kind, "body") >= 0) {
        diag_error(L->d, call->loc,
                   "'%s' is a kernel the compiler's passes make; it cannot be written in the DSL",
                   call->str);
        return -1;
    }
    if (kind >= 0) return lower_op_call(L, s, call, (IrOpKind)kind, out, max);
    for (size_t i = 0; i < ACC_ARRAY_LEN(initialisers); i++)
        if (strcmp(call->str, initialisers[i]) == 0) {
            diag_error(L->d, call->loc,
                       "'%s' initialises a parameter: write 'param NAME: TYPE = %s(...)'",
                       call->str, call->str);
            return -1;
        }
    const char *hint = suggest_name(L, NULL, call->str, true);
    if (hint)
        diag_error(L->d, call->loc, "unknown op '%s'; did you mean '%s'?", call->str, hint);
    else
        diag_error(L->d, call->loc, "unknown op or graph '%s'", call->str);
    return -1;
}

/* ---- Statements and graphs ---------------------------------------------------------------- */

static void lower_assign(Lower *L, Scope *s, const Stmt *st) {
    Val out[IR_MAX_RESULTS];
    int n;
    /* Values made by this statement take its names, even when an inlined
     * graph named them after its own outputs. */
    int32_t first_new = L->g->nvals;
    bool graph_call = st->value->kind == N_CALL && find_graph(L, st->value->str);
    if (st->ntargets == 1) {
        out[0] = lower_expr(L, s, st->value);
        n = out[0].kind == V_ERROR ? -1 : 1;
    } else if (st->value->kind != N_CALL) {
        diag_error(L->d, st->target_locs[1], "only a call can give %d results", st->ntargets);
        n = -1;
    } else {
        n = lower_call(L, s, st->value, out, IR_MAX_RESULTS);
        if (n >= 0 && n != st->ntargets) {
            diag_error(L->d, st->value->loc, "'%s' gives %d result%s, but %d names are assigned",
                       st->value->str, n, n == 1 ? "" : "s", st->ntargets);
            n = -1;
        }
    }
    for (int i = 0; i < st->ntargets; i++) {
        Val v = n < 0 ? dsl_error_val() : out[i];
        if (v.kind == V_TENSOR && (!L->g->vals[v.ref].name || (graph_call && v.ref >= first_new)))
            ir_value_set_name(L->g, v.ref, st->targets[i]);
        dsl_bind(s, st->targets[i], v, st->target_locs[i]);
    }
}

/* Lower a graph's statements in scope s (inputs bound); fills out with its
 * outputs. Returns the number of outputs, or -1 after errors. */
static int lower_body(Lower *L, const GraphDef *gd, Scope *s, Val *out) {
    int errors = L->d->nerrors;
    for (int i = 0; i < gd->nstmts && !L->too_big; i++) {
        const Stmt *st = &gd->stmts[i];
        if (st->kind == S_PARAM)
            dsl_lower_param(L, s, st);
        else
            lower_assign(L, s, st);
    }
    bool ok = true;
    for (int i = 0; i < gd->noutputs && i < IR_MAX_RESULTS; i++) {
        const Decl *o = &gd->outputs[i];
        Binding *b = lookup(s, o->name);
        out[i] = dsl_error_val();
        if (!b) {
            diag_error(L->d, o->loc, "output '%s' of '%s' is never assigned", o->name, gd->name);
            ok = false;
            continue;
        }
        Val v = b->val;
        if (v.kind == V_LITERAL) {
            AccDtype dt = ACC_DTYPE_F32;
            if (o->type.tensor) dsl_eval_dtype(L, &o->type, &dt);
            v = dsl_tensor_val(ir_constant_scalar(L->g, dt, v.num, v.loc), v.loc);
        }
        if (v.kind == V_ERROR) {
            ok = false;
            continue;
        }
        IrType want;
        if (!dsl_eval_type(L, &s->consts, &o->type, &want)) {
            ok = false;
            continue;
        }
        if (!ir_type_equal(&want, type_of(L, v))) {
            char declared[160];
            snprintf(declared, sizeof declared, "%s", ir_type_str(&want));
            diag_error(L->d, b->loc, "output '%s' is declared %s, but this value is %s", o->name,
                       declared, ir_type_str(type_of(L, v)));
            ok = false;
            continue;
        }
        out[i] = v;
    }
    if (gd->noutputs > IR_MAX_RESULTS) {
        diag_error(L->d, gd->loc, "a graph has at most %d outputs", IR_MAX_RESULTS);
        ok = false;
    }
    return ok && L->d->nerrors == errors ? gd->noutputs : -1;
}

static IrGraph *lower_entry(Lower *L, const GraphDef *gd) {
    L->g = ir_graph_new(gd->name);
    Scope s;
    memset(&s, 0, sizeof s);
    s.graph = gd;
    s.consts.parent = &L->globals;
    bool ok = true;
    for (int i = 0; i < gd->ninputs; i++) {
        const Decl *p = &gd->inputs[i];
        IrType t;
        if (!p->type.tensor) {
            diag_error(L->d, p->type.loc,
                       "the entry graph '%s' cannot take an %s parameter; give '%s' a tensor type",
                       gd->name, p->type.dtype, p->name);
            ok = false;
            continue;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(gd->inputs[j].name, p->name) == 0) {
                diag_error(L->d, p->loc, "input '%s' is declared twice", p->name);
                ok = false;
            }
        if (!dsl_eval_type(L, &s.consts, &p->type, &t)) {
            ok = false;
            continue;
        }
        dsl_bind(&s, p->name, dsl_tensor_val(ir_add_input(L->g, p->name, &t), p->loc), p->loc);
    }
    for (int i = 0; i < gd->noutputs; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(gd->outputs[j].name, gd->outputs[i].name) == 0) {
                diag_error(L->d, gd->outputs[i].loc, "output '%s' is declared twice",
                           gd->outputs[i].name);
                ok = false;
            }
    if (gd->noutputs == 0) {
        diag_error(L->d, gd->loc, "graph '%s' has no outputs; the entry graph needs one", gd->name);
        ok = false;
    }
    L->stack[L->depth++] = gd;
    Val out[IR_MAX_RESULTS];
    int n = ok ? lower_body(L, gd, &s, out) : -1;
    L->depth--;
    for (int i = 0; i < n; i++) ir_add_output(L->g, gd->outputs[i].name, out[i].ref);
    free(s.b);
    dsl_const_free(&s.consts);
    if (n < 0 || diag_failed(L->d)) {
        ir_graph_free(L->g);
        return NULL;
    }
    if (!ir_verify(L->g, L->d)) ice("the DSL made a graph the verifier rejects");
    return L->g;
}

/* ---- Files and imports ---------------------------------------------------------------------- */

static void add_file_graphs(Lower *L, FileAst *ast, const char *dir, bool main_file) {
    for (int i = 0; i < ast->ngraphs; i++) {
        GraphDef *gd = &ast->graphs[i];
        gd->dir = arena_strdup(&L->arena, dir);
        gd->main_file = main_file;
        const GraphDef *prev = find_graph(L, gd->name);
        if (prev) {
            diag_error(L->d, gd->loc, "graph '%s' is defined twice", gd->name);
            diag_note(L->d, prev->loc, "the first definition is here");
            continue;
        }
        if (ir_op_lookup(gd->name, strlen(gd->name)) >= 0) {
            diag_error(L->d, gd->loc, "graph '%s' has the name of an op", gd->name);
            continue;
        }
        size_t cap = (size_t)L->capgraphs;
        XGROW(L->graphs, cap, (size_t)L->ngraphs + 1);
        L->capgraphs = (int)cap;
        L->graphs[L->ngraphs++] = gd;
    }
}

static bool already_read(Lower *L, const char *path) {
    char *real = realpath(path, NULL);
    const char *key = real ? real : path;
    for (int i = 0; i < L->nfiles; i++)
        if (strcmp(L->files[i], key) == 0) {
            free(real);
            return true;
        }
    size_t cap = (size_t)L->capfiles;
    XGROW(L->files, cap, (size_t)L->nfiles + 1);
    L->capfiles = (int)cap;
    L->files[L->nfiles++] = real ? real : xstrdup(path);
    return false;
}

static void read_file(Lower *L, const char *name, const char *text, size_t len, const char *dir,
                      bool main_file, int depth);

static void read_imports(Lower *L, FileAst *ast, const char *dir, int depth) {
    for (int i = 0; i < ast->nimports; i++) {
        const ImportDef *imp = &ast->imports[i];
        if (L->opts->no_files) {
            diag_error(L->d, imp->loc, "import is disabled here");
            continue;
        }
        char *path = path_join(dir, imp->path);
        if (depth >= 32) {
            diag_error(L->d, imp->loc, "imports nest more than 32 deep");
        } else if (!already_read(L, path)) {
            size_t len;
            char err[512];
            char *text = file_read(path, &len, err, sizeof err);
            if (!text) {
                diag_error(L->d, imp->loc, "%s", err);
            } else {
                deps_add(L->opts->deps, path);
                char *sub = path_dirname(path);
                read_file(L, path, text, len, sub, false, depth + 1);
                free(sub);
                free(text);
            }
        }
        free(path);
    }
}

static void read_file(Lower *L, const char *name, const char *text, size_t len, const char *dir,
                      bool main_file, int depth) {
    FileAst *ast = ARENA_NEW(&L->arena, FileAst);
    ast->arena = &L->arena;
    dsl_parse_text(ast, name, text, len, L->d);
    if (main_file) L->main_file = ast->file;
    read_imports(L, ast, dir, depth);
    for (int i = 0; i < ast->ndims; i++) {
        const DimDef *dim = &ast->dims[i];
        bool overridden = false;
        for (int k = 0; k < L->opts->ndefines; k++)
            overridden |= strcmp(L->opts->defines[k].name, dim->name) == 0;
        if (overridden) continue;
        if (dsl_const_lookup(&L->globals, dim->name)) {
            diag_error(L->d, dim->loc, "dimension '%s' is declared twice", dim->name);
            continue;
        }
        CVal v;
        if (!dsl_eval_const(L, &L->globals, dim->value, &v)) continue;
        if (v.kind != C_INT || v.i < 0) {
            diag_error(L->d, dim->value->loc, "dim '%s' needs a non-negative int, got %s",
                       dim->name, v.kind == C_INT ? "a negative one" : dsl_ckind_name(&v));
            continue;
        }
        dsl_const_bind(&L->globals, dim->name, v);
    }
    add_file_graphs(L, ast, dir, main_file);
}

IrGraph *fe_dsl_parse(const char *name, const char *text, size_t len, const char *dir,
                      const FeOptions *opts, Diag *d) {
    FeOptions none;
    memset(&none, 0, sizeof none);
    Lower L;
    memset(&L, 0, sizeof L);
    L.d = d;
    L.opts = opts ? opts : &none;
    arena_init(&L.arena);
    for (int i = 0; i < L.opts->ndefines; i++) {
        CVal v;
        memset(&v, 0, sizeof v);
        v.kind = C_INT;
        v.i = L.opts->defines[i].value;
        dsl_const_bind(&L.globals, L.opts->defines[i].name, v);
    }
    int errors = d->nerrors;
    if (strcmp(name, "-") != 0 && !L.opts->no_files) already_read(&L, name);
    read_file(&L, name, text, len, dir ? dir : ".", true, 0);

    IrGraph *g = NULL;
    const GraphDef *entry = NULL;
    if (L.opts->entry) {
        entry = find_graph(&L, L.opts->entry);
        if (!entry && d->nerrors == errors) {
            const char *names[64];
            size_t n = 0;
            for (int i = 0; i < L.ngraphs && n < 64; i++) names[n++] = L.graphs[i]->name;
            const char *hint = str_suggest(L.opts->entry, names, n);
            diag_error(d, diag_loc(0, 0, 0), "no graph named '%s'%s%s%s", L.opts->entry,
                       hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        }
    } else {
        for (int i = 0; i < L.ngraphs; i++)
            if (L.graphs[i]->main_file) entry = L.graphs[i];
        if (!entry && d->nerrors == errors)
            diag_error(d, diag_loc(L.main_file, 0, 0), "no graph in this file");
    }
    if (entry && d->nerrors == errors) g = lower_entry(&L, entry);
    for (int i = 0; i < L.nfiles; i++) free(L.files[i]);
    free(L.files);
    free(L.graphs);
    dsl_const_free(&L.globals);
    arena_free(&L.arena);
    return g;
}

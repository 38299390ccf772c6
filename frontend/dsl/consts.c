/*
 * The DSL's compile-time constants: named dimensions and int/float
 * parameters, the constant expressions of shapes, attributes and
 * initialiser arguments, and tensor types.
 */
#include "lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Environments ----------------------------------------------------------------- */

const CVal *dsl_const_lookup(const ConstEnv *env, const char *name) {
    for (; env; env = env->parent)
        for (int i = env->n - 1; i >= 0; i--)
            if (strcmp(env->names[i], name) == 0) return &env->vals[i];
    return NULL;
}

void dsl_const_bind(ConstEnv *env, const char *name, CVal v) {
    for (int i = 0; i < env->n; i++)
        if (strcmp(env->names[i], name) == 0) {
            env->vals[i] = v;
            return;
        }
    size_t cap = (size_t)env->cap;
    XGROW(env->names, cap, (size_t)env->n + 1);
    cap = (size_t)env->cap;
    XGROW(env->vals, cap, (size_t)env->n + 1);
    env->cap = (int)cap;
    env->names[env->n] = name;
    env->vals[env->n++] = v;
}

void dsl_const_free(ConstEnv *env) {
    free(env->names);
    free(env->vals);
    memset(env, 0, sizeof *env);
}

void dsl_const_unbind(ConstEnv *env, const char *name) {
    for (int i = 0; i < env->n; i++)
        if (strcmp(env->names[i], name) == 0) {
            env->names[i] = env->names[env->n - 1];
            env->vals[i] = env->vals[env->n - 1];
            env->n--;
            return;
        }
}

/* ---- Constant expressions --------------------------------------------------------- */

const char *dsl_ckind_name(const CVal *v) {
    switch (v->kind) {
    case C_INT: return "an int";
    case C_FLOAT: return "a float";
    case C_BOOL: return "a bool";
    case C_STR: return "a string";
    case C_DTYPE: return "a dtype";
    case C_LIST: return "a list";
    case C_POISON: break;
    }
    return "?";
}

const char *dsl_op_text(char op) {
    switch (op) {
    case '+': return "+";
    case '-': return "-";
    case '*': return "*";
    case '/': return "/";
    case '@': return "@";
    default: return "//";
    }
}

static bool mul_overflows(int64_t x, int64_t y) {
    if (x > 0) return y > 0 ? x > INT64_MAX / y : y < INT64_MIN / x;
    if (y > 0) return x < INT64_MIN / y;
    return x != 0 && y < INT64_MAX / x;
}

bool dsl_const_binary(Lower *L, const Node *n, const CVal *a, const CVal *b, CVal *out) {
    bool num_a = a->kind == C_INT || a->kind == C_FLOAT,
         num_b = b->kind == C_INT || b->kind == C_FLOAT;
    if (!num_a || !num_b) {
        diag_error(L->d, n->loc, "'%s' needs numbers here, got %s and %s", dsl_op_text(n->op),
                   dsl_ckind_name(a), dsl_ckind_name(b));
        return false;
    }
    if (n->op == '@') {
        diag_error(L->d, n->loc, "'@' multiplies tensors; this expression is a constant");
        return false;
    }

    memset(out, 0, sizeof *out);
    out->loc = n->loc;
    if (a->kind == C_INT && b->kind == C_INT) {
        int64_t x = a->i, y = b->i, r = 0;
        bool overflow = false;
        switch (n->op) {
        case '+':
            overflow = (y > 0 && x > INT64_MAX - y) || (y < 0 && x < INT64_MIN - y);
            if (!overflow) r = x + y;
            break;
        case '-':
            overflow = (y < 0 && x > INT64_MAX + y) || (y > 0 && x < INT64_MIN + y);
            if (!overflow) r = x - y;
            break;
        case '*':
            overflow = mul_overflows(x, y);
            if (!overflow) r = x * y;
            break;
        case '/':
        case OP_FLOORDIV:
            if (y == 0 || (x == INT64_MIN && y == -1)) {
                diag_error(L->d, n->loc, "division by %lld in a constant expression", (long long)y);
                return false;
            }
            if (n->op == '/' && x % y != 0) break; /* not whole: a float, below */
            r = x / y;
            if (n->op == OP_FLOORDIV && x % y != 0 && (x < 0) != (y < 0)) r--;
            break;
        }
        if (overflow) {
            diag_error(L->d, n->loc, "integer overflow in a constant expression");
            return false;
        }
        if (n->op != '/' || x % y == 0) {
            out->kind = C_INT;
            out->i = r;
            return true;
        }
    }
    double x = a->kind == C_INT ? (double)a->i : a->f, y = b->kind == C_INT ? (double)b->i : b->f;
    out->kind = C_FLOAT;
    out->f = n->op == '+'   ? x + y
             : n->op == '-' ? x - y
             : n->op == '*' ? x * y
             : n->op == '/' ? x / y
                            : floor(x / y);
    return true;
}

static bool eval_const_node(Lower *L, const ConstEnv *env, const Node *n, CVal *out);

bool dsl_eval_const(Lower *L, const ConstEnv *env, const Node *n, CVal *out) {
    if (L->expr_depth >= MAX_EXPR_DEPTH) {
        memset(out, 0, sizeof *out);
        if (!L->too_deep)
            diag_error(L->d, n->loc, "expressions nest more than %d deep here", MAX_EXPR_DEPTH);
        L->too_deep = true;
        return false;
    }
    L->expr_depth++;
    bool ok = eval_const_node(L, env, n, out);
    L->expr_depth--;
    return ok;
}

/* Numbers, bools, strings, dtypes, names of constants, lists, arithmetic. */
static bool eval_const_node(Lower *L, const ConstEnv *env, const Node *n, CVal *out) {
    memset(out, 0, sizeof *out);
    out->loc = n->loc;
    switch (n->kind) {
    case N_INT:
        if (n->i == INT64_MIN) { /* 2^63, valid only negated */
            diag_error(L->d, n->loc, "integer 9223372036854775808 does not fit in 64 bits");
            return false;
        }
        out->kind = C_INT, out->i = n->i;
        return true;
    case N_FLOAT: out->kind = C_FLOAT, out->f = n->f; return true;
    case N_BOOL: out->kind = C_BOOL, out->i = n->i; return true;
    case N_STRING: out->kind = C_STR, out->s = n->str; return true;
    case N_NAME: {
        const CVal *v = dsl_const_lookup(env, n->str);
        if (v && v->kind == C_POISON) return false; /* already reported */
        if (v) {
            *out = *v;
            out->loc = n->loc;
            return true;
        }
        int t = dtype_lookup(n->str, strlen(n->str));
        if (t >= 0 && (dtype_flags((AccDtype)t) & DT_IR)) {
            out->kind = C_DTYPE;
            out->t = (AccDtype)t;
            return true;
        }
        if (strcmp(n->str, "inf") == 0 || strcmp(n->str, "nan") == 0) {
            out->kind = C_FLOAT;
            out->f = n->str[0] == 'i' ? INFINITY : NAN;
            return true;
        }
        diag_error(L->d, n->loc,
                   "'%s' is not a constant here: attributes and shapes take numbers, lists, "
                   "strings, dtypes and dimension names",
                   n->str);
        return false;
    }
    case N_NEG: {
        if (n->lhs->kind == N_INT && n->lhs->i == INT64_MIN) { /* -2^63 */
            out->kind = C_INT;
            out->i = INT64_MIN;
            return true;
        }
        if (!dsl_eval_const(L, env, n->lhs, out)) return false;
        if (out->kind == C_INT && out->i != INT64_MIN) {
            out->i = -out->i;
        } else if (out->kind == C_FLOAT) {
            out->f = -out->f;
        } else {
            diag_error(L->d, n->loc, "'-' needs a number here, got %s", dsl_ckind_name(out));
            return false;
        }
        out->loc = n->loc;
        return true;
    }
    case N_BINARY: {
        CVal a, b;
        return dsl_eval_const(L, env, n->lhs, &a) && dsl_eval_const(L, env, n->rhs, &b) &&
               dsl_const_binary(L, n, &a, &b, out);
    }
    case N_LIST: {
        out->kind = C_LIST;
        out->n = n->list.n;
        out->items = ARENA_ARRAY(&L->arena, CVal, n->list.n ? n->list.n : 1);
        for (int i = 0; i < n->list.n; i++)
            if (!dsl_eval_const(L, env, n->list.items[i], &out->items[i])) return false;
        return true;
    }
    case N_CALL:
        diag_error(L->d, n->loc,
                   "'%s(...)' is not a constant; attributes and shapes take numbers, "
                   "lists, strings, dtypes and dimension names",
                   n->str);
        return false;
    case N_KWARG: break;
    }
    diag_error(L->d, n->loc, "a keyword argument cannot appear here");
    return false;
}

/* A constant as an attribute of the schema's kind. */
bool dsl_to_attr(Lower *L, const CVal *v, const IrAttrSchema *s, const char *op, IrAttr *a) {
    memset(a, 0, sizeof *a);
    a->kind = s->kind;
    const char *want = NULL;
    switch (s->kind) {
    case IR_ATTR_INT:
        if (v->kind == C_INT) return a->u.i = v->i, true;
        want = "an int";
        break;
    case IR_ATTR_FLOAT:
        if (v->kind == C_FLOAT) return a->u.f = v->f, true;
        if (v->kind == C_INT) return a->u.f = (double)v->i, true;
        want = "a number";
        break;
    case IR_ATTR_BOOL:
        if (v->kind == C_BOOL) return a->u.i = v->i, true;
        want = "true or false";
        break;
    case IR_ATTR_STR:
        if (v->kind == C_STR && s->choices) {
            StrBuf all;
            sb_init(&all);
            for (const char *const *c = s->choices; *c; c++) {
                if (strcmp(*c, v->s) == 0) {
                    sb_free(&all);
                    return a->u.s = v->s, true;
                }
                sb_printf(&all, "%s\"%s\"", c == s->choices ? "" : ", ", *c);
            }
            diag_error(L->d, v->loc, "attribute '%s' of '%s' must be one of %s, not \"%s\"",
                       s->name, op, all.data, v->s);
            sb_free(&all);
            return false;
        }
        if (v->kind == C_STR) return a->u.s = v->s, true;
        want = "a string such as \"...\"";
        break;
    case IR_ATTR_DTYPE:
        if (v->kind == C_DTYPE) return a->u.t = v->t, true;
        want = "a dtype such as f16";
        break;
    case IR_ATTR_INTS:
    case IR_ATTR_FLOATS: {
        bool floats = s->kind == IR_ATTR_FLOATS;
        want = floats ? "a list of numbers, e.g. [0.5, 1.0]" : "a list of ints, e.g. [1, 1]";
        if (v->kind != C_LIST) break;
        a->n = v->n;
        if (floats)
            a->u.fs = ARENA_ARRAY(&L->arena, double, v->n ? v->n : 1);
        else
            a->u.is = ARENA_ARRAY(&L->arena, int64_t, v->n ? v->n : 1);
        for (int i = 0; i < v->n; i++) {
            const CVal *e = &v->items[i];
            if (e->kind == C_INT && floats) {
                a->u.fs[i] = (double)e->i;
            } else if (e->kind == C_INT) {
                a->u.is[i] = e->i;
            } else if (e->kind == C_FLOAT && floats) {
                a->u.fs[i] = e->f;
            } else {
                diag_error(L->d, e->loc, "attribute '%s' of '%s' expects %s; this entry is %s",
                           s->name, op, want, dsl_ckind_name(e));
                return false;
            }
        }
        return true;
    }
    default: want = "a value the DSL cannot write"; break;
    }
    diag_error(L->d, v->loc, "attribute '%s' of '%s' expects %s, got %s", s->name, op, want,
               dsl_ckind_name(v));
    return false;
}

/* ---- Types ---------------------------------------------------------------------------- */

static int prec(const Node *n) {
    if (n->kind != N_BINARY) return 3;
    return n->op == '+' || n->op == '-' ? 1 : 2;
}

static void node_text(StrBuf *sb, const Node *n);

/* A child of a binary node, in parentheses when precedence needs them. */
static void child_text(StrBuf *sb, const Node *parent, const Node *child, bool right) {
    bool parens = prec(child) < prec(parent) || (right && prec(child) == prec(parent));
    if (parens) sb_putc(sb, '(');
    node_text(sb, child);
    if (parens) sb_putc(sb, ')');
}

static void node_text(StrBuf *sb, const Node *n) {
    switch (n->kind) {
    case N_INT: sb_printf(sb, "%lld", (long long)n->i); break;
    case N_NAME: sb_puts(sb, n->str); break;
    case N_NEG:
        sb_putc(sb, '-');
        node_text(sb, n->lhs);
        break;
    case N_BINARY:
        child_text(sb, n, n->lhs, false);
        sb_printf(sb, " %s ", dsl_op_text(n->op));
        child_text(sb, n, n->rhs, true);
        break;
    default: sb_puts(sb, "?"); break;
    }
}

/* "f32[K, M]" as written. */
const char *dsl_type_text(Lower *L, const TypeExpr *t) {
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, t->dtype);
    if (t->tensor) {
        sb_putc(&sb, '[');
        for (int i = 0; i < t->dims.n; i++) {
            if (i) sb_puts(&sb, ", ");
            node_text(&sb, t->dims.items[i]);
        }
        sb_putc(&sb, ']');
    }
    char *s = arena_strdup(&L->arena, sb.data);
    sb_free(&sb);
    return s;
}

bool dsl_eval_dtype(Lower *L, const TypeExpr *t, AccDtype *dt) {
    int k = dtype_lookup(t->dtype, strlen(t->dtype));
    if (k < 0 || !(dtype_flags((AccDtype)k) & DT_IR)) {
        const char *names[ACC_DTYPE_COUNT];
        for (int i = 0; i < ACC_DTYPE_COUNT; i++)
            names[i] = (dtype_flags((AccDtype)i) & DT_IR) ? dtype_name((AccDtype)i) : NULL;
        const char *hint = str_suggest(t->dtype, names, ACC_DTYPE_COUNT);
        if (hint)
            diag_error(L->d, t->loc, "unknown dtype '%s'; did you mean '%s'?", t->dtype, hint);
        else
            diag_error(L->d, t->loc, "unknown dtype '%s' (f32 f16 bf16 i8 u8 i32 i64 bool)",
                       t->dtype);
        return false;
    }
    *dt = (AccDtype)k;
    return true;
}

/* One dimension: a non-negative int. */
static bool eval_dim(Lower *L, const ConstEnv *env, const Node *n, int64_t *out) {
    if (n->kind == N_NAME && !dsl_const_lookup(env, n->str)) {
        diag_error(L->d, n->loc,
                   "dimension '%s' is not bound: declare 'dim %s = ...' or pass -D %s=VALUE",
                   n->str, n->str, n->str);
        return false;
    }
    CVal v;
    if (!dsl_eval_const(L, env, n, &v)) return false;
    if (v.kind != C_INT || v.i < 0) {
        diag_error(L->d, n->loc, "a dimension must be a non-negative int, not %s",
                   v.kind == C_INT ? "negative" : dsl_ckind_name(&v));
        return false;
    }
    *out = v.i;
    return true;
}

bool dsl_eval_type(Lower *L, const ConstEnv *env, const TypeExpr *t, IrType *out) {
    memset(out, 0, sizeof *out);
    if (!t->tensor) {
        diag_error(L->d, t->loc, "expected a tensor type such as %s[2, 3]", t->dtype);
        return false;
    }
    if (!dsl_eval_dtype(L, t, &out->dtype)) return false;
    if (t->dims.n > IR_MAX_RANK) {
        diag_error(L->d, t->loc, "a tensor has at most %d dimensions", IR_MAX_RANK);
        return false;
    }
    out->rank = t->dims.n;
    for (int i = 0; i < t->dims.n; i++)
        if (!eval_dim(L, env, t->dims.items[i], &out->dims[i])) return false;
    if (ir_type_count(out) < 0) {
        diag_error(L->d, t->loc, "%s has too many elements", dsl_type_text(L, t));
        return false;
    }
    return true;
}

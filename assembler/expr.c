/*
 * The assembler's symbols, its cursor over one line's tokens, and
 * expressions: parsed into trees in pass 1, evaluated when their symbols
 * are known (pass 2), or at once where layout needs them.
 */
#include "asmint.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_name(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static Symbol **sym_slot(SymTab *t, const char *name) {
    size_t i = (size_t)hash_name(name) & (t->cap - 1);
    while (t->slots[i] && strcmp(t->slots[i]->name, name)) i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

Symbol *asm_sym_find(SymTab *t, const char *name) {
    return t->cap ? *sym_slot(t, name) : NULL;
}

void asm_sym_insert(SymTab *t, Symbol *s) {
    if (2 * (t->n + 1) > t->cap) {
        size_t old = t->cap;
        Symbol **slots = t->slots;
        t->cap = old ? 2 * old : 256;
        t->slots = xcalloc(t->cap, sizeof *t->slots);
        for (size_t i = 0; i < old; i++)
            if (slots[i]) *sym_slot(t, slots[i]->name) = slots[i];
        free(slots);
    }
    *sym_slot(t, s->name) = s;
    t->n++;
}

/* ---- the machine and the image ----------------------------------------------------- */

AsmImage *asm_the_image(Asm *A) {
    if (!A->img) {
        if (!A->machine_given) A->machine = *isa_preset(ISA_PRESET_acc1);
        A->img = asm_image_new(&A->machine);
    }
    return A->img;
}

uint32_t asm_ntiles(Asm *A) {
    return asm_the_image(A)->machine.tiles;
}

/* ---- a cursor over one line's tokens --------------------------------------------- */

Token *asm_peek(Cursor *c) {
    return &c->t[c->i < c->n ? c->i : c->n - 1];
}

Token *asm_next(Cursor *c) {
    Token *t = asm_peek(c);
    if (t->kind != TOK_EOL) c->i++;
    return t;
}

SrcLoc asm_tok_loc(const Cursor *c, const Token *t) {
    return diag_loc(c->file, c->line, t->col);
}

bool asm_at_eol(Cursor *c) {
    return asm_peek(c)->kind == TOK_EOL;
}

const char *asm_tok_text(Cursor *c, const Token *t) {
    if (t->kind == TOK_EOL) return "end of line";
    return arena_printf(&c->A->arena, "'%.*s'", t->len, t->text);
}

/* Remember why parsing failed, at token t; returns false. */
bool asm_fail_at(Cursor *c, const Token *t, const char *fmt, ...) ACC_PRINTF(3, 4);
bool asm_fail_at(Cursor *c, const Token *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->errcol = t->col;
    return false;
}

void asm_report(Cursor *c) {
    diag_error(c->A->diag, diag_loc(c->file, c->line, c->errcol), "%s", c->err);
}

bool asm_expect_punct(Cursor *c, const char *p) {
    Token *t = asm_peek(c);
    if (!tok_is_punct(t, p))
        return asm_fail_at(c, t, "expected '%s', found %s", p, asm_tok_text(c, t));
    asm_next(c);
    return true;
}

char *asm_ident_name(Cursor *c, const Token *t) {
    return arena_strndup(&c->A->arena, t->text, (size_t)t->len);
}

/* ---- parsing expressions ------------------------------------------------------------- */

static Expr *new_expr(Cursor *c, ExprKind kind, const Token *t) {
    Expr *e = ARENA_NEW(&c->A->arena, Expr);
    e->kind = kind;
    e->loc = asm_tok_loc(c, t);
    return e;
}

/* primary := INT | IDENT | '@' ('tile' | 'ntiles') | '(' expr ')' */
static Expr *parse_primary(Cursor *c) {
    Token *t = asm_peek(c);
    if (t->kind == TOK_INT) {
        asm_next(c);
        Expr *e = new_expr(c, E_NUM, t);
        e->num = t->ival;
        return e;
    }
    if (t->kind == TOK_IDENT) {
        asm_next(c);
        Expr *e = new_expr(c, E_SYM, t);
        e->name = asm_ident_name(c, t);
        return e;
    }
    if (tok_is_punct(t, "@")) {
        asm_next(c);
        Token *w = asm_next(c);
        if (tok_is_ident(w, "tile")) return new_expr(c, E_TILE, t);
        if (tok_is_ident(w, "ntiles")) return new_expr(c, E_NTILES, t);
        asm_fail_at(c, w, "expected 'tile' or 'ntiles' after '@'");
        return NULL;
    }
    if (tok_is_punct(t, "(")) {
        asm_next(c);
        Expr *e = asm_parse_expr(c);
        if (!e || !asm_expect_punct(c, ")")) return NULL;
        return e;
    }
    if (t->kind == TOK_FLOAT)
        asm_fail_at(c, t, "expected an integer, found %s", asm_tok_text(c, t));
    else
        asm_fail_at(c, t, "expected an expression, found %s", asm_tok_text(c, t));
    return NULL;
}

/* unary := ('-' | '+' | '~' | '!') unary | primary */
static Expr *parse_unary(Cursor *c) {
    Token *t = asm_peek(c);
    if (tok_is_punct(t, "-") || tok_is_punct(t, "+") || tok_is_punct(t, "~") ||
        tok_is_punct(t, "!")) {
        asm_next(c);
        Expr *a = parse_unary(c);
        if (!a) return NULL;
        if (t->punct[0] == '+') return a;
        Expr *e = new_expr(c, E_UNARY, t);
        e->op[0] = t->punct[0];
        e->a = a;
        return e;
    }
    return parse_primary(c);
}

/* Binary operators by precedence, loosest first. */
static const char *const levels[][4] = {
    {"|", NULL},        {"^", NULL},      {"&", NULL},
    {"<<", ">>", NULL}, {"+", "-", NULL}, {"*", "/", "%", NULL},
};

/* level k := level(k+1) (op level(k+1))*   (C precedence) */
static Expr *parse_level(Cursor *c, size_t k) {
    if (k == ACC_ARRAY_LEN(levels)) return parse_unary(c);
    Expr *e = parse_level(c, k + 1);
    while (e) {
        Token *t = asm_peek(c);
        const char *op = NULL;
        for (int i = 0; levels[k][i]; i++)
            if (tok_is_punct(t, levels[k][i])) op = levels[k][i];
        if (!op) break;
        asm_next(c);
        Expr *b = parse_level(c, k + 1);
        if (!b) return NULL;
        Expr *bin = new_expr(c, E_BINARY, t);
        strcpy(bin->op, op);
        bin->a = e;
        bin->b = b;
        e = bin;
    }
    return e;
}

/* expr := or-expression, as in C (no comparisons, no ?:) */
Expr *asm_parse_expr(Cursor *c) {
    return parse_level(c, 0);
}

/* ---- evaluating expressions ------------------------------------------------------------ */

bool asm_eval(Env *env, const Expr *e, Value *out) {
    Diag *d = env->A->diag;
    Value a, b;
    switch (e->kind) {
    case E_NUM: *out = (Value){e->num, -1}; return true;
    case E_TILE:
        if (env->tile < 0) {
            diag_error(d, e->loc, "@tile is only defined in directives that apply to each tile");
            return false;
        }
        *out = (Value){env->tile, -1};
        return true;
    case E_NTILES: *out = (Value){asm_ntiles(env->A), -1}; return true;
    case E_SYM: {
        Symbol *s = asm_sym_find(&env->A->syms, e->name);
        if (!s) {
            if (env->forward)
                diag_error(d, e->loc, "undefined symbol '%s'", e->name);
            else
                diag_error(d, e->loc, "undefined symbol '%s' (it must be defined before this line)",
                           e->name);
            return false;
        }
        *out = (Value){s->value, s->prog};
        return true;
    }
    case E_UNARY:
        if (!asm_eval(env, e->a, &a)) return false;
        switch (e->op[0]) {
        case '-': *out = (Value){(int64_t)(0 - (uint64_t)a.v), -1}; break;
        case '~': *out = (Value){~a.v, -1}; break;
        default: *out = (Value){!a.v, -1}; break;
        }
        return true;
    case E_BINARY: break;
    }
    if (!asm_eval(env, e->a, &a) || !asm_eval(env, e->b, &b)) return false;
    uint64_t x = (uint64_t)a.v, y = (uint64_t)b.v;
    int prog = -1;
    switch (e->op[0]) {
    case '+':
        if (a.prog >= 0 && b.prog >= 0) {
            diag_error(d, e->loc, "cannot add two code addresses");
            return false;
        }
        prog = a.prog >= 0 ? a.prog : b.prog;
        out->v = (int64_t)(x + y);
        break;
    case '-':
        if (a.prog >= 0 && b.prog >= 0 && a.prog != b.prog) {
            diag_error(d, e->loc, "cannot subtract addresses of different programs");
            return false;
        }
        prog = b.prog >= 0 ? -1 : a.prog;
        out->v = (int64_t)(x - y);
        break;
    case '*': out->v = (int64_t)(x * y); break;
    case '/':
    case '%':
        if (b.v == 0) {
            diag_error(d, e->loc, "division by zero");
            return false;
        }
        if (a.v == INT64_MIN && b.v == -1)
            out->v = e->op[0] == '/' ? INT64_MIN : 0;
        else
            out->v = e->op[0] == '/' ? a.v / b.v : a.v % b.v;
        break;
    case '<': out->v = (int64_t)(x << (y & 63)); break;
    case '>': out->v = a.v >> (y & 63); break;
    case '&': out->v = a.v & b.v; break;
    case '|': out->v = a.v | b.v; break;
    default: out->v = a.v ^ b.v; break;
    }
    out->prog = prog;
    return true;
}

/* A plain number (code addresses count as their offset). */
bool asm_eval_number(Env *env, const Expr *e, int64_t *out) {
    Value v;
    if (!asm_eval(env, e, &v)) return false;
    *out = v.v;
    return true;
}

/* A constant needed now (pass 1): no @tile, no forward references. */
bool asm_eval_now(Asm *A, const Expr *e, int64_t *out) {
    Env env = {A, -1, false};
    return asm_eval_number(&env, e, out);
}

bool asm_in_range(Asm *A, SrcLoc loc, int64_t v, int64_t lo, int64_t hi, const char *what) {
    if (v >= lo && v <= hi) return true;
    diag_error(A->diag, loc, "%s %lld out of range (%lld to %lld)", what, (long long)v,
               (long long)lo, (long long)hi);
    return false;
}

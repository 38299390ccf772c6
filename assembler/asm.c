/*
 * acc-as: ACC-1 assembly text to an AsmImage, in two passes.
 *
 * Pass 1 reads every line (following .include), lays out code and data,
 * defines labels, and turns each statement into a Stmt whose operands are
 * register numbers or unevaluated expressions. Instruction operands are
 * matched against the syntax templates of the instruction table: a
 * mnemonic may have several rows (ldw, ldw.pi, ldw.pr) and the shape of
 * the operands picks one. Pass 2 evaluates every expression (labels may
 * be used before they are defined), checks ranges, encodes, and fills the
 * image. Statements that apply to a set of tiles (data, exchange slots,
 * tensor layouts) are evaluated once per tile, with @tile bound.
 *
 * Every error is reported with file:line:col and the line is skipped; the
 * assembler goes on to find the rest. docs/binary-format.md describes the
 * directives.
 */
#include "asm.h"
#include "lex.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    MAX_INCLUDE_DEPTH = 16,
    MAX_TILE_SET = 1 << 20,
    MAX_DESTINATIONS = 1 << 24, /* send destinations over all tiles: 64 MiB of tables */
};

/* ---- expressions ----------------------------------------------------------------- */

typedef enum ExprKind {
    E_NUM,    /* num */
    E_SYM,    /* name */
    E_TILE,   /* @tile: the tile a per-tile directive is evaluated for */
    E_NTILES, /* @ntiles */
    E_UNARY,  /* op a: - ~ ! */
    E_BINARY  /* a op b */
} ExprKind;

typedef struct Expr Expr;
struct Expr {
    ExprKind kind;
    char op[3];
    int64_t num;
    const char *name;
    SrcLoc loc;
    Expr *a, *b;
};

/* A value: a number, or a code address in program prog (prog >= 0). */
typedef struct Value {
    int64_t v;
    int prog;
} Value;

/* ---- symbols ------------------------------------------------------------------------ */

typedef struct Symbol {
    const char *name;
    int prog;      /* program of a code label, -1 for a number or data address */
    int64_t value; /* byte offset in the program, or the number */
    SrcLoc loc;
} Symbol;

typedef struct SymTab {
    Symbol **slots;
    size_t cap, n;
} SymTab;

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

static Symbol *sym_find(SymTab *t, const char *name) {
    return t->cap ? *sym_slot(t, name) : NULL;
}

static void sym_insert(SymTab *t, Symbol *s) {
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

/* ---- statements ----------------------------------------------------------------------- */

typedef enum StmtKind {
    ST_INSN,     /* an instruction */
    ST_CODEWORD, /* .word in code: a raw instruction word */
    ST_DATA,     /* initialised SRAM, per tile */
    ST_SEND,     /* exchange descriptors, per tile */
    ST_RECV,
    ST_HOSTIN,
    ST_HOSTOUT,
    ST_LAYOUT, /* a run of a graph tensor, per tile */
} StmtKind;

typedef enum DataKind { D_BYTE, D_HALF, D_WORD, D_DWORD, D_F16, D_BF16, D_F32 } DataKind;

static const struct {
    const char *name;
    unsigned size;
    bool is_float;
} data_kinds[] = {
    [D_BYTE] = {".byte", 1, false}, [D_HALF] = {".half", 2, false},
    [D_WORD] = {".word", 4, false}, [D_DWORD] = {".dword", 8, false},
    [D_F16] = {".f16", 2, true},    [D_BF16] = {".bf16", 2, true},
    [D_F32] = {".f32", 4, true},
};

typedef struct Operand {
    IsaFieldId field;
    bool is_expr;
    int64_t value; /* when !is_expr: a register number, CSR or offset 0 */
    Expr *expr;
    SrcLoc loc;
} Operand;

typedef struct TileSet {
    uint32_t *tiles;
    size_t n;
} TileSet;

typedef struct Stmt {
    StmtKind kind;
    SrcLoc loc;
    uint32_t prog, offset; /* code statements */
    IsaOp op;
    Operand ops[ISA_MAX_OPERANDS];
    int nops;
    Expr **args;     /* data items, descriptor fields, the code word */
    bool *range_end; /* args[i] ends a range args[i-1]..args[i] (.send tiles) */
    size_t nargs;
    float *floats; /* float data items */
    const TileSet *tiles;
    uint32_t slot, addr;
    DataKind dkind;
    int io;
} Stmt;

typedef struct Exec {
    const TileSet *tiles;
    const char *program;
    SrcLoc loc;
} Exec;

typedef struct DataRange {
    uint32_t tile, addr, size;
    SrcLoc loc;
} DataRange;

typedef enum Mode { MODE_NONE, MODE_CODE, MODE_DATA } Mode;

typedef struct Asm {
    Diag *diag;
    Arena arena;
    SymTab syms;
    AsmImage *img; /* created when the machine is fixed */
    IsaMachine machine;
    bool machine_given;
    SrcLoc machine_loc;
    Mode mode;
    int prog;           /* current program (MODE_CODE) */
    AsmContext context; /* of the code that follows */
    uint32_t *prog_size;
    size_t nprog_size, capprog_size;
    const TileSet *tiles; /* current selection (MODE_DATA) */
    uint64_t loc;         /* SRAM location counter */
    uint32_t slot;        /* current exchange slot */
    Stmt *stmts;
    size_t nstmts, capstmts;
    Exec *execs;
    size_t nexecs, capexecs;
    DataRange *ranges;
    size_t nranges, capranges;
    int depth;           /* .include nesting */
    size_t destinations; /* send destinations so far, against MAX_DESTINATIONS */
} Asm;

/* ---- the machine and the image ----------------------------------------------------- */

static AsmImage *image(Asm *A) {
    if (!A->img) {
        if (!A->machine_given) A->machine = *isa_preset(ISA_PRESET_acc1);
        A->img = asm_image_new(&A->machine);
    }
    return A->img;
}

static uint32_t ntiles(Asm *A) {
    return image(A)->machine.tiles;
}

/* ---- a cursor over one line's tokens ------------------------------------------------- */

typedef struct Cursor {
    Asm *A;
    Token *t;
    size_t n, i;
    int file, line;
    char err[256]; /* why the last parse failed */
    int errcol;
} Cursor;

static Token *peek(Cursor *c) {
    return &c->t[c->i < c->n ? c->i : c->n - 1];
}

static Token *next(Cursor *c) {
    Token *t = peek(c);
    if (t->kind != TOK_EOL) c->i++;
    return t;
}

static SrcLoc tok_loc(const Cursor *c, const Token *t) {
    return diag_loc(c->file, c->line, t->col);
}

static bool at_eol(Cursor *c) {
    return peek(c)->kind == TOK_EOL;
}

static const char *tok_text(Cursor *c, const Token *t) {
    if (t->kind == TOK_EOL) return "end of line";
    return arena_printf(&c->A->arena, "'%.*s'", t->len, t->text);
}

/* Remember why parsing failed, at token t; returns false. */
static bool fail_at(Cursor *c, const Token *t, const char *fmt, ...) ACC_PRINTF(3, 4);
static bool fail_at(Cursor *c, const Token *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->errcol = t->col;
    return false;
}

static void report(Cursor *c) {
    diag_error(c->A->diag, diag_loc(c->file, c->line, c->errcol), "%s", c->err);
}

static bool expect_punct(Cursor *c, const char *p) {
    Token *t = peek(c);
    if (!tok_is_punct(t, p)) return fail_at(c, t, "expected '%s', found %s", p, tok_text(c, t));
    next(c);
    return true;
}

static char *ident_name(Cursor *c, const Token *t) {
    return arena_strndup(&c->A->arena, t->text, (size_t)t->len);
}

/* ---- parsing expressions ------------------------------------------------------------- */

static Expr *new_expr(Cursor *c, ExprKind kind, const Token *t) {
    Expr *e = ARENA_NEW(&c->A->arena, Expr);
    e->kind = kind;
    e->loc = tok_loc(c, t);
    return e;
}

static Expr *parse_expr(Cursor *c);

/* primary := INT | IDENT | '@' ('tile' | 'ntiles') | '(' expr ')' */
static Expr *parse_primary(Cursor *c) {
    Token *t = peek(c);
    if (t->kind == TOK_INT) {
        next(c);
        Expr *e = new_expr(c, E_NUM, t);
        e->num = t->ival;
        return e;
    }
    if (t->kind == TOK_IDENT) {
        next(c);
        Expr *e = new_expr(c, E_SYM, t);
        e->name = ident_name(c, t);
        return e;
    }
    if (tok_is_punct(t, "@")) {
        next(c);
        Token *w = next(c);
        if (tok_is_ident(w, "tile")) return new_expr(c, E_TILE, t);
        if (tok_is_ident(w, "ntiles")) return new_expr(c, E_NTILES, t);
        fail_at(c, w, "expected 'tile' or 'ntiles' after '@'");
        return NULL;
    }
    if (tok_is_punct(t, "(")) {
        next(c);
        Expr *e = parse_expr(c);
        if (!e || !expect_punct(c, ")")) return NULL;
        return e;
    }
    if (t->kind == TOK_FLOAT)
        fail_at(c, t, "expected an integer, found %s", tok_text(c, t));
    else
        fail_at(c, t, "expected an expression, found %s", tok_text(c, t));
    return NULL;
}

/* unary := ('-' | '+' | '~' | '!') unary | primary */
static Expr *parse_unary(Cursor *c) {
    Token *t = peek(c);
    if (tok_is_punct(t, "-") || tok_is_punct(t, "+") || tok_is_punct(t, "~") ||
        tok_is_punct(t, "!")) {
        next(c);
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
        Token *t = peek(c);
        const char *op = NULL;
        for (int i = 0; levels[k][i]; i++)
            if (tok_is_punct(t, levels[k][i])) op = levels[k][i];
        if (!op) break;
        next(c);
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
static Expr *parse_expr(Cursor *c) {
    return parse_level(c, 0);
}

/* ---- evaluating expressions ------------------------------------------------------------ */

typedef struct Env {
    Asm *A;
    int64_t tile; /* -1 where @tile has no meaning */
    bool forward; /* symbols may be defined later (pass 2) */
} Env;

static bool eval(Env *env, const Expr *e, Value *out) {
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
    case E_NTILES: *out = (Value){ntiles(env->A), -1}; return true;
    case E_SYM: {
        Symbol *s = sym_find(&env->A->syms, e->name);
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
        if (!eval(env, e->a, &a)) return false;
        switch (e->op[0]) {
        case '-': *out = (Value){(int64_t)(0 - (uint64_t)a.v), -1}; break;
        case '~': *out = (Value){~a.v, -1}; break;
        default: *out = (Value){!a.v, -1}; break;
        }
        return true;
    case E_BINARY: break;
    }
    if (!eval(env, e->a, &a) || !eval(env, e->b, &b)) return false;
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
static bool eval_number(Env *env, const Expr *e, int64_t *out) {
    Value v;
    if (!eval(env, e, &v)) return false;
    *out = v.v;
    return true;
}

/* A constant needed now (pass 1): no @tile, no forward references. */
static bool eval_now(Asm *A, const Expr *e, int64_t *out) {
    Env env = {A, -1, false};
    return eval_number(&env, e, out);
}

static bool in_range(Asm *A, SrcLoc loc, int64_t v, int64_t lo, int64_t hi, const char *what) {
    if (v >= lo && v <= hi) return true;
    diag_error(A->diag, loc, "%s %lld out of range (%lld to %lld)", what, (long long)v,
               (long long)lo, (long long)hi);
    return false;
}

/* ---- registers -------------------------------------------------------------------------- */

/* If t is m<digits> or a<digits>, its file ('m' or 'a') and number. */
static bool register_like(const Token *t, char *file, long *num) {
    if (t->kind != TOK_IDENT || t->len < 2 || (t->text[0] != 'm' && t->text[0] != 'a'))
        return false;
    long n = 0;
    for (int i = 1; i < t->len; i++) {
        if (!isdigit((unsigned char)t->text[i])) return false;
        if (n < 1000) n = n * 10 + (t->text[i] - '0');
    }
    *file = t->text[0];
    *num = n;
    return true;
}

static const char *kind_words(IsaKind k) {
    switch (k) {
    case ISA_K_MREG: return "an m register";
    case ISA_K_AREG: return "an a register";
    case ISA_K_APAIR: return "an a register pair (like a0:1)";
    case ISA_K_AQUAD: return "an a register quad (like a0:3)";
    default: return "an operand";
    }
}

/* reg := 'm' N | 'a' N | 'a' N ':' N */
static bool parse_register(Cursor *c, IsaKind kind, int64_t *out) {
    Token *t = peek(c);
    char file;
    long n;
    if (!register_like(t, &file, &n))
        return fail_at(c, t, "expected %s, found %s", kind_words(kind), tok_text(c, t));
    bool ranged = file == 'a' && c->i + 2 < c->n && tok_is_punct(&c->t[c->i + 1], ":") &&
                  c->t[c->i + 2].kind == TOK_INT;
    if (kind == ISA_K_MREG) {
        if (file != 'm') return fail_at(c, t, "expected an m register, found %s", tok_text(c, t));
        if (n > 15)
            return fail_at(c, t, "bad register %s (m registers are m0 to m15)", tok_text(c, t));
        *out = n;
        next(c);
        return true;
    }
    if (file != 'a')
        return fail_at(c, t, "expected %s, found %s", kind_words(kind), tok_text(c, t));
    if (n > 15) return fail_at(c, t, "bad register %s (a registers are a0 to a15)", tok_text(c, t));
    if (kind == ISA_K_AREG) {
        if (ranged)
            return fail_at(c, t, "expected an a register, found the group 'a%ld:%lld'", n,
                           (long long)c->t[c->i + 2].ival);
        *out = n;
        next(c);
        return true;
    }
    if (!ranged) return fail_at(c, t, "expected %s, found %s", kind_words(kind), tok_text(c, t));
    int64_t last = c->t[c->i + 2].ival;
    if (kind == ISA_K_APAIR && (n % 2 || last != n + 1))
        return fail_at(c, t, "bad register pair 'a%ld:%lld' (pairs are a0:1, a2:3, ... a14:15)", n,
                       (long long)last);
    if (kind == ISA_K_AQUAD && (n % 4 || last != n + 3))
        return fail_at(c, t, "bad register quad 'a%ld:%lld' (quads are a0:3, a4:7, a8:11, a12:15)",
                       n, (long long)last);
    *out = n;
    c->i += 3;
    return true;
}

/* Whether t is a valid register name (m0-m15, a0-a15): such a token is a
 * register operand, never a symbol, in an instruction. */
static bool is_register(const Token *t) {
    char file;
    long n;
    return register_like(t, &file, &n) && n <= 15;
}

/* ---- instructions --------------------------------------------------------------------------- */

/* "ldw md, [ma+o13]": how the table writes an instruction's syntax. */
static const char *usage(Asm *A, IsaOp op) {
    const IsaInfo *info = isa_info(op);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, info->mnemonic);
    if (*info->syntax) sb_putc(&sb, ' ');
    for (const char *p = info->syntax; *p; p++) {
        if (*p != '{' && *p != '}') sb_putc(&sb, *p);
        if (*p == '{') {
            const char *end = strchr(p, '}');
            for (int i = 0; i < info->noperands; i++)
                if (!strncmp(isa_field(info->operands[i])->name, p + 1, (size_t)(end - p - 1)) &&
                    isa_field(info->operands[i])->kind == ISA_K_SOFF)
                    sb_putc(&sb, '+');
        }
    }
    char *s = arena_strdup(&A->arena, sb.data);
    sb_free(&sb);
    return s;
}

static int field_index(const IsaInfo *info, const char *name, size_t len) {
    for (int i = 0; i < info->noperands; i++) {
        const char *f = isa_field(info->operands[i])->name;
        if (strlen(f) == len && !memcmp(f, name, len)) return i;
    }
    ice("syntax of %s names an unknown field", info->name);
}

/* Parse one operand of the given field into op. */
static bool parse_operand(Cursor *c, IsaFieldId field, Operand *op) {
    const IsaFieldInfo *f = isa_field(field);
    Token *t = peek(c);
    op->field = field;
    op->loc = tok_loc(c, t);
    op->is_expr = false;
    switch (f->kind) {
    case ISA_K_MREG:
    case ISA_K_AREG:
    case ISA_K_APAIR:
    case ISA_K_AQUAD: return parse_register(c, f->kind, &op->value);
    case ISA_K_SOFF:
        /* [ma+expr], [ma-expr] or [ma] */
        if (tok_is_punct(t, "+"))
            next(c);
        else if (!tok_is_punct(t, "-")) {
            op->value = 0;
            return true;
        }
        op->loc = tok_loc(c, peek(c));
        break;
    case ISA_K_CSR:
        if (t->kind == TOK_IDENT) {
            int n = isa_csr_lookup(t->text, (size_t)t->len);
            if (n >= 0) {
                next(c);
                op->value = n;
                return true;
            }
        }
        break;
    default: break;
    }
    t = peek(c);
    if (is_register(t))
        return fail_at(c, t, "expected an expression, found register %s", tok_text(c, t));
    if (t->kind == TOK_EOL) return fail_at(c, t, "missing operand");
    op->expr = parse_expr(c);
    op->is_expr = true;
    return op->expr != NULL;
}

/* Match the tokens from start against op's syntax template. */
static bool match_syntax(Cursor *c, IsaOp op, Operand *ops) {
    const IsaInfo *info = isa_info(op);
    for (const char *p = info->syntax; *p; p++) {
        if (*p == ' ') continue;
        if (*p == '{') {
            const char *end = strchr(p, '}');
            int k = field_index(info, p + 1, (size_t)(end - p - 1));
            if (!parse_operand(c, info->operands[k], &ops[k])) return false;
            p = end;
            continue;
        }
        char lit[2] = {*p, 0};
        if (!expect_punct(c, lit)) return false;
    }
    if (!at_eol(c))
        return fail_at(c, peek(c), "unexpected %s after the operands", tok_text(c, peek(c)));
    return true;
}

static const char *context_name(AsmContext ctx) {
    return ctx == ASM_WORKER ? "worker" : "supervisor";
}

static Stmt *new_stmt(Asm *A, StmtKind kind, SrcLoc loc) {
    XGROW(A->stmts, A->capstmts, A->nstmts + 1);
    Stmt *s = &A->stmts[A->nstmts++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->loc = loc;
    return s;
}

/* instruction := mnemonic operands, the operands as one of the mnemonic's
 * syntax templates. */
static void parse_instruction(Cursor *c, Token *mn) {
    Asm *A = c->A;
    if (A->mode != MODE_CODE) {
        diag_error(A->diag, tok_loc(c, mn),
                   "instruction outside a program (start one with .program)");
        return;
    }
    size_t start = c->i;
    int best = -1;
    size_t best_pos = 0;
    char best_err[256] = "";
    int best_col = 0;
    bool best_eol = false;
    Operand ops[ISA_MAX_OPERANDS];
    for (int op = 0; op < ISA_OP_COUNT; op++) {
        const IsaInfo *info = isa_info((IsaOp)op);
        if (strlen(info->mnemonic) != (size_t)mn->len ||
            memcmp(info->mnemonic, mn->text, (size_t)mn->len))
            continue;
        c->i = start;
        memset(ops, 0, sizeof ops);
        if (match_syntax(c, (IsaOp)op, ops)) {
            if (!(info->ctx & (A->context == ASM_WORKER ? ISA_CTX_W : ISA_CTX_S))) {
                diag_error(A->diag, tok_loc(c, mn), "'%s' is not allowed in %s code (%s only)",
                           info->mnemonic, context_name(A->context),
                           info->ctx == ISA_CTX_S ? "supervisor" : "worker");
                return;
            }
            Stmt *s = new_stmt(A, ST_INSN, tok_loc(c, mn));
            s->op = (IsaOp)op;
            s->prog = (uint32_t)A->prog;
            s->offset = A->prog_size[A->prog];
            s->nops = info->noperands;
            memcpy(s->ops, ops, sizeof ops);
            A->prog_size[A->prog] += 4;
            return;
        }
        if (best < 0 || c->i > best_pos) {
            best = op;
            best_pos = c->i;
            memcpy(best_err, c->err, sizeof best_err);
            best_col = c->errcol;
            best_eol = peek(c)->kind == TOK_EOL;
        }
    }
    if (best < 0) {
        diag_error(A->diag, tok_loc(c, mn), "unknown instruction '%.*s'", mn->len, mn->text);
        return;
    }
    if (best_eol)
        diag_error(A->diag, diag_loc(c->file, c->line, best_col), "too few operands for '%s' (%s)",
                   isa_info((IsaOp)best)->mnemonic, usage(A, (IsaOp)best));
    else
        diag_error(A->diag, diag_loc(c->file, c->line, best_col), "%s", best_err);
}

/* ---- directives ------------------------------------------------------------------------------ */

static void new_program(Cursor *c, const char *name) {
    Asm *A = c->A;
    int p = asm_image_find_program(image(A), name);
    if (p < 0) {
        p = (int)asm_image_add_program(A->img, name);
        XGROW(A->prog_size, A->capprog_size, (size_t)p + 1);
        A->prog_size[p] = 0;
        A->nprog_size = (size_t)p + 1;
    }
    A->prog = p;
    A->mode = MODE_CODE;
    A->context = ASM_SUPERVISOR;
    asm_program_set_context(A->img, (uint32_t)p, A->prog_size[p], A->context);
}

/* A name: an identifier or a string. */
static const char *parse_name(Cursor *c, const char *what) {
    Token *t = peek(c);
    if (t->kind == TOK_IDENT) {
        next(c);
        return ident_name(c, t);
    }
    if (t->kind == TOK_STRING) {
        next(c);
        if (!t->slen || memchr(t->str, 0, t->slen)) {
            fail_at(c, t, "a %s must not be empty or contain NUL", what);
            return NULL;
        }
        return t->str;
    }
    fail_at(c, t, "expected a %s, found %s", what, tok_text(c, t));
    return NULL;
}

/* .machine PRESET [, FIELD = VALUE]... */
static bool dir_machine(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (A->img) {
        diag_error(A->diag, tok_loc(c, d), ".machine must come before any code, data or tensor");
        return true;
    }
    if (A->machine_given) {
        diag_error(A->diag, tok_loc(c, d), "second .machine");
        diag_note(A->diag, A->machine_loc, "the first is here");
        return true;
    }
    Token *t = peek(c);
    if (t->kind != TOK_IDENT) return fail_at(c, t, "expected a machine preset name");
    /* Preset names contain '-': read ident ('-' ident)* */
    StrBuf name;
    sb_init(&name);
    sb_append(&name, t->text, (size_t)t->len);
    next(c);
    while (tok_is_punct(peek(c), "-") && c->t[c->i + 1].kind == TOK_IDENT) {
        sb_putc(&name, '-');
        next(c);
        Token *w = next(c);
        sb_append(&name, w->text, (size_t)w->len);
    }
    int p = isa_preset_lookup(name.data);
    if (p < 0) {
        fail_at(c, t, "unknown machine preset '%s' (acc1, acc1-gc2, acc1-mini)", name.data);
        sb_free(&name);
        return false;
    }
    sb_free(&name);
    IsaMachine m = *isa_preset((IsaPreset)p);
    while (tok_is_punct(peek(c), ",")) {
        next(c);
        Token *f = peek(c);
        int field = f->kind == TOK_IDENT ? isa_machine_field_lookup(f->text, (size_t)f->len) : -1;
        if (field < 0)
            return fail_at(c, f, "expected a machine field name, found %s", tok_text(c, f));
        next(c);
        if (!expect_punct(c, "=")) return false;
        Expr *e = parse_expr(c);
        int64_t v;
        if (!e) return false;
        if (!eval_now(A, e, &v)) return true;
        if (!in_range(A, e->loc, v, 0, UINT32_MAX, isa_machine_field_name(field))) return true;
        isa_machine_set(&m, field, (uint32_t)v);
    }
    const char *why = isa_machine_check(&m);
    if (why) {
        diag_error(A->diag, tok_loc(c, t), "bad machine: %s", why);
        return true;
    }
    A->machine = m;
    A->machine_given = true;
    A->machine_loc = tok_loc(c, d);
    return true;
}

/* .equ NAME, EXPR */
static bool dir_equ(Cursor *c, const Token *d) {
    Asm *A = c->A;
    Token *t = peek(c);
    if (t->kind != TOK_IDENT) return fail_at(c, t, "expected a name, found %s", tok_text(c, t));
    next(c);
    if (!expect_punct(c, ",")) return false;
    Expr *e = parse_expr(c);
    if (!e) return false;
    Value v;
    Env env = {A, -1, false};
    if (!eval(&env, e, &v)) return true;
    char *name = ident_name(c, t);
    Symbol *old = sym_find(&A->syms, name);
    if (old) {
        diag_error(A->diag, tok_loc(c, t), "redefinition of '%s'", name);
        diag_note(A->diag, old->loc, "'%s' was defined here", name);
        return true;
    }
    Symbol *s = ARENA_NEW(&A->arena, Symbol);
    *s = (Symbol){name, v.prog, v.v, tok_loc(c, t)};
    sym_insert(&A->syms, s);
    return true;
}

/* .program NAME */
static bool dir_program(Cursor *c, const Token *d) {
    Token *t = peek(c);
    if (t->kind != TOK_IDENT)
        return fail_at(c, t, "expected a program name, found %s", tok_text(c, t));
    char *name = ident_name(c, t);
    if (!asm_is_identifier(name)) return fail_at(c, t, "'%s' cannot name a program", name);
    next(c);
    new_program(c, name);
    return true;
}

/* .supervisor | .worker */
static bool dir_context(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (A->mode != MODE_CODE) {
        diag_error(A->diag, tok_loc(c, d), "%.*s outside a program", d->len, d->text);
        return true;
    }
    A->context = tok_is_ident(d, ".worker") ? ASM_WORKER : ASM_SUPERVISOR;
    asm_program_set_context(A->img, (uint32_t)A->prog, A->prog_size[A->prog], A->context);
    return true;
}

static int compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* .tiles ITEM [, ITEM]...    ITEM := EXPR ['..' EXPR] | all */
static bool dir_tiles(Cursor *c, const Token *d) {
    Asm *A = c->A;
    uint32_t n = ntiles(A);
    uint32_t *list = NULL;
    size_t count = 0, cap = 0;
    bool ok = true;
    do {
        Token *t = peek(c);
        int64_t lo, hi;
        if (tok_is_ident(t, "all")) {
            next(c);
            lo = 0;
            hi = (int64_t)n - 1;
        } else {
            Expr *e = parse_expr(c);
            if (!e) {
                free(list);
                return false;
            }
            if (!eval_now(A, e, &lo)) {
                ok = false;
                break;
            }
            hi = lo;
            if (tok_is_punct(peek(c), "..")) {
                next(c);
                Expr *e2 = parse_expr(c);
                if (!e2) {
                    free(list);
                    return false;
                }
                if (!eval_now(A, e2, &hi)) {
                    ok = false;
                    break;
                }
            }
            if (!in_range(A, e->loc, lo, 0, (int64_t)n - 1, "tile") ||
                !in_range(A, e->loc, hi, lo, (int64_t)n - 1, "last tile")) {
                ok = false;
                break;
            }
        }
        for (int64_t i = lo; i <= hi && count < MAX_TILE_SET; i++) {
            XGROW(list, cap, count + 1);
            list[count++] = (uint32_t)i;
        }
    } while (tok_is_punct(peek(c), ",") && next(c));
    if (!ok) {
        free(list);
        return true;
    }
    qsort(list, count, sizeof *list, compare_u32);
    TileSet *set = ARENA_NEW(&A->arena, TileSet);
    set->tiles = ARENA_ARRAY(&A->arena, uint32_t, count ? count : 1);
    for (size_t i = 0; i < count; i++)
        if (!set->n || set->tiles[set->n - 1] != list[i]) set->tiles[set->n++] = list[i];
    free(list);
    A->tiles = set;
    A->mode = MODE_DATA;
    A->slot = 0;
    return true;
}

static bool need_data(Cursor *c, const Token *d) {
    if (c->A->mode == MODE_DATA) return true;
    diag_error(c->A->diag, tok_loc(c, d), "%.*s needs a tile selection (.tiles) first", d->len,
               d->text);
    return false;
}

/* .exec PROGRAM */
static bool dir_exec(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Token *t = peek(c);
    if (t->kind != TOK_IDENT)
        return fail_at(c, t, "expected a program name, found %s", tok_text(c, t));
    next(c);
    XGROW(A->execs, A->capexecs, A->nexecs + 1);
    A->execs[A->nexecs++] = (Exec){A->tiles, ident_name(c, t), tok_loc(c, t)};
    return true;
}

/* .org EXPR | .space EXPR | .align EXPR */
static bool dir_location(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Expr *e = parse_expr(c);
    int64_t v;
    if (!e) return false;
    if (!eval_now(A, e, &v)) return true;
    uint64_t sram = image(A)->machine.sram_bytes;
    if (tok_is_ident(d, ".org")) {
        if (in_range(A, e->loc, v, 0, (int64_t)sram, "address")) A->loc = (uint64_t)v;
    } else if (tok_is_ident(d, ".space")) {
        if (in_range(A, e->loc, v, 0, (int64_t)(sram - A->loc), "size")) A->loc += (uint64_t)v;
    } else if (v <= 0 || v > 4096 || (v & (v - 1))) {
        diag_error(A->diag, e->loc, "alignment %lld is not a power of two up to 4096",
                   (long long)v);
    } else {
        A->loc = align_up(A->loc, (uint64_t)v);
    }
    return true;
}

/* A float item: ['+' | '-'] (number | inf | nan) */
static bool parse_float(Cursor *c, float *out) {
    Token *t = peek(c);
    bool neg = false;
    if (tok_is_punct(t, "-") || tok_is_punct(t, "+")) {
        neg = t->punct[0] == '-';
        next(c);
        t = peek(c);
    }
    /* strtof on the text rounds once, straight to f32 */
    if (t->kind == TOK_FLOAT || t->kind == TOK_INT) {
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", t->len, t->text);
        *out = t->kind == TOK_FLOAT ? strtof(buf, NULL) : (float)t->ival;
    } else if (tok_is_ident(t, "inf")) {
        *out = INFINITY;
    } else if (tok_is_ident(t, "nan")) {
        *out = NAN;
    } else {
        return fail_at(c, t, "expected a number, found %s", tok_text(c, t));
    }
    next(c);
    if (neg) *out = -*out;
    return true;
}

/* .byte .half .word .dword EXPR [, EXPR]...   .f16 .bf16 .f32 NUMBER [, NUMBER]... */
static bool dir_data(Cursor *c, const Token *d) {
    Asm *A = c->A;
    DataKind kind = D_BYTE;
    for (size_t k = 0; k < ACC_ARRAY_LEN(data_kinds); k++)
        if (tok_is_ident(d, data_kinds[k].name)) kind = (DataKind)k;
    if (A->mode == MODE_CODE && kind == D_WORD) { /* raw instruction words */
        do {
            Expr *e = parse_expr(c);
            if (!e) return false;
            Stmt *s = new_stmt(A, ST_CODEWORD, e->loc);
            s->prog = (uint32_t)A->prog;
            s->offset = A->prog_size[A->prog];
            s->args = ARENA_ARRAY(&A->arena, Expr *, 1);
            s->args[0] = e;
            s->nargs = 1;
            A->prog_size[A->prog] += 4;
        } while (tok_is_punct(peek(c), ",") && next(c));
        return true;
    }
    if (A->mode == MODE_CODE) {
        diag_error(A->diag, tok_loc(c, d), "only .word is allowed in code");
        return true;
    }
    if (!need_data(c, d)) return true;
    /* Items go to heap arrays first (their number is unknown), then to the arena. */
    Expr **args = NULL;
    float *floats = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    do {
        if (data_kinds[kind].is_float) {
            XGROW(floats, cap, n + 1);
            ok = parse_float(c, &floats[n]);
        } else {
            XGROW(args, cap, n + 1);
            ok = (args[n] = parse_expr(c)) != NULL;
        }
        n++;
    } while (ok && tok_is_punct(peek(c), ",") && next(c));
    Stmt *s = NULL;
    if (ok) {
        s = new_stmt(A, ST_DATA, tok_loc(c, d));
        s->tiles = A->tiles;
        s->dkind = kind;
        s->nargs = n;
        if (floats) {
            s->floats = ARENA_ARRAY(&A->arena, float, n);
            memcpy(s->floats, floats, n * sizeof *floats);
        } else {
            s->args = ARENA_ARRAY(&A->arena, Expr *, n);
            memcpy(s->args, args, n * sizeof *args);
        }
    }
    free(args);
    free(floats);
    if (!ok) return false;
    uint64_t size = s->nargs * data_kinds[kind].size;
    if (A->loc + size > image(A)->machine.sram_bytes) {
        diag_error(A->diag, s->loc, "data at 0x%llx..0x%llx runs past the end of SRAM (%u bytes)",
                   (unsigned long long)A->loc, (unsigned long long)(A->loc + size),
                   image(A)->machine.sram_bytes);
        return true;
    }
    s->addr = (uint32_t)A->loc;
    A->loc += size;
    return true;
}

/* .slot EXPR */
static bool dir_slot(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Expr *e = parse_expr(c);
    int64_t v;
    if (!e) return false;
    if (eval_now(A, e, &v) && in_range(A, e->loc, v, 0, (1 << 16) - 1, "slot"))
        A->slot = (uint32_t)v;
    return true;
}

/* The io a name refers to; fails if there is none. */
static bool parse_io(Cursor *c, int *io) {
    Token *t = peek(c);
    const char *name = parse_name(c, "tensor name");
    if (!name) return false;
    *io = asm_image_find_io(image(c->A), name);
    if (*io < 0)
        return fail_at(c, t, "no tensor called '%s' (declare it with .input or .output first)",
                       name);
    return true;
}

/* Comma-separated expressions into s->args; at least min, at most max.
 * With ranges, an argument after the first min - 1 may be EXPR '..' EXPR,
 * stored as the two ends with the second marked in s->range_end. */
static bool parse_args(Cursor *c, Stmt *s, size_t min, size_t max, bool ranges,
                       const char *usage_text) {
    Asm *A = c->A;
    Expr **args = NULL;
    bool *ends = NULL;
    size_t n = 0, cap = 0, cap2 = 0;
    bool ok = true;
    if (!at_eol(c)) do {
            if (n == max) {
                ok = fail_at(c, peek(c), "too many operands (%s)", usage_text);
                break;
            }
            XGROW(args, cap, n + 2);
            XGROW(ends, cap2, n + 2);
            ends[n] = false;
            if (!(args[n++] = parse_expr(c))) {
                ok = false;
                break;
            }
            if (ranges && n >= min && tok_is_punct(peek(c), "..")) {
                next(c);
                ends[n] = true;
                if (!(args[n++] = parse_expr(c))) {
                    ok = false;
                    break;
                }
            }
        } while (tok_is_punct(peek(c), ",") && next(c));
    if (ok && n < min) ok = fail_at(c, peek(c), "too few operands (%s)", usage_text);
    if (ok && !at_eol(c)) ok = fail_at(c, peek(c), "unexpected %s", tok_text(c, peek(c)));
    if (ok) {
        s->args = ARENA_ARRAY(&A->arena, Expr *, n ? n : 1);
        s->range_end = ARENA_ARRAY(&A->arena, bool, n ? n : 1);
        if (n) {
            memcpy(s->args, args, n * sizeof *args);
            memcpy(s->range_end, ends, n * sizeof *ends);
        }
        s->nargs = n;
    }
    free(args);
    free(ends);
    return ok;
}

/* .send SRC, LEN, TILE [, TILE]...   .recv FROM, DST, LEN
 * .hostin IO, OFFSET, DST, LEN       .hostout IO, OFFSET, SRC, LEN */
static bool dir_descriptor(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Stmt s = {.loc = tok_loc(c, d), .tiles = A->tiles, .slot = A->slot};
    s.kind = tok_is_ident(d, ".send")     ? ST_SEND
             : tok_is_ident(d, ".recv")   ? ST_RECV
             : tok_is_ident(d, ".hostin") ? ST_HOSTIN
                                          : ST_HOSTOUT;
    bool ok;
    switch (s.kind) {
    case ST_SEND: ok = parse_args(c, &s, 3, SIZE_MAX, true, ".send SRC, LEN, TILES..."); break;
    case ST_RECV: ok = parse_args(c, &s, 3, 3, false, ".recv FROM, DST, LEN"); break;
    default:
        ok = parse_io(c, &s.io) && expect_punct(c, ",") &&
             parse_args(c, &s, 3, 3, false,
                        s.kind == ST_HOSTIN ? ".hostin IO, OFFSET, DST, LEN"
                                            : ".hostout IO, OFFSET, SRC, LEN");
    }
    if (ok) *new_stmt(A, s.kind, s.loc) = s;
    return ok;
}

/* .input NAME, DTYPE, [DIM, ...]   .output NAME, DTYPE, [DIM, ...] */
static bool dir_io(Cursor *c, const Token *d) {
    Asm *A = c->A;
    Token *nt = peek(c);
    const char *name = parse_name(c, "tensor name");
    if (!name || !expect_punct(c, ",")) return false;
    Token *dt = peek(c);
    int dtype = dt->kind == TOK_IDENT ? dtype_lookup(dt->text, (size_t)dt->len) : -1;
    if (dtype < 0 || !(dtype_flags((AccDtype)dtype) & DT_IR))
        return fail_at(c, dt,
                       "expected an element type (f32 f16 bf16 i8 u8 i32 i64 bool), found %s",
                       tok_text(c, dt));
    next(c);
    if (!expect_punct(c, ",") || !expect_punct(c, "[")) return false;
    int64_t shape[ASM_MAX_DIMS];
    int ndim = 0;
    bool ok = true;
    if (!tok_is_punct(peek(c), "]")) do {
            if (ndim == ASM_MAX_DIMS)
                return fail_at(c, peek(c), "more than %d dimensions", ASM_MAX_DIMS);
            Expr *e = parse_expr(c);
            if (!e) return false;
            int64_t v = 0;
            ok = ok && eval_now(A, e, &v) &&
                 in_range(A, e->loc, v, 0, (int64_t)1 << 48, "dimension");
            shape[ndim++] = v;
        } while (tok_is_punct(peek(c), ",") && next(c));
    if (!expect_punct(c, "]")) return false;
    if (!at_eol(c)) return fail_at(c, peek(c), "unexpected %s", tok_text(c, peek(c)));
    if (!ok) return true;
    if (asm_image_find_io(image(A), name) >= 0) {
        diag_error(A->diag, tok_loc(c, nt), "a tensor called '%s' is already declared", name);
        return true;
    }
    uint32_t io =
        asm_image_add_io(A->img, name, (AccDtype)dtype, tok_is_ident(d, ".output"), ndim, shape);
    if (asm_io_elements(&A->img->ios[io]) < 0)
        diag_error(A->diag, tok_loc(c, nt), "tensor '%s' is too large", name);
    return true;
}

/* .layout IO, ADDR, START, COUNT [, STRIDE] */
static bool dir_layout(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Stmt s = {.kind = ST_LAYOUT, .loc = tok_loc(c, d), .tiles = A->tiles};
    bool ok = parse_io(c, &s.io) && expect_punct(c, ",") &&
              parse_args(c, &s, 3, 4, false, ".layout IO, ADDR, START, COUNT [, STRIDE]");
    if (ok) *new_stmt(A, s.kind, s.loc) = s;
    return ok;
}

static void assemble_file(Asm *A, const char *path, SrcLoc from);

/* .include "FILE" (relative to the including file) */
static bool dir_include(Cursor *c, const Token *d) {
    Token *t = peek(c);
    if (t->kind != TOK_STRING) return fail_at(c, t, "expected a file name in quotes");
    next(c);
    if (!at_eol(c)) return fail_at(c, peek(c), "unexpected %s", tok_text(c, peek(c)));
    char *dir = path_dirname(diag_file_name(c->A->diag, c->file));
    char *path = path_join(dir, t->str);
    assemble_file(c->A, path, tok_loc(c, t));
    free(dir);
    free(path);
    return true;
}

static const struct {
    const char *name;
    bool (*fn)(Cursor *, const Token *);
    bool checks_end; /* the handler checks for trailing tokens itself */
} directives[] = {
    {".machine", dir_machine, false},  {".equ", dir_equ, false},
    {".program", dir_program, false},  {".supervisor", dir_context, false},
    {".worker", dir_context, false},   {".tiles", dir_tiles, false},
    {".exec", dir_exec, false},        {".org", dir_location, false},
    {".space", dir_location, false},   {".align", dir_location, false},
    {".byte", dir_data, false},        {".half", dir_data, false},
    {".word", dir_data, false},        {".dword", dir_data, false},
    {".f16", dir_data, false},         {".bf16", dir_data, false},
    {".f32", dir_data, false},         {".slot", dir_slot, false},
    {".send", dir_descriptor, true},   {".recv", dir_descriptor, true},
    {".hostin", dir_descriptor, true}, {".hostout", dir_descriptor, true},
    {".input", dir_io, true},          {".output", dir_io, true},
    {".layout", dir_layout, true},     {".include", dir_include, true},
};

static void parse_directive(Cursor *c, Token *d) {
    for (size_t i = 0; i < ACC_ARRAY_LEN(directives); i++) {
        if (!tok_is_ident(d, directives[i].name)) continue;
        size_t errors = (size_t)c->A->diag->nerrors;
        if (!directives[i].fn(c, d)) {
            report(c);
            return;
        }
        if (!directives[i].checks_end && (size_t)c->A->diag->nerrors == errors && !at_eol(c))
            diag_error(c->A->diag, tok_loc(c, peek(c)), "unexpected %s after %.*s",
                       tok_text(c, peek(c)), d->len, d->text);
        return;
    }
    diag_error(c->A->diag, tok_loc(c, d), "unknown directive '%.*s'", d->len, d->text);
}

/* ---- labels ---------------------------------------------------------------------------------- */

static void define_label(Cursor *c, Token *t) {
    Asm *A = c->A;
    char *name = ident_name(c, t);
    if (!asm_is_identifier(name)) {
        diag_error(A->diag, tok_loc(c, t), "'%s' is a register name and cannot be a label", name);
        return;
    }
    if (A->mode == MODE_NONE) {
        diag_error(A->diag, tok_loc(c, t), "label '%s' outside code or data", name);
        return;
    }
    Symbol *old = sym_find(&A->syms, name);
    if (old) {
        diag_error(A->diag, tok_loc(c, t), "redefinition of '%s'", name);
        diag_note(A->diag, old->loc, "'%s' was defined here", name);
        return;
    }
    Symbol *s = ARENA_NEW(&A->arena, Symbol);
    if (A->mode == MODE_CODE)
        *s = (Symbol){name, A->prog, A->prog_size[A->prog], tok_loc(c, t)};
    else
        *s = (Symbol){name, -1, (int64_t)A->loc, tok_loc(c, t)};
    sym_insert(&A->syms, s);
}

/* line := (IDENT ':')* [directive | instruction] */
static void parse_line(Asm *A, Token *toks, size_t n, int file, int line) {
    Cursor c = {.A = A, .t = toks, .n = n, .file = file, .line = line};
    while (peek(&c)->kind == TOK_IDENT && c.i + 1 < n && tok_is_punct(&toks[c.i + 1], ":")) {
        define_label(&c, &toks[c.i]);
        c.i += 2;
    }
    Token *t = next(&c);
    if (t->kind == TOK_EOL) return;
    if (t->kind != TOK_IDENT) {
        diag_error(A->diag, tok_loc(&c, t),
                   "expected an instruction, a directive or a label, found %s", tok_text(&c, t));
        return;
    }
    if (t->text[0] == '.')
        parse_directive(&c, t);
    else
        parse_instruction(&c, t);
}

static void assemble_text(Asm *A, int file, const char *text, size_t len) {
    Token *toks = NULL;
    size_t cap = 0;
    int line = 1;
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t n = lex_line(text + i, j - i, file, line, A->diag, &A->arena, &toks, &cap);
        if (n) parse_line(A, toks, n, file, line);
        line++;
        if (j >= len) break;
        i = j + 1;
    }
    free(toks);
}

static void assemble_file(Asm *A, const char *path, SrcLoc from) {
    if (A->depth >= MAX_INCLUDE_DEPTH) {
        diag_error(A->diag, from, ".include nested more than %d deep", MAX_INCLUDE_DEPTH);
        return;
    }
    /* Only regular files: an include of /dev/zero must not read forever. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        diag_error(A->diag, from, "cannot read '%s': not a regular file", path);
        return;
    }
    char err[512];
    size_t len;
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        diag_error(A->diag, from, "%s", err);
        return;
    }
    int file = diag_add_file(A->diag, path, text, len);
    A->depth++;
    assemble_text(A, file, text, len);
    A->depth--;
    free(text);
}

/* ---- pass 2 ------------------------------------------------------------------------------------
 */

static void emit_insn(Asm *A, const Stmt *s) {
    const IsaInfo *info = isa_info(s->op);
    IsaInsn insn = {.op = s->op};
    Env env = {A, -1, true};
    bool ok = true;
    for (int i = 0; i < s->nops; i++) {
        const Operand *o = &s->ops[i];
        const IsaFieldInfo *f = isa_field(o->field);
        int64_t v = o->value, min, max, step;
        isa_operand_range(o->field, &min, &max, &step);
        if (o->is_expr) {
            Value val;
            if (!eval(&env, o->expr, &val)) {
                ok = false;
                continue;
            }
            v = val.v;
            if (f->kind == ISA_K_PCREL || f->kind == ISA_K_PCEND) {
                if (val.prog >= 0 && val.prog != (int)s->prog) {
                    diag_error(A->diag, o->loc,
                               "'%s' jumps to program '%s'; targets must be in program '%s'",
                               info->mnemonic, A->img->programs[val.prog].name,
                               A->img->programs[s->prog].name);
                    ok = false;
                    continue;
                }
                if (v % 4) {
                    diag_error(A->diag, o->loc, "target 0x%llx is not a multiple of 4",
                               (long long)v);
                    ok = false;
                    continue;
                }
                v -= s->offset;
            }
        }
        if (isa_operand_fits(o->field, v)) {
            isa_set_operand(&insn, o->field, v);
            continue;
        }
        ok = false;
        if (f->kind == ISA_K_PCEND && v < 4)
            diag_error(A->diag, o->loc, "the loop end must come after '%s'", info->mnemonic);
        else if (f->kind == ISA_K_PCEND)
            diag_error(A->diag, o->loc,
                       "loop body too long for '%s' (%lld instructions; at most %lld)",
                       info->mnemonic, (long long)(v - 4) / 4, (long long)(max - 4) / 4);
        else if (f->kind == ISA_K_PCREL)
            diag_error(A->diag, o->loc,
                       "branch target out of range for '%s' (%lld bytes away; %lld to %lld)",
                       info->mnemonic, (long long)v, (long long)min, (long long)max);
        else if (f->kind == ISA_K_CSR)
            diag_error(A->diag, o->loc, "control register %lld out of range (0 to %lld)",
                       (long long)v, (long long)max);
        else
            diag_error(A->diag, o->loc, "immediate %lld out of range for '%s' (%lld to %lld)",
                       (long long)v, info->mnemonic, (long long)min, (long long)max);
    }
    if (ok) A->img->programs[s->prog].code[s->offset / 4] = isa_encode(&insn);
}

static void store_le(uint8_t *p, uint64_t v, unsigned size) {
    for (unsigned i = 0; i < size; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void emit_data(Asm *A, const Stmt *s, uint32_t tile) {
    unsigned size = data_kinds[s->dkind].size;
    uint8_t *bytes = xmalloc(s->nargs * size);
    Env env = {A, tile, true};
    bool ok = true;
    for (size_t i = 0; i < s->nargs; i++) {
        uint64_t v;
        switch (s->dkind) {
        case D_F16: v = f32_to_f16(s->floats[i]); break;
        case D_BF16: v = f32_to_bf16(s->floats[i]); break;
        case D_F32: v = f32_bits(s->floats[i]); break;
        default: {
            int64_t x;
            if (!eval_number(&env, s->args[i], &x)) {
                ok = false;
                continue;
            }
            int64_t lo = size == 8 ? INT64_MIN : -((int64_t)1 << (8 * size - 1));
            int64_t hi = size == 8 ? INT64_MAX : ((int64_t)1 << (8 * size)) - 1;
            if (!in_range(A, s->args[i]->loc, x, lo, hi, data_kinds[s->dkind].name + 1)) {
                ok = false;
                continue;
            }
            v = (uint64_t)x;
        }
        }
        store_le(bytes + i * size, v, size);
    }
    if (ok) {
        asm_image_add_data(A->img, tile, s->addr, bytes, (uint32_t)(s->nargs * size));
        XGROW(A->ranges, A->capranges, A->nranges + 1);
        A->ranges[A->nranges++] = (DataRange){tile, s->addr, (uint32_t)(s->nargs * size), s->loc};
    }
    free(bytes);
}

/* Evaluate s->args for one tile into v, each checked against [lo, hi]. */
static bool eval_args(Asm *A, const Stmt *s, uint32_t tile, int64_t *v, const int64_t *lo,
                      const int64_t *hi, const char *const *what) {
    Env env = {A, tile, true};
    bool ok = true;
    for (size_t i = 0; i < s->nargs; i++) {
        size_t k = i < 3 ? i : 3; /* later arguments reuse the last bounds */
        ok = ok && eval_number(&env, s->args[i], &v[i]) &&
             in_range(A, s->args[i]->loc, v[i], lo[k], hi[k], what[k]);
    }
    return ok;
}

static bool fits_sram(Asm *A, SrcLoc loc, int64_t addr, int64_t len, uint32_t tile) {
    if (addr + len <= (int64_t)A->img->machine.sram_bytes) return true;
    diag_error(A->diag, loc, "0x%llx..0x%llx lies outside tile %u's %u bytes of SRAM",
               (long long)addr, (long long)(addr + len), tile, A->img->machine.sram_bytes);
    return false;
}

static void emit_descriptor(Asm *A, const Stmt *s, uint32_t tile) {
    int64_t v[4];
    int64_t sram = A->img->machine.sram_bytes, tmax = A->img->machine.tiles - 1;
    switch (s->kind) {
    case ST_SEND: {
        static const char *const what[] = {"address", "length", "tile", "tile"};
        int64_t lo[] = {0, 1, 0, 0}, hi[] = {sram - 1, sram, tmax, tmax};
        int64_t *w = xmalloc(s->nargs * sizeof *w);
        uint32_t *dst = NULL;
        size_t ndst = 0, cap = 0;
        bool ok = eval_args(A, s, tile, w, lo, hi, what) && fits_sram(A, s->loc, w[0], w[1], tile);
        for (size_t i = 2; ok && i < s->nargs; i++) {
            int64_t first = w[i], last = w[i];
            if (i + 1 < s->nargs && s->range_end[i + 1]) last = w[++i];
            if (last < first) {
                diag_error(A->diag, s->args[i]->loc, "tile range %lld..%lld is empty",
                           (long long)first, (long long)last);
                ok = false;
            }
            for (int64_t t = first; ok && t <= last; t++) {
                XGROW(dst, cap, ndst + 1);
                dst[ndst++] = (uint32_t)t;
            }
        }
        /* A tile named twice would receive twice: refuse. */
        uint32_t *seen = ok ? xcalloc((size_t)tmax / 32 + 1, sizeof *seen) : NULL;
        for (size_t i = 0; ok && i < ndst; i++) {
            if (seen[dst[i] / 32] >> (dst[i] % 32) & 1) {
                diag_error(A->diag, s->loc, "tile %u is named twice", dst[i]);
                ok = false;
            }
            seen[dst[i] / 32] |= 1u << (dst[i] % 32);
        }
        if (ok && (A->destinations += ndst) > MAX_DESTINATIONS) {
            diag_error(A->diag, s->loc, "more than %d send destinations in all", MAX_DESTINATIONS);
            ok = false;
        }
        if (ok)
            asm_slot_add_send(asm_image_slot(A->img, tile, s->slot), (uint32_t)w[0], (uint32_t)w[1],
                              dst, ndst);
        free(seen);
        free(dst);
        free(w);
        return;
    }
    case ST_RECV: {
        static const char *const what[] = {"tile", "address", "length"};
        int64_t lo[] = {0, 0, 1}, hi[] = {tmax, sram - 1, sram};
        if (!eval_args(A, s, tile, v, lo, hi, what) || !fits_sram(A, s->loc, v[1], v[2], tile))
            return;
        asm_slot_add_recv(asm_image_slot(A->img, tile, s->slot), (uint32_t)v[0], (uint32_t)v[1],
                          (uint32_t)v[2]);
        return;
    }
    default: {
        const AsmIo *io = &A->img->ios[s->io];
        int64_t bytes = asm_io_elements(io) * (int64_t)dtype_size(io->dtype);
        static const char *const what[] = {"offset", "address", "length"};
        int64_t lo[] = {0, 0, 1}, hi[] = {bytes - 1, sram - 1, sram};
        if (!eval_args(A, s, tile, v, lo, hi, what) || !fits_sram(A, s->loc, v[1], v[2], tile))
            return;
        if (v[0] + v[2] > bytes) {
            diag_error(A->diag, s->loc, "bytes %lld..%lld are past the end of '%s' (%lld bytes)",
                       (long long)v[0], (long long)(v[0] + v[2]), io->name, (long long)bytes);
            return;
        }
        if ((s->kind == ST_HOSTOUT) != io->output) {
            diag_error(A->diag, s->loc, "'%s' is an %s; use %s", io->name,
                       io->output ? "output" : "input", io->output ? ".hostout" : ".hostin");
            return;
        }
        AsmSlot *slot = asm_image_slot(A->img, tile, s->slot);
        if (s->kind == ST_HOSTIN)
            asm_slot_add_hostin(slot, (uint32_t)s->io, (uint64_t)v[0], (uint32_t)v[1],
                                (uint32_t)v[2]);
        else
            asm_slot_add_hostout(slot, (uint32_t)s->io, (uint64_t)v[0], (uint32_t)v[1],
                                 (uint32_t)v[2]);
        return;
    }
    }
}

static void emit_layout(Asm *A, const Stmt *s, uint32_t tile) {
    const AsmIo *io = &A->img->ios[s->io];
    int64_t n = asm_io_elements(io), v[4] = {0, 0, 0, 1};
    int64_t sram = A->img->machine.sram_bytes;
    static const char *const what[] = {"address", "element", "count", "stride"};
    int64_t lo[] = {0, 0, 1, 1}, hi[] = {sram - 1, n - 1, n, n ? n : 1};
    if (!eval_args(A, s, tile, v, lo, hi, what)) return;
    if (v[1] + (v[2] - 1) * v[3] >= n) {
        diag_error(A->diag, s->loc,
                   "elements %lld..%lld (stride %lld) run past the end of '%s' (%lld elements)",
                   (long long)v[1], (long long)(v[1] + (v[2] - 1) * v[3]), (long long)v[3],
                   io->name, (long long)n);
        return;
    }
    if (!fits_sram(A, s->loc, v[0], v[2] * (int64_t)dtype_size(io->dtype), tile)) return;
    asm_image_add_run(A->img, (uint32_t)s->io, tile, (uint32_t)v[0], (uint64_t)v[1], (uint64_t)v[2],
                      (uint64_t)v[3]);
}

static void resolve_execs(Asm *A) {
    for (size_t i = 0; i < A->nexecs; i++) {
        const Exec *e = &A->execs[i];
        int p = asm_image_find_program(A->img, e->program);
        if (p < 0) {
            diag_error(A->diag, e->loc, "no program called '%s'", e->program);
            continue;
        }
        for (size_t k = 0; k < e->tiles->n; k++) {
            uint32_t t = e->tiles->tiles[k];
            uint32_t old = A->img->tiles[t].program;
            if (old != ASM_NO_PROGRAM && old != (uint32_t)p) {
                diag_error(A->diag, e->loc, "tile %u already runs program '%s'", t,
                           A->img->programs[old].name);
                break;
            }
            asm_image_set_program(A->img, t, (uint32_t)p);
        }
    }
}

static int compare_ranges(const void *a, const void *b) {
    const DataRange *x = a, *y = b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void check_overlaps(Asm *A) {
    if (A->nranges) qsort(A->ranges, A->nranges, sizeof *A->ranges, compare_ranges);
    for (size_t i = 1; i < A->nranges; i++) {
        const DataRange *p = &A->ranges[i - 1], *r = &A->ranges[i];
        if (p->tile == r->tile && (uint64_t)p->addr + p->size > r->addr) {
            SrcLoc later = r->loc, earlier = p->loc;
            if (later.line < earlier.line && later.file == earlier.file) {
                later = p->loc;
                earlier = r->loc;
            }
            diag_error(A->diag, later, "data on tile %u at 0x%x..0x%x overlaps other data", r->tile,
                       r->addr > p->addr ? r->addr : p->addr,
                       (uint32_t)((uint64_t)p->addr + p->size < (uint64_t)r->addr + r->size
                                      ? p->addr + p->size
                                      : r->addr + r->size));
            diag_note(A->diag, earlier, "the other data is defined here");
        }
    }
}

static void pass2(Asm *A) {
    image(A);
    resolve_execs(A);
    for (size_t p = 0; p < A->img->nprograms; p++) {
        size_t n = A->prog_size[p] / 4;
        uint32_t *zeros = xcalloc(n ? n : 1, sizeof *zeros);
        asm_program_append(A->img, (uint32_t)p, zeros, n);
        free(zeros);
        if (!n)
            diag_error(A->diag, diag_loc(0, 0, 0), "program '%s' has no instructions",
                       A->img->programs[p].name);
        /* A .worker or .supervisor after the last instruction starts nothing. */
        AsmProgram *prog = &A->img->programs[p];
        while (prog->nregions > 1 && prog->regions[prog->nregions - 1].start >= n * 4)
            prog->nregions--;
    }
    for (size_t i = 0; i < A->nstmts; i++) {
        const Stmt *s = &A->stmts[i];
        switch (s->kind) {
        case ST_INSN: emit_insn(A, s); break;
        case ST_CODEWORD: {
            Env env = {A, -1, true};
            int64_t v;
            if (eval_number(&env, s->args[0], &v) &&
                in_range(A, s->args[0]->loc, v, INT32_MIN, UINT32_MAX, "word"))
                A->img->programs[s->prog].code[s->offset / 4] = (uint32_t)v;
            break;
        }
        default:
            for (size_t k = 0; k < s->tiles->n; k++) {
                uint32_t t = s->tiles->tiles[k];
                if (s->kind == ST_DATA)
                    emit_data(A, s, t);
                else if (s->kind == ST_LAYOUT)
                    emit_layout(A, s, t);
                else
                    emit_descriptor(A, s, t);
            }
        }
    }
    check_overlaps(A);
    /* Code labels, except the local .L ones, become symbols. */
    for (size_t i = 0; i < A->syms.cap; i++) {
        const Symbol *s = A->syms.slots[i];
        if (s && s->prog >= 0 && strncmp(s->name, ".L", 2))
            asm_image_add_symbol(A->img, (uint32_t)s->prog, (uint32_t)s->value, s->name);
    }
}

static AsmImage *finish(Asm *A) {
    pass2(A); /* even after errors in pass 1: report the rest too */
    char err[512];
    if (!diag_failed(A->diag) && !asm_image_check(A->img, err, sizeof err))
        diag_error(A->diag, diag_loc(0, 0, 0), "%s", err);
    AsmImage *img = diag_failed(A->diag) ? NULL : A->img;
    if (!img) asm_image_free(A->img);
    free(A->syms.slots);
    free(A->stmts);
    free(A->execs);
    free(A->ranges);
    free(A->prog_size);
    arena_free(&A->arena);
    return img;
}

AsmImage *asm_assemble_file(const char *path, Diag *diag) {
    Asm A = {.diag = diag, .prog = -1};
    arena_init(&A.arena);
    assemble_file(&A, path, diag_loc(0, 0, 0));
    return finish(&A);
}

AsmImage *asm_assemble_text(const char *name, const char *text, size_t len, Diag *diag) {
    Asm A = {.diag = diag, .prog = -1};
    arena_init(&A.arena);
    int file = diag_add_file(diag, name, text, len);
    assemble_text(&A, file, text, len);
    return finish(&A);
}

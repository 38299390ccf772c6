/*
 * Pass 1 of acc-as: read every line (following .include), lay out code and
 * data, define labels, and turn statements into Stmts whose operands are
 * register numbers or unevaluated expressions. Instruction operands are
 * matched against the syntax templates of the instruction table: a mnemonic
 * may have several rows (ldw, ldw.pi, ldw.pr) and the operands' shape picks
 * one. An error skips the rest of its line; the pass goes on.
 */
#include "asmint.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    Token *t = asm_peek(c);
    char file;
    long n;
    if (!register_like(t, &file, &n))
        return asm_fail_at(c, t, "expected %s, found %s", kind_words(kind), asm_tok_text(c, t));
    bool ranged = file == 'a' && c->i + 2 < c->n && tok_is_punct(&c->t[c->i + 1], ":") &&
                  c->t[c->i + 2].kind == TOK_INT;
    if (kind == ISA_K_MREG) {
        if (file != 'm')
            return asm_fail_at(c, t, "expected an m register, found %s", asm_tok_text(c, t));
        if (n > 15)
            return asm_fail_at(c, t, "bad register %s (m registers are m0 to m15)",
                               asm_tok_text(c, t));
        *out = n;
        asm_next(c);
        return true;
    }
    if (file != 'a')
        return asm_fail_at(c, t, "expected %s, found %s", kind_words(kind), asm_tok_text(c, t));
    if (n > 15)
        return asm_fail_at(c, t, "bad register %s (a registers are a0 to a15)", asm_tok_text(c, t));
    if (kind == ISA_K_AREG) {
        if (ranged)
            return asm_fail_at(c, t, "expected an a register, found the group 'a%ld:%lld'", n,
                               (long long)c->t[c->i + 2].ival);
        *out = n;
        asm_next(c);
        return true;
    }
    if (!ranged)
        return asm_fail_at(c, t, "expected %s, found %s", kind_words(kind), asm_tok_text(c, t));
    int64_t last = c->t[c->i + 2].ival;
    if (kind == ISA_K_APAIR && (n % 2 || last != n + 1))
        return asm_fail_at(c, t, "bad register pair 'a%ld:%lld' (pairs are a0:1, a2:3, ... a14:15)",
                           n, (long long)last);
    if (kind == ISA_K_AQUAD && (n % 4 || last != n + 3))
        return asm_fail_at(c, t,
                           "bad register quad 'a%ld:%lld' (quads are a0:3, a4:7, a8:11, a12:15)", n,
                           (long long)last);
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
    Token *t = asm_peek(c);
    op->field = field;
    op->loc = asm_tok_loc(c, t);
    op->is_expr = false;
    switch (f->kind) {
    case ISA_K_MREG:
    case ISA_K_AREG:
    case ISA_K_APAIR:
    case ISA_K_AQUAD: return parse_register(c, f->kind, &op->value);
    case ISA_K_SOFF:
        /* [ma+expr], [ma-expr] or [ma] */
        if (tok_is_punct(t, "+"))
            asm_next(c);
        else if (!tok_is_punct(t, "-")) {
            op->value = 0;
            return true;
        }
        op->loc = asm_tok_loc(c, asm_peek(c));
        break;
    case ISA_K_CSR:
        if (t->kind == TOK_IDENT) {
            int n = isa_csr_lookup(t->text, (size_t)t->len);
            if (n >= 0) {
                asm_next(c);
                op->value = n;
                return true;
            }
        }
        break;
    default: break;
    }
    t = asm_peek(c);
    if (is_register(t))
        return asm_fail_at(c, t, "expected an expression, found register %s", asm_tok_text(c, t));
    if (t->kind == TOK_EOL) return asm_fail_at(c, t, "missing operand");
    op->expr = asm_parse_expr(c);
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
        if (!asm_expect_punct(c, lit)) return false;
    }
    if (!asm_at_eol(c))
        return asm_fail_at(c, asm_peek(c), "unexpected %s after the operands",
                           asm_tok_text(c, asm_peek(c)));
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
        diag_error(A->diag, asm_tok_loc(c, mn),
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
                diag_error(A->diag, asm_tok_loc(c, mn), "'%s' is not allowed in %s code (%s only)",
                           info->mnemonic, context_name(A->context),
                           info->ctx == ISA_CTX_S ? "supervisor" : "worker");
                return;
            }
            Stmt *s = new_stmt(A, ST_INSN, asm_tok_loc(c, mn));
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
            best_eol = asm_peek(c)->kind == TOK_EOL;
        }
    }
    if (best < 0) {
        diag_error(A->diag, asm_tok_loc(c, mn), "unknown instruction '%.*s'", mn->len, mn->text);
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
    int p = asm_image_find_program(asm_the_image(A), name);
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
    Token *t = asm_peek(c);
    if (t->kind == TOK_IDENT) {
        asm_next(c);
        return asm_ident_name(c, t);
    }
    if (t->kind == TOK_STRING) {
        asm_next(c);
        if (!t->slen || memchr(t->str, 0, t->slen)) {
            asm_fail_at(c, t, "a %s must not be empty or contain NUL", what);
            return NULL;
        }
        return t->str;
    }
    asm_fail_at(c, t, "expected a %s, found %s", what, asm_tok_text(c, t));
    return NULL;
}

/* .machine PRESET [, FIELD = VALUE]... */
static bool dir_machine(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (A->img) {
        diag_error(A->diag, asm_tok_loc(c, d),
                   ".machine must come before any code, data or tensor");
        return true;
    }
    if (A->machine_given) {
        diag_error(A->diag, asm_tok_loc(c, d), "second .machine");
        diag_note(A->diag, A->machine_loc, "the first is here");
        return true;
    }
    Token *t = asm_peek(c);
    if (t->kind != TOK_IDENT) return asm_fail_at(c, t, "expected a machine preset name");
    /* Preset names contain '-': read ident ('-' ident)* */
    StrBuf name;
    sb_init(&name);
    sb_append(&name, t->text, (size_t)t->len);
    asm_next(c);
    while (tok_is_punct(asm_peek(c), "-") && c->t[c->i + 1].kind == TOK_IDENT) {
        sb_putc(&name, '-');
        asm_next(c);
        Token *w = asm_next(c);
        sb_append(&name, w->text, (size_t)w->len);
    }
    int p = isa_preset_lookup(name.data);
    if (p < 0) {
        asm_fail_at(c, t, "unknown machine preset '%s' (acc1, acc1-gc2, acc1-mini)", name.data);
        sb_free(&name);
        return false;
    }
    sb_free(&name);
    IsaMachine m = *isa_preset((IsaPreset)p);
    while (tok_is_punct(asm_peek(c), ",")) {
        asm_next(c);
        Token *f = asm_peek(c);
        int field = f->kind == TOK_IDENT ? isa_machine_field_lookup(f->text, (size_t)f->len) : -1;
        if (field < 0)
            return asm_fail_at(c, f, "expected a machine field name, found %s", asm_tok_text(c, f));
        asm_next(c);
        if (!asm_expect_punct(c, "=")) return false;
        Expr *e = asm_parse_expr(c);
        int64_t v;
        if (!e) return false;
        if (!asm_eval_now(A, e, &v)) return true;
        if (!asm_in_range(A, e->loc, v, 0, UINT32_MAX, isa_machine_field_name(field))) return true;
        isa_machine_set(&m, field, (uint32_t)v);
    }
    const char *why = isa_machine_check(&m);
    if (why) {
        diag_error(A->diag, asm_tok_loc(c, t), "bad machine: %s", why);
        return true;
    }
    A->machine = m;
    A->machine_given = true;
    A->machine_loc = asm_tok_loc(c, d);
    return true;
}

/* .equ NAME, EXPR */
static bool dir_equ(Cursor *c, const Token *d) {
    Asm *A = c->A;
    Token *t = asm_peek(c);
    if (t->kind != TOK_IDENT)
        return asm_fail_at(c, t, "expected a name, found %s", asm_tok_text(c, t));
    asm_next(c);
    if (!asm_expect_punct(c, ",")) return false;
    Expr *e = asm_parse_expr(c);
    if (!e) return false;
    Value v;
    Env env = {A, -1, false};
    if (!asm_eval(&env, e, &v)) return true;
    char *name = asm_ident_name(c, t);
    Symbol *old = asm_sym_find(&A->syms, name);
    if (old) {
        diag_error(A->diag, asm_tok_loc(c, t), "redefinition of '%s'", name);
        diag_note(A->diag, old->loc, "'%s' was defined here", name);
        return true;
    }
    Symbol *s = ARENA_NEW(&A->arena, Symbol);
    *s = (Symbol){name, v.prog, v.v, asm_tok_loc(c, t)};
    asm_sym_insert(&A->syms, s);
    return true;
}

/* .program NAME */
static bool dir_program(Cursor *c, const Token *d) {
    Token *t = asm_peek(c);
    if (t->kind != TOK_IDENT)
        return asm_fail_at(c, t, "expected a program name, found %s", asm_tok_text(c, t));
    char *name = asm_ident_name(c, t);
    if (!asm_is_identifier(name)) return asm_fail_at(c, t, "'%s' cannot name a program", name);
    asm_next(c);
    new_program(c, name);
    return true;
}

/* .supervisor | .worker */
static bool dir_context(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (A->mode != MODE_CODE) {
        diag_error(A->diag, asm_tok_loc(c, d), "%.*s outside a program", d->len, d->text);
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
    uint32_t n = asm_ntiles(A);
    uint32_t *list = NULL;
    size_t count = 0, cap = 0;
    bool ok = true;
    do {
        Token *t = asm_peek(c);
        int64_t lo, hi;
        if (tok_is_ident(t, "all")) {
            asm_next(c);
            lo = 0;
            hi = (int64_t)n - 1;
        } else {
            Expr *e = asm_parse_expr(c);
            if (!e) {
                free(list);
                return false;
            }
            if (!asm_eval_now(A, e, &lo)) {
                ok = false;
                break;
            }
            hi = lo;
            if (tok_is_punct(asm_peek(c), "..")) {
                asm_next(c);
                Expr *e2 = asm_parse_expr(c);
                if (!e2) {
                    free(list);
                    return false;
                }
                if (!asm_eval_now(A, e2, &hi)) {
                    ok = false;
                    break;
                }
            }
            if (!asm_in_range(A, e->loc, lo, 0, (int64_t)n - 1, "tile") ||
                !asm_in_range(A, e->loc, hi, lo, (int64_t)n - 1, "last tile")) {
                ok = false;
                break;
            }
        }
        for (int64_t i = lo; i <= hi && count < MAX_TILE_SET; i++) {
            XGROW(list, cap, count + 1);
            list[count++] = (uint32_t)i;
        }
    } while (tok_is_punct(asm_peek(c), ",") && asm_next(c));
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
    diag_error(c->A->diag, asm_tok_loc(c, d), "%.*s needs a tile selection (.tiles) first", d->len,
               d->text);
    return false;
}

/* .exec PROGRAM */
static bool dir_exec(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Token *t = asm_peek(c);
    if (t->kind != TOK_IDENT)
        return asm_fail_at(c, t, "expected a program name, found %s", asm_tok_text(c, t));
    asm_next(c);
    XGROW(A->execs, A->capexecs, A->nexecs + 1);
    A->execs[A->nexecs++] = (Exec){A->tiles, asm_ident_name(c, t), asm_tok_loc(c, t)};
    return true;
}

/* .org EXPR | .space EXPR | .align EXPR */
static bool dir_location(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Expr *e = asm_parse_expr(c);
    int64_t v;
    if (!e) return false;
    if (!asm_eval_now(A, e, &v)) return true;
    uint64_t sram = asm_the_image(A)->machine.sram_bytes;
    if (tok_is_ident(d, ".org")) {
        if (asm_in_range(A, e->loc, v, 0, (int64_t)sram, "address")) A->loc = (uint64_t)v;
    } else if (tok_is_ident(d, ".space")) {
        if (asm_in_range(A, e->loc, v, 0, (int64_t)(sram - A->loc), "size")) A->loc += (uint64_t)v;
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
    Token *t = asm_peek(c);
    bool neg = false;
    if (tok_is_punct(t, "-") || tok_is_punct(t, "+")) {
        neg = t->punct[0] == '-';
        asm_next(c);
        t = asm_peek(c);
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
        return asm_fail_at(c, t, "expected a number, found %s", asm_tok_text(c, t));
    }
    asm_next(c);
    if (neg) *out = -*out;
    return true;
}

/* .byte .half .word .dword EXPR [, EXPR]...   .f16 .bf16 .f32 NUMBER [, NUMBER]... */
static bool dir_data(Cursor *c, const Token *d) {
    Asm *A = c->A;
    DataKind kind = D_BYTE;
    for (size_t k = 0; k < D_COUNT; k++)
        if (tok_is_ident(d, asm_data_kinds[k].name)) kind = (DataKind)k;
    if (A->mode == MODE_CODE && kind == D_WORD) { /* raw instruction words */
        do {
            Expr *e = asm_parse_expr(c);
            if (!e) return false;
            Stmt *s = new_stmt(A, ST_CODEWORD, e->loc);
            s->prog = (uint32_t)A->prog;
            s->offset = A->prog_size[A->prog];
            s->args = ARENA_ARRAY(&A->arena, Expr *, 1);
            s->args[0] = e;
            s->nargs = 1;
            A->prog_size[A->prog] += 4;
        } while (tok_is_punct(asm_peek(c), ",") && asm_next(c));
        return true;
    }
    if (A->mode == MODE_CODE) {
        diag_error(A->diag, asm_tok_loc(c, d), "only .word is allowed in code");
        return true;
    }
    if (!need_data(c, d)) return true;
    /* Items go to heap arrays first (their number is unknown), then to the arena. */
    Expr **args = NULL;
    float *floats = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    do {
        if (asm_data_kinds[kind].is_float) {
            XGROW(floats, cap, n + 1);
            ok = parse_float(c, &floats[n]);
        } else {
            XGROW(args, cap, n + 1);
            ok = (args[n] = asm_parse_expr(c)) != NULL;
        }
        n++;
    } while (ok && tok_is_punct(asm_peek(c), ",") && asm_next(c));
    Stmt *s = NULL;
    if (ok) {
        s = new_stmt(A, ST_DATA, asm_tok_loc(c, d));
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
    uint64_t size = s->nargs * asm_data_kinds[kind].size;
    if (A->loc + size > asm_the_image(A)->machine.sram_bytes) {
        diag_error(A->diag, s->loc, "data at 0x%llx..0x%llx runs past the end of SRAM (%u bytes)",
                   (unsigned long long)A->loc, (unsigned long long)(A->loc + size),
                   asm_the_image(A)->machine.sram_bytes);
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
    Expr *e = asm_parse_expr(c);
    int64_t v;
    if (!e) return false;
    if (asm_eval_now(A, e, &v) && asm_in_range(A, e->loc, v, 0, (1 << 16) - 1, "slot"))
        A->slot = (uint32_t)v;
    return true;
}

/* The io a name refers to; fails if there is none. */
static bool parse_io(Cursor *c, int *io) {
    Token *t = asm_peek(c);
    const char *name = parse_name(c, "tensor name");
    if (!name) return false;
    *io = asm_image_find_io(asm_the_image(c->A), name);
    if (*io < 0)
        return asm_fail_at(c, t, "no tensor called '%s' (declare it with .input or .output first)",
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
    if (!asm_at_eol(c)) do {
            if (n == max) {
                ok = asm_fail_at(c, asm_peek(c), "too many operands (%s)", usage_text);
                break;
            }
            XGROW(args, cap, n + 2);
            XGROW(ends, cap2, n + 2);
            ends[n] = false;
            if (!(args[n++] = asm_parse_expr(c))) {
                ok = false;
                break;
            }
            if (ranges && n >= min && tok_is_punct(asm_peek(c), "..")) {
                asm_next(c);
                ends[n] = true;
                if (!(args[n++] = asm_parse_expr(c))) {
                    ok = false;
                    break;
                }
            }
        } while (tok_is_punct(asm_peek(c), ",") && asm_next(c));
    if (ok && n < min) ok = asm_fail_at(c, asm_peek(c), "too few operands (%s)", usage_text);
    if (ok && !asm_at_eol(c))
        ok = asm_fail_at(c, asm_peek(c), "unexpected %s", asm_tok_text(c, asm_peek(c)));
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
    Stmt s = {.loc = asm_tok_loc(c, d), .tiles = A->tiles, .slot = A->slot};
    s.kind = tok_is_ident(d, ".send")     ? ST_SEND
             : tok_is_ident(d, ".recv")   ? ST_RECV
             : tok_is_ident(d, ".hostin") ? ST_HOSTIN
                                          : ST_HOSTOUT;
    bool ok;
    switch (s.kind) {
    case ST_SEND: ok = parse_args(c, &s, 3, SIZE_MAX, true, ".send SRC, LEN, TILES..."); break;
    case ST_RECV: ok = parse_args(c, &s, 3, 3, false, ".recv FROM, DST, LEN"); break;
    default:
        ok = parse_io(c, &s.io) && asm_expect_punct(c, ",") &&
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
    Token *nt = asm_peek(c);
    const char *name = parse_name(c, "tensor name");
    if (!name || !asm_expect_punct(c, ",")) return false;
    Token *dt = asm_peek(c);
    int dtype = dt->kind == TOK_IDENT ? dtype_lookup(dt->text, (size_t)dt->len) : -1;
    if (dtype < 0 || !(dtype_flags((AccDtype)dtype) & DT_IR))
        return asm_fail_at(c, dt,
                           "expected an element type (f32 f16 bf16 i8 u8 i32 i64 bool), found %s",
                           asm_tok_text(c, dt));
    asm_next(c);
    if (!asm_expect_punct(c, ",") || !asm_expect_punct(c, "[")) return false;
    int64_t shape[ASM_MAX_DIMS];
    int ndim = 0;
    bool ok = true;
    if (!tok_is_punct(asm_peek(c), "]")) do {
            if (ndim == ASM_MAX_DIMS)
                return asm_fail_at(c, asm_peek(c), "more than %d dimensions", ASM_MAX_DIMS);
            Expr *e = asm_parse_expr(c);
            if (!e) return false;
            int64_t v = 0;
            ok = ok && asm_eval_now(A, e, &v) &&
                 asm_in_range(A, e->loc, v, 0, (int64_t)1 << 48, "dimension");
            shape[ndim++] = v;
        } while (tok_is_punct(asm_peek(c), ",") && asm_next(c));
    if (!asm_expect_punct(c, "]")) return false;
    if (!asm_at_eol(c))
        return asm_fail_at(c, asm_peek(c), "unexpected %s", asm_tok_text(c, asm_peek(c)));
    if (!ok) return true;
    if (asm_image_find_io(asm_the_image(A), name) >= 0) {
        diag_error(A->diag, asm_tok_loc(c, nt), "a tensor called '%s' is already declared", name);
        return true;
    }
    uint32_t io =
        asm_image_add_io(A->img, name, (AccDtype)dtype, tok_is_ident(d, ".output"), ndim, shape);
    if (asm_io_elements(&A->img->ios[io]) < 0)
        diag_error(A->diag, asm_tok_loc(c, nt), "tensor '%s' is too large", name);
    return true;
}

/* .layout IO, ADDR, START, COUNT [, STRIDE] */
static bool dir_layout(Cursor *c, const Token *d) {
    Asm *A = c->A;
    if (!need_data(c, d)) return true;
    Stmt s = {.kind = ST_LAYOUT, .loc = asm_tok_loc(c, d), .tiles = A->tiles};
    bool ok = parse_io(c, &s.io) && asm_expect_punct(c, ",") &&
              parse_args(c, &s, 3, 4, false, ".layout IO, ADDR, START, COUNT [, STRIDE]");
    if (ok) *new_stmt(A, s.kind, s.loc) = s;
    return ok;
}

/* .include "FILE" (relative to the including file) */
static bool dir_include(Cursor *c, const Token *d) {
    Token *t = asm_peek(c);
    if (t->kind != TOK_STRING) return asm_fail_at(c, t, "expected a file name in quotes");
    asm_next(c);
    if (!asm_at_eol(c))
        return asm_fail_at(c, asm_peek(c), "unexpected %s", asm_tok_text(c, asm_peek(c)));
    char *dir = path_dirname(diag_file_name(c->A->diag, c->file));
    char *path = path_join(dir, t->str);
    asm_assemble_file_into(c->A, path, asm_tok_loc(c, t));
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
            asm_report(c);
            return;
        }
        if (!directives[i].checks_end && (size_t)c->A->diag->nerrors == errors && !asm_at_eol(c))
            diag_error(c->A->diag, asm_tok_loc(c, asm_peek(c)), "unexpected %s after %.*s",
                       asm_tok_text(c, asm_peek(c)), d->len, d->text);
        return;
    }
    diag_error(c->A->diag, asm_tok_loc(c, d), "unknown directive '%.*s'", d->len, d->text);
}

/* ---- labels ---------------------------------------------------------------------------------- */

static void define_label(Cursor *c, Token *t) {
    Asm *A = c->A;
    char *name = asm_ident_name(c, t);
    if (!asm_is_identifier(name)) {
        diag_error(A->diag, asm_tok_loc(c, t), "'%s' is a register name and cannot be a label",
                   name);
        return;
    }
    if (A->mode == MODE_NONE) {
        diag_error(A->diag, asm_tok_loc(c, t), "label '%s' outside code or data", name);
        return;
    }
    Symbol *old = asm_sym_find(&A->syms, name);
    if (old) {
        diag_error(A->diag, asm_tok_loc(c, t), "redefinition of '%s'", name);
        diag_note(A->diag, old->loc, "'%s' was defined here", name);
        return;
    }
    Symbol *s = ARENA_NEW(&A->arena, Symbol);
    if (A->mode == MODE_CODE)
        *s = (Symbol){name, A->prog, A->prog_size[A->prog], asm_tok_loc(c, t)};
    else
        *s = (Symbol){name, -1, (int64_t)A->loc, asm_tok_loc(c, t)};
    asm_sym_insert(&A->syms, s);
}

/* line := (IDENT ':')* [directive | instruction] */
static void parse_line(Asm *A, Token *toks, size_t n, int file, int line) {
    Cursor c = {.A = A, .t = toks, .n = n, .file = file, .line = line};
    while (asm_peek(&c)->kind == TOK_IDENT && c.i + 1 < n && tok_is_punct(&toks[c.i + 1], ":")) {
        define_label(&c, &toks[c.i]);
        c.i += 2;
    }
    Token *t = asm_next(&c);
    if (t->kind == TOK_EOL) return;
    if (t->kind != TOK_IDENT) {
        diag_error(A->diag, asm_tok_loc(&c, t),
                   "expected an instruction, a directive or a label, found %s",
                   asm_tok_text(&c, t));
        return;
    }
    if (t->text[0] == '.')
        parse_directive(&c, t);
    else
        parse_instruction(&c, t);
}

void asm_assemble_text_into(Asm *A, int file, const char *text, size_t len) {
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

void asm_assemble_file_into(Asm *A, const char *path, SrcLoc from) {
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
    asm_assemble_text_into(A, file, text, len);
    A->depth--;
    free(text);
}

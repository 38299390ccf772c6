/*
 * isagen: check the ACC-1 instruction table and generate from it.
 *
 *   isagen TABLE [--header FILE] [--decode FILE] [--doc FILE] [--presets FILE]
 *
 * The table (isa-spec/acc1.isa) is read, checked, and each requested output
 * is written atomically. With no output option it only checks. The build
 * runs it on every change to the table, so a bad table fails the build.
 *
 * What the checker guarantees (each rule is one function below):
 *   - every format claims each of the 32 bits exactly once (no unclaimed,
 *     no doubly claimed bits), and every constant fits its bits;
 *   - every instruction fixes each opcode field of its format with a value
 *     that fits, fixes the primary opcode bits 31..25, and names each
 *     operand field of its format exactly once in its syntax;
 *   - no two instructions' encodings overlap (no word matches both);
 *   - rows sharing a mnemonic differ in operand shape, so the assembler can
 *     tell them apart;
 *   - names are unique and every reference (format, class, field) exists.
 *
 * Outputs:
 *   --header   isa_table.h: X-macro rows (ISA_PARAM, ISA_FIELD, ISA_CLASS,
 *              ISA_CSR, ISA_TRAP, ISA_INSN) for every consumer
 *   --decode   isa_decode.inc: instruction ids grouped by primary opcode
 *   --doc      docs/isa.md
 *   --presets  the machine-preset table of docs/machine.md (presets.def)
 *
 * Exit status: 0 success, 1 the table is bad (file:line:col diagnostics),
 * 2 usage error.
 */
#include "isagen.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const kind_names[K_COUNT] = {"op",   "mreg", "areg",  "apair", "aquad", "simm",
                                         "soff", "uimm", "pcrel", "pcend", "csr"};
const char *const kind_macros[K_COUNT] = {"OP",   "MREG", "AREG",  "APAIR", "AQUAD", "SIMM",
                                          "SOFF", "UIMM", "PCREL", "PCEND", "CSR"};
const char *const slot_names[SLOT_COUNT] = {"-", "d", "a", "b", "imm", "imm2"};
const char *const slot_macros[SLOT_COUNT] = {"NONE", "D", "A", "B", "IMM", "IMM2"};

/* ---- tokens of one line ------------------------------------------------------ */

typedef struct Tok {
    const char *s; /* not NUL-terminated */
    int len;
    int col;
} Tok;

enum { MAX_TOKS = 48 };

typedef struct Line {
    const char *text; /* the line, without the newline */
    int len;
    int lineno;
    Tok toks[MAX_TOKS];
    int ntoks;
} Line;

/* Every string of the table lives in one arena, freed at exit. */
static Arena strings;

static char *save(const char *s, size_t n) {
    return arena_strndup(&strings, s, n);
}

static char *tok_str(const Tok *t) {
    return save(t->s, (size_t)t->len);
}

static bool tok_is(const Tok *t, const char *s) {
    return (int)strlen(s) == t->len && memcmp(t->s, s, (size_t)t->len) == 0;
}

static void error_at(Table *T, int line, int col, const char *fmt, ...) ACC_PRINTF(4, 5);
static void error_at(Table *T, int line, int col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(T->diag, DIAG_ERROR, diag_loc(T->file, line, col), fmt, ap);
    va_end(ap);
}

/* Split into whitespace-separated tokens; "quoted strings" are one token
 * (quotes kept); '#' outside quotes ends the line. */
static bool tokenize(Table *T, Line *L) {
    L->ntoks = 0;
    int i = 0;
    while (i < L->len) {
        char c = L->text[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '#') break;
        if (L->ntoks == MAX_TOKS) {
            error_at(T, L->lineno, i + 1, "too many words on one line (at most %d)", MAX_TOKS);
            return false;
        }
        Tok *t = &L->toks[L->ntoks++];
        t->s = L->text + i;
        t->col = i + 1;
        if (c == '"') {
            int j = i + 1;
            while (j < L->len && L->text[j] != '"') j++;
            if (j >= L->len) {
                error_at(T, L->lineno, i + 1, "unterminated string");
                return false;
            }
            t->len = j + 1 - i;
            i = j + 1;
        } else {
            int j = i;
            while (j < L->len && !strchr(" \t\r#", L->text[j])) j++;
            t->len = j - i;
            i = j;
        }
    }
    return true;
}

/* The rest of the line after token k, trimmed ("" if none). */
static char *rest_of_line(const Line *L, int k) {
    if (k >= L->ntoks) return save("", 0);
    const char *start = L->toks[k].s;
    const char *end = L->text + L->len;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    return save(start, (size_t)(end - start));
}

static char *unquote(const Tok *t) {
    if (t->len >= 2 && t->s[0] == '"') return save(t->s + 1, (size_t)t->len - 2);
    return tok_str(t);
}

static bool parse_number(const char *s, int len, long *out) {
    char buf[64];
    if (len <= 0 || len >= (int)sizeof buf) return false;
    memcpy(buf, s, (size_t)len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 0);
    if (*end || errno) return false;
    *out = v;
    return true;
}

static bool tok_number(Table *T, const Line *L, int k, long *out) {
    if (k >= L->ntoks) {
        error_at(T, L->lineno, L->len + 1, "expected a number");
        return false;
    }
    if (!parse_number(L->toks[k].s, L->toks[k].len, out)) {
        error_at(T, L->lineno, L->toks[k].col, "expected a number, found '%.*s'", L->toks[k].len,
                 L->toks[k].s);
        return false;
    }
    return true;
}

/* "HI..LO" */
static bool parse_range(const char *s, int len, int *hi, int *lo) {
    const char *dots = NULL;
    for (int i = 0; i + 1 < len; i++)
        if (s[i] == '.' && s[i + 1] == '.') dots = s + i;
    if (!dots) return false;
    long h, l;
    if (!parse_number(s, (int)(dots - s), &h) ||
        !parse_number(dots + 2, len - (int)(dots - s) - 2, &l))
        return false;
    *hi = (int)h;
    *lo = (int)l;
    return true;
}

static bool valid_range(Table *T, int line, int col, int hi, int lo) {
    if (lo < 0 || hi > 31 || hi < lo) {
        error_at(T, line, col, "bit range %d..%d is not within 31..0 with high >= low", hi, lo);
        return false;
    }
    return true;
}

static uint32_t range_mask(int hi, int lo) {
    uint32_t width_mask = hi - lo == 31 ? 0xffffffffu : ((1u << (hi - lo + 1)) - 1);
    return width_mask << lo;
}

static bool value_fits(uint32_t value, int hi, int lo) {
    int width = hi - lo + 1;
    return width >= 32 || value < (1u << width);
}

/* ---- lookups ---------------------------------------------------------------- */

int find_field(const Table *T, const char *s, int len) {
    for (size_t i = 0; i < T->nfields; i++)
        if ((int)strlen(T->fields[i].name) == len && !memcmp(T->fields[i].name, s, (size_t)len))
            return (int)i;
    return -1;
}

static int find_format(const Table *T, const Tok *t) {
    for (size_t i = 0; i < T->nformats; i++)
        if (tok_is(t, T->formats[i].name)) return (int)i;
    return -1;
}

static int find_class(const Table *T, const Tok *t) {
    for (size_t i = 0; i < T->nclasses; i++)
        if (tok_is(t, T->classes[i].name)) return (int)i;
    return -1;
}

/* ---- declarations ----------------------------------------------------------------- */

static bool check_identifier(Table *T, const Line *L, int k) {
    const Tok *t = &L->toks[k];
    bool ok = t->len > 0 && (isalpha((unsigned char)t->s[0]) || t->s[0] == '_');
    for (int i = 1; ok && i < t->len; i++) ok = isalnum((unsigned char)t->s[i]) || t->s[i] == '_';
    if (!ok) error_at(T, L->lineno, t->col, "'%.*s' is not a valid name", t->len, t->s);
    return ok;
}

static void parse_named(Table *T, const Line *L, Named **arr, size_t *n, size_t *cap,
                        const char *what) {
    if (L->ntoks < 4) {
        error_at(T, L->lineno, 1, "%s needs: %s NAME VALUE \"doc\"", what, what);
        return;
    }
    if (!check_identifier(T, L, 1)) return;
    long v;
    if (!tok_number(T, L, 2, &v)) return;
    for (size_t i = 0; i < *n; i++)
        if (tok_is(&L->toks[1], (*arr)[i].name)) {
            error_at(T, L->lineno, L->toks[1].col, "%s '%s' is defined twice (first on line %d)",
                     what, (*arr)[i].name, (*arr)[i].line);
            return;
        }
    XGROW(*arr, *cap, *n + 1);
    Named *x = &(*arr)[(*n)++];
    x->name = tok_str(&L->toks[1]);
    x->value = v;
    x->doc = unquote(&L->toks[3]);
    x->line = L->lineno;
}

static Kind parse_kind(const Tok *t) {
    for (int k = 0; k < K_COUNT; k++)
        if (tok_is(t, kind_names[k])) return (Kind)k;
    return K_COUNT;
}

static Slot parse_slot(const Tok *t) {
    for (int s = 0; s < SLOT_COUNT; s++)
        if (tok_is(t, slot_names[s])) return (Slot)s;
    return SLOT_COUNT;
}

/* The width an operand kind needs, or 0 if any width will do. */
static int kind_width(Kind k) {
    switch (k) {
    case K_MREG:
    case K_AREG: return 4;
    case K_APAIR: return 3;
    case K_AQUAD: return 2;
    default: return 0;
    }
}

/* field NAME HI..LO KIND SLOT "doc" */
static void parse_field(Table *T, const Line *L) {
    if (L->ntoks != 6) {
        error_at(T, L->lineno, 1, "field needs: field NAME HI..LO KIND SLOT \"doc\"");
        return;
    }
    if (!check_identifier(T, L, 1)) return;
    if (find_field(T, L->toks[1].s, L->toks[1].len) >= 0) {
        error_at(T, L->lineno, L->toks[1].col, "field '%.*s' is defined twice", L->toks[1].len,
                 L->toks[1].s);
        return;
    }
    Field f = {0};
    if (!parse_range(L->toks[2].s, L->toks[2].len, &f.hi, &f.lo)) {
        error_at(T, L->lineno, L->toks[2].col, "expected a bit range HI..LO, found '%.*s'",
                 L->toks[2].len, L->toks[2].s);
        return;
    }
    if (!valid_range(T, L->lineno, L->toks[2].col, f.hi, f.lo)) return;
    f.kind = parse_kind(&L->toks[3]);
    if (f.kind == K_COUNT) {
        error_at(T, L->lineno, L->toks[3].col, "unknown field kind '%.*s'", L->toks[3].len,
                 L->toks[3].s);
        return;
    }
    f.slot = parse_slot(&L->toks[4]);
    if (f.slot == SLOT_COUNT) {
        error_at(T, L->lineno, L->toks[4].col, "unknown slot '%.*s' (d a b imm imm2 -)",
                 L->toks[4].len, L->toks[4].s);
        return;
    }
    if ((f.kind == K_OP) != (f.slot == SLOT_NONE)) {
        error_at(T, L->lineno, L->toks[4].col,
                 f.kind == K_OP ? "opcode fields take slot '-'" : "operand fields need a slot");
        return;
    }
    int need = kind_width(f.kind);
    if (need && f.hi - f.lo + 1 != need) {
        error_at(T, L->lineno, L->toks[2].col, "a %s field is %d bits wide, not %d",
                 kind_names[f.kind], need, f.hi - f.lo + 1);
        return;
    }
    f.name = tok_str(&L->toks[1]);
    f.doc = unquote(&L->toks[5]);
    f.line = L->lineno;
    XGROW(T->fields, T->capfields, T->nfields + 1);
    T->fields[T->nfields++] = f;
}

static const char *item_name(const Table *T, const Item *it, char *buf, size_t len) {
    if (it->field >= 0) return T->fields[it->field].name;
    snprintf(buf, len, "%d..%d=%u", it->hi, it->lo, it->value);
    return buf;
}

/* Rule: a format claims each bit exactly once and its constants fit. */
static void check_format_bits(Table *T, const Format *F) {
    int owner[32];
    for (int b = 0; b < 32; b++) owner[b] = -1;
    for (int i = 0; i < F->nitems; i++) {
        const Item *it = &F->items[i];
        for (int b = it->lo; b <= it->hi; b++) {
            if (owner[b] >= 0) {
                char b1[32], b2[32];
                error_at(T, F->line, 1, "format '%s': bit %d is claimed by both '%s' and '%s'",
                         F->name, b, item_name(T, &F->items[owner[b]], b1, sizeof b1),
                         item_name(T, it, b2, sizeof b2));
                return;
            }
            owner[b] = i;
        }
    }
    for (int b = 31; b >= 0; b--) {
        if (owner[b] >= 0) continue;
        int lo = b;
        while (lo > 0 && owner[lo - 1] < 0) lo--;
        error_at(T, F->line, 1, "format '%s': bits %d..%d are not claimed by any field", F->name, b,
                 lo);
        return;
    }
}

/* format NAME ITEM... */
static void parse_format(Table *T, const Line *L) {
    if (L->ntoks < 3) {
        error_at(T, L->lineno, 1, "format needs: format NAME ITEM...");
        return;
    }
    if (!check_identifier(T, L, 1)) return;
    if (find_format(T, &L->toks[1]) >= 0) {
        error_at(T, L->lineno, L->toks[1].col, "format '%.*s' is defined twice", L->toks[1].len,
                 L->toks[1].s);
        return;
    }
    Format F = {0};
    F.name = tok_str(&L->toks[1]);
    F.line = L->lineno;
    for (int k = 2; k < L->ntoks; k++) {
        const Tok *t = &L->toks[k];
        if (F.nitems == MAX_ITEMS) {
            error_at(T, L->lineno, t->col, "too many items in a format (at most %d)", MAX_ITEMS);
            return;
        }
        Item *it = &F.items[F.nitems];
        const char *eq = memchr(t->s, '=', (size_t)t->len);
        if (eq) {
            long v;
            if (!parse_range(t->s, (int)(eq - t->s), &it->hi, &it->lo)) {
                error_at(T, L->lineno, t->col, "expected HI..LO=VALUE, found '%.*s'", t->len, t->s);
                return;
            }
            if (!valid_range(T, L->lineno, t->col, it->hi, it->lo)) return;
            if (!parse_number(eq + 1, t->len - (int)(eq + 1 - t->s), &v) || v < 0 ||
                !value_fits((uint32_t)v, it->hi, it->lo)) {
                error_at(T, L->lineno, t->col, "constant '%.*s' does not fit in bits %d..%d",
                         t->len, t->s, it->hi, it->lo);
                return;
            }
            it->field = -1;
            it->value = (uint32_t)v;
        } else {
            int f = find_field(T, t->s, t->len);
            if (f < 0) {
                error_at(T, L->lineno, t->col, "unknown field '%.*s'", t->len, t->s);
                return;
            }
            for (int j = 0; j < F.nitems; j++)
                if (F.items[j].field == f) {
                    error_at(T, L->lineno, t->col, "field '%s' appears twice in format '%s'",
                             T->fields[f].name, F.name);
                    return;
                }
            it->field = f;
            it->hi = T->fields[f].hi;
            it->lo = T->fields[f].lo;
        }
        F.nitems++;
    }
    check_format_bits(T, &F);
    XGROW(T->formats, T->capformats, T->nformats + 1);
    T->formats[T->nformats++] = F;
}

/* class NAME turns N "doc" | class NAME mac DTYPE N "doc" */
static void parse_class(Table *T, const Line *L) {
    Class c = {0};
    if (L->ntoks < 4 || !check_identifier(T, L, 1)) {
        if (L->ntoks < 4) error_at(T, L->lineno, 1, "class needs: class NAME turns N \"doc\"");
        return;
    }
    if (find_class(T, &L->toks[1]) >= 0) {
        error_at(T, L->lineno, L->toks[1].col, "class '%.*s' is defined twice", L->toks[1].len,
                 L->toks[1].s);
        return;
    }
    long v;
    if (tok_is(&L->toks[2], "turns") && L->ntoks == 5) {
        if (!tok_number(T, L, 3, &v)) return;
        if (v < 1 || v > 1000) {
            error_at(T, L->lineno, L->toks[3].col, "a class costs 1 to 1000 turns");
            return;
        }
        c.turns = (int)v;
        c.doc = unquote(&L->toks[4]);
    } else if (tok_is(&L->toks[2], "mac") && L->ntoks == 6) {
        const Tok *ty = &L->toks[3];
        if (!tok_is(ty, "f16") && !tok_is(ty, "f32") && !tok_is(ty, "i8")) {
            error_at(T, L->lineno, ty->col, "MAC type must be f16, f32 or i8");
            return;
        }
        if (!tok_number(T, L, 4, &v)) return;
        if (v < 1 || v > 4096) {
            error_at(T, L->lineno, L->toks[4].col, "MACs per instruction must be 1 to 4096");
            return;
        }
        c.mactype = tok_str(ty);
        c.macs = (int)v;
        c.doc = unquote(&L->toks[5]);
    } else {
        error_at(T, L->lineno, L->toks[2].col,
                 "class needs: class NAME turns N \"doc\" or class NAME mac TYPE N \"doc\"");
        return;
    }
    c.name = tok_str(&L->toks[1]);
    c.line = L->lineno;
    XGROW(T->classes, T->capclasses, T->nclasses + 1);
    T->classes[T->nclasses++] = c;
}

/* ---- instructions ------------------------------------------------------------------- */

/* Split the text after "insn" at '|' into trimmed columns. */
static int split_columns(const Line *L, const char **start, int *len, int *col, int max) {
    int n = 0;
    int i = 4; /* after "insn" */
    while (n < max) {
        int j = i;
        while (j < L->len && L->text[j] != '|') j++;
        int a = i, b = j;
        while (a < b && (L->text[a] == ' ' || L->text[a] == '\t')) a++;
        while (b > a && (L->text[b - 1] == ' ' || L->text[b - 1] == '\t' || L->text[b - 1] == '\r'))
            b--;
        start[n] = L->text + a;
        len[n] = b - a;
        col[n] = a + 1;
        n++;
        if (j >= L->len) break;
        i = j + 1;
    }
    return n;
}

/* Parse the syntax template: each {name} must be an operand field of F,
 * each exactly once; records the operands in order. */
static bool parse_syntax(Table *T, Insn *I, const Format *F, int line, int col) {
    const char *s = I->syntax;
    I->noperands = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '}') {
            error_at(T, line, col + (int)(p - s), "unmatched '}' in syntax");
            return false;
        }
        if (*p != '{') continue;
        const char *end = strchr(p, '}');
        if (!end) {
            error_at(T, line, col + (int)(p - s), "unterminated '{' in syntax");
            return false;
        }
        int f = find_field(T, p + 1, (int)(end - p - 1));
        bool in_format = false;
        for (int i = 0; f >= 0 && i < F->nitems; i++)
            if (F->items[i].field == f) in_format = true;
        if (!in_format) {
            error_at(T, line, col + (int)(p - s), "'%.*s' is not a field of format '%s'",
                     (int)(end - p + 1), p, F->name);
            return false;
        }
        if (T->fields[f].kind == K_OP) {
            error_at(T, line, col + (int)(p - s), "'%s' is an opcode field, not an operand",
                     T->fields[f].name);
            return false;
        }
        for (int i = 0; i < I->noperands; i++)
            if (I->operands[i] == f) {
                error_at(T, line, col + (int)(p - s), "operand '%s' appears twice in the syntax",
                         T->fields[f].name);
                return false;
            }
        if (I->noperands == MAX_OPERANDS) {
            error_at(T, line, col + (int)(p - s), "too many operands (at most %d)", MAX_OPERANDS);
            return false;
        }
        I->operands[I->noperands++] = f;
        p = end;
    }
    for (int i = 0; i < F->nitems; i++) {
        int f = F->items[i].field;
        if (f < 0 || T->fields[f].kind == K_OP) continue;
        bool named = false;
        for (int k = 0; k < I->noperands; k++) named |= I->operands[k] == f;
        if (!named) {
            error_at(T, line, col, "the syntax does not mention operand field '%s' of format '%s'",
                     T->fields[f].name, F->name);
            return false;
        }
    }
    for (int i = 0; i < I->noperands; i++)
        for (int k = i + 1; k < I->noperands; k++)
            if (T->fields[I->operands[i]].slot == T->fields[I->operands[k]].slot) {
                error_at(T, line, col, "operands '%s' and '%s' decode into the same slot '%s'",
                         T->fields[I->operands[i]].name, T->fields[I->operands[k]].name,
                         slot_names[T->fields[I->operands[i]].slot]);
                return false;
            }
    return true;
}

/* FORMAT FIELD=VALUE...: every opcode field gets a value that fits. */
static bool parse_encoding(Table *T, Insn *I, const char *s, int len, int line, int col) {
    Line L = {.text = s, .len = len, .lineno = line};
    if (!tokenize(T, &L)) return false;
    for (int k = 0; k < L.ntoks; k++) L.toks[k].col += col - 1;
    if (L.ntoks == 0) {
        error_at(T, line, col, "missing format");
        return false;
    }
    I->format = find_format(T, &L.toks[0]);
    if (I->format < 0) {
        error_at(T, line, L.toks[0].col, "unknown format '%.*s'", L.toks[0].len, L.toks[0].s);
        return false;
    }
    const Format *F = &T->formats[I->format];
    for (int k = 1; k < L.ntoks; k++) {
        const Tok *t = &L.toks[k];
        const char *eq = memchr(t->s, '=', (size_t)t->len);
        long v;
        if (!eq || !parse_number(eq + 1, t->len - (int)(eq + 1 - t->s), &v)) {
            error_at(T, line, t->col, "expected FIELD=VALUE, found '%.*s'", t->len, t->s);
            return false;
        }
        int f = find_field(T, t->s, (int)(eq - t->s));
        bool in_format = false;
        for (int i = 0; f >= 0 && i < F->nitems; i++) in_format |= F->items[i].field == f;
        if (!in_format) {
            error_at(T, line, t->col, "'%.*s' is not a field of format '%s'", (int)(eq - t->s),
                     t->s, F->name);
            return false;
        }
        if (T->fields[f].kind != K_OP) {
            error_at(T, line, t->col, "'%s' is an operand field; only opcode fields take values",
                     T->fields[f].name);
            return false;
        }
        for (int i = 0; i < I->nfixed; i++)
            if (I->fixed_field[i] == f) {
                error_at(T, line, t->col, "field '%s' is given twice", T->fields[f].name);
                return false;
            }
        if (v < 0 || !value_fits((uint32_t)v, T->fields[f].hi, T->fields[f].lo)) {
            error_at(T, line, t->col, "value %ld does not fit field '%s' (%d bits)", v,
                     T->fields[f].name, T->fields[f].hi - T->fields[f].lo + 1);
            return false;
        }
        if (I->nfixed == MAX_FIXED) {
            error_at(T, line, t->col, "too many fixed fields");
            return false;
        }
        I->fixed_field[I->nfixed] = f;
        I->fixed_value[I->nfixed++] = (uint32_t)v;
    }
    for (int i = 0; i < F->nitems; i++) {
        int f = F->items[i].field;
        if (f < 0 || T->fields[f].kind != K_OP) continue;
        bool given = false;
        for (int k = 0; k < I->nfixed; k++) given |= I->fixed_field[k] == f;
        if (!given) {
            error_at(T, line, col, "opcode field '%s' of format '%s' is not given a value",
                     T->fields[f].name, F->name);
            return false;
        }
    }
    return true;
}

static void compute_encoding(Table *T, Insn *I) {
    const Format *F = &T->formats[I->format];
    I->mask = I->match = 0;
    for (int i = 0; i < F->nitems; i++) {
        const Item *it = &F->items[i];
        if (it->field >= 0 && T->fields[it->field].kind != K_OP) continue;
        uint32_t value = it->value;
        for (int k = 0; it->field >= 0 && k < I->nfixed; k++)
            if (I->fixed_field[k] == it->field) value = I->fixed_value[k];
        I->mask |= range_mask(it->hi, it->lo);
        I->match |= value << it->lo;
    }
}

/* insn ID | FORMAT FIELD=VALUE... | SYNTAX | CTX | CLASS | FLOPS */
static void parse_insn(Table *T, const Line *L) {
    const char *cs[8];
    int cl[8], cc[8];
    int n = split_columns(L, cs, cl, cc, 8);
    if (n != 6) {
        error_at(T, L->lineno, 1,
                 "insn needs six columns: insn ID | FORMAT FIELD=VALUE... | SYNTAX | CTX | CLASS "
                 "| FLOPS (found %d)",
                 n);
        return;
    }
    Insn I = {0};
    T->skip_attrs = true;
    I.line = L->lineno;
    I.group = (int)T->ngroups - 1;
    sb_init(&I.sem);
    /* ID: mnemonic[.variant], lower case letters, digits */
    bool ok = cl[0] > 0 && islower((unsigned char)cs[0][0]);
    int dots = 0;
    for (int i = 0; ok && i < cl[0]; i++) {
        char c = cs[0][i];
        if (c == '.') dots++;
        ok = islower((unsigned char)c) || isdigit((unsigned char)c) ||
             (c == '.' && i + 1 < cl[0] && dots == 1);
    }
    if (!ok) {
        error_at(T, L->lineno, cc[0], "'%.*s' is not a valid instruction id (mnemonic[.variant])",
                 cl[0], cs[0]);
        return;
    }
    I.id = save(cs[0], (size_t)cl[0]);
    const char *dot = strchr(I.id, '.');
    I.mnem = dot ? save(I.id, (size_t)(dot - I.id)) : save(I.id, strlen(I.id));
    for (size_t i = 0; i < T->ninsns; i++)
        if (!strcmp(T->insns[i].id, I.id)) {
            error_at(T, L->lineno, cc[0], "instruction '%s' is defined twice (first on line %d)",
                     I.id, T->insns[i].line);
            return;
        }
    if (T->ngroups == 0) {
        error_at(T, L->lineno, 1, "instruction '%s' comes before any group", I.id);
        return;
    }
    if (!parse_encoding(T, &I, cs[1], cl[1], L->lineno, cc[1])) return;
    I.syntax = save(cs[2], (size_t)cl[2]);
    if (!parse_syntax(T, &I, &T->formats[I.format], L->lineno, cc[2])) return;
    I.ctx = save(cs[3], (size_t)cl[3]);
    if (strcmp(I.ctx, "S") && strcmp(I.ctx, "W") && strcmp(I.ctx, "SW")) {
        error_at(T, L->lineno, cc[3], "context must be S, W or SW, not '%s'", I.ctx);
        return;
    }
    Tok ct = {cs[4], cl[4], cc[4]};
    I.cls = find_class(T, &ct);
    if (I.cls < 0) {
        error_at(T, L->lineno, cc[4], "unknown cycle class '%.*s'", cl[4], cs[4]);
        return;
    }
    long flops;
    if (!parse_number(cs[5], cl[5], &flops) || flops < 0 || flops > 100000) {
        error_at(T, L->lineno, cc[5], "FLOPS must be a number from 0 to 100000");
        return;
    }
    I.flops = (int)flops;
    compute_encoding(T, &I);
    if ((I.mask & 0xfe000000u) != 0xfe000000u) {
        error_at(T, L->lineno, cc[1], "'%s' must fix bits 31..25 (the primary opcode)", I.id);
        return;
    }
    XGROW(T->insns, T->capinsns, T->ninsns + 1);
    T->insns[T->ninsns++] = I;
    T->skip_attrs = false;
}

/* ---- whole-table rules ------------------------------------------------------------- */

/* Rule: no word decodes as two instructions. */
static void check_overlaps(Table *T) {
    for (size_t i = 0; i < T->ninsns; i++)
        for (size_t j = i + 1; j < T->ninsns; j++) {
            const Insn *a = &T->insns[i], *b = &T->insns[j];
            uint32_t common = a->mask & b->mask;
            if (((a->match ^ b->match) & common) == 0) {
                uint32_t word = a->match | b->match;
                error_at(T, b->line, 1,
                         "encodings of '%s' (line %d) and '%s' overlap: word 0x%08x matches both",
                         a->id, a->line, b->id, word);
            }
        }
}

/* The operand shape: what the assembler sees before it evaluates anything. */
static void shape_of(const Table *T, const Insn *I, StrBuf *out) {
    sb_clear(out);
    sb_puts(out, "");
    for (const char *p = I->syntax; *p; p++) {
        if (*p != '{') {
            if (*p != ' ') sb_putc(out, *p);
            continue;
        }
        const char *end = strchr(p, '}');
        int f = find_field(T, p + 1, (int)(end - p - 1));
        switch (T->fields[f].kind) {
        case K_MREG: sb_puts(out, "<m>"); break;
        case K_AREG: sb_puts(out, "<a>"); break;
        case K_APAIR: sb_puts(out, "<p>"); break;
        case K_AQUAD: sb_puts(out, "<q>"); break;
        default: sb_puts(out, "<e>"); break;
        }
        p = end;
    }
}

/* Rule: rows sharing a mnemonic have different operand shapes. */
static void check_variants(Table *T) {
    StrBuf a, b;
    sb_init(&a);
    sb_init(&b);
    for (size_t i = 0; i < T->ninsns; i++)
        for (size_t j = i + 1; j < T->ninsns; j++) {
            if (strcmp(T->insns[i].mnem, T->insns[j].mnem)) continue;
            shape_of(T, &T->insns[i], &a);
            shape_of(T, &T->insns[j], &b);
            if (!strcmp(a.data, b.data))
                error_at(T, T->insns[j].line, 1,
                         "'%s' and '%s' (line %d) share a mnemonic and an operand shape; the "
                         "assembler could not tell them apart",
                         T->insns[j].id, T->insns[i].id, T->insns[i].line);
        }
    sb_free(&a);
    sb_free(&b);
}

static void check_numbers(Table *T, Named *arr, size_t n, const char *what, long max) {
    for (size_t i = 0; i < n; i++) {
        if (arr[i].value < 0 || arr[i].value > max)
            error_at(T, arr[i].line, 1, "%s '%s' = %ld is outside 0..%ld", what, arr[i].name,
                     arr[i].value, max);
        for (size_t j = 0; j < i; j++)
            if (arr[j].value == arr[i].value)
                error_at(T, arr[i].line, 1, "%s '%s' has the same number as '%s'", what,
                         arr[i].name, arr[j].name);
    }
}

static void check_table(Table *T) {
    check_overlaps(T);
    check_variants(T);
    int csr = find_field(T, "csr", 3);
    long csr_max = csr >= 0 ? (1L << (T->fields[csr].hi - T->fields[csr].lo + 1)) - 1 : 255;
    check_numbers(T, T->csrs, T->ncsrs, "csr", csr_max);
    check_numbers(T, T->traps, T->ntraps, "trap", 255);
    for (size_t i = 0; i < T->ninsns; i++) {
        if (!T->insns[i].doc)
            error_at(T, T->insns[i].line, 1, "'%s' has no doc line", T->insns[i].id);
        if (!T->insns[i].sem.len)
            error_at(T, T->insns[i].line, 1, "'%s' has no sem line", T->insns[i].id);
    }
    if (T->ninsns == 0) error_at(T, 0, 0, "the table defines no instructions");
}

/* ---- reading --------------------------------------------------------------------------- */

/* The first word of a line, if it is one of the prose kinds (text, doc,
 * sem), whose rest is taken verbatim: quotes and '#' are just characters. */
static bool prose_line(Line *L) {
    int i = 0;
    while (i < L->len && (L->text[i] == ' ' || L->text[i] == '\t')) i++;
    int j = i;
    while (j < L->len && L->text[j] != ' ' && L->text[j] != '\t' && L->text[j] != '\r') j++;
    static const char *const kinds[] = {"text", "doc", "sem"};
    for (size_t k = 0; k < ACC_ARRAY_LEN(kinds); k++)
        if ((int)strlen(kinds[k]) == j - i && !memcmp(L->text + i, kinds[k], (size_t)(j - i))) {
            L->ntoks = 1;
            L->toks[0] = (Tok){L->text + i, j - i, i + 1};
            return true;
        }
    return false;
}

static void parse_line(Table *T, Line *L) {
    if (!prose_line(L) && (!tokenize(T, L) || L->ntoks == 0)) return;
    const Tok *k = &L->toks[0];
    Insn *last = T->ninsns ? &T->insns[T->ninsns - 1] : NULL;
    if (tok_is(k, "param"))
        parse_named(T, L, &T->params, &T->nparams, &T->capparams, "param");
    else if (tok_is(k, "csr"))
        parse_named(T, L, &T->csrs, &T->ncsrs, &T->capcsrs, "csr");
    else if (tok_is(k, "trap"))
        parse_named(T, L, &T->traps, &T->ntraps, &T->captraps, "trap");
    else if (tok_is(k, "field"))
        parse_field(T, L);
    else if (tok_is(k, "format"))
        parse_format(T, L);
    else if (tok_is(k, "class"))
        parse_class(T, L);
    else if (tok_is(k, "insn"))
        parse_insn(T, L);
    else if (tok_is(k, "group")) {
        XGROW(T->groups, T->capgroups, T->ngroups + 1);
        Group *g = &T->groups[T->ngroups++];
        g->title = rest_of_line(L, 1);
        sb_init(&g->text);
    } else if (tok_is(k, "text")) {
        if (!T->ngroups) {
            error_at(T, L->lineno, 1, "text before any group");
            return;
        }
        const char *p = k->s + k->len;
        while (*p == ' ' || *p == '\t') p++;
        int n = (int)(L->text + L->len - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r')) n--;
        StrBuf *sb = &T->groups[T->ngroups - 1].text;
        if (sb->len) sb_putc(sb, ' ');
        sb_append(sb, p, (size_t)n);
    } else if (tok_is(k, "doc") || tok_is(k, "sem")) {
        /* doc/sem lines keep '#' characters: re-read the raw rest of the line. */
        if (T->skip_attrs) return;
        if (!last || last->group != (int)T->ngroups - 1) {
            error_at(T, L->lineno, 1, "'%.*s' line with no instruction above it", k->len, k->s);
            return;
        }
        const char *p = k->s + k->len;
        while (*p == ' ' || *p == '\t') p++;
        int n = (int)(L->text + L->len - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r')) n--;
        if (tok_is(k, "doc")) {
            if (last->doc) error_at(T, L->lineno, 1, "'%s' has two doc lines", last->id);
            last->doc = save(p, (size_t)n);
        } else {
            if (last->sem.len) sb_putc(&last->sem, '\n');
            sb_append(&last->sem, p, (size_t)n);
        }
    } else {
        error_at(T, L->lineno, k->col, "unknown line kind '%.*s'", k->len, k->s);
    }
}

static void table_free(Table *T) {
    for (size_t i = 0; i < T->ninsns; i++) sb_free(&T->insns[i].sem);
    for (size_t i = 0; i < T->ngroups; i++) sb_free(&T->groups[i].text);
    free(T->fields);
    free(T->formats);
    free(T->classes);
    free(T->params);
    free(T->csrs);
    free(T->traps);
    free(T->groups);
    free(T->insns);
    arena_free(&strings);
}

static bool read_table(Table *T, const char *path) {
    char err[512];
    size_t len;
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        diag_error(T->diag, diag_loc(0, 0, 0), "%s", err);
        return false;
    }
    T->file = diag_add_file(T->diag, path, text, len);
    int lineno = 1;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        Line L = {.text = text + i, .len = (int)(j - i), .lineno = lineno++};
        parse_line(T, &L);
        i = j + 1;
    }
    free(text);
    check_table(T);
    return !diag_failed(T->diag);
}

/* ---- main -------------------------------------------------------------------------------------
 */

static const char usage[] =
    "usage: isagen TABLE [--header FILE] [--decode FILE] [--doc FILE] [--presets FILE]\n"
    "Check the ACC-1 instruction table and write the requested outputs.\n";

static int write_output(const char *path, StrBuf *sb) {
    char err[512];
    if (file_write_atomic(path, sb->data ? sb->data : "", sb->len, err, sizeof err) < 0) {
        fprintf(stderr, "isagen: error: %s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *table = NULL, *header = NULL, *decode = NULL, *doc = NULL, *presets = NULL;
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (!strcmp(argv[i], "--header"))
            slot = &header;
        else if (!strcmp(argv[i], "--decode"))
            slot = &decode;
        else if (!strcmp(argv[i], "--doc"))
            slot = &doc;
        else if (!strcmp(argv[i], "--presets"))
            slot = &presets;
        else if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "isagen: error: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (!table) {
            table = argv[i];
            continue;
        } else {
            fprintf(stderr, "isagen: error: more than one table given\n%s", usage);
            return 2;
        }
        if (++i >= argc) {
            fprintf(stderr, "isagen: error: %s needs a file name\n", argv[i - 1]);
            return 2;
        }
        *slot = argv[i];
    }
    if (!table) {
        fputs(usage, stderr);
        return 2;
    }
    Diag diag;
    diag_init(&diag, "isagen", stderr);
    Table T = {.diag = &diag};
    bool ok = read_table(&T, table);
    diag_finish(&diag);
    diag_free(&diag);
    if (!ok) {
        table_free(&T);
        return 1;
    }

    int rc = 0;
    StrBuf out;
    sb_init(&out);
    if (header) {
        gen_header(&T, &out);
        rc |= write_output(header, &out);
    }
    if (decode) {
        sb_clear(&out);
        gen_decode(&T, &out);
        rc |= write_output(decode, &out);
    }
    if (doc) {
        sb_clear(&out);
        gen_doc(&T, &out);
        rc |= write_output(doc, &out);
    }
    if (presets) {
        sb_clear(&out);
        gen_presets(&out);
        rc |= write_output(presets, &out);
    }
    sb_free(&out);
    table_free(&T);
    return rc;
}

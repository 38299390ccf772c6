/*
 * Reading the IR text form (print.c writes it; docs/ir.md describes it).
 * A hand-written lexer and recursive-descent parser; each function carries
 * its rule. Ops are rebuilt through the builder, so every op is checked and
 * its result types inferred; a declared type that differs is an error.
 * After a syntax error the parser skips to the next line that starts a
 * statement, so one run reports several errors.
 */
#include "ir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum TokKind {
    T_EOF,
    T_IDENT,  /* graph, f32, normal, true, nan, attribute names */
    T_VALUE,  /* %x, %3, %"a b" (text holds the name, "#3" for numbers) */
    T_INT,    /* -12 */
    T_FLOAT,  /* 1.5, -2e-3 */
    T_STRING, /* "..." with \" \\ \xHH escapes */
    T_PUNCT,  /* ( ) [ ] { } , : = */
    T_ARROW,  /* -> */
    T_BAD,    /* a character that starts no token */
} TokKind;

typedef struct Tok {
    TokKind kind;
    char punct;
    const char *start;
    size_t len;
    SrcLoc loc;
    bool line_start; /* first token on its line */
    char *text;      /* T_VALUE, T_STRING: decoded; T_IDENT: the word (malloc'd) */
} Tok;

/* A name -> value map (open addressing); ref -1 marks a value whose
 * defining op failed, so its uses stay quiet. */
typedef struct ValueMap {
    char **keys;
    IrRef *refs;
    size_t cap, n;
} ValueMap;

typedef struct Parser {
    const char *text, *p, *end;
    int file, line;
    const char *line_begin;
    Diag *d;
    const IrParseOptions *opts;
    Tok tok;
    bool at_line_start;
    IrGraph *g;
    ValueMap values;
    int errors_here; /* errors in the current statement (one is enough) */
    bool in_body;    /* parsing the body of a fused op */
} Parser;

/* ---- Value map ------------------------------------------------------------------- */

static size_t hash_key(const char *s) {
    size_t h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

static IrRef *map_slot(ValueMap *m, const char *key, bool insert) {
    if (insert && 2 * (m->n + 1) > m->cap) {
        ValueMap bigger = {xcalloc(m->cap ? m->cap * 2 : 64, sizeof(char *)),
                           xcalloc(m->cap ? m->cap * 2 : 64, sizeof(IrRef)),
                           m->cap ? m->cap * 2 : 64, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) *map_slot(&bigger, m->keys[i], true) = m->refs[i];
        for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
        free(m->keys);
        free(m->refs);
        *m = bigger;
    }
    if (!m->cap) return NULL;
    size_t i = hash_key(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0) return &m->refs[i];
        i = (i + 1) & (m->cap - 1);
    }
    if (!insert) return NULL;
    m->keys[i] = xstrdup(key);
    m->n++;
    return &m->refs[i];
}

static void map_free(ValueMap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->refs);
    memset(m, 0, sizeof *m);
}

/* ---- Lexer ------------------------------------------------------------------------ */

static SrcLoc here(const Parser *ps) {
    return diag_loc(ps->file, ps->line, (int)(ps->p - ps->line_begin) + 1);
}

static void error_at(Parser *ps, SrcLoc loc, const char *fmt, ...) ACC_PRINTF(3, 4);
static void error_at(Parser *ps, SrcLoc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (ps->errors_here++ == 0) diag_vreport(ps->d, DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
}

static bool is_word_char(char c) {
    return c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

/* A quoted string at ps->p; decoded into a malloc'd string. */
static char *lex_string(Parser *ps) {
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "");
    ps->p++;
    while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\n') {
        char c = *ps->p++;
        if (c == '\\' && ps->p < ps->end) {
            char e = *ps->p++;
            if (e == 'x' && ps->end - ps->p >= 2) {
                char hex[3] = {ps->p[0], ps->p[1], 0};
                char *end;
                long v = strtol(hex, &end, 16);
                if (*end || v == 0) {
                    error_at(ps, here(ps), "bad \\x escape in string");
                } else {
                    sb_putc(&sb, (char)v);
                    ps->p += 2;
                }
                continue;
            }
            c = e;
        }
        sb_putc(&sb, c);
    }
    if (ps->p < ps->end && *ps->p == '"')
        ps->p++;
    else
        error_at(ps, here(ps), "unterminated string");
    return sb_take(&sb);
}

static void next(Parser *ps) {
    free(ps->tok.text);
    memset(&ps->tok, 0, sizeof ps->tok);
    for (;;) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r')) ps->p++;
        if (ps->p < ps->end && *ps->p == '#')
            while (ps->p < ps->end && *ps->p != '\n') ps->p++;
        if (ps->p < ps->end && *ps->p == '\n') {
            ps->p++;
            ps->line++;
            ps->line_begin = ps->p;
            ps->at_line_start = true;
            continue;
        }
        break;
    }
    Tok *t = &ps->tok;
    t->loc = here(ps);
    t->start = ps->p;
    t->line_start = ps->at_line_start;
    ps->at_line_start = false;
    if (ps->p >= ps->end) {
        t->kind = T_EOF;
        return;
    }
    char c = *ps->p;
    if (c == '%') {
        ps->p++;
        t->kind = T_VALUE;
        if (ps->p < ps->end && *ps->p == '"') {
            t->text = lex_string(ps);
        } else {
            const char *s = ps->p;
            while (ps->p < ps->end && is_word_char(*ps->p)) ps->p++;
            size_t n = (size_t)(ps->p - s);
            bool digits = n > 0;
            for (size_t i = 0; i < n; i++) digits &= s[i] >= '0' && s[i] <= '9';
            StrBuf sb;
            sb_init(&sb);
            sb_printf(&sb, "%s%.*s", digits ? "#" : "", (int)n, s);
            t->text = sb_take(&sb);
            if (n == 0) t->kind = T_BAD;
        }
    } else if (c == '"') {
        t->kind = T_STRING;
        t->text = lex_string(ps);
    } else if (c == '-' && ps->p + 1 < ps->end && ps->p[1] == '>') {
        ps->p += 2;
        t->kind = T_ARROW;
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
        const char *s = ps->p++;
        while (ps->p < ps->end &&
               (is_word_char(*ps->p) ||
                ((*ps->p == '-' || *ps->p == '+') && (ps->p[-1] == 'e' || ps->p[-1] == 'E'))))
            ps->p++;
        t->text = xstrndup(s, (size_t)(ps->p - s));
        const char *digits = t->text + (t->text[0] == '-' || t->text[0] == '+');
        bool is_int = *digits != '\0';
        for (const char *q = digits; *q; q++) is_int &= *q >= '0' && *q <= '9';
        t->kind = is_int ? T_INT : T_FLOAT;
    } else if (is_word_char(c)) {
        const char *s = ps->p;
        while (ps->p < ps->end && is_word_char(*ps->p)) ps->p++;
        t->kind = T_IDENT;
        t->text = xstrndup(s, (size_t)(ps->p - s));
    } else if (strchr("()[]{},:=", c)) {
        ps->p++;
        t->kind = T_PUNCT;
        t->punct = c;
    } else {
        ps->p++;
        t->kind = T_BAD;
    }
    t->len = (size_t)(ps->p - t->start);
}

static bool is_punct(const Parser *ps, char c) {
    return ps->tok.kind == T_PUNCT && ps->tok.punct == c;
}

static bool is_word(const Parser *ps, const char *w) {
    return ps->tok.kind == T_IDENT && strcmp(ps->tok.text, w) == 0;
}

static const char *tok_desc(const Tok *t) {
    static char buf[80];
    switch (t->kind) {
    case T_EOF: return "end of file";
    case T_BAD:
        snprintf(buf, sizeof buf, "'%.*s'", (int)(t->len ? t->len : 1), t->start);
        return buf;
    case T_STRING: return "a string";
    default:
        snprintf(buf, sizeof buf, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start);
        return buf;
    }
}

static bool expect_punct(Parser *ps, char c) {
    if (is_punct(ps, c)) {
        next(ps);
        return true;
    }
    error_at(ps, ps->tok.loc, "expected '%c', found %s", c, tok_desc(&ps->tok));
    return false;
}

/* Skip to the next statement: a line starting with a value, 'return' or '}'. */
static void recover(Parser *ps) {
    while (ps->tok.kind != T_EOF) {
        if (ps->tok.line_start && (ps->tok.kind == T_VALUE || is_word(ps, "return") ||
                                   is_punct(ps, '}') || is_word(ps, "graph")))
            break;
        next(ps);
    }
}

/* ---- Types and literals ----------------------------------------------------------- */

static bool parse_int(Parser *ps, int64_t *v) {
    if (ps->tok.kind != T_INT) {
        error_at(ps, ps->tok.loc, "expected an integer, found %s", tok_desc(&ps->tok));
        return false;
    }
    errno = 0;
    *v = strtoll(ps->tok.text, NULL, 10);
    if (errno == ERANGE) {
        error_at(ps, ps->tok.loc, "integer %s does not fit in 64 bits", ps->tok.text);
        return false;
    }
    next(ps);
    return true;
}

/* type := dtype '[' [int {',' int}] ']' */
static bool parse_type(Parser *ps, IrType *t) {
    memset(t, 0, sizeof *t);
    int dt = ps->tok.kind == T_IDENT ? dtype_lookup(ps->tok.text, strlen(ps->tok.text)) : -1;
    if (dt < 0 || !(dtype_flags((AccDtype)dt) & DT_IR)) {
        error_at(ps, ps->tok.loc, "expected a type such as f32[2, 3], found %s",
                 tok_desc(&ps->tok));
        return false;
    }
    t->dtype = (AccDtype)dt;
    next(ps);
    if (!expect_punct(ps, '[')) return false;
    while (!is_punct(ps, ']')) {
        if (t->rank == IR_MAX_RANK) {
            error_at(ps, ps->tok.loc, "more than %d dimensions", IR_MAX_RANK);
            return false;
        }
        SrcLoc loc = ps->tok.loc;
        if (!parse_int(ps, &t->dims[t->rank])) return false;
        if (t->dims[t->rank++] < 0) {
            error_at(ps, loc, "a dimension cannot be negative");
            return false;
        }
        if (!is_punct(ps, ']') && !expect_punct(ps, ',')) return false;
    }
    next(ps);
    if (ir_type_count(t) < 0) {
        error_at(ps, ps->tok.loc, "the shape has too many elements");
        return false;
    }
    return true;
}

/* A number for element i of a constant (int, float, true/false, nan, inf). */
static bool parse_element(Parser *ps, AccDtype dt, void *data, size_t i) {
    Tok *t = &ps->tok;
    if (t->kind == T_IDENT && (strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0)) {
        dtype_set(dt, data, i, t->text[0] == 't');
    } else if (t->kind == T_INT && dt == ACC_DTYPE_I64) {
        errno = 0;
        ((int64_t *)data)[i] = strtoll(t->text, NULL, 10);
        if (errno == ERANGE) {
            error_at(ps, t->loc, "%s does not fit in i64", t->text);
            return false;
        }
    } else if (t->kind == T_INT || t->kind == T_FLOAT ||
               (t->kind == T_IDENT &&
                (strcmp(t->text, "nan") == 0 || strcmp(t->text, "inf") == 0))) {
        char *end;
        /* strtof, not strtod: a float printed shortest reads back exactly. */
        double v = (dtype_flags(dt) & DT_FLOAT) ? strtof(t->text, &end) : strtod(t->text, &end);
        if (*end) {
            error_at(ps, t->loc, "malformed number '%s'", t->text);
            return false;
        }
        dtype_set(dt, data, i, v);
    } else {
        error_at(ps, t->loc, "expected a number, found %s", tok_desc(t));
        return false;
    }
    next(ps);
    return true;
}

/* literal := element | '[' literal {',' literal} ']', nested as the shape */
static bool parse_literal(Parser *ps, const IrType *t, int d, void *data, size_t *i) {
    if (d == t->rank) return parse_element(ps, t->dtype, data, (*i)++);
    if (!expect_punct(ps, '[')) return false;
    for (int64_t k = 0; k < t->dims[d]; k++) {
        if (k && !expect_punct(ps, ',')) return false;
        if (!parse_literal(ps, t, d + 1, data, i)) return false;
    }
    if (!is_punct(ps, ']')) {
        error_at(ps, ps->tok.loc, "expected ']' after %lld entries for %s", (long long)t->dims[d],
                 ir_type_str(t));
        return false;
    }
    next(ps);
    return true;
}

/* kwarg := ident '=' (int | float) */
static bool parse_kw_number(Parser *ps, const char *name, double *v) {
    if (!is_word(ps, name)) {
        error_at(ps, ps->tok.loc, "expected '%s=', found %s", name, tok_desc(&ps->tok));
        return false;
    }
    next(ps);
    if (!expect_punct(ps, '=')) return false;
    if (ps->tok.kind != T_INT && ps->tok.kind != T_FLOAT && !is_word(ps, "inf") &&
        !is_word(ps, "nan")) {
        error_at(ps, ps->tok.loc, "expected a number, found %s", tok_desc(&ps->tok));
        return false;
    }
    char *end;
    *v = strtod(ps->tok.text, &end);
    if (*end) {
        error_at(ps, ps->tok.loc, "malformed number '%s'", ps->tok.text);
        return false;
    }
    next(ps);
    return true;
}

/* 'seed' '=' int, 0 to 2^63 - 1 (the DSL's integers are signed) */
static bool parse_kw_seed(Parser *ps, uint64_t *seed) {
    if (!is_word(ps, "seed")) {
        error_at(ps, ps->tok.loc, "expected 'seed=', found %s", tok_desc(&ps->tok));
        return false;
    }
    next(ps);
    if (!expect_punct(ps, '=')) return false;
    errno = 0;
    char *end = NULL;
    if (ps->tok.kind == T_INT && ps->tok.text[0] != '-') *seed = strtoull(ps->tok.text, &end, 10);
    if (ps->tok.kind != T_INT || ps->tok.text[0] == '-' || errno == ERANGE || (end && *end) ||
        *seed > INT64_MAX) {
        error_at(ps, ps->tok.loc, "the seed must be an integer from 0 to 2^63 - 1");
        return false;
    }
    next(ps);
    return true;
}

/* tensor := 'zeros' | 'ones' | 'normal' '(' 'seed' '=' int ',' 'std' '=' num ')'
 *         | 'uniform' '(' 'seed' '=' int ',' 'lo' '=' num ',' 'hi' '=' num ')'
 *         | 'load' '(' string ')' | literal */
static int32_t parse_tensor(Parser *ps, const IrType *t) {
    SrcLoc loc = ps->tok.loc;
    int64_t count = ir_type_count(t);
    size_t limit = ps->opts->max_const_bytes ? ps->opts->max_const_bytes : IR_MAX_CONST_BYTES;
    if (count < 0 || (uint64_t)count > limit / dtype_size(t->dtype)) {
        error_at(ps, loc, "constant %s is larger than the limit of %zu bytes", ir_type_str(t),
                 limit);
        return -1;
    }
    if (is_word(ps, "zeros") || is_word(ps, "ones")) {
        bool ones = is_word(ps, "ones");
        next(ps);
        return ones ? ir_const_ones(ps->g, t) : ir_const_zeros(ps->g, t);
    }
    if (is_word(ps, "normal") || is_word(ps, "uniform")) {
        bool normal = is_word(ps, "normal");
        double a, b = 0;
        uint64_t seed;
        next(ps);
        if (!expect_punct(ps, '(') || !parse_kw_seed(ps, &seed) || !expect_punct(ps, ','))
            return -1;
        if (normal ? !parse_kw_number(ps, "std", &a)
                   : !parse_kw_number(ps, "lo", &a) || !expect_punct(ps, ',') ||
                         !parse_kw_number(ps, "hi", &b))
            return -1;
        if (!expect_punct(ps, ')')) return -1;
        if (!(dtype_flags(t->dtype) & DT_FLOAT) && normal) {
            error_at(ps, loc, "normal() needs a float type, not %s", dtype_name(t->dtype));
            return -1;
        }
        return normal ? ir_const_normal(ps->g, t, seed, a) : ir_const_uniform(ps->g, t, seed, a, b);
    }
    if (is_word(ps, "load")) {
        next(ps);
        if (!expect_punct(ps, '(')) return -1;
        if (ps->tok.kind != T_STRING) {
            error_at(ps, ps->tok.loc, "expected a file name string, found %s", tok_desc(&ps->tok));
            return -1;
        }
        SrcLoc path_loc = ps->tok.loc;
        if (ps->opts->no_files) {
            error_at(ps, path_loc, "load() is disabled here");
            return -1;
        }
        char *path = path_join(ps->opts->base_dir ? ps->opts->base_dir : ".", ps->tok.text);
        next(ps);
        char err[512];
        int32_t k = ir_const_load(ps->g, t, path, ps->opts->deps, err, sizeof err);
        free(path);
        if (k < 0) error_at(ps, path_loc, "%s", err);
        if (!expect_punct(ps, ')')) return -1;
        return k;
    }
    void *data = xcalloc((size_t)(count ? count : 1), dtype_size(t->dtype));
    size_t i = 0;
    int32_t k = parse_literal(ps, t, 0, data, &i) ? ir_const_add(ps->g, t, data) : -1;
    free(data);
    return k;
}

/* ---- Attributes ------------------------------------------------------------------ */

/* int_list := '[' [int {',' int}] ']'; float_list likewise */
static bool parse_list(Parser *ps, IrAttr *a, bool floats) {
    if (!expect_punct(ps, '[')) return false;
    int cap = 0;
    a->n = 0;
    while (!is_punct(ps, ']')) {
        if (a->n == cap) {
            cap = cap ? cap * 2 : 8;
            if (floats)
                a->u.fs = xrealloc(a->u.fs, (size_t)cap * sizeof(double));
            else
                a->u.is = xrealloc(a->u.is, (size_t)cap * sizeof(int64_t));
        }
        if (floats) {
            if (ps->tok.kind != T_INT && ps->tok.kind != T_FLOAT && !is_word(ps, "nan") &&
                !is_word(ps, "inf")) {
                error_at(ps, ps->tok.loc, "expected a number, found %s", tok_desc(&ps->tok));
                return false;
            }
            a->u.fs[a->n++] = strtod(ps->tok.text, NULL);
            next(ps);
        } else if (!parse_int(ps, &a->u.is[a->n++])) {
            return false;
        }
        if (!is_punct(ps, ']') && !expect_punct(ps, ',')) return false;
        if (a->n > 1 << 20) {
            error_at(ps, ps->tok.loc, "list too long");
            return false;
        }
    }
    next(ps);
    return true;
}

/* attr_value, by the schema's kind. result_type is the op's declared first
 * result type (a constant's shape). */
static int32_t parse_body(Parser *ps);

static bool parse_attr_value(Parser *ps, IrAttrKind kind, IrAttr *a, const IrType *result_type) {
    memset(a, 0, sizeof *a);
    a->kind = kind;
    Tok *t = &ps->tok;
    switch (kind) {
    case IR_ATTR_INT: return parse_int(ps, &a->u.i);
    case IR_ATTR_FLOAT:
        if (t->kind == T_INT || t->kind == T_FLOAT || is_word(ps, "nan") || is_word(ps, "inf")) {
            a->u.f = strtod(t->text, NULL);
            next(ps);
            return true;
        }
        break;
    case IR_ATTR_BOOL:
        if (is_word(ps, "true") || is_word(ps, "false")) {
            a->u.i = is_word(ps, "true");
            next(ps);
            return true;
        }
        break;
    case IR_ATTR_STR:
        if (t->kind == T_STRING) {
            a->u.s = t->text; /* copied by ir_set_attr before next() frees it */
            return true;
        }
        break;
    case IR_ATTR_DTYPE:
        if (t->kind == T_IDENT) {
            int dt = dtype_lookup(t->text, strlen(t->text));
            if (dt >= 0 && (dtype_flags((AccDtype)dt) & DT_IR)) {
                a->u.t = (AccDtype)dt;
                next(ps);
                return true;
            }
        }
        break;
    case IR_ATTR_INTS: return parse_list(ps, a, false);
    case IR_ATTR_FLOATS: return parse_list(ps, a, true);
    case IR_ATTR_TENSOR:
        if (!result_type) break;
        a->u.tensor = parse_tensor(ps, result_type);
        return a->u.tensor >= 0;
    case IR_ATTR_BODY:
        if (!is_punct(ps, '{')) break;
        a->u.body = parse_body(ps);
        return a->u.body >= 0;
    default: break;
    }
    error_at(ps, t->loc, "expected %s for this attribute, found %s", ir_attr_kind_name(kind),
             tok_desc(t));
    return false;
}

static void parse_op(Parser *ps);
static IrRef use_value(Parser *ps);
static bool define_value(Parser *ps, const char *key, SrcLoc loc, IrRef v);

/* Skip past the '}' that closes a body whose '{' was read. */
static void skip_body(Parser *ps) {
    int depth = 1;
    while (ps->tok.kind != T_EOF && depth > 0) {
        if (is_punct(ps, '{')) depth++;
        if (is_punct(ps, '}')) depth--;
        next(ps);
    }
}

/* inputs = "(" [value ":" type {"," value ":" type}] ")" "->"
 * The inputs of a graph or a body, added to g and defined in the scope. */
static bool parse_inputs(Parser *ps, IrGraph *g) {
    if (!expect_punct(ps, '(')) return false;
    while (ps->tok.kind == T_VALUE) {
        char *key = xstrdup(ps->tok.text);
        SrcLoc loc = ps->tok.loc;
        next(ps);
        IrType t;
        if (!expect_punct(ps, ':') || !parse_type(ps, &t)) {
            free(key);
            return false;
        }
        IrRef v = ir_add_input(g, key[0] == '#' ? NULL : key, &t);
        define_value(ps, key, loc, v);
        free(key);
        if (!is_punct(ps, ',')) break;
        next(ps);
    }
    if (!expect_punct(ps, ')')) return false;
    if (ps->tok.kind != T_ARROW) {
        error_at(ps, ps->tok.loc, "expected '->', found %s", tok_desc(&ps->tok));
        return false;
    }
    next(ps);
    return true;
}

/* The body's own statements, in its own graph and scope; false on errors. */
static bool parse_body_graph(Parser *ps, IrGraph *b) {
    int before = ps->d->nerrors;
    if (!parse_inputs(ps, b)) return false;
    IrType ret;
    if (!parse_type(ps, &ret)) return false;
    while (!is_word(ps, "return")) {
        if (ps->tok.kind == T_EOF || is_punct(ps, '}') || is_word(ps, "graph")) {
            error_at(ps, ps->tok.loc, "expected 'return' before the end of the body");
            return false;
        }
        ps->errors_here = 0;
        parse_op(ps);
    }
    ps->errors_here = 0;
    next(ps);
    SrcLoc vloc = ps->tok.loc;
    IrRef v = use_value(ps);
    if (v == IR_NONE) return false;
    if (v > 0) {
        if (!ir_type_equal(&b->vals[v].type, &ret))
            error_at(ps, vloc, "the body returns %s, but declares %s",
                     ir_type_str(&b->vals[v].type), dtype_name(ret.dtype));
        ir_add_output(b, "y", v);
    }
    return v > 0 && ps->d->nerrors == before;
}

/* body := '{' '(' [value ':' type {',' value ':' type}] ')' '->' type
 *         {op} 'return' value '}'
 * Returns the body's index in the graph, or -1 after errors. */
static int32_t parse_body(Parser *ps) {
    if (ps->in_body) {
        error_at(ps, ps->tok.loc, "a body cannot hold an op with a body");
        if (is_punct(ps, '{')) {
            next(ps);
            skip_body(ps);
        }
        return -1;
    }
    if (!expect_punct(ps, '{')) return -1;
    IrGraph *outer = ps->g;
    ValueMap outer_values = ps->values;
    int outer_errors = ps->errors_here;
    memset(&ps->values, 0, sizeof ps->values);
    IrGraph *b = ps->g = ir_graph_new("body");
    ps->in_body = true;
    bool ok = parse_body_graph(ps, b);
    if (ok && is_punct(ps, '}'))
        next(ps);
    else {
        if (ok) error_at(ps, ps->tok.loc, "expected '}' after the body's return");
        ok = false;
        skip_body(ps);
    }
    map_free(&ps->values);
    ps->values = outer_values;
    ps->g = outer;
    ps->in_body = false;
    ps->errors_here = outer_errors + !ok;
    if (!ok) {
        ir_graph_free(b);
        return -1;
    }
    return ir_body_add(outer, b);
}

static void free_attr(IrAttr *a) {
    if (a->kind == IR_ATTR_INTS) free(a->u.is);
    if (a->kind == IR_ATTR_FLOATS) free(a->u.fs);
}

/* ---- Statements ------------------------------------------------------------------ */

/* A use of a value: it must be defined already. IR_NONE if not (reported);
 * -1 if its definition failed (quiet). */
static IrRef use_value(Parser *ps) {
    if (ps->tok.kind != T_VALUE) {
        error_at(ps, ps->tok.loc, "expected a value such as %%x, found %s", tok_desc(&ps->tok));
        return IR_NONE;
    }
    IrRef *r = map_slot(&ps->values, ps->tok.text, false);
    if (!r) {
        const char *n = ps->tok.text;
        error_at(ps, ps->tok.loc, "value %%%s is not defined before this use",
                 n[0] == '#' ? n + 1 : n);
        next(ps);
        return IR_NONE;
    }
    next(ps);
    return *r;
}

static bool define_value(Parser *ps, const char *key, SrcLoc loc, IrRef v) {
    IrRef *r = map_slot(&ps->values, key, false);
    if (r) {
        error_at(ps, loc, "value %%%s is defined twice", key[0] == '#' ? key + 1 : key);
        return false;
    }
    *map_slot(&ps->values, key, true) = v;
    return true;
}

typedef struct Result {
    char *key;
    SrcLoc loc;
    IrType type;
} Result;

/* op := result {',' result} '=' ident '(' [arg {',' arg}] ')'
 * result := value ':' type;  arg := value | ident '=' attr_value */
static void parse_op(Parser *ps) {
    Result res[IR_MAX_RESULTS];
    int nres = 0;
    IrRef in[IR_MAX_OPERANDS];
    int nin = 0;
    IrOpId op = IR_NONE;
    bool broken = false;
    for (;;) {
        if (ps->tok.kind != T_VALUE) {
            error_at(ps, ps->tok.loc, "expected a value such as %%x, found %s", tok_desc(&ps->tok));
            goto fail;
        }
        if (nres == IR_MAX_RESULTS) {
            error_at(ps, ps->tok.loc, "too many results");
            goto fail;
        }
        res[nres].key = xstrdup(ps->tok.text);
        res[nres].loc = ps->tok.loc;
        nres++;
        next(ps);
        if (!expect_punct(ps, ':') || !parse_type(ps, &res[nres - 1].type)) goto fail;
        if (!is_punct(ps, ',')) break;
        next(ps);
    }
    if (!expect_punct(ps, '=')) goto fail;
    SrcLoc op_loc = ps->tok.loc;
    int kind = ps->tok.kind == T_IDENT ? ir_op_lookup(ps->tok.text, strlen(ps->tok.text)) : -1;
    if (kind < 0) {
        const char *hint = ps->tok.kind == T_IDENT ? ir_op_suggest(ps->tok.text) : NULL;
        if (hint)
            error_at(ps, op_loc, "unknown op %s; did you mean '%s'?", tok_desc(&ps->tok), hint);
        else
            error_at(ps, op_loc, "expected an op name, found %s", tok_desc(&ps->tok));
        goto fail;
    }
    next(ps);
    if (!expect_punct(ps, '(')) goto fail;
    /* Operands first, then attributes: the op must exist to hold attributes. */
    while (ps->tok.kind == T_VALUE) {
        if (nin == IR_MAX_OPERANDS) {
            error_at(ps, ps->tok.loc, "too many operands");
            goto fail;
        }
        IrRef r = use_value(ps);
        if (r == IR_NONE && ps->errors_here) goto fail;
        if (r < 0) broken = true;
        in[nin++] = r < 0 ? IR_NONE : r;
        if (!is_punct(ps, ',')) break;
        next(ps);
    }
    if (!broken) op = ir_op_create(ps->g, (IrOpKind)kind, nin, in, op_loc);
    while (!is_punct(ps, ')')) {
        if (ps->tok.kind != T_IDENT) {
            error_at(ps, ps->tok.loc, "expected an attribute name=value or ')', found %s",
                     tok_desc(&ps->tok));
            goto fail;
        }
        SrcLoc loc = ps->tok.loc;
        int slot = ir_attr_slot((IrOpKind)kind, ps->tok.text);
        if (slot < 0) {
            const IrOpInfo *info = ir_op_info((IrOpKind)kind);
            const char *names[IR_MAX_ATTRS];
            for (int k = 0; k < info->nattrs; k++) names[k] = info->attrs[k].name;
            const char *hint = str_suggest(ps->tok.text, names, (size_t)info->nattrs);
            error_at(ps, loc, "'%s' has no attribute '%s'%s%s%s", info->name, ps->tok.text,
                     hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            goto fail;
        }
        const IrAttrSchema *s = &ir_op_info((IrOpKind)kind)->attrs[slot];
        next(ps);
        if (!expect_punct(ps, '=')) goto fail;
        IrAttr a;
        if (!parse_attr_value(ps, s->kind, &a, nres ? &res[0].type : NULL)) {
            free_attr(&a);
            goto fail;
        }
        if (op) ir_set_attr(ps->g, op, s->name, &a);
        if (a.kind == IR_ATTR_STR) next(ps);
        free_attr(&a);
        if (!is_punct(ps, ')') && !expect_punct(ps, ',')) goto fail;
    }
    next(ps);
    if (broken) goto quiet;
    if (!ir_op_finish(ps->g, op, ps->d)) {
        op = IR_NONE;
        ps->errors_here++;
        goto quiet;
    }
    if (ps->g->ops[op].nout != nres) {
        error_at(ps, op_loc, "'%s' has %d result%s here, not %d", ir_op_name((IrOpKind)kind),
                 ps->g->ops[op].nout, ps->g->ops[op].nout == 1 ? "" : "s", nres);
        goto quiet;
    }
    for (int i = 0; i < nres; i++) {
        IrRef v = ir_op_result(ps->g, op, i);
        if (!ir_type_equal(&ps->g->vals[v].type, &res[i].type)) {
            char declared[160];
            snprintf(declared, sizeof declared, "%s", ir_type_str(&res[i].type));
            error_at(ps, res[i].loc, "%%%s is declared %s, but '%s' gives %s",
                     res[i].key[0] == '#' ? res[i].key + 1 : res[i].key, declared,
                     ir_op_name((IrOpKind)kind), ir_type_str(&ps->g->vals[v].type));
        }
        if (res[i].key[0] != '#') ir_value_set_name(ps->g, v, res[i].key);
        define_value(ps, res[i].key, res[i].loc, v);
    }
    for (int i = 0; i < nres; i++) free(res[i].key);
    return;
fail:
    if (op && !ps->g->ops[op].dead) ir_op_erase(ps->g, op);
    recover(ps);
quiet:
    /* Later uses of these results stay quiet. */
    for (int i = 0; i < nres; i++) {
        if (!map_slot(&ps->values, res[i].key, false))
            *map_slot(&ps->values, res[i].key, true) = -1;
        free(res[i].key);
    }
}

typedef struct OutDecl { /* name: type, in a graph's outputs */
    char *name;
    IrType type;
    SrcLoc loc;
} OutDecl;

/* A graph or output name: an identifier or a string. */
static char *parse_name(Parser *ps, const char *what) {
    if (ps->tok.kind != T_IDENT && ps->tok.kind != T_STRING) {
        error_at(ps, ps->tok.loc, "expected %s, found %s", what, tok_desc(&ps->tok));
        return NULL;
    }
    char *s = xstrdup(ps->tok.text);
    next(ps);
    return s;
}

/* graph := 'graph' name '(' [value ':' type {','...}] ')' '->' '(' [name ':' type {','...}] ')'
 *          '{' {op} 'return' [value {',' value}] '}' */
static IrGraph *parse_graph(Parser *ps) {
    next(ps); /* 'graph' */
    char *name = parse_name(ps, "a graph name");
    if (!name) return NULL;
    IrGraph *g = ps->g = ir_graph_new(name);
    free(name);
    map_free(&ps->values);
    int nout = 0;
    size_t capout = 0;
    OutDecl *outs = NULL;
    if (!parse_inputs(ps, g)) goto fail;
    if (!expect_punct(ps, '(')) goto fail;
    while (!is_punct(ps, ')')) {
        XGROW(outs, capout, (size_t)nout + 1);
        outs[nout].loc = ps->tok.loc;
        outs[nout].name = parse_name(ps, "an output name");
        if (!outs[nout].name) goto fail;
        for (int i = 0; i < nout; i++)
            if (strcmp(outs[i].name, outs[nout].name) == 0)
                error_at(ps, outs[nout].loc, "output '%s' is declared twice", outs[nout].name);
        nout++;
        if (!expect_punct(ps, ':') || !parse_type(ps, &outs[nout - 1].type)) goto fail;
        if (!is_punct(ps, ')') && !expect_punct(ps, ',')) goto fail;
    }
    next(ps);
    if (!expect_punct(ps, '{')) goto fail;
    while (!is_word(ps, "return")) {
        if (ps->tok.kind == T_EOF || is_punct(ps, '}') || is_word(ps, "graph")) {
            error_at(ps, ps->tok.loc, "expected 'return' before the end of graph '%s'", g->name);
            goto fail;
        }
        ps->errors_here = 0;
        parse_op(ps);
    }
    ps->errors_here = 0;
    SrcLoc ret_loc = ps->tok.loc;
    next(ps);
    for (int i = 0; i < nout; i++) {
        if (i && !expect_punct(ps, ',')) goto fail;
        IrRef v = use_value(ps);
        if (v == IR_NONE) goto fail;
        if (v < 0) continue;
        if (!ir_type_equal(&g->vals[v].type, &outs[i].type))
            error_at(ps, outs[i].loc, "output '%s' is declared %s, but the value returned is %s",
                     outs[i].name, ir_type_str(&outs[i].type), ir_type_str(&g->vals[v].type));
        ir_add_output(g, outs[i].name, v);
    }
    if (ps->tok.kind == T_VALUE || is_punct(ps, ',')) {
        error_at(ps, ret_loc, "'return' has more values than the %d output%s declared", nout,
                 nout == 1 ? "" : "s");
        goto fail;
    }
    if (!expect_punct(ps, '}')) goto fail;
    for (int i = 0; i < nout; i++) free(outs[i].name);
    free(outs);
    return g;
fail:
    for (int i = 0; i < nout; i++) free(outs[i].name);
    free(outs);
    ps->errors_here = 1; /* the graph is lost; skip to the next one */
    while (ps->tok.kind != T_EOF && !(ps->tok.line_start && is_word(ps, "graph"))) next(ps);
    ps->errors_here = 0;
    return g;
}

IrGraph *ir_parse(const char *name, const char *text, size_t len, const IrParseOptions *opts,
                  Diag *d) {
    IrParseOptions none;
    memset(&none, 0, sizeof none);
    Parser ps;
    memset(&ps, 0, sizeof ps);
    ps.opts = opts ? opts : &none;
    ps.file = diag_add_file(d, name, text, len);
    ps.text = ps.p = ps.line_begin = text;
    ps.end = text + len;
    ps.line = 1;
    ps.d = d;
    ps.at_line_start = true;
    int errors_before = d->nerrors;
    next(&ps);
    IrGraph *entry = NULL;
    int ngraphs = 0;
    while (ps.tok.kind != T_EOF) {
        if (!is_word(&ps, "graph")) {
            error_at(&ps, ps.tok.loc, "expected 'graph', found %s", tok_desc(&ps.tok));
            ps.errors_here = 0;
            while (ps.tok.kind != T_EOF && !(ps.tok.line_start && is_word(&ps, "graph"))) next(&ps);
            continue;
        }
        int before = d->nerrors;
        IrGraph *g = parse_graph(&ps);
        ps.g = NULL;
        if (!g) continue;
        ngraphs++;
        if (d->nerrors == before) ir_verify(g, d);
        bool wanted = ps.opts->entry ? strcmp(g->name, ps.opts->entry) == 0 : true;
        if (wanted && d->nerrors == before) {
            ir_graph_free(entry);
            entry = g;
        } else {
            ir_graph_free(g);
        }
    }
    free(ps.tok.text);
    map_free(&ps.values);
    if (d->nerrors == errors_before && !entry) {
        if (ps.opts->entry)
            diag_error(d, diag_loc(ps.file, 0, 0), "no graph named '%s'", ps.opts->entry);
        else if (!ngraphs)
            diag_error(d, diag_loc(ps.file, 0, 0), "no graph in this file");
    }
    if (d->nerrors != errors_before) {
        ir_graph_free(entry);
        return NULL;
    }
    return entry;
}

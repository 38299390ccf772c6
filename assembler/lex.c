/*
 * The assembler's lexer: one line at a time, into an array of tokens.
 */
#include "lex.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool tok_is_punct(const Token *t, const char *p) {
    return t->kind == TOK_PUNCT && !strcmp(t->punct, p);
}

bool tok_is_ident(const Token *t, const char *s) {
    return t->kind == TOK_IDENT && (int)strlen(s) == t->len && !memcmp(t->text, s, (size_t)t->len);
}

static bool ident_start(char c) {
    return isalpha((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

static bool ident_char(char c) {
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

typedef struct Lexer {
    const char *s;
    size_t len, i;
    int file, line;
    Diag *diag;
    Arena *arena;
} Lexer;

static SrcLoc here(const Lexer *L, size_t at) {
    return diag_loc(L->file, L->line, (int)at + 1);
}

/* Numbers: the longest run of characters that can belong to one, then
 * strtoll/strtod decide. "0..3" is 0, "..", 3: a '.' followed by '.' ends
 * the number. */
static void lex_number(Lexer *L, Token *t) {
    size_t i = L->i;
    bool is_float = false;
    bool hex = L->s[i] == '0' && i + 1 < L->len && (L->s[i + 1] == 'x' || L->s[i + 1] == 'X');
    bool bin = L->s[i] == '0' && i + 1 < L->len && (L->s[i + 1] == 'b' || L->s[i + 1] == 'B');
    if (hex || bin) i += 2;
    for (; i < L->len; i++) {
        char c = L->s[i];
        if (isalnum((unsigned char)c) || c == '_') {
            if (!hex && (c == 'e' || c == 'E')) is_float = true;
            if (hex && (c == 'p' || c == 'P')) is_float = true;
            continue;
        }
        if (c == '.' && !(i + 1 < L->len && L->s[i + 1] == '.')) {
            is_float = true;
            continue;
        }
        if ((c == '+' || c == '-') && is_float &&
            strchr(hex ? "pP" : "eE", L->s[i - 1])) /* exponent sign */
            continue;
        break;
    }
    t->len = (int)(i - L->i);
    char buf[128];
    if (t->len >= (int)sizeof buf) {
        diag_error(L->diag, here(L, L->i), "number too long");
        t->kind = TOK_ERROR;
        L->i = i;
        return;
    }
    memcpy(buf, L->s + L->i, (size_t)t->len);
    buf[t->len] = '\0';
    char *end;
    errno = 0;
    if (is_float && !bin) {
        t->kind = TOK_FLOAT;
        t->fval = strtod(buf, &end);
    } else {
        t->kind = TOK_INT;
        uint64_t v = 0;
        end = buf;
        if (bin) {
            end = buf + 2;
            while (*end == '0' || *end == '1') {
                if (v >> 63) errno = ERANGE;
                v = v << 1 | (uint64_t)(*end++ - '0');
            }
            if (end == buf + 2) end = buf; /* "0b" alone */
        } else {
            v = strtoull(buf, &end, hex ? 16 : 10);
        }
        if (v > (uint64_t)INT64_MAX) errno = ERANGE;
        t->ival = (int64_t)v;
    }
    if (*end || end == buf) {
        diag_error(L->diag, here(L, L->i), "bad number '%s'", buf);
        t->kind = TOK_ERROR;
    } else if (errno == ERANGE) {
        diag_error(L->diag, here(L, L->i), "number '%s' is too large", buf);
        t->kind = TOK_ERROR;
    }
    L->i = i;
}

static void lex_string(Lexer *L, Token *t) {
    size_t i = L->i + 1;
    StrBuf sb;
    sb_init(&sb);
    for (;;) {
        if (i >= L->len) {
            diag_error(L->diag, here(L, L->i), "unterminated string");
            t->kind = TOK_ERROR;
            break;
        }
        char c = L->s[i++];
        if (c == '"') {
            t->kind = TOK_STRING;
            break;
        }
        if (c != '\\') {
            sb_putc(&sb, c);
            continue;
        }
        char e = i < L->len ? L->s[i++] : '\0';
        switch (e) {
        case '\\': sb_putc(&sb, '\\'); break;
        case '"': sb_putc(&sb, '"'); break;
        case 'n': sb_putc(&sb, '\n'); break;
        case 't': sb_putc(&sb, '\t'); break;
        case '0': sb_putc(&sb, '\0'); break;
        case 'x': {
            int hi = i < L->len ? hex_digit(L->s[i]) : -1;
            int lo = i + 1 < L->len ? hex_digit(L->s[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                diag_error(L->diag, here(L, i - 2), "\\x needs two hex digits");
                t->kind = TOK_ERROR;
                goto done;
            }
            sb_putc(&sb, (char)(hi * 16 + lo));
            i += 2;
            break;
        }
        default:
            diag_error(L->diag, here(L, i - 2), "unknown escape '\\%c'", e ? e : ' ');
            t->kind = TOK_ERROR;
            goto done;
        }
    }
done:
    t->len = (int)(i - L->i);
    t->slen = sb.len;
    t->str = arena_strndup(L->arena, sb.data ? sb.data : "", sb.len);
    sb_free(&sb);
    L->i = i;
}

size_t lex_line(const char *line, size_t len, int file, int lineno, Diag *diag, Arena *arena,
                Token **out, size_t *cap) {
    Lexer L = {line, len, 0, file, lineno, diag, arena};
    size_t n = 0;
    for (;;) {
        while (L.i < len && (line[L.i] == ' ' || line[L.i] == '\t' || line[L.i] == '\r')) L.i++;
        XGROW(*out, *cap, n + 1);
        Token *t = &(*out)[n++];
        memset(t, 0, sizeof *t);
        t->text = line + L.i;
        t->col = (int)L.i + 1;
        if (L.i >= len || line[L.i] == ';') {
            t->kind = TOK_EOL;
            return n;
        }
        char c = line[L.i];
        if (isdigit((unsigned char)c)) {
            lex_number(&L, t);
        } else if (c == '.' && L.i + 1 < len && line[L.i + 1] == '.') {
            t->kind = TOK_PUNCT;
            strcpy(t->punct, "..");
            t->len = 2;
            L.i += 2;
        } else if (ident_start(c)) {
            size_t j = L.i + 1;
            while (j < len && ident_char(line[j])) j++;
            t->kind = TOK_IDENT;
            t->len = (int)(j - L.i);
            L.i = j;
        } else if (c == '"') {
            lex_string(&L, t);
        } else if ((c == '<' || c == '>') && L.i + 1 < len && line[L.i + 1] == c) {
            t->kind = TOK_PUNCT;
            t->punct[0] = t->punct[1] = c;
            t->len = 2;
            L.i += 2;
        } else if (strchr(",[](){}:+-*/%&|^~!=@", c)) {
            t->kind = TOK_PUNCT;
            t->punct[0] = c;
            t->len = 1;
            L.i++;
        } else {
            if (isprint((unsigned char)c))
                diag_error(diag, here(&L, L.i), "unexpected character '%c'", c);
            else
                diag_error(diag, here(&L, L.i), "unexpected byte 0x%02x", (unsigned char)c);
            t->kind = TOK_ERROR;
            L.i++;
        }
        if (t->kind == TOK_ERROR) return 0; /* one lexical error per line is enough */
    }
}

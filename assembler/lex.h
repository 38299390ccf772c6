/*
 * Tokens of one line of ACC-1 assembly (private to the assembler).
 *
 *   line     := [label ':']* [directive args | mnemonic operands] [';' comment]
 *   ident    := [A-Za-z_.$][A-Za-z0-9_.$]*      (registers are idents: m3, a4)
 *   number   := decimal | 0x hex | 0b binary | float (1.5, 2e-3, 0x1p-3)
 *   string   := "..." with \\ \" \n \t \0 \xNN
 *   punct    := , [ ] ( ) : + - * / % & | ^ ~ ! = @ << >> ..
 */
#ifndef ACCC_ASM_LEX_H
#define ACCC_ASM_LEX_H

#include "support.h"

typedef enum TokKind {
    TOK_EOL,    /* end of the line (or of the statement, at a comment) */
    TOK_IDENT,  /* name, directive (.word), label, register */
    TOK_INT,    /* integer literal: ival */
    TOK_FLOAT,  /* floating literal: fval */
    TOK_STRING, /* string literal: str (unescaped, NUL-terminated), slen */
    TOK_PUNCT,  /* punctuation: punct */
    TOK_ERROR   /* a lexical error (internal to the lexer) */
} TokKind;

typedef struct Token {
    TokKind kind;
    const char *text; /* where the token starts in the line */
    int len;
    int col; /* 1-based */
    int64_t ival;
    double fval;
    char *str;
    size_t slen;
    char punct[3];
} Token;

/* Split line (len bytes, no newline) into tokens, ending with TOK_EOL.
 * Strings live in arena. Returns the number of tokens including the final
 * TOK_EOL, or 0 after reporting a lexical error to diag (file:lineno:col). */
size_t lex_line(const char *line, size_t len, int file, int lineno, Diag *diag, Arena *arena,
                Token **out, size_t *cap);

bool tok_is_punct(const Token *t, const char *p);
bool tok_is_ident(const Token *t, const char *s);

#endif

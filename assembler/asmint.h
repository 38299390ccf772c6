/*
 * The assembler's private interface (assembler/): the state of one run of
 * acc-as and the pieces its files share. Exports of the layer are in asm.h.
 *
 *   expr.c   symbols, the token cursor, expressions (parsing and evaluation)
 *   parse.c  pass 1: lines, labels, directives, instructions
 *   asm.c    pass 2 and the entry points: evaluate, encode, build the image
 *
 * Everything a run allocates lives in Asm.arena or in the arrays of Asm,
 * freed together when the run ends.
 */
#ifndef ACCC_ASM_INTERNAL_H
#define ACCC_ASM_INTERNAL_H

#include "asm.h"
#include "lex.h"

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

typedef enum DataKind { D_BYTE, D_HALF, D_WORD, D_DWORD, D_F16, D_BF16, D_F32, D_COUNT } DataKind;

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

typedef struct DataKindInfo {
    const char *name;
    unsigned size;
    bool is_float;
} DataKindInfo;
extern const DataKindInfo asm_data_kinds[];

/* ---- a cursor over one line's tokens ------------------------------------------------- */

typedef struct Cursor {
    Asm *A;
    Token *t;
    size_t n, i;
    int file, line;
    char err[256]; /* why the last parse failed */
    int errcol;
} Cursor;

typedef struct Env {
    Asm *A;
    int64_t tile; /* -1 where @tile has no meaning */
    bool forward; /* symbols may be defined later (pass 2) */
} Env;

/* ---- expr.c ------------------------------------------------------------------- */

Symbol *asm_sym_find(SymTab *t, const char *name);
void asm_sym_insert(SymTab *t, Symbol *s);
/* The image, created with the machine (acc1 unless .machine said otherwise)
 * when first needed. */
AsmImage *asm_the_image(Asm *A);
uint32_t asm_ntiles(Asm *A);
Token *asm_peek(Cursor *c);
Token *asm_next(Cursor *c);
SrcLoc asm_tok_loc(const Cursor *c, const Token *t);
bool asm_at_eol(Cursor *c);
/* 'text' of a token for messages ("end of line" at the end). */
const char *asm_tok_text(Cursor *c, const Token *t);
/* Remember why parsing failed, at token t; returns false. */
bool asm_fail_at(Cursor *c, const Token *t, const char *fmt, ...) ACC_PRINTF(3, 4);
/* Report the remembered failure. */
void asm_report(Cursor *c);
bool asm_expect_punct(Cursor *c, const char *p);
char *asm_ident_name(Cursor *c, const Token *t);
Expr *asm_parse_expr(Cursor *c);
bool asm_eval(Env *env, const Expr *e, Value *out);
/* A plain number (code addresses count as their offset). */
bool asm_eval_number(Env *env, const Expr *e, int64_t *out);
/* A constant needed now (pass 1): no @tile, no forward references. */
bool asm_eval_now(Asm *A, const Expr *e, int64_t *out);
bool asm_in_range(Asm *A, SrcLoc loc, int64_t v, int64_t lo, int64_t hi, const char *what);

/* ---- parse.c ----------------------------------------------------------------- */

void asm_assemble_text_into(Asm *A, int file, const char *text, size_t len);
void asm_assemble_file_into(Asm *A, const char *path, SrcLoc from);

#endif

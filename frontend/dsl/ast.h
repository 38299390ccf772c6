/*
 * The .g DSL's syntax tree: what parser.y builds and lower.c turns into IR.
 * Private to frontend/dsl. Every node lives in the file's arena and carries
 * the source location diagnostics point at.
 */
#ifndef ACCC_DSL_AST_H
#define ACCC_DSL_AST_H

#include "support.h"

typedef enum NodeKind {
    N_NAME,   /* x, N, f16 */
    N_INT,    /* 42 */
    N_FLOAT,  /* 0.5, 1e-5 */
    N_BOOL,   /* true, false */
    N_STRING, /* "tanh" */
    N_LIST,   /* [a, b, c] */
    N_CALL,   /* f(args, key=value) */
    N_BINARY, /* a + b, a @ b */
    N_NEG,    /* -a */
    N_KWARG,  /* key=value inside a call */
} NodeKind;

typedef struct Node Node;

enum { OP_FLOORDIV = 'f' }; /* the one two-character operator */

typedef struct NodeList {
    Node **items;
    int n, cap;
} NodeList;

struct Node {
    NodeKind kind;
    SrcLoc loc;      /* the name, the literal, the operator, the call's name */
    const char *str; /* N_NAME, N_STRING, N_CALL (callee), N_KWARG (key) */
    int64_t i;       /* N_INT, N_BOOL */
    double f;        /* N_FLOAT */
    char op;         /* N_BINARY: + - * / @, or OP_FLOORDIV for // */
    Node *lhs, *rhs; /* N_BINARY; N_NEG and N_KWARG use lhs */
    NodeList list;   /* N_LIST items, N_CALL arguments */
};

/* dtype[d0, d1, ...] (dimensions are expressions over integers and
 * names), or a bare int / float: a compile-time constant parameter. */
typedef struct TypeExpr {
    const char *dtype;
    SrcLoc loc;
    NodeList dims;
    bool tensor; /* has [ ] */
} TypeExpr;

typedef struct Decl { /* name: type, in a graph's signature */
    const char *name;
    SrcLoc loc;
    TypeExpr type;
} Decl;

typedef enum StmtKind {
    S_ASSIGN, /* a, b = expr */
    S_PARAM,  /* param w: f32[2, 3] = init */
} StmtKind;

typedef struct Targets { /* a, b = ... */
    const char **names;
    SrcLoc *locs;
    int n, cap;
} Targets;

typedef struct Stmt {
    StmtKind kind;
    SrcLoc loc;
    const char **targets; /* S_ASSIGN: names; S_PARAM: targets[0] */
    SrcLoc *target_locs;
    int ntargets;
    TypeExpr type; /* S_PARAM */
    Node *value;
} Stmt;

typedef struct GraphDef {
    const char *name;
    SrcLoc loc;
    Decl *inputs, *outputs;
    int ninputs, noutputs;
    Stmt *stmts;
    int nstmts;
    const char *dir; /* the directory of its file: load() paths start there */
    bool main_file;  /* defined in the file being compiled, not an import */
    bool failed;     /* its body had errors once: later calls stay quiet */
} GraphDef;

typedef struct DimDef { /* dim N = 8 */
    const char *name;
    SrcLoc loc;
    Node *value;
} DimDef;

typedef struct ImportDef {
    const char *path;
    SrcLoc loc;
} ImportDef;

/* One parsed file. */
typedef struct FileAst {
    Arena *arena;
    int file; /* Diag file index */
    GraphDef *graphs;
    int ngraphs, capgraphs;
    DimDef *dims;
    int ndims, capdims;
    ImportDef *imports;
    int nimports, capimports;
} FileAst;

/* What the parser threads through its actions (parser.y). */
typedef struct DslParse {
    FileAst *ast;
    Diag *diag;
    int depth;           /* open ( and [: newlines inside them are not statement ends */
    SrcLoc open_loc[64]; /* where the outermost brackets opened */
    char tok_text[48];   /* the last token's text, for syntax errors */
    bool quiet;          /* the next syntax error is already reported */
} DslParse;

/* parser.y: parse text into ast (registered with d as name). Errors are
 * reported; the tree holds what could be parsed. */
void dsl_parse_text(FileAst *ast, const char *name, const char *text, size_t len, Diag *d);

#endif

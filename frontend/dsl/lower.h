/*
 * The DSL's lowering, shared by lower.c (values, expressions, calls,
 * statements, graphs, files), consts.c (compile-time constants, types and
 * attributes) and params.c (parameters). Private to frontend/dsl.
 */
#ifndef ACCC_DSL_LOWER_H
#define ACCC_DSL_LOWER_H

#include "frontend.h"

#include "ast.h"

enum {
    MAX_INLINE_DEPTH = 64,
    /* Expressions nest at most this deep (calls in calls, operands in
     * operators), counted through inlined graphs: the lowering recurses. */
    MAX_EXPR_DEPTH = 256,
};

/* ---- Compile-time constants: attributes, dimensions, initialiser arguments ---- */

typedef enum CKind {
    C_INT,
    C_FLOAT,
    C_BOOL,
    C_STR,
    C_DTYPE,
    C_LIST,
    C_POISON, /* a name whose statement failed: uses fail quietly */
} CKind;

typedef struct CVal {
    CKind kind;
    SrcLoc loc;
    int64_t i;
    double f;
    const char *s;
    AccDtype t;
    struct CVal *items;
    int n;
} CVal;

/* Named constants in scope: dims, int/float graph parameters. */
typedef struct ConstEnv {
    const char **names;
    CVal *vals;
    int n, cap;
    const struct ConstEnv *parent;
} ConstEnv;

/* ---- Tensor values in scope ---------------------------------------------------- */

typedef enum ValKind {
    V_TENSOR,  /* an IR value */
    V_LITERAL, /* a number not yet given a dtype */
    V_ERROR,   /* something already reported went wrong */
} ValKind;

typedef struct Val {
    ValKind kind;
    IrRef ref;
    double num;
    bool is_float;
    SrcLoc loc;
} Val;

typedef struct Binding {
    const char *name;
    Val val;
    SrcLoc loc; /* where it was last assigned */
} Binding;

typedef struct Scope {
    const GraphDef *graph;
    Binding *b;
    int n, cap;
    ConstEnv consts;
} Scope;

typedef struct Lower {
    Diag *d;
    const FeOptions *opts;
    Arena arena;       /* syntax trees and lowering scratch */
    GraphDef **graphs; /* every graph of every file */
    int ngraphs, capgraphs;
    char **files; /* resolved paths already read */
    int nfiles, capfiles;
    ConstEnv globals; /* dim declarations and -D */
    int main_file;    /* Diag file index of the file being compiled */
    IrGraph *g;
    const GraphDef *stack[MAX_INLINE_DEPTH];
    int depth;
    bool too_big;
    int expr_depth; /* lower_expr and eval_const recursion */
    bool too_deep;
} Lower;

/* ---- consts.c ---------------------------------------------------------------- */

const CVal *dsl_const_lookup(const ConstEnv *env, const char *name);
void dsl_const_bind(ConstEnv *env, const char *name, CVal v);
void dsl_const_unbind(ConstEnv *env, const char *name);
void dsl_const_free(ConstEnv *env);
const char *dsl_ckind_name(const CVal *v);
const char *dsl_op_text(char op);
/* a op b for two constants (n the operator's node), by the rules in
 * docs/dsl.md; reports and returns false on overflow or division by 0. */
bool dsl_const_binary(Lower *L, const Node *n, const CVal *a, const CVal *b, CVal *out);
/* Numbers, bools, strings, dtypes, names of constants, lists, arithmetic. */
bool dsl_eval_const(Lower *L, const ConstEnv *env, const Node *n, CVal *out);
/* A constant as an attribute of the schema's kind. */
bool dsl_to_attr(Lower *L, const CVal *v, const IrAttrSchema *s, const char *op, IrAttr *a);
/* "f32[K, M]" as written. */
const char *dsl_type_text(Lower *L, const TypeExpr *t);
bool dsl_eval_dtype(Lower *L, const TypeExpr *t, AccDtype *dt);
bool dsl_eval_type(Lower *L, const ConstEnv *env, const TypeExpr *t, IrType *out);

/* ---- params.c ------------------------------------------------------------------ */

/* param NAME: TYPE = INIT */
void dsl_lower_param(Lower *L, Scope *s, const Stmt *st);

/* ---- lower.c --------------------------------------------------------------------- */

Val dsl_error_val(void);
Val dsl_tensor_val(IrRef r, SrcLoc loc);
void dsl_bind(Scope *s, const char *name, Val v, SrcLoc loc);

#endif

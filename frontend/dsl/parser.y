/*
 * The .g DSL's grammar (bison: pure, with locations). It builds the syntax
 * tree of ast.h; names, types and ops are checked later by lower.c. The
 * EBNF in docs/dsl.md is this grammar, written for people.
 *
 * After a syntax error the parser skips to the end of the statement (or of
 * the top-level line) and goes on, so one run reports several errors.
 */
%define api.pure full
%define api.prefix {dsl_}
%define parse.error custom
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {DslParse *ps}

%code requires {
#include "ast.h"
typedef void *yyscan_t;
}

%code provides {
int dsl_lex(DSL_STYPE *lval, DSL_LTYPE *lloc, yyscan_t scanner);
}

%code {
#include <stdlib.h>
#include <string.h>

static SrcLoc loc_of(const DslParse *ps, DSL_LTYPE l) {
    return diag_loc(ps->ast->file, l.first_line, l.first_column);
}

static Node *new_node(DslParse *ps, NodeKind kind, DSL_LTYPE l) {
    Node *n = ARENA_NEW(ps->ast->arena, Node);
    n->kind = kind;
    n->loc = loc_of(ps, l);
    return n;
}

static void push(DslParse *ps, NodeList *list, Node *n) {
    if (list->n == list->cap) {
        int cap = list->cap ? list->cap * 2 : 4;
        Node **items = ARENA_ARRAY(ps->ast->arena, Node *, cap);
        if (list->n) memcpy(items, list->items, (size_t)list->n * sizeof *items);
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n++] = n;
}

static Node *binary(DslParse *ps, char op, DSL_LTYPE l, Node *a, Node *b) {
    Node *n = new_node(ps, N_BINARY, l);
    n->op = op;
    n->lhs = a;
    n->rhs = b;
    return n;
}

/* Make room for one more element in an arena array of n elements. */
static void *grow(DslParse *ps, void *arr, int n, int *cap, size_t elem) {
    if (n < *cap) return arr;
    int cap2 = *cap ? *cap * 2 : 4;
    void *p = arena_alloc(ps->ast->arena, elem * (size_t)cap2, 16);
    if (n) memcpy(p, arr, elem * (size_t)n);
    *cap = cap2;
    return p;
}

#define PUSH(ps, arr, n, cap, value)                                                               \
    do {                                                                                           \
        (arr) = grow((ps), (arr), (n), &(cap), sizeof *(arr));                                     \
        (arr)[(n)++] = (value);                                                                    \
    } while (0)

static void add_target(DslParse *ps, Targets *t, const char *name, SrcLoc loc) {
    int cap = t->cap;
    t->names = grow(ps, t->names, t->n, &cap, sizeof *t->names);
    t->locs = grow(ps, t->locs, t->n, &t->cap, sizeof *t->locs);
    t->names[t->n] = name;
    t->locs[t->n++] = loc;
}

static void dsl_error(DSL_LTYPE *l, yyscan_t scanner, DslParse *ps, const char *msg);
}

%union {
    const char *str;
    int64_t i;
    double f;
    Node *node;
    NodeList list;
    TypeExpr type;
    struct { Decl *items; int n, cap; } decls;
    Decl decl;
    struct { Stmt *items; int n, cap; } stmts;
    Stmt stmt;
    Targets targets;
}

%token <str> IDENT "identifier"
%token <str> STRING "string"
%token <i> INT "integer"
%token <f> FLOAT "number"
%token <i> BOOL "true or false"
%token KW_GRAPH "'graph'"
%token KW_PARAM "'param'"
%token KW_IMPORT "'import'"
%token KW_DIM "'dim'"
%token ARROW "'->'"
%token FLOORDIV "'//'"
%token NEWLINE "end of line"
%token BAD "a bad character"

%type <node> expr term unary primary arg
%type <list> args arg_list expr_list dims dim_list
%type <type> type
%type <decl> decl
%type <decls> decls decl_list
%type <stmts> stmts body
%type <stmt> stmt
%type <targets> targets


%start file

%%

/* file := { import | dim | graph | NEWLINE } */
file
    : %empty
    | file item
    ;

item
    : NEWLINE
    | KW_IMPORT STRING NEWLINE {
          ImportDef imp = {$2, loc_of(ps, @2)};
          PUSH(ps, ps->ast->imports, ps->ast->nimports, ps->ast->capimports, imp);
      }
    | KW_DIM IDENT '=' expr NEWLINE {
          DimDef dim = {$2, loc_of(ps, @2), $4};
          PUSH(ps, ps->ast->dims, ps->ast->ndims, ps->ast->capdims, dim);
      }
    | graph
    | error NEWLINE { yyerrok; }
    ;

/* graph := 'graph' IDENT '(' decls ')' '->' '(' decls ')' '{' body '}' */
graph
    : KW_GRAPH IDENT '(' decls ')' newlines ARROW '(' decls ')' newlines '{' body '}' {
          GraphDef g;
          memset(&g, 0, sizeof g);
          g.name = $2;
          g.loc = loc_of(ps, @2);
          g.inputs = $4.items;
          g.ninputs = $4.n;
          g.outputs = $9.items;
          g.noutputs = $9.n;
          g.stmts = $13.items;
          g.nstmts = $13.n;
          PUSH(ps, ps->ast->graphs, ps->ast->ngraphs, ps->ast->capgraphs, g);
      }
    | KW_GRAPH error '}' { yyerrok; }
    ;

/* A graph's header may break its line before '->' and '{'. */
newlines
    : %empty
    | newlines NEWLINE
    ;

decls
    : %empty { $$.items = NULL; $$.n = $$.cap = 0; }
    | decl_list
    | decl_list ','
    ;

decl_list
    : decl { $$.items = NULL; $$.n = $$.cap = 0; PUSH(ps, $$.items, $$.n, $$.cap, $1); }
    | decl_list ',' decl { $$ = $1; PUSH(ps, $$.items, $$.n, $$.cap, $3); }
    ;

/* decl := IDENT ':' type */
decl
    : IDENT ':' type { $$.name = $1; $$.loc = loc_of(ps, @1); $$.type = $3; }
    ;

/* type := IDENT '[' [expr {',' expr}] ']' | IDENT (int, float: a constant) */
type
    : IDENT '[' dims ']' {
          memset(&$$, 0, sizeof $$);
          $$.dtype = $1;
          $$.loc = loc_of(ps, @1);
          $$.dims = $3;
          $$.tensor = true;
      }
    | IDENT {
          memset(&$$, 0, sizeof $$);
          $$.dtype = $1;
          $$.loc = loc_of(ps, @1);
      }
    ;

dims
    : %empty { memset(&$$, 0, sizeof $$); }
    | dim_list
    | dim_list ','
    ;

dim_list
    : expr { memset(&$$, 0, sizeof $$); push(ps, &$$, $1); }
    | dim_list ',' expr { $$ = $1; push(ps, &$$, $3); }
    ;

/* body := { stmt NEWLINE | NEWLINE } [stmt]: the last stmt may end at '}' */
body
    : stmts
    | stmts stmt { $$ = $1; PUSH(ps, $$.items, $$.n, $$.cap, $2); }
    ;

stmts
    : %empty { $$.items = NULL; $$.n = $$.cap = 0; }
    | stmts NEWLINE
    | stmts stmt NEWLINE { $$ = $1; PUSH(ps, $$.items, $$.n, $$.cap, $2); }
    | stmts error NEWLINE { $$ = $1; yyerrok; }
    ;

/* stmt := 'param' IDENT ':' type '=' expr | targets '=' expr */
stmt
    : KW_PARAM IDENT ':' type '=' expr {
          memset(&$$, 0, sizeof $$);
          $$.kind = S_PARAM;
          $$.loc = loc_of(ps, @1);
          $$.targets = ARENA_ARRAY(ps->ast->arena, const char *, 1);
          $$.target_locs = ARENA_ARRAY(ps->ast->arena, SrcLoc, 1);
          $$.targets[0] = $2;
          $$.target_locs[0] = loc_of(ps, @2);
          $$.ntargets = 1;
          $$.type = $4;
          $$.value = $6;
      }
    | targets '=' expr {
          memset(&$$, 0, sizeof $$);
          $$.kind = S_ASSIGN;
          $$.loc = loc_of(ps, @1);
          $$.targets = $1.names;
          $$.target_locs = $1.locs;
          $$.ntargets = $1.n;
          $$.value = $3;
      }
    ;

targets
    : IDENT { memset(&$$, 0, sizeof $$); add_target(ps, &$$, $1, loc_of(ps, @1)); }
    | targets ',' IDENT { $$ = $1; add_target(ps, &$$, $3, loc_of(ps, @3)); }
    ;

/* expr := term { ('+' | '-') term };  term := unary { ('*' | '/' | '//' | '@') unary } */
expr
    : term
    | expr '+' term { $$ = binary(ps, '+', @2, $1, $3); }
    | expr '-' term { $$ = binary(ps, '-', @2, $1, $3); }
    ;

term
    : unary
    | term '*' unary { $$ = binary(ps, '*', @2, $1, $3); }
    | term '/' unary { $$ = binary(ps, '/', @2, $1, $3); }
    | term FLOORDIV unary { $$ = binary(ps, OP_FLOORDIV, @2, $1, $3); }
    | term '@' unary { $$ = binary(ps, '@', @2, $1, $3); }
    ;

/* unary := '-' unary | primary */
unary
    : primary
    | '-' unary { $$ = new_node(ps, N_NEG, @1); $$->lhs = $2; }
    ;

/* primary := NUMBER | BOOL | STRING | IDENT | IDENT '(' args ')' | '(' expr ')'
 *          | '[' [expr {',' expr}] ']' */
primary
    : INT { $$ = new_node(ps, N_INT, @1); $$->i = $1; }
    | FLOAT { $$ = new_node(ps, N_FLOAT, @1); $$->f = $1; }
    | BOOL { $$ = new_node(ps, N_BOOL, @1); $$->i = $1; }
    | STRING { $$ = new_node(ps, N_STRING, @1); $$->str = $1; }
    | IDENT { $$ = new_node(ps, N_NAME, @1); $$->str = $1; }
    | IDENT '(' args ')' { $$ = new_node(ps, N_CALL, @1); $$->str = $1; $$->list = $3; }
    | '(' expr ')' { $$ = $2; }
    | '[' expr_list ']' { $$ = new_node(ps, N_LIST, @1); $$->list = $2; }
    ;

expr_list
    : %empty { memset(&$$, 0, sizeof $$); }
    | expr { memset(&$$, 0, sizeof $$); push(ps, &$$, $1); }
    | expr_list ',' expr { $$ = $1; push(ps, &$$, $3); }
    ;

args
    : %empty { memset(&$$, 0, sizeof $$); }
    | arg_list
    | arg_list ','
    ;

arg_list
    : arg { memset(&$$, 0, sizeof $$); push(ps, &$$, $1); }
    | arg_list ',' arg { $$ = $1; push(ps, &$$, $3); }
    ;

/* arg := expr | IDENT '=' expr */
arg
    : expr
    | IDENT '=' expr { $$ = new_node(ps, N_KWARG, @1); $$->str = $1; $$->lhs = $3; }
    ;

%%

/* "expected ')' or ',', found identifier 'x'" */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, DslParse *ps) {
    (void)scanner;
    enum { MAX_EXPECTED = 4 };
    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    bool expression = false; /* the tokens that start an expression are all expected */
    for (int i = 0; i < n; i++) expression |= expected[i] == YYSYMBOL_INT;
    yysymbol_kind_t found = yypcontext_token(ctx);
    const DSL_LTYPE *l = yypcontext_location(ctx);
    if (ps->quiet) {
        ps->quiet = false;
        return 0;
    }
    StrBuf msg;
    sb_init(&msg);
    if (expression) {
        sb_puts(&msg, "expected an expression, found ");
    } else if (n > 0 && n <= MAX_EXPECTED) {
        sb_puts(&msg, "expected ");
        for (int i = 0; i < n; i++)
            sb_printf(&msg, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", yysymbol_name(expected[i]));
        sb_puts(&msg, ", found ");
    } else {
        sb_puts(&msg, "unexpected ");
    }
    if (found == YYSYMBOL_YYEOF && ps->depth > 0) {
        sb_free(&msg);
        diag_error(ps->diag, ps->open_loc[0], "this bracket is never closed");
        return 0;
    }
    if (found == YYSYMBOL_YYEOF)
        sb_puts(&msg, "end of file");
    else if (found == YYSYMBOL_IDENT || found == YYSYMBOL_INT || found == YYSYMBOL_FLOAT)
        sb_printf(&msg, "%s '%s'", yysymbol_name(found), ps->tok_text);
    else
        sb_puts(&msg, yysymbol_name(found));
    diag_error(ps->diag, loc_of(ps, *l), "%s", msg.data);
    sb_free(&msg);
    return 0;
}

/* Bison's own messages: only "memory exhausted", when nesting is too deep
 * for its stack (syntax errors go through yyreport_syntax_error). */
static void dsl_error(DSL_LTYPE *l, yyscan_t scanner, DslParse *ps, const char *msg) {
    (void)scanner;
    if (strcmp(msg, "memory exhausted") == 0)
        diag_error(ps->diag, loc_of(ps, *l), "brackets nest too deeply for the parser");
    else
        diag_error(ps->diag, loc_of(ps, *l), "%s", msg);
}

/*
 * ir — the SSA tensor IR: graphs of ops over values with a dtype and a
 * static shape. Builder, verifier, text printer and parser, and the
 * reference evaluator.
 *
 * Representation (QBE's lessons):
 *   - A graph holds three tables: values (g->vals), ops (g->ops) and
 *     constant tensors (g->consts). Operands and results are IrRef, an index
 *     into g->vals; ops are named by IrOpId, an index into g->ops. Index 0 of
 *     both tables is unused, so IR_NONE (0) means "no value"/"no op".
 *   - Program order is a doubly linked list through the ops (first/last,
 *     prev/next); a graph is one basic block, ops appear after the ops that
 *     define their operands (the verifier checks it).
 *   - Use lists are not maintained by hand: ir_build_uses() rebuilds them
 *     and any mutation marks them stale (ir_uses() on stale lists is an
 *     internal error).
 *   - Every attribute in an op's schema is present once the op is finished
 *     (ir_op_finish fills in defaults), so passes never handle defaults.
 *
 * Memory policy:
 *   - A graph owns an Arena. Everything small that belongs to the graph
 *     (names, operand and attribute arrays, strings) comes from it and dies
 *     in ir_graph_free(). Erased ops leave their arena bytes behind until
 *     then; ir_graph_clone() makes a compact copy.
 *   - The growable tables (values, ops, constants, inputs, outputs, uses)
 *     and constant tensor data are xmalloc'd and owned by the graph.
 *   - IrValue * and IrOp * pointers are invalidated by anything that adds a
 *     value or an op; hold IrRef / IrOpId across builder calls.
 *
 * Errors in user input (shape mismatches, bad attributes) go to a Diag at
 * the op's SrcLoc; bugs in accc (a malformed op built by a pass) are ice().
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_IR_H
#define ACCC_IR_H

#include "support.h"

#define IR_MAX_RANK     8   /* = NPY_MAX_DIMS */
#define IR_MAX_RESULTS  64  /* results of one op (split) */
#define IR_MAX_OPERANDS 256 /* operands of one op (concat) */
#define IR_NONE         0

typedef int32_t IrRef;  /* a value: index into g->vals */
typedef int32_t IrOpId; /* an op: index into g->ops */

/* ---- ops.def: the op table --------------------------------------------------- */

typedef enum IrOpKind {
#define OP(name, operands, results, types, flags, attrs, infer, eval, doc) IR_OP_##name,
#include "ops.def"
#undef OP
    IR_OP_COUNT
} IrOpKind;

/* Dtype classes for the types column. */
enum { TF = 1, TI = 2, TB = 4, TN = TF | TI, TA = TF | TI | TB };

/* Op flags. */
enum {
    IR_EW = 1 << 0,   /* elementwise over broadcast operands */
    IR_COMM = 1 << 1, /* commutative in its two operands */
    IR_MOVE = 1 << 2, /* data movement: results are copies of input elements */
    IR_RED = 1 << 3,  /* reduction */
    /* A kernel-family op (docs/passes.md, "The lowered form"): after the
     * lower pass, top-level ops are constants and non-elementwise ops with
     * this flag; inside a body, elementwise ops with this flag (the scalar
     * primitives) and rank-0 constants. */
    IR_KERNEL = 1 << 4,
};

typedef enum IrAttrKind {
    IR_ATTR_NONE,   /* absent (only before ir_op_finish) */
    IR_ATTR_INT,    /* int64 */
    IR_ATTR_FLOAT,  /* double */
    IR_ATTR_BOOL,   /* true/false */
    IR_ATTR_STR,    /* a string, often one of a fixed set of choices */
    IR_ATTR_DTYPE,  /* an element type */
    IR_ATTR_INTS,   /* list of int64 */
    IR_ATTR_FLOATS, /* list of double */
    IR_ATTR_TENSOR, /* a constant tensor: index into g->consts */
    IR_ATTR_BODY,   /* a scalar expression (a small graph): index into g->bodies */
    IR_ATTR_KIND_COUNT
} IrAttrKind;

typedef struct IrAttr {
    IrAttrKind kind;
    int n; /* length of is/fs */
    union {
        int64_t i; /* INT, BOOL (0/1) */
        double f;
        const char *s;
        AccDtype t;
        int64_t *is;
        double *fs;
        int32_t tensor;
        int32_t body;
    } u;
} IrAttr;

/* One entry of an op's attribute schema. */
typedef struct IrAttrSchema {
    const char *name;
    IrAttrKind kind;
    enum { IR_ATTR_REQUIRED, IR_ATTR_DEFAULT, IR_ATTR_INFERRED } presence;
    IrAttr def;                 /* the default, for IR_ATTR_DEFAULT */
    const char *const *choices; /* NULL-terminated allowed strings, or NULL */
    const char *text;           /* the schema entry as written in ops.def */
} IrAttrSchema;

#define IR_MAX_ATTRS 8

typedef struct IrInfer IrInfer;
typedef struct IrEval IrEval;

/* Everything the table says about an op kind, parsed once. */
typedef struct IrOpInfo {
    const char *name;
    int nin_min, nin_max; /* nin_max -1: any number */
    int nout;             /* -1: decided by shape inference */
    const char *operand_names[6], *result_name;
    unsigned types, flags;
    IrAttrSchema attrs[IR_MAX_ATTRS];
    int nattrs;
    bool (*infer)(IrInfer *);
    int (*eval)(IrEval *);
    const char *operands_text, *results_text, *attrs_text, *doc;
} IrOpInfo;

/* ---- types and shapes (graph.c) ---------------------------------------------- */

typedef struct IrType {
    AccDtype dtype;
    int rank;
    int64_t dims[IR_MAX_RANK];
} IrType;

IrType ir_type(AccDtype dtype, int rank, const int64_t *dims);
/* Number of elements (1 for rank 0); -1 if it overflows int64. */
int64_t ir_type_count(const IrType *t);
bool ir_type_equal(const IrType *a, const IrType *b);
/* "f32[8, 784]"; "f32[]" for a scalar. */
void ir_type_print(StrBuf *sb, const IrType *t);
/* A static buffer with ir_type_print's text; for messages only. */
const char *ir_type_str(const IrType *t);
/* Broadcast two shapes by NumPy's rules into out (dtype from a). False if
 * some dimension pair is neither equal nor 1; then *bad_dim is the failing
 * result dimension. */
bool ir_broadcast(const IrType *a, const IrType *b, IrType *out, int *bad_dim);
/* How to read in broadcast to out (NumPy rules, aligned from the right):
 * strides[i] is in's C-order stride for result dimension i, 0 where in is
 * broadcast (absent or of size 1). */
void ir_broadcast_strides(const IrType *in, const IrType *out, int64_t *strides);

/* ---- graphs, values, ops, attributes, constants (graph.c) -------------------- */

typedef struct IrValue {
    IrType type;
    const char *name;         /* a source name, or NULL */
    IrOpId def;               /* the defining op; IR_NONE for a graph input */
    int res;                  /* which result of def (input index for an input) */
    int32_t nuses, first_use; /* ir_build_uses: a slice of g->uses */
} IrValue;

typedef struct IrOp {
    IrOpKind kind;
    int nin, nout;
    IrRef *in;         /* operands */
    IrRef *out;        /* results */
    IrAttr *attrs;     /* one per schema entry, in schema order */
    SrcLoc loc;        /* where it came from, or file 0 */
    IrOpId prev, next; /* program order */
    bool dead;         /* erased */
} IrOp;

/* How a constant's data came about; the printer writes the recipe back. */
typedef enum IrConstOrigin {
    IR_CONST_DATA, /* literal values or computed data: printed inline */
    IR_CONST_FILE, /* load("path"): a .npy file */
    IR_CONST_ZEROS,
    IR_CONST_ONES,
    IR_CONST_NORMAL,  /* normal(seed, std): see ir_init_normal */
    IR_CONST_UNIFORM, /* uniform(seed, lo, hi): see ir_init_uniform */
} IrConstOrigin;

typedef struct IrConst {
    IrType type;
    void *data;    /* count * dtype_size bytes, C order, storage format */
    uint64_t hash; /* of dtype, shape and bytes */
    IrConstOrigin origin;
    const char *path; /* IR_CONST_FILE: the file as resolved when loaded */
    uint64_t seed;    /* NORMAL, UNIFORM */
    double a, b;      /* NORMAL: std (a); UNIFORM: lo (a), hi (b) */
} IrConst;

typedef struct IrUse {
    IrOpId op; /* IR_NONE: a graph output */
    int slot;  /* operand index (output index for a graph output) */
} IrUse;

typedef struct IrOutput {
    const char *name;
    IrRef val;
} IrOutput;

typedef struct IrGraph {
    Arena arena;
    const char *name;
    IrValue *vals; /* vals[0] unused */
    int32_t nvals;
    size_t capvals;
    IrOp *ops; /* ops[0] unused */
    int32_t nops;
    size_t capops;
    IrOpId first, last;   /* program order */
    IrOpId insert_before; /* where new ops go; IR_NONE: at the end */
    IrConst *consts;
    int32_t nconsts;
    size_t capconsts;
    IrRef *inputs;
    int ninputs;
    size_t capinputs;
    IrOutput *outputs;
    int noutputs;
    size_t capoutputs;
    IrUse *uses; /* ir_build_uses */
    size_t nuses, capuses;
    bool uses_valid;
    struct IrGraph **bodies; /* the bodies of fused kernels (body.c), owned */
    int32_t nbodies;
    size_t capbodies;
} IrGraph;

IrGraph *ir_graph_new(const char *name);
void ir_graph_free(IrGraph *g);
/* A deep copy holding only live ops, renumbered in program order. */
IrGraph *ir_graph_clone(const IrGraph *g);

static inline IrValue *ir_val(const IrGraph *g, IrRef v) {
    return &g->vals[v];
}
static inline IrOp *ir_op(const IrGraph *g, IrOpId op) {
    return &g->ops[op];
}
#define ir_for_each_op(g, id) for (IrOpId id = (g)->first; id; id = (g)->ops[id].next)

IrRef ir_add_input(IrGraph *g, const char *name, const IrType *type);
/* Drop input index from the signature (its value must be unused by then:
 * replace its uses first, e.g. by a constant). */
void ir_remove_input(IrGraph *g, int index);
void ir_add_output(IrGraph *g, const char *name, IrRef v);
void ir_value_set_name(IrGraph *g, IrRef v, const char *name);

/* New ops go before op (IR_NONE: at the end of the graph). */
void ir_set_insert_point(IrGraph *g, IrOpId before);
/* Create an op with operands but no results: set its attributes, then
 * ir_op_finish it. */
IrOpId ir_op_create(IrGraph *g, IrOpKind kind, int nin, const IrRef *in, SrcLoc loc);
/* Check operands and attributes, fill in defaulted attributes, infer and
 * create the results. On a user error, reports to d (may be NULL: then a
 * failure is an internal error), erases the op and returns false. */
bool ir_op_finish(IrGraph *g, IrOpId op, Diag *d);
IrRef ir_op_result(const IrGraph *g, IrOpId op, int i);
/* Re-run ir_op_finish's checks and shape inference on a finished op without
 * changing it; c->out gets the inferred result types (the verifier). */
bool ir_op_check(IrGraph *g, IrOpId op, Diag *d, IrInfer *c);
/* create + finish for ops without attributes; IR_NONE on failure. */
IrRef ir_build(IrGraph *g, IrOpKind kind, int nin, const IrRef *in, Diag *d, SrcLoc loc);
IrRef ir_build1(IrGraph *g, IrOpKind kind, IrRef a);
IrRef ir_build2(IrGraph *g, IrOpKind kind, IrRef a, IrRef b);
/* Unlink op from the program and mark it dead; its results must be unused. */
void ir_op_erase(IrGraph *g, IrOpId op);
/* Make every use of old (operands, graph outputs) use new instead. */
void ir_replace_uses(IrGraph *g, IrRef old, IrRef new_value);
void ir_op_set_operand(IrGraph *g, IrOpId op, int slot, IrRef v);

/* Attributes, by schema name (an unknown name is an internal error). */
const IrAttr *ir_attr(const IrGraph *g, IrOpId op, const char *name);
int64_t ir_attr_int(const IrGraph *g, IrOpId op, const char *name);
double ir_attr_float(const IrGraph *g, IrOpId op, const char *name);
bool ir_attr_bool(const IrGraph *g, IrOpId op, const char *name);
const char *ir_attr_str(const IrGraph *g, IrOpId op, const char *name);
AccDtype ir_attr_dtype(const IrGraph *g, IrOpId op, const char *name);
const int64_t *ir_attr_ints(const IrGraph *g, IrOpId op, const char *name, int *n);
const double *ir_attr_floats(const IrGraph *g, IrOpId op, const char *name, int *n);
void ir_set_attr(IrGraph *g, IrOpId op, const char *name, const IrAttr *value);
void ir_set_attr_int(IrGraph *g, IrOpId op, const char *name, int64_t v);
void ir_set_attr_float(IrGraph *g, IrOpId op, const char *name, double v);
void ir_set_attr_bool(IrGraph *g, IrOpId op, const char *name, bool v);
void ir_set_attr_str(IrGraph *g, IrOpId op, const char *name, const char *v);
void ir_set_attr_dtype(IrGraph *g, IrOpId op, const char *name, AccDtype v);
void ir_set_attr_ints(IrGraph *g, IrOpId op, const char *name, int n, const int64_t *v);
void ir_set_attr_floats(IrGraph *g, IrOpId op, const char *name, int n, const double *v);
/* Attach body (a graph made with ir_body_new) to op; g takes ownership. */
void ir_set_attr_body(IrGraph *g, IrOpId op, const char *name, IrGraph *body);
/* Tensors and bodies compare by index: equal attributes, not equal contents
 * (ir_body_equal compares bodies). */
bool ir_attr_equal(const IrAttr *a, const IrAttr *b);
/* A copy of op of graph src as a finished op of dst (they may be the same
 * graph), with operands in[] (values of dst); constant data and bodies are
 * copied. Returns the new op. */
IrOpId ir_op_copy(IrGraph *dst, const IrGraph *src, IrOpId op, const IrRef *in, SrcLoc loc);

/* Constants. ir_const_add copies data (count * dtype_size bytes) into the
 * graph's table and returns its index; ir_constant makes the constant op
 * and returns its value. */
int32_t ir_const_add(IrGraph *g, const IrType *type, const void *data);
IrRef ir_constant(IrGraph *g, const IrType *type, const void *data, SrcLoc loc);
/* The constant op for an existing entry of g->consts (set its origin first). */
IrRef ir_constant_from(IrGraph *g, int32_t index, SrcLoc loc);
/* A rank-0 constant holding v converted to dtype (dtype_set's rules). */
IrRef ir_constant_scalar(IrGraph *g, AccDtype dtype, double v, SrcLoc loc);
/* The constant a value holds, or NULL if it is not defined by a constant. */
const IrConst *ir_value_const(const IrGraph *g, IrRef v);
/* True if every element of c equals the first; *v gets it. */
bool ir_const_splat(const IrConst *c, double *v);

/* Use lists. */
void ir_build_uses(IrGraph *g);
const IrUse *ir_uses(const IrGraph *g, IrRef v, int *n);

/* ---- body.c: the bodies of fused kernels (docs/ir.md, "Fused kernels") ------- *
 *
 * fused, fused_matmul, fused_conv and fused_reduce carry a body: a small
 * graph of rank-0 values whose inputs stand for elements of the op's
 * operands (and of the accumulator), whose ops are elementwise ops and
 * rank-0 constants, and whose one output is the element computed. Body
 * values never have dtype f16 or bf16: those compute in f32 inside a body
 * (ir_compute_dtype), and the op rounds once, when it stores its result. A
 * body is immutable once attached; a pass that changes one builds a new one. */

/* f32 for f16 and bf16, else t itself. */
AccDtype ir_compute_dtype(AccDtype t);
/* The accumulator of a matmul or convolution of a and b: f32 for floats,
 * i32 for i8/u8, else a's dtype. */
AccDtype ir_acc_dtype(AccDtype a, AccDtype b);
/* A new body with n rank-0 inputs of the given dtypes (names may be NULL).
 * Build its ops with the builder, then ir_body_finish. */
IrGraph *ir_body_new(int n, const AccDtype *dtypes, const char *const *names);
void ir_body_finish(IrGraph *body, IrRef result);
/* Add body to g's table (g owns it) and return its index. */
int32_t ir_body_add(IrGraph *g, IrGraph *body);
/* The body of a fused op, or NULL for an op without one. */
const IrGraph *ir_op_body(const IrGraph *g, IrOpId op);
/* The body's result (its one output). */
IrRef ir_body_result(const IrGraph *body);
/* Which operand of an op of kind feeds body input i: the operand index, or
 * -1 for the accumulator (input 0 of fused_matmul and fused_conv). */
int ir_body_operand(IrOpKind kind, int input);
/* The number of leading operands that are not body inputs (2 for
 * fused_matmul and fused_conv, 0 for fused and fused_reduce). */
int ir_body_skip(IrOpKind kind);
/* Same inputs, ops, attributes and constants, in the same order. */
bool ir_body_equal(const IrGraph *a, const IrGraph *b);
/* A hash of a body's structure, consistent with ir_body_equal. */
uint64_t ir_body_hash(const IrGraph *body);
/* For infer functions: check the body attribute "body" of c's op against
 * the dtypes of its inputs (already promoted) and return its result dtype.
 * Also fills in the "dtype" attribute when absent. */
bool ir_infer_body(IrInfer *c, const AccDtype *inputs, int n, AccDtype *result);
/* True if any op of g carries a body. */
bool ir_graph_has_bodies(const IrGraph *g);
/* Rewrite every fused op of g into the plain ops it stands for (casts to
 * f32 around f16/bf16, then the body's ops over whole tensors): the same
 * results, bit for bit. --emit=g uses it, since the DSL has no bodies. */
void ir_unfuse(IrGraph *g);

/* ---- ops.c: the op table ------------------------------------------------------ */

const IrOpInfo *ir_op_info(IrOpKind kind);
const char *ir_op_name(IrOpKind kind);
/* The kind spelled name (length len), or -1. */
int ir_op_lookup(const char *name, size_t len);
/* The closest op name to a misspelling, or NULL. */
const char *ir_op_suggest(const char *name);
/* The schema slot of attribute name for kind, or -1. */
int ir_attr_slot(IrOpKind kind, const char *name);
const char *ir_attr_kind_name(IrAttrKind kind);
/* "f32 f16 bf16" etc. for a TF/TI/TB mask. */
const char *ir_types_text(unsigned types);
bool ir_dtype_in(AccDtype t, unsigned types);
/* The spatial rank of a conv/pool op (1, 2 or 3), 0 for other ops. */
int ir_op_spatial_rank(IrOpKind kind);

/* ---- infer.c: shape and type inference -------------------------------------- */

/* What an infer function sees. It reads operand types and attributes and
 * writes result types; errors go through ir_infer_error. */
struct IrInfer {
    IrGraph *g;
    IrOpId op;
    IrOpKind kind;
    Diag *diag;
    SrcLoc loc;
    int nin;
    const IrType *in[IR_MAX_OPERANDS];
    IrType out[IR_MAX_RESULTS];
    int nout;
    bool failed;
    bool check_only; /* verifier: must not change attributes */
};

void ir_infer_error(IrInfer *c, const char *fmt, ...) ACC_PRINTF(2, 3);
/* Resolved convolution/pooling geometry, defaults applied, for the
 * evaluator and the compiler. Spatial dimensions count from 0. */
typedef struct IrWindow {
    int nsp; /* spatial rank */
    int64_t kernel[3], stride[3], dilation[3];
    int64_t pad_begin[3], pad_end[3];
    int64_t in[3], out[3]; /* spatial sizes */
    int64_t groups, output_padding[3];
} IrWindow;
void ir_window(const IrGraph *g, IrOpId op, IrWindow *w);
/* A normalised axis (negative counts from the end), or -1 if out of range. */
int ir_norm_axis(int64_t axis, int rank);
/* ONNX Slice on one axis of size dim: the first index taken and how many
 * (negative start/end count from the end, then clamp; step may be < 0). */
void ir_slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first,
                   int64_t *len);

#define OP(name, operands, results, types, flags, attrs, infer, eval, doc) bool infer(IrInfer *c);
#include "ops.def"
#undef OP

/* ---- verify.c: the verifier ------------------------------------------------- */

/* Check SSA form and program order, operand counts and types, attributes
 * (kinds, choices, ranges) and every result type against shape inference.
 * Reports each problem to d (prefixed "verifier: ") and returns false if any. */
bool ir_verify(IrGraph *g, Diag *d);
/* ir_verify, then the lowered form the backend relies on (docs/passes.md,
 * "The lowered form"): only kernel ops, with their attributes in canonical
 * form, and bodies of scalar primitives. */
bool ir_verify_lowered(IrGraph *g, Diag *d);
/* The verifier between passes: in debug builds (ACCC_DEBUG) a failure is an
 * internal error naming the problem; in release builds it costs nothing. */
#ifdef ACCC_DEBUG
#define IR_VERIFY_DEBUG(g)         ((void)ir_verify((g), NULL))
#define IR_VERIFY_LOWERED_DEBUG(g) ((void)ir_verify_lowered((g), NULL))
#else
#define IR_VERIFY_DEBUG(g)         ((void)0)
#define IR_VERIFY_LOWERED_DEBUG(g) ((void)0)
#endif

/* ---- print.c: the text form (docs/ir.md) ------------------------------------ */

typedef struct IrPrintOptions {
    /* Directory the text will live in: load("...") paths are printed
     * relative to it. NULL: the current directory. */
    const char *base_dir;
} IrPrintOptions;

void ir_print(StrBuf *sb, const IrGraph *g, const IrPrintOptions *opts);
/* An attribute's value and a constant's recipe, as in the text form. */
void ir_print_attr(StrBuf *sb, const IrGraph *g, const IrAttr *a, const IrPrintOptions *opts);
/* A body as it appears after "body=": "{(%0: f32[]) -> f32[]", its ops one
 * per line (indented 4), "return %N", "}" (indented 2). */
void ir_print_body(StrBuf *sb, const IrGraph *body, const IrPrintOptions *opts);
void ir_print_const(StrBuf *sb, const IrConst *c, const IrPrintOptions *opts);
/* Stable, unique printable names for every value ("x", "x.1", "3"). */
typedef struct IrNames {
    char **name; /* per IrRef; NULL for dead values */
    int32_t n;
} IrNames;
void ir_names_init(IrNames *names, const IrGraph *g);
void ir_names_free(IrNames *names);
/* One op as its line of text, without indentation or newline. */
void ir_print_op(StrBuf *sb, const IrGraph *g, const IrNames *names, IrOpId op,
                 const IrPrintOptions *opts);

/* ---- parse.c: reading the text form ----------------------------------------- */

typedef struct IrParseOptions {
    const char *entry;      /* the graph to return; NULL: the last one */
    const char *base_dir;   /* load("...") paths resolve against it; NULL: "." */
    size_t max_const_bytes; /* largest constant accepted; 0: 1 GiB */
    bool no_files;          /* refuse load("...") (fuzzing) */
    FileDeps *deps;         /* records the files load() reads; NULL: none */
} IrParseOptions;

/* Parse IR text (registered with d under name) and verify each graph.
 * Returns the entry graph, or NULL after reporting errors. */
IrGraph *ir_parse(const char *name, const char *text, size_t len, const IrParseOptions *opts,
                  Diag *d);
/* The default limit on one constant's size. */
#define IR_MAX_CONST_BYTES ((size_t)1 << 30)

/* ---- init.c: seeded initialisers (docs/dsl.md states the algorithm), recipes --- */

/* SplitMix64: state += 0x9E3779B97F4A7C15, then the standard mix. */
uint64_t ir_splitmix64(uint64_t *state);
/* Fill count elements of data (dtype t) with N(0, std^2) / U[lo, hi). */
void ir_init_normal(AccDtype t, void *data, size_t count, uint64_t seed, double std);
void ir_init_uniform(AccDtype t, void *data, size_t count, uint64_t seed, double lo, double hi);
/* Constants made from the recipes the text forms print; each returns the
 * index in g->consts with its origin recorded. ir_const_load records the
 * file in deps (when not NULL) and returns -1 with a message when the file
 * cannot be read or does not hold exactly the declared dtype and shape
 * (f32 data is accepted, rounded, for bf16).
 * Seeds must be below 2^63 (the text forms write them as signed integers). */
int32_t ir_const_zeros(IrGraph *g, const IrType *type);
int32_t ir_const_ones(IrGraph *g, const IrType *type);
int32_t ir_const_normal(IrGraph *g, const IrType *type, uint64_t seed, double std);
int32_t ir_const_uniform(IrGraph *g, const IrType *type, uint64_t seed, double lo, double hi);
int32_t ir_const_load(IrGraph *g, const IrType *type, const char *path, FileDeps *deps, char *err,
                      size_t errlen);
/* Make every constant holding plain data (no recipe) of at least
 * min_elements elements a load() of dir/STEM.NAME.npy, so printed text
 * stays small, and queue that file (bf16 as f32) in files: the caller
 * writes it with the text. */
void ir_const_externalize(IrGraph *g, const char *dir, const char *stem, int64_t min_elements,
                          OutFiles *files);

/* ---- eval.c: the reference evaluator ---------------------------------------- */

/* Evaluate g. inputs holds one array per graph input, in order, with the
 * input's dtype and shape (bf16 data as uint16 bf16 bits). On success fills
 * outputs[0 .. g->noutputs) (free each with npy_free) and returns 0; on a
 * bad input or a data-dependent error (a gather index out of range) returns
 * -1 with a message in err. */
int ir_eval(const IrGraph *g, const NpyArray *inputs, NpyArray *outputs, char *err, size_t errlen);
/* Evaluate one op on arrays for its operands (NULL entries for absent
 * optional ones); fills out[0 .. nout). For constant folding. */
int ir_eval_op(const IrGraph *g, IrOpId op, const NpyArray *const *in, NpyArray *out, char *err,
               size_t errlen);

#define OP(name, operands, results, types, flags, attrs, infer, eval, doc) int eval(IrEval *c);
#include "ops.def"
#undef OP

/* ---- opdoc.c: the op reference --------------------------------------------- */

/* The op reference section of docs/dsl.md, generated from ops.def. */
void ir_op_reference(StrBuf *sb);

#endif

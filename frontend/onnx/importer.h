/*
 * The ONNX importer's private interface, shared by import.c (the model:
 * inputs, initializers, outputs, the node loop, constant folding) and the
 * op mappers, one file per family:
 *
 *   map_ew.c      elementwise ops: unary, binary, variadic, comparisons,
 *                 compositions (Celu, Shrink, IsInf, ...), Cast, Clip, Where
 *   map_nn.c      MatMul, Gemm, Conv, ConvTranspose, pooling, normalisation,
 *                 softmax, reductions, quantisation
 *   map_shape.c   shapes and data movement: Reshape, Slice, Pad, Split,
 *                 Shape, Constant, ConstantOfShape, Range, Trilu, OneHot, ...
 *   map_einsum.c  Einsum, as transposes, reshapes, matmuls and sums
 *   map_rnn.c     RNN, GRU, LSTM, unrolled over the (static) sequence
 *
 * A mapper reads the current node (im->node) through the imp_* helpers,
 * builds IR ops with imp_op / imp_finish (which fold ops on constants at
 * once, so shape subgraphs become constants) and defines the node's
 * outputs with imp_def. Errors go through imp_fail; while a node is being
 * mapped every message is prefixed with "node 'NAME' (OP): ".
 */
#ifndef ACCC_ONNX_IMPORTER_H
#define ACCC_ONNX_IMPORTER_H

#include "frontend.h"
#include "onnx.h"

typedef struct Imp Imp;
typedef struct ImpOp ImpOp;

/* One row of import.def. */
struct ImpOp {
    const char *name;                      /* ONNX op type, default domain */
    int since;                             /* first opset version mapped */
    bool (*map)(Imp *im, const ImpOp *op); /* the mapper */
    IrOpKind kind;                         /* the IR op, for mappers shared by many rows */
    unsigned const_inputs;                 /* bit i: input i must be a constant */
    const char *ir;                        /* what it becomes, for the docs */
    const char *notes;                     /* opset notes, for the docs */
};

struct Imp {
    const OnnxModel *m;
    const FeOptions *opts;
    IrGraph *g;
    Diag *d;
    Arena scratch; /* messages, copied attribute lists; dies with the import */
    SrcLoc loc;    /* the model file */
    int64_t opset; /* of the default domain */
    StrMap values; /* ONNX value name -> IrRef, or IMP_FAILED */
    StrMap inits;  /* initializer name -> index in m->graph.initializers */
    /* The node being mapped. */
    const OnnxNode *node;
    size_t node_index;
    bool failed; /* something was reported for this node */
    char context[256];
};

/* A value whose defining node failed: its uses stay quiet. */
#define IMP_FAILED (-1)
/* Fold an op on constants when its results have at most this many elements. */
#define IMP_FOLD_LIMIT 65536

/* ---- import.c: helpers for mappers ------------------------------------------------- */

/* Report an error about the current node; returns false. */
bool imp_fail(Imp *im, const char *fmt, ...) ACC_PRINTF(2, 3);
/* The IR dtype an ONNX element type becomes (DOUBLE narrows to f32, INT16
 * and UINT16 widen to i32, UINT32 to i64); false for the others. */
bool imp_dtype(int32_t onnx_type, AccDtype *out);

/* Inputs of the current node. An input named "" is absent. */
int imp_nin(const Imp *im);
bool imp_has(const Imp *im, int i);
/* The IR value of input i; IR_NONE (reported, or quiet after an earlier
 * failure) when it is absent or undefined. */
IrRef imp_in(Imp *im, int i);
const IrType *imp_type(const Imp *im, IrRef v);
/* The data of a constant value, or NULL if v is not a constant. */
const IrConst *imp_const(const Imp *im, IrRef v);
/* Input i as a constant: NULL (reported) when it is not one. what names
 * it in the message ("shape"). */
const IrConst *imp_const_in(Imp *im, int i, const char *what);
/* Input i as a list of integers: a constant of an integer dtype, rank 0 or
 * 1. *v lives in im->scratch. False (reported) otherwise. */
bool imp_const_ints(Imp *im, int i, const char *what, int64_t **v, int *n);
/* Input i as one number. */
bool imp_const_number(Imp *im, int i, const char *what, double *v);

/* Attributes of the current node: the default when absent; a wrong type is
 * reported (and the default returned). Lists live in im->scratch. */
int64_t imp_attr_int(Imp *im, const char *name, int64_t def);
double imp_attr_float(Imp *im, const char *name, double def);
const char *imp_attr_str(Imp *im, const char *name, const char *def);
/* false when absent (*v, *n untouched) or of the wrong type (reported). */
bool imp_attr_ints(Imp *im, const char *name, int64_t **v, int *n);
bool imp_attr_floats(Imp *im, const char *name, double **v, int *n);
bool imp_attr_has(const Imp *im, const char *name);

/* Building IR. imp_op creates an op on operands (IR_NONE operands mean an
 * earlier failure: the op is not made and imp_finish returns IR_NONE);
 * set its attributes with ir_set_attr_*, then imp_finish checks it (IR
 * errors are reported with the node's context), folds it when every
 * operand is a constant, and returns result 0. */
IrOpId imp_op(Imp *im, IrOpKind kind, int nin, const IrRef *in);
IrRef imp_finish(Imp *im, IrOpId op);
/* The same for an op with several results: they go to out; returns how
 * many (0 after an error). */
int imp_finish_n(Imp *im, IrOpId op, IrRef *out);
IrRef imp_unary(Imp *im, IrOpKind kind, IrRef x);
IrRef imp_binary(Imp *im, IrOpKind kind, IrRef a, IrRef b);
IrRef imp_ternary(Imp *im, IrOpKind kind, IrRef a, IrRef b, IrRef c);
IrRef imp_cast(Imp *im, IrRef x, AccDtype to);
/* A rank-0 constant of dtype t. */
IrRef imp_scalar(Imp *im, AccDtype t, double v);
/* A tensor of the model (an initializer, an attribute) as a constant op,
 * DOUBLE narrowed to f32, named name unless that is ""; IR_NONE (reported)
 * for a type or rank accc does not support. */
IrRef imp_tensor(Imp *im, const OnnxTensor *t, const char *name);
/* A constant with the given type and data (copied). */
IrRef imp_constant(Imp *im, const IrType *t, const void *data);
/* Whether the importer may make a constant of type t (at most
 * opts->max_const_bytes); reports when not. */
bool imp_const_fits(Imp *im, const IrType *t);
/* An i64 constant [0, 1, ..., n-1], reshaped to rank dimensions with n at
 * position axis (the rest 1): for one-hot masks along an axis. */
IrRef imp_iota(Imp *im, int64_t n, int rank, int axis);
/* reshape x to shape. */
IrRef imp_reshape(Imp *im, IrRef x, int rank, const int64_t *shape);
/* transpose x by perm. */
IrRef imp_transpose(Imp *im, IrRef x, int rank, const int64_t *perm);
/* reduce_KIND over axes, keeping dimensions. */
IrRef imp_reduce(Imp *im, IrOpKind kind, IrRef x, int n, const int64_t *axes, bool keepdims);

/* Define output i of the current node as v (IR_NONE: the node failed). */
void imp_def(Imp *im, int i, IrRef v);
/* Output i is named (present) in the node. */
bool imp_has_out(const Imp *im, int i);
/* The number of outputs the node names. */
int imp_nout(const Imp *im);

/* Softmax-style ops before opset 13 work on x flattened to 2-D at axis:
 * flatten, apply, reshape back. The axis to use on the result of
 * imp_coerce_2d is 1. */
IrRef imp_coerce_2d(Imp *im, IrRef x, int64_t axis);

/* ---- import.def: the op table -------------------------------------------------------- */

#define ONNX_OP(name, since, map, kind, const_inputs, ir, notes) bool map(Imp *im, const ImpOp *op);
#include "import.def"
#undef ONNX_OP

const ImpOp *imp_op_lookup(const char *name);

#endif

/*
 * What the pass files share, private to passes/ (the public interface is
 * passes.h). rw_ is the one-walk rewriter, pb_ the op builders, kb_ the
 * builder of kernel bodies.
 */
#ifndef ACCC_PASSES_INTERNAL_H
#define ACCC_PASSES_INTERNAL_H

#include "passes.h"

/* ---- build.c: building ops --------------------------------------------------------- *
 * Each builder makes a finished op at g's insert point, at loc, and returns
 * its result; the shape-changing ones return x itself when nothing would
 * change. Data-movement builders make the canonical forms of the lowered
 * form (docs/passes.md). */

typedef struct Build {
    IrGraph *g;
    SrcLoc loc;
} Build;

const IrType *pb_type(const Build *b, IrRef v);
IrRef pb_op1(Build *b, IrOpKind kind, IrRef x);
IrRef pb_op2(Build *b, IrOpKind kind, IrRef x, IrRef y);
IrRef pb_op3(Build *b, IrOpKind kind, IrRef x, IrRef y, IrRef z);
/* A rank-0 constant holding v in dtype t (dtype_set's rounding). */
IrRef pb_scalar(Build *b, AccDtype t, double v);
IrRef pb_constant(Build *b, const IrType *t, const void *data);
IrRef pb_cast(Build *b, IrRef x, AccDtype t);
/* reshape with shape = dims, allowzero = true. */
IrRef pb_reshape(Build *b, IrRef x, int rank, const int64_t *dims);
IrRef pb_transpose(Build *b, IrRef x, const int64_t *perm);
/* expand to dims, x first reshaped to rank dims' rank. */
IrRef pb_expand(Build *b, IrRef x, int rank, const int64_t *dims);
/* x[first : first + len * step : step] along axis (step may be negative). */
IrRef pb_slice(Build *b, IrRef x, int axis, int64_t first, int64_t len, int64_t step);
/* Constant padding with value, pads = [begins..., ends...] (negative ones
 * crop): a slice of what x contributes, then a pad with no negative pads. */
IrRef pb_pad(Build *b, IrRef x, const int64_t *pads, double value);
/* reduce_* of kind over axes. */
IrRef pb_reduce(Build *b, IrOpKind kind, IrRef x, int n, const int64_t *axes, bool keepdims);
/* An op with attributes: create, then pb_finish. */
IrOpId pb_create(Build *b, IrOpKind kind, int nin, const IrRef *in);
IrRef pb_finish(Build *b, IrOpId op);
/* Every element of constant v as double (f16/bf16 widened). */
double pb_const_at(const IrConst *c, int64_t i);
/* True if v is a constant whose every element equals x (bitwise for
 * floats, so -0.0 differs from 0.0). */
bool pb_is_splat(const IrGraph *g, IrRef v, double x);

/* ---- rewrite.c: rewriting in one walk --------------------------------------------- *
 * A pass walks the ops in program order. When it replaces a value, later
 * operands are redirected as the walk reaches them (uses always come after
 * their definition), so a replacement costs O(1), not a scan of the graph;
 * graph outputs are redirected by rw_finish. Use counts are kept as a hint
 * for heuristics (fuse only single-use values, ...), never for deciding what
 * may be erased: dce decides that. */

typedef struct Rewriter {
    IrGraph *g;
    Build b;       /* builds at the op being visited, with its location */
    IrRef *repl;   /* per value: what replaces it, or 0 */
    int32_t *uses; /* per value: reads by operands and outputs (a hint) */
    size_t capvals;
    uint8_t *counted; /* per op: its operands are counted in uses */
    size_t capops;
    int64_t budget; /* rewrites left; the walk stops rewriting at 0 */
    PassContext *pc;
} Rewriter;

void rw_init(Rewriter *rw, IrGraph *g, PassContext *pc);
/* Redirect the graph outputs and free the rewriter. */
void rw_finish(Rewriter *rw);
/* The value that now stands for v. */
IrRef rw_value(Rewriter *rw, IrRef v);
/* Uses of old read new from now on. */
void rw_replace(Rewriter *rw, IrRef old, IrRef new_value);
/* Replace op's only result by v and erase op. */
void rw_replace_op(Rewriter *rw, IrOpId op, IrRef v);
/* Erase op (its results must be replaced or unused). */
void rw_erase(Rewriter *rw, IrOpId op);
int32_t rw_uses(Rewriter *rw, IrRef v);

/* Called on each op with the insert point before it and rw->b.loc at its
 * location. Returns true if it rewrote: built ops before op and replaced
 * and erased op, or changed op in place. */
typedef bool RewriteFn(Rewriter *rw, IrOpId op, void *ctx);
/* Walk the graph once; after a rewrite, the walk continues with the first
 * op built by it, so new ops are rewritten too. */
void rw_walk(Rewriter *rw, RewriteFn *fn, void *ctx);

/* ---- fold.c ----------------------------------------------------------------------- */

/* If every operand of op is a constant (and the result is not much larger
 * than they are), evaluate op and build constants for its results before
 * it; out[i] gets result i's replacement. */
bool pass_fold_op(Build *b, IrOpId op, IrRef *out);

/* ---- kernel.c: building kernel bodies ----------------------------------------------- *
 * A KernelBuilder collects the operands of a fused op being built (each
 * distinct outer value once) and the ops of its body. */

typedef struct KernelBuilder {
    IrGraph *g;                      /* the graph the kernel goes into */
    IrGraph *body;                   /* the body being built */
    Build bb;                        /* builds in the body */
    int skip;                        /* leading operands that are not body inputs */
    IrRef operands[IR_MAX_OPERANDS]; /* outer values, after the skipped ones */
    IrRef inputs[IR_MAX_OPERANDS];   /* the body input standing for each */
    int n;
} KernelBuilder;

/* A builder for a kernel whose body starts with nacc accumulator inputs
 * (0, or 1 named "acc") of dtype acc. */
void kb_init(KernelBuilder *kb, IrGraph *g, int nacc, AccDtype acc);
/* The body input standing for outer value v (one per distinct value), of
 * v's compute dtype. */
IrRef kb_operand(KernelBuilder *kb, IrRef v);
/* Body values for the operands in[0..n) of an elementwise op: one-element
 * constants become body constants when that leaves the kernel's shape
 * alone, the others body inputs. */
void kb_operands(KernelBuilder *kb, int n, const IrRef *in, IrRef *args);
/* A body constant of dtype t. */
IrRef kb_scalar(KernelBuilder *kb, AccDtype t, double v);
/* Copy the ops of src (another body) into this one, with src's inputs
 * standing for args; returns the value of src's result. */
IrRef kb_inline(KernelBuilder *kb, const IrGraph *src, const IrRef *args);
/* Finish the body with result r and make the op (fused, fused_reduce, ...)
 * before g's insert point with the skipped leading operands lead[], the
 * collected operands, the attributes already set by the caller through
 * the returned op (use kb_finish_op to finish it). */
IrOpId kb_make(KernelBuilder *kb, IrOpKind kind, const IrRef *lead, IrRef r, AccDtype dtype,
               SrcLoc loc);
/* Finish an op made by kb_make after setting its other attributes. */
IrRef kb_finish_op(IrGraph *g, IrOpId op);
/* Free a builder whose body was not used. */
void kb_abandon(KernelBuilder *kb);

/* ---- tile.c, move.c: the tiler's state and the movement engine --------------------- */

/* How destination element x of a map node is found (docs/backend.md,
 * "Movement"): a leaf is an IR value that is computed, an input or a
 * constant (MAP_VALUE) or an internal buffer (MAP_BUF); the other kinds
 * are views, each with one child per source. */
typedef enum MapKind {
    MAP_VALUE,     /* an IR value (not a view) */
    MAP_BUF,       /* a buffer of the plan */
    MAP_RESHAPE,   /* same flat index */
    MAP_TRANSPOSE, /* a[0..rank): result dim i is child dim a[i] */
    MAP_EXPAND,    /* child dims of size 1 broadcast */
    MAP_SLICE,     /* a[d]: first index, b[d]: step (every dimension) */
    MAP_CONCAT,    /* along axis; children in order */
    MAP_PAD,       /* a[d]: begin pads; mode 0 constant (padv), 1 reflect, 2 edge */
    MAP_GATHER,    /* constant indices idx along axis */
    MAP_GATHER_EL, /* gather_elements with constant indices idx along axis */
    MAP_CONVWIN,   /* [g, N*O..., Cg*K...] windows of x [N, C, spatial...] (implicit matmul) */
    MAP_POOLWIN,   /* [N, C, O..., K...] windows of x [N, C, spatial...], pad padv */
    MAP_CONVOUT,   /* [N, M, O...] from an accumulator [g, N*O..., Mg] */
} MapKind;

typedef struct MapNode MapNode;
struct MapNode {
    MapKind kind;
    AccDtype dtype;
    int rank;
    int64_t dims[IR_MAX_RANK];
    int nchild;
    MapNode **child;
    IrRef value; /* MAP_VALUE */
    int32_t buf; /* MAP_BUF */
    int axis, mode;
    int64_t a[IR_MAX_RANK], b[IR_MAX_RANK];
    double padv;
    const IrConst *idx; /* MAP_GATHER, MAP_GATHER_EL */
    int idx_rank;
    int64_t idx_dims[IR_MAX_RANK];
    IrWindow win; /* windows: geometry; a[0] groups */
};

/* What the tiler knows about each IR value. */
typedef enum ValKind { VAL_NONE, VAL_INPUT, VAL_CONST, VAL_COMPUTED, VAL_VIEW } ValKind;

typedef struct ValState {
    ValKind kind;
    int32_t home;  /* the buffer it was computed into (or placed in), -1 if none */
    int32_t *bufs; /* every buffer holding it, in any layout */
    int32_t nbufs;
    size_t capbufs;
} ValState;

/* a / b rounded up (a >= 0, b > 0) */
static inline int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

typedef struct Tiler {
    Plan *p;
    const IrGraph *g;
    const IsaMachine *m;
    PassContext *pc;
    ValState *vals;          /* per IrRef */
    Arena *arena;            /* the plan's */
    int32_t next_base;       /* where the next small layout starts (spreads small ops) */
    int32_t next_const_tile; /* where the next streamed constant's home starts */
    /* A dry run: every layout and buffer, no data moved (move_into and
     * move_pieces only make their buffers' sources exist). pass_tile uses
     * it to find out cheaply that the plan for speed cannot fit. */
    bool dry;
    StrBuf tmp;
} Tiler;

/* move.c */
/* Whether v is defined by an op the tiler treats as a view. */
bool move_is_view(const IrGraph *g, IrRef v);
/* The map of value v: a leaf, or its view op over its operands' maps. */
MapNode *move_map_of_value(Tiler *t, IrRef v);
MapNode *move_map_leaf_buf(Tiler *t, int32_t buf);
MapNode *move_map_node(Tiler *t, MapKind kind, AccDtype dtype, int rank, const int64_t *dims,
                       int nchild, MapNode **child);
/* Make buffer dst (a layout buffer, kind VALUE, CONST or ACC) hold map's
 * elements: the copies, fills and transfers, as tasks of op. A CONST dst is
 * filled at compile time (every leaf must be a constant). In a dry run,
 * only the sources' buffers are made. */
void move_into(Tiler *t, int32_t dst, MapNode *map, IrOpId op);
/* Copy byte ranges into buffer dst (each piece's dbuf): a local copy where
 * a piece stays on its tile, else a transfer (one send reaching every tile
 * that gets the same source range: a multicast). Nothing in a dry run. */
void move_pieces(Tiler *t, int32_t dst, const PlanXfer *pieces, size_t n, IrOpId op);
/* Whether every leaf of map is a constant. */
bool move_map_is_const(Tiler *t, const MapNode *map);

/* tile.c */
/* The elements of one tile's block of a kernel's iteration space, as dims
 * (outer to inner) with each buffer's byte stride along them and its byte
 * offset at the block's first element. */
typedef struct TileIter {
    int n;
    int64_t ext[IR_MAX_RANK];
    int nbuf;
    int64_t stride[PLAN_MAX_BUFS][IR_MAX_RANK];
    int64_t base[PLAN_MAX_BUFS];
    int32_t buf[PLAN_MAX_BUFS];
} TileIter;
/* Merge dimensions every buffer steps through as one (the innermost stays). */
void tile_iter_collapse(TileIter *it);
/* A chunked kernel's argument words on one tile (passes.h, PlanEwSpec):
 * the iteration split over up to workers workers, each starting at a
 * multiple of grain elements. */
PlanWord *tile_chunk_args(Plan *p, const TileIter *it, int32_t args, int workers,
                          int64_t min_per_worker, int64_t grain, int32_t *nwords);
/* A default layout for a tensor of type ty (small ones spread over the
 * machine). */
void tile_default_layout(Tiler *t, const IrType *ty, PlanLayout *l);
/* A buffer holding value v in layout want (made, moved or reused). */
int32_t tile_value_in(Tiler *t, IrRef v, const PlanLayout *want);
/* A buffer holding v in some layout (its home, or a default one). */
int32_t tile_value_home(Tiler *t, IrRef v);
/* A buffer in layout l holding what map describes (value: the IR value it
 * holds, or IR_NONE), filled by a movement; laid out at compile time when
 * every leaf is a constant, unless constants are streamed and this is not
 * the constant's home (PassContext.save_memory). */
int32_t tile_fill_buf(Tiler *t, MapNode *map, const PlanLayout *l, IrRef value, IrOpId op,
                      const char *name, bool home);
/* Record that v is held by buffer b. */
void tile_note_buf(Tiler *t, IrRef v, int32_t b);
/* The printable name of an IR value ("%h1") for listings. */
const char *tile_value_name(Tiler *t, IrRef v);
/* The layout an operand of type x needs to be read elementwise over out's
 * blocks (broadcast dimensions replicated). */
void tile_operand_layout(const PlanLayout *out, const IrType *x, PlanLayout *l);
/* A new buffer of value v in layout l, named after v (plus suffix). */
int32_t tile_new_value_buf(Tiler *t, PlanBufKind kind, IrRef v, const PlanLayout *l,
                           const char *suffix);
/* The ARGS buffer of task, on its tiles (words set per tile by the caller). */
int32_t tile_args_buf(Tiler *t, int32_t task, const char *what);
/* The EW task applying op's body over out's layout, operand k from in[k]
 * feeding body input input_of[k]. */
void tile_ew_task(Tiler *t, IrOpId id, int32_t out, int nin, const int32_t *in,
                  const int *input_of);

/* tile_matmul.c: the matrix-unit families */
void tile_matmul(Tiler *t, IrOpId id);
void tile_conv(Tiler *t, IrOpId id);
/* Whether op's body (after the accumulator) is the identity. */
bool tile_identity_body(const IrGraph *g, IrOpId id);
/* The EW task out = body(acc, operands...) of a matmul or convolution
 * over out's layout (cycles: the estimate, 0 to let tile_estimate make one). */
void tile_epilogue(Tiler *t, IrOpId id, int32_t acc, int32_t out, int64_t cycles);

/* tile_reduce.c: reductions, argmax/argmin and pooling (REDUCE, ARGRED). */
void tile_reduce(Tiler *t, IrOpId id);
/* A depthwise 2-D convolution (one input channel per group, one output
 * per group) on the vector units: per output, the sum over its window of
 * input x weight, read in place (a REDUCE with product), then the
 * epilogue. False, doing nothing, when op is not one or its result would
 * have to be split within an image's plane. */
bool tile_depthwise(Tiler *t, IrOpId id);
/* A matmul of integer operands the matrix unit does not multiply (i32, or
 * i8 with u8) on the vector units: per result element, the sum over K of
 * A x B in the accumulator dtype (a REDUCE with product), then the
 * epilogue. False, doing nothing, for other dtypes and shapes. */
bool tile_matmul_vector(Tiler *t, IrOpId id);
/* Combine partial results [P..., out's dims] (lead leading dims, split over
 * tiles) into out: moved into out's grid with the partials innermost, then
 * reduced with kind, accumulating in acc. */
void tile_combine_partials(Tiler *t, IrOpId id, int32_t partial, int lead, PlanReduceKind kind,
                           AccDtype acc, int32_t out);
/* estimate.c: PlanTask.cycles for the tasks that have none yet (EW, COPY,
 * FILL, XCHG). */
void tile_estimate(Plan *p);
/* tile_gather.c: gather with indices known at run time (GATHER). */
void tile_gather(Tiler *t, IrOpId id);

#endif

/*
 * passes — the middle end: graph-to-graph passes over the SSA tensor IR,
 * run from one list (pipeline.c). Each pass is one file exporting
 * void pass_NAME(IrGraph *, PassContext *); docs/passes.md describes every
 * pass, the pipeline, and the lowered form the backend receives.
 *
 * Rules every pass follows:
 *   - deterministic: ops are visited in program order (or its reverse),
 *     tables are only looked up, never iterated, so no hash or pointer order
 *     reaches the output;
 *   - linear or n log n in the graph's size;
 *   - results change only as docs/passes.md allows (folding uses the
 *     evaluator's exact semantics; floating point is never reassociated);
 *   - after lower (PassContext.lowered), a pass keeps the graph in the
 *     lowered form (ir_verify_lowered).
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_PASSES_H
#define ACCC_PASSES_H

#include "ir.h"
#include "isa.h"

typedef struct PassContext PassContext;
typedef struct Plan Plan;
typedef void PassFn(IrGraph *g, PassContext *pc);

/* ---- passes.def: the passes ------------------------------------------------------ */

typedef enum PassId {
#define PASS(name, doc) PASS_##name,
#include "passes.def"
#undef PASS
    PASS_COUNT
} PassId;

typedef struct PassInfo {
    const char *name;
    PassFn *run;
    const char *doc;
} PassInfo;

#define PASS(name, doc) void pass_##name(IrGraph *g, PassContext *pc);
#include "passes.def"
#undef PASS

/* ---- pipeline.c: the pass manager and the pipeline ------------------------------- */

typedef struct PassTiming {
    const char *pass;
    double ms;               /* wall time */
    int32_t ops_in, ops_out; /* live ops before and after */
} PassTiming;

struct PassContext {
    int opt_level;           /* 0: only what lowering needs; 1: no fusion; 2 (default): all */
    bool lowered;            /* lower has run: passes keep the lowered form */
    bool print_after_all;    /* --print-after-all: the IR after every pass */
    const char *print_after; /* --print-after=PASS: the IR after each run of PASS */
    bool time_passes;        /* --time-passes: collect timings (pass_print_timings) */
    FILE *log;               /* where dumps and timings go (stderr) */
    /* Called before each pass with its name (the driver's progress line);
     * NULL: nothing is called. */
    void (*before_pass)(void *user, const char *pass);
    void *user;
    bool count_only; /* pass_pipeline_length: pass_run counts and runs nothing */
    int npasses;     /* passes run (or counted) so far */
    PassTiming *timings;
    int ntimings;
    size_t captimings;
    /* The backend's passes (tile, schedule, place) run when machine is set;
     * their result is plan. A user error (the model does not fit) goes to
     * diag and sets failed. */
    const IsaMachine *machine;
    Plan *plan;
    Diag *diag;
    bool failed;
    /* false: the plan for speed, constants laid out where their readers
     * need them and resident for the whole run. true: a plan that saves
     * SRAM at some cost in cycles: each constant stored once, spread over
     * the tiles and moved to its readers just before they run; fills of
     * margins as late as their readers allow. The pipeline tries the first
     * and, when a tile's SRAM overflows, the second (docs/backend.md,
     * "Constants, when they do not fit"). */
    bool save_memory;
    bool oom_quiet; /* place: on overflow set oom and report nothing */
    bool oom;
};

void pass_context_init(PassContext *pc);
void pass_context_free(PassContext *pc);
/* The pass called name, or NULL. */
const PassInfo *pass_find(const char *name);
const PassInfo *pass_info(PassId id);
/* The closest pass name to a misspelling, or NULL. */
const char *pass_suggest(const char *name);
/* Run one pass: time it, verify the graph after it in debug builds (also the
 * lowered form once lower has run), print it if asked. */
void pass_run(IrGraph *g, PassContext *pc, PassId id);
/* The standard pipeline at pc->opt_level (docs/passes.md, "The pipeline").
 * It calls pass_run and nothing else, so that pass_pipeline_length can
 * count it without a graph. */
void pass_pipeline(IrGraph *g, PassContext *pc);
/* How many passes the pipeline runs at an -O level (for progress). */
int pass_pipeline_length(int opt_level);
/* Check a comma-separated list of pass names ("canon,cse,dce"); on an
 * unknown name writes a message to err and returns false. */
bool pass_list_check(const char *list, char *err, size_t errlen);
/* Run the passes of a checked list, in order. */
void pass_run_list(IrGraph *g, PassContext *pc, const char *list);
/* How many passes a list names. */
int pass_list_length(const char *list);
/* The --time-passes table, on pc->log. */
void pass_print_timings(const PassContext *pc);

/* ---- plan.c, layout.c: the backend's plan (docs/backend.md) ------------------------- *
 *
 * tile fills a Plan with buffers (values in layouts, and the buffers the
 * backend needs besides) and tasks (what each tile computes or moves);
 * schedule gives each task its superstep; place gives each buffer its SRAM
 * address on each tile. Codegen (backend/) reads the finished plan. Ids are
 * indices into plan->bufs and plan->tasks. */

enum { PLAN_MAX_GRID = 8, PLAN_ALIGN = 16 };

/* How a tensor is spread over tiles and stored on each (docs/backend.md,
 * "Layouts"). */
typedef struct PlanLayout {
    AccDtype dtype;
    int rank;
    int64_t dims[IR_MAX_RANK];
    int32_t base; /* first tile of the grid */
    int ngrid;
    int32_t grid[PLAN_MAX_GRID]; /* parts per grid axis; tile = base + row-major point */
    int8_t axis[IR_MAX_RANK];    /* grid axis splitting dimension d, or -1 */
    int64_t block[IR_MAX_RANK];  /* block extent (dims[d] when not split) */
    int64_t lo[IR_MAX_RANK];     /* margin stored before each block */
    int64_t hi[IR_MAX_RANK];     /* margin stored after each block */
    int64_t mult[IR_MAX_RANK];   /* stored extent rounded up to a multiple of this */
    int8_t order[IR_MAX_RANK];   /* storage order of the dimensions, outermost first */
    double pad;                  /* the value stored outside the tensor */
    bool pad_undefined;          /* margins hold anything (internal buffers) */
} PlanLayout;

typedef enum PlanBufKind {
    PLAN_BUF_VALUE, /* an IR value in a layout, computed or moved */
    PLAN_BUF_INPUT, /* a graph input, resident (placed by the host) */
    PLAN_BUF_CONST, /* a constant in a layout: initialised data */
    PLAN_BUF_ACC,   /* a matmul accumulator (f32/i32) in a layout */
    PLAN_BUF_TEMP,  /* per-tile bytes: send and staging buffers, scratch */
    PLAN_BUF_ARGS,  /* per-tile initialised words: a task's argument blocks */
} PlanBufKind;

/* A relocatable word of initialised data: buf < 0: the literal value;
 * else the address of buffer buf on the same tile, plus value. */
typedef struct PlanWord {
    int32_t buf;
    uint32_t value;
} PlanWord;

typedef struct PlanBuf {
    PlanBufKind kind;
    IrRef value;      /* the IR value held, or IR_NONE */
    IrOpId op;        /* the op it belongs to (for messages) */
    const char *name; /* for listings: "%h1", "%h1 [moved]", "args ew %3" */
    bool has_layout;  /* VALUE, INPUT, CONST, ACC */
    PlanLayout layout;
    int32_t ntiles; /* the tiles holding it, ascending */
    int32_t *tiles;
    uint32_t *size;      /* bytes per tile (index into tiles) */
    uint32_t *addr;      /* SRAM address per tile (place) */
    PlanWord **words;    /* ARGS: the words per tile */
    void **data;         /* CONST: the bytes per tile (NULL: all zero) */
    int32_t first, last; /* lifetime in schedule times (place); -1: from the start */
    bool output;         /* read by the host after the run: lives to the end */
} PlanBuf;

typedef enum PlanTaskKind {
#define PLAN_TASK(id, doc) PLAN_##id,
#include "plantasks.def"
#undef PLAN_TASK
    PLAN_TASK_COUNT
} PlanTaskKind;

/* One transfer of an xchg task: len bytes from buffer sbuf + soff on tile
 * from, to buffer dbuf + doff on tile to. */
typedef struct PlanXfer {
    int32_t from, to;
    int32_t sbuf, dbuf;
    uint32_t soff, doff, len;
} PlanXfer;

typedef struct PlanTask {
    PlanTaskKind kind;
    IrOpId op;        /* the IR op it implements */
    const char *what; /* one line for listings and assembly comments */
    int32_t nin;
    int32_t *in; /* buffers read */
    int32_t nout;
    int32_t *out;   /* buffers written */
    int32_t ntiles; /* the tiles that run it, ascending */
    int32_t *tiles;
    int32_t args; /* its ARGS buffer, or -1 */
    /* What the code is specialised to (the same on every tile): a
     * kind-specific spec (PlanEwSpec, ...); the per-tile rest is in args. */
    const void *spec;
    PlanXfer *xfers; /* XCHG */
    int32_t nxfers;
    int64_t cycles; /* the planner's estimate for its slowest tile */
    bool late;      /* as late as its readers allow (docs/backend.md, "Constants, ...") */
    int32_t phase;  /* schedule: the superstep (XCHG: the barrier ending it) */
    int32_t time;   /* schedule: position in the execution order */
} PlanTask;

struct Plan {
    const IrGraph *g;
    IsaMachine machine;
    Arena arena;
    PlanBuf *bufs;
    int32_t nbufs;
    size_t capbufs;
    PlanTask *tasks;
    int32_t ntasks;
    size_t captasks;
    int32_t *order;            /* schedule: task ids in execution order */
    int32_t nphases;           /* schedule: compute phases (barriers = nphases - 1) */
    int32_t nprog_tiles;       /* tiles that run the program: 0 .. nprog_tiles - 1 */
    uint32_t steptab;          /* place: bytes of the step table at address 0 */
    uint32_t *peak;            /* place: per tile, the highest address used + 1 */
    int32_t *in_buf, *out_buf; /* per graph input/output: the buffer the host uses */
};

/* ---- tile.c: task specs and argument blocks ---------------------------------------- *
 *
 * A task's argument block on a tile (its ARGS buffer) starts with a
 * PLAN_ARGS_HEADER-byte header whose first word is the number of workers n;
 * n worker blocks of the kind's size follow (the supervisor starts worker k
 * with m1 at block k), then the lists they point to. Pointers are
 * PlanWords (addresses of buffers on the tile, resolved after place). */
enum {
    PLAN_ARGS_HEADER = 16,
    PLAN_SCRATCH = 256, /* bytes of scratch per worker, at address 0 of every tile */
    PLAN_MAX_BUFS = 32, /* buffers one kernel reads or writes */
};

/* COPY: worker block {ndesc, desc*}; a descriptor is 8 words {src, dst, ni,
 * ss, ds, no, sbump, dbump}: no rows of ni elements, strides ss and ds in
 * bytes, and after each row src += sbump, dst += dbump.
 * FILL: worker block {ndesc, desc*}; a descriptor is 7 words {dst, ni, ds,
 * no, dbump, lo, hi}: the value's bits (lo, hi) stored alike. */
typedef struct PlanCopySpec {
    int esize;  /* bytes per element: 1, 2, 4 or 8 */
    bool zeros; /* FILL: every value it stores is all zero bits */
} PlanCopySpec;
enum { PLAN_COPY_WORKER = 8, PLAN_COPY_DESC = 32, PLAN_FILL_DESC = 28 };

/* EW (and the epilogues of matmul and convolution): the body of IR op
 * `op` over buffers 0 (the result) and 1.. (the operands). Worker block
 * {nchunks, chunk*, bump[nbuf]}; a chunk is {n1, n0, ptr[nbuf]}: n1 rows of
 * n0 elements, buffer k's element at ptr[k] advancing by inner[k] bytes
 * along a row and by bump[k] more from the end of one row to the next. */
typedef struct PlanEwSpec {
    IrOpId op; /* the kernel (fused, fused_matmul, fused_conv) */
    int nbuf;
    int input[PLAN_MAX_BUFS];      /* buffer k >= 1: the body input it feeds */
    AccDtype dtype[PLAN_MAX_BUFS]; /* element type of each buffer */
    int64_t inner[PLAN_MAX_BUFS];  /* byte stride along a row */
    AccDtype out_dtype;            /* the stored result's dtype */
} PlanEwSpec;

/* REDUCE and ARGRED (tile_reduce.c): for each result element, a reduction
 * over r1 rows of r0 positions of the operands. Worker blocks and chunks
 * as for EW, over the result elements; operand k's pointer in a chunk is
 * its first reduced position for that element, which advance by rs0[k]
 * bytes along a row of positions and by rs1[k] from one row's start to the
 * next. REDUCE combines body(operands) (or operand 1 itself when the op
 * has no body; or operand 1 times operand 2 when product is set) with
 * kind; a divisor buffer (f32, per result element, the
 * last) divides the result (average pooling). ARGRED: the index (i64) of
 * the first (last) extreme of operand 1 along r0 positions. */
typedef enum PlanReduceKind {
    PLAN_RED_SUM,
    PLAN_RED_PROD,
    PLAN_RED_MAX,
    PLAN_RED_MIN,
    PLAN_RED_MAXNUM, /* max where NaN loses (max pooling) */
    PLAN_RED_ARGMAX,
    PLAN_RED_ARGMIN,
} PlanReduceKind;

typedef struct PlanReduceSpec {
    IrOpId op; /* the IR op (its body, if any) */
    PlanReduceKind kind;
    bool body;                     /* body(operands) of op, else operand 1 */
    bool divisor;                  /* the last buffer divides the result */
    bool select_last;              /* ARGRED: the last extreme, not the first */
    bool product;                  /* no body: operand 1 x operand 2 (depthwise convolution) */
    int nbuf;                      /* 0: result, 1..: operands [, divisor] */
    int input[PLAN_MAX_BUFS];      /* operand buffer k: the body input it feeds */
    AccDtype dtype[PLAN_MAX_BUFS]; /* element type of each buffer */
    int64_t inner[PLAN_MAX_BUFS];  /* byte stride from one result element to the next */
    int64_t r0, r1;                /* reduced positions: r1 rows of r0 */
    int64_t rs0[PLAN_MAX_BUFS], rs1[PLAN_MAX_BUFS];
    AccDtype acc_dtype; /* the body's dtype: what is accumulated */
    AccDtype out_dtype; /* the stored result's dtype */
    int lanes;          /* > 1: a plain f32 sum of lanes (2 or 4) result elements at a time
                           (f32v2add): every row a multiple of lanes elements, every buffer's
                           rows and positions aligned to lanes elements */
} PlanReduceSpec;

/* GATHER (tile_gather.c): result elements e in [first, first + count) of a
 * tile's block, out[o, j, i] = data[o, idx[j], i] with o < outer, j < nidx,
 * i < inner; data's axis has dim positions. Worker block {count, dst, src,
 * idx, o, j, i, 0}: dst the first result element, src data's first
 * element, idx the index tensor's, (o, j, i) the first element's position.
 * An index outside [-dim, dim) traps (code PLAN_TRAP_GATHER). */
typedef struct PlanGatherSpec {
    int esize;          /* bytes per data element */
    AccDtype idx_dtype; /* i32 or i64 */
    int64_t nidx, inner, dim;
} PlanGatherSpec;
enum { PLAN_GATHER_WORKER = 32, PLAN_TRAP_GATHER = 1 };
/* MATMUL: the matrix unit (docs/backend.md, "Matrix-unit kernels").
 * C[rows, 16j..16j+15] (+)= A[rows, chunk] x B[chunk, 16j..16j+15] for every
 * batch step, 16-column block j and K chunk; the supervisor loops over
 * them, loading W with nloaders workers and multiplying with nworkers.
 * Argument block (byte offsets): PLAN_AMP_S.. the state the supervisor
 * writes per chunk {A, B, C, O, first, left, C batch, O batch}; PLAN_AMP_BASE
 * {A0, B0, C0, O0}; PLAN_AMP_CHUNKS nchunks x {A offset, B offset}; then
 * nloaders loader blocks {0, args, B offset, W offset, rows, 0, 0, 0} and
 * nworkers multiplier blocks {1, args, nseg, seg*, 0, 0, 0, 0} (32 bytes
 * each); segments are {A offset, C offset, O offset, rows}: rows at a_row,
 * c_row, o_row bytes apart. The first chunk starts from zero, the others
 * add to C; the last stores into O (rounded to out_dtype; O may be C). */
typedef struct PlanAmpSpec {
    AccDtype in_dtype;  /* A and B: f32, f16, bf16 or i8 */
    AccDtype out_dtype; /* what the last chunk stores: f32/i32 (raw), f16, bf16 */
    int32_t kw;         /* rows of W per chunk (WLEN = kw x row bytes) */
    int32_t nchunks, nbatch, ncols;
    int32_t nloaders, nworkers;
    int64_t a_row, b_row, c_row, o_row;         /* bytes between rows */
    int64_t a_batch, b_batch, c_batch, o_batch; /* bytes between batch steps */
    /* a K step of several (tile_matmul): the first chunk adds to the
     * partial sums in C (acc_in), the last leaves partial sums in C for
     * the next step (acc_out) */
    bool acc_in, acc_out;
} PlanAmpSpec;
enum {
    PLAN_AMP_S = 16,
    PLAN_AMP_BASE = 48,
    PLAN_AMP_CHUNKS = 64,
    PLAN_AMP_BLOCK = 32,
};

/* plan.c */
Plan *plan_new(const IrGraph *g, const IsaMachine *m);
void plan_free(Plan *p);
/* A new buffer; its tiles, sizes and words are set by the caller. */
int32_t plan_add_buf(Plan *p, PlanBufKind kind, IrRef value, IrOpId op, const char *name);
/* b's per-tile arrays (tiles, size, addr) for n tiles, to be filled. */
void plan_buf_alloc_tiles(Plan *p, PlanBuf *b, int32_t n);
/* A buffer holding a tensor in layout l: on l's tiles, l's block bytes each. */
int32_t plan_add_layout_buf(Plan *p, PlanBufKind kind, IrRef value, IrOpId op, const char *name,
                            const PlanLayout *l);
int32_t plan_add_task(Plan *p, PlanTaskKind kind, IrOpId op, const char *what);
void plan_task_reads(Plan *p, int32_t task, int32_t buf);
void plan_task_writes(Plan *p, int32_t task, int32_t buf);
void plan_task_set_tiles(Plan *p, int32_t task, int32_t n, const int32_t *tiles);
/* The task runs on layout l's tiles (consecutive from its base). */
void plan_task_set_layout_tiles(Plan *p, int32_t task, const PlanLayout *l);
/* The index of tile in buf's (or task's) tile list, or -1. */
int32_t plan_buf_tile_index(const PlanBuf *b, int32_t tile);
int32_t plan_task_tile_index(const PlanTask *t, int32_t tile);
/* Add XCHG task t's bytes to each tile's sent and received totals (per
 * tile of the machine): a multicast, the same source range to several
 * tiles, is sent once (docs/machine.md, the exchange's cost). */
void plan_xchg_bytes(const PlanTask *t, int64_t *sent, int64_t *recv);
/* The busiest tile's cycles for those totals: its bytes sent or received
 * over the bandwidth (without the latency and the sync). */
int64_t plan_xchg_busiest(const IsaMachine *m, const int64_t *sent, const int64_t *recv);
const char *plan_task_name(PlanTaskKind k);
/* The plan as text, after the IR (--print-after=tile/schedule/place). */
void plan_print(StrBuf *sb, const Plan *p);
/* --report: the plan's memory and cycle estimates as JSON. */
void plan_report_json(StrBuf *sb, const Plan *p);

/* layout.c */
/* Tiles in l's grid. */
int32_t layout_ntiles(const PlanLayout *l);
/* Parts along dimension d (1 if not split). */
int64_t layout_parts(const PlanLayout *l, int d);
/* The stored extent of dimension d and the element strides of the storage. */
int64_t layout_stored(const PlanLayout *l, int d);
void layout_strides(const PlanLayout *l, int64_t *strides);
/* Bytes of one tile's storage. */
uint64_t layout_block_bytes(const PlanLayout *l);
/* The block coordinates of the (base-relative) tile index q. */
void layout_block_of(const PlanLayout *l, int32_t q, int64_t *blockc);
/* Extent of the tile's block along d (the last block may be shorter). */
int64_t layout_extent(const PlanLayout *l, const int64_t *blockc, int d);
/* Canonical form (grid axes of one part dropped); layouts that place every
 * element alike are then equal. */
void layout_canon(PlanLayout *l);
bool layout_equal(const PlanLayout *a, const PlanLayout *b);
/* l without its replication: the grid axes that split no dimension
 * dropped, so that each block is held by one tile (same blocks, margins
 * and storage). */
void layout_unique(const PlanLayout *l, PlanLayout *out);
/* The tile holding the block at block coordinates blockc (the first
 * replica). */
int32_t layout_tile_of_block(const PlanLayout *l, const int64_t *blockc);
/* A plain layout: rank dims of dtype split over up to ntiles tiles from
 * base, outer dimensions first, at least min_bytes per tile. */
void layout_default(PlanLayout *l, AccDtype dtype, int rank, const int64_t *dims, int32_t base,
                    int32_t ntiles, int64_t min_bytes);
/* A layout of one tile holding everything. */
void layout_single(PlanLayout *l, AccDtype dtype, int rank, const int64_t *dims, int32_t tile);
/* Whether l has no margins, no rounding and the natural order. */
bool layout_is_plain(const PlanLayout *l);
/* "f32[8, 64] on 4 tiles from 0: [2, 2] blocks [4, 32]" */
void layout_print(StrBuf *sb, const PlanLayout *l);

#endif

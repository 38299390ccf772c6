/*
 * sim — the inside of libaccsim (the public API is include/accsim.h).
 *
 * A SimModel is a loaded binary: the checked AsmImage, every program
 * decoded once into SimOps (two views per program, one for each kind of
 * context, so the inner loop never checks contexts or decodes), and the
 * graph's tensors. A run adds per-tile state:
 *
 *   SRAM        one zeroed buffer per tile that has a program, data or a
 *               layout run (other tiles cannot be reached)
 *   SimTile     per tile with a program: the 7 (workers + 1) contexts,
 *               the matrix unit, the posted exchange slots, counters
 *
 * Time is one global cycle count. Tiles only interact at barriers, so a
 * superstep runs each tile alone, from the superstep's first cycle to its
 * sync or end (exec.c, on several host threads), and the barrier then
 * moves the data and sets the next superstep's first cycle (bsp.c). That
 * makes results and cycle counts independent of the host threads.
 *
 * Memory: the model and its run state come from xmalloc and die with
 * sim_free; a run's state is rebuilt by the next run.
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_SIM_H
#define ACCC_SIM_H

#include "accsim.h"
#include "asm.h"

#if defined(__GNUC__)
#define SIM_INLINE static inline __attribute__((always_inline))
#else
#define SIM_INLINE static inline
#endif

#define SIM_NEVER UINT64_MAX /* the ready cycle of a context that cannot issue */

enum {
    SIM_MAX_WORKERS = 16,          /* isa_machine_check's limit */
    SIM_MAX_POSTED = 65536,        /* slots one tile may post in one superstep */
    SIM_TRACE_SUPERSTEPS = 100000, /* supersteps a trace records */
    SIM_TRACE_GROUPS = 64,         /* tile groups (tracks) of a trace */
    SIM_ROUND = 1 << 20,           /* cycles between checks for traps on other tiles */
    SIM_OP_ILLEGAL = ISA_OP_COUNT, /* pseudo-op: a word that is no instruction */
    SIM_OP_CONTEXT,                /* pseudo-op: not allowed in this context */
    SIM_OP_COUNT,
};

/* One instruction, decoded when the binary is loaded (16 bytes). Branch
 * offsets stay byte offsets from pc, as isa_decode gives them. */
typedef struct SimOp {
    uint16_t id; /* IsaOp or SIM_OP_* */
    uint8_t d, a, b;
    uint8_t unused;
    uint16_t gap; /* workers * turns: cycles until the context may issue again */
    int32_t imm, imm2;
} SimOp;

typedef struct SimProgram {
    uint32_t bytes;        /* code size: valid pcs are 0, 4, .. bytes - 4 */
    SimOp *view[2];        /* [0] as the supervisor runs it, [1] as a worker */
    const uint32_t *words; /* the image's code, for trap reports */
} SimProgram;

/* One context: a worker (0 .. workers-1) or the supervisor (index workers). */
typedef struct SimCtx {
    uint64_t ready;      /* first cycle it may issue; SIM_NEVER when idle or stalled */
    uint32_t pc;         /* byte address */
    uint32_t ls, le, lc; /* the hardware loop: start, end, count (0: none) */
    uint32_t m[16];
    uint32_t a[16];
    union {
        uint32_t acc[16]; /* matrix-unit accumulators: f32 or i32 bits */
        float accf[16];   /* the same, as f32 */
    };
    uint32_t ptr; /* matrix-unit slice pointer, a multiple of AMP_STEP below WLEN */
    const SimOp *code;
    uint64_t *counts; /* per op: the supervisor's or the workers' counters */
} SimCtx;

/* The matrix unit's 16-bit weights as floats, kept in step with W while
 * one 16-bit type is in use, so a multiply needs no conversions. */
typedef struct SimAmpCache {
    int type;        /* ISA_AMP_F16, ISA_AMP_BF16, or -1: not built */
    unsigned unsafe; /* bf16: entries whose products might round (fast path off) */
    float w[ISA_AMP_WBYTES / 2];
} SimAmpCache;

typedef enum SimTileState {
    SIM_TILE_RUNNING, /* in a superstep */
    SIM_TILE_BARRIER, /* issued sync; waits for the barrier */
    SIM_TILE_DONE,    /* issued end */
    SIM_TILE_TRAPPED, /* stopped by a trap (trap is set) */
    SIM_TILE_LIMIT,   /* reached the cycle limit (or the end of a round) */
} SimTileState;

typedef struct SimTile {
    uint32_t id, ntiles;
    unsigned workers; /* the machine's worker contexts */
    unsigned busy;    /* bit w: worker w runs */
    bool blocked;     /* the supervisor stalls until a worker exits */
    SimTileState state;
    uint64_t now;     /* where a stopped tile stopped: a cycle */
    uint64_t arrival; /* the cycle of its last sync or end */
    uint32_t sync_pc; /* the pc of that sync (for exchange trap reports) */
    uint32_t sstep;   /* barriers passed */
    uint32_t sram_bytes, high_water;
    uint8_t *sram;
    const SimProgram *prog;
    const AsmTile *table; /* its exchange table */
    const AsmSlot **posted;
    size_t nposted, capposted;
    uint32_t wlen;
    SimAmpCache *cache; /* built on the first 16-bit multiply */
    SimTrap trap;
    char trap_detail[256];
    uint64_t sup_counts[SIM_OP_COUNT], worker_counts[SIM_OP_COUNT];
    uint8_t w[ISA_AMP_WBYTES]; /* the matrix unit's weight state */
    SimCtx ctx[SIM_MAX_WORKERS + 1];
} SimTile;

/* One superstep of the timeline (a run with SimOptions.trace). */
typedef struct SimStepRecord {
    uint64_t start, arrival;          /* first cycle; the last tile's sync or end */
    uint64_t sync, exchange, streams; /* cycles of each barrier phase (0 at the end) */
    uint64_t bytes;                   /* bytes received over the exchange */
} SimStepRecord;

typedef struct SimGroupRecord {
    uint64_t arrival;      /* the group's last sync or end */
    uint64_t instructions; /* issued by its tiles in the superstep */
    uint32_t tiles;        /* its tiles that ran */
} SimGroupRecord;

typedef struct SimIoRef {
    bool output;
    int index; /* in inputs or outputs */
} SimIoRef;

struct SimModel {
    AsmImage *img;
    IsaMachine machine;
    SimProgram *progs;
    SimTensor *inputs, *outputs;
    int ninputs, noutputs;
    const AsmIo **input_io, **output_io; /* the image's description */
    SimIoRef *io_ref;                    /* per image io: which input or output */
    const void **in_buf;
    void **out_buf;
    /* the last run */
    uint8_t **sram;  /* per tile, NULL if unused */
    SimTile **tiles; /* per tile, NULL without a program */
    uint32_t *live;  /* tiles running the current superstep */
    size_t nlive;
    SimStatus status;
    bool trapped;
    SimTrap trap;
    StrBuf message;
    SimStats stats;
    uint32_t *high_water;
    uint64_t op_counts[SIM_OP_COUNT];
    bool tracing;
    uint32_t group_size; /* tiles per trace group */
    SimStepRecord *steps;
    size_t nsteps, capsteps;
    SimGroupRecord *groups; /* nsteps x SIM_TRACE_GROUPS */
    uint8_t *staging;       /* exchange payloads read at a barrier */
    size_t capstaging;
};

/* ---- exec.c: one tile through one superstep ----------------------------------------- */

/* Run tile T from T->now until its sync or end, a trap, or cycle `limit`;
 * T->state says which. */
void sim_tile_run(SimTile *T, uint64_t limit);
/* Record a trap of context c (NULL: the tile's supervisor) at pc and
 * cycle t; stops the tile. */
void sim_tile_trap(SimTile *T, int context, uint32_t pc, uint64_t t, IsaTrap cause);

/* ---- amp.c: the matrix unit --------------------------------------------------------- */

/* One multiply of context c: the 64-bit input x against the AMP_STEP bytes
 * of W at c->ptr (WLEN must be set), bit-identical to isa_amp. */
void sim_amp_multiply(SimTile *T, SimCtx *c, IsaAmpType type, uint64_t x);
/* W[offset .. offset+15] = bytes (offset a multiple of 16 below AMP_WBYTES). */
void sim_amp_load(SimTile *T, uint32_t offset, const uint8_t *bytes);

/* ---- bsp.c: runs, supersteps, barriers, the exchange, host I/O ---------------------- */

/* host_cycles(bytes) of docs/machine.md: the host link's time for bytes. */
uint64_t sim_host_cycles(const IsaMachine *m, uint64_t bytes);
/* Release the last run's state (SRAM, tiles, records). */
void sim_free_run(SimModel *m);

/* ---- report.c: trap reports, statistics, traces ------------------------------------- */

/* The report of m->trap (with detail for exchange traps) into m->message. */
void sim_report_trap(SimModel *m, const char *detail);
/* The report of a run stopped by the cycle limit into m->message. */
void sim_report_limit(SimModel *m, uint64_t limit);
/* Fill m->stats from the tiles' counters (after any run, also a failed one). */
void sim_collect_stats(SimModel *m);

#endif

/*
 * accsim.h — libaccsim, the ACC-1 reference interpreter, as a library.
 *
 * It runs an ACC-1 binary (docs/binary-format.md) exactly as
 * docs/machine.md defines the machine: every tile's supervisor and worker
 * contexts with barrel issue, BSP supersteps with a global sync and the
 * compile-time exchange, host I/O, bit-exact numerics, and the cycle model.
 *
 *   char err[512];
 *   SimModel *m = sim_load_file("model.bin", err, sizeof err);   // NULL + why
 *   for (int k = 0; k < sim_num_inputs(m); k++)                   // name, dtype, shape
 *       sim_bind_input(m, k, buffer_of(sim_input(m, k)));         // natural layout
 *   sim_bind_output(m, 0, out);                                   // unbound: not gathered
 *   SimOptions opt = {.threads = 0, .max_cycles = 0};             // defaults
 *   if (sim_run(m, &opt) != SIM_OK) fputs(sim_message(m), stderr);  // trap report
 *   const SimStats *s = sim_stats(m);                             // cycles, FLOPs, ...
 *   sim_free(m);
 *
 * Buffers are in the graph's natural layout: the tensor's elements in C
 * (row-major) order, each dtype_size(dtype) bytes, little-endian — bf16 as
 * its 16 bits. The library scatters inputs into tile SRAM and gathers
 * outputs from it with the binary's layout metadata; the caller keeps
 * ownership of the buffers, which must stay valid during sim_run.
 *
 * There is no global state: a SimModel holds everything, so several models
 * can be loaded, bound and run in one process (one sim_run per model at a
 * time). A model can be run again; each run starts from the binary's
 * initial state. Nothing in the file is trusted: loading checks it
 * completely, and at run time every memory access, branch target and
 * exchange is checked, a violation stopping the run with a trap report.
 */
#ifndef ACCSIM_H
#define ACCSIM_H

/* Installed as <accc/accsim.h> with the headers it includes (isa.h,
 * support.h and the tables they read); C and C++ programs can use it. */
#ifdef __cplusplus
extern "C" {
#endif

#include "isa.h"

struct AsmImage;
typedef struct SimModel SimModel;

/* ---- Loading ------------------------------------------------------------------------ */

/* Load and check a binary; NULL with the reason in err if it is not a valid
 * ACC-1 binary (the message names what is wrong). */
SimModel *sim_load_file(const char *path, char *err, size_t errlen);
SimModel *sim_load_memory(const void *data, size_t len, char *err, size_t errlen);
/* From an image built in memory (the compiler's backend): the image is
 * checked and copied, and may be freed afterwards. */
SimModel *sim_load_image(const struct AsmImage *img, char *err, size_t errlen);
void sim_free(SimModel *m);
/* The machine the binary was built for. */
const IsaMachine *sim_machine(const SimModel *m);

/* ---- Inputs and outputs, in graph order --------------------------------------------- */

typedef struct SimTensor {
    const char *name;
    AccDtype dtype;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    uint64_t count; /* elements (1 for a scalar) */
    uint64_t bytes; /* count * dtype_size(dtype): the size of a bound buffer */
} SimTensor;

int sim_num_inputs(const SimModel *m);
int sim_num_outputs(const SimModel *m);
const SimTensor *sim_input(const SimModel *m, int k); /* NULL if k is out of range */
const SimTensor *sim_output(const SimModel *m, int k);
int sim_find_input(const SimModel *m, const char *name); /* its index, or -1 */
int sim_find_output(const SimModel *m, const char *name);
/* Bind a buffer of sim_input(m, k)->bytes bytes (NULL unbinds). Every input
 * must be bound before sim_run. An output that is not bound is computed
 * but not gathered. Returns false if k is out of range. */
bool sim_bind_input(SimModel *m, int k, const void *data);
bool sim_bind_output(SimModel *m, int k, void *data);

/* ---- Running ------------------------------------------------------------------------ */

#define SIM_DEFAULT_MAX_CYCLES 10000000000ull /* 7.5 s of an acc1 at 1.33 GHz */

typedef struct SimOptions {
    int threads;         /* host threads simulating tiles; 0: one per online core */
    uint64_t max_cycles; /* stop a run that passes this cycle; 0: SIM_DEFAULT_MAX_CYCLES */
    bool trace;          /* record the per-superstep timeline for sim_trace_save */
} SimOptions;

typedef enum SimStatus {
    SIM_OK,          /* every tile ended; outputs are gathered */
    SIM_TRAP,        /* a trap stopped the machine; sim_trap() says where */
    SIM_CYCLE_LIMIT, /* the run passed max_cycles */
    SIM_UNBOUND,     /* an input was not bound; nothing ran */
} SimStatus;

/* Run the binary from its initial state. Results and statistics are the
 * same for any number of threads. */
SimStatus sim_run(SimModel *m, const SimOptions *opt);
/* What went wrong in the last run, as a report for a person (several
 * lines: cause, tile, context, pc, the instruction, the address); "" after
 * SIM_OK. */
const char *sim_message(const SimModel *m);

/* Where a trap happened (after SIM_TRAP). */
typedef struct SimTrap {
    IsaTrap cause;
    uint32_t tile;
    int context;      /* worker index, or -1 for the supervisor */
    uint32_t pc;      /* byte address in the tile's program */
    uint64_t cycle;   /* when it happened */
    bool has_address; /* a memory access: address and size are set */
    uint32_t address, size;
    uint32_t code; /* USER: the trap instruction's code */
} SimTrap;
const SimTrap *sim_trap(const SimModel *m); /* NULL unless the last run trapped */

/* ---- Statistics of the last run ----------------------------------------------------- */

/* The phases of the cycle count (docs/sim.md): the rows of SIM_PHASES. */
#define SIM_PHASES(X)                                                                              \
    X(HOST_IN, "host in")      /* resident inputs, before the first cycle */                       \
    X(COMPUTE, "compute")      /* supersteps: start to the last tile's sync or end */              \
    X(SYNC, "sync")            /* sync_cycles per barrier */                                       \
    X(EXCHANGE, "exchange")    /* tile-to-tile transfers at barriers */                            \
    X(STREAMS, "host streams") /* host streams at barriers */                                      \
    X(HOST_OUT, "host out")    /* resident outputs, after the last end */

typedef enum SimPhase {
#define SIM_PHASE_ENUM(ID, NAME) SIM_PHASE_##ID,
    SIM_PHASES(SIM_PHASE_ENUM)
#undef SIM_PHASE_ENUM
        SIM_PHASE_COUNT
} SimPhase;

const char *sim_phase_name(SimPhase p);

typedef struct SimStats {
    uint64_t cycles;                 /* the whole run, host transfers included */
    double seconds;                  /* cycles at the machine's clock */
    uint64_t phase[SIM_PHASE_COUNT]; /* they add up to cycles */
    uint64_t supersteps;             /* compute phases (barriers + 1 when the run ends) */
    uint64_t barriers;               /* syncs completed */
    uint64_t instructions;           /* issued, all contexts */
    uint64_t supervisor_instructions;
    uint64_t flops;               /* from the table's FLOPs column (2 per MAC) */
    uint64_t macs[3];             /* matrix-unit MACs: f16/bf16, f32, int8 */
    double peak_flops;            /* the f16 peak, FLOP/s: tiles * mac_f16 * 2 * clock */
    double peak_percent;          /* flops / (cycles * the per-cycle f16 peak) * 100 */
    double amp_percent;           /* matrix-unit MAC slots used / slots of all tiles over the run */
    uint64_t exchange_bytes;      /* received over the exchange (multicast: per receiver) */
    uint64_t exchange_sent_bytes; /* sent (multicast: once) */
    uint64_t host_in_bytes;       /* resident inputs and host-in streams */
    uint64_t host_out_bytes;      /* resident outputs and host-out streams */
    uint32_t tiles_run;           /* tiles with a program */
    const uint32_t *sram_high_water; /* per tile: highest SRAM byte used + 1 */
    const uint64_t *op_counts;       /* per IsaOp: instructions issued */
} SimStats;

/* The statistics of the last run (also after a trap or the cycle limit:
 * what ran until then); valid, with the arrays they point to, until the
 * next sim_run or sim_free. */
const SimStats *sim_stats(const SimModel *m);
/* A human-readable summary of sim_stats (what acc-run --stats prints). */
void sim_stats_format(const SimModel *m, StrBuf *out);
/* The last run's timeline as Chrome trace-event JSON (opens in Perfetto
 * and chrome://tracing): a track per group of tiles with its compute
 * slices, and a machine track with supersteps, sync, exchange and host
 * phases. Needs a run with SimOptions.trace. 0, or -1 with err set. */
int sim_trace_save(const SimModel *m, const char *path, char *err, size_t errlen);

/* Copy len bytes of a tile's SRAM after the last run (for tests and
 * debugging). False if the range is not inside the SRAM of a tile that
 * the run used. */
bool sim_read_sram(const SimModel *m, uint32_t tile, uint32_t addr, void *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif

/*
 * One tile through one superstep: the barrel of contexts and the
 * semantics of every instruction (docs/machine.md, "Executing
 * instructions" and "Barrel issue and the cycle model"; the semantics
 * column of isa-spec/acc1.isa).
 *
 * Each instruction is an exec_ID function below, one per row of the
 * table; the dispatch switch is generated from the same rows, so an
 * instruction without its function does not compile. A function returns
 * the next pc (a multiple of 4), or one of the odd NPC_ values when the
 * context stops, stalls or traps. The functions are static inline, so the
 * generated switch is one flat loop with nothing decoded or allocated per
 * instruction.
 *
 * m0 reads as zero: functions may write it, and the loop clears it after
 * every instruction. Functions read all their sources before they write.
 */
#include "sim.h"

#include <math.h>
#include <string.h>

/* The odd next-pc values: what happened instead of going on. */
enum {
    NPC_STOP = 1,  /* a trap stopped the tile */
    NPC_BLOCK = 3, /* the supervisor stalls (run, wait, sync, end) without using the slot */
    NPC_EXIT = 5,  /* the worker ended */
    NPC_SYNC = 7,  /* the supervisor arrived at the barrier */
    NPC_END = 9,   /* the tile ended */
};

/* ---- traps -------------------------------------------------------------------------- */

static int context_index(const SimTile *T, const SimCtx *c) {
    int i = (int)(c - T->ctx);
    return i == (int)T->workers ? -1 : i;
}

void sim_tile_trap(SimTile *T, int context, uint32_t pc, uint64_t t, IsaTrap cause) {
    T->state = SIM_TILE_TRAPPED;
    T->now = t;
    memset(&T->trap, 0, sizeof T->trap);
    T->trap.cause = cause;
    T->trap.tile = T->id;
    T->trap.context = context;
    T->trap.pc = pc;
    T->trap.cycle = t;
}

static uint32_t trap(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, IsaTrap cause) {
    sim_tile_trap(T, context_index(T, c), pc, t, cause);
    return NPC_STOP;
}

static uint32_t trap_detail(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, IsaTrap cause,
                            const char *fmt, ...) ACC_PRINTF(6, 7);
static uint32_t trap_detail(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, IsaTrap cause,
                            const char *fmt, ...) {
    trap(T, c, pc, t, cause);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(T->trap_detail, sizeof T->trap_detail, fmt, ap);
    va_end(ap);
    return NPC_STOP;
}

/* A jump target outside the program or not a multiple of 4 (address: the target). */
static uint32_t trap_target(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, uint32_t target) {
    trap(T, c, pc, t, ISA_TRAP_PC);
    T->trap.has_address = true;
    T->trap.address = target;
    return NPC_STOP;
}

/* ---- SRAM --------------------------------------------------------------------------- */

/* Whether [addr, addr + size) is an aligned access inside SRAM (size a power
 * of two up to 16); raises the high-water mark. */
static inline bool mem_ok(SimTile *T, uint32_t addr, uint32_t size) {
    if ((addr & (size - 1)) != 0 || addr > T->sram_bytes - size) return false;
    if (addr + size > T->high_water) T->high_water = addr + size;
    return true;
}

static uint32_t mem_trap(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, uint32_t addr,
                         uint32_t size) {
    trap(T, c, pc, t, addr & (size - 1) ? ISA_TRAP_ALIGN : ISA_TRAP_BOUNDS);
    T->trap.has_address = true;
    T->trap.address = addr;
    T->trap.size = size;
    return NPC_STOP;
}

#define CHECK(addr, size)                                                                          \
    if (!mem_ok(T, (addr), (size))) return mem_trap(T, c, pc, t, (addr), (size))

/* Little-endian loads and stores of checked addresses. */
static inline uint32_t ld8(const SimTile *T, uint32_t addr) {
    return T->sram[addr];
}

static inline uint32_t ld16(const SimTile *T, uint32_t addr) {
    const uint8_t *p = T->sram + addr;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t ld32(const SimTile *T, uint32_t addr) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    memcpy(&v, T->sram + addr, 4);
    return v;
#else
    const uint8_t *p = T->sram + addr;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

static inline uint64_t ld64(const SimTile *T, uint32_t addr) {
    return (uint64_t)ld32(T, addr) | (uint64_t)ld32(T, addr + 4) << 32;
}

static inline void st8(SimTile *T, uint32_t addr, uint32_t v) {
    T->sram[addr] = (uint8_t)v;
}

static inline void st16(SimTile *T, uint32_t addr, uint32_t v) {
    T->sram[addr] = (uint8_t)v;
    T->sram[addr + 1] = (uint8_t)(v >> 8);
}

static inline void st32(SimTile *T, uint32_t addr, uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(T->sram + addr, &v, 4);
#else
    for (int i = 0; i < 4; i++) T->sram[addr + i] = (uint8_t)(v >> 8 * i);
#endif
}

/* ---- registers ---------------------------------------------------------------------- */

static inline uint64_t pair(const SimCtx *c, unsigned r) {
    return (uint64_t)c->a[r] | (uint64_t)c->a[r + 1] << 32;
}

static inline void set_pair(SimCtx *c, unsigned r, uint64_t v) {
    c->a[r] = (uint32_t)v;
    c->a[r + 1] = (uint32_t)(v >> 32);
}

static inline float fa(const SimCtx *c, unsigned r) {
    return f32_from_bits(c->a[r]);
}

/* Lane i (0..3) of the 16-bit lanes of pair r. */
static inline uint16_t lane16(const SimCtx *c, unsigned r, unsigned i) {
    return (uint16_t)(c->a[r + i / 2] >> (16 * (i % 2)));
}

static inline void set_lanes16(SimCtx *c, unsigned r, const uint16_t v[4]) {
    c->a[r] = (uint32_t)v[0] | (uint32_t)v[1] << 16;
    c->a[r + 1] = (uint32_t)v[2] | (uint32_t)v[3] << 16;
}

#define EXEC(ID)                                                                                   \
    SIM_INLINE uint32_t exec_##ID(SimTile *T, SimCtx *c, const SimOp *op, uint32_t pc, uint64_t t)
#define MD   c->m[op->d]
#define MA   c->m[op->a]
#define MB   c->m[op->b]
#define NEXT (pc + 4)
#define IMM  ((uint32_t)op->imm)

/* A taken branch inside a hardware-loop body traps (docs/machine.md). */
#define TAKEN(target)                                                                              \
    return c->lc ? trap_detail(T, c, pc, t, ISA_TRAP_LOOP,                                         \
                               "a taken branch inside the hardware-loop body 0x%x..0x%x", c->ls,   \
                               c->le)                                                              \
                 : (target)

/* ---- control and system ------------------------------------------------------------- */

EXEC(TRAP) {
    trap(T, c, pc, t, ISA_TRAP_USER);
    T->trap.code = IMM;
    return NPC_STOP;
}

EXEC(NOP) {
    return NEXT;
}

EXEC(EXIT) {
    return NPC_EXIT;
}

EXEC(WAIT) {
    return T->busy ? NPC_BLOCK : NEXT;
}

EXEC(SYNC) {
    return T->busy ? NPC_BLOCK : NPC_SYNC;
}

EXEC(END) {
    if (T->busy) return NPC_BLOCK;
    if (T->nposted)
        return trap_detail(T, c, pc, t, ISA_TRAP_EXCHANGE,
                           "end with %zu exchange slot%s posted since the last sync", T->nposted,
                           T->nposted == 1 ? "" : "s");
    return NPC_END;
}

EXEC(AMPCLR) {
    memset(c->acc, 0, sizeof c->acc);
    c->ptr = 0;
    return NEXT;
}

EXEC(GET) {
    uint32_t v = 0;
    switch (op->imm2) {
    case ISA_CSR_TILE: v = T->id; break;
    case ISA_CSR_NTILES: v = T->ntiles; break;
    case ISA_CSR_WID: v = (uint32_t)(c - T->ctx); break; /* the supervisor is at index workers */
    case ISA_CSR_NWORKERS: v = T->workers; break;
    case ISA_CSR_SSTEP: v = T->sstep; break;
    case ISA_CSR_CYCLE: v = (uint32_t)t; break;
    default: break; /* undefined registers read as 0 */
    }
    MD = v;
    return NEXT;
}

static inline bool target_ok(const SimTile *T, uint32_t target) {
    return target % 4 == 0 && target < T->prog->bytes;
}

EXEC(JR) {
    uint32_t target = MA;
    if (!target_ok(T, target)) return trap_target(T, c, pc, t, target);
    TAKEN(target);
}

EXEC(CALLR) {
    uint32_t target = MA;
    if (!target_ok(T, target)) return trap_target(T, c, pc, t, target);
    MD = pc + 4;
    TAKEN(target);
}

EXEC(AMPCFG) {
    uint32_t len = MA;
    if (len == 0 || len % ISA_AMP_STEP != 0 || len > ISA_AMP_WBYTES)
        return trap_detail(T, c, pc, t, ISA_TRAP_AMP,
                           "ampcfg of %u bytes (a multiple of %d from %d to %d)", len, ISA_AMP_STEP,
                           ISA_AMP_STEP, ISA_AMP_WBYTES);
    T->wlen = len;
    for (unsigned w = 0; w < T->workers; w++) T->ctx[w].ptr = 0;
    return NEXT;
}

EXEC(RUN) {
    unsigned all = (1u << T->workers) - 1;
    if (T->busy == all) return NPC_BLOCK;
    uint32_t target = pc + IMM;
    if (!target_ok(T, target)) return trap_target(T, c, pc, t, target);
    unsigned w = 0;
    while (T->busy & (1u << w)) w++;
    uint32_t arg = MA;
    SimCtx *x = &T->ctx[w];
    memset(x->m, 0, sizeof x->m);
    memset(x->a, 0, sizeof x->a);
    x->lc = 0;
    x->m[1] = arg;
    x->pc = target;
    /* Ready at t + 1, and it issues in its own slots only: its first is the
     * first cycle after t that is w mod workers. (A worker's ready cycle
     * is always one of its slots, which next_issue relies on.) */
    x->ready = t + 1 + (w + T->workers - (t + 1) % T->workers) % T->workers;
    T->busy |= 1u << w;
    return NEXT;
}

EXEC(XPOST) {
    uint32_t k = MA + IMM;
    if (k >= T->table->nslots) return NEXT; /* an empty slot */
    const AsmSlot *slot = &T->table->slots[k];
    if (!slot->nsends && !slot->nrecvs && !slot->nhostin && !slot->nhostout) return NEXT;
    if (T->nposted == SIM_MAX_POSTED)
        return trap_detail(T, c, pc, t, ISA_TRAP_EXCHANGE,
                           "more than %d exchange slots posted in one superstep", SIM_MAX_POSTED);
    XGROW(T->posted, T->capposted, T->nposted + 1);
    T->posted[T->nposted++] = slot;
    return NEXT;
}

/* ---- branches, calls and the hardware loop ------------------------------------------ */

EXEC(BR) {
    TAKEN(pc + IMM);
}

EXEC(CALL) {
    MD = pc + 4;
    TAKEN(pc + IMM);
}

EXEC(BZ) {
    if (MA != 0) return NEXT;
    TAKEN(pc + IMM);
}

EXEC(BNZ) {
    if (MA == 0) return NEXT;
    TAKEN(pc + IMM);
}

static inline uint32_t start_loop(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, uint32_t count,
                                  uint32_t end) {
    if (c->lc)
        return trap_detail(T, c, pc, t, ISA_TRAP_LOOP,
                           "a loop inside the hardware-loop body 0x%x..0x%x (loops do not nest)",
                           c->ls, c->le);
    if (count == 0) return pc + end; /* skips the body; not "taken": LC is 0 */
    if (end > 4) {
        c->ls = pc + 4;
        c->le = pc + end;
        c->lc = count;
    }
    return pc + 4;
}

EXEC(LOOP) {
    return start_loop(T, c, pc, t, MA, IMM);
}

EXEC(LOOPI) {
    return start_loop(T, c, pc, t, (uint32_t)op->imm2, IMM);
}

/* ---- integer arithmetic ------------------------------------------------------------- */

#define INT_R(ID, EXPR)                                                                            \
    EXEC(ID) {                                                                                     \
        uint32_t x = MA, y = MB;                                                                   \
        MD = (EXPR);                                                                               \
        return NEXT;                                                                               \
    }
#define INT_I(ID, EXPR)                                                                            \
    EXEC(ID) {                                                                                     \
        uint32_t x = MA, y = IMM;                                                                  \
        MD = (EXPR);                                                                               \
        return NEXT;                                                                               \
    }
#define S32(v) ((int32_t)(v))

INT_R(ADD, x + y)
INT_R(SUB, x - y)
INT_R(MUL, x *y)
INT_R(AND, x &y)
INT_R(OR, x | y)
INT_R(XOR, x ^ y)
INT_R(SHL, x << (y & 31))
INT_R(SHR, x >> (y & 31))
INT_R(SAR, (uint32_t)(S32(x) >> (y & 31)))
INT_R(MIN, S32(x) < S32(y) ? x : y)
INT_R(MAX, S32(x) > S32(y) ? x : y)
INT_R(MINU, x < y ? x : y)
INT_R(MAXU, x > y ? x : y)
INT_R(CMPEQ, x == y)
INT_R(CMPNE, x != y)
INT_R(CMPLT, S32(x) < S32(y))
INT_R(CMPLTU, x < y)
INT_R(CMPLE, S32(x) <= S32(y))
INT_R(CMPLEU, x <= y)
INT_I(SHLI, x << y)
INT_I(SHRI, x >> y)
INT_I(SARI, (uint32_t)(S32(x) >> y))
INT_I(ADDI, x + y)
INT_I(MULI, x *y)
INT_I(ANDI, x &y)
INT_I(ORI, x | y)
INT_I(XORI, x ^ y)
INT_I(CMPEQI, x == y)
INT_I(CMPNEI, x != y)
INT_I(CMPLTI, S32(x) < S32(y))
INT_I(CMPLTUI, x < y)

EXEC(SEL) {
    uint32_t x = MA, y = MB;
    MD = MD != 0 ? x : y;
    return NEXT;
}

EXEC(LI) {
    MD = IMM;
    return NEXT;
}

EXEC(LIH) {
    MD = IMM << 16 | (MD & 0xffff);
    return NEXT;
}

/* ---- loads and stores --------------------------------------------------------------- */

#define SEXT8(v)  ((uint32_t)(int32_t)(int8_t)(uint8_t)(v))
#define SEXT16(v) ((uint32_t)(int32_t)(int16_t)(uint16_t)(v))

/* m-register loads: [ma+o13], [ma]+=s13, [ma]+=mb (the loaded value wins
 * over the post-increment when md is ma). */
#define LOAD_M(ID, SIZE, EXPR)                                                                     \
    EXEC(ID) {                                                                                     \
        uint32_t ea = MA + IMM;                                                                    \
        CHECK(ea, SIZE);                                                                           \
        MD = (EXPR);                                                                               \
        return NEXT;                                                                               \
    }                                                                                              \
    EXEC(ID##_PI) {                                                                                \
        uint32_t ea = MA;                                                                          \
        CHECK(ea, SIZE);                                                                           \
        uint32_t v = (EXPR);                                                                       \
        MA = ea + IMM;                                                                             \
        MD = v;                                                                                    \
        return NEXT;                                                                               \
    }                                                                                              \
    EXEC(ID##_PR) {                                                                                \
        uint32_t ea = MA, inc = MB;                                                                \
        CHECK(ea, SIZE);                                                                           \
        uint32_t v = (EXPR);                                                                       \
        MA = ea + inc;                                                                             \
        MD = v;                                                                                    \
        return NEXT;                                                                               \
    }

LOAD_M(LDB, 1, ld8(T, ea))
LOAD_M(LDBS, 1, SEXT8(ld8(T, ea)))
LOAD_M(LDH, 2, ld16(T, ea))
LOAD_M(LDHS, 2, SEXT16(ld16(T, ea)))
LOAD_M(LDW, 4, ld32(T, ea))

#define STORE_M(ID, SIZE, STORE)                                                                   \
    EXEC(ID) {                                                                                     \
        uint32_t ea = MA + IMM;                                                                    \
        CHECK(ea, SIZE);                                                                           \
        STORE(T, ea, MD);                                                                          \
        return NEXT;                                                                               \
    }                                                                                              \
    EXEC(ID##_PI) {                                                                                \
        uint32_t ea = MA;                                                                          \
        CHECK(ea, SIZE);                                                                           \
        STORE(T, ea, MD);                                                                          \
        MA = ea + IMM;                                                                             \
        return NEXT;                                                                               \
    }                                                                                              \
    EXEC(ID##_PR) {                                                                                \
        uint32_t ea = MA, inc = MB;                                                                \
        CHECK(ea, SIZE);                                                                           \
        STORE(T, ea, MD);                                                                          \
        MA = ea + inc;                                                                             \
        return NEXT;                                                                               \
    }

STORE_M(STB, 1, st8)
STORE_M(STH, 2, st16)
STORE_M(STW, 4, st32)

/* a-register loads and stores: LOAD(T, ea) and STORE(T, ea) move the
 * registers of op->d. */
#define MOVE_A(ID, SIZE, MOVE)                                                                     \
    EXEC(ID) {                                                                                     \
        uint32_t ea = MA + IMM;                                                                    \
        CHECK(ea, SIZE);                                                                           \
        MOVE(T, c, op->d, ea);                                                                     \
        return NEXT;                                                                               \
    }                                                                                              \
    EXEC(ID##_PI) {                                                                                \
        uint32_t ea = MA;                                                                          \
        CHECK(ea, SIZE);                                                                           \
        MOVE(T, c, op->d, ea);                                                                     \
        MA = ea + IMM;                                                                             \
        return NEXT;                                                                               \
    }                                                                                              \
    EXEC(ID##_PR) {                                                                                \
        uint32_t ea = MA, inc = MB;                                                                \
        CHECK(ea, SIZE);                                                                           \
        MOVE(T, c, op->d, ea);                                                                     \
        MA = ea + inc;                                                                             \
        return NEXT;                                                                               \
    }

static inline void load_a(SimTile *T, SimCtx *c, unsigned r, uint32_t ea, unsigned n) {
    for (unsigned i = 0; i < n; i++) c->a[r + i] = ld32(T, ea + 4 * i);
}

static inline void store_a(SimTile *T, SimCtx *c, unsigned r, uint32_t ea, unsigned n) {
    for (unsigned i = 0; i < n; i++) st32(T, ea + 4 * i, c->a[r + i]);
}

#define LOAD_A1(T, c, r, ea)  load_a(T, c, r, ea, 1)
#define LOAD_A2(T, c, r, ea)  load_a(T, c, r, ea, 2)
#define LOAD_A4(T, c, r, ea)  load_a(T, c, r, ea, 4)
#define STORE_A1(T, c, r, ea) store_a(T, c, r, ea, 1)
#define STORE_A2(T, c, r, ea) store_a(T, c, r, ea, 2)
#define STORE_A4(T, c, r, ea) store_a(T, c, r, ea, 4)

MOVE_A(LD32, 4, LOAD_A1)
MOVE_A(LD64, 8, LOAD_A2)
MOVE_A(LD128, 16, LOAD_A4)
MOVE_A(ST32, 4, STORE_A1)
MOVE_A(ST64, 8, STORE_A2)
MOVE_A(ST128, 16, STORE_A4)

/* ---- register moves and constants --------------------------------------------------- */

EXEC(ALIH) {
    c->a[op->d] = IMM << 16;
    return NEXT;
}

EXEC(ALIL) {
    c->a[op->d] = (c->a[op->d] & 0xffff0000u) | IMM;
    return NEXT;
}

EXEC(MTOA) {
    c->a[op->d] = MA;
    return NEXT;
}

EXEC(ATOM) {
    MD = c->a[op->a];
    return NEXT;
}

EXEC(MOV32) {
    c->a[op->d] = c->a[op->a];
    return NEXT;
}

EXEC(MOV64) {
    set_pair(c, op->d, pair(c, op->a));
    return NEXT;
}

EXEC(SPLAT32) {
    uint32_t v = c->a[op->a];
    c->a[op->d] = v;
    c->a[op->d + 1] = v;
    return NEXT;
}

EXEC(SPLAT16) {
    uint32_t h = c->a[op->a] & 0xffff;
    c->a[op->d] = h | h << 16;
    c->a[op->d + 1] = h | h << 16;
    return NEXT;
}

/* ---- scalar f32 --------------------------------------------------------------------- */

#define F32_R(ID, EXPR)                                                                            \
    EXEC(ID) {                                                                                     \
        float x = fa(c, op->a), y = fa(c, op->b);                                                  \
        c->a[op->d] = f32_bits(EXPR);                                                              \
        return NEXT;                                                                               \
    }
#define F32_CMP(ID, EXPR)                                                                          \
    EXEC(ID) {                                                                                     \
        float x = fa(c, op->a), y = fa(c, op->b);                                                  \
        c->a[op->d] = (EXPR) ? 0xffffffffu : 0;                                                    \
        return NEXT;                                                                               \
    }
#define BITS_R(ID, EXPR)                                                                           \
    EXEC(ID) {                                                                                     \
        uint32_t x = c->a[op->a], y = c->a[op->b], z = c->a[op->d];                                \
        (void)z;                                                                                   \
        c->a[op->d] = (EXPR);                                                                      \
        return NEXT;                                                                               \
    }
#define F32_U(ID, EXPR)                                                                            \
    EXEC(ID) {                                                                                     \
        float x = fa(c, op->a);                                                                    \
        c->a[op->d] = f32_bits(EXPR);                                                              \
        return NEXT;                                                                               \
    }
#define BITS_U(ID, EXPR)                                                                           \
    EXEC(ID) {                                                                                     \
        uint32_t x = c->a[op->a];                                                                  \
        c->a[op->d] = (EXPR);                                                                      \
        return NEXT;                                                                               \
    }

F32_R(F32ADD, isa_rn32(x + y))
F32_R(F32SUB, isa_rn32(x - y))
F32_R(F32MUL, isa_rn32(x *y))
F32_R(F32MIN, isa_fmin32(x, y))
F32_R(F32MAX, isa_fmax32(x, y))
F32_CMP(F32CMPEQ, x == y)
F32_CMP(F32CMPLT, x < y)
F32_CMP(F32CMPLE, x <= y)
F32_R(F32DIV, isa_rn32(x / y))
BITS_R(AND32, x &y)
BITS_R(OR32, x | y)
BITS_R(XOR32, x ^ y)
BITS_R(ANDN32, x & ~y)
BITS_R(SEL32, (z & x) | (~z & y))
BITS_U(F32ABS, x & 0x7fffffffu)
BITS_U(F32NEG, x ^ 0x80000000u)
F32_U(F32SQRT, isa_rn32(sqrtf(x)))
F32_U(F32RSQRT, isa_rsqrt32(x))
F32_U(F32EXP, isa_exp32(x))
F32_U(F32LOG, isa_log32(x))
F32_U(F32TANH, isa_tanh32(x))
F32_U(F32SIGM, isa_sigm32(x))
F32_U(F32FLOOR, isa_rn32(floorf(x)))
F32_U(F32CEIL, isa_rn32(ceilf(x)))
F32_U(F32RINT, isa_rint_even(x))

EXEC(F32FMA) {
    float x = fa(c, op->a), y = fa(c, op->b), z = fa(c, op->d);
    c->a[op->d] = f32_bits(isa_rn32(fmaf(x, y, z)));
    return NEXT;
}

/* ---- conversions -------------------------------------------------------------------- */

BITS_U(F32TOI32, (uint32_t)isa_sat_i32(isa_rint_even(f32_from_bits(x))))
BITS_U(F32TOI32Z, (uint32_t)isa_sat_i32(truncf(f32_from_bits(x))))
BITS_U(I32TOF32, f32_bits((float)(int32_t)x))
BITS_U(F32TOF16, isa_rn16(f32_from_bits(x)))
BITS_U(F16TOF32, f32_bits(f16_to_f32((uint16_t)x)))
BITS_U(F32TOBF16, isa_rnb16(f32_from_bits(x)))
BITS_U(BF16TOF32, f32_bits(bf16_to_f32((uint16_t)x)))

EXEC(F32V2TOF16) {
    uint32_t lo = isa_rn16(fa(c, op->a)), hi = isa_rn16(fa(c, op->a + 1));
    c->a[op->d] = lo | hi << 16;
    return NEXT;
}

EXEC(F32V2TOBF16) {
    uint32_t lo = isa_rnb16(fa(c, op->a)), hi = isa_rnb16(fa(c, op->a + 1));
    c->a[op->d] = lo | hi << 16;
    return NEXT;
}

EXEC(F16V2TOF32) {
    uint32_t x = c->a[op->a];
    c->a[op->d] = f32_bits(f16_to_f32((uint16_t)x));
    c->a[op->d + 1] = f32_bits(f16_to_f32((uint16_t)(x >> 16)));
    return NEXT;
}

EXEC(BF16V2TOF32) {
    uint32_t x = c->a[op->a];
    c->a[op->d] = f32_bits(bf16_to_f32((uint16_t)x));
    c->a[op->d + 1] = f32_bits(bf16_to_f32((uint16_t)(x >> 16)));
    return NEXT;
}

EXEC(F32V4TOI8) {
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v |= (uint32_t)(uint8_t)isa_sat_i8(isa_rint_even(fa(c, op->a + i))) << 8 * i;
    c->a[op->d] = v;
    return NEXT;
}

EXEC(F32V4TOU8) {
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v |= (uint32_t)isa_sat_u8(isa_rint_even(fa(c, op->a + i))) << 8 * i;
    c->a[op->d] = v;
    return NEXT;
}

EXEC(I8V4TOF32) {
    uint32_t x = c->a[op->a];
    for (unsigned i = 0; i < 4; i++)
        c->a[op->d + i] = f32_bits((float)(int8_t)(uint8_t)(x >> 8 * i));
    return NEXT;
}

EXEC(U8V4TOF32) {
    uint32_t x = c->a[op->a];
    for (unsigned i = 0; i < 4; i++) c->a[op->d + i] = f32_bits((float)(uint8_t)(x >> 8 * i));
    return NEXT;
}

/* ---- SIMD --------------------------------------------------------------------------- */

#define F32V2(ID, EXPR)                                                                            \
    EXEC(ID) {                                                                                     \
        uint32_t r[2];                                                                             \
        for (unsigned i = 0; i < 2; i++) {                                                         \
            float x = fa(c, op->a + i), y = fa(c, op->b + i), z = fa(c, op->d + i);                \
            (void)z;                                                                               \
            r[i] = (EXPR);                                                                         \
        }                                                                                          \
        c->a[op->d] = r[0];                                                                        \
        c->a[op->d + 1] = r[1];                                                                    \
        return NEXT;                                                                               \
    }
#define MASK32(cond) ((cond) ? 0xffffffffu : 0)

F32V2(F32V2ADD, f32_bits(isa_rn32(x + y)))
F32V2(F32V2SUB, f32_bits(isa_rn32(x - y)))
F32V2(F32V2MUL, f32_bits(isa_rn32(x *y)))
F32V2(F32V2FMA, f32_bits(isa_rn32(fmaf(x, y, z))))
F32V2(F32V2MIN, f32_bits(isa_fmin32(x, y)))
F32V2(F32V2MAX, f32_bits(isa_fmax32(x, y)))
F32V2(F32V2CMPEQ, MASK32(x == y))
F32V2(F32V2CMPLT, MASK32(x < y))
F32V2(F32V2CMPLE, MASK32(x <= y))

/* Four 16-bit lanes, widened exactly by WIDEN, computed in f32. */
#define V4(ID, WIDEN, EXPR)                                                                        \
    EXEC(ID) {                                                                                     \
        uint16_t r[4];                                                                             \
        for (unsigned i = 0; i < 4; i++) {                                                         \
            float x = WIDEN(lane16(c, op->a, i)), y = WIDEN(lane16(c, op->b, i));                  \
            float z = WIDEN(lane16(c, op->d, i));                                                  \
            (void)z;                                                                               \
            r[i] = (uint16_t)(EXPR);                                                               \
        }                                                                                          \
        set_lanes16(c, op->d, r);                                                                  \
        return NEXT;                                                                               \
    }
#define MASK16(cond) ((cond) ? 0xffffu : 0)

V4(F16V4ADD, f16_to_f32, isa_rn16(x + y))
V4(F16V4SUB, f16_to_f32, isa_rn16(x - y))
V4(F16V4MUL, f16_to_f32, isa_rn16(x *y))
V4(F16V4FMA, f16_to_f32, isa_rn16(isa_rn32(fmaf(x, y, z))))
V4(F16V4MIN, f16_to_f32, isa_rn16(isa_fmin32(x, y)))
V4(F16V4MAX, f16_to_f32, isa_rn16(isa_fmax32(x, y)))
V4(F16V4CMPEQ, f16_to_f32, MASK16(x == y))
V4(F16V4CMPLT, f16_to_f32, MASK16(x < y))
V4(F16V4CMPLE, f16_to_f32, MASK16(x <= y))
V4(BF16V4ADD, bf16_to_f32, isa_rnb16(x + y))
V4(BF16V4SUB, bf16_to_f32, isa_rnb16(x - y))
V4(BF16V4MUL, bf16_to_f32, isa_rnb16(x *y))
V4(BF16V4FMA, bf16_to_f32, isa_rnb16(isa_rn32(fmaf(x, y, z))))
V4(BF16V4MIN, bf16_to_f32, isa_rnb16(isa_fmin32(x, y)))
V4(BF16V4MAX, bf16_to_f32, isa_rnb16(isa_fmax32(x, y)))
V4(BF16V4CMPEQ, bf16_to_f32, MASK16(x == y))
V4(BF16V4CMPLT, bf16_to_f32, MASK16(x < y))
V4(BF16V4CMPLE, bf16_to_f32, MASK16(x <= y))

#define BITS64(ID, EXPR)                                                                           \
    EXEC(ID) {                                                                                     \
        uint64_t x = pair(c, op->a), y = pair(c, op->b), z = pair(c, op->d);                       \
        (void)y;                                                                                   \
        (void)z;                                                                                   \
        set_pair(c, op->d, (EXPR));                                                                \
        return NEXT;                                                                               \
    }

BITS64(AND64, x &y)
BITS64(OR64, x | y)
BITS64(XOR64, x ^ y)
BITS64(ANDN64, x & ~y)
BITS64(SEL64, (z & x) | (~z & y))
BITS64(F32V2ABS, x & 0x7fffffff7fffffffull)
BITS64(F32V2NEG, x ^ 0x8000000080000000ull)
BITS64(F16V4ABS, x & 0x7fff7fff7fff7fffull)
BITS64(F16V4NEG, x ^ 0x8000800080008000ull)

/* ---- the matrix unit ---------------------------------------------------------------- */

static inline uint32_t amp(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, IsaAmpType type,
                           uint64_t x) {
    if (!T->wlen)
        return trap_detail(T, c, pc, t, ISA_TRAP_AMP,
                           "a multiply before ampcfg set the weight length (WLEN is 0)");
    sim_amp_multiply(T, c, type, x);
    return pc + 4;
}

/* The three input forms: [ma]+=s17, [ma]+=mb, a pair. */
#define AMP(ID, TYPE)                                                                              \
    EXEC(ID) {                                                                                     \
        uint32_t ea = MA;                                                                          \
        CHECK(ea, 8);                                                                              \
        uint64_t x = ld64(T, ea);                                                                  \
        MA = ea + IMM;                                                                             \
        return amp(T, c, pc, t, TYPE, x);                                                          \
    }                                                                                              \
    EXEC(ID##_PR) {                                                                                \
        uint32_t ea = MA, inc = MB;                                                                \
        CHECK(ea, 8);                                                                              \
        uint64_t x = ld64(T, ea);                                                                  \
        MA = ea + inc;                                                                             \
        return amp(T, c, pc, t, TYPE, x);                                                          \
    }                                                                                              \
    EXEC(ID##_R) {                                                                                 \
        return amp(T, c, pc, t, TYPE, pair(c, op->a));                                             \
    }

AMP(F16AMP, ISA_AMP_F16)
AMP(BF16AMP, ISA_AMP_BF16)
AMP(F32AMP, ISA_AMP_F32)
AMP(I8AMP, ISA_AMP_I8)

EXEC(AMPST) {
    uint32_t ea = MA, q = 4 * (uint32_t)op->imm2;
    CHECK(ea, 16);
    for (unsigned i = 0; i < 4; i++) st32(T, ea + 4 * i, c->acc[q + i]);
    MA = ea + IMM;
    for (unsigned i = 0; i < 4; i++) c->acc[q + i] = 0;
    return NEXT;
}

/* ampsth / ampstb: eight accumulators rounded to 16 bits. */
#define AMPST16(ID, ROUND)                                                                         \
    EXEC(ID) {                                                                                     \
        uint32_t ea = MA, h = 8 * (uint32_t)op->imm2;                                              \
        CHECK(ea, 16);                                                                             \
        for (unsigned i = 0; i < 8; i++) st16(T, ea + 2 * i, ROUND(f32_from_bits(c->acc[h + i]))); \
        MA = ea + IMM;                                                                             \
        for (unsigned i = 0; i < 8; i++) c->acc[h + i] = 0;                                        \
        return NEXT;                                                                               \
    }

AMPST16(AMPSTH, isa_rn16)
AMPST16(AMPSTB, isa_rnb16)

EXEC(AMPLD) {
    uint32_t ea = MA, q = 4 * (uint32_t)op->imm2;
    CHECK(ea, 16);
    for (unsigned i = 0; i < 4; i++) c->acc[q + i] = ld32(T, ea + 4 * i);
    MA = ea + IMM;
    return NEXT;
}

EXEC(AMPGET) {
    uint32_t q = 4 * (uint32_t)op->imm2;
    for (unsigned i = 0; i < 4; i++) {
        c->a[op->d + i] = c->acc[q + i];
        c->acc[q + i] = 0;
    }
    return NEXT;
}

EXEC(AMPPUT) {
    uint32_t q = 4 * (uint32_t)op->imm2;
    for (unsigned i = 0; i < 4; i++) c->acc[q + i] = c->a[op->a + i];
    return NEXT;
}

static inline bool w_offset_ok(uint32_t off) {
    return off % 16 == 0 && off <= ISA_AMP_WBYTES - 16;
}

static uint32_t w_offset_trap(SimTile *T, SimCtx *c, uint32_t pc, uint64_t t, uint32_t off) {
    return trap_detail(T, c, pc, t, ISA_TRAP_AMP,
                       "weight offset 0x%x (a multiple of 16 below 0x%x)", off, ISA_AMP_WBYTES);
}

EXEC(AMPW) {
    uint32_t ea = MA, off = MB;
    if (!w_offset_ok(off)) return w_offset_trap(T, c, pc, t, off);
    CHECK(ea, 16);
    sim_amp_load(T, off, T->sram + ea);
    MA = ea + IMM;
    MB = off + 16;
    return NEXT;
}

EXEC(AMPW_PR) {
    uint32_t ea = MA, inc = MB, off = MD;
    if (!w_offset_ok(off)) return w_offset_trap(T, c, pc, t, off);
    CHECK(ea, 16);
    sim_amp_load(T, off, T->sram + ea);
    MA = ea + inc;
    MD = off + 16;
    return NEXT;
}

/* ---- the barrel --------------------------------------------------------------------- */

/* The first cycle >= t in which some context of T may issue (slot is t's
 * slot on entry, that cycle's on return): worker w in its own slots, the
 * supervisor in any. A worker's ready cycle is always one of its slots. */
static uint64_t next_issue(const SimTile *T, uint64_t t, unsigned *slot) {
    unsigned n = T->workers, s = *slot;
    uint64_t best = SIM_NEVER;
    for (unsigned w = 0; w < n; w++) {
        uint64_t r = T->ctx[w].ready;
        if (r == SIM_NEVER) continue;
        if (r < t) r = t + (w >= s ? w - s : w + n - s);
        if (r < best) best = r, *slot = w;
    }
    uint64_t r = T->ctx[n].ready;
    if (r < t) r = t;
    if (r < best) {
        best = r;
        *slot = r == t ? s : (unsigned)(r % n);
    }
    if (best == SIM_NEVER) ice("tile %u has no context that can issue", T->id);
    return best;
}

#define STOP(state_, t_)                                                                           \
    do {                                                                                           \
        T->state = (state_);                                                                       \
        T->now = (t_);                                                                             \
        return;                                                                                    \
    } while (0)

void sim_tile_run(SimTile *T, uint64_t limit) {
    const unsigned workers = T->workers;
    const uint32_t bytes = T->prog->bytes;
    SimCtx *const sup = &T->ctx[workers];
    uint64_t t = T->now;
    unsigned slot = (unsigned)(t % workers);
    for (;;) {
        if (t >= limit) STOP(SIM_TILE_LIMIT, t);
        SimCtx *c = &T->ctx[slot]; /* the slot's worker first, then the supervisor */
        if (c->ready > t) {
            c = sup;
            if (sup->ready > t) {
                if (++slot == workers) slot = 0;
                t = next_issue(T, t + 1, &slot);
                continue;
            }
        }
        const uint32_t pc = c->pc;
        if (pc >= bytes) {
            trap_target(T, c, pc, t, pc);
            return;
        }
        const SimOp *op = &c->code[pc >> 2];
        uint32_t npc;
        switch (op->id) {
#define ISA_INSN(ID, ...)                                                                          \
    case ISA_##ID:                                                                                 \
        npc = exec_##ID(T, c, op, pc, t);                                                          \
        break;
#include "isa_table.h"
        case SIM_OP_ILLEGAL: npc = trap(T, c, pc, t, ISA_TRAP_ILLEGAL); break;
        case SIM_OP_CONTEXT: npc = trap(T, c, pc, t, ISA_TRAP_CONTEXT); break;
        default: ice("bad decoded instruction %u", op->id);
        }
        if (npc & 1) {
            switch (npc) {
            case NPC_BLOCK: /* try again once a worker has exited */
                c->ready = SIM_NEVER;
                T->blocked = true;
                goto next_cycle;
            case NPC_EXIT:
                c->counts[op->id]++;
                c->ready = SIM_NEVER;
                T->busy &= ~(1u << slot);
                if (T->blocked) {
                    T->blocked = false;
                    sup->ready = t + 1;
                }
                goto next_cycle;
            case NPC_SYNC:
                c->counts[op->id]++;
                npc = pc + 4;
                if (c->lc != 0 && npc == c->le && --c->lc != 0) npc = c->ls;
                c->pc = npc;
                c->ready = SIM_NEVER;
                T->arrival = t;
                T->sync_pc = pc;
                STOP(SIM_TILE_BARRIER, t);
            case NPC_END:
                c->counts[op->id]++;
                c->ready = SIM_NEVER;
                T->arrival = t;
                STOP(SIM_TILE_DONE, t);
            default: return; /* a trap: T->trap says what */
            }
        }
        c->m[0] = 0;
        if (c->lc != 0 && npc == c->le && --c->lc != 0) npc = c->ls;
        c->pc = npc;
        c->ready = t + op->gap;
        c->counts[op->id]++;
    next_cycle:
        t++;
        if (++slot == workers) slot = 0;
    }
}

/*
 * isa — the ACC-1 instruction set and machine presets.
 *
 * Everything here comes from two tables: isa-spec/acc1.isa (instructions,
 * fields, cycle classes, control registers, traps), turned into the
 * generated X-macro header isa_table.h by isagen at build time, and
 * isa-spec/presets.def (the machine presets). No instruction is listed
 * anywhere else: the enums below, the encoder, the decoder, the printer, the
 * assembler and the interpreter's dispatch are all expansions of the rows.
 *
 * An instruction is one little-endian 32-bit word:
 *
 *   31      25 24                                                 0
 *  +----------+----------------------------------------------------+
 *  |  opcode  |  registers, immediates and function codes (format)  |
 *  +----------+----------------------------------------------------+
 *
 * Register fields sit at fixed places: d at 24..21, a at 20..17, b at
 * 16..13 (pairs use the top 3 bits of the slot, quads the top 2). Decoded,
 * an instruction is an IsaInsn: the opcode and five slots (d, a, b, imm,
 * imm2). docs/isa.md lists every instruction; docs/machine.md defines what
 * they do.
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_ISA_H
#define ACCC_ISA_H

#include "support.h"

/* ---- the enums of the table (isa_table.h) --------------------------------- */
/* A consumer that needs one case per instruction expands the rows itself,
 * so a new row cannot be forgotten. An interpreter's dispatch, e.g.:
 *
 *   #define ISA_INSN(ID, ...) static void exec_##ID(Ctx *, const IsaInsn *);
 *   #include "isa_table.h"
 *   static void (*const exec[ISA_OP_COUNT])(Ctx *, const IsaInsn *) = {
 *   #define ISA_INSN(ID, ...) [ISA_##ID] = exec_##ID,
 *   #include "isa_table.h"
 *   };
 *
 * leaves a link error for any instruction without its exec_ function. */

typedef enum IsaOp {
#define ISA_INSN(ID, ...) ISA_##ID,
#include "isa_table.h"
    ISA_OP_COUNT
} IsaOp;

typedef enum IsaFieldId {
#define ISA_FIELD(NAME, ...) ISA_F_##NAME,
#include "isa_table.h"
    ISA_F_NONE /* no operand */
} IsaFieldId;

typedef enum IsaClass {
#define ISA_CLASS(NAME, ...) ISA_C_##NAME,
#include "isa_table.h"
    ISA_C_COUNT
} IsaClass;

enum {
#define ISA_PARAM(NAME, VALUE) ISA_##NAME = VALUE,
#include "isa_table.h"
};

typedef enum IsaCsr {
#define ISA_CSR(NAME, NUMBER, DOC) ISA_CSR_##NAME = NUMBER,
#include "isa_table.h"
} IsaCsr;

typedef enum IsaTrap {
    ISA_TRAP_NONE = 0,
#define ISA_TRAP(NAME, NUMBER, DOC) ISA_TRAP_##NAME = NUMBER,
#include "isa_table.h"
} IsaTrap;

/* What an operand field holds (the KIND column of the table). */
typedef enum IsaKind {
    ISA_K_OP,    /* opcode bits, fixed per instruction */
    ISA_K_MREG,  /* m0..m15 */
    ISA_K_AREG,  /* a0..a15 */
    ISA_K_APAIR, /* a0:1 .. a14:15, decoded as the even register */
    ISA_K_AQUAD, /* a0:3 .. a12:15, decoded as the first register */
    ISA_K_SIMM,  /* signed integer */
    ISA_K_SOFF,  /* signed byte offset, written [mX+N] / [mX-N] / [mX] */
    ISA_K_UIMM,  /* unsigned integer */
    ISA_K_PCREL, /* branch target: decoded as the byte offset from pc */
    ISA_K_PCEND, /* loop end: decoded as the byte offset from pc (>= 4) */
    ISA_K_CSR    /* control/status register number */
} IsaKind;

/* Where a decoded operand goes in IsaInsn. */
typedef enum IsaSlot { ISA_S_NONE, ISA_S_D, ISA_S_A, ISA_S_B, ISA_S_IMM, ISA_S_IMM2 } IsaSlot;

/* Contexts that may execute an instruction (bit set). */
enum { ISA_CTX_S = 1, ISA_CTX_W = 2, ISA_CTX_SW = 3 };

/* The element type a MAC cycle class counts. */
typedef enum IsaMacType { ISA_MAC_NONE, ISA_MAC_F16, ISA_MAC_F32, ISA_MAC_I8 } IsaMacType;

enum { ISA_MAX_OPERANDS = 4, ISA_INSN_BYTES = 4 };

/* ---- isa.c: encoding, decoding, printing ------------------------------------ */

/* A decoded instruction. Registers are numbers (a pair or quad is its first
 * register: a4:5 is 4). pc-relative operands are byte offsets from the
 * instruction's own address (a loop end is pc + imm). */
typedef struct IsaInsn {
    IsaOp op;
    uint8_t d, a, b;
    int32_t imm, imm2;
} IsaInsn;

typedef struct IsaFieldInfo {
    const char *name; /* "md" */
    uint8_t lo, width;
    IsaKind kind;
    IsaSlot slot;
} IsaFieldInfo;

typedef struct IsaInfo {
    const char *name;     /* table id: "ldw.pi" */
    const char *mnemonic; /* "ldw" */
    uint32_t mask, match; /* word & mask == match */
    uint8_t ctx;          /* ISA_CTX_S | ISA_CTX_W */
    IsaClass cls;
    uint16_t flops;
    const char *syntax; /* "{md}, [{ma}]+={s13}" */
    uint8_t noperands;
    IsaFieldId operands[ISA_MAX_OPERANDS]; /* in syntax order */
} IsaInfo;

typedef struct IsaClassInfo {
    const char *name; /* "amp16" */
    unsigned turns;   /* fixed cost, or 0 for a MAC class */
    IsaMacType mactype;
    unsigned macs;
} IsaClassInfo;

const IsaInfo *isa_info(IsaOp op);
const IsaFieldInfo *isa_field(IsaFieldId f);
const IsaClassInfo *isa_class(IsaClass c);
/* Decode one word; false if it is not an instruction (trap ILLEGAL). */
bool isa_decode(uint32_t word, IsaInsn *out);
/* The decoded value of field f in the slots of insn. */
int64_t isa_get_operand(const IsaInsn *insn, IsaFieldId f);
void isa_set_operand(IsaInsn *insn, IsaFieldId f, int64_t value);
/* Whether value is a decoded value field f can hold (register numbers of
 * the right parity, immediates in range, pc offsets multiples of 4). */
bool isa_operand_fits(IsaFieldId f, int64_t value);
/* The smallest and largest value field f holds, and the step between them. */
void isa_operand_range(IsaFieldId f, int64_t *min, int64_t *max, int64_t *step);
/* Encode; every operand must fit (ice() otherwise: check first). */
uint32_t isa_encode(const IsaInsn *insn);
/* Print "mnemonic operands" in assembler syntax. Branch targets are printed
 * by label(ctx, target) when it returns a name, else as the program
 * address (0x1c). */
typedef const char *(*IsaLabelFn)(void *ctx, uint32_t target);
void isa_print(StrBuf *out, const IsaInsn *insn, uint32_t pc, IsaLabelFn label, void *ctx);
/* Print one operand in assembler syntax. */
void isa_print_operand(StrBuf *out, const IsaInsn *insn, IsaFieldId f, uint32_t pc,
                       IsaLabelFn label, void *ctx);
/* Control/status registers and traps by number; NULL if undefined. */
const char *isa_csr_name(unsigned number);
int isa_csr_lookup(const char *name, size_t len); /* -1 if none */
const char *isa_trap_name(unsigned number);
const char *isa_trap_text(unsigned number);

/* ---- machine.c: the presets (presets.def) ------------------------------------ */

typedef struct IsaMachine {
    char preset[16]; /* the preset it started from: "acc1" */
#define MACHINE_FIELD(name, unit, description) uint32_t name;
#include "presets.def"
} IsaMachine;

typedef enum IsaPreset {
#define PRESET(id, ...) ISA_PRESET_##id,
#include "presets.def"
    ISA_PRESET_COUNT
} IsaPreset;

enum {
#define MACHINE_FIELD(name, unit, description) ISA_MF_##name,
#include "presets.def"
    ISA_MACHINE_FIELDS
};

const IsaMachine *isa_preset(IsaPreset p);
int isa_preset_lookup(const char *name); /* IsaPreset, or -1 */
const char *isa_machine_field_name(int field);
const char *isa_machine_field_doc(int field);
int isa_machine_field_lookup(const char *name, size_t len); /* -1 if none */
uint32_t isa_machine_get(const IsaMachine *m, int field);
void isa_machine_set(IsaMachine *m, int field, uint32_t value);
/* NULL if m is a machine the model can run, else why not. */
const char *isa_machine_check(const IsaMachine *m);
/* Issue turns an instruction of class c costs on machine m (at least 1). */
unsigned isa_class_turns(IsaClass c, const IsaMachine *m);

/* ---- fmath.c: the numeric helpers the semantics use (normative) ------------- */
/* These are the definitions of the ISA's rounding and transcendental
 * functions: an implementation of ACC-1 (the interpreter) calls them, so
 * results are bit-exact on any host with IEEE binary32 arithmetic in
 * round-to-nearest-even (the library is built with -ffp-contract=off). */

#define ISA_NAN32  0x7fc00000u /* canonical NaNs */
#define ISA_NAN16  0x7e00u
#define ISA_NANB16 0x7fc0u

float isa_rn32(float x);            /* x, or the canonical NaN */
uint16_t isa_rn16(float x);         /* f32 -> f16 bits, nearest even, canonical NaN */
uint16_t isa_rnb16(float x);        /* f32 -> bf16 bits, nearest even, canonical NaN */
float isa_rint_even(float x);       /* nearest integral value, ties to even */
float isa_fmin32(float a, float b); /* NaN if either is NaN; -0 < +0 */
float isa_fmax32(float a, float b);
int32_t isa_sat_i32(float x); /* x integral (or not): truncated, saturated, NaN -> 0 */
int8_t isa_sat_i8(float x);
uint8_t isa_sat_u8(float x);
float isa_exp32(float x);
float isa_log32(float x);
float isa_tanh32(float x);
float isa_sigm32(float x);
float isa_rsqrt32(float x);
/* The matrix unit's input types, numbered as the ty4 field encodes them. */
typedef enum IsaAmpType { ISA_AMP_F16, ISA_AMP_BF16, ISA_AMP_F32, ISA_AMP_I8 } IsaAmpType;
/* One matrix-unit multiply: acc[0..15] (f32 bits, or i32 for int8) += x (the
 * 64-bit input vector, lane 0 in the low bits) times the AMP_STEP weight
 * bytes w at the slice pointer. */
void isa_amp(IsaAmpType type, uint32_t acc[16], uint64_t x, const uint8_t w[ISA_AMP_STEP]);

#endif

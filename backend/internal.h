/*
 * What the backend's files share (the public interface is backend.h):
 * code buffers (code.c), virtual-register code and its allocator
 * (vcode.c), the body compiler (body.c, mathlib.c) and the kernel
 * generators (kernels.c).
 */
#ifndef ACCC_BACKEND_INTERNAL_H
#define ACCC_BACKEND_INTERNAL_H

#include "backend.h"

/* ---- code.c: instructions with labels ---------------------------------------------- */

typedef struct Insn {
    IsaInsn in;          /* physical registers; imm for pc-relative operands unused */
    int32_t target;      /* label of a pc-relative operand, or -1 */
    const char *note;    /* comment lines printed before it */
    const char *comment; /* comment at the end of its line */
} Insn;

typedef struct Code {
    Insn *insns;
    size_t n, cap;
    int32_t *labels; /* label -> instruction index it is bound to, -1 unbound */
    const char **lnames;
    size_t nlabels, caplabels, caplnames;
    AsmRegion *regions;
    size_t nregions, capregions;
    const char *pending_note;
    const char *prefix; /* local labels are .<prefix>_<n> */
    Arena arena;
} Code;

void code_init(Code *c, const char *prefix);
void code_free(Code *c);
/* A new label; name NULL makes a local .L label. */
int32_t code_label(Code *c, const char *name);
/* Bind label to the next instruction. */
void code_bind(Code *c, int32_t label);
/* The following instructions run in context ctx. */
void code_context(Code *c, AsmContext ctx);
/* A comment line before the next instruction. */
void code_note(Code *c, const char *fmt, ...) ACC_PRINTF(2, 3);
/* A comment after the last instruction. */
void code_comment(Code *c, const char *fmt, ...) ACC_PRINTF(2, 3);
void code_op(Code *c, IsaOp op, int d, int a, int b, int32_t imm, int32_t imm2);
/* An instruction whose pc-relative operand is label (br, bz, loop, run...). */
void code_jump(Code *c, IsaOp op, int d, int a, int32_t label, int32_t imm2);
/* m = value (li, or li + lih). */
void code_li(Code *c, int m, int64_t value);
/* md = ma + value, through tmp when value does not fit addi. */
void code_addi(Code *c, int md, int ma, int64_t value, int tmp);
/* a = bits (alih, alil). */
void code_ali(Code *c, int a, uint32_t bits);
void code_encode(const Code *c, uint32_t *words);
void code_print(const Code *c, StrBuf *out);
/* Same instructions and targets (comments aside). */
bool code_same(const Code *a, const Code *b);
uint64_t code_hash(const Code *c);
/* Append src's instructions and labels to dst; returns the id in dst of
 * src's label 0 (src's label k is dst's base + k). */
int32_t code_append(Code *dst, const Code *src);

/* ---- vcode.c: straight-line code over virtual registers ---------------------------- *
 * The bodies of kernels are written over virtual registers (class A: a
 * registers, f32 bits; class M: m registers, integers and booleans), then
 * allocated to the physical registers the kernel leaves free by a linear
 * scan; values that do not fit live in the worker's scratch. */

typedef enum VClass { VC_A, VC_M } VClass;
enum { VR_READ = 1, VR_WRITE = 2 };
/* A slot holding a fixed physical register r rather than a virtual one. */
#define VPHYS(r) (-1 - (r))

typedef struct VOp {
    IsaOp op;
    int32_t r[3];  /* slots d, a, b: a virtual register, VPHYS(n), or 0 unused */
    uint8_t rw[3]; /* VR_READ / VR_WRITE per slot */
    bool used[3];
    int32_t imm, imm2;
} VOp;

typedef struct VCode {
    VOp *ops;
    size_t n, cap;
    VClass *cls;
    int32_t nv;
    size_t capv;
} VCode;

void vc_init(VCode *v);
void vc_free(VCode *v);
int32_t vc_new(VCode *v, VClass c);
/* d = op(a, b): d written, a and b read (0 for unused). */
void vc_op(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t b, int32_t imm);
/* Slot d both read and written (f32fma, sel32, sel). */
void vc_op_rmw(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t b, int32_t imm);
/* A store: every register slot read (stored value d, base a). */
void vc_store(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t imm);
/* A load with post-increment: d written, base a read and written. */
void vc_load_pi(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t imm);
/* The same, the base advanced by register b. */
void vc_load_pr(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t b);
/* The register pools a kernel leaves to its body. */
typedef struct VPool {
    uint32_t a, m;        /* bit r set: register r is free */
    int scratch_m;        /* an m register holding the worker's scratch address, or -1 */
    uint32_t scratch_off; /* first free byte of the scratch */
} VPool;
/* Allocate and append to c. Values live past the end (kept) must not be
 * spilled: keep[] lists them, with their assigned registers returned in
 * where[] (NULL: none). Returns false if the pools are too small. */
bool vc_emit(VCode *v, const VPool *pool, Code *c, const int32_t *keep, int nkeep, int *where);

/* ---- body.c: kernel bodies ----------------------------------------------------------- */

/* A body value: its dtype (f32, i32, i8, u8, bool, i64) and its virtual
 * registers (i64: lo, hi). */
typedef struct BVal {
    AccDtype t;
    int32_t v[2];
} BVal;

/* Code for one element of a body: inputs[i] holds body input i (already
 * converted to the body's dtype); returns the result. */
BVal body_emit(VCode *v, const IrGraph *body, const BVal *inputs);
/* Load an element of dtype t from [ptr] (an m register), post-incrementing
 * it by step bytes, as a body value (f16/bf16 to f32, integers extended). */
BVal body_load(VCode *v, AccDtype t, int ptr, int32_t step);
/* Store x (a body value) as dtype t at [ptr], post-incrementing by step. */
void body_store(VCode *v, BVal x, AccDtype t, int ptr, int32_t step);
/* x converted to the body dtype t (the cast primitive's rules). */
BVal body_cast(VCode *v, BVal x, AccDtype t);
/* One primitive (unary, binary or where) on body values, result dtype t. */
BVal body_prim(VCode *v, IrOpKind k, const BVal *args, AccDtype t);
/* A constant of body dtype t (integers saturate to the dtype's range). */
BVal body_constant(VCode *v, AccDtype t, double x);
/* dst = src (same dtype; dst's registers may be physical). */
void body_move(VCode *v, BVal dst, BVal src);
/* Whether the body of a kernel can be compiled (every primitive known). */
bool body_supported(const IrGraph *body, char *why, size_t len);

/* ---- mathlib.c: primitives without an instruction ---------------------------------- */

int32_t math_const(VCode *v, float f);
int32_t math_sin(VCode *v, int32_t x);
int32_t math_cos(VCode *v, int32_t x);
int32_t math_tan(VCode *v, int32_t x);
int32_t math_atan(VCode *v, int32_t x);
int32_t math_asin(VCode *v, int32_t x);
int32_t math_acos(VCode *v, int32_t x);
int32_t math_sinh(VCode *v, int32_t x);
int32_t math_cosh(VCode *v, int32_t x);
int32_t math_erf(VCode *v, int32_t x);
int32_t math_pow(VCode *v, int32_t a, int32_t b);
int32_t math_fmod(VCode *v, int32_t a, int32_t b, bool c_fmod);
/* Integer division and remainder (i32 semantics of the IR: truncating,
 * x / 0 = 0; mod with the divisor's sign unless c_fmod). */
int32_t math_idiv(VCode *v, int32_t a, int32_t b);
int32_t math_imod(VCode *v, int32_t a, int32_t b, bool c_fmod);

/* ---- kernels.c: worker kernels and their supervisor protocols ---------------------- */

typedef struct Kernel {
    Code code;       /* the worker code (a fragment) */
    int32_t entry;   /* its entry label in code */
    uint32_t wblock; /* bytes per worker argument block */
} Kernel;

/* The worker code of a task of p (not XCHG), named name. */
void kernel_generate(const Plan *p, const PlanTask *t, const char *name, Kernel *k);
/* M_SCRATCH = this worker's scratch area (worker id x PLAN_SCRATCH). */
void kernel_scratch_prologue(Code *c);
/* The start of a chunked kernel's frame (passes.h, PlanEwSpec): m2 the
 * chunks, m3 the next chunk's words, a jump to done when there are none;
 * then at chunk: m4 the rows, m5 per_row (what m5 counts), and one pointer
 * per buffer from m<ptr0> (buffer 0 the result; buffer divisor, if >= 0,
 * the divisor). */
void kernel_chunk_frame(Code *c, int32_t done, int32_t chunk, const char *per_row, int ptr0, int nb,
                        int divisor);
/* Its end, after a row: every pointer bumped by its word (through m<tmp>),
 * back to row while rows are left, to chunk while chunks are left, then
 * done: and exit. */
void kernel_chunk_close(Code *c, int32_t row, int32_t chunk, int32_t done, int ptr0, int nb,
                        int tmp);

/* kreduce.c, kgather.c: the reduction (REDUCE, ARGRED) and gather kernels. */
void kernel_reduce(const Plan *p, const PlanTask *t, Kernel *k);
void kernel_gather(const Plan *p, const PlanTask *t, Kernel *k);
/* ---- kmatmul.c: the matrix-unit kernel ------------------------------------------- */

/* The worker code of a MATMUL task (loaders and multipliers, one entry). */
void kmatmul_kernel(const Plan *p, const PlanTask *t, Kernel *k);
/* The supervisor's loop over a MATMUL task's batch steps, column blocks
 * and K chunks, starting workers at entry (m10: the step table pointer). */
void kmatmul_invocation(Code *c, const PlanTask *t, int32_t entry);

/* ---- asmtext.c: the assembly text of an image -------------------------------------- */

/* Text acc-as turns into img: the machine, tensors, the program (prog,
 * with its comments), then every tile's data, exchange slots and layout
 * runs. */
void backend_print_asm(const Plan *p, const AsmImage *img, const Code *prog, StrBuf *out);

#endif

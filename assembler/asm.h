/*
 * asm — ACC-1 binaries: the in-memory image, its ELF form, the assembler
 * (acc-as) and the disassembler (acc-objdump).
 *
 * An AsmImage is everything a binary holds (docs/binary-format.md):
 *
 *   machine    the IsaMachine it was built for (preset name and every field)
 *   programs   tile programs, each stored once: code words, the context
 *              (supervisor/worker) of each stretch of code, and code labels
 *   tiles      per tile: which program it runs, its exchange table (slots of
 *              sends, receives and host streams), in machine.tiles entries
 *   segments   initialised SRAM contents, per tile
 *   ios        graph inputs and outputs: name, dtype, shape, and where their
 *              elements live across tiles (runs)
 *
 * The backend builds one with the asm_image_* calls and writes it with
 * asm_image_save; the interpreter reads one with asm_image_load, which
 * checks everything asm_image_check checks and never trusts the file.
 * The image owns all its memory (asm_image_free releases it); builder
 * calls copy what they are given.
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_ASM_H
#define ACCC_ASM_H

#include "isa.h"
#include "support.h"

/* ---- image.c: the in-memory binary ------------------------------------------- */

enum {
    ASM_NO_PROGRAM = 0xffffffffu, /* a tile that runs nothing */
    ASM_MAX_DIMS = NPY_MAX_DIMS,
    ASM_EM_ACC1 = 0xacc1, /* ELF e_machine of ACC-1 binaries */
};

typedef enum AsmContext { ASM_SUPERVISOR = 0, ASM_WORKER = 1 } AsmContext;

/* Code from start (a byte offset into the program) up to the next region
 * runs in context. Regions are sorted; the first starts at 0 and is
 * supervisor code, because the supervisor starts at address 0. */
typedef struct AsmRegion {
    uint32_t start;
    AsmContext context;
} AsmRegion;

typedef struct AsmProgram {
    char *name; /* an identifier */
    uint32_t *code;
    size_t ncode, capcode; /* instruction words */
    AsmRegion *regions;
    size_t nregions, capregions;
} AsmProgram;

/* A send: len bytes from SRAM address src to every tile in dst (multicast). */
typedef struct AsmSend {
    uint32_t src, len;
    uint32_t *dst;
    size_t ndst;
} AsmSend;

/* A receive: len bytes from tile `from`, into SRAM address dst. */
/* count receives of len bytes from tile `from`, into dst, dst + stride,
 * ... (a group: what count receives one after another would do). */
typedef struct AsmRecv {
    uint32_t from, dst, len, count;
    int32_t stride;
} AsmRecv;

/* A host stream: len bytes between byte offset `offset` of graph input or
 * output io and SRAM address addr. */
typedef struct AsmStream {
    uint32_t io, addr, len;
    uint64_t offset;
} AsmStream;

/* One exchange slot of one tile: what `xpost` of that slot posts. */
typedef struct AsmSlot {
    AsmSend *sends;
    size_t nsends, capsends;
    AsmRecv *recvs;
    size_t nrecvs, caprecvs;
    AsmStream *hostin; /* host -> tile (inputs) */
    size_t nhostin, caphostin;
    AsmStream *hostout; /* tile -> host (outputs) */
    size_t nhostout, caphostout;
} AsmSlot;

typedef struct AsmTile {
    uint32_t program; /* index into programs, or ASM_NO_PROGRAM */
    AsmSlot *slots;   /* the tile's exchange table */
    size_t nslots, capslots;
} AsmTile;

typedef struct AsmSegment {
    uint32_t tile, addr, size;
    uint8_t *data;
} AsmSegment;

/* count elements of a graph tensor: flat (row-major) element start +
 * i * stride lives at SRAM address addr + i * element size on tile. */
typedef struct AsmRun {
    uint32_t tile, addr;
    uint64_t start, count, stride;
} AsmRun;

typedef struct AsmIo {
    char *name;
    AccDtype dtype;
    bool output;
    int ndim;
    int64_t shape[ASM_MAX_DIMS];
    AsmRun *runs;
    size_t nruns, capruns;
} AsmIo;

typedef struct AsmSymbol {
    char *name;
    uint32_t program, offset; /* a code label: byte offset into a program */
} AsmSymbol;

typedef struct AsmImage {
    IsaMachine machine;
    AsmProgram *programs;
    size_t nprograms, capprograms;
    AsmTile *tiles; /* machine.tiles of them */
    AsmSegment *segments;
    size_t nsegments, capsegments;
    AsmIo *ios;
    size_t nios, capios;
    AsmSymbol *symbols;
    size_t nsymbols, capsymbols;
    Arena arena; /* names and segment data */
} AsmImage;

/* A new image for machine m (copied), with no programs and idle tiles. */
AsmImage *asm_image_new(const IsaMachine *m);
void asm_image_free(AsmImage *img);
/* A new, empty program; returns its index. */
uint32_t asm_image_add_program(AsmImage *img, const char *name);
/* The index of the program called name, or -1. */
int asm_image_find_program(const AsmImage *img, const char *name);
void asm_program_append(AsmImage *img, uint32_t prog, const uint32_t *words, size_t n);
/* Code from byte offset `at` on (to the next region) runs in context ctx. */
void asm_program_set_context(AsmImage *img, uint32_t prog, uint32_t at, AsmContext ctx);
/* A whole program, stored once: returns the index of an existing program
 * with the same code and regions if there is one, else adds it as name. */
uint32_t asm_image_intern_program(AsmImage *img, const char *name, const uint32_t *code, size_t n,
                                  const AsmRegion *regions, size_t nregions);
void asm_image_set_program(AsmImage *img, uint32_t tile, uint32_t prog);
/* Initialised SRAM bytes of a tile (copied). */
void asm_image_add_data(AsmImage *img, uint32_t tile, uint32_t addr, const void *data,
                        uint32_t size);
/* Slot `slot` of tile's exchange table, created (empty) if needed. */
AsmSlot *asm_image_slot(AsmImage *img, uint32_t tile, uint32_t slot);
void asm_slot_add_send(AsmSlot *s, uint32_t src, uint32_t len, const uint32_t *dst, size_t ndst);
/* A receive; it extends the slot's last group when it comes from the same
 * tile with the same length at the group's next stride (the groups are
 * the longest such runs, in order, of at most ASM_RECV_GROUP_MAX). */
void asm_slot_add_recv(AsmSlot *s, uint32_t from, uint32_t dst, uint32_t len);
enum { ASM_RECV_GROUP_MAX = 1 << 20 };
void asm_slot_add_hostin(AsmSlot *s, uint32_t io, uint64_t offset, uint32_t addr, uint32_t len);
void asm_slot_add_hostout(AsmSlot *s, uint32_t io, uint64_t offset, uint32_t addr, uint32_t len);
/* A graph input or output; returns its index (inputs and outputs share one
 * list, in graph order). */
uint32_t asm_image_add_io(AsmImage *img, const char *name, AccDtype dtype, bool output, int ndim,
                          const int64_t *shape);
int asm_image_find_io(const AsmImage *img, const char *name); /* -1 if none */
void asm_image_add_run(AsmImage *img, uint32_t io, uint32_t tile, uint32_t addr, uint64_t start,
                       uint64_t count, uint64_t stride);
void asm_image_add_symbol(AsmImage *img, uint32_t prog, uint32_t offset, const char *name);
/* Elements of a tensor of ndim dims (1 for a scalar); -1 past 2^48. */
int64_t asm_io_elements(const AsmIo *io);
/* Check everything a binary must satisfy (docs/binary-format.md,
 * "Validity"). Returns true, or false with the first problem in err. */
bool asm_image_check(const AsmImage *img, char *err, size_t errlen);
/* Whether s may name a program or a code label: [A-Za-z_.$][A-Za-z0-9_.$]*,
 * not a register name. */
bool asm_is_identifier(const char *s);

/* ---- elf.c: the ELF64 form -------------------------------------------------------- */

/* The canonical bytes of img, which must pass asm_image_check (ice()
 * otherwise): equal images give equal files. */
void asm_image_write(const AsmImage *img, StrBuf *out);
/* Write to path completely or not at all. 0, or -1 with err set. */
int asm_image_save(const AsmImage *img, const char *path, char *err, size_t errlen);
/* Parse and check a binary. NULL with the reason in err if the file is not
 * a valid ACC-1 binary. */
AsmImage *asm_image_read(const void *data, size_t len, char *err, size_t errlen);
AsmImage *asm_image_load(const char *path, char *err, size_t errlen);
/* acc-objdump -h: the ELF sections of a binary and a summary. */
bool asm_list_sections(const void *data, size_t len, StrBuf *out, char *err, size_t errlen);

/* ---- asm.c: assembly text to image (acc-as) -------------------------------------- */

/* Assemble a source file (.include paths are relative to the including
 * file). Errors go to diag, all of them; NULL if there were any. */
AsmImage *asm_assemble_file(const char *path, Diag *diag);
AsmImage *asm_assemble_text(const char *name, const char *text, size_t len, Diag *diag);

/* ---- disasm.c: image to assembly text (acc-objdump) ----------------------------- */

/* Assembly text that acc-as turns back into the same binary. */
void asm_disassemble(const AsmImage *img, StrBuf *out);
/* A slot's receives as `.recv` lines, one per receive (a group's pieces
 * one after another). */
void asm_print_recvs(const AsmSlot *s, StrBuf *out);
/* acc-objdump --tiles: one line per tile with a program or data. */
void asm_print_tiles(const AsmImage *img, StrBuf *out);

#endif

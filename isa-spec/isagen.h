/*
 * isagen's private interface: the instruction table in memory, shared by
 * the reader and checker (isagen.c) and the generators (isagen_emit.c).
 */
#ifndef ACCC_ISAGEN_H
#define ACCC_ISAGEN_H

#include "support.h"

enum { MAX_ITEMS = 16, MAX_OPERANDS = 4, MAX_FIXED = 8 };

typedef enum Kind {
    K_OP, /* opcode field: each instruction fixes its value */
    K_MREG,
    K_AREG,
    K_APAIR,
    K_AQUAD,
    K_SIMM,
    K_SOFF, /* signed offset, written +N / -N inside brackets */
    K_UIMM,
    K_PCREL, /* signed distance in instructions; decodes to bytes from pc */
    K_PCEND, /* loop body length in instructions; decodes to pc-relative end */
    K_CSR,
    K_COUNT
} Kind;

extern const char *const kind_names[K_COUNT];
extern const char *const kind_macros[K_COUNT];

typedef enum Slot { SLOT_NONE, SLOT_D, SLOT_A, SLOT_B, SLOT_IMM, SLOT_IMM2, SLOT_COUNT } Slot;
extern const char *const slot_names[SLOT_COUNT];
extern const char *const slot_macros[SLOT_COUNT];

typedef struct Field {
    char *name;
    int hi, lo;
    Kind kind;
    Slot slot;
    char *doc;
    int line;
} Field;

typedef struct Item {
    int field; /* index into fields, or -1 for a constant */
    int hi, lo;
    uint32_t value; /* constants only */
} Item;

typedef struct Format {
    char *name;
    Item items[MAX_ITEMS];
    int nitems;
    int line;
} Format;

typedef struct Class {
    char *name;
    int turns;     /* > 0 for a fixed cost */
    char *mactype; /* f16, f32, i8 for a MAC-rate cost */
    int macs;
    char *doc;
    int line;
} Class;

typedef struct Named { /* param, csr, trap */
    char *name;
    long value;
    char *doc;
    int line;
} Named;

typedef struct Group {
    char *title;
    StrBuf text;
} Group;

typedef struct Insn {
    char *id;   /* "ldw.pi" */
    char *mnem; /* "ldw" */
    int format;
    int fixed_field[MAX_FIXED];
    uint32_t fixed_value[MAX_FIXED];
    int nfixed;
    char *syntax;
    int operands[MAX_OPERANDS]; /* field indices, in syntax order */
    int noperands;
    char *ctx; /* "S", "W", "SW" */
    int cls;
    int flops;
    char *doc;
    StrBuf sem;
    int group;
    int line;
    uint32_t mask, match;
} Insn;

typedef struct Table {
    Diag *diag;
    int file;
    Field *fields;
    size_t nfields, capfields;
    Format *formats;
    size_t nformats, capformats;
    Class *classes;
    size_t nclasses, capclasses;
    Named *params, *csrs, *traps;
    size_t nparams, capparams, ncsrs, capcsrs, ntraps, captraps;
    Group *groups;
    size_t ngroups, capgroups;
    Insn *insns;
    size_t ninsns, capinsns;
    bool skip_attrs; /* the last insn line was bad: ignore its doc/sem lines */
} Table;

/* ---- isagen.c ----------------------------------------------------------------- */

int find_field(const Table *T, const char *s, int len);

/* ---- isagen_emit.c -------------------------------------------------------------- */

void gen_header(const Table *T, StrBuf *o);
void gen_decode(const Table *T, StrBuf *o);
void gen_doc(const Table *T, StrBuf *o);
void gen_presets(StrBuf *o);

#endif

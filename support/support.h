/*
 * support — what every layer of accc needs, written once.
 *
 * Memory policy (the whole project follows it):
 *   - Long-lived objects come from xmalloc/xcalloc/xrealloc, which never
 *     return NULL: running out of memory prints a message and exits 1.
 *   - Objects that die together (a graph and its values, an assembler
 *     run's symbols) come from an Arena and are freed in one call.
 *
 * User-facing errors go through a Diag (diag.c); internal bugs through
 * assert() or ice(), which say what broke and where.
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_SUPPORT_H
#define ACCC_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define ACC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ACC_NORETURN          __attribute__((noreturn))
#else
#define ACC_PRINTF(fmt, args)
#define ACC_NORETURN
#endif

#define ACC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* x rounded up to a multiple of a, a power of two. */
static inline uint64_t align_up(uint64_t x, uint64_t a) {
    return (x + a - 1) & ~(a - 1);
}

/* ---- alloc.c: checked allocation ----------------------------------------- */

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *ptr (an array of elem-sized items with capacity *cap) to hold at
 * least need items; capacity at least doubles. */
void xgrow(void **ptr, size_t *cap, size_t need, size_t elem);
#define XGROW(ptr, cap, need) xgrow((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))
/* Report a bug in accc itself and exit with status 3. */
ACC_NORETURN void ice_at(const char *file, int line, const char *fmt, ...) ACC_PRINTF(3, 4);
#define ice(...) ice_at(__FILE__, __LINE__, __VA_ARGS__)

/* ---- arena.c: allocation that dies all at once ----------------------------- */

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head; /* newest block; older ones hang off ->prev */
    size_t used;      /* bytes handed out from head */
    size_t total;     /* bytes handed out over the arena's life */
} Arena;

void arena_init(Arena *a);
/* Zeroed memory aligned to align (a power of two, at most 64). */
void *arena_alloc(Arena *a, size_t size, size_t align);
#define ARENA_NEW(a, type)      ((type *)arena_alloc((a), sizeof(type), _Alignof(type)))
#define ARENA_ARRAY(a, type, n) ((type *)arena_alloc((a), sizeof(type) * (n), _Alignof(type)))
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) ACC_PRINTF(2, 3);
/* Free everything the arena handed out; the arena may be used again. */
void arena_free(Arena *a);

/* ---- strbuf.c: growable strings -------------------------------------------- */

typedef struct StrBuf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len, cap;
} StrBuf;

void sb_init(StrBuf *sb);
void sb_free(StrBuf *sb);
void sb_clear(StrBuf *sb);
/* Room for extra more bytes without growing. */
void sb_reserve(StrBuf *sb, size_t extra);
void sb_putc(StrBuf *sb, char c);
void sb_puts(StrBuf *sb, const char *s);
void sb_append(StrBuf *sb, const void *data, size_t len);
void sb_printf(StrBuf *sb, const char *fmt, ...) ACC_PRINTF(2, 3);
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
void sb_json_string(StrBuf *sb, const char *s);
/* Take the buffer (caller frees); sb is empty afterwards. */
char *sb_take(StrBuf *sb);
/* The shortest decimal that reads back (strtod) as exactly v: "0.1", "1e-05",
 * "3.0" (always with a '.' or an exponent), "nan", "inf", "-inf". */
void sb_put_double(StrBuf *sb, double v);
/* The same for a float: the shortest decimal that strtof reads back as v. */
void sb_put_float(StrBuf *sb, float v);

/* ---- suggest.c: "did you mean" ------------------------------------------- */

/* Edit distance between a and b: insertions, deletions, substitutions and
 * swaps of neighbouring characters each count 1. */
size_t str_edit_distance(const char *a, const char *b);
/* The candidate closest to word if it is close enough to be a typo (at most
 * a third of word's length in edits, 1 to 3, and fewer than its length),
 * else NULL. NULL entries in
 * cands are skipped. */
const char *str_suggest(const char *word, const char *const *cands, size_t n);

/* ---- strset.c: sets of strings, maps from strings ------------------------- */

typedef struct StrSet {
    char **slots; /* copies of the keys; NULL for empty slots */
    size_t cap, n;
} StrSet;

void strset_init(StrSet *s);
void strset_free(StrSet *s);
bool strset_has(const StrSet *s, const char *key);
/* Add a copy of key; false if it was already there. */
bool strset_add(StrSet *s, const char *key);

/* A map from strings to int64_t (open addressing, keys copied and owned). */
typedef struct StrMap {
    char **keys; /* NULL for empty slots */
    int64_t *vals;
    size_t cap, n;
} StrMap;

void strmap_init(StrMap *m);
void strmap_free(StrMap *m);
/* The value stored for key, or NULL; valid until the next strmap_put. */
int64_t *strmap_get(const StrMap *m, const char *key);
/* Store v for key, replacing any earlier value. */
void strmap_put(StrMap *m, const char *key, int64_t v);

/* ---- diag.c: diagnostics --------------------------------------------------- */

/* A position in a source file registered with diag_add_file. file 0 means
 * "no location" (a command-line or whole-file message). Lines and columns
 * count from 1; columns count bytes. */
typedef struct SrcLoc {
    int file, line, col;
} SrcLoc;

typedef enum DiagLevel { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;
typedef enum DiagFormat {
    DIAG_TEXT, /* file:line:col: error: message, source line, caret */
    DIAG_JSON  /* a JSON array of objects, written by diag_finish */
} DiagFormat;

typedef struct DiagFile DiagFile;
typedef struct Diag {
    const char *tool; /* prefixes location-less messages: "accc: error: ..." */
    FILE *out;        /* stderr unless a test says otherwise */
    DiagFormat format;
    bool color;     /* ANSI colour; diag_init turns it on for terminals */
    bool werror;    /* warnings count as errors */
    int max_errors; /* stop reporting (not counting) after this many; 0 = no limit */
    /* Prefixed to every message while set (NULL: none), e.g. "node 'conv1'
     * (Conv): " while an importer maps that node; the caller owns it. */
    const char *context;
    /* Called before anything is written to out (NULL: nothing), so a
     * progress line on the terminal can make way. */
    void (*before_print)(void *user);
    void *user;
    int nerrors, nwarnings;
    DiagFile *files; /* index 0 unused */
    size_t nfiles, capfiles;
    StrBuf json; /* DIAG_JSON: objects collected until diag_finish */
} Diag;

void diag_init(Diag *d, const char *tool, FILE *out);
void diag_free(Diag *d);
/* Register a source text (copied) so messages can quote its lines; returns
 * the file index for SrcLoc.file. */
int diag_add_file(Diag *d, const char *name, const char *text, size_t len);
const char *diag_file_name(const Diag *d, int file);
SrcLoc diag_loc(int file, int line, int col);
void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...) ACC_PRINTF(3, 4);
void diag_warning(Diag *d, SrcLoc loc, const char *fmt, ...) ACC_PRINTF(3, 4);
void diag_note(Diag *d, SrcLoc loc, const char *fmt, ...) ACC_PRINTF(3, 4);
void diag_vreport(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, va_list ap);
bool diag_failed(const Diag *d); /* errors, or warnings under -Werror */
/* Print the closing count ("2 errors and 1 warning generated.") in text
 * mode, or the JSON array in JSON mode. Returns diag_failed(). */
bool diag_finish(Diag *d);

/* ---- options.c: command lines read from a table ------------------------------ */

/* One option of a command. The same table drives the parser (opt_match)
 * and --help (opt_help, one line per option), so the two cannot drift.
 * Spellings, by the name's form:
 *   --name            a flag
 *   --name=V, --name V                 value given (value != NULL); --help
 *                                      shows --name=V, or --name V with OPT_SPACE
 *   --name, --name=V                   OPT_OPTIONAL
 *   -x V, -xV (also -MF FILE, -MFFILE)  a single-dash name with a value
 *   -O2                                OPT_JOINED: the value only attached
 *   -fname=V                           OPT_EQUALS: single dash, value after '='
 */
enum {
    OPT_JOINED = 1,   /* the value is only ever attached: -O2 */
    OPT_OPTIONAL = 2, /* a --name whose value may be left out */
    OPT_EQUALS = 4,   /* a single-dash name whose value follows '=' */
    OPT_HIDDEN = 8,   /* accepted but not listed (aliases such as -h) */
    OPT_SPACE = 16,   /* a --name with a value, shown as "--name V" in --help */
};

typedef struct OptSpec {
    int id;            /* what the caller switches on */
    const char *name;  /* "--emit", "-o", "-MD" */
    const char *value; /* the value's name in --help ("FILE"); NULL: takes none */
    unsigned flags;
    const char *help;  /* one line */
    const char *shown; /* --help's spelling when not derived ("-O0, -O1, -O2"); or NULL */
} OptSpec;

typedef struct OptTable {
    const char *title; /* heading in --help; NULL: none */
    const OptSpec *specs;
    size_t n;
} OptTable;

typedef enum OptResult {
    OPT_FOUND,      /* an option: *table, *spec and *value (NULL if none) set */
    OPT_POSITIONAL, /* not an option: a word, or "-" */
    OPT_BAD,        /* unknown option, missing or unwanted value: err says which */
} OptResult;

/* Match argv[*i] against the tables (exact spellings first, then names
 * with attached values, longest name first); a value in the next argument
 * advances *i. An unknown option's message suggests the closest name. */
OptResult opt_match(const OptTable *tables, size_t ntables, int argc, char **argv, int *i,
                    size_t *table, const OptSpec **spec, const char **value, char *err,
                    size_t errlen);
/* How --help spells an option: "--emit=KIND", "-o FILE", "--random-inputs[=SEED]". */
void opt_spelling(StrBuf *out, const OptSpec *spec);
/* --help's option lines: each table's title, then "  SPELLING  help" per
 * listed option, the help from column on (a spelling that reaches it gets
 * the help two spaces after it). */
void opt_help(StrBuf *out, const OptTable *tables, size_t ntables, int column);
/* A command's --help on stdout: synopsis, the options (help at column
 * 26), epilogue. */
void opt_print_help(const char *synopsis, const OptTable *tables, size_t ntables,
                    const char *epilogue);
/* Report a bad command line through d ("tool: error: ...", then a note
 * pointing to --help); returns 2, the exit status of a usage error. */
int opt_usage(Diag *d, const char *fmt, ...) ACC_PRINTF(2, 3);

/* ---- dtype.c: element types (the rows of dtype.def) ------------------------ */

enum { DT_FLOAT = 1, DT_INT = 2, DT_UINT = 4, DT_BOOL = 8, DT_IR = 16 };

typedef enum AccDtype {
#define DTYPE(id, name, bytes, npy, flags) ACC_DTYPE_##id,
#include "dtype.def"
#undef DTYPE
    ACC_DTYPE_COUNT
} AccDtype;

const char *dtype_name(AccDtype t);
size_t dtype_size(AccDtype t);
unsigned dtype_flags(AccDtype t);
/* The dtype spelled name (length len), or -1. */
int dtype_lookup(const char *name, size_t len);
/* Element i of an array of type t, as a double (f16/bf16 widened exactly,
 * i64 rounded to the nearest double). */
double dtype_get(AccDtype t, const void *base, size_t i);
/* Store v as element i: floats rounded to nearest even, integers truncated
 * toward zero and saturated to the type's range (NaN stores 0), bool v != 0. */
void dtype_set(AccDtype t, void *base, size_t i, double v);

/* ---- half.c: f16 and bf16, IEEE round-to-nearest-even ---------------------- */

uint16_t f32_to_f16(float f);
uint16_t f32_to_bf16(float f);

/* The bits of an f32 and back; inline, since interpreters call them per
 * operation. */
static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float f32_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline float bf16_to_f32(uint16_t b) {
    return f32_from_bits((uint32_t)b << 16);
}

static inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, rest = (uint32_t)(h & 0x7fff) << 13;
    if (rest >= 0x0f800000u) return f32_from_bits(sign | 0x70000000u | rest); /* inf, NaN */
    /* The f16 exponent and mantissa in an f32's place make the value
     * 2^-112 times too small, normal or subnormal alike; scaling by 2^112
     * is exact. */
    return f32_from_bits(sign | f32_bits(f32_from_bits(rest) * 0x1p112f));
}

/* ---- fileio.c: whole files in, whole files out ----------------------------- */

/* Read all of path ("-" is stdin) into a NUL-terminated buffer (the NUL is
 * not counted in *len). On failure returns NULL and writes why to err. */
char *file_read(const char *path, size_t *len, char *err, size_t errlen);
/* Write data to path completely or not at all: a temporary file beside it,
 * then rename. "-" writes to stdout. Returns 0, or -1 with err set. */
int file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Outputs written together at the end of a run: outfiles_add queues each
 * one, outfiles_commit writes every file to a temporary file beside it and,
 * only when all of them are complete, renames them into place in the order
 * queued ("-" goes to standard output, after the renames). A run that fails
 * before the commit writes nothing and leaves existing files alone; queue
 * the file that tells a build the run is done (its main output) last, so
 * that a rename failing half-way never leaves a new main output beside old
 * side files. */
typedef struct OutFile {
    char *path;
    StrBuf data;
} OutFile;
typedef struct OutFiles {
    OutFile **files; /* in the order added */
    size_t n, cap;
} OutFiles;

void outfiles_init(OutFiles *o);
void outfiles_free(OutFiles *o);
/* Queue an output; returns the (empty) buffer to fill, valid until
 * outfiles_free. */
StrBuf *outfiles_add(OutFiles *o, const char *path);
/* The queued output for path, or NULL. */
OutFile *outfiles_find(const OutFiles *o, const char *path);
/* Write everything queued, then forget it. A path queued twice, or a file
 * that cannot be written, fails before any file is renamed into place.
 * Returns 0, or -1 with err set. */
int outfiles_commit(OutFiles *o, char *err, size_t errlen);
/* The directory part of path ("." if none), newly allocated. */
char *path_dirname(const char *path);
/* dir/rel, or rel itself when it is absolute or dir is "."; newly allocated. */
char *path_join(const char *dir, const char *rel);

/* ---- deps.c: the files a run read, for depfiles ------------------------------- */

/* The input files a run read, each once, in the order first read: every
 * reader of a model's files (the model, imports, weights, external data)
 * records what it opened with deps_add, so the list is exactly what the
 * output depends on. A NULL FileDeps records nothing. */
typedef struct FileDeps {
    char **paths;
    size_t n, cap;
    StrSet seen;
} FileDeps;

void deps_init(FileDeps *deps);
void deps_free(FileDeps *deps);
/* Record path (as it was opened); repeats, NULL deps and "-" (standard
 * input) are ignored. */
void deps_add(FileDeps *deps, const char *path);
/* The Make rule "target: dep dep ..." that gcc -MD writes, one name per
 * line, with spaces, '#', ':' and '$' escaped so GNU Make and Ninja
 * (deps = gcc) read the same names; with phony, an empty rule for each
 * dependency too (gcc -MP), so Make does not stop when one is deleted.
 * 0, or -1 with err set when a name cannot be written (it holds a newline,
 * a carriage return or a tab). */
int deps_format_make(StrBuf *out, const char *target, const FileDeps *deps, bool phony, char *err,
                     size_t errlen);

/* ---- npy.c: NumPy .npy files ----------------------------------------------- */

#define NPY_MAX_DIMS 8

typedef struct NpyArray {
    AccDtype dtype;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    size_t count; /* product of shape (1 for a scalar) */
    void *data;   /* count * dtype_size(dtype) bytes, C order, little-endian */
} NpyArray;

/* Parse a .npy image. Versions 1.0, 2.0 and 3.0; little-endian (or
 * byte-order-free) f32 f16 f64 i8 u8 i32 i64 bool in C order. Anything else
 * fails with a message in err. The data is copied; free with npy_free. */
int npy_parse(const void *buf, size_t len, NpyArray *out, char *err, size_t errlen);
int npy_load(const char *path, NpyArray *out, char *err, size_t errlen);
/* Serialise to a version 1.0 image (2.0 if the header needs it). */
void npy_serialize(const NpyArray *a, StrBuf *out);
int npy_save(const char *path, const NpyArray *a, char *err, size_t errlen);
/* An array of the given type and shape, zero-filled. */
void npy_alloc(NpyArray *a, AccDtype dtype, int ndim, const int64_t *shape);
void npy_free(NpyArray *a);

#endif

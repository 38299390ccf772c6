/*
 * The ELF64 form of an ACC-1 binary (docs/binary-format.md).
 *
 * The writer is canonical: segments sorted by tile and address with
 * adjacent ones merged and identical contents stored once, runs sorted,
 * trailing empty exchange slots dropped, symbols sorted. Two images that
 * mean the same give the same bytes, which is what lets acc-objdump's
 * output reassemble to an identical file.
 *
 * The reader trusts nothing: every offset, count and index is checked
 * before use, then the whole image goes through asm_image_check.
 */
#include "asm.h"

#include <stdlib.h>
#include <string.h>

enum {
    ELF_HEADER_SIZE = 64,
    SHDR_SIZE = 64,
    SYM_SIZE = 24,
    SHT_PROGBITS = 1,
    SHT_SYMTAB = 2,
    SHT_STRTAB = 3,
    ET_EXEC = 2,
    FORMAT_MAGIC = 0x31434341, /* "ACC1" */
    FORMAT_VERSION = 2,
    MACHINE_HEADER = 24, /* magic, version, field count, preset name */
    MAX_SLOTS = 1 << 24,
};

/* The sections, in file order. */
enum {
    S_NULL,
    S_MACHINE,
    S_TEXT,
    S_PROGS,
    S_TILES,
    S_SEGS,
    S_DATA,
    S_EXCHANGE,
    S_IO,
    S_STR,
    S_SYMTAB,
    S_STRTAB,
    S_SHSTRTAB,
    S_COUNT
};

static const struct {
    const char *name;
    uint32_t type, align;
} sections[S_COUNT] = {
    [S_NULL] = {"", 0, 0},
    [S_MACHINE] = {".acc.machine", SHT_PROGBITS, 8},
    [S_TEXT] = {".acc.text", SHT_PROGBITS, 4},
    [S_PROGS] = {".acc.progs", SHT_PROGBITS, 4},
    [S_TILES] = {".acc.tiles", SHT_PROGBITS, 4},
    [S_SEGS] = {".acc.segs", SHT_PROGBITS, 4},
    [S_DATA] = {".acc.data", SHT_PROGBITS, 16},
    [S_EXCHANGE] = {".acc.exchange", SHT_PROGBITS, 8},
    [S_IO] = {".acc.io", SHT_PROGBITS, 8},
    [S_STR] = {".acc.str", SHT_STRTAB, 1},
    [S_SYMTAB] = {".symtab", SHT_SYMTAB, 8},
    [S_STRTAB] = {".strtab", SHT_STRTAB, 1},
    [S_SHSTRTAB] = {".shstrtab", SHT_STRTAB, 1},
};

/* ---- little-endian output ---------------------------------------------------- */

/* n bytes of v, least significant first (the writer reserves its output
 * up front, so this seldom grows it) */
static inline void put_le(StrBuf *b, uint64_t v, int n) {
    if (b->len + (size_t)n >= b->cap) sb_reserve(b, (size_t)n);
    uint8_t *p = (uint8_t *)b->data + b->len;
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
    b->len += (size_t)n;
    p[n] = '\0';
}

static void put8(StrBuf *b, unsigned v) {
    put_le(b, v, 1);
}

static void put16(StrBuf *b, unsigned v) {
    put_le(b, v, 2);
}

static void put32(StrBuf *b, uint32_t v) {
    put_le(b, v, 4);
}

static void put64(StrBuf *b, uint64_t v) {
    put_le(b, v, 8);
}

static void pad(StrBuf *b, size_t align) {
    while (b->len % align) put8(b, 0);
}

/* A string table: offset of s, appended. */
static uint32_t add_string(StrBuf *table, const char *s) {
    if (!table->len) put8(table, 0);
    uint32_t off = (uint32_t)table->len;
    sb_append(table, s, strlen(s) + 1);
    return off;
}

/* ---- writer ------------------------------------------------------------------------ */

static void write_machine(const AsmImage *img, StrBuf *b) {
    put32(b, FORMAT_MAGIC);
    put16(b, FORMAT_VERSION);
    put16(b, ISA_MACHINE_FIELDS);
    char preset[16] = {0};
    size_t n = strnlen(img->machine.preset, sizeof preset - 1);
    memcpy(preset, img->machine.preset, n);
    sb_append(b, preset, sizeof preset);
    for (int f = 0; f < ISA_MACHINE_FIELDS; f++) put32(b, isa_machine_get(&img->machine, f));
}

static void write_programs(const AsmImage *img, StrBuf *text, StrBuf *progs, StrBuf *str) {
    size_t nregions = 0;
    for (size_t i = 0; i < img->nprograms; i++) nregions += img->programs[i].nregions;
    put32(progs, (uint32_t)img->nprograms);
    put32(progs, (uint32_t)nregions);
    size_t region = 0;
    for (size_t i = 0; i < img->nprograms; i++) {
        const AsmProgram *p = &img->programs[i];
        put32(progs, add_string(str, p->name));
        put32(progs, (uint32_t)text->len);
        put32(progs, (uint32_t)(p->ncode * 4));
        put32(progs, (uint32_t)region);
        put32(progs, (uint32_t)p->nregions);
        region += p->nregions;
        for (size_t w = 0; w < p->ncode; w++) put32(text, p->code[w]);
    }
    for (size_t i = 0; i < img->nprograms; i++)
        for (size_t r = 0; r < img->programs[i].nregions; r++) {
            put32(progs, img->programs[i].regions[r].start);
            put32(progs, (uint32_t)img->programs[i].regions[r].context);
        }
}

static int compare_segments(const void *a, const void *b) {
    const AsmSegment *x = *(AsmSegment *const *)a, *y = *(AsmSegment *const *)b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ n; /* FNV-1a, a word at a time */
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Blobs stored once: an open-addressing table from contents to offset. */
typedef struct Blob {
    uint64_t hash;
    uint32_t offset, size;
    bool used;
} Blob;

/* The segments sorted by tile and address: runs of adjacent ones are
 * merged into one entry each. */
static size_t merged_count(const AsmSegment **sorted, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        uint32_t end = sorted[i]->addr + sorted[i]->size;
        size_t j = i + 1;
        for (; j < n && sorted[j]->tile == sorted[i]->tile && sorted[j]->addr == end; j++)
            end += sorted[j]->size;
        i = j;
    }
    return count;
}

/* v at byte at of b, which holds it already */
static void put32_at(StrBuf *b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; i++) b->data[at + (size_t)i] = (char)(uint8_t)(v >> (8 * i));
}

/* .acc.segs and .acc.data, written in place at the end of out (their
 * offsets and sizes set): the entries' room first, filled in as the data
 * goes in, each merged run's bytes copied straight to the end of out and
 * dropped again when the same bytes are there already. */
static void write_segments(const AsmSegment **sorted, size_t nsegments, size_t count, StrBuf *out,
                           uint64_t *offset, uint64_t *sizes) {
    pad(out, sections[S_SEGS].align);
    offset[S_SEGS] = out->len;
    put32(out, (uint32_t)count);
    size_t entry = out->len;
    for (size_t i = 0; i < 4 * count; i++) put32(out, 0);
    sizes[S_SEGS] = out->len - offset[S_SEGS];
    pad(out, sections[S_DATA].align);
    const uint64_t data_at = offset[S_DATA] = out->len;
    size_t cap = 16;
    while (cap < 2 * count) cap *= 2;
    Blob *table = xcalloc(cap, sizeof *table);
    for (size_t i = 0; i < nsegments;) {
        uint32_t tile = sorted[i]->tile, addr = sorted[i]->addr, size = 0;
        size_t before = out->len;
        pad(out, 16);
        size_t start = out->len;
        size_t j = i;
        for (; j < nsegments && sorted[j]->tile == tile && sorted[j]->addr == addr + size; j++) {
            sb_append(out, sorted[j]->data, sorted[j]->size);
            size += sorted[j]->size;
        }
        const uint8_t *bytes = (const uint8_t *)out->data + start;
        uint64_t h = hash_bytes(bytes, size);
        size_t k = (size_t)h & (cap - 1);
        for (; table[k].used; k = (k + 1) & (cap - 1))
            if (table[k].hash == h && table[k].size == size &&
                !memcmp(out->data + data_at + table[k].offset, bytes, size))
                break;
        if (!table[k].used) {
            table[k] = (Blob){h, (uint32_t)(start - data_at), size, true};
        } else {
            out->len = before; /* stored already */
            out->data[out->len] = '\0';
        }
        uint32_t e[4] = {tile, addr, size, table[k].offset};
        for (int w = 0; w < 4; w++, entry += 4) put32_at(out, entry, e[w]);
        i = j;
    }
    sizes[S_DATA] = out->len - data_at;
    free(table);
}

static bool slot_empty(const AsmSlot *s) {
    return !s->nsends && !s->nrecvs && !s->nhostin && !s->nhostout;
}

/* Slots of tile t that matter: up to the last non-empty one. */
static size_t used_slots(const AsmTile *t) {
    size_t n = t->nslots;
    while (n && slot_empty(&t->slots[n - 1])) n--;
    return n;
}

/* The distinct destination lists of the sends, each stored once (a
 * block's replicas get the same multicast list from many senders). */
typedef struct DstLists {
    StrBuf words; /* the lists, as .acc.exchange's destinations */
    uint32_t n;   /* words so far */
    uint32_t *at; /* per send, in file order: where its list starts */
    size_t nsends;
    struct DstKey {
        const AsmSend *send; /* the first send with this list; NULL: empty */
        uint32_t at;
    } * table;
    size_t cap;
} DstLists;

static uint64_t dst_hash(const AsmSend *x) {
    uint64_t h = 1469598103934665603ull ^ x->ndst;
    for (size_t d = 0; d < x->ndst; d++) h = (h ^ x->dst[d]) * 1099511628211ull;
    return h;
}

static uint32_t dst_list(DstLists *l, const AsmSend *x) {
    size_t i = dst_hash(x) & (l->cap - 1);
    for (; l->table[i].send; i = (i + 1) & (l->cap - 1)) {
        const AsmSend *y = l->table[i].send;
        if (y->ndst == x->ndst && memcmp(y->dst, x->dst, x->ndst * sizeof *x->dst) == 0)
            return l->table[i].at;
    }
    l->table[i] = (struct DstKey){x, l->n};
    for (size_t d = 0; d < x->ndst; d++) put32(&l->words, x->dst[d]);
    l->n += (uint32_t)x->ndst;
    return l->table[i].at;
}

/* At least the size of .acc.exchange (its destination lists before
 * sharing). */
static uint64_t exchange_bytes(const AsmImage *img) {
    uint64_t n = 32;
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        const AsmTile *tl = &img->tiles[t];
        n += 16 + 32 * (uint64_t)tl->nslots;
        for (size_t k = 0; k < tl->nslots; k++) {
            const AsmSlot *s = &tl->slots[k];
            n += 16 * (uint64_t)s->nsends + 24 * (uint64_t)(s->nrecvs + s->nhostin + s->nhostout);
            for (size_t i = 0; i < s->nsends; i++) n += 4 * (uint64_t)s->sends[i].ndst;
        }
    }
    return n;
}

static void write_exchange(const AsmImage *img, StrBuf *b) {
    uint32_t ntables = 0, nslots = 0, nsends = 0, nrecvs = 0, nhin = 0, nhout = 0;
    size_t *used = xmalloc(((size_t)img->machine.tiles + 1) * sizeof *used);
    for (uint32_t t = 0; t < img->machine.tiles; t++) used[t] = used_slots(&img->tiles[t]);
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        size_t n = used[t];
        if (!n) continue;
        ntables++;
        nslots += (uint32_t)n;
        for (size_t k = 0; k < n; k++) {
            const AsmSlot *s = &img->tiles[t].slots[k];
            nsends += (uint32_t)s->nsends;
            nrecvs += (uint32_t)s->nrecvs;
            nhin += (uint32_t)s->nhostin;
            nhout += (uint32_t)s->nhostout;
        }
    }
    DstLists dl = {0};
    sb_init(&dl.words);
    dl.cap = 16;
    while (dl.cap < 2 * (size_t)nsends) dl.cap *= 2;
    dl.table = xcalloc(dl.cap, sizeof *dl.table);
    dl.at = xmalloc(((size_t)nsends + 1) * sizeof *dl.at);
    for (uint32_t t = 0; t < img->machine.tiles; t++)
        for (size_t k = 0; k < used[t]; k++) {
            const AsmSlot *s = &img->tiles[t].slots[k];
            for (size_t i = 0; i < s->nsends; i++) dl.at[dl.nsends++] = dst_list(&dl, &s->sends[i]);
        }
    uint32_t ndsts = dl.n;
    uint32_t counts[8] = {ntables, nslots, nsends, ndsts, nrecvs, nhin, nhout, 0};
    for (int i = 0; i < 8; i++) put32(b, counts[i]);
    uint32_t slot = 0, send = 0, recv = 0, hin = 0, hout = 0;
    size_t si = 0;
    for (uint32_t t = 0; t < img->machine.tiles; t++) { /* tables */
        size_t n = used[t];
        if (!n) continue;
        put32(b, t);
        put32(b, slot);
        put32(b, (uint32_t)n);
        put32(b, 0);
        slot += (uint32_t)n;
    }
    for (uint32_t t = 0; t < img->machine.tiles; t++) /* slots */
        for (size_t k = 0; k < used[t]; k++) {
            const AsmSlot *s = &img->tiles[t].slots[k];
            uint32_t v[8] = {send, (uint32_t)s->nsends,  recv, (uint32_t)s->nrecvs,
                             hin,  (uint32_t)s->nhostin, hout, (uint32_t)s->nhostout};
            for (int i = 0; i < 8; i++) put32(b, v[i]);
            send += (uint32_t)s->nsends;
            recv += (uint32_t)s->nrecvs;
            hin += (uint32_t)s->nhostin;
            hout += (uint32_t)s->nhostout;
        }
#define EACH_SLOT(body)                                                                            \
    for (uint32_t t = 0; t < img->machine.tiles; t++)                                              \
        for (size_t k = 0; k < used[t]; k++) {                                                     \
            const AsmSlot *s = &img->tiles[t].slots[k];                                            \
            body                                                                                   \
        }
    EACH_SLOT(for (size_t i = 0; i < s->nsends; i++) {
        put32(b, s->sends[i].src);
        put32(b, s->sends[i].len);
        put32(b, dl.at[si++]);
        put32(b, (uint32_t)s->sends[i].ndst);
    })
    EACH_SLOT(for (size_t i = 0; i < s->nrecvs; i++) {
        put32(b, s->recvs[i].from);
        put32(b, s->recvs[i].dst);
        put32(b, s->recvs[i].len);
        put32(b, s->recvs[i].count);
        put32(b, (uint32_t)s->recvs[i].stride);
        put32(b, 0);
    })
    EACH_SLOT(for (size_t i = 0; i < s->nhostin; i++) {
        put32(b, s->hostin[i].io);
        put32(b, s->hostin[i].addr);
        put32(b, s->hostin[i].len);
        put32(b, 0);
        put64(b, s->hostin[i].offset);
    })
    EACH_SLOT(for (size_t i = 0; i < s->nhostout; i++) {
        put32(b, s->hostout[i].io);
        put32(b, s->hostout[i].addr);
        put32(b, s->hostout[i].len);
        put32(b, 0);
        put64(b, s->hostout[i].offset);
    })
#undef EACH_SLOT
    sb_append(b, dl.words.data, dl.words.len);
    sb_free(&dl.words);
    free(dl.table);
    free(dl.at);
    free(used);
}

static int compare_runs(const void *a, const void *b) {
    const AsmRun *x = a, *y = b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->count != y->count) return x->count < y->count ? -1 : 1;
    return x->stride < y->stride ? -1 : x->stride > y->stride;
}

static void write_io(const AsmImage *img, StrBuf *b, StrBuf *str) {
    size_t nruns = 0;
    for (size_t i = 0; i < img->nios; i++) nruns += img->ios[i].nruns;
    put32(b, (uint32_t)img->nios);
    put32(b, (uint32_t)nruns);
    size_t run = 0;
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        put32(b, add_string(str, io->name));
        put32(b, (uint32_t)io->dtype);
        put32(b, io->output ? 1 : 0);
        put32(b, (uint32_t)io->ndim);
        put32(b, (uint32_t)run);
        put32(b, (uint32_t)io->nruns);
        for (int d = 0; d < ASM_MAX_DIMS; d++) put64(b, d < io->ndim ? (uint64_t)io->shape[d] : 0);
        run += io->nruns;
    }
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        AsmRun *sorted = xmalloc((io->nruns + 1) * sizeof *sorted);
        if (io->nruns) memcpy(sorted, io->runs, io->nruns * sizeof *sorted);
        qsort(sorted, io->nruns, sizeof *sorted, compare_runs);
        for (size_t r = 0; r < io->nruns; r++) {
            put32(b, sorted[r].tile);
            put32(b, sorted[r].addr);
            put64(b, sorted[r].start);
            put64(b, sorted[r].count);
            put64(b, sorted[r].stride);
        }
        free(sorted);
    }
}

typedef struct SymRef {
    uint64_t value;
    const char *name;
} SymRef;

static int compare_symrefs(const void *a, const void *b) {
    const SymRef *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void write_symbols(const AsmImage *img, StrBuf *symtab, StrBuf *strtab) {
    uint32_t *base = xmalloc((img->nprograms + 1) * sizeof *base);
    uint32_t off = 0;
    for (size_t i = 0; i < img->nprograms; i++) {
        base[i] = off;
        off += (uint32_t)img->programs[i].ncode * 4;
    }
    SymRef *refs = xmalloc((img->nsymbols + 1) * sizeof *refs);
    for (size_t i = 0; i < img->nsymbols; i++)
        refs[i] =
            (SymRef){base[img->symbols[i].program] + img->symbols[i].offset, img->symbols[i].name};
    qsort(refs, img->nsymbols, sizeof *refs, compare_symrefs);
    for (int i = 0; i < SYM_SIZE; i++) put8(symtab, 0); /* the null symbol */
    put8(strtab, 0);
    for (size_t i = 0; i < img->nsymbols; i++) {
        put32(symtab, add_string(strtab, refs[i].name));
        put8(symtab, 0); /* STB_LOCAL, STT_NOTYPE */
        put8(symtab, 0);
        put16(symtab, S_TEXT);
        put64(symtab, refs[i].value);
        put64(symtab, 0);
    }
    free(refs);
    free(base);
}

/* The image, written in file order straight into out: the small
 * sections are built first, .acc.segs, .acc.data and .acc.exchange (nearly
 * all of a large binary) in place, and the ELF header, which needs the
 * section headers' offset, last. */
void asm_image_write(const AsmImage *img, StrBuf *out) {
    char err[256];
    if (!asm_image_check(img, err, sizeof err)) ice("writing an invalid image: %s", err);
    StrBuf body[S_COUNT];
    for (int s = 0; s < S_COUNT; s++) sb_init(&body[s]);
    put8(&body[S_STR], 0);
    write_machine(img, &body[S_MACHINE]);
    write_programs(img, &body[S_TEXT], &body[S_PROGS], &body[S_STR]);
    for (uint32_t t = 0; t < img->machine.tiles; t++) put32(&body[S_TILES], img->tiles[t].program);
    write_io(img, &body[S_IO], &body[S_STR]);
    write_symbols(img, &body[S_SYMTAB], &body[S_STRTAB]);
    uint32_t name[S_COUNT];
    put8(&body[S_SHSTRTAB], 0);
    for (int s = 1; s < S_COUNT; s++) name[s] = add_string(&body[S_SHSTRTAB], sections[s].name);
    name[0] = 0;

    const AsmSegment **sorted = xmalloc((img->nsegments + 1) * sizeof *sorted);
    uint64_t data_bytes = 0;
    for (size_t i = 0; i < img->nsegments; i++) {
        sorted[i] = &img->segments[i];
        data_bytes += img->segments[i].size;
    }
    qsort(sorted, img->nsegments, sizeof *sorted, compare_segments);
    size_t count = merged_count(sorted, img->nsegments);

    /* room for all of it: no growing, no copying */
    uint64_t total = ELF_HEADER_SIZE + S_COUNT * (SHDR_SIZE + 16) + 20 * count + data_bytes +
                     exchange_bytes(img);
    for (int s = 1; s < S_COUNT; s++) total += body[s].len;
    sb_clear(out);
    sb_reserve(out, total);
    uint64_t offset[S_COUNT] = {0}, size[S_COUNT] = {0};
    for (int i = 0; i < ELF_HEADER_SIZE; i++) put8(out, 0);
    for (int s = 1; s < S_COUNT; s++) {
        if (s == S_SEGS) {
            write_segments(sorted, img->nsegments, count, out, offset, size);
        } else if (s != S_DATA) { /* (written with the segments) */
            pad(out, sections[s].align);
            offset[s] = out->len;
            if (s == S_EXCHANGE)
                write_exchange(img, out);
            else
                sb_append(out, body[s].data ? body[s].data : "", body[s].len);
            size[s] = out->len - offset[s];
        }
    }
    free(sorted);
    pad(out, 8);
    uint64_t shoff = out->len;
    for (int s = 0; s < S_COUNT; s++) {
        put32(out, name[s]);
        put32(out, sections[s].type);
        put64(out, 0); /* sh_flags: nothing is loaded into host memory */
        put64(out, 0); /* sh_addr */
        put64(out, offset[s]);
        put64(out, size[s]);
        put32(out, s == S_SYMTAB ? S_STRTAB : 0);                       /* sh_link */
        put32(out, s == S_SYMTAB ? (uint32_t)(size[s] / SYM_SIZE) : 0); /* first global */
        put64(out, s ? sections[s].align : 0);
        put64(out, s == S_SYMTAB ? SYM_SIZE : 0);
    }

    StrBuf h;
    sb_init(&h);
    sb_append(&h, "\177ELF", 4);
    put8(&h, 2); /* ELFCLASS64 */
    put8(&h, 1); /* ELFDATA2LSB */
    put8(&h, 1); /* EV_CURRENT */
    put8(&h, 0); /* ELFOSABI_NONE */
    for (int i = 8; i < 16; i++) put8(&h, 0);
    put16(&h, ET_EXEC);
    put16(&h, ASM_EM_ACC1);
    put32(&h, 1);     /* e_version */
    put64(&h, 0);     /* e_entry */
    put64(&h, 0);     /* e_phoff */
    put64(&h, shoff); /* e_shoff */
    put32(&h, 0);     /* e_flags */
    put16(&h, ELF_HEADER_SIZE);
    put16(&h, 0); /* e_phentsize */
    put16(&h, 0); /* e_phnum */
    put16(&h, SHDR_SIZE);
    put16(&h, S_COUNT);
    put16(&h, S_SHSTRTAB);
    memcpy(out->data, h.data, ELF_HEADER_SIZE);
    sb_free(&h);
    for (int s = 0; s < S_COUNT; s++) sb_free(&body[s]);
}

int asm_image_save(const AsmImage *img, const char *path, char *err, size_t errlen) {
    StrBuf out;
    sb_init(&out);
    asm_image_write(img, &out);
    int rc = file_write_atomic(path, out.data, out.len, err, errlen);
    sb_free(&out);
    return rc;
}

/* ---- reader ----------------------------------------------------------------------------- */

typedef struct Section {
    const uint8_t *data;
    uint64_t size;
    bool present;
} Section;

typedef struct Reader {
    const uint8_t *file;
    size_t len;
    Section sec[S_COUNT];
    char *err;
    size_t errlen;
} Reader;

static bool bad(Reader *r, const char *fmt, ...) ACC_PRINTF(2, 3);
static bool bad(Reader *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return false;
}

static uint32_t get16(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p) {
    return get16(p) | get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p) {
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A table of count entries of `entry` bytes at byte `at` of section s. */
static const uint8_t *table_at(Reader *r, int s, uint64_t at, uint64_t count, uint64_t entry,
                               const char *what) {
    const Section *sec = &r->sec[s];
    if (at > sec->size || count > (sec->size - at) / entry) {
        bad(r, "section '%s': %llu %s do not fit in its %llu bytes", sections[s].name,
            (unsigned long long)count, what, (unsigned long long)sec->size);
        return NULL;
    }
    return sec->data + at;
}

/* A NUL-terminated string at offset off of string section s. */
static const char *string_at(Reader *r, int s, uint32_t off) {
    const Section *sec = &r->sec[s];
    if (off >= sec->size || !memchr(sec->data + off, 0, sec->size - off)) {
        bad(r, "section '%s': no string at offset %u", sections[s].name, off);
        return NULL;
    }
    return (const char *)sec->data + off;
}

static bool read_sections(Reader *r) {
    const uint8_t *h = r->file;
    if (r->len < ELF_HEADER_SIZE || memcmp(h, "\177ELF", 4)) return bad(r, "not an ELF file");
    if (h[4] != 2 || h[5] != 1) return bad(r, "not a 64-bit little-endian ELF file");
    if (h[6] != 1 || get32(h + 20) != 1) return bad(r, "unknown ELF version");
    if (get16(h + 18) != ASM_EM_ACC1)
        return bad(r, "not an ACC-1 binary (e_machine is 0x%x, not 0x%x)", get16(h + 18),
                   ASM_EM_ACC1);
    if (get16(h + 16) != ET_EXEC) return bad(r, "not an executable (e_type %u)", get16(h + 16));
    uint64_t shoff = get64(h + 40);
    uint32_t shentsize = get16(h + 58), shnum = get16(h + 60), shstrndx = get16(h + 62);
    if (shentsize != SHDR_SIZE) return bad(r, "section headers of %u bytes, not 64", shentsize);
    if (shnum == 0 || shoff > r->len || shnum > (r->len - shoff) / SHDR_SIZE)
        return bad(r, "section header table (%u entries at %llu) lies outside the file's %zu bytes",
                   shnum, (unsigned long long)shoff, r->len);
    if (shstrndx >= shnum) return bad(r, "section name table index %u out of range", shstrndx);
    const uint8_t *names = NULL;
    uint64_t names_size = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < shnum; i++) {
            const uint8_t *sh = r->file + shoff + (uint64_t)i * SHDR_SIZE;
            uint32_t type = get32(sh + 4);
            uint64_t off = get64(sh + 24), size = get64(sh + 32);
            if (type != 0 && type != 8 /* SHT_NOBITS */ && (off > r->len || size > r->len - off))
                return bad(r, "section %u (%llu bytes at %llu) lies outside the file's %zu bytes",
                           i, (unsigned long long)size, (unsigned long long)off, r->len);
            if (pass == 0) {
                if (i == shstrndx) {
                    if (type != SHT_STRTAB)
                        return bad(r, "section name table is not a string table");
                    names = r->file + off;
                    names_size = size;
                }
                continue;
            }
            uint32_t name = get32(sh);
            if (name >= names_size || !memchr(names + name, 0, names_size - name))
                return bad(r, "section %u has no name", i);
            for (int s = 1; s < S_COUNT; s++) {
                if (strcmp((const char *)names + name, sections[s].name)) continue;
                if (r->sec[s].present)
                    return bad(r, "two sections are called '%s'", sections[s].name);
                if (type != sections[s].type)
                    return bad(r, "section '%s' has type %u, not %u", sections[s].name, type,
                               sections[s].type);
                r->sec[s] = (Section){r->file + off, size, true};
            }
        }
    for (int s = 1; s < S_COUNT; s++)
        if (!r->sec[s].present && s != S_SYMTAB && s != S_STRTAB)
            return bad(r, "missing section '%s'", sections[s].name);
    return true;
}

static bool read_machine(Reader *r, IsaMachine *m) {
    const Section *s = &r->sec[S_MACHINE];
    if (s->size < MACHINE_HEADER) return bad(r, "section '.acc.machine' is too short");
    if (get32(s->data) != FORMAT_MAGIC)
        return bad(r, "section '.acc.machine' has a bad magic number");
    if (get16(s->data + 4) != FORMAT_VERSION)
        return bad(r, "binary format version %u; this accc reads version %d", get16(s->data + 4),
                   FORMAT_VERSION);
    uint32_t nfields = get16(s->data + 6);
    if (nfields != ISA_MACHINE_FIELDS || s->size != MACHINE_HEADER + 4ull * nfields)
        return bad(r, "section '.acc.machine' holds %u fields in %llu bytes; expected %d", nfields,
                   (unsigned long long)s->size, ISA_MACHINE_FIELDS);
    memset(m, 0, sizeof *m);
    if (!memchr(s->data + 8, 0, 16)) return bad(r, "the preset name is not terminated");
    memcpy(m->preset, s->data + 8, 16);
    for (uint32_t f = 0; f < nfields; f++)
        isa_machine_set(m, (int)f, get32(s->data + MACHINE_HEADER + 4 * f));
    const char *why = isa_machine_check(m);
    if (why) return bad(r, "bad machine description: %s", why);
    return true;
}

static bool read_programs(Reader *r, AsmImage *img) {
    const Section *s = &r->sec[S_PROGS];
    if (s->size < 8) return bad(r, "section '.acc.progs' is too short");
    uint32_t nprogs = get32(s->data), nregions = get32(s->data + 4);
    const uint8_t *p = table_at(r, S_PROGS, 8, nprogs, 20, "programs");
    const uint8_t *g = p ? table_at(r, S_PROGS, 8 + 20ull * nprogs, nregions, 8, "regions") : NULL;
    if (!g) return false;
    if (r->sec[S_TEXT].size % 4) return bad(r, "section '.acc.text' is not whole instructions");
    for (uint32_t i = 0; i < nprogs; i++, p += 20) {
        const char *name = string_at(r, S_STR, get32(p));
        if (!name) return false;
        uint32_t off = get32(p + 4), size = get32(p + 8), first = get32(p + 12), n = get32(p + 16);
        if (off % 4 || size % 4 || off > r->sec[S_TEXT].size || size > r->sec[S_TEXT].size - off)
            return bad(r, "program '%s': code 0x%x..0x%llx lies outside '.acc.text'", name, off,
                       (unsigned long long)off + size);
        if (first > nregions || n > nregions - first)
            return bad(r, "program '%s': regions %u..%llu out of range", name, first,
                       (unsigned long long)first + n);
        uint32_t prog = asm_image_add_program(img, name);
        uint32_t *words = xmalloc(size + 4);
        for (uint32_t w = 0; w < size / 4; w++) words[w] = get32(r->sec[S_TEXT].data + off + 4 * w);
        asm_program_append(img, prog, words, size / 4);
        free(words);
        AsmProgram *pg = &img->programs[prog];
        for (uint32_t k = 0; k < n; k++) {
            XGROW(pg->regions, pg->capregions, pg->nregions + 1);
            pg->regions[pg->nregions].start = get32(g + 8ull * (first + k));
            pg->regions[pg->nregions].context = (AsmContext)get32(g + 8ull * (first + k) + 4);
            pg->nregions++;
        }
    }
    return true;
}

static bool read_tiles(Reader *r, AsmImage *img) {
    const Section *s = &r->sec[S_TILES];
    if (s->size != 4ull * img->machine.tiles)
        return bad(r, "section '.acc.tiles' has %llu bytes for %u tiles",
                   (unsigned long long)s->size, img->machine.tiles);
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        uint32_t prog = get32(s->data + 4 * t);
        if (prog != ASM_NO_PROGRAM && prog >= img->nprograms)
            return bad(r, "tile %u runs program %u, but there are %zu programs", t, prog,
                       img->nprograms);
        img->tiles[t].program = prog;
    }
    return true;
}

static bool read_segments(Reader *r, AsmImage *img) {
    const Section *s = &r->sec[S_SEGS];
    if (s->size < 4) return bad(r, "section '.acc.segs' is too short");
    uint32_t n = get32(s->data);
    const uint8_t *e = table_at(r, S_SEGS, 4, n, 16, "segments");
    if (!e) return false;
    for (uint32_t i = 0; i < n; i++, e += 16) {
        uint32_t tile = get32(e), addr = get32(e + 4), size = get32(e + 8), off = get32(e + 12);
        if (tile >= img->machine.tiles)
            return bad(r, "segment %u is for tile %u, but the machine has %u tiles", i, tile,
                       img->machine.tiles);
        if (off > r->sec[S_DATA].size || size > r->sec[S_DATA].size - off)
            return bad(r, "segment %u: data 0x%x..0x%llx lies outside '.acc.data'", i, off,
                       (unsigned long long)off + size);
        if (!size) return bad(r, "segment %u is empty", i);
        asm_image_add_data(img, tile, addr, r->sec[S_DATA].data + off, size);
    }
    return true;
}

static bool read_exchange(Reader *r, AsmImage *img) {
    const Section *s = &r->sec[S_EXCHANGE];
    if (s->size < 32) return bad(r, "section '.acc.exchange' is too short");
    uint32_t n[7];
    for (int i = 0; i < 7; i++) n[i] = get32(s->data + 4 * i);
    static const uint32_t entry[7] = {16, 32, 16, 4, 24, 24, 24};
    static const char *const what[7] = {"tables",          "slots",    "sends",
                                        "destinations",    "receives", "host-in streams",
                                        "host-out streams"};
    /* File order: tables, slots, sends, receives, host in, host out, destinations. */
    static const int order[7] = {0, 1, 2, 4, 5, 6, 3};
    const uint8_t *at[7];
    uint64_t pos = 32;
    for (int k = 0; k < 7; k++) {
        int i = order[k];
        at[i] = table_at(r, S_EXCHANGE, pos, n[i], entry[i], what[i]);
        if (!at[i]) return false;
        pos += (uint64_t)n[i] * entry[i];
    }
    int64_t last_tile = -1;
    for (uint32_t t = 0; t < n[0]; t++) {
        const uint8_t *e = at[0] + 16ull * t;
        uint32_t tile = get32(e), first = get32(e + 4), count = get32(e + 8);
        if (tile >= img->machine.tiles || (int64_t)tile <= last_tile)
            return bad(r, "exchange table %u: tile %u out of range or out of order", t, tile);
        last_tile = tile;
        if (first > n[1] || count > n[1] - first || count > MAX_SLOTS)
            return bad(r, "exchange table of tile %u: slots out of range", tile);
        for (uint32_t k = 0; k < count; k++) {
            const uint8_t *sl = at[1] + 32ull * (first + k);
            AsmSlot *slot = asm_image_slot(img, tile, k);
            uint32_t v[8];
            for (int i = 0; i < 8; i++) v[i] = get32(sl + 4 * i);
            /* (first, count) pairs index sends, receives, host in, host out */
            static const int kinds[4] = {2, 4, 5, 6};
            for (int j = 0; j < 4; j++)
                if (v[2 * j] > n[kinds[j]] || v[2 * j + 1] > n[kinds[j]] - v[2 * j])
                    return bad(r, "tile %u slot %u: %s out of range", tile, k, what[kinds[j]]);
            for (uint32_t i = 0; i < v[1]; i++) {
                const uint8_t *x = at[2] + 16ull * (v[0] + i);
                uint32_t dfirst = get32(x + 8), dcount = get32(x + 12);
                if (dfirst > n[3] || dcount > n[3] - dfirst)
                    return bad(r, "tile %u slot %u: send %u destinations out of range", tile, k, i);
                uint32_t *dst = xmalloc(((size_t)dcount + 1) * sizeof *dst);
                for (uint32_t d = 0; d < dcount; d++) dst[d] = get32(at[3] + 4ull * (dfirst + d));
                asm_slot_add_send(slot, get32(x), get32(x + 4), dst, dcount);
                free(dst);
            }
            for (uint32_t i = 0; i < v[3]; i++) {
                const uint8_t *x = at[4] + 24ull * (v[2] + i);
                uint32_t pieces = get32(x + 12);
                if (!pieces || pieces > ASM_RECV_GROUP_MAX)
                    return bad(r, "tile %u slot %u: receive %u is a group of %u", tile, k, i,
                               pieces);
                /* added one by one: the canonical groups, whatever the file's */
                uint32_t dst = get32(x + 4);
                for (uint32_t j = 0; j < pieces; j++, dst += get32(x + 16))
                    asm_slot_add_recv(slot, get32(x), dst, get32(x + 8));
            }
            for (uint32_t i = 0; i < v[5]; i++) {
                const uint8_t *x = at[5] + 24ull * (v[4] + i);
                asm_slot_add_hostin(slot, get32(x), get64(x + 16), get32(x + 4), get32(x + 8));
            }
            for (uint32_t i = 0; i < v[7]; i++) {
                const uint8_t *x = at[6] + 24ull * (v[6] + i);
                asm_slot_add_hostout(slot, get32(x), get64(x + 16), get32(x + 4), get32(x + 8));
            }
        }
    }
    return true;
}

static bool read_io(Reader *r, AsmImage *img) {
    const Section *s = &r->sec[S_IO];
    if (s->size < 8) return bad(r, "section '.acc.io' is too short");
    uint32_t nios = get32(s->data), nruns = get32(s->data + 4);
    const uint8_t *e = table_at(r, S_IO, 8, nios, 88, "tensors");
    const uint8_t *runs = e ? table_at(r, S_IO, 8 + 88ull * nios, nruns, 32, "runs") : NULL;
    if (!runs) return false;
    for (uint32_t i = 0; i < nios; i++, e += 88) {
        const char *name = string_at(r, S_STR, get32(e));
        if (!name) return false;
        uint32_t dtype = get32(e + 4), flags = get32(e + 8), ndim = get32(e + 12);
        uint32_t first = get32(e + 16), count = get32(e + 20);
        if (ndim > ASM_MAX_DIMS) return bad(r, "tensor '%s' has %u dimensions", name, ndim);
        if (flags > 1) return bad(r, "tensor '%s' has unknown flags 0x%x", name, flags);
        if (dtype >= ACC_DTYPE_COUNT) return bad(r, "tensor '%s' has element type %u", name, dtype);
        if (first > nruns || count > nruns - first)
            return bad(r, "tensor '%s': runs out of range", name);
        int64_t shape[ASM_MAX_DIMS];
        for (uint32_t d = 0; d < ndim; d++) {
            uint64_t v = get64(e + 24 + 8 * d);
            if (v > ((uint64_t)1 << 48))
                return bad(r, "tensor '%s' has a dimension of %llu", name, (unsigned long long)v);
            shape[d] = (int64_t)v;
        }
        uint32_t io = asm_image_add_io(img, name, (AccDtype)dtype, flags & 1, (int)ndim, shape);
        for (uint32_t k = 0; k < count; k++) {
            const uint8_t *x = runs + 32ull * (first + k);
            uint32_t tile = get32(x);
            if (tile >= img->machine.tiles)
                return bad(r, "tensor '%s': run %u is on tile %u, but the machine has %u tiles",
                           name, k, tile, img->machine.tiles);
            asm_image_add_run(img, io, tile, get32(x + 4), get64(x + 8), get64(x + 16),
                              get64(x + 24));
        }
    }
    return true;
}

static bool read_symbols(Reader *r, AsmImage *img) {
    const Section *s = &r->sec[S_SYMTAB];
    if (!s->present) return true;
    if (!r->sec[S_STRTAB].present) return bad(r, "'.symtab' without '.strtab'");
    if (s->size % SYM_SIZE || s->size == 0) return bad(r, "section '.symtab' has a partial entry");
    uint64_t total = r->sec[S_TEXT].size;
    for (uint64_t i = 1; i < s->size / SYM_SIZE; i++) {
        const uint8_t *e = s->data + i * SYM_SIZE;
        const char *name = string_at(r, S_STRTAB, get32(e));
        if (!name) return false;
        uint64_t value = get64(e + 8);
        if (get16(e + 6) != S_TEXT || value > total)
            return bad(r, "symbol '%s' is not a code address", name);
        if (!img->nprograms) return bad(r, "symbol '%s' but no programs", name);
        /* The program holding value; the end of the text belongs to the last one. */
        uint32_t prog = 0;
        uint64_t base = 0;
        while (prog + 1 < img->nprograms && value >= base + img->programs[prog].ncode * 4)
            base += img->programs[prog++].ncode * 4;
        asm_image_add_symbol(img, prog, (uint32_t)(value - base), name);
    }
    return true;
}

AsmImage *asm_image_read(const void *data, size_t len, char *err, size_t errlen) {
    Reader r = {.file = data, .len = len, .err = err, .errlen = errlen};
    IsaMachine m;
    if (!read_sections(&r) || !read_machine(&r, &m)) return NULL;
    AsmImage *img = asm_image_new(&m);
    if (!read_programs(&r, img) || !read_tiles(&r, img) || !read_segments(&r, img) ||
        !read_exchange(&r, img) || !read_io(&r, img) || !read_symbols(&r, img) ||
        !asm_image_check(img, err, errlen)) {
        asm_image_free(img);
        return NULL;
    }
    return img;
}

AsmImage *asm_image_load(const char *path, char *err, size_t errlen) {
    size_t len;
    char *data = file_read(path, &len, err, errlen);
    if (!data) return NULL;
    char why[512];
    AsmImage *img = asm_image_read(data, len, why, sizeof why);
    if (!img) snprintf(err, errlen, "%s: %s", path, why);
    free(data);
    return img;
}

bool asm_list_sections(const void *data, size_t len, StrBuf *out, char *err, size_t errlen) {
    Reader r = {.file = data, .len = len, .err = err, .errlen = errlen};
    if (!read_sections(&r)) return false;
    sb_puts(out, "Idx Name            Size      Offset    Align\n");
    for (int s = 1; s < S_COUNT; s++) {
        if (!r.sec[s].present) continue;
        sb_printf(out, "%3d %-15s %08llx  %08llx  %u\n", s, sections[s].name,
                  (unsigned long long)r.sec[s].size, (unsigned long long)(r.sec[s].data - r.file),
                  sections[s].align);
    }
    return true;
}

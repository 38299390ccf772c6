/*
 * The in-memory binary: building it, and the rules every binary obeys.
 *
 * Builder calls take indices the caller got from the builder (programs,
 * ios) or the machine (tiles); an index out of range is a bug in the
 * caller and stops with ice(). Everything a file could get wrong is
 * checked by asm_image_check, which the ELF reader runs on every file and
 * the assembler runs before writing one.
 */
#include "asm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

AsmImage *asm_image_new(const IsaMachine *m) {
    AsmImage *img = xcalloc(1, sizeof *img);
    img->machine = *m;
    arena_init(&img->arena);
    img->tiles = xcalloc(m->tiles ? m->tiles : 1, sizeof *img->tiles);
    for (uint32_t t = 0; t < m->tiles; t++) img->tiles[t].program = ASM_NO_PROGRAM;
    return img;
}

static void free_slot(AsmSlot *s) {
    for (size_t i = 0; i < s->nsends; i++) free(s->sends[i].dst);
    free(s->sends);
    free(s->recvs);
    free(s->hostin);
    free(s->hostout);
}

void asm_image_free(AsmImage *img) {
    if (!img) return;
    for (size_t i = 0; i < img->nprograms; i++) {
        free(img->programs[i].code);
        free(img->programs[i].regions);
    }
    free(img->programs);
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        for (size_t s = 0; s < img->tiles[t].nslots; s++) free_slot(&img->tiles[t].slots[s]);
        free(img->tiles[t].slots);
    }
    free(img->tiles);
    free(img->segments);
    for (size_t i = 0; i < img->nios; i++) free(img->ios[i].runs);
    free(img->ios);
    free(img->symbols);
    arena_free(&img->arena);
    free(img);
}

static AsmProgram *program(AsmImage *img, uint32_t prog) {
    if (prog >= img->nprograms) ice("program %u out of range", prog);
    return &img->programs[prog];
}

static void check_tile(const AsmImage *img, uint32_t tile) {
    if (tile >= img->machine.tiles) ice("tile %u out of range", tile);
}

uint32_t asm_image_add_program(AsmImage *img, const char *name) {
    XGROW(img->programs, img->capprograms, img->nprograms + 1);
    AsmProgram *p = &img->programs[img->nprograms];
    memset(p, 0, sizeof *p);
    p->name = arena_strdup(&img->arena, name);
    return (uint32_t)img->nprograms++;
}

int asm_image_find_program(const AsmImage *img, const char *name) {
    for (size_t i = 0; i < img->nprograms; i++)
        if (!strcmp(img->programs[i].name, name)) return (int)i;
    return -1;
}

void asm_program_append(AsmImage *img, uint32_t prog, const uint32_t *words, size_t n) {
    AsmProgram *p = program(img, prog);
    XGROW(p->code, p->capcode, p->ncode + n);
    if (n) memcpy(p->code + p->ncode, words, n * sizeof *words);
    p->ncode += n;
}

void asm_program_set_context(AsmImage *img, uint32_t prog, uint32_t at, AsmContext ctx) {
    AsmProgram *p = program(img, prog);
    /* Drop regions that start at or after `at`: the new one replaces them. */
    while (p->nregions && p->regions[p->nregions - 1].start >= at) p->nregions--;
    if (p->nregions && p->regions[p->nregions - 1].context == ctx) return;
    XGROW(p->regions, p->capregions, p->nregions + 1);
    p->regions[p->nregions].start = at;
    p->regions[p->nregions].context = ctx;
    p->nregions++;
}

uint32_t asm_image_intern_program(AsmImage *img, const char *name, const uint32_t *code, size_t n,
                                  const AsmRegion *regions, size_t nregions) {
    for (size_t i = 0; i < img->nprograms; i++) {
        const AsmProgram *p = &img->programs[i];
        if (p->ncode == n && p->nregions == nregions &&
            (n == 0 || !memcmp(p->code, code, n * sizeof *code)) &&
            (nregions == 0 || !memcmp(p->regions, regions, nregions * sizeof *regions)))
            return (uint32_t)i;
    }
    uint32_t prog = asm_image_add_program(img, name);
    asm_program_append(img, prog, code, n);
    for (size_t i = 0; i < nregions; i++)
        asm_program_set_context(img, prog, regions[i].start, regions[i].context);
    return prog;
}

void asm_image_set_program(AsmImage *img, uint32_t tile, uint32_t prog) {
    check_tile(img, tile);
    if (prog != ASM_NO_PROGRAM) program(img, prog);
    img->tiles[tile].program = prog;
}

void asm_image_add_data(AsmImage *img, uint32_t tile, uint32_t addr, const void *data,
                        uint32_t size) {
    check_tile(img, tile);
    if (!size) return;
    XGROW(img->segments, img->capsegments, img->nsegments + 1);
    AsmSegment *s = &img->segments[img->nsegments++];
    s->tile = tile;
    s->addr = addr;
    s->size = size;
    s->data = arena_alloc(&img->arena, size, 1);
    memcpy(s->data, data, size);
}

AsmSlot *asm_image_slot(AsmImage *img, uint32_t tile, uint32_t slot) {
    check_tile(img, tile);
    AsmTile *t = &img->tiles[tile];
    if (slot >= t->nslots) {
        if (slot >= (1u << 24)) ice("exchange slot %u out of range", slot);
        XGROW(t->slots, t->capslots, (size_t)slot + 1);
        memset(t->slots + t->nslots, 0, (slot + 1 - t->nslots) * sizeof *t->slots);
        t->nslots = (size_t)slot + 1;
    }
    return &t->slots[slot];
}

void asm_slot_add_send(AsmSlot *s, uint32_t src, uint32_t len, const uint32_t *dst, size_t ndst) {
    XGROW(s->sends, s->capsends, s->nsends + 1);
    AsmSend *x = &s->sends[s->nsends++];
    x->src = src;
    x->len = len;
    x->ndst = ndst;
    x->dst = xmalloc((ndst ? ndst : 1) * sizeof *dst);
    if (ndst) memcpy(x->dst, dst, ndst * sizeof *dst);
}

void asm_slot_add_recv(AsmSlot *s, uint32_t from, uint32_t dst, uint32_t len) {
    if (s->nrecvs) {
        AsmRecv *g = &s->recvs[s->nrecvs - 1];
        if (g->from == from && g->len == len && g->count < ASM_RECV_GROUP_MAX) {
            int64_t step = (int64_t)dst - g->dst;
            if (g->count == 1 && step >= INT32_MIN && step <= INT32_MAX) {
                g->stride = (int32_t)step;
                g->count = 2;
                return;
            }
            if (g->count > 1 && step == (int64_t)g->stride * g->count) {
                g->count++;
                return;
            }
        }
    }
    XGROW(s->recvs, s->caprecvs, s->nrecvs + 1);
    s->recvs[s->nrecvs++] = (AsmRecv){from, dst, len, 1, 0};
}

static void add_stream(AsmStream **arr, size_t *n, size_t *cap, uint32_t io, uint64_t offset,
                       uint32_t addr, uint32_t len) {
    XGROW(*arr, *cap, *n + 1);
    (*arr)[(*n)++] = (AsmStream){.io = io, .addr = addr, .len = len, .offset = offset};
}

void asm_slot_add_hostin(AsmSlot *s, uint32_t io, uint64_t offset, uint32_t addr, uint32_t len) {
    add_stream(&s->hostin, &s->nhostin, &s->caphostin, io, offset, addr, len);
}

void asm_slot_add_hostout(AsmSlot *s, uint32_t io, uint64_t offset, uint32_t addr, uint32_t len) {
    add_stream(&s->hostout, &s->nhostout, &s->caphostout, io, offset, addr, len);
}

uint32_t asm_image_add_io(AsmImage *img, const char *name, AccDtype dtype, bool output, int ndim,
                          const int64_t *shape) {
    if (ndim < 0 || ndim > ASM_MAX_DIMS) ice("tensor rank %d out of range", ndim);
    XGROW(img->ios, img->capios, img->nios + 1);
    AsmIo *io = &img->ios[img->nios];
    memset(io, 0, sizeof *io);
    io->name = arena_strdup(&img->arena, name);
    io->dtype = dtype;
    io->output = output;
    io->ndim = ndim;
    for (int i = 0; i < ndim; i++) io->shape[i] = shape[i];
    return (uint32_t)img->nios++;
}

int asm_image_find_io(const AsmImage *img, const char *name) {
    for (size_t i = 0; i < img->nios; i++)
        if (!strcmp(img->ios[i].name, name)) return (int)i;
    return -1;
}

void asm_image_add_run(AsmImage *img, uint32_t io, uint32_t tile, uint32_t addr, uint64_t start,
                       uint64_t count, uint64_t stride) {
    if (io >= img->nios) ice("io %u out of range", io);
    check_tile(img, tile);
    AsmIo *x = &img->ios[io];
    XGROW(x->runs, x->capruns, x->nruns + 1);
    x->runs[x->nruns++] = (AsmRun){tile, addr, start, count, stride};
}

void asm_image_add_symbol(AsmImage *img, uint32_t prog, uint32_t offset, const char *name) {
    program(img, prog);
    XGROW(img->symbols, img->capsymbols, img->nsymbols + 1);
    AsmSymbol *s = &img->symbols[img->nsymbols++];
    s->name = arena_strdup(&img->arena, name);
    s->program = prog;
    s->offset = offset;
}

int64_t asm_io_elements(const AsmIo *io) {
    int64_t n = 1;
    for (int i = 0; i < io->ndim; i++) {
        if (io->shape[i] < 0) return -1;
        if (io->shape[i] && n > ((int64_t)1 << 48) / io->shape[i]) return -1;
        n *= io->shape[i];
    }
    return n;
}

/* ---- validity ------------------------------------------------------------------ */

static bool is_register_name(const char *s) {
    if ((s[0] != 'm' && s[0] != 'a') || !isdigit((unsigned char)s[1])) return false;
    const char *p = s + 1;
    while (isdigit((unsigned char)*p)) p++;
    if (*p == ':' && s[0] == 'a') {
        p++;
        if (!isdigit((unsigned char)*p)) return false;
        while (isdigit((unsigned char)*p)) p++;
    }
    return *p == '\0';
}

bool asm_is_identifier(const char *s) {
    if (!*s || !(isalpha((unsigned char)*s) || strchr("_.$", *s))) return false;
    for (const char *p = s + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("_.$", *p))) return false;
    return !is_register_name(s);
}

typedef struct Checker {
    const AsmImage *img;
    char *err;
    size_t errlen;
} Checker;

static bool fail(Checker *c, const char *fmt, ...) ACC_PRINTF(2, 3);
static bool fail(Checker *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* [addr, addr + len) inside SRAM. */
static bool in_sram(const AsmImage *img, uint64_t addr, uint64_t len) {
    return addr <= img->machine.sram_bytes && len <= img->machine.sram_bytes - addr;
}

static bool check_programs(Checker *c) {
    const AsmImage *img = c->img;
    for (size_t i = 0; i < img->nprograms; i++) {
        const AsmProgram *p = &img->programs[i];
        if (!asm_is_identifier(p->name))
            return fail(c, "program %zu: '%s' is not a valid name", i, p->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(img->programs[j].name, p->name))
                return fail(c, "programs %zu and %zu are both called '%s'", j, i, p->name);
        if (p->ncode == 0) return fail(c, "program '%s' has no code", p->name);
        if (p->ncode > (1u << 28)) return fail(c, "program '%s' is too large", p->name);
        if (p->nregions == 0 || p->regions[0].start != 0 || p->regions[0].context != ASM_SUPERVISOR)
            return fail(c, "program '%s' does not start with supervisor code", p->name);
        for (size_t r = 0; r < p->nregions; r++) {
            const AsmRegion *g = &p->regions[r];
            if (g->context != ASM_SUPERVISOR && g->context != ASM_WORKER)
                return fail(c, "program '%s': code region %zu has an unknown context %d", p->name,
                            r, (int)g->context);
            if (g->start % 4 || g->start >= p->ncode * 4)
                return fail(c, "program '%s': code region %zu starts at 0x%x, outside the code",
                            p->name, r, g->start);
            if (r &&
                (g->start <= p->regions[r - 1].start || g->context == p->regions[r - 1].context))
                return fail(c,
                            "program '%s': code regions %zu and %zu are not in order or not "
                            "distinct",
                            p->name, r - 1, r);
        }
        /* Each instruction is one its region's context may run. */
        size_t r = 0;
        for (size_t w = 0; w < p->ncode; w++) {
            while (r + 1 < p->nregions && p->regions[r + 1].start <= w * 4) r++;
            IsaInsn insn;
            if (!isa_decode(p->code[w], &insn)) continue;
            const IsaInfo *info = isa_info(insn.op);
            bool worker = p->regions[r].context == ASM_WORKER;
            if (!(info->ctx & (worker ? ISA_CTX_W : ISA_CTX_S)))
                return fail(c, "program '%s' at 0x%zx: '%s' is not allowed in %s code", p->name,
                            w * 4, info->mnemonic, worker ? "worker" : "supervisor");
        }
    }
    for (uint32_t t = 0; t < img->machine.tiles; t++)
        if (img->tiles[t].program != ASM_NO_PROGRAM && img->tiles[t].program >= img->nprograms)
            return fail(c, "tile %u runs program %u, but there are %zu programs", t,
                        img->tiles[t].program, img->nprograms);
    return true;
}

static int compare_segments(const void *a, const void *b) {
    const AsmSegment *x = *(AsmSegment *const *)a, *y = *(AsmSegment *const *)b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return 0;
}

static bool check_segments(Checker *c) {
    const AsmImage *img = c->img;
    const AsmSegment **sorted = xmalloc((img->nsegments + 1) * sizeof *sorted);
    for (size_t i = 0; i < img->nsegments; i++) sorted[i] = &img->segments[i];
    qsort(sorted, img->nsegments, sizeof *sorted, compare_segments);
    bool ok = true;
    for (size_t i = 0; ok && i < img->nsegments; i++) {
        const AsmSegment *s = sorted[i];
        if (s->tile >= img->machine.tiles)
            ok = fail(c, "data for tile %u, but the machine has %u tiles", s->tile,
                      img->machine.tiles);
        else if (!s->size)
            ok = fail(c, "empty data segment on tile %u", s->tile);
        else if (!in_sram(img, s->addr, s->size))
            ok = fail(c, "data for tile %u at 0x%x..0x%llx lies outside its %u bytes of SRAM",
                      s->tile, s->addr, (unsigned long long)s->addr + s->size,
                      img->machine.sram_bytes);
        else if (i && sorted[i - 1]->tile == s->tile &&
                 (uint64_t)sorted[i - 1]->addr + sorted[i - 1]->size > s->addr)
            ok = fail(c, "data for tile %u at 0x%x overlaps data at 0x%x..0x%x", s->tile, s->addr,
                      sorted[i - 1]->addr, sorted[i - 1]->addr + sorted[i - 1]->size);
    }
    free(sorted);
    return ok;
}

static uint64_t io_bytes(const AsmIo *io) {
    return (uint64_t)asm_io_elements(io) * dtype_size(io->dtype);
}

static bool check_stream(Checker *c, uint32_t tile, size_t slot, const AsmStream *s, bool out) {
    const AsmImage *img = c->img;
    const char *what = out ? "hostout" : "hostin";
    if (s->io >= img->nios)
        return fail(c, "tile %u slot %zu: %s names tensor %u, but there are %zu", tile, slot, what,
                    s->io, img->nios);
    const AsmIo *io = &img->ios[s->io];
    if (io->output != out)
        return fail(c, "tile %u slot %zu: %s of '%s', which is an %s", tile, slot, what, io->name,
                    io->output ? "output" : "input");
    if (!s->len) return fail(c, "tile %u slot %zu: empty %s", tile, slot, what);
    if (s->offset > io_bytes(io) || s->len > io_bytes(io) - s->offset)
        return fail(c, "tile %u slot %zu: %s of bytes %llu..%llu of '%s', which has %llu bytes",
                    tile, slot, what, (unsigned long long)s->offset,
                    (unsigned long long)(s->offset + s->len), io->name,
                    (unsigned long long)io_bytes(io));
    if (!in_sram(img, s->addr, s->len))
        return fail(c, "tile %u slot %zu: %s at 0x%x..0x%llx lies outside SRAM", tile, slot, what,
                    s->addr, (unsigned long long)s->addr + s->len);
    return true;
}

static bool check_slot(Checker *c, uint32_t tile, size_t k, const AsmSlot *s) {
    const AsmImage *img = c->img;
    uint32_t ntiles = img->machine.tiles;
    for (size_t i = 0; i < s->nsends; i++) {
        const AsmSend *x = &s->sends[i];
        if (!x->len) return fail(c, "tile %u slot %zu: send %zu is empty", tile, k, i);
        if (!in_sram(img, x->src, x->len))
            return fail(c, "tile %u slot %zu: send %zu reads 0x%x..0x%llx, outside SRAM", tile, k,
                        i, x->src, (unsigned long long)x->src + x->len);
        if (!x->ndst) return fail(c, "tile %u slot %zu: send %zu has no destination", tile, k, i);
        for (size_t d = 0; d < x->ndst; d++) {
            if (x->dst[d] >= ntiles)
                return fail(c,
                            "tile %u slot %zu: send %zu goes to tile %u, but the machine has %u "
                            "tiles",
                            tile, k, i, x->dst[d], ntiles);
            for (size_t e = 0; e < d; e++)
                if (x->dst[e] == x->dst[d])
                    return fail(c, "tile %u slot %zu: send %zu names tile %u twice", tile, k, i,
                                x->dst[d]);
        }
    }
    for (size_t i = 0; i < s->nrecvs; i++) {
        const AsmRecv *x = &s->recvs[i];
        if (x->from >= ntiles)
            return fail(c,
                        "tile %u slot %zu: receive %zu from tile %u, but the machine has %u tiles",
                        tile, k, i, x->from, ntiles);
        if (!x->len) return fail(c, "tile %u slot %zu: receive %zu is empty", tile, k, i);
        if (!x->count || x->count > ASM_RECV_GROUP_MAX)
            return fail(c, "tile %u slot %zu: receive %zu is a group of %u", tile, k, i, x->count);
        /* the group's lowest and highest pieces */
        int64_t span = (int64_t)x->stride * (x->count - 1);
        int64_t lo = (int64_t)x->dst + (span < 0 ? span : 0),
                hi = (int64_t)x->dst + (span > 0 ? span : 0) + x->len;
        if (lo < 0 || hi > (int64_t)img->machine.sram_bytes)
            return fail(c, "tile %u slot %zu: receive %zu writes 0x%llx..0x%llx, outside SRAM",
                        tile, k, i, (long long)lo, (long long)hi);
    }
    for (size_t i = 0; i < s->nhostin; i++)
        if (!check_stream(c, tile, k, &s->hostin[i], false)) return false;
    for (size_t i = 0; i < s->nhostout; i++)
        if (!check_stream(c, tile, k, &s->hostout[i], true)) return false;
    return true;
}

static bool check_io(Checker *c, size_t i) {
    const AsmImage *img = c->img;
    const AsmIo *io = &img->ios[i];
    if (!*io->name || strlen(io->name) > 4096) return fail(c, "tensor %zu has no valid name", i);
    for (size_t j = 0; j < i; j++)
        if (!strcmp(img->ios[j].name, io->name))
            return fail(c, "tensors %zu and %zu are both called '%s'", j, i, io->name);
    if ((unsigned)io->dtype >= ACC_DTYPE_COUNT || !(dtype_flags(io->dtype) & DT_IR))
        return fail(c, "tensor '%s' has an unsupported element type %d", io->name, (int)io->dtype);
    if (io->ndim < 0 || io->ndim > ASM_MAX_DIMS)
        return fail(c, "tensor '%s' has %d dimensions (at most %d)", io->name, io->ndim,
                    ASM_MAX_DIMS);
    int64_t n = asm_io_elements(io);
    if (n < 0) return fail(c, "tensor '%s' has a negative or too large shape", io->name);
    size_t esize = dtype_size(io->dtype);
    for (size_t r = 0; r < io->nruns; r++) {
        const AsmRun *run = &io->runs[r];
        if (run->tile >= img->machine.tiles)
            return fail(c, "tensor '%s': run %zu is on tile %u, but the machine has %u tiles",
                        io->name, r, run->tile, img->machine.tiles);
        if (!run->count || !run->stride)
            return fail(c, "tensor '%s': run %zu has a zero count or stride", io->name, r);
        /* The assembler's range for a stride: a binary must disassemble
         * into text that assembles back. */
        if (run->stride > (uint64_t)(n ? n : 1))
            return fail(c,
                        "tensor '%s': run %zu has stride %llu, beyond the tensor's %lld elements",
                        io->name, r, (unsigned long long)run->stride, (long long)n);
        if (run->start >= (uint64_t)n ||
            (run->count - 1) > ((uint64_t)n - 1 - run->start) / run->stride)
            return fail(c, "tensor '%s': run %zu covers elements past the tensor's %lld", io->name,
                        r, (long long)n);
        if (!in_sram(img, run->addr, run->count * esize))
            return fail(c, "tensor '%s': run %zu on tile %u at 0x%x..0x%llx lies outside SRAM",
                        io->name, r, run->tile, run->addr,
                        (unsigned long long)(run->addr + run->count * esize));
    }
    return true;
}

static int compare_names(const void *a, const void *b) {
    return strcmp((*(const AsmSymbol *const *)a)->name, (*(const AsmSymbol *const *)b)->name);
}

static bool check_symbols(Checker *c) {
    const AsmImage *img = c->img;
    for (size_t i = 0; i < img->nsymbols; i++) {
        const AsmSymbol *s = &img->symbols[i];
        if (!asm_is_identifier(s->name) || !strncmp(s->name, ".L", 2))
            return fail(c, "symbol '%s' is not a valid label name (nor a local .L label)", s->name);
        if (s->program >= img->nprograms)
            return fail(c, "symbol '%s' is in program %u, but there are %zu programs", s->name,
                        s->program, img->nprograms);
        const AsmProgram *p = &img->programs[s->program];
        if (s->offset % 4 || s->offset > p->ncode * 4)
            return fail(c, "symbol '%s' at 0x%x is outside program '%s'", s->name, s->offset,
                        p->name);
    }
    const AsmSymbol **sorted = xmalloc((img->nsymbols + 1) * sizeof *sorted);
    for (size_t i = 0; i < img->nsymbols; i++) sorted[i] = &img->symbols[i];
    qsort(sorted, img->nsymbols, sizeof *sorted, compare_names);
    bool ok = true;
    for (size_t i = 1; ok && i < img->nsymbols; i++)
        if (!strcmp(sorted[i - 1]->name, sorted[i]->name))
            ok = fail(c, "symbol '%s' is defined twice", sorted[i]->name);
    free(sorted);
    return ok;
}

bool asm_image_check(const AsmImage *img, char *err, size_t errlen) {
    Checker c = {img, err, errlen};
    const char *why = isa_machine_check(&img->machine);
    if (why) return fail(&c, "bad machine description: %s", why);
    if (isa_preset_lookup(img->machine.preset) < 0)
        return fail(&c, "unknown machine preset '%.16s'", img->machine.preset);
    if (!check_programs(&c) || !check_segments(&c) || !check_symbols(&c)) return false;
    for (size_t i = 0; i < img->nios; i++)
        if (!check_io(&c, i)) return false;
    for (uint32_t t = 0; t < img->machine.tiles; t++)
        for (size_t k = 0; k < img->tiles[t].nslots; k++)
            if (!check_slot(&c, t, k, &img->tiles[t].slots[k])) return false;
    return true;
}

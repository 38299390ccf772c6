/*
 * The assembly text of a compiled image (accc -S): what acc-as turns back
 * into the same binary. The code comes with the compiler's comments (the
 * IR op of each task and kernel); data, exchange tables and layout runs
 * are printed from the image itself, tiles with identical data grouped.
 */
#include "internal.h"

#include <stdlib.h>

static void quote(StrBuf *out, const char *s) {
    sb_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            sb_printf(out, "\\x%02x", *p);
        else
            sb_putc(out, (char)*p);
    }
    sb_putc(out, '"');
}

/* "3", "0..15", "1, 4..6" */
static void tile_list(StrBuf *out, const uint32_t *t, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1] == t[j] + 1) j++;
        sb_printf(out, "%s%u", i ? ", " : "", t[i]);
        if (j > i) sb_printf(out, "..%u", t[j]);
        i = j + 1;
    }
}

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void print_bytes(StrBuf *out, const uint8_t *d, uint32_t size) {
    uint32_t i = 0;
    while (i + 4 <= size) {
        sb_puts(out, "        .word   ");
        for (int k = 0; k < 8 && i + 4 <= size; k++, i += 4) {
            uint32_t w = (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16 |
                         (uint32_t)d[i + 3] << 24;
            sb_printf(out, "%s0x%08x", k ? ", " : "", w);
        }
        sb_putc(out, '\n');
    }
    if (i < size) {
        sb_puts(out, "        .byte   ");
        for (uint32_t k = 0; i < size; i++, k++) sb_printf(out, "%s0x%02x", k ? ", " : "", d[i]);
        sb_putc(out, '\n');
    }
}

/* Segments, grouped: tiles holding the same bytes at the same address. */
static void print_data(const AsmImage *img, StrBuf *out) {
    size_t n = img->nsegments;
    uint64_t *h = xmalloc((n ? n : 1) * sizeof *h);
    bool *done = xcalloc(n ? n : 1, sizeof *done);
    uint32_t *tiles = xmalloc((n ? n : 1) * sizeof *tiles);
    for (size_t i = 0; i < n; i++) h[i] = hash_bytes(img->segments[i].data, img->segments[i].size);
    for (size_t i = 0; i < n; i++) {
        if (done[i]) continue;
        const AsmSegment *s = &img->segments[i];
        size_t nt = 0;
        for (size_t j = i; j < n; j++) {
            const AsmSegment *o = &img->segments[j];
            if (done[j] || h[j] != h[i] || o->addr != s->addr || o->size != s->size ||
                memcmp(o->data, s->data, s->size) != 0)
                continue;
            done[j] = true;
            tiles[nt++] = o->tile;
        }
        sb_puts(out, "        .tiles  ");
        tile_list(out, tiles, nt);
        sb_printf(out, "\n        .org    0x%x\n", s->addr);
        print_bytes(out, s->data, s->size);
    }
    free(h);
    free(done);
    free(tiles);
}

static void print_exchange(const AsmImage *img, StrBuf *out) {
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        const AsmTile *tile = &img->tiles[t];
        bool header = false;
        for (size_t k = 0; k < tile->nslots; k++) {
            const AsmSlot *s = &tile->slots[k];
            if (!s->nsends && !s->nrecvs) continue;
            if (!header) sb_printf(out, "        .tiles  %u\n", t);
            header = true;
            sb_printf(out, "        .slot   %zu\n", k);
            for (size_t i = 0; i < s->nsends; i++) {
                sb_printf(out, "        .send   0x%x, %u, ", s->sends[i].src, s->sends[i].len);
                tile_list(out, s->sends[i].dst, s->sends[i].ndst);
                sb_putc(out, '\n');
            }
            asm_print_recvs(s, out);
        }
    }
}

static void print_layouts(const AsmImage *img, StrBuf *out) {
    uint32_t last = UINT32_MAX;
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        for (size_t r = 0; r < io->nruns; r++) {
            const AsmRun *run = &io->runs[r];
            if (run->tile != last) sb_printf(out, "        .tiles  %u\n", run->tile);
            last = run->tile;
            sb_puts(out, "        .layout ");
            quote(out, io->name);
            sb_printf(out, ", 0x%x, %llu, %llu, %llu\n", run->addr, (unsigned long long)run->start,
                      (unsigned long long)run->count, (unsigned long long)run->stride);
        }
    }
}

void backend_print_asm(const Plan *p, const AsmImage *img, const Code *prog, StrBuf *out) {
    const IsaMachine *m = &img->machine;
    sb_printf(out,
              "; %s compiled by accc for %s: %d supersteps, %d tasks, %d tiles run the program\n",
              p->g->name ? p->g->name : "graph", m->preset, p->nphases, p->ntasks, p->nprog_tiles);
    sb_printf(out, "        .machine %s", m->preset);
    int preset = isa_preset_lookup(m->preset);
    for (int f = 0; f < ISA_MACHINE_FIELDS; f++)
        if (preset < 0 ||
            isa_machine_get(m, f) != isa_machine_get(isa_preset((IsaPreset)preset), f))
            sb_printf(out, ", %s=%u", isa_machine_field_name(f), isa_machine_get(m, f));
    sb_putc(out, '\n');
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        sb_printf(out, "        %-7s ", io->output ? ".output" : ".input");
        quote(out, io->name);
        sb_printf(out, ", %s, [", dtype_name(io->dtype));
        for (int d = 0; d < io->ndim; d++)
            sb_printf(out, "%s%lld", d ? ", " : "", (long long)io->shape[d]);
        sb_puts(out, "]\n");
    }
    if (img->nprograms) {
        sb_puts(out, "\n        .program main\n");
        code_print(prog, out);
        sb_puts(out, "\n; ---- tiles ----------------------------------------------------------\n");
        sb_printf(out, "        .tiles  0..%d\n        .exec   main\n", p->nprog_tiles - 1);
    }
    sb_puts(out, "; data: the step table, argument blocks, constants\n");
    print_data(img, out);
    sb_puts(out, "; the exchange: one slot per barrier\n");
    print_exchange(img, out);
    sb_puts(out, "; where the host puts inputs and finds outputs\n");
    print_layouts(img, out);
}

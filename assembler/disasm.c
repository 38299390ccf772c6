/*
 * acc-objdump: an image back to assembly text that acc-as turns into the
 * same binary, byte for byte. Code labels come from the symbol table;
 * branch targets without one get a local label .Lp<program>_<offset>,
 * which the assembler keeps out of the symbol table again. Words that are
 * not instructions are printed as .word. Data is printed as .word/.byte
 * in hex; floats therefore survive exactly.
 */
#include "asm.h"

#include <stdlib.h>
#include <string.h>

typedef struct Labels {
    const AsmImage *img;
    uint32_t prog;
    size_t size;       /* program bytes */
    const char **name; /* per instruction slot 0..ncode: the first name, or NULL */
    char **local;      /* names we made up, to free */
    size_t *first;     /* symbols at slot w: first[w], then next[...]; SIZE_MAX ends */
    size_t *next;
} Labels;

static const char *label_at(void *ctx, uint32_t target) {
    Labels *L = ctx;
    if (target % 4 || target > L->size) return NULL;
    return L->name[target / 4];
}

static void quote(StrBuf *out, const char *s) {
    sb_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(out, "\\%c", *p);
        else if (*p == '\n')
            sb_puts(out, "\\n");
        else if (*p == '\t')
            sb_puts(out, "\\t");
        else if (*p < 0x20 || *p >= 0x7f)
            sb_printf(out, "\\x%02x", *p);
        else
            sb_putc(out, (char)*p);
    }
    sb_putc(out, '"');
}

static void print_machine(const AsmImage *img, StrBuf *out) {
    const IsaMachine *m = &img->machine;
    sb_printf(out, "        .machine %s", m->preset);
    int p = isa_preset_lookup(m->preset);
    for (int f = 0; f < ISA_MACHINE_FIELDS; f++)
        if (p < 0 || isa_machine_get(m, f) != isa_machine_get(isa_preset((IsaPreset)p), f))
            sb_printf(out, ", %s=%u", isa_machine_field_name(f), isa_machine_get(m, f));
    sb_puts(out, "\n");
}

static void print_ios(const AsmImage *img, StrBuf *out) {
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        sb_printf(out, "        %-7s ", io->output ? ".output" : ".input");
        quote(out, io->name);
        sb_printf(out, ", %s, [", dtype_name(io->dtype));
        for (int d = 0; d < io->ndim; d++)
            sb_printf(out, "%s%lld", d ? ", " : "", (long long)io->shape[d]);
        sb_puts(out, "]\n");
    }
}

/* Names for every place in program p a label must mark. */
static void collect_labels(const AsmImage *img, uint32_t p, Labels *L) {
    const AsmProgram *prog = &img->programs[p];
    L->img = img;
    L->prog = p;
    L->size = prog->ncode * 4;
    L->name = xcalloc(prog->ncode + 1, sizeof *L->name);
    L->local = xcalloc(prog->ncode + 1, sizeof *L->local);
    L->first = xmalloc((prog->ncode + 1) * sizeof *L->first);
    L->next = xmalloc((img->nsymbols + 1) * sizeof *L->next);
    for (size_t w = 0; w <= prog->ncode; w++) L->first[w] = SIZE_MAX;
    /* Chain the symbols of this program by slot, keeping their order. */
    for (size_t i = img->nsymbols; i-- > 0;) {
        const AsmSymbol *sym = &img->symbols[i];
        if (sym->program != p) continue;
        L->next[i] = L->first[sym->offset / 4];
        L->first[sym->offset / 4] = i;
        L->name[sym->offset / 4] = sym->name;
    }
    for (size_t w = 0; w < prog->ncode; w++) {
        IsaInsn insn;
        if (!isa_decode(prog->code[w], &insn)) continue;
        const IsaInfo *info = isa_info(insn.op);
        for (int k = 0; k < info->noperands; k++) {
            IsaKind kind = isa_field(info->operands[k])->kind;
            if (kind != ISA_K_PCREL && kind != ISA_K_PCEND) continue;
            int64_t target = (int64_t)w * 4 + isa_get_operand(&insn, info->operands[k]);
            if (target < 0 || target > (int64_t)L->size || L->name[target / 4]) continue;
            StrBuf sb;
            sb_init(&sb);
            sb_printf(&sb, ".Lp%u_%04llx", p, (unsigned long long)target);
            L->local[target / 4] = sb_take(&sb);
            L->name[target / 4] = L->local[target / 4];
        }
    }
}

static void free_labels(Labels *L) {
    for (size_t i = 0; i <= L->size / 4; i++) free(L->local[i]);
    free(L->local);
    free(L->name);
    free(L->first);
    free(L->next);
}

/* Every name at slot w (symbols may share a place). */
static void print_labels_at(const AsmImage *img, const Labels *L, size_t w, StrBuf *out) {
    if (L->local[w]) sb_printf(out, "%s:\n", L->local[w]);
    for (size_t i = L->first[w]; i != SIZE_MAX; i = L->next[i])
        sb_printf(out, "%s:\n", img->symbols[i].name);
}

static void print_program(const AsmImage *img, uint32_t p, StrBuf *out) {
    const AsmProgram *prog = &img->programs[p];
    Labels L;
    collect_labels(img, p, &L);
    sb_printf(out, "\n        .program %s\n", prog->name);
    size_t region = 0;
    StrBuf line;
    sb_init(&line);
    for (size_t w = 0; w <= prog->ncode; w++) {
        if (region < prog->nregions && prog->regions[region].start == w * 4) {
            sb_printf(out, "        %s\n",
                      prog->regions[region].context == ASM_WORKER ? ".worker" : ".supervisor");
            region++;
        }
        print_labels_at(img, &L, w, out);
        if (w == prog->ncode) break;
        sb_clear(&line);
        IsaInsn insn;
        if (isa_decode(prog->code[w], &insn))
            isa_print(&line, &insn, (uint32_t)w * 4, label_at, &L);
        else
            sb_printf(&line, ".word   0x%08x", prog->code[w]);
        sb_printf(out, "        %-40s ; %04zx: %08x\n", line.data, w * 4, prog->code[w]);
    }
    sb_free(&line);
    free_labels(&L);
}

static void print_data(const AsmSegment *s, StrBuf *out) {
    sb_printf(out, "        .org    0x%x\n", s->addr);
    uint32_t i = 0;
    while (i < s->size) {
        uint32_t addr = s->addr + i;
        if (addr % 4 == 0 && s->size - i >= 4) {
            sb_puts(out, "        .word   ");
            for (int k = 0; k < 8 && s->size - i >= 4; k++, i += 4) {
                const uint8_t *p = s->data + i;
                uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24;
                sb_printf(out, "%s0x%08x", k ? ", " : "", v);
            }
        } else {
            /* bytes up to the next word boundary, or the tail */
            sb_puts(out, "        .byte   ");
            int k = 0;
            do sb_printf(out, "%s0x%02x", k++ ? ", " : "", s->data[i++]);
            while (i < s->size && k < 16 && !((s->addr + i) % 4 == 0 && s->size - i >= 4));
        }
        sb_puts(out, "\n");
    }
}

void asm_print_recvs(const AsmSlot *s, StrBuf *out) {
    for (size_t i = 0; i < s->nrecvs; i++) {
        const AsmRecv *x = &s->recvs[i];
        for (uint32_t j = 0; j < x->count; j++)
            sb_printf(out, "        .recv   %u, 0x%x, %u\n", x->from,
                      x->dst + (uint32_t)x->stride * j, x->len);
    }
}

static void print_send(const AsmSend *x, StrBuf *out) {
    sb_printf(out, "        .send   0x%x, %u", x->src, x->len);
    for (size_t d = 0; d < x->ndst;) {
        size_t e = d;
        while (e + 1 < x->ndst && x->dst[e + 1] == x->dst[e] + 1) e++;
        if (e > d)
            sb_printf(out, ", %u..%u", x->dst[d], x->dst[e]);
        else
            sb_printf(out, ", %u", x->dst[d]);
        d = e + 1;
    }
    sb_puts(out, "\n");
}

static void print_stream(const AsmImage *img, const AsmStream *s, bool out_dir, StrBuf *out) {
    sb_printf(out, "        %-7s ", out_dir ? ".hostout" : ".hostin");
    quote(out, img->ios[s->io].name);
    sb_printf(out, ", %llu, 0x%x, %u\n", (unsigned long long)s->offset, s->addr, s->len);
}

static void print_slots(const AsmImage *img, const AsmTile *t, StrBuf *out) {
    for (size_t k = 0; k < t->nslots; k++) {
        const AsmSlot *s = &t->slots[k];
        if (!s->nsends && !s->nrecvs && !s->nhostin && !s->nhostout) continue;
        sb_printf(out, "        .slot   %zu\n", k);
        for (size_t i = 0; i < s->nsends; i++) print_send(&s->sends[i], out);
        asm_print_recvs(s, out);
        for (size_t i = 0; i < s->nhostin; i++) print_stream(img, &s->hostin[i], false, out);
        for (size_t i = 0; i < s->nhostout; i++) print_stream(img, &s->hostout[i], true, out);
    }
}

static int compare_segments(const void *a, const void *b) {
    const AsmSegment *x = *(AsmSegment *const *)a, *y = *(AsmSegment *const *)b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool has_slots(const AsmTile *t) {
    for (size_t k = 0; k < t->nslots; k++) {
        const AsmSlot *s = &t->slots[k];
        if (s->nsends || s->nrecvs || s->nhostin || s->nhostout) return true;
    }
    return false;
}

/* Runs bucketed by tile, so printing is linear in the image's size. */
typedef struct TileRuns {
    size_t *start; /* runs of tile t: order[start[t] .. start[t+1]) */
    struct {
        uint32_t io;
        const AsmRun *run;
    } * order;
} TileRuns;

static void bucket_runs(const AsmImage *img, TileRuns *tr) {
    size_t n = 0;
    for (size_t i = 0; i < img->nios; i++) n += img->ios[i].nruns;
    tr->start = xcalloc((size_t)img->machine.tiles + 1, sizeof *tr->start);
    tr->order = xmalloc((n + 1) * sizeof *tr->order);
    for (size_t i = 0; i < img->nios; i++)
        for (size_t r = 0; r < img->ios[i].nruns; r++) tr->start[img->ios[i].runs[r].tile + 1]++;
    for (uint32_t t = 0; t < img->machine.tiles; t++) tr->start[t + 1] += tr->start[t];
    size_t *fill = xmalloc(((size_t)img->machine.tiles + 1) * sizeof *fill);
    memcpy(fill, tr->start, ((size_t)img->machine.tiles + 1) * sizeof *fill);
    for (size_t i = 0; i < img->nios; i++)
        for (size_t r = 0; r < img->ios[i].nruns; r++) {
            size_t k = fill[img->ios[i].runs[r].tile]++;
            tr->order[k].io = (uint32_t)i;
            tr->order[k].run = &img->ios[i].runs[r];
        }
    free(fill);
}

static void print_tiles(const AsmImage *img, StrBuf *out) {
    const AsmSegment **segs = xmalloc((img->nsegments + 1) * sizeof *segs);
    for (size_t i = 0; i < img->nsegments; i++) segs[i] = &img->segments[i];
    qsort(segs, img->nsegments, sizeof *segs, compare_segments);
    TileRuns tr;
    bucket_runs(img, &tr);
    size_t seg = 0;
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        const AsmTile *tile = &img->tiles[t];
        bool runs = tr.start[t + 1] > tr.start[t];
        bool data = seg < img->nsegments && segs[seg]->tile == t;
        if (tile->program == ASM_NO_PROGRAM && !data && !runs && !has_slots(tile)) continue;
        sb_printf(out, "\n        .tiles  %u\n", t);
        if (tile->program != ASM_NO_PROGRAM)
            sb_printf(out, "        .exec   %s\n", img->programs[tile->program].name);
        for (; seg < img->nsegments && segs[seg]->tile == t; seg++) print_data(segs[seg], out);
        print_slots(img, tile, out);
        for (size_t k = tr.start[t]; k < tr.start[t + 1]; k++) {
            const AsmRun *run = tr.order[k].run;
            sb_puts(out, "        .layout ");
            quote(out, img->ios[tr.order[k].io].name);
            sb_printf(out, ", 0x%x, %llu, %llu", run->addr, (unsigned long long)run->start,
                      (unsigned long long)run->count);
            if (run->stride != 1) sb_printf(out, ", %llu", (unsigned long long)run->stride);
            sb_puts(out, "\n");
        }
    }
    free(tr.start);
    free(tr.order);
    free(segs);
}

void asm_disassemble(const AsmImage *img, StrBuf *out) {
    sb_printf(out, "; ACC-1 binary for %s: %u tiles, %u bytes of SRAM per tile\n",
              img->machine.preset, img->machine.tiles, img->machine.sram_bytes);
    print_machine(img, out);
    if (img->nios) sb_puts(out, "\n");
    print_ios(img, out);
    for (uint32_t p = 0; p < img->nprograms; p++) print_program(img, p, out);
    print_tiles(img, out);
}

void asm_print_tiles(const AsmImage *img, StrBuf *out) {
    sb_puts(out,
            "tile  program          data-bytes  segments  slots  sends  recvs  hostin  hostout\n");
    uint64_t *bytes = xcalloc((size_t)img->machine.tiles + 1, sizeof *bytes);
    size_t *nseg = xcalloc((size_t)img->machine.tiles + 1, sizeof *nseg);
    for (size_t i = 0; i < img->nsegments; i++) {
        bytes[img->segments[i].tile] += img->segments[i].size;
        nseg[img->segments[i].tile]++;
    }
    for (uint32_t t = 0; t < img->machine.tiles; t++) {
        const AsmTile *tile = &img->tiles[t];
        size_t sends = 0, recvs = 0, hin = 0, hout = 0;
        for (size_t k = 0; k < tile->nslots; k++) {
            sends += tile->slots[k].nsends;
            for (size_t i = 0; i < tile->slots[k].nrecvs; i++)
                recvs += tile->slots[k].recvs[i].count;
            hin += tile->slots[k].nhostin;
            hout += tile->slots[k].nhostout;
        }
        if (tile->program == ASM_NO_PROGRAM && !nseg[t] && !has_slots(tile)) continue;
        sb_printf(out, "%4u  %-16s %10llu  %8zu  %5zu  %5zu  %5zu  %6zu  %7zu\n", t,
                  tile->program == ASM_NO_PROGRAM ? "-" : img->programs[tile->program].name,
                  (unsigned long long)bytes[t], nseg[t], tile->nslots, sends, recvs, hin, hout);
    }
    free(bytes);
    free(nseg);
}

/*
 * Code buffers: instructions with symbolic branch targets and comments,
 * encoded into program words and printed as assembly text.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>

void code_init(Code *c, const char *prefix) {
    memset(c, 0, sizeof *c);
    arena_init(&c->arena);
    c->prefix = arena_strdup(&c->arena, prefix ? prefix : "L");
}

void code_free(Code *c) {
    free(c->insns);
    free(c->labels);
    free(c->lnames);
    free(c->regions);
    arena_free(&c->arena);
    memset(c, 0, sizeof *c);
}

int32_t code_label(Code *c, const char *name) {
    XGROW(c->labels, c->caplabels, c->nlabels + 1);
    XGROW(c->lnames, c->caplnames, c->nlabels + 1);
    c->labels[c->nlabels] = -1;
    if (name)
        c->lnames[c->nlabels] = arena_strdup(&c->arena, name);
    else
        c->lnames[c->nlabels] = arena_printf(&c->arena, ".%s_%zu", c->prefix, c->nlabels);
    return (int32_t)c->nlabels++;
}

void code_bind(Code *c, int32_t label) {
    if (c->labels[label] >= 0) ice("code: label %s bound twice", c->lnames[label]);
    c->labels[label] = (int32_t)c->n;
}

void code_context(Code *c, AsmContext ctx) {
    if (c->nregions && c->regions[c->nregions - 1].context == ctx) return;
    if (c->nregions && c->regions[c->nregions - 1].start == (uint32_t)c->n * 4) {
        c->regions[c->nregions - 1].context = ctx;
        return;
    }
    XGROW(c->regions, c->capregions, c->nregions + 1);
    c->regions[c->nregions++] = (AsmRegion){(uint32_t)c->n * 4, ctx};
}

void code_note(Code *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    StrBuf sb;
    sb_init(&sb);
    if (c->pending_note) sb_puts(&sb, c->pending_note);
    sb_vprintf(&sb, fmt, ap);
    sb_putc(&sb, '\n');
    va_end(ap);
    c->pending_note = arena_strdup(&c->arena, sb.data);
    sb_free(&sb);
}

static Insn *push(Code *c, IsaOp op) {
    XGROW(c->insns, c->cap, c->n + 1);
    Insn *i = &c->insns[c->n++];
    memset(i, 0, sizeof *i);
    i->in.op = op;
    i->target = -1;
    i->note = c->pending_note;
    c->pending_note = NULL;
    return i;
}

void code_op(Code *c, IsaOp op, int d, int a, int b, int32_t imm, int32_t imm2) {
    Insn *i = push(c, op);
    i->in.d = (uint8_t)d;
    i->in.a = (uint8_t)a;
    i->in.b = (uint8_t)b;
    i->in.imm = imm;
    i->in.imm2 = imm2;
}

void code_jump(Code *c, IsaOp op, int d, int a, int32_t label, int32_t imm2) {
    Insn *i = push(c, op);
    i->in.d = (uint8_t)d;
    i->in.a = (uint8_t)a;
    i->in.imm2 = imm2;
    i->target = label;
}

void code_comment(Code *c, const char *fmt, ...) {
    if (!c->n) return;
    va_list ap;
    va_start(ap, fmt);
    StrBuf sb;
    sb_init(&sb);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    c->insns[c->n - 1].comment = arena_strdup(&c->arena, sb.data);
    sb_free(&sb);
}

void code_li(Code *c, int m, int64_t value) {
    int32_t v = (int32_t)(uint32_t)value;
    if (v >= -(1 << 20) && v < (1 << 20)) {
        code_op(c, ISA_LI, m, 0, 0, v, 0);
        return;
    }
    code_op(c, ISA_LI, m, 0, 0, (int32_t)((uint32_t)v & 0xffff), 0);
    code_op(c, ISA_LIH, m, 0, 0, (int32_t)(((uint32_t)v >> 16) & 0xffff), 0);
}

void code_addi(Code *c, int md, int ma, int64_t value, int tmp) {
    if (value >= -65536 && value <= 65535) {
        if (value != 0 || md != ma) code_op(c, ISA_ADDI, md, ma, 0, (int32_t)value, 0);
        return;
    }
    code_li(c, tmp, value);
    code_op(c, ISA_ADD, md, ma, tmp, 0, 0);
}

void code_ali(Code *c, int a, uint32_t bits) {
    code_op(c, ISA_ALIH, a, 0, 0, (int32_t)(bits >> 16), 0);
    if (bits & 0xffff) code_op(c, ISA_ALIL, a, 0, 0, (int32_t)(bits & 0xffff), 0);
}

/* The operand field of op that holds a code address, if any. */
static IsaFieldId target_field(IsaOp op) {
    const IsaInfo *info = isa_info(op);
    for (unsigned k = 0; k < info->noperands; k++) {
        IsaKind kind = isa_field(info->operands[k])->kind;
        if (kind == ISA_K_PCREL || kind == ISA_K_PCEND) return info->operands[k];
    }
    return ISA_F_NONE;
}

static void resolve(const Code *c, size_t i, IsaInsn *out) {
    const Insn *in = &c->insns[i];
    *out = in->in;
    if (in->target < 0) return;
    int32_t at = c->labels[in->target];
    if (at < 0) ice("code: label %s used but not bound", c->lnames[in->target]);
    IsaFieldId f = target_field(in->in.op);
    if (f == ISA_F_NONE) ice("code: %s takes no label", isa_info(in->in.op)->name);
    isa_set_operand(out, f, (int64_t)at * 4 - (int64_t)i * 4);
}

void code_encode(const Code *c, uint32_t *words) {
    for (size_t i = 0; i < c->n; i++) {
        IsaInsn in;
        resolve(c, i, &in);
        const IsaInfo *info = isa_info(in.op);
        for (unsigned k = 0; k < info->noperands; k++) {
            int64_t v = isa_get_operand(&in, info->operands[k]);
            if (!isa_operand_fits(info->operands[k], v)) {
                StrBuf sb;
                sb_init(&sb);
                isa_print(&sb, &in, (uint32_t)i * 4, NULL, NULL);
                ice("code: operand %lld of '%s' does not fit (at %zu)", (long long)v, sb.data, i);
            }
        }
        words[i] = isa_encode(&in);
    }
}

/* ---- Text ------------------------------------------------------------------------- */

typedef struct Names {
    const char **at; /* per instruction slot 0..n: a label bound there */
} Names;

static const char *name_at(void *ctx, uint32_t target) {
    const Names *nm = ctx;
    return nm->at[target / 4];
}

void code_print(const Code *c, StrBuf *out) {
    Names nm;
    nm.at = xcalloc(c->n + 1, sizeof *nm.at);
    /* every label bound at a slot, first one names it for branches */
    const char ***all = xcalloc(c->n + 1, sizeof *all);
    size_t *count = xcalloc(c->n + 1, sizeof *count);
    for (size_t l = 0; l < c->nlabels; l++) {
        int32_t at = c->labels[l];
        if (at < 0) continue;
        all[at] = xrealloc(all[at], (count[at] + 1) * sizeof **all);
        all[at][count[at]++] = c->lnames[l];
        if (!nm.at[at]) nm.at[at] = c->lnames[l];
    }
    size_t region = 0;
    for (size_t i = 0; i <= c->n; i++) {
        while (region < c->nregions && c->regions[region].start == i * 4) {
            sb_puts(out, c->regions[region].context == ASM_WORKER ? "        .worker\n"
                                                                  : "        .supervisor\n");
            region++;
        }
        if (i < c->n && c->insns[i].note) {
            const char *s = c->insns[i].note;
            while (*s) {
                size_t len = strcspn(s, "\n");
                sb_printf(out, "; %.*s\n", (int)len, s);
                s += len + (s[len] == '\n');
            }
        }
        for (size_t k = 0; k < count[i]; k++) sb_printf(out, "%s:\n", all[i][k]);
        if (i == c->n) break;
        IsaInsn in;
        resolve(c, i, &in);
        size_t start = out->len;
        sb_puts(out, "        ");
        isa_print(out, &in, (uint32_t)i * 4, name_at, &nm);
        if (c->insns[i].comment) {
            size_t col = out->len - start;
            do sb_putc(out, ' ');
            while (++col < 40);
            sb_printf(out, "; %s", c->insns[i].comment);
        }
        sb_putc(out, '\n');
    }
    for (size_t i = 0; i <= c->n; i++) free(all[i]);
    free(all);
    free(count);
    free(nm.at);
}

/* ---- Fragments -------------------------------------------------------------------- */

bool code_same(const Code *a, const Code *b) {
    if (a->n != b->n || a->nregions != b->nregions) return false;
    for (size_t i = 0; i < a->n; i++) {
        const Insn *x = &a->insns[i], *y = &b->insns[i];
        if (memcmp(&x->in, &y->in, sizeof x->in) != 0) return false;
        int32_t tx = x->target >= 0 ? a->labels[x->target] : -1,
                ty = y->target >= 0 ? b->labels[y->target] : -1;
        if (tx != ty) return false;
    }
    for (size_t r = 0; r < a->nregions; r++)
        if (a->regions[r].start != b->regions[r].start ||
            a->regions[r].context != b->regions[r].context)
            return false;
    return true;
}

uint64_t code_hash(const Code *c) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < c->n; i++) {
        const Insn *x = &c->insns[i];
        uint32_t v[7] = {(uint32_t)x->in.op,
                         x->in.d,
                         x->in.a,
                         x->in.b,
                         (uint32_t)x->in.imm,
                         (uint32_t)x->in.imm2,
                         (uint32_t)(x->target >= 0 ? c->labels[x->target] : -1)};
        for (int k = 0; k < 7; k++) h = (h ^ v[k]) * 1099511628211ull;
    }
    return h;
}

int32_t code_append(Code *dst, const Code *src) {
    int32_t base = (int32_t)dst->nlabels;
    size_t at = dst->n;
    for (size_t l = 0; l < src->nlabels; l++) {
        int32_t id = code_label(dst, src->lnames[l]);
        dst->labels[id] = src->labels[l] >= 0 ? src->labels[l] + (int32_t)at : -1;
    }
    for (size_t r = 0; r < src->nregions; r++) {
        size_t save = dst->n;
        dst->n = at + src->regions[r].start / 4;
        code_context(dst, src->regions[r].context);
        dst->n = save;
    }
    for (size_t i = 0; i < src->n; i++) {
        XGROW(dst->insns, dst->cap, dst->n + 1);
        Insn in = src->insns[i];
        if (in.target >= 0) in.target += base;
        in.note = in.note ? arena_strdup(&dst->arena, in.note) : NULL;
        in.comment = in.comment ? arena_strdup(&dst->arena, in.comment) : NULL;
        dst->insns[dst->n++] = in;
    }
    return base;
}

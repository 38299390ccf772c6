/*
 * acc-as: ACC-1 assembly text to an AsmImage, in two passes.
 *
 * Pass 1 reads every line (following .include), lays out code and data,
 * defines labels, and turns each statement into a Stmt whose operands are
 * register numbers or unevaluated expressions. Instruction operands are
 * matched against the syntax templates of the instruction table: a
 * mnemonic may have several rows (ldw, ldw.pi, ldw.pr) and the shape of
 * the operands picks one. Pass 2 evaluates every expression (labels may
 * be used before they are defined), checks ranges, encodes, and fills the
 * image. Statements that apply to a set of tiles (data, exchange slots,
 * tensor layouts) are evaluated once per tile, with @tile bound.
 *
 * Every error is reported with file:line:col and the line is skipped; the
 * assembler goes on to find the rest. docs/binary-format.md describes the
 * directives.
 */
#include "asmint.h"

#include <stdlib.h>
#include <string.h>

const DataKindInfo asm_data_kinds[] = {
    [D_BYTE] = {".byte", 1, false}, [D_HALF] = {".half", 2, false},
    [D_WORD] = {".word", 4, false}, [D_DWORD] = {".dword", 8, false},
    [D_F16] = {".f16", 2, true},    [D_BF16] = {".bf16", 2, true},
    [D_F32] = {".f32", 4, true},
};
_Static_assert(sizeof asm_data_kinds / sizeof asm_data_kinds[0] == D_COUNT,
               "one entry per data kind");

/* ---- pass 2 ------------------------------------------------------------------------------------
 */

static void emit_insn(Asm *A, const Stmt *s) {
    const IsaInfo *info = isa_info(s->op);
    IsaInsn insn = {.op = s->op};
    Env env = {A, -1, true};
    bool ok = true;
    for (int i = 0; i < s->nops; i++) {
        const Operand *o = &s->ops[i];
        const IsaFieldInfo *f = isa_field(o->field);
        int64_t v = o->value, min, max, step;
        isa_operand_range(o->field, &min, &max, &step);
        if (o->is_expr) {
            Value val;
            if (!asm_eval(&env, o->expr, &val)) {
                ok = false;
                continue;
            }
            v = val.v;
            if (f->kind == ISA_K_PCREL || f->kind == ISA_K_PCEND) {
                if (val.prog >= 0 && val.prog != (int)s->prog) {
                    diag_error(A->diag, o->loc,
                               "'%s' jumps to program '%s'; targets must be in program '%s'",
                               info->mnemonic, A->img->programs[val.prog].name,
                               A->img->programs[s->prog].name);
                    ok = false;
                    continue;
                }
                if (v % 4) {
                    diag_error(A->diag, o->loc, "target 0x%llx is not a multiple of 4",
                               (long long)v);
                    ok = false;
                    continue;
                }
                v -= s->offset;
            }
        }
        if (isa_operand_fits(o->field, v)) {
            isa_set_operand(&insn, o->field, v);
            continue;
        }
        ok = false;
        if (f->kind == ISA_K_PCEND && v < 4)
            diag_error(A->diag, o->loc, "the loop end must come after '%s'", info->mnemonic);
        else if (f->kind == ISA_K_PCEND)
            diag_error(A->diag, o->loc,
                       "loop body too long for '%s' (%lld instructions; at most %lld)",
                       info->mnemonic, (long long)(v - 4) / 4, (long long)(max - 4) / 4);
        else if (f->kind == ISA_K_PCREL)
            diag_error(A->diag, o->loc,
                       "branch target out of range for '%s' (%lld bytes away; %lld to %lld)",
                       info->mnemonic, (long long)v, (long long)min, (long long)max);
        else if (f->kind == ISA_K_CSR)
            diag_error(A->diag, o->loc, "control register %lld out of range (0 to %lld)",
                       (long long)v, (long long)max);
        else
            diag_error(A->diag, o->loc, "immediate %lld out of range for '%s' (%lld to %lld)",
                       (long long)v, info->mnemonic, (long long)min, (long long)max);
    }
    if (ok) A->img->programs[s->prog].code[s->offset / 4] = isa_encode(&insn);
}

static void store_le(uint8_t *p, uint64_t v, unsigned size) {
    for (unsigned i = 0; i < size; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void emit_data(Asm *A, const Stmt *s, uint32_t tile) {
    unsigned size = asm_data_kinds[s->dkind].size;
    uint8_t *bytes = xmalloc(s->nargs * size);
    Env env = {A, tile, true};
    bool ok = true;
    for (size_t i = 0; i < s->nargs; i++) {
        uint64_t v;
        switch (s->dkind) {
        case D_F16: v = f32_to_f16(s->floats[i]); break;
        case D_BF16: v = f32_to_bf16(s->floats[i]); break;
        case D_F32: v = f32_bits(s->floats[i]); break;
        default: {
            int64_t x;
            if (!asm_eval_number(&env, s->args[i], &x)) {
                ok = false;
                continue;
            }
            int64_t lo = size == 8 ? INT64_MIN : -((int64_t)1 << (8 * size - 1));
            int64_t hi = size == 8 ? INT64_MAX : ((int64_t)1 << (8 * size)) - 1;
            if (!asm_in_range(A, s->args[i]->loc, x, lo, hi, asm_data_kinds[s->dkind].name + 1)) {
                ok = false;
                continue;
            }
            v = (uint64_t)x;
        }
        }
        store_le(bytes + i * size, v, size);
    }
    if (ok) {
        asm_image_add_data(A->img, tile, s->addr, bytes, (uint32_t)(s->nargs * size));
        XGROW(A->ranges, A->capranges, A->nranges + 1);
        A->ranges[A->nranges++] = (DataRange){tile, s->addr, (uint32_t)(s->nargs * size), s->loc};
    }
    free(bytes);
}

/* Evaluate s->args for one tile into v, each checked against [lo, hi]. */
static bool eval_args(Asm *A, const Stmt *s, uint32_t tile, int64_t *v, const int64_t *lo,
                      const int64_t *hi, const char *const *what) {
    Env env = {A, tile, true};
    bool ok = true;
    for (size_t i = 0; i < s->nargs; i++) {
        size_t k = i < 3 ? i : 3; /* later arguments reuse the last bounds */
        ok = ok && asm_eval_number(&env, s->args[i], &v[i]) &&
             asm_in_range(A, s->args[i]->loc, v[i], lo[k], hi[k], what[k]);
    }
    return ok;
}

static bool fits_sram(Asm *A, SrcLoc loc, int64_t addr, int64_t len, uint32_t tile) {
    if (addr + len <= (int64_t)A->img->machine.sram_bytes) return true;
    diag_error(A->diag, loc, "0x%llx..0x%llx lies outside tile %u's %u bytes of SRAM",
               (long long)addr, (long long)(addr + len), tile, A->img->machine.sram_bytes);
    return false;
}

static void emit_descriptor(Asm *A, const Stmt *s, uint32_t tile) {
    int64_t v[4];
    int64_t sram = A->img->machine.sram_bytes, tmax = A->img->machine.tiles - 1;
    switch (s->kind) {
    case ST_SEND: {
        static const char *const what[] = {"address", "length", "tile", "tile"};
        int64_t lo[] = {0, 1, 0, 0}, hi[] = {sram - 1, sram, tmax, tmax};
        int64_t *w = xmalloc(s->nargs * sizeof *w);
        uint32_t *dst = NULL;
        size_t ndst = 0, cap = 0;
        bool ok = eval_args(A, s, tile, w, lo, hi, what) && fits_sram(A, s->loc, w[0], w[1], tile);
        for (size_t i = 2; ok && i < s->nargs; i++) {
            int64_t first = w[i], last = w[i];
            if (i + 1 < s->nargs && s->range_end[i + 1]) last = w[++i];
            if (last < first) {
                diag_error(A->diag, s->args[i]->loc, "tile range %lld..%lld is empty",
                           (long long)first, (long long)last);
                ok = false;
            }
            for (int64_t t = first; ok && t <= last; t++) {
                XGROW(dst, cap, ndst + 1);
                dst[ndst++] = (uint32_t)t;
            }
        }
        /* A tile named twice would receive twice: refuse. */
        uint32_t *seen = ok ? xcalloc((size_t)tmax / 32 + 1, sizeof *seen) : NULL;
        for (size_t i = 0; ok && i < ndst; i++) {
            if (seen[dst[i] / 32] >> (dst[i] % 32) & 1) {
                diag_error(A->diag, s->loc, "tile %u is named twice", dst[i]);
                ok = false;
            }
            seen[dst[i] / 32] |= 1u << (dst[i] % 32);
        }
        if (ok && (A->destinations += ndst) > MAX_DESTINATIONS) {
            diag_error(A->diag, s->loc, "more than %d send destinations in all", MAX_DESTINATIONS);
            ok = false;
        }
        if (ok)
            asm_slot_add_send(asm_image_slot(A->img, tile, s->slot), (uint32_t)w[0], (uint32_t)w[1],
                              dst, ndst);
        free(seen);
        free(dst);
        free(w);
        return;
    }
    case ST_RECV: {
        static const char *const what[] = {"tile", "address", "length"};
        int64_t lo[] = {0, 0, 1}, hi[] = {tmax, sram - 1, sram};
        if (!eval_args(A, s, tile, v, lo, hi, what) || !fits_sram(A, s->loc, v[1], v[2], tile))
            return;
        asm_slot_add_recv(asm_image_slot(A->img, tile, s->slot), (uint32_t)v[0], (uint32_t)v[1],
                          (uint32_t)v[2]);
        return;
    }
    default: {
        const AsmIo *io = &A->img->ios[s->io];
        int64_t bytes = asm_io_elements(io) * (int64_t)dtype_size(io->dtype);
        static const char *const what[] = {"offset", "address", "length"};
        int64_t lo[] = {0, 0, 1}, hi[] = {bytes - 1, sram - 1, sram};
        if (!eval_args(A, s, tile, v, lo, hi, what) || !fits_sram(A, s->loc, v[1], v[2], tile))
            return;
        if (v[0] + v[2] > bytes) {
            diag_error(A->diag, s->loc, "bytes %lld..%lld are past the end of '%s' (%lld bytes)",
                       (long long)v[0], (long long)(v[0] + v[2]), io->name, (long long)bytes);
            return;
        }
        if ((s->kind == ST_HOSTOUT) != io->output) {
            diag_error(A->diag, s->loc, "'%s' is an %s; use %s", io->name,
                       io->output ? "output" : "input", io->output ? ".hostout" : ".hostin");
            return;
        }
        AsmSlot *slot = asm_image_slot(A->img, tile, s->slot);
        if (s->kind == ST_HOSTIN)
            asm_slot_add_hostin(slot, (uint32_t)s->io, (uint64_t)v[0], (uint32_t)v[1],
                                (uint32_t)v[2]);
        else
            asm_slot_add_hostout(slot, (uint32_t)s->io, (uint64_t)v[0], (uint32_t)v[1],
                                 (uint32_t)v[2]);
        return;
    }
    }
}

static void emit_layout(Asm *A, const Stmt *s, uint32_t tile) {
    const AsmIo *io = &A->img->ios[s->io];
    int64_t n = asm_io_elements(io), v[4] = {0, 0, 0, 1};
    int64_t sram = A->img->machine.sram_bytes;
    static const char *const what[] = {"address", "element", "count", "stride"};
    int64_t lo[] = {0, 0, 1, 1}, hi[] = {sram - 1, n - 1, n, n ? n : 1};
    if (!eval_args(A, s, tile, v, lo, hi, what)) return;
    if (v[1] + (v[2] - 1) * v[3] >= n) {
        diag_error(A->diag, s->loc,
                   "elements %lld..%lld (stride %lld) run past the end of '%s' (%lld elements)",
                   (long long)v[1], (long long)(v[1] + (v[2] - 1) * v[3]), (long long)v[3],
                   io->name, (long long)n);
        return;
    }
    if (!fits_sram(A, s->loc, v[0], v[2] * (int64_t)dtype_size(io->dtype), tile)) return;
    asm_image_add_run(A->img, (uint32_t)s->io, tile, (uint32_t)v[0], (uint64_t)v[1], (uint64_t)v[2],
                      (uint64_t)v[3]);
}

static void resolve_execs(Asm *A) {
    for (size_t i = 0; i < A->nexecs; i++) {
        const Exec *e = &A->execs[i];
        int p = asm_image_find_program(A->img, e->program);
        if (p < 0) {
            diag_error(A->diag, e->loc, "no program called '%s'", e->program);
            continue;
        }
        for (size_t k = 0; k < e->tiles->n; k++) {
            uint32_t t = e->tiles->tiles[k];
            uint32_t old = A->img->tiles[t].program;
            if (old != ASM_NO_PROGRAM && old != (uint32_t)p) {
                diag_error(A->diag, e->loc, "tile %u already runs program '%s'", t,
                           A->img->programs[old].name);
                break;
            }
            asm_image_set_program(A->img, t, (uint32_t)p);
        }
    }
}

static int compare_ranges(const void *a, const void *b) {
    const DataRange *x = a, *y = b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void check_overlaps(Asm *A) {
    if (A->nranges) qsort(A->ranges, A->nranges, sizeof *A->ranges, compare_ranges);
    for (size_t i = 1; i < A->nranges; i++) {
        const DataRange *p = &A->ranges[i - 1], *r = &A->ranges[i];
        if (p->tile == r->tile && (uint64_t)p->addr + p->size > r->addr) {
            SrcLoc later = r->loc, earlier = p->loc;
            if (later.line < earlier.line && later.file == earlier.file) {
                later = p->loc;
                earlier = r->loc;
            }
            diag_error(A->diag, later, "data on tile %u at 0x%x..0x%x overlaps other data", r->tile,
                       r->addr > p->addr ? r->addr : p->addr,
                       (uint32_t)((uint64_t)p->addr + p->size < (uint64_t)r->addr + r->size
                                      ? p->addr + p->size
                                      : r->addr + r->size));
            diag_note(A->diag, earlier, "the other data is defined here");
        }
    }
}

static void pass2(Asm *A) {
    asm_the_image(A);
    resolve_execs(A);
    for (size_t p = 0; p < A->img->nprograms; p++) {
        size_t n = A->prog_size[p] / 4;
        uint32_t *zeros = xcalloc(n ? n : 1, sizeof *zeros);
        asm_program_append(A->img, (uint32_t)p, zeros, n);
        free(zeros);
        if (!n)
            diag_error(A->diag, diag_loc(0, 0, 0), "program '%s' has no instructions",
                       A->img->programs[p].name);
        /* A .worker or .supervisor after the last instruction starts nothing. */
        AsmProgram *prog = &A->img->programs[p];
        while (prog->nregions > 1 && prog->regions[prog->nregions - 1].start >= n * 4)
            prog->nregions--;
    }
    for (size_t i = 0; i < A->nstmts; i++) {
        const Stmt *s = &A->stmts[i];
        switch (s->kind) {
        case ST_INSN: emit_insn(A, s); break;
        case ST_CODEWORD: {
            Env env = {A, -1, true};
            int64_t v;
            if (asm_eval_number(&env, s->args[0], &v) &&
                asm_in_range(A, s->args[0]->loc, v, INT32_MIN, UINT32_MAX, "word"))
                A->img->programs[s->prog].code[s->offset / 4] = (uint32_t)v;
            break;
        }
        default:
            for (size_t k = 0; k < s->tiles->n; k++) {
                uint32_t t = s->tiles->tiles[k];
                if (s->kind == ST_DATA)
                    emit_data(A, s, t);
                else if (s->kind == ST_LAYOUT)
                    emit_layout(A, s, t);
                else
                    emit_descriptor(A, s, t);
            }
        }
    }
    check_overlaps(A);
    /* Code labels, except the local .L ones, become symbols. */
    for (size_t i = 0; i < A->syms.cap; i++) {
        const Symbol *s = A->syms.slots[i];
        if (s && s->prog >= 0 && strncmp(s->name, ".L", 2))
            asm_image_add_symbol(A->img, (uint32_t)s->prog, (uint32_t)s->value, s->name);
    }
}

static AsmImage *finish(Asm *A) {
    pass2(A); /* even after errors in pass 1: report the rest too */
    char err[512];
    if (!diag_failed(A->diag) && !asm_image_check(A->img, err, sizeof err))
        diag_error(A->diag, diag_loc(0, 0, 0), "%s", err);
    AsmImage *img = diag_failed(A->diag) ? NULL : A->img;
    if (!img) asm_image_free(A->img);
    free(A->syms.slots);
    free(A->stmts);
    free(A->execs);
    free(A->ranges);
    free(A->prog_size);
    arena_free(&A->arena);
    return img;
}

AsmImage *asm_assemble_file(const char *path, Diag *diag) {
    Asm A = {.diag = diag, .prog = -1};
    arena_init(&A.arena);
    asm_assemble_file_into(&A, path, diag_loc(0, 0, 0));
    return finish(&A);
}

AsmImage *asm_assemble_text(const char *name, const char *text, size_t len, Diag *diag) {
    Asm A = {.diag = diag, .prog = -1};
    arena_init(&A.arena);
    int file = diag_add_file(diag, name, text, len);
    asm_assemble_text_into(&A, file, text, len);
    return finish(&A);
}

/*
 * The backend's driver (docs/backend.md, "Code"): from a placed plan to an
 * AsmImage and its assembly text.
 *
 * One program, "main", runs on tiles 0 .. nprog_tiles - 1. Its supervisor
 * code is the task invocations in schedule order with a barrier (xpost of
 * the phase's exchange slot, sync) between phases; each invocation reads
 * the tile's argument-block address from the tile's step table (one word
 * per invocation, 0 when the tile has no part in it) and starts that many
 * workers on the task's kernel. The kernels follow, each stored once.
 */
#include "internal.h"

#include <stdlib.h>

typedef struct Gen {
    const Plan *p;
    AsmImage *img;
    Code prog;
    Kernel *kernels; /* unique kernels */
    int32_t *kernel_label;
    uint64_t *kernel_hash;
    int nkernels, capkernels;
    int *task_kernel; /* per task: index into kernels, -1 for XCHG */
    uint32_t steptab; /* address of the step table */
    IrNames names;
    bool names_ok;
} Gen;

static const char *kind_suffix(PlanTaskKind k) {
    switch (k) {
    case PLAN_EW: return "ew";
    case PLAN_REDUCE: return "reduce";
    case PLAN_ARGRED: return "argred";
    case PLAN_MATMUL: return "matmul";
    case PLAN_GATHER: return "gather";
    case PLAN_COPY: return "copy";
    case PLAN_FILL: return "fill";
    default: return "task";
    }
}

/* The IR op's text, one line: "%h1: f32[8, 64] = fused(%x, ...)". */
static char *op_line(Gen *gen, IrOpId op) {
    if (!op) return xstrdup("");
    if (!gen->names_ok) {
        ir_names_init(&gen->names, gen->p->g);
        gen->names_ok = true;
    }
    StrBuf sb;
    sb_init(&sb);
    ir_print_op(&sb, gen->p->g, &gen->names, op, NULL);
    char *nl = strchr(sb.data, '\n');
    if (nl) *nl = 0; /* bodies print below; kernels show them */
    return sb_take(&sb);
}

/* ---- Kernels --------------------------------------------------------------------------- */

static void make_kernels(Gen *gen) {
    const Plan *p = gen->p;
    gen->task_kernel = xmalloc((size_t)(p->ntasks ? p->ntasks : 1) * sizeof *gen->task_kernel);
    for (int32_t k = 0; k < p->ntasks; k++) {
        int32_t i = p->order[k];
        const PlanTask *t = &p->tasks[i];
        gen->task_kernel[i] = -1;
        if (t->kind == PLAN_XCHG) continue;
        char prefix[32];
        snprintf(prefix, sizeof prefix, "Lk%d", gen->nkernels);
        Kernel k1;
        kernel_generate(p, t, prefix, &k1);
        uint64_t h = code_hash(&k1.code);
        int found = -1;
        for (int j = 0; j < gen->nkernels && found < 0; j++)
            if (gen->kernel_hash[j] == h && gen->kernels[j].wblock == k1.wblock &&
                code_same(&gen->kernels[j].code, &k1.code))
                found = j;
        if (found >= 0) {
            code_free(&k1.code);
            gen->task_kernel[i] = found;
            continue;
        }
        if (gen->nkernels == gen->capkernels) {
            gen->capkernels = gen->capkernels ? 2 * gen->capkernels : 16;
            gen->kernels = xrealloc(gen->kernels, (size_t)gen->capkernels * sizeof *gen->kernels);
            gen->kernel_hash =
                xrealloc(gen->kernel_hash, (size_t)gen->capkernels * sizeof *gen->kernel_hash);
            gen->kernel_label =
                xrealloc(gen->kernel_label, (size_t)gen->capkernels * sizeof *gen->kernel_label);
        }
        /* what the kernel implements, as comment lines at its entry */
        StrBuf note;
        sb_init(&note);
        char *line = op_line(gen, t->op);
        sb_printf(&note, "---- kernel k%d_%s: %s %s\n", gen->nkernels, kind_suffix(t->kind),
                  plan_task_name(t->kind), t->what);
        if (*line) sb_printf(&note, "%s\n", line);
        free(line);
        if (t->kind == PLAN_EW) {
            const PlanEwSpec *s = t->spec;
            const IrGraph *body = ir_op_body(p->g, s->op);
            if (body) {
                sb_puts(&note, "body=");
                ir_print_body(&note, body, NULL);
                sb_puts(&note, "\n");
            }
        }
        if (note.len && note.data[note.len - 1] == '\n') note.data[--note.len] = 0;
        k1.code.insns[0].note = arena_strdup(&k1.code.arena, note.data);
        sb_free(&note);
        gen->kernel_hash[gen->nkernels] = h;
        gen->kernels[gen->nkernels] = k1;
        gen->task_kernel[i] = gen->nkernels++;
    }
}

/* ---- The supervisor --------------------------------------------------------------------- */

static void barrier(Gen *gen, int32_t phase) {
    Code *c = &gen->prog;
    code_note(c, "---- end of superstep %d: its exchange, then superstep %d", phase, phase + 1);
    code_op(c, ISA_XPOST, 0, 0, 0, phase, 0);
    code_op(c, ISA_SYNC, 0, 0, 0, 0, 0);
}

static void invocation(Gen *gen, const PlanTask *t, int32_t index, int32_t entry) {
    Code *c = &gen->prog;
    const Kernel *k = &gen->kernels[gen->task_kernel[t - gen->p->tasks]];
    char *line = op_line(gen, t->op);
    code_note(c, "task %d (%s %s)%s%s", index, plan_task_name(t->kind), t->what, *line ? ": " : "",
              line);
    free(line);
    int32_t skip = code_label(c, NULL), started = code_label(c, NULL);
    code_op(c, ISA_LDW_PI, 1, 10, 0, 4, 0);
    code_comment(c, "this tile's arguments, or 0");
    code_jump(c, ISA_BZ, 0, 1, skip, 0);
    code_op(c, ISA_LDW, 2, 1, 0, 0, 0);
    code_comment(c, "workers");
    code_op(c, ISA_ADDI, 1, 1, 0, PLAN_ARGS_HEADER, 0);
    code_jump(c, ISA_LOOP, 0, 2, started, 0);
    code_jump(c, ISA_RUN, 0, 1, entry, 0);
    code_op(c, ISA_ADDI, 1, 1, 0, (int32_t)k->wblock, 0);
    code_bind(c, started);
    code_op(c, ISA_WAIT, 0, 0, 0, 0, 0);
    code_bind(c, skip);
}

static void matmul_invocation(Gen *gen, const PlanTask *t, int32_t index, int32_t entry) {
    char *line = op_line(gen, t->op);
    code_note(&gen->prog, "task %d (%s %s)%s%s", index, plan_task_name(t->kind), t->what,
              *line ? ": " : "", line);
    free(line);
    kmatmul_invocation(&gen->prog, t, entry);
}

static void supervisor(Gen *gen) {
    const Plan *p = gen->p;
    Code *c = &gen->prog;
    code_context(c, ASM_SUPERVISOR);
    int32_t main_label = code_label(c, "main");
    code_bind(c, main_label);
    code_note(c, "supervisor: %d supersteps", p->nphases);
    code_li(c, 10, gen->steptab);
    code_comment(c, "the step table");
    int32_t phase = 0, index = 0;
    for (int32_t k = 0; k < p->ntasks; k++) {
        const PlanTask *t = &p->tasks[p->order[k]];
        while (phase < t->phase) barrier(gen, phase++);
        if (t->kind == PLAN_XCHG) continue;
        if (t->kind == PLAN_MATMUL)
            matmul_invocation(gen, t, index++, gen->kernel_label[gen->task_kernel[p->order[k]]]);
        else
            invocation(gen, t, index++, gen->kernel_label[gen->task_kernel[p->order[k]]]);
    }
    while (phase < p->nphases - 1) barrier(gen, phase++);
    code_op(c, ISA_END, 0, 0, 0, 0, 0);
}

/* Kernel entry labels exist before the kernels are appended. */
static void kernel_labels(Gen *gen) {
    for (int j = 0; j < gen->nkernels; j++) {
        char name[48];
        const PlanTask *t = NULL;
        for (int32_t i = 0; i < gen->p->ntasks && !t; i++)
            if (gen->task_kernel[i] == j) t = &gen->p->tasks[i];
        snprintf(name, sizeof name, "k%d_%s", j, kind_suffix(t->kind));
        gen->kernel_label[j] = code_label(&gen->prog, name);
    }
}

static void append_kernels(Gen *gen) {
    for (int j = 0; j < gen->nkernels; j++) {
        Kernel *k = &gen->kernels[j];
        int32_t base = code_append(&gen->prog, &k->code);
        gen->prog.labels[gen->kernel_label[j]] = gen->prog.labels[base + k->entry];
    }
}

/* ---- Data: the step table, argument blocks, constants ---------------------------------- */

static uint32_t word_value(const Plan *p, int32_t tile, PlanWord w) {
    if (w.buf < 0) return w.value;
    const PlanBuf *b = &p->bufs[w.buf];
    int32_t k = plan_buf_tile_index(b, tile);
    if (k < 0) ice("backend: buffer %s is not on tile %d", b->name, tile);
    return b->addr[k] + w.value;
}

static void add_words(Gen *gen, int32_t tile, uint32_t addr, const uint32_t *w, size_t n) {
    if (n) asm_image_add_data(gen->img, (uint32_t)tile, addr, w, (uint32_t)(n * 4));
}

static void data(Gen *gen) {
    const Plan *p = gen->p;
    /* step tables */
    int32_t ncompute = 0;
    for (int32_t i = 0; i < p->ntasks; i++) ncompute += p->tasks[i].kind != PLAN_XCHG;
    uint32_t *tab = xcalloc((size_t)ncompute + 1, sizeof *tab);
    for (int32_t tile = 0; tile < p->nprog_tiles; tile++) {
        int32_t idx = 0;
        bool any = false;
        for (int32_t k = 0; k < p->ntasks; k++) {
            const PlanTask *t = &p->tasks[p->order[k]];
            if (t->kind == PLAN_XCHG) continue;
            tab[idx] = 0;
            int32_t q = plan_task_tile_index(t, tile);
            if (q >= 0) {
                tab[idx] = word_value(p, tile, (PlanWord){t->args, 0});
                any = true;
            }
            idx++;
        }
        if (any) add_words(gen, tile, gen->steptab, tab, (size_t)ncompute);
    }
    free(tab);
    /* argument blocks and constants */
    for (int32_t b = 0; b < p->nbufs; b++) {
        const PlanBuf *buf = &p->bufs[b];
        for (int32_t k = 0; k < buf->ntiles; k++) {
            int32_t tile = buf->tiles[k];
            if (buf->kind == PLAN_BUF_ARGS && buf->size[k]) {
                size_t n = buf->size[k] / 4;
                uint32_t *w = xmalloc(n * sizeof *w);
                for (size_t i = 0; i < n; i++) w[i] = word_value(p, tile, buf->words[k][i]);
                add_words(gen, tile, buf->addr[k], w, n);
                free(w);
            } else if (buf->kind == PLAN_BUF_CONST && buf->data && buf->size[k]) {
                asm_image_add_data(gen->img, (uint32_t)tile, buf->addr[k], buf->data[k],
                                   buf->size[k]);
            }
        }
    }
}

/* ---- The exchange ------------------------------------------------------------------------ */

typedef struct Xfer {
    int32_t from, to;
    uint32_t src, dst, len;
} Xfer;

static int cmp_xfer(const void *a, const void *b) {
    const Xfer *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    if (x->to != y->to) return x->to < y->to ? -1 : 1;
    return (x->dst > y->dst) - (x->dst < y->dst);
}

/* Every transfer of one barrier into slot `phase`: one send per distinct
 * source range (a multicast to every tile that gets it), the receives in
 * the order of their sender's sends. */
static void exchange(Gen *gen, int32_t phase) {
    const Plan *p = gen->p;
    Xfer *x = NULL;
    size_t n = 0, cap = 0;
    for (int32_t i = 0; i < p->ntasks; i++) {
        const PlanTask *t = &p->tasks[i];
        if (t->kind != PLAN_XCHG || t->phase != phase) continue;
        for (int32_t k = 0; k < t->nxfers; k++) {
            const PlanXfer *f = &t->xfers[k];
            XGROW(x, cap, n + 1);
            x[n++] = (Xfer){f->from, f->to, word_value(p, f->from, (PlanWord){f->sbuf, f->soff}),
                            word_value(p, f->to, (PlanWord){f->dbuf, f->doff}), f->len};
        }
    }
    qsort(x, n, sizeof *x, cmp_xfer);
    uint32_t *dst = xmalloc((n ? n : 1) * sizeof *dst);
    bool *taken = xcalloc(n ? n : 1, sizeof *taken);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && x[j].from == x[i].from && x[j].src == x[i].src && x[j].len == x[i].len) j++;
        /* sends of this range until every transfer is covered (a tile
         * getting the range twice needs a second send) */
        for (;;) {
            size_t nd = 0;
            for (size_t k = i; k < j; k++)
                if (!taken[k] && (nd == 0 || dst[nd - 1] != (uint32_t)x[k].to)) {
                    dst[nd++] = (uint32_t)x[k].to;
                    taken[k] = true;
                }
            if (!nd) break;
            asm_slot_add_send(asm_image_slot(gen->img, (uint32_t)x[i].from, (uint32_t)phase),
                              x[i].src, x[i].len, dst, nd);
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        asm_slot_add_recv(asm_image_slot(gen->img, (uint32_t)x[i].to, (uint32_t)phase),
                          (uint32_t)x[i].from, x[i].dst, x[i].len);
    free(x);
    free(dst);
    free(taken);
}

/* ---- Graph inputs and outputs ------------------------------------------------------------- */

/* Runs placing a layout buffer's elements: one per stored row of the
 * innermost dimension, merged where rows continue each other. Outputs
 * take each element once (core blocks of the first replica). */
static void add_runs(Gen *gen, uint32_t io, const PlanBuf *b, bool output) {
    const PlanLayout *l = &b->layout;
    int rank = l->rank;
    uint64_t es = dtype_size(l->dtype);
    int64_t lstr[IR_MAX_RANK], fstr[IR_MAX_RANK], stored[IR_MAX_RANK];
    layout_strides(l, lstr);
    int64_t f = 1;
    for (int d = rank - 1; d >= 0; d--) fstr[d] = f, f *= l->dims[d];
    for (int d = 0; d < rank; d++) stored[d] = layout_stored(l, d);
    int32_t n = layout_ntiles(l);
    for (int32_t q = 0; q < n; q++) {
        int64_t blockc[IR_MAX_RANK];
        layout_block_of(l, q, blockc);
        if (output) {
            /* the first replica only */
            int64_t coord[PLAN_MAX_GRID];
            int32_t rest = q;
            for (int a = l->ngrid - 1; a >= 0; a--)
                coord[a] = rest % l->grid[a], rest /= l->grid[a];
            bool first = true;
            for (int a = 0; a < l->ngrid; a++) {
                bool mapped = false;
                for (int d = 0; d < rank; d++) mapped |= l->axis[d] == a;
                if (!mapped && coord[a] != 0) first = false;
            }
            if (!first) continue;
        }
        uint32_t tile = (uint32_t)(l->base + q), base = b->addr[q];
        /* [lo, hi) of the local coordinates holding elements, per dim */
        int64_t lo[IR_MAX_RANK], hi[IR_MAX_RANK];
        bool empty = false;
        for (int d = 0; d < rank; d++) {
            int64_t start = blockc[d] * l->block[d];
            int64_t a = output ? start : start - l->lo[d];
            int64_t e =
                output ? start + layout_extent(l, blockc, d) : start + l->block[d] + l->hi[d];
            if (a < 0) a = 0;
            if (e > l->dims[d]) e = l->dims[d];
            lo[d] = a - (start - l->lo[d]);
            hi[d] = e - (start - l->lo[d]);
            empty |= hi[d] <= lo[d];
        }
        if (empty) continue;
        if (rank == 0) {
            asm_image_add_run(gen->img, io, tile, base, 0, 1, 1);
            continue;
        }
        int din = l->order[rank - 1];
        int64_t local[IR_MAX_RANK];
        for (int d = 0; d < rank; d++) local[d] = lo[d];
        uint64_t rstart = 0, rcount = 0, rstride = (uint64_t)fstr[din];
        uint32_t raddr = 0;
        for (;;) {
            int64_t start = 0, off = 0;
            for (int d = 0; d < rank; d++) {
                int64_t x = blockc[d] * l->block[d] - l->lo[d] + local[d];
                start += x * fstr[d];
                off += local[d] * lstr[d];
            }
            uint64_t count = (uint64_t)(hi[din] - lo[din]);
            uint32_t addr = base + (uint32_t)(off * (int64_t)es);
            if (rcount && (uint64_t)start == rstart + rcount * rstride &&
                addr == raddr + rcount * es &&
                (rcount + count) * rstride <= (uint64_t)f + rstride) {
                rcount += count;
            } else {
                if (rcount) asm_image_add_run(gen->img, io, tile, raddr, rstart, rcount, rstride);
                rstart = (uint64_t)start, rcount = count, raddr = addr;
            }
            /* next row: the other dims in storage order */
            int i = rank - 2;
            for (; i >= 0; i--) {
                int d = l->order[i];
                if (++local[d] < hi[d]) break;
                local[d] = lo[d];
            }
            if (i < 0) break;
        }
        if (rcount) asm_image_add_run(gen->img, io, tile, raddr, rstart, rcount, rstride);
    }
    (void)stored;
}

static void ios(Gen *gen) {
    const Plan *p = gen->p;
    const IrGraph *g = p->g;
    if (!gen->names_ok) {
        ir_names_init(&gen->names, g);
        gen->names_ok = true;
    }
    for (int k = 0; k < g->ninputs; k++) {
        const IrValue *v = &g->vals[g->inputs[k]];
        const char *name = gen->names.name[g->inputs[k]];
        if (name[0] == '#') name++;
        uint32_t io =
            asm_image_add_io(gen->img, name, v->type.dtype, false, v->type.rank, v->type.dims);
        if (p->in_buf[k] >= 0) add_runs(gen, io, &p->bufs[p->in_buf[k]], false);
    }
    for (int k = 0; k < g->noutputs; k++) {
        const IrValue *v = &g->vals[g->outputs[k].val];
        uint32_t io = asm_image_add_io(gen->img, g->outputs[k].name, v->type.dtype, true,
                                       v->type.rank, v->type.dims);
        add_runs(gen, io, &p->bufs[p->out_buf[k]], true);
    }
}

/* ---- The image --------------------------------------------------------------------------- */

static void program(Gen *gen) {
    const Plan *p = gen->p;
    if (p->nprog_tiles == 0) return;
    size_t n = gen->prog.n;
    uint32_t *words = xmalloc(n * sizeof *words);
    code_encode(&gen->prog, words);
    uint32_t prog =
        asm_image_intern_program(gen->img, "main", words, n, gen->prog.regions, gen->prog.nregions);
    free(words);
    for (int32_t t = 0; t < p->nprog_tiles; t++) asm_image_set_program(gen->img, (uint32_t)t, prog);
    for (size_t l = 0; l < gen->prog.nlabels; l++) {
        const char *name = gen->prog.lnames[l];
        if (name[0] == '.' && name[1] == 'L') continue;
        if (gen->prog.labels[l] < 0 || (size_t)gen->prog.labels[l] >= n) continue;
        asm_image_add_symbol(gen->img, prog, (uint32_t)gen->prog.labels[l] * 4, name);
    }
}

int backend_generate(const Plan *p, const BackendOptions *opts, BackendOutput *out) {
    memset(out, 0, sizeof *out);
    sb_init(&out->asm_text);
    sb_init(&out->report);
    Gen gen;
    memset(&gen, 0, sizeof gen);
    gen.p = p;
    gen.img = asm_image_new(&p->machine);
    gen.steptab = (uint32_t)(p->machine.workers * PLAN_SCRATCH);
    code_init(&gen.prog, "Lmain");
    if (p->nprog_tiles > 0) {
        make_kernels(&gen);
        kernel_labels(&gen);
        supervisor(&gen);
        append_kernels(&gen);
    }
    program(&gen);
    data(&gen);
    for (int32_t ph = 0; ph + 1 < p->nphases; ph++) exchange(&gen, ph);
    ios(&gen);
    char err[512];
    if (!asm_image_check(gen.img, err, sizeof err)) ice("backend: the image is not valid: %s", err);
    if (opts && opts->want_asm) backend_print_asm(p, gen.img, &gen.prog, &out->asm_text);
    if (opts && opts->want_report) plan_report_json(&out->report, p);
    out->image = gen.img;
    for (int j = 0; j < gen.nkernels; j++) code_free(&gen.kernels[j].code);
    free(gen.kernels);
    free(gen.kernel_label);
    free(gen.kernel_hash);
    free(gen.task_kernel);
    code_free(&gen.prog);
    if (gen.names_ok) ir_names_free(&gen.names);
    return 0;
}

void backend_output_free(BackendOutput *out) {
    if (out->image) asm_image_free(out->image);
    sb_free(&out->asm_text);
    sb_free(&out->report);
    memset(out, 0, sizeof *out);
}

int backend_compile(IrGraph *g, PassContext *pc, const BackendOptions *opts, BackendOutput *out) {
    memset(out, 0, sizeof *out);
    if (!pc->machine) ice("backend_compile: no target machine");
    if (!pc->plan && !pc->failed) {
        pass_run(g, pc, PASS_tile);
        if (!pc->failed) pass_run(g, pc, PASS_schedule);
        if (!pc->failed) pass_run(g, pc, PASS_place);
    }
    if (pc->failed || !pc->plan) return -1;
    return backend_generate(pc->plan, opts, out);
}

/*
 * What a run tells a person: trap reports, the statistics and their
 * summary, and the Chrome trace-event timeline (docs/sim.md).
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = {
#define SIM_PHASE_NAME(ID, NAME) NAME,
    SIM_PHASES(SIM_PHASE_NAME)
#undef SIM_PHASE_NAME
};
_Static_assert(ACC_ARRAY_LEN(phase_names) == SIM_PHASE_COUNT, "one name per phase");

const char *sim_phase_name(SimPhase p) {
    return (unsigned)p < SIM_PHASE_COUNT ? phase_names[p] : "?";
}

/* ---- trap reports ------------------------------------------------------------------- */

typedef struct Labels {
    const SimModel *m;
    uint32_t prog;
} Labels;

/* isa_print's names for branch targets: the program's labels. */
static const char *label_at(void *ctx, uint32_t target) {
    const Labels *l = ctx;
    for (size_t i = 0; i < l->m->img->nsymbols; i++) {
        const AsmSymbol *s = &l->m->img->symbols[i];
        if (s->program == l->prog && s->offset == target) return s->name;
    }
    return NULL;
}

/* " (label+0x8)": where pc is, by the nearest label at or before it. */
static void describe_pc(StrBuf *out, const SimModel *m, uint32_t prog, uint32_t pc) {
    const AsmSymbol *best = NULL;
    for (size_t i = 0; i < m->img->nsymbols; i++) {
        const AsmSymbol *s = &m->img->symbols[i];
        if (s->program == prog && s->offset <= pc && (!best || s->offset > best->offset)) best = s;
    }
    if (!best) return;
    if (best->offset == pc)
        sb_printf(out, " (%s)", best->name);
    else
        sb_printf(out, " (%s+0x%x)", best->name, pc - best->offset);
}

static void context_name(StrBuf *out, int context) {
    if (context < 0)
        sb_puts(out, "supervisor");
    else
        sb_printf(out, "worker %d", context);
}

/* "  add m1, m2, m3\n": the instruction at pc, if pc is in the program. */
static bool print_instruction(StrBuf *out, const SimModel *m, uint32_t prog, uint32_t pc) {
    const SimProgram *p = &m->progs[prog];
    if (pc % 4 || pc >= p->bytes) return false;
    uint32_t word = p->words[pc / 4];
    IsaInsn insn;
    sb_puts(out, "    ");
    if (isa_decode(word, &insn)) {
        Labels labels = {m, prog};
        isa_print(out, &insn, pc, label_at, &labels);
    } else {
        sb_printf(out, ".word 0x%08x", word);
    }
    sb_putc(out, '\n');
    return true;
}

static void trim_newline(StrBuf *out) {
    while (out->len && out->data[out->len - 1] == '\n') out->data[--out->len] = '\0';
}

void sim_report_trap(SimModel *m, const char *detail) {
    const SimTrap *t = &m->trap;
    uint32_t prog = m->img->tiles[t->tile].program;
    const SimProgram *p = &m->progs[prog];
    StrBuf *out = &m->message;
    sb_clear(out);
    sb_printf(out, "trap %s on tile %u, ", isa_trap_name(t->cause), t->tile);
    context_name(out, t->context);
    sb_printf(out, ", pc 0x%x", t->pc);
    describe_pc(out, m, prog, t->pc);
    sb_printf(out, ", cycle %llu: %s\n", (unsigned long long)t->cycle, isa_trap_text(t->cause));
    bool fetched = print_instruction(out, m, prog, t->pc);
    switch (t->cause) {
    case ISA_TRAP_BOUNDS:
        sb_printf(out, "    address 0x%x, %u bytes; the tile's SRAM is 0x0..0x%x\n", t->address,
                  t->size, m->machine.sram_bytes - 1);
        break;
    case ISA_TRAP_ALIGN:
        sb_printf(out, "    address 0x%x, %u bytes: not a multiple of %u\n", t->address, t->size,
                  t->size);
        break;
    case ISA_TRAP_PC:
        if (!fetched)
            sb_printf(out, "    pc 0x%x is outside program '%s' (0x0..0x%x)\n", t->pc,
                      m->img->programs[prog].name, p->bytes - 4);
        else
            sb_printf(out,
                      "    target 0x%x is outside program '%s' (0x0..0x%x) or not a multiple of "
                      "4\n",
                      t->address, m->img->programs[prog].name, p->bytes - 4);
        break;
    case ISA_TRAP_USER: sb_printf(out, "    code %u\n", t->code); break;
    case ISA_TRAP_CONTEXT:
        sb_printf(out, "    a %s cannot run this instruction\n",
                  t->context < 0 ? "supervisor" : "worker");
        break;
    default: break;
    }
    if (detail && *detail) sb_printf(out, "    %s\n", detail);
    trim_newline(out);
}

void sim_report_limit(SimModel *m, uint64_t limit) {
    StrBuf *out = &m->message;
    sb_clear(out);
    sb_printf(out, "the run did not finish within %llu cycles (the cycle limit)\n",
              (unsigned long long)limit);
    for (size_t i = 0; i < m->nlive; i++) {
        const SimTile *T = m->tiles[m->live[i]];
        if (T->state != SIM_TILE_LIMIT) continue;
        uint32_t prog = m->img->tiles[T->id].program;
        sb_printf(out, "    tile %u was still running:\n", T->id);
        for (unsigned w = 0; w <= T->workers; w++) {
            const SimCtx *c = &T->ctx[w];
            bool sup = w == T->workers;
            if (!sup && !(T->busy & (1u << w))) continue;
            sb_puts(out, "    ");
            context_name(out, sup ? -1 : (int)w);
            sb_printf(out, " at pc 0x%x", c->pc);
            describe_pc(out, m, prog, c->pc);
            if (sup && T->blocked) sb_puts(out, ", stalled");
            sb_puts(out, ":\n  ");
            if (!print_instruction(out, m, prog, c->pc))
                sb_puts(out, "    (outside the program)\n");
        }
        break;
    }
    trim_newline(out);
}

/* ---- statistics --------------------------------------------------------------------- */

void sim_collect_stats(SimModel *m) {
    SimStats *st = &m->stats;
    const IsaMachine *mach = &m->machine;
    for (uint32_t t = 0; t < mach->tiles; t++) {
        const SimTile *T = m->tiles[t];
        if (!T) continue;
        for (int op = 0; op < ISA_OP_COUNT; op++) {
            m->op_counts[op] += T->sup_counts[op] + T->worker_counts[op];
            st->supervisor_instructions += T->sup_counts[op];
        }
        if (T->high_water > m->high_water[t]) m->high_water[t] = T->high_water;
    }
    for (int op = 0; op < ISA_OP_COUNT; op++) {
        uint64_t n = m->op_counts[op];
        const IsaInfo *info = isa_info((IsaOp)op);
        const IsaClassInfo *cls = isa_class(info->cls);
        st->instructions += n;
        st->flops += n * info->flops;
        if (cls->mactype != ISA_MAC_NONE) st->macs[cls->mactype - ISA_MAC_F16] += n * cls->macs;
    }
    double per_cycle = (double)mach->tiles * mach->mac_f16 * 2;
    st->seconds = (double)st->cycles / ((double)mach->clock_khz * 1000);
    st->peak_flops = per_cycle * mach->clock_khz * 1000;
    if (st->cycles) {
        double slots = (double)st->macs[0] / mach->mac_f16 + (double)st->macs[1] / mach->mac_f32 +
                       (double)st->macs[2] / mach->mac_i8;
        st->peak_percent = 100.0 * (double)st->flops / ((double)st->cycles * per_cycle);
        st->amp_percent = 100.0 * slots / ((double)st->cycles * mach->tiles);
    }
    st->sram_high_water = m->high_water;
    st->op_counts = m->op_counts;
}

static void print_time(StrBuf *out, double seconds) {
    if (seconds >= 1)
        sb_printf(out, "%.3f s", seconds);
    else if (seconds >= 1e-3)
        sb_printf(out, "%.3f ms", seconds * 1e3);
    else
        sb_printf(out, "%.3f us", seconds * 1e6);
}

/* "tiles 0..3: 1552 bytes; tile 4: 16 bytes": runs of tiles with the same mark. */
static void print_high_water(StrBuf *out, const SimModel *m) {
    const uint32_t *hw = m->stats.sram_high_water;
    uint32_t n = m->machine.tiles, shown = 0, max = 0, max_tile = 0;
    for (uint32_t t = 0; t < n; t++)
        if (hw[t] > max) max = hw[t], max_tile = t;
    sb_printf(out, "  SRAM high water   %u bytes (%.1f%%) on tile %u, the fullest\n", max,
              100.0 * max / m->machine.sram_bytes, max_tile);
    for (uint32_t t = 0; t < n;) {
        uint32_t e = t;
        while (e + 1 < n && hw[e + 1] == hw[t]) e++;
        if (hw[t]) {
            if (shown++ == 8) {
                sb_puts(out, "                    ...\n");
                break;
            }
            if (e > t)
                sb_printf(out, "                    tiles %u..%u: %u bytes each\n", t, e, hw[t]);
            else
                sb_printf(out, "                    tile %u: %u bytes\n", t, hw[t]);
        }
        t = e + 1;
    }
}

void sim_stats_format(const SimModel *m, StrBuf *out) {
    const SimStats *st = &m->stats;
    const IsaMachine *mach = &m->machine;
    sb_printf(out, "machine %s: %u tiles at %.2f GHz, %u ran a program\n", mach->preset,
              mach->tiles, mach->clock_khz / 1e6, st->tiles_run);
    sb_printf(out, "  cycles            %llu (", (unsigned long long)st->cycles);
    print_time(out, st->seconds);
    sb_puts(out, ")\n");
    for (int p = 0; p < SIM_PHASE_COUNT; p++)
        sb_printf(out, "    %-15s %llu (%.1f%%)\n", phase_names[p],
                  (unsigned long long)st->phase[p],
                  st->cycles ? 100.0 * (double)st->phase[p] / (double)st->cycles : 0.0);
    sb_printf(out, "  supersteps        %llu (%llu barrier%s)\n",
              (unsigned long long)st->supersteps, (unsigned long long)st->barriers,
              st->barriers == 1 ? "" : "s");
    sb_printf(out, "  instructions      %llu (supervisor %llu, workers %llu)\n",
              (unsigned long long)st->instructions, (unsigned long long)st->supervisor_instructions,
              (unsigned long long)(st->instructions - st->supervisor_instructions));
    /* The same share of the peak of the tiles that ran a program. */
    double ran = st->tiles_run ? st->peak_percent * mach->tiles / st->tiles_run : 0;
    sb_printf(out,
              "  flops             %llu (%.3f%% of the f16 peak of %.4g TFLOPS; %.3f%% of the "
              "peak of the %u tile%s that ran)\n",
              (unsigned long long)st->flops, st->peak_percent, st->peak_flops / 1e12, ran,
              st->tiles_run, st->tiles_run == 1 ? "" : "s");
    sb_printf(out,
              "  matrix unit       %llu f16/bf16, %llu f32, %llu int8 MACs (%.3f%% of the MAC "
              "slots)\n",
              (unsigned long long)st->macs[0], (unsigned long long)st->macs[1],
              (unsigned long long)st->macs[2], st->amp_percent);
    sb_printf(out, "  exchange          %llu bytes received, %llu bytes sent\n",
              (unsigned long long)st->exchange_bytes, (unsigned long long)st->exchange_sent_bytes);
    sb_printf(out, "  host I/O          %llu bytes in, %llu bytes out\n",
              (unsigned long long)st->host_in_bytes, (unsigned long long)st->host_out_bytes);
    print_high_water(out, m);
}

/* ---- the Chrome trace --------------------------------------------------------------- */

typedef struct Trace {
    StrBuf *out;
    double us_per_cycle;
    bool first;
} Trace;

static void event_start(Trace *t) {
    sb_puts(t->out, t->first ? "\n" : ",\n");
    t->first = false;
}

static void name_track(Trace *t, int tid, const char *what, const char *name) {
    event_start(t);
    sb_printf(t->out,
              "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":", what, tid);
    sb_json_string(t->out, name);
    sb_puts(t->out, "}}");
}

/* A complete slice; args is a JSON object body (may be empty). */
static void slice(Trace *t, int tid, const char *name, uint64_t start, uint64_t cycles,
                  const char *args) {
    if (!cycles) return;
    event_start(t);
    sb_puts(t->out, "{\"name\":");
    sb_json_string(t->out, name);
    sb_printf(t->out,
              ",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.6f,\"dur\":%.6f,\"args\":{\"cycles\":%"
              "llu%s%s}}",
              tid, (double)start * t->us_per_cycle, (double)cycles * t->us_per_cycle,
              (unsigned long long)cycles, *args ? "," : "", args);
}

static void trace_groups(Trace *t, const SimModel *m) {
    char name[64], args[160];
    for (int g = 0; g < SIM_TRACE_GROUPS; g++) {
        uint32_t first = (uint32_t)g * m->group_size;
        if (first >= m->machine.tiles) break;
        uint32_t last = first + m->group_size - 1;
        if (last >= m->machine.tiles) last = m->machine.tiles - 1;
        bool used = false;
        for (size_t s = 0; s < m->nsteps && !used; s++)
            used = m->groups[s * SIM_TRACE_GROUPS + g].tiles > 0;
        if (!used) continue;
        if (first == last)
            snprintf(name, sizeof name, "tile %u", first);
        else
            snprintf(name, sizeof name, "tiles %u..%u", first, last);
        name_track(t, g + 1, "thread_name", name);
        for (size_t s = 0; s < m->nsteps; s++) {
            const SimGroupRecord *r = &m->groups[s * SIM_TRACE_GROUPS + g];
            if (!r->tiles) continue;
            snprintf(args, sizeof args, "\"superstep\":%zu,\"tiles\":%u,\"instructions\":%llu", s,
                     r->tiles, (unsigned long long)r->instructions);
            slice(t, g + 1, "compute", m->steps[s].start, r->arrival - m->steps[s].start, args);
        }
    }
}

int sim_trace_save(const SimModel *m, const char *path, char *err, size_t errlen) {
    if (!m->tracing) {
        snprintf(err, errlen, "the last run recorded no trace (SimOptions.trace)");
        return -1;
    }
    StrBuf out;
    sb_init(&out);
    Trace t = {&out, 1000.0 / m->machine.clock_khz, true};
    const SimStats *st = &m->stats;
    char name[160], args[160];
    sb_puts(&out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
    snprintf(name, sizeof name, "ACC-1 %s (%u tiles, %.2f GHz)", m->machine.preset,
             m->machine.tiles, m->machine.clock_khz / 1e6);
    event_start(&t);
    sb_puts(&out,
            "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":");
    sb_json_string(&out, name);
    sb_puts(&out, "}}");
    name_track(&t, 0, "thread_name", "machine");
    snprintf(args, sizeof args, "\"bytes\":%llu", (unsigned long long)st->host_in_bytes);
    slice(&t, 0, "host in", 0, st->phase[SIM_PHASE_HOST_IN], args);
    for (size_t s = 0; s < m->nsteps; s++) {
        const SimStepRecord *r = &m->steps[s];
        uint64_t instructions = 0;
        for (int g = 0; g < SIM_TRACE_GROUPS; g++)
            instructions += m->groups[s * SIM_TRACE_GROUPS + g].instructions;
        snprintf(name, sizeof name, "superstep %zu", s);
        snprintf(args, sizeof args, "\"instructions\":%llu", (unsigned long long)instructions);
        slice(&t, 0, name, r->start, r->arrival - r->start, args);
        uint64_t at = r->arrival;
        slice(&t, 0, "sync", at, r->sync, "");
        at += r->sync;
        snprintf(args, sizeof args, "\"bytes\":%llu", (unsigned long long)r->bytes);
        slice(&t, 0, "exchange", at, r->exchange, args);
        at += r->exchange;
        slice(&t, 0, "host streams", at, r->streams, "");
    }
    if (st->phase[SIM_PHASE_HOST_OUT])
        slice(&t, 0, "host out", st->cycles - st->phase[SIM_PHASE_HOST_OUT],
              st->phase[SIM_PHASE_HOST_OUT], "");
    trace_groups(&t, m);
    sb_puts(&out, "\n]}\n");
    int rc = file_write_atomic(path, out.data, out.len, err, errlen);
    sb_free(&out);
    return rc;
}

/*
 * A run: the initial state, supersteps, barriers with the exchange, host
 * I/O and the host threads (docs/machine.md, "Supersteps, sync and the
 * exchange" and "Host I/O").
 *
 * Tiles interact only at barriers, so each superstep runs every live tile
 * on its own from the superstep's first cycle to its sync or end
 * (sim_tile_run), spread over the host threads in any order. Everything
 * that depends on more than one tile — which trap came first, the latest
 * arrival, the exchange — is decided afterwards, in tile order, on one
 * thread. That is why results and statistics do not depend on the
 * number of threads.
 */
#include "sim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the host link ------------------------------------------------------------------ */

/* ceil(a * b / d) for d < 2^63, saturating at UINT64_MAX. */
static uint64_t mul_div_ceil(uint64_t a, uint64_t b, uint64_t d) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t lo = mid << 32 | (p00 & 0xffffffffu);
    uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    uint64_t qhi = 0, qlo = 0, r = 0;
    for (int i = 127; i >= 0; i--) {
        r = r << 1 | ((i >= 64 ? hi >> (i - 64) : lo >> i) & 1);
        uint64_t bit = r >= d;
        if (bit) r -= d;
        if (i >= 64)
            qhi |= bit << (i - 64);
        else
            qlo |= bit << i;
    }
    if (r && ++qlo == 0) qhi++;
    return qhi ? UINT64_MAX : qlo;
}

uint64_t sim_host_cycles(const IsaMachine *m, uint64_t bytes) {
    return bytes ? mul_div_ceil(bytes, m->clock_khz, (uint64_t)m->host_mbps * 1000) : 0;
}

static uint64_t div_ceil(uint64_t a, uint64_t b) {
    return a / b + (a % b != 0);
}

/* ---- host threads ------------------------------------------------------------------- */

typedef struct Pool {
    SimModel *m;
    uint64_t limit;
    atomic_size_t next; /* the next entry of m->live to run */
    pthread_mutex_t mu;
    pthread_cond_t go, finished;
    unsigned generation, busy;
    bool quit;
    int nthreads; /* helpers; the calling thread works too */
    pthread_t *threads;
} Pool;

static void pool_work(Pool *p) {
    SimModel *m = p->m;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= m->nlive) return;
        SimTile *T = m->tiles[m->live[i]];
        if (T->state == SIM_TILE_RUNNING) sim_tile_run(T, p->limit);
    }
}

static void *pool_thread(void *arg) {
    Pool *p = arg;
    unsigned seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->generation == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        pool_work(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->finished);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pool_start(Pool *p, SimModel *m, int threads) {
    memset(p, 0, sizeof *p);
    p->m = m;
    atomic_init(&p->next, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->finished, NULL);
    p->threads = xcalloc((size_t)threads + 1, sizeof *p->threads);
    for (int i = 0; i + 1 < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, pool_thread, p) != 0) break;
        p->nthreads++;
    }
}

/* Run every tile of m->live until its sync or end (or a stop). */
static void pool_run(Pool *p, uint64_t limit) {
    p->limit = limit;
    atomic_store(&p->next, 0);
    if (p->nthreads == 0 || p->m->nlive < 2) {
        pool_work(p);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->busy = (unsigned)p->nthreads;
    p->generation++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    pool_work(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy) pthread_cond_wait(&p->finished, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void pool_stop(Pool *p) {
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->finished);
    pthread_mutex_destroy(&p->mu);
}

/* ---- the initial state -------------------------------------------------------------- */

void sim_free_run(SimModel *m) {
    for (uint32_t t = 0; m->tiles && t < m->machine.tiles; t++) {
        if (!m->tiles[t]) continue;
        free(m->tiles[t]->posted);
        free(m->tiles[t]->cache);
        free(m->tiles[t]);
    }
    for (uint32_t t = 0; m->sram && t < m->machine.tiles; t++) free(m->sram[t]);
    free(m->tiles);
    free(m->sram);
    free(m->live);
    free(m->high_water);
    free(m->steps);
    free(m->groups);
    m->tiles = NULL;
    m->sram = NULL;
    m->live = NULL;
    m->high_water = NULL;
    m->steps = NULL;
    m->groups = NULL;
    m->nlive = m->nsteps = m->capsteps = 0;
    m->trapped = false;
    sb_clear(&m->message);
    memset(&m->stats, 0, sizeof m->stats);
    memset(m->op_counts, 0, sizeof m->op_counts);
}

static void raise_high_water(SimModel *m, uint32_t tile, uint64_t end) {
    if (end > m->high_water[tile]) m->high_water[tile] = (uint32_t)end;
}

static uint8_t *sram_of(SimModel *m, uint32_t tile) {
    if (!m->sram[tile]) m->sram[tile] = xcalloc(m->machine.sram_bytes, 1);
    return m->sram[tile];
}

/* Copy an input's runs into SRAM; returns the bytes moved. */
static uint64_t scatter(SimModel *m, const AsmIo *io, const uint8_t *buf) {
    size_t es = dtype_size(io->dtype);
    uint64_t bytes = 0;
    for (size_t i = 0; i < io->nruns; i++) {
        const AsmRun *r = &io->runs[i];
        uint8_t *dst = sram_of(m, r->tile) + r->addr;
        if (r->stride == 1)
            memcpy(dst, buf + r->start * es, r->count * es);
        else
            for (uint64_t k = 0; k < r->count; k++)
                memcpy(dst + k * es, buf + (r->start + k * r->stride) * es, es);
        bytes += r->count * es;
        raise_high_water(m, r->tile, r->addr + r->count * es);
    }
    return bytes;
}

/* Copy an output's runs out of SRAM (buf may be NULL: count only). */
static uint64_t gather(SimModel *m, const AsmIo *io, uint8_t *buf) {
    size_t es = dtype_size(io->dtype);
    uint64_t bytes = 0;
    for (size_t i = 0; i < io->nruns; i++) {
        const AsmRun *r = &io->runs[i];
        bytes += r->count * es;
        if (!buf) continue;
        const uint8_t *src = sram_of(m, r->tile) + r->addr;
        if (r->stride == 1)
            memcpy(buf + r->start * es, src, r->count * es);
        else
            for (uint64_t k = 0; k < r->count; k++)
                memcpy(buf + (r->start + k * r->stride) * es, src + k * es, es);
    }
    return bytes;
}

static void new_tile(SimModel *m, uint32_t id, uint64_t start) {
    const IsaMachine *mach = &m->machine;
    SimTile *T = xcalloc(1, sizeof *T);
    m->tiles[id] = T;
    T->id = id;
    T->ntiles = mach->tiles;
    T->workers = mach->workers;
    T->state = SIM_TILE_RUNNING;
    T->now = start;
    T->sram_bytes = mach->sram_bytes;
    T->sram = sram_of(m, id);
    T->high_water = m->high_water[id];
    T->prog = &m->progs[m->img->tiles[id].program];
    T->table = &m->img->tiles[id];
    for (unsigned w = 0; w <= T->workers; w++) {
        SimCtx *c = &T->ctx[w];
        bool sup = w == T->workers;
        c->ready = sup ? start : SIM_NEVER;
        c->code = T->prog->view[sup ? 0 : 1];
        c->counts = sup ? T->sup_counts : T->worker_counts;
    }
}

/* SRAM, data, resident inputs and the tiles' contexts; returns the bytes
 * of resident inputs (the host-in phase). */
static uint64_t set_up(SimModel *m) {
    const AsmImage *img = m->img;
    uint32_t n = m->machine.tiles;
    m->sram = xcalloc(n, sizeof *m->sram);
    m->tiles = xcalloc(n, sizeof *m->tiles);
    m->high_water = xcalloc(n, sizeof *m->high_water);
    m->live = xcalloc(n, sizeof *m->live);
    for (size_t i = 0; i < img->nsegments; i++) {
        const AsmSegment *s = &img->segments[i];
        memcpy(sram_of(m, s->tile) + s->addr, s->data, s->size);
        raise_high_water(m, s->tile, (uint64_t)s->addr + s->size);
    }
    uint64_t in_bytes = 0;
    for (int k = 0; k < m->ninputs; k++) in_bytes += scatter(m, m->input_io[k], m->in_buf[k]);
    for (int k = 0; k < m->noutputs; k++) {
        if (m->out_buf[k]) memset(m->out_buf[k], 0, m->outputs[k].bytes);
        const AsmIo *io = m->output_io[k];
        for (size_t i = 0; i < io->nruns; i++) {
            const AsmRun *r = &io->runs[i];
            sram_of(m, r->tile);
            raise_high_water(m, r->tile, r->addr + r->count * dtype_size(io->dtype));
        }
    }
    uint64_t start = sim_host_cycles(&m->machine, in_bytes);
    for (uint32_t t = 0; t < n; t++) {
        if (img->tiles[t].program == ASM_NO_PROGRAM) continue;
        new_tile(m, t, start);
        m->live[m->nlive++] = t;
    }
    m->stats.tiles_run = (uint32_t)m->nlive;
    m->stats.host_in_bytes = in_bytes;
    m->stats.phase[SIM_PHASE_HOST_IN] = start;
    return start;
}

/* ---- the exchange ------------------------------------------------------------------- */

/* A send as one receiver sees it. */
typedef struct Incoming {
    uint32_t from, len;
    uint64_t staged; /* offset of its bytes in m->staging */
} Incoming;

/* Bytes written into a tile at a barrier: a matched receive or a host-in stream. */
typedef struct Write {
    uint32_t tile, dst, len;
    bool staged; /* src is an offset into m->staging, else into the input */
    int input;
    uint64_t src;
} Write;

typedef struct HostOut {
    int output;
    uint64_t offset, staged;
    uint32_t len;
} HostOut;

typedef struct Exchange {
    SimModel *m;
    uint64_t at;     /* the barrier's cycle */
    uint32_t *begin; /* per receiver: its Incoming range (tiles + 1 entries) */
    Incoming *in;
    uint64_t *cursor; /* per Incoming entry: for a run's first, the next unmatched one */
    Write *writes;
    size_t nwrites, capwrites;
    HostOut *outs;
    size_t nouts, capouts;
    uint64_t max_send, max_recv; /* cycles of the busiest tile */
    uint64_t sent, received, host_bytes;
} Exchange;

static bool exchange_trap(Exchange *x, uint32_t tile, const char *fmt, ...) ACC_PRINTF(3, 4);
static bool exchange_trap(Exchange *x, uint32_t tile, const char *fmt, ...) {
    SimModel *m = x->m;
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    memset(&m->trap, 0, sizeof m->trap);
    m->trap.cause = ISA_TRAP_EXCHANGE;
    m->trap.tile = tile;
    m->trap.context = -1;
    m->trap.pc = m->tiles[tile] ? m->tiles[tile]->sync_pc : 0;
    m->trap.cycle = x->at;
    m->trapped = true;
    sim_report_trap(m, detail);
    return false;
}

static const char *why_not_receiving(const SimModel *m, uint32_t r) {
    if (!m->tiles[r]) return "runs no program";
    return m->tiles[r]->state == SIM_TILE_DONE ? "has ended" : "is not at the barrier";
}

/* Count every send per receiver; check that each goes to a tile at the barrier. */
static bool count_sends(Exchange *x, uint64_t *staged) {
    SimModel *m = x->m;
    for (size_t i = 0; i < m->nlive; i++) {
        SimTile *T = m->tiles[m->live[i]];
        uint64_t sent = 0;
        for (size_t p = 0; p < T->nposted; p++) {
            const AsmSlot *s = T->posted[p];
            for (size_t k = 0; k < s->nsends; k++) {
                const AsmSend *send = &s->sends[k];
                sent += send->len;
                *staged += send->len;
                for (size_t d = 0; d < send->ndst; d++) {
                    uint32_t r = send->dst[d];
                    if (!m->tiles[r] || m->tiles[r]->state != SIM_TILE_BARRIER)
                        return exchange_trap(x, T->id,
                                             "tile %u sends %u bytes to tile %u, which %s", T->id,
                                             send->len, r, why_not_receiving(m, r));
                    x->begin[r + 1]++;
                }
            }
            for (size_t k = 0; k < s->nhostout; k++) *staged += s->hostout[k].len;
        }
        x->sent += sent;
        uint64_t cycles = div_ceil(sent, m->machine.xsend_bytes);
        if (cycles > x->max_send) x->max_send = cycles;
    }
    return true;
}

static void raise_tile_high_water(SimTile *T, uint64_t end) {
    if (end > T->high_water) T->high_water = (uint32_t)end;
}

/* Read every send and host-out stream from SRAM as it is at the barrier. */
static void stage(Exchange *x) {
    SimModel *m = x->m;
    uint32_t *fill = xmalloc((m->machine.tiles + 1) * sizeof *fill);
    memcpy(fill, x->begin, (m->machine.tiles + 1) * sizeof *fill);
    uint64_t off = 0;
    for (size_t i = 0; i < m->nlive; i++) {
        SimTile *T = m->tiles[m->live[i]];
        for (size_t p = 0; p < T->nposted; p++) {
            const AsmSlot *s = T->posted[p];
            for (size_t k = 0; k < s->nsends; k++) {
                const AsmSend *send = &s->sends[k];
                memcpy(m->staging + off, T->sram + send->src, send->len);
                raise_tile_high_water(T, (uint64_t)send->src + send->len);
                for (size_t d = 0; d < send->ndst; d++)
                    x->in[fill[send->dst[d]]++] = (Incoming){T->id, send->len, off};
                off += send->len;
            }
            for (size_t k = 0; k < s->nhostout; k++) {
                const AsmStream *h = &s->hostout[k];
                memcpy(m->staging + off, T->sram + h->addr, h->len);
                raise_tile_high_water(T, (uint64_t)h->addr + h->len);
                XGROW(x->outs, x->capouts, x->nouts + 1);
                x->outs[x->nouts++] = (HostOut){m->io_ref[h->io].index, h->offset, off, h->len};
                x->host_bytes += h->len;
                m->stats.host_out_bytes += h->len;
                off += h->len;
            }
        }
    }
    free(fill);
}

static void add_write(Exchange *x, Write w) {
    XGROW(x->writes, x->capwrites, x->nwrites + 1);
    x->writes[x->nwrites++] = w;
}

/* The first Incoming of tile r's range from tile `from` (or the range's end). */
static uint32_t first_from(const Exchange *x, uint32_t r, uint32_t from) {
    uint32_t lo = x->begin[r], hi = x->begin[r + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (x->in[mid].from < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t run_length(const Exchange *x, uint32_t r, uint32_t first) {
    uint32_t e = first;
    while (e < x->begin[r + 1] && x->in[e].from == x->in[first].from) e++;
    return e - first;
}

/* Pair tile R's receives with the sends to it, per sender in posting order. */
static bool match(Exchange *x, SimTile *R) {
    SimModel *m = x->m;
    uint32_t r = R->id, end = x->begin[r + 1];
    uint64_t received = 0;
    for (size_t p = 0; p < R->nposted; p++) {
        const AsmSlot *s = R->posted[p];
        for (size_t k = 0; k < s->nrecvs; k++) {
            /* a group: its pieces are receives one after another */
            const AsmRecv *recv = &s->recvs[k];
            uint32_t g = first_from(x, r, recv->from);
            bool from_sender = g < end && x->in[g].from == recv->from;
            for (uint32_t j = 0; j < recv->count; j++) {
                uint32_t dst = recv->dst + (uint32_t)recv->stride * j;
                uint32_t at = from_sender ? (uint32_t)x->cursor[g] : end;
                if (at >= end || x->in[at].from != recv->from) {
                    uint32_t sends = from_sender ? run_length(x, r, g) : 0;
                    return exchange_trap(
                        x, r,
                        "tile %u posted more receives from tile %u than the %u "
                        "transfer%s tile %u sends it (the first unmatched: %u bytes "
                        "into 0x%x)",
                        r, recv->from, sends, sends == 1 ? "" : "s", recv->from, recv->len, dst);
                }
                if (x->in[at].len != recv->len)
                    return exchange_trap(
                        x, r,
                        "tile %u sends %u bytes to tile %u, which expects %u bytes "
                        "(transfer %u from tile %u)",
                        recv->from, x->in[at].len, r, recv->len, at - g + 1, recv->from);
                x->cursor[g] = at + 1;
                add_write(x, (Write){r, dst, recv->len, true, 0, x->in[at].staged});
                received += recv->len;
            }
        }
        for (size_t k = 0; k < s->nhostin; k++) {
            const AsmStream *h = &s->hostin[k];
            add_write(x, (Write){r, h->addr, h->len, false, m->io_ref[h->io].index, h->offset});
            x->host_bytes += h->len;
            m->stats.host_in_bytes += h->len;
        }
    }
    for (uint32_t g = x->begin[r]; g < end;) {
        uint32_t n = run_length(x, r, g);
        if (x->cursor[g] < g + n)
            return exchange_trap(x, x->in[g].from,
                                 "tile %u sends %u transfer%s to tile %u, which posted only %u "
                                 "receive%s from it",
                                 x->in[g].from, n, n == 1 ? "" : "s", r,
                                 (unsigned)(x->cursor[g] - g), x->cursor[g] - g == 1 ? "" : "s");
        g += n;
    }
    x->received += received;
    uint64_t cycles = div_ceil(received, m->machine.xrecv_bytes);
    if (cycles > x->max_recv) x->max_recv = cycles;
    return true;
}

static int compare_writes(const void *a, const void *b) {
    const Write *x = a, *y = b;
    if (x->tile != y->tile) return x->tile < y->tile ? -1 : 1;
    if (x->dst != y->dst) return x->dst < y->dst ? -1 : 1;
    return 0;
}

static int compare_outs(const void *a, const void *b) {
    const HostOut *x = a, *y = b;
    if (x->output != y->output) return x->output < y->output ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return 0;
}

/* No byte of a tile's SRAM or of an output is written twice at one barrier. */
static bool check_overlaps(Exchange *x) {
    if (x->nwrites > 1) qsort(x->writes, x->nwrites, sizeof *x->writes, compare_writes);
    for (size_t i = 1; i < x->nwrites; i++) {
        const Write *a = &x->writes[i - 1], *b = &x->writes[i];
        if (a->tile == b->tile && (uint64_t)a->dst + a->len > b->dst)
            return exchange_trap(x, b->tile,
                                 "tile %u: transfers write 0x%x..0x%llx and 0x%x..0x%llx, which "
                                 "overlap, at one barrier",
                                 b->tile, a->dst, (unsigned long long)a->dst + a->len - 1, b->dst,
                                 (unsigned long long)b->dst + b->len - 1);
    }
    if (x->nouts > 1) qsort(x->outs, x->nouts, sizeof *x->outs, compare_outs);
    for (size_t i = 1; i < x->nouts; i++) {
        const HostOut *a = &x->outs[i - 1], *b = &x->outs[i];
        if (a->output == b->output && a->offset + a->len > b->offset)
            return exchange_trap(
                x, x->m->live[0],
                "host-out streams write bytes %llu..%llu and %llu..%llu of "
                "output '%s' at one barrier",
                (unsigned long long)a->offset, (unsigned long long)(a->offset + a->len - 1),
                (unsigned long long)b->offset, (unsigned long long)(b->offset + b->len - 1),
                x->m->outputs[b->output].name);
    }
    return true;
}

static void deliver(Exchange *x) {
    SimModel *m = x->m;
    for (size_t i = 0; i < x->nwrites; i++) {
        const Write *w = &x->writes[i];
        SimTile *T = m->tiles[w->tile];
        const uint8_t *src =
            w->staged ? m->staging + w->src : (const uint8_t *)m->in_buf[w->input] + w->src;
        memcpy(T->sram + w->dst, src, w->len);
        raise_tile_high_water(T, (uint64_t)w->dst + w->len);
    }
    for (size_t i = 0; i < x->nouts; i++) {
        const HostOut *h = &x->outs[i];
        if (m->out_buf[h->output])
            memcpy((uint8_t *)m->out_buf[h->output] + h->offset, m->staging + h->staged, h->len);
    }
}

/* The exchange of the tiles at the barrier of cycle `at` (m->live: every
 * tile live in the superstep). Sets the barrier's exchange and stream
 * cycles; false after a trap. */
static bool exchange(SimModel *m, uint64_t at, uint64_t *xcycles, uint64_t *hcycles) {
    uint32_t n = m->machine.tiles;
    Exchange x;
    memset(&x, 0, sizeof x);
    x.m = m;
    x.at = at;
    x.begin = xcalloc((size_t)n + 1, sizeof *x.begin);
    uint64_t staged = 0;
    bool ok = count_sends(&x, &staged);
    if (ok) {
        for (uint32_t r = 0; r < n; r++) x.begin[r + 1] += x.begin[r];
        x.in = xmalloc(((size_t)x.begin[n] + 1) * sizeof *x.in);
        x.cursor = xmalloc(((size_t)x.begin[n] + 1) * sizeof *x.cursor);
        for (uint32_t i = 0; i < x.begin[n]; i++) x.cursor[i] = i;
        if (staged > m->capstaging) {
            free(m->staging);
            m->staging = xmalloc(staged);
            m->capstaging = staged;
        }
        stage(&x);
    }
    for (size_t i = 0; ok && i < m->nlive; i++) {
        SimTile *T = m->tiles[m->live[i]];
        if (T->state == SIM_TILE_BARRIER) ok = match(&x, T);
    }
    if (ok) ok = check_overlaps(&x);
    if (ok) {
        deliver(&x);
        *xcycles = x.sent ? m->machine.xlatency_cycles +
                                (x.max_send > x.max_recv ? x.max_send : x.max_recv)
                          : 0;
        *hcycles = sim_host_cycles(&m->machine, x.host_bytes);
        m->stats.exchange_bytes += x.received;
        m->stats.exchange_sent_bytes += x.sent;
    }
    free(x.begin);
    free(x.in);
    free(x.cursor);
    free(x.writes);
    free(x.outs);
    return ok;
}

/* ---- the timeline of a traced run --------------------------------------------------- */

static uint64_t tile_instructions(const SimTile *T) {
    uint64_t n = 0;
    for (int op = 0; op < SIM_OP_COUNT; op++) n += T->sup_counts[op] + T->worker_counts[op];
    return n;
}

/* Record the superstep just run; false when the trace is full (or off). */
static bool record_step(SimModel *m, uint64_t start, uint64_t arrival, uint64_t *marks) {
    if (!m->tracing || m->nsteps >= SIM_TRACE_SUPERSTEPS) return false;
    if (m->nsteps == m->capsteps) {
        size_t cap = m->capsteps ? 2 * m->capsteps : 16;
        m->steps = xrealloc(m->steps, cap * sizeof *m->steps);
        m->groups = xrealloc(m->groups, cap * SIM_TRACE_GROUPS * sizeof *m->groups);
        m->capsteps = cap;
    }
    SimStepRecord *s = &m->steps[m->nsteps];
    memset(s, 0, sizeof *s);
    s->start = start;
    s->arrival = arrival;
    SimGroupRecord *g = &m->groups[m->nsteps * SIM_TRACE_GROUPS];
    memset(g, 0, SIM_TRACE_GROUPS * sizeof *g);
    for (size_t i = 0; i < m->nlive; i++) {
        const SimTile *T = m->tiles[m->live[i]];
        SimGroupRecord *r = &g[T->id / m->group_size];
        uint64_t total = tile_instructions(T);
        r->instructions += total - marks[T->id];
        marks[T->id] = total;
        r->tiles++;
        uint64_t end =
            T->state == SIM_TILE_BARRIER || T->state == SIM_TILE_DONE ? T->arrival : T->now;
        if (end > r->arrival) r->arrival = end;
    }
    m->nsteps++;
    return true;
}

/* ---- a run -------------------------------------------------------------------------- */

static int host_threads(const SimOptions *opt) {
    if (opt && opt->threads > 0) return opt->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n < 256 ? n : 256) : 1;
}

/* After a superstep: the earliest trap (ties: the lowest tile), else
 * whether a tile reached the limit. */
static SimStatus superstep_outcome(SimModel *m, uint64_t *arrival) {
    const SimTile *first = NULL;
    bool limit = false;
    for (size_t i = 0; i < m->nlive; i++) {
        const SimTile *T = m->tiles[m->live[i]];
        switch (T->state) {
        case SIM_TILE_TRAPPED:
            if (!first || T->trap.cycle < first->trap.cycle) first = T;
            break;
        case SIM_TILE_LIMIT: limit = true; break;
        default:
            if (T->arrival > *arrival) *arrival = T->arrival;
            break;
        }
    }
    if (first) {
        m->trap = first->trap;
        m->trapped = true;
        sim_report_trap(m, first->trap_detail[0] ? first->trap_detail : NULL);
        *arrival = first->trap.cycle;
        return SIM_TRAP;
    }
    return limit ? SIM_CYCLE_LIMIT : SIM_OK;
}

/* The tiles at the barrier start the next superstep at cycle `resume`. */
static void resume_tiles(SimModel *m, uint64_t resume) {
    size_t n = 0;
    for (size_t i = 0; i < m->nlive; i++) {
        SimTile *T = m->tiles[m->live[i]];
        if (T->state != SIM_TILE_BARRIER) continue;
        T->state = SIM_TILE_RUNNING;
        T->now = resume;
        T->ctx[T->workers].ready = resume;
        T->sstep++;
        T->nposted = 0;
        m->live[n++] = T->id;
    }
    m->nlive = n;
}

/* Run the superstep that starts at cycle start, in rounds that end at
 * multiples of SIM_ROUND cycles: a trap on one tile stops the others at the
 * end of its round instead of letting them run on to the cycle limit. The
 * rounds end at the same cycles for any number of threads, so what ran
 * before a trap (the statistics) does not depend on them either. */
static void run_superstep(SimModel *m, Pool *pool, uint64_t start, uint64_t limit) {
    uint64_t horizon = start;
    for (;;) {
        horizon = horizon / SIM_ROUND * SIM_ROUND + SIM_ROUND;
        if (horizon > limit) horizon = limit;
        pool_run(pool, horizon);
        bool trapped = false, paused = false;
        for (size_t i = 0; i < m->nlive; i++) {
            const SimTile *T = m->tiles[m->live[i]];
            trapped = trapped || T->state == SIM_TILE_TRAPPED;
            paused = paused || T->state == SIM_TILE_LIMIT;
        }
        if (trapped || !paused || horizon == limit) return;
        for (size_t i = 0; i < m->nlive; i++) {
            SimTile *T = m->tiles[m->live[i]];
            if (T->state == SIM_TILE_LIMIT) T->state = SIM_TILE_RUNNING; /* on to the next round */
        }
    }
}

static bool any_at_barrier(const SimModel *m) {
    for (size_t i = 0; i < m->nlive; i++)
        if (m->tiles[m->live[i]]->state == SIM_TILE_BARRIER) return true;
    return false;
}

SimStatus sim_run(SimModel *m, const SimOptions *opt) {
    sim_free_run(m);
    for (int k = 0; k < m->ninputs; k++)
        if (!m->in_buf[k]) {
            sb_printf(&m->message, "input '%s' is not bound", m->inputs[k].name);
            return m->status = SIM_UNBOUND;
        }
    uint64_t limit = opt && opt->max_cycles ? opt->max_cycles : SIM_DEFAULT_MAX_CYCLES;
    m->tracing = opt && opt->trace;
    m->group_size = (m->machine.tiles + SIM_TRACE_GROUPS - 1) / SIM_TRACE_GROUPS;
    uint64_t start = set_up(m);
    uint64_t *marks = m->tracing ? xcalloc(m->machine.tiles, sizeof *marks) : NULL;
    int threads = host_threads(opt);
    if ((size_t)threads > m->nlive) threads = m->nlive ? (int)m->nlive : 1;
    Pool pool;
    pool_start(&pool, m, threads);
    SimStats *st = &m->stats;
    SimStatus status = SIM_OK;
    uint64_t end = start;
    while (m->nlive) {
        run_superstep(m, &pool, start, limit);
        uint64_t arrival = start;
        status = superstep_outcome(m, &arrival);
        if (status == SIM_CYCLE_LIMIT) {
            arrival = limit;
            sim_report_limit(m, limit);
        }
        st->supersteps++;
        st->phase[SIM_PHASE_COMPUTE] += arrival - start;
        bool recorded = record_step(m, start, arrival, marks);
        end = arrival;
        if (status != SIM_OK || !any_at_barrier(m)) break;
        uint64_t xcycles = 0, hcycles = 0, received = st->exchange_bytes;
        if (!exchange(m, arrival, &xcycles, &hcycles)) {
            status = SIM_TRAP;
            break;
        }
        st->barriers++;
        st->phase[SIM_PHASE_SYNC] += m->machine.sync_cycles;
        st->phase[SIM_PHASE_EXCHANGE] += xcycles;
        st->phase[SIM_PHASE_STREAMS] += hcycles;
        if (recorded) {
            SimStepRecord *s = &m->steps[m->nsteps - 1];
            s->sync = m->machine.sync_cycles;
            s->exchange = xcycles;
            s->streams = hcycles;
            s->bytes = st->exchange_bytes - received;
        }
        start = arrival + m->machine.sync_cycles + xcycles + hcycles;
        resume_tiles(m, start);
    }
    pool_stop(&pool);
    free(marks);
    uint64_t out_bytes = 0;
    for (int k = 0; k < m->noutputs; k++)
        out_bytes += gather(m, m->output_io[k], status == SIM_OK ? m->out_buf[k] : NULL);
    if (status == SIM_OK) {
        st->phase[SIM_PHASE_HOST_OUT] = sim_host_cycles(&m->machine, out_bytes);
        st->host_out_bytes += out_bytes;
    }
    st->cycles = end + st->phase[SIM_PHASE_HOST_OUT];
    sim_collect_stats(m);
    return m->status = status;
}

const char *sim_message(const SimModel *m) {
    return m->message.data ? m->message.data : "";
}

const SimTrap *sim_trap(const SimModel *m) {
    return m->trapped ? &m->trap : NULL;
}

const SimStats *sim_stats(const SimModel *m) {
    return &m->stats;
}

bool sim_read_sram(const SimModel *m, uint32_t tile, uint32_t addr, void *out, size_t len) {
    if (!m->sram || tile >= m->machine.tiles || !m->sram[tile]) return false;
    if (addr > m->machine.sram_bytes || len > m->machine.sram_bytes - addr) return false;
    memcpy(out, m->sram[tile] + addr, len);
    return true;
}

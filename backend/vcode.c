/*
 * Straight-line code over virtual registers and its register allocation:
 * a linear scan over the code (every value lives from its first write to
 * its last read), registers from the pools the kernel leaves free. When a
 * pool runs dry the value that lives longest is spilled to the worker's
 * scratch: loaded into a reserved temporary before each read and stored
 * after each write.
 */
#include "internal.h"

#include <stdlib.h>

void vc_init(VCode *v) {
    memset(v, 0, sizeof *v);
    XGROW(v->cls, v->capv, 1);
    v->nv = 1; /* virtual register 0 means "no register" */
}

void vc_free(VCode *v) {
    free(v->ops);
    free(v->cls);
    memset(v, 0, sizeof *v);
}

int32_t vc_new(VCode *v, VClass c) {
    XGROW(v->cls, v->capv, (size_t)v->nv + 1);
    v->cls[v->nv] = c;
    return v->nv++;
}

static VOp *push(VCode *v, IsaOp op, int32_t imm) {
    XGROW(v->ops, v->cap, v->n + 1);
    VOp *o = &v->ops[v->n++];
    memset(o, 0, sizeof *o);
    o->op = op;
    o->imm = imm;
    return o;
}

static void slot(VOp *o, int k, int32_t r, uint8_t rw) {
    if (!r) return;
    o->r[k] = r;
    o->rw[k] = rw;
    o->used[k] = true;
}

void vc_op(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t b, int32_t imm) {
    VOp *o = push(v, op, imm);
    slot(o, 0, d, VR_WRITE);
    slot(o, 1, a, VR_READ);
    slot(o, 2, b, VR_READ);
}

void vc_op_rmw(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t b, int32_t imm) {
    VOp *o = push(v, op, imm);
    slot(o, 0, d, VR_READ | VR_WRITE);
    slot(o, 1, a, VR_READ);
    slot(o, 2, b, VR_READ);
}

void vc_store(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t imm) {
    VOp *o = push(v, op, imm);
    slot(o, 0, d, VR_READ);
    slot(o, 1, a, VR_READ | VR_WRITE);
}

void vc_load_pi(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t imm) {
    VOp *o = push(v, op, imm);
    slot(o, 0, d, VR_WRITE);
    slot(o, 1, a, VR_READ | VR_WRITE);
}

void vc_load_pr(VCode *v, IsaOp op, int32_t d, int32_t a, int32_t b) {
    VOp *o = push(v, op, 0);
    slot(o, 0, d, VR_WRITE);
    slot(o, 1, a, VR_READ | VR_WRITE);
    slot(o, 2, b, VR_READ);
}

/* ---- Allocation ----------------------------------------------------------------------- */

typedef struct Alloc {
    int32_t *first, *last; /* per virtual register: positions */
    int *reg;              /* physical register, or -1 */
    int *slot;             /* spill slot offset, or -1 */
} Alloc;

static int lowest(uint32_t set) {
    for (int r = 0; r < 32; r++)
        if (set >> r & 1) return r;
    return -1;
}

static int popcount(uint32_t x) {
    int n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

/* One linear scan; spilling only if spill_ok. False if out of registers
 * (or scratch). */
static bool scan(const VCode *v, const VPool *pool, const uint32_t *avail, Alloc *al,
                 const bool *spill_ok, uint32_t *scratch_top, const bool *kept) {
    int32_t nv = v->nv;
    for (int32_t r = 0; r < nv; r++) al->reg[r] = -1, al->slot[r] = -1;
    uint32_t freeset[2] = {avail[0], avail[1]};
    int32_t *active = xmalloc((size_t)nv * sizeof *active);
    int32_t nactive = 0;
    int32_t *spilled = xmalloc((size_t)nv * sizeof *spilled); /* owners of the slots */
    int32_t nspilled = 0;
    bool ok = true;
    for (size_t i = 0; i < v->n && ok; i++) {
        const VOp *o = &v->ops[i];
        /* expire what ended before i, and what ends here without a write */
        for (int32_t k = 0; k < nactive;) {
            int32_t r = active[k];
            bool ends_here = al->last[r] == (int32_t)i;
            bool written_here = false;
            for (int s = 0; s < 3; s++)
                if (o->used[s] && o->r[s] == r && (o->rw[s] & VR_WRITE)) written_here = true;
            if (al->last[r] < (int32_t)i || (ends_here && !written_here)) {
                freeset[v->cls[r]] |= 1u << al->reg[r];
                active[k] = active[--nactive];
            } else {
                k++;
            }
        }
        for (int s = 0; s < 3; s++) {
            int32_t r = o->r[s];
            if (!o->used[s] || r <= 0 || al->first[r] != (int32_t)i) continue;
            if (al->reg[r] >= 0 || al->slot[r] >= 0) continue;
            VClass c = v->cls[r];
            if (freeset[c]) {
                int p = lowest(freeset[c]);
                al->reg[r] = p;
                freeset[c] &= ~(1u << p);
                active[nactive++] = r;
                continue;
            }
            if (!spill_ok[c]) {
                ok = false;
                break;
            }
            /* spill the longest-lived of r and the active values of its
             * class not used by this instruction */
            int32_t victim = kept[r] ? -1 : r;
            for (int32_t k = 0; k < nactive; k++) {
                int32_t a = active[k];
                if (v->cls[a] != c || kept[a]) continue;
                bool here = false;
                for (int t = 0; t < 3; t++) here |= o->used[t] && o->r[t] == a;
                if (here) continue;
                if (victim < 0 || al->last[a] > al->last[victim]) victim = a;
            }
            if (victim < 0 || pool->scratch_m < 0) {
                ok = false;
                break;
            }
            /* a slot whose value died before the victim's life began (a
             * spilled value lives in its slot all its life), else a new one */
            int slot = -1;
            for (int32_t k = 0; k < nspilled && slot < 0; k++)
                if (al->last[spilled[k]] < al->first[victim]) {
                    slot = al->slot[spilled[k]];
                    spilled[k] = victim;
                }
            if (slot < 0) {
                if (*scratch_top + 4 > PLAN_SCRATCH) {
                    ok = false;
                    break;
                }
                slot = (int)*scratch_top;
                *scratch_top += 4;
                spilled[nspilled++] = victim;
            }
            al->slot[victim] = slot;
            if (victim != r) {
                int p = al->reg[victim];
                al->reg[victim] = -1;
                for (int32_t k = 0; k < nactive; k++)
                    if (active[k] == victim) active[k] = active[--nactive];
                al->reg[r] = p;
                active[nactive++] = r;
            }
        }
        /* values written but never read die at once */
        for (int32_t k = 0; k < nactive;) {
            int32_t r = active[k];
            if (al->last[r] <= (int32_t)i && !kept[r]) {
                freeset[v->cls[r]] |= 1u << al->reg[r];
                active[k] = active[--nactive];
            } else {
                k++;
            }
        }
    }
    free(active);
    free(spilled);
    return ok;
}

static IsaOp spill_load(VClass c) {
    return c == VC_A ? ISA_LD32 : ISA_LDW;
}

static IsaOp spill_store(VClass c) {
    return c == VC_A ? ISA_ST32 : ISA_STW;
}

bool vc_emit(VCode *v, const VPool *pool, Code *c, const int32_t *keep, int nkeep, int *where) {
    int32_t nv = v->nv;
    Alloc al;
    al.first = xmalloc((size_t)nv * sizeof *al.first);
    al.last = xmalloc((size_t)nv * sizeof *al.last);
    al.reg = xmalloc((size_t)nv * sizeof *al.reg);
    al.slot = xmalloc((size_t)nv * sizeof *al.slot);
    bool *kept = xcalloc((size_t)nv, sizeof *kept);
    for (int32_t r = 0; r < nv; r++) al.first[r] = INT32_MAX, al.last[r] = -1;
    for (size_t i = 0; i < v->n; i++)
        for (int s = 0; s < 3; s++) {
            int32_t r = v->ops[i].r[s];
            if (!v->ops[i].used[s] || r <= 0) continue;
            if ((int32_t)i < al.first[r]) al.first[r] = (int32_t)i;
            al.last[r] = (int32_t)i;
        }
    for (int k = 0; k < nkeep; k++) {
        kept[keep[k]] = true;
        al.last[keep[k]] = (int32_t)v->n;
    }
    uint32_t avail[2] = {pool->a, pool->m};
    uint32_t top = pool->scratch_off;
    bool no_spill[2] = {false, false};
    bool ok = scan(v, pool, avail, &al, no_spill, &top, kept);
    uint32_t temps[2] = {0, 0};
    if (!ok) {
        /* reserve three temporaries per class for spilled values (an
         * instruction reads or writes at most three) */
        bool spill_ok[2];
        for (int cl = 0; cl < 2; cl++) {
            spill_ok[cl] = popcount(avail[cl]) >= 4 && pool->scratch_m >= 0;
            for (int k = 0; k < 3 && spill_ok[cl]; k++) {
                int r = lowest(avail[cl]);
                temps[cl] |= 1u << r;
                avail[cl] &= ~(1u << r);
            }
        }
        top = pool->scratch_off;
        ok = scan(v, pool, avail, &al, spill_ok, &top, kept);
    }
    if (ok) {
        for (size_t i = 0; i < v->n; i++) {
            const VOp *o = &v->ops[i];
            int phys[3] = {0, 0, 0};
            int tempreg[3] = {-1, -1, -1};
            uint32_t left[2] = {temps[0], temps[1]};
            for (int s = 0; s < 3; s++) {
                int32_t r = o->r[s];
                if (!o->used[s]) continue;
                if (r < 0) {
                    phys[s] = -1 - r;
                    continue;
                }
                if (al.slot[r] >= 0) {
                    /* the same spilled value in two slots shares a temp */
                    for (int t = 0; t < s; t++)
                        if (o->used[t] && o->r[t] == r) tempreg[s] = tempreg[t];
                    if (tempreg[s] < 0) {
                        tempreg[s] = lowest(left[v->cls[r]]);
                        left[v->cls[r]] &= ~(1u << tempreg[s]);
                        if (o->rw[s] & VR_READ)
                            code_op(c, spill_load(v->cls[r]), tempreg[s], pool->scratch_m, 0,
                                    al.slot[r], 0);
                    }
                    phys[s] = tempreg[s];
                } else {
                    phys[s] = al.reg[r];
                }
            }
            code_op(c, o->op, phys[0], phys[1], phys[2], o->imm, o->imm2);
            for (int s = 0; s < 3; s++) {
                int32_t r = o->r[s];
                if (o->used[s] && r > 0 && al.slot[r] >= 0 && (o->rw[s] & VR_WRITE))
                    code_op(c, spill_store(v->cls[r]), tempreg[s], pool->scratch_m, 0, al.slot[r],
                            0);
            }
        }
        for (int k = 0; k < nkeep && where; k++) where[k] = al.reg[keep[k]];
    }
    free(al.first);
    free(al.last);
    free(al.reg);
    free(al.slot);
    free(kept);
    return ok;
}

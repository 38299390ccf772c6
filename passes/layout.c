/*
 * Layouts: how a tensor is spread over a grid of tiles and stored on each
 * (docs/backend.md, "Layouts"). Pure functions of a PlanLayout.
 */
#include "passes.h"

#include <math.h>
#include <stdlib.h>

int32_t layout_ntiles(const PlanLayout *l) {
    int64_t n = 1;
    for (int a = 0; a < l->ngrid; a++) n *= l->grid[a];
    return (int32_t)n;
}

int64_t layout_parts(const PlanLayout *l, int d) {
    if (l->axis[d] < 0 || l->block[d] == 0) return 1;
    return (l->dims[d] + l->block[d] - 1) / l->block[d];
}

int64_t layout_stored(const PlanLayout *l, int d) {
    int64_t n = l->block[d] + l->lo[d] + l->hi[d], m = l->mult[d] > 0 ? l->mult[d] : 1;
    return (n + m - 1) / m * m;
}

void layout_strides(const PlanLayout *l, int64_t *strides) {
    int64_t s = 1;
    for (int i = l->rank - 1; i >= 0; i--) {
        int d = l->order[i];
        strides[d] = s;
        s *= layout_stored(l, d);
    }
}

uint64_t layout_block_bytes(const PlanLayout *l) {
    uint64_t n = dtype_size(l->dtype);
    for (int d = 0; d < l->rank; d++) n *= (uint64_t)layout_stored(l, d);
    return n;
}

void layout_block_of(const PlanLayout *l, int32_t q, int64_t *blockc) {
    int64_t coord[PLAN_MAX_GRID];
    for (int a = l->ngrid - 1; a >= 0; a--) {
        coord[a] = q % l->grid[a];
        q /= l->grid[a];
    }
    for (int d = 0; d < l->rank; d++) blockc[d] = l->axis[d] >= 0 ? coord[l->axis[d]] : 0;
}

int64_t layout_extent(const PlanLayout *l, const int64_t *blockc, int d) {
    int64_t start = blockc[d] * l->block[d], n = l->dims[d] - start;
    if (n < 0) return 0;
    return n < l->block[d] ? n : l->block[d];
}

void layout_canon(PlanLayout *l) {
    /* Drop grid axes of one part, renumbering the others. */
    int8_t renum[PLAN_MAX_GRID];
    int ng = 0;
    for (int a = 0; a < l->ngrid; a++) {
        renum[a] = (int8_t)(l->grid[a] > 1 ? ng : -1);
        if (l->grid[a] > 1) l->grid[ng++] = l->grid[a];
    }
    for (int a = ng; a < PLAN_MAX_GRID; a++) l->grid[a] = 0;
    l->ngrid = ng;
    for (int d = 0; d < l->rank; d++) {
        if (l->axis[d] >= 0) l->axis[d] = renum[(int)l->axis[d]];
        if (l->axis[d] < 0) l->block[d] = l->dims[d];
        if (l->mult[d] < 1) l->mult[d] = 1;
        if (layout_stored(l, d) == l->block[d] + l->lo[d] + l->hi[d]) l->mult[d] = 1;
    }
    /* Dimensions stored with extent 1 have no stride that matters: put them
     * first, in index order, keeping the others' relative order. */
    int8_t order[IR_MAX_RANK];
    int n = 0;
    for (int d = 0; d < l->rank; d++)
        if (layout_stored(l, d) == 1) order[n++] = (int8_t)d;
    for (int i = 0; i < l->rank; i++)
        if (layout_stored(l, l->order[i]) != 1) order[n++] = l->order[i];
    memcpy(l->order, order, (size_t)l->rank);
    bool margins = false;
    for (int d = 0; d < l->rank; d++)
        margins |= layout_stored(l, d) != l->block[d] || l->lo[d] != 0;
    if (!margins) {
        l->pad = 0;
        l->pad_undefined = false;
    }
    for (int d = l->rank; d < IR_MAX_RANK; d++) {
        l->dims[d] = l->block[d] = l->lo[d] = l->hi[d] = 0;
        l->mult[d] = 1;
        l->axis[d] = -1;
        l->order[d] = (int8_t)d;
    }
}

void layout_unique(const PlanLayout *l, PlanLayout *out) {
    *out = *l;
    int8_t renum[PLAN_MAX_GRID];
    int ng = 0;
    for (int a = 0; a < l->ngrid; a++) {
        bool splits = false;
        for (int d = 0; d < l->rank; d++) splits |= l->axis[d] == a;
        renum[a] = (int8_t)(splits ? ng : -1);
        if (splits) out->grid[ng++] = l->grid[a];
    }
    for (int a = ng; a < PLAN_MAX_GRID; a++) out->grid[a] = 0;
    out->ngrid = ng;
    for (int d = 0; d < l->rank; d++)
        if (l->axis[d] >= 0) out->axis[d] = renum[(int)l->axis[d]];
}

int32_t layout_tile_of_block(const PlanLayout *l, const int64_t *blockc) {
    int64_t coord[PLAN_MAX_GRID] = {0};
    for (int d = 0; d < l->rank; d++)
        if (l->axis[d] >= 0) coord[(int)l->axis[d]] = blockc[d];
    int64_t q = 0;
    for (int a = 0; a < l->ngrid; a++) q = q * l->grid[a] + coord[a];
    return l->base + (int32_t)q;
}

bool layout_equal(const PlanLayout *a, const PlanLayout *b) {
    PlanLayout x = *a, y = *b;
    layout_canon(&x);
    layout_canon(&y);
    if (x.dtype != y.dtype || x.rank != y.rank || x.base != y.base || x.ngrid != y.ngrid)
        return false;
    for (int i = 0; i < x.ngrid; i++)
        if (x.grid[i] != y.grid[i]) return false;
    for (int d = 0; d < x.rank; d++)
        if (x.dims[d] != y.dims[d] || x.axis[d] != y.axis[d] || x.block[d] != y.block[d] ||
            x.lo[d] != y.lo[d] || x.hi[d] != y.hi[d] || x.mult[d] != y.mult[d] ||
            x.order[d] != y.order[d])
            return false;
    if (x.pad_undefined != y.pad_undefined) return false;
    return x.pad_undefined || (x.pad == y.pad && signbit(x.pad) == signbit(y.pad)) ||
           (isnan(x.pad) && isnan(y.pad));
}

static void layout_init(PlanLayout *l, AccDtype dtype, int rank, const int64_t *dims,
                        int32_t base) {
    memset(l, 0, sizeof *l);
    l->dtype = dtype;
    l->rank = rank;
    l->base = base;
    for (int d = 0; d < IR_MAX_RANK; d++) {
        l->dims[d] = d < rank ? dims[d] : 0;
        l->block[d] = l->dims[d];
        l->axis[d] = -1;
        l->mult[d] = 1;
        l->order[d] = (int8_t)d;
    }
}

void layout_single(PlanLayout *l, AccDtype dtype, int rank, const int64_t *dims, int32_t tile) {
    layout_init(l, dtype, rank, dims, tile);
}

void layout_default(PlanLayout *l, AccDtype dtype, int rank, const int64_t *dims, int32_t base,
                    int32_t ntiles, int64_t min_bytes) {
    layout_init(l, dtype, rank, dims, base);
    int64_t count = 1;
    for (int d = 0; d < rank; d++) count *= dims[d];
    int64_t bytes = count * (int64_t)dtype_size(dtype);
    int64_t want = min_bytes > 0 ? bytes / min_bytes : ntiles;
    if (want > ntiles) want = ntiles;
    if (want < 1) want = 1;
    /* Split outer dimensions first: rows of a matrix, batches of images. */
    int64_t left = want;
    for (int d = 0; d < rank && left > 1; d++) {
        if (dims[d] <= 1) continue;
        int64_t parts = dims[d] < left ? dims[d] : left;
        int64_t block = (dims[d] + parts - 1) / parts;
        parts = (dims[d] + block - 1) / block;
        l->axis[d] = (int8_t)l->ngrid;
        l->grid[l->ngrid++] = (int32_t)parts;
        l->block[d] = block;
        left /= parts;
    }
}

bool layout_is_plain(const PlanLayout *l) {
    for (int d = 0; d < l->rank; d++)
        if (l->lo[d] || l->hi[d] || layout_stored(l, d) != l->block[d] || l->order[d] != d)
            return false;
    return true;
}

void layout_print(StrBuf *sb, const PlanLayout *l) {
    sb_printf(sb, "%s[", dtype_name(l->dtype));
    for (int d = 0; d < l->rank; d++) sb_printf(sb, "%s%lld", d ? ", " : "", (long long)l->dims[d]);
    int32_t n = layout_ntiles(l);
    sb_printf(sb, "] on tile%s %d", n > 1 ? "s" : "", l->base);
    if (n > 1) sb_printf(sb, "..%d", l->base + n - 1);
    if (l->ngrid > 0) {
        sb_puts(sb, " grid [");
        for (int a = 0; a < l->ngrid; a++) sb_printf(sb, "%s%d", a ? ", " : "", l->grid[a]);
        sb_puts(sb, "]");
    }
    if (l->rank > 0) {
        sb_puts(sb, " block [");
        for (int d = 0; d < l->rank; d++) {
            sb_printf(sb, "%s%lld", d ? ", " : "", (long long)l->block[d]);
            if (l->axis[d] >= 0) sb_printf(sb, "/%d", l->axis[d]);
        }
        sb_puts(sb, "]");
    }
    bool natural = true;
    for (int d = 0; d < l->rank; d++) natural &= l->order[d] == d;
    if (!natural) {
        sb_puts(sb, " order [");
        for (int d = 0; d < l->rank; d++) sb_printf(sb, "%s%d", d ? ", " : "", l->order[d]);
        sb_puts(sb, "]");
    }
    bool margins = false;
    for (int d = 0; d < l->rank; d++)
        margins |= l->lo[d] || l->hi[d] || layout_stored(l, d) != l->block[d] + l->lo[d] + l->hi[d];
    if (margins) {
        sb_puts(sb, " stored [");
        for (int d = 0; d < l->rank; d++) {
            sb_printf(sb, "%s", d ? ", " : "");
            if (l->lo[d]) sb_printf(sb, "%lld+", (long long)l->lo[d]);
            sb_printf(sb, "%lld", (long long)l->block[d]);
            if (l->hi[d]) sb_printf(sb, "+%lld", (long long)l->hi[d]);
            if (layout_stored(l, d) != l->block[d] + l->lo[d] + l->hi[d])
                sb_printf(sb, "^%lld", (long long)l->mult[d]);
        }
        sb_puts(sb, "]");
        if (l->pad_undefined)
            sb_puts(sb, " pad undefined");
        else {
            sb_puts(sb, " pad ");
            sb_put_double(sb, l->pad);
        }
    }
}

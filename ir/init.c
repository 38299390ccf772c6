/*
 * Seeded initialisers: normal(seed, std) and uniform(seed, lo, hi) fill
 * weights reproducibly on every machine, so models and benchmarks need no
 * weight files. The algorithm is part of the language (docs/dsl.md), and
 * tests/examples/reference.py implements it again in NumPy:
 *
 *   SplitMix64, state = seed:
 *     state += 0x9E3779B97F4A7C15
 *     z = state
 *     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
 *     z = (z ^ (z >> 27)) * 0x94D049BB133111EB
 *     return z ^ (z >> 31)
 *   u = (next() >> 11) * 2^-53                      uniform in [0, 1)
 *
 *   uniform: element i = lo + (hi - lo) * u_i, in f64, then rounded to the
 *            dtype (floats to nearest even; integers take the floor)
 *   normal:  Box-Muller on pairs: u1, u2 = next two uniforms,
 *            r = sqrt(-2 ln(1 - u1)), elements 2k and 2k+1 are
 *            std * r * cos(2 pi u2) and std * r * sin(2 pi u2); an odd last
 *            element takes the cosine only.
 */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t ir_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *state) {
    return (double)(ir_splitmix64(state) >> 11) * 0x1p-53;
}

static void store(AccDtype t, void *data, size_t i, double v) {
    if (!(dtype_flags(t) & DT_FLOAT)) v = floor(v);
    dtype_set(t, data, i, v);
}

void ir_init_uniform(AccDtype t, void *data, size_t count, uint64_t seed, double lo, double hi) {
    uint64_t state = seed;
    for (size_t i = 0; i < count; i++) store(t, data, i, lo + (hi - lo) * uniform01(&state));
}

void ir_init_normal(AccDtype t, void *data, size_t count, uint64_t seed, double std) {
    const double two_pi = 6.283185307179586476925;
    uint64_t state = seed;
    for (size_t i = 0; i < count; i += 2) {
        double u1 = uniform01(&state), u2 = uniform01(&state);
        double r = sqrt(-2.0 * log(1.0 - u1));
        store(t, data, i, std * r * cos(two_pi * u2));
        if (i + 1 < count) store(t, data, i + 1, std * r * sin(two_pi * u2));
    }
}

/* ---- Constants from recipes ------------------------------------------------------ */

static int32_t add_filled(IrGraph *g, const IrType *type, IrConstOrigin origin) {
    int64_t n = ir_type_count(type);
    void *data = xcalloc((size_t)(n ? n : 1), dtype_size(type->dtype));
    if (origin == IR_CONST_ONES)
        for (int64_t i = 0; i < n; i++) dtype_set(type->dtype, data, (size_t)i, 1.0);
    int32_t k = ir_const_add(g, type, data);
    free(data);
    g->consts[k].origin = origin;
    return k;
}

int32_t ir_const_zeros(IrGraph *g, const IrType *type) {
    return add_filled(g, type, IR_CONST_ZEROS);
}

int32_t ir_const_ones(IrGraph *g, const IrType *type) {
    return add_filled(g, type, IR_CONST_ONES);
}

/* Seeds stay below 2^63 so that the text forms can write them. */
static void check_seed(uint64_t seed) {
    if (seed > INT64_MAX) ice("seed %llu is not below 2^63", (unsigned long long)seed);
}

int32_t ir_const_normal(IrGraph *g, const IrType *type, uint64_t seed, double std) {
    check_seed(seed);
    int64_t n = ir_type_count(type);
    void *data = xcalloc((size_t)(n ? n : 1), dtype_size(type->dtype));
    ir_init_normal(type->dtype, data, (size_t)n, seed, std);
    int32_t k = ir_const_add(g, type, data);
    free(data);
    g->consts[k].origin = IR_CONST_NORMAL;
    g->consts[k].seed = seed;
    g->consts[k].a = std;
    return k;
}

int32_t ir_const_uniform(IrGraph *g, const IrType *type, uint64_t seed, double lo, double hi) {
    check_seed(seed);
    int64_t n = ir_type_count(type);
    void *data = xcalloc((size_t)(n ? n : 1), dtype_size(type->dtype));
    ir_init_uniform(type->dtype, data, (size_t)n, seed, lo, hi);
    int32_t k = ir_const_add(g, type, data);
    free(data);
    g->consts[k].origin = IR_CONST_UNIFORM;
    g->consts[k].seed = seed;
    g->consts[k].a = lo;
    g->consts[k].b = hi;
    return k;
}

int32_t ir_const_load(IrGraph *g, const IrType *type, const char *path, FileDeps *deps, char *err,
                      size_t errlen) {
    NpyArray a;
    if (npy_load(path, &a, err, errlen) < 0) return -1;
    deps_add(deps, path);
    bool same_shape = a.ndim == type->rank;
    for (int i = 0; same_shape && i < type->rank; i++) same_shape = a.shape[i] == type->dims[i];
    /* .npy has no bf16, so a bf16 weight comes as f32 and is rounded. */
    bool dtype_ok =
        a.dtype == type->dtype || (type->dtype == ACC_DTYPE_BF16 && a.dtype == ACC_DTYPE_F32);
    if (!same_shape || !dtype_ok) {
        IrType have;
        memset(&have, 0, sizeof have);
        have.dtype = a.dtype;
        have.rank = a.ndim < IR_MAX_RANK ? a.ndim : IR_MAX_RANK;
        for (int i = 0; i < have.rank; i++) have.dims[i] = a.shape[i];
        char have_s[160];
        snprintf(have_s, sizeof have_s, "%s%s", ir_type_str(&have),
                 a.ndim > IR_MAX_RANK ? "..." : "");
        snprintf(err, errlen, "'%s' holds %s, but %s is declared", path, have_s, ir_type_str(type));
        npy_free(&a);
        return -1;
    }
    int32_t k;
    if (a.dtype == type->dtype) {
        k = ir_const_add(g, type, a.data);
    } else {
        void *data = xcalloc(a.count ? a.count : 1, dtype_size(type->dtype));
        for (size_t i = 0; i < a.count; i++)
            dtype_set(type->dtype, data, i, dtype_get(a.dtype, a.data, i));
        k = ir_const_add(g, type, data);
        free(data);
    }
    npy_free(&a);
    g->consts[k].origin = IR_CONST_FILE;
    g->consts[k].path = arena_strdup(&g->arena, path);
    return k;
}

/* ---- Constants out to files ------------------------------------------------------ */

/* A file-name-safe rendering of a constant's value name. */
static void safe_name(StrBuf *sb, const char *name) {
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
                  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        sb_putc(sb, ok ? c : '_');
    }
}

void ir_const_externalize(IrGraph *g, const char *dir, const char *stem, int64_t min_elements,
                          OutFiles *files) {
    StrSet used;
    strset_init(&used);
    int counter = 0;
    ir_for_each_op(g, id) {
        if (g->ops[id].kind != IR_OP_constant) continue;
        IrConst *c = &g->consts[g->ops[id].attrs[0].u.tensor];
        if (c->origin != IR_CONST_DATA || ir_type_count(&c->type) < min_elements) continue;
        const char *vname = g->vals[g->ops[id].out[0]].name;
        StrBuf file;
        sb_init(&file);
        for (int k = 0;; k++) {
            sb_clear(&file);
            sb_printf(&file, "%s.", stem);
            if (vname)
                safe_name(&file, vname);
            else
                sb_printf(&file, "const%d", counter);
            if (k) sb_printf(&file, "_%d", k);
            sb_puts(&file, ".npy");
            if (strset_add(&used, file.data)) break;
        }
        counter++;
        /* .npy has no bf16: such data is written as f32, which load() takes. */
        NpyArray a;
        AccDtype t = c->type.dtype == ACC_DTYPE_BF16 ? ACC_DTYPE_F32 : c->type.dtype;
        npy_alloc(&a, t, c->type.rank, c->type.dims);
        for (size_t i = 0; i < a.count; i++) {
            if (t == c->type.dtype)
                memcpy((char *)a.data + i * dtype_size(t), (char *)c->data + i * dtype_size(t),
                       dtype_size(t));
            else
                dtype_set(t, a.data, i, dtype_get(c->type.dtype, c->data, i));
        }
        char *path = path_join(dir, file.data);
        npy_serialize(&a, outfiles_add(files, path));
        npy_free(&a);
        c->origin = IR_CONST_FILE;
        c->path = arena_strdup(&g->arena, path);
        free(path);
        sb_free(&file);
    }
    strset_free(&used);
}

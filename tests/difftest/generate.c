/*
 * The random graph generator (difftest.h). A graph is grown op by op from
 * a pool of values: each step picks an op family, operands from the pool
 * (recent values more often) or new inputs and constants of compatible
 * shapes, and random attributes. Ops are built through the IR builder with
 * a quiet Diag: a random choice that turns out invalid (a kernel larger
 * than its padded input, ...) is simply dropped.
 *
 * Values stay tame so that tolerances mean something: weights are scaled
 * by 1/sqrt(fan-in), exp and the periodic functions only see tanh's range,
 * log and sqrt only |x| + 1 and |x|, divisors are |x| + 1, normalisations
 * have an epsilon that bounds their sensitivity. Ops that are discontinuous
 * (floor, argmax, float-to-int casts, narrowing casts) are only used while
 * the graph is still exact, so both evaluations see the same operands.
 */
#include "difftest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { POOL = 256 };

typedef struct Gen {
    IrGraph *g;
    const DtOptions *o;
    uint64_t rng;
    AccDtype dt;
    bool is_float;
    bool exact;
    IrRef pool[POOL];
    int npool;
    int ops;
    uint64_t next_seed; /* for constant recipes */
    Diag quiet;
} Gen;

static const SrcLoc no_loc = {0, 0, 0};

/* ---- Randomness ---------------------------------------------------------------------- */

static uint64_t next(Gen *gen) {
    return ir_splitmix64(&gen->rng);
}

/* 0 .. n-1 */
static int64_t rnd(Gen *gen, int64_t n) {
    return n <= 1 ? 0 : (int64_t)(next(gen) % (uint64_t)n);
}

static bool chance(Gen *gen, int percent) {
    return rnd(gen, 100) < percent;
}

static int64_t range(Gen *gen, int64_t lo, int64_t hi) {
    return lo + rnd(gen, hi - lo + 1);
}

/* ---- Values -------------------------------------------------------------------------------- */

static const IrType *type_of(Gen *gen, IrRef v) {
    return &gen->g->vals[v].type;
}

static void keep(Gen *gen, IrRef v) {
    if (gen->npool < POOL) gen->pool[gen->npool++] = v;
}

static IrType random_shape(Gen *gen, AccDtype dt, int rank) {
    IrType t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.rank = rank;
    for (int i = 0; i < rank; i++) t.dims[i] = range(gen, 1, gen->o->max_dim);
    return t;
}

static IrRef new_input(Gen *gen, const IrType *t) {
    char name[16];
    snprintf(name, sizeof name, "x%d", gen->g->ninputs);
    return ir_add_input(gen->g, name, t);
}

/* A constant of type t: normal(std) for floats, small integers otherwise. */
static IrRef constant(Gen *gen, const IrType *t, double std) {
    int32_t k;
    uint64_t seed = gen->next_seed++;
    if (dtype_flags(t->dtype) & DT_FLOAT)
        k = ir_const_normal(gen->g, t, seed, std);
    else if (t->dtype == ACC_DTYPE_BOOL)
        k = ir_const_uniform(gen->g, t, seed, 0, 2);
    else if (t->dtype == ACC_DTYPE_U8)
        k = ir_const_uniform(gen->g, t, seed, 0, 8);
    else
        k = ir_const_uniform(gen->g, t, seed, -4, 4);
    return ir_constant_from(gen->g, k, no_loc);
}

static IrRef positive_constant(Gen *gen, const IrType *t, double lo, double hi) {
    int32_t k = ir_const_uniform(gen->g, t, gen->next_seed++, lo, hi);
    return ir_constant_from(gen->g, k, no_loc);
}

/* A value from the pool, recent ones more often. */
static IrRef pick(Gen *gen) {
    if (gen->npool == 0) {
        IrType t = random_shape(gen, gen->dt, (int)range(gen, 1, gen->o->max_rank));
        keep(gen, new_input(gen, &t));
    }
    if (chance(gen, 60))
        return gen->pool[gen->npool - 1 - rnd(gen, gen->npool < 4 ? gen->npool : 4)];
    return gen->pool[rnd(gen, gen->npool)];
}

/* A pool value of the main dtype with rank in [lo, hi], or a new input. */
static IrRef pick_rank(Gen *gen, int lo, int hi) {
    int start = (int)rnd(gen, gen->npool ? gen->npool : 1);
    for (int k = 0; k < gen->npool; k++) {
        IrRef v = gen->pool[(start + k) % gen->npool];
        IrType t = *type_of(gen, v);
        if (t.rank >= lo && t.rank <= hi && t.dtype == gen->dt) return v;
    }
    if (hi > gen->o->max_rank + 1) hi = gen->o->max_rank + 1;
    if (lo > hi) lo = hi;
    IrType t = random_shape(gen, gen->dt, (int)range(gen, lo, hi));
    IrRef v = new_input(gen, &t);
    keep(gen, v);
    return v;
}

/* A value of the main dtype. */
static IrRef pick_main(Gen *gen) {
    IrRef v = pick(gen);
    if (type_of(gen, v)->dtype == gen->dt) return v;
    return pick_rank(gen, 0, IR_MAX_RANK);
}

/* A shape that broadcasts to t: a suffix of it, some dimensions 1. */
static IrType broadcastable(Gen *gen, const IrType *t) {
    IrType s;
    memset(&s, 0, sizeof s);
    s.dtype = t->dtype;
    int drop = (int)rnd(gen, t->rank + 1);
    if (chance(gen, 50)) drop = 0;
    s.rank = t->rank - drop;
    for (int i = 0; i < s.rank; i++) s.dims[i] = chance(gen, 25) ? 1 : t->dims[drop + i];
    return s;
}

/* A second operand for an elementwise op with a: a pool value that
 * broadcasts with it, or a constant or new input of a broadcastable shape. */
static IrRef partner(Gen *gen, IrRef a) {
    IrType t = *type_of(gen, a);
    if (chance(gen, 40)) {
        IrRef b = pick(gen);
        IrType r;
        if (b != a && type_of(gen, b)->dtype == t.dtype &&
            ir_broadcast(&t, type_of(gen, b), &r, NULL) &&
            ir_type_count(&r) <= gen->o->max_elements)
            return b;
    }
    IrType s = broadcastable(gen, &t);
    if (chance(gen, 30) && gen->g->ninputs < 4) return new_input(gen, &s);
    return constant(gen, &s, 1.0);
}

/* ---- Building ops ------------------------------------------------------------------------- */

/* Finish op quietly; IR_NONE if the random choices made it invalid or too
 * large. */
static IrRef finish(Gen *gen, IrOpId op) {
    if (!ir_op_finish(gen->g, op, &gen->quiet)) return IR_NONE;
    for (int i = 0; i < gen->g->ops[op].nout; i++)
        if (ir_type_count(&gen->g->vals[gen->g->ops[op].out[i]].type) > gen->o->max_elements) {
            ir_op_erase(gen->g, op);
            return IR_NONE;
        }
    gen->ops++;
    return ir_op_result(gen->g, op, 0);
}

static IrOpId create(Gen *gen, IrOpKind k, int nin, const IrRef *in) {
    return ir_op_create(gen->g, k, nin, in, no_loc);
}

/* An operand that failed to build (IR_NONE) fails the op too. */
static IrRef op1(Gen *gen, IrOpKind k, IrRef a) {
    return a ? finish(gen, create(gen, k, 1, &a)) : IR_NONE;
}

static IrRef op2(Gen *gen, IrOpKind k, IrRef a, IrRef b) {
    IrRef in[2] = {a, b};
    return a && b ? finish(gen, create(gen, k, 2, in)) : IR_NONE;
}

static IrRef scalar(Gen *gen, AccDtype dt, double v) {
    return ir_constant_scalar(gen->g, dt, v, no_loc);
}

/* |x| + 1: safe as a divisor, or under log and rsqrt. */
static IrRef plus_one_abs(Gen *gen, IrRef x) {
    IrRef a = op1(gen, IR_OP_abs, x);
    return a ? op2(gen, IR_OP_add, a, scalar(gen, type_of(gen, x)->dtype, 1.0)) : IR_NONE;
}

/* ---- Families ------------------------------------------------------------------------------ */

/* The standard deviation of weights summed over n terms. */
static double fan_in(int64_t n) {
    return n > 0 ? 1.0 / sqrt((double)n) : 1.0;
}

static IrRef gen_unary(Gen *gen) {
    IrRef x = pick_main(gen);
    if (!gen->is_float) {
        static const IrOpKind ops[] = {IR_OP_neg, IR_OP_abs, IR_OP_relu, IR_OP_sign,
                                       IR_OP_identity};
        IrOpKind k = ops[rnd(gen, ACC_ARRAY_LEN(ops))];
        if (chance(gen, 20)) {
            /* A cast to another integer type and back. */
            AccDtype to = gen->dt == ACC_DTYPE_I32 ? ACC_DTYPE_I64 : ACC_DTYPE_I32;
            IrOpId op = create(gen, IR_OP_cast, 1, &x);
            ir_set_attr_dtype(gen->g, op, "to", to);
            IrRef c = finish(gen, op);
            if (!c) return IR_NONE;
            op = create(gen, IR_OP_cast, 1, &c);
            ir_set_attr_dtype(gen->g, op, "to", gen->dt);
            return finish(gen, op);
        }
        return op1(gen, k, x);
    }
    static const IrOpKind smooth[] = {
        IR_OP_relu,       IR_OP_neg,      IR_OP_abs,        IR_OP_sigmoid, IR_OP_tanh,
        IR_OP_leaky_relu, IR_OP_elu,      IR_OP_selu,       IR_OP_gelu,    IR_OP_hard_sigmoid,
        IR_OP_hard_swish, IR_OP_softplus, IR_OP_softsign,   IR_OP_sin,     IR_OP_cos,
        IR_OP_erf,        IR_OP_atan,     IR_OP_identity,   IR_OP_exp,     IR_OP_log,
        IR_OP_sqrt,       IR_OP_rsqrt,    IR_OP_reciprocal, IR_OP_clip,    IR_OP_floor,
        IR_OP_ceil,       IR_OP_round,    IR_OP_tan,        IR_OP_asin,    IR_OP_acos,
        IR_OP_sinh,       IR_OP_cosh,
    };
    IrOpKind k = smooth[rnd(gen, ACC_ARRAY_LEN(smooth))];
    switch (k) {
    case IR_OP_exp: x = op1(gen, IR_OP_tanh, x); break;
    case IR_OP_log:
    case IR_OP_rsqrt:
    case IR_OP_reciprocal: x = plus_one_abs(gen, x); break;
    case IR_OP_sqrt: x = op1(gen, IR_OP_abs, x); break;
    case IR_OP_sin:
    case IR_OP_cos: /* periodic: an input rounded at a large magnitude moves them by its error */
    case IR_OP_tan:
    case IR_OP_sinh:
    case IR_OP_cosh: x = op1(gen, IR_OP_tanh, x); break;
    case IR_OP_asin:
    case IR_OP_acos: {
        /* Inside (-0.9, 0.9), away from the poles of the derivative. */
        IrRef th = op1(gen, IR_OP_tanh, x);
        x = th ? op2(gen, IR_OP_mul, th, scalar(gen, gen->dt, 0.9)) : IR_NONE;
        break;
    }
    case IR_OP_floor:
    case IR_OP_ceil:
    case IR_OP_round:
        if (!gen->exact) k = IR_OP_relu;
        break;
    case IR_OP_clip: {
        if (!x) return IR_NONE;
        IrRef in[3] = {x, scalar(gen, gen->dt, -0.5), scalar(gen, gen->dt, 0.75)};
        int n = (int)range(gen, 1, 3);
        return finish(gen, create(gen, IR_OP_clip, n, in));
    }
    default: break;
    }
    if (!x) return IR_NONE;
    IrOpId op = create(gen, k, 1, &x);
    if (k == IR_OP_leaky_relu || k == IR_OP_elu)
        ir_set_attr_float(gen->g, op, "alpha", chance(gen, 50) ? 0.1 : 0.5);
    if (k == IR_OP_gelu && chance(gen, 50)) ir_set_attr_str(gen->g, op, "approximate", "tanh");
    IrRef r = finish(gen, op);
    if (r && k != IR_OP_identity && k != IR_OP_relu && k != IR_OP_neg && k != IR_OP_abs &&
        k != IR_OP_floor && k != IR_OP_ceil && k != IR_OP_round)
        gen->exact = false;
    return r;
}

static IrRef gen_binary(Gen *gen) {
    IrRef a = pick_main(gen), b = partner(gen, a);
    if (gen->is_float) {
        static const IrOpKind ops[] = {IR_OP_add, IR_OP_sub, IR_OP_mul,   IR_OP_max,  IR_OP_min,
                                       IR_OP_div, IR_OP_pow, IR_OP_where, IR_OP_prelu};
        IrOpKind k = ops[rnd(gen, ACC_ARRAY_LEN(ops))];
        IrRef r;
        if (k == IR_OP_div) {
            b = plus_one_abs(gen, b);
            r = b ? op2(gen, k, a, b) : IR_NONE;
        } else if (k == IR_OP_pow) {
            IrRef base = plus_one_abs(gen, a);
            r = base ? op2(gen, k, base, scalar(gen, gen->dt, chance(gen, 50) ? 2.0 : 0.5))
                     : IR_NONE;
        } else if (k == IR_OP_where) {
            /* where(a > b, a, b): continuous, so rounding cannot flip it far. */
            IrRef c = op2(gen, IR_OP_greater, a, b);
            IrRef in[3] = {c, a, b};
            r = c ? finish(gen, create(gen, IR_OP_where, 3, in)) : IR_NONE;
        } else if (k == IR_OP_prelu) {
            IrType s = broadcastable(gen, type_of(gen, a));
            r = op2(gen, k, a, constant(gen, &s, 0.3));
        } else {
            r = op2(gen, k, a, b);
        }
        if (r && k != IR_OP_max && k != IR_OP_min) gen->exact = false;
        return r;
    }
    static const IrOpKind ops[] = {IR_OP_add, IR_OP_sub, IR_OP_mul,   IR_OP_div,   IR_OP_mod,
                                   IR_OP_max, IR_OP_min, IR_OP_where, IR_OP_equal, IR_OP_and};
    IrOpKind k = ops[rnd(gen, ACC_ARRAY_LEN(ops))];
    if (k == IR_OP_and) {
        /* Logic on comparisons: where(op(a < b, not(a == 0)), a, b). */
        static const IrOpKind logic[] = {IR_OP_and, IR_OP_or, IR_OP_xor};
        IrRef p = op2(gen, IR_OP_less_equal, a, b);
        IrRef q = op1(gen, IR_OP_not, op2(gen, IR_OP_equal, a, scalar(gen, gen->dt, 0)));
        IrRef c = p && q ? op2(gen, logic[rnd(gen, 3)], p, q) : IR_NONE;
        IrRef in[3] = {c, a, b};
        return c ? finish(gen, create(gen, IR_OP_where, 3, in)) : IR_NONE;
    }
    if (k == IR_OP_where) {
        IrRef c = op2(gen, chance(gen, 50) ? IR_OP_less : IR_OP_greater_equal, a, b);
        IrRef in[3] = {c, a, b};
        return c ? finish(gen, create(gen, IR_OP_where, 3, in)) : IR_NONE;
    }
    if (k == IR_OP_equal) {
        IrRef c = op2(gen, IR_OP_equal, a, b);
        if (!c) return IR_NONE;
        IrOpId op = create(gen, IR_OP_cast, 1, &c);
        ir_set_attr_dtype(gen->g, op, "to", gen->dt);
        return finish(gen, op);
    }
    IrOpId op = create(gen, k, 2, (IrRef[]){a, b});
    if (k == IR_OP_mod && chance(gen, 50)) ir_set_attr_bool(gen->g, op, "fmod", true);
    return finish(gen, op);
}

static IrRef gen_matmul(Gen *gen) {
    if (!gen->is_float && gen->dt == ACC_DTYPE_I8 && chance(gen, 50)) {
        /* matmul_integer: i8 (or u8) in, i32 out. */
        IrRef a = pick_rank(gen, 2, 2);
        if (type_of(gen, a)->dtype != ACC_DTYPE_I8) return IR_NONE;
        int64_t kdim = type_of(gen, a)->dims[1], n = range(gen, 1, gen->o->max_dim);
        IrType bt = ir_type(ACC_DTYPE_I8, 2, (int64_t[]){kdim, n});
        IrRef in[4] = {a, constant(gen, &bt, 0),
                       scalar(gen, ACC_DTYPE_I8, (double)range(gen, -2, 2)),
                       scalar(gen, ACC_DTYPE_I8, 0)};
        IrRef r = finish(gen, create(gen, IR_OP_matmul_integer, (int)range(gen, 2, 4), in));
        if (!r) return IR_NONE;
        IrOpId op = create(gen, IR_OP_cast, 1, &r);
        ir_set_attr_dtype(gen->g, op, "to", ACC_DTYPE_I8);
        return finish(gen, op);
    }
    if (gen->is_float && chance(gen, 35)) {
        IrRef a = pick_rank(gen, 2, 2);
        IrType at = *type_of(gen, a);
        bool ta = chance(gen, 30), tb = chance(gen, 50);
        int64_t m = at.dims[ta ? 1 : 0], kdim = at.dims[ta ? 0 : 1],
                n = range(gen, 1, gen->o->max_dim);
        IrType bt = ir_type(gen->dt, 2, tb ? (int64_t[]){n, kdim} : (int64_t[]){kdim, n});
        IrRef in[3] = {a, constant(gen, &bt, fan_in(kdim)), IR_NONE};
        int nin = 2;
        if (chance(gen, 70)) {
            IrType full = ir_type(gen->dt, 2, (int64_t[]){m, n});
            IrType ct = broadcastable(gen, &full);
            in[2] = constant(gen, &ct, 1.0);
            nin = 3;
        }
        IrOpId op = create(gen, IR_OP_gemm, nin, in);
        static const double scales[] = {1.0, 0.5, 2.0, -1.0};
        ir_set_attr_float(gen->g, op, "alpha", scales[rnd(gen, 4)]);
        ir_set_attr_float(gen->g, op, "beta", scales[rnd(gen, 4)]);
        ir_set_attr_bool(gen->g, op, "trans_a", ta);
        ir_set_attr_bool(gen->g, op, "trans_b", tb);
        gen->exact = false;
        return finish(gen, op);
    }
    IrRef a = pick_rank(gen, 1, 4);
    IrType at = *type_of(gen, a);
    int64_t kdim = at.dims[at.rank - 1], n = range(gen, 1, gen->o->max_dim);
    IrType bt;
    if (chance(gen, 20))
        bt = ir_type(gen->dt, 1, &kdim);
    else if (at.rank >= 3 && chance(gen, 40))
        bt = ir_type(gen->dt, 3, (int64_t[]){chance(gen, 50) ? 1 : at.dims[at.rank - 3], kdim, n});
    else
        bt = ir_type(gen->dt, 2, (int64_t[]){kdim, n});
    IrRef b = constant(gen, &bt, fan_in(kdim));
    if (gen->is_float) gen->exact = false;
    return op2(gen, IR_OP_matmul, a, b);
}

static IrRef gen_conv(Gen *gen) {
    bool one_d = chance(gen, 25), three_d = !one_d && chance(gen, 15);
    int rank = one_d ? 3 : three_d ? 5 : 4;
    IrRef x = pick_rank(gen, rank, rank);
    IrType xt = *type_of(gen, x);
    if (!gen->is_float) return IR_NONE;
    int nsp = xt.rank - 2;
    int64_t ch = xt.dims[1];
    int what = (int)rnd(gen, 5);
    int64_t k[3], stride[3], dil[3], pad[6];
    for (int i = 0; i < nsp; i++) {
        k[i] = range(gen, 1, 3);
        stride[i] = range(gen, 1, 2);
        dil[i] = chance(gen, 20) ? 2 : 1;
        pad[i] = rnd(gen, k[i]);
        pad[nsp + i] = rnd(gen, k[i]);
    }
    IrOpId op;
    if (what <= 2) { /* convolution or transposed convolution */
        bool transposed = what == 2;
        int64_t groups = chance(gen, 30) && ch > 0 ? ch : 1;
        int64_t m = groups * range(gen, 1, transposed ? 2 : 3);
        IrType wt;
        memset(&wt, 0, sizeof wt);
        wt.dtype = gen->dt;
        wt.rank = xt.rank;
        wt.dims[0] = transposed ? ch : m;
        wt.dims[1] = transposed ? m / groups : ch / groups;
        for (int i = 0; i < nsp; i++) wt.dims[2 + i] = k[i];
        int64_t fan = wt.dims[1];
        for (int i = 0; i < nsp; i++) fan *= k[i];
        IrRef in[3] = {x, constant(gen, &wt, fan_in(fan)), IR_NONE};
        int nin = 2;
        if (chance(gen, 50)) {
            IrType bt = ir_type(gen->dt, 1, &m);
            in[2] = constant(gen, &bt, 0.5);
            nin = 3;
        }
        static const IrOpKind convs[2][3] = {
            {IR_OP_conv1d, IR_OP_conv2d, IR_OP_conv3d},
            {IR_OP_conv_transpose1d, IR_OP_conv_transpose2d, IR_OP_conv_transpose3d}};
        IrOpKind kind = convs[transposed][nsp - 1];
        op = create(gen, kind, nin, in);
        ir_set_attr_int(gen->g, op, "groups", groups);
        if (transposed && chance(gen, 30)) {
            int64_t opad[3];
            for (int i = 0; i < nsp; i++) opad[i] = stride[i] > 1 ? rnd(gen, stride[i]) : 0;
            ir_set_attr_ints(gen->g, op, "output_padding", nsp, opad);
        }
    } else if (what == 3) {
        static const IrOpKind pools[2][3] = {
            {IR_OP_max_pool1d, IR_OP_max_pool2d, IR_OP_max_pool3d},
            {IR_OP_avg_pool1d, IR_OP_avg_pool2d, IR_OP_avg_pool3d}};
        IrOpKind kind = pools[chance(gen, 50)][nsp - 1];
        op = create(gen, kind, 1, &x);
        ir_set_attr_ints(gen->g, op, "kernel", nsp, k);
        ir_set_attr_bool(gen->g, op, "ceil_mode", chance(gen, 30));
        if (ir_attr_slot(kind, "count_include_pad") >= 0)
            ir_set_attr_bool(gen->g, op, "count_include_pad", chance(gen, 50));
    } else {
        gen->exact = false;
        return op1(gen, chance(gen, 50) ? IR_OP_global_avg_pool : IR_OP_global_max_pool, x);
    }
    ir_set_attr_ints(gen->g, op, "stride", nsp, stride);
    ir_set_attr_ints(gen->g, op, "dilation", nsp, dil);
    ir_set_attr_ints(gen->g, op, "pad", 2 * nsp, pad);
    IrRef r = finish(gen, op);
    IrOpKind kind = gen->g->ops[op].kind;
    if (r && kind != IR_OP_max_pool1d && kind != IR_OP_max_pool2d && kind != IR_OP_max_pool3d)
        gen->exact = false;
    return r;
}

/* A random subset of the axes of a rank-r tensor; its size. */
static int random_axes(Gen *gen, int r, int64_t *axes) {
    int n = 0;
    for (int i = 0; i < r; i++)
        if (chance(gen, 40)) axes[n++] = chance(gen, 30) ? i - r : i;
    return n;
}

static IrRef gen_reduce(Gen *gen) {
    IrRef x = pick_rank(gen, 1, 5);
    int r = type_of(gen, x)->rank;
    if (chance(gen, 15)) {
        if (!gen->exact) return IR_NONE; /* a near tie could flip the index */
        IrOpId op = create(gen, chance(gen, 50) ? IR_OP_argmax : IR_OP_argmin, 1, &x);
        ir_set_attr_int(gen->g, op, "axis", range(gen, -r, r - 1));
        ir_set_attr_bool(gen->g, op, "keepdims", chance(gen, 50));
        ir_set_attr_bool(gen->g, op, "select_last_index", chance(gen, 30));
        IrRef idx = finish(gen, op);
        if (!idx) return IR_NONE;
        op = create(gen, IR_OP_cast, 1, &idx);
        ir_set_attr_dtype(gen->g, op, "to", gen->dt);
        return finish(gen, op);
    }
    static const IrOpKind fops[] = {
        IR_OP_reduce_sum,     IR_OP_reduce_mean,       IR_OP_reduce_max, IR_OP_reduce_min,
        IR_OP_reduce_prod,    IR_OP_reduce_l1,         IR_OP_reduce_l2,  IR_OP_reduce_sum_square,
        IR_OP_reduce_log_sum, IR_OP_reduce_log_sum_exp};
    static const IrOpKind iops[] = {IR_OP_reduce_sum,       IR_OP_reduce_mean, IR_OP_reduce_max,
                                    IR_OP_reduce_min,       IR_OP_reduce_prod, IR_OP_reduce_l1,
                                    IR_OP_reduce_sum_square};
    IrOpKind k =
        gen->is_float ? fops[rnd(gen, ACC_ARRAY_LEN(fops))] : iops[rnd(gen, ACC_ARRAY_LEN(iops))];
    if (k == IR_OP_reduce_log_sum) x = plus_one_abs(gen, x);
    if (!x) return IR_NONE;
    IrOpId op = create(gen, k, 1, &x);
    int64_t axes[IR_MAX_RANK];
    int n = random_axes(gen, r, axes);
    ir_set_attr_ints(gen->g, op, "axes", n, axes);
    ir_set_attr_bool(gen->g, op, "keepdims", chance(gen, 50));
    if (n == 0 && chance(gen, 20)) ir_set_attr_bool(gen->g, op, "noop_with_empty_axes", true);
    IrRef res = finish(gen, op);
    if (res && gen->is_float && k != IR_OP_reduce_max && k != IR_OP_reduce_min) gen->exact = false;
    return res;
}

/* A shape with the same element count as t: two neighbours merged, or one
 * split in two factors. */
static bool reshaped(Gen *gen, const IrType *t, IrType *s) {
    *s = *t;
    if (t->rank >= 2 && chance(gen, 50)) {
        int i = (int)rnd(gen, t->rank - 1);
        s->dims[i] = t->dims[i] * t->dims[i + 1];
        for (int j = i + 1; j + 1 < t->rank; j++) s->dims[j] = t->dims[j + 1];
        s->rank--;
        return true;
    }
    if (t->rank < 5) {
        int i = (int)rnd(gen, t->rank);
        int64_t d = t->dims[i], f = 1;
        for (int64_t c = 2; c <= d; c++)
            if (d % c == 0) {
                f = c;
                if (chance(gen, 50)) break;
            }
        for (int j = t->rank; j > i + 1; j--) s->dims[j] = t->dims[j - 1];
        s->dims[i] = f;
        s->dims[i + 1] = d / f;
        s->rank++;
        return true;
    }
    return false;
}

static IrRef gen_move(Gen *gen) {
    IrRef x = pick(gen);
    IrType t = *type_of(gen, x);
    int r = t.rank;
    IrOpId op;
    switch (rnd(gen, 12)) {
    case 0: {
        IrType s;
        if (!reshaped(gen, &t, &s)) return IR_NONE;
        op = create(gen, IR_OP_reshape, 1, &x);
        int64_t shape[IR_MAX_RANK];
        for (int i = 0; i < s.rank; i++) shape[i] = s.dims[i];
        if (s.rank > 0 && chance(gen, 30)) shape[rnd(gen, s.rank)] = -1;
        ir_set_attr_ints(gen->g, op, "shape", s.rank, shape);
        break;
    }
    case 1: {
        if (r < 2) return IR_NONE;
        int64_t perm[IR_MAX_RANK];
        for (int i = 0; i < r; i++) perm[i] = i;
        for (int i = r - 1; i > 0; i--) {
            int j = (int)rnd(gen, i + 1);
            int64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        op = create(gen, IR_OP_transpose, 1, &x);
        ir_set_attr_ints(gen->g, op, "perm", r, perm);
        break;
    }
    case 2: {
        if (r < 1) return IR_NONE;
        int64_t starts[IR_MAX_RANK], ends[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
        int n = 0;
        for (int i = 0; i < r; i++) {
            if (!chance(gen, 60)) continue;
            int64_t d = t.dims[i];
            steps[n] = chance(gen, 25) ? -1 : range(gen, 1, 2);
            starts[n] = range(gen, -d, d - 1);
            ends[n] = steps[n] > 0 ? range(gen, -d, d + 2)
                                   : (chance(gen, 30) ? INT64_MIN : range(gen, -d - 1, d));
            axes[n] = chance(gen, 30) ? i - r : i;
            n++;
        }
        if (n == 0) return IR_NONE;
        op = create(gen, IR_OP_slice, 1, &x);
        ir_set_attr_ints(gen->g, op, "starts", n, starts);
        ir_set_attr_ints(gen->g, op, "ends", n, ends);
        ir_set_attr_ints(gen->g, op, "axes", n, axes);
        ir_set_attr_ints(gen->g, op, "steps", n, steps);
        break;
    }
    case 3: {
        if (r < 1) return IR_NONE;
        static const char *const modes[] = {"constant", "reflect", "edge"};
        int64_t pads[2 * IR_MAX_RANK];
        for (int i = 0; i < 2 * r; i++) pads[i] = range(gen, -1, 2);
        op = create(gen, IR_OP_pad, 1, &x);
        ir_set_attr_ints(gen->g, op, "pads", 2 * r, pads);
        ir_set_attr_str(gen->g, op, "mode", modes[rnd(gen, 3)]);
        if (chance(gen, 30)) ir_set_attr_float(gen->g, op, "value", 1.5);
        break;
    }
    case 4: {
        if (r < 1) return IR_NONE;
        int axis = (int)rnd(gen, r);
        IrType s = t;
        s.dims[axis] = range(gen, 1, 3);
        IrRef in[3] = {x, chance(gen, 50) ? x : constant(gen, &s, 1.0), x};
        op = create(gen, IR_OP_concat, (int)range(gen, 2, 3), in);
        ir_set_attr_int(gen->g, op, "axis", chance(gen, 30) ? axis - r : axis);
        break;
    }
    case 5: {
        if (r < 1) return IR_NONE;
        int axis = (int)rnd(gen, r);
        int64_t d = t.dims[axis], sizes[3];
        int n = 0;
        int64_t left = d;
        while (left > 0 && n < 2) {
            sizes[n] = range(gen, 0, left);
            left -= sizes[n++];
        }
        sizes[n++] = left;
        op = create(gen, IR_OP_split, 1, &x);
        ir_set_attr_int(gen->g, op, "axis", axis);
        ir_set_attr_ints(gen->g, op, "split", n, sizes);
        IrRef first = finish(gen, op);
        if (!first) return IR_NONE;
        for (int i = 1; i < gen->g->ops[op].nout; i++) keep(gen, gen->g->ops[op].out[i]);
        return first;
    }
    case 6: {
        int64_t rep[IR_MAX_RANK];
        for (int i = 0; i < r; i++) rep[i] = range(gen, 1, 2);
        op = create(gen, IR_OP_tile, 1, &x);
        ir_set_attr_ints(gen->g, op, "repeats", r, rep);
        break;
    }
    case 7: {
        if (r >= 5) return IR_NONE;
        int64_t shape[IR_MAX_RANK];
        int extra = (int)rnd(gen, 2);
        for (int i = 0; i < extra; i++) shape[i] = range(gen, 1, 3);
        for (int i = 0; i < r; i++)
            shape[extra + i] = t.dims[i] == 1 ? range(gen, 1, 3) : t.dims[i];
        op = create(gen, IR_OP_expand, 1, &x);
        ir_set_attr_ints(gen->g, op, "shape", extra + r, shape);
        break;
    }
    case 8: {
        if (r >= 5) return IR_NONE;
        int64_t ax = range(gen, -(r + 1), r);
        op = create(gen, IR_OP_unsqueeze, 1, &x);
        ir_set_attr_ints(gen->g, op, "axes", 1, &ax);
        IrRef u = finish(gen, op);
        if (!u || chance(gen, 50)) return u;
        return op1(gen, IR_OP_squeeze, u);
    }
    case 9: {
        op = create(gen, IR_OP_flatten, 1, &x);
        ir_set_attr_int(gen->g, op, "axis", range(gen, -r, r));
        break;
    }
    case 10: {
        if (r < 1) return IR_NONE;
        int axis = (int)rnd(gen, r);
        int64_t d = t.dims[axis];
        if (d == 0) return IR_NONE; /* nothing to gather from */
        int64_t n = range(gen, 1, 4);
        IrType it = ir_type(chance(gen, 50) ? ACC_DTYPE_I64 : ACC_DTYPE_I32, 1, &n);
        int32_t k = ir_const_uniform(gen->g, &it, gen->next_seed++, (double)-d, (double)d);
        IrRef in[2] = {x, ir_constant_from(gen->g, k, no_loc)};
        op = create(gen, IR_OP_gather, 2, in);
        ir_set_attr_int(gen->g, op, "axis", axis);
        break;
    }
    default: return op1(gen, IR_OP_identity, x);
    }
    return finish(gen, op);
}

/* Normalising a group of nearly equal values divides rounding errors by
 * sqrt(var + epsilon): a larger epsilon keeps that amplification, which
 * no tolerance could allow for, small (at most 1/sqrt(epsilon)). */
static double norm_epsilon(const Gen *gen) {
    return gen->dt == ACC_DTYPE_F32 ? 1e-3 : 0.1;
}

/* In f16 and bf16 a large input is rounded by a large amount, which a
 * normalisation (x - mean, exp(x - max)) turns into a large error of an
 * output near 1: keep their inputs within tanh's range there. */
static IrRef tame(Gen *gen, IrRef x) {
    return gen->dt == ACC_DTYPE_F32 ? x : op1(gen, IR_OP_tanh, x);
}

static IrRef gen_norm(Gen *gen) {
    if (!gen->is_float) return IR_NONE;
    switch (rnd(gen, 6)) {
    case 0:
    case 1: {
        IrRef x = tame(gen, pick_rank(gen, 1, 4));
        if (!x) return IR_NONE;
        int r = type_of(gen, x)->rank;
        IrOpId op = create(gen, chance(gen, 50) ? IR_OP_softmax : IR_OP_log_softmax, 1, &x);
        ir_set_attr_int(gen->g, op, "axis", range(gen, -r, r - 1));
        gen->exact = false;
        return finish(gen, op);
    }
    case 2: {
        IrRef x = tame(gen, pick_rank(gen, 1, 4));
        if (!x) return IR_NONE;
        IrType t = *type_of(gen, x);
        int axis = (int)range(gen, 0, t.rank - 1);
        IrType norm = ir_type(gen->dt, t.rank - axis, t.dims + axis);
        IrType st = broadcastable(gen, &norm);
        IrRef in[3] = {x, positive_constant(gen, &st, 0.5, 1.5), constant(gen, &st, 0.1)};
        IrOpId op = create(gen, IR_OP_layer_norm, (int)range(gen, 2, 3), in);
        ir_set_attr_int(gen->g, op, "axis", chance(gen, 50) ? axis : axis - t.rank);
        ir_set_attr_float(gen->g, op, "epsilon", norm_epsilon(gen));
        gen->exact = false;
        return finish(gen, op);
    }
    case 3: {
        IrRef x = tame(gen, pick_rank(gen, 2, 4));
        if (!x) return IR_NONE;
        int64_t c = type_of(gen, x)->dims[1];
        IrType vt = ir_type(gen->dt, 1, &c);
        IrRef in[5] = {x, positive_constant(gen, &vt, 0.5, 1.5), constant(gen, &vt, 0.1),
                       constant(gen, &vt, 0.1), positive_constant(gen, &vt, 0.5, 1.5)};
        gen->exact = false;
        return finish(gen, create(gen, IR_OP_batch_norm, 5, in));
    }
    case 4: {
        IrRef x = tame(gen, pick_rank(gen, 3, 4));
        if (!x) return IR_NONE;
        int64_t c = type_of(gen, x)->dims[1];
        IrType vt = ir_type(gen->dt, 1, &c);
        IrRef in[3] = {x, positive_constant(gen, &vt, 0.5, 1.5), constant(gen, &vt, 0.1)};
        gen->exact = false;
        IrOpId op = create(gen, IR_OP_instance_norm, 3, in);
        ir_set_attr_float(gen->g, op, "epsilon", norm_epsilon(gen));
        return finish(gen, op);
    }
    default: {
        /* Quantise a graph input (exactly known) and dequantise it. */
        if (gen->dt != ACC_DTYPE_F32 || gen->g->ninputs >= 4) return IR_NONE;
        IrType t = random_shape(gen, ACC_DTYPE_F32, (int)range(gen, 1, 3));
        IrRef x = new_input(gen, &t);
        bool per_axis = chance(gen, 50);
        int axis = (int)rnd(gen, t.rank);
        IrType pt =
            per_axis ? ir_type(ACC_DTYPE_F32, 1, &t.dims[axis]) : ir_type(ACC_DTYPE_F32, 0, NULL);
        IrType zt = pt;
        zt.dtype = chance(gen, 50) ? ACC_DTYPE_U8 : ACC_DTYPE_I8;
        IrRef scale = positive_constant(gen, &pt, 0.02, 0.1), zp = constant(gen, &zt, 0);
        IrRef in[3] = {x, scale, zp};
        int nin = (int)range(gen, 2, 3);
        IrOpId op = create(gen, IR_OP_quantize_linear, nin, in);
        ir_set_attr_int(gen->g, op, "axis", axis);
        IrRef q = finish(gen, op);
        if (!q) return IR_NONE;
        IrRef din[3] = {q, scale, zp};
        op = create(gen, IR_OP_dequantize_linear, nin, din);
        ir_set_attr_int(gen->g, op, "axis", axis);
        return finish(gen, op);
    }
    }
}

/* ---- The graph --------------------------------------------------------------------------------
 */

static AccDtype pick_dtype(Gen *gen) {
    static const AccDtype order[] = {ACC_DTYPE_F32, ACC_DTYPE_F32,  ACC_DTYPE_F32, ACC_DTYPE_F32,
                                     ACC_DTYPE_F16, ACC_DTYPE_BF16, ACC_DTYPE_I32, ACC_DTYPE_I8};
    for (int tries = 0; tries < 64; tries++) {
        AccDtype dt = order[rnd(gen, ACC_ARRAY_LEN(order))];
        if (gen->o->dtypes & (1u << dt)) return dt;
    }
    for (int dt = 0; dt < ACC_DTYPE_COUNT; dt++)
        if (gen->o->dtypes & (1u << dt)) return (AccDtype)dt;
    return ACC_DTYPE_F32;
}

void dt_options_default(DtOptions *o) {
    memset(o, 0, sizeof *o);
    o->max_ops = 16;
    o->max_rank = 4;
    o->max_dim = 6;
    o->max_elements = 4096;
    o->families = DT_ALL;
    o->dtypes = 1u << ACC_DTYPE_F32 | 1u << ACC_DTYPE_F16 | 1u << ACC_DTYPE_BF16 |
                1u << ACC_DTYPE_I32 | 1u << ACC_DTYPE_I8;
}

static FILE *sink(void) {
    static FILE *f;
    if (!f) f = fopen("/dev/null", "w");
    return f;
}

void dt_generate(uint64_t seed, const DtOptions *o, DtGraph *t) {
    Gen gen;
    memset(&gen, 0, sizeof gen);
    gen.o = o;
    gen.rng = seed * 0x9E3779B97F4A7C15ull + 12345;
    gen.next_seed = seed * 1000 + 1;
    char name[32];
    snprintf(name, sizeof name, "random%llu", (unsigned long long)seed);
    gen.g = ir_graph_new(name);
    diag_init(&gen.quiet, "difftest", sink());
    gen.dt = pick_dtype(&gen);
    gen.is_float = (dtype_flags(gen.dt) & DT_FLOAT) != 0;
    gen.exact = true;
    int target = (int)range(&gen, 1, o->max_ops > 0 ? o->max_ops : 1);
    for (int step = 0; gen.ops < target && step < 8 * target + 16; step++) {
        unsigned fam;
        int64_t roll = rnd(&gen, 100);
        fam = roll < 22   ? DT_EW
              : roll < 40 ? DT_EW << 8
              : roll < 52 ? DT_MATMUL
              : roll < 62 ? DT_CONV
              : roll < 74 ? DT_REDUCE
              : roll < 90 ? DT_MOVE
                          : DT_NORM;
        IrRef v = IR_NONE;
        if (fam == (DT_EW << 8)) {
            if (o->families & DT_EW) v = gen_binary(&gen);
        } else if (!(o->families & fam)) {
            continue;
        } else if (fam == DT_EW) {
            v = gen_unary(&gen);
        } else if (fam == DT_MATMUL) {
            v = gen_matmul(&gen);
        } else if (fam == DT_CONV) {
            v = gen_conv(&gen);
        } else if (fam == DT_REDUCE) {
            v = gen_reduce(&gen);
        } else if (fam == DT_MOVE) {
            v = gen_move(&gen);
        } else {
            v = gen_norm(&gen);
        }
        if (v) keep(&gen, v);
    }
    if (gen.npool == 0) keep(&gen, pick_rank(&gen, 1, 2));
    /* The last value, and sometimes an earlier one. */
    ir_add_output(gen.g, "y0", gen.pool[gen.npool - 1]);
    if (gen.npool > 1 && chance(&gen, 40))
        ir_add_output(gen.g, "y1", gen.pool[rnd(&gen, gen.npool - 1)]);
    if (gen.g->ninputs == 0) {
        /* Every graph takes an input, so evaluation reads something. */
        IrType it = ir_type(gen.dt, 1, (int64_t[]){1});
        new_input(&gen, &it);
    }
    diag_free(&gen.quiet);
    if (!ir_verify(gen.g, NULL)) ice("difftest: generated graph does not verify");
    t->g = gen.g;
    t->dtype = gen.dt;
    t->exact = gen.exact;
    t->seed = seed;
}

void dt_graph_free(DtGraph *t) {
    ir_graph_free(t->g);
    t->g = NULL;
}

/*
 * Shape and type inference: one function per family of ops (the infer
 * column of ops.def). Each reads its operands' types and attributes, checks
 * them (dtypes, ranks, attribute ranges), fills in the attributes whose
 * defaults depend on the operands, and writes the result types.
 *
 * Messages are for the person who wrote the model: they name the op and
 * show the shapes involved, e.g.
 *   'matmul' inner dimensions differ: f32[8, 784] @ f32[100, 128] (784 vs 100)
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

void ir_infer_error(IrInfer *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    c->failed = true;
    if (!c->diag) {
        StrBuf sb;
        sb_init(&sb);
        sb_vprintf(&sb, fmt, ap);
        ice("shape inference: %s", sb.data);
    }
    diag_vreport(c->diag, DIAG_ERROR, c->loc, fmt, ap);
    va_end(ap);
}

int ir_norm_axis(int64_t axis, int rank) {
    if (axis < -rank || axis >= rank) return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

/* ---- Helpers --------------------------------------------------------------------- */

#define NAME(c) ir_op_name((c)->kind)

static const IrAttr *attr(IrInfer *c, const char *name) {
    return ir_attr(c->g, c->op, name);
}

static int64_t attr_int(IrInfer *c, const char *name) {
    return ir_attr_int(c->g, c->op, name);
}

static bool attr_bool(IrInfer *c, const char *name) {
    return ir_attr_bool(c->g, c->op, name);
}

static const int64_t *attr_ints(IrInfer *c, const char *name, int *n) {
    return ir_attr_ints(c->g, c->op, name, n);
}

/* Give an inferred list attribute its default if it is absent. */
static void default_ints(IrInfer *c, const char *name, int n, const int64_t *v) {
    if (attr(c, name)->kind != IR_ATTR_NONE) return;
    if (c->check_only) ice("verifier: attribute '%s' absent", name);
    ir_set_attr_ints(c->g, c->op, name, n, v);
}

static void fill_ints(IrInfer *c, const char *name, int n, int64_t value) {
    int64_t v[2 * IR_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) v[i] = value;
    default_ints(c, name, n, v);
}

static const char *list_str(const int64_t *v, int n) {
    static char buf[4][256];
    static int next;
    char *b = buf[next++ % 4];
    size_t len = 0;
    b[len++] = '[';
    for (int i = 0; i < n && len < 200; i++)
        len += (size_t)snprintf(b + len, 256 - len, "%s%lld", i ? ", " : "", (long long)v[i]);
    snprintf(b + len, 256 - len, "]");
    return b;
}

static bool same_dtype(IrInfer *c, int i, int j) {
    if (c->in[i]->dtype == c->in[j]->dtype) return true;
    const IrOpInfo *info = ir_op_info(c->kind);
    if (info->nin_max < 0)
        ir_infer_error(c, "'%s' operands have different dtypes: operand %d is %s, operand %d is %s",
                       NAME(c), i + 1, ir_type_str(c->in[i]), j + 1, ir_type_str(c->in[j]));
    else
        ir_infer_error(c, "'%s' operands have different dtypes: %s is %s, %s is %s", NAME(c),
                       info->operand_names[i], ir_type_str(c->in[i]), info->operand_names[j],
                       ir_type_str(c->in[j]));
    return false;
}

static bool need_rank(IrInfer *c, int i, int lo, int hi, const char *what) {
    int r = c->in[i]->rank;
    if (r >= lo && r <= hi) return true;
    ir_infer_error(c, "'%s' needs %s, got %s", NAME(c), what, ir_type_str(c->in[i]));
    return false;
}

static bool need_dtype_class(IrInfer *c, int i, unsigned types, const char *what) {
    if (ir_dtype_in(c->in[i]->dtype, types)) return true;
    ir_infer_error(c, "'%s' needs %s %s, got %s", NAME(c), what, ir_types_text(types),
                   ir_type_str(c->in[i]));
    return false;
}

/* An axis attribute in range for rank; its normalised value, or -1. */
static int axis_attr(IrInfer *c, const char *name, int rank) {
    int64_t axis = attr_int(c, name);
    int a = ir_norm_axis(axis, rank);
    if (a < 0)
        ir_infer_error(c, "'%s' %s=%lld is out of range for rank %d (allowed %d to %d)", NAME(c),
                       name, (long long)axis, rank, -rank, rank - 1);
    return a;
}

/* Normalise a list of distinct axes for rank into mask; false on error. */
static bool axes_mask(IrInfer *c, const char *name, const int64_t *axes, int n, int rank,
                      bool *mask) {
    for (int i = 0; i < rank; i++) mask[i] = false;
    for (int i = 0; i < n; i++) {
        int a = ir_norm_axis(axes[i], rank);
        if (a < 0) {
            ir_infer_error(c, "'%s' %s %s: axis %lld is out of range for rank %d", NAME(c), name,
                           list_str(axes, n), (long long)axes[i], rank);
            return false;
        }
        if (mask[a]) {
            ir_infer_error(c, "'%s' %s %s names axis %d twice", NAME(c), name, list_str(axes, n),
                           a);
            return false;
        }
        mask[a] = true;
    }
    return true;
}

static bool need_len(IrInfer *c, const char *name, int n, int want, const char *why) {
    if (n == want) return true;
    int m;
    const int64_t *v = attr_ints(c, name, &m);
    ir_infer_error(c, "'%s' %s=%s needs %d entr%s (%s)", NAME(c), name, list_str(v, m), want,
                   want == 1 ? "y" : "ies", why);
    return false;
}

/* A scalar operand: rank 0 or one element. */
static bool need_scalar(IrInfer *c, int i) {
    if (ir_type_count(c->in[i]) == 1) return true;
    ir_infer_error(c, "'%s' operand %s must be a scalar, got %s", NAME(c),
                   ir_op_info(c->kind)->operand_names[i], ir_type_str(c->in[i]));
    return false;
}

/* ---- Elementwise --------------------------------------------------------------- */

bool ir_infer_unary(IrInfer *c) {
    c->out[0] = *c->in[0];
    return true;
}

bool ir_infer_test(IrInfer *c) {
    c->out[0] = *c->in[0];
    c->out[0].dtype = ACC_DTYPE_BOOL;
    return true;
}

bool ir_infer_clip(IrInfer *c) {
    for (int i = 1; i < c->nin; i++)
        if (!same_dtype(c, 0, i) || !need_scalar(c, i)) return false;
    c->out[0] = *c->in[0];
    return true;
}

static bool broadcast(IrInfer *c, const IrType *a, const IrType *b, IrType *out) {
    int bad;
    if (ir_broadcast(a, b, out, &bad)) return true;
    int rank = a->rank > b->rank ? a->rank : b->rank;
    int ia = bad - (rank - a->rank), ib = bad - (rank - b->rank);
    ir_infer_error(c, "'%s' cannot broadcast %s with %s: dimension sizes %lld and %lld differ",
                   NAME(c), ir_type_str(a), ir_type_str(b), (long long)a->dims[ia],
                   (long long)b->dims[ib]);
    return false;
}

bool ir_infer_binary(IrInfer *c) {
    if (!same_dtype(c, 0, 1) || !broadcast(c, c->in[0], c->in[1], &c->out[0])) return false;
    if (c->kind == IR_OP_prelu && !ir_type_equal(&c->out[0], c->in[0])) {
        ir_infer_error(c, "'prelu' slope %s does not broadcast to x %s", ir_type_str(c->in[1]),
                       ir_type_str(c->in[0]));
        return false;
    }
    return true;
}

bool ir_infer_compare(IrInfer *c) {
    if (!ir_infer_binary(c)) return false;
    c->out[0].dtype = ACC_DTYPE_BOOL;
    return true;
}

bool ir_infer_where(IrInfer *c) {
    IrType ab;
    if (!same_dtype(c, 1, 2) || !broadcast(c, c->in[1], c->in[2], &ab) ||
        !broadcast(c, c->in[0], &ab, &c->out[0]))
        return false;
    c->out[0].dtype = c->in[1]->dtype;
    return true;
}

bool ir_infer_cast(IrInfer *c) {
    AccDtype to = ir_attr_dtype(c->g, c->op, "to");
    if (!(dtype_flags(to) & DT_IR)) {
        ir_infer_error(c, "'cast' to=%s: not a tensor dtype", dtype_name(to));
        return false;
    }
    c->out[0] = *c->in[0];
    c->out[0].dtype = to;
    return true;
}

/* ---- Linear algebra --------------------------------------------------------------- */

/* NumPy matmul shapes: [..., M, K] @ [..., K, N] -> [..., M, N], 1-D operands
 * promoted ([K] as [1, K] on the left, [K, 1] on the right) and the added
 * dimension removed from the result. */
static bool matmul_shape(IrInfer *c, const IrType *a, const IrType *b, IrType *out) {
    if (a->rank < 1 || b->rank < 1) {
        ir_infer_error(c, "'%s' needs operands of rank 1 or more, got %s @ %s", NAME(c),
                       ir_type_str(a), ir_type_str(b));
        return false;
    }
    IrType pa = *a, pb = *b;
    if (a->rank == 1) pa = ir_type(a->dtype, 2, (int64_t[]){1, a->dims[0]});
    if (b->rank == 1) pb = ir_type(b->dtype, 2, (int64_t[]){b->dims[0], 1});
    int64_t k1 = pa.dims[pa.rank - 1], k2 = pb.dims[pb.rank - 2];
    if (k1 != k2) {
        ir_infer_error(c, "'%s' inner dimensions differ: %s @ %s (%lld vs %lld)", NAME(c),
                       ir_type_str(a), ir_type_str(b), (long long)k1, (long long)k2);
        return false;
    }
    IrType ba = ir_type(a->dtype, pa.rank - 2, pa.dims),
           bb = ir_type(b->dtype, pb.rank - 2, pb.dims);
    IrType batch;
    int bad;
    if (!ir_broadcast(&ba, &bb, &batch, &bad)) {
        ir_infer_error(c, "'%s' batch dimensions do not broadcast: %s @ %s", NAME(c),
                       ir_type_str(a), ir_type_str(b));
        return false;
    }
    *out = batch;
    if (a->rank > 1) out->dims[out->rank++] = pa.dims[pa.rank - 2];
    if (b->rank > 1) out->dims[out->rank++] = pb.dims[pb.rank - 1];
    if (out->rank > IR_MAX_RANK) return false;
    return true;
}

bool ir_infer_matmul(IrInfer *c) {
    return same_dtype(c, 0, 1) && matmul_shape(c, c->in[0], c->in[1], &c->out[0]);
}

bool ir_infer_matmul_integer(IrInfer *c) {
    for (int i = 0; i < 2; i++) {
        AccDtype t = c->in[i]->dtype;
        if (t != ACC_DTYPE_I8 && t != ACC_DTYPE_U8) {
            ir_infer_error(c, "'matmul_integer' needs i8 or u8 operands, got %s",
                           ir_type_str(c->in[i]));
            return false;
        }
    }
    for (int i = 2; i < c->nin; i++) {
        if (c->in[i]->dtype != c->in[i - 2]->dtype) return same_dtype(c, i, i - 2);
        if (!need_scalar(c, i)) return false;
    }
    if (!matmul_shape(c, c->in[0], c->in[1], &c->out[0])) return false;
    c->out[0].dtype = ACC_DTYPE_I32;
    return true;
}

bool ir_infer_gemm(IrInfer *c) {
    if (!need_rank(c, 0, 2, 2, "a 2-D a") || !need_rank(c, 1, 2, 2, "a 2-D b") ||
        !same_dtype(c, 0, 1))
        return false;
    bool ta = attr_bool(c, "trans_a"), tb = attr_bool(c, "trans_b");
    int64_t m = c->in[0]->dims[ta], k1 = c->in[0]->dims[!ta];
    int64_t k2 = c->in[1]->dims[tb], n = c->in[1]->dims[!tb];
    if (k1 != k2) {
        ir_infer_error(c, "'gemm' inner dimensions differ: a %s%s, b %s%s (%lld vs %lld)",
                       ir_type_str(c->in[0]), ta ? " transposed" : "", ir_type_str(c->in[1]),
                       tb ? " transposed" : "", (long long)k1, (long long)k2);
        return false;
    }
    c->out[0] = ir_type(c->in[0]->dtype, 2, (int64_t[]){m, n});
    if (c->nin == 3) {
        IrType r;
        if (!same_dtype(c, 0, 2) || !broadcast(c, c->in[2], &c->out[0], &r)) return false;
        if (!ir_type_equal(&r, &c->out[0])) {
            ir_infer_error(c, "'gemm' c %s does not broadcast to the result %s",
                           ir_type_str(c->in[2]), ir_type_str(&c->out[0]));
            return false;
        }
    }
    return true;
}

/* ---- Convolution and pooling ------------------------------------------------------ */

/* The window attributes every conv/pool op has: stride, pad, dilation. */
static bool window_attrs(IrInfer *c, int nsp) {
    fill_ints(c, "stride", nsp, 1);
    fill_ints(c, "dilation", nsp, 1);
    fill_ints(c, "pad", 2 * nsp, 0);
    int n;
    const int64_t *v = attr_ints(c, "stride", &n);
    if (!need_len(c, "stride", n, nsp, "one per spatial dimension")) return false;
    for (int i = 0; i < n; i++)
        if (v[i] < 1) {
            ir_infer_error(c, "'%s' stride=%s must be positive", NAME(c), list_str(v, n));
            return false;
        }
    v = attr_ints(c, "dilation", &n);
    if (!need_len(c, "dilation", n, nsp, "one per spatial dimension")) return false;
    for (int i = 0; i < n; i++)
        if (v[i] < 1) {
            ir_infer_error(c, "'%s' dilation=%s must be positive", NAME(c), list_str(v, n));
            return false;
        }
    v = attr_ints(c, "pad", &n);
    if (!need_len(c, "pad", n, 2 * nsp, "begins then ends of each spatial dimension")) return false;
    for (int i = 0; i < n; i++)
        if (v[i] < 0) {
            ir_infer_error(c, "'%s' pad=%s must not be negative", NAME(c), list_str(v, n));
            return false;
        }
    return true;
}

void ir_window(const IrGraph *g, IrOpId id, IrWindow *w) {
    const IrOp *op = &g->ops[id];
    memset(w, 0, sizeof *w);
    const IrType *x = &g->vals[op->in[0]].type;
    w->nsp = op->kind == IR_OP_fused_conv ? x->rank - 2 : ir_op_spatial_rank(op->kind);
    if (w->nsp < 1 || w->nsp > 3)
        ice("ir_window: %s is not a conv or pool op", ir_op_name(op->kind));
    const IrType *y = &g->vals[op->out[0]].type;
    int n;
    const int64_t *stride = ir_attr_ints(g, id, "stride", &n);
    const int64_t *dil = ir_attr_ints(g, id, "dilation", &n);
    const int64_t *pad = ir_attr_ints(g, id, "pad", &n);
    const int64_t *kernel = NULL;
    bool conv = ir_attr_slot(op->kind, "groups") >= 0;
    if (conv)
        kernel = g->vals[op->in[1]].type.dims + 2;
    else
        kernel = ir_attr_ints(g, id, "kernel", &n);
    for (int i = 0; i < w->nsp; i++) {
        w->kernel[i] = kernel[i];
        w->stride[i] = stride[i];
        w->dilation[i] = dil[i];
        w->pad_begin[i] = pad[i];
        w->pad_end[i] = pad[w->nsp + i];
        w->in[i] = x->dims[2 + i];
        w->out[i] = y->dims[2 + i];
    }
    w->groups = conv ? ir_attr_int(g, id, "groups") : 1;
    if (ir_attr_slot(op->kind, "output_padding") >= 0) {
        const int64_t *op_ = ir_attr_ints(g, id, "output_padding", &n);
        for (int i = 0; i < w->nsp; i++) w->output_padding[i] = op_[i];
    }
}

/* Checks shared by conv and conv_transpose: x [N, C, ...], w [A, B, k...]. */
static bool conv_operands(IrInfer *c, int nsp, bool has_bias) {
    char want[64];
    snprintf(want, sizeof want, "a rank-%d x ([N, C, %d spatial])", nsp + 2, nsp);
    if (!need_rank(c, 0, nsp + 2, nsp + 2, want)) return false;
    snprintf(want, sizeof want, "a rank-%d weight", nsp + 2);
    if (!need_rank(c, 1, nsp + 2, nsp + 2, want) || !same_dtype(c, 0, 1)) return false;
    if (has_bias && c->nin == 3 && (!same_dtype(c, 0, 2) || !need_rank(c, 2, 1, 1, "a 1-D bias")))
        return false;
    int64_t groups = attr_int(c, "groups");
    if (groups < 1) {
        ir_infer_error(c, "'%s' groups=%lld must be positive", NAME(c), (long long)groups);
        return false;
    }
    for (int i = 0; i < nsp; i++)
        if (c->in[1]->dims[2 + i] < 1) {
            ir_infer_error(c, "'%s' weight %s has an empty kernel", NAME(c), ir_type_str(c->in[1]));
            return false;
        }
    return window_attrs(c, nsp);
}

/* The result of a convolution (after conv_operands' checks). */
static bool conv_result(IrInfer *c, int nsp, bool has_bias) {
    const IrType *x = c->in[0], *w = c->in[1];
    int64_t groups = attr_int(c, "groups"), ch = x->dims[1], m = w->dims[0];
    if (ch % groups || m % groups) {
        ir_infer_error(c,
                       "'%s' groups=%lld must divide the input channels (%lld) and the output "
                       "channels (%lld)",
                       NAME(c), (long long)groups, (long long)ch, (long long)m);
        return false;
    }
    if (w->dims[1] != ch / groups) {
        ir_infer_error(c,
                       "'%s' x %s has %lld channels, but weight %s expects %lld per group "
                       "(groups=%lld)",
                       NAME(c), ir_type_str(x), (long long)ch, ir_type_str(w),
                       (long long)w->dims[1], (long long)groups);
        return false;
    }
    if (has_bias && c->nin == 3 && c->in[2]->dims[0] != m) {
        ir_infer_error(c, "'%s' bias %s needs %lld entries, one per output channel", NAME(c),
                       ir_type_str(c->in[2]), (long long)m);
        return false;
    }
    int n;
    const int64_t *stride = attr_ints(c, "stride", &n), *dil = attr_ints(c, "dilation", &n);
    const int64_t *pad = attr_ints(c, "pad", &n);
    IrType *y = &c->out[0];
    *y = *x;
    y->dims[1] = m;
    for (int i = 0; i < nsp; i++) {
        int64_t span = dil[i] * (w->dims[2 + i] - 1) + 1;
        int64_t padded = x->dims[2 + i] + pad[i] + pad[nsp + i];
        if (padded < span) {
            ir_infer_error(c,
                           "'%s' kernel (extent %lld with dilation) is larger than the padded "
                           "input (%lld) in spatial dimension %d",
                           NAME(c), (long long)span, (long long)padded, i);
            return false;
        }
        y->dims[2 + i] = (padded - span) / stride[i] + 1;
    }
    return true;
}

bool ir_infer_conv(IrInfer *c) {
    int nsp = ir_op_spatial_rank(c->kind);
    return conv_operands(c, nsp, true) && conv_result(c, nsp, true);
}

/* A convolution kernel: conv2d or conv3d without bias, then a body over
 * the accumulator and the extra operands. */
bool ir_infer_fused_conv(IrInfer *c) {
    int nsp = c->in[0]->rank - 2;
    if (nsp != 2 && nsp != 3) {
        ir_infer_error(c, "'fused_conv' needs a rank-4 or rank-5 x ([N, C, spatial...]), got %s",
                       ir_type_str(c->in[0]));
        return false;
    }
    if (!conv_operands(c, nsp, false) || !conv_result(c, nsp, false)) return false;
    IrType y = c->out[0];
    AccDtype in[IR_MAX_OPERANDS];
    in[0] = ir_acc_dtype(c->in[0]->dtype, c->in[1]->dtype);
    for (int i = 2; i < c->nin; i++) {
        int bad;
        IrType r;
        bool ok = ir_broadcast(c->in[i], &y, &r, &bad) && r.rank == y.rank;
        for (int d = 0; ok && d < r.rank; d++) ok = r.dims[d] == y.dims[d];
        if (!ok) {
            ir_infer_error(c, "'fused_conv' operand %d %s does not broadcast to the result %s",
                           i + 1, ir_type_str(c->in[i]), ir_type_str(&y));
            return false;
        }
        in[i - 1] = ir_compute_dtype(c->in[i]->dtype);
    }
    AccDtype result;
    if (!ir_infer_body(c, in, c->nin - 1, &result)) return false;
    c->out[0] = y;
    c->out[0].dtype = ir_attr_dtype(c->g, c->op, "dtype");
    return true;
}

bool ir_infer_conv_transpose(IrInfer *c) {
    int nsp = ir_op_spatial_rank(c->kind);
    if (!conv_operands(c, nsp, true)) return false;
    fill_ints(c, "output_padding", nsp, 0);
    const IrType *x = c->in[0], *w = c->in[1];
    int64_t groups = attr_int(c, "groups"), ch = x->dims[1];
    if (w->dims[0] != ch || ch % groups) {
        ir_infer_error(c,
                       "'%s' weight %s needs %lld (x's channels) as its first dimension, "
                       "divisible by groups=%lld",
                       NAME(c), ir_type_str(w), (long long)ch, (long long)groups);
        return false;
    }
    int64_t m = w->dims[1] * groups;
    if (c->nin == 3 && c->in[2]->dims[0] != m) {
        ir_infer_error(c, "'%s' bias %s needs %lld entries, one per output channel", NAME(c),
                       ir_type_str(c->in[2]), (long long)m);
        return false;
    }
    int n;
    const int64_t *stride = attr_ints(c, "stride", &n), *dil = attr_ints(c, "dilation", &n);
    const int64_t *pad = attr_ints(c, "pad", &n), *opad = attr_ints(c, "output_padding", &n);
    if (!need_len(c, "output_padding", n, nsp, "one per spatial dimension")) return false;
    IrType *y = &c->out[0];
    *y = *x;
    y->dims[1] = m;
    for (int i = 0; i < nsp; i++) {
        if (opad[i] < 0 || (opad[i] >= stride[i] && opad[i] >= dil[i])) {
            ir_infer_error(c,
                           "'%s' output_padding=%s must be at least 0 and less than the stride "
                           "or the dilation",
                           NAME(c), list_str(opad, nsp));
            return false;
        }
        int64_t size = stride[i] * (x->dims[2 + i] - 1) + opad[i] + dil[i] * (w->dims[2 + i] - 1) +
                       1 - pad[i] - pad[nsp + i];
        if (size < 1) {
            ir_infer_error(c, "'%s' padding %s leaves no output in spatial dimension %d", NAME(c),
                           list_str(pad, 2 * nsp), i);
            return false;
        }
        y->dims[2 + i] = size;
    }
    return true;
}

bool ir_infer_pool(IrInfer *c) {
    int nsp = ir_op_spatial_rank(c->kind);
    char want[64];
    snprintf(want, sizeof want, "a rank-%d x ([N, C, %d spatial])", nsp + 2, nsp);
    if (!need_rank(c, 0, nsp + 2, nsp + 2, want) || !window_attrs(c, nsp)) return false;
    int n;
    const int64_t *kernel = attr_ints(c, "kernel", &n);
    if (!need_len(c, "kernel", n, nsp, "one per spatial dimension")) return false;
    const int64_t *stride = attr_ints(c, "stride", &n), *dil = attr_ints(c, "dilation", &n);
    const int64_t *pad = attr_ints(c, "pad", &n);
    bool ceil_mode = attr_bool(c, "ceil_mode");
    const IrType *x = c->in[0];
    IrType *y = &c->out[0];
    *y = *x;
    for (int i = 0; i < nsp; i++) {
        if (kernel[i] < 1) {
            ir_infer_error(c, "'%s' kernel=%s must be positive", NAME(c), list_str(kernel, nsp));
            return false;
        }
        int64_t span = dil[i] * (kernel[i] - 1) + 1;
        int64_t padded = x->dims[2 + i] + pad[i] + pad[nsp + i];
        if (padded < span) {
            ir_infer_error(c,
                           "'%s' kernel (extent %lld) is larger than the padded input (%lld) in "
                           "spatial dimension %d",
                           NAME(c), (long long)span, (long long)padded, i);
            return false;
        }
        int64_t out = (padded - span) / stride[i] + 1;
        /* ceil_mode keeps a last, partial window, but only one that starts
         * inside the input or its begin padding. */
        if (ceil_mode && (padded - span) % stride[i] != 0) {
            out++;
            if ((out - 1) * stride[i] >= x->dims[2 + i] + pad[i]) out--;
        }
        y->dims[2 + i] = out;
    }
    return true;
}

bool ir_infer_global_pool(IrInfer *c) {
    if (!need_rank(c, 0, 3, IR_MAX_RANK, "x of rank 3 or more ([N, C, spatial...])")) return false;
    c->out[0] = *c->in[0];
    for (int i = 2; i < c->out[0].rank; i++) c->out[0].dims[i] = 1;
    return true;
}

/* ---- Normalisation ------------------------------------------------------------------ */

/* Operand i is 1-D with the given length. */
static bool need_vector(IrInfer *c, int i, int64_t len, const char *what) {
    if (!same_dtype(c, 0, i)) return false;
    if (c->in[i]->rank == 1 && c->in[i]->dims[0] == len) return true;
    ir_infer_error(c, "'%s' %s must be %s[%lld] (%s), got %s", NAME(c),
                   ir_op_info(c->kind)->operand_names[i], dtype_name(c->in[0]->dtype),
                   (long long)len, what, ir_type_str(c->in[i]));
    return false;
}

bool ir_infer_batch_norm(IrInfer *c) {
    if (!need_rank(c, 0, 2, IR_MAX_RANK, "x of rank 2 or more ([N, C, ...])")) return false;
    for (int i = 1; i < 5; i++)
        if (!need_vector(c, i, c->in[0]->dims[1], "one per channel")) return false;
    c->out[0] = *c->in[0];
    return true;
}

bool ir_infer_instance_norm(IrInfer *c) {
    if (!need_rank(c, 0, 3, IR_MAX_RANK, "x of rank 3 or more ([N, C, spatial...])")) return false;
    for (int i = 1; i < 3; i++)
        if (!need_vector(c, i, c->in[0]->dims[1], "one per channel")) return false;
    c->out[0] = *c->in[0];
    return true;
}

bool ir_infer_layer_norm(IrInfer *c) {
    const IrType *x = c->in[0];
    int axis = axis_attr(c, "axis", x->rank);
    if (axis < 0) return false;
    IrType norm = ir_type(x->dtype, x->rank - axis, x->dims + axis);
    for (int i = 1; i < c->nin; i++) {
        IrType r;
        int bad;
        if (!same_dtype(c, 0, i)) return false;
        if (!ir_broadcast(c->in[i], &norm, &r, &bad) || !ir_type_equal(&r, &norm)) {
            ir_infer_error(
                c, "'layer_norm' %s %s does not broadcast to the normalised dimensions %s",
                ir_op_info(c->kind)->operand_names[i], ir_type_str(c->in[i]), ir_type_str(&norm));
            return false;
        }
    }
    c->out[0] = *x;
    return true;
}

bool ir_infer_softmax(IrInfer *c) {
    if (c->in[0]->rank == 0) {
        ir_infer_error(c, "'%s' needs a tensor of rank 1 or more, got %s", NAME(c),
                       ir_type_str(c->in[0]));
        return false;
    }
    if (axis_attr(c, "axis", c->in[0]->rank) < 0) return false;
    c->out[0] = *c->in[0];
    return true;
}

/* ---- Reductions --------------------------------------------------------------------- */

bool ir_infer_reduce(IrInfer *c) {
    const IrType *x = c->in[0];
    int n;
    const int64_t *axes = attr_ints(c, "axes", &n);
    bool mask[IR_MAX_RANK];
    if (!axes_mask(c, "axes", axes, n, x->rank, mask)) return false;
    if (n == 0) {
        bool noop = attr_bool(c, "noop_with_empty_axes");
        for (int i = 0; i < x->rank; i++) mask[i] = !noop;
    }
    bool keep = attr_bool(c, "keepdims");
    IrType *y = &c->out[0];
    *y = *x;
    y->rank = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!mask[i])
            y->dims[y->rank++] = x->dims[i];
        else if (keep)
            y->dims[y->rank++] = 1;
    }
    return true;
}

bool ir_infer_arg_reduce(IrInfer *c) {
    const IrType *x = c->in[0];
    if (x->rank == 0) {
        ir_infer_error(c, "'%s' needs a tensor of rank 1 or more, got %s", NAME(c), ir_type_str(x));
        return false;
    }
    int axis = axis_attr(c, "axis", x->rank);
    if (axis < 0) return false;
    if (x->dims[axis] == 0) {
        ir_infer_error(c, "'%s' over an empty axis of %s", NAME(c), ir_type_str(x));
        return false;
    }
    IrType *y = &c->out[0];
    *y = *x;
    y->dtype = ACC_DTYPE_I64;
    if (attr_bool(c, "keepdims")) {
        y->dims[axis] = 1;
    } else {
        for (int i = axis; i + 1 < x->rank; i++) y->dims[i] = x->dims[i + 1];
        y->rank--;
    }
    return true;
}

/* ---- Shapes and data movement ------------------------------------------------------ */

bool ir_infer_reshape(IrInfer *c) {
    const IrType *x = c->in[0];
    int n;
    const int64_t *shape = attr_ints(c, "shape", &n);
    bool allowzero = attr_bool(c, "allowzero");
    if (n > IR_MAX_RANK) {
        ir_infer_error(c, "'reshape' shape=%s has more than %d dimensions", list_str(shape, n),
                       IR_MAX_RANK);
        return false;
    }
    IrType *y = &c->out[0];
    *y = ir_type(x->dtype, n, shape);
    int infer_at = -1;
    int64_t known = 1;
    for (int i = 0; i < n; i++) {
        if (shape[i] == -1 && infer_at < 0) {
            infer_at = i;
            continue;
        }
        if (shape[i] == 0 && !allowzero) {
            if (i >= x->rank) {
                ir_infer_error(c, "'reshape' shape=%s copies dimension %d (0), which %s lacks",
                               list_str(shape, n), i, ir_type_str(x));
                return false;
            }
            y->dims[i] = x->dims[i];
        } else if (shape[i] < 0) {
            ir_infer_error(c,
                           "'reshape' shape=%s: only one -1 is allowed and no other negative "
                           "size",
                           list_str(shape, n));
            return false;
        }
        if (y->dims[i] && known > INT64_MAX / y->dims[i]) known = -1;
        if (known >= 0) known *= y->dims[i];
    }
    int64_t count = ir_type_count(x);
    if (infer_at >= 0) {
        if (known <= 0 || count % known) {
            ir_infer_error(c, "'reshape' cannot fit %s into shape=%s", ir_type_str(x),
                           list_str(shape, n));
            return false;
        }
        y->dims[infer_at] = count / known;
    }
    if (ir_type_count(y) != count) {
        ir_infer_error(c,
                       "'reshape' cannot change the element count: %s has %lld, shape=%s has "
                       "%lld",
                       ir_type_str(x), (long long)count, list_str(shape, n),
                       (long long)ir_type_count(y));
        return false;
    }
    return true;
}

bool ir_infer_flatten(IrInfer *c) {
    const IrType *x = c->in[0];
    int64_t axis = attr_int(c, "axis");
    if (axis < -x->rank || axis > x->rank) {
        ir_infer_error(c, "'flatten' axis=%lld is out of range for rank %d (allowed %d to %d)",
                       (long long)axis, x->rank, -x->rank, x->rank);
        return false;
    }
    if (axis < 0) axis += x->rank;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else
            inner *= x->dims[i];
    }
    c->out[0] = ir_type(x->dtype, 2, (int64_t[]){outer, inner});
    return true;
}

bool ir_infer_squeeze(IrInfer *c) {
    const IrType *x = c->in[0];
    if (attr(c, "axes")->kind == IR_ATTR_NONE) {
        int64_t ones[IR_MAX_RANK] = {0};
        int n = 0;
        for (int i = 0; i < x->rank; i++)
            if (x->dims[i] == 1) ones[n++] = i;
        default_ints(c, "axes", n, ones);
    }
    int n;
    const int64_t *axes = attr_ints(c, "axes", &n);
    bool mask[IR_MAX_RANK];
    if (!axes_mask(c, "axes", axes, n, x->rank, mask)) return false;
    IrType *y = &c->out[0];
    *y = *x;
    y->rank = 0;
    for (int i = 0; i < x->rank; i++) {
        if (mask[i] && x->dims[i] != 1) {
            ir_infer_error(c, "'squeeze' axis %d of %s has size %lld, not 1", i, ir_type_str(x),
                           (long long)x->dims[i]);
            return false;
        }
        if (!mask[i]) y->dims[y->rank++] = x->dims[i];
    }
    return true;
}

bool ir_infer_unsqueeze(IrInfer *c) {
    const IrType *x = c->in[0];
    int n;
    const int64_t *axes = attr_ints(c, "axes", &n);
    int rank = x->rank + n;
    if (rank > IR_MAX_RANK) {
        ir_infer_error(c, "'unsqueeze' would make a tensor of rank %d (at most %d)", rank,
                       IR_MAX_RANK);
        return false;
    }
    bool mask[IR_MAX_RANK];
    if (!axes_mask(c, "axes", axes, n, rank, mask)) return false;
    IrType *y = &c->out[0];
    *y = *x;
    y->rank = rank;
    for (int i = 0, j = 0; i < rank; i++) y->dims[i] = mask[i] ? 1 : x->dims[j++];
    return true;
}

bool ir_infer_transpose(IrInfer *c) {
    const IrType *x = c->in[0];
    int64_t rev[IR_MAX_RANK] = {0};
    for (int i = 0; i < x->rank; i++) rev[i] = x->rank - 1 - i;
    default_ints(c, "perm", x->rank, rev);
    int n;
    const int64_t *perm = attr_ints(c, "perm", &n);
    bool seen[IR_MAX_RANK] = {false};
    bool ok = n == x->rank;
    for (int i = 0; ok && i < n; i++) {
        ok = perm[i] >= 0 && perm[i] < x->rank && !seen[perm[i]];
        if (ok) seen[perm[i]] = true;
    }
    if (!ok) {
        ir_infer_error(c, "'transpose' perm=%s is not a permutation of the %d dimensions of %s",
                       list_str(perm, n), x->rank, ir_type_str(x));
        return false;
    }
    IrType *y = &c->out[0];
    *y = *x;
    for (int i = 0; i < n; i++) y->dims[i] = x->dims[perm[i]];
    return true;
}

bool ir_infer_expand(IrInfer *c) {
    int n;
    const int64_t *shape = attr_ints(c, "shape", &n);
    if (n > IR_MAX_RANK) {
        ir_infer_error(c, "'expand' shape=%s has more than %d dimensions", list_str(shape, n),
                       IR_MAX_RANK);
        return false;
    }
    for (int i = 0; i < n; i++)
        if (shape[i] < 0) {
            ir_infer_error(c, "'expand' shape=%s has a negative size", list_str(shape, n));
            return false;
        }
    IrType s = ir_type(c->in[0]->dtype, n, shape);
    return broadcast(c, c->in[0], &s, &c->out[0]);
}

bool ir_infer_concat(IrInfer *c) {
    const IrType *x = c->in[0];
    if (x->rank == 0) {
        ir_infer_error(c, "'concat' cannot join scalars (rank 0)");
        return false;
    }
    int axis = axis_attr(c, "axis", x->rank);
    if (axis < 0) return false;
    IrType *y = &c->out[0];
    *y = *x;
    for (int i = 1; i < c->nin; i++) {
        const IrType *t = c->in[i];
        if (!same_dtype(c, 0, i)) return false;
        bool ok = t->rank == x->rank;
        for (int d = 0; ok && d < x->rank; d++) ok = d == axis || t->dims[d] == x->dims[d];
        if (!ok) {
            ir_infer_error(c, "'concat' along axis %d: %s and %s differ in another dimension", axis,
                           ir_type_str(x), ir_type_str(t));
            return false;
        }
        y->dims[axis] += t->dims[axis];
    }
    return true;
}

bool ir_infer_split(IrInfer *c) {
    const IrType *x = c->in[0];
    if (x->rank == 0) {
        ir_infer_error(c, "'split' cannot split a scalar");
        return false;
    }
    int axis = axis_attr(c, "axis", x->rank);
    if (axis < 0) return false;
    int n;
    const int64_t *split = attr_ints(c, "split", &n);
    if (n < 1 || n > IR_MAX_RESULTS) {
        ir_infer_error(c, "'split' split=%s needs 1 to %d sizes", list_str(split, n),
                       IR_MAX_RESULTS);
        return false;
    }
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (split[i] < 0) {
            ir_infer_error(c, "'split' split=%s has a negative size", list_str(split, n));
            return false;
        }
        total += split[i];
        if (total > x->dims[axis]) break;
    }
    if (total != x->dims[axis]) {
        ir_infer_error(c, "'split' sizes %s do not add up to dimension %d of %s (%lld)",
                       list_str(split, n), axis, ir_type_str(x), (long long)x->dims[axis]);
        return false;
    }
    c->nout = n;
    for (int i = 0; i < n; i++) {
        c->out[i] = *x;
        c->out[i].dims[axis] = split[i];
    }
    return true;
}

void ir_slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first,
                   int64_t *len) {
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        *len = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
        int64_t back = step == INT64_MIN ? INT64_MAX : -step;
        start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
        end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
        *len = start > end ? (start - end - 1) / back + 1 : 0;
    }
    *first = start;
}

bool ir_infer_slice(IrInfer *c) {
    const IrType *x = c->in[0];
    int n, m;
    const int64_t *starts = attr_ints(c, "starts", &n), *ends = attr_ints(c, "ends", &m);
    if (n != m || n > x->rank) {
        ir_infer_error(c,
                       "'slice' starts=%s and ends=%s need the same length, at most the rank "
                       "of %s",
                       list_str(starts, n), list_str(ends, m), ir_type_str(x));
        return false;
    }
    int64_t axes0[IR_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) axes0[i] = i;
    default_ints(c, "axes", n, axes0);
    fill_ints(c, "steps", n, 1);
    int na, ns;
    const int64_t *axes = attr_ints(c, "axes", &na), *steps = attr_ints(c, "steps", &ns);
    if (!need_len(c, "axes", na, n, "one per start") ||
        !need_len(c, "steps", ns, n, "one per start"))
        return false;
    bool mask[IR_MAX_RANK];
    if (!axes_mask(c, "axes", axes, n, x->rank, mask)) return false;
    IrType *y = &c->out[0];
    *y = *x;
    for (int i = 0; i < n; i++) {
        if (steps[i] == 0) {
            ir_infer_error(c, "'slice' steps=%s: a step cannot be 0", list_str(steps, n));
            return false;
        }
        int a = ir_norm_axis(axes[i], x->rank);
        int64_t first, len;
        ir_slice_axis(x->dims[a], starts[i], ends[i], steps[i], &first, &len);
        y->dims[a] = len;
    }
    return true;
}

#define IR_PAD_LIMIT ((int64_t)1 << 40)

bool ir_infer_pad(IrInfer *c) {
    const IrType *x = c->in[0];
    int n;
    const int64_t *pads = attr_ints(c, "pads", &n);
    if (!need_len(c, "pads", n, 2 * x->rank, "begins then ends of every dimension")) return false;
    const char *mode = ir_attr_str(c->g, c->op, "mode");
    IrType *y = &c->out[0];
    *y = *x;
    for (int i = 0; i < x->rank; i++) {
        int64_t pb = pads[i], pe = pads[x->rank + i];
        /* Beyond 2^40 no tensor fits; checked first so the sum cannot overflow. */
        if (pb > IR_PAD_LIMIT || pb < -IR_PAD_LIMIT || pe > IR_PAD_LIMIT || pe < -IR_PAD_LIMIT) {
            ir_infer_error(c, "'pad' pads=%s: an entry is beyond 2^40", list_str(pads, n));
            return false;
        }
        y->dims[i] = x->dims[i] + pb + pe;
        if (y->dims[i] < 0) {
            ir_infer_error(c, "'pad' pads=%s crops more than dimension %d of %s", list_str(pads, n),
                           i, ir_type_str(x));
            return false;
        }
        if (strcmp(mode, "reflect") == 0 && (pb >= x->dims[i] || pe >= x->dims[i]) &&
            (pb > 0 || pe > 0)) {
            ir_infer_error(c,
                           "'pad' mode \"reflect\" needs pads smaller than the dimension: "
                           "pads=%s, %s",
                           list_str(pads, n), ir_type_str(x));
            return false;
        }
        if (strcmp(mode, "edge") == 0 && x->dims[i] == 0 && (pb > 0 || pe > 0)) {
            ir_infer_error(c, "'pad' mode \"edge\" cannot pad an empty dimension of %s",
                           ir_type_str(x));
            return false;
        }
    }
    return true;
}

bool ir_infer_tile(IrInfer *c) {
    const IrType *x = c->in[0];
    int n;
    const int64_t *rep = attr_ints(c, "repeats", &n);
    if (!need_len(c, "repeats", n, x->rank, "one per dimension")) return false;
    IrType *y = &c->out[0];
    *y = *x;
    for (int i = 0; i < n; i++) {
        if (rep[i] < 0 || (rep[i] && x->dims[i] > INT64_MAX / rep[i])) {
            ir_infer_error(c, "'tile' repeats=%s must not be negative", list_str(rep, n));
            return false;
        }
        y->dims[i] = x->dims[i] * rep[i];
    }
    return true;
}

bool ir_infer_gather(IrInfer *c) {
    const IrType *x = c->in[0], *idx = c->in[1];
    if (idx->dtype != ACC_DTYPE_I32 && idx->dtype != ACC_DTYPE_I64) {
        ir_infer_error(c, "'gather' indices must be i32 or i64, got %s", ir_type_str(idx));
        return false;
    }
    if (x->rank == 0) {
        ir_infer_error(c, "'gather' needs data of rank 1 or more, got %s", ir_type_str(x));
        return false;
    }
    int axis = axis_attr(c, "axis", x->rank);
    if (axis < 0) return false;
    int rank = x->rank - 1 + idx->rank;
    if (rank > IR_MAX_RANK) {
        ir_infer_error(c, "'gather' result would have rank %d (at most %d)", rank, IR_MAX_RANK);
        return false;
    }
    IrType *y = &c->out[0];
    y->dtype = x->dtype;
    y->rank = 0;
    for (int i = 0; i < axis; i++) y->dims[y->rank++] = x->dims[i];
    for (int i = 0; i < idx->rank; i++) y->dims[y->rank++] = idx->dims[i];
    for (int i = axis + 1; i < x->rank; i++) y->dims[y->rank++] = x->dims[i];
    return true;
}

bool ir_infer_gather_elements(IrInfer *c) {
    const IrType *x = c->in[0], *idx = c->in[1];
    if (idx->dtype != ACC_DTYPE_I32 && idx->dtype != ACC_DTYPE_I64) {
        ir_infer_error(c, "'gather_elements' indices must be i32 or i64, got %s", ir_type_str(idx));
        return false;
    }
    if (x->rank == 0 || idx->rank != x->rank) {
        ir_infer_error(c,
                       "'gather_elements' needs indices of data's rank (1 or more): data %s, "
                       "indices %s",
                       ir_type_str(x), ir_type_str(idx));
        return false;
    }
    int axis = axis_attr(c, "axis", x->rank);
    if (axis < 0) return false;
    for (int i = 0; i < x->rank; i++)
        if (i != axis && idx->dims[i] > x->dims[i]) {
            ir_infer_error(c,
                           "'gather_elements' indices %s are larger than data %s in dimension %d",
                           ir_type_str(idx), ir_type_str(x), i);
            return false;
        }
    c->out[0] = *idx;
    c->out[0].dtype = x->dtype;
    return true;
}

bool ir_infer_constant(IrInfer *c) {
    const IrAttr *v = attr(c, "value");
    c->out[0] = c->g->consts[v->u.tensor].type;
    return true;
}

/* ---- Quantisation --------------------------------------------------------------- */

/* scale (and zero_point) are scalars or 1-D along axis of x. */
static bool quant_params(IrInfer *c) {
    const IrType *x = c->in[0], *scale = c->in[1];
    if (!need_dtype_class(c, 1, TF, "a float scale")) return false;
    if (ir_type_count(scale) != 1) {
        int axis = axis_attr(c, "axis", x->rank);
        if (axis < 0) return false;
        if (scale->rank != 1 || scale->dims[0] != x->dims[axis]) {
            ir_infer_error(c, "'%s' scale %s must be a scalar or 1-D with %s's dimension %d (%lld)",
                           NAME(c), ir_type_str(scale), ir_type_str(x), axis,
                           (long long)x->dims[axis]);
            return false;
        }
    }
    if (c->nin == 3 &&
        !(c->in[2]->rank == scale->rank && ir_type_count(c->in[2]) == ir_type_count(scale))) {
        ir_infer_error(c, "'%s' zero_point %s must have the shape of scale %s", NAME(c),
                       ir_type_str(c->in[2]), ir_type_str(scale));
        return false;
    }
    return true;
}

bool ir_infer_quantize(IrInfer *c) {
    if (!same_dtype(c, 0, 1) || !quant_params(c)) return false;
    AccDtype to = ACC_DTYPE_U8;
    if (c->nin == 3) {
        to = c->in[2]->dtype;
        if (to != ACC_DTYPE_I8 && to != ACC_DTYPE_U8) {
            ir_infer_error(c, "'quantize_linear' zero_point must be i8 or u8, got %s",
                           ir_type_str(c->in[2]));
            return false;
        }
    }
    c->out[0] = *c->in[0];
    c->out[0].dtype = to;
    return true;
}

bool ir_infer_dequantize(IrInfer *c) {
    AccDtype t = c->in[0]->dtype;
    if (t != ACC_DTYPE_I8 && t != ACC_DTYPE_U8 && t != ACC_DTYPE_I32) {
        ir_infer_error(c, "'dequantize_linear' needs an i8, u8 or i32 x, got %s",
                       ir_type_str(c->in[0]));
        return false;
    }
    if (!quant_params(c) || (c->nin == 3 && !same_dtype(c, 0, 2))) return false;
    c->out[0] = *c->in[0];
    c->out[0].dtype = c->in[1]->dtype;
    return true;
}

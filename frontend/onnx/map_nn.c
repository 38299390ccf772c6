/*
 * Neural-network ONNX ops: matrix products, convolution and pooling (with
 * auto_pad and output_shape resolved into the explicit pads the IR takes),
 * normalisation, softmax, reductions, quantisation, Dropout.
 */
#include "importer.h"

#include <math.h>
#include <string.h>

/* ---- Matrix products --------------------------------------------------------------- */

bool imp_map_gemm(Imp *im, const ImpOp *row) {
    IrRef in[3] = {imp_in(im, 0), imp_in(im, 1), IR_NONE};
    int nin = 2;
    if (imp_has(im, 2)) {
        in[2] = imp_in(im, 2);
        nin = 3;
    } else if (im->opset < 11) {
        return imp_fail(im, "input C is required before opset 11");
    }
    IrOpId op = imp_op(im, row->kind, nin, in);
    if (op) {
        ir_set_attr_float(im->g, op, "alpha", imp_attr_float(im, "alpha", 1.0));
        ir_set_attr_float(im->g, op, "beta", imp_attr_float(im, "beta", 1.0));
        ir_set_attr_bool(im->g, op, "trans_a", imp_attr_int(im, "transA", 0) != 0);
        ir_set_attr_bool(im->g, op, "trans_b", imp_attr_int(im, "transB", 0) != 0);
    }
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* A zero point of MatMulInteger as the scalar the IR takes: ONNX also
 * allows one per row of a or per column of b, which must then all agree. */
static IrRef scalar_zero_point(Imp *im, int i) {
    IrRef z = imp_in(im, i);
    if (!z || ir_type_count(imp_type(im, z)) == 1)
        return z && imp_type(im, z)->rank ? imp_reshape(im, z, 0, NULL) : z;
    const IrConst *c = imp_const(im, z);
    double first;
    if (!c || !ir_const_splat(c, &first)) {
        imp_fail(im,
                 "zero point %s varies per row or column; accc supports one zero point per "
                 "operand",
                 ir_type_str(imp_type(im, z)));
        return IR_NONE;
    }
    return imp_scalar(im, c->type.dtype, first);
}

bool imp_map_matmul_integer(Imp *im, const ImpOp *row) {
    IrRef in[4] = {imp_in(im, 0), imp_in(im, 1), IR_NONE, IR_NONE};
    if (!in[0] || !in[1]) return false;
    int nin = 2;
    if (imp_has(im, 2)) in[2] = scalar_zero_point(im, 2), nin = 3;
    if (imp_has(im, 3)) {
        if (nin == 2) in[2] = imp_scalar(im, imp_type(im, in[0])->dtype, 0);
        in[3] = scalar_zero_point(im, 3);
        nin = 4;
    }
    IrRef y = imp_finish(im, imp_op(im, row->kind, nin, in));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ---- Windows: convolution and pooling ------------------------------------------------- */

typedef struct Window {
    int nsp;
    int64_t kernel[3], stride[3], dilation[3], pads[6], in[3];
    const char *auto_pad;
} Window;

/* Window sizes, strides, dilations and pads beyond this are surely
 * wrong, and bounding them keeps the arithmetic below from overflowing. */
#define WINDOW_LIMIT ((int64_t)1 << 31)

/* An ints attribute of exactly n entries, each in [lo, WINDOW_LIMIT], into
 * out, or fill when absent. */
static bool window_ints(Imp *im, const char *name, int n, int64_t fill, int64_t lo, int64_t *out) {
    int64_t *v;
    int m;
    if (!imp_attr_ints(im, name, &v, &m)) {
        for (int i = 0; i < n; i++) out[i] = fill;
        return !im->failed;
    }
    if (m != n)
        return imp_fail(im, "attribute '%s' has %d entries; the input has %d spatial dimension%s",
                        name, m, n / (strcmp(name, "pads") == 0 ? 2 : 1),
                        n == 1 || n == 2 ? "" : "s");
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > WINDOW_LIMIT)
            return imp_fail(im, "attribute '%s' entry %lld is out of range (%lld to 2^31)", name,
                            (long long)v[i], (long long)lo);
    memcpy(out, v, (size_t)n * sizeof *v);
    return true;
}

/* Read strides, dilations, pads, auto_pad for nsp spatial dimensions of x. */
static bool window_read(Imp *im, IrRef x, int nsp, Window *w) {
    memset(w, 0, sizeof *w);
    w->nsp = nsp;
    const IrType *t = imp_type(im, x);
    if (t->rank != nsp + 2)
        return imp_fail(im, "input %s needs rank %d ([N, C] and %d spatial)", ir_type_str(t),
                        nsp + 2, nsp);
    for (int i = 0; i < nsp; i++) w->in[i] = t->dims[2 + i];
    w->auto_pad = imp_attr_str(im, "auto_pad", "NOTSET");
    return window_ints(im, "strides", nsp, 1, 1, w->stride) &&
           window_ints(im, "dilations", nsp, 1, 1, w->dilation) &&
           window_ints(im, "pads", 2 * nsp, 0, 0, w->pads);
}

/* auto_pad SAME_UPPER / SAME_LOWER / VALID as explicit pads: SAME keeps
 * ceil(in / stride) outputs, the odd padding at the end (UPPER) or the
 * beginning (LOWER). */
static bool window_auto_pad(Imp *im, Window *w) {
    const char *ap = w->auto_pad;
    if (strcmp(ap, "NOTSET") == 0) return true;
    bool upper = strcmp(ap, "SAME_UPPER") == 0, lower = strcmp(ap, "SAME_LOWER") == 0;
    if (!upper && !lower && strcmp(ap, "VALID") != 0)
        return imp_fail(im, "auto_pad \"%s\" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                        ap);
    for (int i = 0; i < w->nsp; i++) {
        int64_t total = 0;
        if (upper || lower) {
            int64_t out = (w->in[i] + w->stride[i] - 1) / w->stride[i];
            int64_t span = (w->kernel[i] - 1) * w->dilation[i] + 1;
            total = (out - 1) * w->stride[i] + span - w->in[i];
            if (total < 0) total = 0;
        }
        w->pads[i] = upper ? total / 2 : total - total / 2;
        w->pads[w->nsp + i] = total - w->pads[i];
    }
    return true;
}

static void window_set(Imp *im, IrOpId op, const Window *w) {
    ir_set_attr_ints(im->g, op, "stride", w->nsp, w->stride);
    ir_set_attr_ints(im->g, op, "dilation", w->nsp, w->dilation);
    ir_set_attr_ints(im->g, op, "pad", 2 * w->nsp, w->pads);
}

/* The kernel is the weight's: a kernel_shape attribute must agree. */
static bool conv_kernel(Imp *im, IrRef wt, Window *w) {
    const IrType *t = imp_type(im, wt);
    if (t->rank != w->nsp + 2)
        return imp_fail(im, "weight %s needs rank %d", ir_type_str(t), w->nsp + 2);
    int64_t ks[3];
    for (int i = 0; i < w->nsp; i++) w->kernel[i] = t->dims[2 + i];
    if (imp_attr_has(im, "kernel_shape")) {
        if (!window_ints(im, "kernel_shape", w->nsp, 1, 1, ks)) return false;
        for (int i = 0; i < w->nsp; i++)
            if (ks[i] != w->kernel[i])
                return imp_fail(im, "kernel_shape does not match the weight %s", ir_type_str(t));
    }
    return true;
}

static int spatial_rank(Imp *im, IrRef x) {
    int nsp = imp_type(im, x)->rank - 2;
    if (nsp < 1 || nsp > 3) {
        imp_fail(im, "input %s: accc supports 1 to 3 spatial dimensions",
                 ir_type_str(imp_type(im, x)));
        return 0;
    }
    return nsp;
}

bool imp_map_conv(Imp *im, const ImpOp *row) {
    IrRef in[3] = {imp_in(im, 0), imp_in(im, 1), IR_NONE};
    if (!in[0] || !in[1]) return false;
    int nin = imp_has(im, 2) ? 3 : 2;
    if (nin == 3 && !(in[2] = imp_in(im, 2))) return false;
    int nsp = spatial_rank(im, in[0]);
    Window w;
    if (!nsp || !window_read(im, in[0], nsp, &w) || !conv_kernel(im, in[1], &w) ||
        !window_auto_pad(im, &w))
        return false;
    IrOpId op = imp_op(im, (IrOpKind)(row->kind + nsp - 2), nin, in);
    window_set(im, op, &w);
    ir_set_attr_int(im->g, op, "groups", imp_attr_int(im, "group", 1));
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ConvTranspose: output_shape (or auto_pad SAME, which asks for in *
 * stride) decides the total padding; padding below zero becomes
 * output_padding. */
bool imp_map_conv_transpose(Imp *im, const ImpOp *row) {
    IrRef in[3] = {imp_in(im, 0), imp_in(im, 1), IR_NONE};
    if (!in[0] || !in[1]) return false;
    int nin = imp_has(im, 2) ? 3 : 2;
    if (nin == 3 && !(in[2] = imp_in(im, 2))) return false;
    int nsp = spatial_rank(im, in[0]);
    Window w;
    int64_t opad[3], oshape[3];
    if (!nsp || !window_read(im, in[0], nsp, &w) || !conv_kernel(im, in[1], &w) ||
        !window_ints(im, "output_padding", nsp, 0, 0, opad))
        return false;
    bool same = strcmp(w.auto_pad, "SAME_UPPER") == 0 || strcmp(w.auto_pad, "SAME_LOWER") == 0;
    bool has_shape = imp_attr_has(im, "output_shape");
    if (has_shape) {
        int64_t *v;
        int n;
        if (!imp_attr_ints(im, "output_shape", &v, &n)) return false;
        if (n != nsp && n != nsp + 2)
            return imp_fail(im, "output_shape has %d entries; expected %d", n, nsp);
        for (int i = 0; i < nsp; i++) {
            oshape[i] = v[n - nsp + i];
            if (oshape[i] < 1 || oshape[i] > WINDOW_LIMIT)
                return imp_fail(im, "output_shape entry %lld is out of range",
                                (long long)oshape[i]);
        }
    } else if (same) {
        for (int i = 0; i < nsp; i++) oshape[i] = w.in[i] * w.stride[i];
    } else if (strcmp(w.auto_pad, "VALID") == 0) {
        memset(w.pads, 0, sizeof w.pads);
    } else if (strcmp(w.auto_pad, "NOTSET") != 0) {
        return imp_fail(im, "auto_pad \"%s\" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                        w.auto_pad);
    }
    if (has_shape || same) {
        bool upper = strcmp(w.auto_pad, "SAME_UPPER") == 0;
        for (int i = 0; i < nsp; i++) {
            int64_t full =
                w.stride[i] * (w.in[i] - 1) + opad[i] + (w.kernel[i] - 1) * w.dilation[i] + 1;
            int64_t total = full - oshape[i];
            if (total < 0) {
                opad[i] -= total;
                total = 0;
            }
            w.pads[i] = upper ? total / 2 : total - total / 2;
            w.pads[nsp + i] = total - w.pads[i];
        }
    }
    IrOpId op = imp_op(im, (IrOpKind)(row->kind + nsp - 2), nin, in);
    window_set(im, op, &w);
    ir_set_attr_ints(im->g, op, "output_padding", nsp, opad);
    ir_set_attr_int(im->g, op, "groups", imp_attr_int(im, "group", 1));
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* MaxPool and AveragePool. Integer inputs of MaxPool (u8, i8: 12+) are
 * pooled in f32, which holds them exactly. */
bool imp_map_pool(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int64_t *k;
    int nsp;
    if (!imp_attr_ints(im, "kernel_shape", &k, &nsp))
        return im->failed ? false : imp_fail(im, "attribute 'kernel_shape' is missing");
    if (nsp < 1 || nsp > 3)
        return imp_fail(im, "kernel_shape has %d entries; accc supports 1 to 3", nsp);
    if (!window_ints(im, "kernel_shape", nsp, 1, 1, k)) return false;
    bool is_max = row->kind == IR_OP_max_pool2d;
    if (is_max && imp_has_out(im, 1)) return imp_fail(im, "output 1 (Indices) is not supported");
    if (is_max && imp_attr_int(im, "storage_order", 0) != 0)
        return imp_fail(im, "storage_order=1 is not supported");
    Window w;
    if (!window_read(im, x, nsp, &w)) return false;
    memcpy(w.kernel, k, (size_t)nsp * sizeof *k);
    if (!window_auto_pad(im, &w)) return false;
    AccDtype t = imp_type(im, x)->dtype;
    bool widen = is_max && (t == ACC_DTYPE_U8 || t == ACC_DTYPE_I8);
    if (widen) x = imp_cast(im, x, ACC_DTYPE_F32);
    IrOpId op = imp_op(im, (IrOpKind)(row->kind + nsp - 2), 1, &x);
    if (!op) return false;
    window_set(im, op, &w);
    ir_set_attr_ints(im->g, op, "kernel", nsp, k);
    ir_set_attr_bool(im->g, op, "ceil_mode", imp_attr_int(im, "ceil_mode", 0) != 0);
    if (!is_max)
        ir_set_attr_bool(im->g, op, "count_include_pad",
                         imp_attr_int(im, "count_include_pad", 0) != 0);
    IrRef y = imp_finish(im, op);
    if (widen) y = imp_cast(im, y, t);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ---- Normalisation ---------------------------------------------------------------------- */

/* The axes of x other than 1 (the channels), for batch statistics. */
static int non_channel_axes(int rank, int64_t *axes) {
    int n = 0;
    for (int i = 0; i < rank; i++)
        if (i != 1) axes[n++] = i;
    return n;
}

bool imp_map_batch_norm(Imp *im, const ImpOp *row) {
    IrRef in[5];
    for (int i = 0; i < 5; i++)
        if (!(in[i] = imp_in(im, i))) return false;
    if (im->opset < 9 && imp_attr_int(im, "spatial", 1) == 0)
        return imp_fail(im, "spatial=0 (statistics per element, not per channel) is not supported");
    double eps = imp_attr_float(im, "epsilon", 1e-5);
    bool training = im->opset >= 14 && imp_attr_int(im, "training_mode", 0) != 0;
    IrRef mean = in[3], var = in[4];
    IrRef running_mean = IR_NONE, running_var = IR_NONE;
    if (training) {
        /* Batch statistics (population variance), and the running ones
         * blended with momentum, as ONNX defines them. */
        const IrType *xt = imp_type(im, in[0]);
        int64_t axes[IR_MAX_RANK], c = xt->rank > 1 ? xt->dims[1] : 1;
        int n = non_channel_axes(xt->rank, axes);
        IrRef m = imp_reduce(im, IR_OP_reduce_mean, in[0], n, axes, true);
        IrRef d = imp_binary(im, IR_OP_sub, in[0], m);
        IrRef v = imp_reduce(im, IR_OP_reduce_mean, imp_binary(im, IR_OP_mul, d, d), n, axes, true);
        mean = imp_reshape(im, m, 1, &c);
        var = imp_reshape(im, v, 1, &c);
        double momentum = imp_attr_float(im, "momentum", 0.9);
        AccDtype dt = xt->dtype;
        IrRef mo = imp_scalar(im, dt, momentum), rest = imp_scalar(im, dt, 1 - momentum);
        running_mean = imp_binary(im, IR_OP_add, imp_binary(im, IR_OP_mul, in[3], mo),
                                  imp_binary(im, IR_OP_mul, mean, rest));
        running_var = imp_binary(im, IR_OP_add, imp_binary(im, IR_OP_mul, in[4], mo),
                                 imp_binary(im, IR_OP_mul, var, rest));
    }
    IrRef ops[5] = {in[0], in[1], in[2], mean, var};
    IrOpId op = imp_op(im, row->kind, 5, ops);
    if (op) ir_set_attr_float(im->g, op, "epsilon", eps);
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    if (training) {
        imp_def(im, 1, running_mean);
        imp_def(im, 2, running_var);
    }
    return y != IR_NONE;
}

bool imp_map_instance_norm(Imp *im, const ImpOp *row) {
    IrRef in[3] = {imp_in(im, 0), imp_in(im, 1), imp_in(im, 2)};
    IrOpId op = imp_op(im, row->kind, 3, in);
    if (op) ir_set_attr_float(im->g, op, "epsilon", imp_attr_float(im, "epsilon", 1e-5));
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* LayerNormalization; its optional Mean and InvStdDev outputs are the
 * statistics over axis..rank-1, kept as size-1 dimensions. */
bool imp_map_layer_norm(Imp *im, const ImpOp *row) {
    IrRef in[3] = {imp_in(im, 0), imp_in(im, 1), IR_NONE};
    if (!in[0] || !in[1]) return false;
    int nin = 2;
    if (imp_has(im, 2) && (in[2] = imp_in(im, 2))) nin = 3;
    int64_t axis = imp_attr_int(im, "axis", -1);
    double eps = imp_attr_float(im, "epsilon", 1e-5);
    IrOpId op = imp_op(im, row->kind, nin, in);
    if (op) {
        ir_set_attr_int(im->g, op, "axis", axis);
        ir_set_attr_float(im->g, op, "epsilon", eps);
    }
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    if (y && (imp_has_out(im, 1) || imp_has_out(im, 2))) {
        const IrType *xt = imp_type(im, in[0]);
        int a = ir_norm_axis(axis, xt->rank);
        int64_t axes[IR_MAX_RANK];
        int n = 0;
        for (int i = a; i < xt->rank; i++) axes[n++] = i;
        IrRef m = imp_reduce(im, IR_OP_reduce_mean, in[0], n, axes, true);
        IrRef d = imp_binary(im, IR_OP_sub, in[0], m);
        IrRef v = imp_reduce(im, IR_OP_reduce_mean, imp_binary(im, IR_OP_mul, d, d), n, axes, true);
        IrRef inv = imp_unary(im, IR_OP_rsqrt,
                              imp_binary(im, IR_OP_add, v, imp_scalar(im, xt->dtype, eps)));
        imp_def(im, 1, m);
        imp_def(im, 2, inv);
    }
    return y != IR_NONE;
}

/* (x - mean) / (sqrt(mean(x^2) - mean^2) + 1e-9) over axes, as ONNX's
 * function body computes it. */
bool imp_map_mvn(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int64_t def_axes[3] = {0, 2, 3}, *axes = def_axes;
    int n = 3;
    imp_attr_ints(im, "axes", &axes, &n);
    AccDtype t = imp_type(im, x)->dtype;
    IrRef m = imp_reduce(im, IR_OP_reduce_mean, x, n, axes, true);
    IrRef m2 = imp_reduce(im, IR_OP_reduce_mean, imp_binary(im, IR_OP_mul, x, x), n, axes, true);
    IrRef sd =
        imp_unary(im, IR_OP_sqrt, imp_binary(im, IR_OP_sub, m2, imp_binary(im, IR_OP_mul, m, m)));
    IrRef y = imp_binary(im, IR_OP_div, imp_binary(im, IR_OP_sub, x, m),
                         imp_binary(im, IR_OP_add, sd, imp_scalar(im, t, 1e-9)));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* LRN: the sum of squares over a window of channels is an average pool of
 * x^2 seen as [N, 1, C, rest] (padding counted), times the window size. */
bool imp_map_lrn(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    const IrType *xt = imp_type(im, x);
    if (xt->rank < 3) return imp_fail(im, "input %s needs rank 3 or more", ir_type_str(xt));
    if (!imp_attr_has(im, "size")) return imp_fail(im, "attribute 'size' is missing");
    int64_t size = imp_attr_int(im, "size", 1);
    if (size < 1 || size > WINDOW_LIMIT)
        return imp_fail(im, "size=%lld must be from 1 to 2^31", (long long)size);
    double alpha = imp_attr_float(im, "alpha", 1e-4), beta = imp_attr_float(im, "beta", 0.75),
           bias = imp_attr_float(im, "bias", 1.0);
    IrType shape = *xt;
    int64_t rest = 1;
    for (int i = 2; i < xt->rank; i++) rest *= xt->dims[i];
    int64_t flat[4] = {xt->dims[0], 1, xt->dims[1], rest};
    IrRef sq = imp_reshape(im, imp_binary(im, IR_OP_mul, x, x), 4, flat);
    IrOpId op = imp_op(im, IR_OP_avg_pool2d, 1, &sq);
    if (!op) return false;
    int64_t kernel[2] = {size, 1}, pads[4] = {(size - 1) / 2, 0, size / 2, 0};
    ir_set_attr_ints(im->g, op, "kernel", 2, kernel);
    ir_set_attr_ints(im->g, op, "pad", 4, pads);
    ir_set_attr_bool(im->g, op, "count_include_pad", true);
    IrRef avg = imp_reshape(im, imp_finish(im, op), shape.rank, shape.dims);
    AccDtype t = shape.dtype;
    IrRef base = imp_binary(im, IR_OP_add, imp_scalar(im, t, bias),
                            imp_binary(im, IR_OP_mul, avg, imp_scalar(im, t, alpha)));
    IrRef y =
        imp_binary(im, IR_OP_div, x, imp_binary(im, IR_OP_pow, base, imp_scalar(im, t, beta)));
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ---- Softmax and friends ------------------------------------------------------------------ */

/* Before opset 13 these ops see x as 2-D, flattened at axis (default 1). */
static IrRef along_axis(Imp *im, IrRef x, IrOpKind kind, int64_t axis) {
    IrOpId op = imp_op(im, kind, 1, &x);
    if (op) ir_set_attr_int(im->g, op, "axis", axis);
    return imp_finish(im, op);
}

bool imp_map_softmax(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    IrRef y;
    if (im->opset >= 13) {
        y = along_axis(im, x, row->kind, imp_attr_int(im, "axis", -1));
    } else {
        IrType t = *imp_type(im, x);
        y = along_axis(im, imp_coerce_2d(im, x, imp_attr_int(im, "axis", 1)), row->kind, 1);
        y = imp_reshape(im, y, t.rank, t.dims);
    }
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* 1 where x is the (first) largest along axis, else 0. */
static IrRef hardmax(Imp *im, IrRef x, int64_t axis) {
    if (!x) return IR_NONE;
    const IrType *t = imp_type(im, x);
    AccDtype dt = t->dtype;
    int rank = t->rank, a = ir_norm_axis(axis, rank);
    if (a < 0) {
        imp_fail(im, "axis=%lld is out of range for %s", (long long)axis, ir_type_str(t));
        return IR_NONE;
    }
    int64_t n = t->dims[a];
    IrOpId op = imp_op(im, IR_OP_argmax, 1, &x);
    if (!op) return IR_NONE;
    ir_set_attr_int(im->g, op, "axis", a);
    IrRef arg = imp_finish(im, op);
    IrRef hit = imp_binary(im, IR_OP_equal, arg, imp_iota(im, n, rank, a));
    return imp_cast(im, hit, dt);
}

bool imp_map_hardmax(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    IrRef y;
    if (im->opset >= 13) {
        y = hardmax(im, x, imp_attr_int(im, "axis", -1));
    } else {
        IrType t = *imp_type(im, x);
        y = hardmax(im, imp_coerce_2d(im, x, imp_attr_int(im, "axis", 1)), 1);
        y = y ? imp_reshape(im, y, t.rank, t.dims) : IR_NONE;
    }
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ---- Reductions -------------------------------------------------------------------------- */

bool imp_map_reduce(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    /* axes became an input in ReduceSum-13 and the others in 18. */
    int from = row->kind == IR_OP_reduce_sum ? 13 : 18;
    int64_t *axes = NULL;
    int n = 0;
    bool noop = false;
    if (im->opset >= from) {
        if (imp_has(im, 1) && !imp_const_ints(im, 1, "axes", &axes, &n)) return false;
        noop = imp_attr_int(im, "noop_with_empty_axes", 0) != 0;
    } else {
        imp_attr_ints(im, "axes", &axes, &n);
    }
    IrOpId op = imp_op(im, row->kind, 1, &x);
    if (!op) return false;
    ir_set_attr_ints(im->g, op, "axes", n, axes);
    ir_set_attr_bool(im->g, op, "keepdims", imp_attr_int(im, "keepdims", 1) != 0);
    ir_set_attr_bool(im->g, op, "noop_with_empty_axes", noop);
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_arg_reduce(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    IrOpId op = imp_op(im, row->kind, 1, &x);
    if (!op) return false;
    ir_set_attr_int(im->g, op, "axis", imp_attr_int(im, "axis", 0));
    ir_set_attr_bool(im->g, op, "keepdims", imp_attr_int(im, "keepdims", 1) != 0);
    ir_set_attr_bool(im->g, op, "select_last_index", imp_attr_int(im, "select_last_index", 0) != 0);
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* ---- Losses ------------------------------------------------------------------------------ */

/* NegativeLogLikelihoodLoss of input [N, C, d...] at target [N, d...]:
 * -input[n, target[n, d...], d...], times weight[target] when weights are
 * given, 0 where target is ignore_index; then reduced ("mean" divides by
 * the sum of the weights used). */
static IrRef nll(Imp *im, IrRef in, IrRef target, IrRef weight) {
    const char *reduction = imp_attr_str(im, "reduction", "mean");
    bool none = strcmp(reduction, "none") == 0, sum = strcmp(reduction, "sum") == 0;
    if (!none && !sum && strcmp(reduction, "mean") != 0) {
        imp_fail(im, "reduction \"%s\" is not none, sum or mean", reduction);
        return IR_NONE;
    }
    if (!in || !target) return IR_NONE;
    const IrType *xt = imp_type(im, in);
    AccDtype dt = xt->dtype, it = imp_type(im, target)->dtype;
    if (xt->rank < 2 || imp_type(im, target)->rank != xt->rank - 1) {
        imp_fail(im, "input %s must be [N, C, ...] and target [N, ...]", ir_type_str(xt));
        return IR_NONE;
    }
    IrRef keep = IR_NONE;
    if (imp_attr_has(im, "ignore_index")) {
        IrRef ignore = imp_scalar(im, it, (double)imp_attr_int(im, "ignore_index", 0));
        keep = imp_unary(im, IR_OP_not, imp_binary(im, IR_OP_equal, target, ignore));
        target = imp_ternary(im, IR_OP_where, keep, target, imp_scalar(im, it, 0));
    }
    int64_t one = 1;
    IrOpId op = imp_op(im, IR_OP_unsqueeze, 1, &target);
    if (!op) return IR_NONE;
    ir_set_attr_ints(im->g, op, "axes", 1, &one);
    IrRef pick[2] = {in, imp_finish(im, op)};
    op = imp_op(im, IR_OP_gather_elements, 2, pick);
    if (!op) return IR_NONE;
    ir_set_attr_int(im->g, op, "axis", 1);
    IrRef picked = imp_finish(im, op);
    op = imp_op(im, IR_OP_squeeze, 1, &picked);
    if (!op) return IR_NONE;
    ir_set_attr_ints(im->g, op, "axes", 1, &one);
    IrRef loss = imp_unary(im, IR_OP_neg, imp_finish(im, op));
    IrRef w = IR_NONE;
    if (weight) w = imp_binary(im, IR_OP_gather, weight, target);
    if (keep) {
        IrRef kf = imp_cast(im, keep, dt);
        w = w ? imp_binary(im, IR_OP_mul, w, kf) : kf;
    }
    if (w) loss = imp_binary(im, IR_OP_mul, loss, w);
    if (none || !loss) return loss;
    IrRef total = imp_reduce(im, IR_OP_reduce_sum, loss, 0, NULL, false);
    if (sum) return total;
    if (w)
        return imp_binary(im, IR_OP_div, total,
                          imp_reduce(im, IR_OP_reduce_sum, w, 0, NULL, false));
    return imp_reduce(im, IR_OP_reduce_mean, loss, 0, NULL, false);
}

/* NegativeLogLikelihoodLoss(input, target, weight?) and
 * SoftmaxCrossEntropyLoss(scores, labels, weights?) -> (loss, log_prob?),
 * which is the former on log_softmax(scores) along the classes. */
bool imp_map_nll(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0), target = imp_in(im, 1), weight = IR_NONE;
    if (imp_has(im, 2) && !(weight = imp_in(im, 2))) return false;
    if (!x || !target) return false;
    IrRef log_prob = IR_NONE;
    if (strcmp(row->name, "SoftmaxCrossEntropyLoss") == 0) {
        IrOpId op = imp_op(im, IR_OP_log_softmax, 1, &x);
        ir_set_attr_int(im->g, op, "axis", 1);
        x = log_prob = imp_finish(im, op);
    }
    IrRef loss = nll(im, x, target, weight);
    imp_def(im, 0, loss);
    if (log_prob) imp_def(im, 1, log_prob);
    return loss != IR_NONE;
}

/* ---- Quantisation ---------------------------------------------------------------------------- */

bool imp_map_quant(Imp *im, const ImpOp *row) {
    IrRef in[3] = {imp_in(im, 0), imp_in(im, 1), IR_NONE};
    int nin = 2;
    if (imp_has(im, 2)) in[2] = imp_in(im, 2), nin = 3;
    IrOpId op = imp_op(im, row->kind, nin, in);
    if (op) ir_set_attr_int(im->g, op, "axis", im->opset >= 13 ? imp_attr_int(im, "axis", 1) : 1);
    IrRef y = imp_finish(im, op);
    imp_def(im, 0, y);
    return y != IR_NONE;
}

/* DynamicQuantizeLinear, as ONNX's function body computes it: the range
 * of x widened to hold 0, scale = range / 255, the zero point clipped to
 * [0, 255] and rounded, then QuantizeLinear to u8. */
bool imp_map_dynamic_quant(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    AccDtype t = imp_type(im, x)->dtype;
    IrRef zero = imp_scalar(im, t, 0), qmax = imp_scalar(im, t, 255);
    IrRef lo = imp_binary(im, IR_OP_min, imp_reduce(im, IR_OP_reduce_min, x, 0, NULL, false), zero);
    IrRef hi = imp_binary(im, IR_OP_max, imp_reduce(im, IR_OP_reduce_max, x, 0, NULL, false), zero);
    IrRef scale = imp_binary(im, IR_OP_div, imp_binary(im, IR_OP_sub, hi, lo), qmax);
    IrRef zp = imp_binary(im, IR_OP_sub, zero, imp_binary(im, IR_OP_div, lo, scale));
    zp = imp_ternary(im, IR_OP_clip, zp, zero, qmax);
    zp = imp_cast(im, imp_unary(im, IR_OP_round, zp), ACC_DTYPE_U8);
    IrRef y = imp_ternary(im, IR_OP_quantize_linear, x, scale, zp);
    imp_def(im, 0, y);
    imp_def(im, 1, scale);
    imp_def(im, 2, zp);
    return y != IR_NONE;
}

/* ---- Dropout: the identity at inference ---------------------------------------------------- */

bool imp_map_dropout(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    double ratio = 0.5;
    bool training = false;
    if (im->opset >= 12) {
        if (imp_has(im, 1) && !imp_const_number(im, 1, "ratio", &ratio)) return false;
        double t = 0;
        if (imp_has(im, 2) && !imp_const_number(im, 2, "training_mode", &t)) return false;
        training = t != 0;
    } else {
        ratio = imp_attr_float(im, "ratio", 0.5);
    }
    if (training && ratio > 0)
        return imp_fail(im,
                        "training_mode=true with ratio %g drops values at random; accc "
                        "imports models for inference",
                        ratio);
    imp_def(im, 0, x);
    if (imp_has_out(im, 1)) {
        IrType t = *imp_type(im, x);
        t.dtype = ACC_DTYPE_BOOL;
        if (!imp_const_fits(im, &t)) return false;
        imp_def(im, 1, ir_constant_from(im->g, ir_const_ones(im->g, &t), im->loc));
    }
    return true;
}

/*
 * Shapes and data movement. Inputs that decide shapes (Reshape's shape,
 * Slice's starts, Pad's pads, ...) become IR attributes and must be
 * constants; ONNX moved most of them from attributes to inputs over the
 * opsets, and both forms are read here. Shape, Size, Constant,
 * ConstantOfShape, EyeLike and Range become constants (shapes are static).
 */
#include "importer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An op with one ints attribute from a constant input (or from an
 * attribute before from_opset). required: absent is an error. */
static bool ints_input_or_attr(Imp *im, int input, int from_opset, const char *name, bool required,
                               int64_t **v, int *n, bool *present) {
    *present = false;
    if (im->opset >= from_opset) {
        if (imp_has(im, input)) {
            if (!imp_const_ints(im, input, name, v, n)) return false;
            *present = true;
        }
    } else if (imp_attr_ints(im, name, v, n)) {
        *present = true;
    }
    if (im->failed) return false;
    if (required && !*present) {
        if (im->opset >= from_opset) return imp_fail(im, "input %d (%s) is missing", input, name);
        return imp_fail(im, "attribute '%s' is missing", name);
    }
    return true;
}

static bool define1(Imp *im, IrRef y) {
    imp_def(im, 0, y);
    return y != IR_NONE;
}

bool imp_map_reshape(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    int64_t *shape;
    int n;
    if (!x || !imp_const_ints(im, 1, "shape", &shape, &n)) return false;
    if (n > IR_MAX_RANK)
        return imp_fail(im, "shape has %d entries (accc supports rank %d at most)", n, IR_MAX_RANK);
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_ints(im->g, op, "shape", n, shape);
    ir_set_attr_bool(im->g, op, "allowzero", imp_attr_int(im, "allowzero", 0) != 0);
    return define1(im, imp_finish(im, op));
}

bool imp_map_flatten(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    IrOpId op = imp_op(im, row->kind, 1, &x);
    if (op) ir_set_attr_int(im->g, op, "axis", imp_attr_int(im, "axis", 1));
    return define1(im, imp_finish(im, op));
}

bool imp_map_squeeze(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    int64_t *axes;
    int n;
    bool present;
    if (!x || !ints_input_or_attr(im, 1, 13, "axes", false, &axes, &n, &present)) return false;
    IrOpId op = imp_op(im, row->kind, 1, &x);
    if (present) ir_set_attr_ints(im->g, op, "axes", n, axes);
    return define1(im, imp_finish(im, op));
}

bool imp_map_unsqueeze(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    int64_t *axes;
    int n;
    bool present;
    if (!x || !ints_input_or_attr(im, 1, 13, "axes", true, &axes, &n, &present)) return false;
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_ints(im->g, op, "axes", n, axes);
    return define1(im, imp_finish(im, op));
}

bool imp_map_transpose(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    int64_t *perm;
    int n;
    bool has = imp_attr_ints(im, "perm", &perm, &n);
    IrOpId op = imp_op(im, row->kind, 1, &x);
    if (op && has) ir_set_attr_ints(im->g, op, "perm", n, perm);
    return define1(im, imp_finish(im, op));
}

bool imp_map_expand(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    int64_t *shape;
    int n;
    if (!x || !imp_const_ints(im, 1, "shape", &shape, &n)) return false;
    if (n > IR_MAX_RANK)
        return imp_fail(im, "shape has %d entries (accc supports rank %d at most)", n, IR_MAX_RANK);
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_ints(im->g, op, "shape", n, shape);
    return define1(im, imp_finish(im, op));
}

bool imp_map_tile(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    int64_t *rep;
    int n;
    if (!x || !imp_const_ints(im, 1, "repeats", &rep, &n)) return false;
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_ints(im->g, op, "repeats", n, rep);
    return define1(im, imp_finish(im, op));
}

/* Concat: operands beyond the IR's limit are joined in groups. */
bool imp_map_concat(Imp *im, const ImpOp *row) {
    if (!imp_attr_has(im, "axis")) return imp_fail(im, "attribute 'axis' is missing");
    int64_t axis = imp_attr_int(im, "axis", 0);
    int n = imp_nin(im);
    if (n < 1) return imp_fail(im, "needs at least one input");
    IrRef *in = ARENA_ARRAY(&im->scratch, IrRef, (size_t)n);
    for (int i = 0; i < n; i++)
        if (!(in[i] = imp_in(im, i))) return false;
    IrRef acc = IR_NONE;
    for (int start = 0; start < n;) {
        int take = n - start;
        int room = acc ? IR_MAX_OPERANDS - 1 : IR_MAX_OPERANDS;
        if (take > room) take = room;
        IrRef group[IR_MAX_OPERANDS];
        int k = 0;
        if (acc) group[k++] = acc;
        for (int i = 0; i < take; i++) group[k++] = in[start + i];
        IrOpId op = imp_op(im, row->kind, k, group);
        ir_set_attr_int(im->g, op, "axis", axis);
        if (!(acc = imp_finish(im, op))) return false;
        start += take;
    }
    return define1(im, acc);
}

/* Split: sizes from the split attribute (before 13) or input (13+), else
 * num_outputs (18+) or the number of outputs: equal parts (the last one
 * smaller when num_outputs does not divide the dimension). */
bool imp_map_split(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int64_t axis = imp_attr_int(im, "axis", 0);
    int64_t *split;
    int n;
    bool present;
    if (!ints_input_or_attr(im, 1, 13, "split", false, &split, &n, &present)) return false;
    const IrType *t = imp_type(im, x);
    int a = ir_norm_axis(axis, t->rank);
    if (a < 0)
        return imp_fail(im, "axis=%lld is out of range for %s", (long long)axis, ir_type_str(t));
    if (!present) {
        int64_t parts = imp_nout(im);
        bool uneven = false;
        if (im->opset >= 18 && imp_attr_has(im, "num_outputs")) {
            parts = imp_attr_int(im, "num_outputs", 1);
            uneven = true;
        }
        if (parts < 1 || parts > IR_MAX_RESULTS)
            return imp_fail(im, "cannot split into %lld parts", (long long)parts);
        int64_t dim = t->dims[a], chunk = uneven ? (dim + parts - 1) / parts : dim / parts;
        if (!uneven && dim % parts)
            return imp_fail(im, "dimension %d of %s does not split into %lld equal parts", a,
                            ir_type_str(t), (long long)parts);
        split = ARENA_ARRAY(&im->scratch, int64_t, (size_t)parts);
        n = (int)parts;
        for (int i = 0; i < n; i++) {
            int64_t left = dim - chunk * i;
            split[i] = left < chunk ? (left > 0 ? left : 0) : chunk;
        }
    }
    if (n != imp_nout(im)) return imp_fail(im, "%d split sizes for %d outputs", n, imp_nout(im));
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_int(im->g, op, "axis", a);
    ir_set_attr_ints(im->g, op, "split", n, split);
    IrRef out[IR_MAX_RESULTS];
    int got = imp_finish_n(im, op, out);
    for (int i = 0; i < got; i++) imp_def(im, i, out[i]);
    return got > 0;
}

/* Slice: attributes starts, ends, axes before 10; inputs from 10. */
bool imp_map_slice(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int64_t *starts, *ends, *axes = NULL, *steps = NULL;
    int ns, ne, na = 0, nst = 0;
    bool has_axes = false, has_steps = false, p1, p2;
    if (im->opset >= 10) {
        if (!ints_input_or_attr(im, 1, 10, "starts", true, &starts, &ns, &p1) ||
            !ints_input_or_attr(im, 2, 10, "ends", true, &ends, &ne, &p2) ||
            !ints_input_or_attr(im, 3, 10, "axes", false, &axes, &na, &has_axes) ||
            !ints_input_or_attr(im, 4, 10, "steps", false, &steps, &nst, &has_steps))
            return false;
    } else {
        if (!ints_input_or_attr(im, 1, 10, "starts", true, &starts, &ns, &p1) ||
            !ints_input_or_attr(im, 2, 10, "ends", true, &ends, &ne, &p2))
            return false;
        has_axes = imp_attr_ints(im, "axes", &axes, &na);
        if (im->failed) return false;
    }
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_ints(im->g, op, "starts", ns, starts);
    ir_set_attr_ints(im->g, op, "ends", ne, ends);
    if (has_axes) ir_set_attr_ints(im->g, op, "axes", na, axes);
    if (has_steps) ir_set_attr_ints(im->g, op, "steps", nst, steps);
    return define1(im, imp_finish(im, op));
}

/* Pad: pads, mode and value attributes before 11; pads, constant_value
 * and (18+) axes inputs from 11. */
bool imp_map_pad(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int rank = imp_type(im, x)->rank;
    const char *mode = imp_attr_str(im, "mode", "constant");
    int64_t *pads;
    int np;
    double value = 0;
    bool present;
    if (!ints_input_or_attr(im, 1, 11, "pads", true, &pads, &np, &present)) return false;
    if (im->opset < 11) {
        value = imp_attr_float(im, "value", 0);
    } else if (imp_has(im, 2) && !imp_const_number(im, 2, "constant_value", &value)) {
        return false;
    }
    if (im->opset >= 18 && imp_has(im, 3)) {
        int64_t *axes;
        int na;
        if (!imp_const_ints(im, 3, "axes", &axes, &na)) return false;
        if (np != 2 * na)
            return imp_fail(im, "pads has %d entries for %d axes (2 per axis)", np, na);
        int64_t *full = ARENA_ARRAY(&im->scratch, int64_t, (size_t)(2 * rank + 1));
        for (int i = 0; i < na; i++) {
            int a = ir_norm_axis(axes[i], rank);
            if (a < 0) return imp_fail(im, "axis %lld is out of range", (long long)axes[i]);
            full[a] = pads[i];
            full[rank + a] = pads[na + i];
        }
        pads = full;
        np = 2 * rank;
    }
    IrOpId op = imp_op(im, row->kind, 1, &x);
    ir_set_attr_ints(im->g, op, "pads", np, pads);
    ir_set_attr_str(im->g, op, "mode", mode);
    ir_set_attr_float(im->g, op, "value", value);
    return define1(im, imp_finish(im, op));
}

bool imp_map_gather(Imp *im, const ImpOp *row) {
    IrRef in[2] = {imp_in(im, 0), imp_in(im, 1)};
    IrOpId op = imp_op(im, row->kind, 2, in);
    if (op) ir_set_attr_int(im->g, op, "axis", imp_attr_int(im, "axis", 0));
    return define1(im, imp_finish(im, op));
}

/* ---- Constants -------------------------------------------------------------------------- */

static IrRef i64_vector(Imp *im, int n, const int64_t *v) {
    int64_t dim = n;
    IrType t = ir_type(ACC_DTYPE_I64, 1, &dim);
    return imp_constant(im, &t, v);
}

/* Shape (start and end from 15, clamped like Slice's). */
bool imp_map_shape(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    const IrType *t = imp_type(im, x);
    int64_t start = 0, end = t->rank;
    if (im->opset >= 15) {
        start = imp_attr_int(im, "start", 0);
        end = imp_attr_int(im, "end", t->rank);
    }
    int64_t first, len;
    ir_slice_axis(t->rank, start, end, 1, &first, &len);
    return define1(im, i64_vector(im, (int)len, t->dims + first));
}

bool imp_map_size(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    return define1(im, imp_scalar(im, ACC_DTYPE_I64, (double)ir_type_count(imp_type(im, x))));
}

bool imp_map_constant(Imp *im, const ImpOp *row) {
    (void)row;
    const OnnxNode *n = im->node;
    if (n->nattrs != 1)
        return imp_fail(im, "needs exactly one value attribute, has %zu attributes", n->nattrs);
    const char *name = n->attrs[0].name;
    const OnnxTensor *t;
    const float *fs;
    const int64_t *is;
    size_t count;
    float f;
    int64_t i;
    IrRef y = IR_NONE;
    if (strcmp(name, "value") == 0 && onnx_attr_tensor(n, name, &t) == ONNX_GET_OK) {
        if (!(y = imp_tensor(im, t, ""))) return false;
    } else if (strcmp(name, "value_float") == 0 && onnx_attr_float(n, name, &f) == ONNX_GET_OK) {
        y = imp_scalar(im, ACC_DTYPE_F32, f);
    } else if (strcmp(name, "value_int") == 0 && onnx_attr_int(n, name, &i) == ONNX_GET_OK) {
        IrType type = ir_type(ACC_DTYPE_I64, 0, NULL);
        y = imp_constant(im, &type, &i);
    } else if (strcmp(name, "value_floats") == 0 &&
               onnx_attr_floats(n, name, &fs, &count) == ONNX_GET_OK) {
        int64_t dim = (int64_t)count;
        IrType type = ir_type(ACC_DTYPE_F32, 1, &dim);
        y = imp_constant(im, &type, fs);
    } else if (strcmp(name, "value_ints") == 0 &&
               onnx_attr_ints(n, name, &is, &count) == ONNX_GET_OK) {
        y = i64_vector(im, (int)count, is);
    } else {
        return imp_fail(im, "a value given as attribute '%s' (%s) is not supported", name,
                        onnx_attr_type_name(n->attrs[0].type));
    }
    return define1(im, y);
}

/* A constant of type t with every element v: a zeros/ones recipe when it
 * can be (so --emit=g stays small), else data. */
static IrRef filled(Imp *im, const IrType *t, double v) {
    if (v == 0 && !signbit(v)) return ir_constant_from(im->g, ir_const_zeros(im->g, t), im->loc);
    if (v == 1) return ir_constant_from(im->g, ir_const_ones(im->g, t), im->loc);
    int64_t count = ir_type_count(t);
    void *data = xmalloc((size_t)(count ? count : 1) * dtype_size(t->dtype));
    for (int64_t k = 0; k < count; k++) dtype_set(t->dtype, data, (size_t)k, v);
    IrRef y = imp_constant(im, t, data);
    free(data);
    return y;
}

bool imp_map_constant_of_shape(Imp *im, const ImpOp *row) {
    (void)row;
    int64_t *shape;
    int n;
    if (!imp_const_ints(im, 0, "shape", &shape, &n)) return false;
    if (n > IR_MAX_RANK) return imp_fail(im, "shape has %d entries", n);
    for (int i = 0; i < n; i++)
        if (shape[i] < 0) return imp_fail(im, "shape has a negative size");
    AccDtype dt = ACC_DTYPE_F32;
    double v = 0;
    const OnnxTensor *value;
    OnnxGet got = onnx_attr_tensor(im->node, "value", &value);
    if (got == ONNX_GET_WRONG_TYPE) return imp_fail(im, "attribute 'value' must be a tensor");
    if (got == ONNX_GET_OK) {
        if (value->count != 1) return imp_fail(im, "attribute 'value' must hold one element");
        if (!imp_dtype(value->onnx_type, &dt))
            return imp_fail(im, "a %s value is not supported", onnx_type_name(value->onnx_type));
        v = dtype_get(value->dtype, value->data, 0);
    }
    IrType t = ir_type(dt, n, shape);
    if (!imp_const_fits(im, &t)) return false;
    return define1(im, filled(im, &t, v));
}

bool imp_map_eye_like(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    IrType t = *imp_type(im, x);
    if (t.rank != 2) return imp_fail(im, "input %s must be 2-D", ir_type_str(&t));
    if (imp_attr_has(im, "dtype")) {
        int64_t code = imp_attr_int(im, "dtype", 0);
        if (!imp_dtype((int32_t)code, &t.dtype))
            return imp_fail(im, "dtype %s is not supported", onnx_type_name((int32_t)code));
    }
    if (!imp_const_fits(im, &t)) return false;
    int64_t k = imp_attr_int(im, "k", 0), count = ir_type_count(&t);
    if (k > t.dims[1] || k < -t.dims[0]) k = t.dims[1]; /* no diagonal: all zeros */
    void *data = xcalloc((size_t)(count ? count : 1), dtype_size(t.dtype));
    for (int64_t i = 0; i < t.dims[0]; i++)
        if (i + k >= 0 && i + k < t.dims[1])
            dtype_set(t.dtype, data, (size_t)(i * t.dims[1] + i + k), 1);
    IrRef y = imp_constant(im, &t, data);
    free(data);
    return define1(im, y);
}

/* Range: start + i * delta for i < max(ceil((limit - start) / delta), 0). */
bool imp_map_range(Imp *im, const ImpOp *row) {
    (void)row;
    double start, limit, delta;
    IrRef s = imp_in(im, 0);
    if (!s || !imp_const_number(im, 0, "start", &start) ||
        !imp_const_number(im, 1, "limit", &limit) || !imp_const_number(im, 2, "delta", &delta))
        return false;
    if (delta == 0) return imp_fail(im, "delta is 0");
    AccDtype dt = imp_type(im, s)->dtype;
    double steps = ceil((limit - start) / delta);
    if (!(steps >= 0)) steps = 0;
    if (steps > (double)((int64_t)1 << 40)) return imp_fail(im, "the range is too long");
    int64_t n = (int64_t)steps;
    IrType t = ir_type(dt, 1, &n);
    if (!imp_const_fits(im, &t)) return false;
    void *data = xcalloc((size_t)(n ? n : 1), dtype_size(dt));
    bool is_float = dtype_flags(dt) & DT_FLOAT;
    int64_t s0 = (int64_t)start, d0 = (int64_t)delta;
    for (int64_t i = 0; i < n; i++) /* NumPy's arange: start + i * delta, in the dtype */
        dtype_set(dt, data, (size_t)i,
                  is_float ? start + (double)i * delta : (double)(s0 + i * d0));
    IrRef y = imp_constant(im, &t, data);
    free(data);
    return define1(im, y);
}

static const double PI = 3.14159265358979323846;

/* BlackmanWindow, HammingWindow, HannWindow of a constant size: cosine
 * sums over 2 pi k / N, with N the size (periodic) or the size - 1. */
bool imp_map_window(Imp *im, const ImpOp *row) {
    double size_f;
    if (!imp_const_number(im, 0, "size", &size_f)) return false;
    if (!(size_f >= 0 && size_f <= (double)((int64_t)1 << 40)))
        return imp_fail(im, "size %g is out of range", size_f);
    int64_t size = (int64_t)size_f;
    AccDtype dt = ACC_DTYPE_F32;
    int64_t code = imp_attr_int(im, "output_datatype", ONNX_FLOAT);
    if (!imp_dtype((int32_t)code, &dt))
        return imp_fail(im, "output_datatype %s is not supported", onnx_type_name((int32_t)code));
    bool periodic = imp_attr_int(im, "periodic", 1) != 0;
    IrType t = ir_type(dt, 1, &size);
    if (!imp_const_fits(im, &t)) return false;
    /* Coefficients a0 - a1 cos(x) + a2 cos(2x). */
    double a0 = 0.5, a1 = 0.5, a2 = 0;
    if (strcmp(row->name, "HammingWindow") == 0) a0 = 25.0 / 46, a1 = 21.0 / 46;
    if (strcmp(row->name, "BlackmanWindow") == 0) a0 = 0.42, a1 = 0.5, a2 = 0.08;
    double n = (double)(periodic ? size : size - 1);
    void *data = xcalloc((size_t)(size ? size : 1), dtype_size(dt));
    for (int64_t k = 0; k < size; k++) {
        double x = n > 0 ? 2 * PI * (double)k / n : 0;
        dtype_set(dt, data, (size_t)k, a0 - a1 * cos(x) + a2 * cos(2 * x));
    }
    IrRef y = imp_constant(im, &t, data);
    free(data);
    return define1(im, y);
}

/* Compress: the slices of x (flattened without axis) where the constant
 * condition holds, as a gather at those positions. */
bool imp_map_compress(Imp *im, const ImpOp *row) {
    IrRef x = imp_in(im, 0);
    const IrConst *cond = x ? imp_const_in(im, 1, "condition") : NULL;
    if (!cond) return false;
    if (cond->type.rank != 1)
        return imp_fail(im, "condition %s must be 1-D", ir_type_str(&cond->type));
    int64_t axis = 0;
    if (imp_attr_has(im, "axis")) {
        axis = imp_attr_int(im, "axis", 0);
    } else {
        int64_t flat = -1;
        x = imp_reshape(im, x, 1, &flat);
        if (!x) return false;
    }
    const IrType *xt = imp_type(im, x);
    int a = ir_norm_axis(axis, xt->rank);
    if (a < 0)
        return imp_fail(im, "axis=%lld is out of range for %s", (long long)axis, ir_type_str(xt));
    int64_t n = cond->type.dims[0] < xt->dims[a] ? cond->type.dims[0] : xt->dims[a], k = 0;
    int64_t *pos = ARENA_ARRAY(&im->scratch, int64_t, (size_t)n + 1);
    for (int64_t i = 0; i < n; i++)
        if (dtype_get(cond->type.dtype, cond->data, (size_t)i) != 0) pos[k++] = i;
    IrRef idx = i64_vector(im, (int)k, pos);
    IrRef in[2] = {x, idx};
    IrOpId op = imp_op(im, row->kind, 2, in);
    ir_set_attr_int(im->g, op, "axis", a);
    return define1(im, imp_finish(im, op));
}

/* ---- Masks and rearrangements ---------------------------------------------------------------- */

/* Trilu: x where the element is on the kept side of diagonal k, else 0. */
bool imp_map_trilu(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    double k = 0;
    if (imp_has(im, 1) && !imp_const_number(im, 1, "k", &k)) return false;
    const IrType *t = imp_type(im, x);
    if (t->rank < 2) return imp_fail(im, "input %s needs rank 2 or more", ir_type_str(t));
    bool upper = imp_attr_int(im, "upper", 1) != 0;
    int64_t rows = t->dims[t->rank - 2], cols = t->dims[t->rank - 1];
    IrType mt = ir_type(ACC_DTYPE_BOOL, 2, (int64_t[]){rows, cols});
    if (!imp_const_fits(im, &mt)) return false;
    int64_t count = rows * cols;
    uint8_t *mask = xcalloc((size_t)(count ? count : 1), 1);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double d = (double)(j - i);
            mask[i * cols + j] = upper ? d >= k : d <= k;
        }
    IrRef m = imp_constant(im, &mt, mask);
    free(mask);
    IrRef y = imp_ternary(im, IR_OP_where, m, x, imp_scalar(im, t->dtype, 0));
    return define1(im, y);
}

/* Element i of a 1-D value, as a scalar. */
static IrRef element(Imp *im, IrRef v, int64_t i) {
    IrOpId op = imp_op(im, IR_OP_slice, 1, &v);
    if (!op) return IR_NONE;
    int64_t start = i, end = i + 1;
    ir_set_attr_ints(im->g, op, "starts", 1, &start);
    ir_set_attr_ints(im->g, op, "ends", 1, &end);
    return imp_reshape(im, imp_finish(im, op), 0, NULL);
}

/* OneHot: where(indices (made non-negative) == iota along axis, on, off). */
bool imp_map_one_hot(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef idx = imp_in(im, 0), values = imp_in(im, 2);
    double depth_f;
    if (!idx || !values || !imp_const_number(im, 1, "depth", &depth_f)) return false;
    int64_t depth = (int64_t)depth_f;
    if (depth < 1) return imp_fail(im, "depth %g must be at least 1", depth_f);
    const IrType *vt = imp_type(im, values);
    if (ir_type_count(vt) != 2)
        return imp_fail(im, "values %s must hold two elements (off, on)", ir_type_str(vt));
    int rank = imp_type(im, idx)->rank + 1;
    int64_t axis = imp_attr_int(im, "axis", -1);
    int a = ir_norm_axis(axis, rank);
    if (a < 0) return imp_fail(im, "axis=%lld is out of range for rank %d", (long long)axis, rank);
    idx = imp_cast(im, idx, ACC_DTYPE_I64);
    IrRef neg = imp_binary(im, IR_OP_less, idx, imp_scalar(im, ACC_DTYPE_I64, 0));
    idx = imp_ternary(im, IR_OP_where, neg,
                      imp_binary(im, IR_OP_add, idx, imp_scalar(im, ACC_DTYPE_I64, (double)depth)),
                      idx);
    int64_t ax = a;
    IrOpId op = imp_op(im, IR_OP_unsqueeze, 1, &idx);
    if (!op) return false;
    ir_set_attr_ints(im->g, op, "axes", 1, &ax);
    IrRef hit = imp_binary(im, IR_OP_equal, imp_finish(im, op), imp_iota(im, depth, rank, a));
    int64_t flat = 2;
    values = imp_reshape(im, values, 1, &flat);
    IrRef off = element(im, values, 0), on = element(im, values, 1);
    return define1(im, imp_ternary(im, IR_OP_where, hit, on, off));
}

/* CumSum along axis: x (axis moved last) @ a triangular 0/1 matrix. */
bool imp_map_cumsum(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    double axis_f;
    if (!x || !imp_const_number(im, 1, "axis", &axis_f)) return false;
    IrType t = *imp_type(im, x);
    int a = ir_norm_axis((int64_t)axis_f, t.rank);
    if (a < 0) return imp_fail(im, "axis %g is out of range for %s", axis_f, ir_type_str(&t));
    bool exclusive = imp_attr_int(im, "exclusive", 0) != 0;
    bool reverse = imp_attr_int(im, "reverse", 0) != 0;
    int64_t n = t.dims[a];
    IrType mt = ir_type(t.dtype, 2, (int64_t[]){n, n});
    if (!imp_const_fits(im, &mt)) return false;
    void *m = xcalloc((size_t)(n > 0 ? n * n : 1), dtype_size(t.dtype));
    for (int64_t i = 0; i < n; i++) /* out[j] = sum of x[i] with i in the window of j */
        for (int64_t j = 0; j < n; j++) {
            bool in = reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j);
            dtype_set(t.dtype, m, (size_t)(i * n + j), in);
        }
    IrRef tri = imp_constant(im, &mt, m);
    free(m);
    int64_t perm[IR_MAX_RANK];
    for (int i = 0; i < t.rank; i++) perm[i] = i;
    perm[a] = t.rank - 1;
    perm[t.rank - 1] = a;
    bool move = a != t.rank - 1;
    IrRef xs = move ? imp_transpose(im, x, t.rank, perm) : x;
    IrRef y = imp_binary(im, IR_OP_matmul, xs, tri);
    if (move) y = imp_transpose(im, y, t.rank, perm); /* a swap is its own inverse */
    return define1(im, y);
}

/* SpaceToDepth: [N, C, H, W] -> [N, C*b*b, H/b, W/b]. */
bool imp_map_space_to_depth(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int64_t b = imp_attr_int(im, "blocksize", 0);
    const IrType *t = imp_type(im, x);
    if (t->rank != 4) return imp_fail(im, "input %s must be 4-D", ir_type_str(t));
    int64_t n = t->dims[0], c = t->dims[1], h = t->dims[2], w = t->dims[3];
    if (b < 1 || h % b || w % b)
        return imp_fail(im, "blocksize %lld must divide the height and width of %s", (long long)b,
                        ir_type_str(t));
    int64_t s1[6] = {n, c, h / b, b, w / b, b}, perm[6] = {0, 3, 5, 1, 2, 4};
    int64_t s2[4] = {n, c * b * b, h / b, w / b};
    IrRef y = imp_reshape(im, imp_transpose(im, imp_reshape(im, x, 6, s1), 6, perm), 4, s2);
    return define1(im, y);
}

/* DepthToSpace: [N, C, H, W] -> [N, C/(b*b), H*b, W*b], depth-column-row
 * (DCR, the default) or column-row-depth (CRD) order. */
bool imp_map_depth_to_space(Imp *im, const ImpOp *row) {
    (void)row;
    IrRef x = imp_in(im, 0);
    if (!x) return false;
    int64_t b = imp_attr_int(im, "blocksize", 0);
    const char *mode = im->opset >= 11 ? imp_attr_str(im, "mode", "DCR") : "DCR";
    const IrType *t = imp_type(im, x);
    if (t->rank != 4) return imp_fail(im, "input %s must be 4-D", ir_type_str(t));
    int64_t n = t->dims[0], c = t->dims[1], h = t->dims[2], w = t->dims[3];
    if (b < 1 || c % (b * b))
        return imp_fail(im, "blocksize %lld squared must divide the channels of %s", (long long)b,
                        ir_type_str(t));
    bool crd = strcmp(mode, "CRD") == 0;
    if (!crd && strcmp(mode, "DCR") != 0)
        return imp_fail(im, "mode \"%s\" is not DCR or CRD", mode);
    int64_t dcr[6] = {n, b, b, c / (b * b), h, w}, dcr_perm[6] = {0, 3, 4, 1, 5, 2};
    int64_t crd_s[6] = {n, c / (b * b), b, b, h, w}, crd_perm[6] = {0, 1, 4, 2, 5, 3};
    int64_t out[4] = {n, c / (b * b), h * b, w * b};
    IrRef r = imp_reshape(im, x, 6, crd ? crd_s : dcr);
    IrRef y = imp_reshape(im, imp_transpose(im, r, 6, crd ? crd_perm : dcr_perm), 4, out);
    return define1(im, y);
}

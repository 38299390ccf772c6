/*
 * The recurrent layers RNN, GRU and LSTM, unrolled over the sequence
 * (its length is static): the input projection of every step is one
 * matmul, then each step is a matmul by the recurrence weights, the gate
 * activations and the elementwise update, as ONNX defines them:
 *
 *   RNN   H = f(Xt W' + H R' + Wb + Rb)
 *   GRU   z = f(Xt Wz' + H Rz' + Wbz + Rbz), r likewise,
 *         h = g(Xt Wh' + (r * H) Rh' + Rbh + Wbh)            (linear_before_reset=0)
 *         h = g(Xt Wh' + r * (H Rh' + Rbh) + Wbh)            (linear_before_reset=1)
 *         H = (1 - z) * h + z * H
 *   LSTM  i = f(Xt Wi' + H Ri' + Wbi + Rbi + Pi * C), f and o likewise
 *         (o with the new C), c = g(...), C = f * C + i * c, H = o * h(C)
 *
 * Directions forward, reverse and bidirectional; layout 0 ([seq, batch,
 * ...]) and 1 ([batch, seq, ...], opset 14); the activations, their alpha
 * and beta, and clip. sequence_lens must be absent or all the full length.
 */
#include "importer.h"

#include <string.h>

enum { MAX_GATES = 4, MAX_DIRS = 2 };

typedef struct Act {
    const char *name;
    double alpha, beta;
} Act;

typedef struct Rnn {
    const char *op; /* "RNN", "GRU", "LSTM" */
    int gates;      /* 1, 3, 4 */
    int nacts;      /* activations per direction: 1, 2, 3 */
    int64_t seq, batch, hidden;
    int dirs;
    bool reverse_only, layout1, lbr;
    double clip;
    bool has_clip;
    Act act[MAX_DIRS * 3];
} Rnn;

/* Element range [from, from + len) of axis of v. */
static IrRef slice(Imp *im, IrRef v, int axis, int64_t from, int64_t len) {
    IrOpId op = imp_op(im, IR_OP_slice, 1, &v);
    if (!op) return IR_NONE;
    int64_t end = from + len, ax = axis;
    ir_set_attr_ints(im->g, op, "starts", 1, &from);
    ir_set_attr_ints(im->g, op, "ends", 1, &end);
    ir_set_attr_ints(im->g, op, "axes", 1, &ax);
    return imp_finish(im, op);
}

/* v[i] of a value whose first dimension is the direction (or time). */
static IrRef take(Imp *im, IrRef v, int64_t i) {
    if (!v) return IR_NONE;
    IrType t = *imp_type(im, v);
    IrRef s = slice(im, v, 0, i, 1);
    return imp_reshape(im, s, t.rank - 1, t.dims + 1);
}

static IrRef concat(Imp *im, IrRef *in, int n, int axis) {
    if (n == 1) return in[0];
    IrOpId op = imp_op(im, IR_OP_concat, n, in);
    if (!op) return IR_NONE;
    ir_set_attr_int(im->g, op, "axis", axis);
    return imp_finish(im, op);
}

/* parts stacked along a new axis; groups of at most IR_MAX_OPERANDS. */
static IrRef stack(Imp *im, IrRef *parts, int n, int axis) {
    IrRef groups[IR_MAX_OPERANDS], in[IR_MAX_OPERANDS];
    int ngroups = 0;
    for (int start = 0; start < n; start += IR_MAX_OPERANDS) {
        int k = n - start < IR_MAX_OPERANDS ? n - start : IR_MAX_OPERANDS;
        for (int i = 0; i < k; i++) {
            int64_t ax = axis;
            IrOpId op = imp_op(im, IR_OP_unsqueeze, 1, &parts[start + i]);
            if (!op) return IR_NONE;
            ir_set_attr_ints(im->g, op, "axes", 1, &ax);
            if (!(in[i] = imp_finish(im, op))) return IR_NONE;
        }
        if (!(groups[ngroups++] = concat(im, in, k, axis))) return IR_NONE;
    }
    return concat(im, groups, ngroups, axis);
}

static IrRef transpose2(Imp *im, IrRef w) {
    int64_t perm[2] = {1, 0};
    return imp_transpose(im, w, 2, perm);
}

/* An activation by its ONNX name. */
static IrRef activate(Imp *im, const Act *a, IrRef x) {
    if (!x) return IR_NONE;
    AccDtype t = imp_type(im, x)->dtype;
    const char *n = a->name;
    IrOpKind simple = IR_OP_COUNT;
    if (strcmp(n, "Sigmoid") == 0) simple = IR_OP_sigmoid;
    if (strcmp(n, "Tanh") == 0) simple = IR_OP_tanh;
    if (strcmp(n, "Relu") == 0) simple = IR_OP_relu;
    if (strcmp(n, "Softsign") == 0) simple = IR_OP_softsign;
    if (strcmp(n, "Softplus") == 0) simple = IR_OP_softplus;
    if (simple != IR_OP_COUNT) return imp_unary(im, simple, x);
    IrRef alpha = imp_scalar(im, t, a->alpha), beta = imp_scalar(im, t, a->beta);
    if (strcmp(n, "Affine") == 0)
        return imp_binary(im, IR_OP_add, imp_binary(im, IR_OP_mul, x, alpha), beta);
    if (strcmp(n, "ScaledTanh") == 0)
        return imp_binary(im, IR_OP_mul,
                          imp_unary(im, IR_OP_tanh, imp_binary(im, IR_OP_mul, x, beta)), alpha);
    if (strcmp(n, "ThresholdedRelu") == 0)
        return imp_ternary(im, IR_OP_where, imp_binary(im, IR_OP_greater, x, alpha), x,
                           imp_scalar(im, t, 0));
    IrOpKind with_alpha = strcmp(n, "LeakyRelu") == 0     ? IR_OP_leaky_relu
                          : strcmp(n, "Elu") == 0         ? IR_OP_elu
                          : strcmp(n, "HardSigmoid") == 0 ? IR_OP_hard_sigmoid
                                                          : IR_OP_COUNT;
    if (with_alpha == IR_OP_COUNT) {
        imp_fail(im, "activation '%s' is not supported", n);
        return IR_NONE;
    }
    IrOpId op = imp_op(im, with_alpha, 1, &x);
    ir_set_attr_float(im->g, op, "alpha", a->alpha);
    if (with_alpha == IR_OP_hard_sigmoid) ir_set_attr_float(im->g, op, "beta", a->beta);
    return imp_finish(im, op);
}

/* The activations, defaults per op, with alpha and beta taken in order by
 * the functions that use them. */
static bool read_acts(Imp *im, Rnn *r) {
    static const char *const defaults[] = {"Sigmoid", "Tanh", "Tanh"};
    int need = r->nacts * r->dirs;
    const OnnxBytes *names = NULL;
    size_t nnames = 0;
    OnnxGet got = onnx_attr_strings(im->node, "activations", &names, &nnames);
    if (got == ONNX_GET_WRONG_TYPE) return imp_fail(im, "attribute 'activations' must be strings");
    if (got == ONNX_GET_OK && (int)nnames != need)
        return imp_fail(im, "activations has %zu names; %s needs %d", nnames, r->op, need);
    double *alphas = NULL, *betas = NULL;
    int na = 0, nb = 0, ka = 0, kb = 0;
    imp_attr_floats(im, "activation_alpha", &alphas, &na);
    imp_attr_floats(im, "activation_beta", &betas, &nb);
    for (int i = 0; i < need; i++) {
        Act *a = &r->act[i];
        a->name = got == ONNX_GET_OK ? names[i].data
                  : r->gates == 1    ? "Tanh"
                                     : defaults[i % r->nacts];
        if (!a->name) a->name = "";
        /* ONNX's defaults for the functions that take parameters. */
        bool hs = strcmp(a->name, "HardSigmoid") == 0, lr = strcmp(a->name, "LeakyRelu") == 0;
        bool af = strcmp(a->name, "Affine") == 0, st = strcmp(a->name, "ScaledTanh") == 0;
        bool tr = strcmp(a->name, "ThresholdedRelu") == 0, el = strcmp(a->name, "Elu") == 0;
        a->alpha = hs ? 0.2 : lr ? 0.01 : 1.0;
        a->beta = hs ? 0.5 : 0.0;
        if ((hs || lr || af || st || tr || el) && ka < na) a->alpha = alphas[ka++];
        if ((hs || af || st) && kb < nb) a->beta = betas[kb++];
    }
    return !im->failed;
}

/* Gate k of a [batch, gates * hidden] value. */
static IrRef gate(Imp *im, const Rnn *r, IrRef v, int k) {
    return slice(im, v, 1, k * r->hidden, r->hidden);
}

static IrRef clipped(Imp *im, const Rnn *r, IrRef v) {
    if (!r->has_clip || !v) return v;
    AccDtype t = imp_type(im, v)->dtype;
    return imp_ternary(im, IR_OP_clip, v, imp_scalar(im, t, -r->clip), imp_scalar(im, t, r->clip));
}

/* One direction over the whole sequence: fills hs[t] with H after step t
 * (in time order); *c_last gets the last cell state (LSTM). */
static bool direction(Imp *im, const Rnn *r, int d, IrRef x, IrRef w, IrRef rr, IrRef b, IrRef h0,
                      IrRef c0, IrRef p, IrRef *hs, IrRef *c_last) {
    const Act *act = &r->act[d * r->nacts];
    int64_t gh = r->gates * r->hidden;
    IrRef wd = take(im, w, d), rd = take(im, rr, d);
    /* Every step's input projection at once: [seq, batch, gates * hidden]. */
    IrRef xw = imp_binary(im, IR_OP_matmul, x, transpose2(im, wd));
    IrRef wb = IR_NONE, rb = IR_NONE;
    if (b) {
        IrRef bd = take(im, b, d);
        wb = slice(im, bd, 0, 0, gh);
        rb = slice(im, bd, 0, gh, gh);
    }
    /* GRU's candidate gate sees the recurrence apart from z and r. */
    bool gru = r->gates == 3;
    IrRef rt = transpose2(im, gru ? slice(im, rd, 0, 0, 2 * r->hidden) : rd);
    IrRef rht = gru ? transpose2(im, slice(im, rd, 0, 2 * r->hidden, r->hidden)) : IR_NONE;
    if (wb && !gru) xw = imp_binary(im, IR_OP_add, xw, imp_binary(im, IR_OP_add, wb, rb));
    if (wb && gru) xw = imp_binary(im, IR_OP_add, xw, wb);
    IrRef rb_zr = gru && rb ? slice(im, rb, 0, 0, 2 * r->hidden) : IR_NONE;
    IrRef rb_h = gru && rb ? slice(im, rb, 0, 2 * r->hidden, r->hidden) : IR_NONE;
    IrRef pi = IR_NONE, po = IR_NONE, pf = IR_NONE;
    if (p) {
        IrRef pd = take(im, p, d);
        pi = slice(im, pd, 0, 0, r->hidden);
        po = slice(im, pd, 0, r->hidden, r->hidden);
        pf = slice(im, pd, 0, 2 * r->hidden, r->hidden);
    }
    AccDtype dt = imp_type(im, x)->dtype;
    IrRef h = take(im, h0, d), c = c0 ? take(im, c0, d) : IR_NONE;
    bool backwards = r->reverse_only || d == 1;
    for (int64_t s = 0; s < r->seq && !im->failed; s++) {
        int64_t t = backwards ? r->seq - 1 - s : s;
        IrRef xt = take(im, xw, t);
        IrRef hr = imp_binary(im, IR_OP_matmul, h, rt);
        if (r->gates == 1) {
            h = activate(im, &act[0], clipped(im, r, imp_binary(im, IR_OP_add, xt, hr)));
        } else if (gru) {
            if (rb_zr) hr = imp_binary(im, IR_OP_add, hr, rb_zr);
            IrRef zr =
                clipped(im, r, imp_binary(im, IR_OP_add, slice(im, xt, 1, 0, 2 * r->hidden), hr));
            IrRef z = activate(im, &act[0], gate(im, r, zr, 0));
            IrRef rg = activate(im, &act[0], gate(im, r, zr, 1));
            IrRef cand;
            if (r->lbr) {
                IrRef hh = imp_binary(im, IR_OP_matmul, h, rht);
                if (rb_h) hh = imp_binary(im, IR_OP_add, hh, rb_h);
                cand = imp_binary(im, IR_OP_mul, rg, hh);
            } else {
                cand = imp_binary(im, IR_OP_matmul, imp_binary(im, IR_OP_mul, rg, h), rht);
                if (rb_h) cand = imp_binary(im, IR_OP_add, cand, rb_h);
            }
            cand = imp_binary(im, IR_OP_add, gate(im, r, xt, 2), cand);
            IrRef hc = activate(im, &act[1], clipped(im, r, cand));
            IrRef one_minus_z = imp_binary(im, IR_OP_sub, imp_scalar(im, dt, 1), z);
            h = imp_binary(im, IR_OP_add, imp_binary(im, IR_OP_mul, one_minus_z, hc),
                           imp_binary(im, IR_OP_mul, z, h));
        } else { /* LSTM: gates i, o, f, c */
            IrRef g = clipped(im, r, imp_binary(im, IR_OP_add, xt, hr));
            IrRef gi = gate(im, r, g, 0), go = gate(im, r, g, 1), gf = gate(im, r, g, 2);
            if (pi) gi = imp_binary(im, IR_OP_add, gi, imp_binary(im, IR_OP_mul, pi, c));
            if (pf) gf = imp_binary(im, IR_OP_add, gf, imp_binary(im, IR_OP_mul, pf, c));
            IrRef i = activate(im, &act[0], gi), f = activate(im, &act[0], gf);
            IrRef cc = activate(im, &act[1], gate(im, r, g, 3));
            c = imp_binary(im, IR_OP_add, imp_binary(im, IR_OP_mul, f, c),
                           imp_binary(im, IR_OP_mul, i, cc));
            if (po) go = imp_binary(im, IR_OP_add, go, imp_binary(im, IR_OP_mul, po, c));
            h = imp_binary(im, IR_OP_mul, activate(im, &act[0], go), activate(im, &act[2], c));
        }
        if (!h) return false;
        hs[t] = h;
    }
    if (c_last) *c_last = c;
    return !im->failed;
}

/* A zero initial state [dirs, batch, hidden] when the model gives none. */
static IrRef initial(Imp *im, const Rnn *r, int input, AccDtype dt) {
    if (imp_has(im, input)) {
        IrRef v = imp_in(im, input);
        if (v && r->layout1) {
            int64_t perm[3] = {1, 0, 2};
            v = imp_transpose(im, v, 3, perm);
        }
        return v;
    }
    IrType t = ir_type(dt, 3, (int64_t[]){r->dirs, r->batch, r->hidden});
    if (!imp_const_fits(im, &t)) return IR_NONE;
    return ir_constant_from(im->g, ir_const_zeros(im->g, &t), im->loc);
}

bool imp_map_rnn(Imp *im, const ImpOp *row) {
    Rnn r;
    memset(&r, 0, sizeof r);
    r.op = row->name;
    r.gates = strcmp(r.op, "LSTM") == 0 ? 4 : strcmp(r.op, "GRU") == 0 ? 3 : 1;
    r.nacts = r.gates == 4 ? 3 : r.gates == 3 ? 2 : 1;
    IrRef x = imp_in(im, 0), w = imp_in(im, 1), rr = imp_in(im, 2);
    if (!x || !w || !rr) return false;
    const char *dir = imp_attr_str(im, "direction", "forward");
    r.dirs = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    r.reverse_only = strcmp(dir, "reverse") == 0;
    if (r.dirs == 1 && !r.reverse_only && strcmp(dir, "forward") != 0)
        return imp_fail(im, "direction \"%s\" is not forward, reverse or bidirectional", dir);
    r.layout1 = im->opset >= 14 && imp_attr_int(im, "layout", 0) != 0;
    r.lbr = imp_attr_int(im, "linear_before_reset", 0) != 0;
    r.has_clip = imp_attr_has(im, "clip");
    r.clip = imp_attr_float(im, "clip", 0);
    if (r.gates == 4 && imp_attr_int(im, "input_forget", 0) != 0)
        return imp_fail(im, "input_forget=1 is not supported");
    if (r.layout1) {
        int64_t perm[3] = {1, 0, 2};
        x = imp_transpose(im, x, 3, perm);
    }
    const IrType *xt = imp_type(im, x), *wt = imp_type(im, w);
    if (xt->rank != 3 || wt->rank != 3 || wt->dims[0] != r.dirs || wt->dims[1] % r.gates)
        return imp_fail(im, "X %s and W %s do not fit %s with %d direction%s", ir_type_str(xt),
                        ir_type_str(wt), r.op, r.dirs, r.dirs == 1 ? "" : "s");
    r.seq = xt->dims[0];
    r.batch = xt->dims[1];
    r.hidden = wt->dims[1] / r.gates;
    if (imp_attr_has(im, "hidden_size") && imp_attr_int(im, "hidden_size", 0) != r.hidden)
        return imp_fail(im, "hidden_size does not match W %s", ir_type_str(wt));
    if (r.seq < 1 || r.seq > 4096)
        return imp_fail(im, "a sequence of %lld steps is not supported (1 to 4096)",
                        (long long)r.seq);
    if (!read_acts(im, &r)) return false;
    IrRef b = IR_NONE, p = IR_NONE;
    if (imp_has(im, 3) && !(b = imp_in(im, 3))) return false;
    if (imp_has(im, 4)) { /* sequence_lens: only the full length */
        const IrConst *lens = imp_const_in(im, 4, "sequence_lens");
        if (!lens) return false;
        for (int64_t k = 0; k < ir_type_count(&lens->type); k++)
            if (dtype_get(lens->type.dtype, lens->data, (size_t)k) != (double)r.seq)
                return imp_fail(im,
                                "sequence_lens shorter than the sequence (%lld) are not "
                                "supported",
                                (long long)r.seq);
    }
    AccDtype dt = xt->dtype;
    IrRef h0 = initial(im, &r, 5, dt), c0 = IR_NONE;
    if (r.gates == 4) {
        c0 = initial(im, &r, 6, dt);
        if (imp_has(im, 7) && !(p = imp_in(im, 7))) return false;
    }
    if (!h0 || (r.gates == 4 && !c0)) return false;
    IrRef hs[MAX_DIRS][4096], ys[MAX_DIRS], hlast[MAX_DIRS], clast[MAX_DIRS];
    for (int d = 0; d < r.dirs; d++) {
        if (!direction(im, &r, d, x, w, rr, b, h0, c0, p, hs[d], r.gates == 4 ? &clast[d] : NULL))
            return false;
        bool backwards = r.reverse_only || d == 1;
        hlast[d] = hs[d][backwards ? 0 : r.seq - 1];
    }
    /* Y: [seq, dirs, batch, hidden]; Y_h, Y_c: [dirs, batch, hidden]. */
    IrRef y = IR_NONE;
    if (imp_has_out(im, 0)) {
        for (int d = 0; d < r.dirs; d++) ys[d] = stack(im, hs[d], (int)r.seq, 0);
        y = stack(im, ys, r.dirs, 1);
        if (y && r.layout1) y = imp_transpose(im, y, 4, (int64_t[]){2, 0, 1, 3});
        if (!y) return false;
    }
    IrRef yh = stack(im, hlast, r.dirs, 0);
    IrRef yc = r.gates == 4 ? stack(im, clast, r.dirs, 0) : IR_NONE;
    if (r.layout1) {
        int64_t perm[3] = {1, 0, 2};
        yh = imp_transpose(im, yh, 3, perm);
        if (yc) yc = imp_transpose(im, yc, 3, perm);
    }
    imp_def(im, 0, y);
    imp_def(im, 1, yh);
    if (r.gates == 4) imp_def(im, 2, yc);
    return !im->failed;
}

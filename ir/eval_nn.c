/*
 * Evaluator: matmul, gemm, convolution, pooling, normalisation, softmax.
 * Sums accumulate in double (int64 for integers) in index order and are
 * rounded once, when the result element is stored.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- matmul ---------------------------------------------------------------------------- */

/* The shapes of a matmul after NumPy's 1-D promotion. */
typedef struct MatmulShape {
    int64_t m, k, n, batch;
    IrType a_batch, b_batch, y_batch; /* leading dimensions */
} MatmulShape;

static void matmul_shape(const IrType *a, const IrType *b, const IrType *y, MatmulShape *s) {
    IrType pa = *a, pb = *b;
    if (a->rank == 1) pa = ir_type(a->dtype, 2, (int64_t[]){1, a->dims[0]});
    if (b->rank == 1) pb = ir_type(b->dtype, 2, (int64_t[]){b->dims[0], 1});
    s->m = pa.dims[pa.rank - 2];
    s->k = pa.dims[pa.rank - 1];
    s->n = pb.dims[pb.rank - 1];
    s->a_batch = ir_type(a->dtype, pa.rank - 2, pa.dims);
    s->b_batch = ir_type(b->dtype, pb.rank - 2, pb.dims);
    int yb = y->rank - (a->rank > 1) - (b->rank > 1);
    s->y_batch = ir_type(y->dtype, yb, y->dims);
    s->batch = ir_type_count(&s->y_batch);
}

/* Each row of the result accumulates over k in order, a row at a time
 * (the same sums as the textbook loop, in a cache-friendly order). */
int ir_eval_matmul(IrEval *c) {
    const EvTensor *a = c->in[0], *b = c->in[1];
    EvTensor *y = c->out[0];
    MatmulShape s;
    matmul_shape(&a->type, &b->type, &y->type, &s);
    size_t n = (size_t)(s.n ? s.n : 1);
    double *accf = xcalloc(n, sizeof *accf);
    uint64_t *acci = xcalloc(n, sizeof *acci); /* unsigned: wraps */
    for (int64_t bi = 0; bi < s.batch; bi++) {
        int64_t ao = ev_bcast_index(&s.a_batch, &s.y_batch, bi) * s.m * s.k;
        int64_t bo = ev_bcast_index(&s.b_batch, &s.y_batch, bi) * s.k * s.n;
        for (int64_t m = 0; m < s.m; m++) {
            memset(accf, 0, n * sizeof *accf);
            memset(acci, 0, n * sizeof *acci);
            for (int64_t k = 0; k < s.k; k++) {
                int64_t row = bo + k * s.n;
                if (y->f) {
                    double av = a->f[ao + m * s.k + k];
                    for (int64_t j = 0; j < s.n; j++) accf[j] += av * b->f[row + j];
                } else {
                    uint64_t av = (uint64_t)a->i[ao + m * s.k + k];
                    for (int64_t j = 0; j < s.n; j++) acci[j] += av * (uint64_t)b->i[row + j];
                }
            }
            for (int64_t j = 0; j < s.n; j++) {
                int64_t out = (bi * s.m + m) * s.n + j;
                if (y->f)
                    ev_setf(y, out, accf[j]);
                else
                    ev_seti(y, out, (int64_t)acci[j]);
            }
        }
    }
    free(accf);
    free(acci);
    return 0;
}

int ir_eval_matmul_integer(IrEval *c) {
    const EvTensor *a = c->in[0], *b = c->in[1];
    int64_t azp = c->nin > 2 ? c->in[2]->i[0] : 0, bzp = c->nin > 3 ? c->in[3]->i[0] : 0;
    EvTensor *y = c->out[0];
    MatmulShape s;
    matmul_shape(&a->type, &b->type, &y->type, &s);
    for (int64_t bi = 0; bi < s.batch; bi++) {
        int64_t ao = ev_bcast_index(&s.a_batch, &s.y_batch, bi) * s.m * s.k;
        int64_t bo = ev_bcast_index(&s.b_batch, &s.y_batch, bi) * s.k * s.n;
        for (int64_t m = 0; m < s.m; m++)
            for (int64_t n = 0; n < s.n; n++) {
                uint64_t acc = 0;
                for (int64_t k = 0; k < s.k; k++)
                    acc +=
                        (uint64_t)((a->i[ao + m * s.k + k] - azp) * (b->i[bo + k * s.n + n] - bzp));
                ev_seti(y, (bi * s.m + m) * s.n + n, (int64_t)acc);
            }
    }
    return 0;
}

int ir_eval_gemm(IrEval *c) {
    const EvTensor *a = c->in[0], *b = c->in[1], *cc = c->nin > 2 ? c->in[2] : NULL;
    EvTensor *y = c->out[0];
    bool ta = EV_ATTR_BOOL(c, "trans_a"), tb = EV_ATTR_BOOL(c, "trans_b");
    double alpha = EV_ATTR_FLOAT(c, "alpha"), beta = EV_ATTR_FLOAT(c, "beta");
    int64_t m = y->type.dims[0], n = y->type.dims[1], k = a->type.dims[ta ? 0 : 1];
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t p = 0; p < k; p++) {
                double av = ta ? a->f[p * m + i] : a->f[i * k + p];
                double bv = tb ? b->f[j * k + p] : b->f[p * n + j];
                acc += av * bv;
            }
            double v = alpha * acc;
            if (cc) v += beta * cc->f[ev_bcast_index(&cc->type, &y->type, i * n + j)];
            ev_setf(y, i * n + j, v);
        }
    return 0;
}

/* ---- Convolution -------------------------------------------------------------------- */

/* Window geometry widened to three spatial dimensions: a 1-D or 2-D op is
 * a 3-D one whose leading spatial dimensions have size 1. */
typedef struct Win3 {
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
    int64_t groups;
} Win3;

static void win3(const IrEval *c, Win3 *w3) {
    IrWindow w;
    ir_window(c->g, c->op, &w);
    int shift = 3 - w.nsp;
    for (int i = 0; i < 3; i++) {
        w3->in[i] = w3->out[i] = w3->k[i] = w3->s[i] = w3->d[i] = 1;
        w3->pb[i] = w3->pe[i] = 0;
    }
    for (int i = 0; i < w.nsp; i++) {
        w3->in[shift + i] = w.in[i];
        w3->out[shift + i] = w.out[i];
        w3->k[shift + i] = w.kernel[i];
        w3->s[shift + i] = w.stride[i];
        w3->d[shift + i] = w.dilation[i];
        w3->pb[shift + i] = w.pad_begin[i];
        w3->pe[shift + i] = w.pad_end[i];
    }
    w3->groups = w.groups;
}

/* Input coordinate of output o, kernel tap k, in dimension i. */
static inline int64_t tap(const Win3 *w, int i, int64_t o, int64_t k) {
    return o * w->s[i] - w->pb[i] + k * w->d[i];
}

int ir_eval_conv(IrEval *c) {
    const EvTensor *x = c->in[0], *wt = c->in[1], *bias = c->nin > 2 ? c->in[2] : NULL;
    EvTensor *y = c->out[0];
    Win3 w;
    win3(c, &w);
    int64_t batch = x->type.dims[0], ch = x->type.dims[1], m_all = y->type.dims[1];
    int64_t cg = ch / w.groups, mg = m_all / w.groups;
    int64_t in_sp = w.in[0] * w.in[1] * w.in[2], k_sp = w.k[0] * w.k[1] * w.k[2];
    int64_t j = 0;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t m = 0; m < m_all; m++) {
            int64_t g = m / mg;
            for (int64_t o0 = 0; o0 < w.out[0]; o0++)
                for (int64_t o1 = 0; o1 < w.out[1]; o1++)
                    for (int64_t o2 = 0; o2 < w.out[2]; o2++, j++) {
                        double acc = 0;
                        for (int64_t ci = 0; ci < cg; ci++) {
                            const double *xc = x->f + (n * ch + g * cg + ci) * in_sp;
                            const double *wc = wt->f + (m * cg + ci) * k_sp;
                            for (int64_t k0 = 0; k0 < w.k[0]; k0++) {
                                int64_t i0 = tap(&w, 0, o0, k0);
                                if (i0 < 0 || i0 >= w.in[0]) continue;
                                for (int64_t k1 = 0; k1 < w.k[1]; k1++) {
                                    int64_t i1 = tap(&w, 1, o1, k1);
                                    if (i1 < 0 || i1 >= w.in[1]) continue;
                                    for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                        int64_t i2 = tap(&w, 2, o2, k2);
                                        if (i2 < 0 || i2 >= w.in[2]) continue;
                                        acc += xc[(i0 * w.in[1] + i1) * w.in[2] + i2] *
                                               wc[(k0 * w.k[1] + k1) * w.k[2] + k2];
                                    }
                                }
                            }
                        }
                        if (bias) acc += bias->f[m];
                        ev_setf(y, j, acc);
                    }
        }
    return 0;
}

/* Each input element scatters into the outputs its kernel taps reach:
 * output o = i * stride - pad_begin + k * dilation. */
int ir_eval_conv_transpose(IrEval *c) {
    const EvTensor *x = c->in[0], *wt = c->in[1], *bias = c->nin > 2 ? c->in[2] : NULL;
    EvTensor *y = c->out[0];
    Win3 w;
    win3(c, &w);
    int64_t batch = x->type.dims[0], ch = x->type.dims[1], m_all = y->type.dims[1];
    int64_t cg = ch / w.groups, mg = m_all / w.groups;
    int64_t out_sp = w.out[0] * w.out[1] * w.out[2], k_sp = w.k[0] * w.k[1] * w.k[2];
    double *acc = xcalloc((size_t)(y->count ? y->count : 1), sizeof *acc);
    for (int64_t n = 0; n < batch; n++)
        for (int64_t ci = 0; ci < ch; ci++) {
            int64_t g = ci / cg;
            const double *xc = x->f + (n * ch + ci) * w.in[0] * w.in[1] * w.in[2];
            for (int64_t i0 = 0; i0 < w.in[0]; i0++)
                for (int64_t i1 = 0; i1 < w.in[1]; i1++)
                    for (int64_t i2 = 0; i2 < w.in[2]; i2++) {
                        double xv = xc[(i0 * w.in[1] + i1) * w.in[2] + i2];
                        for (int64_t mi = 0; mi < mg; mi++) {
                            double *yc = acc + (n * m_all + g * mg + mi) * out_sp;
                            const double *wc = wt->f + (ci * mg + mi) * k_sp;
                            for (int64_t k0 = 0; k0 < w.k[0]; k0++) {
                                int64_t o0 = tap(&w, 0, i0, k0);
                                if (o0 < 0 || o0 >= w.out[0]) continue;
                                for (int64_t k1 = 0; k1 < w.k[1]; k1++) {
                                    int64_t o1 = tap(&w, 1, i1, k1);
                                    if (o1 < 0 || o1 >= w.out[1]) continue;
                                    for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                        int64_t o2 = tap(&w, 2, i2, k2);
                                        if (o2 < 0 || o2 >= w.out[2]) continue;
                                        yc[(o0 * w.out[1] + o1) * w.out[2] + o2] +=
                                            xv * wc[(k0 * w.k[1] + k1) * w.k[2] + k2];
                                    }
                                }
                            }
                        }
                    }
        }
    for (int64_t j = 0; j < y->count; j++) {
        double v = acc[j];
        if (bias) v += bias->f[(j / out_sp) % m_all];
        ev_setf(y, j, v);
    }
    free(acc);
    return 0;
}

/* ---- Pooling ------------------------------------------------------------------------- */

static int pool(IrEval *c, bool is_max) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    Win3 w;
    win3(c, &w);
    bool include_pad = !is_max && EV_ATTR_BOOL(c, "count_include_pad");
    int64_t planes = x->type.dims[0] * x->type.dims[1];
    int64_t in_sp = w.in[0] * w.in[1] * w.in[2];
    int64_t j = 0;
    for (int64_t p = 0; p < planes; p++) {
        const double *xp = x->f + p * in_sp;
        for (int64_t o0 = 0; o0 < w.out[0]; o0++)
            for (int64_t o1 = 0; o1 < w.out[1]; o1++)
                for (int64_t o2 = 0; o2 < w.out[2]; o2++, j++) {
                    double best = -INFINITY, sum = 0;
                    int64_t count = 0;
                    for (int64_t k0 = 0; k0 < w.k[0]; k0++)
                        for (int64_t k1 = 0; k1 < w.k[1]; k1++)
                            for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                int64_t i[3] = {tap(&w, 0, o0, k0), tap(&w, 1, o1, k1),
                                                tap(&w, 2, o2, k2)};
                                bool inside = true, in_padding = true;
                                for (int d = 0; d < 3; d++) {
                                    inside &= i[d] >= 0 && i[d] < w.in[d];
                                    in_padding &= i[d] >= -w.pb[d] && i[d] < w.in[d] + w.pe[d];
                                }
                                if (inside) {
                                    double v = xp[(i[0] * w.in[1] + i[1]) * w.in[2] + i[2]];
                                    best = fmax(best, v); /* NaN loses, as in ONNX's reference */
                                    sum += v;
                                }
                                if (include_pad ? in_padding : inside) count++;
                            }
                    ev_setf(y, j, is_max ? best : sum / (double)count);
                }
    }
    return 0;
}

int ir_eval_max_pool(IrEval *c) {
    return pool(c, true);
}

int ir_eval_avg_pool(IrEval *c) {
    return pool(c, false);
}

static int global_pool(IrEval *c, bool is_max) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    int64_t sp = 1;
    for (int i = 2; i < x->type.rank; i++) sp *= x->type.dims[i];
    for (int64_t p = 0; p < y->count; p++) {
        double best = -INFINITY, sum = 0;
        for (int64_t k = 0; k < sp; k++) {
            best = fmax(best, x->f[p * sp + k]);
            sum += x->f[p * sp + k];
        }
        ev_setf(y, p, is_max ? best : sum / (double)sp);
    }
    return 0;
}

int ir_eval_global_avg_pool(IrEval *c) {
    return global_pool(c, false);
}

int ir_eval_global_max_pool(IrEval *c) {
    return global_pool(c, true);
}

/* ---- Normalisation -------------------------------------------------------------------- */

int ir_eval_batch_norm(IrEval *c) {
    const EvTensor *x = c->in[0], *scale = c->in[1], *bias = c->in[2];
    const EvTensor *mean = c->in[3], *var = c->in[4];
    EvTensor *y = c->out[0];
    double eps = EV_ATTR_FLOAT(c, "epsilon");
    int64_t ch = x->type.dims[1], inner = 1;
    for (int i = 2; i < x->type.rank; i++) inner *= x->type.dims[i];
    for (int64_t j = 0; j < y->count; j++) {
        int64_t k = (j / inner) % ch;
        ev_setf(y, j, (x->f[j] - mean->f[k]) / sqrt(var->f[k] + eps) * scale->f[k] + bias->f[k]);
    }
    return 0;
}

/* Mean and (population) variance of n elements at p with the given stride. */
static void moments(const double *p, int64_t n, int64_t stride, double *mean, double *var) {
    double sum = 0, sq = 0;
    for (int64_t k = 0; k < n; k++) sum += p[k * stride];
    *mean = sum / (double)n;
    for (int64_t k = 0; k < n; k++) {
        double d = p[k * stride] - *mean;
        sq += d * d;
    }
    *var = sq / (double)n;
}

int ir_eval_layer_norm(IrEval *c) {
    const EvTensor *x = c->in[0], *scale = c->in[1], *bias = c->nin > 2 ? c->in[2] : NULL;
    EvTensor *y = c->out[0];
    double eps = EV_ATTR_FLOAT(c, "epsilon");
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), x->type.rank);
    IrType norm = ir_type(x->type.dtype, x->type.rank - axis, x->type.dims + axis);
    int64_t inner = ir_type_count(&norm), outer = inner ? x->count / inner : 0;
    for (int64_t o = 0; o < outer; o++) {
        double mean, var;
        moments(x->f + o * inner, inner, 1, &mean, &var);
        double inv = 1.0 / sqrt(var + eps);
        for (int64_t k = 0; k < inner; k++) {
            double v = (x->f[o * inner + k] - mean) * inv;
            v *= scale->f[ev_bcast_index(&scale->type, &norm, k)];
            if (bias) v += bias->f[ev_bcast_index(&bias->type, &norm, k)];
            ev_setf(y, o * inner + k, v);
        }
    }
    return 0;
}

int ir_eval_instance_norm(IrEval *c) {
    const EvTensor *x = c->in[0], *scale = c->in[1], *bias = c->in[2];
    EvTensor *y = c->out[0];
    double eps = EV_ATTR_FLOAT(c, "epsilon");
    int64_t ch = x->type.dims[1], sp = 1;
    for (int i = 2; i < x->type.rank; i++) sp *= x->type.dims[i];
    for (int64_t p = 0; p < x->type.dims[0] * ch; p++) {
        double mean, var;
        moments(x->f + p * sp, sp, 1, &mean, &var);
        int64_t k = p % ch;
        for (int64_t s = 0; s < sp; s++)
            ev_setf(y, p * sp + s,
                    scale->f[k] * (x->f[p * sp + s] - mean) / sqrt(var + eps) + bias->f[k]);
    }
    return 0;
}

/* ---- Softmax -------------------------------------------------------------------------- */

static int softmax(IrEval *c, bool log_form) {
    const EvTensor *x = c->in[0];
    EvTensor *y = c->out[0];
    int axis = ir_norm_axis(EV_ATTR_INT(c, "axis"), x->type.rank);
    int64_t len = x->type.dims[axis], inner = 1, outer = 1;
    for (int i = 0; i < axis; i++) outer *= x->type.dims[i];
    for (int i = axis + 1; i < x->type.rank; i++) inner *= x->type.dims[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t r = 0; r < inner; r++) {
            const double *p = x->f + o * len * inner + r;
            double max = -INFINITY, sum = 0;
            for (int64_t k = 0; k < len; k++) max = fmax(max, p[k * inner]);
            for (int64_t k = 0; k < len; k++) sum += exp(p[k * inner] - max);
            for (int64_t k = 0; k < len; k++) {
                int64_t j = (o * len + k) * inner + r;
                double d = p[k * inner] - max;
                ev_setf(y, j, log_form ? d - log(sum) : exp(d) / sum);
            }
        }
    return 0;
}

int ir_eval_softmax(IrEval *c) {
    return softmax(c, false);
}

int ir_eval_log_softmax(IrEval *c) {
    return softmax(c, true);
}

/*
 * Einsum onto the IR: each operand first loses its repeated labels (a
 * diagonal: where(eye, x, 0) summed over one of the pair) and the labels
 * nothing later needs (reduce_sum); then operands are contracted left to
 * right, each pair as one batched matmul:
 *
 *   A -> [batch..., a_only..., contracted...] -> [batch..., rows, k]
 *   B -> [batch..., contracted..., b_only...] -> [batch..., k, cols]
 *   matmul, then reshape to [batch..., a_only..., b_only...]
 *
 * (matmul broadcasts the batch dimensions, so "..." of size 1 against n
 * works); a final transpose puts the labels in the output's order.
 *
 * Labels are numbers: letters 0-51, the dimensions "..." stands for
 * ELLIPSIS + j, right-aligned across operands as NumPy aligns them.
 */
#include "importer.h"

#include <stdlib.h>
#include <string.h>

enum { NLETTERS = 52, ELLIPSIS = NLETTERS, MAX_LABELS = NLETTERS + IR_MAX_RANK };
#define MAX_OPERANDS 16

typedef struct Term {
    IrRef v;
    int n;                  /* rank */
    int label[IR_MAX_RANK]; /* per dimension */
    int64_t dim[IR_MAX_RANK];
} Term;

static int letter(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
    return -1;
}

static char label_char(int l) {
    return (char)(l < 26 ? 'a' + l : l < NLETTERS ? 'A' + l - 26 : '.');
}

/* Parse one term of the equation (without spaces) for an operand of the
 * given rank; ellipsis dims get labels right-aligned to ndots_max. */
static bool parse_term(Imp *im, const char *s, size_t len, int rank, int ndots_max, Term *t) {
    int letters = 0;
    bool dots = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (dots || len - i < 3 || strncmp(s + i, "...", 3) != 0)
                return imp_fail(im, "equation term '%.*s' has a malformed '...'", (int)len, s);
            dots = true;
            i += 2;
        } else if (letter(s[i]) >= 0) {
            letters++;
        } else {
            return imp_fail(im, "equation term '%.*s' has '%c', not a letter", (int)len, s, s[i]);
        }
    }
    int ndots = rank - letters;
    if (ndots < 0 || (!dots && ndots != 0) || ndots > ndots_max)
        return imp_fail(im, "equation term '%.*s' does not fit an operand of rank %d", (int)len, s,
                        rank);
    t->n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            for (int j = 0; j < ndots; j++) t->label[t->n++] = ELLIPSIS + ndots_max - ndots + j;
            i += 2;
        } else {
            t->label[t->n++] = letter(s[i]);
        }
    }
    return true;
}

static bool has(const int *labels, int n, int l) {
    for (int i = 0; i < n; i++)
        if (labels[i] == l) return true;
    return false;
}

static void refresh(Imp *im, Term *t) {
    const IrType *ty = imp_type(im, t->v);
    for (int i = 0; i < t->n; i++) t->dim[i] = ty->dims[i];
}

/* Remove dimension q of t (labels shift down). */
static void drop(Term *t, int q) {
    for (int i = q; i + 1 < t->n; i++) t->label[i] = t->label[i + 1], t->dim[i] = t->dim[i + 1];
    t->n--;
}

/* Take the diagonal of every repeated label, then sum the labels keep
 * does not hold. */
static bool simplify(Imp *im, Term *t, const bool *keep) {
    for (int p = 0; p < t->n; p++)
        for (int q = p + 1; q < t->n; q++) {
            if (t->label[p] != t->label[q]) continue;
            if (t->dim[p] != t->dim[q])
                return imp_fail(im, "label '%c' has sizes %lld and %lld", label_char(t->label[p]),
                                (long long)t->dim[p], (long long)t->dim[q]);
            int64_t shape[IR_MAX_RANK];
            for (int i = 0; i < t->n; i++) shape[i] = i == p || i == q ? t->dim[i] : 1;
            IrType mt = ir_type(ACC_DTYPE_BOOL, t->n, shape);
            if (!imp_const_fits(im, &mt)) return false;
            int64_t n = t->dim[p];
            uint8_t *eye = xcalloc((size_t)(n > 0 ? n * n : 1), 1);
            for (int64_t i = 0; i < n; i++) eye[i * n + i] = 1;
            IrRef mask = imp_constant(im, &mt, eye);
            free(eye);
            IrRef zero = imp_scalar(im, imp_type(im, t->v)->dtype, 0);
            IrRef diag = imp_ternary(im, IR_OP_where, mask, t->v, zero);
            int64_t axis = q;
            t->v = imp_reduce(im, IR_OP_reduce_sum, diag, 1, &axis, false);
            if (!t->v) return false;
            drop(t, q);
            q = p; /* look again after p */
        }
    int64_t axes[IR_MAX_RANK];
    int n = 0;
    for (int i = 0; i < t->n; i++)
        if (!keep[t->label[i]]) axes[n++] = i;
    if (n) {
        t->v = imp_reduce(im, IR_OP_reduce_sum, t->v, n, axes, false);
        if (!t->v) return false;
        for (int k = n - 1; k >= 0; k--) drop(t, (int)axes[k]);
    }
    return true;
}

/* Transpose t so its labels come in the order of want (a permutation). */
static bool arrange(Imp *im, Term *t, const int *want) {
    int64_t perm[IR_MAX_RANK];
    bool moved = false;
    for (int i = 0; i < t->n; i++) {
        for (int j = 0; j < t->n; j++)
            if (t->label[j] == want[i]) perm[i] = j;
        moved |= perm[i] != i;
    }
    if (!moved) return true;
    t->v = imp_transpose(im, t->v, t->n, perm);
    if (!t->v) return false;
    memcpy(t->label, want, (size_t)t->n * sizeof *want);
    refresh(im, t);
    return true;
}

static int64_t size_of(const Term *t, int l) {
    for (int i = 0; i < t->n; i++)
        if (t->label[i] == l) return t->dim[i];
    return 1;
}

/* a := a (x) b, keeping the labels keep holds. */
static bool contract(Imp *im, Term *a, Term *b, const bool *keep) {
    int batch[IR_MAX_RANK], left[IR_MAX_RANK], right[IR_MAX_RANK], inner[IR_MAX_RANK];
    int nb = 0, nl = 0, nr = 0, nk = 0;
    for (int i = 0; i < a->n; i++) {
        int l = a->label[i];
        if (!has(b->label, b->n, l))
            left[nl++] = l;
        else if (keep[l])
            batch[nb++] = l;
        else
            inner[nk++] = l;
    }
    for (int i = 0; i < b->n; i++)
        if (!has(a->label, a->n, b->label[i])) right[nr++] = b->label[i];
    if (nb + 2 > IR_MAX_RANK || nb + nl + nr > IR_MAX_RANK)
        return imp_fail(im, "the contraction needs more than %d dimensions", IR_MAX_RANK);
    int order[IR_MAX_RANK], n = 0;
    int64_t rows = 1, cols = 1, k = 1, shape[IR_MAX_RANK];
    for (int i = 0; i < nb; i++) order[n++] = batch[i];
    for (int i = 0; i < nl; i++) order[n++] = left[i], rows *= size_of(a, left[i]);
    for (int i = 0; i < nk; i++) order[n++] = inner[i], k *= size_of(a, inner[i]);
    if (!arrange(im, a, order)) return false;
    n = 0;
    for (int i = 0; i < nb; i++) order[n++] = batch[i];
    for (int i = 0; i < nk; i++) order[n++] = inner[i];
    for (int i = 0; i < nr; i++) order[n++] = right[i], cols *= size_of(b, right[i]);
    if (!arrange(im, b, order)) return false;
    for (int i = 0; i < nb; i++) shape[i] = size_of(a, batch[i]);
    shape[nb] = rows, shape[nb + 1] = k;
    IrRef av = imp_reshape(im, a->v, nb + 2, shape);
    for (int i = 0; i < nb; i++) shape[i] = size_of(b, batch[i]);
    shape[nb] = k, shape[nb + 1] = cols;
    IrRef bv = imp_reshape(im, b->v, nb + 2, shape);
    IrRef prod = imp_binary(im, IR_OP_matmul, av, bv);
    if (!prod) return false;
    /* [batch (broadcast)..., left..., right...] */
    const IrType *pt = imp_type(im, prod);
    Term r = {IR_NONE, 0, {0}, {0}};
    for (int i = 0; i < nb; i++) r.label[r.n] = batch[i], r.dim[r.n++] = pt->dims[i];
    for (int i = 0; i < nl; i++) r.label[r.n] = left[i], r.dim[r.n++] = size_of(a, left[i]);
    for (int i = 0; i < nr; i++) r.label[r.n] = right[i], r.dim[r.n++] = size_of(b, right[i]);
    r.v = imp_reshape(im, prod, r.n, r.dim);
    *a = r;
    return r.v != IR_NONE;
}

bool imp_map_einsum(Imp *im, const ImpOp *row) {
    (void)row;
    const char *eq_attr = imp_attr_str(im, "equation", NULL);
    if (!eq_attr) return im->failed ? false : imp_fail(im, "attribute 'equation' is missing");
    int nops = imp_nin(im);
    if (nops < 1 || nops > MAX_OPERANDS)
        return imp_fail(im, "takes 1 to %d inputs, got %d", MAX_OPERANDS, nops);
    /* The equation without spaces. */
    size_t len = strlen(eq_attr);
    char *eq = ARENA_ARRAY(&im->scratch, char, len + 1);
    size_t m = 0;
    for (size_t i = 0; i < len; i++)
        if (eq_attr[i] != ' ') eq[m++] = eq_attr[i];
    eq[m] = '\0';
    char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : m;
    Term t[MAX_OPERANDS];
    int ndots_max = 0;
    for (int i = 0; i < nops; i++) {
        if (!(t[i].v = imp_in(im, i))) return false;
        t[i].n = imp_type(im, t[i].v)->rank;
    }
    /* Terms, twice: first to find how many dims "..." spans at most. */
    for (int pass = 0; pass < 2; pass++) {
        size_t start = 0;
        for (int i = 0; i < nops; i++) {
            size_t end = start;
            while (end < lhs_len && eq[end] != ',') end++;
            if ((end == lhs_len) != (i == nops - 1))
                return imp_fail(im, "equation '%s' has not %d terms before '->'", eq_attr, nops);
            int rank = imp_type(im, t[i].v)->rank;
            if (pass == 0) {
                int letters = 0;
                for (size_t k = start; k < end; k++) letters += letter(eq[k]) >= 0;
                if (rank - letters > ndots_max) ndots_max = rank - letters;
            } else if (!parse_term(im, eq + start, end - start, rank, ndots_max, &t[i])) {
                return false;
            }
            start = end + 1;
        }
    }
    for (int i = 0; i < nops; i++) refresh(im, &t[i]);
    /* The output's labels: as written, or (implicit) "..." then the letters
     * used once, in ASCII order. */
    int out[MAX_LABELS], nout = 0, count[MAX_LABELS] = {0};
    for (int i = 0; i < nops; i++)
        for (int k = 0; k < t[i].n; k++) count[t[i].label[k]]++;
    if (arrow) {
        const char *s = arrow + 2;
        bool dots = false;
        for (size_t k = 0; s[k]; k++) {
            if (s[k] == '.') {
                if (dots || strncmp(s + k, "...", 3) != 0)
                    return imp_fail(im, "equation '%s' has a malformed '...'", eq_attr);
                for (int j = 0; j < ndots_max; j++) out[nout++] = ELLIPSIS + j;
                dots = true;
                k += 2;
                continue;
            }
            int l = letter(s[k]);
            if (l < 0) return imp_fail(im, "equation '%s' has '%c', not a letter", eq_attr, s[k]);
            if (!count[l]) return imp_fail(im, "output label '%c' is in no input", s[k]);
            if (has(out, nout, l)) return imp_fail(im, "output label '%c' appears twice", s[k]);
            if (nout == IR_MAX_RANK)
                return imp_fail(im, "the output has more than %d labels", IR_MAX_RANK);
            out[nout++] = l;
        }
    } else {
        for (int j = 0; j < ndots_max; j++) out[nout++] = ELLIPSIS + j;
        for (int c = 'A'; c <= 'z'; c++)
            if (letter((char)c) >= 0 && count[letter((char)c)] == 1) out[nout++] = letter((char)c);
    }
    if (nout > IR_MAX_RANK) return imp_fail(im, "the output would have rank %d", nout);
    /* Simplify each operand against what the others and the output need,
     * then contract left to right. */
    for (int i = 0; i < nops; i++) {
        bool keep[MAX_LABELS] = {false};
        for (int k = 0; k < nout; k++) keep[out[k]] = true;
        for (int j = 0; j < nops; j++)
            for (int k = 0; j != i && k < t[j].n; k++) keep[t[j].label[k]] = true;
        if (!simplify(im, &t[i], keep)) return false;
    }
    Term acc = t[0];
    for (int i = 1; i < nops; i++) {
        bool keep[MAX_LABELS] = {false};
        for (int k = 0; k < nout; k++) keep[out[k]] = true;
        for (int j = i + 1; j < nops; j++)
            for (int k = 0; k < t[j].n; k++) keep[t[j].label[k]] = true;
        if (!contract(im, &acc, &t[i], keep)) return false;
    }
    bool keep_out[MAX_LABELS] = {false};
    for (int k = 0; k < nout; k++) keep_out[out[k]] = true;
    if (!simplify(im, &acc, keep_out) || acc.n != nout || !arrange(im, &acc, out)) {
        return im->failed ? false : imp_fail(im, "cannot arrange the result as '%s'", eq_attr);
    }
    imp_def(im, 0, acc.v);
    return true;
}

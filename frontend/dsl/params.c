/*
 * Parameters: param NAME: TYPE = INIT makes a constant from a recipe
 * (zeros, ones, normal, uniform), a .npy file or a literal.
 */
#include "lower.h"

#include <stdlib.h>
#include <string.h>

/* ---- Parameters --------------------------------------------------------------------------- */

/* The numbers of a literal, nested as the type's shape (or one number,
 * filling the tensor). */
static bool fill_literal(Lower *L, const ConstEnv *env, const Node *n, const IrType *t, int d,
                         void *data, int64_t *i) {
    if (d == t->rank) {
        CVal v;
        if (!dsl_eval_const(L, env, n, &v)) return false;
        if (v.kind == C_INT && t->dtype == ACC_DTYPE_I64) {
            ((int64_t *)data)[(*i)++] = v.i;
        } else if (v.kind == C_INT || v.kind == C_FLOAT || v.kind == C_BOOL) {
            if (v.kind == C_FLOAT && !(dtype_flags(t->dtype) & DT_FLOAT)) {
                diag_error(L->d, n->loc, "a fractional number cannot be stored in %s",
                           dtype_name(t->dtype));
                return false;
            }
            double x = v.kind == C_FLOAT ? v.f : (double)v.i;
            /* Through float, as strtof would: the value is then exactly a float. */
            if (dtype_flags(t->dtype) & DT_FLOAT) x = (float)x;
            dtype_set(t->dtype, data, (size_t)(*i)++, x);
        } else {
            diag_error(L->d, n->loc, "expected a number, got %s", dsl_ckind_name(&v));
            return false;
        }
        return true;
    }
    if (n->kind != N_LIST || n->list.n != t->dims[d]) {
        diag_error(L->d, n->loc, "expected a list of %lld entries (dimension %d of %s)",
                   (long long)t->dims[d], d, ir_type_str(t));
        return false;
    }
    for (int k = 0; k < n->list.n; k++)
        if (!fill_literal(L, env, n->list.items[k], t, d + 1, data, i)) return false;
    return true;
}

/* Positional or keyword arguments of an initialiser, by name. */
static bool init_args(Lower *L, const ConstEnv *env, const Node *call, const char *const *names,
                      int n, CVal *vals) {
    bool have[4] = {false, false, false, false};
    for (int i = 0; i < call->list.n; i++) {
        const Node *a = call->list.items[i];
        int slot = i;
        const Node *value = a;
        if (a->kind == N_KWARG) {
            slot = -1;
            for (int k = 0; k < n; k++)
                if (strcmp(names[k], a->str) == 0) slot = k;
            value = a->lhs;
            if (slot < 0) {
                diag_error(L->d, a->loc, "'%s' has no argument '%s'", call->str, a->str);
                return false;
            }
        }
        if (slot >= n) {
            diag_error(L->d, a->loc, "'%s' takes %d arguments", call->str, n);
            return false;
        }
        if (have[slot]) {
            diag_error(L->d, a->loc, "argument '%s' of '%s' is given twice", names[slot],
                       call->str);
            return false;
        }
        have[slot] = true;
        if (!dsl_eval_const(L, env, value, &vals[slot])) return false;
        bool is_seed = strcmp(names[slot], "seed") == 0;
        CVal *v = &vals[slot];
        if (is_seed ? v->kind != C_INT || v->i < 0 : v->kind != C_INT && v->kind != C_FLOAT) {
            diag_error(L->d, value->loc, "argument '%s' of '%s' must be %s", names[slot], call->str,
                       is_seed ? "a non-negative int" : "a number");
            return false;
        }
        if (v->kind == C_INT && !is_seed) v->f = (double)v->i;
    }
    for (int k = 0; k < n; k++)
        if (!have[k]) {
            diag_error(L->d, call->loc, "'%s' needs argument '%s'", call->str, names[k]);
            return false;
        }
    return true;
}

/* param NAME: TYPE = zeros | ones | normal(seed, std) | uniform(seed, lo, hi)
 *                  | load("file.npy") | literal */
void dsl_lower_param(Lower *L, Scope *s, const Stmt *st) {
    const char *name = st->targets[0];
    SrcLoc name_loc = st->target_locs[0];
    IrType t;
    if (!dsl_eval_type(L, &s->consts, &st->type, &t)) {
        dsl_bind(s, name, dsl_error_val(), name_loc);
        return;
    }
    size_t limit = L->opts->max_const_bytes ? L->opts->max_const_bytes : IR_MAX_CONST_BYTES;
    int64_t count = ir_type_count(&t);
    if ((uint64_t)count > limit / dtype_size(t.dtype)) {
        diag_error(L->d, st->type.loc, "param '%s' (%s) is larger than the limit of %zu bytes",
                   name, ir_type_str(&t), limit);
        dsl_bind(s, name, dsl_error_val(), name_loc);
        return;
    }
    const Node *init = st->value;
    const char *fn = init->kind == N_CALL ? init->str : init->kind == N_NAME ? init->str : NULL;
    int32_t k = -1;
    if (fn && (strcmp(fn, "zeros") == 0 || strcmp(fn, "ones") == 0) &&
        (init->kind == N_NAME || init->list.n == 0)) {
        k = fn[0] == 'z' ? ir_const_zeros(L->g, &t) : ir_const_ones(L->g, &t);
    } else if (init->kind == N_CALL && strcmp(fn, "normal") == 0) {
        static const char *const names[] = {"seed", "std"};
        CVal v[2];
        if (!(dtype_flags(t.dtype) & DT_FLOAT))
            diag_error(L->d, init->loc, "normal() fills float tensors; '%s' is %s", name,
                       dtype_name(t.dtype));
        else if (init_args(L, &s->consts, init, names, 2, v))
            k = ir_const_normal(L->g, &t, (uint64_t)v[0].i, v[1].f);
    } else if (init->kind == N_CALL && strcmp(fn, "uniform") == 0) {
        static const char *const names[] = {"seed", "lo", "hi"};
        CVal v[3];
        if (init_args(L, &s->consts, init, names, 3, v))
            k = ir_const_uniform(L->g, &t, (uint64_t)v[0].i, v[1].f, v[2].f);
    } else if (init->kind == N_CALL && strcmp(fn, "load") == 0) {
        const Node *path = init->list.n == 1 ? init->list.items[0] : NULL;
        if (!path || path->kind != N_STRING) {
            diag_error(L->d, init->loc, "load() takes one file name string: load(\"w.npy\")");
        } else if (L->opts->no_files) {
            diag_error(L->d, path->loc, "load() is disabled here");
        } else {
            char *full = path_join(s->graph->dir, path->str);
            char err[600];
            k = ir_const_load(L->g, &t, full, L->opts->deps, err, sizeof err);
            if (k < 0) diag_error(L->d, path->loc, "%s", err);
            free(full);
        }
    } else if (init->kind == N_CALL) {
        diag_error(
            L->d, init->loc,
            "a param is initialised by zeros, ones, normal(seed, std), uniform(seed, lo, hi), "
            "load(\"file.npy\") or a literal, not by '%s(...)'",
            init->str);
    } else {
        void *data = xcalloc((size_t)(count ? count : 1), dtype_size(t.dtype));
        int64_t i = 0;
        bool ok;
        if (init->kind == N_LIST || t.rank == 0) {
            ok = fill_literal(L, &s->consts, init, &t, 0, data, &i);
        } else { /* one number fills the tensor */
            IrType one = ir_type(t.dtype, 0, NULL);
            ok = fill_literal(L, &s->consts, init, &one, 0, data, &i);
            size_t size = dtype_size(t.dtype);
            for (int64_t j = 1; ok && j < count; j++)
                memcpy((char *)data + (size_t)j * size, data, size);
        }
        if (ok) k = ir_const_add(L->g, &t, data);
        free(data);
    }
    if (k < 0) {
        dsl_bind(s, name, dsl_error_val(), name_loc);
        return;
    }
    IrRef v = ir_constant_from(L->g, k, name_loc);
    ir_value_set_name(L->g, v, name);
    dsl_bind(s, name, dsl_tensor_val(v, name_loc), name_loc);
}

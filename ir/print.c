/*
 * The IR text form (docs/ir.md), written so that parse(print(g)) prints
 * the same text again:
 *
 *   graph mlp(%x: f32[8, 784]) -> (y: f32[8, 10]) {
 *     %w1: f32[784, 128] = constant(value=normal(seed=1, std=0.05))
 *     %0: f32[8, 128] = matmul(%x, %w1)
 *     %h: f32[8, 128] = relu(%0)
 *     ...
 *     return %5
 *   }
 *
 * Values print by name when they have one (made unique with ".1", ".2"...)
 * and by number otherwise; every attribute is printed, in schema order.
 */
/* glibc declares realpath() only for X/Open, though POSIX.1-2008 has it. */
#define _XOPEN_SOURCE 700
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* ---- Names --------------------------------------------------------------------- */

static char *unique_name(StrSet *taken, const char *base) {
    char *name = xstrdup(base);
    for (int k = 1; strset_has(taken, name); k++) {
        free(name);
        StrBuf sb;
        sb_init(&sb);
        sb_printf(&sb, "%s.%d", base, k);
        name = sb_take(&sb);
    }
    strset_add(taken, name);
    return name;
}

/* Numbered values get "#N" internally, so they never clash with a name. */
static void name_value(IrNames *names, StrSet *taken, const IrGraph *g, IrRef v, int *next) {
    if (v <= 0 || v >= g->nvals || names->name[v]) return; /* a broken graph being verified */
    if (g->vals[v].name) {
        names->name[v] = unique_name(taken, g->vals[v].name);
    } else {
        StrBuf sb;
        sb_init(&sb);
        sb_printf(&sb, "#%d", (*next)++);
        names->name[v] = sb_take(&sb);
    }
}

void ir_names_init(IrNames *names, const IrGraph *g) {
    names->n = g->nvals;
    names->name = xcalloc((size_t)g->nvals, sizeof(char *));
    StrSet taken;
    strset_init(&taken);
    int next = 0;
    for (int i = 0; i < g->ninputs; i++) name_value(names, &taken, g, g->inputs[i], &next);
    ir_for_each_op(g, id) {
        for (int i = 0; i < g->ops[id].nout; i++)
            name_value(names, &taken, g, g->ops[id].out[i], &next);
    }
    strset_free(&taken);
}

void ir_names_free(IrNames *names) {
    for (int32_t i = 0; i < names->n; i++) free(names->name[i]);
    free(names->name);
    names->name = NULL;
}

/* ---- Tokens -------------------------------------------------------------------- */

static bool is_bare(const char *s) {
    bool all_digits = true;
    if (!*s) return false;
    for (const char *p = s; *p; p++) {
        if (!(*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            return false;
        all_digits &= *p >= '0' && *p <= '9';
    }
    return !all_digits;
}

static void put_quoted(StrBuf *sb, const char *s) {
    sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(sb, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            sb_printf(sb, "\\x%02x", *p);
        else
            sb_putc(sb, (char)*p);
    }
    sb_putc(sb, '"');
}

/* A name as it appears after '%'. */
static void put_name(StrBuf *sb, const char *s) {
    if (is_bare(s))
        sb_puts(sb, s);
    else
        put_quoted(sb, s);
}

/* A graph or output name: an identifier token, which cannot start with a
 * digit ("9x" is quoted; "%9x" is a fine value name). */
static void put_ident(StrBuf *sb, const char *s) {
    if (is_bare(s) && !(s[0] >= '0' && s[0] <= '9'))
        sb_puts(sb, s);
    else
        put_quoted(sb, s);
}

static void put_value(StrBuf *sb, const IrNames *names, IrRef v) {
    const char *n = v > 0 && v < names->n ? names->name[v] : "#?";
    sb_putc(sb, '%');
    if (n && n[0] == '#')
        sb_puts(sb, n + 1);
    else
        put_name(sb, n ? n : "?");
}

/* ---- Attributes and constants ------------------------------------------------------- */

static void put_element(StrBuf *sb, AccDtype t, const void *data, size_t i) {
    if (t == ACC_DTYPE_I64)
        sb_printf(sb, "%lld", (long long)((const int64_t *)data)[i]);
    else if (t == ACC_DTYPE_BOOL)
        sb_puts(sb, ((const uint8_t *)data)[i] ? "true" : "false");
    else if (dtype_flags(t) & DT_FLOAT)
        sb_put_float(sb, (float)dtype_get(t, data, i));
    else
        sb_printf(sb, "%.0f", dtype_get(t, data, i));
}

/* Nested lists following the shape, from dimension d at flat offset *i. */
static void put_nested(StrBuf *sb, const IrConst *c, int d, size_t *i) {
    if (d == c->type.rank) {
        put_element(sb, c->type.dtype, c->data, (*i)++);
        return;
    }
    sb_putc(sb, '[');
    for (int64_t k = 0; k < c->type.dims[d]; k++) {
        if (k) sb_puts(sb, ", ");
        put_nested(sb, c, d + 1, i);
    }
    sb_putc(sb, ']');
}

/* Split an absolute path into its components (in place). */
static int components(char *path, char **parts, int max) {
    int n = 0;
    for (char *p = strtok(path, "/"); p && n < max; p = strtok(NULL, "/")) parts[n++] = p;
    return n;
}

/* path with its directory resolved (the file itself need not exist yet,
 * and a symbolic link keeps its own name); NULL if the directory does not
 * resolve. */
static char *resolve_dir_of(const char *path) {
    char *dir = path_dirname(path);
    char *abs_dir = realpath(dir, NULL);
    free(dir);
    if (!abs_dir) return NULL;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *full = path_join(abs_dir, base);
    free(abs_dir);
    return full;
}

/* path relative to dir, when both can be resolved; else path unchanged. */
static char *relative_path(const char *path, const char *dir) {
    char *abs_file = resolve_dir_of(path), *abs_dir = realpath(dir ? dir : ".", NULL);
    if (!abs_file || !abs_dir) {
        free(abs_file);
        free(abs_dir);
        return xstrdup(path);
    }
    enum { MAX_PARTS = 256 };
    char *fp[MAX_PARTS], *dp[MAX_PARTS];
    int nf = components(abs_file, fp, MAX_PARTS), nd = components(abs_dir, dp, MAX_PARTS);
    int common = 0;
    while (common < nd && common < nf - 1 && strcmp(fp[common], dp[common]) == 0) common++;
    StrBuf sb;
    sb_init(&sb);
    for (int i = common; i < nd; i++) sb_puts(&sb, "../");
    for (int i = common; i < nf; i++) sb_printf(&sb, "%s%s", i > common ? "/" : "", fp[i]);
    free(abs_file);
    free(abs_dir);
    return sb_take(&sb);
}

void ir_print_const(StrBuf *sb, const IrConst *c, const IrPrintOptions *opts) {
    switch (c->origin) {
    case IR_CONST_ZEROS: sb_puts(sb, "zeros"); return;
    case IR_CONST_ONES: sb_puts(sb, "ones"); return;
    case IR_CONST_NORMAL:
        sb_printf(sb, "normal(seed=%llu, std=", (unsigned long long)c->seed);
        sb_put_double(sb, c->a);
        sb_putc(sb, ')');
        return;
    case IR_CONST_UNIFORM:
        sb_printf(sb, "uniform(seed=%llu, lo=", (unsigned long long)c->seed);
        sb_put_double(sb, c->a);
        sb_puts(sb, ", hi=");
        sb_put_double(sb, c->b);
        sb_putc(sb, ')');
        return;
    case IR_CONST_FILE: {
        char *rel = relative_path(c->path, opts ? opts->base_dir : NULL);
        sb_puts(sb, "load(");
        put_quoted(sb, rel);
        sb_putc(sb, ')');
        free(rel);
        return;
    }
    case IR_CONST_DATA: {
        size_t i = 0;
        put_nested(sb, c, 0, &i);
        return;
    }
    }
}

void ir_print_attr(StrBuf *sb, const IrGraph *g, const IrAttr *a, const IrPrintOptions *opts) {
    switch (a->kind) {
    case IR_ATTR_INT: sb_printf(sb, "%lld", (long long)a->u.i); break;
    case IR_ATTR_FLOAT: sb_put_double(sb, a->u.f); break;
    case IR_ATTR_BOOL: sb_puts(sb, a->u.i ? "true" : "false"); break;
    case IR_ATTR_STR: put_quoted(sb, a->u.s); break;
    case IR_ATTR_DTYPE: sb_puts(sb, dtype_name(a->u.t)); break;
    case IR_ATTR_INTS:
        sb_putc(sb, '[');
        for (int i = 0; i < a->n; i++)
            sb_printf(sb, "%s%lld", i ? ", " : "", (long long)a->u.is[i]);
        sb_putc(sb, ']');
        break;
    case IR_ATTR_FLOATS:
        sb_putc(sb, '[');
        for (int i = 0; i < a->n; i++) {
            if (i) sb_puts(sb, ", ");
            sb_put_double(sb, a->u.fs[i]);
        }
        sb_putc(sb, ']');
        break;
    case IR_ATTR_TENSOR: ir_print_const(sb, &g->consts[a->u.tensor], opts); break;
    case IR_ATTR_BODY: ir_print_body(sb, g->bodies[a->u.body], opts); break;
    case IR_ATTR_NONE:
    case IR_ATTR_KIND_COUNT: sb_puts(sb, "<none>"); break;
    }
}

/* ---- Ops and graphs ------------------------------------------------------------------- */

void ir_print_op(StrBuf *sb, const IrGraph *g, const IrNames *names, IrOpId id,
                 const IrPrintOptions *opts) {
    const IrOp *op = &g->ops[id];
    const IrOpInfo *info = ir_op_info(op->kind);
    for (int i = 0; i < op->nout; i++) {
        if (i) sb_puts(sb, ", ");
        put_value(sb, names, op->out[i]);
        sb_puts(sb, ": ");
        ir_type_print(sb, &g->vals[op->out[i]].type);
    }
    sb_printf(sb, " = %s(", info->name);
    bool first = true;
    for (int i = 0; i < op->nin; i++, first = false) {
        if (!first) sb_puts(sb, ", ");
        put_value(sb, names, op->in[i]);
    }
    for (int i = 0; i < info->nattrs; i++, first = false) {
        if (!first) sb_puts(sb, ", ");
        sb_printf(sb, "%s=", info->attrs[i].name);
        ir_print_attr(sb, g, &op->attrs[i], opts);
    }
    sb_putc(sb, ')');
}

/* {(%0: f32[], %acc: f32[]) -> f32[]
 *     %1: f32[] = add(%acc, %0)
 *     return %1
 *   } */
void ir_print_body(StrBuf *sb, const IrGraph *body, const IrPrintOptions *opts) {
    IrNames names;
    ir_names_init(&names, body);
    sb_puts(sb, "{(");
    for (int i = 0; i < body->ninputs; i++) {
        if (i) sb_puts(sb, ", ");
        put_value(sb, &names, body->inputs[i]);
        sb_puts(sb, ": ");
        ir_type_print(sb, &body->vals[body->inputs[i]].type);
    }
    sb_puts(sb, ") -> ");
    for (int i = 0; i < body->noutputs; i++) {
        if (i) sb_puts(sb, ", ");
        ir_type_print(sb, &body->vals[body->outputs[i].val].type);
    }
    sb_putc(sb, '\n');
    ir_for_each_op(body, id) {
        sb_puts(sb, "    ");
        ir_print_op(sb, body, &names, id, opts);
        sb_putc(sb, '\n');
    }
    sb_puts(sb, "    return");
    for (int i = 0; i < body->noutputs; i++) {
        sb_puts(sb, i ? ", " : " ");
        put_value(sb, &names, body->outputs[i].val);
    }
    sb_puts(sb, "\n  }");
    ir_names_free(&names);
}

void ir_print(StrBuf *sb, const IrGraph *g, const IrPrintOptions *opts) {
    IrNames names;
    ir_names_init(&names, g);
    sb_puts(sb, "graph ");
    put_ident(sb, g->name);
    sb_putc(sb, '(');
    for (int i = 0; i < g->ninputs; i++) {
        if (i) sb_puts(sb, ", ");
        put_value(sb, &names, g->inputs[i]);
        sb_puts(sb, ": ");
        ir_type_print(sb, &g->vals[g->inputs[i]].type);
    }
    sb_puts(sb, ") -> (");
    for (int i = 0; i < g->noutputs; i++) {
        if (i) sb_puts(sb, ", ");
        put_ident(sb, g->outputs[i].name);
        sb_puts(sb, ": ");
        ir_type_print(sb, &g->vals[g->outputs[i].val].type);
    }
    sb_puts(sb, ") {\n");
    ir_for_each_op(g, id) {
        sb_puts(sb, "  ");
        ir_print_op(sb, g, &names, id, opts);
        sb_putc(sb, '\n');
    }
    sb_puts(sb, "  return");
    for (int i = 0; i < g->noutputs; i++) {
        sb_puts(sb, i ? ", " : " ");
        put_value(sb, &names, g->outputs[i].val);
    }
    sb_puts(sb, "\n}\n");
    ir_names_free(&names);
}

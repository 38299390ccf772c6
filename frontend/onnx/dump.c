/*
 * The text listing of a model printed by acc-onnx-dump: opsets, graph
 * inputs and outputs with their types, initializers with their first
 * values, nodes with their attributes, nested graphs indented under the
 * attribute that holds them. Values print as acc-npy prints them.
 */
#include "onnx.h"

#include <string.h>

static void indent(StrBuf *out, int depth) {
    for (int i = 0; i < depth; i++) sb_puts(out, "  ");
}

/* s between single quotes, with quotes, backslashes and unprintable bytes escaped. */
static void put_quoted(StrBuf *out, const char *s, size_t len) {
    sb_putc(out, '\'');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\')
            sb_printf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            sb_printf(out, "\\x%02x", c);
        else
            sb_putc(out, (char)c);
    }
    sb_putc(out, '\'');
}

static void put_name(StrBuf *out, const char *s) {
    put_quoted(out, s, strlen(s));
}

static void put_value(StrBuf *out, AccDtype t, const void *data, size_t i) {
    if (t == ACC_DTYPE_I64)
        sb_printf(out, "%lld", (long long)((const int64_t *)data)[i]);
    else if (t == ACC_DTYPE_F64)
        sb_printf(out, "%.17g", dtype_get(t, data, i));
    else if (dtype_flags(t) & DT_FLOAT)
        sb_printf(out, "%.9g", dtype_get(t, data, i));
    else
        sb_printf(out, "%.0f", dtype_get(t, data, i));
}

/* The first o->max_values of count values, space-separated. */
static void put_values(StrBuf *out, const OnnxDumpOptions *o, AccDtype t, const void *data,
                       size_t count) {
    size_t n = o->max_values && count > o->max_values ? o->max_values : count;
    for (size_t i = 0; i < n; i++) {
        if (i) sb_putc(out, ' ');
        put_value(out, t, data, i);
    }
    if (n < count) sb_printf(out, " ... (%zu more)", count - n);
}

void onnx_dump_type(const OnnxType *t, StrBuf *out) {
    switch (t->kind) {
    case ONNX_TYPE_NONE: sb_puts(out, "(no type)"); return;
    case ONNX_TYPE_SPARSE_TENSOR: sb_puts(out, "sparse "); /* fall through */
    case ONNX_TYPE_TENSOR:
        sb_puts(out, onnx_type_short_name(t->elem_type));
        if (!t->has_shape) {
            sb_puts(out, " (rank unknown)");
            return;
        }
        sb_putc(out, '[');
        for (int i = 0; i < t->ndim; i++) {
            if (i) sb_puts(out, ", ");
            if (t->dims[i].param)
                sb_puts(out, t->dims[i].param);
            else if (t->dims[i].value >= 0)
                sb_printf(out, "%lld", (long long)t->dims[i].value);
            else
                sb_putc(out, '?');
        }
        sb_putc(out, ']');
        return;
    case ONNX_TYPE_SEQUENCE:
    case ONNX_TYPE_OPTIONAL:
    case ONNX_TYPE_MAP:
        sb_puts(out, t->kind == ONNX_TYPE_SEQUENCE   ? "seq("
                     : t->kind == ONNX_TYPE_OPTIONAL ? "optional("
                                                     : "map(");
        if (t->kind == ONNX_TYPE_MAP) sb_printf(out, "%s, ", onnx_type_short_name(t->key_type));
        if (t->elem)
            onnx_dump_type(t->elem, out);
        else
            sb_putc(out, '?');
        sb_putc(out, ')');
        return;
    }
}

/* "f32[2, 3] = 1 2 3 ..." plus what the reader did to get there. */
static void put_tensor(StrBuf *out, const OnnxTensor *t, const OnnxDumpOptions *o) {
    sb_puts(out, dtype_name(t->dtype));
    sb_putc(out, '[');
    for (int i = 0; i < t->ndim; i++)
        sb_printf(out, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    sb_putc(out, ']');
    const char *from = onnx_type_short_name(t->onnx_type);
    if (strcmp(from, dtype_name(t->dtype)) != 0) sb_printf(out, " (from %s)", from);
    if (t->external) sb_puts(out, " (external)");
    if (t->count) {
        sb_puts(out, " = ");
        put_values(out, o, t->dtype, t->data, t->count);
    }
}

void onnx_dump_tensor(const OnnxTensor *t, const OnnxDumpOptions *o, StrBuf *out) {
    sb_puts(out, "tensor ");
    put_name(out, t->name);
    sb_puts(out, ": ");
    put_tensor(out, t, o);
    sb_putc(out, '\n');
}

static void dump_graph_body(StrBuf *out, const OnnxGraph *g, const OnnxDumpOptions *o, int depth);

static void dump_attr(StrBuf *out, const OnnxAttr *a, const OnnxDumpOptions *o, int depth) {
    indent(out, depth);
    sb_printf(out, "%s: ", a->name);
    if (a->ref_attr_name) {
        sb_printf(out, "%s, the caller's attribute ", onnx_attr_type_name(a->type));
        put_name(out, a->ref_attr_name);
        sb_putc(out, '\n');
        return;
    }
    sb_puts(out, onnx_attr_type_name(a->type));
    switch (a->type) {
    case ONNX_ATTR_FLOAT: sb_printf(out, " %.9g", a->f); break;
    case ONNX_ATTR_INT: sb_printf(out, " %lld", (long long)a->i); break;
    case ONNX_ATTR_STRING:
        sb_putc(out, ' ');
        put_quoted(out, a->s.data ? a->s.data : "", a->s.len);
        break;
    case ONNX_ATTR_TENSOR:
        if (a->t) {
            sb_putc(out, ' ');
            put_tensor(out, a->t, o);
        }
        break;
    case ONNX_ATTR_GRAPH:
        if (a->g) {
            sb_putc(out, ' ');
            put_name(out, a->g->name);
            sb_putc(out, '\n');
            dump_graph_body(out, a->g, o, depth + 1);
            return;
        }
        break;
    case ONNX_ATTR_FLOATS:
        sb_puts(out, " [");
        for (size_t i = 0; i < a->nfloats; i++)
            sb_printf(out, "%s%.9g", i ? ", " : "", a->floats[i]);
        sb_putc(out, ']');
        break;
    case ONNX_ATTR_INTS:
        sb_puts(out, " [");
        for (size_t i = 0; i < a->nints; i++)
            sb_printf(out, "%s%lld", i ? ", " : "", (long long)a->ints[i]);
        sb_putc(out, ']');
        break;
    case ONNX_ATTR_STRINGS:
        sb_puts(out, " [");
        for (size_t i = 0; i < a->nstrings; i++) {
            if (i) sb_puts(out, ", ");
            put_quoted(out, a->strings[i].data, a->strings[i].len);
        }
        sb_putc(out, ']');
        break;
    case ONNX_ATTR_TENSORS:
        sb_printf(out, " (%zu)\n", a->ntensors);
        for (size_t i = 0; i < a->ntensors; i++) {
            indent(out, depth + 1);
            sb_printf(out, "[%zu] ", i);
            put_tensor(out, &a->tensors[i], o);
            sb_putc(out, '\n');
        }
        return;
    case ONNX_ATTR_GRAPHS:
        sb_printf(out, " (%zu)\n", a->ngraphs);
        for (size_t i = 0; i < a->ngraphs; i++) {
            indent(out, depth + 1);
            sb_printf(out, "[%zu] graph ", i);
            put_name(out, a->graphs[i].name);
            sb_putc(out, '\n');
            dump_graph_body(out, &a->graphs[i], o, depth + 2);
        }
        return;
    default: sb_puts(out, " (value not decoded)"); break;
    }
    sb_putc(out, '\n');
}

static void put_names(StrBuf *out, const char *const *names, size_t n) {
    sb_putc(out, '(');
    for (size_t i = 0; i < n; i++) {
        if (i) sb_puts(out, ", ");
        if (names[i][0])
            sb_puts(out, names[i]);
        else
            sb_puts(out, "''"); /* an omitted optional input */
    }
    sb_putc(out, ')');
}

static void dump_nodes(StrBuf *out, const OnnxNode *nodes, size_t n, const OnnxDumpOptions *o,
                       int depth) {
    for (size_t i = 0; i < n; i++) {
        const OnnxNode *nd = &nodes[i];
        indent(out, depth);
        sb_printf(out, "node %zu ", i);
        put_name(out, nd->name);
        sb_puts(out, ": ");
        if (nd->domain[0]) sb_printf(out, "%s.", nd->domain);
        sb_puts(out, nd->op_type);
        put_names(out, nd->inputs, nd->ninputs);
        sb_puts(out, " -> ");
        put_names(out, nd->outputs, nd->noutputs);
        sb_putc(out, '\n');
        for (size_t k = 0; k < nd->nattrs; k++) dump_attr(out, &nd->attrs[k], o, depth + 1);
    }
}

static void dump_values(StrBuf *out, const char *what, const OnnxValueInfo *v, size_t n,
                        int depth) {
    for (size_t i = 0; i < n; i++) {
        indent(out, depth);
        sb_printf(out, "%s %s: ", what, v[i].name);
        onnx_dump_type(&v[i].type, out);
        sb_putc(out, '\n');
    }
}

/* A graph's contents, each line at depth. */
static void dump_graph_body(StrBuf *out, const OnnxGraph *g, const OnnxDumpOptions *o, int depth) {
    dump_values(out, "input", g->inputs, g->ninputs, depth);
    dump_values(out, "output", g->outputs, g->noutputs, depth);
    dump_values(out, "value_info", g->value_infos, g->nvalue_infos, depth);
    for (size_t i = 0; i < g->ninitializers; i++) {
        indent(out, depth);
        sb_printf(out, "initializer %s: ", g->initializers[i].name);
        put_tensor(out, &g->initializers[i], o);
        sb_putc(out, '\n');
    }
    dump_nodes(out, g->nodes, g->nnodes, o, depth);
}

static void put_opsets(StrBuf *out, const OnnxOpset *ops, size_t n) {
    for (size_t i = 0; i < n; i++)
        sb_printf(out, "%s%s %lld", i ? ", " : "", ops[i].domain[0] ? ops[i].domain : "ai.onnx",
                  (long long)ops[i].version);
}

void onnx_dump_model(const OnnxModel *m, const OnnxDumpOptions *o, StrBuf *out) {
    sb_printf(out, "ir_version %lld\n", (long long)m->ir_version);
    sb_puts(out, "opset_import ");
    put_opsets(out, m->opsets, m->nopsets);
    sb_putc(out, '\n');
    if (m->producer_name[0] || m->producer_version[0]) {
        sb_puts(out, "producer ");
        put_name(out, m->producer_name);
        sb_putc(out, ' ');
        put_name(out, m->producer_version);
        sb_putc(out, '\n');
    }
    if (m->domain[0]) sb_printf(out, "domain %s\n", m->domain);
    if (m->model_version) sb_printf(out, "model_version %lld\n", (long long)m->model_version);
    for (size_t i = 0; i < m->nmetadata; i++) {
        sb_printf(out, "metadata %s = ", m->metadata[i].key);
        put_name(out, m->metadata[i].value);
        sb_putc(out, '\n');
    }
    for (size_t i = 0; i < m->nfunctions; i++) {
        const OnnxFunction *f = &m->functions[i];
        sb_printf(out, "function %s%s%s", f->domain, f->domain[0] ? "." : "", f->name);
        put_names(out, f->inputs, f->ninputs);
        sb_puts(out, " -> ");
        put_names(out, f->outputs, f->noutputs);
        if (f->nopsets) {
            sb_puts(out, " opset_import ");
            put_opsets(out, f->opsets, f->nopsets);
        }
        sb_putc(out, '\n');
        if (f->nattributes) {
            indent(out, 1);
            sb_puts(out, "attributes ");
            put_names(out, f->attributes, f->nattributes);
            sb_putc(out, '\n');
        }
        dump_nodes(out, f->nodes, f->nnodes, o, 1);
    }
    sb_puts(out, "graph ");
    put_name(out, m->graph.name);
    sb_putc(out, '\n');
    dump_graph_body(out, &m->graph, o, 1);
}

/*
 * IR back to DSL text (accc --emit=g): one graph, its constants as params
 * with their recipes, every op as a call (the five infix operators as
 * operators), names made into DSL identifiers. Lowering the text again
 * gives the same computation; dimension names are gone (the IR's shapes
 * are numbers).
 */
#include "frontend.h"

#include <stdlib.h>
#include <string.h>

static const char *const keywords[] = {"graph", "param", "import", "dim", "true", "false"};

static bool valid_ident(const char *s) {
    if (!*s || (*s >= '0' && *s <= '9')) return false;
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            return false;
    for (size_t i = 0; i < ACC_ARRAY_LEN(keywords); i++)
        if (strcmp(s, keywords[i]) == 0) return false;
    return true;
}

/* Names as DSL identifiers, unique: "x.1" becomes x_1, "3" t3, "graph" graph_. */
typedef struct Idents {
    char **name; /* per IrRef */
    int32_t n;
} Idents;

static char *make_ident(const char *raw, bool numbered) {
    StrBuf sb;
    sb_init(&sb);
    if (numbered || (*raw >= '0' && *raw <= '9')) sb_putc(&sb, 't');
    for (const char *p = raw; *p; p++) {
        char c = *p;
        bool ok =
            c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        sb_putc(&sb, ok ? c : '_');
    }
    if (!sb.len) sb_putc(&sb, 't');
    if (!valid_ident(sb.data)) sb_putc(&sb, '_');
    return sb_take(&sb);
}

static void idents_init(Idents *ids, const IrGraph *g) {
    IrNames names;
    ir_names_init(&names, g);
    ids->n = g->nvals;
    ids->name = xcalloc((size_t)g->nvals, sizeof(char *));
    /* Inputs first, then results in order, as the printer numbers them. */
    IrRef *order = xmalloc((size_t)g->nvals * sizeof *order);
    int32_t n = 0;
    for (int i = 0; i < g->ninputs; i++) order[n++] = g->inputs[i];
    ir_for_each_op(g, id) {
        for (int i = 0; i < g->ops[id].nout; i++) order[n++] = g->ops[id].out[i];
    }
    StrSet taken;
    strset_init(&taken);
    for (int32_t k = 0; k < n; k++) {
        IrRef v = order[k];
        const char *raw = names.name[v];
        char *base = make_ident(raw[0] == '#' ? raw + 1 : raw, raw[0] == '#');
        char *id = xstrdup(base);
        for (int suffix = 1; strset_has(&taken, id); suffix++) {
            free(id);
            StrBuf sb;
            sb_init(&sb);
            sb_printf(&sb, "%s_%d", base, suffix);
            id = sb_take(&sb);
        }
        free(base);
        strset_add(&taken, id);
        ids->name[v] = id;
    }
    strset_free(&taken);
    free(order);
    ir_names_free(&names);
}

static void idents_free(Idents *ids) {
    for (int32_t i = 0; i < ids->n; i++) free(ids->name[i]);
    free(ids->name);
}

static void put_string(StrBuf *sb, const char *s) {
    sb_putc(sb, '"');
    sb_puts(sb, s);
    sb_putc(sb, '"');
}

/* An attribute value in DSL syntax (the IR text's, minus the tensor kind). */
static void put_attr(StrBuf *sb, const IrGraph *g, const IrAttr *a) {
    if (a->kind == IR_ATTR_STR)
        put_string(sb, a->u.s);
    else
        ir_print_attr(sb, g, a, NULL);
}

static void put_operand(StrBuf *sb, const Idents *ids, IrRef v) {
    sb_puts(sb, ids->name[v]);
}

static const char *infix_op(IrOpKind kind) {
    switch (kind) {
    case IR_OP_add: return "+";
    case IR_OP_sub: return "-";
    case IR_OP_mul: return "*";
    case IR_OP_div: return "/";
    case IR_OP_matmul: return "@";
    default: return NULL;
    }
}

static void emit_constant(StrBuf *sb, const IrGraph *g, const Idents *ids, IrOpId id,
                          const IrPrintOptions *opts) {
    const IrOp *op = &g->ops[id];
    const IrConst *c = &g->consts[op->attrs[0].u.tensor];
    sb_printf(sb, "    param %s: ", ids->name[op->out[0]]);
    ir_type_print(sb, &c->type);
    sb_puts(sb, " = ");
    /* The IR text of a recipe is valid DSL: zeros, normal(seed=1, std=0.1),
     * load("w.npy"), nested number lists, true/false. */
    ir_print_const(sb, c, opts);
    sb_putc(sb, '\n');
}

static void emit_op(StrBuf *sb, const IrGraph *g, const Idents *ids, IrOpId id) {
    const IrOp *op = &g->ops[id];
    const IrOpInfo *info = ir_op_info(op->kind);
    sb_puts(sb, "    ");
    for (int i = 0; i < op->nout; i++) sb_printf(sb, "%s%s", i ? ", " : "", ids->name[op->out[i]]);
    sb_puts(sb, " = ");
    const char *infix = infix_op(op->kind);
    if (infix) {
        put_operand(sb, ids, op->in[0]);
        sb_printf(sb, " %s ", infix);
        put_operand(sb, ids, op->in[1]);
        sb_putc(sb, '\n');
        return;
    }
    sb_printf(sb, "%s(", info->name);
    bool first = true;
    for (int i = 0; i < op->nin; i++, first = false) {
        if (!first) sb_puts(sb, ", ");
        put_operand(sb, ids, op->in[i]);
    }
    for (int i = 0; i < info->nattrs; i++) {
        const IrAttrSchema *s = &info->attrs[i];
        /* Attributes at their declared default are left out. */
        if (s->presence == IR_ATTR_DEFAULT && ir_attr_equal(&op->attrs[i], &s->def)) continue;
        if (!first) sb_puts(sb, ", ");
        first = false;
        sb_printf(sb, "%s=", s->name);
        put_attr(sb, g, &op->attrs[i]);
    }
    sb_puts(sb, ")\n");
}

static void emit_graph(StrBuf *sb, const IrGraph *g, const IrPrintOptions *opts);

void fe_emit_dsl(StrBuf *sb, const IrGraph *g, const IrPrintOptions *opts) {
    if (!ir_graph_has_bodies(g)) {
        emit_graph(sb, g, opts);
        return;
    }
    /* The DSL has no fused kernels: write them out as the plain ops they
     * stand for (the same results). */
    IrGraph *plain = ir_graph_clone(g);
    ir_unfuse(plain);
    emit_graph(sb, plain, opts);
    ir_graph_free(plain);
}

static void emit_graph(StrBuf *sb, const IrGraph *g, const IrPrintOptions *opts) {
    Idents ids;
    idents_init(&ids, g);
    char *gname = make_ident(g->name, false);
    if (ir_op_lookup(gname, strlen(gname)) >= 0) { /* a graph may not be named like an op */
        char *renamed = xmalloc(strlen(gname) + 2);
        sprintf(renamed, "%s_", gname);
        free(gname);
        gname = renamed;
    }
    sb_printf(sb, "graph %s(", gname);
    free(gname);
    for (int i = 0; i < g->ninputs; i++) {
        sb_printf(sb, "%s%s: ", i ? ", " : "", ids.name[g->inputs[i]]);
        ir_type_print(sb, &g->vals[g->inputs[i]].type);
    }
    sb_puts(sb, ") -> (");
    /* Output names become variables too; keep them clear of value names. */
    char **outs = xcalloc((size_t)(g->noutputs ? g->noutputs : 1), sizeof *outs);
    StrSet out_taken;
    strset_init(&out_taken);
    for (int i = 0; i < g->noutputs; i++) {
        char *base = make_ident(g->outputs[i].name, false);
        outs[i] = xstrdup(base);
        for (int k = 1; !strset_add(&out_taken, outs[i]); k++) { /* "a:0" and "a_0" */
            free(outs[i]);
            outs[i] = xmalloc(strlen(base) + 16);
            sprintf(outs[i], "%s_%d", base, k);
        }
        free(base);
        sb_printf(sb, "%s%s: ", i ? ", " : "", outs[i]);
        ir_type_print(sb, &g->vals[g->outputs[i].val].type);
    }
    sb_puts(sb, ") {\n");
    ir_for_each_op(g, id) {
        if (g->ops[id].kind == IR_OP_constant)
            emit_constant(sb, g, &ids, id, opts);
        else
            emit_op(sb, g, &ids, id);
    }
    for (int i = 0; i < g->noutputs; i++)
        if (strcmp(outs[i], ids.name[g->outputs[i].val]) != 0)
            sb_printf(sb, "    %s = %s\n", outs[i], ids.name[g->outputs[i].val]);
    sb_puts(sb, "}\n");
    for (int i = 0; i < g->noutputs; i++) free(outs[i]);
    free(outs);
    strset_free(&out_taken);
    idents_free(&ids);
}

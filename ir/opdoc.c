/*
 * The op reference of docs/dsl.md, generated from ops.def so the manual
 * cannot drift from the table (tests/unit/ir checks the file is current).
 */
#include "ir.h"

#include <string.h>

/* Markdown table cells cannot hold a bare '|'. */
static void put_cell(StrBuf *sb, const char *s) {
    for (; *s; s++) {
        if (*s == '|') sb_putc(sb, '\\');
        sb_putc(sb, *s);
    }
}

static void put_attr(StrBuf *sb, const IrAttrSchema *s) {
    sb_printf(sb, "`%s`: ", s->name);
    if (s->choices) {
        for (const char *const *c = s->choices; *c; c++)
            sb_printf(sb, "%s`\"%s\"`", c == s->choices ? "" : " or ", *c);
    } else {
        sb_puts(sb, ir_attr_kind_name(s->kind));
    }
    if (s->presence == IR_ATTR_DEFAULT) {
        /* The default as written in the table, after the '='. */
        const char *eq = strchr(s->text, '=');
        if (s->kind == IR_ATTR_STR)
            sb_printf(sb, " = `\"%s\"`", eq + 1);
        else
            sb_printf(sb, " = `%s`", eq + 1);
    } else if (s->presence == IR_ATTR_INFERRED) {
        sb_puts(sb, " (optional)");
    } else {
        sb_puts(sb, " (required)");
    }
}

void ir_op_reference(StrBuf *sb) {
    sb_puts(sb, "| op | operands | results | dtypes | attributes | computes |\n");
    sb_puts(sb, "|---|---|---|---|---|---|\n");
    for (int k = 0; k < IR_OP_COUNT; k++) {
        const IrOpInfo *info = ir_op_info((IrOpKind)k);
        /* The fused kernels are made by the passes, not written in the DSL
         * (docs/ir.md and docs/passes.md describe them). */
        if (ir_attr_slot((IrOpKind)k, "body") >= 0) continue;
        sb_printf(sb, "| `%s` | ", info->name);
        sb_puts(sb, info->operands_text[0] ? "`" : "");
        sb_puts(sb, info->operands_text);
        sb_puts(sb, info->operands_text[0] ? "`" : "");
        sb_printf(sb, " | `%s` | %s | ", info->results_text, ir_types_text(info->types));
        for (int i = 0; i < info->nattrs; i++) {
            if (i) sb_puts(sb, "<br>");
            put_attr(sb, &info->attrs[i]);
        }
        sb_puts(sb, " | ");
        put_cell(sb, info->doc);
        sb_puts(sb, " |\n");
    }
}

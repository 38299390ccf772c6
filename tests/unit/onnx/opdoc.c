/*
 * onnx-opdoc: keeps the ONNX op mapping table of docs/onnx.md and the list
 * tests/conformance/onnx/in_scope_ops.txt equal to the importer's table,
 * frontend/onnx/import.def.
 *
 *   onnx-opdoc --check  docs/onnx.md in_scope_ops.txt   exit 1 if either is stale
 *   onnx-opdoc --update docs/onnx.md in_scope_ops.txt   rewrite them
 *
 * In docs/onnx.md the table sits between the two marker lines below;
 * in_scope_ops.txt is generated whole.
 */
#include "frontend.h"

#include <stdlib.h>
#include <string.h>

static const char begin_marker[] =
    "<!-- ONNX op table: generated from frontend/onnx/import.def by onnx-opdoc -->\n";
static const char end_marker[] = "<!-- end of ONNX op table -->\n";

static void const_inputs(StrBuf *sb, unsigned mask) {
    bool first = true;
    for (int i = 0; i < 32; i++)
        if (mask & (1u << i)) {
            sb_printf(sb, "%s%d", first ? "" : ", ", i);
            first = false;
        }
}

static void doc_table(StrBuf *sb) {
    const FeOnnxOp *ops;
    size_t n = fe_onnx_ops(&ops);
    sb_puts(sb, "| ONNX op | from opset | becomes | constant inputs | notes |\n");
    sb_puts(sb, "|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        sb_printf(sb, "| %s | %d | %s | ", ops[i].name, ops[i].since, ops[i].ir);
        const_inputs(sb, ops[i].const_inputs);
        sb_printf(sb, " | %s |\n", ops[i].notes);
    }
}

static void scope_list(StrBuf *sb) {
    const FeOnnxOp *ops;
    size_t n = fe_onnx_ops(&ops);
    sb_puts(sb, "# ONNX ops (default domain) in scope for accc's importer: each maps onto the\n"
                "# tensor IR (docs/onnx.md). A node test is in scope when every node of its\n"
                "# model uses one of these ops. Generated from frontend/onnx/import.def by\n"
                "# onnx-opdoc (build/tests/unit/onnx-opdoc --update docs/onnx.md THIS_FILE).\n"
                "#\n");
    sb_printf(sb, "# %-26s %s\n", "ONNX op", "IR op(s)");
    for (size_t i = 0; i < n; i++) sb_printf(sb, "%-28s %s\n", ops[i].name, ops[i].ir);
}

/* Compare (and with update, rewrite) the part of path between the markers
 * (or the whole file when begin is NULL) with want. 0 if it matched or was
 * rewritten, 1 if stale or on an error. */
static int sync(const char *path, const char *begin, const char *end, const StrBuf *want,
                bool update) {
    char err[512];
    size_t len;
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "onnx-opdoc: error: %s\n", err);
        return 1;
    }
    char *from = text, *to = text + len;
    if (begin) {
        from = strstr(text, begin);
        to = from ? strstr(from, end) : NULL;
        if (!from || !to) {
            fprintf(stderr, "onnx-opdoc: error: %s lacks the ONNX op table markers\n", path);
            free(text);
            return 1;
        }
        from += strlen(begin);
    }
    bool same = (size_t)(to - from) == want->len && memcmp(from, want->data, want->len) == 0;
    int rc = 0;
    if (!same && !update) {
        fprintf(stderr,
                "onnx-opdoc: error: %s does not match frontend/onnx/import.def; run "
                "build/tests/unit/onnx-opdoc --update with the same files\n",
                path);
        rc = 1;
    } else if (!same) {
        StrBuf out;
        sb_init(&out);
        sb_append(&out, text, (size_t)(from - text));
        sb_append(&out, want->data, want->len);
        sb_puts(&out, to);
        if (file_write_atomic(path, out.data, out.len, err, sizeof err) < 0) {
            fprintf(stderr, "onnx-opdoc: error: %s\n", err);
            rc = 1;
        }
        sb_free(&out);
    }
    free(text);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[1], "--check") && strcmp(argv[1], "--update"))) {
        fprintf(stderr, "usage: onnx-opdoc --check|--update DOCS/onnx.md in_scope_ops.txt\n");
        return 2;
    }
    bool update = strcmp(argv[1], "--update") == 0;
    StrBuf table, list;
    sb_init(&table);
    sb_init(&list);
    doc_table(&table);
    scope_list(&list);
    int rc = sync(argv[2], begin_marker, end_marker, &table, update);
    rc |= sync(argv[3], NULL, NULL, &list, update);
    sb_free(&table);
    sb_free(&list);
    return rc;
}

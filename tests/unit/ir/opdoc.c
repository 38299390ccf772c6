/*
 * ir-opdoc: keeps the op reference in docs/dsl.md equal to ops.def.
 *
 *   ir-opdoc --check docs/dsl.md    exit 1 (with a message) if it is stale
 *   ir-opdoc --update docs/dsl.md   rewrite the generated section in place
 *
 * The section sits between the two marker lines below.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

static const char begin_marker[] = "<!-- op reference: generated from ir/ops.def by ir-opdoc -->\n";
static const char end_marker[] = "<!-- end of op reference -->\n";

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "--check") && strcmp(argv[1], "--update"))) {
        fprintf(stderr, "usage: ir-opdoc --check|--update FILE.md\n");
        return 2;
    }
    const char *path = argv[2];
    char err[512];
    size_t len;
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "ir-opdoc: error: %s\n", err);
        return 1;
    }
    char *begin = strstr(text, begin_marker);
    char *end = begin ? strstr(begin, end_marker) : NULL;
    if (!begin || !end) {
        fprintf(stderr, "ir-opdoc: error: %s lacks the op reference markers\n", path);
        free(text);
        return 1;
    }
    begin += strlen(begin_marker);
    StrBuf want;
    sb_init(&want);
    ir_op_reference(&want);
    int rc = 0;
    bool same = (size_t)(end - begin) == want.len && memcmp(begin, want.data, want.len) == 0;
    if (strcmp(argv[1], "--check") == 0) {
        if (!same) {
            fprintf(stderr,
                    "ir-opdoc: error: the op reference in %s does not match ir/ops.def; "
                    "run ir-opdoc --update %s\n",
                    path, path);
            rc = 1;
        }
    } else if (!same) {
        StrBuf out;
        sb_init(&out);
        sb_append(&out, text, (size_t)(begin - text));
        sb_append(&out, want.data, want.len);
        sb_puts(&out, end);
        if (file_write_atomic(path, out.data, out.len, err, sizeof err) < 0) {
            fprintf(stderr, "ir-opdoc: error: %s\n", err);
            rc = 1;
        }
        sb_free(&out);
    }
    sb_free(&want);
    free(text);
    return rc;
}

/* The generated documentation is checked in: docs/isa.md must equal what
 * isagen makes from the table, and docs/machine.md must carry the preset
 * table isagen makes from presets.def. Regenerate with
 *   cmake --build build --target update-docs
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "support.h"

static char *read_under(const char *env, const char *rel, size_t *len) {
    const char *dir = getenv(env);
    if (!dir) fail_msg("%s is not set (run the test through ctest)", env);
    char *path = path_join(dir, rel);
    char err[512];
    char *text = file_read(path, len, err, sizeof err);
    if (!text) fail_msg("%s", err);
    free(path);
    return text;
}

/* Line number of the first difference, 0 if equal. */
static int first_difference(const char *a, const char *b) {
    int line = 1;
    for (; *a && *a == *b; a++, b++)
        if (*a == '\n') line++;
    return *a == *b ? 0 : line;
}

static void test_isa_md_is_current(void **state) {
    size_t n1, n2;
    char *checked_in = read_under("ACCC_SOURCE_DIR", "docs/isa.md", &n1);
    char *generated = read_under("ACCC_BINARY_DIR", "isa-spec/isa.md", &n2);
    int line = first_difference(checked_in, generated);
    if (line)
        fail_msg("docs/isa.md is out of date with isa-spec/acc1.isa (first difference at line %d);"
                 " run: cmake --build build --target update-docs",
                 line);
    free(checked_in);
    free(generated);
}

static void test_machine_md_has_current_presets(void **state) {
    size_t n1, n2;
    char *doc = read_under("ACCC_SOURCE_DIR", "docs/machine.md", &n1);
    char *table = read_under("ACCC_BINARY_DIR", "isa-spec/machine-presets.md", &n2);
    if (!strstr(doc, table))
        fail_msg("docs/machine.md does not contain the preset table generated from "
                 "isa-spec/presets.def; run: cmake --build build --target update-docs");
    free(doc);
    free(table);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_md_is_current),
        cmocka_unit_test(test_machine_md_has_current_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

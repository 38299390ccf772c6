/* FileDeps and depfiles: the list a build system reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "support.h"

static char *format(const char *target, const FileDeps *deps, bool phony, int *rc) {
    StrBuf sb;
    sb_init(&sb);
    char err[256] = "";
    *rc = deps_format_make(&sb, target, deps, phony, err, sizeof err);
    if (*rc < 0) {
        sb_clear(&sb);
        sb_puts(&sb, err);
    }
    return sb_take(&sb);
}

/* In first-read order, each once; standard input and a NULL list ignored. */
static void test_order_and_repeats(void **state) {
    FileDeps d;
    deps_init(&d);
    deps_add(&d, "model.g");
    deps_add(&d, "layers.g");
    deps_add(&d, "model.g");
    deps_add(&d, "-");
    deps_add(&d, "w.npy");
    deps_add(NULL, "ignored.g");
    assert_int_equal(d.n, 3);
    int rc;
    char *text = format("out/m.bin", &d, false, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(text, "out/m.bin: \\\n  model.g \\\n  layers.g \\\n  w.npy\n");
    free(text);
    text = format("m.bin", &d, true, &rc);
    assert_string_equal(text, "m.bin: \\\n  model.g \\\n  layers.g \\\n  w.npy\n"
                              "\nmodel.g:\n\nlayers.g:\n\nw.npy:\n");
    free(text);
    deps_free(&d);
}

/* What Make and Ninja both undo (tests/lit/tools/depfile.test runs both). */
static void test_escapes(void **state) {
    FileDeps d;
    deps_init(&d);
    deps_add(&d, "a b.g");
    deps_add(&d, "c#d.g");
    deps_add(&d, "e$f.g");
    deps_add(&d, "g:h.g");
    deps_add(&d, "back\\ slash.g");
    deps_add(&d, "dir\\x.g");
    int rc;
    char *text = format("my out.bin", &d, false, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(text, "my\\ out.bin: \\\n"
                              "  a\\ b.g \\\n"
                              "  c\\#d.g \\\n"
                              "  e$$f.g \\\n"
                              "  g\\:h.g \\\n"
                              "  back\\\\\\ slash.g \\\n"
                              "  dir\\x.g\n");
    free(text);
    deps_free(&d);
}

static void test_unwritable_names(void **state) {
    FileDeps d;
    deps_init(&d);
    deps_add(&d, "new\nline.g");
    int rc;
    char *text = format("m.bin", &d, false, &rc);
    assert_int_equal(rc, -1);
    assert_string_equal(text, "cannot list 'new\nline.g' in a depfile: its name holds a newline "
                              "or a tab");
    free(text);
    deps_free(&d);
    deps_init(&d);
    text = format("", &d, false, &rc);
    assert_int_equal(rc, -1);
    assert_string_equal(text, "cannot list '' in a depfile: the name is empty");
    free(text);
    deps_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_repeats),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_unwritable_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

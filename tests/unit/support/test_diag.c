/* Diagnostics: the exact text users and tools see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "support.h"

typedef struct Capture {
    Diag d;
    char *buf;
    size_t len;
    FILE *f;
} Capture;

static void capture_start(Capture *c) {
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    diag_init(&c->d, "accc", c->f);
}

static const char *capture_text(Capture *c) {
    fflush(c->f);
    return c->buf;
}

static void capture_end(Capture *c) {
    diag_free(&c->d);
    fclose(c->f);
    free(c->buf);
}

static const char src[] = "graph g(x: f32[4]) -> (y: f32[4]) {\n"
                          "    y = relu2(x)\n"
                          "\tz = x @ x\n"
                          "}";

static void test_error_with_caret(void **state) {
    Capture c;
    capture_start(&c);
    assert_false(c.d.color); /* a memory stream is not a terminal */
    int f = diag_add_file(&c.d, "model.g", src, strlen(src));
    diag_error(&c.d, diag_loc(f, 2, 9), "unknown op '%s'; did you mean '%s'?", "relu2", "relu");
    assert_string_equal(capture_text(&c), "model.g:2:9: error: unknown op 'relu2'; did you mean "
                                          "'relu'?\n"
                                          "    y = relu2(x)\n"
                                          "        ^\n");
    assert_true(diag_failed(&c.d));
    capture_end(&c);
}

static void test_tabs_keep_caret_aligned(void **state) {
    Capture c;
    capture_start(&c);
    int f = diag_add_file(&c.d, "m.g", src, strlen(src));
    diag_warning(&c.d, diag_loc(f, 3, 6), "odd");
    assert_string_equal(capture_text(&c), "m.g:3:6: warning: odd\n"
                                          "\tz = x @ x\n"
                                          "\t    ^\n");
    assert_false(diag_failed(&c.d));
    capture_end(&c);
}

static void test_locationless_and_counts(void **state) {
    Capture c;
    capture_start(&c);
    diag_error(&c.d, diag_loc(0, 0, 0), "no input files");
    diag_warning(&c.d, diag_loc(0, 0, 0), "w1");
    diag_warning(&c.d, diag_loc(0, 0, 0), "w2");
    assert_true(diag_finish(&c.d));
    assert_string_equal(capture_text(&c), "accc: error: no input files\n"
                                          "accc: warning: w1\n"
                                          "accc: warning: w2\n"
                                          "1 error and 2 warnings generated.\n");
    assert_int_equal(c.d.nerrors, 1);
    assert_int_equal(c.d.nwarnings, 2);
    capture_end(&c);
}

static void test_line_past_end_prints_no_source(void **state) {
    Capture c;
    capture_start(&c);
    int f = diag_add_file(&c.d, "m.g", src, strlen(src));
    diag_error(&c.d, diag_loc(f, 99, 1), "eof");
    assert_string_equal(capture_text(&c), "m.g:99:1: error: eof\n");
    capture_end(&c);
}

static void test_werror(void **state) {
    Capture c;
    capture_start(&c);
    c.d.werror = true;
    diag_warning(&c.d, diag_loc(0, 0, 0), "unused value");
    assert_true(diag_failed(&c.d));
    assert_string_equal(capture_text(&c), "accc: error: unused value [-Werror]\n");
    capture_end(&c);
}

static void test_json(void **state) {
    Capture c;
    capture_start(&c);
    c.d.format = DIAG_JSON;
    int f = diag_add_file(&c.d, "a\"b.g", src, strlen(src));
    diag_error(&c.d, diag_loc(f, 2, 9), "bad \"op\"");
    diag_note(&c.d, diag_loc(0, 0, 0), "n");
    assert_string_equal(capture_text(&c), ""); /* nothing until finish */
    diag_finish(&c.d);
    assert_string_equal(capture_text(&c),
                        "[\n"
                        "  {\"file\": \"a\\\"b.g\", \"line\": 2, \"column\": 9, \"severity\": "
                        "\"error\", \"message\": \"bad \\\"op\\\"\"},\n"
                        "  {\"file\": null, \"line\": 0, \"column\": 0, \"severity\": \"note\", "
                        "\"message\": \"n\"}\n"
                        "]\n");
    capture_end(&c);
}

static void test_error_limit(void **state) {
    Capture c;
    capture_start(&c);
    c.d.max_errors = 2;
    for (int i = 0; i < 5; i++) diag_error(&c.d, diag_loc(0, 0, 0), "e%d", i);
    assert_int_equal(c.d.nerrors, 5);
    assert_string_equal(capture_text(&c), "accc: error: e0\n"
                                          "accc: error: e1\n"
                                          "accc: error: too many errors; not reporting the rest\n");
    capture_end(&c);
}

/* A context prefixes every message while it is set, and only then. */
static void test_context(void **state) {
    Capture c;
    capture_start(&c);
    int f = diag_add_file(&c.d, "model.onnx", "", 0);
    c.d.context = "node 'r' (Reshape): ";
    diag_error(&c.d, diag_loc(f, 0, 0), "shape must be %s", "constant");
    diag_note(&c.d, diag_loc(0, 0, 0), "n");
    c.d.context = NULL;
    diag_error(&c.d, diag_loc(f, 0, 0), "plain");
    assert_string_equal(capture_text(&c), "model.onnx: error: node 'r' (Reshape): shape must be "
                                          "constant\n"
                                          "accc: note: node 'r' (Reshape): n\n"
                                          "model.onnx: error: plain\n");
    capture_end(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_with_caret),
        cmocka_unit_test(test_tabs_keep_caret_aligned),
        cmocka_unit_test(test_locationless_and_counts),
        cmocka_unit_test(test_line_past_end_prints_no_source),
        cmocka_unit_test(test_werror),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

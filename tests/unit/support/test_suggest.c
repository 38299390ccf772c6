/* "Did you mean": edit distance and the closeness limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "support.h"

static void test_edit_distance(void **state) {
    assert_int_equal(str_edit_distance("", ""), 0);
    assert_int_equal(str_edit_distance("relu", "relu"), 0);
    assert_int_equal(str_edit_distance("relu2", "relu"), 1); /* deletion */
    assert_int_equal(str_edit_distance("rlu", "relu"), 1);   /* insertion */
    assert_int_equal(str_edit_distance("relx", "relu"), 1);  /* substitution */
    assert_int_equal(str_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(str_edit_distance("", "abc"), 3);
    assert_int_equal(str_edit_distance("f23", "f32"), 1); /* swap */
    assert_int_equal(str_edit_distance("sfotmax", "softmax"), 1);
    assert_int_equal(str_edit_distance("ab", "ba"), 1);
}

static void test_suggest(void **state) {
    const char *ops[] = {"relu", "elu", "selu", "gelu", "conv2d", NULL, "softmax"};
    size_t n = sizeof ops / sizeof ops[0];
    assert_string_equal(str_suggest("relu2", ops, n), "relu");
    assert_string_equal(str_suggest("conv2", ops, n), "conv2d");
    assert_string_equal(str_suggest("sofmax", ops, n), "softmax");
    /* Too far from everything: no suggestion rather than a silly one. */
    assert_null(str_suggest("matmul", ops, n));
    /* The word itself is not suggested back. */
    const char *self[] = {"relu"};
    assert_null(str_suggest("relu", self, 1));
    /* A one-letter name is no typo of another one-letter name. */
    const char *names[] = {"a", "b"};
    assert_null(str_suggest("x", names, 2));
    assert_string_equal(str_suggest("ab", (const char *[]){"xb"}, 1), "xb");
}

/* StrSet and StrMap (in the same test: all serve name handling). */
static void test_strset(void **state) {
    StrSet s;
    strset_init(&s);
    assert_false(strset_has(&s, "x"));
    assert_true(strset_add(&s, "x"));
    assert_false(strset_add(&s, "x"));
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "name%d", i);
        assert_true(strset_add(&s, buf));
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "name%d", i);
        assert_true(strset_has(&s, buf));
    }
    assert_false(strset_has(&s, "name1000"));
    assert_int_equal(s.n, 1001);
    strset_free(&s);
    assert_false(strset_has(&s, "x"));
}

static void test_strmap(void **state) {
    StrMap m;
    strmap_init(&m);
    assert_null(strmap_get(&m, "x"));
    strmap_put(&m, "x", 7);
    assert_int_equal(*strmap_get(&m, "x"), 7);
    strmap_put(&m, "x", -1); /* replaces */
    assert_int_equal(*strmap_get(&m, "x"), -1);
    assert_int_equal(m.n, 1);
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        strmap_put(&m, buf, i * 3);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        assert_non_null(strmap_get(&m, buf));
        assert_int_equal(*strmap_get(&m, buf), i * 3);
    }
    assert_null(strmap_get(&m, "v1000"));
    assert_null(strmap_get(&m, ""));
    strmap_put(&m, "", 5); /* the empty string is a key like any other */
    assert_int_equal(*strmap_get(&m, ""), 5);
    assert_int_equal(m.n, 1002);
    strmap_free(&m);
    assert_null(strmap_get(&m, "x"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_strset),
        cmocka_unit_test(test_strmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

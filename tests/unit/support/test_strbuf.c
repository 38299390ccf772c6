/* StrBuf and the checked allocator's growth helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static void test_append_printf(void **state) {
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "tile ");
    sb_printf(&sb, "%d: %s", 7, "ok");
    sb_putc(&sb, '!');
    assert_string_equal(sb.data, "tile 7: ok!");
    assert_int_equal(sb.len, 11);
    for (int i = 0; i < 10000; i++) sb_putc(&sb, 'x');
    assert_int_equal(sb.len, 10011);
    assert_int_equal(strlen(sb.data), 10011);
    sb_clear(&sb);
    assert_string_equal(sb.data, "");
    sb_free(&sb);
}

static void test_json_string(void **state) {
    StrBuf sb;
    sb_init(&sb);
    sb_json_string(&sb, "a\"b\\c\nd\te\x01");
    assert_string_equal(sb.data, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    sb_free(&sb);
}

static void test_take(void **state) {
    StrBuf sb;
    sb_init(&sb);
    char *empty = sb_take(&sb);
    assert_string_equal(empty, "");
    free(empty);
    sb_puts(&sb, "x");
    char *s = sb_take(&sb);
    assert_string_equal(s, "x");
    assert_null(sb.data);
    free(s);
}

static void test_xgrow(void **state) {
    int *v = NULL;
    size_t cap = 0;
    for (size_t n = 1; n <= 1000; n++) {
        XGROW(v, cap, n);
        assert_true(cap >= n);
        v[n - 1] = (int)n;
    }
    assert_int_equal(v[999], 1000);
    free(v);
}

static const char *shortest_double(StrBuf *sb, double v) {
    sb_clear(sb);
    sb_put_double(sb, v);
    return sb->data;
}

static const char *shortest_float(StrBuf *sb, float v) {
    sb_clear(sb);
    sb_put_float(sb, v);
    return sb->data;
}

/* The shortest text that reads back exactly, always recognisable as a float. */
static void test_put_double(void **state) {
    StrBuf sb;
    sb_init(&sb);
    assert_string_equal(shortest_double(&sb, 0.1), "0.1");
    assert_string_equal(shortest_double(&sb, 1e-5), "1e-05");
    assert_string_equal(shortest_double(&sb, 3.0), "3.0");
    assert_string_equal(shortest_double(&sb, 10.0), "10.0");
    assert_string_equal(shortest_double(&sb, 1234.5), "1234.5");
    assert_string_equal(shortest_double(&sb, 0.001), "0.001");
    assert_string_equal(shortest_double(&sb, 1e16), "1e+16");
    assert_string_equal(shortest_double(&sb, 1.5e300), "1.5e+300");
    assert_string_equal(shortest_double(&sb, -2.5e-7), "-2.5e-07");
    assert_string_equal(shortest_double(&sb, -0.0), "-0.0");
    assert_string_equal(shortest_double(&sb, 1.0 / 3.0), "0.3333333333333333");
    assert_string_equal(shortest_double(&sb, INFINITY), "inf");
    assert_string_equal(shortest_double(&sb, -INFINITY), "-inf");
    assert_string_equal(shortest_double(&sb, NAN), "nan");
    /* A float printed as a float: 0.1f is not 0.1. */
    assert_string_equal(shortest_float(&sb, 0.1f), "0.1");
    assert_string_equal(shortest_float(&sb, 16777217.0f), "16777216.0");
    assert_string_equal(shortest_float(&sb, 1.17549435e-38f), "1.1754944e-38");
    for (int i = 0; i < 1000; i++) {
        float f = (float)i / 7.0f - 50.0f;
        assert_true(strtof(shortest_float(&sb, f), NULL) == f);
        double d = (double)i / 7.0 - 50.0;
        assert_true(strtod(shortest_double(&sb, d), NULL) == d);
    }
    sb_free(&sb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_printf), cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_take),          cmocka_unit_test(test_xgrow),
        cmocka_unit_test(test_put_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

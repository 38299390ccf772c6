/* StrBuf and the checked allocator's growth helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_printf),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_xgrow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

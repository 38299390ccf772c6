/* Arena: alignment, zeroing, large blocks, reuse after free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support.h"

static void test_alignment_and_zeroing(void **state) {
    Arena a;
    arena_init(&a);
    for (size_t align = 1; align <= 64; align *= 2) {
        (void)arena_alloc(&a, 3, 1); /* knock the bump pointer off alignment */
        unsigned char *p = arena_alloc(&a, 100, align);
        assert_int_equal((uintptr_t)p % align, 0);
        for (int i = 0; i < 100; i++) assert_int_equal(p[i], 0);
        memset(p, 0xab, 100);
    }
    arena_free(&a);
}

static void test_many_and_large(void **state) {
    Arena a;
    arena_init(&a);
    int *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = ARENA_ARRAY(&a, int, 100);
        for (int j = 0; j < 100; j++) ptrs[i][j] = i * 100 + j;
    }
    /* Later allocations never overlap earlier ones. */
    for (int i = 0; i < 1000; i++)
        for (int j = 0; j < 100; j++) assert_int_equal(ptrs[i][j], i * 100 + j);
    char *big = arena_alloc(&a, 10 << 20, 16); /* bigger than any block so far */
    memset(big, 1, 10 << 20);
    assert_int_equal(ptrs[999][99], 99999);
    assert_true(a.total >= 1000 * 100 * sizeof(int) + (10 << 20));
    arena_free(&a);
    assert_null(a.head);
    /* The arena works again after a free. */
    char *s = arena_strdup(&a, "again");
    assert_string_equal(s, "again");
    arena_free(&a);
}

static void test_strings(void **state) {
    Arena a;
    arena_init(&a);
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    assert_string_equal(arena_printf(&a, "%s-%d", "tile", 37), "tile-37");
    arena_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_zeroing),
        cmocka_unit_test(test_many_and_large),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

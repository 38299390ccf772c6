/*
 * .npy reader and writer. Every malformed case is parsed from a buffer of
 * exactly the file's size, so a read past the end is caught by ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

/* Build a .npy image by hand: version major.0, the given header text
 * (padded to 64-byte alignment as NumPy does), then nbytes of data. */
static StrBuf make_npy(int major, const char *header, const void *data, size_t nbytes) {
    StrBuf sb, hdr;
    sb_init(&sb);
    sb_init(&hdr);
    sb_puts(&hdr, header);
    size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + hdr.len + 1) % 64) sb_putc(&hdr, ' ');
    sb_putc(&hdr, '\n');
    unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
    for (size_t i = 0; i < prefix - 8; i++) pre[8 + i] = (unsigned char)(hdr.len >> (8 * i));
    sb_append(&sb, pre, prefix);
    sb_append(&sb, hdr.data, hdr.len);
    sb_append(&sb, data, nbytes);
    sb_free(&hdr);
    return sb;
}

/* Parse from an exact-size heap copy; returns the parser's result. */
static int parse_exact(const void *buf, size_t len, NpyArray *out, char *err, size_t errlen) {
    void *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    int rc = npy_parse(copy, len, out, err, errlen);
    free(copy);
    return rc;
}

static void expect_error(const StrBuf *img, const char *needle) {
    NpyArray a;
    char err[512] = "";
    assert_int_equal(parse_exact(img->data, img->len, &a, err, sizeof err), -1);
    if (!strstr(err, needle)) fail_msg("error '%s' does not mention '%s'", err, needle);
    assert_null(a.data);
}

static void test_round_trip_every_dtype(void **state) {
    for (int t = 0; t < ACC_DTYPE_COUNT; t++) {
        if (t == ACC_DTYPE_BF16) continue; /* NumPy has no bf16 */
        int64_t shape[3] = {2, 3, 4};
        NpyArray a, b;
        npy_alloc(&a, (AccDtype)t, 3, shape);
        assert_int_equal(a.count, 24);
        for (size_t i = 0; i < a.count; i++)
            dtype_set(a.dtype, a.data, i,
                      t == ACC_DTYPE_BOOL ? (double)(i % 3 == 0) : (double)i - 7);
        StrBuf img;
        sb_init(&img);
        npy_serialize(&a, &img);
        assert_int_equal(img.len % 64, (24 * dtype_size(a.dtype)) % 64); /* data is aligned */
        char err[256];
        assert_int_equal(parse_exact(img.data, img.len, &b, err, sizeof err), 0);
        assert_int_equal(b.dtype, a.dtype);
        assert_int_equal(b.ndim, 3);
        assert_true(b.shape[0] == 2 && b.shape[1] == 3 && b.shape[2] == 4);
        assert_memory_equal(a.data, b.data, 24 * dtype_size(a.dtype));
        npy_free(&a);
        npy_free(&b);
        sb_free(&img);
    }
}

static void test_scalar_and_1d_and_empty(void **state) {
    NpyArray a;
    char err[256];
    float one = 1.5f;
    StrBuf s = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &one, 4);
    assert_int_equal(parse_exact(s.data, s.len, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    assert_true(((float *)a.data)[0] == 1.5f);
    npy_free(&a);
    sb_free(&s);

    int32_t v[3] = {1, -2, 3};
    s = make_npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", v, 12);
    assert_int_equal(parse_exact(s.data, s.len, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(((int32_t *)a.data)[1], -2);
    /* Our writer produces the same bytes NumPy would for this array. */
    StrBuf mine;
    sb_init(&mine);
    npy_serialize(&a, &mine);
    assert_int_equal(mine.len, s.len);
    assert_memory_equal(mine.data, s.data, s.len);
    sb_free(&mine);
    npy_free(&a);
    sb_free(&s);

    s = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", NULL, 0);
    assert_int_equal(parse_exact(s.data, s.len, &a, err, sizeof err), 0);
    assert_int_equal(a.count, 0);
    npy_free(&a);
    sb_free(&s);
}

static void test_versions_2_and_3(void **state) {
    uint8_t d[2] = {7, 9};
    for (int major = 2; major <= 3; major++) {
        NpyArray a;
        char err[256];
        StrBuf s = make_npy(
            major, "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (2,)}", d, 2);
        assert_int_equal(parse_exact(s.data, s.len, &a, err, sizeof err), 0);
        assert_int_equal(a.dtype, ACC_DTYPE_U8);
        assert_int_equal(((uint8_t *)a.data)[1], 9);
        npy_free(&a);
        sb_free(&s);
    }
}

static void test_bool_canonicalised(void **state) {
    uint8_t d[3] = {0, 1, 5};
    NpyArray a;
    char err[256];
    StrBuf s = make_npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", d, 3);
    assert_int_equal(parse_exact(s.data, s.len, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, ACC_DTYPE_BOOL);
    assert_int_equal(((uint8_t *)a.data)[2], 1);
    npy_free(&a);
    sb_free(&s);
}

static void test_every_truncation_rejected(void **state) {
    int64_t shape[2] = {3, 5};
    NpyArray a;
    npy_alloc(&a, ACC_DTYPE_F64, 2, shape);
    StrBuf img;
    sb_init(&img);
    npy_serialize(&a, &img);
    npy_free(&a);
    for (size_t len = 0; len < img.len; len++) {
        NpyArray b;
        char err[512] = "";
        assert_int_equal(parse_exact(img.data, len, &b, err, sizeof err), -1);
        assert_true(strstr(err, "truncated") || strstr(err, "too short"));
    }
    sb_free(&img);
}

static void test_rejections(void **state) {
    float f[6] = {0};
    StrBuf s;
#define REJECT(major, header, nbytes, needle)                                                      \
    do {                                                                                           \
        s = make_npy(major, header, f, nbytes);                                                    \
        expect_error(&s, needle);                                                                  \
        sb_free(&s);                                                                               \
    } while (0)
    REJECT(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, "Fortran-order");
    REJECT(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "big-endian");
    REJECT(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", 24,
           "unsupported .npy dtype");
    REJECT(1, "{'descr': '<f4', 'shape': (2, 3), }", 24, "missing 'fortran_order'");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 24,
           "unexpected key");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24, "bad dimension");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", 24, "unterminated");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 24, "not a tuple");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4,
           "more than 8 dimensions");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, "truncated");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 23, "truncated");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", 24, "malformed");
    REJECT(1,
           "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, "
           "99999999999), }",
           24, "too large");
    REJECT(1, "{'descr: '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "malformed");
    REJECT(1, "'descr': '<f4'", 24, "expected '{'");
    REJECT(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", 24, "junk");
    REJECT(1, "{'descr': '<f4', 'fortran_order': maybe, 'shape': (2, 3), }", 24, "not a bool");
    REJECT(4, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "version 4.0");
#undef REJECT
    static const char not_npy[] = "\x89PNG\r\n\x1a\n0000000000";
    StrBuf png;
    sb_init(&png);
    sb_append(&png, not_npy, sizeof not_npy - 1);
    expect_error(&png, "bad magic");
    sb_free(&png);

    /* Header length pointing past the end of the file. */
    StrBuf hl = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f, 8);
    hl.data[8] = (char)0xff, hl.data[9] = (char)0x7f;
    expect_error(&hl, "truncated .npy file: header says 32767 bytes");
    sb_free(&hl);

    /* A NUL byte inside the header. */
    StrBuf nul = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f, 8);
    nul.data[20] = '\0';
    expect_error(&nul, "not text");
    sb_free(&nul);
}

static void test_files(void **state) {
    char dir[] = "/tmp/accc-npy-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = path_join(dir, "a.npy");
    int64_t shape[1] = {4};
    NpyArray a, b;
    npy_alloc(&a, ACC_DTYPE_I64, 1, shape);
    ((int64_t *)a.data)[3] = INT64_MIN;
    char err[512];
    assert_int_equal(npy_save(path, &a, err, sizeof err), 0);
    assert_int_equal(npy_load(path, &b, err, sizeof err), 0);
    assert_true(((int64_t *)b.data)[3] == INT64_MIN);
    npy_free(&b);
    char *missing = path_join(dir, "nope.npy");
    assert_int_equal(npy_load(missing, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "nope.npy"));
    /* A save into a directory that does not exist fails and leaves nothing. */
    char *bad = path_join(dir, "no/such/dir/x.npy");
    assert_int_equal(npy_save(bad, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create"));
    npy_free(&a);
    unlink(path);
    rmdir(dir);
    free(path);
    free(missing);
    free(bad);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_dtype),
        cmocka_unit_test(test_scalar_and_1d_and_empty),
        cmocka_unit_test(test_versions_2_and_3),
        cmocka_unit_test(test_bool_canonicalised),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

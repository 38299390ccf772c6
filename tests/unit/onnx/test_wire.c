/*
 * The protobuf wire format: varints, fixed-width scalars, lengths, packed
 * and unpacked repeated fields, nesting, unknown fields of every wire type,
 * and every way a message can be malformed. Each input is decoded from a
 * heap buffer of exactly its size, so a read past the end is caught by ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "pbenc.h"

/* A test message: every kind of field, and itself nested as "msg". */
static const PbFieldDesc schema[] = {
    {"v", 1, PB_KIND_VARINT},   {"f", 2, PB_KIND_I32},         {"d", 3, PB_KIND_I64},
    {"s", 4, PB_KIND_LEN},      {"vs", 5, PB_KIND_REP_VARINT}, {"fs", 6, PB_KIND_REP_I32},
    {"ds", 7, PB_KIND_REP_I64}, {"msg", 8, PB_KIND_LEN},       {"i32", 9, PB_KIND_VARINT},
    {NULL, 0, PB_KIND_END},
};

typedef struct Decoded {
    uint64_t v;
    float f;
    double d;
    char *s;
    PbVec vs, fs, ds;
    int32_t i32;
    int nmsgs; /* messages seen, at every depth */
    int max_depth;
} Decoded;

typedef struct Run {
    Arena arena;
    PbDecoder dec;
    Decoded out;
    int rc;
} Run;

static int decode(PbMsg *m, Run *r, int depth) {
    PbField f;
    int rc;
    long nsub = 0;
    Decoded *o = &r->out;
    if (depth > o->max_depth) o->max_depth = depth;
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case 1: o->v = pb_uint64(&f); break;
        case 2: o->f = pb_float(&f); break;
        case 3: o->d = pb_double(&f); break;
        case 4:
            if (!(o->s = pb_string(m, &f, &r->arena))) return -1;
            break;
        case 5:
            if (pb_append_varints(m, &f, &r->arena, &o->vs)) return -1;
            break;
        case 6:
            if (pb_append_floats(m, &f, &r->arena, &o->fs)) return -1;
            break;
        case 7:
            if (pb_append_doubles(m, &f, &r->arena, &o->ds)) return -1;
            break;
        case 8: {
            PbMsg sub;
            o->nmsgs++;
            if (pb_enter(m, &f, schema, nsub++, &sub)) return -1;
            if (decode(&sub, r, depth + 1)) return -1;
            pb_leave(&sub);
            break;
        }
        case 9:
            if (pb_int32(m, &f, &o->i32)) return -1;
            break;
        }
    }
    return rc;
}

/* Decode img from an exact-size copy. */
static void run(Run *r, const void *img, size_t len) {
    memset(r, 0, sizeof(*r));
    arena_init(&r->arena);
    void *copy = exact_copy(img, len);
    pb_decoder_init(&r->dec, copy, len);
    PbMsg root = pb_root(&r->dec, schema);
    r->rc = decode(&root, r, 0);
    free(copy);
    if (r->rc < 0) assert_true(r->dec.failed);
}

static void run_sb(Run *r, StrBuf *sb) {
    run(r, sb->data ? sb->data : "", sb->len);
    sb_free(sb);
}

static void done(Run *r) {
    arena_free(&r->arena);
}

static void expect_ok(Run *r) {
    if (r->rc != 0) fail_msg("unexpected error: %s", r->dec.err);
}

static void expect_error(Run *r, const char *msg) {
    if (r->rc == 0) fail_msg("no error; expected '%s'", msg);
    if (strcmp(r->dec.err, msg) != 0) fail_msg("error '%s', expected '%s'", r->dec.err, msg);
}

/* ---- Varints --------------------------------------------------------------- */

static void test_varint_every_length(void **state) {
    /* 2^(7k) - 1 is the largest k-byte varint, 2^(7k) the smallest (k+1)-byte one. */
    for (int k = 1; k <= 10; k++) {
        uint64_t lo = k == 1 ? 0 : (uint64_t)1 << (7 * (k - 1));
        uint64_t hi = k == 10 ? UINT64_MAX : ((uint64_t)1 << (7 * k)) - 1;
        uint64_t vals[] = {lo, hi, lo + (hi - lo) / 3};
        for (size_t i = 0; i < 3; i++) {
            StrBuf b;
            sb_init(&b);
            enc_int(&b, 1, (int64_t)vals[i]);
            assert_int_equal(b.len, 1 + (size_t)k);
            Run r;
            run_sb(&r, &b);
            expect_ok(&r);
            assert_true(r.out.v == vals[i]);
            done(&r);
        }
    }
}

static void test_varint_padded_is_accepted(void **state) {
    /* Protobuf accepts non-minimal varints: 0 in two bytes, 127 in ten. */
    const uint8_t two[] = {0x08, 0x80, 0x00};
    const uint8_t ten[] = {0x08, 0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    Run r;
    run(&r, two, sizeof two);
    expect_ok(&r);
    assert_true(r.out.v == 0);
    done(&r);
    run(&r, ten, sizeof ten);
    expect_ok(&r);
    assert_true(r.out.v == 127);
    done(&r);
}

static void test_varint_too_long(void **state) {
    uint8_t b[13] = {0x08};
    for (int i = 1; i <= 10; i++) b[i] = 0x80;
    b[11] = 0x00; /* an 11-byte zero */
    Run r;
    run(&r, b, 12);
    expect_error(&r, "v: varint longer than 10 bytes at byte 1");
    done(&r);
}

static void test_varint_overflow(void **state) {
    uint8_t b[11] = {0x08};
    for (int i = 1; i <= 9; i++) b[i] = 0xff;
    b[10] = 0x01; /* bit 63: UINT64_MAX, fine */
    Run r;
    run(&r, b, 11);
    expect_ok(&r);
    assert_true(r.out.v == UINT64_MAX);
    done(&r);
    b[10] = 0x02; /* bit 64 */
    run(&r, b, 11);
    expect_error(&r, "v: varint overflows 64 bits at byte 1");
    done(&r);
}

static void test_varint_truncated(void **state) {
    const uint8_t b[] = {0x08, 0x96, 0x81};
    Run r;
    run(&r, b, sizeof b);
    expect_error(&r, "v: truncated varint at byte 1");
    done(&r);
    run(&r, b, 1);
    expect_error(&r, "v: truncated varint at byte 1");
    done(&r);
}

static void test_int32_range(void **state) {
    StrBuf b;
    sb_init(&b);
    enc_int(&b, 9, -1); /* a negative int32 is a 10-byte sign-extended varint */
    assert_int_equal(b.len, 11);
    Run r;
    run_sb(&r, &b);
    expect_ok(&r);
    assert_int_equal(r.out.i32, -1);
    done(&r);
    sb_init(&b);
    enc_int(&b, 9, (int64_t)1 << 31);
    run_sb(&r, &b);
    expect_error(&r, "i32: int32 value 2147483648 out of range at byte 0");
    done(&r);
}

/* ---- Keys and wire types ---------------------------------------------------- */

static void test_bad_keys(void **state) {
    Run r;
    const uint8_t zero[] = {0x00};
    run(&r, zero, 1);
    expect_error(&r, "invalid field number 0 at byte 0");
    done(&r);
    const uint8_t wire6[] = {0x0e}, wire7[] = {0x0f};
    run(&r, wire6, 1);
    expect_error(&r, "invalid wire type 6 at byte 0");
    done(&r);
    run(&r, wire7, 1);
    expect_error(&r, "invalid wire type 7 at byte 0");
    done(&r);
    const uint8_t cut[] = {0x80};
    run(&r, cut, 1);
    expect_error(&r, "truncated field key at byte 0");
    done(&r);
    StrBuf b;
    sb_init(&b);
    enc_varint(&b, (uint64_t)1 << 32); /* field number 2^29 */
    run_sb(&r, &b);
    expect_error(&r, "invalid field number 536870912 at byte 0");
    done(&r);
}

static void test_wrong_wire_type(void **state) {
    const uint8_t len_for_varint[] = {0x0a, 0x00};
    Run r;
    run(&r, len_for_varint, sizeof len_for_varint);
    expect_error(&r, "v: length-delimited field, expected varint at byte 0");
    done(&r);
    const uint8_t varint_for_float[] = {0x10, 0x01};
    run(&r, varint_for_float, sizeof varint_for_float);
    expect_error(&r, "f: varint field, expected fixed32 at byte 0");
    done(&r);
    const uint8_t fixed32_for_repeated_varint[] = {0x2d, 0, 0, 0, 0};
    run(&r, fixed32_for_repeated_varint, sizeof fixed32_for_repeated_varint);
    expect_error(&r, "vs: fixed32 field, expected varint or packed at byte 0");
    done(&r);
}

/* ---- Fixed-width scalars and lengths ---------------------------------------- */

static void test_fixed_and_strings(void **state) {
    StrBuf b;
    sb_init(&b);
    enc_float(&b, 2, -1.5f);
    enc_double(&b, 3, 1e300);
    enc_str(&b, 4, "hello");
    enc_str(&b, 4, "last wins");
    Run r;
    run_sb(&r, &b);
    expect_ok(&r);
    assert_true(r.out.f == -1.5f);
    assert_true(r.out.d == 1e300);
    assert_string_equal(r.out.s, "last wins");
    done(&r);
}

static void test_truncated_fixed(void **state) {
    const uint8_t f32[] = {0x15, 0x00, 0x00, 0x80};
    const uint8_t f64[] = {0x19, 0, 0, 0, 0, 0, 0, 0};
    Run r;
    run(&r, f32, sizeof f32);
    expect_error(&r, "f: truncated fixed32 at byte 1");
    done(&r);
    run(&r, f64, sizeof f64);
    expect_error(&r, "d: truncated fixed64 at byte 1");
    done(&r);
}

static void test_length_checks(void **state) {
    const uint8_t past_end[] = {0x22, 0x05, 'a', 'b'};
    Run r;
    run(&r, past_end, sizeof past_end);
    expect_error(&r, "s: length 5 exceeds the 2 bytes left in the message at byte 1");
    done(&r);
    const uint8_t huge[] = {0x22, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    run(&r, huge, sizeof huge);
    expect_error(&r, "s: length 18446744073709551615 exceeds the 0 bytes left in the message "
                     "at byte 1");
    done(&r);
    const uint8_t cut_length[] = {0x22, 0x80};
    run(&r, cut_length, sizeof cut_length);
    expect_error(&r, "s: truncated length at byte 1");
    done(&r);
    /* Inside a nested message the limit is the nested message's end, even
     * though the outer buffer has more bytes. */
    const uint8_t nested[] = {0x42, 0x02, 0x22, 0x03, 'x', 'y', 'z'};
    run(&r, nested, sizeof nested);
    expect_error(&r, "msg[0].s: length 3 exceeds the 0 bytes left in the message at byte 3");
    done(&r);
    const uint8_t nul[] = {0x22, 0x03, 'a', 0, 'b'};
    run(&r, nul, sizeof nul);
    expect_error(&r, "s: string contains a NUL byte at byte 3");
    done(&r);
}

/* ---- Repeated scalars: packed and unpacked ---------------------------------- */

static void test_repeated_packed_and_unpacked(void **state) {
    StrBuf b;
    sb_init(&b);
    int64_t packed[] = {3, -4, 300};
    enc_int(&b, 5, 1);
    enc_int(&b, 5, 2);
    enc_packed_ints(&b, 5, packed, 3);
    enc_packed_ints(&b, 5, NULL, 0); /* an empty run adds nothing */
    enc_int(&b, 5, INT64_MIN);
    float fp[] = {2.5f, -0.0f};
    enc_float(&b, 6, 1.0f);
    enc_packed_floats(&b, 6, fp, 2);
    enc_float(&b, 6, 3.0f);
    double dp[] = {2.0, 3.0};
    enc_packed_doubles(&b, 7, dp, 2);
    enc_double(&b, 7, -1.0);
    enc_str(&b, 4, "between"); /* other fields interleaved */
    enc_int(&b, 5, 7);
    Run r;
    run_sb(&r, &b);
    expect_ok(&r);
    const uint64_t *vs = r.out.vs.data;
    assert_int_equal(r.out.vs.len, 7);
    int64_t want[] = {1, 2, 3, -4, 300, INT64_MIN, 7};
    for (int i = 0; i < 7; i++) assert_true((int64_t)vs[i] == want[i]);
    const float *fs = r.out.fs.data;
    assert_int_equal(r.out.fs.len, 4);
    assert_true(fs[0] == 1.0f && fs[1] == 2.5f && fs[2] == 0.0f && fs[3] == 3.0f);
    assert_true(f32_bits(fs[2]) == 0x80000000u); /* -0.0 kept bit-exact */
    const double *ds = r.out.ds.data;
    assert_int_equal(r.out.ds.len, 3);
    assert_true(ds[0] == 2.0 && ds[1] == 3.0 && ds[2] == -1.0);
    done(&r);
}

static void test_packed_errors(void **state) {
    Run r;
    const uint8_t cut_varint[] = {0x2a, 0x02, 0x05, 0x80};
    run(&r, cut_varint, sizeof cut_varint);
    expect_error(&r, "vs: truncated packed varint at byte 3");
    done(&r);
    const uint8_t long_varint[] = {0x2a, 0x0b, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    run(&r, long_varint, sizeof long_varint);
    expect_error(&r, "vs: packed varint longer than 10 bytes at byte 2");
    done(&r);
    const uint8_t odd_floats[] = {0x32, 0x03, 0, 0, 0};
    run(&r, odd_floats, sizeof odd_floats);
    expect_error(&r, "fs: packed fixed32 run of 3 bytes is not a multiple of 4 at byte 0");
    done(&r);
    const uint8_t odd_doubles[] = {0x3a, 0x04, 0, 0, 0, 0};
    run(&r, odd_doubles, sizeof odd_doubles);
    expect_error(&r, "ds: packed fixed64 run of 4 bytes is not a multiple of 8 at byte 0");
    done(&r);
}

/* ---- Unknown fields ---------------------------------------------------------- */

static void test_unknown_fields_skipped(void **state) {
    StrBuf b, inner;
    sb_init(&b);
    enc_int(&b, 100, 12345);                     /* varint */
    enc_fixed64(&b, 101, 0x0123456789abcdefull); /* fixed64 */
    enc_str(&b, 102, "not for us");              /* length-delimited */
    enc_fixed32(&b, 103, 7);                     /* fixed32 */
    enc_key(&b, 104, PB_SGROUP);                 /* a group with fields and a nested group */
    enc_int(&b, 1, 999);                         /* field 1 inside the group: not ours */
    enc_str(&b, 2, "x");
    enc_key(&b, 105, PB_SGROUP);
    enc_fixed32(&b, 3, 1);
    enc_key(&b, 105, PB_EGROUP);
    enc_key(&b, 104, PB_EGROUP);
    enc_int(&b, 1, 42); /* the known field after all of that */
    /* and unknown fields inside a nested known message */
    sb_init(&inner);
    enc_int(&inner, 77, 1);
    enc_str(&inner, 4, "inner");
    enc_msg(&b, 8, &inner);
    Run r;
    run_sb(&r, &b);
    expect_ok(&r);
    assert_true(r.out.v == 42);
    assert_string_equal(r.out.s, "inner");
    assert_int_equal(r.out.nmsgs, 1);
    done(&r);
}

static void test_unknown_field_errors(void **state) {
    Run r;
    StrBuf b;
    sb_init(&b);
    enc_key(&b, 104, PB_SGROUP);
    enc_int(&b, 1, 1);
    run_sb(&r, &b);
    expect_error(&r, "#104: group of field 104 is not closed at byte 0");
    done(&r);

    sb_init(&b);
    enc_key(&b, 104, PB_SGROUP);
    enc_key(&b, 105, PB_EGROUP);
    run_sb(&r, &b);
    expect_error(&r, "#104: end-group of field 105 inside the group of field 104 at byte 2");
    done(&r);

    sb_init(&b);
    enc_key(&b, 104, PB_EGROUP);
    run_sb(&r, &b);
    expect_error(&r, "#104: end-group without a start-group at byte 0");
    done(&r);

    sb_init(&b);
    enc_key(&b, 104, PB_LEN);
    enc_varint(&b, 9);
    run_sb(&r, &b);
    expect_error(&r, "#104: length 9 exceeds the 0 bytes left in the message at byte 2");
    done(&r);

    /* A known field as a group is a wire-type error, not something to skip. */
    sb_init(&b);
    enc_key(&b, 8, PB_SGROUP);
    enc_key(&b, 8, PB_EGROUP);
    run_sb(&r, &b);
    expect_error(&r, "msg: start-group field, expected length-delimited at byte 0");
    done(&r);
}

static void test_group_depth_limit(void **state) {
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < PB_MAX_DEPTH + 1; i++) enc_key(&b, 200, PB_SGROUP);
    for (int i = 0; i < PB_MAX_DEPTH + 1; i++) enc_key(&b, 200, PB_EGROUP);
    Run r;
    run_sb(&r, &b);
    assert_int_equal(r.rc, -1);
    assert_non_null(strstr(r.dec.err, "groups nested deeper than 100"));
    done(&r);
    /* 99 nested groups are fine. */
    sb_init(&b);
    for (int i = 0; i < PB_MAX_DEPTH - 1; i++) enc_key(&b, 200, PB_SGROUP);
    for (int i = 0; i < PB_MAX_DEPTH - 1; i++) enc_key(&b, 200, PB_EGROUP);
    run_sb(&r, &b);
    expect_ok(&r);
    done(&r);
}

/* ---- Nesting ------------------------------------------------------------------ */

/* depth messages nested in one another, the innermost holding v = 5. */
static StrBuf nested(int depth) {
    StrBuf b;
    sb_init(&b);
    enc_int(&b, 1, 5);
    for (int i = 0; i < depth; i++) {
        StrBuf outer;
        sb_init(&outer);
        enc_msg(&outer, 8, &b);
        b = outer;
    }
    return b;
}

static void test_nested_messages(void **state) {
    StrBuf b = nested(3);
    Run r;
    run_sb(&r, &b);
    expect_ok(&r);
    assert_int_equal(r.out.nmsgs, 3);
    assert_int_equal(r.out.max_depth, 3);
    assert_true(r.out.v == 5);
    done(&r);

    b = nested(PB_MAX_DEPTH);
    run_sb(&r, &b);
    expect_ok(&r);
    assert_int_equal(r.out.max_depth, PB_MAX_DEPTH);
    done(&r);

    b = nested(PB_MAX_DEPTH + 1);
    run_sb(&r, &b);
    assert_int_equal(r.rc, -1);
    /* A deep path keeps its first 3 and last 4 frames. */
    assert_non_null(strstr(r.dec.err, "msg[0].msg[0].msg[0].(...).msg[0].msg[0].msg[0].msg[0].msg: "
                                      "messages nested deeper than 100 at byte "));
    done(&r);
}

static void test_error_path_names_indices(void **state) {
    /* msg[1] of the root holds msg[0], whose vs has a truncated packed run. */
    StrBuf b, m0, m1, inner;
    sb_init(&b);
    sb_init(&m0);
    enc_int(&m0, 1, 1);
    enc_msg(&b, 8, &m0);
    sb_init(&inner);
    enc_key(&inner, 5, PB_LEN);
    enc_varint(&inner, 1);
    enc_varint(&inner, 0x80); /* one byte, continuation set */
    sb_init(&m1);
    enc_msg(&m1, 8, &inner);
    enc_msg(&b, 8, &m1);
    Run r;
    run_sb(&r, &b);
    expect_error(&r, "msg[1].msg[0].vs: truncated packed varint at byte 10");
    done(&r);
}

static void test_vec_growth(void **state) {
    Arena a;
    arena_init(&a);
    PbVec v = {0};
    for (int i = 0; i < 1000; i++) *(int *)pb_vec_push(&a, &v, sizeof(int), 1) = i;
    int *more = pb_vec_push(&a, &v, sizeof(int), 5000);
    for (int i = 0; i < 5000; i++) assert_int_equal(more[i], 0);
    assert_int_equal(v.len, 6000);
    assert_true(v.cap >= 6000);
    for (int i = 0; i < 1000; i++) assert_int_equal(((int *)v.data)[i], i);
    assert_int_equal((uintptr_t)v.data % 16, 0);
    arena_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_every_length),
        cmocka_unit_test(test_varint_padded_is_accepted),
        cmocka_unit_test(test_varint_too_long),
        cmocka_unit_test(test_varint_overflow),
        cmocka_unit_test(test_varint_truncated),
        cmocka_unit_test(test_int32_range),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_wrong_wire_type),
        cmocka_unit_test(test_fixed_and_strings),
        cmocka_unit_test(test_truncated_fixed),
        cmocka_unit_test(test_length_checks),
        cmocka_unit_test(test_repeated_packed_and_unpacked),
        cmocka_unit_test(test_packed_errors),
        cmocka_unit_test(test_unknown_fields_skipped),
        cmocka_unit_test(test_unknown_field_errors),
        cmocka_unit_test(test_group_depth_limit),
        cmocka_unit_test(test_nested_messages),
        cmocka_unit_test(test_error_path_names_indices),
        cmocka_unit_test(test_vec_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

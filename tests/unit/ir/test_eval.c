/*
 * The evaluator's contract, on small cases worked out by hand: rounding to
 * the result dtype after every op, integer wraparound, NaN, the checks on
 * its input arrays, and graphs whose outputs are inputs or intermediates.
 * (tests/unit/ir/gen_eval_cases.py covers every op against NumPy.)
 */
#include "irtest.h"

/* f16 rounds after each op: 2048 + 1 is 2048 in f16 (the spacing there is
 * 2), so adding 1 twice stays at 2048, while adding 2 at once gives 2050. */
static void test_f16_rounds_per_op(void **state) {
    NpyArray in[1] = {ARR(ACC_DTYPE_F16, DIMS(2), 2048, 2048)};
    NpyArray out = run1("graph g(%x: f16[2]) -> (y: f16[2]) {\n"
                        "  %one: f16[] = constant(value=1.0)\n"
                        "  %a: f16[2] = add(%x, %one)\n"
                        "  %b: f16[2] = add(%a, %one)\n"
                        "  return %b\n"
                        "}\n",
                        1, in);
    EXPECT(out, ACC_DTYPE_F16, 2048, 2048);
    NpyArray in2[1] = {ARR(ACC_DTYPE_F16, DIMS(1), 2048)};
    out = run1("graph g(%x: f16[1]) -> (y: f16[1]) {\n"
               "  %two: f16[] = constant(value=2.0)\n"
               "  %b: f16[1] = add(%x, %two)\n"
               "  return %b\n"
               "}\n",
               1, in2);
    EXPECT(out, ACC_DTYPE_F16, 2050);
}

/* bf16 keeps 8 significant bits, so near 1 its spacing is 2^-7 above and
 * 2^-8 below: 1 + 2^-8 and 1 + 3*2^-8 are ties (to even: 1 and 1 + 2^-6),
 * 1 - 3*2^-10 rounds down to 1 - 2^-8. A sum is exact before its rounding. */
static void test_bf16(void **state) {
    NpyArray in[1] = {ARR(ACC_DTYPE_BF16, DIMS(4), 1, 1, 1, 256)};
    NpyArray out =
        run1("graph g(%x: bf16[4]) -> (y: bf16[4]) {\n"
             "  %d: bf16[4] = constant(value=[0.00390625, 0.01171875, -0.0029296875, 1.0])\n"
             "  %y: bf16[4] = add(%x, %d)\n"
             "  return %y\n"
             "}\n",
             1, in);
    EXPECT(out, ACC_DTYPE_BF16, 1.0, 1.015625, 0.99609375, 256);
    NpyArray in2[1] = {ARR(ACC_DTYPE_BF16, DIMS(3), 256, 1, 1)};
    out = run1("graph g(%x: bf16[3]) -> (y: bf16[]) {\n"
               "  %y: bf16[] = reduce_sum(%x, keepdims=false)\n"
               "  return %y\n"
               "}\n",
               1, in2);
    EXPECT(out, ACC_DTYPE_BF16, 258); /* 256 + 1 + 1 exactly, then rounded */
}

static void test_integer_wraparound(void **state) {
    NpyArray in[2] = {ARR(ACC_DTYPE_I32, DIMS(3), 2147483647, -2147483647 - 1, 65536),
                      ARR(ACC_DTYPE_I32, DIMS(3), 1, -1, 65536)};
    NpyArray out = run1("graph g(%a: i32[3], %b: i32[3]) -> (s: i32[3]) {\n"
                        "  %s: i32[3] = mul(%a, %b)\n"
                        "  return %s\n"
                        "}\n",
                        2, in);
    EXPECT(out, ACC_DTYPE_I32, 2147483647, -2147483648.0, 0);
    NpyArray in2[2] = {ARR(ACC_DTYPE_I32, DIMS(4), -2147483647 - 1, 7, -7, 7),
                       ARR(ACC_DTYPE_I32, DIMS(4), -1, 0, 2, -2)};
    out = run1("graph g(%a: i32[4], %b: i32[4]) -> (q: i32[4]) {\n"
               "  %q: i32[4] = div(%a, %b)\n"
               "  return %q\n"
               "}\n",
               2, in2);
    EXPECT(out, ACC_DTYPE_I32, -2147483648.0, 0, -3, -3);
}

static void test_nan(void **state) {
    NpyArray in[1] = {ARR(ACC_DTYPE_F32, DIMS(4), NAN, 1, 3, NAN)};
    IrGraph *g = parse_ok("graph g(%x: f32[4]) -> (m: f32[4], r: f32[], a: i64[], eq: bool[4]) {\n"
                          "  %one: f32[] = constant(value=1.0)\n"
                          "  %m: f32[4] = max(%x, %one)\n"
                          "  %r: f32[] = reduce_max(%x, keepdims=false)\n"
                          "  %a: i64[] = argmax(%x, keepdims=false)\n"
                          "  %eq: bool[4] = equal(%x, %x)\n"
                          "  return %m, %r, %a, %eq\n"
                          "}\n");
    NpyArray out[4];
    eval_ok(g, in, out);
    EXPECT(out[0], ACC_DTYPE_F32, NAN, 1, 3, NAN);
    EXPECT(out[1], ACC_DTYPE_F32, NAN);
    EXPECT(out[2], ACC_DTYPE_I64, 0); /* the first NaN, as NumPy's argmax */
    EXPECT(out[3], ACC_DTYPE_BOOL, 0, 1, 1, 0);
    npy_free(&in[0]);
    ir_graph_free(g);
}

/* Outputs that are inputs, intermediates used later, and unused results. */
static void test_outputs_and_lifetimes(void **state) {
    IrGraph *g = parse_ok("graph g(%x: f32[2]) -> (same: f32[2], mid: f32[2], last: f32[2], "
                          "again: f32[2]) {\n"
                          "  %a: f32[2] = neg(%x)\n"
                          "  %unused: f32[2] = exp(%a)\n"
                          "  %p: f32[1], %q: f32[1] = split(%a, split=[1, 1])\n"
                          "  %b: f32[2] = add(%a, %x)\n"
                          "  return %x, %a, %b, %a\n"
                          "}\n");
    NpyArray in = ARR(ACC_DTYPE_F32, DIMS(2), 1.5, -2);
    NpyArray out[4];
    eval_ok(g, &in, out);
    EXPECT(out[0], ACC_DTYPE_F32, 1.5, -2);
    EXPECT(out[1], ACC_DTYPE_F32, -1.5, 2);
    EXPECT(out[2], ACC_DTYPE_F32, 0, 0);
    EXPECT(out[3], ACC_DTYPE_F32, -1.5, 2);
    npy_free(&in);
    ir_graph_free(g);
}

static void test_bad_inputs(void **state) {
    IrGraph *g = parse_ok("graph g(%x: f32[2, 3]) -> (y: f32[2, 3]) {\n"
                          "  %y: f32[2, 3] = relu(%x)\n"
                          "  return %y\n"
                          "}\n");
    char err[256];
    NpyArray out;
    NpyArray wrong_shape = ARR(ACC_DTYPE_F32, DIMS(3, 2), 1, 2, 3, 4, 5, 6);
    assert_int_equal(ir_eval(g, &wrong_shape, &out, err, sizeof err), -1);
    assert_string_equal(err, "input 'x' must be f32[2, 3], got f32[3, 2]");
    NpyArray wrong_dtype = ARR(ACC_DTYPE_I32, DIMS(2, 3), 1, 2, 3, 4, 5, 6);
    assert_int_equal(ir_eval(g, &wrong_dtype, &out, err, sizeof err), -1);
    assert_string_equal(err, "input 'x' must be f32[2, 3], got i32[2, 3]");
    npy_free(&wrong_shape);
    npy_free(&wrong_dtype);
    ir_graph_free(g);
}

/* Zero-size tensors flow through without touching memory. */
static void test_empty_tensors(void **state) {
    IrGraph *g = parse_ok("graph g(%x: f32[0, 3]) -> (y: f32[0, 3], s: f32[3], c: f32[2, 3]) {\n"
                          "  %y: f32[0, 3] = relu(%x)\n"
                          "  %s: f32[3] = reduce_sum(%x, axes=[0], keepdims=false)\n"
                          "  %one: f32[2, 3] = constant(value=ones)\n"
                          "  %c: f32[2, 3] = concat(%y, %one, axis=0)\n"
                          "  return %y, %s, %c\n"
                          "}\n");
    NpyArray in;
    npy_alloc(&in, ACC_DTYPE_F32, 2, DIMS(0, 3));
    NpyArray out[3];
    eval_ok(g, &in, out);
    assert_int_equal(out[0].count, 0);
    npy_free(&out[0]);
    EXPECT(out[1], ACC_DTYPE_F32, 0, 0, 0);
    EXPECT(out[2], ACC_DTYPE_F32, 1, 1, 1, 1, 1, 1);
    npy_free(&in);
    ir_graph_free(g);
}

/* The seeded initialisers' first values, from the documented algorithm
 * (computed by hand from SplitMix64's published first output for seed 0,
 * 0xE220A8397B1DCDAF). */
static void test_initialisers(void **state) {
    uint64_t s = 0;
    assert_true(ir_splitmix64(&s) == 0xE220A8397B1DCDAFull);
    float u[1];
    ir_init_uniform(ACC_DTYPE_F32, u, 1, 0, 0.0, 1.0);
    assert_true(u[0] == (float)((double)(0xE220A8397B1DCDAFull >> 11) * 0x1p-53));
    int32_t k[64];
    ir_init_uniform(ACC_DTYPE_I32, k, 64, 5, -3, 3);
    for (int i = 0; i < 64; i++) assert_true(k[i] >= -3 && k[i] < 3);
    float n[10001];
    ir_init_normal(ACC_DTYPE_F32, n, 10001, 42, 2.0);
    double sum = 0, sq = 0;
    for (int i = 0; i < 10001; i++) sum += n[i], sq += (double)n[i] * n[i];
    double mean = sum / 10001, sd = sqrt(sq / 10001 - mean * mean);
    assert_true(fabs(mean) < 0.1 && fabs(sd - 2.0) < 0.1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_rounds_per_op),     cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_integer_wraparound),    cmocka_unit_test(test_nan),
        cmocka_unit_test(test_outputs_and_lifetimes), cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_empty_tensors),         cmocka_unit_test(test_initialisers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The builder API, use lists, cloning, constants and the verifier. */
#include "irtest.h"

static const SrcLoc no_loc = {0, 0, 0};

/* x @ w + b, relu: built through the API. */
static IrGraph *build_dense(IrRef *relu_out) {
    IrGraph *g = ir_graph_new("dense");
    IrType xt = ir_type(ACC_DTYPE_F32, 2, DIMS(2, 3));
    IrRef x = ir_add_input(g, "x", &xt);
    IrType wt = ir_type(ACC_DTYPE_F32, 2, DIMS(3, 4));
    float w[12];
    for (int i = 0; i < 12; i++) w[i] = (float)i;
    IrRef wv = ir_constant(g, &wt, w, no_loc);
    ir_value_set_name(g, wv, "w");
    IrRef b = ir_constant_scalar(g, ACC_DTYPE_F32, 0.5, no_loc);
    IrRef mm = ir_build2(g, IR_OP_matmul, x, wv);
    IrRef sum = ir_build2(g, IR_OP_add, mm, b);
    IrRef y = ir_build1(g, IR_OP_relu, sum);
    ir_add_output(g, "y", y);
    if (relu_out) *relu_out = y;
    return g;
}

static void test_build_and_print(void **state) {
    IrGraph *g = build_dense(NULL);
    Diag d;
    diag_init(&d, "test", stderr);
    assert_true(ir_verify(g, &d));
    char *text = print_ir(g);
    assert_string_equal(text, "graph dense(%x: f32[2, 3]) -> (y: f32[2, 4]) {\n"
                              "  %w: f32[3, 4] = constant(value=[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, "
                              "6.0, 7.0], [8.0, 9.0, 10.0, 11.0]])\n"
                              "  %0: f32[] = constant(value=0.5)\n"
                              "  %1: f32[2, 4] = matmul(%x, %w)\n"
                              "  %2: f32[2, 4] = add(%1, %0)\n"
                              "  %3: f32[2, 4] = relu(%2)\n"
                              "  return %3\n"
                              "}\n");
    /* The text parses back to a graph that prints the same. */
    IrGraph *again = parse_ok(text);
    char *text2 = print_ir(again);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    ir_graph_free(again);
    ir_graph_free(g);
    diag_free(&d);
}

/* Replace relu(v) by max(v, 0) inserted before it, then erase the relu. */
static void test_replace_and_erase(void **state) {
    IrRef relu;
    IrGraph *g = build_dense(&relu);
    IrOpId relu_op = g->vals[relu].def;
    IrRef v = g->ops[relu_op].in[0];
    ir_set_insert_point(g, relu_op);
    IrRef zero = ir_constant_scalar(g, ACC_DTYPE_F32, 0.0, no_loc);
    IrRef mx = ir_build2(g, IR_OP_max, v, zero);
    ir_set_insert_point(g, IR_NONE);
    ir_replace_uses(g, relu, mx);
    ir_op_erase(g, relu_op);
    assert_true(g->ops[relu_op].dead);
    assert_true(ir_verify(g, NULL));
    char *text = print_ir(g);
    assert_non_null(strstr(text, "  %3: f32[] = constant(value=0.0)\n"
                                 "  %4: f32[2, 4] = max(%2, %3)\n"
                                 "  return %4\n"));
    assert_null(strstr(text, "relu"));
    free(text);
    /* The evaluator sees the new graph: max(x @ w + 0.5, 0). */
    NpyArray in = ARR(ACC_DTYPE_F32, DIMS(2, 3), 1, 0, 0, 0, 0, -1);
    NpyArray out;
    eval_ok(g, &in, &out);
    EXPECT(out, ACC_DTYPE_F32, 0.5, 1.5, 2.5, 3.5, 0, 0, 0, 0);
    npy_free(&in);
    ir_graph_free(g);
}

static void test_uses(void **state) {
    IrGraph *g = ir_graph_new("uses");
    IrType t = ir_type(ACC_DTYPE_F32, 1, DIMS(4));
    IrRef x = ir_add_input(g, "x", &t);
    IrRef a = ir_build2(g, IR_OP_mul, x, x);
    IrRef b = ir_build2(g, IR_OP_add, a, x);
    ir_add_output(g, "a", a);
    ir_add_output(g, "b", b);
    ir_build_uses(g);
    int n;
    const IrUse *u = ir_uses(g, x, &n);
    assert_int_equal(n, 3); /* both operands of mul, the second of add */
    assert_int_equal(u[0].op, g->vals[a].def);
    assert_int_equal(u[0].slot, 0);
    assert_int_equal(u[1].slot, 1);
    assert_int_equal(u[2].op, g->vals[b].def);
    assert_int_equal(u[2].slot, 1);
    u = ir_uses(g, a, &n);
    assert_int_equal(n, 2); /* add's first operand, and graph output 0 */
    assert_int_equal(u[1].op, IR_NONE);
    assert_int_equal(u[1].slot, 0);
    u = ir_uses(g, b, &n);
    assert_int_equal(n, 1);
    /* Any change makes the lists stale until they are rebuilt. */
    ir_op_set_operand(g, g->vals[b].def, 1, a);
    assert_false(g->uses_valid);
    ir_build_uses(g);
    ir_uses(g, x, &n);
    assert_int_equal(n, 2);
    ir_graph_free(g);
}

static void test_clone_compacts(void **state) {
    IrRef relu;
    IrGraph *g = build_dense(&relu);
    IrOpId relu_op = g->vals[relu].def;
    IrRef v = g->ops[relu_op].in[0];
    ir_replace_uses(g, relu, v);
    ir_op_erase(g, relu_op);
    IrGraph *c = ir_graph_clone(g);
    assert_true(ir_verify(c, NULL));
    assert_int_equal(c->nops, g->nops - 1); /* the dead op is gone */
    char *a = print_ir(g), *b = print_ir(c);
    assert_string_equal(a, b);
    /* The copy owns its constants: freeing the original leaves it whole. */
    ir_graph_free(g);
    char *b2 = print_ir(c);
    assert_string_equal(b, b2);
    free(a);
    free(b);
    free(b2);
    ir_graph_free(c);
}

static void test_defaults_filled(void **state) {
    IrGraph *g =
        parse_ok("graph g(%x: f32[1, 2, 5, 5], %w: f32[4, 2, 3, 3]) -> (y: f32[1, 4, 3, 3]) {\n"
                 "  %y: f32[1, 4, 3, 3] = conv2d(%x, %w)\n"
                 "  return %y\n"
                 "}\n");
    IrOpId op = g->first;
    int n;
    const int64_t *stride = ir_attr_ints(g, op, "stride", &n);
    assert_int_equal(n, 2);
    assert_int_equal(stride[0], 1);
    const int64_t *pad = ir_attr_ints(g, op, "pad", &n);
    assert_int_equal(n, 4);
    assert_int_equal(pad[3], 0);
    assert_int_equal(ir_attr_int(g, op, "groups"), 1);
    IrWindow w;
    ir_window(g, op, &w);
    assert_int_equal(w.nsp, 2);
    assert_int_equal(w.kernel[0], 3);
    assert_int_equal(w.in[1], 5);
    assert_int_equal(w.out[1], 3);
    assert_int_equal(w.groups, 1);
    ir_graph_free(g);
}

static void test_finish_reports_and_erases(void **state) {
    IrGraph *g = ir_graph_new("bad");
    IrType a = ir_type(ACC_DTYPE_F32, 1, DIMS(3)), b = ir_type(ACC_DTYPE_F32, 1, DIMS(4));
    IrRef x = ir_add_input(g, "x", &a), y = ir_add_input(g, "y", &b);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    Diag d;
    diag_init(&d, "test", f);
    IrRef in[2] = {x, y};
    IrOpId op = ir_op_create(g, IR_OP_add, 2, in, no_loc);
    assert_false(ir_op_finish(g, op, &d));
    assert_true(g->ops[op].dead);
    assert_int_equal(g->first, IR_NONE); /* unlinked */
    /* A wrong attribute choice is caught too. */
    IrOpId pad = ir_op_create(g, IR_OP_pad, 1, &x, no_loc);
    ir_set_attr_ints(g, pad, "pads", 2, DIMS(1, 1));
    ir_set_attr_str(g, pad, "mode", "wrap");
    assert_false(ir_op_finish(g, pad, &d));
    fclose(f);
    assert_int_equal(d.nerrors, 2);
    assert_non_null(strstr(buf, "'add' cannot broadcast f32[3] with f32[4]"));
    assert_non_null(strstr(buf, "attribute 'mode' of 'pad' must be one of \"constant\", "
                                "\"reflect\", \"edge\", not \"wrap\""));
    free(buf);
    diag_free(&d);
    ir_graph_free(g);
}

/* The verifier finds what a buggy pass could leave behind. */
static void test_verifier(void **state) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    Diag d;
    diag_init(&d, "test", f);

    /* A result type that no longer matches shape inference. */
    IrRef relu;
    IrGraph *g = build_dense(&relu);
    g->vals[relu].type.dims[1] = 5;
    assert_false(ir_verify(g, &d));
    ir_graph_free(g);

    /* An op placed before the op defining its operand. */
    g = build_dense(&relu);
    IrOpId relu_op = g->vals[relu].def;
    IrOpId add_op = g->vals[g->ops[relu_op].in[0]].def;
    ir_set_insert_point(g, add_op);
    ir_build1(g, IR_OP_neg, relu); /* uses relu's result before relu */
    assert_false(ir_verify(g, &d));
    ir_graph_free(g);

    /* An attribute removed after the op was finished. */
    g = build_dense(&relu);
    IrOpId mm = g->vals[g->ops[g->vals[relu].def].in[0]].def;
    (void)mm;
    IrGraph *h = parse_ok("graph s(%x: f32[4]) -> (y: f32[4]) {\n"
                          "  %y: f32[4] = softmax(%x)\n"
                          "  return %y\n"
                          "}\n");
    h->ops[h->first].attrs[0].kind = IR_ATTR_NONE;
    assert_false(ir_verify(h, &d));
    ir_graph_free(h);
    ir_graph_free(g);

    /* No outputs. */
    g = ir_graph_new("empty");
    assert_false(ir_verify(g, &d));
    ir_graph_free(g);

    fclose(f);
    assert_int_equal(d.nerrors, 4);
    assert_non_null(strstr(buf, "verifier: result 0 is f32[2, 5], shape inference gives f32[2, 4] "
                                "in '%3: f32[2, 5] = relu(%2)'"));
    assert_non_null(strstr(buf, "verifier: operand 0 of op"));
    assert_non_null(strstr(buf, "'softmax' needs attribute 'axis' (int)"));
    assert_non_null(strstr(buf, "verifier: graph 'empty' has no outputs"));
    free(buf);
    diag_free(&d);
}

static void test_constants(void **state) {
    IrGraph *g = ir_graph_new("c");
    IrType t = ir_type(ACC_DTYPE_I32, 1, DIMS(3));
    int32_t same[3] = {7, 7, 7}, diff[3] = {7, 8, 7};
    IrRef a = ir_constant(g, &t, same, no_loc), b = ir_constant(g, &t, diff, no_loc);
    IrRef c = ir_build2(g, IR_OP_add, a, b);
    const IrConst *ka = ir_value_const(g, a), *kb = ir_value_const(g, b);
    assert_non_null(ka);
    assert_null(ir_value_const(g, c));
    double v;
    assert_true(ir_const_splat(ka, &v));
    assert_true(v == 7);
    assert_false(ir_const_splat(kb, &v));
    assert_true(ka->hash != kb->hash);
    /* The same data hashes the same. */
    IrRef a2 = ir_constant(g, &t, same, no_loc);
    assert_true(ir_value_const(g, a2)->hash == ka->hash);
    ir_graph_free(g);
}

/* One op evaluated on its own, as constant folding does it. */
static void test_eval_op(void **state) {
    IrGraph *g = ir_graph_new("fold");
    IrType t = ir_type(ACC_DTYPE_F32, 1, DIMS(2));
    float av[2] = {1.5f, -2}, bv[2] = {0.25f, 4};
    IrRef a = ir_constant(g, &t, av, no_loc), b = ir_constant(g, &t, bv, no_loc);
    IrRef s = ir_build2(g, IR_OP_mul, a, b);
    ir_add_output(g, "s", s);
    NpyArray in[2], out;
    npy_alloc(&in[0], ACC_DTYPE_F32, 1, DIMS(2));
    npy_alloc(&in[1], ACC_DTYPE_F32, 1, DIMS(2));
    memcpy(in[0].data, ir_value_const(g, a)->data, 8);
    memcpy(in[1].data, ir_value_const(g, b)->data, 8);
    const NpyArray *ins[2] = {&in[0], &in[1]};
    char err[256];
    assert_int_equal(ir_eval_op(g, g->vals[s].def, ins, &out, err, sizeof err), 0);
    EXPECT(out, ACC_DTYPE_F32, 0.375, -8);
    /* Arrays of the wrong shape are refused, not read past. */
    NpyArray small;
    npy_alloc(&small, ACC_DTYPE_F32, 1, DIMS(1));
    ins[1] = &small;
    assert_int_equal(ir_eval_op(g, g->vals[s].def, ins, &out, err, sizeof err), -1);
    assert_string_equal(err, "mul: operand 1 is f32[1], expected f32[2]");
    npy_free(&small);
    npy_free(&in[0]);
    npy_free(&in[1]);
    ir_graph_free(g);
}

static void test_slice_axis(void **state) {
    int64_t first, len;
    ir_slice_axis(10, 2, 7, 2, &first, &len); /* 2 4 6 */
    assert_int_equal(first, 2);
    assert_int_equal(len, 3);
    ir_slice_axis(10, -3, INT64_MAX, 1, &first, &len); /* 7 8 9 */
    assert_int_equal(first, 7);
    assert_int_equal(len, 3);
    ir_slice_axis(10, INT64_MAX, INT64_MIN, -1, &first, &len); /* 9 down to 0 */
    assert_int_equal(first, 9);
    assert_int_equal(len, 10);
    ir_slice_axis(10, 5, 5, 1, &first, &len); /* empty */
    assert_int_equal(len, 0);
    ir_slice_axis(10, -100, 3, 1, &first, &len); /* clamped to 0 */
    assert_int_equal(first, 0);
    assert_int_equal(len, 3);
    ir_slice_axis(4, 3, -5, -2, &first, &len); /* 3 1 */
    assert_int_equal(first, 3);
    assert_int_equal(len, 2);
    ir_slice_axis(0, 0, 1, -1, &first, &len);
    assert_int_equal(len, 0);
}

/* Printed names are unique and stable: duplicates get ".1", ".2". */
static void test_names(void **state) {
    IrGraph *g = ir_graph_new("n");
    IrType t = ir_type(ACC_DTYPE_F32, 0, NULL);
    IrRef x = ir_add_input(g, "x", &t);
    IrRef a = ir_build1(g, IR_OP_neg, x);
    IrRef b = ir_build1(g, IR_OP_neg, a);
    IrRef c = ir_build1(g, IR_OP_neg, b);
    IrRef d = ir_build1(g, IR_OP_neg, c);
    ir_value_set_name(g, a, "x");
    ir_value_set_name(g, b, "x.1");
    ir_value_set_name(g, d, "7");
    ir_add_output(g, "y", d);
    char *text = print_ir(g);
    assert_non_null(strstr(text, "%x.1: f32[] = neg(%x)\n"));
    assert_non_null(strstr(text, "%x.1.1: f32[] = neg(%x.1)\n"));
    assert_non_null(strstr(text, "%0: f32[] = neg(%x.1.1)\n"));
    assert_non_null(strstr(text, "%\"7\": f32[] = neg(%0)\n"));
    IrGraph *again = parse_ok(text);
    char *text2 = print_ir(again);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    ir_graph_free(again);
    ir_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_print),
        cmocka_unit_test(test_replace_and_erase),
        cmocka_unit_test(test_uses),
        cmocka_unit_test(test_clone_compacts),
        cmocka_unit_test(test_defaults_filled),
        cmocka_unit_test(test_finish_reports_and_erases),
        cmocka_unit_test(test_verifier),
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_eval_op),
        cmocka_unit_test(test_slice_axis),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

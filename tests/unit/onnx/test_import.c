/*
 * The importer on models ONNX's Python package wrote
 * (make_import_fixtures.py, run by ctest into the build tree first): the
 * attribute-to-input migrations across opsets give the values NumPy
 * computed, auto_pad becomes explicit pads, shape arithmetic folds into
 * constants, --freeze and -D, and the exact messages for what cannot be
 * imported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

static char *fixture(const char *name) {
    const char *bin = getenv("ACCC_BINARY_DIR");
    if (!bin) fail_msg("ACCC_BINARY_DIR is not set; run this test through ctest");
    StrBuf p;
    sb_init(&p);
    sb_printf(&p, "%s/tests/unit/onnx/import/%s", bin, name);
    return sb_take(&p);
}

/* An import with its messages captured. */
typedef struct Import {
    IrGraph *g;
    char *msgs;
    size_t len;
    FILE *f;
    Diag d;
} Import;

static void import(Import *im, const char *name, const FeOptions *opts) {
    char *path = fixture(name);
    im->msgs = NULL;
    im->f = open_memstream(&im->msgs, &im->len);
    assert_non_null(im->f);
    diag_init(&im->d, "accc", im->f);
    im->g = fe_load(path, opts, &im->d);
    diag_finish(&im->d);
    fflush(im->f);
    free(path);
}

static void import_done(Import *im) {
    if (im->g) ir_graph_free(im->g);
    diag_free(&im->d);
    fclose(im->f);
    free(im->msgs);
}

static char *ir_text(const IrGraph *g) {
    StrBuf sb;
    sb_init(&sb);
    ir_print(&sb, g, NULL);
    return sb_take(&sb);
}

static bool load_npy(const char *name, NpyArray *a) {
    char *path = fixture(name);
    char err[512];
    FILE *f = fopen(path, "rb");
    bool ok = f != NULL;
    if (f) fclose(f);
    if (ok && npy_load(path, a, err, sizeof err) < 0) fail_msg("%s", err);
    free(path);
    return ok;
}

/* Evaluate case name on name.x.npy, name.x1.npy, ... (when there are any)
 * and compare every output with name.y.npy, name.y1.npy, ...: exactly for
 * integers and bool, to 1e-5 relative for floats (the evaluator rounds to
 * f32 after every op, NumPy computed in f64). */
static void check_values(const char *name) {
    Import im;
    char file[256];
    snprintf(file, sizeof file, "%s.onnx", name);
    import(&im, file, NULL);
    if (!im.g) fail_msg("%s did not import:\n%s", name, im.msgs);
    NpyArray x[8];
    int nin = 0;
    snprintf(file, sizeof file, "%s.x.npy", name);
    while (nin < 8 && load_npy(file, &x[nin]))
        snprintf(file, sizeof file, "%s.x%d.npy", name, ++nin);
    assert_int_equal(im.g->ninputs, nin);
    NpyArray *out = calloc((size_t)im.g->noutputs + 1, sizeof *out);
    char err[512];
    if (ir_eval(im.g, x, out, err, sizeof err) < 0) fail_msg("%s: %s", name, err);
    for (int k = 0; k < im.g->noutputs; k++) {
        NpyArray want;
        if (k)
            snprintf(file, sizeof file, "%s.y%d.npy", name, k);
        else
            snprintf(file, sizeof file, "%s.y.npy", name);
        if (!load_npy(file, &want)) fail_msg("%s is missing", file);
        assert_int_equal(out[k].dtype, want.dtype);
        assert_int_equal(out[k].ndim, want.ndim);
        for (int i = 0; i < want.ndim; i++) assert_int_equal(out[k].shape[i], want.shape[i]);
        for (size_t i = 0; i < want.count; i++) {
            double a = dtype_get(out[k].dtype, out[k].data, i);
            double b = dtype_get(want.dtype, want.data, i);
            if (!(fabs(a - b) <= 1e-5 * fabs(b) + 1e-6))
                fail_msg("%s output %d element %zu: %.9g, expected %.9g", name, k, i, a, b);
        }
        npy_free(&want);
        npy_free(&out[k]);
    }
    for (int i = 0; i < nin; i++) npy_free(&x[i]);
    free(out);
    import_done(&im);
}

/* Attributes that became inputs: each opset's form gives NumPy's values. */
static void test_opset_migrations(void **state) {
    static const char *const cases[] = {
        "slice_opset9",
        "slice_opset13",
        "pad_opset2",
        "pad_opset11",
        "pad_opset18",
        "pad_reflect_opset11",
        "squeeze_opset11",
        "squeeze_opset13",
        "unsqueeze_opset11",
        "unsqueeze_opset13",
        "reducesum_opset11",
        "reducesum_opset13",
        "reducemean_opset17",
        "reducemean_opset18",
        "reducesum_noop_opset13",
        "split_opset11",
        "split_opset13",
        "split_opset18",
        "split_equal_opset13",
        "clip_opset6",
        "clip_opset11",
        "softmax_opset11",
        "softmax_opset13",
        "dropout_opset10",
        "dropout_opset12",
        "reshape_allowzero_opset14",
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(cases); i++) check_values(cases[i]);
}

static void test_constants_and_types(void **state) {
    check_values("constants"); /* value, value_float(s), value_int(s); DOUBLE narrowed */
    check_values("double");
    check_values("init_as_input"); /* a graph input with an initializer is a constant */
    check_values("external_data"); /* weights in a file beside the model */
    Import im;
    import(&im, "double.onnx", NULL);
    assert_int_equal(im.g->vals[im.g->inputs[0]].type.dtype, ACC_DTYPE_F32);
    import_done(&im);
}

/* Einsum's lowering against numpy.einsum: explicit and implicit outputs,
 * '...' broadcasting, several operands, diagonals and traces. */
static void test_einsum(void **state) {
    static const char *const cases[] = {
        "einsum_matmul",
        "einsum_implicit",
        "einsum_ellipsis_broadcast",
        "einsum_attention",
        "einsum_three",
        "einsum_trace",
        "einsum_hadamard",
        "einsum_diagonal_contract",
        "einsum_outer_upper",
        "einsum_sum_all",
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(cases); i++) check_values(cases[i]);
    Import im;
    import(&im, "einsum_bad.onnx", NULL);
    assert_null(im.g);
    assert_non_null(strstr(im.msgs, "error: node 'e' (Einsum): output label 'k' is in no input\n"));
    import_done(&im);
}

/* RNN, GRU, LSTM unrolled, against NumPy written from ONNX's formulas:
 * reverse and bidirectional, layout 1, linear_before_reset, clip, a named
 * activation with its alpha, peepholes, a sequence longer than concat's
 * operand limit. */
static void test_recurrent(void **state) {
    static const char *const cases[] = {
        "rnn_bidirectional",
        "rnn_reverse_clip_leaky",
        "gru_reverse_lbr",
        "gru_bidirectional_layout1",
        "lstm_bidirectional_peepholes",
        "lstm_reverse_layout1",
        "lstm_long",
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(cases); i++) check_values(cases[i]);
}

/* auto_pad becomes the IR's explicit pads: SAME puts the odd one at the end
 * (UPPER) or the beginning (LOWER). */
static void test_auto_pad(void **state) {
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"conv_same_upper.onnx", "conv2d(%x, %w, stride=[2, 1], pad=[0, 1, 1, 1]"},
        {"conv_same_lower.onnx", "conv2d(%x, %w, stride=[2, 1], pad=[1, 1, 0, 1]"},
        {"maxpool_same_upper.onnx",
         "max_pool2d(%x, kernel=[3, 2], stride=[2, 2], pad=[1, 0, 1, 0]"},
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(cases); i++) {
        Import im;
        import(&im, cases[i].file, NULL);
        assert_non_null(im.g);
        char *text = ir_text(im.g);
        if (!strstr(text, cases[i].want)) fail_msg("%s:\n%s", cases[i].file, text);
        free(text);
        import_done(&im);
    }
}

/* Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds to one reshape
 * with a constant shape; the initializers it used are gone. */
static void test_fold_shape_arithmetic(void **state) {
    check_values("fold_shape");
    Import im;
    import(&im, "fold_shape.onnx", NULL);
    char *text = ir_text(im.g);
    assert_string_equal(text, "graph fold_shape(%x: f32[2, 3, 4, 5]) -> (y: f32[2, 60]) {\n"
                              "  %y: f32[2, 60] = reshape(%x, shape=[2, -1], allowzero=false)\n"
                              "  return %y\n"
                              "}\n");
    free(text);
    import_done(&im);
}

static void test_freeze(void **state) {
    Import im;
    import(&im, "freeze.onnx", NULL);
    assert_null(im.g);
    assert_non_null(strstr(im.msgs, "freeze.onnx: error: node 0 (Reshape): input 1 (shape) must "
                                    "be a constant, but it is the graph input 'shape'; freeze "
                                    "it with --freeze shape=FILE.npy\n"));
    import_done(&im);

    /* From a file, as accc --freeze gives it; the input leaves the signature. */
    char *path = fixture("freeze.shape.npy");
    FeFreeze f = {"shape", path, NULL};
    FeOptions o;
    memset(&o, 0, sizeof o);
    o.freezes = &f;
    o.nfreezes = 1;
    import(&im, "freeze.onnx", &o);
    if (!im.g) fail_msg("%s", im.msgs);
    assert_int_equal(im.g->ninputs, 1);
    char *text = ir_text(im.g);
    assert_non_null(strstr(text, "reshape(%x, shape=[6, -1]"));
    free(text);
    import_done(&im);

    /* In memory, as the conformance runner gives it; a wrong type is reported. */
    int64_t bad_shape[3] = {2, 2, 30};
    NpyArray a;
    npy_alloc(&a, ACC_DTYPE_I64, 1, (int64_t[]){3});
    memcpy(a.data, bad_shape, sizeof bad_shape);
    FeFreeze g = {"shape", NULL, &a};
    o.freezes = &g;
    import(&im, "freeze.onnx", &o);
    assert_null(im.g);
    assert_non_null(strstr(im.msgs, "error: --freeze shape: the input is i64[2], but the value is "
                                    "i64[3]\n"));
    import_done(&im);
    npy_free(&a);

    /* A name that is no input. */
    FeFreeze h = {"shap", path, NULL};
    o.freezes = &h;
    import(&im, "freeze.onnx", &o);
    assert_null(im.g);
    assert_non_null(strstr(im.msgs, "error: --freeze shap: the model has no input 'shap'\n"));
    import_done(&im);
    free(path);

    /* A value computed at run time cannot be frozen away. */
    import(&im, "dynamic_shape.onnx", NULL);
    assert_null(im.g);
    assert_non_null(strstr(im.msgs, "error: node 'reshape' (Reshape): input 1 (shape) must be a "
                                    "constant, but 'r' is computed at run time\n"));
    import_done(&im);
}

static void test_symbolic_dims(void **state) {
    Import im;
    import(&im, "symbolic.onnx", NULL);
    assert_null(im.g);
    assert_string_equal(strstr(im.msgs, "error:"),
                        "error: graph input 'x' dimension 0 is 'N', which has no size; give it "
                        "one with -D N=SIZE\n1 error generated.\n");
    import_done(&im);

    FeDefine defs[2] = {{"N", 5}, {"M", 2}};
    FeOptions o;
    memset(&o, 0, sizeof o);
    o.defines = defs;
    o.ndefines = 2;
    import(&im, "symbolic.onnx", &o);
    assert_non_null(im.g);
    IrType want = ir_type(ACC_DTYPE_F32, 2, (int64_t[]){5, 3});
    assert_true(ir_type_equal(&im.g->vals[im.g->inputs[0]].type, &want));
    assert_non_null(strstr(im.msgs, "warning: -D M: no graph input has a dimension named 'M'\n"));
    import_done(&im);

    import(&im, "unknown_dim.onnx", NULL);
    assert_null(im.g);
    assert_non_null(strstr(im.msgs, "error: graph input 'x' dimension 0 has no size (neither a "
                                    "number nor a name); accc needs static shapes\n"));
    import_done(&im);
}

/* Every op that cannot be imported is named in one message, with its
 * count and nodes. */
static void test_unsupported_ops(void **state) {
    Import im;
    import(&im, "unsupported.onnx", NULL);
    assert_null(im.g);
    assert_string_equal(strstr(im.msgs, "error:"),
                        "error: 4 of 5 nodes use ops accc cannot import: Resize (2 nodes: 'up1', "
                        "'up2'), NonZero (1 node: node 3), com.example.Custom (1 node: 'mine')\n"
                        "1 error generated.\n");
    import_done(&im);

    import(&im, "old_opset.onnx", NULL);
    assert_string_equal(strstr(im.msgs, "error:"),
                        "error: 1 of 1 nodes use ops accc cannot import: Add before opset 7 (1 "
                        "node: 'add')\n1 error generated.\n");
    import_done(&im);

    import(&im, "new_opset.onnx", NULL);
    assert_string_equal(strstr(im.msgs, "error:"),
                        "error: opset 19 of the default domain is not supported (accc imports "
                        "opsets up to 18)\n1 error generated.\n");
    import_done(&im);
}

/* Errors in two nodes are both reported; the node reading a failed value
 * says nothing. */
static void test_several_errors(void **state) {
    Import im;
    import(&im, "two_errors.onnx", NULL);
    assert_null(im.g);
    assert_int_equal(im.d.nerrors, 2);
    assert_non_null(strstr(im.msgs, "error: node 'bad_perm' (Transpose): 'transpose' perm=[0, 0] "
                                    "is not a permutation of the 2 dimensions of f32[2, 3]\n"));
    assert_non_null(strstr(im.msgs, "error: node 'bad_axis' (Softmax): 'softmax' axis=5 is out "
                                    "of range for rank 2 (allowed -2 to 1)\n"));
    assert_null(strstr(im.msgs, "quiet"));
    import_done(&im);
}

/* import.def's rows are looked up by binary search: they must be sorted. */
static void test_table_sorted(void **state) {
    const FeOnnxOp *ops;
    size_t n = fe_onnx_ops(&ops);
    assert_true(n > 100);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ops[i - 1].name, ops[i].name) >= 0)
            fail_msg("import.def: %s comes before %s", ops[i - 1].name, ops[i].name);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset_migrations), cmocka_unit_test(test_constants_and_types),
        cmocka_unit_test(test_auto_pad),         cmocka_unit_test(test_fold_shape_arithmetic),
        cmocka_unit_test(test_freeze),           cmocka_unit_test(test_symbolic_dims),
        cmocka_unit_test(test_unsupported_ops),  cmocka_unit_test(test_several_errors),
        cmocka_unit_test(test_table_sorted),     cmocka_unit_test(test_einsum),
        cmocka_unit_test(test_recurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

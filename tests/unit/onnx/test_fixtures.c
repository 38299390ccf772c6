/*
 * The reader on files written by ONNX's own Python package
 * (make_fixtures.py, run by ctest into the build tree before this test):
 * every tensor type in raw and typed storage, external data saved by
 * onnx.save_model, attributes of every kind, a standalone TensorProto.
 * Expected values come from .npy files NumPy wrote beside them.
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

static char *fixture(const char *name) {
    const char *bin = getenv("ACCC_BINARY_DIR");
    if (!bin) fail_msg("ACCC_BINARY_DIR is not set; run this test through ctest");
    StrBuf p;
    sb_init(&p);
    sb_printf(&p, "%s/tests/unit/onnx/fixtures/%s", bin, name);
    return sb_take(&p);
}

typedef struct Ctx {
    Arena arena;
    Diag d;
} Ctx;

static void ctx_init(Ctx *c) {
    arena_init(&c->arena);
    diag_init(&c->d, "test", stderr);
}

static void ctx_free(Ctx *c) {
    diag_free(&c->d);
    arena_free(&c->arena);
}

static OnnxModel *read_fixture(Ctx *c, const char *name) {
    char *path = fixture(name);
    OnnxModel *m;
    if (onnx_model_read(path, &c->arena, &c->d, &m)) fail_msg("cannot read %s", path);
    free(path);
    return m;
}

/* t holds exactly the values of prefix.NAME.npy. */
static void expect_npy(const OnnxTensor *t, const char *prefix) {
    StrBuf name;
    sb_init(&name);
    sb_printf(&name, "%s.%s.npy", prefix, t->name);
    char *path = fixture(name.data);
    NpyArray a;
    char err[512];
    if (npy_load(path, &a, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(t->ndim, a.ndim);
    for (int i = 0; i < a.ndim; i++) assert_int_equal(t->dims[i], a.shape[i]);
    assert_int_equal(t->count, a.count);
    /* bf16 travels as f32 in .npy; everything else must match in type. */
    if (t->dtype != ACC_DTYPE_BF16) {
        if (t->dtype != a.dtype)
            fail_msg("%s: read as %s, NumPy wrote %s", t->name, dtype_name(t->dtype),
                     dtype_name(a.dtype));
        assert_memory_equal(t->data, a.data, a.count * dtype_size(a.dtype));
    }
    for (size_t i = 0; i < a.count; i++) {
        double got = dtype_get(t->dtype, t->data, i), want = dtype_get(a.dtype, a.data, i);
        if (got != want) fail_msg("%s[%zu]: %.17g, expected %.17g", t->name, i, got, want);
    }
    npy_free(&a);
    free(path);
    sb_free(&name);
}

static void test_every_type(void **state) {
    Ctx c;
    ctx_init(&c);
    OnnxModel *m = read_fixture(&c, "types.onnx");
    assert_int_equal(m->graph.ninitializers, 24);
    for (size_t i = 0; i < m->graph.ninitializers; i++)
        expect_npy(&m->graph.initializers[i], "types");
    ctx_free(&c);
}

static void test_external_data(void **state) {
    Ctx c;
    ctx_init(&c);
    OnnxModel *m = read_fixture(&c, "external.onnx");
    assert_int_equal(m->graph.ninitializers, 4);
    for (size_t i = 0; i < m->graph.ninitializers; i++) {
        assert_true(m->graph.initializers[i].external);
        expect_npy(&m->graph.initializers[i], "external");
    }
    ctx_free(&c);
}

static void test_attributes(void **state) {
    Ctx c;
    ctx_init(&c);
    OnnxModel *m = read_fixture(&c, "attributes.onnx");
    assert_int_equal(onnx_model_opset(m, "test.domain"), 1);
    const OnnxGraph *g = &m->graph;
    assert_int_equal(g->nnodes, 1);
    const OnnxNode *n = &g->nodes[0];
    assert_string_equal(n->name, "every");
    assert_string_equal(n->domain, "test.domain");
    assert_int_equal(n->ninputs, 3);
    assert_string_equal(n->inputs[1], "");

    float f;
    int64_t i;
    OnnxBytes s;
    const float *fs;
    const int64_t *is;
    const OnnxBytes *ss;
    const OnnxTensor *t;
    const OnnxGraph *body;
    size_t count;
    assert_int_equal(onnx_attr_float(n, "f", &f), ONNX_GET_OK);
    assert_true(f == 0.25f);
    assert_int_equal(onnx_attr_int(n, "i", &i), ONNX_GET_OK);
    assert_int_equal(i, -7);
    assert_int_equal(onnx_attr_string(n, "s", &s), ONNX_GET_OK);
    assert_string_equal(s.data, "text");
    assert_int_equal(onnx_attr_floats(n, "floats", &fs, &count), ONNX_GET_OK);
    assert_true(count == 2 && fs[0] == 1.5f && fs[1] == -2.0f);
    assert_int_equal(onnx_attr_ints(n, "ints", &is, &count), ONNX_GET_OK);
    assert_true(count == 3 && is[0] == 3 && is[1] == -4 && is[2] == 5);
    assert_int_equal(onnx_attr_strings(n, "strings", &ss, &count), ONNX_GET_OK);
    assert_true(count == 2 && strcmp(ss[1].data, "bc") == 0);
    assert_int_equal(onnx_attr_tensor(n, "t", &t), ONNX_GET_OK);
    assert_int_equal(t->dtype, ACC_DTYPE_I32);
    assert_int_equal(((int32_t *)t->data)[3], 4);
    assert_int_equal(onnx_attr_graph(n, "g", &body), ONNX_GET_OK);
    assert_string_equal(body->nodes[0].op_type, "Relu");
    const OnnxAttr *ts = onnx_attr_find(n, "tensors"), *gs = onnx_attr_find(n, "graphs");
    assert_int_equal(ts->ntensors, 1);
    assert_true(*(float *)ts->tensors[0].data == 2.5f);
    assert_int_equal(gs->ngraphs, 2);

    /* x: f32[N, 3]; y: i64 of unknown rank; z: f16[2, ?] */
    const OnnxType *x = &g->inputs[0].type, *y = &g->inputs[1].type, *z = &g->outputs[0].type;
    assert_string_equal(x->dims[0].param, "N");
    assert_int_equal(x->dims[1].value, 3);
    assert_false(y->has_shape);
    assert_int_equal(y->elem_type, ONNX_INT64);
    assert_int_equal(z->elem_type, ONNX_FLOAT16);
    assert_int_equal(z->dims[1].value, -1);
    ctx_free(&c);
}

static void test_unsupported_lists_every_tensor(void **state) {
    Ctx c;
    ctx_init(&c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    c.d.out = f;
    char *path = fixture("unsupported.onnx");
    OnnxModel *m;
    assert_int_equal(onnx_model_read(path, &c.arena, &c.d, &m), -1);
    fflush(f);
    assert_int_equal(c.d.nerrors, 2);
    assert_non_null(strstr(buf, "tensor 'names': STRING tensors are not supported"));
    assert_non_null(strstr(buf, "tensor 'big': UINT64 tensors are not supported"));
    fclose(f);
    free(buf);
    free(path);
    ctx_free(&c);
}

static void test_standalone_tensor(void **state) {
    Ctx c;
    ctx_init(&c);
    char *path = fixture("tensor_f16.pb");
    OnnxTensor *t;
    assert_int_equal(onnx_tensor_read(path, &c.arena, &c.d, &t), 0);
    assert_string_equal(t->name, "h");
    expect_npy(t, "tensor");
    free(path);
    ctx_free(&c);
}

static void test_every_prefix_of_an_exported_model(void **state) {
    char *path = fixture("conv.onnx");
    size_t len;
    char err[256];
    char *img = file_read(path, &len, err, sizeof err);
    assert_non_null(img);
    for (size_t cut = 0; cut < len; cut++) {
        Ctx c;
        ctx_init(&c);
        c.d.out = fopen("/dev/null", "w");
        void *copy = exact_copy(img, cut);
        OnnxModel *m;
        int rc = onnx_model_parse(copy, cut, "conv.onnx", NULL, &c.arena, &c.d, &m);
        free(copy);
        fclose(c.d.out);
        if (rc == 0) fail_msg("a %zu-byte prefix of %zu bytes was accepted", cut, len);
        ctx_free(&c);
    }
    free(img);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_unsupported_lists_every_tensor),
        cmocka_unit_test(test_standalone_tensor),
        cmocka_unit_test(test_every_prefix_of_an_exported_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

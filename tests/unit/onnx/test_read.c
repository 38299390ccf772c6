/*
 * The ONNX reader on models and tensors built here, byte by byte: every
 * message and field it reads, every tensor type in raw and typed storage,
 * external data, lookups, and the messages for everything it rejects.
 * Inputs are parsed from heap buffers of exactly their size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.h"
#include "pbenc.h"

/* ---- Harness --------------------------------------------------------------- */

typedef struct Ctx {
    Arena arena;
    Diag d;
    FILE *f;
    char *buf;
    size_t len;
} Ctx;

static void ctx_init(Ctx *c) {
    memset(c, 0, sizeof(*c));
    arena_init(&c->arena);
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    diag_init(&c->d, "test", c->f);
    c->d.color = false;
}

static const char *ctx_text(Ctx *c) {
    fflush(c->f);
    return c->buf ? c->buf : "";
}

static void ctx_free(Ctx *c) {
    diag_free(&c->d);
    fclose(c->f);
    free(c->buf);
    arena_free(&c->arena);
}

static void expect_text(Ctx *c, const char *needle) {
    if (!strstr(ctx_text(c), needle))
        fail_msg("diagnostics:\n%s\ndo not contain:\n%s", ctx_text(c), needle);
}

static int parse_model(Ctx *c, const StrBuf *img, OnnxModel **m) {
    void *copy = exact_copy(img->data, img->len);
    int rc = onnx_model_parse(copy, img->len, "m.onnx", NULL, &c->arena, &c->d, m);
    free(copy);
    return rc;
}

static int parse_tensor(Ctx *c, const StrBuf *img, OnnxTensor **t) {
    void *copy = exact_copy(img->data, img->len);
    int rc = onnx_tensor_parse(copy, img->len, "t.pb", NULL, &c->arena, &c->d, t);
    free(copy);
    return rc;
}

/* ONNX field numbers (onnx.proto) and enum values used below. */
enum {
    MODEL_IR_VERSION = 1,
    MODEL_PRODUCER_NAME = 2,
    MODEL_PRODUCER_VERSION = 3,
    MODEL_DOMAIN = 4,
    MODEL_MODEL_VERSION = 5,
    MODEL_DOC = 6,
    MODEL_GRAPH = 7,
    MODEL_OPSET = 8,
    MODEL_METADATA = 14,
    MODEL_TRAINING = 20,
    MODEL_FUNCTIONS = 25,
    GRAPH_NODE = 1,
    GRAPH_NAME = 2,
    GRAPH_INIT = 5,
    GRAPH_INPUT = 11,
    GRAPH_OUTPUT = 12,
    GRAPH_VALUE_INFO = 13,
    GRAPH_SPARSE_INIT = 15,
    NODE_INPUT = 1,
    NODE_OUTPUT = 2,
    NODE_NAME = 3,
    NODE_OP = 4,
    NODE_ATTR = 5,
    NODE_DOMAIN = 7,
    ATTR_NAME = 1,
    ATTR_F = 2,
    ATTR_I = 3,
    ATTR_S = 4,
    ATTR_T = 5,
    ATTR_G = 6,
    ATTR_FLOATS = 7,
    ATTR_INTS = 8,
    ATTR_STRINGS = 9,
    ATTR_TENSORS = 10,
    ATTR_GRAPHS = 11,
    ATTR_TYPE = 20,
    ATTR_REF = 21,
    ATTR_SPARSE = 22,
    T_DIMS = 1,
    T_TYPE = 2,
    T_SEGMENT = 3,
    T_FLOAT = 4,
    T_INT32 = 5,
    T_STRING = 6,
    T_INT64 = 7,
    T_NAME = 8,
    T_RAW = 9,
    T_DOUBLE = 10,
    T_UINT64 = 11,
    T_EXTERNAL = 13,
    T_LOCATION = 14,
    FN_NAME = 1,
    FN_INPUT = 4,
    FN_OUTPUT = 5,
    FN_ATTR = 6,
    FN_NODE = 7,
    FN_OPSET = 9,
    FN_DOMAIN = 10,
};

/* ---- Builders ---------------------------------------------------------------- */

static StrBuf opset(const char *domain, int64_t version) {
    StrBuf o;
    sb_init(&o);
    enc_str(&o, 1, domain);
    enc_int(&o, 2, version);
    return o;
}

static StrBuf key_value(const char *k, const char *v) {
    StrBuf kv;
    sb_init(&kv);
    enc_str(&kv, 1, k);
    enc_str(&kv, 2, v);
    return kv;
}

/* NodeProto op(inputs) -> (outputs); inputs and outputs end with NULL. */
static StrBuf node(const char *name, const char *op, const char *const *in,
                   const char *const *out) {
    StrBuf n;
    sb_init(&n);
    for (; in && *in; in++) enc_str(&n, NODE_INPUT, *in);
    for (; out && *out; out++) enc_str(&n, NODE_OUTPUT, *out);
    if (name) enc_str(&n, NODE_NAME, name);
    enc_str(&n, NODE_OP, op);
    return n;
}

static StrBuf attr_begin(const char *name, int type) {
    StrBuf a;
    sb_init(&a);
    enc_str(&a, ATTR_NAME, name);
    if (type) enc_int(&a, ATTR_TYPE, type);
    return a;
}

static StrBuf f32_tensor(const char *name, const float *v, int n) {
    int64_t dims[1] = {n};
    StrBuf t = onnx_tensor_header(name, ONNX_FLOAT, dims, 1);
    enc_bytes(&t, T_RAW, v, sizeof(float) * (size_t)n);
    return t;
}

static StrBuf small_graph(const char *name) {
    StrBuf g;
    sb_init(&g);
    const char *in[] = {"a", NULL}, *out[] = {"b", NULL};
    StrBuf n = node(NULL, "Relu", in, out);
    enc_msg(&g, GRAPH_NODE, &n);
    enc_str(&g, GRAPH_NAME, name);
    int64_t dims[] = {4};
    StrBuf vi = onnx_value_info("a", ONNX_FLOAT, dims, 1);
    enc_msg(&g, GRAPH_INPUT, &vi);
    vi = onnx_value_info("b", ONNX_FLOAT, dims, 1);
    enc_msg(&g, GRAPH_OUTPUT, &vi);
    return g;
}

/* A TypeProto of kind field (sequence 4 / optional 9) around elem. */
static StrBuf wrap_type(int field, StrBuf *elem) {
    StrBuf inner, type;
    sb_init(&inner);
    enc_msg(&inner, 1, elem); /* elem_type */
    sb_init(&type);
    enc_msg(&type, field, &inner);
    return type;
}

static StrBuf tensor_type(int32_t elem, const int64_t *dims, int ndim, bool shape) {
    StrBuf s, t, type;
    sb_init(&t);
    enc_int(&t, 1, elem);
    if (shape) {
        sb_init(&s);
        for (int i = 0; i < ndim; i++) {
            StrBuf dim;
            sb_init(&dim);
            enc_int(&dim, 1, dims[i]);
            enc_msg(&s, 1, &dim);
        }
        enc_msg(&t, 2, &s);
    }
    sb_init(&type);
    enc_msg(&type, 1, &t);
    return type;
}

static StrBuf value_info_of(const char *name, StrBuf *type) {
    StrBuf vi;
    sb_init(&vi);
    enc_str(&vi, 1, name);
    enc_msg(&vi, 2, type);
    return vi;
}

/* The node with an attribute of every type (and one without a type). */
static StrBuf every_attribute_node(void) {
    const char *in[] = {"x", "w", "", NULL}, *out[] = {"y", NULL};
    StrBuf n = node("conv", "Conv", in, out), a;

    a = attr_begin("alpha", ONNX_ATTR_FLOAT);
    enc_float(&a, ATTR_F, 0.5f);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("axis", ONNX_ATTR_INT);
    enc_int(&a, ATTR_I, -2);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("mode", ONNX_ATTR_STRING);
    enc_str(&a, ATTR_S, "constant");
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("value", ONNX_ATTR_TENSOR);
    float tv[] = {1.5f, -2.0f};
    StrBuf t = f32_tensor("v", tv, 2);
    enc_msg(&a, ATTR_T, &t);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("body", ONNX_ATTR_GRAPH);
    StrBuf g = small_graph("sub");
    enc_msg(&a, ATTR_G, &g);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("scales", ONNX_ATTR_FLOATS);
    float fv[] = {0.25f, 4.0f};
    enc_packed_floats(&a, ATTR_FLOATS, fv, 2);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("pads", ONNX_ATTR_INTS); /* unpacked, as old writers do */
    for (int i = 1; i <= 4; i++) enc_int(&a, ATTR_INTS, i);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("names", ONNX_ATTR_STRINGS);
    enc_str(&a, ATTR_STRINGS, "a");
    enc_str(&a, ATTR_STRINGS, "bc");
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("ts", ONNX_ATTR_TENSORS);
    StrBuf t0 = onnx_tensor_header("seven", ONNX_INT64, NULL, 0);
    enc_int(&t0, T_INT64, 7);
    enc_msg(&a, ATTR_TENSORS, &t0);
    int64_t d3[] = {3};
    StrBuf t1 = onnx_tensor_header("bytes", ONNX_INT8, d3, 1);
    enc_bytes(&t1, T_RAW, "\x01\xff\x7f", 3);
    enc_msg(&a, ATTR_TENSORS, &t1);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("gs", ONNX_ATTR_GRAPHS);
    StrBuf g0 = small_graph("g0"), g1 = small_graph("g1");
    enc_msg(&a, ATTR_GRAPHS, &g0);
    enc_msg(&a, ATTR_GRAPHS, &g1);
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("sp", ONNX_ATTR_SPARSE_TENSOR); /* kept as a type; value not decoded */
    enc_str(&a, ATTR_SPARSE, "\x0a\x00");
    enc_msg(&n, NODE_ATTR, &a);

    a = attr_begin("untyped", 0); /* the type is inferred from the value */
    enc_int(&a, ATTR_I, 9);
    enc_msg(&n, NODE_ATTR, &a);
    return n;
}

/* A model using every message and field the reader knows. The graph is the
 * last field, so every proper prefix lacks a complete graph. */
static StrBuf full_model(void) {
    StrBuf m, o, g, kv, fn;
    sb_init(&m);
    enc_int(&m, MODEL_IR_VERSION, 8);
    o = opset("", 13);
    enc_msg(&m, MODEL_OPSET, &o);
    o = opset("com.example", 2);
    enc_msg(&m, MODEL_OPSET, &o);
    enc_str(&m, MODEL_PRODUCER_NAME, "accc-test");
    enc_str(&m, MODEL_PRODUCER_VERSION, "1.0");
    enc_str(&m, MODEL_DOMAIN, "org.test");
    enc_int(&m, MODEL_MODEL_VERSION, 3);
    enc_str(&m, MODEL_DOC, "ignored");
    kv = key_value("k", "v");
    enc_msg(&m, MODEL_METADATA, &kv);
    enc_str(&m, MODEL_TRAINING, "\x0a\x00"); /* training_info: skipped */
    enc_int(&m, 999, 1);                     /* a field ONNX may add one day */

    sb_init(&fn);
    enc_str(&fn, FN_NAME, "F");
    enc_str(&fn, FN_DOMAIN, "local");
    enc_str(&fn, FN_INPUT, "a");
    enc_str(&fn, FN_OUTPUT, "b");
    enc_str(&fn, FN_ATTR, "alpha");
    const char *in[] = {"a", NULL}, *out[] = {"b", NULL};
    StrBuf fnode = node(NULL, "Identity", in, out);
    enc_msg(&fn, FN_NODE, &fnode);
    o = opset("", 13);
    enc_msg(&fn, FN_OPSET, &o);
    enc_msg(&m, MODEL_FUNCTIONS, &fn);

    sb_init(&g);
    StrBuf n0 = every_attribute_node();
    enc_msg(&g, GRAPH_NODE, &n0);
    const char *in1[] = {"y", NULL}, *out1[] = {"z1", "z2", NULL};
    StrBuf n1 = node("c", "Custom", in1, out1);
    enc_str(&n1, NODE_DOMAIN, "com.example");
    enc_msg(&g, GRAPH_NODE, &n1);
    enc_str(&g, GRAPH_NAME, "main");
    int64_t d22[] = {2, 2};
    StrBuf w = onnx_tensor_header("w", ONNX_FLOAT, d22, 2);
    float wv[] = {1, 2, 3, 4};
    enc_packed_floats(&w, T_FLOAT, wv, 4);
    enc_msg(&g, GRAPH_INIT, &w);

    /* x: f32[1, N, ?] */
    StrBuf shape, tt, type, dim;
    sb_init(&shape);
    sb_init(&dim);
    enc_int(&dim, 1, 1);
    enc_msg(&shape, 1, &dim);
    sb_init(&dim);
    enc_str(&dim, 2, "N");
    enc_msg(&shape, 1, &dim);
    sb_init(&dim);
    enc_msg(&shape, 1, &dim);
    sb_init(&tt);
    enc_int(&tt, 1, ONNX_FLOAT);
    enc_msg(&tt, 2, &shape);
    sb_init(&type);
    enc_msg(&type, 1, &tt);
    StrBuf vi = value_info_of("x", &type);
    enc_msg(&g, GRAPH_INPUT, &vi);
    vi = onnx_value_info("w", ONNX_FLOAT, d22, 2);
    enc_msg(&g, GRAPH_INPUT, &vi);

    /* z1: seq(i64[]); z2: map(i64, f32 (rank unknown)) */
    StrBuf scalar = tensor_type(ONNX_INT64, NULL, 0, true);
    type = wrap_type(4, &scalar);
    vi = value_info_of("z1", &type);
    enc_msg(&g, GRAPH_OUTPUT, &vi);
    StrBuf map, val = tensor_type(ONNX_FLOAT, NULL, 0, false);
    sb_init(&map);
    enc_int(&map, 1, ONNX_INT64);
    enc_msg(&map, 2, &val);
    sb_init(&type);
    enc_msg(&type, 5, &map);
    vi = value_info_of("z2", &type);
    enc_msg(&g, GRAPH_OUTPUT, &vi);

    /* y: optional(f32[3]); s: sparse f32[3, 3] */
    int64_t d3[] = {3}, d33[] = {3, 3};
    StrBuf t3 = tensor_type(ONNX_FLOAT, d3, 1, true);
    type = wrap_type(9, &t3);
    vi = value_info_of("y", &type);
    enc_msg(&g, GRAPH_VALUE_INFO, &vi);
    StrBuf sp;
    sb_init(&sp);
    enc_int(&sp, 1, ONNX_FLOAT);
    sb_init(&shape);
    for (int i = 0; i < 2; i++) {
        sb_init(&dim);
        enc_int(&dim, 1, d33[i]);
        enc_msg(&shape, 1, &dim);
    }
    enc_msg(&sp, 2, &shape);
    sb_init(&type);
    enc_msg(&type, 8, &sp);
    vi = value_info_of("s", &type);
    enc_msg(&g, GRAPH_VALUE_INFO, &vi);

    enc_msg(&m, MODEL_GRAPH, &g);
    return m;
}

/* ---- Models --------------------------------------------------------------------- */

static void check_small_graph(const OnnxGraph *g, const char *name) {
    assert_string_equal(g->name, name);
    assert_int_equal(g->nnodes, 1);
    assert_string_equal(g->nodes[0].op_type, "Relu");
    assert_int_equal(g->ninputs, 1);
    assert_int_equal(g->noutputs, 1);
    assert_string_equal(g->outputs[0].name, "b");
}

static void test_full_model(void **state) {
    Ctx c;
    ctx_init(&c);
    StrBuf img = full_model();
    OnnxModel *m;
    if (parse_model(&c, &img, &m)) fail_msg("%s", ctx_text(&c));
    sb_free(&img);

    assert_int_equal(m->ir_version, 8);
    assert_string_equal(m->producer_name, "accc-test");
    assert_string_equal(m->producer_version, "1.0");
    assert_string_equal(m->domain, "org.test");
    assert_int_equal(m->model_version, 3);
    assert_int_equal(m->nopsets, 2);
    assert_int_equal(onnx_model_opset(m, ""), 13);
    assert_int_equal(onnx_model_opset(m, "ai.onnx"), 13);
    assert_int_equal(onnx_model_opset(m, "com.example"), 2);
    assert_int_equal(onnx_model_opset(m, "com.other"), -1);
    assert_int_equal(m->nmetadata, 1);
    assert_string_equal(m->metadata[0].key, "k");
    assert_string_equal(m->metadata[0].value, "v");

    assert_int_equal(m->nfunctions, 1);
    const OnnxFunction *fn = &m->functions[0];
    assert_string_equal(fn->name, "F");
    assert_string_equal(fn->domain, "local");
    assert_int_equal(fn->ninputs, 1);
    assert_string_equal(fn->attributes[0], "alpha");
    assert_int_equal(fn->nnodes, 1);
    assert_string_equal(fn->nodes[0].op_type, "Identity");
    assert_int_equal(fn->nopsets, 1);

    const OnnxGraph *g = &m->graph;
    assert_string_equal(g->name, "main");
    assert_int_equal(g->nnodes, 2);
    assert_int_equal(g->ninitializers, 1);

    /* inputs: x f32[1, N, ?], w f32[2, 2] */
    assert_int_equal(g->ninputs, 2);
    const OnnxType *x = &g->inputs[0].type;
    assert_int_equal(x->kind, ONNX_TYPE_TENSOR);
    assert_int_equal(x->elem_type, ONNX_FLOAT);
    assert_true(x->has_shape);
    assert_int_equal(x->ndim, 3);
    assert_int_equal(x->dims[0].value, 1);
    assert_null(x->dims[0].param);
    assert_int_equal(x->dims[1].value, -1);
    assert_string_equal(x->dims[1].param, "N");
    assert_int_equal(x->dims[2].value, -1);
    assert_null(x->dims[2].param);
    StrBuf sb;
    sb_init(&sb);
    onnx_dump_type(x, &sb);
    assert_string_equal(sb.data, "f32[1, N, ?]");

    /* outputs: seq(i64[]), map(i64, f32 (rank unknown)) */
    assert_int_equal(g->noutputs, 2);
    sb_clear(&sb);
    onnx_dump_type(&g->outputs[0].type, &sb);
    assert_string_equal(sb.data, "seq(i64[])");
    assert_int_equal(g->outputs[1].type.kind, ONNX_TYPE_MAP);
    assert_int_equal(g->outputs[1].type.key_type, ONNX_INT64);
    sb_clear(&sb);
    onnx_dump_type(&g->outputs[1].type, &sb);
    assert_string_equal(sb.data, "map(i64, f32 (rank unknown))");
    assert_int_equal(g->nvalue_infos, 2);
    sb_clear(&sb);
    onnx_dump_type(&g->value_infos[0].type, &sb);
    assert_string_equal(sb.data, "optional(f32[3])");
    sb_clear(&sb);
    onnx_dump_type(&g->value_infos[1].type, &sb);
    assert_string_equal(sb.data, "sparse f32[3, 3]");
    sb_free(&sb);
    assert_ptr_equal(onnx_graph_value_info(g, "z2"), &g->outputs[1]);
    assert_ptr_equal(onnx_graph_value_info(g, "s"), &g->value_infos[1]);
    assert_null(onnx_graph_value_info(g, "nope"));

    /* initializer w from packed float_data */
    const OnnxTensor *w = onnx_graph_initializer(g, "w");
    assert_ptr_equal(w, &g->initializers[0]);
    assert_null(onnx_graph_initializer(g, "x"));
    assert_int_equal(w->dtype, ACC_DTYPE_F32);
    assert_int_equal(w->ndim, 2);
    assert_int_equal(w->count, 4);
    assert_true(((float *)w->data)[3] == 4.0f);

    /* node 0 and every attribute type */
    const OnnxNode *n = &g->nodes[0];
    assert_string_equal(n->name, "conv");
    assert_string_equal(n->op_type, "Conv");
    assert_string_equal(n->domain, "");
    assert_int_equal(n->ninputs, 3);
    assert_string_equal(n->inputs[2], ""); /* omitted optional input */
    assert_int_equal(n->nattrs, 12);

    float f;
    int64_t i;
    OnnxBytes s;
    const OnnxTensor *t;
    const OnnxGraph *sub;
    const float *fs;
    const int64_t *is;
    const OnnxBytes *ss;
    size_t count;
    assert_int_equal(onnx_attr_float(n, "alpha", &f), ONNX_GET_OK);
    assert_true(f == 0.5f);
    assert_int_equal(onnx_attr_int(n, "axis", &i), ONNX_GET_OK);
    assert_int_equal(i, -2);
    assert_int_equal(onnx_attr_string(n, "mode", &s), ONNX_GET_OK);
    assert_int_equal(s.len, 8);
    assert_string_equal(s.data, "constant");
    assert_int_equal(onnx_attr_tensor(n, "value", &t), ONNX_GET_OK);
    assert_string_equal(t->name, "v");
    assert_int_equal(t->count, 2);
    assert_true(((float *)t->data)[1] == -2.0f);
    assert_int_equal(onnx_attr_graph(n, "body", &sub), ONNX_GET_OK);
    check_small_graph(sub, "sub");
    assert_int_equal(onnx_attr_floats(n, "scales", &fs, &count), ONNX_GET_OK);
    assert_int_equal(count, 2);
    assert_true(fs[0] == 0.25f && fs[1] == 4.0f);
    assert_int_equal(onnx_attr_ints(n, "pads", &is, &count), ONNX_GET_OK);
    assert_int_equal(count, 4);
    assert_true(is[0] == 1 && is[3] == 4);
    assert_int_equal(onnx_attr_strings(n, "names", &ss, &count), ONNX_GET_OK);
    assert_int_equal(count, 2);
    assert_string_equal(ss[1].data, "bc");
    const OnnxAttr *ts = onnx_attr_find(n, "ts");
    assert_int_equal(ts->type, ONNX_ATTR_TENSORS);
    assert_int_equal(ts->ntensors, 2);
    assert_int_equal(ts->tensors[0].ndim, 0);
    assert_int_equal(ts->tensors[0].count, 1);
    assert_int_equal(*(int64_t *)ts->tensors[0].data, 7);
    assert_int_equal(ts->tensors[1].dtype, ACC_DTYPE_I8);
    assert_int_equal(((int8_t *)ts->tensors[1].data)[1], -1);
    const OnnxAttr *gs = onnx_attr_find(n, "gs");
    assert_int_equal(gs->ngraphs, 2);
    check_small_graph(&gs->graphs[1], "g1");
    assert_int_equal(onnx_attr_find(n, "sp")->type, ONNX_ATTR_SPARSE_TENSOR);
    assert_int_equal(onnx_attr_int(n, "untyped", &i), ONNX_GET_OK);
    assert_int_equal(i, 9);

    /* Absent and mistyped attributes leave the default alone. */
    i = 77;
    assert_int_equal(onnx_attr_int(n, "missing", &i), ONNX_GET_ABSENT);
    assert_int_equal(i, 77);
    assert_int_equal(onnx_attr_int(n, "alpha", &i), ONNX_GET_WRONG_TYPE);
    assert_int_equal(i, 77);
    assert_int_equal(onnx_attr_tensor(n, "sp", &t), ONNX_GET_WRONG_TYPE);
    assert_string_equal(onnx_attr_type_error(&c.arena, n, "alpha", ONNX_ATTR_INTS),
                        "node 'conv' (Conv): attribute 'alpha' is of type float, expected ints");

    /* node 1: a custom domain */
    assert_string_equal(g->nodes[1].domain, "com.example");
    assert_int_equal(g->nodes[1].noutputs, 2);
    assert_string_equal(g->nodes[1].outputs[1], "z2");
    ctx_free(&c);
}

static void test_every_prefix_is_rejected(void **state) {
    /* Cut anywhere, a model is either malformed (a length runs past the
     * end) or incomplete (no graph); never read past the end. */
    StrBuf img = full_model();
    for (size_t len = 0; len < img.len; len++) {
        Ctx c;
        ctx_init(&c);
        OnnxModel *m;
        void *copy = exact_copy(img.data, len);
        int rc = onnx_model_parse(copy, len, "m.onnx", NULL, &c.arena, &c.d, &m);
        free(copy);
        if (rc == 0) fail_msg("a %zu-byte prefix of %zu bytes was accepted", len, img.len);
        assert_null(m);
        assert_true(c.d.nerrors > 0);
        expect_text(&c, "m.onnx: error: ");
        ctx_free(&c);
    }
    sb_free(&img);
}

static void test_required_fields(void **state) {
    Ctx c;
    ctx_init(&c);
    StrBuf img;
    sb_init(&img);
    enc_str(&img, MODEL_PRODUCER_NAME, "x");
    OnnxModel *m;
    assert_int_equal(parse_model(&c, &img, &m), -1);
    assert_string_equal(ctx_text(&c), "m.onnx: error: model has no ir_version\n"
                                      "m.onnx: error: model has no graph\n"
                                      "m.onnx: error: model has no opset_import\n");
    sb_free(&img);
    ctx_free(&c);

    ctx_init(&c);
    sb_init(&img);
    assert_int_equal(parse_model(&c, &img, &m), -1);
    assert_string_equal(ctx_text(&c), "m.onnx: error: empty file, not an ONNX model\n");
    sb_free(&img);
    ctx_free(&c);
}

static void test_duplicate_graph(void **state) {
    Ctx c;
    ctx_init(&c);
    StrBuf g = small_graph("a");
    StrBuf img = onnx_model(&g);
    g = small_graph("b");
    enc_msg(&img, MODEL_GRAPH, &g);
    OnnxModel *m;
    assert_int_equal(parse_model(&c, &img, &m), -1);
    expect_text(&c, "m.onnx: error: graph: message field given twice (merging split messages is "
                    "not supported) at byte ");
    sb_free(&img);
    ctx_free(&c);
}

static void test_wire_error_names_the_path(void **state) {
    /* graph.node[1].attribute[0].t.dims ends inside a varint. */
    Ctx c;
    ctx_init(&c);
    StrBuf g, n0, n1, a, t;
    sb_init(&g);
    const char *in[] = {"x", NULL}, *out[] = {"y", NULL};
    n0 = node(NULL, "Relu", in, out);
    enc_msg(&g, GRAPH_NODE, &n0);
    n1 = node(NULL, "Constant", NULL, out);
    a = attr_begin("value", ONNX_ATTR_TENSOR);
    sb_init(&t);
    enc_key(&t, T_DIMS, PB_VARINT);
    sb_putc(&t, (char)0x80);
    enc_msg(&a, ATTR_T, &t);
    enc_msg(&n1, NODE_ATTR, &a);
    enc_msg(&g, GRAPH_NODE, &n1);
    StrBuf img = onnx_model(&g);
    OnnxModel *m;
    assert_int_equal(parse_model(&c, &img, &m), -1);
    const char *prefix =
        "m.onnx: error: graph.node[1].attribute[0].t.dims: truncated varint at byte ";
    expect_text(&c, prefix);
    size_t at = (size_t)atol(ctx_text(&c) + strlen(prefix));
    assert_true(at > 0 && at < img.len);
    assert_int_equal((uint8_t)img.data[at - 1], 0x08); /* the dims key */
    assert_int_equal((uint8_t)img.data[at], 0x80);     /* the cut varint */
    sb_free(&img);
    ctx_free(&c);
}

static void test_semantic_errors_are_all_reported(void **state) {
    Ctx c;
    ctx_init(&c);
    StrBuf g, n, a;
    sb_init(&g);
    n = node("n", "", NULL, NULL); /* no op_type */
    a = attr_begin("both", 0);     /* no type, two values */
    enc_float(&a, ATTR_F, 1);
    enc_int(&a, ATTR_I, 1);
    enc_msg(&n, NODE_ATTR, &a);
    a = attr_begin("odd", 99);
    enc_msg(&n, NODE_ATTR, &a);
    sb_init(&a);
    enc_int(&a, ATTR_TYPE, ONNX_ATTR_INT); /* no name */
    enc_msg(&n, NODE_ATTR, &a);
    enc_msg(&g, GRAPH_NODE, &n);
    for (int k = 0; k < 2; k++) {
        StrBuf t = onnx_tensor_header(k ? "s2" : "s1", ONNX_STRING, NULL, 0);
        enc_str(&t, T_STRING, "text");
        enc_msg(&g, GRAPH_INIT, &t);
    }
    StrBuf sparse;
    sb_init(&sparse);
    enc_msg(&g, GRAPH_SPARSE_INIT, &sparse);
    StrBuf shape, dim, tt, type, vi;
    sb_init(&shape);
    sb_init(&dim);
    enc_int(&dim, 1, -3);
    enc_msg(&shape, 1, &dim);
    sb_init(&tt);
    enc_int(&tt, 1, ONNX_FLOAT);
    enc_msg(&tt, 2, &shape);
    sb_init(&type);
    enc_msg(&type, 1, &tt);
    vi = value_info_of("neg", &type);
    enc_msg(&g, GRAPH_INPUT, &vi);
    StrBuf img = onnx_model(&g);
    OnnxModel *m;
    assert_int_equal(parse_model(&c, &img, &m), -1);
    assert_null(m);
    assert_string_equal(
        ctx_text(&c),
        "m.onnx: error: graph.node[0].attribute[0]: attribute 'both' has no type, and its value "
        "does not say which\n"
        "m.onnx: error: graph.node[0].attribute[1].type: attribute 'odd' has unknown type 99\n"
        "m.onnx: error: graph.node[0].attribute[2]: attribute has no name\n"
        "m.onnx: error: graph.node[0]: node 'n' has no op_type\n"
        "m.onnx: error: graph.initializer[0]: tensor 's1': STRING tensors are not supported "
        "(accc reads FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, "
        "UINT32, INT64 and BOOL)\n"
        "m.onnx: error: graph.initializer[1]: tensor 's2': STRING tensors are not supported "
        "(accc reads FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, "
        "UINT32, INT64 and BOOL)\n"
        "m.onnx: error: graph.sparse_initializer: sparse initializers are not supported\n"
        "m.onnx: error: graph.input[0].type.tensor_type.shape.dim[0].dim_value: negative "
        "dimension -3\n");
    sb_free(&img);
    ctx_free(&c);
}

static void test_nul_in_name(void **state) {
    Ctx c;
    ctx_init(&c);
    StrBuf g;
    sb_init(&g);
    enc_bytes(&g, GRAPH_NAME, "a\0b", 3);
    StrBuf img = onnx_model(&g);
    OnnxModel *m;
    assert_int_equal(parse_model(&c, &img, &m), -1);
    expect_text(&c, "m.onnx: error: graph.name: string contains a NUL byte at byte ");
    sb_free(&img);
    ctx_free(&c);
}

/* ---- Tensors: every type, raw and typed ------------------------------------------ */

typedef struct TypeCase {
    int32_t type;
    AccDtype dtype;
    int n;
    double v[4]; /* the values, as the ONNX type holds them */
} TypeCase;

static const TypeCase type_cases[] = {
    {ONNX_FLOAT, ACC_DTYPE_F32, 4, {1.5, -2, 1e-30f, 3.4e38f}},
    {ONNX_UINT8, ACC_DTYPE_U8, 3, {0, 255, 7}},
    {ONNX_INT8, ACC_DTYPE_I8, 3, {-128, 127, 0}},
    {ONNX_UINT16, ACC_DTYPE_I32, 3, {0, 65535, 300}},
    {ONNX_INT16, ACC_DTYPE_I32, 3, {-32768, 32767, -1}},
    {ONNX_INT32, ACC_DTYPE_I32, 3, {INT32_MIN, INT32_MAX, 5}},
    {ONNX_INT64, ACC_DTYPE_I64, 3, {-4611686018427387904.0, 9007199254740992.0, 0}},
    {ONNX_BOOL, ACC_DTYPE_BOOL, 3, {1, 0, 1}},
    {ONNX_FLOAT16, ACC_DTYPE_F16, 3, {1.0, -2.5, 65504}},
    {ONNX_DOUBLE, ACC_DTYPE_F64, 3, {1e300, -1.0 / 3, 0}},
    {ONNX_UINT32, ACC_DTYPE_I64, 3, {4294967295.0, 0, 1}},
    {ONNX_BFLOAT16, ACC_DTYPE_BF16, 3, {1.0, -3.0, 1.5}},
};

static size_t raw_size(int32_t type) {
    switch (type) {
    case ONNX_UINT8:
    case ONNX_INT8:
    case ONNX_BOOL: return 1;
    case ONNX_UINT16:
    case ONNX_INT16:
    case ONNX_FLOAT16:
    case ONNX_BFLOAT16: return 2;
    case ONNX_FLOAT:
    case ONNX_INT32:
    case ONNX_UINT32: return 4;
    default: return 8;
    }
}

/* The bits of v as the ONNX type stores it. */
static uint64_t bits_of(int32_t type, double v) {
    switch (type) {
    case ONNX_FLOAT: return f32_bits((float)v);
    case ONNX_FLOAT16: return f32_to_f16((float)v);
    case ONNX_BFLOAT16: return f32_to_bf16((float)v);
    case ONNX_DOUBLE: {
        uint64_t b;
        memcpy(&b, &v, 8);
        return b;
    }
    default: return (uint64_t)(int64_t)v;
    }
}

static StrBuf raw_tensor(const TypeCase *tc) {
    int64_t dims[] = {tc->n};
    StrBuf t = onnx_tensor_header("t", tc->type, dims, 1);
    StrBuf raw;
    sb_init(&raw);
    for (int i = 0; i < tc->n; i++) {
        uint64_t b = bits_of(tc->type, tc->v[i]);
        for (size_t k = 0; k < raw_size(tc->type); k++) sb_putc(&raw, (char)(b >> (8 * k)));
    }
    enc_msg(&t, T_RAW, &raw);
    return t;
}

/* Typed storage: alternately packed and one field per value. */
static StrBuf typed_tensor(const TypeCase *tc, bool packed) {
    int64_t dims[] = {tc->n};
    StrBuf t = onnx_tensor_header("t", tc->type, dims, 1);
    for (int i = 0; i < tc->n; i++) {
        double v = tc->v[i];
        switch (tc->type) {
        case ONNX_FLOAT: {
            float f = (float)v;
            if (packed)
                enc_packed_floats(&t, T_FLOAT, &f, 1);
            else
                enc_float(&t, T_FLOAT, f);
            break;
        }
        case ONNX_DOUBLE:
            if (packed)
                enc_packed_doubles(&t, T_DOUBLE, &v, 1);
            else
                enc_double(&t, T_DOUBLE, v);
            break;
        default: {
            int field = tc->type == ONNX_INT64    ? T_INT64
                        : tc->type == ONNX_UINT32 ? T_UINT64
                                                  : T_INT32;
            int64_t x = (int64_t)bits_of(tc->type, v);
            if (packed)
                enc_packed_ints(&t, (uint32_t)field, &x, 1);
            else
                enc_int(&t, (uint32_t)field, x);
        }
        }
    }
    return t;
}

static void check_values(const OnnxTensor *t, const TypeCase *tc) {
    assert_int_equal(t->onnx_type, tc->type);
    assert_int_equal(t->dtype, tc->dtype);
    assert_int_equal(t->ndim, 1);
    assert_int_equal(t->count, tc->n);
    assert_int_equal((uintptr_t)t->data % 16, 0);
    for (int i = 0; i < tc->n; i++) {
        double got = dtype_get(t->dtype, t->data, (size_t)i);
        if (got != tc->v[i])
            fail_msg("%s element %d: got %.17g, expected %.17g", onnx_type_name(tc->type), i, got,
                     tc->v[i]);
    }
}

static void test_every_type_raw_and_typed(void **state) {
    for (size_t k = 0; k < ACC_ARRAY_LEN(type_cases); k++) {
        const TypeCase *tc = &type_cases[k];
        for (int form = 0; form < 3; form++) {
            Ctx c;
            ctx_init(&c);
            StrBuf img = form == 0 ? raw_tensor(tc) : typed_tensor(tc, form == 1);
            OnnxTensor *t;
            if (parse_tensor(&c, &img, &t))
                fail_msg("%s form %d: %s", onnx_type_name(tc->type), form, ctx_text(&c));
            check_values(t, tc);
            assert_false(t->external);
            sb_free(&img);
            ctx_free(&c);
        }
    }
}

static void test_int64_extremes(void **state) {
    int64_t v[] = {INT64_MIN, INT64_MAX, -1};
    int64_t dims[] = {3};
    for (int raw = 0; raw < 2; raw++) {
        StrBuf img = onnx_tensor_header(NULL, ONNX_INT64, dims, 1);
        if (raw)
            enc_bytes(&img, T_RAW, v, sizeof v);
        else
            enc_packed_ints(&img, T_INT64, v, 3);
        Ctx c;
        ctx_init(&c);
        OnnxTensor *t;
        assert_int_equal(parse_tensor(&c, &img, &t), 0);
        assert_memory_equal(t->data, v, sizeof v);
        assert_string_equal(t->name, "");
        sb_free(&img);
        ctx_free(&c);
    }
}

static void test_bool_and_half_normalisation(void **state) {
    int64_t dims[] = {3};
    Ctx c;
    ctx_init(&c);
    /* Any nonzero byte or int32 is true. */
    StrBuf img = onnx_tensor_header(NULL, ONNX_BOOL, dims, 1);
    enc_bytes(&img, T_RAW, "\x02\x00\xff", 3);
    OnnxTensor *t;
    assert_int_equal(parse_tensor(&c, &img, &t), 0);
    assert_memory_equal(t->data, "\x01\x00\x01", 3);
    sb_free(&img);
    img = onnx_tensor_header(NULL, ONNX_BOOL, dims, 1);
    int64_t b[] = {5, 0, -1};
    enc_packed_ints(&img, T_INT32, b, 3);
    assert_int_equal(parse_tensor(&c, &img, &t), 0);
    assert_memory_equal(t->data, "\x01\x00\x01", 3);
    sb_free(&img);
    /* float16 bits written as a signed int16 are the same bits. */
    img = onnx_tensor_header(NULL, ONNX_FLOAT16, dims, 1);
    int64_t h[] = {-1024, 0xfc00, 0x3c00};
    enc_packed_ints(&img, T_INT32, h, 3);
    assert_int_equal(parse_tensor(&c, &img, &t), 0);
    const uint16_t *hv = t->data;
    assert_int_equal(hv[0], 0xfc00);
    assert_int_equal(hv[1], 0xfc00);
    assert_int_equal(hv[2], 0x3c00);
    sb_free(&img);
    ctx_free(&c);
}

static void test_scalar_and_empty(void **state) {
    Ctx c;
    ctx_init(&c);
    StrBuf img = onnx_tensor_header("s", ONNX_FLOAT, NULL, 0);
    enc_float(&img, T_FLOAT, 2.5f);
    OnnxTensor *t;
    assert_int_equal(parse_tensor(&c, &img, &t), 0);
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->count, 1);
    assert_true(*(float *)t->data == 2.5f);
    sb_free(&img);
    int64_t dims[] = {0, 3};
    img = onnx_tensor_header("e", ONNX_INT32, dims, 2); /* no data needed */
    assert_int_equal(parse_tensor(&c, &img, &t), 0);
    assert_int_equal(t->count, 0);
    assert_non_null(t->data);
    sb_free(&img);
    ctx_free(&c);
}

/* Parse img as a standalone tensor; it must fail with exactly msg. */
static void expect_tensor_error(StrBuf *img, const char *msg) {
    Ctx c;
    ctx_init(&c);
    OnnxTensor *t;
    assert_int_equal(parse_tensor(&c, img, &t), -1);
    assert_null(t);
    StrBuf want;
    sb_init(&want);
    sb_printf(&want, "t.pb: error: %s\n", msg);
    assert_string_equal(ctx_text(&c), want.data);
    sb_free(&want);
    sb_free(img);
    ctx_free(&c);
}

static void test_tensor_errors(void **state) {
    int64_t d2[] = {2}, d23[] = {2, 3}, neg[] = {2, -1},
            big[] = {(int64_t)1 << 32, (int64_t)1 << 32};
    StrBuf t;

    t = onnx_tensor_header("x", ONNX_FLOAT, d23, 2);
    enc_bytes(&t, T_RAW, "12345678", 8);
    expect_tensor_error(&t, "tensor 'x': raw_data holds 8 bytes; FLOAT [2, 3] needs 24");

    t = onnx_tensor_header("x", ONNX_INT64, d2, 1);
    int64_t one[] = {1};
    enc_packed_ints(&t, T_INT64, one, 1);
    expect_tensor_error(&t, "tensor 'x': int64_data holds 1 value; INT64 [2] needs 2");

    t = onnx_tensor_header("x", ONNX_FLOAT, d2, 1);
    enc_bytes(&t, T_RAW, "12345678", 8);
    enc_float(&t, T_FLOAT, 1);
    enc_float(&t, T_FLOAT, 2);
    expect_tensor_error(&t, "tensor 'x': has both raw_data and float_data");

    t = onnx_tensor_header("x", ONNX_FLOAT, d2, 1);
    expect_tensor_error(&t, "tensor 'x': has no data for its 2 elements");

    t = onnx_tensor_header("x", ONNX_FLOAT, d2, 1);
    int64_t two[] = {1, 2};
    enc_packed_ints(&t, T_INT64, two, 2);
    expect_tensor_error(&t, "tensor 'x': holds FLOAT values in int64_data; ONNX keeps them in "
                            "float_data");

    t = onnx_tensor_header("x", ONNX_INT8, d2, 1);
    int64_t wide[] = {1, 128};
    enc_packed_ints(&t, T_INT32, wide, 2);
    expect_tensor_error(&t, "tensor 'x': int32_data[1] = 128 is out of range for INT8");

    t = onnx_tensor_header("x", ONNX_UINT32, d2, 1);
    int64_t u[] = {(int64_t)1 << 32, 0};
    enc_packed_ints(&t, T_UINT64, u, 2);
    expect_tensor_error(&t, "tensor 'x': uint64_data[0] = 4294967296 is out of range for UINT32");

    t = onnx_tensor_header("x", ONNX_UINT64, d2, 1);
    enc_packed_ints(&t, T_UINT64, two, 2);
    expect_tensor_error(&t, "tensor 'x': UINT64 tensors are not supported (accc reads FLOAT, "
                            "FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, "
                            "INT64 and BOOL)");

    t = onnx_tensor_header("x", ONNX_COMPLEX64, d2, 1);
    expect_tensor_error(&t, "tensor 'x': COMPLEX64 tensors are not supported (accc reads FLOAT, "
                            "FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, "
                            "INT64 and BOOL)");

    t = onnx_tensor_header("x", 99, d2, 1);
    expect_tensor_error(&t, "tensor 'x': has unknown data type 99");

    t = onnx_tensor_header("x", 0, d2, 1);
    expect_tensor_error(&t, "tensor 'x': has no data_type");

    t = onnx_tensor_header("x", ONNX_FLOAT, neg, 2);
    expect_tensor_error(&t, "tensor 'x': dims[1] is negative (-1)");

    t = onnx_tensor_header("x", ONNX_FLOAT, big, 2);
    expect_tensor_error(&t, "tensor 'x': has too many elements (dims[1] = 4294967296)");

    /* Huge dims with a few bytes of data are rejected before anything of
     * the claimed size is allocated (found by the fuzzer). */
    int64_t huge[] = {(int64_t)1 << 40, (int64_t)1 << 19};
    t = onnx_tensor_header("x", ONNX_FLOAT16, huge, 2);
    enc_bytes(&t, T_RAW, "12345678", 8);
    expect_tensor_error(&t, "tensor 'x': raw_data holds 8 bytes; FLOAT16 [1099511627776, 524288] "
                            "needs 1152921504606846976");
    t = onnx_tensor_header("x", ONNX_FLOAT, huge, 2);
    enc_float(&t, T_FLOAT, 1);
    expect_tensor_error(&t, "tensor 'x': float_data holds 1 value; FLOAT [1099511627776, 524288] "
                            "needs 576460752303423488");
    t = onnx_tensor_header("x", ONNX_FLOAT, huge, 2);
    expect_tensor_error(&t, "tensor 'x': has no data for its 576460752303423488 elements");

    t = onnx_tensor_header("x", ONNX_FLOAT, d2, 1);
    enc_str(&t, T_SEGMENT, "");
    expect_tensor_error(&t, "tensor 'x': is split into segments (TensorProto.segment), which "
                            "accc does not support");

    t = onnx_tensor_header("x", ONNX_FLOAT, d2, 1);
    enc_int(&t, T_LOCATION, 5);
    expect_tensor_error(&t, "tensor 'x': has unknown data_location 5");

    t = onnx_tensor_header(NULL, ONNX_FLOAT, d2, 1);
    enc_int(&t, T_LOCATION, 1);
    StrBuf kv = key_value("location", "w.bin");
    enc_msg(&t, T_EXTERNAL, &kv);
    expect_tensor_error(&t, "external data 'w.bin' cannot be read: the model is not in a file");

    t = onnx_tensor_header(NULL, ONNX_FLOAT, d2, 1);
    enc_int(&t, T_TYPE, (int64_t)1 << 40); /* data_type is an int32 */
    expect_tensor_error(&t, "data_type: int32 value 1099511627776 out of range at byte 5");
}

/* ---- External data ----------------------------------------------------------------- */

typedef struct TempDir {
    char path[256];
} TempDir;

static void temp_dir(TempDir *td) {
    const char *base = getenv("TMPDIR");
    snprintf(td->path, sizeof td->path, "%s/accc-onnx-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(td->path));
}

static char *temp_file(const TempDir *td, const char *name, const void *data, size_t len) {
    StrBuf p;
    sb_init(&p);
    sb_printf(&p, "%s/%s", td->path, name);
    char err[256];
    if (file_write_atomic(p.data, data, len, err, sizeof err)) fail_msg("%s", err);
    return sb_take(&p);
}

static void temp_dir_remove(const TempDir *td, const char *const *names) {
    for (; *names; names++) {
        StrBuf p;
        sb_init(&p);
        sb_printf(&p, "%s/%s", td->path, *names);
        unlink(p.data);
        rmdir(p.data);
        sb_free(&p);
    }
    rmdir(td->path);
}

/* An initializer whose data lives in a file. offset/length NULL: omitted. */
static StrBuf external_tensor(const char *name, int32_t type, int64_t n, const char *location,
                              const char *offset, const char *length) {
    int64_t dims[] = {n};
    StrBuf t = onnx_tensor_header(name, type, dims, 1), kv;
    enc_int(&t, T_LOCATION, 1);
    if (location) {
        kv = key_value("location", location);
        enc_msg(&t, T_EXTERNAL, &kv);
    }
    if (offset) {
        kv = key_value("offset", offset);
        enc_msg(&t, T_EXTERNAL, &kv);
    }
    if (length) {
        kv = key_value("length", length);
        enc_msg(&t, T_EXTERNAL, &kv);
    }
    kv = key_value("checksum", "ignored");
    enc_msg(&t, T_EXTERNAL, &kv);
    return t;
}

static void test_external_data(void **state) {
    TempDir td;
    temp_dir(&td);
    /* weights.bin: f32 [1, 2, 3] at 0, 4 bytes of padding, i16 [-5, 7] at 16 */
    uint8_t w[20] = {0};
    float fv[] = {1, 2, 3};
    int16_t iv[] = {-5, 7};
    memcpy(w, fv, 12);
    memcpy(w + 16, iv, 4);
    free(temp_file(&td, "weights.bin", w, sizeof w));
    StrBuf sub;
    sb_init(&sub);
    sb_printf(&sub, "%s/data", td.path);
    assert_int_equal(mkdir(sub.data, 0777), 0);
    sb_free(&sub);
    free(temp_file(&td, "data/b.bin", "\x09\x08", 2));

    StrBuf g, t;
    sb_init(&g);
    t = external_tensor("a", ONNX_FLOAT, 3, "weights.bin", "0", "12");
    enc_msg(&g, GRAPH_INIT, &t);
    t = external_tensor("b", ONNX_INT16, 2, "weights.bin", "16", NULL); /* to the end */
    enc_msg(&g, GRAPH_INIT, &t);
    t = external_tensor("c", ONNX_UINT8, 2, "./data/b.bin", NULL, NULL);
    enc_msg(&g, GRAPH_INIT, &t);
    StrBuf img = onnx_model(&g);
    char *path = temp_file(&td, "model.onnx", img.data, img.len);
    sb_free(&img);

    Ctx c;
    ctx_init(&c);
    OnnxModel *m;
    if (onnx_model_read(path, &c.arena, &c.d, &m)) fail_msg("%s", ctx_text(&c));
    assert_string_equal(m->path, path);
    const OnnxTensor *a = onnx_graph_initializer(&m->graph, "a");
    const OnnxTensor *b = onnx_graph_initializer(&m->graph, "b");
    const OnnxTensor *ct = onnx_graph_initializer(&m->graph, "c");
    assert_true(a->external && b->external && ct->external);
    assert_memory_equal(a->data, fv, 12);
    assert_int_equal(b->dtype, ACC_DTYPE_I32); /* INT16 widened */
    assert_int_equal(((int32_t *)b->data)[0], -5);
    assert_int_equal(((int32_t *)b->data)[1], 7);
    assert_memory_equal(ct->data, "\x09\x08", 2);
    ctx_free(&c);
    free(path);

    /* Everything that can go wrong, each reported in one read. */
    sb_init(&g);
    const char *bad[][4] = {
        {"missing.bin", "0", NULL}, {"weights.bin", "1000", NULL}, {"weights.bin", "8", "100"},
        {"weights.bin", "0", "8"},  {"/etc/passwd", NULL, NULL},   {"data/../../x.bin", NULL, NULL},
        {NULL, "0", "12"},          {"weights.bin", "12x", NULL},  {"weights.bin", "0", "-12"},
        {"data", NULL, NULL},
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(bad); i++) {
        t = external_tensor("e", ONNX_FLOAT, 3, bad[i][0], bad[i][1], bad[i][2]);
        enc_msg(&g, GRAPH_INIT, &t);
    }
    t = external_tensor("r", ONNX_FLOAT, 3, "weights.bin", NULL, "12");
    enc_bytes(&t, T_RAW, w, 12);
    enc_msg(&g, GRAPH_INIT, &t);
    img = onnx_model(&g);
    path = temp_file(&td, "bad.onnx", img.data, img.len);
    sb_free(&img);
    ctx_init(&c);
    assert_int_equal(onnx_model_read(path, &c.arena, &c.d, &m), -1);
    StrBuf want;
    sb_init(&want);
    const char *p = path, *d = td.path;
    sb_printf(&want,
              "%s: error: graph.initializer[0]: tensor 'e': cannot open external data file "
              "'%s/missing.bin': No such file or directory\n"
              "%s: error: graph.initializer[1]: tensor 'e': external data offset 1000 is past the "
              "end of '%s/weights.bin' (20 bytes)\n"
              "%s: error: graph.initializer[2]: tensor 'e': external data at offset 8, length 100 "
              "runs past the end of '%s/weights.bin' (20 bytes)\n"
              "%s: error: graph.initializer[3]: tensor 'e': external data holds 8 bytes; FLOAT "
              "[3] needs 12\n"
              "%s: error: graph.initializer[4]: tensor 'e': external data location '/etc/passwd' "
              "leaves the model's directory; it must be a relative path without '..'\n"
              "%s: error: graph.initializer[5]: tensor 'e': external data location "
              "'data/../../x.bin' leaves the model's directory; it must be a relative path "
              "without '..'\n"
              "%s: error: graph.initializer[6]: tensor 'e': has external data without a "
              "location\n"
              "%s: error: graph.initializer[7]: tensor 'e': external data offset '12x' is not a "
              "byte count\n"
              "%s: error: graph.initializer[8]: tensor 'e': external data length '-12' is not a "
              "byte count\n"
              "%s: error: graph.initializer[9]: tensor 'e': external data file '%s/data' is not a "
              "regular file\n"
              "%s: error: graph.initializer[10]: tensor 'r': has both raw_data and external "
              "data\n",
              p, d, p, d, p, d, p, p, p, p, p, p, p, d, p);
    assert_string_equal(ctx_text(&c), want.data);
    sb_free(&want);
    ctx_free(&c);
    free(path);

    const char *names[] = {"weights.bin", "data/b.bin", "data", "model.onnx", "bad.onnx", NULL};
    temp_dir_remove(&td, names);
}

static void test_read_missing_file(void **state) {
    Ctx c;
    ctx_init(&c);
    OnnxModel *m;
    assert_int_equal(onnx_model_read("/nonexistent/m.onnx", &c.arena, &c.d, &m), -1);
    assert_null(m);
    assert_string_equal(
        ctx_text(&c),
        "test: error: cannot open '/nonexistent/m.onnx': No such file or directory\n");
    ctx_free(&c);
}

static void test_type_names(void **state) {
    assert_string_equal(onnx_type_name(ONNX_BFLOAT16), "BFLOAT16");
    assert_string_equal(onnx_type_name(42), "data type 42");
    assert_string_equal(onnx_type_name(-1), "data type -1");
    assert_string_equal(onnx_type_short_name(ONNX_UINT16), "u16");
    AccDtype dt;
    assert_true(onnx_type_to_dtype(ONNX_UINT16, &dt));
    assert_int_equal(dt, ACC_DTYPE_I32);
    assert_true(onnx_type_to_dtype(ONNX_DOUBLE, &dt));
    assert_int_equal(dt, ACC_DTYPE_F64);
    assert_false(onnx_type_to_dtype(ONNX_STRING, &dt));
    assert_false(onnx_type_to_dtype(ONNX_UINT64, &dt));
    assert_false(onnx_type_to_dtype(17, &dt));
    assert_string_equal(onnx_attr_type_name(ONNX_ATTR_TYPE_PROTOS), "type_protos");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_model),
        cmocka_unit_test(test_every_prefix_is_rejected),
        cmocka_unit_test(test_required_fields),
        cmocka_unit_test(test_duplicate_graph),
        cmocka_unit_test(test_wire_error_names_the_path),
        cmocka_unit_test(test_semantic_errors_are_all_reported),
        cmocka_unit_test(test_nul_in_name),
        cmocka_unit_test(test_every_type_raw_and_typed),
        cmocka_unit_test(test_int64_extremes),
        cmocka_unit_test(test_bool_and_half_normalisation),
        cmocka_unit_test(test_scalar_and_empty),
        cmocka_unit_test(test_tensor_errors),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_read_missing_file),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

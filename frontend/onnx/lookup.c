/*
 * Lookups over a read model: ONNX type names, attributes by name with
 * typed getters, initializers, value infos, opsets.
 */
#include "internal.h"

#include <string.h>

/* ---- ONNX data types (types.def) ------------------------------------------ */

enum { ACC_DTYPE_NONE = -1 };

static const OnnxTypeInfo type_table[] = {
#define ONNX_TYPE(id, code, shortname, acc, raw_bytes, field)                                      \
    [code] = {#id, #shortname, ACC_DTYPE_##acc, raw_bytes, STORAGE_##field},
#include "types.def"
#undef ONNX_TYPE
};

const OnnxTypeInfo *onnx_type_info(int32_t type) {
    if (type < 0 || (size_t)type >= ACC_ARRAY_LEN(type_table) || !type_table[type].name)
        return NULL;
    return &type_table[type];
}

const char *onnx_type_name(int32_t type) {
    static char buf[32];
    const OnnxTypeInfo *info = onnx_type_info(type);
    if (info) return info->name;
    snprintf(buf, sizeof buf, "data type %d", (int)type);
    return buf;
}

const char *onnx_type_short_name(int32_t type) {
    const OnnxTypeInfo *info = onnx_type_info(type);
    return info ? info->short_name : "?";
}

bool onnx_type_to_dtype(int32_t type, AccDtype *out) {
    const OnnxTypeInfo *info = onnx_type_info(type);
    if (!info || info->acc < 0) return false;
    *out = (AccDtype)info->acc;
    return true;
}

/* ---- Models and graphs ------------------------------------------------------ */

static bool default_domain(const char *domain) {
    return domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0;
}

int64_t onnx_model_opset(const OnnxModel *m, const char *domain) {
    for (size_t i = 0; i < m->nopsets; i++) {
        const char *d = m->opsets[i].domain;
        if (default_domain(domain) ? default_domain(d) : strcmp(d, domain) == 0)
            return m->opsets[i].version;
    }
    return -1;
}

const OnnxTensor *onnx_graph_initializer(const OnnxGraph *g, const char *name) {
    for (size_t i = 0; i < g->ninitializers; i++)
        if (strcmp(g->initializers[i].name, name) == 0) return &g->initializers[i];
    return NULL;
}

static const OnnxValueInfo *find_value(const OnnxValueInfo *v, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0) return &v[i];
    return NULL;
}

const OnnxValueInfo *onnx_graph_value_info(const OnnxGraph *g, const char *name) {
    const OnnxValueInfo *v = find_value(g->inputs, g->ninputs, name);
    if (!v) v = find_value(g->outputs, g->noutputs, name);
    if (!v) v = find_value(g->value_infos, g->nvalue_infos, name);
    return v;
}

/* ---- Attributes ------------------------------------------------------------ */

static const char *const attr_type_names[] = {
    [ONNX_ATTR_UNDEFINED] = "undefined",
    [ONNX_ATTR_FLOAT] = "float",
    [ONNX_ATTR_INT] = "int",
    [ONNX_ATTR_STRING] = "string",
    [ONNX_ATTR_TENSOR] = "tensor",
    [ONNX_ATTR_GRAPH] = "graph",
    [ONNX_ATTR_FLOATS] = "floats",
    [ONNX_ATTR_INTS] = "ints",
    [ONNX_ATTR_STRINGS] = "strings",
    [ONNX_ATTR_TENSORS] = "tensors",
    [ONNX_ATTR_GRAPHS] = "graphs",
    [ONNX_ATTR_SPARSE_TENSOR] = "sparse_tensor",
    [ONNX_ATTR_SPARSE_TENSORS] = "sparse_tensors",
    [ONNX_ATTR_TYPE_PROTO] = "type_proto",
    [ONNX_ATTR_TYPE_PROTOS] = "type_protos",
};
_Static_assert(ACC_ARRAY_LEN(attr_type_names) == ONNX_ATTR_TYPE_PROTOS + 1,
               "attribute type names out of step with OnnxAttrType");

const char *onnx_attr_type_name(OnnxAttrType t) {
    return (unsigned)t < ACC_ARRAY_LEN(attr_type_names) ? attr_type_names[t] : "?";
}

const OnnxAttr *onnx_attr_find(const OnnxNode *n, const char *name) {
    for (size_t i = 0; i < n->nattrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

/* The attribute, when it exists with type want. */
static OnnxGet get(const OnnxNode *n, const char *name, OnnxAttrType want, const OnnxAttr **out) {
    const OnnxAttr *a = onnx_attr_find(n, name);
    if (!a) return ONNX_GET_ABSENT;
    if (a->type != want) return ONNX_GET_WRONG_TYPE;
    *out = a;
    return ONNX_GET_OK;
}

OnnxGet onnx_attr_float(const OnnxNode *n, const char *name, float *out) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_FLOAT, &a);
    if (g == ONNX_GET_OK) *out = a->f;
    return g;
}

OnnxGet onnx_attr_int(const OnnxNode *n, const char *name, int64_t *out) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_INT, &a);
    if (g == ONNX_GET_OK) *out = a->i;
    return g;
}

OnnxGet onnx_attr_string(const OnnxNode *n, const char *name, OnnxBytes *out) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_STRING, &a);
    if (g == ONNX_GET_OK) *out = a->s;
    return g;
}

OnnxGet onnx_attr_tensor(const OnnxNode *n, const char *name, const OnnxTensor **out) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_TENSOR, &a);
    if (g == ONNX_GET_OK && !a->t) g = ONNX_GET_WRONG_TYPE; /* typed, but no value */
    if (g == ONNX_GET_OK) *out = a->t;
    return g;
}

OnnxGet onnx_attr_graph(const OnnxNode *n, const char *name, const OnnxGraph **out) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_GRAPH, &a);
    if (g == ONNX_GET_OK && !a->g) g = ONNX_GET_WRONG_TYPE;
    if (g == ONNX_GET_OK) *out = a->g;
    return g;
}

OnnxGet onnx_attr_floats(const OnnxNode *n, const char *name, const float **out, size_t *count) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_FLOATS, &a);
    if (g == ONNX_GET_OK) *out = a->floats, *count = a->nfloats;
    return g;
}

OnnxGet onnx_attr_ints(const OnnxNode *n, const char *name, const int64_t **out, size_t *count) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_INTS, &a);
    if (g == ONNX_GET_OK) *out = a->ints, *count = a->nints;
    return g;
}

OnnxGet onnx_attr_strings(const OnnxNode *n, const char *name, const OnnxBytes **out,
                          size_t *count) {
    const OnnxAttr *a;
    OnnxGet g = get(n, name, ONNX_ATTR_STRINGS, &a);
    if (g == ONNX_GET_OK) *out = a->strings, *count = a->nstrings;
    return g;
}

char *onnx_attr_type_error(Arena *a, const OnnxNode *n, const char *name, OnnxAttrType want) {
    const OnnxAttr *at = onnx_attr_find(n, name);
    const char *have = at ? onnx_attr_type_name(at->type) : "absent";
    if (at && at->type == want) have = "empty"; /* a tensor or graph type without its value */
    return arena_printf(a, "node '%s' (%s): attribute '%s' is %s%s, expected %s", n->name,
                        n->op_type, name, at && at->type != want ? "of type " : "", have,
                        onnx_attr_type_name(want));
}

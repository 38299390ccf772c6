/*
 * ONNX messages, field by field, into the structures of onnx.h.
 *
 * Each message has one reader function: a loop over pb_next and a switch
 * on the field numbers of proto.def. Protobuf's rules apply: fields come
 * in any order, a repeated field may be split anywhere, a singular scalar
 * or string given twice keeps the last value. A singular message given
 * twice would have to be merged; no ONNX writer does that, so it is
 * rejected rather than half-supported.
 *
 * Wire-format errors stop the read (the decoder holds the message);
 * semantic problems are reported with onnx_report and reading goes on, so
 * one run lists every unsupported tensor.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- The schema, from proto.def --------------------------------------------- */

enum {
#define MESSAGE(msg)
#define FIELD(msg, name, number, kind) F_##msg##_##name = number,
#include "proto.def"
#undef FIELD
#undef MESSAGE
};

/* Every message's rows, each message preceded by an END row, so that a
 * message's schema starts one row after its MESSAGE row and runs to the
 * next END row. */
enum {
#define MESSAGE(msg)                   ROW_##msg,
#define FIELD(msg, name, number, kind) ROW_##msg##_##name,
#include "proto.def"
#undef FIELD
#undef MESSAGE
    ROW_COUNT
};

static const PbFieldDesc onnx_schema[ROW_COUNT + 1] = {
#define MESSAGE(msg)                   [ROW_##msg] = {#msg, 0, PB_KIND_END},
#define FIELD(msg, name, number, kind) [ROW_##msg##_##name] = {#name, number, PB_KIND_##kind},
#include "proto.def"
#undef FIELD
#undef MESSAGE
    [ROW_COUNT] = {"", 0, PB_KIND_END},
};

#define SCHEMA(msg) (&onnx_schema[ROW_##msg + 1])

/* ---- Helpers -------------------------------------------------------------- */

void onnx_report(Reader *r, const char *field, const char *fmt, ...) {
    StrBuf sb;
    sb_init(&sb);
    const char *saved = r->dec.field;
    uint32_t saved_number = r->dec.field_number;
    r->dec.field = field;
    r->dec.field_number = 0;
    pb_path(&r->dec, &sb);
    r->dec.field = saved;
    r->dec.field_number = saved_number;
    if (sb.len) sb_puts(&sb, ": ");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    diag_error(r->diag, r->loc, "%s", sb.data);
    sb_free(&sb);
    r->errors++;
}

/* Descend into the message in field f, read it with fn into out, come back. */
#define READ_MESSAGE(r, m, f, msg, index, fn, out)                                                 \
    do {                                                                                           \
        PbMsg sub_;                                                                                \
        if (pb_enter((m), (f), SCHEMA(msg), (long)(index), &sub_)) return -1;                      \
        if (fn((r), &sub_, (out))) return -1;                                                      \
        pb_leave(&sub_);                                                                           \
    } while (0)

#define READ_STRING(r, m, f, dst)                                                                  \
    do {                                                                                           \
        if (!((dst) = pb_string((m), (f), (r)->arena))) return -1;                                 \
    } while (0)

/* A singular message field seen a second time. */
static int twice(PbMsg *m, const PbField *f) {
    return pb_fail(m, f->offset,
                   "message field given twice (merging split messages is not supported)");
}

static int once(PbMsg *m, const PbField *f, bool *seen) {
    if (*seen) return twice(m, f);
    *seen = true;
    return 0;
}

/* The slot for the next string of a repeated string field. */
static int push_string(Reader *r, PbMsg *m, const PbField *f, PbVec *v) {
    const char **slot = PB_VEC_PUSH(r->arena, v, const char *);
    READ_STRING(r, m, f, *slot);
    return 0;
}

static int read_graph(Reader *r, PbMsg *m, OnnxGraph *g);
static int read_type(Reader *r, PbMsg *m, OnnxType *t);

/* ---- Small messages --------------------------------------------------------- */

/* OperatorSetIdProto: domain, version */
static int read_opset(Reader *r, PbMsg *m, OnnxOpset *o) {
    PbField f;
    int rc;
    o->domain = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_OperatorSetIdProto_domain: READ_STRING(r, m, &f, o->domain); break;
        case F_OperatorSetIdProto_version: o->version = pb_int64(&f); break;
        }
    }
    return rc;
}

/* StringStringEntryProto: key, value */
static int read_key_value(Reader *r, PbMsg *m, OnnxKeyValue *kv) {
    PbField f;
    int rc;
    kv->key = kv->value = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_StringStringEntryProto_key: READ_STRING(r, m, &f, kv->key); break;
        case F_StringStringEntryProto_value: READ_STRING(r, m, &f, kv->value); break;
        }
    }
    return rc;
}

/* ---- Types ---------------------------------------------------------------- */

/* TensorShapeProto.Dimension: dim_value | dim_param, denotation */
static int read_dim(Reader *r, PbMsg *m, OnnxDim *d) {
    PbField f;
    int rc;
    d->value = -1;
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_TensorShapeProto_Dimension_dim_value:
            d->value = pb_int64(&f);
            d->param = NULL;
            if (d->value < 0) {
                onnx_report(r, "dim_value", "negative dimension %lld", (long long)d->value);
                d->value = -1;
            }
            break;
        case F_TensorShapeProto_Dimension_dim_param:
            READ_STRING(r, m, &f, d->param);
            d->value = -1;
            break;
        }
    }
    return rc;
}

/* TensorShapeProto: dim* */
static int read_shape(Reader *r, PbMsg *m, OnnxType *t) {
    PbField f;
    int rc;
    PbVec dims = {t->dims, (size_t)t->ndim, (size_t)t->ndim};
    while ((rc = pb_next(m, &f)) > 0) {
        if (f.desc->number != F_TensorShapeProto_dim) continue;
        OnnxDim *d = PB_VEC_PUSH(r->arena, &dims, OnnxDim);
        READ_MESSAGE(r, m, &f, TensorShapeProto_Dimension, dims.len - 1, read_dim, d);
    }
    if (dims.len > INT32_MAX) return pb_fail(m, m->pos, "shape has too many dimensions");
    t->dims = dims.data;
    t->ndim = (int)dims.len;
    return rc;
}

/* TypeProto.Tensor and TypeProto.SparseTensor: elem_type, shape */
static int read_tensor_type(Reader *r, PbMsg *m, OnnxType *t) {
    PbField f;
    int rc;
    bool seen_shape = false;
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_TypeProto_Tensor_elem_type:
            if (pb_int32(m, &f, &t->elem_type)) return -1;
            break;
        case F_TypeProto_Tensor_shape:
            if (once(m, &f, &seen_shape)) return -1;
            t->has_shape = true;
            READ_MESSAGE(r, m, &f, TensorShapeProto, -1, read_shape, t);
            break;
        }
    }
    return rc;
}

/* TypeProto.Sequence and TypeProto.Optional: elem_type */
static int read_elem_type(Reader *r, PbMsg *m, OnnxType *t) {
    PbField f;
    int rc;
    bool seen = false;
    while ((rc = pb_next(m, &f)) > 0) {
        if (f.desc->number != F_TypeProto_Sequence_elem_type) continue;
        if (once(m, &f, &seen)) return -1;
        t->elem = ARENA_NEW(r->arena, OnnxType);
        READ_MESSAGE(r, m, &f, TypeProto, -1, read_type, t->elem);
    }
    return rc;
}

/* TypeProto.Map: key_type, value_type */
static int read_map_type(Reader *r, PbMsg *m, OnnxType *t) {
    PbField f;
    int rc;
    bool seen = false;
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_TypeProto_Map_key_type:
            if (pb_int32(m, &f, &t->key_type)) return -1;
            break;
        case F_TypeProto_Map_value_type:
            if (once(m, &f, &seen)) return -1;
            t->elem = ARENA_NEW(r->arena, OnnxType);
            READ_MESSAGE(r, m, &f, TypeProto, -1, read_type, t->elem);
            break;
        }
    }
    return rc;
}

/* TypeProto: oneof {tensor_type, sequence_type, map_type, optional_type,
 * sparse_tensor_type}, denotation. A later member of the oneof replaces an
 * earlier one, as in protobuf. */
static int read_type(Reader *r, PbMsg *m, OnnxType *t) {
    PbField f;
    int rc;
    while ((rc = pb_next(m, &f)) > 0) {
        OnnxTypeKind kind;
        switch (f.desc->number) {
        case F_TypeProto_tensor_type: kind = ONNX_TYPE_TENSOR; break;
        case F_TypeProto_sequence_type: kind = ONNX_TYPE_SEQUENCE; break;
        case F_TypeProto_map_type: kind = ONNX_TYPE_MAP; break;
        case F_TypeProto_optional_type: kind = ONNX_TYPE_OPTIONAL; break;
        case F_TypeProto_sparse_tensor_type: kind = ONNX_TYPE_SPARSE_TENSOR; break;
        default: continue;
        }
        if (t->kind == kind) return twice(m, &f);
        memset(t, 0, sizeof(*t));
        t->kind = kind;
        switch (kind) {
        case ONNX_TYPE_TENSOR:
        case ONNX_TYPE_SPARSE_TENSOR:
            READ_MESSAGE(r, m, &f, TypeProto_Tensor, -1, read_tensor_type, t);
            break;
        case ONNX_TYPE_SEQUENCE:
        case ONNX_TYPE_OPTIONAL:
            READ_MESSAGE(r, m, &f, TypeProto_Sequence, -1, read_elem_type, t);
            break;
        case ONNX_TYPE_MAP: READ_MESSAGE(r, m, &f, TypeProto_Map, -1, read_map_type, t); break;
        case ONNX_TYPE_NONE: break;
        }
    }
    return rc;
}

/* ValueInfoProto: name, type */
static int read_value_info(Reader *r, PbMsg *m, OnnxValueInfo *v) {
    PbField f;
    int rc;
    bool seen_type = false;
    v->name = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_ValueInfoProto_name: READ_STRING(r, m, &f, v->name); break;
        case F_ValueInfoProto_type:
            if (once(m, &f, &seen_type)) return -1;
            READ_MESSAGE(r, m, &f, TypeProto, -1, read_type, &v->type);
            break;
        }
    }
    if (rc == 0 && !v->name[0]) onnx_report(r, NULL, "value has no name");
    return rc;
}

/* ---- Tensors -------------------------------------------------------------- */

/* TensorProto: dims, data_type, the data fields, name, external_data,
 * data_location. The data is converted once the whole message is read. */
static int read_tensor(Reader *r, PbMsg *m, OnnxTensor *t) {
    TensorFields tf;
    memset(&tf, 0, sizeof tf);
    PbField f;
    int rc;
    Arena *a = r->arena;
    t->name = "";
    while ((rc = pb_next(m, &f)) > 0) {
        if (r->dec.depth == 0) r->saw_field = true;
        switch (f.desc->number) {
        case F_TensorProto_dims:
            if (pb_append_varints(m, &f, a, &tf.dims)) return -1;
            break;
        case F_TensorProto_data_type:
            if (pb_int32(m, &f, &tf.data_type)) return -1;
            break;
        case F_TensorProto_segment: tf.has_segment = true; break;
        case F_TensorProto_float_data:
            if (pb_append_floats(m, &f, a, &tf.float_data)) return -1;
            break;
        case F_TensorProto_int32_data:
            if (pb_append_varints(m, &f, a, &tf.int32_data)) return -1;
            break;
        case F_TensorProto_string_data: tf.nstrings++; break;
        case F_TensorProto_int64_data:
            if (pb_append_varints(m, &f, a, &tf.int64_data)) return -1;
            break;
        case F_TensorProto_name: READ_STRING(r, m, &f, t->name); break;
        case F_TensorProto_raw_data:
            tf.raw = m->dec->data + f.start;
            tf.raw_len = f.len;
            tf.has_raw = true;
            break;
        case F_TensorProto_double_data:
            if (pb_append_doubles(m, &f, a, &tf.double_data)) return -1;
            break;
        case F_TensorProto_uint64_data:
            if (pb_append_varints(m, &f, a, &tf.uint64_data)) return -1;
            break;
        case F_TensorProto_external_data: {
            OnnxKeyValue *kv = PB_VEC_PUSH(a, &tf.external, OnnxKeyValue);
            READ_MESSAGE(r, m, &f, StringStringEntryProto, tf.external.len - 1, read_key_value, kv);
            break;
        }
        case F_TensorProto_data_location:
            if (pb_int32(m, &f, &tf.data_location)) return -1;
            break;
        }
    }
    if (rc == 0) onnx_tensor_convert(r, &tf, t);
    return rc;
}

/* ---- Attributes and nodes -------------------------------------------------- */

/* What an attribute without a type field holds, judged by which value
 * fields are present (files from before IR version 2 omit the type). */
static OnnxAttrType infer_attr_type(const bool present[ONNX_ATTR_TYPE_PROTOS + 1]) {
    OnnxAttrType found = ONNX_ATTR_UNDEFINED;
    for (int t = 1; t <= ONNX_ATTR_TYPE_PROTOS; t++) {
        if (!present[t]) continue;
        if (found != ONNX_ATTR_UNDEFINED) return ONNX_ATTR_UNDEFINED; /* ambiguous */
        found = (OnnxAttrType)t;
    }
    return found;
}

/* AttributeProto: name, type, one value field, ref_attr_name */
static int read_attr(Reader *r, PbMsg *m, OnnxAttr *at) {
    Arena *a = r->arena;
    PbField f;
    int rc;
    int32_t type = 0;
    bool present[ONNX_ATTR_TYPE_PROTOS + 1] = {false};
    bool seen_t = false, seen_g = false;
    PbVec floats = {0}, ints = {0}, strings = {0}, tensors = {0}, graphs = {0};
    at->name = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_AttributeProto_name: READ_STRING(r, m, &f, at->name); break;
        case F_AttributeProto_ref_attr_name: READ_STRING(r, m, &f, at->ref_attr_name); break;
        case F_AttributeProto_type:
            if (pb_int32(m, &f, &type)) return -1;
            break;
        case F_AttributeProto_f:
            at->f = pb_float(&f);
            present[ONNX_ATTR_FLOAT] = true;
            break;
        case F_AttributeProto_i:
            at->i = pb_int64(&f);
            present[ONNX_ATTR_INT] = true;
            break;
        case F_AttributeProto_s:
            at->s.data = pb_bytes(m, &f, a);
            at->s.len = f.len;
            present[ONNX_ATTR_STRING] = true;
            break;
        case F_AttributeProto_t:
            if (once(m, &f, &seen_t)) return -1;
            at->t = ARENA_NEW(a, OnnxTensor);
            READ_MESSAGE(r, m, &f, TensorProto, -1, read_tensor, at->t);
            present[ONNX_ATTR_TENSOR] = true;
            break;
        case F_AttributeProto_g:
            if (once(m, &f, &seen_g)) return -1;
            at->g = ARENA_NEW(a, OnnxGraph);
            READ_MESSAGE(r, m, &f, GraphProto, -1, read_graph, at->g);
            present[ONNX_ATTR_GRAPH] = true;
            break;
        case F_AttributeProto_floats:
            if (pb_append_floats(m, &f, a, &floats)) return -1;
            present[ONNX_ATTR_FLOATS] = true;
            break;
        case F_AttributeProto_ints:
            if (pb_append_varints(m, &f, a, &ints)) return -1;
            present[ONNX_ATTR_INTS] = true;
            break;
        case F_AttributeProto_strings: {
            OnnxBytes *s = PB_VEC_PUSH(a, &strings, OnnxBytes);
            s->data = pb_bytes(m, &f, a);
            s->len = f.len;
            present[ONNX_ATTR_STRINGS] = true;
            break;
        }
        case F_AttributeProto_tensors: {
            OnnxTensor *t = PB_VEC_PUSH(a, &tensors, OnnxTensor);
            READ_MESSAGE(r, m, &f, TensorProto, tensors.len - 1, read_tensor, t);
            present[ONNX_ATTR_TENSORS] = true;
            break;
        }
        case F_AttributeProto_graphs: {
            OnnxGraph *g = PB_VEC_PUSH(a, &graphs, OnnxGraph);
            READ_MESSAGE(r, m, &f, GraphProto, graphs.len - 1, read_graph, g);
            present[ONNX_ATTR_GRAPHS] = true;
            break;
        }
        /* Kept as a type only: their values are not decoded. */
        case F_AttributeProto_sparse_tensor: present[ONNX_ATTR_SPARSE_TENSOR] = true; break;
        case F_AttributeProto_sparse_tensors: present[ONNX_ATTR_SPARSE_TENSORS] = true; break;
        case F_AttributeProto_tp: present[ONNX_ATTR_TYPE_PROTO] = true; break;
        case F_AttributeProto_type_protos: present[ONNX_ATTR_TYPE_PROTOS] = true; break;
        }
    }
    if (rc < 0) return -1;
    /* ints arrive as raw varints: the same bits as int64. */
    at->ints = ints.data;
    at->nints = ints.len;
    at->floats = floats.data;
    at->nfloats = floats.len;
    at->strings = strings.data;
    at->nstrings = strings.len;
    at->tensors = tensors.data;
    at->ntensors = tensors.len;
    at->graphs = graphs.data;
    at->ngraphs = graphs.len;

    if (!at->name[0]) onnx_report(r, NULL, "attribute has no name");
    if (type < 0 || type > ONNX_ATTR_TYPE_PROTOS) {
        onnx_report(r, "type", "attribute '%s' has unknown type %d", at->name, (int)type);
    } else if (type == ONNX_ATTR_UNDEFINED && !at->ref_attr_name) {
        at->type = infer_attr_type(present);
        if (at->type == ONNX_ATTR_UNDEFINED)
            onnx_report(r, NULL, "attribute '%s' has no type, and its value does not say which",
                        at->name);
    } else {
        at->type = (OnnxAttrType)type;
    }
    return 0;
}

/* NodeProto: input*, output*, name, op_type, domain, attribute* */
static int read_node(Reader *r, PbMsg *m, OnnxNode *n) {
    PbField f;
    int rc;
    PbVec inputs = {0}, outputs = {0}, attrs = {0};
    n->name = n->op_type = n->domain = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_NodeProto_input:
            if (push_string(r, m, &f, &inputs)) return -1;
            break;
        case F_NodeProto_output:
            if (push_string(r, m, &f, &outputs)) return -1;
            break;
        case F_NodeProto_name: READ_STRING(r, m, &f, n->name); break;
        case F_NodeProto_op_type: READ_STRING(r, m, &f, n->op_type); break;
        case F_NodeProto_domain: READ_STRING(r, m, &f, n->domain); break;
        case F_NodeProto_attribute: {
            OnnxAttr *at = PB_VEC_PUSH(r->arena, &attrs, OnnxAttr);
            READ_MESSAGE(r, m, &f, AttributeProto, attrs.len - 1, read_attr, at);
            break;
        }
        }
    }
    if (rc < 0) return -1;
    n->inputs = inputs.data;
    n->ninputs = inputs.len;
    n->outputs = outputs.data;
    n->noutputs = outputs.len;
    n->attrs = attrs.data;
    n->nattrs = attrs.len;
    if (!n->op_type[0]) onnx_report(r, NULL, "node '%s' has no op_type", n->name);
    return 0;
}

/* ---- Graphs, functions, models --------------------------------------------- */

/* GraphProto: node*, name, initializer*, input*, output*, value_info* */
static int read_graph(Reader *r, PbMsg *m, OnnxGraph *g) {
    PbField f;
    int rc;
    PbVec nodes = {0}, inits = {0}, inputs = {0}, outputs = {0}, infos = {0};
    Arena *a = r->arena;
    g->name = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_GraphProto_node: {
            OnnxNode *n = PB_VEC_PUSH(a, &nodes, OnnxNode);
            READ_MESSAGE(r, m, &f, NodeProto, nodes.len - 1, read_node, n);
            break;
        }
        case F_GraphProto_name: READ_STRING(r, m, &f, g->name); break;
        case F_GraphProto_initializer: {
            OnnxTensor *t = PB_VEC_PUSH(a, &inits, OnnxTensor);
            READ_MESSAGE(r, m, &f, TensorProto, inits.len - 1, read_tensor, t);
            break;
        }
        case F_GraphProto_input: {
            OnnxValueInfo *v = PB_VEC_PUSH(a, &inputs, OnnxValueInfo);
            READ_MESSAGE(r, m, &f, ValueInfoProto, inputs.len - 1, read_value_info, v);
            break;
        }
        case F_GraphProto_output: {
            OnnxValueInfo *v = PB_VEC_PUSH(a, &outputs, OnnxValueInfo);
            READ_MESSAGE(r, m, &f, ValueInfoProto, outputs.len - 1, read_value_info, v);
            break;
        }
        case F_GraphProto_value_info: {
            OnnxValueInfo *v = PB_VEC_PUSH(a, &infos, OnnxValueInfo);
            READ_MESSAGE(r, m, &f, ValueInfoProto, infos.len - 1, read_value_info, v);
            break;
        }
        case F_GraphProto_sparse_initializer:
            onnx_report(r, "sparse_initializer", "sparse initializers are not supported");
            break;
        }
    }
    if (rc < 0) return -1;
    g->nodes = nodes.data;
    g->nnodes = nodes.len;
    g->initializers = inits.data;
    g->ninitializers = inits.len;
    g->inputs = inputs.data;
    g->ninputs = inputs.len;
    g->outputs = outputs.data;
    g->noutputs = outputs.len;
    g->value_infos = infos.data;
    g->nvalue_infos = infos.len;
    return 0;
}

/* FunctionProto: name, domain, input*, output*, attribute*, node*, opset_import* */
static int read_function(Reader *r, PbMsg *m, OnnxFunction *fn) {
    PbField f;
    int rc;
    PbVec inputs = {0}, outputs = {0}, attrs = {0}, nodes = {0}, opsets = {0};
    fn->name = fn->domain = "";
    while ((rc = pb_next(m, &f)) > 0) {
        switch (f.desc->number) {
        case F_FunctionProto_name: READ_STRING(r, m, &f, fn->name); break;
        case F_FunctionProto_domain: READ_STRING(r, m, &f, fn->domain); break;
        case F_FunctionProto_input:
            if (push_string(r, m, &f, &inputs)) return -1;
            break;
        case F_FunctionProto_output:
            if (push_string(r, m, &f, &outputs)) return -1;
            break;
        case F_FunctionProto_attribute:
            if (push_string(r, m, &f, &attrs)) return -1;
            break;
        case F_FunctionProto_node: {
            OnnxNode *n = PB_VEC_PUSH(r->arena, &nodes, OnnxNode);
            READ_MESSAGE(r, m, &f, NodeProto, nodes.len - 1, read_node, n);
            break;
        }
        case F_FunctionProto_opset_import: {
            OnnxOpset *o = PB_VEC_PUSH(r->arena, &opsets, OnnxOpset);
            READ_MESSAGE(r, m, &f, OperatorSetIdProto, opsets.len - 1, read_opset, o);
            break;
        }
        }
    }
    if (rc < 0) return -1;
    fn->inputs = inputs.data;
    fn->ninputs = inputs.len;
    fn->outputs = outputs.data;
    fn->noutputs = outputs.len;
    fn->attributes = attrs.data;
    fn->nattributes = attrs.len;
    fn->nodes = nodes.data;
    fn->nnodes = nodes.len;
    fn->opsets = opsets.data;
    fn->nopsets = opsets.len;
    return 0;
}

/* ModelProto: ir_version, opset_import*, producer_*, domain, model_version,
 * graph, metadata_props*, functions* */
static int read_model(Reader *r, PbMsg *m, OnnxModel *model) {
    PbField f;
    int rc;
    bool seen_ir = false, seen_graph = false;
    PbVec opsets = {0}, meta = {0}, funcs = {0};
    Arena *a = r->arena;
    model->producer_name = model->producer_version = model->domain = "";
    while ((rc = pb_next(m, &f)) > 0) {
        r->saw_field = true;
        switch (f.desc->number) {
        case F_ModelProto_ir_version:
            model->ir_version = pb_int64(&f);
            seen_ir = true;
            break;
        case F_ModelProto_producer_name: READ_STRING(r, m, &f, model->producer_name); break;
        case F_ModelProto_producer_version: READ_STRING(r, m, &f, model->producer_version); break;
        case F_ModelProto_domain: READ_STRING(r, m, &f, model->domain); break;
        case F_ModelProto_model_version: model->model_version = pb_int64(&f); break;
        case F_ModelProto_graph:
            if (once(m, &f, &seen_graph)) return -1;
            READ_MESSAGE(r, m, &f, GraphProto, -1, read_graph, &model->graph);
            break;
        case F_ModelProto_opset_import: {
            OnnxOpset *o = PB_VEC_PUSH(a, &opsets, OnnxOpset);
            READ_MESSAGE(r, m, &f, OperatorSetIdProto, opsets.len - 1, read_opset, o);
            break;
        }
        case F_ModelProto_metadata_props: {
            OnnxKeyValue *kv = PB_VEC_PUSH(a, &meta, OnnxKeyValue);
            READ_MESSAGE(r, m, &f, StringStringEntryProto, meta.len - 1, read_key_value, kv);
            break;
        }
        case F_ModelProto_functions: {
            OnnxFunction *fn = PB_VEC_PUSH(a, &funcs, OnnxFunction);
            READ_MESSAGE(r, m, &f, FunctionProto, funcs.len - 1, read_function, fn);
            break;
        }
        }
    }
    if (rc < 0) return -1;
    model->opsets = opsets.data;
    model->nopsets = opsets.len;
    model->metadata = meta.data;
    model->nmetadata = meta.len;
    model->functions = funcs.data;
    model->nfunctions = funcs.len;
    /* Protobuf has no end marker, so these checks are also what tells a
     * file cut short at a field boundary from a complete model. */
    if (!seen_ir) onnx_report(r, NULL, "model has no ir_version");
    if (!seen_graph) onnx_report(r, NULL, "model has no graph");
    if (!model->nopsets) onnx_report(r, NULL, "model has no opset_import");
    return 0;
}

/* ---- Entry points ----------------------------------------------------------- */

static void reader_init(Reader *r, const void *buf, size_t len, const char *name, const char *dir,
                        Arena *a, Diag *d) {
    memset(r, 0, sizeof(*r));
    pb_decoder_init(&r->dec, buf, len);
    r->arena = a;
    r->diag = d;
    r->loc = diag_loc(diag_add_file(d, name, "", 0), 0, 0);
    r->dir = dir;
}

/* After a read: the wire error, if any, and the verdict. A wire error
 * before any field was recognised suggests another kind of file. */
static int reader_finish(Reader *r, int rc, const char *what) {
    if (rc < 0)
        diag_error(r->diag, r->loc, "%s%s%s%s", r->dec.err, r->saw_field ? "" : " (is this ",
                   r->saw_field ? "" : what, r->saw_field ? "" : "?)");
    return rc < 0 || r->errors ? -1 : 0;
}

int onnx_model_parse(const void *buf, size_t len, const char *name, const char *dir, Arena *a,
                     Diag *d, OnnxModel **out) {
    Reader r;
    reader_init(&r, buf, len, name, dir, a, d);
    *out = NULL;
    if (len == 0) {
        diag_error(d, r.loc, "empty file, not an ONNX model");
        return -1;
    }
    OnnxModel *model = ARENA_NEW(a, OnnxModel);
    model->path = arena_strdup(a, name);
    model->file = r.loc.file;
    FileDeps external;
    deps_init(&external);
    r.deps = &external;
    PbMsg root = pb_root(&r.dec, SCHEMA(ModelProto));
    int rc = reader_finish(&r, read_model(&r, &root, model), "an ONNX model");
    model->nexternal_files = external.n;
    model->external_files = ARENA_ARRAY(a, const char *, external.n + 1);
    for (size_t i = 0; i < external.n; i++)
        model->external_files[i] = arena_strdup(a, external.paths[i]);
    deps_free(&external);
    if (rc) return -1;
    *out = model;
    return 0;
}

int onnx_tensor_parse(const void *buf, size_t len, const char *name, const char *dir, Arena *a,
                      Diag *d, OnnxTensor **out) {
    Reader r;
    reader_init(&r, buf, len, name, dir, a, d);
    *out = NULL;
    OnnxTensor *t = ARENA_NEW(a, OnnxTensor);
    PbMsg root = pb_root(&r.dec, SCHEMA(TensorProto));
    if (reader_finish(&r, read_tensor(&r, &root, t), "a TensorProto file")) return -1;
    *out = t;
    return 0;
}

typedef int (*ParseFn)(const void *, size_t, const char *, const char *, Arena *, Diag *, void **);

/* Read the file at path whole and hand it to parse with its directory. */
static int read_file(const char *path, Arena *a, Diag *d, void **out, ParseFn parse) {
    char err[512];
    size_t len;
    *out = NULL;
    char *buf = file_read(path, &len, err, sizeof err);
    if (!buf) {
        diag_error(d, diag_loc(0, 0, 0), "%s", err);
        return -1;
    }
    bool is_stdin = strcmp(path, "-") == 0;
    char *dir = is_stdin ? xstrdup(".") : path_dirname(path);
    int rc = parse(buf, len, is_stdin ? "<stdin>" : path, dir, a, d, out);
    free(dir);
    free(buf);
    return rc;
}

static int parse_model(const void *buf, size_t len, const char *name, const char *dir, Arena *a,
                       Diag *d, void **out) {
    OnnxModel *m;
    int rc = onnx_model_parse(buf, len, name, dir, a, d, &m);
    *out = m;
    return rc;
}

static int parse_tensor(const void *buf, size_t len, const char *name, const char *dir, Arena *a,
                        Diag *d, void **out) {
    OnnxTensor *t;
    int rc = onnx_tensor_parse(buf, len, name, dir, a, d, &t);
    *out = t;
    return rc;
}

int onnx_model_read(const char *path, Arena *a, Diag *d, OnnxModel **out) {
    void *p;
    int rc = read_file(path, a, d, &p, parse_model);
    *out = p;
    return rc;
}

int onnx_tensor_read(const char *path, Arena *a, Diag *d, OnnxTensor **out) {
    void *p;
    int rc = read_file(path, a, d, &p, parse_tensor);
    *out = p;
    return rc;
}

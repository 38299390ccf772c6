/*
 * onnx — reading ONNX models: the protobuf wire format and the ONNX
 * messages accc needs, decoded into plain C structures.
 *
 *   wire.c    the protobuf wire format: varints, fixed32/64, lengths,
 *             packed and unpacked repeated scalars, unknown fields skipped,
 *             every length checked, nesting bounded
 *   read.c    ModelProto and everything under it, field by field, driven by
 *             the field table proto.def; semantic checks
 *   tensor.c  TensorProto data to accc's dtypes: raw_data, the typed
 *             fields, external data files
 *   lookup.c  lookups: attributes by name with typed getters, initializers,
 *             value infos, opsets, ONNX type names
 *   dump.c    the text listing printed by acc-onnx-dump
 *
 * Memory: everything a read returns (the model, its strings, its tensor
 * data) lives in the caller's Arena and dies with it. The input buffer is
 * not referenced after a read returns.
 *
 * Errors: a malformed file stops the read at the first wire-format error;
 * its message names the field path and the byte offset, e.g.
 *   model.onnx: error: graph.node[3].attribute[1].t.dims: truncated varint at byte 1234
 * Well-formed but unsupported content (a string tensor, a segment, a
 * missing external file) is reported for every occurrence, then the read
 * fails. All messages go through the caller's Diag, located at the file.
 */
#ifndef ACCC_ONNX_H
#define ACCC_ONNX_H

#include "support.h"

/* ---- wire.c: the protobuf wire format ------------------------------------- */

/* How deep messages (and unknown groups) may nest. Protobuf's own default. */
#define PB_MAX_DEPTH 100

typedef enum PbWire {
    PB_VARINT = 0, /* int32 int64 uint64 bool enum */
    PB_I64 = 1,    /* fixed64 double */
    PB_LEN = 2,    /* string bytes message, packed repeated scalars */
    PB_SGROUP = 3, /* start of a group (obsolete; skipped when unknown) */
    PB_EGROUP = 4, /* end of a group */
    PB_I32 = 5     /* fixed32 float */
} PbWire;

/* What a known field may carry. A repeated scalar accepts both its own wire
 * type (one element per field) and PB_LEN (packed), as protobuf requires. */
typedef enum PbKind {
    PB_KIND_END,        /* ends a message's field list */
    PB_KIND_VARINT,     /* singular varint */
    PB_KIND_I32,        /* singular fixed32 / float */
    PB_KIND_I64,        /* singular fixed64 / double */
    PB_KIND_LEN,        /* string, bytes or message; singular or repeated */
    PB_KIND_REP_VARINT, /* repeated varint, packed or not */
    PB_KIND_REP_I32,    /* repeated fixed32 / float, packed or not */
    PB_KIND_REP_I64     /* repeated fixed64 / double, packed or not */
} PbKind;

/* One known field of a message. A message's schema is an array of these
 * ending with a PB_KIND_END row; fields not listed are skipped. */
typedef struct PbFieldDesc {
    const char *name; /* used in error paths */
    uint32_t number;
    PbKind kind;
} PbFieldDesc;

typedef struct PbFrame {
    const char *name; /* the field holding the message */
    long index;       /* its position in a repeated field, or -1 */
} PbFrame;

/* One decode of one buffer. The first error stops it: err holds
 * "path: what at byte N" and failed is set. */
typedef struct PbDecoder {
    const uint8_t *data; /* the whole input; offsets count from here */
    size_t size;
    int depth; /* frames in path */
    PbFrame path[PB_MAX_DEPTH];
    const char *field; /* the field being read, or NULL between fields */
    uint32_t field_number;
    bool failed;
    char err[512];
} PbDecoder;

/* A cursor over the bytes of one message. */
typedef struct PbMsg {
    PbDecoder *dec;
    const PbFieldDesc *schema;
    size_t pos, end; /* [pos, end) is what is left of the message */
} PbMsg;

/* A known field, read by pb_next. */
typedef struct PbField {
    const PbFieldDesc *desc;
    PbWire wire;
    size_t offset; /* of its key */
    uint64_t u;    /* PB_VARINT value; PB_I32 / PB_I64 bits */
    size_t start;  /* PB_LEN: payload is data[start, start + len) */
    size_t len;
} PbField;

/* A growable array in an arena: growing copies into a fresh block and
 * leaves the old one to die with the arena (at most doubling the space). */
typedef struct PbVec {
    void *data;
    size_t len, cap; /* in elements */
} PbVec;

void pb_decoder_init(PbDecoder *d, const void *data, size_t size);
/* The whole buffer as one message with the given schema. */
PbMsg pb_root(PbDecoder *d, const PbFieldDesc *schema);
/* Read the next known field. Unknown fields (every wire type, groups
 * included) are skipped. Returns 1 with *f filled, 0 at the end of the
 * message, -1 on a malformed field or a wire type the schema forbids. */
int pb_next(PbMsg *m, PbField *f);
/* Descend into the message held by f (a PB_LEN field); index is its
 * position in a repeated field or -1. -1 when nested too deep. */
int pb_enter(PbMsg *m, const PbField *f, const PbFieldDesc *schema, long index, PbMsg *sub);
void pb_leave(PbMsg *sub);

/* Scalars of a field read by pb_next. */
int64_t pb_int64(const PbField *f); /* varint as two's complement */
uint64_t pb_uint64(const PbField *f);
float pb_float(const PbField *f);   /* fixed32 bits */
double pb_double(const PbField *f); /* fixed64 bits */
/* An int32 field: -1 (with an error) if the value does not fit. */
int pb_int32(PbMsg *m, const PbField *f, int32_t *out);
/* A string field copied into a, NUL-terminated; NULL (with an error) if it
 * contains a NUL byte. */
char *pb_string(PbMsg *m, const PbField *f, Arena *a);
/* A bytes field copied into a (NUL-terminated as a convenience). */
char *pb_bytes(const PbMsg *m, const PbField *f, Arena *a);

/* Append a repeated scalar field's elements to v, whether the field is one
 * element or a packed run: varints as uint64_t, fixed32 as float, fixed64
 * as double. -1 on a malformed packed run. */
int pb_append_varints(PbMsg *m, const PbField *f, Arena *a, PbVec *v);
int pb_append_floats(PbMsg *m, const PbField *f, Arena *a, PbVec *v);
int pb_append_doubles(PbMsg *m, const PbField *f, Arena *a, PbVec *v);

/* Room for n more zeroed elements of elem bytes at the end of v. */
void *pb_vec_push(Arena *a, PbVec *v, size_t elem, size_t n);
#define PB_VEC_PUSH(a, v, type) ((type *)pb_vec_push((a), (v), sizeof(type), 1))

/* Record an error at byte offset: "path[.field]: message at byte N".
 * Returns -1 so callers can `return pb_fail(...)`. */
int pb_fail(PbMsg *m, size_t offset, const char *fmt, ...) ACC_PRINTF(3, 4);
/* Append the current path ("graph.node[3].attribute[1]", plus the field
 * being read, if any) to sb. */
void pb_path(const PbDecoder *d, StrBuf *sb);

/* ---- types.def, lookup.c: ONNX data types ---------------------------------- */

/* TensorProto.DataType, numbered as ONNX numbers them. */
typedef enum OnnxDataType {
#define ONNX_TYPE(id, code, shortname, acc, raw_bytes, field) ONNX_##id = code,
#include "types.def"
#undef ONNX_TYPE
} OnnxDataType;

/* "FLOAT", "UINT16", ...; "data type N" for an unknown number (that
 * result lives in a static buffer: not thread-safe). */
const char *onnx_type_name(int32_t type);
/* "f32", "u16", "string", ... as acc-onnx-dump prints element types. */
const char *onnx_type_short_name(int32_t type);
/* The accc dtype tensors of this ONNX type are converted to: true with
 * *out set for the supported types (INT16 and UINT16 widen to i32, UINT32
 * to i64, DOUBLE stays f64); false for STRING, UINT64, complex and unknown
 * types. */
bool onnx_type_to_dtype(int32_t type, AccDtype *out);

/* ---- read.c: models ------------------------------------------------------- */

typedef struct OnnxGraph OnnxGraph;

/* A tensor: an initializer, an attribute value, or a standalone .pb file.
 * Its data is converted on reading; see docs/onnx.md for the rules. */
typedef struct OnnxTensor {
    const char *name;  /* "" when unnamed */
    int32_t onnx_type; /* TensorProto.DataType as written in the file */
    AccDtype dtype;    /* what data holds (onnx_type_to_dtype) */
    int ndim;
    int64_t *dims; /* ndim entries, each >= 0 */
    size_t count;  /* product of dims; 1 for a scalar */
    void *data;    /* count * dtype_size(dtype) bytes, little-endian, 16-aligned */
    bool external; /* came from an external data file */
} OnnxTensor;

/* One dimension of a value's shape. */
typedef struct OnnxDim {
    int64_t value;     /* the size, or -1 when symbolic or unknown */
    const char *param; /* the symbolic name (dim_param), or NULL */
} OnnxDim;

typedef enum OnnxTypeKind {
    ONNX_TYPE_NONE,          /* no type given */
    ONNX_TYPE_TENSOR,        /* elem_type, shape */
    ONNX_TYPE_SEQUENCE,      /* elem */
    ONNX_TYPE_MAP,           /* key_type, elem (the value type) */
    ONNX_TYPE_OPTIONAL,      /* elem */
    ONNX_TYPE_SPARSE_TENSOR, /* elem_type, shape */
} OnnxTypeKind;

/* TypeProto. */
typedef struct OnnxType {
    OnnxTypeKind kind;
    int32_t elem_type;     /* tensor / sparse tensor: an OnnxDataType */
    int32_t key_type;      /* map */
    bool has_shape;        /* false: rank unknown */
    int ndim;              /* when has_shape */
    OnnxDim *dims;         /* ndim entries */
    struct OnnxType *elem; /* sequence / optional element, map value */
} OnnxType;

/* ValueInfoProto: a graph input, output or intermediate value. */
typedef struct OnnxValueInfo {
    const char *name;
    OnnxType type;
} OnnxValueInfo;

/* AttributeProto.AttributeType, numbered as ONNX numbers them. */
typedef enum OnnxAttrType {
    ONNX_ATTR_UNDEFINED = 0,
    ONNX_ATTR_FLOAT = 1,
    ONNX_ATTR_INT = 2,
    ONNX_ATTR_STRING = 3,
    ONNX_ATTR_TENSOR = 4,
    ONNX_ATTR_GRAPH = 5,
    ONNX_ATTR_FLOATS = 6,
    ONNX_ATTR_INTS = 7,
    ONNX_ATTR_STRINGS = 8,
    ONNX_ATTR_TENSORS = 9,
    ONNX_ATTR_GRAPHS = 10,
    ONNX_ATTR_SPARSE_TENSOR = 11, /* kept as a type only; the value is not decoded */
    ONNX_ATTR_SPARSE_TENSORS = 12,
    ONNX_ATTR_TYPE_PROTO = 13, /* likewise */
    ONNX_ATTR_TYPE_PROTOS = 14,
} OnnxAttrType;

/* A string or bytes value: data is NUL-terminated, but may hold NULs. */
typedef struct OnnxBytes {
    const char *data;
    size_t len;
} OnnxBytes;

/* AttributeProto. Only the member named by type is meaningful. */
typedef struct OnnxAttr {
    const char *name;
    OnnxAttrType type;         /* inferred from the value when the file omits it */
    const char *ref_attr_name; /* inside a function: refers to the caller's attribute */
    float f;                   /* FLOAT */
    int64_t i;                 /* INT */
    OnnxBytes s;               /* STRING */
    OnnxTensor *t;             /* TENSOR */
    OnnxGraph *g;              /* GRAPH */
    float *floats;             /* FLOATS */
    int64_t *ints;             /* INTS */
    OnnxBytes *strings;        /* STRINGS */
    OnnxTensor *tensors;       /* TENSORS */
    OnnxGraph *graphs;         /* GRAPHS */
    size_t nfloats, nints, nstrings, ntensors, ngraphs;
} OnnxAttr;

/* NodeProto. An input named "" is an omitted optional input. */
typedef struct OnnxNode {
    const char *name; /* "" when unnamed */
    const char *op_type;
    const char *domain; /* "" is the default domain, ai.onnx */
    const char **inputs;
    const char **outputs;
    OnnxAttr *attrs;
    size_t ninputs, noutputs, nattrs;
} OnnxNode;

/* GraphProto. Nodes are in file order (ONNX requires topological order). */
struct OnnxGraph {
    const char *name;
    OnnxNode *nodes;
    OnnxTensor *initializers;
    OnnxValueInfo *inputs; /* may include initializers (IR version < 4 style) */
    OnnxValueInfo *outputs;
    OnnxValueInfo *value_infos;
    size_t nnodes, ninitializers, ninputs, noutputs, nvalue_infos;
};

/* OperatorSetIdProto. */
typedef struct OnnxOpset {
    const char *domain; /* "" or "ai.onnx" is the default domain */
    int64_t version;
} OnnxOpset;

/* StringStringEntryProto. */
typedef struct OnnxKeyValue {
    const char *key, *value;
} OnnxKeyValue;

/* FunctionProto: a model-local function, kept for the importer to inline. */
typedef struct OnnxFunction {
    const char *name, *domain;
    const char **inputs, **outputs, **attributes;
    OnnxNode *nodes;
    OnnxOpset *opsets;
    size_t ninputs, noutputs, nattributes, nnodes, nopsets;
} OnnxFunction;

/* ModelProto. */
typedef struct OnnxModel {
    const char *path; /* as given to onnx_model_read, or the name given to parse */
    int file;         /* Diag file index of path: SrcLoc {file, 0, 0} names it */
    int64_t ir_version;
    int64_t model_version;
    const char *producer_name, *producer_version, *domain;
    OnnxOpset *opsets;
    OnnxKeyValue *metadata;
    OnnxFunction *functions;
    size_t nopsets, nmetadata, nfunctions;
    OnnxGraph graph;
    const char **external_files; /* the external data files read, each once, in order */
    size_t nexternal_files;
} OnnxModel;

/* Read the ONNX model at path. External data files are found relative to
 * the model's directory. Returns 0 and sets *out, or reports every problem
 * to d and returns -1. */
int onnx_model_read(const char *path, Arena *a, Diag *d, OnnxModel **out);
/* The same from memory. name is used in messages; dir is where external
 * data files live (NULL: a tensor with external data is an error). */
int onnx_model_parse(const void *buf, size_t len, const char *name, const char *dir, Arena *a,
                     Diag *d, OnnxModel **out);
/* A standalone TensorProto file, as ONNX's test data sets store inputs
 * and outputs (test_data_set_0/input_0.pb). */
int onnx_tensor_read(const char *path, Arena *a, Diag *d, OnnxTensor **out);
int onnx_tensor_parse(const void *buf, size_t len, const char *name, const char *dir, Arena *a,
                      Diag *d, OnnxTensor **out);

/* ---- lookup.c: lookups ---------------------------------------------------- */

/* The opset version the model imports for domain ("" and "ai.onnx" are the
 * same domain), or -1 if it imports none. */
int64_t onnx_model_opset(const OnnxModel *m, const char *domain);
/* The initializer called name, or NULL. Linear in the initializer count. */
const OnnxTensor *onnx_graph_initializer(const OnnxGraph *g, const char *name);
/* The type recorded for value name: a graph input, output or value_info
 * entry, in that order; NULL if there is none. */
const OnnxValueInfo *onnx_graph_value_info(const OnnxGraph *g, const char *name);

/* The attribute called name, or NULL. */
const OnnxAttr *onnx_attr_find(const OnnxNode *n, const char *name);
/* "float", "ints", "tensor", ... */
const char *onnx_attr_type_name(OnnxAttrType t);

/* Typed getters. ONNX_GET_ABSENT leaves *out alone, so callers store the
 * default first:
 *     int64_t axis = 1;
 *     if (onnx_attr_int(node, "axis", &axis) == ONNX_GET_WRONG_TYPE) ...
 * ONNX_GET_WRONG_TYPE also leaves *out alone; onnx_attr_type_error words
 * the problem for a diagnostic. */
typedef enum OnnxGet {
    ONNX_GET_ABSENT,    /* no attribute of that name */
    ONNX_GET_OK,        /* *out set */
    ONNX_GET_WRONG_TYPE /* present with another type */
} OnnxGet;

OnnxGet onnx_attr_float(const OnnxNode *n, const char *name, float *out);
OnnxGet onnx_attr_int(const OnnxNode *n, const char *name, int64_t *out);
OnnxGet onnx_attr_string(const OnnxNode *n, const char *name, OnnxBytes *out);
OnnxGet onnx_attr_tensor(const OnnxNode *n, const char *name, const OnnxTensor **out);
OnnxGet onnx_attr_graph(const OnnxNode *n, const char *name, const OnnxGraph **out);
OnnxGet onnx_attr_floats(const OnnxNode *n, const char *name, const float **out, size_t *count);
OnnxGet onnx_attr_ints(const OnnxNode *n, const char *name, const int64_t **out, size_t *count);
OnnxGet onnx_attr_strings(const OnnxNode *n, const char *name, const OnnxBytes **out,
                          size_t *count);
/* "node 'conv1' (Conv): attribute 'strides' is of type float, expected
 * ints", in a, for the caller's diagnostic. */
char *onnx_attr_type_error(Arena *a, const OnnxNode *n, const char *name, OnnxAttrType want);

/* ---- dump.c: the text listing of acc-onnx-dump ----------------------------- */

typedef struct OnnxDumpOptions {
    size_t max_values; /* values printed per tensor; 0 prints all */
} OnnxDumpOptions;

void onnx_dump_model(const OnnxModel *m, const OnnxDumpOptions *o, StrBuf *out);
void onnx_dump_tensor(const OnnxTensor *t, const OnnxDumpOptions *o, StrBuf *out);
/* "f32[1, 3, N, ?]", "seq(i64[2])", ... */
void onnx_dump_type(const OnnxType *t, StrBuf *out);

#endif

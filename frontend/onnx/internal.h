/*
 * What the files of frontend/onnx share with each other and nobody else:
 * the reader's state and a TensorProto's fields before conversion.
 */
#ifndef ACCC_ONNX_INTERNAL_H
#define ACCC_ONNX_INTERNAL_H

#include "onnx.h"

/* One read of one file. */
typedef struct Reader {
    PbDecoder dec;
    Arena *arena;    /* where the result lives */
    Diag *diag;      /* where problems go */
    SrcLoc loc;      /* the file, for every message */
    const char *dir; /* external data files are relative to it; NULL: none */
    FileDeps *deps;  /* the external data files read; NULL: not recorded */
    int errors;      /* semantic errors reported so far */
    bool saw_field;  /* a field of the root message was recognised */
} Reader;

/* Report a semantic problem (the file is well-formed but accc cannot use
 * it) at the current path, plus field when not NULL; reading goes on. */
void onnx_report(Reader *r, const char *field, const char *fmt, ...) ACC_PRINTF(3, 4);

/* Which typed field of TensorProto holds a type's values. */
typedef enum OnnxStorage {
    STORAGE_NONE,
    STORAGE_FLOAT,  /* float_data */
    STORAGE_INT32,  /* int32_data */
    STORAGE_INT64,  /* int64_data */
    STORAGE_DOUBLE, /* double_data */
    STORAGE_UINT64, /* uint64_data */
    STORAGE_STRING, /* string_data */
} OnnxStorage;

/* A row of types.def. */
typedef struct OnnxTypeInfo {
    const char *name;       /* "FLOAT" */
    const char *short_name; /* "f32" */
    int acc;                /* AccDtype, or -1 when unsupported */
    size_t raw_bytes;
    OnnxStorage storage;
} OnnxTypeInfo;

/* The row for an ONNX type number, or NULL for an unknown number. */
const OnnxTypeInfo *onnx_type_info(int32_t type);

/* A TensorProto's fields as read, before its data is converted. */
typedef struct TensorFields {
    PbVec dims;        /* uint64_t */
    int32_t data_type; /* 0 when absent */
    bool has_segment;
    PbVec float_data;   /* float */
    PbVec int32_data;   /* uint64_t, as the varints were read */
    PbVec int64_data;   /* uint64_t */
    PbVec double_data;  /* double */
    PbVec uint64_data;  /* uint64_t */
    size_t nstrings;    /* string_data entries (never decoded) */
    const uint8_t *raw; /* raw_data inside the input buffer */
    size_t raw_len;
    bool has_raw;
    int32_t data_location; /* 0 DEFAULT, 1 EXTERNAL */
    PbVec external;        /* OnnxKeyValue: external_data */
} TensorFields;

/* tensor.c: fill t's dtype, dims, count and data from f. Every problem is
 * reported with onnx_report; returns -1 if there was one. */
int onnx_tensor_convert(Reader *r, const TensorFields *f, OnnxTensor *t);

#endif

#include "pbenc.h"

#include <stdlib.h>
#include <string.h>

void enc_varint(StrBuf *b, uint64_t v) {
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v) byte |= 0x80;
        sb_append(b, &byte, 1);
    } while (v);
}

void enc_key(StrBuf *b, uint32_t field, unsigned wire) {
    enc_varint(b, (uint64_t)field << 3 | wire);
}

void enc_int(StrBuf *b, uint32_t field, int64_t v) {
    enc_key(b, field, 0);
    enc_varint(b, (uint64_t)v);
}

static void put_le(StrBuf *b, uint64_t v, int n) {
    for (int i = 0; i < n; i++) {
        uint8_t byte = (uint8_t)(v >> (8 * i));
        sb_append(b, &byte, 1);
    }
}

void enc_fixed32(StrBuf *b, uint32_t field, uint32_t bits) {
    enc_key(b, field, 5);
    put_le(b, bits, 4);
}

void enc_float(StrBuf *b, uint32_t field, float v) {
    enc_fixed32(b, field, f32_bits(v));
}

void enc_fixed64(StrBuf *b, uint32_t field, uint64_t bits) {
    enc_key(b, field, 1);
    put_le(b, bits, 8);
}

void enc_double(StrBuf *b, uint32_t field, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    enc_fixed64(b, field, bits);
}

void enc_bytes(StrBuf *b, uint32_t field, const void *data, size_t len) {
    enc_key(b, field, 2);
    enc_varint(b, len);
    sb_append(b, data, len);
}

void enc_str(StrBuf *b, uint32_t field, const char *s) {
    enc_bytes(b, field, s, strlen(s));
}

void enc_msg(StrBuf *b, uint32_t field, StrBuf *sub) {
    enc_bytes(b, field, sub->data ? sub->data : "", sub->len);
    sb_free(sub);
}

void enc_packed_ints(StrBuf *b, uint32_t field, const int64_t *v, size_t n) {
    StrBuf p;
    sb_init(&p);
    for (size_t i = 0; i < n; i++) enc_varint(&p, (uint64_t)v[i]);
    enc_msg(b, field, &p);
}

void enc_packed_floats(StrBuf *b, uint32_t field, const float *v, size_t n) {
    StrBuf p;
    sb_init(&p);
    for (size_t i = 0; i < n; i++) put_le(&p, f32_bits(v[i]), 4);
    enc_msg(b, field, &p);
}

void enc_packed_doubles(StrBuf *b, uint32_t field, const double *v, size_t n) {
    StrBuf p;
    sb_init(&p);
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        put_le(&p, bits, 8);
    }
    enc_msg(b, field, &p);
}

StrBuf onnx_tensor_header(const char *name, int32_t type, const int64_t *dims, int ndim) {
    StrBuf t;
    sb_init(&t);
    if (ndim) enc_packed_ints(&t, 1, dims, (size_t)ndim); /* dims */
    enc_int(&t, 2, type);                                 /* data_type */
    if (name) enc_str(&t, 8, name);                       /* name */
    return t;
}

StrBuf onnx_value_info(const char *name, int32_t elem_type, const int64_t *dims, int ndim) {
    StrBuf shape, tensor, type, vi;
    sb_init(&shape);
    for (int i = 0; i < ndim; i++) {
        StrBuf dim;
        sb_init(&dim);
        enc_int(&dim, 1, dims[i]); /* dim_value */
        enc_msg(&shape, 1, &dim);  /* dim */
    }
    sb_init(&tensor);
    enc_int(&tensor, 1, elem_type); /* elem_type */
    enc_msg(&tensor, 2, &shape);    /* shape */
    sb_init(&type);
    enc_msg(&type, 1, &tensor); /* tensor_type */
    sb_init(&vi);
    enc_str(&vi, 1, name);  /* name */
    enc_msg(&vi, 2, &type); /* type */
    return vi;
}

StrBuf onnx_model(StrBuf *graph) {
    StrBuf m, opset;
    sb_init(&m);
    enc_int(&m, 1, 8);           /* ir_version */
    enc_str(&m, 2, "accc-test"); /* producer_name */
    enc_msg(&m, 7, graph);       /* graph */
    sb_init(&opset);
    enc_str(&opset, 1, ""); /* domain */
    enc_int(&opset, 2, 13); /* version */
    enc_msg(&m, 8, &opset); /* opset_import */
    return m;
}

void *exact_copy(const void *data, size_t len) {
    void *p = malloc(len ? len : 1);
    if (!p) abort();
    if (len) memcpy(p, data, len);
    return p;
}

/*
 * A protobuf encoder for building test inputs by hand. Field numbers are
 * written out in the tests as onnx.proto numbers them, independently of
 * frontend/onnx/proto.def, so a wrong number there fails a test.
 */
#ifndef ACCC_TEST_PBENC_H
#define ACCC_TEST_PBENC_H

#include "support.h"

void enc_varint(StrBuf *b, uint64_t v);
void enc_key(StrBuf *b, uint32_t field, unsigned wire);
void enc_int(StrBuf *b, uint32_t field, int64_t v); /* varint field */
void enc_fixed32(StrBuf *b, uint32_t field, uint32_t bits);
void enc_float(StrBuf *b, uint32_t field, float v);
void enc_fixed64(StrBuf *b, uint32_t field, uint64_t bits);
void enc_double(StrBuf *b, uint32_t field, double v);
void enc_bytes(StrBuf *b, uint32_t field, const void *data, size_t len);
void enc_str(StrBuf *b, uint32_t field, const char *s);
/* A message field holding sub's bytes; sub is freed. */
void enc_msg(StrBuf *b, uint32_t field, StrBuf *sub);
void enc_packed_ints(StrBuf *b, uint32_t field, const int64_t *v, size_t n);
void enc_packed_floats(StrBuf *b, uint32_t field, const float *v, size_t n);
void enc_packed_doubles(StrBuf *b, uint32_t field, const double *v, size_t n);

/* ONNX messages, smallest useful forms. */
/* TensorProto header: name, data_type, dims (packed). */
StrBuf onnx_tensor_header(const char *name, int32_t type, const int64_t *dims, int ndim);
/* ValueInfoProto of a tensor type with static dims. */
StrBuf onnx_value_info(const char *name, int32_t elem_type, const int64_t *dims, int ndim);
/* ModelProto: ir_version 8, producer, the graph, then one opset_import
 * (default domain, version 13) as the last field, as ONNX writes it. */
StrBuf onnx_model(StrBuf *graph);

/* A heap copy of exactly len bytes (at least one byte allocated), so ASan
 * catches a read past the end. */
void *exact_copy(const void *data, size_t len);

#endif

/* Element types: lookups over the rows of dtype.def. */
#include "support.h"

#include <string.h>

static const struct {
    const char *name;
    size_t bytes;
    unsigned flags;
} dtype_table[] = {
#define DTYPE(id, name, bytes, npy, flags) [ACC_DTYPE_##id] = {#name, bytes, flags},
#include "dtype.def"
#undef DTYPE
};
_Static_assert(ACC_ARRAY_LEN(dtype_table) == ACC_DTYPE_COUNT, "dtype table out of step");

const char *dtype_name(AccDtype t) {
    return (unsigned)t < ACC_DTYPE_COUNT ? dtype_table[t].name : "?";
}

size_t dtype_size(AccDtype t) {
    return (unsigned)t < ACC_DTYPE_COUNT ? dtype_table[t].bytes : 0;
}

unsigned dtype_flags(AccDtype t) {
    return (unsigned)t < ACC_DTYPE_COUNT ? dtype_table[t].flags : 0;
}

int dtype_lookup(const char *name, size_t len) {
    for (int t = 0; t < ACC_DTYPE_COUNT; t++)
        if (strlen(dtype_table[t].name) == len && memcmp(dtype_table[t].name, name, len) == 0)
            return t;
    return -1;
}

double dtype_get(AccDtype t, const void *base, size_t i) {
    switch (t) {
    case ACC_DTYPE_F32: return ((const float *)base)[i];
    case ACC_DTYPE_F16: return f16_to_f32(((const uint16_t *)base)[i]);
    case ACC_DTYPE_BF16: return bf16_to_f32(((const uint16_t *)base)[i]);
    case ACC_DTYPE_F64: return ((const double *)base)[i];
    case ACC_DTYPE_I8: return ((const int8_t *)base)[i];
    case ACC_DTYPE_U8: return ((const uint8_t *)base)[i];
    case ACC_DTYPE_I32: return ((const int32_t *)base)[i];
    case ACC_DTYPE_I64: return (double)((const int64_t *)base)[i];
    case ACC_DTYPE_BOOL: return ((const uint8_t *)base)[i] != 0;
    case ACC_DTYPE_COUNT: break;
    }
    ice("dtype_get: bad dtype %d", (int)t);
}

/* v truncated toward zero, clamped to [lo, hi]; NaN gives 0. hi_excl is the
 * smallest double above the range (for i64, INT64_MAX is not a double). */
static int64_t saturate(double v, int64_t lo, int64_t hi, double hi_excl) {
    if (v != v) return 0;
    if (v >= hi_excl) return hi;
    if (v <= (double)lo) return lo;
    return (int64_t)v;
}

void dtype_set(AccDtype t, void *base, size_t i, double v) {
    switch (t) {
    case ACC_DTYPE_F32: ((float *)base)[i] = (float)v; return;
    case ACC_DTYPE_F16: ((uint16_t *)base)[i] = f32_to_f16((float)v); return;
    case ACC_DTYPE_BF16: ((uint16_t *)base)[i] = f32_to_bf16((float)v); return;
    case ACC_DTYPE_F64: ((double *)base)[i] = v; return;
    case ACC_DTYPE_I8: ((int8_t *)base)[i] = (int8_t)saturate(v, INT8_MIN, INT8_MAX, 128.0); return;
    case ACC_DTYPE_U8: ((uint8_t *)base)[i] = (uint8_t)saturate(v, 0, UINT8_MAX, 256.0); return;
    case ACC_DTYPE_I32:
        ((int32_t *)base)[i] = (int32_t)saturate(v, INT32_MIN, INT32_MAX, 0x1p31);
        return;
    case ACC_DTYPE_I64: ((int64_t *)base)[i] = saturate(v, INT64_MIN, INT64_MAX, 0x1p63); return;
    case ACC_DTYPE_BOOL: ((uint8_t *)base)[i] = v != 0; return;
    case ACC_DTYPE_COUNT: break;
    }
    ice("dtype_set: bad dtype %d", (int)t);
}

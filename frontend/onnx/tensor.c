/*
 * TensorProto data, converted to accc's dtypes (types.def).
 *
 * A tensor keeps its values in exactly one place:
 *   raw_data       little-endian elements of the type's natural size
 *   external data  the same bytes in a file beside the model
 *                  (data_location EXTERNAL; external_data keys location,
 *                  offset, length)
 *   a typed field  float_data, int32_data, int64_data, double_data or
 *                  uint64_data, whichever ONNX assigns to the type; int32_data
 *                  also carries the 8- and 16-bit types, bool, and the bits of
 *                  float16 and bfloat16
 * The element count must equal the product of dims, exactly. Values that
 * do not fit their type (an INT8 in int32_data above 127) are errors, not
 * truncated.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* raw_data and external data are copied as they are. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ONNX reader copies little-endian tensor data unchanged: it needs a little-endian host"
#endif

/* No tensor may need more bytes than this, whatever its type. */
#define MAX_ELEMENTS (SIZE_MAX / 16)

static const char *const storage_field[] = {
    [STORAGE_NONE] = "(none)",        [STORAGE_FLOAT] = "float_data",
    [STORAGE_INT32] = "int32_data",   [STORAGE_INT64] = "int64_data",
    [STORAGE_DOUBLE] = "double_data", [STORAGE_UINT64] = "uint64_data",
    [STORAGE_STRING] = "string_data",
};

/* Report a problem with tensor t: "tensor 'w': ..." at the current path. */
/* Returns -1 for `return tensor_error(...)`. */
static int tensor_error(Reader *r, const OnnxTensor *t, const char *fmt, ...) ACC_PRINTF(3, 4);
static int tensor_error(Reader *r, const OnnxTensor *t, const char *fmt, ...) {
    StrBuf sb;
    sb_init(&sb);
    if (t->name && t->name[0]) sb_printf(&sb, "tensor '%s': ", t->name);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    onnx_report(r, NULL, "%s", sb.data);
    sb_free(&sb);
    return -1;
}

/* "FLOAT [2, 3]", for messages; lives in the arena. */
static const char *describe(Reader *r, const OnnxTypeInfo *info, const OnnxTensor *t) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s [", info->name);
    for (int i = 0; i < t->ndim; i++)
        sb_printf(&sb, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    sb_putc(&sb, ']');
    char *s = arena_strdup(r->arena, sb.data);
    sb_free(&sb);
    return s;
}

static bool set_shape(Reader *r, const TensorFields *f, OnnxTensor *t) {
    if (f->dims.len > INT32_MAX) {
        tensor_error(r, t, "has %zu dimensions", f->dims.len);
        return false;
    }
    t->ndim = (int)f->dims.len;
    t->dims = f->dims.data; /* the varints' bits are the int64 values */
    t->count = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0) {
            tensor_error(r, t, "dims[%d] is negative (%lld)", i, (long long)t->dims[i]);
            return false;
        }
        uint64_t d = (uint64_t)t->dims[i];
        if (d && t->count > MAX_ELEMENTS / d) {
            tensor_error(r, t, "has too many elements (dims[%d] = %llu)", i, (unsigned long long)d);
            return false;
        }
        t->count *= (size_t)d;
    }
    return true;
}

/* ---- raw_data and external data ------------------------------------------ */

/* Elements of ONNX type `type` in little-endian bytes src, to dst in the
 * accc dtype. src may be dst when the sizes agree. */
static void convert_raw(int32_t type, const uint8_t *src, size_t count, size_t raw_bytes,
                        void *dst) {
    switch (type) {
    case ONNX_BOOL:
        for (size_t i = 0; i < count; i++) ((uint8_t *)dst)[i] = src[i] != 0;
        return;
    case ONNX_INT16:
        for (size_t i = 0; i < count; i++) {
            int32_t u = src[2 * i] | src[2 * i + 1] << 8;
            ((int32_t *)dst)[i] = u >= 0x8000 ? u - 0x10000 : u;
        }
        return;
    case ONNX_UINT16:
        for (size_t i = 0; i < count; i++) ((int32_t *)dst)[i] = src[2 * i] | src[2 * i + 1] << 8;
        return;
    case ONNX_UINT32:
        for (size_t i = 0; i < count; i++) {
            const uint8_t *p = src + 4 * i;
            ((int64_t *)dst)[i] = (int64_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                            (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        }
        return;
    default:
        /* The accc dtype has the ONNX layout. */
        if (src != dst) memcpy(dst, src, count * raw_bytes);
        return;
    }
}

/* The converted data's buffer. Called only once the values are known to be
 * there, so a file can never make the reader allocate more than it holds
 * (or, for external data, than the data file holds). */
static void alloc_data(Reader *r, OnnxTensor *t) {
    t->data = arena_alloc(r->arena, t->count * dtype_size(t->dtype), 16);
}

/* Can raw bytes be read straight into the converted buffer? */
static bool same_layout(const OnnxTypeInfo *info) {
    return info->raw_bytes == dtype_size((AccDtype)info->acc);
}

static const char *external_value(const TensorFields *f, const char *key) {
    const OnnxKeyValue *kv = f->external.data;
    const char *found = NULL;
    for (size_t i = 0; i < f->external.len; i++)
        if (strcmp(kv[i].key, key) == 0) found = kv[i].value; /* the last one counts */
    return found;
}

/* A non-negative decimal integer, as ONNX writes offset and length. */
static bool parse_size(const char *s, int64_t *out) {
    if (!*s) return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (v > (INT64_MAX - (*s - '0')) / 10) return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

/* A location may only name a file at or below the model's directory. */
static bool location_stays_inside(const char *loc) {
    if (loc[0] == '/') return false;
    for (const char *p = loc; *p;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        p += n + (end != NULL);
    }
    return true;
}

static int read_external(Reader *r, const TensorFields *f, const OnnxTypeInfo *info,
                         OnnxTensor *t) {
    size_t need = t->count * info->raw_bytes;
    const char *loc = external_value(f, "location");
    const char *offset_s = external_value(f, "offset");
    const char *length_s = external_value(f, "length");
    int64_t offset = 0, length = -1;
    if (!loc || !loc[0]) return tensor_error(r, t, "has external data without a location");
    if (offset_s && !parse_size(offset_s, &offset))
        return tensor_error(r, t, "external data offset '%s' is not a byte count", offset_s);
    if (length_s && !parse_size(length_s, &length))
        return tensor_error(r, t, "external data length '%s' is not a byte count", length_s);
    if (!location_stays_inside(loc))
        return tensor_error(r, t,
                            "external data location '%s' leaves the model's directory; it must "
                            "be a relative path without '..'",
                            loc);
    if (!r->dir)
        return tensor_error(r, t, "external data '%s' cannot be read: the model is not in a file",
                            loc);

    char *path = path_join(r->dir, loc);
    uint8_t *tmp = NULL;
    int rc = -1;
    FILE *fp = fopen(path, "rb");
    struct stat st;
    if (!fp) {
        tensor_error(r, t, "cannot open external data file '%s': %s", path, strerror(errno));
        goto done;
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        tensor_error(r, t, "external data file '%s' is not a regular file", path);
        goto done;
    }
    int64_t size = (int64_t)st.st_size;
    if (offset > size) {
        tensor_error(r, t, "external data offset %lld is past the end of '%s' (%lld bytes)",
                     (long long)offset, path, (long long)size);
        goto done;
    }
    if (length < 0) length = size - offset;
    if (length > size - offset) {
        tensor_error(r, t,
                     "external data at offset %lld, length %lld runs past the end of '%s' "
                     "(%lld bytes)",
                     (long long)offset, (long long)length, path, (long long)size);
        goto done;
    }
    if ((uint64_t)length != need) {
        tensor_error(r, t, "external data holds %lld bytes; %s needs %zu", (long long)length,
                     describe(r, info, t), need);
        goto done;
    }
    alloc_data(r, t);
    uint8_t *into = same_layout(info) ? t->data : (tmp = xmalloc(need));
    if (fseeko(fp, (off_t)offset, SEEK_SET) != 0 || fread(into, 1, need, fp) != need) {
        tensor_error(r, t, "cannot read external data from '%s': %s", path,
                     ferror(fp) ? strerror(errno) : "file shrank while reading");
        goto done;
    }
    convert_raw(t->onnx_type, into, t->count, info->raw_bytes, t->data);
    t->external = true;
    deps_add(r->deps, path);
    rc = 0;
done:
    if (fp) fclose(fp);
    free(tmp);
    free(path);
    return rc;
}

/* ---- Typed fields ------------------------------------------------------------ */

static const PbVec *typed_field(const TensorFields *f, OnnxStorage s) {
    switch (s) {
    case STORAGE_FLOAT: return &f->float_data;
    case STORAGE_INT32: return &f->int32_data;
    case STORAGE_INT64: return &f->int64_data;
    case STORAGE_DOUBLE: return &f->double_data;
    case STORAGE_UINT64: return &f->uint64_data;
    case STORAGE_NONE:
    case STORAGE_STRING: break;
    }
    return NULL;
}

/* The range int32_data may hold for each type it carries. float16 and
 * bfloat16 bits are written unsigned by ONNX's helpers, signed by some
 * other writers; both are accepted. */
static void int32_range(int32_t type, int64_t *lo, int64_t *hi) {
    switch (type) {
    case ONNX_UINT8: *lo = 0, *hi = UINT8_MAX; return;
    case ONNX_INT8: *lo = INT8_MIN, *hi = INT8_MAX; return;
    case ONNX_UINT16: *lo = 0, *hi = UINT16_MAX; return;
    case ONNX_INT16: *lo = INT16_MIN, *hi = INT16_MAX; return;
    case ONNX_FLOAT16:
    case ONNX_BFLOAT16: *lo = INT16_MIN, *hi = UINT16_MAX; return;
    default: *lo = INT32_MIN, *hi = INT32_MAX; return; /* INT32, BOOL */
    }
}

static int convert_typed(Reader *r, const TensorFields *f, const OnnxTypeInfo *info,
                         OnnxTensor *t) {
    const PbVec *v = typed_field(f, info->storage);
    const char *field = storage_field[info->storage];
    if (v->len != t->count)
        return tensor_error(r, t, "%s holds %zu value%s; %s needs %zu", field, v->len,
                            v->len == 1 ? "" : "s", describe(r, info, t), t->count);
    const uint64_t *u = v->data;
    alloc_data(r, t);
    switch (t->onnx_type) {
    case ONNX_FLOAT: memcpy(t->data, v->data, t->count * sizeof(float)); return 0;
    case ONNX_DOUBLE: memcpy(t->data, v->data, t->count * sizeof(double)); return 0;
    case ONNX_INT64: memcpy(t->data, v->data, t->count * sizeof(int64_t)); return 0;
    case ONNX_UINT32:
        for (size_t i = 0; i < t->count; i++) {
            if (u[i] > UINT32_MAX)
                return tensor_error(r, t, "uint64_data[%zu] = %llu is out of range for UINT32", i,
                                    (unsigned long long)u[i]);
            ((int64_t *)t->data)[i] = (int64_t)u[i];
        }
        return 0;
    }
    /* Everything else travels in int32_data. */
    int64_t lo, hi;
    int32_range(t->onnx_type, &lo, &hi);
    for (size_t i = 0; i < t->count; i++) {
        int64_t x = (int64_t)u[i];
        if (x < lo || x > hi)
            return tensor_error(r, t, "int32_data[%zu] = %lld is out of range for %s", i,
                                (long long)x, info->name);
        switch (t->dtype) {
        case ACC_DTYPE_BOOL: ((uint8_t *)t->data)[i] = x != 0; break;
        case ACC_DTYPE_I8: ((int8_t *)t->data)[i] = (int8_t)x; break;
        case ACC_DTYPE_U8: ((uint8_t *)t->data)[i] = (uint8_t)x; break;
        case ACC_DTYPE_I32: ((int32_t *)t->data)[i] = (int32_t)x; break;
        case ACC_DTYPE_F16:
        case ACC_DTYPE_BF16: ((uint16_t *)t->data)[i] = (uint16_t)(x & 0xffff); break;
        default: ice("int32_data for %s", info->name);
        }
    }
    return 0;
}

/* ---- The conversion ---------------------------------------------------------- */

int onnx_tensor_convert(Reader *r, const TensorFields *f, OnnxTensor *t) {
    if (!set_shape(r, f, t)) return -1;
    t->onnx_type = f->data_type;
    const OnnxTypeInfo *info = onnx_type_info(f->data_type);
    if (f->data_type == ONNX_UNDEFINED) return tensor_error(r, t, "has no data_type");
    if (!info) return tensor_error(r, t, "has unknown data type %d", (int)f->data_type);
    if (f->has_segment)
        return tensor_error(r, t,
                            "is split into segments (TensorProto.segment), "
                            "which accc does not support");
    if (info->acc < 0)
        return tensor_error(r, t,
                            "%s tensors are not supported (accc reads FLOAT, FLOAT16, BFLOAT16, "
                            "DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64 and BOOL)",
                            info->name);
    if (f->data_location != 0 && f->data_location != 1)
        return tensor_error(r, t, "has unknown data_location %d", (int)f->data_location);
    t->dtype = (AccDtype)info->acc;

    /* Where the values are: exactly one place, or none for an empty tensor. */
    const char *where[8];
    int nwhere = 0;
    bool external = f->data_location == 1;
    if (f->has_raw) where[nwhere++] = "raw_data";
    if (external) where[nwhere++] = "external data";
    for (OnnxStorage s = STORAGE_FLOAT; s <= STORAGE_UINT64; s++)
        if (typed_field(f, s)->len) where[nwhere++] = storage_field[s];
    if (f->nstrings) where[nwhere++] = "string_data";
    if (nwhere > 1) return tensor_error(r, t, "has both %s and %s", where[0], where[1]);

    if (nwhere == 0) {
        if (t->count)
            return tensor_error(r, t, "has no data for its %zu element%s", t->count,
                                t->count == 1 ? "" : "s");
        alloc_data(r, t);
        return 0;
    }
    if (f->has_raw) {
        size_t need = t->count * info->raw_bytes;
        if (f->raw_len != need)
            return tensor_error(r, t, "raw_data holds %zu bytes; %s needs %zu", f->raw_len,
                                describe(r, info, t), need);
        alloc_data(r, t);
        convert_raw(t->onnx_type, f->raw, t->count, info->raw_bytes, t->data);
        return 0;
    }
    if (external) return read_external(r, f, info, t);
    if (!typed_field(f, info->storage)->len)
        return tensor_error(r, t, "holds %s values in %s; ONNX keeps them in %s", info->name,
                            where[0], storage_field[info->storage]);
    return convert_typed(r, f, info, t);
}

/*
 * NumPy .npy files: the format every tensor enters and leaves accc in.
 *
 *   magic "\x93NUMPY", major, minor            8 bytes
 *   header length: u16 (v1.0) or u32 (v2.0, v3.0), little-endian
 *   header: a Python dict literal, e.g.
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *   padded with spaces and a newline so the data starts 64-byte aligned
 *   data: the elements in C order
 *
 * The parser is written for hostile input: every read is checked against
 * the buffer's length, every size computation against overflow.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

static const char *const npy_code[] = {
#define DTYPE(id, name, bytes, npy, flags) [ACC_DTYPE_##id] = npy,
#include "dtype.def"
#undef DTYPE
};

#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6

/* ---- A tiny reader for the header's dict literal ---------------------------- */

typedef struct Header {
    const char *p, *end;
    char *err;
    size_t errlen;
} Header;

static int fail(char *err, size_t errlen, const char *fmt, ...) ACC_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_space(Header *h) {
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static bool accept(Header *h, char c) {
    skip_space(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* A quoted string (single or double quotes, no escapes: numpy writes none). */
static int read_string(Header *h, char *out, size_t outlen) {
    skip_space(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return fail(h->err, h->errlen, "malformed .npy header: expected a quoted string");
    char quote = *h->p++;
    const char *start = h->p;
    while (h->p < h->end && *h->p != quote) h->p++;
    if (h->p >= h->end)
        return fail(h->err, h->errlen, "malformed .npy header: unterminated string");
    size_t n = (size_t)(h->p - start);
    h->p++;
    if (n >= outlen) return fail(h->err, h->errlen, "malformed .npy header: string too long");
    memcpy(out, start, n);
    out[n] = '\0';
    return 0;
}

static bool accept_word(Header *h, const char *word) {
    skip_space(h);
    size_t n = strlen(word);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, word, n) == 0) {
        h->p += n;
        return true;
    }
    return false;
}

static int read_shape(Header *h, NpyArray *out) {
    if (!accept(h, '('))
        return fail(h->err, h->errlen, "malformed .npy header: 'shape' is not a tuple");
    out->ndim = 0;
    while (!accept(h, ')')) {
        skip_space(h);
        if (h->p >= h->end || *h->p < '0' || *h->p > '9')
            return fail(h->err, h->errlen, "malformed .npy header: bad dimension in 'shape'");
        int64_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return fail(h->err, h->errlen, "malformed .npy header: dimension too large");
            v = v * 10 + (*h->p++ - '0');
        }
        if (h->p < h->end && *h->p == 'L') h->p++; /* Python 2 longs */
        if (out->ndim == NPY_MAX_DIMS)
            return fail(h->err, h->errlen, ".npy array has more than %d dimensions", NPY_MAX_DIMS);
        out->shape[out->ndim++] = v;
        if (!accept(h, ',')) {
            if (!accept(h, ')'))
                return fail(h->err, h->errlen, "malformed .npy header: unterminated 'shape'");
            break;
        }
    }
    return 0;
}

static int parse_descr(const char *descr, AccDtype *dtype, char *err, size_t errlen) {
    char order = descr[0];
    const char *code = descr + 1;
    if (order != '<' && order != '>' && order != '|' && order != '=') order = '|', code = descr;
    if (strcmp(code, "?") == 0) code = "b1";
    for (int t = 0; t < ACC_DTYPE_COUNT; t++) {
        if (!npy_code[t] || strcmp(npy_code[t], code) != 0) continue;
        if (order == '>' && dtype_size((AccDtype)t) > 1)
            return fail(err, errlen,
                        "big-endian .npy data ('%s') is not supported; save it little-endian "
                        "(arr.astype('<%s'))",
                        descr, code);
        *dtype = (AccDtype)t;
        return 0;
    }
    return fail(err, errlen,
                "unsupported .npy dtype '%s' (supported: f4 f2 f8 i1 u1 i4 i8 b1, little-endian)",
                descr);
}

static int parse_header(const char *text, size_t len, NpyArray *out, char *err, size_t errlen) {
    Header h = {text, text + len, err, errlen};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!accept(&h, '{')) return fail(err, errlen, "malformed .npy header: expected '{'");
    while (!accept(&h, '}')) {
        char key[32], descr[32];
        if (read_string(&h, key, sizeof key) < 0) return -1;
        if (!accept(&h, ':'))
            return fail(err, errlen, "malformed .npy header: expected ':' after '%s'", key);
        if (strcmp(key, "descr") == 0) {
            if (read_string(&h, descr, sizeof descr) < 0) return -1;
            if (parse_descr(descr, &out->dtype, err, errlen) < 0) return -1;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (accept_word(&h, "True"))
                return fail(err, errlen,
                            "Fortran-order .npy arrays are not supported; save a C-order array "
                            "(np.ascontiguousarray)");
            if (!accept_word(&h, "False"))
                return fail(err, errlen, "malformed .npy header: 'fortran_order' is not a bool");
            have_order = true;
        } else if (strcmp(key, "shape") == 0) {
            if (read_shape(&h, out) < 0) return -1;
            have_shape = true;
        } else {
            return fail(err, errlen, "malformed .npy header: unexpected key '%s'", key);
        }
        if (!accept(&h, ',')) {
            if (!accept(&h, '}')) return fail(err, errlen, "malformed .npy header: expected '}'");
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return fail(err, errlen, "malformed .npy header: missing '%s'",
                    !have_descr   ? "descr"
                    : !have_order ? "fortran_order"
                                  : "shape");
    skip_space(&h);
    if (h.p != h.end) return fail(err, errlen, "malformed .npy header: junk after the dict");
    return 0;
}

static uint32_t read_le(const unsigned char *p, int bytes) {
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

int npy_parse(const void *buf, size_t len, NpyArray *out, char *err, size_t errlen) {
    const unsigned char *b = buf;
    memset(out, 0, sizeof(*out));
    if (len < 10 || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return fail(err, errlen,
                    len < 10 ? "not a .npy file: too short for its header"
                             : "not a .npy file: bad magic string");
    int major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0)
        return fail(err, errlen, "unsupported .npy version %d.%d (supported: 1.0, 2.0, 3.0)", major,
                    minor);
    size_t lenbytes = major == 1 ? 2 : 4;
    if (len < 8 + lenbytes) return fail(err, errlen, "truncated .npy file: no header length");
    size_t hlen = read_le(b + 8, (int)lenbytes);
    size_t hstart = 8 + lenbytes;
    if (hlen > len - hstart)
        return fail(err, errlen, "truncated .npy file: header says %zu bytes, file has %zu", hlen,
                    len - hstart);
    for (size_t i = 0; i < hlen; i++)
        if (b[hstart + i] == 0 || (major < 3 && b[hstart + i] >= 0x80))
            return fail(err, errlen, "malformed .npy header: byte %zu is not text", hstart + i);
    if (parse_header((const char *)b + hstart, hlen, out, err, errlen) < 0) return -1;

    size_t count = 1;
    for (int i = 0; i < out->ndim; i++) {
        uint64_t d = (uint64_t)out->shape[i];
        if (d && count > SIZE_MAX / d) return fail(err, errlen, ".npy array is too large");
        count *= d;
    }
    size_t esize = dtype_size(out->dtype);
    if (count > SIZE_MAX / esize) return fail(err, errlen, ".npy array is too large");
    size_t nbytes = count * esize;
    size_t have = len - hstart - hlen;
    if (have != nbytes) {
        out->ndim = 0;
        return fail(err, errlen, "%s .npy file: shape needs %zu data bytes, file has %zu",
                    have < nbytes ? "truncated" : "malformed", nbytes, have);
    }
    out->count = count;
    out->data = xmalloc(nbytes);
    if (nbytes) memcpy(out->data, b + hstart + hlen, nbytes);
    if (out->dtype == ACC_DTYPE_BOOL) /* canonicalise: any non-zero byte is true */
        for (size_t i = 0; i < count; i++)
            ((uint8_t *)out->data)[i] = ((uint8_t *)out->data)[i] != 0;
    return 0;
}

int npy_load(const char *path, NpyArray *out, char *err, size_t errlen) {
    size_t len;
    char *buf = file_read(path, &len, err, errlen);
    if (!buf) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    char inner[400];
    int rc = npy_parse(buf, len, out, inner, sizeof inner);
    if (rc < 0) snprintf(err, errlen, "%s: %s", path, inner);
    free(buf);
    return rc;
}

void npy_serialize(const NpyArray *a, StrBuf *out) {
    const char *code = npy_code[a->dtype];
    if (!code) ice("npy_serialize: %s has no .npy type; convert it first", dtype_name(a->dtype));
    StrBuf hdr;
    sb_init(&hdr);
    sb_printf(&hdr, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
              dtype_size(a->dtype) == 1 ? '|' : '<', code);
    for (int i = 0; i < a->ndim; i++)
        sb_printf(&hdr, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    sb_puts(&hdr, a->ndim == 1 ? ",), }" : "), }");

    /* Version 1.0 unless the header would overflow its u16 length. */
    int major = hdr.len + 1 + 10 > 65535 ? 2 : 1;
    size_t prefix = major == 1 ? 10 : 12;
    size_t total = align_up(prefix + hdr.len + 1, 64);
    while (hdr.len + 1 < total - prefix) sb_putc(&hdr, ' ');
    sb_putc(&hdr, '\n');

    unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
    for (size_t i = 0; i < prefix - 8; i++) pre[8 + i] = (unsigned char)(hdr.len >> (8 * i));
    sb_append(out, pre, prefix);
    sb_append(out, hdr.data, hdr.len);
    sb_append(out, a->data, a->count * dtype_size(a->dtype));
    sb_free(&hdr);
}

int npy_save(const char *path, const NpyArray *a, char *err, size_t errlen) {
    StrBuf sb;
    sb_init(&sb);
    npy_serialize(a, &sb);
    int rc = file_write_atomic(path, sb.data, sb.len, err, errlen);
    sb_free(&sb);
    return rc;
}

void npy_alloc(NpyArray *a, AccDtype dtype, int ndim, const int64_t *shape) {
    if (ndim < 0 || ndim > NPY_MAX_DIMS) ice("npy_alloc: %d dimensions", ndim);
    memset(a, 0, sizeof(*a));
    a->dtype = dtype;
    a->ndim = ndim;
    a->count = 1;
    for (int i = 0; i < ndim; i++) {
        a->shape[i] = shape[i];
        a->count *= (size_t)shape[i];
    }
    a->data = xcalloc(a->count ? a->count : 1, dtype_size(dtype));
}

void npy_free(NpyArray *a) {
    free(a->data);
    memset(a, 0, sizeof(*a));
}

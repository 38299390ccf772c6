/*
 * The protobuf wire format (protobuf.dev/programming-guides/encoding),
 * decoded for hostile input.
 *
 * A message is a run of fields; each field is a key varint
 * (number << 3 | wire type) followed by its value:
 *
 *   wire type 0  varint     1..10 bytes, 7 bits each, low group first
 *   wire type 1  fixed64    8 bytes, little-endian
 *   wire type 2  length     a varint byte count, then that many bytes
 *   wire type 3  start group, fields until the matching end group (4)
 *   wire type 5  fixed32    4 bytes, little-endian
 *
 * There is no end marker: a message ends where its enclosing length says.
 * So every read here is checked against the end of the message being read,
 * and every length against what is left of it. Varints may be padded
 * (0x80 0x00 is a valid 0, as protobuf accepts) but never longer than 10
 * bytes or wider than 64 bits. Fields a schema does not list are skipped,
 * groups included; nesting of messages and groups is bounded.
 */
#include "onnx.h"

#include <string.h>

#define PB_MAX_FIELD_NUMBER ((1u << 29) - 1)

typedef enum VarintStatus {
    VARINT_OK,
    VARINT_TRUNCATED, /* the message ended inside it */
    VARINT_TOO_LONG,  /* more than 10 bytes */
    VARINT_OVERFLOW   /* the 10th byte has bits above bit 63 */
} VarintStatus;

static VarintStatus read_varint(const uint8_t *data, size_t *pos, size_t end, uint64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (*pos >= end) return VARINT_TRUNCATED;
        uint8_t b = data[(*pos)++];
        if (i == 9 && b > 1) return (b & 0x80) ? VARINT_TOO_LONG : VARINT_OVERFLOW;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return VARINT_OK;
        }
    }
    return VARINT_TOO_LONG; /* not reached: the 10th byte returns above */
}

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

static const char *wire_name(unsigned wire) {
    switch (wire) {
    case PB_VARINT: return "varint";
    case PB_I64: return "fixed64";
    case PB_LEN: return "length-delimited";
    case PB_SGROUP: return "start-group";
    case PB_EGROUP: return "end-group";
    case PB_I32: return "fixed32";
    }
    return "invalid";
}

/* ---- Errors -------------------------------------------------------------- */

static void put_frame(StrBuf *sb, const PbFrame *f) {
    if (sb->len) sb_putc(sb, '.');
    sb_puts(sb, f->name);
    if (f->index >= 0) sb_printf(sb, "[%ld]", f->index);
}

void pb_path(const PbDecoder *d, StrBuf *sb) {
    /* A path deeper than 8 keeps its first 3 and last 4 frames. */
    for (int i = 0; i < d->depth; i++) {
        if (d->depth > 8 && i == 3) {
            sb_puts(sb, ".(...)");
            i = d->depth - 5;
            continue;
        }
        put_frame(sb, &d->path[i]);
    }
    if (d->field || d->field_number) {
        if (sb->len) sb_putc(sb, '.');
        if (d->field)
            sb_puts(sb, d->field);
        else
            sb_printf(sb, "#%u", d->field_number);
    }
}

int pb_fail(PbMsg *m, size_t offset, const char *fmt, ...) {
    PbDecoder *d = m->dec;
    if (d->failed) return -1; /* keep the first error */
    StrBuf sb;
    sb_init(&sb);
    pb_path(d, &sb);
    if (sb.len) sb_puts(&sb, ": ");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    sb_printf(&sb, " at byte %zu", offset);
    snprintf(d->err, sizeof d->err, "%s", sb.data);
    sb_free(&sb);
    d->failed = true;
    return -1;
}

static int varint_fail(PbMsg *m, VarintStatus st, const char *what, size_t offset) {
    switch (st) {
    case VARINT_TRUNCATED: return pb_fail(m, offset, "truncated %s", what);
    case VARINT_TOO_LONG: return pb_fail(m, offset, "%s longer than 10 bytes", what);
    case VARINT_OVERFLOW: return pb_fail(m, offset, "%s overflows 64 bits", what);
    case VARINT_OK: break;
    }
    return 0;
}

/* ---- Fields -------------------------------------------------------------- */

void pb_decoder_init(PbDecoder *d, const void *data, size_t size) {
    memset(d, 0, sizeof(*d));
    d->data = data;
    d->size = size;
}

PbMsg pb_root(PbDecoder *d, const PbFieldDesc *schema) {
    PbMsg m = {d, schema, 0, d->size};
    return m;
}

static const PbFieldDesc *find_field(const PbFieldDesc *schema, uint64_t number) {
    for (const PbFieldDesc *f = schema; f->kind != PB_KIND_END; f++)
        if (f->number == number) return f;
    return NULL;
}

static bool wire_allowed(PbKind kind, unsigned wire) {
    switch (kind) {
    case PB_KIND_VARINT: return wire == PB_VARINT;
    case PB_KIND_I32: return wire == PB_I32;
    case PB_KIND_I64: return wire == PB_I64;
    case PB_KIND_LEN: return wire == PB_LEN;
    case PB_KIND_REP_VARINT: return wire == PB_VARINT || wire == PB_LEN;
    case PB_KIND_REP_I32: return wire == PB_I32 || wire == PB_LEN;
    case PB_KIND_REP_I64: return wire == PB_I64 || wire == PB_LEN;
    case PB_KIND_END: break;
    }
    return false;
}

static const char *kind_wire_name(PbKind kind) {
    switch (kind) {
    case PB_KIND_VARINT: return "varint";
    case PB_KIND_I32: return "fixed32";
    case PB_KIND_I64: return "fixed64";
    case PB_KIND_LEN: return "length-delimited";
    case PB_KIND_REP_VARINT: return "varint or packed";
    case PB_KIND_REP_I32: return "fixed32 or packed";
    case PB_KIND_REP_I64: return "fixed64 or packed";
    case PB_KIND_END: break;
    }
    return "?";
}

/* Read a key at m->pos. */
static int read_key(PbMsg *m, uint32_t *number, unsigned *wire) {
    size_t at = m->pos;
    uint64_t key;
    VarintStatus st = read_varint(m->dec->data, &m->pos, m->end, &key);
    if (st != VARINT_OK) return varint_fail(m, st, "field key", at);
    if ((key >> 3) == 0 || (key >> 3) > PB_MAX_FIELD_NUMBER)
        return pb_fail(m, at, "invalid field number %llu", (unsigned long long)(key >> 3));
    if ((key & 7) > PB_I32) return pb_fail(m, at, "invalid wire type %u", (unsigned)(key & 7));
    *number = (uint32_t)(key >> 3);
    *wire = (unsigned)(key & 7);
    return 0;
}

/* Read the value of a field whose key (at key_at) has been read. Groups are
 * skipped to their end; depth counts the groups already open. */
static int read_value(PbMsg *m, uint32_t number, unsigned wire, size_t key_at, int depth,
                      PbField *f);

static int skip_group(PbMsg *m, uint32_t number, size_t key_at, int depth) {
    if (m->dec->depth + depth >= PB_MAX_DEPTH)
        return pb_fail(m, key_at, "groups nested deeper than %d", PB_MAX_DEPTH);
    for (;;) {
        if (m->pos >= m->end) return pb_fail(m, key_at, "group of field %u is not closed", number);
        size_t at = m->pos;
        uint32_t n;
        unsigned wire;
        if (read_key(m, &n, &wire)) return -1;
        if (wire == PB_EGROUP) {
            if (n != number)
                return pb_fail(m, at, "end-group of field %u inside the group of field %u", n,
                               number);
            return 0;
        }
        PbField ignored;
        if (read_value(m, n, wire, at, depth + 1, &ignored)) return -1;
    }
}

static int read_value(PbMsg *m, uint32_t number, unsigned wire, size_t key_at, int depth,
                      PbField *f) {
    const uint8_t *data = m->dec->data;
    size_t at = m->pos;
    size_t left = m->end - m->pos;
    f->wire = (PbWire)wire;
    f->offset = key_at;
    switch (wire) {
    case PB_VARINT: {
        VarintStatus st = read_varint(data, &m->pos, m->end, &f->u);
        return st == VARINT_OK ? 0 : varint_fail(m, st, "varint", at);
    }
    case PB_I64:
        if (left < 8) return pb_fail(m, at, "truncated fixed64");
        f->u = load_le64(data + at);
        m->pos += 8;
        return 0;
    case PB_I32:
        if (left < 4) return pb_fail(m, at, "truncated fixed32");
        f->u = load_le32(data + at);
        m->pos += 4;
        return 0;
    case PB_LEN: {
        uint64_t len;
        VarintStatus st = read_varint(data, &m->pos, m->end, &len);
        if (st != VARINT_OK) return varint_fail(m, st, "length", at);
        left = m->end - m->pos;
        if (len > left)
            return pb_fail(m, at, "length %llu exceeds the %zu bytes left in the message",
                           (unsigned long long)len, left);
        f->start = m->pos;
        f->len = (size_t)len;
        m->pos += (size_t)len;
        return 0;
    }
    case PB_SGROUP: return skip_group(m, number, key_at, depth);
    case PB_EGROUP: return pb_fail(m, key_at, "end-group without a start-group");
    }
    return pb_fail(m, key_at, "invalid wire type %u", wire);
}

int pb_next(PbMsg *m, PbField *f) {
    PbDecoder *d = m->dec;
    for (;;) {
        d->field = NULL;
        d->field_number = 0;
        if (m->pos >= m->end) return 0;
        size_t at = m->pos;
        uint32_t number;
        unsigned wire;
        if (read_key(m, &number, &wire)) return -1;
        const PbFieldDesc *desc = find_field(m->schema, number);
        if (desc) {
            d->field = desc->name;
        } else {
            d->field_number = number;
        }
        if (desc && !wire_allowed(desc->kind, wire))
            return pb_fail(m, at, "%s field, expected %s", wire_name(wire),
                           kind_wire_name(desc->kind));
        if (read_value(m, number, wire, at, 0, f)) return -1;
        if (!desc) continue; /* unknown: skipped */
        f->desc = desc;
        return 1;
    }
}

int pb_enter(PbMsg *m, const PbField *f, const PbFieldDesc *schema, long index, PbMsg *sub) {
    PbDecoder *d = m->dec;
    if (d->depth >= PB_MAX_DEPTH)
        return pb_fail(m, f->offset, "messages nested deeper than %d", PB_MAX_DEPTH);
    d->path[d->depth].name = f->desc->name;
    d->path[d->depth].index = index;
    d->depth++;
    d->field = NULL;
    d->field_number = 0;
    sub->dec = d;
    sub->schema = schema;
    sub->pos = f->start;
    sub->end = f->start + f->len;
    return 0;
}

void pb_leave(PbMsg *sub) {
    PbDecoder *d = sub->dec;
    if (d->depth <= 0) ice("pb_leave without pb_enter");
    d->depth--;
    d->field = NULL;
    d->field_number = 0;
}

/* ---- Scalars ------------------------------------------------------------- */

int64_t pb_int64(const PbField *f) {
    return (int64_t)f->u; /* two's complement, as protobuf encodes negatives */
}

uint64_t pb_uint64(const PbField *f) {
    return f->u;
}

float pb_float(const PbField *f) {
    uint32_t bits = (uint32_t)f->u;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

double pb_double(const PbField *f) {
    double v;
    memcpy(&v, &f->u, sizeof v);
    return v;
}

int pb_int32(PbMsg *m, const PbField *f, int32_t *out) {
    int64_t v = (int64_t)f->u;
    if (v < INT32_MIN || v > INT32_MAX)
        return pb_fail(m, f->offset, "int32 value %lld out of range", (long long)v);
    *out = (int32_t)v;
    return 0;
}

char *pb_string(PbMsg *m, const PbField *f, Arena *a) {
    const char *s = (const char *)m->dec->data + f->start;
    const char *nul = memchr(s, '\0', f->len);
    if (nul) {
        pb_fail(m, f->start + (size_t)(nul - s), "string contains a NUL byte");
        return NULL;
    }
    return arena_strndup(a, s, f->len);
}

char *pb_bytes(const PbMsg *m, const PbField *f, Arena *a) {
    return arena_strndup(a, (const char *)m->dec->data + f->start, f->len);
}

/* ---- Repeated scalars ------------------------------------------------------ */

void *pb_vec_push(Arena *a, PbVec *v, size_t elem, size_t n) {
    if (n > SIZE_MAX / elem - v->len) ice("pb_vec_push: %zu + %zu elements overflow", v->len, n);
    if (v->len + n > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        if (cap < v->len + n) cap = v->len + n;
        if (cap > SIZE_MAX / elem) cap = v->len + n;
        void *p = arena_alloc(a, cap * elem, 16);
        if (v->len) memcpy(p, v->data, v->len * elem);
        v->data = p;
        v->cap = cap;
    }
    void *slot = (char *)v->data + v->len * elem;
    memset(slot, 0, n * elem);
    v->len += n;
    return slot;
}

int pb_append_varints(PbMsg *m, const PbField *f, Arena *a, PbVec *v) {
    if (f->wire == PB_VARINT) {
        *(uint64_t *)pb_vec_push(a, v, sizeof(uint64_t), 1) = f->u;
        return 0;
    }
    /* Packed: one varint ends at every byte without the continuation bit,
     * so counting those sizes the array exactly. */
    const uint8_t *data = m->dec->data;
    size_t end = f->start + f->len, n = 0;
    for (size_t i = f->start; i < end; i++) n += !(data[i] & 0x80);
    uint64_t *out = n ? pb_vec_push(a, v, sizeof(uint64_t), n) : NULL;
    size_t pos = f->start, k = 0;
    while (pos < end) {
        size_t at = pos;
        uint64_t x;
        VarintStatus st = read_varint(data, &pos, end, &x);
        if (st != VARINT_OK) return varint_fail(m, st, "packed varint", at);
        if (k >= n) ice("packed varint count out of step");
        out[k++] = x;
    }
    return 0;
}

int pb_append_floats(PbMsg *m, const PbField *f, Arena *a, PbVec *v) {
    if (f->wire == PB_I32) {
        *(float *)pb_vec_push(a, v, sizeof(float), 1) = pb_float(f);
        return 0;
    }
    if (f->len % 4)
        return pb_fail(m, f->offset, "packed fixed32 run of %zu bytes is not a multiple of 4",
                       f->len);
    size_t n = f->len / 4;
    if (!n) return 0;
    float *out = pb_vec_push(a, v, sizeof(float), n);
    const uint8_t *p = m->dec->data + f->start;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = load_le32(p + 4 * i);
        memcpy(&out[i], &bits, sizeof bits);
    }
    return 0;
}

int pb_append_doubles(PbMsg *m, const PbField *f, Arena *a, PbVec *v) {
    if (f->wire == PB_I64) {
        *(double *)pb_vec_push(a, v, sizeof(double), 1) = pb_double(f);
        return 0;
    }
    if (f->len % 8)
        return pb_fail(m, f->offset, "packed fixed64 run of %zu bytes is not a multiple of 8",
                       f->len);
    size_t n = f->len / 8;
    if (!n) return 0;
    double *out = pb_vec_push(a, v, sizeof(double), n);
    const uint8_t *p = m->dec->data + f->start;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = load_le64(p + 8 * i);
        memcpy(&out[i], &bits, sizeof bits);
    }
    return 0;
}

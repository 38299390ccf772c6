/* StrBuf: a growable, always NUL-terminated byte string. */
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sb_init(StrBuf *sb) {
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void sb_free(StrBuf *sb) {
    free(sb->data);
    sb_init(sb);
}

void sb_clear(StrBuf *sb) {
    sb->len = 0;
    if (sb->data) sb->data[0] = '\0';
}

void sb_reserve(StrBuf *sb, size_t extra) {
    XGROW(sb->data, sb->cap, sb->len + extra + 1);
}

void sb_append(StrBuf *sb, const void *data, size_t len) {
    sb_reserve(sb, len);
    if (len) memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void sb_putc(StrBuf *sb, char c) {
    sb_append(sb, &c, 1);
}

void sb_puts(StrBuf *sb, const char *s) {
    sb_append(sb, s, strlen(s));
}

void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) ice("sb_printf: bad format '%s'", fmt);
    sb_reserve(sb, (size_t)n);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    sb->len += (size_t)n;
}

void sb_printf(StrBuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void sb_json_string(StrBuf *sb, const char *s) {
    sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sb_puts(sb, "\\\""); break;
        case '\\': sb_puts(sb, "\\\\"); break;
        case '\n': sb_puts(sb, "\\n"); break;
        case '\r': sb_puts(sb, "\\r"); break;
        case '\t': sb_puts(sb, "\\t"); break;
        default:
            if (*p < 0x20)
                sb_printf(sb, "\\u%04x", *p);
            else
                sb_putc(sb, (char)*p);
        }
    }
    sb_putc(sb, '"');
}

char *sb_take(StrBuf *sb) {
    char *p = sb->data ? sb->data : xstrdup("");
    sb_init(sb);
    return p;
}

/* Print v with the fewest significant digits (from min_digits up) for which
 * reads_back accepts the text: in positional notation when the decimal
 * exponent is in [-4, 16) ("10.0", "0.001"), else in scientific notation
 * ("1e-05"), as Python's repr does. */
static void put_shortest(StrBuf *sb, double v, int min_digits, int max_digits,
                         bool (*reads_back)(const char *, double)) {
    if (v != v) {
        sb_puts(sb, "nan");
        return;
    }
    if (v == HUGE_VAL || v == -HUGE_VAL) {
        sb_puts(sb, v < 0 ? "-inf" : "inf");
        return;
    }
    char buf[64];
    int digits = min_digits;
    for (; digits < max_digits; digits++) {
        snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
        if (reads_back(buf, v)) break;
    }
    snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp >= -4 && exp < 16) {
        int decimals = digits - 1 - exp;
        snprintf(buf, sizeof buf, "%.*f", decimals > 0 ? decimals : 0, v);
    } else if (digits == 1) {
        snprintf(buf, sizeof buf, "%.0e", v);
    }
    sb_puts(sb, buf);
    if (!strpbrk(buf, ".e")) sb_puts(sb, ".0");
}

static bool double_reads_back(const char *s, double v) {
    return strtod(s, NULL) == v;
}

static bool float_reads_back(const char *s, double v) {
    return strtof(s, NULL) == (float)v;
}

void sb_put_double(StrBuf *sb, double v) {
    put_shortest(sb, v, 1, 17, double_reads_back);
}

void sb_put_float(StrBuf *sb, float v) {
    put_shortest(sb, v, 1, 9, float_reads_back);
}

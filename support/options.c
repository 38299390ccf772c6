/*
 * Command lines read from a table (support.h, "options.c"): every command
 * lists its options once, as OptSpec rows, and both its parser and its
 * --help come from that list.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

static bool is_long(const OptSpec *s) {
    return s->name[0] == '-' && s->name[1] == '-';
}

/* The value attached to arg after spec's name, or NULL if arg does not
 * spell spec with an attached value. */
static const char *attached_value(const OptSpec *s, const char *arg) {
    size_t n = strlen(s->name);
    if (!s->value || strncmp(arg, s->name, n) != 0 || !arg[n]) return NULL;
    const char *rest = arg + n;
    if (is_long(s) || (s->flags & OPT_EQUALS)) return rest[0] == '=' ? rest + 1 : NULL;
    return rest;
}

/* "--stats=1": a flag spelled with a value. */
static bool flag_with_value(const OptSpec *s, const char *arg) {
    size_t n = strlen(s->name);
    return !s->value && is_long(s) && strncmp(arg, s->name, n) == 0 && arg[n] == '=';
}

static void unknown_option(const OptTable *tables, size_t ntables, const char *arg, char *err,
                           size_t errlen) {
    size_t total = 0;
    for (size_t t = 0; t < ntables; t++) total += tables[t].n;
    const char **names = xcalloc(total + 1, sizeof *names);
    size_t k = 0;
    for (size_t t = 0; t < ntables; t++)
        for (size_t r = 0; r < tables[t].n; r++) names[k++] = tables[t].specs[r].name;
    /* Compare the name part only: "--emitt=ir" is a misspelt --emit. */
    size_t len = strcspn(arg, "=");
    char *name = xstrndup(arg, len);
    const char *hint = str_suggest(name, names, total);
    if (hint)
        snprintf(err, errlen, "unknown option '%s'; did you mean '%s'?", arg, hint);
    else
        snprintf(err, errlen, "unknown option '%s'", arg);
    free(name);
    free(names);
}

OptResult opt_match(const OptTable *tables, size_t ntables, int argc, char **argv, int *i,
                    size_t *table, const OptSpec **spec, const char **value, char *err,
                    size_t errlen) {
    const char *arg = argv[*i];
    *value = NULL;
    if (arg[0] != '-' || arg[1] == '\0') return OPT_POSITIONAL;
    /* The exact spelling first: "-MD" is not "-M" with the value "D". */
    for (size_t t = 0; t < ntables; t++)
        for (size_t r = 0; r < tables[t].n; r++) {
            const OptSpec *s = &tables[t].specs[r];
            if (strcmp(arg, s->name) != 0) continue;
            *table = t;
            *spec = s;
            if (!s->value || (s->flags & OPT_OPTIONAL)) return OPT_FOUND;
            if ((s->flags & (OPT_JOINED | OPT_EQUALS)) || *i + 1 >= argc) {
                StrBuf sp;
                sb_init(&sp);
                opt_spelling(&sp, s);
                snprintf(err, errlen, "%s needs a value: %s", s->name, sp.data);
                sb_free(&sp);
                return OPT_BAD;
            }
            *value = argv[++*i];
            return OPT_FOUND;
        }
    /* Then a value attached to the longest name it starts with. */
    size_t best_len = 0;
    for (size_t t = 0; t < ntables; t++)
        for (size_t r = 0; r < tables[t].n; r++) {
            const OptSpec *s = &tables[t].specs[r];
            size_t n = strlen(s->name);
            if (n <= best_len) continue;
            if (flag_with_value(s, arg)) {
                snprintf(err, errlen, "%s takes no value", s->name);
                return OPT_BAD;
            }
            const char *v = attached_value(s, arg);
            if (!v) continue;
            best_len = n;
            *table = t;
            *spec = s;
            *value = v;
        }
    if (best_len) return OPT_FOUND;
    unknown_option(tables, ntables, arg, err, errlen);
    return OPT_BAD;
}

void opt_spelling(StrBuf *out, const OptSpec *s) {
    if (s->shown)
        sb_puts(out, s->shown);
    else if (!s->value)
        sb_puts(out, s->name);
    else if (s->flags & OPT_OPTIONAL)
        sb_printf(out, "%s[=%s]", s->name, s->value);
    else if ((is_long(s) && !(s->flags & OPT_SPACE)) || (s->flags & OPT_EQUALS))
        sb_printf(out, "%s=%s", s->name, s->value);
    else if (s->flags & OPT_JOINED)
        sb_printf(out, "%s%s", s->name, s->value);
    else
        sb_printf(out, "%s %s", s->name, s->value);
}

void opt_help(StrBuf *out, const OptTable *tables, size_t ntables, int column) {
    for (size_t t = 0; t < ntables; t++) {
        if (tables[t].title) sb_printf(out, "%s%s:\n", t ? "\n" : "", tables[t].title);
        for (size_t r = 0; r < tables[t].n; r++) {
            const OptSpec *s = &tables[t].specs[r];
            if (s->flags & OPT_HIDDEN) continue;
            size_t start = out->len;
            sb_puts(out, "  ");
            opt_spelling(out, s);
            size_t used = out->len - start;
            size_t pad = used + 2 <= (size_t)column ? (size_t)column - used : 2;
            sb_printf(out, "%*s%s\n", (int)pad, "", s->help);
        }
    }
}

void opt_print_help(const char *synopsis, const OptTable *tables, size_t ntables,
                    const char *epilogue) {
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, synopsis ? synopsis : "");
    opt_help(&sb, tables, ntables, 26);
    sb_puts(&sb, epilogue ? epilogue : "");
    fputs(sb.data, stdout);
    sb_free(&sb);
}

int opt_usage(Diag *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(d, DIAG_ERROR, diag_loc(0, 0, 0), fmt, ap);
    va_end(ap);
    diag_note(d, diag_loc(0, 0, 0), "try '%s --help'", d->tool ? d->tool : "accc");
    return 2;
}

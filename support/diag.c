/*
 * Diagnostics: the one path for every user-facing error, warning and note.
 *
 * Text form (clang's, so editors and people already read it):
 *
 *   model.g:3:9: error: unknown op 'relu2'; did you mean 'relu'?
 *       y = relu2(x)
 *           ^
 *
 * A message without a location is "tool: error: message". Several errors
 * are reported per run; the caller checks diag_failed() at the points where
 * going on makes no sense, and diag_finish() prints the count.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct DiagFile {
    char *name;
    char *text;
    size_t len;
    size_t *line_start; /* byte offset of each line; built on first use */
    size_t nlines;
};

enum { DEFAULT_MAX_ERRORS = 50 };

static bool want_color(FILE *out) {
    const char *term = getenv("TERM");
    if (getenv("NO_COLOR")) return false;
    if (!term || strcmp(term, "dumb") == 0) return false;
    return isatty(fileno(out));
}

void diag_init(Diag *d, const char *tool, FILE *out) {
    memset(d, 0, sizeof(*d));
    d->tool = tool;
    d->out = out;
    d->format = DIAG_TEXT;
    d->color = want_color(out);
    d->max_errors = DEFAULT_MAX_ERRORS;
    d->nfiles = 1; /* index 0 is "no file" */
    XGROW(d->files, d->capfiles, 1);
    memset(&d->files[0], 0, sizeof(d->files[0]));
    sb_init(&d->json);
}

void diag_free(Diag *d) {
    for (size_t i = 1; i < d->nfiles; i++) {
        free(d->files[i].name);
        free(d->files[i].text);
        free(d->files[i].line_start);
    }
    free(d->files);
    sb_free(&d->json);
    d->files = NULL;
    d->nfiles = d->capfiles = 0;
}

int diag_add_file(Diag *d, const char *name, const char *text, size_t len) {
    XGROW(d->files, d->capfiles, d->nfiles + 1);
    DiagFile *f = &d->files[d->nfiles];
    f->name = xstrdup(name);
    f->text = xmalloc(len + 1);
    if (len) memcpy(f->text, text, len);
    f->text[len] = '\0';
    f->len = len;
    f->line_start = NULL;
    f->nlines = 0;
    return (int)d->nfiles++;
}

const char *diag_file_name(const Diag *d, int file) {
    if (file <= 0 || (size_t)file >= d->nfiles) return NULL;
    return d->files[file].name;
}

SrcLoc diag_loc(int file, int line, int col) {
    SrcLoc loc = {file, line, col};
    return loc;
}

static void index_lines(DiagFile *f) {
    size_t cap = 0;
    f->nlines = 0;
    XGROW(f->line_start, cap, 1);
    f->line_start[f->nlines++] = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (f->text[i] == '\n') {
            XGROW(f->line_start, cap, f->nlines + 1);
            f->line_start[f->nlines++] = i + 1;
        }
    }
}

/* The text of line (1-based) without its newline, or NULL. */
static const char *source_line(DiagFile *f, int line, size_t *len) {
    if (!f->line_start) index_lines(f);
    if (line < 1 || (size_t)line > f->nlines) return NULL;
    size_t start = f->line_start[line - 1];
    size_t end = start;
    while (end < f->len && f->text[end] != '\n' && f->text[end] != '\r') end++;
    *len = end - start;
    return f->text + start;
}

static const char *level_name(DiagLevel level) {
    switch (level) {
    case DIAG_ERROR: return "error";
    case DIAG_WARNING: return "warning";
    case DIAG_NOTE: return "note";
    }
    return "?";
}

static const char *level_color(DiagLevel level) {
    switch (level) {
    case DIAG_ERROR: return "\033[1;31m";
    case DIAG_WARNING: return "\033[1;35m";
    case DIAG_NOTE: return "\033[1;36m";
    }
    return "";
}

static void print_text(Diag *d, DiagLevel level, SrcLoc loc, const char *msg) {
    const char *bold = d->color ? "\033[1m" : "";
    const char *reset = d->color ? "\033[0m" : "";
    const char *lc = d->color ? level_color(level) : "";
    const char *name = diag_file_name(d, loc.file);

    fputs(bold, d->out);
    if (name && loc.line > 0 && loc.col > 0)
        fprintf(d->out, "%s:%d:%d: ", name, loc.line, loc.col);
    else if (name && loc.line > 0)
        fprintf(d->out, "%s:%d: ", name, loc.line);
    else if (name)
        fprintf(d->out, "%s: ", name);
    else if (d->tool)
        fprintf(d->out, "%s: ", d->tool);
    fprintf(d->out, "%s%s%s:%s %s%s%s\n", reset, lc, level_name(level), reset, bold, msg, reset);

    if (!name || loc.line <= 0) return;
    size_t len;
    const char *text = source_line(&d->files[loc.file], loc.line, &len);
    if (!text) return;
    fprintf(d->out, "%.*s\n", (int)len, text);
    if (loc.col <= 0) return;
    /* Copy tabs from the source line so the caret lands under the column. */
    for (size_t i = 0; i + 1 < (size_t)loc.col && i < len; i++)
        fputc(text[i] == '\t' ? '\t' : ' ', d->out);
    fprintf(d->out, "%s^%s\n", d->color ? "\033[1;32m" : "", reset);
}

static void add_json(Diag *d, DiagLevel level, SrcLoc loc, const char *msg) {
    const char *name = diag_file_name(d, loc.file);
    sb_puts(&d->json, d->json.len ? ",\n  {" : "  {");
    sb_puts(&d->json, "\"file\": ");
    if (name)
        sb_json_string(&d->json, name);
    else
        sb_puts(&d->json, "null");
    sb_printf(&d->json, ", \"line\": %d, \"column\": %d, \"severity\": \"%s\", \"message\": ",
              name ? loc.line : 0, name ? loc.col : 0, level_name(level));
    sb_json_string(&d->json, msg);
    sb_putc(&d->json, '}');
}

void diag_vreport(Diag *d, DiagLevel level, SrcLoc loc, const char *fmt, va_list ap) {
    StrBuf msg;
    sb_init(&msg);
    if (d->context) sb_puts(&msg, d->context);
    sb_vprintf(&msg, fmt, ap);
    if (level == DIAG_WARNING && d->werror) {
        level = DIAG_ERROR;
        sb_puts(&msg, " [-Werror]");
    }
    bool quiet = false;
    if (level == DIAG_ERROR) {
        d->nerrors++;
        if (d->max_errors > 0 && d->nerrors > d->max_errors) {
            quiet = true;
            if (d->nerrors == d->max_errors + 1 && d->format == DIAG_TEXT)
                fprintf(d->out, "%s: error: too many errors; not reporting the rest\n",
                        d->tool ? d->tool : "accc");
        }
    } else if (level == DIAG_WARNING) {
        d->nwarnings++;
    }
    if (!quiet && d->format == DIAG_TEXT && d->before_print) d->before_print(d->user);
    if (!quiet) {
        if (d->format == DIAG_JSON)
            add_json(d, level, loc, msg.data);
        else
            print_text(d, level, loc, msg.data);
    }
    sb_free(&msg);
}

#define DIAG_FN(fn, level)                                                                         \
    void fn(Diag *d, SrcLoc loc, const char *fmt, ...) {                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        diag_vreport(d, level, loc, fmt, ap);                                                      \
        va_end(ap);                                                                                \
    }
DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warning, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)
#undef DIAG_FN

bool diag_failed(const Diag *d) {
    return d->nerrors > 0;
}

static const char *plural(int n, const char *word, const char *words) {
    return n == 1 ? word : words;
}

bool diag_finish(Diag *d) {
    if (d->before_print) d->before_print(d->user);
    if (d->format == DIAG_JSON) {
        fprintf(d->out, "[%s%s%s]\n", d->json.len ? "\n" : "", d->json.len ? d->json.data : "",
                d->json.len ? "\n" : "");
        sb_clear(&d->json);
    } else if (d->nerrors && d->nwarnings) {
        fprintf(d->out, "%d %s and %d %s generated.\n", d->nerrors,
                plural(d->nerrors, "error", "errors"), d->nwarnings,
                plural(d->nwarnings, "warning", "warnings"));
    } else if (d->nerrors) {
        fprintf(d->out, "%d %s generated.\n", d->nerrors, plural(d->nerrors, "error", "errors"));
    } else if (d->nwarnings) {
        fprintf(d->out, "%d %s generated.\n", d->nwarnings,
                plural(d->nwarnings, "warning", "warnings"));
    }
    fflush(d->out);
    return diag_failed(d);
}

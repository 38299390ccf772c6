/*
 * FileDeps: the files a run read, and the depfile that lists them.
 *
 * A depfile is the Make rule gcc -MD writes, one name per line:
 *
 *   out/model.bin: \
 *     model.g \
 *     layers/conv\ block.g \
 *     weights/w1.npy
 *
 * Names are escaped the way both GNU Make and Ninja's depfile reader
 * (deps = gcc) undo it: a space as "\ " (backslashes right before it
 * doubled, so "a\ b" stays itself), '#' as "\#", ':' as "\:", '$' as "$$".
 * A newline, carriage return or tab cannot be escaped for both, so such a
 * name is an error rather than a wrong dependency.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

void deps_init(FileDeps *deps) {
    memset(deps, 0, sizeof *deps);
    strset_init(&deps->seen);
}

void deps_free(FileDeps *deps) {
    for (size_t i = 0; i < deps->n; i++) free(deps->paths[i]);
    free(deps->paths);
    strset_free(&deps->seen);
    deps_init(deps);
}

void deps_add(FileDeps *deps, const char *path) {
    if (!deps || strcmp(path, "-") == 0 || !strset_add(&deps->seen, path)) return;
    XGROW(deps->paths, deps->cap, deps->n + 1);
    deps->paths[deps->n++] = xstrdup(path);
}

/* name, escaped for Make and Ninja; false if it cannot be. */
static bool put_name(StrBuf *out, const char *name, char *err, size_t errlen) {
    if (!*name || strpbrk(name, "\n\r\t")) {
        snprintf(err, errlen, "cannot list '%s' in a depfile: %s", name,
                 *name ? "its name holds a newline or a tab" : "the name is empty");
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '\\') {
            /* A run of backslashes before a space is doubled: both readers
             * halve it and take the odd one as the space's escape. */
            size_t run = strspn(p, "\\");
            bool before_space = p[run] == ' ';
            for (size_t k = 0; k < run * (before_space ? 2 : 1); k++) sb_putc(out, '\\');
            p += run - 1;
        } else if (*p == ' ' || *p == '#' || *p == ':') {
            sb_putc(out, '\\');
            sb_putc(out, *p);
        } else if (*p == '$') {
            sb_puts(out, "$$");
        } else {
            sb_putc(out, *p);
        }
    }
    return true;
}

int deps_format_make(StrBuf *out, const char *target, const FileDeps *deps, bool phony, char *err,
                     size_t errlen) {
    if (!put_name(out, target, err, errlen)) return -1;
    sb_putc(out, ':');
    for (size_t i = 0; i < deps->n; i++) {
        sb_puts(out, " \\\n  ");
        if (!put_name(out, deps->paths[i], err, errlen)) return -1;
    }
    sb_putc(out, '\n');
    for (size_t i = 0; phony && i < deps->n; i++) {
        sb_putc(out, '\n');
        put_name(out, deps->paths[i], err, errlen);
        sb_puts(out, ":\n");
    }
    return 0;
}

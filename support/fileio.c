/*
 * Whole-file I/O. Outputs are written atomically: into a temporary file in
 * the target's directory, then renamed over it, so a failed or interrupted
 * run never leaves a half-written file and never clobbers a good one.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read(const char *path, size_t *len, char *err, size_t errlen) {
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read '%s': it is a directory", path);
        if (!is_stdin) fclose(f);
        return NULL;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        XGROW(buf, cap, n + 65536 + 1);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    bool failed = ferror(f);
    if (!is_stdin) fclose(f);
    if (failed) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write data to a new temporary file beside path; its name goes to *tmp
 * (the caller frees it, and renames or unlinks the file). */
static int write_temp(const char *path, const void *data, size_t len, char **tmp, char *err,
                      size_t errlen) {
    char *dir = path_dirname(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    StrBuf name;
    sb_init(&name);
    sb_printf(&name, "%s/.%s.tmpXXXXXX", dir, base);
    free(dir);
    *tmp = NULL;

    int fd = mkstemp(name.data);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        sb_free(&name);
        return -1;
    }
    /* mkstemp makes the file 0600; give it the permissions open() would. */
    mode_t mask = umask(0);
    umask(mask);
    int rc = fchmod(fd, 0666 & ~mask);
    if (rc == 0) rc = write_all(fd, data, len);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        unlink(name.data);
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(saved));
        sb_free(&name);
        return -1;
    }
    *tmp = sb_take(&name);
    return 0;
}

static int write_stdout(const void *data, size_t len, char *err, size_t errlen) {
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        snprintf(err, errlen, "cannot write to standard output: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen) {
    if (strcmp(path, "-") == 0) return write_stdout(data, len, err, errlen);
    char *tmp;
    if (write_temp(path, data, len, &tmp, err, errlen) < 0) return -1;
    int rc = rename(tmp, path);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

/* ---- Outputs written together ------------------------------------------------- */

void outfiles_init(OutFiles *o) {
    memset(o, 0, sizeof *o);
}

void outfiles_free(OutFiles *o) {
    for (size_t i = 0; i < o->n; i++) {
        free(o->files[i]->path);
        sb_free(&o->files[i]->data);
        free(o->files[i]);
    }
    free(o->files);
    outfiles_init(o);
}

StrBuf *outfiles_add(OutFiles *o, const char *path) {
    OutFile *f = xmalloc(sizeof *f);
    f->path = xstrdup(path);
    sb_init(&f->data);
    XGROW(o->files, o->cap, o->n + 1);
    o->files[o->n++] = f;
    return &f->data;
}

OutFile *outfiles_find(const OutFiles *o, const char *path) {
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->files[i]->path, path) == 0) return o->files[i];
    return NULL;
}

int outfiles_commit(OutFiles *o, char *err, size_t errlen) {
    int rc = 0;
    for (size_t i = 0; i < o->n && rc == 0; i++)
        for (size_t j = 0; j < i && rc == 0; j++)
            if (strcmp(o->files[i]->path, o->files[j]->path) == 0) {
                snprintf(err, errlen, "'%s' would be written twice", o->files[i]->path);
                rc = -1;
            }
    /* A directory in a file's place would fail its rename after others
     * had been made: find it first. */
    for (size_t i = 0; i < o->n && rc == 0; i++) {
        struct stat st;
        if (strcmp(o->files[i]->path, "-") != 0 && stat(o->files[i]->path, &st) == 0 &&
            S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "cannot write '%s': %s", o->files[i]->path, strerror(EISDIR));
            rc = -1;
        }
    }
    char **tmps = xcalloc(o->n + 1, sizeof *tmps);
    for (size_t i = 0; i < o->n && rc == 0; i++) {
        const OutFile *f = o->files[i];
        if (strcmp(f->path, "-") != 0)
            rc = write_temp(f->path, f->data.data, f->data.len, &tmps[i], err, errlen);
    }
    /* Every file is complete: put them in place. */
    for (size_t i = 0; i < o->n && rc == 0; i++) {
        if (!tmps[i]) continue;
        if (rename(tmps[i], o->files[i]->path) != 0) {
            snprintf(err, errlen, "cannot write '%s': %s", o->files[i]->path, strerror(errno));
            rc = -1;
            break;
        }
        free(tmps[i]);
        tmps[i] = NULL;
    }
    for (size_t i = 0; i < o->n; i++) {
        if (tmps[i]) unlink(tmps[i]);
        free(tmps[i]);
    }
    free(tmps);
    for (size_t i = 0; i < o->n && rc == 0; i++)
        if (strcmp(o->files[i]->path, "-") == 0)
            rc = write_stdout(o->files[i]->data.data, o->files[i]->data.len, err, errlen);
    outfiles_free(o);
    return rc;
}

char *path_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *dir, const char *rel) {
    if (rel[0] == '/' || strcmp(dir, ".") == 0 || dir[0] == '\0') return xstrdup(rel);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
    return sb_take(&sb);
}

/* Whole-file output: complete or not at all, alone or several together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "support.h"

typedef struct Dir {
    char path[64];
} Dir;

static void dir_make(Dir *d) {
    snprintf(d->path, sizeof d->path, "/tmp/accc-fileio-XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static char *in_dir(const Dir *d, const char *name) {
    return path_join(d->path, name);
}

static void put(const Dir *d, const char *name, const char *text) {
    char *p = in_dir(d, name), err[256];
    assert_int_equal(file_write_atomic(p, text, strlen(text), err, sizeof err), 0);
    free(p);
}

/* The file's text, or NULL when it does not exist. */
static char *get(const Dir *d, const char *name) {
    char *p = in_dir(d, name), err[256];
    size_t len;
    char *text = file_read(p, &len, err, sizeof err);
    free(p);
    return text;
}

/* How many entries the directory holds: no temporary file may stay. */
static int entries(const Dir *d) {
    DIR *dir = opendir(d->path);
    assert_non_null(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dir);
    return n;
}

static void dir_remove(Dir *d) {
    DIR *dir = opendir(d->path);
    for (struct dirent *e; dir && (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *p = in_dir(d, e->d_name);
        unlink(p);
        free(p);
    }
    if (dir) closedir(dir);
    rmdir(d->path);
}

static void test_commit_writes_all(void **state) {
    Dir d;
    dir_make(&d);
    put(&d, "a.txt", "old");
    OutFiles o;
    outfiles_init(&o);
    char *a = in_dir(&d, "a.txt"), *b = in_dir(&d, "b.npy");
    sb_puts(outfiles_add(&o, a), "new a");
    sb_puts(outfiles_add(&o, b), "new b");
    assert_non_null(outfiles_find(&o, b));
    assert_null(outfiles_find(&o, "elsewhere"));
    char *text = get(&d, "b.npy");
    assert_null(text); /* nothing before the commit */
    char err[256];
    assert_int_equal(outfiles_commit(&o, err, sizeof err), 0);
    assert_int_equal(o.n, 0);
    text = get(&d, "a.txt");
    assert_string_equal(text, "new a");
    free(text);
    text = get(&d, "b.npy");
    assert_string_equal(text, "new b");
    free(text);
    assert_int_equal(entries(&d), 2);
    free(a);
    free(b);
    dir_remove(&d);
}

/* One output that cannot be written: none is, an existing one keeps its
 * text, and no temporary file stays behind. */
static void test_failure_writes_nothing(void **state) {
    Dir d;
    dir_make(&d);
    put(&d, "good.ir", "good");
    OutFiles o;
    outfiles_init(&o);
    char *good = in_dir(&d, "good.ir"), *side = in_dir(&d, "side.npy");
    char *bad = in_dir(&d, "no-such-dir/x.d");
    sb_puts(outfiles_add(&o, side), "side");
    sb_puts(outfiles_add(&o, good), "clobbered");
    sb_puts(outfiles_add(&o, bad), "dep");
    char err[512];
    assert_int_equal(outfiles_commit(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create '"));
    assert_non_null(strstr(err, "no-such-dir/x.d': No such file or directory"));
    char *text = get(&d, "good.ir");
    assert_string_equal(text, "good");
    free(text);
    assert_null(get(&d, "side.npy"));
    assert_int_equal(entries(&d), 1);
    free(good);
    free(side);
    free(bad);
    dir_remove(&d);
}

/* A directory where a later output should go stops the commit before any
 * file is renamed into place. */
static void test_directory_in_the_way(void **state) {
    Dir d;
    dir_make(&d);
    char *side = in_dir(&d, "m.w.npy"), *main_out = in_dir(&d, "m.g");
    assert_int_equal(mkdir(main_out, 0777), 0);
    OutFiles o;
    outfiles_init(&o);
    sb_puts(outfiles_add(&o, side), "side");
    sb_puts(outfiles_add(&o, main_out), "main");
    char err[512];
    assert_int_equal(outfiles_commit(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "m.g': Is a directory"));
    assert_null(get(&d, "m.w.npy"));
    assert_int_equal(entries(&d), 1);
    rmdir(main_out);
    free(side);
    free(main_out);
    dir_remove(&d);
}

static void test_same_path_twice(void **state) {
    Dir d;
    dir_make(&d);
    OutFiles o;
    outfiles_init(&o);
    char *p = in_dir(&d, "m.d");
    sb_puts(outfiles_add(&o, p), "one");
    sb_puts(outfiles_add(&o, p), "two");
    char err[512];
    assert_int_equal(outfiles_commit(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "m.d' would be written twice"));
    assert_int_equal(entries(&d), 0);
    free(p);
    dir_remove(&d);
}

/* An empty output is a file of no bytes, not a missing one. */
static void test_empty_output(void **state) {
    Dir d;
    dir_make(&d);
    OutFiles o;
    outfiles_init(&o);
    char *p = in_dir(&d, "empty");
    outfiles_add(&o, p);
    char err[256];
    assert_int_equal(outfiles_commit(&o, err, sizeof err), 0);
    char *text = get(&d, "empty");
    assert_string_equal(text, "");
    free(text);
    free(p);
    dir_remove(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_writes_all),    cmocka_unit_test(test_failure_writes_nothing),
        cmocka_unit_test(test_directory_in_the_way), cmocka_unit_test(test_same_path_twice),
        cmocka_unit_test(test_empty_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

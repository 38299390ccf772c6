/* Command lines from a table: every spelling the parser takes, and --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "support.h"

enum { O_EMIT, O_OUT, O_MD, O_MF, O_OPT, O_FORMAT, O_RANDOM, O_STATS, O_HELP, O_D };

static const OptSpec main_opts[] = {
    {O_EMIT, "--emit", "KIND", 0, "what to write", NULL},
    {O_OUT, "-o", "FILE", 0, "where to write it", NULL},
    {O_MD, "-MD", NULL, 0, "write a depfile", NULL},
    {O_MF, "-MF", "FILE", 0, "the depfile's name", NULL},
    {O_OPT, "-O", "LEVEL", OPT_JOINED, "optimisation level", "-O0, -O1, -O2"},
    {O_FORMAT, "-fdiagnostics-format", "FORMAT", OPT_EQUALS, "text or json", NULL},
};
static const OptSpec other_opts[] = {
    {O_RANDOM, "--random-inputs", "SEED", OPT_OPTIONAL, "random inputs", NULL},
    {O_STATS, "--stats", NULL, 0, "statistics", NULL},
    {O_D, "-D", "NAME=VALUE", 0, "bind a dimension", NULL},
    {O_STATS, "--trace", "FILE", OPT_SPACE, "trace", NULL},
    {O_HELP, "--help", NULL, 0, "print this help", NULL},
    {O_HELP, "-h", NULL, OPT_HIDDEN, "print this help", NULL},
};
static const OptTable tables[] = {
    {"Output", main_opts, ACC_ARRAY_LEN(main_opts)},
    {"Other", other_opts, ACC_ARRAY_LEN(other_opts)},
};

typedef struct Match {
    OptResult result;
    int id;
    const char *value;
    int next; /* the index after the match */
    char err[256];
} Match;

static Match match(int argc, char **argv) {
    Match m;
    memset(&m, 0, sizeof m);
    int i = 0;
    size_t table = 99;
    const OptSpec *spec = NULL;
    m.result = opt_match(tables, ACC_ARRAY_LEN(tables), argc, argv, &i, &table, &spec, &m.value,
                         m.err, sizeof m.err);
    m.id = spec ? spec->id : -1;
    m.next = i + 1;
    if (m.result == OPT_FOUND)
        assert_ptr_equal(&tables[table].specs[spec - tables[table].specs], spec);
    return m;
}

#define ARGS(...) (int)ACC_ARRAY_LEN(((char *[]){__VA_ARGS__})), ((char *[]){__VA_ARGS__})

static void test_spellings(void **state) {
    Match m = match(ARGS("--emit=ir"));
    assert_int_equal(m.result, OPT_FOUND);
    assert_int_equal(m.id, O_EMIT);
    assert_string_equal(m.value, "ir");
    assert_int_equal(m.next, 1);
    m = match(ARGS("--emit", "g"));
    assert_string_equal(m.value, "g");
    assert_int_equal(m.next, 2);
    m = match(ARGS("-o", "out.ir"));
    assert_string_equal(m.value, "out.ir");
    m = match(ARGS("-oout.ir"));
    assert_string_equal(m.value, "out.ir");
    m = match(ARGS("-MD"));
    assert_int_equal(m.id, O_MD);
    assert_null(m.value);
    m = match(ARGS("-MFdeps.d"));
    assert_int_equal(m.id, O_MF);
    assert_string_equal(m.value, "deps.d");
    m = match(ARGS("-O2"));
    assert_int_equal(m.id, O_OPT);
    assert_string_equal(m.value, "2");
    m = match(ARGS("-fdiagnostics-format=json"));
    assert_int_equal(m.id, O_FORMAT);
    assert_string_equal(m.value, "json");
    m = match(ARGS("--random-inputs"));
    assert_int_equal(m.id, O_RANDOM);
    assert_null(m.value);
    m = match(ARGS("--random-inputs=7", "x"));
    assert_string_equal(m.value, "7");
    assert_int_equal(m.next, 1);
    m = match(ARGS("-DN=7"));
    assert_int_equal(m.id, O_D);
    assert_string_equal(m.value, "N=7");
    m = match(ARGS("-h"));
    assert_int_equal(m.id, O_HELP);
}

static void test_positional(void **state) {
    assert_int_equal(match(ARGS("model.g")).result, OPT_POSITIONAL);
    assert_int_equal(match(ARGS("-")).result, OPT_POSITIONAL);
}

static void test_errors(void **state) {
    Match m = match(ARGS("--emitt=ir"));
    assert_int_equal(m.result, OPT_BAD);
    assert_string_equal(m.err, "unknown option '--emitt=ir'; did you mean '--emit'?");
    m = match(ARGS("--frobnicate"));
    assert_string_equal(m.err, "unknown option '--frobnicate'");
    m = match(ARGS("-o"));
    assert_int_equal(m.result, OPT_BAD);
    assert_string_equal(m.err, "-o needs a value: -o FILE");
    m = match(ARGS("-O"));
    assert_string_equal(m.err, "-O needs a value: -O0, -O1, -O2");
    m = match(ARGS("-fdiagnostics-format", "json"));
    assert_string_equal(m.err, "-fdiagnostics-format needs a value: -fdiagnostics-format=FORMAT");
    m = match(ARGS("--stats=yes"));
    assert_string_equal(m.err, "--stats takes no value");
    m = match(ARGS("-MDX"));
    assert_int_equal(m.result, OPT_BAD); /* a flag takes nothing attached */
}

static void test_help(void **state) {
    StrBuf sb;
    sb_init(&sb);
    opt_help(&sb, tables, ACC_ARRAY_LEN(tables), 24);
    assert_string_equal(sb.data, "Output:\n"
                                 "  --emit=KIND           what to write\n"
                                 "  -o FILE               where to write it\n"
                                 "  -MD                   write a depfile\n"
                                 "  -MF FILE              the depfile's name\n"
                                 "  -O0, -O1, -O2         optimisation level\n"
                                 "  -fdiagnostics-format=FORMAT  text or json\n"
                                 "\n"
                                 "Other:\n"
                                 "  --random-inputs[=SEED]  random inputs\n"
                                 "  --stats               statistics\n"
                                 "  -D NAME=VALUE         bind a dimension\n"
                                 "  --trace FILE          trace\n"
                                 "  --help                print this help\n");
    sb_free(&sb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_positional),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * acc-as: assemble ACC-1 assembly into a binary.
 *
 *   acc-as IN.s -o OUT.bin
 *
 * Every error in the file is reported (file:line:col, the line and a
 * caret); the output is written only when there are none. Exit status: 0
 * success, 1 errors in the source, 2 usage error.
 */
#include "asm.h"

#include <signal.h>
#include <string.h>

#ifndef ACCC_VERSION
#define ACCC_VERSION "unknown"
#endif

static const char synopsis[] = "usage: acc-as IN.s -o OUT.bin\n"
                               "\n"
                               "Assemble ACC-1 assembly (docs/binary-format.md) into an ELF "
                               "binary.\n"
                               "\n";
static const char epilogue[] = "\n"
                               "Exit status: 0 success, 1 errors in the source, 2 bad command "
                               "line, 3 internal error.\n";

enum { OPT_OUT, OPT_FORMAT, OPT_HELP, OPT_VERSION };

static const OptSpec specs[] = {
    {OPT_OUT, "-o", "FILE", 0, "the binary to write ('-': standard output); only if no errors",
     NULL},
    {OPT_FORMAT, "-fdiagnostics-format", "FORMAT", OPT_EQUALS,
     "messages as text (default) or json (one array of objects)", NULL},
    {OPT_HELP, "--help", NULL, 0, "print this help", NULL},
    {OPT_HELP, "-h", NULL, OPT_HIDDEN, "print this help", NULL},
    {OPT_VERSION, "--version", NULL, 0, "print the version", NULL},
};
static const OptTable tables[] = {{NULL, specs, ACC_ARRAY_LEN(specs)}};

/* The command line into *in and *out: 0 to go on, 2 after a usage error,
 * -1 after --help or --version. */
static int parse(Diag *d, int argc, char **argv, const char **in, const char **out) {
    for (int i = 1; i < argc; i++) {
        size_t t;
        const OptSpec *spec;
        const char *v;
        char err[256];
        OptResult r = opt_match(tables, 1, argc, argv, &i, &t, &spec, &v, err, sizeof err);
        if (r == OPT_BAD) return opt_usage(d, "%s", err);
        if (r == OPT_POSITIONAL) {
            if (*in) return opt_usage(d, "more than one input file ('%s' and '%s')", *in, argv[i]);
            *in = argv[i];
            continue;
        }
        switch (spec->id) {
        case OPT_OUT: *out = v; break;
        case OPT_FORMAT:
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
                return opt_usage(d, "-fdiagnostics-format needs text or json, not '%s'", v);
            d->format = strcmp(v, "json") == 0 ? DIAG_JSON : DIAG_TEXT;
            break;
        case OPT_HELP: opt_print_help(synopsis, tables, 1, epilogue); return -1;
        case OPT_VERSION: printf("acc-as %s\n", ACCC_VERSION); return -1;
        }
    }
    if (!*in) return opt_usage(d, "no input file");
    if (!*out) return opt_usage(d, "no output file (-o)");
    return 0;
}

int main(int argc, char **argv) {
    Diag diag;
    diag_init(&diag, "acc-as", stderr);
    /* A closed pipe on standard output is a write error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    /* The message format first, so that every message follows it. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-fdiagnostics-format=json") == 0) diag.format = DIAG_JSON;
    const char *in = NULL, *out = NULL;
    int rc = parse(&diag, argc, argv, &in, &out);
    if (rc == 0) {
        AsmImage *img = asm_assemble_file(in, &diag);
        if (img) {
            char err[512];
            if (asm_image_save(img, out, err, sizeof err) < 0)
                diag_error(&diag, diag_loc(0, 0, 0), "%s", err);
            asm_image_free(img);
        }
        if (diag_failed(&diag)) rc = 1;
    }
    if (rc >= 0) diag_finish(&diag);
    diag_free(&diag);
    return rc < 0 ? 0 : rc;
}

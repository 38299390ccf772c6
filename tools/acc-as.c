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

#include <string.h>

static const char usage[] =
    "usage: acc-as IN.s -o OUT.bin\n"
    "Assemble ACC-1 assembly (docs/binary-format.md) into an ELF binary.\n"
    "  -o FILE   the binary to write (written only if there are no errors)\n"
    "  --help    print this help\n";

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "-o")) {
            if (++i >= argc) {
                fprintf(stderr, "acc-as: error: -o needs a file name\n%s", usage);
                return 2;
            }
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "acc-as: error: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (in) {
            fprintf(stderr, "acc-as: error: more than one input file\n%s", usage);
            return 2;
        } else {
            in = argv[i];
        }
    }
    if (!in || !out) {
        fprintf(stderr, "acc-as: error: %s\n%s", in ? "no output file (-o)" : "no input file",
                usage);
        return 2;
    }
    Diag diag;
    diag_init(&diag, "acc-as", stderr);
    AsmImage *img = asm_assemble_file(in, &diag);
    int rc = 0;
    if (img) {
        char err[512];
        if (asm_image_save(img, out, err, sizeof err) < 0) {
            diag_error(&diag, diag_loc(0, 0, 0), "%s", err);
            rc = 1;
        }
        asm_image_free(img);
    }
    if (diag_finish(&diag)) rc = 1;
    diag_free(&diag);
    return rc;
}

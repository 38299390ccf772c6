/*
 * acc-objdump: look inside an ACC-1 binary.
 *
 *   acc-objdump -d FILE.bin      the whole binary as assembly that acc-as
 *                                reassembles to the same bytes
 *   acc-objdump -h FILE.bin      the ELF sections and a summary
 *   acc-objdump --tiles FILE.bin the tile map: program, data, exchange per tile
 *
 * Options combine; output comes in the order -h, --tiles, -d. Exit status:
 * 0 success, 1 the file is not a valid ACC-1 binary, 2 usage error.
 */
#include "asm.h"

#include <stdlib.h>
#include <signal.h>
#include <string.h>

#ifndef ACCC_VERSION
#define ACCC_VERSION "unknown"
#endif

static const char synopsis[] = "usage: acc-objdump [-d] [-h] [--tiles] FILE.bin\n"
                               "\n"
                               "Show what an ACC-1 binary holds; output comes in the order -h, "
                               "--tiles, -d.\n"
                               "\n";
static const char epilogue[] = "\n"
                               "Exit status: 0 success, 1 not a valid ACC-1 binary, 2 bad "
                               "command line, 3 internal error.\n";

enum { OPT_DISASM, OPT_HEADERS, OPT_TILES, OPT_HELP, OPT_VERSION };

static const OptSpec specs[] = {
    {OPT_DISASM, "-d", NULL, 0, "disassemble everything, as reassemblable assembly", NULL},
    {OPT_HEADERS, "-h", NULL, 0, "list the sections and summarise the binary", NULL},
    {OPT_TILES, "--tiles", NULL, 0, "one line per tile: program, data, exchange slots", NULL},
    {OPT_HELP, "--help", NULL, 0, "print this help", NULL},
    {OPT_VERSION, "--version", NULL, 0, "print the version", NULL},
};
static const OptTable tables[] = {{NULL, specs, ACC_ARRAY_LEN(specs)}};

static void summary(const AsmImage *img, StrBuf *out) {
    sb_printf(out, "machine %s: %u tiles, %u bytes of SRAM per tile, %u workers\n",
              img->machine.preset, img->machine.tiles, img->machine.sram_bytes,
              img->machine.workers);
    size_t used = 0;
    for (uint32_t t = 0; t < img->machine.tiles; t++)
        used += img->tiles[t].program != ASM_NO_PROGRAM;
    sb_printf(out, "%zu programs on %zu tiles\n", img->nprograms, used);
    for (size_t p = 0; p < img->nprograms; p++)
        sb_printf(out, "  %-16s %zu instructions\n", img->programs[p].name, img->programs[p].ncode);
    sb_printf(out, "%zu graph inputs and outputs\n", img->nios);
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        sb_printf(out, "  %-6s %s %s[", io->output ? "output" : "input", io->name,
                  dtype_name(io->dtype));
        for (int d = 0; d < io->ndim; d++)
            sb_printf(out, "%s%lld", d ? ", " : "", (long long)io->shape[d]);
        sb_printf(out, "] in %zu runs\n", io->nruns);
    }
}

typedef struct Show {
    bool disasm, headers, tiles;
    const char *path;
} Show;

/* The command line into *s: 0 to go on, 2 after a usage error, -1 after
 * --help or --version. */
static int parse(Diag *d, int argc, char **argv, Show *s) {
    for (int i = 1; i < argc; i++) {
        size_t t;
        const OptSpec *spec;
        const char *v;
        char err[256];
        OptResult r = opt_match(tables, 1, argc, argv, &i, &t, &spec, &v, err, sizeof err);
        if (r == OPT_BAD) return opt_usage(d, "%s", err);
        if (r == OPT_POSITIONAL) {
            if (s->path)
                return opt_usage(d, "more than one input file ('%s' and '%s')", s->path, argv[i]);
            s->path = argv[i];
            continue;
        }
        switch (spec->id) {
        case OPT_DISASM: s->disasm = true; break;
        case OPT_HEADERS: s->headers = true; break;
        case OPT_TILES: s->tiles = true; break;
        case OPT_HELP: opt_print_help(synopsis, tables, 1, epilogue); return -1;
        case OPT_VERSION: printf("acc-objdump %s\n", ACCC_VERSION); return -1;
        }
    }
    if (!s->path) return opt_usage(d, "no input file");
    if (!(s->disasm || s->headers || s->tiles))
        return opt_usage(d, "nothing to show: give -d, -h or --tiles");
    return 0;
}

static int show(Diag *d, const Show *s) {
    char err[600];
    size_t len;
    char *data = file_read(s->path, &len, err, sizeof err);
    if (!data) {
        diag_error(d, diag_loc(0, 0, 0), "%s", err);
        return 1;
    }
    AsmImage *img = asm_image_read(data, len, err, sizeof err);
    if (!img) {
        diag_error(d, diag_loc(0, 0, 0), "%s: %s", s->path, err);
        free(data);
        return 1;
    }
    StrBuf out;
    sb_init(&out);
    if (s->headers) {
        asm_list_sections(data, len, &out, err, sizeof err);
        summary(img, &out);
    }
    if (s->tiles) asm_print_tiles(img, &out);
    if (s->disasm) asm_disassemble(img, &out);
    int rc = 0;
    if (file_write_atomic("-", out.data ? out.data : "", out.len, err, sizeof err) < 0) {
        diag_error(d, diag_loc(0, 0, 0), "%s", err);
        rc = 1;
    }
    sb_free(&out);
    asm_image_free(img);
    free(data);
    return rc;
}

int main(int argc, char **argv) {
    Diag diag;
    diag_init(&diag, "acc-objdump", stderr);
    /* A closed pipe on standard output is a write error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    Show s = {false, false, false, NULL};
    int rc = parse(&diag, argc, argv, &s);
    if (rc == 0) rc = show(&diag, &s);
    if (rc >= 0) diag_finish(&diag);
    diag_free(&diag);
    return rc < 0 ? 0 : rc;
}

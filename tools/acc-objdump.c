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
#include <string.h>

static const char usage[] = "usage: acc-objdump [-d] [-h] [--tiles] FILE.bin\n"
                            "  -d        disassemble everything, as reassemblable assembly\n"
                            "  -h        list the sections and summarise the binary\n"
                            "  --tiles   one line per tile: program, data, exchange slots\n"
                            "  --help    print this help\n";

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

int main(int argc, char **argv) {
    bool disasm = false, headers = false, tiles = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-d"))
            disasm = true;
        else if (!strcmp(argv[i], "-h"))
            headers = true;
        else if (!strcmp(argv[i], "--tiles"))
            tiles = true;
        else if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "acc-objdump: error: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (path) {
            fprintf(stderr, "acc-objdump: error: more than one input file\n%s", usage);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path || !(disasm || headers || tiles)) {
        fprintf(stderr, "acc-objdump: error: %s\n%s",
                path ? "nothing to show: give -d, -h or --tiles" : "no input file", usage);
        return 2;
    }
    char err[600];
    size_t len;
    char *data = file_read(path, &len, err, sizeof err);
    if (!data) {
        fprintf(stderr, "acc-objdump: error: %s\n", err);
        return 1;
    }
    AsmImage *img = asm_image_read(data, len, err, sizeof err);
    if (!img) {
        fprintf(stderr, "acc-objdump: error: %s: %s\n", path, err);
        free(data);
        return 1;
    }
    StrBuf out;
    sb_init(&out);
    if (headers) {
        asm_list_sections(data, len, &out, err, sizeof err);
        summary(img, &out);
    }
    if (tiles) asm_print_tiles(img, &out);
    if (disasm) asm_disassemble(img, &out);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    sb_free(&out);
    asm_image_free(img);
    free(data);
    return 0;
}

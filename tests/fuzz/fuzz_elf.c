/* libFuzzer target: the binary reader on arbitrary bytes. It must never
 * crash or read outside the buffer, and whatever it accepts must be
 * writable, and its disassembly must assemble back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    /* A copy of exactly size bytes, so ASan catches any read past the end. */
    uint8_t *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    AsmImage *img = asm_image_read(copy, size, err, sizeof err);
    StrBuf listing;
    sb_init(&listing);
    asm_list_sections(copy, size, &listing, err, sizeof err);
    sb_free(&listing);
    free(copy);
    if (!img) return 0;
    StrBuf first, text, second;
    sb_init(&first);
    sb_init(&text);
    sb_init(&second);
    asm_image_write(img, &first);
    asm_disassemble(img, &text);
    asm_print_tiles(img, &text);
    sb_clear(&text);
    asm_disassemble(img, &text);
    FILE *sink = fopen("/dev/null", "w");
    Diag diag;
    diag_init(&diag, "fuzz", sink);
    AsmImage *again = asm_assemble_text("dis.s", text.data, text.len, &diag);
    if (!again) abort(); /* a valid binary whose disassembly does not assemble */
    asm_image_write(again, &second);
    if (first.len != second.len || memcmp(first.data, second.data, first.len)) abort();
    asm_image_free(again);
    diag_free(&diag);
    fclose(sink);
    asm_image_free(img);
    sb_free(&first);
    sb_free(&text);
    sb_free(&second);
    return 0;
}

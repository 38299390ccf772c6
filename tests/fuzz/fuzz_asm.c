/* libFuzzer target: the assembler on arbitrary text. It must never crash,
 * and whatever it accepts must survive write -> read -> disassemble ->
 * assemble -> write unchanged (the round-trip promise of acc-objdump). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Machine overrides could ask for 65536 tiles of 16 MiB; that tests memory,
 * not the parser. */
static bool asks_for_a_big_machine(const uint8_t *data, size_t size) {
    static const char *const keys[] = {"tiles=", "sram_bytes=", "tiles =", "sram_bytes ="};
    for (size_t k = 0; k < ACC_ARRAY_LEN(keys); k++) {
        size_t n = strlen(keys[k]);
        for (size_t i = 0; i + n <= size; i++)
            if (!memcmp(data + i, keys[k], n)) return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (asks_for_a_big_machine(data, size)) return 0;
    FILE *sink = fopen("/dev/null", "w");
    Diag diag;
    diag_init(&diag, "fuzz", sink);
    AsmImage *img = asm_assemble_text("fuzz.s", (const char *)data, size, &diag);
    if (img) {
        StrBuf first, text, second;
        sb_init(&first);
        sb_init(&text);
        sb_init(&second);
        asm_image_write(img, &first);
        char err[512];
        AsmImage *back = asm_image_read(first.data, first.len, err, sizeof err);
        if (!back) abort(); /* we wrote a file we cannot read */
        asm_disassemble(back, &text);
        Diag quiet;
        diag_init(&quiet, "fuzz", sink);
        AsmImage *again = asm_assemble_text("dis.s", text.data, text.len, &quiet);
        if (!again) abort(); /* the disassembly does not assemble */
        asm_image_write(again, &second);
        if (first.len != second.len || memcmp(first.data, second.data, first.len)) abort();
        asm_image_free(again);
        diag_free(&quiet);
        asm_image_free(back);
        asm_image_free(img);
        sb_free(&first);
        sb_free(&text);
        sb_free(&second);
    }
    diag_free(&diag);
    fclose(sink);
    return 0;
}

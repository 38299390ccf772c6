/* libFuzzer target: one tile running random code. The input is the
 * program (up to 512 words; words its region's context may not run become
 * nops, as the binary rules demand) and the first bytes of the tile's
 * SRAM. The tile has an input, an output and an exchange table, so random
 * xpost and sync exercise the exchange and host streams too. Every run
 * must stop cleanly, and a second run must give the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accsim.h"
#include "asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_WORDS = 512, MAX_DATA = 4096 };

static AsmImage *build(const uint8_t *data, size_t size) {
    if (size < 8) return NULL;
    IsaMachine mach = *isa_preset(ISA_PRESET_acc1_mini);
    mach.tiles = 2;
    AsmImage *img = asm_image_new(&mach);
    size_t nwords = (size - 4) / 4 > MAX_WORDS ? MAX_WORDS : (size - 4) / 4;
    uint32_t split =
        (uint32_t)(data[0] | data[1] << 8) % (uint32_t)nwords; /* worker code from here */
    uint32_t *code = malloc(nwords * sizeof *code);
    for (size_t i = 0; i < nwords; i++) {
        const uint8_t *p = data + 4 + 4 * i;
        code[i] =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        IsaInsn insn;
        bool worker = split && i >= split;
        if (isa_decode(code[i], &insn) &&
            !(isa_info(insn.op)->ctx & (worker ? ISA_CTX_W : ISA_CTX_S)))
            code[i] = 1; /* nop */
    }
    AsmRegion regions[2] = {{0, ASM_SUPERVISOR}, {split * 4, ASM_WORKER}};
    uint32_t p = asm_image_intern_program(img, "fuzz", code, nwords, regions, split ? 2 : 1);
    free(code);
    asm_image_set_program(img, 0, p);
    size_t rest = size - 4 - 4 * nwords;
    if (rest > MAX_DATA) rest = MAX_DATA;
    if (rest) asm_image_add_data(img, 0, 0x8000, data + 4 + 4 * nwords, (uint32_t)rest);
    int64_t shape[1] = {64};
    uint32_t x = asm_image_add_io(img, "x", ACC_DTYPE_U8, false, 1, shape);
    uint32_t y = asm_image_add_io(img, "y", ACC_DTYPE_U8, true, 1, shape);
    asm_image_add_run(img, x, 0, 0x1000, 0, 64, 1);
    asm_image_add_run(img, y, 0, 0x2000, 0, 64, 1);
    uint32_t self = 0, other = 1;
    AsmSlot *s = asm_image_slot(img, 0, 0);
    asm_slot_add_send(s, 0x100, 16, &self, 1);
    asm_slot_add_recv(s, 0, 0x200, 16);
    s = asm_image_slot(img, 0, 1);
    asm_slot_add_hostin(s, x, 0, 0x300, 32);
    asm_slot_add_hostout(s, y, 32, 0x400, 32);
    asm_slot_add_send(asm_image_slot(img, 0, 2), 0x500, 8, &other, 1);
    char err[512];
    if (!asm_image_check(img, err, sizeof err)) {
        asm_image_free(img);
        return NULL;
    }
    return img;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    AsmImage *img = build(data, size);
    if (!img) return 0;
    char err[512];
    SimModel *m = sim_load_image(img, err, sizeof err);
    asm_image_free(img);
    if (!m) abort(); /* a checked image must load */
    uint8_t in[64], out[64];
    memset(in, 0x5a, sizeof in);
    sim_bind_input(m, 0, in);
    sim_bind_output(m, 0, out);
    SimOptions opt = {.threads = 1, .max_cycles = 50000};
    SimStatus first = sim_run(m, &opt);
    SimStats a;
    memcpy(&a, sim_stats(m), sizeof a);
    char *message = strdup(sim_message(m));
    SimStatus second = sim_run(m, &opt);
    if (second != first || sim_stats(m)->cycles != a.cycles ||
        sim_stats(m)->instructions != a.instructions || strcmp(message, sim_message(m)))
        abort(); /* runs are deterministic */
    free(message);
    sim_free(m);
    return 0;
}

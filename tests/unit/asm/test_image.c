/* The binary image: builder, validity rules, the canonical ELF writer and
 * the reader's refusal of broken files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "asm.h"

static const uint32_t code_a[] = {0x00000001u /* nop */, 0x00000005u /* end */};
static const uint32_t exit_word = 0x00000002u; /* exit */

/* A small but complete image: two programs, data, every kind of exchange
 * descriptor, an input and an output with runs, symbols. */
static AsmImage *sample(bool reversed) {
    AsmImage *img = asm_image_new(isa_preset(ISA_PRESET_acc1_mini));
    uint32_t a = asm_image_add_program(img, "a");
    asm_program_append(img, a, code_a, 2);
    asm_program_set_context(img, a, 0, ASM_SUPERVISOR);
    uint32_t b = asm_image_add_program(img, "b");
    asm_program_append(img, b, code_a, 1);
    asm_program_append(img, b, &exit_word, 1);
    asm_program_set_context(img, b, 0, ASM_SUPERVISOR);
    asm_program_set_context(img, b, 4, ASM_WORKER);
    for (uint32_t t = 0; t < 4; t++) asm_image_set_program(img, t, t % 2 ? b : a);
    static const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* the same bytes on several tiles, added in either order */
    for (int i = 0; i < 3; i++) {
        uint32_t t = reversed ? (uint32_t)(2 - i) : (uint32_t)i;
        asm_image_add_data(img, t, 0x100, bytes, 8);
        asm_image_add_data(img, t, 0x108, bytes, 4);
    }
    int64_t shape[2] = {4, 8};
    uint32_t x = asm_image_add_io(img, "x", ACC_DTYPE_F32, false, 2, shape);
    uint32_t y = asm_image_add_io(img, "y", ACC_DTYPE_F16, true, 1, shape + 1);
    for (int i = 0; i < 4; i++) {
        uint32_t t = reversed ? (uint32_t)(3 - i) : (uint32_t)i;
        asm_image_add_run(img, x, t, 0x200, 8 * t, 8, 1);
    }
    asm_image_add_run(img, y, 0, 0x300, 0, 4, 2);
    asm_image_add_run(img, y, 1, 0x300, 1, 4, 2);
    uint32_t dst[3] = {1, 2, 3};
    asm_slot_add_send(asm_image_slot(img, 0, 1), 0x100, 16, dst, 3);
    for (uint32_t t = 1; t < 4; t++) asm_slot_add_recv(asm_image_slot(img, t, 1), 0, 0x400, 16);
    asm_slot_add_hostin(asm_image_slot(img, 2, 0), x, 32, 0x500, 64);
    asm_slot_add_hostout(asm_image_slot(img, 3, 2), y, 2, 0x600, 8);
    asm_image_slot(img, 3, 5); /* trailing empty slots are not stored */
    if (reversed) {
        asm_image_add_symbol(img, b, 4, "worker");
        asm_image_add_symbol(img, a, 0, "start");
    } else {
        asm_image_add_symbol(img, a, 0, "start");
        asm_image_add_symbol(img, b, 4, "worker");
    }
    return img;
}

static void write(const AsmImage *img, StrBuf *out) {
    sb_init(out);
    asm_image_write(img, out);
}

/* img, valid, written to out and read back. */
static AsmImage *write_read(const AsmImage *img, StrBuf *out) {
    char err[256];
    if (!asm_image_check(img, err, sizeof err)) fail_msg("%s", err);
    write(img, out);
    AsmImage *back = asm_image_read(out->data, out->len, err, sizeof err);
    if (!back) fail_msg("%s", err);
    return back;
}

static void test_write_read_write(void **state) {
    AsmImage *img = sample(false);
    StrBuf one, two;
    AsmImage *back = write_read(img, &one);
    write(back, &two);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.data, two.data, one.len);
    assert_int_equal(back->nprograms, 2);
    assert_string_equal(back->programs[1].name, "b");
    assert_int_equal(back->programs[1].nregions, 2);
    assert_int_equal(back->programs[1].regions[1].context, ASM_WORKER);
    assert_int_equal(back->tiles[3].program, 1);
    assert_int_equal(back->tiles[4].program, ASM_NO_PROGRAM);
    assert_int_equal(back->tiles[0].slots[1].sends[0].ndst, 3);
    assert_int_equal(back->tiles[3].nslots, 3); /* slots 3..5 were empty */
    assert_int_equal(back->tiles[2].slots[0].hostin[0].offset, 32);
    assert_int_equal(back->nios, 2);
    assert_true(back->ios[1].output);
    assert_int_equal(back->ios[1].dtype, ACC_DTYPE_F16);
    assert_int_equal(back->ios[0].shape[1], 8);
    assert_int_equal(back->nsymbols, 2);
    assert_string_equal(back->machine.preset, "acc1-mini");
    assert_int_equal(back->machine.tiles, 16);
    asm_image_free(back);
    asm_image_free(img);
    sb_free(&one);
    sb_free(&two);
}

/* The same content built in another order gives the same bytes. */
static void test_canonical(void **state) {
    AsmImage *a = sample(false), *b = sample(true);
    StrBuf x, y;
    write(a, &x);
    write(b, &y);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    /* identical data is stored once: 3 tiles x 12 bytes, one 12-byte blob */
    char err[256];
    AsmImage *back = asm_image_read(x.data, x.len, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(back->nsegments, 3); /* 8 + 4 adjacent bytes merged per tile */
    assert_int_equal(back->segments[0].size, 12);
    StrBuf sections;
    sb_init(&sections);
    assert_true(asm_list_sections(x.data, x.len, &sections, err, sizeof err));
    assert_non_null(strstr(sections.data, ".acc.data       0000000c")); /* one 12-byte blob */
    sb_free(&sections);
    asm_image_free(back);
    asm_image_free(a);
    asm_image_free(b);
    sb_free(&x);
    sb_free(&y);
}

static void test_intern_program(void **state) {
    AsmImage *img = asm_image_new(isa_preset(ISA_PRESET_acc1_mini));
    AsmRegion r = {0, ASM_SUPERVISOR};
    uint32_t p = asm_image_intern_program(img, "t0", code_a, 2, &r, 1);
    uint32_t q = asm_image_intern_program(img, "t1", code_a, 2, &r, 1);
    uint32_t s = asm_image_intern_program(img, "t2", code_a, 1, &r, 1);
    assert_int_equal(p, q);
    assert_int_not_equal(p, s);
    assert_int_equal(img->nprograms, 2);
    asm_image_free(img);
}

typedef void (*Breaker)(AsmImage *);

static void bad_send_tile(AsmImage *img) {
    uint32_t dst = 16;
    asm_slot_add_send(asm_image_slot(img, 0, 0), 0, 4, &dst, 1);
}
static void bad_recv_range(AsmImage *img) {
    asm_slot_add_recv(asm_image_slot(img, 1, 0), 0, 65534, 4);
}
static void bad_overlap(AsmImage *img) {
    static const uint8_t b[4] = {0};
    asm_image_add_data(img, 1, 0x104, b, 4);
}
static void bad_hostin_output(AsmImage *img) {
    asm_slot_add_hostin(asm_image_slot(img, 1, 0), 1, 0, 0, 4);
}
static void bad_stream_past_end(AsmImage *img) {
    asm_slot_add_hostin(asm_image_slot(img, 1, 0), 0, 120, 0, 16);
}
static void bad_run(AsmImage *img) {
    asm_image_add_run(img, 0, 0, 0x200, 30, 2, 4);
}
/* One element with a stride the assembler's .layout cannot express (found
 * by fuzzing: its disassembly did not assemble). */
static void bad_stride(AsmImage *img) {
    asm_image_add_run(img, 0, 0, 0x200, 31, 1, 33);
}
static void bad_symbol(AsmImage *img) {
    asm_image_add_symbol(img, 0, 0, "start");
}
static void bad_region(AsmImage *img) {
    asm_program_set_context(img, 0, 0, ASM_WORKER);
}
static void bad_name(AsmImage *img) {
    asm_image_add_symbol(img, 0, 4, "m3");
}
static void bad_context(AsmImage *img) {
    asm_program_append(img, 1, code_a + 1, 1); /* end, in b's worker code */
}
static void bad_machine(AsmImage *img) {
    img->machine.sram_bytes = 1000;
}

/* Receives from one tile, of one length, at a constant stride become one
 * group (the longest runs, in order), written as one entry and read back
 * as the same groups, whatever grouping a file used. */
static void test_recv_groups(void **state) {
    AsmImage *img = asm_image_new(isa_preset(ISA_PRESET_acc1_mini));
    uint32_t a = asm_image_add_program(img, "a");
    asm_program_append(img, a, code_a, 2);
    asm_program_set_context(img, a, 0, ASM_SUPERVISOR);
    asm_image_set_program(img, 1, a);
    AsmSlot *s = asm_image_slot(img, 1, 0);
    for (uint32_t i = 0; i < 5; i++) asm_slot_add_recv(s, 0, 0x1000 + 0x40 * i, 16);
    asm_slot_add_recv(s, 0, 0x800, 16); /* another stride: a new group... */
    asm_slot_add_recv(s, 0, 0x700, 16); /* ...of two, stride -0x100 */
    asm_slot_add_recv(s, 2, 0x600, 16); /* another tile */
    asm_slot_add_recv(s, 2, 0x610, 8);  /* another length */
    assert_int_equal(s->nrecvs, 4);
    assert_int_equal(s->recvs[0].count, 5);
    assert_int_equal(s->recvs[0].stride, 0x40);
    assert_int_equal(s->recvs[1].count, 2);
    assert_int_equal(s->recvs[1].stride, -0x100);
    assert_int_equal(s->recvs[2].count, 1);
    StrBuf one, two;
    AsmImage *back = write_read(img, &one);
    assert_int_equal(back->tiles[1].slots[0].nrecvs, 4);
    assert_int_equal(back->tiles[1].slots[0].recvs[1].stride, -0x100);
    /* a file splitting the first group in two (3 + 2 pieces) reads back
     * as the canonical groups, and writes the same bytes */
    AsmRecv keep = s->recvs[0];
    XGROW(s->recvs, s->caprecvs, s->nrecvs + 1);
    memmove(s->recvs + 1, s->recvs, s->nrecvs * sizeof *s->recvs);
    s->nrecvs++;
    s->recvs[0].count = 3;
    s->recvs[1].count = 2, s->recvs[1].dst = keep.dst + 3 * 0x40;
    AsmImage *split = write_read(img, &two);
    assert_true(two.len == one.len + 24);
    assert_int_equal(split->tiles[1].slots[0].nrecvs, 4);
    assert_int_equal(split->tiles[1].slots[0].recvs[0].count, 5);
    sb_free(&two);
    write(split, &two);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.data, two.data, one.len);
    asm_image_free(split);
    /* a group whose last piece is past SRAM is refused */
    char err[256];
    s->recvs[0].count = 1024;
    assert_false(asm_image_check(img, err, sizeof err));
    assert_string_equal(err, "tile 1 slot 0: receive 0 writes 0x1000..0x10fd0, outside SRAM");
    asm_image_free(back);
    asm_image_free(img);
    sb_free(&one);
    sb_free(&two);
}

static void test_check_rules(void **state) {
    static const struct {
        Breaker fn;
        const char *msg;
    } cases[] = {
        {bad_send_tile, "tile 0 slot 0: send 0 goes to tile 16, but the machine has 16 tiles"},
        {bad_recv_range, "tile 1 slot 0: receive 0 writes 0xfffe..0x10002, outside SRAM"},
        {bad_overlap, "data for tile 1 at 0x104 overlaps data at 0x100..0x108"},
        {bad_hostin_output, "tile 1 slot 0: hostin of 'y', which is an output"},
        {bad_stream_past_end,
         "tile 1 slot 0: hostin of bytes 120..136 of 'x', which has 128 bytes"},
        {bad_run, "tensor 'x': run 4 covers elements past the tensor's 32"},
        {bad_stride, "tensor 'x': run 4 has stride 33, beyond the tensor's 32 elements"},
        {bad_symbol, "symbol 'start' is defined twice"},
        {bad_region, "program 'a' does not start with supervisor code"},
        {bad_name, "symbol 'm3' is not a valid label name (nor a local .L label)"},
        {bad_context, "program 'b' at 0x8: 'end' is not allowed in worker code"},
        {bad_machine, "bad machine description: sram_bytes must be a multiple of 16 from 1 KiB to "
                      "16 MiB"},
    };
    for (size_t i = 0; i < ACC_ARRAY_LEN(cases); i++) {
        AsmImage *img = sample(false);
        cases[i].fn(img);
        char err[256];
        assert_false(asm_image_check(img, err, sizeof err));
        assert_string_equal(err, cases[i].msg);
        asm_image_free(img);
    }
}

/* ---- broken files ------------------------------------------------------------ */

static uint32_t rd32(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void wr32(char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

/* The file offset of section `name`. */
static size_t section_offset(const StrBuf *f, const char *name) {
    size_t shoff = rd32(f->data + 40);
    unsigned shnum = (unsigned char)f->data[60] | (unsigned char)f->data[61] << 8;
    unsigned shstr = (unsigned char)f->data[62] | (unsigned char)f->data[63] << 8;
    size_t names = rd32(f->data + shoff + 64 * shstr + 24);
    for (unsigned i = 0; i < shnum; i++) {
        const char *sh = f->data + shoff + 64 * i;
        if (!strcmp(f->data + names + rd32(sh), name)) return rd32(sh + 24);
    }
    fail_msg("no section %s", name);
    return 0;
}

static void expect_rejected(const StrBuf *f, size_t len, const char *msg) {
    char err[256];
    AsmImage *img = asm_image_read(f->data, len, err, sizeof err);
    if (img) fail_msg("accepted a broken file (expected: %s)", msg);
    assert_string_equal(err, msg);
}

static void test_reader_rejects(void **state) {
    AsmImage *img = sample(false);
    StrBuf good;
    write(img, &good);
    asm_image_free(img);
    StrBuf f;
    sb_init(&f);
#define FRESH() (sb_clear(&f), sb_append(&f, good.data, good.len))

    FRESH();
    expect_rejected(&f, 40, "not an ELF file");
    FRESH();
    f.data[18] = 0x3e; /* EM_X86_64 */
    f.data[19] = 0;
    expect_rejected(&f, f.len, "not an ACC-1 binary (e_machine is 0x3e, not 0xacc1)");
    char msg[256];
    FRESH();
    snprintf(msg, sizeof msg,
             "section header table (13 entries at %u) lies outside the file's %zu bytes",
             rd32(f.data + 40), f.len - 1);
    expect_rejected(&f, f.len - 1, msg);
    FRESH();
    wr32(f.data + section_offset(&f, ".acc.machine") + 4, 7); /* version */
    expect_rejected(&f, f.len, "binary format version 7; this accc reads version 2");
    FRESH();
    wr32(f.data + section_offset(&f, ".acc.tiles") + 4 * 3, 9); /* tile 3 runs program 9 */
    expect_rejected(&f, f.len, "tile 3 runs program 9, but there are 2 programs");
    FRESH();
    /* the send's first destination (the last table of the section) */
    {
        size_t x = section_offset(&f, ".acc.exchange");
        uint32_t ntables = rd32(f.data + x), nslots = rd32(f.data + x + 4);
        uint32_t nsends = rd32(f.data + x + 8), nrecvs = rd32(f.data + x + 16);
        uint32_t nhin = rd32(f.data + x + 20), nhout = rd32(f.data + x + 24);
        size_t dst =
            x + 32 + 16 * ntables + 32 * nslots + 16 * nsends + 24 * (nrecvs + nhin + nhout);
        assert_int_equal(rd32(f.data + dst), 1);
        wr32(f.data + dst, 99);
    }
    expect_rejected(&f, f.len,
                    "tile 0 slot 1: send 0 goes to tile 99, but the machine has 16 tiles");
    FRESH();
    wr32(f.data + 40, 1u << 30); /* e_shoff */
    snprintf(msg, sizeof msg,
             "section header table (13 entries at 1073741824) lies outside the "
             "file's %zu bytes",
             f.len);
    expect_rejected(&f, f.len, msg);
    sb_free(&f);
    sb_free(&good);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_write), cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_intern_program),   cmocka_unit_test(test_check_rules),
        cmocka_unit_test(test_reader_rejects),   cmocka_unit_test(test_recv_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * libaccsim's API (include/accsim.h) on the example programs of
 * examples/asm: loading, tensor queries, binding, two models at once,
 * repeated runs, thread-count independence, statistics, SRAM reads and
 * traces. Expected results are computed here in C, in the order the
 * programs compute them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simtest.h"

static SimModel *example(const char *name) {
    const char *src = getenv("ACCC_SOURCE_DIR");
    assert_non_null(src);
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/asm/%s.s", src, name);
    Diag diag;
    diag_init(&diag, "test", stderr);
    AsmImage *img = asm_assemble_file(path, &diag);
    diag_finish(&diag);
    diag_free(&diag);
    assert_non_null(img);
    char err[512];
    SimModel *m = sim_load_image(img, err, sizeof err);
    asm_image_free(img);
    assert_non_null(m);
    return m;
}

static uint32_t rng = 77;
static float random_float(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)((int)(rng >> 8) % 20001 - 10000) / 1000.0f;
}

static SimOptions threads(int n) {
    SimOptions opt = {.threads = n};
    return opt;
}

static void test_load_errors(void **state) {
    char err[512];
    static const char junk[] = "this is not a binary";
    assert_null(sim_load_memory(junk, sizeof junk, err, sizeof err));
    assert_string_equal(err, "not an ELF file");
    assert_null(sim_load_file("/nonexistent/model.bin", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/model.bin"));
    /* A binary's bytes load from memory as they do from a file. */
    SimModel *m = example("vadd");
    assert_non_null(m);
    sim_free(m);
}

static void test_tensors(void **state) {
    SimModel *m = example("vadd");
    assert_int_equal(sim_num_inputs(m), 2);
    assert_int_equal(sim_num_outputs(m), 1);
    const SimTensor *a = sim_input(m, 0), *c = sim_output(m, 0);
    assert_string_equal(a->name, "a");
    assert_string_equal(sim_input(m, 1)->name, "b");
    assert_int_equal(a->dtype, ACC_DTYPE_F32);
    assert_int_equal(a->ndim, 1);
    assert_int_equal(a->shape[0], 256);
    assert_int_equal(a->count, 256);
    assert_int_equal(a->bytes, 1024);
    assert_string_equal(c->name, "c");
    assert_int_equal(sim_find_input(m, "b"), 1);
    assert_int_equal(sim_find_input(m, "c"), -1);
    assert_int_equal(sim_find_output(m, "c"), 0);
    assert_null(sim_input(m, 2));
    assert_null(sim_output(m, -1));
    assert_false(sim_bind_input(m, 2, a));
    float scratch[1];
    assert_false(sim_bind_output(m, 1, scratch));
    assert_string_equal(sim_machine(m)->preset, "acc1-mini");
    /* Not every input bound: nothing runs. */
    float x[256] = {0};
    sim_bind_input(m, 0, x);
    SimOptions opt = threads(1);
    assert_int_equal(sim_run(m, &opt), SIM_UNBOUND);
    assert_string_equal(sim_message(m), "input 'b' is not bound");
    sim_free(m);
}

/* matmul.s's C = A x B with f32 accumulators: per column, k in order, one
 * rounding per product (exact for f16 factors). */
static void matmul_reference(const uint16_t *a, const uint16_t *b, float *c) {
    for (int i = 0; i < 24; i++)
        for (int j = 0; j < 16; j++) {
            float s = 0;
            for (int k = 0; k < 64; k++)
                s = fmaf(f16_to_f32(a[64 * i + k]), f16_to_f32(b[16 * k + j]), s);
            c[16 * i + j] = s;
        }
}

/* Two models loaded, bound and run in turns in one process. */
static void test_two_models(void **state) {
    SimModel *v = example("vadd"), *mm = example("matmul");
    float a[256], b[256], c[256];
    uint16_t ma[24 * 64], mb[64 * 16];
    float mc[24 * 16], want[24 * 16];
    for (int i = 0; i < 256; i++) a[i] = random_float(), b[i] = random_float();
    for (int i = 0; i < 24 * 64; i++) ma[i] = f32_to_f16(random_float());
    for (int i = 0; i < 64 * 16; i++) mb[i] = f32_to_f16(random_float());
    sim_bind_input(v, 0, a);
    sim_bind_input(v, 1, b);
    sim_bind_output(v, 0, c);
    sim_bind_input(mm, 0, ma);
    sim_bind_input(mm, 1, mb);
    sim_bind_output(mm, 0, mc);
    SimOptions opt = threads(2);
    for (int round = 0; round < 2; round++) {
        memset(c, 0xff, sizeof c);
        memset(mc, 0xff, sizeof mc);
        assert_int_equal(sim_run(v, &opt), SIM_OK);
        assert_int_equal(sim_run(mm, &opt), SIM_OK);
        for (int i = 0; i < 256; i++) assert_true(f32_bits(c[i]) == f32_bits(a[i] + b[i]));
        matmul_reference(ma, mb, want);
        assert_memory_equal(mc, want, sizeof want);
    }
    const SimStats *s = sim_stats(mm);
    assert_int_equal(s->macs[0], 24 * 64 * 16);
    assert_int_equal(s->flops, 2 * 24 * 64 * 16);
    assert_int_equal(s->barriers, 0);
    assert_int_equal(s->supersteps, 1);
    assert_int_equal(s->tiles_run, 1);
    s = sim_stats(v);
    assert_int_equal(s->exchange_bytes, 3 * 256);
    assert_int_equal(s->exchange_sent_bytes, 3 * 256);
    assert_int_equal(s->host_in_bytes, 2048);
    assert_int_equal(s->host_out_bytes, 1024);
    assert_int_equal(s->barriers, 1);
    assert_int_equal(s->flops, 256); /* 128 f32v2add of 2 lanes */
    uint64_t sum = 0;
    for (int p = 0; p < SIM_PHASE_COUNT; p++) sum += s->phase[p];
    assert_int_equal(sum, s->cycles);
    /* Tile 0 holds all of c after the exchange. */
    float got[256];
    assert_true(sim_read_sram(v, 0, 0x200, got, sizeof got));
    assert_memory_equal(got, c, sizeof got);
    assert_false(sim_read_sram(v, 0, 0xfff0, got, 32));
    assert_false(sim_read_sram(v, 9, 0, got, 4)); /* a tile the run did not use */
    sim_free(v);
    sim_free(mm);
}

/* reduce.s's sum in its own order: per tile, six workers sum 16 values in
 * two lanes, add the lanes; one worker adds the six partial sums; then the
 * tree of four steps. */
static float reduce_reference(const float *x) {
    float sum[16];
    for (int t = 0; t < 16; t++) {
        float part[6];
        for (int w = 0; w < 6; w++) {
            const float *v = x + 96 * t + 16 * w;
            float l0 = 0, l1 = 0;
            for (int k = 0; k < 8; k++) l0 = l0 + v[2 * k], l1 = l1 + v[2 * k + 1];
            part[w] = l0 + l1;
        }
        float s = part[0];
        for (int w = 1; w < 6; w++) s = s + part[w];
        sum[t] = s;
    }
    for (int step = 1; step < 16; step *= 2)
        for (int t = 0; t < 16; t += 2 * step) sum[t] = sum[t] + sum[t + step];
    return sum[0];
}

static void test_threads_give_identical_runs(void **state) {
    SimModel *m = example("reduce");
    float x[1536], s[4][1];
    for (int i = 0; i < 1536; i++) x[i] = random_float();
    SimStats stats[4];
    uint32_t hw[4][16];
    uint64_t counts[4][ISA_OP_COUNT];
    sim_bind_input(m, 0, x);
    for (int k = 0; k < 4; k++) {
        sim_bind_output(m, 0, s[k]);
        SimOptions opt = {.threads = k + 1, .trace = true};
        assert_int_equal(sim_run(m, &opt), SIM_OK);
        memcpy(&stats[k], sim_stats(m), sizeof stats[k]);
        memcpy(hw[k], stats[k].sram_high_water, sizeof hw[k]);
        memcpy(counts[k], stats[k].op_counts, sizeof counts[k]);
        stats[k].sram_high_water = NULL;
        stats[k].op_counts = NULL;
    }
    assert_true(f32_bits(s[0][0]) == f32_bits(reduce_reference(x)));
    for (int k = 1; k < 4; k++) {
        assert_true(f32_bits(s[k][0]) == f32_bits(s[0][0]));
        assert_memory_equal(&stats[k], &stats[0], sizeof stats[0]);
        assert_memory_equal(hw[k], hw[0], sizeof hw[0]);
        assert_memory_equal(counts[k], counts[0], sizeof counts[0]);
    }
    assert_int_equal(stats[0].barriers, 4);
    assert_int_equal(stats[0].tiles_run, 16);
    assert_int_equal(hw[0][0], 0x250); /* the flags at STEPS end at 0x250 */
    sim_free(m);
}

static void test_trace_file(void **state) {
    SimModel *m = example("vadd");
    float a[256] = {0}, b[256] = {0};
    sim_bind_input(m, 0, a);
    sim_bind_input(m, 1, b);
    char err[512];
    SimOptions opt = threads(1);
    assert_int_equal(sim_run(m, &opt), SIM_OK);
    assert_int_equal(sim_trace_save(m, "unused.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "no trace"));
    opt.trace = true;
    assert_int_equal(sim_run(m, &opt), SIM_OK);
    const char *dir = getenv("ACCC_BINARY_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/unit/interp-trace.json", dir ? dir : ".");
    assert_int_equal(sim_trace_save(m, path, err, sizeof err), 0);
    size_t len;
    char *text = file_read(path, &len, err, sizeof err);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"name\":\"superstep 0\""));
    assert_non_null(strstr(text, "\"name\":\"exchange\""));
    assert_non_null(strstr(text, "\"name\":\"tile 3\""));
    free(text);
    remove(path);
    /* The summary names every phase. */
    StrBuf out;
    sb_init(&out);
    sim_stats_format(m, &out);
    for (int p = 0; p < SIM_PHASE_COUNT; p++) assert_non_null(strstr(out.data, sim_phase_name(p)));
    sb_free(&out);
    sim_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors), cmocka_unit_test(test_tensors),
        cmocka_unit_test(test_two_models),  cmocka_unit_test(test_threads_give_identical_runs),
        cmocka_unit_test(test_trace_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

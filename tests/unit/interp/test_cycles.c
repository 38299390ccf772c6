/*
 * The cycle model (docs/machine.md, "Barrel issue and the cycle model",
 * "Supersteps, sync and the exchange", "Host I/O"): small programs whose
 * cycle counts are worked out by hand in the comments, from the rules:
 *
 *   - in cycle t, slot t mod 6 belongs to worker t mod 6; a ready running
 *     worker issues in its slot, else the supervisor may issue;
 *   - an instruction of t turns makes its context ready 6 t cycles later;
 *   - a worker started by run in cycle t is ready at t + 1;
 *   - a worker's exit in cycle t makes it idle from t + 1, and a stalled
 *     supervisor then issues in the first cycle it can;
 *   - a barrier ends at A + 100 + X + H; X = 32 + max(send, receive)/4 B
 *     when data moves; host_cycles(b) = ceil(b * 1330000 / 64000000).
 *
 * No program here has resident inputs unless it says so: cycle 0 is the
 * supervisor's first instruction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "simtest.h"

static const char worker_12[] = /* 12 instructions: loopi, 10 nops, exit */
    "        .worker\n"
    "w:      loopi 10, .Lend\n"
    "        nop\n"
    ".Lend:  exit\n";

static uint64_t cycles_of(const char *text) {
    SimModel *m = st_load(text);
    SimOptions opt = {.threads = 1};
    if (sim_run(m, &opt) != SIM_OK) fail_msg("%s", sim_message(m));
    uint64_t c = sim_stats(m)->cycles;
    sim_free(m);
    return c;
}

static void program(StrBuf *sb, const char *machine, const char *sup, const char *rest) {
    sb_printf(sb,
              "        .machine %s\n"
              "        .program p\n"
              "        .supervisor\n%s%s"
              "        .tiles 0\n"
              "        .exec p\n",
              machine, sup, rest);
}

/* One worker of n = 12 instructions: run at 0; the worker is ready at 1 and
 * issues in slot 0 at 6, 12, ..., its exit at 6n = 72. The supervisor's
 * wait issues at 7 and stalls; the exit frees it from 73 (slot 1, free):
 * wait at 73, end at 79. */
static void test_one_worker(void **state) {
    StrBuf sb;
    sb_init(&sb);
    program(&sb, "acc1-mini, tiles=1", "run m0, w\nwait\nend\n", worker_12);
    assert_int_equal(cycles_of(sb.data), 79);
    sb_free(&sb);
}

/* Six workers of n = 12: run k issues at 7k (after run k-1 at 7(k-1) the
 * supervisor is ready 6 later, when that slot is worker k-1's, so it takes
 * the next one). Worker k is ready at 7k + 1 and issues first at 7k + 6 in
 * slot k; its exit at 7k + 6 + 6(n-1). Worker 5 exits last, at 35 + 6n =
 * 107; the supervisor's wait stalls until then and issues at 108 (slot 0,
 * free), end at 114. Six times the work of test_one_worker in 114 cycles
 * instead of 6 * 72. */
static void test_six_workers(void **state) {
    StrBuf sb;
    sb_init(&sb);
    program(&sb, "acc1-mini, tiles=1",
            "run m0, w\nrun m0, w\nrun m0, w\nrun m0, w\nrun m0, w\nrun m0, w\nwait\nend\n",
            worker_12);
    assert_int_equal(cycles_of(sb.data), 114);
    sb_clear(&sb);
    /* The same 72 instructions in one worker: exit at 6 * 72 = 432, end at 439. */
    program(&sb, "acc1-mini, tiles=1", "run m0, w\nwait\nend\n",
            "        .worker\n"
            "w:      loopi 70, .Lend\n"
            "        nop\n"
            ".Lend:  exit\n");
    assert_int_equal(cycles_of(sb.data), 439);
    sb_free(&sb);
}

/* docs/machine.md's worked example, started by loopi at 0: run k at 6 + 13k
 * (run, then addi in the next free slot, then the loop back), worker k
 * first issues at 12 + 13k; worker 5's exit (its 12th instruction) at
 * 77 + 66 = 143; wait at 144 (slot 0, free), end at 150. */
static void test_worked_example(void **state) {
    StrBuf sb;
    sb_init(&sb);
    program(&sb, "acc1-mini, tiles=1",
            "        loopi 6, .Lstarted\n"
            "        run m1, w\n"
            "        addi m1, m1, 16\n"
            ".Lstarted:\n"
            "        wait\n"
            "        end\n",
            worker_12);
    assert_int_equal(cycles_of(sb.data), 150);
    sb_free(&sb);
}

/* Classes of several turns. div (3 turns): five f32div issue 18 cycles
 * apart from 6, the exit at 6 + 5 * 18 = 96; wait at 97, end at 103.
 * amp32 on acc1 (32 / 16 MACs: 2 turns): ampcfg at 6, run at 12, four
 * f32amp 12 cycles apart from 18, the exit at 66; wait at 67, end at 73.
 * amp16 on acc1-gc2 (64 / 32 MACs: 2 turns) takes the same time. */
static void test_turns(void **state) {
    StrBuf sb;
    sb_init(&sb);
    program(&sb, "acc1-mini, tiles=1", "run m0, w\nwait\nend\n",
            ".worker\nw: f32div a0, a1, a2\nf32div a0, a1, a2\nf32div a0, a1, a2\n"
            "f32div a0, a1, a2\nf32div a0, a1, a2\nexit\n");
    assert_int_equal(cycles_of(sb.data), 103);
    static const char *const amp[][2] = {{"acc1, tiles=1", "f32amp"},
                                         {"acc1-gc2, tiles=1", "f16amp"},
                                         {"acc1, tiles=1, mac_f32=32", "f32amp"}};
    static const uint64_t want[] = {73, 73, 49}; /* 1 turn: exit at 42, end at 49 */
    for (int k = 0; k < 3; k++) {
        char worker[200];
        snprintf(worker, sizeof worker, ".worker\nw: %s a0:1\n%s a0:1\n%s a0:1\n%s a0:1\nexit\n",
                 amp[k][1], amp[k][1], amp[k][1], amp[k][1]);
        sb_clear(&sb);
        program(&sb, amp[k][0], "li m1, 128\nampcfg m1\nrun m0, w\nwait\nend\n", worker);
        assert_int_equal(cycles_of(sb.data), want[k]);
    }
    sb_free(&sb);
}

/* Exchanges: every tile posts slot 0 at 0 and syncs at 6, so the barrier
 * is at 6 and the tiles end at 6 + 100 + X. */
static uint64_t exchange_cycles(const char *tables) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb,
              "        .machine acc1-mini\n"
              "        .program p\n"
              "        .supervisor\n"
              "        xpost m0, 0\n"
              "        sync\n"
              "        end\n"
              "        .tiles 0..4\n"
              "        .exec p\n"
              "%s",
              tables);
    uint64_t c = cycles_of(sb.data);
    sb_free(&sb);
    return c;
}

static void test_exchange(void **state) {
    /* Nothing moves: X = 0; the sync latency alone. */
    assert_int_equal(exchange_cycles(""), 106);
    /* 1 KiB from tile 0 to tile 1: 256 cycles each way, X = 32 + 256. */
    assert_int_equal(exchange_cycles(".tiles 0\n.slot 0\n.send 0, 1024, 1\n"
                                     ".tiles 1\n.slot 0\n.recv 0, 0x1000, 1024\n"),
                     106 + 288);
    /* A multicast to tiles 1..3: the sender pays 1 KiB once, each receiver
     * 1 KiB: still 288. */
    assert_int_equal(exchange_cycles(".tiles 0\n.slot 0\n.send 0, 1024, 1, 2, 3\n"
                                     ".tiles 1..3\n.slot 0\n.recv 0, 0x1000, 1024\n"),
                     106 + 288);
    /* The same as three sends: the sender pays 3 KiB, X = 32 + 768. */
    assert_int_equal(exchange_cycles(".tiles 0\n.slot 0\n.send 0, 1024, 1\n.send 0, 1024, 2\n"
                                     ".send 0, 1024, 3\n"
                                     ".tiles 1..3\n.slot 0\n.recv 0, 0x1000, 1024\n"),
                     106 + 800);
    /* Two senders of 512 bytes into one tile: the receiver is the busiest,
     * 1 KiB in: X = 32 + 256. */
    assert_int_equal(exchange_cycles(".tiles 0, 2\n.slot 0\n.send 0, 512, 1\n"
                                     ".tiles 1\n.slot 0\n.recv 0, 0x1000, 512\n"
                                     ".recv 2, 0x2000, 512\n"),
                     106 + 288);
    /* Byte counts that are not multiples of 4 round up: 5 bytes, 2 cycles. */
    assert_int_equal(exchange_cycles(".tiles 3\n.slot 0\n.send 0, 5, 4\n"
                                     ".tiles 4\n.slot 0\n.recv 3, 0x10, 5\n"),
                     106 + 34);
}

/* Host I/O: 1 KiB in at 48.1 bytes per cycle is ceil(21.28) = 22 cycles. */
static void test_host_io(void **state) {
    /* A resident input and output of 1 KiB: the supervisor starts at 22,
     * ends there, and the output takes 22 more. */
    const char *resident = "        .machine acc1-mini\n"
                           "        .input x, f32, [256]\n"
                           "        .output y, f32, [256]\n"
                           "        .program p\n"
                           "        .supervisor\n"
                           "        end\n"
                           "        .tiles 0\n"
                           "        .exec p\n"
                           "        .layout x, 0, 0, 256\n"
                           "        .layout y, 0, 0, 256\n";
    SimModel *m = st_load(resident);
    float x[256], y[256];
    for (int i = 0; i < 256; i++) x[i] = (float)i * 0.5f;
    sim_bind_input(m, 0, x);
    sim_bind_output(m, 0, y);
    SimOptions opt = {.threads = 1};
    assert_int_equal(sim_run(m, &opt), SIM_OK);
    const SimStats *st = sim_stats(m);
    assert_int_equal(st->cycles, 44);
    assert_int_equal(st->phase[SIM_PHASE_HOST_IN], 22);
    assert_int_equal(st->phase[SIM_PHASE_HOST_OUT], 22);
    assert_memory_equal(x, y, sizeof x);
    sim_free(m);
    /* The input streamed at a barrier instead: xpost at 0, sync at 6,
     * H = 22, the end at 6 + 100 + 22 = 128, then 22 for the output. */
    m = st_load("        .machine acc1-mini\n"
                "        .input x, f32, [256]\n"
                "        .output y, f32, [256]\n"
                "        .program p\n"
                "        .supervisor\n"
                "        xpost m0, 0\n"
                "        sync\n"
                "        end\n"
                "        .tiles 0\n"
                "        .exec p\n"
                "        .slot 0\n"
                "        .hostin x, 0, 0x100, 1024\n"
                "        .layout y, 0x100, 0, 256\n");
    memset(y, 0, sizeof y);
    sim_bind_input(m, 0, x);
    sim_bind_output(m, 0, y);
    assert_int_equal(sim_run(m, &opt), SIM_OK);
    st = sim_stats(m);
    assert_int_equal(st->cycles, 150);
    assert_int_equal(st->phase[SIM_PHASE_STREAMS], 22);
    assert_int_equal(st->phase[SIM_PHASE_SYNC], 100);
    assert_int_equal(st->phase[SIM_PHASE_COMPUTE], 6);
    assert_memory_equal(x, y, sizeof x);
    sim_free(m);
}

/* Tiles run different code: the barrier waits for the slowest. Tile 0
 * syncs at 6; tile 1 runs one worker of 12 instructions first (wait at 73,
 * sync at 79), so the barrier is at 79 and both end at 179. */
static void test_barrier_waits_for_the_slowest(void **state) {
    SimModel *m = st_load("        .machine acc1-mini\n"
                          "        .program fast\n"
                          "        .supervisor\n"
                          "        nop\n"
                          "        sync\n"
                          "        end\n"
                          "        .program slow\n"
                          "        .supervisor\n"
                          "        run m0, w\n"
                          "        wait\n"
                          "        sync\n"
                          "        end\n"
                          "        .worker\n"
                          "w:      loopi 10, .Lend\n"
                          "        nop\n"
                          ".Lend:  exit\n"
                          "        .tiles 0\n"
                          "        .exec fast\n"
                          "        .tiles 1\n"
                          "        .exec slow\n");
    SimOptions opt = {.threads = 2};
    assert_int_equal(sim_run(m, &opt), SIM_OK);
    const SimStats *st = sim_stats(m);
    assert_int_equal(st->cycles, 179);
    assert_int_equal(st->supersteps, 2);
    assert_int_equal(st->barriers, 1);
    assert_int_equal(st->phase[SIM_PHASE_COMPUTE], 79);
    assert_int_equal(st->instructions, 3 + 4 + 12);
    assert_int_equal(st->supervisor_instructions, 7);
    sim_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_worker),
        cmocka_unit_test(test_six_workers),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_turns),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_host_io),
        cmocka_unit_test(test_barrier_waits_for_the_slowest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

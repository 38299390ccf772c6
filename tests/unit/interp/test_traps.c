/*
 * Traps (docs/machine.md, "Traps") and the cycle limit: each cause from a
 * small program, with where it happened (tile, context, pc, cycle,
 * address) and the report's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "simtest.h"

/* Run a one-tile program (acc1-mini, tiles=3) whose supervisor code is sup
 * and worker code is wrk; it must trap with cause. */
static SimModel *trapping(const char *sup, const char *wrk, const char *tables, IsaTrap cause) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb,
              "        .machine acc1-mini, tiles=3\n"
              "        .program p\n"
              "        .supervisor\n"
              "main:\n%s\n"
              "        .worker\n"
              "w:\n%s\n"
              "        .tiles 0, 1\n"
              "        .exec p\n%s",
              sup, wrk, tables ? tables : "");
    SimModel *m = st_load(sb.data);
    sb_free(&sb);
    SimOptions opt = {.threads = 2};
    SimStatus status = sim_run(m, &opt);
    if (status != SIM_TRAP) fail_msg("no trap: status %d, %s", (int)status, sim_message(m));
    const SimTrap *t = sim_trap(m);
    assert_non_null(t);
    if (t->cause != cause)
        fail_msg("trap %s, not %s: %s", isa_trap_name(t->cause), isa_trap_name(cause),
                 sim_message(m));
    return m;
}

static void expect_text(const SimModel *m, const char *text) {
    if (!strstr(sim_message(m), text)) fail_msg("the report lacks '%s':\n%s", text, sim_message(m));
}

static void test_illegal_and_context(void **state) {
    SimModel *m =
        trapping("run m0, w\nwait\nend", "nop\n.word 0xfe000000\nexit", NULL, ISA_TRAP_ILLEGAL);
    const SimTrap *t = sim_trap(m);
    assert_int_equal(t->tile, 0); /* both tiles trap in the same cycle: the lowest */
    assert_int_equal(t->context, 0);
    assert_int_equal(t->pc, 0x10);
    assert_int_equal(t->cycle, 12);
    expect_text(m, "trap ILLEGAL on tile 0, worker 0, pc 0x10 (w+0x4), cycle 12");
    expect_text(m, ".word 0xfe000000");
    sim_free(m);
    /* A worker that jumps into supervisor code, and the reverse. */
    m = trapping("run m0, w\nwait\nend", "br main", NULL, ISA_TRAP_CONTEXT);
    assert_int_equal(sim_trap(m)->context, 0);
    assert_int_equal(sim_trap(m)->pc, 0);
    expect_text(m, "a worker cannot run this instruction");
    sim_free(m);
    m = trapping("br w\nend", "exit", NULL, ISA_TRAP_CONTEXT);
    assert_int_equal(sim_trap(m)->context, -1);
    assert_int_equal(sim_trap(m)->pc, 8);
    expect_text(m, "supervisor, pc 0x8 (w)");
    sim_free(m);
}

static void test_memory(void **state) {
    SimModel *m = trapping("run m0, w\nwait\nend", "li m2, 0xfffe\nldw m1, [m2+4]\nexit", NULL,
                           ISA_TRAP_ALIGN);
    assert_int_equal(sim_trap(m)->address, 0x10002);
    sim_free(m);
    m = trapping("run m0, w\nwait\nend", "li m2, 0xfffc\nldw m1, [m2+4]\nexit", NULL,
                 ISA_TRAP_BOUNDS);
    const SimTrap *t = sim_trap(m);
    assert_true(t->has_address);
    assert_int_equal(t->address, 0x10000);
    assert_int_equal(t->size, 4);
    expect_text(m, "ldw     m1, [m2+4]");
    expect_text(m, "address 0x10000, 4 bytes; the tile's SRAM is 0x0..0xffff");
    sim_free(m);
    /* The end of an access counts: 16 bytes at 0xfff8 would pass the end. */
    m = trapping("li m2, 0xfff0\nsth m1, [m2+14]\nstw m1, [m2+16]\nend", "exit", NULL,
                 ISA_TRAP_BOUNDS);
    assert_int_equal(sim_trap(m)->address, 0x10000);
    assert_int_equal(sim_trap(m)->context, -1);
    sim_free(m);
    /* Addresses wrap at 2^32: a negative offset from 0 is far outside. */
    m = trapping("ldb m1, [m0-1]\nend", "exit", NULL, ISA_TRAP_BOUNDS);
    assert_int_equal(sim_trap(m)->address, 0xffffffffu);
    sim_free(m);
    m = trapping("run m0, w\nwait\nend", "li m2, 0x8000\nst128 a0:3, [m2+8]\nexit", NULL,
                 ISA_TRAP_ALIGN);
    expect_text(m, "not a multiple of 16");
    sim_free(m);
}

static void test_pc(void **state) {
    /* A worker without exit runs off the end of the program. */
    SimModel *m = trapping("run m0, w\nwait\nend", "nop", NULL, ISA_TRAP_PC);
    assert_int_equal(sim_trap(m)->pc, 0x10);
    expect_text(m, "pc 0x10 is outside program 'p' (0x0..0xc)");
    sim_free(m);
    m = trapping("li m1, 0x1000\njr m1", "exit", NULL, ISA_TRAP_PC);
    assert_int_equal(sim_trap(m)->pc, 4);
    assert_int_equal(sim_trap(m)->address, 0x1000);
    expect_text(m, "target 0x1000 is outside program");
    sim_free(m);
    m = trapping("li m1, 6\ncallr m2, m1", "exit", NULL, ISA_TRAP_PC); /* not a multiple of 4 */
    assert_int_equal(sim_trap(m)->address, 6);
    sim_free(m);
    m = trapping("run m0, 0x400\nend", "exit", NULL, ISA_TRAP_PC);
    assert_int_equal(sim_trap(m)->address, 0x400);
    sim_free(m);
    /* A branch out of the program traps when the target is fetched. */
    m = trapping("br 0x2000", "exit", NULL, ISA_TRAP_PC);
    assert_int_equal(sim_trap(m)->pc, 0x2000);
    sim_free(m);
}

static void test_loop(void **state) {
    SimModel *m = trapping("loopi 3, .L1\nbr .L1\nnop\n.L1: end", "exit", NULL, ISA_TRAP_LOOP);
    assert_int_equal(sim_trap(m)->pc, 4);
    expect_text(m, "a taken branch inside the hardware-loop body 0x4..0xc");
    sim_free(m);
    m = trapping("loopi 3, .L1\nloopi 2, .L1\nnop\n.L1: end", "exit", NULL, ISA_TRAP_LOOP);
    expect_text(m, "loops do not nest");
    sim_free(m);
    m = trapping("li m1, 1\nloopi 3, .L1\nbnz m1, .L1\n.L1: end", "exit", NULL, ISA_TRAP_LOOP);
    sim_free(m);
}

static void test_matrix_unit(void **state) {
    SimModel *m = trapping("run m0, w\nwait\nend", "f16amp a0:1\nexit", NULL, ISA_TRAP_AMP);
    expect_text(m, "WLEN is 0");
    sim_free(m);
    m = trapping("li m1, 100\nampcfg m1\nend", "exit", NULL, ISA_TRAP_AMP);
    expect_text(m, "ampcfg of 100 bytes");
    sim_free(m);
    m = trapping("li m1, 8320\nampcfg m1\nend", "exit", NULL, ISA_TRAP_AMP);
    sim_free(m);
    m = trapping("run m0, w\nwait\nend", "li m2, 8\nampw [m0]+=16, m2\nexit", NULL, ISA_TRAP_AMP);
    expect_text(m, "weight offset 0x8");
    sim_free(m);
    m = trapping("run m0, w\nwait\nend", "li m2, 8192\nampw [m0]+=16, m2\nexit", NULL,
                 ISA_TRAP_AMP);
    sim_free(m);
}

static void test_user(void **state) {
    SimModel *m = trapping("nop\ntrap 42", "exit", NULL, ISA_TRAP_USER);
    assert_int_equal(sim_trap(m)->code, 42);
    assert_int_equal(sim_trap(m)->cycle, 6);
    expect_text(m, "code 42");
    sim_free(m);
}

static void test_exchange(void **state) {
    const char *sup = "xpost m0, 0\nsync\nend";
    /* A send nobody receives. */
    SimModel *m = trapping(sup, "exit", ".tiles 0\n.slot 0\n.send 0, 16, 1\n", ISA_TRAP_EXCHANGE);
    assert_int_equal(sim_trap(m)->tile, 0);
    assert_int_equal(sim_trap(m)->pc, 4);
    assert_int_equal(sim_trap(m)->cycle, 6);
    expect_text(m, "tile 0 sends 1 transfer to tile 1, which posted only 0 receives from it");
    sim_free(m);
    /* A receive nobody sends. */
    m = trapping(sup, "exit", ".tiles 1\n.slot 0\n.recv 0, 0x100, 16\n", ISA_TRAP_EXCHANGE);
    expect_text(m, "tile 1 posted more receives from tile 0 than the 0 transfers tile 0 sends it");
    sim_free(m);
    /* Lengths that differ. */
    m = trapping(sup, "exit",
                 ".tiles 0\n.slot 0\n.send 0, 16, 1\n.tiles 1\n.slot 0\n.recv 0, 0x100, 32\n",
                 ISA_TRAP_EXCHANGE);
    expect_text(m, "tile 0 sends 16 bytes to tile 1, which expects 32 bytes (transfer 1 from "
                   "tile 0)");
    sim_free(m);
    /* Two writes into the same bytes. */
    m = trapping(sup, "exit",
                 ".tiles 0\n.slot 0\n.send 0, 16, 1\n.send 0x40, 16, 1\n"
                 ".tiles 1\n.slot 0\n.recv 0, 0x100, 16\n.recv 0, 0x108, 16\n",
                 ISA_TRAP_EXCHANGE);
    expect_text(m, "tile 1: transfers write 0x100..0x10f and 0x108..0x117, which overlap");
    sim_free(m);
    /* To a tile that runs no program (tile 2 exists but is idle). */
    m = trapping(sup, "exit", ".tiles 0\n.slot 0\n.send 0, 16, 2\n", ISA_TRAP_EXCHANGE);
    expect_text(m, "tile 0 sends 16 bytes to tile 2, which runs no program");
    sim_free(m);
    /* end with posted transfers. */
    m = trapping("xpost m0, 0\nend", "exit", ".tiles 0\n.slot 0\n.send 0, 16, 1\n",
                 ISA_TRAP_EXCHANGE);
    expect_text(m, "end with 1 exchange slot posted since the last sync");
    sim_free(m);
}

/* A tile that has ended leaves the barriers, and cannot receive. */
static void test_exchange_with_ended_tile(void **state) {
    SimModel *m = st_load("        .machine acc1-mini, tiles=2\n"
                          "        .program a\n"
                          "        .supervisor\n"
                          "        xpost m0, 0\n"
                          "        sync\n"
                          "        end\n"
                          "        .program b\n"
                          "        .supervisor\n"
                          "        end\n"
                          "        .tiles 0\n"
                          "        .exec a\n"
                          "        .slot 0\n"
                          "        .send 0, 4, 1\n"
                          "        .tiles 1\n"
                          "        .exec b\n");
    SimOptions opt = {.threads = 1};
    assert_int_equal(sim_run(m, &opt), SIM_TRAP);
    expect_text(m, "tile 0 sends 4 bytes to tile 1, which has ended");
    sim_free(m);
}

/* The first trap in machine time wins, whichever tile ran first on the host. */
static void test_earliest_trap_wins(void **state) {
    SimModel *m = st_load("        .machine acc1-mini, tiles=8\n"
                          "        .program late\n"
                          "        .supervisor\n"
                          "        nop\nnop\nnop\n"
                          "        trap 1\n"
                          "        .program early\n"
                          "        .supervisor\n"
                          "        nop\n"
                          "        trap 2\n"
                          "        .tiles 0..4, 6, 7\n"
                          "        .exec late\n"
                          "        .tiles 5\n"
                          "        .exec early\n");
    for (int threads = 1; threads <= 4; threads++) {
        SimOptions opt = {.threads = threads};
        assert_int_equal(sim_run(m, &opt), SIM_TRAP);
        assert_int_equal(sim_trap(m)->tile, 5);
        assert_int_equal(sim_trap(m)->code, 2);
        assert_int_equal(sim_stats(m)->cycles, 6);
    }
    sim_free(m);
}

/* A trap on one tile stops another that would spin up to the (default)
 * cycle limit: it runs on only to the end of the trap's round of 2^20
 * cycles, the same for any number of threads. */
static void test_trap_stops_spinning_tiles(void **state) {
    SimModel *m = st_load("        .machine acc1-mini, tiles=2\n"
                          "        .program spin\n"
                          "        .supervisor\n"
                          "loop:   br loop\n"
                          "        .program fail\n"
                          "        .supervisor\n"
                          "        nop\n"
                          "        trap 7\n"
                          "        .tiles 0\n"
                          "        .exec spin\n"
                          "        .tiles 1\n"
                          "        .exec fail\n");
    for (int threads = 1; threads <= 2; threads++) {
        SimOptions opt = {.threads = threads};
        assert_int_equal(sim_run(m, &opt), SIM_TRAP);
        assert_int_equal(sim_trap(m)->tile, 1);
        assert_int_equal(sim_stats(m)->cycles, 6);
        /* tile 0: a branch every 6 cycles up to cycle 2^20; tile 1: the nop */
        assert_int_equal(sim_stats(m)->instructions, (1 << 20) / 6 + 1 + 1);
    }
    sim_free(m);
}

static void test_cycle_limit(void **state) {
    SimModel *m = st_load("        .machine acc1-mini, tiles=2\n"
                          "        .program p\n"
                          "        .supervisor\n"
                          "        run m0, w\n"
                          "spin:   br spin\n"
                          "        .worker\n"
                          "w:      nop\n"
                          "ww:     br ww\n"
                          "        .tiles 1\n"
                          "        .exec p\n");
    SimOptions opt = {.threads = 1, .max_cycles = 1000};
    assert_int_equal(sim_run(m, &opt), SIM_CYCLE_LIMIT);
    assert_null(sim_trap(m));
    assert_int_equal(sim_stats(m)->cycles, 1000);
    expect_text(m, "the run did not finish within 1000 cycles");
    expect_text(m, "tile 1 was still running");
    expect_text(m, "supervisor at pc 0x4 (spin)");
    expect_text(m, "worker 0 at pc 0xc (ww)");
    sim_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_illegal_and_context),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_pc),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_matrix_unit),
        cmocka_unit_test(test_user),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_exchange_with_ended_tile),
        cmocka_unit_test(test_earliest_trap_wins),
        cmocka_unit_test(test_trap_stops_spinning_tiles),
        cmocka_unit_test(test_cycle_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

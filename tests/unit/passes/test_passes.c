/* The middle end's crisp contracts. */
#include "irtest.h"
#include "passes.h"

/* A model with a bit of everything, f32. */
static const char model[] =
    "graph m(%x: f32[2, 4], %y: f32[4]) -> (out: f32[2, 3], stat: f32[2]) {\n"
    "  %w: f32[4, 3] = constant(value=normal(seed=1, std=0.5))\n"
    "  %b: f32[3] = constant(value=[0.5, -0.5, 0.25])\n"
    "  %s: f32[2, 4] = add(%x, %y)\n"
    "  %g: f32[2, 4] = gelu(%s)\n"
    "  %m: f32[2, 3] = gemm(%g, %w, %b, alpha=0.5)\n"
    "  %out: f32[2, 3] = softmax(%m, axis=-1)\n"
    "  %stat: f32[2] = reduce_mean(%s, axes=[1], keepdims=false)\n"
    "  return %out, %stat\n"
    "}\n";

/* Run the pipeline at level on a copy of g and return the copy. */
static IrGraph *optimised(const IrGraph *g, int level) {
    IrGraph *h = ir_graph_clone(g);
    PassContext pc;
    pass_context_init(&pc);
    pc.opt_level = level;
    pass_pipeline(h, &pc);
    pass_context_free(&pc);
    return h;
}

/* ---- The registry ------------------------------------------------------------------ */

static void test_registry(void **state) {
    (void)state;
    for (int k = 0; k < PASS_COUNT; k++) {
        const PassInfo *p = pass_info((PassId)k);
        assert_ptr_equal(pass_find(p->name), p);
        assert_non_null(p->run);
        assert_true(strlen(p->doc) > 10);
    }
    assert_null(pass_find("tiles"));
    assert_non_null(pass_find("place"));
    assert_string_equal(pass_suggest("lowr"), "lower");
    assert_string_equal(pass_suggest("canno"), "canon");
    char err[256];
    assert_true(pass_list_check("canon,cse,dce", err, sizeof err));
    assert_true(pass_list_check("", err, sizeof err));
    assert_false(pass_list_check("canon,,dce", err, sizeof err));
    assert_string_equal(err, "unknown pass '' (the passes are canon, fold, cse, dce, lower, fuse, "
                             "tile, schedule, place)");
    assert_false(pass_list_check("fuse,lowe", err, sizeof err));
    assert_string_equal(err, "unknown pass 'lowe'; did you mean 'lower'?");
}

/* ---- The pipeline's contracts --------------------------------------------------------- */

/* The same input gives the same text, and a second run changes nothing. */
static void test_deterministic_and_idempotent(void **state) {
    (void)state;
    IrGraph *g = parse_ok(model);
    for (int level = 0; level <= 2; level++) {
        IrGraph *a = optimised(g, level), *b = optimised(g, level);
        char *ta = print_ir(a), *tb = print_ir(b);
        assert_string_equal(ta, tb);
        IrGraph *again = optimised(a, level);
        char *tc = print_ir(again);
        assert_string_equal(ta, tc);
        free(ta);
        free(tb);
        free(tc);
        ir_graph_free(a);
        ir_graph_free(b);
        ir_graph_free(again);
    }
    ir_graph_free(g);
}

/* After lower, only kernel ops; ir_verify_lowered says so, and rejects a
 * graph that still holds a composite op. */
static void test_lowered_form(void **state) {
    (void)state;
    IrGraph *g = parse_ok(model);
    IrGraph *h = optimised(g, 2);
    assert_true(ir_verify_lowered(h, NULL));
    ir_for_each_op(h, id) {
        unsigned f = ir_op_info(h->ops[id].kind)->flags;
        assert_true((f & IR_KERNEL) && !(f & IR_EW));
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    Diag d;
    diag_init(&d, "test", out);
    assert_false(ir_verify_lowered(g, &d));
    diag_free(&d);
    fclose(out);
    assert_non_null(
        strstr(buf, "error: verifier: 'add' is not a kernel op, but the graph is lowered"));
    free(buf);
    ir_graph_free(h);
    ir_graph_free(g);
}

/* Fusion leaves fewer kernels than -O1; the evaluator agrees closely. */
static void test_levels_agree(void **state) {
    (void)state;
    IrGraph *g = parse_ok(model);
    NpyArray in[2] = {ARR(ACC_DTYPE_F32, DIMS(2, 4), 0.5, -1, 2, 0.25, -0.5, 1.5, 0, -2),
                      ARR(ACC_DTYPE_F32, DIMS(4), 0.1, 0.2, -0.3, 0.4)};
    NpyArray want[2];
    eval_ok(g, in, want);
    int kernels[3];
    for (int level = 0; level <= 2; level++) {
        IrGraph *h = optimised(g, level);
        kernels[level] = 0;
        ir_for_each_op(h, id) kernels[level] += h->ops[id].kind != IR_OP_constant;
        NpyArray got[2];
        eval_ok(h, in, got);
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < got[k].count; i++) {
                double a = dtype_get(got[k].dtype, got[k].data, i);
                double b = dtype_get(want[k].dtype, want[k].data, i);
                if (fabs(a - b) > 1e-5 + 1e-4 * fabs(b))
                    fail_msg("-O%d output %d element %zu: %.9g vs %.9g", level, k, i, a, b);
            }
            npy_free(&got[k]);
        }
        ir_graph_free(h);
    }
    assert_true(kernels[2] < kernels[1]);
    assert_true(kernels[1] <= kernels[0]);
    for (int k = 0; k < 2; k++) {
        npy_free(&want[k]);
        npy_free(&in[k]);
    }
    ir_graph_free(g);
}

/* --print-after and --time-passes write to pc.log. */
static void test_dumps_and_timings(void **state) {
    (void)state;
    IrGraph *g = parse_ok(model);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    PassContext pc;
    pass_context_init(&pc);
    pc.log = out;
    pc.print_after = "lower";
    pc.time_passes = true;
    pass_pipeline(g, &pc);
    assert_int_equal(pc.ntimings, 8);
    assert_string_equal(pc.timings[3].pass, "lower");
    assert_true(pc.lowered);
    pass_print_timings(&pc);
    pass_context_free(&pc);
    fclose(out);
    char *first = strstr(buf, "# IR after lower\ngraph m(");
    assert_non_null(first);
    assert_null(strstr(first + 1, "# IR after"));
    assert_non_null(strstr(buf, "===-- pass timing (wall clock) --==="));
    assert_non_null(strstr(buf, "  total "));
    free(buf);
    ir_graph_free(g);
}

/* The progress hook sees every pass the pipeline runs, in order, and
 * pass_pipeline_length counts the same passes without a graph. */
typedef struct Seen {
    const char *names[32];
    int n;
} Seen;

static void record_pass(void *user, const char *pass) {
    Seen *s = user;
    assert_true(s->n < 32);
    s->names[s->n++] = pass;
}

static void test_progress_hook(void **state) {
    (void)state;
    for (int level = 0; level <= 2; level++) {
        IrGraph *g = parse_ok(model);
        Seen seen = {{NULL}, 0};
        PassContext pc;
        pass_context_init(&pc);
        pc.opt_level = level;
        pc.time_passes = true;
        pc.before_pass = record_pass;
        pc.user = &seen;
        pass_pipeline(g, &pc);
        assert_int_equal(seen.n, pass_pipeline_length(level));
        assert_int_equal(seen.n, pc.ntimings);
        assert_int_equal(pc.npasses, pc.ntimings);
        for (int k = 0; k < seen.n; k++) assert_string_equal(seen.names[k], pc.timings[k].pass);
        pass_context_free(&pc);
        ir_graph_free(g);
    }
    assert_true(pass_pipeline_length(0) < pass_pipeline_length(1));
    assert_int_equal(pass_list_length("canon,cse,dce"), 3);
    assert_int_equal(pass_list_length(""), 0);
}

/* ---- Bodies ---------------------------------------------------------------------------- */

static void test_dtypes(void **state) {
    (void)state;
    assert_int_equal(ir_compute_dtype(ACC_DTYPE_F16), ACC_DTYPE_F32);
    assert_int_equal(ir_compute_dtype(ACC_DTYPE_BF16), ACC_DTYPE_F32);
    assert_int_equal(ir_compute_dtype(ACC_DTYPE_I8), ACC_DTYPE_I8);
    assert_int_equal(ir_acc_dtype(ACC_DTYPE_F16, ACC_DTYPE_F16), ACC_DTYPE_F32);
    assert_int_equal(ir_acc_dtype(ACC_DTYPE_I8, ACC_DTYPE_U8), ACC_DTYPE_I32);
    assert_int_equal(ir_acc_dtype(ACC_DTYPE_I64, ACC_DTYPE_I64), ACC_DTYPE_I64);
    assert_int_equal(ir_body_operand(IR_OP_fused_matmul, 0), -1);
    assert_int_equal(ir_body_operand(IR_OP_fused_conv, 1), 2);
    assert_int_equal(ir_body_operand(IR_OP_fused, 1), 1);
    assert_int_equal(ir_body_skip(IR_OP_fused_reduce), 0);
}

static void test_broadcast_strides(void **state) {
    (void)state;
    IrType in = ir_type(ACC_DTYPE_F32, 2, DIMS(3, 1));
    IrType out = ir_type(ACC_DTYPE_F32, 3, DIMS(2, 3, 4));
    int64_t st[3];
    ir_broadcast_strides(&in, &out, st);
    assert_int_equal(st[0], 0);
    assert_int_equal(st[1], 1);
    assert_int_equal(st[2], 0);
    IrType full = ir_type(ACC_DTYPE_F32, 3, DIMS(2, 3, 4));
    ir_broadcast_strides(&full, &out, st);
    assert_int_equal(st[0], 12);
    assert_int_equal(st[1], 4);
    assert_int_equal(st[2], 1);
}

/* x * c + y, in a fresh body. */
static IrGraph *body_mul_add(double c) {
    AccDtype dt[2] = {ACC_DTYPE_F32, ACC_DTYPE_F32};
    IrGraph *b = ir_body_new(2, dt, NULL);
    IrRef k = ir_constant_scalar(b, ACC_DTYPE_F32, c, (SrcLoc){0, 0, 0});
    IrRef m = ir_build2(b, IR_OP_mul, b->inputs[0], k);
    ir_body_finish(b, ir_build2(b, IR_OP_add, m, b->inputs[1]));
    return b;
}

static void test_body_equal_and_hash(void **state) {
    (void)state;
    IrGraph *a = body_mul_add(3.0), *b = body_mul_add(3.0), *c = body_mul_add(4.0);
    assert_true(ir_body_equal(a, b));
    assert_true(ir_body_hash(a) == ir_body_hash(b));
    assert_false(ir_body_equal(a, c));
    ir_graph_free(a);
    ir_graph_free(b);
    ir_graph_free(c);
}

/* A kernel built through the API evaluates like its plain ops, bit for
 * bit (ir_unfuse), including the single rounding to f16. */
static void test_unfuse_exact(void **state) {
    (void)state;
    IrGraph *g = ir_graph_new("k");
    IrType xt = ir_type(ACC_DTYPE_F16, 2, DIMS(2, 3)), yt = ir_type(ACC_DTYPE_F32, 1, DIMS(3));
    IrRef x = ir_add_input(g, "x", &xt), y = ir_add_input(g, "y", &yt);
    IrRef in[2] = {x, y};
    IrOpId op = ir_op_create(g, IR_OP_fused, 2, in, (SrcLoc){0, 0, 0});
    ir_set_attr_body(g, op, "body", body_mul_add(1.0 / 3.0));
    ir_set_attr_dtype(g, op, "dtype", ACC_DTYPE_F16);
    assert_true(ir_op_finish(g, op, NULL));
    ir_add_output(g, "z", ir_op_result(g, op, 0));
    assert_true(ir_verify(g, NULL));
    IrGraph *plain = ir_graph_clone(g);
    ir_unfuse(plain);
    assert_false(ir_graph_has_bodies(plain));
    NpyArray args[2] = {ARR(ACC_DTYPE_F16, DIMS(2, 3), 1, 2, 3, -4, 5.5, 1000),
                        ARR(ACC_DTYPE_F32, DIMS(3), 0.1, 0.2, 0.3)};
    NpyArray a, b;
    eval_ok(g, args, &a);
    eval_ok(plain, args, &b);
    assert_int_equal(a.dtype, ACC_DTYPE_F16);
    assert_memory_equal(a.data, b.data, a.count * 2);
    /* Rounded once: (1/3 in f32 * 1000 + 0.3) in f32, then to f16. */
    float once = (float)((float)(1.0 / 3.0) * 1000.0f) + 0.3f;
    assert_true(dtype_get(ACC_DTYPE_F16, a.data, 5) == (double)f16_to_f32(f32_to_f16(once)));
    npy_free(&a);
    npy_free(&b);
    npy_free(&args[0]);
    npy_free(&args[1]);
    ir_graph_free(plain);
    ir_graph_free(g);
}

/* ---- tile: the plan for speed and its dry run ------------------------------------------ */

/* examples/resnet_block.g as IR. */
static const char resnet_block[] =
    "graph resnet_block(%x: f32[1, 16, 16, 16]) -> (y: f32[1, 32, 8, 8]) {\n"
    "  %w: f32[32, 16, 3, 3] = constant(value=normal(seed=100, std=0.1))\n"
    "  %gamma: f32[32] = constant(value=uniform(seed=101, lo=0.5, hi=1.5))\n"
    "  %beta: f32[32] = constant(value=normal(seed=102, std=0.1))\n"
    "  %mean: f32[32] = constant(value=normal(seed=103, std=0.1))\n"
    "  %var: f32[32] = constant(value=uniform(seed=104, lo=0.5, hi=1.5))\n"
    "  %0: f32[1, 32, 8, 8] = conv2d(%x, %w, stride=[2, 2], pad=[1, 1, 1, 1])\n"
    "  %y: f32[1, 32, 8, 8] = batch_norm(%0, %gamma, %beta, %mean, %var)\n"
    "  %h: f32[1, 32, 8, 8] = relu(%y)\n"
    "  %w.1: f32[32, 32, 3, 3] = constant(value=normal(seed=110, std=0.1))\n"
    "  %gamma.1: f32[32] = constant(value=uniform(seed=111, lo=0.5, hi=1.5))\n"
    "  %beta.1: f32[32] = constant(value=normal(seed=112, std=0.1))\n"
    "  %mean.1: f32[32] = constant(value=normal(seed=113, std=0.1))\n"
    "  %var.1: f32[32] = constant(value=uniform(seed=114, lo=0.5, hi=1.5))\n"
    "  %1: f32[1, 32, 8, 8] = conv2d(%h, %w.1, stride=[1, 1], pad=[1, 1, 1, 1])\n"
    "  %h.1: f32[1, 32, 8, 8] = batch_norm(%1, %gamma.1, %beta.1, %mean.1, %var.1)\n"
    "  %w.2: f32[32, 16, 1, 1] = constant(value=normal(seed=120, std=0.1))\n"
    "  %gamma.2: f32[32] = constant(value=uniform(seed=121, lo=0.5, hi=1.5))\n"
    "  %beta.2: f32[32] = constant(value=normal(seed=122, std=0.1))\n"
    "  %mean.2: f32[32] = constant(value=normal(seed=123, std=0.1))\n"
    "  %var.2: f32[32] = constant(value=uniform(seed=124, lo=0.5, hi=1.5))\n"
    "  %2: f32[1, 32, 8, 8] = conv2d(%x, %w.2, stride=[2, 2], pad=[0, 0, 0, 0])\n"
    "  %shortcut: f32[1, 32, 8, 8] = batch_norm(%2, %gamma.2, %beta.2, %mean.2, %var.2)\n"
    "  %3: f32[1, 32, 8, 8] = add(%h.1, %shortcut)\n"
    "  %h.2: f32[1, 32, 8, 8] = relu(%3)\n"
    "  %w.3: f32[32, 32, 3, 3] = constant(value=normal(seed=200, std=0.1))\n"
    "  %gamma.3: f32[32] = constant(value=uniform(seed=201, lo=0.5, hi=1.5))\n"
    "  %beta.3: f32[32] = constant(value=normal(seed=202, std=0.1))\n"
    "  %mean.3: f32[32] = constant(value=normal(seed=203, std=0.1))\n"
    "  %var.3: f32[32] = constant(value=uniform(seed=204, lo=0.5, hi=1.5))\n"
    "  %4: f32[1, 32, 8, 8] = conv2d(%h.2, %w.3, stride=[1, 1], pad=[1, 1, 1, 1])\n"
    "  %y.1: f32[1, 32, 8, 8] = batch_norm(%4, %gamma.3, %beta.3, %mean.3, %var.3)\n"
    "  %h.3: f32[1, 32, 8, 8] = relu(%y.1)\n"
    "  %w.4: f32[32, 32, 3, 3] = constant(value=normal(seed=210, std=0.1))\n"
    "  %gamma.4: f32[32] = constant(value=uniform(seed=211, lo=0.5, hi=1.5))\n"
    "  %beta.4: f32[32] = constant(value=normal(seed=212, std=0.1))\n"
    "  %mean.4: f32[32] = constant(value=normal(seed=213, std=0.1))\n"
    "  %var.4: f32[32] = constant(value=uniform(seed=214, lo=0.5, hi=1.5))\n"
    "  %5: f32[1, 32, 8, 8] = conv2d(%h.3, %w.4, stride=[1, 1], pad=[1, 1, 1, 1])\n"
    "  %h.4: f32[1, 32, 8, 8] = batch_norm(%5, %gamma.4, %beta.4, %mean.4, %var.4)\n"
    "  %6: f32[1, 32, 8, 8] = add(%h.4, %h.2)\n"
    "  %y.2: f32[1, 32, 8, 8] = relu(%6)\n"
    "  return %y.2\n"
    "}\n";

/* The moves tile left in the plan: copies, fills and transfers. */
static int32_t move_tasks(const Plan *p) {
    int32_t n = 0;
    for (int32_t i = 0; i < p->ntasks; i++)
        n += p->tasks[i].kind == PLAN_COPY || p->tasks[i].kind == PLAN_FILL ||
             p->tasks[i].kind == PLAN_XCHG;
    return n;
}

/* Tile g (the middle end already run) for the plan for speed on preset. */
static void tile_for_speed(IrGraph *g, PassContext *pc, const char *preset) {
    pc->machine = isa_preset((IsaPreset)isa_preset_lookup(preset));
    pc->oom_quiet = true;
    pass_run(g, pc, PASS_tile);
}

/* The plan for speed runs dry first. On acc1-mini, resnet_block's weights,
 * resident in their readers' layouts, overflow a tile: the dry run says so
 * and tile stops before it has moved anything. On acc1 they fit, and the
 * real plan follows, moves and all. */
static void test_tile_dry_run(void **state) {
    (void)state;
    IrGraph *g = parse_ok(resnet_block);
    PassContext pc;
    pass_context_init(&pc);
    pass_pipeline(g, &pc); /* no machine: the middle end only */

    tile_for_speed(g, &pc, "acc1-mini");
    assert_false(pc.failed);
    assert_true(pc.oom);
    assert_non_null(pc.plan);
    assert_int_equal(move_tasks(pc.plan), 0);

    pc.oom = false;
    tile_for_speed(g, &pc, "acc1");
    assert_false(pc.failed);
    assert_false(pc.oom);
    assert_true(move_tasks(pc.plan) > 0);
    assert_non_null(pc.plan->out_buf);

    pass_context_free(&pc);
    ir_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_deterministic_and_idempotent),
        cmocka_unit_test(test_lowered_form),
        cmocka_unit_test(test_levels_agree),
        cmocka_unit_test(test_dumps_and_timings),
        cmocka_unit_test(test_progress_hook),
        cmocka_unit_test(test_dtypes),
        cmocka_unit_test(test_broadcast_strides),
        cmocka_unit_test(test_body_equal_and_hash),
        cmocka_unit_test(test_unfuse_exact),
        cmocka_unit_test(test_tile_dry_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The op table: every row parses, and the lookups built on it agree. */
#include "irtest.h"

static void test_every_row(void **state) {
    for (int k = 0; k < IR_OP_COUNT; k++) {
        const IrOpInfo *info = ir_op_info((IrOpKind)k);
        assert_non_null(info->infer);
        assert_non_null(info->eval);
        assert_true(strlen(info->doc) > 0);
        assert_true(info->nin_min >= 0);
        assert_true(info->nin_max == -1 || info->nin_max >= info->nin_min);
        assert_true(info->nout == 1 || info->nout == -1);
        assert_true(info->types != 0 && (info->types & ~(unsigned)TA) == 0);
        /* Names: found by lookup, and not a DSL keyword. */
        assert_int_equal(ir_op_lookup(info->name, strlen(info->name)), k);
        assert_string_equal(ir_op_name((IrOpKind)k), info->name);
        for (int i = 0; i < info->nattrs; i++) {
            const IrAttrSchema *s = &info->attrs[i];
            assert_int_equal(ir_attr_slot((IrOpKind)k, s->name), i);
            assert_true(s->kind > IR_ATTR_NONE && s->kind < IR_ATTR_KIND_COUNT);
            if (s->presence == IR_ATTR_DEFAULT) assert_int_equal(s->def.kind, s->kind);
            if (s->choices) {
                /* A default among the choices. */
                bool found = s->presence != IR_ATTR_DEFAULT;
                for (const char *const *c = s->choices; *c; c++)
                    found |= s->presence == IR_ATTR_DEFAULT && strcmp(*c, s->def.u.s) == 0;
                assert_true(found);
            }
        }
        assert_int_equal(ir_attr_slot((IrOpKind)k, "no_such_attribute"), -1);
        /* Elementwise ops take one to three operands. */
        if (info->flags & IR_EW) assert_true(info->nin_min >= 1 && info->nin_min <= 3);
    }
}

static void test_parsed_schemas(void **state) {
    const IrOpInfo *conv = ir_op_info(IR_OP_conv2d);
    assert_int_equal(conv->nin_min, 2);
    assert_int_equal(conv->nin_max, 3);
    assert_string_equal(conv->operand_names[2], "b");
    assert_int_equal(conv->nattrs, 4);
    assert_int_equal(conv->attrs[0].presence, IR_ATTR_INFERRED);
    assert_int_equal(conv->attrs[3].presence, IR_ATTR_DEFAULT);
    assert_int_equal(conv->attrs[3].def.u.i, 1);
    const IrOpInfo *concat = ir_op_info(IR_OP_concat);
    assert_int_equal(concat->nin_min, 1);
    assert_int_equal(concat->nin_max, -1);
    assert_int_equal(concat->attrs[0].presence, IR_ATTR_REQUIRED);
    const IrOpInfo *split = ir_op_info(IR_OP_split);
    assert_int_equal(split->nout, -1);
    const IrOpInfo *pad = ir_op_info(IR_OP_pad);
    assert_string_equal(pad->attrs[1].choices[2], "edge");
    assert_null(pad->attrs[1].choices[3]);
    const IrOpInfo *reduce = ir_op_info(IR_OP_reduce_sum);
    assert_int_equal(reduce->attrs[0].def.kind, IR_ATTR_INTS);
    assert_int_equal(reduce->attrs[0].def.n, 0);
    assert_int_equal(ir_op_info(IR_OP_constant)->nin_max, 0);
    assert_int_equal(ir_op_info(IR_OP_where)->types, TB);
}

static void test_lookups(void **state) {
    assert_int_equal(ir_op_lookup("relu", 4), IR_OP_relu);
    assert_int_equal(ir_op_lookup("relux", 4), IR_OP_relu); /* by length */
    assert_int_equal(ir_op_lookup("nope", 4), -1);
    assert_string_equal(ir_op_suggest("sofmax"), "softmax");
    assert_string_equal(ir_op_suggest("conv2"), "conv2d");
    assert_null(ir_op_suggest("zzzzzzzz"));
    assert_int_equal(ir_op_spatial_rank(IR_OP_conv1d), 1);
    assert_int_equal(ir_op_spatial_rank(IR_OP_avg_pool3d), 3);
    assert_int_equal(ir_op_spatial_rank(IR_OP_add), 0);
    assert_true(ir_dtype_in(ACC_DTYPE_BF16, TF));
    assert_false(ir_dtype_in(ACC_DTYPE_BF16, TI));
    assert_true(ir_dtype_in(ACC_DTYPE_U8, TI));
    assert_false(ir_dtype_in(ACC_DTYPE_F64, TA)); /* not an IR dtype */
    assert_string_equal(ir_types_text(TN), "f32 f16 bf16 i8 u8 i32 i64");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row),
        cmocka_unit_test(test_parsed_schemas),
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

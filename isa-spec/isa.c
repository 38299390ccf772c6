/*
 * Encoding, decoding and printing of ACC-1 instructions, all driven by the
 * rows of the generated isa_table.h. An operand field's raw bits and its
 * decoded value differ only by the field's kind:
 *
 *   mreg areg uimm csr   value = raw
 *   apair                value = 2 * raw        (the even register)
 *   aquad                value = 4 * raw
 *   simm soff            value = sign-extended raw
 *   pcrel                value = 4 * sign-extended raw   (bytes from pc)
 *   pcend                value = 4 + 4 * raw             (bytes from pc)
 */
#include "isa.h"

#include <string.h>

static const IsaInfo infos[] = {
#define ISA_INSN(ID, NAME, MNEM, MASK, MATCH, CTX, CLASS, FLOPS, SYNTAX, NOPS, O0, O1, O2, O3)     \
    {NAME,          MNEM,  MASK,   MATCH, ISA_CTX_##CTX,                                           \
     ISA_C_##CLASS, FLOPS, SYNTAX, NOPS,  {ISA_F_##O0, ISA_F_##O1, ISA_F_##O2, ISA_F_##O3}},
#include "isa_table.h"
};
_Static_assert(ACC_ARRAY_LEN(infos) == ISA_OP_COUNT, "one info per instruction");

static const IsaFieldInfo fields[] = {
#define ISA_FIELD(ID, NAME, LO, WIDTH, KIND, SLOT) {NAME, LO, WIDTH, ISA_K_##KIND, ISA_S_##SLOT},
#include "isa_table.h"
};
_Static_assert(ACC_ARRAY_LEN(fields) == ISA_F_NONE, "one info per field");

static const IsaClassInfo classes[] = {
#define ISA_CLASS(ID, NAME, TURNS, MACTYPE, MACS) {NAME, TURNS, ISA_MAC_##MACTYPE, MACS},
#include "isa_table.h"
};
_Static_assert(ACC_ARRAY_LEN(classes) == ISA_C_COUNT, "one info per class");

static const struct {
    unsigned number;
    const char *name, *doc;
} csrs[] =
    {
#define ISA_CSR(NAME, NUMBER, DOC) {NUMBER, #NAME, DOC},
#include "isa_table.h"
},
  traps[] = {
#define ISA_TRAP(NAME, NUMBER, DOC) {NUMBER, #NAME, DOC},
#include "isa_table.h"
};

#include "isa_decode.inc"

const IsaInfo *isa_info(IsaOp op) {
    if ((unsigned)op >= ISA_OP_COUNT) ice("bad opcode %d", (int)op);
    return &infos[op];
}

const IsaFieldInfo *isa_field(IsaFieldId f) {
    if ((unsigned)f >= ISA_F_NONE) ice("bad field %d", (int)f);
    return &fields[f];
}

const IsaClassInfo *isa_class(IsaClass c) {
    if ((unsigned)c >= ISA_C_COUNT) ice("bad class %d", (int)c);
    return &classes[c];
}

static int64_t sign_extend(uint32_t raw, unsigned width) {
    uint32_t sign = 1u << (width - 1);
    return (int64_t)(int32_t)((raw ^ sign) - sign);
}

static int64_t raw_to_value(const IsaFieldInfo *f, uint32_t raw) {
    switch (f->kind) {
    case ISA_K_APAIR: return 2 * (int64_t)raw;
    case ISA_K_AQUAD: return 4 * (int64_t)raw;
    case ISA_K_SIMM:
    case ISA_K_SOFF: return sign_extend(raw, f->width);
    case ISA_K_PCREL: return 4 * sign_extend(raw, f->width);
    case ISA_K_PCEND: return 4 + 4 * (int64_t)raw;
    default: return raw;
    }
}

static uint32_t value_to_raw(const IsaFieldInfo *f, int64_t v) {
    uint32_t mask = f->width >= 32 ? 0xffffffffu : (1u << f->width) - 1;
    switch (f->kind) {
    case ISA_K_APAIR: return (uint32_t)(v / 2) & mask;
    case ISA_K_AQUAD: return (uint32_t)(v / 4) & mask;
    case ISA_K_PCREL: return (uint32_t)(v / 4) & mask;
    case ISA_K_PCEND: return (uint32_t)((v - 4) / 4) & mask;
    default: return (uint32_t)v & mask;
    }
}

void isa_operand_range(IsaFieldId id, int64_t *min, int64_t *max, int64_t *step) {
    const IsaFieldInfo *f = isa_field(id);
    int64_t span = (int64_t)1 << f->width;
    *step = 1;
    switch (f->kind) {
    case ISA_K_APAIR: *step = 2; break;
    case ISA_K_AQUAD: *step = 4; break;
    case ISA_K_SIMM:
    case ISA_K_SOFF:
        *min = -span / 2;
        *max = span / 2 - 1;
        return;
    case ISA_K_PCREL:
        *min = -span / 2 * 4;
        *max = (span / 2 - 1) * 4;
        *step = 4;
        return;
    case ISA_K_PCEND:
        *min = 4;
        *max = span * 4;
        *step = 4;
        return;
    default: break;
    }
    *min = 0;
    *max = (span - 1) * *step;
}

bool isa_operand_fits(IsaFieldId f, int64_t value) {
    int64_t min, max, step;
    isa_operand_range(f, &min, &max, &step);
    return value >= min && value <= max && (value - min) % step == 0;
}

static void set_slot(IsaInsn *insn, IsaSlot slot, int64_t v) {
    switch (slot) {
    case ISA_S_D: insn->d = (uint8_t)v; break;
    case ISA_S_A: insn->a = (uint8_t)v; break;
    case ISA_S_B: insn->b = (uint8_t)v; break;
    case ISA_S_IMM: insn->imm = (int32_t)v; break;
    case ISA_S_IMM2: insn->imm2 = (int32_t)v; break;
    case ISA_S_NONE: ice("operand without a slot");
    }
}

int64_t isa_get_operand(const IsaInsn *insn, IsaFieldId f) {
    switch (isa_field(f)->slot) {
    case ISA_S_D: return insn->d;
    case ISA_S_A: return insn->a;
    case ISA_S_B: return insn->b;
    case ISA_S_IMM: return insn->imm;
    case ISA_S_IMM2: return insn->imm2;
    case ISA_S_NONE: break;
    }
    ice("field %s has no slot", isa_field(f)->name);
}

void isa_set_operand(IsaInsn *insn, IsaFieldId f, int64_t value) {
    set_slot(insn, isa_field(f)->slot, value);
}

bool isa_decode(uint32_t word, IsaInsn *out) {
    unsigned primary = word >> 25;
    for (unsigned k = isa_decode_start[primary]; k < isa_decode_start[primary + 1]; k++) {
        const IsaInfo *info = &infos[isa_decode_list[k]];
        if ((word & info->mask) != info->match) continue;
        memset(out, 0, sizeof *out);
        out->op = (IsaOp)isa_decode_list[k];
        for (unsigned i = 0; i < info->noperands; i++) {
            const IsaFieldInfo *f = &fields[info->operands[i]];
            uint32_t raw = (word >> f->lo) & (f->width >= 32 ? 0xffffffffu : (1u << f->width) - 1);
            set_slot(out, f->slot, raw_to_value(f, raw));
        }
        return true;
    }
    return false;
}

uint32_t isa_encode(const IsaInsn *insn) {
    const IsaInfo *info = isa_info(insn->op);
    uint32_t word = info->match;
    for (unsigned i = 0; i < info->noperands; i++) {
        IsaFieldId id = info->operands[i];
        int64_t v = isa_get_operand(insn, id);
        if (!isa_operand_fits(id, v))
            ice("%s: operand %s = %lld does not fit", info->name, fields[id].name, (long long)v);
        word |= value_to_raw(&fields[id], v) << fields[id].lo;
    }
    return word;
}

void isa_print_operand(StrBuf *out, const IsaInsn *insn, IsaFieldId id, uint32_t pc,
                       IsaLabelFn label, void *ctx) {
    const IsaFieldInfo *f = isa_field(id);
    int64_t v = isa_get_operand(insn, id);
    switch (f->kind) {
    case ISA_K_MREG: sb_printf(out, "m%d", (int)v); break;
    case ISA_K_AREG: sb_printf(out, "a%d", (int)v); break;
    case ISA_K_APAIR: sb_printf(out, "a%d:%d", (int)v, (int)v + 1); break;
    case ISA_K_AQUAD: sb_printf(out, "a%d:%d", (int)v, (int)v + 3); break;
    case ISA_K_SOFF:
        if (v) sb_printf(out, "%+lld", (long long)v);
        break;
    case ISA_K_PCREL:
    case ISA_K_PCEND: {
        int64_t target = (int64_t)pc + v;
        const char *name =
            label && target >= 0 && target <= UINT32_MAX ? label(ctx, (uint32_t)target) : NULL;
        if (name)
            sb_puts(out, name);
        else if (target < 0)
            sb_printf(out, "-0x%llx", (unsigned long long)-target);
        else
            sb_printf(out, "0x%llx", (unsigned long long)target);
        break;
    }
    case ISA_K_CSR: {
        const char *name = isa_csr_name((unsigned)v);
        if (name)
            sb_puts(out, name);
        else
            sb_printf(out, "%lld", (long long)v);
        break;
    }
    default: sb_printf(out, "%lld", (long long)v); break;
    }
}

void isa_print(StrBuf *out, const IsaInsn *insn, uint32_t pc, IsaLabelFn label, void *ctx) {
    const IsaInfo *info = isa_info(insn->op);
    size_t start = out->len;
    sb_puts(out, info->mnemonic);
    if (!*info->syntax) return;
    /* Operands start in column 9 (or one space after a long mnemonic). */
    do sb_putc(out, ' ');
    while (out->len - start < 8);
    for (const char *p = info->syntax; *p; p++) {
        if (*p != '{') {
            sb_putc(out, *p);
            continue;
        }
        const char *end = strchr(p, '}');
        for (unsigned i = 0; i < info->noperands; i++) {
            const char *name = fields[info->operands[i]].name;
            if (strlen(name) == (size_t)(end - p - 1) && !memcmp(name, p + 1, strlen(name)))
                isa_print_operand(out, insn, info->operands[i], pc, label, ctx);
        }
        p = end;
    }
}

const char *isa_csr_name(unsigned number) {
    for (size_t i = 0; i < ACC_ARRAY_LEN(csrs); i++)
        if (csrs[i].number == number) return csrs[i].name;
    return NULL;
}

int isa_csr_lookup(const char *name, size_t len) {
    for (size_t i = 0; i < ACC_ARRAY_LEN(csrs); i++)
        if (strlen(csrs[i].name) == len && !memcmp(csrs[i].name, name, len))
            return (int)csrs[i].number;
    return -1;
}

const char *isa_trap_name(unsigned number) {
    for (size_t i = 0; i < ACC_ARRAY_LEN(traps); i++)
        if (traps[i].number == number) return traps[i].name;
    return NULL;
}

const char *isa_trap_text(unsigned number) {
    for (size_t i = 0; i < ACC_ARRAY_LEN(traps); i++)
        if (traps[i].number == number) return traps[i].doc;
    return NULL;
}

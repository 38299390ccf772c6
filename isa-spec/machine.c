/*
 * The machine presets of presets.def and the cost of a cycle class on a
 * machine. A binary records the full IsaMachine it was built for, so users
 * may override any field of a preset (--tiles, --tile-memory, ...).
 */
#include "isa.h"

#include <stddef.h>
#include <string.h>

static const IsaMachine presets[] = {
#define PRESET(id, name, description, ...) {name, __VA_ARGS__},
#include "presets.def"
};
_Static_assert(ACC_ARRAY_LEN(presets) == ISA_PRESET_COUNT, "one machine per preset");

static const struct {
    const char *name, *doc;
    size_t offset;
} fields[] = {
#define MACHINE_FIELD(name, unit, description) {#name, description, offsetof(IsaMachine, name)},
#include "presets.def"
};
_Static_assert(ACC_ARRAY_LEN(fields) == ISA_MACHINE_FIELDS, "one entry per machine field");

const IsaMachine *isa_preset(IsaPreset p) {
    if ((unsigned)p >= ISA_PRESET_COUNT) ice("bad preset %d", (int)p);
    return &presets[p];
}

int isa_preset_lookup(const char *name) {
    for (int i = 0; i < ISA_PRESET_COUNT; i++)
        if (!strcmp(presets[i].preset, name)) return i;
    return -1;
}

const char *isa_machine_field_name(int field) {
    if ((unsigned)field >= ISA_MACHINE_FIELDS) ice("bad machine field %d", field);
    return fields[field].name;
}

const char *isa_machine_field_doc(int field) {
    if ((unsigned)field >= ISA_MACHINE_FIELDS) ice("bad machine field %d", field);
    return fields[field].doc;
}

int isa_machine_field_lookup(const char *name, size_t len) {
    for (int i = 0; i < ISA_MACHINE_FIELDS; i++)
        if (strlen(fields[i].name) == len && !memcmp(fields[i].name, name, len)) return i;
    return -1;
}

uint32_t isa_machine_get(const IsaMachine *m, int field) {
    uint32_t v;
    memcpy(&v, (const char *)m + fields[field].offset, sizeof v);
    return v;
}

void isa_machine_set(IsaMachine *m, int field, uint32_t value) {
    memcpy((char *)m + fields[field].offset, &value, sizeof value);
}

const char *isa_machine_check(const IsaMachine *m) {
    if (m->tiles < 1 || m->tiles > 65536) return "tiles must be 1 to 65536";
    if (m->sram_bytes < 1024 || m->sram_bytes > (1u << 24) || m->sram_bytes % 16)
        return "sram_bytes must be a multiple of 16 from 1 KiB to 16 MiB";
    if (m->workers < 1 || m->workers > 16) return "workers must be 1 to 16";
    if (!m->clock_khz) return "clock_khz must not be zero";
    if (!m->mac_f16 || !m->mac_f32 || !m->mac_i8) return "MAC rates must not be zero";
    if (!m->ldst_bytes || !m->xsend_bytes || !m->xrecv_bytes) return "bandwidths must not be zero";
    if (!m->host_mbps) return "host_mbps must not be zero";
    return NULL;
}

unsigned isa_class_turns(IsaClass c, const IsaMachine *m) {
    const IsaClassInfo *info = isa_class(c);
    if (info->turns) return info->turns;
    unsigned rate = info->mactype == ISA_MAC_F16   ? m->mac_f16
                    : info->mactype == ISA_MAC_F32 ? m->mac_f32
                                                   : m->mac_i8;
    unsigned turns = (info->macs + rate - 1) / rate;
    return turns ? turns : 1;
}

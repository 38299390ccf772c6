/*
 * Loading a binary: the reader checks everything (asm_image_read, which
 * runs asm_image_check), then each program is decoded once into two
 * views — what the supervisor executes and what a worker executes — so
 * that words that are no instruction, or instructions the context may not
 * run, become pseudo-ops that trap when reached. Nothing is decoded while
 * running.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static SimOp decode_one(uint32_t word, int view, const IsaMachine *mach) {
    SimOp op;
    memset(&op, 0, sizeof op);
    IsaInsn insn;
    if (!isa_decode(word, &insn)) {
        op.id = SIM_OP_ILLEGAL;
        return op;
    }
    const IsaInfo *info = isa_info(insn.op);
    op.id = (uint16_t)(info->ctx & (view ? ISA_CTX_W : ISA_CTX_S) ? insn.op : SIM_OP_CONTEXT);
    op.d = insn.d;
    op.a = insn.a;
    op.b = insn.b;
    op.imm = insn.imm;
    op.imm2 = insn.imm2;
    op.gap = (uint16_t)(mach->workers * isa_class_turns(info->cls, mach));
    return op;
}

static void decode_programs(SimModel *m) {
    const AsmImage *img = m->img;
    m->progs = xcalloc(img->nprograms + 1, sizeof *m->progs);
    for (size_t p = 0; p < img->nprograms; p++) {
        const AsmProgram *src = &img->programs[p];
        SimProgram *prog = &m->progs[p];
        prog->bytes = (uint32_t)(src->ncode * 4);
        prog->words = src->code;
        for (int view = 0; view < 2; view++) {
            prog->view[view] = xmalloc(src->ncode * sizeof(SimOp));
            for (size_t i = 0; i < src->ncode; i++)
                prog->view[view][i] = decode_one(src->code[i], view, &img->machine);
        }
    }
}

static void describe(SimTensor *t, const AsmIo *io) {
    memset(t, 0, sizeof *t);
    t->name = io->name;
    t->dtype = io->dtype;
    t->ndim = io->ndim;
    for (int d = 0; d < io->ndim; d++) t->shape[d] = io->shape[d];
    t->count = (uint64_t)asm_io_elements(io);
    t->bytes = t->count * dtype_size(io->dtype);
}

static void describe_tensors(SimModel *m) {
    const AsmImage *img = m->img;
    size_t n = img->nios + 1;
    m->inputs = xcalloc(n, sizeof *m->inputs);
    m->outputs = xcalloc(n, sizeof *m->outputs);
    m->input_io = xcalloc(n, sizeof *m->input_io);
    m->output_io = xcalloc(n, sizeof *m->output_io);
    m->io_ref = xcalloc(n, sizeof *m->io_ref);
    m->in_buf = xcalloc(n, sizeof *m->in_buf);
    m->out_buf = xcalloc(n, sizeof *m->out_buf);
    for (size_t i = 0; i < img->nios; i++) {
        const AsmIo *io = &img->ios[i];
        if (io->output) {
            m->io_ref[i] = (SimIoRef){true, m->noutputs};
            m->output_io[m->noutputs] = io;
            describe(&m->outputs[m->noutputs++], io);
        } else {
            m->io_ref[i] = (SimIoRef){false, m->ninputs};
            m->input_io[m->ninputs] = io;
            describe(&m->inputs[m->ninputs++], io);
        }
    }
}

/* Takes ownership of img, which asm_image_check has accepted. */
static SimModel *model_from(AsmImage *img) {
    SimModel *m = xcalloc(1, sizeof *m);
    m->img = img;
    m->machine = img->machine;
    sb_init(&m->message);
    decode_programs(m);
    describe_tensors(m);
    return m;
}

SimModel *sim_load_memory(const void *data, size_t len, char *err, size_t errlen) {
    AsmImage *img = asm_image_read(data, len, err, errlen);
    return img ? model_from(img) : NULL;
}

SimModel *sim_load_file(const char *path, char *err, size_t errlen) {
    AsmImage *img = asm_image_load(path, err, errlen);
    return img ? model_from(img) : NULL;
}

SimModel *sim_load_image(const AsmImage *img, char *err, size_t errlen) {
    /* The canonical bytes, read back: a deep copy that is checked on the way. */
    if (!asm_image_check(img, err, errlen)) return NULL;
    StrBuf bytes;
    sb_init(&bytes);
    asm_image_write(img, &bytes);
    SimModel *m = sim_load_memory(bytes.data, bytes.len, err, errlen);
    sb_free(&bytes);
    return m;
}

void sim_free(SimModel *m) {
    if (!m) return;
    sim_free_run(m);
    free(m->staging);
    for (size_t p = 0; p < m->img->nprograms; p++) {
        free(m->progs[p].view[0]);
        free(m->progs[p].view[1]);
    }
    free(m->progs);
    free(m->inputs);
    free(m->outputs);
    free(m->input_io);
    free(m->output_io);
    free(m->io_ref);
    free(m->in_buf);
    free(m->out_buf);
    sb_free(&m->message);
    asm_image_free(m->img);
    free(m);
}

const IsaMachine *sim_machine(const SimModel *m) {
    return &m->machine;
}

/* ---- inputs and outputs ------------------------------------------------------------- */

int sim_num_inputs(const SimModel *m) {
    return m->ninputs;
}

int sim_num_outputs(const SimModel *m) {
    return m->noutputs;
}

const SimTensor *sim_input(const SimModel *m, int k) {
    return k >= 0 && k < m->ninputs ? &m->inputs[k] : NULL;
}

const SimTensor *sim_output(const SimModel *m, int k) {
    return k >= 0 && k < m->noutputs ? &m->outputs[k] : NULL;
}

static int find(const SimTensor *list, int n, const char *name) {
    for (int k = 0; k < n; k++)
        if (!strcmp(list[k].name, name)) return k;
    return -1;
}

int sim_find_input(const SimModel *m, const char *name) {
    return find(m->inputs, m->ninputs, name);
}

int sim_find_output(const SimModel *m, const char *name) {
    return find(m->outputs, m->noutputs, name);
}

bool sim_bind_input(SimModel *m, int k, const void *data) {
    if (k < 0 || k >= m->ninputs) return false;
    m->in_buf[k] = data;
    return true;
}

bool sim_bind_output(SimModel *m, int k, void *data) {
    if (k < 0 || k >= m->noutputs) return false;
    m->out_buf[k] = data;
    return true;
}

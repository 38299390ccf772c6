/*
 * backend — code generation for ACC-1 (docs/backend.md): from the plan the
 * backend passes (tile, schedule, place) leave on a PassContext to a
 * binary image (assembler/asm.h's AsmImage) and its assembly text.
 *
 *   PassContext pc;  pass_context_init(&pc);
 *   pc.machine = isa_preset(ISA_PRESET_acc1);  pc.diag = &diag;
 *   if (backend_compile(g, &pc, &out) == 0) asm_image_save(out.image, ...);
 *
 * Exports are grouped by the file that defines them.
 */
#ifndef ACCC_BACKEND_H
#define ACCC_BACKEND_H

#include "asm.h"
#include "passes.h"

/* ---- compile.c: the whole backend ---------------------------------------------- */

typedef struct BackendOutput {
    AsmImage *image; /* the binary (free with asm_image_free) */
    StrBuf asm_text; /* assembly text when asked for, acc-as turns it into image */
    StrBuf report;   /* the --report JSON when asked for */
} BackendOutput;

typedef struct BackendOptions {
    bool want_asm;    /* fill asm_text */
    bool want_report; /* fill report */
} BackendOptions;

/* Run the middle end and the backend passes on g (pc->machine set), then
 * generate code. Returns 0 and fills out, or -1 after reporting a user
 * error to pc->diag (the model does not fit, an op the backend cannot
 * compile). */
int backend_compile(IrGraph *g, PassContext *pc, const BackendOptions *opts, BackendOutput *out);
/* Generate code for a placed plan (the passes already ran). */
int backend_generate(const Plan *p, const BackendOptions *opts, BackendOutput *out);
void backend_output_free(BackendOutput *out);

#endif

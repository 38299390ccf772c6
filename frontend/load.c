/*
 * Loading a model by its extension: .g (the DSL), .ir (the IR text form),
 * .onnx (the ONNX importer). Standard input ("-") is read as DSL. Inputs
 * named by --freeze become constants: the ONNX importer does it while it
 * imports (a frozen input may decide shapes), fe_freeze_inputs does it
 * for the other formats once the graph is built.
 */
#include "frontend.h"

#include <stdlib.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

FeFormat fe_format_of(const char *path) {
    if (strcmp(path, "-") == 0 || ends_with(path, ".g")) return FE_FORMAT_DSL;
    if (ends_with(path, ".ir")) return FE_FORMAT_IR;
    if (ends_with(path, ".onnx")) return FE_FORMAT_ONNX;
    return FE_FORMAT_UNKNOWN;
}

int fe_freeze_value(const FeFreeze *f, FileDeps *deps, NpyArray *out, bool *owned, char *err,
                    size_t errlen) {
    *owned = false;
    if (f->value) {
        *out = *f->value;
        return 0;
    }
    if (npy_load(f->path, out, err, errlen) < 0) return -1;
    deps_add(deps, f->path);
    *owned = true;
    return 0;
}

IrRef fe_freeze_constant(IrGraph *g, const FeFreeze *f, FileDeps *deps, const IrType *want,
                         SrcLoc loc, Diag *d) {
    NpyArray a;
    bool owned;
    char err[600];
    if (fe_freeze_value(f, deps, &a, &owned, err, sizeof err) < 0) {
        diag_error(d, loc, "--freeze %s: %s", f->name, err);
        return IR_NONE;
    }
    bool shape_ok = a.ndim == want->rank;
    for (int i = 0; shape_ok && i < want->rank; i++)
        shape_ok = want->dims[i] < 0 || a.shape[i] == want->dims[i];
    bool convert = (a.dtype == ACC_DTYPE_F64 && (dtype_flags(want->dtype) & DT_FLOAT)) ||
                   (a.dtype == ACC_DTYPE_F32 && want->dtype == ACC_DTYPE_BF16);
    IrRef v = IR_NONE;
    if (!shape_ok || (a.dtype != want->dtype && !convert)) {
        IrType have = ir_type(a.dtype, a.ndim < IR_MAX_RANK ? a.ndim : IR_MAX_RANK, a.shape);
        char w[160];
        snprintf(w, sizeof w, "%s", ir_type_str(want));
        diag_error(d, loc, "--freeze %s: the input is %s, but the value is %s", f->name, w,
                   ir_type_str(&have));
    } else {
        void *conv = NULL;
        if (convert) {
            conv = xmalloc((a.count ? a.count : 1) * dtype_size(want->dtype));
            for (size_t k = 0; k < a.count; k++)
                dtype_set(want->dtype, conv, k, dtype_get(a.dtype, a.data, k));
        }
        IrType t = ir_type(want->dtype, a.ndim, a.shape);
        v = ir_constant(g, &t, conv ? conv : a.data, loc);
        free(conv);
    }
    if (owned) npy_free(&a);
    return v;
}

bool fe_freeze_inputs(IrGraph *g, const FeOptions *opts, Diag *d) {
    bool ok = true;
    for (int k = 0; k < opts->nfreezes; k++) {
        const FeFreeze *f = &opts->freezes[k];
        int index = -1;
        for (int i = 0; i < g->ninputs && index < 0; i++) {
            const char *name = g->vals[g->inputs[i]].name;
            if (name && strcmp(name, f->name) == 0) index = i;
        }
        if (index < 0) {
            diag_error(d, diag_loc(0, 0, 0), "--freeze %s: the model has no input '%s'", f->name,
                       f->name);
            ok = false;
            continue;
        }
        IrRef in = g->inputs[index];
        IrType want = g->vals[in].type;
        ir_set_insert_point(g, g->first);
        IrRef c = fe_freeze_constant(g, f, opts->deps, &want, diag_loc(0, 0, 0), d);
        ir_set_insert_point(g, IR_NONE);
        if (!c) {
            ok = false;
            continue;
        }
        ir_replace_uses(g, in, c);
        ir_value_set_name(g, c, f->name);
        ir_remove_input(g, index);
    }
    return ok && ir_verify(g, d);
}

IrGraph *fe_load(const char *path, const FeOptions *opts, Diag *d) {
    FeOptions none;
    memset(&none, 0, sizeof none);
    if (!opts) opts = &none;
    FeFormat format = fe_format_of(path);
    if (format == FE_FORMAT_UNKNOWN) {
        diag_error(d, diag_loc(0, 0, 0),
                   "'%s': unknown model format (expected a .g, .ir or .onnx file)", path);
        return NULL;
    }
    if (format == FE_FORMAT_ONNX) return fe_onnx_import(path, opts, d);
    size_t len;
    char err[512];
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        diag_error(d, diag_loc(0, 0, 0), "%s", err);
        return NULL;
    }
    deps_add(opts->deps, path);
    char *dir = path_dirname(path);
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    IrGraph *g = NULL;
    if (format == FE_FORMAT_DSL) {
        g = fe_dsl_parse(name, text, len, dir, opts, d);
    } else {
        IrParseOptions po;
        memset(&po, 0, sizeof po);
        po.entry = opts->entry;
        po.base_dir = dir;
        po.max_const_bytes = opts->max_const_bytes;
        po.no_files = opts->no_files;
        po.deps = opts->deps;
        g = ir_parse(name, text, len, &po, d);
    }
    free(dir);
    free(text);
    if (g && opts->nfreezes && !fe_freeze_inputs(g, opts, d)) {
        ir_graph_free(g);
        g = NULL;
    }
    return g;
}

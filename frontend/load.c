/*
 * Loading a model by its extension: .g (the DSL), .ir (the IR text form);
 * .onnx joins here when the importer exists. Standard input ("-") is read
 * as DSL.
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
    if (format == FE_FORMAT_ONNX) {
        diag_error(d, diag_loc(0, 0, 0), "'%s': ONNX models are not supported yet", path);
        return NULL;
    }
    size_t len;
    char err[512];
    char *text = file_read(path, &len, err, sizeof err);
    if (!text) {
        diag_error(d, diag_loc(0, 0, 0), "%s", err);
        return NULL;
    }
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
        g = ir_parse(name, text, len, &po, d);
    }
    free(dir);
    free(text);
    return g;
}

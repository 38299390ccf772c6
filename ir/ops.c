/*
 * The op table: the rows of ops.def, with their operand lists and attribute
 * schemas parsed once into IrOpInfo. A malformed row is an internal error
 * on first use (and the ops unit test uses them all).
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

typedef struct OpRow {
    const char *name, *operands, *results;
    unsigned types, flags;
    const char *attrs;
    bool (*infer)(IrInfer *);
    int (*eval)(IrEval *);
    const char *doc;
} OpRow;

static const OpRow rows[] = {
#define OP(name, operands, results, types, flags, attrs, infer, eval, doc)                         \
    [IR_OP_##name] = {#name, operands, results, types, flags, attrs, infer, eval, doc},
#include "ops.def"
#undef OP
};
_Static_assert(ACC_ARRAY_LEN(rows) == IR_OP_COUNT, "ops.def rows out of step");

static IrOpInfo infos[IR_OP_COUNT];
static once_flag infos_once = ONCE_FLAG_INIT;

static const char *const kind_names[IR_ATTR_KIND_COUNT] = {
    [IR_ATTR_NONE] = "none", [IR_ATTR_INT] = "int",       [IR_ATTR_FLOAT] = "float",
    [IR_ATTR_BOOL] = "bool", [IR_ATTR_STR] = "str",       [IR_ATTR_DTYPE] = "dtype",
    [IR_ATTR_INTS] = "ints", [IR_ATTR_FLOATS] = "floats", [IR_ATTR_TENSOR] = "tensor",
    [IR_ATTR_BODY] = "body",
};

const char *ir_attr_kind_name(IrAttrKind kind) {
    return (unsigned)kind < IR_ATTR_KIND_COUNT ? kind_names[kind] : "?";
}

/* ---- Parsing the table's columns ---------------------------------------------- */

static ACC_NORETURN void bad_row(const char *op, const char *what, const char *text) {
    ice("ops.def: op '%s': bad %s \"%s\"", op, what, text);
}

/* Split text at spaces into words (xstrdup'd, kept for the process). */
static int split_words(const char *text, char **words, int max, const char *op) {
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *start = p;
        int depth = 0; /* spaces inside [..] or {..} do not split */
        while (*p && (*p != ' ' || depth)) {
            if (*p == '[' || *p == '{') depth++;
            if (*p == ']' || *p == '}') depth--;
            p++;
        }
        if (n == max) bad_row(op, "list (too many entries)", text);
        words[n++] = xstrndup(start, (size_t)(p - start));
    }
    return n;
}

static void parse_operands(IrOpInfo *info, const char *text) {
    char *words[8];
    int n = split_words(text, words, 8, info->name);
    if (n > (int)ACC_ARRAY_LEN(info->operand_names)) bad_row(info->name, "operands", text);
    info->nin_min = info->nin_max = n;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (len > 3 && strcmp(words[i] + len - 3, "...") == 0) {
            if (i != n - 1) bad_row(info->name, "operands", text);
            words[i][len - 3] = '\0';
            info->nin_max = -1;
        } else if (len > 1 && words[i][len - 1] == '*') {
            /* zero or more */
            if (i != n - 1 || info->nin_min != n) bad_row(info->name, "operands", text);
            words[i][len - 1] = '\0';
            info->nin_min = i;
            info->nin_max = -1;
        } else if (len > 1 && words[i][len - 1] == '?') {
            words[i][len - 1] = '\0';
            if (info->nin_min == n) info->nin_min = i;
        } else if (info->nin_min != n) {
            bad_row(info->name, "operands (optional ones must come last)", text);
        }
        info->operand_names[i] = words[i];
    }
}

static void parse_results(IrOpInfo *info, const char *text) {
    char *words[2];
    if (split_words(text, words, 2, info->name) != 1) bad_row(info->name, "results", text);
    size_t len = strlen(words[0]);
    info->nout = 1;
    if (len > 3 && strcmp(words[0] + len - 3, "...") == 0) {
        words[0][len - 3] = '\0';
        info->nout = -1;
    }
    info->result_name = words[0];
}

static IrAttrKind kind_from_name(const char *s, size_t len) {
    for (int k = IR_ATTR_INT; k < IR_ATTR_KIND_COUNT; k++)
        if (strlen(kind_names[k]) == len && strncmp(kind_names[k], s, len) == 0) return k;
    return IR_ATTR_NONE;
}

/* "[1, 2]" or "[]" into an xmalloc'd list. */
static int parse_list(const char *s, int64_t **is, double **fs, bool floats, const char *op) {
    if (*s != '[') bad_row(op, "list default", s);
    int64_t *iv = xmalloc(IR_MAX_RANK * 2 * sizeof *iv);
    double *fv = xmalloc(IR_MAX_RANK * 2 * sizeof *fv);
    int n = 0;
    const char *p = s + 1;
    while (*p && *p != ']') {
        char *end;
        if (n == IR_MAX_RANK * 2) bad_row(op, "list default", s);
        if (floats)
            fv[n++] = strtod(p, &end);
        else
            iv[n++] = strtoll(p, &end, 10);
        if (end == p) bad_row(op, "list default", s);
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    *is = iv;
    *fs = fv;
    return n;
}

static void parse_default(IrAttrSchema *s, const char *text, const char *op) {
    char *end;
    IrAttr *d = &s->def;
    d->kind = s->kind;
    switch (s->kind) {
    case IR_ATTR_INT:
        d->u.i = strtoll(text, &end, 10);
        if (*end || end == text) bad_row(op, "int default", text);
        break;
    case IR_ATTR_FLOAT:
        d->u.f = strtod(text, &end);
        if (*end || end == text) bad_row(op, "float default", text);
        break;
    case IR_ATTR_BOOL:
        if (strcmp(text, "true") && strcmp(text, "false")) bad_row(op, "bool default", text);
        d->u.i = strcmp(text, "true") == 0;
        break;
    case IR_ATTR_STR: d->u.s = xstrdup(text); break;
    case IR_ATTR_DTYPE: {
        int t = dtype_lookup(text, strlen(text));
        if (t < 0) bad_row(op, "dtype default", text);
        d->u.t = (AccDtype)t;
        break;
    }
    case IR_ATTR_INTS:
    case IR_ATTR_FLOATS: {
        int64_t *is;
        double *fs;
        d->n = parse_list(text, &is, &fs, s->kind == IR_ATTR_FLOATS, op);
        if (s->kind == IR_ATTR_INTS) {
            d->u.is = is;
            free(fs);
        } else {
            d->u.fs = fs;
            free(is);
        }
        break;
    }
    default: bad_row(op, "default for this kind", text);
    }
}

/* "mode:str{constant,reflect,edge}=constant", "stride:ints?", "to:dtype" */
static void parse_attr(IrAttrSchema *s, char *word, const char *op) {
    s->text = xstrdup(word);
    char *colon = strchr(word, ':');
    if (!colon) bad_row(op, "attribute", word);
    *colon = '\0';
    s->name = word;
    char *kind = colon + 1;
    size_t klen = strcspn(kind, "{=?");
    s->kind = kind_from_name(kind, klen);
    if (s->kind == IR_ATTR_NONE) bad_row(op, "attribute kind", kind);
    char *rest = kind + klen;
    if (*rest == '{') {
        char *close = strchr(rest, '}');
        if (!close || s->kind != IR_ATTR_STR) bad_row(op, "attribute choices", rest);
        *close = '\0';
        const char **choices = xcalloc(16, sizeof *choices);
        int n = 0;
        for (char *c = strtok(rest + 1, ","); c; c = strtok(NULL, ",")) {
            if (n == 15) bad_row(op, "attribute choices (too many)", rest);
            choices[n++] = c;
        }
        s->choices = choices;
        rest = close + 1;
    }
    if (*rest == '=') {
        s->presence = IR_ATTR_DEFAULT;
        parse_default(s, rest + 1, op);
    } else if (*rest == '?' && rest[1] == '\0') {
        s->presence = IR_ATTR_INFERRED;
    } else if (*rest == '\0') {
        s->presence = IR_ATTR_REQUIRED;
    } else {
        bad_row(op, "attribute suffix", rest);
    }
}

static void init_infos(void) {
    for (int k = 0; k < IR_OP_COUNT; k++) {
        const OpRow *r = &rows[k];
        IrOpInfo *info = &infos[k];
        info->name = r->name;
        info->types = r->types;
        info->flags = r->flags;
        info->infer = r->infer;
        info->eval = r->eval;
        info->operands_text = r->operands;
        info->results_text = r->results;
        info->attrs_text = r->attrs;
        info->doc = r->doc;
        parse_operands(info, r->operands);
        parse_results(info, r->results);
        char *words[IR_MAX_ATTRS];
        info->nattrs = split_words(r->attrs, words, IR_MAX_ATTRS, r->name);
        for (int i = 0; i < info->nattrs; i++) {
            parse_attr(&info->attrs[i], words[i], r->name);
            for (int j = 0; j < i; j++)
                if (strcmp(info->attrs[j].name, info->attrs[i].name) == 0)
                    bad_row(r->name, "attributes (duplicate name)", r->attrs);
        }
    }
}

/* ---- Lookups ------------------------------------------------------------------- */

const IrOpInfo *ir_op_info(IrOpKind kind) {
    if ((unsigned)kind >= IR_OP_COUNT) ice("ir_op_info: bad op kind %d", (int)kind);
    call_once(&infos_once, init_infos);
    return &infos[kind];
}

const char *ir_op_name(IrOpKind kind) {
    return (unsigned)kind < IR_OP_COUNT ? rows[kind].name : "?";
}

int ir_op_lookup(const char *name, size_t len) {
    for (int k = 0; k < IR_OP_COUNT; k++)
        if (strlen(rows[k].name) == len && memcmp(rows[k].name, name, len) == 0) return k;
    return -1;
}

const char *ir_op_suggest(const char *name) {
    const char *names[IR_OP_COUNT];
    for (int k = 0; k < IR_OP_COUNT; k++) names[k] = rows[k].name;
    return str_suggest(name, names, IR_OP_COUNT);
}

int ir_attr_slot(IrOpKind kind, const char *name) {
    const IrOpInfo *info = ir_op_info(kind);
    for (int i = 0; i < info->nattrs; i++)
        if (strcmp(info->attrs[i].name, name) == 0) return i;
    return -1;
}

bool ir_dtype_in(AccDtype t, unsigned types) {
    unsigned f = dtype_flags(t);
    if (!(f & DT_IR)) return false;
    if (f & DT_FLOAT) return types & TF;
    if (f & (DT_INT | DT_UINT)) return types & TI;
    if (f & DT_BOOL) return types & TB;
    return false;
}

const char *ir_types_text(unsigned types) {
    static char buf[64];
    buf[0] = '\0';
    for (int t = 0; t < ACC_DTYPE_COUNT; t++) {
        if (!ir_dtype_in((AccDtype)t, types)) continue;
        if (buf[0]) strcat(buf, " ");
        strcat(buf, dtype_name((AccDtype)t));
    }
    return buf;
}

int ir_op_spatial_rank(IrOpKind kind) {
    switch (kind) {
    case IR_OP_conv1d:
    case IR_OP_conv_transpose1d:
    case IR_OP_max_pool1d:
    case IR_OP_avg_pool1d: return 1;
    case IR_OP_conv2d:
    case IR_OP_conv_transpose2d:
    case IR_OP_max_pool2d:
    case IR_OP_avg_pool2d: return 2;
    case IR_OP_conv3d:
    case IR_OP_conv_transpose3d:
    case IR_OP_max_pool3d:
    case IR_OP_avg_pool3d: return 3;
    default: return 0;
    }
}

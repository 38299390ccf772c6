/*
 * onnx-read-check SUITE: read every model.onnx and every test data .pb of
 * ONNX's generated backend test suite (gen_node_tests.py) with accc's
 * reader, and print one canonical summary of what was read. check_reader.py
 * prints the same summary from ONNX's own Python package and compares.
 *
 * Output, one record per line, fields separated by tabs:
 *
 *   model   REL  OK            then the model's summary, each line indented
 *   model   REL  ERROR  MSG    the reader's first message
 *   tensor  REL  OK  NAME|TYPE|DIMS|DTYPE|CRC
 *   tensor  REL  ERROR  MSG
 *   value   REL  SKIP  KIND    a sequence, map or optional value: not a tensor
 *
 * A test data file input_K.pb / output_K.pb holds the value of the K-th
 * graph input / output; the model's type for it says whether the file is a
 * TensorProto (read) or another message (skipped). CRC is the CRC-32
 * (zlib's) of the converted data, so values are compared too.
 */
#include "onnx.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-32, as zlib computes it ------------------------------------------- */

static uint32_t crc32_of(const void *data, size_t len) {
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    }
    uint32_t c = 0xffffffffu;
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ---- Summaries ------------------------------------------------------------- */

static void put_type(StrBuf *out, const OnnxType *t) {
    switch (t->kind) {
    case ONNX_TYPE_NONE: sb_puts(out, "none"); return;
    case ONNX_TYPE_TENSOR:
    case ONNX_TYPE_SPARSE_TENSOR:
        sb_printf(out, "%s:%d:", t->kind == ONNX_TYPE_TENSOR ? "tensor" : "sparse",
                  (int)t->elem_type);
        if (!t->has_shape) {
            sb_putc(out, '*');
            return;
        }
        sb_putc(out, '[');
        for (int i = 0; i < t->ndim; i++) {
            if (i) sb_putc(out, ',');
            if (t->dims[i].param)
                sb_printf(out, "$%s", t->dims[i].param);
            else if (t->dims[i].value >= 0)
                sb_printf(out, "%lld", (long long)t->dims[i].value);
            else
                sb_putc(out, '?');
        }
        sb_putc(out, ']');
        return;
    case ONNX_TYPE_SEQUENCE:
    case ONNX_TYPE_OPTIONAL:
    case ONNX_TYPE_MAP:
        sb_puts(out, t->kind == ONNX_TYPE_SEQUENCE ? "seq("
                     : t->kind == ONNX_TYPE_MAP    ? "map("
                                                   : "opt(");
        if (t->kind == ONNX_TYPE_MAP) sb_printf(out, "%d,", (int)t->key_type);
        if (t->elem)
            put_type(out, t->elem);
        else
            sb_puts(out, "none");
        sb_putc(out, ')');
        return;
    }
}

static void put_tensor(StrBuf *out, const OnnxTensor *t) {
    sb_printf(out, "%s|%d|", t->name, (int)t->onnx_type);
    for (int i = 0; i < t->ndim; i++) sb_printf(out, "%s%lld", i ? "," : "", (long long)t->dims[i]);
    sb_printf(out, "|%s|%08x", dtype_name(t->dtype),
              crc32_of(t->data, t->count * dtype_size(t->dtype)));
}

static void put_hex(StrBuf *out, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) sb_printf(out, "%02x", (unsigned char)s[i]);
}

static void put_names(StrBuf *out, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) sb_printf(out, "%s%s", i ? "," : "", names[i]);
}

static void summarize_graph(StrBuf *out, const OnnxGraph *g);

static void summarize_attr(StrBuf *out, const OnnxAttr *a) {
    sb_printf(out, "  attr\t%s\t%s\t", a->name, onnx_attr_type_name(a->type));
    switch (a->type) {
    case ONNX_ATTR_FLOAT: sb_printf(out, "%08x", f32_bits(a->f)); break;
    case ONNX_ATTR_INT: sb_printf(out, "%lld", (long long)a->i); break;
    case ONNX_ATTR_STRING: put_hex(out, a->s.data, a->s.len); break;
    case ONNX_ATTR_TENSOR: put_tensor(out, a->t); break;
    case ONNX_ATTR_FLOATS:
        for (size_t i = 0; i < a->nfloats; i++)
            sb_printf(out, "%s%08x", i ? "," : "", f32_bits(a->floats[i]));
        break;
    case ONNX_ATTR_INTS:
        for (size_t i = 0; i < a->nints; i++)
            sb_printf(out, "%s%lld", i ? "," : "", (long long)a->ints[i]);
        break;
    case ONNX_ATTR_STRINGS:
        for (size_t i = 0; i < a->nstrings; i++) {
            if (i) sb_putc(out, ',');
            put_hex(out, a->strings[i].data, a->strings[i].len);
        }
        break;
    case ONNX_ATTR_TENSORS:
        for (size_t i = 0; i < a->ntensors; i++) {
            if (i) sb_putc(out, ',');
            put_tensor(out, &a->tensors[i]);
        }
        break;
    case ONNX_ATTR_GRAPH:
        sb_putc(out, '\n');
        summarize_graph(out, a->g);
        return;
    case ONNX_ATTR_GRAPHS:
        sb_printf(out, "%zu\n", a->ngraphs);
        for (size_t i = 0; i < a->ngraphs; i++) summarize_graph(out, &a->graphs[i]);
        return;
    default: break; /* not decoded */
    }
    sb_putc(out, '\n');
}

static void summarize_nodes(StrBuf *out, const OnnxNode *nodes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const OnnxNode *nd = &nodes[i];
        sb_printf(out, "  node\t%s\t%s\t%s\t", nd->domain, nd->op_type, nd->name);
        put_names(out, nd->inputs, nd->ninputs);
        sb_putc(out, '\t');
        put_names(out, nd->outputs, nd->noutputs);
        sb_putc(out, '\n');
        for (size_t k = 0; k < nd->nattrs; k++) summarize_attr(out, &nd->attrs[k]);
    }
}

static void summarize_values(StrBuf *out, const char *what, const OnnxValueInfo *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        sb_printf(out, "  %s\t%s\t", what, v[i].name);
        put_type(out, &v[i].type);
        sb_putc(out, '\n');
    }
}

static void summarize_graph(StrBuf *out, const OnnxGraph *g) {
    sb_printf(out, "  graph\t%s\n", g->name);
    summarize_values(out, "input", g->inputs, g->ninputs);
    summarize_values(out, "output", g->outputs, g->noutputs);
    summarize_values(out, "value_info", g->value_infos, g->nvalue_infos);
    for (size_t i = 0; i < g->ninitializers; i++) {
        sb_puts(out, "  init\t");
        put_tensor(out, &g->initializers[i]);
        sb_putc(out, '\n');
    }
    summarize_nodes(out, g->nodes, g->nnodes);
    sb_puts(out, "  end\n");
}

static void summarize_model(StrBuf *out, const OnnxModel *m) {
    sb_printf(out, "  ir_version\t%lld\n", (long long)m->ir_version);
    for (size_t i = 0; i < m->nopsets; i++)
        sb_printf(out, "  opset\t%s\t%lld\n", m->opsets[i].domain, (long long)m->opsets[i].version);
    for (size_t i = 0; i < m->nfunctions; i++) {
        const OnnxFunction *f = &m->functions[i];
        sb_printf(out, "  function\t%s\t%s\n", f->domain, f->name);
        summarize_nodes(out, f->nodes, f->nnodes);
    }
    summarize_graph(out, &m->graph);
}

/* ---- Walking the suite --------------------------------------------------------- */

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir whose names start with prefix, sorted; NULL-terminated. */
static char **list_dir(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    char **names = NULL;
    XGROW(names, cap, 1);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
            XGROW(names, cap, n + 2);
            names[n++] = xstrdup(e->d_name);
        }
        closedir(d);
    }
    names[n] = NULL;
    qsort(names, n, sizeof(char *), compare_names);
    return names;
}

static void free_list(char **names) {
    for (char **p = names; *p; p++) free(*p);
    free(names);
}

/* A Diag whose messages are kept, so the first can go into the report. */
typedef struct Capture {
    Diag d;
    FILE *f;
    char *buf;
    size_t len;
} Capture;

static void capture_init(Capture *c) {
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    if (!c->f) ice("open_memstream failed");
    diag_init(&c->d, "onnx-read-check", c->f);
    c->d.color = false;
}

/* The first message line, without its trailing newline. */
static const char *capture_first(Capture *c) {
    fflush(c->f);
    if (!c->buf) return "(no message)";
    char *nl = strchr(c->buf, '\n');
    if (nl) *nl = '\0';
    return c->buf;
}

static void capture_free(Capture *c) {
    diag_free(&c->d);
    fclose(c->f);
    free(c->buf);
}

static char *join(const char *a, const char *b) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s/%s", a, b);
    return sb_take(&sb);
}

/* One test data file: rel is relative to the suite, path absolute. */
static void check_value(StrBuf *out, const OnnxModel *m, const char *path, const char *rel,
                        const char *file) {
    bool is_input = strncmp(file, "input_", 6) == 0;
    long k = strtol(file + (is_input ? 6 : 7), NULL, 10);
    const OnnxGraph *g = &m->graph;
    size_t n = is_input ? g->ninputs : g->noutputs;
    if (k < 0 || (size_t)k >= n) {
        sb_printf(out, "value\t%s\tERROR\tthe model has no graph %s %ld\n", rel,
                  is_input ? "input" : "output", k);
        return;
    }
    const OnnxType *type = is_input ? &g->inputs[k].type : &g->outputs[k].type;
    if (type->kind != ONNX_TYPE_TENSOR) {
        sb_printf(out, "value\t%s\tSKIP\t%s\n", rel,
                  type->kind == ONNX_TYPE_SEQUENCE   ? "sequence"
                  : type->kind == ONNX_TYPE_OPTIONAL ? "optional"
                  : type->kind == ONNX_TYPE_MAP      ? "map"
                                                     : "other");
        return;
    }
    Capture c;
    Arena a;
    capture_init(&c);
    arena_init(&a);
    OnnxTensor *t;
    if (onnx_tensor_read(path, &a, &c.d, &t) == 0) {
        sb_printf(out, "tensor\t%s\tOK\t", rel);
        put_tensor(out, t);
        sb_putc(out, '\n');
    } else {
        sb_printf(out, "tensor\t%s\tERROR\t%s\n", rel, capture_first(&c));
    }
    arena_free(&a);
    capture_free(&c);
}

static void check_test(StrBuf *out, const char *suite, const char *kind, const char *name) {
    StrBuf rel;
    sb_init(&rel);
    sb_printf(&rel, "%s/%s", kind, name);
    char *dir = join(suite, rel.data);
    char *model_path = join(dir, "model.onnx");
    Capture c;
    Arena a;
    capture_init(&c);
    arena_init(&a);
    OnnxModel *m;
    if (onnx_model_read(model_path, &a, &c.d, &m) != 0) {
        sb_printf(out, "model\t%s/model.onnx\tERROR\t%s\n", rel.data, capture_first(&c));
    } else {
        sb_printf(out, "model\t%s/model.onnx\tOK\n", rel.data);
        summarize_model(out, m);
        char **sets = list_dir(dir, "test_data_set_");
        for (char **s = sets; *s; s++) {
            char *set_dir = join(dir, *s);
            char **files = list_dir(set_dir, "");
            for (char **f = files; *f; f++) {
                size_t len = strlen(*f);
                if (len < 3 || strcmp(*f + len - 3, ".pb") != 0) continue;
                char *path = join(set_dir, *f);
                StrBuf frel;
                sb_init(&frel);
                sb_printf(&frel, "%s/%s/%s", rel.data, *s, *f);
                check_value(out, m, path, frel.data, *f);
                sb_free(&frel);
                free(path);
            }
            free_list(files);
            free(set_dir);
        }
        free_list(sets);
    }
    arena_free(&a);
    capture_free(&c);
    free(model_path);
    free(dir);
    sb_free(&rel);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: onnx-read-check SUITE_DIR\n");
        return 2;
    }
    const char *suite = argv[1];
    const char *kinds[] = {"node", "simple"};
    StrBuf out;
    sb_init(&out);
    size_t ntests = 0;
    for (size_t k = 0; k < ACC_ARRAY_LEN(kinds); k++) {
        char *kdir = join(suite, kinds[k]);
        char **tests = list_dir(kdir, "");
        for (char **t = tests; *t; t++, ntests++) {
            check_test(&out, suite, kinds[k], *t);
            fwrite(out.data, 1, out.len, stdout);
            sb_clear(&out);
        }
        free_list(tests);
        free(kdir);
    }
    sb_free(&out);
    if (ntests == 0) {
        fprintf(stderr, "onnx-read-check: error: no tests under '%s'\n", suite);
        return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

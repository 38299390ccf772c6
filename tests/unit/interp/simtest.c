#include "simtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

SimModel *st_load(const char *text) {
    Diag diag;
    diag_init(&diag, "test", stderr);
    AsmImage *img = asm_assemble_text("test.s", text, strlen(text), &diag);
    diag_finish(&diag);
    diag_free(&diag);
    if (!img) fail_msg("the test program does not assemble:\n%s", text);
    char err[512];
    SimModel *m = sim_load_image(img, err, sizeof err);
    asm_image_free(img);
    if (!m) fail_msg("the test program does not load: %s", err);
    return m;
}

SimStatus st_worker(const char *body, const void *in, size_t inlen, void *out, size_t outlen,
                    SimModel **keep) {
    assert_true(inlen > 0 && inlen <= ST_MAX && outlen > 0 && outlen <= ST_MAX);
    StrBuf text;
    sb_init(&text);
    sb_printf(&text,
              "        .machine acc1-mini, tiles=2\n"
              "        .input  in, u8, [%zu]\n"
              "        .output out, u8, [%zu]\n"
              "        .program t\n"
              "        .supervisor\n"
              "        run     m0, w\n"
              "        wait\n"
              "        end\n"
              "        .worker\n"
              "w:      li      m5, %d\n"
              "        li      m6, %d\n"
              "%s\n"
              "        exit\n"
              "        .tiles  0\n"
              "        .exec   t\n"
              "        .layout in, %d, 0, %zu\n"
              "        .layout out, %d, 0, %zu\n",
              inlen, outlen, ST_IN, ST_OUT, body, ST_IN, inlen, ST_OUT, outlen);
    SimModel *m = st_load(text.data);
    sb_free(&text);
    sim_bind_input(m, 0, in);
    sim_bind_output(m, 0, out);
    SimOptions opt = {.threads = 1};
    SimStatus status = sim_run(m, &opt);
    if (status != SIM_OK && !keep) fail_msg("the run failed: %s", sim_message(m));
    if (keep)
        *keep = m;
    else
        sim_free(m);
    return status;
}

void st_code(StrBuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
    sb_putc(sb, '\n');
}

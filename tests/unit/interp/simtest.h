/*
 * Helpers for libaccsim's unit tests: programs are written as assembly
 * text, assembled in memory and loaded with sim_load_image, so each test
 * reads like the program it runs.
 */
#ifndef ACCC_SIMTEST_H
#define ACCC_SIMTEST_H

#include "accsim.h"
#include "asm.h"

/* Assemble text and load it; fails the test (with the assembler's
 * messages) if it does not assemble. */
SimModel *st_load(const char *text);

/* Where st_worker puts its data: IN holds the input bytes, the body writes
 * its results to OUT. */
enum { ST_IN = 0x0000, ST_OUT = 0x8000, ST_MAX = 0x8000 };

/* Run `body` (worker code) once in worker 0 of tile 0 of an acc1-mini with
 * m5 = ST_IN and m6 = ST_OUT; returns the status and copies outlen bytes
 * from ST_OUT to out. If keep is not NULL, the model is left there (the
 * caller frees it), else freed. */
SimStatus st_worker(const char *body, const void *in, size_t inlen, void *out, size_t outlen,
                    SimModel **keep);

/* A StrBuf of generated code, for bodies. */
void st_code(StrBuf *sb, const char *fmt, ...) ACC_PRINTF(2, 3);

#endif

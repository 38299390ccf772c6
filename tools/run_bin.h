/*
 * run_bin — acc-run's mode for ACC-1 binaries: load MODEL.bin into
 * libaccsim, bind the tensors, run, write or print the outputs, the
 * statistics and the trace.
 */
#ifndef ACCC_RUN_BIN_H
#define ACCC_RUN_BIN_H

#include <stdbool.h>

/* Whether path names an ACC-1 binary to run (ends in .bin, or starts with
 * the ELF magic). */
bool run_is_binary(const char *path);
/* acc-run's whole command line for a binary: returns the exit status
 * (0 ok, 1 bad input, a trap or the cycle limit, 2 bad command line). */
int run_binary(int argc, char **argv);

#endif

/*
 * acc-run: run a model. An ACC-1 binary runs on the reference interpreter
 * (libaccsim; run_bin.c holds that mode):
 *
 *   acc-run MODEL.bin [-i NAME=IN.npy]... [IN.npy]... [-o NAME=OUT.npy]...
 *           [--random-inputs[=SEED]] [--stats] [--trace T.json]
 *           [--threads N] [--max-cycles N]
 */
#include "run_bin.h"

int main(int argc, char **argv) {
    return run_binary(argc, argv);
}

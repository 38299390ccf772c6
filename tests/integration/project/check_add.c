/*
 * check_add BINARY: run an ACC-1 binary with two f32 inputs a, b and one
 * output c through libaccsim and check c = a + b exactly. Prints what it
 * ran; exits 0 if every element matches.
 */
#include <accc/accsim.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: check_add BINARY\n");
        return 2;
    }
    char err[512];
    SimModel *m = sim_load_file(argv[1], err, sizeof err);
    if (!m) {
        fprintf(stderr, "check_add: %s\n", err);
        return 1;
    }
    if (sim_num_inputs(m) != 2 || sim_num_outputs(m) != 1) {
        fprintf(stderr, "check_add: want 2 inputs and 1 output\n");
        return 1;
    }
    uint64_t n = sim_output(m, 0)->count;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = calloc(n, sizeof *c);
    for (uint64_t i = 0; i < n; i++) {
        a[i] = (float)i * 0.5f;
        b[i] = 100.0f - (float)i;
    }
    sim_bind_input(m, 0, a);
    sim_bind_input(m, 1, b);
    sim_bind_output(m, 0, c);
    SimOptions opt = {.threads = 2};
    if (sim_run(m, &opt) != SIM_OK) {
        fprintf(stderr, "check_add: %s\n", sim_message(m));
        return 1;
    }
    uint64_t bad = 0;
    for (uint64_t i = 0; i < n; i++) bad += c[i] != a[i] + b[i];
    printf("check_add: %s: %llu elements, %llu wrong, %llu cycles\n", argv[1],
           (unsigned long long)n, (unsigned long long)bad,
           (unsigned long long)sim_stats(m)->cycles);
    sim_free(m);
    free(a);
    free(b);
    free(c);
    return bad != 0;
}

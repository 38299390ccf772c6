/*
 * run_model BINARY DIR: run an ACC-1 binary through libaccsim on the
 * inputs in DIR and check its outputs against the values expected in DIR.
 *
 * Every graph input and output is f32. DIR/NAME.f32 holds the tensor NAME
 * as raw little-endian f32 values in row-major order: the inputs are read
 * from there, and each output must match its file element by element within
 * |got - want| <= 1e-6 + 1e-5 |want| (the compiled code computes sigmoid,
 * tanh and the like with its own instruction sequences, so it may differ
 * from the expected values in the last bits). Prints one line per output;
 * exits 0 if all match, 1 if not or on an error, 2 on a bad command line.
 */
#include <accc/accsim.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DIR/NAME.f32, which must hold exactly count values; NULL on error. */
static float *read_tensor(const char *dir, const char *name, uint64_t count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "run_model: cannot open '%s'\n", path);
        return NULL;
    }
    float *data = malloc(count * sizeof *data + 1);
    size_t got = data ? fread(data, sizeof *data, count, f) : 0;
    int extra = fgetc(f);
    fclose(f);
    if (got != count || extra != EOF) {
        fprintf(stderr, "run_model: '%s' does not hold %llu f32 values\n", path,
                (unsigned long long)count);
        free(data);
        return NULL;
    }
    return data;
}

static int check_types(SimModel *m) {
    for (int k = 0; k < sim_num_inputs(m); k++)
        if (sim_input(m, k)->dtype != ACC_DTYPE_F32) return -1;
    for (int k = 0; k < sim_num_outputs(m); k++)
        if (sim_output(m, k)->dtype != ACC_DTYPE_F32) return -1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: run_model BINARY DIR\n");
        return 2;
    }
    char err[512];
    SimModel *m = sim_load_file(argv[1], err, sizeof err);
    if (!m) {
        fprintf(stderr, "run_model: %s\n", err);
        return 1;
    }
    if (check_types(m) != 0) {
        fprintf(stderr, "run_model: %s: every input and output must be f32\n", argv[1]);
        sim_free(m);
        return 1;
    }
    int nin = sim_num_inputs(m), nout = sim_num_outputs(m), rc = 0;
    float **in = calloc((size_t)nin + 1, sizeof *in), **out = calloc((size_t)nout + 1, sizeof *out);
    for (int k = 0; k < nin && rc == 0; k++) {
        const SimTensor *t = sim_input(m, k);
        in[k] = read_tensor(argv[2], t->name, t->count);
        if (!in[k])
            rc = 1;
        else
            sim_bind_input(m, k, in[k]);
    }
    for (int k = 0; k < nout && rc == 0; k++) {
        out[k] = calloc(sim_output(m, k)->count + 1, sizeof **out);
        sim_bind_output(m, k, out[k]);
    }
    SimOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.threads = 2;
    if (rc == 0 && sim_run(m, &opt) != SIM_OK) {
        fprintf(stderr, "run_model: %s\n", sim_message(m));
        rc = 1;
    }
    for (int k = 0; k < nout && rc == 0; k++) {
        const SimTensor *t = sim_output(m, k);
        float *want = read_tensor(argv[2], t->name, t->count);
        if (!want) {
            rc = 1;
            break;
        }
        uint64_t bad = 0;
        double worst = 0;
        for (uint64_t i = 0; i < t->count; i++) {
            double d = fabs((double)out[k][i] - (double)want[i]);
            if (!(d <= 1e-6 + 1e-5 * fabs((double)want[i]))) bad++;
            if (d > worst || d != d) worst = d;
        }
        printf("run_model: %s: output %s: %llu values, %llu differ, max |error| %.3g\n", argv[1],
               t->name, (unsigned long long)t->count, (unsigned long long)bad, worst);
        if (bad) rc = 1;
        free(want);
    }
    if (rc == 0)
        printf("run_model: %s: %llu cycles\n", argv[1], (unsigned long long)sim_stats(m)->cycles);
    for (int k = 0; k < nin; k++) free(in[k]);
    for (int k = 0; k < nout; k++) free(out[k]);
    free(in);
    free(out);
    sim_free(m);
    return rc;
}

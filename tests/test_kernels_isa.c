/* test_kernels_isa.c - the run-time choice of vector ISA (kernels_isa.h): names, refusals, and
 * the promise that AVX2 and AVX-512 compute the same bits: every linear kernel on shapes with
 * every kind of tail, the helpers, and whole training runs of a small MLP with 1 and 2 threads
 * give identical results under both; the portable version trains to the same loss within a
 * tolerance. On a CPU without AVX-512 the cross-ISA part is skipped (said on stdout). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "kernels.h"
#include "kernels_isa.h"
#include "net.h"
#include "train.h"

static void fill(Rng *r, float *a, size_t n) {
    for (size_t i = 0; i < n; i++) a[i] = (float)(2 * rng_uniform(r) - 1);
}

static void set_isa(KernelsIsa isa) {
    char err[ERR_LEN];
    CHECK(kernels_set_isa(isa, err) == 0, "set %s: %s", kernels_isa_name(isa), err);
}

static void check_names(void) {
    char err[ERR_LEN];
    KernelsIsa got;
    for (int i = 0; i < KERNELS_ISA_COUNT; i++)
        CHECK(kernels_isa_parse(kernels_isa_name((KernelsIsa)i), &got) == 0 && got == (KernelsIsa)i, "name %d", i);
    CHECK(kernels_isa_parse("auto", &got) == 0 && got == kernels_isa_best(), "auto is the best");
    CHECK(kernels_isa_parse("sse9", &got) != 0 && kernels_isa_parse(NULL, &got) != 0, "unknown names refused");
    CHECK(kernels_isa_supported(KERNELS_ISA_GENERIC) && kernels_isa_supported(kernels_isa_best()), "best is supported");
    CHECK(kernels_isa() == kernels_isa_best(), "the best is in force by default");
    KernelsIsa before = kernels_isa();
    err[0] = 0;
    CHECK(kernels_set_isa(KERNELS_ISA_COUNT, err) != 0 && err[0] && kernels_isa() == before, "bad ISA refused: %s",
          err);
    for (int i = 0; i < KERNELS_ISA_COUNT; i++)
        if (!kernels_isa_supported((KernelsIsa)i)) {
            err[0] = 0;
            CHECK(kernels_set_isa((KernelsIsa)i, err) != 0 && strstr(err, kernels_isa_name((KernelsIsa)i)) &&
                      kernels_isa() == before,
                  "unsupported %s refused: %s", kernels_isa_name((KernelsIsa)i), err);
        }
    CHECK(kernels_ops()->isa == kernels_isa(), "the table in force is the ISA's");
}

/* Every output of the linear kernels under isa: forward (plain and bias+ReLU), backward (plain
 * and through a ReLU), the fused first-layer step; concatenated into out (caller frees). */
static float *linear_outputs(KernelsIsa isa, int threads, int B, int K, int N, int nbias, size_t *len) {
    Rng r;
    rng_seed(&r, (uint64_t)(B * 7919 + K * 31 + N + nbias));
    float *inp = kernels_alloc((size_t)B * K), *w = kernels_alloc((size_t)N * K), *bias = kernels_alloc((size_t)N);
    float *dout = kernels_alloc((size_t)B * N);
    fill(&r, inp, (size_t)B * K), fill(&r, w, (size_t)N * K), fill(&r, bias, (size_t)N), fill(&r, dout, (size_t)B * N);
    float *relu_in = kernels_alloc((size_t)B * K);
    for (size_t i = 0; i < (size_t)B * K; i++) relu_in[i] = inp[i] > 0 ? inp[i] : 0;
    size_t n = 2 * (size_t)B * N + 2 * ((size_t)B * K + (size_t)N * K + N) + 2 * (size_t)N * K + N + 1;
    float *out = kernels_alloc(n), *o = out;
    set_isa(isa);
    kernels_set_threads(threads);
    linear_forward(o, inp, w, bias, nbias, B, K, N), o += (size_t)B * N;
    linear_forward_ex(o, inp, w, bias, nbias, B, K, N, 1), o += (size_t)B * N;
    linear_backward(o, o + (size_t)B * K, o + (size_t)B * K + (size_t)N * K, dout, inp, w, nbias, B, K, N);
    o += (size_t)B * K + (size_t)N * K + N;
    linear_backward_ex(o, o + (size_t)B * K, o + (size_t)B * K + (size_t)N * K, dout, relu_in, w, nbias, B, K, N, 1);
    o += (size_t)B * K + (size_t)N * K + N;
    float *v = kernels_alloc((size_t)N * K);
    fill(&r, v, (size_t)N * K);
    KernelsStep st = {w, v, 0.03f, 0.9f, 0};
    linear_backward_step(o, o + (size_t)N * K, dout, inp, nbias, B, K, N, &st);
    o += (size_t)N * K + N;
    memcpy(o, w, sizeof(float) * (size_t)N * K); /* the stepped weights */
    o += (size_t)N * K;
    *o++ = (float)st.finite;
    *len = (size_t)(o - out);
    free(inp), free(w), free(bias), free(dout), free(relu_in), free(v);
    return out;
}

static void check_linear_same(void) {
    /* tails in every dimension: K % 8, K % 16, rows % 8, columns % 6 and % 64, one row, one column;
     * and the MLP's own shapes */
    int shapes[][3] = {{64, 784, 128}, {64, 128, 64}, {64, 64, 10}, {256, 784, 128}, {1, 1, 1},   {3, 5, 7},
                       {9, 17, 13},    {17, 33, 65},  {7, 100, 70}, {13, 29, 7},     {1000, 784, 10}, {2, 8, 1},
                       {5, 24, 130}};
    int nshapes = (int)(sizeof shapes / sizeof shapes[0]), same = 0;
    for (int i = 0; i < nshapes; i++) {
        int B = shapes[i][0], K = shapes[i][1], N = shapes[i][2], nb = i % 3 == 2 ? 1 : N;
        size_t la, lb;
        float *a = linear_outputs(KERNELS_ISA_AVX2, 1, B, K, N, nb, &la);
        float *b = linear_outputs(KERNELS_ISA_AVX512, 2, B, K, N, nb, &lb);
        int eq = la == lb && memcmp(a, b, sizeof(float) * la) == 0;
        CHECK(eq, "B=%d K=%d N=%d nbias=%d: AVX2 (1 thread) and AVX-512 (2 threads) differ", B, K, N, nb);
        same += eq;
        free(a), free(b);
    }
    printf("kernels_isa: %d of %d shapes bit-identical between AVX2 and AVX-512\n", same, nshapes);

    /* the helpers, on lengths around both vector widths */
    Rng r;
    rng_seed(&r, 5);
    enum { NH = 1000 };
    uint8_t px[NH];
    float g[NH], p0[NH], v0[NH], f[2][NH], p[2][NH], v[2][NH], y[2][NH];
    for (int i = 0; i < NH; i++) px[i] = (uint8_t)rng_below(&r, 256);
    fill(&r, g, NH), fill(&r, p0, NH), fill(&r, v0, NH);
    int lens[] = {1, 7, 8, 9, 15, 16, 17, 33, 999};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        int n = lens[li];
        int fin[2];
        for (int s = 0; s < 2; s++) {
            set_isa(s ? KERNELS_ISA_AVX512 : KERNELS_ISA_AVX2);
            kernels_pixels_to_floats(f[s], px, (size_t)n);
            memcpy(p[s], p0, sizeof p0), memcpy(v[s], v0, sizeof v0), memcpy(y[s], p0, sizeof p0);
            fin[s] = kernels_sgd_step(p[s], v[s], g, 0.07f, 0.9f, (size_t)n);
            kernels_axpy(y[s], 0.37f, g, (size_t)n);
        }
        CHECK(fin[0] && fin[1] && memcmp(f[0], f[1], sizeof(float) * n) == 0 &&
                  memcmp(p[0], p[1], sizeof(float) * n) == 0 && memcmp(v[0], v[1], sizeof(float) * n) == 0 &&
                  memcmp(y[0], y[1], sizeof(float) * n) == 0,
              "helpers of length %d differ between AVX2 and AVX-512", n);
    }
}

/* A small MLP trained for a few hundred steps; returns its parameters (caller frees) and the
 * last loss. Blobs on a 28x28 grid, so the first layer has MNIST's width. */
static float *train_small(KernelsIsa isa, int threads, OptKind opt, size_t *n, double *last_loss) {
    char err[ERR_LEN];
    enum { SIDE = 28, D = SIDE * SIDE, NTR = 700 };
    Dataset ds = {0};
    ds.x = malloc((size_t)NTR * D), ds.y = malloc(NTR);
    ds.n = NTR, ds.rows = ds.cols = SIDE, ds.d = D, ds.nclass = 10;
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < NTR; i++) {
        int k = i % 10;
        for (int j = 0; j < D; j++) ds.x[(size_t)i * D + j] = (uint8_t)rng_below(&r, 60);
        for (int j = 0; j < 40; j++) ds.x[(size_t)i * D + k * 70 + j] = (uint8_t)(180 + rng_below(&r, 76));
        ds.y[i] = (uint8_t)k;
    }
    int sizes[] = {D, 48, 24, 10};
    Net net = {0};
    CHECK(net_create(&net, sizes, 3, BIAS_NEURON, 0, err) == 0, "%s", err);
    net_init_he(&net, 11);
    TrainConfig cfg;
    train_config_default(&cfg, "mlp");
    cfg.opt = opt;
    cfg.lr = opt == OPT_ADAM ? 1e-3f : 0.05f;
    cfg.batch = 50;
    cfg.epochs = 100;
    cfg.max_iters = 150;
    set_isa(isa);
    kernels_set_threads(threads);
    Trainer t;
    float *params = NULL;
    *last_loss = NAN;
    if (trainer_create(&t, &net, &ds, NULL, &cfg, err) == 0) {
        while (trainer_step(&t) != STEP_DONE) {}
        *n = t.net.nparams;
        params = malloc(sizeof(float) * *n);
        memcpy(params, t.net.params, sizeof(float) * *n);
        *last_loss = t.hist.nsteps ? t.hist.step_loss[t.hist.nsteps - 1] : NAN;
        trainer_free(&t);
    } else {
        CHECK(0, "trainer_create: %s", err);
    }
    net_free(&net);
    dataset_free(&ds);
    return params;
}

static void check_training_same(void) {
    OptKind opts[] = {OPT_MOMENTUM, OPT_SGD, OPT_ADAM};
    for (size_t o = 0; o < 3; o++) {
        size_t n[4];
        double loss[4];
        float *p[4];
        for (int run = 0; run < 4; run++)
            p[run] = train_small(run < 2 ? KERNELS_ISA_AVX2 : KERNELS_ISA_AVX512, run % 2 + 1, opts[o], &n[run], &loss[run]);
        int same = 1;
        for (int run = 1; run < 4; run++)
            same &= p[run] && p[0] && n[run] == n[0] && memcmp(p[run], p[0], sizeof(float) * n[0]) == 0;
        CHECK(same, "%s: AVX2 and AVX-512 with 1 and 2 threads trained different weights", optim_name(opts[o]));
        CHECK(isfinite(loss[0]) && loss[0] < 1.0, "%s: the small MLP learned (loss %g)", optim_name(opts[o]), loss[0]);
        printf("kernels_isa: %s, 150 steps: AVX2 x {1,2} threads and AVX-512 x {1,2} threads %s (loss %.6f)\n",
               optim_name(opts[o]), same ? "bit-identical" : "DIFFER", loss[0]);
        for (int run = 0; run < 4; run++) free(p[run]);
    }
}

/* The portable kernels round differently but train the same model to within a tolerance. */
static void check_generic_close(void) {
    size_t na, nb;
    double la, lb;
    float *a = train_small(KERNELS_ISA_GENERIC, 2, OPT_MOMENTUM, &na, &la);
    float *b = train_small(kernels_isa_best(), 2, OPT_MOMENTUM, &nb, &lb);
    float worst = 0;
    for (size_t i = 0; a && b && i < na && na == nb; i++) worst = fmaxf(worst, fabsf(a[i] - b[i]));
    CHECK(a && b && na == nb && fabs(la - lb) < 1e-3 && worst < 1e-3f,
          "generic vs %s after 150 steps: loss %g vs %g, largest weight difference %g", kernels_isa_name(kernels_isa_best()),
          la, lb, worst);
    printf("kernels_isa: generic vs %s after 150 steps: loss %.6f vs %.6f, largest weight difference %.2g\n",
           kernels_isa_name(kernels_isa_best()), la, lb, worst);
    free(a), free(b);
}

int main(void) {
    check_names();
    if (kernels_isa_supported(KERNELS_ISA_AVX2) && kernels_isa_supported(KERNELS_ISA_AVX512)) {
        check_linear_same();
        check_training_same();
    } else {
        printf("kernels_isa: skipped AVX2 vs AVX-512 (this CPU or build lacks %s)\n",
               kernels_isa_supported(KERNELS_ISA_AVX2) ? "AVX-512" : "AVX2");
    }
    check_generic_close();
    kernels_set_threads(1);
    return check_summary("kernels_isa");
}

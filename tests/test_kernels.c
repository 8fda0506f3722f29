/* test_kernels.c - the fast kernels against the plain-loop references, the fused ReLU variants,
 * reproducibility across thread counts, the task pool, the vectorised helpers, and softmax/xent;
 * the kernels' checks run once per vector ISA this CPU offers (kernels_isa.h). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "kernels.h"
#include "kernels_isa.h"
#include "optim.h"

static float max_abs_diff(const float *a, const float *b, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

static void fill(Rng *r, float *a, size_t n) {
    for (size_t i = 0; i < n; i++) a[i] = (float)(2 * rng_uniform(r) - 1);
}

static void check_linear(int B, int K, int N, int nbias, int threads) {
    Rng r;
    rng_seed(&r, (uint64_t)(B * 1000003 + K * 101 + N + nbias));
    kernels_set_threads(threads);
    float *inp = malloc(sizeof(float) * B * K), *w = malloc(sizeof(float) * N * K), *bias = malloc(sizeof(float) * N);
    float *out = malloc(sizeof(float) * B * N), *ref = malloc(sizeof(float) * B * N);
    float *dout = malloc(sizeof(float) * B * N), *dinp = malloc(sizeof(float) * B * K), *dinp_r = malloc(sizeof(float) * B * K);
    float *dw = malloc(sizeof(float) * N * K), *dw_r = malloc(sizeof(float) * N * K);
    float db[1024], db_r[1024];
    fill(&r, inp, (size_t)B * K);
    fill(&r, w, (size_t)N * K);
    fill(&r, bias, (size_t)N);
    fill(&r, dout, (size_t)B * N);
    linear_forward(out, inp, w, bias, nbias, B, K, N);
    linear_forward_ref(ref, inp, w, bias, nbias, B, K, N);
    float tol = 1e-4f * sqrtf((float)K);
    CHECK(max_abs_diff(out, ref, (size_t)B * N) < tol, "forward B=%d K=%d N=%d nbias=%d diff %g", B, K, N, nbias,
          max_abs_diff(out, ref, (size_t)B * N));
    linear_backward(dinp, dw, db, dout, inp, w, nbias, B, K, N);
    linear_backward_ref(dinp_r, dw_r, db_r, dout, inp, w, nbias, B, K, N);
    CHECK(max_abs_diff(dinp, dinp_r, (size_t)B * K) < 1e-4f * sqrtf((float)N), "dinp B=%d K=%d N=%d", B, K, N);
    CHECK(max_abs_diff(dw, dw_r, (size_t)N * K) < 1e-4f * sqrtf((float)B), "dw B=%d K=%d N=%d", B, K, N);
    CHECK(max_abs_diff(db, db_r, (size_t)nbias) < 1e-4f * sqrtf((float)B * N), "dbias B=%d N=%d nbias=%d", B, N, nbias);
    free(inp), free(w), free(bias), free(out), free(ref), free(dout), free(dinp), free(dinp_r), free(dw), free(dw_r);
}

/* The fused variants equal the plain kernel followed by the separate ReLU pass, and every
 * result is bit-identical with 1 and 2 threads. */
static void check_fused_and_threads(int B, int K, int N) {
    Rng r;
    rng_seed(&r, (uint64_t)(B * 31 + K * 7 + N));
    float *inp = kernels_alloc((size_t)B * K), *w = kernels_alloc((size_t)N * K), *bias = kernels_alloc((size_t)N);
    float *dout = kernels_alloc((size_t)B * N);
    float *out[2], *dinp[2], *dw[2], *db[2];
    fill(&r, inp, (size_t)B * K);
    for (size_t i = 0; i < (size_t)B * K; i++) inp[i] = inp[i] < 0 ? 0 : inp[i]; /* a ReLU output */
    fill(&r, w, (size_t)N * K);
    fill(&r, bias, (size_t)N);
    fill(&r, dout, (size_t)B * N);
    for (int t = 0; t < 2; t++) {
        kernels_set_threads(t + 1);
        out[t] = kernels_alloc((size_t)B * N), dinp[t] = kernels_alloc((size_t)B * K);
        dw[t] = kernels_alloc((size_t)N * K), db[t] = kernels_alloc((size_t)N);
        linear_forward_ex(out[t], inp, w, bias, N, B, K, N, 1);
        linear_backward_ex(dinp[t], dw[t], db[t], dout, inp, w, N, B, K, N, 1);
    }
    CHECK(memcmp(out[0], out[1], sizeof(float) * B * N) == 0, "forward B=%d K=%d N=%d: 1 and 2 threads differ", B, K, N);
    CHECK(memcmp(dinp[0], dinp[1], sizeof(float) * B * K) == 0 && memcmp(dw[0], dw[1], sizeof(float) * N * K) == 0 &&
              memcmp(db[0], db[1], sizeof(float) * N) == 0,
          "backward B=%d K=%d N=%d: 1 and 2 threads differ", B, K, N);
    /* against the unfused kernels and the separate ReLU passes */
    float *o = kernels_alloc((size_t)B * N), *di = kernels_alloc((size_t)B * K), *dwu = kernels_alloc((size_t)N * K);
    float *dbu = kernels_alloc((size_t)N);
    linear_forward(o, inp, w, bias, N, B, K, N);
    relu_forward(o, o, B * N);
    linear_backward(di, dwu, dbu, dout, inp, w, N, B, K, N);
    relu_backward(di, di, inp, B * K);
    CHECK(memcmp(o, out[0], sizeof(float) * B * N) == 0, "fused bias+ReLU forward B=%d K=%d N=%d", B, K, N);
    CHECK(memcmp(di, dinp[0], sizeof(float) * B * K) == 0, "fused ReLU backward B=%d K=%d N=%d", B, K, N);
    for (int t = 0; t < 2; t++) free(out[t]), free(dinp[t]), free(dw[t]), free(db[t]);
    free(inp), free(w), free(bias), free(dout), free(o), free(di), free(dwu), free(dbu);
}

/* linear_backward_step = linear_backward (no dinp) then kernels_sgd_step on w, bit for bit,
 * and it reports a NaN in dw. */
static void check_fused_step(int B, int K, int N, int momentum) {
    Rng r;
    rng_seed(&r, (uint64_t)(B + K + N + momentum));
    float *inp = kernels_alloc((size_t)B * K), *dout = kernels_alloc((size_t)B * N);
    float *w1 = kernels_alloc((size_t)N * K), *w2 = kernels_alloc((size_t)N * K);
    float *v1 = kernels_alloc((size_t)N * K), *v2 = kernels_alloc((size_t)N * K);
    float *dw1 = kernels_alloc((size_t)N * K), *dw2 = kernels_alloc((size_t)N * K);
    float *db1 = kernels_alloc((size_t)N), *db2 = kernels_alloc((size_t)N);
    fill(&r, inp, (size_t)B * K), fill(&r, dout, (size_t)B * N), fill(&r, w1, (size_t)N * K);
    fill(&r, v1, (size_t)N * K);
    memcpy(w2, w1, sizeof(float) * N * K), memcpy(v2, v1, sizeof(float) * N * K);
    kernels_set_threads(2);
    linear_backward(NULL, dw1, db1, dout, inp, w1, N, B, K, N);
    int fin = kernels_sgd_step(w1, momentum ? v1 : NULL, dw1, 0.05f, 0.9f, (size_t)N * K);
    KernelsStep st = {w2, momentum ? v2 : NULL, 0.05f, 0.9f, 0};
    linear_backward_step(dw2, db2, dout, inp, N, B, K, N, &st);
    CHECK(fin && st.finite, "fused step B=%d K=%d N=%d: finite gradient reported", B, K, N);
    CHECK(memcmp(w1, w2, sizeof(float) * N * K) == 0 && memcmp(v1, v2, sizeof(float) * N * K) == 0 &&
              memcmp(dw1, dw2, sizeof(float) * N * K) == 0 && memcmp(db1, db2, sizeof(float) * N) == 0,
          "fused step B=%d K=%d N=%d momentum=%d equals backward then step", B, K, N, momentum);
    dout[3] = NAN;
    linear_backward_step(dw2, db2, dout, inp, N, B, K, N, &st);
    CHECK(!st.finite, "fused step B=%d K=%d N=%d: NaN in dw reported", B, K, N);
    free(inp), free(dout), free(w1), free(w2), free(v1), free(v2), free(dw1), free(dw2), free(db1), free(db2);
}

/* kernels_run: every task runs exactly once, on any thread count, and two threads calling it
 * at the same time both get their work done. */
#define POOL_TASKS 1000
typedef struct {
    atomic_int count[POOL_TASKS];
} PoolCtx;

static void count_task(void *ctx, int task) { atomic_fetch_add(&((PoolCtx *)ctx)->count[task], 1); }

static void *pool_caller(void *arg) {
    PoolCtx *c = arg;
    for (int rep = 0; rep < 200; rep++) kernels_run(count_task, c, POOL_TASKS);
    return NULL;
}

static void check_pool(void) {
    static PoolCtx a, b;
    for (int threads = 1; threads <= 3; threads++) {
        kernels_set_threads(threads);
        memset(&a, 0, sizeof a);
        for (int rep = 0; rep < 50; rep++) kernels_run(count_task, &a, POOL_TASKS);
        int ok = 1;
        for (int i = 0; i < POOL_TASKS; i++) ok &= atomic_load(&a.count[i]) == 50;
        CHECK(ok, "threads=%d: every task ran exactly once per call", threads);
    }
    kernels_set_threads(2);
    memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, pool_caller, &a);
    pthread_create(&tb, NULL, pool_caller, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    int ok = 1;
    for (int i = 0; i < POOL_TASKS; i++) ok &= atomic_load(&a.count[i]) == 200 && atomic_load(&b.count[i]) == 200;
    CHECK(ok, "two concurrent callers: every task of each ran exactly once per call");
}

static void check_helpers(void) {
    /* pixel bytes to floats: exactly the division, for every byte value and odd lengths */
    uint8_t px[259];
    float f[259];
    for (int i = 0; i < 259; i++) px[i] = (uint8_t)(i % 256);
    kernels_pixels_to_floats(f, px, 259);
    int same = 1;
    for (int i = 0; i < 259; i++) same &= f[i] == (float)px[i] / 255.0f;
    CHECK(same, "pixels_to_floats equals x / 255.0f for every byte");

    float a[37];
    for (int i = 0; i < 37; i++) a[i] = (float)i - 18.0f;
    CHECK(kernels_all_finite(a, 37), "finite array");
    int pos[] = {0, 7, 8, 31, 32, 36};
    for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++) {
        float keep = a[pos[k]];
        a[pos[k]] = NAN;
        CHECK(!kernels_all_finite(a, 37), "NaN at %d found", pos[k]);
        a[pos[k]] = -INFINITY;
        CHECK(!kernels_all_finite(a, 37), "-Inf at %d found", pos[k]);
        a[pos[k]] = keep;
    }

    /* the vectorised SGD/momentum step equals optim_step bit for bit */
    for (int kind = 0; kind < 2; kind++) {
        enum { NP = 1003 };
        char err[ERR_LEN];
        Optim o;
        CHECK(optim_create(&o, kind ? OPT_MOMENTUM : OPT_SGD, NP, err) == 0, "%s", err);
        float *p1 = malloc(sizeof(float) * NP), *p2 = malloc(sizeof(float) * NP), *g = malloc(sizeof(float) * NP);
        float *v = calloc(NP, sizeof(float));
        Rng r;
        rng_seed(&r, 11);
        fill(&r, p1, NP);
        memcpy(p2, p1, sizeof(float) * NP);
        for (int step = 0; step < 5; step++) {
            fill(&r, g, NP);
            optim_step(&o, p1, g, 0.0437f);
            CHECK(kernels_sgd_step(p2, kind ? v : NULL, g, 0.0437f, o.momentum, NP), "finite gradient reported");
        }
        CHECK(memcmp(p1, p2, sizeof(float) * NP) == 0 && (!kind || memcmp(o.m, v, sizeof(float) * NP) == 0),
              "kernels_sgd_step (%s) equals optim_step", kind ? "momentum" : "sgd");
        for (int at = 995; at < NP; at += 7) { /* in the vector body, then in the scalar tail */
            fill(&r, g, NP);
            g[at] = NAN;
            CHECK(!kernels_sgd_step(p2, kind ? v : NULL, g, 0.01f, o.momentum, NP), "NaN at %d reported", at);
        }
        optim_free(&o);
        free(p1), free(p2), free(g), free(v);
    }
    float *al = kernels_alloc(1000);
    CHECK(al && ((uintptr_t)al & 63) == 0 && al[999] == 0.0f, "kernels_alloc: aligned and zeroed");
    free(al);
}

/* Every kernel check, with the ISA in force. */
static void check_isa(void) {
    int shapes[][3] = {{1, 1, 1}, {1, 784, 10}, {3, 5, 7}, {64, 784, 128}, {64, 128, 64}, {64, 64, 10},
                       {256, 784, 128}, {17, 33, 9}, {1000, 784, 10},
                       /* wide layers, through OpenBLAS: K > 1024; B*N > 65536 */
                       {37, 1100, 20}, {600, 50, 200}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 1; t <= 2; t++) {
            check_linear(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][2], t);
            check_linear(shapes[i][0], shapes[i][1], shapes[i][2], 1, t);
        }

    int fshapes[][3] = {{64, 784, 128}, {256, 784, 128}, {64, 128, 64}, {32, 64, 10}, {1000, 784, 10}, {13, 29, 7}};
    for (size_t i = 0; i < sizeof fshapes / sizeof fshapes[0]; i++)
        check_fused_and_threads(fshapes[i][0], fshapes[i][1], fshapes[i][2]);
    check_fused_step(64, 784, 128, 1);
    check_fused_step(32, 784, 10, 0);
    check_fused_step(600, 50, 200, 1); /* the BLAS route */
    check_fused_step(7, 13, 5, 1);
    check_fused_step(256, 784, 128, 1); /* several passes over the batch: stepped on the last only */
    check_fused_step(70, 100, 13, 0);   /* two passes, column and row tails, plain SGD */
    check_fused_step(65, 37, 9, 1);
    check_helpers();
}

int main(void) {
    char err[ERR_LEN];
    int ran = 0;
    for (int isa = 0; isa < KERNELS_ISA_COUNT; isa++) {
        if (!kernels_isa_supported((KernelsIsa)isa)) {
            printf("kernels: %s not on this CPU (or build), skipped\n", kernels_isa_name((KernelsIsa)isa));
            continue;
        }
        CHECK(kernels_set_isa((KernelsIsa)isa, err) == 0, "set %s: %s", kernels_isa_name((KernelsIsa)isa), err);
        CHECK(kernels_isa() == (KernelsIsa)isa, "%s in force", kernels_isa_name((KernelsIsa)isa));
        int before = check_failed;
        check_isa();
        printf("kernels: %s checked%s\n", kernels_isa_name((KernelsIsa)isa), check_failed > before ? " (FAILED)" : "");
        ran++;
    }
    CHECK(ran >= 1 && kernels_isa_supported(KERNELS_ISA_GENERIC), "the portable kernels always run");
    kernels_set_isa(kernels_isa_best(), err);
    check_pool();
    kernels_set_threads(1);

    /* ReLU and its backward */
    float in[6] = {-2, -0.0f, 0, 0.5f, 3, -1e-30f}, out[6], d[6] = {1, 1, 1, 1, 1, 1}, di[6];
    relu_forward(out, in, 6);
    relu_backward(di, d, out, 6);
    CHECK(out[0] == 0 && out[3] == 0.5f && out[4] == 3 && out[5] == 0, "relu forward");
    CHECK(di[0] == 0 && di[2] == 0 && di[3] == 1 && di[4] == 1, "relu backward passes only where output > 0");

    /* softmax: rows sum to 1; stable for huge logits; loss = -log p_y */
    float z[2 * 3] = {1000, 1001, 1002, -5, 0, 5}, p[6];
    int y[2] = {2, 0};
    double loss = softmax_xent_forward(p, z, y, 2, 3);
    CHECK(fabsf(p[0] + p[1] + p[2] - 1) < 1e-6f && fabsf(p[3] + p[4] + p[5] - 1) < 1e-6f, "softmax rows sum to 1");
    CHECK(isfinite(loss), "stable with logits of 1000");
    double l0 = log(exp(0.0) + exp(1.0) + exp(2.0)) - 2.0, l1 = log(exp(-5.0) + exp(0.0) + exp(5.0)) + 5.0;
    CHECK(fabs(loss - (l0 + l1) / 2) < 1e-5, "mean cross-entropy %g vs %g", loss, (l0 + l1) / 2);
    float dz[6];
    softmax_xent_backward(dz, p, y, 2, 3);
    CHECK(fabsf(dz[2] - (p[2] - 1) / 2) < 1e-7f && fabsf(dz[0] - p[0] / 2) < 1e-7f, "dlogits = (p - onehot)/B");
    /* a far-off wrong class: loss grows linearly instead of overflowing to inf */
    float zz[3] = {0, 0, 200};
    int yy = 0;
    double big = softmax_xent_forward(p, zz, &yy, 1, 3);
    CHECK(fabs(big - 200) < 1e-3, "loss of a confident wrong answer is ~200, got %g", big);
    return check_summary("kernels");
}

/* test_kernels.c - the CBLAS kernels against the plain-loop references, and softmax/xent checks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "kernels.h"

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

int main(void) {
    int shapes[][3] = {{1, 1, 1}, {1, 784, 10}, {3, 5, 7}, {64, 784, 128}, {64, 128, 64}, {64, 64, 10},
                       {256, 784, 128}, {17, 33, 9}, {1000, 784, 10}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 1; t <= 2; t++) {
            check_linear(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][2], t);
            check_linear(shapes[i][0], shapes[i][1], shapes[i][2], 1, t);
        }

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

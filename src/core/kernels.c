/* kernels.c - linear / ReLU / softmax-cross-entropy forward and backward. The matrix products
 * go through CBLAS (OpenBLAS); the _ref versions are plain loops for the tests. */
#include "kernels.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

/* OpenBLAS's thread control; declared here so the header choice does not matter. */
void openblas_set_num_threads(int num_threads);

static int g_threads = 1;

void kernels_set_threads(int n) {
    if (n < 1) n = 1;
    g_threads = n;
    openblas_set_num_threads(n);
}

int kernels_get_threads(void) { return g_threads; }

static void bias_fill(float *out, const float *bias, int nbias, int B, int N) {
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * N;
        if (nbias == 1)
            for (int j = 0; j < N; j++) o[j] = bias[0];
        else
            memcpy(o, bias, sizeof(float) * (size_t)N);
    }
}

static void bias_grad(float *dbias, const float *dout, int nbias, int B, int N) {
    if (nbias == 1) {
        double s = 0;
        for (size_t i = 0; i < (size_t)B * N; i++) s += dout[i];
        dbias[0] = (float)s;
        return;
    }
    memset(dbias, 0, sizeof(float) * (size_t)N);
    for (int b = 0; b < B; b++) {
        const float *d = dout + (size_t)b * N;
        for (int j = 0; j < N; j++) dbias[j] += d[j];
    }
}

// inp (B,K), w (N,K), bias (nbias), out (B,N)
void linear_forward(float *out, const float *inp, const float *w, const float *bias, int nbias,
                    int B, int K, int N) {
    bias_fill(out, bias, nbias, B, N);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, inp, K, w, K, 1.0f, out, N);
}

// dout (B,N), inp (B,K), w (N,K) -> dinp (B,K), dw (N,K), dbias (nbias)
void linear_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int nbias, int B, int K, int N) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, B, 1.0f, dout, N, inp, K, 0.0f, dw, K);
    bias_grad(dbias, dout, nbias, B, N);
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, K, N, 1.0f, dout, N, w, K, 0.0f,
                    dinp, K);
}

void linear_forward_ref(float *out, const float *inp, const float *w, const float *bias, int nbias,
                        int B, int K, int N) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < N; j++) {
            double s = nbias == 1 ? bias[0] : bias[j];
            for (int k = 0; k < K; k++) s += (double)inp[(size_t)b * K + k] * w[(size_t)j * K + k];
            out[(size_t)b * N + j] = (float)s;
        }
}

void linear_backward_ref(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int nbias, int B, int K, int N) {
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++) {
            double s = 0;
            for (int b = 0; b < B; b++) s += (double)dout[(size_t)b * N + j] * inp[(size_t)b * K + k];
            dw[(size_t)j * K + k] = (float)s;
        }
    if (nbias == 1) {
        double s = 0;
        for (size_t i = 0; i < (size_t)B * N; i++) s += dout[i];
        dbias[0] = (float)s;
    } else {
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int b = 0; b < B; b++) s += dout[(size_t)b * N + j];
            dbias[j] = (float)s;
        }
    }
    if (dinp)
        for (int b = 0; b < B; b++)
            for (int k = 0; k < K; k++) {
                double s = 0;
                for (int j = 0; j < N; j++) s += (double)dout[(size_t)b * N + j] * w[(size_t)j * K + k];
                dinp[(size_t)b * K + k] = (float)s;
            }
}

void relu_forward(float *out, const float *inp, int n) {
    for (int i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void relu_backward(float *dinp, const float *dout, const float *out, int n) {
    for (int i = 0; i < n; i++) dinp[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

// logits (B,C) -> probs (B,C); y (B) or NULL
double softmax_xent_forward(float *probs, const float *logits, const int *y, int B, int C) {
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        float *p = probs + (size_t)b * C;
        float mx = z[0];
        for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
        double sum = 0;
        for (int c = 0; c < C; c++) {
            p[c] = expf(z[c] - mx);
            sum += p[c];
        }
        float inv = (float)(1.0 / sum);
        for (int c = 0; c < C; c++) p[c] *= inv;
        /* -log softmax(z)_y = logsumexp(z) - z_y, never log(0) */
        if (y) loss += (double)mx + log(sum) - (double)z[y[b]];
    }
    return y && B > 0 ? loss / B : 0.0;
}

void softmax_xent_backward(float *dlogits, const float *probs, const int *y, int B, int C) {
    float inv = 1.0f / (float)B;
    for (int b = 0; b < B; b++) {
        const float *p = probs + (size_t)b * C;
        float *d = dlogits + (size_t)b * C;
        for (int c = 0; c < C; c++) d[c] = p[c] * inv;
        d[y[b]] -= inv;
    }
}

/* kernels.c - linear / ReLU / softmax-cross-entropy forward and backward. The matrix products
 * are kernels_simd.inc's register-blocked loops for the ISA in force (kernels_isa.h), split
 * across kernels_pool.c's threads by whole blocks of output rows or columns, or OpenBLAS for
 * wide layers where its packed, cache-blocked sgemm measures faster; the _ref versions are plain
 * loops for the tests. */
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_gemm.h"

#include <cblas.h>


/* OpenBLAS's thread control; declared here so the header choice does not matter. */
void openblas_set_num_threads(int num_threads);

/* Where the register-blocked products stop winning (measured against OpenBLAS on this
 * project's machine, bench/): the forward keeps 6 weight rows of K floats in L1, and both
 * backward products stream dout (B,N) once per block of 16 columns, so it must sit in L2. */
static int own_forward(int K) { return K <= 1024; }
static int own_backward(int B, int K, int N) { return K <= 4096 && N <= 1024 && (long)B * N <= 65536; }

/* Before a BLAS call: OpenBLAS gets the kernels' thread count and the pool's workers sleep,
 * so the two never spin on the same cores. */
static void blas_prepare(void) {
    static atomic_int set = 0;
    int n = kernels_get_threads();
    if (atomic_exchange(&set, n) != n) openblas_set_num_threads(n);
    kernels_rest();
}

/* Products are cut into tasks of about this many multiply-adds (~5 us on one core): large
 * enough that claiming a task (~0.1 us) is noise, small enough that two threads finish
 * together. Products below it run as one task on the calling thread. */
#define TASK_MACS 131072L
#define MAX_TASKS 64

/* Output columns and rows are cut in multiples of the ISA's register blocks (kernels_ops()), so
 * every task runs whole blocks. The results do not depend on the cut, only the speed. */

/* How an (M, N) output is cut into tasks: by blocks of rows when prefer_rows is set and there
 * are enough of them, else by blocks of columns when there are enough of those, else by
 * whichever has more blocks. Depends on the sizes only, never on the thread count. The forward
 * is cut by columns and dW by rows, i.e. both by rows of the weight matrix, like the optimiser
 * step: with the pool's front/back claiming each core keeps the same weight rows throughout. */
typedef struct {
    int by_rows, ntasks, align, n;
} Cut;

static Cut cut_2d(int M, int N, long macs, int col_align, int row_align, int prefer_rows) {
    long want = macs / TASK_MACS;
    if (want < 1) want = 1;
    if (want > MAX_TASKS) want = MAX_TASKS;
    int cu = (N + col_align - 1) / col_align, ru = (M + row_align - 1) / row_align;
    int enough = want < 4 ? (int)want : 4;
    Cut c;
    if (prefer_rows) c.by_rows = ru >= enough || ru >= cu;
    else c.by_rows = cu < enough && ru > cu;
    int units = c.by_rows ? ru : cu;
    c.ntasks = units < want ? units : (int)want;
    c.align = c.by_rows ? row_align : col_align;
    c.n = c.by_rows ? M : N;
    return c;
}

/* Rows [*i0, *i1) and columns [*j0, *j1) of task t. */
static void cut_range(const Cut *c, int M, int N, int t, int *i0, int *i1, int *j0, int *j1) {
    *i0 = 0, *i1 = M, *j0 = 0, *j1 = N;
    if (c->by_rows) kernels_split(c->n, c->align, t, c->ntasks, i0, i1);
    else kernels_split(c->n, c->align, t, c->ntasks, j0, j1);
}

float *kernels_alloc(size_t n) {
    if (n > (SIZE_MAX - 64) / sizeof(float)) return NULL;
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes);
    return p;
}

/* The vector helpers: kernels_simd.inc's version for the ISA in force. */
int kernels_all_finite(const float *a, size_t n) { return kernels_ops()->all_finite(a, n); }

void kernels_pixels_to_floats(float *out, const uint8_t *in, size_t n) { kernels_ops()->pixels_to_floats(out, in, n); }

int kernels_sgd_step(float *params, float *v, const float *grad, float lr, float mu, size_t n) {
    return kernels_ops()->sgd_step(params, v, grad, lr, mu, n);
}

void kernels_axpy(float *y, float a, const float *x, size_t n) { kernels_ops()->axpy(y, a, x, n); }

typedef struct {
    float *out;
    const float *inp, *w, *bias;
    int nbias, B, K, N, relu;
    Cut cut;
} FwdJob;

// inp (B,K), w (N,K), bias (nbias) -> out (B,N)
static void fwd_task(void *ctx, int t) {
    const FwdJob *j = ctx;
    int i0, i1, c0, c1;
    cut_range(&j->cut, j->B, j->N, t, &i0, &i1, &c0, &c1);
    if (i1 <= i0 || c1 <= c0) return;
    int mode = j->nbias == 1 ? GEMM_BIAS_SCALAR : GEMM_BIAS_COL;
    gemm_nt(j->out + (size_t)i0 * j->N + c0, j->N, j->inp + (size_t)i0 * j->K, j->K, j->w + (size_t)c0 * j->K, j->K,
            i1 - i0, c1 - c0, j->K, mode == GEMM_BIAS_COL ? j->bias + c0 : j->bias, mode, j->relu);
}

void linear_forward_ex(float *out, const float *inp, const float *w, const float *bias, int nbias,
                       int B, int K, int N, int relu) {
    if (!own_forward(K)) {
        blas_prepare();
        for (int b = 0; b < B; b++)
            for (int c = 0; c < N; c++) out[(size_t)b * N + c] = nbias == 1 ? bias[0] : bias[c];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, inp, K, w, K, 1.0f, out, N);
        if (relu) relu_forward(out, out, B * N);
        return;
    }
    const KernelsOps *ops = kernels_ops();
    FwdJob j = {out, inp, w, bias, nbias, B, K, N, relu, cut_2d(B, N, (long)B * K * N, ops->nt_cols, ops->nt_rows, 0)};
    kernels_run(fwd_task, &j, j.cut.ntasks);
}

void linear_forward(float *out, const float *inp, const float *w, const float *bias, int nbias,
                    int B, int K, int N) {
    linear_forward_ex(out, inp, w, bias, nbias, B, K, N, 0);
}

/* The backward's tasks: first the dw blocks, then the dinp blocks, then one for dbias. */
typedef struct {
    float *dinp, *dw, *dbias;
    const float *dout, *inp, *w;
    int nbias, B, K, N, relu_inp;
    Cut dw_cut, dinp_cut;
    KernelsStep *step;                /* fused optimiser step on dw's rows, or NULL */
    unsigned char nonfinite[MAX_TASKS]; /* per dw task, with step */
} BwdJob;

/* The fused step on rows [i0, i1) x columns [c0, c1) of w, from the same block of dw. */
static int step_block(const BwdJob *j, int i0, int i1, int c0, int c1) {
    const KernelsStep *st = j->step;
    size_t K = (size_t)j->K;
    int ok = 1;
    if (c0 == 0 && (size_t)c1 == K) /* whole rows: one contiguous run */
        return kernels_sgd_step(st->w + i0 * K, st->v ? st->v + i0 * K : NULL, j->dw + i0 * K, st->lr, st->mu,
                                (size_t)(i1 - i0) * K);
    for (int i = i0; i < i1; i++) {
        size_t o = i * K + (size_t)c0;
        ok &= kernels_sgd_step(st->w + o, st->v ? st->v + o : NULL, j->dw + o, st->lr, st->mu, (size_t)(c1 - c0));
    }
    return ok;
}

static void dbias_sum(const BwdJob *j) {
    int B = j->B, N = j->N;
    if (j->nbias == 1) {
        double s = 0;
        for (size_t i = 0; i < (size_t)B * N; i++) s += j->dout[i];
        j->dbias[0] = (float)s;
        return;
    }
    /* column sums, over b in order */
    float *db = j->dbias;
    memcpy(db, j->dout, sizeof(float) * (size_t)N);
    for (int b = 1; b < B; b++) {
        const float *d = j->dout + (size_t)b * N;
        for (int c = 0; c < N; c++) db[c] += d[c];
    }
}

// dout (B,N), inp (B,K), w (N,K) -> dw (N,K), dbias (nbias), dinp (B,K)
static void bwd_task(void *ctx, int t) {
    BwdJob *j = ctx;
    int B = j->B, K = j->K, N = j->N, i0, i1, c0, c1;
    if (t < j->dw_cut.ntasks) {
        /* dw (N,K) = dout^T @ inp */
        cut_range(&j->dw_cut, N, K, t, &i0, &i1, &c0, &c1);
        if (i1 > i0 && c1 > c0) {
            gemm_bc(j->dw + (size_t)i0 * K + c0, K, j->dout + i0, 1, N, j->inp + c0, K, i1 - i0, c1 - c0, B, NULL,
                    0);
            if (j->step) j->nonfinite[t] = !step_block(j, i0, i1, c0, c1);
        }
        return;
    }
    t -= j->dw_cut.ntasks;
    if (j->dinp && t < j->dinp_cut.ntasks) {
        /* dinp (B,K) = dout @ w, masked by inp > 0 when inp is a ReLU output */
        cut_range(&j->dinp_cut, B, K, t, &i0, &i1, &c0, &c1);
        if (i1 > i0 && c1 > c0)
            gemm_bc(j->dinp + (size_t)i0 * K + c0, K, j->dout + (size_t)i0 * N, N, 1, j->w + c0, K, i1 - i0, c1 - c0,
                    N, j->relu_inp ? j->inp + (size_t)i0 * K + c0 : NULL, K);
        return;
    }
    dbias_sum(j);
}

void linear_backward_ex(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                        const float *w, int nbias, int B, int K, int N, int relu_inp) {
    long macs = (long)B * K * N;
    const KernelsOps *ops = kernels_ops();
    BwdJob j = {dinp, dw, dbias, dout, inp, w, nbias, B, K, N, relu_inp,
                cut_2d(N, K, macs, ops->bc_cols, ops->bc_rows, 1), cut_2d(B, K, macs, ops->bc_cols, ops->bc_rows, 0),
                NULL, {0}};
    if (!own_backward(B, K, N)) {
        blas_prepare();
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, B, 1.0f, dout, N, inp, K, 0.0f, dw, K);
        if (dinp) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, K, N, 1.0f, dout, N, w, K, 0.0f, dinp, K);
            if (relu_inp) relu_backward(dinp, dinp, inp, B * K);
        }
        dbias_sum(&j);
        return;
    }
    if (!dinp) j.dinp_cut.ntasks = 0;
    int ntasks = j.dw_cut.ntasks + j.dinp_cut.ntasks + 1;
    if (macs * (dinp ? 2 : 1) < 2 * TASK_MACS) /* too little to share: stay on this thread */
        for (int t = 0; t < ntasks; t++) bwd_task(&j, t);
    else
        kernels_run(bwd_task, &j, ntasks);
}

void linear_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int nbias, int B, int K, int N) {
    linear_backward_ex(dinp, dw, dbias, dout, inp, w, nbias, B, K, N, 0);
}

void linear_backward_step(float *dw, float *dbias, const float *dout, const float *inp, int nbias, int B, int K,
                          int N, KernelsStep *step) {
    if (!own_backward(B, K, N)) {
        linear_backward_ex(NULL, dw, dbias, dout, inp, NULL, nbias, B, K, N, 0);
        step->finite = kernels_sgd_step(step->w, step->v, dw, step->lr, step->mu, (size_t)N * K);
        return;
    }
    long macs = (long)B * K * N;
    const KernelsOps *ops = kernels_ops();
    BwdJob j = {NULL, dw, dbias, dout, inp, NULL, nbias, B, K, N, 0,
                cut_2d(N, K, macs, ops->bc_cols, ops->bc_rows, 1), {0, 0, 1, 1}, step, {0}};
    int ntasks = j.dw_cut.ntasks + 1;
    if (macs < 2 * TASK_MACS)
        for (int t = 0; t < ntasks; t++) bwd_task(&j, t);
    else
        kernels_run(bwd_task, &j, ntasks);
    step->finite = 1;
    for (int t = 0; t < j.dw_cut.ntasks; t++)
        if (j.nonfinite[t]) step->finite = 0;
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

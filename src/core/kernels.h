/* kernels.h - the dense-network kernels: linear layer, ReLU, softmax cross-entropy, each with
 * its backward beside it. Fast versions use register-blocked vector products (AVX-512, AVX2+FMA
 * or portable, chosen at run time: kernels_isa.h) split across a small persistent thread pool,
 * and CBLAS (OpenBLAS) for layers too wide for those blocks;
 * *_ref versions are plain loops kept as the reference the tests compare against. Outputs
 * first, then const inputs, then sizes. */
#ifndef DIGITREC_KERNELS_H
#define DIGITREC_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* out (B,N) = inp (B,K) @ w(N,K)^T + bias; bias has nbias = N entries (per neuron) or 1
 * (one scalar per layer). */
void linear_forward(float *out, const float *inp, const float *w, const float *bias, int nbias,
                    int B, int K, int N);
/* Given dout (B,N): dinp (B,K) = dout @ w (skipped when dinp is NULL);
 * dw (N,K) = dout^T @ inp; dbias = column sums of dout (nbias = N) or the total sum (nbias = 1).
 * dw and dbias are overwritten, not accumulated. */
void linear_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int nbias, int B, int K, int N);

/* linear_forward, then max(0, .) when relu is set: the hidden layers' forward in one pass. */
void linear_forward_ex(float *out, const float *inp, const float *w, const float *bias, int nbias,
                       int B, int K, int N, int relu);
/* linear_backward for a layer whose input inp is a ReLU output when relu_inp is set: dinp is
 * then already multiplied by (inp > 0), i.e. it is the gradient before that ReLU. */
void linear_backward_ex(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                        const float *w, int nbias, int B, int K, int N, int relu_inp);

/* The optimiser step fused into a first layer's backward (see linear_backward_step). */
typedef struct {
    float *w, *v;   /* (N,K) the layer's weights, stepped in place; momentum buffer, or NULL */
    float lr, mu;
    int finite;     /* out: 1 if every element of dw was finite (the step is taken either way) */
} KernelsStep;
/* linear_backward_ex without dinp, with kernels_sgd_step's update fused in: as each block of
 * rows of dw is finished it also steps the same rows of w (and v) while they are in cache, and
 * still writes dw. Only for a layer whose w no later product of the step needs (the first). */
void linear_backward_step(float *dw, float *dbias, const float *dout, const float *inp, int nbias, int B, int K,
                          int N, KernelsStep *step);

/* out = max(0, inp), n elements (in place allowed). */
void relu_forward(float *out, const float *inp, int n);
/* dinp = dout where the layer's output was > 0, else 0 (in place allowed). */
void relu_backward(float *dinp, const float *dout, const float *out, int n);

/* probs (B,C) = softmax(logits) row-wise, stable (max subtracted). Returns the mean
 * cross-entropy over rows with y != NULL (labels y (B)), computed with log-sum-exp; 0 if y is NULL. */
double softmax_xent_forward(float *probs, const float *logits, const int *y, int B, int C);
/* dlogits (B,C) = (probs - onehot(y)) / B: the gradient of the batch-mean loss. */
void softmax_xent_backward(float *dlogits, const float *probs, const int *y, int B, int C);

/* References: the same contracts as plain loops. */
void linear_forward_ref(float *out, const float *inp, const float *w, const float *bias, int nbias,
                        int B, int K, int N);
void linear_backward_ref(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int nbias, int B, int K, int N);

/* Threads the kernels use (1 = single-threaded, the default): the calling thread plus n-1
 * pool workers started on first use. Takes effect at the next kernel call; any thread may set
 * it. The register-blocked products are cut into tasks by problem size alone and compute each
 * element the same way whichever thread runs it, so their results do not depend on the thread
 * count; the BLAS path for wide layers is reproducible for a given thread count. */
void kernels_set_threads(int n);
int kernels_get_threads(void);

/* n floats aligned to a cache line (64 bytes), zeroed; NULL on overflow or out of memory.
 * Release with free(). Rows of 784 floats stay 32-byte aligned, so the AVX loads never split
 * a cache line. */
float *kernels_alloc(size_t n);

/* 1 if none of a (n) is NaN or infinite. */
int kernels_all_finite(const float *a, size_t n);
/* out (n) = in (n) / 255.0f, bit-identical to the division (dataset_gather's rule), vectorised:
 * pixel bytes to the network's inputs. */
void kernels_pixels_to_floats(float *out, const uint8_t *in, size_t n);

/* The plain and momentum gradient steps of optim.c, vectorised, with the same roundings (so the
 * same results): p -= lr g; or v = mu v + g, p -= lr v (v == NULL: plain step). n elements.
 * Returns 1 if every grad element was finite (the step is taken either way). */
int kernels_sgd_step(float *params, float *v, const float *grad, float lr, float mu, size_t n);

/* y (n) += a * x (n), rounding the product then the sum (no fused multiply-add), vectorised. */
void kernels_axpy(float *y, float a, const float *x, size_t n);

/* One task of a job: fn(ctx, task) for task in [0, ntasks), in any order, on any thread. */
typedef void (*KernelsTask)(void *ctx, int task);
/* Runs tasks 0..ntasks-1 of fn on the calling thread and the pool's workers, and returns when
 * all are done. Tasks must be independent. If another thread is already inside kernels_run,
 * runs them all on the caller, so concurrent callers are safe but not parallel. */
void kernels_run(KernelsTask fn, void *ctx, int ntasks);
/* Lets idle pool workers go to sleep at once rather than spin for the next job: for when the
 * cores are about to be handed to other threads (a BLAS call, a long pause). */
void kernels_rest(void);
/* Share [*lo, *hi) of [0, n) for part of nparts, in whole units of align (the last unit may be
 * short): the same arguments always give the same split. */
void kernels_split(int n, int align, int part, int nparts, int *lo, int *hi);

#endif

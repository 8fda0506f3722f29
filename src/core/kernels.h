/* kernels.h - the dense-network kernels: linear layer, ReLU, softmax cross-entropy, each with
 * its backward beside it. Fast versions go through CBLAS; *_ref versions are plain loops kept
 * as the reference the tests compare against. Outputs first, then const inputs, then sizes. */
#ifndef DIGITREC_KERNELS_H
#define DIGITREC_KERNELS_H

/* out (B,N) = inp (B,K) @ w(N,K)^T + bias; bias has nbias = N entries (per neuron) or 1
 * (one scalar per layer). */
void linear_forward(float *out, const float *inp, const float *w, const float *bias, int nbias,
                    int B, int K, int N);
/* Given dout (B,N): dinp (B,K) = dout @ w (skipped when dinp is NULL);
 * dw (N,K) = dout^T @ inp; dbias = column sums of dout (nbias = N) or the total sum (nbias = 1).
 * dw and dbias are overwritten, not accumulated. */
void linear_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int nbias, int B, int K, int N);

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

/* Threads used by the BLAS (1 = single-threaded). */
void kernels_set_threads(int n);
int kernels_get_threads(void);

#endif

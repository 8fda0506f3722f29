/* kernels_gemm.h - the two single-threaded matrix-product shapes the network needs, register
 * blocked per vector ISA (kernels_simd.inc; the version in force is kernels_isa.h's choice).
 * Internal to the kernels and conv: callers split the work across threads by handing each a
 * block of rows or columns, preferably whole blocks of kernels_ops()'s sizes. */
#ifndef DIGITREC_KERNELS_GEMM_H
#define DIGITREC_KERNELS_GEMM_H

#include "kernels_isa.h"

/* How gemm_nt adds a bias before the optional ReLU. */
enum { GEMM_BIAS_NONE = 0, GEMM_BIAS_SCALAR = 1, GEMM_BIAS_COL = 2 };

/* Dot-product form, both operands contiguous along K (the linear layer's forward):
 * C (M,N) = A (M,K) @ B (N,K)^T [+ bias] [then max(0, .)]; row strides lda, ldb, ldc.
 * bias is bias[0] for GEMM_BIAS_SCALAR, bias[j] for column j with GEMM_BIAS_COL. */
static inline void gemm_nt(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K,
                           const float *bias, int bias_mode, int relu) {
    kernels_ops()->gemm_nt(C, ldc, A, lda, B, ldb, M, N, K, bias, bias_mode, relu);
}

/* Broadcast (outer-product) form, reducing over P (the linear layer's two backward products):
 * C (M,N) = sum_p a(i,p) * B[p*ldb + j] with a(i,p) = A[i*sai + p*sap]; C is overwritten.
 * dW = dout^T @ inp is (sai, sap) = (1, N); dinp = dout @ w is (sai, sap) = (N, 1).
 * When mask is given, C[i][j] is zeroed where mask[i*ldm + j] <= 0 (fused ReLU backward). */
static inline void gemm_bc(float *C, int ldc, const float *A, int sai, int sap, const float *B, int ldb, int M, int N,
                           int P, const float *mask, int ldm) {
    kernels_ops()->gemm_bc(C, ldc, A, sai, sap, B, ldb, M, N, P, mask, ldm);
}

#endif

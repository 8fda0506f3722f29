/* kernels_gemm.c - register-blocked single-threaded matrix products for the linear layers:
 * gemm_nt (forward, dot-product form) and gemm_bc (backward, outer-product form). AVX2+FMA
 * micro-kernels when the compiler targets them, plain loops otherwise. No threads, no
 * allocation; every output element is computed by one fixed sequence of operations, so the
 * result does not depend on how callers split the work. */
#include "kernels_gemm.h"

#include <stddef.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")
/* Stops the compiler from folding a load into every FMA that uses it (which would load the
 * same vector once per use and make the loop bound by loads instead of FMAs). */
#define KEEP_IN_REGISTER(v) __asm__("" : "+x"(v))

/* Lanes [0, n) set, for masked loads/stores of a row's last n < 8 floats. */
INLINE __m256i tail_mask(int n) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

/* Sums of 4 vectors' lanes: lane r of the result is the sum of v[r]. */
INLINE __m128 hsum4(__m256 v0, __m256 v1, __m256 v2, __m256 v3) {
    __m256 a = _mm256_hadd_ps(v0, v1), b = _mm256_hadd_ps(v2, v3);
    __m256 c = _mm256_hadd_ps(a, b);
    return _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
}

/* ---- gemm_nt: MR rows of A against NR rows of B, 8 k at a time ---- */

/* NR rows of B (about 19 KB at K = 784) stay in L1 while A's rows stream past two at a time;
 * 12 accumulators + 2 A vectors + 1 B vector fill the 16 ymm registers. */
#define NT_MR 2
#define NT_NR 6

INLINE void nt_block(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int K, int mr,
                     int nr, const float *bias, int bias_mode, int relu) {
    __m256 acc[NT_MR][NT_NR];
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int c = 0; c < nr; c++) acc[r][c] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 a[NT_MR];
        UNROLL
        for (int r = 0; r < mr; r++) a[r] = _mm256_loadu_ps(A + (size_t)r * lda + k);
        UNROLL
        for (int c = 0; c < nr; c++) {
            __m256 b = _mm256_loadu_ps(B + (size_t)c * ldb + k);
            KEEP_IN_REGISTER(b);
            UNROLL
            for (int r = 0; r < mr; r++) acc[r][c] = _mm256_fmadd_ps(a[r], b, acc[r][c]);
        }
    }
    if (k < K) {
        __m256i m = tail_mask(K - k);
        __m256 a[NT_MR];
        UNROLL
        for (int r = 0; r < mr; r++) a[r] = _mm256_maskload_ps(A + (size_t)r * lda + k, m);
        UNROLL
        for (int c = 0; c < nr; c++) {
            __m256 b = _mm256_maskload_ps(B + (size_t)c * ldb + k, m);
            UNROLL
            for (int r = 0; r < mr; r++) acc[r][c] = _mm256_fmadd_ps(a[r], b, acc[r][c]);
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
        __m256 z = _mm256_setzero_ps();
        float o[8];
        _mm_storeu_ps(o, hsum4(acc[r][0], nr > 1 ? acc[r][1] : z, nr > 2 ? acc[r][2] : z, nr > 3 ? acc[r][3] : z));
        if (nr > 4) _mm_storeu_ps(o + 4, hsum4(acc[r][4], nr > 5 ? acc[r][5] : z, z, z));
        UNROLL
        for (int c = 0; c < nr; c++) {
            float v = o[c];
            if (bias_mode == GEMM_BIAS_SCALAR) v += bias[0];
            else if (bias_mode == GEMM_BIAS_COL) v += bias[c];
            if (relu) v = v > 0.0f ? v : 0.0f;
            C[(size_t)r * ldc + c] = v;
        }
    }
}

#define NT_CASE(MR, NR)                                                                        \
    case (MR) * 8 + (NR):                                                                      \
        nt_block(C, ldc, A, lda, B, ldb, K, MR, NR, bias, bias_mode, relu);                   \
        break;
#define NT_CASES(MR) NT_CASE(MR, 1) NT_CASE(MR, 2) NT_CASE(MR, 3) NT_CASE(MR, 4) NT_CASE(MR, 5) NT_CASE(MR, 6)

static void nt_dispatch(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int K, int mr,
                        int nr, const float *bias, int bias_mode, int relu) {
    switch (mr * 8 + nr) {
        NT_CASES(1) NT_CASES(2)
    default:
        break;
    }
}

/* A's rows are taken NT_RC at a time (200 KB at K = 784), so the pass of every block of B over
 * them reads from L2 even when the batch is large. */
#define NT_RC 64

void gemm_nt(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K,
             const float *bias, int bias_mode, int relu) {
    for (int i0 = 0; i0 < M; i0 += NT_RC) {
        int i1 = M - i0 < NT_RC ? M : i0 + NT_RC;
        for (int j = 0; j < N; j += NT_NR) {
            int nr = N - j < NT_NR ? N - j : NT_NR;
            const float *bj = bias_mode == GEMM_BIAS_COL ? bias + j : bias;
            for (int i = i0; i < i1; i += NT_MR) {
                int mr = i1 - i < NT_MR ? i1 - i : NT_MR;
                nt_dispatch(C + (size_t)i * ldc + j, ldc, A + (size_t)i * lda, lda, B + (size_t)j * ldb, ldb, K, mr,
                            nr, bj, bias_mode, relu);
            }
        }
    }
}

/* ---- gemm_bc: MR rows of C by NV vectors of 8 columns, broadcasting a(i,p) ---- */

#define BC_MR 6
#define BC_NV 2
#define BC_PC 64 /* p per pass */

/* first: start from zero, else add to what C holds; mask is applied on the last pass only. */
INLINE void bc_block(float *C, int ldc, const float *A, int sai, int sap, const float *B, int ldb, int P, int mr,
                     int nv, int ntail, int first, const float *mask, int ldm) {
    __m256 acc[BC_MR][BC_NV];
    __m256i tm = tail_mask(ntail); /* the last vector holds ntail (1..8) columns */
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int v = 0; v < nv; v++) {
            const float *cp = C + (size_t)r * ldc + 8 * v;
            acc[r][v] = first ? _mm256_setzero_ps()
                        : v == nv - 1 && ntail < 8 ? _mm256_maskload_ps(cp, tm) : _mm256_loadu_ps(cp);
        }
    for (int p = 0; p < P; p++) {
        const float *bp = B + (size_t)p * ldb;
        __m256 b[BC_NV];
        UNROLL
        for (int v = 0; v < nv; v++)
            b[v] = v == nv - 1 && ntail < 8 ? _mm256_maskload_ps(bp + 8 * v, tm) : _mm256_loadu_ps(bp + 8 * v);
        const float *ap = A + (size_t)p * sap;
        UNROLL
        for (int r = 0; r < mr; r++) {
            __m256 a = _mm256_broadcast_ss(ap + (size_t)r * sai);
            UNROLL
            for (int v = 0; v < nv; v++) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int v = 0; v < nv; v++) {
            __m256 x = acc[r][v];
            if (mask) {
                const float *mp = mask + (size_t)r * ldm + 8 * v;
                __m256 mv = v == nv - 1 && ntail < 8 ? _mm256_maskload_ps(mp, tm) : _mm256_loadu_ps(mp);
                x = _mm256_and_ps(x, _mm256_cmp_ps(mv, _mm256_setzero_ps(), _CMP_GT_OQ));
            }
            float *cp = C + (size_t)r * ldc + 8 * v;
            if (v == nv - 1 && ntail < 8) _mm256_maskstore_ps(cp, tm, x);
            else _mm256_storeu_ps(cp, x);
        }
}

#define BC_CASE(MR, NV, FULL)                                                                    \
    case ((MR) * 4 + (NV)) * 2 + (FULL):                                                         \
        bc_block(C, ldc, A, sai, sap, B, ldb, P, MR, NV, (FULL) ? 8 : ntail, first, mask, ldm);  \
        break;
#define BC_CASES(MR) BC_CASE(MR, 1, 0) BC_CASE(MR, 1, 1) BC_CASE(MR, 2, 0) BC_CASE(MR, 2, 1)

static void bc_dispatch(float *C, int ldc, const float *A, int sai, int sap, const float *B, int ldb, int P,
                        int mr, int nv, int ntail, int first, const float *mask, int ldm) {
    switch ((mr * 4 + nv) * 2 + (ntail == 8)) {
        BC_CASES(1) BC_CASES(2) BC_CASES(3) BC_CASES(4) BC_CASES(5) BC_CASES(6)
    default:
        break;
    }
}

/* p outermost: B's rows [p0, p0 + BC_PC) (200 KB at 784 columns) stay in L2 while all of C's
 * blocks take their share; C is reloaded per pass, which rounds nothing (it is float already). */
void gemm_bc(float *C, int ldc, const float *A, int sai, int sap, const float *B, int ldb, int M, int N, int P,
             const float *mask, int ldm) {
    for (int p0 = 0; p0 < P || p0 == 0; p0 += BC_PC) {
        int pc = P - p0 < BC_PC ? P - p0 : BC_PC, last = p0 + pc >= P;
        for (int j = 0; j < N; j += 8 * BC_NV) {
            int w = N - j < 8 * BC_NV ? N - j : 8 * BC_NV;
            int nv = (w + 7) / 8, ntail = w - 8 * (nv - 1);
            for (int i = 0; i < M; i += BC_MR) {
                int mr = M - i < BC_MR ? M - i : BC_MR;
                bc_dispatch(C + (size_t)i * ldc + j, ldc, A + (size_t)i * sai + (size_t)p0 * sap, sai, sap,
                            B + (size_t)p0 * ldb + j, ldb, pc, mr, nv, ntail, p0 == 0,
                            last && mask ? mask + (size_t)i * ldm + j : NULL, ldm);
            }
        }
    }
}

#else /* portable fallback: same contracts, plain loops the compiler may vectorise */

void gemm_nt(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K,
             const float *bias, int bias_mode, int relu) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            const float *a = A + (size_t)i * lda, *b = B + (size_t)j * ldb;
            float s = 0;
            for (int k = 0; k < K; k++) s += a[k] * b[k];
            if (bias_mode == GEMM_BIAS_SCALAR) s += bias[0];
            else if (bias_mode == GEMM_BIAS_COL) s += bias[j];
            if (relu) s = s > 0.0f ? s : 0.0f;
            C[(size_t)i * ldc + j] = s;
        }
}

void gemm_bc(float *C, int ldc, const float *A, int sai, int sap, const float *B, int ldb, int M, int N, int P,
             const float *mask, int ldm) {
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        for (int j = 0; j < N; j++) c[j] = 0;
        for (int p = 0; p < P; p++) {
            float a = A[(size_t)i * sai + (size_t)p * sap];
            const float *b = B + (size_t)p * ldb;
            for (int j = 0; j < N; j++) c[j] += a * b[j];
        }
        if (mask)
            for (int j = 0; j < N; j++)
                if (!(mask[(size_t)i * ldm + j] > 0)) c[j] = 0;
    }
}

#endif

/* conv_simd.h - what conv.c, conv_micro.c and pool.c share, private to them: the vector width and
 * block sizes of this build, and the micro-kernels' entry points (defined in conv_micro.c). No
 * public API here: conv.h is that. */
#ifndef DIGITREC_CONV_SIMD_H
#define DIGITREC_CONV_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

#if defined(__AVX512F__)
typedef __m512 vf;
#define VL 16
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_BCAST(p) _mm512_set1_ps(*(p))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define KEEP(v) __asm__("" : "+v"(v))
/* 32 registers: 24 accumulators, 3 input vectors, 1 broadcast weight */
#define FWD_MR 8
#ifndef DOT_MR
#define DOT_MR 4
#endif
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vf;
#define VL 8
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define KEEP(v) __asm__("" : "+x"(v))
INLINE float hsum8(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}
#define V_HSUM(v) hsum8(v)
/* 16 registers: 12 accumulators, 3 input vectors, 1 broadcast weight */
#define FWD_MR 4
#define DOT_MR 2
#else
typedef float vf;
#define VL 1
#define V_ZERO() 0.0f
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_ADD(a, b) ((a) + (b))
#define V_BCAST(p) (*(p))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_HSUM(v) (v)
#define KEEP(v) ((void)0)
#define FWD_MR 4
#define DOT_MR 2
#endif
#define FWD_NV 3 /* output vectors per block */
#ifndef DOT_NT
#define DOT_NT 6 /* taps per dW block */
#endif

#if defined(__AVX512F__)
#define CV_HAVE 1
#define CV_R 12 /* at most this many pixels of one output row per forward block (24 accumulators) */
#define SC_MR 6 /* input channels per scatter block: 24 accumulators with SC_NV */
#define SC_NV 4 /* vectors of 16 positions per scatter block */
#else
#define CV_HAVE 0
#endif

/* The row-vector direct kernel on one block of mr (<= FWD_MR) output channels x nv (<= FWD_NV)
 * vectors: O[r*ldo + v*VL + l] = sum over taps of w[r*T + tap] * X[tap offset + v*VL + l], taps
 * (ci, kh, kw) at offset ci*plane + kh*ldx + kw, T = Cin*K*K, kernel rows kh in [kh0, kh1) only.
 * With accum the sums are added to what O holds. */
void conv_mk_direct(float *O, size_t ldo, const float *X, size_t plane, int ldx, const float *w, int Cin, int K,
                    int kh0, int kh1, int mr, int nv, int accum);
/* O (Cout, ldo) wide output of n positions from X (Cin planes of `plane` floats, rows of ldx,
 * nonzero only in rows [top, bottom)) and w (Cout, Cin, K, K): every block of conv_mk_direct,
 * skipping the kernel rows that read only zero rows. */
void conv_mk_direct_conv(float *O, size_t ldo, const float *X, size_t plane, int ldx, const float *w, int Cout,
                         int Cin, int K, size_t n, int top, int bottom);
#if defined(__AVX512F__)
/* conv_mk_direct_conv's sums plus bias (Cout), then max(0, .) when relu, stored straight into
 * out (Cout, Ho, Wo): only the wide positions h*ldx + x with x < Wo and h < Ho are stored. */
void conv_mk_direct_conv_out(float *out, int Ho, int Wo, const float *X, size_t plane, int ldx, const float *w,
                             const float *bias, int relu, int Cout, int Cin, int K, size_t n, int top, int bottom);
#endif
/* The dW kernel on mr (<= DOT_MR) output channels x nt (<= DOT_NT) taps:
 * dw[r*T + c] = sum over images i, positions n < len of D[i][r*ldd + n] * X[i][off[c] + n]. */
void conv_mk_dot(float *dw, size_t T, const float *D, size_t dimg, size_t ldd, const float *X, size_t ximg,
                 const int *off, int nimg, size_t len, int mr, int nt);

/* MaxPool2d(2, 2) on the calling thread (pool.c), for a conv's tasks to pool their own images:
 * the contracts of maxpool2d_forward and maxpool2d_backward over n planes. */
void maxpool2d_planes_forward(float *out, uint8_t *idx, const float *inp, int n, int H, int W);
void maxpool2d_planes_backward(float *dinp, const float *dout, const uint8_t *idx, int n, int H, int W);
/* The pool's backward through the ReLU under it, straight into a conv's output-gradient layout:
 * for each of n planes of H x W (ldp floats apart, rows ld apart), columns x < fill (fill >= W)
 * of every row: dout (n,H/2,W/2) at each window's winner (idx) where the window's output pv
 * (n,H/2,W/2) is > 0, else 0. The values maxpool2d_backward and then a ReLU mask of the pool's
 * input give (the winner's input is pv), written where that tensor's rows would be copied. */
void maxpool2d_route(float *dst, size_t ldp, int ld, int fill, const float *dout, const uint8_t *idx, const float *pv,
                     int n, int H, int W);

#if CV_HAVE
/* kernel rows per dW block: as many as keep KR*K*J <= 24 accumulators */
static inline int cv_rows(int K, int J) { return 24 / (K * J) > 0 ? 24 / (K * J) : 1; }
/* The input gradient's scatter, one tap: for r < mr (<= SC_MR) input channels and positions
 * p in [n0, n0 + 16*nv) below n (nv <= SC_NV), pad[r*plane + (p / Wo)*ldx + p % Wo] +=
 * sum over o < Co of wt[r*Co + o] * D[o*ldd + p]. D's rows are read in whole vectors (ldd a
 * multiple of 16, readable to n0 + 16*nv); pad is touched only at those positions. */
void conv_mk_scatter(float *pad, size_t plane, int ldx, const float *wt, int Co, const float *D, size_t ldd, int n0,
                     int n, int Wo, int mr, int nv);
/* Channel vectors, forward: out (Cout, Ho, Wo) + bias (Cout, or NULL), ReLU when relu, from X
 * (Cin padded planes of `plane` floats, rows of ldx) and Wk (Cin*K*K, ldw) packed weights. */
void conv_mk_cv_conv(float *out, const float *X, size_t plane, int ldx, const float *Wk, int ldw, int Cout, int Cin,
                     int K, int Ho, int Wo, const float *bias, int relu);
/* Channel vectors, dW: KR kernel rows (KR == 1 or cv_rows(K, J)) starting at the row offsets
 * roff, by J (1 or 2) vectors of 16 channels, into dwk (rows of ldw). */
void conv_mk_cv_dw(float *dwk, int ldw, const float *X, size_t ximg, const int *roff, const float *dT, size_t dimg,
                   int nimg, int Ho, int Wo, int ldx, int K, int KR, int J);
#endif

#endif

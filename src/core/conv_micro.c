/* conv_micro.c - the convolution's register-blocked micro-kernels (row vectors over a padded
 * plane, the dW dot products, and on AVX-512 the channel-vector kernels), each a fixed-size block
 * instantiated for every block shape behind a switch. No workspace plans, threads or layouts
 * here: conv.c cuts the work and calls these. */
#include <assert.h>

#include "conv_simd.h"

/* ---- the direct kernel: MR output channels x NV vectors of the wide output ---- */

/* O[r*ldo + v*VL + l] = sum over taps of w[r*T + tap] * X[tap offset + v*VL + l], taps
 * (ci, kh, kw) at offset ci*plane + kh*ldx + kw, T = Cin*K*K, kernel rows kh in [kh0, kh1)
 * only (the others would read rows of X that are all zero padding). With accum the sums are
 * added to what O holds. */
INLINE void direct_sums(vf acc[FWD_MR][FWD_NV], const float *X, size_t plane, int ldx, const float *w, int Cin, int K,
                        int kh0, int kh1, int mr, int nv) {
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = V_ZERO();
    const int T = Cin * K * K;
    for (int ci = 0; ci < Cin; ci++) {
        for (int kh = kh0; kh < kh1; kh++) {
            const float *xr = X + (size_t)ci * plane + (size_t)kh * ldx;
            const float *wr = w + (size_t)ci * K * K + (size_t)kh * K;
            for (int kw = 0; kw < K; kw++) {
                vf x[FWD_NV];
                UNROLL
                for (int v = 0; v < nv; v++) {
                    x[v] = V_LOAD(xr + kw + v * VL);
                    KEEP(x[v]);
                }
                UNROLL
                for (int r = 0; r < mr; r++) {
                    vf wv = V_BCAST(wr + (size_t)r * T + kw);
                    UNROLL
                    for (int v = 0; v < nv; v++) acc[r][v] = V_FMA(wv, x[v], acc[r][v]);
                }
            }
        }
    }
}

INLINE void direct_block(float *O, size_t ldo, const float *X, size_t plane, int ldx, const float *w, int Cin,
                         int K, int kh0, int kh1, int mr, int nv, int accum) {
    vf acc[FWD_MR][FWD_NV];
    direct_sums(acc, X, plane, ldx, w, Cin, K, kh0, kh1, mr, nv);
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int v = 0; v < nv; v++) {
            float *o = O + (size_t)r * ldo + v * VL;
            V_STORE(o, accum ? V_ADD(V_LOAD(o), acc[r][v]) : acc[r][v]);
        }
}

#define FWD_CASE(MR_, NV_)                                                                    \
    case (MR_) * 4 + (NV_):                                                                   \
        direct_block(O, ldo, X, plane, ldx, w, Cin, K, kh0, kh1, MR_, NV_, accum);             \
        break;
#define FWD_ROW(MR_) FWD_CASE(MR_, 1) FWD_CASE(MR_, 2) FWD_CASE(MR_, 3)
#if FWD_MR > 4
#define FWD_ROWS_HI FWD_ROW(5) FWD_ROW(6) FWD_ROW(7) FWD_ROW(8)
#else
#define FWD_ROWS_HI
#endif

void conv_mk_direct(float *O, size_t ldo, const float *X, size_t plane, int ldx, const float *w, int Cin,
                            int K, int kh0, int kh1, int mr, int nv, int accum) {
    switch (mr * 4 + nv) {
        FWD_ROW(1) FWD_ROW(2) FWD_ROW(3) FWD_ROW(4) FWD_ROWS_HI
    default:
        assert(0);
    }
}

/* The block of wide positions from n0, nv vectors long: the kernel rows [*kh0, *kh1) that read
 * X's nonzero rows [top, bottom) for its output rows (an output row r reads X rows r + kh). */
static void block_rows(size_t n0, int nv, int ldx, int K, int top, int bottom, int *kh0, int *kh1) {
    int r0 = (int)(n0 / (size_t)ldx), r1 = (int)((n0 + (size_t)nv * VL - 1) / (size_t)ldx);
    *kh0 = top - r1 > 0 ? top - r1 : 0, *kh1 = bottom - r0 < K ? bottom - r0 : K;
    if (*kh1 < *kh0) *kh1 = *kh0;
}

#if defined(__AVX512F__)
/* direct_block's sums for the wide positions [n0, n0 + nv*VL), plus bias[r], then max(0, .)
 * when relu (as row_bias_relu in conv.c), stored straight into out (mr planes oplane apart, rows
 * of Wo): wide position p = h*ldx + x goes to out[r][h][x] when x < Wo and h < Ho; the padding
 * columns are never stored. */
INLINE void direct_block_out(float *out, size_t oplane, int Ho, int Wo, const float *X, size_t plane, int ldx,
                             const float *w, const float *bias, int relu, int Cin, int K, int kh0, int kh1, int n0,
                             int mr, int nv) {
    vf acc[FWD_MR][FWD_NV];
    direct_sums(acc, X, plane, ldx, w, Cin, K, kh0, kh1, mr, nv);
    const __m512 z = _mm512_setzero_ps();
    UNROLL
    for (int r = 0; r < mr; r++) {
        __m512 b = _mm512_set1_ps(bias[r]);
        UNROLL
        for (int v = 0; v < nv; v++) {
            acc[r][v] = _mm512_add_ps(acc[r][v], b);
            if (relu) acc[r][v] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(acc[r][v], z, _CMP_GT_OQ), acc[r][v]);
        }
    }
    int h = n0 / ldx, x = n0 % ldx; /* of position p below */
    UNROLL
    for (int v = 0; v < nv; v++) {
        for (int p = n0 + VL * v, end = p + VL; p < end && h < Ho;) {
            int lane = p - (n0 + VL * v), len = ldx - x < end - p ? ldx - x : end - p;
            if (x < Wo) {
                int keep = Wo - x < len ? Wo - x : len;
                __mmask16 m = (__mmask16)(((1u << keep) - 1) << lane);
                /* lane `lane` lands at (h, x): h*Wo + x >= lane as in conv_mk_scatter */
                float *base = out + (size_t)h * Wo + x - lane;
                UNROLL
                for (int r = 0; r < mr; r++) _mm512_mask_storeu_ps(base + (size_t)r * oplane, m, acc[r][v]);
            }
            p += len, x += len;
            if (x == ldx) x = 0, h++;
        }
    }
}

#define FWDO_CASE(MR_, NV_)                                                                   \
    case (MR_) * 4 + (NV_):                                                                   \
        direct_block_out(o, oplane, Ho, Wo, X + n0, plane, ldx, wc, bc, relu, Cin, K, kh0, kh1, (int)n0, MR_, NV_); \
        break;
#define FWDO_ROW(MR_) FWDO_CASE(MR_, 1) FWDO_CASE(MR_, 2) FWDO_CASE(MR_, 3)

void conv_mk_direct_conv_out(float *out, int Ho, int Wo, const float *X, size_t plane, int ldx, const float *w,
                             const float *bias, int relu, int Cout, int Cin, int K, size_t n, int top, int bottom) {
    size_t T = (size_t)Cin * K * K, oplane = (size_t)Ho * Wo;
    for (int c0 = 0; c0 < Cout; c0 += FWD_MR) {
        int mr = Cout - c0 < FWD_MR ? Cout - c0 : FWD_MR;
        for (size_t n0 = 0; n0 < n; n0 += FWD_NV * VL) {
            size_t left = (n - n0 + VL - 1) / VL;
            int nv = left < FWD_NV ? (int)left : FWD_NV;
            int kh0, kh1;
            block_rows(n0, nv, ldx, K, top, bottom, &kh0, &kh1);
            float *o = out + (size_t)c0 * oplane;
            const float *wc = w + (size_t)c0 * T, *bc = bias + c0;
            switch (mr * 4 + nv) {
                FWDO_ROW(1) FWDO_ROW(2) FWDO_ROW(3) FWDO_ROW(4) FWDO_ROW(5) FWDO_ROW(6) FWDO_ROW(7) FWDO_ROW(8)
            default:
                assert(0);
            }
        }
    }
}
#endif

/* O (Cout, ldo) wide output of n positions from X (Cin planes of `plane` floats, rows of ldx,
 * nonzero only in rows [top, bottom)) and w (Cout, Cin, K, K). */
void conv_mk_direct_conv(float *O, size_t ldo, const float *X, size_t plane, int ldx, const float *w, int Cout,
                        int Cin, int K, size_t n, int top, int bottom) {
    size_t T = (size_t)Cin * K * K;
    for (int c0 = 0; c0 < Cout; c0 += FWD_MR) {
        int mr = Cout - c0 < FWD_MR ? Cout - c0 : FWD_MR;
        for (size_t n0 = 0; n0 < n; n0 += FWD_NV * VL) {
            size_t left = (n - n0 + VL - 1) / VL;
            int nv = left < FWD_NV ? (int)left : FWD_NV;
            int kh0, kh1;
            block_rows(n0, nv, ldx, K, top, bottom, &kh0, &kh1);
            conv_mk_direct(O + (size_t)c0 * ldo + n0, ldo, X + n0, plane, ldx, w + (size_t)c0 * T, Cin, K, kh0, kh1,
                            mr, nv, 0);
        }
    }
}

/* ---- the dW kernel: MR output channels x NT taps, summed over images and positions ---- */

/* dw[r*T + c] = sum over images i, positions n < len of D[i][r*ldd + n] * X[i][off[c] + n]. */
INLINE void dot_block(float *dw, size_t T, const float *D, size_t dimg, size_t ldd, const float *X, size_t ximg,
                      const int *off, int nimg, size_t len, int mr, int nt) {
    vf acc[DOT_MR][DOT_NT];
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int c = 0; c < nt; c++) acc[r][c] = V_ZERO();
    for (int i = 0; i < nimg; i++) {
        const float *d = D + (size_t)i * dimg, *x = X + (size_t)i * ximg;
        for (size_t n = 0; n < len; n += VL) {
            vf dv[DOT_MR];
            UNROLL
            for (int r = 0; r < mr; r++) dv[r] = V_LOAD(d + (size_t)r * ldd + n);
            UNROLL
            for (int c = 0; c < nt; c++) {
                vf xv = V_LOAD(x + off[c] + n);
                KEEP(xv);
                UNROLL
                for (int r = 0; r < mr; r++) acc[r][c] = V_FMA(dv[r], xv, acc[r][c]);
            }
        }
    }
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int c = 0; c < nt; c++) dw[(size_t)r * T + c] = V_HSUM(acc[r][c]);
}

#define DOT_CASE(MR_, NT_)                                                                    \
    case (MR_) * 16 + (NT_):                                                                  \
        dot_block(dw, T, D, dimg, ldd, X, ximg, off, nimg, len, MR_, NT_);                     \
        break;
#define DOT_ROW(MR_) DOT_CASE(MR_, 1) DOT_CASE(MR_, 2) DOT_CASE(MR_, 3) DOT_CASE(MR_, 4) DOT_CASE(MR_, 5) DOT_CASE(MR_, 6)
#if DOT_MR > 4
#define DOT_ROWS_HI DOT_ROW(3) DOT_ROW(4) DOT_ROW(5) DOT_ROW(6) DOT_ROW(7) DOT_ROW(8)
#elif DOT_MR > 2
#define DOT_ROWS_HI DOT_ROW(3) DOT_ROW(4)
#else
#define DOT_ROWS_HI
#endif

void conv_mk_dot(float *dw, size_t T, const float *D, size_t dimg, size_t ldd, const float *X, size_t ximg,
                         const int *off, int nimg, size_t len, int mr, int nt) {
    switch (mr * 16 + nt) {
        DOT_ROW(1) DOT_ROW(2) DOT_ROWS_HI
    default:
        assert(0);
    }
}

/* ---- channel vectors (AVX-512): 16 output channels per vector, pixels broadcast ----
 * No lane is wasted on padding columns, and dW sums stay in registers (no horizontal sums),
 * which is what wins on the 14x14 layers (docs/conv-kernels.md). Weights are repacked per call
 * as (taps, channels padded to 16), a few tens of KB. */
#if CV_HAVE

/* tile[r*J*16 + j*16 + l] = sum over taps t of X[tap offset + r] * Wk[t*ldw + j*16 + l]: R pixels
 * of one row (X points at the first one in channel 0's plane) by J vectors of channels. */
INLINE void cv_fwd_block(float *tile, const float *X, size_t plane, int ldx, const float *Wk, int ldw, int Cin,
                         int K, int R, int J) {
    __m512 acc[CV_R][2];
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < J; j++) acc[r][j] = _mm512_setzero_ps();
    for (int ci = 0; ci < Cin; ci++)
        for (int kh = 0; kh < K; kh++) {
            const float *xr = X + (size_t)ci * plane + (size_t)kh * ldx;
            const float *wr = Wk + (size_t)((ci * K + kh) * K) * ldw;
            for (int kw = 0; kw < K; kw++) {
                __m512 w[2];
                UNROLL
                for (int j = 0; j < J; j++) w[j] = _mm512_loadu_ps(wr + (size_t)kw * ldw + 16 * j);
                UNROLL
                for (int r = 0; r < R; r++) {
                    __m512 x = _mm512_set1_ps(xr[kw + r]);
                    UNROLL
                    for (int j = 0; j < J; j++) acc[r][j] = _mm512_fmadd_ps(x, w[j], acc[r][j]);
                }
            }
        }
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int j = 0; j < J; j++) _mm512_storeu_ps(tile + (size_t)(r * J + j) * 16, acc[r][j]);
}

#define CVF_CASE(R_, J_)                                                                      \
    case (R_) * 4 + (J_):                                                                     \
        cv_fwd_block(tile, X, plane, ldx, Wk, ldw, Cin, K, R_, J_);                            \
        break;
#define CVF_R(R_) CVF_CASE(R_, 1) CVF_CASE(R_, 2)

static void cv_fwd_dispatch(float *tile, const float *X, size_t plane, int ldx, const float *Wk, int ldw, int Cin,
                            int K, int R, int J) {
    switch (R * 4 + J) {
        CVF_R(1) CVF_R(2) CVF_R(3) CVF_R(4) CVF_R(5) CVF_R(6) CVF_R(7) CVF_R(8) CVF_R(9) CVF_R(10) CVF_R(11)
        CVF_R(12)
    default:
        assert(0);
    }
}

/* out (Cout, Ho, Wo) + bias (Cout, or NULL), ReLU when relu, from X (Cin padded planes of
 * `plane` floats, rows of ldx) and Wk (Cin*K*K, ldw) packed weights. */
void conv_mk_cv_conv(float *out, const float *X, size_t plane, int ldx, const float *Wk, int ldw, int Cout, int Cin,
                    int K, int Ho, int Wo, const float *bias, int relu) {
    float tile[CV_R * 32];
    int nseg = (Wo + CV_R - 1) / CV_R;
    for (int j0 = 0; j0 < Cout; j0 += 32) {
        int nc = Cout - j0 < 32 ? Cout - j0 : 32, J = (nc + 15) / 16;
        for (int oh = 0; oh < Ho; oh++)
            for (int sg = 0, w0 = 0; sg < nseg; sg++) {
                int w1 = (int)((long)Wo * (sg + 1) / nseg), R = w1 - w0;
                cv_fwd_dispatch(tile, X + (size_t)oh * ldx + w0, plane, ldx, Wk + j0, ldw, Cin, K, R, J);
                for (int c = 0; c < nc; c++) {
                    float *o = out + ((size_t)(j0 + c) * Ho + oh) * Wo + w0;
                    float b = bias ? bias[j0 + c] : 0.0f;
                    for (int r = 0; r < R; r++) {
                        float v = tile[(size_t)r * J * 16 + c] + b;
                        o[r] = relu && !(v > 0.0f) ? 0.0f : v;
                    }
                }
                w0 = w1;
            }
    }
}

/* dWk rows (kernel rows q0..q0+KR-1, i.e. taps (q*K + kw), ldw apart) x J channel vectors:
 * the sum over images and valid pixels of X[row offset + pixel + kw] * dT[pixel][16 j + l]. */
INLINE void cv_dw_block(float *dwk, int ldw, const float *X, size_t ximg, const int *roff, const float *dT, size_t dimg,
                        int nimg, int Ho, int Wo, int ldx, int K, int KR, int J) {
    __m512 acc[24][2];
    UNROLL
    for (int t = 0; t < KR * K; t++)
        UNROLL
        for (int j = 0; j < J; j++) acc[t][j] = _mm512_setzero_ps();
    for (int i = 0; i < nimg; i++) {
        const float *xi = X + (size_t)i * ximg, *d = dT + (size_t)i * dimg;
        for (int oh = 0; oh < Ho; oh++) {
            const float *xrow = xi + (size_t)oh * ldx;
            for (int ow = 0; ow < Wo; ow++, d += ldw) {
                __m512 dv[2];
                UNROLL
                for (int j = 0; j < J; j++) dv[j] = _mm512_loadu_ps(d + 16 * j);
                UNROLL
                for (int q = 0; q < KR; q++) {
                    const float *xq = xrow + roff[q] + ow;
                    UNROLL
                    for (int kw = 0; kw < K; kw++) {
                        __m512 x = _mm512_set1_ps(xq[kw]);
                        UNROLL
                        for (int j = 0; j < J; j++) acc[q * K + kw][j] = _mm512_fmadd_ps(x, dv[j], acc[q * K + kw][j]);
                    }
                }
            }
        }
    }
    UNROLL
    for (int t = 0; t < KR * K; t++)
        UNROLL
        for (int j = 0; j < J; j++) _mm512_storeu_ps(dwk + (size_t)t * ldw + 16 * j, acc[t][j]);
}


/* ---- the input gradient's scatter (AVX-512): one tap's 1x1 product added into padded planes ----
 * The output gradient is read compact (Ho*Wo positions, no padding columns), so no product is
 * thrown away; each vector of 16 positions is added to the plane in runs of one output row,
 * with masked loads and stores (a run starting at lane s is stored from s lanes before it). */

/* pad[r*plane + (p / Wo)*ldx + p % Wo] += sum over o < Co of wt[r*Co + o] * D[o*ldd + p], for
 * r < mr and positions p in [n0, n0 + 16*nv) below n. */
INLINE void scatter_block(float *pad, size_t plane, int ldx, const float *wt, int Co, const float *D, size_t ldd,
                          int n0, int n, int Wo, int mr, int nv) {
    __m512 acc[SC_MR][SC_NV];
    UNROLL
    for (int r = 0; r < mr; r++)
        UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    const float *d = D + n0;
    for (int o = 0; o < Co; o++, d += ldd) {
        __m512 x[SC_NV];
        UNROLL
        for (int v = 0; v < nv; v++) {
            x[v] = _mm512_loadu_ps(d + 16 * v);
            KEEP(x[v]);
        }
        UNROLL
        for (int r = 0; r < mr; r++) {
            __m512 wv = _mm512_set1_ps(wt[(size_t)r * Co + o]);
            UNROLL
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(wv, x[v], acc[r][v]);
        }
    }
    UNROLL
    for (int v = 0; v < nv; v++) {
        int p0 = n0 + 16 * v, end = p0 + 16 < n ? p0 + 16 : n;
        for (int p = p0; p < end;) {
            int oh = p / Wo, ow = p % Wo, len = Wo - ow < end - p ? Wo - ow : end - p, lane = p - p0;
            __mmask16 m = (__mmask16)(((1u << len) - 1) << lane);
            /* lane `lane` lands at (oh, ow); the masked-off lanes before it touch no memory, and
             * oh*ldx + ow >= p >= lane keeps the base inside the plane */
            float *base = pad + (size_t)oh * ldx + ow - lane;
            UNROLL
            for (int r = 0; r < mr; r++) {
                float *q = base + (size_t)r * plane;
                _mm512_mask_storeu_ps(q, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, q), acc[r][v]));
            }
            p += len;
        }
    }
}

#define SC_CASE(MR_, NV_)                                                                     \
    case (MR_) * 8 + (NV_):                                                                   \
        scatter_block(pad, plane, ldx, wt, Co, D, ldd, n0, n, Wo, MR_, NV_);                  \
        break;
#define SC_ROW(MR_) SC_CASE(MR_, 1) SC_CASE(MR_, 2) SC_CASE(MR_, 3) SC_CASE(MR_, 4)

void conv_mk_scatter(float *pad, size_t plane, int ldx, const float *wt, int Co, const float *D, size_t ldd, int n0,
                     int n, int Wo, int mr, int nv) {
    switch (mr * 8 + nv) {
        SC_ROW(1) SC_ROW(2) SC_ROW(3) SC_ROW(4) SC_ROW(5) SC_ROW(6)
    default:
        assert(0);
    }
}

#define CVW_CASE(K_, J_, KR_)                                                                 \
    case ((K_) * 4 + (J_)) * 2 + ((KR_) == 1):                                                \
        cv_dw_block(dwk, ldw, X, ximg, roff, dT, dimg, nimg, Ho, Wo, ldx, K_, KR_, J_);        \
        break;
#define CVW_K(K_) CVW_CASE(K_, 1, 24 / (K_)) CVW_CASE(K_, 2, 12 / (K_)) CVW_CASE(K_, 1, 1) CVW_CASE(K_, 2, 1)

void conv_mk_cv_dw(float *dwk, int ldw, const float *X, size_t ximg, const int *roff, const float *dT,
                           size_t dimg, int nimg, int Ho, int Wo, int ldx, int K, int KR, int J) {
    assert(KR == 1 || KR == cv_rows(K, J));
    switch ((K * 4 + J) * 2 + (KR == 1)) {
        CVW_K(3) CVW_K(4) CVW_K(5) CVW_K(6)
        case (7 * 4 + 1) * 2 + 0: cv_dw_block(dwk, ldw, X, ximg, roff, dT, dimg, nimg, Ho, Wo, ldx, 7, 3, 1); break;
        case (7 * 4 + 1) * 2 + 1: cv_dw_block(dwk, ldw, X, ximg, roff, dT, dimg, nimg, Ho, Wo, ldx, 7, 1, 1); break;
        case (7 * 4 + 2) * 2 + 1: cv_dw_block(dwk, ldw, X, ximg, roff, dT, dimg, nimg, Ho, Wo, ldx, 7, 1, 2); break;
    default:
        assert(0);
    }
}
#endif

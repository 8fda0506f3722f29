/* pool.c - MaxPool2d 2x2 stride 2 forward/backward over NCHW planes (AVX-512 rows where the
 * build has it) and their plain-loop references. Threads only via kernels_run; no allocation. */
#include "conv.h"

#include "conv_simd.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
/* Lanes [0, n) of 16. */
static inline __mmask16 lanes16(int n) { return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n > 0 ? n : 0)) - 1); }

/* 16 windows at once: the even and odd columns of both rows separated with two permutes, then
 * the same comparisons as the scalar loop below, lane by lane. */
static int pool_fwd_row16(float *o, uint8_t *ix, const float *r0, const float *r1, int Wo) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    int x = 0;
    for (; x < Wo; x += 16) {
        int n = Wo - x < 16 ? Wo - x : 16;
        __mmask16 ma = lanes16(2 * n), mb = lanes16(2 * n - 16), mo = lanes16(n);
        __m512 a0 = _mm512_maskz_loadu_ps(ma, r0 + 2 * x), b0 = _mm512_maskz_loadu_ps(mb, r0 + 2 * x + 16);
        __m512 a1 = _mm512_maskz_loadu_ps(ma, r1 + 2 * x), b1 = _mm512_maskz_loadu_ps(mb, r1 + 2 * x + 16);
        __m512 v[4] = {_mm512_permutex2var_ps(a0, ev, b0), _mm512_permutex2var_ps(a0, od, b0),
                       _mm512_permutex2var_ps(a1, ev, b1), _mm512_permutex2var_ps(a1, od, b1)};
        __m512 best = v[0];
        __m512i k = _mm512_setzero_si512();
        for (int q = 1; q < 4; q++) {
            /* v[q] > best, or v[q] is a NaN, where best is not a NaN */
            __mmask16 take = _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(best, best, _CMP_ORD_Q), v[q], best, _CMP_NLE_UQ);
            best = _mm512_mask_mov_ps(best, take, v[q]);
            k = _mm512_mask_mov_epi32(k, take, _mm512_set1_epi32(q));
        }
        _mm512_mask_storeu_ps(o + x, mo, best);
        _mm512_mask_cvtepi32_storeu_epi8(ix + x, mo, k);
    }
    return x;
}

/* The 2 rows under one row of windows: dout where that input won (and, with pv, where the
 * window's output pv is > 0: the ReLU before the pool), else 0 (columns past 2*Wo are left to
 * the caller). */
static void pool_bwd_row16(float *r0, float *r1, const float *g, const uint8_t *ix, const float *pv, int Wo) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    const __m512 z = _mm512_setzero_ps();
    for (int x = 0; x < Wo; x += 16) {
        int n = Wo - x < 16 ? Wo - x : 16;
        __mmask16 mo = lanes16(n), ma = lanes16(2 * n), mb = lanes16(2 * n - 16);
        __mmask16 keep = pv ? _mm512_mask_cmp_ps_mask(mo, _mm512_maskz_loadu_ps(mo, pv + x), z, _CMP_GT_OQ) : mo;
        __m512 gv = _mm512_maskz_loadu_ps(keep, g + x);
        __m512i k = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mo, ix + x));
        __m512 d[4];
        for (int q = 0; q < 4; q++) d[q] = _mm512_mask_mov_ps(z, _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(q)), gv);
        _mm512_mask_storeu_ps(r0 + 2 * x, ma, _mm512_permutex2var_ps(d[0], lo, d[1]));
        _mm512_mask_storeu_ps(r0 + 2 * x + 16, mb, _mm512_permutex2var_ps(d[0], hi, d[1]));
        _mm512_mask_storeu_ps(r1 + 2 * x, ma, _mm512_permutex2var_ps(d[2], lo, d[3]));
        _mm512_mask_storeu_ps(r1 + 2 * x + 16, mb, _mm512_permutex2var_ps(d[2], hi, d[3]));
    }
}
#endif

void maxpool2d_route(float *dst, size_t ldp, int ld, int fill, const float *dout, const uint8_t *idx, const float *pv,
                     int n, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
    for (int p = 0; p < n; p++) {
        float *plane = dst + (size_t)p * ldp;
        size_t o = (size_t)p * Ho * Wo;
        for (int y = 0; y < Ho; y++, o += (size_t)Wo) {
            float *r0 = plane + (size_t)(2 * y) * ld, *r1 = r0 + ld;
#if defined(__AVX512F__)
            pool_bwd_row16(r0, r1, dout + o, idx + o, pv + o, Wo);
#else
            for (int x = 0; x < 2 * Wo; x++) r0[x] = r1[x] = 0.0f;
            for (int x = 0; x < Wo; x++)
                if (pv[o + x] > 0.0f) (idx[o + x] >> 1 ? r1 : r0)[2 * x + (idx[o + x] & 1)] = dout[o + x];
#endif
            for (int x = 2 * Wo; x < fill; x++) r0[x] = r1[x] = 0.0f;
        }
        if (H & 1) memset(plane + (size_t)(H - 1) * ld, 0, sizeof(float) * (size_t)fill);
    }
}

/* Planes [p0, p1). The comparison lets a NaN win, as torch's does, so a NaN is not hidden. */
static void pool_fwd_planes(float *out, uint8_t *idx, const float *inp, int p0, int p1, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
    for (int p = p0; p < p1; p++)
        for (int y = 0; y < Ho; y++) {
            const float *r0 = inp + ((size_t)p * H + 2 * y) * W, *r1 = r0 + W;
            float *o = out + ((size_t)p * Ho + y) * Wo;
            uint8_t *ix = idx + ((size_t)p * Ho + y) * Wo;
            int x0 = 0;
#if defined(__AVX512F__)
            x0 = pool_fwd_row16(o, ix, r0, r1, Wo);
#endif
            for (int x = x0; x < Wo; x++) {
                float v[4] = {r0[2 * x], r0[2 * x + 1], r1[2 * x], r1[2 * x + 1]};
                int k = 0;
                for (int q = 1; q < 4; q++)
                    if (v[q] > v[k] || (isnan(v[q]) && !isnan(v[k]))) k = q;
                o[x] = v[k];
                ix[x] = (uint8_t)k;
            }
        }
}

static void pool_bwd_planes(float *dinp, const float *dout, const uint8_t *idx, int p0, int p1, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
#if defined(__AVX512F__)
    for (int p = p0; p < p1; p++) {
        float *plane = dinp + (size_t)p * H * W;
        for (int y = 0; y < Ho; y++) {
            float *r0 = plane + (size_t)(2 * y) * W;
            pool_bwd_row16(r0, r0 + W, dout + ((size_t)p * Ho + y) * Wo, idx + ((size_t)p * Ho + y) * Wo, NULL, Wo);
            if (W & 1) r0[W - 1] = r0[2 * W - 1] = 0.0f; /* the column no window covers */
        }
        if (H & 1) memset(plane + (size_t)(H - 1) * W, 0, sizeof(float) * (size_t)W);
    }
    return;
#endif
    memset(dinp + (size_t)p0 * H * W, 0, sizeof(float) * (size_t)(p1 - p0) * H * W);
    for (int p = p0; p < p1; p++)
        for (int y = 0; y < Ho; y++) {
            float *r0 = dinp + ((size_t)p * H + 2 * y) * W;
            const float *g = dout + ((size_t)p * Ho + y) * Wo;
            const uint8_t *ix = idx + ((size_t)p * Ho + y) * Wo;
            for (int x = 0; x < Wo; x++) r0[(ix[x] >> 1) * W + 2 * x + (ix[x] & 1)] = g[x];
        }
}

void maxpool2d_planes_forward(float *out, uint8_t *idx, const float *inp, int n, int H, int W) {
    pool_fwd_planes(out, idx, inp, 0, n, H, W);
}

void maxpool2d_planes_backward(float *dinp, const float *dout, const uint8_t *idx, int n, int H, int W) {
    pool_bwd_planes(dinp, dout, idx, 0, n, H, W);
}

typedef struct {
    float *out;
    uint8_t *idx;
    const float *inp;
    const uint8_t *cidx;
    int n, H, W, ntasks, backward;
} PoolJob;

static void pool_task(void *ctx, int t) {
    const PoolJob *j = ctx;
    int p0, p1;
    kernels_split(j->n, 1, t, j->ntasks, &p0, &p1);
    if (j->backward) pool_bwd_planes(j->out, j->inp, j->cidx, p0, p1, j->H, j->W);
    else pool_fwd_planes(j->out, j->idx, j->inp, p0, p1, j->H, j->W);
}

/* Pooling is memory-bound: planes are shared out only when there are enough of them to be worth
 * a hand-off (about 64 KB of input per task). */
static int pool_tasks(int n, int H, int W) {
    long per = 16384L / ((long)H * W > 0 ? (long)H * W : 1);
    long t = n / (per > 0 ? per : 1);
    return t < 1 ? 1 : t > 8 ? 8 : (int)t;
}

void maxpool2d_forward(float *out, uint8_t *idx, const float *inp, int n, int H, int W) {
    assert(n >= 1 && H >= 2 && W >= 2);
    PoolJob j = {out, idx, inp, NULL, n, H, W, pool_tasks(n, H, W), 0};
    kernels_run(pool_task, &j, j.ntasks);
}

void maxpool2d_backward(float *dinp, const float *dout, const uint8_t *idx, int n, int H, int W) {
    assert(n >= 1 && H >= 2 && W >= 2);
    PoolJob j = {dinp, NULL, dout, idx, n, H, W, pool_tasks(n, H, W), 1};
    kernels_run(pool_task, &j, j.ntasks);
}

void maxpool2d_forward_ref(float *out, uint8_t *idx, const float *inp, int n, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
    for (int p = 0; p < n; p++)
        for (int y = 0; y < Ho; y++)
            for (int x = 0; x < Wo; x++) {
                float best = 0;
                int k = -1;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        float v = inp[((size_t)p * H + 2 * y + dy) * W + 2 * x + dx];
                        if (k < 0 || v > best || (isnan(v) && !isnan(best))) best = v, k = dy * 2 + dx;
                    }
                out[((size_t)p * Ho + y) * Wo + x] = best;
                idx[((size_t)p * Ho + y) * Wo + x] = (uint8_t)k;
            }
}

void maxpool2d_backward_ref(float *dinp, const float *dout, const uint8_t *idx, int n, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
    for (int p = 0; p < n; p++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                float v = 0;
                if (y / 2 < Ho && x / 2 < Wo) {
                    size_t o = ((size_t)p * Ho + y / 2) * Wo + x / 2;
                    if (idx[o] == (y % 2) * 2 + x % 2) v = dout[o];
                }
                dinp[((size_t)p * H + y) * W + x] = v;
            }
}

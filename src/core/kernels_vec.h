/* kernels_vec.h - a thin layer over one vector ISA, so a kernel source (kernels_simd.inc) is
 * written once and compiled for each: vf is 8 floats (AVX2+FMA, KV_ISA 2) or 16 (AVX-512,
 * KV_ISA 512). It also switches the compiler to that ISA for the rest of the file by pragmas, so
 * a per-ISA file builds under any -march and with gcc or clang; kernels_vec_end.h switches back.
 * KV_ISA 0 (portable) defines only the names. Include it once per file, after defining KV_ISA
 * and every other header; it declares nothing public. kernels_isa.h tells how to use it. */
#ifndef DIGITREC_KERNELS_VEC_H
#define DIGITREC_KERNELS_VEC_H

#if !defined(KV_ISA)
#error "define KV_ISA (0, 2 or 512) before including kernels_vec.h"
#endif

#define KV_CAT2(a, b) a##b
#define KV_CAT(a, b) KV_CAT2(a, b)

#if KV_ISA == 0
#define KV_FN(name) KV_CAT(name, _generic)
#define KV_ENABLED 0
#elif (KV_ISA == 2 || KV_ISA == 512) && (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define KV_ENABLED 1
/* The target is spelled out per ISA: neither compiler expands macros inside these pragmas. */
#if KV_ISA == 2
#define KV_FN(name) KV_CAT(name, _avx2)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#else
#define KV_FN(name) KV_CAT(name, _avx512)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")
#endif
#endif
#include <immintrin.h>
#else /* an ISA this compiler or CPU family cannot target: the file yields an empty table */
#define KV_ENABLED 0
#if KV_ISA == 2
#define KV_FN(name) KV_CAT(name, _avx2)
#else
#define KV_FN(name) KV_CAT(name, _avx512)
#endif
#endif

#if KV_ENABLED

#define KV_INLINE static inline __attribute__((always_inline))
#define KV_UNROLL _Pragma("GCC unroll 8")
/* Stops the compiler from folding a load into every FMA that uses it (which would load the same
 * vector once per use and make a loop bound by loads instead of FMAs). */
#define KV_KEEP(v) __asm__("" : "+v"(v))

/* Lanes [0, n) of 8 set, for masked 8-float loads and stores. */
KV_INLINE __m256i kv_mask8(int n) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

/* AVX2's horizontal sum of four 8-float vectors: lane c of the result is the sum of v_c's
 * lanes as ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)). The AVX-512 version below repeats exactly
 * these additions on each 8-float half, so both ISAs round alike. */
KV_INLINE __m128 kv_hsum4_256(__m256 v0, __m256 v1, __m256 v2, __m256 v3) {
    __m256 c = _mm256_hadd_ps(_mm256_hadd_ps(v0, v1), _mm256_hadd_ps(v2, v3));
    return _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
}

#if KV_ISA == 2

typedef __m256 vf;
#define KV_W 8 /* floats per vector */
#define KV_G 1 /* 8-float groups per vector */

KV_INLINE vf vzero(void) { return _mm256_setzero_ps(); }
KV_INLINE vf vset1(float x) { return _mm256_set1_ps(x); }
KV_INLINE vf vload(const float *p) { return _mm256_loadu_ps(p); }
KV_INLINE void vstore(float *p, vf v) { _mm256_storeu_ps(p, v); }
/* The first n (1..KV_W) lanes; the others read as 0 and are never touched in memory. */
KV_INLINE vf vloadn(const float *p, int n) { return _mm256_maskload_ps(p, kv_mask8(n)); }
KV_INLINE void vstoren(float *p, vf v, int n) { _mm256_maskstore_ps(p, kv_mask8(n), v); }
KV_INLINE vf vbcast(const float *p) { return _mm256_broadcast_ss(p); }
KV_INLINE vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }   /* a*b + c, one rounding */
KV_INLINE vf vfnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); } /* c - a*b, one rounding */
KV_INLINE vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
KV_INLINE vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
KV_INLINE vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
/* x where m > 0, else +0 (the fused ReLU backward). */
KV_INLINE vf vkeep_gt0(vf x, vf m) { return _mm256_and_ps(x, _mm256_cmp_ps(m, _mm256_setzero_ps(), _CMP_GT_OQ)); }
/* KV_W pixel bytes as floats 0..255. */
KV_INLINE vf vu8(const uint8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* NaN/Inf detection across a loop: all exponent bits set. */
typedef __m256i vbad;
KV_INLINE vbad vbad_none(void) { return _mm256_setzero_si256(); }
KV_INLINE vbad vbad_add(vbad acc, vf v) {
    const __m256i expo = _mm256_set1_epi32(0x7f800000);
    return _mm256_or_si256(acc, _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(v), expo), expo));
}
KV_INLINE int vbad_any(vbad acc) { return !_mm256_testz_si256(acc, acc); }

/* 8 floats of KV_G rows in one vector (rows p0 and p1 for AVX-512; p0 alone here), and 8 floats
 * repeated in every group; the n-lane versions read only n (1..7) floats of each. */
KV_INLINE vf vrows8(const float *p0, const float *p1) {
    (void)p1;
    return _mm256_loadu_ps(p0);
}
KV_INLINE vf vrows8n(const float *p0, const float *p1, int n) {
    (void)p1;
    return _mm256_maskload_ps(p0, kv_mask8(n));
}
KV_INLINE vf vdup8(const float *p) { return _mm256_loadu_ps(p); }
KV_INLINE vf vdup8n(const float *p, int n) { return _mm256_maskload_ps(p, kv_mask8(n)); }
/* o[4g + c] = sum of group g of v_c (kv_hsum4_256's order), for g < KV_G, c < 4. */
KV_INLINE void vhsum4(float *o, vf v0, vf v1, vf v2, vf v3) { _mm_storeu_ps(o, kv_hsum4_256(v0, v1, v2, v3)); }

#else /* KV_ISA == 512 */

typedef __m512 vf;
#define KV_W 16
#define KV_G 2

KV_INLINE __mmask16 kv_mask16(int n) { return (__mmask16)((1u << n) - 1u); }
KV_INLINE __mmask8 kv_mask8k(int n) { return (__mmask8)((1u << n) - 1u); }
KV_INLINE vf vzero(void) { return _mm512_setzero_ps(); }
KV_INLINE vf vset1(float x) { return _mm512_set1_ps(x); }
KV_INLINE vf vload(const float *p) { return _mm512_loadu_ps(p); }
KV_INLINE void vstore(float *p, vf v) { _mm512_storeu_ps(p, v); }
KV_INLINE vf vloadn(const float *p, int n) { return _mm512_maskz_loadu_ps(kv_mask16(n), p); }
KV_INLINE void vstoren(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, kv_mask16(n), v); }
KV_INLINE vf vbcast(const float *p) { return _mm512_set1_ps(*p); }
KV_INLINE vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
KV_INLINE vf vfnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
KV_INLINE vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
KV_INLINE vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
KV_INLINE vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
KV_INLINE vf vkeep_gt0(vf x, vf m) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_GT_OQ), x);
}
KV_INLINE vf vu8(const uint8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)));
}

typedef __mmask16 vbad;
KV_INLINE vbad vbad_none(void) { return 0; }
KV_INLINE vbad vbad_add(vbad acc, vf v) {
    const __m512i expo = _mm512_set1_epi32(0x7f800000);
    return acc | _mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(v), expo), expo);
}
KV_INLINE int vbad_any(vbad acc) { return acc != 0; }

KV_INLINE vf kv_join(__m256 lo, __m256 hi) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
}
KV_INLINE vf vrows8(const float *p0, const float *p1) { return kv_join(_mm256_loadu_ps(p0), _mm256_loadu_ps(p1)); }
KV_INLINE vf vrows8n(const float *p0, const float *p1, int n) {
    return kv_join(_mm256_maskz_loadu_ps(kv_mask8k(n), p0), _mm256_maskz_loadu_ps(kv_mask8k(n), p1));
}
KV_INLINE vf vdup8(const float *p) { return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(p)))); }
KV_INLINE vf vdup8n(const float *p, int n) {
    return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_maskz_loadu_ps(kv_mask8k(n), p))));
}
/* _mm256_hadd_ps on each 128-bit lane of a 512-bit vector: [a0+a1, a2+a3, b0+b1, b2+b3]. */
KV_INLINE vf kv_hadd(vf a, vf b) {
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}
KV_INLINE void vhsum4(float *o, vf v0, vf v1, vf v2, vf v3) {
    vf c = kv_hadd(kv_hadd(v0, v1), kv_hadd(v2, v3));
    vf s = _mm512_add_ps(c, _mm512_shuffle_f32x4(c, c, _MM_SHUFFLE(2, 3, 0, 1))); /* lane pairs (0,1), (2,3) */
    _mm_storeu_ps(o, _mm512_castps512_ps128(s));
    _mm_storeu_ps(o + 4, _mm512_extractf32x4_ps(s, 2));
}

#endif /* KV_ISA */
#endif /* KV_ENABLED */

#endif

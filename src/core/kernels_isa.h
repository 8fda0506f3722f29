/* kernels_isa.h - which vector instructions the dense kernels run: every build carries a portable
 * version and, on x86-64, AVX2+FMA and AVX-512 versions of the same kernels; the best one the
 * CPU offers is picked at the first kernel call (cpuid), whatever the compiler flags were. It
 * holds no kernels itself: they are in kernels_simd.inc, compiled once per ISA.
 *
 * How another module (conv) gets the same dispatch, in three steps:
 *   1. write its vector code once in a foo_simd.inc against kernels_vec.h (vf, KV_W, vload,
 *      vfma, ...), naming each function KV_FN(name) and ending with a table of them;
 *   2. add foo_generic.c, foo_avx2.c and foo_avx512.c, each of the form
 *        #define KV_ISA 512            (0, 2 or 512)
 *        #include "kernels_vec.h"      (switches the compiler to that ISA for this file)
 *        #include "foo_simd.inc"
 *        #include "kernels_vec_end.h"
 *      (no CMake change: every .c file of src/core is globbed, and the ISA is chosen by pragmas in the
 *      file, so the same files build under any -march, with gcc or clang);
 *   3. pick the table by kernels_isa(): tables[kernels_isa()] with the three tables in
 *      KernelsIsa order (an ISA the build could not compile has a NULL table and is never
 *      reported as supported).
 * Results: AVX2 and AVX-512 compute every element with the same sequence of roundings (see
 * kernels_simd.inc), so they agree bit for bit; the portable version rounds differently (no
 * fused multiply-add) and agrees within the references' tolerances. */
#ifndef DIGITREC_KERNELS_ISA_H
#define DIGITREC_KERNELS_ISA_H

#include <stddef.h>
#include <stdint.h>

typedef enum { KERNELS_ISA_GENERIC = 0, KERNELS_ISA_AVX2, KERNELS_ISA_AVX512, KERNELS_ISA_COUNT } KernelsIsa;

/* The ISA in force: the best this CPU and build support, unless kernels_set_isa lowered it.
 * Detected once, on first use; any thread may call it. */
KernelsIsa kernels_isa(void);
/* The best ISA this CPU (and this build) supports. */
KernelsIsa kernels_isa_best(void);
/* 1 if this CPU and build can run isa. */
int kernels_isa_supported(KernelsIsa isa);
/* Uses isa from the next kernel call on, e.g. to compare ISAs on one machine. Returns 0, or -1
 * with err (nothing changed) when the CPU or build lacks it. */
int kernels_set_isa(KernelsIsa isa, char *err);
/* "generic", "avx2" or "avx512". */
const char *kernels_isa_name(KernelsIsa isa);
/* The ISA a name stands for ("generic", "avx2", "avx512", or "auto" = the best); 0, or -1 for
 * an unknown name. */
int kernels_isa_parse(const char *name, KernelsIsa *out);

/* The dense kernels one ISA provides (kernels_simd.inc has their contracts), and the register
 * blocks their products work in, which the callers' task cuts align to. */
typedef struct {
    KernelsIsa isa;
    int nt_rows, nt_cols;  /* gemm_nt: rows of A and of B per block */
    int bc_rows, bc_cols;  /* gemm_bc: rows and columns of C per block */
    void (*gemm_nt)(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K,
                    const float *bias, int bias_mode, int relu);
    void (*gemm_bc)(float *C, int ldc, const float *A, int sai, int sap, const float *B, int ldb, int M, int N, int P,
                    const float *mask, int ldm);
    int (*all_finite)(const float *a, size_t n);
    void (*pixels_to_floats)(float *out, const uint8_t *in, size_t n);
    int (*sgd_step)(float *params, float *v, const float *grad, float lr, float mu, size_t n);
    void (*axpy)(float *y, float a, const float *x, size_t n);
} KernelsOps;

/* The table of the ISA in force (never NULL). */
const KernelsOps *kernels_ops(void);

/* The three instances (kernels_generic.c, kernels_avx2.c, kernels_avx512.c); the vector ones are
 * empty tables (gemm_nt NULL) where the compiler cannot target them. */
extern const KernelsOps kernels_ops_generic, kernels_ops_avx2, kernels_ops_avx512;

#endif

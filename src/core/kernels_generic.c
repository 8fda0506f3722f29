/* kernels_generic.c - kernels_simd.inc's portable plain loops, for any CPU: kernels_isa.c picks
 * this table when the CPU (or the build) has neither AVX-512 nor AVX2+FMA. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels_gemm.h"
#include "kernels_isa.h"

#define KV_ISA 0
#include "kernels_vec.h"
#include "kernels_simd.inc"
#include "kernels_vec_end.h"

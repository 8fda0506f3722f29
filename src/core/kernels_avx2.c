/* kernels_avx2.c - kernels_simd.inc compiled for AVX2+FMA, whatever the build's
 * -march: kernels_isa.c picks this table at run time only on a CPU that has it. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels_gemm.h"
#include "kernels_isa.h"

#define KV_ISA 2
#include "kernels_vec.h"
#include "kernels_simd.inc"
#include "kernels_vec_end.h"

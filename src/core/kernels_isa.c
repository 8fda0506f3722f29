/* kernels_isa.c - picks the kernels' vector ISA once from cpuid (and lets it be lowered); the
 * kernels themselves are in kernels_simd.inc, compiled by kernels_{generic,avx2,avx512}.c. */
#include "kernels_isa.h"

#include <stdatomic.h>
#include <string.h>

#include "common.h"

static const KernelsOps *const TABLES[KERNELS_ISA_COUNT] = {&kernels_ops_generic, &kernels_ops_avx2,
                                                            &kernels_ops_avx512};
static const char *const NAMES[KERNELS_ISA_COUNT] = {"generic", "avx2", "avx512"};

static atomic_int g_isa = -1;  /* in force; -1 until first use */
static atomic_int g_best = -1; /* detected */

/* Whether the CPU runs isa's instructions and the OS saves its registers: libgcc's cpuid check
 * (__builtin_cpu_supports) also reads XCR0, so AVX-512 counts only where the OS enabled it. */
static int cpu_has(KernelsIsa isa) {
    if (isa == KERNELS_ISA_GENERIC) return 1;
    if ((unsigned)isa >= KERNELS_ISA_COUNT || !TABLES[isa]->gemm_nt) return 0; /* not compiled in */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == KERNELS_ISA_AVX2) return avx2;
    if (isa == KERNELS_ISA_AVX512)
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#endif
    return 0;
}

KernelsIsa kernels_isa_best(void) {
    int b = atomic_load_explicit(&g_best, memory_order_relaxed);
    if (b < 0) {
        b = KERNELS_ISA_GENERIC;
        for (int i = KERNELS_ISA_COUNT - 1; i > 0; i--)
            if (cpu_has((KernelsIsa)i)) {
                b = i;
                break;
            }
        atomic_store_explicit(&g_best, b, memory_order_relaxed);
    }
    return (KernelsIsa)b;
}

int kernels_isa_supported(KernelsIsa isa) { return (unsigned)isa < KERNELS_ISA_COUNT && cpu_has(isa); }

KernelsIsa kernels_isa(void) {
    int v = atomic_load_explicit(&g_isa, memory_order_relaxed);
    if (v < 0) {
        int expect = -1;
        atomic_compare_exchange_strong(&g_isa, &expect, (int)kernels_isa_best());
        v = atomic_load(&g_isa);
    }
    return (KernelsIsa)v;
}

int kernels_set_isa(KernelsIsa isa, char *err) {
    if ((unsigned)isa >= KERNELS_ISA_COUNT) return err_set(err, "kernels: no such instruction set (%d)", (int)isa);
    if (!cpu_has(isa))
        return err_set(err, "kernels: this %s cannot run %s (best here: %s)",
                       TABLES[isa]->gemm_nt ? "CPU" : "build", NAMES[isa], NAMES[kernels_isa_best()]);
    atomic_store(&g_isa, (int)isa);
    return 0;
}

const char *kernels_isa_name(KernelsIsa isa) { return (unsigned)isa < KERNELS_ISA_COUNT ? NAMES[isa] : "?"; }

int kernels_isa_parse(const char *name, KernelsIsa *out) {
    if (!name) return -1;
    if (!strcmp(name, "auto")) {
        *out = kernels_isa_best();
        return 0;
    }
    for (int i = 0; i < KERNELS_ISA_COUNT; i++)
        if (!strcmp(name, NAMES[i])) {
            *out = (KernelsIsa)i;
            return 0;
        }
    return -1;
}

const KernelsOps *kernels_ops(void) { return TABLES[kernels_isa()]; }

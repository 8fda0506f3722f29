/* sgemm_probe.c - the machine's measured peaks: a register-only fused multiply-add loop (AVX2
 * and AVX-512, where the CPU has them, on 1 and 2 threads: the FLOP/s no kernel can beat), and
 * OpenBLAS sgemm on the MLP's own matrix shapes and on a large square product, so the benchmark
 * can state each result as a share of what this machine reaches. Prints one "peak ..." or
 * "sgemm ..." line per measurement; it trains nothing.
 * Build: cc -O2 bench/sgemm_probe.c -o sgemm_probe -lopenblas -lpthread (see bench/run.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <immintrin.h>

void openblas_set_num_threads(int num_threads);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best-of-5 GFLOP/s of C (M,N) = op(A) op(B), each trial repeated for >= 0.1 s. */
static double probe(int ta, int tb, int M, int N, int K) {
    float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)K * N);
    float *c = malloc(sizeof(float) * (size_t)M * N);
    if (!a || !b || !c) {
        fprintf(stderr, "sgemm_probe: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)((i * 7919) % 1000) * 1e-3f;
    for (size_t i = 0; i < (size_t)K * N; i++) b[i] = (float)((i * 104729) % 1000) * 1e-3f;
    memset(c, 0, sizeof(float) * (size_t)M * N);
    int lda = ta ? M : K, ldb = tb ? K : N;
    double best = 0, flop = 2.0 * M * N * K;
    for (int trial = 0; trial < 5; trial++) {
        long reps = 0;
        double t0 = now(), t;
        do {
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f,
                        a, lda, b, ldb, 0.0f, c, N);
            reps++;
        } while ((t = now() - t0) < 0.1);
        double g = flop * reps / t * 1e-9;
        if (g > best) best = g;
    }
    free(a), free(b), free(c);
    return best;
}

/* ---- the FMA peak: 12 independent accumulator chains, enough to cover the FMA latency on two
 * pipes, nothing but registers ---- */

#define FMA12(T, fma)                                                                               \
    a0 = fma(a0, m, c), a1 = fma(a1, m, c), a2 = fma(a2, m, c), a3 = fma(a3, m, c), a4 = fma(a4, m, c), \
    a5 = fma(a5, m, c), a6 = fma(a6, m, c), a7 = fma(a7, m, c), a8 = fma(a8, m, c), a9 = fma(a9, m, c), \
    a10 = fma(a10, m, c), a11 = fma(a11, m, c)

__attribute__((target("avx2,fma"))) static float fma_loop_avx2(long iters) {
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    /* distinct starting values, or the compiler would compute one chain for all twelve */
    __m256 a0 = _mm256_set1_ps(1), a1 = _mm256_set1_ps(2), a2 = _mm256_set1_ps(3), a3 = _mm256_set1_ps(4),
           a4 = _mm256_set1_ps(5), a5 = _mm256_set1_ps(6), a6 = _mm256_set1_ps(7), a7 = _mm256_set1_ps(8),
           a8 = _mm256_set1_ps(9), a9 = _mm256_set1_ps(10), a10 = _mm256_set1_ps(11), a11 = _mm256_set1_ps(12);
    for (long i = 0; i < iters; i++) FMA12(__m256, _mm256_fmadd_ps);
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float o[8];
    _mm256_storeu_ps(o, s);
    return o[0];
}

__attribute__((target("avx512f"))) static float fma_loop_avx512(long iters) {
    __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(1), a1 = _mm512_set1_ps(2), a2 = _mm512_set1_ps(3), a3 = _mm512_set1_ps(4),
           a4 = _mm512_set1_ps(5), a5 = _mm512_set1_ps(6), a6 = _mm512_set1_ps(7), a7 = _mm512_set1_ps(8),
           a8 = _mm512_set1_ps(9), a9 = _mm512_set1_ps(10), a10 = _mm512_set1_ps(11), a11 = _mm512_set1_ps(12);
    for (long i = 0; i < iters; i++) FMA12(__m512, _mm512_fmadd_ps);
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    return _mm512_reduce_add_ps(s);
}

typedef struct {
    int wide;
    long iters;
    float sink;
} FmaArg;

static void *fma_thread(void *p) {
    FmaArg *a = p;
    a->sink = a->wide ? fma_loop_avx512(a->iters) : fma_loop_avx2(a->iters);
    return NULL;
}

/* Best-of-5 GFLOP/s of the FMA loop on `threads` threads at once (each 0.2 s or so). */
static double fma_peak(int wide, int threads) {
    const long iters = wide ? 4000000 : 8000000; /* about 0.2 s at 3 GHz */
    double best = 0;
    for (int trial = 0; trial < 5; trial++) {
        pthread_t tid[8];
        FmaArg arg[8];
        double t0 = now();
        for (int t = 0; t < threads; t++) {
            arg[t] = (FmaArg){wide, iters, 0};
            pthread_create(&tid[t], NULL, fma_thread, &arg[t]);
        }
        for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
        double g = 12.0 * 2 * (wide ? 16 : 8) * iters * threads / (now() - t0) * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1) threads = 1;
    if (threads > 8) threads = 8;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        printf("peak fma_avx2             threads %d  %6.1f GFLOP/s\n", threads, fma_peak(0, threads));
    if (__builtin_cpu_supports("avx512f"))
        printf("peak fma_avx512           threads %d  %6.1f GFLOP/s\n", threads, fma_peak(1, threads));
    fflush(stdout);
    openblas_set_num_threads(threads);
    struct {
        const char *name;
        int ta, tb, M, N, K;
    } s[] = {
        {"fwd_b64_784x128", 0, 1, 64, 128, 784},   {"dw_b64_128x784", 1, 0, 128, 784, 64},
        {"fwd_b256_784x128", 0, 1, 256, 128, 784}, {"dw_b256_128x784", 1, 0, 128, 784, 256},
        {"fwd_b1000_784x10", 0, 1, 1000, 10, 784}, {"large_2048", 0, 0, 2048, 2048, 2048},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        printf("sgemm %-18s threads %d  %6.1f GFLOP/s\n", s[i].name, threads,
               probe(s[i].ta, s[i].tb, s[i].M, s[i].N, s[i].K));
    return 0;
}

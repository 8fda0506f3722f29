/* sgemm_probe.c - measures OpenBLAS sgemm GFLOP/s on the MLP's own matrix shapes and on a large
 * square product, one thread and all threads, so the benchmark can state each result as a share
 * of what this machine's BLAS reaches. Prints one "sgemm ..." line per shape; it trains nothing.
 * Build: cc -O2 -march=native bench/sgemm_probe.c -o sgemm_probe -lopenblas (see bench/run.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

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

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1) threads = 1;
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

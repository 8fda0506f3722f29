/* kernels_probe.c - GFLOP/s of digitrec's own linear-layer kernels on the MLP's shapes, per
 * vector ISA the CPU offers and per thread count: the forward (bias + ReLU fused), the backward
 * with dinp, the first layer's backward with the momentum step fused, and a whole batch step of
 * the 784-128-64-10 network (forward, backward, momentum step of every layer, as training runs
 * it minus the batch gather). Best of 5 trials of >= 0.1 s each. It trains nothing and is not a
 * test. Build: bench/run.sh (against the build's libdigitrec_core.a).
 * usage: kernels_probe [--isa all|NAME] [--threads 1,2] [--batch 64,256] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "kernels.h"
#include "kernels_isa.h"

typedef struct {
    int B;
    float *x, *w[3], *b[3], *v[3], *act[4], *dact[2], *dw[3], *db[3];
    int *y;
} Mlp;

static const int SIZES[4] = {784, 128, 64, 10};

static float *filled(size_t n, Rng *r, float scale) {
    float *p = kernels_alloc(n);
    if (!p) {
        fprintf(stderr, "kernels_probe: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)((2 * rng_uniform(r) - 1) * scale);
    return p;
}

static void mlp_init(Mlp *m, int B) {
    Rng r;
    rng_seed(&r, 7);
    m->B = B;
    m->x = filled((size_t)B * 784, &r, 1);
    for (size_t i = 0; i < (size_t)B * 784; i++) m->x[i] = m->x[i] < 0 ? 0 : m->x[i]; /* pixels in [0, 1) */
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)SIZES[l + 1] * SIZES[l];
        m->w[l] = filled(n, &r, sqrtf(6.0f / SIZES[l]));
        m->b[l] = filled((size_t)SIZES[l + 1], &r, 0.01f);
        m->v[l] = filled(n + SIZES[l + 1], &r, 0);
        m->dw[l] = filled(n, &r, 0);
        m->db[l] = filled((size_t)SIZES[l + 1], &r, 0);
        m->act[l + 1] = filled((size_t)B * SIZES[l + 1], &r, 0);
    }
    m->dact[0] = filled((size_t)B * 784, &r, 0);
    m->dact[1] = filled((size_t)B * 784, &r, 0);
    m->y = malloc(sizeof(int) * (size_t)B);
    for (int i = 0; i < B; i++) m->y[i] = i % 10;
}

/* One training step as train.c runs it for the mlp (its products, in its order). */
static void mlp_step(Mlp *m) {
    int B = m->B;
    const float *in = m->x;
    for (int l = 0; l < 3; l++) {
        linear_forward_ex(m->act[l + 1], in, m->w[l], m->b[l], SIZES[l + 1], B, SIZES[l], SIZES[l + 1], l < 2);
        in = m->act[l + 1];
    }
    softmax_xent_forward(m->act[3], m->act[3], m->y, B, 10);
    softmax_xent_backward(m->dact[0], m->act[3], m->y, B, 10);
    float *d = m->dact[0], *dn = m->dact[1];
    for (int l = 2; l >= 1; l--) {
        linear_backward_ex(dn, m->dw[l], m->db[l], d, m->act[l], m->w[l], SIZES[l + 1], B, SIZES[l], SIZES[l + 1], 1);
        float *t = d;
        d = dn, dn = t;
    }
    KernelsStep st = {m->w[0], m->v[0], 1e-6f, 0.9f, 1};
    linear_backward_step(m->dw[0], m->db[0], d, m->x, 128, B, 784, 128, &st);
    for (int l = 1; l < 3; l++) {
        size_t n = (size_t)SIZES[l + 1] * SIZES[l];
        kernels_sgd_step(m->w[l], m->v[l], m->dw[l], 1e-6f, 0.9f, n);
        kernels_sgd_step(m->b[l], m->v[l] + n, m->db[l], 1e-6f, 0.9f, (size_t)SIZES[l + 1]);
    }
}

typedef struct {
    Mlp *m;
    int what, l;
} Job;

static void run(const Job *j) {
    Mlp *m = j->m;
    int B = m->B, l = j->l, K = SIZES[l], N = SIZES[l + 1];
    const float *in = l == 0 ? m->x : m->act[l];
    if (j->what == 0) linear_forward_ex(m->act[l + 1], in, m->w[l], m->b[l], N, B, K, N, l < 2);
    else if (j->what == 1) linear_backward_ex(m->dact[1], m->dw[l], m->db[l], m->dact[0], in, m->w[l], N, B, K, N, 1);
    else if (j->what == 2) {
        KernelsStep st = {m->w[0], m->v[0], 1e-6f, 0.9f, 1};
        linear_backward_step(m->dw[0], m->db[0], m->dact[0], m->x, 128, B, 784, 128, &st);
    } else mlp_step(m);
}

static double flop_of(const Job *j) {
    double B = j->m->B, K = SIZES[j->l], N = SIZES[j->l + 1];
    if (j->what == 0) return 2 * B * K * N;
    if (j->what == 1) return 4 * B * K * N;
    if (j->what == 2) return 2 * B * 784 * 128;
    /* forward of every layer, dW of every layer, dinp of every layer but the first */
    double macs = 0;
    for (int l = 0; l < 3; l++) macs += (double)SIZES[l] * SIZES[l + 1] * (l > 0 ? 3 : 2);
    return 2 * B * macs;
}

static int g_cpu_time;

static double clock_s(void) {
    if (!g_cpu_time) return time_now();
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double best_gflops(const Job *j) {
    double best = 0;
    for (int trial = 0; trial < 5; trial++) {
        long reps = 0;
        double t0 = clock_s(), t;
        do {
            run(j);
            reps++;
        } while ((t = clock_s() - t0) < 0.1);
        double g = flop_of(j) * reps / t * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

static int parse_list(const char *s, int *out, int max) {
    int n = 0;
    while (*s && n < max) {
        out[n++] = atoi(s);
        const char *c = strchr(s, ',');
        if (!c) break;
        s = c + 1;
    }
    return n;
}

int main(int argc, char **argv) {
    const char *isa_arg = "all";
    int threads[4] = {1, 2}, nthreads = 2, batches[4] = {64, 256}, nbatches = 2;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--cpu-time")) {
            g_cpu_time = 1;
            i--;
            continue;
        }
        if (i + 1 >= argc) break;
        if (!strcmp(argv[i], "--isa")) isa_arg = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) nthreads = parse_list(argv[i + 1], threads, 4);
        else if (!strcmp(argv[i], "--batch")) nbatches = parse_list(argv[i + 1], batches, 4);
        else {
            fprintf(stderr, "usage: kernels_probe [--isa all|generic|avx2|avx512] [--threads 1,2] [--batch 64,256] [--cpu-time]\n");
            return 2;
        }
    }
    static const char *const WHAT[] = {"forward", "backward", "backward+step", "step"};
    for (int isa = KERNELS_ISA_COUNT - 1; isa >= 0; isa--) {
        if (strcmp(isa_arg, "all") && strcmp(isa_arg, kernels_isa_name((KernelsIsa)isa))) continue;
        if (!kernels_isa_supported((KernelsIsa)isa)) continue;
        char err[ERR_LEN];
        if (kernels_set_isa((KernelsIsa)isa, err) != 0) {
            fprintf(stderr, "kernels_probe: %s\n", err);
            return 1;
        }
        for (int bi = 0; bi < nbatches; bi++) {
            Mlp m;
            mlp_init(&m, batches[bi]);
            for (int ti = 0; ti < nthreads; ti++) {
                kernels_set_threads(threads[ti]);
                Job jobs[] = {{&m, 0, 0}, {&m, 0, 1}, {&m, 1, 1}, {&m, 2, 0}, {&m, 3, 0}};
                for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
                    const Job *j = &jobs[k];
                    char shape[48];
                    if (j->what == 3) snprintf(shape, sizeof shape, "mlp_step_b%d", m.B);
                    else snprintf(shape, sizeof shape, "%s_b%d_%dx%d", WHAT[j->what], m.B, SIZES[j->l], SIZES[j->l + 1]);
                    printf("kernel %-26s isa %-7s threads %d  %6.1f GFLOP/s%s\n", shape,
                           kernels_isa_name((KernelsIsa)isa), threads[ti], best_gflops(j),
                           g_cpu_time ? " per CPU second" : "");
                    fflush(stdout);
                }
            }
        }
    }
    return 0;
}

/* test_net.c - gradient checks: net_backward against central finite differences of an
 * independent float64 forward pass, for every parameter group, both presets and the notes'
 * literal variant (per-layer bias, ReLU on the output, uniform init). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "kernels.h"
#include "net.h"

/* Mean cross-entropy of the network with parameters p (double) on x (B,D), y (B). */
static double loss_f64(const Net *net, const double *p, const float *x, const int *y, int B) {
    int L = net->nlayers;
    double total = 0;
    double *a = malloc(sizeof(double) * 1024), *z = malloc(sizeof(double) * 1024);
    for (int b = 0; b < B; b++) {
        int n_in = net->sizes[0];
        for (int i = 0; i < n_in; i++) a[i] = x[(size_t)b * n_in + i];
        for (int l = 0; l < L; l++) {
            int K = net->sizes[l], N = net->sizes[l + 1];
            const double *w = p + net->woff[l], *bias = p + net->boff[l];
            for (int j = 0; j < N; j++) {
                double s = net->bias == BIAS_LAYER ? bias[0] : bias[j];
                for (int k = 0; k < K; k++) s += w[(size_t)j * K + k] * a[k];
                z[j] = (l < L - 1 || net->output_relu) && s < 0 ? 0 : s;
            }
            memcpy(a, z, sizeof(double) * N);
        }
        int C = net->sizes[L];
        double mx = a[0], sum = 0;
        for (int c = 1; c < C; c++) mx = a[c] > mx ? a[c] : mx;
        for (int c = 0; c < C; c++) sum += exp(a[c] - mx);
        total += mx + log(sum) - a[y[b]];
    }
    free(a);
    free(z);
    return total / B;
}

static void gradcheck(const char *label, const int *sizes, int nl, BiasMode bias, int output_relu, double init_a) {
    Net net;
    NetWork wk;
    char err[ERR_LEN];
    int B = 5;
    CHECK(net_create(&net, sizes, nl, bias, output_relu, err) == 0, "%s", err);
    CHECK(netwk_create(&wk, &net, B, err) == 0, "%s", err);
    if (init_a > 0) net_init_uniform(&net, (float)init_a, 7);
    else net_init_he(&net, 7);
    /* give biases non-zero values so their gradients are exercised at a generic point */
    Rng r;
    rng_seed(&r, 99);
    for (int l = 0; l < nl; l++) {
        size_t nb = bias == BIAS_LAYER ? 1 : (size_t)sizes[l + 1];
        for (size_t i = 0; i < nb; i++) net.b[l][i] = (float)(0.2 * rng_normal(&r));
    }
    int D = sizes[0];
    float *x = malloc(sizeof(float) * B * D);
    int y[5];
    for (int i = 0; i < B * D; i++) x[i] = rng_uniform(&r) < 0.7 ? 0.0f : (float)rng_uniform(&r);
    for (int b = 0; b < B; b++) y[b] = (int)rng_below(&r, (uint32_t)sizes[nl]);

    float *grad = calloc(net.nparams, sizeof(float));
    double loss32 = net_forward(&net, &wk, x, y, B);
    net_backward(&net, &wk, grad, x, y, B);
    double *p = malloc(sizeof(double) * net.nparams);
    for (size_t i = 0; i < net.nparams; i++) p[i] = net.params[i];
    double loss64 = loss_f64(&net, p, x, y, B);
    CHECK(fabs(loss32 - loss64) < 1e-4 * (1 + fabs(loss64)), "%s: float forward %g vs float64 %g", label, loss32, loss64);

    const double h = 1e-6;
    for (int g = 0; g < 2 * nl; g++) {
        size_t off, n;
        char name[48];
        net_group_span(&net, g, &off, &n);
        net_group_name(&net, g, name, sizeof name);
        /* single coordinates: all of a small group, a random sample of a large one */
        int probes = n < 40 ? (int)n : 40, bad = 0;
        double worst = 0;
        for (int k = 0; k < probes; k++) {
            size_t i = off + (n < 40 ? (size_t)k : rng_below(&r, (uint32_t)n));
            double keep = p[i];
            p[i] = keep + h;
            double lp = loss_f64(&net, p, x, y, B);
            p[i] = keep - h;
            double lm = loss_f64(&net, p, x, y, B);
            p[i] = keep;
            double num = (lp - lm) / (2 * h), ana = grad[i];
            double rel = fabs(num - ana) / fmax(1e-3, fabs(num) + fabs(ana));
            if (rel > worst) worst = rel;
            if (rel > 2e-3) bad++;
        }
        CHECK(bad == 0, "%s %s: %d of %d coordinates disagree (worst relative error %.2e)", label, name, bad, probes, worst);
        /* a random direction through the whole group (kann's kad_check_grad) */
        double *u = malloc(sizeof(double) * n), dot = 0;
        for (size_t i = 0; i < n; i++) {
            u[i] = rng_normal(&r);
            dot += u[i] * grad[off + i];
        }
        double eps = 1e-5;
        for (size_t i = 0; i < n; i++) p[off + i] += eps * u[i];
        double lp = loss_f64(&net, p, x, y, B);
        for (size_t i = 0; i < n; i++) p[off + i] -= 2 * eps * u[i];
        double lm = loss_f64(&net, p, x, y, B);
        for (size_t i = 0; i < n; i++) p[off + i] += eps * u[i];
        double num = (lp - lm) / (2 * eps);
        double rel = fabs(num - dot) / fmax(1e-4, fabs(num) + fabs(dot));
        CHECK(rel < 2e-3, "%s %s: directional derivative %g vs analytic %g (rel %.2e)", label, name, num, dot, rel);
        free(u);
    }
    free(p);
    free(grad);
    free(x);
    netwk_free(&wk);
    net_free(&net);
}

int main(void) {
    kernels_set_threads(1);
    int softmax[] = {784, 10}, mlp[] = {784, 128, 64, 10}, small[] = {20, 7, 5, 4};
    gradcheck("softmax", softmax, 1, BIAS_NEURON, 0, 0);
    gradcheck("mlp", mlp, 3, BIAS_NEURON, 0, 0);
    gradcheck("softmax literal", softmax, 1, BIAS_LAYER, 1, 0.05);
    gradcheck("mlp literal", mlp, 3, BIAS_LAYER, 1, 0.05);
    gradcheck("mlp per-layer bias", mlp, 3, BIAS_LAYER, 0, 0);
    gradcheck("mlp output relu", mlp, 3, BIAS_NEURON, 1, 0);
    gradcheck("small custom", small, 3, BIAS_NEURON, 0, 0);

    /* parameter block layout: views are contiguous, weight then bias, layer by layer */
    Net net;
    char err[ERR_LEN];
    CHECK(net_create(&net, mlp, 3, BIAS_NEURON, 0, err) == 0, "%s", err);
    CHECK(net.nparams == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10, "mlp has %zu params", net.nparams);
    CHECK(net.b[0] == net.w[0] + 784 * 128 && net.w[1] == net.b[0] + 128, "views follow each other");
    net_init_he(&net, 3);
    Net copy = {0};
    CHECK(net_copy(&copy, &net, err) == 0 && memcmp(copy.params, net.params, net.nparams * 4) == 0, "net_copy");
    Net again;
    net_create(&again, mlp, 3, BIAS_NEURON, 0, err);
    net_init_he(&again, 3);
    CHECK(memcmp(again.params, net.params, net.nparams * 4) == 0, "same seed, same initial weights");
    net_init_he(&again, 4);
    CHECK(memcmp(again.params, net.params, net.nparams * 4) != 0, "another seed, other weights");
    /* He init: std of layer 0 close to sqrt(2/784) */
    double sq = 0;
    for (int i = 0; i < 784 * 128; i++) sq += (double)net.w[0][i] * net.w[0][i];
    double sd = sqrt(sq / (784 * 128));
    CHECK(fabs(sd - sqrt(2.0 / 784)) < 0.002, "He std %g", sd);
    int sizes[9];
    CHECK(net_parse_layers("784,256,10", sizes, 9, err) == 3 && sizes[1] == 256, "parse layers");
    CHECK(net_parse_layers("784,,10", sizes, 9, err) < 0, "empty size rejected");
    CHECK(net_parse_layers("784", sizes, 9, err) < 0, "one size rejected");
    CHECK(net_parse_layers("784,0,10", sizes, 9, err) < 0, "zero size rejected");
    CHECK(net_parse_layers("784,12x", sizes, 9, err) < 0, "junk rejected");
    net.params[5] = NAN;
    CHECK(!net_all_finite(&net), "NaN detected");
    net_free(&net);
    net_free(&copy);
    net_free(&again);
    return check_summary("net");
}

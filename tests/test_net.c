/* test_net.c - gradient checks: net_backward against central finite differences of an
 * independent float64 forward pass, for every parameter group, both presets and the notes'
 * literal variant (per-layer bias, ReLU on the output, uniform init); the same for layer stacks
 * of the grammar (conv, pool, relu, flatten, fc; the cnn preset among them), with the input's
 * gradient too; a stack's parameter block, copies, the dense arch strings and shapes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
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

/* ---- layer stacks ---- */

/* Mean cross-entropy of stack net with parameters p (double) on x (B,784), y (B), by plain
 * float64 loops written from the layer definitions (torch's Conv2d, MaxPool2d, ReLU, Linear). */
static double stack_loss_f64(const Net *net, const double *p, const double *x, const int *y, int B) {
    const Arch *A = &net->arch;
    size_t widest = 784;
    for (int i = 0; i < A->n; i++) {
        const LayerSpec *l = &A->layer[i];
        size_t n = (size_t)l->out_c * l->out_h * l->out_w;
        if (n > widest) widest = n;
    }
    double *a = malloc(sizeof(double) * widest), *z = malloc(sizeof(double) * widest), total = 0;
    for (int b = 0; b < B; b++) {
        memcpy(a, x + (size_t)b * 784, sizeof(double) * 784);
        for (int i = 0; i < A->n; i++) {
            const LayerSpec *l = &A->layer[i];
            int C = l->in_c, H = l->in_h, W = l->in_w, O = l->out_c, Ho = l->out_h, Wo = l->out_w;
            size_t nout = (size_t)O * Ho * Wo;
            if (l->kind == LAYER_CONV) {
                const double *w = p + net->woff[l->param_index], *bias = p + net->boff[l->param_index];
                int K = l->k;
                for (int o = 0; o < O; o++)
                    for (int oh = 0; oh < Ho; oh++)
                        for (int ow = 0; ow < Wo; ow++) {
                            double s = bias[o];
                            for (int c = 0; c < C; c++)
                                for (int kh = 0; kh < K; kh++)
                                    for (int kw = 0; kw < K; kw++) {
                                        int ih = oh * l->s + kh - l->p, iw = ow * l->s + kw - l->p;
                                        if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                            s += w[(((size_t)o * C + c) * K + kh) * K + kw] * a[((size_t)c * H + ih) * W + iw];
                                    }
                            z[((size_t)o * Ho + oh) * Wo + ow] = s;
                        }
            } else if (l->kind == LAYER_POOL) {
                for (int c = 0; c < C; c++)
                    for (int oh = 0; oh < Ho; oh++)
                        for (int ow = 0; ow < Wo; ow++) {
                            double m = -INFINITY;
                            for (int dy = 0; dy < 2; dy++)
                                for (int dx = 0; dx < 2; dx++) {
                                    double v = a[((size_t)c * H + 2 * oh + dy) * W + 2 * ow + dx];
                                    m = v > m ? v : m;
                                }
                            z[((size_t)c * Ho + oh) * Wo + ow] = m;
                        }
            } else if (l->kind == LAYER_RELU) {
                for (size_t k = 0; k < nout; k++) z[k] = a[k] > 0 ? a[k] : 0;
            } else if (l->kind == LAYER_FC) {
                const double *w = p + net->woff[l->param_index], *bias = p + net->boff[l->param_index];
                for (int o = 0; o < O; o++) {
                    double s = bias[o];
                    for (int k = 0; k < C; k++) s += w[(size_t)o * C + k] * a[k];
                    z[o] = s;
                }
            } else {
                memcpy(z, a, sizeof(double) * nout);
            }
            memcpy(a, z, sizeof(double) * nout);
        }
        int K = A->classes;
        double mx = a[0], sum = 0;
        for (int c = 1; c < K; c++) mx = a[c] > mx ? a[c] : mx;
        for (int c = 0; c < K; c++) sum += exp(a[c] - mx);
        total += mx + log(sum) - a[y[b]];
    }
    free(a);
    free(z);
    return total / B;
}

/* Central differences of stack_loss_f64 along single coordinates (at most probes of them) and
 * along one random direction of v (n values, perturbed in place) against the analytic g. */
static void fd_group(const char *label, const char *name, const Net *net, double *p, double *xd, double *v,
                     const float *g, size_t n, int probes, const int *y, int B, Rng *r) {
    const double h = 1e-5;
    int np = n < (size_t)probes ? (int)n : probes, bad = 0;
    double worst = 0;
    for (int k = 0; k < np; k++) {
        size_t i = n <= (size_t)probes ? (size_t)k : rng_below(r, (uint32_t)n);
        double keep = v[i];
        v[i] = keep + h;
        double lp = stack_loss_f64(net, p, xd, y, B);
        v[i] = keep - h;
        double lm = stack_loss_f64(net, p, xd, y, B);
        v[i] = keep;
        double num = (lp - lm) / (2 * h), ana = g[i];
        double rel = fabs(num - ana) / fmax(1e-3, fabs(num) + fabs(ana));
        if (rel > worst) worst = rel;
        if (rel > 2e-3) {
            bad++;
            if (getenv("ALLX")) fprintf(stderr, "  %s %zu: num %g ana %g\n", name, i, num, ana);
        }
    }
    CHECK(bad == 0, "%s %s: %d of %d coordinates disagree (worst relative error %.2e)", label, name, bad, np, worst);
    /* the error scale of a sum of n terms is the sum of their sizes, not the (cancelling) sum */
    double *u = malloc(sizeof(double) * n), dot = 0, mag = 0, eps = 1e-6;
    for (size_t i = 0; i < n; i++) {
        u[i] = rng_normal(r);
        dot += u[i] * g[i];
        mag += fabs(u[i] * g[i]);
    }
    for (size_t i = 0; i < n; i++) v[i] += eps * u[i];
    double lp = stack_loss_f64(net, p, xd, y, B);
    for (size_t i = 0; i < n; i++) v[i] -= 2 * eps * u[i];
    double lm = stack_loss_f64(net, p, xd, y, B);
    for (size_t i = 0; i < n; i++) v[i] += eps * u[i];
    double num = (lp - lm) / (2 * eps);
    double rel = fabs(num - dot) / fmax(1e-4, mag);
    if (getenv("ALLX")) fprintf(stderr, "  %s %s: directional %g vs %g, terms %g, rel %.2e\n", label, name, num, dot, mag, rel);
    CHECK(rel < 1e-4, "%s %s: directional derivative %g vs analytic %g (rel %.2e of %g)", label, name, num, dot, rel, mag);
    free(u);
}

/* net_backward (every parameter group) and net_backward_scores (the input) of a stack against
 * finite differences of the float64 forward, at a point with non-zero biases. */
static void gradcheck_stack(const char *arch, int B, int probes) {
    Net net;
    NetWork wk;
    char err[ERR_LEN];
    CHECK(net_create_str(&net, arch, err) == 0, "%s", err);
    if (!net.params) return;
    CHECK(net.stack && !net_is_dense(&net), "%s is a stack", arch);
    CHECK(netwk_create(&wk, &net, B, err) == 0, "%s", err);
    net_init_he(&net, 11);
    Rng r;
    rng_seed(&r, 5);
    for (int l = 0; l < net.nlayers; l++)
        for (size_t i = 0; i < net.blen[l]; i++) net.b[l][i] = (float)(0.1 * rng_normal(&r));
    float *x = malloc(sizeof(float) * (size_t)B * 784), *dx = malloc(sizeof(float) * (size_t)B * 784);
    double *xd = malloc(sizeof(double) * (size_t)B * 784), *p = malloc(sizeof(double) * net.nparams);
    int *y = malloc(sizeof(int) * (size_t)B);
    /* no exact zeros: a blank patch gives equal conv outputs (the bias) side by side, a tie in the
       pool where the loss has no derivative and central differences average the two sides */
    for (int i = 0; i < B * 784; i++)
        xd[i] = x[i] = rng_uniform(&r) < 0.5 ? (float)(0.02 * rng_uniform(&r)) : (float)rng_uniform(&r);
    for (int b = 0; b < B; b++) y[b] = (int)rng_below(&r, (uint32_t)net_outputs(&net));
    for (size_t i = 0; i < net.nparams; i++) p[i] = net.params[i];
    float *grad = calloc(net.nparams, sizeof(float)), *grad2 = calloc(net.nparams, sizeof(float));
    float *ds = malloc(sizeof(float) * (size_t)B * net_outputs(&net));
    double loss32 = net_forward(&net, &wk, x, y, B), loss64 = stack_loss_f64(&net, p, xd, y, B);
    CHECK(fabs(loss32 - loss64) < 1e-4 * (1 + fabs(loss64)), "%s: float forward %g vs float64 %g", arch, loss32, loss64);
    net_backward(&net, &wk, grad, x, y, B);
    /* the same gradient through net_backward_scores, with the input's: dscore = (p - onehot) / B */
    int K = net_outputs(&net);
    const float *pr = net_probs(&net, &wk);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) ds[b * K + k] = (pr[b * K + k] - (k == y[b])) / (float)B;
    net_backward_scores(&net, &wk, grad2, dx, ds, x, B);
    double gdiff = 0;
    for (size_t i = 0; i < net.nparams; i++) gdiff = fmax(gdiff, fabs((double)grad[i] - grad2[i]));
    CHECK(gdiff < 1e-6, "%s: net_backward and net_backward_scores differ by %g", arch, gdiff);
    for (int g = 0; g < 2 * net.nlayers; g++) {
        size_t off, n;
        char name[48];
        net_group_span(&net, g, &off, &n);
        net_group_name(&net, g, name, sizeof name);
        fd_group(arch, name, &net, p, xd, p + off, grad + off, n, probes, y, B, &r);
    }
    fd_group(arch, "input", &net, p, xd, xd, dx, (size_t)B * 784, getenv("ALLX") ? 100000 : probes, y, B, &r);
    free(ds);
    free(grad);
    free(grad2);
    free(p);
    free(xd);
    free(x);
    free(dx);
    free(y);
    netwk_free(&wk);
    net_free(&net);
}

static void stack_layout(void) {
    char err[ERR_LEN], s[ARCH_MAX_TEXT];
    Net net, copy = {0}, dense;
    CHECK(net_create_str(&net, "cnn", err) == 0, "%s", err);
    CHECK(net.nparams == 46730 && net.nlayers == 4, "cnn: %zu parameters in %d layers", net.nparams, net.nlayers);
    CHECK(net.wlen[0] == 16 * 25 && net.blen[0] == 16 && net.wlen[1] == 32 * 16 * 25 && net.wlen[2] == 64 * 512 &&
              net.wlen[3] == 640, "cnn view sizes");
    CHECK(net.b[0] == net.w[0] + 400 && net.w[1] == net.b[0] + 16 && net.w[3] + 640 == net.b[3] &&
              net.b[3] + 10 == net.params + net.nparams, "views follow each other");
    CHECK(net_inputs(&net) == 784 && net_outputs(&net) == 10 && net.sizes[1] == 16 * 24 * 24, "inputs, outputs, sizes");
    net_arch_str(&net, s, sizeof s);
    CHECK(!strcmp(s, ARCH_CNN), "arch string %s", s);
    const LayerSpec *l1 = net_param_spec(&net, 1);
    CHECK(l1 && l1->kind == LAYER_CONV && l1->in_c == 16 && l1->out_c == 32, "param spec 1");
    net_init_he(&net, 3);
    double sq = 0;
    for (size_t i = 0; i < net.wlen[1]; i++) sq += (double)net.w[1][i] * net.w[1][i];
    CHECK(fabs(sqrt(sq / net.wlen[1]) - sqrt(2.0 / 400)) < 0.004, "He std of conv 2: %g", sqrt(sq / net.wlen[1]));
    CHECK(net_copy(&copy, &net, err) == 0 && copy.stack && net_same_shape(&copy, &net) &&
              memcmp(copy.params, net.params, net.nparams * 4) == 0, "stack net_copy");
    /* dense arch strings make dense nets, exactly as net_create would */
    CHECK(net_create_str(&dense, "784-128-64-10", err) == 0 && !dense.stack && dense.nlayers == 3 &&
              dense.sizes[1] == 128 && !net_same_shape(&dense, &net), "dense arch");
    CHECK(net_copy(&copy, &dense, err) == 0 && !copy.stack && net_same_shape(&copy, &dense), "copy over another shape");
    net_free(&dense);
    CHECK(net_create_str(&dense, "fc10", err) == 0 && !dense.stack && dense.nlayers == 1, "fc10 is softmax regression");
    net_free(&dense);
    CHECK(net_create_str(&dense, "conv8k9-fc10", err) < 0 && strstr(err, "kernel size 9"), "bad arch: %s", err);
    CHECK(net_create_str(&dense, "conv2k3-fc5-fc5-fc5-fc5-fc5-fc5-fc5-fc10", err) < 0 && strstr(err, "at most 8"),
          "too many parameter layers: %s", err);
    /* forward-only buffers predict the same */
    NetWork a, b;
    float x[2 * 784];
    for (int i = 0; i < 2 * 784; i++) x[i] = (float)((i * 37) % 101) / 100.0f;
    CHECK(netwk_create(&a, &net, 2, err) == 0 && netwk_create_forward(&b, &net, 5, err) == 0 && !a.fwd_only && b.fwd_only,
          "work buffers");
    net_forward(&net, &a, x, NULL, 2);
    net_forward(&net, &b, x, NULL, 2);
    CHECK(memcmp(net_probs(&net, &a), net_probs(&net, &b), sizeof(float) * 20) == 0, "forward-only gives the same");
    netwk_free(&a);
    netwk_free(&b);
    net_free(&copy);
    net_free(&net);
}

int main(void) {
    kernels_set_threads(1);
    gradcheck_stack("conv4k3-relu-pool-conv6k3s2p1-relu-fc10", 3, 24);
    gradcheck_stack("conv3k5p0-relu-pool-conv4k5p0-relu-pool-fc8-relu-fc10", 3, 24);
    gradcheck_stack("conv2k3-pool-relu-flatten-fc12-fc7", 2, 24);
    gradcheck_stack("conv3k7p3-relu-conv4k3s2-relu-conv2k4p1-pool-fc10", 2, 24);
    gradcheck_stack("fc16-fc10", 2, 24);
    gradcheck_stack("cnn", 2, 16);
    stack_layout();
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

/* test_saliency.c - one input's activations and its saliency map: the forward pass agrees with
 * net_forward; d score/d x and d prob/d x agree with central finite differences of an independent
 * float64 forward pass (per pixel and along random directions), for an MLP, a softmax net and the
 * notes' literal variant (per-layer bias, ReLU on the logits), and through the conv, pool and fc
 * layers of stacks (the cnn preset among them), whose kept feature maps match the float64 pass
 * layer by layer; the frame recovered for a drawing
 * puts every inked canvas pixel onto ink in the 28x28 input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "check.h"
#include "common.h"
#include "net.h"
#include "preprocess.h"
#include "saliency.h"

/* Independent float64 forward: the score (t = 0) or probability (t = 1) of class k at x. */
static double ref_score(const Net *net, const double *x, int k, int t) {
    double buf[2][4096];
    const double *in = x;
    int L = net->nlayers;
    for (int l = 0; l < L; l++) {
        int I = net->sizes[l], O = net->sizes[l + 1];
        double *out = buf[l % 2];
        for (int o = 0; o < O; o++) {
            double z = net->b[l][net->bias == BIAS_NEURON ? o : 0];
            for (int i = 0; i < I; i++) z += (double)net->w[l][(size_t)o * I + i] * in[i];
            out[o] = ((l < L - 1 || net->output_relu) && z < 0) ? 0 : z;
        }
        in = out;
    }
    int K = net->sizes[L];
    if (t == 0) return in[k];
    double m = in[0], s = 0;
    for (int j = 1; j < K; j++) m = in[j] > m ? in[j] : m;
    for (int j = 0; j < K; j++) s += exp(in[j] - m);
    return exp(in[k] - m) / s;
}

/* The same for a layer stack, by plain float64 loops from the layer definitions; with keep,
 * layer i's output goes to keep[i] (out sizes). */
static double ref_score_stack(const Net *net, const double *x, int k, int t, double **keep) {
    const Arch *A = &net->arch;
    static double a[1 << 19], z[1 << 19];
    memcpy(a, x, sizeof(double) * 784);
    for (int i = 0; i < A->n; i++) {
        const LayerSpec *l = &A->layer[i];
        int C = l->in_c, H = l->in_h, W = l->in_w, O = l->out_c, Ho = l->out_h, Wo = l->out_w;
        size_t nout = (size_t)O * Ho * Wo;
        const float *w = l->param_index >= 0 ? net->w[l->param_index] : NULL;
        const float *b = l->param_index >= 0 ? net->b[l->param_index] : NULL;
        if (l->kind == LAYER_CONV) {
            for (int o = 0; o < O; o++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double s = b[o];
                        for (int c = 0; c < C; c++)
                            for (int kh = 0; kh < l->k; kh++)
                                for (int kw = 0; kw < l->k; kw++) {
                                    int ih = oh * l->s + kh - l->p, iw = ow * l->s + kw - l->p;
                                    if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                        s += (double)w[(((size_t)o * C + c) * l->k + kh) * l->k + kw] * a[((size_t)c * H + ih) * W + iw];
                                }
                        z[((size_t)o * Ho + oh) * Wo + ow] = s;
                    }
        } else if (l->kind == LAYER_POOL) {
            for (int c = 0; c < C; c++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double m = -INFINITY;
                        for (int d = 0; d < 4; d++) {
                            double v = a[((size_t)c * H + 2 * oh + d / 2) * W + 2 * ow + d % 2];
                            m = v > m ? v : m;
                        }
                        z[((size_t)c * Ho + oh) * Wo + ow] = m;
                    }
        } else if (l->kind == LAYER_RELU) {
            for (size_t q = 0; q < nout; q++) z[q] = a[q] > 0 ? a[q] : 0;
        } else if (l->kind == LAYER_FC) {
            for (int o = 0; o < O; o++) {
                double s = b[o];
                for (int q = 0; q < C; q++) s += (double)w[(size_t)o * C + q] * a[q];
                z[o] = s;
            }
        } else {
            memcpy(z, a, sizeof(double) * nout);
        }
        memcpy(a, z, sizeof(double) * nout);
        if (keep) memcpy(keep[i], a, sizeof(double) * nout);
    }
    int K = A->classes;
    if (t == 0) return a[k];
    double m = a[0], s = 0;
    for (int j = 1; j < K; j++) m = a[j] > m ? a[j] : m;
    for (int j = 0; j < K; j++) s += exp(a[j] - m);
    return exp(a[k] - m) / s;
}

static double ref_any(const Net *net, const double *x, int k, int t) {
    return net->stack ? ref_score_stack(net, x, k, t, NULL) : ref_score(net, x, k, t);
}
#define ref_score(net, x, k, t) ref_any(net, x, k, t)

static void check_net(const char *name, Net *net, Rng *r) {
    char err[ERR_LEN];
    Saliency s;
    CHECK(saliency_init(&s, net, err) == 0 && saliency_fits(&s, net), "%s: init %s", name, err);
    float x[784], g[784];
    double xd[784];
    for (int i = 0; i < 784; i++) x[i] = (float)rng_uniform(r), xd[i] = x[i];
    int top = saliency_forward(&s, net, x);
    if (net->stack) { /* every layer's kept output against the float64 pass */
        double *keep[ARCH_MAX_LAYERS];
        for (int i = 0; i < net->arch.n; i++)
            keep[i] = malloc(sizeof(double) * (size_t)net->arch.layer[i].out_c * net->arch.layer[i].out_h *
                             net->arch.layer[i].out_w);
        ref_score_stack(net, xd, 0, 0, keep);
        int bad = 0;
        for (int i = 0; i < net->arch.n; i++) {
            const LayerSpec *l = &net->arch.layer[i];
            const float *o = saliency_layer(&s, net, i);
            /* a conv or fc with its ReLU fused keeps the ReLU's output */
            int fused = (l->kind == LAYER_CONV || l->kind == LAYER_FC) && i + 1 < net->arch.n &&
                        net->arch.layer[i + 1].kind == LAYER_RELU;
            const double *want = keep[fused ? i + 1 : i];
            size_t n = (size_t)l->out_c * l->out_h * l->out_w;
            double worst = 0, scale = 1e-6;
            for (size_t q = 0; o && q < n; q++) {
                worst = fmax(worst, fabs(o[q] - want[q]));
                scale = fmax(scale, fabs(want[q]));
            }
            if (!o || worst > 1e-4 * scale) bad++;
        }
        for (int i = 0; i < net->arch.n; i++) free(keep[i]);
        CHECK(bad == 0, "%s: %d layers' kept outputs differ from the float64 pass", name, bad);
        CHECK(saliency_layer(&s, net, net->arch.n) == NULL && saliency_layer(&s, net, -1) == NULL, "%s: layer range", name);
    }
    /* the same probabilities as net_forward */
    NetWork wk;
    netwk_create(&wk, net, 1, err);
    net_forward(net, &wk, x, NULL, 1);
    const float *p = net_probs(net, &wk);
    int K = net->sizes[net->nlayers], same = 1, best = 0;
    for (int k = 0; k < K; k++) {
        same &= fabsf(p[k] - s.a[net->nlayers][k]) < 1e-5f;
        if (p[k] > p[best]) best = k;
    }
    CHECK(same && top == best, "%s: forward agrees with net_forward (top %d vs %d)", name, top, best);
    netwk_free(&wk);
    for (int t = 0; t < 2; t++) {
        int k = t == 0 ? top : (top + 1) % K; /* the top class's score, another class's probability */
        saliency_input_grad(&s, net, k, t == 0 ? SAL_LOGIT : SAL_PROB, g);
        double gmax = 0;
        for (int i = 0; i < 784; i++) gmax = fabs(g[i]) > gmax ? fabs(g[i]) : gmax;
        CHECK(gmax > 0, "%s: a non-zero map", name);
        /* a stack has many more kinks (ReLUs, pool winners) near the point: a smaller step */
        const double h = net->stack ? 1e-6 : 1e-4;
        double worst = 0;
        for (int n = 0; n < 60; n++) {
            int i = (int)rng_below(r, 784);
            double keep = xd[i];
            xd[i] = keep + h;
            double up = ref_score(net, xd, k, t);
            xd[i] = keep - h;
            double dn = ref_score(net, xd, k, t);
            xd[i] = keep;
            double fd = (up - dn) / (2 * h), e = fabs(fd - g[i]) / (gmax + 1e-12);
            if (getenv("SAL_VERBOSE") && e > 1e-3) fprintf(stderr, "  %s pixel %d: fd %g analytic %g\n", name, i, fd, g[i]);
            worst = e > worst ? e : worst;
        }
        CHECK(worst < 1e-3, "%s %s: per-pixel finite differences, worst %.2e of the largest entry", name,
              t == 0 ? "score" : "prob", worst);
        /* along random directions */
        for (int n = 0; n < 3; n++) {
            double dir[784], dot = 0, plus[784], minus[784], norm = 0;
            for (int i = 0; i < 784; i++) dir[i] = rng_normal(r), norm += dir[i] * dir[i];
            norm = sqrt(norm);
            for (int i = 0; i < 784; i++) {
                dir[i] /= norm;
                dot += dir[i] * g[i];
                plus[i] = xd[i] + h * dir[i];
                minus[i] = xd[i] - h * dir[i];
            }
            double fd = (ref_score(net, plus, k, t) - ref_score(net, minus, k, t)) / (2 * h);
            double gn = 0;
            for (int i = 0; i < 784; i++) gn += (double)g[i] * g[i];
            CHECK(fabs(fd - dot) <= 1e-3 * sqrt(gn) + 1e-7, "%s: direction %d: %g vs %g", name, n, fd, dot);
        }
    }
    saliency_free(&s);
}

int main(void) {
    char err[ERR_LEN];
    Rng r;
    rng_seed(&r, 11);
    int mlp[] = {784, 32, 16, 10}, sm[] = {784, 10};
    Net a, b, c;
    net_create(&a, mlp, 3, BIAS_NEURON, 0, err);
    net_init_he(&a, 1);
    for (int l = 0; l < 3; l++)
        for (int o = 0; o < a.sizes[l + 1]; o++) a.b[l][o] = (float)(0.1 * rng_normal(&r));
    check_net("mlp", &a, &r);
    net_create(&b, sm, 1, BIAS_NEURON, 0, err);
    net_init_he(&b, 2);
    check_net("softmax", &b, &r);
    net_create(&c, mlp, 3, BIAS_LAYER, 1, err);
    net_init_uniform(&c, 0.1f, 3);
    for (int l = 0; l < 3; l++) c.b[l][0] = 0.3f; /* keep units (and the ReLU'd logits) alive */
    check_net("literal (per-layer bias, relu logits)", &c, &r);
    Saliency s;
    saliency_init(&s, &a, err);
    CHECK(!saliency_fits(&s, &b) && saliency_fits(&s, &a), "fits only its shape");
    CHECK(saliency_layer(&s, &a, 0) == NULL, "a dense net has no feature maps");
    saliency_free(&s);
    /* layer stacks: through conv (strides, paddings), pool, relu and fc */
    const char *stacks[] = {"cnn", "conv4k3s2-relu-conv6k5p1-relu-pool-fc16-relu-fc10", "conv3k7-pool-relu-fc10"};
    Net st[3];
    for (int i = 0; i < 3; i++) {
        CHECK(net_create_str(&st[i], stacks[i], err) == 0, "%s: %s", stacks[i], err);
        net_init_he(&st[i], 5 + (uint64_t)i);
        for (int l = 0; l < st[i].nlayers; l++)
            for (size_t o = 0; o < st[i].blen[l]; o++) st[i].b[l][o] = (float)(0.05 * rng_normal(&r));
        check_net(stacks[i], &st[i], &r);
    }
    saliency_init(&s, &st[0], err);
    CHECK(saliency_fits(&s, &st[0]) && !saliency_fits(&s, &st[1]) && !saliency_fits(&s, &a), "a stack fits only its own");
    saliency_free(&s);
    for (int i = 0; i < 3; i++) net_free(&st[i]);

    /* the frame: every inked canvas pixel lands on ink in the input preprocess_digit made */
    Canvas cv;
    CHECK(canvas_init(&cv, CANVAS_SIDE, err) == 0, "%s", err);
    for (int d = 0; d < 10; d++) {
        canvas_clear(&cv);
        canvas_draw_demo(&cv, d);
        float in[784];
        CHECK(preprocess_digit(in, cv.px, cv.side, cv.side, 0.05f) == 1, "digit %d has ink", d);
        SalFrame f;
        CHECK(saliency_frame(cv.px, cv.side, cv.side, 0.05f, in, &f) == 1, "frame of digit %d", d);
        long inked = 0, on_ink = 0;
        int umax = 0, ucover = 0;
        for (int y = 0; y < cv.side; y++)
            for (int x = 0; x < cv.side; x++) {
                if (cv.px[y * cv.side + x] < 0.5f) continue;
                double u = f.offx + (x + 0.5 - f.x0) * f.sx, v = f.offy + (y + 0.5 - f.y0) * f.sy;
                inked++;
                if (u >= 0 && u < 28 && v >= 0 && v < 28 && in[(int)v * 28 + (int)u] > 0) on_ink++;
                if ((int)u > ucover) ucover = (int)u;
            }
        for (int i = 0; i < 784; i++)
            if (in[i] > 0.05f && i % 28 > umax) umax = i % 28;
        CHECK(inked > 100 && on_ink == inked, "digit %d: %ld of %ld inked pixels land on ink", d, on_ink, inked);
        CHECK(abs(umax - ucover) <= 1, "digit %d: the mapped box ends where the input's ink does (%d vs %d)", d, ucover, umax);
    }
    float blank[784] = {0};
    SalFrame f;
    canvas_clear(&cv);
    CHECK(saliency_frame(cv.px, cv.side, cv.side, 0.05f, blank, &f) == 0, "blank: no frame");
    canvas_free(&cv);
    net_free(&a);
    net_free(&b);
    net_free(&c);
    return check_summary("test_saliency");
}

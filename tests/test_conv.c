/* test_conv.c - Conv2d and MaxPool2d kernels: finite-difference gradient checks (conv weights,
 * bias and input, pool, a small conv-relu-pool-fc stack), every fast path against its plain-loop
 * reference on many shapes, 1 vs 2 threads bit-identical, and a conv with its pool run inside
 * bit-identical to the separate passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "conv.h"
#include "kernels.h"

static Rng rng;

static float *fill(size_t n, float lo, float hi) {
    float *a = kernels_alloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float)rng_uniform(&rng);
    return a;
}

static size_t in_len(const ConvShape *s) { return (size_t)s->B * s->Ci * s->H * s->W; }
static size_t out_len(const ConvShape *s) { return (size_t)s->B * s->Co * s->Ho * s->Wo; }
static size_t w_len(const ConvShape *s) { return (size_t)s->Co * s->Ci * s->K * s->K; }

/* max |a - b| / max(max |b|, floor): the error relative to the reference's scale. */
static double rel_err(const float *a, const float *b, size_t n, double floor) {
    double e = 0, m = floor;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= e)) e = d; /* NaN counts as the worst */
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return e / m;
}

/* Fast kernels against the references: 2e-5 of the output's scale. The references sum in
 * double, the fast kernels in float with FMA, over at most a few thousand terms here. */
#define TOL 2e-5

static void check_shape(const ConvShape *s, int relu, int with_dinp, const char *tag) {
    size_t ni = in_len(s), no = out_len(s), nw = w_len(s);
    float *inp = fill(ni, -1, 1), *w = fill(nw, -0.5f, 0.5f), *bias = fill((size_t)s->Co, -0.5f, 0.5f);
    float *dout = fill(no, -1, 1);
    float *ref = kernels_alloc(no), *got = kernels_alloc(no);
    float *dw_r = kernels_alloc(nw), *db_r = kernels_alloc((size_t)s->Co), *di_r = kernels_alloc(ni);
    float *dw_g = kernels_alloc(nw), *db_g = kernels_alloc((size_t)s->Co), *di_g = kernels_alloc(ni);
    float *ws = kernels_alloc(conv2d_workspace(s));
    conv2d_forward_ref(ref, inp, w, bias, s, relu);
    conv2d_backward_ref(with_dinp ? di_r : NULL, dw_r, db_r, dout, inp, w, relu ? ref : NULL, s);
    ConvAlgo algos[4] = {CONV_AUTO, CONV_IM2COL, CONV_DIRECT, CONV_CHANNELS};
    int nalgo = s->S == 1 ? 4 : 2;
    for (int a = 0; a < nalgo; a++) {
        /* poison the outputs and the workspace: every element must be written */
        memset(got, 0xff, sizeof(float) * no);
        memset(ws, 0xff, sizeof(float) * conv2d_workspace(s));
        memset(dw_g, 0xff, sizeof(float) * nw), memset(db_g, 0xff, sizeof(float) * s->Co);
        memset(di_g, 0xff, sizeof(float) * ni);
        conv2d_forward_algo(got, ws, inp, w, bias, s, relu, algos[a]);
        double ef = rel_err(got, ref, no, 1e-3);
        conv2d_backward_algo(with_dinp ? di_g : NULL, dw_g, db_g, ws, dout, inp, w, relu ? ref : NULL, s, algos[a]);
        double ew = rel_err(dw_g, dw_r, nw, 1e-3), eb = rel_err(db_g, db_r, (size_t)s->Co, 1e-3);
        double ei = with_dinp ? rel_err(di_g, di_r, ni, 1e-3) : 0;
        CHECK(ef <= TOL && ew <= TOL && eb <= TOL && ei <= TOL,
              "%s algo %d B%d Ci%d %dx%d Co%d K%d S%d P%d relu%d: errors fwd %.2g dw %.2g db %.2g dinp %.2g", tag,
              a, s->B, s->Ci, s->H, s->W, s->Co, s->K, s->S, s->P, relu, ef, ew, eb, ei);
    }
    free(inp), free(w), free(bias), free(dout), free(ref), free(got);
    free(dw_r), free(db_r), free(di_r), free(dw_g), free(db_g), free(di_g), free(ws);
}

static void test_against_reference(void) {
    int n = 0;
    /* every kernel size, stride and padding */
    for (int K = CONV_MIN_K; K <= CONV_MAX_K; K++)
        for (int S = 1; S <= 2; S++)
            for (int P = 0; P < K; P++) {
                int H = K - 2 * P > 1 ? K - 2 * P + (int)rng_below(&rng, 9) : 1 + (int)rng_below(&rng, 11);
                int W = K - 2 * P > 1 ? K - 2 * P + (int)rng_below(&rng, 9) : 1 + (int)rng_below(&rng, 11);
                int B = 1 + (int)rng_below(&rng, 5), Ci = 1 + (int)rng_below(&rng, 6), Co = 1 + (int)rng_below(&rng, 12);
                ConvShape s = conv_shape(B, Ci, H, W, Co, K, S, P);
                check_shape(&s, (int)rng_below(&rng, 2), (int)rng_below(&rng, 4) != 0, "sweep");
                n++;
            }
    /* channel counts up to 32, batches past the task count (chunks of several images) */
    static const int chans[] = {1, 2, 3, 7, 8, 9, 16, 17, 32};
    for (int i = 0; i < 40; i++) {
        int K = CONV_MIN_K + (int)rng_below(&rng, 5), S = 1 + (int)rng_below(&rng, 2), P = (int)rng_below(&rng, (uint32_t)K);
        int H = K + (int)rng_below(&rng, 12), W = K + (int)rng_below(&rng, 12);
        int B = 1 + (int)rng_below(&rng, 40);
        ConvShape s = conv_shape(B, chans[rng_below(&rng, 9)], H, W, chans[rng_below(&rng, 9)], K, S, P);
        check_shape(&s, (int)rng_below(&rng, 2), 1, "random");
        n++;
    }
    /* the input gradient scattered from the compact output gradient (K-1-P > P), with channel
     * counts past one and two vectors and output widths that cut the 16-position vectors into
     * row runs anywhere; and the no-padding layers that read the input in place */
    static const int cis[] = {1, 3, 16, 17}, cos[] = {5, 16, 24, 32, 33};
    for (int i = 0; i < 24; i++) {
        int K = 3 + 2 * (int)rng_below(&rng, 3), P = (int)rng_below(&rng, (uint32_t)((K - 1) / 2));
        int H = K - 2 * P + (int)rng_below(&rng, 18), W = K - 2 * P + (int)rng_below(&rng, 18);
        int B = 1 + (int)rng_below(&rng, 20);
        ConvShape s = conv_shape(B, cis[rng_below(&rng, 4)], H, W, cos[rng_below(&rng, 5)], K, 1, P);
        check_shape(&s, (int)rng_below(&rng, 2), 1, "scatter");
        n++;
    }
    /* the preset's layers */
    ConvShape a = conv_shape(20, 1, 28, 28, 16, 5, 1, 2), b = conv_shape(20, 16, 14, 14, 32, 5, 1, 2);
    ConvShape c = conv_shape(20, 1, 28, 28, 8, 5, 1, 0), d = conv_shape(20, 8, 12, 12, 16, 5, 1, 0);
    check_shape(&a, 1, 0, "preset1");
    check_shape(&b, 1, 1, "preset2");
    check_shape(&c, 1, 0, "small1");
    check_shape(&d, 1, 1, "small2");
    printf("conv: %d shapes against the references\n", n + 4);
}

/* ---- 1 vs 2 threads ---- */

static void test_threads(void) {
    /* the preset's layers (padding 0: the scattered input gradient), padding 2 (gathered), a
     * strided layer (im2col), each through every algorithm that takes it */
    ConvShape shapes[] = {conv_shape(64, 16, 12, 12, 32, 5, 1, 0), conv_shape(64, 1, 28, 28, 16, 5, 1, 0),
                          conv_shape(64, 16, 14, 14, 32, 5, 1, 2), conv_shape(37, 3, 17, 13, 9, 3, 2, 1),
                          conv_shape(50, 8, 11, 9, 16, 3, 1, 0)};
    ConvAlgo algos[4] = {CONV_AUTO, CONV_DIRECT, CONV_CHANNELS, CONV_IM2COL};
    for (int k = 0; k < 20; k++) {
        int i = k / 4;
        ConvAlgo algo = algos[k % 4];
        const ConvShape *s = &shapes[i];
        if (s->S != 1 && (algo == CONV_DIRECT || algo == CONV_CHANNELS)) continue;
        size_t ni = in_len(s), no = out_len(s), nw = w_len(s);
        float *inp = fill(ni, -1, 1), *w = fill(nw, -0.5f, 0.5f), *bias = fill((size_t)s->Co, -0.5f, 0.5f);
        float *dout = fill(no, -1, 1), *ws = kernels_alloc(conv2d_workspace(s));
        float *o[2], *dw[2], *db[2], *di[2];
        for (int t = 0; t < 2; t++) {
            kernels_set_threads(t + 1);
            o[t] = kernels_alloc(no), dw[t] = kernels_alloc(nw), db[t] = kernels_alloc((size_t)s->Co);
            di[t] = kernels_alloc(ni);
            for (int rep = 0; rep < 3; rep++) { /* repeated: the tasks land on different threads */
                conv2d_forward_algo(o[t], ws, inp, w, bias, s, 1, algo);
                conv2d_backward_algo(di[t], dw[t], db[t], ws, dout, inp, w, o[t], s, algo);
            }
        }
        kernels_set_threads(1);
        CHECK(memcmp(o[0], o[1], sizeof(float) * no) == 0, "shape %d algo %d: forward differs between 1 and 2 threads", i, algo);
        CHECK(memcmp(dw[0], dw[1], sizeof(float) * nw) == 0, "shape %d algo %d: dw differs between 1 and 2 threads", i, algo);
        CHECK(memcmp(db[0], db[1], sizeof(float) * s->Co) == 0, "shape %d algo %d: db differs between 1 and 2 threads", i, algo);
        CHECK(memcmp(di[0], di[1], sizeof(float) * ni) == 0, "shape %d algo %d: dinp differs between 1 and 2 threads", i, algo);
        /* a smaller batch in the same workspace gives the first images' results */
        ConvShape sm = *s;
        sm.B = s->B / 3;
        float *o2 = kernels_alloc(no);
        conv2d_forward_algo(o2, ws, inp, w, bias, &sm, 1, algo);
        CHECK(memcmp(o2, o[0], sizeof(float) * out_len(&sm)) == 0, "shape %d algo %d: batch %d in a batch-%d workspace", i,
              algo, sm.B, s->B);
        free(o2);
        for (int t = 0; t < 2; t++) free(o[t]), free(dw[t]), free(db[t]), free(di[t]);
        free(inp), free(w), free(bias), free(dout), free(ws);
    }
}

/* ---- a conv with its pool run inside ---- */

/* conv2d_forward_pool / conv2d_backward_pool against the separate passes (conv, maxpool2d
 * forward; maxpool2d backward, conv backward): the same bits, for every algorithm, 1 and 2
 * threads, odd output sizes (the pool drops the last row or column) and chunks of several
 * images. */
static void test_pool_fusion(void) {
    ConvShape shapes[] = {conv_shape(64, 1, 28, 28, 16, 5, 1, 0), conv_shape(64, 16, 12, 12, 32, 5, 1, 0),
                          conv_shape(37, 3, 13, 11, 9, 3, 1, 1), conv_shape(21, 2, 17, 15, 20, 3, 2, 1),
                          conv_shape(5, 16, 9, 8, 17, 5, 1, 2)};
    ConvAlgo algos[4] = {CONV_AUTO, CONV_DIRECT, CONV_CHANNELS, CONV_IM2COL};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int a = 0; a < 4; a++) {
            const ConvShape *s = &shapes[i];
            if (s->S != 1 && (algos[a] == CONV_DIRECT || algos[a] == CONV_CHANNELS)) continue;
            size_t ni = in_len(s), no = out_len(s), nw = w_len(s), np = (size_t)s->B * s->Co * (s->Ho / 2) * (s->Wo / 2);
            float *inp = fill(ni, -1, 1), *w = fill(nw, -0.5f, 0.5f), *bias = fill((size_t)s->Co, -0.5f, 0.5f);
            float *dpool = fill(np, -1, 1), *ws = kernels_alloc(conv2d_workspace(s));
            float *o_r = kernels_alloc(no), *p_r = kernels_alloc(np), *dout = kernels_alloc(no);
            float *dw_r = kernels_alloc(nw), *db_r = kernels_alloc((size_t)s->Co), *di_r = kernels_alloc(ni);
            uint8_t *ix_r = malloc(np);
            conv2d_forward_algo(o_r, ws, inp, w, bias, s, 1, algos[a]);
            maxpool2d_forward(p_r, ix_r, o_r, s->B * s->Co, s->Ho, s->Wo);
            maxpool2d_backward(dout, dpool, ix_r, s->B * s->Co, s->Ho, s->Wo);
            conv2d_backward_algo(di_r, dw_r, db_r, ws, dout, inp, w, o_r, s, algos[a]);
            for (int t = 1; t <= 2; t++) {
                kernels_set_threads(t);
                float *o = kernels_alloc(no), *po = kernels_alloc(np), *dw = kernels_alloc(nw);
                float *db = kernels_alloc((size_t)s->Co), *di = kernels_alloc(ni);
                uint8_t *ix = malloc(np);
                memset(ws, 0xff, sizeof(float) * conv2d_workspace(s));
                memset(po, 0xff, sizeof(float) * np), memset(ix, 0xff, np), memset(di, 0xff, sizeof(float) * ni);
                conv2d_forward_pool(o, po, ix, ws, inp, w, bias, s, 1, algos[a]);
                conv2d_backward_pool(di, dw, db, ws, dpool, ix, po, inp, w, o, s, algos[a]);
                CHECK(memcmp(o, o_r, sizeof(float) * no) == 0 && memcmp(po, p_r, sizeof(float) * np) == 0 &&
                          memcmp(ix, ix_r, np) == 0,
                      "shape %zu algo %d threads %d: conv + pool forward differs from the separate passes", i, algos[a], t);
                CHECK(memcmp(dw, dw_r, sizeof(float) * nw) == 0 && memcmp(db, db_r, sizeof(float) * s->Co) == 0 &&
                          memcmp(di, di_r, sizeof(float) * ni) == 0,
                      "shape %zu algo %d threads %d: conv + pool backward differs from the separate passes", i, algos[a],
                      t);
                free(o), free(po), free(dw), free(db), free(di), free(ix);
            }
            kernels_set_threads(1);
            free(inp), free(w), free(bias), free(dpool), free(ws), free(o_r), free(p_r), free(dout);
            free(dw_r), free(db_r), free(di_r), free(ix_r);
        }
}

/* ---- pooling ---- */

static void test_pool(void) {
    static const int sizes[][2] = {{2, 2}, {3, 3}, {4, 5}, {7, 6}, {28, 28}, {14, 14}, {15, 9}, {24, 24}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int H = sizes[i][0], W = sizes[i][1], n = 1 + (int)rng_below(&rng, 300);
        size_t ni = (size_t)n * H * W, no = (size_t)n * (H / 2) * (W / 2);
        float *inp = fill(ni, -1, 1), *o_r = kernels_alloc(no), *o_g = kernels_alloc(no), *dout = fill(no, -1, 1);
        float *d_r = kernels_alloc(ni), *d_g = kernels_alloc(ni);
        uint8_t *ix_r = malloc(no), *ix_g = malloc(no);
        for (size_t k = 0; k < ni; k += 7) inp[k] = inp[k > 0 ? k - 1 : 0]; /* some ties */
        maxpool2d_forward_ref(o_r, ix_r, inp, n, H, W);
        maxpool2d_backward_ref(d_r, dout, ix_r, n, H, W);
        for (int t = 1; t <= 2; t++) {
            kernels_set_threads(t);
            memset(d_g, 0xff, sizeof(float) * ni);
            maxpool2d_forward(o_g, ix_g, inp, n, H, W);
            maxpool2d_backward(d_g, dout, ix_g, n, H, W);
            CHECK(memcmp(o_g, o_r, sizeof(float) * no) == 0 && memcmp(ix_g, ix_r, no) == 0,
                  "pool %dx%d n %d threads %d: forward differs from the reference", H, W, n, t);
            CHECK(memcmp(d_g, d_r, sizeof(float) * ni) == 0, "pool %dx%d n %d threads %d: backward differs", H, W, n, t);
        }
        kernels_set_threads(1);
        /* the maximum is really the maximum, and ties go to the first */
        int bad = 0;
        for (int p = 0; p < n && !bad; p++)
            for (int y = 0; y < H / 2; y++)
                for (int x = 0; x < W / 2; x++) {
                    const float *r = inp + ((size_t)p * H + 2 * y) * W + 2 * x;
                    float v[4] = {r[0], r[1], r[W], r[W + 1]};
                    size_t o = ((size_t)p * (H / 2) + y) * (W / 2) + x;
                    int k = ix_r[o];
                    for (int q = 0; q < 4; q++)
                        if (v[q] > v[k] || (v[q] == v[k] && q < k)) bad = 1;
                    if (o_r[o] != v[k]) bad = 1;
                }
        CHECK(!bad, "pool %dx%d: a window's output is not its first maximum", H, W);
        free(inp), free(o_r), free(o_g), free(dout), free(d_r), free(d_g), free(ix_r), free(ix_g);
    }
    /* a NaN is not hidden by the maximum */
    float in[4] = {1, NAN, 2, 0}, out;
    uint8_t ix;
    maxpool2d_forward(&out, &ix, in, 1, 2, 2);
    CHECK(isnan(out), "pool hid a NaN (got %g)", out);
}

/* ---- finite differences ----
 * The losses are evaluated in double from double copies of the parameters, by loops written
 * here (independent of conv.c), so a central difference with a step of 1e-6 is accurate to
 * about 1e-8 and a step that small almost never carries a ReLU or a max across its kink. The
 * analytic gradients come from the fast float kernels. */

#define FD_EPS 1e-6
#define FD_TOL 1e-3 /* relative: float gradients against a double difference */

static double *to_double(const float *a, size_t n) {
    double *d = malloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) d[i] = a[i];
    return d;
}

/* out (B,Co,Ho,Wo) = conv(x, w) + b [ReLU], in double. */
static void conv_double(double *out, const ConvShape *s, const double *x, const double *w, const double *b, int relu) {
    int K = s->K;
    for (int n = 0; n < s->B; n++)
        for (int o = 0; o < s->Co; o++)
            for (int oh = 0; oh < s->Ho; oh++)
                for (int ow = 0; ow < s->Wo; ow++) {
                    double v = b[o];
                    for (int c = 0; c < s->Ci; c++)
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                int ih = oh * s->S - s->P + kh, iw = ow * s->S - s->P + kw;
                                if (ih >= 0 && ih < s->H && iw >= 0 && iw < s->W)
                                    v += w[((o * s->Ci + c) * K + kh) * K + kw] * x[((n * s->Ci + c) * s->H + ih) * s->W + iw];
                            }
                    out[((n * s->Co + o) * s->Ho + oh) * s->Wo + ow] = relu && v < 0 ? 0 : v;
                }
}

/* Central difference of loss along a random direction d of one group p, against <g, d>. */
static void fd_direction(const char *what, double *p, const float *g, size_t n, double (*loss)(void *), void *ctx) {
    double *save = malloc(sizeof(double) * n), *d = malloc(sizeof(double) * n), an = 0;
    for (size_t i = 0; i < n; i++) save[i] = p[i], d[i] = 2 * rng_uniform(&rng) - 1, an += (double)g[i] * d[i];
    for (size_t i = 0; i < n; i++) p[i] = save[i] + FD_EPS * d[i];
    double lp = loss(ctx);
    for (size_t i = 0; i < n; i++) p[i] = save[i] - FD_EPS * d[i];
    double lm = loss(ctx);
    memcpy(p, save, sizeof(double) * n);
    double fd = (lp - lm) / (2 * FD_EPS);
    CHECK(fabs(fd - an) <= FD_TOL * (fabs(an) + 1e-3), "%s: directional derivative %.8g, finite difference %.8g", what,
          an, fd);
    free(d), free(save);
}

/* Every element of p against its central difference; returns how many disagree. */
static int fd_elements(const char *what, double *p, const float *g, size_t n, double (*loss)(void *), void *ctx) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double keep = p[i];
        p[i] = keep + FD_EPS;
        double lp = loss(ctx);
        p[i] = keep - FD_EPS;
        double lm = loss(ctx);
        p[i] = keep;
        double fd = (lp - lm) / (2 * FD_EPS);
        if (fabs(fd - g[i]) > FD_TOL * (fabs(g[i]) + 1e-3)) {
            if (!bad) fprintf(stderr, "%s[%zu]: analytic %.8g, finite difference %.8g\n", what, i, g[i], fd);
            bad++;
        }
    }
    return bad;
}

/* L = sum(R * conv(x)), after the ReLU when relu is set */
typedef struct {
    const ConvShape *s;
    double *x, *w, *b, *out;
    const float *R;
    int relu;
} ConvFd;

static double conv_fd_loss(void *ctx) {
    ConvFd *c = ctx;
    conv_double(c->out, c->s, c->x, c->w, c->b, c->relu);
    double L = 0;
    for (size_t i = 0; i < out_len(c->s); i++) L += c->R[i] * c->out[i];
    return L;
}

static void test_conv_gradients(void) {
    /* per element on small shapes, along random directions on all */
    ConvShape shapes[] = {conv_shape(2, 2, 5, 6, 3, 3, 1, 1), conv_shape(2, 3, 9, 8, 4, 5, 2, 2),
                          conv_shape(3, 4, 12, 12, 6, 5, 1, 2), conv_shape(2, 2, 11, 10, 3, 7, 1, 6),
                          conv_shape(2, 3, 10, 9, 5, 4, 2, 0), conv_shape(5, 16, 14, 14, 32, 5, 1, 2)};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int relu = 0; relu <= 1; relu++) {
            const ConvShape *s = &shapes[si];
            size_t ni = in_len(s), no = out_len(s), nw = w_len(s);
            float *x = fill(ni, -1, 1), *w = fill(nw, -0.5f, 0.5f), *b = fill((size_t)s->Co, -0.2f, 0.2f);
            float *R = fill(no, -1, 1);
            float *out = kernels_alloc(no), *dw = kernels_alloc(nw), *db = kernels_alloc((size_t)s->Co);
            float *di = kernels_alloc(ni), *ws = kernels_alloc(conv2d_workspace(s));
            conv2d_forward(out, ws, x, w, b, s, relu);
            conv2d_backward(di, dw, db, ws, R, x, w, relu ? out : NULL, s);
            ConvFd c = {s, to_double(x, ni), to_double(w, nw), to_double(b, (size_t)s->Co), malloc(sizeof(double) * no),
                        R, relu};
            if (si <= 1) {
                int bad = fd_elements("weight", c.w, dw, nw, conv_fd_loss, &c) +
                          fd_elements("bias", c.b, db, (size_t)s->Co, conv_fd_loss, &c) +
                          fd_elements("input", c.x, di, ni, conv_fd_loss, &c);
                CHECK(bad == 0, "conv %zu relu%d: %d elements of w, b, x disagree with finite differences", si, relu, bad);
            }
            char what[96];
            snprintf(what, sizeof what, "conv %zu relu%d weight", si, relu);
            fd_direction(what, c.w, dw, nw, conv_fd_loss, &c);
            snprintf(what, sizeof what, "conv %zu relu%d bias", si, relu);
            fd_direction(what, c.b, db, (size_t)s->Co, conv_fd_loss, &c);
            snprintf(what, sizeof what, "conv %zu relu%d input", si, relu);
            fd_direction(what, c.x, di, ni, conv_fd_loss, &c);
            free(x), free(w), free(b), free(R), free(out), free(dw), free(db), free(di), free(ws);
            free(c.x), free(c.w), free(c.b), free(c.out);
        }
}

/* max-pool in double: out (n,H/2,W/2) */
static void pool_double(double *out, const double *x, int n, int H, int W) {
    for (int p = 0; p < n; p++)
        for (int y = 0; y < H / 2; y++)
            for (int z = 0; z < W / 2; z++) {
                const double *r = x + ((size_t)p * H + 2 * y) * W + 2 * z;
                double m = r[0];
                if (r[1] > m) m = r[1];
                if (r[W] > m) m = r[W];
                if (r[W + 1] > m) m = r[W + 1];
                out[((size_t)p * (H / 2) + y) * (W / 2) + z] = m;
            }
}

typedef struct {
    double *x, *out;
    const float *R;
    int n, H, W;
} PoolFd;

static double pool_fd_loss(void *ctx) {
    PoolFd *p = ctx;
    pool_double(p->out, p->x, p->n, p->H, p->W);
    double L = 0;
    for (size_t i = 0; i < (size_t)p->n * (p->H / 2) * (p->W / 2); i++) L += p->R[i] * p->out[i];
    return L;
}

static void test_pool_gradients(void) {
    int n = 3, H = 7, W = 6;
    size_t ni = (size_t)n * H * W, no = (size_t)n * (H / 2) * (W / 2);
    float *x = fill(ni, -1, 1), *R = fill(no, -1, 1), *out = kernels_alloc(no), *dx = kernels_alloc(ni);
    uint8_t *idx = malloc(no);
    maxpool2d_forward(out, idx, x, n, H, W);
    maxpool2d_backward(dx, R, idx, n, H, W);
    PoolFd p = {to_double(x, ni), malloc(sizeof(double) * no), R, n, H, W};
    CHECK(fd_elements("pool input", p.x, dx, ni, pool_fd_loss, &p) == 0, "pool: input gradient disagrees with finite differences");
    fd_direction("pool input", p.x, dx, ni, pool_fd_loss, &p);
    free(x), free(R), free(out), free(dx), free(idx), free(p.x), free(p.out);
}

/* conv(1->3, K3, P1) + ReLU -> pool -> flatten -> fc 5 -> softmax cross-entropy, B = 4 */
#define ST_B 4
#define ST_N 5

typedef struct {
    ConvShape s;
    double *x, *cw, *cb, *fw, *fb, *h, *p;
    const int *y;
} Stack;

static double stack_loss(void *ctx) {
    Stack *st = ctx;
    const ConvShape *s = &st->s;
    conv_double(st->h, s, st->x, st->cw, st->cb, 1);
    pool_double(st->p, st->h, s->B * s->Co, s->Ho, s->Wo);
    int D = s->Co * (s->Ho / 2) * (s->Wo / 2);
    double L = 0;
    for (int b = 0; b < s->B; b++) {
        double z[ST_N], mx = -INFINITY, sum = 0;
        for (int k = 0; k < ST_N; k++) {
            z[k] = st->fb[k];
            for (int i = 0; i < D; i++) z[k] += st->fw[k * D + i] * st->p[(size_t)b * D + i];
            if (z[k] > mx) mx = z[k];
        }
        for (int k = 0; k < ST_N; k++) sum += exp(z[k] - mx);
        L += mx + log(sum) - z[st->y[b]];
    }
    return L / s->B;
}

static void test_stack_gradients(void) {
    ConvShape s = conv_shape(ST_B, 1, 8, 9, 3, 3, 1, 1);
    int D = s.Co * (s.Ho / 2) * (s.Wo / 2), y[ST_B] = {0, 3, 4, 1};
    size_t ni = in_len(&s), nh = out_len(&s), np = (size_t)s.B * D, nw = w_len(&s), nf = (size_t)ST_N * D;
    float *x = fill(ni, 0, 1), *cw = fill(nw, -0.6f, 0.6f), *cb = fill((size_t)s.Co, -0.1f, 0.1f);
    float *fw = fill(nf, -0.3f, 0.3f), *fb = fill(ST_N, -0.1f, 0.1f);
    float *h = kernels_alloc(nh), *p = kernels_alloc(np), *logits = kernels_alloc((size_t)s.B * ST_N);
    float *probs = kernels_alloc((size_t)s.B * ST_N), *ws = kernels_alloc(conv2d_workspace(&s));
    uint8_t *idx = malloc(np);
    /* the forward and backward a trainer will run */
    conv2d_forward(h, ws, x, cw, cb, &s, 1);
    maxpool2d_forward(p, idx, h, s.B * s.Co, s.Ho, s.Wo);
    linear_forward(logits, p, fw, fb, ST_N, s.B, D, ST_N);
    softmax_xent_forward(probs, logits, y, s.B, ST_N);
    float *dl = kernels_alloc((size_t)s.B * ST_N), *dp = kernels_alloc(np), *dh = kernels_alloc(nh);
    float *dfw = kernels_alloc(nf), *dfb = kernels_alloc(ST_N), *dcw = kernels_alloc(nw);
    float *dcb = kernels_alloc((size_t)s.Co), *dx = kernels_alloc(ni);
    softmax_xent_backward(dl, probs, y, s.B, ST_N);
    linear_backward(dp, dfw, dfb, dl, p, fw, ST_N, s.B, D, ST_N);
    maxpool2d_backward(dh, dp, idx, s.B * s.Co, s.Ho, s.Wo);
    conv2d_backward(dx, dcw, dcb, ws, dh, x, cw, h, &s);
    Stack st = {s, to_double(x, ni), to_double(cw, nw), to_double(cb, (size_t)s.Co), to_double(fw, nf),
                to_double(fb, ST_N), malloc(sizeof(double) * nh), malloc(sizeof(double) * np), y};
    fd_direction("stack fc weight", st.fw, dfw, nf, stack_loss, &st);
    fd_direction("stack fc bias", st.fb, dfb, ST_N, stack_loss, &st);
    fd_direction("stack conv weight", st.cw, dcw, nw, stack_loss, &st);
    fd_direction("stack conv bias", st.cb, dcb, (size_t)s.Co, stack_loss, &st);
    fd_direction("stack input", st.x, dx, ni, stack_loss, &st);
    int bad = fd_elements("stack conv weight", st.cw, dcw, nw, stack_loss, &st) +
              fd_elements("stack conv bias", st.cb, dcb, (size_t)s.Co, stack_loss, &st) +
              fd_elements("stack input", st.x, dx, ni, stack_loss, &st);
    CHECK(bad == 0, "stack: %d elements disagree with finite differences", bad);
    free(x), free(cw), free(cb), free(fw), free(fb), free(h), free(p), free(logits), free(probs), free(ws), free(idx);
    free(dl), free(dp), free(dh), free(dfw), free(dfb), free(dcw), free(dcb), free(dx);
    free(st.x), free(st.cw), free(st.cb), free(st.fw), free(st.fb), free(st.h), free(st.p);
}

int main(void) {
    rng_seed(&rng, 20261201);
    test_against_reference();
    test_threads();
    test_pool();
    test_pool_fusion();
    test_conv_gradients();
    test_pool_gradients();
    test_stack_gradients();
    return check_summary("conv");
}

/* testmap.c - the Map tab's data, made by the worker beside each test view: the first
 * TESTVIEW_MAP_POINTS test images' features (what the last linear layer reads) mapped to 2-D by
 * PCA (embed.h), aligned with the previous map. No threads, no UI. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ood_net.h"
#include "snapshot.h"

/* A deep copy of src into dst (dst's old buffers freed). Returns 0 or -1 (dst unchanged). */
static int embed_copy(Embed *dst, const Embed *src) {
    size_t d = (size_t)src->d;
    double *mean = malloc(sizeof(double) * d), *axis = malloc(sizeof(double) * 2 * d);
    if (!mean || !axis) {
        free(mean), free(axis);
        return -1;
    }
    memcpy(mean, src->mean, sizeof(double) * d);
    memcpy(axis, src->axis, sizeof(double) * 2 * d);
    embed_free(dst);
    *dst = *src;
    dst->mean = mean, dst->axis = axis;
    return 0;
}

/* Wider features are first projected to TESTVIEW_MAP_WIDE dimensions by a fixed random Gaussian
 * matrix (the same for every refit: distances are kept up to a small distortion), so a stack whose
 * last fc reads a whole feature map (1,568 values for conv8k5-relu-pool-fc10) costs a PCA of 256
 * dimensions, not of 1,568. */
#define TESTVIEW_MAP_WIDE 256

/* r (P, d): entries N(0, 1/P) from a fixed seed. */
static void random_projection(float *r, int P, int d) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < (size_t)P * d; i += 2) {
        double u[2];
        for (int k = 0; k < 2; k++) {
            s += 0x9E3779B97F4A7C15ull;
            uint64_t z = s;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            u[k] = ((double)(z >> 11) + 0.5) / 9007199254740992.0;
        }
        double rad = sqrt(-2 * log(u[0])) / sqrt((double)P), th = 6.283185307179586 * u[1];
        r[i] = (float)(rad * cos(th));
        if (i + 1 < (size_t)P * d) r[i + 1] = (float)(rad * sin(th));
    }
}

/* e's map of the projected features fp = r x, as a map of x itself: the axes r^T a, the mean of x. */
static int embed_unproject(Embed *out, const Embed *e, const float *r, const float *feat, int n, int d) {
    double *mean = calloc((size_t)d, sizeof(double)), *axis = calloc(2 * (size_t)d, sizeof(double));
    if (!mean || !axis) {
        free(mean), free(axis);
        return -1;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mean[j] += feat[(size_t)i * d + j];
    for (int j = 0; j < d; j++) mean[j] /= n;
    for (int c = 0; c < 2; c++)
        for (int p = 0; p < e->d; p++) {
            double a = e->axis[(size_t)c * e->d + p];
            for (int j = 0; j < d; j++) axis[(size_t)c * d + j] += a * r[(size_t)p * d + j];
        }
    *out = *e;
    out->d = d, out->mean = mean, out->axis = axis;
    return 0;
}

/* The summed variance of the n rows of f (n, d). */
static double total_var_of(const float *f, int n, int d) {
    double total = 0;
    for (int j = 0; j < d; j++) {
        double m = 0, q = 0;
        for (int i = 0; i < n; i++) m += f[(size_t)i * d + j];
        m /= n;
        for (int i = 0; i < n; i++) q += (f[(size_t)i * d + j] - m) * (f[(size_t)i * d + j] - m);
        total += q / (n - 1);
    }
    return total;
}

int testview_map(TestView *v, const Net *net, const Dataset *test, Embed *prev) {
    int n = test->n < TESTVIEW_MAP_POINTS ? test->n : TESTVIEW_MAP_POINTS, K = net_outputs(net), d = ood_net_dim(net);
    int logits = d == 0, B = net_eval_batch(net) < 250 ? net_eval_batch(net) : 250;
    if (logits) d = K;
    if (n < 3) return -1;
    char err[ERR_LEN];
    NetWork wk = {0};
    float *feat = xmalloc_array((size_t)n, sizeof(float) * (size_t)d), *z = xmalloc_array((size_t)B, sizeof(float) * (size_t)K);
    float *x = xmalloc_array((size_t)B, sizeof(float) * (size_t)test->d), *xy = xmalloc_array((size_t)n, 2 * sizeof(float));
    int *y = xmalloc_array((size_t)B, sizeof(int)), ok = feat && z && x && xy && y && netwk_create_forward(&wk, net, B, err) == 0;
    for (int i = 0; ok && i < n; i += B) {
        int b = n - i < B ? n - i : B;
        dataset_slice(test, i, b, x, y);
        if (logits) {
            net_forward(net, &wk, x, NULL, b);
            memcpy(feat + (size_t)i * d, net_scores(net, &wk), sizeof(float) * (size_t)b * K);
        } else {
            ok = ood_net_features(net, &wk, x, b, z, feat + (size_t)i * d, err) == 0;
        }
    }
    /* the features the PCA sees: as they are, or projected when wide */
    int P = d > TESTVIEW_MAP_WIDE ? TESTVIEW_MAP_WIDE : d;
    float *r = NULL, *fp = feat;
    if (ok && P < d) {
        r = xmalloc_array((size_t)P * d, sizeof(float));
        fp = xmalloc_array((size_t)n * P, sizeof(float));
        ok = r && fp;
        if (ok) {
            random_projection(r, P, d);
            for (int i = 0; i < n; i++)
                for (int p = 0; p < P; p++) {
                    const float *a = feat + (size_t)i * d, *b = r + (size_t)p * d;
                    float acc = 0;
                    for (int j = 0; j < d; j++) acc += a[j] * b[j];
                    fp[(size_t)i * P + p] = acc;
                }
        }
    }
    Embed e = {0}, eo = {0};
    ok = ok && embed_fit(&e, fp, n, P, prev->d == P ? prev : NULL, err) == 0;
    if (ok) {
        for (int i = 0; i < n; i++) embed_project(&e, fp + (size_t)i * P, xy + 2 * (size_t)i);
        embed_copy(prev, &e); /* best effort: a failed copy only costs the next map its alignment */
        if (P < d) { /* the published map takes the features as the drawing gives them */
            ok = embed_unproject(&eo, &e, r, feat, n, d) == 0;
            embed_free(&e);
            e = eo;
        }
    }
    if (ok) {
        v->emb = e, v->emb_xy = xy, v->nemb = n, v->emb_logits = logits, v->emb_total_var = total_var_of(fp, n, P);
        xy = NULL;
    }
    netwk_free(&wk);
    if (fp != feat) free(fp);
    free(r), free(feat), free(z), free(x), free(xy), free(y);
    return ok ? 0 : -1;
}

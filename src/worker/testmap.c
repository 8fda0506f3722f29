/* testmap.c - the Map tab's data, made by the worker beside each test view: the first
 * TESTVIEW_MAP_POINTS test images' features (what the last linear layer reads) mapped to 2-D by
 * PCA (embed.h), aligned with the previous map. No threads, no UI. */
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
    Embed e = {0};
    ok = ok && embed_fit(&e, feat, n, d, prev->d == d ? prev : NULL, err) == 0;
    if (ok) {
        double total = 0;
        for (int j = 0; j < d; j++) {
            double m = 0, q = 0;
            for (int i = 0; i < n; i++) m += feat[(size_t)i * d + j];
            m /= n;
            for (int i = 0; i < n; i++) q += (feat[(size_t)i * d + j] - m) * (feat[(size_t)i * d + j] - m);
            total += q / (n - 1);
        }
        for (int i = 0; i < n; i++) embed_project(&e, feat + (size_t)i * d, xy + 2 * (size_t)i);
        embed_copy(prev, &e); /* best effort: a failed copy only costs the next map its alignment */
        v->emb = e, v->emb_xy = xy, v->nemb = n, v->emb_logits = logits, v->emb_total_var = total;
        xy = NULL;
    }
    netwk_free(&wk);
    free(feat), free(z), free(x), free(xy), free(y);
    return ok ? 0 : -1;
}

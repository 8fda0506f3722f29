/* ood_net.c - logits and last-hidden-layer features of a network for the detector (ood.h), by
 * its forward pass. A dense net's features are act[L-1]; a layer stack's the output of the layer
 * before its last fc (net_layer_output). Nothing else about the network is used. */
#include "ood_net.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

int ood_net_dim(const Net *net) {
    if (net->stack) {
        const Arch *a = &net->arch;
        if (a->n < 2) return 0;
        const LayerSpec *last = &a->layer[a->n - 1];
        return last->in_c * last->in_h * last->in_w;
    }
    return net->nlayers >= 2 ? net->sizes[net->nlayers - 1] : 0;
}

int ood_net_features(const Net *net, NetWork *wk, const float *x, int B, float *logits, float *feat, char *err) {
    int L = net->nlayers, K = net->sizes[L], d = ood_net_dim(net);
    if (!d) return err_set(err, "ood: the network has no hidden layer to take features from");
    if (B < 1 || B > wk->cap) return err_set(err, "ood: batch of %d for buffers of %d", B, wk->cap);
    net_forward(net, wk, x, NULL, B);
    memcpy(logits, net_scores(net, wk), sizeof(float) * (size_t)B * K);
    const float *h = net->stack ? net_layer_output(net, wk, net->arch.n - 2, x) : wk->act[L - 1];
    if (!h) return err_set(err, "ood: the network gives no features");
    memcpy(feat, h, sizeof(float) * (size_t)B * d);
    return 0;
}

int ood_net_dataset(const Net *net, const Dataset *ds, int start, int n, float **logits, float **feat, int **labels,
                    char *err) {
    int K = net->sizes[net->nlayers], D = net->sizes[0], d = ood_net_dim(net);
    if (!d) return err_set(err, "ood: the network has no hidden layer to take features from");
    if (D != ds->d) return err_set(err, "ood: the model takes %d inputs but the images have %d pixels", D, ds->d);
    if (start < 0 || n < 1 || start > ds->n - n)
        return err_set(err, "ood: examples %d..%d are not in the set of %d", start, start + n, ds->n);
    const int B = net_eval_batch(net);
    NetWork wk = {0};
    float *z = xmalloc_array((size_t)n, sizeof(float) * (size_t)K), *f = xmalloc_array((size_t)n, sizeof(float) * (size_t)d);
    float *x = xmalloc_array((size_t)B, sizeof(float) * (size_t)D);
    int *y = xmalloc_array((size_t)n, sizeof(int));
    int rc = 0;
    if (!z || !f || !x || !y) rc = err_set(err, "ood: out of memory for %d examples' features", n);
    if (rc == 0 && netwk_create_forward(&wk, net, B, err) != 0) rc = -1;
    for (int i = 0; i < n && rc == 0; i += B) {
        int b = n - i < B ? n - i : B;
        dataset_slice(ds, start + i, b, x, y + i);
        rc = ood_net_features(net, &wk, x, b, z + (size_t)i * K, f + (size_t)i * d, err);
    }
    netwk_free(&wk);
    free(x);
    if (rc != 0) {
        free(z), free(f), free(y);
        return -1;
    }
    *logits = z, *feat = f, *labels = y;
    return 0;
}

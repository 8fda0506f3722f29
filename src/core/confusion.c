/* confusion.c - per-example predictions, the confusion matrix and its cells. The forward pass
 * is net_forward's; this file only counts, ranks and copies. */
#include "confusion.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

int confusion_predict(const Net *net, NetWork *wk, const Dataset *ds, int n, uint8_t *pred, float *prob,
                      long confusion[CONF_K][CONF_K], char *err) {
    memset(confusion, 0, sizeof(long) * CONF_K * CONF_K);
    if (n <= 0 || n > ds->n) n = ds->n;
    if (ds->d != net->sizes[0])
        return err_set(err, "images have %d pixels but the network takes %d inputs", ds->d, net->sizes[0]);
    int K = net->sizes[net->nlayers], chunk = wk->cap;
    if (chunk < 1) return err_set(err, "no workspace for the forward pass");
    float *x = xmalloc_array((size_t)chunk * (size_t)ds->d, sizeof(float));
    if (!x) return err_set(err, "out of memory for %d test images", chunk);
    for (int start = 0; start < n; start += chunk) {
        int b = n - start < chunk ? n - start : chunk;
        dataset_slice(ds, start, b, x, NULL);
        net_forward(net, wk, x, NULL, b);
        const float *p = net_probs(net, wk); /* (b, K) */
        for (int i = 0; i < b; i++) {
            const float *pi = p + (size_t)i * K;
            int best = 0;
            for (int c = 1; c < K; c++)
                if (pi[c] > pi[best]) best = c;
            int e = start + i, t = ds->y[e];
            pred[e] = (uint8_t)(best < 255 ? best : 255);
            if (prob) memcpy(prob + (size_t)e * K, pi, sizeof(float) * (size_t)K);
            if (t < CONF_K && best < CONF_K) confusion[t][best]++;
        }
    }
    free(x);
    return n;
}

double confusion_class_acc(const long confusion[CONF_K][CONF_K], int t) {
    long tot = 0;
    for (int p = 0; p < CONF_K; p++) tot += confusion[t][p];
    return tot ? (double)confusion[t][t] / (double)tot : -1.0;
}

double confusion_acc(const long confusion[CONF_K][CONF_K]) {
    long tot = 0, hit = 0;
    for (int t = 0; t < CONF_K; t++)
        for (int p = 0; p < CONF_K; p++) tot += confusion[t][p], hit += t == p ? confusion[t][p] : 0;
    return tot ? (double)hit / (double)tot : 0.0;
}

typedef struct {
    float key;
    int idx;
} Ranked;

static int cmp_ranked(const void *x, const void *y) {
    const Ranked *a = x, *b = y;
    if (a->key != b->key) return a->key > b->key ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

int confusion_cell(const uint8_t *labels, const uint8_t *pred, const float *prob, int K, int n, int t, int p,
                   int *idx, int max) {
    int count = 0;
    for (int i = 0; i < n; i++) count += labels[i] == t && pred[i] == p;
    if (count == 0 || max <= 0) return count;
    Ranked *r = prob ? malloc(sizeof(Ranked) * (size_t)count) : NULL;
    if (!r) { /* no ranking (or no memory for it): index order */
        int m = 0;
        for (int i = 0; i < n && m < max; i++)
            if (labels[i] == t && pred[i] == p) idx[m++] = i;
        return count;
    }
    int m = 0;
    for (int i = 0; i < n; i++)
        if (labels[i] == t && pred[i] == p) r[m++] = (Ranked){prob[(size_t)i * K + p], i};
    qsort(r, (size_t)m, sizeof *r, cmp_ranked);
    for (int i = 0; i < m && i < max; i++) idx[i] = r[i].idx;
    free(r);
    return count;
}

/* test_confusion.c - per-example predictions and the confusion matrix: a network whose reading
 * is known in advance gives exactly the expected matrix, predictions and probabilities; the
 * matrix agrees with evaluate() on a random MLP whatever the chunk size; cells list their
 * examples most confident first and report their full size; per-class accuracy and errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "confusion.h"
#include "dataset.h"
#include "net.h"
#include "train.h"

/* n examples of 784 pixels; example i has label lab[i] and one lit pixel at position read[i]. */
static void make_set(Dataset *ds, int n, const int *lab, const int *read) {
    memset(ds, 0, sizeof *ds);
    ds->n = n, ds->rows = ds->cols = 28, ds->d = 784, ds->nclass = 10;
    ds->x = calloc((size_t)n * 784, 1);
    ds->y = calloc((size_t)n, 1);
    for (int i = 0; i < n; i++) {
        ds->y[i] = (uint8_t)lab[i];
        ds->x[(size_t)i * 784 + read[i]] = 255;
    }
}

int main(void) {
    char err[ERR_LEN];
    /* softmax net: logit k = 8 * x[k], so an image with pixel q lit is read as q */
    int sizes[] = {784, 10};
    Net net;
    CHECK(net_create(&net, sizes, 1, BIAS_NEURON, 0, err) == 0, "%s", err);
    for (int k = 0; k < 10; k++) net.w[0][(size_t)k * 784 + k] = 8.0f;
    enum { N = 53 };
    int lab[N], read[N];
    long want[CONF_K][CONF_K] = {{0}};
    Rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < N; i++) {
        lab[i] = (int)rng_below(&r, 10);
        read[i] = rng_below(&r, 4) == 0 ? (int)rng_below(&r, 10) : lab[i]; /* about 1 in 4 misread */
        want[lab[i]][read[i]]++;
    }
    Dataset ds;
    make_set(&ds, N, lab, read);
    NetWork wk;
    CHECK(netwk_create(&wk, &net, 7, err) == 0, "%s", err); /* 7 does not divide 53: a partial last chunk */
    uint8_t pred[N];
    float prob[N * 10];
    long conf[CONF_K][CONF_K];
    CHECK(confusion_predict(&net, &wk, &ds, 0, pred, prob, conf, err) == N, "all %d examples", N);
    CHECK(memcmp(conf, want, sizeof conf) == 0, "the matrix is the expected one");
    int ok = 1;
    for (int i = 0; i < N; i++) {
        ok &= pred[i] == read[i];
        double s = 0;
        for (int k = 0; k < 10; k++) s += prob[i * 10 + k];
        ok &= fabs(s - 1) < 1e-5;
        /* p(read) = e^8 / (e^8 + 9) */
        ok &= fabsf(prob[i * 10 + read[i]] - (float)(exp(8.0) / (exp(8.0) + 9))) < 1e-5f;
    }
    CHECK(ok, "predictions and probabilities per example");
    long hit = 0;
    for (int k = 0; k < 10; k++) hit += want[k][k];
    CHECK(fabs(confusion_acc((const long(*)[CONF_K])conf) - (double)hit / N) < 1e-12, "overall accuracy");
    for (int t = 0; t < 10; t++) {
        long row = 0;
        for (int p = 0; p < 10; p++) row += want[t][p];
        double acc = confusion_class_acc((const long(*)[CONF_K])conf, t);
        CHECK(row ? fabs(acc - (double)want[t][t] / row) < 1e-12 : acc == -1, "class %d accuracy %g", t, acc);
    }
    /* n limits the examples; prob may be NULL */
    CHECK(confusion_predict(&net, &wk, &ds, 10, pred, NULL, conf, err) == 10, "first 10");
    long tot = 0;
    for (int t = 0; t < 10; t++)
        for (int p = 0; p < 10; p++) tot += conf[t][p];
    CHECK(tot == 10, "10 counted, got %ld", tot);

    /* cells: the examples of (t, p), most confident first, the total even past max */
    confusion_predict(&net, &wk, &ds, 0, pred, prob, conf, err);
    /* give every example a distinct confidence in its reading */
    for (int i = 0; i < N; i++) prob[i * 10 + pred[i]] = 0.5f + 0.4f * (float)((i * 37) % N) / N;
    int t0 = lab[0], p0 = read[0];
    int idx[N];
    int cnt = confusion_cell(ds.y, pred, prob, 10, N, t0, p0, idx, N);
    CHECK(cnt == want[t0][p0], "cell (%d,%d) holds %ld, got %d", t0, p0, want[t0][p0], cnt);
    int sorted = 1, members = 1;
    for (int j = 0; j < cnt; j++) {
        members &= ds.y[idx[j]] == t0 && pred[idx[j]] == p0;
        if (j) sorted &= prob[idx[j - 1] * 10 + p0] >= prob[idx[j] * 10 + p0];
    }
    CHECK(members && sorted, "members of the cell, most confident first");
    int two[2];
    CHECK(confusion_cell(ds.y, pred, prob, 10, N, t0, p0, two, 1) == cnt && two[0] == idx[0], "max 1: the total, the top one");
    CHECK(confusion_cell(ds.y, pred, NULL, 10, N, t0, p0, idx, N) == cnt, "unranked count");
    int inorder = 1;
    for (int j = 1; j < cnt; j++) inorder &= idx[j] > idx[j - 1];
    CHECK(inorder, "without probabilities: index order");
    int empty_t = -1;
    for (int t = 0; t < 10 && empty_t < 0; t++)
        if (want[t][(t + 5) % 10] == 0) empty_t = t;
    if (empty_t >= 0) CHECK(confusion_cell(ds.y, pred, prob, 10, N, empty_t, (empty_t + 5) % 10, idx, N) == 0, "empty cell");

    /* a random MLP on random images: the same matrix as evaluate(), for any chunk size */
    int ms[] = {784, 24, 12, 10};
    Net mlp;
    net_create(&mlp, ms, 3, BIAS_NEURON, 0, err);
    net_init_he(&mlp, 3);
    Dataset rnd = {0};
    rnd.n = 301, rnd.rows = rnd.cols = 28, rnd.d = 784, rnd.nclass = 10;
    rnd.x = malloc((size_t)rnd.n * 784);
    rnd.y = malloc((size_t)rnd.n);
    for (size_t i = 0; i < (size_t)rnd.n * 784; i++) rnd.x[i] = (uint8_t)rng_below(&r, 256);
    for (int i = 0; i < rnd.n; i++) rnd.y[i] = (uint8_t)rng_below(&r, 10);
    uint8_t *pr = malloc((size_t)rnd.n);
    int caps[] = {1, 64, 1000};
    for (int c = 0; c < 3; c++) {
        NetWork w2;
        netwk_create(&w2, &mlp, caps[c], err);
        EvalResult ev;
        CHECK(evaluate(&mlp, &w2, &rnd, 0, &ev, err) == 0, "%s", err);
        CHECK(confusion_predict(&mlp, &w2, &rnd, 0, pr, NULL, conf, err) == rnd.n, "%s", err);
        CHECK(memcmp(conf, ev.confusion, sizeof conf) == 0, "chunk %d: the matrix of evaluate()", caps[c]);
        netwk_free(&w2);
    }

    /* images that do not fit the network: an error, not a crash */
    Dataset small = rnd;
    small.d = 100;
    NetWork w3;
    netwk_create(&w3, &mlp, 16, err);
    CHECK(confusion_predict(&mlp, &w3, &small, 0, pr, NULL, conf, err) == -1 && strstr(err, "784"), "shape error: %s", err);
    netwk_free(&w3);

    free(pr);
    dataset_free(&rnd);
    dataset_free(&ds);
    netwk_free(&wk);
    net_free(&net);
    net_free(&mlp);
    return check_summary("test_confusion");
}

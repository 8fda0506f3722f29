/* measure.c - how well each "not a digit" score (ood.h) tells the non-digit set (make_ood.py) from
 * real digits: AUROC against MNIST's test set and against the reading sets' digits
 * (reading_inputs.py), and the share of each kind of non-digit rejected at the threshold that
 * rejects 5% of the held-out digits. Fits its own detector; reads files, writes nothing.
 *   measure MODEL [--mnist DIR] [--ood DIR] [--fit N]
 * The Gaussian is fitted on the first N training images (default: all before the held-out ones,
 * as calibrate does), the thresholds on the model's held-out images (the last "holdout" of the
 * training set). A model that records no held-out images saw every training image: then the
 * thresholds come from the even-numbered test images and "MNIST test" means the odd-numbered. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "common.h"
#include "dataset.h"
#include "idx.h"
#include "kernels.h"
#include "model_io.h"
#include "net.h"
#include "ood.h"
#include "ood_net.h"

typedef struct {
    const char *name;
    int n;
    float *z, *f;
    int *y;
} Set;

/* An IDX pair as a Dataset (borrowing nothing: the bytes are moved in). */
static int load_pair(const char *dir, const char *stem, Dataset *ds, char *err) {
    char pi[4200], pl[4200];
    snprintf(pi, sizeof pi, "%s/%s-images-idx3-ubyte", dir, stem);
    snprintf(pl, sizeof pl, "%s/%s-labels-idx1-ubyte", dir, stem);
    IdxImages im = {0};
    IdxLabels lb = {0};
    if (idx_load_images(pi, &im, err) != 0) return -1;
    if (idx_load_labels(pl, 10, &lb, err) != 0 || lb.n != im.n) {
        idx_images_free(&im);
        if (lb.n != im.n) err_set(err, "%s: %d labels for %d images", pl, lb.n, im.n);
        idx_labels_free(&lb);
        return -1;
    }
    memset(ds, 0, sizeof *ds);
    ds->n = im.n, ds->rows = im.rows, ds->cols = im.cols, ds->d = im.rows * im.cols;
    ds->x = im.pixels, ds->y = lb.labels, ds->nclass = 10;
    snprintf(ds->name, sizeof ds->name, "%s", stem);
    return 0;
}

/* Every other example of ds from first (0 or 1) into a new dataset (caller frees). */
static int every_other(const Dataset *ds, int first, Dataset *out, char *err) {
    *out = *ds;
    out->n = (ds->n - first + 1) / 2;
    out->x = malloc((size_t)out->n * ds->d);
    out->y = malloc((size_t)out->n);
    if (!out->x || !out->y) return err_set(err, "out of memory");
    for (int i = 0; i < out->n; i++) {
        memcpy(out->x + (size_t)i * ds->d, ds->x + (size_t)(2 * i + first) * ds->d, (size_t)ds->d);
        out->y[i] = ds->y[2 * i + first];
    }
    return 0;
}

static int set_from(const Net *net, const Dataset *ds, int start, int n, const char *name, Set *s, char *err) {
    s->name = name;
    s->n = n;
    return ood_net_dataset(net, ds, start, n, &s->z, &s->f, &s->y, err);
}

static float *scores_of(const OodModel *m, OodKind k, const Set *s, int K, int d) {
    float *out = malloc(sizeof(float) * (size_t)s->n);
    for (int i = 0; out && i < s->n; i++) out[i] = ood_score_kind(m, k, s->z + (size_t)i * K, s->f + (size_t)i * d);
    return out;
}

typedef struct {
    float v;
    int pos;
} Item;

static int cmp_item(const void *a, const void *b) {
    float x = ((const Item *)a)->v, y = ((const Item *)b)->v;
    return (x > y) - (x < y);
}

/* P(score of a positive > score of a negative), ties counted half: the Mann-Whitney statistic. */
static double auroc(const float *pos, int np, const float *neg, int nn) {
    Item *it = malloc(sizeof(Item) * (size_t)(np + nn));
    if (!it) return NAN;
    for (int i = 0; i < np; i++) it[i] = (Item){pos[i], 1};
    for (int i = 0; i < nn; i++) it[np + i] = (Item){neg[i], 0};
    qsort(it, (size_t)(np + nn), sizeof(Item), cmp_item);
    double rank_sum = 0;
    for (int i = 0; i < np + nn;) {
        int j = i;
        while (j < np + nn && it[j].v == it[i].v) j++;
        double r = 0.5 * (i + 1 + j); /* mean rank of the tie group, 1-based */
        for (int k = i; k < j; k++)
            if (it[k].pos) rank_sum += r;
        i = j;
    }
    free(it);
    return (rank_sum - (double)np * (np + 1) / 2) / ((double)np * nn);
}

static double share_above(const float *s, int n, float t) {
    long c = 0;
    for (int i = 0; i < n; i++) c += !(s[i] <= t);
    return n ? (double)c / n : 0;
}

int main(int argc, char **argv) {
    const char *model = NULL, *mnist = "data/mnist", *ood_dir = "data/ood";
    int nfit = 1 << 30; /* all the training images before the held-out ones, as calibrate */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mnist") && i + 1 < argc) mnist = argv[++i];
        else if (!strcmp(argv[i], "--ood") && i + 1 < argc) ood_dir = argv[++i];
        else if (!strcmp(argv[i], "--fit") && i + 1 < argc) nfit = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !model) model = argv[i];
        else {
            fprintf(stderr, "usage: measure MODEL [--mnist DIR] [--ood DIR] [--fit N]\n");
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "usage: measure MODEL [--mnist DIR] [--ood DIR] [--fit N]\n");
        return 2;
    }
    char err[ERR_LEN];
    Net net = {0};
    ModelMeta meta = {0};
    Dataset train = {0}, test = {0}, fonts = {0}, photos = {0}, ood = {0};
    kernels_set_threads(1);
    if (model_load(model, &net, &meta, err) != 0 || dataset_load_dir(mnist, &train, &test, err) != 0 ||
        load_pair(ood_dir, "ood", &ood, err) != 0 || load_pair(ood_dir, "reading-fonts", &fonts, err) != 0 ||
        load_pair(ood_dir, "reading-photos", &photos, err) != 0) {
        fprintf(stderr, "measure: %s\n", err);
        return 1;
    }
    int holdout = calib_model_holdout(&meta), split = 0;
    if (!holdout) split = test.n / 2;
    double T = calib_model_temperature(&meta);
    int K = net.sizes[net.nlayers], d = ood_net_dim(&net);
    if (nfit > train.n - holdout) nfit = train.n - holdout;
    Set fit, held, te, fo, ph, oo;
    Dataset even = {0}, odd = {0};
    if (split && (every_other(&test, 0, &even, err) || every_other(&test, 1, &odd, err))) {
        fprintf(stderr, "measure: %s\n", err);
        return 1;
    }
    if (set_from(&net, &train, 0, nfit, "fit", &fit, err) ||
        (split ? set_from(&net, &even, 0, even.n, "held", &held, err)
               : set_from(&net, &train, train.n - holdout, holdout, "held", &held, err)) ||
        (split ? set_from(&net, &odd, 0, odd.n, "MNIST test", &te, err) : set_from(&net, &test, 0, test.n, "MNIST test", &te, err)) || set_from(&net, &fonts, 0, fonts.n, "fonts", &fo, err) ||
        set_from(&net, &photos, 0, photos.n, "photos", &ph, err) || set_from(&net, &ood, 0, ood.n, "non-digits", &oo, err)) {
        fprintf(stderr, "measure: %s\n", err);
        return 1;
    }
    OodModel base[2] = {{0}, {0}}; /* Gaussian of the hidden features, of the logits */
    if (ood_fit(&base[0], fit.f, fit.y, fit.n, d, K, err) != 0 || ood_fit(&base[1], fit.z, fit.y, fit.n, K, K, err) != 0) {
        fprintf(stderr, "measure: %s\n", err);
        return 1;
    }
    base[1].on_logits = 1;
    /* the reading digits together, fonts then photos */
    Set rd = {"reading", fo.n + ph.n, malloc(sizeof(float) * (size_t)(fo.n + ph.n) * K),
              malloc(sizeof(float) * (size_t)(fo.n + ph.n) * d), NULL};
    memcpy(rd.z, fo.z, sizeof(float) * (size_t)fo.n * K);
    memcpy(rd.z + (size_t)fo.n * K, ph.z, sizeof(float) * (size_t)ph.n * K);
    memcpy(rd.f, fo.f, sizeof(float) * (size_t)fo.n * d);
    memcpy(rd.f + (size_t)fo.n * d, ph.f, sizeof(float) * (size_t)ph.n * d);

    static const char *kinds[5] = {"letters", "scribbles", "shapes", "multi", "noise"};
    if (split)
        printf("model %s (T %.4f, %d features; Gaussian on training images 0..%d; no held-out training images,\n"
               "so thresholds on the %d even-numbered test images and 'MNIST test' = the %d odd-numbered)\n",
               model, T, d, nfit - 1, even.n, odd.n);
    else
        printf("model %s (T %.4f, %d features; Gaussian on training images 0..%d, thresholds on the last %d)\n", model, T,
               d, nfit - 1, holdout);
    printf("non-digits %d, MNIST test %d, reading fonts %d + photos %d\n\n", oo.n, te.n, fo.n, ph.n);
    printf("| score | AUROC vs MNIST test | AUROC vs reading digits | non-digits rejected | letters | scribbles | shapes | "
           "multi | noise | MNIST test rejected | fonts rejected | photos rejected | non-digits rejected at 5.0%% of MNIST test |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int row = 0; row < OOD_NKINDS + 2; row++) {
        int k = row < OOD_NKINDS ? row : row - 2, space = row >= OOD_NKINDS;
        if (space && k < OOD_MAHA) continue;
        OodModel m = base[space];
        if (ood_calibrate(&m, (OodKind)k, T, held.z, held.f, held.n, OOD_KEEP, err) != 0) {
            fprintf(stderr, "measure: %s\n", err);
            return 1;
        }
        float *so = scores_of(&m, k, &oo, K, d), *st = scores_of(&m, k, &te, K, d), *sr = scores_of(&m, k, &rd, K, d);
        printf("| %s%s | %.4f | %.4f | %.1f%% |", ood_kind_name(k), k >= OOD_MAHA ? (space ? " (logits)" : " (hidden)") : "", auroc(so, oo.n, st, te.n), auroc(so, oo.n, sr, rd.n),
               100 * share_above(so, oo.n, m.threshold));
        for (int c = 0; c < 5; c++) {
            long n = 0, r = 0;
            for (int i = 0; i < oo.n; i++)
                if (oo.y[i] == c) n++, r += !(so[i] <= m.threshold);
            printf(" %.1f%% |", n ? 100.0 * r / n : 0);
        }
        /* the ROC point the issue names: the threshold that rejects exactly 5% of MNIST's test digits
           (a measurement on the test set, not the shipped threshold) */
        float t5;
        if (ood_quantile(st, te.n, OOD_KEEP, &t5, err) != 0) {
            fprintf(stderr, "measure: %s\n", err);
            return 1;
        }
        printf(" %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n", 100 * share_above(st, te.n, m.threshold),
               100 * share_above(sr, fo.n, m.threshold), 100 * share_above(sr + fo.n, ph.n, m.threshold),
               100 * share_above(so, oo.n, t5));
        free(so), free(st), free(sr);
    }
    (void)kinds;
    return 0;
}

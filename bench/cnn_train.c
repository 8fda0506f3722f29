/* cnn_train.c - a stand-alone trainer for a layer stack of the architecture grammar, built only
 * from digitrec's core kernels (conv.c, kernels.c, augment.c, arch.c, dataset.c): momentum SGD,
 * cosine learning rate, He-normal init, batch 64 by default. It exists to measure what the
 * kernels give before they are wired into Net and the trainer: test accuracy against wall time,
 * samples/s, peak RSS. It saves nothing. Built and run by bench/cnn_train.sh.
 *
 * usage: cnn_train [--arch S] [--epochs N] [--lr X] [--batch B] [--threads T] [--augment]
 *                  [--seed S] [--data DIR] [--evals K]
 * --evals K evaluates the full test set K times per epoch (its time counts in the wall clock).
 * Prints 'eval:' lines (epoch, seconds, test accuracy) and a closing 'stats:' line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "arch.h"
#include "augment.h"
#include "common.h"
#include "conv.h"
#include "dataset.h"
#include "kernels.h"

typedef struct {
    LayerSpec sp;
    int fused_relu;          /* conv followed by relu: the relu runs inside the conv */
    ConvShape cs;
    float *w, *b, *dw, *db, *vw, *vb;
    float *ws;               /* conv workspace */
    uint8_t *idx;            /* pool winners */
    float *out, *dout;       /* (cap, out size) activations and their gradient */
} Layer;

static void die(const char *m) {
    fprintf(stderr, "cnn_train: %s\n", m);
    exit(1);
}

static float *alloc_or_die(size_t n) {
    float *p = kernels_alloc(n);
    if (!p) die("out of memory");
    return p;
}

static size_t out_size(const LayerSpec *s) { return (size_t)s->out_c * s->out_h * s->out_w; }

/* Forward of B images x (B,784) through the stack; returns the logits layer's output. */
static const float *forward(Layer *L, int n, const float *x, int B) {
    const float *in = x;
    for (int l = 0; l < n; l++) {
        Layer *y = &L[l];
        const LayerSpec *s = &y->sp;
        switch (s->kind) {
        case LAYER_CONV:
            y->cs.B = B;
            conv2d_forward(y->out, y->ws, in, y->w, y->b, &y->cs, y->fused_relu);
            break;
        case LAYER_RELU:
            if (!(l > 0 && L[l - 1].fused_relu)) relu_forward(y->out, in, (int)(B * out_size(s)));
            else y->out = L[l - 1].out; /* the conv already applied it */
            break;
        case LAYER_POOL:
            maxpool2d_forward(y->out, y->idx, in, B * s->in_c, s->in_h, s->in_w);
            break;
        case LAYER_FLATTEN:
            y->out = (float *)in;
            break;
        case LAYER_FC:
            linear_forward(y->out, in, y->w, y->b, s->out_c, B, s->in_c, s->out_c);
            break;
        }
        in = y->out;
    }
    return in;
}

static void backward(Layer *L, int n, const float *x, int B, float *dlogits) {
    float *g = dlogits;
    for (int l = n - 1; l >= 0; l--) {
        Layer *y = &L[l];
        const LayerSpec *s = &y->sp;
        const float *in = l > 0 ? L[l - 1].out : x;
        float *gin = l > 0 ? L[l - 1].dout : NULL;
        switch (s->kind) {
        case LAYER_CONV:
            y->cs.B = B;
            conv2d_backward(gin, y->dw, y->db, y->ws, g, in, y->w, y->fused_relu ? y->out : NULL, &y->cs);
            break;
        case LAYER_RELU:
            if (l > 0 && L[l - 1].fused_relu) gin = g; /* the conv below masks it */
            else relu_backward(gin, g, y->out, (int)(B * out_size(s)));
            break;
        case LAYER_POOL:
            maxpool2d_backward(gin, g, y->idx, B * s->in_c, s->in_h, s->in_w);
            break;
        case LAYER_FLATTEN:
            gin = g;
            break;
        case LAYER_FC:
            linear_backward(gin, y->dw, y->db, g, in, y->w, s->out_c, B, s->in_c, s->out_c);
            break;
        }
        if (l > 0) {
            if (gin != L[l - 1].dout) L[l - 1].dout = gin; /* passed through: the layer below reads it here */
            g = L[l - 1].dout;
        }
    }
}

int main(int argc, char **argv) {
    const char *arch_s = ARCH_CNN, *data = NULL;
    int epochs = 4, batch = 64, threads = 2, aug = 0, evals = 1;
    double lr = 0.05;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--augment")) aug = 1;
        else if (!v) die("missing value");
        else if (!strcmp(a, "--arch")) arch_s = v, i++;
        else if (!strcmp(a, "--epochs")) epochs = atoi(v), i++;
        else if (!strcmp(a, "--lr")) lr = atof(v), i++;
        else if (!strcmp(a, "--batch")) batch = atoi(v), i++;
        else if (!strcmp(a, "--threads")) threads = atoi(v), i++;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--data")) data = v, i++;
        else if (!strcmp(a, "--evals")) evals = atoi(v), i++;
        else die("usage: cnn_train [--arch S] [--epochs N] [--lr X] [--batch B] [--threads T] [--augment] [--seed S] [--data DIR] [--evals K]");
    }
    if (epochs < 1 || batch < 1 || threads < 1 || evals < 1) die("bad arguments");
    char err[ERR_LEN];
    Arch A;
    if (arch_parse(&A, arch_s, err)) die(err);
    kernels_set_threads(threads);
    double t_start = time_now();
    Dataset tr, te;
    if (dataset_load_dir(dataset_default_dir(data), &tr, &te, err)) die(err);
    double t_loaded = time_now();

    int n = A.n, cap = batch; /* evaluation runs batch images at a time too */
    Layer *L = calloc((size_t)n, sizeof *L);
    Rng rng;
    rng_seed(&rng, seed);
    for (int l = 0; l < n; l++) {
        Layer *y = &L[l];
        y->sp = A.layer[l];
        const LayerSpec *s = &y->sp;
        if (s->kind != LAYER_FLATTEN && !(s->kind == LAYER_RELU && l > 0 && L[l - 1].sp.kind == LAYER_CONV))
            y->out = alloc_or_die((size_t)cap * out_size(s));
        y->dout = alloc_or_die((size_t)cap * out_size(s));
        if (s->kind == LAYER_CONV) {
            y->fused_relu = l + 1 < n && A.layer[l + 1].kind == LAYER_RELU;
            y->cs = conv_shape(cap, s->in_c, s->in_h, s->in_w, s->out_c, s->k, s->s, s->p);
            y->ws = alloc_or_die(conv2d_workspace(&y->cs));
        }
        if (s->kind == LAYER_POOL && !(y->idx = malloc((size_t)cap * out_size(s)))) die("out of memory");
        if (s->kind == LAYER_CONV || s->kind == LAYER_FC) {
            size_t nw = s->nweight, nb = s->nbias;
            y->w = alloc_or_die(nw), y->dw = alloc_or_die(nw), y->vw = alloc_or_die(nw);
            y->b = alloc_or_die(nb), y->db = alloc_or_die(nb), y->vb = alloc_or_die(nb);
            double sd = sqrt(2.0 / (double)(nw / nb)); /* He-normal over the fan-in */
            for (size_t i = 0; i < nw; i++) y->w[i] = (float)(sd * rng_normal(&rng));
        }
    }
    int K = A.classes, D = AUG_PIXELS;
    float *x = alloc_or_die((size_t)cap * D), *probs = alloc_or_die((size_t)cap * K), *dl = alloc_or_die((size_t)cap * K);
    int *y = malloc(sizeof(int) * (size_t)cap), *perm = malloc(sizeof(int) * (size_t)tr.n);
    const uint8_t **ptrs = malloc(sizeof(uint8_t *) * (size_t)batch);
    uint64_t *ids = malloc(sizeof(uint64_t) * (size_t)batch);
    if (!y || !perm || !ptrs || !ids) die("out of memory");
    for (int i = 0; i < tr.n; i++) perm[i] = i;
    AugmentParams ap = augment_defaults();

    long steps_per_epoch = (tr.n + batch - 1) / batch, total = steps_per_epoch * epochs, step = 0;
    double train_s = 0, t99 = -1, last_acc = 0;
    printf("cnn_train: %s, %zu parameters, %.2f MMAC per image, batch %d, %d thread%s, lr %g, %d epochs%s\n", arch_s,
           A.nparams, arch_macs(&A) * 1e-6, batch, threads, threads > 1 ? "s" : "", lr, epochs,
           aug ? ", augmented" : "");
    for (int ep = 0; ep < epochs; ep++) {
        rng_shuffle_int(&rng, perm, tr.n);
        for (long st = 0; st < steps_per_epoch; st++, step++) {
            double t0 = time_now();
            int b0 = (int)(st * batch), B = tr.n - b0 < batch ? tr.n - b0 : batch;
            if (aug) {
                for (int i = 0; i < B; i++) ptrs[i] = tr.x + (size_t)perm[b0 + i] * D, ids[i] = (uint64_t)perm[b0 + i];
                augment_batch(x, ptrs, ids, B, &ap, seed, (uint64_t)ep);
                for (int i = 0; i < B; i++) y[i] = tr.y[perm[b0 + i]];
            } else {
                dataset_gather(&tr, perm + b0, B, x, y);
            }
            const float *logits = forward(L, n, x, B);
            softmax_xent_forward(probs, logits, y, B, K);
            softmax_xent_backward(dl, probs, y, B, K);
            backward(L, n, x, B, dl);
            float rate = (float)(lr * 0.5 * (1.0 + cos(3.14159265358979323846 * (double)step / (double)total)));
            for (int l = 0; l < n; l++)
                if (L[l].w) {
                    kernels_sgd_step(L[l].w, L[l].vw, L[l].dw, rate, 0.9f, L[l].sp.nweight);
                    kernels_sgd_step(L[l].b, L[l].vb, L[l].db, rate, 0.9f, L[l].sp.nbias);
                }
            train_s += time_now() - t0;
            int eval_now = (st + 1) % ((steps_per_epoch + evals - 1) / evals) == 0 || st + 1 == steps_per_epoch;
            if (!eval_now) continue;
            long correct = 0;
            for (int e0 = 0; e0 < te.n; e0 += cap) {
                int eb = te.n - e0 < cap ? te.n - e0 : cap;
                dataset_slice(&te, e0, eb, x, y);
                const float *lg = forward(L, n, x, eb);
                for (int i = 0; i < eb; i++) {
                    int best = 0;
                    for (int k = 1; k < K; k++)
                        if (lg[(size_t)i * K + k] > lg[(size_t)i * K + best]) best = k;
                    correct += best == y[i];
                }
            }
            last_acc = (double)correct / te.n;
            double now = time_now() - t_start;
            if (t99 < 0 && last_acc >= 0.99) t99 = now;
            printf("eval: epoch=%.2f seconds=%.2f test_acc=%.4f\n", ep + (double)(st + 1) / steps_per_epoch, now, last_acc);
            fflush(stdout);
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("stats: steps=%ld samples_per_second=%.0f train_seconds=%.2f load_seconds=%.2f wall_seconds=%.2f "
           "seconds_to_99.0=%.2f test_acc=%.4f peak_rss_mb=%.1f\n",
           step, (double)tr.n * epochs / train_s, train_s, t_loaded - t_start, time_now() - t_start, t99, last_acc,
           ru.ru_maxrss / 1024.0);
    return 0;
}

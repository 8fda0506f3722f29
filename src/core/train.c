/* train.c - the training loop as a stepper, evaluation, and history CSV.
 * One call of trainer_step = one mini-batch update, or one full-batch GD iteration (the notes'
 * theta <- theta - nu dC/dtheta with C averaged over all K images, accumulated chunk by chunk so
 * the dataset stays as bytes). No allocation happens per step. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "common.h"
#include "kernels.h"

#define GD_CHUNK 1000
#define BACKUP_EVERY 50

void train_config_default(TrainConfig *c, const char *arch) {
    memset(c, 0, sizeof *c);
    c->seed = 1;
    if (strcmp(arch, "softmax") == 0) {
        c->opt = OPT_SGD;
        c->lr = 0.1f;
        c->batch = 64;
        c->epochs = 5;
        c->schedule = SCHED_CONST;
    } else if (strcmp(arch, "cnn") == 0) {
        c->opt = OPT_MOMENTUM;
        c->lr = 0.05f;
        c->batch = 64;
        c->epochs = 4;
        c->schedule = SCHED_COSINE;
    } else {
        c->opt = OPT_MOMENTUM;
        c->lr = 0.05f;
        c->batch = 64;
        c->epochs = 12;
        c->schedule = SCHED_COSINE;
    }
}

void train_config_optimizer(TrainConfig *c, OptKind k, const char *arch) {
    TrainConfig d;
    train_config_default(&d, arch);
    c->opt = k;
    c->lr = k == OPT_ADAM ? 1e-3f : k == OPT_GD ? 0.5f : d.lr;
    if (k == OPT_GD) c->epochs = 100;
}

static int hist_push_step(History *h, float loss) {
    if (h->nsteps == h->cap_steps) {
        long cap = h->cap_steps ? h->cap_steps * 2 : 4096;
        float *p = realloc(h->step_loss, sizeof(float) * (size_t)cap);
        if (!p) return -1;
        h->step_loss = p;
        h->cap_steps = cap;
    }
    h->step_loss[h->nsteps++] = loss;
    return 0;
}

static int hist_push_epoch(History *h, const EpochRecord *r) {
    if (h->nepochs == h->cap_epochs) {
        int cap = h->cap_epochs ? h->cap_epochs * 2 : 64;
        EpochRecord *p = realloc(h->epochs, sizeof(EpochRecord) * (size_t)cap);
        if (!p) return -1;
        h->epochs = p;
        h->cap_epochs = cap;
    }
    h->epochs[h->nepochs++] = *r;
    return 0;
}

int train_record_meta(ModelMeta *m, const TrainRecord *r) {
    int rc = 0;
    if (r->classes && r->nclass > 0) {
        char classes[META_VAL_LEN];
        classes_join(r->classes, r->nclass, classes, sizeof classes);
        rc |= model_meta_set(m, "classes", "%s", classes);
    }
    if (r->dataset && *r->dataset) rc |= model_meta_set(m, "dataset", "%s", r->dataset);
    rc |= model_meta_set(m, "optimizer", "%s", optim_name(r->cfg->opt));
    rc |= model_meta_set(m, "lr", "%g", (double)r->cfg->lr);
    rc |= model_meta_set(m, "schedule", "%s", r->cfg->schedule == SCHED_COSINE ? "cosine" : "const");
    if (r->cfg->opt != OPT_GD) rc |= model_meta_set(m, "batch", "%d", r->cfg->batch);
    rc |= model_meta_set(m, "epochs", "%d", r->epochs);
    rc |= model_meta_set(m, "steps", "%ld", r->steps);
    rc |= model_meta_set(m, "seed", "%llu", (unsigned long long)r->cfg->seed);
    if (r->cfg->augment)
        rc |= model_meta_set(m, "augment", "%s (digitrec defaults)", r->cfg->augment == 2 ? "affine+elastic+ink" : "affine+elastic");
    if (r->test_acc >= 0) rc |= model_meta_set(m, "test_accuracy", "%.4f", r->test_acc);
    if (r->source) rc |= model_meta_set(m, "source", "%s", r->source);
    rc |= model_meta_set(m, "trained_by", "digitrec %s", DIGITREC_VERSION);
    return rc ? -1 : 0;
}

void history_clear_steps(History *h) { h->nsteps = 0; }

void history_free(History *h) {
    free(h->step_loss);
    free(h->epochs);
    memset(h, 0, sizeof *h);
}

int trainer_create(Trainer *t, const Net *net, const Dataset *train, const Dataset *test,
                   const TrainConfig *cfg, char *err) {
    memset(t, 0, sizeof *t);
    if (train->d != net_inputs(net))
        return err_set(err, "training: images have %d pixels but the network takes %d inputs", train->d, net_inputs(net));
    if (train->nclass > net_outputs(net))
        return err_set(err, "training: %d classes but the network has %d outputs", train->nclass, net_outputs(net));
    if (cfg->augment && (train->rows != AUG_SIDE || train->cols != AUG_SIDE))
        return err_set(err, "training: augmentation needs %dx%d images, these are %dx%d", AUG_SIDE, AUG_SIDE, train->rows,
                       train->cols);
    if (train->n < 1) return err_set(err, "training: the training set is empty");
    if (cfg->opt != OPT_GD && cfg->batch < 1) return err_set(err, "training: batch size must be at least 1");
    if (!(cfg->lr > 0) || !isfinite(cfg->lr)) return err_set(err, "training: learning rate must be a positive number");
    t->cfg = *cfg;
    t->train = train;
    t->test = test;
    int gd_chunk = net_is_dense(net) ? GD_CHUNK : net_eval_batch(net); /* a stack's buffers grow fast */
    int cap = cfg->opt == OPT_GD ? (train->n < gd_chunk ? train->n : gd_chunk)
                                 : (cfg->batch < train->n ? cfg->batch : train->n);
    t->cfg.batch = cfg->opt == OPT_GD ? train->n : cap;
    t->chunk = cap;
    int D = train->d;
    if (net_copy(&t->net, net, err) != 0) return -1;
    if (optim_create(&t->opt, cfg->opt, net->nparams, err) != 0) goto fail;
    if (netwk_create(&t->wk, net, cap, err) != 0) goto fail;
    t->grad = kernels_alloc(net->nparams);
    t->gacc = cfg->opt == OPT_GD ? kernels_alloc(net->nparams) : NULL;
    t->backup = kernels_alloc(net->nparams);
    t->xb = kernels_alloc((size_t)cap * D);
    t->yb = xmalloc_array((size_t)cap, sizeof(int));
    t->perm = xmalloc_array((size_t)train->n, sizeof(int));
    t->aug_img = xmalloc_array((size_t)cap, sizeof *t->aug_img);
    t->aug_idx = xmalloc_array((size_t)cap, sizeof *t->aug_idx);
    if (!t->grad || (cfg->opt == OPT_GD && !t->gacc) || !t->backup || !t->xb || !t->yb || !t->perm || !t->aug_img ||
        !t->aug_idx) {
        err_set(err, "training: out of memory");
        goto fail;
    }
    memcpy(t->backup, t->net.params, sizeof(float) * net->nparams);
    for (int i = 0; i < train->n; i++) t->perm[i] = i;
    rng_seed(&t->rng, cfg->seed);
    t->prev_loss = NAN;
    t->t_start = time_now();
    return 0;
fail:
    trainer_free(t);
    return -1;
}

void trainer_free(Trainer *t) {
    net_free(&t->net);
    optim_free(&t->opt);
    netwk_free(&t->wk);
    free(t->grad);
    free(t->gacc);
    free(t->backup);
    free(t->xb);
    free(t->yb);
    free(t->perm);
    free(t->aug_img);
    free(t->aug_idx);
    free(t->extra_idx);
    history_free(&t->hist);
    memset(t, 0, sizeof *t);
}

int trainer_set_extra(Trainer *t, const Dataset *extra, int k, char *err) {
    if (t->step > 0) return err_set(err, "training: examples can be mixed in only before the first step");
    if (!extra || k <= 0) {
        free(t->extra_idx);
        t->extra = NULL;
        t->extra_k = 0;
        t->extra_idx = NULL;
        return 0;
    }
    if (t->cfg.opt != OPT_GD && k >= t->cfg.batch)
        return err_set(err, "training: %d mixed-in examples leave no room in a batch of %d", k, t->cfg.batch);
    if (extra->n < 1) return err_set(err, "training: the set to mix in is empty");
    if (extra->d != t->train->d || extra->rows != t->train->rows || extra->cols != t->train->cols)
        return err_set(err, "training: %dx%d examples to mix in, %dx%d training images", extra->rows, extra->cols,
                       t->train->rows, t->train->cols);
    int K = net_outputs(&t->net);
    for (int i = 0; i < extra->n; i++)
        if (extra->y[i] >= K) return err_set(err, "training: a mixed-in example has label %d, the network %d outputs", extra->y[i], K);
    int *idx = xmalloc_array((size_t)k, sizeof(int));
    if (!idx) return err_set(err, "training: out of memory");
    free(t->extra_idx);
    t->extra = extra;
    t->extra_k = k;
    t->extra_idx = idx;
    return 0;
}

int train_extra_per_batch(int batch, int n_extra) {
    if (n_extra <= 0 || batch < 2) return 0;
    int k = batch / 16;
    if (k < 1) k = 1;
    if (k > n_extra) k = n_extra;
    if (k > batch - 1) k = batch - 1;
    return k;
}

/* Rows of the training set in one mini-batch: the rest of it is the mixed-in examples. */
static int main_rows(const Trainer *t) { return t->cfg.batch - (t->extra ? t->extra_k : 0); }

long trainer_steps_per_epoch(const Trainer *t) {
    if (t->cfg.opt == OPT_GD) return 1;
    int m = main_rows(t);
    return (t->train->n + m - 1) / m;
}

float trainer_lr(const Trainer *t) {
    if (t->cfg.schedule != SCHED_COSINE) return t->cfg.lr;
    long total = (long)t->cfg.epochs * trainer_steps_per_epoch(t);
    if (t->cfg.max_iters > 0 && t->cfg.max_iters < total) total = t->cfg.max_iters;
    if (total <= 0) return t->cfg.lr;
    double frac = (double)t->step / (double)total;
    if (frac > 1) frac = 1;
    return (float)(t->cfg.lr * 0.5 * (1.0 + cos(3.14159265358979 * frac)));
}

int trainer_retune(Trainer *t, const TrainConfig *c) {
    int batch = t->cfg.opt == OPT_GD ? c->batch : (c->batch < t->train->n ? c->batch : t->train->n);
    if (c->opt != t->cfg.opt || (c->opt != OPT_GD && batch != t->cfg.batch)) return 1;
    if (!(c->lr > 0) || !isfinite(c->lr)) return 0; /* trainer_create refuses it; keep the rate in force */
    t->cfg.lr = c->lr;
    t->cfg.schedule = c->schedule;
    t->cfg.epochs = c->epochs;
    t->cfg.max_iters = c->max_iters;
    t->cfg.tol = c->tol;
    t->cfg.target_acc = c->target_acc;
    t->cfg.augment = c->augment;
    if ((t->stop_reason == STOP_EPOCHS && t->epoch < t->cfg.epochs) ||
        (t->stop_reason == STOP_ITERS && (t->cfg.max_iters <= 0 || t->step < t->cfg.max_iters)))
        t->stop_reason = STOP_NONE;
    return 0;
}

const char *trainer_stop_reason(const Trainer *t) {
    static const char *why[] = {"running", "reached the epoch limit", "reached the iteration limit",
                                "loss change below tolerance", "reached the target accuracy"};
    return (unsigned)t->stop_reason < 5 ? why[t->stop_reason] : "?";
}

/* Batch gather, split by rows across the kernel threads: the same conversion as
 * dataset_gather / dataset_slice (pixel / 255), vectorised. */
typedef struct {
    const Dataset *ds;
    const int *idx;     /* rows idx[0..b), or NULL for rows start..start+b */
    int start, b, ntasks;
    float *x;
    int *y;
    const int *next;    /* the next batch's rows next[0..nnext), prefetched task by task */
    int nnext;
} GatherJob;

static void prefetch_rows(const Dataset *ds, const int *idx, int b) {
#if defined(__GNUC__)
    size_t d = (size_t)ds->d;
    for (int i = 0; i < b; i++) {
        const uint8_t *row = ds->x + (size_t)idx[i] * d;
        for (size_t off = 0; off < d; off += 64) __builtin_prefetch(row + off);
        __builtin_prefetch(row + d - 1);
    }
#else
    (void)ds, (void)idx, (void)b;
#endif
}

static void gather_task(void *ctx, int task) {
    const GatherJob *g = ctx;
    const size_t d = (size_t)g->ds->d;
    int lo, hi;
    kernels_split(g->b, 1, task, g->ntasks, &lo, &hi);
    for (int i = lo; i < hi; i++) {
        int k = g->idx ? g->idx[i] : g->start + i;
        if (k < 0 || k >= g->ds->n) abort(); /* our own permutation or range: a miss is a bug */
        kernels_pixels_to_floats(g->x + (size_t)i * d, g->ds->x + (size_t)k * d, d);
        g->y[i] = g->ds->y[k];
    }
    /* the next batch's images are scattered over the training set: start fetching them now,
     * into the cache of the thread that will most likely convert them (the same task index) */
    if (g->next) {
        kernels_split(g->nnext, 1, task, g->ntasks, &lo, &hi);
        prefetch_rows(g->ds, g->next + lo, hi - lo);
    }
}

/* x (b, d), y (b) from rows idx[0..b) of ds, or rows start.. when idx is NULL; prefetches the
 * rows next[0..nnext) (next may be NULL). */
static void gather_batch(const Dataset *ds, const int *idx, int start, int b, float *x, int *y, const int *next,
                         int nnext) {
    long px = (long)b * ds->d;
    GatherJob g = {ds, idx, start, b, px >= 16384 ? (px >= 262144 ? 8 : 4) : 1, x, y, next, nnext};
    kernels_run(gather_task, &g, g.ntasks);
}

/* The optimiser step, split into whole cache lines of the parameter block across the kernel
 * threads (each element's update is the same whatever the split), with the check that the
 * gradient is finite folded into the same pass. */
#define UPDATE_TASKS 8

typedef struct {
    Trainer *t;
    float lr;
    int ntasks;
    size_t skip_lo, skip_hi; /* parameters already stepped (by the fused first-layer backward) */
    int bad[UPDATE_TASKS];
} UpdateJob;

static void update_task(void *ctx, int task) {
    UpdateJob *u = ctx;
    Trainer *t = u->t;
    /* whole cache lines (16 floats) per task */
    size_t lines = (t->net.nparams + 15) / 16, np = t->net.nparams;
    size_t lo = lines * (size_t)task / (size_t)u->ntasks * 16, hi = lines * (size_t)(task + 1) / (size_t)u->ntasks * 16;
    if (hi > np) hi = np;
    if (lo > hi) lo = hi;
    if (u->skip_hi > u->skip_lo && lo < u->skip_hi && hi > u->skip_lo) {
        /* only ever skips a prefix of the block (the first layer's weights) */
        lo = hi < u->skip_hi ? hi : u->skip_hi;
    }
    size_t n = hi - lo;
    if (t->opt.kind == OPT_MOMENTUM) {
        u->bad[task] = !kernels_sgd_step(t->net.params + lo, t->opt.m + lo, t->grad + lo, u->lr, t->opt.momentum, n);
    } else if (t->opt.kind == OPT_GD || t->opt.kind == OPT_SGD) {
        u->bad[task] = !kernels_sgd_step(t->net.params + lo, NULL, t->grad + lo, u->lr, 0.0f, n);
    } else {
        u->bad[task] = !kernels_all_finite(t->grad + lo, n);
        Optim view = t->opt; /* this thread's slice of the optimiser state */
        view.n = n;
        if (view.m) view.m += lo;
        if (view.v) view.v += lo;
        optim_step(&view, t->net.params + lo, t->grad + lo, u->lr);
    }
}

/* Applies the update to every parameter outside [skip_lo, skip_hi); returns 0 if the gradient
 * held a NaN/Inf there (the caller rolls back). */
static int update_params(Trainer *t, float lr, size_t skip_lo, size_t skip_hi) {
    UpdateJob u;
    memset(u.bad, 0, sizeof u.bad);
    u.t = t;
    u.lr = lr;
    u.skip_lo = skip_lo;
    u.skip_hi = skip_hi;
    u.ntasks = t->net.nparams - (skip_hi - skip_lo) >= 32768 ? UPDATE_TASKS : 1;
    kernels_run(update_task, &u, u.ntasks);
    t->opt.t++;
    for (int i = 0; i < u.ntasks; i++)
        if (u.bad[i]) return 0;
    return 1;
}

/* net_backward followed by the SGD/momentum step, with the first layer's weight update fused
 * into its dW (see linear_backward_step): the same arithmetic, one pass less over 100k
 * parameters. Returns 0 if the gradient held a NaN/Inf (the caller rolls back). */
static int backward_and_step(Trainer *t, int B, float lr) {
    const Net *net = &t->net;
    NetWork *wk = &t->wk;
    int L = net->nlayers, K = net->sizes[L];
    float *d = wk->dact[0], *dnext = wk->dact[1];
    softmax_xent_backward(d, wk->act[L], t->yb, B, K);
    if (net->output_relu) relu_backward(d, d, wk->pre_out, B * K);
    for (int l = L - 1; l >= 1; l--) {
        int Kin = net->sizes[l], N = net->sizes[l + 1];
        linear_backward_ex(dnext, t->grad + net->woff[l], t->grad + net->boff[l], d, wk->act[l], net->w[l],
                           net->bias == BIAS_LAYER ? 1 : N, B, Kin, N, 1);
        float *tmp = d;
        d = dnext;
        dnext = tmp;
    }
    /* layer 0: its weights are needed by no later product, so they can be stepped as dW forms */
    int N0 = net->sizes[1], D = net->sizes[0];
    KernelsStep st = {net->w[0], t->opt.kind == OPT_MOMENTUM ? t->opt.m + net->woff[0] : NULL, lr, t->opt.momentum, 1};
    linear_backward_step(t->grad + net->woff[0], t->grad + net->boff[0], d, t->xb, net->bias == BIAS_LAYER ? 1 : N0,
                         B, D, N0, &st);
    int ok = update_params(t, lr, net->woff[0], net->woff[0] + (size_t)N0 * D);
    return ok && st.finite;
}

/* x (b + nx, D), y (b + nx) from rows idx[0..b) of the training set, then rows xidx[0..nx) of the
 * mixed-in set, each through the augmentation of (seed, epoch, row), a mixed-in row counting as
 * train->n + its index: the same images for any thread count and batch order. */
static void augment_rows(Trainer *t, const int *idx, int b, const int *xidx, int nx) {
    const Dataset *ds = t->train;
    for (int i = 0; i < b + nx; i++) {
        const Dataset *src = i < b ? ds : t->extra;
        int k = i < b ? idx[i] : xidx[i - b];
        if (k < 0 || k >= src->n) abort(); /* our own permutation or picks: a miss is a bug */
        t->aug_img[i] = src->x + (size_t)k * src->d;
        t->aug_idx[i] = (uint64_t)k + (i < b ? 0 : (uint64_t)ds->n);
        t->yb[i] = src->y[k];
    }
    AugmentParams p = t->cfg.augment == 2 ? augment_ink_defaults() : augment_defaults();
    augment_batch(t->xb, t->aug_img, t->aug_idx, b + nx, &p, t->cfg.seed, (uint64_t)t->epoch);
}

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* This step's extra_k picks from the mixed-in set into extra_idx: a function of (seed, step) only,
 * so a rerun or another thread count draws the same; distinct while the set has enough. */
static void pick_extra(Trainer *t) {
    int n = t->extra->n, k = t->extra_k;
    uint64_t h = mix64(t->cfg.seed ^ mix64((uint64_t)t->step ^ 0x6d69786564ULL));
    for (int j = 0; j < k; j++) {
        int e;
        for (int tries = 0;; tries++) {
            h = mix64(h);
            e = (int)(h % (uint64_t)n);
            int dup = 0;
            for (int i = 0; i < j && k <= n; i++) dup |= t->extra_idx[i] == e;
            if (!dup || tries >= 64) break;
        }
        t->extra_idx[j] = e;
    }
}

/* Gradient of the mean loss over the whole training set, chunk by chunk, into t->grad. */
static double full_batch_gradient(Trainer *t) {
    const Dataset *ds = t->train;
    size_t np = t->net.nparams;
    memset(t->gacc, 0, sizeof(float) * np);
    double loss = 0;
    for (int start = 0; start < ds->n; start += t->chunk) {
        int b = ds->n - start < t->chunk ? ds->n - start : t->chunk;
        gather_batch(ds, NULL, start, b, t->xb, t->yb, NULL, 0);
        double l = net_forward(&t->net, &t->wk, t->xb, t->yb, b);
        net_backward(&t->net, &t->wk, t->grad, t->xb, t->yb, b);
        kernels_axpy(t->gacc, (float)b / (float)ds->n, t->grad, np);
        loss += l * b;
    }
    memcpy(t->grad, t->gacc, sizeof(float) * np);
    return loss / ds->n;
}

static void end_epoch(Trainer *t, double train_loss) {
    EpochRecord r = {0};
    t->epoch++;
    r.epoch = t->epoch;
    r.step = t->step;
    r.train_loss = train_loss;
    r.test_loss = NAN;
    r.test_acc = NAN;
    if (t->test && t->test->n > 0) {
        EvalResult ev;
        if (evaluate(&t->net, &t->wk, t->test, 0, &ev, NULL) == 0) {
            r.test_loss = ev.loss;
            r.test_acc = ev.acc;
        }
    }
    r.seconds = time_now() - t->t_start;
    hist_push_epoch(&t->hist, &r);
    if (t->cfg.target_acc > 0 && r.test_acc >= t->cfg.target_acc) t->stop_reason = STOP_TARGET;
    if (t->cfg.tol > 0 && isfinite(t->prev_loss) && fabs(train_loss - t->prev_loss) < t->cfg.tol) t->stop_reason = STOP_TOL;
    t->prev_loss = train_loss;
}

/* The divergence test of trainer_step for a step's finite loss: 1 when it holds. Keeps the ring
 * of recent losses. */
static int loss_diverged(Trainer *t, float loss) {
    int K = t->net.sizes[t->net.nlayers];
    if (t->nrecent > 0) {
        float tmp[TRAIN_RECENT];
        memcpy(tmp, t->recent, sizeof(float) * (size_t)t->nrecent);
        float med = quantile_abs(tmp, (size_t)t->nrecent, 0.5);
        /* far above its recent level, and at least back near chance (ln K: a network that has
           forgotten everything, e.g. every ReLU dead) */
        float line = fmaxf(10.0f * med, 0.9f * logf((float)(K > 1 ? K : 2)));
        t->over = loss > line ? t->over + 1 : 0;
        if (t->over >= 3 || loss > 10.0f * line) {
            t->diverged_loss = loss;
            t->diverged_median = med;
            return 1;
        }
        if (t->over) return 0; /* a suspect loss does not raise the level it is judged against */
    }
    t->recent[t->recent_pos] = loss;
    t->recent_pos = (t->recent_pos + 1) % TRAIN_RECENT;
    if (t->nrecent < TRAIN_RECENT) t->nrecent++;
    return 0;
}

StepStatus trainer_step(Trainer *t) {
    if (t->stop_reason) return STEP_DONE;
    if (t->epoch >= t->cfg.epochs) {
        t->stop_reason = STOP_EPOCHS;
        return STEP_DONE;
    }
    if (t->cfg.max_iters > 0 && t->step >= t->cfg.max_iters) {
        t->stop_reason = STOP_ITERS;
        return STEP_DONE;
    }
    double t0 = time_now();
    double loss;
    int b, bm = 0; /* rows in the batch; of them from the training set */
    /* 1: stepped by backward_and_step; -1: it found a NaN/Inf; 0: step below */
    int stepped = 0, fused = (t->opt.kind == OPT_MOMENTUM || t->opt.kind == OPT_SGD) && net_is_dense(&t->net);
    if (t->cfg.opt == OPT_GD) {
        loss = full_batch_gradient(t);
        b = t->train->n;
    } else {
        if (t->pos == 0) rng_shuffle_int(&t->rng, t->perm, t->train->n);
        int m = main_rows(t), nx = t->extra ? t->extra_k : 0;
        bm = t->train->n - t->pos < m ? t->train->n - t->pos : m;
        int left = t->train->n - t->pos - bm, nb = left < m ? left : m;
        if (nx) pick_extra(t);
        if (t->cfg.augment) augment_rows(t, t->perm + t->pos, bm, t->extra_idx, nx);
        else gather_batch(t->train, t->perm + t->pos, 0, bm, t->xb, t->yb, nb > 0 ? t->perm + t->pos + bm : NULL, nb);
        if (nx && !t->cfg.augment)
            gather_batch(t->extra, t->extra_idx, 0, nx, t->xb + (size_t)bm * t->train->d, t->yb + bm, NULL, 0);
        b = bm + nx;
        loss = net_forward(&t->net, &t->wk, t->xb, t->yb, b);
        if (fused && isfinite(loss)) stepped = backward_and_step(t, b, trainer_lr(t)) ? 1 : -1;
        else net_backward(&t->net, &t->wk, t->grad, t->xb, t->yb, b);
    }
    /* a non-finite gradient is found during the update; the half-updated parameters are then
     * dropped for the backup, which leaves the same state as never stepping */
    if (!isfinite(loss) || stepped < 0 || (stepped == 0 && !update_params(t, trainer_lr(t), 0, 0))) {
        /* roll back to the last parameters known finite and forget the optimiser's momentum */
        memcpy(t->net.params, t->backup, sizeof(float) * t->net.nparams);
        optim_reset(&t->opt);
        t->t_train += time_now() - t0;
        return STEP_NONFINITE;
    }
    t->step++;
    t->samples += b;
    hist_push_step(&t->hist, (float)loss);
    if (loss_diverged(t, (float)loss)) {
        memcpy(t->net.params, t->backup, sizeof(float) * t->net.nparams);
        optim_reset(&t->opt);
        t->over = 0;
        t->nrecent = t->recent_pos = 0; /* the line is drawn afresh from the restored weights */
        t->t_train += time_now() - t0;
        return STEP_DIVERGED;
    }
    if (t->step % BACKUP_EVERY == 0 && t->over == 0 && kernels_all_finite(t->net.params, t->net.nparams)) {
        memcpy(t->backup, t->net.params, sizeof(float) * t->net.nparams);
        t->backup_step = t->step;
    }
    t->t_train += time_now() - t0;
    if (t->cfg.opt == OPT_GD) {
        end_epoch(t, loss); /* for gd an epoch is one iteration, so tol compares iterations */
        return STEP_EPOCH;
    }
    t->epoch_loss_sum += loss;
    t->epoch_batches++;
    t->pos += bm;
    if (t->pos >= t->train->n) {
        double mean = t->epoch_loss_sum / (double)t->epoch_batches;
        t->pos = 0;
        t->epoch_loss_sum = 0;
        t->epoch_batches = 0;
        end_epoch(t, mean);
        return STEP_EPOCH;
    }
    return STEP_OK;
}

int evaluate(const Net *net, NetWork *wk, const Dataset *ds, int n, EvalResult *out, char *err) {
    memset(out, 0, sizeof *out);
    if (n <= 0 || n > ds->n) n = ds->n;
    if (ds->d != net_inputs(net))
        return err_set(err, "evaluate: images have %d pixels but the network takes %d inputs", ds->d, net_inputs(net));
    int K = net_outputs(net), chunk = wk->cap;
    if (ds->nclass > K)
        return err_set(err, "evaluate: the data has %d classes but the network has %d outputs", ds->nclass, K);
    float *x = kernels_alloc((size_t)chunk * ds->d);
    int *y = xmalloc_array((size_t)chunk, sizeof(int));
    if (!x || !y) {
        free(x);
        free(y);
        return err_set(err, "evaluate: out of memory");
    }
    double loss = 0;
    long correct = 0;
    for (int start = 0; start < n; start += chunk) {
        int b = n - start < chunk ? n - start : chunk;
        gather_batch(ds, NULL, start, b, x, y, NULL, 0);
        loss += net_forward(net, wk, x, y, b) * b;
        const float *p = net_probs(net, wk);
        for (int i = 0; i < b; i++) {
            int best = 0;
            for (int c = 1; c < K; c++)
                if (p[(size_t)i * K + c] > p[(size_t)i * K + best]) best = c;
            correct += best == y[i];
            if (y[i] < 10 && best < 10) out->confusion[y[i]][best]++;
        }
    }
    free(x);
    free(y);
    out->n = n;
    out->loss = n ? loss / n : 0;
    out->acc = n ? (double)correct / n : 0;
    return 0;
}

long evaluate_right(const Net *net, const Dataset *ds, char *err) {
    if (ds->n <= 0) return 0;
    NetWork wk;
    int cap = ds->n < net_eval_batch(net) ? ds->n : net_eval_batch(net);
    if (cap > 250) cap = 250;
    if (netwk_create_forward(&wk, net, cap, err) != 0) return -1;
    EvalResult ev;
    int rc = evaluate(net, &wk, ds, 0, &ev, err);
    netwk_free(&wk);
    if (rc != 0) return -1;
    long right = 0;
    for (int k = 0; k < 10; k++) right += ev.confusion[k][k];
    return right;
}

int history_write_csv(const History *h, const char *path, char *err) {
    size_t cap = 128 + (size_t)h->nsteps * 48 + (size_t)h->nepochs * 160, len = 0;
    char *buf = malloc(cap);
    if (!buf) return err_set(err, "%s: out of memory", path);
    len += (size_t)snprintf(buf + len, cap - len, "kind,epoch,step,loss,test_loss,test_acc,seconds\n");
    int e = 0;
    for (long s = 0; s < h->nsteps; s++) {
        len += (size_t)snprintf(buf + len, cap - len, "step,%d,%ld,%.6g,,,\n", e + 1, s + 1, h->step_loss[s]);
        while (e < h->nepochs && h->epochs[e].step == s + 1) {
            const EpochRecord *r = &h->epochs[e];
            len += (size_t)snprintf(buf + len, cap - len, "epoch,%d,%ld,%.6g,%.6g,%.6g,%.3f\n", r->epoch, r->step,
                                    r->train_loss, r->test_loss, r->test_acc, r->seconds);
            e++;
        }
    }
    int rc = file_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

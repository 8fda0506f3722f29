/* worker.c - the training thread: commands in under a mutex, trainer_step bursts of ~50 ms,
 * then a publish (parameters, new history points, counters, test-set predictions) under the same
 * mutex. The lock is never held during a training step, a test-set pass or a file read, so the
 * UI's copy is never kept waiting long. */
#include "worker.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "personal.h"
#include "snapshot.h"
#include "train.h"

struct Worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    /* commands, guarded by mu */
    int quit, want_run, step_req;
    int kick;                      /* the run state changed: look at it even if nothing can run */
    int reset_req, cfg_req;
    WorkerConfig reset_cfg, new_cfg;
    Net *load_net;                 /* owned while pending */
    Dataset *extra_req;            /* owned while pending */
    char data_req[1024];           /* a dataset folder to switch to, "" none */
    WorkerConfig data_cfg;         /* the network to start on it */
    int mix_req;                   /* -1 none, else the wanted mix switch */

    /* the publish, guarded by mu */
    Snapshot pub;

    /* the thread's own state: touched by nobody else after start */
    WorkerConfig cfg;
    char data_dir[1024];
    Dataset train;
    SharedData *tshare;            /* the test set (one reference), or NULL */
    Dataset extra;                 /* personal examples, all of them */
    Dataset fit, held;             /* extra split (personal_split): trained on, held out to measure */
    int mix;                       /* mixing wanted */
    int mix_k;                     /* personal examples in each batch of the trainer in use (0: none) */
    Net before;                    /* while mixing: the network as it was when mixing began */
    int have_before;
    int held_right, held_before;   /* held-out examples the live / the before network reads right, -1 unknown */
    long held_step;                /* the step of held_right */
    int have_data, data_pending;
    Net cur;                       /* the live network while there is no trainer */
    Trainer t;
    int have_t;
    NetWork ewk;                   /* for the frequent test-subset evals */
    long step_base, samples_base;  /* counters of earlier trainers in this generation */
    int epoch_base;
    double ttrain_base;
    float *fresh;                  /* (nfresh) step losses drained from the trainer, not yet published */
    long nfresh, cap_fresh;
    LossSpool *spool;              /* this generation's losses in full (one reference), or NULL */
    RunInfo run;                   /* what this generation trained with */
    int ep_pub;                    /* t.hist.epochs entries already published */
    long next_eval;
    int eval_subset, publish_ms;
    int finished;
    int halted;                    /* the last burst stopped on a NaN or an error */
    double sps;
    EvalPoint *evq;                /* evals not yet published */
    int nevq, capevq;
    char status[512];
    Severity status_sev;
    int status_new;
    /* test-set predictions for the confusion matrix: made when the network changed and the
       throttle allows (at most ~12% of the time goes to them while training) */
    int gen_cause;                 /* GenCause of the current generation */
    unsigned long gen;             /* the current generation; pub's follows at the next publish,
                                      together with the new network and history */
    char desc_new[160];            /* a data description for the next publish */
    int data_new;                  /* 2: desc_new and the data's names go out with the next publish
                                      (so a sync never shows new data with the old generation); 1: desc only */
    int view_stale;
    double view_next;              /* time_now() before which no new pass starts */
    TestView *view_new;            /* made, not yet published (one reference) */
    Embed emb_prev;                /* the last view's map, which the next one is aligned with */
};

static const Dataset *test_set(const Worker *w) { return w->tshare && w->tshare->data.n ? &w->tshare->data : NULL; }

void worker_config_default(WorkerConfig *cfg, const char *arch) {
    memset(cfg, 0, sizeof *cfg);
    Arch a;
    if (!arch || arch_parse(&a, arch, NULL) != 0) arch_parse(&a, "mlp", NULL);
    arch_format(&a, cfg->arch, sizeof cfg->arch);
    /* the command line's recipe, so the window and `digitrec train` never drift apart */
    train_config_default(&cfg->train, worker_recipe(cfg));
    cfg->train.schedule = SCHED_CONST;
}

const char *worker_recipe(const WorkerConfig *cfg) {
    if (!strcmp(cfg->arch, "784-10")) return "softmax";
    if (!strcmp(cfg->arch, "784-128-64-10")) return "mlp";
    if (!strcmp(cfg->arch, ARCH_CNN)) return "cnn";
    return "custom";
}

static Net *live_net(Worker *w) { return w->have_t ? &w->t.net : &w->cur; }

static void set_status(Worker *w, Severity sev, const char *fmt, const char *detail) {
    snprintf(w->status, sizeof w->status, fmt, detail ? detail : "");
    w->status_sev = sev;
    w->status_new = 1;
}

static void evq_push(Worker *w, EvalPoint p) {
    if (w->nevq == w->capevq) {
        int cap = w->capevq ? w->capevq * 2 : 32;
        EvalPoint *q = realloc(w->evq, sizeof *q * (size_t)cap);
        if (!q) return; /* a lost curve point is better than a stopped worker */
        w->evq = q;
        w->capevq = cap;
    }
    w->evq[w->nevq++] = p;
}

/* Moves the trainer's new step losses into fresh (for the next publish) and onto the spool; the
 * trainer forgets them, so its history stays small however long the run. Never under mu. */
static void losses_drain(Worker *w) {
    if (!w->have_t || w->t.hist.nsteps == 0) return;
    long n = w->t.hist.nsteps;
    if (w->nfresh + n > w->cap_fresh) {
        long cap = w->cap_fresh ? w->cap_fresh : 4096;
        while (cap < w->nfresh + n) cap *= 2;
        float *p = realloc(w->fresh, sizeof(float) * (size_t)cap);
        if (!p) return; /* keep them in the trainer until there is memory */
        w->fresh = p, w->cap_fresh = cap;
    }
    memcpy(w->fresh + w->nfresh, w->t.hist.step_loss, sizeof(float) * (size_t)n);
    w->nfresh += n;
    spool_append(w->spool, w->t.hist.step_loss, n);
    history_clear_steps(&w->t.hist);
}

/* Notes in the run's record that it now trains with c (a change counts once per setting). */
static void run_note(Worker *w, const TrainConfig *c) {
    RunInfo *r = &w->run;
    if (c->lr != r->lr_last || c->opt != r->opt || c->batch != r->batch) r->changes++;
    r->opt = c->opt, r->batch = c->batch, r->schedule = c->schedule, r->lr_last = c->lr;
    if (c->lr < r->lr_min) r->lr_min = c->lr;
    if (c->lr > r->lr_max) r->lr_max = c->lr;
}

/* Drops the trainer, keeping its network as cur. */
static void trainer_drop(Worker *w) {
    if (!w->have_t) return;
    losses_drain(w);
    char err[ERR_LEN];
    Net keep = {0};
    if (net_copy(&keep, &w->t.net, err) == 0) {
        net_free(&w->cur);
        w->cur = keep;
    }
    w->step_base += w->t.step;
    w->epoch_base += w->t.epoch;
    w->samples_base += w->t.samples;
    w->ttrain_base += w->t.t_train;
    trainer_free(&w->t);
    netwk_free(&w->ewk);
    w->have_t = 0;
}

/* Training uses the personal examples: mixing is on and some are not held out. */
static int mixing(const Worker *w) { return w->mix && w->fit.n > 0; }

/* How many of the held-out personal examples net reads right, or -1 when there are none or it
 * cannot read them. A few dozen images: cheap next to a test-subset evaluation. */
static int held_count(const Worker *w, const Net *net) {
    char err[ERR_LEN];
    if (w->held.n <= 0 || !net->params || net_inputs(net) != w->held.d) return -1;
    return (int)evaluate_right(net, &w->held, err);
}

/* Measures the live network on the held-out examples (at each evaluation). */
static void held_measure(Worker *w) {
    w->held_right = held_count(w, live_net(w));
    w->held_step = w->step_base + (w->have_t ? w->t.step : 0);
}

/* Keeps the "before" network in step with the mixing state: taken from the live one when mixing
 * begins (switched on, the first examples come, a new generation while on), dropped when it ends;
 * measured again whenever the held-out set changed (fresh = 1). */
static void before_update(Worker *w, int began, int fresh) {
    char err[ERR_LEN];
    Net copy = {0};
    if (mixing(w) && (began || !w->have_before)) {
        w->have_before = net_copy(&copy, live_net(w), err) == 0;
        net_free(&w->before);
        w->before = copy; /* empty when the copy failed */
        fresh = 1;
    }
    if (!mixing(w)) w->have_before = 0;
    if (!w->have_before) w->held_before = -1;
    else if (fresh) w->held_before = held_count(w, &w->before);
}

/* cfg's training settings as a trainer of this generation takes them: its epoch limit counts the
 * epochs earlier trainers did not, and a rebuilt trainer must not replay the same batches. */
static TrainConfig trainer_cfg(const Worker *w) {
    TrainConfig tc = w->cfg.train;
    tc.epochs -= w->epoch_base;
    tc.seed += (uint64_t)w->step_base;
    return tc;
}

/* Builds a trainer around cur under cfg (when there is data). */
static void trainer_build(Worker *w) {
    if (!w->have_data) return;
    char err[ERR_LEN];
    TrainConfig tc = trainer_cfg(w);
    if (trainer_create(&w->t, &w->cur, &w->train, test_set(w), &tc, err) != 0) {
        set_status(w, SEV_ERROR, "cannot train: %s", err);
        return;
    }
    /* the personal examples go into every batch (full-batch gd has none to give them) */
    int k = mixing(w) && tc.opt != OPT_GD ? train_extra_per_batch(w->t.cfg.batch, w->fit.n) : 0;
    w->mix_k = 0;
    if (k > 0 && trainer_set_extra(&w->t, &w->fit, k, err) != 0) set_status(w, SEV_ERROR, "cannot mix in your examples: %s", err);
    else w->mix_k = k;
    if (netwk_create_forward(&w->ewk, &w->cur, net_eval_batch(&w->cur) < 250 ? net_eval_batch(&w->cur) : 250, err) != 0) {
        trainer_free(&w->t);
        set_status(w, SEV_ERROR, "cannot train: %s", err);
        return;
    }
    w->have_t = 1;
    w->ep_pub = 0;
    held_measure(w);
    long spe = trainer_steps_per_epoch(&w->t);
    long every = spe / 8 > 20 ? spe / 8 : 20;
    w->next_eval = w->t.step + every;
    w->finished = tc.epochs <= 0;
}

/* A new generation: history and counters restart around net (taken over). */
static void generation_start(Worker *w, Net *net) {
    if (w->have_t) {
        trainer_free(&w->t);
        netwk_free(&w->ewk);
        w->have_t = 0;
    }
    net_free(&w->cur);
    w->cur = *net;
    memset(net, 0, sizeof *net);
    w->step_base = w->samples_base = 0;
    w->epoch_base = 0;
    w->ttrain_base = 0;
    w->nevq = 0;
    w->finished = 0;
    w->sps = 0;
    w->view_stale = 1;
    w->view_next = 0;
    testview_release(w->view_new); /* a pass of the old network is no news */
    w->view_new = NULL;
    w->nfresh = 0;
    spool_release(w->spool);
    w->spool = spool_new();
    const TrainConfig *c = &w->cfg.train;
    RunInfo r = {{0}, c->opt, c->batch, c->schedule, c->lr, c->lr, c->lr, c->lr, 0, 0};
    snprintf(r.dataset, sizeof r.dataset, "%s", w->train.name);
    w->run = r;
    trainer_build(w);
    if (!w->have_t) held_measure(w);
    before_update(w, 1, 1); /* a new network: mixing, if on, begins from it */
    w->gen++;
}

/* Copies the thread's state into pub. Caller holds mu. */
static void publish_locked(Worker *w) {
    Snapshot *p = &w->pub;
    if (p->generation != w->gen) { /* a new generation goes out whole: its network, empty history */
        p->generation = w->gen;
        curve_init(&p->loss);
        p->nevals = 0;
    }
    net_copy_into(&p->net, live_net(w));
    for (long i = 0; i < w->nfresh; i++) curve_add(&p->loss, w->fresh[i]);
    w->nfresh = 0;
    if (p->spool != w->spool) {
        spool_release(p->spool);
        p->spool = spool_retain(w->spool);
    }
    p->run = w->run;
    if (w->nevq > 0 && snapshot_grow_evals(p, p->nevals + w->nevq) == 0) {
        memcpy(p->evals + p->nevals, w->evq, sizeof(EvalPoint) * (size_t)w->nevq);
        p->nevals += w->nevq;
        w->nevq = 0;
    }
    p->step = w->step_base + (w->have_t ? w->t.step : 0);
    p->epoch = w->epoch_base + (w->have_t ? w->t.epoch : 0);
    p->samples = w->samples_base + (w->have_t ? w->t.samples : 0);
    p->t_train = w->ttrain_base + (w->have_t ? w->t.t_train : 0);
    p->sps = w->sps;
    p->cfg = w->cfg;
    p->running = w->want_run;
    p->finished = w->finished;
    p->have_data = w->have_data;
    p->data_loading = w->data_pending;
    p->extra_n = w->extra.n;
    p->mix = w->mix;
    p->mix_per_batch = w->have_t ? w->mix_k : 0;
    p->train_n = w->train.n;
    p->held_n = w->held.n;
    p->held_right = w->held_right;
    p->held_before = w->have_before ? w->held_before : -1;
    p->held_step = w->held_step;
    p->gen_cause = w->gen_cause;
    if (w->status_new) {
        snprintf(p->status, sizeof p->status, "%s", w->status);
        p->status_sev = w->status_sev;
        p->status_seq++;
        w->status_new = 0;
    }
    if (w->view_new) {
        testview_release(p->view);
        p->view = w->view_new;
        w->view_new = NULL;
    }
    if (w->data_new) {
        snprintf(p->data_desc, sizeof p->data_desc, "%s", w->desc_new);
        if (w->data_new == 2) {
            memcpy(p->classes, w->train.classes, sizeof p->classes);
            snprintf(p->data_dir, sizeof p->data_dir, "%s", w->data_dir);
            p->data_seq++;
        }
        w->data_new = 0;
    }
    p->version++;
}

static void publish(Worker *w) {
    losses_drain(w);
    pthread_mutex_lock(&w->mu);
    publish_locked(w);
    pthread_mutex_unlock(&w->mu);
}

/* Takes over train and test (moved) as the data; publishes their names and description. */
static void data_install(Worker *w, Dataset *train, Dataset *test) {
    snprintf(w->desc_new, sizeof w->desc_new, "%s %d/%d", train->name, train->n, test->n);
    w->data_new = 2;
    w->train = *train;
    memset(train, 0, sizeof *train);
    snprintf(w->run.dataset, sizeof w->run.dataset, "%s", w->train.name);
    w->tshare = shared_new(test);
    w->have_data = 1;
    w->view_stale = 1;
    w->view_next = 0;
}

static void load_data(Worker *w) {
    char err[ERR_LEN];
    Dataset train = {0}, test = {0};
    w->data_pending = 0;
    if (dataset_load_dir(w->data_dir, &train, &test, err) == 0) {
        data_install(w, &train, &test);
        return;
    }
    snprintf(w->desc_new, sizeof w->desc_new, "no training data in %.100s", w->data_dir);
    w->data_new = 1;
    snprintf(w->status, sizeof w->status, "no training data (%.150s); run scripts/fetch_mnist.sh", err);
    w->status_sev = SEV_WARN;
    w->status_new = 1;
}

/* Evaluates the live net on the first eval_subset test images, queued as a curve point. */
static void eval_subset(Worker *w) {
    EvalResult ev;
    const Dataset *test = test_set(w);
    if (!test || evaluate(&w->t.net, &w->ewk, test, w->eval_subset, &ev, NULL) != 0) return;
    EvalPoint p = {w->step_base + w->t.step, w->epoch_base + w->t.epoch, ev.loss, ev.acc, 0};
    evq_push(w, p);
    held_measure(w);
}


/* Predicts the whole test set with the live network into a new view, published next time. The
 * next pass may start after 8x this one's time (at least 1.5 s), so it costs training ~12%. */
static void view_make(Worker *w) {
    const Dataset *test = test_set(w);
    const Net *net = live_net(w);
    w->view_stale = 0;
    if (!test || !net->params || net_inputs(net) != test->d) return;
    double t0 = time_now();
    char err[ERR_LEN];
    TestView *v = calloc(1, sizeof *v);
    NetWork wk = {0};
    int K = net_outputs(net);
    if (!v || netwk_create_forward(&wk, net, net_eval_batch(net) < 250 ? net_eval_batch(net) : 250, err) != 0) {
        free(v);
        return;
    }
    atomic_init(&v->refs, 1);
    v->pred = malloc((size_t)test->n);
    v->prob = xmalloc_array((size_t)test->n * (size_t)K, sizeof(float));
    if (!v->pred || !v->prob || confusion_predict(net, &wk, test, 0, v->pred, v->prob, v->confusion, err) < 0) {
        netwk_free(&wk);
        free(v->pred);
        free(v->prob);
        free(v);
        return;
    }
    netwk_free(&wk);
    atomic_fetch_add(&w->tshare->refs, 1);
    v->test = w->tshare;
    v->n = test->n;
    v->K = K;
    v->generation = w->gen;
    v->step = w->step_base + (w->have_t ? w->t.step : 0);
    v->acc = confusion_acc((const long(*)[CONF_K])v->confusion);
    testview_map(v, net, test, &w->emb_prev); /* best effort: without it the view has no map */
    v->seconds = time_now() - t0;
    testview_release(w->view_new);
    w->view_new = v;
    w->view_next = time_now() + (8 * v->seconds > 1.5 ? 8 * v->seconds : 1.5);
}

/* Runs up to max_steps steps, stopping early after budget seconds. Returns the steps taken. */
static long run_burst(Worker *w, long max_steps, double budget) {
    double t0 = time_now();
    long done = 0, s0 = w->t.samples;
    w->halted = 0;
    while (done < max_steps) {
        StepStatus st = trainer_step(&w->t);
        if (st == STEP_DONE) {
            w->finished = 1;
            set_status(w, SEV_INFO, "finished: %s; raise Epochs or press Reset to train more", trainer_stop_reason(&w->t));
            break;
        }
        if (st == STEP_NONFINITE || st == STEP_DIVERGED) {
            char msg[300];
            float lr = trainer_lr(&w->t);
            if (st == STEP_NONFINITE)
                snprintf(msg, sizeof msg, "the loss became NaN/Inf at learning rate %g: weights rolled back and training "
                         "paused; try %g or lower", (double)lr, (double)lr / 10);
            else
                snprintf(msg, sizeof msg, "the loss jumped to %.3g, %.0fx its recent level, at learning rate %g: training "
                         "paused and the weights went back to step %ld; try %g or lower", (double)w->t.diverged_loss,
                         (double)(w->t.diverged_loss / fmaxf(w->t.diverged_median, 1e-30f)), (double)lr,
                         w->step_base + w->t.backup_step, (double)lr / 10);
            set_status(w, SEV_ERROR, "%s", msg);
            w->run.stopped++;
            w->finished = 0;
            w->halted = 1;
            w->view_stale = 1;
            pthread_mutex_lock(&w->mu);
            w->want_run = 0;
            pthread_mutex_unlock(&w->mu);
            break;
        }
        if (st == STEP_ERROR) {
            set_status(w, SEV_ERROR, "%s", "training step failed");
            w->halted = 1;
            pthread_mutex_lock(&w->mu);
            w->want_run = 0;
            pthread_mutex_unlock(&w->mu);
            break;
        }
        done++;
        w->view_stale = 1;
        if (st == STEP_EPOCH) w->view_next = 0; /* a matrix for every finished epoch */
        int nep = w->t.hist.nepochs;
        for (; w->ep_pub < nep; w->ep_pub++) {
            const EpochRecord *r = &w->t.hist.epochs[w->ep_pub];
            if (isfinite(r->test_loss)) {
                EvalPoint p = {w->step_base + r->step, w->epoch_base + r->epoch, r->test_loss, r->test_acc, 1};
                evq_push(w, p);
            }
        }
        if (st == STEP_EPOCH) held_measure(w);
        if (w->t.cfg.opt != OPT_GD && w->t.step >= w->next_eval) {
            long spe = trainer_steps_per_epoch(&w->t);
            w->next_eval = w->t.step + (spe / 8 > 20 ? spe / 8 : 20);
            if (st != STEP_EPOCH) eval_subset(w);
        }
        if (time_now() - t0 >= budget) break;
    }
    double dt = time_now() - t0;
    if (dt > 0 && done > 0) {
        double now = (double)(w->t.samples - s0) / dt;
        w->sps = w->sps > 0 ? 0.7 * w->sps + 0.3 * now : now;
    }
    return done;
}

static void apply_config(Worker *w, const WorkerConfig *c) {
    uint64_t seed = w->cfg.train.seed; /* sizes and seed belong to the network in force until a reset */
    w->cfg.train = c->train;
    w->cfg.train.seed = seed;
    if (w->step_base + (w->have_t ? w->t.step : 0) == 0) { /* nothing trained yet: the run starts like this */
        RunInfo *r = &w->run;
        r->lr_first = r->lr_last = r->lr_min = r->lr_max = c->train.lr;
        r->opt = c->train.opt, r->batch = c->train.batch, r->schedule = c->train.schedule;
    } else {
        run_note(w, &w->cfg.train);
    }
    if (!w->have_t) return;
    TrainConfig tc = trainer_cfg(w);
    if (trainer_retune(&w->t, &tc)) {
        trainer_drop(w);
        trainer_build(w);
        return;
    }
    w->finished = w->t.stop_reason != STOP_NONE || w->t.epoch >= w->t.cfg.epochs;
}

/* New personal examples (extra, taken over; NULL keeps them) and the mix switch. Training is
 * rebuilt only when what it trains on changes. */
static void apply_extra(Worker *w, Dataset *extra, int mix) {
    int before = mixing(w);
    if (extra) {
        char err[ERR_LEN];
        Dataset fit = {0}, held = {0};
        if (personal_split(extra, &fit, &held, err) != 0) {
            set_status(w, SEV_ERROR, "cannot use your examples: %s", err);
            dataset_free(extra);
            return;
        }
        dataset_free(&w->extra);
        dataset_free(&w->fit);
        dataset_free(&w->held);
        w->extra = *extra;
        memset(extra, 0, sizeof *extra);
        w->fit = fit;
        w->held = held;
    }
    w->mix = mix;
    int after = mixing(w);
    if (extra) held_measure(w);
    before_update(w, !before && after, extra != NULL);
    if (!before && !after) return;
    if (!extra && before == after) return;
    trainer_drop(w);
    trainer_build(w);
}

/* Switches to the folder dir: everything that borrows the old data goes, then a fresh network. */
static void switch_data(Worker *w, const char *dir, const WorkerConfig *cfg) {
    char err[ERR_LEN];
    Dataset train = {0}, test = {0};
    pthread_mutex_lock(&w->mu);
    w->pub.data_loading = 1; /* the next sync shows it while the files load */
    w->pub.version++;
    pthread_mutex_unlock(&w->mu);
    int ok = dataset_load_dir(dir, &train, &test, err) == 0;
    if (ok && (train.d != 784 || test.d != 784)) {
        err_set(err, "%s holds %dx%d images; the window's networks read 28x28", dir, train.rows, train.cols);
        ok = 0;
    }
    if (!ok) {
        dataset_free(&train);
        dataset_free(&test);
        set_status(w, SEV_ERROR, "cannot use that data: %s", err);
        return;
    }
    if (w->have_t) {
        trainer_free(&w->t);
        netwk_free(&w->ewk);
        w->have_t = 0;
    }
    dataset_free(&w->train);
    dataset_free(&w->extra); /* personal examples belong to their dataset: the session sends the new one's */
    dataset_free(&w->fit);
    dataset_free(&w->held);
    w->have_before = 0;
    w->held_before = w->held_right = -1;
    shared_release(w->tshare); /* a view the UI holds keeps its own reference */
    w->tshare = NULL;
    testview_release(w->view_new);
    w->view_new = NULL;
    snprintf(w->data_dir, sizeof w->data_dir, "%s", dir);
    data_install(w, &train, &test);
    char msg[ERR_LEN];
    snprintf(msg, sizeof msg, "%.60s: %d training and %d test images; a fresh network", w->train.name, w->train.n,
             w->tshare ? w->tshare->data.n : 0);
    Net fresh = {0};
    if (net_create_str(&fresh, cfg->arch, err) == 0) {
        net_init_he(&fresh, cfg->train.seed);
        w->cfg = *cfg;
        w->gen_cause = GEN_DATA;
        generation_start(w, &fresh);
        set_status(w, SEV_INFO, "now on %s", msg);
    } else {
        set_status(w, SEV_ERROR, "data switched, but no fresh network: %s", err);
        trainer_build(w);
    }
}

static void *worker_main(void *arg) {
    Worker *w = arg;
    if (w->data_pending) {
        load_data(w);
        trainer_build(w);
    }
    publish(w);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && !w->kick && !w->reset_req && !w->cfg_req && !w->load_net && w->step_req == 0 &&
               !w->extra_req && w->mix_req < 0 && !w->data_req[0] &&
               !(w->want_run && w->have_t && !w->finished)) {
            if (!w->view_stale || !w->have_data) {
                pthread_cond_wait(&w->cv, &w->mu);
                continue;
            }
            /* a test-set pass is owed: wait for commands only until the throttle allows it */
            double left = w->view_next - time_now();
            if (left <= 0) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + (long)((left - floor(left)) * 1e9);
            ts.tv_sec += (time_t)floor(left) + ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        if (w->quit) break;
        /* take the commands, then act without the lock */
        Net *load = w->load_net;
        w->load_net = NULL;
        int reset = w->reset_req, cfgc = w->cfg_req;
        WorkerConfig rc = w->reset_cfg, nc = w->new_cfg;
        w->reset_req = w->cfg_req = 0;
        int steps = w->step_req;
        w->step_req = 0;
        Dataset *extra = w->extra_req;
        int mix = w->mix_req;
        w->extra_req = NULL;
        w->mix_req = -1;
        char data[1024];
        memcpy(data, w->data_req, sizeof data);
        WorkerConfig dc = w->data_cfg;
        w->data_req[0] = 0;
        int run = w->want_run;
        w->kick = 0;
        pthread_mutex_unlock(&w->mu);

        char err[ERR_LEN];
        if (data[0]) switch_data(w, data, &dc);
        if (load) {
            w->gen_cause = GEN_LOAD;
            generation_start(w, load);
            free(load);
        }
        if (reset) {
            Net fresh = {0};
            if (net_create_str(&fresh, rc.arch, err) == 0) {
                net_init_he(&fresh, rc.train.seed);
                w->cfg = rc;
                w->gen_cause = GEN_RESET;
                generation_start(w, &fresh);
            } else {
                set_status(w, SEV_ERROR, "reset failed: %s", err);
            }
        }
        if (cfgc) apply_config(w, &nc);
        if (extra || mix >= 0) {
            apply_extra(w, extra, mix >= 0 ? mix : w->mix);
            if (extra) {
                dataset_free(extra);
                free(extra);
            }
        }
        if (w->have_t && !w->finished && (run || steps > 0)) {
            double budget = (w->publish_ms > 0 ? w->publish_ms : 50) / 1000.0;
            long done = run_burst(w, run ? 1000000 : steps, budget);
            if (!run && done < steps && !w->finished && !w->halted) {
                /* the time budget ran out: the rest of the requested steps come next round */
                pthread_mutex_lock(&w->mu);
                if (!w->want_run) w->step_req += steps - (int)done;
                pthread_mutex_unlock(&w->mu);
            }
        } else if ((run || steps > 0) && !w->have_t) {
            set_status(w, SEV_ERROR, "%s", w->have_data ? "cannot train this network" : "no training data: run scripts/fetch_mnist.sh");
            pthread_mutex_lock(&w->mu);
            w->want_run = 0;
            pthread_mutex_unlock(&w->mu);
        } else if ((run || steps > 0) && w->finished) {
            set_status(w, SEV_INFO, "finished: %s; raise Epochs or press Reset to train more", "reached the epoch limit");
            pthread_mutex_lock(&w->mu);
            w->want_run = 0;
            pthread_mutex_unlock(&w->mu);
        }
        if (w->view_stale && w->have_data && time_now() >= w->view_next) view_make(w);
        losses_drain(w);
        pthread_mutex_lock(&w->mu);
        if (w->finished) w->want_run = 0;
        publish_locked(w);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Frees everything the worker holds, and the worker; its thread is not running. */
static void worker_free_state(Worker *w) {
    embed_free(&w->emb_prev);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    if (w->have_t) {
        trainer_free(&w->t);
        netwk_free(&w->ewk);
    }
    if (w->load_net) net_free(w->load_net);
    free(w->load_net);
    if (w->extra_req) dataset_free(w->extra_req);
    free(w->extra_req);
    net_free(&w->cur);
    dataset_free(&w->train);
    dataset_free(&w->extra);
    dataset_free(&w->fit);
    dataset_free(&w->held);
    net_free(&w->before);
    shared_release(w->tshare);
    testview_release(w->view_new);
    snapshot_free(&w->pub);
    spool_release(w->spool);
    free(w->fresh);
    free(w->evq);
    free(w);
}

Worker *worker_start(const WorkerSetup *setup, const Net *net, const WorkerConfig *cfg, char *err) {
    Worker *w = calloc(1, sizeof *w);
    if (!w) {
        err_set(err, "worker: out of memory");
        return NULL;
    }
    if (net_copy(&w->cur, net, err) != 0) {
        free(w);
        return NULL;
    }
    w->cfg = *cfg;
    net_arch_str(net, w->cfg.arch, sizeof w->cfg.arch);
    curve_init(&w->pub.loss);
    w->spool = spool_new();
    const TrainConfig *c = &w->cfg.train;
    w->run = (RunInfo){{0}, c->opt, c->batch, c->schedule, c->lr, c->lr, c->lr, c->lr, 0, 0};
    w->eval_subset = setup->eval_subset > 0 ? setup->eval_subset : 1000;
    w->mix_req = -1;
    w->held_right = w->held_before = -1;
    if (setup->extra) {
        if (personal_split(setup->extra, &w->fit, &w->held, err) != 0) {
            net_free(&w->cur);
            spool_release(w->spool);
            free(w);
            return NULL;
        }
        w->extra = *setup->extra;
        memset(setup->extra, 0, sizeof *setup->extra);
    }
    w->mix = setup->mix != 0;
    w->publish_ms = setup->publish_ms > 0 ? setup->publish_ms : 50;
    if (setup->train) {
        w->train = *setup->train;
        memset(setup->train, 0, sizeof *setup->train);
        snprintf(w->run.dataset, sizeof w->run.dataset, "%s", w->train.name);
        int ntest = 0;
        if (setup->test) {
            ntest = setup->test->n;
            w->tshare = shared_new(setup->test);
        }
        w->have_data = 1;
        w->view_stale = 1;
        snprintf(w->pub.data_desc, sizeof w->pub.data_desc, "%s %d/%d", w->train.name, w->train.n, ntest);
        memcpy(w->pub.classes, w->train.classes, sizeof w->pub.classes);
        w->pub.data_seq = 1;
    } else if (setup->data_dir && *setup->data_dir) {
        snprintf(w->data_dir, sizeof w->data_dir, "%s", setup->data_dir);
        w->data_pending = 1;
        snprintf(w->pub.data_desc, sizeof w->pub.data_desc, "loading data...");
    } else {
        snprintf(w->pub.data_desc, sizeof w->pub.data_desc, "no training data");
    }
    if (w->have_data) trainer_build(w);
    if (!w->have_t) held_measure(w);
    before_update(w, 1, 1); /* mixing from the start begins from this network */
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    publish_locked(w); /* before the thread exists, so the first sync already has a network */
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        err_set(err, "worker: cannot start the training thread");
        worker_free_state(w);
        return NULL;
    }
    return w;
}

void worker_stop(Worker *w, Snapshot *final) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (final) snapshot_copy(final, &w->pub, 0); /* the thread is gone: nothing else touches pub */
    worker_free_state(w);
}

void worker_set_running(Worker *w, int on) {
    pthread_mutex_lock(&w->mu);
    w->want_run = on != 0;
    w->kick = 1;
    w->pub.running = w->want_run; /* so the next sync already shows the new state */
    w->pub.version++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_step(Worker *w, int n) {
    pthread_mutex_lock(&w->mu);
    if (n > 0) w->step_req += n;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_reset(Worker *w, const WorkerConfig *cfg) {
    pthread_mutex_lock(&w->mu);
    w->reset_cfg = *cfg;
    w->reset_req = 1;
    w->cfg_req = 0; /* the reset carries the whole configuration */
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_configure(Worker *w, const WorkerConfig *cfg) {
    pthread_mutex_lock(&w->mu);
    w->new_cfg = *cfg;
    w->cfg_req = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_load(Worker *w, Net *net) {
    Net *n = malloc(sizeof *n);
    if (!n) {
        net_free(net);
        return;
    }
    *n = *net;
    memset(net, 0, sizeof *net);
    pthread_mutex_lock(&w->mu);
    if (w->load_net) {
        net_free(w->load_net);
        free(w->load_net);
    }
    w->load_net = n;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_set_data(Worker *w, const char *dir, const WorkerConfig *cfg) {
    pthread_mutex_lock(&w->mu);
    snprintf(w->data_req, sizeof w->data_req, "%s", dir && *dir ? dir : ".");
    w->data_cfg = *cfg;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_set_extra(Worker *w, Dataset *extra, int mix) {
    Dataset *e = NULL;
    if (extra) {
        e = malloc(sizeof *e);
        if (!e) {
            dataset_free(extra);
            return;
        }
        *e = *extra;
        memset(extra, 0, sizeof *extra);
    }
    pthread_mutex_lock(&w->mu);
    if (e) {
        if (w->extra_req) {
            dataset_free(w->extra_req);
            free(w->extra_req);
        }
        w->extra_req = e;
    }
    w->mix_req = mix != 0;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int worker_sync(Worker *w, Snapshot *dst) {
    pthread_mutex_lock(&w->mu);
    int rc = snapshot_copy(dst, &w->pub, 0);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int worker_sync_run(Worker *w, Snapshot *dst) {
    pthread_mutex_lock(&w->mu);
    int rc = snapshot_copy(dst, &w->pub, 1);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

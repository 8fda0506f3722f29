/* test_train_threads.c - training while reading, headless: one thread runs a Trainer and
 * publishes a copy of its parameters under a mutex every few steps; the main thread keeps
 * copying the latest snapshot under the same lock and runs net_forward on its copy, while the
 * kernels' thread pool is shared by both. Checks that every probability read is finite and sums
 * to 1, versions only grow, the reader saw many versions, and the loss on a fixed batch fell.
 * Written for ThreadSanitizer (scripts/hardening.sh builds it with -DDIGITREC_TSAN=ON); in the
 * normal build it is a plain unit test. Exits non-zero on any failure. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "kernels.h"
#include "net.h"
#include "train.h"

enum { SIDE = 8, D = SIDE * SIDE, K = 10, N_TRAIN = 600, STEPS = 300, PUBLISH_EVERY = 5, B = 16 };

/* What the trainer shares: a parameter copy and a version, guarded by mu. */
typedef struct {
    pthread_mutex_t mu;
    Net snap;               /* (nparams) the last published parameters */
    unsigned long version;  /* publishes so far */
    long step;              /* trainer step at the last publish */
    int done;               /* the trainer has stopped */
    int status;             /* 0 ok, else what went wrong in the trainer thread */
    pthread_cond_t cv;
    int reader_saw_first;   /* the reader has copied the first publish: however busy the machine,
                               it reads a snapshot while training goes on */
} Shared;

typedef struct {
    Shared *sh;
    const Net *init;
    const Dataset *train;
} TrainerArgs;

/* Digit k is a bright 3x3 blob at its own place on an 8x8 grid, plus seeded noise. */
static int make_dataset(Dataset *ds, int n, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    ds->x = malloc((size_t)n * D);
    ds->y = malloc((size_t)n);
    if (!ds->x || !ds->y) return -1;
    ds->n = n;
    ds->rows = ds->cols = SIDE;
    ds->d = D;
    ds->nclass = K;
    snprintf(ds->name, sizeof ds->name, "blobs");
    for (int k = 0; k < K; k++) snprintf(ds->classes[k], sizeof ds->classes[k], "%d", k);
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int k = i % K, cx = 1 + (k % 5) + (k / 5), cy = 1 + (k / 5) * 4 + (k % 2);
        uint8_t *px = ds->x + (size_t)i * D;
        for (int p = 0; p < D; p++) px[p] = (uint8_t)rng_below(&r, 40);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) px[(cy + dy) * SIDE + cx + dx] = (uint8_t)(200 + rng_below(&r, 56));
        ds->y[i] = (uint8_t)k;
    }
    return 0;
}

static void *trainer_main(void *arg) {
    TrainerArgs *a = arg;
    Shared *sh = a->sh;
    char err[ERR_LEN];
    TrainConfig cfg;
    train_config_default(&cfg, "custom");
    cfg.opt = OPT_MOMENTUM;
    cfg.lr = 0.05f;
    cfg.batch = 32;
    cfg.epochs = 1000;
    cfg.max_iters = STEPS;
    cfg.schedule = SCHED_CONST;
    Trainer t;
    int status = 0;
    if (trainer_create(&t, a->init, a->train, NULL, &cfg, err) != 0) {
        fprintf(stderr, "trainer_create: %s\n", err);
        status = 1;
    } else {
        for (;;) {
            StepStatus st = trainer_step(&t);
            if (st == STEP_DONE) break;
            if (st == STEP_ERROR || st == STEP_NONFINITE) {
                status = 2;
                break;
            }
            if (t.step % PUBLISH_EVERY == 0) {
                pthread_mutex_lock(&sh->mu);
                memcpy(sh->snap.params, t.net.params, sizeof(float) * t.net.nparams);
                sh->version++;
                sh->step = t.step;
                while (sh->version == 1 && !sh->reader_saw_first) pthread_cond_wait(&sh->cv, &sh->mu);
                pthread_mutex_unlock(&sh->mu);
            }
        }
        trainer_free(&t);
    }
    pthread_mutex_lock(&sh->mu);
    sh->done = 1;
    sh->status = status;
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* Forward pass of the reader's copy on batch x: probabilities finite, rows summing to 1.
 * Returns the loss, or NAN when a check failed. */
static double read_and_check(const Net *net, NetWork *wk, const float *x, const int *y) {
    double loss = net_forward(net, wk, x, y, B);
    const float *p = net_probs(net, wk);
    for (int i = 0; i < B; i++) {
        double s = 0;
        for (int k = 0; k < K; k++) {
            if (!isfinite(p[i * K + k]) || p[i * K + k] < 0) return NAN;
            s += p[i * K + k];
        }
        if (fabs(s - 1.0) > 1e-4) return NAN;
    }
    return loss;
}

int main(void) {
    char err[ERR_LEN];
    /* Both threads use the kernels, and the pool when it has workers: the window's case. */
    kernels_set_threads(2);
    Dataset train;
    CHECK(make_dataset(&train, N_TRAIN, 7) == 0, "dataset");
    int sizes[] = {D, 32, 16, K};
    Net init = {0}, mine = {0};
    CHECK(net_create(&init, sizes, 3, BIAS_NEURON, 0, err) == 0, "net_create: %s", err);
    net_init_he(&init, 3);
    Shared sh = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    CHECK(net_copy(&sh.snap, &init, err) == 0, "net_copy: %s", err);
    CHECK(net_copy(&mine, &init, err) == 0, "net_copy: %s", err);
    NetWork wk;
    CHECK(netwk_create(&wk, &mine, B, err) == 0, "netwk_create: %s", err);
    float x[B * D];
    int y[B];
    dataset_slice(&train, 0, B, x, y);
    if (check_failed) return check_summary("train_threads");

    double first_loss = read_and_check(&mine, &wk, x, y);
    CHECK(isfinite(first_loss), "initial forward is not finite");

    TrainerArgs args = {&sh, &init, &train};
    pthread_t tid;
    CHECK(pthread_create(&tid, NULL, trainer_main, &args) == 0, "pthread_create");

    unsigned long last = 0, seen = 0;
    long reads = 0, last_step = 0;
    int done = 0, bad_reads = 0, went_back = 0;
    double loss = first_loss;
    while (!done) {
        int fresh = 0;
        pthread_mutex_lock(&sh.mu);
        if (sh.version < last) went_back++;
        if (sh.version != last) {
            memcpy(mine.params, sh.snap.params, sizeof(float) * mine.nparams);
            last = sh.version;
            last_step = sh.step;
            fresh = 1;
            sh.reader_saw_first = 1;
            pthread_cond_signal(&sh.cv);
        }
        done = sh.done;
        pthread_mutex_unlock(&sh.mu);
        if (fresh) {
            seen++;
            loss = read_and_check(&mine, &wk, x, y);
            if (isnan(loss)) bad_reads++;
        } else {
            /* Keep reading the same copy: the UI redraws between publishes too. */
            if (isnan(read_and_check(&mine, &wk, x, y))) bad_reads++;
        }
        reads++;
    }
    pthread_join(tid, NULL);
    CHECK(sh.status == 0, "trainer thread failed (status %d)", sh.status);
    CHECK(went_back == 0, "snapshot version went backwards %d times", went_back);
    CHECK(bad_reads == 0, "%d of %ld forward passes gave non-finite or unnormalised probabilities", bad_reads, reads);
    CHECK(last == STEPS / PUBLISH_EVERY, "final version %lu, want %d", last, STEPS / PUBLISH_EVERY);
    CHECK(last_step == STEPS, "last snapshot from step %ld, want %d", last_step, STEPS);
    CHECK(seen >= 2, "the reader saw only %lu versions", seen);
    CHECK(loss < 0.8 * first_loss, "loss on the fixed batch %.4f, started at %.4f: did the snapshot train?", loss,
          first_loss);
    printf("train_threads: %ld reads, %lu of %lu versions seen, loss %.4f -> %.4f\n", reads, seen, last, first_loss,
           loss);

    netwk_free(&wk);
    net_free(&mine);
    net_free(&sh.snap);
    net_free(&init);
    dataset_free(&train);
    return check_summary("train_threads");
}

/* test_train_cnn.c - the trainer on layer stacks: every optimiser learns a 28x28 toy task with a
 * CNN, training is bit-identical for 1 and 2 threads with and without augmentation (and the
 * augmentation changes it), augmentation can be switched on mid-run, divergence is caught and the
 * last good weights come back, target accuracy stops it, evaluation agrees with a plain forward,
 * and (with MNIST present) the cnn preset passes 95% after 300 steps. Exits non-zero on failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "kernels.h"
#include "net.h"
#include "places.h"
#include "train.h"

#define ARCH "conv4k5-relu-pool-conv6k3s2-relu-fc4"

/* class = which quarter of the 28x28 image holds a bright blob, with some noise elsewhere */
static void toy28(Dataset *ds, int n, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    ds->n = n, ds->rows = 28, ds->cols = 28, ds->d = 784, ds->nclass = 4;
    ds->x = calloc((size_t)n * 784, 1);
    ds->y = calloc((size_t)n, 1);
    snprintf(ds->name, sizeof ds->name, "toy28");
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = (int)rng_below(&r, 4);
        ds->y[i] = (uint8_t)c;
        int oy = (c / 2) * 14 + 3, ox = (c % 2) * 14 + 3;
        for (int k = 0; k < 30; k++) {
            int py = oy + (int)rng_below(&r, 8), px = ox + (int)rng_below(&r, 8);
            ds->x[i * 784 + py * 28 + px] = (uint8_t)(128 + rng_below(&r, 128));
        }
        for (int k = 0; k < 10; k++) ds->x[i * 784 + rng_below(&r, 784)] = (uint8_t)rng_below(&r, 80);
    }
}

/* Trains a copy of init under cfg to the end; the result in out, the last epoch's record in rec. */
static int train(const Net *init, const Dataset *tr, const Dataset *te, const TrainConfig *cfg, Net *out,
                 EpochRecord *rec) {
    Trainer t;
    char err[ERR_LEN];
    if (trainer_create(&t, init, tr, te, cfg, err) != 0) {
        CHECK(0, "trainer_create: %s", err);
        return -1;
    }
    StepStatus st;
    while ((st = trainer_step(&t)) != STEP_DONE)
        if (st == STEP_NONFINITE || st == STEP_DIVERGED) break;
    if (rec && t.hist.nepochs) *rec = t.hist.epochs[t.hist.nepochs - 1];
    int rc = net_copy(out, &t.net, err);
    trainer_free(&t);
    return rc;
}

static int same_params(const Net *a, const Net *b) {
    return a->nparams == b->nparams && memcmp(a->params, b->params, sizeof(float) * a->nparams) == 0;
}

int main(void) {
    char err[ERR_LEN];
    Dataset tr, te;
    toy28(&tr, 512, 1);
    toy28(&te, 256, 2);
    Net init;
    CHECK(net_create_str(&init, ARCH, err) == 0, "%s", err);
    net_init_he(&init, 3);
    kernels_set_threads(1);

    /* every optimiser learns it */
    static const struct {
        OptKind k;
        float lr;
        int epochs;
    } opts[] = {{OPT_GD, 0.5f, 30}, {OPT_SGD, 0.05f, 4}, {OPT_MOMENTUM, 0.02f, 4}, {OPT_ADAM, 0.002f, 4}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        TrainConfig c;
        train_config_default(&c, "custom");
        c.opt = opts[i].k, c.lr = opts[i].lr, c.epochs = opts[i].epochs, c.batch = 32;
        Net out = {0};
        EpochRecord rec = {0};
        if (train(&init, &tr, &te, &c, &out, &rec) == 0) {
            CHECK(rec.test_acc > 0.9 && net_all_finite(&out), "%s: test accuracy %.3f after %d epochs", optim_name(c.opt),
                  rec.test_acc, rec.epoch);
            /* evaluate agrees with a plain forward pass */
            NetWork wk;
            EvalResult ev;
            if (netwk_create_forward(&wk, &out, 100, err) == 0 && evaluate(&out, &wk, &te, 0, &ev, err) == 0) {
                float x[784];
                long right = 0;
                for (int n = 0; n < te.n; n++) {
                    for (int p = 0; p < 784; p++) x[p] = te.x[(size_t)n * 784 + p] / 255.0f;
                    net_forward(&out, &wk, x, NULL, 1);
                    const float *pr = net_probs(&out, &wk);
                    int best = 0;
                    for (int k = 1; k < 4; k++) best = pr[k] > pr[best] ? k : best;
                    right += best == te.y[n];
                }
                CHECK(fabs(ev.acc - (double)right / te.n) < 1e-12 && fabs(ev.acc - rec.test_acc) < 1e-12,
                      "%s: evaluate %.4f, one by one %.4f, the epoch record %.4f", optim_name(c.opt), ev.acc,
                      (double)right / te.n, rec.test_acc);
                netwk_free(&wk);
            }
        }
        net_free(&out);
    }

    /* 1 and 2 threads give the same bits, with and without augmentation; augmentation changes it */
    TrainConfig c;
    train_config_default(&c, "cnn");
    c.epochs = 2, c.batch = 32, c.lr = 0.02f;
    Net r[2][2] = {{{0}}};
    for (int aug = 0; aug < 2; aug++)
        for (int th = 1; th <= 2; th++) {
            kernels_set_threads(th);
            c.augment = aug;
            train(&init, &tr, NULL, &c, &r[aug][th - 1], NULL);
        }
    kernels_set_threads(1);
    CHECK(same_params(&r[0][0], &r[0][1]), "plain: 1 and 2 threads differ");
    CHECK(same_params(&r[1][0], &r[1][1]), "augmented: 1 and 2 threads differ");
    CHECK(!same_params(&r[0][0], &r[1][0]), "augmentation changed nothing");
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) net_free(&r[i][j]);

    /* switched on mid-run, it applies from the next step; a 8x8 set is refused */
    {
        Trainer t;
        c.augment = 0;
        CHECK(trainer_create(&t, &init, &tr, NULL, &c, err) == 0, "%s", err);
        for (int i = 0; i < 5; i++) trainer_step(&t);
        TrainConfig on = t.cfg;
        on.augment = 1;
        CHECK(trainer_retune(&t, &on) == 0 && t.cfg.augment == 1, "retune takes augmentation");
        CHECK(trainer_step(&t) == STEP_OK, "a step with it");
        trainer_free(&t);
        Dataset small = tr;
        small.rows = small.cols = 8;
        c.augment = 1;
        CHECK(trainer_create(&t, &init, &small, NULL, &c, err) != 0 && strstr(err, "28x28"), "8x8 refused: %s", err);
        c.augment = 0;
    }

    /* divergence: a rate that blows the CNN up is caught, the weights go back to good ones */
    {
        Trainer t;
        TrainConfig d = c;
        d.lr = 1e-4f, d.epochs = 50; /* slow: the gradient is still large when the rate jumps */
        CHECK(trainer_create(&t, &init, &tr, NULL, &d, err) == 0, "%s", err);
        for (int i = 0; i < 60; i++) trainer_step(&t);
        TrainConfig hot = t.cfg;
        hot.lr = 1e4f;
        trainer_retune(&t, &hot);
        StepStatus st = STEP_OK;
        for (int i = 0; i < 50 && (st == STEP_OK || st == STEP_EPOCH); i++) st = trainer_step(&t);
        CHECK(st == STEP_DIVERGED || st == STEP_NONFINITE, "a rate of 1e4 was not caught (status %d)", (int)st);
        CHECK(net_all_finite(&t.net), "the restored CNN is finite");
        trainer_free(&t);
    }

    /* the target accuracy stops it at an epoch end */
    {
        Net out = {0};
        EpochRecord rec = {0};
        TrainConfig s = c;
        s.epochs = 40, s.target_acc = 0.9;
        train(&init, &tr, &te, &s, &out, &rec);
        CHECK(rec.test_acc >= 0.9 && rec.epoch < 40, "target: %.3f at epoch %d", rec.test_acc, rec.epoch);
        net_free(&out);
    }

    /* MNIST: the preset learns in 300 steps */
    PlacesEnv env;
    places_env_from_process(&env);
    char dir[PLACES_PATH_LEN];
    Dataset mtr = {0}, mte = {0};
    if (places_mnist_dir(dir, sizeof dir, &env, NULL, err) == 0 && dataset_load_dir(dir, &mtr, &mte, err) == 0) {
        Net cnn;
        CHECK(net_create_str(&cnn, "cnn", err) == 0, "%s", err);
        net_init_he(&cnn, 1);
        TrainConfig m;
        train_config_default(&m, "cnn");
        m.max_iters = 300;
        m.augment = 1;
        kernels_set_threads(2);
        Trainer t;
        CHECK(trainer_create(&t, &cnn, &mtr, &mte, &m, err) == 0, "%s", err);
        while (trainer_step(&t) == STEP_OK) {
        }
        NetWork wk;
        EvalResult ev;
        CHECK(netwk_create_forward(&wk, &t.net, 250, err) == 0 && evaluate(&t.net, &wk, &mte, 0, &ev, err) == 0, "%s", err);
        CHECK(ev.acc > 0.95, "cnn after 300 augmented steps: %.4f", ev.acc);
        printf("train_cnn: MNIST cnn preset, 300 augmented steps: test accuracy %.4f\n", ev.acc);
        netwk_free(&wk);
        trainer_free(&t);
        net_free(&cnn);
        dataset_free(&mtr);
        dataset_free(&mte);
    } else {
        printf("train_cnn: no MNIST (%s): the real run is skipped\n", err);
    }
    net_free(&init);
    dataset_free(&tr);
    dataset_free(&te);
    return check_summary("train_cnn");
}

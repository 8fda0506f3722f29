/* test_train_mix.c - the trainer's mixing hook (trainer_set_extra) and the held-out split
 * (personal_split) on small synthetic sets: no hook is bit for bit no hook; each batch ends with
 * k picks of the extra set that depend on (seed, step) alone; an epoch is one pass over the
 * training set; dense nets, layer stacks and augmentation; refusals leave the trainer as it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "fixtures.h"
#include "net.h"
#include "personal.h"
#include "train.h"

/* n images of a pattern the fixture set lacks: class k lights up columns 2k+4 and 2k+5. */
static void column_set(Dataset *ds, int n, uint64_t seed) {
    fixture_dataset(ds, n, seed);
    for (int i = 0; i < n; i++) {
        int k = ds->y[i];
        for (int p = 0; p < 784; p++) {
            int col = p % 28, on = col == 2 * k + 4 || col == 2 * k + 5;
            ds->x[(size_t)i * 784 + p] = (uint8_t)(on ? 230 : 10);
        }
    }
}

static void split_checks(void) {
    char err[ERR_LEN];
    Dataset all = {0}, fit, held;
    uint8_t img[784];
    /* 12 of class 3, 5 of class 1, 4 of class 7, interleaved; pixel 0 numbers them */
    int labels[21], n3 = 0, n1 = 0, n7 = 0;
    for (int i = 0; i < 21; i++) {
        int c = i % 3 == 0 && n1 < 5 ? 1 : (n3 < 12 ? 3 : 7);
        if (c == 7 && n7 >= 4) c = 1;
        n1 += c == 1, n3 += c == 3, n7 += c == 7;
        labels[i] = c;
        memset(img, 0, sizeof img);
        img[0] = (uint8_t)i;
        CHECK(personal_append(&all, img, c, err) == 0, "append: %s", err);
    }
    CHECK(personal_split(&all, &fit, &held, err) == 0, "split: %s", err);
    /* expected: the 5th and 10th of class 3, the 5th of class 1 */
    int want[21], nw = 0, seen[10] = {0};
    for (int i = 0; i < 21; i++)
        if (++seen[labels[i]] % 5 == 0) want[nw++] = i;
    CHECK(nw == 3 && held.n == 3 && fit.n == 18, "3 held out (%d), 18 to train on (%d)", held.n, fit.n);
    for (int j = 0; j < held.n && j < nw; j++)
        CHECK(held.x[(size_t)j * 784] == want[j] && held.y[j] == labels[want[j]], "held-out %d is example %d", j, want[j]);
    int order = 1;
    for (int j = 1; j < fit.n; j++) order &= fit.x[(size_t)j * 784] > fit.x[(size_t)(j - 1) * 784];
    CHECK(order && fit.rows == 28 && !strcmp(fit.name, "personal") && !strcmp(held.classes[3], "3"),
          "order, size, name and classes kept");
    /* one more of class 7 (its 5th) is held out; nothing else moves */
    memset(img, 0, sizeof img);
    img[0] = 21;
    personal_append(&all, img, 7, err);
    Dataset fit2, held2;
    CHECK(personal_split(&all, &fit2, &held2, err) == 0 && held2.n == 4 && fit2.n == 18 &&
              !memcmp(fit2.x, fit.x, (size_t)fit.n * 784) && !memcmp(held2.x, held.x, (size_t)held.n * 784) &&
              held2.x[3 * 784] == 21 && held2.y[3] == 7,
          "adding the 5th of a class holds it out and moves no other");
    dataset_free(&fit2), dataset_free(&held2), dataset_free(&fit), dataset_free(&held);
    Dataset none = {0}, f0, h0;
    CHECK(personal_split(&none, &f0, &h0, err) == 0 && f0.n == 0 && h0.n == 0 && !f0.x && !h0.x, "empty: empty");
    dataset_free(&all);
}

static int net_make(Net *net, const char *arch, uint64_t seed) {
    char err[ERR_LEN];
    if (net_create_str(net, arch, err) != 0) {
        fprintf(stderr, "%s: %s\n", arch, err);
        return -1;
    }
    net_init_he(net, seed);
    return 0;
}

static int params_equal(const Trainer *a, const Trainer *b) {
    return a->net.nparams == b->net.nparams && !memcmp(a->net.params, b->net.params, sizeof(float) * a->net.nparams);
}

static void hook_checks(const char *arch, int augment) {
    char err[ERR_LEN];
    Dataset train, test, extra;
    fixture_dataset(&train, 300, 5);
    fixture_dataset(&test, 100, 6);
    column_set(&extra, 20, 7);
    Net net = {0};
    if (net_make(&net, arch, 3) != 0) {
        CHECK(0, "network %s", arch);
        return;
    }
    TrainConfig cfg;
    train_config_default(&cfg, "mlp");
    cfg.batch = 32, cfg.lr = 0.05f, cfg.seed = 9, cfg.augment = augment, cfg.epochs = 3;
    Trainer a, b, c, d;
    CHECK(trainer_create(&a, &net, &train, &test, &cfg, err) == 0, "create: %s", err);
    CHECK(trainer_create(&b, &net, &train, &test, &cfg, err) == 0, "create: %s", err);
    CHECK(trainer_set_extra(&b, NULL, 0, err) == 0 && b.extra == NULL, "no set: nothing");
    CHECK(trainer_set_extra(&b, &extra, 4, err) == 0 && trainer_set_extra(&b, &extra, 0, err) == 0 && !b.extra,
          "set then removed");
    for (int s = 0; s < 15; s++) trainer_step(&a), trainer_step(&b);
    CHECK(params_equal(&a, &b) && a.samples == b.samples && trainer_steps_per_epoch(&b) == 10,
          "%s%s: a trainer whose set was removed is bit for bit one that never had it", arch, augment ? " aug" : "");

    /* k = 4 of 32: 28 training images a batch, an epoch of ceil(300/28) = 11 steps */
    CHECK(trainer_create(&c, &net, &train, &test, &cfg, err) == 0 && trainer_set_extra(&c, &extra, 4, err) == 0,
          "set: %s", err);
    CHECK(trainer_steps_per_epoch(&c) == 11, "11 steps an epoch: %ld", trainer_steps_per_epoch(&c));
    CHECK(trainer_create(&d, &net, &train, &test, &cfg, err) == 0 && trainer_set_extra(&d, &extra, 4, err) == 0,
          "set: %s", err);
    int rows_ok = 1, distinct = 1, used[20] = {0};
    float lr0 = trainer_lr(&c);
    for (int s = 0; s < 11; s++) {
        StepStatus st = trainer_step(&c);
        trainer_step(&d);
        CHECK(st == (s == 10 ? STEP_EPOCH : STEP_OK), "step %d: %d", s, st);
        int bm = s < 10 ? 28 : 300 - 280; /* the last batch: the 20 images left, then the 4 picks */
        for (int j = 0; j < 4; j++) {
            int e = c.extra_idx[j];
            used[e]++;
            for (int i = 0; i < j; i++) distinct &= c.extra_idx[i] != e;
            rows_ok &= e == d.extra_idx[j] && c.yb[bm + j] == extra.y[e];
            if (!augment)
                for (int p = 0; p < 784; p++)
                    rows_ok &= fabsf(c.xb[(size_t)(bm + j) * 784 + p] - extra.x[(size_t)e * 784 + p] / 255.0f) < 1e-6f;
        }
    }
    int nused = 0;
    for (int e = 0; e < 20; e++) nused += used[e] > 0;
    CHECK(rows_ok, "each batch ends with its 4 picks, images and labels");
    CHECK(distinct && nused >= 12, "picks distinct within a batch, %d of 20 used in 44", nused);
    CHECK(c.epoch == 1 && c.samples == 300 + 11 * 4 && c.pos == 0, "one epoch = every training image once (+44 picks): %ld",
          c.samples);
    CHECK(params_equal(&c, &d) && isfinite(c.hist.step_loss[10]), "same seed, same run, bit for bit");
    CHECK(!params_equal(&a, &c), "the picks change the training");
    CHECK(lr0 == cfg.lr, "the schedule's first rate");
    CHECK(trainer_set_extra(&c, &extra, 2, err) == -1 && c.extra_k == 4 && strstr(err, "before the first step"),
          "refused after a step: %s", err);

    /* the picks depend on (seed, step) only: not on the training set */
    Dataset other;
    fixture_dataset(&other, 500, 8);
    Trainer e;
    CHECK(trainer_create(&e, &net, &other, NULL, &cfg, err) == 0 && trainer_set_extra(&e, &extra, 4, err) == 0, "other");
    Trainer f;
    trainer_create(&f, &net, &train, NULL, &cfg, err);
    trainer_set_extra(&f, &extra, 4, err);
    int same = 1;
    for (int s = 0; s < 5; s++) {
        trainer_step(&e), trainer_step(&f);
        for (int j = 0; j < 4; j++) same &= e.extra_idx[j] == f.extra_idx[j];
    }
    CHECK(same, "the same picks whatever the training set");
    trainer_free(&e), trainer_free(&f);
    dataset_free(&other);

    /* refusals leave the trainer as it was */
    Trainer g;
    trainer_create(&g, &net, &train, NULL, &cfg, err);
    CHECK(trainer_set_extra(&g, &extra, 32, err) == -1 && !g.extra, "k = batch refused: %s", err);
    Dataset small = {0};
    small.n = 1, small.rows = small.cols = 10, small.d = 100;
    uint8_t px[100] = {0}, lab = 1;
    small.x = px, small.y = &lab;
    CHECK(trainer_set_extra(&g, &small, 2, err) == -1 && !g.extra, "10x10 refused: %s", err);
    extra.y[3] = 12;
    CHECK(trainer_set_extra(&g, &extra, 2, err) == -1 && !g.extra, "label 12 refused: %s", err);
    extra.y[3] = 3;
    Dataset empty = extra;
    empty.n = 0;
    CHECK(trainer_set_extra(&g, &empty, 2, err) == -1 && !g.extra, "empty refused: %s", err);
    trainer_free(&g);

    trainer_free(&a), trainer_free(&b), trainer_free(&c), trainer_free(&d);
    net_free(&net);
    dataset_free(&train), dataset_free(&test), dataset_free(&extra);
}

/* The point of it: a pattern the training set lacks is learnt from the extra set, without the
 * training set's accuracy falling. */
static void learning_checks(void) {
    char err[ERR_LEN];
    Dataset train, test, extra, held;
    fixture_dataset(&train, 2000, 11);
    fixture_dataset(&test, 500, 12);
    column_set(&extra, 60, 13);
    column_set(&held, 200, 14);
    Net net = {0};
    net_make(&net, "784-64-10", 4);
    TrainConfig cfg;
    train_config_default(&cfg, "mlp");
    cfg.batch = 32, cfg.lr = 0.05f, cfg.seed = 2, cfg.epochs = 2, cfg.schedule = SCHED_CONST;
    double acc[2][2];
    for (int mix = 0; mix < 2; mix++) {
        Trainer t;
        CHECK(trainer_create(&t, &net, &train, &test, &cfg, err) == 0, "%s", err);
        if (mix) trainer_set_extra(&t, &extra, train_extra_per_batch(cfg.batch, extra.n), err);
        while (trainer_step(&t) != STEP_DONE) {
        }
        NetWork wk;
        netwk_create_forward(&wk, &t.net, 250, err);
        EvalResult ev;
        evaluate(&t.net, &wk, &held, 0, &ev, err);
        acc[mix][0] = ev.acc;
        evaluate(&t.net, &wk, &test, 0, &ev, err);
        acc[mix][1] = ev.acc;
        netwk_free(&wk);
        trainer_free(&t);
    }
    printf("train_mix: new pattern %.1f%% -> %.1f%% with %d a batch; the set's own %.1f%% -> %.1f%%\n",
           100 * acc[0][0], 100 * acc[1][0], train_extra_per_batch(32, 60), 100 * acc[0][1], 100 * acc[1][1]);
    CHECK(acc[1][0] > acc[0][0] + 0.5, "mixing teaches the new pattern: %.3f -> %.3f", acc[0][0], acc[1][0]);
    CHECK(acc[1][1] >= acc[0][1] - 0.01, "and keeps the old: %.3f -> %.3f", acc[0][1], acc[1][1]);
    CHECK(train_extra_per_batch(64, 160) == 4 && train_extra_per_batch(64, 2) == 2 && train_extra_per_batch(8, 50) == 1 &&
              train_extra_per_batch(64, 0) == 0 && train_extra_per_batch(1, 5) == 0 && train_extra_per_batch(2, 5) == 1,
          "per-batch counts");
    net_free(&net);
    dataset_free(&train), dataset_free(&test), dataset_free(&extra), dataset_free(&held);
}

int main(void) {
    split_checks();
    hook_checks("784-32-10", 0);
    hook_checks("784-32-10", 1);
    hook_checks("conv4k5-relu-pool-fc10", 0);
    learning_checks();
    return check_summary("train_mix");
}

/* test_train.c - the training loop: determinism, GD = the notes' update, stop criteria,
 * history, non-finite roll-back, and a real MNIST run when the data is present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "places.h"
#include "common.h"
#include "dataset.h"
#include "kernels.h"
#include "net.h"
#include "train.h"

/* A learnable toy set: class = which quarter of the 8x8 image holds a bright blob. */
static void toy_dataset(Dataset *ds, int n, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    ds->n = n, ds->rows = 8, ds->cols = 8, ds->d = 64, ds->nclass = 4;
    ds->x = calloc((size_t)n * 64, 1);
    ds->y = calloc((size_t)n, 1);
    snprintf(ds->name, sizeof ds->name, "toy");
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = (int)rng_below(&r, 4);
        ds->y[i] = (uint8_t)c;
        int oy = (c / 2) * 4, ox = (c % 2) * 4;
        for (int k = 0; k < 6; k++) {
            int py = oy + (int)rng_below(&r, 4), px = ox + (int)rng_below(&r, 4);
            ds->x[i * 64 + py * 8 + px] = (uint8_t)(128 + rng_below(&r, 128));
        }
        for (int k = 0; k < 2; k++) ds->x[i * 64 + rng_below(&r, 64)] = (uint8_t)rng_below(&r, 60);
    }
}

static void run(const Net *init, const Dataset *tr, const Dataset *te, const TrainConfig *cfg, Net *out) {
    Trainer t;
    char err[ERR_LEN];
    if (trainer_create(&t, init, tr, te, cfg, err) != 0) {
        CHECK(0, "trainer_create: %s", err);
        return;
    }
    while (trainer_step(&t) != STEP_DONE) {
    }
    net_copy(out, &t.net, err);
    trainer_free(&t);
}

int main(void) {
    char err[ERR_LEN];
    Dataset tr, te;
    toy_dataset(&tr, 600, 1);
    toy_dataset(&te, 200, 2);
    int sizes[] = {64, 16, 4};
    Net net;
    net_create(&net, sizes, 2, BIAS_NEURON, 0, err);
    net_init_he(&net, 5);

    /* determinism: same seed and thread count, bit-identical weights; another seed differs */
    for (int threads = 1; threads <= 2; threads++) {
        kernels_set_threads(threads);
        TrainConfig cfg;
        train_config_default(&cfg, "mlp");
        cfg.epochs = 3;
        cfg.batch = 32;
        Net a = {0}, b = {0}, c = {0};
        run(&net, &tr, &te, &cfg, &a);
        run(&net, &tr, &te, &cfg, &b);
        cfg.seed = 2;
        run(&net, &tr, &te, &cfg, &c);
        CHECK(a.params && b.params && memcmp(a.params, b.params, a.nparams * 4) == 0,
              "threads=%d: same seed must give identical weights", threads);
        CHECK(c.params && memcmp(a.params, c.params, a.nparams * 4) != 0, "threads=%d: other shuffle seed differs", threads);
        net_free(&a), net_free(&b), net_free(&c);
    }
    kernels_set_threads(1);

    /* gd: one step = theta - lr * gradient of the mean loss over ALL images */
    {
        TrainConfig cfg;
        train_config_default(&cfg, "mlp");
        cfg.opt = OPT_GD;
        cfg.lr = 0.3f;
        cfg.schedule = SCHED_CONST;
        cfg.epochs = 1;
        Trainer t;
        CHECK(trainer_create(&t, &net, &tr, &te, &cfg, err) == 0, "%s", err);
        NetWork wk;
        netwk_create(&wk, &net, tr.n, err);
        float *x = malloc(sizeof(float) * tr.n * 64), *g = malloc(sizeof(float) * net.nparams);
        int *y = malloc(sizeof(int) * tr.n);
        dataset_slice(&tr, 0, tr.n, x, y);
        double loss0 = net_forward(&net, &wk, x, y, tr.n);
        net_backward(&net, &wk, g, x, y, tr.n);
        CHECK(trainer_step(&t) == STEP_EPOCH, "a gd step is an epoch");
        float worst = 0;
        for (size_t i = 0; i < net.nparams; i++) worst = fmaxf(worst, fabsf(t.net.params[i] - (net.params[i] - 0.3f * g[i])));
        CHECK(worst < 1e-5f, "gd step matches theta - lr*grad (max diff %g)", worst);
        CHECK(fabs(t.hist.step_loss[0] - loss0) < 1e-5, "recorded loss is the full-batch loss");
        CHECK(trainer_step(&t) == STEP_DONE && t.stop_reason == 1, "stops at the epoch limit");
        /* gd with a small rate: the full-batch loss never goes up */
        trainer_free(&t);
        cfg.epochs = 40;
        cfg.lr = 0.1f;
        trainer_create(&t, &net, &tr, NULL, &cfg, err);
        while (trainer_step(&t) != STEP_DONE) {
        }
        int mono = 1;
        for (long s = 1; s < t.hist.nsteps; s++) mono &= t.hist.step_loss[s] <= t.hist.step_loss[s - 1] + 1e-6f;
        CHECK(mono && t.hist.nsteps == 40, "gd loss decreases monotonically over %ld steps", t.hist.nsteps);
        trainer_free(&t);
        /* tol: stops once the change between iterations is negligible */
        cfg.epochs = 100000;
        cfg.tol = 1e-4;
        trainer_create(&t, &net, &tr, NULL, &cfg, err);
        while (trainer_step(&t) != STEP_DONE) {
        }
        long n = t.hist.nsteps;
        CHECK(t.stop_reason == 3 && n > 2 && n < 100000, "tol stop after %ld iterations (reason %d)", n, t.stop_reason);
        CHECK(n >= 2 && fabs(t.hist.step_loss[n - 1] - t.hist.step_loss[n - 2]) < 1e-4, "last change below tol");
        trainer_free(&t);
        netwk_free(&wk);
        free(x), free(g), free(y);
    }

    /* max iterations, target accuracy, history CSV */
    {
        TrainConfig cfg;
        train_config_default(&cfg, "mlp");
        cfg.batch = 50;
        cfg.max_iters = 7;
        Trainer t;
        trainer_create(&t, &net, &tr, &te, &cfg, err);
        while (trainer_step(&t) != STEP_DONE) {
        }
        CHECK(t.step == 7 && t.stop_reason == 2, "max_iters: %ld steps", t.step);
        trainer_free(&t);
        cfg.max_iters = 0;
        cfg.epochs = 50;
        cfg.target_acc = 0.9;
        trainer_create(&t, &net, &tr, &te, &cfg, err);
        while (trainer_step(&t) != STEP_DONE) {
        }
        CHECK(t.stop_reason == 4 && t.hist.nepochs < 50, "target accuracy stop after %d epochs", t.hist.nepochs);
        CHECK(t.hist.nepochs > 0 && t.hist.epochs[t.hist.nepochs - 1].test_acc >= 0.9, "reached 90%% on the toy set");
        char path[] = "/tmp/digitrec_hist_XXXXXX";
        int fd = mkstemp(path);
        close(fd);
        CHECK(history_write_csv(&t.hist, path, err) == 0, "%s", err);
        FILE *f = fopen(path, "r");
        char line[256];
        int steps = 0, epochs = 0;
        CHECK(f && fgets(line, sizeof line, f) && strncmp(line, "kind,epoch,step,loss", 20) == 0, "csv header");
        while (f && fgets(line, sizeof line, f)) {
            steps += strncmp(line, "step,", 5) == 0;
            epochs += strncmp(line, "epoch,", 6) == 0;
        }
        if (f) fclose(f);
        unlink(path);
        CHECK(steps == t.hist.nsteps && epochs == t.hist.nepochs, "csv rows %d/%d vs %ld/%d", steps, epochs,
              t.hist.nsteps, t.hist.nepochs);
        trainer_free(&t);
    }

    /* a learning rate that blows up: caught within one step, weights rolled back and finite */
    {
        TrainConfig cfg;
        train_config_default(&cfg, "mlp");
        cfg.opt = OPT_SGD;
        cfg.schedule = SCHED_CONST;
        cfg.lr = 1e30f;
        cfg.batch = 20;
        Trainer t;
        trainer_create(&t, &net, &tr, &te, &cfg, err);
        StepStatus st = STEP_OK;
        int steps = 0;
        while (steps < 100 && (st = trainer_step(&t)) != STEP_NONFINITE) steps++;
        CHECK(st == STEP_NONFINITE, "a huge learning rate is detected");
        CHECK(net_all_finite(&t.net), "weights rolled back to finite values");
        trainer_free(&t);
    }
    /* a rate that sends the loss far above its recent level without NaN: caught, the weights put
       back to the last good ones (before the rise), the optimiser's state cleared; the trainer
       then trains on from them at a sane rate */
    {
        TrainConfig cfg;
        train_config_default(&cfg, "mlp");
        cfg.opt = OPT_MOMENTUM;
        cfg.schedule = SCHED_CONST;
        cfg.lr = 0.002f; /* slow: the loss is still well above zero when the rate jumps */
        cfg.batch = 20;
        cfg.epochs = 1000;
        Trainer t;
        CHECK(trainer_create(&t, &net, &tr, &te, &cfg, err) == 0, "%s", err);
        for (int i = 0; i < 60; i++) CHECK(trainer_step(&t) <= STEP_EPOCH, "sane steps train (%d)", i);
        float *good = malloc(sizeof(float) * t.net.nparams);
        memcpy(good, t.backup, sizeof(float) * t.net.nparams);
        long good_step = t.backup_step;
        CHECK(good_step == 50, "the last good weights are from step %ld", good_step);
        TrainConfig hot = t.cfg;
        hot.lr = 50.0f;
        CHECK(trainer_retune(&t, &hot) == 0, "the rate changes in place");
        StepStatus st = STEP_OK;
        int steps = 0;
        while (steps < 40 && (st = trainer_step(&t)) != STEP_DIVERGED && st != STEP_NONFINITE) steps++;
        CHECK(st == STEP_DIVERGED, "a loss far above its recent level stops training (%d steps, status %d)", steps, st);
        CHECK(t.diverged_loss > 10 * t.diverged_median && t.diverged_median > 0, "it saw %g against %g", t.diverged_loss,
              t.diverged_median);
        CHECK(t.backup_step == good_step && !memcmp(t.net.params, good, sizeof(float) * t.net.nparams),
              "the weights are those of step %ld", good_step);
        int zero = 1;
        for (size_t i = 0; i < t.opt.n; i++) zero &= t.opt.m[i] == 0.0f;
        CHECK(zero, "the momentum is cleared");
        hot.lr = 0.05f;
        trainer_retune(&t, &hot);
        for (int i = 0; i < 40; i++) CHECK(trainer_step(&t) <= STEP_EPOCH, "trains on at a sane rate (%d)", i);
        free(good);
        trainer_free(&t);
    }
    /* ordinary noise never trips it: a whole run at the recipe's rate */
    {
        TrainConfig cfg;
        train_config_default(&cfg, "mlp");
        cfg.batch = 8; /* small batches: noisy losses */
        cfg.epochs = 20;
        Trainer t;
        CHECK(trainer_create(&t, &net, &tr, &te, &cfg, err) == 0, "%s", err);
        StepStatus st;
        int bad = 0;
        while ((st = trainer_step(&t)) != STEP_DONE) bad += st == STEP_DIVERGED || st == STEP_NONFINITE;
        CHECK(bad == 0 && t.step > 1000, "no false alarm in %ld noisy steps", t.step);
        trainer_free(&t);
    }
    net_free(&net);
    dataset_free(&tr);
    dataset_free(&te);

    /* real MNIST: softmax regression, one epoch, >= 90% test accuracy */
    PlacesEnv env;
    places_env_from_process(&env);
    char dir[PLACES_PATH_LEN];
    if (places_mnist_dir(dir, sizeof dir, &env, NULL, err) != 0) dir[0] = 0;
    Dataset mtr, mte;
    if (dataset_load_dir(dir, &mtr, &mte, err) != 0) {
        printf("skipped: real MNIST training (%s)\n", err);
        if (getenv("CI")) CHECK(0, "CI must have MNIST: %s", err);
    } else {
        kernels_set_threads(2);
        int s2[] = {784, 10};
        Net sm;
        net_create(&sm, s2, 1, BIAS_NEURON, 0, err);
        net_init_he(&sm, 1);
        TrainConfig cfg;
        train_config_default(&cfg, "softmax");
        cfg.epochs = 1;
        Trainer t;
        CHECK(trainer_create(&t, &sm, &mtr, &mte, &cfg, err) == 0, "%s", err);
        while (trainer_step(&t) != STEP_DONE) {
        }
        double acc = t.hist.nepochs ? t.hist.epochs[0].test_acc : 0;
        printf("MNIST softmax, 1 epoch: test accuracy %.2f%%\n", 100 * acc);
        CHECK(acc >= 0.90, "softmax after one epoch: %.4f", acc);
        trainer_free(&t);
        net_free(&sm);
        dataset_free(&mtr);
        dataset_free(&mte);
    }
    return check_summary("train");
}

/* cmd_train.c - `digitrec train`: builds a network, trains it on an IDX dataset with the chosen
 * optimiser and stop criteria, prints progress and the test accuracy, saves model and history. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "calibrate.h"
#include "arch.h"
#include "common.h"
#include "dataset.h"
#include "kernels.h"
#include "kernels_isa.h"
#include "model_io.h"
#include "net.h"
#include "personal.h"
#include "train.h"

static volatile sig_atomic_t g_interrupted = 0;

static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}

static void train_usage(FILE *f) {
    fprintf(f,
            "usage: digitrec train [options]\n"
            "  --arch A               softmax (784-10 softmax regression), mlp (784-128-64-10, the\n"
            "                         default), cnn (" ARCH_CNN "),\n"
            "                         or any stack of the grammar: conv<C>k<K>[s<S>][p<P>], relu,\n"
            "                         pool, flatten, fc<N> joined by '-', e.g. conv8k5-relu-pool-fc10\n"
            "  --layers 784,256,10    custom dense layer sizes instead of a preset\n"
            "  --augment              random affine + elastic distortion of every training image\n"
            "                         (seeded: the same images for any thread count)\n"
            "  --augment-ink          --augment plus ink changes: stroke width (thinner, fatter)\n"
            "                         and coarser grids (a few pixels across, blurred back)\n"
            "  --optimizer gd|sgd|momentum|adam\n"
            "                         gd = full-batch gradient descent, one step per pass over all images\n"
            "  --lr X                 learning rate\n"
            "  --batch N              mini-batch size (ignored by gd)\n"
            "  --epochs N             maximum epochs (gd: iterations)\n"
            "  --max-iters N          maximum steps (0 = no limit)\n"
            "  --tol X                stop when the loss changes by less than X between iterations\n"
            "                         (gd) or between epochs (mini-batch)\n"
            "  --target-acc P         stop once test accuracy reaches P percent\n"
            "  --schedule const|cosine  learning-rate schedule over the planned steps\n"
            "  --seed N               initialisation and shuffling seed (default 1)\n"
            "  --threads N            threads for the matrix kernels (default 2)\n"
            "  --bias per-neuron|per-layer   per-layer = one scalar bias per layer (the notes)\n"
            "  --output-relu          ReLU on the output layer before the softmax (the notes)\n"
            "  --init he|uniform:A    He-normal (default) or uniform in [-A, A]\n"
            "  --data DIR             folder with the four IDX files (raw or .gz)\n"
            "  --holdout N            train without the last N training images and fit the model's\n"
            "                         temperature (calibrated confidence) on them; saved in its metadata\n"
            "  --extra DIR            also train on the examples in DIR (train-images-idx3-ubyte and\n"
            "                         train-labels-idx1-ubyte, 28x28; the window's personal folder is\n"
            "                         one): every fifth of each class is held out and measured before\n"
            "                         and after training, the rest go into every batch\n"
            "  --extra-per-batch N    of them in each batch (default batch/16, at least 1; 0 = only\n"
            "                         measure the held-out ones, train on MNIST alone)\n"
            "  --out F                save the model here (safetensors), also on Ctrl+C\n"
            "  --history F.csv        write per-step and per-epoch history\n"
            "  --quiet                only the final line\n"
            "  --stats                machine-readable timings on stdout for bench/run.sh: a\n"
            "                         'stats-epoch:' line per epoch, a final 'stats:' line of\n"
            "                         key=value pairs (train_seconds counts steps only, no evaluation;\n"
            "                         startup_seconds is the time before training: data load, set-up)\n"
            "                         and 'stats-kernels: isa=NAME' (the kernels' instruction set)\n"
            "Defaults: mlp = momentum 0.9, lr 0.05, batch 64, 12 epochs, cosine schedule;\n"
            "          cnn = momentum 0.9, lr 0.05, batch 64, 4 epochs, cosine schedule;\n"
            "          softmax = sgd, lr 0.1, batch 64, 5 epochs.\n");
}

/* Progress: a redrawn bar on a terminal, one line per epoch otherwise. */
static void progress(const Trainer *t, int tty, double *last_draw, int final_epoch_line) {
    double now = time_now();
    long spe = trainer_steps_per_epoch(t);
    long in_epoch = t->step - (long)t->epoch * spe;
    if (t->cfg.opt == OPT_GD) in_epoch = 0;
    double sps = t->t_train > 0 ? t->samples / t->t_train : 0;
    long total_steps = (long)t->cfg.epochs * spe;
    if (t->cfg.max_iters > 0 && t->cfg.max_iters < total_steps) total_steps = t->cfg.max_iters;
    double rate = t->step > 0 ? (now - t->t_start) / t->step : 0;
    double eta = rate * (double)(total_steps - t->step);
    float last = t->hist.nsteps ? t->hist.step_loss[t->hist.nsteps - 1] : NAN;
    if (tty) {
        if (!final_epoch_line && now - *last_draw < 0.1) return;
        *last_draw = now;
        int width = 24, fill = spe > 0 ? (int)(width * in_epoch / spe) : 0;
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width] = 0;
        fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %ld/%ld  loss %.4f  %.0f samples/s  ETA %.0fs", t->epoch + 1,
                t->cfg.epochs, bar, in_epoch, spe, last, sps, eta);
    }
    if (final_epoch_line && t->hist.nepochs > 0) {
        const EpochRecord *r = &t->hist.epochs[t->hist.nepochs - 1];
        if (tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "epoch %3d  step %7ld  train loss %.4f  test loss %.4f  test acc %6.2f%%  %.0f samples/s  %.1fs\n",
                r->epoch, r->step, r->train_loss, r->test_loss, 100 * r->test_acc, sps, r->seconds);
    }
}

int cmd_train(int argc, char **argv) {
    double t_entry = time_now(); /* for --stats: the start-up before training (data load, set-up) */
    const char *arch = "mlp", *layers = NULL, *data = NULL, *out = NULL, *history = NULL, *extra_dir = NULL;
    const char *init = "he", *opt_s = NULL, *sched_s = NULL, *bias_s = "per-neuron", *v;
    double lr = -1, tol = 0, target = 0;
    long batch = -1, epochs = -1, max_iters = 0, seed = 1, threads = 2, holdout = 0, extra_k = -1;
    int output_relu = 0, quiet = 0, stats = 0, augment = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--output-relu")) {
            output_relu = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (!strcmp(a, "--augment") || !strcmp(a, "--augment-ink")) {
            augment = a[9] ? 2 : 1;
            continue;
        }
        char name[32];
        if (cli_take(argc, argv, &i, name, sizeof name, &v) != 0) return EXIT_USAGE;
        int bad = 0;
        if (!strcmp(name, "--arch")) arch = v;
        else if (!strcmp(name, "--layers")) layers = v;
        else if (!strcmp(name, "--optimizer")) opt_s = v;
        else if (!strcmp(name, "--schedule")) sched_s = v;
        else if (!strcmp(name, "--bias")) bias_s = v;
        else if (!strcmp(name, "--init")) init = v;
        else if (!strcmp(name, "--data")) data = v;
        else if (!strcmp(name, "--extra")) extra_dir = v;
        else if (!strcmp(name, "--out")) out = v;
        else if (!strcmp(name, "--history")) history = v;
        else if (!strcmp(name, "--lr")) bad = cli_double(name, v, 1e-12, 1e6, &lr);
        else if (!strcmp(name, "--tol")) bad = cli_double(name, v, 0, 1e6, &tol);
        else if (!strcmp(name, "--target-acc")) bad = cli_double(name, v, 0, 100, &target);
        else if (!strcmp(name, "--batch")) bad = cli_int(name, v, 1, 1 << 20, &batch);
        else if (!strcmp(name, "--epochs")) bad = cli_int(name, v, 0, 1000000, &epochs);
        else if (!strcmp(name, "--max-iters")) bad = cli_int(name, v, 0, 1L << 40, &max_iters);
        else if (!strcmp(name, "--seed")) bad = cli_int(name, v, 0, 1L << 62, &seed);
        else if (!strcmp(name, "--threads")) bad = cli_int(name, v, 1, 64, &threads);
        else if (!strcmp(name, "--holdout")) bad = cli_int(name, v, 1, 1L << 30, &holdout);
        else if (!strcmp(name, "--extra-per-batch")) bad = cli_int(name, v, 0, 1 << 20, &extra_k);
        else {
            fprintf(stderr, "digitrec train: unknown option '%s' (see digitrec train --help)\n", name);
            return EXIT_USAGE;
        }
        if (bad) return EXIT_USAGE;
    }

    char err[ERR_LEN], arch_name[ARCH_MAX_TEXT];
    int sizes[NET_MAX_LAYERS + 1], nsizes = 0;
    Arch stack = {0}; /* a conv (or other non-dense) stack, when stack.n > 0 */
    if (layers) {
        nsizes = net_parse_layers(layers, sizes, NET_MAX_LAYERS + 1, err);
        if (nsizes < 0) {
            fprintf(stderr, "digitrec train: %s\n", err);
            return EXIT_USAGE;
        }
        arch = "custom";
    } else if ((nsizes = net_preset(arch, sizes) + 1) < 2) {
        Arch a;
        if (arch_parse(&a, arch, err) != 0) {
            fprintf(stderr, "digitrec train: --arch: %s\n", err);
            return EXIT_USAGE;
        }
        arch_format(&a, arch_name, sizeof arch_name);
        if (a.dense) {
            nsizes = arch_dense_sizes(&a, sizes, NET_MAX_LAYERS + 1);
            if (nsizes < 2) {
                fprintf(stderr, "digitrec train: --arch %s: more than %d layers\n", arch, NET_MAX_LAYERS);
                return EXIT_USAGE;
            }
            const char *preset = net_preset_of(sizes, nsizes - 1);
            arch = preset ? preset : "custom";
        } else {
            stack = a;
            arch = !strcmp(arch_name, ARCH_CNN) ? "cnn" : "custom";
        }
    }
    if (stack.n && (output_relu || strcmp(bias_s, "per-neuron") != 0)) {
        fprintf(stderr, "digitrec train: --bias per-layer and --output-relu are for dense networks only\n");
        return EXIT_USAGE;
    }
    BiasMode bias;
    if (!strcmp(bias_s, "per-neuron")) bias = BIAS_NEURON;
    else if (!strcmp(bias_s, "per-layer")) bias = BIAS_LAYER;
    else {
        fprintf(stderr, "digitrec train: --bias must be per-neuron or per-layer, got '%s'\n", bias_s);
        return EXIT_USAGE;
    }
    double init_a = 0;
    if (strcmp(init, "he") != 0) {
        if (strncmp(init, "uniform:", 8) != 0 || cli_double("--init uniform:A", init + 8, 1e-9, 1e6, &init_a)) {
            fprintf(stderr, "digitrec train: --init must be he or uniform:A (e.g. uniform:10)\n");
            return EXIT_USAGE;
        }
    }
    TrainConfig cfg;
    train_config_default(&cfg, arch);
    OptKind opt;
    if (opt_s && optim_parse(opt_s, &opt) != 0) {
        fprintf(stderr, "digitrec train: --optimizer must be gd, sgd, momentum or adam, got '%s'\n", opt_s);
        return EXIT_USAGE;
    }
    if (opt_s) train_config_optimizer(&cfg, opt, arch);
    if (sched_s) {
        if (!strcmp(sched_s, "const")) cfg.schedule = SCHED_CONST;
        else if (!strcmp(sched_s, "cosine")) cfg.schedule = SCHED_COSINE;
        else {
            fprintf(stderr, "digitrec train: --schedule must be const or cosine, got '%s'\n", sched_s);
            return EXIT_USAGE;
        }
    }
    if (lr > 0) cfg.lr = (float)lr;
    if (batch > 0) cfg.batch = (int)batch;
    if (epochs >= 0) cfg.epochs = (int)epochs;
    cfg.max_iters = max_iters;
    cfg.tol = tol;
    cfg.target_acc = target / 100.0;
    cfg.seed = (uint64_t)seed;
    cfg.augment = augment;
    kernels_set_threads((int)threads);

    if (extra_k >= 0 && !extra_dir) {
        fprintf(stderr, "digitrec train: --extra-per-batch needs --extra DIR\n");
        return EXIT_USAGE;
    }
    if (cli_check_data("train", data) != 0) return EXIT_RUNTIME;
    /* Ctrl+C (and SIGTERM) from here on ends the run after the current step: installed before the
       data loads, so an early one is not lost (a shell's background job inherits SIGINT ignored) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    const char *dir = dataset_default_dir(data);
    Dataset train = {0}, test = {0};
    if (dataset_load_dir(dir, &train, &test, err) != 0) {
        fprintf(stderr, "digitrec train: %s\n", err);
        return EXIT_RUNTIME;
    }
    int rc = EXIT_RUNTIME;
    Net net = {0};
    Trainer t = {0};
    int extra_n = 0, held_before = -1;
    Dataset fit = {0}, held = {0}; /* with --extra: the examples trained on, and those held out */
    Dataset full = {0}; /* with --holdout: every training image; train keeps all but the last N */
    int train_is_view = 0; /* train borrows full's arrays (no copy of the images) */
    CalibFit cal = {0};
    int have_cal = 0;
    if (holdout) {
        if (holdout >= train.n) {
            fprintf(stderr, "digitrec train: --holdout %ld leaves no training images (the set has %d)\n", holdout, train.n);
            rc = EXIT_USAGE;
            goto done;
        }
        /* a view of the first n - N images: the held-out ones are the last N, so no copy is needed */
        full = train;
        train.n = full.n - (int)holdout;
        train_is_view = 1;
    }
    if (extra_dir) {
        /* every fifth of each class is held out; the rest go into every batch (trainer_set_extra) */
        Dataset ex = {0};
        if (access(extra_dir, F_OK) != 0) {
            err_set(err, "--extra %s: no such folder", extra_dir);
            goto fail;
        }
        if (personal_load(extra_dir, &ex, err) != 0) goto fail;
        if (ex.n == 0) {
            fprintf(stderr, "digitrec train: no examples in %s (expected %s and %s)\n", extra_dir, PERSONAL_IMAGES,
                    PERSONAL_LABELS);
            goto done;
        }
        if (ex.d != train.d) {
            dataset_free(&ex);
            err_set(err, "%s: %dx%d examples do not fit %dx%d training images", extra_dir, 28, 28, train.rows, train.cols);
            goto fail;
        }
        extra_n = ex.n;
        int rc2 = personal_split(&ex, &fit, &held, err);
        dataset_free(&ex);
        if (rc2 != 0) goto fail;
        if (extra_k < 0) extra_k = cfg.opt == OPT_GD ? 0 : train_extra_per_batch(cfg.batch, fit.n);
        if (extra_k > 0 && cfg.opt == OPT_GD) {
            fprintf(stderr, "digitrec train: --extra-per-batch is for mini-batch optimisers (gd has one batch)\n");
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if ((stack.n ? ARCH_IN_H * ARCH_IN_W : sizes[0]) != train.d) {
        fprintf(stderr, "digitrec train: the first layer size %d must equal the image size %d\n",
                stack.n ? ARCH_IN_H * ARCH_IN_W : sizes[0], train.d);
        rc = EXIT_USAGE;
        goto done;
    }
    if (augment && (train.rows != 28 || train.cols != 28)) {
        fprintf(stderr, "digitrec train: --augment needs 28x28 images, %s has %dx%d\n", train.name, train.rows, train.cols);
        rc = EXIT_USAGE;
        goto done;
    }
    if ((stack.n ? net_create_arch(&net, &stack, err) : net_create(&net, sizes, nsizes - 1, bias, output_relu, err)) != 0)
        goto fail;
    if (init_a > 0) net_init_uniform(&net, (float)init_a, (uint64_t)seed);
    else net_init_he(&net, (uint64_t)seed);
    if (trainer_create(&t, &net, &train, &test, &cfg, err) != 0) goto fail;
    if (extra_dir) {
        if (extra_k > 0 && trainer_set_extra(&t, &fit, (int)extra_k, err) != 0) goto fail;
        if ((held_before = (int)evaluate_right(&t.net, &held, err)) < 0) goto fail;
        if (!quiet)
            fprintf(stderr, "%d examples from %s: %d held out, %d trained on, %ld in each batch of %d (%ld from %s); "
                            "held out read right at step 0: %d/%d\n",
                    extra_n, extra_dir, held.n, fit.n, extra_k, t.cfg.batch, t.cfg.batch - extra_k, train.name,
                    held_before < 0 ? 0 : held_before, held.n);
    }

    int tty = isatty(2) && !quiet;
    if (!quiet)
        fprintf(stderr, "training %s (%zu parameters) on %s: %d train / %d test images, %s lr %g batch %d, %d epochs, "
                        "%ld threads, %s kernels%s\n",
                stack.n && strcmp(arch, "cnn") ? arch_name : arch, net.nparams, train.name, train.n, test.n,
                optim_name(cfg.opt), cfg.lr, t.cfg.batch, cfg.epochs, threads, kernels_isa_name(kernels_isa()),
                augment == 2 ? ", augmented (ink too)" : augment ? ", augmented" : "");
    double last_draw = 0;
    int nonfinite = 0, diverged = 0;
    for (;;) {
        if (g_interrupted && t.step > 0) break; /* at least one step: what is written was trained */
        StepStatus st = trainer_step(&t);
        if (st == STEP_DONE) break;
        if (st == STEP_NONFINITE || st == STEP_DIVERGED) {
            nonfinite = st == STEP_NONFINITE;
            diverged = st == STEP_DIVERGED;
            break;
        }
        if (!quiet) progress(&t, tty, &last_draw, st == STEP_EPOCH);
        if (g_interrupted) break;
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (tty) fprintf(stderr, "\r\033[K");
    if (nonfinite)
        fprintf(stderr, "digitrec train: the loss became NaN/Inf at step %ld (learning rate %g too high?); "
                        "kept the last finite weights\n", t.step + 1, trainer_lr(&t));
    if (diverged)
        fprintf(stderr, "digitrec train: the loss jumped to %.4g at step %ld, %.0fx its recent median (learning rate %g "
                        "too high?); kept the weights of step %ld\n", (double)t.diverged_loss, t.step,
                (double)(t.diverged_loss / fmaxf(t.diverged_median, 1e-30f)), trainer_lr(&t), t.backup_step);
    if (g_interrupted) fprintf(stderr, "interrupted at epoch %d, step %ld\n", t.epoch, t.step);

    /* The test set's accuracy: when training ended at an epoch end with nothing rolled back since,
     * that epoch's evaluation already measured these very weights; else evaluate now (in chunks
     * of 256: as fast per image as larger ones, with smaller buffers to set up). */
    EvalResult ev = {0};
    int have_eval = 0;
    const EpochRecord *last = t.hist.nepochs > 0 ? &t.hist.epochs[t.hist.nepochs - 1] : NULL;
    if (test.n > 0 && last && last->step == t.step && !nonfinite && !diverged && isfinite(last->test_acc)) {
        ev.n = test.n;
        ev.loss = last->test_loss;
        ev.acc = last->test_acc;
        have_eval = 1;
    } else if (test.n > 0) {
        NetWork wk;
        if (netwk_create_forward(&wk, &t.net, stack.n ? net_eval_batch(&t.net) : 256, err) != 0) goto fail;
        have_eval = evaluate(&t.net, &wk, &test, 0, &ev, err) == 0;
        netwk_free(&wk);
    }
    if (holdout) {
        if (calib_fit_holdout(&t.net, &full, (int)holdout, &cal, err) != 0) goto fail;
        have_cal = 1;
        if (!quiet)
            fprintf(stderr, "calibrated on the %ld held-out images: temperature %.3f, ECE %.2f%% -> %.2f%%, accuracy %.2f%%\n",
                    holdout, cal.temperature, 100 * cal.ece_before, 100 * cal.ece_after, 100 * cal.accuracy);
    }
    if (out) {
        ModelMeta meta = {0};
        TrainRecord rec = {&t.cfg, train.name, (const char(*)[DATASET_CLASS_LEN])train.classes, train.nclass, t.step,
                           t.epoch, have_eval ? ev.acc : -1.0, NULL};
        train_record_meta(&meta, &rec);
        if (extra_n)
            model_meta_set(&meta, "extra", "%d examples from %s: %d held out, %ld in each batch", extra_n, extra_dir, held.n,
                           extra_k);
        model_meta_set(&meta, "init", "%s", init);
        if (have_cal) calib_meta_set(&meta, &cal);
        if (model_save(out, &t.net, &meta, err) != 0) goto fail;
        if (!quiet) fprintf(stderr, "saved %s\n", out);
    }
    /* after the model, so a history that cannot be written never costs the trained weights */
    if (history && history_write_csv(&t.hist, history, err) != 0) goto fail;
    int held_after = -1;
    if (extra_dir && (held_after = (int)evaluate_right(&t.net, &held, err)) < 0) goto fail;
    if (have_eval)
        printf("test accuracy: %.2f%% (loss %.4f) after %d epochs, %ld steps, %.1f s; stopped: %s\n", 100 * ev.acc,
               ev.loss, t.epoch, t.step, time_now() - t.t_start,
               g_interrupted ? "interrupted" : nonfinite ? "non-finite loss" : trainer_stop_reason(&t));
    if (extra_dir) {
        if (held.n > 0)
            printf("held-out personal accuracy: %.2f%% (%d/%d) at step 0, %.2f%% (%d/%d) after %ld steps%s\n",
                   100.0 * held_before / held.n, held_before, held.n, 100.0 * held_after / held.n, held_after, held.n,
                   t.step, extra_k > 0 ? " mixing them in" : " without them");
        else
            printf("held-out personal accuracy: none held out (a class needs %d examples for one)\n", PERSONAL_HOLD_EVERY);
    }
    if (stats) {
        for (int e = 0; e < t.hist.nepochs; e++) {
            const EpochRecord *r = &t.hist.epochs[e];
            printf("stats-epoch: epoch=%d step=%ld seconds=%.4f test_acc=%.4f\n", r->epoch, r->step, r->seconds,
                   r->test_acc);
        }
        printf("stats: steps=%ld samples=%ld train_seconds=%.4f samples_per_second=%.1f wall_seconds=%.4f "
               "startup_seconds=%.4f epochs=%d threads=%ld test_acc=%.4f\n",
               t.step, t.samples, t.t_train, t.t_train > 0 ? t.samples / t.t_train : 0.0, time_now() - t.t_start,
               t.t_start - t_entry, t.epoch, threads, have_eval ? ev.acc : -1.0);
        printf("stats-kernels: isa=%s\n", kernels_isa_name(kernels_isa()));
    }
    rc = nonfinite || diverged ? EXIT_RUNTIME : 0;
    goto done;
fail:
    fprintf(stderr, "digitrec train: %s\n", err);
    rc = EXIT_RUNTIME;
done:
    trainer_free(&t);
    net_free(&net);
    if (!train_is_view) dataset_free(&train);
    dataset_free(&full);
    dataset_free(&test);
    dataset_free(&fit);
    dataset_free(&held);
    return rc;
}

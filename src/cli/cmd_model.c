/* cmd_model.c - the subcommands that use a saved model: eval, predict, calibrate, info. None of
 * them needs SDL: pictures are decoded by core's image module. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli.h"
#include "places.h"
#include "arch.h"
#include "common.h"
#include "dataset.h"
#include "image.h"
#include "kernels.h"
#include "model_io.h"
#include "net.h"
#include "ood.h"
#include "ood_net.h"
#include "preprocess.h"
#include "train.h"

/* Splits the model's "classes" metadata into names (K entries); "0".."9"-style defaults. */
static void class_names(const ModelMeta *meta, int K, char names[][24]) {
    for (int c = 0; c < K; c++) snprintf(names[c], 24, "%d", c);
    const char *s = model_meta_get(meta, "classes");
    for (int c = 0; s && *s && c < K; c++) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n > 23) n = 23;
        memcpy(names[c], s, n);
        names[c][n] = 0;
        s = e ? e + 1 : NULL;
    }
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

int cmd_eval(int argc, char **argv) {
    const char *model = NULL, *data = NULL, *v;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: digitrec eval --model F [--data DIR] [--json]\n"
                   "Prints test accuracy, mean cross-entropy, the 10x10 confusion matrix (rows = true\n"
                   "class, columns = predicted) and per-class accuracy.\n");
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        char name[32];
        if (cli_take(argc, argv, &i, name, sizeof name, &v) != 0) return EXIT_USAGE;
        if (!strcmp(name, "--model")) model = v;
        else if (!strcmp(name, "--data")) data = v;
        else {
            fprintf(stderr, "digitrec eval: unknown option '%s'\n", name);
            return EXIT_USAGE;
        }
    }
    if (!model) {
        fprintf(stderr, "digitrec eval: --model F is required\n");
        return EXIT_USAGE;
    }
    if (cli_check_data("eval", data) != 0) return EXIT_RUNTIME;
    char err[ERR_LEN];
    Net net = {0};
    ModelMeta meta = {0};
    Dataset test = {0};
    NetWork wk = {0};
    if (model_load(model, &net, &meta, err) != 0) goto fail;
    if (dataset_load_dir(dataset_default_dir(data), NULL, &test, err) != 0) goto fail;
    EvalResult ev;
    kernels_set_threads(2);
    if (netwk_create_forward(&wk, &net, net_eval_batch(&net), err) != 0 || evaluate(&net, &wk, &test, 0, &ev, err) != 0)
        goto fail;
    int K = net.sizes[net.nlayers] < 10 ? net.sizes[net.nlayers] : 10;
    /* calibration on the test set: the model's own temperature against none */
    double T = calib_model_temperature(&meta), ece1 = -1, eceT = -1;
    {
        float *z;
        int *y;
        if (calib_logits(&net, &test, 0, test.n, &z, &y, err) == 0) {
            ece1 = calib_ece(z, y, test.n, net.sizes[net.nlayers], 1.0, CALIB_ECE_BINS);
            eceT = calib_ece(z, y, test.n, net.sizes[net.nlayers], T, CALIB_ECE_BINS);
            free(z);
            free(y);
        }
    }
    if (json) {
        printf("{\"model\":");
        json_string(stdout, model);
        printf(",\"dataset\":");
        json_string(stdout, test.name);
        printf(",\"n\":%ld,\"accuracy\":%.6f,\"loss\":%.6f,\"temperature\":%.4f,\"ece\":%.6f,\"ece_calibrated\":%.6f,"
               "\"confusion\":[", ev.n, ev.acc, ev.loss, T, ece1, eceT);
        for (int r = 0; r < K; r++) {
            printf("%s[", r ? "," : "");
            for (int c = 0; c < K; c++) printf("%s%ld", c ? "," : "", ev.confusion[r][c]);
            printf("]");
        }
        printf("],\"per_class_accuracy\":[");
        for (int r = 0; r < K; r++) {
            long tot = 0;
            for (int c = 0; c < K; c++) tot += ev.confusion[r][c];
            printf("%s%.6f", r ? "," : "", tot ? (double)ev.confusion[r][r] / tot : 0.0);
        }
        printf("]}\n");
    } else {
        printf("model %s on %s test set (%ld images)\n", model, test.name, ev.n);
        printf("accuracy %.2f%%  loss %.4f\n", 100 * ev.acc, ev.loss);
        printf("calibration error (ECE, %d bins) %.2f%%, with the model's temperature %.3f: %.2f%%\n\n", CALIB_ECE_BINS,
               100 * ece1, T, 100 * eceT);
        printf("confusion matrix (rows = true, columns = predicted)\n      ");
        for (int c = 0; c < K; c++) printf("%6d", c);
        printf("   acc\n");
        for (int r = 0; r < K; r++) {
            long tot = 0;
            printf("%5d ", r);
            for (int c = 0; c < K; c++) {
                printf("%6ld", ev.confusion[r][c]);
                tot += ev.confusion[r][c];
            }
            printf("  %5.1f%%  %s\n", tot ? 100.0 * ev.confusion[r][r] / tot : 0.0, test.classes[r]);
        }
    }
    netwk_free(&wk);
    dataset_free(&test);
    net_free(&net);
    return 0;
fail:
    fprintf(stderr, "digitrec eval: %s\n", err);
    netwk_free(&wk);
    dataset_free(&test);
    net_free(&net);
    return EXIT_RUNTIME;
}

typedef enum { PIPE_NAIVE, PIPE_LEGACY, PIPE_FULL } Pipeline;

/* The 28x28 input of a decoded image (1 = white as stored) by the chosen pipeline. */
static int make_input(Pipeline pipe, float *x, PreInfo *info, float *img, int w, int h, char *err) {
    memset(info, 0, sizeof *info);
    if (pipe == PIPE_FULL) return preprocess_photo(x, NULL, info, img, w, h, err);
    int ink;
    if (pipe == PIPE_NAIVE) {
        ink = preprocess_naive(x, img, w, h);
    } else {
        preprocess_auto_invert(img, w, h);
        ink = preprocess_digit(x, img, w, h, 0.05f);
    }
    info->ink = ink;
    return ink;
}

/* DIR/<file name without folders and extension>.png, with -2, -3... when an earlier image of this
 * run had the same name. */
static void input_name(char *out, size_t n, const char *dir, const char *path, char (*seen)[256], int nseen) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char stem[200];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    int dup = 0;
    for (int i = 0; i < nseen; i++)
        if (!strcmp(seen[i], stem)) dup++;
    if (dup) snprintf(out, n, "%s/%s-%d.png", dir, stem, dup + 1);
    else snprintf(out, n, "%s/%s.png", dir, stem);
}

int cmd_predict(int argc, char **argv) {
    const char *model = NULL, *save_dir = NULL, *v;
    int json = 0, nimg = 0;
    Pipeline pipe = PIPE_FULL;
    char **imgs = calloc((size_t)argc, sizeof(char *));
    if (!imgs) return EXIT_RUNTIME;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: digitrec predict [--model F] [--json] [--save-input DIR] IMAGE...\n"
                   "Reads digits from PNG, JPEG, BMP or PGM files. The paper is found first (its level and\n"
                   "uneven light removed, light or dark ink told from it), the digit's ink kept with its own\n"
                   "grey levels, then cropped, fitted into 20x20 and centred by mass in 28x28 (as MNIST).\n"
                   "Each reading is 'sure', 'unsure' (calibrated top probability below %.0f%%, or not\n"
                   "digit-shaped), 'blank' (no digit) or, when the model holds a detector (digitrec calibrate\n"
                   "fits one), 'not_digit' (its score above the threshold that rejects 5%% of held-out digits).\n"
                   "Without --model: the shipped default model.\n"
                   "  --save-input DIR   also write the 28x28 input each image became, as DIR/NAME.png\n"
                   "  --preprocess full|legacy|naive   for comparisons: legacy = crop at the ink after a border-\n"
                   "                     based invert, naive = the whole picture shrunk to 28x28\n",
                   100 * CALIB_SURE_P);
            free(imgs);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0) {
            imgs[nimg++] = argv[i];
            continue;
        }
        char name[32];
        if (cli_take(argc, argv, &i, name, sizeof name, &v) != 0) {
            free(imgs);
            return EXIT_USAGE;
        }
        if (!strcmp(name, "--model")) model = v;
        else if (!strcmp(name, "--save-input")) save_dir = v;
        else if (!strcmp(name, "--preprocess") && (!strcmp(v, "full") || !strcmp(v, "legacy") || !strcmp(v, "naive")))
            pipe = !strcmp(v, "full") ? PIPE_FULL : !strcmp(v, "legacy") ? PIPE_LEGACY : PIPE_NAIVE;
        else if (!strcmp(name, "--preprocess")) {
            fprintf(stderr, "digitrec predict: --preprocess must be full, legacy or naive, got '%s'\n", v);
            free(imgs);
            return EXIT_USAGE;
        } else {
            fprintf(stderr, "digitrec predict: unknown option '%s'\n", name);
            free(imgs);
            return EXIT_USAGE;
        }
    }
    if (nimg == 0) {
        fprintf(stderr, "digitrec predict: need at least one image (see digitrec predict --help)\n");
        free(imgs);
        return EXIT_USAGE;
    }
    char err[ERR_LEN], defpath[4200];
    if (!model) {
        /* the shipped default recogniser (places: beside an installed copy, in a clone, in XDG) */
        PlacesEnv env;
        places_env_from_process(&env);
        char e2[ERR_LEN];
        if (places_default_model(defpath, sizeof defpath, &env, NULL, e2) != 0) {
            fprintf(stderr, "digitrec predict: no --model given and %s\n", e2);
            free(imgs);
            return EXIT_RUNTIME;
        }
        model = defpath;
    }
    if (save_dir) {
        struct stat st;
        if (stat(save_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "digitrec predict: --save-input %s: no such folder\n", save_dir);
            free(imgs);
            return EXIT_RUNTIME;
        }
    }
    Net net = {0};
    ModelMeta meta = {0};
    NetWork wk = {0};
    int rc = 0;
    ModelExtras ex = {0};
    OodModel ood = {0};
    int has_ood = 0;
    if (model_load_extras(model, &net, &meta, &ex, err) != 0 || netwk_create(&wk, &net, 1, err) != 0) {
        fprintf(stderr, "digitrec predict: %s\n", err);
        net_free(&net);
        model_extras_free(&ex);
        free(imgs);
        return EXIT_RUNTIME;
    }
    int K = net.sizes[net.nlayers];
    char names[64][24];
    class_names(&meta, K < 64 ? K : 64, names);
    double T = calib_model_temperature(&meta);
    /* the "not a digit" detector, when calibrate fitted one; a broken one is refused */
    has_ood = ood_from_model(&ood, &meta, &ex, K, ood_net_dim(&net), T, err);
    model_extras_free(&ex);
    if (has_ood < 0) {
        fprintf(stderr, "digitrec predict: %s: %s\n", model, err);
        netwk_free(&wk);
        net_free(&net);
        free(imgs);
        return EXIT_RUNTIME;
    }
    int fd = ood_net_dim(&net);
    float *ood_z = malloc(sizeof(float) * (size_t)K), *ood_f = malloc(sizeof(float) * (size_t)(fd > 0 ? fd : 1));
    if (net.sizes[0] != PRE_SIDE * PRE_SIDE) {
        fprintf(stderr, "digitrec predict: the model takes %d inputs, not a 28x28 image\n", net.sizes[0]);
        rc = EXIT_RUNTIME;
    }
    char (*seen)[256] = save_dir ? calloc((size_t)nimg, sizeof *seen) : NULL;
    float *p = malloc(sizeof(float) * (size_t)K);
    if ((save_dir && !seen) || !p || !ood_z || !ood_f) rc = EXIT_RUNTIME;
    for (int k = 0; k < nimg && rc == 0; k++) {
        float *img = NULL, x[PRE_SIDE * PRE_SIDE];
        int w, h;
        PreInfo info;
        if (image_decode_file(imgs[k], &img, &w, &h, err) != 0) {
            fprintf(stderr, "digitrec predict: %s\n", err);
            rc = EXIT_RUNTIME;
            break;
        }
        int ink = make_input(pipe, x, &info, img, w, h, err);
        free(img);
        if (ink < 0) {
            fprintf(stderr, "digitrec predict: %s: %s\n", imgs[k], err);
            rc = EXIT_RUNTIME;
            break;
        }
        if (ink && pipe != PIPE_FULL) preprocess_measure(&info, x);
        if (save_dir) {
            char out[4400];
            input_name(out, sizeof out, save_dir, imgs[k], seen, k);
            const char *base = strrchr(imgs[k], '/');
            snprintf(seen[k], sizeof seen[k], "%s", base ? base + 1 : imgs[k]);
            char *dot = strrchr(seen[k], '.');
            if (dot && dot != seen[k]) *dot = '\0';
            if (image_save_png_grey(out, x, PRE_SIDE, PRE_SIDE, err) != 0) {
                fprintf(stderr, "digitrec predict: %s\n", err);
                rc = EXIT_RUNTIME;
                break;
            }
        }
        ReadState state;
        int best = calib_read(&net, &wk, x, T, ink, &info, p, &state);
        const char *label = names[best < 64 ? best : 0];
        float ood_score = 0;
        if (has_ood && state != READ_BLANK) {
            if (fd > 0) {
                if (ood_net_features(&net, &wk, x, 1, ood_z, ood_f, err) != 0) {
                    fprintf(stderr, "digitrec predict: %s\n", err);
                    rc = EXIT_RUNTIME;
                    break;
                }
            } else {
                memcpy(ood_z, net_scores(&net, &wk), sizeof(float) * (size_t)K); /* softmax regression: logits only */
            }
            ood_score = ood_score_kind(&ood, ood.kind, ood_z, fd > 0 ? ood_f : NULL);
            state = calib_state_ood(state, ood_rejects(&ood, ood_z, fd > 0 ? ood_f : NULL));
        }
        if (json) {
            printf("{\"image\":");
            json_string(stdout, imgs[k]);
            if (state != READ_BLANK) {
                printf(",\"digit\":%d,\"label\":", best);
                json_string(stdout, label);
            } else {
                printf(",\"digit\":null,\"label\":null");
            }
            printf(",\"blank\":%s,\"state\":\"%s\",\"confidence\":%.6f,", state == READ_BLANK ? "true" : "false",
                   calib_state_name(state), state == READ_BLANK ? 0.0 : p[best]);
            if (has_ood && state != READ_BLANK)
                printf("\"not_digit\":%s,\"ood_score\":%.6f,\"ood_threshold\":%.6f,", state == READ_NOT_DIGIT ? "true" : "false",
                       ood_score, ood.threshold);
            printf("\"probabilities\":[");
            for (int c = 0; c < K; c++) printf("%s%.6f", c ? "," : "", p[c]);
            printf("]}\n");
        } else if (state == READ_BLANK) {
            printf("%s: no digit (blank)\n", imgs[k]);
        } else {
            if (state == READ_NOT_DIGIT)
                printf("%s: not a digit (nearest %s, %.1f%%; %s score %.3f above %.3f)  ", imgs[k], label, 100 * p[best],
                       ood_kind_name(ood.kind), ood_score, ood.threshold);
            else if (state == READ_SURE) printf("%s: %s (%.1f%%, sure)  ", imgs[k], label, 100 * p[best]);
            else printf("%s: not sure (%s? %.1f%%%s)  ", imgs[k], label, 100 * p[best], info.odd_shape ? ", not digit-shaped" : "");
            for (int c = 0; c < K && c < 64; c++) printf(" %s:%.3f", names[c], p[c]);
            printf("\n");
        }
    }
    free(seen);
    free(p);
    free(ood_z);
    free(ood_f);
    ood_free(&ood);
    netwk_free(&wk);
    net_free(&net);
    free(imgs);
    return rc;
}

/* Fits the "not a digit" detector of net (temperature T) into *ood: the Gaussian on the training
 * images before the held-out ones, the threshold of kind on the held-out ones; *test_rej = share of
 * the test set it rejects. Returns 0 or -1 with err. */
static int fit_detector(const Net *net, const Dataset *train, const Dataset *test, int holdout, double T, OodKind kind,
                        int on_logits, OodModel *ood, double *test_rej, char *err) {
    int nfit = train->n - holdout, K = net->sizes[net->nlayers], rc = -1;
    float *zf = NULL, *ff = NULL, *zh = NULL, *fh = NULL, *zt = NULL, *ft = NULL;
    int *yf = NULL, *yh = NULL, *yt = NULL;
    OodModel m = {0};
    if (on_logits) {
        if (calib_logits(net, train, 0, nfit, &zf, &yf, err) || calib_logits(net, train, nfit, holdout, &zh, &yh, err) ||
            calib_logits(net, test, 0, test->n, &zt, &yt, err) || ood_fit(&m, zf, yf, nfit, K, K, err))
            goto done;
        m.on_logits = 1;
    } else if (ood_net_dataset(net, train, 0, nfit, &zf, &ff, &yf, err) ||
               ood_net_dataset(net, train, nfit, holdout, &zh, &fh, &yh, err) ||
               ood_net_dataset(net, test, 0, test->n, &zt, &ft, &yt, err) ||
               ood_fit(&m, ff, yf, nfit, ood_net_dim(net), K, err)) {
        goto done;
    }
    if (ood_calibrate(&m, kind, T, zh, fh, holdout, OOD_KEEP, err) != 0) goto done;
    long rej = 0;
    for (int i = 0; i < test->n; i++) rej += ood_rejects(&m, zt + (size_t)i * K, ft ? ft + (size_t)i * m.d : NULL);
    *test_rej = (double)rej / test->n;
    *ood = m;
    m = (OodModel){0};
    rc = 0;
done:
    ood_free(&m);
    free(zf), free(ff), free(zh), free(fh), free(zt), free(ft), free(yf), free(yh), free(yt);
    return rc;
}

int cmd_calibrate(int argc, char **argv) {
    const char *model = NULL, *data = NULL, *v;
    int ood_kind = OOD_COMBINED, on_logits = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: digitrec calibrate --model F [--data DIR]\n"
                   "Fits the model's temperature (so its probabilities match how often it is right) on the\n"
                   "training images it was not trained on (train --holdout N records N) and writes it into\n"
                   "the model's metadata, atomically. Prints the expected calibration error (%d bins) before\n"
                   "and after, on the held-out images and on the test set. Then fits the 'not a digit'\n"
                   "detector: a Gaussian (class means, shared covariance) of the logits or of the last hidden\n"
                   "layer on the training images before the held-out ones, and the threshold of its score at\n"
                   "which %.0f%% of the held-out digits are kept; stored in the model file too.\n"
                   "  --ood combined|energy|msp|mahalanobis|off   the detector's score (default combined:\n"
                   "                     energy plus log Mahalanobis distance, each standardised)\n"
                   "  --ood-space logits|hidden   the Gaussian's space (default logits)\n",
                   CALIB_ECE_BINS, 100 * OOD_KEEP);
            return 0;
        }
        char name[32];
        if (cli_take(argc, argv, &i, name, sizeof name, &v) != 0) return EXIT_USAGE;
        if (!strcmp(name, "--model")) model = v;
        else if (!strcmp(name, "--data")) data = v;
        else if (!strcmp(name, "--ood") && (!strcmp(v, "off") || ood_kind_parse(v) >= 0))
            ood_kind = !strcmp(v, "off") ? -1 : ood_kind_parse(v);
        else if (!strcmp(name, "--ood-space") && (!strcmp(v, "logits") || !strcmp(v, "hidden")))
            on_logits = !strcmp(v, "logits");
        else if (!strcmp(name, "--ood") || !strcmp(name, "--ood-space")) {
            fprintf(stderr, "digitrec calibrate: %s: unknown value '%s'\n", name, v);
            return EXIT_USAGE;
        } else {
            fprintf(stderr, "digitrec calibrate: unknown option '%s'\n", name);
            return EXIT_USAGE;
        }
    }
    if (!model) {
        fprintf(stderr, "digitrec calibrate: --model F is required\n");
        return EXIT_USAGE;
    }
    char err[ERR_LEN];
    Net net = {0};
    ModelMeta meta = {0};
    Dataset train = {0}, test = {0};
    float *z = NULL;
    int *y = NULL;
    ModelExtras ex = {0};
    OodModel ood = {0};
    double ood_test_rej = 0;
    if (model_load_extras(model, &net, &meta, &ex, err) != 0) goto fail;
    int holdout = calib_model_holdout(&meta);
    if (!holdout) {
        err_set(err, "%s records no held-out images (metadata 'holdout'): it saw every training image, so "
                     "none can calibrate it; train it with --holdout N", model);
        goto fail;
    }
    kernels_set_threads(2);
    if (dataset_load_dir(dataset_default_dir(data), &train, &test, err) != 0) goto fail;
    CalibFit fit;
    if (calib_fit_holdout(&net, &train, holdout, &fit, err) != 0) goto fail;
    int K = net_outputs(&net);
    if (calib_logits(&net, &test, 0, test.n, &z, &y, err) != 0) goto fail;
    double te_before = calib_ece(z, y, test.n, K, 1.0, CALIB_ECE_BINS);
    double te_after = calib_ece(z, y, test.n, K, fit.temperature, CALIB_ECE_BINS), te_cover, te_acc;
    calib_coverage(z, y, test.n, K, fit.temperature, CALIB_SURE_P, &te_cover, &te_acc);
    if (calib_meta_set(&meta, &fit) != 0 || model_meta_set(&meta, "test_ece_before", "%.4f", te_before) != 0 ||
        model_meta_set(&meta, "test_ece_after", "%.4f", te_after) != 0) {
        err_set(err, "%s: no room for the calibration in the metadata", model);
        goto fail;
    }
    if (ood_kind >= 0) {
        if (fit_detector(&net, &train, &test, holdout, fit.temperature, (OodKind)ood_kind, on_logits, &ood, &ood_test_rej,
                         err) != 0 ||
            ood_to_model(&ood, &meta, &ex, err) != 0)
            goto fail;
    }
    if (model_save_extras(model, &net, &meta, &ex, err) != 0) goto fail;
    printf("%s: temperature %.4f from the last %d training images (accuracy %.2f%%)\n"
           "  ECE (%d bins) held-out %.2f%% -> %.2f%%, test %.2f%% -> %.2f%%; NLL held-out %.4f -> %.4f\n"
           "  sure (calibrated top probability >= %.0f%%): held-out %.1f%% of images, %.2f%% of them right; "
           "test %.1f%%, %.2f%% right\n",
           model, fit.temperature, holdout, 100 * fit.accuracy, CALIB_ECE_BINS, 100 * fit.ece_before,
           100 * fit.ece_after, 100 * te_before, 100 * te_after, fit.nll_before, fit.nll_after, 100 * CALIB_SURE_P,
           100 * fit.sure_share, 100 * fit.sure_accuracy, 100 * te_cover, 100 * te_acc);
    if (ood_kind >= 0)
        printf("  not a digit: %s score%s, above %.4f (rejects %.1f%% of the held-out digits, %.1f%% of the test set)\n",
               ood_kind_name(ood.kind), ood.kind >= OOD_MAHA ? (ood.on_logits ? " of the logits" : " of the hidden layer") : "",
               ood.threshold, 100 * (1 - OOD_KEEP), 100 * ood_test_rej);
    ood_free(&ood);
    model_extras_free(&ex);
    free(z);
    free(y);
    dataset_free(&train);
    dataset_free(&test);
    net_free(&net);
    return 0;
fail:
    fprintf(stderr, "digitrec calibrate: %s\n", err);
    ood_free(&ood);
    model_extras_free(&ex);
    free(z);
    free(y);
    dataset_free(&train);
    dataset_free(&test);
    net_free(&net);
    return EXIT_RUNTIME;
}

/* A stack's layers, one line each: token, output shape, parameter tensors. */
static void info_layers(const Net *net) {
    for (int i = 0; i < net->arch.n; i++) {
        const LayerSpec *l = &net->arch.layer[i];
        char tok[48], shape[32];
        switch (l->kind) {
        case LAYER_CONV:
            snprintf(tok, sizeof tok, "conv %dx%d s%d p%d", l->k, l->k, l->s, l->p);
            break;
        case LAYER_RELU: snprintf(tok, sizeof tok, "relu"); break;
        case LAYER_POOL: snprintf(tok, sizeof tok, "maxpool 2x2"); break;
        case LAYER_FLATTEN: snprintf(tok, sizeof tok, "flatten"); break;
        case LAYER_FC: snprintf(tok, sizeof tok, "fc"); break;
        }
        if (l->out_h == 1 && l->out_w == 1 && (l->kind == LAYER_FC || l->kind == LAYER_FLATTEN || l->in_h == 1))
            snprintf(shape, sizeof shape, "%d", l->out_c);
        else
            snprintf(shape, sizeof shape, "%dx%dx%d", l->out_c, l->out_h, l->out_w);
        if (l->param_index >= 0)
            printf("\n              %-18s -> %-10s layers.%d  %zu + %zu parameters", tok, shape, l->param_index, l->nweight,
                   l->nbias);
        else
            printf("\n              %-18s -> %s", tok, shape);
    }
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: digitrec info F\nDescribes a model file: layers, parameters, metadata, weight statistics.\n");
            return 0;
        }
        if (path || argv[i][0] == '-') {
            fprintf(stderr, "digitrec info: expected one model file, got '%s'\n", argv[i]);
            return EXIT_USAGE;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "digitrec info: expected a model file\n");
        return EXIT_USAGE;
    }
    char err[ERR_LEN];
    Net net = {0};
    ModelMeta meta = {0};
    if (model_load(path, &net, &meta, err) != 0) {
        fprintf(stderr, "digitrec info: %s\n", err);
        return EXIT_RUNTIME;
    }
    if (net_is_dense(&net)) {
        printf("%s\n  layers      ", path);
        for (int l = 0; l <= net.nlayers; l++) printf("%s%d", l ? "-" : "", net.sizes[l]);
    } else {
        char arch[ARCH_MAX_TEXT];
        net_arch_str(&net, arch, sizeof arch);
        printf("%s\n  arch        %s\n  layers      input %dx%dx%d", path, arch, ARCH_IN_C, ARCH_IN_H, ARCH_IN_W);
        info_layers(&net);
    }
    printf("\n  parameters  %zu\n  bias        %s\n  output      %s\n", net.nparams,
           net.bias == BIAS_LAYER ? "one scalar per layer" : "one per neuron",
           net.output_relu ? "ReLU then softmax" : "softmax of linear logits");
    for (int g = 0; g < 2 * net.nlayers; g++) {
        char name[48];
        size_t off, n;
        net_group_name(&net, g, name, sizeof name);
        net_group_span(&net, g, &off, &n);
        double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double v = net.params[off + i];
            sum += v;
            sq += v * v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        double mean = sum / (double)n;
        printf("  %-16s %8zu values  mean %+.4f  std %.4f  min %+.4f  max %+.4f\n", name, n, mean,
               sqrt(fmax(0, sq / (double)n - mean * mean)), mn, mx);
    }
    printf("  metadata\n");
    for (int i = 0; i < meta.n; i++) printf("    %-18s %s\n", meta.key[i], meta.val[i]);
    net_free(&net);
    return 0;
}

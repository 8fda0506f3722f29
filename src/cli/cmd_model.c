/* cmd_model.c - the subcommands that use a saved model: eval, predict, info. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "arch.h"
#include "common.h"
#include "dataset.h"
#include "image_load.h"
#include "kernels.h"
#include "model_io.h"
#include "net.h"
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
    if (json) {
        printf("{\"model\":");
        json_string(stdout, model);
        printf(",\"dataset\":");
        json_string(stdout, test.name);
        printf(",\"n\":%ld,\"accuracy\":%.6f,\"loss\":%.6f,\"confusion\":[", ev.n, ev.acc, ev.loss);
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
        printf("accuracy %.2f%%  loss %.4f\n\n", 100 * ev.acc, ev.loss);
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

int cmd_predict(int argc, char **argv) {
    const char *model = NULL, *v;
    int json = 0, nimg = 0;
    char **imgs = calloc((size_t)argc, sizeof(char *));
    if (!imgs) return EXIT_RUNTIME;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: digitrec predict --model F [--json] IMAGE...\n"
                   "Reads digits from PNG, JPEG, BMP or PGM files: dark ink on light paper is inverted,\n"
                   "then the digit is cropped, fitted into 20x20 and centred by mass in 28x28 (as MNIST).\n");
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
        else {
            fprintf(stderr, "digitrec predict: unknown option '%s'\n", name);
            free(imgs);
            return EXIT_USAGE;
        }
    }
    if (!model || nimg == 0) {
        fprintf(stderr, "digitrec predict: need --model F and at least one image\n");
        free(imgs);
        return EXIT_USAGE;
    }
    char err[ERR_LEN];
    Net net = {0};
    ModelMeta meta = {0};
    NetWork wk = {0};
    int rc = 0;
    if (model_load(model, &net, &meta, err) != 0 || netwk_create(&wk, &net, 1, err) != 0) {
        fprintf(stderr, "digitrec predict: %s\n", err);
        net_free(&net);
        free(imgs);
        return EXIT_RUNTIME;
    }
    int K = net.sizes[net.nlayers];
    char names[64][24];
    class_names(&meta, K < 64 ? K : 64, names);
    if (net.sizes[0] != PRE_SIDE * PRE_SIDE) {
        fprintf(stderr, "digitrec predict: the model takes %d inputs, not a 28x28 image\n", net.sizes[0]);
        rc = EXIT_RUNTIME;
    }
    for (int k = 0; k < nimg && rc == 0; k++) {
        float *img = NULL, x[PRE_SIDE * PRE_SIDE];
        int w, h;
        if (image_load_file(imgs[k], &img, &w, &h, err) != 0) {
            fprintf(stderr, "digitrec predict: %s\n", err);
            rc = EXIT_RUNTIME;
            break;
        }
        preprocess_auto_invert(img, w, h);
        int ink = preprocess_digit(x, img, w, h, 0.05f);
        free(img);
        net_forward(&net, &wk, x, NULL, 1);
        const float *p = net_probs(&net, &wk);
        int best = 0;
        for (int c = 1; c < K; c++)
            if (p[c] > p[best]) best = c;
        if (json) {
            printf("{\"image\":");
            json_string(stdout, imgs[k]);
            if (ink) {
                printf(",\"digit\":%d,\"label\":", best);
                json_string(stdout, names[best < 64 ? best : 0]);
            } else {
                printf(",\"digit\":null,\"label\":null");
            }
            printf(",\"blank\":%s,\"probabilities\":[", ink ? "false" : "true");
            for (int c = 0; c < K; c++) printf("%s%.6f", c ? "," : "", p[c]);
            printf("]}\n");
        } else if (!ink) {
            printf("%s: blank (no ink found)\n", imgs[k]);
        } else {
            printf("%s: %s (%.1f%%)  ", imgs[k], names[best < 64 ? best : 0], 100 * p[best]);
            for (int c = 0; c < K && c < 64; c++) printf(" %s:%.3f", names[c], p[c]);
            printf("\n");
        }
    }
    netwk_free(&wk);
    net_free(&net);
    free(imgs);
    return rc;
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

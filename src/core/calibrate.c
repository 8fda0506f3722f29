/* calibrate.c - temperature scaling (fit, ECE) and the reading's state. */
#include "calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *calib_state_name(ReadState s) {
    return s == READ_SURE ? "sure" : s == READ_UNSURE ? "unsure" : s == READ_NOT_DIGIT ? "not_digit" : "blank";
}

ReadState calib_state_ood(ReadState s, int rejected) { return s != READ_BLANK && rejected ? READ_NOT_DIGIT : s; }

ReadState calib_state(int has_ink, const PreInfo *info, float p_top) {
    if (!has_ink || (info && (!info->ink || info->near_blank))) return READ_BLANK;
    if (info && info->odd_shape) return READ_UNSURE;
    return p_top >= CALIB_SURE_P ? READ_SURE : READ_UNSURE;
}

int calib_read(const Net *net, NetWork *wk, const float *x, double T, int has_ink, const PreInfo *info, float *probs,
               ReadState *state) {
    int K = net->sizes[net->nlayers];
    net_forward(net, wk, x, NULL, 1);
    calib_probs(probs, wk->pre_out, K, T);
    int top = 0;
    for (int k = 1; k < K; k++)
        if (probs[k] > probs[top]) top = k;
    if (state) *state = calib_state(has_ink, info, probs[top]);
    return top;
}

void calib_probs(float *p, const float *logits, int K, double T) {
    if (!(T > 0) || !isfinite(T)) T = 1.0;
    double m = -INFINITY, sum = 0;
    for (int k = 0; k < K; k++) m = logits[k] > m ? logits[k] : m;
    for (int k = 0; k < K; k++) sum += exp((logits[k] - m) / T);
    for (int k = 0; k < K; k++) p[k] = (float)(exp((logits[k] - m) / T) / sum);
}

double calib_model_temperature(const ModelMeta *meta) {
    const char *s = meta ? model_meta_get(meta, "temperature") : NULL;
    if (!s) return 1.0;
    char *end;
    double t = strtod(s, &end);
    return end != s && *end == '\0' && t > 0 && isfinite(t) ? t : 1.0;
}

int calib_logits(const Net *net, const Dataset *ds, int start, int n, float **logits, int **labels, char *err) {
    int K = net->sizes[net->nlayers], D = net->sizes[0];
    if (D != ds->d) return err_set(err, "the model takes %d inputs but the images have %d pixels", D, ds->d);
    if (start < 0 || n < 1 || start > ds->n - n) return err_set(err, "examples %d..%d are not in the set of %d", start, start + n, ds->n);
    const int B = net_eval_batch(net);
    NetWork wk = {0};
    float *z = xmalloc_array((size_t)n, sizeof(float) * (size_t)K), *x = xmalloc_array((size_t)B, sizeof(float) * (size_t)D);
    int *y = xmalloc_array((size_t)n, sizeof(int));
    if (!z || !x || !y || netwk_create_forward(&wk, net, B, err) != 0) {
        free(z), free(x), free(y);
        netwk_free(&wk);
        return err_set(err, "out of memory for %d logits", n);
    }
    for (int i = 0; i < n; i += B) {
        int b = n - i < B ? n - i : B;
        dataset_slice(ds, start + i, b, x, y + i);
        net_forward(net, &wk, x, NULL, b);
        memcpy(z + (size_t)i * K, wk.pre_out, sizeof(float) * (size_t)b * K);
    }
    netwk_free(&wk);
    free(x);
    *logits = z;
    *labels = y;
    return 0;
}

double calib_nll(const float *logits, const int *y, int n, int K, double T) {
    double tot = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * K;
        double m = -INFINITY, sum = 0;
        for (int k = 0; k < K; k++) m = z[k] > m ? z[k] : m;
        for (int k = 0; k < K; k++) sum += exp((z[k] - m) / T);
        tot += log(sum) - (z[y[i]] - m) / T;
    }
    return n ? tot / n : 0.0;
}

double calib_fit_temperature(const float *logits, const int *y, int n, int K) {
    /* NLL is unimodal in log T for a fixed set of logits */
    const double g = (sqrt(5.0) - 1) / 2;
    double a = log(0.05), b = log(20.0);
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = calib_nll(logits, y, n, K, exp(c)), fd = calib_nll(logits, y, n, K, exp(d));
    while (b - a > 1e-4) {
        if (fc < fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a);
            fc = calib_nll(logits, y, n, K, exp(c));
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a);
            fd = calib_nll(logits, y, n, K, exp(d));
        }
    }
    return exp((a + b) / 2);
}

double calib_ece(const float *logits, const int *y, int n, int K, double T, int bins) {
    if (n < 1 || bins < 1 || K < 1 || K > 4096) return 0.0;
    double conf[64] = {0}, acc[64] = {0};
    long cnt[64] = {0};
    if (bins > 64) bins = 64;
    float p[4096];
    for (int i = 0; i < n; i++) {
        calib_probs(p, logits + (size_t)i * K, K, T);
        int top = 0;
        for (int k = 1; k < K; k++)
            if (p[k] > p[top]) top = k;
        int b = (int)(p[top] * bins);
        b = b >= bins ? bins - 1 : (b < 0 ? 0 : b);
        conf[b] += p[top], acc[b] += top == y[i], cnt[b]++;
    }
    double e = 0;
    for (int b = 0; b < bins; b++)
        if (cnt[b]) e += fabs(acc[b] - conf[b]) / n;
    return e;
}

void calib_coverage(const float *logits, const int *y, int n, int K, double T, float p_sure, double *cover, double *acc) {
    long sure = 0, right = 0;
    float p[4096];
    for (int i = 0; i < n && K <= 4096; i++) {
        calib_probs(p, logits + (size_t)i * K, K, T);
        int top = 0;
        for (int k = 1; k < K; k++)
            if (p[k] > p[top]) top = k;
        if (p[top] >= p_sure) sure++, right += top == y[i];
    }
    *cover = n ? (double)sure / n : 0.0;
    *acc = sure ? (double)right / sure : 0.0;
}

int calib_fit_holdout(const Net *net, const Dataset *train, int holdout, CalibFit *fit, char *err) {
    if (holdout < 1 || holdout >= train->n)
        return err_set(err, "holdout %d must be between 1 and %d (the training images)", holdout, train->n - 1);
    float *z;
    int *y;
    if (calib_logits(net, train, train->n - holdout, holdout, &z, &y, err) != 0) return -1;
    int K = net->sizes[net->nlayers];
    CalibFit f = {holdout, 1.0, 0, 0, 0, 0, 0, 0, 0};
    f.temperature = calib_fit_temperature(z, y, holdout, K);
    f.ece_before = calib_ece(z, y, holdout, K, 1.0, CALIB_ECE_BINS);
    f.ece_after = calib_ece(z, y, holdout, K, f.temperature, CALIB_ECE_BINS);
    f.nll_before = calib_nll(z, y, holdout, K, 1.0);
    f.nll_after = calib_nll(z, y, holdout, K, f.temperature);
    long right = 0;
    for (int i = 0; i < holdout; i++) {
        const float *zi = z + (size_t)i * K;
        int top = 0;
        for (int k = 1; k < K; k++)
            if (zi[k] > zi[top]) top = k;
        right += top == y[i];
    }
    f.accuracy = (double)right / holdout;
    calib_coverage(z, y, holdout, K, f.temperature, CALIB_SURE_P, &f.sure_share, &f.sure_accuracy);
    free(z);
    free(y);
    *fit = f;
    return 0;
}

int calib_meta_set(ModelMeta *meta, const CalibFit *fit) {
    if (model_meta_set(meta, "temperature", "%.4f", fit->temperature) != 0 ||
        model_meta_set(meta, "holdout", "%d", fit->n) != 0 ||
        model_meta_set(meta, "holdout_ece_before", "%.4f", fit->ece_before) != 0 ||
        model_meta_set(meta, "holdout_ece_after", "%.4f", fit->ece_after) != 0)
        return -1;
    return 0;
}

int calib_model_holdout(const ModelMeta *meta) {
    const char *s = meta ? model_meta_get(meta, "holdout") : NULL;
    if (!s) return 0;
    char *end;
    long v = strtol(s, &end, 10);
    return end != s && *end == '\0' && v > 0 && v < (1L << 30) ? (int)v : 0;
}

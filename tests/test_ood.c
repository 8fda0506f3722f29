/* test_ood.c - the "not a digit" detector: the Gaussian fit recovers known means and covariance,
 * exact score values and their ordering, the quantile and the 95th-percentile threshold, far-off
 * points rejected, the detector's round trip through a model file (tensors and metadata), a file
 * without one, broken detectors refused with one line, and a dense net's logits and features. */
#include "calibrate.h"
#include "check.h"
#include "common.h"
#include "model_io.h"
#include "net.h"
#include "ood.h"
#include "ood_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NK 3
#define ND 4

/* A known covariance's lower Cholesky factor (rows), and means mu_k = 6 e_k. */
static const double LC[ND][ND] = {{1.0, 0, 0, 0}, {0.5, 0.8, 0, 0}, {-0.3, 0.2, 0.6, 0}, {0.1, -0.4, 0.3, 0.5}};

static void sample(float *f, int *y, int n, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        double z[ND];
        for (int j = 0; j < ND; j++) z[j] = rng_normal(&r);
        y[i] = (int)rng_below(&r, NK);
        for (int a = 0; a < ND; a++) {
            double v = a == y[i] ? 6.0 : 0.0;
            for (int b = 0; b <= a; b++) v += LC[a][b] * z[b];
            f[i * ND + a] = (float)v;
        }
    }
}

static int one_line(const char *e) { return e[0] && !strchr(e, '\n'); }

static void test_fit(void) {
    const int n = 40000;
    float *f = malloc(sizeof(float) * n * ND);
    int *y = malloc(sizeof(int) * n);
    sample(f, y, n, 7);
    OodModel m = {0};
    char err[ERR_LEN];
    CHECK(ood_fit(&m, f, y, n, ND, NK, err) == 0, "%s", err);
    double worst = 0;
    for (int k = 0; k < NK; k++)
        for (int j = 0; j < ND; j++) worst = fmax(worst, fabs(m.means[k * ND + j] - (j == k ? 6.0 : 0.0)));
    CHECK(worst < 0.05, "means off by %g", worst);
    /* a copy (what Revert brings back) scores exactly as the original and owns its memory */
    OodModel c = {0}, e = {0};
    CHECK(ood_copy(&c, &m) == 0 && c.means != m.means && c.precision != m.precision, "ood_copy");
    CHECK(!memcmp(c.means, m.means, sizeof(float) * NK * ND) && !memcmp(c.precision, m.precision, sizeof(float) * ND * ND) &&
              c.K == m.K && c.d == m.d && c.kind == m.kind,
          "the copy holds the same detector");
    CHECK(ood_score_kind(&c, OOD_MAHA, f, f) == ood_score_kind(&m, OOD_MAHA, f, f), "the copy scores the same");
    CHECK(ood_copy(&e, &(OodModel){0}) == 0 && !e.means && !e.precision && e.K == 0, "an empty detector copies as empty");
    ood_free(&c);
    /* precision * covariance ~ identity (the ridge is 0.1% of the mean variance) */
    double cov[ND][ND], pe = 0;
    for (int a = 0; a < ND; a++)
        for (int b = 0; b < ND; b++) {
            cov[a][b] = 0;
            for (int c = 0; c < ND; c++) cov[a][b] += LC[a][c] * LC[b][c];
        }
    for (int a = 0; a < ND; a++)
        for (int b = 0; b < ND; b++) {
            double s = 0;
            for (int c = 0; c < ND; c++) s += m.precision[a * ND + c] * cov[c][b];
            pe = fmax(pe, fabs(s - (a == b)));
            CHECK(m.precision[a * ND + b] == m.precision[b * ND + a], "precision not symmetric at %d,%d", a, b);
        }
    CHECK(pe < 0.04, "precision * covariance differs from I by %g", pe);
    CHECK(m.kind == OOD_MAHA && isinf(m.threshold) && m.K == NK && m.d == ND, "fresh fit's fields");

    /* threshold at the 95th percentile of held-out digits: exactly 5% of 1000 above it */
    const int nh = 1000;
    float *fh = malloc(sizeof(float) * nh * ND), *zh = calloc((size_t)nh * NK, sizeof(float));
    int *yh = malloc(sizeof(int) * nh);
    sample(fh, yh, nh, 8);
    CHECK(ood_calibrate(&m, OOD_MAHA, 1.0, zh, fh, nh, OOD_KEEP, err) == 0, "%s", err);
    int above = 0;
    for (int i = 0; i < nh; i++) above += ood_rejects(&m, zh + i * NK, fh + i * ND);
    CHECK(above == 50, "%d of 1000 held-out points rejected, want 50", above);
    /* for a 4-d Gaussian the squared distance's 95th percentile is chi2(4) = 9.49 */
    CHECK(m.threshold > 8.0 && m.threshold < 11.5, "threshold %g, chi-square(4) 95%% is 9.49", m.threshold);
    /* points far from every class (12 along the last axis) are all rejected */
    int far = 0;
    for (int i = 0; i < nh; i++) {
        float g[ND];
        memcpy(g, fh + i * ND, sizeof g);
        g[3] += 12.0f;
        far += ood_rejects(&m, zh + i * NK, g);
    }
    CHECK(far == nh, "%d of %d far points rejected", far, nh);
    /* a point at a class mean scores 0 */
    float at[ND] = {0, 6, 0, 0};
    CHECK(fabsf(ood_score(&m, zh, at)) < 1e-3f, "score at a mean %g", ood_score(&m, zh, at));
    free(fh), free(zh), free(yh);

    /* errors */
    CHECK(ood_fit(&(OodModel){0}, f, y, NK, ND, NK, err) == -1 && one_line(err), "n <= NK accepted");
    y[5] = NK;
    CHECK(ood_fit(&(OodModel){0}, f, y, n, ND, NK, err) == -1 && strstr(err, "label"), "bad label: %s", err);
    y[5] = 0;
    f[9] = NAN;
    CHECK(ood_fit(&(OodModel){0}, f, y, n, ND, NK, err) == -1 && strstr(err, "finite"), "NaN feature: %s", err);
    f[9] = 0;
    for (int i = 0; i < n; i++) y[i] = i % 2; /* class 2 never appears */
    CHECK(ood_fit(&(OodModel){0}, f, y, n, ND, NK, err) == -1 && strstr(err, "class 2"), "empty class: %s", err);
    ood_free(&m);
    free(f), free(y);
}

static void test_scores(void) {
    /* means e_0, e_1 (d = 2) and precision diag(1, 4): distances by hand */
    float means[4] = {1, 0, 0, 1}, prec[4] = {1, 0, 0, 4};
    OodModel m = {.K = 2, .d = 2, .T = 2.0, .means = means, .precision = prec, .kind = OOD_MAHA, .threshold = 1};
    float lg[2] = {1, 3}, f1[2] = {1, 0.5f}, f2[2] = {3, 3};
    CHECK(fabsf(ood_score(&m, lg, f1) - 1.0f) < 1e-6f, "maha %g want 1 (0.5^2 * 4)", ood_score(&m, lg, f1));
    CHECK(fabsf(ood_score(&m, lg, f2) - 25.0f) < 1e-5f, "maha %g want 25 (3^2 + 4 * 2^2)", ood_score(&m, lg, f2));
    CHECK(ood_score(&m, lg, f1) < ood_score(&m, lg, f2), "nearer scores lower");
    double e = -2.0 * log(exp(0.5) + exp(1.5));
    CHECK(fabs(ood_score_kind(&m, OOD_ENERGY, lg, NULL) - e) < 1e-5, "energy %g want %g", ood_score_kind(&m, OOD_ENERGY, lg, NULL), e);
    double p = exp(1.5) / (exp(0.5) + exp(1.5));
    CHECK(fabs(ood_score_kind(&m, OOD_MSP, lg, NULL) + p) < 1e-6, "msp %g want %g", ood_score_kind(&m, OOD_MSP, lg, NULL), -p);
    /* confident logits score lower than flat ones, for both logit scores */
    float sure[2] = {12, 0}, flat[2] = {0.1f, 0};
    for (int k = OOD_MSP; k <= OOD_ENERGY; k++)
        CHECK(ood_score_kind(&m, k, sure, NULL) < ood_score_kind(&m, k, flat, NULL), "%s: confident not lower", ood_kind_name(k));
    /* the Gaussian of the logits: feat ignored */
    m.on_logits = 1;
    float l2[2] = {1, 0.5f};
    CHECK(fabsf(ood_score(&m, l2, NULL) - 1.0f) < 1e-6f, "on_logits maha %g", ood_score(&m, l2, NULL));
    m.on_logits = 0;
    /* combined: standardised energy plus standardised log distance */
    m.kind = OOD_COMBINED;
    m.norm[0] = -3, m.norm[1] = 2, m.norm[2] = 0, m.norm[3] = 0.5f;
    double want = (e + 3) / 2 + log(1.0 + 1e-12) / 0.5;
    CHECK(fabs(ood_score(&m, lg, f1) - want) < 1e-4, "combined %g want %g", ood_score(&m, lg, f1), want);
    /* Mahalanobis without a Gaussian is not a number, and is rejected */
    OodModel bare = {.K = 2, .d = 2, .T = 1, .kind = OOD_MAHA, .threshold = 100};
    CHECK(isnan(ood_score(&bare, lg, f1)) && ood_rejects(&bare, lg, f1), "bare maha");
    CHECK(calib_state_ood(READ_BLANK, 1) == READ_BLANK && calib_state_ood(READ_SURE, 1) == READ_NOT_DIGIT &&
              calib_state_ood(READ_UNSURE, 1) == READ_NOT_DIGIT && calib_state_ood(READ_UNSURE, 0) == READ_UNSURE &&
              !strcmp(calib_state_name(READ_NOT_DIGIT), "not_digit"),
          "the reading's states with the detector");
    CHECK(ood_kind_parse("energy") == OOD_ENERGY && ood_kind_parse("combined") == OOD_COMBINED && ood_kind_parse("x") == -1,
          "kind names");
}

static void test_quantile(void) {
    float s[100];
    for (int i = 0; i < 100; i++) s[i] = (float)((i * 37) % 100 + 1); /* 1..100 shuffled */
    float t = 0;
    char err[ERR_LEN];
    CHECK(ood_quantile(s, 100, 0.95, &t, err) == 0 && t == 95.0f, "95%% of 1..100 -> %g", t);
    CHECK(ood_quantile(s, 100, 1.0, &t, err) == 0 && t == 100.0f, "100%% -> %g", t);
    CHECK(ood_quantile(s, 1, 0.95, &t, err) == 0 && t == s[0], "one score");
    CHECK(s[0] == 1.0f && s[1] == 38.0f, "input left as it was");
    CHECK(ood_quantile(s, 0, 0.95, &t, err) == -1 && one_line(err), "no scores");
    CHECK(ood_quantile(s, 100, 0.0, &t, err) == -1 && one_line(err), "keep 0");
    s[3] = NAN;
    CHECK(ood_quantile(s, 100, 0.95, &t, err) == -1 && strstr(err, "not a number"), "NaN: %s", err);
}

/* A small dense net and a fitted detector on random features of width d. */
static void make_detector(OodModel *m, int d, int Kc, uint64_t seed) {
    int n = 400;
    float *f = malloc(sizeof(float) * n * d), *z = malloc(sizeof(float) * n * Kc);
    int *y = malloc(sizeof(int) * n);
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        y[i] = i % Kc;
        for (int j = 0; j < d; j++) f[i * d + j] = (float)(rng_normal(&r) + (j == y[i]));
        for (int k = 0; k < Kc; k++) z[i * Kc + k] = (float)(3 * (k == y[i]) + rng_normal(&r));
    }
    char err[ERR_LEN];
    CHECK(ood_fit(m, f, y, n, d, Kc, err) == 0, "%s", err);
    CHECK(ood_calibrate(m, OOD_COMBINED, 1.5, z, f, n, OOD_KEEP, err) == 0, "%s", err);
    free(f), free(z), free(y);
}

static void test_model_file(void) {
    int sizes[3] = {6, 5, 3};
    Net net = {0};
    char err[ERR_LEN];
    CHECK(net_create(&net, sizes, 2, BIAS_NEURON, 0, err) == 0, "%s", err);
    net_init_he(&net, 3);
    OodModel m = {0}, back = {0};
    make_detector(&m, 5, 3, 11);
    ModelMeta meta = {0};
    ModelExtras ex = {0};
    model_meta_set(&meta, "temperature", "1.5");
    CHECK(ood_to_model(&m, &meta, &ex, err) == 0, "%s", err);
    CHECK(ex.n == 2 && model_extras_get(&ex, "ood.means") && model_extras_get(&ex, "ood.precision"), "two tensors");

    /* through a real file, atomically written */
    char path[] = "/tmp/test_ood_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    CHECK(model_save_extras(path, &net, &meta, &ex, err) == 0, "%s", err);
    Net n2 = {0};
    ModelMeta m2 = {0};
    ModelExtras x2 = {0};
    CHECK(model_load_extras(path, &n2, &m2, &x2, err) == 0, "%s", err);
    CHECK(ood_from_model(&back, &m2, &x2, 3, 5, 1.5, err) == 1, "round trip: %s", err);
    CHECK(back.kind == m.kind && back.threshold == m.threshold && back.on_logits == 0 && back.K == 3 && back.d == 5,
          "fields after the round trip");
    CHECK(!memcmp(back.means, m.means, sizeof(float) * 15) && !memcmp(back.precision, m.precision, sizeof(float) * 25),
          "tensors after the round trip");
    CHECK(!memcmp(back.norm, m.norm, sizeof m.norm), "norm after the round trip");
    float lg[3] = {0.3f, 2, -1}, ft[5] = {0.1f, 1, 0, 0.5f, 2};
    CHECK(ood_score(&back, lg, ft) == ood_score(&m, lg, ft), "same score after the round trip");
    CHECK(net_same_shape(&n2, &net) && !memcmp(n2.params, net.params, sizeof(float) * net.nparams), "net intact");
    ood_free(&back);
    net_free(&n2);
    model_extras_free(&x2);
    /* the plain loader reads a file with a detector and skips it */
    CHECK(model_load(path, &n2, &m2, err) == 0, "plain load of a file with a detector: %s", err);
    net_free(&n2);
    unlink(path);

    /* a file without a detector: no tensors, ood_from_model says 0 */
    uint8_t *buf;
    size_t len;
    CHECK(model_encode(&net, NULL, &buf, &len, err) == 0, "%s", err);
    ModelMeta m3 = {0};
    ModelExtras x3 = {0};
    CHECK(model_parse_extras(buf, len, &n2, &m3, &x3, err) == 0 && x3.n == 0, "no extras: %s", err);
    CHECK(ood_from_model(&back, &m3, &x3, 3, 5, 1, err) == 0 && !back.means, "no detector -> 0");
    net_free(&n2);
    free(buf);

    /* broken detectors: one line each, nothing kept */
    struct {
        const char *key, *val;
        const char *want;
    } bad_meta[] = {{"ood_score", "bogus", "unknown ood_score"},
                    {"ood_threshold", "abc", "ood_threshold"},
                    {"ood_norm", "1,2", "ood_norm"},
                    {"ood_space", "pixels", "ood_space"}};
    for (int i = 0; i < 4; i++) {
        ModelMeta mb = meta;
        model_meta_set(&mb, bad_meta[i].key, "%s", bad_meta[i].val);
        CHECK(ood_from_model(&back, &mb, &ex, 3, 5, 1, err) == -1 && strstr(err, bad_meta[i].want) && one_line(err),
              "%s=%s: %s", bad_meta[i].key, bad_meta[i].val, err);
        CHECK(!back.means, "nothing kept");
    }
    CHECK(ood_from_model(&back, &meta, &ex, 3, 6, 1, err) == -1 && strstr(err, "ood.means"), "wrong width: %s", err);
    ModelExtras xb = {0};
    const ModelTensor *mu = model_extras_get(&ex, "ood.means"), *pr = model_extras_get(&ex, "ood.precision");
    model_extras_put(&xb, "ood.means", mu->data, 3, 5, err);
    CHECK(ood_from_model(&back, &meta, &xb, 3, 5, 1, err) == -1 && strstr(err, "together"), "precision missing: %s", err);
    float asym[25];
    memcpy(asym, pr->data, sizeof asym);
    asym[1] += 0.5f;
    model_extras_put(&xb, "ood.precision", asym, 5, 5, err);
    CHECK(ood_from_model(&back, &meta, &xb, 3, 5, 1, err) == -1 && strstr(err, "symmetric"), "asymmetric: %s", err);
    memcpy(asym, pr->data, sizeof asym);
    asym[6] = -1;
    model_extras_put(&xb, "ood.precision", asym, 5, 5, err);
    CHECK(ood_from_model(&back, &meta, &xb, 3, 5, 1, err) == -1 && strstr(err, "diagonal"), "negative diagonal: %s", err);
    /* a NaN in a tensor: refused on save, and in a file by the parser */
    asym[6] = NAN;
    model_extras_put(&xb, "ood.precision", asym, 5, 5, err);
    CHECK(model_save_extras("/tmp/test_ood_never", &net, &meta, &xb, err) == -1 && strstr(err, "NaN"), "save NaN: %s", err);
    CHECK(access("/tmp/test_ood_never", F_OK) != 0, "nothing written");
    CHECK(model_encode_extras(&net, &meta, &xb, &buf, &len, err) == 0, "%s", err);
    CHECK(model_parse_extras(buf, len, &n2, &m3, &x3, err) == -1 && strstr(err, "NaN") && one_line(err), "NaN in file: %s", err);
    CHECK(model_parse(buf, len, &n2, &m3, err) == -1, "plain parse of a NaN detector tensor accepted");
    free(buf);
    /* an extra tensor of rank 3 is refused by the parser */
    CHECK(model_encode_extras(&net, &meta, &ex, &buf, &len, err) == 0, "%s", err);
    const char *key = "\"ood.means\":{\"dtype\":\"F32\",\"shape\":";
    char *at = NULL;
    for (size_t i = 8; i + strlen(key) + 5 < len && !at; i++)
        if (!memcmp(buf + i, key, strlen(key)) && !memcmp(buf + i + strlen(key), "[3,5]", 5)) at = (char *)buf + i + strlen(key);
    CHECK(at != NULL, "header layout");
    if (at) {
        memcpy(at, "[15] ", 5); /* still 15 floats, now rank 1 */
        CHECK(model_parse_extras(buf, len, &n2, &m3, &x3, err) == 0, "rank 1 accepted: %s", err);
        CHECK(ood_from_model(&back, &m3, &x3, 3, 5, 1, err) == -1 && strstr(err, "ood.means is"), "rank 1 means: %s", err);
        net_free(&n2);
        model_extras_free(&x3);
    }
    free(buf);
    CHECK(model_extras_put(&xb, "layers.9.weight", asym, 5, 5, err) == -1 && one_line(err), "extra name outside ood.");
    model_extras_free(&xb);
    model_extras_free(&ex);
    ood_free(&m);
    net_free(&net);
}

static void test_net_features(void) {
    /* 3 inputs -> 2 hidden (ReLU) -> 2 logits, weights by hand */
    int sizes[3] = {3, 2, 2};
    Net net = {0};
    NetWork wk = {0};
    char err[ERR_LEN];
    CHECK(net_create(&net, sizes, 2, BIAS_NEURON, 0, err) == 0 && netwk_create(&wk, &net, 2, err) == 0, "%s", err);
    const float w0[6] = {1, 0, 0, 0, -1, 0}, b0[2] = {0.5f, 0}, w1[4] = {2, 0, 1, 1}, b1[2] = {0, -1};
    memcpy(net.w[0], w0, sizeof w0), memcpy(net.b[0], b0, sizeof b0);
    memcpy(net.w[1], w1, sizeof w1), memcpy(net.b[1], b1, sizeof b1);
    float x[6] = {1, 2, 3, -2, -1, 0}, z[4], f[4];
    CHECK(ood_net_dim(&net) == 2, "dim %d", ood_net_dim(&net));
    CHECK(ood_net_features(&net, &wk, x, 2, z, f, err) == 0, "%s", err);
    /* example 0: h = relu(1.5, -2) = (1.5, 0), z = (3, 0.5); example 1: h = relu(-1.5, 1) = (0, 1), z = (0, 0) */
    const float fw[4] = {1.5f, 0, 0, 1}, zw[4] = {3, 0.5f, 0, 0};
    for (int i = 0; i < 4; i++) {
        CHECK(fabsf(f[i] - fw[i]) < 1e-6f, "feature %d %g want %g", i, f[i], fw[i]);
        CHECK(fabsf(z[i] - zw[i]) < 1e-6f, "logit %d %g want %g", i, z[i], zw[i]);
    }
    CHECK(ood_net_features(&net, &wk, x, 3, z, f, err) == -1 && one_line(err), "batch over capacity");
    netwk_free(&wk);
    net_free(&net);
    int s1[2] = {3, 2};
    CHECK(net_create(&net, s1, 1, BIAS_NEURON, 0, err) == 0 && netwk_create(&wk, &net, 1, err) == 0, "%s", err);
    CHECK(ood_net_dim(&net) == 0 && ood_net_features(&net, &wk, x, 1, z, f, err) == -1 && strstr(err, "hidden"),
          "softmax regression has no features: %s", err);
    netwk_free(&wk);
    net_free(&net);

    /* a layer stack: the features are the last fc's input, so that fc applied to them gives the logits */
    CHECK(net_create_str(&net, "conv4k3-relu-pool-fc8-relu-fc10", err) == 0, "%s", err);
    net_init_he(&net, 5);
    CHECK(ood_net_dim(&net) == 8, "stack feature width %d", ood_net_dim(&net));
    CHECK(netwk_create_forward(&wk, &net, 2, err) == 0, "%s", err);
    float img[2 * 784], sz[20], sf[16];
    Rng r;
    rng_seed(&r, 4);
    for (int i = 0; i < 2 * 784; i++) img[i] = (float)rng_uniform(&r);
    CHECK(ood_net_features(&net, &wk, img, 2, sz, sf, err) == 0, "%s", err);
    double worst = 0;
    int nonneg = 1;
    const float *w = net.w[net.nlayers - 1], *b = net.b[net.nlayers - 1];
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 10; k++) {
            double s = b[k];
            for (int j = 0; j < 8; j++) s += w[k * 8 + j] * sf[i * 8 + j], nonneg &= sf[i * 8 + j] >= 0;
            worst = fmax(worst, fabs(s - sz[i * 10 + k]));
        }
    CHECK(worst < 1e-4 && nonneg, "stack: last fc of the features is off the logits by %g (ReLU'd: %d)", worst, nonneg);
    netwk_free(&wk);
    net_free(&net);
}

int main(void) {
    test_fit();
    test_scores();
    test_quantile();
    test_model_file();
    test_net_features();
    return check_summary("test_ood");
}

/* test_calibrate.c - temperature scaling: the fit recovers the temperature that made synthetic
 * labels from logits, the ECE falls to near zero after it and is near zero for calibrated
 * probabilities; tempered softmax; the reading's states at and around the threshold; the
 * metadata round trip; a fit on the held-out end of a dataset. */
#include "calibrate.h"
#include "check.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define K 10

/* n examples: logits z ~ 4 N(0,1), labels drawn from softmax(z / T0). */
static void synth(float *z, int *y, int n, double T0, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        float p[K];
        for (int k = 0; k < K; k++) z[i * K + k] = (float)(4.0 * rng_normal(&r));
        calib_probs(p, z + i * K, K, T0);
        double u = rng_uniform(&r), acc = 0;
        y[i] = K - 1;
        for (int k = 0; k < K; k++) {
            acc += p[k];
            if (u < acc) {
                y[i] = k;
                break;
            }
        }
    }
}

static void test_fit(void) {
    const int n = 20000;
    float *z = malloc(sizeof(float) * n * K);
    int *y = malloc(sizeof(int) * n);
    const double T0s[3] = {0.5, 1.0, 2.5};
    for (int t = 0; t < 3; t++) {
        synth(z, y, n, T0s[t], 11 + t);
        double T = calib_fit_temperature(z, y, n, K);
        CHECK(fabs(T - T0s[t]) < 0.06 * T0s[t], "fit recovers T0 = %.2f (got %.3f)", T0s[t], T);
        double e1 = calib_ece(z, y, n, K, 1.0, CALIB_ECE_BINS), eT = calib_ece(z, y, n, K, T, CALIB_ECE_BINS);
        CHECK(eT < 0.02, "T0 %.1f: ECE after the fit %.4f", T0s[t], eT);
        if (T0s[t] != 1.0) CHECK(e1 > 3 * eT && e1 > 0.03, "T0 %.1f: ECE before %.4f, after %.4f", T0s[t], e1, eT);
        CHECK(calib_nll(z, y, n, K, T) <= calib_nll(z, y, n, K, 1.0) + 1e-9, "the fit lowers the NLL");
        CHECK(calib_nll(z, y, n, K, T) <= calib_nll(z, y, n, K, T * 1.1) && calib_nll(z, y, n, K, T) <= calib_nll(z, y, n, K, T / 1.1),
              "the fit is a minimum");
    }
    /* an always-right, always-sure model is calibrated already */
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < K; k++) z[i * K + k] = 0;
        z[i * K + (i % K)] = 40;
        y[i] = i % K;
    }
    CHECK(calib_ece(z, y, n, K, 1.0, CALIB_ECE_BINS) < 1e-6, "sure and right: ECE 0");
    double cover, acc;
    calib_coverage(z, y, n, K, 1.0, CALIB_SURE_P, &cover, &acc);
    CHECK(cover == 1.0 && acc == 1.0, "coverage of sure and right: %.3f %.3f", cover, acc);
    free(z);
    free(y);
}

static void test_probs_and_states(void) {
    float z[3] = {2.0f, 0.0f, -1.0f}, p[3], q[3];
    calib_probs(p, z, 3, 1.0);
    double s = exp(2.0) + 1 + exp(-1.0);
    CHECK(fabs(p[0] - exp(2.0) / s) < 1e-6 && fabs(p[0] + p[1] + p[2] - 1) < 1e-6, "T = 1 is the softmax");
    calib_probs(q, z, 3, 1000.0);
    CHECK(fabs(q[0] - 1.0 / 3) < 0.01, "a large T flattens (%.4f)", q[0]);
    calib_probs(q, z, 3, -2.0);
    CHECK(fabs(q[0] - p[0]) < 1e-7, "a negative T counts as 1");
    calib_probs(q, z, 3, NAN);
    CHECK(fabs(q[0] - p[0]) < 1e-7, "NaN T counts as 1");
    calib_probs(q, z, 3, 0.5);
    CHECK(q[0] > p[0], "T < 1 sharpens");

    PreInfo ok = {0};
    ok.ink = 1;
    CHECK(calib_state(1, &ok, CALIB_SURE_P) == READ_SURE, "at the threshold: sure");
    CHECK(calib_state(1, &ok, nextafterf(CALIB_SURE_P, 0)) == READ_UNSURE, "just below: unsure");
    CHECK(calib_state(1, &ok, 0.51f) == READ_UNSURE, "51%%: unsure");
    CHECK(calib_state(0, &ok, 0.99f) == READ_BLANK && calib_state(1, NULL, 0.99f) == READ_SURE, "no ink: blank");
    PreInfo nb = ok;
    nb.near_blank = 1;
    CHECK(calib_state(1, &nb, 0.999f) == READ_BLANK, "near-blank: blank whatever the probability");
    PreInfo dash = ok;
    dash.odd_shape = 1;
    CHECK(calib_state(1, &dash, 0.999f) == READ_UNSURE, "not digit-shaped: unsure whatever the probability");
    CHECK(!strcmp(calib_state_name(READ_SURE), "sure") && !strcmp(calib_state_name(READ_UNSURE), "unsure") &&
              !strcmp(calib_state_name(READ_BLANK), "blank"),
          "state names");
}

static void test_meta(void) {
    ModelMeta m = {0};
    CHECK(calib_model_temperature(&m) == 1.0 && calib_model_holdout(&m) == 0, "absent: T 1, no holdout");
    CalibFit f = {5000, 2.0619, 0.0082, 0.004, 0, 0, 0.98, 0.95, 0.996};
    CHECK(calib_meta_set(&m, &f) == 0, "meta set");
    CHECK(fabs(calib_model_temperature(&m) - 2.0619) < 1e-9 && calib_model_holdout(&m) == 5000, "round trip");
    model_meta_set(&m, "temperature", "abc");
    model_meta_set(&m, "holdout", "12x");
    CHECK(calib_model_temperature(&m) == 1.0 && calib_model_holdout(&m) == 0, "malformed: T 1, no holdout");
    model_meta_set(&m, "temperature", "-3");
    CHECK(calib_model_temperature(&m) == 1.0, "negative: T 1");
    CHECK(calib_model_temperature(NULL) == 1.0, "no metadata: T 1");
}

/* A 2-class dataset whose first pixel says the class, a softmax net that reads it too sharply:
 * the held-out fit finds T > 1 and leaves accuracy alone. */
static void test_holdout(void) {
    char err[ERR_LEN];
    Dataset ds = {0};
    ds.n = 2000, ds.rows = 1, ds.cols = 2, ds.d = 2, ds.nclass = 2;
    ds.x = malloc(4000), ds.y = malloc(2000);
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < ds.n; i++) {
        int c = (int)rng_below(&r, 2);
        double v = (c ? 160 : 96) + 40 * rng_normal(&r); /* overlapping classes */
        ds.x[2 * i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v), ds.x[2 * i + 1] = 0;
        ds.y[i] = (uint8_t)c;
    }
    Net net = {0};
    int sizes[2] = {2, 2};
    CHECK(net_create(&net, sizes, 1, BIAS_NEURON, 0, err) == 0, "%s", err);
    net.w[0][0] = -40, net.w[0][2] = 40, net.b[0][0] = 20, net.b[0][1] = -20; /* boundary at 0.5, far too steep */
    CalibFit f;
    CHECK(calib_fit_holdout(&net, &ds, 500, &f, err) == 0, "holdout fit: %s", err);
    CHECK(f.n == 500 && f.temperature > 2.0 && f.ece_after < f.ece_before && f.nll_after < f.nll_before,
          "overconfident net: T %.2f, ECE %.4f -> %.4f", f.temperature, f.ece_before, f.ece_after);
    CHECK(f.accuracy > 0.7 && f.accuracy < 0.95, "held-out accuracy %.3f", f.accuracy);
    CHECK(calib_fit_holdout(&net, &ds, 0, &f, err) != 0 && strstr(err, "holdout 0"), "holdout 0 refused: %s", err);
    CHECK(calib_fit_holdout(&net, &ds, 2000, &f, err) != 0, "holdout of everything refused");
    net_free(&net);
    free(ds.x);
    free(ds.y);
}

int main(void) {
    test_fit();
    test_probs_and_states();
    test_meta();
    test_holdout();
    return check_summary("test_calibrate");
}

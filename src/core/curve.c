/* curve.c - the bucketed curve: appending, merging when full, means, smoothing. */
#include "curve.h"

#include <math.h>
#include <string.h>

void curve_init(Curve *c) {
    memset(c, 0, sizeof *c);
    c->span = 1;
}

/* Halves the bucket count: bucket b becomes buckets 2b and 2b+1 merged. */
static void merge_pairs(Curve *c) {
    int m = 0;
    for (int b = 0; b < c->nb; b += 2, m++) {
        float lo = c->min[b], hi = c->max[b];
        double sum = c->sum[b];
        int cnt = c->cnt[b];
        if (b + 1 < c->nb && c->cnt[b + 1] > 0) {
            if (cnt == 0 || c->min[b + 1] < lo) lo = c->min[b + 1];
            if (cnt == 0 || c->max[b + 1] > hi) hi = c->max[b + 1];
            sum += c->sum[b + 1];
            cnt += c->cnt[b + 1];
        }
        c->min[m] = lo, c->max[m] = hi, c->sum[m] = sum, c->cnt[m] = cnt;
    }
    c->nb = m;
    c->span *= 2;
}

void curve_add(Curve *c, float v) {
    if (c->span < 1) c->span = 1; /* a zeroed curve is an empty one */
    long b = c->n / c->span;
    if (b >= CURVE_BUCKETS) {
        merge_pairs(c);
        b = c->n / c->span;
    }
    if (b >= c->nb) { /* a new bucket */
        c->nb = (int)b + 1;
        c->min[b] = c->max[b] = 0;
        c->sum[b] = 0;
        c->cnt[b] = 0;
    }
    c->n++;
    c->last = v;
    if (!isfinite(v)) {
        c->nonfinite++;
        return;
    }
    if (c->cnt[b] == 0 || v < c->min[b]) c->min[b] = v;
    if (c->cnt[b] == 0 || v > c->max[b]) c->max[b] = v;
    c->sum[b] += v;
    c->cnt[b]++;
}

float curve_mean(const Curve *c, int b) {
    if (b < 0 || b >= c->nb || c->cnt[b] == 0) return NAN;
    return (float)(c->sum[b] / c->cnt[b]);
}

void curve_smooth(const Curve *c, float *out) {
    double tau = c->n / 60.0;
    tau = tau < 5 ? 5 : tau > 500 ? 500 : tau;
    tau /= (double)(c->span > 0 ? c->span : 1); /* in buckets */
    if (tau < 1) tau = 1;
    double beta = 1.0 - 1.0 / tau, ema = 0, wsum = 0;
    for (int b = 0; b < c->nb; b++) {
        float m = curve_mean(c, b);
        if (isfinite(m)) {
            /* a bucket stands for span steps (the last one for fewer): weigh it by its count */
            double k = (double)c->cnt[b] / (double)c->span, decay = pow(beta, k); /* span >= 1 when nb > 0 */
            ema = decay * ema + (1 - decay) * m;
            wsum = decay * wsum + (1 - decay);
        }
        out[b] = wsum > 0 ? (float)(ema / wsum) : NAN;
    }
}

int curve_range(const Curve *c, long from, float *lo, float *hi) {
    int found = 0;
    long b0 = from > 0 && c->span > 0 ? from / c->span : 0;
    for (long b = b0; b < c->nb; b++) {
        if (c->cnt[b] == 0) continue;
        if (!found || c->min[b] < *lo) *lo = c->min[b];
        if (!found || c->max[b] > *hi) *hi = c->max[b];
        found = 1;
    }
    return found;
}

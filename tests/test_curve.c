/* test_curve.c - the bucketed training curve: exact while short, bounded however long, merges
 * keep every min, max and sum, the smoothing matches a per-step moving average, and a day of
 * steps costs the same memory as a minute. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "curve.h"

int main(void) {
    static Curve c;
    curve_init(&c);
    CHECK(c.n == 0 && c.nb == 0 && c.span == 1, "empty");
    /* short: one bucket per step, exact */
    for (int i = 0; i < 100; i++) curve_add(&c, (float)i);
    CHECK(c.n == 100 && c.nb == 100 && c.span == 1 && c.min[37] == 37 && c.max[37] == 37 && curve_mean(&c, 37) == 37,
          "one bucket a step");
    CHECK(c.last == 99, "the last value");
    /* the smoothing over span-1 buckets equals the plot's per-step bias-corrected average */
    static float sm[CURVE_BUCKETS];
    curve_smooth(&c, sm);
    double tau = 5, beta = 1 - 1 / tau, ema = 0, w = 0;
    int same = 1;
    for (int i = 0; i < 100; i++) {
        ema = beta * ema + (1 - beta) * i, w = beta * w + (1 - beta);
        same &= fabs(sm[i] - ema / w) < 1e-3;
    }
    CHECK(same, "smoothing = per-step moving average");

    /* long: values with a known pattern, far more steps than buckets */
    curve_init(&c);
    Rng r;
    rng_seed(&r, 5);
    long N = 10 * 1000 * 1000;
    double total = 0;
    float lo = 1e9f, hi = -1e9f;
    for (long i = 0; i < N; i++) {
        float v = (float)rng_uniform(&r) + (i == 123456 ? 1000.0f : 0.0f) - (i == 9999999 ? 500.0f : 0.0f);
        if (i == 777) v = NAN;
        curve_add(&c, v);
        if (isfinite(v)) {
            total += v;
            lo = fminf(lo, v), hi = fmaxf(hi, v);
        }
    }
    CHECK(c.n == N && c.nb <= CURVE_BUCKETS && c.nb > CURVE_BUCKETS / 2, "%ld steps in %d buckets of %ld", c.n, c.nb, c.span);
    CHECK((c.span & (c.span - 1)) == 0 && (long)c.nb * c.span >= N && (long)(c.nb - 1) * c.span < N, "buckets cover the run");
    double sum = 0;
    long cnt = 0;
    float cl = 1e9f, ch = -1e9f;
    for (int b = 0; b < c.nb; b++) {
        sum += c.sum[b], cnt += c.cnt[b];
        cl = fminf(cl, c.min[b]), ch = fmaxf(ch, c.max[b]);
    }
    CHECK(cnt == N - 1 && c.nonfinite == 1, "every finite value counted once (%ld), the NaN apart", cnt);
    CHECK(fabs(sum - total) < 1e-6 * fabs(total), "sums kept: %.6g vs %.6g", sum, total);
    CHECK(cl == lo && ch == hi, "the extremes survive every merge: %g %g", cl, ch);
    CHECK(c.max[123456 / c.span] >= 1000.0f, "the spike stays in its bucket");
    float rl, rh;
    CHECK(curve_range(&c, N / 2, &rl, &rh) && rh < 2 && rl < -400, "range of the second half: %g..%g", rl, rh);
    CHECK(sizeof c < 64 * 1024, "bounded: %zu bytes for any length", sizeof c);
    /* a zeroed curve behaves as an empty one */
    Curve z;
    memset(&z, 0, sizeof z);
    curve_add(&z, 1.0f);
    CHECK(z.n == 1 && z.nb == 1 && z.span == 1, "zeroed = empty");
    return check_summary("curve");
}

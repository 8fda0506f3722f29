/* curve.h - a training curve of any length in bounded memory: at most CURVE_BUCKETS buckets, each
 * the min, max, sum and count of the finite values of a run of consecutive steps. When the buckets
 * are full, neighbours merge in pairs and every bucket covers twice as many steps, so a day-long
 * run costs what a minute-long one does and drawing it costs what the screen has pixels for.
 * The raw values are not kept here (see LossSpool in worker.h for those). */
#ifndef DIGITREC_CURVE_H
#define DIGITREC_CURVE_H

#include <stddef.h>

#define CURVE_BUCKETS 2048

typedef struct {
    long n;                       /* values added (steps) */
    long span;                    /* steps per bucket, a power of two */
    int nb;                       /* buckets in use; bucket b covers steps [b*span, (b+1)*span) */
    long nonfinite;               /* NaN/Inf values seen (not in any bucket) */
    float last;                   /* the last value added */
    float min[CURVE_BUCKETS], max[CURVE_BUCKETS];
    double sum[CURVE_BUCKETS];    /* of the finite values */
    int cnt[CURVE_BUCKETS];       /* finite values in the bucket */
} Curve;

/* An empty curve (span 1). */
void curve_init(Curve *c);
/* Appends the next step's value. */
void curve_add(Curve *c, float v);
/* Mean of bucket b's finite values, NaN when it has none. */
float curve_mean(const Curve *c, int b);
/* Writes into out (nb entries) the moving average the loss plot draws over bucket means: a
 * bias-corrected exponential average whose time constant is n/60 steps (at least 5, at most 500),
 * counted in buckets. NaN until the first finite value. */
void curve_smooth(const Curve *c, float *out);
/* Largest and smallest finite value over steps [from, n), from the buckets (whole buckets: the
 * extent may reach a little before from). Returns 0 when there is none. */
int curve_range(const Curve *c, long from, float *lo, float *hi);

#endif

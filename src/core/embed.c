/* embed.c - PCA to two axes by orthogonal iteration on the covariance, and the 2x2 orthogonal
 * Procrustes alignment with a previous fit. Nothing here draws or allocates beyond the fit. */
#include "embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void embed_free(Embed *e) {
    if (!e) return;
    free(e->mean);
    free(e->axis);
    memset(e, 0, sizeof *e);
}

void embed_project(const Embed *e, const float *feat, float xy[2]) {
    for (int j = 0; j < 2; j++) {
        const double *a = e->axis + (size_t)j * e->d;
        double s = e->offset[j];
        for (int i = 0; i < e->d; i++) s += a[i] * ((double)feat[i] - e->mean[i]);
        xy[j] = (float)s;
    }
}

/* out (d) = c (d, d) v (d) */
static void matvec(double *out, const double *c, const double *v, int d) {
    for (int i = 0; i < d; i++) {
        const double *row = c + (size_t)i * d;
        double s = 0;
        for (int k = 0; k < d; k++) s += row[k] * v[k];
        out[i] = s;
    }
}

static double dot(const double *a, const double *b, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) s += a[i] * b[i];
    return s;
}

/* Makes q0, q1 (d) orthonormal (Gram-Schmidt, twice for q1). Returns 0, or -1 when q0 vanishes;
 * a vanishing q1 is replaced by a unit vector orthogonal to q0. */
static int orthonormalise(double *q0, double *q1, int d) {
    double n0 = sqrt(dot(q0, q0, d));
    if (!(n0 > 0)) return -1;
    for (int i = 0; i < d; i++) q0[i] /= n0;
    for (int pass = 0; pass < 2; pass++) {
        double p = dot(q0, q1, d);
        for (int i = 0; i < d; i++) q1[i] -= p * q0[i];
    }
    double n1 = sqrt(dot(q1, q1, d));
    if (!(n1 > 1e-300)) { /* rank one: any direction orthogonal to q0 */
        int k = 0;
        for (int i = 1; i < d; i++)
            if (fabs(q0[i]) < fabs(q0[k])) k = i;
        for (int i = 0; i < d; i++) q1[i] = (i == k) - q0[k] * q0[i];
        n1 = sqrt(dot(q1, q1, d));
        if (!(n1 > 0)) return -1;
    }
    for (int i = 0; i < d; i++) q1[i] /= n1;
    return 0;
}

/* The two leading eigenpairs of the symmetric c (d, d), d >= 1, into q (2, d) and lam[2]. For
 * d == 1 the second axis is 0. w (4 d) is scratch. */
static void top_two(double *q, double *lam, const double *c, int d, double *w) {
    double *q0 = q, *q1 = q + d, *z0 = w, *z1 = w + d;
    if (d == 1) {
        q0[0] = 1, q1[0] = 0, lam[0] = c[0], lam[1] = 0;
        return;
    }
    /* start from the two coordinates of largest variance, tilted so no eigenvector is missed */
    int a = 0, b = -1;
    for (int i = 1; i < d; i++)
        if (c[(size_t)i * d + i] > c[(size_t)a * d + a]) a = i;
    for (int i = 0; i < d; i++)
        if (i != a && (b < 0 || c[(size_t)i * d + i] > c[(size_t)b * d + b])) b = i;
    for (int i = 0; i < d; i++) {
        q0[i] = (i == a) + 1e-3 * sin(1.0 + i);
        q1[i] = (i == b) + 1e-3 * cos(2.0 + 3.0 * i);
    }
    orthonormalise(q0, q1, d);
    double scale = 0;
    for (int i = 0; i < d; i++) scale += c[(size_t)i * d + i];
    for (int it = 0; it < 20000; it++) {
        matvec(z0, c, q0, d);
        matvec(z1, c, q1, d);
        /* Rayleigh-Ritz in span(q0, q1): the 2x2 matrix h = Q^T C Q, its eigenvectors rotate Q */
        double h00 = dot(q0, z0, d), h01 = dot(q0, z1, d), h11 = dot(q1, z1, d);
        double th = 0.5 * atan2(2 * h01, h00 - h11), cs = cos(th), sn = sin(th);
        double l0 = cs * cs * h00 + 2 * cs * sn * h01 + sn * sn * h11;
        double l1 = sn * sn * h00 - 2 * cs * sn * h01 + cs * cs * h11;
        for (int i = 0; i < d; i++) { /* Ritz vectors and their images */
            double x0 = q0[i], x1 = q1[i], y0 = z0[i], y1 = z1[i];
            q0[i] = cs * x0 + sn * x1, q1[i] = -sn * x0 + cs * x1;
            z0[i] = cs * y0 + sn * y1, z1[i] = -sn * y0 + cs * y1;
        }
        if (l1 > l0) {
            double t = l0;
            l0 = l1, l1 = t;
            for (int i = 0; i < d; i++) {
                t = q0[i], q0[i] = q1[i], q1[i] = t;
                t = z0[i], z0[i] = z1[i], z1[i] = t;
            }
        }
        lam[0] = l0, lam[1] = l1;
        double r = 0;
        for (int i = 0; i < d; i++) {
            double e0 = z0[i] - l0 * q0[i], e1 = z1[i] - l1 * q1[i];
            r += e0 * e0 + e1 * e1;
        }
        if (sqrt(r) <= 1e-10 * scale) break;
        memcpy(q0, z0, sizeof(double) * (size_t)d);
        memcpy(q1, z1, sizeof(double) * (size_t)d);
        if (orthonormalise(q0, q1, d) != 0) break;
    }
}

int embed_fit(Embed *e, const float *feat, int n, int d, const Embed *prev, char *err) {
    if (n < 3) return err_set(err, "embed: %d points; a map needs at least 3", n);
    if (d < 1 || d > EMBED_MAX_D) return err_set(err, "embed: %d features (1..%d)", d, EMBED_MAX_D);
    if (prev && prev->d != d) return err_set(err, "embed: the previous map has %d features, these %d", prev->d, d);
    for (size_t i = 0; i < (size_t)n * d; i++)
        if (!isfinite(feat[i])) return err_set(err, "embed: feature %zu of point %zu is not a finite number", i % d, i / d);
    double *mean = xcalloc((size_t)d, sizeof(double)), *axis = xcalloc((size_t)2 * d, sizeof(double));
    double *cov = xcalloc((size_t)d * d, sizeof(double)), *w = xcalloc((size_t)4 * d, sizeof(double));
    int rc = 0;
    if (!mean || !axis || !cov || !w) {
        rc = err_set(err, "embed: out of memory for %d features", d);
        goto done;
    }
    for (int p = 0; p < n; p++)
        for (int i = 0; i < d; i++) mean[i] += feat[(size_t)p * d + i];
    for (int i = 0; i < d; i++) mean[i] /= n;
    for (int p = 0; p < n; p++) {
        for (int i = 0; i < d; i++) w[i] = feat[(size_t)p * d + i] - mean[i];
        for (int i = 0; i < d; i++) {
            if (w[i] == 0) continue;
            double *row = cov + (size_t)i * d;
            for (int k = 0; k <= i; k++) row[k] += w[i] * w[k];
        }
    }
    double tr = 0;
    for (int i = 0; i < d; i++) {
        for (int k = 0; k <= i; k++) {
            cov[(size_t)i * d + k] /= (n - 1);
            cov[(size_t)k * d + i] = cov[(size_t)i * d + k];
        }
        tr += cov[(size_t)i * d + i];
    }
    if (!(tr > 0)) {
        rc = err_set(err, "embed: the features do not vary over the %d points", n);
        goto done;
    }
    double lam[2];
    top_two(axis, lam, cov, d, w);
    for (int j = 0; j < 2; j++) { /* sign: the largest component positive */
        double *a = axis + (size_t)j * d;
        int big = 0;
        for (int i = 1; i < d; i++)
            if (fabs(a[i]) > fabs(a[big])) big = i;
        if (a[big] < 0)
            for (int i = 0; i < d; i++) a[i] = -a[i];
    }
    double offset[2] = {0, 0};
    if (prev) {
        /* M = Ynew_c^T Yold_c (2x2) over the centred projections; the orthogonal R maximising
         * tr(R^T M) is the best rotation [c -s; s c] or reflection [c s; s -c], whichever is larger */
        double m[2][2] = {{0, 0}, {0, 0}}, sn[2] = {0, 0}, so[2] = {0, 0};
        double *yn = xmalloc_array((size_t)n, 2 * sizeof(double)), *yo = xmalloc_array((size_t)n, 2 * sizeof(double));
        if (!yn || !yo) {
            free(yn), free(yo);
            rc = err_set(err, "embed: out of memory for %d points", n);
            goto done;
        }
        for (int p = 0; p < n; p++) {
            const float *f = feat + (size_t)p * d;
            for (int j = 0; j < 2; j++) {
                double a = 0, b = prev->offset[j];
                for (int i = 0; i < d; i++) {
                    a += axis[(size_t)j * d + i] * (f[i] - mean[i]);
                    b += prev->axis[(size_t)j * d + i] * ((double)f[i] - prev->mean[i]);
                }
                yn[2 * p + j] = a, yo[2 * p + j] = b;
                sn[j] += a, so[j] += b;
            }
        }
        for (int j = 0; j < 2; j++) sn[j] /= n, so[j] /= n;
        for (int p = 0; p < n; p++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) m[a][b] += (yn[2 * p + a] - sn[a]) * (yo[2 * p + b] - so[b]);
        free(yn), free(yo);
        double rot = hypot(m[0][0] + m[1][1], m[1][0] - m[0][1]), ref = hypot(m[0][0] - m[1][1], m[0][1] + m[1][0]);
        double r[2][2];
        if (rot >= ref) {
            double t = atan2(m[1][0] - m[0][1], m[0][0] + m[1][1]);
            r[0][0] = cos(t), r[0][1] = -sin(t), r[1][0] = sin(t), r[1][1] = cos(t);
        } else {
            double t = atan2(m[0][1] + m[1][0], m[0][0] - m[1][1]);
            r[0][0] = cos(t), r[0][1] = sin(t), r[1][0] = sin(t), r[1][1] = -cos(t);
        }
        /* new row projection y R: axis' = R^T axis; offset so the centroids meet */
        for (int i = 0; i < d; i++) {
            double a0 = axis[i], a1 = axis[(size_t)d + i];
            axis[i] = r[0][0] * a0 + r[1][0] * a1;
            axis[(size_t)d + i] = r[0][1] * a0 + r[1][1] * a1;
        }
        for (int j = 0; j < 2; j++) offset[j] = so[j] - (sn[0] * r[0][j] + sn[1] * r[1][j]);
    }
    embed_free(e); /* e may be prev: prev is not read after this point */
    e->d = d;
    e->mean = mean, e->axis = axis;
    mean = axis = NULL;
    e->offset[0] = offset[0], e->offset[1] = offset[1];
    e->var[0] = lam[0], e->var[1] = lam[1] > 0 ? lam[1] : 0;
done:
    free(mean), free(axis), free(cov), free(w);
    return rc;
}

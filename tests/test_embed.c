/* test_embed.c - the embedding map: PCA against a plain reference (explicit covariance, cyclic
 * Jacobi eigen-decomposition written out here) on fixed inputs, the alignment of a refit with a
 * rotated or reflected and shifted previous map, an in-place refit, rank-one data, and the
 * refusals (fewer than 3 points, constant features, NaN, a previous map of another width). */
#include "check.h"
#include "common.h"
#include "embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* n points of width d: latent coordinates with standard deviations 6, 3, 1.5, 0.75, ... mixed by a
 * fixed random matrix, plus a shift. */
static float *make_points(int n, int d, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    double *mix = malloc(sizeof(double) * (size_t)d * d);
    for (int i = 0; i < d * d; i++) mix[i] = rng_normal(&r) / sqrt(d);
    float *x = malloc(sizeof(float) * (size_t)n * d);
    for (int p = 0; p < n; p++) {
        double z[256];
        for (int k = 0; k < d; k++) z[k] = 6.0 * pow(0.5, k) * rng_normal(&r) + 0.05 * rng_normal(&r);
        for (int i = 0; i < d; i++) {
            double s = 2.0 + i;
            for (int k = 0; k < d; k++) s += mix[i * d + k] * z[k];
            x[(size_t)p * d + i] = (float)s;
        }
    }
    free(mix);
    return x;
}

/* Reference PCA: covariance by the textbook formula, cyclic Jacobi rotations until the
 * off-diagonal is negligible; the two largest eigenvalues and their eigenvectors (columns of v). */
static void reference_pca(const float *x, int n, int d, double *mean, double lam[2], double *vec /* (2, d) */) {
    double *a = calloc((size_t)d * d, sizeof(double)), *v = calloc((size_t)d * d, sizeof(double));
    for (int i = 0; i < d; i++) {
        mean[i] = 0;
        for (int p = 0; p < n; p++) mean[i] += x[(size_t)p * d + i];
        mean[i] /= n;
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int p = 0; p < n; p++) s += (x[(size_t)p * d + i] - mean[i]) * (x[(size_t)p * d + j] - mean[j]);
            a[i * d + j] = s / (n - 1);
        }
    for (int i = 0; i < d; i++) v[i * d + i] = 1;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                if (i != j) off += a[i * d + j] * a[i * d + j];
        if (off < 1e-26) break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                if (fabs(a[p * d + q]) < 1e-300) continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q]);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < d; k++) { /* A <- A J */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) { /* A <- J^T A */
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < d; k++) { /* V <- V J */
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    int i0 = 0;
    for (int i = 1; i < d; i++)
        if (a[i * d + i] > a[i0 * d + i0]) i0 = i;
    int i1 = i0 == 0 ? 1 : 0;
    for (int i = 0; i < d; i++)
        if (i != i0 && a[i * d + i] > a[i1 * d + i1]) i1 = i;
    lam[0] = a[i0 * d + i0], lam[1] = a[i1 * d + i1];
    for (int k = 0; k < d; k++) vec[k] = v[k * d + i0], vec[d + k] = v[k * d + i1];
    free(a), free(v);
}

static void test_against_reference(int n, int d, uint64_t seed) {
    float *x = make_points(n, d, seed);
    Embed e = {0};
    char err[ERR_LEN];
    CHECK(embed_fit(&e, x, n, d, NULL, err) == 0, "%s", err);
    double *mean = malloc(sizeof(double) * d), *vec = malloc(sizeof(double) * 2 * d), lam[2];
    reference_pca(x, n, d, mean, lam, vec);
    double dm = 0;
    for (int i = 0; i < d; i++) dm = fmax(dm, fabs(mean[i] - e.mean[i]));
    CHECK(dm < 1e-9, "n %d d %d: mean off by %g", n, d, dm);
    for (int j = 0; j < 2; j++) {
        CHECK(fabs(e.var[j] - lam[j]) < 1e-8 * lam[0], "n %d d %d: variance %d %.12g, reference %.12g", n, d, j, e.var[j],
              lam[j]);
        double c = 0, nn = 0;
        for (int i = 0; i < d; i++) c += e.axis[j * d + i] * vec[j * d + i], nn += e.axis[j * d + i] * e.axis[j * d + i];
        CHECK(fabs(fabs(c) - 1) < 1e-8, "n %d d %d: axis %d |cos| to the reference %.12f", n, d, j, fabs(c));
        CHECK(fabs(nn - 1) < 1e-12, "axis %d norm^2 %.15f", j, nn);
    }
    double o = 0;
    for (int i = 0; i < d; i++) o += e.axis[i] * e.axis[d + i];
    CHECK(fabs(o) < 1e-12, "axes not orthogonal: %g", o);
    /* projections equal the reference's up to each axis's sign */
    double worst = 0;
    for (int p = 0; p < n; p += 7) {
        float xy[2];
        embed_project(&e, x + (size_t)p * d, xy);
        for (int j = 0; j < 2; j++) {
            double r = 0, c = 0;
            for (int i = 0; i < d; i++) r += vec[j * d + i] * (x[(size_t)p * d + i] - mean[i]), c += e.axis[j * d + i] * vec[j * d + i];
            worst = fmax(worst, fabs(xy[j] - (c > 0 ? r : -r)));
        }
    }
    CHECK(worst < 1e-3, "n %d d %d: projections differ from the reference by %g", n, d, worst);
    free(mean), free(vec), free(x);
    embed_free(&e);
}

static void test_alignment(void) {
    const int n = 500, d = 16;
    float *x = make_points(n, d, 5);
    Embed a = {0}, c = {0};
    char err[ERR_LEN];
    CHECK(embed_fit(&a, x, n, d, NULL, err) == 0, "%s", err);
    for (int reflect = 0; reflect < 2; reflect++) {
        /* b = a turned by 40 degrees (and mirrored), shifted: a previous map in another pose */
        Embed b = {.d = d, .mean = a.mean, .axis = malloc(sizeof(double) * 2 * d), .offset = {3, -2}};
        double t = 40 * M_PI / 180, cs = cos(t), sn = sin(t);
        for (int i = 0; i < d; i++) {
            double a0 = a.axis[i], a1 = a.axis[d + i];
            b.axis[i] = cs * a0 - sn * a1;
            b.axis[d + i] = (reflect ? -1 : 1) * (sn * a0 + cs * a1);
        }
        CHECK(embed_fit(&c, x, n, d, &b, err) == 0, "%s", err);
        double worst = 0, scale = sqrt(a.var[0]);
        for (int p = 0; p < n; p++) {
            float yb[2], yc[2];
            embed_project(&b, x + (size_t)p * d, yb);
            embed_project(&c, x + (size_t)p * d, yc);
            worst = fmax(worst, fmax(fabs(yb[0] - yc[0]), fabs(yb[1] - yc[1])));
        }
        CHECK(worst < 1e-5 * scale, "%s refit lands %g from the previous map (scale %g)", reflect ? "reflected" : "rotated",
              worst, scale);
        free(b.axis);
    }
    /* a refit on noisier points stays near the previous map; in place (e == prev) works too */
    Rng r;
    rng_seed(&r, 9);
    float *x2 = malloc(sizeof(float) * n * d);
    for (int i = 0; i < n * d; i++) x2[i] = x[i] + (float)(0.05 * rng_normal(&r));
    float before[2];
    embed_project(&c, x2, before);
    Embed *same = &c;
    CHECK(embed_fit(same, x2, n, d, same, err) == 0, "in place: %s", err);
    float after[2];
    embed_project(&c, x2, after);
    CHECK(fabsf(after[0] - before[0]) < 0.2f && fabsf(after[1] - before[1]) < 0.2f,
          "point 0 jumped from (%g, %g) to (%g, %g)", before[0], before[1], after[0], after[1]);
    free(x), free(x2);
    embed_free(&a), embed_free(&c);
}

static void test_degenerate(void) {
    char err[ERR_LEN];
    float x[40];
    for (int i = 0; i < 40; i++) x[i] = (float)(i % 4);
    Embed e = {0};
    CHECK(embed_fit(&e, x, 2, 4, NULL, err) == -1 && strstr(err, "at least 3"), "n = 2: %s", err);
    float cst[40];
    for (int i = 0; i < 40; i++) cst[i] = 0.25f;
    CHECK(embed_fit(&e, cst, 10, 4, NULL, err) == -1 && strstr(err, "do not vary"), "constant: %s", err);
    x[13] = NAN;
    CHECK(embed_fit(&e, x, 10, 4, NULL, err) == -1 && strstr(err, "finite"), "NaN: %s", err);
    x[13] = 1;
    CHECK(e.mean == NULL && e.axis == NULL && e.d == 0, "failures leave e as it was");
    /* points on one line: the first axis is the line, the second has no variance */
    float line[30];
    for (int p = 0; p < 10; p++) line[3 * p] = (float)p, line[3 * p + 1] = (float)(2 * p), line[3 * p + 2] = 1;
    CHECK(embed_fit(&e, line, 10, 3, NULL, err) == 0, "%s", err);
    CHECK(e.mean && fabs(e.axis[0] - 1 / sqrt(5.0)) < 1e-9 && fabs(e.axis[1] - 2 / sqrt(5.0)) < 1e-9 && fabs(e.var[1]) < 1e-9,
          "line: axis (%g, %g, %g) var2 %g", e.axis[0], e.axis[1], e.axis[2], e.var[1]);
    double o = e.axis[0] * e.axis[3] + e.axis[1] * e.axis[4] + e.axis[2] * e.axis[5];
    CHECK(fabs(o) < 1e-9, "line: second axis not orthogonal (%g)", o);
    double *keep = e.mean;
    CHECK(embed_fit(&e, x, 10, 4, &e, err) == -1 && strstr(err, "previous map"), "width mismatch: %s", err);
    CHECK(e.mean == keep && e.d == 3, "a failed refit keeps the old map");
    /* one feature */
    CHECK(embed_fit(&e, x, 40, 1, NULL, err) == 0 && e.var[1] == 0, "d = 1: %s", err);
    embed_free(&e);
}

int main(void) {
    test_against_reference(300, 12, 1);
    test_against_reference(1000, 64, 2);
    test_against_reference(1000, 256, 3);
    test_alignment();
    test_degenerate();
    return check_summary("test_embed");
}

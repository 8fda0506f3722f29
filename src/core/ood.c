/* ood.c - the "not a digit" scores (MSP, energy, Mahalanobis, combined), the Gaussian fit, the
 * threshold and the detector's place in a model file. No network code and no I/O here. */
#include "ood.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char *const KIND_NAMES[OOD_NKINDS] = {"msp", "energy", "mahalanobis", "combined"};

const char *ood_kind_name(OodKind k) { return k >= 0 && k < OOD_NKINDS ? KIND_NAMES[k] : "?"; }

int ood_kind_parse(const char *s) {
    for (int k = 0; s && k < OOD_NKINDS; k++)
        if (!strcmp(s, KIND_NAMES[k])) return k;
    return -1;
}

void ood_free(OodModel *m) {
    if (!m) return;
    free(m->means);
    free(m->precision);
    memset(m, 0, sizeof *m);
}

int ood_copy(OodModel *dst, const OodModel *src) {
    *dst = *src;
    dst->means = NULL, dst->precision = NULL;
    if (!src->means || !src->precision) {
        dst->means = NULL, dst->precision = NULL, dst->K = dst->d = 0;
        return 0;
    }
    size_t nm = (size_t)src->K * (size_t)src->d, np = (size_t)src->d * (size_t)src->d;
    dst->means = malloc(nm * sizeof(float));
    dst->precision = malloc(np * sizeof(float));
    if (!dst->means || !dst->precision) {
        ood_free(dst);
        return -1;
    }
    memcpy(dst->means, src->means, nm * sizeof(float));
    memcpy(dst->precision, src->precision, np * sizeof(float));
    return 0;
}

/* a (d, d) symmetric positive definite, in place -> its lower Cholesky factor (upper part left).
 * Returns 0, or -1 when a pivot is not positive. */
static int cholesky(double *a, int d) {
    for (int j = 0; j < d; j++) {
        double s = a[(size_t)j * d + j];
        for (int k = 0; k < j; k++) s -= a[(size_t)j * d + k] * a[(size_t)j * d + k];
        if (!(s > 0)) return -1;
        double ljj = sqrt(s);
        a[(size_t)j * d + j] = ljj;
        for (int i = j + 1; i < d; i++) {
            double t = a[(size_t)i * d + j];
            for (int k = 0; k < j; k++) t -= a[(size_t)i * d + k] * a[(size_t)j * d + k];
            a[(size_t)i * d + j] = t / ljj;
        }
    }
    return 0;
}

/* inv (d, d) = (L L^T)^-1 from the lower factor in l, column by column: L y = e_j, L^T x = y.
 * col (d) is scratch. */
static void cholesky_inverse(double *inv, const double *l, double *col, int d) {
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < d; i++) {
            double t = i == j ? 1.0 : 0.0;
            for (int k = 0; k < i; k++) t -= l[(size_t)i * d + k] * col[k];
            col[i] = t / l[(size_t)i * d + i];
        }
        for (int i = d - 1; i >= 0; i--) {
            double t = col[i];
            for (int k = i + 1; k < d; k++) t -= l[(size_t)k * d + i] * col[k];
            col[i] = t / l[(size_t)i * d + i];
        }
        for (int i = 0; i < d; i++) inv[(size_t)i * d + j] = col[i];
    }
}

int ood_fit(OodModel *m, const float *feat, const int *y, int n, int d, int K, char *err) {
    if (K < 1 || d < 1 || d > 4096) return err_set(err, "ood: %d classes and %d features (need >= 1, d <= 4096)", K, d);
    if (n <= K) return err_set(err, "ood: %d examples cannot fit %d class means and a covariance", n, K);
    long *cnt = xcalloc((size_t)K, sizeof(long));
    double *mu = xcalloc((size_t)K * d, sizeof(double)), *cov = xcalloc((size_t)d * d, sizeof(double));
    double *inv = xcalloc((size_t)d * d, sizeof(double)), *v = xcalloc((size_t)d, sizeof(double));
    float *means = xmalloc_array((size_t)K * d, sizeof(float)), *prec = xmalloc_array((size_t)d * d, sizeof(float));
    int rc = 0;
    if (!cnt || !mu || !cov || !inv || !v || !means || !prec) {
        rc = err_set(err, "ood: out of memory for %d x %d features", K, d);
        goto done;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        if (y[i] < 0 || y[i] >= K) {
            rc = err_set(err, "ood: label %d of example %d is not a class 0..%d", y[i], i, K - 1);
            break;
        }
        const float *f = feat + (size_t)i * d;
        for (int j = 0; j < d; j++)
            if (!isfinite(f[j])) {
                rc = err_set(err, "ood: feature %d of example %d is not a finite number", j, i);
                break;
            }
        cnt[y[i]]++;
        for (int j = 0; j < d; j++) mu[(size_t)y[i] * d + j] += f[j];
    }
    for (int k = 0; k < K && rc == 0; k++) {
        if (!cnt[k]) {
            rc = err_set(err, "ood: class %d has no examples", k);
            break;
        }
        for (int j = 0; j < d; j++) mu[(size_t)k * d + j] /= (double)cnt[k];
    }
    if (rc) goto done;
    /* pooled within-class covariance: sum over examples of (f - mu_y)(f - mu_y)^T / (n - K) */
    for (int i = 0; i < n; i++) {
        const float *f = feat + (size_t)i * d;
        const double *c = mu + (size_t)y[i] * d;
        for (int j = 0; j < d; j++) v[j] = f[j] - c[j];
        for (int a = 0; a < d; a++) {
            if (v[a] == 0) continue;
            double *row = cov + (size_t)a * d;
            for (int b = 0; b <= a; b++) row[b] += v[a] * v[b];
        }
    }
    double tr = 0;
    for (int a = 0; a < d; a++) {
        for (int b = 0; b <= a; b++) {
            cov[(size_t)a * d + b] /= (double)(n - K);
            cov[(size_t)b * d + a] = cov[(size_t)a * d + b];
        }
        tr += cov[(size_t)a * d + a];
    }
    double ridge = 1e-3 * (tr > 0 ? tr / d : 1.0);
    for (int a = 0; a < d; a++) cov[(size_t)a * d + a] += ridge;
    if (cholesky(cov, d) != 0) {
        rc = err_set(err, "ood: the feature covariance is not positive definite");
        goto done;
    }
    cholesky_inverse(inv, cov, v, d);
    for (size_t i = 0; i < (size_t)K * d; i++) means[i] = (float)mu[i];
    for (int a = 0; a < d; a++) /* symmetric to the last bit */
        for (int b = 0; b < d; b++)
            prec[(size_t)a * d + b] = (float)(0.5 * (inv[(size_t)a * d + b] + inv[(size_t)b * d + a]));
    memset(m, 0, sizeof *m);
    m->K = K, m->d = d, m->T = 1.0;
    m->means = means, m->precision = prec;
    means = prec = NULL;
    m->kind = OOD_MAHA;
    m->threshold = INFINITY;
done:
    free(cnt), free(mu), free(cov), free(inv), free(v), free(means), free(prec);
    return rc;
}

/* Smallest (f - mu_k)^T P (f - mu_k) over the classes, in double. */
static double maha_min(const OodModel *m, const float *feat) {
    int d = m->d;
    double best = INFINITY, v[4096];
    for (int k = 0; k < m->K; k++) {
        const float *mu = m->means + (size_t)k * d;
        for (int j = 0; j < d; j++) v[j] = (double)feat[j] - mu[j];
        double q = 0;
        for (int a = 0; a < d; a++) {
            const float *row = m->precision + (size_t)a * d;
            double t = 0;
            for (int b = 0; b < d; b++) t += row[b] * v[b];
            q += v[a] * t;
        }
        best = q < best ? q : best;
    }
    return best;
}

/* -T logsumexp(logits / T) and the top softmax(logits / T), in double. */
static void logit_scores(const float *logits, int K, double T, double *energy, double *p_top) {
    if (!(T > 0) || !isfinite(T)) T = 1.0;
    double mx = -INFINITY, s = 0;
    for (int k = 0; k < K; k++) mx = logits[k] > mx ? logits[k] : mx;
    for (int k = 0; k < K; k++) s += exp((logits[k] - mx) / T);
    *energy = -(mx + T * log(s));
    *p_top = 1.0 / s;
}

float ood_score_kind(const OodModel *m, OodKind k, const float *logits, const float *feat) {
    double e, p;
    if (m->on_logits) feat = logits;
    logit_scores(logits, m->K, m->T, &e, &p);
    if (k == OOD_MSP) return (float)-p;
    if (k == OOD_ENERGY) return (float)e;
    if (!m->means || !m->precision || !feat || k < 0 || k >= OOD_NKINDS) return NAN;
    double q = maha_min(m, feat);
    if (k == OOD_MAHA) return (float)q;
    double ze = (e - m->norm[0]) / (m->norm[1] > 0 ? m->norm[1] : 1.0);
    double zm = (log(q + 1e-12) - m->norm[2]) / (m->norm[3] > 0 ? m->norm[3] : 1.0);
    return (float)(ze + zm);
}

float ood_score(const OodModel *m, const float *logits, const float *feat) {
    return ood_score_kind(m, m->kind, logits, feat);
}

int ood_rejects(const OodModel *m, const float *logits, const float *feat) {
    float s = ood_score(m, logits, feat);
    return !(s <= m->threshold);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int ood_quantile(const float *scores, int n, double keep, float *t, char *err) {
    if (n < 1) return err_set(err, "ood: no scores to take a quantile of");
    if (!(keep > 0 && keep <= 1)) return err_set(err, "ood: share %g outside (0, 1]", keep);
    float *s = xmalloc_array((size_t)n, sizeof(float));
    if (!s) return err_set(err, "ood: out of memory for %d scores", n);
    for (int i = 0; i < n; i++) {
        if (isnan(scores[i])) {
            free(s);
            return err_set(err, "ood: score %d is not a number", i);
        }
        s[i] = scores[i];
    }
    qsort(s, (size_t)n, sizeof(float), cmp_float);
    int idx = (int)ceil(keep * n - 1e-9) - 1;
    idx = idx < 0 ? 0 : idx >= n ? n - 1 : idx;
    *t = s[idx];
    free(s);
    return 0;
}

/* mean and sd of v (n) into out[0], out[1] */
static void mean_sd(const double *v, int n, float *out) {
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += v[i];
    double mu = s / n;
    for (int i = 0; i < n; i++) q += (v[i] - mu) * (v[i] - mu);
    out[0] = (float)mu;
    out[1] = (float)(n > 1 ? sqrt(q / (n - 1)) : 1.0);
}

int ood_calibrate(OodModel *m, OodKind kind, double T, const float *logits, const float *feat, int n, double keep,
                  char *err) {
    if (kind < 0 || kind >= OOD_NKINDS) return err_set(err, "ood: unknown score kind %d", (int)kind);
    if (m->on_logits) feat = NULL;
    if ((kind == OOD_MAHA || kind == OOD_COMBINED) && (!m->means || (!feat && !m->on_logits)))
        return err_set(err, "ood: the %s score needs fitted means and the features", ood_kind_name(kind));
    if (n < 2) return err_set(err, "ood: %d held-out images cannot set a threshold", n);
    OodModel t = *m;
    t.kind = kind;
    t.T = T > 0 && isfinite(T) ? T : 1.0;
    float *s = xmalloc_array((size_t)n, sizeof(float));
    double *a = xmalloc_array((size_t)n, sizeof(double)), *b = xmalloc_array((size_t)n, sizeof(double));
    int rc = 0;
    if (!s || !a || !b) {
        rc = err_set(err, "ood: out of memory for %d scores", n);
        goto done;
    }
    if (kind == OOD_COMBINED) {
        for (int i = 0; i < n; i++) {
            double p;
            logit_scores(logits + (size_t)i * t.K, t.K, t.T, &a[i], &p);
            b[i] = log(maha_min(&t, feat ? feat + (size_t)i * t.d : logits + (size_t)i * t.K) + 1e-12);
        }
        mean_sd(a, n, t.norm);
        mean_sd(b, n, t.norm + 2);
    }
    for (int i = 0; i < n; i++) s[i] = ood_score(&t, logits + (size_t)i * t.K, feat ? feat + (size_t)i * t.d : NULL);
    if (ood_quantile(s, n, keep, &t.threshold, err) != 0) rc = -1;
    else if (!isfinite(t.threshold)) rc = err_set(err, "ood: the %s threshold is not finite", ood_kind_name(kind));
    if (rc == 0) *m = t;
done:
    free(s), free(a), free(b);
    return rc;
}

int ood_to_model(const OodModel *m, ModelMeta *meta, ModelExtras *ex, char *err) {
    ModelMeta mt = *meta;
    if (model_meta_set(&mt, "ood_score", "%s", ood_kind_name(m->kind)) != 0 ||
        model_meta_set(&mt, "ood_threshold", "%.9g", m->threshold) != 0 ||
        model_meta_set(&mt, "ood_norm", "%.9g,%.9g,%.9g,%.9g", m->norm[0], m->norm[1], m->norm[2], m->norm[3]) != 0 ||
        model_meta_set(&mt, "ood_space", "%s", m->on_logits ? "logits" : "hidden") != 0)
        return err_set(err, "ood: no room for the detector in the metadata");
    if (m->means) {
        ModelExtras tmp = {0};
        /* copy ex's other tensors first so a failure leaves ex as it was */
        for (int i = 0; i < ex->n; i++)
            if (strcmp(ex->t[i].name, "ood.means") && strcmp(ex->t[i].name, "ood.precision") &&
                model_extras_put(&tmp, ex->t[i].name, ex->t[i].data, ex->t[i].dims[0],
                                 ex->t[i].rank == 2 ? ex->t[i].dims[1] : 0, err) != 0) {
                model_extras_free(&tmp);
                return -1;
            }
        if (model_extras_put(&tmp, "ood.means", m->means, m->K, m->d, err) != 0 ||
            model_extras_put(&tmp, "ood.precision", m->precision, m->d, m->d, err) != 0) {
            model_extras_free(&tmp);
            return -1;
        }
        model_extras_free(ex);
        *ex = tmp;
    }
    *meta = mt;
    return 0;
}

/* strtof of the whole of s into *v; 0 or -1. */
static int parse_float(const char *s, float *v) {
    char *end;
    float f = strtof(s, &end);
    if (end == s || *end || !isfinite(f)) return -1;
    *v = f;
    return 0;
}

int ood_from_model(OodModel *m, const ModelMeta *meta, const ModelExtras *ex, int K, int d, double T, char *err) {
    const char *ks = model_meta_get(meta, "ood_score"), *ts = model_meta_get(meta, "ood_threshold");
    const char *ns = model_meta_get(meta, "ood_norm"), *sp = model_meta_get(meta, "ood_space");
    if (!ks) return 0;
    if (K < 1 || d < 1 || d > 4096) return err_set(err, "ood: a network of %d classes and %d features", K, d);
    int kind = ood_kind_parse(ks);
    if (kind < 0) return err_set(err, "ood: unknown ood_score \"%.40s\" (msp, energy, mahalanobis or combined)", ks);
    if (sp && strcmp(sp, "hidden") && strcmp(sp, "logits"))
        return err_set(err, "ood: unknown ood_space \"%.40s\" (hidden or logits)", sp);
    OodModel t = {0};
    t.on_logits = sp && !strcmp(sp, "logits");
    if (t.on_logits) d = K;
    t.K = K, t.d = d, t.kind = (OodKind)kind, t.T = T > 0 && isfinite(T) ? T : 1.0;
    if (!ts || parse_float(ts, &t.threshold) != 0) return err_set(err, "ood: ood_threshold is missing or not a number");
    if (ns && sscanf(ns, "%f,%f,%f,%f", &t.norm[0], &t.norm[1], &t.norm[2], &t.norm[3]) != 4)
        return err_set(err, "ood: ood_norm \"%.40s\" is not four numbers", ns);
    for (int i = 0; i < 4; i++)
        if (!isfinite(t.norm[i])) return err_set(err, "ood: ood_norm holds a non-finite number");
    if (kind == OOD_COMBINED && (!ns || !(t.norm[1] > 0) || !(t.norm[3] > 0)))
        return err_set(err, "ood: the combined score needs ood_norm with positive spreads");
    const ModelTensor *mu = model_extras_get(ex, "ood.means"), *pr = model_extras_get(ex, "ood.precision");
    if (!mu != !pr) return err_set(err, "ood: ood.means and ood.precision must come together");
    if (!mu && (kind == OOD_MAHA || kind == OOD_COMBINED))
        return err_set(err, "ood: the %s score needs the tensors ood.means and ood.precision", ks);
    if (mu) {
        if (mu->rank != 2 || mu->dims[0] != K || mu->dims[1] != d)
            return err_set(err, "ood: ood.means is [%d, %d], the network needs [%d, %d]", mu->dims[0], mu->dims[1], K, d);
        if (pr->rank != 2 || pr->dims[0] != d || pr->dims[1] != d)
            return err_set(err, "ood: ood.precision is [%d, %d], the network needs [%d, %d]", pr->dims[0], pr->dims[1], d, d);
        for (int a = 0; a < d; a++) {
            if (!(pr->data[(size_t)a * d + a] > 0))
                return err_set(err, "ood: ood.precision has a non-positive diagonal entry at %d", a);
            for (int b = 0; b < a; b++)
                if (pr->data[(size_t)a * d + b] != pr->data[(size_t)b * d + a])
                    return err_set(err, "ood: ood.precision is not symmetric (at %d, %d)", a, b);
        }
        t.means = xmalloc_array((size_t)K * d, sizeof(float));
        t.precision = xmalloc_array((size_t)d * d, sizeof(float));
        if (!t.means || !t.precision) {
            ood_free(&t);
            return err_set(err, "ood: out of memory for the detector");
        }
        memcpy(t.means, mu->data, sizeof(float) * (size_t)K * d);
        memcpy(t.precision, pr->data, sizeof(float) * (size_t)d * d);
    }
    *m = t;
    return 1;
}

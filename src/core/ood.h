/* ood.h - "not a digit": scores that say how far a reading is from the digits a network knows,
 * from its own signals (logits, last hidden layer's features), and the fitted detector (class
 * means and shared precision of the features, the chosen score, its threshold) stored in the
 * model file. Pure maths on buffers the caller passes: it never runs a network (ood_net.h does). */
#ifndef DIGITREC_OOD_H
#define DIGITREC_OOD_H

#include "model_io.h"

/* Every score is "higher = less digit-like". */
typedef enum {
    OOD_MSP = 0,   /* minus the top calibrated probability, -max softmax(logits / T) */
    OOD_ENERGY,    /* energy, -T logsumexp(logits / T) */
    OOD_MAHA,      /* smallest Mahalanobis distance (squared) of the features (or of the logits,
                      on_logits) to a class mean */
    OOD_COMBINED,  /* energy and log Mahalanobis, each standardised on held-out digits, summed */
    OOD_NKINDS
} OodKind;

/* Fraction of held-out digits the threshold keeps (so 5% of real digits are rejected). */
#define OOD_KEEP 0.95

/* The Gaussian's space: the last hidden layer's features, or the logits. On the shipped MLP the
 * logits' Gaussian separates better (docs/ood.md). */
typedef struct {
    int K, d;           /* classes, width of the Gaussian's space (d = K when on_logits) */
    int on_logits;      /* the Gaussian is of the logits, not of the hidden features */
    double T;           /* the model's temperature (for MSP, energy) */
    float *means;       /* (K, d) class means of the features, owned */
    float *precision;   /* (d, d) inverse of the shared (pooled) covariance plus a small ridge, owned */
    OodKind kind;       /* the score the threshold is for */
    float threshold;    /* a reading is "not a digit" when its score is above this */
    float norm[4];      /* OOD_COMBINED: mean and sd of energy, mean and sd of log Mahalanobis */
} OodModel;

/* "msp", "energy", "mahalanobis", "combined"; ood_kind_parse returns the kind or -1. */
const char *ood_kind_name(OodKind k);
int ood_kind_parse(const char *s);

/* Fits the class-conditional Gaussian with a shared covariance to feat (n, d) with labels y (n,
 * each 0..K-1): means (K, d) and the precision, the inverse of the pooled within-class covariance
 * plus a ridge of 1e-3 times its mean diagonal (dead units have no variance). Computed in double,
 * inverted through a Cholesky factorisation. m must be empty ({0} or freed); on success it owns
 * new buffers, T = 1, kind OOD_MAHA, threshold +inf (call ood_calibrate), on_logits 0: pass the
 * logits (n, K) as feat with d = K and set on_logits = 1 for a Gaussian of the logits. Returns 0, or -1 with err
 * (n <= K, a class without examples, a label out of range, a non-finite feature, out of memory). */
int ood_fit(OodModel *m, const float *feat, const int *y, int n, int d, int K, char *err);
void ood_free(OodModel *m);
/* dst = a deep copy of src (an empty src gives an empty dst). Returns 0, or -1 out of memory
 * (dst empty). */
int ood_copy(OodModel *dst, const OodModel *src);

/* The score of kind k for one reading: logits (K), feat (d) (feat may be NULL for MSP, energy and
 * when on_logits; the Mahalanobis kinds need m's means). Returns NAN when k needs what m lacks. */
float ood_score_kind(const OodModel *m, OodKind k, const float *logits, const float *feat);
/* ood_score_kind with m->kind. */
float ood_score(const OodModel *m, const float *logits, const float *feat);
/* 1 when the reading's score is above m's threshold (or not a number), else 0. */
int ood_rejects(const OodModel *m, const float *logits, const float *feat);

/* The value t such that a share keep of scores (n) is <= t: the ceil(keep * n)-th smallest.
 * scores is not changed. Returns 0 with *t, or -1 with err (n < 1, keep outside (0, 1], a NaN,
 * out of memory). */
int ood_quantile(const float *scores, int n, double keep, float *t, char *err);

/* Chooses kind for m and fits its threshold on held-out digits: logits (n, K), feat (n, d) (may be
 * NULL for MSP, energy and when on_logits), so that a share keep of them (OOD_KEEP) is kept. For OOD_COMBINED
 * also the standardisation (m->norm) from the same images. T is the model's temperature. Returns
 * 0, or -1 with err (m unchanged). */
int ood_calibrate(OodModel *m, OodKind kind, double T, const float *logits, const float *feat, int n, double keep,
                  char *err);

/* Writes m into a model's metadata ("ood_score", "ood_threshold", "ood_norm", "ood_space" hidden
 * or logits) and extra tensors
 * ("ood.means" (K, d), "ood.precision" (d, d)). Returns 0, or -1 with err (metadata full, memory). */
int ood_to_model(const OodModel *m, ModelMeta *meta, ModelExtras *ex, char *err);
/* Reads a detector for a network of K classes and d features from a model's metadata and extra
 * tensors into m (which must be empty) with temperature T; the Gaussian of the logits (ood_space
 * "logits") is K wide whatever d is. Returns 1 when the model has one, 0 when
 * it has none (no "ood_score": the caller runs without a detector), -1 with err when it is there
 * but broken (unknown score, bad threshold, tensors missing, of the wrong shape, a precision that
 * is not symmetric with a positive diagonal); m is untouched unless 1 is returned. */
int ood_from_model(OodModel *m, const ModelMeta *meta, const ModelExtras *ex, int K, int d, double T, char *err);

#endif

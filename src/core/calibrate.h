/* calibrate.h - confidence that means something: temperature scaling of a network's logits
 * (fitted on held-out images by minimum cross-entropy), the expected calibration error, and the
 * reading's state ("blank", "unsure", "sure") from the calibrated top probability. Pure maths on
 * buffers given to it; the model file's metadata carries the temperature. */
#ifndef DIGITREC_CALIBRATE_H
#define DIGITREC_CALIBRATE_H

#include "dataset.h"
#include "model_io.h"
#include "net.h"
#include "preprocess.h"

/* A reading is "sure" only when the calibrated top probability is at least this: on held-out
 * MNIST (the last 5,000 training images, which the shipped MLP was not trained on) 95.3% of the
 * images reach it and 99.58% of those are read right; on the test set 95.0% and 99.72%. */
#define CALIB_SURE_P 0.90f
#define CALIB_ECE_BINS 15

/* READ_NOT_DIGIT: the model's "not a digit" detector (ood.h) rejected the reading. */
typedef enum { READ_BLANK = 0, READ_UNSURE, READ_SURE, READ_NOT_DIGIT } ReadState;

/* "blank", "unsure", "sure" or "not_digit". */
const char *calib_state_name(ReadState s);

/* The state of one reading: blank when the input had no ink or was near-blank (info may be NULL:
 * then only has_ink counts); unsure when the input was not digit-shaped (info->odd_shape) or the
 * top probability p_top is below CALIB_SURE_P; else sure. */
ReadState calib_state(int has_ink, const PreInfo *info, float p_top);
/* s with the detector's verdict: a blank reading stays blank; any other is READ_NOT_DIGIT when
 * rejected (ood_rejects), else s. */
ReadState calib_state_ood(ReadState s, int rejected);

/* One reading of the 28x28 (or D) input x by net: forward pass through wk (capacity >= 1),
 * probs (K) = softmax(logits / T), *state from calib_state(has_ink, info, top probability).
 * Returns the top class. For the window: x and info from canvas_input or preprocess_photo, T
 * from calib_model_temperature of the loaded model's metadata (1 for a network without one). */
int calib_read(const Net *net, NetWork *wk, const float *x, double T, int has_ink, const PreInfo *info, float *probs,
               ReadState *state);

/* p (K) = softmax(logits / T). T <= 0 or not finite counts as 1. */
void calib_probs(float *p, const float *logits, int K, double T);

/* The temperature from a model's metadata ("temperature"), or 1 when absent or not a positive
 * finite number. */
double calib_model_temperature(const ModelMeta *meta);

/* Logits (n, K) of the examples [start, start+n) of ds through net, in batches of up to 1000.
 * Caller frees *logits; *labels (n) likewise. Returns 0, or -1 with err. */
int calib_logits(const Net *net, const Dataset *ds, int start, int n, float **logits, int **labels, char *err);

/* Mean cross-entropy of softmax(logits / T) against y. */
double calib_nll(const float *logits, const int *y, int n, int K, double T);
/* The T in [0.05, 20] minimising calib_nll (golden-section search on log T, to 1e-4 relative). */
double calib_fit_temperature(const float *logits, const int *y, int n, int K);
/* Expected calibration error of softmax(logits / T) with `bins` equal-width bins of the top
 * probability: sum over bins of |accuracy - mean confidence| weighted by the bin's share. */
double calib_ece(const float *logits, const int *y, int n, int K, double T, int bins);

/* With softmax(logits / T): the share of the n examples whose top probability is >= p_sure
 * (*cover) and the accuracy among those (*acc, 0 when none). */
void calib_coverage(const float *logits, const int *y, int n, int K, double T, float p_sure, double *cover, double *acc);

/* A fit on held-out images and what it achieved. */
typedef struct {
    int n;                       /* images used */
    double temperature;
    double ece_before, ece_after; /* at T = 1 and at the fitted T, CALIB_ECE_BINS bins */
    double nll_before, nll_after;
    double accuracy;
    double sure_share, sure_accuracy; /* at CALIB_SURE_P with the fitted T */
} CalibFit;

/* Fits the temperature of net on the last `holdout` images of train (which the network must not
 * have been trained on). Returns 0 with *fit, or -1 with err. */
int calib_fit_holdout(const Net *net, const Dataset *train, int holdout, CalibFit *fit, char *err);
/* Records a fit in a model's metadata: temperature, holdout, ece_before/ece_after (on the
 * held-out images). Returns 0, or -1 when the metadata is full. */
int calib_meta_set(ModelMeta *meta, const CalibFit *fit);
/* The "holdout" a model's metadata records (0 when absent or malformed). */
int calib_model_holdout(const ModelMeta *meta);

#endif

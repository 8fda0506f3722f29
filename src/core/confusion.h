/* confusion.h - where a network fails on a labelled set: every example's predicted class and
 * probabilities, the confusion matrix, per-class accuracy, and the examples of one cell ranked
 * by how sure the network was. Pure computation; no threads, no files. */
#ifndef DIGITREC_CONFUSION_H
#define DIGITREC_CONFUSION_H

#include <stdint.h>

#include "dataset.h"
#include "net.h"

#define CONF_K 10 /* classes the matrix holds (outputs past 10 are not counted) */

/* Runs net over the first n examples of ds (n <= 0 or n > ds->n: all of them) in chunks of
 * wk's capacity. Writes pred (n) the top class of each example, prob (n, K) its softmax
 * probabilities (prob may be NULL; K = the network's output count) and confusion[true][pred]
 * counts (zeroed first). Returns the number of examples, or -1 with err (the images do not fit
 * the network, or out of memory); outputs are then unspecified. */
int confusion_predict(const Net *net, NetWork *wk, const Dataset *ds, int n, uint8_t *pred, float *prob,
                      long confusion[CONF_K][CONF_K], char *err);

/* Accuracy of class t (row t's diagonal over the row total), or -1 when the row is empty. */
double confusion_class_acc(const long confusion[CONF_K][CONF_K], int t);
/* Overall accuracy (trace over total), 0 for an empty matrix. */
double confusion_acc(const long confusion[CONF_K][CONF_K]);

/* Indices of the examples whose label is t and prediction p, most confident first (by the
 * probability given to p, ties by index). labels, pred (n); prob (n, K) or NULL (then in
 * index order). Writes at most max indices into idx and returns how many examples the cell
 * holds in total (which may exceed max). */
int confusion_cell(const uint8_t *labels, const uint8_t *pred, const float *prob, int K, int n, int t, int p,
                   int *idx, int max);

#endif

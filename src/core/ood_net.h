/* ood_net.h - what the "not a digit" detector needs from a network: its logits and its last
 * hidden layer's features for a batch of inputs. The only detector code that knows a Net. */
#ifndef DIGITREC_OOD_NET_H
#define DIGITREC_OOD_NET_H

#include "dataset.h"
#include "net.h"

/* Width of the features ood_net_features gives for net: the last hidden layer's size (a dense
 * net's sizes[L-1]; a stack's input width of its last fc), or 0 when net has no hidden layer
 * (softmax regression). */
int ood_net_dim(const Net *net);

/* Forward pass of x (B, D) through net with wk (capacity >= B, forward-only will do): logits
 * (B, K) (the scores the softmax sees) and feat (B, d) = the last hidden layer's output after its
 * ReLU (a stack: the output of the layer before its last fc), d = ood_net_dim(net). Works for
 * dense nets and layer stacks alike. Returns 0, or -1 with err (no hidden layer, B above wk's
 * capacity). */
int ood_net_features(const Net *net, NetWork *wk, const float *x, int B, float *logits, float *feat, char *err);

/* ood_net_features of the examples [start, start + n) of ds in batches: *logits (n, K), *feat
 * (n, d) and *labels (n), all new (caller frees). Returns 0, or -1 with err (nothing allocated). */
int ood_net_dataset(const Net *net, const Dataset *ds, int start, int n, float **logits, float **feat, int **labels,
                    char *err);

#endif

/* snapshot.h - private to src/worker: how worker.c makes the shared, reference-counted parts of
 * a Snapshot (the test set, the loss spool) and fills the rest. */
#ifndef DIGITREC_SNAPSHOT_H
#define DIGITREC_SNAPSHOT_H

#include "worker.h"

/* Moves *ds into a new shared holder with one reference (*ds is zeroed). NULL when out of memory
 * (then *ds is freed). */
SharedData *shared_new(Dataset *ds);
void shared_release(SharedData *s);

/* A new empty spool with one reference, or NULL when no temporary file can be made. */
LossSpool *spool_new(void);
/* Appends n losses and flushes them, so that a reader may then see them. Returns 0, or -1 after a
 * failed write (the spool then stops taking more: it holds what it held). */
int spool_append(LossSpool *s, const float *loss, long n);

/* Copies src's parameters into dst, allocating only when the shape differs. Returns 0 or -1. */
int net_copy_into(Net *dst, const Net *src);
/* Room for need test points in s->evals. Returns 0 or -1. */
int snapshot_grow_evals(Snapshot *s, int need);

/* Test images a view's map holds (the first ones of the test set). */
#define TESTVIEW_MAP_POINTS 1000
/* Fills v's map (nemb, emb_xy, emb, emb_logits, emb_total_var) from net's features of test's
 * first TESTVIEW_MAP_POINTS images: the last hidden layer after its ReLU (ood_net.h), or the
 * logits for a net without hidden layers; PCA to 2-D aligned with *prev when it has the same
 * width, then *prev becomes a copy of the new map. Returns 0, or -1 with v without a map (too few
 * images, memory, features without variance). */
int testview_map(TestView *v, const Net *net, const Dataset *test, Embed *prev);

#endif

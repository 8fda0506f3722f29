/* personal.h - the user's own labelled drawings ("learn my handwriting"), kept in a folder as
 * train-images-idx3-ubyte and train-labels-idx1-ubyte: MNIST's format and file names, so numpy
 * readers and `digitrec train --extra DIR` take the folder as it is.
 *
 * Crash safety: every change rewrites both files atomically (temp file, fsync, rename), the
 * images first when adding and the labels first when removing, so the image file always holds
 * at least as many examples as the label file. The label file is the commit point: a reader
 * uses its count and ignores images past it (an add a crash interrupted). A SIGKILL at any
 * moment therefore leaves either the set before the change or the set after it. */
#ifndef DIGITREC_PERSONAL_H
#define DIGITREC_PERSONAL_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

#define PERSONAL_IMAGES "train-images-idx3-ubyte"
#define PERSONAL_LABELS "train-labels-idx1-ubyte"
#define PERSONAL_SIDE 28
#define PERSONAL_MAX 100000   /* examples; an add past this is refused */

/* Loads dir's examples into *out: 28x28 images, labels 0..9, name "personal", classes "0".."9".
 * A missing folder or label file is an empty set (n = 0, x and y NULL), not an error. Images
 * past the label count are ignored (see above). Fewer images than labels, another image size, a
 * gzipped or malformed file is an error (-1 with err, *out untouched). Free with dataset_free. */
int personal_load(const char *dir, Dataset *out, char *err);

/* Appends one example to ds in memory: img (28*28) bytes, ink = 255, and label 0..9. ds may be
 * empty (zeroed); it becomes a 28x28 set. Returns 0, or -1 with err (bad label, full, no memory;
 * ds is then unchanged). */
int personal_append(Dataset *ds, const uint8_t *img, int label, char *err);

/* Writes ds to dir as described above, creating the folder and its parents. An empty ds removes
 * the files (labels first). Returns 0, or -1 with err; on failure the files on disk still hold
 * either the old set or ds. */
int personal_save(const char *dir, const Dataset *ds, int removing, char *err);

/* personal_append + personal_save (adding). On a failed save ds is rolled back. */
int personal_add(const char *dir, Dataset *ds, const uint8_t *img, int label, char *err);
/* Drops the last example from ds and from dir. Returns 0, 1 when there was nothing to drop, or
 * -1 with err (ds then unchanged). */
int personal_remove_last(const char *dir, Dataset *ds, char *err);

#define PERSONAL_HOLD_EVERY 5  /* one example in this many is held out of training */

/* Splits all into the examples to train on (*fit) and those held out to measure on (*held): by
 * order within each class, the 5th, 10th, ... example of a class is held out, so every class with
 * at least five examples has some held out, and adding or dropping the last example moves no
 * other between the two. Both are new sets (copies) named like all, with its classes; either may
 * be empty (n = 0, x and y NULL). Returns 0, or -1 with err when out of memory (*fit and *held
 * untouched). Free both with dataset_free. */
int personal_split(const Dataset *all, Dataset *fit, Dataset *held, char *err);

/* Converts a preprocessed input (28*28 floats in [0,1], ink = 1) to the bytes personal_append
 * takes (rounded, clamped). */
void personal_from_input(uint8_t *img, const float *input);

#endif

/* dataset.h - a labelled image set kept as bytes (N, D) and converted to floats per batch,
 * so full MNIST stays ~55 MB in memory. Knows the four MNIST file names in a folder. */
#ifndef DIGITREC_DATASET_H
#define DIGITREC_DATASET_H

#include <stddef.h>
#include <stdint.h>

#define DATASET_MAX_CLASSES 10
#define DATASET_CLASS_LEN 24   /* bytes of one class name, with its NUL */

typedef struct {
    int n;            /* examples */
    int rows, cols;   /* image size; d = rows*cols */
    int d;
    uint8_t *x;       /* (n, d) pixels 0..255, ink = 255, owned */
    uint8_t *y;       /* (n) labels, owned */
    int nclass;       /* 10 */
    char name[64];    /* "mnist", "fashion-mnist" or the folder name */
    char classes[DATASET_MAX_CLASSES][DATASET_CLASS_LEN]; /* class names shown on the bars */
} Dataset;

/* Loads train and test sets from dir, which holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally with .gz.
 * Either output may be NULL to skip it. Class names: Fashion-MNIST's when the folder name
 * mentions "fashion", a classes.txt (one name per line) when present, else "0".."9". */
int dataset_load_dir(const char *dir, Dataset *train, Dataset *test, char *err);

/* The data folder to use: explicit_dir through dataset_resolve when non-NULL and non-empty, else
 * the MNIST folder of dataset_set_named_dirs. Reads no environment. Returns a pointer to static
 * or given storage. */
const char *dataset_default_dir(const char *explicit_dir);

/* Sets the folders the names "mnist" and "fashion-mnist" stand for (and the default folder),
 * copying them; NULL or "" keeps the current one. The program calls it once at start-up, before
 * other threads read them; core itself has no policy (the defaults until then are data/mnist,
 * relative, and /usr/share/datasets/fashion-mnist). Returns 0, or -1 when a folder is longer than
 * 4095 bytes (that one is not changed). */
int dataset_set_named_dirs(const char *mnist_dir, const char *fashion_dir);

/* The folder a --data argument names: an existing folder is itself; otherwise the names "mnist"
 * and "fashion-mnist" (or "fashion", "fashion_mnist") stand for the folders set above; anything
 * else is returned as is (and fails to load with a message saying so). NULL or "" gives NULL. */
const char *dataset_resolve(const char *name_or_dir);
/* The folders the two names stand for now. */
const char *dataset_mnist_dir(void);
const char *dataset_fashion_dir(void);

/* Copies examples idx[0..b) into x (b, d) as pixel/255 floats and y (b) as ints. */
void dataset_gather(const Dataset *ds, const int *idx, int b, float *x, int *y);
/* Same for the contiguous range [start, start+b). */
void dataset_slice(const Dataset *ds, int start, int b, float *x, int *y);

/* A new dataset holding the first n examples (copies); for quick test-subset evaluation. */
int dataset_subset(const Dataset *ds, int n, Dataset *out, char *err);

/* A new dataset: all of a, then b's examples repeat_b times over (repeat_b >= 0). Name and
 * classes are a's. Both must have a's image size (b may be empty). Returns 0, or -1 with err
 * (sizes differ, overflow, out of memory; *out untouched). */
int dataset_concat(const Dataset *a, const Dataset *b, int repeat_b, Dataset *out, char *err);

/* How many times to repeat n_extra examples appended to n_base so that a random batch of
 * `batch` holds at least one of them on average: the smallest r with
 * batch * r*n_extra / (n_base + r*n_extra) >= 1, i.e. r = ceil(n_base / ((batch - 1) * n_extra)),
 * at least 1 and at most 10000. A batch below 2 counts as 64; 0 when n_extra is 0. */
int dataset_mix_repeat(int n_base, int n_extra, int batch);

void dataset_free(Dataset *ds);

/* Class names from a comma-separated list (a model's "classes" metadata) into names[0..max):
 * entry k is the list's k-th item cut to DATASET_CLASS_LEN-1 bytes, or "k" when the list is
 * NULL, shorter or the item empty. */
void classes_parse(const char *csv, char names[][DATASET_CLASS_LEN], int max);
/* names[0..n) joined with commas into out (len bytes, always terminated). */
void classes_join(const char names[][DATASET_CLASS_LEN], int n, char *out, size_t len);

#endif

/* dataset.c - loads the four MNIST-layout IDX files of a folder into byte datasets, names the
 * classes, and converts examples to float batches. It does not shuffle or batch (train.c does). */
#include "dataset.h"

#include "common.h"
#include "idx.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DS_PATH_LEN 4096

/* The folders the names "mnist" and "fashion-mnist" stand for. Core reads no environment and
 * has no path compiled in from a source tree: the program decides them (src/session/places.c)
 * and sets them with dataset_set_named_dirs at start-up. Until then: ./data/mnist and Debian's
 * dataset-fashion-mnist folder. */
static char g_mnist_dir[DS_PATH_LEN] = "data/mnist";
static char g_fashion_dir[DS_PATH_LEN] = "/usr/share/datasets/fashion-mnist";

enum { F_TRAIN_IMAGES, F_TRAIN_LABELS, F_TEST_IMAGES, F_TEST_LABELS, F_COUNT };

static const char *const FILE_NAMES[F_COUNT] = {
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
};

static const char *const FASHION_CLASSES[DATASET_MAX_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* 1 when path names an existing regular file (following links). */
static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Writes dir/name into out (DS_PATH_LEN bytes); returns -1 if it does not fit. */
static int join_path(char *out, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    const char *sep = (n > 0 && dir[n - 1] == '/') ? "" : "/";
    int w = snprintf(out, DS_PATH_LEN, "%s%s%s", dir, sep, name);
    return (w < 0 || w >= DS_PATH_LEN) ? -1 : 0;
}

/* Finds name or name.gz in dir; writes the path found into out and returns 1, else 0. */
static int find_file(char *out, const char *dir, const char *name)
{
    char gz[128];
    snprintf(gz, sizeof gz, "%s.gz", name);
    if (join_path(out, dir, name) == 0 && is_regular_file(out))
        return 1;
    if (join_path(out, dir, gz) == 0 && is_regular_file(out))
        return 1;
    return 0;
}

/* 1 when needle occurs in hay, ignoring ASCII case. */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* Copies the last path component of dir (trailing slashes ignored) into out (cap bytes). */
static void base_name(char *out, size_t cap, const char *dir)
{
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    size_t n = end - start;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, dir + start, n);
    out[n] = '\0';
}

/* Reads up to DATASET_MAX_CLASSES non-blank lines from path into names (24 bytes each,
 * truncated to fit). A name may not hold a comma: models store the names comma-separated, so
 * "one, uno" would save a model with 11 class names for 10 outputs, which no loader accepts.
 * Returns the number read (>= 1), 0 when the file is absent, -1 on error. */
static int read_class_names(const char *path, char names[][24], char *err)
{
    if (!is_regular_file(path))
        return 0;
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, &buf, &len, err))
        return -1;
    int count = 0;
    size_t i = 0;
    while (i < len) {
        size_t s = i;
        while (i < len && buf[i] != '\n')
            i++;
        size_t e = i;
        if (i < len)
            i++; /* the newline */
        while (s < e && isspace(buf[s]))
            s++;
        while (e > s && isspace(buf[e - 1]))
            e--;
        if (e == s)
            continue;
        if (count == DATASET_MAX_CLASSES) {
            free(buf);
            return err_set(err, "%s: more than %d class names", path, DATASET_MAX_CLASSES);
        }
        if (memchr(buf + s, ',', e - s)) {
            free(buf);
            return err_set(err, "%s: class name %d contains a comma (models store the names comma-separated)",
                           path, count + 1);
        }
        size_t n = e - s;
        if (n > 23)
            n = 23;
        memcpy(names[count], buf + s, n);
        names[count][n] = '\0';
        count++;
    }
    free(buf);
    if (count == 0)
        return err_set(err, "%s: no class names", path);
    return count;
}

/* Fills name and classes of ds as described in dataset.h. Returns 0 or -1 with err set. */
static int name_dataset(Dataset *ds, const char *dir, char *err)
{
    char base[64];
    base_name(base, sizeof base, dir);
    for (int k = 0; k < DATASET_MAX_CLASSES; k++)
        snprintf(ds->classes[k], sizeof ds->classes[k], "%d", k);
    ds->nclass = DATASET_MAX_CLASSES;

    if (contains_nocase(dir, "fashion")) {
        for (int k = 0; k < DATASET_MAX_CLASSES; k++)
            snprintf(ds->classes[k], sizeof ds->classes[k], "%s", FASHION_CLASSES[k]);
        snprintf(ds->name, sizeof ds->name, "fashion-mnist");
        return 0;
    }
    char path[DS_PATH_LEN];
    if (join_path(path, dir, "classes.txt"))
        return err_set(err, "data folder path too long");
    char names[DATASET_MAX_CLASSES][24];
    int count = read_class_names(path, names, err);
    if (count < 0)
        return -1;
    for (int k = 0; k < count; k++)
        memcpy(ds->classes[k], names[k], sizeof names[k]);
    if (count == 0 && (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "/") == 0 ||
                       strcasecmp(base, "mnist") == 0))
        snprintf(ds->name, sizeof ds->name, "mnist");
    else
        snprintf(ds->name, sizeof ds->name, "%s", base);
    return 0;
}

/* Loads one images+labels pair into *ds (x, y, n, rows, cols, d); on failure *ds is untouched. */
static int load_pair(Dataset *ds, const char *img_path, const char *lab_path, char *err)
{
    IdxImages im = {0};
    IdxLabels lb = {0};
    if (idx_load_images(img_path, &im, err))
        return -1;
    if (idx_load_labels(lab_path, DATASET_MAX_CLASSES, &lb, err)) {
        idx_images_free(&im);
        return -1;
    }
    if (im.n != lb.n) {
        err_set(err, "%s has %d images but %s has %d labels", img_path, im.n, lab_path, lb.n);
        idx_images_free(&im);
        idx_labels_free(&lb);
        return -1;
    }
    ds->n = im.n;
    ds->rows = im.rows;
    ds->cols = im.cols;
    ds->d = im.rows * im.cols; /* idx caps each side at 4096, so this fits an int */
    ds->x = im.pixels;
    ds->y = lb.labels;
    return 0;
}

/* Loads train and/or test (either may be NULL) from dir's four MNIST files, raw or .gz.
 * Missing files are named in the error; a folder with none of them suggests
 * scripts/fetch_mnist.sh. On success the requested outputs own their arrays (free with
 * dataset_free); on failure no output is written. */
int dataset_load_dir(const char *dir, Dataset *train, Dataset *test, char *err)
{
    if (!dir || !*dir)
        return err_set(err, "no data folder given");
    struct stat st;
    if (stat(dir, &st) != 0)
        return err_set(err, "data folder %s: %s; run scripts/fetch_mnist.sh or set DIGITREC_DATA",
                       dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return err_set(err, "data folder %s is not a folder", dir);

    char paths[F_COUNT][DS_PATH_LEN];
    int found[F_COUNT], nfound = 0;
    for (int f = 0; f < F_COUNT; f++) {
        found[f] = find_file(paths[f], dir, FILE_NAMES[f]);
        nfound += found[f];
    }
    if (nfound == 0)
        return err_set(err, "no MNIST files in %s (expected %s[.gz] and 3 more); run scripts/fetch_mnist.sh",
                       dir, FILE_NAMES[0]);
    int need[F_COUNT] = {train != NULL, train != NULL, test != NULL, test != NULL};
    for (int f = 0; f < F_COUNT; f++)
        if (need[f] && !found[f])
            return err_set(err, "%s: missing %s (or %s.gz)", dir, FILE_NAMES[f], FILE_NAMES[f]);

    Dataset tr = {0}, te = {0};
    if (name_dataset(&tr, dir, err))
        return -1;
    memcpy(te.name, tr.name, sizeof te.name);
    memcpy(te.classes, tr.classes, sizeof te.classes);
    te.nclass = tr.nclass;

    if (train && load_pair(&tr, paths[F_TRAIN_IMAGES], paths[F_TRAIN_LABELS], err))
        return -1;
    if (test && load_pair(&te, paths[F_TEST_IMAGES], paths[F_TEST_LABELS], err)) {
        dataset_free(&tr);
        return -1;
    }
    if (train && test && (tr.rows != te.rows || tr.cols != te.cols)) {
        err_set(err, "%s: train images are %dx%d but test images are %dx%d", dir, tr.rows, tr.cols,
                te.rows, te.cols);
        dataset_free(&tr);
        dataset_free(&te);
        return -1;
    }
    if (train)
        *train = tr;
    if (test)
        *test = te;
    return 0;
}

/* Returns explicit_dir resolved (dataset_resolve) when non-NULL and non-empty, else the MNIST
 * folder set by dataset_set_named_dirs. The result points at the argument or static storage:
 * do not free it. */
const char *dataset_default_dir(const char *explicit_dir)
{
    if (explicit_dir && *explicit_dir)
        return dataset_resolve(explicit_dir);
    return g_mnist_dir;
}

/* Copies each non-NULL, non-empty folder that fits; others keep their value (dataset.h). */
int dataset_set_named_dirs(const char *mnist_dir, const char *fashion_dir)
{
    int rc = 0;
    if (mnist_dir && *mnist_dir) {
        if (strlen(mnist_dir) < sizeof g_mnist_dir)
            memcpy(g_mnist_dir, mnist_dir, strlen(mnist_dir) + 1);
        else
            rc = -1;
    }
    if (fashion_dir && *fashion_dir) {
        if (strlen(fashion_dir) < sizeof g_fashion_dir)
            memcpy(g_fashion_dir, fashion_dir, strlen(fashion_dir) + 1);
        else
            rc = -1;
    }
    return rc;
}

const char *dataset_mnist_dir(void)
{
    return g_mnist_dir;
}

const char *dataset_fashion_dir(void)
{
    return g_fashion_dir;
}

/* Maps the dataset names onto their folders unless a folder of that name exists (dataset.h). */
const char *dataset_resolve(const char *name_or_dir)
{
    if (!name_or_dir || !*name_or_dir)
        return NULL;
    struct stat st;
    if (stat(name_or_dir, &st) == 0 && S_ISDIR(st.st_mode))
        return name_or_dir;
    if (strcasecmp(name_or_dir, "mnist") == 0)
        return g_mnist_dir;
    if (strcasecmp(name_or_dir, "fashion-mnist") == 0 || strcasecmp(name_or_dir, "fashion") == 0 ||
        strcasecmp(name_or_dir, "fashion_mnist") == 0)
        return g_fashion_dir;
    return name_or_dir;
}

/* pixel/255 exactly as a division would give it, for every byte value. */
static void fill_scale(float lut[256])
{
    for (int i = 0; i < 256; i++)
        lut[i] = (float)i / 255.0f;
}

/* Writes examples idx[0..b) as x (b, d) floats pixel/255 and y (b) labels; y may be NULL.
 * Every idx must be in [0, ds->n): a bad index is a programmer error and aborts. */
void dataset_gather(const Dataset *ds, const int *idx, int b, float *x, int *y)
{
    const size_t d = (size_t)ds->d;
    float lut[256];
    fill_scale(lut);
    for (int i = 0; i < b; i++) {
        int k = idx[i];
        /* Indices come from our own shuffles; checked always since a miss would read wild memory. */
        if (k < 0 || k >= ds->n)
            abort();
        const uint8_t *src = ds->x + (size_t)k * d;
        float *dst = x + (size_t)i * d;
        for (size_t j = 0; j < d; j++)
            dst[j] = lut[src[j]];
        if (y)
            y[i] = ds->y[k];
    }
}

/* Writes examples [start, start+b) as x (b, d) floats and y (b) labels; y may be NULL.
 * The range must lie inside [0, ds->n): anything else is a programmer error and aborts. */
void dataset_slice(const Dataset *ds, int start, int b, float *x, int *y)
{
    if (start < 0 || b < 0 || start > ds->n - b)
        abort();
    const size_t d = (size_t)ds->d;
    float lut[256];
    fill_scale(lut);
    const uint8_t *src = ds->x + (size_t)start * d;
    size_t total = (size_t)b * d;
    for (size_t j = 0; j < total; j++)
        x[j] = lut[src[j]];
    if (y)
        for (int i = 0; i < b; i++)
            y[i] = ds->y[start + i];
}

/* Makes *out a copy of the first min(n, ds->n) examples with the same names and classes.
 * n must be >= 1. On success *out owns new arrays; on failure it is untouched. */
int dataset_subset(const Dataset *ds, int n, Dataset *out, char *err)
{
    if (!ds || !ds->x || !ds->y || ds->n <= 0)
        return err_set(err, "subset of an empty dataset");
    if (n <= 0)
        return err_set(err, "subset size %d must be positive", n);
    if (n > ds->n)
        n = ds->n;
    size_t bytes;
    if (size_mul((size_t)n, (size_t)ds->d, &bytes))
        return err_set(err, "subset size overflows");
    uint8_t *x = malloc(bytes ? bytes : 1);
    uint8_t *y = malloc((size_t)n);
    if (!x || !y) {
        free(x);
        free(y);
        return err_set(err, "out of memory for a subset of %d examples", n);
    }
    memcpy(x, ds->x, bytes);
    memcpy(y, ds->y, (size_t)n);
    *out = *ds;
    out->n = n;
    out->x = x;
    out->y = y;
    return 0;
}

/* Builds *out as a followed by repeat_b copies of b, as documented in dataset.h. */
int dataset_concat(const Dataset *a, const Dataset *b, int repeat_b, Dataset *out, char *err)
{
    if (!a || a->n <= 0 || !a->x || !a->y)
        return err_set(err, "concat: the first dataset is empty");
    if (repeat_b < 0)
        return err_set(err, "concat: negative repeat %d", repeat_b);
    int nb = b ? b->n : 0;
    if (nb > 0 && (b->d != a->d || b->rows != a->rows || b->cols != a->cols))
        return err_set(err, "concat: %dx%d images cannot join %dx%d ones", b->rows, b->cols, a->rows, a->cols);
    size_t extra, n, bytes;
    if (size_mul((size_t)nb, (size_t)repeat_b, &extra) || extra > (size_t)INT_MAX - (size_t)a->n)
        return err_set(err, "concat: too many examples");
    n = (size_t)a->n + extra;
    if (size_mul(n, (size_t)a->d, &bytes))
        return err_set(err, "concat: size overflows");
    uint8_t *x = malloc(bytes ? bytes : 1);
    uint8_t *y = malloc(n);
    if (!x || !y) {
        free(x);
        free(y);
        return err_set(err, "out of memory for %zu examples", n);
    }
    const size_t d = (size_t)a->d;
    memcpy(x, a->x, (size_t)a->n * d);
    memcpy(y, a->y, (size_t)a->n);
    size_t at = (size_t)a->n;
    for (int r = 0; r < repeat_b && nb > 0; r++, at += (size_t)nb) {
        memcpy(x + at * d, b->x, (size_t)nb * d);
        memcpy(y + at, b->y, (size_t)nb);
    }
    *out = *a;
    out->n = (int)n;
    out->x = x;
    out->y = y;
    return 0;
}

/* The repeat factor documented in dataset.h. */
int dataset_mix_repeat(int n_base, int n_extra, int batch)
{
    if (n_extra <= 0)
        return 0;
    if (batch < 2)
        batch = 64;
    long long per = (long long)(batch - 1) * n_extra;
    long long r = ((long long)n_base + per - 1) / per;
    return r < 1 ? 1 : r > 10000 ? 10000 : (int)r;
}

/* Frees the arrays and zeroes *ds; safe on a zeroed or already freed dataset. */
void dataset_free(Dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

void classes_parse(const char *csv, char names[][DATASET_CLASS_LEN], int max) {
    for (int k = 0; k < max; k++) snprintf(names[k], DATASET_CLASS_LEN, "%d", k);
    for (int k = 0; csv && *csv && k < max; k++) {
        const char *e = strchr(csv, ',');
        size_t len = e ? (size_t)(e - csv) : strlen(csv);
        if (len > DATASET_CLASS_LEN - 1) len = DATASET_CLASS_LEN - 1;
        if (len > 0) {
            memcpy(names[k], csv, len);
            names[k][len] = 0;
        }
        csv = e ? e + 1 : NULL;
    }
}

void classes_join(const char names[][DATASET_CLASS_LEN], int n, char *out, size_t len) {
    size_t j = 0;
    if (!len) return;
    out[0] = 0;
    for (int k = 0; k < n && j + 1 < len; k++) {
        int w = snprintf(out + j, len - j, "%s%s", k ? "," : "", names[k]);
        if (w < 0) break;
        j += (size_t)w;
    }
    if (j >= len) out[len - 1] = 0;
}

/* personal.c - the personal example folder: load with the label file as commit point, append in
 * memory, save as two atomic IDX writes in a crash-safe order. No threads; the caller decides
 * when to save. */
#include "personal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "idx.h"

#define PATH_MAX_LEN 4096

static int join(char *out, const char *dir, const char *name, char *err) {
    int w = snprintf(out, PATH_MAX_LEN, "%s/%s", dir, name);
    if (w < 0 || w >= PATH_MAX_LEN) return err_set(err, "personal folder path too long");
    return 0;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void name_set(Dataset *ds) {
    snprintf(ds->name, sizeof ds->name, "personal");
    ds->nclass = DATASET_MAX_CLASSES;
    for (int k = 0; k < DATASET_MAX_CLASSES; k++) snprintf(ds->classes[k], sizeof ds->classes[k], "%d", k);
}

int personal_load(const char *dir, Dataset *out, char *err) {
    char ip[PATH_MAX_LEN], lp[PATH_MAX_LEN];
    if (!dir || !*dir) return err_set(err, "no personal folder given");
    if (join(ip, dir, PERSONAL_IMAGES, err) || join(lp, dir, PERSONAL_LABELS, err)) return -1;
    Dataset ds = {0};
    name_set(&ds);
    ds.rows = ds.cols = PERSONAL_SIDE;
    ds.d = PERSONAL_SIDE * PERSONAL_SIDE;
    if (!exists(lp)) { /* nothing committed yet (an image file alone is an unfinished first add) */
        *out = ds;
        return 0;
    }
    IdxLabels lb = {0};
    IdxImages im = {0};
    if (idx_load_labels(lp, DATASET_MAX_CLASSES, &lb, err)) return -1;
    if (!exists(ip)) {
        idx_labels_free(&lb);
        return err_set(err, "%s: %d labels but no %s", dir, lb.n, PERSONAL_IMAGES);
    }
    if (idx_load_images(ip, &im, err)) {
        idx_labels_free(&lb);
        return -1;
    }
    if (im.rows != PERSONAL_SIDE || im.cols != PERSONAL_SIDE || im.n < lb.n) {
        err_set(err, "%s: %d images of %dx%d for %d labels (expected at least as many 28x28 images)", dir, im.n, im.rows,
                im.cols, lb.n);
        idx_images_free(&im);
        idx_labels_free(&lb);
        return -1;
    }
    /* images past the labels belong to an add that never committed: keep the committed prefix */
    ds.n = lb.n;
    ds.x = im.pixels;
    ds.y = lb.labels;
    *out = ds;
    return 0;
}

int personal_append(Dataset *ds, const uint8_t *img, int label, char *err) {
    if (label < 0 || label >= DATASET_MAX_CLASSES) return err_set(err, "label %d is not a class 0..9", label);
    if (ds->n >= PERSONAL_MAX) return err_set(err, "the personal set is full (%d examples)", PERSONAL_MAX);
    if (ds->n > 0 && ds->d != PERSONAL_SIDE * PERSONAL_SIDE) return err_set(err, "personal images must be 28x28");
    const size_t d = PERSONAL_SIDE * PERSONAL_SIDE;
    uint8_t *x = realloc(ds->x, d * (size_t)(ds->n + 1));
    if (!x) return err_set(err, "out of memory for %d personal examples", ds->n + 1);
    ds->x = x;
    uint8_t *y = realloc(ds->y, (size_t)ds->n + 1);
    if (!y) return err_set(err, "out of memory for %d personal examples", ds->n + 1);
    ds->y = y;
    if (ds->n == 0) {
        if (!ds->name[0]) name_set(ds);
        ds->rows = ds->cols = PERSONAL_SIDE;
        ds->d = (int)d;
    }
    memcpy(ds->x + d * (size_t)ds->n, img, d);
    ds->y[ds->n] = (uint8_t)label;
    ds->n++;
    return 0;
}

/* mkdir -p dir. */
static int make_dirs(const char *dir, char *err) {
    char buf[PATH_MAX_LEN];
    int w = snprintf(buf, sizeof buf, "%s", dir);
    if (w < 0 || w >= (int)sizeof buf) return err_set(err, "personal folder path too long");
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != 0) continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return err_set(err, "cannot create %s: %s", buf, strerror(errno));
        *p = c;
        if (!c) break;
    }
    return 0;
}

static int write_images(const char *path, const Dataset *ds, char *err) {
    IdxImages im = {ds->n, ds->rows, ds->cols, ds->x};
    uint8_t *buf;
    size_t len;
    if (idx_encode_images(&im, &buf, &len, err)) return -1;
    int rc = file_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

static int write_labels(const char *path, const Dataset *ds, char *err) {
    IdxLabels lb = {ds->n, ds->y};
    uint8_t *buf;
    size_t len;
    if (idx_encode_labels(&lb, &buf, &len, err)) return -1;
    int rc = file_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int personal_save(const char *dir, const Dataset *ds, int removing, char *err) {
    char ip[PATH_MAX_LEN], lp[PATH_MAX_LEN];
    if (!dir || !*dir) return err_set(err, "no personal folder given");
    if (join(ip, dir, PERSONAL_IMAGES, err) || join(lp, dir, PERSONAL_LABELS, err)) return -1;
    if (ds->n == 0) { /* labels go first: an image file alone is an empty set */
        if (unlink(lp) != 0 && errno != ENOENT) return err_set(err, "cannot remove %s: %s", lp, strerror(errno));
        if (unlink(ip) != 0 && errno != ENOENT) return err_set(err, "cannot remove %s: %s", ip, strerror(errno));
        return 0;
    }
    if (make_dirs(dir, err)) return -1;
    /* the image file must never hold fewer examples than the label file */
    if (removing) return write_labels(lp, ds, err) || write_images(ip, ds, err) ? -1 : 0;
    return write_images(ip, ds, err) || write_labels(lp, ds, err) ? -1 : 0;
}

int personal_add(const char *dir, Dataset *ds, const uint8_t *img, int label, char *err) {
    if (personal_append(ds, img, label, err)) return -1;
    if (personal_save(dir, ds, 0, err)) {
        ds->n--; /* the arrays keep their room; the example is gone */
        return -1;
    }
    return 0;
}

int personal_remove_last(const char *dir, Dataset *ds, char *err) {
    if (ds->n <= 0) return 1;
    ds->n--;
    if (personal_save(dir, ds, 1, err)) {
        ds->n++;
        return -1;
    }
    return 0;
}

void personal_from_input(uint8_t *img, const float *input) {
    for (int i = 0; i < PERSONAL_SIDE * PERSONAL_SIDE; i++) {
        float v = input[i];
        v = v > 0 ? (v < 1 ? v : 1) : 0; /* NaN -> 0 */
        img[i] = (uint8_t)(v * 255.0f + 0.5f);
    }
}

int personal_split(const Dataset *all, Dataset *fit, Dataset *held, char *err) {
    Dataset f = *all, h = *all;
    f.n = h.n = 0;
    f.x = h.x = NULL;
    f.y = h.y = NULL;
    int seen[256] = {0};
    int nheld = 0;
    for (int i = 0; i < all->n; i++) nheld += ++seen[all->y[i]] % PERSONAL_HOLD_EVERY == 0;
    int nfit = all->n - nheld;
    size_t d = (size_t)all->d;
    if (nfit > 0) {
        f.x = xmalloc_array((size_t)nfit, d);
        f.y = malloc((size_t)nfit);
    }
    if (nheld > 0) {
        h.x = xmalloc_array((size_t)nheld, d);
        h.y = malloc((size_t)nheld);
    }
    if ((nfit > 0 && (!f.x || !f.y)) || (nheld > 0 && (!h.x || !h.y))) {
        free(f.x), free(f.y), free(h.x), free(h.y);
        return err_set(err, "out of memory splitting %d personal examples", all->n);
    }
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < all->n; i++) {
        Dataset *to = ++seen[all->y[i]] % PERSONAL_HOLD_EVERY == 0 ? &h : &f;
        memcpy(to->x + d * (size_t)to->n, all->x + d * (size_t)i, d);
        to->y[to->n++] = all->y[i];
    }
    *fit = f;
    *held = h;
    return 0;
}

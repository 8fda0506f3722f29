/* idx.h - the IDX format of MNIST (images idx3, labels idx1), raw or gzipped.
 * Parsing works from memory so tests and fuzzers need no files; loading wraps it. */
#ifndef DIGITREC_IDX_H
#define DIGITREC_IDX_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n;          /* number of images */
    int rows, cols; /* 28, 28 for MNIST */
    uint8_t *pixels;  /* (n, rows*cols), owned */
} IdxImages;

typedef struct {
    int n;
    uint8_t *labels; /* (n), owned */
} IdxLabels;

/* Parses an idx3-ubyte image file held in buf (already decompressed): the header is checked
 * field by field and len must be exactly what it declares. On success fills *out with a copy of
 * the pixels (caller frees with idx_images_free) and returns 0; on failure returns -1 with err
 * and leaves *out untouched. */
int idx_parse_images(const uint8_t *buf, size_t len, IdxImages *out, char *err);
/* Parses an idx1-ubyte label file the same way; every label must be < max_label (1..256, 10
 * for MNIST). */
int idx_parse_labels(const uint8_t *buf, size_t len, int max_label, IdxLabels *out, char *err);

/* idx_parse_images / idx_parse_labels for a buffer that may also be gzipped (magic 1f 8b): a
 * gzip stream is inflated straight into the new pixel or label array, header first, with the
 * same checks, the whole stream capped at 1 GiB (a gzip bomb is an error) and anything after
 * the declared size refused as trailing bytes. Same ownership and errors as above. */
int idx_read_images(const uint8_t *buf, size_t len, IdxImages *out, char *err);
int idx_read_labels(const uint8_t *buf, size_t len, int max_label, IdxLabels *out, char *err);

/* Decompresses buf if it starts with the gzip magic, else copies it. Caller frees *out.
 * The output is capped at max_out bytes (a gzip bomb is an error). */
int idx_gunzip(const uint8_t *buf, size_t len, size_t max_out, uint8_t **out, size_t *out_len, char *err);

/* Reads a file (raw or .gz) once and parses it: a raw file is read from the file straight into
 * the pixel (label) array, a gzipped one into one buffer sized from the file and inflated from
 * there into the array. Errors start with the path; on failure *out is untouched. */
int idx_load_images(const char *path, IdxImages *out, char *err);
int idx_load_labels(const char *path, int max_label, IdxLabels *out, char *err);

/* Serialises to IDX bytes (caller frees *out) - used for personal datasets and tests. */
int idx_encode_images(const IdxImages *im, uint8_t **out, size_t *len, char *err);
int idx_encode_labels(const IdxLabels *lb, uint8_t **out, size_t *len, char *err);

void idx_images_free(IdxImages *im);
void idx_labels_free(IdxLabels *lb);

#endif

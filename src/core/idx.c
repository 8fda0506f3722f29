/* idx.c - parse, gunzip and encode MNIST's IDX files (idx3-ubyte images, idx1-ubyte labels).
 * Parsing checks every header field against the buffer before allocating; it never reads
 * past len. It knows nothing about folders or class names (that is dataset.c). */
#include "idx.h"

#include "common.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_IMAGES_HEADER 16
#define IDX_LABELS_HEADER 8
/* Largest side accepted: far above any real image set, small enough that rows*cols fits an int. */
#define IDX_MAX_SIDE 4096
/* Largest decompressed file idx_load_* accepts (EMNIST byclass is ~550 MB). */
#define IDX_MAX_BYTES ((size_t)1 << 30)

/* The big-endian 32-bit value at p[0..4). */
static uint32_t read_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Stores v big-endian at p[0..4). */
static void write_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Names a magic number a reader may confuse with the expected one, for the error line. */
static const char *magic_hint(uint32_t magic)
{
    if (magic == IDX_MAGIC_IMAGES)
        return " (an image file)";
    if (magic == IDX_MAGIC_LABELS)
        return " (a label file)";
    if ((magic >> 16) == 0x1f8b)
        return " (gzip data: decompress first)";
    return "";
}

/* Compares the buffer length to the length the header declares; sets err on mismatch. */
static int check_length(const char *what, size_t expected, size_t len, char *err)
{
    if (len < expected)
        return err_set(err, "%s: truncated: header declares %zu bytes, got %zu", what, expected, len);
    if (len > expected)
        return err_set(err, "%s: %zu trailing bytes: header declares %zu bytes, got %zu", what,
                       len - expected, expected, len);
    return 0;
}

/* Parses an idx3-ubyte image file in buf[0..len). Checks: header present, magic 0x803,
 * n, rows, cols all non-zero and sane, n*rows*cols without overflow, and len equal to the
 * declared size exactly. On success *out owns a new pixel array; on failure *out is untouched. */
int idx_parse_images(const uint8_t *buf, size_t len, IdxImages *out, char *err)
{
    if (!buf && len > 0)
        return err_set(err, "IDX images: no buffer");
    if (len < IDX_IMAGES_HEADER)
        return err_set(err, "IDX images: buffer too short for header (%zu bytes, need %d)", len,
                       IDX_IMAGES_HEADER);
    uint32_t magic = read_be32(buf);
    if (magic != IDX_MAGIC_IMAGES)
        return err_set(err, "IDX images: wrong magic 0x%08x%s, expected 0x%08x", (unsigned)magic,
                       magic_hint(magic), (unsigned)IDX_MAGIC_IMAGES);
    uint32_t n = read_be32(buf + 4), rows = read_be32(buf + 8), cols = read_be32(buf + 12);
    if (n == 0 || rows == 0 || cols == 0)
        return err_set(err, "IDX images: zero dimension (n=%u, rows=%u, cols=%u)", (unsigned)n,
                       (unsigned)rows, (unsigned)cols);
    if (n > INT_MAX || rows > IDX_MAX_SIDE || cols > IDX_MAX_SIDE)
        return err_set(err, "IDX images: absurd dimensions (n=%u, rows=%u, cols=%u; max side %d)",
                       (unsigned)n, (unsigned)rows, (unsigned)cols, IDX_MAX_SIDE);
    size_t d, total, expected;
    if (size_mul(rows, cols, &d) || size_mul(d, n, &total) || total > SIZE_MAX - IDX_IMAGES_HEADER)
        return err_set(err, "IDX images: size %u x %u x %u overflows", (unsigned)n, (unsigned)rows,
                       (unsigned)cols);
    expected = total + IDX_IMAGES_HEADER;
    if (check_length("IDX images", expected, len, err))
        return -1;
    uint8_t *pixels = malloc(total);
    if (!pixels)
        return err_set(err, "IDX images: out of memory for %zu bytes", total);
    memcpy(pixels, buf + IDX_IMAGES_HEADER, total);
    out->n = (int)n;
    out->rows = (int)rows;
    out->cols = (int)cols;
    out->pixels = pixels;
    return 0;
}

/* Parses an idx1-ubyte label file in buf[0..len). Every label must be < max_label (1..256).
 * On success *out owns a new label array; on failure *out is untouched. */
int idx_parse_labels(const uint8_t *buf, size_t len, int max_label, IdxLabels *out, char *err)
{
    if (max_label < 1 || max_label > 256)
        return err_set(err, "IDX labels: max_label %d out of range 1..256", max_label);
    if (!buf && len > 0)
        return err_set(err, "IDX labels: no buffer");
    if (len < IDX_LABELS_HEADER)
        return err_set(err, "IDX labels: buffer too short for header (%zu bytes, need %d)", len,
                       IDX_LABELS_HEADER);
    uint32_t magic = read_be32(buf);
    if (magic != IDX_MAGIC_LABELS)
        return err_set(err, "IDX labels: wrong magic 0x%08x%s, expected 0x%08x", (unsigned)magic,
                       magic_hint(magic), (unsigned)IDX_MAGIC_LABELS);
    uint32_t n = read_be32(buf + 4);
    if (n == 0)
        return err_set(err, "IDX labels: zero dimension (n=0)");
    if (n > INT_MAX)
        return err_set(err, "IDX labels: absurd dimension (n=%u)", (unsigned)n);
    size_t expected = (size_t)n + IDX_LABELS_HEADER;
    if (expected < n)
        return err_set(err, "IDX labels: size %u overflows", (unsigned)n);
    if (check_length("IDX labels", expected, len, err))
        return -1;
    const uint8_t *lab = buf + IDX_LABELS_HEADER;
    for (size_t i = 0; i < n; i++)
        if (lab[i] >= max_label)
            return err_set(err, "IDX labels: label %u at index %zu is out of range (must be < %d)",
                           (unsigned)lab[i], i, max_label);
    uint8_t *labels = malloc(n);
    if (!labels)
        return err_set(err, "IDX labels: out of memory for %u bytes", (unsigned)n);
    memcpy(labels, lab, n);
    out->n = (int)n;
    out->labels = labels;
    return 0;
}

/* Inflates one or more concatenated gzip members from buf into a growing buffer capped at
 * max_out bytes. Zero padding after the last member is ignored; other trailing data is an error.
 * On success *out (caller frees) holds *out_len bytes; on failure nothing is allocated. */
static int gunzip_members(const uint8_t *buf, size_t len, size_t max_out, uint8_t **out,
                          size_t *out_len, char *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return err_set(err, "gzip: cannot initialise zlib");

    const size_t first = (size_t)1 << 20;
    size_t cap = len > SIZE_MAX / 4 ? max_out : len * 4;
    if (cap < first)
        cap = first;
    if (cap > max_out)
        cap = max_out;
    uint8_t *dst = malloc(cap ? cap : 1);
    if (!dst) {
        inflateEnd(&zs);
        return err_set(err, "gzip: out of memory for %zu bytes", cap);
    }

    size_t in_pos = 0, produced = 0;
    int status = -1;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < len) {
            size_t chunk = len - in_pos;
            if (chunk > UINT_MAX)
                chunk = UINT_MAX;
            zs.next_in = (Bytef *)(buf + in_pos);
            zs.avail_in = (uInt)chunk;
            in_pos += chunk;
        }
        if (produced == cap && cap < max_out) {
            size_t ncap = cap > max_out / 2 ? max_out : cap * 2;
            uint8_t *grown = realloc(dst, ncap);
            if (!grown) {
                err_set(err, "gzip: out of memory for %zu bytes", ncap);
                break;
            }
            dst = grown;
            cap = ncap;
        }
        /* At the cap, inflate into a one-byte probe: any byte landing there is one too many. */
        uint8_t probe;
        int at_cap = produced == cap;
        size_t room = at_cap ? 1 : cap - produced;
        if (room > UINT_MAX)
            room = UINT_MAX;
        zs.next_out = at_cap ? &probe : dst + produced;
        zs.avail_out = (uInt)room;
        int r = inflate(&zs, Z_NO_FLUSH);
        if (at_cap && zs.avail_out == 0) {
            err_set(err, "gzip: decompressed size exceeds the limit of %zu bytes", max_out);
            break;
        }
        if (!at_cap)
            produced += room - zs.avail_out;
        int input_done = zs.avail_in == 0 && in_pos >= len;

        if (r == Z_STREAM_END) {
            /* Another member may follow, or zero padding; anything else is garbage. */
            size_t rest = in_pos - zs.avail_in, k = rest;
            while (k < len && buf[k] == 0)
                k++;
            if (k == len) {
                status = 0;
                break;
            }
            if (k == rest && len - k >= 2 && buf[k] == 0x1f && buf[k + 1] == 0x8b) {
                if (inflateReset(&zs) != Z_OK) {
                    err_set(err, "gzip: cannot reset zlib");
                    break;
                }
                continue;
            }
            err_set(err, "gzip: %zu bytes of trailing garbage after the compressed data", len - rest);
            break;
        }
        if (r == Z_DATA_ERROR || r == Z_NEED_DICT) {
            err_set(err, "gzip: corrupt data (%s)", zs.msg ? zs.msg : "invalid stream");
            break;
        }
        if (r == Z_MEM_ERROR) {
            err_set(err, "gzip: out of memory in zlib");
            break;
        }
        if (r == Z_BUF_ERROR && input_done) {
            err_set(err, "gzip: truncated data (the stream ends early)");
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR) {
            err_set(err, "gzip: zlib error %d", r);
            break;
        }
    }
    inflateEnd(&zs);
    if (status != 0) {
        free(dst);
        return -1;
    }
    /* Shrink to fit; keep the big buffer if the shrink fails. */
    if (produced > 0 && produced < cap) {
        uint8_t *fit = realloc(dst, produced);
        if (fit)
            dst = fit;
    }
    *out = dst;
    *out_len = produced;
    return 0;
}

/* Decompresses buf when it starts with the gzip magic (1f 8b), else copies it. The output
 * may not exceed max_out bytes. On success *out is a new buffer (never NULL, even for 0 bytes)
 * that the caller frees; on failure *out and *out_len are untouched. */
int idx_gunzip(const uint8_t *buf, size_t len, size_t max_out, uint8_t **out, size_t *out_len, char *err)
{
    if (!buf && len > 0)
        return err_set(err, "gzip: no buffer");
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return gunzip_members(buf, len, max_out, out, out_len, err);
    if (len > max_out)
        return err_set(err, "data size %zu exceeds the limit of %zu bytes", len, max_out);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return err_set(err, "out of memory for %zu bytes", len);
    if (len)
        memcpy(copy, buf, len);
    *out = copy;
    *out_len = len;
    return 0;
}

/* Rewrites err as "path: message" unless the message already names the path. */
static int err_prefix_path(char *err, const char *path)
{
    if (!err)
        return -1;
    if (strstr(err, path))
        return -1;
    char tmp[ERR_LEN];
    memcpy(tmp, err, ERR_LEN);
    tmp[ERR_LEN - 1] = '\0';
    return err_set(err, "%s: %s", path, tmp);
}

/* Reads path and decompresses it if gzipped. On success *data (caller frees) holds the bytes. */
static int load_bytes(const char *path, uint8_t **data, size_t *len, char *err)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (file_read_all(path, &raw, &raw_len, err))
        return err_prefix_path(err, path);
    int rc = idx_gunzip(raw, raw_len, IDX_MAX_BYTES, data, len, err);
    free(raw);
    if (rc)
        return err_prefix_path(err, path);
    return 0;
}

/* Reads an image file (raw or gzipped) and parses it. Errors start with the path.
 * On success *out owns its pixels; on failure *out is untouched. */
int idx_load_images(const char *path, IdxImages *out, char *err)
{
    uint8_t *data;
    size_t len;
    if (load_bytes(path, &data, &len, err))
        return -1;
    int rc = idx_parse_images(data, len, out, err);
    free(data);
    return rc ? err_prefix_path(err, path) : 0;
}

/* Reads a label file (raw or gzipped) and parses it with labels < max_label.
 * Errors start with the path. On success *out owns its labels; on failure it is untouched. */
int idx_load_labels(const char *path, int max_label, IdxLabels *out, char *err)
{
    uint8_t *data;
    size_t len;
    if (load_bytes(path, &data, &len, err))
        return -1;
    int rc = idx_parse_labels(data, len, max_label, out, err);
    free(data);
    return rc ? err_prefix_path(err, path) : 0;
}

/* Serialises images to idx3-ubyte bytes: magic, n, rows, cols (big-endian), then pixels.
 * Rejects what idx_parse_images would reject. On success *out is new (caller frees). */
int idx_encode_images(const IdxImages *im, uint8_t **out, size_t *len, char *err)
{
    if (!im || !im->pixels)
        return err_set(err, "IDX encode: no images");
    if (im->n <= 0 || im->rows <= 0 || im->cols <= 0 || im->rows > IDX_MAX_SIDE || im->cols > IDX_MAX_SIDE)
        return err_set(err, "IDX encode: bad dimensions (n=%d, rows=%d, cols=%d)", im->n, im->rows,
                       im->cols);
    size_t d, total;
    if (size_mul((size_t)im->rows, (size_t)im->cols, &d) || size_mul(d, (size_t)im->n, &total) ||
        total > SIZE_MAX - IDX_IMAGES_HEADER)
        return err_set(err, "IDX encode: size overflows");
    uint8_t *buf = malloc(total + IDX_IMAGES_HEADER);
    if (!buf)
        return err_set(err, "IDX encode: out of memory for %zu bytes", total + IDX_IMAGES_HEADER);
    write_be32(buf, IDX_MAGIC_IMAGES);
    write_be32(buf + 4, (uint32_t)im->n);
    write_be32(buf + 8, (uint32_t)im->rows);
    write_be32(buf + 12, (uint32_t)im->cols);
    memcpy(buf + IDX_IMAGES_HEADER, im->pixels, total);
    *out = buf;
    *len = total + IDX_IMAGES_HEADER;
    return 0;
}

/* Serialises labels to idx1-ubyte bytes: magic, n (big-endian), then labels.
 * On success *out is new (caller frees). */
int idx_encode_labels(const IdxLabels *lb, uint8_t **out, size_t *len, char *err)
{
    if (!lb || !lb->labels)
        return err_set(err, "IDX encode: no labels");
    if (lb->n <= 0)
        return err_set(err, "IDX encode: bad label count %d", lb->n);
    size_t total = (size_t)lb->n + IDX_LABELS_HEADER;
    uint8_t *buf = malloc(total);
    if (!buf)
        return err_set(err, "IDX encode: out of memory for %zu bytes", total);
    write_be32(buf, IDX_MAGIC_LABELS);
    write_be32(buf + 4, (uint32_t)lb->n);
    memcpy(buf + IDX_LABELS_HEADER, lb->labels, (size_t)lb->n);
    *out = buf;
    *len = total;
    return 0;
}

/* Frees the pixels and zeroes the struct; safe on a zeroed or already freed struct. */
void idx_images_free(IdxImages *im)
{
    if (!im)
        return;
    free(im->pixels);
    memset(im, 0, sizeof *im);
}

/* Frees the labels and zeroes the struct; safe on a zeroed or already freed struct. */
void idx_labels_free(IdxLabels *lb)
{
    if (!lb)
        return;
    free(lb->labels);
    memset(lb, 0, sizeof *lb);
}

/* test_idx.c - idx.c and dataset.c fed hand-built IDX bytes: good, gzipped, truncated, trailing,
 * wrong magic, bad labels, absurd and zero dims, corrupt gzip, gzip bombs, folder layouts.
 * Real MNIST ($DIGITREC_DATA) and Fashion-MNIST (/usr/share/datasets) are checked when present. */
#include "check.h"
#include "common.h"
#include "dataset.h"
#include "idx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* A call that must fail with a message containing substr. */
#define CHECK_ERR(call, err, substr)                                                                \
    do {                                                                                            \
        (err)[0] = '\0';                                                                            \
        int rc_ = (call);                                                                           \
        CHECK(rc_ != 0 && strstr((err), (substr)) != NULL, "%s: rc=%d err='%s', want '%s'", #call,  \
              rc_, (err), (substr));                                                                \
    } while (0)

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* idx3 bytes for n images of rows x cols, pixel (k, j) = (k*31 + j*7) & 255. Caller frees. */
static uint8_t *make_images(uint32_t n, uint32_t rows, uint32_t cols, size_t *len)
{
    size_t d = (size_t)rows * cols, total = 16 + (size_t)n * d;
    uint8_t *b = malloc(total);
    put_be32(b, 0x803);
    put_be32(b + 4, n);
    put_be32(b + 8, rows);
    put_be32(b + 12, cols);
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < d; j++)
            b[16 + k * d + j] = (uint8_t)((k * 31 + j * 7) & 255);
    *len = total;
    return b;
}

/* idx1 bytes for n labels, label k = k % 10. Caller frees. */
static uint8_t *make_labels(uint32_t n, size_t *len)
{
    uint8_t *b = malloc(8 + (size_t)n);
    put_be32(b, 0x801);
    put_be32(b + 4, n);
    for (uint32_t k = 0; k < n; k++)
        b[8 + k] = (uint8_t)(k % 10);
    *len = 8 + (size_t)n;
    return b;
}

/* gzip-compresses src with zlib (one member). Caller frees. */
static uint8_t *gzip_bytes(const uint8_t *src, size_t n, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    uint8_t *dst = malloc(cap);
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    int r = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (r != Z_STREAM_END) {
        free(dst);
        return NULL;
    }
    return dst;
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    int bad = (w != len) | (fclose(f) != 0);
    return bad ? -1 : 0;
}

static int file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Removes the MNIST files (and .gz, classes.txt) from dir, then dir itself. */
static void remove_dir(const char *dir)
{
    static const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char p[1024];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s.gz", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/classes.txt", dir);
    unlink(p);
    rmdir(dir);
}

/* Writes a set of MNIST files into dir: ntr/nte images of r x c, ntl/ntel labels; gz = compress. */
static void write_set(const char *dir, uint32_t ntr, uint32_t ntrl, uint32_t nte, uint32_t ntel, uint32_t r,
                      uint32_t c, uint32_t rte, int gz)
{
    struct {
        const char *name;
        int images;
        uint32_t n, rows;
    } f[4] = {{"train-images-idx3-ubyte", 1, ntr, r},
              {"train-labels-idx1-ubyte", 0, ntrl, 0},
              {"t10k-images-idx3-ubyte", 1, nte, rte},
              {"t10k-labels-idx1-ubyte", 0, ntel, 0}};
    for (int i = 0; i < 4; i++) {
        size_t len;
        uint8_t *b = f[i].images ? make_images(f[i].n, f[i].rows, c, &len) : make_labels(f[i].n, &len);
        char p[1024];
        if (gz) {
            size_t zlen;
            uint8_t *z = gzip_bytes(b, len, &zlen);
            snprintf(p, sizeof p, "%s/%s.gz", dir, f[i].name);
            CHECK(z && write_file(p, z, zlen) == 0, "write %s", p);
            free(z);
        } else {
            snprintf(p, sizeof p, "%s/%s", dir, f[i].name);
            CHECK(write_file(p, b, len) == 0, "write %s", p);
        }
        free(b);
    }
}

static void test_good(void)
{
    char err[ERR_LEN];
    size_t len;
    uint8_t *b = make_images(3, 28, 28, &len);
    IdxImages im = {0};
    CHECK(idx_parse_images(b, len, &im, err) == 0, "good images: %s", err);
    CHECK(im.n == 3 && im.rows == 28 && im.cols == 28, "dims %d %d %d", im.n, im.rows, im.cols);
    CHECK(im.pixels && memcmp(im.pixels, b + 16, 3 * 784) == 0, "pixels copied");
    idx_images_free(&im);
    idx_images_free(&im); /* second free is harmless */
    free(b);

    b = make_images(2, 5, 7, &len); /* not 28x28 is fine */
    CHECK(idx_parse_images(b, len, &im, err) == 0 && im.rows == 5 && im.cols == 7, "5x7 images: %s", err);
    idx_images_free(&im);
    free(b);

    b = make_labels(25, &len);
    IdxLabels lb = {0};
    CHECK(idx_parse_labels(b, len, 10, &lb, err) == 0, "good labels: %s", err);
    CHECK(lb.n == 25 && lb.labels[13] == 3, "labels n=%d", lb.n);
    idx_labels_free(&lb);
    free(b);
}

static void test_truncated_and_trailing(void)
{
    char err[ERR_LEN];
    size_t len;
    uint8_t *b = make_images(4, 28, 28, &len);
    IdxImages im = {0};
    for (size_t l = 0; l < 16; l++)
        CHECK_ERR(idx_parse_images(b, l, &im, err), err, "too short for header");
    size_t cuts[] = {16, 17, 100, 16 + 784, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        CHECK_ERR(idx_parse_images(b, cuts[i], &im, err), err, "truncated");
        char want[64];
        snprintf(want, sizeof want, "declares %zu bytes, got %zu", len, cuts[i]);
        CHECK(strstr(err, want) != NULL, "expected vs got in '%s'", err);
    }
    uint8_t *longer = malloc(len + 5);
    memcpy(longer, b, len);
    memset(longer + len, 0xAB, 5);
    CHECK_ERR(idx_parse_images(longer, len + 5, &im, err), err, "5 trailing bytes");
    CHECK(strstr(err, "got 3157") != NULL, "trailing: expected vs got in '%s'", err);
    CHECK(im.pixels == NULL, "output untouched on failure");
    free(longer);
    free(b);

    b = make_labels(10, &len);
    IdxLabels lb = {0};
    for (size_t l = 0; l < 8; l++)
        CHECK_ERR(idx_parse_labels(b, l, 10, &lb, err), err, "too short for header");
    CHECK_ERR(idx_parse_labels(b, len - 1, 10, &lb, err), err, "truncated: header declares 18 bytes, got 17");
    uint8_t *lb_long = malloc(len + 1);
    memcpy(lb_long, b, len);
    lb_long[len] = 0;
    CHECK_ERR(idx_parse_labels(lb_long, len + 1, 10, &lb, err), err, "1 trailing bytes");
    CHECK_ERR(idx_parse_labels(NULL, 0, 10, &lb, err), err, "too short");
    free(lb_long);
    free(b);
}

static void test_magic(void)
{
    char err[ERR_LEN];
    size_t ilen, llen;
    uint8_t *im_b = make_images(2, 28, 28, &ilen);
    uint8_t *lb_b = make_labels(2, &llen);
    IdxImages im = {0};
    IdxLabels lb = {0};
    /* A label file given to the image parser and vice versa. */
    uint8_t padded[16] = {0};
    memcpy(padded, lb_b, llen < 16 ? llen : 16);
    CHECK_ERR(idx_parse_images(padded, 16, &im, err), err, "wrong magic 0x00000801 (a label file)");
    CHECK_ERR(idx_parse_labels(im_b, ilen, 10, &lb, err), err, "wrong magic 0x00000803 (an image file)");
    put_be32(im_b, 0xdeadbeef);
    CHECK_ERR(idx_parse_images(im_b, ilen, &im, err), err, "wrong magic 0xdeadbeef");
    put_be32(im_b, 0x00000802);
    CHECK_ERR(idx_parse_images(im_b, ilen, &im, err), err, "0x00000802");
    put_be32(lb_b, 0x12345678);
    CHECK_ERR(idx_parse_labels(lb_b, llen, 10, &lb, err), err, "wrong magic 0x12345678");
    /* gzip bytes given straight to the parser. */
    size_t zlen;
    put_be32(im_b, 0x803);
    uint8_t *z = gzip_bytes(im_b, ilen, &zlen);
    CHECK_ERR(idx_parse_images(z, zlen, &im, err), err, "gzip");
    free(z);
    free(im_b);
    free(lb_b);
}

static void test_dims_and_labels(void)
{
    char err[ERR_LEN];
    IdxImages im = {0};
    IdxLabels lb = {0};
    uint8_t h[16];
    put_be32(h, 0x803);
    /* zero dims */
    uint32_t zero[3][3] = {{0, 28, 28}, {5, 0, 28}, {5, 28, 0}};
    for (int i = 0; i < 3; i++) {
        put_be32(h + 4, zero[i][0]);
        put_be32(h + 8, zero[i][1]);
        put_be32(h + 12, zero[i][2]);
        CHECK_ERR(idx_parse_images(h, 16, &im, err), err, "zero dimension");
    }
    /* absurd dims: n above INT_MAX, a side above the limit */
    put_be32(h + 4, 0xFFFFFFFFu);
    put_be32(h + 8, 28);
    put_be32(h + 12, 28);
    CHECK_ERR(idx_parse_images(h, 16, &im, err), err, "absurd dimensions");
    put_be32(h + 4, 10);
    put_be32(h + 8, 0x7FFFFFFFu);
    put_be32(h + 12, 0x7FFFFFFFu);
    CHECK_ERR(idx_parse_images(h, 16, &im, err), err, "absurd dimensions");
    /* Largest legal dims: n*rows*cols is 2^55 bytes, declared but not present; nothing allocated. */
    put_be32(h + 4, 0x7FFFFFFFu);
    put_be32(h + 8, 4096);
    put_be32(h + 12, 4096);
    CHECK_ERR(idx_parse_images(h, 16, &im, err), err, "truncated");
    CHECK(im.pixels == NULL, "no output");

    uint8_t l[8];
    put_be32(l, 0x801);
    put_be32(l + 4, 0);
    CHECK_ERR(idx_parse_labels(l, 8, 10, &lb, err), err, "zero dimension");
    put_be32(l + 4, 0x80000000u);
    CHECK_ERR(idx_parse_labels(l, 8, 10, &lb, err), err, "absurd dimension");

    size_t len;
    uint8_t *b = make_labels(5, &len);
    b[8 + 2] = 10;
    CHECK_ERR(idx_parse_labels(b, len, 10, &lb, err), err, "label 10 at index 2");
    b[8 + 2] = 255;
    CHECK_ERR(idx_parse_labels(b, len, 10, &lb, err), err, "label 255 at index 2");
    CHECK(idx_parse_labels(b, len, 256, &lb, err) == 0 && lb.n == 5, "max_label 256 accepts 255: %s", err);
    idx_labels_free(&lb);
    CHECK_ERR(idx_parse_labels(b, len, 0, &lb, err), err, "max_label");
    free(b);
}

static void test_gzip(void)
{
    char err[ERR_LEN];
    size_t len, zlen, outlen;
    uint8_t *b = make_images(7, 28, 28, &len);
    uint8_t *z = gzip_bytes(b, len, &zlen);
    CHECK(z != NULL && zlen < len, "deflate");
    uint8_t *out = NULL;
    CHECK(idx_gunzip(z, zlen, len, &out, &outlen, err) == 0, "gunzip at exact cap: %s", err);
    CHECK(out && outlen == len && memcmp(out, b, len) == 0, "gunzip round trip");
    IdxImages im = {0};
    CHECK(out && idx_parse_images(out, outlen, &im, err) == 0 && im.n == 7, "parse gunzipped: %s", err);
    idx_images_free(&im);
    free(out);
    out = NULL;

    /* Not gzip: copied as is. */
    CHECK(idx_gunzip(b, len, len, &out, &outlen, err) == 0 && outlen == len && memcmp(out, b, len) == 0,
          "plain copy: %s", err);
    free(out);
    out = NULL;
    CHECK(idx_gunzip(b, 0, 10, &out, &outlen, err) == 0 && out != NULL && outlen == 0, "empty copy");
    free(out);
    out = NULL;
    CHECK_ERR(idx_gunzip(b, len, len - 1, &out, &outlen, err), err, "exceeds the limit");

    /* Two concatenated members are one stream, as gzip(1) treats them. */
    uint8_t *two = malloc(2 * zlen);
    memcpy(two, z, zlen);
    memcpy(two + zlen, z, zlen);
    CHECK(idx_gunzip(two, 2 * zlen, 4 * len, &out, &outlen, err) == 0 && outlen == 2 * len &&
              memcmp(out + len, b, len) == 0,
          "two members: %s", err);
    free(out);
    out = NULL;
    free(two);

    /* Corrupt: a flipped CRC, a flipped method byte, garbage after the stream, truncation. */
    uint8_t *bad = malloc(zlen + 8);
    memcpy(bad, z, zlen);
    bad[zlen - 6] ^= 0x55; /* CRC32 trailer */
    CHECK_ERR(idx_gunzip(bad, zlen, 4 * len, &out, &outlen, err), err, "corrupt");
    memcpy(bad, z, zlen);
    bad[2] = 7; /* compression method must be 8 */
    CHECK_ERR(idx_gunzip(bad, zlen, 4 * len, &out, &outlen, err), err, "corrupt");
    memcpy(bad, z, zlen);
    memcpy(bad + zlen, "garbage!", 8);
    CHECK_ERR(idx_gunzip(bad, zlen + 8, 4 * len, &out, &outlen, err), err, "trailing garbage");
    size_t tcuts[] = {2, 10, zlen / 2, zlen - 1};
    for (size_t i = 0; i < 4; i++)
        CHECK_ERR(idx_gunzip(z, tcuts[i], 4 * len, &out, &outlen, err), err, "truncated");
    static const uint8_t junk[] = {0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_ERR(idx_gunzip(junk, sizeof junk, 1000, &out, &outlen, err), err, "corrupt");
    CHECK(out == NULL, "no output after failures");
    free(bad);
    free(z);
    free(b);

    /* A bomb: 64 MB of zeros compresses to ~64 KB; with a 1 MB cap it must stop early. */
    size_t big = (size_t)64 << 20;
    uint8_t *zeros = calloc(big, 1);
    uint8_t *bomb = gzip_bytes(zeros, big, &zlen);
    free(zeros);
    CHECK(bomb && zlen < big / 100, "bomb compresses (%zu bytes)", zlen);
    CHECK_ERR(idx_gunzip(bomb, zlen, (size_t)1 << 20, &out, &outlen, err), err, "exceeds the limit of 1048576");
    CHECK(idx_gunzip(bomb, zlen, big, &out, &outlen, err) == 0 && outlen == big, "bomb under a big enough cap: %s",
          err);
    free(out);
    out = NULL;
    free(bomb);
}

static void test_round_trip(void)
{
    char err[ERR_LEN];
    uint8_t px[2 * 3 * 4];
    for (int i = 0; i < 24; i++)
        px[i] = (uint8_t)(i * 11);
    IdxImages im = {2, 3, 4, px};
    uint8_t *enc = NULL;
    size_t len = 0;
    CHECK(idx_encode_images(&im, &enc, &len, err) == 0 && len == 16 + 24, "encode images: %s", err);
    IdxImages back = {0};
    CHECK(enc && idx_parse_images(enc, len, &back, err) == 0, "parse encoded: %s", err);
    CHECK(back.n == 2 && back.rows == 3 && back.cols == 4 && memcmp(back.pixels, px, 24) == 0, "images round trip");
    idx_images_free(&back);
    free(enc);

    uint8_t lab[6] = {0, 9, 3, 3, 1, 7};
    IdxLabels lb = {6, lab};
    CHECK(idx_encode_labels(&lb, &enc, &len, err) == 0 && len == 14, "encode labels: %s", err);
    IdxLabels lback = {0};
    CHECK(idx_parse_labels(enc, len, 10, &lback, err) == 0 && lback.n == 6 && memcmp(lback.labels, lab, 6) == 0,
          "labels round trip: %s", err);
    idx_labels_free(&lback);
    free(enc);

    IdxImages empty = {0, 28, 28, px};
    CHECK_ERR(idx_encode_images(&empty, &enc, &len, err), err, "bad dimensions");
    IdxLabels none = {0, lab};
    CHECK_ERR(idx_encode_labels(&none, &enc, &len, err), err, "bad label count");
}


/* The streaming readers (idx_read_*): gzip inflated straight into the final array, with the
 * same verdicts as gunzip + parse, every truncation of both the compressed and the inflated
 * data, trailing bytes inside the stream, a header declaring more than the cap, and a zero bomb
 * behind a small header. */
static void test_streaming(void)
{
    char err[ERR_LEN];
    size_t len, zlen;
    uint8_t *b = make_images(5, 28, 28, &len);
    uint8_t *z = gzip_bytes(b, len, &zlen);
    IdxImages im = {0};
    CHECK(idx_read_images(z, zlen, &im, err) == 0 && im.n == 5 && im.rows == 28 &&
              memcmp(im.pixels, b + 16, 5 * 784) == 0,
          "gzip streamed: %s", err);
    idx_images_free(&im);
    CHECK(idx_read_images(b, len, &im, err) == 0 && im.n == 5 && memcmp(im.pixels, b + 16, 5 * 784) == 0,
          "raw through the streaming reader: %s", err);
    idx_images_free(&im);

    /* every cut of the compressed stream fails, and leaves *out alone */
    int cut_fail = 0;
    for (size_t cut = 0; cut < zlen; cut++) {
        err[0] = 0;
        if (idx_read_images(z, cut, &im, err) != 0 && err[0] && im.pixels == NULL)
            cut_fail++;
        idx_images_free(&im);
    }
    CHECK(cut_fail == (int)zlen, "%d of %zu cuts of the gzip stream refused", cut_fail, zlen);

    /* whole gzip streams of truncated IDX bytes: the same messages as the raw parser gives */
    size_t cuts[] = {0, 5, 15, 16, 17, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint8_t *zc = gzip_bytes(b, cuts[i], &zlen);
        CHECK_ERR(idx_read_images(zc, zlen, &im, err), err, cuts[i] < 16 ? "too short for header" : "truncated");
        char want[96];
        if (cuts[i] >= 16) {
            snprintf(want, sizeof want, "header declares %zu bytes, got %zu", len, cuts[i]);
            CHECK(strstr(err, want) != NULL, "cut %zu: '%s' lacks '%s'", cuts[i], err, want);
        }
        CHECK(im.pixels == NULL, "no output");
        free(zc);
    }
    /* bytes after the declared size, inside the stream */
    uint8_t *longer = malloc(len + 7);
    memcpy(longer, b, len);
    memset(longer + len, 9, 7);
    uint8_t *zl = gzip_bytes(longer, len + 7, &zlen);
    CHECK_ERR(idx_read_images(zl, zlen, &im, err), err, "7 trailing bytes");
    free(zl);
    /* a small header followed by 64 MB of zeros: counted and refused as trailing, without
     * keeping 64 MB */
    size_t bomb_len = len + ((size_t)64 << 20);
    uint8_t *bomb = calloc(bomb_len, 1);
    memcpy(bomb, b, len);
    uint8_t *zb = gzip_bytes(bomb, bomb_len, &zlen);
    free(bomb);
    CHECK(zb && zlen < bomb_len / 100, "bomb compresses");
    CHECK_ERR(idx_read_images(zb, zlen, &im, err), err, "67108864 trailing bytes");
    free(zb);
    /* a header declaring more than the 1 GiB cap is refused before any allocation */
    uint8_t h[16];
    memcpy(h, b, 16);
    put_be32(h + 4, 2000000);
    put_be32(h + 8, 1000);
    put_be32(h + 12, 1000);
    uint8_t *zh = gzip_bytes(h, 16, &zlen);
    CHECK_ERR(idx_read_images(zh, zlen, &im, err), err, "above the limit");
    free(zh);
    /* two members, split inside the payload, are one stream */
    size_t z1len, z2len;
    uint8_t *z1 = gzip_bytes(b, 1000, &z1len), *z2 = gzip_bytes(b + 1000, len - 1000, &z2len);
    uint8_t *two = malloc(z1len + z2len + 4);
    memcpy(two, z1, z1len);
    memcpy(two + z1len, z2, z2len);
    memset(two + z1len + z2len, 0, 4); /* zero padding after the last member is allowed */
    CHECK(idx_read_images(two, z1len + z2len + 4, &im, err) == 0 && im.n == 5 &&
              memcmp(im.pixels, b + 16, 5 * 784) == 0,
          "two members: %s", err);
    idx_images_free(&im);
    free(z1);
    free(z2);
    free(two);
    free(longer);

    /* labels: the range check still applies, and a gzipped image file is named as one */
    size_t llen;
    uint8_t *lb = make_labels(12, &llen);
    uint8_t *zlb = gzip_bytes(lb, llen, &zlen);
    IdxLabels lab = {0};
    CHECK(idx_read_labels(zlb, zlen, 10, &lab, err) == 0 && lab.n == 12 && lab.labels[11] == 1, "labels: %s", err);
    idx_labels_free(&lab);
    CHECK_ERR(idx_read_labels(zlb, zlen, 5, &lab, err), err, "label 5 at index 5");
    CHECK(lab.labels == NULL, "no labels on failure");
    free(zlb);
    CHECK_ERR(idx_read_labels(z, zlen, 10, &lab, err), err, "(an image file)");
    free(lb);
    free(z);
    free(b);
}

static void test_load_files(const char *tmp)
{
    char err[ERR_LEN], p[1024];
    size_t len, zlen;
    uint8_t *b = make_images(3, 28, 28, &len);
    uint8_t *z = gzip_bytes(b, len, &zlen);
    snprintf(p, sizeof p, "%s/one.gz", tmp);
    CHECK(write_file(p, z, zlen) == 0, "write gz");
    IdxImages im = {0};
    CHECK(idx_load_images(p, &im, err) == 0 && im.n == 3 && memcmp(im.pixels, b + 16, 3 * 784) == 0,
          "load gz file: %s", err);
    idx_images_free(&im);
    /* Errors from loading name the path. */
    CHECK_ERR(idx_load_labels(p, 10, &(IdxLabels){0}, err), err, p);
    CHECK(strstr(err, "wrong magic") != NULL, "load error says why: %s", err);
    unlink(p);
    snprintf(p, sizeof p, "%s/does-not-exist", tmp);
    CHECK_ERR(idx_load_images(p, &im, err), err, p);
    snprintf(p, sizeof p, "%s/truncated.gz", tmp);
    CHECK(write_file(p, z, zlen / 2) == 0, "write truncated gz");
    CHECK_ERR(idx_load_images(p, &im, err), err, "truncated");
    CHECK(strstr(err, p) != NULL, "path in '%s'", err);
    unlink(p);

    /* raw files, read straight into the array: good, every kind of bad length, wrong kind */
    snprintf(p, sizeof p, "%s/raw", tmp);
    CHECK(write_file(p, b, len) == 0, "write raw");
    CHECK(idx_load_images(p, &im, err) == 0 && im.n == 3 && memcmp(im.pixels, b + 16, 3 * 784) == 0,
          "load raw file: %s", err);
    idx_images_free(&im);
    CHECK_ERR(idx_load_labels(p, 10, &(IdxLabels){0}, err), err, "(an image file)");
    size_t rcuts[] = {0, 1, 15, 16, len - 1};
    for (size_t i = 0; i < 5; i++) {
        CHECK(write_file(p, b, rcuts[i]) == 0, "write cut");
        CHECK_ERR(idx_load_images(p, &im, err), err, rcuts[i] < 16 ? "too short for header" : "truncated");
        CHECK(strstr(err, p) != NULL && im.pixels == NULL, "path in '%s', no output", err);
    }
    uint8_t *longer = malloc(len + 3);
    memcpy(longer, b, len);
    memset(longer + len, 1, 3);
    CHECK(write_file(p, longer, len + 3) == 0, "write long");
    CHECK_ERR(idx_load_images(p, &im, err), err, "3 trailing bytes");
    free(longer);
    unlink(p);

    /* a pipe has no size to read: it is read whole, then parsed */
    snprintf(p, sizeof p, "%s/fifo", tmp);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    pid_t child = fork();
    if (child == 0) {
        /* only async-signal-safe calls after fork: the parent may have threads (the kernels'),
         * and one of them may hold a stdio or malloc lock the child would wait on for ever */
        int fd = open(p, O_WRONLY);
        size_t w = 0;
        while (fd >= 0 && w < zlen) {
            ssize_t k = write(fd, z + w, zlen - w);
            if (k <= 0) break;
            w += (size_t)k;
        }
        if (fd >= 0) close(fd);
        _exit(w == zlen ? 0 : 1);
    }
    CHECK(child > 0 && idx_load_images(p, &im, err) == 0 && im.n == 3 && memcmp(im.pixels, b + 16, 3 * 784) == 0,
          "load from a pipe: %s", err);
    idx_images_free(&im);
    int status = 0;
    if (child > 0)
        waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pipe writer");
    unlink(p);
    free(z);
    free(b);
}

static void test_dataset_dir(const char *tmp)
{
    char err[ERR_LEN], dir[1024], p[1100];
    Dataset tr = {0}, te = {0};

    snprintf(dir, sizeof dir, "%s/nothing-here", tmp);
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "scripts/fetch_mnist.sh");
    CHECK(mkdir(dir, 0700) == 0, "mkdir");
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "scripts/fetch_mnist.sh");
    CHECK(strstr(err, "no MNIST files") != NULL, "empty folder: %s", err);
    CHECK_ERR(dataset_load_dir(NULL, &tr, &te, err), err, "no data folder");

    /* Good raw set, and a missing file. */
    write_set(dir, 6, 6, 4, 4, 28, 28, 28, 0);
    CHECK(dataset_load_dir(dir, &tr, &te, err) == 0, "good set: %s", err);
    CHECK(tr.n == 6 && te.n == 4 && tr.d == 784 && tr.rows == 28 && te.cols == 28, "sizes %d %d", tr.n, te.n);
    CHECK(strcmp(tr.name, "nothing-here") == 0, "name from folder: '%s'", tr.name);
    CHECK(tr.nclass == 10 && strcmp(tr.classes[0], "0") == 0 && strcmp(te.classes[9], "9") == 0, "digit classes");
    CHECK(tr.y[5] == 5 && te.y[3] == 3, "labels");

    /* gather / slice / subset */
    float x[2 * 784];
    int y[2];
    int idx[2] = {5, 1};
    dataset_gather(&tr, idx, 2, x, y);
    CHECK(y[0] == 5 && y[1] == 1, "gather labels");
    CHECK(x[0] == tr.x[5 * 784] / 255.0f && x[784 + 10] == tr.x[784 + 10] / 255.0f, "gather pixels");
    dataset_slice(&te, 2, 2, x, y);
    CHECK(y[0] == 2 && y[1] == 3 && x[784 + 100] == te.x[3 * 784 + 100] / 255.0f, "slice");
    float mx = 0.0f, mn = 1.0f;
    for (int i = 0; i < 2 * 784; i++) {
        mx = x[i] > mx ? x[i] : mx;
        mn = x[i] < mn ? x[i] : mn;
    }
    CHECK(mn >= 0.0f && mx <= 1.0f && mx > 0.9f, "floats in [0,1]: %g..%g", mn, mx);
    Dataset sub = {0};
    CHECK(dataset_subset(&tr, 3, &sub, err) == 0 && sub.n == 3 && sub.x != tr.x && sub.d == 784 &&
              memcmp(sub.x, tr.x, 3 * 784) == 0 && strcmp(sub.name, tr.name) == 0,
          "subset: %s", err);
    dataset_free(&sub);
    CHECK(dataset_subset(&tr, 100, &sub, err) == 0 && sub.n == 6, "subset clamps to n");
    dataset_free(&sub);
    CHECK_ERR(dataset_subset(&tr, 0, &sub, err), err, "positive");
    dataset_free(&tr);
    dataset_free(&te);

    /* Test set only: train files may be missing. */
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", dir);
    unlink(p);
    CHECK(dataset_load_dir(dir, NULL, &te, err) == 0 && te.n == 4, "test only: %s", err);
    dataset_free(&te);
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "missing train-labels-idx1-ubyte");
    CHECK(tr.x == NULL && te.x == NULL, "outputs untouched on failure");
    remove_dir(dir);

    /* Count mismatch between images and labels. */
    snprintf(dir, sizeof dir, "%s/mismatch", tmp);
    mkdir(dir, 0700);
    write_set(dir, 3, 4, 2, 2, 28, 28, 28, 0);
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "has 3 images but");
    CHECK(strstr(err, "has 4 labels") != NULL, "mismatch message: %s", err);
    remove_dir(dir);

    /* Train and test image sizes disagree. */
    snprintf(dir, sizeof dir, "%s/sizes", tmp);
    mkdir(dir, 0700);
    write_set(dir, 2, 2, 2, 2, 28, 28, 20, 0);
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "train images are 28x28 but test images are 20x28");
    remove_dir(dir);

    /* A bad label in a folder file surfaces with the path. */
    snprintf(dir, sizeof dir, "%s/badlabel", tmp);
    mkdir(dir, 0700);
    write_set(dir, 2, 2, 2, 2, 28, 28, 28, 0);
    size_t len;
    uint8_t *lb = make_labels(2, &len);
    lb[9] = 12;
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    write_file(p, lb, len);
    free(lb);
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "label 12 at index 1");
    CHECK(strstr(err, "t10k-labels-idx1-ubyte") != NULL, "path in '%s'", err);
    remove_dir(dir);

    /* gzipped files plus classes.txt. */
    snprintf(dir, sizeof dir, "%s/letters/", tmp);
    mkdir(dir, 0700);
    write_set(dir, 5, 5, 3, 3, 28, 28, 28, 1);
    snprintf(p, sizeof p, "%sclasses.txt", dir);
    const char *names = "alpha\r\nbeta\n\n  gamma  \nthis-name-is-far-too-long-for-the-bar\n";
    write_file(p, (const uint8_t *)names, strlen(names));
    CHECK(dataset_load_dir(dir, &tr, &te, err) == 0, "gz + classes.txt: %s", err);
    CHECK(tr.n == 5 && te.n == 3, "gz sizes");
    CHECK(strcmp(tr.classes[0], "alpha") == 0 && strcmp(tr.classes[1], "beta") == 0 &&
              strcmp(tr.classes[2], "gamma") == 0 && strlen(tr.classes[3]) == 23 && strcmp(tr.classes[4], "4") == 0,
          "classes '%s' '%s' '%s' '%s' '%s'", tr.classes[0], tr.classes[1], tr.classes[2], tr.classes[3],
          tr.classes[4]);
    CHECK(strcmp(te.classes[1], "beta") == 0, "test gets the names too");
    CHECK(strcmp(tr.name, "letters") == 0, "name '%s'", tr.name);
    dataset_free(&tr);
    dataset_free(&te);
    const char *eleven = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    write_file(p, (const uint8_t *)eleven, strlen(eleven));
    CHECK_ERR(dataset_load_dir(dir, &tr, &te, err), err, "more than 10 class names");
    remove_dir(dir);

    /* "fashion" anywhere in the path, any case. */
    snprintf(dir, sizeof dir, "%s/My-FASHION-set", tmp);
    mkdir(dir, 0700);
    write_set(dir, 2, 2, 2, 2, 28, 28, 28, 0);
    CHECK(dataset_load_dir(dir, &tr, NULL, err) == 0, "fashion: %s", err);
    CHECK(strcmp(tr.name, "fashion-mnist") == 0 && strcmp(tr.classes[0], "T-shirt/top") == 0 &&
              strcmp(tr.classes[9], "Ankle boot") == 0,
          "fashion names: %s %s", tr.name, tr.classes[0]);
    dataset_free(&tr);
    remove_dir(dir);

    snprintf(dir, sizeof dir, "%s/mnist", tmp);
    mkdir(dir, 0700);
    write_set(dir, 2, 2, 2, 2, 28, 28, 28, 0);
    CHECK(dataset_load_dir(dir, &tr, NULL, err) == 0 && strcmp(tr.name, "mnist") == 0, "mnist name '%s'", tr.name);
    dataset_free(&tr);
    remove_dir(dir);
}

/* Core has no policy of its own: the default folder and the name "mnist" are what the program
 * set, and no environment variable changes them. */
static void test_default_dir(void)
{
    const char *saved = getenv("DIGITREC_DATA");
    char *copy = saved ? strdup(saved) : NULL;
    CHECK(strcmp(dataset_default_dir("/x/y"), "/x/y") == 0, "explicit wins");
    CHECK(dataset_set_named_dirs("/set/mnist", "/set/fashion") == 0, "set the named folders");
    setenv("DIGITREC_DATA", "/from/env", 1);
    CHECK(strcmp(dataset_default_dir(NULL), "/set/mnist") == 0, "the set folder, not the environment: %s",
          dataset_default_dir(NULL));
    CHECK(strcmp(dataset_default_dir(""), "/set/mnist") == 0, "empty explicit falls through");
    CHECK(strcmp(dataset_resolve("mnist"), "/set/mnist") == 0 && strcmp(dataset_resolve("Fashion-MNIST"), "/set/fashion") == 0,
          "names stand for the set folders");
    CHECK(dataset_set_named_dirs(NULL, "") == 0 && strcmp(dataset_mnist_dir(), "/set/mnist") == 0 &&
              strcmp(dataset_fashion_dir(), "/set/fashion") == 0,
          "NULL and empty keep the folders");
    char *huge = malloc(5000);
    memset(huge, 'a', 4999);
    huge[0] = '/', huge[4999] = 0;
    CHECK(dataset_set_named_dirs(huge, NULL) == -1 && strcmp(dataset_mnist_dir(), "/set/mnist") == 0,
          "a folder too long is refused and changes nothing");
    free(huge);
    unsetenv("DIGITREC_DATA");
    if (copy) {
        setenv("DIGITREC_DATA", copy, 1);
        free(copy);
    }
}

static void test_real_mnist(void)
{
    const char *dir = getenv("DIGITREC_DATA");
    char p[1024];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", dir ? dir : "");
    char pgz[1040];
    snprintf(pgz, sizeof pgz, "%s.gz", p);
    if (!dir || (!file_exists(p) && !file_exists(pgz))) {
        printf("skipped: real MNIST (DIGITREC_DATA=%s has no train-images-idx3-ubyte; run scripts/fetch_mnist.sh)\n",
               dir ? dir : "(unset)");
        return;
    }
    char err[ERR_LEN];
    Dataset tr = {0}, te = {0};
    CHECK(dataset_load_dir(dir, &tr, &te, err) == 0, "real MNIST: %s", err);
    if (!tr.x)
        return;
    CHECK(tr.n == 60000 && te.n == 10000, "n %d %d", tr.n, te.n);
    CHECK(tr.rows == 28 && tr.cols == 28 && tr.d == 784 && te.d == 784, "28x28");
    CHECK(tr.y[0] == 5 && te.y[0] == 7, "first labels %d %d", tr.y[0], te.y[0]);
    static const int want_tr[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    static const int want_te[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int htr[10] = {0}, hte[10] = {0}, sum_tr = 0, sum_te = 0;
    for (int i = 0; i < tr.n; i++)
        htr[tr.y[i]]++;
    for (int i = 0; i < te.n; i++)
        hte[te.y[i]]++;
    int same = 1;
    for (int k = 0; k < 10; k++) {
        sum_tr += htr[k];
        sum_te += hte[k];
        same &= htr[k] == want_tr[k] && hte[k] == want_te[k];
    }
    CHECK(sum_tr == 60000 && sum_te == 10000, "histogram sums %d %d", sum_tr, sum_te);
    CHECK(same, "label histogram matches MNIST's (train 1s: %d, test 1s: %d)", htr[1], hte[1]);
    float x[784];
    int y;
    dataset_slice(&tr, 0, 1, x, &y);
    float mx = 0.0f;
    for (int i = 0; i < 784; i++)
        mx = x[i] > mx ? x[i] : mx;
    CHECK(y == 5 && mx == 1.0f, "first image peaks at 1.0 (%g)", mx);
    dataset_free(&tr);
    dataset_free(&te);
}

static void test_fashion(void)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    if (!file_exists(dir)) {
        printf("skipped: Fashion-MNIST (%s not present)\n", dir);
        return;
    }
    char err[ERR_LEN];
    Dataset tr = {0}, te = {0};
    CHECK(dataset_load_dir(dir, &tr, &te, err) == 0, "fashion-mnist: %s", err);
    CHECK(tr.n == 60000 && te.n == 10000 && tr.d == 784, "fashion sizes %d %d", tr.n, te.n);
    CHECK(strcmp(tr.name, "fashion-mnist") == 0, "name '%s'", tr.name);
    CHECK(strcmp(te.classes[0], "T-shirt/top") == 0 && strcmp(te.classes[7], "Sneaker") == 0 &&
              strcmp(te.classes[9], "Ankle boot") == 0,
          "classes '%s' '%s'", te.classes[0], te.classes[9]);
    dataset_free(&tr);
    dataset_free(&te);
}

int main(void)
{
    char tmp[] = "/tmp/digitrec_idx_XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_good();
    test_truncated_and_trailing();
    test_magic();
    test_dims_and_labels();
    test_gzip();
    test_streaming();
    test_round_trip();
    test_load_files(tmp);
    test_dataset_dir(tmp);
    test_default_dir();
    test_real_mnist();
    test_fashion();
    rmdir(tmp);
    return check_summary("idx");
}

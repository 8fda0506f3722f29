/* test_image.c - image_decode_memory on hand-built PNG, BMP and PGM bytes (grey, RGB, alpha,
 * palette, 16-bit), the corpus's JPEGs (grey, colour, CMYK), size limits checked from the header,
 * damaged files failing with one line and no output, and the grey PNG encoder round trip. */
#include "check.h"
#include "common.h"
#include "image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    unsigned char *p;
    size_t n, cap;
} Buf;

static void put(Buf *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put32(Buf *b, uint32_t v) {
    unsigned char q[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    put(b, q, 4);
}

static void chunk(Buf *b, const char *type, const unsigned char *d, size_t n, int bad_crc) {
    put32(b, (uint32_t)n);
    size_t at = b->n;
    put(b, type, 4);
    if (n) put(b, d, n);
    uint32_t crc = (uint32_t)crc32(0L, b->p + at, (uInt)(n + 4));
    put32(b, bad_crc ? crc ^ 1u : crc);
}

/* A PNG of w x h with colour type ct, depth 8 or 16, from raw scanlines (no filter byte). */
static Buf png(int w, int h, int ct, int depth, const unsigned char *rows, size_t rowbytes, const unsigned char *plte,
               size_t nplte, const unsigned char *trns, size_t ntrns) {
    Buf b = {0};
    put(&b, "\x89PNG\r\n\x1a\n", 8);
    unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w,
                              (unsigned char)(h >> 24), (unsigned char)(h >> 16), (unsigned char)(h >> 8), (unsigned char)h,
                              (unsigned char)depth, (unsigned char)ct, 0, 0, 0};
    chunk(&b, "IHDR", ihdr, 13, 0);
    if (plte) chunk(&b, "PLTE", plte, nplte, 0);
    if (trns) chunk(&b, "tRNS", trns, ntrns, 0);
    size_t rawn = (rowbytes + 1) * (size_t)h;
    unsigned char *raw = malloc(rawn);
    for (int y = 0; y < h; y++) {
        raw[y * (rowbytes + 1)] = 0;
        memcpy(raw + y * (rowbytes + 1) + 1, rows + y * rowbytes, rowbytes);
    }
    uLongf zn = compressBound((uLong)rawn);
    unsigned char *z = malloc(zn);
    compress(z, &zn, raw, (uLong)rawn);
    chunk(&b, "IDAT", z, zn, 0);
    chunk(&b, "IEND", NULL, 0, 0);
    free(raw);
    free(z);
    return b;
}

static int decode(const Buf *b, float **img, int *w, int *h, char *err) {
    *img = NULL;
    return image_decode_memory(b->p, b->n, img, w, h, err);
}

#define CHECK_FAILS(buf, substr)                                                                            \
    do {                                                                                                    \
        float *im_ = (float *)1;                                                                            \
        int w_ = -7, h_ = -7;                                                                               \
        char e_[ERR_LEN] = "";                                                                              \
        int rc_ = image_decode_memory((buf).p, (buf).n, &im_, &w_, &h_, e_);                                \
        CHECK(rc_ != 0 && strstr(e_, substr) && !strchr(e_, '\n') && im_ == (float *)1 && w_ == -7,        \
              "want failure '%s', got rc %d '%s'", substr, rc_, e_);                                        \
    } while (0)

static void test_png(void) {
    char err[ERR_LEN];
    float *img;
    int w, h;
    /* grey 8-bit: 0, 128, 255 */
    unsigned char g[3] = {0, 128, 255};
    Buf b = png(3, 1, 0, 8, g, 3, NULL, 0, NULL, 0);
    CHECK(decode(&b, &img, &w, &h, err) == 0 && w == 3 && h == 1, "grey: %s", err);
    CHECK(img[0] == 0.0f && fabsf(img[1] - 128 / 255.0f) < 1e-6f && img[2] == 1.0f, "grey values %g %g %g", img[0], img[1], img[2]);
    free(img);
    free(b.p);
    /* 16-bit grey: 0x8000 reads as about half */
    unsigned char g16[4] = {0x80, 0x00, 0xff, 0xff};
    b = png(2, 1, 0, 16, g16, 4, NULL, 0, NULL, 0);
    CHECK(decode(&b, &img, &w, &h, err) == 0 && fabsf(img[0] - 0.5f) < 0.01f && img[1] == 1.0f, "16-bit: %s", err);
    free(img);
    free(b.p);
    /* RGB: pure red, green, blue give the luma weights */
    unsigned char rgb[9] = {255, 0, 0, 0, 255, 0, 0, 0, 255};
    b = png(3, 1, 2, 8, rgb, 9, NULL, 0, NULL, 0);
    CHECK(decode(&b, &img, &w, &h, err) == 0, "rgb: %s", err);
    CHECK(fabsf(img[0] - 0.299f) < 0.003f && fabsf(img[1] - 0.587f) < 0.003f && fabsf(img[2] - 0.114f) < 0.003f,
          "rgb luma %g %g %g", img[0], img[1], img[2]);
    free(img);
    free(b.p);
    /* grey + alpha: black at alpha 0 is white paper, black at alpha 255 stays black */
    unsigned char ga[4] = {0, 0, 0, 255};
    b = png(2, 1, 4, 8, ga, 4, NULL, 0, NULL, 0);
    CHECK(decode(&b, &img, &w, &h, err) == 0 && img[0] == 1.0f && img[1] == 0.0f, "grey+alpha: %s (%g %g)", err,
          img ? img[0] : -1, img ? img[1] : -1);
    free(img);
    free(b.p);
    /* RGBA half transparent black: 0.5 */
    unsigned char rgba[4] = {0, 0, 0, 128};
    b = png(1, 1, 6, 8, rgba, 4, NULL, 0, NULL, 0);
    CHECK(decode(&b, &img, &w, &h, err) == 0 && fabsf(img[0] - (1 - 128 / 255.0f)) < 0.003f, "rgba: %s", err);
    free(img);
    free(b.p);
    /* palette with tRNS: index 1 transparent -> white, index 0 dark blue */
    unsigned char pal[6] = {0, 0, 128, 10, 10, 10}, tr[2] = {255, 0}, idx[2] = {0, 1};
    b = png(2, 1, 3, 8, idx, 2, pal, 6, tr, 2);
    CHECK(decode(&b, &img, &w, &h, err) == 0 && fabsf(img[0] - 0.114f * 128 / 255) < 0.003f && img[1] == 1.0f,
          "palette: %s", err);
    free(img);
    free(b.p);

    /* damage */
    b = png(3, 1, 0, 8, g, 3, NULL, 0, NULL, 0);
    Buf cut = {b.p, b.n - 12, 0};
    CHECK_FAILS(cut, "no IEND chunk");
    b.p[29] ^= 0xff; /* IHDR's CRC */
    CHECK_FAILS(b, "chunk IHDR at byte 8 has a bad CRC");
    free(b.p);
    unsigned char one = 0;
    b = png(1, 1, 0, 8, &one, 1, NULL, 0, NULL, 0);
    /* declare 5000x5000 in IHDR (and fix its CRC): refused before decoding */
    b.p[16] = 0, b.p[17] = 0, b.p[18] = 0x13, b.p[19] = 0x88, b.p[20] = 0, b.p[21] = 0, b.p[22] = 0x13, b.p[23] = 0x88;
    uint32_t crc = (uint32_t)crc32(0L, b.p + 12, 17);
    b.p[29] = (unsigned char)(crc >> 24), b.p[30] = (unsigned char)(crc >> 16), b.p[31] = (unsigned char)(crc >> 8),
    b.p[32] = (unsigned char)crc;
    CHECK_FAILS(b, "image is 5000x5000; sizes from 1x1 to 16 megapixels");
    free(b.p);
    Buf junk = {(unsigned char *)"GIF89a....", 10, 0};
    CHECK_FAILS(junk, "not a PNG, JPEG, BMP or PGM image");
    Buf empty = {(unsigned char *)"", 0, 0};
    CHECK_FAILS(empty, "not a PNG, JPEG, BMP or PGM image");
}

static void test_bmp_pgm(void) {
    char err[ERR_LEN];
    float *img;
    int w, h;
    /* 24-bit BMP 2x2, bottom-up: bottom row black, top row white */
    unsigned char bmp[54 + 16] = {'B', 'M'};
    uint32_t size = sizeof bmp;
    memcpy(bmp + 2, &size, 4);
    bmp[10] = 54, bmp[14] = 40, bmp[18] = 2, bmp[22] = 2, bmp[26] = 1, bmp[28] = 24;
    memset(bmp + 54 + 8, 255, 6); /* second stored row = top */
    Buf b = {bmp, sizeof bmp, 0};
    CHECK(decode(&b, &img, &w, &h, err) == 0 && w == 2 && h == 2, "bmp: %s", err);
    CHECK(img && img[0] == 1.0f && img[1] == 1.0f && img[2] == 0.0f && img[3] == 0.0f, "bmp rows (bottom-up)");
    free(img);
    Buf bcut = {bmp, sizeof bmp - 8, 0};
    CHECK_FAILS(bcut, "pixel data cut off");
    const char *pgm = "P5 2 1 255\n\x00\xff";
    Buf p = {(unsigned char *)pgm, 13, 0};
    CHECK(decode(&p, &img, &w, &h, err) == 0 && w == 2 && img[0] == 0.0f && img[1] == 1.0f, "pgm: %s", err);
    free(img);
    Buf pbig = {(unsigned char *)"P5 5000 5000 255\n", 17, 0};
    CHECK_FAILS(pbig, "PGM: truncated pixel data");
}

/* The JPEG seeds of the fuzz corpus: they decode, and a CMYK one reads dark ink on light paper. */
static void test_jpeg(void) {
    const char *src = getenv("DIGITREC_SRC");
    if (!src) {
        printf("skipped: JPEG files (DIGITREC_SRC unset)\n");
        return;
    }
    const char *names[] = {"digit.jpg", "digit_rgb.jpg", "digit_progressive.jpg", "digit_cmyk.jpg"};
    for (int i = 0; i < 4; i++) {
        char path[1024], err[ERR_LEN];
        snprintf(path, sizeof path, "%s/tests/corpus/image/%s", src, names[i]);
        float *img;
        int w, h;
        int rc = image_decode_file(path, &img, &w, &h, err);
        CHECK(rc == 0 && w == 28 && h == 28, "%s: %s", names[i], err);
        if (rc) continue;
        float lo = 1, hi = 0;
        for (int k = 0; k < w * h; k++) lo = img[k] < lo ? img[k] : lo, hi = img[k] > hi ? img[k] : hi;
        CHECK(lo < 0.25f && hi > 0.8f, "%s: dark ink %.2f on light paper %.2f", names[i], lo, hi);
        CHECK(img[0] > 0.8f, "%s: corner is paper (%.2f)", names[i], img[0]);
        free(img);
    }
    char err[ERR_LEN];
    float *img = (float *)1;
    int w, h;
    CHECK(image_decode_file("/nonexistent/x.png", &img, &w, &h, err) != 0 && strstr(err, "/nonexistent/x.png") &&
              img == (float *)1,
          "missing file: %s", err);
}

static void test_encode(void) {
    float px[6] = {0.0f, 0.5f, 1.0f, -1.0f, NAN, 2.0f};
    uint8_t *buf;
    size_t len;
    char err[ERR_LEN];
    CHECK(image_encode_png_grey(px, 3, 2, &buf, &len, err) == 0, "encode: %s", err);
    float *img;
    int w, h;
    CHECK(image_decode_memory(buf, len, &img, &w, &h, err) == 0 && w == 3 && h == 2, "round trip: %s", err);
    CHECK(img[0] == 0.0f && fabsf(img[1] - 128 / 255.0f) < 1e-6f && img[2] == 1.0f && img[3] == 0.0f && img[4] == 0.0f &&
              img[5] == 1.0f,
          "round trip values (clamped, NaN as 0)");
    free(img);
    free(buf);
    CHECK(image_encode_png_grey(px, 0, 2, &buf, &len, err) != 0 && strstr(err, "cannot encode"), "0 wide refused");
}

int main(void) {
    test_png();
    test_bmp_pgm();
    test_jpeg();
    test_encode();
    return check_summary("test_image");
}

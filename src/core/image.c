/* image.c - PNG/JPEG/BMP decoding through stb_image compiled here (only those loaders, a capped
 * allocator, no stdio), PGM through image_parse_pgm, and a grey PNG encoder over zlib.
 * Checks what the headers declare before any decoder allocates; never prints. */
#include "image.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common.h"
#include "preprocess.h"

/* No single allocation inside the decoder may exceed this: a header trick that slips past the
 * declared-size check then fails with "outofmem" instead of taking the machine (a 16-megapixel
 * RGBA picture is 64 MB; a progressive JPEG keeps coefficients of 2 bytes per sample). */
#define STB_ALLOC_MAX ((size_t)256 << 20)

static void *capped_malloc(size_t n) { return n > STB_ALLOC_MAX ? NULL : malloc(n); }
static void *capped_realloc(void *p, size_t n) { return n > STB_ALLOC_MAX ? NULL : realloc(p, n); }

#define STBI_MALLOC(sz) capped_malloc(sz)
#define STBI_REALLOC(p, sz) capped_realloc(p, sz)
#define STBI_FREE(p) free(p)
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ASSERT(x) ((void)0) /* a malformed file must fail, never abort */
#define STBI_MAX_DIMENSIONS 65536
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

typedef enum { FMT_PNG, FMT_JPEG, FMT_BMP } Format;
static const char *const FMT_NAME[] = {"PNG", "JPEG", "BMP"};

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le32(const unsigned char *p) { return le16(p + 2) << 16 | le16(p); }

static int is_letter(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }

/* Every chunk of a PNG must lie inside the buffer, up to and including IEND, and each critical
 * chunk (upper-case first letter: IHDR, PLTE, IDAT, IEND) must carry its CRC: stb_image checks
 * neither, so a cut or damaged file would otherwise decode from zero bytes or garbage. A bad CRC
 * on an ancillary chunk (tEXt...) is ignored, as libpng does. Returns 0, or -1 with err. */
static int png_chunks_check(const unsigned char *buf, size_t len, char *err) {
    size_t p = 8;
    for (;;) {
        if (len - p < 12) return err_set(err, "not a readable PNG image: cut off after %zu bytes (no IEND chunk)", len);
        uint32_t n = be32(buf + p);
        const unsigned char *t = buf + p + 4;
        char type[5] = "????";
        if (is_letter(t[0]) && is_letter(t[1]) && is_letter(t[2]) && is_letter(t[3])) memcpy(type, t, 4);
        if (n > len - p - 12)
            return err_set(err, "not a readable PNG image: chunk %s at byte %zu claims %lu bytes, only %zu remain", type, p,
                           (unsigned long)n, len - p - 12);
        if (!(t[0] & 32)) {
            uLong crc = crc32(0L, t, (uInt)(n + 4));
            if ((uint32_t)crc != be32(t + 4 + n))
                return err_set(err, "not a readable PNG image: chunk %s at byte %zu has a bad CRC (damaged file)", type, p);
        }
        if (memcmp(t, "IEND", 4) == 0) return 0;
        p += 12 + (size_t)n;
    }
}

/* The size a PNG, JPEG or BMP header declares. Returns 1 with *w, *h (absolute values), or 0 when
 * no size can be found (the decoder then reports the damage). */
static int declared_size(Format fmt, const unsigned char *buf, size_t len, uint64_t *w, uint64_t *h) {
    if (fmt == FMT_PNG) { /* signature, then IHDR: length, "IHDR", width, height */
        if (len < 24 || memcmp(buf + 12, "IHDR", 4) != 0) return 0;
        *w = be32(buf + 16);
        *h = be32(buf + 20);
        return 1;
    }
    if (fmt == FMT_BMP) { /* file header (14), then the info header's size and dimensions */
        if (len < 26) return 0;
        if (le32(buf + 14) == 12) {
            *w = le16(buf + 18);
            *h = le16(buf + 20);
        } else {
            int32_t sw = (int32_t)le32(buf + 18), sh = (int32_t)le32(buf + 22);
            *w = sw < 0 ? (uint64_t)(-(int64_t)sw) : (uint64_t)sw;
            *h = sh < 0 ? (uint64_t)(-(int64_t)sh) : (uint64_t)sh;
        }
        return 1;
    }
    /* JPEG: walk the segments to the first start-of-frame (C0..CF except C4, C8, CC), skipping
     * stray bytes up to the next 0xFF as decoders do. */
    size_t p = 2;
    while (p + 4 <= len) {
        if (buf[p] != 0xff) {
            p++;
            continue;
        }
        unsigned m = buf[p + 1];
        if (m == 0xff) {
            p++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) {
            p += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda) return 0;
        size_t seg = be16(buf + p + 2);
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (p + 9 > len) return 0;
            *h = be16(buf + p + 5);
            *w = be16(buf + p + 7);
            return 1;
        }
        p += 2 + (seg < 2 ? 2 : seg);
    }
    return 0;
}

/* Every Huffman table of a JPEG (DHT segments, also those between the scans of a progressive
 * file) may define at most 256 codes: stb_image writes the code lengths and symbols into
 * 257- and 256-byte arrays without checking, so a table claiming more overwrites its decoder's
 * state. And a scan may only use tables defined before it: stb_image decodes with whatever an
 * undefined table's memory holds and indexes its symbols with that. Both found by
 * fuzz/fuzz_image.c. Returns 0, or -1 with err. */
static int jpeg_tables_check(const unsigned char *buf, size_t len, char *err) {
    size_t p = 2;
    int defined[2][4] = {{0}}, progressive = 0;
    while (p + 4 <= len) {
        if (buf[p] != 0xff) {
            p++;
            continue;
        }
        unsigned m = buf[p + 1];
        if (m == 0xff || m == 0x00 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) {
            p += m == 0xff ? 1 : 2;
            continue;
        }
        if (m == 0xd8) {
            p += 2;
            continue;
        }
        if (m == 0xd9) return 0;
        size_t seg = be16(buf + p + 2);
        if (seg < 2) seg = 2;
        if (m == 0xc4) {
            /* as the decoder reads it: tables until the declared length is used up, each header
             * read whole even where it runs past the segment (bytes past the file read as 0) */
            long left = (long)seg - 2;
            size_t q = p + 4;
            while (left > 0) {
                unsigned total = 0, tc = q < len ? buf[q] >> 4 : 0, th = q < len ? buf[q] & 15 : 0;
                for (int i = 1; i <= 16; i++) total += q + i < len ? buf[q + i] : 0;
                if (total > 256)
                    return err_set(err, "not a readable JPEG image: Huffman table at byte %zu defines %u codes (at most 256)", q, total);
                if (tc < 2 && th < 4) defined[tc][th] = 1;
                left -= 17 + (long)total;
                q += 17 + total;
            }
        }
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) progressive = m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce;
        if (m == 0xda && p + 5 <= len) {
            /* components: id, DC table << 4 | AC table; then Ss, Se, Ah << 4 | Al */
            size_t ns = buf[p + 4], at = p + 5 + 2 * ns;
            if (at + 3 <= len) {
                unsigned ss = buf[at], ah = buf[at + 2] >> 4;
                for (size_t i = 0; i < ns; i++) {
                    unsigned sel = buf[p + 6 + 2 * i], td = sel >> 4, ta = sel & 15;
                    int need_dc = !progressive || (ss == 0 && ah == 0), need_ac = !progressive || ss > 0;
                    if ((need_dc && (td > 3 || !defined[0][td])) || (need_ac && (ta > 3 || !defined[1][ta])))
                        return err_set(err, "not a readable JPEG image: the scan at byte %zu uses a Huffman table never defined", p);
                }
            }
        }
        p += 2 + seg; /* after a start of scan the entropy-coded data is skipped byte by byte above */
    }
    return 0;
}

/* An uncompressed BMP (BI_RGB or BI_BITFIELDS) must hold all the rows its header declares:
 * stb_image reads missing bytes as zeros. Returns 0, or -1 with err. */
static int bmp_data_check(const unsigned char *buf, size_t len, uint64_t w, uint64_t h, char *err) {
    if (len < 34 || le32(buf + 14) < 40) return 0; /* old headers: the decoder judges */
    uint32_t off = le32(buf + 10), bpp = le16(buf + 28), comp = le32(buf + 30);
    if (comp != 0 && comp != 3) return 0;
    uint64_t stride = (w * bpp + 31) / 32 * 4, need = (uint64_t)off + stride * h;
    if (need > len)
        return err_set(err, "not a readable BMP image: pixel data cut off (the header needs %llu bytes, the file has %zu)",
                       (unsigned long long)need, len);
    return 0;
}

static int size_error(char *err, uint64_t w, uint64_t h) {
    return err_set(err, "image is %llux%llu; sizes from 1x1 to 16 megapixels are accepted", (unsigned long long)w,
                   (unsigned long long)h);
}

int image_decode_memory(const unsigned char *buf, size_t len, float **img, int *w, int *h, char *err) {
    if (!buf) len = 0;
    if (len >= 2 && buf[0] == 'P' && (buf[1] == '2' || buf[1] == '5')) {
        float *px;
        int pw, ph;
        if (image_parse_pgm(buf, (unsigned long)len, &px, &pw, &ph, err) != 0) return -1;
        if ((uint64_t)pw * (uint64_t)ph > IMAGE_MAX_PIXELS) {
            free(px);
            return size_error(err, (uint64_t)pw, (uint64_t)ph);
        }
        *img = px, *w = pw, *h = ph;
        return 0;
    }
    Format fmt;
    if (len >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0) fmt = FMT_PNG;
    else if (len >= 3 && memcmp(buf, "\xff\xd8\xff", 3) == 0) fmt = FMT_JPEG;
    else if (len >= 2 && memcmp(buf, "BM", 2) == 0) fmt = FMT_BMP;
    else return err_set(err, "not a PNG, JPEG, BMP or PGM image (unrecognised first bytes)");
    if (len > (size_t)INT_MAX) return err_set(err, "image file too large (%zu bytes)", len);
    if (fmt == FMT_PNG && png_chunks_check(buf, len, err) != 0) return -1;
    uint64_t dw, dh;
    if (declared_size(fmt, buf, len, &dw, &dh) && (dw == 0 || dh == 0 || dw * dh > IMAGE_MAX_PIXELS)) {
        if (dw == 0 || dh == 0) return err_set(err, "not a readable %s image: declared size %llux%llu", FMT_NAME[fmt],
                                               (unsigned long long)dw, (unsigned long long)dh);
        return size_error(err, dw, dh);
    }
    if (fmt == FMT_BMP && declared_size(fmt, buf, len, &dw, &dh) && bmp_data_check(buf, len, dw, dh, err) != 0) return -1;
    if (fmt == FMT_JPEG && jpeg_tables_check(buf, len, err) != 0) return -1;
    int sw = 0, sh = 0, n = 0;
    unsigned char *px = stbi_load_from_memory(buf, (int)len, &sw, &sh, &n, 0);
    if (!px) {
        const char *why = stbi_failure_reason();
        return err_set(err, "not a readable %s image: %s", FMT_NAME[fmt], why ? why : "decoder failed");
    }
    if (sw < 1 || sh < 1 || (uint64_t)sw * (uint64_t)sh > IMAGE_MAX_PIXELS || n < 1 || n > 4) {
        stbi_image_free(px);
        if (n < 1 || n > 4) return err_set(err, "not a readable %s image: %d channels", FMT_NAME[fmt], n);
        return size_error(err, (uint64_t)(sw > 0 ? sw : 0), (uint64_t)(sh > 0 ? sh : 0));
    }
    size_t np = (size_t)sw * (size_t)sh;
    float *out = xmalloc_array(np, sizeof(float));
    if (!out) {
        stbi_image_free(px);
        return err_set(err, "out of memory for a %dx%d image", sw, sh);
    }
    const float k = 1.0f / 255.0f;
    for (size_t i = 0; i < np; i++) {
        const unsigned char *p = px + (size_t)n * i;
        float luma, a = 1.0f;
        if (n <= 2) luma = p[0] * k;
        else luma = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) * k;
        if (n == 2) a = p[1] * k;
        else if (n == 4) a = p[3] * k;
        float v = luma * a + (1.0f - a); /* over white paper */
        out[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    stbi_image_free(px);
    *img = out, *w = sw, *h = sh;
    return 0;
}

int image_decode_file(const char *path, float **img, int *w, int *h, char *err) {
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, &buf, &len, err) != 0) return -1;
    char inner[ERR_LEN];
    int rc = image_decode_memory(buf, len, img, w, h, inner);
    free(buf);
    if (rc != 0) return err_set(err, "%s: %s", path, inner);
    return 0;
}

/* Appends one PNG chunk (length, type, data, CRC over type and data) at *o. */
static void png_put_chunk(uint8_t **o, const char *type, const uint8_t *data, size_t n) {
    uint8_t *p = *o;
    p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
    memcpy(p + 4, type, 4);
    if (n) memcpy(p + 8, data, n);
    uLong crc = crc32(0L, p + 4, (uInt)(n + 4));
    p[8 + n] = (uint8_t)(crc >> 24), p[9 + n] = (uint8_t)(crc >> 16), p[10 + n] = (uint8_t)(crc >> 8),
    p[11 + n] = (uint8_t)crc;
    *o = p + 12 + n;
}

int image_encode_png_grey(const float *px, int w, int h, uint8_t **buf, size_t *len, char *err) {
    if (!px || w < 1 || h < 1 || (uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return err_set(err, "PNG: cannot encode a %dx%d image", w, h);
    size_t row = (size_t)w + 1, raw_n = row * (size_t)h;
    uint8_t *raw = malloc(raw_n);
    uLongf zn = compressBound((uLong)raw_n);
    uint8_t *z = malloc(zn);
    if (!raw || !z) {
        free(raw);
        free(z);
        return err_set(err, "PNG: out of memory for %dx%d", w, h);
    }
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + (size_t)y * row;
        r[0] = 0; /* filter: none */
        for (int x = 0; x < w; x++) {
            float v = px[(size_t)y * (size_t)w + (size_t)x];
            v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
            r[1 + x] = (uint8_t)(v * 255.0f + 0.5f);
        }
    }
    int zrc = compress2(z, &zn, raw, (uLong)raw_n, 9);
    free(raw);
    if (zrc != Z_OK) {
        free(z);
        return err_set(err, "PNG: zlib failed (%d)", zrc);
    }
    size_t total = 8 + (12 + 13) + (12 + (size_t)zn) + 12;
    uint8_t *out = malloc(total), *o = out;
    if (!out) {
        free(z);
        return err_set(err, "PNG: out of memory for %dx%d", w, h);
    }
    memcpy(o, "\x89PNG\r\n\x1a\n", 8);
    o += 8;
    uint8_t ihdr[13] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                        (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h,
                        8, 0, 0, 0, 0}; /* 8-bit grey, deflate, no filter set, no interlace */
    png_put_chunk(&o, "IHDR", ihdr, 13);
    png_put_chunk(&o, "IDAT", z, (size_t)zn);
    png_put_chunk(&o, "IEND", NULL, 0);
    free(z);
    *buf = out;
    *len = (size_t)(o - out);
    return 0;
}

int image_save_png_grey(const char *path, const float *px, int w, int h, char *err) {
    uint8_t *buf;
    size_t len;
    if (image_encode_png_grey(px, w, h, &buf, &len, err) != 0) return -1;
    int rc = file_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

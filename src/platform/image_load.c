/* image_load.c - picture files to grey floats: PGM by the core parser, everything else by
 * SDL2_image from memory (no video subsystem is initialised). */
#include "image_load.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>

#include "common.h"
#include "preprocess.h"

#define IMAGE_MAX_PIXELS (16u * 1024u * 1024u)

/* The formats handed to SDL2_image, told apart by their first bytes. Only their own loaders run:
 * IMG_Load_RW would also try SVG, XCF, XPM, TGA... on any input, far more parser than predict
 * needs (its SVG parser leaks memory on malformed input). */
typedef struct {
    const char *name;
    const char *magic;
    size_t nmagic;
    SDL_Surface *(*load)(SDL_RWops *src);
} Format;

static const Format FORMATS[] = {
    {"PNG", "\x89PNG\r\n\x1a\n", 8, IMG_LoadPNG_RW},
    {"JPEG", "\xff\xd8\xff", 3, IMG_LoadJPG_RW},
    {"BMP", "BM", 2, IMG_LoadBMP_RW},
};

/* libpng prints its errors and warnings itself, with fprintf(stderr, ...) ("libpng error: IHDR:
 * CRC error"), before SDL2_image returns: a second line next to the CLI's one-line error. While a
 * loader runs, glibc's stderr stream (a plain variable there) points at a small memory stream,
 * and the first line caught goes into our message instead. File descriptor 2 is left alone, so
 * a sanitizer's, libFuzzer's or a crash handler's report still gets out. Images are decoded on
 * the main thread only (CLI, window), so the swap hides nobody else's output. Without glibc
 * nothing is captured and libpng's line simply shows. */
typedef struct {
    FILE *real, *mem;
    char text[160];
} StderrCapture;

static void capture_begin(StderrCapture *c) {
    memset(c, 0, sizeof *c);
#if defined(__GLIBC__)
    fflush(stderr);
    c->mem = fmemopen(c->text, sizeof c->text - 1, "w"); /* the last byte stays 0 */
    if (c->mem) {
        c->real = stderr;
        stderr = c->mem;
    }
#endif
}

/* Puts stderr back and leaves the first captured line (printable ASCII, maybe empty) in out. */
static void capture_end(StderrCapture *c, char *out, size_t n) {
    out[0] = '\0';
    if (!c->mem) return;
#if defined(__GLIBC__)
    stderr = c->real;
#endif
    fclose(c->mem);
    size_t k = 0;
    for (const char *p = c->text; *p && *p != '\n' && *p != '\r' && k + 1 < n; p++)
        if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) out[k++] = *p;
    out[k] = '\0';
}

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le32(const unsigned char *p) { return le16(p + 2) << 16 | le16(p); }

/* Backstop for declared_size below: SDL2_image allocates the whole surface (through SDL_malloc)
 * before decoding a pixel, so while any header trick slips past the size check, no single SDL
 * allocation may exceed SDL_ALLOC_MAX (a 16-megapixel RGBA surface is 64 MB; an 8K window
 * surface 133 MB) and the loader fails with "Out of memory" instead of the machine. The
 * wrappers call SDL's own functions, so blocks allocated before or after installing them mix. */
#define SDL_ALLOC_MAX ((size_t)256 << 20)

static SDL_malloc_func sdl_malloc;
static SDL_calloc_func sdl_calloc;
static SDL_realloc_func sdl_realloc;
static SDL_free_func sdl_free;

static void *SDLCALL capped_malloc(size_t n) { return n > SDL_ALLOC_MAX ? NULL : sdl_malloc(n); }
static void *SDLCALL capped_calloc(size_t n, size_t size) {
    return size && n > SDL_ALLOC_MAX / size ? NULL : sdl_calloc(n, size);
}
static void *SDLCALL capped_realloc(void *p, size_t n) { return n > SDL_ALLOC_MAX ? NULL : sdl_realloc(p, n); }

/* Installs the capped allocator once; images are decoded on the main thread only. */
static void cap_sdl_allocations(void) {
    static int installed;
    if (installed) return;
    installed = 1;
    SDL_GetMemoryFunctions(&sdl_malloc, &sdl_calloc, &sdl_realloc, &sdl_free);
    SDL_SetMemoryFunctions(capped_malloc, capped_calloc, capped_realloc, sdl_free);
}

/* SDL2_image's PNG read callback ignores short reads, so libpng reading past the end of a cut
 * file takes stale buffer bytes for data and chunk lengths: a 108-byte PNG whose tRNS chunk
 * claims 32770 bytes kept predict busy for minutes. So every chunk must lie inside the buffer,
 * up to and including IEND, before libpng sees it. Returns 0, or -1 with err set. */
static int png_chunks_check(const unsigned char *buf, size_t len, char *err) {
    size_t p = 8;
    for (;;) {
        if (len - p < 12) return err_set(err, "not a readable PNG image: cut off after %zu bytes (no IEND chunk)", len);
        uint32_t n = (uint32_t)buf[p] << 24 | (uint32_t)buf[p + 1] << 16 | (uint32_t)buf[p + 2] << 8 | buf[p + 3];
        const unsigned char *t = buf + p + 4;
        char type[5] = "????";
        if (((t[0] | 32) >= 'a' && (t[0] | 32) <= 'z') && ((t[1] | 32) >= 'a' && (t[1] | 32) <= 'z') &&
            ((t[2] | 32) >= 'a' && (t[2] | 32) <= 'z') && ((t[3] | 32) >= 'a' && (t[3] | 32) <= 'z'))
            memcpy(type, t, 4);
        if (n > len - p - 12)
            return err_set(err, "not a readable PNG image: chunk %s at byte %zu claims %lu bytes, only %zu remain", type, p,
                           (unsigned long)n, len - p - 12);
        if (memcmp(t, "IEND", 4) == 0) return 0;
        p += 12 + (size_t)n;
    }
}

/* The size a PNG, JPEG or BMP header declares, read before any decoder runs: the decoders allocate
 * the whole picture first, so a 600-byte JPEG claiming 65535x65535 would cost 13 GB before failing.
 * Returns 1 with *w, *h (absolute values) when the header holds a size, 0 when it cannot be found
 * (the decoder then reports the damage). */
static int declared_size(const Format *fmt, const unsigned char *buf, size_t len, uint64_t *w, uint64_t *h) {
    if (fmt->load == IMG_LoadPNG_RW) { /* signature, then IHDR: length, "IHDR", width, height */
        if (len < 24 || memcmp(buf + 12, "IHDR", 4) != 0) return 0;
        *w = be32(buf + 16);
        *h = be32(buf + 20);
        return 1;
    }
    if (fmt->load == IMG_LoadBMP_RW) { /* file header (14), then the info header's size and dims */
        if (len < 26) return 0;
        uint32_t hsize = le32(buf + 14);
        if (hsize == 12) {
            *w = le16(buf + 18);
            *h = le16(buf + 20);
        } else {
            int32_t sw = (int32_t)le32(buf + 18), sh = (int32_t)le32(buf + 22);
            *w = sw < 0 ? (uint64_t)(-(int64_t)sw) : (uint64_t)sw;
            *h = sh < 0 ? (uint64_t)(-(int64_t)sh) : (uint64_t)sh;
        }
        return 1;
    }
    /* JPEG: walk the markers up to the first start-of-frame (C0..CF but C4, C8, CC). Like
     * libjpeg, skip stray bytes between segments up to the next 0xFF rather than give up. */
    size_t p = 2;
    while (p + 4 <= len) {
        if (buf[p] != 0xff) {
            p++;
            continue;
        }
        unsigned m = buf[p + 1];
        if (m == 0xff) { /* fill byte */
            p++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* markers without a length */
            p += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda) return 0; /* end of image, or scan data before any frame */
        size_t seg = be16(buf + p + 2);
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (p + 9 > len) return 0;
            *h = be16(buf + p + 5);
            *w = be16(buf + p + 7);
            return 1;
        }
        p += 2 + (seg < 2 ? 2 : seg); /* libjpeg skips nothing more for a length below 2 */
    }
    return 0;
}

int image_decode(const unsigned char *buf, unsigned long len, float **img, int *w, int *h, char *err) {
    if (len >= 2 && buf[0] == 'P' && (buf[1] == '2' || buf[1] == '5')) return image_parse_pgm(buf, len, img, w, h, err);
    if (len > (unsigned long)INT32_MAX) return err_set(err, "image too large");
    const Format *fmt = NULL;
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
        if (len >= FORMATS[i].nmagic && memcmp(buf, FORMATS[i].magic, FORMATS[i].nmagic) == 0) fmt = &FORMATS[i];
    if (!fmt) return err_set(err, "not a PNG, JPEG, BMP or PGM image (unrecognised first bytes)");
    if (fmt->load == IMG_LoadPNG_RW && png_chunks_check(buf, len, err) != 0) return -1;
    uint64_t dw, dh;
    if (declared_size(fmt, buf, len, &dw, &dh) && dw * dh > IMAGE_MAX_PIXELS)
        return err_set(err, "image is %llux%llu; sizes from 1x1 to 16 megapixels are accepted", (unsigned long long)dw,
                       (unsigned long long)dh);
    cap_sdl_allocations();
    SDL_RWops *rw = SDL_RWFromConstMem(buf, (int)len);
    if (!rw) return err_set(err, "cannot read image: %s", SDL_GetError());
    StderrCapture cap;
    char said[128];
    capture_begin(&cap);
    SDL_Surface *s = fmt->load(rw);
    capture_end(&cap, said, sizeof said);
    SDL_RWclose(rw);
    if (!s && said[0]) return err_set(err, "not a readable %s image: %s (%s)", fmt->name, IMG_GetError(), said);
    if (!s) return err_set(err, "not a readable %s image: %s", fmt->name, IMG_GetError());
    if (s->w < 1 || s->h < 1 || (unsigned long)s->w * (unsigned long)s->h > IMAGE_MAX_PIXELS) {
        int sw = s->w, sh = s->h;
        SDL_FreeSurface(s);
        return err_set(err, "image is %dx%d; sizes from 1x1 to 16 megapixels are accepted", sw, sh);
    }
    SDL_Surface *rgba = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(s);
    if (!rgba) return err_set(err, "cannot convert image: %s", SDL_GetError());
    int W = rgba->w, H = rgba->h;
    float *out = xmalloc_array((size_t)W * H, sizeof(float));
    if (!out) {
        SDL_FreeSurface(rgba);
        return err_set(err, "out of memory for a %dx%d image", W, H);
    }
    for (int y = 0; y < H; y++) {
        const uint8_t *row = (const uint8_t *)rgba->pixels + (size_t)y * rgba->pitch;
        for (int x = 0; x < W; x++) {
            const uint8_t *p = row + 4 * x;
            float luma = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
            float a = p[3] / 255.0f;
            out[(size_t)y * W + x] = luma * a + (1.0f - a); /* composite over white paper */
        }
    }
    SDL_FreeSurface(rgba);
    *img = out;
    *w = W;
    *h = H;
    return 0;
}

int image_load_file(const char *path, float **img, int *w, int *h, char *err) {
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, &buf, &len, err) != 0) return -1;
    char inner[ERR_LEN];
    int rc = image_decode(buf, len, img, w, h, inner);
    free(buf);
    if (rc != 0) return err_set(err, "%s: %s", path, inner);
    return 0;
}

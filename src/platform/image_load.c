/* image_load.c - picture files to grey floats: PGM by the core parser, everything else by
 * SDL2_image from memory (no video subsystem is initialised). */
#include "image_load.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* libpng prints its errors and warnings on stderr itself ("libpng error: IHDR: CRC error") before
 * SDL2_image returns, which would add a second line to the CLI's one-line error. While a loader
 * runs, fd 2 points at a pipe whose ends never block (what does not fit is dropped); the first
 * line caught goes into our message instead. Images are decoded on the main thread only (CLI,
 * window), so the brief redirect hides nobody else's output. */
typedef struct {
    int saved; /* the real fd 2, or -1 when nothing is redirected */
    int rd;    /* read end of the pipe */
} StderrCapture;

static void capture_begin(StderrCapture *c) {
    c->saved = c->rd = -1;
    fflush(stderr);
    int saved = dup(2), p[2];
    if (saved < 0) return;
    if (pipe(p) != 0) {
        close(saved);
        return;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    if (dup2(p[1], 2) < 0) {
        close(p[0]);
        close(p[1]);
        close(saved);
        return;
    }
    close(p[1]);
    c->saved = saved;
    c->rd = p[0];
}

/* Restores fd 2 and leaves the first captured line (printable ASCII, maybe empty) in out. */
static void capture_end(StderrCapture *c, char *out, size_t n) {
    out[0] = '\0';
    if (c->saved < 0) return;
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    clearerr(stderr);
    ssize_t got = read(c->rd, out, n - 1);
    close(c->rd);
    size_t k = 0;
    for (ssize_t i = 0; i < got && out[i] != '\n' && out[i] != '\r'; i++)
        if ((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] < 0x7f) out[k++] = out[i];
    out[k] = '\0';
}

int image_decode(const unsigned char *buf, unsigned long len, float **img, int *w, int *h, char *err) {
    if (len >= 2 && buf[0] == 'P' && (buf[1] == '2' || buf[1] == '5')) return image_parse_pgm(buf, len, img, w, h, err);
    if (len > (unsigned long)INT32_MAX) return err_set(err, "image too large");
    const Format *fmt = NULL;
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
        if (len >= FORMATS[i].nmagic && memcmp(buf, FORMATS[i].magic, FORMATS[i].nmagic) == 0) fmt = &FORMATS[i];
    if (!fmt) return err_set(err, "not a PNG, JPEG, BMP or PGM image (unrecognised first bytes)");
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

/* preprocess.c - MNIST's own recipe for a drawn or scanned digit (crop to the ink, area-average
 * the longer side to 20 px, integer shift of the centre of mass to (14,14) of 28x28): fed an
 * MNIST digit, it returns that digit. Plus a PGM decoder.
 * Nothing here allocates except image_parse_pgm's output; no input size can make it read
 * outside the image it is given. */
#include "preprocess.h"

#include "common.h"
#include "ink.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Where the intensity-weighted centre of mass lands, in pixel-index coordinates (pixel k's
 * centre is at k), as in the usual MNIST recipe: shift = 14 - centre_of_mass. */
#define PRE_COM_TARGET 14.0

#define PGM_MAX_SIDE 65535
#define PGM_MAX_PIXELS ((size_t)1 << 28)

/* A pixel clamped to [0,1]; NaN reads as 0. */
static double pix_at(const float *img, size_t i)
{
    float v = img[i];
    return v > 0.0f ? (v < 1.0f ? (double)v : 1.0) : 0.0;
}

/* Source range covered by output pixel k under u = off + (x - lo) * scale, clipped to the
 * ink box [lo, hi) of source coordinates. Writes the covered interval [*a, *b); returns 0
 * when it is empty. */
static int cover(int k, double off, double scale, int lo, int hi, double *a, double *b)
{
    double sa = lo + (k - off) / scale;
    double sb = lo + (k + 1 - off) / scale;
    if (sa < lo)
        sa = lo;
    if (sb > hi)
        sb = hi;
    *a = sa;
    *b = sb;
    return sb > sa;
}

/* Length of the overlap of source pixel [i, i+1) with [a, b). */
static double overlap(int i, double a, double b)
{
    double lo = a > i ? a : i;
    double hi = b < i + 1 ? b : i + 1;
    return hi > lo ? hi - lo : 0.0;
}

/* Crops img (h, w) to the box of pixels >= threshold (and > 0), scales that box so its longer
 * side is PRE_BOX px (the shorter side keeps the aspect ratio but is at least 1 px) by area
 * averaging, and places it in out (PRE_SIDE * PRE_SIDE), shifted by whole pixels so its centre
 * of mass is within 0.5 px of pixel (14, 14), or less centred where that would push the box
 * out of the frame. Input values are
 * clamped to [0,1] and NaN counts as 0. Returns 1 when ink was found, else 0 with out zeroed.
 * img is only read; out must not alias it. */
int preprocess_digit(float *out, const float *img, int w, int h, float threshold)
{
    return preprocess_digit_frame(out, NULL, img, w, h, threshold);
}

int preprocess_digit_frame(float *out, PreFrame *f, const float *img, int w, int h, float threshold)
{
    memset(out, 0, sizeof(float) * PRE_SIDE * PRE_SIDE);
    if (f)
        memset(f, 0, sizeof *f);
    if (!img || w <= 0 || h <= 0)
        return 0;
    const size_t W = (size_t)w;

    int x0 = w, x1 = -1, y0 = h, y1 = -1;
    for (int y = 0; y < h; y++) {
        const float *row = img + (size_t)y * W;
        for (int x = 0; x < w; x++) {
            if (row[x] >= threshold && row[x] > 0.0f) {
                if (x < x0)
                    x0 = x;
                if (x > x1)
                    x1 = x;
                if (y < y0)
                    y0 = y;
                y1 = y;
            }
        }
    }
    if (x1 < 0)
        return 0;

    /* Centre of mass inside the box, in continuous coordinates relative to the box corner. */
    double mass = 0.0, mx = 0.0, my = 0.0;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            double v = pix_at(img, (size_t)y * W + (size_t)x);
            mass += v;
            mx += v * (x - x0 + 0.5);
            my += v * (y - y0 + 0.5);
        }
    if (!(mass > 0.0))
        return 0;
    mx /= mass;
    my /= mass;

    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    double s = (double)PRE_BOX / (bw > bh ? bw : bh);
    double sx = s, sy = s;
    if (bw * sx < 1.0)
        sx = 1.0 / bw;
    if (bh * sy < 1.0)
        sy = 1.0 / bh;

    /* Output continuous coordinate u = off + (x - x0) * sx; pixel k spans [k, k+1), so index
     * coordinate PRE_COM_TARGET is continuous PRE_COM_TARGET + 0.5. The offset is rounded to
     * whole pixels as MNIST did (the scaled box then sits on the pixel grid, and MNIST's own
     * test digits come back unchanged), so the centre of mass lands within 0.5 px of target. */
    double offx = floor(PRE_COM_TARGET + 0.5 - mx * sx + 0.5);
    double offy = floor(PRE_COM_TARGET + 0.5 - my * sy + 0.5);
    double maxx = floor(PRE_SIDE - bw * sx + 1e-9), maxy = floor(PRE_SIDE - bh * sy + 1e-9);
    offx = offx < 0.0 ? 0.0 : (offx > maxx ? maxx : offx);
    offy = offy < 0.0 ? 0.0 : (offy > maxy ? maxy : offy);
    if (f)
        *f = (PreFrame){x0, y0, sx, sy, offx, offy};

    for (int ky = 0; ky < PRE_SIDE; ky++) {
        double ya, yb;
        if (!cover(ky, offy, sy, y0, y1 + 1, &ya, &yb))
            continue;
        int ja = (int)floor(ya), jb = (int)ceil(yb); /* rows [ja, jb) within [y0, y1] */
        for (int kx = 0; kx < PRE_SIDE; kx++) {
            double xa, xb;
            if (!cover(kx, offx, sx, x0, x1 + 1, &xa, &xb))
                continue;
            int ia = (int)floor(xa), ib = (int)ceil(xb);
            double acc = 0.0;
            for (int j = ja; j < jb; j++) {
                double oy = overlap(j, ya, yb);
                const size_t row = (size_t)j * W;
                for (int i = ia; i < ib; i++)
                    acc += oy * overlap(i, xa, xb) * pix_at(img, row + (size_t)i);
            }
            double v = acc * sx * sy; /* integral over the source box / its area */
            out[ky * PRE_SIDE + kx] = (float)(v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v));
        }
    }
    return 1;
}

/* Area average of img (h, w) over the box [xa, xb) x [ya, yb) of source coordinates, clipped to
 * the image; 0 when the clipped box is empty. */
static double area_mean(const float *img, int w, int h, double xa, double xb, double ya, double yb)
{
    if (xa < 0) xa = 0;
    if (ya < 0) ya = 0;
    if (xb > w) xb = w;
    if (yb > h) yb = h;
    if (!(xb > xa && yb > ya))
        return 0.0;
    double acc = 0.0;
    for (int j = (int)floor(ya); j < (int)ceil(yb); j++) {
        double oy = overlap(j, ya, yb);
        for (int i = (int)floor(xa); i < (int)ceil(xb); i++)
            acc += oy * overlap(i, xa, xb) * pix_at(img, (size_t)j * (size_t)w + (size_t)i);
    }
    return acc / ((xb - xa) * (yb - ya));
}

int preprocess_naive(float *out, const float *img, int w, int h)
{
    memset(out, 0, sizeof(float) * PRE_SIDE * PRE_SIDE);
    if (!img || w <= 0 || h <= 0)
        return 0;
    double mean = 0.0;
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++)
        mean += pix_at(img, i);
    int invert = mean / (double)n > 0.5;
    double s = (double)PRE_SIDE / (w > h ? w : h); /* output px per source px */
    double ox = (PRE_SIDE - w * s) / 2, oy = (PRE_SIDE - h * s) / 2;
    for (int ky = 0; ky < PRE_SIDE; ky++)
        for (int kx = 0; kx < PRE_SIDE; kx++) {
            double xa = (kx - ox) / s, xb = (kx + 1 - ox) / s, ya = (ky - oy) / s, yb = (ky + 1 - oy) / s;
            if (xb <= 0 || yb <= 0 || xa >= w || ya >= h)
                continue; /* padding: background */
            double v = area_mean(img, w, h, xa, xb, ya, yb);
            v = invert ? 1.0 - v : v;
            out[ky * PRE_SIDE + kx] = (float)(v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v));
        }
    return 1;
}

void preprocess_measure(PreInfo *info, const float *x)
{
    int x0 = PRE_SIDE, x1 = -1, y0 = PRE_SIDE, y1 = -1;
    unsigned char m[PRE_SIDE * PRE_SIDE];
    double mass = 0.0;
    for (int k = 0; k < PRE_SIDE * PRE_SIDE; k++) {
        double v = pix_at(x, (size_t)k);
        mass += v;
        m[k] = v >= 0.5;
        if (v > 0.05) {
            int c = k % PRE_SIDE, r = k / PRE_SIDE;
            x0 = c < x0 ? c : x0, x1 = c > x1 ? c : x1, y0 = r < y0 ? r : y0, y1 = r > y1 ? r : y1;
        }
    }
    ink_thin(m, PRE_SIDE, PRE_SIDE); /* a 28x28 never fails: 784 bytes of scratch */
    double len = ink_skeleton_length(m, PRE_SIDE, PRE_SIDE);
    int any = 0;
    for (int k = 0; k < PRE_SIDE * PRE_SIDE; k++)
        any |= m[k];
    info->skeleton = (float)len;
    info->width = any ? (float)(mass / (len < 1.0 ? 1.0 : len)) : 0.0f;
    info->near_blank = info->ink && len < PRE_MIN_SKELETON;
    info->odd_shape = x1 >= x0 && (double)(y1 - y0 + 1) < PRE_MIN_ASPECT * (x1 - x0 + 1);
}

/* Inverts img (h, w) in place (v -> 1 - v) when the mean of its border pixels (the outer
 * ring; every pixel when w or h is 1) is above 0.5, so a dark-on-light scan becomes ink = 1.
 * Returns 1 if it inverted, 0 otherwise (also for an empty image). */
int preprocess_auto_invert(float *img, int w, int h)
{
    if (!img || w <= 0 || h <= 0)
        return 0;
    const size_t W = (size_t)w, H = (size_t)h;
    double sum = 0.0;
    size_t count = 0;
    for (size_t x = 0; x < W; x++) {
        sum += pix_at(img, x);
        count++;
        if (H > 1) {
            sum += pix_at(img, (H - 1) * W + x);
            count++;
        }
    }
    for (size_t y = 1; y + 1 < H; y++) {
        sum += pix_at(img, y * W);
        count++;
        if (W > 1) {
            sum += pix_at(img, y * W + W - 1);
            count++;
        }
    }
    if (!(sum / (double)count > 0.5))
        return 0;
    size_t n = W * H;
    for (size_t i = 0; i < n; i++)
        img[i] = 1.0f - img[i];
    return 1;
}

/* A cursor over PGM bytes. */
typedef struct {
    const unsigned char *p;
    size_t len, pos;
} PgmCursor;

/* The whitespace bytes of the Netpbm header. */
static int pgm_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and '#' comments (to the end of the line). */
static void pgm_skip(PgmCursor *c)
{
    while (c->pos < c->len) {
        unsigned char ch = c->p[c->pos];
        if (pgm_is_space(ch)) {
            c->pos++;
        } else if (ch == '#') {
            while (c->pos < c->len && c->p[c->pos] != '\n' && c->p[c->pos] != '\r')
                c->pos++;
        } else {
            break;
        }
    }
}

/* Reads a decimal number after optional whitespace/comments; it must be followed by
 * whitespace, '#' or the end of the buffer and not exceed max. Returns 0 or -1 with err set. */
static int pgm_number(PgmCursor *c, unsigned long max, const char *what, unsigned long *out, char *err)
{
    pgm_skip(c);
    if (c->pos >= c->len)
        return err_set(err, "PGM: truncated: missing %s", what);
    if (c->p[c->pos] < '0' || c->p[c->pos] > '9')
        return err_set(err, "PGM: bad %s: expected a number, found byte 0x%02x", what, c->p[c->pos]);
    unsigned long v = 0;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        v = v * 10 + (unsigned long)(c->p[c->pos] - '0');
        if (v > max)
            return err_set(err, "PGM: %s too large (max %lu)", what, max);
        c->pos++;
    }
    if (c->pos < c->len && !pgm_is_space(c->p[c->pos]) && c->p[c->pos] != '#')
        return err_set(err, "PGM: bad %s: unexpected byte 0x%02x after the number", what, c->p[c->pos]);
    *out = v;
    return 0;
}

/* Decodes a P5 (8- or 16-bit big-endian) or P2 (ASCII) PGM from buf[0..len) into a new
 * (h, w) float image with value/maxval in [0,1] (1 = white, as stored). Header tokens may be
 * separated by any whitespace and '#' comments; P5 pixel data starts after exactly one
 * whitespace byte (or a comment line) following maxval; bytes after the pixels are ignored.
 * Checks: magic, 1 <= w, h <= 65535, w*h <= 2^28, 1 <= maxval <= 65535, samples <= maxval,
 * enough data before allocating. On success *img (caller frees), *w, *h are set; on failure
 * nothing is written. */
int image_parse_pgm(const unsigned char *buf, unsigned long len, float **img, int *w, int *h, char *err)
{
    if (!buf || len < 2)
        return err_set(err, "PGM: too short for a header (%lu bytes)", buf ? len : 0ul);
    if (buf[0] != 'P' || (buf[1] != '5' && buf[1] != '2'))
        return err_set(err, "PGM: bad magic 0x%02x 0x%02x (expected P5 or P2)", buf[0], buf[1]);
    const int binary = buf[1] == '5';
    PgmCursor c = {buf, (size_t)len, 2};
    if (c.pos < c.len && !pgm_is_space(buf[c.pos]) && buf[c.pos] != '#')
        return err_set(err, "PGM: bad magic: no whitespace after P%c", buf[1]);

    unsigned long width, height, maxval;
    if (pgm_number(&c, PGM_MAX_SIDE, "width", &width, err) ||
        pgm_number(&c, PGM_MAX_SIDE, "height", &height, err) ||
        pgm_number(&c, 65535, "maxval", &maxval, err))
        return -1;
    if (width == 0 || height == 0)
        return err_set(err, "PGM: zero size %lux%lu", width, height);
    if (maxval == 0)
        return err_set(err, "PGM: maxval 0 (must be 1..65535)");
    size_t npix;
    if (size_mul(width, height, &npix) || npix > PGM_MAX_PIXELS)
        return err_set(err, "PGM: image %lux%lu is too large", width, height);

    size_t data_at;
    if (binary) {
        /* Exactly one whitespace byte, or a comment running to its end of line, ends the header. */
        if (c.pos >= c.len)
            return err_set(err, "PGM: truncated: no pixel data");
        if (c.p[c.pos] == '#') {
            while (c.pos < c.len && c.p[c.pos] != '\n' && c.p[c.pos] != '\r')
                c.pos++;
            if (c.pos >= c.len)
                return err_set(err, "PGM: truncated: no pixel data");
        }
        data_at = c.pos + 1;
        size_t bps = maxval > 255 ? 2 : 1, need;
        if (size_mul(npix, bps, &need))
            return err_set(err, "PGM: image %lux%lu is too large", width, height);
        size_t have = c.len - data_at;
        if (have < need)
            return err_set(err, "PGM: truncated pixel data: need %zu bytes, got %zu", need, have);
    } else {
        /* Each ASCII sample needs a digit and all but the last a separator. */
        data_at = c.pos;
        size_t have = c.len - data_at;
        if (npix > (have + 1) / 2)
            return err_set(err, "PGM: truncated pixel data: %lux%lu samples cannot fit in %zu bytes",
                           width, height, have);
    }

    float *pixels = malloc(npix * sizeof(float));
    if (!pixels)
        return err_set(err, "PGM: out of memory for %lux%lu", width, height);
    const float inv = 1.0f / (float)maxval;
    if (binary) {
        const unsigned char *d = buf + data_at;
        for (size_t i = 0; i < npix; i++) {
            unsigned v = maxval > 255 ? ((unsigned)d[2 * i] << 8) | d[2 * i + 1] : d[i];
            if (v > maxval) {
                free(pixels);
                return err_set(err, "PGM: sample %zu is %u, above maxval %lu", i, v, maxval);
            }
            pixels[i] = (float)v * inv;
        }
    } else {
        for (size_t i = 0; i < npix; i++) {
            unsigned long v;
            pgm_skip(&c);
            if (c.pos >= c.len) {
                free(pixels);
                return err_set(err, "PGM: truncated pixel data: got %zu of %zu samples", i, npix);
            }
            if (pgm_number(&c, 65535, "sample", &v, err)) {
                free(pixels);
                return -1;
            }
            if (v > maxval) {
                free(pixels);
                return err_set(err, "PGM: sample %zu is %lu, above maxval %lu", i, v, maxval);
            }
            pixels[i] = (float)v * inv;
        }
    }
    *img = pixels;
    *w = (int)width;
    *h = (int)height;
    return 0;
}

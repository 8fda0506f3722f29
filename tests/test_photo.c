/* test_photo.c - preprocess_photo on pictures with known answers: a strong gradient and vignette
 * are removed; of a digit, specks, an edge shadow and a frame line only the digit is kept; the
 * polarity comes from the paper (light on dark, and a thick marker covering most of the picture);
 * a thick-marker and a faint pencil digit both come out like the same digit drawn cleanly; a
 * faint pencil digit beside a shadow's edge in a JPEG is cropped alone, and one whose shadow
 * outweighs it on the light side keeps its dark polarity; blank,
 * gradient-only, tiny and odd-sized pictures give "no digit" without crashing. */
#include "check.h"
#include "common.h"
#include "image.h"
#include "preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N28 (PRE_SIDE * PRE_SIDE)

typedef struct {
    int w, h;
    float *px; /* 1 = white */
} Pic;

static Pic pic(int w, int h, float level) {
    Pic p = {w, h, malloc(sizeof(float) * (size_t)w * h)};
    for (int i = 0; i < w * h; i++) p.px[i] = level;
    return p;
}

/* Multiplies the paper by a left-to-right ramp from a to b and a vignette of strength v. */
static void light(Pic *p, float a, float b, float v) {
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            double u = (x + 0.5) / p->w, r2 = pow(u - 0.5, 2) + pow((y + 0.5) / p->h - 0.5, 2);
            p->px[y * p->w + x] *= (float)((a + (b - a) * u) * (1 - v * r2 * 2));
        }
}

/* Paints ink of value `ink` (mixed by coverage) along a polyline of n points with thickness t. */
static void stroke(Pic *p, const float *xy, int n, float t, float ink) {
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            double best = 1e9;
            for (int i = 0; i + 1 < n; i++) {
                double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
                double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, px = x + 0.5 - ax, py = y + 0.5 - ay;
                double s = l2 > 0 ? (px * dx + py * dy) / l2 : 0;
                s = s < 0 ? 0 : (s > 1 ? 1 : s);
                double ex = px - s * dx, ey = py - s * dy, d = sqrt(ex * ex + ey * ey);
                best = d < best ? d : best;
            }
            double cov = t / 2 - best + 0.5;
            cov = cov < 0 ? 0 : (cov > 1 ? 1 : cov);
            float *v = &p->px[y * p->w + x];
            *v = (float)(*v * (1 - cov) + ink * cov);
        }
}

/* A '0' as a 48-point ellipse centred at (cx, cy) with radii rx, ry. */
static void zero_path(float *xy, double cx, double cy, double rx, double ry) {
    for (int i = 0; i < 48; i++) {
        double a = 2 * M_PI * i / 47;
        xy[2 * i] = (float)(cx + rx * cos(a)), xy[2 * i + 1] = (float)(cy + ry * sin(a));
    }
}

static void noise(Pic *p, double sigma, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < p->w * p->h; i++) {
        double v = p->px[i] + sigma * rng_normal(&r);
        p->px[i] = (float)(v < 0 ? 0 : (v > 1 ? 1 : v));
    }
}

static double mean_abs(const float *a, const float *b) {
    double d = 0;
    for (int i = 0; i < N28; i++) d += fabs(a[i] - b[i]);
    return d / N28;
}

/* Pearson correlation of two 28x28 inputs. */
static double corr(const float *a, const float *b) {
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < N28; i++) ma += a[i], mb += b[i];
    ma /= N28, mb /= N28;
    for (int i = 0; i < N28; i++) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
}

/* The reference: the same '0' clean, dark on white, through the photo path. */
static void reference_zero(float *out, float t) {
    Pic p = pic(200, 200, 1.0f);
    float xy[96];
    zero_path(xy, 100, 100, 40, 60);
    stroke(&p, xy, 48, t, 0.0f);
    char err[ERR_LEN];
    preprocess_photo(out, NULL, NULL, p.px, p.w, p.h, err);
    free(p.px);
}

static void test_gradient(void) {
    char err[ERR_LEN];
    float ref[N28], out[N28], leg[N28];
    reference_zero(ref, 8);
    Pic p = pic(300, 240, 1.0f);
    light(&p, 0.45f, 1.0f, 0.5f); /* paper from 0.45 to 1 across, darker corners */
    float xy[96];
    zero_path(xy, 150, 120, 40, 60);
    stroke(&p, xy, 48, 8, 0.05f);
    noise(&p, 0.01, 1);
    PreInfo info;
    PreFrame f;
    CHECK(preprocess_photo(out, &f, &info, p.px, p.w, p.h, err) == 1, "gradient: ink found");
    CHECK(info.dark_ink == 1 && info.kept == 1, "gradient: dark ink, one part kept (%d of %d)", info.kept, info.components);
    CHECK(mean_abs(out, ref) < 0.04, "gradient removed: |diff| to the clean digit %.4f", mean_abs(out, ref));
    /* the legacy path takes the dark side of the paper for ink */
    float *cp = malloc(sizeof(float) * (size_t)p.w * p.h);
    memcpy(cp, p.px, sizeof(float) * (size_t)p.w * p.h);
    preprocess_auto_invert(cp, p.w, p.h);
    preprocess_digit(leg, cp, p.w, p.h, 0.05f);
    CHECK(mean_abs(leg, ref) > 3 * mean_abs(out, ref), "legacy is far off (%.4f)", mean_abs(leg, ref));
    free(cp);
    /* the frame: the digit's centre maps near the input's centre, its top onto ink */
    double u = f.offx + (150 - f.x0) * f.sx, v = f.offy + (120 - f.y0) * f.sy;
    CHECK(fabs(u - 14.5) < 1.5 && fabs(v - 14.5) < 1.5, "frame: centre -> (%.2f, %.2f)", u, v);
    u = f.offx + (150 - f.x0) * f.sx, v = f.offy + (60.5 - f.y0) * f.sy;
    CHECK(u >= 0 && v >= 0 && u < 28 && v < 28 && out[(int)v * 28 + (int)u] > 0.3f, "frame: the top of the 0 lands on ink");
    /* the cleaned ink: nothing left on the paper away from the stroke */
    float *ink;
    int iw, ih;
    CHECK(preprocess_photo_ink(&ink, &iw, &ih, &info, p.px, p.w, p.h, err) == 1, "photo_ink");
    int stray = 0, on = 0;
    for (int i = 0; i < iw * ih; i++) on += ink[i] > 0.5f;
    /* the crop is the ring plus a sixth of margin: its border rows are paper */
    for (int x = 0; x < iw; x++) stray += ink[x] > 0 || ink[(ih - 1) * iw + x] > 0;
    CHECK(stray == 0 && on > 100, "photo_ink: clean margin (%d stray), ink %d px", stray, on);
    CHECK(iw >= 120 && iw <= 150 && ih >= 160 && ih <= 190, "photo_ink crop %dx%d: the 88x128 ring and a sixth", iw, ih);
    free(ink);
    /* paper with the same light and no digit: nothing */
    Pic e = pic(300, 240, 1.0f);
    light(&e, 0.45f, 1.0f, 0.5f);
    noise(&e, 0.01, 2);
    CHECK(preprocess_photo(out, NULL, &info, e.px, e.w, e.h, err) == 0, "gradient without ink: no digit");
    free(e.px);
    free(p.px);
}

static void test_parts(void) {
    char err[ERR_LEN];
    float ref[N28], out[N28];
    reference_zero(ref, 8);
    Pic p = pic(320, 260, 0.85f);
    float xy[96];
    zero_path(xy, 170, 130, 40, 60);
    stroke(&p, xy, 48, 8, 0.1f);
    float specks[6][2] = {{30, 40}, {280, 30}, {60, 220}, {250, 230}, {100, 120}, {300, 140}};
    for (int k = 0; k < 6; k++) {
        float dot[4] = {specks[k][0], specks[k][1], specks[k][0] + 1, specks[k][1]};
        stroke(&p, dot, 2, 4, 0.1f);
    }
    for (int y = 0; y < p.h; y++) /* an edge shadow along the left */
        for (int x = 0; x < 40; x++) p.px[y * p.w + x] *= (float)(0.35 + 0.65 * x / 40.0);
    float line[4] = {0, 3, 320, 3}; /* a frame line along the top */
    stroke(&p, line, 2, 3, 0.1f);
    noise(&p, 0.015, 3);
    PreInfo info;
    CHECK(preprocess_photo(out, NULL, &info, p.px, p.w, p.h, err) == 1, "parts: ink found");
    CHECK(info.kept == 1 && info.components >= 4, "parts: the digit alone kept (%d of %d)", info.kept, info.components);
    CHECK(mean_abs(out, ref) < 0.04, "parts: |diff| to the clean digit %.4f", mean_abs(out, ref));
    free(p.px);
}

static void test_polarity(void) {
    char err[ERR_LEN];
    float ref[N28], out[N28];
    reference_zero(ref, 8);
    /* chalk on a dark board */
    Pic p = pic(240, 240, 0.15f);
    float xy[96];
    zero_path(xy, 120, 120, 40, 60);
    stroke(&p, xy, 48, 8, 0.85f);
    noise(&p, 0.01, 4);
    PreInfo info;
    CHECK(preprocess_photo(out, NULL, &info, p.px, p.w, p.h, err) == 1 && info.dark_ink == 0, "light ink on dark: light");
    CHECK(mean_abs(out, ref) < 0.04, "light on dark reads like dark on light (%.4f)", mean_abs(out, ref));
    free(p.px);
    /* a thick marker 0 cropped tightly: most pixels are ink, the paper is still light */
    Pic q = pic(200, 200, 0.9f);
    zero_path(xy, 100, 100, 55, 55);
    stroke(&q, xy, 48, 60, 0.1f); /* ink from 25 to 85 px from the centre, paper 15 px wide at the edges */
    noise(&q, 0.01, 5);
    long inked = 0;
    for (int i = 0; i < q.w * q.h; i++) inked += q.px[i] < 0.5f;
    CHECK(inked > q.w * q.h / 2, "thick marker covers most of the picture (%ld of %d)", inked, q.w * q.h);
    CHECK(preprocess_photo(out, NULL, &info, q.px, q.w, q.h, err) == 1 && info.dark_ink == 1,
          "thick marker: dark ink on light paper (median would say otherwise)");
    float side = 0;
    for (int x = 4; x < 9; x++) side = out[14 * 28 + x] > side ? out[14 * 28 + x] : side;
    CHECK(out[14 * 28 + 14] < 0.2f && side > 0.9f, "thick marker: a hole in the middle (%.2f), ink at the side (%.2f)",
          out[14 * 28 + 14], side);
    free(q.px);
}

/* The decoded picture tests/corpus/image/<name> (1 = white), or NULL when DIGITREC_SRC is unset
 * (said on stdout) or it does not decode (a failed check). */
static float *corpus_picture(const char *name, int *w, int *h) {
    const char *src = getenv("DIGITREC_SRC");
    if (!src) {
        printf("skipped: %s (DIGITREC_SRC unset)\n", name);
        return NULL;
    }
    char path[1024], err[ERR_LEN];
    snprintf(path, sizeof path, "%s/tests/corpus/image/%s", src, name);
    float *img = NULL;
    CHECK(image_decode_file(path, &img, w, h, err) == 0, "%s", err);
    return img;
}

/* A photo from the reading benchmark's generator (bench/reading/make_sets.py, seed 1, p0050):
 * a faint, thin pencil '2' on grey paper, 160x116, a shadow falling in from the left edge with a
 * sharp end, specks and JPEG quality 70. The paper surface alone cannot follow the shadow's end,
 * and JPEG's flat blocks hide their steps from the neighbour-difference noise: both stood out as
 * ink, and the crop took most of the picture (145x156 px, three parts). */
static void test_shadow_jpeg(void) {
    char err[ERR_LEN];
    float *ink = NULL;
    int w, h, iw, ih;
    PreInfo info;
    float *img = corpus_picture("photo_shadow_pencil.jpg", &w, &h);
    if (!img) return;
    CHECK(preprocess_photo_ink(&ink, &iw, &ih, &info, img, w, h, err) == 1, "shadow and JPEG: ink found");
    /* the 2 is about 24x42 px: with a sixth of margin on each side the crop is under 40x60 */
    CHECK(ink && iw <= 40 && ih <= 60 && info.kept == 1, "shadow and JPEG: the crop %dx%d (%d parts kept) holds the 2 alone",
          iw, ih, info.kept);
    float out[N28];
    CHECK(preprocess_photo(out, NULL, &info, img, w, h, err) == 1 && !info.near_blank, "shadow and JPEG: a digit, not blank");
    free(ink);
    free(img);
}

/* Another photo of that generator (seed 1, p0770): a pencil '7' on grey paper, 240x268, a
 * shadow falling in from the bottom edge, specks, JPEG quality 30. Against the paper surface the
 * shadow's end stood out on the light side about as much as the pencil on the dark side, and the
 * paper's mean (0.50) tipped the tie to light ink: the shadow's edge became the digit (a
 * 192x40 px band along the bottom). The polarity against the cell medians, which follow the
 * shadow, says dark ink, and the 7 (about 70x140 px) is the part kept. */
static void test_shadow_polarity(void) {
    char err[ERR_LEN];
    float *ink = NULL;
    int w, h, iw, ih;
    PreInfo info;
    float *img = corpus_picture("photo_shadow_pencil7.jpg", &w, &h);
    if (!img) return;
    CHECK(preprocess_photo_ink(&ink, &iw, &ih, &info, img, w, h, err) == 1, "shadow's edge and pencil: ink found");
    CHECK(info.dark_ink == 1, "shadow's edge and pencil: dark ink (paper %.2f)", info.paper);
    /* the 7 with a sixth of margin: taller than wide, well under the picture's width */
    CHECK(ink && ih > iw && iw < 120 && ih > 120, "shadow's edge and pencil: the crop %dx%d holds the 7, not the band", iw, ih);
    float out[N28], seven[N28], xy[6] = {60, 50, 160, 50, 100, 190};
    PreStroke st = {xy, 3};
    preprocess_strokes(seven, NULL, NULL, &st, 1);
    CHECK(preprocess_photo(out, NULL, &info, img, w, h, err) == 1 && corr(out, seven) > 0.5,
          "shadow's edge and pencil: it looks like a 7 (r = %.3f)", corr(out, seven));
    free(ink);
    free(img);
}

/* A small blurred scan (32x32, as an 8x8 count of a form's cell upsampled): a '0' whose right
 * side came out fainter (a third of the left's contrast). The threshold keeps the left side alone;
 * the kept ink grows into its fainter, connected continuation, so the 0 stays closed instead of
 * becoming a C. */
static void test_faint_side(void) {
    char err[ERR_LEN];
    Pic big = pic(320, 320, 1.0f), p = pic(32, 32, 1.0f);
    float xy[96];
    zero_path(xy, 160, 160, 70, 110);
    stroke(&big, xy, 48, 40, 0.0f);
    for (int y = 0; y < 320; y++) /* the right side a third as dark */
        for (int x = 200; x < 320; x++) big.px[y * 320 + x] = 1.0f - (1.0f - big.px[y * 320 + x]) / 3.0f;
    for (int y = 0; y < 32; y++) /* box-averaged down to 32x32: the blur of a coarse scan */
        for (int x = 0; x < 32; x++) {
            double a = 0;
            for (int j = 0; j < 10; j++)
                for (int i = 0; i < 10; i++) a += big.px[(y * 10 + j) * 320 + x * 10 + i];
            p.px[y * 32 + x] = (float)(a / 100);
        }
    free(big.px);
    float out[N28];
    PreInfo info;
    CHECK(preprocess_photo(out, NULL, &info, p.px, p.w, p.h, err) == 1, "faint side: ink found");
    /* ink on the right of the ring's middle rows, where a C is open */
    double left = 0, right = 0;
    for (int y = 10; y < 18; y++)
        for (int x = 0; x < 14; x++) left += out[y * 28 + x], right += out[y * 28 + 27 - x];
    CHECK(right > 0.3 * left, "faint side: the 0 stays closed (ink right of centre %.1f, left %.1f)", right, left);
    free(p.px);
}

static void test_marker_and_pencil(void) {
    char err[ERR_LEN];
    /* a '7' as a polyline */
    float seven[6] = {60, 50, 160, 50, 100, 190};
    float ref[N28], out[N28];
    PreStroke st = {seven, 3};
    preprocess_strokes(ref, NULL, NULL, &st, 1);
    Pic m = pic(220, 240, 0.93f);
    stroke(&m, seven, 3, 22, 0.05f); /* felt marker */
    noise(&m, 0.01, 6);
    PreInfo info;
    CHECK(preprocess_photo(out, NULL, &info, m.px, m.w, m.h, err) == 1, "marker: ink");
    CHECK(corr(out, ref) > 0.7, "marker 7 looks like a clean 7 (r = %.3f)", corr(out, ref));
    free(m.px);
    Pic pc = pic(220, 240, 0.8f);
    light(&pc, 0.8f, 1.05f, 0.3f);
    stroke(&pc, seven, 3, 1.5f, 0.55f); /* faint pencil line, a third darker than the paper */
    noise(&pc, 0.02, 7);
    CHECK(preprocess_photo(out, NULL, &info, pc.px, pc.w, pc.h, err) == 1, "pencil: ink (noise %.3f, contrast %.3f)",
          info.noise, info.contrast);
    CHECK(corr(out, ref) > 0.8, "pencil 7 looks like a clean 7 (r = %.3f)", corr(out, ref));
    CHECK(info.width >= PRE_WIDTH_MIN, "pencil 7 has MNIST's stroke width (%.2f)", info.width);
    free(pc.px);
}

static void test_blank_and_odd(void) {
    char err[ERR_LEN];
    float out[N28];
    PreInfo info;
    PreFrame f;
    for (int k = 0; k < 3; k++) {
        float level = k == 0 ? 1.0f : (k == 1 ? 0.0f : 0.6f);
        Pic p = pic(64, 48, level);
        if (k == 2) noise(&p, 0.03, 8);
        CHECK(preprocess_photo(out, &f, &info, p.px, p.w, p.h, err) == 0 && f.sx == 0, "plain paper %.1f: no digit", level);
        float *ink = (float *)1;
        int iw, ih;
        CHECK(preprocess_photo_ink(&ink, &iw, &ih, &info, p.px, p.w, p.h, err) == 0 && ink == (float *)1, "no ink: nothing allocated");
        free(p.px);
    }
    float one = 0.0f;
    CHECK(preprocess_photo(out, NULL, &info, &one, 1, 1, err) == 0, "1x1 black: no digit");
    one = 1.0f;
    CHECK(preprocess_photo(out, NULL, &info, &one, 1, 1, err) == 0, "1x1 white: no digit");
    CHECK(preprocess_photo(out, NULL, &info, NULL, 5, 5, err) == 0, "NULL image: no digit");
    Pic s = pic(10000, 10, 1.0f);
    float dash[4] = {4000, 5, 6000, 5};
    stroke(&s, dash, 2, 4, 0.0f);
    CHECK(preprocess_photo(out, NULL, &info, s.px, s.w, s.h, err) == 1 && info.odd_shape, "10000x10 strip with a dash: not digit-shaped");
    for (int i = 0; i < 100000; i++) s.px[i] = (i % 7) ? 1.0f : NAN;
    CHECK(preprocess_photo(out, NULL, &info, s.px, s.w, s.h, err) >= 0, "NaN pixels do not fail");
    for (int i = 0; i < N28; i++) CHECK(out[i] >= 0 && out[i] <= 1, "NaN pixels: output in range");
    free(s.px);
}

int main(void) {
    test_gradient();
    test_parts();
    test_polarity();
    test_marker_and_pencil();
    test_shadow_jpeg();
    test_shadow_polarity();
    test_faint_side();
    test_blank_and_odd();
    return check_summary("test_photo");
}

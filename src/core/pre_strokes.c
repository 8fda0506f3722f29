/* pre_strokes.c - preprocess_strokes: a canvas's pen strokes drawn again into the 28x28 with
 * MNIST's stroke width, so a small drawing with a fat pen and a large one with a hairline give
 * the network the same kind of input. Only the points matter; the canvas raster is not read. */
#include "preprocess.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ink.h"

/* Width of the pen's anti-aliased rim, in 28x28 pixels: the value falls linearly from 1 to 0
 * over this distance, centred on the pen's radius (so the ink per unit length stays 2 r). */
#define PEN_SOFT 1.0
/* Centre of mass target in continuous coordinates: pixel index 14 (MNIST) is 14.5. */
#define COM_TARGET 14.5

typedef struct {
    const PreStroke *st;
    int ns;
    double x0, y0, s, offx, offy, r;
} Pen;

/* Max-blends the pen swept along (ax, ay)-(bx, by) (28x28 continuous coordinates) into out. */
static void pen_segment(float *out, double r, double ax, double ay, double bx, double by) {
    const double reach = r + PEN_SOFT * 0.5;
    int ia = (int)floor(fmin(ax, bx) - reach), ib = (int)ceil(fmax(ax, bx) + reach);
    int ja = (int)floor(fmin(ay, by) - reach), jb = (int)ceil(fmax(ay, by) + reach);
    ia = ia < 0 ? 0 : ia, ja = ja < 0 ? 0 : ja;
    ib = ib > PRE_SIDE - 1 ? PRE_SIDE - 1 : ib, jb = jb > PRE_SIDE - 1 ? PRE_SIDE - 1 : jb;
    const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    for (int j = ja; j <= jb; j++)
        for (int i = ia; i <= ib; i++) {
            double px = i + 0.5 - ax, py = j + 0.5 - ay;
            double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0.0;
            t = t < 0 ? 0 : (t > 1 ? 1 : t);
            double ex = px - t * dx, ey = py - t * dy;
            double v = (r - sqrt(ex * ex + ey * ey)) / PEN_SOFT + 0.5;
            if (v <= 0) continue;
            if (v > 1) v = 1;
            float *o = &out[j * PRE_SIDE + i];
            if (*o < (float)v) *o = (float)v;
        }
}

/* Draws every stroke with the pen's current placement; returns the centre of mass. */
static void pen_render(float *out, const Pen *p, double *cx, double *cy) {
    memset(out, 0, sizeof(float) * PRE_SIDE * PRE_SIDE);
    for (int k = 0; k < p->ns; k++) {
        const PreStroke *s = &p->st[k];
        if (!s->xy || s->n < 1) continue;
        for (int i = 0; i < s->n; i++) {
            int a = i > 0 ? i - 1 : 0;
            double ax = p->offx + (s->xy[2 * a] - p->x0) * p->s, ay = p->offy + (s->xy[2 * a + 1] - p->y0) * p->s;
            double bx = p->offx + (s->xy[2 * i] - p->x0) * p->s, by = p->offy + (s->xy[2 * i + 1] - p->y0) * p->s;
            if (i == 0 || ax != bx || ay != by || s->n == 1) pen_segment(out, p->r, ax, ay, bx, by);
        }
    }
    double m = 0, mx = 0, my = 0;
    for (int j = 0; j < PRE_SIDE; j++)
        for (int i = 0; i < PRE_SIDE; i++) {
            double v = out[j * PRE_SIDE + i];
            m += v, mx += v * (i + 0.5), my += v * (j + 0.5);
        }
    *cx = m > 0 ? mx / m : COM_TARGET;
    *cy = m > 0 ? my / m : COM_TARGET;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

int preprocess_strokes(float *out, PreFrame *f, PreInfo *info, const PreStroke *st, int ns) {
    memset(out, 0, sizeof(float) * PRE_SIDE * PRE_SIDE);
    if (f) memset(f, 0, sizeof *f);
    if (info) memset(info, 0, sizeof *info);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int points = 0;
    for (int k = 0; st && k < ns; k++) {
        if (!st[k].xy) continue;
        for (int i = 0; i < st[k].n; i++) {
            double x = st[k].xy[2 * i], y = st[k].xy[2 * i + 1];
            if (!isfinite(x) || !isfinite(y)) return 0;
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
            points++;
        }
    }
    if (!points) return 0;
    Pen p = {st, ns, x0, y0, 0, 0, 0, INK_MNIST_WIDTH * 0.5};
    /* The ink box's longer side is the polylines' extent plus one pen width and its rim. */
    const double ink_pad = 2 * p.r + PEN_SOFT, bw = x1 - x0, bh = y1 - y0, ext = fmax(bw, bh);
    p.s = ext > 1e-6 ? (PRE_BOX - ink_pad) / ext : 1.0;
    /* Placement: box centred first, then shifted until the centre of mass sits on target, but
     * never so far that ink would leave the frame. */
    const double lox = p.r + PEN_SOFT * 0.5, hix = PRE_SIDE - bw * p.s - lox;
    const double loy = lox, hiy = PRE_SIDE - bh * p.s - loy;
    p.offx = (PRE_SIDE - bw * p.s) / 2, p.offy = (PRE_SIDE - bh * p.s) / 2;
    double cx, cy;
    for (int pass = 0; pass < 3; pass++) {
        pen_render(out, &p, &cx, &cy);
        double nx = clampd(p.offx + COM_TARGET - cx, lox, hix), ny = clampd(p.offy + COM_TARGET - cy, loy, hiy);
        if (fabs(nx - p.offx) < 1e-3 && fabs(ny - p.offy) < 1e-3) break;
        p.offx = nx, p.offy = ny;
        if (pass == 2) pen_render(out, &p, &cx, &cy);
    }
    if (f) *f = (PreFrame){x0, y0, p.s, p.s, p.offx, p.offy};
    if (info) {
        info->ink = 1;
        preprocess_measure(info, out);
    }
    return 1;
}

int preprocess_restroke(float *out, PreFrame *f, PreInfo *info, const float *img, int w, int h) {
    memset(out, 0, sizeof(float) * PRE_SIDE * PRE_SIDE);
    if (f) memset(f, 0, sizeof *f);
    if (info) memset(info, 0, sizeof *info);
    if (!img || w < 1 || h < 1) return 0;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *m = malloc(n);
    if (!m) return -1;
    for (size_t i = 0; i < n; i++) m[i] = img[i] >= 0.5f;
    if (ink_thin(m, w, h) != 0) {
        free(m);
        return -1;
    }
    /* links to the east, south and the two lower diagonals (unless a corner bridges them), and
     * lone pixels as dots */
    size_t nseg = 0;
    for (int pass = 0; pass < 2; pass++) {
        float *xy = NULL;
        PreStroke *st = NULL;
        if (pass == 1) {
            if (nseg == 0) {
                free(m);
                return 0;
            }
            xy = malloc(sizeof(float) * 4 * nseg);
            st = malloc(sizeof(PreStroke) * nseg);
            if (!xy || !st) {
                free(xy), free(st), free(m);
                return -1;
            }
        }
        size_t k = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (!m[(size_t)y * w + x]) continue;
#define ON(a, b) ((a) >= 0 && (b) >= 0 && (a) < w && (b) < h && m[(size_t)(b) * w + (a)])
                int e = ON(x + 1, y), s = ON(x, y + 1), se = ON(x + 1, y + 1), sw = ON(x - 1, y + 1), we = ON(x - 1, y);
                int lone = !e && !s && !se && !sw && !we && !ON(x, y - 1) && !ON(x - 1, y - 1) && !ON(x + 1, y - 1);
#undef ON
                int to[5][2], nt = 0;
                if (e) to[nt][0] = x + 1, to[nt++][1] = y;
                if (s) to[nt][0] = x, to[nt++][1] = y + 1;
                if (se && !e && !s) to[nt][0] = x + 1, to[nt++][1] = y + 1;
                if (sw && !we && !s) to[nt][0] = x - 1, to[nt++][1] = y + 1;
                if (lone) to[nt][0] = x, to[nt++][1] = y;
                for (int t = 0; t < nt; t++, k++) {
                    if (pass == 0) continue;
                    float *q = xy + 4 * k;
                    q[0] = x + 0.5f, q[1] = y + 0.5f, q[2] = to[t][0] + 0.5f, q[3] = to[t][1] + 0.5f;
                    st[k] = (PreStroke){q, 2};
                }
            }
        if (pass == 0) {
            nseg = k;
            continue;
        }
        int ink = preprocess_strokes(out, f, info, st, (int)nseg);
        free(xy);
        free(st);
        free(m);
        return ink;
    }
    free(m);
    return 0;
}

int preprocess_raster(float *out, PreFrame *f, PreInfo *info, const float *img, int w, int h) {
    PreInfo in;
    memset(&in, 0, sizeof in);
    int ink = preprocess_digit_frame(out, f, img, w, h, 0.05f);
    in.ink = ink;
    if (ink) preprocess_measure(&in, out);
    if (ink && in.width < PRE_WIDTH_MIN) {
        float again[PRE_SIDE * PRE_SIDE];
        PreFrame rf;
        PreInfo ri;
        int rs = preprocess_restroke(again, &rf, &ri, img, w, h);
        if (rs < 0) return -1;
        if (rs == 1 && !ri.near_blank) {
            memcpy(out, again, sizeof again);
            if (f) *f = rf;
            in = ri;
        }
    }
    if (info) *info = in;
    return ink;
}

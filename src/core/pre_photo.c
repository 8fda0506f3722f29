/* pre_photo.c - preprocess_photo: find the paper, then the digit on it. Background surface,
 * polarity, contrast normalisation, threshold, connected parts and the choice of the digit's
 * parts, on a working copy at most WORK_MAX px on its longer side. No files, no state. */
#include "preprocess.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define WORK_MAX 512
/* Background cells: about this many working pixels on a side, at most 8 cells per axis. */
#define CELL_PX 24
#define MAX_CELLS 8

typedef struct {
    int w, h;
    double kx, ky;  /* working pixels per source pixel, per axis */
    float *g;       /* (h, w) grey, 1 = white */
} Work;

static float clampf(float v, float lo, float hi) { return v > lo ? (v < hi ? v : hi) : lo; }

/* Source values clamped to [0,1], NaN as 0.5 (neither ink nor paper). */
static float src_at(const float *img, size_t i) {
    float v = img[i];
    if (v != v) return 0.5f;
    return clampf(v, 0.0f, 1.0f);
}

/* The working copy: img itself when small enough, else an area average onto at most WORK_MAX px
 * on the longer side (each axis at least 1 px). Returns 0 or -1 (out of memory). */
static int work_make(Work *wk, const float *img, int w, int h) {
    int big = w > h ? w : h;
    double k = big > WORK_MAX ? (double)WORK_MAX / big : 1.0;
    int ow = (int)lround(w * k), oh = (int)lround(h * k);
    ow = ow < 1 ? 1 : ow, oh = oh < 1 ? 1 : oh;
    wk->w = ow, wk->h = oh, wk->kx = (double)ow / w, wk->ky = (double)oh / h;
    wk->g = xmalloc_array((size_t)ow * (size_t)oh, sizeof(float));
    if (!wk->g) return -1;
    if (ow == w && oh == h) {
        for (size_t i = 0; i < (size_t)w * (size_t)h; i++) wk->g[i] = src_at(img, i);
        return 0;
    }
    /* separable area average: rows first into a (h, ow) buffer, then columns */
    float *tmp = xmalloc_array((size_t)h * (size_t)ow, sizeof(float));
    if (!tmp) {
        free(wk->g);
        wk->g = NULL;
        return -1;
    }
    const double fx = (double)w / ow, fy = (double)h / oh;
    for (int y = 0; y < h; y++) {
        const float *row = img + (size_t)y * (size_t)w;
        for (int i = 0; i < ow; i++) {
            double a = i * fx, b = (i + 1) * fx, acc = 0;
            for (int x = (int)floor(a); x < w && x < b; x++) {
                double o = fmin(b, x + 1.0) - fmax(a, (double)x);
                if (o > 0) acc += o * src_at(row, (size_t)x);
            }
            tmp[(size_t)y * ow + i] = (float)(acc / (b - a));
        }
    }
    for (int j = 0; j < oh; j++) {
        double a = j * fy, b = (j + 1) * fy;
        for (int i = 0; i < ow; i++) {
            double acc = 0;
            for (int y = (int)floor(a); y < h && y < b; y++) {
                double o = fmin(b, y + 1.0) - fmax(a, (double)y);
                if (o > 0) acc += o * tmp[(size_t)y * ow + i];
            }
            wk->g[(size_t)j * ow + i] = (float)(acc / (b - a));
        }
    }
    free(tmp);
    return 0;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of v[0..n) (sorted in place). */
static float quantile_sorted(float *v, size_t n, double q) {
    if (n == 0) return 0.0f;
    qsort(v, n, sizeof(float), cmp_float);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* Median of the values of a rectangle through a 256-bin histogram. */
static float rect_median(const Work *wk, int x0, int y0, int x1, int y1) {
    unsigned hist[256] = {0}, n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            hist[(int)(wk->g[(size_t)y * wk->w + x] * 255.0f + 0.5f)]++;
            n++;
        }
    unsigned acc = 0;
    for (int b = 0; b < 256; b++) {
        acc += hist[b];
        if (2 * acc >= n) return b / 255.0f;
    }
    return 1.0f;
}

#define NB 10 /* basis functions of the paper surface: up to cubic */

/* Solves the n x n system a x = b (n <= NB) by Gaussian elimination with partial pivoting.
 * Returns 0, or -1 when singular. */
static int solve(double a[NB][NB], double *b, int n) {
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r][c]) > fabs(a[p][c])) p = r;
        if (fabs(a[p][c]) < 1e-12) return -1;
        if (p != c) {
            for (int k = 0; k < n; k++) {
                double t = a[c][k];
                a[c][k] = a[p][k], a[p][k] = t;
            }
            double t = b[c];
            b[c] = b[p], b[p] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = a[r][c] / a[c][c];
            for (int k = c; k < n; k++) a[r][k] -= f * a[c][k];
            b[r] -= f * b[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        for (int k = c + 1; k < n; k++) b[c] -= a[c][k] * b[k];
        b[c] /= a[c][c];
    }
    return 0;
}

static void basis(double u, double v, double *t) {
    t[0] = 1, t[1] = u, t[2] = v, t[3] = u * u, t[4] = u * v, t[5] = v * v;
    t[6] = u * u * u, t[7] = u * u * v, t[8] = u * v * v, t[9] = v * v * v;
}

/* The next lower order of surface: cubic (10 terms), quadratic (6), planar (3), constant (1). */
static int lower(int order) { return order == 10 ? 6 : (order == 6 ? 3 : 1); }

/* The paper's level everywhere: a cubic surface (quadratic, planar or constant with fewer cells)
 * over the cells' medians. The first fit uses the cells along the picture's border only (paper
 * dominates there even when a thick marker covers most of the middle), each refit keeps the
 * cells within 2.5 robust sigmas of the last (so cells mostly covered by ink drop out). Writes
 * coef (NB) in the basis of u, v in [-1, 1]. */
static void paper_fit(const Work *wk, double coef[NB]) {
    int gx = (int)lround((double)wk->w / CELL_PX), gy = (int)lround((double)wk->h / CELL_PX);
    gx = gx < 1 ? 1 : (gx > MAX_CELLS ? MAX_CELLS : gx);
    gy = gy < 1 ? 1 : (gy > MAX_CELLS ? MAX_CELLS : gy);
    double cu[MAX_CELLS * MAX_CELLS], cv[MAX_CELLS * MAX_CELLS], cm[MAX_CELLS * MAX_CELLS];
    int keep[MAX_CELLS * MAX_CELLS], nc = 0;
    const int ringed = gx >= 3 && gy >= 3;
    for (int j = 0; j < gy; j++)
        for (int i = 0; i < gx; i++) {
            int x0 = i * wk->w / gx, x1 = (i + 1) * wk->w / gx, y0 = j * wk->h / gy, y1 = (j + 1) * wk->h / gy;
            if (x1 <= x0 || y1 <= y0) continue;
            cu[nc] = 2.0 * (x0 + x1) / 2.0 / wk->w - 1.0;
            cv[nc] = 2.0 * (y0 + y1) / 2.0 / wk->h - 1.0;
            cm[nc] = rect_median(wk, x0, y0, x1, y1);
            keep[nc++] = !ringed || i == 0 || j == 0 || i == gx - 1 || j == gy - 1;
        }
    const int full = gx >= 5 && gy >= 5 ? 10 : (ringed ? 6 : (gx * gy >= 3 && gx >= 2 && gy >= 2 ? 3 : 1));
    memset(coef, 0, sizeof(double) * NB);
    for (int it = 0; it < 6; it++) {
        int used = 0;
        for (int c = 0; c < nc; c++) used += keep[c];
        int order = it == 0 && ringed ? (full < 3 ? full : 3) : full; /* the border ring alone: a plane */
        while (order > 1 && used < order + 2) order = lower(order);
        double a[NB][NB] = {{0}}, b[NB] = {0}, t[NB];
        if (order == 1) {
            float v[MAX_CELLS * MAX_CELLS];
            int n = 0;
            for (int c = 0; c < nc; c++)
                if (keep[c] || used == 0) v[n++] = (float)cm[c];
            memset(coef, 0, sizeof(double) * NB);
            coef[0] = quantile_sorted(v, (size_t)n, 0.5);
        } else {
            for (int c = 0; c < nc; c++) {
                if (!keep[c]) continue;
                basis(cu[c], cv[c], t);
                for (int r = 0; r < order; r++) {
                    b[r] += t[r] * cm[c];
                    for (int k = 0; k < order; k++) a[r][k] += t[r] * t[k];
                }
            }
            if (solve(a, b, order) != 0) continue; /* keep the last fit */
            memset(coef, 0, sizeof(double) * NB);
            for (int r = 0; r < order; r++) coef[r] = b[r];
        }
        if (it == 5) break;
        float res[MAX_CELLS * MAX_CELLS], kept_res[MAX_CELLS * MAX_CELLS];
        int nk = 0;
        for (int c = 0; c < nc; c++) {
            basis(cu[c], cv[c], t);
            double p = 0;
            for (int r = 0; r < NB; r++) p += coef[r] * t[r];
            res[c] = (float)fabs(cm[c] - p);
            if (keep[c]) kept_res[nk++] = res[c];
        }
        double sig = 1.4826 * quantile_sorted(kept_res, (size_t)nk, 0.5);
        double lim = 2.5 * (sig > 0.01 ? sig : 0.01);
        for (int c = 0; c < nc; c++) keep[c] = res[c] <= lim;
    }
}

/* Local paper cells: about 1/16 of the longer side (at least 6 px and the strokes' width), at
 * most this many per axis (fewer than 3: no local paper). */
#define LOCAL_CELLS 20

/* q[j][i] = the quant-quantile of g's cell (i, j) on a gx by gy grid over W x H. s is scratch. */
static void grid_quantiles(float q[LOCAL_CELLS][LOCAL_CELLS], const float *g, int W, int H, int gx, int gy, double quant,
                           float *s) {
    for (int j = 0; j < gy; j++)
        for (int i = 0; i < gx; i++) {
            int x0 = i * W / gx, x1 = (i + 1) * W / gx, y0 = j * H / gy, y1 = (j + 1) * H / gy;
            size_t k = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) s[k++] = g[(size_t)y * W + x];
            q[j][i] = quantile_sorted(s, k, quant);
        }
}

/* The grid's value at pixel (x, y) of W x H, bilinear between cell centres (clamped at the edges). */
static float grid_at(const float q[LOCAL_CELLS][LOCAL_CELLS], int gx, int gy, int W, int H, int x, int y) {
    double fy = (y + 0.5) * gy / H - 0.5, fx = (x + 0.5) * gx / W - 0.5;
    fy = fy < 0 ? 0 : (fy > gy - 1 ? gy - 1 : fy);
    fx = fx < 0 ? 0 : (fx > gx - 1 ? gx - 1 : fx);
    int j0 = (int)fy < gy - 1 ? (int)fy : gy - 2, i0 = (int)fx < gx - 1 ? (int)fx : gx - 2;
    double wy = fy - j0, wx = fx - i0;
    return (float)((1 - wy) * ((1 - wx) * q[j0][i0] + wx * q[j0][i0 + 1]) + wy * ((1 - wx) * q[j0 + 1][i0] + wx * q[j0 + 1][i0 + 1]));
}

/* The paper as a grey closing at the scale of a few cells: each cell's 90th percentile (10th for
 * light ink), then the maximum over the 3x3 cells around, then the minimum over those (so ink
 * narrower than about two cells drops out and the paper's own shape, a shadow's edge, a fold,
 * stays), interpolated bilinearly between cell centres. Where it lies on the ink's side of the
 * surface bg (n), it replaces it: the surface cannot follow a shadow's edge, and paper darker
 * than the surface reads as ink. s (n) is scratch. Returns 1, or 0 (bg untouched) for a picture
 * too small for it. */
static int paper_local(float *bg, const float *g, int W, int H, int dark, double width, float *s) {
    int big = W > H ? W : H, c = big / 16 > 6 ? big / 16 : 6;
    if (c < width) c = (int)ceil(width);
    int gx = (W + c - 1) / c, gy = (H + c - 1) / c;
    /* a picture under 64 px (a scan's bitmap, an input-sized image) has no shadows to follow */
    if (big < 64 || gx < 3 || gy < 3 || gx > LOCAL_CELLS || gy > LOCAL_CELLS) return 0;
    float q[LOCAL_CELLS][LOCAL_CELLS], t[LOCAL_CELLS][LOCAL_CELLS];
    grid_quantiles(q, g, W, H, gx, gy, dark ? 0.9 : 0.1, s);
    /* dilate then erode on the cell grid, towards the paper's side */
    for (int pass = 0; pass < 2; pass++) {
        int up = (pass == 0) == (dark != 0); /* dark ink: max first */
        for (int j = 0; j < gy; j++)
            for (int i = 0; i < gx; i++) {
                float v = q[j][i];
                for (int b = j - 1; b <= j + 1; b++)
                    for (int a = i - 1; a <= i + 1; a++) {
                        if (a < 0 || b < 0 || a >= gx || b >= gy) continue;
                        v = up ? (q[b][a] > v ? q[b][a] : v) : (q[b][a] < v ? q[b][a] : v);
                    }
                t[j][i] = v;
            }
        memcpy(q, t, sizeof q);
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float v = grid_at(q, gx, gy, W, H, x, y), *b = &bg[(size_t)y * W + x];
            if (dark ? v < *b : v > *b) *b = v;
        }
    return 1;
}

/* The polarity's evidence against a background that follows shadows: each cell's median (ink
 * covers less than half of most cells, a shadow all of some), the median over the 3x3 cells
 * around, interpolated bilinearly. Adds to *dark and *light how far pixels stand out of it, past
 * 4 noise sigmas, on each side: a shadow's edge stands out on both sides about alike, ink on one.
 * s (n) is scratch. Returns 0, or -1 for a picture too small for cells (the sums untouched). */
static int polarity_local(const float *g, int W, int H, float sigma, float *s, double *dark, double *light) {
    enum { CELLS = 10 };
    if (W < 3 * CELLS || H < 3 * CELLS || (W > H ? W : H) < 64) return -1;
    float q[LOCAL_CELLS][LOCAL_CELLS], t[LOCAL_CELLS][LOCAL_CELLS], nine[9];
    grid_quantiles(q, g, W, H, CELLS, CELLS, 0.5, s);
    for (int j = 0; j < CELLS; j++)
        for (int i = 0; i < CELLS; i++) {
            size_t k = 0;
            for (int b = j - 1; b <= j + 1; b++)
                for (int a = i - 1; a <= i + 1; a++)
                    if (a >= 0 && b >= 0 && a < CELLS && b < CELLS) nine[k++] = q[b][a];
            t[j][i] = quantile_sorted(nine, k, 0.5);
        }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double r = g[(size_t)y * W + x] - grid_at(t, CELLS, CELLS, W, H, x, y);
            if (-r > 4 * sigma) *dark += -r - 4 * sigma;
            if (r > 4 * sigma) *light += r - 4 * sigma;
        }
    return 0;
}

/* Union-find over labels. */
static int uf_find(int *p, int a) {
    while (p[a] != a) a = p[a] = p[p[a]];
    return a;
}

typedef struct {
    double mass;
    long area;
    int x0, y0, x1, y1;
    int border, kept;
} Part;

/* Everything the pipeline computes on the working copy; ink (h, w) is the cleaned result. */
typedef struct {
    Work wk;
    float *ink;
    int bx0, by0, bx1, by1; /* box of the kept ink (inclusive) */
    PreInfo info;
} Found;

/* d (n) = how far each pixel is from its paper bg towards the ink, in paper units (dark ink:
 * (bg - g) / bg; light ink: (g - bg) / (1 - bg)). */
static void contrast(float *d, const float *g, const float *bg, size_t n, int dark) {
    for (size_t i = 0; i < n; i++) {
        float b = bg[i];
        float u = dark ? (b > 0.05f ? b : 0.05f) : (1.0f - b > 0.05f ? 1.0f - b : 0.05f);
        d[i] = (dark ? b - g[i] : g[i] - b) / u;
    }
}

/* From the contrast d (n): subtracts the paper's offset (the median of the values under 4 noise
 * sigmas), then finds the ink's level (90th
 * percentile of what stands 4 noise sigmas out) and the threshold max(4 sigmas, min(Otsu over
 * what stands 2 sigmas out, half the level)). s (n) is scratch. Returns 0, or 1 when nothing
 * stands out (fewer than 2 pixels, or a level under 6 sigmas). */
static int ink_levels(float *d, float *s, size_t n, float sig_n, float floor_n, float *level_out, float *thr_out) {
    /* the paper's own offset: the median of what is not ink-like (a fit a little off the paper) */
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] < 4 * sig_n) s[np++] = d[i];
    float dmed = np ? quantile_sorted(s, np, 0.5) : 0.0f;
    for (size_t i = 0; i < n; i++) d[i] -= dmed;
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] > 4 * sig_n) s[nc++] = d[i];
    if (nc < 2) return 1;
    float level = quantile_sorted(s, nc, 0.9);
    if (level < 6 * sig_n) return 1;
    double hist[64] = {0}, tot = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        float v = d[i];
        if (v <= 2 * sig_n) continue;
        int b = (int)(v / level * 63.0f);
        b = b > 63 ? 63 : b;
        hist[b]++, tot++, sum += b;
    }
    double wb = 0, sb = 0, best = -1;
    int tb = 32;
    for (int b = 0; b < 63; b++) {
        wb += hist[b], sb += b * hist[b];
        if (wb == 0 || wb == tot) continue;
        double mb = sb / wb, mf = (sum - sb) / (tot - wb), between = wb * (tot - wb) * (mb - mf) * (mb - mf);
        if (between > best) best = between, tb = b;
    }
    float otsu = (tb + 1) / 63.0f * level;
    float thr = otsu < 0.5f * level ? otsu : 0.5f * level;
    *level_out = level;
    if (thr < 4 * sig_n) thr = 4 * sig_n;
    *thr_out = thr < floor_n ? floor_n : thr;
    return 0;
}

/* Runs the paper and ink search on img. Returns 1 with f filled (caller frees f->wk.g and
 * f->ink), 0 for no ink (nothing left allocated), -1 out of memory. */
static int photo_find(Found *fd, const float *img, int w, int h, char *err) {
    memset(fd, 0, sizeof *fd);
    if (!img || w < 1 || h < 1) return 0;
    Work *wk = &fd->wk;
    if (work_make(wk, img, w, h) != 0) return err_set(err, "out of memory for a %dx%d photo", w, h);
    const int W = wk->w, H = wk->h;
    const size_t n = (size_t)W * (size_t)H;
    float *d = xmalloc_array(n, sizeof(float)), *tmp = xmalloc_array(n, sizeof(float));
    int *lab = xmalloc_array(n, sizeof(int));
    Part *parts = NULL;
    if (!d || !tmp || !lab) goto oom;

    double coef[NB], t6[NB], paper = 0, dark_score = 0, light_score = 0;
    paper_fit(wk, coef);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            basis(2.0 * (x + 0.5) / W - 1.0, 2.0 * (y + 0.5) / H - 1.0, t6);
            double bg = 0;
            for (int r = 0; r < NB; r++) bg += coef[r] * t6[r];
            bg = bg < 0.0 ? 0.0 : (bg > 1.0 ? 1.0 : bg);
            tmp[(size_t)y * W + x] = (float)bg;
            paper += bg;
        }
    paper /= (double)n;
    /* the residual from the paper; its noise from neighbour differences, which large ink areas
     * (a thick marker, a tight crop) do not inflate as they would the residual's own spread */
    for (size_t i = 0; i < n; i++) d[i] = wk->g[i] - tmp[i];
    float *s = xmalloc_array(n, sizeof(float));
    if (!s) goto oom;
    float sigma = 1.0f / 255.0f;
    if (W > 1) {
        size_t k = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x + 1 < W; x++) s[k++] = fabsf(wk->g[(size_t)y * W + x + 1] - wk->g[(size_t)y * W + x]);
        float sd = 1.4826f * quantile_sorted(s, k, 0.5) / 1.41421356f;
        sigma = sd > sigma ? sd : sigma;
    }
    /* the residual is measured from the paper surface itself, not from its median: a thick marker
     * may cover most of the picture */
    for (size_t i = 0; i < n; i++) {
        float r = d[i];
        if (-r > 4 * sigma) dark_score += -r - 4 * sigma;
        if (r > 4 * sigma) light_score += r - 4 * sigma;
    }
    int dark = light_score > 2 * dark_score ? 0 : (dark_score > 2 * light_score ? 1 : paper >= 0.5);
    /* a shadow's edge outweighs faint ink on the surface's residual (and grey paper in shadow
     * can average under 0.5): against the cell medians, where the shadow is background, the ink's
     * side wins by a clear margin or the surface's answer stands */
    double dark_local = 0, light_local = 0;
    if (polarity_local(wk->g, W, H, sigma, s, &dark_local, &light_local) == 0) {
        if (dark_local > 3 * light_local) dark = 1;
        else if (light_local > 3 * dark_local) dark = 0;
    }
    float unit = dark ? (float)(paper > 0.05 ? paper : 0.05) : (float)(1.0 - paper > 0.05 ? 1.0 - paper : 0.05);
    float sig_n = sigma / unit, level, thr;
    fd->info.dark_ink = dark;
    fd->info.paper = (float)paper;
    fd->info.noise = sig_n;
    contrast(d, wk->g, tmp, n, dark);
    int rc_levels = ink_levels(d, s, n, sig_n, 0.0f, &level, &thr);
    /* the strokes' width from the surface's ink (twice the area over the perimeter of what stands
     * at least half the ink's level out), so that the local paper's cells are wider than them */
    double width = 0;
    if (rc_levels == 0) {
        long area = 0, perim = 0;
        float strong = thr > 0.5f * level ? thr : 0.5f * level;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t i = (size_t)y * W + x;
                if (!(d[i] > strong)) continue;
                area++;
                perim += x == 0 || x == W - 1 || y == 0 || y == H - 1 || !(d[i - 1] > strong) || !(d[i + 1] > strong) ||
                         !(d[i - W] > strong) || !(d[i + W] > strong);
            }
        width = perim ? 2.0 * area / perim : 0;
    }
    const int local = paper_local(tmp, wk->g, W, H, dark, width, s);
    float floor_n = 0;
    /* a threshold floor from the noise measured again, as the residual to the local paper on its
     * paper side (upper quartile to median, for dark ink): JPEG's blocks are flat inside, so
     * neighbour differences alone miss their steps, and their edges stand out as ink */
    size_t inky = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = wk->g[i] - tmp[i];
        inky += dark ? s[i] < -4 * sigma : s[i] > 4 * sigma;
    }
    if (local && inky < n / 4) { /* the quartiles are the paper's only while ink is a small part */
        float q50 = quantile_sorted(s, n, 0.5), qs = s[(size_t)((dark ? 0.75 : 0.25) * (double)(n - 1) + 0.5)];
        float sr = (dark ? qs - q50 : q50 - qs) / 0.6745f;
        floor_n = 3.0f * sr / unit; /* 3 sigmas: chosen on the photo set (2 and 3 alike, 4 and 5 lost pencil) */
    }
    contrast(d, wk->g, tmp, n, dark);
    rc_levels = ink_levels(d, s, n, sig_n, floor_n, &level, &thr);
    free(s);
    if (rc_levels != 0) goto blank;

    /* parts: 8-connected over the mask grown by one pixel, so hairline gaps join. lab[i] is
     * pixel i's label (-1 off the mask); par[] the union-find parents of the labels. */
    int nl = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int on = 0;
            for (int j = y - 1; j <= y + 1 && !on; j++)
                for (int i = x - 1; i <= x + 1 && !on; i++)
                    on = i >= 0 && j >= 0 && i < W && j < H && d[(size_t)j * W + i] > thr;
            lab[(size_t)y * W + x] = on ? nl++ : -1;
        }
    if (nl == 0) goto blank;
    int *par = malloc(sizeof(int) * (size_t)nl);
    if (!par) goto oom;
    for (int k = 0; k < nl; k++) par[k] = k;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int a = lab[(size_t)y * W + x];
            if (a < 0) continue;
            static const int ox[4] = {-1, -1, 0, 1}, oy[4] = {0, -1, -1, -1};
            for (int k = 0; k < 4; k++) {
                int i = x + ox[k], j = y + oy[k];
                if (i < 0 || j < 0 || i >= W) continue;
                int b = lab[(size_t)j * W + i];
                if (b < 0) continue;
                int ra = uf_find(par, a), rb = uf_find(par, b);
                if (ra != rb) par[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
        }
    /* compact part ids: a root's first pixel opens a part; lab[] then holds part ids */
    int np = 0;
    int *id = malloc(sizeof(int) * (size_t)nl);
    parts = calloc((size_t)nl, sizeof(Part));
    if (!id || !parts) {
        free(id);
        free(par);
        goto oom;
    }
    for (int k = 0; k < nl; k++) id[k] = -1;
    for (size_t i = 0; i < n; i++) {
        if (lab[i] < 0) continue;
        int r = uf_find(par, lab[i]);
        if (id[r] < 0) {
            id[r] = np;
            Part *p = &parts[np++];
            p->x0 = W, p->y0 = H, p->x1 = -1, p->y1 = -1;
        }
        lab[i] = id[r];
    }
    free(id);
    free(par);
    int *pix_part = lab;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            int q = pix_part[i];
            if (q < 0 || !(d[i] > thr)) continue;
            Part *p = &parts[q];
            p->mass += d[i] / level, p->area++;
            p->x0 = x < p->x0 ? x : p->x0, p->x1 = x > p->x1 ? x : p->x1;
            p->y0 = y < p->y0 ? y : p->y0, p->y1 = y > p->y1 ? y : p->y1;
        }
    /* choose: the heaviest part weighted by how central it is, among the parts not touching the
     * border (page edges, shadows, frames, ruled lines) that are at least 4% of the picture across
     * and 3% as heavy as the heaviest border part; only when there is none, among all parts */
    int main = -1;
    double cxm = W / 2.0, cym = H / 2.0, half_diag = 0.5 * sqrt((double)W * W + (double)H * H), border_mass = 0;
    for (int q = 0; q < np; q++) {
        Part *p = &parts[q];
        p->border = p->area && (p->x0 <= 0 || p->y0 <= 0 || p->x1 >= W - 1 || p->y1 >= H - 1);
        if (p->border && p->mass > border_mass) border_mass = p->mass;
    }
    for (int pass = 0; pass < 2 && main < 0; pass++) {
        double best_score = 0;
        for (int q = 0; q < np; q++) {
            Part *p = &parts[q];
            if (p->area == 0) continue;
            int across = (p->x1 - p->x0 > p->y1 - p->y0 ? p->x1 - p->x0 : p->y1 - p->y0) + 1;
            int spans = p->x1 - p->x0 + 1 >= 0.9 * W || p->y1 - p->y0 + 1 >= 0.9 * H;
            if (pass == 0 && (p->border || spans || across < 0.04 * (W > H ? W : H) || p->mass < 0.03 * border_mass))
                continue;
            double dx = (p->x0 + p->x1 + 1) / 2.0 - cxm, dy = (p->y0 + p->y1 + 1) / 2.0 - cym;
            double cw = 1.0 - 0.6 * fmin(1.0, sqrt(dx * dx + dy * dy) / half_diag);
            double score = p->mass * cw;
            if (score > best_score) best_score = score, main = q;
        }
    }
    if (main < 0) goto blank;
    parts[main].kept = 1;
    int bx0 = parts[main].x0, by0 = parts[main].y0, bx1 = parts[main].x1, by1 = parts[main].y1;
    const double main_mass = parts[main].mass;
    const int main_across = (bx1 - bx0 > by1 - by0 ? bx1 - bx0 : by1 - by0) + 1;
    int kept = 1;
    for (int round = 0, grew = 1; round < 4 && grew; round++) {
        grew = 0;
        double side = fmax(bx1 - bx0 + 1, by1 - by0 + 1), m = 0.35 * side;
        for (int q = 0; q < np; q++) {
            Part *p = &parts[q];
            if (p->kept || p->area == 0 || (p->border && !parts[main].border)) continue;
            int across = (p->x1 - p->x0 > p->y1 - p->y0 ? p->x1 - p->x0 : p->y1 - p->y0) + 1;
            if (p->mass < 0.08 * main_mass || across < 0.15 * main_across) continue; /* specks */
            if (p->x1 < bx0 - m || p->x0 > bx1 + m || p->y1 < by0 - m || p->y0 > by1 + m) continue;
            p->kept = 1, kept++, grew = 1;
            bx0 = p->x0 < bx0 ? p->x0 : bx0, by0 = p->y0 < by0 ? p->y0 : by0;
            bx1 = p->x1 > bx1 ? p->x1 : bx1, by1 = p->y1 > by1 ? p->y1 : by1;
        }
    }
    /* hysteresis, in pictures under 64 px (a scan's bitmap, a thumbnail): the kept parts grow
     * into the 8-connected pixels above half the threshold (at least 3 noise sigmas), so a
     * stroke's fainter stretch, which there is blur and not noise (a coarse scan's lighter side
     * of a 0), stays with it instead of being cut off at the threshold. In larger photos the same
     * growth took in JPEG's and the lens's halo round the strokes and read worse (the photo set:
     * 97.2% -> 96.7%), so there the kept parts stay as thresholded. */
    uint8_t *on = calloc(n, 1);
    int *queue = xmalloc_array(n, sizeof(int));
    if (!on || !queue) {
        free(on), free(queue);
        goto oom;
    }
    const int small = (W > H ? W : H) < 64;
    const float low = !small ? INFINITY : 0.5f * thr > 3 * sig_n ? 0.5f * thr : 3 * sig_n;
    size_t qh = 0, qt = 0;
    for (size_t i = 0; i < n; i++)
        if (pix_part[i] >= 0 && parts[pix_part[i]].kept && d[i] > thr) on[i] = 1, queue[qt++] = (int)i;
    while (qh < qt) {
        int i = queue[qh++], x = i % W, y = i / W;
        bx0 = x < bx0 ? x : bx0, bx1 = x > bx1 ? x : bx1, by0 = y < by0 ? y : by0, by1 = y > by1 ? y : by1;
        for (int j = y - 1; j <= y + 1; j++)
            for (int a = x - 1; a <= x + 1; a++) {
                if (a < 0 || j < 0 || a >= W || j >= H) continue;
                size_t k = (size_t)j * W + a;
                if (!on[k] && d[k] > low) on[k] = 1, queue[qt++] = (int)k;
            }
    }
    free(queue);
    /* the kept ink with its own grey levels: what lies within a pixel of the grown mask, from 2
     * noise sigmas (0) to the ink's level (1) */
    float *ink = tmp; /* the background is no longer needed */
    memset(ink, 0, n * sizeof(float));
    const float lo = 2 * sig_n;
    for (int y = by0 - 1 < 0 ? 0 : by0 - 1; y <= by1 + 1 && y < H; y++)
        for (int x = bx0 - 1 < 0 ? 0 : bx0 - 1; x <= bx1 + 1 && x < W; x++) {
            int near = 0;
            for (int j = y - 1; j <= y + 1 && !near; j++)
                for (int i = x - 1; i <= x + 1 && !near; i++)
                    near = i >= 0 && j >= 0 && i < W && j < H && on[(size_t)j * W + i];
            if (near) ink[(size_t)y * W + x] = clampf((d[(size_t)y * W + x] - lo) / (level - lo), 0.0f, 1.0f);
        }
    free(on);
    fd->ink = ink;
    fd->bx0 = bx0 - 1 < 0 ? 0 : bx0 - 1, fd->by0 = by0 - 1 < 0 ? 0 : by0 - 1;
    fd->bx1 = bx1 + 1 >= W ? W - 1 : bx1 + 1, fd->by1 = by1 + 1 >= H ? H - 1 : by1 + 1;
    fd->info.components = np;
    fd->info.kept = kept;
    fd->info.contrast = level;
    free(parts);
    free(lab);
    free(d);
    return 1;
blank:
    free(parts);
    free(lab);
    free(d);
    free(tmp);
    free(wk->g);
    wk->g = NULL;
    return 0;
oom:
    free(parts);
    free(lab);
    free(d);
    free(tmp);
    free(wk->g);
    wk->g = NULL;
    return err_set(err, "out of memory for a %dx%d photo", w, h);
}

int preprocess_photo(float *out, PreFrame *f, PreInfo *info, const float *img, int w, int h, char *err) {
    memset(out, 0, sizeof(float) * PRE_SIDE * PRE_SIDE);
    if (f) memset(f, 0, sizeof *f);
    Found fd;
    int rc = photo_find(&fd, img, w, h, err);
    if (info) *info = fd.info;
    if (rc <= 0) return rc;
    /* the crop of the kept ink, fitted like any raster */
    int cw = fd.bx1 - fd.bx0 + 1, ch = fd.by1 - fd.by0 + 1;
    float *crop = xmalloc_array((size_t)cw * (size_t)ch, sizeof(float));
    if (!crop) {
        free(fd.ink);
        free(fd.wk.g);
        return err_set(err, "out of memory for a %dx%d photo", w, h);
    }
    for (int y = 0; y < ch; y++)
        memcpy(crop + (size_t)y * cw, fd.ink + (size_t)(fd.by0 + y) * fd.wk.w + fd.bx0, sizeof(float) * (size_t)cw);
    PreFrame cf;
    PreInfo ri;
    int ink = preprocess_raster(out, &cf, &ri, crop, cw, ch);
    if (ink < 0) {
        free(crop), free(fd.ink), free(fd.wk.g);
        return err_set(err, "out of memory for a %dx%d photo", w, h);
    }
    fd.info.ink = ink;
    fd.info.width = ri.width, fd.info.skeleton = ri.skeleton;
    fd.info.near_blank = ri.near_blank, fd.info.odd_shape = ri.odd_shape;
    free(crop);
    free(fd.ink);
    free(fd.wk.g);
    if (info) *info = fd.info;
    if (f && ink)
        *f = (PreFrame){(fd.bx0 + cf.x0) / fd.wk.kx, (fd.by0 + cf.y0) / fd.wk.ky, cf.sx * fd.wk.kx, cf.sy * fd.wk.ky,
                        cf.offx, cf.offy};
    return ink;
}

int preprocess_photo_ink(float **ink, int *iw, int *ih, PreInfo *info, const float *img, int w, int h, char *err) {
    Found fd;
    int rc = photo_find(&fd, img, w, h, err);
    if (info) *info = fd.info;
    if (rc <= 0) return rc;
    /* a margin of a sixth of the box's longer side, so the canvas shows the digit with paper round it */
    int bw = fd.bx1 - fd.bx0 + 1, bh = fd.by1 - fd.by0 + 1, m = (bw > bh ? bw : bh) / 6 + 1;
    int cw = bw + 2 * m, ch = bh + 2 * m;
    float *out = xcalloc((size_t)cw * (size_t)ch, sizeof(float));
    if (!out) {
        free(fd.ink);
        free(fd.wk.g);
        return err_set(err, "out of memory for a %dx%d photo", w, h);
    }
    for (int y = 0; y < bh; y++)
        memcpy(out + (size_t)(y + m) * cw + m, fd.ink + (size_t)(fd.by0 + y) * fd.wk.w + fd.bx0, sizeof(float) * (size_t)bw);
    free(fd.ink);
    free(fd.wk.g);
    if (info) info->ink = 1;
    *ink = out, *iw = cw, *ih = ch;
    return 1;
}

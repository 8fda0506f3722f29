/* canvas.c - stroke rasterisation (round anti-aliased brush swept along segments), undo by
 * replaying the stroke list, and the demo digits used for screenshots. */
#include "canvas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int canvas_init(Canvas *c, int side, char *err) {
    memset(c, 0, sizeof *c);
    if (side < 8 || side > 4096) return err_set(err, "canvas: side %d out of range", side);
    c->side = side;
    c->px = xcalloc((size_t)side * side, sizeof(float));
    if (!c->px) return err_set(err, "canvas: out of memory");
    c->radius = CANVAS_PEN_FRAC * (float)side;
    return 0;
}

static void strokes_drop(Canvas *c) {
    for (int i = 0; i < c->nstrokes; i++) free(c->strokes[i].xy);
    c->nstrokes = 0;
    c->active = 0;
}

void canvas_free(Canvas *c) {
    strokes_drop(c);
    free(c->strokes);
    free(c->px);
    free(c->base);
    memset(c, 0, sizeof *c);
}

static float brush_radius(const Canvas *c, StrokeKind k) {
    return k == STROKE_ERASE ? c->radius * CANVAS_ERASER_SCALE : c->radius;
}

/* Sweeps the brush along (x0,y0)-(x1,y1): each pixel within reach gets the brush value of its
 * distance to the segment; drawing keeps the max, erasing keeps min(old, 1 - value). */
static void raster_segment(Canvas *c, StrokeKind kind, float x0, float y0, float x1, float y1) {
    const float r = brush_radius(c, kind);
    const float soft = r * 0.35f > 1.0f ? r * 0.35f : 1.0f; /* width of the anti-aliased rim */
    const float reach = r + soft * 0.5f;
    const int S = c->side;
    int ia = (int)floorf(fminf(x0, x1) - reach), ib = (int)ceilf(fmaxf(x0, x1) + reach);
    int ja = (int)floorf(fminf(y0, y1) - reach), jb = (int)ceilf(fmaxf(y0, y1) + reach);
    if (ia < 0) ia = 0;
    if (ja < 0) ja = 0;
    if (ib > S - 1) ib = S - 1;
    if (jb > S - 1) jb = S - 1;
    const float dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    for (int j = ja; j <= jb; j++) {
        float *row = c->px + (size_t)j * S;
        for (int i = ia; i <= ib; i++) {
            float px = (float)i + 0.5f - x0, py = (float)j + 0.5f - y0; /* pixel centre */
            float t = len2 > 0 ? (px * dx + py * dy) / len2 : 0.0f;
            if (t < 0) t = 0;
            if (t > 1) t = 1;
            float ex = px - t * dx, ey = py - t * dy;
            float d = sqrtf(ex * ex + ey * ey);
            float v = (r - d) / soft + 0.5f;
            if (v <= 0) continue;
            if (v > 1) v = 1;
            if (kind == STROKE_ERASE) {
                if (row[i] > 1.0f - v) row[i] = 1.0f - v;
            } else if (row[i] < v) {
                row[i] = v;
            }
        }
    }
}

static void raster_reset(Canvas *c) {
    size_t n = (size_t)c->side * c->side;
    if (c->base)
        memcpy(c->px, c->base, n * sizeof(float));
    else
        memset(c->px, 0, n * sizeof(float));
}

static void raster_stroke(Canvas *c, const Stroke *s) {
    if (s->kind == STROKE_CLEAR) {
        memset(c->px, 0, (size_t)c->side * c->side * sizeof(float));
        return;
    }
    for (int i = 0; i < s->n; i++) {
        int a = i > 0 ? i - 1 : 0;
        raster_segment(c, s->kind, s->xy[2 * a], s->xy[2 * a + 1], s->xy[2 * i], s->xy[2 * i + 1]);
    }
}

static Stroke *stroke_push(Canvas *c, StrokeKind kind) {
    if (c->nstrokes == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        Stroke *p = realloc(c->strokes, sizeof(Stroke) * (size_t)cap);
        if (!p) return NULL;
        c->strokes = p;
        c->cap = cap;
    }
    Stroke *s = &c->strokes[c->nstrokes++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    return s;
}

static int point_push(Stroke *s, float x, float y) {
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        float *p = realloc(s->xy, sizeof(float) * 2 * (size_t)cap);
        if (!p) return -1;
        s->xy = p;
        s->cap = cap;
    }
    s->xy[2 * s->n] = x;
    s->xy[2 * s->n + 1] = y;
    s->n++;
    return 0;
}

int canvas_stroke_begin(Canvas *c, float x, float y, int erase) {
    canvas_stroke_end(c);
    Stroke *s = stroke_push(c, erase ? STROKE_ERASE : STROKE_DRAW);
    if (!s) return -1;
    if (point_push(s, x, y) != 0) {
        c->nstrokes--;
        return -1;
    }
    c->active = 1;
    raster_segment(c, s->kind, x, y, x, y);
    c->version++;
    return 0;
}

int canvas_stroke_extend(Canvas *c, float x, float y) {
    if (!c->active || c->nstrokes == 0) return 0;
    Stroke *s = &c->strokes[c->nstrokes - 1];
    float px = s->xy[2 * (s->n - 1)], py = s->xy[2 * (s->n - 1) + 1];
    if (fabsf(px - x) < 0.25f && fabsf(py - y) < 0.25f) return 0; /* sub-pixel jitter */
    if (point_push(s, x, y) != 0) return -1;
    raster_segment(c, s->kind, px, py, x, y);
    c->version++;
    return 0;
}

void canvas_stroke_end(Canvas *c) { c->active = 0; }

int canvas_undo(Canvas *c) {
    canvas_stroke_end(c);
    if (c->nstrokes == 0) return 0;
    free(c->strokes[--c->nstrokes].xy);
    raster_reset(c);
    for (int i = 0; i < c->nstrokes; i++) raster_stroke(c, &c->strokes[i]);
    c->version++;
    return 1;
}

int canvas_is_blank(const Canvas *c) {
    size_t n = (size_t)c->side * c->side;
    for (size_t i = 0; i < n; i++)
        if (c->px[i] > 0.0f) return 0;
    return 1;
}

int canvas_clear(Canvas *c) {
    canvas_stroke_end(c);
    if (canvas_is_blank(c)) return 0;
    if (!stroke_push(c, STROKE_CLEAR)) {
        /* out of memory: clear without undo rather than not at all */
        strokes_drop(c);
        free(c->base);
        c->base = NULL;
    }
    memset(c->px, 0, (size_t)c->side * c->side * sizeof(float));
    c->version++;
    return 1;
}

int canvas_set_image(Canvas *c, const float *img, int w, int h) {
    const int S = c->side;
    float *base = xcalloc((size_t)S * S, sizeof(float));
    if (!base) return -1;
    /* fit the longer side to S, centred; each canvas pixel averages the source area it covers */
    double scale = (double)S / (w > h ? w : h);
    double ox = (S - w * scale) / 2, oy = (S - h * scale) / 2;
    for (int j = 0; j < S; j++) {
        for (int i = 0; i < S; i++) {
            double sx0 = (i - ox) / scale, sx1 = (i + 1 - ox) / scale;
            double sy0 = (j - oy) / scale, sy1 = (j + 1 - oy) / scale;
            if (sx1 <= 0 || sy1 <= 0 || sx0 >= w || sy0 >= h) continue;
            double acc = 0, area = 0;
            for (int y = (int)floor(sy0 < 0 ? 0 : sy0); y < h && y < sy1; y++) {
                double oyv = fmin(sy1, y + 1) - fmax(sy0, y);
                if (oyv <= 0) continue;
                for (int x = (int)floor(sx0 < 0 ? 0 : sx0); x < w && x < sx1; x++) {
                    double oxv = fmin(sx1, x + 1) - fmax(sx0, x);
                    if (oxv <= 0) continue;
                    float v = img[(size_t)y * w + x];
                    v = v > 0 ? (v < 1 ? v : 1) : 0;
                    acc += v * oxv * oyv;
                    area += oxv * oyv;
                }
            }
            base[(size_t)j * S + i] = area > 0 ? (float)(acc / area) : 0.0f;
        }
    }
    strokes_drop(c);
    free(c->base);
    c->base = base;
    raster_reset(c);
    c->version++;
    return 0;
}

/* Demo digits: polylines in unit coordinates, smoothed with Catmull-Rom when drawn. */
typedef struct {
    int nstrokes;
    int n[2];
    float p[2][14][2];
} DemoDigit;

static const DemoDigit DEMO[10] = {
    {1, {13}, {{{.50f, .13f}, {.36f, .18f}, {.28f, .33f}, {.26f, .50f}, {.29f, .68f}, {.38f, .83f}, {.50f, .87f},
               {.62f, .82f}, {.71f, .67f}, {.73f, .50f}, {.70f, .32f}, {.62f, .18f}, {.50f, .13f}}}},
    {1, {3}, {{{.38f, .27f}, {.54f, .13f}, {.54f, .87f}}}},
    {1, {10}, {{{.29f, .30f}, {.36f, .18f}, {.50f, .13f}, {.64f, .18f}, {.69f, .30f}, {.64f, .45f}, {.50f, .60f},
               {.31f, .85f}, {.50f, .85f}, {.72f, .85f}}}},
    {1, {11}, {{{.30f, .20f}, {.45f, .13f}, {.61f, .16f}, {.67f, .29f}, {.59f, .42f}, {.45f, .47f}, {.61f, .52f},
               {.70f, .66f}, {.64f, .81f}, {.49f, .87f}, {.30f, .81f}}}},
    {2, {3, 2}, {{{.56f, .13f}, {.27f, .60f}, {.76f, .60f}}, {{.60f, .34f}, {.60f, .88f}}}},
    {1, {9}, {{{.68f, .14f}, {.36f, .14f}, {.33f, .45f}, {.50f, .41f}, {.66f, .49f}, {.70f, .66f}, {.61f, .82f},
              {.45f, .87f}, {.30f, .80f}}}},
    {1, {10}, {{{.63f, .13f}, {.46f, .29f}, {.34f, .53f}, {.35f, .75f}, {.50f, .87f}, {.65f, .80f}, {.68f, .65f},
               {.55f, .55f}, {.41f, .59f}, {.35f, .68f}}}},
    {1, {4}, {{{.28f, .15f}, {.72f, .15f}, {.52f, .50f}, {.43f, .87f}}}},
    {1, {13}, {{{.50f, .50f}, {.36f, .39f}, {.36f, .21f}, {.50f, .13f}, {.64f, .21f}, {.64f, .39f}, {.50f, .50f},
               {.33f, .62f}, {.33f, .80f}, {.50f, .87f}, {.67f, .80f}, {.67f, .62f}, {.50f, .50f}}}},
    {1, {10}, {{{.66f, .30f}, {.56f, .16f}, {.42f, .16f}, {.33f, .28f}, {.38f, .42f}, {.52f, .45f}, {.65f, .35f},
               {.66f, .22f}, {.64f, .55f}, {.59f, .87f}}}},
};

int canvas_draw_demo(Canvas *c, int d) {
    if (d < 0 || d > 9) return -1;
    const DemoDigit *dd = &DEMO[d];
    const float S = (float)c->side;
    for (int s = 0; s < dd->nstrokes; s++) {
        int n = dd->n[s];
        const float(*p)[2] = dd->p[s];
        if (canvas_stroke_begin(c, p[0][0] * S, p[0][1] * S, 0) != 0) return -1;
        for (int i = 0; i + 1 < n; i++) {
            /* Catmull-Rom through p[i-1], p[i], p[i+1], p[i+2] with clamped ends */
            const float *a = p[i > 0 ? i - 1 : 0], *b = p[i], *e = p[i + 1], *f = p[i + 2 < n ? i + 2 : n - 1];
            for (int k = 1; k <= 8; k++) {
                float t = k / 8.0f, t2 = t * t, t3 = t2 * t;
                float q[2];
                for (int m = 0; m < 2; m++)
                    q[m] = 0.5f * (2 * b[m] + (-a[m] + e[m]) * t + (2 * a[m] - 5 * b[m] + 4 * e[m] - f[m]) * t2 +
                                   (-a[m] + 3 * b[m] - 3 * e[m] + f[m]) * t3);
                if (canvas_stroke_extend(c, q[0] * S, q[1] * S) != 0) return -1;
            }
        }
        canvas_stroke_end(c);
    }
    return 0;
}

int canvas_strokes_only(const Canvas *c, int *first) {
    int k = 0;
    for (int i = 0; i < c->nstrokes; i++)
        if (c->strokes[i].kind == STROKE_CLEAR) k = i + 1;
    if (first) *first = k;
    if (c->base && k == 0) return 0;
    for (int i = k; i < c->nstrokes; i++)
        if (c->strokes[i].kind == STROKE_ERASE) return 0;
    return 1;
}

int canvas_input(const Canvas *c, float *out, PreFrame *f, PreInfo *info) {
    int first;
    if (canvas_strokes_only(c, &first)) {
        int n = c->nstrokes - first;
        PreStroke *st = n > 0 ? malloc(sizeof(PreStroke) * (size_t)n) : NULL;
        if (st || n == 0) {
            for (int i = 0; i < n; i++) st[i] = (PreStroke){c->strokes[first + i].xy, c->strokes[first + i].n};
            int ink = preprocess_strokes(out, f, info, st, n);
            free(st);
            return ink;
        }
    }
    int ink = preprocess_raster(out, f, info, c->px, c->side, c->side);
    if (ink < 0) { /* no memory for a re-stroke: the plain fit */
        ink = preprocess_digit_frame(out, f, c->px, c->side, c->side, 0.05f);
        if (info) {
            memset(info, 0, sizeof *info);
            info->ink = ink;
            if (ink) preprocess_measure(info, out);
        }
    }
    return ink;
}

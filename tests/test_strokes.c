/* test_strokes.c - preprocess_strokes and canvas_input: the re-rendered drawing has its centre of
 * mass at (14, 14), MNIST's stroke width and a 20 px box; a small drawing in a corner with a fat pen
 * and the same drawing full-size with a hairline give nearly the same 28x28 (the raster path does
 * not); the frame maps every stroke point onto ink; erase strokes and images fall back to the
 * raster; dots are near-blank and dashes not digit-shaped; restroke thickens thin rasters. */
#include "canvas.h"
#include "check.h"
#include "common.h"
#include "ink.h"
#include "preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N28 (PRE_SIDE * PRE_SIDE)

static void com_of(const float *x, double *cx, double *cy) {
    double m = 0, sx = 0, sy = 0;
    for (int i = 0; i < N28; i++) m += x[i], sx += x[i] * (i % 28), sy += x[i] * (i / 28);
    *cx = m > 0 ? sx / m : -1, *cy = m > 0 ? sy / m : -1;
}

static int box_side(const float *x) {
    int x0 = 28, x1 = -1, y0 = 28, y1 = -1;
    for (int i = 0; i < N28; i++)
        if (x[i] > 0.05f) {
            int c = i % 28, r = i / 28;
            x0 = c < x0 ? c : x0, x1 = c > x1 ? c : x1, y0 = r < y0 ? r : y0, y1 = r > y1 ? r : y1;
        }
    return x1 < 0 ? 0 : (x1 - x0 > y1 - y0 ? x1 - x0 : y1 - y0) + 1;
}

static double mean_abs(const float *a, const float *b) {
    double d = 0;
    for (int i = 0; i < N28; i++) d += fabs(a[i] - b[i]);
    return d / N28;
}

/* The demo digit d drawn on c, then every stroke moved to scale * p + (ox, oy) with pen radius r. */
static void draw_scaled(Canvas *c, int d, float scale, float ox, float oy, float r) {
    Canvas tmp;
    char err[ERR_LEN];
    canvas_init(&tmp, CANVAS_SIDE, err);
    canvas_draw_demo(&tmp, d);
    canvas_clear(c);
    c->radius = r;
    for (int s = 0; s < tmp.nstrokes; s++) {
        const Stroke *st = &tmp.strokes[s];
        if (st->kind != STROKE_DRAW || st->n < 1) continue;
        canvas_stroke_begin(c, ox + scale * st->xy[0], oy + scale * st->xy[1], 0);
        for (int i = 1; i < st->n; i++) canvas_stroke_extend(c, ox + scale * st->xy[2 * i], oy + scale * st->xy[2 * i + 1]);
        canvas_stroke_end(c);
    }
    canvas_free(&tmp);
}

static void test_demo_digits(void) {
    char err[ERR_LEN];
    Canvas big, small;
    CHECK(canvas_init(&big, CANVAS_SIDE, err) == 0 && canvas_init(&small, CANVAS_SIDE, err) == 0, "%s", err);
    double worst_new = 0, worst_old = 0, sum_new = 0, sum_old = 0, widths[10];
    for (int d = 0; d < 10; d++) {
        draw_scaled(&big, d, 1.0f, 0, 0, 1.5f);                                  /* full size, hairline */
        draw_scaled(&small, d, 0.25f, 6.0f, CANVAS_SIDE * 0.7f, CANVAS_PEN_FRAC * CANVAS_SIDE); /* corner, fat */
        CHECK(canvas_strokes_only(&big, NULL) && canvas_strokes_only(&small, NULL), "digit %d: strokes only", d);
        float a[N28], b[N28], ra[N28], rb[N28];
        PreFrame fa;
        PreInfo ia, ib;
        CHECK(canvas_input(&big, a, &fa, &ia) == 1 && canvas_input(&small, b, NULL, &ib) == 1, "digit %d has ink", d);
        double cx, cy;
        com_of(a, &cx, &cy);
        CHECK(fabs(cx - 14.0) < 0.1 && fabs(cy - 14.0) < 0.1, "digit %d: centre of mass (%.3f, %.3f)", d, cx, cy);
        double wd = ink_stroke_width(a, 28, 28, 0.5f);
        widths[d] = wd;
        CHECK(wd >= PRE_WIDTH_MIN && wd <= PRE_WIDTH_MAX, "digit %d: stroke width %.2f within MNIST's p5..p95", d, wd);
        CHECK(fabs(ia.width - wd) < 1e-4, "digit %d: info.width %.3f", d, ia.width);
        int side = box_side(a);
        CHECK(side >= 19 && side <= 21, "digit %d: box %d px", d, side);
        CHECK(!ia.near_blank && !ia.odd_shape && !ib.near_blank, "digit %d: a digit", d);
        double dn = mean_abs(a, b);
        sum_new += dn, worst_new = dn > worst_new ? dn : worst_new;
        /* today's raster path on the same two drawings */
        preprocess_digit(ra, big.px, big.side, big.side, 0.05f);
        preprocess_digit(rb, small.px, small.side, small.side, 0.05f);
        double dold = mean_abs(ra, rb);
        sum_old += dold, worst_old = dold > worst_old ? dold : worst_old;
        /* the frame: every stroke point of the big drawing lands on ink */
        int points = 0, on = 0, first = 0;
        canvas_strokes_only(&big, &first);
        for (int s = first; s < big.nstrokes; s++)
            for (int i = 0; i < big.strokes[s].n; i++) {
                double u = fa.offx + (big.strokes[s].xy[2 * i] - fa.x0) * fa.sx;
                double v = fa.offy + (big.strokes[s].xy[2 * i + 1] - fa.y0) * fa.sy;
                points++;
                if (u >= 0 && v >= 0 && u < 28 && v < 28 && a[(int)v * 28 + (int)u] > 0.5f) on++;
            }
        CHECK(points > 5 && on == points, "digit %d: %d of %d stroke points map onto ink", d, on, points);
    }
    /* the same measure over the ten digits: their median is MNIST's (a '1' has more ink in its
     * round ends per length than a '2', in MNIST too) */
    for (int i = 0; i < 10; i++)
        for (int j = i + 1; j < 10; j++)
            if (widths[j] < widths[i]) {
                double t = widths[i];
                widths[i] = widths[j], widths[j] = t;
            }
    double med = (widths[4] + widths[5]) / 2;
    CHECK(fabs(med - INK_MNIST_WIDTH) < 0.1 * INK_MNIST_WIDTH, "median stroke width %.3f, MNIST's %.2f", med, INK_MNIST_WIDTH);
    CHECK(worst_new < 0.01, "small fat corner drawing vs full-size hairline: worst mean |diff| %.4f", worst_new);
    CHECK(sum_old > 5 * sum_new && worst_old > 0.05, "the raster path differs far more (%.4f vs %.4f total)", sum_old, sum_new);
    canvas_free(&big);
    canvas_free(&small);
}

static void test_fallbacks(void) {
    char err[ERR_LEN];
    Canvas c;
    canvas_init(&c, CANVAS_SIDE, err);
    float x[N28], r[N28];
    PreInfo info;
    CHECK(canvas_input(&c, x, NULL, &info) == 0 && info.ink == 0, "empty canvas is blank");
    canvas_draw_demo(&c, 3);
    canvas_stroke_begin(&c, 140, 140, 1); /* an eraser stroke */
    canvas_stroke_extend(&c, 150, 150);
    canvas_stroke_end(&c);
    CHECK(!canvas_strokes_only(&c, NULL), "erase stroke: not strokes only");
    PreFrame f, g;
    PreInfo ri;
    canvas_input(&c, x, &f, &info);
    preprocess_raster(r, &g, &ri, c.px, c.side, c.side);
    CHECK(mean_abs(x, r) == 0.0 && f.sx == g.sx && f.offx == g.offx, "erase stroke: the raster path");
    preprocess_digit_frame(r, &g, c.px, c.side, c.side, 0.05f);
    CHECK(mean_abs(x, r) == 0.0 && f.sx == g.sx, "a default-pen drawing: the plain fit (not thin)");
    /* a hairline drawing with an eraser stroke: the raster fit is thin, so it is re-stroked */
    canvas_clear(&c);
    c.radius = 0.8f;
    canvas_draw_demo(&c, 2);
    canvas_stroke_begin(&c, 5, 5, 1);
    canvas_stroke_end(&c);
    preprocess_digit(r, c.px, c.side, c.side, 0.05f);
    PreInfo plain = {0};
    plain.ink = 1;
    preprocess_measure(&plain, r);
    CHECK(canvas_input(&c, x, NULL, &info) == 1 && plain.width < PRE_WIDTH_MIN && info.width >= PRE_WIDTH_MIN,
          "hairline raster re-stroked: width %.2f -> %.2f", plain.width, info.width);
    c.radius = CANVAS_PEN_FRAC * CANVAS_SIDE;
    canvas_clear(&c);
    canvas_draw_demo(&c, 1);
    CHECK(canvas_strokes_only(&c, NULL), "after a clear: strokes only again");
    float img[100];
    for (int i = 0; i < 100; i++) img[i] = (i % 10 == 5) ? 1.0f : 0.0f;
    canvas_set_image(&c, img, 10, 10);
    canvas_stroke_begin(&c, 20, 20, 0);
    canvas_stroke_extend(&c, 40, 40);
    canvas_stroke_end(&c);
    int first = -1;
    CHECK(!canvas_strokes_only(&c, &first), "image under strokes: raster path");
    canvas_input(&c, x, NULL, &info);
    preprocess_digit(r, c.px, c.side, c.side, 0.05f);
    CHECK(mean_abs(x, r) == 0.0, "image: the raster path's input");
    canvas_free(&c);
}

static void test_odd_drawings(void) {
    float x[N28];
    PreInfo info;
    PreFrame f;
    float dot[2] = {100, 100};
    PreStroke s1 = {dot, 1};
    CHECK(preprocess_strokes(x, &f, &info, &s1, 1) == 1 && info.near_blank, "a dot is near-blank (skeleton %.1f)",
          info.skeleton);
    float dash[4] = {50, 100, 200, 102};
    PreStroke s2 = {dash, 2};
    CHECK(preprocess_strokes(x, &f, &info, &s2, 1) == 1 && info.odd_shape && !info.near_blank, "a dash is not digit-shaped");
    float bar[4] = {100, 20, 102, 250};
    PreStroke s3 = {bar, 2};
    CHECK(preprocess_strokes(x, &f, &info, &s3, 1) == 1 && !info.odd_shape && !info.near_blank, "a '1' is a digit");
    int side = box_side(x);
    CHECK(side >= 19 && side <= 21, "a '1' is 20 px tall (%d)", side);
    float bad[4] = {1, 2, NAN, 3};
    PreStroke s4 = {bad, 2};
    CHECK(preprocess_strokes(x, &f, &info, &s4, 1) == 0 && box_side(x) == 0, "NaN point: blank");
    CHECK(preprocess_strokes(x, &f, &info, NULL, 0) == 0, "no strokes: blank");
    PreStroke s5 = {dash, 0};
    CHECK(preprocess_strokes(x, &f, &info, &s5, 1) == 0, "empty stroke: blank");
}

/* A hairline raster (1 px strokes of a ring in 200x200) fits into faint thin strokes; restroke
 * gives MNIST's width. */
static void test_restroke(void) {
    int W = 200;
    float *img = calloc((size_t)W * W, sizeof(float));
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++) {
            double r = hypot(x + 0.5 - 100, (y + 0.5 - 100) * 0.7);
            if (fabs(r - 60) < 0.6) img[y * W + x] = 1.0f;
        }
    float a[N28], b[N28];
    PreInfo ia, ib;
    preprocess_digit(a, img, W, W, 0.05f);
    preprocess_measure(&ia, a);
    CHECK(preprocess_restroke(b, NULL, &ib, img, W, W) == 1, "restroke has ink");
    CHECK(ia.width < PRE_WIDTH_MIN, "hairline ring fitted is thin (%.2f)", ia.width);
    CHECK(fabs(ib.width - INK_MNIST_WIDTH) < 0.2 * INK_MNIST_WIDTH, "restroked width %.2f", ib.width);
    double cx, cy;
    com_of(b, &cx, &cy);
    CHECK(fabs(cx - 14) < 0.1 && fabs(cy - 14) < 0.1, "restroked centre (%.2f, %.2f)", cx, cy);
    memset(img, 0, sizeof(float) * (size_t)W * W);
    CHECK(preprocess_restroke(b, NULL, &ib, img, W, W) == 0 && box_side(b) == 0, "restroke of nothing is blank");
    free(img);
}

int main(void) {
    test_demo_digits();
    test_fallbacks();
    test_odd_drawings();
    test_restroke();
    return check_summary("test_strokes");
}

/* test_reading.c - the short version of bench/reading: the shipped MLP reads the canvas's demo
 * digits drawn small, in corners, with hairline and fat pens (through the canvas's rasteriser),
 * and the same strokes photographed onto grey, gradient-lit, noisy paper in both polarities,
 * through today's raster path and through the new ones. The new paths must read at least 90%
 * and beat the old by a wide margin; the states must never say "sure" below the threshold. */
#include "calibrate.h"
#include "canvas.h"
#include "check.h"
#include "common.h"
#include "model_io.h"
#include "net.h"
#include "preprocess.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Net net;
    NetWork wk;
    double T;
} Reader;

static int read_digit(Reader *r, const float *x, float *p_top) {
    float p[10];
    int best = calib_read(&r->net, &r->wk, x, r->T, 1, NULL, p, NULL);
    for (int k = 0; k < 10; k++)
        if (p[k] > p[best]) return -1; /* calib_read's top is the largest probability */
    *p_top = p[best];
    return best;
}

/* The demo digit d moved to scale * p + offset on c with pen radius pen. */
static void draw(Canvas *c, int d, float scale, float ox, float oy, float pen) {
    Canvas t;
    char err[ERR_LEN];
    canvas_init(&t, CANVAS_SIDE, err);
    canvas_draw_demo(&t, d);
    canvas_clear(c);
    c->radius = pen;
    for (int s = 0; s < t.nstrokes; s++) {
        const Stroke *st = &t.strokes[s];
        if (st->kind != STROKE_DRAW) continue;
        canvas_stroke_begin(c, ox + scale * st->xy[0], oy + scale * st->xy[1], 0);
        for (int i = 1; i < st->n; i++) canvas_stroke_extend(c, ox + scale * st->xy[2 * i], oy + scale * st->xy[2 * i + 1]);
        canvas_stroke_end(c);
    }
    canvas_free(&t);
}

int main(void) {
    const char *src = getenv("DIGITREC_SRC");
    char path[1024], err[ERR_LEN];
    snprintf(path, sizeof path, "%s/models/mlp.safetensors", src ? src : ".");
    Reader r = {0};
    ModelMeta meta = {0};
    if (model_load(path, &r.net, &meta, err) != 0 || netwk_create(&r.wk, &r.net, 1, err) != 0) {
        fprintf(stderr, "FAIL test_reading: the shipped model: %s\n", err);
        return 1;
    }
    r.T = calib_model_temperature(&meta);
    Canvas c;
    canvas_init(&c, CANVAS_SIDE, err);
    const float sizes[3] = {0.25f, 0.5f, 1.0f}, pens[2] = {1.2f, CANVAS_PEN_FRAC * CANVAS_SIDE};
    int n = 0, right_new = 0, right_old = 0, small = 0, small_new = 0, small_old = 0, sure_wrong_below = 0;
    int photos = 0, photo_new = 0, photo_old = 0;
    Rng rng;
    rng_seed(&rng, 3);
    float *img = malloc(sizeof(float) * CANVAS_SIDE * CANVAS_SIDE);
    for (int d = 0; d < 10; d++)
        for (int si = 0; si < 3; si++)
            for (int pi = 0; pi < 2; pi++)
                for (int corner = 0; corner < 2; corner++) {
                    /* the demo digits span about 0.13..0.87 of the side; corner = bottom left */
                    float sc = sizes[si], pen = pens[pi], S = CANVAS_SIDE;
                    float ox = corner ? pen + 2 - 0.13f * S * sc : (S - S * sc) / 2;
                    float oy = corner ? S - pen - 2 - 0.87f * S * sc : (S - S * sc) / 2;
                    draw(&c, d, sc, ox, oy, pen);
                    float x[784], p;
                    PreInfo info;
                    int ink = canvas_input(&c, x, NULL, &info);
                    int got = read_digit(&r, x, &p);
                    ReadState st = calib_state(ink, &info, p);
                    if (st == READ_SURE && p < CALIB_SURE_P) sure_wrong_below++;
                    right_new += got == d && st != READ_BLANK;
                    preprocess_digit(x, c.px, c.side, c.side, 0.05f);
                    int old = read_digit(&r, x, &p);
                    right_old += old == d;
                    n++;
                    if (sc <= 0.5f) small++, small_new += got == d, small_old += old == d;
                    /* the same strokes photographed: grey paper lit from one side, noise, ink of 85% */
                    if (si == 2 && corner == 0) {
                        int light_ink = pi == 1;
                        for (int y = 0; y < CANVAS_SIDE; y++)
                            for (int xx = 0; xx < CANVAS_SIDE; xx++) {
                                double paper = light_ink ? 0.2 : 0.72 * (0.7 + 0.3 * xx / (double)CANVAS_SIDE);
                                double ink_v = c.px[y * CANVAS_SIDE + xx];
                                double v = light_ink ? paper + ink_v * 0.65 : paper * (1 - 0.85 * ink_v);
                                v += 0.03 * rng_normal(&rng);
                                img[y * CANVAS_SIDE + xx] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
                            }
                        photos++;
                        ink = preprocess_photo(x, NULL, &info, img, CANVAS_SIDE, CANVAS_SIDE, err);
                        photo_new += ink == 1 && read_digit(&r, x, &p) == d;
                        preprocess_auto_invert(img, CANVAS_SIDE, CANVAS_SIDE);
                        preprocess_digit(x, img, CANVAS_SIDE, CANVAS_SIDE, 0.05f);
                        photo_old += read_digit(&r, x, &p) == d;
                    }
                }
    printf("canvas: %d drawings, new %d, old %d; small: %d, new %d, old %d; photos: %d, new %d, old %d\n", n, right_new,
           right_old, small, small_new, small_old, photos, photo_new, photo_old);
    CHECK(right_new >= 0.9 * n, "canvas drawings: %d of %d read (old path %d)", right_new, n, right_old);
    CHECK(small_new >= 0.9 * small && small_new >= small_old + small / 5, "small drawings: %d of %d (old %d)", small_new,
          small, small_old);
    CHECK(photo_new >= 0.9 * photos && photo_new >= photo_old + photos / 3, "photos: %d of %d (old %d)", photo_new, photos,
          photo_old);
    CHECK(sure_wrong_below == 0, "never sure below the threshold");
    /* a dash and a dot on the canvas */
    float x[784], p;
    PreInfo info;
    canvas_clear(&c);
    canvas_stroke_begin(&c, 60, 140, 0);
    canvas_stroke_extend(&c, 220, 143);
    canvas_stroke_end(&c);
    int ink = canvas_input(&c, x, NULL, &info);
    read_digit(&r, x, &p);
    CHECK(calib_state(ink, &info, p) == READ_UNSURE, "a dash is not read as a sure digit");
    canvas_clear(&c);
    canvas_stroke_begin(&c, 140, 140, 0);
    canvas_stroke_end(&c);
    ink = canvas_input(&c, x, NULL, &info);
    read_digit(&r, x, &p);
    CHECK(calib_state(ink, &info, p) == READ_BLANK, "a dot is no digit");
    free(img);
    canvas_free(&c);
    netwk_free(&r.wk);
    net_free(&r.net);
    return check_summary("test_reading");
}

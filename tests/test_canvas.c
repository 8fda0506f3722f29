/* test_canvas.c - the drawing surface: strokes leave anti-aliased ink along the whole path
 * (not just at the mouse events), erasing removes it, undo replays exactly, clear is undoable,
 * and what is drawn preprocesses into a centred MNIST-style 28x28 input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "check.h"
#include "common.h"
#include "preprocess.h"

#define S CANVAS_SIDE

static float at(const Canvas *c, int x, int y) { return c->px[(size_t)y * S + x]; }

static double ink(const Canvas *c) {
    double s = 0;
    for (int i = 0; i < S * S; i++) s += c->px[i];
    return s;
}

int main(void) {
    char err[ERR_LEN];
    Canvas c;
    CHECK(canvas_init(&c, S, err) == 0, "%s", err);
    CHECK(canvas_is_blank(&c), "a new canvas is blank");
    CHECK(canvas_undo(&c) == 0, "nothing to undo on a new canvas");
    CHECK(canvas_clear(&c) == 0, "clearing a blank canvas changes nothing");

    /* one stroke with only two mouse events far apart: the segment between them is inked */
    unsigned long v0 = c.version;
    CHECK(canvas_stroke_begin(&c, 40, 140, 0) == 0, "begin");
    CHECK(canvas_stroke_extend(&c, 240, 140) == 0, "extend");
    canvas_stroke_end(&c);
    CHECK(c.version > v0, "version bumped");
    for (int x = 40; x <= 240; x += 10) CHECK(at(&c, x, 140) > 0.99f, "ink along the segment at x=%d: %g", x, at(&c, x, 140));
    /* the pen is ~2.2/28 of the side in radius, with a soft rim: full inside, partial at the edge, none beyond */
    float r = CANVAS_PEN_FRAC * S;
    CHECK(at(&c, 140, 140 + (int)(r * 0.5f)) > 0.99f, "solid inside the pen");
    float edge = at(&c, 140, 140 + (int)r);
    CHECK(edge > 0.05f && edge < 0.95f, "anti-aliased rim, got %g", edge);
    CHECK(at(&c, 140, 140 + (int)(r * 1.6f)) == 0.0f, "nothing beyond the pen");
    CHECK(at(&c, 140, 20) == 0.0f && at(&c, 10, 10) == 0.0f, "nothing elsewhere");
    /* round caps: ink just before the start point */
    CHECK(at(&c, 40 - (int)(r * 0.5f), 140) > 0.99f, "round cap");
    double one = ink(&c);

    /* drawing over existing ink never lowers it (max blending) */
    canvas_stroke_begin(&c, 140, 40, 0);
    canvas_stroke_extend(&c, 140, 240);
    canvas_stroke_end(&c);
    CHECK(at(&c, 140, 140) <= 1.0f && at(&c, 140, 140) > 0.99f, "crossing stays at 1");
    double two = ink(&c);
    CHECK(two > one, "second stroke adds ink");

    /* eraser (right button) removes ink under a wider brush */
    canvas_stroke_begin(&c, 200, 120, 1);
    canvas_stroke_extend(&c, 200, 160);
    canvas_stroke_end(&c);
    CHECK(at(&c, 200, 140) == 0.0f, "erased pixel is empty: %g", at(&c, 200, 140));
    CHECK(at(&c, 80, 140) > 0.99f, "ink away from the eraser stays");
    CHECK(c.nstrokes == 3, "three strokes recorded, got %d", c.nstrokes);

    /* undo replays: undoing the erase gives back exactly the two-stroke raster */
    CHECK(canvas_undo(&c) == 1, "undo erase");
    CHECK(fabs(ink(&c) - two) < 1e-3, "undo restores the ink exactly: %g vs %g", ink(&c), two);
    CHECK(canvas_undo(&c) == 1, "undo second stroke");
    CHECK(fabs(ink(&c) - one) < 1e-3, "back to one stroke: %g vs %g", ink(&c), one);

    /* clear is one undoable step */
    CHECK(canvas_clear(&c) == 1, "clear");
    CHECK(canvas_is_blank(&c), "blank after clear");
    CHECK(canvas_undo(&c) == 1, "undo clear");
    CHECK(fabs(ink(&c) - one) < 1e-3, "undoing the clear brings the drawing back");
    CHECK(canvas_undo(&c) == 1 && canvas_is_blank(&c), "undo the first stroke: blank");
    CHECK(canvas_undo(&c) == 0, "nothing left to undo");

    /* extend without an open stroke does nothing */
    unsigned long v1 = c.version;
    CHECK(canvas_stroke_extend(&c, 10, 10) == 0 && c.version == v1 && canvas_is_blank(&c), "no stroke, no ink");

    /* points outside the canvas are clipped, not a crash */
    canvas_stroke_begin(&c, -100, -100, 0);
    canvas_stroke_extend(&c, S + 100, S + 100);
    canvas_stroke_end(&c);
    CHECK(at(&c, S / 2, S / 2) > 0.99f, "diagonal through the canvas");
    canvas_clear(&c);

    /* a digit drawn off-centre and small preprocesses into MNIST's frame: 20x20 box, centred mass */
    canvas_stroke_begin(&c, 30, 30, 0);
    canvas_stroke_extend(&c, 30, 110);
    canvas_stroke_end(&c);
    float in[PRE_SIDE * PRE_SIDE];
    CHECK(preprocess_digit(in, c.px, S, S, 0.05f) == 1, "ink found");
    double m = 0, mx = 0, my = 0;
    int y0 = 28, y1 = -1;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            float v = in[y * 28 + x];
            m += v, mx += v * x, my += v * y;
            if (v > 0.05f) {
                if (y < y0) y0 = y;
                y1 = y;
            }
        }
    CHECK(m > 0 && fabs(mx / m - 14) < 1.0 && fabs(my / m - 14) < 1.0, "centre of mass near (14,14): (%g, %g)", mx / m, my / m);
    CHECK(y1 - y0 + 1 >= 19 && y1 - y0 + 1 <= 21, "the longer side is scaled to ~20 px, got %d", y1 - y0 + 1);
    canvas_clear(&c);
    CHECK(preprocess_digit(in, c.px, S, S, 0.05f) == 0, "blank canvas: nothing to read");

    /* demo digits draw something for every digit and are undoable stroke by stroke */
    for (int d = 0; d < 10; d++) {
        canvas_clear(&c);
        CHECK(canvas_draw_demo(&c, d) == 0 && !canvas_is_blank(&c), "demo %d draws", d);
    }
    CHECK(canvas_draw_demo(&c, 10) == -1, "demo 10 refused");

    /* an image put on the canvas is resampled with its aspect kept; clear removes it */
    float img[10 * 20];
    for (int i = 0; i < 200; i++) img[i] = 1.0f;
    CHECK(canvas_set_image(&c, img, 10, 20) == 0, "set image");
    CHECK(at(&c, S / 2, S / 2) > 0.99f && at(&c, 5, S / 2) == 0.0f, "10x20 image fills the middle half only");
    canvas_clear(&c);
    CHECK(canvas_is_blank(&c), "clear removes the image");
    canvas_free(&c);
    return check_summary("test_canvas");
}

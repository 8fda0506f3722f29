/* embed.c - the Map tab: how the network's inner space sorts the test images, live. The worker
 * maps 1,000 test images' last-hidden-layer features to 2-D at each evaluation (TestView's
 * embedding, aligned with the last map so points move rather than jump); this draws them coloured
 * by class with the misread ones ringed, the current drawing as a ringed cross that moves as you
 * draw, a hovered point's image, and puts a clicked one on the canvas. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"
#include "view.h"

/* Ten classes told apart on the dark panel. */
static const Color CLASS_COLORS[10] = {{230, 25, 75, 255},   {60, 180, 75, 255},   {255, 225, 25, 255},
                                       {67, 99, 216, 255},   {245, 130, 49, 255},  {145, 30, 180, 255},
                                       {66, 212, 244, 255},  {240, 50, 230, 255},  {191, 239, 69, 255},
                                       {220, 190, 255, 255}};

static const TestView *map_view(const App *a) {
    const TestView *v = a->snap.view;
    return v && v->nemb > 0 && v->emb_xy ? v : NULL;
}

/* Where the map goes inside the panel, and the data-to-screen transform (one scale for both axes:
 * distances mean the same across and up). Returns 0 when there is nothing to map. */
typedef struct {
    Rect area;
    double cx, cy, s; /* screen = centre + s * (data - data centre), y up */
    double mx, my;    /* the data's centre */
} MapFrame;

static Rect map_area(const App *a) {
    Rect H = a->lay.heat;
    int fh = ui_fh(a, FONT_SMALL), top = H.y + APP_TAB_H + 8 + fh + 6, bottom = H.y + H.h - 10 - fh - 8;
    return (Rect){H.x + 12, top, H.w - 24, bottom - top};
}

static int map_frame(const App *a, const TestView *v, MapFrame *f) {
    f->area = map_area(a);
    if (f->area.w < 40 || f->area.h < 40) return 0;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < v->nemb; i++) {
        double x = v->emb_xy[2 * i], y = v->emb_xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y)) continue;
        x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1, y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
    }
    if (!(x1 > x0) || !(y1 > y0)) return 0;
    double sx = (f->area.w - 16) / (x1 - x0), sy = (f->area.h - 16) / (y1 - y0);
    f->s = sx < sy ? sx : sy;
    f->mx = (x0 + x1) / 2, f->my = (y0 + y1) / 2;
    f->cx = f->area.x + f->area.w / 2.0, f->cy = f->area.y + f->area.h / 2.0;
    return 1;
}

static void to_screen(const MapFrame *f, float x, float y, int *sx, int *sy) {
    *sx = (int)lround(f->cx + f->s * (x - f->mx));
    *sy = (int)lround(f->cy - f->s * (y - f->my));
}

/* The drawing's features, as the map's were taken (embed.h's width), or NULL. */
static const float *drawing_features(const App *a, const TestView *v) {
    const Net *net = &a->snap.net;
    if (!a->probe_ok || !net->params || v->generation != a->snap.generation) return NULL;
    int d = net_outputs(net);
    const float *f = v->emb_logits ? a->probe.score : app_drawing_features(a, &d);
    return f && d == v->emb.d ? f : NULL;
}

static int point_hit(const App *a, int x, int y) {
    const TestView *v = map_view(a);
    MapFrame f;
    if (!v || !map_frame(a, v, &f) || !rect_contains(f.area, x, y)) return -1;
    int best = -1;
    double bd = 7.0 * 7.0;
    for (int i = 0; i < v->nemb; i++) {
        int px, py;
        to_screen(&f, v->emb_xy[2 * i], v->emb_xy[2 * i + 1], &px, &py);
        double d = (double)(px - x) * (px - x) + (double)(py - y) * (py - y);
        if (d < bd) bd = d, best = i;
    }
    return best;
}

void embed_hover(App *a, int x, int y) { a->emb_hover = point_hit(a, x, y); }

int embed_mouse_down(App *a, int x, int y) {
    int i = point_hit(a, x, y);
    if (i < 0) return 0;
    app_canvas_from_test(a, i);
    return 1;
}

static void paint_thumb(App *a, const TestView *v, int i) {
    AppImage *im = &a->img[IMG_EMB_THUMB];
    const Dataset *ds = &v->test->data;
    if (ds->rows != ds->cols || ds->rows <= 0 || ds->rows > 64 || i >= ds->n) return;
    if (a->emb_thumb == i && a->emb_thumb_view == v && im->rgba) return;
    if (app_image_alloc(im, ds->cols, ds->rows, 0) != 0) return;
    const uint8_t *src = ds->x + (size_t)i * ds->d;
    for (int k = 0; k < ds->d; k++) {
        float g = src[k] / 255.0f;
        uint8_t *q = im->rgba + 4 * (size_t)k;
        q[0] = (uint8_t)(14 + g * 241), q[1] = (uint8_t)(15 + g * 240), q[2] = (uint8_t)(20 + g * 235), q[3] = 255;
    }
    im->version++;
    a->emb_thumb = i, a->emb_thumb_view = v;
}

void embed_draw(App *a) {
    Rect H = a->lay.heat;
    int fh = ui_fh(a, FONT_SMALL), ty = H.y + APP_TAB_H + 8;
    const TestView *v = map_view(a);
    const Net *net = &a->snap.net;
    if (!v) {
        ui_text(a, FONT_SMALL, H.x + 12, ty, UI_DIM,
                net->params ? "the map comes with the next evaluation of the test set" : "no network yet");
        return;
    }
    char what[96], title[256], t2[200], t3[120];
    if (v->emb_logits)
        snprintf(what, sizeof what, "the logits (no hidden layer)");
    else
        snprintf(what, sizeof what, "the last hidden layer (%d units)", v->emb.d);
    double p1 = v->emb_total_var > 0 ? 100 * v->emb.var[0] / v->emb_total_var : 0;
    double p2 = v->emb_total_var > 0 ? 100 * v->emb.var[1] / v->emb_total_var : 0;
    snprintf(title, sizeof title, "%s of %d test images, PCA at step %ld: the axes hold %.0f%% and %.0f%% of the variance",
             what, v->nemb, v->step, p1, p2);
    snprintf(t2, sizeof t2, "%s, %d test images, PCA (%.0f%% + %.0f%% of the variance)", what, v->nemb, p1, p2);
    snprintf(t3, sizeof t3, "%d test images, PCA %.0f%% + %.0f%%", v->nemb, p1, p2);
    char t25[160];
    if (v->emb_logits)
        snprintf(t25, sizeof t25, "logits of %d test images, PCA %.0f%% + %.0f%%", v->nemb, p1, p2);
    else
        snprintf(t25, sizeof t25, "last hidden layer (%d) of %d test images, PCA %.0f%% + %.0f%%", v->emb.d, v->nemb, p1, p2);
    const char *opts[] = {title, t2, t25, t3, NULL};
    ui_text(a, FONT_SMALL, H.x + 12, ty, UI_DIM, ui_first_fit(a, FONT_SMALL, H.w - 24, opts));
    MapFrame f;
    if (!map_frame(a, v, &f)) return;
    draw_frame(&a->dl, f.area, UI_BORDER);
    draw_clip(&a->dl, f.area);
    const uint8_t *y = v->test->data.y;
    int misread = 0;
    /* the right ones first, the misread on top of them, ringed */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < v->nemb; i++) {
            int t = y[i], wrong = v->pred[i] != t, px, py;
            if (wrong != pass) continue;
            to_screen(&f, v->emb_xy[2 * i], v->emb_xy[2 * i + 1], &px, &py);
            Color c = CLASS_COLORS[t % 10];
            if (wrong) {
                misread++;
                draw_frame(&a->dl, (Rect){px - 4, py - 4, 9, 9}, (Color){255, 255, 255, 230});
                draw_rect(&a->dl, (Rect){px - 2, py - 2, 5, 5}, c);
            } else {
                draw_rect(&a->dl, (Rect){px - 1, py - 1, 3, 3}, ui_alpha(c, 200));
            }
        }
    const float *df = drawing_features(a, v);
    if (df) {
        float xy[2];
        embed_project(&v->emb, df, xy);
        int px, py;
        to_screen(&f, xy[0], xy[1], &px, &py);
        Color c = a->top >= 0 && a->top < 10 ? CLASS_COLORS[a->top] : UI_TEXT;
        draw_frame(&a->dl, (Rect){px - 9, py - 9, 19, 19}, UI_TEXT);
        draw_frame(&a->dl, (Rect){px - 8, py - 8, 17, 17}, (Color){0, 0, 0, 255});
        draw_line(&a->dl, px - 6, py, px + 6, py, c);
        draw_line(&a->dl, px, py - 6, px, py + 6, c);
        draw_rect(&a->dl, (Rect){px - 2, py - 2, 5, 5}, c);
        /* its label on a backing, on whichever side has room */
        const char *lab = "your drawing";
        int lw = ui_tw(a, FONT_SMALL, lab), lx = px + 13;
        if (lx + lw + 4 > f.area.x + f.area.w) lx = px - 13 - lw;
        int ly = py - fh / 2 < f.area.y + 2 ? f.area.y + 2 : py - fh / 2;
        if (ly + fh > f.area.y + f.area.h - 2) ly = f.area.y + f.area.h - 2 - fh;
        draw_rect(&a->dl, (Rect){lx - 3, ly - 1, lw + 6, fh + 2}, (Color){20, 21, 26, 255});
        ui_text(a, FONT_SMALL, lx, ly, UI_TEXT, lab);
    }
    if (a->emb_hover >= 0 && a->emb_hover < v->nemb) {
        int i = a->emb_hover, px, py;
        to_screen(&f, v->emb_xy[2 * i], v->emb_xy[2 * i + 1], &px, &py);
        draw_frame(&a->dl, (Rect){px - 6, py - 6, 13, 13}, UI_TEXT);
    }
    draw_clip(&a->dl, (Rect){0, 0, a->w, a->h});
    /* the key: each class's name in its colour (cut to three letters when all do not fit), and what
       the rings mean, in the map's top-left corner */
    int ky = H.y + H.h - 8 - fh, K = v->K < 10 ? v->K : 10, avail = H.w - 24, cut = 0, total;
    for (;;) {
        total = 0;
        for (int k = 0; k < K; k++) {
            char nm[8];
            snprintf(nm, sizeof nm, "%.3s", a->classes[k]);
            total += ui_tw(a, FONT_SMALL, cut ? nm : a->classes[k]) + 10;
        }
        if (total <= avail || cut) break;
        cut = 1;
    }
    int kx = H.x + 12;
    for (int k = 0; k < K; k++) {
        char nm[8];
        snprintf(nm, sizeof nm, "%.3s", a->classes[k]);
        const char *t = cut ? nm : a->classes[k];
        ui_text(a, FONT_SMALL, kx, ky, CLASS_COLORS[k], t);
        kx += ui_tw(a, FONT_SMALL, t) + 10;
    }
    char key[96], keys[64], key3[32];
    snprintf(key, sizeof key, "ringed: misread (%d); click a point: onto the canvas", misread);
    snprintf(keys, sizeof keys, "ringed: misread (%d)", misread);
    snprintf(key3, sizeof key3, "ringed: misread");
    const char *kopts[] = {key, keys, key3, "", NULL};
    const char *kt = ui_first_fit(a, FONT_SMALL, f.area.w - 12, kopts);
    if (kt[0]) {
        draw_rect(&a->dl, (Rect){f.area.x + 1, f.area.y + 1, ui_tw(a, FONT_SMALL, kt) + 10, fh + 4}, UI_PANEL);
        ui_text(a, FONT_SMALL, f.area.x + 6, f.area.y + 3, UI_DIM, kt);
    }
}

void embed_draw_tooltip(App *a) {
    const TestView *v = map_view(a);
    if (!v || a->emb_hover < 0 || a->emb_hover >= v->nemb) return;
    int i = a->emb_hover, t = v->test->data.y[i], p = v->pred[i];
    const float *pr = v->prob + (size_t)i * v->K;
    char buf[200];
    if (t == p)
        snprintf(buf, sizeof buf, "test #%d: a %s, read as %s (%.1f%%); click: onto the canvas", i, a->classes[t],
                 a->classes[p], pr[p] * 100.0);
    else
        snprintf(buf, sizeof buf, "test #%d: a %s, read as %s (%.1f%%; %s %.1f%%); click: onto the canvas", i, a->classes[t],
                 a->classes[p], pr[p] * 100.0, a->classes[t], pr[t] * 100.0);
    ui_tooltip(a, buf);
    paint_thumb(a, v, i);
    AppImage *im = &a->img[IMG_EMB_THUMB];
    if (!im->rgba) return;
    /* the image itself, beside the point, four times its size */
    int side = 4 * im->w, x = a->mx + 14, y = a->my - side - 10;
    if (x + side > a->w - 4) x = a->mx - side - 14;
    if (y < 4) y = a->my + 40;
    draw_rect(&a->dl, (Rect){x - 2, y - 2, side + 4, side + 4}, UI_BORDER);
    draw_image(&a->dl, IMG_EMB_THUMB, (Rect){x, y, side, side}, (Rect){0, 0, im->w, im->h});
}

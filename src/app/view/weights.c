/* weights.c - the Weights tab: the first layer's weights as 28x28 tiles on a diverging colour
 * map with its colour bar, each deeper weight matrix as a heatmap below, an enlarged tile with its
 * bias and its activation for the drawing on hover, and a cell's value on hover. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ui.h"
#include "view.h"

void weights_layout(App *a) {
    AppLayout *L = &a->lay;
    const Net *net = &a->snap.net;
    Rect H = L->heat;
    int nl = net->params ? net->nlayers : 0;
    /* right of the tiles: the colour bar and its labels, as wide as the widest scale label */
    int inner_x = H.x + 10, inner_w = H.w - 20 - (28 + ui_tw(a, FONT_SMALL, "+0.088") + 6);
    int y = H.y + APP_TAB_H + 30;
    int avail = H.y + H.h - 10 - y;
    int deeper = nl > 1 ? nl - 1 : 0;
    int tiles_h = deeper ? avail * 62 / 100 : avail;
    L->tile_gap = 2;
    int U = nl ? net->sizes[1] : 0;
    int best = 0, bestc = 1, cap = U <= 16 ? 200 : 112; /* softmax templates may be big */
    for (int c = 1; c <= U; c++) {
        int r = (U + c - 1) / c;
        int t1 = (inner_w - (c - 1) * L->tile_gap) / c, t2 = (tiles_h - (r - 1) * L->tile_gap) / r;
        int t = t1 < t2 ? t1 : t2;
        if (t > cap) t = cap;
        /* the biggest tiles; among equals, the grid with the fewest empty cells */
        int empty = r * c - U, best_empty = ((U + bestc - 1) / bestc) * bestc - U;
        if (t > best || (t == best && empty < best_empty)) best = t, bestc = c;
    }
    L->tile_cols = bestc;
    L->tile_px = best;
    int rows = U ? (U + bestc - 1) / bestc : 0;
    int used_w = bestc * (best + L->tile_gap) - L->tile_gap;
    int tiles_x = inner_x + (U && used_w < inner_w ? (inner_w - used_w) / 2 : 0); /* centre a narrow grid */
    L->tiles_area = (Rect){tiles_x, y, bestc * (best + L->tile_gap) - L->tile_gap, rows * (best + L->tile_gap) - L->tile_gap};
    L->colorbar = (Rect){L->tiles_area.x + L->tiles_area.w + 12, y, 12, L->tiles_area.h > 60 ? L->tiles_area.h : 60};
    memset(L->layer_rect, 0, sizeof L->layer_rect);
    if (deeper) {
        int yy = y + L->tiles_area.h + 14;
        int left = H.y + H.h - 10 - yy;
        int wsum = 0;
        for (int l = 1; l < nl; l++) wsum += net->sizes[l + 1] < 24 ? 24 : net->sizes[l + 1];
        for (int l = 1; l < nl; l++) {
            int wgt = net->sizes[l + 1] < 24 ? 24 : net->sizes[l + 1];
            int hh = (left - deeper * 24) * wgt / (wsum ? wsum : 1);
            /* keep cells from growing taller than wide */
            int maxh = net->sizes[l + 1] * (H.w - 20) / net->sizes[l];
            if (maxh < 20) maxh = 20;
            if (hh > maxh) hh = maxh;
            L->layer_rect[l] = (Rect){inner_x, yy + 20, H.w - 20, hh};
            yy += 24 + hh;
        }
    }
}

/* A robust colour scale: the 99.5th percentile of |w| (so one outlier does not wash out the rest). */
static float robust_scale(const float *w, size_t n) {
    float *tmp = malloc(sizeof(float) * (n ? n : 1));
    if (!tmp) return 1;
    memcpy(tmp, w, sizeof(float) * n);
    float s = quantile_abs(tmp, n, 0.995);
    free(tmp);
    return s > 0 ? s : 1;
}

static void paint_matrix(AppImage *im, const float *w, int rows, int cols, float scale) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            uint8_t *p = im->rgba + 4 * ((size_t)r * im->w + c);
            app_colormap(w[(size_t)r * cols + c] / scale, p);
            p[3] = 255;
        }
    im->version++;
}

void weights_paint(App *a) {
    const Net *net = &a->snap.net;
    if (!net->params) return;
    if (net->sizes[0] == 784) {
        int U = net->sizes[1], cols = U < 16 ? U : 16, rows = (U + cols - 1) / cols;
        AppImage *im = &a->img[IMG_TILES];
        if (app_image_alloc(im, cols * 28, rows * 28, 0) != 0) return;
        float s = robust_scale(net->w[0], (size_t)U * 784);
        a->heat_scale[0] = s;
        for (int u = 0; u < U; u++) {
            int ox = (u % cols) * 28, oy = (u / cols) * 28;
            const float *wu = net->w[0] + (size_t)u * 784;
            for (int i = 0; i < 784; i++) {
                uint8_t *p = im->rgba + 4 * ((size_t)(oy + i / 28) * im->w + ox + i % 28);
                app_colormap(wu[i] / s, p);
                p[3] = 255;
            }
        }
        im->version++;
    }
    for (int l = 1; l < net->nlayers && IMG_LAYER1 + l - 1 < IMG_COUNT; l++) {
        AppImage *im = &a->img[IMG_LAYER1 + l - 1];
        int rows = net->sizes[l + 1], cols = net->sizes[l];
        if (app_image_alloc(im, cols, rows, 0) != 0) continue;
        float s = robust_scale(net->w[l], (size_t)rows * cols);
        a->heat_scale[l] = s;
        paint_matrix(im, net->w[l], rows, cols, s);
    }
}

void weights_hover(App *a, int x, int y) {
    const Net *net = &a->snap.net;
    if (!net->params) return;
    const AppLayout *L = &a->lay;
    Rect t = L->tiles_area;
    int step = L->tile_px + L->tile_gap;
    if (step > 0 && rect_contains(t, x, y)) {
        int c = (x - t.x) / step, r = (y - t.y) / step;
        int inx = (x - t.x) % step < L->tile_px && (y - t.y) % step < L->tile_px;
        int u = r * L->tile_cols + c;
        if (inx && c < L->tile_cols && u < net->sizes[1]) a->hover_tile = u;
        return;
    }
    for (int l = 1; l < net->nlayers; l++) {
        Rect R = L->layer_rect[l];
        if (R.w > 0 && rect_contains(R, x, y)) {
            a->hover_layer = l;
            a->hover_row = (int)((long)(y - R.y) * net->sizes[l + 1] / R.h);
            a->hover_col = (int)((long)(x - R.x) * net->sizes[l] / R.w);
        }
    }
}

static Rect tile_rect(const App *a, int u) {
    const AppLayout *L = &a->lay;
    int step = L->tile_px + L->tile_gap;
    return (Rect){L->tiles_area.x + (u % L->tile_cols) * step, L->tiles_area.y + (u / L->tile_cols) * step, L->tile_px,
                  L->tile_px};
}

void weights_draw(App *a) {
    const Net *net = &a->snap.net;
    Rect H = a->lay.heat;
    if (!net->params) {
        ui_text(a, FONT_BOLD, H.x + 10, H.y + APP_TAB_H + 7, UI_TEXT, "Weights");
        return;
    }
    char t1[128], t2[128];
    int U = net->sizes[1];
    if (net->nlayers == 1) {
        snprintf(t1, sizeof t1, "Weights: one 28x28 template per class");
        snprintf(t2, sizeof t2, "Class templates");
    } else {
        snprintf(t1, sizeof t1, "First layer: %d units, 28x28 weights each", U);
        snprintf(t2, sizeof t2, "Layer 1: %d units", U);
    }
    const char *topts[] = {t1, t2, NULL};
    const char *title = ui_first_fit(a, FONT_BOLD, H.w - 20, topts);
    ui_text(a, FONT_BOLD, H.x + 10, H.y + APP_TAB_H + 7, UI_TEXT, title);
    if (ui_tw(a, FONT_BOLD, title) + ui_tw(a, FONT_SMALL, "hover a tile") + 40 < H.w)
        ui_text_in(a, FONT_SMALL, (Rect){H.x, H.y + APP_TAB_H + 7, H.w - 10, 18}, 2, UI_FAINT, "hover a tile");
    if (net->sizes[0] == 784 && a->lay.tile_px > 0) {
        int cols = U < 16 ? U : 16;
        for (int u = 0; u < U; u++) {
            Rect t = tile_rect(a, u);
            draw_image(&a->dl, IMG_TILES, t, (Rect){(u % cols) * 28, (u / cols) * 28, 28, 28});
            if (net->nlayers == 1 && a->lay.tile_px >= 40)
                ui_text(a, FONT_SMALL, t.x + 3, t.y + 2, ui_alpha(UI_TEXT, 200), a->classes[u]);
        }
        if (a->hover_tile >= 0 && a->hover_tile < U) {
            Rect t = tile_rect(a, a->hover_tile);
            draw_frame(&a->dl, (Rect){t.x - 2, t.y - 2, t.w + 4, t.h + 4}, UI_TEXT);
        }
        /* colour bar with its scale */
        Rect cb = a->lay.colorbar;
        draw_image(&a->dl, IMG_COLORBAR, cb, (Rect){0, 0, 0, 0});
        draw_frame(&a->dl, cb, UI_BORDER);
        char buf[32], mag[16];
        int th = ui_fh(a, FONT_SMALL);
        ui_fmt_scale(mag, sizeof mag, a->heat_scale[0]);
        snprintf(buf, sizeof buf, "+%s", mag);
        ui_text(a, FONT_SMALL, cb.x + cb.w + 4, cb.y - 2, UI_DIM, buf);
        ui_text(a, FONT_SMALL, cb.x + cb.w + 4, cb.y + cb.h / 2 - th / 2, UI_DIM, "0");
        snprintf(buf, sizeof buf, "-%s", mag);
        ui_text(a, FONT_SMALL, cb.x + cb.w + 4, cb.y + cb.h - th + 2, UI_DIM, buf);
    }
    for (int l = 1; l < net->nlayers; l++) {
        Rect R = a->lay.layer_rect[l];
        if (R.w <= 0 || R.h <= 0) continue;
        char l1[128], l2[128], l3[64], mag[16];
        ui_fmt_scale(mag, sizeof mag, a->heat_scale[l]);
        snprintf(l1, sizeof l1, "layers.%d.weight  %d \xc3\x97 %d  (colour scale \xc2\xb1%s)", l, net->sizes[l + 1], net->sizes[l], mag);
        snprintf(l2, sizeof l2, "layers.%d.weight %d\xc3\x97%d \xc2\xb1%s", l, net->sizes[l + 1], net->sizes[l], mag);
        snprintf(l3, sizeof l3, "layer %d", l + 1);
        const char *lo[] = {l1, l2, l3, NULL};
        ui_text(a, FONT_SMALL, R.x, R.y - 18, UI_DIM, ui_first_fit(a, FONT_SMALL, R.w, lo));
        draw_image(&a->dl, IMG_LAYER1 + l - 1, R, (Rect){0, 0, 0, 0});
        draw_frame(&a->dl, R, UI_BORDER);
    }
}

/* Enlarged tile with the unit's index, bias and activation for the current drawing (the
 * drawing's forward pass already holds z = w.x + b). */
static void draw_tile_hover(App *a) {
    const Net *net = &a->snap.net;
    int u = a->hover_tile;
    if (u < 0 || !net->params || net->sizes[0] != 784 || u >= net->sizes[1]) return;
    int big = 196, pw = big + 20, ph = big + 118;
    int x = a->mx - pw - 24, y = a->my - ph / 2;
    if (x < 4) x = a->mx + 24;
    if (y < 4) y = 4;
    if (y + ph > a->h - 30) y = a->h - 30 - ph;
    Rect box = {x, y, pw, ph};
    draw_rect(&a->dl, box, (Color){20, 21, 26, 245});
    draw_frame(&a->dl, box, UI_ACCENT);
    int cols = net->sizes[1] < 16 ? net->sizes[1] : 16;
    draw_image(&a->dl, IMG_TILES, (Rect){x + 10, y + 10, big, big}, (Rect){(u % cols) * 28, (u / cols) * 28, 28, 28});
    float bias = net->bias == BIAS_NEURON ? net->b[0][u] : net->b[0][0];
    int ty = y + big + 16;
    if (net->nlayers == 1)
        ui_textf(a, FONT_BOLD, x + 10, ty, UI_TEXT, "class %s (unit %d)", a->classes[u < 10 ? u : 0], u);
    else
        ui_textf(a, FONT_BOLD, x + 10, ty, UI_TEXT, "unit %d of %d", u, net->sizes[1]);
    ui_textf(a, FONT_SMALL, x + 10, ty + 22, UI_DIM, "bias %+.4f", (double)bias);
    if (!a->has_ink || !a->probe_ok) {
        ui_text(a, FONT_SMALL, x + 10, ty + 40, UI_FAINT, "draw a digit to see");
        ui_text(a, FONT_SMALL, x + 10, ty + 56, UI_FAINT, "this unit's activation");
    } else {
        double z = a->probe.z[0][u];
        ui_textf(a, FONT_SMALL, x + 10, ty + 40, UI_DIM, "z = w.x + b = %+.3f", z);
        if (net->nlayers == 1)
            ui_textf(a, FONT_SMALL, x + 10, ty + 56, UI_TEXT, "probability %.1f%%", u < 10 ? a->probs[u] * 100.0 : 0.0);
        else
            ui_textf(a, FONT_SMALL, x + 10, ty + 56, UI_TEXT, "activation ReLU(z) = %.3f", z > 0 ? z : 0.0);
    }
    ui_text(a, FONT_SMALL, x + 10, ty + 76, UI_FAINT, "orange +, blue -, dark 0");
}

static void draw_cell_hover(App *a) {
    const Net *net = &a->snap.net;
    int l = a->hover_layer;
    if (l < 1 || !net->params || l >= net->nlayers) return;
    int r = a->hover_row, c = a->hover_col;
    if (r < 0 || c < 0 || r >= net->sizes[l + 1] || c >= net->sizes[l]) return;
    char buf[128];
    snprintf(buf, sizeof buf, "layers.%d.weight[%d][%d] = %+.4f", l, r, c, (double)net->w[l][(size_t)r * net->sizes[l] + c]);
    ui_tooltip(a, buf);
}

void weights_draw_tooltip(App *a) {
    draw_tile_hover(a);
    draw_cell_hover(a);
}

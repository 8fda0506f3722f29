/* weights.c - the Weights tab: the first layer's weights as tiles on a diverging colour map with
 * its colour bar (28x28 templates of a dense net, a CNN's k x k filters), each deeper layer below
 * (a Linear layer's matrix as a heatmap; a conv layer's kernels as k x k tiles, one row per output
 * channel and one column per input channel), an enlarged tile with its bias and its activation
 * for the drawing on hover, and a cell's value on hover. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ui.h"
#include "view.h"

/* Layer 0's weights as U tiles of tw x th, tile u at w[0] + u * tw * th: a dense net's 28x28
 * templates, a first conv's k x k filters (one input channel), or an fc's over a one-channel
 * image. Returns 0 (U = 0) when they are no picture. */
static int first_tiles(const Net *net, int *U, int *tw, int *th) {
    *U = *tw = *th = 0;
    if (!net->params) return 0;
    if (!net->stack) {
        if (net->sizes[0] != 784) return 0;
        *U = net->sizes[1], *tw = *th = 28;
        return 1;
    }
    const LayerSpec *l = net_param_spec(net, 0);
    if (!l) return 0;
    if (l->kind == LAYER_CONV) {
        if (l->in_c != 1) return 0;
        *U = l->out_c, *tw = *th = l->k;
        return 1;
    }
    /* an fc: over the image its flatten saw */
    for (int i = 0; i < net->arch.n; i++)
        if (net->arch.layer[i].kind == LAYER_FLATTEN) {
            const LayerSpec *f = &net->arch.layer[i];
            if (f->in_c != 1) return 0;
            *U = l->out_c, *tw = f->in_w, *th = f->in_h;
            return 1;
        }
    return 0;
}

/* Deeper layer l's picture, w x h pixels: a Linear (out, in) matrix; a conv's (Co, Ci, k, k)
 * kernels as Ci rows by Co columns of k x k tiles, 1 px apart (wide, like the panel). */
static void deep_dims(const Net *net, int l, int *w, int *h) {
    const LayerSpec *s = net_param_spec(net, l);
    if (s && s->kind == LAYER_CONV) {
        *w = s->out_c * (s->k + 1) - 1, *h = s->in_c * (s->k + 1) - 1;
    } else if (s) {
        *w = s->in_c, *h = s->out_c;
    } else {
        *w = net->sizes[l], *h = net->sizes[l + 1];
    }
}

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
    int U, tw, th;
    first_tiles(net, &U, &tw, &th);
    int best = 0, bestc = 1, cap = U <= 16 ? 200 : 112; /* softmax templates may be big */
    if (tw < 28 && cap > 12 * tw) cap = 12 * tw; /* a 5x5 filter needs no 200 px */
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
        int wsum = 0, dw, dh;
        for (int l = 1; l < nl; l++) {
            deep_dims(net, l, &dw, &dh);
            wsum += dh < 24 ? 24 : dh;
        }
        for (int l = 1; l < nl; l++) {
            deep_dims(net, l, &dw, &dh);
            int wgt = dh < 24 ? 24 : dh;
            int hh = (left - deeper * 24) * wgt / (wsum ? wsum : 1);
            /* keep cells from growing taller than wide */
            int maxh = dh * (H.w - 20) / dw;
            if (maxh < 20) maxh = 20;
            if (hh > maxh) hh = maxh;
            int rw = H.w - 20;
            const LayerSpec *ls = net_param_spec(net, l);
            if (ls && ls->kind == LAYER_CONV && (long)hh * dw / dh < rw) rw = (int)((long)hh * dw / dh); /* square taps */
            L->layer_rect[l] = (Rect){inner_x + (H.w - 20 - rw) / 2, yy + 20, rw, hh};
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

/* A conv's kernels w (Co, Ci, k, k) as Ci rows by Co columns of k x k tiles, the gaps dark. */
static void paint_kernels(AppImage *im, const float *w, int Co, int Ci, int k, float scale) {
    memset(im->rgba, 0, (size_t)im->w * im->h * 4);
    for (size_t i = 0; i < (size_t)im->w * im->h; i++) im->rgba[4 * i + 3] = 255;
    for (int o = 0; o < Co; o++)
        for (int c = 0; c < Ci; c++)
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++) {
                    uint8_t *p = im->rgba + 4 * ((size_t)(c * (k + 1) + y) * im->w + o * (k + 1) + x);
                    app_colormap(w[(((size_t)o * Ci + c) * k + y) * k + x] / scale, p);
                    p[3] = 255;
                }
    im->version++;
}

/* The tiles image's columns for U tiles. */
static int tile_image_cols(int U) { return U < 16 ? U : 16; }

void weights_paint(App *a) {
    const Net *net = &a->snap.net;
    if (!net->params) return;
    int U, tw, th;
    if (first_tiles(net, &U, &tw, &th)) {
        int cols = tile_image_cols(U), rows = (U + cols - 1) / cols;
        AppImage *im = &a->img[IMG_TILES];
        if (app_image_alloc(im, cols * tw, rows * th, 0) != 0) return;
        size_t n = (size_t)tw * th;
        float s = robust_scale(net->w[0], (size_t)U * n);
        a->heat_scale[0] = s;
        for (int u = 0; u < U; u++) {
            int ox = (u % cols) * tw, oy = (u / cols) * th;
            const float *wu = net->w[0] + (size_t)u * n;
            for (size_t i = 0; i < n; i++) {
                uint8_t *p = im->rgba + 4 * ((size_t)(oy + (int)(i / (size_t)tw)) * im->w + ox + (int)(i % (size_t)tw));
                app_colormap(wu[i] / s, p);
                p[3] = 255;
            }
        }
        im->version++;
    }
    for (int l = 1; l < net->nlayers && IMG_LAYER1 + l - 1 < IMG_COUNT; l++) {
        AppImage *im = &a->img[IMG_LAYER1 + l - 1];
        int cols, rows;
        deep_dims(net, l, &cols, &rows);
        if (app_image_alloc(im, cols, rows, 0) != 0) continue;
        float s = robust_scale(net->w[l], net->wlen[l]);
        a->heat_scale[l] = s;
        const LayerSpec *ls = net_param_spec(net, l);
        if (ls && ls->kind == LAYER_CONV)
            paint_kernels(im, net->w[l], ls->out_c, ls->in_c, ls->k, s);
        else
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
        int u = r * L->tile_cols + c, U, tw, th;
        first_tiles(net, &U, &tw, &th);
        if (inx && c < L->tile_cols && u < U) a->hover_tile = u;
        return;
    }
    for (int l = 1; l < net->nlayers; l++) {
        Rect R = L->layer_rect[l];
        if (R.w > 0 && rect_contains(R, x, y)) {
            int dw, dh;
            deep_dims(net, l, &dw, &dh);
            a->hover_layer = l;
            a->hover_row = (int)((long)(y - R.y) * dh / R.h);
            a->hover_col = (int)((long)(x - R.x) * dw / R.w);
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
    int U, tw, th, tiles = first_tiles(net, &U, &tw, &th);
    const LayerSpec *l0 = net_param_spec(net, 0);
    if (l0 && l0->kind == LAYER_CONV) {
        snprintf(t1, sizeof t1, "First layer: %d conv filters, %dx%d each", U, tw, th);
        snprintf(t2, sizeof t2, "Conv 1: %d filters", U);
    } else if (net->stack && !tiles) {
        snprintf(t1, sizeof t1, "Weights by layer");
        snprintf(t2, sizeof t2, "Weights");
    } else if (net->stack) {
        snprintf(t1, sizeof t1, "First layer: %d units, %dx%d weights each", U, tw, th);
        snprintf(t2, sizeof t2, "Layer 1: %d units", U);
    } else if (net->nlayers == 1) {
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
    if (tiles && a->lay.tile_px > 0) {
        int cols = tile_image_cols(U);
        for (int u = 0; u < U; u++) {
            Rect t = tile_rect(a, u);
            draw_image(&a->dl, IMG_TILES, t, (Rect){(u % cols) * tw, (u / cols) * th, tw, th});
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
        char l1[160], l2[128], l3[64], mag[16];
        ui_fmt_scale(mag, sizeof mag, a->heat_scale[l]);
        const LayerSpec *ls = net_param_spec(net, l);
        if (ls && ls->kind == LAYER_CONV) {
            snprintf(l1, sizeof l1, "layers.%d.weight  %d \xc3\x97 %d kernels %d\xc3\x97%d: a column per output, a row per input  (\xc2\xb1%s)",
                     l, ls->out_c, ls->in_c, ls->k, ls->k, mag);
            snprintf(l2, sizeof l2, "layers.%d.weight %d\xc3\x97%d\xc3\x97%d\xc3\x97%d \xc2\xb1%s", l, ls->out_c, ls->in_c, ls->k, ls->k, mag);
        } else {
            int rows = ls ? ls->out_c : net->sizes[l + 1], cols = ls ? ls->in_c : net->sizes[l];
            snprintf(l1, sizeof l1, "layers.%d.weight  %d \xc3\x97 %d  (colour scale \xc2\xb1%s)", l, rows, cols, mag);
            snprintf(l2, sizeof l2, "layers.%d.weight %d\xc3\x97%d \xc2\xb1%s", l, rows, cols, mag);
        }
        snprintf(l3, sizeof l3, "layer %d", l + 1);
        const char *lo[] = {l1, l2, l3, NULL};
        ui_text(a, FONT_SMALL, R.x, R.y - 18, UI_DIM, ui_first_fit(a, FONT_SMALL, R.w, lo));
        draw_image(&a->dl, IMG_LAYER1 + l - 1, R, (Rect){0, 0, 0, 0});
        draw_frame(&a->dl, R, UI_BORDER);
    }
}

/* The text under a stack's enlarged first-layer tile: the filter (or unit), its bias, and what
 * it gave for the drawing (its feature map after the ReLU, or the unit's activation). */
static void stack_tile_text(App *a, int u, int U, int x, int ty, float bias) {
    const Net *net = &a->snap.net;
    const LayerSpec *l0 = net_param_spec(net, 0);
    int conv = l0 && l0->kind == LAYER_CONV;
    ui_textf(a, FONT_BOLD, x + 10, ty, UI_TEXT, conv ? "filter %d of %d (%dx%d)" : "unit %d of %d", u, U, l0->k, l0->k);
    ui_textf(a, FONT_SMALL, x + 10, ty + 22, UI_DIM, "bias %+.4f", (double)bias);
    int i0 = (int)(l0 - net->arch.layer);
    const float *out = a->probe_ok && a->has_ink ? saliency_layer(&a->probe, net, i0) : NULL;
    if (!out) {
        ui_text(a, FONT_SMALL, x + 10, ty + 40, UI_FAINT, "draw a digit to see");
        ui_text(a, FONT_SMALL, x + 10, ty + 56, UI_FAINT, conv ? "its feature map" : "this unit's activation");
    } else if (conv) {
        size_t n = (size_t)l0->out_h * l0->out_w;
        const float *m = out + (size_t)u * n;
        float mx = m[0];
        size_t on = 0;
        for (size_t i = 0; i < n; i++) mx = m[i] > mx ? m[i] : mx, on += m[i] > 0;
        ui_textf(a, FONT_SMALL, x + 10, ty + 40, UI_DIM, "its %dx%d map: max %.3f", l0->out_h, l0->out_w, (double)mx);
        ui_textf(a, FONT_SMALL, x + 10, ty + 56, UI_TEXT, "%.0f%% of it above 0", 100.0 * (double)on / (double)n);
    } else {
        ui_textf(a, FONT_SMALL, x + 10, ty + 40, UI_DIM, "output %.3f", (double)out[u]);
    }
    ui_text(a, FONT_SMALL, x + 10, ty + 76, UI_FAINT, "orange +, blue -, dark 0");
}

/* Enlarged tile with the unit's index, bias and activation for the current drawing (the
 * drawing's forward pass already holds z = w.x + b). */
static void draw_tile_hover(App *a) {
    const Net *net = &a->snap.net;
    int u = a->hover_tile, U, tw, th;
    if (u < 0 || !first_tiles(net, &U, &tw, &th) || u >= U) return;
    int big = 196, pw = big + 20, ph = big + 118;
    int x = a->mx - pw - 24, y = a->my - ph / 2;
    if (x < 4) x = a->mx + 24;
    if (y < 4) y = 4;
    if (y + ph > a->h - 30) y = a->h - 30 - ph;
    Rect box = {x, y, pw, ph};
    draw_rect(&a->dl, box, (Color){20, 21, 26, 245});
    draw_frame(&a->dl, box, UI_ACCENT);
    int cols = tile_image_cols(U);
    draw_image(&a->dl, IMG_TILES, (Rect){x + 10, y + 10, big, big}, (Rect){(u % cols) * tw, (u / cols) * th, tw, th});
    float bias = net->bias == BIAS_NEURON ? net->b[0][u] : net->b[0][0];
    int ty = y + big + 16;
    if (net->stack) {
        stack_tile_text(a, u, U, x, ty, bias);
        return;
    }
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
    int r = a->hover_row, c = a->hover_col, dw, dh;
    deep_dims(net, l, &dw, &dh);
    if (r < 0 || c < 0 || r >= dh || c >= dw) return;
    char buf[128];
    const LayerSpec *ls = net_param_spec(net, l);
    if (ls && ls->kind == LAYER_CONV) { /* which kernel, which tap */
        int k = ls->k, i = r / (k + 1), o = c / (k + 1), kh = r % (k + 1), kw = c % (k + 1);
        if (kh == k || kw == k)
            snprintf(buf, sizeof buf, "layers.%d.weight: output channel %d, input channel %d", l, o, i);
        else
            snprintf(buf, sizeof buf, "layers.%d.weight[%d][%d][%d][%d] = %+.4f", l, o, i, kh, kw,
                     (double)net->w[l][(((size_t)o * ls->in_c + i) * k + kh) * k + kw]);
    } else {
        snprintf(buf, sizeof buf, "layers.%d.weight[%d][%d] = %+.4f", l, r, c, (double)net->w[l][(size_t)r * dw + c]);
    }
    ui_tooltip(a, buf);
}

void weights_draw_tooltip(App *a) {
    draw_tile_hover(a);
    draw_cell_hover(a);
}

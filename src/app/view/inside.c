/* inside.c - the Inside tab, what the network makes of the drawing: the input beside its saliency
 * map, every hidden layer's ReLU activations as a grid (hover a unit for its value), a CNN's
 * feature maps (each conv and pool output channel as a small grey image, hover for the value),
 * the output probabilities as bars. Everything comes from the drawing's one forward pass
 * (predict.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "view.h"

#define INSIDE_MAX_COLS 16

typedef struct {
    int top, img;               /* images row: y, side */
    Rect grid[NET_MAX_LAYERS];  /* hidden layer l's unit grid */
    int cols[NET_MAX_LAYERS], cell[NET_MAX_LAYERS];
    Rect out;                   /* output bars */
    /* a layer stack: feature maps, then the hidden fc layers' grids (grid, cols, cell) */
    int nmaps, map_layer[APP_MAX_MAPS]; /* index in net->arch of each shown map layer */
    Rect map[APP_MAX_MAPS];     /* where its image goes */
    int ngrids, grid_layer[NET_MAX_LAYERS]; /* index in net->arch of each hidden fc */
} InsideLayout;

/* ---- a layer stack ---- */

static void stack_layout(const App *a, InsideLayout *L) {
    const Net *net = &a->snap.net;
    Rect H = a->lay.heat;
    int y = H.y + APP_TAB_H + 8 + 24, avail_w = H.w - 20, bottom = H.y + H.h - 10, out_h = 70;
    L->top = y;
    L->nmaps = app_map_layers(net, L->map_layer, APP_MAX_MAPS);
    for (int i = 0; i + 1 < net->arch.n; i++)
        if (net->arch.layer[i].kind == LAYER_FC && L->ngrids < NET_MAX_LAYERS) L->grid_layer[L->ngrids++] = i;
    int rows_total = 0, mw[APP_MAX_MAPS], mh[APP_MAX_MAPS];
    for (int g = 0; g < L->ngrids; g++) {
        int U = net->arch.layer[L->grid_layer[g]].out_c, cols = U < INSIDE_MAX_COLS ? U : INSIDE_MAX_COLS;
        if (U > 256) cols = 32;
        L->cols[g] = cols;
        rows_total += (U + cols - 1) / cols;
    }
    for (int m = 0; m < L->nmaps; m++) app_map_dims(&net->arch.layer[L->map_layer[m]], &mw[m], &mh[m]);
    /* shrink the images, the maps and the cells together until everything fits */
    int img = (avail_w - 24) / 2;
    if (img > 124) img = 124;
    double f = 1;
    int cell = 20;
    for (int it = 0; it < 40; it++) {
        double need = 18 + img + 12 + L->nmaps * 22 + L->ngrids * 24 + 24 + out_h;
        for (int m = 0; m < L->nmaps; m++) {
            double s = (double)avail_w / mw[m];
            if (s > 6) s = 6;
            need += mh[m] * s * f;
        }
        cell = (int)(20 * f);
        for (int g = 0; g < L->ngrids; g++)
            if (avail_w / L->cols[g] < cell) cell = avail_w / L->cols[g];
        if (cell < 4) cell = 4;
        need += rows_total * cell;
        if (need <= bottom - y) break;
        /* the maps give first, then the input and saliency images (their captions need ~88 px) */
        if (f > 0.7 || img <= 88) f *= 0.9;
        else img -= 12;
    }
    L->img = img;
    int yy = y + 18 + img + 12;
    for (int m = 0; m < L->nmaps; m++) {
        double s = (double)avail_w / mw[m];
        if (s > 6) s = 6;
        s *= f;
        int w = (int)(mw[m] * s), h = (int)(mh[m] * s);
        L->map[m] = (Rect){H.x + 10 + (avail_w - w) / 2, yy + 18, w, h};
        yy += 22 + h;
    }
    for (int g = 0; g < L->ngrids; g++) {
        int U = net->arch.layer[L->grid_layer[g]].out_c, cols = L->cols[g], rows = (U + cols - 1) / cols;
        L->cell[g] = cell;
        L->grid[g] = (Rect){H.x + 10 + (avail_w - cols * cell) / 2, yy + 20, cols * cell, rows * cell};
        yy += 24 + rows * cell;
    }
    L->out = (Rect){H.x + 10, yy + 22, avail_w, bottom - yy - 22 > out_h - 22 ? out_h - 22 : bottom - yy - 22};
}

/* The unit under (x, y): spec index and flat index into that layer's output, or 0. */
static int stack_unit_at(const App *a, const InsideLayout *L, int x, int y, int *layer, int *unit) {
    const Net *net = &a->snap.net;
    for (int m = 0; m < L->nmaps; m++) {
        Rect r = L->map[m];
        if (r.w <= 0 || !rect_contains(r, x, y)) continue;
        const LayerSpec *l = &net->arch.layer[L->map_layer[m]];
        int w, h;
        app_map_dims(l, &w, &h);
        int px = (int)((long)(x - r.x) * w / r.w), py = (int)((long)(y - r.y) * h / r.h);
        int cols = l->out_c < APP_MAP_COLS ? l->out_c : APP_MAP_COLS;
        int c = py / (l->out_h + 1) * cols + px / (l->out_w + 1), xx = px % (l->out_w + 1), yy = py % (l->out_h + 1);
        if (c >= l->out_c || xx >= l->out_w || yy >= l->out_h) return 0;
        *layer = L->map_layer[m];
        *unit = (c * l->out_h + yy) * l->out_w + xx;
        return 1;
    }
    for (int g = 0; g < L->ngrids; g++) {
        Rect r = L->grid[g];
        if (L->cell[g] <= 0 || !rect_contains(r, x, y)) continue;
        int u = (y - r.y) / L->cell[g] * L->cols[g] + (x - r.x) / L->cell[g];
        if (u >= net->arch.layer[L->grid_layer[g]].out_c) return 0;
        *layer = L->grid_layer[g];
        *unit = u;
        return 1;
    }
    return 0;
}

/* "conv 2 (layers.1)" or "pool 1": the layer's kind and its number among those of its kind. */
static void stack_name(const Net *net, int i, char *buf, size_t n) {
    const LayerSpec *l = &net->arch.layer[i];
    int nth = 0;
    for (int j = 0; j <= i; j++) nth += net->arch.layer[j].kind == l->kind;
    const char *kind = l->kind == LAYER_CONV ? "conv" : l->kind == LAYER_POOL ? "pool" : l->kind == LAYER_FC ? "fc" : "layer";
    if (l->param_index >= 0) snprintf(buf, n, "%s %d (layers.%d)", kind, nth, l->param_index);
    else snprintf(buf, n, "%s %d", kind, nth);
}

static int fused_relu(const Net *net, int i) { return i + 1 < net->arch.n && net->arch.layer[i + 1].kind == LAYER_RELU; }

static void stack_draw_layers(App *a, const InsideLayout *L) {
    const Net *net = &a->snap.net;
    Rect H = a->lay.heat;
    char name[48], buf[200], fit[200];
    for (int m = 0; m < L->nmaps; m++) {
        int i = L->map_layer[m];
        const LayerSpec *l = &net->arch.layer[i];
        Rect r = L->map[m];
        stack_name(net, i, name, sizeof name);
        snprintf(buf, sizeof buf, "%s: %d maps %dx%d%s", name, l->out_c, l->out_h, l->out_w,
                 l->kind == LAYER_CONV && fused_relu(net, i) ? " after ReLU" : "");
        ui_text(a, FONT_SMALL, H.x + 10, r.y - 17, UI_DIM, ui_fit_right(a, FONT_SMALL, buf, H.w - 20, fit, sizeof fit));
        draw_image(&a->dl, IMG_MAP0 + m, r, (Rect){0, 0, 0, 0});
        draw_frame(&a->dl, (Rect){r.x - 1, r.y - 1, r.w + 2, r.h + 2}, UI_BORDER);
        if (a->hover_unit_layer == i && a->hover_unit >= 0) { /* the hovered value's pixel */
            int w, h, cols = l->out_c < APP_MAP_COLS ? l->out_c : APP_MAP_COLS;
            app_map_dims(l, &w, &h);
            int u = a->hover_unit, plane = l->out_h * l->out_w, c = u / plane, yy = u % plane / l->out_w, xx = u % l->out_w;
            int px = (c % cols) * (l->out_w + 1) + xx, py = (c / cols) * (l->out_h + 1) + yy;
            Rect p = {r.x + (int)((long)px * r.w / w), r.y + (int)((long)py * r.h / h), r.w / w + 1, r.h / h + 1};
            draw_frame(&a->dl, (Rect){p.x - 1, p.y - 1, p.w + 2, p.h + 2}, UI_ACCENT);
        }
    }
    for (int g = 0; g < L->ngrids; g++) {
        int i = L->grid_layer[g], U = net->arch.layer[i].out_c, active = 0;
        const float *act = saliency_layer(&a->probe, net, i);
        if (!act) continue;
        float amax = 0;
        for (int u = 0; u < U; u++) {
            active += act[u] > 0;
            if (act[u] > amax) amax = act[u];
        }
        Rect r = L->grid[g];
        stack_name(net, i, name, sizeof name);
        snprintf(buf, sizeof buf, "%s: %d units%s, %d active (max %.2f)", name, U, fused_relu(net, i) ? " after ReLU" : "",
                 active, (double)amax);
        ui_text(a, FONT_SMALL, H.x + 10, r.y - 19, UI_DIM, ui_fit_right(a, FONT_SMALL, buf, H.w - 20, fit, sizeof fit));
        int c = L->cell[g];
        for (int u = 0; u < U; u++) {
            uint8_t rgb[3];
            app_colormap(amax > 0 ? act[u] / amax : 0, rgb);
            draw_rect(&a->dl, (Rect){r.x + (u % L->cols[g]) * c, r.y + (u / L->cols[g]) * c, c - 1, c - 1},
                      (Color){rgb[0], rgb[1], rgb[2], 255});
        }
        if (a->hover_unit_layer == i && a->hover_unit >= 0) {
            int u = a->hover_unit;
            draw_frame(&a->dl, (Rect){r.x + (u % L->cols[g]) * c - 1, r.y + (u / L->cols[g]) * c - 1, c + 1, c + 1}, UI_TEXT);
        }
    }
}

static void stack_tooltip(App *a) {
    const Net *net = &a->snap.net;
    int i = a->hover_unit_layer, u = a->hover_unit;
    if (i < 0 || i >= net->arch.n || u < 0 || !a->probe_ok) return;
    const LayerSpec *l = &net->arch.layer[i];
    const float *o = saliency_layer(&a->probe, net, i);
    if (!o || (size_t)u >= (size_t)l->out_c * l->out_h * l->out_w) return;
    char name[48], buf[200];
    stack_name(net, i, name, sizeof name);
    if (l->kind == LAYER_FC)
        snprintf(buf, sizeof buf, "%s, unit %d: %.3f", name, u, (double)o[u]);
    else {
        int plane = l->out_h * l->out_w;
        snprintf(buf, sizeof buf, "%s, channel %d at (%d, %d): %.3f", name, u / plane, u % plane / l->out_w,
                 u % l->out_w, (double)o[u]);
    }
    ui_tooltip(a, buf);
}

static void inside_layout(const App *a, InsideLayout *L) {
    memset(L, 0, sizeof *L);
    const Net *net = &a->snap.net;
    if (net->stack) {
        stack_layout(a, L);
        return;
    }
    Rect H = a->lay.heat;
    int y = H.y + APP_TAB_H + 8 + 24;
    int avail_w = H.w - 20;
    L->top = y;
    int nh = net->params ? net->nlayers - 1 : 0;
    /* height: images, each hidden grid with a caption, the output bars with labels */
    int bottom = H.y + H.h - 10;
    int out_h = 70;
    int img = (avail_w - 24) / 2;
    if (img > 124) img = 124;
    int rows_total = 0;
    for (int l = 0; l < nh; l++) {
        int U = net->sizes[l + 1], cols = U < INSIDE_MAX_COLS ? U : INSIDE_MAX_COLS;
        if (U > 256) cols = 32;
        L->cols[l] = cols;
        rows_total += (U + cols - 1) / cols;
    }
    /* shrink the images and the cells together until everything fits */
    for (;;) {
        int cell = 26;
        for (int l = 0; l < nh; l++) {
            int c = avail_w / L->cols[l];
            if (c < cell) cell = c;
        }
        int fixed = 18 + img + 12 + nh * 24 + 24 + out_h;
        if (rows_total > 0 && (bottom - y - fixed) / rows_total < cell) cell = (bottom - y - fixed) / rows_total;
        if (cell >= 10 || img <= 56) {
            if (cell < 4) cell = 4;
            for (int l = 0; l < nh; l++) L->cell[l] = cell;
            break;
        }
        img -= 12;
    }
    L->img = img;
    int yy = y + 18 + img + 12;
    for (int l = 0; l < nh; l++) {
        int U = net->sizes[l + 1], cols = L->cols[l], cell = L->cell[l], rows = (U + cols - 1) / cols;
        int gw = cols * cell;
        L->grid[l] = (Rect){H.x + 10 + (avail_w - gw) / 2, yy + 20, gw, rows * cell};
        yy += 24 + rows * cell;
    }
    L->out = (Rect){H.x + 10, yy + 22, avail_w, bottom - yy - 22 > out_h - 22 ? out_h - 22 : bottom - yy - 22};
}

void inside_hover(App *a, int x, int y) {
    a->hover_unit_layer = a->hover_unit = -1;
    const Net *net = &a->snap.net;
    if (!a->probe_ok || !net->params) return;
    InsideLayout L;
    inside_layout(a, &L);
    if (net->stack) {
        int i, u;
        if (stack_unit_at(a, &L, x, y, &i, &u)) a->hover_unit_layer = i, a->hover_unit = u;
        return;
    }
    for (int l = 0; l + 1 < net->nlayers; l++) {
        Rect g = L.grid[l];
        if (L.cell[l] <= 0 || !rect_contains(g, x, y)) continue;
        int u = (y - g.y) / L.cell[l] * L.cols[l] + (x - g.x) / L.cell[l];
        if (u < net->sizes[l + 1]) a->hover_unit_layer = l, a->hover_unit = u;
    }
}

void inside_draw(App *a) {
    Rect H = a->lay.heat;
    const Net *net = &a->snap.net;
    int top = H.y + APP_TAB_H + 8;
    char buf[160], fit[160];
    const char *title[] = {"Inside the network, for this drawing", "Inside the network", "Inside", NULL};
    ui_text(a, FONT_BOLD, H.x + 10, top, UI_TEXT, ui_first_fit(a, FONT_BOLD, H.w - 20, title));
    if (!net->params) return;
    if (!a->probe_ok) {
        ui_text(a, FONT_SMALL, H.x + 10, top + 26, UI_DIM, "Draw a digit to see what each layer makes of it.");
        return;
    }
    InsideLayout L;
    inside_layout(a, &L);
    const char *cls = a->classes[a->top];
    /* the input and its saliency map */
    int x0 = H.x + 10, img = L.img;
    const char *inl[] = {"input (28x28)", "input", NULL};
    ui_text(a, FONT_SMALL, x0, L.top, UI_DIM, ui_first_fit(a, FONT_SMALL, img + 20, inl));
    draw_image(&a->dl, IMG_PREVIEW, (Rect){x0, L.top + 18, img, img}, (Rect){0, 0, 0, 0});
    draw_frame(&a->dl, (Rect){x0 - 1, L.top + 17, img + 2, img + 2}, UI_BORDER);
    int x1 = x0 + img + 24;
    snprintf(buf, sizeof buf, "saliency: d score(%s) / d pixel", cls);
    ui_text(a, FONT_SMALL, x1, L.top, UI_DIM, ui_fit_right(a, FONT_SMALL, buf, H.x + H.w - 10 - x1, fit, sizeof fit));
    draw_image(&a->dl, IMG_SAL_MAP, (Rect){x1, L.top + 18, img, img}, (Rect){0, 0, 0, 0});
    draw_frame(&a->dl, (Rect){x1 - 1, L.top + 17, img + 2, img + 2}, UI_BORDER);
    int kx = x1 + img + 12, kw = H.x + H.w - 10 - kx;
    if (kw >= 80) { /* the key, as many lines as fit beside the pictures */
        char mag[16], sc[32];
        ui_fmt_scale(mag, sizeof mag, a->sal_scale);
        snprintf(sc, sizeof sc, "scale \xc2\xb1%s", mag);
        const struct { int dy; Color c; const char *s; } key[] = {
            {22, UI_ORANGE, "orange: more ink"}, {38, UI_ORANGE, "here raises it"}, {60, UI_ACCENT, "blue: lowers it"},
            {82, UI_FAINT, sc}, {98, UI_FAINT, "G: over the canvas"}};
        int bottom = L.top + 18 + img + 2, th = ui_fh(a, FONT_SMALL);
        for (int i = 0; i < 5 && L.top + key[i].dy + th <= bottom; i++)
            ui_text(a, FONT_SMALL, kx, L.top + key[i].dy, key[i].c, ui_fit_right(a, FONT_SMALL, key[i].s, kw, fit, sizeof fit));
    }
    /* hidden layers */
    const Saliency *s = &a->probe;
    int nh = net->stack ? 0 : net->nlayers - 1;
    if (net->stack)
        stack_draw_layers(a, &L);
    else if (nh == 0)
        ui_text(a, FONT_SMALL, x0, L.top + 18 + img + 14, UI_DIM,
                ui_fit_right(a, FONT_SMALL, "no hidden layers: each output is a weighted sum of the pixels", H.w - 20, fit, sizeof fit));
    for (int l = 0; l < nh; l++) {
        int U = net->sizes[l + 1], active = 0;
        float amax = 0;
        const float *act = s->a[l + 1];
        for (int u = 0; u < U; u++) {
            active += act[u] > 0;
            if (act[u] > amax) amax = act[u];
        }
        Rect g = L.grid[l];
        snprintf(buf, sizeof buf, "layer %d: %d ReLU units, %d active (max %.2f)", l + 1, U, active, (double)amax);
        ui_text(a, FONT_SMALL, H.x + 10, g.y - 19, UI_DIM, ui_fit_right(a, FONT_SMALL, buf, H.w - 20, fit, sizeof fit));
        int c = L.cell[l];
        for (int u = 0; u < U; u++) {
            Rect r = {g.x + (u % L.cols[l]) * c, g.y + (u / L.cols[l]) * c, c - 1, c - 1};
            uint8_t rgb[3];
            float t = amax > 0 ? act[u] / amax : 0;
            app_colormap(t, rgb);
            draw_rect(&a->dl, r, (Color){rgb[0], rgb[1], rgb[2], 255});
        }
        if (a->hover_unit_layer == l && a->hover_unit >= 0) {
            int u = a->hover_unit;
            draw_frame(&a->dl, (Rect){g.x + (u % L.cols[l]) * c - 1, g.y + (u / L.cols[l]) * c - 1, c + 1, c + 1}, UI_TEXT);
        }
    }
    /* output probabilities */
    Rect o = L.out;
    int K = net->sizes[net->nlayers] < 10 ? net->sizes[net->nlayers] : 10;
    ui_text(a, FONT_SMALL, o.x, o.y - 19, UI_DIM, "output: softmax probabilities");
    if (o.h < 10) return;
    int bw = o.w / (K ? K : 1);
    for (int k = 0; k < K; k++) {
        float p = s->a[net->nlayers][k];
        int bh = (int)(p * (o.h - 16) + 0.5f);
        Rect track = {o.x + k * bw + 2, o.y, bw - 4, o.h - 16};
        draw_rect(&a->dl, track, (Color){44, 47, 57, 255});
        draw_rect(&a->dl, (Rect){track.x, track.y + track.h - bh, track.w, bh}, k == a->top ? UI_ACCENT : (Color){90, 170, 255, 120});
        const char *name = a->classes[k];
        ui_text_in(a, FONT_SMALL, (Rect){o.x + k * bw, o.y + o.h - 15, bw, 15}, 1, k == a->top ? UI_TEXT : UI_DIM,
                   ui_fit_right(a, FONT_SMALL, name, bw - 2, fit, sizeof fit));
    }
}

void inside_draw_tooltip(App *a) {
    int l = a->hover_unit_layer, u = a->hover_unit;
    const Net *net = &a->snap.net;
    if (net->stack) {
        stack_tooltip(a);
        return;
    }
    if (l < 0 || u < 0 || !a->probe_ok || l + 1 >= net->nlayers || u >= net->sizes[l + 1]) return;
    char buf[160];
    float z = a->probe.z[l][u];
    if (z > 0)
        snprintf(buf, sizeof buf, "layer %d, unit %d: ReLU(z) = %.3f", l + 1, u, (double)z);
    else
        snprintf(buf, sizeof buf, "layer %d, unit %d: off (z = %.3f < 0)", l + 1, u, (double)z);
    ui_tooltip(a, buf);
}

/* app_inside.c - what the network looks at for the drawing: the saliency map (d score of the top
 * class / d input pixel) laid over the canvas and the 28x28 preview (G), and the Inside tab: the
 * input beside its saliency map, every hidden layer's ReLU activations as a grid, the output
 * probabilities as bars. One image's forward and backward pass (saliency.c) per prediction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "app_ui.h"

#define INSIDE_MAX_COLS 16

/* A robust scale for the map: the 99th percentile of |g| (one hot pixel must not wash out the rest). */
static float map_scale(const float *g, int n) {
    float v[784];
    int m = 0;
    for (int i = 0; i < n && m < 784; i++)
        if (isfinite(g[i])) v[m++] = fabsf(g[i]);
    if (m == 0) return 1;
    /* partial selection sort of the top 1% is enough for 784 values */
    int want = m - 1 - m / 100;
    for (int i = m - 1; i >= want; i--) {
        int best = i;
        for (int j = 0; j < i; j++)
            if (v[j] > v[best]) best = j;
        float t = v[i];
        v[i] = v[best];
        v[best] = t;
    }
    return v[want] > 0 ? v[want] : 1;
}

/* Overlay colour of a map value t (in units of the scale): orange raises the score, blue lowers
 * it, transparent at 0 (alpha 215 |t|^0.8, from a table: this runs for every canvas pixel). */
static void overlay_rgba(float t, uint8_t *p) {
    static uint8_t alpha_lut[257];
    if (!alpha_lut[256])
        for (int i = 0; i <= 256; i++) alpha_lut[i] = (uint8_t)(215.0f * powf(i / 256.0f, 0.8f) + 0.5f);
    float m = fminf(1.0f, fabsf(t));
    int pos = t > 0;
    p[0] = pos ? 255 : 60, p[1] = pos ? 120 : 150, p[2] = pos ? 40 : 255;
    p[3] = alpha_lut[(int)(m * 256.0f)];
}

static void paint_overlays(App *a) {
    AppImage *im = &a->img[IMG_SALIENCY], *pv = &a->img[IMG_SAL_PREVIEW], *mp = &a->img[IMG_SAL_MAP];
    if (app_image_alloc(im, CANVAS_SIDE, CANVAS_SIDE, 1) != 0 || app_image_alloc(pv, 28, 28, 0) != 0 ||
        app_image_alloc(mp, 28, 28, 0) != 0)
        return;
    float s = a->sal_scale;
    for (int i = 0; i < 784; i++) {
        overlay_rgba(a->sal[i] / s, pv->rgba + 4 * i);
        app_colormap(a->sal[i] / s, mp->rgba + 4 * i);
        mp->rgba[4 * i + 3] = 255;
    }
    pv->version++;
    mp->version++;
    if (!a->show_saliency) return; /* the canvas-sized one only when it is seen */
    /* bilinear over the map padded with a zero border (30x30), sample positions per column and row */
    const SalFrame *f = &a->frame;
    float pad[30 * 30] = {0};
    for (int j = 0; j < 28; j++)
        for (int i = 0; i < 28; i++) pad[(j + 1) * 30 + i + 1] = a->sal[j * 28 + i] / s;
    int ci[CANVAS_SIDE], cj[CANVAS_SIDE];
    float cu[CANVAS_SIDE], cv[CANVAS_SIDE];
    for (int k = 0; k < CANVAS_SIDE; k++) {
        /* input pixel k's centre is at k + 0.5; the padded index is one more */
        double u = f->offx + (k + 0.5 - f->x0) * f->sx - 0.5 + 1, v = f->offy + (k + 0.5 - f->y0) * f->sy - 0.5 + 1;
        u = u < 0 ? 0 : u > 28.999 ? 28.999 : u;
        v = v < 0 ? 0 : v > 28.999 ? 28.999 : v;
        ci[k] = (int)u, cu[k] = (float)(u - ci[k]);
        cj[k] = (int)v, cv[k] = (float)(v - cj[k]);
    }
    for (int y = 0; y < CANVAS_SIDE; y++) {
        const float *r0 = pad + cj[y] * 30, *r1 = r0 + 30;
        float fv = cv[y];
        uint8_t *row = im->rgba + 4 * (size_t)y * CANVAS_SIDE;
        for (int x = 0; x < CANVAS_SIDE; x++) {
            int i = ci[x];
            float fu = cu[x];
            float top = r0[i] + fu * (r0[i + 1] - r0[i]), bot = r1[i] + fu * (r1[i + 1] - r1[i]);
            overlay_rgba(top + fv * (bot - top), row + 4 * x);
        }
    }
    im->version++;
}

void inside_update(App *a) {
    const Net *net = &a->snap.net;
    a->probe_ok = a->frame_ok = 0;
    if (!a->has_ink || a->top < 0 || !net->params || net->sizes[0] != 784) return;
    if (!saliency_fits(&a->probe, net)) {
        char err[ERR_LEN];
        saliency_free(&a->probe);
        if (saliency_init(&a->probe, net, err) != 0) return;
    }
    saliency_forward(&a->probe, net, a->input);
    saliency_input_grad(&a->probe, net, a->top, SAL_LOGIT, a->sal);
    a->sal_scale = map_scale(a->sal, 784);
    a->probe_ok = 1;
    a->frame_ok = saliency_frame(a->canvas_px.px, CANVAS_SIDE, CANVAS_SIDE, 0.05f, a->input, &a->frame);
    paint_overlays(a);
}

void app_toggle_saliency(App *a) {
    a->show_saliency = !a->show_saliency;
    inside_update(a); /* the canvas overlay is painted only while shown */
    if (a->show_saliency && !a->probe_ok) app_message(a, 0, "saliency on: draw a digit to see what the network looks at");
    app_trace(a, "\"event\":\"saliency\",\"on\":%s,\"top\":%d,\"scale\":%.6g", a->show_saliency ? "true" : "false", a->top,
              (double)(a->probe_ok ? a->sal_scale : 0));
}

/* ---- the Inside tab ---- */

typedef struct {
    int top, img;               /* images row: y, side */
    Rect grid[NET_MAX_LAYERS];  /* hidden layer l's unit grid */
    int cols[NET_MAX_LAYERS], cell[NET_MAX_LAYERS];
    Rect out;                   /* output bars */
} InsideLayout;

static void inside_layout(const App *a, InsideLayout *L) {
    memset(L, 0, sizeof *L);
    const Net *net = &a->snap.net;
    Rect H = a->heat;
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
    for (int l = 0; l + 1 < net->nlayers; l++) {
        Rect g = L.grid[l];
        if (L.cell[l] <= 0 || !rect_contains(g, x, y)) continue;
        int u = (y - g.y) / L.cell[l] * L.cols[l] + (x - g.x) / L.cell[l];
        if (u < net->sizes[l + 1]) a->hover_unit_layer = l, a->hover_unit = u;
    }
}

void inside_draw(App *a) {
    Rect H = a->heat;
    const Net *net = &a->snap.net;
    int top = H.y + APP_TAB_H + 8;
    char buf[160], fit[160];
    ui_text(a, FONT_BOLD, H.x + 10, top, UI_TEXT, "Inside the network, for this drawing");
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
    ui_text(a, FONT_SMALL, x0, L.top, UI_DIM, "input (28x28)");
    draw_image(&a->dl, IMG_PREVIEW, (Rect){x0, L.top + 18, img, img}, (Rect){0, 0, 0, 0});
    draw_frame(&a->dl, (Rect){x0 - 1, L.top + 17, img + 2, img + 2}, UI_BORDER);
    int x1 = x0 + img + 24;
    snprintf(buf, sizeof buf, "saliency: d score(%s) / d pixel", cls);
    ui_text(a, FONT_SMALL, x1, L.top, UI_DIM, ui_fit_right(a, FONT_SMALL, buf, H.x + H.w - 10 - x1, fit, sizeof fit));
    draw_image(&a->dl, IMG_SAL_MAP, (Rect){x1, L.top + 18, img, img}, (Rect){0, 0, 0, 0});
    draw_frame(&a->dl, (Rect){x1 - 1, L.top + 17, img + 2, img + 2}, UI_BORDER);
    int kx = x1 + img + 12, kw = H.x + H.w - 10 - kx;
    if (kw >= 80) {
        ui_text(a, FONT_SMALL, kx, L.top + 22, UI_ORANGE, "orange: more ink");
        ui_text(a, FONT_SMALL, kx, L.top + 38, UI_ORANGE, ui_fit_right(a, FONT_SMALL, "here raises it", kw, fit, sizeof fit));
        ui_text(a, FONT_SMALL, kx, L.top + 60, UI_ACCENT, "blue: lowers it");
        snprintf(buf, sizeof buf, "scale +-%.2g", (double)a->sal_scale);
        ui_text(a, FONT_SMALL, kx, L.top + 82, UI_FAINT, buf);
        ui_text(a, FONT_SMALL, kx, L.top + 98, UI_FAINT, ui_fit_right(a, FONT_SMALL, "G: over the canvas", kw, fit, sizeof fit));
    }
    /* hidden layers */
    const Saliency *s = &a->probe;
    int nh = net->nlayers - 1;
    if (nh == 0)
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
    if (l < 0 || u < 0 || !a->probe_ok || l + 1 >= net->nlayers || u >= net->sizes[l + 1]) return;
    char buf[160];
    float z = a->probe.z[l][u];
    if (z > 0)
        snprintf(buf, sizeof buf, "layer %d, unit %d: ReLU(z) = %.3f", l + 1, u, (double)z);
    else
        snprintf(buf, sizeof buf, "layer %d, unit %d: off (z = %.3f < 0)", l + 1, u, (double)z);
    ui_tooltip(a, buf);
}

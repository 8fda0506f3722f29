/* predict.c - the drawing's reading: preprocessing the canvas into the 28x28 input, ONE forward
 * pass of it that keeps every layer (saliency.c, through the conv layers too), from which come
 * the bars, the Inside tab's activations and feature maps, the tiles' tooltips and the saliency
 * map, and the images that show them (canvas, input preview, saliency overlays, feature maps).
 * Runs only when the drawing or the network changed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "common.h"
#include "ood_net.h"
#include "preprocess.h"

static void paint_canvas(App *a) {
    AppImage *im = &a->img[IMG_CANVAS];
    const float *px = a->canvas_px.px;
    size_t n = (size_t)CANVAS_SIDE * CANVAS_SIDE;
    for (size_t i = 0; i < n; i++) {
        float v = px[i];
        uint8_t *p = im->rgba + 4 * i;
        /* white ink on near-black, as the network sees it */
        p[0] = (uint8_t)(14 + v * 241), p[1] = (uint8_t)(15 + v * 240), p[2] = (uint8_t)(20 + v * 235), p[3] = 255;
    }
    im->version++;
}

static void paint_preview(App *a) {
    AppImage *im = &a->img[IMG_PREVIEW];
    for (int i = 0; i < 784; i++) {
        uint8_t g = (uint8_t)(a->input[i] * 255 + 0.5f);
        uint8_t *p = im->rgba + 4 * i;
        p[0] = p[1] = p[2] = g;
        p[3] = 255;
    }
    im->version++;
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

/* The saliency map as the Inside tab's image, over the preview, and (while shown) over the canvas
 * through the frame preprocessing applied. */
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
    if (!a->show_saliency || !a->frame_ok) return; /* the canvas-sized one only when it is seen */
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

/* The saliency map of the top class from the probe's forward pass, its robust scale and the
 * overlay images (laid over the canvas through the frame preprocessing returned). */
static void saliency_update(App *a) {
    const Net *net = &a->snap.net;
    if (!a->probe_ok || a->top < 0) return;
    saliency_input_grad(&a->probe, net, a->top, SAL_LOGIT, a->sal);
    float tmp[784];
    memcpy(tmp, a->sal, sizeof tmp);
    float s = quantile_abs(tmp, 784, 0.99); /* one hot pixel must not wash out the rest */
    a->sal_scale = s > 0 ? s : 1;
    paint_overlays(a);
}

int app_map_layers(const Net *net, int *idx, int max) {
    int n = 0;
    if (!net->stack) return 0;
    for (int i = 0; i < net->arch.n && n < max; i++)
        if (net->arch.layer[i].kind == LAYER_CONV || net->arch.layer[i].kind == LAYER_POOL) idx[n++] = i;
    return n;
}

void app_map_dims(const LayerSpec *l, int *w, int *h) {
    int cols = l->out_c < APP_MAP_COLS ? l->out_c : APP_MAP_COLS, rows = (l->out_c + cols - 1) / cols;
    *w = cols * (l->out_w + 1) - 1;
    *h = rows * (l->out_h + 1) - 1;
}

/* Each shown layer's output for the drawing as a grey mosaic of its channels (black = the layer's
 * smallest value, white = its largest), the gaps a dark blue. */
static void paint_maps(App *a) {
    const Net *net = &a->snap.net;
    int idx[APP_MAX_MAPS], n = app_map_layers(net, idx, APP_MAX_MAPS);
    for (int m = 0; m < n; m++) {
        const LayerSpec *l = &net->arch.layer[idx[m]];
        const float *o = saliency_layer(&a->probe, net, idx[m]);
        AppImage *im = &a->img[IMG_MAP0 + m];
        int w, h;
        app_map_dims(l, &w, &h);
        if (!o || app_image_alloc(im, w, h, 0) != 0) continue;
        size_t plane = (size_t)l->out_h * l->out_w, total = plane * l->out_c;
        float lo = o[0], hi = o[0];
        for (size_t i = 0; i < total; i++) lo = o[i] < lo ? o[i] : lo, hi = o[i] > hi ? o[i] : hi;
        float span = hi > lo ? hi - lo : 1;
        for (size_t i = 0; i < (size_t)w * h; i++) {
            uint8_t *p = im->rgba + 4 * i;
            p[0] = 24, p[1] = 26, p[2] = 40, p[3] = 255;
        }
        int cols = l->out_c < APP_MAP_COLS ? l->out_c : APP_MAP_COLS;
        for (int c = 0; c < l->out_c; c++) {
            int ox = (c % cols) * (l->out_w + 1), oy = (c / cols) * (l->out_h + 1);
            for (int y = 0; y < l->out_h; y++)
                for (int x = 0; x < l->out_w; x++) {
                    uint8_t g = (uint8_t)(255.0f * (o[(size_t)c * plane + (size_t)y * l->out_w + x] - lo) / span + 0.5f);
                    uint8_t *p = im->rgba + 4 * ((size_t)(oy + y) * w + ox + x);
                    p[0] = p[1] = p[2] = g;
                }
        }
        im->version++;
    }
}

const float *app_drawing_features(const App *a, int *d) {
    const Net *net = &a->snap.net;
    *d = 0;
    if (!a->probe_ok || !net->params) return NULL;
    if (net->stack) {
        int last = net->arch.n - 1; /* the grammar ends in an fc: its input is the features */
        if (last < 1 || net->arch.layer[last].kind != LAYER_FC) return NULL;
        *d = ood_net_dim(net);
        return saliency_layer(&a->probe, net, last - 1);
    }
    if (net->nlayers < 2) return NULL;
    *d = net->sizes[net->nlayers - 1];
    return a->probe.a[net->nlayers - 1];
}

void app_update_prediction(App *a) {
    const Net *net = &a->snap.net;
    if (a->pred_canvas_ver == a->canvas_px.version && a->pred_net_ver == a->snap.version) return;
    int canvas_changed = a->pred_canvas_ver != a->canvas_px.version;
    a->pred_canvas_ver = a->canvas_px.version;
    a->pred_net_ver = a->snap.version;
    if (canvas_changed) {
        if (a->msg_canvas) a->msg[0] = 0; /* it spoke of the drawing that is gone */
        a->msg_canvas = 0;
        paint_canvas(a);
        /* strokes re-drawn at MNIST's pen width, or the raster (an image, erased strokes) */
        a->has_ink = canvas_input(&a->canvas_px, a->input, &a->frame, &a->info);
        paint_preview(a);
    }
    memset(a->probs, 0, sizeof a->probs);
    a->top = -1;
    a->state = READ_BLANK;
    a->probe_ok = 0;
    a->frame_ok = a->has_ink;
    int K = net->params ? net_outputs(net) : 0;
    if (K > 10) K = 10;
    a->nclass = K ? K : 10;
    if (!net->params || net_inputs(net) != 784) return;
    if (a->has_ink) {
        /* the workspace follows the network's shape, and only its shape */
        if (!saliency_fits(&a->probe, net)) {
            char err[ERR_LEN];
            saliency_free(&a->probe);
            if (saliency_init(&a->probe, net, err) != 0) return;
        }
        saliency_forward(&a->probe, net, a->input);
        a->probe_ok = 1;
        paint_maps(a);
        /* the loaded model's calibration holds until training changes it */
        const int as_loaded = app_as_loaded(a);
        double T = as_loaded ? a->temperature : 1.0;
        float p[64];
        int KK = net_outputs(net) < 64 ? net_outputs(net) : 64;
        calib_probs(p, a->probe.score, KK, T);
        a->top = 0;
        for (int k = 0; k < K; k++) {
            a->probs[k] = p[k];
            if (p[k] > p[a->top]) a->top = k;
        }
        a->state = calib_state(a->has_ink, &a->info, a->probs[a->top]);
        /* the loaded model's not-a-digit detector, while the network is the one it was fitted to */
        int fd;
        const float *feat = app_drawing_features(a, &fd);
        if (as_loaded && a->ood.K == K && a->state != READ_BLANK && (a->ood.on_logits || (feat && fd == a->ood.d)))
            a->state = calib_state_ood(a->state, ood_rejects(&a->ood, a->probe.score, a->ood.on_logits ? NULL : feat));
        saliency_update(a);
    }
    a->npredictions++;
    if (a->trace) {
        char buf[400];
        int j = 0;
        for (int k = 0; k < K; k++) j += snprintf(buf + j, sizeof buf - (size_t)j, "%s%.4f", k ? "," : "", a->probs[k]);
        app_trace(a, "\"event\":\"prediction\",\"digit\":%d,\"confident\":%s,\"state\":\"%s\",\"probs\":[%s]", a->top,
                  a->state == READ_SURE ? "true" : "false", calib_state_name(a->state), buf);
    }
}

void app_toggle_saliency(App *a) {
    a->show_saliency = !a->show_saliency;
    saliency_update(a); /* the canvas overlay is painted only while shown */
    if (a->show_saliency && !a->probe_ok) app_message(a, SEV_INFO, "saliency on: draw a digit to see what the network looks at");
    app_trace(a, "\"event\":\"saliency\",\"on\":%s,\"top\":%d,\"scale\":%.6g", a->show_saliency ? "true" : "false", a->top,
              (double)(a->probe_ok ? a->sal_scale : 0));
}

/* app.c - the window's state machine: layout, events -> state and queued actions, the
 * drawing's prediction, and the RGBA images (canvas, preview, weight heatmaps). Rendering the
 * frame into draw commands is in app_draw.c; carrying out actions is in session.c. */
#include "app.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app_ui.h"
#include "common.h"
#include "preprocess.h"

/* ---- text metrics ---- */

static const int FONT_PX[FONT_COUNT] = {12, 14, 14, 13, 16, 120, 56};

static int est_width(void *ud, int font, const char *s) {
    (void)ud;
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++; /* count UTF-8 code points */
    return (int)(n * FONT_PX[font] * 0.6f + 0.5f);
}

static int est_height(void *ud, int font) {
    (void)ud;
    return (int)(FONT_PX[font] * 1.2f + 0.5f);
}

void app_set_text_metrics(App *a, TextWidthFn tw, FontHeightFn fh, void *ud) {
    a->text_width = tw ? tw : est_width;
    a->font_height = fh ? fh : est_height;
    a->text_ud = ud;
    app_resize(a, a->w, a->h);
}

/* ---- setup ---- */

static int image_alloc(AppImage *im, int w, int h, int smooth) {
    if (im->w == w && im->h == h && im->rgba) return 0;
    uint8_t *p = calloc((size_t)w * h, 4);
    if (!p) return -1;
    free(im->rgba);
    im->rgba = p;
    im->w = w;
    im->h = h;
    im->smooth = smooth;
    im->version++;
    return 0;
}

int app_image_alloc(AppImage *im, int w, int h, int smooth) { return image_alloc(im, w, h, smooth); }

static void recent_path(char *out, size_t n) {
    const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (x && *x)
        snprintf(out, n, "%s/digitrec/recent", x);
    else if (home && *home)
        snprintf(out, n, "%s/.config/digitrec/recent", home);
    else
        out[0] = 0;
}

int app_init(App *a, int w, int h, const char *models_dir, const char *autosave, char *err) {
    memset(a, 0, sizeof *a);
    if (canvas_init(&a->canvas_px, CANVAS_SIDE, err) != 0) return -1;
    drawlist_init(&a->dl);
    snprintf(a->models_dir, sizeof a->models_dir, "%s", models_dir && *models_dir ? models_dir : "models");
    if (autosave && *autosave)
        snprintf(a->autosave, sizeof a->autosave, "%s", autosave);
    else
        snprintf(a->autosave, sizeof a->autosave, "%.1000s/autosave.safetensors", a->models_dir);
    recent_path(a->recent_file, sizeof a->recent_file);
    worker_config_default(&a->ctl, "mlp");
    a->arch = ARCH_MLP;
    snprintf(a->custom, sizeof a->custom, "784-256-10");
    a->hover_tile = -1;
    a->pressed = -1;
    a->gal_t = a->gal_p = -1;
    a->hover_cell_t = a->hover_cell_p = a->hover_thumb = -1;
    a->hover_unit_layer = a->hover_unit = -1;
    a->nclass = 10;
    a->pred_canvas_ver = (unsigned long)-1;
    app_set_classes(a, NULL);
    if (image_alloc(&a->img[IMG_CANVAS], CANVAS_SIDE, CANVAS_SIDE, 1) != 0 ||
        image_alloc(&a->img[IMG_PREVIEW], PRE_SIDE, PRE_SIDE, 0) != 0 ||
        image_alloc(&a->img[IMG_COLORBAR], 1, 256, 1) != 0) {
        app_free(a);
        return err_set(err, "window: out of memory");
    }
    AppImage *cb = &a->img[IMG_COLORBAR];
    for (int i = 0; i < 256; i++) {
        app_colormap(1.0f - 2.0f * (float)i / 255.0f, cb->rgba + 4 * i);
        cb->rgba[4 * i + 3] = 255;
    }
    a->text_width = est_width;
    a->font_height = est_height;
    app_resize(a, w, h);
    return 0;
}

void app_free(App *a) {
    canvas_free(&a->canvas_px);
    saliency_free(&a->probe);
    dataset_free(&a->personal);
    app_runs_free(a);
    snapshot_free(&a->snap);
    if (a->wk_ok) netwk_free(&a->wk);
    for (int i = 0; i < IMG_COUNT; i++) free(a->img[i].rgba);
    drawlist_free(&a->dl);
    memset(a, 0, sizeof *a);
}

void app_set_trace(App *a, FILE *f) {
    a->trace = f;
    app_resize(a, a->w, a->h); /* so the trace starts with the layout */
}

void app_trace(App *a, const char *fmt, ...) {
    if (!a->trace) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(a->trace, "{\"t\":%.3f,", a->now);
    vfprintf(a->trace, fmt, ap);
    fputs("}\n", a->trace);
    fflush(a->trace);
    va_end(ap);
}

/* Writes s as a JSON string body (without quotes) into out. */
static void json_escape(char *out, size_t n, const char *s) {
    size_t j = 0;
    for (; *s && j + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c < 0x20) {
            j += (size_t)snprintf(out + j, n - j, "\\u%04x", c);
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = 0;
}

void app_message(App *a, int error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    /* one line only: a multi-line error would not fit the status bar */
    for (char *p = a->msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    a->msg_err = error;
    a->msg_time = a->now;
    char esc[1100];
    json_escape(esc, sizeof esc, a->msg);
    app_trace(a, "\"event\":\"message\",\"error\":%s,\"text\":\"%s\"", error ? "true" : "false", esc);
}

int app_push_action(App *a, ActionType t, const char *path) {
    if (a->nact == APP_MAX_ACTIONS) return -1;
    Action *x = &a->act[a->nact++];
    char tmp[APP_PATH_LEN]; /* path may live inside a (a file list entry) */
    snprintf(tmp, sizeof tmp, "%s", path ? path : "");
    x->type = t;
    memcpy(x->path, tmp, sizeof tmp);
    x->arg = 0;
    return 0;
}

int app_unsaved(const App *a) {
    if (a->snap.step <= 0) return 0;
    return !(a->snap.generation == a->saved_gen && a->snap.step == a->saved_step);
}

void app_set_classes(App *a, const char *csv) {
    for (int k = 0; k < 10; k++) snprintf(a->classes[k], sizeof a->classes[k], "%d", k);
    if (!csv) return;
    int k = 0;
    const char *p = csv;
    while (k < 10 && *p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0) {
            if (len > sizeof a->classes[k] - 1) len = sizeof a->classes[k] - 1;
            memcpy(a->classes[k], p, len);
            a->classes[k][len] = 0;
        }
        k++;
        if (!e) break;
        p = e + 1;
    }
}

int app_parse_sizes(const char *s, WorkerConfig *cfg, char *err) {
    int sizes[NET_MAX_LAYERS + 2];
    int n = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 4096)
            return err_set(err, "sizes: expected numbers 1..4096 separated by '-', got \"%s\"", s);
        if (n == NET_MAX_LAYERS + 1) return err_set(err, "sizes: at most %d layers", NET_MAX_LAYERS);
        sizes[n++] = (int)v;
        p = end;
        while (*p == ' ') p++;
        if (*p == '-' || *p == ',' || *p == 'x')
            p++;
        else if (*p)
            return err_set(err, "sizes: unexpected '%c' in \"%s\"", *p, s);
    }
    if (n < 2) return err_set(err, "sizes: need at least input and output, e.g. 784-256-10");
    if (sizes[0] != 784) return err_set(err, "sizes: the first size must be 784 (28x28 pixels)");
    if (sizes[n - 1] != 10) return err_set(err, "sizes: the last size must be 10 (classes)");
    cfg->nlayers = n - 1;
    memset(cfg->sizes, 0, sizeof cfg->sizes);
    memcpy(cfg->sizes, sizes, sizeof(int) * (size_t)n);
    return 0;
}

static int sizes_are(const WorkerConfig *c, const int *s, int n) {
    if (c->nlayers != n - 1) return 0;
    for (int i = 0; i < n; i++)
        if (c->sizes[i] != s[i]) return 0;
    return 1;
}

static void arch_from_sizes(App *a) {
    static const int SM[] = {784, 10}, MLP[] = {784, 128, 64, 10};
    if (sizes_are(&a->ctl, SM, 2))
        a->arch = ARCH_SOFTMAX;
    else if (sizes_are(&a->ctl, MLP, 4))
        a->arch = ARCH_MLP;
    else {
        a->arch = ARCH_CUSTOM;
        worker_sizes_str(a->ctl.sizes, a->ctl.nlayers, a->custom, sizeof a->custom);
    }
}

void app_adopt_network(App *a, const Net *net) {
    a->ctl.nlayers = net->nlayers;
    memset(a->ctl.sizes, 0, sizeof a->ctl.sizes);
    memcpy(a->ctl.sizes, net->sizes, sizeof(int) * (size_t)(net->nlayers + 1));
    arch_from_sizes(a);
}

/* ---- layout ---- */

static const char *widget_text(const App *a, int id, char *buf, size_t n);

static int tw(const App *a, int font, const char *s) { return a->text_width(a->text_ud, font, s); }
static int fh(const App *a, int font) { return a->font_height(a->text_ud, font); }

/* Widest value a spin box must hold, so the bar does not jump as values change. */
static const char *spin_template(int id) {
    switch (id) {
    case WID_ARCH: return "784-128-64-10";
    case WID_OPT: return "momentum";
    case WID_LR: return "0.0003";
    case WID_BATCH: return "1024";
    case WID_EPOCHS: return "100";
    case WID_SEED: return "999";
    default: return "";
    }
}

static const char *spin_caption(int id) {
    switch (id) {
    case WID_ARCH: return "Network";
    case WID_OPT: return "Optimiser";
    case WID_LR: return "LR";
    case WID_BATCH: return "Batch";
    case WID_EPOCHS: return "Epochs";
    case WID_SEED: return "Seed";
    default: return "";
    }
}

static void heat_layout(App *a);

#define MIX_TEMPLATE "Mine 9999: mix off (P)"

void app_resize(App *a, int w, int h) {
    if (w < 640) w = 640;
    if (h < 480) h = 480;
    a->w = w, a->h = h;
    const int pad = 10, row = 30, bh = fh(a, FONT_BODY) + 10;
    /* top bar: a flow of widgets after the title, wrapping when the window is narrow */
    int x = pad + tw(a, FONT_TITLE, "digitrec") + 18, y = 7;
    static const int order0[] = {WID_TRAIN, WID_STEP, WID_RESET, WID_MIX, WID_ARCH, WID_OPT, WID_LR, WID_BATCH,
                                 WID_EPOCHS, WID_SEED, WID_SAVE, WID_OPEN, WID_DATA, WID_EXPORT, WID_HELP};
    int order[sizeof order0 / sizeof order0[0]];
    memcpy(order, order0, sizeof order);
    a->nwidgets = 0;
    char buf[64];
    /* does everything fit on one row? */
    int total = x;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (order[i] >= WID_ARCH && order[i] <= WID_SEED)
            total += tw(a, FONT_SMALL, spin_caption(order[i])) + 6 + 36 + tw(a, FONT_BODY, spin_template(order[i])) + 12;
        else
            total += tw(a, FONT_BODY, order[i] == WID_TRAIN ? "Pause (Space)" : order[i] == WID_MIX ? MIX_TEMPLATE
                                                                           : widget_text(a, order[i], buf, sizeof buf)) + 20;
        total += 6;
    }
    int one_row = total + 20 <= w - pad, ymax = y;
    if (!one_row) {
        /* two rows: the Mine switch joins the actions on the first unless it would reach the files */
        int files = 0, acts = x + 10;
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            if (order[i] == WID_SAVE || order[i] == WID_OPEN || order[i] == WID_DATA || order[i] == WID_EXPORT ||
                order[i] == WID_HELP)
                files += tw(a, FONT_BODY, widget_text(a, order[i], buf, sizeof buf)) + 26;
            if (order[i] == WID_TRAIN) acts += tw(a, FONT_BODY, "Pause (Space)") + 26;
            if (order[i] == WID_STEP || order[i] == WID_RESET) acts += tw(a, FONT_BODY, widget_text(a, order[i], buf, sizeof buf)) + 26;
            if (order[i] == WID_MIX) acts += tw(a, FONT_BODY, MIX_TEMPLATE) + 26;
        }
        if (acts > w - pad - files - 10) { /* after Seed instead */
            int k = 0;
            for (size_t i = 0; i < sizeof order0 / sizeof order0[0]; i++) {
                if (order0[i] == WID_MIX) continue;
                order[k++] = order0[i];
                if (order0[i] == WID_SEED) order[k++] = WID_MIX;
            }
        }
    }

    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        Widget *wd = &a->widgets[a->nwidgets++];
        memset(wd, 0, sizeof *wd);
        wd->id = order[i];
        int ww;
        if (order[i] >= WID_ARCH && order[i] <= WID_SEED) {
            wd->spin = 1;
            int cw = tw(a, FONT_SMALL, spin_caption(order[i])) + 6;
            int vw = tw(a, FONT_BODY, spin_template(order[i])) + 12;
            ww = cw + 18 + vw + 18;
        } else {
            ww = tw(a, FONT_BODY, widget_text(a, order[i], buf, sizeof buf)) + 20;
            if (order[i] == WID_TRAIN) ww = tw(a, FONT_BODY, "Pause (Space)") + 20;
            if (order[i] == WID_MIX) ww = tw(a, FONT_BODY, MIX_TEMPLATE) + 20;
        }
        if (order[i] == WID_ARCH || order[i] == WID_SAVE || order[i] == WID_MIX) x += 10; /* group gaps */
        if (order[i] == WID_ARCH && !one_row) {
            /* two rows: actions on the first (files at its right end), settings on the second */
            x = pad;
            y += row + 4;
        } else if (x + ww > w - pad && x > pad + 100) {
            x = pad;
            y += row + 4;
        }
        if (order[i] == WID_SAVE && !one_row) {
            int rest_w = 0;
            for (size_t k = i; k < sizeof order / sizeof order[0]; k++)
                rest_w += tw(a, FONT_BODY, widget_text(a, order[k], buf, sizeof buf)) + 20 + 6;
            x = w - pad - rest_w + 6;
            y = 7;
        }
        wd->r = (Rect){x, y, ww, bh};
        if (wd->spin) {
            int cw = tw(a, FONT_SMALL, spin_caption(order[i])) + 6;
            wd->label = (Rect){x, y, cw, bh};
            wd->dec = (Rect){x + cw, y, 18, bh};
            wd->val = (Rect){x + cw + 18, y, ww - cw - 36, bh};
            wd->inc = (Rect){x + ww - 18, y, 18, bh};
        }
        x += ww + 6;
        if (y > ymax) ymax = y;
    }
    a->bar_h = ymax + bh + 7;
    a->status = (Rect){0, h - 26, w, 26};
    int top = a->bar_h + pad, bottom = h - 26 - pad, mh = bottom - top;

    /* column A: canvas, then the 28x28 input and the verdict */
    int cs = mh - 250;
    int cmax = (int)((w - 4 * pad) * 0.36);
    if (cs > cmax) cs = cmax;
    if (cs < 160) cs = 160;
    a->canvas_panel = (Rect){pad, top, cs, 26 + cs};
    a->canvas = (Rect){pad, top + 26, cs, cs};
    int y2 = a->canvas.y + cs + pad;
    int ps = bottom - (y2 + 22);
    if (ps > 196) ps = 196;
    if (ps > cs / 2) ps = cs / 2;
    if (ps < 56) ps = 56;
    a->preview = (Rect){pad, y2 + 22, ps, ps};
    a->verdict = (Rect){pad + ps + pad, y2, cs - ps - pad, ps + 22};

    /* Widgets inside the canvas header and the loss plot header; a narrow window drops their key hints */
    a->short_labels = tw(a, FONT_SMALL, "Undo (Ctrl+Z)") + tw(a, FONT_SMALL, "Clear (C)") + 40 > cs;
    {
        Widget *u = &a->widgets[a->nwidgets++];
        memset(u, 0, sizeof *u);
        u->id = WID_UNDO;
        int uw = tw(a, FONT_SMALL, widget_text(a, WID_UNDO, buf, sizeof buf)) + 14;
        u->r = (Rect){a->canvas.x + cs - uw, top, uw, 22};
        Widget *c = &a->widgets[a->nwidgets++];
        memset(c, 0, sizeof *c);
        c->id = WID_CLEAR;
        int cw = tw(a, FONT_SMALL, widget_text(a, WID_CLEAR, buf, sizeof buf)) + 14;
        c->r = (Rect){u->r.x - 6 - cw, top, cw, 22};
        Widget *g = &a->widgets[a->nwidgets++];
        memset(g, 0, sizeof *g);
        g->id = WID_SALIENCY;
        int gw = tw(a, FONT_SMALL, widget_text(a, WID_SALIENCY, buf, sizeof buf)) + 14;
        g->r = (Rect){c->r.x - 6 - gw, top, gw, 22};
        if (g->r.x < a->canvas.x) g->r = (Rect){0, 0, 0, 0}; /* no room: G still toggles it */
    }

    /* columns B (probabilities, curves) and C (weights) */
    int xb = pad + cs + 2 * pad;
    int rest = w - xb - pad;
    int wb = (int)(rest * 0.47);
    int prow = (mh * 36 / 100 - 34) / 10;
    prow = prow < 16 ? 16 : prow > 22 ? 22 : prow;
    a->prob_row = prow;
    int probs_h = 10 * prow + 34;
    a->probs_panel = (Rect){xb, top, wb, probs_h};
    int cy = top + probs_h + pad, ch = bottom - cy;
    int lh = (ch - pad) * 57 / 100;
    a->loss_plot = (Rect){xb, cy, wb, lh};
    a->acc_plot = (Rect){xb, cy + lh + pad, wb, ch - lh - pad};
    {
        Widget *l = &a->widgets[a->nwidgets++];
        memset(l, 0, sizeof *l);
        l->id = WID_LOG;
        int lw = tw(a, FONT_SMALL, "log scale (L)") + 26;
        l->r = (Rect){a->loss_plot.x + wb - lw - 6, cy + 5, lw, 20};
    }
    int xc = xb + wb + pad;
    a->heat = (Rect){xc, top, w - xc - pad, mh};
    {
        /* the right panel's view tabs, in its header */
        static const int tabs[] = {WID_TAB_WEIGHTS, WID_TAB_ERRORS, WID_TAB_INSIDE};
        int tx = a->heat.x + 8, need = 0;
        for (int i = 0; i < 3; i++) need += tw(a, FONT_BODY, widget_text(a, tabs[i], buf, sizeof buf)) + 22;
        if (need > a->heat.w - 12) a->short_labels = 1;
        for (int i = 0; i < (int)(sizeof tabs / sizeof tabs[0]); i++) {
            Widget *t = &a->widgets[a->nwidgets++];
            memset(t, 0, sizeof *t);
            t->id = tabs[i];
            int tw1 = tw(a, FONT_BODY, widget_text(a, tabs[i], buf, sizeof buf)) + 18;
            t->r = (Rect){tx, top + 5, tw1, APP_TAB_H - 6};
            tx += tw1 + 4;
        }
    }
    heat_layout(a);
    explore_layout(a);
    app_trace(a, "\"event\":\"layout\",\"window\":[%d,%d],\"canvas\":[%d,%d,%d,%d]", w, h, a->canvas.x, a->canvas.y,
              a->canvas.w, a->canvas.h);
}

/* Lays out the weight panel for the current network: a grid of 28x28 tiles for the first layer
 * with its colour bar, and one heatmap per deeper weight matrix below. */
static void heat_layout(App *a) {
    const Net *net = &a->snap.net;
    Rect H = a->heat;
    int L = net->params ? net->nlayers : 0;
    int inner_x = H.x + 10, inner_w = H.w - 20 - 56; /* 56: colour bar and its labels */
    int y = H.y + APP_TAB_H + 30;
    int avail = H.y + H.h - 10 - y;
    int deeper = L > 1 ? L - 1 : 0;
    int tiles_h = deeper ? avail * 62 / 100 : avail;
    a->tile_gap = 2;
    int U = L ? net->sizes[1] : 0;
    int best = 0, bestc = 1, cap = U <= 16 ? 200 : 112; /* softmax templates may be big */
    for (int c = 1; c <= U; c++) {
        int r = (U + c - 1) / c;
        int t1 = (inner_w - (c - 1) * a->tile_gap) / c, t2 = (tiles_h - (r - 1) * a->tile_gap) / r;
        int t = t1 < t2 ? t1 : t2;
        if (t > cap) t = cap;
        /* the biggest tiles; among equals, the grid with the fewest empty cells */
        int empty = r * c - U, best_empty = ((U + bestc - 1) / bestc) * bestc - U;
        if (t > best || (t == best && empty < best_empty)) best = t, bestc = c;
    }
    a->tile_cols = bestc;
    a->tile_px = best;
    int rows = U ? (U + bestc - 1) / bestc : 0;
    int used_w = bestc * (best + a->tile_gap) - a->tile_gap;
    int tiles_x = inner_x + (U && used_w < inner_w ? (inner_w - used_w) / 2 : 0); /* centre a narrow grid */
    a->tiles_area = (Rect){tiles_x, y, bestc * (best + a->tile_gap) - a->tile_gap, rows * (best + a->tile_gap) - a->tile_gap};
    a->colorbar = (Rect){a->tiles_area.x + a->tiles_area.w + 12, y, 12, a->tiles_area.h > 60 ? a->tiles_area.h : 60};
    memset(a->layer_rect, 0, sizeof a->layer_rect);
    if (deeper) {
        int yy = y + a->tiles_area.h + 14;
        int left = H.y + H.h - 10 - yy;
        int wsum = 0;
        for (int l = 1; l < L; l++) wsum += net->sizes[l + 1] < 24 ? 24 : net->sizes[l + 1];
        for (int l = 1; l < L; l++) {
            int wgt = net->sizes[l + 1] < 24 ? 24 : net->sizes[l + 1];
            int hh = (left - deeper * 24) * wgt / (wsum ? wsum : 1);
            /* keep cells from growing taller than wide */
            int maxh = net->sizes[l + 1] * (H.w - 20) / net->sizes[l];
            if (maxh < 20) maxh = 20;
            if (hh > maxh) hh = maxh;
            a->layer_rect[l] = (Rect){inner_x, yy + 20, H.w - 20, hh};
            yy += 24 + hh;
        }
    }
}

/* ---- images ---- */

void app_colormap(float v, uint8_t rgb[3]) {
    if (!(v == v)) v = 0;
    if (v > 1) v = 1;
    if (v < -1) v = -1;
    static const float mid[3] = {22, 23, 30}, pos[3] = {255, 120, 40}, neg[3] = {60, 150, 255};
    const float *end = v >= 0 ? pos : neg;
    float t = fabsf(v);
    t = sqrtf(t); /* lift small weights off the background */
    for (int i = 0; i < 3; i++) rgb[i] = (uint8_t)(mid[i] + (end[i] - mid[i]) * t + 0.5f);
}

double app_nice_step(double range, int n) {
    if (!(range > 0) || n < 1) return 1;
    double raw = range / n, p = pow(10, floor(log10(raw))), f = raw / p;
    double m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return m * p;
}

/* A robust colour scale: the 99.5th percentile of |x| (so one outlier does not wash out the rest). */
static float robust_scale(const float *x, size_t n) {
    float mx = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > mx && isfinite(x[i])) mx = fabsf(x[i]);
    if (mx <= 0) return 1;
    enum { NB = 1024 };
    static __thread long hist[NB];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        float v = fabsf(x[i]);
        if (!isfinite(v)) continue;
        int b = (int)(v / mx * (NB - 1));
        hist[b]++;
    }
    long want = (long)(n * 0.995), acc = 0;
    for (int b = 0; b < NB; b++) {
        acc += hist[b];
        if (acc >= want) return mx * (float)(b + 1) / NB;
    }
    return mx;
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

/* Rebuilds the heatmap images from snap.net: first layer as 28x28 tiles packed 16 per row. */
static void build_heatmaps(App *a) {
    const Net *net = &a->snap.net;
    if (!net->params) return;
    if (net->sizes[0] == 784) {
        int U = net->sizes[1], cols = U < 16 ? U : 16, rows = (U + cols - 1) / cols;
        AppImage *im = &a->img[IMG_TILES];
        if (image_alloc(im, cols * 28, rows * 28, 0) != 0) return;
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
        if (image_alloc(im, cols, rows, 0) != 0) continue;
        float s = robust_scale(net->w[l], (size_t)rows * cols);
        a->heat_scale[l] = s;
        paint_matrix(im, net->w[l], rows, cols, s);
    }
}

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

/* ---- prediction ---- */

void app_update_prediction(App *a) {
    const Net *net = &a->snap.net;
    if (a->pred_canvas_ver == a->canvas_px.version && a->pred_net_ver == a->snap.version) return;
    int canvas_changed = a->pred_canvas_ver != a->canvas_px.version;
    a->pred_canvas_ver = a->canvas_px.version;
    a->pred_net_ver = a->snap.version;
    if (canvas_changed) {
        paint_canvas(a);
        a->has_ink = preprocess_digit(a->input, a->canvas_px.px, CANVAS_SIDE, CANVAS_SIDE, 0.05f);
        paint_preview(a);
    }
    memset(a->probs, 0, sizeof a->probs);
    a->top = -1;
    a->probe_ok = 0;
    a->frame_ok = 0;
    int K = net->params ? net->sizes[net->nlayers] : 0;
    if (K > 10) K = 10;
    a->nclass = K ? K : 10;
    if (!net->params || net->sizes[0] != 784) return;
    if (a->wk_ok && a->wk.act[net->nlayers] == NULL) a->wk_ok = 0;
    if (!a->wk_ok || a->wk.cap < 1) {
        char err[ERR_LEN];
        if (netwk_create(&a->wk, net, 1, err) != 0) return;
        a->wk_ok = 1;
    }
    if (a->has_ink) {
        net_forward(net, &a->wk, a->input, NULL, 1);
        const float *p = net_probs(net, &a->wk);
        a->top = 0;
        for (int k = 0; k < K; k++) {
            a->probs[k] = p[k];
            if (p[k] > p[a->top]) a->top = k;
        }
    }
    inside_update(a);
    a->npredictions++;
    if (a->trace) {
        char buf[400];
        int j = 0;
        for (int k = 0; k < K; k++) j += snprintf(buf + j, sizeof buf - (size_t)j, "%s%.4f", k ? "," : "", a->probs[k]);
        app_trace(a, "\"event\":\"prediction\",\"digit\":%d,\"confident\":%s,\"probs\":[%s]", a->top,
                  a->top >= 0 && a->probs[a->top] >= APP_LOW_CONFIDENCE ? "true" : "false", buf);
    }
}

void app_on_snapshot(App *a) {
    const Snapshot *s = &a->snap;
    /* the network's shape may have changed: the forward workspace follows it */
    if (a->wk_ok) {
        netwk_free(&a->wk);
        a->wk_ok = 0;
    }
    if (s->data_seq != a->seen_data_seq) {
        a->seen_data_seq = s->data_seq;
        if (!a->classes_from_model && s->classes[0][0]) {
            for (int k = 0; k < 10; k++) snprintf(a->classes[k], sizeof a->classes[k], "%s", s->classes[k]);
            app_resize(a, a->w, a->h);
        }
        app_trace(a, "\"event\":\"data\",\"loaded\":\"%.60s\",\"classes\":\"%.20s,%.20s,...\"", s->data_desc,
                  s->classes[0], s->classes[1]);
    }
    if (s->generation != a->seen_gen) {
        a->seen_gen = s->generation;
        app_adopt_network(a, &s->net);
        a->ctl.seed = s->cfg.seed;
        if (s->step == 0) a->saved_gen = s->generation, a->saved_step = 0;
        /* a fresh network on this data reads the data's classes (a loaded model keeps its own) */
        if ((s->gen_cause == GEN_RESET || s->gen_cause == GEN_DATA) && s->classes[0][0]) {
            a->classes_from_model = 0;
            for (int k = 0; k < 10; k++) snprintf(a->classes[k], sizeof a->classes[k], "%s", s->classes[k]);
            app_resize(a, a->w, a->h); /* the matrix's labels may be wider */
        }
    }
    heat_layout(a);
    build_heatmaps(a);
    explore_on_snapshot(a);
    if (s->status_seq != a->seen_status_seq) {
        a->seen_status_seq = s->status_seq;
        if (s->status[0]) app_message(a, strstr(s->status, "NaN") || strstr(s->status, "cannot") || strstr(s->status, "no training") ? 1 : 0, "%s", s->status);
    }
    if (a->trace && s->nloss > 0) {
        const EvalPoint *e = s->nevals ? &s->evals[s->nevals - 1] : NULL;
        app_trace(a, "\"event\":\"publish\",\"step\":%ld,\"epoch\":%d,\"loss\":%.5f,\"test_loss\":%.5f,\"test_acc\":%.5f,\"running\":%s",
                  s->step, s->epoch, s->loss[s->nloss - 1], e ? e->loss : -1.0, e ? e->acc : -1.0, s->running ? "true" : "false");
    }
    app_update_prediction(a);
}

/* ---- events ---- */

static void canvas_point(const App *a, int x, int y, float *cx, float *cy) {
    *cx = (float)(x - a->canvas.x) * CANVAS_SIDE / (float)a->canvas.w;
    *cy = (float)(y - a->canvas.y) * CANVAS_SIDE / (float)a->canvas.h;
}

static const float LRS[] = {0.0001f, 0.0003f, 0.001f, 0.003f, 0.01f, 0.02f, 0.05f, 0.1f, 0.2f, 0.5f, 1.0f};
static const int BATCHES[] = {1, 8, 16, 32, 64, 128, 256, 512, 1024};

static int nearest_index_f(const float *v, int n, float x) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (fabsf(logf(v[i] / x)) < fabsf(logf(v[best] / x))) best = i;
    return best;
}

static int nearest_index_i(const int *v, int n, int x) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (abs(v[i] - x) < abs(v[best] - x)) best = i;
    return best;
}

static void set_arch(App *a, ArchKind k) {
    char err[ERR_LEN];
    a->arch = k;
    if (k == ARCH_SOFTMAX) {
        WorkerConfig d;
        worker_config_default(&d, "softmax");
        a->ctl.nlayers = d.nlayers;
        memcpy(a->ctl.sizes, d.sizes, sizeof d.sizes);
    } else if (k == ARCH_MLP) {
        WorkerConfig d;
        worker_config_default(&d, "mlp");
        a->ctl.nlayers = d.nlayers;
        memcpy(a->ctl.sizes, d.sizes, sizeof d.sizes);
    } else if (app_parse_sizes(a->custom, &a->ctl, err) != 0) {
        app_message(a, 1, "%s", err);
        return;
    }
    char s[64];
    worker_sizes_str(a->ctl.sizes, a->ctl.nlayers, s, sizeof s);
    app_message(a, 0, "network %s: press Reset (R) to start it", s);
}

/* Changes a spin widget by dir (+1 / -1). */
static void spin(App *a, int id, int dir) {
    switch (id) {
    case WID_ARCH: set_arch(a, (ArchKind)(((int)a->arch + dir + 3) % 3)); return;
    case WID_OPT: a->ctl.opt = (OptKind)(((int)a->ctl.opt + dir + 4) % 4); break;
    case WID_LR: {
        int n = (int)(sizeof LRS / sizeof LRS[0]), i = nearest_index_f(LRS, n, a->ctl.lr) + dir;
        a->ctl.lr = LRS[i < 0 ? 0 : i >= n ? n - 1 : i];
        break;
    }
    case WID_BATCH: {
        int n = (int)(sizeof BATCHES / sizeof BATCHES[0]), i = nearest_index_i(BATCHES, n, a->ctl.batch) + dir;
        a->ctl.batch = BATCHES[i < 0 ? 0 : i >= n ? n - 1 : i];
        break;
    }
    case WID_EPOCHS: {
        int e = a->ctl.epochs + dir * (a->ctl.epochs >= 20 ? 5 : 1);
        a->ctl.epochs = e < 1 ? 1 : e > 500 ? 500 : e;
        break;
    }
    case WID_SEED: {
        long s = (long)a->ctl.seed + dir;
        a->ctl.seed = (uint64_t)(s < 0 ? 0 : s > 999 ? 999 : s);
        app_message(a, 0, "seed %lu: press Reset (R) to start from it", (unsigned long)a->ctl.seed);
        return;
    }
    default: return;
    }
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void toggle_mix(App *a) {
    a->mix = !a->mix;
    app_push_action(a, ACT_MIX, NULL);
}

/* Ctrl+digit: the drawing becomes a personal example of class k. */
static void personal_add_key(App *a, int k) {
    if (!a->has_ink) {
        app_message(a, 1, "draw a %s first, then press Ctrl+%d to add it to your examples", a->classes[k], k);
        return;
    }
    if (app_push_action(a, ACT_PERSONAL_ADD, NULL) == 0) a->act[a->nact - 1].arg = k;
}

static void toggle_training(App *a) {
    app_push_action(a, a->snap.running ? ACT_PAUSE : ACT_RUN, NULL);
}

static void do_undo(App *a) {
    if (!canvas_undo(&a->canvas_px)) app_message(a, 0, "nothing to undo");
    app_update_prediction(a);
}

static void do_clear(App *a) {
    canvas_clear(&a->canvas_px);
    app_update_prediction(a);
}

static void open_dialog(App *a) {
    app_list_models(a);
    a->show_open = 1;
    a->show_help = 0;
    a->sel = 0;
}

static void click_widget(App *a, const Widget *wd, int x, int y) {
    if (wd->spin) {
        if (rect_contains(wd->dec, x, y))
            spin(a, wd->id, -1);
        else if (rect_contains(wd->inc, x, y))
            spin(a, wd->id, +1);
        else if (wd->id == WID_ARCH && rect_contains(wd->val, x, y)) {
            a->editing = 1; /* type custom sizes */
            snprintf(a->edit, sizeof a->edit, "%s", a->arch == ARCH_CUSTOM ? a->custom : "784-");
        } else if (rect_contains(wd->val, x, y))
            spin(a, wd->id, +1);
        return;
    }
    switch (wd->id) {
    case WID_TRAIN: toggle_training(a); break;
    case WID_STEP: app_push_action(a, ACT_STEP, NULL); break;
    case WID_RESET: app_push_action(a, ACT_RESET, NULL); break;
    case WID_SAVE: app_push_action(a, ACT_SAVE, NULL); break;
    case WID_OPEN: open_dialog(a); break;
    case WID_HELP: a->show_help = !a->show_help; break;
    case WID_CLEAR: do_clear(a); break;
    case WID_UNDO: do_undo(a); break;
    case WID_LOG: a->log_scale = !a->log_scale; break;
    case WID_TAB_WEIGHTS: app_set_tab(a, TAB_WEIGHTS); break;
    case WID_TAB_ERRORS: app_set_tab(a, TAB_ERRORS); break;
    case WID_TAB_INSIDE: app_set_tab(a, TAB_INSIDE); break;
    case WID_MIX: toggle_mix(a); break;
    case WID_EXPORT: app_push_action(a, ACT_EXPORT, NULL); break;
    case WID_DATA: app_open_data(a); break;
    case WID_SALIENCY: app_toggle_saliency(a); break;
    default: break;
    }
}

void app_set_tab(App *a, int tab) {
    if (tab < 0 || tab >= TAB_COUNT) return;
    a->tab = tab;
    a->hover_tile = -1;
    a->hover_layer = 0;
    a->hover_cell_t = a->hover_cell_p = a->hover_thumb = -1;
    a->hover_unit_layer = a->hover_unit = -1;
    static const char *names[] = {"weights", "errors", "inside"};
    explore_layout(a);
    if (tab == TAB_ERRORS)
        app_trace(a, "\"event\":\"tab\",\"name\":\"%s\",\"matrix\":[%d,%d,%d],\"gallery\":[%d,%d,%d,%d]", names[tab],
                  a->cm_grid.x, a->cm_grid.y, a->cm_cell, a->gal_area.x, a->gal_area.y, a->gal_area.w, a->gal_area.h);
    else
        app_trace(a, "\"event\":\"tab\",\"name\":\"%s\"", names[tab]);
}

/* Row rectangles of the open dialog; shared with app_draw.c through the same arithmetic. */
Rect app_open_panel(const App *a);
Rect app_open_row(const App *a, int i);

Rect app_open_panel(const App *a) {
    int pw = a->w * 6 / 10, ph = 90 + (a->nfiles ? a->nfiles : 1) * 24 + (a->nfiles > a->nmodels ? 24 : 0);
    if (ph > a->h - 80) ph = a->h - 80;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

Rect app_open_row(const App *a, int i) {
    Rect p = app_open_panel(a);
    int y = p.y + 60 + i * 24 + (i >= a->nmodels && a->nmodels < a->nfiles ? 24 : 0);
    return (Rect){p.x + 10, y, p.w - 20, 22};
}

static void finish_edit(App *a, int accept) {
    a->editing = 0;
    if (!accept) return;
    char err[ERR_LEN];
    WorkerConfig probe = a->ctl;
    if (app_parse_sizes(a->edit, &probe, err) != 0) {
        app_message(a, 1, "%s", err);
        return;
    }
    snprintf(a->custom, sizeof a->custom, "%s", a->edit);
    set_arch(a, ARCH_CUSTOM);
}

void app_mouse_down(App *a, int x, int y, int button) {
    a->mx = x, a->my = y;
    if (a->show_help) {
        a->show_help = 0;
        return;
    }
    if (a->show_data) {
        data_mouse_down(a, x, y);
        return;
    }
    if (a->show_open) {
        for (int i = 0; i < a->nfiles; i++)
            if (rect_contains(app_open_row(a, i), x, y)) {
                app_push_action(a, ACT_LOAD, a->files[i]);
                a->show_open = 0;
                return;
            }
        if (!rect_contains(app_open_panel(a), x, y)) a->show_open = 0;
        return;
    }
    if (a->editing) finish_edit(a, 1);
    if (rect_contains(a->canvas, x, y) && (button == BTN_LEFT || button == BTN_RIGHT)) {
        float cx, cy;
        canvas_point(a, x, y, &cx, &cy);
        if (canvas_stroke_begin(&a->canvas_px, cx, cy, button == BTN_RIGHT) == 0) a->pen = button == BTN_RIGHT ? 2 : 1;
        app_update_prediction(a);
        return;
    }
    if (button != BTN_LEFT) return;
    for (int i = 0; i < a->nwidgets; i++)
        if (rect_contains(a->widgets[i].r, x, y)) {
            a->pressed = a->widgets[i].id;
            click_widget(a, &a->widgets[i], x, y);
            return;
        }
    if (a->tab == TAB_ERRORS) explore_mouse_down(a, x, y);
}

void app_mouse_up(App *a, int x, int y, int button) {
    (void)button;
    a->mx = x, a->my = y;
    if (a->pen) {
        canvas_stroke_end(&a->canvas_px);
        a->pen = 0;
    }
    a->pressed = -1;
}

/* Which first-layer tile or deeper-matrix cell is under (x, y). */
static void update_hover(App *a, int x, int y) {
    a->hover_tile = -1;
    a->hover_layer = 0;
    if (a->tab == TAB_ERRORS) {
        explore_hover(a, x, y);
        return;
    }
    if (a->tab == TAB_INSIDE) {
        inside_hover(a, x, y);
        return;
    }
    if (a->tab != TAB_WEIGHTS) return;
    const Net *net = &a->snap.net;
    if (!net->params) return;
    Rect t = a->tiles_area;
    int step = a->tile_px + a->tile_gap;
    if (step > 0 && rect_contains(t, x, y)) {
        int c = (x - t.x) / step, r = (y - t.y) / step;
        int inx = (x - t.x) % step < a->tile_px && (y - t.y) % step < a->tile_px;
        int u = r * a->tile_cols + c;
        if (inx && c < a->tile_cols && u < net->sizes[1]) a->hover_tile = u;
        return;
    }
    for (int l = 1; l < net->nlayers; l++) {
        Rect R = a->layer_rect[l];
        if (R.w > 0 && rect_contains(R, x, y)) {
            a->hover_layer = l;
            a->hover_row = (int)((long)(y - R.y) * net->sizes[l + 1] / R.h);
            a->hover_col = (int)((long)(x - R.x) * net->sizes[l] / R.w);
        }
    }
}

void app_mouse_move(App *a, int x, int y) {
    a->mx = x, a->my = y;
    if (a->pen) {
        float cx, cy;
        canvas_point(a, x, y, &cx, &cy);
        canvas_stroke_extend(&a->canvas_px, cx, cy);
        app_update_prediction(a);
        return;
    }
    update_hover(a, x, y);
}

void app_wheel(App *a, int x, int y, int dy) {
    if (a->show_open) {
        a->sel -= dy;
        if (a->sel < 0) a->sel = 0;
        if (a->sel >= a->nfiles) a->sel = a->nfiles - 1;
        return;
    }
    if (a->tab == TAB_ERRORS && explore_wheel(a, x, y, dy)) return;
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].spin && rect_contains(a->widgets[i].r, x, y)) {
            spin(a, a->widgets[i].id, dy > 0 ? 1 : -1);
            return;
        }
}

void app_key(App *a, int key, int mods) {
    int ctrl = (mods & MOD_CTRL) != 0;
    if (a->editing) {
        if (key == KEY_RETURN)
            finish_edit(a, 1);
        else if (key == KEY_ESCAPE)
            finish_edit(a, 0);
        else if (key == KEY_BACKSPACE) {
            size_t n = strlen(a->edit);
            if (n) a->edit[n - 1] = 0;
        }
        return;
    }
    if (a->show_data) {
        data_key(a, key);
        return;
    }
    if (a->show_open) {
        if (key == KEY_ESCAPE) a->show_open = 0;
        if (key == KEY_UP && a->sel > 0) a->sel--;
        if (key == KEY_DOWN && a->sel + 1 < a->nfiles) a->sel++;
        if (key == KEY_RETURN && a->nfiles > 0) {
            app_push_action(a, ACT_LOAD, a->files[a->sel]);
            a->show_open = 0;
        }
        return;
    }
    if (key == KEY_ESCAPE) {
        if (!a->show_help && a->tab == TAB_ERRORS && a->gal_t >= 0) app_select_cell(a, -1, -1);
        a->show_help = 0;
        return;
    }
    if (ctrl) {
        if (key >= KEY_0 && key <= KEY_9) {
            personal_add_key(a, key - KEY_0);
            return;
        }
        switch (key) {
        case KEY_BACKSPACE: app_push_action(a, ACT_PERSONAL_UNDO, NULL); break;
        case KEY_E: app_push_action(a, ACT_EXPORT, NULL); break;
        case KEY_D: app_open_data(a); break;
        case KEY_Z: do_undo(a); break;
        case KEY_S: app_push_action(a, ACT_SAVE, NULL); break;
        case KEY_O: open_dialog(a); break;
        case KEY_Q: app_push_action(a, ACT_QUIT, NULL); break;
        default: break;
        }
        return;
    }
    switch (key) {
    case KEY_SPACE: toggle_training(a); break;
    case KEY_N: app_push_action(a, ACT_STEP, NULL); break;
    case KEY_R: app_push_action(a, ACT_RESET, NULL); break;
    case KEY_C:
    case KEY_BACKSPACE:
    case KEY_DELETE: do_clear(a); break;
    case KEY_L: a->log_scale = !a->log_scale; break;
    case KEY_F1:
    case KEY_QUESTION: a->show_help = !a->show_help; break;
    case KEY_UP: spin(a, WID_LR, +1); break;
    case KEY_DOWN: spin(a, WID_LR, -1); break;
    case KEY_P: toggle_mix(a); break;
    case KEY_G: app_toggle_saliency(a); break;
    case KEY_W: app_set_tab(a, TAB_WEIGHTS); break;
    case KEY_M: app_set_tab(a, TAB_ERRORS); break;
    case KEY_A: app_set_tab(a, TAB_INSIDE); break;
    case KEY_PAGEUP:
    case KEY_PAGEDOWN:
        if (a->tab == TAB_ERRORS) explore_wheel(a, a->gal_area.x + 1, a->gal_area.y + 1, key == KEY_PAGEUP ? 3 : -3);
        break;
    default: break;
    }
}

void app_text(App *a, const char *utf8) {
    if (a->show_data) {
        data_text(a, utf8);
        return;
    }
    if (!a->editing) return;
    for (const char *p = utf8; *p; p++) {
        char c = *p;
        if ((c >= '0' && c <= '9') || c == '-' || c == ',') {
            size_t n = strlen(a->edit);
            if (n + 1 < sizeof a->edit) a->edit[n] = c, a->edit[n + 1] = 0;
        }
    }
}

/* A dropped folder is a dataset to train on; a dropped file a model to load. */
void app_drop_file(App *a, const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        a->show_data = 0;
        app_push_action(a, ACT_DATA, path);
        return;
    }
    app_push_action(a, ACT_LOAD, path);
}

/* ---- model list ---- */

static int cmp_str(const void *x, const void *y) { return strcmp((const char *)x, (const char *)y); }

static int has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

void app_list_models(App *a) {
    a->nfiles = 0;
    DIR *d = opendir(a->models_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && a->nfiles < APP_MAX_FILES) {
            if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".safetensors")) continue;
            snprintf(a->files[a->nfiles++], APP_PATH_LEN, "%.600s/%.400s", a->models_dir, e->d_name);
        }
        closedir(d);
    }
    qsort(a->files, (size_t)a->nfiles, APP_PATH_LEN, cmp_str);
    a->nmodels = a->nfiles;
    FILE *f = a->recent_file[0] ? fopen(a->recent_file, "r") : NULL;
    if (f) {
        char line[APP_PATH_LEN];
        while (fgets(line, sizeof line, f) && a->nfiles < APP_MAX_FILES) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0]) continue;
            struct stat st;
            if (stat(line, &st) != 0) continue;
            int dup = 0;
            for (int i = 0; i < a->nfiles; i++) dup |= strcmp(a->files[i], line) == 0;
            if (!dup) snprintf(a->files[a->nfiles++], APP_PATH_LEN, "%s", line);
        }
        fclose(f);
    }
}

/* ---- widget captions (shared with app_draw.c) ---- */

const char *app_widget_text(const App *a, int id, char *buf, size_t n);

static const char *widget_text(const App *a, int id, char *buf, size_t n) { return app_widget_text(a, id, buf, n); }

const char *app_widget_text(const App *a, int id, char *buf, size_t n) {
    switch (id) {
    case WID_TRAIN: return a->snap.running ? "Pause (Space)" : "Train (Space)";
    case WID_STEP: return "Step (N)";
    case WID_RESET: return "Reset (R)";
    case WID_SAVE: return "Save";
    case WID_OPEN: return "Open";
    case WID_EXPORT: return "Export";
    case WID_DATA: return "Data";
    case WID_HELP: return "?";
    case WID_CLEAR: return a->short_labels ? "Clear" : "Clear (C)";
    case WID_UNDO: return a->short_labels ? "Undo" : "Undo (Ctrl+Z)";
    case WID_SALIENCY: return "Saliency (G)";
    case WID_LOG: return "log scale (L)";
    case WID_TAB_WEIGHTS: return a->short_labels ? "Weights" : "Weights (W)";
    case WID_TAB_ERRORS: return a->short_labels ? "Errors" : "Errors (M)";
    case WID_TAB_INSIDE: return a->short_labels ? "Inside" : "Inside (A)";
    case WID_MIX:
        snprintf(buf, n, "Mine %d: mix %s (P)", a->personal.n, a->mix ? "on" : "off");
        return buf;
    case WID_ARCH:
        if (a->editing) {
            snprintf(buf, n, "%s_", a->edit);
            return buf;
        }
        if (a->arch == ARCH_SOFTMAX) return "softmax";
        if (a->arch == ARCH_MLP) return "784-128-64-10";
        snprintf(buf, n, "%s", a->custom);
        return buf;
    case WID_OPT: return optim_name(a->ctl.opt);
    case WID_LR: snprintf(buf, n, "%g", (double)a->ctl.lr); return buf;
    case WID_BATCH:
        if (a->ctl.opt == OPT_GD) return "all";
        snprintf(buf, n, "%d", a->ctl.batch);
        return buf;
    case WID_EPOCHS: snprintf(buf, n, "%d", a->ctl.epochs); return buf;
    case WID_SEED: snprintf(buf, n, "%lu", (unsigned long)a->ctl.seed); return buf;
    default: return "";
    }
}

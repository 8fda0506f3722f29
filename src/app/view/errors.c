/* errors.c - the Errors tab: the live confusion matrix of the published network on the test
 * set (counts and colour, per-class accuracy beside it), and the gallery of one cell's test images
 * with their probabilities; a thumbnail clicked goes onto the canvas to be edited and re-read.
 * The predictions come ready-made with the snapshot (TestView): nothing here runs the network. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confusion.h"
#include "ui.h"
#include "view.h"

#define GAL_CAPTION 15 /* px under each thumbnail for its probability */
#define GAL_GAP 6

static const TestView *cur_view(const App *a) { return a->snap.view; }

static int view_classes(const App *a) {
    const TestView *v = cur_view(a);
    int K = v ? v->K : a->nclass;
    return K < CONF_K ? K : CONF_K;
}

/* Width of the row labels: the widest class name, capped so long names are cut. */
static int label_width(const App *a) {
    int lw = 0;
    for (int k = 0; k < CONF_K; k++) {
        int w = ui_tw(a, FONT_SMALL, a->classes[k]);
        if (w > lw) lw = w;
    }
    int cap = a->lay.heat.w / 5;
    return lw > cap ? cap : lw;
}

static int acc_width(const App *a) { return ui_tw(a, FONT_SMALL, "100.0%") + 40; }

static void gallery_fill(App *a);

void errors_layout(App *a) {
    Rect H = a->lay.heat;
    int cols0 = a->ex.gal_cols, rows0 = a->ex.gal_rows;
    int top = H.y + APP_TAB_H + 8;
    int lw = label_width(a), accw = acc_width(a);
    int gy = top + 80;                                   /* grid top: title, subtitle, captions, column header */
    int avail_h = H.y + H.h - 10 - gy;
    int cell = (H.w - 20 - lw - 8 - 12 - accw) / CONF_K;
    int hcap = avail_h * 52 / 100 / CONF_K;              /* leave about half the height for the gallery */
    if (cell > hcap) cell = hcap;
    if (cell > 40) cell = 40;
    if (cell < 12) cell = 12;
    a->ex.cell = cell;
    int gw = cell * CONF_K + 12 + accw + lw + 8;         /* centre matrix + labels + accuracy column */
    int gx = H.x + 10 + (H.w - 20 > gw ? (H.w - 20 - gw) / 2 : 0) + lw + 8;
    a->ex.grid = (Rect){gx, gy, cell * CONF_K, cell * CONF_K};
    int ay = gy + cell * CONF_K + 40;                    /* gallery title above this */
    a->ex.gal_area = (Rect){H.x + 10, ay, H.w - 20, H.y + H.h - 10 - ay};
    int px = 56;
    while (px > 28 && (a->ex.gal_area.w + GAL_GAP) / (px + GAL_GAP) < 8) px -= 4;
    a->ex.gal_px = px;
    a->ex.gal_cols = (a->ex.gal_area.w + GAL_GAP) / (px + GAL_GAP);
    a->ex.gal_rows = (a->ex.gal_area.h + GAL_GAP) / (px + GAL_CAPTION + GAL_GAP);
    if (a->ex.gal_cols < 1) a->ex.gal_cols = 1;
    if (a->ex.gal_rows < 0) a->ex.gal_rows = 0;
    /* a new page shape: the thumbnails are painted for it (else new slots show empty boxes) */
    if ((a->ex.gal_cols != cols0 || a->ex.gal_rows != rows0) && a->ex.t >= 0) gallery_fill(a);
}

static Rect cell_rect(const App *a, int t, int p) {
    return (Rect){a->ex.grid.x + p * a->ex.cell, a->ex.grid.y + t * a->ex.cell, a->ex.cell, a->ex.cell};
}

static Rect thumb_rect(const App *a, int slot) {
    int c = slot % a->ex.gal_cols, r = slot / a->ex.gal_cols;
    int used = a->ex.gal_cols * (a->ex.gal_px + GAL_GAP) - GAL_GAP;
    int x0 = a->ex.gal_area.x + (a->ex.gal_area.w - used) / 2;
    return (Rect){x0 + c * (a->ex.gal_px + GAL_GAP), a->ex.gal_area.y + r * (a->ex.gal_px + GAL_CAPTION + GAL_GAP), a->ex.gal_px,
                  a->ex.gal_px};
}

static int page_size(const App *a) { return a->ex.gal_cols * a->ex.gal_rows; }

/* Paints the visible page of thumbnails into IMG_GALLERY (one 28x28 block per slot). */
static void gallery_paint(App *a) {
    const TestView *v = cur_view(a);
    int page = page_size(a);
    AppImage *im = &a->img[IMG_GALLERY];
    if (!v || page <= 0) return;
    const Dataset *ds = &v->test->data;
    int side = ds->rows == ds->cols ? ds->rows : 0;
    if (side <= 0 || side > 64) return;
    if (app_image_alloc(im, a->ex.gal_cols * side, a->ex.gal_rows * side, 0) != 0) return;
    memset(im->rgba, 0, (size_t)im->w * im->h * 4);
    for (int s = 0; s < page && a->ex.scroll + s < a->ex.n; s++) {
        int i = a->ex.idx[a->ex.scroll + s];
        const uint8_t *src = ds->x + (size_t)i * ds->d;
        int ox = (s % a->ex.gal_cols) * side, oy = (s / a->ex.gal_cols) * side;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                float g = src[y * side + x] / 255.0f;
                uint8_t *q = im->rgba + 4 * ((size_t)(oy + y) * im->w + ox + x);
                /* white ink on near-black, as on the canvas */
                q[0] = (uint8_t)(14 + g * 241), q[1] = (uint8_t)(15 + g * 240), q[2] = (uint8_t)(20 + g * 235), q[3] = 255;
            }
    }
    im->version++;
}

/* Re-lists the selected cell from the current view (the selection survives new views). */
static void gallery_fill(App *a) {
    const TestView *v = cur_view(a);
    a->ex.view = v;
    a->ex.n = a->ex.count = 0;
    if (!v || a->ex.t < 0) return;
    a->ex.count = confusion_cell(v->test->data.y, v->pred, v->prob, v->K, v->n, a->ex.t, a->ex.p, a->ex.idx,
                                  APP_GALLERY_MAX);
    a->ex.n = a->ex.count < APP_GALLERY_MAX ? a->ex.count : APP_GALLERY_MAX;
    int page = page_size(a);
    int maxs = page > 0 && a->ex.n > page ? (a->ex.n - page + a->ex.gal_cols - 1) / a->ex.gal_cols * a->ex.gal_cols : 0;
    if (a->ex.scroll > maxs) a->ex.scroll = maxs;
    if (a->ex.scroll < 0) a->ex.scroll = 0;
    gallery_paint(a);
}

/* The largest off-diagonal cell: where the network fails most. */
static void select_worst(App *a) {
    const TestView *v = cur_view(a);
    if (!v) return;
    int K = view_classes(a), bt = -1, bp = -1;
    long best = 0;
    for (int t = 0; t < K; t++)
        for (int p = 0; p < K; p++)
            if (t != p && v->confusion[t][p] > best) best = v->confusion[t][p], bt = t, bp = p;
    if (bt < 0) return;
    a->ex.t = bt, a->ex.p = bp;
    a->ex.scroll = 0;
    gallery_fill(a);
}

void app_select_cell(App *a, int t, int p) {
    a->ex.autosel = 0;
    a->ex.scroll = 0;
    if (t < 0 || p < 0 || t >= CONF_K || p >= CONF_K) {
        a->ex.t = a->ex.p = -1;
        a->ex.n = a->ex.count = 0;
        app_trace(a, "\"event\":\"gallery\",\"closed\":true");
        return;
    }
    a->ex.t = t, a->ex.p = p;
    gallery_fill(a);
    Rect r0 = thumb_rect(a, 0);
    app_trace(a, "\"event\":\"gallery\",\"true\":%d,\"pred\":%d,\"count\":%d,\"shown\":%d,\"thumb\":[%d,%d,%d]", t, p,
              a->ex.count, a->ex.n < page_size(a) ? a->ex.n : page_size(a), r0.x, r0.y, a->ex.gal_px);
}

int app_canvas_from_test(App *a, int i) {
    const TestView *v = cur_view(a);
    if (!v || i < 0 || i >= v->n) return -1;
    const Dataset *ds = &v->test->data;
    float *img = malloc(sizeof(float) * (size_t)ds->d);
    if (!img) return -1;
    for (int j = 0; j < ds->d; j++) img[j] = ds->x[(size_t)i * ds->d + j] / 255.0f;
    int rc = canvas_set_image(&a->canvas_px, img, ds->cols, ds->rows);
    free(img);
    if (rc != 0) return -1;
    int t = ds->y[i];
    app_update_prediction(a);
    app_message(a, SEV_INFO, "test image #%d (a %s, read as %s) is on the canvas: draw on it to see the reading change", i,
                a->classes[t < 10 ? t : 0], a->classes[v->pred[i] < 10 ? v->pred[i] : 0]);
    a->msg_canvas = 1; /* gone with the next change of the drawing */
    app_trace(a, "\"event\":\"canvas_from_test\",\"index\":%d,\"label\":%d,\"pred\":%d", i, t, v->pred[i]);
    return 0;
}

void errors_on_snapshot(App *a) {
    const TestView *v = cur_view(a);
    if (v == a->ex.view) return;
    if (!v) {
        a->ex.view = NULL;
        a->ex.n = a->ex.count = 0;
        return;
    }
    if (a->ex.t < 0 && !a->ex.autosel && a->ex.view == NULL) a->ex.autosel = 1; /* first matrix: show the worst cell */
    if (v->test != a->ex.test) a->ex.autosel = 1; /* other data: an old selection means nothing there */
    a->ex.test = v->test;
    if (a->ex.autosel)
        select_worst(a);
    else
        gallery_fill(a);
}

/* Which cell or thumbnail is under (x, y). */
static int hit_cell(const App *a, int x, int y, int *t, int *p) {
    int K = view_classes(a);
    if (!cur_view(a) || !rect_contains(a->ex.grid, x, y)) return 0;
    *t = (y - a->ex.grid.y) / a->ex.cell, *p = (x - a->ex.grid.x) / a->ex.cell;
    return *t < K && *p < K;
}

static int hit_thumb(const App *a, int x, int y) {
    int page = page_size(a);
    for (int s = 0; s < page && a->ex.scroll + s < a->ex.n; s++)
        if (rect_contains(thumb_rect(a, s), x, y)) return a->ex.scroll + s;
    return -1;
}

int errors_mouse_down(App *a, int x, int y) {
    int t, p;
    if (hit_cell(a, x, y, &t, &p)) {
        app_select_cell(a, t, p);
        return 1;
    }
    int k = hit_thumb(a, x, y);
    if (k >= 0) {
        app_canvas_from_test(a, a->ex.idx[k]);
        return 1;
    }
    return 0;
}

void errors_hover(App *a, int x, int y) {
    int t, p;
    a->ex.hover_t = a->ex.hover_p = a->ex.hover_thumb = -1;
    if (hit_cell(a, x, y, &t, &p))
        a->ex.hover_t = t, a->ex.hover_p = p;
    else
        a->ex.hover_thumb = hit_thumb(a, x, y);
}

int errors_wheel(App *a, int x, int y, int dy) {
    Rect g = a->ex.gal_area;
    if (!rect_contains((Rect){g.x, g.y - 30, g.w, g.h + 30}, x, y) || a->ex.n == 0) return 0;
    int page = page_size(a);
    int maxs = page > 0 && a->ex.n > page ? (a->ex.n - page + a->ex.gal_cols - 1) / a->ex.gal_cols * a->ex.gal_cols : 0;
    int s = a->ex.scroll - dy * a->ex.gal_cols;
    a->ex.scroll = s < 0 ? 0 : s > maxs ? maxs : s;
    gallery_paint(a);
    errors_hover(a, x, y);
    return 1;
}

/* The font in which every count of the matrix fits its cell (the largest count decides, so the
 * whole matrix reads alike), or -1 when the cells are too small for any (then hover shows them). */
static int count_font(const App *a, const TestView *v, int K) {
    long most = 0;
    for (int t = 0; t < K; t++)
        for (int p = 0; p < K; p++)
            if (v->confusion[t][p] > most) most = v->confusion[t][p];
    char buf[24];
    snprintf(buf, sizeof buf, "%ld", most);
    int cs = a->ex.cell;
    if (ui_tw(a, FONT_SMALL, buf) <= cs - 3 && ui_fh(a, FONT_SMALL) <= cs) return FONT_SMALL;
    if (ui_tw(a, FONT_TINY, buf) <= cs - 2 && ui_fh(a, FONT_TINY) <= cs + 2) return FONT_TINY;
    return -1;
}

void errors_draw(App *a) {
    Rect H = a->lay.heat;
    const TestView *v = cur_view(a);
    int top = H.y + APP_TAB_H + 8;
    char buf[256], fit[256];
    const char *title[] = {"Confusion matrix on the test set", "Confusion matrix", NULL};
    ui_text(a, FONT_BOLD, H.x + 10, top, UI_TEXT, ui_first_fit(a, FONT_BOLD, H.w - 20, title));
    if (!v) {
        const char *m = a->snap.have_data ? "measuring the test set..."
                        : a->snap.data_loading ? "loading the test set..."
                                               : "no test set: run scripts/fetch_mnist.sh (or open a data folder)";
        ui_text(a, FONT_SMALL, H.x + 10, top + 24, UI_DIM, m);
        return;
    }
    int K = view_classes(a);
    int stale = v->generation != a->snap.generation;
    snprintf(buf, sizeof buf, "%d images, %.2f%% right, network at step %ld%s", v->n, v->acc * 100, v->step,
             stale ? " (previous network)" : "");
    ui_text(a, FONT_SMALL, H.x + 10, top + 20, stale ? UI_AMBER : UI_DIM, ui_fit_right(a, FONT_SMALL, buf, H.w - 20, fit, sizeof fit));
    Rect G = a->ex.grid;
    int cs = a->ex.cell, lw = label_width(a);
    /* axis captions */
    ui_text(a, FONT_SMALL, H.x + 10, G.y - 38, UI_FAINT,
            ui_fit_right(a, FONT_SMALL, "rows: true class    columns: what the network read", H.w - 20, fit, sizeof fit));
    /* the columns' class names, cut to the cell (whole on hover) */
    int hf = ui_tw(a, FONT_SMALL, "Wwww") <= cs ? FONT_SMALL : FONT_TINY;
    for (int p = 0; p < K; p++) {
        char cut[DATASET_CLASS_LEN + 4];
        snprintf(cut, sizeof cut, "%s", a->classes[p]);
        while (strlen(cut) > 1 && ui_tw(a, hf, cut) > cs - 1) cut[strlen(cut) - 1] = 0; /* no "...": no room */
        ui_text_in(a, hf, (Rect){G.x + p * cs, G.y - 18, cs, 16}, 1, p == a->ex.p ? UI_TEXT : UI_DIM, cut);
    }
    int cfont = count_font(a, v, K);
    int rf = ui_fh(a, FONT_SMALL) <= cs + 1 ? FONT_SMALL : FONT_TINY; /* rows shorter than the type: smaller type */
    for (int t = 0; t < K; t++) {
        long row = 0;
        for (int p = 0; p < K; p++) row += v->confusion[t][p];
        ui_text_in(a, rf, (Rect){G.x - lw - 8, G.y + t * cs, lw + 2, cs}, 2, t == a->ex.t ? UI_TEXT : UI_DIM,
                   ui_fit_right(a, rf, a->classes[t], lw, fit, sizeof fit));
        for (int p = 0; p < K; p++) {
            Rect r = cell_rect(a, t, p);
            long c = v->confusion[t][p];
            double frac = row ? (double)c / row : 0;
            Color bg = {40, 43, 52, 255};
            draw_rect(&a->dl, (Rect){r.x, r.y, r.w - 1, r.h - 1}, bg);
            if (c > 0) {
                Color col = t == p ? UI_GREEN : UI_RED;
                /* errors are rare: a square-root scale makes one mistake in a hundred visible */
                double s = t == p ? 0.25 + 0.75 * frac : 0.2 + 0.8 * fmin(1.0, sqrt(frac / 0.05));
                col.a = (uint8_t)(s * 230);
                draw_rect(&a->dl, (Rect){r.x, r.y, r.w - 1, r.h - 1}, col);
            }
            if (c > 0 && cfont >= 0) {
                snprintf(buf, sizeof buf, "%ld", c);
                ui_text_in(a, cfont, (Rect){r.x, r.y, r.w - 1, r.h - 1}, 1, UI_TEXT, buf);
            }
        }
        /* per-class accuracy beside the row */
        double acc = confusion_class_acc((const long(*)[CONF_K])v->confusion, t);
        int ax = G.x + G.w + 12, aw = acc_width(a);
        if (acc >= 0) {
            snprintf(buf, sizeof buf, "%.1f%%", acc * 100);
            int bw = aw - ui_tw(a, FONT_SMALL, "100.0%") - 8;
            Rect tr = {ax, G.y + t * cs + cs / 2 - 3, bw, 6};
            Color track = {44, 47, 57, 255};
            draw_rect(&a->dl, tr, track);
            draw_rect(&a->dl, (Rect){tr.x, tr.y, (int)(bw * acc + 0.5), 6}, acc < 0.95 ? UI_AMBER : UI_GREEN);
            ui_text_in(a, rf, (Rect){ax + bw + 4, G.y + t * cs, aw - bw - 4, cs}, 2, acc < 0.95 ? UI_AMBER : UI_DIM, buf);
        }
    }
    const char *head[] = {"class accuracy", "accuracy", "acc", NULL};
    ui_text_in(a, FONT_SMALL, (Rect){G.x + G.w + 12, G.y - 18, acc_width(a), 16}, 2, UI_FAINT,
               ui_first_fit(a, FONT_SMALL, acc_width(a), head));
    if (a->ex.hover_t >= 0) {
        Rect r = cell_rect(a, a->ex.hover_t, a->ex.hover_p);
        draw_frame(&a->dl, r, UI_DIM);
    }
    if (a->ex.t >= 0 && a->ex.t < K && a->ex.p < K) {
        Rect r = cell_rect(a, a->ex.t, a->ex.p);
        draw_frame(&a->dl, (Rect){r.x - 1, r.y - 1, r.w + 1, r.h + 1}, UI_TEXT);
    }

    /* gallery */
    Rect g = a->ex.gal_area;
    int hy = g.y - 26;
    if (a->ex.t < 0) {
        ui_text(a, FONT_SMALL, g.x, hy, UI_DIM, "Click a cell to see its test images.");
        return;
    }
    const char *tn = a->classes[a->ex.t], *pn = a->classes[a->ex.p];
    if (a->ex.t == a->ex.p)
        snprintf(buf, sizeof buf, "%s read right: %d", tn, a->ex.count);
    else
        snprintf(buf, sizeof buf, "true %s, read as %s: %d", tn, pn, a->ex.count);
    ui_text(a, FONT_BOLD, g.x, hy, UI_TEXT, ui_fit_right(a, FONT_BOLD, buf, g.w / 2 + 40, fit, sizeof fit));
    int page = page_size(a);
    if (a->ex.n > 0) {
        if (a->ex.n > page)
            snprintf(buf, sizeof buf, "%d-%d, surest first; scroll for more", a->ex.scroll + 1,
                     a->ex.scroll + page < a->ex.n ? a->ex.scroll + page : a->ex.n);
        else
            snprintf(buf, sizeof buf, "surest first; click one to edit it");
        int room = g.w - ui_tw(a, FONT_BOLD, fit) - 16;
        ui_text_in(a, FONT_SMALL, (Rect){g.x + g.w - room, hy, room, 18}, 2, UI_FAINT,
                   ui_fit_right(a, FONT_SMALL, buf, room, fit, sizeof fit));
    } else {
        ui_text(a, FONT_SMALL, g.x, hy + 24, UI_DIM,
                a->ex.t == a->ex.p ? "No test images in this cell." : "No test images in this cell: the network no longer makes this mistake.");
    }
    int side = v->test->data.rows;
    for (int s = 0; s < page && a->ex.scroll + s < a->ex.n; s++) {
        int k = a->ex.scroll + s, i = a->ex.idx[k];
        Rect r = thumb_rect(a, s);
        draw_image(&a->dl, IMG_GALLERY, r, (Rect){(s % a->ex.gal_cols) * side, (s / a->ex.gal_cols) * side, side, side});
        draw_frame(&a->dl, (Rect){r.x - 1, r.y - 1, r.w + 2, r.h + 2}, k == a->ex.hover_thumb ? UI_TEXT : UI_BORDER);
        float pp = v->prob[(size_t)i * v->K + a->ex.p];
        snprintf(buf, sizeof buf, "%.0f%%", pp * 100.0);
        if (ui_tw(a, FONT_SMALL, buf) > r.w) snprintf(buf, sizeof buf, "%.0f", pp * 100.0); /* tiny thumbnails */
        ui_text_in(a, FONT_SMALL, (Rect){r.x, r.y + r.h + 1, r.w, GAL_CAPTION - 1}, 1,
                   a->ex.t == a->ex.p ? UI_GREEN : UI_RED, buf);
    }
}

void errors_draw_tooltip(App *a) {
    const TestView *v = cur_view(a);
    if (!v) return;
    char buf[256];
    if (a->ex.hover_t >= 0) {
        int t = a->ex.hover_t, p = a->ex.hover_p;
        long row = 0;
        for (int q = 0; q < CONF_K; q++) row += v->confusion[t][q];
        long c = v->confusion[t][p];
        if (t == p)
            snprintf(buf, sizeof buf, "true %s: %ld of %ld read right (%.1f%%)", a->classes[t], c, row, row ? 100.0 * c / row : 0.0);
        else
            snprintf(buf, sizeof buf, "true %s read as %s: %ld of %ld (%.2f%%); click to see them", a->classes[t], a->classes[p], c,
                     row, row ? 100.0 * c / row : 0.0);
        ui_tooltip(a, buf);
    } else if (a->ex.hover_thumb >= 0 && a->ex.hover_thumb < a->ex.n) {
        int i = a->ex.idx[a->ex.hover_thumb];
        int t = v->test->data.y[i], p = v->pred[i];
        const float *pr = v->prob + (size_t)i * v->K;
        if (t == p)
            snprintf(buf, sizeof buf, "test #%d: a %s, read as %s (%.1f%%)", i, a->classes[t], a->classes[p], pr[p] * 100.0);
        else
            snprintf(buf, sizeof buf, "test #%d: a %s, read as %s (%.1f%%); %s gets %.1f%%", i, a->classes[t], a->classes[p],
                     pr[p] * 100.0, a->classes[t], pr[t] * 100.0);
        ui_tooltip(a, buf);
    }
}

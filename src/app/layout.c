/* layout.c - where everything goes for a window of w x h: the top bar's controls (one row, or two
 * when narrow), the canvas column, the probabilities and curves column, the right panel, the
 * status bar; then each view lays itself out inside its rectangle. Traced as a "layout" event. */
#include <stdio.h>
#include <string.h>

#include "controls.h"
#include "ui.h"
#include "view/view.h"

/* The top bar's controls, left to right. */
static const int BAR_ORDER[] = {WID_TRAIN, WID_STEP, WID_RESET, WID_MIX, WID_ARCH, WID_OPT, WID_LR, WID_BATCH,
                                WID_EPOCHS, WID_SEED, WID_SAVE, WID_OPEN, WID_DATA, WID_EXPORT, WID_HELP};
#define NBAR ((int)(sizeof BAR_ORDER / sizeof BAR_ORDER[0]))

static int is_file_control(int id) {
    return id == WID_SAVE || id == WID_OPEN || id == WID_DATA || id == WID_EXPORT || id == WID_HELP;
}

static Widget *add_widget(App *a, int id, Rect r) {
    Widget *wd = &a->widgets[a->nwidgets++];
    control_place(a, wd, id, r);
    return wd;
}

/* The top bar: one row when everything fits; else the actions (and the files at its right end)
 * on the first row and the settings on the second. Returns the bar's height. */
static int layout_bar(App *a, int w) {
    const int pad = 10, row = 30, bh = ui_fh(a, FONT_BODY) + 10;
    int x0 = pad + ui_tw(a, FONT_TITLE, "digitrec") + 18, y = 7;
    int order[NBAR];
    memcpy(order, BAR_ORDER, sizeof order);
    int total = x0;
    for (int i = 0; i < NBAR; i++) total += control_width(a, order[i]) + 6;
    int one_row = total + 20 <= w - pad, ymax = y;
    if (!one_row) {
        /* two rows: the Mine switch joins the actions on the first unless it would reach the files */
        int files = 0, acts = x0 + 10;
        for (int i = 0; i < NBAR; i++) {
            if (is_file_control(order[i])) files += control_width(a, order[i]) + 6;
            if (order[i] == WID_TRAIN || order[i] == WID_STEP || order[i] == WID_RESET || order[i] == WID_MIX)
                acts += control_width(a, order[i]) + 6;
        }
        if (acts > w - pad - files - 10) { /* after Seed instead */
            int k = 0;
            for (int i = 0; i < NBAR; i++) {
                if (BAR_ORDER[i] == WID_MIX) continue;
                order[k++] = BAR_ORDER[i];
                if (BAR_ORDER[i] == WID_SEED) order[k++] = WID_MIX;
            }
        }
    }
    int x = x0;
    for (int i = 0; i < NBAR; i++) {
        int id = order[i], ww = control_width(a, id);
        if (id == WID_ARCH || id == WID_SAVE || id == WID_MIX) x += 10; /* group gaps */
        if (id == WID_ARCH && !one_row) {
            x = pad;
            y += row + 4;
        } else if (x + ww > w - pad && x > pad + 100) {
            x = pad;
            y += row + 4;
        }
        if (id == WID_SAVE && !one_row) {
            int rest_w = 0;
            for (int k = i; k < NBAR; k++) rest_w += control_width(a, order[k]) + 6;
            x = w - pad - rest_w + 6;
            y = 7;
        }
        add_widget(a, id, (Rect){x, y, ww, bh});
        x += ww + 6;
        if (y > ymax) ymax = y;
    }
    return ymax + bh + 7;
}

void app_resize(App *a, int w, int h) {
    if (w < 640) w = 640;
    if (h < 480) h = 480;
    a->w = w, a->h = h;
    AppLayout *L = &a->lay;
    const int pad = 10;
    char buf[64];
    a->nwidgets = 0;
    L->short_labels = 0;
    L->bar_h = layout_bar(a, w);
    L->status = (Rect){0, h - 26, w, 26};
    int top = L->bar_h + pad, bottom = h - 26 - pad, mh = bottom - top;

    /* column A: canvas, then the 28x28 input and the verdict */
    int cs = mh - 250;
    int cmax = (int)((w - 4 * pad) * 0.36);
    if (cs > cmax) cs = cmax;
    if (cs < 160) cs = 160;
    L->canvas_panel = (Rect){pad, top, cs, 26 + cs};
    L->canvas = (Rect){pad, top + 26, cs, cs};
    int y2 = L->canvas.y + cs + pad;
    int ps = bottom - (y2 + 22);
    if (ps > 196) ps = 196;
    if (ps > cs / 2) ps = cs / 2;
    if (ps < 56) ps = 56;
    L->preview = (Rect){pad, y2 + 22, ps, ps};
    L->verdict = (Rect){pad + ps + pad, y2, cs - ps - pad, ps + 22};

    /* the canvas header's buttons, right-aligned; a narrow window drops their key hints */
    L->short_labels = ui_tw(a, FONT_SMALL, "Undo (Ctrl+Z)") + ui_tw(a, FONT_SMALL, "Clear (C)") + 40 > cs;
    {
        int uw = ui_tw(a, FONT_SMALL, control_text(a, WID_UNDO, buf, sizeof buf)) + 14;
        Widget *u = add_widget(a, WID_UNDO, (Rect){L->canvas.x + cs - uw, top, uw, 22});
        int cw = ui_tw(a, FONT_SMALL, control_text(a, WID_CLEAR, buf, sizeof buf)) + 14;
        Widget *c = add_widget(a, WID_CLEAR, (Rect){u->r.x - 6 - cw, top, cw, 22});
        int gw = ui_tw(a, FONT_SMALL, control_text(a, WID_SALIENCY, buf, sizeof buf)) + 14;
        Widget *g = add_widget(a, WID_SALIENCY, (Rect){c->r.x - 6 - gw, top, gw, 22});
        if (g->r.x < L->canvas.x) g->r = (Rect){0, 0, 0, 0}; /* no room: G still toggles it */
    }

    /* columns B (probabilities, curves) and C (the right panel) */
    int xb = pad + cs + 2 * pad;
    int rest = w - xb - pad;
    int wb = (int)(rest * 0.47);
    int prow = (mh * 36 / 100 - 34) / 10;
    prow = prow < 16 ? 16 : prow > 22 ? 22 : prow;
    L->prob_row = prow;
    int probs_h = 10 * prow + 34;
    L->probs_panel = (Rect){xb, top, wb, probs_h};
    int cy = top + probs_h + pad, ch = bottom - cy;
    int lh = (ch - pad) * 57 / 100;
    L->loss_plot = (Rect){xb, cy, wb, lh};
    L->acc_plot = (Rect){xb, cy + lh + pad, wb, ch - lh - pad};
    {
        int lw = ui_tw(a, FONT_SMALL, "log scale (L)") + 26;
        add_widget(a, WID_LOG, (Rect){L->loss_plot.x + wb - lw - 6, cy + 5, lw, 20});
    }
    int xc = xb + wb + pad;
    L->heat = (Rect){xc, top, w - xc - pad, mh};
    {
        /* the right panel's view tabs, in its header */
        static const int tabs[] = {WID_TAB_WEIGHTS, WID_TAB_ERRORS, WID_TAB_INSIDE};
        int tx = L->heat.x + 8, need = 0;
        for (int i = 0; i < 3; i++) need += ui_tw(a, FONT_BODY, control_text(a, tabs[i], buf, sizeof buf)) + 22;
        if (need > L->heat.w - 12) L->short_labels = 1;
        for (int i = 0; i < 3; i++) {
            int tw1 = ui_tw(a, FONT_BODY, control_text(a, tabs[i], buf, sizeof buf)) + 18;
            add_widget(a, tabs[i], (Rect){tx, top + 5, tw1, APP_TAB_H - 6});
            tx += tw1 + 4;
        }
    }
    weights_layout(a);
    errors_layout(a);
    app_trace(a, "\"event\":\"layout\",\"window\":[%d,%d],\"canvas\":[%d,%d,%d,%d]", w, h, L->canvas.x, L->canvas.y,
              L->canvas.w, L->canvas.h);
}

void app_set_text_metrics(App *a, TextWidthFn tw, FontHeightFn fh, void *ud) {
    a->text_width = tw ? tw : ui_est_width;
    a->font_height = fh ? fh : ui_est_height;
    a->text_ud = ud;
    app_resize(a, a->w, a->h);
}

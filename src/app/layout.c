/* layout.c - where everything goes for a window of w x h: the top bar's controls (one row, or two
 * when narrow), the canvas column, the probabilities and curves column, the right panel, the
 * status bar; then each view lays itself out inside its rectangle. Traced as a "layout" event. */
#include <stdio.h>
#include <string.h>

#include "controls.h"
#include "ui.h"
#include "view/view.h"

static Widget *add_widget(App *a, int id, Rect r) {
    Widget *wd = &a->widgets[a->nwidgets++];
    control_place(a, wd, id, r);
    return wd;
}

/* The top bar's three groups, in order: what training does, how it trains, files. */
static const int BAR_ACTIONS[] = {WID_TRAIN, WID_STEP, WID_RESET, WID_REVERT, WID_MIX};
static const int BAR_SETTINGS[] = {WID_ARCH, WID_OPT, WID_LR, WID_SCHED, WID_BATCH, WID_EPOCHS, WID_SEED, WID_AUGMENT};
static const int BAR_FILES[] = {WID_SAVE, WID_OPEN, WID_DATA, WID_EXPORT, WID_HELP};
#define COUNT(v) ((int)(sizeof v / sizeof v[0]))

static int group_width(const App *a, const int *ids, int n) {
    int w = 0;
    for (int i = 0; i < n; i++) w += control_width(a, ids[i]) + 6;
    return w - 6;
}

/* Places ids from (*x, *y), wrapping at right onto rows starting at left. */
static void flow(App *a, const int *ids, int n, int *x, int *y, int left, int right, int row, int bh) {
    for (int i = 0; i < n; i++) {
        int ww = control_width(a, ids[i]);
        if (*x + ww > right && *x > left) *x = left, *y += row;
        add_widget(a, ids[i], (Rect){*x, *y, ww, bh});
        *x += ww + 6;
    }
}

/* The top bar: everything on one row when it fits; else the actions, then the settings from a new
 * row (wrapping as needed), the files at the right end of the first row with room for them.
 * Returns the bar's height. */
static int layout_bar(App *a, int w, int h) {
    const int pad = 10, row = h < 700 ? 31 : 34, bh = ui_fh(a, FONT_BODY) + 10, gap = 16;
    int x0 = pad + ui_tw(a, FONT_TITLE, "digitrec") + 18, right = w - pad;
    int wa = group_width(a, BAR_ACTIONS, COUNT(BAR_ACTIONS)), ws = group_width(a, BAR_SETTINGS, COUNT(BAR_SETTINGS)),
        wf = group_width(a, BAR_FILES, COUNT(BAR_FILES));
    int x = x0, y = 7;
    if (x0 + wa + gap + ws + gap + wf <= right) { /* one row */
        flow(a, BAR_ACTIONS, COUNT(BAR_ACTIONS), &x, &y, pad, right, row, bh);
        x += gap - 6;
        flow(a, BAR_SETTINGS, COUNT(BAR_SETTINGS), &x, &y, pad, right, row, bh);
        x = right - wf;
        flow(a, BAR_FILES, COUNT(BAR_FILES), &x, &y, pad, right, row, bh);
        return y + bh + 7;
    }
    flow(a, BAR_ACTIONS, COUNT(BAR_ACTIONS), &x, &y, pad, right, row, bh);
    int files_done = 0;
    if (x - 6 + gap + wf <= right) { /* the files fit beside the actions */
        int fx = right - wf, fy = y;
        flow(a, BAR_FILES, COUNT(BAR_FILES), &fx, &fy, pad, right, row, bh);
        files_done = 1;
    }
    x = pad, y += row;
    flow(a, BAR_SETTINGS, COUNT(BAR_SETTINGS), &x, &y, pad, right, row, bh);
    if (!files_done) {
        if (x - 6 + gap + wf > right) x = pad, y += row;
        x = right - wf;
        flow(a, BAR_FILES, COUNT(BAR_FILES), &x, &y, pad, right, row, bh);
    }
    return y + bh + 7;
}

/* Lays everything out, with short labels (buttons without their key hints) or not. Returns 1 when
 * something did not fit its place, so the caller can try short labels. */
static int layout_all(App *a, int w, int h, int short_labels) {
    AppLayout *L = &a->lay;
    const int pad = 10;
    char buf[64];
    int overflow = 0;
    a->nwidgets = 0;
    L->short_labels = short_labels;
    L->bar_h = layout_bar(a, w, h);
    L->status = (Rect){0, h - 26, w, 26};
    int top = L->bar_h + pad, bottom = h - 26 - pad, mh = bottom - top;

    /* column A: canvas, then the 28x28 input (at least 80 px) and the verdict */
    int cs = mh - 26 - pad - 22 - 80;
    int cmax = (int)((w - 4 * pad) * (w < 1000 ? 0.33 : 0.36));
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
    {
        int uw = ui_tw(a, FONT_SMALL, control_text(a, WID_UNDO, buf, sizeof buf)) + 14;
        Widget *u = add_widget(a, WID_UNDO, (Rect){L->canvas.x + cs - uw, top, uw, 22});
        int cw = ui_tw(a, FONT_SMALL, control_text(a, WID_CLEAR, buf, sizeof buf)) + 14;
        Widget *c = add_widget(a, WID_CLEAR, (Rect){u->r.x - 6 - cw, top, cw, 22});
        int gw = ui_tw(a, FONT_SMALL, control_text(a, WID_SALIENCY, buf, sizeof buf)) + 14;
        Widget *g = add_widget(a, WID_SALIENCY, (Rect){c->r.x - 6 - gw, top, gw, 22});
        if (g->r.x < L->canvas.x) { /* no room: G still toggles it */
            g->r = (Rect){0, 0, 0, 0};
            overflow = 1;
        }
    }

    /* columns B (probabilities, curves) and C (the right panel) */
    int xb = pad + cs + 2 * pad;
    int rest = w - xb - pad;
    int wb = (int)(rest * 0.47);
    int prow = (mh * 36 / 100 - 34) / 10;
    prow = prow < 14 ? 14 : prow > 22 ? 22 : prow;
    L->prob_row = prow;
    int probs_h = 10 * prow + 34;
    L->probs_panel = (Rect){xb, top, wb, probs_h};
    int cy = top + probs_h + pad, ch = bottom - cy;
    int lh = (ch - pad) * (ch < 300 ? 54 : 57) / 100;
    L->loss_plot = (Rect){xb, cy, wb, lh};
    L->acc_plot = (Rect){xb, cy + lh + pad, wb, ch - lh - pad};
    {
        int lw = ui_tw(a, FONT_SMALL, control_text(a, WID_LOG, buf, sizeof buf)) + 26;
        add_widget(a, WID_LOG, (Rect){L->loss_plot.x + wb - lw - 6, cy + 5, lw, 20});
    }
    int xc = xb + wb + pad;
    L->heat = (Rect){xc, top, w - xc - pad, mh};
    {
        /* the right panel's view tabs, in its header */
        /* with their key hints when all four fit, else without (the rest of the window keeps its labels) */
        static const int tabs[] = {WID_TAB_WEIGHTS, WID_TAB_ERRORS, WID_TAB_INSIDE, WID_TAB_EMBED};
        int tx = 0, pad = 18, gap = 4;
        L->short_tabs = short_labels;
        for (int pass = 0; pass < 3; pass++) {
            tx = L->heat.x + 8;
            for (int i = 0; i < 4; i++) tx += ui_tw(a, FONT_BODY, control_text(a, tabs[i], buf, sizeof buf)) + pad + gap;
            if (tx - gap <= L->heat.x + L->heat.w - 4) break;
            if (!L->short_tabs)
                L->short_tabs = 1;
            else
                pad = 10, gap = 2; /* the short ones, closer */
        }
        tx = L->heat.x + 8;
        for (int i = 0; i < 4; i++) {
            int tw1 = ui_tw(a, FONT_BODY, control_text(a, tabs[i], buf, sizeof buf)) + pad;
            add_widget(a, tabs[i], (Rect){tx, top + 5, tw1, APP_TAB_H - 6});
            tx += tw1 + gap;
        }
        overflow |= tx - 4 > L->heat.x + L->heat.w - 4;
    }
    return overflow;
}

void app_resize(App *a, int w, int h) {
    if (w < 640) w = 640;
    if (h < 480) h = 480;
    a->w = w, a->h = h;
    if (layout_all(a, w, h, w < 1000)) layout_all(a, w, h, 1); /* the tooltips keep the key hints */
    AppLayout *L = &a->lay;
    weights_layout(a);
    errors_layout(a);
    app_trace(a, "\"event\":\"layout\",\"window\":[%d,%d],\"canvas\":[%d,%d,%d,%d]", w, h, L->canvas.x, L->canvas.y,
              L->canvas.w, L->canvas.h);
}

int app_regions(const App *a, Rect *r, int max) {
    const AppLayout *L = &a->lay;
    int n = 0, split = L->probs_panel.x - 5; /* the gutter between the canvas column and the rest */
    Rect parts[] = {
        {0, 0, a->w, L->bar_h},                                          /* the top bar */
        {0, L->bar_h, split, L->status.y - L->bar_h},                    /* canvas, input, verdict */
        {split, L->bar_h, L->heat.x - 5 - split, L->loss_plot.y - 5 - L->bar_h}, /* probabilities */
        {split, L->loss_plot.y - 5, L->heat.x - 5 - split, L->acc_plot.y - L->loss_plot.y}, /* loss */
        {split, L->acc_plot.y - 5, L->heat.x - 5 - split, L->status.y - L->acc_plot.y + 5}, /* accuracy */
        {L->heat.x - 5, L->bar_h, a->w - L->heat.x + 5, L->status.y - L->bar_h}, /* the right panel */
        L->status,
    };
    for (int i = 0; i < (int)(sizeof parts / sizeof parts[0]) && n < max; i++)
        if (parts[i].w > 0 && parts[i].h > 0) r[n++] = parts[i];
    return n;
}

void app_set_text_metrics(App *a, TextWidthFn tw, FontHeightFn fh, void *ud) {
    a->text_width = tw ? tw : ui_est_width;
    a->font_height = fh ? fh : ui_est_height;
    a->text_ud = ud;
    app_resize(a, a->w, a->h);
}

/* app_draw.c - turns the App's state into this frame's draw commands: top bar, canvas and
 * input preview, probability bars, loss/accuracy plots, weight heatmaps, status bar, overlays.
 * Reads state only (apart from the draw list); nothing here changes what the app does. */
#include "app.h"
#include "app_ui.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"

const char *app_widget_text(const App *a, int id, char *buf, size_t n);
Rect app_open_panel(const App *a);
Rect app_open_row(const App *a, int i);

static const Color BG = {22, 23, 28, 255}, PANEL = {32, 34, 41, 255}, BORDER = {56, 60, 72, 255},
                   TEXT = {226, 229, 236, 255}, DIM = {150, 156, 170, 255}, FAINT = {95, 100, 115, 255},
                   ACCENT = {90, 170, 255, 255}, GREEN = {96, 205, 130, 255}, AMBER = {255, 184, 64, 255},
                   RED = {242, 96, 86, 255}, BTN = {50, 54, 65, 255}, BTN_HOT = {66, 71, 86, 255},
                   BTN_ON = {40, 110, 190, 255}, GRID = {255, 255, 255, 18}, ORANGE = {255, 140, 60, 255};

static Color alpha(Color c, int a) {
    c.a = (uint8_t)a;
    return c;
}

static int tw(const App *a, int font, const char *s) { return a->text_width(a->text_ud, font, s); }
static int fh(const App *a, int font) { return a->font_height(a->text_ud, font); }

static void text(App *a, int font, int x, int y, Color c, const char *s) {
    draw_text(&a->dl, font, x, y, tw(a, font, s), fh(a, font), c, s);
}

static void textf(App *a, int font, int x, int y, Color c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
static void textf(App *a, int font, int x, int y, Color c, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    text(a, font, x, y, c, buf);
}

/* Text horizontally aligned in r (align: 0 left, 1 centre, 2 right) and vertically centred. */
static void text_in(App *a, int font, Rect r, int align, Color c, const char *s) {
    int w = tw(a, font, s), h = fh(a, font);
    int x = align == 1 ? r.x + (r.w - w) / 2 : align == 2 ? r.x + r.w - w : r.x;
    draw_text(&a->dl, font, x, r.y + (r.h - h) / 2, w, h, c, s);
}

/* Copies s into buf shortened with a leading "..." until it fits width px. */
static const char *fit_left(const App *a, int font, const char *s, int width, char *buf, size_t n) {
    snprintf(buf, n, "%s", s);
    if (tw(a, font, buf) <= width) return buf;
    size_t len = strlen(s);
    for (size_t cut = 1; cut < len; cut++) {
        snprintf(buf, n, "...%s", s + cut);
        if (tw(a, font, buf) <= width) return buf;
    }
    return "";
}

/* The first of the candidates (NULL-terminated) that fits in maxw px, else the last one. */
static const char *first_fit(const App *a, int font, int maxw, const char *const *opts) {
    const char *last = "";
    for (int i = 0; opts[i]; i++) {
        last = opts[i];
        if (tw(a, font, opts[i]) <= maxw) return opts[i];
    }
    return last;
}

/* ---- helpers shared with the panel views (app_ui.h) ---- */

int ui_tw(const App *a, int font, const char *s) { return tw(a, font, s); }
int ui_fh(const App *a, int font) { return fh(a, font); }
void ui_text(App *a, int font, int x, int y, Color c, const char *s) { text(a, font, x, y, c, s); }
void ui_text_in(App *a, int font, Rect r, int align, Color c, const char *s) { text_in(a, font, r, align, c, s); }
const char *ui_fit_left(const App *a, int font, const char *s, int width, char *buf, size_t n) {
    return fit_left(a, font, s, width, buf, n);
}

const char *ui_fit_right(const App *a, int font, const char *s, int width, char *buf, size_t n) {
    snprintf(buf, n, "%s", s);
    if (tw(a, font, buf) <= width) return buf;
    for (size_t len = strlen(s); len > 0; len--) {
        snprintf(buf, n, "%.*s...", (int)(len - 1), s);
        if (tw(a, font, buf) <= width) return buf;
    }
    return "";
}

/* A one-line box near the mouse, kept inside the window. */
void ui_tooltip(App *a, const char *s) {
    int w = tw(a, FONT_SMALL, s) + 16, h = fh(a, FONT_SMALL) + 10;
    int x = a->mx - w - 12, y = a->my + 16;
    if (x < 4) x = a->mx + 16;
    if (x + w > a->w - 4) x = a->w - 4 - w;
    if (y + h > a->h - 28) y = a->my - h - 8;
    Color bg = {20, 21, 26, 240};
    draw_rect(&a->dl, (Rect){x, y, w, h}, bg);
    draw_frame(&a->dl, (Rect){x, y, w, h}, BORDER);
    text(a, FONT_SMALL, x + 8, y + 5, TEXT, s);
}

static void panel(App *a, Rect r, const char *title) {
    draw_rect(&a->dl, r, PANEL);
    draw_frame(&a->dl, r, BORDER);
    if (title) text(a, FONT_BOLD, r.x + 10, r.y + 7, TEXT, title);
}

static void fmt_count(char *buf, size_t n, double v) {
    double av = fabs(v);
    if (av >= 1e6)
        snprintf(buf, n, "%.3gM", v / 1e6);
    else if (av >= 1e3)
        snprintf(buf, n, "%.3gk", v / 1e3);
    else
        snprintf(buf, n, "%.3g", v);
}

/* ---- top bar ---- */

static void draw_widget(App *a, const Widget *wd) {
    char buf[96];
    const char *s = app_widget_text(a, wd->id, buf, sizeof buf);
    int hot = rect_contains(wd->r, a->mx, a->my);
    if (!wd->spin) {
        Color bg = hot ? BTN_HOT : BTN;
        if (wd->id == WID_TRAIN && a->snap.running) bg = BTN_ON;
        if (wd->id == WID_LOG && a->log_scale) bg = BTN_ON;
        if (wd->id == WID_MIX && a->mix) bg = BTN_ON;
        if (wd->id == WID_SALIENCY && a->show_saliency) bg = BTN_ON;
        if (wd->r.w <= 0) return;
        if (wd->id >= WID_TAB_WEIGHTS && wd->id <= WID_TAB_INSIDE && wd->id - WID_TAB_WEIGHTS == a->tab) bg = BTN_ON;
        draw_rect(&a->dl, wd->r, bg);
        draw_frame(&a->dl, wd->r, BORDER);
        int font = (wd->id >= WID_CLEAR && wd->id <= WID_LOG) || wd->id == WID_SALIENCY ? FONT_SMALL : FONT_BODY;
        text_in(a, font, wd->r, 1, TEXT, s);
        return;
    }
    const char *cap = wd->id == WID_ARCH ? "Network" : wd->id == WID_OPT ? "Optimiser" : wd->id == WID_LR ? "LR"
                      : wd->id == WID_BATCH ? "Batch" : wd->id == WID_EPOCHS ? "Epochs" : "Seed";
    text_in(a, FONT_SMALL, wd->label, 0, DIM, cap);
    draw_rect(&a->dl, wd->dec, rect_contains(wd->dec, a->mx, a->my) ? BTN_HOT : BTN);
    draw_rect(&a->dl, wd->inc, rect_contains(wd->inc, a->mx, a->my) ? BTN_HOT : BTN);
    text_in(a, FONT_BODY, wd->dec, 1, DIM, "\xe2\x97\x82"); /* small left triangle */
    text_in(a, FONT_BODY, wd->inc, 1, DIM, "\xe2\x96\xb8"); /* small right triangle */
    Color vb = {26, 28, 34, 255};
    draw_rect(&a->dl, wd->val, vb);
    Rect fr = {wd->dec.x, wd->r.y, wd->inc.x + wd->inc.w - wd->dec.x, wd->r.h};
    draw_frame(&a->dl, fr, wd->id == WID_ARCH && a->editing ? ACCENT : BORDER);
    char fit[96];
    Color vc = TEXT;
    /* a pending architecture (not the running network) is shown in amber until Reset */
    if (wd->id == WID_ARCH && !a->editing && a->snap.net.params) {
        const Net *n = &a->snap.net;
        int same = n->nlayers == a->ctl.nlayers;
        for (int l = 0; same && l <= n->nlayers; l++) same = n->sizes[l] == a->ctl.sizes[l];
        if (!same) vc = AMBER;
    }
    if (wd->id == WID_SEED && a->snap.net.params && a->ctl.seed != a->snap.cfg.seed) vc = AMBER;
    text_in(a, FONT_BODY, wd->val, 1, vc, fit_left(a, FONT_BODY, s, wd->val.w - 6, fit, sizeof fit));
}

static void draw_topbar(App *a) {
    Rect bar = {0, 0, a->w, a->bar_h};
    Color bb = {28, 30, 37, 255};
    draw_rect(&a->dl, bar, bb);
    draw_line(&a->dl, 0, a->bar_h - 1, a->w, a->bar_h - 1, BORDER);
    text_in(a, FONT_TITLE, (Rect){10, 7, 100, fh(a, FONT_BODY) + 10}, 0, ACCENT, "digitrec");
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id != WID_CLEAR && a->widgets[i].id != WID_UNDO && a->widgets[i].id != WID_LOG &&
            a->widgets[i].id != WID_SALIENCY &&
            !(a->widgets[i].id >= WID_TAB_WEIGHTS && a->widgets[i].id <= WID_TAB_INSIDE))
            draw_widget(a, &a->widgets[i]);
}

void ui_draw_widget(App *a, const Widget *wd) { draw_widget(a, wd); }

/* ---- canvas, preview, verdict ---- */

static void draw_canvas(App *a) {
    Rect c = a->canvas;
    int room = c.w;
    for (int i = 0; i < a->nwidgets; i++)
        if ((a->widgets[i].id == WID_CLEAR || a->widgets[i].id == WID_SALIENCY) && a->widgets[i].r.w > 0 &&
            a->widgets[i].r.x - c.x - 8 < room)
            room = a->widgets[i].r.x - c.x - 8;
    int tw1 = tw(a, FONT_BOLD, "Draw a digit"), tw2 = tw(a, FONT_SMALL, "left: draw  right: erase");
    if (tw1 <= room) text(a, FONT_BOLD, c.x, a->canvas_panel.y + 3, TEXT, "Draw a digit");
    if (tw1 + 10 + tw2 <= room) text(a, FONT_SMALL, c.x + tw1 + 10, a->canvas_panel.y + 5, DIM, "left: draw  right: erase");
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_CLEAR || a->widgets[i].id == WID_UNDO || a->widgets[i].id == WID_SALIENCY)
            draw_widget(a, &a->widgets[i]);
    draw_image(&a->dl, IMG_CANVAS, c, (Rect){0, 0, 0, 0});
    if (a->show_saliency && a->frame_ok) {
        /* the saliency map over the drawing, with its key in the canvas corner */
        draw_image(&a->dl, IMG_SALIENCY, c, (Rect){0, 0, 0, 0});
        char key[96];
        snprintf(key, sizeof key, "what makes it a %s: orange raises, blue lowers", a->top >= 0 ? a->classes[a->top] : "?");
        char fit[96];
        int kw = tw(a, FONT_SMALL, ui_fit_right(a, FONT_SMALL, key, c.w - 12, fit, sizeof fit));
        draw_rect(&a->dl, (Rect){c.x + 1, c.y + c.h - 22, kw + 12, 21}, (Color){0, 0, 0, 170});
        text(a, FONT_SMALL, c.x + 7, c.y + c.h - 19, TEXT, fit);
    }
    draw_frame(&a->dl, (Rect){c.x - 1, c.y - 1, c.w + 2, c.h + 2}, BORDER);
    if (!a->has_ink && !a->pen) {
        Color p = {255, 255, 255, 70};
        text_in(a, FONT_TITLE, (Rect){c.x, c.y + c.h / 2 - 20, c.w, 24}, 1, p, "Draw a digit here with the mouse");
        text_in(a, FONT_SMALL, (Rect){c.x, c.y + c.h / 2 + 8, c.w, 18}, 1, p, "one digit, large, filling most of the square");
    }

    Rect p = a->preview;
    {
        const char *opts[] = {"what the network sees (28x28)", "network input 28x28", "input", NULL};
        text(a, FONT_SMALL, p.x, p.y - 19, DIM, first_fit(a, FONT_SMALL, a->verdict.x - p.x - 4, opts));
    }
    draw_image(&a->dl, IMG_PREVIEW, p, (Rect){0, 0, 0, 0});
    if (a->show_saliency && a->probe_ok) draw_image(&a->dl, IMG_SAL_PREVIEW, p, (Rect){0, 0, 0, 0});
    /* a faint pixel grid makes the 28x28 resolution visible */
    if (p.w >= 112) {
        for (int i = 1; i < 28; i++) {
            int x = p.x + i * p.w / 28, y = p.y + i * p.h / 28;
            draw_line(&a->dl, x, p.y, x, p.y + p.h - 1, GRID);
            draw_line(&a->dl, p.x, y, p.x + p.w - 1, y, GRID);
        }
    }
    draw_frame(&a->dl, (Rect){p.x - 1, p.y - 1, p.w + 2, p.h + 2}, BORDER);

    Rect v = a->verdict;
    panel(a, v, NULL);
    if (!a->snap.net.params) return;
    if (!a->has_ink || a->top < 0) {
        text_in(a, FONT_BODY, (Rect){v.x, v.y + v.h / 2 - 20, v.w, 20}, 1, DIM, "No drawing yet.");
        text_in(a, FONT_SMALL, (Rect){v.x, v.y + v.h / 2 + 2, v.w, 18}, 1, FAINT, "The guess appears here.");
        return;
    }
    float p1 = a->probs[a->top];
    int low = p1 < APP_LOW_CONFIDENCE;
    Color dc = low ? AMBER : TEXT;
    const char *name = a->classes[a->top];
    int font = FONT_TITLE;
    if (strlen(name) <= 2 && fh(a, FONT_HUGE) + 48 <= v.h) font = FONT_HUGE;
    else if (strlen(name) <= 3 && fh(a, FONT_BIG) + 48 <= v.h) font = FONT_BIG;
    int hh = fh(a, font);
    int y0 = v.y + (v.h - hh - 44) / 2;
    text_in(a, font, (Rect){v.x, y0, v.w, hh}, 1, dc, name);
    char line[64];
    snprintf(line, sizeof line, "%.1f%% %s", p1 * 100.0, low ? "- low confidence" : "sure");
    text_in(a, FONT_BODY, (Rect){v.x, y0 + hh + 2, v.w, 20}, 1, low ? AMBER : GREEN, line);
    int second = -1;
    for (int k = 0; k < a->nclass; k++)
        if (k != a->top && (second < 0 || a->probs[k] > a->probs[second])) second = k;
    if (second >= 0) {
        snprintf(line, sizeof line, "next: %s (%.1f%%)", a->classes[second], a->probs[second] * 100.0);
        text_in(a, FONT_SMALL, (Rect){v.x, y0 + hh + 22, v.w, 18}, 1, DIM, line);
    }
    /* how to teach it this drawing, where there is room */
    const char *hint = "Ctrl+digit keeps it as yours";
    if (y0 + hh + 58 <= v.y + v.h && tw(a, FONT_SMALL, hint) + 8 <= v.w)
        text_in(a, FONT_SMALL, (Rect){v.x, y0 + hh + 40, v.w, 18}, 1, FAINT, hint);
}

static void draw_probs(App *a) {
    Rect r = a->probs_panel;
    panel(a, r, "Probabilities");
    int blank = !a->has_ink || a->top < 0;
    if (blank) text_in(a, FONT_SMALL, (Rect){r.x + 10, r.y + 7, r.w - 20, 16}, 2, FAINT, "draw to see them");
    int lw = 0;
    for (int k = 0; k < a->nclass; k++) {
        int w = tw(a, FONT_BODY, a->classes[k]);
        if (w > lw) lw = w;
    }
    int pw = tw(a, FONT_BODY, "100.0%");
    int x0 = r.x + 14 + lw, bx = x0 + 8, bw = r.w - (bx - r.x) - pw - 20;
    for (int k = 0; k < a->nclass; k++) {
        int rh = a->prob_row, y = r.y + 30 + k * rh;
        int is_top = !blank && k == a->top;
        Rect lab = {r.x + 10, y, lw, rh - 2};
        text_in(a, is_top ? FONT_BOLD : FONT_BODY, lab, 2, is_top ? TEXT : DIM, a->classes[k]);
        int bh = rh - 8;
        Rect track = {bx, y + 3, bw, bh};
        Color tr = {44, 47, 57, 255};
        draw_rect(&a->dl, track, tr);
        if (!blank) {
            float p = a->probs[k];
            int w = (int)(p * bw + 0.5f);
            Color bc = is_top ? (a->probs[k] < APP_LOW_CONFIDENCE ? AMBER : ACCENT) : alpha(ACCENT, 120);
            draw_rect(&a->dl, (Rect){bx, y + 3, w, bh}, bc);
            char pc[16];
            snprintf(pc, sizeof pc, "%.1f%%", p * 100.0);
            text_in(a, FONT_BODY, (Rect){bx + bw + 6, y, pw + 4, rh - 2}, 2, is_top ? TEXT : DIM, pc);
        } else {
            text_in(a, FONT_BODY, (Rect){bx + bw + 6, y, pw + 4, rh - 2}, 2, FAINT, "-");
        }
    }
}

/* ---- plots ---- */

typedef struct {
    Rect in;             /* plotting area */
    double x0, x1, y0, y1;
    int log;
} Axes;

static double ax_y(const Axes *ax, double v) {
    double t;
    if (ax->log) {
        if (v < ax->y0) v = ax->y0;
        t = (log10(v) - log10(ax->y0)) / (log10(ax->y1) - log10(ax->y0));
    } else {
        t = (v - ax->y0) / (ax->y1 - ax->y0);
    }
    return ax->in.y + ax->in.h - t * ax->in.h;
}

static double ax_x(const Axes *ax, double v) { return ax->in.x + (v - ax->x0) / (ax->x1 - ax->x0) * ax->in.w; }

/* Frame, grid, ticks and tick labels. yfmt: 0 plain, 1 percent. */
static void axes_draw(App *a, const Axes *ax, int yfmt, const char *xlabel) {
    Rect in = ax->in;
    char buf[32];
    int th = fh(a, FONT_SMALL);
    /* y ticks */
    if (ax->log) {
        if (!(ax->y0 > 0) || !(ax->y1 > ax->y0)) return; /* a log axis needs 0 < y0 < y1 */
        for (double d = ax->y0; d <= ax->y1 * 1.0001; d *= 10) {
            int y = (int)ax_y(ax, d);
            draw_line(&a->dl, in.x, y, in.x + in.w, y, GRID);
            snprintf(buf, sizeof buf, "%g", d);
            text_in(a, FONT_SMALL, (Rect){in.x - 46, y - th / 2, 40, th}, 2, DIM, buf);
        }
    } else {
        double st = app_nice_step(ax->y1 - ax->y0, in.h / 28 < 2 ? 2 : in.h / 28 > 5 ? 5 : in.h / 28);
        for (double v = ceil(ax->y0 / st - 1e-9) * st; v <= ax->y1 + st * 1e-6; v += st) {
            int y = (int)ax_y(ax, v);
            draw_line(&a->dl, in.x, y, in.x + in.w, y, GRID);
            if (yfmt == 1)
                snprintf(buf, sizeof buf, "%g%%", round(v * 1000) / 10 + 0.0);
            else
                snprintf(buf, sizeof buf, "%g", round(v / st) * st + 0.0);
            text_in(a, FONT_SMALL, (Rect){in.x - 46, y - th / 2, 40, th}, 2, DIM, buf);
        }
    }
    /* x ticks */
    double st = app_nice_step(ax->x1 - ax->x0, in.w / 80 > 2 ? in.w / 80 : 2);
    for (double v = ceil(ax->x0 / st) * st; v <= ax->x1 + 1e-9; v += st) {
        int x = (int)ax_x(ax, v);
        draw_line(&a->dl, x, in.y, x, in.y + in.h, GRID);
        draw_line(&a->dl, x, in.y + in.h, x, in.y + in.h + 3, FAINT);
        fmt_count(buf, sizeof buf, v);
        int w = tw(a, FONT_SMALL, buf);
        int lx = x - w / 2;
        if (lx + w > in.x + in.w + 8) lx = in.x + in.w + 8 - w;
        draw_text(&a->dl, FONT_SMALL, lx, in.y + in.h + 4, w, th, DIM, buf);
    }
    draw_frame(&a->dl, in, BORDER);
    int xw = tw(a, FONT_SMALL, xlabel);
    draw_text(&a->dl, FONT_SMALL, in.x + in.w - xw, in.y + in.h + 4 + th, xw, th, FAINT, xlabel);
}

static void legend_item(App *a, int *x, int y, Color c, int dots, const char *s) {
    int right = a->legend_right; /* items that would not fit are left out */
    if (*x + 18 + tw(a, FONT_SMALL, s) > right) return;
    if (dots)
        draw_rect(&a->dl, (Rect){*x + 4, y + 5, 6, 6}, c);
    else
        draw_rect(&a->dl, (Rect){*x, y + 7, 14, 2}, c);
    text(a, FONT_SMALL, *x + 18, y, DIM, s);
    *x += 18 + tw(a, FONT_SMALL, s) + 12;
}

/* Draws the polyline twice, one pixel apart, for a 2-px line. */
static void thick_lines(App *a, float *xy, int n, Color c) {
    draw_lines(&a->dl, xy, n, c);
    for (int i = 0; i < n; i++) xy[2 * i + 1] += 1;
    draw_lines(&a->dl, xy, n, c);
}

/* ---- earlier runs in the plots ---- */

static const Color RUN_COLORS[APP_MAX_RUNS] = {
    {200, 130, 255, 255}, {80, 210, 200, 255}, {255, 120, 180, 255}, {230, 215, 90, 255}, {175, 175, 190, 255}};

static Color run_color(const App *a, int i) {
    unsigned long k = a->runs_total - (unsigned long)a->nruns + (unsigned long)i; /* a run keeps its colour */
    return RUN_COLORS[k % APP_MAX_RUNS];
}

/* Steps covered by the earlier runs, and the largest smoothed loss past their first tenth. */
static void runs_extent(const App *a, double *x1, double *ymax, double *mina) {
    for (int i = 0; i < a->nruns; i++) {
        const RunRecord *r = &a->runs[i];
        if (r->nloss > *x1) *x1 = (double)r->nloss;
        if (r->nevals && r->evals[r->nevals - 1].step > *x1) *x1 = (double)r->evals[r->nevals - 1].step;
        for (long j = r->nloss / 10; j < r->nloss; j++)
            if (isfinite(r->smooth[j]) && r->smooth[j] > *ymax) *ymax = r->smooth[j];
        for (int j = 0; j < r->nevals; j++)
            if (r->evals[j].acc < *mina) *mina = r->evals[j].acc;
    }
}

/* Earlier runs as thin faint lines: the smoothed training loss (acc = 0) or the test accuracy. */
static void runs_draw(App *a, const Axes *ax, int acc) {
    int W = ax->in.w;
    float *xy = malloc(sizeof(float) * 2 * (size_t)(W + 1));
    if (!xy) return;
    for (int i = 0; i < a->nruns; i++) {
        const RunRecord *r = &a->runs[i];
        Color c = alpha(run_color(a, i), 150);
        int m = 0;
        if (acc) {
            for (int j = 0; j < r->nevals && m <= W; j++) {
                xy[2 * m] = (float)ax_x(ax, (double)r->evals[j].step);
                xy[2 * m + 1] = (float)ax_y(ax, r->evals[j].acc);
                m++;
            }
        } else {
            for (int px = 0; px <= W; px++) {
                long j = (long)((double)px / W * (ax->x1 - ax->x0) + ax->x0) - 1;
                if (j < 0) continue;
                if (j >= r->nloss) break;
                if (!isfinite(r->smooth[j])) continue;
                xy[2 * m] = (float)(ax->in.x + px);
                xy[2 * m + 1] = (float)ax_y(ax, r->smooth[j]);
                m++;
            }
        }
        if (m >= 2) draw_lines(&a->dl, xy, m, c);
    }
    free(xy);
}

/* The earlier runs' names in a box at the plot's top right. */
static void runs_legend(App *a, const Axes *ax, int acc) {
    if (a->nruns == 0) return;
    char buf[160], fit[160];
    int lh = fh(a, FONT_SMALL) + 2, w = 0, maxw = ax->in.w - 8;
    unsigned long first = a->runs_total - (unsigned long)a->nruns + 1;
    for (int i = 0; i < a->nruns; i++) {
        const RunRecord *r = &a->runs[i];
        if (acc && r->final_acc >= 0)
            snprintf(buf, sizeof buf, "#%lu %s (%.1f%%)", first + (unsigned long)i, r->label, r->final_acc * 100);
        else
            snprintf(buf, sizeof buf, "#%lu %s", first + (unsigned long)i, r->label);
        int t = tw(a, FONT_SMALL, buf) + 24;
        if (t > w) w = t;
    }
    if (w > maxw) w = maxw;
    int rows = a->nruns, h = rows * lh + 6;
    if (h > ax->in.h - 4) rows = (ax->in.h - 10) / lh, h = rows * lh + 6;
    if (rows <= 0) return;
    Rect box = {ax->in.x + ax->in.w - w - 4, acc ? ax->in.y + ax->in.h - h - 4 : ax->in.y + 4, w, h};
    draw_rect(&a->dl, box, (Color){26, 28, 34, 220});
    for (int i = a->nruns - rows, k = 0; i < a->nruns; i++, k++) {
        const RunRecord *r = &a->runs[i];
        if (acc && r->final_acc >= 0)
            snprintf(buf, sizeof buf, "#%lu %s (%.1f%%)", first + (unsigned long)i, r->label, r->final_acc * 100);
        else
            snprintf(buf, sizeof buf, "#%lu %s", first + (unsigned long)i, r->label);
        int y = box.y + 3 + k * lh;
        draw_rect(&a->dl, (Rect){box.x + 5, y + lh / 2 - 1, 12, 2}, run_color(a, i));
        text(a, FONT_SMALL, box.x + 21, y, DIM, ui_fit_right(a, FONT_SMALL, buf, w - 24, fit, sizeof fit));
    }
}

static void draw_loss(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->loss_plot;
    panel(a, r, "Loss");
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_LOG) draw_widget(a, &a->widgets[i]);
    Axes ax = {{r.x + 54, r.y + 50, r.w - 70, r.h - 50 - 38}, 0, 1, 0, 1, a->log_scale};
    if (ax.in.w < 40 || ax.in.h < 30) return;
    int lx = r.x + 54;
    a->legend_right = r.x + r.w - 6;
    legend_item(a, &lx, r.y + 29, alpha(ACCENT, 90), 0, "train (per step)");
    legend_item(a, &lx, r.y + 29, ACCENT, 0, "train (smoothed)");
    legend_item(a, &lx, r.y + 29, ORANGE, 0, "test");
    long n = s->nloss;
    double rx1 = 0, rymax = 0, rmina = 1;
    runs_extent(a, &rx1, &rymax, &rmina);
    if (n == 0 && s->nevals == 0) {
        if (ax.log) ax.y0 = 0.01, ax.y1 = 10;
        if (a->nruns > 0 && rx1 > 0 && rymax > 0) { /* earlier runs to compare with */
            ax.x1 = rx1;
            if (ax.log) {
                ax.y1 = pow(10, ceil(log10(rymax * 1.05)));
                ax.y0 = ax.y1 / 1000;
            } else {
                double st = app_nice_step(rymax * 1.05, 4);
                ax.y1 = ceil(rymax * 1.05 / st) * st;
            }
        }
        axes_draw(a, &ax, 0, "step");
        draw_clip(&a->dl, ax.in);
        runs_draw(a, &ax, 0);
        draw_clip(&a->dl, (Rect){0, 0, 0, 0});
        runs_legend(a, &ax, 0);
        const char *m = !s->have_data ? (s->data_loading ? "loading training data..." : "no training data: run scripts/fetch_mnist.sh")
                                      : "no training yet: press Space to train, N for one step";
        const char *opts[] = {m, "press Space to train", NULL};
        m = first_fit(a, FONT_SMALL, ax.in.w - 8, opts);
        draw_rect(&a->dl, (Rect){ax.in.x + 1, ax.in.y + ax.in.h / 2 - 12, ax.in.w - 2, 24}, PANEL);
        text_in(a, FONT_SMALL, ax.in, 1, DIM, m);
        return;
    }
    int W = ax.in.w;
    if (W > 2048) W = 2048;
    double x1 = n > 10 ? (double)n : 10;
    if (s->nevals && s->evals[s->nevals - 1].step > x1) x1 = (double)s->evals[s->nevals - 1].step;
    if (rx1 > x1) x1 = rx1; /* earlier runs share the step axis */
    ax.x1 = x1;
    /* per pixel column: min, max and the smoothed value at its last step */
    float mn[2048], mxv[2048], sm[2048];
    int has[2048];
    memset(has, 0, sizeof(int) * (size_t)W);
    double tau = n / 60.0;
    if (tau < 5) tau = 5;
    if (tau > 500) tau = 500;
    double beta = 1.0 - 1.0 / tau, ema = 0, wsum = 0;
    double ymax = 0, ymin = 1e30;
    for (long i = 0; i < n; i++) {
        float v = s->loss[i];
        if (!isfinite(v)) continue;
        ema = beta * ema + (1 - beta) * v;
        wsum = beta * wsum + (1 - beta);
        int c = (int)((double)(i + 1) / x1 * (W - 1));
        if (c < 0) c = 0;
        if (c >= W) c = W - 1;
        if (!has[c]) mn[c] = mxv[c] = v, has[c] = 1;
        if (v < mn[c]) mn[c] = v;
        if (v > mxv[c]) mxv[c] = v;
        sm[c] = (float)(ema / wsum);
        if (sm[c] > ymax) ymax = sm[c];
        if (v > 0 && v < ymin) ymin = v;
    }
    for (int i = 0; i < s->nevals; i++) {
        if (s->evals[i].loss > ymax) ymax = s->evals[i].loss;
        if (s->evals[i].loss > 0 && s->evals[i].loss < ymin) ymin = s->evals[i].loss;
    }
    /* the first few raw losses can be huge; let them run off the top rather than squash the rest */
    float p95 = 0;
    {
        int cnt = 0;
        for (int c = 0; c < W; c++) cnt += has[c];
        if (cnt) {
            float vals[2048];
            int m = 0;
            for (int c = 0; c < W; c++)
                if (has[c]) vals[m++] = mxv[c];
            /* partial selection of the 95th percentile by counting */
            float lo = vals[0], hi = vals[0];
            for (int i = 1; i < m; i++) lo = fminf(lo, vals[i]), hi = fmaxf(hi, vals[i]);
            for (int it = 0; it < 30; it++) {
                float mid = 0.5f * (lo + hi);
                int above = 0;
                for (int i = 0; i < m; i++) above += vals[i] > mid;
                if (above > m / 20) lo = mid; else hi = mid;
            }
            p95 = hi;
        }
    }
    if (p95 > ymax) ymax = p95;
    if (!(ymax > 0)) ymax = 1;
    if (ax.log) {
        if (!(ymin < 1e29)) ymin = ymax / 10;
        if (ymin < 1e-4) ymin = 1e-4;
        ax.y0 = pow(10, floor(log10(ymin)));
        ax.y1 = pow(10, ceil(log10(ymax * 1.05)));
        if (ax.y1 <= ax.y0) ax.y1 = ax.y0 * 10;
    } else {
        double st = app_nice_step(ymax * 1.05, 4);
        ax.y0 = 0;
        ax.y1 = ceil(ymax * 1.05 / st) * st;
    }
    axes_draw(a, &ax, 0, "step");
    draw_clip(&a->dl, ax.in);
    runs_draw(a, &ax, 0);
    /* raw per-step loss: a faint band (min..max per pixel column) */
    Color faint = alpha(ACCENT, 70);
    float *xy = malloc(sizeof(float) * 2 * (size_t)(W > s->nevals ? W : s->nevals + 1));
    if (xy) {
        int m = 0;
        for (int c = 0; c < W; c++) {
            if (!has[c]) continue;
            int x = ax.in.x + c * ax.in.w / W;
            int ya = (int)ax_y(&ax, mxv[c]), yb = (int)ax_y(&ax, mn[c]);
            if (n < W) {
                xy[2 * m] = (float)x, xy[2 * m + 1] = (float)ax_y(&ax, mn[c]);
                m++;
            } else {
                draw_line(&a->dl, x, ya, x, yb, faint);
            }
        }
        if (n < W) draw_lines(&a->dl, xy, m, faint);
        m = 0;
        for (int c = 0; c < W; c++) {
            if (!has[c]) continue;
            xy[2 * m] = (float)(ax.in.x + c * ax.in.w / W);
            xy[2 * m + 1] = (float)ax_y(&ax, sm[c]);
            m++;
        }
        thick_lines(a, xy, m, ACCENT);
        m = 0;
        for (int i = 0; i < s->nevals; i++) {
            xy[2 * m] = (float)ax_x(&ax, (double)s->evals[i].step);
            xy[2 * m + 1] = (float)ax_y(&ax, s->evals[i].loss);
            m++;
        }
        if (m >= 2) thick_lines(a, xy, m, ORANGE);
        for (int i = 0; i < s->nevals; i++) {
            if (!s->evals[i].full && s->nevals > 1) continue;
            int x = (int)ax_x(&ax, (double)s->evals[i].step), y = (int)ax_y(&ax, s->evals[i].loss);
            draw_rect(&a->dl, (Rect){x - 3, y - 3, 7, 7}, ORANGE);
        }
        free(xy);
    }
    draw_clip(&a->dl, (Rect){0, 0, 0, 0});
    runs_legend(a, &ax, 0);
    if (n > 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "last %.4f", (double)(wsum > 0 ? ema / wsum : 0));
        text(a, FONT_SMALL, r.x + 10 + tw(a, FONT_BOLD, "Loss") + 10, r.y + 9, DIM, buf);
    }
}

static void draw_acc(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->acc_plot;
    char title[96];
    const EvalPoint *last = s->nevals ? &s->evals[s->nevals - 1] : NULL;
    panel(a, r, "Test accuracy");
    if (last)
        textf(a, FONT_SMALL, r.x + 10 + tw(a, FONT_BOLD, "Test accuracy") + 10, r.y + 9, DIM, "%.2f%% at step %ld", last->acc * 100,
              last->step);
    (void)title;
    Axes ax = {{r.x + 54, r.y + 50, r.w - 70, r.h - 50 - 38}, 0, 1, 0, 1, 0};
    if (ax.in.w < 40 || ax.in.h < 30) return;
    int lx = r.x + 54;
    a->legend_right = r.x + r.w - 6;
    legend_item(a, &lx, r.y + 29, GREEN, 0, "test subset (1000 images)");
    legend_item(a, &lx, r.y + 29, GREEN, 1, "full test set");
    double rx1 = 0, rymax = 0, mina = 1;
    runs_extent(a, &rx1, &rymax, &mina);
    if (!last) {
        if (a->nruns > 0 && rx1 > 0) {
            ax.x1 = rx1;
            ax.y0 = floor((mina - 0.01) * 20) / 20;
            if (ax.y0 < 0) ax.y0 = 0;
        }
        axes_draw(a, &ax, 1, "step");
        draw_clip(&a->dl, ax.in);
        runs_draw(a, &ax, 1);
        draw_clip(&a->dl, (Rect){0, 0, 0, 0});
        runs_legend(a, &ax, 1);
        draw_rect(&a->dl, (Rect){ax.in.x + 1, ax.in.y + ax.in.h / 2 - 12, ax.in.w - 2, 24}, PANEL);
        text_in(a, FONT_SMALL, ax.in, 1, DIM, "appears at the first evaluation");
        return;
    }
    for (int i = 0; i < s->nevals; i++)
        if (s->evals[i].acc < mina) mina = s->evals[i].acc;
    ax.y0 = floor((mina - 0.01) * 20) / 20;
    if (ax.y0 < 0) ax.y0 = 0;
    ax.y1 = 1;
    double x1 = s->nloss > 10 ? (double)s->nloss : 10;
    if (last->step > x1) x1 = (double)last->step;
    if (rx1 > x1) x1 = rx1;
    ax.x1 = x1;
    axes_draw(a, &ax, 1, "step");
    draw_clip(&a->dl, ax.in);
    runs_draw(a, &ax, 1);
    float *xy = malloc(sizeof(float) * 2 * (size_t)s->nevals);
    if (xy) {
        for (int i = 0; i < s->nevals; i++) {
            xy[2 * i] = (float)ax_x(&ax, (double)s->evals[i].step);
            xy[2 * i + 1] = (float)ax_y(&ax, s->evals[i].acc);
        }
        if (s->nevals >= 2) thick_lines(a, xy, s->nevals, GREEN);
        free(xy);
    }
    for (int i = 0; i < s->nevals; i++) {
        if (!s->evals[i].full && s->nevals > 1) continue;
        int x = (int)ax_x(&ax, (double)s->evals[i].step), y = (int)ax_y(&ax, s->evals[i].acc);
        draw_rect(&a->dl, (Rect){x - 3, y - 3, 7, 7}, GREEN);
    }
    draw_clip(&a->dl, (Rect){0, 0, 0, 0});
    runs_legend(a, &ax, 1);
}

/* ---- weights ---- */

static Rect tile_rect(const App *a, int u) {
    int step = a->tile_px + a->tile_gap;
    return (Rect){a->tiles_area.x + (u % a->tile_cols) * step, a->tiles_area.y + (u / a->tile_cols) * step, a->tile_px,
                  a->tile_px};
}

static void draw_heat(App *a) {
    const Net *net = &a->snap.net;
    Rect H = a->heat;
    if (!net->params) {
        text(a, FONT_BOLD, H.x + 10, H.y + APP_TAB_H + 7, TEXT, "Weights");
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
    const char *title = first_fit(a, FONT_BOLD, H.w - 20, topts);
    text(a, FONT_BOLD, H.x + 10, H.y + APP_TAB_H + 7, TEXT, title);
    if (tw(a, FONT_BOLD, title) + tw(a, FONT_SMALL, "hover a tile") + 40 < H.w)
        text_in(a, FONT_SMALL, (Rect){H.x, H.y + APP_TAB_H + 7, H.w - 10, 18}, 2, FAINT, "hover a tile");
    if (net->sizes[0] == 784 && a->tile_px > 0) {
        int cols = U < 16 ? U : 16;
        for (int u = 0; u < U; u++) {
            Rect t = tile_rect(a, u);
            draw_image(&a->dl, IMG_TILES, t, (Rect){(u % cols) * 28, (u / cols) * 28, 28, 28});
            if (net->nlayers == 1 && a->tile_px >= 40) text(a, FONT_SMALL, t.x + 3, t.y + 2, alpha(TEXT, 200), a->classes[u]);
        }
        if (a->hover_tile >= 0 && a->hover_tile < U) {
            Rect t = tile_rect(a, a->hover_tile);
            draw_frame(&a->dl, (Rect){t.x - 2, t.y - 2, t.w + 4, t.h + 4}, TEXT);
        }
        /* colour bar with its scale */
        Rect cb = a->colorbar;
        draw_image(&a->dl, IMG_COLORBAR, cb, (Rect){0, 0, 0, 0});
        draw_frame(&a->dl, cb, BORDER);
        char buf[32];
        float s = a->heat_scale[0];
        int th = fh(a, FONT_SMALL);
        snprintf(buf, sizeof buf, "+%.2g", (double)s);
        text(a, FONT_SMALL, cb.x + cb.w + 4, cb.y - 2, DIM, buf);
        text(a, FONT_SMALL, cb.x + cb.w + 4, cb.y + cb.h / 2 - th / 2, DIM, "0");
        snprintf(buf, sizeof buf, "-%.2g", (double)s);
        text(a, FONT_SMALL, cb.x + cb.w + 4, cb.y + cb.h - th + 2, DIM, buf);
    }
    for (int l = 1; l < net->nlayers; l++) {
        Rect R = a->layer_rect[l];
        if (R.w <= 0 || R.h <= 0) continue;
        char l1[128], l2[128], l3[64];
        snprintf(l1, sizeof l1, "layers.%d.weight  %d x %d  (colour scale +-%.2g)", l, net->sizes[l + 1], net->sizes[l],
                 (double)a->heat_scale[l]);
        snprintf(l2, sizeof l2, "layers.%d.weight %dx%d +-%.2g", l, net->sizes[l + 1], net->sizes[l], (double)a->heat_scale[l]);
        snprintf(l3, sizeof l3, "layer %d", l + 1);
        const char *lo[] = {l1, l2, l3, NULL};
        text(a, FONT_SMALL, R.x, R.y - 18, DIM, first_fit(a, FONT_SMALL, R.w, lo));
        draw_image(&a->dl, IMG_LAYER1 + l - 1, R, (Rect){0, 0, 0, 0});
        draw_frame(&a->dl, R, BORDER);
    }
}

/* The right panel: its view tabs, then the view. */
static void draw_right(App *a) {
    Rect H = a->heat;
    panel(a, H, NULL);
    draw_line(&a->dl, H.x + 1, H.y + APP_TAB_H, H.x + H.w - 2, H.y + APP_TAB_H, BORDER);
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id >= WID_TAB_WEIGHTS && a->widgets[i].id <= WID_TAB_INSIDE) draw_widget(a, &a->widgets[i]);
    if (a->tab == TAB_ERRORS)
        explore_draw(a);
    else if (a->tab == TAB_INSIDE)
        inside_draw(a);
    else
        draw_heat(a);
}

/* Enlarged tile with the unit's index, bias and activation for the current drawing. */
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
    Color bg = {20, 21, 26, 245};
    draw_rect(&a->dl, box, bg);
    draw_frame(&a->dl, box, ACCENT);
    int cols = net->sizes[1] < 16 ? net->sizes[1] : 16;
    draw_image(&a->dl, IMG_TILES, (Rect){x + 10, y + 10, big, big}, (Rect){(u % cols) * 28, (u / cols) * 28, 28, 28});
    float bias = net->bias == BIAS_NEURON ? net->b[0][u] : net->b[0][0];
    double z = bias;
    const float *wu = net->w[0] + (size_t)u * 784;
    for (int i = 0; i < 784; i++) z += (double)wu[i] * a->input[i];
    int ty = y + big + 16;
    if (net->nlayers == 1)
        textf(a, FONT_BOLD, x + 10, ty, TEXT, "class %s (unit %d)", a->classes[u < 10 ? u : 0], u);
    else
        textf(a, FONT_BOLD, x + 10, ty, TEXT, "unit %d of %d", u, net->sizes[1]);
    textf(a, FONT_SMALL, x + 10, ty + 22, DIM, "bias %+.4f", (double)bias);
    if (!a->has_ink) {
        text(a, FONT_SMALL, x + 10, ty + 40, FAINT, "draw a digit to see");
        text(a, FONT_SMALL, x + 10, ty + 56, FAINT, "this unit's activation");
    } else {
        textf(a, FONT_SMALL, x + 10, ty + 40, DIM, "z = w.x + b = %+.3f", z);
        if (net->nlayers == 1)
            textf(a, FONT_SMALL, x + 10, ty + 56, TEXT, "probability %.1f%%", u < 10 ? a->probs[u] * 100.0 : 0.0);
        else
            textf(a, FONT_SMALL, x + 10, ty + 56, TEXT, "activation ReLU(z) = %.3f", z > 0 ? z : 0.0);
    }
    text(a, FONT_SMALL, x + 10, ty + 76, FAINT, "orange +, blue -, dark 0");
}

static void draw_cell_hover(App *a) {
    const Net *net = &a->snap.net;
    int l = a->hover_layer;
    if (l < 1 || !net->params || l >= net->nlayers) return;
    int r = a->hover_row, c = a->hover_col;
    if (r < 0 || c < 0 || r >= net->sizes[l + 1] || c >= net->sizes[l]) return;
    char buf[128];
    snprintf(buf, sizeof buf, "layers.%d.weight[%d][%d] = %+.4f", l, r, c, (double)net->w[l][(size_t)r * net->sizes[l] + c]);
    int w = tw(a, FONT_SMALL, buf) + 16, h = fh(a, FONT_SMALL) + 10;
    int x = a->mx - w - 12, y = a->my + 14;
    if (x < 4) x = 4;
    if (y + h > a->h - 28) y = a->my - h - 8;
    Color bg = {20, 21, 26, 240};
    draw_rect(&a->dl, (Rect){x, y, w, h}, bg);
    draw_frame(&a->dl, (Rect){x, y, w, h}, BORDER);
    text(a, FONT_SMALL, x + 8, y + 5, TEXT, buf);
}

/* ---- status bar and overlays ---- */

static void draw_status(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->status;
    Color sb = {28, 30, 37, 255};
    draw_rect(&a->dl, r, sb);
    draw_line(&a->dl, 0, r.y, a->w, r.y, BORDER);
    char buf[512], sps[32];
    fmt_count(sps, sizeof sps, s->sps);
    int secs = (int)s->t_train;
    const EvalPoint *last = s->nevals ? &s->evals[s->nevals - 1] : NULL;
    char acc[32] = "-";
    if (last) snprintf(acc, sizeof acc, "%.2f%%", last->acc * 100);
    const char *state = s->running ? "training" : s->finished ? "finished" : "paused";
    char mine[64] = "";
    if (s->mix_repeat > 0) snprintf(mine, sizeof mine, " + %d of yours x%d", s->extra_n, s->mix_repeat);
    snprintf(buf, sizeof buf, "%s  |  epoch %d  step %ld  |  %s samples/s  |  %d:%02d elapsed  |  test acc %s  |  %s%s  |  lr %g%s",
             state, s->epoch, s->step, s->running ? sps : "-", secs / 60, secs % 60, acc, s->data_desc, mine,
             (double)s->cfg.lr, app_unsaved(a) ? "  |  unsaved" : "");
    if (tw(a, FONT_SMALL, buf) > r.w - 40) /* narrow window: the short form */
        snprintf(buf, sizeof buf, "%s | ep %d | step %ld | %s/s | %d:%02d | acc %s%s", state, s->epoch, s->step,
                 s->running ? sps : "-", secs / 60, secs % 60, acc, app_unsaved(a) ? " | unsaved" : "");
    Color dot = s->running ? GREEN : s->finished ? ACCENT : AMBER;
    draw_rect(&a->dl, (Rect){r.x + 10, r.y + 9, 8, 8}, dot);
    int lw = tw(a, FONT_SMALL, buf);
    text_in(a, FONT_SMALL, (Rect){r.x + 24, r.y, lw, r.h}, 0, TEXT, buf);
    /* the message gets the rest of the bar; errors stay longer */
    double age = a->now - a->msg_time;
    if (a->msg[0] && age < (a->msg_err ? 30 : 12)) {
        int room = r.w - (24 + lw + 30);
        if (room > 80) {
            char fit[600];
            fit_left(a, FONT_SMALL, a->msg, room, fit, sizeof fit);
            text_in(a, FONT_SMALL, (Rect){r.x + r.w - room - 10, r.y, room, r.h}, 2, a->msg_err ? RED : GREEN, fit);
        }
    }
}

static void draw_help(App *a) {
    static const char *rows[][2] = {
        {"left drag", "draw"}, {"right drag", "erase"}, {"C / Backspace", "clear the canvas"},
        {"Ctrl+Z", "undo the last stroke (or clear)"}, {"Space", "train / pause"},
        {"N", "one step: a mini-batch, or one GD iteration"}, {"R", "reset: a fresh network; the last run's curves stay, fainter"},
        {"Up / Down", "learning rate up / down"}, {"W / M", "right panel: weights / errors (confusion matrix)"},
        {"click a matrix cell", "its test images; click one to put it on the canvas"},
        {"A", "right panel: inside (activations, saliency)"}, {"G", "saliency over the drawing: what makes it that digit"}, {"mouse wheel on a control", "change its value"},
        {"click the Network value", "type custom sizes, e.g. 784-256-10, Enter"}, {"L", "log scale for the loss"},
        {"Ctrl+0 ... Ctrl+9", "keep the drawing as your example of that class"},
        {"Ctrl+Backspace", "remove your last example"}, {"P", "mix your examples into training (on/off)"},
        {"Ctrl+S", "save the network into the models folder"}, {"Ctrl+E", "export: history CSV, canvas, weights, curves (PNG)"}, {"Ctrl+O", "open a model (models folder and recent)"},
        {"drop a .safetensors file", "load it"}, {"Ctrl+D, drop a folder", "train on other data (MNIST, Fashion-MNIST, IDX)"}, {"? / F1", "this help"}, {"Esc", "close"}, {"Ctrl+Q", "quit"}};
    int n = (int)(sizeof rows / sizeof rows[0]);
    /* a short window gets small type and tighter rows rather than a list running off screen */
    int compact = 70 + n * 22 > a->h - 20;
    int kf = compact ? FONT_SMALL : FONT_BOLD, df = compact ? FONT_SMALL : FONT_BODY;
    int rh = compact ? (a->h - 90) / n : 22;
    if (rh < 13) rh = 13;
    int kw = 0, dw = 0;
    for (int i = 0; i < n; i++) {
        int k = tw(a, kf, rows[i][0]), d = tw(a, df, rows[i][1]);
        if (k > kw) kw = k;
        if (d > dw) dw = d;
    }
    int pw = 20 + kw + 24 + dw + 24, ph = (compact ? 60 : 70) + n * rh;
    Rect p = {(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
    draw_rect(&a->dl, (Rect){0, 0, a->w, a->h}, (Color){0, 0, 0, 140});
    draw_rect(&a->dl, p, PANEL);
    draw_frame(&a->dl, p, ACCENT);
    text(a, FONT_TITLE, p.x + 16, p.y + (compact ? 10 : 14), TEXT, "Keyboard and mouse");
    for (int i = 0; i < n; i++) {
        int y = p.y + (compact ? 40 : 50) + i * rh;
        text(a, kf, p.x + 20, y, ACCENT, rows[i][0]);
        text(a, df, p.x + 20 + kw + 24, y, TEXT, rows[i][1]);
    }
}

static void draw_open(App *a) {
    Rect p = app_open_panel(a);
    draw_rect(&a->dl, (Rect){0, 0, a->w, a->h}, (Color){0, 0, 0, 140});
    draw_rect(&a->dl, p, PANEL);
    draw_frame(&a->dl, p, ACCENT);
    char fit[APP_PATH_LEN + 8];
    text(a, FONT_TITLE, p.x + 16, p.y + 12, TEXT, "Open a model");
    char where[APP_PATH_LEN + 32];
    snprintf(where, sizeof where, "in %s  (Enter opens, Esc cancels)", a->models_dir);
    text(a, FONT_SMALL, p.x + 16, p.y + 36, DIM, fit_left(a, FONT_SMALL, where, p.w - 32, fit, sizeof fit));
    if (a->nfiles == 0) {
        text(a, FONT_BODY, p.x + 16, p.y + 62, DIM, "no .safetensors files there yet: Ctrl+S saves one");
        return;
    }
    for (int i = 0; i < a->nfiles; i++) {
        Rect row = app_open_row(a, i);
        if (row.y + row.h > p.y + p.h - 6) break;
        if (i == a->nmodels && a->nmodels < a->nfiles) text(a, FONT_SMALL, row.x, row.y - 20, DIM, "recent");
        int hot = rect_contains(row, a->mx, a->my) || i == a->sel;
        if (hot) draw_rect(&a->dl, row, i == a->sel ? BTN_ON : BTN_HOT);
        const char *name = a->files[i];
        if (i < a->nmodels) {
            const char *slash = strrchr(name, '/');
            if (slash) name = slash + 1;
        }
        text_in(a, FONT_BODY, (Rect){row.x + 8, row.y, row.w - 16, row.h}, 0, TEXT,
                fit_left(a, FONT_BODY, name, row.w - 16, fit, sizeof fit));
    }
}

void app_frame(App *a, double now) {
    a->now = now;
    drawlist_clear(&a->dl);
    draw_rect(&a->dl, (Rect){0, 0, a->w, a->h}, BG);
    draw_topbar(a);
    draw_canvas(a);
    draw_probs(a);
    draw_loss(a);
    draw_acc(a);
    draw_right(a);
    draw_status(a);
    if (!a->pen && !a->show_open && !a->show_help && !a->show_data) {
        if (a->tab == TAB_WEIGHTS) {
            draw_tile_hover(a);
            draw_cell_hover(a);
        } else if (a->tab == TAB_ERRORS) {
            explore_draw_tooltip(a);
        } else if (a->tab == TAB_INSIDE) {
            inside_draw_tooltip(a);
        }
    }
    if (a->show_open) draw_open(a);
    if (a->show_data) data_draw(a);
    if (a->show_help) draw_help(a);
}

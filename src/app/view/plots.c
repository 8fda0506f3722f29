/* plots.c - the loss curve (every step as a faint min..max band per pixel column, a smoothed
 * line, the test loss) and the test-accuracy curve, with earlier runs drawn fainter behind and
 * named in a legend. Linear or log loss axis (L). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "curve.h"
#include "controls.h"
#include "ui.h"
#include "view.h"

typedef struct {
    Rect in;             /* plotting area */
    double x0, x1, y0, y1;
    int log;
    int compact;         /* a short panel: the x label beside the tick labels, not under them */
} Axes;

/* A plot panel shorter than this puts its legend on the title row, in brief words. */
#define PLOT_COMPACT_H 170

static double ax_y(const Axes *ax, double v) {
    double t;
    if (ax->log) {
        if (v < ax->y0) v = ax->y0;
        t = (log10(v) - log10(ax->y0)) / (log10(ax->y1) - log10(ax->y0));
    } else {
        t = (v - ax->y0) / (ax->y1 - ax->y0);
    }
    double y = ax->in.y + ax->in.h - t * ax->in.h;
    /* a value far off the axes must not become a line millions of pixels long */
    return y < ax->in.y - 2 ? ax->in.y - 2 : y > ax->in.y + ax->in.h + 2 ? ax->in.y + ax->in.h + 2 : isfinite(y) ? y : ax->in.y - 2;
}

static double ax_x(const Axes *ax, double v) { return ax->in.x + (v - ax->x0) / (ax->x1 - ax->x0) * ax->in.w; }

/* Frame, grid, ticks and tick labels. yfmt: 0 plain, 1 percent. */
static void axes_draw(App *a, const Axes *ax, int yfmt, const char *xlabel) {
    Rect in = ax->in;
    char buf[32];
    int th = ui_fh(a, FONT_SMALL);
    if (ax->log) {
        if (!(ax->y0 > 0) || !(ax->y1 > ax->y0)) return; /* a log axis needs 0 < y0 < y1 */
        for (double d = ax->y0; d <= ax->y1 * 1.0001; d *= 10) {
            int y = (int)ax_y(ax, d);
            draw_line(&a->dl, in.x, y, in.x + in.w, y, UI_GRID);
            snprintf(buf, sizeof buf, "%g", d);
            ui_text_in(a, FONT_SMALL, (Rect){in.x - 46, y - th / 2, 40, th}, 2, UI_DIM, buf);
        }
    } else {
        double st = app_nice_step(ax->y1 - ax->y0, in.h / 28 < 2 ? 2 : in.h / 28 > 5 ? 5 : in.h / 28);
        for (double v = ceil(ax->y0 / st - 1e-9) * st; v <= ax->y1 + st * 1e-6; v += st) {
            int y = (int)ax_y(ax, v);
            draw_line(&a->dl, in.x, y, in.x + in.w, y, UI_GRID);
            if (yfmt == 1)
                snprintf(buf, sizeof buf, "%g%%", round(v * 1000) / 10 + 0.0);
            else
                snprintf(buf, sizeof buf, "%g", round(v / st) * st + 0.0);
            ui_text_in(a, FONT_SMALL, (Rect){in.x - 46, y - th / 2, 40, th}, 2, UI_DIM, buf);
        }
    }
    double st = app_nice_step(ax->x1 - ax->x0, in.w / 80 > 2 ? in.w / 80 : 2);
    for (double v = ceil(ax->x0 / st) * st; v <= ax->x1 + 1e-9; v += st) {
        int x = (int)ax_x(ax, v);
        draw_line(&a->dl, x, in.y, x, in.y + in.h, UI_GRID);
        draw_line(&a->dl, x, in.y + in.h, x, in.y + in.h + 3, UI_FAINT);
        ui_fmt_count(buf, sizeof buf, v);
        int w = ui_tw(a, FONT_SMALL, buf);
        int lx = x - w / 2;
        if (lx + w > in.x + in.w + 8) lx = in.x + in.w + 8 - w;
        draw_text(&a->dl, FONT_SMALL, lx, in.y + in.h + 4, w, th, UI_DIM, buf);
    }
    draw_frame(&a->dl, in, UI_BORDER);
    int xw = ui_tw(a, FONT_SMALL, xlabel);
    if (ax->compact) /* left of the tick labels, under the lowest y label */
        draw_text(&a->dl, FONT_SMALL, in.x - 46, in.y + in.h + th / 2 + 1, xw, th, UI_FAINT, xlabel);
    else
        draw_text(&a->dl, FONT_SMALL, in.x + in.w - xw, in.y + in.h + 4 + th, xw, th, UI_FAINT, xlabel);
}

/* A legend entry: a dash (or a dot) in colour c, then text. */
typedef struct {
    Color c;
    int dots;
    char text[160];
} LegendItem;

/* Lays the entries out in rows from (x0, y0) to right, and draws them: the plot goes below, so a
 * legend never covers data. At most max_rows rows; what does not fit is counted in a last
 * "+N more" entry. Returns the y below the last row. */
static int legend_draw(App *a, int x0, int y0, int right, const LegendItem *items, int n, int max_rows) {
    int lh = ui_fh(a, FONT_SMALL) + 3, x = x0, y = y0, row = 0;
    char fit[160];
    for (int i = 0; i < n; i++) {
        int w = 18 + ui_tw(a, FONT_SMALL, items[i].text) + 12;
        if (x + w > right && x > x0) { /* next row */
            if (row + 1 >= max_rows) {
                char more[32];
                snprintf(more, sizeof more, "+%d more", n - i);
                if (x + ui_tw(a, FONT_SMALL, more) <= right) ui_text(a, FONT_SMALL, x, y, UI_FAINT, more);
                break;
            }
            row++, x = x0, y += lh;
        }
        if (items[i].dots)
            draw_rect(&a->dl, (Rect){x + 4, y + 5, 6, 6}, items[i].c);
        else
            draw_rect(&a->dl, (Rect){x, y + 7, 14, 2}, items[i].c);
        const char *t = ui_fit_right(a, FONT_SMALL, items[i].text, right - x - 18, fit, sizeof fit);
        ui_text(a, FONT_SMALL, x + 18, y, UI_DIM, t);
        x += 18 + ui_tw(a, FONT_SMALL, t) + 12;
    }
    return y + lh;
}

/* Draws the polyline twice, one pixel apart, for a 2-px line. */
static void thick_lines(App *a, float *xy, int n, Color c) {
    draw_lines(&a->dl, xy, n, c);
    for (int i = 0; i < n; i++) xy[2 * i + 1] += 1;
    draw_lines(&a->dl, xy, n, c);
}

/* ---- earlier runs ---- */

static const Color RUN_COLORS[APP_MAX_RUNS] = {
    {200, 130, 255, 255}, {80, 210, 200, 255}, {255, 120, 180, 255}, {230, 215, 90, 255}, {175, 175, 190, 255}};

static Color run_color(const App *a, int i) {
    unsigned long k = a->runs_total - (unsigned long)a->nruns + (unsigned long)i; /* a run keeps its colour */
    return RUN_COLORS[k % APP_MAX_RUNS];
}

/* The step at the end of curve bucket b. */
static double bucket_end(const Curve *c, int b) {
    double e = (double)(b + 1) * (double)c->span;
    return e < (double)c->n ? e : (double)c->n;
}

/* Steps covered by the earlier runs, the largest smoothed loss past their first tenth, and their
 * lowest accuracy. */
static void runs_extent(const App *a, double *x1, double *ymax, double *mina) {
    static float sm[CURVE_BUCKETS];
    for (int i = 0; i < a->nruns; i++) {
        const RunRecord *r = &a->runs[i];
        if (r->loss.n > *x1) *x1 = (double)r->loss.n;
        if (r->nevals && r->evals[r->nevals - 1].step > *x1) *x1 = (double)r->evals[r->nevals - 1].step;
        curve_smooth(&r->loss, sm);
        for (int b = 0; b < r->loss.nb; b++)
            if (bucket_end(&r->loss, b) >= r->loss.n / 10.0 && isfinite(sm[b]) && sm[b] > *ymax) *ymax = sm[b];
        for (int j = 0; j < r->nevals; j++)
            if (r->evals[j].acc < *mina) *mina = r->evals[j].acc;
    }
}

/* Earlier runs as thin faint lines: the smoothed training loss (acc = 0) or the test accuracy. */
static void runs_draw(App *a, const Axes *ax, int acc) {
    static float sm[CURVE_BUCKETS], xy[2 * CURVE_BUCKETS];
    for (int i = 0; i < a->nruns; i++) {
        const RunRecord *r = &a->runs[i];
        Color c = ui_alpha(run_color(a, i), 150);
        int m = 0;
        if (acc) {
            for (int j = 0; j < r->nevals && m < CURVE_BUCKETS; j++) {
                xy[2 * m] = (float)ax_x(ax, (double)r->evals[j].step);
                xy[2 * m + 1] = (float)ax_y(ax, r->evals[j].acc);
                m++;
            }
        } else {
            curve_smooth(&r->loss, sm);
            for (int b = 0; b < r->loss.nb; b++) {
                if (!isfinite(sm[b])) continue;
                xy[2 * m] = (float)ax_x(ax, bucket_end(&r->loss, b));
                xy[2 * m + 1] = (float)ax_y(ax, sm[b]);
                m++;
            }
        }
        if (m >= 2) draw_lines(&a->dl, xy, m, c);
    }
}

/* The legend: the current run's series, then (in the loss plot, which names them for both) the
 * earlier runs by number with their final accuracy. Under the title, or in a compact panel on
 * the title row from x0 to right in brief words. Returns where the axes may start. */
static int plot_legend(App *a, Rect r, int acc, int x0, int right) {
    static LegendItem items[3 + APP_MAX_RUNS];
    int n = 0, compact = r.h < PLOT_COMPACT_H;
    if (acc) {
        items[n++] = (LegendItem){UI_GREEN, 0, "test subset (1000 images)"};
        items[n++] = (LegendItem){UI_GREEN, 1, "full test set"};
        if (compact) snprintf(items[0].text, sizeof items[0].text, "subset"), snprintf(items[1].text, sizeof items[1].text, "full");
    } else {
        items[n++] = (LegendItem){ui_alpha(UI_ACCENT, 90), 0, "train (per step)"};
        items[n++] = (LegendItem){UI_ACCENT, 0, "train (smoothed)"};
        items[n++] = (LegendItem){UI_ORANGE, 0, "test"};
        if (compact) snprintf(items[0].text, sizeof items[0].text, "step"), snprintf(items[1].text, sizeof items[1].text, "smooth");
    }
    unsigned long first = a->runs_total - (unsigned long)a->nruns + 1;
    for (int i = 0; i < a->nruns && !acc; i++) {
        const RunRecord *run = &a->runs[i];
        LegendItem *it = &items[n++];
        it->c = run_color(a, i);
        it->dots = 0;
        if (compact)
            snprintf(it->text, sizeof it->text, "#%lu", first + (unsigned long)i);
        else if (run->final_acc >= 0)
            snprintf(it->text, sizeof it->text, "#%lu %s (%.1f%%)", first + (unsigned long)i, run->label, run->final_acc * 100);
        else
            snprintf(it->text, sizeof it->text, "#%lu %s", first + (unsigned long)i, run->label);
    }
    if (compact) {
        legend_draw(a, x0, r.y + 9, right, items, n, 1);
        return r.y + 31;
    }
    int max_rows = (r.h - 50 - 38) / 2 / (ui_fh(a, FONT_SMALL) + 3); /* the axes keep at least half */
    return legend_draw(a, r.x + 54, r.y + 29, r.x + r.w - 8, items, n, max_rows < 1 ? 1 : max_rows) + 6;
}

/* The axes' box under the legend, with room for tick labels (and, unless compact, the x label). */
static Rect plot_area(const App *a, Rect r, int top) {
    int th = ui_fh(a, FONT_SMALL), below = r.h < PLOT_COMPACT_H ? th + th / 2 + 5 : 38;
    return (Rect){r.x + 54, top, r.w - 70, r.y + r.h - below - top};
}

/* ---- the two plots ---- */

#define PLOT_MAX_W 2048

static void draw_loss(App *a) {
    const Snapshot *s = &a->snap;
    const Curve *cv = &s->loss;
    Rect r = a->lay.loss_plot;
    int compact = r.h < PLOT_COMPACT_H, right = r.x + r.w - 8;
    ui_panel(a, r, "Loss");
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_LOG) control_draw(a, &a->widgets[i]), right = a->widgets[i].r.x - 8;
    int top = plot_legend(a, r, 0, r.x + 10 + ui_tw(a, FONT_BOLD, "Loss") + 12, right);
    Axes ax = {plot_area(a, r, top), 0, 1, 0, 1, a->log_scale, compact};
    if (ax.in.w < 40 || ax.in.h < 20) return;
    long n = cv->n;
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
        const char *m = !s->have_data ? (s->data_loading ? "loading training data..." : "no training data: run scripts/fetch_mnist.sh")
                                      : "no training yet: press Space to train, N for one step";
        const char *opts[] = {m, "press Space to train", NULL};
        m = ui_first_fit(a, FONT_SMALL, ax.in.w - 8, opts);
        draw_rect(&a->dl, (Rect){ax.in.x + 1, ax.in.y + ax.in.h / 2 - 12, ax.in.w - 2, 24}, UI_PANEL);
        ui_text_in(a, FONT_SMALL, ax.in, 1, UI_DIM, m);
        return;
    }
    int W = ax.in.w;
    if (W > PLOT_MAX_W) W = PLOT_MAX_W;
    double x1 = n > 10 ? (double)n : 10;
    if (s->nevals && s->evals[s->nevals - 1].step > x1) x1 = (double)s->evals[s->nevals - 1].step;
    if (rx1 > x1) x1 = rx1; /* earlier runs share the step axis */
    ax.x1 = x1;
    /* per pixel column, from the curve's buckets: min, max and the smoothed value at its end */
    static float mn[PLOT_MAX_W], mxv[PLOT_MAX_W], smc[PLOT_MAX_W], sm[CURVE_BUCKETS], vals[PLOT_MAX_W];
    static int has[PLOT_MAX_W];
    memset(has, 0, sizeof(int) * (size_t)W);
    curve_smooth(cv, sm);
    double ymax = 0, ymin = 1e30;
    for (int b = 0; b < cv->nb; b++) {
        if (cv->cnt[b] == 0) continue;
        int c = (int)(bucket_end(cv, b) / x1 * (W - 1));
        c = c < 0 ? 0 : c >= W ? W - 1 : c;
        if (!has[c] || cv->min[b] < mn[c]) mn[c] = cv->min[b];
        if (!has[c] || cv->max[b] > mxv[c]) mxv[c] = cv->max[b];
        has[c] = 1;
        smc[c] = sm[b];
        if (isfinite(sm[b]) && sm[b] > ymax) ymax = sm[b];
        if (cv->min[b] > 0 && cv->min[b] < ymin) ymin = cv->min[b];
    }
    for (int i = 0; i < s->nevals; i++) {
        if (s->evals[i].loss > ymax) ymax = s->evals[i].loss;
        if (s->evals[i].loss > 0 && s->evals[i].loss < ymin) ymin = s->evals[i].loss;
    }
    /* the first few raw losses can be huge; let them run off the top rather than squash the rest */
    int m = 0;
    for (int c = 0; c < W; c++)
        if (has[c]) vals[m++] = mxv[c];
    float p95 = quantile_abs(vals, (size_t)m, 0.95);
    if (p95 > ymax) ymax = p95;
    if (!(ymax > 0) || !isfinite(ymax)) ymax = 1;
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
    /* raw per-step loss: a faint band (min..max per pixel column), a line while steps are few */
    Color faint = ui_alpha(UI_ACCENT, 70);
    static float xy[2 * (PLOT_MAX_W + 1)];
    m = 0;
    for (int c = 0; c < W; c++) {
        if (!has[c]) continue;
        int x = ax.in.x + c * ax.in.w / W;
        if (n < W) {
            xy[2 * m] = (float)x, xy[2 * m + 1] = (float)ax_y(&ax, mn[c]);
            m++;
        } else {
            draw_line(&a->dl, x, (int)ax_y(&ax, mxv[c]), x, (int)ax_y(&ax, mn[c]), faint);
        }
    }
    if (n < W) draw_lines(&a->dl, xy, m, faint);
    m = 0;
    for (int c = 0; c < W; c++) {
        if (!has[c] || !isfinite(smc[c])) continue;
        xy[2 * m] = (float)(ax.in.x + c * ax.in.w / W);
        xy[2 * m + 1] = (float)ax_y(&ax, smc[c]);
        m++;
    }
    thick_lines(a, xy, m, UI_ACCENT);
    m = 0;
    for (int i = 0; i < s->nevals && m <= PLOT_MAX_W; i++) {
        xy[2 * m] = (float)ax_x(&ax, (double)s->evals[i].step);
        xy[2 * m + 1] = (float)ax_y(&ax, s->evals[i].loss);
        m++;
    }
    if (m >= 2) thick_lines(a, xy, m, UI_ORANGE);
    for (int i = 0; i < s->nevals; i++) {
        if (!s->evals[i].full && s->nevals > 1) continue;
        int x = (int)ax_x(&ax, (double)s->evals[i].step), y = (int)ax_y(&ax, s->evals[i].loss);
        draw_rect(&a->dl, (Rect){x - 3, y - 3, 7, 7}, UI_ORANGE);
    }
    draw_clip(&a->dl, (Rect){0, 0, 0, 0});
    if (n > 0 && cv->nb > 0 && !compact) {
        char buf[64];
        snprintf(buf, sizeof buf, "last %.4f", (double)sm[cv->nb - 1]);
        ui_text(a, FONT_SMALL, r.x + 10 + ui_tw(a, FONT_BOLD, "Loss") + 10, r.y + 9, UI_DIM, buf);
    }
}

static void draw_acc(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->lay.acc_plot;
    const EvalPoint *last = s->nevals ? &s->evals[s->nevals - 1] : NULL;
    int compact = r.h < PLOT_COMPACT_H, x = r.x + 10 + ui_tw(a, FONT_BOLD, "Test accuracy") + 10;
    char sub[96], fit[96];
    ui_panel(a, r, "Test accuracy");
    if (last && !compact) { /* a compact panel leaves the figure to the status bar */
        snprintf(sub, sizeof sub, "%.2f%% at step %ld (%s)", last->acc * 100, last->step,
                 last->full ? "full test set" : "1000-image subset");
        const char *t = ui_fit_right(a, FONT_SMALL, sub, r.x + r.w - 8 - x, fit, sizeof fit);
        ui_text(a, FONT_SMALL, x, r.y + 9, UI_DIM, t);
        x += ui_tw(a, FONT_SMALL, t) + 12;
    }
    Axes ax = {plot_area(a, r, plot_legend(a, r, 1, x, r.x + r.w - 8)), 0, 1, 0, 1, 0, compact};
    if (ax.in.w < 40 || ax.in.h < 20) return;
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
        draw_rect(&a->dl, (Rect){ax.in.x + 1, ax.in.y + ax.in.h / 2 - 12, ax.in.w - 2, 24}, UI_PANEL);
        const char *opts[] = {"appears at the first evaluation", "at the first test", "", NULL};
        ui_text_in(a, FONT_SMALL, ax.in, 1, UI_DIM, ui_first_fit(a, FONT_SMALL, ax.in.w - 8, opts));
        return;
    }
    for (int i = 0; i < s->nevals; i++)
        if (s->evals[i].acc < mina) mina = s->evals[i].acc;
    ax.y0 = floor((mina - 0.01) * 20) / 20;
    if (ax.y0 < 0) ax.y0 = 0;
    ax.y1 = 1;
    double x1 = s->loss.n > 10 ? (double)s->loss.n : 10;
    if (last->step > x1) x1 = (double)last->step;
    if (rx1 > x1) x1 = rx1;
    ax.x1 = x1;
    axes_draw(a, &ax, 1, "step");
    draw_clip(&a->dl, ax.in);
    runs_draw(a, &ax, 1);
    /* the test points, thinned to about two per pixel column however many there are */
    static float xy[2 * (2 * PLOT_MAX_W + 2)];
    int every = s->nevals / (2 * PLOT_MAX_W) + 1, m = 0;
    for (int i = 0; i < s->nevals; i += every) {
        xy[2 * m] = (float)ax_x(&ax, (double)s->evals[i].step);
        xy[2 * m + 1] = (float)ax_y(&ax, s->evals[i].acc);
        m++;
    }
    if (m >= 2) thick_lines(a, xy, m, UI_GREEN);
    for (int i = 0; i < s->nevals; i++) {
        if (!s->evals[i].full && s->nevals > 1) continue;
        int x = (int)ax_x(&ax, (double)s->evals[i].step), y = (int)ax_y(&ax, s->evals[i].acc);
        draw_rect(&a->dl, (Rect){x - 3, y - 3, 7, 7}, UI_GREEN);
    }
    draw_clip(&a->dl, (Rect){0, 0, 0, 0});
}

void plots_draw(App *a) {
    draw_loss(a);
    draw_acc(a);
}

/* plots.c - the loss curve (every step as a faint min..max band per pixel column, a smoothed
 * line, the test loss) and the test-accuracy curve, with earlier runs drawn fainter behind and
 * named in a legend. Linear or log loss axis (L). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "controls.h"
#include "ui.h"
#include "view.h"

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
    draw_text(&a->dl, FONT_SMALL, in.x + in.w - xw, in.y + in.h + 4 + th, xw, th, UI_FAINT, xlabel);
}

/* One legend entry at *x (a dash, or a dot), left out when it would pass right. */
static void legend_item(App *a, int *x, int y, int right, Color c, int dots, const char *s) {
    if (*x + 18 + ui_tw(a, FONT_SMALL, s) > right) return;
    if (dots)
        draw_rect(&a->dl, (Rect){*x + 4, y + 5, 6, 6}, c);
    else
        draw_rect(&a->dl, (Rect){*x, y + 7, 14, 2}, c);
    ui_text(a, FONT_SMALL, *x + 18, y, UI_DIM, s);
    *x += 18 + ui_tw(a, FONT_SMALL, s) + 12;
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
        Color c = ui_alpha(run_color(a, i), 150);
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

static void run_name(const App *a, int i, int acc, char *buf, size_t n) {
    const RunRecord *r = &a->runs[i];
    unsigned long num = a->runs_total - (unsigned long)a->nruns + 1 + (unsigned long)i;
    if (acc && r->final_acc >= 0)
        snprintf(buf, n, "#%lu %s (%.1f%%)", num, r->label, r->final_acc * 100);
    else
        snprintf(buf, n, "#%lu %s", num, r->label);
}

/* The earlier runs' names in a box at the plot's top right (the accuracy plot's bottom right). */
static void runs_legend(App *a, const Axes *ax, int acc) {
    if (a->nruns == 0) return;
    char buf[160], fit[160];
    int lh = ui_fh(a, FONT_SMALL) + 2, w = 0, maxw = ax->in.w - 8;
    for (int i = 0; i < a->nruns; i++) {
        run_name(a, i, acc, buf, sizeof buf);
        int t = ui_tw(a, FONT_SMALL, buf) + 24;
        if (t > w) w = t;
    }
    if (w > maxw) w = maxw;
    int rows = a->nruns, h = rows * lh + 6;
    if (h > ax->in.h - 4) rows = (ax->in.h - 10) / lh, h = rows * lh + 6;
    if (rows <= 0) return;
    Rect box = {ax->in.x + ax->in.w - w - 4, acc ? ax->in.y + ax->in.h - h - 4 : ax->in.y + 4, w, h};
    draw_rect(&a->dl, box, (Color){26, 28, 34, 220});
    for (int i = a->nruns - rows, k = 0; i < a->nruns; i++, k++) {
        run_name(a, i, acc, buf, sizeof buf);
        int y = box.y + 3 + k * lh;
        draw_rect(&a->dl, (Rect){box.x + 5, y + lh / 2 - 1, 12, 2}, run_color(a, i));
        ui_text(a, FONT_SMALL, box.x + 21, y, UI_DIM, ui_fit_right(a, FONT_SMALL, buf, w - 24, fit, sizeof fit));
    }
}

/* ---- the two plots ---- */

#define PLOT_MAX_W 2048

static void draw_loss(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->lay.loss_plot;
    ui_panel(a, r, "Loss");
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_LOG) control_draw(a, &a->widgets[i]);
    Axes ax = {{r.x + 54, r.y + 50, r.w - 70, r.h - 50 - 38}, 0, 1, 0, 1, a->log_scale};
    if (ax.in.w < 40 || ax.in.h < 30) return;
    int lx = r.x + 54, right = r.x + r.w - 6;
    legend_item(a, &lx, r.y + 29, right, ui_alpha(UI_ACCENT, 90), 0, "train (per step)");
    legend_item(a, &lx, r.y + 29, right, UI_ACCENT, 0, "train (smoothed)");
    legend_item(a, &lx, r.y + 29, right, UI_ORANGE, 0, "test");
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
    /* per pixel column: min, max and the smoothed value at its last step */
    float mn[PLOT_MAX_W], mxv[PLOT_MAX_W], sm[PLOT_MAX_W];
    int has[PLOT_MAX_W];
    memset(has, 0, sizeof(int) * (size_t)W);
    LossSmooth ls;
    loss_smooth_init(&ls, n);
    double ymax = 0, ymin = 1e30;
    for (long i = 0; i < n; i++) {
        float v = s->loss[i];
        if (!isfinite(v)) continue;
        float smooth = loss_smooth_push(&ls, v);
        int c = (int)((double)(i + 1) / x1 * (W - 1));
        if (c < 0) c = 0;
        if (c >= W) c = W - 1;
        if (!has[c]) mn[c] = mxv[c] = v, has[c] = 1;
        if (v < mn[c]) mn[c] = v;
        if (v > mxv[c]) mxv[c] = v;
        sm[c] = smooth;
        if (sm[c] > ymax) ymax = sm[c];
        if (v > 0 && v < ymin) ymin = v;
    }
    for (int i = 0; i < s->nevals; i++) {
        if (s->evals[i].loss > ymax) ymax = s->evals[i].loss;
        if (s->evals[i].loss > 0 && s->evals[i].loss < ymin) ymin = s->evals[i].loss;
    }
    /* the first few raw losses can be huge; let them run off the top rather than squash the rest */
    {
        float vals[PLOT_MAX_W];
        int m = 0;
        for (int c = 0; c < W; c++)
            if (has[c]) vals[m++] = mxv[c];
        float p95 = quantile_abs(vals, (size_t)m, 0.95);
        if (p95 > ymax) ymax = p95;
    }
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
    Color faint = ui_alpha(UI_ACCENT, 70);
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
        thick_lines(a, xy, m, UI_ACCENT);
        m = 0;
        for (int i = 0; i < s->nevals; i++) {
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
        free(xy);
    }
    draw_clip(&a->dl, (Rect){0, 0, 0, 0});
    runs_legend(a, &ax, 0);
    if (n > 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "last %.4f", (double)loss_smooth_value(&ls));
        ui_text(a, FONT_SMALL, r.x + 10 + ui_tw(a, FONT_BOLD, "Loss") + 10, r.y + 9, UI_DIM, buf);
    }
}

static void draw_acc(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->lay.acc_plot;
    const EvalPoint *last = s->nevals ? &s->evals[s->nevals - 1] : NULL;
    ui_panel(a, r, "Test accuracy");
    if (last)
        ui_textf(a, FONT_SMALL, r.x + 10 + ui_tw(a, FONT_BOLD, "Test accuracy") + 10, r.y + 9, UI_DIM, "%.2f%% at step %ld",
                 last->acc * 100, last->step);
    Axes ax = {{r.x + 54, r.y + 50, r.w - 70, r.h - 50 - 38}, 0, 1, 0, 1, 0};
    if (ax.in.w < 40 || ax.in.h < 30) return;
    int lx = r.x + 54, right = r.x + r.w - 6;
    legend_item(a, &lx, r.y + 29, right, UI_GREEN, 0, "test subset (1000 images)");
    legend_item(a, &lx, r.y + 29, right, UI_GREEN, 1, "full test set");
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
        draw_rect(&a->dl, (Rect){ax.in.x + 1, ax.in.y + ax.in.h / 2 - 12, ax.in.w - 2, 24}, UI_PANEL);
        ui_text_in(a, FONT_SMALL, ax.in, 1, UI_DIM, "appears at the first evaluation");
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
        if (s->nevals >= 2) thick_lines(a, xy, s->nevals, UI_GREEN);
        free(xy);
    }
    for (int i = 0; i < s->nevals; i++) {
        if (!s->evals[i].full && s->nevals > 1) continue;
        int x = (int)ax_x(&ax, (double)s->evals[i].step), y = (int)ax_y(&ax, s->evals[i].acc);
        draw_rect(&a->dl, (Rect){x - 3, y - 3, 7, 7}, UI_GREEN);
    }
    draw_clip(&a->dl, (Rect){0, 0, 0, 0});
    runs_legend(a, &ax, 1);
}

void plots_draw(App *a) {
    draw_loss(a);
    draw_acc(a);
}

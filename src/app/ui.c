/* ui.c - drawing helpers shared by the panels: measured text, fitting, panels, tooltips. */
#include "ui.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ui_est_width(void *ud, int font, const char *s) {
    (void)ud;
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++; /* count UTF-8 code points */
    return (int)(n * FONT_PX[font] * 0.6f + 0.5f);
}

int ui_est_height(void *ud, int font) {
    (void)ud;
    return (int)(FONT_PX[font] * 1.2f + 0.5f);
}

int ui_tw(const App *a, int font, const char *s) { return a->text_width(a->text_ud, font, s); }
int ui_fh(const App *a, int font) { return a->font_height(a->text_ud, font); }

void ui_text(App *a, int font, int x, int y, Color c, const char *s) {
    draw_text(&a->dl, font, x, y, ui_tw(a, font, s), ui_fh(a, font), c, s);
}

void ui_textf(App *a, int font, int x, int y, Color c, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ui_text(a, font, x, y, c, buf);
}

void ui_text_in(App *a, int font, Rect r, int align, Color c, const char *s) {
    int w = ui_tw(a, font, s), h = ui_fh(a, font);
    int x = align == 1 ? r.x + (r.w - w) / 2 : align == 2 ? r.x + r.w - w : r.x;
    int n = a->dl.n;
    draw_text(&a->dl, font, x, r.y + (r.h - h) / 2, w, h, c, s);
    if (a->dl.n > n) a->dl.cmds[n].box = r; /* kept for the layout tests: does the text fit it? */
}

const char *ui_fit_left(const App *a, int font, const char *s, int width, char *buf, size_t n) {
    snprintf(buf, n, "%s", s);
    if (ui_tw(a, font, buf) <= width) return buf;
    size_t len = strlen(s);
    for (size_t cut = 1; cut < len; cut++) {
        snprintf(buf, n, "...%s", s + cut);
        if (ui_tw(a, font, buf) <= width) return buf;
    }
    return "";
}

const char *ui_fit_right(const App *a, int font, const char *s, int width, char *buf, size_t n) {
    snprintf(buf, n, "%s", s);
    if (ui_tw(a, font, buf) <= width) return buf;
    for (size_t len = strlen(s); len > 0; len--) {
        snprintf(buf, n, "%.*s...", (int)(len - 1), s);
        if (ui_tw(a, font, buf) <= width) return buf;
    }
    return "";
}

const char *ui_first_fit(const App *a, int font, int maxw, const char *const *opts) {
    const char *last = "";
    for (int i = 0; opts[i]; i++) {
        last = opts[i];
        if (ui_tw(a, font, opts[i]) <= maxw) return opts[i];
    }
    return last;
}

void ui_panel(App *a, Rect r, const char *title) {
    draw_rect(&a->dl, r, UI_PANEL);
    draw_frame(&a->dl, r, UI_BORDER);
    if (title) ui_text(a, FONT_BOLD, r.x + 10, r.y + 7, UI_TEXT, title);
}

void ui_tooltip(App *a, const char *s) {
    int w = ui_tw(a, FONT_SMALL, s) + 16, h = ui_fh(a, FONT_SMALL) + 10;
    int x = a->mx - w - 12, y = a->my + 16;
    if (x < 4) x = a->mx + 16;
    if (x + w > a->w - 4) x = a->w - 4 - w;
    if (y + h > a->h - 28) y = a->my - h - 8;
    draw_rect(&a->dl, (Rect){x, y, w, h}, (Color){20, 21, 26, 240});
    draw_frame(&a->dl, (Rect){x, y, w, h}, UI_BORDER);
    ui_text(a, FONT_SMALL, x + 8, y + 5, UI_TEXT, s);
}

void ui_tooltip_wrapped(App *a, const char *s) {
    enum { MAXL = 12 };
    char lines[MAXL][256];
    int n = 0, maxw = a->w / 2, lh = ui_fh(a, FONT_SMALL) + 2, wmax = 0;
    const char *p = s;
    while (*p && n < MAXL) {
        /* the longest run of words from p that fits maxw */
        size_t len = strlen(p), best = 0;
        for (size_t k = 1; k <= len && k < sizeof lines[0]; k++) {
            if (k < len && p[k] != ' ') continue;
            char t[256];
            snprintf(t, sizeof t, "%.*s", (int)k, p);
            if (ui_tw(a, FONT_SMALL, t) > maxw && best) break;
            best = k;
        }
        if (!best) best = len < sizeof lines[0] - 1 ? len : sizeof lines[0] - 1;
        snprintf(lines[n], sizeof lines[n], "%.*s", (int)best, p);
        int w = ui_tw(a, FONT_SMALL, lines[n]);
        if (w > wmax) wmax = w;
        n++;
        p += best;
        while (*p == ' ') p++;
    }
    int w = wmax + 16, h = n * lh + 8;
    int x = a->mx - w / 2, y = a->my - h - 12;
    if (x < 4) x = 4;
    if (x + w > a->w - 4) x = a->w - 4 - w;
    if (y < 4) y = 4;
    draw_rect(&a->dl, (Rect){x, y, w, h}, (Color){20, 21, 26, 245});
    draw_frame(&a->dl, (Rect){x, y, w, h}, UI_BORDER);
    for (int i = 0; i < n; i++) ui_text(a, FONT_SMALL, x + 8, y + 4 + i * lh, UI_TEXT, lines[i]);
}

void ui_fmt_count(char *buf, size_t n, double v) {
    double av = fabs(v);
    if (av >= 1e6)
        snprintf(buf, n, "%.3gM", v / 1e6);
    else if (av >= 1e4)
        snprintf(buf, n, "%.3gk", v / 1e3);
    else if (v == floor(v) || av >= 100)
        snprintf(buf, n, "%.0f", v); /* 6060, not 6.06e+03 */
    else
        snprintf(buf, n, "%.3g", v);
}

void ui_fmt_scale(char *buf, size_t n, float s) {
    if (!isfinite(s))
        snprintf(buf, n, "?");
    else if ((s != 0 && fabsf(s) < 0.001f) || fabsf(s) >= 1e4f)
        snprintf(buf, n, "%.0e", (double)s); /* 1e-05, not 1.2e-05: the label keeps its width */
    else if (fabsf(s) >= 10)
        snprintf(buf, n, "%.0f", (double)s);
    else
        snprintf(buf, n, "%.2g", (double)s);
}

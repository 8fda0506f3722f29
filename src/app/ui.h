/* ui.h - private to src/app: the palette and the drawing helpers every panel shares (text
 * measured, aligned and cut to fit, panels, tooltips, counts). They only append to the App's
 * draw list; nothing here changes state. */
#ifndef DIGITREC_UI_H
#define DIGITREC_UI_H

#include <stddef.h>

#include "app.h"

static const Color UI_BG = {22, 23, 28, 255}, UI_PANEL = {32, 34, 41, 255}, UI_BORDER = {56, 60, 72, 255},
                   UI_TEXT = {226, 229, 236, 255}, UI_DIM = {150, 156, 170, 255}, UI_FAINT = {95, 100, 115, 255},
                   UI_ACCENT = {90, 170, 255, 255}, UI_GREEN = {96, 205, 130, 255}, UI_AMBER = {255, 184, 64, 255},
                   UI_RED = {242, 96, 86, 255}, UI_BTN = {50, 54, 65, 255}, UI_BTN_HOT = {66, 71, 86, 255},
                   UI_BTN_ON = {40, 110, 190, 255}, UI_ORANGE = {255, 140, 60, 255},
                   UI_GRID = {255, 255, 255, 18};

static inline Color ui_alpha(Color c, int a) {
    c.a = (unsigned char)a;
    return c;
}

/* Text metrics estimated from the font's pixel size: what the app uses until (and unless) the
 * platform installs real ones (tests run with these). */
int ui_est_width(void *ud, int font, const char *s);
int ui_est_height(void *ud, int font);

int ui_tw(const App *a, int font, const char *s);
int ui_fh(const App *a, int font);
void ui_text(App *a, int font, int x, int y, Color c, const char *s);
void ui_textf(App *a, int font, int x, int y, Color c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
/* Text aligned in r (align: 0 left, 1 centre, 2 right), vertically centred. */
void ui_text_in(App *a, int font, Rect r, int align, Color c, const char *s);
/* s shortened with a leading "..." until it fits width px (buf holds n bytes). */
const char *ui_fit_left(const App *a, int font, const char *s, int width, char *buf, size_t n);
/* s cut at the end with "..." until it fits width px. */
const char *ui_fit_right(const App *a, int font, const char *s, int width, char *buf, size_t n);
/* The first of the candidates (NULL-terminated) that fits in maxw px, else the last one. */
const char *ui_first_fit(const App *a, int font, int maxw, const char *const *opts);
/* A filled panel with a border and an optional bold title. */
void ui_panel(App *a, Rect r, const char *title);
/* A one-line box near the mouse, kept inside the window. */
void ui_tooltip(App *a, const char *s);
/* The same for a long text, broken into lines at spaces to fit the window (at most half its width). */
void ui_tooltip_wrapped(App *a, const char *s);
/* A count for an axis or a rate: exact below 10000 (2500), then 12.5k, 3.4M. */
void ui_fmt_count(char *buf, size_t n, double v);
/* A colour scale's magnitude in at most 5 characters: 0.32, 1.2, 12, 345, 1e-05, 2e+06. */
void ui_fmt_scale(char *buf, size_t n, float s);

#endif

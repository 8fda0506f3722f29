/* app_ui.h - private to src/app: the palette and drawing helpers app_draw.c shares with the
 * panel views in app_explore.c, and the hooks app.c calls into those views. Not an API. */
#ifndef DIGITREC_APP_UI_H
#define DIGITREC_APP_UI_H

#include "app.h"

static const Color UI_BG = {22, 23, 28, 255}, UI_PANEL = {32, 34, 41, 255}, UI_BORDER = {56, 60, 72, 255},
                   UI_TEXT = {226, 229, 236, 255}, UI_DIM = {150, 156, 170, 255}, UI_FAINT = {95, 100, 115, 255},
                   UI_ACCENT = {90, 170, 255, 255}, UI_GREEN = {96, 205, 130, 255}, UI_AMBER = {255, 184, 64, 255},
                   UI_RED = {242, 96, 86, 255}, UI_BTN = {50, 54, 65, 255}, UI_BTN_HOT = {66, 71, 86, 255},
                   UI_BTN_ON = {40, 110, 190, 255}, UI_ORANGE = {255, 140, 60, 255};

/* app_draw.c */
int ui_tw(const App *a, int font, const char *s);
int ui_fh(const App *a, int font);
void ui_text(App *a, int font, int x, int y, Color c, const char *s);
/* Text aligned in r (align: 0 left, 1 centre, 2 right), vertically centred. */
void ui_text_in(App *a, int font, Rect r, int align, Color c, const char *s);
/* s shortened with a leading "..." until it fits width px (buf holds n bytes). */
const char *ui_fit_left(const App *a, int font, const char *s, int width, char *buf, size_t n);
/* s cut at the end with "..." until it fits width px. */
const char *ui_fit_right(const App *a, int font, const char *s, int width, char *buf, size_t n);
void ui_draw_widget(App *a, const Widget *wd);
void ui_tooltip(App *a, const char *s);

/* app.c */
/* (Re)allocates im as w x h RGBA (zeroed) unless it already has that size. Returns 0 or -1. */
int app_image_alloc(AppImage *im, int w, int h, int smooth);

/* app_data.c: the dataset chooser */
void data_draw(App *a);
int data_mouse_down(App *a, int x, int y);
void data_key(App *a, int key);
void data_text(App *a, const char *utf8);

/* app_runs.c */
void app_runs_free(App *a);

/* app_explore.c: the Errors tab (confusion matrix, per-class accuracy, gallery) */
void explore_layout(App *a);
/* A newly synced snapshot: refresh the gallery if the test-set predictions changed. */
void explore_on_snapshot(App *a);
/* Mouse events over the Errors tab; return 1 when consumed. */
int explore_mouse_down(App *a, int x, int y);
void explore_hover(App *a, int x, int y);
int explore_wheel(App *a, int x, int y, int dy);
void explore_draw(App *a);
void explore_draw_tooltip(App *a);

/* app_inside.c: what the network looks at (saliency overlay, the Inside tab) */
/* After the drawing's forward pass: activations, saliency map, frame and overlay images. */
void inside_update(App *a);
void inside_draw(App *a);
void inside_hover(App *a, int x, int y);
void inside_draw_tooltip(App *a);

#endif

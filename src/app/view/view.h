/* view.h - private to src/app: the panels, one file each in src/app/view. A view lays itself out
 * inside the rectangle layout.c gives it, draws from state, and answers the mouse over itself.
 * Views call downwards only (controls, predict, ui, state); app.c and layout.c call them. */
#ifndef DIGITREC_VIEW_H
#define DIGITREC_VIEW_H

#include "app.h"

/* bars.c: the top bar's controls and the status bar */
void bars_draw_top(App *a);
void bars_draw_status(App *a);
/* The status message's full text while the mouse is over it. */
void bars_draw_status_tooltip(App *a);

/* reading.c: the canvas, the 28x28 input, the verdict and the probability bars */
void reading_draw(App *a);

/* plots.c: the loss and test-accuracy curves, with the earlier runs */
void plots_draw(App *a);

/* weights.c: the Weights tab (first-layer tiles, colour bar, deeper heatmaps) */
void weights_layout(App *a);
/* Repaints the heatmap images from the snapshot's network. */
void weights_paint(App *a);
void weights_hover(App *a, int x, int y);
void weights_draw(App *a);
void weights_draw_tooltip(App *a);

/* errors.c: the Errors tab (confusion matrix, per-class accuracy, the gallery) */
void errors_layout(App *a);
/* A newly synced snapshot: refresh the gallery if the test-set predictions changed. */
void errors_on_snapshot(App *a);
/* Mouse events over the Errors tab; return 1 when consumed. */
int errors_mouse_down(App *a, int x, int y);
void errors_hover(App *a, int x, int y);
int errors_wheel(App *a, int x, int y, int dy);
void errors_draw(App *a);
void errors_draw_tooltip(App *a);

/* inside.c: the Inside tab (input, saliency map, hidden activations, outputs) */
void inside_hover(App *a, int x, int y);
void inside_draw(App *a);
void inside_draw_tooltip(App *a);

/* embed.c: the Map tab (the last hidden layer of 1,000 test images in 2-D, the drawing among them) */
void embed_hover(App *a, int x, int y);
/* A click on a point puts its test image on the canvas; returns 1 when consumed. */
int embed_mouse_down(App *a, int x, int y);
void embed_draw(App *a);
void embed_draw_tooltip(App *a);

/* dialogs.c: help, Open, Save As and the dataset chooser */
void help_draw(App *a);
Rect open_panel(const App *a);
/* Where list row i is drawn (w = 0: scrolled out of view). */
Rect open_row(const App *a, int i);
void open_draw(App *a);
int open_mouse_down(App *a, int x, int y);
void open_key(App *a, int key, int mods);
void open_text(App *a, const char *utf8);
void open_wheel(App *a, int dy);
void save_draw(App *a);
int save_mouse_down(App *a, int x, int y);
void save_key(App *a, int key);
void save_text(App *a, const char *utf8);
void data_draw(App *a);
int data_mouse_down(App *a, int x, int y);
void data_key(App *a, int key);
void data_text(App *a, const char *utf8);
/* The question in a->ask (quit with unsaved training; restore the autosave): its buttons. */
void ask_draw(App *a);
void ask_mouse_down(App *a, int x, int y);
void ask_key(App *a, int key);

#endif

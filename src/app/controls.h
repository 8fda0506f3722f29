/* controls.h - private to src/app: the ONE table of the window's controls. A control is one
 * row: its kind, caption, the widest value it can show, and functions for its value, its state,
 * a step of its value and a press; layout, drawing, clicks, the wheel and keys all read the row,
 * so a new control is a new row (plus its place in layout.c's bar order). */
#ifndef DIGITREC_CONTROLS_H
#define DIGITREC_CONTROLS_H

#include <stddef.h>

#include "app.h"

typedef enum {
    CTL_BUTTON = 0,  /* does something when clicked */
    CTL_TOGGLE,      /* a switch: lit while on */
    CTL_TAB,         /* selects the right panel's view: lit while shown */
    CTL_SPIN         /* a value with < > arrows: the wheel and the arrows step it */
} CtlKind;

typedef struct {
    int id;                    /* WidgetId, also the row's index */
    CtlKind kind;
    int font;                  /* FONT_BODY or FONT_SMALL */
    const char *caption;       /* button label with its key hint, or a spin's caption */
    const char *short_caption; /* a button's label in a narrow window (NULL: the same) */
    const char *widest;        /* the widest label or value it shows, so the bar never jumps */
    const char *widest_short;  /* the same with short labels, where that differs */
    /* the label or value as shown now (NULL: the caption) */
    const char *(*value)(const App *a, char *buf, size_t n);
    int (*lit)(const App *a);          /* toggles and tabs: on / shown */
    void (*step)(App *a, int dir);     /* spins: one step up (+1) or down (-1) */
    void (*press)(App *a);             /* a click (buttons, toggles, tabs) */
    /* spins: sets the value from typed text; returns 0, or -1 with err (the value is unchanged) */
    int (*parse)(App *a, const char *text, char *err);
    const char *key;                   /* its key, for the tooltip (NULL: none) */
    const char *tip;                   /* what it does, one line */
} Control;

/* The row of control id (a WidgetId). */
const Control *control(int id);
/* A spin's caption (short in a narrow window). */
const char *control_caption(const App *a, int id);
/* What control id shows now (a button's label, a spin's value), in buf if it needs room. */
const char *control_text(const App *a, int id, char *buf, size_t n);
/* The width a control needs in the layout: label or caption + widest value + arrows. */
int control_width(const App *a, int id);
/* Sets a laid-out widget for control id at r (a spin's parts inside it). */
void control_place(const App *a, Widget *wd, int id, Rect r);
/* Draws one laid-out widget. */
void control_draw(App *a, const Widget *wd);
/* A left click at (x, y) inside wd. */
void control_click(App *a, const Widget *wd, int x, int y);
/* One step of spin control id (+1 / -1); nothing for the others. */
void control_step(App *a, int id, int dir);

/* The keyboard's focus: Tab / Shift+Tab move it through the controls, Enter presses a button or
 * starts typing a spin's value, the arrows step a spin, Esc lets go. Returns 1 when the key was
 * taken. */
int control_focus_key(App *a, int key, int mods);
/* The tooltip of the control under the mouse, once it has rested there: what it does, its key. */
void control_draw_tooltip(App *a);

/* Typing into a spin's value (a->edit_id): keys and text while a->editing; accept or cancel. */
void control_edit_key(App *a, int key);
void control_edit_text(App *a, const char *utf8);
void control_edit_finish(App *a, int accept);

/* The canvas actions the keys share with the buttons. */
void control_clear(App *a);
void control_undo(App *a);
void control_toggle_training(App *a);
void control_toggle_mix(App *a);
void control_open_models(App *a);
/* Ctrl+digit: the drawing becomes a personal example of class k. */
void control_keep_example(App *a, int k);

#endif

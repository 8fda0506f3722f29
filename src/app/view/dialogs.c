/* dialogs.c - the windows over the window: the help (every key), Open (the models folder and
 * the recent files, listed by the session), and the dataset chooser (MNIST, Fashion-MNIST, the
 * folder in use, or any folder of IDX files typed in). Choosing queues an action. */
#include <stdio.h>
#include <string.h>

#include "ui.h"
#include "view.h"

static void dim_window(App *a) { draw_rect(&a->dl, (Rect){0, 0, a->w, a->h}, (Color){0, 0, 0, 140}); }

/* ---- help ---- */

void help_draw(App *a) {
    static const char *rows[][2] = {
        {"left drag", "draw"}, {"right drag", "erase"}, {"C / Backspace", "clear the canvas"},
        {"Ctrl+Z", "undo the last stroke (or clear)"}, {"Space", "train / pause"},
        {"N", "one step: a mini-batch, or one GD iteration"}, {"R", "re-init: a fresh network; the last run's curves stay, fainter"},
        {"Ctrl+R", "revert: back to the model as opened or last saved"},
        {"Up / Down", "learning rate up / down"}, {"Tab / Shift+Tab", "move the focus through the controls"},
        {"arrows, Enter", "step the focused value / type one (Enter again sets it), Esc: let go"},
        {"W / M", "right panel: weights / errors (confusion matrix)"},
        {"click a matrix cell", "its test images; click one to put it on the canvas"},
        {"A", "right panel: inside (activations, saliency)"}, {"G", "saliency over the drawing: what makes it that digit"},
        {"mouse wheel on a control", "change its value"},
        {"click a value", "type it, e.g. 0.003 for LR, 784-256-10 for Network, Enter"}, {"L", "log scale for the loss"},
        {"Ctrl+0 ... Ctrl+9", "keep the drawing as your example of that class"},
        {"Ctrl+Backspace", "remove your last example"}, {"P", "mix your examples into training (on/off)"},
        {"Ctrl+S", "save the network into the models folder"}, {"Ctrl+E", "export: history CSV, canvas, weights, curves (PNG)"},
        {"Ctrl+O", "open a model (models folder and recent)"},
        {"drop a .safetensors file", "load it"}, {"Ctrl+D, drop a folder", "train on other data (MNIST, Fashion-MNIST, IDX)"},
        {"? / F1", "this help"}, {"Esc", "close"}, {"Ctrl+Q", "quit"}};
    int n = (int)(sizeof rows / sizeof rows[0]);
    /* a short window gets small type and tighter rows rather than a list running off screen */
    int compact = 70 + n * 22 > a->h - 20;
    int kf = compact ? FONT_SMALL : FONT_BOLD, df = compact ? FONT_SMALL : FONT_BODY;
    int rh = compact ? (a->h - 90) / n : 22;
    if (rh < 13) rh = 13;
    int kw = 0, dw = 0;
    for (int i = 0; i < n; i++) {
        int k = ui_tw(a, kf, rows[i][0]), d = ui_tw(a, df, rows[i][1]);
        if (k > kw) kw = k;
        if (d > dw) dw = d;
    }
    int pw = 20 + kw + 24 + dw + 24, ph = (compact ? 60 : 70) + n * rh;
    Rect p = {(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
    dim_window(a);
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    ui_text(a, FONT_TITLE, p.x + 16, p.y + (compact ? 10 : 14), UI_TEXT, "Keyboard and mouse");
    for (int i = 0; i < n; i++) {
        int y = p.y + (compact ? 40 : 50) + i * rh;
        ui_text(a, kf, p.x + 20, y, UI_ACCENT, rows[i][0]);
        ui_text(a, df, p.x + 20 + kw + 24, y, UI_TEXT, rows[i][1]);
    }
}

/* ---- Open ---- */

Rect open_panel(const App *a) {
    const OpenDialog *o = &a->open;
    int pw = a->w * 6 / 10, ph = 90 + (o->n ? o->n : 1) * 24 + (o->n > o->nmodels ? 24 : 0);
    if (ph > a->h - 80) ph = a->h - 80;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

Rect open_row(const App *a, int i) {
    const OpenDialog *o = &a->open;
    Rect p = open_panel(a);
    int y = p.y + 60 + i * 24 + (i >= o->nmodels && o->nmodels < o->n ? 24 : 0);
    return (Rect){p.x + 10, y, p.w - 20, 22};
}

static void open_choose(App *a, int i) {
    app_push_action(a, ACT_LOAD, a->open.files[i]);
    a->open.show = 0;
}

int open_mouse_down(App *a, int x, int y) {
    for (int i = 0; i < a->open.n; i++)
        if (rect_contains(open_row(a, i), x, y)) {
            open_choose(a, i);
            return 1;
        }
    if (!rect_contains(open_panel(a), x, y)) a->open.show = 0;
    return 1;
}

void open_key(App *a, int key) {
    OpenDialog *o = &a->open;
    if (key == KEY_ESCAPE) o->show = 0;
    if (key == KEY_UP && o->sel > 0) o->sel--;
    if (key == KEY_DOWN && o->sel + 1 < o->n) o->sel++;
    if (key == KEY_RETURN && o->n > 0) open_choose(a, o->sel);
}

void open_wheel(App *a, int dy) {
    OpenDialog *o = &a->open;
    o->sel -= dy;
    if (o->sel >= o->n) o->sel = o->n - 1;
    if (o->sel < 0) o->sel = 0;
}

void open_draw(App *a) {
    const OpenDialog *o = &a->open;
    Rect p = open_panel(a);
    dim_window(a);
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    char fit[APP_PATH_LEN + 8];
    ui_text(a, FONT_TITLE, p.x + 16, p.y + 12, UI_TEXT, "Open a model");
    char where[APP_PATH_LEN + 32];
    snprintf(where, sizeof where, "in %s  (Enter opens, Esc cancels)", o->dir);
    ui_text(a, FONT_SMALL, p.x + 16, p.y + 36, UI_DIM, ui_fit_left(a, FONT_SMALL, where, p.w - 32, fit, sizeof fit));
    if (o->n == 0) {
        ui_text(a, FONT_BODY, p.x + 16, p.y + 62, UI_DIM, "no .safetensors files there yet: Ctrl+S saves one");
        return;
    }
    for (int i = 0; i < o->n; i++) {
        Rect row = open_row(a, i);
        if (row.y + row.h > p.y + p.h - 6) break;
        if (i == o->nmodels && o->nmodels < o->n) ui_text(a, FONT_SMALL, row.x, row.y - 20, UI_DIM, "recent");
        int hot = rect_contains(row, a->mx, a->my) || i == o->sel;
        if (hot) draw_rect(&a->dl, row, i == o->sel ? UI_BTN_ON : UI_BTN_HOT);
        const char *name = o->files[i];
        if (i < o->nmodels) {
            const char *slash = strrchr(name, '/');
            if (slash) name = slash + 1;
        }
        ui_text_in(a, FONT_BODY, (Rect){row.x + 8, row.y, row.w - 16, row.h}, 0, UI_TEXT,
                   ui_fit_left(a, FONT_BODY, name, row.w - 16, fit, sizeof fit));
    }
}

/* ---- the dataset chooser ---- */

#define ROW_H 44

static Rect data_panel(const App *a) {
    int pw = a->w * 7 / 10, ph = 96 + a->data.n * ROW_H + 70;
    if (pw > 860) pw = 860;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

static Rect data_row(const App *a, int i) {
    Rect p = data_panel(a);
    return (Rect){p.x + 10, p.y + 62 + i * ROW_H, p.w - 20, ROW_H - 4};
}

static void data_choose(App *a, const char *dir) {
    a->data.show = 0;
    app_push_action(a, ACT_DATA, dir);
}

int data_mouse_down(App *a, int x, int y) {
    for (int i = 0; i < a->data.n; i++)
        if (rect_contains(data_row(a, i), x, y)) {
            data_choose(a, a->data.opts[i]);
            return 1;
        }
    if (!rect_contains(data_panel(a), x, y)) a->data.show = 0;
    return 1;
}

void data_key(App *a, int key) {
    DataDialog *d = &a->data;
    size_t n = strlen(d->edit);
    if (key == KEY_ESCAPE) d->show = 0;
    if (key == KEY_UP && d->sel > 0) d->sel--;
    if (key == KEY_DOWN && d->sel + 1 < d->n) d->sel++;
    if (key == KEY_BACKSPACE && n) d->edit[n - 1] = 0;
    if (key == KEY_RETURN && (n || d->n > 0)) data_choose(a, n ? d->edit : d->opts[d->sel]);
}

void data_text(App *a, const char *utf8) {
    DataDialog *d = &a->data;
    size_t n = strlen(d->edit), m = strlen(utf8);
    if (n + m + 1 < sizeof d->edit) memcpy(d->edit + n, utf8, m + 1);
}

void data_draw(App *a) {
    const DataDialog *d = &a->data;
    Rect p = data_panel(a);
    char buf[APP_PATH_LEN + 64], fit[APP_PATH_LEN + 64];
    dim_window(a);
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    ui_text(a, FONT_TITLE, p.x + 16, p.y + 12, UI_TEXT, "Train on which data?");
    ui_text(a, FONT_SMALL, p.x + 16, p.y + 36, UI_DIM,
            ui_fit_right(a, FONT_SMALL, "A fresh network of the current architecture starts on it; the last run's curves stay.",
                         p.w - 32, fit, sizeof fit));
    for (int i = 0; i < d->n; i++) {
        Rect r = data_row(a, i);
        const char *dir = d->opts[i];
        int present = d->present[i], in_use = !strcmp(dir, a->snap.data_dir);
        if (i == d->sel || rect_contains(r, a->mx, a->my)) draw_rect(&a->dl, r, i == d->sel ? UI_BTN_ON : UI_BTN_HOT);
        const char *name = i == 0 ? "MNIST - handwritten digits" : i == 1 ? "Fashion-MNIST - clothing" : "the folder in use";
        snprintf(buf, sizeof buf, "%s%s", name, in_use ? "  (in use)" : "");
        ui_text(a, FONT_BOLD, r.x + 8, r.y + 3, UI_TEXT, buf);
        const char *state = present ? "" : i == 0 ? "  - missing: run scripts/fetch_mnist.sh"
                                         : i == 1 ? "  - missing: apt-get install dataset-fashion-mnist"
                                                  : "  - no IDX files there";
        snprintf(buf, sizeof buf, "%s%s", dir, state);
        ui_text(a, FONT_SMALL, r.x + 8, r.y + 22, present ? UI_DIM : UI_AMBER, ui_fit_left(a, FONT_SMALL, buf, r.w - 16, fit, sizeof fit));
    }
    /* a typed folder */
    int fy = p.y + 62 + d->n * ROW_H + 8;
    Rect field = {p.x + 10, fy + 18, p.w - 20, 24};
    ui_text(a, FONT_SMALL, p.x + 12, fy, UI_DIM,
            ui_fit_right(a, FONT_SMALL,
                         "Any folder with MNIST's four IDX files (raw or .gz): type its path and press Enter, or drop it on the window",
                         p.w - 24, fit, sizeof fit));
    draw_rect(&a->dl, field, (Color){26, 28, 34, 255});
    draw_frame(&a->dl, field, d->edit[0] ? UI_ACCENT : UI_BORDER);
    snprintf(buf, sizeof buf, "%s_", d->edit);
    ui_text_in(a, FONT_BODY, (Rect){field.x + 6, field.y, field.w - 12, field.h}, 0, d->edit[0] ? UI_TEXT : UI_FAINT,
               ui_fit_left(a, FONT_BODY, buf, field.w - 12, fit, sizeof fit));
}

/* ---- questions ---- */

typedef struct {
    const char *label;
    ActionType act;          /* 0: just close */
} AskButton;

/* The buttons of the current question, the first the default (Enter), the last Esc's. */
static int ask_buttons(const App *a, AskButton *b) {
    if (a->ask.kind == ASK_QUIT) {
        b[0] = (AskButton){"Save and quit (Enter)", ACT_SAVE};
        b[1] = (AskButton){"Quit without saving (D)", ACT_QUIT_DISCARD};
        b[2] = (AskButton){"Cancel (Esc)", 0};
        return 3;
    }
    b[0] = (AskButton){"Restore (Enter)", ACT_LOAD};
    b[1] = (AskButton){"Not now (Esc)", ACT_RESTORE_NO};
    return 2;
}

static Rect ask_panel(const App *a) {
    int pw = a->w * 6 / 10 < 640 ? a->w * 6 / 10 : 640, ph = 150;
    if (pw < 420) pw = a->w - 40;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

static Rect ask_button(const App *a, int i, int n) {
    Rect p = ask_panel(a);
    int gap = 10, w = (p.w - 32 - gap * (n - 1)) / n;
    return (Rect){p.x + 16 + i * (w + gap), p.y + p.h - 44, w, 30};
}

static void ask_choose(App *a, const AskButton *b) {
    AskKind kind = a->ask.kind;
    a->ask.kind = ASK_NONE;
    if (b->act == ACT_SAVE) {
        app_push_action(a, ACT_SAVE, NULL);
        app_push_action(a, ACT_QUIT, NULL); /* the session does not quit when the save failed */
    } else if (b->act == ACT_LOAD) {
        app_push_action(a, ACT_LOAD, a->ask.path);
    } else if (b->act) {
        app_push_action(a, b->act, NULL);
    }
    app_trace(a, "\"event\":\"answer\",\"kind\":\"%s\",\"choice\":\"%s\"", kind == ASK_QUIT ? "quit" : "restore",
              b->label);
}

void ask_draw(App *a) {
    AskButton b[3];
    int n = ask_buttons(a, b);
    Rect p = ask_panel(a);
    char fit[300];
    dim_window(a);
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    if (a->ask.kind == ASK_QUIT) {
        ui_text(a, FONT_TITLE, p.x + 16, p.y + 14, UI_TEXT, "Quit with unsaved training?");
        char line[200];
        snprintf(line, sizeof line, "The network has %ld steps of training that are not in any file.", a->snap.step);
        ui_text(a, FONT_SMALL, p.x + 16, p.y + 44, UI_DIM, ui_fit_right(a, FONT_SMALL, line, p.w - 32, fit, sizeof fit));
        ui_text(a, FONT_SMALL, p.x + 16, p.y + 62, UI_DIM,
                ui_fit_right(a, FONT_SMALL, "Save puts it in the models folder (Ctrl+O lists it).", p.w - 32, fit, sizeof fit));
    } else {
        ui_text(a, FONT_TITLE, p.x + 16, p.y + 14, UI_TEXT, "Restore the training from last time?");
        ui_text(a, FONT_SMALL, p.x + 16, p.y + 44, UI_DIM, ui_fit_right(a, FONT_SMALL, a->ask.what, p.w - 32, fit, sizeof fit));
        ui_text(a, FONT_SMALL, p.x + 16, p.y + 62, UI_FAINT, ui_fit_left(a, FONT_SMALL, a->ask.path, p.w - 32, fit, sizeof fit));
    }
    for (int i = 0; i < n; i++) {
        Rect r = ask_button(a, i, n);
        draw_rect(&a->dl, r, i == 0 ? UI_BTN_ON : rect_contains(r, a->mx, a->my) ? UI_BTN_HOT : UI_BTN);
        draw_frame(&a->dl, r, UI_BORDER);
        ui_text_in(a, FONT_BODY, r, 1, UI_TEXT, ui_fit_right(a, FONT_BODY, b[i].label, r.w - 8, fit, sizeof fit));
    }
}

void ask_mouse_down(App *a, int x, int y) {
    AskButton b[3];
    int n = ask_buttons(a, b);
    for (int i = 0; i < n; i++)
        if (rect_contains(ask_button(a, i, n), x, y)) {
            ask_choose(a, &b[i]);
            return;
        }
}

void ask_key(App *a, int key) {
    AskButton b[3];
    int n = ask_buttons(a, b);
    if (key == KEY_RETURN) ask_choose(a, &b[0]);
    if (key == KEY_ESCAPE) ask_choose(a, &b[n - 1]);
    if (key == KEY_D && a->ask.kind == ASK_QUIT) ask_choose(a, &b[1]);
}

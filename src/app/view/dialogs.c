/* dialogs.c - the windows over the window: the help (every key), Open (a folder's models and
 * subfolders with what each model's header says, sortable, a path box, the recent files; the
 * session lists them), Save As (a name or a path; asks before replacing a file), and the dataset
 * chooser (MNIST, Fashion-MNIST, the folder in use, or any folder of IDX files typed in). Choosing
 * queues an action; nothing here touches the disk. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "controls.h"
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
        {"A / E", "right panel: inside (activations, saliency) / map of the test set"}, {"G", "saliency over the drawing: what makes it that digit"},
        {"mouse wheel on a control", "change its value"},
        {"click a value", "type it, e.g. 0.003 for LR, 784-256-10 for Network, Enter"}, {"L", "log scale for the loss"},
        {"Ctrl+0 ... Ctrl+9", "keep the drawing as your example of that class"},
        {"Ctrl+Backspace", "remove your last example"}, {"P", "mix your examples into training (on/off)"},
        {"Ctrl+S", "save into the models folder under a new generated name"},
        {"Ctrl+Shift+S, right-click Save", "save as: a name or a path; asks before replacing a file"},
        {"Ctrl+O", "open: folders (Enter goes in), a typed path, recent files"},
        {"in Open: Backspace, Ctrl+1..5", "up a folder; sort by a column (a click on it too)"},
        {"Ctrl+E", "export: history CSV, canvas, weights, curves (PNG)"},
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

#define OPEN_ROW 22              /* one row of the list */
#define OPEN_TOP 98              /* the list's top, below the title, the path box and the header */
#define OPEN_BOTTOM 30           /* below the list: the message line */

static const char *const OPEN_COLS[OPEN_NCOLS] = {"Name", "Network", "Accuracy", "Data", "Date"};

/* Compares two rows of one section by column col (missing values last, ties by name). */
static int open_cmp(const OpenEntry *x, const OpenEntry *y, int col, int desc) {
    int kx = x->kind == OPEN_UP ? 0 : x->kind == OPEN_DIR ? 1 : 2, ky = y->kind == OPEN_UP ? 0 : y->kind == OPEN_DIR ? 1 : 2;
    if (kx != ky) return kx - ky;
    int c = 0;
    if (kx == 2 && col != OPEN_COL_NAME) {
        int mx, my;
        switch (col) {
        case OPEN_COL_ARCH:
            mx = !x->arch[0], my = !y->arch[0];
            if (mx != my) return mx - my;
            c = strcmp(x->arch, y->arch);
            break;
        case OPEN_COL_ACC:
            mx = x->acc < 0, my = y->acc < 0;
            if (mx != my) return mx - my;
            c = (x->acc > y->acc) - (x->acc < y->acc);
            break;
        case OPEN_COL_DATA:
            mx = !x->data[0], my = !y->data[0];
            if (mx != my) return mx - my;
            c = strcmp(x->data, y->data);
            break;
        default:
            mx = !x->date[0], my = !y->date[0];
            if (mx != my) return mx - my;
            c = strcmp(x->date, y->date);
            break;
        }
        if (c) return desc ? -c : c;
        return strcmp(x->name, y->name);
    }
    c = strcmp(x->name, y->name);
    if (!c) c = strcmp(x->path, y->path);
    /* folders follow the name column's direction only */
    return desc && (col == OPEN_COL_NAME || kx == 2) ? -c : c;
}

/* Insertion sort of one section (a few hundred rows at most; stable). */
static void open_sort_range(OpenEntry *e, int n, int col, int desc) {
    static OpenEntry tmp;
    for (int i = 1; i < n; i++) {
        if (open_cmp(&e[i - 1], &e[i], col, desc) <= 0) continue;
        tmp = e[i];
        int j = i;
        while (j > 0 && open_cmp(&e[j - 1], &tmp, col, desc) > 0) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = tmp;
    }
}

void app_open_sort(OpenDialog *o) {
    char keep[APP_PATH_LEN] = "";
    int keep_recent = 0;
    if (o->sel >= 0 && o->sel < o->n) {
        snprintf(keep, sizeof keep, "%s", o->ent[o->sel].path);
        keep_recent = o->ent[o->sel].recent;
    }
    open_sort_range(o->ent, o->nlocal, o->sort_col, o->sort_desc);
    open_sort_range(o->ent + o->nlocal, o->n - o->nlocal, o->sort_col, o->sort_desc);
    for (int i = 0; i < o->n && keep[0]; i++)
        if (o->ent[i].recent == keep_recent && !strcmp(o->ent[i].path, keep)) {
            o->sel = i;
            break;
        }
}

void app_dialog_message(App *a, const char *which, const char *fmt, ...) {
    char *msg = !strcmp(which, "open") ? a->open.msg : a->save.msg;
    size_t n = !strcmp(which, "open") ? sizeof a->open.msg : sizeof a->save.msg;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    char esc[600];
    app_trace(a, "\"event\":\"dialog\",\"which\":\"%s\",\"message\":\"%s\"", which, json_escape(esc, sizeof esc, msg));
}

Rect open_panel(const App *a) {
    int pw = a->w - 40 < 1100 ? a->w - 40 : 1100, ph = a->h - 40;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

static Rect open_list(const App *a) {
    Rect p = open_panel(a);
    return (Rect){p.x + 10, p.y + OPEN_TOP, p.w - 20, p.h - OPEN_TOP - OPEN_BOTTOM};
}

static int open_lines_shown(const App *a) {
    int n = open_list(a).h / OPEN_ROW;
    return n < 1 ? 1 : n;
}

/* The line of the list row i is on: the recent files come after a line of their own. */
static int open_line_of(const OpenDialog *o, int i) { return i + (i >= o->nlocal ? 1 : 0); }

Rect open_row(const App *a, int i) {
    const OpenDialog *o = &a->open;
    Rect L = open_list(a);
    int line = open_line_of(o, i) - o->scroll;
    if (line < 0 || line >= open_lines_shown(a)) return (Rect){0, 0, 0, 0};
    return (Rect){L.x, L.y + line * OPEN_ROW, L.w, OPEN_ROW - 2};
}

/* The columns' left edges and widths across the list (name takes what the others leave). */
static void open_columns(const App *a, int x[OPEN_NCOLS], int w[OPEN_NCOLS]) {
    Rect L = open_list(a);
    w[OPEN_COL_DATE] = ui_tw(a, FONT_SMALL, "2024-05-01 14:03") + 16;
    w[OPEN_COL_DATA] = ui_tw(a, FONT_SMALL, "fashion-mnist") + 14;
    w[OPEN_COL_ACC] = ui_tw(a, FONT_SMALL, "Accuracy \xe2\x96\xb2") + 12;
    w[OPEN_COL_ARCH] = ui_tw(a, FONT_SMALL, "784-256-128-10") + 14;
    w[OPEN_COL_NAME] = L.w - 8 - w[OPEN_COL_ARCH] - w[OPEN_COL_ACC] - w[OPEN_COL_DATA] - w[OPEN_COL_DATE];
    x[0] = L.x + 8;
    for (int c = 1; c < OPEN_NCOLS; c++) x[c] = x[c - 1] + w[c - 1];
}

static Rect open_header(const App *a, int col) {
    int x[OPEN_NCOLS], w[OPEN_NCOLS];
    open_columns(a, x, w);
    Rect L = open_list(a);
    return (Rect){x[col], L.y - 22, w[col] - (col == OPEN_COL_ACC ? 12 : 4), 20}; /* accuracy: right-aligned as its values */
}

static Rect open_box(const App *a) {
    Rect p = open_panel(a);
    return (Rect){p.x + 10, p.y + 42, p.w - 20, 26};
}

/* Keeps the selected row on screen. */
static void open_follow(App *a) {
    OpenDialog *o = &a->open;
    int line = open_line_of(o, o->sel), shown = open_lines_shown(a);
    int last = o->n ? open_line_of(o, o->n - 1) : 0;
    if (line < o->scroll) o->scroll = line;
    if (line >= o->scroll + shown) o->scroll = line - shown + 1;
    if (o->sel == o->nlocal && o->scroll == line) o->scroll = line - 1; /* the section's title with it */
    if (o->scroll > last - shown + 1) o->scroll = last - shown + 1;
    if (o->scroll < 0) o->scroll = 0;
}

static void open_choose(App *a, int i) {
    OpenDialog *o = &a->open;
    if (i < 0 || i >= o->n) return;
    o->msg[0] = 0;
    app_push_action(a, ACT_OPEN_PATH, o->ent[i].path);
}

/* Sorts by column col; the same column again turns the order round. */
static void open_sort_by(App *a, int col) {
    OpenDialog *o = &a->open;
    if (o->sort_col == col)
        o->sort_desc = !o->sort_desc;
    else
        o->sort_col = col, o->sort_desc = col == OPEN_COL_ACC || col == OPEN_COL_DATE; /* best, newest first */
    app_open_sort(o);
    open_follow(a);
    app_trace(a, "\"event\":\"open_sort\",\"column\":\"%s\",\"descending\":%s", OPEN_COLS[col], o->sort_desc ? "true" : "false");
}

int open_mouse_down(App *a, int x, int y) {
    OpenDialog *o = &a->open;
    if (!rect_contains(open_panel(a), x, y)) {
        o->show = 0;
        return 1;
    }
    for (int c = 0; c < OPEN_NCOLS; c++)
        if (rect_contains(open_header(a, c), x, y)) {
            open_sort_by(a, c);
            return 1;
        }
    for (int i = 0; i < o->n; i++) {
        Rect r = open_row(a, i);
        if (r.w <= 0 || !rect_contains(r, x, y)) continue;
        int twice = o->click_row == i && a->now - o->click_time < 0.45;
        o->sel = i;
        o->click_row = i, o->click_time = a->now;
        if (twice) {
            o->click_row = -1;
            open_choose(a, i);
        }
        return 1;
    }
    return 1;
}

/* Removes the last UTF-8 character of s. */
static void utf8_pop(char *s) {
    size_t n = strlen(s);
    while (n > 0 && ((unsigned char)s[n - 1] & 0xC0) == 0x80) n--;
    if (n > 0) n--;
    s[n] = 0;
}

void open_key(App *a, int key, int mods) {
    OpenDialog *o = &a->open;
    int page = open_lines_shown(a) - 1;
    if ((mods & MOD_CTRL) && key >= KEY_1 && key < KEY_1 + OPEN_NCOLS) {
        open_sort_by(a, key - KEY_1);
        return;
    }
    switch (key) {
    case KEY_ESCAPE: o->show = 0; return;
    case KEY_UP: o->sel--; break;
    case KEY_DOWN: o->sel++; break;
    case KEY_PAGEUP: o->sel -= page > 1 ? page : 1; break;
    case KEY_PAGEDOWN: o->sel += page > 1 ? page : 1; break;
    case KEY_BACKSPACE:
        if (o->edit[0]) {
            utf8_pop(o->edit);
        } else if (strcmp(o->dir, "/") != 0) {
            char up[APP_PATH_LEN];
            snprintf(up, sizeof up, "%.1000s/..", o->dir);
            o->msg[0] = 0;
            app_push_action(a, ACT_OPEN_PATH, up);
        }
        return;
    case KEY_RETURN:
        if (o->edit[0])
            app_push_action(a, ACT_OPEN_PATH, o->edit);
        else
            open_choose(a, o->sel);
        return;
    default: return;
    }
    if (o->sel >= o->n) o->sel = o->n - 1;
    if (o->sel < 0) o->sel = 0;
    open_follow(a);
}

void open_text(App *a, const char *utf8) {
    OpenDialog *o = &a->open;
    size_t n = strlen(o->edit), m = strlen(utf8);
    if (n + m + 1 < sizeof o->edit) memcpy(o->edit + n, utf8, m + 1);
    o->msg[0] = 0;
}

void open_wheel(App *a, int dy) {
    OpenDialog *o = &a->open;
    int last = o->n ? open_line_of(o, o->n - 1) : 0, shown = open_lines_shown(a);
    o->scroll -= 3 * dy;
    if (o->scroll > last - shown + 1) o->scroll = last - shown + 1;
    if (o->scroll < 0) o->scroll = 0;
}

/* One row's cells. */
static void open_draw_row(App *a, int i, Rect r, const int *x, const int *w) {
    const OpenEntry *e = &a->open.ent[i];
    char buf[APP_PATH_LEN + 8], fit[APP_PATH_LEN + 8];
    int body = FONT_BODY, small = FONT_SMALL;
    Color nc = e->kind == OPEN_BROKEN ? UI_AMBER : e->kind == OPEN_MODEL ? UI_TEXT : UI_ACCENT;
    if (e->kind == OPEN_UP)
        snprintf(buf, sizeof buf, ".. (up a folder)");
    else if (e->kind == OPEN_DIR)
        snprintf(buf, sizeof buf, "%s/", e->name);
    else
        snprintf(buf, sizeof buf, "%s", e->recent ? e->path : e->name);
    Rect cell = {x[0], r.y, w[0] - 8, r.h};
    ui_text_in(a, body, cell, 0, nc, e->recent ? ui_fit_left(a, body, buf, cell.w, fit, sizeof fit)
                                               : ui_fit_right(a, body, buf, cell.w, fit, sizeof fit));
    if (e->kind == OPEN_UP || e->kind == OPEN_DIR) return;
    if (e->kind == OPEN_BROKEN) {
        ui_text_in(a, small, (Rect){x[1], r.y, w[1] + w[2] + w[3] - 8, r.h}, 0, UI_AMBER, "! not a model it can read");
    } else {
        ui_text_in(a, small, (Rect){x[1], r.y, w[1] - 8, r.h}, 0, UI_DIM,
                   ui_fit_right(a, small, e->arch[0] ? e->arch : "?", w[1] - 8, fit, sizeof fit));
        if (e->acc >= 0) snprintf(buf, sizeof buf, "%.2f%%", 100 * e->acc);
        ui_text_in(a, small, (Rect){x[2], r.y, w[2] - 12, r.h}, 2, UI_DIM, e->acc >= 0 ? buf : "-");
        ui_text_in(a, small, (Rect){x[3], r.y, w[3] - 8, r.h}, 0, UI_DIM,
                   ui_fit_right(a, small, e->data[0] ? e->data : "-", w[3] - 8, fit, sizeof fit));
    }
    ui_text_in(a, small, (Rect){x[4], r.y, w[4] - 4, r.h}, 0, UI_DIM, e->date);
}

void open_draw(App *a) {
    const OpenDialog *o = &a->open;
    Rect p = open_panel(a), L = open_list(a), box = open_box(a);
    char fit[APP_PATH_LEN + 64], buf[APP_PATH_LEN + 64];
    dim_window(a);
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    ui_text(a, FONT_TITLE, p.x + 14, p.y + 12, UI_TEXT, "Open a model");
    static const char *const hints[] = {"Enter opens  \xc2\xb7  Backspace: up a folder  \xc2\xb7  Ctrl+1..5 sorts  \xc2\xb7  Esc cancels",
                                        "Enter opens  \xc2\xb7  Backspace: up  \xc2\xb7  Esc cancels", "Esc cancels", NULL};
    int tw = ui_tw(a, FONT_TITLE, "Open a model") + 30;
    const char *hint = ui_first_fit(a, FONT_SMALL, p.w - tw - 14, hints);
    ui_text(a, FONT_SMALL, p.x + p.w - 12 - ui_tw(a, FONT_SMALL, hint), p.y + 16, UI_DIM, hint);

    /* the path box: what is typed, else the folder shown */
    draw_rect(&a->dl, box, (Color){26, 28, 34, 255});
    draw_frame(&a->dl, box, o->edit[0] ? UI_ACCENT : UI_BORDER);
    Rect in = {box.x + 6, box.y, box.w - 12, box.h};
    if (o->edit[0]) {
        snprintf(buf, sizeof buf, "%s_", o->edit);
        ui_text_in(a, FONT_BODY, in, 0, UI_TEXT, ui_fit_left(a, FONT_BODY, buf, in.w, fit, sizeof fit));
    } else {
        snprintf(buf, sizeof buf, "%s/  (type a folder or a file, Enter)", o->dir);
        ui_text_in(a, FONT_BODY, in, 0, UI_DIM, ui_fit_left(a, FONT_BODY, buf, in.w, fit, sizeof fit));
    }

    /* the column heads: a click sorts */
    int x[OPEN_NCOLS], w[OPEN_NCOLS];
    open_columns(a, x, w);
    for (int c = 0; c < OPEN_NCOLS; c++) {
        Rect h = open_header(a, c);
        int on = o->sort_col == c;
        if (rect_contains(h, a->mx, a->my)) draw_rect(&a->dl, h, UI_BTN_HOT);
        snprintf(buf, sizeof buf, "%s%s", OPEN_COLS[c], on ? (o->sort_desc ? " \xe2\x96\xbc" : " \xe2\x96\xb2") : "");
        ui_text_in(a, on ? FONT_BOLD : FONT_SMALL, (Rect){h.x, h.y, h.w, h.h}, c == OPEN_COL_ACC ? 2 : 0, on ? UI_TEXT : UI_DIM,
                   ui_fit_right(a, on ? FONT_BOLD : FONT_SMALL, buf, h.w, fit, sizeof fit));
    }
    draw_line(&a->dl, L.x, L.y - 1, L.x + L.w, L.y - 1, UI_BORDER);

    /* the rows */
    int shown = open_lines_shown(a);
    if (o->nlocal == 0 || (o->nlocal == 1 && o->ent[0].kind == OPEN_UP)) {
        int line = o->nlocal - o->scroll;
        if (line >= 0 && line < shown)
            ui_text(a, FONT_SMALL, L.x + 8, L.y + line * OPEN_ROW + 4, UI_DIM, "no models or folders here (Ctrl+S saves one)");
    }
    for (int i = 0; i < o->n; i++) {
        Rect r = open_row(a, i);
        if (i == o->nlocal) { /* the recent files' title, on the line before them */
            int line = open_line_of(o, i) - 1 - o->scroll;
            if (line >= 0 && line < shown)
                ui_text(a, FONT_BOLD, L.x + 8, L.y + line * OPEN_ROW + 4, UI_DIM, "Recent files");
        }
        if (r.w <= 0) continue;
        if (i == o->sel)
            draw_rect(&a->dl, r, UI_BTN_ON);
        else if (rect_contains(r, a->mx, a->my))
            draw_rect(&a->dl, r, UI_BTN_HOT);
        open_draw_row(a, i, r, x, w);
    }
    int last = o->n ? open_line_of(o, o->n - 1) : 0;
    if (last >= shown) { /* a scroll bar */
        int bh = L.h * shown / (last + 1), by = L.y + (L.h - bh) * o->scroll / (last + 1 - shown);
        draw_rect(&a->dl, (Rect){L.x + L.w - 4, by, 3, bh < 12 ? 12 : bh}, UI_FAINT);
    }

    /* the message line: an error, else the selected row's trouble, else what is here */
    Rect m = {p.x + 14, p.y + p.h - OPEN_BOTTOM + 4, p.w - 28, 22};
    Color mc = UI_DIM;
    const OpenEntry *sel = o->sel >= 0 && o->sel < o->n ? &o->ent[o->sel] : NULL;
    if (o->msg[0]) {
        snprintf(buf, sizeof buf, "%s", o->msg);
        mc = UI_RED;
    } else if (sel && sel->kind == OPEN_BROKEN) {
        snprintf(buf, sizeof buf, "%s", sel->why);
        mc = UI_AMBER;
    } else {
        int models = 0, dirs = 0;
        for (int i = 0; i < o->nlocal; i++) models += o->ent[i].kind >= OPEN_MODEL, dirs += o->ent[i].kind == OPEN_DIR;
        snprintf(buf, sizeof buf, "%d model file%s, %d folder%s here", models, models == 1 ? "" : "s", dirs, dirs == 1 ? "" : "s");
        if (o->more) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %d more not listed (type a path)", o->more);
    }
    ui_text_in(a, FONT_SMALL, m, 0, mc, ui_fit_right(a, FONT_SMALL, buf, m.w, fit, sizeof fit));
}

/* ---- Save As ---- */

static Rect save_panel(const App *a) {
    int pw = a->w - 40 < 680 ? a->w - 40 : 680, ph = 170;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

static Rect save_box(const App *a) {
    Rect p = save_panel(a);
    return (Rect){p.x + 14, p.y + 62, p.w - 28, 26};
}

/* The buttons: Save / Cancel, or Replace / Cancel while asking. */
static Rect save_button(const App *a, int i) {
    Rect p = save_panel(a);
    int w = (p.w - 28 - 10) / 2;
    return (Rect){p.x + 14 + i * (w + 10), p.y + p.h - 44, w, 30};
}

void app_open_save_as(App *a) {
    SaveDialog *d = &a->save;
    d->show = 1;
    d->edit[0] = d->confirm[0] = d->msg[0] = 0;
    d->fresh = 0;
    a->open.show = a->data.show = a->show_help = 0;
    if (a->editing) control_edit_finish(a, 0);
    app_push_action(a, ACT_SAVE_AS_NAME, NULL);
}

static void save_answer(App *a, int yes) {
    SaveDialog *d = &a->save;
    char esc[APP_PATH_LEN * 2];
    app_trace(a, "\"event\":\"answer\",\"kind\":\"replace\",\"choice\":\"%s\",\"path\":\"%s\"", yes ? "Replace" : "Cancel",
              json_escape(esc, sizeof esc, d->confirm));
    if (yes) {
        if (app_push_action(a, ACT_SAVE_AS, d->confirm) == 0) a->act[a->nact - 1].arg = 1;
    } else {
        app_dialog_message(a, "save_as", "not replaced: type another name, or Esc");
    }
    d->confirm[0] = 0;
}

static void save_go(App *a) {
    SaveDialog *d = &a->save;
    if (!d->edit[0]) {
        app_dialog_message(a, "save_as", "type a name first");
        return;
    }
    d->msg[0] = 0;
    app_push_action(a, ACT_SAVE_AS, d->edit);
}

int save_mouse_down(App *a, int x, int y) {
    SaveDialog *d = &a->save;
    if (!rect_contains(save_panel(a), x, y)) {
        if (!d->confirm[0]) d->show = 0;
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        if (!rect_contains(save_button(a, i), x, y)) continue;
        if (d->confirm[0])
            save_answer(a, i == 0);
        else if (i == 0)
            save_go(a);
        else
            d->show = 0;
    }
    return 1;
}

void save_key(App *a, int key) {
    SaveDialog *d = &a->save;
    if (d->confirm[0]) { /* Replace X? */
        if (key == KEY_RETURN) save_answer(a, 1);
        if (key == KEY_ESCAPE) save_answer(a, 0);
        return;
    }
    if (key == KEY_ESCAPE) d->show = 0;
    if (key == KEY_RETURN) save_go(a);
    if (key == KEY_BACKSPACE) {
        if (d->fresh)
            d->edit[0] = 0;
        else
            utf8_pop(d->edit);
        d->fresh = 0;
        d->msg[0] = 0;
    }
}

void save_text(App *a, const char *utf8) {
    SaveDialog *d = &a->save;
    if (d->confirm[0]) return;
    if (d->fresh) d->edit[0] = 0; /* the suggestion goes at the first key */
    d->fresh = 0;
    size_t n = strlen(d->edit), m = strlen(utf8);
    if (n + m + 1 < sizeof d->edit) memcpy(d->edit + n, utf8, m + 1);
    d->msg[0] = 0;
}

void save_draw(App *a) {
    const SaveDialog *d = &a->save;
    Rect p = save_panel(a), box = save_box(a);
    char buf[APP_PATH_LEN + 64], fit[APP_PATH_LEN + 64];
    dim_window(a);
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    if (d->confirm[0]) {
        const char *slash = strrchr(d->confirm, '/');
        snprintf(buf, sizeof buf, "Replace %s?", slash ? slash + 1 : d->confirm);
        ui_text(a, FONT_TITLE, p.x + 14, p.y + 14, UI_TEXT, ui_fit_right(a, FONT_TITLE, buf, p.w - 28, fit, sizeof fit));
        ui_text(a, FONT_SMALL, p.x + 14, p.y + 42, UI_DIM,
                ui_fit_right(a, FONT_SMALL, "A file of that name is there. Replace writes over it; Cancel keeps it as it is.", p.w - 28,
                             fit, sizeof fit));
        ui_text(a, FONT_SMALL, p.x + 14, p.y + 68, UI_FAINT, ui_fit_left(a, FONT_SMALL, d->confirm, p.w - 28, fit, sizeof fit));
    } else {
        ui_text(a, FONT_TITLE, p.x + 14, p.y + 14, UI_TEXT, "Save the network as");
        snprintf(buf, sizeof buf, "a name goes into %s; a path with folders goes there", d->dir[0] ? d->dir : "the models folder");
        ui_text(a, FONT_SMALL, p.x + 14, p.y + 40, UI_DIM, ui_fit_left(a, FONT_SMALL, buf, p.w - 28, fit, sizeof fit));
        draw_rect(&a->dl, box, (Color){26, 28, 34, 255});
        draw_frame(&a->dl, box, UI_ACCENT);
        Rect in = {box.x + 6, box.y, box.w - 12, box.h};
        if (d->fresh) /* the suggestion, marked: typing replaces it */
            draw_rect(&a->dl, (Rect){in.x - 2, in.y + 4, ui_tw(a, FONT_BODY, d->edit) + 4 < in.w ? ui_tw(a, FONT_BODY, d->edit) + 4 : in.w,
                                     in.h - 8},
                      (Color){40, 80, 140, 255});
        snprintf(buf, sizeof buf, "%s%s", d->edit, d->fresh ? "" : "_");
        ui_text_in(a, FONT_BODY, in, 0, UI_TEXT, ui_fit_left(a, FONT_BODY, buf, in.w, fit, sizeof fit));
        if (d->msg[0])
            ui_text(a, FONT_SMALL, p.x + 14, box.y + box.h + 4, UI_RED, ui_fit_right(a, FONT_SMALL, d->msg, p.w - 28, fit, sizeof fit));
    }
    static const char *const labels[2][2] = {{"Save (Enter)", "Cancel (Esc)"}, {"Replace (Enter)", "Cancel (Esc)"}};
    for (int i = 0; i < 2; i++) {
        Rect r = save_button(a, i);
        draw_rect(&a->dl, r, i == 0 ? UI_BTN_ON : rect_contains(r, a->mx, a->my) ? UI_BTN_HOT : UI_BTN);
        draw_frame(&a->dl, r, UI_BORDER);
        const char *l = labels[d->confirm[0] ? 1 : 0][i];
        ui_text_in(a, FONT_BODY, r, 1, UI_TEXT, ui_fit_right(a, FONT_BODY, l, r.w - 8, fit, sizeof fit));
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

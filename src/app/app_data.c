/* app_data.c - the dataset chooser (Ctrl+D, the Data button): MNIST, Fashion-MNIST (Debian's
 * dataset-fashion-mnist), the folder in use, or any folder of IDX files typed in or dropped on
 * the window. Choosing queues ACT_DATA; the worker loads it and starts a fresh network. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "app_ui.h"
#include "dataset.h"

#define ROW_H 44

int app_data_present(const char *dir) {
    static const char *need[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                 "t10k-labels-idx1-ubyte"};
    char p[APP_PATH_LEN + 40];
    struct stat st;
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%.1000s/%s", dir, need[i]);
        if (stat(p, &st) == 0) continue;
        snprintf(p, sizeof p, "%.1000s/%s.gz", dir, need[i]);
        if (stat(p, &st) != 0) return 0;
    }
    return 1;
}

void app_open_data(App *a) {
    a->show_data = 1;
    a->show_open = a->show_help = 0;
    a->ndata_opts = 0;
    snprintf(a->data_opts[a->ndata_opts++], APP_PATH_LEN, "%s", dataset_mnist_dir());
    snprintf(a->data_opts[a->ndata_opts++], APP_PATH_LEN, "%s", dataset_fashion_dir());
    const char *cur = a->snap.data_dir;
    if (cur[0] && strcmp(cur, a->data_opts[0]) != 0 && strcmp(cur, a->data_opts[1]) != 0)
        snprintf(a->data_opts[a->ndata_opts++], APP_PATH_LEN, "%s", cur);
    a->data_sel = 0;
    for (int i = 0; i < a->ndata_opts; i++)
        if (!strcmp(a->data_opts[i], cur)) a->data_sel = i;
    a->data_edit[0] = 0;
}

static Rect panel_rect(const App *a) {
    int pw = a->w * 7 / 10, ph = 96 + a->ndata_opts * ROW_H + 70;
    if (pw > 860) pw = 860;
    return (Rect){(a->w - pw) / 2, (a->h - ph) / 2, pw, ph};
}

static Rect row_rect(const App *a, int i) {
    Rect p = panel_rect(a);
    return (Rect){p.x + 10, p.y + 62 + i * ROW_H, p.w - 20, ROW_H - 4};
}

static void choose(App *a, const char *dir) {
    a->show_data = 0;
    app_push_action(a, ACT_DATA, dir);
}

int data_mouse_down(App *a, int x, int y) {
    for (int i = 0; i < a->ndata_opts; i++)
        if (rect_contains(row_rect(a, i), x, y)) {
            choose(a, a->data_opts[i]);
            return 1;
        }
    if (!rect_contains(panel_rect(a), x, y)) a->show_data = 0;
    return 1;
}

void data_key(App *a, int key) {
    size_t n = strlen(a->data_edit);
    if (key == KEY_ESCAPE) a->show_data = 0;
    if (key == KEY_UP && a->data_sel > 0) a->data_sel--;
    if (key == KEY_DOWN && a->data_sel + 1 < a->ndata_opts) a->data_sel++;
    if (key == KEY_BACKSPACE && n) a->data_edit[n - 1] = 0;
    if (key == KEY_RETURN) choose(a, n ? a->data_edit : a->data_opts[a->data_sel]);
}

void data_text(App *a, const char *utf8) {
    size_t n = strlen(a->data_edit), m = strlen(utf8);
    if (n + m + 1 < sizeof a->data_edit) memcpy(a->data_edit + n, utf8, m + 1);
}

void data_draw(App *a) {
    Rect p = panel_rect(a);
    char buf[APP_PATH_LEN + 64], fit[APP_PATH_LEN + 64];
    draw_rect(&a->dl, (Rect){0, 0, a->w, a->h}, (Color){0, 0, 0, 140});
    draw_rect(&a->dl, p, UI_PANEL);
    draw_frame(&a->dl, p, UI_ACCENT);
    ui_text(a, FONT_TITLE, p.x + 16, p.y + 12, UI_TEXT, "Train on which data?");
    ui_text(a, FONT_SMALL, p.x + 16, p.y + 36, UI_DIM,
            ui_fit_right(a, FONT_SMALL, "A fresh network of the current architecture starts on it; the last run's curves stay.",
                         p.w - 32, fit, sizeof fit));
    for (int i = 0; i < a->ndata_opts; i++) {
        Rect r = row_rect(a, i);
        const char *dir = a->data_opts[i];
        int present = app_data_present(dir), in_use = !strcmp(dir, a->snap.data_dir);
        if (i == a->data_sel || rect_contains(r, a->mx, a->my)) draw_rect(&a->dl, r, i == a->data_sel ? UI_BTN_ON : UI_BTN_HOT);
        const char *name = i == 0 ? "MNIST - handwritten digits" : i == 1 ? "Fashion-MNIST - clothing" : "the folder in use";
        snprintf(buf, sizeof buf, "%s%s", name, in_use ? "  (in use)" : "");
        ui_text(a, FONT_BOLD, r.x + 8, r.y + 3, UI_TEXT, buf);
        const char *state = present ? "" : i == 0 ? "  - missing: run scripts/fetch_mnist.sh"
                                         : i == 1 ? "  - missing: apt-get install dataset-fashion-mnist"
                                                  : "  - no IDX files there";
        snprintf(buf, sizeof buf, "%s%s", dir, state);
        ui_text(a, FONT_SMALL, r.x + 8, r.y + 22, present ? UI_DIM : UI_AMBER,
                ui_fit_left(a, FONT_SMALL, buf, r.w - 16, fit, sizeof fit));
    }
    /* a typed folder */
    int fy = p.y + 62 + a->ndata_opts * ROW_H + 8;
    Rect field = {p.x + 10, fy + 18, p.w - 20, 24};
    ui_text(a, FONT_SMALL, p.x + 12, fy, UI_DIM,
            ui_fit_right(a, FONT_SMALL, "Any folder with MNIST's four IDX files (raw or .gz): type its path and press Enter, or drop it on the window",
                         p.w - 24, fit, sizeof fit));
    draw_rect(&a->dl, field, (Color){26, 28, 34, 255});
    draw_frame(&a->dl, field, a->data_edit[0] ? UI_ACCENT : UI_BORDER);
    snprintf(buf, sizeof buf, "%s_", a->data_edit);
    ui_text_in(a, FONT_BODY, (Rect){field.x + 6, field.y, field.w - 12, field.h}, 0, a->data_edit[0] ? UI_TEXT : UI_FAINT,
               ui_fit_left(a, FONT_BODY, buf, field.w - 12, fit, sizeof fit));
}

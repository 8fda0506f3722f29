/* reading.c - the left and middle columns' top: the canvas with its buttons and the saliency
 * overlay, the 28x28 input the network sees, the verdict (the top class, how sure, the runner-up)
 * and the ten probability bars. */
#include <stdio.h>
#include <string.h>

#include "controls.h"
#include "ui.h"
#include "view.h"

static void draw_canvas(App *a) {
    Rect c = a->lay.canvas;
    int room = c.w;
    for (int i = 0; i < a->nwidgets; i++)
        if ((a->widgets[i].id == WID_CLEAR || a->widgets[i].id == WID_SALIENCY) && a->widgets[i].r.w > 0 &&
            a->widgets[i].r.x - c.x - 8 < room)
            room = a->widgets[i].r.x - c.x - 8;
    /* the classes are digits unless the data says otherwise (Fashion-MNIST's are clothes) */
    int digits = 1;
    for (int k = 0; k < 10 && digits; k++) digits = a->classes[k][0] == '0' + k && !a->classes[k][1];
    const char *title = digits ? "Draw a digit" : "Draw an item";
    int tw1 = ui_tw(a, FONT_BOLD, title), tw2 = ui_tw(a, FONT_SMALL, "left: draw  right: erase");
    if (tw1 <= room) ui_text(a, FONT_BOLD, c.x, a->lay.canvas_panel.y + 3, UI_TEXT, title);
    if (tw1 + 10 + tw2 <= room)
        ui_text(a, FONT_SMALL, c.x + tw1 + 10, a->lay.canvas_panel.y + 5, UI_DIM, "left: draw  right: erase");
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_CLEAR || a->widgets[i].id == WID_UNDO || a->widgets[i].id == WID_SALIENCY)
            control_draw(a, &a->widgets[i]);
    draw_image(&a->dl, IMG_CANVAS, c, (Rect){0, 0, 0, 0});
    if (a->show_saliency && a->frame_ok) {
        /* the saliency map over the drawing, with its key in the canvas corner */
        draw_image(&a->dl, IMG_SALIENCY, c, (Rect){0, 0, 0, 0});
        char key[96], fit[96];
        snprintf(key, sizeof key, "what makes it a %s: orange raises, blue lowers", a->top >= 0 ? a->classes[a->top] : "?");
        int kw = ui_tw(a, FONT_SMALL, ui_fit_right(a, FONT_SMALL, key, c.w - 12, fit, sizeof fit));
        draw_rect(&a->dl, (Rect){c.x + 1, c.y + c.h - 22, kw + 12, 21}, (Color){0, 0, 0, 170});
        ui_text(a, FONT_SMALL, c.x + 7, c.y + c.h - 19, UI_TEXT, fit);
    }
    draw_frame(&a->dl, (Rect){c.x - 1, c.y - 1, c.w + 2, c.h + 2}, UI_BORDER);
    if (!a->has_ink && !a->pen) {
        Color p = {255, 255, 255, 70};
        const char *big_d[] = {"Draw a digit here with the mouse", "Draw a digit here", "Draw here", NULL};
        const char *small_d[] = {"one digit, large, filling most of the square", "one digit, large", NULL};
        const char *big_c[] = {"Draw here with the mouse", "Draw here", NULL};
        const char *small_c[] = {"one thing, large, filling most of the square", "one thing, large", NULL};
        const char **big = digits ? big_d : big_c, **small = digits ? small_d : small_c;
        ui_text_in(a, FONT_TITLE, (Rect){c.x, c.y + c.h / 2 - 20, c.w, 24}, 1, p, ui_first_fit(a, FONT_TITLE, c.w - 12, big));
        ui_text_in(a, FONT_SMALL, (Rect){c.x, c.y + c.h / 2 + 8, c.w, 18}, 1, p, ui_first_fit(a, FONT_SMALL, c.w - 12, small));
    }
}

static void draw_preview(App *a) {
    Rect p = a->lay.preview;
    const char *opts[] = {"what the network sees (28x28)", "network input 28x28", "input", NULL};
    ui_text(a, FONT_SMALL, p.x, p.y - 19, UI_DIM, ui_first_fit(a, FONT_SMALL, a->lay.verdict.x - p.x - 4, opts));
    draw_image(&a->dl, IMG_PREVIEW, p, (Rect){0, 0, 0, 0});
    if (a->show_saliency && a->probe_ok) draw_image(&a->dl, IMG_SAL_PREVIEW, p, (Rect){0, 0, 0, 0});
    /* a faint pixel grid makes the 28x28 resolution visible */
    if (p.w >= 112) {
        for (int i = 1; i < 28; i++) {
            int x = p.x + i * p.w / 28, y = p.y + i * p.h / 28;
            draw_line(&a->dl, x, p.y, x, p.y + p.h - 1, UI_GRID);
            draw_line(&a->dl, p.x, y, p.x + p.w - 1, y, UI_GRID);
        }
    }
    draw_frame(&a->dl, (Rect){p.x - 1, p.y - 1, p.w + 2, p.h + 2}, UI_BORDER);
}

static void draw_verdict(App *a) {
    Rect v = a->lay.verdict;
    ui_panel(a, v, NULL);
    if (!a->snap.net.params) return;
    if (!a->has_ink || a->top < 0) {
        const char *l1[] = {"No drawing yet.", "No drawing", "-", NULL}, *l2[] = {"The guess appears here.", "guess here", "", NULL};
        ui_text_in(a, FONT_BODY, (Rect){v.x, v.y + v.h / 2 - 20, v.w, 20}, 1, UI_DIM, ui_first_fit(a, FONT_BODY, v.w - 8, l1));
        ui_text_in(a, FONT_SMALL, (Rect){v.x, v.y + v.h / 2 + 2, v.w, 18}, 1, UI_FAINT, ui_first_fit(a, FONT_SMALL, v.w - 8, l2));
        return;
    }
    if (a->state == READ_BLANK) { /* a dot, a speck: too little to be a digit */
        const char *why[] = {"too little ink to read", "too little ink", "", NULL};
        int f = ui_tw(a, FONT_TITLE, "No digit") + 8 <= v.w ? FONT_TITLE : FONT_BODY;
        ui_text_in(a, f, (Rect){v.x, v.y + v.h / 2 - 24, v.w, 24}, 1, UI_AMBER, "No digit");
        ui_text_in(a, FONT_SMALL, (Rect){v.x, v.y + v.h / 2 + 4, v.w, 18}, 1, UI_DIM, ui_first_fit(a, FONT_SMALL, v.w - 8, why));
        return;
    }
    if (a->state == READ_NOT_DIGIT) { /* the model's detector: unlike every digit it knows */
        int f = ui_tw(a, FONT_TITLE, "Not a digit") + 8 <= v.w ? FONT_TITLE : FONT_BODY;
        ui_text_in(a, f, (Rect){v.x, v.y + v.h / 2 - 30, v.w, 24}, 1, UI_ORANGE, "Not a digit");
        char near[64], brief[32];
        snprintf(near, sizeof near, "nearest: %s (%.0f%%)", a->classes[a->top], a->probs[a->top] * 100.0);
        snprintf(brief, sizeof brief, "%s?", a->classes[a->top]);
        const char *says[] = {near, brief, NULL};
        ui_text_in(a, FONT_SMALL, (Rect){v.x, v.y + v.h / 2 - 2, v.w, 18}, 1, UI_DIM, ui_first_fit(a, FONT_SMALL, v.w - 8, says));
        const char *why[] = {"unlike the digits it learned from", "unlike its digits", "", NULL};
        ui_text_in(a, FONT_SMALL, (Rect){v.x, v.y + v.h / 2 + 16, v.w, 18}, 1, UI_FAINT, ui_first_fit(a, FONT_SMALL, v.w - 8, why));
        return;
    }
    float p1 = a->probs[a->top];
    int low = a->state != READ_SURE;
    Color dc = low ? UI_AMBER : UI_TEXT;
    const char *name = a->classes[a->top];
    int font = FONT_TITLE;
    if (strlen(name) <= 2 && ui_fh(a, FONT_HUGE) + 48 <= v.h)
        font = FONT_HUGE;
    else if (strlen(name) <= 3 && ui_fh(a, FONT_BIG) + 48 <= v.h)
        font = FONT_BIG;
    int hh = ui_fh(a, font);
    int y0 = v.y + (v.h - hh - 44) / 2;
    ui_text_in(a, font, (Rect){v.x, y0, v.w, hh}, 1, dc, name);
    char line[64], brief[32];
    snprintf(line, sizeof line, "%.1f%% %s", p1 * 100.0, !low ? "sure" : a->info.odd_shape ? "- not digit-shaped" : "- not sure");
    snprintf(brief, sizeof brief, "%.0f%%%s", p1 * 100.0, low ? " ?" : "");
    const char *says[] = {line, brief, NULL};
    ui_text_in(a, FONT_BODY, (Rect){v.x, y0 + hh + 2, v.w, 20}, 1, low ? UI_AMBER : UI_GREEN, ui_first_fit(a, FONT_BODY, v.w - 8, says));
    int second = -1;
    for (int k = 0; k < a->nclass; k++)
        if (k != a->top && (second < 0 || a->probs[k] > a->probs[second])) second = k;
    if (second >= 0) {
        snprintf(line, sizeof line, "next: %s (%.1f%%)", a->classes[second], a->probs[second] * 100.0);
        if (ui_tw(a, FONT_SMALL, line) + 8 > v.w) snprintf(line, sizeof line, "%s %.0f%%", a->classes[second], a->probs[second] * 100.0);
        ui_text_in(a, FONT_SMALL, (Rect){v.x, y0 + hh + 22, v.w, 18}, 1, UI_DIM, line);
    }
    /* how to teach it this drawing, where there is room */
    const char *hint = "Ctrl+digit keeps it as yours";
    if (y0 + hh + 58 <= v.y + v.h && ui_tw(a, FONT_SMALL, hint) + 8 <= v.w)
        ui_text_in(a, FONT_SMALL, (Rect){v.x, y0 + hh + 40, v.w, 18}, 1, UI_FAINT, hint);
}

static void draw_probs(App *a) {
    Rect r = a->lay.probs_panel;
    ui_panel(a, r, "Probabilities");
    int blank = !a->has_ink || a->top < 0;
    if (blank) ui_text_in(a, FONT_SMALL, (Rect){r.x + 10, r.y + 7, r.w - 20, 16}, 2, UI_FAINT, "draw to see them");
    int rh = a->lay.prob_row, f = rh < 17 ? FONT_SMALL : FONT_BODY, lw = 0; /* short rows: small type */
    for (int k = 0; k < a->nclass; k++) {
        int w = ui_tw(a, f, a->classes[k]);
        if (w > lw) lw = w;
    }
    int pw = ui_tw(a, f, "100.0%");
    int x0 = r.x + 14 + lw, bx = x0 + 8, bw = r.w - (bx - r.x) - pw - 20;
    for (int k = 0; k < a->nclass; k++) {
        int y = r.y + 30 + k * rh;
        int is_top = !blank && k == a->top;
        Rect lab = {r.x + 10, y, lw, rh - 2};
        ui_text_in(a, is_top && f == FONT_BODY ? FONT_BOLD : f, lab, 2, is_top ? UI_TEXT : UI_DIM, a->classes[k]);
        int bh = rh - (rh < 17 ? 6 : 8);
        draw_rect(&a->dl, (Rect){bx, y + 3, bw, bh}, (Color){44, 47, 57, 255});
        if (!blank) {
            float p = a->probs[k];
            int w = (int)(p * bw + 0.5f);
            Color bc = is_top ? (a->state != READ_SURE ? UI_AMBER : UI_ACCENT) : ui_alpha(UI_ACCENT, 120);
            draw_rect(&a->dl, (Rect){bx, y + 3, w, bh}, bc);
            char pc[16];
            snprintf(pc, sizeof pc, "%.1f%%", p * 100.0);
            ui_text_in(a, f, (Rect){bx + bw + 6, y, pw + 4, rh - 2}, 2, is_top ? UI_TEXT : UI_DIM, pc);
        } else {
            ui_text_in(a, f, (Rect){bx + bw + 6, y, pw + 4, rh - 2}, 2, UI_FAINT, "-");
        }
    }
}

void reading_draw(App *a) {
    draw_canvas(a);
    draw_preview(a);
    draw_verdict(a);
    draw_probs(a);
}

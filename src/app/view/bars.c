/* bars.c - the top bar (the title and the controls laid out in it) and the status bar (training
 * state, counters, the data, the learning rate, and the last message, coloured by severity). */
#include <stdio.h>
#include <string.h>

#include "controls.h"
#include "ui.h"
#include "view.h"

/* Controls that live in a panel's header, drawn by that panel. */
static int in_panel(int id) {
    return id == WID_CLEAR || id == WID_UNDO || id == WID_LOG || id == WID_SALIENCY ||
           (id >= WID_TAB_WEIGHTS && id <= WID_TAB_INSIDE) || id == WID_TAB_EMBED;
}

void bars_draw_top(App *a) {
    Rect bar = {0, 0, a->w, a->lay.bar_h};
    draw_rect(&a->dl, bar, (Color){28, 30, 37, 255});
    draw_line(&a->dl, 0, a->lay.bar_h - 1, a->w, a->lay.bar_h - 1, UI_BORDER);
    ui_text_in(a, FONT_TITLE, (Rect){10, 7, 100, ui_fh(a, FONT_BODY) + 10}, 0, UI_ACCENT, "digitrec");
    for (int i = 0; i < a->nwidgets; i++)
        if (!in_panel(a->widgets[i].id)) control_draw(a, &a->widgets[i]);
}

/* The personal examples' part of the status line, long and short: how many of the held-out ones
 * (every fifth of each class) the network reads right now, and before mixing began while mixing. */
static void mine_text(const Snapshot *s, char *buf, size_t n, char *sbuf, size_t sn) {
    if (s->held_n > 0 && s->held_right >= 0) {
        const char *gd = s->mix && s->cfg.train.opt == OPT_GD ? " (gd: not mixed)" : "";
        if (s->held_before >= 0) {
            snprintf(buf, n, "  |  yours: %d/%d held out right before mixing, %d/%d now%s", s->held_before, s->held_n,
                     s->held_right, s->held_n, gd);
            snprintf(sbuf, sn, " | yours %d/%d before, %d/%d now", s->held_before, s->held_n, s->held_right, s->held_n);
        } else {
            snprintf(buf, n, "  |  yours: %d/%d held out right%s", s->held_right, s->held_n, s->mix ? "" : " (not mixed)");
            snprintf(sbuf, sn, " | yours %d/%d", s->held_right, s->held_n);
        }
    } else if (s->mix_per_batch > 0) {
        snprintf(buf, n, "  |  %d of yours a batch (a digit's 5th is held out to measure)", s->mix_per_batch);
    }
}

void bars_draw_status(App *a) {
    const Snapshot *s = &a->snap;
    Rect r = a->lay.status;
    draw_rect(&a->dl, r, (Color){28, 30, 37, 255});
    draw_line(&a->dl, 0, r.y, a->w, r.y, UI_BORDER);
    char buf[512], sps[32];
    ui_fmt_count(sps, sizeof sps, s->sps);
    int secs = (int)s->t_train;
    const EvalPoint *last = s->nevals ? &s->evals[s->nevals - 1] : NULL;
    char acc[64] = "-", acc_short[32] = "-";
    if (last) {
        /* one accuracy, saying what it measures */
        snprintf(acc, sizeof acc, "%.2f%% (%s)", last->acc * 100, last->full ? "full test set" : "1000-image subset");
        snprintf(acc_short, sizeof acc_short, "%.2f%%%s", last->acc * 100, last->full ? "" : " (subset)");
    }
    const char *state = s->running ? "training" : s->finished ? "finished" : "paused";
    char mine[128] = "", mine_short[48] = "";
    mine_text(s, mine, sizeof mine, mine_short, sizeof mine_short);
    snprintf(buf, sizeof buf, "%s  |  epoch %d  step %ld  |  %s samples/s  |  %d:%02d elapsed  |  test acc %s  |  %s%s  |  lr %g%s",
             state, s->epoch, s->step, s->running ? sps : "-", secs / 60, secs % 60, acc, s->data_desc, mine,
             (double)s->cfg.train.lr, app_unsaved(a) ? "  |  unsaved" : "");
    if (ui_tw(a, FONT_SMALL, buf) > r.w - 40) /* narrow window: the short form */
        snprintf(buf, sizeof buf, "%s | ep %d | step %ld | %s/s | %d:%02d | acc %s%s%s", state, s->epoch, s->step,
                 s->running ? sps : "-", secs / 60, secs % 60, acc_short, mine_short, app_unsaved(a) ? " | unsaved" : "");
    Color dot = s->running ? UI_GREEN : s->finished ? UI_ACCENT : UI_AMBER;
    draw_rect(&a->dl, (Rect){r.x + 10, r.y + 9, 8, 8}, dot);
    int lw = ui_tw(a, FONT_SMALL, buf);
    ui_text_in(a, FONT_SMALL, (Rect){r.x + 24, r.y, lw, r.h}, 0, UI_TEXT, buf);
    /* the message gets the rest of the bar, cut at its end (hover shows it whole); errors stay longer */
    double age = a->now - a->msg_time;
    a->msg_rect = (Rect){0, 0, 0, 0};
    if (a->msg[0] && age < (a->msg_sev == SEV_ERROR ? 30 : 12)) {
        int room = r.w - (24 + lw + 30);
        if (room > 80) {
            char fit[600];
            ui_fit_right(a, FONT_SMALL, a->msg, room, fit, sizeof fit);
            Color c = a->msg_sev == SEV_ERROR ? UI_RED : a->msg_sev == SEV_WARN ? UI_AMBER : UI_GREEN;
            int tw = ui_tw(a, FONT_SMALL, fit);
            a->msg_rect = (Rect){r.x + r.w - 10 - tw, r.y, tw, r.h};
            ui_text_in(a, FONT_SMALL, (Rect){r.x + r.w - room - 10, r.y, room, r.h}, 2, c, fit);
        }
    }
}

void bars_draw_status_tooltip(App *a) {
    if (!a->msg[0] || a->msg_rect.w <= 0 || !rect_contains(a->msg_rect, a->mx, a->my)) return;
    ui_tooltip_wrapped(a, a->msg);
}

/* app.c - the top of src/app: setting an App up, routing each event to the dialog, control or
 * panel under it, taking in a new snapshot, and building the frame's draw list from the views. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "controls.h"
#include "optim.h"
#include "ui.h"
#include "view/view.h"

int app_init(App *a, int w, int h, char *err) {
    memset(a, 0, sizeof *a);
    if (canvas_init(&a->canvas_px, CANVAS_SIDE, err) != 0) return -1;
    drawlist_init(&a->dl);
    worker_config_default(&a->ctl, "mlp");
    a->arch = ARCH_MLP;
    snprintf(a->custom, sizeof a->custom, "784-256-10");
    a->hover_tile = -1;
    a->emb_hover = a->emb_thumb = -1;
    a->pressed = -1;
    a->focus = -1;
    a->ex.t = a->ex.p = -1;
    a->ex.hover_t = a->ex.hover_p = a->ex.hover_thumb = -1;
    a->hover_unit_layer = a->hover_unit = -1;
    a->top = -1;
    a->temperature = a->temp_next = 1;
    a->temp_gen = (unsigned long)-1;
    a->nclass = 10;
    a->pred_canvas_ver = (unsigned long)-1;
    app_set_classes(a, NULL);
    if (app_image_alloc(&a->img[IMG_CANVAS], CANVAS_SIDE, CANVAS_SIDE, 1) != 0 ||
        app_image_alloc(&a->img[IMG_PREVIEW], PRE_SIDE, PRE_SIDE, 0) != 0 ||
        app_image_alloc(&a->img[IMG_COLORBAR], 1, 256, 1) != 0) {
        app_free(a);
        return err_set(err, "window: out of memory");
    }
    AppImage *cb = &a->img[IMG_COLORBAR];
    for (int i = 0; i < 256; i++) {
        app_colormap(1.0f - 2.0f * (float)i / 255.0f, cb->rgba + 4 * i);
        cb->rgba[4 * i + 3] = 255;
    }
    a->text_width = ui_est_width;
    a->font_height = ui_est_height;
    app_resize(a, w, h);
    return 0;
}

void app_free(App *a) {
    canvas_free(&a->canvas_px);
    saliency_free(&a->probe);
    app_runs_free(a);
    snapshot_free(&a->snap);
    for (int i = 0; i < IMG_COUNT; i++) free(a->img[i].rgba);
    drawlist_free(&a->dl);
    ood_free(&a->ood);
    ood_free(&a->ood_next);
    memset(a, 0, sizeof *a);
}

/* Repaints the weight pictures from the snapshot if one came since they were painted: at once
 * with now_anyway, else only when they show and a quarter second has passed (app_set_tab clears
 * weights_at so the first frame on the tab paints). */
static void app_paint_weights(App *a, int now_anyway) {
    if (!a->weights_stale) return;
    double t = time_now();
    if (!now_anyway && (a->tab != TAB_WEIGHTS || t - a->weights_at < 0.25)) return;
    weights_paint(a);
    a->weights_at = t, a->weights_stale = 0, a->painted_gen = a->snap.generation;
}


/* ---- a new snapshot ---- */

void app_on_snapshot(App *a) {
    const Snapshot *s = &a->snap;
    if (s->data_seq != a->data.seen_seq) {
        a->data.seen_seq = s->data_seq;
        if (!a->classes_from_model && s->classes[0][0]) {
            for (int k = 0; k < 10; k++) snprintf(a->classes[k], sizeof a->classes[k], "%s", s->classes[k]);
            app_resize(a, a->w, a->h);
        }
        app_trace(a, "\"event\":\"data\",\"loaded\":\"%.60s\",\"classes\":\"%.20s,%.20s,...\"", s->data_desc,
                  s->classes[0], s->classes[1]);
    }
    if (s->generation != a->seen_gen) {
        a->seen_gen = s->generation;
        app_adopt_network(a, &s->net);
        a->ctl.train.seed = s->cfg.train.seed;
        if (s->gen_cause == GEN_LOAD) app_model_generation(a, s->generation);
        if (s->step == 0) a->saved_gen = s->generation, a->saved_step = 0;
        /* a fresh network on this data reads the data's classes (a loaded model keeps its own) */
        if ((s->gen_cause == GEN_RESET || s->gen_cause == GEN_DATA) && s->classes[0][0]) {
            a->classes_from_model = 0;
            for (int k = 0; k < 10; k++) snprintf(a->classes[k], sizeof a->classes[k], "%s", s->classes[k]);
            app_resize(a, a->w, a->h); /* the matrix's labels may be wider */
        }
    }
    weights_layout(a);
    /* the weight pictures change little from one publish to the next: while training they are
       repainted at most four times a second, and only when they show (else at the next frame) */
    a->weights_stale = 1;
    app_paint_weights(a, s->generation != a->painted_gen || !s->running);
    errors_on_snapshot(a);
    if (s->status_seq != a->seen_status_seq) {
        a->seen_status_seq = s->status_seq;
        if (s->status[0]) app_message(a, s->status_sev, "%s", s->status);
    }
    if (a->trace && s->loss.n > 0) {
        const EvalPoint *e = s->nevals ? &s->evals[s->nevals - 1] : NULL;
        app_trace(a, "\"event\":\"publish\",\"step\":%ld,\"epoch\":%d,\"loss\":%.5f,\"test_loss\":%.5f,\"test_acc\":%.5f,\"running\":%s",
                  s->step, s->epoch, (double)s->loss.last, e ? e->loss : -1.0, e ? e->acc : -1.0, s->running ? "true" : "false");
    }
    app_update_prediction(a);
}

/* ---- events ---- */

static void canvas_point(const App *a, int x, int y, float *cx, float *cy) {
    *cx = (float)(x - a->lay.canvas.x) * CANVAS_SIDE / (float)a->lay.canvas.w;
    *cy = (float)(y - a->lay.canvas.y) * CANVAS_SIDE / (float)a->lay.canvas.h;
}

void app_mouse_down(App *a, int x, int y, int button) {
    a->mx = x, a->my = y;
    if (a->ask.kind) {
        ask_mouse_down(a, x, y);
        return;
    }
    if (a->show_help) {
        a->show_help = 0;
        return;
    }
    if (a->data.show) {
        data_mouse_down(a, x, y);
        return;
    }
    if (a->save.show) {
        save_mouse_down(a, x, y);
        return;
    }
    if (a->open.show) {
        open_mouse_down(a, x, y);
        return;
    }
    if (a->editing) control_edit_finish(a, 1);
    a->focus = -1; /* a click elsewhere takes the keyboard's focus away; a control's click gives it back */
    if (rect_contains(a->lay.canvas, x, y) && (button == BTN_LEFT || button == BTN_RIGHT)) {
        float cx, cy;
        canvas_point(a, x, y, &cx, &cy);
        if (canvas_stroke_begin(&a->canvas_px, cx, cy, button == BTN_RIGHT) == 0) a->pen = button == BTN_RIGHT ? 2 : 1;
        app_update_prediction(a);
        return;
    }
    if (button == BTN_RIGHT) { /* a right click on Save: Save As */
        for (int i = 0; i < a->nwidgets; i++)
            if (a->widgets[i].id == WID_SAVE && rect_contains(a->widgets[i].r, x, y)) app_open_save_as(a);
        return;
    }
    if (button != BTN_LEFT) return;
    for (int i = 0; i < a->nwidgets; i++)
        if (rect_contains(a->widgets[i].r, x, y)) {
            a->pressed = a->widgets[i].id;
            control_click(a, &a->widgets[i], x, y);
            return;
        }
    if (a->tab == TAB_ERRORS) errors_mouse_down(a, x, y);
    if (a->tab == TAB_EMBED) embed_mouse_down(a, x, y);
}

void app_mouse_up(App *a, int x, int y, int button) {
    (void)button;
    a->mx = x, a->my = y;
    if (a->pen) {
        canvas_stroke_end(&a->canvas_px);
        a->pen = 0;
    }
    a->pressed = -1;
}

void app_mouse_move(App *a, int x, int y) {
    a->mx = x, a->my = y;
    a->hover_since = a->now;
    if (a->pen) {
        float cx, cy;
        canvas_point(a, x, y, &cx, &cy);
        canvas_stroke_extend(&a->canvas_px, cx, cy);
        app_update_prediction(a);
        return;
    }
    a->hover_tile = -1;
    a->hover_layer = 0;
    if (a->tab == TAB_ERRORS)
        errors_hover(a, x, y);
    else if (a->tab == TAB_INSIDE)
        inside_hover(a, x, y);
    else if (a->tab == TAB_EMBED)
        embed_hover(a, x, y);
    else
        weights_hover(a, x, y);
}

void app_wheel(App *a, int x, int y, int dy) {
    if (a->ask.kind || a->save.show || a->data.show) return;
    if (a->open.show) {
        open_wheel(a, dy);
        return;
    }
    if (a->tab == TAB_ERRORS && errors_wheel(a, x, y, dy)) return;
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].spin && rect_contains(a->widgets[i].r, x, y)) {
            control_step(a, a->widgets[i].id, dy > 0 ? 1 : -1);
            return;
        }
}

static void key_ctrl(App *a, int key, int mods) {
    if (key >= KEY_0 && key <= KEY_9) {
        control_keep_example(a, key - KEY_0);
        return;
    }
    switch (key) {
    case KEY_BACKSPACE: app_push_action(a, ACT_PERSONAL_UNDO, NULL); break;
    case KEY_E: app_push_action(a, ACT_EXPORT, NULL); break;
    case KEY_D: app_open_data(a); break;
    case KEY_Z: control_undo(a); break;
    case KEY_S:
        if (mods & MOD_SHIFT)
            app_open_save_as(a);
        else
            app_push_action(a, ACT_SAVE, NULL);
        break;
    case KEY_O: control_open_models(a); break;
    case KEY_Q: app_request_quit(a); break;
    case KEY_R: app_push_action(a, ACT_REVERT, NULL); break;
    default: break;
    }
}

void app_key(App *a, int key, int mods) {
    if (a->ask.kind) {
        ask_key(a, key);
        return;
    }
    if (a->editing) {
        control_edit_key(a, key);
        return;
    }
    if (a->data.show) {
        data_key(a, key);
        return;
    }
    if (a->save.show) {
        save_key(a, key);
        return;
    }
    if (a->open.show) {
        open_key(a, key, mods);
        return;
    }
    if (a->show_help && key == KEY_ESCAPE) {
        a->show_help = 0;
        return;
    }
    if (!(mods & MOD_CTRL) && control_focus_key(a, key, mods)) return;
    if (key == KEY_ESCAPE) {
        if (!a->show_help && a->tab == TAB_ERRORS && a->ex.t >= 0) app_select_cell(a, -1, -1);
        a->show_help = 0;
        return;
    }
    if (mods & MOD_CTRL) {
        key_ctrl(a, key, mods);
        return;
    }
    switch (key) {
    case KEY_SPACE: control_toggle_training(a); break;
    case KEY_N: app_push_action(a, ACT_STEP, NULL); break;
    case KEY_R: app_push_action(a, ACT_RESET, NULL); break;
    case KEY_C:
    case KEY_BACKSPACE:
    case KEY_DELETE: control_clear(a); break;
    case KEY_L: a->log_scale = !a->log_scale; break;
    case KEY_F1:
    case KEY_QUESTION: a->show_help = !a->show_help; break;
    case KEY_UP: control_step(a, WID_LR, +1); break;
    case KEY_DOWN: control_step(a, WID_LR, -1); break;
    case KEY_P: control_toggle_mix(a); break;
    case KEY_G: app_toggle_saliency(a); break;
    case KEY_W: app_set_tab(a, TAB_WEIGHTS); break;
    case KEY_M: app_set_tab(a, TAB_ERRORS); break;
    case KEY_A: app_set_tab(a, TAB_INSIDE); break;
    case KEY_E: app_set_tab(a, TAB_EMBED); break;
    case KEY_PAGEUP:
    case KEY_PAGEDOWN:
        if (a->tab == TAB_ERRORS)
            errors_wheel(a, a->ex.gal_area.x + 1, a->ex.gal_area.y + 1, key == KEY_PAGEUP ? 3 : -3);
        break;
    default: break;
    }
}

void app_text(App *a, const char *utf8) {
    if (a->ask.kind) return;
    if (a->save.show)
        save_text(a, utf8);
    else if (a->data.show)
        data_text(a, utf8);
    else if (a->open.show)
        open_text(a, utf8);
    else if (a->editing)
        control_edit_text(a, utf8);
}

void app_drop_file(App *a, const char *path) {
    a->data.show = 0;
    app_push_action(a, ACT_DROP, path);
}

/* ---- the frame ---- */

static void draw_right(App *a) {
    Rect H = a->lay.heat;
    ui_panel(a, H, NULL);
    draw_line(&a->dl, H.x + 1, H.y + APP_TAB_H, H.x + H.w - 2, H.y + APP_TAB_H, UI_BORDER);
    for (int i = 0; i < a->nwidgets; i++)
        if ((a->widgets[i].id >= WID_TAB_WEIGHTS && a->widgets[i].id <= WID_TAB_INSIDE) || a->widgets[i].id == WID_TAB_EMBED)
            control_draw(a, &a->widgets[i]);
    if (a->tab == TAB_ERRORS)
        errors_draw(a);
    else if (a->tab == TAB_INSIDE)
        inside_draw(a);
    else if (a->tab == TAB_EMBED)
        embed_draw(a);
    else
        weights_draw(a);
}


/* The controls' values and the keyboard's focus, traced when they change (scripts that drive the
 * window read them). */
static void trace_controls(App *a) {
    if (!a->trace) return;
    char line[sizeof a->traced_controls];
    const TrainConfig *t = &a->ctl.train;
    const char *net = a->ctl.arch;
    snprintf(line, sizeof line,
             "\"network\":\"%s\",\"optimizer\":\"%s\",\"lr\":%g,\"schedule\":\"%s\",\"batch\":%d,\"epochs\":%d,\"seed\":%lu,"
             "\"focus\":\"%s\"",
             net, optim_name(t->opt), (double)t->lr, t->schedule == SCHED_COSINE ? "cosine" : "const", t->batch, t->epochs,
             (unsigned long)t->seed, a->focus >= 0 ? control(a->focus)->caption : "");
    if (!strcmp(line, a->traced_controls)) return;
    memcpy(a->traced_controls, line, sizeof line);
    app_trace(a, "\"event\":\"controls\",%s", line);
}

void app_frame(App *a, double now) {
    a->now = now;
    app_paint_weights(a, 0);
    trace_controls(a);
    drawlist_clear(&a->dl);
    draw_rect(&a->dl, (Rect){0, 0, a->w, a->h}, UI_BG);
    bars_draw_top(a);
    reading_draw(a);
    plots_draw(a);
    draw_right(a);
    bars_draw_status(a);
    if (!a->pen && !a->open.show && !a->save.show && !a->show_help && !a->data.show && !a->ask.kind) {
        if (a->tab == TAB_WEIGHTS)
            weights_draw_tooltip(a);
        else if (a->tab == TAB_ERRORS)
            errors_draw_tooltip(a);
        else if (a->tab == TAB_INSIDE)
            inside_draw_tooltip(a);
        else if (a->tab == TAB_EMBED)
            embed_draw_tooltip(a);
        bars_draw_status_tooltip(a);
        control_draw_tooltip(a);
    }
    if (a->open.show) open_draw(a);
    if (a->save.show) save_draw(a);
    if (a->data.show) data_draw(a);
    if (a->show_help) help_draw(a);
    if (a->ask.kind) ask_draw(a);
}

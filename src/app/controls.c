/* controls.c - the table of controls and what each does: the buttons and switches queue actions
 * or flip app state, the spins step the settings in app->ctl (and tell the worker), the Network
 * value takes typed sizes or grammar strings. Also how a control is measured, placed and drawn. */
#include "controls.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "optim.h"
#include "ui.h"

/* ---- what the controls do ---- */

void control_clear(App *a) {
    canvas_clear(&a->canvas_px);
    app_update_prediction(a);
}

void control_undo(App *a) {
    if (!canvas_undo(&a->canvas_px)) app_message(a, SEV_INFO, "nothing to undo");
    app_update_prediction(a);
}

void control_toggle_training(App *a) { app_push_action(a, a->snap.running ? ACT_PAUSE : ACT_RUN, NULL); }

void control_toggle_mix(App *a) {
    a->mix = !a->mix;
    app_push_action(a, ACT_MIX, NULL);
}

void app_open_data(App *a) {
    a->data.show = 1;
    a->open.show = a->show_help = 0;
    a->data.sel = 0;
    a->data.edit[0] = 0;
    app_push_action(a, ACT_LIST_DATA, NULL);
}

void app_request_quit(App *a) {
    if (app_unsaved(a)) {
        a->ask.kind = ASK_QUIT;
        a->show_help = a->open.show = a->data.show = 0;
        app_trace(a, "\"event\":\"ask\",\"kind\":\"quit\"");
    } else {
        app_push_action(a, ACT_QUIT, NULL);
    }
}

void app_offer_restore(App *a, const char *path, const char *what) {
    a->ask.kind = ASK_RESTORE;
    snprintf(a->ask.path, sizeof a->ask.path, "%s", path);
    snprintf(a->ask.what, sizeof a->ask.what, "%s", what);
    char esc[APP_PATH_LEN * 2];
    app_trace(a, "\"event\":\"ask\",\"kind\":\"restore\",\"path\":\"%s\"", json_escape(esc, sizeof esc, path));
}

void control_open_models(App *a) {
    a->open.show = 1;
    a->open.sel = 0;
    a->show_help = 0;
    app_push_action(a, ACT_LIST_MODELS, NULL);
}

void control_keep_example(App *a, int k) {
    if (!a->has_ink) {
        app_message(a, SEV_WARN, "draw a %s first, then press Ctrl+%d to add it to your examples", a->classes[k], k);
        return;
    }
    if (app_push_action(a, ACT_PERSONAL_ADD, NULL) == 0) a->act[a->nact - 1].arg = k;
}

static const char *const PRESETS[] = {"softmax", "mlp", "cnn"}; /* ARCH_SOFTMAX, ARCH_MLP, ARCH_CONVNET */

int app_is_preset(const char *name) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, PRESETS[i])) return 1;
    return 0;
}

int app_parse_arch(const char *s, WorkerConfig *cfg, char *err) {
    char e[ERR_LEN];
    Arch a;
    /* sizes with commas or spaces are the dense form too (784,128,10) */
    char buf[ARCH_MAX_TEXT];
    snprintf(buf, sizeof buf, "%s", s);
    if (buf[0] >= '0' && buf[0] <= '9') {
        int sizes[NET_MAX_LAYERS + 1];
        int n = net_parse_layers(s, sizes, NET_MAX_LAYERS + 1, e);
        if (n < 0) return err_set(err, "sizes: %s", e);
        if (sizes[0] != 784) return err_set(err, "sizes: the first size must be 784 (28x28 pixels)");
        net_sizes_str(sizes, n - 1, buf, sizeof buf);
    }
    if (arch_parse(&a, buf, e) != 0) return err_set(err, "%s", e);
    if (a.classes != 10) return err_set(err, "network: the last layer must give 10 outputs (classes), not %d", a.classes);
    if (!a.dense && a.nparam_layers > NET_MAX_LAYERS)
        return err_set(err, "network: %d layers with parameters, at most %d", a.nparam_layers, NET_MAX_LAYERS);
    arch_format(&a, cfg->arch, sizeof cfg->arch);
    return 0;
}

static void arch_from_cfg(App *a) {
    const char *r = worker_recipe(&a->ctl);
    a->arch = !strcmp(r, "softmax") ? ARCH_SOFTMAX : !strcmp(r, "mlp") ? ARCH_MLP : !strcmp(r, "cnn") ? ARCH_CONVNET : ARCH_CUSTOM;
    if (a->arch == ARCH_CUSTOM) snprintf(a->custom, sizeof a->custom, "%s", a->ctl.arch);
}

void app_adopt_network(App *a, const Net *net) {
    net_arch_str(net, a->ctl.arch, sizeof a->ctl.arch);
    arch_from_cfg(a);
}

static void set_arch(App *a, ArchKind k) {
    char err[ERR_LEN];
    if (k == ARCH_CUSTOM && !a->custom[0]) k = ARCH_SOFTMAX; /* nothing typed yet: round again */
    a->arch = k;
    if (k != ARCH_CUSTOM) {
        WorkerConfig d;
        worker_config_default(&d, PRESETS[k]);
        snprintf(a->ctl.arch, sizeof a->ctl.arch, "%s", d.arch);
    } else if (app_parse_arch(a->custom, &a->ctl, err) != 0) {
        app_message(a, SEV_ERROR, "%s", err);
        return;
    }
    app_message(a, SEV_INFO, "network %s: press Re-init (R) to start it", a->ctl.arch);
}

static const float LRS[] = {0.0001f, 0.0003f, 0.001f, 0.003f, 0.01f, 0.02f, 0.05f, 0.1f, 0.2f, 0.5f, 1.0f};
static const int BATCHES[] = {1, 8, 16, 32, 64, 128, 256, 512, 1024};

static int nearest_index_f(const float *v, int n, float x) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (fabsf(logf(v[i] / x)) < fabsf(logf(v[best] / x))) best = i;
    return best;
}

static int nearest_index_i(const int *v, int n, int x) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (abs(v[i] - x) < abs(v[best] - x)) best = i;
    return best;
}

static int clampi(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

/* softmax -> mlp -> cnn -> the custom one -> softmax */
static void step_arch(App *a, int dir) { set_arch(a, (ArchKind)(((int)a->arch + dir + 4) % 4)); }

/* A new optimiser brings its own default rate: Adam's is not SGD's. */
static void step_opt(App *a, int dir) {
    OptKind k = (OptKind)(((int)a->ctl.train.opt + dir + 4) % 4);
    int epochs = a->ctl.train.epochs;
    train_config_optimizer(&a->ctl.train, k, worker_recipe(&a->ctl));
    if (k != OPT_GD) a->ctl.train.epochs = epochs; /* the epoch limit stays the user's (gd counts iterations) */
    app_message(a, SEV_INFO, "optimiser %s: learning rate %g, its default", optim_name(k), (double)a->ctl.train.lr);
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void step_sched(App *a, int dir) {
    (void)dir;
    a->ctl.train.schedule = a->ctl.train.schedule == SCHED_COSINE ? SCHED_CONST : SCHED_COSINE;
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void step_lr(App *a, int dir) {
    int n = (int)(sizeof LRS / sizeof LRS[0]);
    a->ctl.train.lr = LRS[clampi(nearest_index_f(LRS, n, a->ctl.train.lr) + dir, n)];
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void step_batch(App *a, int dir) {
    int n = (int)(sizeof BATCHES / sizeof BATCHES[0]);
    a->ctl.train.batch = BATCHES[clampi(nearest_index_i(BATCHES, n, a->ctl.train.batch) + dir, n)];
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void step_epochs(App *a, int dir) {
    int e = a->ctl.train.epochs + dir * (a->ctl.train.epochs >= 20 ? 5 : 1);
    a->ctl.train.epochs = e < 1 ? 1 : e > 500 ? 500 : e;
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void step_seed(App *a, int dir) {
    long s = (long)a->ctl.train.seed + dir;
    a->ctl.train.seed = (uint64_t)(s < 0 ? 0 : s > 999 ? 999 : s);
    app_message(a, SEV_INFO, "seed %lu: press Re-init (R) to start from it", (unsigned long)a->ctl.train.seed);
}

static void press_arch(App *a) {
    a->editing = 1; /* type sizes or a grammar string */
    snprintf(a->edit, sizeof a->edit, "%s", a->arch == ARCH_CUSTOM ? a->custom : "");
}

static void press_augment(App *a) {
    a->ctl.train.augment = !a->ctl.train.augment;
    app_message(a, SEV_INFO, "%s", a->ctl.train.augment ? "augmentation on: each training image is rotated, scaled, "
                                                          "sheared, shifted and elastically distorted at random"
                                                        : "augmentation off: the training images as they are");
    app_push_action(a, ACT_CONFIGURE, NULL);
}

static void press_train(App *a) { control_toggle_training(a); }
static void press_revert(App *a) { app_push_action(a, ACT_REVERT, NULL); }
static void press_step(App *a) { app_push_action(a, ACT_STEP, NULL); }
static void press_reset(App *a) { app_push_action(a, ACT_RESET, NULL); }
static void press_save(App *a) { app_push_action(a, ACT_SAVE, NULL); }
static void press_help(App *a) { a->show_help = !a->show_help; }
static void press_log(App *a) { a->log_scale = !a->log_scale; }
static void press_export(App *a) { app_push_action(a, ACT_EXPORT, NULL); }
static void press_tab_weights(App *a) { app_set_tab(a, TAB_WEIGHTS); }
static void press_tab_errors(App *a) { app_set_tab(a, TAB_ERRORS); }
static void press_tab_inside(App *a) { app_set_tab(a, TAB_INSIDE); }

static int lit_training(const App *a) { return a->snap.running; }
static int lit_log(const App *a) { return a->log_scale; }
static int lit_mix(const App *a) { return a->mix; }
static int lit_saliency(const App *a) { return a->show_saliency; }
static int lit_augment(const App *a) { return a->ctl.train.augment; }
static int lit_weights(const App *a) { return a->tab == TAB_WEIGHTS; }
static int lit_errors(const App *a) { return a->tab == TAB_ERRORS; }
static int lit_inside(const App *a) { return a->tab == TAB_INSIDE; }

static const char *value_train(const App *a, char *buf, size_t n) {
    (void)buf, (void)n;
    return a->snap.running ? "Pause (Space)" : "Train (Space)";
}

static const char *value_mix(const App *a, char *buf, size_t n) {
    snprintf(buf, n, "Mine %d: mix %s (P)", a->personal_n, a->mix ? "on" : "off");
    return buf;
}

static const char *value_arch(const App *a, char *buf, size_t n) {
    if (a->editing) {
        snprintf(buf, n, "%s_", a->edit);
        return buf;
    }
    if (a->arch == ARCH_SOFTMAX) return "softmax";
    if (a->arch == ARCH_MLP) return "784-128-64-10";
    if (a->arch == ARCH_CONVNET) return "cnn";
    snprintf(buf, n, "%s", a->custom);
    return buf;
}

static const char *value_opt(const App *a, char *buf, size_t n) {
    (void)buf, (void)n;
    return optim_name(a->ctl.train.opt);
}

static const char *value_lr(const App *a, char *buf, size_t n) {
    snprintf(buf, n, "%g", (double)a->ctl.train.lr);
    return buf;
}

static const char *value_batch(const App *a, char *buf, size_t n) {
    if (a->ctl.train.opt == OPT_GD) return "all";
    snprintf(buf, n, "%d", a->ctl.train.batch);
    return buf;
}

static const char *value_epochs(const App *a, char *buf, size_t n) {
    snprintf(buf, n, "%d", a->ctl.train.epochs);
    return buf;
}

static const char *value_sched(const App *a, char *buf, size_t n) {
    (void)buf, (void)n;
    return a->ctl.train.schedule == SCHED_COSINE ? "cosine" : "const";
}

static const char *value_seed(const App *a, char *buf, size_t n) {
    snprintf(buf, n, "%lu", (unsigned long)a->ctl.train.seed);
    return buf;
}

/* id, kind, font, caption, short caption, widest, value, lit, step, press */
static const Control CONTROLS[WID_COUNT] = {
    {WID_TRAIN, CTL_TOGGLE, FONT_BODY, "Train (Space)", NULL, "Pause (Space)", value_train, lit_training, NULL, press_train},
    {WID_STEP, CTL_BUTTON, FONT_BODY, "Step (N)", NULL, NULL, NULL, NULL, NULL, press_step},
    {WID_RESET, CTL_BUTTON, FONT_BODY, "Re-init (R)", NULL, NULL, NULL, NULL, NULL, press_reset},
    {WID_ARCH, CTL_SPIN, FONT_BODY, "Network", NULL, "784-128-64-10", value_arch, NULL, step_arch, press_arch},
    {WID_OPT, CTL_SPIN, FONT_BODY, "Optimiser", NULL, "momentum", value_opt, NULL, step_opt, NULL},
    {WID_LR, CTL_SPIN, FONT_BODY, "LR", NULL, "0.0003", value_lr, NULL, step_lr, NULL},
    {WID_BATCH, CTL_SPIN, FONT_BODY, "Batch", NULL, "1024", value_batch, NULL, step_batch, NULL},
    {WID_EPOCHS, CTL_SPIN, FONT_BODY, "Epochs", NULL, "100", value_epochs, NULL, step_epochs, NULL},
    {WID_SEED, CTL_SPIN, FONT_BODY, "Seed", NULL, "999", value_seed, NULL, step_seed, NULL},
    {WID_SAVE, CTL_BUTTON, FONT_BODY, "Save", NULL, NULL, NULL, NULL, NULL, press_save},
    {WID_OPEN, CTL_BUTTON, FONT_BODY, "Open", NULL, NULL, NULL, NULL, NULL, control_open_models},
    {WID_HELP, CTL_BUTTON, FONT_BODY, "?", NULL, NULL, NULL, NULL, NULL, press_help},
    {WID_CLEAR, CTL_BUTTON, FONT_SMALL, "Clear (C)", "Clear", NULL, NULL, NULL, NULL, control_clear},
    {WID_UNDO, CTL_BUTTON, FONT_SMALL, "Undo (Ctrl+Z)", "Undo", NULL, NULL, NULL, NULL, control_undo},
    {WID_LOG, CTL_TOGGLE, FONT_SMALL, "log scale (L)", NULL, NULL, NULL, lit_log, NULL, press_log},
    {WID_TAB_WEIGHTS, CTL_TAB, FONT_BODY, "Weights (W)", "Weights", NULL, NULL, lit_weights, NULL, press_tab_weights},
    {WID_TAB_ERRORS, CTL_TAB, FONT_BODY, "Errors (M)", "Errors", NULL, NULL, lit_errors, NULL, press_tab_errors},
    {WID_TAB_INSIDE, CTL_TAB, FONT_BODY, "Inside (A)", "Inside", NULL, NULL, lit_inside, NULL, press_tab_inside},
    {WID_MIX, CTL_TOGGLE, FONT_BODY, "Mine", NULL, "Mine 9999: mix off (P)", value_mix, lit_mix, NULL, control_toggle_mix},
    {WID_SALIENCY, CTL_TOGGLE, FONT_SMALL, "Saliency (G)", NULL, NULL, NULL, lit_saliency, NULL, app_toggle_saliency},
    {WID_EXPORT, CTL_BUTTON, FONT_BODY, "Export", NULL, NULL, NULL, NULL, NULL, press_export},
    {WID_DATA, CTL_BUTTON, FONT_BODY, "Data", NULL, NULL, NULL, NULL, NULL, app_open_data},
    {WID_SCHED, CTL_SPIN, FONT_BODY, "Schedule", NULL, "cosine", value_sched, NULL, step_sched, NULL},
    {WID_REVERT, CTL_BUTTON, FONT_BODY, "Revert", NULL, NULL, NULL, NULL, NULL, press_revert},
    {WID_AUGMENT, CTL_TOGGLE, FONT_SMALL, "Augment", NULL, NULL, NULL, lit_augment, NULL, press_augment},
};

const Control *control(int id) { return id >= 0 && id < WID_COUNT ? &CONTROLS[id] : &CONTROLS[WID_HELP]; }

const char *control_text(const App *a, int id, char *buf, size_t n) {
    const Control *c = control(id);
    if (c->value) return c->value(a, buf, n);
    return a->lay.short_labels && c->short_caption ? c->short_caption : c->caption;
}

/* Spin geometry: caption, an arrow each side, the value. */
#define SPIN_ARROW 18

int control_width(const App *a, int id) {
    const Control *c = control(id);
    char buf[96];
    if (c->kind == CTL_SPIN)
        return ui_tw(a, FONT_SMALL, c->caption) + 6 + 2 * SPIN_ARROW + ui_tw(a, FONT_BODY, c->widest) + 12;
    const char *s = c->widest ? c->widest : control_text(a, id, buf, sizeof buf);
    return ui_tw(a, c->font, s) + (c->font == FONT_SMALL ? 14 : 20);
}

void control_place(const App *a, Widget *wd, int id, Rect r) {
    memset(wd, 0, sizeof *wd);
    wd->id = id;
    wd->r = r;
    if (control(id)->kind != CTL_SPIN) return;
    wd->spin = 1;
    int cw = ui_tw(a, FONT_SMALL, control(id)->caption) + 6;
    wd->label = (Rect){r.x, r.y, cw, r.h};
    wd->dec = (Rect){r.x + cw, r.y, SPIN_ARROW, r.h};
    wd->val = (Rect){r.x + cw + SPIN_ARROW, r.y, r.w - cw - 2 * SPIN_ARROW, r.h};
    wd->inc = (Rect){r.x + r.w - SPIN_ARROW, r.y, SPIN_ARROW, r.h};
}

void control_draw(App *a, const Widget *wd) {
    const Control *c = control(wd->id);
    char buf[96];
    const char *s = control_text(a, wd->id, buf, sizeof buf);
    if (wd->r.w <= 0) return;
    if (c->kind != CTL_SPIN) {
        Color bg = rect_contains(wd->r, a->mx, a->my) ? UI_BTN_HOT : UI_BTN;
        if (c->lit && c->lit(a)) bg = UI_BTN_ON;
        draw_rect(&a->dl, wd->r, bg);
        draw_frame(&a->dl, wd->r, UI_BORDER);
        ui_text_in(a, c->font, wd->r, 1, UI_TEXT, s);
        return;
    }
    ui_text_in(a, FONT_SMALL, wd->label, 0, UI_DIM, c->caption);
    draw_rect(&a->dl, wd->dec, rect_contains(wd->dec, a->mx, a->my) ? UI_BTN_HOT : UI_BTN);
    draw_rect(&a->dl, wd->inc, rect_contains(wd->inc, a->mx, a->my) ? UI_BTN_HOT : UI_BTN);
    ui_text_in(a, FONT_BODY, wd->dec, 1, UI_DIM, "\xe2\x97\x82"); /* small left triangle */
    ui_text_in(a, FONT_BODY, wd->inc, 1, UI_DIM, "\xe2\x96\xb8"); /* small right triangle */
    draw_rect(&a->dl, wd->val, (Color){26, 28, 34, 255});
    Rect fr = {wd->dec.x, wd->r.y, wd->inc.x + wd->inc.w - wd->dec.x, wd->r.h};
    draw_frame(&a->dl, fr, wd->id == WID_ARCH && a->editing ? UI_ACCENT : UI_BORDER);
    Color vc = UI_TEXT;
    /* a pending architecture or seed (not the running network's) is shown in amber until Reset */
    if (wd->id == WID_ARCH && !a->editing && a->snap.net.params) {
        char now[ARCH_MAX_TEXT];
        net_arch_str(&a->snap.net, now, sizeof now);
        if (strcmp(now, a->ctl.arch) != 0) vc = UI_AMBER;
    }
    if (wd->id == WID_SEED && a->snap.net.params && a->ctl.train.seed != a->snap.cfg.train.seed) vc = UI_AMBER;
    char fit[96];
    ui_text_in(a, FONT_BODY, wd->val, 1, vc, ui_fit_left(a, FONT_BODY, s, wd->val.w - 6, fit, sizeof fit));
}

void control_step(App *a, int id, int dir) {
    const Control *c = control(id);
    if (c->step) c->step(a, dir);
}

void control_click(App *a, const Widget *wd, int x, int y) {
    const Control *c = control(wd->id);
    if (!wd->spin) {
        if (c->press) c->press(a);
        return;
    }
    if (rect_contains(wd->dec, x, y))
        control_step(a, wd->id, -1);
    else if (rect_contains(wd->inc, x, y))
        control_step(a, wd->id, +1);
    else if (rect_contains(wd->val, x, y)) {
        if (c->press)
            c->press(a);
        else
            control_step(a, wd->id, +1);
    }
}

void control_edit_finish(App *a, int accept) {
    a->editing = 0;
    if (!accept) return;
    char err[ERR_LEN];
    WorkerConfig probe = a->ctl;
    if (app_parse_arch(a->edit, &probe, err) != 0) {
        app_message(a, SEV_ERROR, "%s", err);
        return;
    }
    snprintf(a->custom, sizeof a->custom, "%s", a->edit);
    set_arch(a, ARCH_CUSTOM);
}

void control_edit_key(App *a, int key) {
    if (key == KEY_RETURN)
        control_edit_finish(a, 1);
    else if (key == KEY_ESCAPE)
        control_edit_finish(a, 0);
    else if (key == KEY_BACKSPACE) {
        size_t n = strlen(a->edit);
        if (n) a->edit[n - 1] = 0;
    }
}

void control_edit_text(App *a, const char *utf8) {
    for (const char *p = utf8; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p; /* the grammar is lower case */
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == ',') {
            size_t n = strlen(a->edit);
            if (n + 1 < sizeof a->edit) a->edit[n] = c, a->edit[n + 1] = 0;
        }
    }
}

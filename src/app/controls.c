/* controls.c - the table of controls and what each does: the buttons and switches queue actions
 * or flip app state, the spins step the settings in app->ctl (and tell the worker), the Network
 * value takes typed sizes or grammar strings. Also how a control is measured, placed and drawn. */
#include "controls.h"

#include <errno.h>
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

int app_adopt_arch(App *a, const char *text, char *err) {
    WorkerConfig c = a->ctl;
    if (app_parse_arch(text, &c, err) != 0) return -1;
    snprintf(a->ctl.arch, sizeof a->ctl.arch, "%s", c.arch);
    arch_from_cfg(a);
    return 0;
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

/* off -> shape -> shape and ink -> off */
static void press_augment(App *a) {
    int *aug = &a->ctl.train.augment;
    *aug = (*aug + 1) % 3;
    app_message(a, SEV_INFO, "%s",
                *aug == 1   ? "augmentation on: each training image rotated, scaled, sheared, shifted and elastically "
                              "distorted at random (press again for the ink too)"
                : *aug == 2 ? "augmentation with the ink: as well, strokes thinner or fatter and now and then a coarser "
                              "grid, as the shipped CNN was trained (press again: off)"
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
static const char *value_augment(const App *a, char *buf, size_t n) {
    (void)buf, (void)n;
    return a->ctl.train.augment == 2 ? "Augment: ink" : a->ctl.train.augment ? "Augment: shape" : "Augment";
}
static int lit_weights(const App *a) { return a->tab == TAB_WEIGHTS; }
static int lit_errors(const App *a) { return a->tab == TAB_ERRORS; }
static int lit_inside(const App *a) { return a->tab == TAB_INSIDE; }
static int lit_embed(const App *a) { return a->tab == TAB_EMBED; }
static void press_tab_embed(App *a) { app_set_tab(a, TAB_EMBED); }

static const char *value_train(const App *a, char *buf, size_t n) {
    (void)buf, (void)n;
    if (a->lay.short_labels) return a->snap.running ? "Pause" : "Train";
    return a->snap.running ? "Pause (Space)" : "Train (Space)";
}

static const char *value_mix(const App *a, char *buf, size_t n) {
    if (a->lay.short_labels)
        snprintf(buf, n, "Mine %d: %s", a->personal_n, a->mix ? "on" : "off");
    else
        snprintf(buf, n, "Mine %d: mix %s (P)", a->personal_n, a->mix ? "on" : "off");
    return buf;
}

static const char *value_arch(const App *a, char *buf, size_t n) {
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

/* ---- typed values ---- */

/* s as a number in [lo, hi] (the whole of s: spaces around allowed). Returns 0 or -1. */
static int number_in(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_arch(App *a, const char *s, char *err) {
    WorkerConfig probe = a->ctl;
    if (app_parse_arch(s, &probe, err) != 0) return -1;
    snprintf(a->custom, sizeof a->custom, "%s", s);
    set_arch(a, ARCH_CUSTOM);
    return 0;
}

static int parse_opt(App *a, const char *s, char *err) {
    OptKind k;
    if (optim_parse(s, &k) != 0) return err_set(err, "optimiser: gd, sgd, momentum or adam, not \"%s\"", s);
    step_opt(a, ((int)k - (int)a->ctl.train.opt + 4) % 4); /* with its default rate, as a step would */
    return 0;
}

static int parse_lr(App *a, const char *s, char *err) {
    double v;
    if (number_in(s, 1e-7, 10, &v) != 0) return err_set(err, "learning rate: a number above 0 and at most 10, not \"%s\"", s);
    a->ctl.train.lr = (float)v;
    app_push_action(a, ACT_CONFIGURE, NULL);
    return 0;
}

static int parse_batch(App *a, const char *s, char *err) {
    double v;
    if (number_in(s, 1, 65536, &v) != 0 || v != floor(v)) return err_set(err, "batch: a whole number 1..65536, not \"%s\"", s);
    a->ctl.train.batch = (int)v;
    app_push_action(a, ACT_CONFIGURE, NULL);
    return 0;
}

static int parse_epochs(App *a, const char *s, char *err) {
    double v;
    if (number_in(s, 1, 100000, &v) != 0 || v != floor(v)) return err_set(err, "epochs: a whole number 1..100000, not \"%s\"", s);
    a->ctl.train.epochs = (int)v;
    app_push_action(a, ACT_CONFIGURE, NULL);
    return 0;
}

static int parse_sched(App *a, const char *s, char *err) {
    if (strcmp(s, "const") != 0 && strcmp(s, "cosine") != 0) return err_set(err, "schedule: const or cosine, not \"%s\"", s);
    a->ctl.train.schedule = !strcmp(s, "cosine") ? SCHED_COSINE : SCHED_CONST;
    app_push_action(a, ACT_CONFIGURE, NULL);
    return 0;
}

static int parse_seed(App *a, const char *s, char *err) {
    double v;
    if (number_in(s, 0, 999999, &v) != 0 || v != floor(v)) return err_set(err, "seed: a whole number 0..999999, not \"%s\"", s);
    a->ctl.train.seed = (uint64_t)v;
    app_message(a, SEV_INFO, "seed %lu: press Re-init (R) to start from it", (unsigned long)a->ctl.train.seed);
    return 0;
}

/* The rows. A spin's value takes typing (a click on it, or Enter while it has the focus); its
 * arrows, the wheel and the arrow keys step it. */
static const Control CONTROLS[WID_COUNT] = {
    {.id = WID_TRAIN, .kind = CTL_TOGGLE, .font = FONT_BODY, .caption = "Train (Space)", .widest = "Pause (Space)", .widest_short = "Pause",
     .value = value_train, .lit = lit_training, .press = press_train, .key = "Space",
     .tip = "start or pause training in the background while you draw"},
    {.id = WID_STEP, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Step (N)", .short_caption = "Step",
     .press = press_step, .key = "N", .tip = "one training step: a mini-batch, or one full pass for gd"},
    {.id = WID_RESET, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Re-init (R)", .short_caption = "Re-init",
     .press = press_reset, .key = "R",
     .tip = "a fresh random network of the Network setting, from the seed (the last run's curves stay)"},
    {.id = WID_ARCH, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "Network", .short_caption = "Net",
     .widest = "784-128-64-10", .value = value_arch, .step = step_arch, .parse = parse_arch,
     .tip = "the architecture Re-init builds: softmax, mlp, cnn, or typed: sizes like 784-256-10, layers like conv8k5-relu-pool-fc10"},
    {.id = WID_OPT, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "Optimiser", .short_caption = "Opt",
     .widest = "momentum", .value = value_opt, .step = step_opt, .parse = parse_opt,
     .tip = "gd (full batch), sgd, momentum or adam; each comes with its own default rate"},
    {.id = WID_LR, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "LR", .widest = "0.0003", .value = value_lr,
     .step = step_lr, .parse = parse_lr, .key = "Up / Down", .tip = "the learning rate, used from the next step"},
    {.id = WID_BATCH, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "Batch", .short_caption = "B", .widest = "1024",
     .value = value_batch, .step = step_batch, .parse = parse_batch, .tip = "examples per step (gd uses all)"},
    {.id = WID_EPOCHS, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "Epochs", .short_caption = "Ep", .widest = "100",
     .value = value_epochs, .step = step_epochs, .parse = parse_epochs, .tip = "training stops after this many passes"},
    {.id = WID_SEED, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "Seed", .widest = "999", .value = value_seed,
     .step = step_seed, .parse = parse_seed, .tip = "the starting weights and the shuffling of the next Re-init"},
    {.id = WID_SAVE, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Save", .press = press_save, .key = "Ctrl+S",
     .tip = "save the network into the models folder under a generated name; right-click or Ctrl+Shift+S: Save As"},
    {.id = WID_OPEN, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Open", .press = control_open_models,
     .key = "Ctrl+O", .tip = "open a model: browse folders, type a path, or pick a recent file"},
    {.id = WID_HELP, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "?", .press = press_help, .key = "F1",
     .tip = "every key and mouse action"},
    {.id = WID_CLEAR, .kind = CTL_BUTTON, .font = FONT_SMALL, .caption = "Clear (C)", .short_caption = "Clear",
     .press = control_clear, .key = "C", .tip = "wipe the canvas (undoable)"},
    {.id = WID_UNDO, .kind = CTL_BUTTON, .font = FONT_SMALL, .caption = "Undo (Ctrl+Z)", .short_caption = "Undo",
     .press = control_undo, .key = "Ctrl+Z", .tip = "undo the last stroke or clear"},
    {.id = WID_LOG, .kind = CTL_TOGGLE, .font = FONT_SMALL, .caption = "log scale (L)", .short_caption = "log",
     .lit = lit_log, .press = press_log, .key = "L", .tip = "the loss on a logarithmic axis"},
    {.id = WID_TAB_WEIGHTS, .kind = CTL_TAB, .font = FONT_BODY, .caption = "Weights (W)", .short_caption = "Weights",
     .lit = lit_weights, .press = press_tab_weights, .key = "W", .tip = "the weights as pictures: first layer, deeper layers"},
    {.id = WID_TAB_ERRORS, .kind = CTL_TAB, .font = FONT_BODY, .caption = "Errors (M)", .short_caption = "Errors",
     .lit = lit_errors, .press = press_tab_errors, .key = "M",
     .tip = "the confusion matrix on the test set; click a cell for its images"},
    {.id = WID_TAB_INSIDE, .kind = CTL_TAB, .font = FONT_BODY, .caption = "Inside (A)", .short_caption = "Inside",
     .lit = lit_inside, .press = press_tab_inside, .key = "A",
     .tip = "what each layer makes of the drawing, and its saliency map"},
    {.id = WID_MIX, .kind = CTL_TOGGLE, .font = FONT_BODY, .caption = "Mine", .widest = "Mine 9999: mix off (P)", .widest_short = "Mine 9999: off",
     .value = value_mix, .lit = lit_mix, .press = control_toggle_mix, .key = "P",
     .tip = "mix your own examples (Ctrl+0..9 keeps one) into every batch; every fifth of a digit is held out, and the status line says how it is read"},
    {.id = WID_SALIENCY, .kind = CTL_TOGGLE, .font = FONT_SMALL, .caption = "Saliency (G)", .short_caption = "Saliency",
     .lit = lit_saliency, .press = app_toggle_saliency, .key = "G",
     .tip = "lay over the drawing what raises (orange) and lowers (blue) the top class"},
    {.id = WID_EXPORT, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Export", .press = press_export,
     .key = "Ctrl+E", .tip = "every run's history as CSV, and the pictures as PNG"},
    {.id = WID_DATA, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Data", .press = app_open_data, .key = "Ctrl+D",
     .tip = "train on MNIST, Fashion-MNIST or any folder of IDX files"},
    {.id = WID_SCHED, .kind = CTL_SPIN, .font = FONT_BODY, .caption = "Schedule", .short_caption = "Sched",
     .widest = "cosine", .value = value_sched, .step = step_sched, .parse = parse_sched,
     .tip = "the rate over the planned epochs: constant, or decaying on a cosine"},
    {.id = WID_REVERT, .kind = CTL_BUTTON, .font = FONT_BODY, .caption = "Revert", .press = press_revert,
     .key = "Ctrl+R", .tip = "back to the model as it was opened or last saved"},
    {.id = WID_AUGMENT, .kind = CTL_TOGGLE, .font = FONT_SMALL, .caption = "Augment", .widest = "Augment: shape",
     .value = value_augment, .lit = lit_augment, .press = press_augment,
     .tip = "off; shape: rotate, scale, shear, shift and elastically distort each training image at random; ink: stroke width and coarser grids too"},
    {.id = WID_TAB_EMBED, .kind = CTL_TAB, .font = FONT_BODY, .caption = "Map (E)", .short_caption = "Map",
     .lit = lit_embed, .press = press_tab_embed, .key = "E",
     .tip = "the last hidden layer of 1,000 test images in 2-D (PCA at each evaluation), your drawing among them"},
};

const Control *control(int id) { return id >= 0 && id < WID_COUNT ? &CONTROLS[id] : &CONTROLS[WID_HELP]; }

/* The caption as the layout chose it: short in a narrow window, or for the tabs when theirs did not fit. */
static const char *caption_now(const App *a, const Control *c) {
    int short_now = a->lay.short_labels || (c->kind == CTL_TAB && a->lay.short_tabs);
    return short_now && c->short_caption ? c->short_caption : c->caption;
}

const char *control_caption(const App *a, int id) { return caption_now(a, control(id)); }

const char *control_text(const App *a, int id, char *buf, size_t n) {
    const Control *c = control(id);
    if (a->editing && a->edit_id == id) {
        snprintf(buf, n, "%s_", a->edit);
        return buf;
    }
    if (c->value) return c->value(a, buf, n);
    return caption_now(a, c);
}

/* Spin geometry: caption, an arrow each side, the value. */
#define SPIN_ARROW 18

int control_width(const App *a, int id) {
    const Control *c = control(id);
    char buf[96];
    if (c->kind == CTL_SPIN)
        return ui_tw(a, FONT_SMALL, control_caption(a, id)) + 6 + 2 * SPIN_ARROW + ui_tw(a, FONT_BODY, c->widest) + 12;
    const char *s = a->lay.short_labels && c->widest_short ? c->widest_short : c->widest ? c->widest : control_text(a, id, buf, sizeof buf);
    return ui_tw(a, c->font, s) + (c->font == FONT_SMALL ? 14 : 20);
}

void control_place(const App *a, Widget *wd, int id, Rect r) {
    memset(wd, 0, sizeof *wd);
    wd->id = id;
    wd->r = r;
    if (control(id)->kind != CTL_SPIN) return;
    wd->spin = 1;
    int cw = ui_tw(a, FONT_SMALL, control_caption(a, id)) + 6;
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
    if (a->focus == wd->id) /* the keyboard's focus: a ring around the whole control */
        draw_frame(&a->dl, (Rect){wd->r.x - 2, wd->r.y - 2, wd->r.w + 4, wd->r.h + 4}, UI_ACCENT);
    if (c->kind != CTL_SPIN) {
        Color bg = rect_contains(wd->r, a->mx, a->my) ? UI_BTN_HOT : UI_BTN;
        if (c->lit && c->lit(a)) bg = UI_BTN_ON;
        draw_rect(&a->dl, wd->r, bg);
        draw_frame(&a->dl, wd->r, UI_BORDER);
        ui_text_in(a, c->font, wd->r, 1, UI_TEXT, s);
        return;
    }
    ui_text_in(a, FONT_SMALL, wd->label, 0, UI_DIM, control_caption(a, wd->id));
    draw_rect(&a->dl, wd->dec, rect_contains(wd->dec, a->mx, a->my) ? UI_BTN_HOT : UI_BTN);
    draw_rect(&a->dl, wd->inc, rect_contains(wd->inc, a->mx, a->my) ? UI_BTN_HOT : UI_BTN);
    ui_text_in(a, FONT_BODY, wd->dec, 1, UI_DIM, "\xe2\x97\x82"); /* small left triangle */
    ui_text_in(a, FONT_BODY, wd->inc, 1, UI_DIM, "\xe2\x96\xb8"); /* small right triangle */
    draw_rect(&a->dl, wd->val, (Color){26, 28, 34, 255});
    Rect fr = {wd->dec.x, wd->r.y, wd->inc.x + wd->inc.w - wd->dec.x, wd->r.h};
    draw_frame(&a->dl, fr, a->editing && a->edit_id == wd->id ? UI_ACCENT : UI_BORDER);
    Color vc = UI_TEXT;
    /* a pending architecture or seed (not the running network's) is shown in amber until Reset */
    if (wd->id == WID_ARCH && !(a->editing && a->edit_id == WID_ARCH) && a->snap.net.params) {
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

/* Starts typing into spin id, from its value as shown. */
static void edit_begin(App *a, int id) {
    char buf[96];
    const char *v = control_text(a, id, buf, sizeof buf);
    a->editing = 1;
    a->edit_id = id;
    /* a preset's sizes start typed as "784-" (a stack is typed over it); a custom one as it is */
    snprintf(a->edit, sizeof a->edit, "%s", id == WID_ARCH && a->arch != ARCH_CUSTOM ? "784-" : v);
    if (id == WID_BATCH && a->ctl.train.opt == OPT_GD) a->edit[0] = 0;
}

void control_click(App *a, const Widget *wd, int x, int y) {
    const Control *c = control(wd->id);
    a->focus = wd->id;
    if (!wd->spin) {
        if (c->press) c->press(a);
        return;
    }
    if (rect_contains(wd->dec, x, y))
        control_step(a, wd->id, -1);
    else if (rect_contains(wd->inc, x, y))
        control_step(a, wd->id, +1);
    else if (rect_contains(wd->val, x, y) && c->parse)
        edit_begin(a, wd->id);
}

void control_edit_finish(App *a, int accept) {
    a->editing = 0;
    if (!accept) return;
    char err[ERR_LEN], text[sizeof a->edit];
    snprintf(text, sizeof text, "%s", a->edit);
    const Control *c = control(a->edit_id);
    if (c->parse && c->parse(a, text, err) != 0) app_message(a, SEV_ERROR, "%s", err);
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

/* Moves the focus to the next (dir +1) or previous (-1) control in the window's order. */
static void focus_move(App *a, int dir) {
    int n = a->nwidgets, cur = -1;
    for (int i = 0; i < n; i++)
        if (a->widgets[i].id == a->focus) cur = i;
    for (int k = 1; k <= n; k++) {
        int i = ((cur < 0 ? (dir > 0 ? -1 : 0) : cur) + dir * k + 2 * n) % n;
        if (a->widgets[i].r.w > 0) { /* a control laid out with no room is skipped */
            a->focus = a->widgets[i].id;
            return;
        }
    }
}

int control_focus_key(App *a, int key, int mods) {
    if (key == KEY_TAB) {
        focus_move(a, mods & MOD_SHIFT ? -1 : +1);
        return 1;
    }
    if (a->focus < 0) return 0;
    const Control *c = control(a->focus);
    switch (key) {
    case KEY_ESCAPE: a->focus = -1; return 1;
    case KEY_RETURN:
        if (c->kind == CTL_SPIN) {
            if (c->parse) edit_begin(a, a->focus);
        } else if (c->press) {
            c->press(a);
        }
        return 1;
    case KEY_LEFT:
    case KEY_DOWN:
        if (c->kind != CTL_SPIN) return 0;
        control_step(a, a->focus, -1);
        return 1;
    case KEY_RIGHT:
    case KEY_UP:
        if (c->kind != CTL_SPIN) return 0;
        control_step(a, a->focus, +1);
        return 1;
    default: return 0;
    }
}

void control_draw_tooltip(App *a) {
    for (int i = 0; i < a->nwidgets; i++) {
        const Widget *wd = &a->widgets[i];
        if (wd->r.w <= 0 || !rect_contains(wd->r, a->mx, a->my)) continue;
        if (a->now - a->hover_since < 0.4) return; /* the mouse must rest on it first */
        const Control *c = control(wd->id);
        char buf[300];
        if (c->key)
            snprintf(buf, sizeof buf, "%s (%s)%s", c->tip, c->key, c->kind == CTL_SPIN ? "; click the value to type one" : "");
        else
            snprintf(buf, sizeof buf, "%s%s", c->tip, c->kind == CTL_SPIN ? "; click the value to type one" : "");
        ui_tooltip_wrapped(a, buf);
        return;
    }
}

void control_edit_text(App *a, const char *utf8) {
    for (const char *p = utf8; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p; /* the grammar is lower case */
        /* what a value can hold: numbers (1e-3), names (adam, cosine), sizes and layers (784-64-10) */
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == ',' || c == '.' || c == '+') {
            size_t n = strlen(a->edit);
            if (n + 1 < sizeof a->edit) a->edit[n] = c, a->edit[n + 1] = 0;
        }
    }
}

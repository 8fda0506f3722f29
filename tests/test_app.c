/* test_app.c - the window's logic without a window: synthetic mouse and key events drive the
 * App, and the test checks its state, the actions it queues and the draw commands it emits
 * (drawing, erase, undo, clear, the 28x28 input, bars = probabilities, blank and low-confidence
 * states, controls, overlays, layout and the trace). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "session.h"
#include "fixtures.h"

static int has_text(const App *a, const char *needle) {
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&a->dl, &a->dl.cmds[i]), needle)) return 1;
    return 0;
}

static int count_type(const App *a, CmdType t) {
    int n = 0;
    for (int i = 0; i < a->dl.n; i++) n += a->dl.cmds[i].type == t;
    return n;
}

static int last_action(const App *a) { return a->nact ? (int)a->act[a->nact - 1].type : 0; }

static const Widget *widget(const App *a, int id) {
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == id) return &a->widgets[i];
    return NULL;
}

static void click(App *a, Rect r) {
    app_mouse_down(a, r.x + r.w / 2, r.y + r.h / 2, BTN_LEFT);
    app_mouse_up(a, r.x + r.w / 2, r.y + r.h / 2, BTN_LEFT);
}

/* Drags with the given button through n points, as the platform would deliver motion events. */
static void drag(App *a, int button, const int *xy, int n) {
    app_mouse_down(a, xy[0], xy[1], button);
    for (int i = 1; i < n; i++) app_mouse_move(a, xy[2 * i], xy[2 * i + 1]);
    app_mouse_up(a, xy[2 * n - 2], xy[2 * n - 1], button);
}

/* A softmax net whose logits are w.x + b with w = 0: probabilities are softmax(b) for any drawing. */
static void fixed_net(Net *n, const float *bias) {
    char err[ERR_LEN];
    int sizes[] = {784, 10};
    net_create(n, sizes, 1, BIAS_NEURON, 0, err);
    for (int k = 0; k < 10; k++) n->b[0][k] = bias[k];
}

int main(void) {
    char err[ERR_LEN];
    static App app;
    App *a = &app;
    char dir[] = "/tmp/digitrec_test_app_XXXXXX", models[600];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(models, sizeof models, "%s/models", dir);
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);
    char *trace_buf = NULL;
    size_t trace_len = 0;
    FILE *trace = open_memstream(&trace_buf, &trace_len);
    Session sess;
    session_init(&sess, a, trace);
    snprintf(sess.models_dir, sizeof sess.models_dir, "%s", models);
    snprintf(sess.recent_file, sizeof sess.recent_file, "%s/recent", dir); /* the recent-files list in the temp folder */
    app_resize(a, a->w, a->h);

    /* layout: the canvas is a big square inside the window, traced at start */
    CHECK(a->lay.canvas.w == a->lay.canvas.h && a->lay.canvas.w >= 300, "canvas %dx%d", a->lay.canvas.w, a->lay.canvas.h);
    CHECK(a->lay.canvas.x >= 0 && a->lay.canvas.y > a->lay.bar_h - 1 && a->lay.canvas.y + a->lay.canvas.h < a->lay.status.y, "canvas inside");
    fflush(trace);
    CHECK(trace_len > 0 && strstr(trace_buf, "\"event\":\"layout\""), "layout traced");
    char want[96];
    snprintf(want, sizeof want, "\"canvas\":[%d,%d,%d,%d]", a->lay.canvas.x, a->lay.canvas.y, a->lay.canvas.w, a->lay.canvas.h);
    CHECK(strstr(trace_buf, want) != NULL, "trace has %s", want);
    /* no two top-level panels overlap */
    Rect panels[] = {a->lay.canvas, a->lay.probs_panel, a->lay.loss_plot, a->lay.acc_plot, a->lay.heat, a->lay.preview, a->lay.verdict};
    int np = (int)(sizeof panels / sizeof panels[0]);
    for (int i = 0; i < np; i++)
        for (int j = i + 1; j < np; j++) {
            Rect p = panels[i], q = panels[j];
            int ov = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
            CHECK(!ov, "panels %d and %d overlap", i, j);
        }
    /* widgets stay inside the window and do not overlap each other */
    for (int i = 0; i < a->nwidgets; i++) {
        Rect p = a->widgets[i].r;
        CHECK(p.x >= 0 && p.x + p.w <= a->w && p.y >= 0, "widget %d inside", a->widgets[i].id);
        for (int j = i + 1; j < a->nwidgets; j++) {
            Rect q = a->widgets[j].r;
            int ov = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
            CHECK(!ov, "widgets %d and %d overlap", a->widgets[i].id, a->widgets[j].id);
        }
    }

    /* the same at other window sizes, down to the smallest the window allows */
    static const int sizes[][2] = {{800, 560}, {800, 600}, {1000, 700}, {1100, 760}, {1920, 1080}};
    for (int k = 0; k < 5; k++) {
        app_resize(a, sizes[k][0], sizes[k][1]);
        for (int i = 0; i < a->nwidgets; i++) {
            Rect p = a->widgets[i].r;
            CHECK(p.x >= 0 && p.x + p.w <= a->w && p.y >= 0, "%dx%d: widget %d inside", a->w, a->h, a->widgets[i].id);
            for (int j = i + 1; j < a->nwidgets; j++) {
                Rect q = a->widgets[j].r;
                int ov = p.w > 0 && q.w > 0 && p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
                CHECK(!ov, "%dx%d: widgets %d and %d overlap", a->w, a->h, a->widgets[i].id, a->widgets[j].id);
            }
        }
    }
    app_resize(a, 1280, 800);

    /* before any network: a frame still draws, with the drawing prompt */
    app_frame(a, 0);
    CHECK(a->dl.n > 20 && !a->dl.oom, "a frame of %d commands", a->dl.n);
    CHECK(has_text(a, "Draw a digit here"), "blank canvas shows a prompt");
    /* data whose classes are not digits (Fashion-MNIST's): the prompt does not ask for a digit */
    app_set_classes(a, "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot");
    app_frame(a, 0);
    CHECK(!has_text(a, "Draw a digit"), "clothes: no digit prompt");
    CHECK(has_text(a, "Draw here"), "clothes: the big prompt");
    CHECK(has_text(a, "Draw an item"),
          "clothes: the canvas asks for an item, not a digit");
    app_set_classes(a, NULL);
    app_frame(a, 0);
    CHECK(has_text(a, "Draw a digit here"), "digits again: the digit prompt");

    /* a network that prefers class 4 strongly: 4 gets ~98% */
    float bias[10] = {0, 0, 0, 0, 6, 0, 0, 0, 0, 1};
    Net n;
    fixed_net(&n, bias);
    fixture_install(a, &n);
    CHECK(a->top == -1 && !a->has_ink, "blank canvas: no guess");
    app_frame(a, 0.1);
    CHECK(has_text(a, "No drawing yet"), "verdict prompt on a blank canvas");
    CHECK(!has_text(a, "sure") && !has_text(a, "98."), "no confident guess for a blank canvas");

    /* draw a vertical stroke on the canvas with the left button */
    Rect c = a->lay.canvas;
    int stroke[] = {c.x + c.w / 2, c.y + c.h / 5, c.x + c.w / 2, c.y + c.h / 2, c.x + c.w / 2 + 2, c.y + c.h * 4 / 5};
    long np0 = a->npredictions;
    drag(a, BTN_LEFT, stroke, 3);
    CHECK(a->has_ink && a->canvas_px.nstrokes == 1, "one stroke of ink");
    CHECK(a->npredictions >= np0 + 3, "a prediction per stroke segment (%ld)", a->npredictions - np0);
    CHECK(a->top == 4, "top class 4, got %d", a->top);
    double e = 0, ssum = 0;
    for (int k = 0; k < 10; k++) e += exp(bias[k]);
    for (int k = 0; k < 10; k++) {
        CHECK(fabs(a->probs[k] - exp(bias[k]) / e) < 1e-5, "probs[%d] = %g", k, a->probs[k]);
        ssum += a->probs[k];
    }
    CHECK(fabs(ssum - 1) < 1e-5, "probabilities sum to 1");
    /* the input the network sees is the preprocessed drawing: centred, in [0,1] */
    double m = 0, cx = 0;
    for (int i = 0; i < 784; i++) m += a->input[i], cx += a->input[i] * (i % 28);
    CHECK(m > 5 && fabs(cx / m - 14) < 1.5, "input centred (mass %g, x %g)", m, cx / m);

    /* bars = probabilities: the drawn bar widths and percentage labels match */
    app_frame(a, 0.2);
    char pc[32];
    snprintf(pc, sizeof pc, "%.1f%%", a->probs[4] * 100.0);
    CHECK(has_text(a, pc), "percentage %s shown", pc);
    snprintf(pc, sizeof pc, "%.1f%%", a->probs[9] * 100.0);
    CHECK(has_text(a, pc), "percentage %s shown", pc);
    CHECK(has_text(a, "sure") && !has_text(a, "low confidence"), "confident guess");
    {
        /* find the track (width W) and the bar of class 4 at the same x: bar.w / W = p */
        int found = 0;
        for (int i = 0; i + 1 < a->dl.n && !found; i++) {
            const DrawCmd *t = &a->dl.cmds[i], *b = &a->dl.cmds[i + 1];
            if (t->type == CMD_RECT && b->type == CMD_RECT && t->r.x == b->r.x && t->r.y == b->r.y && t->r.h == a->lay.prob_row - 8 &&
                b->r.h == a->lay.prob_row - 8 && rect_contains(a->lay.probs_panel, t->r.x, t->r.y) && b->r.w > t->r.w / 2) {
                double frac = (double)b->r.w / t->r.w;
                CHECK(fabs(frac - a->probs[4]) < 0.01, "bar fraction %g vs %g", frac, a->probs[4]);
                found = 1;
            }
        }
        CHECK(found, "the top bar was drawn");
    }

    /* images: canvas and the 28x28 preview are there, the preview nearest-scaled */
    CHECK(a->img[IMG_PREVIEW].w == 28 && !a->img[IMG_PREVIEW].smooth, "28x28 preview with visible pixels");
    CHECK(count_type(a, CMD_IMAGE) >= 12, "canvas, preview, 10 templates, colour bar");

    /* a uniform network: every class 10% -> marked low confidence */
    float flat[10] = {0};
    Net u;
    fixed_net(&u, flat);
    fixture_install(a, &u);
    app_frame(a, 0.3);
    CHECK(a->probs[a->top] < CALIB_SURE_P && a->state == READ_UNSURE && has_text(a, "not sure"), "a doubtful reading says so");
    fixture_install(a, &n);

    /* right button erases: a wide eraser over the whole stroke removes the ink */
    int erase[] = {c.x + c.w / 2, c.y + 5, c.x + c.w / 2, c.y + c.h - 5};
    drag(a, BTN_RIGHT, erase, 2);
    CHECK(!a->has_ink && a->top == -1, "erased: blank again");
    CHECK(a->canvas_px.nstrokes == 2, "the erase is a stroke");
    /* Ctrl+Z undoes the erase */
    app_key(a, KEY_Z, MOD_CTRL);
    CHECK(a->has_ink && a->top == 4 && a->canvas_px.nstrokes == 1, "undo brings the drawing back");
    /* C clears; Ctrl+Z undoes the clear; Backspace clears too */
    app_key(a, KEY_C, 0);
    CHECK(!a->has_ink, "C clears");
    app_key(a, KEY_Z, MOD_CTRL);
    CHECK(a->has_ink, "clear is undoable");
    app_key(a, KEY_BACKSPACE, 0);
    CHECK(!a->has_ink, "Backspace clears");
    /* the Undo and Clear buttons do the same */
    click(a, widget(a, WID_UNDO)->r);
    CHECK(a->has_ink, "Undo button");
    click(a, widget(a, WID_CLEAR)->r);
    CHECK(!a->has_ink, "Clear button");

    /* controls queue actions */
    a->nact = 0;
    app_key(a, KEY_SPACE, 0);
    CHECK(last_action(a) == ACT_RUN, "Space starts training");
    a->snap.running = 1;
    app_key(a, KEY_SPACE, 0);
    CHECK(last_action(a) == ACT_PAUSE, "Space pauses when running");
    a->snap.running = 0;
    app_key(a, KEY_N, 0);
    CHECK(last_action(a) == ACT_STEP, "N steps");
    app_key(a, KEY_R, 0);
    CHECK(last_action(a) == ACT_RESET, "R resets");
    app_key(a, KEY_S, MOD_CTRL);
    CHECK(last_action(a) == ACT_SAVE, "Ctrl+S saves");
    click(a, widget(a, WID_TRAIN)->r);
    CHECK(last_action(a) == ACT_RUN, "Train button");
    click(a, widget(a, WID_STEP)->r);
    CHECK(last_action(a) == ACT_STEP, "Step button");
    click(a, widget(a, WID_SAVE)->r);
    CHECK(last_action(a) == ACT_SAVE, "Save button");
    app_drop_file(a, "/x/y.safetensors");
    CHECK(last_action(a) == ACT_DROP && !strcmp(a->act[a->nact - 1].path, "/x/y.safetensors"), "a drop goes to the session");
    app_key(a, KEY_Q, MOD_CTRL);
    CHECK(last_action(a) == ACT_QUIT, "Ctrl+Q quits");
    a->nact = 0;

    /* learning rate: the > arrow raises it, the wheel and Down lower it; each configures the worker */
    float lr0 = a->ctl.train.lr;
    const Widget *lw = widget(a, WID_LR);
    click(a, lw->inc);
    CHECK(a->ctl.train.lr > lr0 && last_action(a) == ACT_CONFIGURE, "lr up to %g", a->ctl.train.lr);
    app_wheel(a, lw->r.x + 2, lw->r.y + 2, -1);
    CHECK(fabsf(a->ctl.train.lr - lr0) < 1e-7f, "wheel down restores %g", a->ctl.train.lr);
    app_key(a, KEY_DOWN, 0);
    CHECK(a->ctl.train.lr < lr0, "Down lowers lr");
    int b0 = a->ctl.train.batch;
    click(a, widget(a, WID_BATCH)->inc);
    CHECK(a->ctl.train.batch == b0 * 2, "batch %d -> %d", b0, a->ctl.train.batch);
    OptKind o0 = a->ctl.train.opt;
    click(a, widget(a, WID_OPT)->inc);
    CHECK(a->ctl.train.opt != o0, "optimiser changes");
    int e0 = a->ctl.train.epochs;
    click(a, widget(a, WID_EPOCHS)->dec);
    CHECK(a->ctl.train.epochs == e0 - 1, "epochs down");
    /* architecture: cycle to MLP sizes, then type custom sizes */
    click(a, widget(a, WID_ARCH)->inc);
    CHECK(a->arch == ARCH_MLP && !strcmp(a->ctl.arch, "784-128-64-10"), "arch -> mlp");
    click(a, widget(a, WID_ARCH)->val);
    CHECK(a->editing, "clicking the network value edits it");
    app_key(a, KEY_BACKSPACE, 0);
    app_key(a, KEY_BACKSPACE, 0);
    app_key(a, KEY_BACKSPACE, 0);
    app_key(a, KEY_BACKSPACE, 0);
    app_text(a, "784-32-10");
    CHECK(!strcmp(a->edit, "784-32-10"), "typed %s", a->edit);
    app_key(a, KEY_RETURN, 0);
    CHECK(!a->editing && a->arch == ARCH_CUSTOM && !strcmp(a->ctl.arch, "784-32-10"), "custom 784-32-10");
    click(a, widget(a, WID_ARCH)->val);
    snprintf(a->edit, sizeof a->edit, "%s", "");
    app_text(a, "12-5");
    app_key(a, KEY_RETURN, 0);
    CHECK((a->msg_sev == SEV_ERROR) && !strcmp(a->ctl.arch, "784-32-10"), "bad sizes refused with a message: %s", a->msg);
    WorkerConfig wc;
    CHECK(app_parse_arch("784,64,10", &wc, err) == 0 && !strcmp(wc.arch, "784-64-10"), "commas accepted");
    CHECK(app_parse_arch("784-0-10", &wc, err) != 0, "zero width refused");
    CHECK(app_parse_arch("784-10-9", &wc, err) != 0, "wrong output size refused");
    /* grammar strings: typed (in any case), canonical, refused with the parser's one line */
    CHECK(app_parse_arch("conv8k5p2-relu-pool-fc10", &wc, err) == 0 && !strcmp(wc.arch, "conv8k5-relu-pool-fc10"),
          "grammar accepted: %s", wc.arch);
    CHECK(app_parse_arch("conv8k9-relu-pool-fc10", &wc, err) != 0 && strstr(err, "kernel size 9") && !strchr(err, '\n'),
          "kernel 9 refused: %s", err);
    CHECK(app_parse_arch("conv8k5-relu-pool-fc7", &wc, err) != 0 && strstr(err, "10 outputs"), "7 classes refused: %s", err);
    click(a, widget(a, WID_ARCH)->val);
    snprintf(a->edit, sizeof a->edit, "%s", "");
    app_text(a, "Conv4K3-relu-POOL-fc10");
    app_key(a, KEY_RETURN, 0);
    CHECK(!a->editing && a->arch == ARCH_CUSTOM && !strcmp(a->ctl.arch, "conv4k3-relu-pool-fc10") &&
              !strcmp(a->custom, "conv4k3-relu-pool-fc10"), "typed grammar: %s", a->ctl.arch);
    click(a, widget(a, WID_ARCH)->val);
    snprintf(a->edit, sizeof a->edit, "%s", "");
    app_text(a, "conv4k3-gelu-fc10");
    app_key(a, KEY_RETURN, 0);
    CHECK(a->msg_sev == SEV_ERROR && strstr(a->msg, "unknown layer") && !strcmp(a->ctl.arch, "conv4k3-relu-pool-fc10"),
          "bad grammar refused with a message: %s", a->msg);
    /* the cycle: custom -> softmax -> mlp -> cnn -> custom */
    click(a, widget(a, WID_ARCH)->inc);
    CHECK(a->arch == ARCH_SOFTMAX && !strcmp(a->ctl.arch, "784-10"), "arch -> softmax: %s", a->ctl.arch);
    click(a, widget(a, WID_ARCH)->inc);
    click(a, widget(a, WID_ARCH)->inc);
    CHECK(a->arch == ARCH_CONVNET && !strcmp(a->ctl.arch, ARCH_CNN), "arch -> cnn: %s", a->ctl.arch);
    click(a, widget(a, WID_ARCH)->inc);
    CHECK(a->arch == ARCH_CUSTOM && !strcmp(a->ctl.arch, "conv4k3-relu-pool-fc10"), "arch -> custom: %s", a->ctl.arch);
    click(a, widget(a, WID_ARCH)->dec);
    CHECK(a->arch == ARCH_CONVNET, "arch back to cnn");
    /* the augmentation switch goes to the worker with the settings: off, shape, shape and ink, off */
    a->ctl.train.augment = 0;
    int nact = a->nact;
    click(a, widget(a, WID_AUGMENT)->r);
    CHECK(a->ctl.train.augment == 1 && a->nact == nact + 1 && a->act[a->nact - 1].type == ACT_CONFIGURE,
          "augment on (shape) and configures");
    click(a, widget(a, WID_AUGMENT)->r);
    CHECK(a->ctl.train.augment == 2 && strstr(a->msg, "ink"), "again: the ink too (%s)", a->msg);
    click(a, widget(a, WID_AUGMENT)->r);
    CHECK(a->ctl.train.augment == 0, "a third time: off");

    /* log scale toggle, help overlay, open dialog */
    int lg = a->log_scale;
    app_key(a, KEY_L, 0);
    CHECK(a->log_scale != lg, "L toggles log scale");
    app_key(a, KEY_F1, 0);
    CHECK(a->show_help, "F1 opens help");
    app_frame(a, 0.4);
    CHECK(has_text(a, "Keyboard and mouse") && has_text(a, "Ctrl+Z"), "help lists shortcuts");
    app_key(a, KEY_ESCAPE, 0);
    CHECK(!a->show_help, "Esc closes help");
    app_key(a, KEY_QUESTION, 0);
    CHECK(a->show_help, "? opens help");
    app_mouse_down(a, 5, 5, BTN_LEFT);
    CHECK(!a->show_help, "a click closes help");
    app_key(a, KEY_O, MOD_CTRL);
    CHECK(a->open.show && last_action(a) == ACT_LIST_MODELS, "Ctrl+O opens the model list and asks for its files");
    app_frame(a, 0.5);
    CHECK(has_text(a, "Open a model"), "open dialog drawn");
    app_key(a, KEY_ESCAPE, 0);
    CHECK(!a->open.show, "Esc closes it");

    /* resize: layout follows, stays sane, and is traced */
    app_resize(a, 1000, 700);
    CHECK(a->w == 1000 && a->lay.canvas.x + a->lay.canvas.w < a->lay.probs_panel.x && a->lay.heat.x + a->lay.heat.w <= 1000, "layout at 1000x700");
    app_frame(a, 0.6);
    fflush(trace);
    CHECK(strstr(trace_buf, "\"window\":[1000,700]") != NULL, "resize traced");
    CHECK(strstr(trace_buf, "\"event\":\"prediction\",\"digit\":4") != NULL, "predictions traced");

    /* hovering a template tile shows its enlarged view with index and bias */
    Rect t = a->lay.tiles_area;
    app_mouse_move(a, t.x + 2, t.y + 2);
    CHECK(a->hover_tile == 0, "hover tile 0, got %d", a->hover_tile);
    app_frame(a, 0.7);
    CHECK(has_text(a, "bias +0.0000") || has_text(a, "bias -0.0000") || has_text(a, "bias"), "hover shows bias");
    CHECK(has_text(a, "unit 0"), "hover shows the unit index");

    /* unsaved logic */
    a->snap.step = 0;
    CHECK(!app_unsaved(a), "no steps: nothing unsaved");
    a->snap.step = 10;
    CHECK(app_unsaved(a), "steps since the last save are unsaved");
    a->saved_gen = a->snap.generation, a->saved_step = 10;
    CHECK(!app_unsaved(a), "saved");

    /* class names from model metadata */
    app_set_classes(a, "zero,one,two");
    CHECK(!strcmp(a->classes[1], "one") && !strcmp(a->classes[5], "5"), "classes csv");

    /* colour map: diverging around a dark zero */
    uint8_t lo[3], mid[3], hi[3];
    app_colormap(-1, lo), app_colormap(0, mid), app_colormap(1, hi);
    CHECK(lo[2] > lo[0] && hi[0] > hi[2] && mid[0] < 40 && mid[1] < 40 && mid[2] < 40, "blue-dark-orange");
    CHECK(fabs(app_nice_step(10, 5) - 2) < 1e-12 && fabs(app_nice_step(0.9, 4) - 0.2) < 1e-12, "nice steps");

    /* session without a worker: saving works (the app's network), actions needing the worker report */
    app_set_classes(a, NULL);
    a->nact = 0;
    app_push_action(a, ACT_SAVE, NULL);
    app_push_action(a, ACT_RUN, NULL);
    CHECK(session_apply(&sess) == 0, "apply");
    CHECK((a->msg_sev == SEV_ERROR), "run without a worker reports an error");
    session_list_models(&sess);
    int listed = -1;
    for (int i = 0; i < a->open.nlocal; i++)
        if (a->open.ent[i].kind == OPEN_MODEL && strstr(a->open.ent[i].path, "/models/digitrec-softmax-")) listed = i;
    CHECK(listed >= 0 && !strcmp(a->open.ent[listed].arch, "784-10"), "the save is listed with its sizes: %d of %d", listed,
          a->open.nlocal);

    fclose(trace);
    free(trace_buf);
    net_free(&n);
    net_free(&u);
    session_free(&sess);
    app_free(a);
    return check_summary("test_app");
}

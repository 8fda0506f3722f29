/* test_controls.c - the controls by keyboard and by typing: Tab and Shift+Tab visit every control
 * in the window's order (with a visible ring), Enter presses a button or opens a spin's value for
 * typing, the arrows step a spin, a typed value goes in (and a bad one is refused with a line),
 * clicking a value types instead of stepping, and resting the mouse on a control shows what it
 * does and its key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "controls.h"
#include "fixtures.h"
#include "ui.h"

static int last_action(const App *a) { return a->nact ? (int)a->act[a->nact - 1].type : 0; }

static const Widget *widget(const App *a, int id) {
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == id) return &a->widgets[i];
    return NULL;
}

static int has_text(const App *a, const char *needle) {
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&a->dl, &a->dl.cmds[i]), needle)) return 1;
    return 0;
}

/* Types text into the focused spin: Enter, the characters (after erasing what is there), Enter. */
static void type_value(App *a, const char *text) {
    app_key(a, KEY_RETURN, 0);
    for (int i = 0; i < 40; i++) app_key(a, KEY_BACKSPACE, 0);
    app_text(a, text);
    app_key(a, KEY_RETURN, 0);
}

static void focus_on(App *a, int id) {
    a->focus = -1;
    for (int i = 0; i < a->nwidgets + 1 && a->focus != id; i++) app_key(a, KEY_TAB, 0);
}

int main(void) {
    char err[ERR_LEN];
    static App app;
    App *a = &app;
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);

    /* Tab visits every laid-out control once, in layout order, then wraps; Shift+Tab goes back */
    CHECK(a->focus == -1, "no focus at start");
    int visited[WID_COUNT] = {0}, order[APP_MAX_WIDGETS], n = 0;
    for (int i = 0; i < a->nwidgets; i++) {
        app_key(a, KEY_TAB, 0);
        CHECK(a->focus >= 0 && a->focus < WID_COUNT, "Tab %d focuses a control (%d)", i, a->focus);
        if (a->focus < 0 || a->focus >= WID_COUNT) break;
        visited[a->focus]++;
        order[n++] = a->focus;
    }
    int laid = 0, twice = 0;
    for (int i = 0; i < a->nwidgets; i++) {
        if (a->widgets[i].r.w <= 0) continue;
        laid++;
        twice += visited[a->widgets[i].id] != 1;
    }
    CHECK(n == laid && twice == 0, "%d Tabs visit the %d visible controls once each", n, laid);
    CHECK(order[0] == a->widgets[0].id, "in layout order: first %d", order[0]);
    app_key(a, KEY_TAB, 0);
    CHECK(a->focus == order[0], "Tab wraps to the first");
    app_key(a, KEY_TAB, MOD_SHIFT);
    CHECK(a->focus == order[n - 1], "Shift+Tab goes back to the last");
    /* the ring: an accent frame just around the focused control */
    app_frame(a, 1);
    const Widget *fw = widget(a, a->focus);
    int ring = 0;
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        ring |= c->type == CMD_FRAME && c->r.x == fw->r.x - 2 && c->r.w == fw->r.w + 4 && c->c.b == UI_ACCENT.b &&
                c->c.r == UI_ACCENT.r;
    }
    CHECK(ring, "a focus ring is drawn");
    app_key(a, KEY_ESCAPE, 0);
    CHECK(a->focus == -1, "Esc lets go of the focus");

    /* Enter presses a focused button */
    focus_on(a, WID_STEP);
    a->nact = 0;
    app_key(a, KEY_RETURN, 0);
    CHECK(a->focus == WID_STEP && last_action(a) == ACT_STEP, "Enter on Step steps");

    /* the arrows step a focused spin (Up/Down too: not the global rate keys then) */
    focus_on(a, WID_BATCH);
    int b0 = a->ctl.train.batch;
    app_key(a, KEY_RIGHT, 0);
    CHECK(a->ctl.train.batch > b0, "Right raises the batch: %d -> %d", b0, a->ctl.train.batch);
    float lr0 = a->ctl.train.lr;
    app_key(a, KEY_DOWN, 0);
    CHECK(a->ctl.train.batch == b0 && a->ctl.train.lr == lr0, "Down lowers the focused batch, not the rate");

    /* typing a value into each spin */
    struct {
        int id;
        const char *text, *bad;
    } cases[] = {{WID_LR, "0.0123", "-3"}, {WID_BATCH, "100", "0"}, {WID_EPOCHS, "7", "2.5"}, {WID_SEED, "42", "x"},
                 {WID_SCHED, "cosine", "fast"}, {WID_OPT, "adam", "lbfgs"}, {WID_ARCH, "conv8k5-relu-pool-fc10", "conv8k9-fc10"},
                 {WID_ARCH, "784-50-10", "784-50"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        focus_on(a, cases[k].id);
        CHECK(a->focus == cases[k].id, "focused %d", cases[k].id);
        WorkerConfig before = a->ctl;
        a->nact = 0;
        type_value(a, cases[k].bad);
        CHECK(a->msg_sev == SEV_ERROR && !memcmp(&before, &a->ctl, sizeof before), "control %d refuses \"%s\": %s", cases[k].id,
              cases[k].bad, a->msg);
        type_value(a, cases[k].text);
        CHECK(!a->editing, "typing ends with Enter");
        char buf[96];
        const char *shown = control_text(a, cases[k].id, buf, sizeof buf);
        CHECK(!strcmp(shown, cases[k].text), "control %d shows what was typed: %s", cases[k].id, shown);
    }
    CHECK(fabsf(a->ctl.train.lr - 0.001f) < 1e-9f && a->ctl.train.opt == OPT_ADAM, "adam came with its own rate");
    CHECK(a->ctl.train.batch == 100 && a->ctl.train.epochs == 7 && a->ctl.train.seed == 42 &&
              a->ctl.train.schedule == SCHED_COSINE,
          "typed values in the settings");
    CHECK(!strcmp(a->ctl.arch, "784-50-10"), "the typed network: %s", a->ctl.arch);
    /* Esc while typing leaves the value as it was */
    focus_on(a, WID_EPOCHS);
    app_key(a, KEY_RETURN, 0);
    app_text(a, "99");
    app_key(a, KEY_ESCAPE, 0);
    CHECK(!a->editing && a->ctl.train.epochs == 7, "Esc cancels typing");

    /* a click on a spin's value starts typing it; its arrows still step */
    const Widget *ew = widget(a, WID_EPOCHS);
    app_mouse_down(a, ew->val.x + ew->val.w / 2, ew->val.y + ew->val.h / 2, BTN_LEFT);
    app_mouse_up(a, ew->val.x + ew->val.w / 2, ew->val.y + ew->val.h / 2, BTN_LEFT);
    CHECK(a->editing && a->edit_id == WID_EPOCHS, "clicking the value types");
    app_key(a, KEY_ESCAPE, 0);
    app_mouse_down(a, ew->inc.x + 2, ew->inc.y + 2, BTN_LEFT);
    app_mouse_up(a, ew->inc.x + 2, ew->inc.y + 2, BTN_LEFT);
    CHECK(!a->editing && a->ctl.train.epochs == 8, "its arrow steps");

    /* tooltips: resting on a control says what it does and its key */
    const Widget *sv = widget(a, WID_SAVE);
    a->now = 10;
    app_mouse_move(a, sv->r.x + 3, sv->r.y + 3);
    app_frame(a, 10.1);
    CHECK(!has_text(a, "Ctrl+S)"), "no tooltip while the mouse is moving");
    app_frame(a, 11);
    CHECK(has_text(a, "save the network") && has_text(a, "Ctrl+S"), "the Save tooltip with its key");
    int with_tip = 0;
    for (int id = 0; id < WID_COUNT; id++) with_tip += control(id)->tip != NULL && control(id)->tip[0];
    CHECK(with_tip == WID_COUNT, "every control has a tooltip (%d of %d)", with_tip, WID_COUNT);

    /* the help lists the keyboard */
    app_key(a, KEY_F1, 0);
    app_frame(a, 12);
    CHECK(has_text(a, "Tab / Shift+Tab") && has_text(a, "Ctrl+R"), "help lists focus keys and Revert");
    app_free(a);
    return check_summary("test_controls");
}

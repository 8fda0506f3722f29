/* test_startup.c - the window's start-up policy without a window: the folders a session gets
 * from places under a HOME, the network it opens with (--arch, --model, a bad --model, the shipped model),
 * the folders a session is given, and the scripted run's first steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "fixtures.h"
#include "session.h"
#include "startup.h"

int main(void) {
    char err[ERR_LEN], buf[1200];

    char dir[] = "/tmp/digitrec_test_startup_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("HOME", dir, 1);

    static App app;
    static Session s;
    WindowOptions o;
    window_options_default(&o);
    CHECK(o.w == 1280 && o.h == 800 && o.seed == 1 && o.draw_demo == -1 && o.cell_t == -1, "defaults");
    o.data = "/nonexistent/digitrec-data";

    /* a fresh network of typed sizes, folders under HOME */
    o.arch = "784-32-10";
    o.seed = 7;
    CHECK(session_start(&s, &app, &o, NULL, err) == 0, "%s", err);
    CHECK(app.snap.net.params && app.snap.net.nlayers == 2 && app.snap.net.sizes[1] == 32, "the typed network");
    CHECK(app.arch == ARCH_CUSTOM && app.ctl.train.seed == 7 && app.ctl.train.schedule == SCHED_CONST, "controls: custom, seed 7");
    snprintf(buf, sizeof buf, "%s/.local/share/digitrec/personal", dir);
    CHECK(!strcmp(s.personal_dir, buf), "personal folder %s", s.personal_dir);
    snprintf(buf, sizeof buf, "%s/.local/share/digitrec/exports", dir);
    CHECK(!strcmp(s.export_dir, buf), "export folder %s", s.export_dir);
    snprintf(buf, sizeof buf, "%s/.local/share/digitrec/autosave", dir);
    CHECK(!strcmp(s.autosave_dir, buf), "autosave folder %s", s.autosave_dir);
    /* the scripted run waits for data, then gives up without it */
    AutoTrain at = {1.0, 0, time_now(), 0, 0, NULL};
    int busy = 1;
    for (int t = 0; t < 600 && busy; t++) {
        session_sync(&s);
        busy = autotrain_tick(&at, &app, time_now());
        sleep_ms(5);
    }
    CHECK(!busy && at.phase == 2 && !app.snap.have_data, "no data: nothing to train (%s)", app.snap.data_desc);
    char msg[1200];
    CHECK(session_close(&s, msg, sizeof msg) == 0, "nothing to autosave: %s", msg);
    session_free(&s);
    app_free(&app);

    /* a model that is not one: one line, nothing left running */
    snprintf(buf, sizeof buf, "%s/broken.safetensors", dir);
    FILE *f = fopen(buf, "wb");
    fputs("no", f);
    fclose(f);
    o.arch = NULL;
    o.model = buf;
    CHECK(session_start(&s, &app, &o, NULL, err) == -1 && strstr(err, "broken.safetensors") && !strchr(err, '\n'),
          "a bad --model is refused: %s", err);

    /* the shipped model, when there is one to find */
    o.model = NULL;
    CHECK(session_start(&s, &app, &o, NULL, err) == 0, "%s", err);
    if (!s.baseline.params) {
        CHECK(strstr(app.msg, "no shipped model") && app.snap.net.nlayers == 3 && !app.classes_from_model,
              "no shipped model: a fresh MLP (%s)", app.msg);
    } else {
        /* the shipped CNN when it is there, else the MLP */
        int cnn = strstr(s.baseline_name, "cnn.safetensors") != NULL;
        CHECK((cnn ? app.arch == ARCH_CONVNET && app.snap.net.stack
                   : strstr(s.baseline_name, "mlp.safetensors") && app.arch == ARCH_MLP) &&
                  app.classes_from_model,
              "the shipped default: %s", s.baseline_name);
        /* its metadata fills the controls; its cosine-trained rate goes on at a tenth, constant */
        CHECK(app.ctl.train.opt == OPT_MOMENTUM && fabsf(app.ctl.train.lr - 0.005f) < 1e-7f &&
                  app.ctl.train.schedule == SCHED_CONST && app.ctl.train.batch == 64,
              "controls from its metadata: %s %g", optim_name(app.ctl.train.opt), (double)app.ctl.train.lr);
    }
    session_close(&s, msg, sizeof msg);
    session_free(&s);
    app_free(&app);

    snprintf(buf, sizeof buf, "rm -rf '%s'", dir); /* dir came from mkdtemp */
    CHECK(system(buf) == 0, "clean up");
    return check_summary("test_startup");
}

/* test_runs.c - comparing runs without a window, with a real training worker on a synthetic set:
 * a Reset (or a switch of architecture) keeps the previous run's curves, which the loss and
 * accuracy plots draw beside the current one with a legend; at most APP_MAX_RUNS are kept, the
 * oldest going first; Ctrl+E exports the history of every run as CSV (one row per step and per
 * test measurement, labels quoted) and hands the rest to the platform's exporter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "session.h"
#include "worker.h"
#include "fixtures.h"

static int has_text(const App *a, const char *needle) {
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&a->dl, &a->dl.cmds[i]), needle)) return 1;
    return 0;
}

static Session sess;

/* Steps the worker n times and syncs the app until it has them. */
static void train_steps(App *a, Worker *w, long n) {
    long want = a->snap.step + n;
    worker_step(w, (int)n);
    for (int t = 0; t < 3000 && a->snap.step < want; t++) {
        session_sync(&sess);
        sleep_ms(5);
    }
}

static int mem_sink(void *ud, const char *text, size_t n) { return fwrite(text, 1, n, (FILE *)ud) == n ? 0 : -1; }

static int fake_calls;
static int fake_exporter(void *ud, App *a, const char *prefix, char *err) {
    (void)ud, (void)a, (void)err;
    fake_calls++;
    char path[1200];
    snprintf(path, sizeof path, "%s-canvas.png", prefix);
    FILE *f = fopen(path, "wb");
    if (f) fclose(f);
    return 1;
}

int main(void) {
    char err[ERR_LEN];
    char dir[] = "/tmp/digitrec_test_runs_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", dir, 1);
    static App app;
    App *a = &app;
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *trace = open_memstream(&tbuf, &tlen);
    session_init(&sess, a, trace);

    Dataset train, test;
    fixture_dataset(&train, 1000, 1);
    fixture_dataset(&test, 200, 2);
    WorkerConfig cfg;
    worker_config_default(&cfg, "softmax");
    cfg.train.batch = 50;
    Net net;
    net_create_str(&net, cfg.arch, err);
    net_init_he(&net, 1);
    WorkerSetup setup = {0};
    setup.train = &train, setup.test = &test, setup.publish_ms = 20, setup.eval_subset = 100;
    Worker *w = worker_start(&setup, &net, &cfg, err);
    CHECK(w != NULL, "%s", err);
    sess.worker = w;
    a->ctl = cfg;
    session_sync(&sess);

    /* run 1: softmax, 45 steps (past an epoch of 20, so there are test points) */
    train_steps(a, w, 45);
    CHECK(a->snap.loss.n == 45 && a->snap.nevals > 0, "run 1: %ld steps, %d tests", a->snap.loss.n, a->snap.nevals);
    long n1 = a->snap.loss.n;
    float first_loss = NAN;
    CHECK(spool_read(a->snap.spool, 0, 1, &first_loss) == 1, "the first step's loss is in the spool");
    double acc1 = a->snap.evals[a->snap.nevals - 1].acc;

    /* switch the architecture and reset: run 1 is kept, the new run starts empty */
    app_key(a, KEY_R, 0);
    snprintf(a->ctl.arch, sizeof a->ctl.arch, "784-16-10");
    session_apply(&sess);
    for (int t = 0; t < 3000 && a->nruns == 0; t++) {
        session_sync(&sess);
        sleep_ms(5);
    }
    CHECK(a->nruns == 1 && a->runs[0].loss.n == n1 && a->runs[0].loss.min[0] == first_loss, "run 1 kept: %d runs", a->nruns);
    CHECK(strstr(a->runs[0].label, "softmax sgd 0.1 b50, synthetic") != NULL, "label: %s", a->runs[0].label);
    CHECK(fabs(a->runs[0].final_acc - acc1) < 1e-12, "its final accuracy");
    CHECK(a->snap.loss.n == 0 && a->snap.net.nlayers == 2, "the new run starts empty with 784-16-10");
    fflush(trace);
    CHECK(strstr(tbuf, "\"event\":\"run_kept\",\"runs\":1,\"steps\":45") != NULL, "traced");
    /* before the new run trains, the plots already show run 1 with its legend (wide enough for
       the whole label) */
    app_resize(a, 1700, 900);
    app_frame(a, 1);
    char want[128];
    snprintf(want, sizeof want, "softmax sgd 0.1 b50, synthetic (%.1f%%)", acc1 * 100);
    CHECK(has_text(a, "softmax sgd 0.1 b50, synthetic") && has_text(a, want), "legend with the final accuracy");
    /* legends sit above the plotting area: no legend text inside the axes' box */
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type == CMD_TEXT && strstr(drawcmd_text(&a->dl, c), "#1 ")) {
            Rect lp = a->lay.loss_plot, ap = a->lay.acc_plot;
            (void)ap;
            CHECK(rect_contains(lp, c->r.x, c->r.y), "the runs are named in the loss panel");
            CHECK(c->r.y + c->r.h <= lp.y + 29 + 3 * 17, "the legend stays in the rows under the title, above the axes");
        }
    }
    int faint = 0;
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        faint += c->type == CMD_LINES && c->c.a == 150 && (rect_contains(a->lay.loss_plot, c->r.x, c->r.y) || c->npts >= 2);
    }
    CHECK(faint >= 2, "run 1 drawn faint in both plots (%d polylines)", faint);
    app_resize(a, 1280, 800);

    /* run 2 trains: both drawn, the step axis covers the longer one */
    train_steps(a, w, 10);
    app_frame(a, 2);
    CHECK(has_text(a, "softmax sgd 0.1 b50, synthetic"), "run 1 still in the legend while run 2 trains");

    /* CSV: every step of run 1 and of the current run, the tests, quoted labels */
    char *csv = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&csv, &len);
    long missing = -1;
    CHECK(app_history_csv(a, mem_sink, mem, &missing) == 0 && missing == 0, "csv, every step from the spools");
    fclose(mem);
    int steps1 = 0, stepsc = 0, tests = 0;
    for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
        static const char r1[] = "1,\"softmax sgd 0.1 b50, synthetic\",step,", rc[] = "current,\"784-16-10 sgd 0.1 b50, synthetic\",step,";
        if (!strncmp(line, r1, strlen(r1))) steps1++;
        if (!strncmp(line, rc, strlen(rc))) stepsc++;
        if (strstr(line, ",test,")) tests++;
    }
    free(csv);
    CHECK(steps1 == 45 && stepsc == (int)a->snap.loss.n, "step rows: %d and %d (want 45, %ld)", steps1, stepsc, a->snap.loss.n);
    CHECK(tests == a->runs[0].nevals + a->snap.nevals, "test rows %d", tests);

    /* export: the CSV file plus the exporter's pictures, in the export folder */
    snprintf(sess.export_dir, sizeof sess.export_dir, "%s/exports", dir);
    sess.exporter = fake_exporter;
    app_key(a, KEY_E, MOD_CTRL);
    CHECK(a->nact == 1 && a->act[0].type == ACT_EXPORT, "Ctrl+E queues an export");
    session_apply(&sess);
    CHECK(fake_calls == 1 && !(a->msg_sev == SEV_ERROR) && strstr(a->msg, "exported 2 files"), "exported: %s", a->msg);
    fflush(trace);
    char *ev = strstr(tbuf, "\"event\":\"export\",\"ok\":true,\"files\":2,\"prefix\":\"");
    CHECK(ev != NULL, "export traced");
    if (ev) {
        char prefix[1100], path[1200];
        sscanf(ev + strlen("\"event\":\"export\",\"ok\":true,\"files\":2,\"prefix\":\""), "%1099[^\"]", prefix);
        snprintf(path, sizeof path, "%s-history.csv", prefix);
        CHECK(access(path, R_OK) == 0, "%s written", path);
        snprintf(path, sizeof path, "%s-canvas.png", prefix);
        CHECK(access(path, R_OK) == 0, "the exporter's file");
    }
    /* an export folder that cannot be made: a message, not a crash */
    snprintf(sess.export_dir, sizeof sess.export_dir, "/proc/digitrec-no");
    sess.exporter = NULL;
    CHECK(session_export(&sess, NULL, 0) == -1 && (a->msg_sev == SEV_ERROR), "unwritable: %s", a->msg);

    /* at most APP_MAX_RUNS kept: the oldest goes */
    for (int k = 0; k < APP_MAX_RUNS + 1; k++) {
        unsigned long g = a->snap.generation;
        train_steps(a, w, 3);
        worker_reset(w, &a->ctl);
        for (int t = 0; t < 3000 && a->snap.generation == g; t++) {
            session_sync(&sess);
            sleep_ms(5);
        }
    }
    CHECK(a->nruns == APP_MAX_RUNS && a->runs[0].loss.n == 3 && a->runs_total == APP_MAX_RUNS + 2, "%d runs kept of %lu", a->nruns,
          a->runs_total);
    app_frame(a, 3);
    CHECK(!has_text(a, "softmax sgd"), "the oldest (softmax) left the legend");

    worker_stop(w, NULL);
    sess.worker = NULL;
    session_free(&sess);
    fclose(trace);
    free(tbuf);
    net_free(&net);
    app_free(a);
    return check_summary("test_runs");
}

/* test_worker.c - the training thread's contract, on a small synthetic dataset: the first
 * snapshot exists at once; steps happen only when asked (run or step N) and every step's loss
 * reaches the snapshot; pausing stops training; a reset with the same seed gives the same start;
 * configure changes the learning rate live; a load replaces the network and restarts history;
 * snapshots are consistent copies while training runs; stopping mid-training joins promptly and
 * hands over the final state; without data a run request says how to fetch it. The test-set
 * predictions (confusion matrix) arrive with the snapshot, match evaluate(), follow the network
 * and outlive the worker's interest in them while the UI holds them. Personal examples mix into
 * the training set (repeated for about one per batch) and the switch takes effect. Also the
 * session glue: save -> load round trip, a bad file keeps the current network, Ctrl+digit keeps
 * the drawing in the personal folder and hands it to the worker, P switches mixing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "dataset.h"
#include "model_io.h"
#include "personal.h"
#include "session.h"
#include "train.h"
#include "worker.h"
#include "fixtures.h"

/* Polls until cond holds for the synced snapshot, up to ms. */
#define WAIT_FOR(w, s, cond, ms)                                        \
    do {                                                                \
        for (int _t = 0; _t < (ms) / 5; _t++) {                         \
            worker_sync((w), (s));                                      \
            if (cond) break;                                            \
            sleep_ms(5);                                                \
        }                                                               \
    } while (0)

static int same_params(const Net *a, const Net *b) {
    return net_same_shape(a, b) && memcmp(a->params, b->params, sizeof(float) * a->nparams) == 0;
}

int main(void) {
    char err[ERR_LEN];
    Dataset train, test;
    fixture_dataset(&train, 2000, 1);
    fixture_dataset(&test, 500, 2);
    WorkerConfig cfg;
    worker_config_default(&cfg, "softmax");
    cfg.train.batch = 50;
    cfg.train.epochs = 1000;
    Net net;
    CHECK(net_create_str(&net, cfg.arch, err) == 0, "%s", err);
    net_init_he(&net, 5);
    WorkerSetup setup = {0};
    setup.train = &train;
    setup.test = &test;
    setup.eval_subset = 200;
    setup.publish_ms = 20;
    Worker *w = worker_start(&setup, &net, &cfg, err);
    CHECK(w != NULL, "%s", err);
    CHECK(train.x == NULL && test.x == NULL, "datasets moved into the worker");
    Snapshot s = {0};

    /* the first snapshot is there at once, holding the given network, and nothing trains */
    CHECK(worker_sync(w, &s) == 1, "first sync");
    CHECK(same_params(&s.net, &net), "snapshot = initial network");
    CHECK(s.have_data && !s.running && s.step == 0 && s.loss.n == 0, "paused at step 0");
    CHECK(strstr(s.data_desc, "synthetic 2000/500") != NULL, "data described: %s", s.data_desc);
    sleep_ms(100);
    worker_sync(w, &s);
    CHECK(s.step == 0, "no training without a request");

    /* step N: exactly N steps, each with its loss */
    worker_step(w, 3);
    WAIT_FOR(w, &s, s.step >= 3, 3000);
    sleep_ms(60);
    worker_sync(w, &s);
    CHECK(s.step == 3 && s.loss.n == 3, "three steps: step %ld, losses %ld", s.step, s.loss.n);
    CHECK(!same_params(&s.net, &net), "weights changed");
    float sp[3] = {0};
    CHECK(spool_read(s.spool, 0, 3, sp) == 3, "the spool holds every step's loss");
    for (long i = 0; i < 3; i++) CHECK(isfinite(sp[i]) && sp[i] > 0, "loss %ld finite", i);
    CHECK(s.loss.last == sp[2] && s.loss.nb == 3 && s.loss.min[0] == sp[0], "the curve agrees with the spool");

    /* test-set predictions: published without training, then again after the steps (the
       throttle allows a pass every 1.5 s at most), equal to evaluate() on that network */
    TestView *held3 = NULL;
    WAIT_FOR(w, &s, s.view && s.view->step == 3, 15000); /* a pass every 1.5 s at most; slow under sanitizers */
    CHECK(s.view && s.view->step == 3 && s.view->n == 500 && s.view->K == 10, "a test view of step 3");
    if (s.view) {
        TestView *held = testview_retain(s.view);
        NetWork ewk;
        netwk_create(&ewk, &s.net, 100, err);
        EvalResult ev;
        CHECK(evaluate(&s.net, &ewk, &held->test->data, 0, &ev, err) == 0, "%s", err);
        CHECK(memcmp(ev.confusion, held->confusion, sizeof ev.confusion) == 0, "the view's matrix is evaluate()'s");
        CHECK(fabs(held->acc - ev.acc) < 1e-12 && held->generation == s.generation, "accuracy %g, generation", held->acc);
        int okp = 1;
        for (int i = 0; i < held->n; i++) {
            const float *pr = held->prob + (size_t)i * 10;
            for (int k = 0; k < 10; k++) okp &= pr[k] <= pr[held->pred[i]];
        }
        CHECK(okp, "pred is each image's most probable class");
        /* the map: a softmax regression's features are its logits; each of the 500 images sits
           where the view's map projects its logits */
        CHECK(held->nemb == 500 && held->emb_logits && held->emb.d == 10 && held->emb_xy && held->emb_total_var > 0 &&
                  held->emb.var[0] >= held->emb.var[1] && held->emb.var[0] + held->emb.var[1] <= held->emb_total_var * 1.000001,
              "a map of the 500 test images' logits (%d, d %d)", held->nemb, held->emb.d);
        float xb[100 * 784], pxy[2];
        int yb[100];
        double maxdev = 0;
        for (int i0 = 0; held->emb_xy && i0 < 500; i0 += 100) {
            dataset_slice(&held->test->data, i0, 100, xb, yb);
            net_forward(&s.net, &ewk, xb, NULL, 100);
            for (int i = 0; i < 100; i++) {
                embed_project(&held->emb, net_scores(&s.net, &ewk) + 10 * i, pxy);
                for (int c = 0; c < 2; c++) maxdev = fmax(maxdev, fabs(pxy[c] - held->emb_xy[2 * (i0 + i) + c]));
            }
        }
        CHECK(maxdev < 1e-4, "each point is its image's logits on the map (max deviation %g)", maxdev);
        netwk_free(&ewk);
        held3 = held;
    }

    /* run: steps and evals keep arriving; versions grow */
    unsigned long v = s.version;
    worker_set_running(w, 1);
    WAIT_FOR(w, &s, s.step > 200 && s.nevals >= 2, 10000);
    CHECK(s.running && s.step > 200, "running: %ld steps", s.step);
    CHECK(s.version > v, "new publishes");
    CHECK(s.loss.n == s.step, "one loss per step: %ld vs %ld", s.loss.n, s.step);
    CHECK(s.nevals >= 2, "test evaluations arrive: %d", s.nevals);
    int full = 0;
    for (int i = 0; i < s.nevals; i++) {
        CHECK(s.evals[i].acc >= 0 && s.evals[i].acc <= 1 && s.evals[i].step <= s.step, "eval %d sane", i);
        if (i) CHECK(s.evals[i].step >= s.evals[i - 1].step, "evals in step order");
        full += s.evals[i].full;
    }
    CHECK(full >= 1, "an epoch-end full test evaluation (40 steps per epoch)");
    CHECK(s.evals[s.nevals - 1].acc > 0.8, "the synthetic task is learned: %g", s.evals[s.nevals - 1].acc);
    CHECK(s.sps > 0 && s.t_train > 0 && s.samples >= s.step * 50 - 50, "counters");
    /* while training the matrix follows the network; a view held by the UI stays readable */
    WAIT_FOR(w, &s, s.view && s.view->step > 3, 15000);
    CHECK(s.view && s.view->step > 3 && s.view->acc > 0.5, "a newer view while training (acc %g)", s.view ? s.view->acc : -1);
    if (held3 && s.view && s.view->emb_xy && held3->emb_xy) {
        /* the refit is aligned with the last map: the same images' positions agree in direction
           (an unaligned PCA flips an axis half the time) */
        const TestView *nv = s.view;
        double c0[2] = {0}, c1[2] = {0}, dot = 0;
        for (int i = 0; i < 500; i++)
            for (int c = 0; c < 2; c++) c0[c] += held3->emb_xy[2 * i + c] / 500, c1[c] += nv->emb_xy[2 * i + c] / 500;
        for (int i = 0; i < 500; i++)
            for (int c = 0; c < 2; c++) dot += (held3->emb_xy[2 * i + c] - c0[c]) * (nv->emb_xy[2 * i + c] - c1[c]);
        CHECK(dot > 0, "the newer map is aligned with the step-3 one (%g)", dot);
    }
    if (held3) {
        long sum = 0;
        for (int i = 0; i < held3->n; i++) sum += held3->pred[i] < 10;
        CHECK(sum == 500 && held3->step == 3, "the held step-3 view is intact");
        testview_release(held3);
        held3 = NULL;
    }

    /* while running, the snapshot is a consistent copy: params finite, history only grows */
    long prev = s.loss.n;
    for (int i = 0; i < 20; i++) {
        worker_sync(w, &s);
        CHECK(s.loss.n >= prev, "history never shrinks within a generation");
        prev = s.loss.n;
        CHECK(net_all_finite(&s.net), "finite params");
        sleep_ms(3);
    }

    /* configure: the learning rate changes live */
    WorkerConfig c2 = s.cfg;
    c2.train.lr = 0.02f;
    worker_configure(w, &c2);
    WAIT_FOR(w, &s, fabsf(s.cfg.train.lr - 0.02f) < 1e-9f, 2000);
    CHECK(fabsf(s.cfg.train.lr - 0.02f) < 1e-9f && s.running, "lr 0.02 applied while running");

    /* pause: the step count stops */
    worker_set_running(w, 0);
    sleep_ms(100);
    worker_sync(w, &s);
    long st = s.step;
    sleep_ms(150);
    worker_sync(w, &s);
    CHECK(!s.running && s.step == st, "paused: %ld -> %ld", st, s.step);

    /* reset with the same seed: the same start, twice; history restarts */
    unsigned long g = s.generation;
    WorkerConfig rc;
    worker_config_default(&rc, "softmax");
    rc.train.seed = 42;
    worker_reset(w, &rc);
    WAIT_FOR(w, &s, s.generation != g, 2000);
    CHECK(s.generation != g && s.step == 0 && s.loss.n == 0 && s.nevals == 0, "reset: history restarts");
    WAIT_FOR(w, &s, s.view && s.view->generation == s.generation, 15000);
    CHECK(s.view && s.view->generation == s.generation && s.view->step == 0, "a view of the fresh network");
    Net ref;
    net_create_str(&ref, rc.arch, err);
    net_init_he(&ref, 42);
    CHECK(same_params(&s.net, &ref), "reset = He init from seed 42");
    worker_step(w, 5);
    WAIT_FOR(w, &s, s.step >= 5, 3000);
    Net after5 = {0};
    net_copy(&after5, &s.net, err);
    g = s.generation;
    worker_reset(w, &rc);
    WAIT_FOR(w, &s, s.generation != g, 2000);
    CHECK(same_params(&s.net, &ref), "the same seed gives the same start again");
    worker_step(w, 5);
    WAIT_FOR(w, &s, s.step >= 5, 3000);
    CHECK(same_params(&s.net, &after5), "and the same first five steps");

    /* reset to another architecture */
    WorkerConfig mc;
    worker_config_default(&mc, "mlp");
    snprintf(mc.arch, sizeof mc.arch, "784-32-16-10");
    g = s.generation;
    worker_reset(w, &mc);
    WAIT_FOR(w, &s, s.generation != g, 2000);
    CHECK(s.net.nlayers == 3 && s.net.sizes[1] == 32, "reset to 784-32-16-10");

    /* a new generation is published whole: a sync never sees the new generation with the old
       network, even when another command (here a run request) bumps the version meanwhile */
    {
        int torn = 0;
        for (int k = 0; k < 20; k++) {
            WorkerConfig c = k % 2 ? mc : rc;
            unsigned long g1 = s.generation;
            worker_reset(w, &c);
            worker_set_running(w, 1);
            for (int t = 0; t < 20000 && s.generation == g1; t++) {
                worker_sync(w, &s);
                char now[ARCH_MAX_TEXT];
                net_arch_str(&s.net, now, sizeof now);
                if (s.generation != g1 && strcmp(now, c.arch) != 0) torn++;
                if (t % 64 == 63) sleep_ms(1);
            }
            CHECK(s.generation != g1, "reset %d arrived", k);
            worker_set_running(w, 0);
        }
        CHECK(torn == 0, "%d syncs saw a new generation with the old network", torn);
        WAIT_FOR(w, &s, !s.running, 2000);
    }

    /* load: the given network becomes the live one */
    Net ld;
    int ls[] = {784, 20, 10};
    net_create(&ld, ls, 2, BIAS_NEURON, 0, err);
    net_init_he(&ld, 9);
    Net ldcopy = {0};
    net_copy(&ldcopy, &ld, err);
    g = s.generation;
    worker_load(w, &ld);
    CHECK(ld.params == NULL, "load takes ownership");
    WAIT_FOR(w, &s, s.generation != g, 2000);
    CHECK(same_params(&s.net, &ldcopy) && s.step == 0, "loaded network published");

    /* full-batch gradient descent: one step = one pass over all images, an epoch record each */
    WorkerConfig gd = s.cfg;
    gd.train.opt = OPT_GD;
    gd.train.lr = 0.5f;
    worker_configure(w, &gd);
    worker_step(w, 2);
    WAIT_FOR(w, &s, s.step >= 2 && s.cfg.train.opt == OPT_GD, 5000);
    sleep_ms(60);
    worker_sync(w, &s);
    CHECK(s.cfg.train.opt == OPT_GD && s.step == 2 && s.loss.n == 2, "two GD iterations: %ld", s.step);
    CHECK(s.nevals == 2 && s.evals[0].full && s.evals[1].full, "a full test evaluation per GD iteration: %d", s.nevals);
    CHECK(s.samples == 2L * 2000, "each GD step sees all 2000 images: %ld", s.samples);
    gd.train.opt = OPT_SGD;
    gd.train.lr = 0.1f;
    worker_configure(w, &gd);

    /* stop while training: joins promptly and hands over the final state */
    worker_set_running(w, 1);
    WAIT_FOR(w, &s, s.step > 20, 5000);
    double t0 = time_now();
    Snapshot fin = {0};
    worker_stop(w, &fin);
    double dt = time_now() - t0;
    CHECK(dt < 1.0, "stop joined in %.3f s", dt);
    CHECK(fin.step >= s.step && fin.loss.n == fin.step && fin.net.params, "final snapshot: %ld steps", fin.step);

    /* personal examples: put into every batch, switched off and on, replaced; training goes on */
    {
        Dataset tr3, te3, mine = {0};
        fixture_dataset(&tr3, 2000, 11);
        fixture_dataset(&te3, 100, 12);
        uint8_t img[784] = {0};
        for (int i = 0; i < 5; i++) {
            img[i] = 255;
            personal_append(&mine, img, i, err);
        }
        WorkerSetup s3 = {0};
        s3.train = &tr3, s3.test = &te3, s3.extra = &mine, s3.mix = 1, s3.publish_ms = 20;
        Worker *w3 = worker_start(&s3, &net, &cfg, err);
        CHECK(w3 && mine.x == NULL, "extra moved in: %s", err);
        Snapshot s3s = {0};
        int r = train_extra_per_batch(cfg.train.batch, 5);
        worker_sync(w3, &s3s);
        CHECK(r > 0 && s3s.extra_n == 5 && s3s.mix && s3s.mix_per_batch == r && s3s.train_n == 2000 && s3s.held_n == 0,
              "mixed: %d, %d a batch, %d held out", s3s.extra_n, s3s.mix_per_batch, s3s.held_n);
        worker_step(w3, 4);
        WAIT_FOR(w3, &s3s, s3s.step >= 4, 3000);
        CHECK(s3s.step == 4, "training on the mix");
        unsigned long g3 = s3s.generation;
        worker_set_extra(w3, NULL, 0);
        WAIT_FOR(w3, &s3s, !s3s.mix, 2000);
        CHECK(!s3s.mix && s3s.mix_per_batch == 0 && s3s.train_n == 2000 && s3s.extra_n == 5 && s3s.step == 4, "mix off: %d",
              s3s.mix_per_batch);
        Dataset more = {0};
        for (int i = 0; i < 9; i++) personal_append(&more, img, i % 10, err);
        worker_set_extra(w3, &more, 1);
        CHECK(more.x == NULL, "moved");
        r = train_extra_per_batch(cfg.train.batch, 9);
        WAIT_FOR(w3, &s3s, s3s.mix && s3s.extra_n == 9, 2000);
        CHECK(s3s.extra_n == 9 && s3s.mix_per_batch == r && s3s.train_n == 2000, "nine mixed, %d a batch", r);
        worker_step(w3, 3);
        WAIT_FOR(w3, &s3s, s3s.step >= 7, 3000);
        CHECK(s3s.step == 7 && s3s.loss.n == 7 && s3s.generation == g3, "counters and history go on across the rebuild: %ld", s3s.step);
        /* held out: 12 of class 3 and 4 of class 7 -> the 5th and 10th of class 3; none of class 7 */
        Dataset twelve = {0};
        for (int i = 0; i < 16; i++) {
            img[100 + i] = 255;
            personal_append(&twelve, img, i < 12 ? 3 : 7, err);
        }
        worker_set_extra(w3, &twelve, 0);
        WAIT_FOR(w3, &s3s, s3s.extra_n == 16, 2000);
        CHECK(s3s.held_n == 2 && s3s.held_right >= 0 && s3s.held_right <= 2 && s3s.held_before == -1 && !s3s.mix,
              "two held out, measured (%d right), no before while not mixing (%d)", s3s.held_right, s3s.held_before);
        worker_set_extra(w3, NULL, 1);
        WAIT_FOR(w3, &s3s, s3s.mix, 2000);
        CHECK(s3s.held_before == s3s.held_right && s3s.mix_per_batch == train_extra_per_batch(cfg.train.batch, 14),
              "mixing begins: before = now = %d of 2 (%d), %d a batch", s3s.held_before, s3s.held_right, s3s.mix_per_batch);
        int hb = s3s.held_before;
        worker_step(w3, 40);
        WAIT_FOR(w3, &s3s, s3s.step >= 47 && s3s.held_step >= 40, 5000);
        CHECK(s3s.held_before == hb && s3s.held_step >= 40 && s3s.held_right >= 0,
              "after 40 mixed steps: before kept (%d), now %d at step %ld", s3s.held_before, s3s.held_right, s3s.held_step);
        worker_set_extra(w3, NULL, 0);
        WAIT_FOR(w3, &s3s, !s3s.mix, 2000);
        CHECK(s3s.held_before == -1 && s3s.mix_per_batch == 0 && s3s.held_n == 2, "mix off: no before");
        worker_stop(w3, NULL);
        snapshot_free(&s3s);
    }

    /* a learning rate that blows up: caught within a step, training pauses with a message,
       the published weights are the rolled-back finite ones */
    {
        Dataset tr4, te4;
        fixture_dataset(&tr4, 1000, 21);
        fixture_dataset(&te4, 100, 22);
        WorkerConfig bad = cfg;
        bad.train.opt = OPT_SGD;
        bad.train.lr = 3e38f;
        bad.train.epochs = 1000;
        WorkerSetup s4 = {0};
        s4.train = &tr4, s4.test = &te4, s4.publish_ms = 20;
        Worker *w4 = worker_start(&s4, &net, &bad, err);
        CHECK(w4 != NULL, "%s", err);
        Snapshot s4s = {0};
        worker_set_running(w4, 1);
        WAIT_FOR(w4, &s4s, strstr(s4s.status, "NaN") != NULL && !s4s.running, 5000);
        CHECK(strstr(s4s.status, "NaN/Inf") != NULL, "divergence reported: '%s' (step %ld epoch %d nloss %ld)", s4s.status, s4s.step, s4s.epoch, s4s.loss.n);
        CHECK(!s4s.running, "training paused after the divergence");
        CHECK(net_all_finite(&s4s.net), "published weights are finite");
        CHECK(s4s.loss.nonfinite == 0, "no non-finite loss in the curve (%ld)", s4s.loss.nonfinite);
        for (long i = 0; i < s4s.loss.n; i++) {
            float v = NAN;
            CHECK(spool_read(s4s.spool, i, 1, &v) == 1 && isfinite(v), "no non-finite loss in the spool (%ld)", i);
        }
        worker_stop(w4, NULL);
        snapshot_free(&s4s);
    }

    /* no data: a run request comes back with the fetch hint and does not run */
    setup = (WorkerSetup){0};
    setup.data_dir = "/nonexistent/digitrec-data";
    Worker *w2 = worker_start(&setup, &net, &cfg, err);
    CHECK(w2 != NULL, "%s", err);
    Snapshot s2 = {0};
    WAIT_FOR(w2, &s2, !s2.data_loading && s2.version > 0 && s2.status_seq > 0, 3000);
    CHECK(!s2.have_data && strstr(s2.status, "fetch_mnist.sh"), "no-data status: %s", s2.status);
    worker_set_running(w2, 1);
    sleep_ms(100);
    worker_sync(w2, &s2);
    CHECK(!s2.running && s2.step == 0, "nothing runs without data");

    /* session: save the app's network, load it back through the worker; a bad file is refused */
    char dir[] = "/tmp/digitrec_test_worker_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", dir, 1);
    static App app;
    static Session sess;
    CHECK(app_init(&app, 1280, 800, err) == 0, "%s", err);
    session_init(&sess, &app, NULL);
    snprintf(sess.models_dir, sizeof sess.models_dir, "%s", dir);
    sess.worker = w2;
    CHECK(session_sync(&sess) == 1 && app.snap.net.params, "app synced");
    char saved[1024];
    CHECK(session_save(&sess, NULL, saved, sizeof saved) == 0, "save: %s", app.msg);
    Net back;
    CHECK(model_load(saved, &back, NULL, err) == 0 && same_params(&back, &net), "saved file = network");
    net_free(&back);
    char bad[1100];
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    FILE *f = fopen(bad, "wb");
    fputs("not a model", f);
    fclose(f);
    unsigned long gen = app.snap.generation;
    CHECK(session_load(&sess, bad) == -1 && (app.msg_sev == SEV_ERROR), "bad file refused: %s", app.msg);
    CHECK(strchr(app.msg, '\n') == NULL && strlen(app.msg) > 10, "one-line error");
    sleep_ms(100);
    session_sync(&sess);
    CHECK(app.snap.generation == gen && same_params(&app.snap.net, &net), "current network stays");
    /* a good file: a new generation with that network */
    CHECK(session_load(&sess, saved) == 0, "load %s: %s", saved, app.msg);
    WAIT_FOR(w2, &app.snap, app.snap.generation != gen, 2000);
    CHECK(app.snap.generation != gen && same_params(&app.snap.net, &net), "loaded");
    /* Ctrl+digit keeps the drawing in the personal folder; P mixes; Ctrl+Backspace removes */
    snprintf(sess.personal_dir, sizeof sess.personal_dir, "%s/personal", dir);
    app.nact = 0;
    app_key(&app, KEY_3, MOD_CTRL);
    CHECK(app.nact == 0 && app.msg_sev == SEV_WARN && strstr(app.msg, "draw"), "nothing drawn: %s", app.msg);
    canvas_draw_demo(&app.canvas_px, 3);
    app_update_prediction(&app);
    CHECK(app.has_ink, "a drawn 3");
    app_key(&app, KEY_3, MOD_CTRL);
    CHECK(app.nact == 1 && app.act[0].type == ACT_PERSONAL_ADD && app.act[0].arg == 3, "Ctrl+3 queues an add of class 3");
    session_apply(&sess);
    CHECK(sess.personal.n == 1 && !(app.msg_sev == SEV_ERROR), "kept: %s", app.msg);
    Dataset onfile;
    CHECK(personal_load(sess.personal_dir, &onfile, err) == 0 && onfile.n == 1 && onfile.y[0] == 3, "on disk: %s", err);
    uint8_t want[784];
    personal_from_input(want, app.input);
    CHECK(onfile.n == 1 && memcmp(onfile.x, want, 784) == 0, "the 28x28 input the network saw");
    dataset_free(&onfile);
    app_key(&app, KEY_7, MOD_CTRL);
    session_apply(&sess);
    WAIT_FOR(w2, &app.snap, app.snap.extra_n == 2, 2000);
    CHECK(app.snap.extra_n == 2 && !app.snap.mix, "the worker holds both, not mixed");
    app_key(&app, KEY_P, 0);
    CHECK(app.mix == 1 && app.act[app.nact - 1].type == ACT_MIX, "P switches mixing on");
    session_apply(&sess);
    WAIT_FOR(w2, &app.snap, app.snap.mix, 2000);
    CHECK(app.snap.mix, "the worker mixes");
    app_frame(&app, 1);
    int seen = 0;
    for (int i = 0; i < app.dl.n; i++)
        if (app.dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&app.dl, &app.dl.cmds[i]), "Mine 2: mix on")) seen = 1;
    CHECK(seen, "the switch shows the count and the state");
    app_key(&app, KEY_BACKSPACE, MOD_CTRL);
    session_apply(&sess);
    CHECK(sess.personal.n == 1 && personal_load(sess.personal_dir, &onfile, err) == 0 && onfile.n == 1, "Ctrl+Backspace removes one");
    dataset_free(&onfile);
    WAIT_FOR(w2, &app.snap, app.snap.extra_n == 1, 2000);
    CHECK(app.snap.extra_n == 1, "and the worker follows");
    /* four more 3s: the fifth of a class is held out, and the status line says how it is read */
    for (int i = 0; i < 4; i++) {
        app_key(&app, KEY_3, MOD_CTRL);
        session_apply(&sess);
    }
    WAIT_FOR(w2, &app.snap, app.snap.extra_n == 5 && app.snap.held_n == 1, 2000);
    CHECK(app.snap.extra_n == 5 && app.snap.held_n == 1 && app.snap.held_right >= 0 &&
              app.snap.held_before == app.snap.held_right,
          "one held out, read the same before mixing and now (nothing trained): %d, %d", app.snap.held_before,
          app.snap.held_right);
    /* in full on a wide window, shortened on a narrow one */
    for (int wide = 1; wide >= 0; wide--) {
        app_resize(&app, wide ? 1900 : 1000, 800);
        app_frame(&app, 1);
        char want_status[96];
        if (wide)
            snprintf(want_status, sizeof want_status, "yours: %d/1 held out right before mixing, %d/1 now",
                     app.snap.held_before, app.snap.held_right);
        else
            snprintf(want_status, sizeof want_status, "yours %d/1 before, %d/1 now", app.snap.held_before, app.snap.held_right);
        seen = 0;
        for (int i = 0; i < app.dl.n; i++)
            if (app.dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&app.dl, &app.dl.cmds[i]), want_status)) seen = 1;
        CHECK(seen, "the status line shows '%s'", want_status);
    }
    app_resize(&app, 1280, 800);

    /* close without training: nothing to autosave */
    char msg[1200];
    CHECK(session_close(&sess, msg, sizeof msg) == 0 && sess.worker == NULL, "nothing unsaved: %s", msg);
    session_free(&sess);
    app_free(&app);

    snapshot_free(&s);
    snapshot_free(&s2);
    snapshot_free(&fin);
    net_free(&net);
    net_free(&ref);
    net_free(&after5);
    net_free(&ldcopy);
    return check_summary("test_worker");
}

/* test_data.c - choosing the dataset without a window, with a real worker: the names mnist and
 * fashion-mnist resolve to their folders (an existing folder wins); Ctrl+D lists MNIST,
 * Fashion-MNIST and the folder in use; typing a folder of IDX files and Enter (or dropping it on
 * the window) switches the worker to it with a fresh network, keeps the previous run, and the
 * bars take the folder's class names (classes.txt), which a saved model then carries; a folder
 * without IDX files is refused with a message and nothing changes; a loaded model keeps its own
 * class names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "dataset.h"
#include "idx.h"
#include "model_io.h"
#include "session.h"
#include "worker.h"
#include "fixtures.h"

static void write_file(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
}

/* An MNIST-layout folder of n train / n/4 test 28x28 images whose class is a lit row band. */
static void make_folder(const char *dir, int n, const char *classes_txt) {
    mkdir(dir, 0777);
    Rng r;
    rng_seed(&r, (uint64_t)n);
    for (int part = 0; part < 2; part++) {
        int m = part ? n / 4 : n;
        uint8_t *px = calloc((size_t)m * 784, 1), *lab = calloc((size_t)m, 1);
        for (int i = 0; i < m; i++) {
            int k = (int)rng_below(&r, 10);
            lab[i] = (uint8_t)k;
            for (int p = 0; p < 784; p++) px[(size_t)i * 784 + p] = (uint8_t)(p / 28 == 2 * k + 4 ? 230 : rng_below(&r, 40));
        }
        IdxImages im = {m, 28, 28, px};
        IdxLabels lb = {m, lab};
        uint8_t *buf;
        size_t len;
        char path[1200];
        char err[ERR_LEN];
        idx_encode_images(&im, &buf, &len, err);
        snprintf(path, sizeof path, "%s/%s", dir, part ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte");
        write_file(path, buf, len);
        free(buf);
        idx_encode_labels(&lb, &buf, &len, err);
        snprintf(path, sizeof path, "%s/%s", dir, part ? "t10k-labels-idx1-ubyte" : "train-labels-idx1-ubyte");
        write_file(path, buf, len);
        free(buf);
        free(px);
        free(lab);
    }
    if (classes_txt) {
        char path[1200];
        snprintf(path, sizeof path, "%s/classes.txt", dir);
        write_file(path, classes_txt, strlen(classes_txt));
    }
}

static Session sess;

static int sync_until(App *a, int (*cond)(const App *), int ms) {
    for (int t = 0; t < ms / 5; t++) {
        session_sync(&sess);
        if (cond(a)) return 1;
        sleep_ms(5);
    }
    return 0;
}

static unsigned long want_gen;
static int gen_changed(const App *a) { return a->snap.generation != want_gen && !a->snap.data_loading; }
static int has_view_of_gen(const App *a) { return a->snap.view && a->snap.view->generation == a->snap.generation; }

int main(void) {
    char err[ERR_LEN], root[] = "/tmp/digitrec_test_data_XXXXXX";
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", root, 1);

    /* names */
    CHECK(!strcmp(dataset_resolve("fashion-mnist"), dataset_fashion_dir()) && !strcmp(dataset_resolve("fashion"), dataset_fashion_dir()),
          "fashion-mnist names Debian's folder");
    CHECK(!strcmp(dataset_resolve("MNIST"), dataset_mnist_dir()), "mnist names the built-in folder");
    CHECK(!strcmp(dataset_resolve(root), root) && dataset_resolve("") == NULL, "a folder is itself");
    CHECK(chdir(root) == 0, "chdir");
    mkdir("mnist", 0777);
    CHECK(!strcmp(dataset_resolve("mnist"), "mnist"), "an existing folder named mnist wins");
    CHECK(!strcmp(dataset_default_dir("fashion"), dataset_fashion_dir()), "dataset_default_dir resolves names too");

    char d1[700], d2[700], bad[700];
    snprintf(d1, sizeof d1, "%s/letters", root);
    snprintf(d2, sizeof d2, "%s/shapes", root);
    snprintf(bad, sizeof bad, "%s/empty", root);
    make_folder(d1, 800, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n");
    make_folder(d2, 600, "circle\nsquare\n");
    mkdir(bad, 0777);

    static App app;
    App *a = &app;
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *trace = open_memstream(&tbuf, &tlen);
    session_init(&sess, a, trace);
    snprintf(sess.models_dir, sizeof sess.models_dir, "%s", root);
    snprintf(sess.personal_root, sizeof sess.personal_root, "%s/personal", root);
    WorkerConfig cfg;
    worker_config_default(&cfg, "softmax");
    cfg.train.batch = 40;
    a->ctl = cfg;
    Net net;
    net_create_str(&net, cfg.arch, err);
    net_init_he(&net, 1);
    WorkerSetup setup = {0};
    setup.data_dir = d1;
    setup.publish_ms = 20;
    Worker *w = worker_start(&setup, &net, &cfg, err);
    CHECK(w != NULL, "%s", err);
    sess.worker = w;
    want_gen = 12345;
    for (int t = 0; t < 3000 && !(a->snap.have_data && !a->snap.data_loading); t++) {
        session_sync(&sess);
        sleep_ms(5);
    }
    CHECK(a->snap.have_data && !strcmp(a->snap.data_dir, d1), "first folder loaded: %s", a->snap.data_desc);
    CHECK(!strcmp(a->classes[0], "a") && !strcmp(a->classes[9], "j"), "the bars take its class names: %s..%s", a->classes[0],
          a->classes[9]);
    worker_step(w, 25);
    for (int t = 0; t < 3000 && a->snap.step < 25; t++) {
        session_sync(&sess);
        sleep_ms(5);
    }

    /* Ctrl+D: MNIST, Fashion-MNIST and the folder in use */
    app_key(a, KEY_D, MOD_CTRL);
    CHECK(a->nact == 1 && a->act[0].type == ACT_LIST_DATA, "Ctrl+D asks the session for the rows");
    session_apply(&sess);
    CHECK(a->data.show && a->data.n == 3 && !strcmp(a->data.opts[2], d1) && a->data.sel == 2, "three rows, the folder in use selected");
    app_frame(a, 1);
    int rows_ok = 0;
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT) {
            const char *t = drawcmd_text(&a->dl, &a->dl.cmds[i]);
            rows_ok |= (strstr(t, "MNIST - handwritten digits") != NULL) << 0;
            rows_ok |= (strstr(t, "Fashion-MNIST - clothing") != NULL) << 1;
            rows_ok |= (strstr(t, "(in use)") != NULL) << 2;
        }
    CHECK(rows_ok == 7, "rows drawn (%d)", rows_ok);

    /* a folder without IDX files: refused, nothing changes */
    app_text(a, bad);
    app_key(a, KEY_RETURN, 0);
    CHECK(!a->data.show && a->nact == 1 && a->act[0].type == ACT_DATA && !strcmp(a->act[0].path, bad), "typed folder queued");
    unsigned long g0 = a->snap.generation;
    session_apply(&sess);
    CHECK((a->msg_sev == SEV_ERROR) && strstr(a->msg, "IDX"), "refused: %s", a->msg);
    sleep_ms(60);
    session_sync(&sess);
    CHECK(a->snap.generation == g0 && !strcmp(a->snap.data_dir, d1), "still on the first folder");

    /* type the second folder: a fresh network on it, the previous run kept, its class names */
    app_key(a, KEY_D, MOD_CTRL);
    session_apply(&sess);
    app_text(a, d2);
    app_key(a, KEY_RETURN, 0);
    session_apply(&sess);
    want_gen = g0;
    CHECK(sync_until(a, gen_changed, 15000), "switched");
    CHECK(!strcmp(a->snap.data_dir, d2) && a->snap.step == 0 && a->snap.gen_cause == GEN_DATA, "on %s, step 0", a->snap.data_dir);
    CHECK(a->nruns == 1 && a->runs[0].loss.n == 25 && strstr(a->runs[0].label, "letters"), "the letters run kept: %s",
          a->nruns ? a->runs[0].label : "-");
    CHECK(!strcmp(a->classes[0], "circle") && !strcmp(a->classes[1], "square") && !strcmp(a->classes[2], "2"),
          "classes from shapes/classes.txt: %s %s %s", a->classes[0], a->classes[1], a->classes[2]);
    CHECK(sync_until(a, has_view_of_gen, 15000), "a confusion view of the new data");
    CHECK(a->snap.view && a->snap.view->n == 150, "150 test images");
    /* saved models carry the class names and the dataset */
    char saved[1100];
    CHECK(session_save(&sess, NULL, saved, sizeof saved) == 0, "%s", a->msg);
    ModelMeta meta;
    Net back;
    CHECK(model_load(saved, &back, &meta, err) == 0, "%s", err);
    const char *mc = model_meta_get(&meta, "classes"), *md = model_meta_get(&meta, "dataset");
    CHECK(mc && !strncmp(mc, "circle,square,2,", 16) && md && !strcmp(md, "shapes"), "metadata: %s / %s", mc ? mc : "-", md ? md : "-");
    net_free(&back);

    /* personal examples belong to their dataset: one kept on shapes is not mixed into letters */
    char pdir[1200];
    const char dig[10][DATASET_CLASS_LEN] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    session_personal_dir_for(sess.personal_root, dig, "mnist", pdir, sizeof pdir);
    CHECK(!strcmp(pdir, sess.personal_root), "digits live in the folder itself: %s", pdir);
    session_personal_dir_for(sess.personal_root, (const char(*)[DATASET_CLASS_LEN])a->snap.classes, "shap es/..", pdir, sizeof pdir);
    CHECK(strstr(pdir, "/personal/shapes") != NULL, "another dataset in a subfolder named after it: %s", pdir);
    CHECK(strstr(sess.personal_dir, "/personal/shapes") && a->personal_n == 0, "on shapes: its folder, none yet (%s)",
          sess.personal_dir);
    canvas_draw_demo(&a->canvas_px, 1);
    app_update_prediction(a);
    app_key(a, KEY_1, MOD_CTRL);
    session_apply(&sess);
    CHECK(a->personal_n == 1 && sess.personal.n == 1, "kept one as a square: %s", a->msg);
    app_key(a, KEY_P, 0);
    session_apply(&sess);

    /* dropping a folder switches too; a loaded model keeps its own names */
    app_drop_file(a, d1);
    CHECK(a->nact == 1 && a->act[0].type == ACT_DROP, "a drop goes to the session, which finds a folder of data");
    want_gen = a->snap.generation;
    session_apply(&sess);
    CHECK(sync_until(a, gen_changed, 15000) && !strcmp(a->classes[0], "a"), "back on letters: %s", a->classes[0]);
    for (int t = 0; t < 400 && (a->personal_n != 0 || a->snap.extra_n != 0); t++) {
        session_sync(&sess);
        sleep_ms(5);
    }
    CHECK(a->personal_n == 0 && a->snap.extra_n == 0 && strstr(sess.personal_dir, "/personal/letters"),
          "on letters: the square is not there, nor in training (%d, %d)", a->personal_n, a->snap.extra_n);
    want_gen = a->snap.generation;
    CHECK(session_load(&sess, saved) == 0, "%s", a->msg);
    CHECK(sync_until(a, gen_changed, 15000), "loaded");
    CHECK(!strcmp(a->classes[0], "circle") && a->snap.gen_cause == GEN_LOAD, "the model's own names: %s", a->classes[0]);

    worker_stop(w, NULL);
    sess.worker = NULL;
    session_free(&sess);
    fclose(trace);
    free(tbuf);
    net_free(&net);
    app_free(a);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root); /* root came from mkdtemp */
    CHECK(chdir("/") == 0 && system(cmd) == 0, "clean up");
    return check_summary("test_data");
}

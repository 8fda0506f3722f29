/* test_files.c - the Open dialog's listing and Save As, driven through the App's keys, text and
 * clicks with a real session: a folder's subfolders and models with what their headers say, a
 * broken model listed with a mark (and why) instead of failing, hidden and other files left out,
 * the recent files as their own section, sorting by each column both ways (keys and a click on a
 * header), typed paths to a folder, to a file and to nothing, Backspace up a folder, a double
 * click, scrolling a long folder at 800x560 with everything inside the dialog, and Save As: a
 * name, a path with folders, a folder refused, an existing file asked about (Cancel keeps it
 * byte-identical, Replace writes it), while Ctrl+S never overwrites. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "model_io.h"
#include "ood.h"
#include "session.h"
#include "startup.h"
#include "view/view.h"

/* Row i of the Open dialog is on screen. */
static int open_row_visible(const App *a, int i) { return open_row(a, i).w > 0; }

static char g_root[256];
static char *g_trace;
static size_t g_trace_len;
static FILE *g_tf;

static const char *trace_text(void) {
    fflush(g_tf);
    return g_trace ? g_trace : "";
}

/* A model of these sizes with optional metadata (NULL: left out), its file time set to mtime. */
static void make_model(const char *path, const char *sizes, const char *data, const char *acc, const char *date, time_t mtime) {
    int sz[NET_MAX_LAYERS + 1];
    char err[ERR_LEN];
    int n = net_parse_layers(sizes, sz, NET_MAX_LAYERS + 1, err);
    Net net;
    CHECK(n > 1 && net_create(&net, sz, n - 1, BIAS_NEURON, 0, err) == 0, "%s: %s", sizes, err);
    net_init_he(&net, 3);
    ModelMeta m = {0};
    if (data) model_meta_set(&m, "dataset", "%s", data);
    if (acc) model_meta_set(&m, "test_accuracy", "%s", acc);
    if (date) model_meta_set(&m, "date", "%s", date);
    CHECK(model_save(path, &net, &m, err) == 0, "save %s: %s", path, err);
    net_free(&net);
    struct utimbuf t = {mtime, mtime};
    utime(path, &t);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path, size_t *n) {
    uint8_t *b = NULL;
    char err[ERR_LEN];
    *n = 0;
    if (file_read_all(path, &b, n, err) != 0) return NULL;
    return (char *)b;
}

/* The listed model names of the folder section, in order, joined by spaces ("" when none). */
static const char *order(const App *a, char *buf, size_t n) {
    buf[0] = 0;
    for (int i = 0; i < a->open.nlocal; i++) {
        const OpenEntry *e = &a->open.ent[i];
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? " " : "", e->kind == OPEN_UP ? ".." : e->name);
    }
    return buf;
}

static int find_row(const App *a, const char *name) {
    for (int i = 0; i < a->open.n; i++)
        if (!strcmp(a->open.ent[i].name, name)) return i;
    return -1;
}

/* The text command that starts with s, or NULL: in the dialog on top, when one is drawn. */
static const DrawCmd *text_cmd(const App *a, const char *s) {
    int from = 0;
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type == CMD_RECT && c->r.x == 0 && c->r.y == 0 && c->r.w == a->w && c->r.h == a->h && c->c.a == 140) from = i;
    }
    for (int i = from; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && !strncmp(drawcmd_text(&a->dl, &a->dl.cmds[i]), s, strlen(s))) return &a->dl.cmds[i];
    return NULL;
}

/* Everything drawn after the last dimming of the window lies inside the dialog's panel (the
 * command right after it); text also fits the panel's width. Returns the panel. */
static Rect check_inside_dialog(const App *a, const char *what) {
    int dim = -1;
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type == CMD_RECT && c->r.x == 0 && c->r.y == 0 && c->r.w == a->w && c->r.h == a->h && c->c.a == 140) dim = i;
    }
    CHECK(dim >= 0 && dim + 1 < a->dl.n, "%s: no dialog drawn", what);
    if (dim < 0 || dim + 1 >= a->dl.n) return (Rect){0, 0, 0, 0};
    Rect p = a->dl.cmds[dim + 1].r;
    CHECK(p.x >= 0 && p.y >= 0 && p.x + p.w <= a->w && p.y + p.h <= a->h, "%s: the panel %d,%d %dx%d leaves the %dx%d window", what,
          p.x, p.y, p.w, p.h, a->w, a->h);
    int out = 0;
    for (int i = dim + 1; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type != CMD_RECT && c->type != CMD_FRAME && c->type != CMD_TEXT) continue;
        Rect r = c->r;
        if (r.x < p.x || r.y < p.y || r.x + r.w > p.x + p.w || r.y + r.h > p.y + p.h) {
            if (out++ < 3)
                fprintf(stderr, "  %s: %s at %d,%d %dx%d outside the panel%s%s\n", what, c->type == CMD_TEXT ? "text" : "rect", r.x, r.y,
                        r.w, r.h, c->type == CMD_TEXT ? ": " : "", c->type == CMD_TEXT ? drawcmd_text(&a->dl, c) : "");
        }
    }
    CHECK(out == 0, "%s: %d commands outside the dialog", what, out);
    return p;
}

static void apply(Session *s) {
    session_apply(s);
    session_sync(s);
}

/* The window's copy of the network comes from the worker: on a busy machine it can lag a load by
 * a frame or more, so frames are applied (for up to 5 s) until done(a) holds. */
static void wait_worker(Session *s, int (*done)(const App *a, unsigned long gen0), unsigned long gen0) {
    for (int k = 0; k < 500 && !done(s->app, gen0); k++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        apply(s);
    }
}
static int new_generation_loaded(const App *a, unsigned long gen0) {
    return a->snap.generation != gen0 && a->snap.generation == a->temp_gen;
}
static int hidden_20_loaded(const App *a, unsigned long gen0) {
    (void)gen0;
    return a->snap.net.sizes[1] == 20;
}

static void type_enter(App *a, Session *s, const char *text) {
    app_text(a, text);
    app_key(a, KEY_RETURN, 0);
    apply(s);
}

/* The sort keys: Ctrl+1..5 choose the column (again: the other way). Each order is checked. */
static void check_sorts(App *a) {
    char buf[600];
    struct {
        int col, presses;
        const char *want;
    } cases[] = {
        {OPEN_COL_NAME, 0, ".. many sub-a sub-b alpha.safetensors beta.safetensors broken.safetensors gamma.safetensors"},
        {OPEN_COL_NAME, 1, ".. sub-b sub-a many gamma.safetensors broken.safetensors beta.safetensors alpha.safetensors"},
        {OPEN_COL_ARCH, 1, ".. many sub-a sub-b beta.safetensors alpha.safetensors gamma.safetensors broken.safetensors"},
        {OPEN_COL_ARCH, 2, ".. many sub-a sub-b gamma.safetensors alpha.safetensors beta.safetensors broken.safetensors"},
        {OPEN_COL_ACC, 1, ".. many sub-a sub-b alpha.safetensors beta.safetensors broken.safetensors gamma.safetensors"},
        {OPEN_COL_ACC, 2, ".. many sub-a sub-b beta.safetensors alpha.safetensors broken.safetensors gamma.safetensors"},
        {OPEN_COL_DATA, 1, ".. many sub-a sub-b beta.safetensors alpha.safetensors broken.safetensors gamma.safetensors"},
        {OPEN_COL_DATA, 2, ".. many sub-a sub-b alpha.safetensors beta.safetensors broken.safetensors gamma.safetensors"},
        {OPEN_COL_DATE, 1, ".. many sub-a sub-b alpha.safetensors beta.safetensors gamma.safetensors broken.safetensors"},
        {OPEN_COL_DATE, 2, ".. many sub-a sub-b broken.safetensors gamma.safetensors beta.safetensors alpha.safetensors"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        /* from name ascending, press the column's key as many times as asked */
        a->open.sort_col = OPEN_COL_NAME, a->open.sort_desc = 0;
        app_open_sort(&a->open);
        for (int p = 0; p < cases[k].presses; p++) app_key(a, KEY_1 + cases[k].col, MOD_CTRL);
        CHECK(a->open.sort_col == cases[k].col, "case %zu: sorted by column %d", k, a->open.sort_col);
        CHECK(!strcmp(order(a, buf, sizeof buf), cases[k].want), "column %d, %d press(es):\n    got  %s\n    want %s", cases[k].col,
              cases[k].presses, buf, cases[k].want);
    }
}

/* A model with a temperature and a not-a-digit detector, loaded and saved again before any
 * training: the copy keeps both; once trained (a step), a save has neither. */
static void check_detector_kept(Session *s, const char *models) {
    App *a = s->app;
    char err[ERR_LEN], src[600], dst[600];
    int sz[] = {784, 20, 10};
    Net net;
    CHECK(net_create(&net, sz, 2, BIAS_NEURON, 0, err) == 0, "%s", err);
    net_init_he(&net, 5);
    enum { N = 200, D = 20 };
    float *f = malloc(sizeof(float) * N * D);
    int y[N];
    Rng r;
    rng_seed(&r, 4);
    for (int i = 0; i < N; i++) {
        y[i] = i % 10;
        for (int j = 0; j < D; j++) f[i * D + j] = (float)rng_normal(&r) + (j == y[i] ? 3.0f : 0.0f);
    }
    OodModel ood = {0};
    ModelMeta meta = {0};
    ModelExtras ex = {0};
    CHECK(ood_fit(&ood, f, y, N, D, 10, err) == 0, "%s", err);
    ood.kind = OOD_MAHA, ood.threshold = 30.0f, ood.T = 1.7;
    model_meta_set(&meta, "temperature", "1.7");
    CHECK(ood_to_model(&ood, &meta, &ex, err) == 0, "%s", err);
    snprintf(src, sizeof src, "%s/detector.safetensors", models);
    CHECK(model_save_extras(src, &net, &meta, &ex, err) == 0, "%s", err);
    model_extras_free(&ex);
    ood_free(&ood);
    free(f);
    net_free(&net);
    unsigned long gen0 = a->snap.generation;
    CHECK(session_load(s, src) == 0, "the model with a detector opens");
    /* the worker starts the model's generation; the window takes the detector over with it */
    wait_worker(s, new_generation_loaded, gen0);
    CHECK(a->ood.K == 10 && fabs(a->temperature - 1.7) < 1e-6 && a->snap.step == 0, "its detector and temperature are in force (K %d, next %d, T %g, gen %lu, temp_gen %lu, step %ld)", a->ood.K, a->ood_next.K, a->temperature, a->snap.generation, a->temp_gen, a->snap.step);
    snprintf(dst, sizeof dst, "%s/detector-copy.safetensors", models);
    CHECK(session_save(s, dst, NULL, 0) == 0, "saved as a copy");
    ModelMeta m2 = {0};
    ModelExtras x2 = {0};
    Net n2 = {0};
    CHECK(model_load_extras(dst, &n2, &m2, &x2, err) == 0, "%s", err);
    const char *t = model_meta_get(&m2, "temperature"), *th = model_meta_get(&m2, "ood_threshold");
    CHECK(t && fabs(atof(t) - 1.7) < 1e-4 && th && fabs(atof(th) - 30.0) < 1e-4 && x2.n > 0,
          "the copy keeps the temperature (%s) and the detector (%s, %d tensors)", t ? t : "none", th ? th : "none", x2.n);
    net_free(&n2);
    model_extras_free(&x2);
    a->snap.step = 1; /* as if it had trained a step */
    CHECK(session_save(s, dst, NULL, 0) == 0, "saved after training");
    CHECK(model_load_extras(dst, &n2, &m2, &x2, err) == 0, "%s", err);
    CHECK(!model_meta_get(&m2, "temperature") && !model_meta_get(&m2, "ood_threshold") && x2.n == 0,
          "a trained network goes without the model's temperature and detector");
    net_free(&n2);
    model_extras_free(&x2);
    a->snap.step = 0;
}

/* Training autosaved, then saved by the user: the autosave is not offered at the next start (it
 * holds nothing the saved file lacks); one written after more training is. */
static void check_autosave_superseded(Session *s) {
    App *a = s->app;
    char dst[APP_PATH_LEN + 40];
    snprintf(s->autosave_dir, sizeof s->autosave_dir, "%s/autosave-superseded", g_root);
    a->snap.step = 7; /* as if it had trained */
    CHECK(session_autosave(s, "training went on for a while", NULL, 0) == 0, "an autosave is written");
    a->ask.kind = ASK_NONE, a->ask.path[0] = 0;
    session_offer_restore(s);
    CHECK(a->ask.kind == ASK_RESTORE && strstr(a->ask.path, "/autosave-superseded/autosave-"),
          "an autosave nobody saved is offered (%s)", a->ask.path);
    a->ask.kind = ASK_NONE, a->ask.path[0] = 0;
    snprintf(dst, sizeof dst, "%s/saved-after-autosave.safetensors", g_root);
    CHECK(session_save(s, dst, NULL, 0) == 0, "the user saves the same run");
    session_offer_restore(s);
    CHECK(a->ask.kind == ASK_NONE && !a->ask.path[0], "the autosave of the run saved since is not offered (%s)", a->ask.path);
    a->snap.step = 9; /* more training, autosaved again: that one holds what the save lacks */
    struct timespec ts = {1, 50 * 1000 * 1000};
    nanosleep(&ts, NULL); /* a new second: a new stamp in the name */
    CHECK(session_autosave(s, "training went on for a while", NULL, 0) == 0, "a second autosave is written");
    session_offer_restore(s);
    CHECK(a->ask.kind == ASK_RESTORE, "the later autosave is offered");
    a->ask.kind = ASK_NONE, a->ask.path[0] = 0;
    a->snap.step = 0;
    s->autosave_dir[0] = 0;
}

int main(void) {
    char err[ERR_LEN], p[800], q[700], buf[1600];
    snprintf(g_root, sizeof g_root, "/tmp/digitrec_test_files_XXXXXX");
    if (!mkdtemp(g_root)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(p, sizeof p, "%s/home", g_root);
    mkdir(p, 0755);
    setenv("HOME", p, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_DATA_HOME");
    setenv("DIGITREC_DATA", "/nonexistent/digitrec-data", 1);

    /* the models folder: two subfolders (and a hidden one), three models with what their
       headers say, a broken one, files that are no models */
    char models[400];
    snprintf(models, sizeof models, "%s/models", g_root);
    mkdir(models, 0755);
    const char *dirs[] = {"sub-a", "sub-b", ".hidden", "many", "outside"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", i == 4 ? g_root : models, dirs[i]);
        mkdir(p, 0755);
    }
    time_t t2022 = 1641038400, t2021 = 1609502400; /* 2022-01-01, 2021-01-01 */
    snprintf(p, sizeof p, "%s/alpha.safetensors", models);
    make_model(p, "784-32-10", "mnist", "0.9500", "2024-01-02T03:04:05Z", t2022);
    snprintf(p, sizeof p, "%s/beta.safetensors", models);
    make_model(p, "784-10", "fashion-mnist", "0.8100", "2023-06-07T08:09:10Z", t2022);
    snprintf(p, sizeof p, "%s/gamma.safetensors", models);
    make_model(p, "784-64-32-10", NULL, NULL, NULL, t2022);
    snprintf(p, sizeof p, "%s/sub-a/inner.safetensors", models);
    make_model(p, "784-16-10", "mnist", "0.9000", NULL, t2022);
    snprintf(p, sizeof p, "%s/broken.safetensors", models);
    write_file(p, "this is not a model");
    struct utimbuf tb = {t2021, t2021};
    utime(p, &tb);
    snprintf(p, sizeof p, "%s/notes.txt", models);
    write_file(p, "notes");
    snprintf(p, sizeof p, "%s/.secret.safetensors", models);
    make_model(p, "784-10", NULL, NULL, NULL, t2022);
    for (int i = 0; i < 40; i++) {
        snprintf(p, sizeof p, "%s/many/m%02d.safetensors", models, i);
        make_model(p, "784-10", "mnist", "0.9", NULL, t2022 + i);
    }
    char outside[700];
    snprintf(outside, sizeof outside, "%s/outside/recent.safetensors", g_root);
    make_model(outside, "784-20-10", "mnist", "0.9700", NULL, t2022);

    /* a session with a worker (loading needs one); the recent files: one elsewhere, one gone */
    static App app;
    static Session s;
    App *a = &app;
    g_tf = open_memstream(&g_trace, &g_trace_len);
    WindowOptions o;
    window_options_default(&o);
    o.arch = "softmax";
    o.models_dir = models;
    CHECK(session_start(&s, a, &o, g_tf, err) == 0, "start: %s", err);
    session_make_dirs_for(s.recent_file);
    snprintf(buf, sizeof buf, "%s\n/nonexistent/gone.safetensors\n%s/alpha.safetensors\n", outside, models);
    write_file(s.recent_file, buf);
    a->now = 1;

    /* Ctrl+O: the models folder */
    app_key(a, KEY_O, MOD_CTRL);
    CHECK(a->open.show, "Ctrl+O opens the dialog");
    apply(&s);
    CHECK(!strcmp(a->open.dir, models), "it shows the models folder: %s", a->open.dir);
    CHECK(!strcmp(order(a, buf, sizeof buf), ".. many sub-a sub-b alpha.safetensors beta.safetensors broken.safetensors gamma.safetensors"),
          "the folder's rows, by name: %s", buf);
    CHECK(a->open.n == a->open.nlocal + 1 && !strcmp(a->open.ent[a->open.nlocal].path, outside) && a->open.ent[a->open.nlocal].recent,
          "the recent files: the one elsewhere (the gone one left out, alpha listed once): %d rows, %d local", a->open.n,
          a->open.nlocal);
    CHECK(strstr(trace_text(), "\"event\":\"open_list\"") && strstr(trace_text(), "\"folders\":3,\"models\":3,\"broken\":1,\"recent\":1"),
          "the listing is traced");
    int al = find_row(a, "alpha.safetensors"), be = find_row(a, "beta.safetensors"), ga = find_row(a, "gamma.safetensors"),
        br = find_row(a, "broken.safetensors");
    CHECK(al >= 0 && be >= 0 && ga >= 0 && br >= 0, "the models are listed");
    if (al < 0 || be < 0 || ga < 0 || br < 0) return check_summary("test_files");
    const OpenEntry *e = &a->open.ent[al];
    struct tm tmv;
    time_t t = 1704164645; /* 2024-01-02T03:04:05Z */
    char want_date[32];
    localtime_r(&t, &tmv);
    strftime(want_date, sizeof want_date, "%Y-%m-%d %H:%M", &tmv);
    CHECK(e->kind == OPEN_MODEL && !strcmp(e->arch, "784-32-10") && fabs(e->acc - 0.95) < 1e-9 && !strcmp(e->data, "mnist") &&
              !strcmp(e->date, want_date),
          "alpha's row: %s %g %s %s (want %s)", e->arch, e->acc, e->data, e->date, want_date);
    e = &a->open.ent[ga];
    localtime_r(&t2022, &tmv);
    strftime(want_date, sizeof want_date, "%Y-%m-%d %H:%M", &tmv);
    CHECK(e->kind == OPEN_MODEL && !strcmp(e->arch, "784-64-32-10") && e->acc < 0 && !e->data[0] && !strcmp(e->date, want_date),
          "gamma: no metadata, the file's time (%s)", e->date);
    e = &a->open.ent[br];
    CHECK(e->kind == OPEN_BROKEN && strstr(e->why, "broken.safetensors") && strlen(e->why) > 25 && !strchr(e->why, '\n'),
          "the broken file is marked, with why: %s", e->why);
    /* the broken row is drawn with its mark, its reason shows when selected */
    a->open.sel = br;
    app_frame(a, 1);
    CHECK(text_cmd(a, "! not a model") != NULL && text_cmd(a, "broken.safetensors: ") != NULL, "the mark and the reason are drawn");

    check_sorts(a);
    /* a click on a column's head sorts by it */
    a->open.sort_col = OPEN_COL_NAME, a->open.sort_desc = 0;
    app_frame(a, 1.1);
    const DrawCmd *h = text_cmd(a, "Network");
    CHECK(h != NULL, "the Network column's head is drawn");
    if (h) {
        app_mouse_down(a, h->r.x + 2, h->r.y + h->r.h / 2, BTN_LEFT);
        app_mouse_up(a, h->r.x + 2, h->r.y + h->r.h / 2, BTN_LEFT);
        CHECK(a->open.sort_col == OPEN_COL_ARCH && !a->open.sort_desc, "a click on Network sorts by it");
        CHECK(strstr(trace_text(), "\"event\":\"open_sort\",\"column\":\"Network\""), "the sort is traced");
    }
    a->open.sort_col = OPEN_COL_NAME, a->open.sort_desc = 0;
    app_open_sort(&a->open);

    /* a typed folder, relative to the one shown; Backspace with an empty box goes up */
    type_enter(a, &s, "sub-a");
    snprintf(p, sizeof p, "%s/sub-a", models);
    CHECK(!strcmp(a->open.dir, p) && !a->open.edit[0] && a->open.show, "typed sub-a: %s", a->open.dir);
    CHECK(!strcmp(order(a, buf, sizeof buf), ".. inner.safetensors"), "sub-a's rows: %s", buf);
    app_key(a, KEY_BACKSPACE, 0);
    apply(&s);
    CHECK(!strcmp(a->open.dir, models), "Backspace goes up: %s", a->open.dir);
    /* Backspace with text erases a character */
    app_text(a, "sub-bx");
    app_key(a, KEY_BACKSPACE, 0);
    CHECK(!strcmp(a->open.edit, "sub-b"), "Backspace erases: %s", a->open.edit);
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    snprintf(p, sizeof p, "%s/sub-b", models);
    CHECK(!strcmp(a->open.dir, p), "typed sub-b: %s", a->open.dir);
    /* a whole path; a path to nothing: one line in the dialog, which stays */
    snprintf(p, sizeof p, "%s/many", models);
    type_enter(a, &s, p);
    CHECK(!strcmp(a->open.dir, p) && a->open.nlocal == 41, "typed the whole path of many/: %s, %d rows", a->open.dir, a->open.nlocal);
    type_enter(a, &s, "/nonexistent/nowhere");
    CHECK(a->open.show && strstr(a->open.msg, "No such file") && !strcmp(a->open.dir, p), "a bad path: %s", a->open.msg);
    CHECK(strstr(trace_text(), "\"event\":\"dialog\",\"which\":\"open\",\"message\":\"/nonexistent/nowhere: No such file"),
          "the bad path is traced");
    CHECK(!strcmp(a->open.edit, "/nonexistent/nowhere"), "the bad path stays in the box to be mended: %s", a->open.edit);
    app_text(a, "x");
    CHECK(!a->open.msg[0], "typing clears the message");
    for (int i = 0; i < 100 && a->open.edit[0]; i++) app_key(a, KEY_BACKSPACE, 0);
    CHECK(!a->open.edit[0] && a->nact == 0, "Backspace empties the box without going up");

    /* 800x560: a long folder scrolls, and everything stays inside the dialog */
    app_resize(a, 800, 560);
    app_frame(a, 2);
    check_inside_dialog(a, "Open at 800x560");
    int shown = 0;
    for (int i = 0; i < a->open.n; i++) shown += open_row_visible(a, i);
    CHECK(shown > 10 && shown < a->open.n, "800x560 shows %d of %d rows", shown, a->open.n);
    a->open.sel = 0;
    for (int i = 0; i < 60; i++) app_key(a, KEY_DOWN, 0);
    CHECK(a->open.sel == a->open.n - 1 && a->open.scroll > 0 && open_row_visible(a, a->open.sel),
          "Down to the last row scrolls to it (sel %d, scroll %d)", a->open.sel, a->open.scroll);
    app_key(a, KEY_PAGEUP, 0);
    app_key(a, KEY_PAGEUP, 0);
    app_key(a, KEY_PAGEUP, 0);
    CHECK(a->open.sel == 0 && a->open.scroll == 0, "PageUp back to the top (sel %d)", a->open.sel);
    app_wheel(a, 400, 300, -2);
    CHECK(a->open.scroll == 6, "the wheel scrolls (%d)", a->open.scroll);
    app_frame(a, 2.1);
    check_inside_dialog(a, "Open at 800x560, scrolled");
    app_wheel(a, 400, 300, 5);
    app_resize(a, 1280, 800);

    /* a double click on a folder enters it */
    app_key(a, KEY_BACKSPACE, 0);
    apply(&s);
    app_frame(a, 3);
    const DrawCmd *row = text_cmd(a, "sub-a/");
    CHECK(row != NULL, "the sub-a row is drawn");
    if (row) {
        a->now = 3.0;
        app_mouse_down(a, row->r.x + 4, row->r.y + 4, BTN_LEFT);
        CHECK(!strcmp(a->open.ent[a->open.sel].name, "sub-a") && a->nact == 0, "one click selects");
        a->now = 3.2;
        app_mouse_down(a, row->r.x + 4, row->r.y + 4, BTN_LEFT);
        apply(&s);
        snprintf(p, sizeof p, "%s/sub-a", models);
        CHECK(!strcmp(a->open.dir, p), "a double click enters the folder: %s", a->open.dir);
    }
    /* the keyboard: Up to "..", Enter */
    a->open.sel = 1;
    app_key(a, KEY_UP, 0);
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    CHECK(!strcmp(a->open.dir, models), "Enter on \"..\" goes up: %s", a->open.dir);

    /* a broken model chosen: one line in the dialog, nothing loaded */
    a->open.sel = find_row(a, "broken.safetensors");
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    CHECK(a->open.show && strstr(a->open.msg, "broken.safetensors") && !strchr(a->open.msg, '\n'), "a broken model: %s",
          a->open.msg);
    /* a typed file: opened, the dialog closes */
    snprintf(p, sizeof p, "%s/beta.safetensors", models);
    type_enter(a, &s, "beta.safetensors");
    CHECK(!a->open.show && !strcmp(s.baseline_name, p), "a typed model file opens: %s", s.baseline_name);
    snprintf(buf, sizeof buf, "\"event\":\"load\",\"ok\":true,\"path\":\"%s\"", p);
    CHECK(strstr(trace_text(), buf), "the load is traced");
    /* the recent file row opens too */
    app_key(a, KEY_O, MOD_CTRL);
    apply(&s);
    int rec = -1;
    for (int i = a->open.nlocal; i < a->open.n; i++)
        if (!strcmp(a->open.ent[i].path, outside)) rec = i;
    CHECK(rec >= 0, "the recent file is still listed");
    a->open.sel = rec;
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    CHECK(!a->open.show && !strcmp(s.baseline_name, outside), "the recent row opens: %s", s.baseline_name);
    wait_worker(&s, hidden_20_loaded, 0); /* the 784-20-10 arrives from the worker */

    /* ---- Save As ---- */
    app_key(a, KEY_S, MOD_CTRL | MOD_SHIFT);
    CHECK(a->save.show, "Ctrl+Shift+S opens Save As");
    apply(&s);
    CHECK(a->save.fresh && !strncmp(a->save.edit, "digitrec-784-20-10-", 19) && strstr(a->save.edit, ".safetensors") &&
              !strcmp(a->save.dir, models),
          "the generated name is suggested: %s in %s", a->save.edit, a->save.dir);
    app_resize(a, 800, 560);
    app_frame(a, 4);
    check_inside_dialog(a, "Save As at 800x560");
    app_text(a, "m");
    app_text(a, "ine");
    CHECK(!strcmp(a->save.edit, "mine"), "typing replaces the suggestion: %s", a->save.edit);
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    char mine[720];
    snprintf(mine, sizeof mine, "%s/mine.safetensors", models);
    struct stat st;
    CHECK(!a->save.show && stat(mine, &st) == 0, "saved as mine.safetensors");
    CHECK(!strcmp(s.baseline_name, mine) && !app_unsaved(a), "it is the model Revert returns to");
    size_t n0, n1;
    char *before = slurp(mine, &n0);
    /* again: asked first; Cancel keeps the file byte for byte */
    a->snap.net.params[0] += 0.5f; /* so that a replacement differs */
    app_key(a, KEY_S, MOD_CTRL | MOD_SHIFT);
    apply(&s);
    type_enter(a, &s, "mine");
    CHECK(a->save.show && !strcmp(a->save.confirm, mine), "an existing name is asked about: %s", a->save.confirm);
    snprintf(buf, sizeof buf, "\"event\":\"ask\",\"kind\":\"replace\",\"path\":\"%s\"", mine);
    CHECK(strstr(trace_text(), buf), "the question is traced");
    app_frame(a, 5);
    check_inside_dialog(a, "Replace? at 800x560");
    CHECK(text_cmd(a, "Replace mine.safetensors?") != NULL, "it asks \"Replace mine.safetensors?\"");
    app_key(a, KEY_ESCAPE, 0);
    apply(&s);
    char *after = slurp(mine, &n1);
    CHECK(a->save.show && !a->save.confirm[0] && before && after && n0 == n1 && !memcmp(before, after, n0),
          "Cancel: back to the name, the file byte-identical");
    free(after);
    /* Replace writes it */
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    CHECK(!strcmp(a->save.confirm, mine), "asked again");
    app_key(a, KEY_RETURN, 0);
    apply(&s);
    after = slurp(mine, &n1);
    CHECK(!a->save.show && after && (n0 != n1 || memcmp(before, after, n0) != 0), "Replace writes over it");
    Net back;
    CHECK(model_load(mine, &back, NULL, err) == 0 && back.params[0] == a->snap.net.params[0], "the new weights: %s", err);
    net_free(&back);
    free(before);
    free(after);
    app_resize(a, 1280, 800);
    /* a path with folders; a folder refused; Esc closes */
    app_key(a, KEY_S, MOD_CTRL | MOD_SHIFT);
    apply(&s);
    type_enter(a, &s, "deep/er/x");
    snprintf(p, sizeof p, "%s/deep/er/x.safetensors", models);
    CHECK(!a->save.show && stat(p, &st) == 0, "a path with folders: %s", p);
    app_key(a, KEY_S, MOD_CTRL | MOD_SHIFT);
    apply(&s);
    type_enter(a, &s, "sub-a");
    CHECK(a->save.show && strstr(a->save.msg, "is a folder"), "a folder is refused: %s", a->save.msg);
    snprintf(q, sizeof q, "%s/outside/abs", g_root);
    app_key(a, KEY_BACKSPACE, 0);
    for (int i = 0; i < 10; i++) app_key(a, KEY_BACKSPACE, 0);
    type_enter(a, &s, q);
    snprintf(p, sizeof p, "%s.safetensors", q);
    CHECK(!a->save.show && stat(p, &st) == 0, "a whole path: %s", p);
    app_key(a, KEY_S, MOD_CTRL | MOD_SHIFT);
    app_key(a, KEY_ESCAPE, 0);
    CHECK(!a->save.show, "Esc closes Save As");
    /* right-click on Save opens it too */
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_SAVE) {
            Rect r = a->widgets[i].r;
            app_mouse_down(a, r.x + r.w / 2, r.y + r.h / 2, BTN_RIGHT);
            app_mouse_up(a, r.x + r.w / 2, r.y + r.h / 2, BTN_RIGHT);
        }
    CHECK(a->save.show, "a right click on Save opens Save As");
    app_key(a, KEY_ESCAPE, 0);
    /* Ctrl+S: a generated name, never over another file */
    app_key(a, KEY_S, MOD_CTRL);
    apply(&s);
    app_key(a, KEY_S, MOD_CTRL);
    apply(&s);
    int saves = 0;
    char first[APP_PATH_LEN] = "", second[APP_PATH_LEN] = "";
    for (const char *at = trace_text(); (at = strstr(at, "\"event\":\"save\",\"ok\":true,\"path\":\"")); at++) {
        saves++;
        const char *b = at + strlen("\"event\":\"save\",\"ok\":true,\"path\":\"");
        snprintf(first, sizeof first, "%s", second);
        snprintf(second, sizeof second, "%.*s", (int)strcspn(b, "\""), b);
    }
    CHECK(saves >= 6 && strcmp(first, second) != 0 && strstr(second, "/models/digitrec-784-20-10-"),
          "two Ctrl+S saves, two files: %s, %s", first, second);
    /* the help lists the new keys */
    a->show_help = 1;
    app_frame(a, 6);
    CHECK(text_cmd(a, "Ctrl+Shift+S, right-click Save") != NULL, "the help lists Save As");
    app_resize(a, 800, 560);
    app_frame(a, 6.1);
    check_inside_dialog(a, "the help at 800x560");
    app_resize(a, 1280, 800);
    a->show_help = 0;

    check_detector_kept(&s, models);
    check_autosave_superseded(&s);

    char msg[800];
    session_close(&s, msg, sizeof msg);
    session_free(&s);
    app_free(a);
    fclose(g_tf);
    free(g_trace);
    snprintf(buf, sizeof buf, "rm -rf '%s'", g_root); /* g_root came from mkdtemp */
    CHECK(system(buf) == 0, "clean up");
    return check_summary("test_files");
}

/* session.c - carries out what the App asked for: worker commands, model files (load, save
 * under a generated name, autosave on close), personal examples, exports, the Open dialog's
 * listing, the recent-files list and dropped files. Every failure becomes a one-line message in
 * the window; nothing here exits. */
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "model_io.h"
#include "personal.h"
#include "train.h"

static void keep_unsaved(Session *s, const char *why);
static void personal_follow(Session *s);

static void trace_line(void *ud, const char *line) {
    FILE *f = ud;
    fputs(line, f);
    fputc('\n', f);
    fflush(f);
}

void session_init(Session *s, App *app, FILE *trace) {
    memset(s, 0, sizeof *s);
    s->app = app;
    s->trace = trace;
    app_set_trace(app, trace ? trace_line : NULL, trace);
}

void session_free(Session *s) {
    dataset_free(&s->personal);
    net_free(&s->baseline);
    ood_free(&s->baseline_ood);
    memset(s, 0, sizeof *s);
}

int session_sync(Session *s) {
    App *a = s->app;
    Worker *w = s->worker;
    if (!w) return 0;
    int rc = worker_sync_run(w, &a->snap);
    if (rc == 2) {
        /* a new run begins (reset, load, data switch): keep this one's curves for comparison */
        app_archive_run(a);
        curve_init(&a->snap.loss);
        a->snap.nevals = 0;
        rc = worker_sync(w, &a->snap);
    }
    if (rc != 1) return 0;
    app_on_snapshot(a);
    personal_follow(s);
    return 1;
}

/* ---- the data chooser ---- */

int session_data_present(const char *dir) {
    static const char *need[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                 "t10k-labels-idx1-ubyte"};
    char p[APP_PATH_LEN + 40];
    struct stat st;
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%.1000s/%s", dir, need[i]);
        if (stat(p, &st) == 0) continue;
        snprintf(p, sizeof p, "%.1000s/%s.gz", dir, need[i]);
        if (stat(p, &st) != 0) return 0;
    }
    return 1;
}

/* The chooser's rows: MNIST, Fashion-MNIST, and the folder in use when it is neither. */
static void list_data(Session *s) {
    DataDialog *d = &s->app->data;
    const char *cur = s->app->snap.data_dir;
    d->n = 0;
    snprintf(d->opts[d->n++], APP_PATH_LEN, "%s", dataset_mnist_dir());
    snprintf(d->opts[d->n++], APP_PATH_LEN, "%s", dataset_fashion_dir());
    if (cur[0] && strcmp(cur, d->opts[0]) != 0 && strcmp(cur, d->opts[1]) != 0)
        snprintf(d->opts[d->n++], APP_PATH_LEN, "%s", cur);
    d->sel = 0;
    for (int i = 0; i < d->n; i++) {
        d->present[i] = session_data_present(d->opts[i]);
        if (!strcmp(d->opts[i], cur)) d->sel = i;
    }
}

static void data_action(Session *s, const char *dir) {
    App *a = s->app;
    char esc[APP_PATH_LEN * 2];
    json_escape(esc, sizeof esc, dir);
    if (!session_data_present(dir)) {
        app_message(a, SEV_ERROR, "%s does not hold MNIST's four IDX files (train-images-idx3-ubyte and 3 more, raw or .gz)",
                    dir);
        app_trace(a, "\"event\":\"data\",\"ok\":false,\"dir\":\"%s\"", esc);
        return;
    }
    keep_unsaved(s, "another dataset was chosen");
    worker_set_data(s->worker, dir, &a->ctl);
    app_message(a, SEV_INFO, "loading %s...", dir);
    app_trace(a, "\"event\":\"data\",\"ok\":true,\"dir\":\"%s\"", esc);
}

/* What a dropped file is, from its first bytes: 1 a model (safetensors: a little-endian header
 * length, then JSON), 2 a picture (PNG, JPEG, BMP, PGM), 0 neither or unreadable. */
static int sniff(const char *path) {
    unsigned char b[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 9 && b[8] == '{' && b[5] == 0 && b[6] == 0 && b[7] == 0) return 1;
    if ((n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) || (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) ||
        (n >= 2 && b[0] == 'B' && b[1] == 'M') || (n >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '5')))
        return 2;
    return 0;
}

/* A dropped folder of IDX files is a dataset to train on, a model loads, a picture goes onto the
 * canvas; anything else gets one line saying what it is not. */
static void drop_action(Session *s, const char *path) {
    App *a = s->app;
    struct stat st;
    char err[ERR_LEN];
    if (stat(path, &st) != 0) {
        app_message(a, SEV_ERROR, "cannot open %s: %s", path, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        data_action(s, path);
        return;
    }
    switch (sniff(path)) {
    case 1: session_load(s, path); break;
    case 2:
        if (session_canvas_from_file(s, path, err) == 0) {
            app_message(a, SEV_INFO, "%s is on the canvas: draw on it to see the reading change", path);
            a->msg_canvas = 1;
        } else {
            app_message(a, SEV_ERROR, "%s", err);
        }
        break;
    default:
        app_message(a, SEV_ERROR, "%s is not a model (.safetensors), a picture (PNG, JPEG, BMP, PGM) or a folder of IDX files",
                    path);
    }
}

/* ---- model files ---- */

int session_load(Session *s, const char *path) {
    App *a = s->app;
    char err[ERR_LEN], esc[APP_PATH_LEN * 2];
    Net net = {0};
    ModelMeta meta;
    json_escape(esc, sizeof esc, path);
    if (!s->worker) {
        app_message(a, SEV_ERROR, "cannot load %s: no training worker", path);
        return -1;
    }
    OodModel ood;
    if (session_read_model(path, &net, &meta, &ood, err) != 0) {
        app_message(a, SEV_ERROR, "cannot open: %s", err);
        app_trace(a, "\"event\":\"load\",\"ok\":false,\"path\":\"%s\"", esc);
        return -1;
    }
    char sizes[ARCH_MAX_TEXT];
    net_arch_str(&net, sizes, sizeof sizes);
    keep_unsaved(s, "another model was opened");
    app_set_classes(a, model_meta_get(&meta, "classes"));
    a->classes_from_model = 1;
    app_adopt_network(a, &net);
    session_set_baseline(s, &net, &meta, &ood, path);
    session_adopt_meta(s, &meta);
    app_next_detector(a, &ood);
    worker_load(s->worker, &net); /* moved: the worker owns it now */
    worker_configure(s->worker, &a->ctl);
    app_message(a, SEV_INFO, "loaded %s (%s)", path, sizes);
    app_trace(a, "\"event\":\"load\",\"ok\":true,\"path\":\"%s\",\"layers\":\"%s\"", esc, sizes);
    session_remember(s, path);
    return 0;
}

int session_save(Session *s, const char *path, char *out, size_t n) {
    if (session_write_model(s, path, NULL, 1, out, n) != 0) return -1;
    session_autosave_superseded(s);
    return 0;
}

/* Before a run is replaced (a re-init, a load, another dataset, a revert), unsaved training is
 * autosaved, so it stays one Ctrl+O away. */
static void keep_unsaved(Session *s, const char *why) {
    App *a = s->app;
    char path[APP_PATH_LEN];
    if (!app_unsaved(a) || !s->autosave_dir[0]) return;
    if (a->snap.generation == s->autosave_gen && a->snap.step == s->autosave_step) return; /* already kept */
    if (session_autosave(s, why, path, sizeof path) == 0)
        app_message(a, SEV_INFO, "your unsaved training (%ld steps) was kept as %s", a->snap.step, path);
}

/* The Open dialog's typed path or chosen row: a model file is loaded and the dialog closes (the
 * next Ctrl+O starts in its folder); a failure stays in the dialog. */
static void open_path(Session *s, const char *text) {
    App *a = s->app;
    OpenDialog *o = &a->open;
    char path[APP_PATH_LEN];
    if (session_open_path(s, text, path, sizeof path) != 1) return;
    if (session_load(s, path) != 0) {
        app_dialog_message(a, "open", "%s", a->msg); /* why, in the dialog too; it stays open */
        return;
    }
    o->show = 0;
    o->edit[0] = o->msg[0] = 0;
    snprintf(o->dir, sizeof o->dir, "%s", path);
    char *slash = strrchr(o->dir, '/');
    if (slash && slash != o->dir) *slash = 0;
}

/* Save As: written atomically and remembered as Ctrl+S does; a failure stays in the dialog. */
static void save_as(Session *s, const char *text, int replace) {
    App *a = s->app;
    char path[APP_PATH_LEN], out[APP_PATH_LEN];
    if (session_save_as_path(s, text, replace, path, sizeof path) != 1) return;
    if (session_save(s, path, out, sizeof out) != 0) {
        app_dialog_message(a, "save_as", "%s", a->msg);
        return;
    }
    a->save.show = 0;
    a->save.confirm[0] = a->save.msg[0] = 0;
}

static void revert_action(Session *s) {
    App *a = s->app;
    if (!s->baseline.params) {
        app_message(a, SEV_WARN, "nothing to revert to: this network was never loaded or saved");
        return;
    }
    char err[ERR_LEN];
    Net copy = {0};
    if (net_copy(&copy, &s->baseline, err) != 0) {
        app_message(a, SEV_ERROR, "cannot revert: %s", err);
        return;
    }
    keep_unsaved(s, "the model was reverted");
    app_set_classes(a, model_meta_get(&s->baseline_meta, "classes"));
    a->classes_from_model = 1;
    app_adopt_network(a, &copy);
    session_adopt_meta(s, &s->baseline_meta);
    OodModel ood; /* the detector it came with, from the next generation on */
    if (ood_copy(&ood, &s->baseline_ood) == 0) app_next_detector(a, &ood);
    worker_load(s->worker, &copy);
    worker_configure(s->worker, &a->ctl);
    app_message(a, SEV_INFO, "back to %s", s->baseline_name);
    app_trace(a, "\"event\":\"revert\"");
}

/* ---- personal examples ---- */

void session_personal_dir_for(const char *root, const char classes[][DATASET_CLASS_LEN], const char *name, char *out,
                              size_t n) {
    int digits = 1;
    for (int k = 0; k < 10 && digits; k++) {
        char d[4];
        snprintf(d, sizeof d, "%d", k);
        digits = !strcmp(classes[k], d);
    }
    if (digits || !name || !*name) {
        snprintf(out, n, "%s", root);
        return;
    }
    char clean[64];
    size_t j = 0;
    for (const char *p = name; *p && j + 1 < sizeof clean; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
            clean[j++] = *p;
    clean[j] = 0;
    snprintf(out, n, "%.900s/%s", root, j ? clean : "other");
}

/* Follows the dataset in use: when it changed, the session's personal examples become that
 * dataset's, and the worker gets them (it dropped the old ones with the old data). */
static void personal_follow(Session *s) {
    App *a = s->app;
    const Snapshot *sn = &a->snap;
    if (sn->data_seq == s->personal_seq || !s->personal_root[0]) return;
    s->personal_seq = sn->data_seq;
    char dir[APP_PATH_LEN], err[ERR_LEN], name[64];
    snprintf(name, sizeof name, "%.63s", sn->data_desc);
    name[strcspn(name, " ")] = 0;
    session_personal_dir_for(s->personal_root, (const char(*)[DATASET_CLASS_LEN])sn->classes, name, dir, sizeof dir);
    Dataset ds = {0};
    if (strcmp(dir, s->personal_dir) != 0) {
        if (personal_load(dir, &ds, err) != 0) {
            app_message(a, SEV_ERROR, "your examples for %s were not loaded: %s", name, err);
            return;
        }
        dataset_free(&s->personal);
        s->personal = ds;
        snprintf(s->personal_dir, sizeof s->personal_dir, "%s", dir);
        a->personal_n = s->personal.n;
        app_resize(a, a->w, a->h); /* the Mine button shows the count */
    }
    session_send_personal(s);
}

void session_send_personal(Session *s) {
    if (!s->worker) return;
    char err[ERR_LEN];
    Dataset copy = {0};
    if (s->personal.n > 0 && dataset_subset(&s->personal, s->personal.n, &copy, err) != 0) {
        app_message(s->app, SEV_ERROR, "cannot hand your examples to training: %s", err);
        return;
    }
    worker_set_extra(s->worker, &copy, s->app->mix);
}

/* Ctrl+digit: the 28x28 input the network sees joins the personal folder as class k. */
static void personal_add_action(Session *s, int k) {
    App *a = s->app;
    char err[ERR_LEN], esc[APP_PATH_LEN * 2];
    json_escape(esc, sizeof esc, s->personal_dir);
    if (!a->has_ink) {
        app_message(a, SEV_WARN, "draw a %s first, then press Ctrl+%d to add it to your examples", a->classes[k], k);
        return;
    }
    if (!s->personal_dir[0]) {
        app_message(a, SEV_ERROR, "no folder for your examples: set XDG_DATA_HOME or HOME, or use --personal-dir");
        return;
    }
    uint8_t img[PERSONAL_SIDE * PERSONAL_SIDE];
    personal_from_input(img, a->input);
    if (personal_add(s->personal_dir, &s->personal, img, k, err) != 0) {
        app_message(a, SEV_ERROR, "could not keep your example: %s", err);
        app_trace(a, "\"event\":\"personal\",\"ok\":false,\"label\":%d", k);
        return;
    }
    a->personal_n = s->personal.n;
    int per[DATASET_MAX_CLASSES] = {0};
    for (int i = 0; i < s->personal.n; i++) per[s->personal.y[i]]++;
    app_message(a, SEV_INFO, "kept as a %s: %d of yours (%d of class %s) in %s%s", a->classes[k], s->personal.n, per[k],
                a->classes[k], s->personal_dir, a->mix ? "" : "; P mixes them into training");
    app_trace(a, "\"event\":\"personal\",\"ok\":true,\"label\":%d,\"count\":%d,\"dir\":\"%s\"", k, s->personal.n, esc);
    session_send_personal(s);
}

static void personal_undo_action(Session *s) {
    App *a = s->app;
    char err[ERR_LEN];
    int rc = personal_remove_last(s->personal_dir, &s->personal, err);
    if (rc == 1) {
        app_message(a, SEV_INFO, "no examples of yours to remove");
        return;
    }
    if (rc != 0) {
        app_message(a, SEV_ERROR, "could not remove your last example: %s", err);
        return;
    }
    a->personal_n = s->personal.n;
    app_message(a, SEV_INFO, "removed your last example: %d left", s->personal.n);
    app_trace(a, "\"event\":\"personal\",\"ok\":true,\"removed\":true,\"count\":%d", s->personal.n);
    session_send_personal(s);
}

/* ---- export ---- */

/* A CsvSink into an atomic file, through a 64 KB buffer. */
typedef struct {
    AtomicWriter w;
    char buf[65536];
    size_t n;
} CsvFile;

static int csv_flush(CsvFile *f) {
    int rc = atomic_write(&f->w, f->buf, f->n);
    f->n = 0;
    return rc;
}

static int csv_put(void *ud, const char *text, size_t n) {
    CsvFile *f = ud;
    if (f->n + n > sizeof f->buf && csv_flush(f) != 0) return -1;
    if (n > sizeof f->buf) return atomic_write(&f->w, text, n);
    memcpy(f->buf + f->n, text, n);
    f->n += n;
    return 0;
}

int session_export(Session *s, char *prefix_out, size_t n) {
    App *a = s->app;
    char err[ERR_LEN], esc[APP_PATH_LEN * 2];
    if (!s->export_dir[0]) {
        app_message(a, SEV_ERROR, "no folder to export to: set XDG_DATA_HOME or HOME, or use --export-dir");
        return -1;
    }
    time_t t = time(NULL);
    struct tm tmv;
    localtime_r(&t, &tmv);
    char stamp[32], prefix[960], path[APP_PATH_LEN];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    snprintf(prefix, sizeof prefix, "%.900s/digitrec-%s", s->export_dir, stamp);
    struct stat st;
    snprintf(path, sizeof path, "%s-history.csv", prefix);
    for (int k = 2; stat(path, &st) == 0 && k < 100; k++) { /* two exports in one second */
        snprintf(prefix, sizeof prefix, "%.900s/digitrec-%s-%d", s->export_dir, stamp, k);
        snprintf(path, sizeof path, "%s-history.csv", prefix);
    }
    session_make_dirs_for(path);
    /* streamed: a long run's history does not fit in memory, and need not */
    CsvFile out = {.n = 0};
    int rc = atomic_open(&out.w, path, err);
    long missing = 0;
    if (rc == 0) {
        if (app_history_csv(a, csv_put, &out, &missing) != 0 || csv_flush(&out) != 0) {
            atomic_commit(&out.w, err); /* removes the temp file and says why */
            rc = -1;
        } else {
            rc = atomic_commit(&out.w, err);
        }
    }
    json_escape(esc, sizeof esc, prefix);
    if (rc != 0) {
        app_message(a, SEV_ERROR, "export failed: %s", err);
        app_trace(a, "\"event\":\"export\",\"ok\":false,\"prefix\":\"%s\"", esc);
        return -1;
    }
    int files = 1;
    if (s->exporter) {
        int k = s->exporter(s->export_ud, a, prefix, err);
        if (k < 0) {
            app_message(a, SEV_ERROR, "history saved, pictures failed: %s", err);
            app_trace(a, "\"event\":\"export\",\"ok\":false,\"prefix\":\"%s\"", esc);
            return -1;
        }
        files += k;
    }
    if (prefix_out) snprintf(prefix_out, n, "%s", prefix);
    if (missing > 0)
        app_message(a, SEV_WARN, "exported %d file%s: %s-*; %ld steps' losses were not kept (disk full?)", files,
                    files == 1 ? "" : "s", prefix, missing);
    else
        app_message(a, SEV_INFO, "exported %d file%s: %s-*", files, files == 1 ? "" : "s", prefix);
    app_trace(a, "\"event\":\"export\",\"ok\":true,\"files\":%d,\"prefix\":\"%s\",\"runs\":%d", files, esc, a->nruns + 1);
    return 0;
}

/* ---- the action queue ---- */

/* Actions that can run without a training worker. */
static int needs_worker(ActionType t) {
    return t != ACT_SAVE && t != ACT_QUIT && t != ACT_QUIT_DISCARD && t != ACT_PERSONAL_ADD && t != ACT_PERSONAL_UNDO &&
           t != ACT_EXPORT && t != ACT_LIST_MODELS && t != ACT_LIST_DATA && t != ACT_RESTORE_NO && t != ACT_SAVE_AS_NAME &&
           t != ACT_SAVE_AS && t != ACT_OPEN_PATH;
}

int session_apply(Session *s) {
    App *a = s->app;
    Worker *w = s->worker;
    int quit = 0, save_failed = 0;
    /* actions may queue more (a message never does), so take a copy of the queue first */
    int n = a->nact;
    Action *q = malloc(sizeof(Action) * (size_t)(n ? n : 1));
    if (!q) return 0;
    memcpy(q, a->act, sizeof(Action) * (size_t)n);
    a->nact = 0;
    for (int i = 0; i < n; i++) {
        const Action *x = &q[i];
        if (!w && needs_worker(x->type)) {
            app_message(a, SEV_ERROR, "no training worker");
            continue;
        }
        switch (x->type) {
        case ACT_RUN:
            if (!a->snap.have_data) {
                app_message(a, SEV_ERROR, "%s", a->snap.data_loading ? "training data is still loading"
                                                                      : "no training data: run scripts/fetch_mnist.sh, then restart");
                break;
            }
            worker_set_running(w, 1);
            a->snap.running = 1; /* the button flips now; the next sync confirms */
            if (a->msg_sev != SEV_ERROR) a->msg[0] = 0; /* "press Space to train" and the like are done */
            app_trace(a, "\"event\":\"train\",\"running\":true");
            break;
        case ACT_PAUSE:
            worker_set_running(w, 0);
            a->snap.running = 0;
            app_trace(a, "\"event\":\"train\",\"running\":false");
            break;
        case ACT_STEP:
            if (a->snap.running)
                app_message(a, SEV_INFO, "training is running: pause (Space) to step");
            else
                worker_step(w, 1);
            break;
        case ACT_RESET: {
            keep_unsaved(s, "the network was re-initialised");
            char sz[ARCH_MAX_TEXT];
            snprintf(sz, sizeof sz, "%s", a->ctl.arch);
            worker_reset(w, &a->ctl);
            app_message(a, SEV_INFO, "reset: fresh %s network from seed %lu", sz, (unsigned long)a->ctl.train.seed);
            app_trace(a, "\"event\":\"reset\",\"layers\":\"%s\",\"seed\":%lu", sz, (unsigned long)a->ctl.train.seed);
            break;
        }
        case ACT_CONFIGURE: worker_configure(w, &a->ctl); break;
        case ACT_SAVE: save_failed = session_save(s, NULL, NULL, 0) != 0; break;
        case ACT_LOAD:
            if (a->ask.path[0] && !strcmp(x->path, a->ask.path)) session_restore_answered(s, a->ask.path);
            session_load(s, x->path);
            break;
        case ACT_QUIT: quit = !save_failed; break; /* a save asked for before quitting must have worked */
        case ACT_QUIT_DISCARD:
            s->discard = 1;
            quit = 1;
            break;
        case ACT_REVERT: revert_action(s); break;
        case ACT_RESTORE_NO: session_restore_answered(s, a->ask.path); break;
        case ACT_PERSONAL_ADD: personal_add_action(s, x->arg); break;
        case ACT_PERSONAL_UNDO: personal_undo_action(s); break;
        case ACT_EXPORT: session_export(s, NULL, 0); break;
        case ACT_DATA: data_action(s, x->path); break;
        case ACT_LIST_MODELS: session_list_models(s); break;
        case ACT_OPEN_PATH: open_path(s, x->path); break;
        case ACT_SAVE_AS_NAME: session_save_as_name(s); break;
        case ACT_SAVE_AS: save_as(s, x->path, x->arg); break;
        case ACT_LIST_DATA: list_data(s); break;
        case ACT_DROP: drop_action(s, x->path); break;
        case ACT_MIX:
            worker_set_extra(w, NULL, a->mix);
            if (a->mix && s->personal.n == 0)
                app_message(a, SEV_INFO, "mixing is on, but you have no examples yet: draw one and press Ctrl+its digit");
            else
                app_message(a, SEV_INFO, "%d examples of yours %s training", s->personal.n,
                            a->mix ? "are mixed into" : "are left out of");
            app_trace(a, "\"event\":\"mix\",\"on\":%s,\"count\":%d", a->mix ? "true" : "false", s->personal.n);
            break;
        }
    }
    free(q);
    return quit;
}

int session_close(Session *s, char *msg, size_t n) {
    App *a = s->app;
    if (msg && n) msg[0] = 0;
    session_save_settings(s); /* before the worker goes: the snapshot says which data is in use */
    if (!s->worker) return 0;
    worker_stop(s->worker, &a->snap);
    s->worker = NULL;
    if (!app_unsaved(a) || s->discard) return 0;
    char path[APP_PATH_LEN];
    if (session_autosave(s, "the window closed", path, sizeof path) != 0) {
        if (msg) snprintf(msg, n, "autosave into %s failed: %s", s->autosave_dir, a->msg);
        return -1;
    }
    if (msg) snprintf(msg, n, "unsaved training (%ld steps) autosaved to %s", a->snap.step, path);
    return 1;
}

/* session.c - carries out what the App asked for: worker commands, model files (load, save
 * under a generated name, autosave on close) and the recent-files list. Every failure becomes
 * a one-line message in the window; nothing here exits. */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "model_io.h"
#include "personal.h"

static void json_str(char *out, size_t n, const char *s) {
    size_t j = 0;
    for (; *s && j + 3 < n; s++) {
        if (*s == '"' || *s == '\\') out[j++] = '\\';
        out[j++] = (unsigned char)*s < 0x20 ? ' ' : *s;
    }
    out[j] = 0;
}

int session_sync(App *a, Worker *w) {
    if (!w) return 0;
    int rc = worker_sync_run(w, &a->snap);
    if (rc == 2) {
        /* a new run begins (reset, load, data switch): keep this one's curves for comparison */
        app_archive_run(a);
        a->snap.nloss = 0;
        a->snap.nevals = 0;
        rc = worker_sync(w, &a->snap);
    }
    if (rc != 1) return 0;
    app_on_snapshot(a);
    return 1;
}

/* mkdir -p for the folder part of path. */
static void make_parent_dirs(const char *path) {
    char buf[APP_PATH_LEN];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(buf, 0777); /* EEXIST is fine; a real failure shows up when the file is written */
        *p = '/';
    }
}

void session_remember(App *a, const char *path) {
    if (!a->recent_file[0]) return;
    char abs[APP_PATH_LEN];
    if (!realpath(path, abs)) snprintf(abs, sizeof abs, "%s", path);
    char *out = malloc(APP_PATH_LEN * 11);
    if (!out) return;
    size_t len = (size_t)snprintf(out, APP_PATH_LEN, "%s\n", abs);
    FILE *f = fopen(a->recent_file, "r");
    int kept = 0;
    if (f) {
        char line[APP_PATH_LEN];
        while (kept < 9 && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0] || strcmp(line, abs) == 0) continue;
            len += (size_t)snprintf(out + len, APP_PATH_LEN * 11 - len, "%s\n", line);
            kept++;
        }
        fclose(f);
    }
    make_parent_dirs(a->recent_file);
    char err[ERR_LEN];
    file_write_atomic(a->recent_file, out, len, err); /* best effort: a read-only home is no error */
    free(out);
}

int session_load(App *a, Worker *w, const char *path) {
    char err[ERR_LEN], esc[APP_PATH_LEN * 2];
    Net net = {0};
    ModelMeta meta;
    json_str(esc, sizeof esc, path);
    if (model_load(path, &net, &meta, err) != 0) {
        app_message(a, 1, "cannot open: %s", err);
        app_trace(a, "\"event\":\"load\",\"ok\":false,\"path\":\"%s\"", esc);
        return -1;
    }
    if (net.sizes[0] != 784 || net.sizes[net.nlayers] > 10 || net.sizes[net.nlayers] < 2) {
        app_message(a, 1, "cannot use %s: it takes %d inputs and gives %d outputs; the window needs 784 in, 2..10 out", path,
                    net.sizes[0], net.sizes[net.nlayers]);
        net_free(&net);
        return -1;
    }
    if (!w) {
        app_message(a, 1, "cannot load %s: no training worker", path);
        net_free(&net);
        return -1;
    }
    char sizes[96];
    worker_sizes_str(net.sizes, net.nlayers, sizes, sizeof sizes);
    app_set_classes(a, model_meta_get(&meta, "classes"));
    a->classes_from_model = 1;
    app_adopt_network(a, &net);
    worker_load(w, &net);
    app_message(a, 0, "loaded %s (%s)", path, sizes);
    app_trace(a, "\"event\":\"load\",\"ok\":true,\"path\":\"%s\",\"layers\":\"%s\"", esc, sizes);
    session_remember(a, path);
    return 0;
}

int session_save(App *a, const char *path, char *out, size_t n) {
    const Net *net = &a->snap.net;
    char p[APP_PATH_LEN], err[ERR_LEN];
    if (!net->params) {
        app_message(a, 1, "nothing to save yet");
        return -1;
    }
    if (path) {
        snprintf(p, sizeof p, "%s", path);
    } else {
        time_t t = time(NULL);
        struct tm tmv;
        localtime_r(&t, &tmv);
        char stamp[32], arch[96];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
        if (net->nlayers == 1)
            snprintf(arch, sizeof arch, "softmax");
        else
            worker_sizes_str(net->sizes, net->nlayers, arch, sizeof arch);
        snprintf(p, sizeof p, "%.900s/digitrec-%.60s-%s.safetensors", a->models_dir, arch, stamp);
        /* two saves in one second must not overwrite each other */
        struct stat st;
        for (int k = 2; stat(p, &st) == 0 && k < 100; k++)
            snprintf(p, sizeof p, "%.900s/digitrec-%.60s-%s-%d.safetensors", a->models_dir, arch, stamp, k);
    }
    make_parent_dirs(p);
    ModelMeta meta = {0};
    const Snapshot *s = &a->snap;
    char classes[META_VAL_LEN];
    int j = 0;
    for (int k = 0; k < a->nclass && j < (int)sizeof classes; k++)
        j += snprintf(classes + j, sizeof classes - (size_t)j, "%s%s", k ? "," : "", a->classes[k]);
    model_meta_set(&meta, "classes", "%s", classes);
    model_meta_set(&meta, "source", "digitrec window");
    char dname[64];
    snprintf(dname, sizeof dname, "%.63s", s->data_desc);
    dname[strcspn(dname, " ")] = 0;
    if (dname[0] && s->have_data) model_meta_set(&meta, "dataset", "%s", dname);
    model_meta_set(&meta, "optimizer", "%s", optim_name(s->cfg.opt));
    model_meta_set(&meta, "lr", "%g", (double)s->cfg.lr);
    model_meta_set(&meta, "batch", "%d", s->cfg.batch);
    model_meta_set(&meta, "steps", "%ld", s->step);
    model_meta_set(&meta, "epochs_completed", "%d", s->epoch);
    model_meta_set(&meta, "seed", "%lu", (unsigned long)s->cfg.seed);
    if (s->nevals) model_meta_set(&meta, "test_accuracy", "%.4f", s->evals[s->nevals - 1].acc);
    char esc[APP_PATH_LEN * 2];
    json_str(esc, sizeof esc, p);
    if (model_save(p, net, &meta, err) != 0) {
        app_message(a, 1, "save failed: %s", err);
        app_trace(a, "\"event\":\"save\",\"ok\":false,\"path\":\"%s\"", esc);
        return -1;
    }
    a->saved_gen = s->generation;
    a->saved_step = s->step;
    if (out) snprintf(out, n, "%s", p);
    app_message(a, 0, "saved to %s", p);
    app_trace(a, "\"event\":\"save\",\"ok\":true,\"path\":\"%s\",\"step\":%ld", esc, s->step);
    session_remember(a, p);
    return 0;
}

void session_send_personal(App *a, Worker *w) {
    if (!w) return;
    char err[ERR_LEN];
    Dataset copy = {0};
    if (a->personal.n > 0 && dataset_subset(&a->personal, a->personal.n, &copy, err) != 0) {
        app_message(a, 1, "cannot hand your examples to training: %s", err);
        return;
    }
    worker_set_extra(w, &copy, a->mix);
}

/* Ctrl+digit: the 28x28 input the network sees joins the personal folder as class k. */
static void personal_add_action(App *a, Worker *w, int k) {
    char err[ERR_LEN], esc[APP_PATH_LEN * 2];
    json_str(esc, sizeof esc, a->personal_dir);
    if (!a->has_ink) {
        app_message(a, 1, "draw a %s first, then press Ctrl+%d to add it to your examples", a->classes[k], k);
        return;
    }
    if (!a->personal_dir[0]) {
        app_message(a, 1, "no folder for your examples: set XDG_DATA_HOME or HOME, or use --personal-dir");
        return;
    }
    uint8_t img[PERSONAL_SIDE * PERSONAL_SIDE];
    personal_from_input(img, a->input);
    if (personal_add(a->personal_dir, &a->personal, img, k, err) != 0) {
        app_message(a, 1, "could not keep your example: %s", err);
        app_trace(a, "\"event\":\"personal\",\"ok\":false,\"label\":%d", k);
        return;
    }
    int per[DATASET_MAX_CLASSES] = {0};
    for (int i = 0; i < a->personal.n; i++) per[a->personal.y[i]]++;
    app_message(a, 0, "kept as a %s: %d of yours (%d of class %s) in %s%s", a->classes[k], a->personal.n, per[k],
                a->classes[k], a->personal_dir, a->mix ? "" : "; P mixes them into training");
    app_trace(a, "\"event\":\"personal\",\"ok\":true,\"label\":%d,\"count\":%d,\"dir\":\"%s\"", k, a->personal.n, esc);
    session_send_personal(a, w);
}

static void personal_undo_action(App *a, Worker *w) {
    char err[ERR_LEN];
    int rc = personal_remove_last(a->personal_dir, &a->personal, err);
    if (rc == 1) {
        app_message(a, 0, "no examples of yours to remove");
        return;
    }
    if (rc != 0) {
        app_message(a, 1, "could not remove your last example: %s", err);
        return;
    }
    app_message(a, 0, "removed your last example: %d left", a->personal.n);
    app_trace(a, "\"event\":\"personal\",\"ok\":true,\"removed\":true,\"count\":%d", a->personal.n);
    session_send_personal(a, w);
}

int session_export(App *a, char *prefix_out, size_t n) {
    char err[ERR_LEN], esc[APP_PATH_LEN * 2];
    if (!a->export_dir[0]) {
        app_message(a, 1, "no folder to export to: set XDG_DATA_HOME or HOME, or use --export-dir");
        return -1;
    }
    time_t t = time(NULL);
    struct tm tmv;
    localtime_r(&t, &tmv);
    char stamp[32], prefix[960], path[APP_PATH_LEN];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    snprintf(prefix, sizeof prefix, "%.900s/digitrec-%s", a->export_dir, stamp);
    struct stat st;
    snprintf(path, sizeof path, "%s-history.csv", prefix);
    for (int k = 2; stat(path, &st) == 0 && k < 100; k++) { /* two exports in one second */
        snprintf(prefix, sizeof prefix, "%.900s/digitrec-%s-%d", a->export_dir, stamp, k);
        snprintf(path, sizeof path, "%s-history.csv", prefix);
    }
    make_parent_dirs(path);
    char *csv;
    size_t len;
    if (app_history_csv(a, &csv, &len) != 0) {
        app_message(a, 1, "export: out of memory");
        return -1;
    }
    int rc = file_write_atomic(path, csv, len, err);
    free(csv);
    json_str(esc, sizeof esc, prefix);
    if (rc != 0) {
        app_message(a, 1, "export failed: %s", err);
        app_trace(a, "\"event\":\"export\",\"ok\":false,\"prefix\":\"%s\"", esc);
        return -1;
    }
    int files = 1;
    if (a->exporter) {
        int k = a->exporter(a->export_ud, a, prefix, err);
        if (k < 0) {
            app_message(a, 1, "history saved, pictures failed: %s", err);
            app_trace(a, "\"event\":\"export\",\"ok\":false,\"prefix\":\"%s\"", esc);
            return -1;
        }
        files += k;
    }
    if (prefix_out) snprintf(prefix_out, n, "%s", prefix);
    app_message(a, 0, "exported %d file%s: %s-*", files, files == 1 ? "" : "s", prefix);
    app_trace(a, "\"event\":\"export\",\"ok\":true,\"files\":%d,\"prefix\":\"%s\",\"runs\":%d", files, esc, a->nruns + 1);
    return 0;
}

int session_apply(App *a, Worker *w) {
    int quit = 0;
    /* actions may queue more (a message never does), so take a copy of the queue first */
    int n = a->nact;
    Action *q = malloc(sizeof(Action) * (size_t)(n ? n : 1));
    if (!q) return 0;
    memcpy(q, a->act, sizeof(Action) * (size_t)n);
    a->nact = 0;
    for (int i = 0; i < n; i++) {
        const Action *x = &q[i];
        if (!w && x->type != ACT_SAVE && x->type != ACT_QUIT && x->type != ACT_PERSONAL_ADD &&
            x->type != ACT_PERSONAL_UNDO && x->type != ACT_EXPORT) {
            app_message(a, 1, "no training worker");
            continue;
        }
        switch (x->type) {
        case ACT_RUN:
            if (!a->snap.have_data) {
                app_message(a, 1, "%s", a->snap.data_loading ? "training data is still loading"
                                                             : "no training data: run scripts/fetch_mnist.sh, then restart");
                break;
            }
            worker_set_running(w, 1);
            a->snap.running = 1; /* the button flips now; the next sync confirms */
            if (!a->msg_err) a->msg[0] = 0; /* "press Space to train" and the like are done */
            app_trace(a, "\"event\":\"train\",\"running\":true");
            break;
        case ACT_PAUSE:
            worker_set_running(w, 0);
            a->snap.running = 0;
            app_trace(a, "\"event\":\"train\",\"running\":false");
            break;
        case ACT_STEP:
            if (a->snap.running)
                app_message(a, 0, "training is running: pause (Space) to step");
            else
                worker_step(w, 1);
            break;
        case ACT_RESET: {
            char sz[96];
            worker_sizes_str(a->ctl.sizes, a->ctl.nlayers, sz, sizeof sz);
            worker_reset(w, &a->ctl);
            app_message(a, 0, "reset: fresh %s network from seed %lu", sz, (unsigned long)a->ctl.seed);
            app_trace(a, "\"event\":\"reset\",\"layers\":\"%s\",\"seed\":%lu", sz, (unsigned long)a->ctl.seed);
            break;
        }
        case ACT_CONFIGURE: worker_configure(w, &a->ctl); break;
        case ACT_SAVE: session_save(a, NULL, NULL, 0); break;
        case ACT_LOAD: session_load(a, w, x->path); break;
        case ACT_QUIT: quit = 1; break;
        case ACT_PERSONAL_ADD: personal_add_action(a, w, x->arg); break;
        case ACT_PERSONAL_UNDO: personal_undo_action(a, w); break;
        case ACT_EXPORT: session_export(a, NULL, 0); break;
        case ACT_DATA: {
            char esc[APP_PATH_LEN * 2];
            json_str(esc, sizeof esc, x->path);
            if (!app_data_present(x->path)) {
                app_message(a, 1, "%s does not hold MNIST's four IDX files (train-images-idx3-ubyte and 3 more, raw or .gz)",
                            x->path);
                app_trace(a, "\"event\":\"data\",\"ok\":false,\"dir\":\"%s\"", esc);
                break;
            }
            worker_set_data(w, x->path, &a->ctl);
            app_message(a, 0, "loading %s...", x->path);
            app_trace(a, "\"event\":\"data\",\"ok\":true,\"dir\":\"%s\"", esc);
            break;
        }
        case ACT_MIX:
            worker_set_extra(w, NULL, a->mix);
            if (a->mix && a->personal.n == 0)
                app_message(a, 0, "mixing is on, but you have no examples yet: draw one and press Ctrl+its digit");
            else
                app_message(a, 0, "%d examples of yours %s training", a->personal.n, a->mix ? "are mixed into" : "are left out of");
            app_trace(a, "\"event\":\"mix\",\"on\":%s,\"count\":%d", a->mix ? "true" : "false", a->personal.n);
            break;
        }
    }
    free(q);
    return quit;
}

int session_close(App *a, Worker *w, char *msg, size_t n) {
    if (msg && n) msg[0] = 0;
    if (!w) return 0;
    worker_stop(w, &a->snap);
    if (!app_unsaved(a)) return 0;
    char path[APP_PATH_LEN];
    if (session_save(a, a->autosave, path, sizeof path) != 0) {
        if (msg) snprintf(msg, n, "autosave to %s failed: %s", a->autosave, a->msg);
        return -1;
    }
    if (msg) snprintf(msg, n, "unsaved training (%ld steps) autosaved to %s", a->snap.step, path);
    return 1;
}

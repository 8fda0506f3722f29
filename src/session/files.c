/* files.c - the window's model files: reading one (the window's one way), writing the current
 * network with its training record, the model Revert returns to and its metadata in the
 * controls, the recent-files list, the Open dialog's listing (a folder's models read header only)
 * and paths typed into it, and Save As. Below session.c and autosave.c. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calibrate.h"
#include "common.h"
#include "image.h"
#include "preprocess.h"
#include "model_io.h"
#include "optim.h"
#include "ood.h"
#include "ood_net.h"
#include "session.h"
#include "train.h"

/* mkdir -p for the folder part of path. */
void session_make_dirs_for(const char *path) {
    char buf[APP_PATH_LEN];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(buf, 0777); /* EEXIST is fine; a real failure shows up when the file is written */
        *p = '/';
    }
}

/* ---- the recent files and the Open dialog ---- */

void session_remember(Session *s, const char *path) {
    if (!s->recent_file[0]) return;
    char abs[PATH_MAX]; /* realpath writes up to PATH_MAX bytes */
    if (!realpath(path, abs) || strlen(abs) >= APP_PATH_LEN) snprintf(abs, sizeof abs, "%.1000s", path);
    char *out = malloc(APP_PATH_LEN * 11);
    if (!out) return;
    size_t len = (size_t)snprintf(out, APP_PATH_LEN, "%s\n", abs);
    FILE *f = fopen(s->recent_file, "r");
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
    session_make_dirs_for(s->recent_file);
    char err[ERR_LEN];
    file_write_atomic(s->recent_file, out, len, err); /* best effort: a read-only home is no error */
    free(out);
}


static int has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* The date a row shows: the model's "date" (UTC, ISO 8601) in local time, else the file's time. */
static void entry_date(OpenEntry *e, const ModelMeta *m, time_t mtime) {
    const char *d = m ? model_meta_get(m, "date") : NULL;
    struct tm tmv;
    time_t t = mtime;
    if (d) {
        memset(&tmv, 0, sizeof tmv);
        int y, mo, da, h, mi, se;
        if (sscanf(d, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &da, &h, &mi, &se) == 6) {
            tmv.tm_year = y - 1900, tmv.tm_mon = mo - 1, tmv.tm_mday = da, tmv.tm_hour = h, tmv.tm_min = mi, tmv.tm_sec = se;
            t = timegm(&tmv);
        }
    }
    if (localtime_r(&t, &tmv))
        strftime(e->date, sizeof e->date, "%Y-%m-%d %H:%M", &tmv);
    else
        e->date[0] = 0;
}

/* Fills e for the model file at path (st its stat): what its header says, or why it cannot be read. */
static void entry_model(OpenEntry *e, const char *path, const struct stat *st) {
    ModelMeta *m = calloc(1, sizeof *m);
    char err[ERR_LEN];
    int sizes[NET_MAX_LAYERS + 1], L = 0;
    e->acc = -1;
    if (!m) {
        e->kind = OPEN_BROKEN;
        snprintf(e->why, sizeof e->why, "out of memory");
        return;
    }
    if (model_read_meta(path, m, sizes, &L, err) != 0) {
        e->kind = OPEN_BROKEN;
        const char *why = strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':' ? err + strlen(path) + 2 : err;
        char name[64];
        snprintf(name, sizeof name, "%s", e->name);
        snprintf(e->why, sizeof e->why, "%.60s: %.130s", name, why);
        entry_date(e, NULL, st->st_mtime);
        free(m);
        return;
    }
    e->kind = OPEN_MODEL;
    const char *v = model_meta_get(m, "arch");
    if (L > 0)
        net_sizes_str(sizes, L, e->arch, sizeof e->arch);
    else
        snprintf(e->arch, sizeof e->arch, "%s", v ? v : "layer stack");
    v = model_meta_get(m, "test_accuracy");
    char *end;
    double acc = v ? strtod(v, &end) : -1;
    e->acc = v && end != v && acc >= 0 && acc <= 1 ? acc : -1;
    v = model_meta_get(m, "dataset");
    snprintf(e->data, sizeof e->data, "%s", v ? v : "");
    entry_date(e, m, st->st_mtime);
    free(m);
}

/* Adds path as a row; kind from the disk (a folder, a model, else nothing). Returns 1 if added. */
static int list_add(OpenDialog *o, const char *path, const char *name, int recent) {
    if (o->n >= APP_OPEN_MAX) return 0;
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    OpenEntry *e = &o->ent[o->n];
    memset(e, 0, sizeof *e);
    e->recent = recent;
    e->acc = -1;
    snprintf(e->path, sizeof e->path, "%s", path);
    snprintf(e->name, sizeof e->name, "%s", name);
    if (S_ISDIR(st.st_mode)) {
        if (recent) return 0;
        e->kind = OPEN_DIR;
    } else if (S_ISREG(st.st_mode)) {
        entry_model(e, path, &st);
    } else {
        return 0;
    }
    o->n++;
    return 1;
}

/* The folder part of the Open dialog: "..", the subfolders and the *.safetensors files of dir
 * (hidden ones left out). Returns 0, or -1 with err when dir cannot be read (o untouched). */
static int list_folder(OpenDialog *o, const char *dir, char *err) {
    DIR *d = opendir(dir);
    if (!d) return err_set(err, "cannot open the folder %s: %s", dir, strerror(errno));
    o->n = o->nlocal = o->more = 0;
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    if (strcmp(dir, "/") != 0) {
        char up[APP_PATH_LEN];
        snprintf(up, sizeof up, "%.1000s", dir);
        char *slash = strrchr(up, '/');
        if (slash == up) slash[1] = 0;
        else if (slash) *slash = 0;
        OpenEntry *e = &o->ent[o->n++];
        memset(e, 0, sizeof *e);
        e->kind = OPEN_UP;
        e->acc = -1;
        snprintf(e->path, sizeof e->path, "%s", up);
        snprintf(e->name, sizeof e->name, "..");
    }
    struct dirent *de;
    char path[APP_PATH_LEN + 260];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", de->d_name);
        if (strlen(path) >= APP_PATH_LEN) continue;
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && has_suffix(de->d_name, ".safetensors"))) continue;
        if (o->n >= APP_OPEN_MAX - APP_RECENT_MAX) { /* room for the recent files */
            o->more++;
            continue;
        }
        list_add(o, path, de->d_name, 0);
    }
    closedir(d);
    o->nlocal = o->n;
    return 0;
}

/* The recent files that still exist, after the folder's rows (those in the folder listed once). */
static void list_recent(Session *s, OpenDialog *o) {
    FILE *f = s->recent_file[0] ? fopen(s->recent_file, "r") : NULL;
    if (!f) return;
    char line[APP_PATH_LEN];
    int k = 0;
    while (k < APP_RECENT_MAX && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        int dup = 0;
        for (int i = 0; i < o->n && !dup; i++) dup = !strcmp(o->ent[i].path, line);
        const char *slash = strrchr(line, '/');
        if (!dup && list_add(o, line, slash ? slash + 1 : line, 1)) k++;
    }
    fclose(f);
}

/* Lists dir (a folder the caller checked) with the recent files, sorted, and traces what it found.
 * Returns 0, or -1 with err (the dialog keeps what it showed). */
static int list_all(Session *s, const char *dir, char *err) {
    App *a = s->app;
    OpenDialog *o = &a->open;
    if (list_folder(o, dir, err) != 0) return -1;
    list_recent(s, o);
    o->sel = -1;
    app_open_sort(o);
    /* the first row below "..", else the first recent file */
    o->sel = o->nlocal > 1 || o->nlocal == o->n ? (o->nlocal > 1 && o->ent[0].kind == OPEN_UP ? 1 : 0) : o->nlocal;
    o->scroll = 0;
    o->click_row = -1;
    int dirs = 0, models = 0, broken = 0;
    for (int i = 0; i < o->nlocal; i++)
        dirs += o->ent[i].kind == OPEN_DIR, models += o->ent[i].kind == OPEN_MODEL, broken += o->ent[i].kind == OPEN_BROKEN;
    char esc[APP_PATH_LEN * 2];
    app_trace(a, "\"event\":\"open_list\",\"dir\":\"%s\",\"folders\":%d,\"models\":%d,\"broken\":%d,\"recent\":%d,\"more\":%d",
              json_escape(esc, sizeof esc, o->dir), dirs, models, broken, o->n - o->nlocal, o->more);
    return 0;
}

void session_list_models(Session *s) {
    OpenDialog *o = &s->app->open;
    char err[ERR_LEN];
    o->edit[0] = o->msg[0] = 0;
    /* the folder last browsed this run, else the models folder (which may not exist yet) */
    struct stat st;
    const char *dir = o->dir[0] && stat(o->dir, &st) == 0 && S_ISDIR(st.st_mode) ? o->dir : s->models_dir;
    char copy[APP_PATH_LEN];
    snprintf(copy, sizeof copy, "%s", dir);
    if (list_all(s, copy, err) != 0) {
        /* no models folder yet: an empty listing of it, and the recent files */
        o->n = o->nlocal = o->more = 0;
        snprintf(o->dir, sizeof o->dir, "%s", copy);
        list_recent(s, o);
        o->sel = 0;
        app_open_sort(o);
    }
}

int session_resolve_path(const char *text, const char *base, char *out, size_t n) {
    char raw[APP_PATH_LEN * 2];
    while (*text == ' ') text++;
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\n')) len--;
    if (len == 0 || len >= APP_PATH_LEN) return -1;
    const char *home = getenv("HOME");
    if (text[0] == '~' && (len == 1 || text[1] == '/') && home && *home)
        snprintf(raw, sizeof raw, "%s%.*s", home, (int)len - 1, text + 1);
    else if (text[0] == '/' || !base || !*base)
        snprintf(raw, sizeof raw, "%.*s", (int)len, text);
    else
        snprintf(raw, sizeof raw, "%s/%.*s", base, (int)len, text);
    /* the folders that exist resolved (so ".." and links read as they are), the rest kept */
    char abs[PATH_MAX];
    if (realpath(raw, abs)) {
        if (strlen(abs) >= n) return -1;
        snprintf(out, n, "%s", abs);
        return 0;
    }
    char *slash = strrchr(raw, '/');
    if (slash && slash != raw) {
        *slash = 0;
        if (realpath(raw, abs) && strlen(abs) + strlen(slash + 1) + 2 <= n) {
            snprintf(out, n, "%s/%s", strcmp(abs, "/") ? abs : "", slash + 1);
            return 0;
        }
        *slash = '/';
    }
    if (strlen(raw) >= n) return -1;
    snprintf(out, n, "%s", raw);
    return 0;
}

int session_open_path(Session *s, const char *text, char *path, size_t n) {
    App *a = s->app;
    OpenDialog *o = &a->open;
    char err[ERR_LEN];
    if (session_resolve_path(text, o->dir[0] ? o->dir : s->models_dir, path, n) != 0) {
        app_dialog_message(a, "open", "not a path: \"%.200s\"", text);
        return 0;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        app_dialog_message(a, "open", "%s: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        if (list_all(s, path, err) != 0) {
            app_dialog_message(a, "open", "%s", err);
            return 0;
        }
        o->edit[0] = o->msg[0] = 0;
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        app_dialog_message(a, "open", "%s is neither a folder nor a file", path);
        return 0;
    }
    return 1;
}

/* ---- Save As ---- */

/* The generated name of the current network: digitrec-<sizes>-<time>.safetensors, in dir. */
static void generated_name(const Session *s, const char *dir, char *out, size_t n) {
    const Net *net = &s->app->snap.net;
    time_t t = time(NULL);
    struct tm tmv;
    localtime_r(&t, &tmv);
    char stamp[32], arch[96];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    if (net->nlayers == 1 && !net->stack)
        snprintf(arch, sizeof arch, "softmax");
    else if (net_preset_name(net) && !strcmp(net_preset_name(net), "cnn"))
        snprintf(arch, sizeof arch, "cnn");
    else
        net_arch_str(net, arch, sizeof arch);
    snprintf(out, n, "%s%sdigitrec-%.60s-%s.safetensors", dir ? dir : "", dir ? "/" : "", arch, stamp);
}

void session_save_as_name(Session *s) {
    SaveDialog *d = &s->app->save;
    snprintf(d->dir, sizeof d->dir, "%s", s->models_dir);
    generated_name(s, NULL, d->edit, sizeof d->edit);
    d->fresh = 1;
    char esc[APP_PATH_LEN * 2];
    app_trace(s->app, "\"event\":\"save_as\",\"suggested\":\"%s\"", json_escape(esc, sizeof esc, d->edit));
}

int session_save_as_path(Session *s, const char *text, int replace, char *path, size_t n) {
    App *a = s->app;
    SaveDialog *d = &a->save;
    char esc[APP_PATH_LEN * 2];
    if (!s->models_dir[0] && text[0] != '/' && text[0] != '~') {
        app_dialog_message(a, "save_as", "no models folder (no HOME): type a whole path");
        return 0;
    }
    if (session_resolve_path(text, s->models_dir, path, n - 16) != 0) {
        app_dialog_message(a, "save_as", "not a name: \"%.200s\"", text);
        return 0;
    }
    size_t len = strlen(path);
    if (len > 0 && path[len - 1] == '/') {
        app_dialog_message(a, "save_as", "%s is a folder: add a file name", path);
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        app_dialog_message(a, "save_as", "%s is a folder: add a file name", path);
        return 0;
    }
    if (!has_suffix(path, ".safetensors")) {
        snprintf(path + len, n - len, ".safetensors");
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            app_dialog_message(a, "save_as", "%s is a folder", path);
            return 0;
        }
    }
    int exists = stat(path, &st) == 0;
    if (exists && !replace) { /* ask first */
        snprintf(d->confirm, sizeof d->confirm, "%s", path);
        d->msg[0] = 0;
        app_trace(a, "\"event\":\"ask\",\"kind\":\"replace\",\"path\":\"%s\"", json_escape(esc, sizeof esc, path));
        return 0;
    }
    return 1;
}

int session_read_model(const char *path, Net *net, ModelMeta *meta, OodModel *ood, char *err) {
    Net n = {0};
    ModelMeta m;
    ModelExtras ex = {0};
    OodModel o = {0};
    if (model_load_extras(path, &n, &m, &ex, err) != 0) return -1;
    char e[ERR_LEN];
    int has = ood ? ood_from_model(&o, &m, &ex, net_outputs(&n), ood_net_dim(&n), calib_model_temperature(&m), e) : 0;
    model_extras_free(&ex);
    if (has < 0) {
        err_set(err, "%s: its not-a-digit detector is broken: %s", path, e);
        net_free(&n);
        return -1;
    }
    /* a layer stack always reads 1x28x28 = 784 inputs */
    if (net_inputs(&n) != 784 || net_outputs(&n) > 10 || net_outputs(&n) < 2) {
        err_set(err, "%s: it takes %d inputs and gives %d outputs; the window needs 784 in, 2..10 out", path,
                net_inputs(&n), net_outputs(&n));
        net_free(&n);
        ood_free(&o);
        return -1;
    }
    *net = n;
    if (meta) *meta = m;
    if (ood) *ood = o; /* K = 0: the model has no detector */
    return 0;
}


/* Writes the current network with its training record to path (NULL: a generated name in the
 * models folder); why, if set, goes into the metadata as autosave_reason. A user's save (mark)
 * makes the training saved and the file the model Revert returns to. */
int session_write_model(Session *s, const char *path, const char *why, int mark, char *out, size_t n) {
    App *a = s->app;
    const Net *net = &a->snap.net;
    char p[APP_PATH_LEN], err[ERR_LEN];
    if (!net->params) {
        app_message(a, SEV_ERROR, "nothing to save yet");
        return -1;
    }
    if (path) {
        snprintf(p, sizeof p, "%s", path);
    } else {
        char dir[960];
        snprintf(dir, sizeof dir, "%.900s", s->models_dir);
        generated_name(s, dir, p, sizeof p);
        /* two saves in one second must not overwrite each other */
        struct stat st;
        char base[APP_PATH_LEN];
        snprintf(base, sizeof base, "%.*s", (int)(strlen(p) - strlen(".safetensors")), p);
        for (int k = 2; stat(p, &st) == 0 && k < 100; k++) snprintf(p, sizeof p, "%.1000s-%d.safetensors", base, k);
    }
    session_make_dirs_for(p);
    const Snapshot *sn = &a->snap;
    char dname[64];
    snprintf(dname, sizeof dname, "%.63s", sn->data_desc);
    dname[strcspn(dname, " ")] = 0;
    ModelMeta meta = {0};
    TrainRecord rec = {&sn->cfg.train, dname[0] && sn->have_data ? dname : NULL, (const char(*)[DATASET_CLASS_LEN])a->classes,
                       a->nclass, sn->step, sn->epoch, sn->nevals ? sn->evals[sn->nevals - 1].acc : -1.0,
                       "digitrec window"};
    train_record_meta(&meta, &rec);
    if (why) model_meta_set(&meta, "autosave_reason", "%s", why);
    time_t now = time(NULL);
    struct tm utc;
    char date[32];
    if (gmtime_r(&now, &utc) && strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc))
        model_meta_set(&meta, "date", "%s", date); /* the Open dialog's date column */
    /* the network as loaded, untrained since: its temperature and detector still hold, so they go
     * with it (a copy saved under another name reads as the original did) */
    ModelExtras ex = {0};
    const int as_loaded = app_as_loaded(a);
    if (as_loaded && a->temperature > 0 && a->temperature != 1.0) model_meta_set(&meta, "temperature", "%.4f", a->temperature);
    if (as_loaded && a->ood.K > 0 && ood_to_model(&a->ood, &meta, &ex, err) != 0) {
        app_message(a, SEV_WARN, "the copy goes without its not-a-digit detector: %s", err);
        model_extras_free(&ex);
        ex = (ModelExtras){0};
    }
    char esc[APP_PATH_LEN * 2];
    json_escape(esc, sizeof esc, p);
    int rc_save = model_save_extras(p, net, &meta, &ex, err);
    model_extras_free(&ex);
    if (rc_save != 0) {
        app_message(a, SEV_ERROR, "%s failed: %s", why ? "autosave" : "save", err);
        app_trace(a, "\"event\":\"save\",\"ok\":false,\"path\":\"%s\"", esc);
        return -1;
    }
    if (out) snprintf(out, n, "%s", p);
    app_trace(a, "\"event\":\"save\",\"ok\":true,\"path\":\"%s\",\"step\":%ld,\"auto\":%s", esc, sn->step,
              why ? "true" : "false");
    if (!mark) return 0;
    a->saved_gen = sn->generation;
    a->saved_step = sn->step;
    app_message(a, SEV_INFO, "saved to %s", p);
    session_set_baseline(s, net, &meta, as_loaded && a->ood.K > 0 ? &a->ood : NULL, p);
    session_remember(s, p);
    return 0;
}


void session_set_baseline(Session *s, const Net *net, const ModelMeta *meta, const OodModel *ood, const char *name) {
    char err[ERR_LEN];
    ood_free(&s->baseline_ood);
    if (ood && ood_copy(&s->baseline_ood, ood) != 0) app_message(s->app, SEV_WARN, "Revert will have no not-a-digit detector: out of memory");
    if (net_copy(&s->baseline, net, err) != 0) {
        net_free(&s->baseline);
        return;
    }
    s->baseline_meta = *meta;
    snprintf(s->baseline_name, sizeof s->baseline_name, "%s", name);
}

void session_adopt_meta(Session *s, const ModelMeta *meta) {
    App *a = s->app;
    a->temp_next = calib_model_temperature(meta); /* for the generation this model starts */
    TrainConfig *c = &a->ctl.train;
    const char *v;
    OptKind k;
    if ((v = model_meta_get(meta, "optimizer")) && optim_parse(v, &k) == 0) c->opt = k;
    if ((v = model_meta_get(meta, "lr")) && atof(v) > 0 && atof(v) < 100) c->lr = (float)atof(v);
    if ((v = model_meta_get(meta, "batch")) && atoi(v) >= 1 && atoi(v) <= 65536) c->batch = atoi(v);
    if ((v = model_meta_get(meta, "seed")) && atol(v) >= 0 && atol(v) <= 999) c->seed = (uint64_t)atol(v);
    c->schedule = SCHED_CONST;
    if ((v = model_meta_get(meta, "schedule")) && !strcmp(v, "cosine") && model_meta_get(meta, "steps")) {
        /* it ended near a rate of zero: going on at its full rate would undo the fine tuning */
        c->lr /= 10;
        app_message(a, SEV_INFO, "a trained model: training it further goes on at %g, a tenth of its rate", (double)c->lr);
    }
}


int session_canvas_from_file(Session *s, const char *path, char *err) {
    float *img = NULL, *ink = NULL;
    int w, h, iw, ih;
    if (image_decode_file(path, &img, &w, &h, err) != 0) return -1;
    PreInfo info;
    int rc = preprocess_photo_ink(&ink, &iw, &ih, &info, img, w, h, err);
    free(img);
    if (rc < 0) return -1;
    if (rc == 0) return err_set(err, "%s: no digit stands out of the paper", path);
    rc = canvas_set_image(&s->app->canvas_px, ink, iw, ih);
    free(ink);
    if (rc != 0) return err_set(err, "%s: out of memory", path);
    app_update_prediction(s->app);
    return 0;
}

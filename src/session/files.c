/* files.c - the window's model files: reading one (the window's one way), writing the current
 * network with its training record, the model Revert returns to and its metadata in the
 * controls, the recent-files list and the Open dialog's listing. Below session.c and autosave.c. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "model_io.h"
#include "optim.h"
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
    char abs[APP_PATH_LEN];
    if (!realpath(path, abs)) snprintf(abs, sizeof abs, "%s", path);
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


static int cmp_str(const void *x, const void *y) { return strcmp((const char *)x, (const char *)y); }

static int has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

void session_list_models(Session *s) {
    OpenDialog *o = &s->app->open;
    o->n = 0;
    snprintf(o->dir, sizeof o->dir, "%s", s->models_dir);
    DIR *d = opendir(s->models_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && o->n < APP_MAX_FILES) {
            if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".safetensors")) continue;
            snprintf(o->files[o->n++], APP_PATH_LEN, "%.600s/%.400s", s->models_dir, e->d_name);
        }
        closedir(d);
    }
    qsort(o->files, (size_t)o->n, APP_PATH_LEN, cmp_str);
    o->nmodels = o->n;
    FILE *f = s->recent_file[0] ? fopen(s->recent_file, "r") : NULL;
    if (f) {
        char line[APP_PATH_LEN];
        while (fgets(line, sizeof line, f) && o->n < APP_MAX_FILES) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0]) continue;
            struct stat st;
            if (stat(line, &st) != 0) continue;
            int dup = 0;
            for (int i = 0; i < o->n; i++) dup |= strcmp(o->files[i], line) == 0;
            if (!dup) snprintf(o->files[o->n++], APP_PATH_LEN, "%s", line);
        }
        fclose(f);
    }
    if (o->sel >= o->n) o->sel = o->n > 0 ? o->n - 1 : 0;
}


int session_read_model(const char *path, Net *net, ModelMeta *meta, char *err) {
    Net n = {0};
    ModelMeta m;
    if (model_load(path, &n, &m, err) != 0) return -1;
    /* a layer stack always reads 1x28x28 = 784 inputs */
    if (net_inputs(&n) != 784 || net_outputs(&n) > 10 || net_outputs(&n) < 2) {
        err_set(err, "%s: it takes %d inputs and gives %d outputs; the window needs 784 in, 2..10 out", path,
                net_inputs(&n), net_outputs(&n));
        net_free(&n);
        return -1;
    }
    *net = n;
    if (meta) *meta = m;
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
        snprintf(p, sizeof p, "%.900s/digitrec-%.60s-%s.safetensors", s->models_dir, arch, stamp);
        /* two saves in one second must not overwrite each other */
        struct stat st;
        for (int k = 2; stat(p, &st) == 0 && k < 100; k++)
            snprintf(p, sizeof p, "%.900s/digitrec-%.60s-%s-%d.safetensors", s->models_dir, arch, stamp, k);
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
    char esc[APP_PATH_LEN * 2];
    json_escape(esc, sizeof esc, p);
    if (model_save(p, net, &meta, err) != 0) {
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
    session_set_baseline(s, net, &meta, p);
    session_remember(s, p);
    return 0;
}


void session_set_baseline(Session *s, const Net *net, const ModelMeta *meta, const char *name) {
    char err[ERR_LEN];
    if (net_copy(&s->baseline, net, err) != 0) {
        net_free(&s->baseline);
        return;
    }
    s->baseline_meta = *meta;
    snprintf(s->baseline_name, sizeof s->baseline_name, "%s", name);
}

void session_adopt_meta(Session *s, const ModelMeta *meta) {
    App *a = s->app;
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


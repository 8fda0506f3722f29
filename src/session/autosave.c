/* autosave.c - unsaved training is never lost: it goes into a folder of timestamped autosaves
 * (the window closing, every few minutes of training, before a run is replaced), the last
 * AUTOSAVE_KEEP are kept plus the best one, and the next start offers the newest back. Files are
 * never overwritten; a name carries the time and the test accuracy, so pruning needs no reads. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "session.h"

#define PREFIX "autosave-"
#define SUFFIX ".safetensors"
#define MARKER ".offered" /* the autosave last offered for restoring */

static void mkdirs(const char *dir) {
    char buf[APP_PATH_LEN + 2];
    snprintf(buf, sizeof buf, "%s/", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(buf, 0777); /* EEXIST is fine; a real failure shows when the file is written */
        *p = '/';
    }
}

static int is_autosave(const char *name) {
    size_t n = strlen(name), m = strlen(SUFFIX);
    return !strncmp(name, PREFIX, strlen(PREFIX)) && n > m && !strcmp(name + n - m, SUFFIX);
}

/* The accuracy in an autosave's name ("...-a97.81.safetensors"), or -1. */
static double name_acc(const char *name) {
    const char *p = strstr(name, "-a");
    return p ? atof(p + 2) : -1;
}

static int cmp_name(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* The autosaves' file names in dir, oldest first (the names sort by time). Caller frees each and
 * the array. */
static int list_autosaves(const char *dir, char ***out) {
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_autosave(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **g = realloc(v, sizeof *v * (size_t)cap);
            if (!g) break;
            v = g;
        }
        if (!(v[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_name);
    *out = v;
    return n;
}

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Deletes the oldest beyond AUTOSAVE_KEEP, but never the best. */
static void prune(const char *dir) {
    char **v;
    int n = list_autosaves(dir, &v), best = -1;
    for (int i = 0; i < n; i++)
        if (name_acc(v[i]) >= 0 && (best < 0 || name_acc(v[i]) > name_acc(v[best]))) best = i;
    for (int i = 0; i < n - AUTOSAVE_KEEP; i++) {
        if (i == best) continue;
        char p[APP_PATH_LEN + 300];
        snprintf(p, sizeof p, "%s/%s", dir, v[i]);
        unlink(p);
    }
    free_list(v, n);
}

int session_autosave(Session *s, const char *why, char *out, size_t n) {
    App *a = s->app;
    if (!s->autosave_dir[0]) {
        app_message(a, SEV_ERROR, "no folder for autosaves: set XDG_DATA_HOME or HOME, or use --autosave");
        return -1;
    }
    mkdirs(s->autosave_dir);
    time_t t = time(NULL);
    struct tm tmv;
    localtime_r(&t, &tmv);
    char stamp[32], acc[24] = "", path[APP_PATH_LEN];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    if (a->snap.nevals) snprintf(acc, sizeof acc, "-a%.2f", 100 * a->snap.evals[a->snap.nevals - 1].acc);
    snprintf(path, sizeof path, "%.900s/" PREFIX "%s%s" SUFFIX, s->autosave_dir, stamp, acc);
    struct stat st;
    for (int k = 2; stat(path, &st) == 0 && k < 100; k++) /* two in one second */
        snprintf(path, sizeof path, "%.900s/" PREFIX "%s-%d%s" SUFFIX, s->autosave_dir, stamp, k, acc);
    if (session_write_model(s, path, why, 0, out, n) != 0) return -1;
    snprintf(s->autosave_path, sizeof s->autosave_path, "%s", path);
    s->last_autosave = time_now();
    s->autosave_gen = a->snap.generation;
    s->autosave_step = a->snap.step;
    prune(s->autosave_dir);
    return 0;
}

void session_tick(Session *s) {
    App *a = s->app;
    double every = s->autosave_every > 0 ? s->autosave_every : 300;
    if (!a->snap.running || !app_unsaved(a) || time_now() - s->last_autosave < every) return;
    if (a->snap.generation == s->autosave_gen && a->snap.step == s->autosave_step) return;
    char path[APP_PATH_LEN];
    if (session_autosave(s, "training went on for a while", path, sizeof path) == 0) app_trace(a, "\"event\":\"autosave\",\"ok\":true,\"periodic\":true");
}

/* Writes path's name as the autosave last offered: session_offer_restore passes it over. */
static void mark_offered(Session *s, const char *path) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    char marker[APP_PATH_LEN + 16], err[ERR_LEN];
    snprintf(marker, sizeof marker, "%s/" MARKER, s->autosave_dir);
    file_write_atomic(marker, name, strlen(name), err); /* best effort: at worst it is offered again */
}

void session_restore_answered(Session *s, const char *path) {
    mark_offered(s, path);
    s->app->ask.path[0] = 0;
}

void session_autosave_superseded(Session *s) {
    const Snapshot *sn = &s->app->snap;
    if (s->autosave_path[0] && sn->generation == s->autosave_gen && sn->step >= s->autosave_step)
        mark_offered(s, s->autosave_path);
}

void session_offer_restore(Session *s) {
    if (!s->autosave_dir[0]) return;
    char **v;
    int n = list_autosaves(s->autosave_dir, &v);
    if (n == 0) return;
    const char *newest = v[n - 1];
    char marker[APP_PATH_LEN + 16], path[APP_PATH_LEN + 300];
    snprintf(marker, sizeof marker, "%s/" MARKER, s->autosave_dir);
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[ERR_LEN];
    int offered = file_read_all(marker, &buf, &len, err) == 0 && len == strlen(newest) && !memcmp(buf, newest, len);
    free(buf);
    snprintf(path, sizeof path, "%s/%s", s->autosave_dir, newest);
    Net net = {0};
    ModelMeta meta;
    if (!offered && session_read_model(path, &net, &meta, NULL, err) == 0) {
        char arch[96], what[256];
        net_arch_str(&net, arch, sizeof arch);
        const char *steps = model_meta_get(&meta, "steps"), *acc = model_meta_get(&meta, "test_accuracy"),
                   *why = model_meta_get(&meta, "autosave_reason"), *data = model_meta_get(&meta, "dataset");
        char accs[48] = "";
        if (acc) snprintf(accs, sizeof accs, ", test accuracy %.2f%%", 100 * atof(acc));
        snprintf(what, sizeof what, "%s on %s: %s steps%s, kept when %s", arch, data ? data : "?", steps ? steps : "?",
                 accs, why ? why : "it was saved");
        app_offer_restore(s->app, path, what);
        net_free(&net);
    }
    free_list(v, n);
}

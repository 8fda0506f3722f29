/* settings.c - settings.json read, checked field by field, and written atomically (see settings.h);
 * the values moved between a Settings and the App. It decides nothing about precedence: the
 * start-up code drops what the command line gives. */
#include "settings.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "optim.h"
#include "session.h"
#include "train.h"

static const char *const TAB_NAMES[TAB_COUNT] = {"weights", "errors", "inside", "map"};
static const char *const SCHED_NAMES[2] = {"const", "cosine"};
static const char *const AUGMENT_NAMES[3] = {"off", "shape", "ink"};

/* ---- reading ---- */

/* The fields ignored so far, as "lr (-1 is not in 1e-07..10), batch (not a number)". */
typedef struct {
    char text[SETTINGS_NOTE_LEN];
    int n;
} Ignored;

static void ignore(Ignored *ig, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void ignore(Ignored *ig, const char *key, const char *fmt, ...) {
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    size_t len = strlen(ig->text);
    if (len + 8 < sizeof ig->text)
        snprintf(ig->text + len, sizeof ig->text - len, "%s%s (%s)", ig->n ? ", " : "", key, why);
    ig->n++;
}

/* A JSON value described for a note: its type, or a number's value. */
static const char *what_is(const cJSON *it, char *buf, size_t n) {
    if (cJSON_IsNumber(it)) snprintf(buf, n, "%g", it->valuedouble);
    else if (cJSON_IsString(it)) snprintf(buf, n, "a string");
    else if (cJSON_IsBool(it)) snprintf(buf, n, "%s", cJSON_IsTrue(it) ? "true" : "false");
    else if (cJSON_IsNull(it)) snprintf(buf, n, "null");
    else if (cJSON_IsArray(it)) snprintf(buf, n, "a list");
    else snprintf(buf, n, "an object");
    return buf;
}

/* A number in [lo, hi] (whole when whole is set). Returns 1 when taken, 0 when absent or ignored. */
static int take_number(const cJSON *root, const char *key, double lo, double hi, int whole, double *out, Ignored *ig) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    char b[64];
    if (!it) return 0;
    if (!cJSON_IsNumber(it)) {
        ignore(ig, key, "%s, not a number", what_is(it, b, sizeof b));
        return 0;
    }
    double v = it->valuedouble;
    if (!isfinite(v) || v < lo || v > hi || (whole && v != floor(v))) {
        ignore(ig, key, "%s is not a %s in %g..%g", what_is(it, b, sizeof b), whole ? "whole number" : "number", lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

static int take_bool(const cJSON *root, const char *key, int *out, Ignored *ig) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    char b[64];
    if (!it) return 0;
    if (!cJSON_IsBool(it)) {
        ignore(ig, key, "%s, not true or false", what_is(it, b, sizeof b));
        return 0;
    }
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return 1;
}

/* A non-empty string shorter than n bytes. */
static int take_string(const cJSON *root, const char *key, char *out, size_t n, Ignored *ig) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    char b[64];
    if (!it) return 0;
    if (!cJSON_IsString(it)) {
        ignore(ig, key, "%s, not a string", what_is(it, b, sizeof b));
        return 0;
    }
    size_t len = strlen(it->valuestring);
    if (len == 0 || len >= n || strchr(it->valuestring, '\n')) {
        ignore(ig, key, len ? "too long or not one line" : "empty");
        return 0;
    }
    memcpy(out, it->valuestring, len + 1);
    return 1;
}

/* One of names (k of them); returns 1 with its index. */
static int take_name(const cJSON *root, const char *key, const char *const *names, int k, int *out, Ignored *ig) {
    char v[64];
    if (!take_string(root, key, v, sizeof v, ig)) return 0;
    for (int i = 0; i < k; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return 1;
        }
    char list[160] = "";
    for (int i = 0; i < k; i++) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    ignore(ig, key, "\"%.40s\" is none of %s", v, list);
    return 0;
}

/* The network as the window takes it (784 in, 10 out: sizes or a layer stack). */
static int network_ok(const char *s, char *err) {
    WorkerConfig c;
    worker_config_default(&c, "mlp");
    return app_parse_arch(s, &c, err);
}

SettingsState settings_parse(Settings *s, const char *json, size_t len, char *note) {
    memset(s, 0, sizeof *s);
    note[0] = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t at = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        snprintf(note, SETTINGS_NOTE_LEN, "not valid JSON (at byte %zu of %zu): all ignored", at, len);
        return SETTINGS_BAD;
    }
    for (const char *p = end; p < json + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != 0) {
            snprintf(note, SETTINGS_NOTE_LEN, "text after the JSON object (at byte %zu): all ignored", (size_t)(p - json));
            cJSON_Delete(root);
            return SETTINGS_BAD;
        }
    if (!cJSON_IsObject(root)) {
        snprintf(note, SETTINGS_NOTE_LEN, "not a JSON object: all ignored");
        cJSON_Delete(root);
        return SETTINGS_BAD;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != SETTINGS_VERSION) {
        char b[64];
        if (ver)
            snprintf(note, SETTINGS_NOTE_LEN, "version %s, this build reads version %d: all ignored", what_is(ver, b, sizeof b),
                     SETTINGS_VERSION);
        else
            snprintf(note, SETTINGS_NOTE_LEN, "no \"version\": all ignored");
        cJSON_Delete(root);
        return SETTINGS_BAD;
    }

    Ignored ig = {"", 0};
    double w, h, v;
    int got_w = take_number(root, "window_width", 640, 8192, 1, &w, &ig);
    int got_h = take_number(root, "window_height", 480, 8192, 1, &h, &ig);
    if (got_w && got_h) {
        s->win_w = (int)w, s->win_h = (int)h;
        s->have |= SET_SIZE;
    } else if (got_w != got_h) {
        ignore(&ig, got_w ? "window_width" : "window_height", "without its other half");
    }
    if (take_number(root, "scale", 0.5, 4, 0, &v, &ig)) s->scale = v, s->have |= SET_SCALE;
    if (take_string(root, "model", s->model, sizeof s->model, &ig)) s->have |= SET_MODEL;
    if (take_string(root, "data", s->data, sizeof s->data, &ig)) s->have |= SET_DATA;
    char e[ERR_LEN];
    if (take_string(root, "network", s->network, sizeof s->network, &ig)) {
        if (network_ok(s->network, e) == 0) {
            s->have |= SET_NETWORK;
        } else {
            ignore(&ig, "network", "%s", e);
            s->network[0] = 0;
        }
    }
    static const char *const opts[4] = {"gd", "sgd", "momentum", "adam"};
    if (take_name(root, "optimizer", opts, 4, &s->opt, &ig)) s->have |= SET_OPT;
    if (take_number(root, "lr", 1e-7, 10, 0, &v, &ig)) s->lr = v, s->have |= SET_LR;
    if (take_name(root, "schedule", SCHED_NAMES, 2, &s->schedule, &ig)) s->have |= SET_SCHED;
    if (take_number(root, "batch", 1, 65536, 1, &v, &ig)) s->batch = (int)v, s->have |= SET_BATCH;
    if (take_number(root, "epochs", 1, 100000, 1, &v, &ig)) s->epochs = (int)v, s->have |= SET_EPOCHS;
    if (take_number(root, "seed", 0, 999999, 1, &v, &ig)) s->seed = (long)v, s->have |= SET_SEED;
    if (take_name(root, "tab", TAB_NAMES, TAB_COUNT, &s->tab, &ig)) s->have |= SET_TAB;
    if (take_bool(root, "saliency", &s->saliency, &ig)) s->have |= SET_SALIENCY;
    if (take_bool(root, "log_scale", &s->log_scale, &ig)) s->have |= SET_LOG;
    if (take_bool(root, "mix", &s->mix, &ig)) s->have |= SET_MIX;
    if (take_name(root, "augment", AUGMENT_NAMES, 3, &s->augment, &ig)) s->have |= SET_AUGMENT;
    cJSON_Delete(root);
    if (!ig.n) return SETTINGS_OK;
    snprintf(note, SETTINGS_NOTE_LEN, "ignored %s", ig.text);
    return SETTINGS_PARTIAL;
}

/* ---- writing ---- */

char *settings_to_json(const Settings *s, int pretty) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = cJSON_AddNumberToObject(o, "version", SETTINGS_VERSION) != NULL;
    unsigned h = s->have;
    if (h & SET_SIZE)
        ok &= cJSON_AddNumberToObject(o, "window_width", s->win_w) && cJSON_AddNumberToObject(o, "window_height", s->win_h);
    if (h & SET_SCALE) ok &= cJSON_AddNumberToObject(o, "scale", s->scale) != NULL;
    if (h & SET_MODEL) ok &= cJSON_AddStringToObject(o, "model", s->model) != NULL;
    if (h & SET_DATA) ok &= cJSON_AddStringToObject(o, "data", s->data) != NULL;
    if (h & SET_NETWORK) ok &= cJSON_AddStringToObject(o, "network", s->network) != NULL;
    if (h & SET_OPT) ok &= cJSON_AddStringToObject(o, "optimizer", optim_name((OptKind)s->opt)) != NULL;
    if (h & SET_LR) ok &= cJSON_AddNumberToObject(o, "lr", s->lr) != NULL;
    if (h & SET_SCHED) ok &= cJSON_AddStringToObject(o, "schedule", SCHED_NAMES[s->schedule ? 1 : 0]) != NULL;
    if (h & SET_BATCH) ok &= cJSON_AddNumberToObject(o, "batch", s->batch) != NULL;
    if (h & SET_EPOCHS) ok &= cJSON_AddNumberToObject(o, "epochs", s->epochs) != NULL;
    if (h & SET_SEED) ok &= cJSON_AddNumberToObject(o, "seed", (double)s->seed) != NULL;
    if (h & SET_TAB) ok &= cJSON_AddStringToObject(o, "tab", TAB_NAMES[s->tab >= 0 && s->tab < TAB_COUNT ? s->tab : 0]) != NULL;
    if (h & SET_SALIENCY) ok &= cJSON_AddBoolToObject(o, "saliency", s->saliency) != NULL;
    if (h & SET_LOG) ok &= cJSON_AddBoolToObject(o, "log_scale", s->log_scale) != NULL;
    if (h & SET_MIX) ok &= cJSON_AddBoolToObject(o, "mix", s->mix) != NULL;
    if (h & SET_AUGMENT) ok &= cJSON_AddStringToObject(o, "augment", AUGMENT_NAMES[s->augment >= 0 && s->augment < 3 ? s->augment : 0]) != NULL;
    char *text = ok ? (pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o)) : NULL;
    cJSON_Delete(o);
    return text;
}

int settings_path(char *out, size_t n, const PlacesEnv *env, char *err) {
    char dir[PLACES_PATH_LEN];
    if (places_config_dir(dir, sizeof dir, env, err) != 0) return -1;
    int w = snprintf(out, n, "%s/settings.json", dir);
    if (w < 0 || (size_t)w >= n) return err_set(err, "settings: path too long");
    return 0;
}

SettingsState settings_load(const char *path, Settings *s, char *note) {
    memset(s, 0, sizeof *s);
    note[0] = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return SETTINGS_NONE;
        snprintf(note, SETTINGS_NOTE_LEN, "%.200s: %s: settings ignored", path, strerror(errno));
        return SETTINGS_BAD;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[ERR_LEN], why[SETTINGS_NOTE_LEN];
    if (S_ISDIR(st.st_mode)) {
        snprintf(note, SETTINGS_NOTE_LEN, "%.200s: a folder, not a file: settings ignored", path);
        return SETTINGS_BAD;
    }
    if (st.st_size > 1 << 20) {
        snprintf(note, SETTINGS_NOTE_LEN, "%.200s: %lld bytes, too large for settings: all ignored", path, (long long)st.st_size);
        return SETTINGS_BAD;
    }
    if (file_read_all(path, &buf, &len, err) != 0) {
        snprintf(note, SETTINGS_NOTE_LEN, "%.300s: settings ignored", err);
        return SETTINGS_BAD;
    }
    SettingsState r = settings_parse(s, (const char *)buf, len, why);
    free(buf);
    if (r != SETTINGS_OK) snprintf(note, SETTINGS_NOTE_LEN, "%.150s: %.240s", path, why);
    return r;
}

void settings_open(SettingsFile *f, const PlacesEnv *env) {
    memset(f, 0, sizeof *f);
    char err[ERR_LEN];
    if (settings_path(f->path, sizeof f->path, env, err) != 0) {
        f->path[0] = 0;
        return;
    }
    f->state = settings_load(f->path, &f->values, f->note);
    f->use = f->values;
}

int settings_save(const char *path, const Settings *s, int keep_old_as_bad, char *err) {
    session_make_dirs_for(path);
    if (keep_old_as_bad) {
        /* a copy, so that path itself stays as it was until the new file replaces it */
        uint8_t *old = NULL;
        size_t len = 0;
        char bad[APP_PATH_LEN + 8], e2[ERR_LEN];
        snprintf(bad, sizeof bad, "%s.bad", path);
        if (file_read_all(path, &old, &len, e2) == 0) {
            int rc = file_write_atomic(bad, old, len, err);
            free(old);
            if (rc != 0) return -1;
        }
    }
    char *text = settings_to_json(s, 1);
    if (!text) return err_set(err, "settings: out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* the terminator becomes the file's last newline */
    int rc = file_write_atomic(path, text, n + 1, err);
    free(text);
    return rc;
}

int settings_equal(const Settings *a, const Settings *b) {
    unsigned h = a->have;
    if (h != b->have) return 0;
    if ((h & SET_SIZE) && (a->win_w != b->win_w || a->win_h != b->win_h)) return 0;
    if ((h & SET_SCALE) && a->scale != b->scale) return 0;
    if ((h & SET_MODEL) && strcmp(a->model, b->model)) return 0;
    if ((h & SET_DATA) && strcmp(a->data, b->data)) return 0;
    if ((h & SET_NETWORK) && strcmp(a->network, b->network)) return 0;
    if ((h & SET_OPT) && a->opt != b->opt) return 0;
    if ((h & SET_LR) && a->lr != b->lr) return 0;
    if ((h & SET_SCHED) && a->schedule != b->schedule) return 0;
    if ((h & SET_BATCH) && a->batch != b->batch) return 0;
    if ((h & SET_EPOCHS) && a->epochs != b->epochs) return 0;
    if ((h & SET_SEED) && a->seed != b->seed) return 0;
    if ((h & SET_TAB) && a->tab != b->tab) return 0;
    if ((h & SET_SALIENCY) && a->saliency != b->saliency) return 0;
    if ((h & SET_LOG) && a->log_scale != b->log_scale) return 0;
    if ((h & SET_MIX) && a->mix != b->mix) return 0;
    if ((h & SET_AUGMENT) && a->augment != b->augment) return 0;
    return 1;
}

/* ---- the App's part ---- */

void settings_from_app(Settings *s, const App *a) {
    const TrainConfig *t = &a->ctl.train;
    snprintf(s->network, sizeof s->network, "%s", a->ctl.arch);
    s->opt = (int)t->opt;
    /* the rate as the control shows it (a float's digits, not a double's) */
    char lr[32];
    snprintf(lr, sizeof lr, "%g", (double)t->lr);
    s->lr = strtod(lr, NULL);
    s->schedule = t->schedule == SCHED_COSINE;
    s->batch = t->batch;
    s->epochs = t->epochs;
    s->seed = (long)t->seed;
    s->tab = a->tab;
    s->saliency = a->show_saliency != 0;
    s->log_scale = a->log_scale != 0;
    s->mix = a->mix != 0;
    s->augment = t->augment >= 0 && t->augment <= 2 ? t->augment : 0;
    s->have |= SET_NETWORK | SET_OPT | SET_LR | SET_SCHED | SET_BATCH | SET_EPOCHS | SET_SEED | SET_TAB | SET_SALIENCY |
               SET_LOG | SET_MIX | SET_AUGMENT;
}

void settings_apply_app(const Settings *s, App *a) {
    TrainConfig *t = &a->ctl.train;
    unsigned h = s->have;
    char err[ERR_LEN];
    if (h & SET_NETWORK) {
        app_adopt_arch(a, s->network, err); /* checked when read: a failure leaves the controls as they are */
    }
    if ((h & SET_OPT) && s->opt >= OPT_GD && s->opt <= OPT_ADAM) t->opt = (OptKind)s->opt;
    if ((h & SET_LR) && s->lr >= 1e-7 && s->lr <= 10) t->lr = (float)s->lr;
    if (h & SET_SCHED) t->schedule = s->schedule ? SCHED_COSINE : SCHED_CONST;
    if ((h & SET_BATCH) && s->batch >= 1 && s->batch <= 65536) t->batch = s->batch;
    if ((h & SET_EPOCHS) && s->epochs >= 1 && s->epochs <= 100000) t->epochs = s->epochs;
    if ((h & SET_SEED) && s->seed >= 0 && s->seed <= 999999) t->seed = (uint64_t)s->seed;
    if ((h & SET_TAB) && s->tab >= 0 && s->tab < TAB_COUNT) app_set_tab(a, s->tab);
    if (h & SET_SALIENCY) a->show_saliency = s->saliency != 0;
    if (h & SET_LOG) a->log_scale = s->log_scale != 0;
    if (h & SET_MIX) a->mix = s->mix != 0;
    if ((h & SET_AUGMENT) && s->augment >= 0 && s->augment <= 2) t->augment = s->augment;
}

/* ---- the session's settings ---- */

void session_window_size(Session *s, int w, int h) {
    if (w <= 0 || h <= 0) return;
    if (!s->screen_w) { /* the size the window opened at is the start's */
        s->settings_start.win_w = w, s->settings_start.win_h = h;
        s->settings_start.have |= SET_SIZE;
    }
    s->screen_w = w, s->screen_h = h;
}

void session_settings_now(const Session *s, Settings *out) {
    const App *a = s->app;
    *out = s->settings_start; /* what cannot be known now stays as it was */
    settings_from_app(out, a);
    if (s->screen_w > 0) {
        out->win_w = s->screen_w, out->win_h = s->screen_h;
        out->have |= SET_SIZE;
    }
    out->have &= ~(unsigned)SET_SCALE;
    if (s->ui_scale > 0) out->scale = s->ui_scale, out->have |= SET_SCALE;
    out->have &= ~(unsigned)SET_MODEL;
    if (s->baseline_name[0] && strcmp(s->baseline_name, s->default_model) != 0) {
        snprintf(out->model, sizeof out->model, "%s", s->baseline_name);
        out->have |= SET_MODEL;
    }
    if (a->snap.have_data && a->snap.data_dir[0]) {
        snprintf(out->data, sizeof out->data, "%s", a->snap.data_dir);
        out->have |= SET_DATA;
    }
}

int session_save_settings(Session *s) {
    if (!s->settings_on || !s->settings.path[0]) return 0;
    App *a = s->app;
    SettingsFile *f = &s->settings;
    Settings now;
    session_settings_now(s, &now);
    char esc[APP_PATH_LEN * 2], err[ERR_LEN];
    json_escape(esc, sizeof esc, f->path);
    /* a file that was read whole is rewritten when the window's settings differ from it; one that
       had something ignored is left alone unless something changed in this run */
    int flawed = f->state == SETTINGS_PARTIAL || f->state == SETTINGS_BAD;
    int same = flawed ? settings_equal(&now, &s->settings_start) : f->state == SETTINGS_OK && settings_equal(&now, &f->values);
    if (same) {
        app_trace(a, "\"event\":\"settings\",\"written\":false,\"why\":\"%s\",\"path\":\"%s\"",
                  flawed ? "nothing changed: the flawed file is left as it is" : "unchanged", esc);
        return 0;
    }
    if (settings_save(f->path, &now, flawed, err) != 0) {
        fprintf(stderr, "digitrec: settings not saved: %s\n", err);
        app_trace(a, "\"event\":\"settings\",\"written\":false,\"why\":\"failed\",\"path\":\"%s\"", esc);
        return -1;
    }
    if (flawed) fprintf(stderr, "digitrec: the old settings file is kept as %s.bad\n", f->path);
    app_trace(a, "\"event\":\"settings\",\"written\":true,\"kept_bad\":%s,\"path\":\"%s\"", flawed ? "true" : "false", esc);
    f->state = SETTINGS_OK;
    f->values = now;
    s->settings_start = now;
    return 0;
}

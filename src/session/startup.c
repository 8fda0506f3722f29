/* startup.c - the window's start-up policy (folders, the starting network, the personal
 * examples, the worker) and its scripted runs. Everything here happens before or beside the
 * frames the platform draws; none of it needs a display. */
#include "startup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "dataset.h"
#include "kernels.h"
#include "personal.h"
#include "places.h"

void window_options_default(WindowOptions *o) {
    memset(o, 0, sizeof *o);
    o->draw_demo = -1;
    o->cell_t = o->cell_p = -1;
    o->w = 1280, o->h = 800;
    o->seed = 1;
}

void window_options_settings(WindowOptions *o, SettingsFile *f) {
    Settings *u = &f->use;
    *u = f->values;
    unsigned drop = 0;
    if (o->size_set) drop |= SET_SIZE;
    if (o->scale > 0) drop |= SET_SCALE;
    if (o->model || o->arch) drop |= SET_MODEL;
    if (o->arch) drop |= SET_NETWORK;
    if (o->data) drop |= SET_DATA;
    if (o->seed_set) drop |= SET_SEED;
    if (o->tab_set) drop |= SET_TAB;
    if (o->saliency) drop |= SET_SALIENCY;
    if (o->mix) drop |= SET_MIX;
    u->have &= ~drop;
    if (u->have & SET_SIZE) {
        o->w = u->win_w, o->h = u->win_h;
        o->size_set = 1;
    }
    if (u->have & SET_SCALE) o->scale = u->scale;
    o->settings = f;
}

/* Notes for the status bar and stderr, joined into one line. */
typedef struct {
    char text[600];
} Notes;

static void note_add(Notes *n, const char *s) {
    if (!s || !*s) return;
    fprintf(stderr, "digitrec: %s\n", s);
    size_t len = strlen(n->text);
    if (len + 4 < sizeof n->text) snprintf(n->text + len, sizeof n->text - len, "%s%s", len ? "; " : "", s);
}

/* Opens path as the starting model. Returns 0, or -1 with err. */
static int start_model(Session *s, App *a, const char *path, Net *net, char *err) {
    ModelMeta meta;
    OodModel ood;
    if (session_read_model(path, net, &meta, &ood, err) != 0) return -1;
    session_set_baseline(s, net, &meta, &ood, path);
    app_next_detector(a, &ood);
    app_set_classes(a, model_meta_get(&meta, "classes"));
    a->classes_from_model = 1;
    app_message(a, SEV_INFO, "model %s", path);
    app_adopt_network(a, net);
    session_adopt_meta(s, &meta);
    return 0;
}

/* The network the window starts with: --arch, --model, the settings' last model, the shipped
 * mlp, or a fresh mlp. */
static int initial_network(Session *s, const WindowOptions *o, App *a, Net *net, Notes *notes, char *err) {
    if (o->arch) {
        WorkerConfig c = a->ctl;
        if (app_is_preset(o->arch))
            worker_config_default(&c, o->arch);
        else if (app_parse_arch(o->arch, &c, err) != 0)
            return -1;
        if (net_create_str(net, c.arch, err) != 0) return -1;
        net_init_he(net, (uint64_t)o->seed);
        app_message(a, SEV_INFO, "fresh untrained network: press Space to train");
        return 0;
    }
    char e2[ERR_LEN], path[PLACES_PATH_LEN], line[ERR_LEN + 160];
    PlacesEnv env;
    places_env_from_process(&env);
    if (o->model) return start_model(s, a, o->model, net, err);
    const Settings *st = o->settings ? &o->settings->use : NULL;
    if (st && (st->have & SET_MODEL)) {
        struct stat sb;
        if (stat(st->model, &sb) != 0) {
            snprintf(line, sizeof line, "the last model %.300s is gone: starting without it", st->model);
            note_add(notes, line);
        } else if (start_model(s, a, st->model, net, e2) == 0) {
            return 0;
        } else {
            snprintf(line, sizeof line, "the last model could not be opened (%.300s): starting without it", e2);
            note_add(notes, line);
        }
    }
    if (places_default_model(path, sizeof path, &env, NULL, e2) == 0 && start_model(s, a, path, net, e2) == 0) return 0;
    WorkerConfig c;
    worker_config_default(&c, "mlp");
    if (net_create_str(net, c.arch, err) != 0) return -1;
    net_init_he(net, (uint64_t)o->seed);
    app_message(a, SEV_WARN, "no shipped model (%s): starting with an untrained network; press Space to train", e2);
    return 0;
}

/* The settings in effect now, into the trace. */
static void trace_settings(Session *s, const char *state) {
    Settings now;
    session_settings_now(s, &now);
    char *json = settings_to_json(&now, 0);
    char esc[APP_PATH_LEN * 2];
    json_escape(esc, sizeof esc, s->settings.path);
    app_trace(s->app, "\"event\":\"settings\",\"state\":\"%s\",\"path\":\"%s\",\"values\":%s", state, esc, json ? json : "{}");
    free(json);
}

int session_start(Session *s, App *a, const WindowOptions *o, FILE *trace, char *err) {
    if (app_init(a, o->w, o->h, err) != 0) return -1;
    session_init(s, a, trace);
    app_resize(a, a->w, a->h); /* so the trace starts with the layout */
    /* the folders: the options, else where places says a user's files live ("" when there is
       no HOME: the features that need them say so when used) */
    PlacesEnv env;
    places_env_from_process(&env);
    char e2[ERR_LEN], dir[PLACES_PATH_LEN];
    if (places_models_dir(dir, sizeof dir, &env, o->models_dir, e2) == 0)
        snprintf(s->models_dir, sizeof s->models_dir, "%.1000s", dir);
    if (o->autosave)
        snprintf(s->autosave_dir, sizeof s->autosave_dir, "%s", o->autosave);
    else if (places_user_data_dir(dir, sizeof dir, &env, e2) == 0)
        snprintf(s->autosave_dir, sizeof s->autosave_dir, "%.1000s/autosave", dir);
    if (places_config_dir(dir, sizeof dir, &env, e2) == 0)
        snprintf(s->recent_file, sizeof s->recent_file, "%.1000s/recent", dir);
    if (places_exports_dir(dir, sizeof dir, &env, o->export_dir, e2) == 0)
        snprintf(s->export_dir, sizeof s->export_dir, "%.1000s", dir);
    if (places_personal_dir(dir, sizeof dir, &env, o->personal_dir, e2) == 0) {
        snprintf(s->personal_root, sizeof s->personal_root, "%.1000s", dir);
        snprintf(s->personal_dir, sizeof s->personal_dir, "%.1000s", dir); /* digits until the data says otherwise */
    }
    if (places_default_model(dir, sizeof dir, &env, NULL, e2) == 0)
        snprintf(s->default_model, sizeof s->default_model, "%.1000s", dir);
    const Settings *st = NULL;
    Notes notes = {""};
    if (o->settings && o->settings->path[0]) {
        s->settings_on = 1;
        s->settings = *o->settings;
        st = &s->settings.use;
        note_add(&notes, s->settings.note);
    }
    s->ui_scale = o->scale;

    Net net = {0};
    if (initial_network(s, o, a, &net, &notes, err) != 0) goto fail;
    app_adopt_network(a, &net);
    app_set_tab(a, o->tab);
    a->show_saliency = o->saliency;
    if (a->arch == ARCH_SOFTMAX && !s->baseline.params) {
        WorkerConfig d;
        worker_config_default(&d, "softmax");
        a->ctl.train = d.train;
    }
    if (o->seed_set || !s->baseline.params) a->ctl.train.seed = (uint64_t)o->seed;
    a->mix = o->mix;
    float lr_model = a->ctl.train.lr;
    if (st) settings_apply_app(st, a); /* the user's last controls, tab and overlays, over the model's */
    if (a->ctl.train.lr != lr_model) /* the model's message, if any, named its own rate */
        app_message(a, SEV_INFO, "training goes on at %g, the learning rate of your last session", (double)a->ctl.train.lr);
    if (o->bench > 0) a->ctl.train.epochs = 1000; /* no epoch limit within the benchmark */
    if (o->draw_demo >= 0) canvas_draw_demo(&a->canvas_px, o->draw_demo);

    /* the personal examples: digits until the data is known (the worker gets the data's own set
       once it has loaded: session_sync) */
    if (s->personal_dir[0] && personal_load(s->personal_dir, &s->personal, e2) != 0)
        app_message(a, SEV_ERROR, "your examples were not loaded: %s", e2);
    a->personal_n = s->personal.n;
    app_resize(a, a->w, a->h); /* the Mine button shows the count */

    /* the worker's kernels get the cores but one; the window draws on the one left */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o->threads > 0 ? o->threads : cores > 1 ? (int)(cores - 1) : 1;
    kernels_set_threads(threads);
    app_trace(a, "\"event\":\"threads\",\"kernels\":%d,\"cores\":%ld", threads, cores);
    WorkerSetup setup = {0};
    char data_dir[PLACES_PATH_LEN], line[APP_PATH_LEN + 120];
    const char *want = o->data;
    if (!want && st && (st->have & SET_DATA)) {
        if (places_mnist_dir(data_dir, sizeof data_dir, &env, st->data, e2) == 0 && session_data_present(data_dir)) {
            want = st->data;
        } else {
            snprintf(line, sizeof line, "the dataset folder %.600s from last time no longer holds MNIST's files: using the default",
                     st->data);
            note_add(&notes, line);
        }
    }
    if (places_mnist_dir(data_dir, sizeof data_dir, &env, want, e2) != 0) data_dir[0] = 0;
    setup.data_dir = data_dir[0] ? data_dir : NULL;
    setup.mix = a->mix;
    s->worker = worker_start(&setup, &net, &a->ctl, err);
    net_free(&net);
    if (!s->worker) goto fail;
    if (s->baseline.params) app_model_generation(a, 0); /* the first generation is the model's */
    s->last_autosave = time_now();
    /* what is in effect now is what a change is measured against at close */
    session_settings_now(s, &s->settings_start);
    if (data_dir[0] && session_data_present(data_dir)) {
        snprintf(s->settings_start.data, sizeof s->settings_start.data, "%s", data_dir);
        s->settings_start.have |= SET_DATA;
    }
    if (s->settings_on) {
        static const char *states[] = {"none", "ok", "partial", "bad"};
        trace_settings(s, states[s->settings.state]);
    } else {
        app_trace(a, "\"event\":\"settings\",\"state\":\"off\"");
    }
    if (notes.text[0]) app_message(a, SEV_WARN, "%s", notes.text);
    session_sync(s);
    if (!o->screenshot && o->bench <= 0) session_offer_restore(s);
    return 0;
fail:
    net_free(&net);
    session_free(s);
    app_free(a);
    return -1;
}

/* ---- scripted runs ---- */

int autotrain_tick(AutoTrain *t, App *a, double now) {
    if (t->train_for <= 0 || t->phase == 2) return 0;
    if (t->phase == 0) {
        if (a->snap.have_data) {
            app_push_action(a, ACT_RUN, NULL);
            t->started = now;
            t->phase = 1;
        } else if (!a->snap.data_loading && a->snap.version > 0 && now - t->t0 > 1.0) {
            t->phase = 2; /* no data: nothing to train */
            return 0;
        }
        return 1;
    }
    if (now - t->started >= t->train_for) {
        if (t->compare) {
            /* the second run: a fresh network of the other architecture; the first run's curves stay */
            WorkerConfig c = a->ctl;
            char err[ERR_LEN];
            if (app_is_preset(t->compare)) {
                worker_config_default(&c, t->compare);
                c.train.seed = a->ctl.train.seed;
            } else if (app_parse_arch(t->compare, &c, err) != 0) {
                app_message(a, SEV_ERROR, "--compare: %s", err);
                t->compare = NULL;
                return 1;
            }
            a->ctl = c;
            app_adopt_network(a, &a->snap.net);
            a->ctl = c;
            app_push_action(a, ACT_RESET, NULL);
            app_push_action(a, ACT_CONFIGURE, NULL);
            app_push_action(a, ACT_RUN, NULL); /* the first run may have finished and stopped */
            t->compare = NULL;
            t->started = now;
            return 1;
        }
        if (!t->keep_going) app_push_action(a, ACT_PAUSE, NULL);
        t->phase = 2;
        return 0;
    }
    return 1;
}

void bench_stroke(App *a, long frame) {
    const Rect *c = &a->lay.canvas;
    long k = frame % 30, stroke = frame / 30;
    double t = (double)k / 29 * 6.2831853 + (double)stroke;
    int x = c->x + c->w / 2 + (int)(c->w * 0.3 * cos(t)), y = c->y + c->h / 2 + (int)(c->h * 0.35 * sin(1.5 * t));
    if (k == 0) {
        if (stroke % 4 == 0) app_key(a, KEY_C, 0);
        app_mouse_down(a, x, y, 1);
    } else if (k == 29) {
        app_mouse_up(a, x, y, 1);
    } else {
        app_mouse_move(a, x, y);
    }
}

static int cmp_double(const void *p, const void *q) {
    double x = *(const double *)p, y = *(const double *)q;
    return (x > y) - (x < y);
}

void bench_report(const App *a, double wall, long steps0, long samples0, double ttrain0, double *ms, long n,
                  const double part[4]) {
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    long steps = a->snap.step - steps0, samples = a->snap.samples - samples0;
    double tt = a->snap.t_train - ttrain0;
    printf("bench-window: seconds=%.3f steps=%ld samples=%ld samples_per_second=%.1f step_samples_per_second=%.1f "
           "frames=%ld fps=%.1f frame_ms_median=%.3f frame_ms_p99=%.3f frame_ms_max=%.3f "
           "mean_ms_input=%.3f mean_ms_layout=%.3f mean_ms_show=%.3f\n",
           wall, steps, samples, wall > 0 ? samples / wall : 0.0, tt > 0 ? samples / tt : 0.0, n,
           wall > 0 ? n / wall : 0.0, n ? ms[n / 2] : 0.0, n ? ms[(long)(0.99 * (double)(n - 1) + 0.5)] : 0.0,
           n ? ms[n - 1] : 0.0, n ? part[0] / n : 0.0, n ? part[1] / n : 0.0, n ? (part[2] + part[3]) / n : 0.0);
    fflush(stdout);
}

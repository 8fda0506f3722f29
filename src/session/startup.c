/* startup.c - the window's start-up policy (folders, the starting network, the personal
 * examples, the worker) and its scripted runs. Everything here happens before or beside the
 * frames the platform draws; none of it needs a display. */
#include "startup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The network the window starts with: --arch, --model, the shipped mlp, or a fresh mlp. */
static int initial_network(Session *s, const WindowOptions *o, App *a, Net *net, char *err) {
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
    char e2[ERR_LEN], path[PLACES_PATH_LEN];
    ModelMeta meta;
    PlacesEnv env;
    places_env_from_process(&env);
    int found = o->model ? (snprintf(path, sizeof path, "%s", o->model), 0)
                         : places_default_model(path, sizeof path, &env, NULL, e2);
    if (found == 0 && session_read_model(path, net, &meta, e2) == 0) {
        app_set_classes(a, model_meta_get(&meta, "classes"));
        a->classes_from_model = 1;
        app_message(a, SEV_INFO, "model %s", path);
        session_set_baseline(s, net, &meta, path);
        app_adopt_network(a, net);
        session_adopt_meta(s, &meta);
        return 0;
    }
    if (o->model) return err_set(err, "%s", e2);
    WorkerConfig c;
    worker_config_default(&c, "mlp");
    if (net_create_str(net, c.arch, err) != 0) return -1;
    net_init_he(net, (uint64_t)o->seed);
    app_message(a, SEV_WARN, "no shipped model (%s): starting with an untrained network; press Space to train", e2);
    return 0;
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

    Net net = {0};
    if (initial_network(s, o, a, &net, err) != 0) goto fail;
    app_adopt_network(a, &net);
    app_set_tab(a, o->tab);
    a->show_saliency = o->saliency;
    if (a->arch == ARCH_SOFTMAX && !s->baseline.params) {
        WorkerConfig d;
        worker_config_default(&d, "softmax");
        a->ctl.train = d.train;
    }
    if (o->seed_set || !s->baseline.params) a->ctl.train.seed = (uint64_t)o->seed;
    if (o->bench > 0) a->ctl.train.epochs = 1000; /* no epoch limit within the benchmark */
    if (o->draw_demo >= 0) canvas_draw_demo(&a->canvas_px, o->draw_demo);

    /* the personal examples: digits until the data is known (the worker gets the data's own set
       once it has loaded: session_sync) */
    a->mix = o->mix;
    if (s->personal_dir[0] && personal_load(s->personal_dir, &s->personal, e2) != 0)
        app_message(a, SEV_ERROR, "your examples were not loaded: %s", e2);
    a->personal_n = s->personal.n;
    app_resize(a, a->w, a->h); /* the Mine button shows the count */

    kernels_set_threads(1); /* the worker gets one core, the window keeps the other */
    WorkerSetup setup = {0};
    char data_dir[PLACES_PATH_LEN];
    if (places_mnist_dir(data_dir, sizeof data_dir, &env, o->data, e2) != 0) data_dir[0] = 0;
    setup.data_dir = data_dir[0] ? data_dir : NULL;
    setup.mix = o->mix;
    s->worker = worker_start(&setup, &net, &a->ctl, err);
    net_free(&net);
    if (!s->worker) goto fail;
    s->last_autosave = time_now();
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
           "mean_ms_input=%.3f mean_ms_layout=%.3f mean_ms_draw=%.3f mean_ms_present=%.3f\n",
           wall, steps, samples, wall > 0 ? samples / wall : 0.0, tt > 0 ? samples / tt : 0.0, n,
           wall > 0 ? n / wall : 0.0, n ? ms[n / 2] : 0.0, n ? ms[(long)(0.99 * (double)(n - 1) + 0.5)] : 0.0,
           n ? ms[n - 1] : 0.0, n ? part[0] / n : 0.0, n ? part[1] / n : 0.0, n ? part[2] / n : 0.0,
           n ? part[3] / n : 0.0);
    fflush(stdout);
}

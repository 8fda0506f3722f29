/* gui_main.c - `digitrec` with no subcommand: the SDL window. Parses the window's options,
 * starts the training worker, then loops: SDL events -> App, App actions -> session, snapshot
 * -> App, App draw list -> renderer. With --screenshot it renders one frame off-screen (a
 * software renderer on a surface; no display or video driver needed) and exits. */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "cli.h"
#include "common.h"
#include "dataset.h"
#include "gui_export.h"
#include "gui_render.h"
#include "image_load.h"
#include "kernels.h"
#include "model_io.h"
#include "personal.h"
#include "preprocess.h"
#include "session.h"
#include "worker.h"

#ifndef DIGITREC_MODELS_DIR
#define DIGITREC_MODELS_DIR "models"
#endif
#ifndef DIGITREC_ASSETS_DIR
#define DIGITREC_ASSETS_DIR "assets"
#endif

typedef struct {
    const char *model, *data, *models_dir, *autosave, *screenshot, *trace, *canvas_image, *arch, *assets;
    const char *personal_dir, *export_dir, *compare;
    int export_now;     /* --export: with --screenshot, export after the frame */
    int draw_demo;      /* -1 none */
    int tab;            /* PanelTab to start on */
    int cell_t, cell_p; /* confusion cell to open, -1 none */
    int mix;            /* mix the personal examples into training from the start */
    int saliency;       /* start with the saliency overlay on */
    double train_for;
    double bench;       /* --bench S: train S seconds with the window drawing, print timings, exit */
    int w, h;
    long seed;
} GuiOptions;

static void gui_usage(FILE *f) {
    fprintf(f,
            "usage: digitrec [options]        open the window\n"
            "  --model F           start with this model (default: %s/mlp.safetensors)\n"
            "  --arch A            start with a fresh network instead: softmax, mlp or sizes like 784-256-10\n"
            "  --seed N            seed for --arch and Reset (default 1)\n"
            "  --data DIR          IDX folder, or mnist / fashion-mnist (default $DIGITREC_DATA, else\n"
            "                      the built-in data/mnist); Ctrl+D or a dropped folder switches later\n"
            "  --models-dir DIR    where Ctrl+S saves and Ctrl+O looks (default %s)\n"
            "  --autosave FILE     where unsaved training goes on close (default MODELS_DIR/autosave.safetensors)\n"
            "  --size WxH          window size (default 1280x800)\n"
            "  --trace FILE        write JSON lines: layout, predictions, training publishes, saves\n"
            "  --canvas-image F    put a picture (PNG/PGM/..., dark ink on light or light on dark) on the canvas\n"
            "  --draw-demo D       draw digit D (0-9) on the canvas as if with the mouse\n"
            "  --train-for S       train for S seconds after start, then pause\n"
            "  --screenshot FILE   render one frame (after --train-for, still training) to a PNG and exit\n"
            "  --bench S           train the model for S seconds with the window drawing every frame\n"
            "                      (a stroke is drawn, so predictions run), then print one\n"
            "                      'bench-window:' line of samples/s and frame times and exit\n"
            "  --compare A         after --train-for, reset to architecture A (softmax, mlp or sizes)\n"
            "                      and train as long again: both runs' curves in one picture\n"
            "  --personal-dir DIR  your labelled drawings (Ctrl+0..9) as IDX files (default\n"
            "                      $XDG_DATA_HOME/digitrec/personal or ~/.local/share/digitrec/personal)\n"
            "  --mix               mix your drawings into training from the start (P toggles)\n"
            "  --saliency          start with the saliency overlay on the canvas (G toggles)\n"
            "  --export-dir DIR    where Ctrl+E writes the history CSV and PNG pictures (default\n"
            "                      $XDG_DATA_HOME/digitrec/exports or ~/.local/share/digitrec/exports)\n"
            "  --export            with --screenshot: also export (as Ctrl+E) after the frame\n"
            "  --tab T             start on the right panel's weights, errors or inside view\n"
            "  --cell T,P          open the errors view on the confusion cell true T, predicted P\n"
            "  --assets DIR        where fonts/DejaVuSans.ttf is (default %s)\n",
            DIGITREC_MODELS_DIR, DIGITREC_MODELS_DIR, DIGITREC_ASSETS_DIR);
}

static int parse_options(int argc, char **argv, GuiOptions *o) {
    memset(o, 0, sizeof *o);
    o->draw_demo = -1;
    o->cell_t = o->cell_p = -1;
    o->w = 1280, o->h = 800;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help-window")) {
            gui_usage(stdout);
            return 1;
        }
        static const char *known[] = {"--model", "--data", "--models-dir", "--autosave", "--screenshot", "--trace",
                                      "--canvas-image", "--arch", "--assets", "--draw-demo", "--seed", "--train-for",
                                      "--size", "--tab", "--cell", "--personal-dir", "--mix", "--saliency", "--export-dir",
                                      "--export", "--compare", "--bench", NULL};
        size_t len = strcspn(argv[i], "=");
        int ok = 0;
        for (int k = 0; known[k]; k++) ok |= strlen(known[k]) == len && !strncmp(argv[i], known[k], len);
        if (!ok && !strncmp(argv[i], "--", 2)) {
            fprintf(stderr, "digitrec: unknown option %.*s (see digitrec --help)\n", (int)len, argv[i]);
            return -1;
        }
        if (!strcmp(argv[i], "--mix")) {
            o->mix = 1;
            continue;
        }
        if (!strcmp(argv[i], "--saliency")) {
            o->saliency = 1;
            continue;
        }
        if (!strcmp(argv[i], "--export")) {
            o->export_now = 1;
            continue;
        }
        char name[32];
        const char *v;
        if (cli_take(argc, argv, &i, name, sizeof name, &v) != 0) return -1;
        long n;
        double d;
        if (!strcmp(name, "--model")) o->model = v;
        else if (!strcmp(name, "--data")) o->data = v;
        else if (!strcmp(name, "--models-dir")) o->models_dir = v;
        else if (!strcmp(name, "--autosave")) o->autosave = v;
        else if (!strcmp(name, "--screenshot")) o->screenshot = v;
        else if (!strcmp(name, "--trace")) o->trace = v;
        else if (!strcmp(name, "--canvas-image")) o->canvas_image = v;
        else if (!strcmp(name, "--arch")) o->arch = v;
        else if (!strcmp(name, "--assets")) o->assets = v;
        else if (!strcmp(name, "--personal-dir")) o->personal_dir = v;
        else if (!strcmp(name, "--export-dir")) o->export_dir = v;
        else if (!strcmp(name, "--compare")) o->compare = v;
        else if (!strcmp(name, "--draw-demo")) {
            if (cli_int(name, v, 0, 9, &n) != 0) return -1;
            o->draw_demo = (int)n;
        } else if (!strcmp(name, "--seed")) {
            if (cli_int(name, v, 0, 999, &o->seed) != 0) return -1;
        } else if (!strcmp(name, "--train-for")) {
            if (cli_double(name, v, 0, 86400, &d) != 0) return -1;
            o->train_for = d;
        } else if (!strcmp(name, "--bench")) {
            if (cli_double(name, v, 0.5, 86400, &d) != 0) return -1;
            o->bench = d;
        } else if (!strcmp(name, "--tab")) {
            static const char *tabs[] = {"weights", "errors", "inside"};
            o->tab = -1;
            for (int k = 0; k < 3; k++)
                if (!strcmp(v, tabs[k])) o->tab = k;
            if (o->tab < 0) {
                fprintf(stderr, "digitrec: --tab expects weights, errors or inside, got '%s'\n", v);
                return -1;
            }
        } else if (!strcmp(name, "--cell")) {
            int t, p;
            char extra;
            if (sscanf(v, "%d,%d%c", &t, &p, &extra) != 2 || t < 0 || t > 9 || p < 0 || p > 9) {
                fprintf(stderr, "digitrec: --cell expects T,P with digits 0-9 (true, predicted), got '%s'\n", v);
                return -1;
            }
            o->cell_t = t, o->cell_p = p;
            o->tab = TAB_ERRORS;
        } else if (!strcmp(name, "--size")) {
            int w, h;
            char extra;
            if (sscanf(v, "%dx%d%c", &w, &h, &extra) != 2 || w < 640 || h < 480 || w > 8192 || h > 8192) {
                fprintf(stderr, "digitrec: --size expects WxH, at least 640x480, got '%s'\n", v);
                return -1;
            }
            o->w = w, o->h = h;
        } else {
            fprintf(stderr, "digitrec: unknown option %s (see digitrec --help)\n", name);
            return -1;
        }
    }
    return 0;
}

/* The network the window starts with: --arch, --model, the shipped mlp, or a fresh mlp. */
static int initial_network(const GuiOptions *o, App *a, Net *net, char *err) {
    char e2[ERR_LEN];
    if (o->arch) {
        WorkerConfig c = a->ctl;
        if (!strcmp(o->arch, "softmax") || !strcmp(o->arch, "mlp"))
            worker_config_default(&c, o->arch);
        else if (app_parse_sizes(o->arch, &c, err) != 0)
            return -1;
        if (net_create(net, c.sizes, c.nlayers, BIAS_NEURON, 0, err) != 0) return -1;
        net_init_he(net, (uint64_t)o->seed);
        app_message(a, 0, "fresh untrained network: press Space to train");
        return 0;
    }
    ModelMeta meta;
    char path[1200];
    snprintf(path, sizeof path, "%s", o->model ? o->model : DIGITREC_MODELS_DIR "/mlp.safetensors");
    if (model_load(path, net, &meta, e2) == 0) {
        if (net->sizes[0] != 784 || net->sizes[net->nlayers] > 10 || net->sizes[net->nlayers] < 2) {
            err_set(err, "%s: the window needs a network with 784 inputs and up to 10 outputs", path);
            net_free(net);
            return -1;
        }
        app_set_classes(a, model_meta_get(&meta, "classes"));
        a->classes_from_model = 1;
        app_message(a, 0, "model %s", path);
        return 0;
    }
    if (o->model) return err_set(err, "%s", e2);
    WorkerConfig c;
    worker_config_default(&c, "mlp");
    if (net_create(net, c.sizes, c.nlayers, BIAS_NEURON, 0, err) != 0) return -1;
    net_init_he(net, (uint64_t)o->seed);
    app_message(a, 0, "no shipped model (%s): starting with an untrained network; press Space to train", path);
    return 0;
}

/* Puts a picture on the canvas: light-on-dark is kept, dark-on-light inverted. */
static int canvas_from_file(App *a, const char *path, char *err) {
    float *img;
    int w, h;
    if (image_load_file(path, &img, &w, &h, err) != 0) return -1;
    preprocess_auto_invert(img, w, h);
    int rc = canvas_set_image(&a->canvas_px, img, w, h);
    free(img);
    if (rc != 0) return err_set(err, "out of memory");
    return 0;
}

static int map_key(SDL_Keycode k, SDL_Keymod mod) {
    switch (k) {
    case SDLK_SPACE: return KEY_SPACE;
    case SDLK_n: return KEY_N;
    case SDLK_r: return KEY_R;
    case SDLK_c: return KEY_C;
    case SDLK_l: return KEY_L;
    case SDLK_z: return KEY_Z;
    case SDLK_s: return KEY_S;
    case SDLK_o: return KEY_O;
    case SDLK_q: return KEY_Q;
    case SDLK_w: return KEY_W;
    case SDLK_m: return KEY_M;
    case SDLK_a: return KEY_A;
    case SDLK_g: return KEY_G;
    case SDLK_p: return KEY_P;
    case SDLK_e: return KEY_E;
    case SDLK_d: return KEY_D;
    case SDLK_PAGEUP: return KEY_PAGEUP;
    case SDLK_PAGEDOWN: return KEY_PAGEDOWN;
    case SDLK_BACKSPACE: return KEY_BACKSPACE;
    case SDLK_DELETE: return KEY_DELETE;
    case SDLK_F1: return KEY_F1;
    case SDLK_QUESTION: return KEY_QUESTION;
    case SDLK_SLASH: return (mod & KMOD_SHIFT) ? KEY_QUESTION : KEY_NONE;
    case SDLK_ESCAPE: return KEY_ESCAPE;
    case SDLK_RETURN:
    case SDLK_KP_ENTER: return KEY_RETURN;
    case SDLK_UP: return KEY_UP;
    case SDLK_DOWN: return KEY_DOWN;
    case SDLK_LEFT: return KEY_LEFT;
    case SDLK_RIGHT: return KEY_RIGHT;
    default:
        if (k >= SDLK_0 && k <= SDLK_9) return KEY_0 + (int)(k - SDLK_0);
        if (k >= SDLK_KP_1 && k <= SDLK_KP_9) return KEY_1 + (int)(k - SDLK_KP_1);
        if (k == SDLK_KP_0) return KEY_0;
        return KEY_NONE;
    }
}

/* Feeds one SDL event to the app. Returns 1 on a quit request. */
static int handle_event(App *a, const SDL_Event *e) {
    switch (e->type) {
    case SDL_QUIT: return 1;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) app_resize(a, e->window.data1, e->window.data2);
        if (e->window.event == SDL_WINDOWEVENT_CLOSE) return 1;
        break;
    case SDL_MOUSEBUTTONDOWN: app_mouse_down(a, e->button.x, e->button.y, e->button.button); break;
    case SDL_MOUSEBUTTONUP: app_mouse_up(a, e->button.x, e->button.y, e->button.button); break;
    case SDL_MOUSEMOTION: app_mouse_move(a, e->motion.x, e->motion.y); break;
    case SDL_MOUSEWHEEL: {
        int mx, my;
        SDL_GetMouseState(&mx, &my);
        app_wheel(a, mx, my, e->wheel.y);
        break;
    }
    case SDL_KEYDOWN: {
        SDL_Keymod m = (SDL_Keymod)e->key.keysym.mod;
        int key = map_key(e->key.keysym.sym, m);
        int mods = ((m & KMOD_CTRL) ? MOD_CTRL : 0) | ((m & KMOD_SHIFT) ? MOD_SHIFT : 0);
        if (key != KEY_NONE) app_key(a, key, mods);
        break;
    }
    case SDL_TEXTINPUT: app_text(a, e->text.text); break;
    case SDL_DROPFILE:
        app_drop_file(a, e->drop.file);
        SDL_free(e->drop.file);
        break;
    default: break;
    }
    return 0;
}

/* Start-of-run automation shared by the window and --screenshot: start training for
 * --train-for seconds once data is there. Returns 1 while it still has something to do. */
typedef struct {
    double train_for, started, t0;
    int phase;      /* 0 waiting for data, 1 training, 2 done */
    int keep_going; /* do not pause at the end (a screenshot is taken mid-training) */
    const char *compare; /* then reset to this architecture and train as long again (--compare) */
} AutoTrain;

static int autotrain_tick(AutoTrain *t, App *a, double now) {
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
            if (!strcmp(t->compare, "softmax") || !strcmp(t->compare, "mlp")) {
                worker_config_default(&c, t->compare);
                c.seed = a->ctl.seed;
            } else if (app_parse_sizes(t->compare, &c, err) != 0) {
                app_message(a, 1, "--compare: %s", err);
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

static int screenshot_run(App *a, Worker *w, const GuiOptions *o, const char *assets) {
    char err[ERR_LEN];
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    if (!ren) {
        fprintf(stderr, "digitrec: cannot create an off-screen renderer: %s\n", SDL_GetError());
        if (surf) SDL_FreeSurface(surf);
        return EXIT_RUNTIME;
    }
    GuiRender g;
    if (gui_render_init(&g, ren, assets, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        SDL_DestroyRenderer(ren);
        SDL_FreeSurface(surf);
        return EXIT_RUNTIME;
    }
    app_set_text_metrics(a, gui_text_width, gui_font_height, &g);
    AutoTrain at = {o->train_for, 0, time_now(), 0, 1, o->compare};
    double t0 = time_now();
    /* wait for the data to load (the status line should say what is there), then train */
    for (;;) {
        double now = time_now() - t0;
        a->now = now;
        session_sync(a, w);
        int busy = autotrain_tick(&at, a, time_now());
        session_apply(a, w);
        /* the errors view needs the worker's first pass over the test set */
        int want_view = o->tab == TAB_ERRORS && a->snap.have_data && !a->snap.view;
        if (!busy && !want_view && !a->snap.data_loading && a->snap.version > 0) break;
        if (now > 120 + o->train_for) break;
        SDL_Delay(20);
    }
    SDL_Delay(60); /* one more publish */
    a->now = time_now() - t0;
    session_sync(a, w);
    if (o->cell_t >= 0) app_select_cell(a, o->cell_t, o->cell_p);
    app_update_prediction(a);
    app_frame(a, time_now() - t0);
    gui_render_frame(&g, a);
    SDL_RenderPresent(ren);
    int rc = 0;
    if (IMG_SavePNG(surf, o->screenshot) != 0) {
        fprintf(stderr, "digitrec: cannot write %s: %s\n", o->screenshot, IMG_GetError());
        rc = EXIT_RUNTIME;
    } else {
        printf("digitrec: wrote %s (%dx%d)\n", o->screenshot, o->w, o->h);
    }
    if (o->export_now) {
        char prefix[APP_PATH_LEN];
        if (session_export(a, prefix, sizeof prefix) == 0)
            printf("digitrec: %s\n", a->msg);
        else {
            fprintf(stderr, "digitrec: %s\n", a->msg);
            rc = EXIT_RUNTIME;
        }
    }
    app_set_text_metrics(a, NULL, NULL, NULL);
    gui_render_free(&g);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    return rc;
}

/* --bench: a pen moving over the canvas as a user would, one mouse event a frame: strokes of
 * 30 frames along a loop, the canvas cleared every fourth stroke so it never fills up. */
static void bench_stroke(App *a, long frame) {
    const Rect *c = &a->canvas;
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

/* Prints the --bench line from the frame times (ms, n of them; sorted here) and the summed times
 * (ms) of the frames' four parts: input+sync+prediction, app_frame, draw calls, present. */
static void bench_report(const App *a, double wall, long steps0, long samples0, double ttrain0, double *ms, long n,
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

static int window_run(App *a, Worker *w, const GuiOptions *o, const char *assets) {
    char err[ERR_LEN];
    SDL_SetHint(SDL_HINT_RENDER_VSYNC, "1");
    /* Without a GPU, SDL's GL renderer is Mesa's llvmpipe, which rasterises on one thread per core:
     * those threads then compete with the training worker for its core (--bench: ~8% fewer
     * samples/s). Rasterising on the UI thread keeps the one-core-each split; GPUs ignore it. */
    setenv("LP_NUM_THREADS", "0", 0);
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "digitrec: cannot open a window (%s); try `digitrec --screenshot FILE` or the CLI subcommands\n",
                SDL_GetError());
        return EXIT_RUNTIME;
    }
    SDL_Window *win = SDL_CreateWindow("digitrec - draw a digit, watch a network learn", SDL_WINDOWPOS_CENTERED,
                                       SDL_WINDOWPOS_CENTERED, o->w, o->h, SDL_WINDOW_RESIZABLE | SDL_WINDOW_SHOWN);
    if (!win) {
        fprintf(stderr, "digitrec: cannot create the window: %s\n", SDL_GetError());
        return EXIT_RUNTIME;
    }
    SDL_SetWindowMinimumSize(win, 800, 560);
    SDL_Renderer *ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!ren) ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!ren) {
        fprintf(stderr, "digitrec: cannot create a renderer: %s\n", SDL_GetError());
        SDL_DestroyWindow(win);
        return EXIT_RUNTIME;
    }
    GuiRender g;
    if (gui_render_init(&g, ren, assets, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        SDL_DestroyRenderer(ren);
        SDL_DestroyWindow(win);
        return EXIT_RUNTIME;
    }
    app_set_text_metrics(a, gui_text_width, gui_font_height, &g);
    int ww, wh;
    SDL_GetWindowSize(win, &ww, &wh);
    app_resize(a, ww, wh);
    SDL_StartTextInput();
    int bench = o->bench > 0;
    AutoTrain at = {bench ? o->bench : o->train_for, 0, time_now(), 0, bench, bench ? NULL : o->compare};
    double t0 = time_now(), last_draw = -1;
    int quit = 0, cell_pending = o->cell_t >= 0, rc = 0;
    /* --bench: frame times (ms) while training, and the counters when training began */
    double *frame_ms = NULL, ttrain0 = 0, part_ms[4] = {0};
    long nframes = 0, cap_frames = 0, steps0 = 0, samples0 = 0;
    while (!quit) {
        double frame_start = time_now();
        int dirty = 0;
        SDL_Event e;
        if (bench && at.phase == 1) {
            /* one synthetic pen move a frame; real events are only polled */
            bench_stroke(a, nframes);
            dirty = 1;
            while (SDL_PollEvent(&e)) quit |= handle_event(a, &e);
        } else if (SDL_WaitEventTimeout(&e, 8)) { /* wait briefly for input when idle: no CPU spent */
            do {
                quit |= handle_event(a, &e);
                dirty = 1;
            } while (SDL_PollEvent(&e));
        }
        a->now = time_now() - t0;
        int phase = at.phase;
        autotrain_tick(&at, a, time_now());
        if (bench && phase == 0 && at.phase == 1) {
            steps0 = a->snap.step, samples0 = a->snap.samples, ttrain0 = a->snap.t_train;
        } else if (bench && at.phase == 2) {
            session_sync(a, w);
            if (phase == 1) {
                bench_report(a, time_now() - at.started, steps0, samples0, ttrain0, frame_ms, nframes, part_ms);
            } else {
                fprintf(stderr, "digitrec: --bench: no training data (%s)\n", a->snap.data_desc);
                rc = EXIT_RUNTIME;
            }
            break;
        }
        if (session_apply(a, w)) quit = 1;
        if (session_sync(a, w)) dirty = 1;
        if (cell_pending && a->snap.view) {
            app_select_cell(a, o->cell_t, o->cell_p);
            cell_pending = 0;
        }
        app_update_prediction(a);
        double now = time_now() - t0;
        if (dirty || now - last_draw > 0.25) {
            double t_app = time_now();
            app_frame(a, now);
            double t_draw = time_now();
            gui_render_frame(&g, a);
            double t_present = time_now();
            SDL_RenderPresent(ren);
            last_draw = now;
            if (bench && at.phase == 1) {
                /* where the frame went: input, sync and prediction / layout / draw calls / present */
                part_ms[0] += (t_app - frame_start) * 1000, part_ms[1] += (t_draw - t_app) * 1000;
                part_ms[2] += (t_present - t_draw) * 1000, part_ms[3] += (time_now() - t_present) * 1000;
                if (nframes == cap_frames) {
                    long cap = cap_frames ? 2 * cap_frames : 4096;
                    double *m = realloc(frame_ms, (size_t)cap * sizeof *m);
                    if (!m) {
                        fprintf(stderr, "digitrec: --bench: out of memory\n");
                        rc = EXIT_RUNTIME;
                        break;
                    }
                    frame_ms = m, cap_frames = cap;
                }
                frame_ms[nframes++] = (time_now() - frame_start) * 1000;
            }
        }
        /* about 60 frames a second at most, whatever vsync does (Xvfb has none) */
        double spent = time_now() - frame_start;
        if (spent < 1.0 / 60) SDL_Delay((Uint32)((1.0 / 60 - spent) * 1000));
    }
    free(frame_ms);
    SDL_StopTextInput();
    app_set_text_metrics(a, NULL, NULL, NULL);
    gui_render_free(&g);
    SDL_DestroyRenderer(ren);
    SDL_DestroyWindow(win);
    return rc;
}

int gui_main(int argc, char **argv) {
    GuiOptions o;
    int pr = parse_options(argc, argv, &o);
    if (pr != 0) return pr > 0 ? 0 : EXIT_USAGE;
    char err[ERR_LEN];
    const char *models_dir = o.models_dir ? o.models_dir : DIGITREC_MODELS_DIR;
    const char *assets = o.assets ? o.assets : DIGITREC_ASSETS_DIR;
    kernels_set_threads(1); /* the worker gets one core, the window keeps the other */

    FILE *trace = NULL;
    if (o.trace && !(trace = fopen(o.trace, "w"))) {
        fprintf(stderr, "digitrec: cannot write the trace %s\n", o.trace);
        return EXIT_RUNTIME;
    }
    static App app; /* large (file lists); static keeps it off the stack */
    if (app_init(&app, o.w, o.h, models_dir, o.autosave, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        if (trace) fclose(trace);
        return EXIT_RUNTIME;
    }
    app_set_trace(&app, trace);
    Net net = {0};
    if (initial_network(&o, &app, &net, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        app_free(&app);
        if (trace) fclose(trace);
        return EXIT_RUNTIME;
    }
    app_adopt_network(&app, &net);
    app_set_tab(&app, o.tab);
    app.show_saliency = o.saliency;
    if (app.arch == ARCH_SOFTMAX) {
        WorkerConfig d;
        worker_config_default(&d, "softmax");
        app.ctl.opt = d.opt, app.ctl.lr = d.lr;
    }
    app.ctl.seed = (uint64_t)o.seed;
    if (o.bench > 0) app.ctl.epochs = 1000; /* no epoch limit within the benchmark */
    if (o.canvas_image && canvas_from_file(&app, o.canvas_image, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        net_free(&net);
        app_free(&app);
        if (trace) fclose(trace);
        return EXIT_RUNTIME;
    }
    if (o.draw_demo >= 0) canvas_draw_demo(&app.canvas_px, o.draw_demo);

    if (SDL_Init(0) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "digitrec: SDL init failed: %s\n", SDL_GetError());
        net_free(&net);
        app_free(&app);
        if (trace) fclose(trace);
        return EXIT_RUNTIME;
    }
    /* the personal examples: the app keeps one copy, the worker gets another */
    if (o.personal_dir)
        snprintf(app.personal_dir, sizeof app.personal_dir, "%s", o.personal_dir);
    else
        personal_default_dir(app.personal_dir, sizeof app.personal_dir);
    app.mix = o.mix;
    if (o.export_dir) {
        snprintf(app.export_dir, sizeof app.export_dir, "%s", o.export_dir);
    } else {
        const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        if (x && *x)
            snprintf(app.export_dir, sizeof app.export_dir, "%.900s/digitrec/exports", x);
        else if (home && *home)
            snprintf(app.export_dir, sizeof app.export_dir, "%.900s/.local/share/digitrec/exports", home);
    }
    app.exporter = gui_export_pngs;
    app.export_ud = (void *)assets;
    Dataset extra = {0};
    if (app.personal_dir[0] && personal_load(app.personal_dir, &app.personal, err) != 0)
        app_message(&app, 1, "your examples were not loaded: %s", err);
    else if (app.personal.n > 0 && dataset_subset(&app.personal, app.personal.n, &extra, err) != 0)
        app_message(&app, 1, "your examples: %s", err);
    app_resize(&app, app.w, app.h); /* the Mine button shows the count */
    WorkerSetup setup = {0};
    setup.data_dir = dataset_default_dir(o.data);
    setup.extra = &extra;
    setup.mix = o.mix;
    Worker *w = worker_start(&setup, &net, &app.ctl, err);
    net_free(&net);
    dataset_free(&extra); /* moved into the worker unless it failed to start */
    int rc;
    if (!w) {
        fprintf(stderr, "digitrec: %s\n", err);
        rc = EXIT_RUNTIME;
    } else {
        session_sync(&app, w);
        rc = o.screenshot ? screenshot_run(&app, w, &o, assets) : window_run(&app, w, &o, assets);
        char msg[APP_PATH_LEN + 128];
        /* a screenshot or a benchmark leaves no autosave behind */
        int saved = o.screenshot || o.bench > 0 ? (worker_stop(w, NULL), 0) : session_close(&app, w, msg, sizeof msg);
        if (saved != 0) printf("digitrec: %s\n", msg);
        if (saved != 0) app_trace(&app, "\"event\":\"autosave\",\"ok\":%s", saved > 0 ? "true" : "false");
        if (saved < 0) rc = EXIT_RUNTIME;
    }
    app_free(&app);
    if (trace) fclose(trace);
    TTF_Quit();
    SDL_Quit();
    return rc;
}

/* window.c - the window itself: SDL events -> App, App actions -> session, snapshot -> App, App
 * draw list -> renderer, once per frame. With --screenshot it renders one frame off-screen (a
 * software renderer on a surface; no display or video driver needed) and exits. The only file
 * that runs the program's SDL main loop; options and start-up policy come from src/session. */
#include "window.h"
#include "window_id.h"

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "common.h"
#include "gui_export.h"
#include "gui_render.h"
#include "places.h"
#include "preprocess.h"
#include "session.h"
#include "startup.h"
#include "worker.h"


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
    case SDLK_TAB: return KEY_TAB;
    default:
        if (k >= SDLK_0 && k <= SDLK_9) return KEY_0 + (int)(k - SDLK_0);
        if (k >= SDLK_KP_1 && k <= SDLK_KP_9) return KEY_1 + (int)(k - SDLK_KP_1);
        if (k == SDLK_KP_0) return KEY_0;
        return KEY_NONE;
    }
}

/* Feeds one SDL event to the app, in app pixels (window pixels / scale). Returns 1 when the program
 * must end now: SDL_QUIT comes from a signal or the session ending (no one is there to answer a
 * question; the close autosaves), while the window's close button asks the app, which may want an
 * answer first. A size change is left to the caller (the screen follows it). */
static int handle_event(App *a, float scale, const SDL_Event *e) {
#define S(v) ((int)((float)(v) / scale))
    switch (e->type) {
    case SDL_QUIT: return 1;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_CLOSE) app_request_quit(a);
        break;
    case SDL_MOUSEBUTTONDOWN: app_mouse_down(a, S(e->button.x), S(e->button.y), e->button.button); break;
    case SDL_MOUSEBUTTONUP: app_mouse_up(a, S(e->button.x), S(e->button.y), e->button.button); break;
    case SDL_MOUSEMOTION: app_mouse_move(a, S(e->motion.x), S(e->motion.y)); break;
    case SDL_MOUSEWHEEL: {
        int mx, my;
        SDL_GetMouseState(&mx, &my);
        app_wheel(a, S(mx), S(my), e->wheel.y);
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
#undef S
}

static int screenshot_run(Session *ss, const WindowOptions *o, const char *assets) {
    App *a = ss->app;
    char err[ERR_LEN];
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    if (!ren) {
        fprintf(stderr, "digitrec: cannot create an off-screen renderer: %s\n", SDL_GetError());
        if (surf) SDL_FreeSurface(surf);
        return 1;
    }
    GuiRender g;
    float scale = o->scale > 0 ? (float)o->scale : 1;
    if (gui_render_init(&g, ren, assets, scale, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        SDL_DestroyRenderer(ren);
        SDL_FreeSurface(surf);
        return 1;
    }
    app_set_text_metrics(a, gui_text_width, gui_font_height, &g);
    app_resize(a, (int)(o->w / scale), (int)(o->h / scale));
    AutoTrain at = {o->train_for, 0, time_now(), 0, 1, o->compare};
    double t0 = time_now();
    /* wait for the data to load (the status line should say what is there), then train */
    for (;;) {
        double now = time_now() - t0;
        a->now = now;
        session_sync(ss);
        int busy = autotrain_tick(&at, a, time_now());
        session_apply(ss);
        /* the errors view needs the worker's first pass over the test set */
        int want_view = o->tab == TAB_ERRORS && a->snap.have_data && !a->snap.view;
        if (!busy && !want_view && !a->snap.data_loading && a->snap.version > 0) break;
        if (now > 120 + o->train_for) break;
        SDL_Delay(20);
    }
    SDL_Delay(60); /* one more publish */
    a->now = time_now() - t0;
    session_sync(ss);
    if (o->cell_t >= 0) app_select_cell(a, o->cell_t, o->cell_p);
    app_update_prediction(a);
    app_frame(a, time_now() - t0);
    gui_render_frame(&g, a);
    SDL_RenderPresent(ren);
    int rc = 0;
    if (IMG_SavePNG(surf, o->screenshot) != 0) {
        fprintf(stderr, "digitrec: cannot write %s: %s\n", o->screenshot, IMG_GetError());
        rc = 1;
    } else {
        printf("digitrec: wrote %s (%dx%d)\n", o->screenshot, o->w, o->h);
    }
    if (o->export_now) {
        char prefix[APP_PATH_LEN];
        if (session_export(ss, prefix, sizeof prefix) == 0)
            printf("digitrec: %s\n", a->msg);
        else {
            fprintf(stderr, "digitrec: %s\n", a->msg);
            rc = 1;
        }
    }
    app_set_text_metrics(a, NULL, NULL, NULL);
    gui_render_free(&g);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    return rc;
}

/* The UI scale: --scale (or the settings) when given, else the display's DPI over 96, in
 * quarter steps, 1..3. */
static float ui_scale(SDL_Window *win, double wanted) {
    if (wanted > 0) return (float)wanted;
    float ddpi, hdpi, vdpi;
    int d = SDL_GetWindowDisplayIndex(win);
    if (d < 0 || SDL_GetDisplayDPI(d, &ddpi, &hdpi, &vdpi) != 0 || !(hdpi > 0)) return 1;
    float s = roundf(hdpi / 96.0f * 4) / 4;
    return s < 1 ? 1 : s > 3 ? 3 : s;
}

/* Where frames go: a software renderer on the window's own surface, so a frame shows only the
 * rectangles that changed (SDL_UpdateWindowSurfaceRects): without a GPU (a VM, a remote desktop,
 * Xvfb) presenting the whole window is most of a frame. --renderer gl takes SDL's accelerated
 * renderer instead, which always presents everything. */
typedef struct {
    SDL_Window *win;
    SDL_Renderer *ren;
    int gl;
} Screen;

/* (Re)makes the renderer for the window's current surface. Returns 0 or -1 (SDL's error). */
static int screen_target(Screen *sc) {
    if (sc->ren) SDL_DestroyRenderer(sc->ren);
    sc->ren = NULL;
    if (sc->gl) {
        sc->ren = SDL_CreateRenderer(sc->win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
        if (!sc->ren) sc->gl = 0; /* no GL: the window surface will do */
    }
    if (!sc->ren) {
        /* the system's own framebuffer (X11: shared memory), which shows just the rectangles given;
           SDL would otherwise put the surface in a GL texture and present all of it */
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
        SDL_Surface *ws = SDL_GetWindowSurface(sc->win);
        sc->ren = ws ? SDL_CreateSoftwareRenderer(ws) : NULL;
    }
    return sc->ren ? 0 : -1;
}

/* Draws what changed and shows it. */
static void screen_show(Screen *sc, GuiRender *g, App *a) {
    if (sc->gl) {
        gui_render_frame(g, a);
        SDL_RenderPresent(sc->ren);
        return;
    }
    SDL_Rect dirty[GUI_MAX_REGIONS];
    int n = gui_render_changed(g, a, dirty);
    if (n > 0) SDL_UpdateWindowSurfaceRects(sc->win, dirty, n);
}

static double g_started; /* when window_main began: the first frame's latency is traced from it */

static int window_run(Session *ss, const WindowOptions *o, const char *assets) {
    App *a = ss->app;
    char err[ERR_LEN];
    SDL_SetHint(SDL_HINT_RENDER_VSYNC, "1");
    SDL_SetHint(SDL_HINT_QUIT_ON_LAST_WINDOW_CLOSE, "0"); /* the close button asks first (handle_event) */
    /* Without a GPU, SDL's GL renderer is Mesa's llvmpipe, which rasterises on one thread per core:
     * those threads then compete with the training worker for its core. Rasterising on the UI
     * thread keeps the one-core-each split; GPUs ignore it. */
    setenv("LP_NUM_THREADS", "0", 0);
    /* An X display and no Wayland one: X11 alone, so a display that does not answer gets one line
     * from us, not a second from the Wayland library SDL would try next. */
#if defined(SDL_VIDEO_DRIVER_X11) && !defined(__APPLE__) /* on macOS, DISPLAY may be XQuartz's */
    if (!getenv("SDL_VIDEODRIVER") && !getenv("WAYLAND_DISPLAY") && getenv("DISPLAY"))
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
#endif
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        const char *d = getenv("DISPLAY");
        fprintf(stderr, "digitrec: cannot open a window (DISPLAY=%s: %s); try `digitrec --screenshot FILE` or the CLI subcommands\n",
                d && *d ? d : "unset", SDL_GetError());
        return 1;
    }
    /* With no display to reach, SDL falls back to its off-screen driver, and the window would run
     * where nobody can see it. Only a user who names that driver gets it. */
    const char *driver = SDL_GetCurrentVideoDriver(), *asked = getenv("SDL_VIDEODRIVER");
    if (driver && (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy")) && !(asked && strstr(asked, driver))) {
        const char *d = getenv("DISPLAY");
        fprintf(stderr, "digitrec: no display to open the window on (DISPLAY=%s); try `digitrec --screenshot FILE` or the CLI subcommands\n",
                d && *d ? d : "unset");
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return 1;
    }
    Screen sc = {NULL, NULL, o->gl};
    sc.win = SDL_CreateWindow("digitrec - draw a digit, watch a network learn", SDL_WINDOWPOS_CENTERED,
                              SDL_WINDOWPOS_CENTERED, o->w, o->h, SDL_WINDOW_RESIZABLE | SDL_WINDOW_SHOWN);
    if (!sc.win) {
        fprintf(stderr, "digitrec: cannot create the window: %s\n", SDL_GetError());
        return 1;
    }
    float scale = ui_scale(sc.win, o->scale);
    SDL_SetWindowMinimumSize(sc.win, (int)(800 * scale), (int)(560 * scale));
    if (!o->size_set && scale != 1) { /* the default size in app pixels, within the display */
        SDL_Rect b;
        int w = (int)(o->w * scale), h = (int)(o->h * scale);
        if (SDL_GetDisplayUsableBounds(SDL_GetWindowDisplayIndex(sc.win), &b) == 0) {
            if (w > b.w) w = b.w;
            if (h > b.h) h = b.h;
        }
        SDL_SetWindowSize(sc.win, w, h);
        SDL_SetWindowPosition(sc.win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
    }
    if (screen_target(&sc) != 0) {
        fprintf(stderr, "digitrec: cannot draw into the window: %s\n", SDL_GetError());
        SDL_DestroyWindow(sc.win);
        return 1;
    }
    GuiRender g;
    if (gui_render_init(&g, sc.ren, assets, scale, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        SDL_DestroyRenderer(sc.ren);
        SDL_DestroyWindow(sc.win);
        return 1;
    }
    app_set_text_metrics(a, gui_text_width, gui_font_height, &g);
    int ww, wh;
    SDL_GetWindowSize(sc.win, &ww, &wh);
    session_window_size(ss, ww, wh);
    app_resize(a, (int)(ww / scale), (int)(wh / scale));
    app_trace(a, "\"event\":\"screen\",\"scale\":%.2f,\"renderer\":\"%s\",\"xid\":%lu", (double)scale,
              sc.gl ? "gl" : "surface", window_native_id(sc.win));
    SDL_StartTextInput();
    int bench = o->bench > 0;
    AutoTrain at = {bench ? o->bench : o->train_for, 0, time_now(), 0, bench, bench ? NULL : o->compare};
    double t0 = time_now(), last_draw = -1;
    int quit = 0, cell_pending = o->cell_t >= 0, rc = 0, resized = 0;
    double t_ready = time_now(); /* window, renderer and fonts made */
    /* --bench: frame times (ms) while training, and the counters when training began */
    double *frame_ms = NULL, ttrain0 = 0, part_ms[4] = {0};
    long nframes = 0, cap_frames = 0, steps0 = 0, samples0 = 0;
    /* for the trace: the slowest frame of each second, from its events in to its present done */
    double worst_ms = 0, worst_since = time_now();
    long worst_n = 0;
    while (!quit) {
        double frame_start = time_now();
        int dirty = 0;
        SDL_Event e;
        if (bench && at.phase == 1) {
            /* one synthetic pen move a frame; real events are only polled */
            bench_stroke(a, nframes);
            dirty = 1;
            while (SDL_PollEvent(&e)) quit |= handle_event(a, scale, &e);
        } else if (SDL_WaitEventTimeout(&e, 8)) { /* wait briefly for input when idle: no CPU spent */
            do {
                if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) resized = 1;
                quit |= handle_event(a, scale, &e);
                dirty = 1;
            } while (SDL_PollEvent(&e));
        }
        if (resized) { /* a new window surface: a new renderer for it, and the layout follows */
            resized = 0;
            if (screen_target(&sc) != 0) {
                fprintf(stderr, "digitrec: cannot draw into the resized window: %s\n", SDL_GetError());
                rc = 1;
                break;
            }
            gui_render_retarget(&g, sc.ren);
            SDL_GetWindowSize(sc.win, &ww, &wh);
            session_window_size(ss, ww, wh);
            app_resize(a, (int)(ww / scale), (int)(wh / scale));
        }
        double work_start = time_now();
        a->now = work_start - t0;
        int phase = at.phase;
        autotrain_tick(&at, a, time_now());
        if (bench && phase == 0 && at.phase == 1) {
            steps0 = a->snap.step, samples0 = a->snap.samples, ttrain0 = a->snap.t_train;
        } else if (bench && at.phase == 2) {
            session_sync(ss);
            if (phase == 1) {
                bench_report(a, time_now() - at.started, steps0, samples0, ttrain0, frame_ms, nframes, part_ms);
            } else {
                fprintf(stderr, "digitrec: --bench: no training data (%s)\n", a->snap.data_desc);
                rc = 1;
            }
            break;
        }
        if (session_apply(ss)) quit = 1;
        session_tick(ss);
        if (session_sync(ss)) dirty = 1;
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
            double t_present = t_draw;
            screen_show(&sc, &g, a); /* draws what changed and shows it: both counted as present */
            if (last_draw < 0)
                app_trace(a, "\"event\":\"first_frame\",\"ms\":%.1f,\"window_ms\":%.1f", (time_now() - g_started) * 1000,
                          (t_ready - g_started) * 1000);
            last_draw = now;
            double ms = (time_now() - work_start) * 1000;
            worst_ms = ms > worst_ms ? ms : worst_ms;
            worst_n++;
            if (bench && at.phase == 1) {
                /* where the frame went: input, sync and prediction / layout / draw calls / present */
                part_ms[0] += (t_app - frame_start) * 1000, part_ms[1] += (t_draw - t_app) * 1000;
                part_ms[2] += (t_present - t_draw) * 1000, part_ms[3] += (time_now() - t_present) * 1000;
                if (nframes == cap_frames) {
                    long cap = cap_frames ? 2 * cap_frames : 4096;
                    double *m = realloc(frame_ms, (size_t)cap * sizeof *m);
                    if (!m) {
                        fprintf(stderr, "digitrec: --bench: out of memory\n");
                        rc = 1;
                        break;
                    }
                    frame_ms = m, cap_frames = cap;
                }
                frame_ms[nframes++] = (time_now() - frame_start) * 1000;
            }
        }
        if (time_now() - worst_since >= 1.0 && worst_n > 0) {
            app_trace(a, "\"event\":\"frames\",\"n\":%ld,\"max_ms\":%.1f", worst_n, worst_ms);
            worst_ms = 0, worst_n = 0, worst_since = time_now();
        }
        /* about 60 frames a second at most, whatever vsync does (Xvfb has none) */
        double spent = time_now() - frame_start;
        if (spent < 1.0 / 60) SDL_Delay((Uint32)((1.0 / 60 - spent) * 1000));
    }
    free(frame_ms);
    SDL_StopTextInput();
    app_set_text_metrics(a, NULL, NULL, NULL);
    gui_render_free(&g);
    SDL_DestroyRenderer(sc.ren);
    SDL_DestroyWindow(sc.win);
    return rc;
}

int window_main(const WindowOptions *o) {
    g_started = time_now();
    char err[ERR_LEN];
    static char found[PLACES_PATH_LEN];
    PlacesEnv env;
    places_env_from_process(&env);
    const char *assets = o->assets ? o->assets : places_assets_dir(found, sizeof found, &env, NULL, err) == 0 ? found : NULL;
    FILE *trace = NULL;
    if (o->trace && !(trace = fopen(o->trace, "w"))) {
        fprintf(stderr, "digitrec: cannot write the trace %s\n", o->trace);
        return 1;
    }
    static App app; /* large (file lists); static keeps it off the stack */
    static Session sess;
    if (SDL_Init(0) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "digitrec: SDL init failed: %s\n", SDL_GetError());
        if (trace) fclose(trace);
        return 1;
    }
    int rc = 0;
    if (session_start(&sess, &app, o, trace, err) != 0) {
        fprintf(stderr, "digitrec: %s\n", err);
        rc = 1;
    } else {
        sess.exporter = gui_export_pngs;
        sess.export_ud = (void *)assets;
        if (o->canvas_image && session_canvas_from_file(&sess, o->canvas_image, err) != 0) {
            fprintf(stderr, "digitrec: %s\n", err);
            rc = 1;
        } else {
            rc = o->screenshot ? screenshot_run(&sess, o, assets) : window_run(&sess, o, assets);
        }
        char msg[APP_PATH_LEN + 128];
        /* a screenshot, a benchmark or a failed start leaves no autosave behind */
        int saved = 0;
        if (o->screenshot || o->bench > 0) {
            worker_stop(sess.worker, NULL);
            sess.worker = NULL;
        } else {
            saved = session_close(&sess, msg, sizeof msg);
        }
        if (saved != 0) printf("digitrec: %s\n", msg);
        if (saved != 0) app_trace(&app, "\"event\":\"autosave\",\"ok\":%s", saved > 0 ? "true" : "false");
        if (saved < 0) rc = 1;
        session_free(&sess);
        app_free(&app);
    }
    if (trace) fclose(trace);
    TTF_Quit();
    SDL_Quit();
    return rc;
}

/* startup.h - how the window starts: its options (parsed by the command line), the folders they
 * default to, the network it opens with, the personal examples, and the training worker. Also
 * the scripted runs used for screenshots and benchmarks (--train-for, --compare, --bench), which
 * drive the App through the same events and actions a person would. No SDL. */
#ifndef DIGITREC_STARTUP_H
#define DIGITREC_STARTUP_H

#include <stdio.h>

#include "app.h"
#include "session.h"
#include "settings.h"

typedef struct {
    const char *model, *data, *models_dir, *autosave, *screenshot, *trace, *canvas_image, *arch, *assets;
    const char *personal_dir, *export_dir, *compare;
    int export_now;     /* --export: with --screenshot, export after the frame */
    int draw_demo;      /* -1 none */
    int tab;            /* PanelTab to start on */
    int cell_t, cell_p; /* confusion cell to open, -1 none */
    int mix;            /* mix the personal examples into training from the start */
    int saliency;       /* start with the saliency overlay on */
    double train_for;   /* train this many seconds after start, then pause */
    double bench;       /* --bench S: train S seconds with the window drawing, print timings, exit */
    int w, h;
    long seed;
    int seed_set;       /* --seed was given (else a loaded model's own seed is kept) */
    double scale;       /* UI scale, 0 = from the display's DPI */
    int threads;        /* kernel threads for the worker, 0 = the cores but one (at least 1) */
    int size_set;       /* --size was given (in window pixels); else 1280x800 app pixels at the scale */
    int gl;             /* draw with SDL's accelerated renderer (whole frames) instead of the window surface */
    int tab_set;        /* --tab or --cell was given */
    SettingsFile *settings; /* the settings file read at start, or NULL: none applied, none written
                               (--no-settings, scripted runs, tests) */
} WindowOptions;

/* The defaults: 1280x800, seed 1, no demo, no cell, no settings. */
void window_options_default(WindowOptions *o);

/* Takes the settings file f into o: what the command line gave wins (--size, --scale, --model,
 * --arch, --data, --seed, --tab, --cell, --saliency, --mix), so f->use keeps only the rest; the
 * window's size and scale from f go into o (the size in screen pixels, as --size); o->settings
 * becomes f (which must outlive the session). */
void window_options_settings(WindowOptions *o, SettingsFile *f);



/* Starts a window session: sets up app (w x h) and s around it, picks the folders (models,
 * autosave, recent files, exports, personal examples: from o, else the user's data and config
 * folders), opens the starting network (--arch, --model, the settings' last model, the shipped
 * MLP, or a fresh MLP), applies the settings (o->settings: controls, tab, overlays, the data
 * folder), loads the personal examples and starts the worker on the data. A settings file's
 * note, a last model or data folder that is gone: one line each on stderr, and in the status bar.
 * trace may be NULL. Returns 0, or -1 with err (nothing left running; app and s freed). */
int session_start(Session *s, App *app, const WindowOptions *o, FILE *trace, char *err);

/* ---- scripted runs ---- */

/* Start-of-run automation shared by the window and --screenshot: start training for train_for
 * seconds once data is there, then pause (or keep going), optionally resetting to the compare
 * architecture and training as long again. */
typedef struct {
    double train_for, started, t0;
    int phase;           /* 0 waiting for data, 1 training, 2 done */
    int keep_going;      /* do not pause at the end (a screenshot is taken mid-training) */
    const char *compare; /* then reset to this architecture and train as long again (--compare) */
} AutoTrain;

/* Queues what the script needs at time now (seconds, monotonic). Returns 1 while it still has
 * something to do. */
int autotrain_tick(AutoTrain *t, App *a, double now);

/* --bench: a pen moving over the canvas as a user would, one mouse event a frame: strokes of 30
 * frames along a loop, the canvas cleared every fourth stroke so it never fills up. */
void bench_stroke(App *a, long frame);
/* Prints the one 'bench-window:' line from the frame times (ms, n of them; sorted here), the
 * counters when training began and the summed times (ms) of the frames' four parts: input + sync +
 * prediction, app_frame, draw calls, present. */
void bench_report(const App *a, double wall, long steps0, long samples0, double ttrain0, double *ms, long n,
                  const double part[4]);

#endif

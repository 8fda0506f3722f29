/* cmd_window.c - `digitrec` with no subcommand: parses the window's options and opens it
 * (src/platform). The options' meaning and defaults live in src/session/startup.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "places.h"
#include "settings.h"
#include "startup.h"
#include "window.h"

static void gui_usage(FILE *f) {
    fprintf(f,
            "usage: digitrec [options]        open the window\n"
            "  --model F           start with this model (default: the shipped models/cnn.safetensors)\n"
            "  --arch A            start with a fresh network instead: softmax, mlp, cnn, sizes like\n"
            "                      784-256-10 or layers like conv8k5-relu-pool-fc10\n"
            "  --seed N            seed for --arch and Reset (default 1)\n"
            "  --data DIR          IDX folder, or mnist / fashion-mnist (default $DIGITREC_DATA, else\n"
            "                      the built-in data/mnist); Ctrl+D or a dropped folder switches later\n"
            "  --models-dir DIR    where Ctrl+S saves and Ctrl+O looks (default ~/.local/share/digitrec/models)\n"
            "  --autosave DIR      where unsaved training is kept (timestamped files, the last 10 and the best;\n"
            "                      default $XDG_DATA_HOME/digitrec/autosave or ~/.local/share/digitrec/autosave)\n"
            "  --size WxH          window size in screen pixels (default 1280x800 times the scale)\n"
            "  --scale S           UI scale, 1..3 (default: from the display's DPI)\n"
            "  --threads N         kernel threads for training (default: the cores but one, at least 1;\n"
            "                      the window draws on the one left)\n"
            "  --renderer R        surface (the default: redraws only what changed) or gl (SDL's\n"
            "                      accelerated renderer, whole frames)\n"
            "  --trace FILE        write JSON lines: layout, predictions, training publishes, saves\n"
            "  --canvas-image F    put a picture (PNG/PGM/..., dark ink on light or light on dark) on the canvas\n"
            "  --draw-demo D       draw digit D (0-9) on the canvas as if with the mouse\n"
            "  --train-for S       train for S seconds after start, then pause\n"
            "  --screenshot FILE   render one frame (after --train-for, still training) to a PNG and exit\n"
            "  --bench S           train the model for S seconds with the window drawing every frame\n"
            "                      (a stroke is drawn, so predictions run), then print one\n"
            "                      'bench-window:' line of samples/s and frame times and exit\n"
            "  --compare A         after --train-for, reset to architecture A (as --arch takes it)\n"
            "                      and train as long again: both runs' curves in one picture\n"
            "  --personal-dir DIR  your labelled drawings (Ctrl+0..9) as IDX files (default\n"
            "                      $XDG_DATA_HOME/digitrec/personal or ~/.local/share/digitrec/personal)\n"
            "  --mix               mix your drawings into training from the start (P toggles)\n"
            "  --saliency          start with the saliency overlay on the canvas (G toggles)\n"
            "  --export-dir DIR    where Ctrl+E writes the history CSV and PNG pictures (default\n"
            "                      $XDG_DATA_HOME/digitrec/exports or ~/.local/share/digitrec/exports)\n"
            "  --export            with --screenshot: also export (as Ctrl+E) after the frame\n"
            "  --tab T             start on the right panel's weights, errors, inside or map view\n"
            "  --cell T,P          open the errors view on the confusion cell true T, predicted P\n"
            "  --assets DIR        where fonts/DejaVuSans.ttf is (default: the system's DejaVu fonts, else\n"
            "                      the shipped assets)\n"
            "  --no-settings       neither read nor write $XDG_CONFIG_HOME/digitrec/settings.json (also\n"
            "                      DIGITREC_NO_SETTINGS=1); --screenshot and --bench never use it\n");
}

/* Fills o from argv (*no_settings: --no-settings was given). Returns 0, 1 when help was printed,
 * or -1 after a usage error on stderr. */
static int parse_options(int argc, char **argv, WindowOptions *o, int *no_settings) {
    window_options_default(o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help-window")) {
            gui_usage(stdout);
            return 1;
        }
        static const char *known[] = {"--model", "--data", "--models-dir", "--autosave", "--screenshot", "--trace",
                                      "--canvas-image", "--arch", "--assets", "--draw-demo", "--seed", "--train-for",
                                      "--size", "--scale", "--threads", "--renderer", "--tab", "--cell", "--personal-dir", "--mix", "--saliency", "--export-dir",
                                      "--export", "--compare", "--bench", "--no-settings", NULL};
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
        if (!strcmp(argv[i], "--no-settings")) {
            *no_settings = 1;
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
            o->seed_set = 1;
        } else if (!strcmp(name, "--train-for")) {
            if (cli_double(name, v, 0, 86400, &d) != 0) return -1;
            o->train_for = d;
        } else if (!strcmp(name, "--bench")) {
            if (cli_double(name, v, 0.5, 86400, &d) != 0) return -1;
            o->bench = d;
        } else if (!strcmp(name, "--tab")) {
            static const char *tabs[] = {"weights", "errors", "inside", "map"};
            o->tab = -1;
            for (int k = 0; k < 4; k++)
                if (!strcmp(v, tabs[k])) o->tab = k;
            if (!strcmp(v, "embed")) o->tab = 3;
            if (o->tab < 0) {
                fprintf(stderr, "digitrec: --tab expects weights, errors, inside or map, got '%s'\n", v);
                return -1;
            }
            o->tab_set = 1;
        } else if (!strcmp(name, "--cell")) {
            int t, p;
            char extra;
            if (sscanf(v, "%d,%d%c", &t, &p, &extra) != 2 || t < 0 || t > 9 || p < 0 || p > 9) {
                fprintf(stderr, "digitrec: --cell expects T,P with digits 0-9 (true, predicted), got '%s'\n", v);
                return -1;
            }
            o->cell_t = t, o->cell_p = p;
            o->tab = TAB_ERRORS;
            o->tab_set = 1;
        } else if (!strcmp(name, "--scale")) {
            if (cli_double(name, v, 0.5, 4, &d) != 0) return -1;
            o->scale = d;
        } else if (!strcmp(name, "--threads")) {
            long t;
            if (cli_int(name, v, 1, 64, &t) != 0) return -1;
            o->threads = (int)t;
        } else if (!strcmp(name, "--renderer")) {
            if (strcmp(v, "surface") != 0 && strcmp(v, "gl") != 0) {
                fprintf(stderr, "digitrec: --renderer expects surface or gl, got '%s'\n", v);
                return -1;
            }
            o->gl = !strcmp(v, "gl");
        } else if (!strcmp(name, "--size")) {
            int w, h;
            char extra;
            if (sscanf(v, "%dx%d%c", &w, &h, &extra) != 2 || w < 640 || h < 480 || w > 8192 || h > 8192) {
                fprintf(stderr, "digitrec: --size expects WxH, at least 640x480, got '%s'\n", v);
                return -1;
            }
            o->w = w, o->h = h;
            o->size_set = 1;
        } else {
            fprintf(stderr, "digitrec: unknown option %s (see digitrec --help)\n", name);
            return -1;
        }
    }
    return 0;
}


int cmd_window(int argc, char **argv) {
    WindowOptions o;
    int no_settings = 0;
    int pr = parse_options(argc, argv, &o, &no_settings);
    if (pr != 0) return pr > 0 ? 0 : EXIT_USAGE;
    const char *env_off = getenv("DIGITREC_NO_SETTINGS");
    if (env_off && *env_off && strcmp(env_off, "0") != 0) no_settings = 1;
    /* a scripted run (a screenshot, a benchmark) is the same whatever the user's settings */
    static SettingsFile settings; /* lives as long as the window */
    if (!no_settings && !o.screenshot && o.bench <= 0) {
        PlacesEnv env;
        places_env_from_process(&env);
        settings_open(&settings, &env);
        window_options_settings(&o, &settings);
    }
    return window_main(&o) == 0 ? 0 : EXIT_RUNTIME;
}

/* settings.h - what the window remembers between runs, in $XDG_CONFIG_HOME/digitrec/settings.json
 * (else ~/.config/digitrec): window size and scale, the last model, the dataset folder, the
 * training settings, the right panel's tab and the overlays. Parsing, writing, and moving the
 * values between a Settings and the App; the command line decides what wins. No SDL.
 *
 * The file is one JSON object with "version": 1. A field that is missing, of the wrong type or
 * out of range is ignored (the others are used); a file that is not JSON, not an object, or of
 * another version is ignored whole. Either way a one-line note says what was ignored, and the file
 * is left as it is until settings are next written, when it is first renamed settings.json.bad. */
#ifndef DIGITREC_SETTINGS_H
#define DIGITREC_SETTINGS_H

#include <stddef.h>

#include "app.h"
#include "places.h"

#define SETTINGS_VERSION 1
#define SETTINGS_NOTE_LEN 400

/* Which fields a Settings holds (bits of Settings.have). */
enum {
    SET_SIZE = 1 << 0,       /* win_w, win_h */
    SET_SCALE = 1 << 1,
    SET_MODEL = 1 << 2,
    SET_DATA = 1 << 3,
    SET_NETWORK = 1 << 4,
    SET_OPT = 1 << 5,
    SET_LR = 1 << 6,
    SET_SCHED = 1 << 7,
    SET_BATCH = 1 << 8,
    SET_EPOCHS = 1 << 9,
    SET_SEED = 1 << 10,
    SET_TAB = 1 << 11,
    SET_SALIENCY = 1 << 12,
    SET_LOG = 1 << 13,
    SET_MIX = 1 << 14,
    SET_AUGMENT = 1 << 15,   /* augment: 0 off, 1 shape, 2 shape and ink */
    SET_ALL = (1 << 16) - 1
};

typedef struct {
    unsigned have;           /* SET_* bits: the fields below that hold a value */
    int win_w, win_h;        /* the window in screen pixels, 640..8192 x 480..8192 */
    double scale;            /* UI scale 0.5..4 (absent: from the display's DPI) */
    char model[APP_PATH_LEN];/* the model last opened or saved */
    char data[APP_PATH_LEN]; /* the dataset folder */
    char network[ARCH_MAX_TEXT]; /* the architecture, "784-128-64-10" or a layer stack */
    int opt;                 /* OptKind */
    double lr;               /* (0, 10] */
    int schedule;            /* Schedule */
    int batch;               /* 1..65536 */
    int epochs;              /* 1..100000 */
    long seed;               /* 0..999999 */
    int tab;                 /* PanelTab */
    int saliency, log_scale, mix; /* 0 / 1 */
    int augment;             /* TrainConfig.augment: 0 off, 1 shape ("shape"), 2 shape and ink ("ink") */
} Settings;

/* How a file read went. */
typedef enum {
    SETTINGS_NONE = 0,       /* no file: nothing said */
    SETTINGS_OK,             /* every field used */
    SETTINGS_PARTIAL,        /* some fields ignored (note says which) */
    SETTINGS_BAD             /* the whole file ignored (note says why) */
} SettingsState;

/* Parses len bytes of JSON into s (cleared first). Returns SETTINGS_OK, SETTINGS_PARTIAL or
 * SETTINGS_BAD; for the last two note (SETTINGS_NOTE_LEN bytes, one line) says what was ignored,
 * else it is "". Never fails otherwise. */
SettingsState settings_parse(Settings *s, const char *json, size_t len, char *note);
/* s as JSON text (caller frees), with only the fields s has: indented for people (pretty), or on
 * one line. NULL when out of memory. */
char *settings_to_json(const Settings *s, int pretty);

/* The file's path: <config folder>/settings.json. Returns 0, or -1 with err. */
int settings_path(char *out, size_t n, const PlacesEnv *env, char *err);

/* A settings file as read at start. */
typedef struct {
    char path[APP_PATH_LEN]; /* "" when there is no config folder (no HOME): nothing read or written */
    SettingsState state;
    char note[SETTINGS_NOTE_LEN]; /* what was ignored, one line ("" for none) */
    Settings values;         /* what the file holds */
    Settings use;            /* what of it applies: values less what the command line decides
                                (window_options_settings) */
} SettingsFile;

/* Finds the file (settings_path) and reads it into f (use = values). Never fails: no config
 * folder or no file is SETTINGS_NONE. */
void settings_open(SettingsFile *f, const PlacesEnv *env);
/* Reads path into s. A missing file is SETTINGS_NONE (s empty, note ""); an unreadable one
 * SETTINGS_BAD. note as for settings_parse, prefixed with the path. */
SettingsState settings_load(const char *path, Settings *s, char *note);
/* Writes s to path atomically (its folder made if needed). When keep_old_as_bad is set, an
 * existing file is first renamed path + ".bad" (replacing an older one). Returns 0, or -1 with
 * err; on failure the file at path is as it was. */
int settings_save(const char *path, const Settings *s, int keep_old_as_bad, char *err);

/* 1 when a and b hold the same fields with the same values. */
int settings_equal(const Settings *a, const Settings *b);

/* The App's part of the settings (network, training settings, tab, overlays) into s; the other
 * fields are left as they are. */
void settings_from_app(Settings *s, const App *a);
/* Sets the App's controls, tab and overlays from the fields s has (the others stay). Values are
 * range-checked again (a Settings may not come from settings_parse); a bad one is skipped. */
void settings_apply_app(const Settings *s, App *a);

#endif

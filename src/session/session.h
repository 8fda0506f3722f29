/* session.h - the window's contact with everything outside it: carries out the App's queued
 * actions on the training worker and on the disk (models, personal examples, exports, the
 * recent-files list, folders and dropped files), syncs the worker's snapshots into the App, and
 * saves unsaved training on close. No SDL; the platform calls these once per frame. Every failure
 * becomes a one-line message in the window; nothing here exits. */
#ifndef DIGITREC_SESSION_H
#define DIGITREC_SESSION_H

#include <stddef.h>
#include <stdio.h>

#include "app.h"
#include "model_io.h"
#include "settings.h"
#include "worker.h"

struct Session;
/* Writes pictures for an export: files named prefix + "-canvas.png" etc. Returns how many files
 * it wrote, or -1 with err (ERR_LEN bytes). Installed by the platform (it needs SDL_image). */
typedef int (*ExportFn)(void *ud, App *a, const char *prefix, char *err);

typedef struct Session {
    App *app;                        /* borrowed */
    Worker *worker;                  /* owned from session_start until session_close; may be NULL */
    char models_dir[APP_PATH_LEN];   /* where Ctrl+S saves and Ctrl+O looks */
    char autosave_dir[APP_PATH_LEN]; /* the autosave folder: timestamped files, the last few kept ("" = none) */
    char export_dir[APP_PATH_LEN];   /* where Ctrl+E writes ("" = nowhere) */
    char recent_file[APP_PATH_LEN];  /* the recent-files list ("" = none) */
    char personal_root[APP_PATH_LEN];/* the personal examples' folder ("" = none): digits there, another
                                        dataset's in a subfolder named after it */
    char personal_dir[APP_PATH_LEN]; /* the folder of the dataset in use */
    Dataset personal;                /* the session's copy of that dataset's personal examples */
    unsigned long personal_seq;      /* the snapshot's data_seq they belong to */
    ExportFn exporter;               /* NULL: the CSV only */
    void *export_ud;
    FILE *trace;                     /* JSON lines, borrowed; NULL = off */
    Net baseline;                    /* the model as loaded or last saved, for Revert (params NULL: none) */
    ModelMeta baseline_meta;
    OodModel baseline_ood;           /* its not-a-digit detector (means NULL: none) */
    char baseline_name[APP_PATH_LEN];
    int discard;                     /* the user chose to quit without saving */
    double autosave_every;           /* seconds of unsaved training between autosaves (0: 300) */
    double last_autosave;            /* time_now() of the last autosave, or of the start */
    long autosave_step;              /* the step and generation it saved */
    unsigned long autosave_gen;
    char autosave_path[APP_PATH_LEN]; /* the file of this session's last autosave ("" = none) */
    int settings_on;                 /* settings were read at start and are written at close */
    SettingsFile settings;           /* the file as read at start */
    Settings settings_start;         /* what was in effect at start: the file is rewritten only when
                                        this changed (or there was none) */
    char default_model[APP_PATH_LEN];/* the shipped model (not remembered as the last model) */
    int screen_w, screen_h;          /* the window in screen pixels, as the platform last said (0: unknown) */
    double ui_scale;                 /* the scale asked for (--scale or the settings); 0: the display's */
} Session;

#define AUTOSAVE_KEEP 10             /* autosaves kept, beside the best one */

/* Sets s up around app (folders empty; the caller fills them). Installs the trace on the app. */
void session_init(Session *s, App *app, FILE *trace);
/* Frees what the session owns (not the app; the worker must be closed first). */
void session_free(Session *s);

/* The platform tells the window's size in screen pixels (at start and after each resize), for
 * the settings. */
void session_window_size(Session *s, int w, int h);
/* The settings as they are now (the App's, the window's, the last model and the data folder). */
void session_settings_now(const Session *s, Settings *out);
/* Writes the settings file when settings are on and something changed since the start (or there
 * was no file); a file that had something ignored is kept as settings.json.bad first. Says on
 * stderr and in the trace what it did. Returns 0 (also when nothing needed writing), or -1. */
int session_save_settings(Session *s);

/* Runs and removes every queued action. Returns 1 if the user asked to quit. */
int session_apply(Session *s);
/* Copies a newer snapshot into the app and lets it react. Returns 1 if there was one. */
int session_sync(Session *s);

/* The window's one way to read a model file: model_load, then the window's own requirement (784
 * inputs, 2..10 outputs). On failure net and meta are untouched and err says what is wrong,
 * prefixed with path. */
int session_read_model(const char *path, Net *net, ModelMeta *meta, OodModel *ood, char *err);
/* Loads path and hands the network to the worker. On failure the current network stays and
 * the app shows the one-line error. Returns 0 or -1. */
int session_load(Session *s, const char *path);
/* Saves the app's current network to path (NULL: a generated name in models_dir): the training is
 * then saved and Revert returns to it. Writes the path used into out (n bytes) if out is
 * non-NULL. Returns 0 or -1 (message shown). */
int session_save(Session *s, const char *path, char *out, size_t n);
/* session_save's writer: why (non-NULL for an autosave) goes into the metadata; mark = 0 leaves the
 * training unsaved and the Revert model as it was. */
int session_write_model(Session *s, const char *path, const char *why, int mark, char *out, size_t n);

/* Writes the settings (session_save_settings), stops the worker (joining it), takes its final
 * snapshot and, if it holds unsaved training the user did not choose to discard, autosaves it. Returns 1 if it autosaved, 0 if there was nothing
 * to save, -1 on failure; msg (n bytes) says what happened. */
int session_close(Session *s, char *msg, size_t n);

/* Saves the current network into s->autosave_dir as autosave-YYYYmmdd-HHMMSS.safetensors (never
 * over another file), its metadata saying why, then deletes the oldest autosaves beyond
 * AUTOSAVE_KEEP, always keeping the one with the best test accuracy. Writes the path into out (n
 * bytes) if non-NULL. Returns 0, or -1 with the message shown. */
int session_autosave(Session *s, const char *why, char *out, size_t n);
/* Once a frame: autosaves unsaved training every s->autosave_every seconds while it trains. */
void session_tick(Session *s);
/* Offers the newest autosave for restoring when it is newer than the last one offered. */
void session_offer_restore(Session *s);
/* The offer of path was answered (restored or declined): it is not offered again. */
void session_restore_answered(Session *s, const char *path);
/* The user saved the current network: if this session's last autosave holds the same run at or
 * before this step, it is not offered for restoring at the next start (nothing in it is lost). */
void session_autosave_superseded(Session *s);
/* Makes net and ood (copied; ood NULL: no detector) and meta the model Revert returns to, named
 * name. */
void session_set_baseline(Session *s, const Net *net, const ModelMeta *meta, const OodModel *ood, const char *name);
/* Sets the app's controls from a model's metadata (optimiser, rate, batch, schedule, seed); a
 * model trained with a decaying schedule goes on at a tenth of its rate, constant. */
void session_adopt_meta(Session *s, const ModelMeta *meta);

/* Exports into s->export_dir, named digitrec-STAMP-*: the history of every run as CSV
 * (app_history_csv), then whatever s->exporter writes (PNG pictures). Writes the name prefix
 * used into prefix_out (n bytes) if non-NULL. Returns 0, or -1 with the message shown. */
int session_export(Session *s, char *prefix_out, size_t n);

/* Hands a copy of the personal examples and the app's mix switch to the worker. */
void session_send_personal(Session *s);
/* The folder of the personal examples for a dataset with these class names and name: the root
 * for digits ("0".."9"), else root/<name> (name cut to letters, digits, '-', '_'). */
void session_personal_dir_for(const char *root, const char classes[][DATASET_CLASS_LEN], const char *name, char *out,
                              size_t n);
/* Adds path at the top of the recent-files list (best effort). */
void session_remember(Session *s, const char *path);
/* Fills the app's Open dialog (Ctrl+O): the folder it last showed this run, else the models
 * folder: "..", its subfolders and its *.safetensors files, each model with its architecture,
 * test accuracy, dataset and date read from its header alone (a file that is not a readable model
 * is listed, marked, with why), then the recent files that still exist; sorted as the dialog asks.
 * A models folder that does not exist yet lists as empty. Clears the path box. */
void session_list_models(Session *s);
/* text typed into the Open dialog, or a row's path: ~ is the home folder, a relative path is
 * relative to the folder shown. A folder is listed (returns 0); a regular file's path goes into
 * path (n bytes) and returns 1, for the caller to open; anything else is one line in the dialog
 * (returns 0). */
int session_open_path(Session *s, const char *text, char *path, size_t n);
/* text as a path: "~/..." under HOME, relative ones under base (NULL: as they are), existing
 * folders resolved (realpath), into out (n bytes). Returns 0, or -1 when text is empty or too long. */
int session_resolve_path(const char *text, const char *base, char *out, size_t n);
/* Fills the Save As dialog: the models folder and the generated name (as Ctrl+S would use). */
void session_save_as_name(Session *s);
/* Save As text: a name in the models folder, or a path; ".safetensors" added when missing. Returns
 * 1 with the file to write in path (n bytes); 0 when there is nothing to write yet: a bad name (one
 * line in the dialog) or an existing file without replace (the dialog asks first). */
int session_save_as_path(Session *s, const char *text, int replace, char *path, size_t n);
/* mkdir -p of the folder part of path (best effort: a real failure shows when it is written). */
void session_make_dirs_for(const char *path);
/* Puts the picture in path (PNG, JPEG, BMP, PGM) on the canvas: the paper found and removed, the
 * digit's ink kept (preprocess_photo_ink), whatever its paper and polarity. Returns 0, or -1 with
 * err ("no digit" when nothing stands out of the paper). */
int session_canvas_from_file(Session *s, const char *path, char *err);
/* 1 when dir holds MNIST's four files (raw or .gz). */
int session_data_present(const char *dir);

#endif

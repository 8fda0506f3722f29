/* session.h - the glue between the App and the training Worker: carries out queued actions
 * (run, pause, step, reset, configure, save, load), syncs snapshots into the App, keeps the
 * recent-files list and autosaves on close. No SDL; the platform calls these once per frame. */
#ifndef DIGITREC_SESSION_H
#define DIGITREC_SESSION_H

#include "app.h"
#include "worker.h"

/* Runs and removes every queued action. Returns 1 if the user asked to quit. w may be NULL
 * (actions needing it then report an error). */
int session_apply(App *a, Worker *w);
/* Copies a newer snapshot into the app and lets it react. Returns 1 if there was one. */
int session_sync(App *a, Worker *w);

/* Loads path and hands the network to the worker. On failure the current network stays and
 * the app shows the one-line error. Returns 0 or -1. */
int session_load(App *a, Worker *w, const char *path);
/* Saves the app's current network to path (NULL: a generated name in models_dir). Writes the
 * path used into out (n bytes) if out is non-NULL. Returns 0 or -1 (message shown). */
int session_save(App *a, const char *path, char *out, size_t n);

/* Stops the worker (joining it), takes its final snapshot and, if it holds unsaved training,
 * saves it to a->autosave. Returns 1 if it autosaved, 0 if there was nothing to save, -1 on
 * failure; msg (n bytes) says what happened. */
int session_close(App *a, Worker *w, char *msg, size_t n);

/* Exports into a->export_dir, named digitrec-STAMP-*: the history of every run as CSV
 * (app_history_csv), then whatever a->exporter writes (PNG pictures). Writes the name prefix
 * used into prefix_out (n bytes) if non-NULL. Returns 0, or -1 with the message shown. */
int session_export(App *a, char *prefix_out, size_t n);

/* Hands a copy of the app's personal examples and its mix switch to the worker. */
void session_send_personal(App *a, Worker *w);

/* Adds path at the top of the recent-files list (best effort). */
void session_remember(App *a, const char *path);

#endif

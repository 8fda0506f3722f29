/* state.c - the lowest layer of the app: the status-bar message, the action queue, the trace,
 * class names, the panel tab and the small pure helpers every view shares (colour map, tick
 * steps, image buffers, estimated text metrics). Calls nothing else in src/app. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "common.h"

int app_image_alloc(AppImage *im, int w, int h, int smooth) {
    if (im->w == w && im->h == h && im->rgba) return 0;
    uint8_t *p = calloc((size_t)w * h, 4);
    if (!p) return -1;
    free(im->rgba);
    im->rgba = p;
    im->w = w;
    im->h = h;
    im->smooth = smooth;
    im->version++;
    return 0;
}

void app_set_trace(App *a, TraceFn fn, void *ud) {
    a->trace = fn;
    a->trace_ud = ud;
}

void app_trace(App *a, const char *fmt, ...) {
    if (!a->trace) return;
    char line[4096];
    int j = snprintf(line, sizeof line, "{\"t\":%.3f,", a->now);
    va_list ap;
    va_start(ap, fmt);
    if (j > 0 && (size_t)j < sizeof line) j += vsnprintf(line + j, sizeof line - (size_t)j, fmt, ap);
    va_end(ap);
    if (j < 0 || (size_t)j + 2 > sizeof line) return; /* a line that does not fit is dropped, never cut */
    line[j] = '}', line[j + 1] = 0;
    a->trace(a->trace_ud, line);
}

void app_message(App *a, Severity sev, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    /* one line only: a multi-line error would not fit the status bar */
    for (char *p = a->msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    a->msg_sev = sev;
    a->msg_canvas = 0;
    a->msg_time = a->now;
    char esc[1100];
    app_trace(a, "\"event\":\"message\",\"error\":%s,\"text\":\"%s\"", sev == SEV_ERROR ? "true" : "false",
              json_escape(esc, sizeof esc, a->msg));
}

int app_push_action(App *a, ActionType t, const char *path) {
    if (a->nact == APP_MAX_ACTIONS) return -1;
    Action *x = &a->act[a->nact++];
    char tmp[APP_PATH_LEN]; /* path may live inside a (a file list entry) */
    snprintf(tmp, sizeof tmp, "%s", path ? path : "");
    x->type = t;
    memcpy(x->path, tmp, sizeof tmp);
    x->arg = 0;
    return 0;
}

int app_unsaved(const App *a) {
    if (a->snap.step <= 0) return 0;
    return !(a->snap.generation == a->saved_gen && a->snap.step == a->saved_step);
}

int app_as_loaded(const App *a) { return a->snap.generation == a->temp_gen && a->snap.step == 0; }

void app_set_classes(App *a, const char *csv) { classes_parse(csv, a->classes, 10); }

void app_set_tab(App *a, int tab) {
    if (tab < 0 || tab >= TAB_COUNT) return;
    a->tab = tab;
    if (tab == TAB_WEIGHTS) a->weights_at = 0; /* the next frame paints what came while another tab showed */
    a->hover_tile = -1;
    a->hover_layer = 0;
    a->ex.hover_t = a->ex.hover_p = a->ex.hover_thumb = -1;
    a->hover_unit_layer = a->hover_unit = -1;
    a->emb_hover = -1;
    static const char *names[] = {"weights", "errors", "inside", "map"};
    if (tab == TAB_ERRORS)
        app_trace(a, "\"event\":\"tab\",\"name\":\"%s\",\"matrix\":[%d,%d,%d],\"gallery\":[%d,%d,%d,%d]", names[tab],
                  a->ex.grid.x, a->ex.grid.y, a->ex.cell, a->ex.gal_area.x, a->ex.gal_area.y, a->ex.gal_area.w,
                  a->ex.gal_area.h);
    else
        app_trace(a, "\"event\":\"tab\",\"name\":\"%s\"", names[tab]);
}

void app_colormap(float v, uint8_t rgb[3]) {
    if (!(v == v)) v = 0;
    if (v > 1) v = 1;
    if (v < -1) v = -1;
    static const float mid[3] = {22, 23, 30}, pos[3] = {255, 120, 40}, neg[3] = {60, 150, 255};
    const float *end = v >= 0 ? pos : neg;
    float t = fabsf(v);
    t = sqrtf(t); /* lift small weights off the background */
    for (int i = 0; i < 3; i++) rgb[i] = (uint8_t)(mid[i] + (end[i] - mid[i]) * t + 0.5f);
}

double app_nice_step(double range, int n) {
    if (!(range > 0) || n < 1) return 1;
    double raw = range / n, p = pow(10, floor(log10(raw))), f = raw / p;
    double m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return m * p;
}

void app_next_detector(App *a, OodModel *ood) {
    ood_free(&a->ood_next);
    a->ood_next = *ood;
    *ood = (OodModel){0};
}

void app_model_generation(App *a, unsigned long gen) {
    a->temperature = a->temp_next, a->temp_gen = gen;
    ood_free(&a->ood);
    a->ood = a->ood_next;
    a->ood_next = (OodModel){0};
}

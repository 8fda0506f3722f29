/* test_fit.c - the window's layout at five sizes and two UI scales, judged on the draw commands
 * it emits: every text inside the window, inside the part of the window it belongs to and inside
 * the box it was aligned in; no text over another; no control over another; the panels apart and
 * big enough to use. Text is measured with the window's own fonts (assets/fonts, through
 * stb_truetype, glyph advances rounded to pixels as the renderer's hinting does) at the scale, so
 * a label that would not fit on screen does not fit here. States: a fresh start, a drawn digit,
 * each right-panel tab with the Errors gallery open, a tooltip, the help, Open, the dataset chooser
 * and the quit question. Needs MNIST (DIGITREC_DATA) for the Errors tab; without it those states
 * are skipped and said so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "fixtures.h"
#include "session.h"
#include "startup.h"
#include "ui.h"

#define STB_TRUETYPE_IMPLEMENTATION
#include <stb/stb_truetype.h>

/* ---- the window's fonts at a scale ---- */

typedef struct {
    stbtt_fontinfo face[3]; /* regular, bold, mono: FONT_FACE's numbering */
    unsigned char *data[3];
    float scale;
} Fonts;

static unsigned char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) free(b), b = NULL;
    fclose(f);
    return b;
}

static int fonts_open(Fonts *F, const char *src) {
    static const char *files[3] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"};
    char path[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/assets/fonts/%s", src, files[i]);
        F->data[i] = slurp(path);
        if (!F->data[i] || !stbtt_InitFont(&F->face[i], F->data[i], 0)) return -1;
    }
    return 0;
}

/* The next code point of UTF-8 s, advancing *s. */
static int utf8_next(const char **s) {
    const unsigned char *p = (const unsigned char *)*s;
    int c = *p++, n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (n) c &= 0x3F >> n;
    for (int i = 0; i < n && (*p & 0xC0) == 0x80; i++) c = (c << 6) | (*p++ & 0x3F);
    *s = (const char *)p;
    return c;
}

static int fonts_width(void *ud, int font, const char *s) {
    Fonts *F = ud;
    const stbtt_fontinfo *f = &F->face[FONT_FACE[font]];
    float sc = stbtt_ScaleForMappingEmToPixels(f, FONT_PX[font] * F->scale);
    int w = 0, prev = 0;
    while (s && *s) {
        int c = utf8_next(&s), adv, lsb;
        stbtt_GetCodepointHMetrics(f, c, &adv, &lsb);
        if (prev) w += (int)lroundf(stbtt_GetCodepointKernAdvance(f, prev, c) * sc);
        w += (int)lroundf(adv * sc); /* hinted advances are whole pixels */
        prev = c;
    }
    return (int)ceilf((float)w / F->scale);
}

static int fonts_height(void *ud, int font) {
    Fonts *F = ud;
    const stbtt_fontinfo *f = &F->face[FONT_FACE[font]];
    int asc, desc, gap;
    stbtt_GetFontVMetrics(f, &asc, &desc, &gap);
    float sc = stbtt_ScaleForMappingEmToPixels(f, FONT_PX[font] * F->scale);
    return (int)ceilf(ceilf((asc - desc) * sc) / F->scale);
}

/* ---- the checks ---- */

static int inside(Rect in, Rect r, int tol) {
    return r.x >= in.x - tol && r.y >= in.y - tol && r.x + r.w <= in.x + in.w + tol && r.y + r.h <= in.y + in.h + tol;
}

static int overlap(Rect a, Rect b, int tol) {
    return a.x + tol < b.x + b.w && b.x + tol < a.x + a.w && a.y + tol < b.y + b.h && b.y + tol < a.y + a.h;
}

static int point_in(Rect r, int x, int y) { return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h; }

static const char *where;     /* size, scale and state, for the messages */
static int problems_here;     /* per frame, so one bad frame does not flood the log */

#define FIT(cond, ...)                                                   \
    do {                                                                 \
        if (!(cond) && problems_here++ < 6) {                            \
            CHECK(0, __VA_ARGS__);                                       \
        } else if (!(cond)) {                                            \
            check_failed++;                                              \
        } else {                                                         \
            check_passed++;                                              \
        }                                                                \
    } while (0)

/* The commands from the last full-window rectangle on (a dialog dims the window first), or all. */
static int layer_start(const App *a) {
    int start = 0;
    for (int i = 1; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type == CMD_RECT && c->r.x == 0 && c->r.y == 0 && c->r.w == a->w && c->r.h == a->h) start = i;
    }
    return start;
}

/* Checks the frame's texts from command `from` on: in the window, in their box, in their region
 * (unless `regions` is 0: dialogs and tooltips span them), not over each other. */
static void check_texts(const App *a, int from, int regions) {
    Rect win = {0, 0, a->w, a->h}, reg[16];
    int nreg = app_regions(a, reg, 16);
    Rect clip = {0, 0, 0, 0};
    for (int i = from; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type == CMD_CLIP) clip = c->r;
        if (c->type != CMD_TEXT) continue;
        const char *s = drawcmd_text(&a->dl, c);
        FIT(inside(win, c->r, 0), "%s: '%s' (%d,%d %dx%d) leaves the window", where, s, c->r.x, c->r.y, c->r.w, c->r.h);
        if (clip.w > 0)
            FIT(inside(clip, c->r, 1), "%s: '%s' is cut by a clip", where, s);
        if (c->box.w > 0)
            FIT(c->r.w <= c->box.w + 1 && c->r.h <= c->box.h + 4, "%s: '%s' (%dx%d) does not fit its box (%dx%d)", where, s,
                c->r.w, c->r.h, c->box.w, c->box.h);
        if (regions) {
            int cx = c->r.x + 1, cy = c->r.y + c->r.h / 2;
            const AppLayout *L = &a->lay;
            Rect panels[] = {L->probs_panel, L->loss_plot, L->acc_plot, L->heat, L->verdict};
            for (int k = 0; k < (int)(sizeof panels / sizeof panels[0]); k++)
                if (point_in(panels[k], cx, cy))
                    FIT(inside(panels[k], c->r, -2), "%s: '%s' (%d,%d %dx%d) runs out of its panel (%d,%d %dx%d)", where, s, c->r.x,
                        c->r.y, c->r.w, c->r.h, panels[k].x, panels[k].y, panels[k].w, panels[k].h);
            for (int k = 0; k < nreg; k++)
                if (point_in(reg[k], cx, cy))
                    FIT(inside(reg[k], c->r, 1), "%s: '%s' (%d,%d %dx%d) runs out of its region %d (%d,%d %dx%d)", where, s,
                        c->r.x, c->r.y, c->r.w, c->r.h, k, reg[k].x, reg[k].y, reg[k].w, reg[k].h);
        }
        int cover = -1; /* the last opaque rectangle under this text: what it covers is hidden, not overlapped */
        for (int j = from; j < i; j++) {
            const DrawCmd *d = &a->dl.cmds[j];
            if (d->type == CMD_RECT && d->c.a >= 200 && inside(d->r, c->r, 0) && (d->r.w < a->w || d->r.h < a->h)) cover = j;
        }
        for (int j = cover + 1 > from ? cover + 1 : from; j < i; j++) {
            const DrawCmd *d = &a->dl.cmds[j];
            if (d->type != CMD_TEXT) continue;
            FIT(!overlap(c->r, d->r, 1), "%s: '%s' (%d,%d %dx%d) is over '%s' (%d,%d %dx%d)", where, s, c->r.x, c->r.y, c->r.w,
                c->r.h, drawcmd_text(&a->dl, d), d->r.x, d->r.y, d->r.w, d->r.h);
        }
    }
}

/* The controls apart and in the window; the panels apart, in the window, and big enough. */
static void check_layout(const App *a) {
    Rect win = {0, 0, a->w, a->h};
    const AppLayout *L = &a->lay;
    for (int i = 0; i < a->nwidgets; i++) {
        const Widget *w = &a->widgets[i];
        if (w->r.w <= 0) continue; /* dropped for want of room: its key still works */
        FIT(inside(win, w->r, 0), "%s: control %d (%d,%d %dx%d) leaves the window", where, w->id, w->r.x, w->r.y, w->r.w, w->r.h);
        for (int j = 0; j < i; j++)
            if (a->widgets[j].r.w > 0)
                FIT(!overlap(w->r, a->widgets[j].r, 0), "%s: controls %d and %d overlap", where, w->id, a->widgets[j].id);
    }
    Rect panels[] = {L->canvas_panel, L->verdict, L->probs_panel, L->loss_plot, L->acc_plot, L->heat, L->status};
    const char *names[] = {"canvas", "verdict", "probabilities", "loss", "accuracy", "right panel", "status"};
    int n = (int)(sizeof panels / sizeof panels[0]);
    for (int i = 0; i < n; i++) {
        FIT(inside(win, panels[i], 0), "%s: the %s panel leaves the window", where, names[i]);
        FIT(panels[i].y >= L->bar_h, "%s: the %s panel is under the top bar", where, names[i]);
        for (int j = 0; j < i; j++) FIT(!overlap(panels[i], panels[j], 0), "%s: the %s and %s panels overlap", where, names[i], names[j]);
    }
    FIT(L->canvas.w >= 200 && L->canvas.h >= 200, "%s: the canvas is %dx%d (at least 200 to draw in)", where, L->canvas.w, L->canvas.h);
    FIT(L->preview.w >= 56, "%s: the input preview is %d px", where, L->preview.w);
    FIT(L->loss_plot.h >= 90 && L->acc_plot.h >= 80 && L->loss_plot.w >= 200, "%s: the plots are %dx%d and %dx%d", where,
        L->loss_plot.w, L->loss_plot.h, L->acc_plot.w, L->acc_plot.h);
    FIT(L->heat.w >= 240 && L->heat.h >= 300, "%s: the right panel is %dx%d", where, L->heat.w, L->heat.h);
}

static int count_type(const App *a, CmdType t, Rect in) {
    int n = 0;
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == t && inside(in, a->dl.cmds[i].r, 0)) n++;
    return n;
}

static int has_text(const App *a, const char *needle) {
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&a->dl, &a->dl.cmds[i]), needle)) return 1;
    return 0;
}

static void frame(App *a, const char *state, const char *size) {
    static char buf[160];
    snprintf(buf, sizeof buf, "%s %s", size, state);
    where = buf;
    problems_here = 0;
    app_frame(a, a->now + 0.02);
    CHECK(!a->dl.oom, "%s: the frame is complete", where);
    int from = layer_start(a);
    check_texts(a, from, from == 0);
    if (from == 0) check_layout(a);
}

int main(void) {
    const char *src = getenv("DIGITREC_SRC"), *data = getenv("DIGITREC_DATA");
    CHECK(src != NULL, "DIGITREC_SRC is set (ctest sets it)");
    if (!src) return 1;
    static Fonts F;
    CHECK(fonts_open(&F, src) == 0, "the window's fonts in %s/assets/fonts", src);
    if (check_failed) return 1;

    char dir[] = "/tmp/digitrec_test_fit_XXXXXX", err[ERR_LEN], model[1200];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("HOME", dir, 1);
    unsetenv("XDG_DATA_HOME"), unsetenv("XDG_CONFIG_HOME");
    snprintf(model, sizeof model, "%s/models/mlp.safetensors", src);

    static App app;
    static Session s;
    App *a = &app;
    WindowOptions o;
    window_options_default(&o);
    o.model = model;
    o.data = data && *data ? data : "/nonexistent/digitrec-data";
    CHECK(session_start(&s, a, &o, NULL, err) == 0, "%s", err);
    /* the data and the first pass over the test set (the Errors tab's matrix) */
    for (int t = 0; t < 3000 && !(a->snap.have_data && a->snap.view) && !(a->snap.version > 0 && !a->snap.have_data && !a->snap.data_loading); t++) {
        session_sync(&s);
        sleep_ms(10);
    }
    int have_view = a->snap.view != NULL;
    if (!have_view) printf("test_fit: no MNIST (%s): the Errors gallery is not checked\n", a->snap.data_desc);

    /* screen sizes at scale 1, and at scale 2 (the window's minimum is 800x560 app pixels) */
    static const int sizes[2][5][2] = {{{800, 560}, {1024, 640}, {1280, 800}, {1920, 1080}, {3840, 2160}},
                                       {{1600, 1120}, {2048, 1280}, {2560, 1440}, {3840, 2160}, {5120, 2880}}};
    int frames = 0;
    for (int si = 0; si < 2; si++) {
        F.scale = si ? 2.0f : 1.0f;
        for (int k = 0; k < 5; k++) {
            int sw = sizes[si][k][0], sh = sizes[si][k][1];
            char size[64];
            snprintf(size, sizeof size, "%dx%d@%g", sw, sh, (double)F.scale);
            app_set_text_metrics(a, fonts_width, fonts_height, &F);
            app_resize(a, (int)(sw / F.scale), (int)(sh / F.scale));
            CHECK(a->w == (int)(sw / F.scale) && a->h == (int)(sh / F.scale), "%s: the app takes the size", size);

            /* a fresh start: nothing drawn */
            canvas_clear(&a->canvas_px);
            a->has_ink = 0;
            app_update_prediction(a);
            app_set_tab(a, TAB_WEIGHTS);
            frame(a, "fresh", size), frames++;
            CHECK(has_text(a, "Probabilities"), "%s: the probabilities panel is drawn", where);

            /* a digit drawn: the verdict, the bars, the input */
            canvas_draw_demo(&a->canvas_px, 3);
            a->has_ink = 1;
            app_update_prediction(a);
            frame(a, "drawn", size), frames++;
            CHECK(a->top >= 0, "%s: the drawing is read", where);
            CHECK(count_type(a, CMD_IMAGE, a->lay.heat) > 0, "%s: the weights are drawn", where);

            if (have_view) {
                app_set_tab(a, TAB_ERRORS);
                app_select_cell(a, 3, 5);
                frame(a, "errors", size), frames++;
                CHECK(a->ex.gal_cols > 0 && a->ex.gal_rows > 0, "%s: the gallery has a page (%dx%d)", where, a->ex.gal_cols,
                      a->ex.gal_rows);
            }
            app_set_tab(a, TAB_INSIDE);
            frame(a, "inside", size), frames++;
            if (have_view && a->snap.view->nemb > 0) {
                /* the map: its points and the drawing among them */
                app_set_tab(a, TAB_EMBED);
                frame(a, "map", size), frames++;
                CHECK(count_type(a, CMD_RECT, a->lay.heat) > a->snap.view->nemb / 2, "%s: the map's points (%d rects)", where,
                      count_type(a, CMD_RECT, a->lay.heat));
                CHECK(has_text(a, "your drawing"), "%s: the drawing on the map", where);
            }
            app_set_tab(a, TAB_WEIGHTS);

            /* a tooltip over the last control of the top bar */
            const Widget *w = &a->widgets[a->nwidgets - 1];
            for (int i = 0; i < a->nwidgets; i++)
                if (a->widgets[i].r.y < a->lay.bar_h && a->widgets[i].r.x > w->r.x) w = &a->widgets[i];
            app_mouse_move(a, w->r.x + w->r.w - 2, w->r.y + w->r.h / 2);
            a->now += 1.0;
            frame(a, "tooltip", size), frames++;
            app_mouse_move(a, 1, a->h - 40);

            /* the windows over the window */
            a->show_help = 1;
            frame(a, "help", size), frames++;
            a->show_help = 0;
            app_key(a, KEY_O, MOD_CTRL);
            session_apply(&s);
            CHECK(a->open.show, "%s: Ctrl+O opens the Open dialog", size);
            if (a->open.show) frame(a, "open", size), frames++;
            app_key(a, KEY_ESCAPE, 0);
            app_key(a, KEY_D, MOD_CTRL);
            session_apply(&s);
            CHECK(a->data.show, "%s: Ctrl+D opens the dataset chooser", size);
            if (a->data.show) frame(a, "data", size), frames++;
            app_key(a, KEY_ESCAPE, 0);
            a->ask.kind = ASK_QUIT;
            frame(a, "quit?", size), frames++;
            a->ask.kind = ASK_NONE;
        }
    }
    printf("test_fit: %d frames at 10 sizes checked\n", frames);
    char msg[1200];
    session_close(&s, msg, sizeof msg);
    session_free(&s);
    app_free(a);
    for (int i = 0; i < 3; i++) free(F.data[i]);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("test_fit: could not remove %s\n", dir);
    return check_summary("test_fit");
}

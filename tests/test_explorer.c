/* test_explorer.c - the window's Errors tab without a window: a hand-made set of test-set
 * predictions goes in as the snapshot's view; the tab draws the matrix's counts, colours and
 * per-class accuracy; the worst cell is opened by itself; a click on a cell lists exactly that
 * cell's images, most confident first, as thumbnails (and traces it); the wheel pages through
 * them; a click on a thumbnail puts that test image on the canvas and the network re-reads it;
 * Esc closes the gallery; a newer view keeps the chosen cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "fixtures.h"
#include "common.h"
#include "worker.h"

static int has_text(const App *a, const char *needle) {
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&a->dl, &a->dl.cmds[i]), needle)) return 1;
    return 0;
}

static int count_image(const App *a, int id) {
    int n = 0;
    for (int i = 0; i < a->dl.n; i++) n += a->dl.cmds[i].type == CMD_IMAGE && a->dl.cmds[i].image == id;
    return n;
}

/* A test view of n images: image i has label lab(i) and is read as rd(i) with confidence
 * 0.5 + 0.4 * (i % 17) / 17. Its pixels are a block 20 rows tall (5..24) and 2L+1 columns wide
 * around column 14 for label L: already as MNIST centres a digit, so preprocessing returns it. */
static int lab(int i) { return i % 10; }
static int rd(int i) { return i % 7 == 0 ? (i / 7) % 10 : i % 10; }

static TestView *make_view(int n, unsigned long gen, long step) {
    SharedData *sd = calloc(1, sizeof *sd);
    atomic_init(&sd->refs, 1);
    Dataset *ds = &sd->data;
    ds->n = n, ds->rows = ds->cols = 28, ds->d = 784, ds->nclass = 10;
    ds->x = calloc((size_t)n * 784, 1);
    ds->y = calloc((size_t)n, 1);
    TestView *v = calloc(1, sizeof *v);
    atomic_init(&v->refs, 1);
    v->test = sd;
    v->n = n, v->K = 10, v->generation = gen, v->step = step;
    v->pred = calloc((size_t)n, 1);
    v->prob = calloc((size_t)n * 10, sizeof(float));
    for (int i = 0; i < n; i++) {
        ds->y[i] = (uint8_t)lab(i);
        for (int r = 5; r < 25; r++)
            for (int c = 14 - lab(i); c <= 14 + lab(i); c++) ds->x[(size_t)i * 784 + r * 28 + c] = 255;
        int p = rd(i);
        v->pred[i] = (uint8_t)p;
        float conf = 0.5f + 0.4f * (float)(i % 17) / 17;
        for (int k = 0; k < 10; k++) v->prob[i * 10 + k] = k == p ? conf : (1 - conf) / 9;
        v->confusion[lab(i)][p]++;
    }
    v->acc = confusion_acc((const long(*)[CONF_K])v->confusion);
    return v;
}

static void install_view(App *a, TestView *v) {
    testview_release(a->snap.view);
    a->snap.view = v; /* the snapshot owns the reference */
    a->snap.version++;
    app_on_snapshot(a);
}

int main(void) {
    char err[ERR_LEN];
    static App app;
    App *a = &app;
    char dir[] = "/tmp/digitrec_test_explorer_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", dir, 1);
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *trace = open_memstream(&tbuf, &tlen);
    app_set_trace(a, fixture_trace, trace);
    app_resize(a, a->w, a->h);

    /* a network that reads the amount of ink: 20 (2L+1) pixels make logit k = 2k(L + 1/2) - k^2 - k,
       largest at k = L */
    int sizes[] = {784, 10};
    CHECK(net_create(&a->snap.net, sizes, 1, BIAS_NEURON, 0, err) == 0, "%s", err);
    for (int k = 0; k < 10; k++) {
        for (int j = 0; j < 784; j++) a->snap.net.w[0][(size_t)k * 784 + j] = (float)k / 20.0f;
        a->snap.net.b[0][k] = (float)(-k * k - k);
    }
    a->snap.generation = 1;
    a->snap.have_data = 1;
    app_on_snapshot(a);

    /* no view yet: the tab says it is measuring */
    app_key(a, KEY_M, 0);
    CHECK(a->tab == TAB_ERRORS, "M shows the errors tab");
    app_frame(a, 0.1);
    CHECK(has_text(a, "Confusion matrix") && has_text(a, "measuring the test set"), "waiting for the first view");

    enum { N = 700 };
    TestView *v = make_view(N, 1, 120);
    install_view(a, v);
    /* the worst cell opens by itself: the biggest off-diagonal count */
    long best = 0;
    int bt = -1, bp = -1;
    for (int t = 0; t < 10; t++)
        for (int p = 0; p < 10; p++)
            if (t != p && v->confusion[t][p] > best) best = v->confusion[t][p], bt = t, bp = p;
    CHECK(a->ex.t == bt && a->ex.p == bp && a->ex.count == best, "worst cell (%d,%d) opened: (%d,%d)", bt, bp, a->ex.t,
          a->ex.p);
    app_frame(a, 0.2);
    char want[64];
    snprintf(want, sizeof want, "%.2f%% right", v->acc * 100);
    CHECK(has_text(a, want) && has_text(a, "step 120"), "accuracy and step shown");
    snprintf(want, sizeof want, "%ld", v->confusion[3][3]);
    CHECK(has_text(a, want), "diagonal count %s shown", want);
    snprintf(want, sizeof want, "%.1f%%", 100 * confusion_class_acc((const long(*)[CONF_K])v->confusion, 3));
    CHECK(has_text(a, want), "per-class accuracy %s shown", want);
    /* colours: green cells on the diagonal, red ones off it where there are errors */
    int green = 0, red = 0;
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type != CMD_RECT || !rect_contains(a->ex.grid, c->r.x, c->r.y)) continue;
        green += c->c.g > 150 && c->c.r < 150;
        red += c->c.r > 200 && c->c.g < 150;
    }
    CHECK(green == 10, "ten green diagonal cells, got %d", green);
    int errs = 0;
    for (int t = 0; t < 10; t++)
        for (int p = 0; p < 10; p++) errs += t != p && v->confusion[t][p] > 0;
    CHECK(red == errs, "a red cell per non-empty error cell: %d vs %d", red, errs);

    /* click cell (true 2, read as 2): the gallery lists exactly those images, surest first */
    fflush(trace);
    size_t before = tlen;
    int cs = a->ex.cell;
    app_mouse_down(a, a->ex.grid.x + 2 * cs + cs / 2, a->ex.grid.y + 2 * cs + cs / 2, BTN_LEFT);
    app_mouse_up(a, a->ex.grid.x + 2 * cs + cs / 2, a->ex.grid.y + 2 * cs + cs / 2, BTN_LEFT);
    CHECK(a->ex.t == 2 && a->ex.p == 2 && a->ex.count == v->confusion[2][2], "cell (2,2): %d images", a->ex.count);
    int ok = 1;
    for (int j = 0; j < a->ex.n; j++) {
        int i = a->ex.idx[j];
        ok &= lab(i) == 2 && rd(i) == 2;
        if (j) ok &= v->prob[a->ex.idx[j - 1] * 10 + 2] >= v->prob[i * 10 + 2];
    }
    CHECK(ok, "members, most confident first");
    fflush(trace);
    CHECK(tlen > before && strstr(tbuf + before, "\"event\":\"gallery\",\"true\":2,\"pred\":2"), "gallery traced");
    app_frame(a, 0.3);
    int page = a->ex.gal_cols * a->ex.gal_rows;
    int shown = a->ex.n < page ? a->ex.n : page;
    CHECK(page >= 8 && count_image(a, IMG_GALLERY) == shown, "%d thumbnails drawn (page %d)", count_image(a, IMG_GALLERY), page);
    CHECK(has_text(a, "read right"), "gallery heading");
    /* the atlas holds the images: thumbnail 0's bar column is lit */
    {
        int i0 = a->ex.idx[0];
        const AppImage *im = &a->img[IMG_GALLERY];
        const uint8_t *px = im->rgba + 4 * ((size_t)10 * im->w + 14 + lab(i0));
        CHECK(im->w == a->ex.gal_cols * 28 && px[0] > 200, "thumbnail pixels from the test image");
    }
    /* the wheel pages by rows; never past the end */
    if (a->ex.n > page) {
        app_wheel(a, a->ex.gal_area.x + 5, a->ex.gal_area.y + 5, -1);
        CHECK(a->ex.scroll == a->ex.gal_cols, "wheel down one row: %d", a->ex.scroll);
        for (int k = 0; k < 50; k++) app_wheel(a, a->ex.gal_area.x + 5, a->ex.gal_area.y + 5, -1);
        CHECK(a->ex.scroll + page >= a->ex.n && a->ex.scroll < a->ex.n, "scroll stops at the end");
        for (int k = 0; k < 50; k++) app_wheel(a, a->ex.gal_area.x + 5, a->ex.gal_area.y + 5, 1);
        CHECK(a->ex.scroll == 0, "and at the top");
    }
    /* hover: a tooltip with the image's numbers */
    int used = a->ex.gal_cols * (a->ex.gal_px + 6) - 6;
    Rect t0 = {a->ex.gal_area.x + (a->ex.gal_area.w - used) / 2, a->ex.gal_area.y, a->ex.gal_px, a->ex.gal_px};
    app_mouse_move(a, t0.x + 3, t0.y + 3);
    app_frame(a, 0.35);
    CHECK(a->ex.hover_thumb >= 0 && has_text(a, "test #"), "thumbnail tooltip");

    /* an error cell, then a thumbnail onto the canvas: the network reads the test image */
    int et = -1, ep = -1;
    for (int t = 0; t < 10 && et < 0; t++)
        for (int p = 0; p < 10 && et < 0; p++)
            if (t != p && v->confusion[t][p] > 0) et = t, ep = p;
    app_select_cell(a, et, ep);
    CHECK(a->ex.count == v->confusion[et][ep] && a->ex.n > 0, "cell (%d,%d): %d", et, ep, a->ex.count);
    int target = a->ex.idx[0];
    CHECK(!a->has_ink, "blank canvas before");
    app_mouse_down(a, t0.x + 3, t0.y + 3, BTN_LEFT);
    app_mouse_up(a, t0.x + 3, t0.y + 3, BTN_LEFT);
    CHECK(a->has_ink && a->top == lab(target), "test image #%d (a %d) on the canvas, read as %d", target, lab(target), a->top);
    /* what the network sees is that test image again (preprocessing returns an MNIST digit) */
    double diff = 0;
    for (int j = 0; j < 784; j++) diff += fabs(a->input[j] - v->test->data.x[(size_t)target * 784 + j] / 255.0);
    CHECK(diff < 0.01, "input = the test image (L1 %g)", diff);
    fflush(trace);
    snprintf(want, sizeof want, "\"event\":\"canvas_from_test\",\"index\":%d", target);
    CHECK(strstr(tbuf, want) != NULL, "traced");
    /* it can be edited: a stroke changes the drawing and the reading is redone */
    long np = a->npredictions;
    Rect c = a->lay.canvas;
    app_mouse_down(a, c.x + c.w / 2, c.y + 10, BTN_LEFT);
    app_mouse_move(a, c.x + c.w / 2, c.y + c.h - 10);
    app_mouse_up(a, c.x + c.w / 2, c.y + c.h - 10, BTN_LEFT);
    CHECK(a->npredictions > np && a->canvas_px.nstrokes == 1, "edited and re-read");

    /* a newer view keeps the chosen cell and refreshes its list */
    TestView *v2 = make_view(N, 1, 240);
    install_view(a, v2);
    CHECK(a->ex.t == et && a->ex.p == ep && a->ex.count == v2->confusion[et][ep], "selection kept");
    app_frame(a, 0.4);
    CHECK(has_text(a, "step 240"), "new view shown");
    /* Esc closes the gallery */
    app_key(a, KEY_ESCAPE, 0);
    CHECK(a->ex.t < 0 && a->ex.n == 0, "Esc closes the gallery");
    app_frame(a, 0.5);
    CHECK(has_text(a, "Click a cell"), "hint after closing");
    /* W goes back to the weights */
    app_key(a, KEY_W, 0);
    app_frame(a, 0.6);
    CHECK(a->tab == TAB_WEIGHTS && count_image(a, IMG_GALLERY) == 0 && !has_text(a, "Confusion"), "weights tab");
    /* the tabs are buttons too */
    for (int i = 0; i < a->nwidgets; i++)
        if (a->widgets[i].id == WID_TAB_ERRORS) {
            Rect r = a->widgets[i].r;
            app_mouse_down(a, r.x + 3, r.y + 3, BTN_LEFT);
            app_mouse_up(a, r.x + 3, r.y + 3, BTN_LEFT);
        }
    CHECK(a->tab == TAB_ERRORS, "the Errors tab button");
    /* narrow window: the matrix still fits inside the panel */
    app_resize(a, 800, 560);
    CHECK(a->ex.grid.x + a->ex.grid.w <= a->lay.heat.x + a->lay.heat.w && a->ex.grid.y + a->ex.grid.h <= a->lay.heat.y + a->lay.heat.h,
          "matrix inside the panel at 800x560");
    app_frame(a, 0.7);
    CHECK(!a->dl.oom, "frame complete");

    fclose(trace);
    free(tbuf);
    app_free(a); /* releases the view */
    return check_summary("test_explorer");
}

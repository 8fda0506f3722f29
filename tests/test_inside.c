/* test_inside.c - "what the network looks at" without a window: for a softmax net the saliency of
 * the top class is exactly that class's weight row; G lays the map over the canvas (orange where
 * the weights are positive, blue where negative, under the drawing's frame) and over the preview,
 * and traces it; the Inside tab (A) shows every hidden layer's units with the right number
 * active, the saliency map and the output bars; hovering a unit names its value; a blank canvas
 * shows a prompt instead; a CNN's feature maps (each conv and pool layer) with a hover value, and
 * its filters on the Weights tab. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "saliency.h"
#include "fixtures.h"

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

int main(void) {
    char err[ERR_LEN];
    static App app;
    App *a = &app;
    char dir[] = "/tmp/digitrec_test_inside_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", dir, 1);
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *trace = open_memstream(&tbuf, &tlen);
    app_set_trace(a, fixture_trace, trace);
    app_resize(a, a->w, a->h);

    /* softmax net: class 1's weights are +1 on the left half, -1 on the right, others 0; a bias
       makes class 1 the top whatever is drawn */
    int sizes[] = {784, 10};
    Net sm;
    net_create(&sm, sizes, 1, BIAS_NEURON, 0, err);
    for (int i = 0; i < 784; i++) sm.w[0][784 + i] = i % 28 < 14 ? 1.0f : -1.0f;
    sm.b[0][1] = 100.0f;
    fixture_install(a, &sm);
    app_frame(a, 0);
    CHECK(!a->probe_ok, "blank canvas: no map");
    app_key(a, KEY_A, 0);
    app_frame(a, 0.1);
    CHECK(a->tab == TAB_INSIDE && has_text(a, "Draw a digit to see"), "Inside tab prompt on a blank canvas");

    /* a drawing: preprocessing centres it, so half of its ink falls left of column 14 */
    canvas_draw_demo(&a->canvas_px, 1);
    app_update_prediction(a);
    CHECK(a->has_ink && a->probe_ok, "map made");
    CHECK(a->top == 1, "top class %d", a->top);
    /* d logit(top) / d x = w[top] exactly */
    int exact = 1;
    for (int i = 0; i < 784; i++) exact &= a->sal[i] == sm.w[0][(size_t)a->top * 784 + i];
    CHECK(exact, "softmax saliency = the weight row of the top class");
    CHECK(a->frame_ok, "the drawing's frame is known");

    /* G: the overlay on the canvas and the preview, traced */
    app_select_cell(a, -1, -1);
    app_key(a, KEY_G, 0);
    CHECK(a->show_saliency, "G turns the overlay on");
    app_frame(a, 0.2);
    CHECK(count_image(a, IMG_SALIENCY) == 1 && count_image(a, IMG_SAL_PREVIEW) == 1, "overlays drawn");
    CHECK(has_text(a, "what makes it a"), "the overlay's key");
    fflush(trace);
    CHECK(strstr(tbuf, "\"event\":\"saliency\",\"on\":true") != NULL, "traced");
    {
        /* the overlay is orange over the left half of the frame, blue over the right */
        const AppImage *im = &a->img[IMG_SALIENCY];
        const SalFrame *f = &a->frame;
        /* canvas x of input columns 7 and 21 */
        int xl = (int)(f->x0 + (7.5 - f->offx) / f->sx), xr = (int)(f->x0 + (21.5 - f->offx) / f->sx);
        int yc = (int)(f->y0 + (14.5 - f->offy) / f->sy);
        if (xl >= 0 && xr < CANVAS_SIDE && yc >= 0 && yc < CANVAS_SIDE) {
            const uint8_t *pl = im->rgba + 4 * ((size_t)yc * CANVAS_SIDE + xl), *pr = im->rgba + 4 * ((size_t)yc * CANVAS_SIDE + xr);
            CHECK(pl[0] > pl[2] && pl[3] > 100, "orange (raises) on the left: %d,%d,%d,%d", pl[0], pl[1], pl[2], pl[3]);
            CHECK(pr[2] > pr[0] && pr[3] > 100, "blue (lowers) on the right: %d,%d,%d,%d", pr[0], pr[1], pr[2], pr[3]);
        } else {
            CHECK(0, "frame out of range: %d %d %d", xl, xr, yc);
        }
    }
    app_key(a, KEY_G, 0);
    app_frame(a, 0.3);
    CHECK(!a->show_saliency && count_image(a, IMG_SALIENCY) == 0, "G again hides it");
    app_frame(a, 0.35);
    CHECK(has_text(a, "no hidden layers") && count_image(a, IMG_SAL_MAP) == 1, "softmax: no hidden layers, the map shown");

    /* an MLP 784-6-10: unit u of the hidden layer sums column band u; the Inside tab shows them */
    int ms[] = {784, 6, 10};
    Net mlp;
    net_create(&mlp, ms, 2, BIAS_NEURON, 0, err);
    for (int u = 0; u < 6; u++) {
        for (int i = 0; i < 784; i++) mlp.w[0][(size_t)u * 784 + i] = (i % 28) / 5 == u ? 0.1f : 0.0f;
        mlp.b[0][u] = -0.5f;
        mlp.w[1][(size_t)u * 6 + u] = 1.0f; /* output u <- unit u */
    }
    fixture_install(a, &mlp);
    app_update_prediction(a);
    CHECK(a->probe_ok && a->probe.nlayers == 2, "probe follows the new shape");
    int active = 0;
    for (int u = 0; u < 6; u++) {
        double z = -0.5;
        for (int i = 0; i < 784; i++) z += ((i % 28) / 5 == u ? 0.1 : 0.0) * a->input[i];
        active += z > 0;
        CHECK(fabs(a->probe.z[0][u] - z) < 1e-4, "unit %d: z %g vs %g", u, a->probe.z[0][u], z);
    }
    app_frame(a, 0.4);
    char want[96];
    snprintf(want, sizeof want, "layer 1: 6 ReLU units, %d active", active);
    CHECK(has_text(a, want), "'%s' shown", want);
    CHECK(has_text(a, "output: softmax probabilities") && has_text(a, "saliency: d score"), "map and output shown");
    /* the grid has six unit cells: rects inside the right panel below the caption */
    int cells = 0;
    for (int i = 0; i < a->dl.n; i++) {
        const DrawCmd *c = &a->dl.cmds[i];
        if (c->type == CMD_RECT && c->r.w == c->r.h && c->r.w >= 9 && rect_contains(a->lay.heat, c->r.x, c->r.y) && c->c.a == 255 &&
            c->r.w <= 30)
            cells++;
    }
    CHECK(cells == 6, "six unit cells, got %d", cells);
    /* hover the first unit: a tooltip with its value */
    int found = 0;
    for (int y = a->lay.heat.y; y < a->lay.heat.y + a->lay.heat.h && !found; y += 2)
        for (int x = a->lay.heat.x; x < a->lay.heat.x + a->lay.heat.w && !found; x += 2) {
            app_mouse_move(a, x, y);
            if (a->hover_unit_layer == 0 && a->hover_unit == 0) found = 1;
        }
    app_frame(a, 0.5);
    CHECK(found && has_text(a, "layer 1, unit 0"), "unit 0 hover tooltip");

    /* the overlay of an MLP is its own finite-difference-checked gradient: spot check one pixel */
    {
        Saliency s;
        saliency_init(&s, &mlp, err);
        saliency_forward(&s, &mlp, a->input);
        float g[784];
        saliency_input_grad(&s, &mlp, a->top, SAL_LOGIT, g);
        CHECK(memcmp(g, a->sal, sizeof g) == 0, "the app's map is saliency_input_grad's");
        saliency_free(&s);
    }

    /* a CNN: the Inside tab shows each conv and pool layer's feature maps, hover names a value
       (the one its forward pass kept), and the Weights tab shows the first conv's filters */
    Net cnn;
    CHECK(net_create_str(&cnn, "conv4k5-relu-pool-conv6k3-relu-pool-fc12-relu-fc10", err) == 0, "%s", err);
    net_init_he(&cnn, 9);
    fixture_install(a, &cnn);
    app_update_prediction(a);
    CHECK(a->probe_ok && a->probe.stack, "the drawing goes through the CNN");
    app_key(a, KEY_A, 0);
    app_frame(a, 0.6);
    CHECK(count_image(a, IMG_MAP0) == 1 && count_image(a, IMG_MAP0 + 3) == 1 && count_image(a, IMG_MAP0 + 4) == 0,
          "four feature-map images (conv, pool, conv, pool)");
    CHECK(has_text(a, "conv 1 (layers.0): 4 maps 28x28 after ReLU") && has_text(a, "pool 2: 6 maps 7x7") &&
              has_text(a, "fc 1 (layers.2): 12 units after ReLU"),
          "the maps and the hidden fc are named");
    {
        const AppImage *im = &a->img[IMG_MAP0 + 1];
        CHECK(im->w == 4 * 15 - 1 && im->h == 14, "pool 1's mosaic is %dx%d", im->w, im->h);
    }
    int hovered = 0;
    for (int y = a->lay.heat.y; y < a->lay.heat.y + a->lay.heat.h && !hovered; y += 1)
        for (int x = a->lay.heat.x; x < a->lay.heat.x + a->lay.heat.w && !hovered; x += 1) {
            app_mouse_move(a, x, y);
            if (a->hover_unit_layer == 2 && a->hover_unit > 0) hovered = 1; /* the first pool */
        }
    app_frame(a, 0.7);
    {
        const float *o = saliency_layer(&a->probe, &a->snap.net, 2);
        char want2[96];
        int u = a->hover_unit;
        snprintf(want2, sizeof want2, "pool 1, channel %d at (%d, %d): %.3f", u / 196, u % 196 / 14, u % 14,
                 o ? (double)o[u] : 0.0);
        CHECK(hovered && o && has_text(a, want2), "feature-map hover tooltip '%s'", want2);
    }
    app_key(a, KEY_W, 0);
    app_frame(a, 0.8);
    CHECK(has_text(a, "4 conv filters, 5x5") || has_text(a, "Conv 1: 4 filters"), "the filters' title");
    CHECK(has_text(a, "layers.1.weight") || has_text(a, "layer 2"), "the kernels' caption");
    CHECK(
              a->img[IMG_TILES].w == 20 && a->img[IMG_TILES].h == 5 && a->img[IMG_LAYER1].w == 6 * 4 - 1 &&
              a->img[IMG_LAYER1].h == 4 * 4 - 1,
          "the Weights tab: filters %dx%d, kernels %dx%d", a->img[IMG_TILES].w, a->img[IMG_TILES].h, a->img[IMG_LAYER1].w,
          a->img[IMG_LAYER1].h);

    fclose(trace);
    free(tbuf);
    net_free(&sm);
    net_free(&mlp);
    net_free(&cnn);
    app_free(a);
    return check_summary("test_inside");
}

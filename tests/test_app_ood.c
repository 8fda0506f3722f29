/* test_app_ood.c - "not a digit" in the window without a window: a loaded model's detector decides
 * the reading's state exactly as ood_rejects says on the drawing's own logits and features (the
 * verdict then reads "Not a digit" and the trace says not_digit); a threshold below every score
 * rejects, one above keeps the ordinary states; once training has changed the network (or for
 * another generation) the detector no longer applies; a model without one never says it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "common.h"
#include "fixtures.h"
#include "ood.h"

static int has_text(const App *a, const char *needle) {
    for (int i = 0; i < a->dl.n; i++)
        if (a->dl.cmds[i].type == CMD_TEXT && strstr(drawcmd_text(&a->dl, &a->dl.cmds[i]), needle)) return 1;
    return 0;
}

/* A detector on the hidden features of net: the Gaussian of n random inputs' features (labels
 * from the net's own reading), thresholded on the same inputs. */
static void make_detector(const Net *net, OodModel *m, OodKind kind, int on_logits) {
    char err[ERR_LEN];
    enum { N = 300 };
    int d = net->sizes[net->nlayers - 1], K = net->sizes[net->nlayers];
    float *x = malloc(sizeof(float) * N * 784), *z = malloc(sizeof(float) * N * K), *f = malloc(sizeof(float) * N * d);
    int y[N];
    NetWork wk;
    CHECK(netwk_create(&wk, net, N, err) == 0, "%s", err);
    uint64_t s = 7;
    for (int i = 0; i < N * 784; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((s >> 40) & 0xff) / 255.0f * ((i / 784) % 2 ? 1.0f : 0.3f);
    }
    net_forward(net, &wk, x, NULL, N);
    memcpy(z, net_scores(net, &wk), sizeof(float) * N * K);
    memcpy(f, wk.act[net->nlayers - 1], sizeof(float) * N * d);
    for (int i = 0; i < N; i++) y[i] = i % K; /* every class present */
    CHECK(ood_fit(m, on_logits ? z : f, y, N, on_logits ? K : d, K, err) == 0, "ood_fit: %s", err);
    m->on_logits = on_logits;
    CHECK(ood_calibrate(m, kind, 1.5, z, on_logits ? NULL : f, N, OOD_KEEP, err) == 0, "ood_calibrate: %s", err);
    netwk_free(&wk);
    free(x), free(z), free(f);
}

static void redraw(App *a) {
    a->pred_canvas_ver = (unsigned long)-1; /* read again */
    app_update_prediction(a);
    app_frame(a, a->now + 0.1);
}

int main(void) {
    char err[ERR_LEN];
    static App app;
    App *a = &app;
    char dir[] = "/tmp/digitrec_test_app_ood_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", dir, 1);
    CHECK(app_init(a, 1280, 800, err) == 0, "%s", err);
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *trace = open_memstream(&tbuf, &tlen);
    app_set_trace(a, fixture_trace, trace);
    app_resize(a, a->w, a->h);

    int sizes[] = {784, 32, 10};
    Net net;
    CHECK(net_create(&net, sizes, 2, BIAS_NEURON, 0, err) == 0, "%s", err);
    net_init_he(&net, 3);
    fixture_install(a, &net);
    canvas_draw_demo(&a->canvas_px, 3);
    app_update_prediction(a);
    CHECK(a->probe_ok && a->state != READ_BLANK && a->state != READ_NOT_DIGIT, "no detector: an ordinary state (%d)", a->state);

    for (int variant = 0; variant < 2; variant++) {
        OodModel m = {0};
        make_detector(&a->snap.net, &m, variant ? OOD_ENERGY : OOD_COMBINED, variant);
        float thr = m.threshold;
        /* what the detector says of this drawing, from its own logits and features */
        int d;
        const float *feat = app_drawing_features(a, &d);
        CHECK(feat && d == 32, "the drawing's hidden features (%d)", d);
        int want = ood_rejects(&m, a->probe.score, variant ? NULL : feat);
        a->temp_next = 1.5;
        app_next_detector(a, &m);
        CHECK(m.K == 0 && a->ood_next.K == 10, "the detector is taken over");
        app_model_generation(a, a->snap.generation);
        CHECK(a->ood.K == 10 && a->ood_next.K == 0, "and in force for the model's generation");
        redraw(a);
        CHECK((a->state == READ_NOT_DIGIT) == want, "variant %d: the state follows ood_rejects (%d, state %d)", variant, want,
              a->state);

        a->ood.threshold = -INFINITY;
        redraw(a);
        CHECK(a->state == READ_NOT_DIGIT, "a threshold below every score: not a digit");
        CHECK(has_text(a, "Not a digit") && has_text(a, "nearest: "), "the verdict says so, with the nearest digit");
        fflush(trace);
        CHECK(strstr(tbuf, "\"state\":\"not_digit\"") != NULL, "the trace says not_digit");

        a->ood.threshold = INFINITY;
        redraw(a);
        CHECK(a->state != READ_NOT_DIGIT && a->state != READ_BLANK, "a threshold above every score: a digit (%d)", a->state);

        /* training changed the network: its detector no longer speaks */
        a->ood.threshold = -INFINITY;
        a->snap.step = 1;
        redraw(a);
        CHECK(a->state != READ_NOT_DIGIT, "after a training step the detector is off");
        a->snap.step = 0;
        a->snap.generation++;
        redraw(a);
        CHECK(a->state != READ_NOT_DIGIT, "another generation: off");
        a->snap.generation--;
        redraw(a);
        CHECK(a->state == READ_NOT_DIGIT, "back on the model's own generation: on (%d)", a->state);
        (void)thr;
    }
    /* a blank canvas stays blank */
    canvas_clear(&a->canvas_px);
    redraw(a);
    CHECK(a->state == READ_BLANK, "a blank canvas is blank, not 'not a digit'");

    net_free(&net);
    app_free(a);
    fclose(trace);
    free(tbuf);
    return check_summary("test_app_ood");
}

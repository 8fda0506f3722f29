/* reading_bench.c - accuracy of one or more models on the reading sets (bench/reading/make_sets.py)
 * through three preprocessing pipelines: naive (the whole picture shrunk to 28x28), legacy (the
 * border-based invert and ink crop of before) and full (strokes re-rendered for the canvas, paper
 * found first for pictures). Canvas drawings are the glyph skeletons drawn as strokes through the
 * canvas's own rasteriser at several sizes, pens and places; letters (label -1) count only in the
 * "sure" column, every sure reading of one being wrong. Prints a Markdown table. Run by hand:
 *   reading_bench SETS_DIR [--mnist DIR] [--variants N] [--limit N] MODEL...
 * It reads the sets and models; it writes nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "canvas.h"
#include "common.h"
#include "dataset.h"
#include "image.h"
#include "ink.h"
#include "model_io.h"
#include "net.h"
#include "preprocess.h"

enum { P_NAIVE, P_LEGACY, P_FULL, NPIPE };

#define MAX_ROWS 32
typedef struct {
    char name[48];
    long n[NPIPE], right[NPIPE], sure[NPIPE], sure_right[NPIPE], blank[NPIPE];
} Row;

typedef struct {
    Net net;
    NetWork wk;
    double T;
    const char *path;
    Row rows[MAX_ROWS];
    int nrows;
} Model;

static Row *row_get(Model *m, const char *name) {
    for (int i = 0; i < m->nrows; i++)
        if (!strcmp(m->rows[i].name, name)) return &m->rows[i];
    if (m->nrows == MAX_ROWS) return NULL;
    Row *r = &m->rows[m->nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

static const char *g_dump; /* --dump DIR: the first model's misread full-pipeline inputs as PNGs */
static int g_dumped;
static const char *g_source = ""; /* the picture being read, for --dump's list */

/* Reads x (the pipeline's input) with every model and counts it under each named row. */
static void score(Model *ms, int nm, int pipe, const float *x, int ink, const PreInfo *info, int label,
                  const char *const *rows, int nrows) {
    for (int k = 0; k < nm; k++) {
        Model *m = &ms[k];
        int K = m->net.sizes[m->net.nlayers];
        float p[64];
        net_forward(&m->net, &m->wk, x, NULL, 1);
        calib_probs(p, m->wk.pre_out, K, m->T);
        int best = 0;
        for (int c = 1; c < K; c++)
            if (p[c] > p[best]) best = c;
        ReadState st = calib_state(ink, info, p[best]);
        if (g_dump && k == 0 && pipe == P_FULL && best != label && g_dumped < 400) {
            char path[4200], e[ERR_LEN];
            snprintf(path, sizeof path, "%s/%04d_%s_%d_as_%d.png", g_dump, g_dumped++, rows[0], label, best);
            for (char *q = path + strlen(g_dump) + 1; *q; q++)
                if (*q == ' ' || *q == ':' || *q == '(' || *q == ')' || *q == '/' || *q == '<' || *q == '=') *q = '_';
            image_save_png_grey(path, x, 28, 28, e);
            fprintf(stderr, "dump %s <- %s\n", path, g_source);
        }
        for (int r = 0; r < nrows; r++) {
            Row *row = row_get(m, rows[r]);
            if (!row) continue;
            row->n[pipe]++;
            int right = st != READ_BLANK && best == label;
            row->right[pipe] += right;
            row->blank[pipe] += st == READ_BLANK;
            if (st == READ_SURE) row->sure[pipe]++, row->sure_right[pipe] += right;
        }
    }
}

/* All three pipelines on a decoded picture (1 = white as stored). */
static void score_picture(Model *ms, int nm, const float *img, int w, int h, int label, const char *const *rows,
                          int nrows) {
    float x[784], *cp = malloc(sizeof(float) * (size_t)w * (size_t)h);
    PreInfo info;
    char err[ERR_LEN];
    if (!cp) return;
    memset(&info, 0, sizeof info);
    info.ink = preprocess_naive(x, img, w, h);
    if (info.ink) preprocess_measure(&info, x);
    score(ms, nm, P_NAIVE, x, info.ink, &info, label, rows, nrows);
    memcpy(cp, img, sizeof(float) * (size_t)w * (size_t)h);
    preprocess_auto_invert(cp, w, h);
    memset(&info, 0, sizeof info);
    info.ink = preprocess_digit(x, cp, w, h, 0.05f);
    if (info.ink) preprocess_measure(&info, x);
    score(ms, nm, P_LEGACY, x, info.ink, &info, label, rows, nrows);
    int ink = preprocess_photo(x, NULL, &info, img, w, h, err);
    score(ms, nm, P_FULL, x, ink > 0, &info, label, rows, nrows);
    free(cp);
}

/* Reads DIR/manifest.tsv: file, digit, tags. Calls back for each line. */
typedef void (*EachFn)(void *ctx, const char *path, int digit, const char *tags);
static int each_line(const char *dir, EachFn fn, void *ctx, int limit) {
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    int count = 0;
    while (fgets(line, sizeof line, f) && (limit <= 0 || count < limit)) {
        char *t1 = strchr(line, '\t');
        if (!t1) continue;
        *t1 = 0;
        char *t2 = strchr(t1 + 1, '\t');
        if (t2) *t2 = 0;
        char *nl = strchr(t2 ? t2 + 1 : t1 + 1, '\n');
        if (nl) *nl = 0;
        snprintf(path, sizeof path, "%s/%s", dir, line);
        fn(ctx, path, atoi(t1 + 1), t2 ? t2 + 1 : "");
        count++;
    }
    fclose(f);
    return count;
}

typedef struct {
    Model *ms;
    int nm;
    const char *set;
    int variants;
    Rng rng;
} Ctx;

static void on_picture(void *vc, const char *path, int digit, const char *tags) {
    Ctx *c = vc;
    float *img;
    int w, h;
    char err[ERR_LEN];
    if (image_decode_file(path, &img, &w, &h, err) != 0) {
        fprintf(stderr, "reading_bench: %s\n", err);
        return;
    }
    const char *rows[3] = {c->set, NULL, NULL};
    int nrows = 1;
    if (!strcmp(c->set, "photos")) {
        if (strstr(tags, "polarity=light")) rows[nrows++] = "photos: light on dark";
        if (strstr(tags, "ink=pencil")) rows[nrows++] = "photos: pencil";
        else if (strstr(tags, "shadow")) rows[nrows++] = "photos: edge shadow";
    }
    g_source = path;
    score_picture(c->ms, c->nm, img, w, h, digit, rows, nrows);
    free(img);
}

/* ---- canvas drawings from glyph skeletons ---- */

typedef struct {
    float *xy;
    int n, cap;
} Poly;

static int poly_push(Poly *p, float x, float y) {
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        float *q = realloc(p->xy, sizeof(float) * 2 * (size_t)cap);
        if (!q) return -1;
        p->xy = q, p->cap = cap;
    }
    p->xy[2 * p->n] = x, p->xy[2 * p->n + 1] = y;
    p->n++;
    return 0;
}

/* Traces the skeleton m (h, w) into polylines: from end points first, then what is left (loops),
 * keeping every third pixel; a chain that stops next to an earlier one is joined to it. */
static int trace(uint8_t *m, int w, int h, Poly *polys, int max) {
    static const int dx[8] = {1, 0, -1, 0, 1, -1, -1, 1}, dy[8] = {0, 1, 0, -1, 1, 1, -1, -1};
    uint8_t *seen = calloc((size_t)w * h, 1);
    int np = 0;
    for (int pass = 0; pass < 2 && np < max; pass++)
        for (int y = 0; y < h && np < max; y++)
            for (int x = 0; x < w && np < max; x++) {
                size_t i = (size_t)y * w + x;
                if (!m[i] || seen[i]) continue;
                int deg = 0;
                for (int k = 0; k < 8; k++) {
                    int a = x + dx[k], b = y + dy[k];
                    deg += a >= 0 && b >= 0 && a < w && b < h && m[(size_t)b * w + a];
                }
                if (pass == 0 && deg > 1) continue;
                Poly *p = &polys[np++];
                memset(p, 0, sizeof *p);
                int cx = x, cy = y, step = 0;
                /* a start next to an already traced pixel joins it */
                for (int k = 0; k < 8; k++) {
                    int a = cx + dx[k], b = cy + dy[k];
                    if (a >= 0 && b >= 0 && a < w && b < h && m[(size_t)b * w + a] && seen[(size_t)b * w + a]) {
                        poly_push(p, a + 0.5f, b + 0.5f);
                        break;
                    }
                }
                for (;;) {
                    seen[(size_t)cy * w + cx] = 1;
                    if (step++ % 3 == 0) poly_push(p, cx + 0.5f, cy + 0.5f);
                    int nx = -1, ny = -1;
                    for (int k = 0; k < 8 && nx < 0; k++) {
                        int a = cx + dx[k], b = cy + dy[k];
                        if (a >= 0 && b >= 0 && a < w && b < h && m[(size_t)b * w + a] && !seen[(size_t)b * w + a]) nx = a, ny = b;
                    }
                    if (nx < 0) break;
                    cx = nx, cy = ny;
                }
                poly_push(p, cx + 0.5f, cy + 0.5f);
                for (int k = 0; k < 8; k++) { /* join the end to a traced neighbour, closing loops */
                    int a = cx + dx[k], b = cy + dy[k];
                    if (a >= 0 && b >= 0 && a < w && b < h && m[(size_t)b * w + a] && seen[(size_t)b * w + a] &&
                        !(p->n >= 2 && fabsf(p->xy[2 * p->n - 4] - (a + 0.5f)) < 0.1f &&
                          fabsf(p->xy[2 * p->n - 3] - (b + 0.5f)) < 0.1f)) {
                        poly_push(p, a + 0.5f, b + 0.5f);
                        break;
                    }
                }
            }
    free(seen);
    return np;
}

static const float SIZES[] = {0.25f, 0.33f, 0.5f, 0.75f, 1.0f};
static const float PENS[] = {1.2f, 4.0f, 10.0f, CANVAS_PEN_FRAC * CANVAS_SIDE};

static void on_glyph(void *vc, const char *path, int digit, const char *tags) {
    (void)tags;
    Ctx *c = vc;
    float *img;
    int w, h;
    char err[ERR_LEN];
    if (image_decode_file(path, &img, &w, &h, err) != 0) {
        fprintf(stderr, "reading_bench: %s\n", err);
        return;
    }
    uint8_t *m = malloc((size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++) m[i] = img[i] > 0.5f;
    free(img);
    ink_thin(m, w, h);
    Poly polys[64];
    int np = trace(m, w, h, polys, 64);
    free(m);
    Canvas cv;
    if (canvas_init(&cv, CANVAS_SIDE, err) != 0) return;
    for (int v = 0; v < c->variants; v++) {
        float size = SIZES[rng_below(&c->rng, 5)], pen = PENS[rng_below(&c->rng, 4)];
        int place = (int)rng_below(&c->rng, 3);
        double ext = (w > h ? w : h), s = size * (CANVAS_SIDE - 2 * pen - 4) / ext;
        double dw = w * s, dh = h * s, margin = pen + 2;
        double ox, oy;
        if (place == 0) ox = (CANVAS_SIDE - dw) / 2, oy = (CANVAS_SIDE - dh) / 2;
        else if (place == 1) {
            int corner = (int)rng_below(&c->rng, 4);
            ox = corner & 1 ? CANVAS_SIDE - margin - dw : margin;
            oy = corner & 2 ? CANVAS_SIDE - margin - dh : margin;
        } else {
            ox = margin + rng_uniform(&c->rng) * (CANVAS_SIDE - 2 * margin - dw);
            oy = margin + rng_uniform(&c->rng) * (CANVAS_SIDE - 2 * margin - dh);
        }
        canvas_clear(&cv);
        cv.radius = pen;
        for (int k = 0; k < np; k++) {
            Poly *p = &polys[k];
            if (p->n < 1) continue;
            canvas_stroke_begin(&cv, (float)(ox + p->xy[0] * s), (float)(oy + p->xy[1] * s), 0);
            for (int i = 1; i < p->n; i++) canvas_stroke_extend(&cv, (float)(ox + p->xy[2 * i] * s), (float)(oy + p->xy[2 * i + 1] * s));
            canvas_stroke_end(&cv);
        }
        const char *rows[5] = {"canvas: all"};
        int nr = 1;
        if (size <= 0.5f) rows[nr++] = "canvas: small (<= 1/2 side)";
        if (pen <= 1.5f) rows[nr++] = "canvas: hairline pen";
        if (pen >= 20.0f) rows[nr++] = "canvas: default fat pen";
        if (place) rows[nr++] = "canvas: corner or off-centre";
        float x[784];
        PreInfo info;
        memset(&info, 0, sizeof info);
        info.ink = preprocess_naive(x, cv.px, cv.side, cv.side);
        if (info.ink) preprocess_measure(&info, x);
        score(c->ms, c->nm, P_NAIVE, x, info.ink, &info, digit, rows, nr);
        memset(&info, 0, sizeof info);
        info.ink = preprocess_digit(x, cv.px, cv.side, cv.side, 0.05f);
        if (info.ink) preprocess_measure(&info, x);
        score(c->ms, c->nm, P_LEGACY, x, info.ink, &info, digit, rows, nr);
        int ink = canvas_input(&cv, x, NULL, &info);
        score(c->ms, c->nm, P_FULL, x, ink, &info, digit, rows, nr);
    }
    canvas_free(&cv);
    for (int k = 0; k < np; k++) free(polys[k].xy);
}

int main(int argc, char **argv) {
    const char *sets = NULL, *mnist = NULL;
    int variants = 10, limit = 0, nm = 0;
    Model ms[4];
    char err[ERR_LEN];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mnist") && i + 1 < argc) mnist = argv[++i];
        else if (!strcmp(argv[i], "--variants") && i + 1 < argc) variants = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) g_dump = argv[++i];
        else if (!sets) sets = argv[i];
        else if (nm < 4) {
            Model *m = &ms[nm];
            memset(m, 0, sizeof *m);
            ModelMeta meta = {0};
            if (model_load(argv[i], &m->net, &meta, err) != 0 || netwk_create(&m->wk, &m->net, 1, err) != 0) {
                fprintf(stderr, "reading_bench: %s\n", err);
                return 1;
            }
            m->T = calib_model_temperature(&meta);
            m->path = argv[i];
            nm++;
        }
    }
    if (!sets || nm == 0) {
        fprintf(stderr, "usage: reading_bench SETS_DIR [--mnist DIR] [--variants N] [--limit N] MODEL...\n");
        return 2;
    }
    Ctx c = {ms, nm, "canvas", variants, {{0}}};
    rng_seed(&c.rng, 1);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/glyphs", sets);
    if (each_line(dir, on_glyph, &c, limit) < 0) fprintf(stderr, "reading_bench: no %s/manifest.tsv\n", dir);
    static const char *pic_sets[] = {"photos", "fonts", "uci", "letters (not digits)"};
    static const char *pic_dirs[] = {"photos", "fonts", "uci", "letters"};
    for (int s = 0; s < 4; s++) {
        c.set = pic_sets[s];
        snprintf(dir, sizeof dir, "%s/%s", sets, pic_dirs[s]);
        if (each_line(dir, on_picture, &c, limit) < 0) fprintf(stderr, "reading_bench: no %s/manifest.tsv\n", dir);
    }
    if (mnist) { /* MNIST's test digits as pictures: what the pipelines do to data that is already right */
        Dataset te = {0};
        if (dataset_load_dir(mnist, NULL, &te, err) == 0) {
            float x[784];
            int y;
            const char *rows[1] = {"mnist test (as pictures)"};
            for (int i = 0; i < te.n && (limit <= 0 || i < 10 * limit); i++) {
                dataset_slice(&te, i, 1, x, &y);
                score_picture(ms, nm, x, 28, 28, y, rows, 1);
            }
            dataset_free(&te);
        } else {
            fprintf(stderr, "reading_bench: %s\n", err);
        }
    }
    for (int k = 0; k < nm; k++) {
        Model *m = &ms[k];
        printf("\nmodel %s (temperature %.3f)\n\n", m->path, m->T);
        printf("| set | n | naive | legacy | full | full: sure | full: right when sure | full: blank |\n");
        printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int r = 0; r < m->nrows; r++) {
            Row *row = &m->rows[r];
            printf("| %s | %ld", row->name, row->n[P_FULL]);
            for (int p = 0; p < NPIPE; p++) printf(" | %.1f%%", row->n[p] ? 100.0 * row->right[p] / row->n[p] : 0.0);
            long n = row->n[P_FULL];
            printf(" | %.1f%% | %.1f%% | %.1f%% |\n", n ? 100.0 * row->sure[P_FULL] / n : 0.0,
                   row->sure[P_FULL] ? 100.0 * row->sure_right[P_FULL] / row->sure[P_FULL] : 0.0,
                   n ? 100.0 * row->blank[P_FULL] / n : 0.0);
        }
        netwk_free(&m->wk);
        net_free(&m->net);
    }
    return 0;
}

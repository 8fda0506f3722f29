/* test_preprocess.c - preprocess_digit against MNIST's recipe (centre of mass at (14,14), longer
 * side 20 px, aspect kept, anti-aliased, values in [0,1]), odd sizes that must not crash,
 * auto-invert, and the PGM decoder on good and bad bytes. */
#include "check.h"
#include "common.h"
#include "dataset.h"
#include "preprocess.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A call that must fail with a message containing substr. */
#define CHECK_ERR(call, err, substr)                                                                \
    do {                                                                                            \
        (err)[0] = '\0';                                                                            \
        int rc_ = (call);                                                                           \
        CHECK(rc_ != 0 && strstr((err), (substr)) != NULL, "%s: rc=%d err='%s', want '%s'", #call,  \
              rc_, (err), (substr));                                                                \
    } while (0)

#define N28 (PRE_SIDE * PRE_SIDE)

typedef struct {
    double mass, cx, cy; /* centre of mass in pixel-index coordinates */
    int x0, x1, y0, y1;  /* box of pixels > 0.05, x1 < x0 when none */
    float lo, hi;
    int nan, partial;    /* NaN count; count of values strictly inside (0.05, 0.95) */
} Stats;

static Stats stats_of(const float *o)
{
    Stats s = {0, 0, 0, PRE_SIDE, -1, PRE_SIDE, -1, 1e9f, -1e9f, 0, 0};
    for (int y = 0; y < PRE_SIDE; y++)
        for (int x = 0; x < PRE_SIDE; x++) {
            float v = o[y * PRE_SIDE + x];
            if (v != v) {
                s.nan++;
                continue;
            }
            s.lo = v < s.lo ? v : s.lo;
            s.hi = v > s.hi ? v : s.hi;
            s.mass += v;
            s.cx += v * x;
            s.cy += v * y;
            if (v > 0.05f) {
                s.x0 = x < s.x0 ? x : s.x0;
                s.x1 = x > s.x1 ? x : s.x1;
                s.y0 = y < s.y0 ? y : s.y0;
                s.y1 = y > s.y1 ? y : s.y1;
            }
            if (v > 0.05f && v < 0.95f)
                s.partial++;
        }
    if (s.mass > 0) {
        s.cx /= s.mass;
        s.cy /= s.mass;
    }
    return s;
}

/* MNIST shifts by whole pixels, so the centre of mass lands within 0.5 px of (14, 14). */
static int com_ok(const Stats *s)
{
    return fabs(s->cx - 14.0) <= 0.5 + 1e-6 && fabs(s->cy - 14.0) <= 0.5 + 1e-6;
}

static float *canvas(int w, int h)
{
    return calloc((size_t)w * (size_t)h, sizeof(float));
}

static void fill_rect(float *img, int w, int x0, int y0, int x1, int y1, float v)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            img[(size_t)y * (size_t)w + (size_t)x] = v;
}

static void fill_disk(float *img, int w, int h, double cx, double cy, double r, float v)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            if (dx * dx + dy * dy <= r * r)
                img[(size_t)y * (size_t)w + (size_t)x] = v;
        }
}

static int all_in_range(const float *o)
{
    for (int i = 0; i < N28; i++)
        if (!(o[i] >= 0.0f && o[i] <= 1.0f))
            return 0;
    return 1;
}

static void test_centre_of_mass(void)
{
    float out[N28];
    float *img = canvas(280, 280);
    fill_disk(img, 280, 280, 60, 200, 25, 1.0f);
    CHECK(preprocess_digit(out, img, 280, 280, 0.05f) == 1, "disk has ink");
    Stats s = stats_of(out);
    CHECK(com_ok(&s), "disk COM (%.3f, %.3f)", s.cx, s.cy);
    CHECK(s.y1 - s.y0 + 1 >= 19 && s.y1 - s.y0 + 1 <= 21 && s.x1 - s.x0 + 1 >= 19 && s.x1 - s.x0 + 1 <= 21,
          "disk box %dx%d", s.x1 - s.x0 + 1, s.y1 - s.y0 + 1);
    CHECK(all_in_range(out) && s.hi > 0.99f, "disk values in [0,1], peak %g", s.hi);
    CHECK(s.partial >= 8, "disk edge is anti-aliased (%d partial pixels)", s.partial);

    /* Lopsided: a round blob at the top and an off-centre tail, so COM != box centre
     * (mild enough that the box needs no clamping to the frame). */
    memset(img, 0, sizeof(float) * 280 * 280);
    fill_disk(img, 280, 280, 150, 90, 30, 1.0f);
    fill_rect(img, 280, 165, 90, 185, 230, 0.8f);
    CHECK(preprocess_digit(out, img, 280, 280, 0.05f) == 1, "lopsided has ink");
    s = stats_of(out);
    CHECK(com_ok(&s), "lopsided COM (%.3f, %.3f)", s.cx, s.cy);
    CHECK(s.y1 - s.y0 + 1 >= 19 && s.y1 - s.y0 + 1 <= 21, "lopsided height %d", s.y1 - s.y0 + 1);
    CHECK(all_in_range(out), "lopsided values in [0,1]");

    /* Grey ink keeps its level: intensity 0.5 stays ~0.5 inside the shape. */
    memset(img, 0, sizeof(float) * 280 * 280);
    fill_rect(img, 280, 100, 40, 180, 240, 0.5f);
    preprocess_digit(out, img, 280, 280, 0.05f);
    CHECK(fabsf(out[14 * PRE_SIDE + 14] - 0.5f) < 1e-4f, "grey level kept (%g)", out[14 * PRE_SIDE + 14]);
    free(img);
}

static void test_aspect(void)
{
    float out[N28];
    /* Tall thin stroke: 240 tall, 6 wide -> 20 tall, at least 1 px wide. */
    float *img = canvas(280, 280);
    fill_rect(img, 280, 200, 20, 206, 260, 1.0f);
    CHECK(preprocess_digit(out, img, 280, 280, 0.05f) == 1, "thin stroke has ink");
    Stats s = stats_of(out);
    int bh = s.y1 - s.y0 + 1, bw = s.x1 - s.x0 + 1;
    CHECK(bh >= 19 && bh <= 21 && bw >= 1 && bw <= 2, "thin stroke box %dx%d", bw, bh);
    CHECK(com_ok(&s), "thin stroke COM (%.3f, %.3f)", s.cx, s.cy);
    CHECK(s.hi > 0.45f, "thin stroke stays visible (peak %g)", s.hi);

    /* Tall bar 40x200 -> 4x20: aspect kept. */
    memset(img, 0, sizeof(float) * 280 * 280);
    fill_rect(img, 280, 30, 50, 70, 250, 1.0f);
    preprocess_digit(out, img, 280, 280, 0.05f);
    s = stats_of(out);
    bh = s.y1 - s.y0 + 1;
    bw = s.x1 - s.x0 + 1;
    CHECK(bh >= 19 && bh <= 21 && bw >= 4 && bw <= 5, "tall bar box %dx%d", bw, bh);
    CHECK(fabs(s.mass - 80.0) < 0.5, "tall bar ink mass %.3f (4x20 = 80)", s.mass);

    /* Wide bar 200x40 -> 20x4. */
    memset(img, 0, sizeof(float) * 280 * 280);
    fill_rect(img, 280, 10, 200, 210, 240, 1.0f);
    preprocess_digit(out, img, 280, 280, 0.05f);
    s = stats_of(out);
    bh = s.y1 - s.y0 + 1;
    bw = s.x1 - s.x0 + 1;
    CHECK(bw >= 19 && bw <= 21 && bh >= 4 && bh <= 5, "wide bar box %dx%d", bw, bh);
    CHECK(com_ok(&s), "wide bar COM (%.3f, %.3f)", s.cx, s.cy);

    /* COM far off the box centre: the box is kept inside the frame, so no ink is cut off. */
    memset(img, 0, sizeof(float) * 280 * 280);
    fill_rect(img, 280, 20, 100, 60, 140, 1.0f);  /* heavy square at the left */
    fill_rect(img, 280, 60, 118, 220, 121, 1.0f); /* thin arm to the right */
    preprocess_digit(out, img, 280, 280, 0.05f);
    s = stats_of(out);
    double src_mass = 40.0 * 40.0 + 160.0 * 3.0, scale = 20.0 / 200.0;
    CHECK(fabs(s.mass - src_mass * scale * scale) < 0.02 * src_mass * scale * scale, "clamped: mass %.3f vs %.3f",
          s.mass, src_mass * scale * scale);
    CHECK(s.x0 >= 0 && s.x1 <= 27 && s.x1 - s.x0 + 1 >= 19, "clamped box x %d..%d", s.x0, s.x1);
    CHECK(all_in_range(out), "clamped values in [0,1]");
    free(img);
}

static void test_blank_and_odd(void)
{
    float out[N28];
    for (int i = 0; i < N28; i++)
        out[i] = 7.0f;
    float *img = canvas(50, 40);
    CHECK(preprocess_digit(out, img, 50, 40, 0.05f) == 0, "blank returns 0");
    Stats s = stats_of(out);
    CHECK(s.lo == 0.0f && s.hi == 0.0f, "blank gives zeros");
    for (int i = 0; i < 50 * 40; i++)
        img[i] = 0.01f; /* faint noise below the threshold */
    CHECK(preprocess_digit(out, img, 50, 40, 0.05f) == 0, "noise below threshold is blank");
    CHECK(preprocess_digit(out, img, 0, 40, 0.05f) == 0 && preprocess_digit(out, NULL, 5, 5, 0.05f) == 0,
          "empty sizes are blank");
    free(img);

    float one = 1.0f;
    CHECK(preprocess_digit(out, &one, 1, 1, 0.05f) == 1, "1x1 ink");
    s = stats_of(out);
    CHECK(all_in_range(out) && com_ok(&s), "1x1 COM (%.2f, %.2f)", s.cx,
          s.cy);
    CHECK(s.x1 - s.x0 + 1 >= 19 && s.x1 - s.x0 + 1 <= 21, "1x1 grows to the 20 px box (%d)", s.x1 - s.x0 + 1);

    float six[6] = {0, 1, 0, 0.5f, 1, 0};
    CHECK(preprocess_digit(out, six, 2, 3, 0.05f) == 1 && all_in_range(out), "2x3");
    CHECK(preprocess_digit(out, six, 3, 2, 0.05f) == 1 && all_in_range(out), "3x2");

    /* Very wide and very tall one-pixel images. */
    int big = 100000;
    float *line = canvas(big, 1);
    for (int i = 0; i < big; i += 3)
        line[i] = 1.0f;
    CHECK(preprocess_digit(out, line, big, 1, 0.05f) == 1 && all_in_range(out), "100000x1");
    s = stats_of(out);
    CHECK(s.x1 - s.x0 + 1 >= 19 && s.y1 - s.y0 + 1 <= 2, "wide line box %dx%d", s.x1 - s.x0 + 1, s.y1 - s.y0 + 1);
    CHECK(preprocess_digit(out, line, 1, big, 0.05f) == 1 && all_in_range(out), "1x100000");
    s = stats_of(out);
    CHECK(s.y1 - s.y0 + 1 >= 19 && s.x1 - s.x0 + 1 <= 2, "tall line box %dx%d", s.x1 - s.x0 + 1, s.y1 - s.y0 + 1);
    /* Ink only in the last pixel of the buffer. */
    memset(line, 0, sizeof(float) * (size_t)big);
    line[big - 1] = 1.0f;
    CHECK(preprocess_digit(out, line, big, 1, 0.05f) == 1 && all_in_range(out), "ink at the very end");
    CHECK(preprocess_digit(out, line, 400, 250, 0.05f) == 1 && all_in_range(out), "ink in the last corner");
    free(line);

    /* Out-of-range and NaN input: clamped, never NaN out. */
    float odd[16] = {0, -3, 0, 0, 0, 5.0f, NAN, 0, 0, 0.7f, 2.0f, 0, 0, 0, 0, -1};
    CHECK(preprocess_digit(out, odd, 4, 4, 0.05f) == 1, "odd values have ink");
    s = stats_of(out);
    CHECK(s.nan == 0 && all_in_range(out), "odd values clamped (nan %d, %g..%g)", s.nan, s.lo, s.hi);
    float nan_only[4] = {NAN, NAN, NAN, NAN};
    CHECK(preprocess_digit(out, nan_only, 2, 2, 0.05f) == 0 && stats_of(out).hi == 0.0f, "all NaN is blank");
}

static void test_auto_invert(void)
{
    int w = 30, h = 20;
    float *img = canvas(w, h);
    for (int i = 0; i < w * h; i++)
        img[i] = 0.9f;
    fill_rect(img, w, 10, 5, 14, 15, 0.1f); /* dark ink on paper */
    CHECK(preprocess_auto_invert(img, w, h) == 1, "light background inverts");
    CHECK(fabsf(img[0] - 0.1f) < 1e-6f && fabsf(img[7 * w + 12] - 0.9f) < 1e-6f, "inverted values %g %g", img[0],
          img[7 * w + 12]);
    CHECK(preprocess_auto_invert(img, w, h) == 0, "now dark: no invert");
    CHECK(fabsf(img[0] - 0.1f) < 1e-6f, "dark image untouched");
    float one = 0.8f;
    CHECK(preprocess_auto_invert(&one, 1, 1) == 1 && fabsf(one - 0.2f) < 1e-6f, "1x1 light");
    float row[3] = {0.0f, 1.0f, 0.0f};
    CHECK(preprocess_auto_invert(row, 3, 1) == 0, "1x3 dark");
    CHECK(preprocess_auto_invert(row, 0, 0) == 0, "empty");
    /* A light centre on a dark border is left alone. */
    memset(img, 0, sizeof(float) * (size_t)(w * h));
    fill_rect(img, w, 1, 1, w - 1, h - 1, 1.0f);
    CHECK(preprocess_auto_invert(img, w, h) == 0, "dark border wins over a light centre");
    free(img);
}

static int parse(const char *bytes, size_t len, float **img, int *w, int *h, char *err)
{
    return image_parse_pgm((const unsigned char *)bytes, (unsigned long)len, img, w, h, err);
}

static void test_pgm(void)
{
    char err[ERR_LEN];
    float *img = NULL;
    int w = 0, h = 0;

    static const char p5[] = "P5\n# made by hand\n3 2\n# max\n255\n\x00\x80\xff\x10\x20\x30";
    CHECK(parse(p5, sizeof p5 - 1, &img, &w, &h, err) == 0, "P5: %s", err);
    CHECK(w == 3 && h == 2 && img && img[0] == 0.0f && fabsf(img[1] - 128.0f / 255) < 1e-6f && img[2] == 1.0f &&
              fabsf(img[5] - 48.0f / 255) < 1e-6f,
          "P5 values");
    free(img);
    img = NULL;

    static const char p5_16[] = "P5 2 1 1000\n\x03\xe8\x01\xf4";
    CHECK(parse(p5_16, sizeof p5_16 - 1, &img, &w, &h, err) == 0, "P5 16-bit: %s", err);
    CHECK(w == 2 && h == 1 && img && img[0] == 1.0f && fabsf(img[1] - 0.5f) < 1e-6f, "P5 16-bit values");
    free(img);
    img = NULL;

    static const char p5_cmt[] = "P5#c\n1\t1\r\n7#after maxval\n\x07";
    CHECK(parse(p5_cmt, sizeof p5_cmt - 1, &img, &w, &h, err) == 0 && img && img[0] == 1.0f,
          "P5 comments everywhere: %s", err);
    free(img);
    img = NULL;

    static const char p5_extra[] = "P5 1 1 255 \x40trailing";
    CHECK(parse(p5_extra, sizeof p5_extra - 1, &img, &w, &h, err) == 0 && fabsf(img[0] - 64.0f / 255) < 1e-6f,
          "P5 with bytes after the pixels: %s", err);
    free(img);
    img = NULL;

    const char *p2 = "P2\n# ascii\n4 2\n15\n0  3 7\n15 # comment in data\n\t1 2\r\n3 4";
    CHECK(parse(p2, strlen(p2), &img, &w, &h, err) == 0, "P2: %s", err);
    CHECK(w == 4 && h == 2 && img && img[3] == 1.0f && fabsf(img[2] - 7.0f / 15) < 1e-6f &&
              fabsf(img[7] - 4.0f / 15) < 1e-6f,
          "P2 values");
    free(img);
    img = NULL;

    /* The decoded image goes through invert + preprocess like a scan would. */
    const char *scan = "P2 5 5 1\n1 1 1 1 1\n1 1 0 1 1\n1 1 0 1 1\n1 1 0 1 1\n1 1 1 1 1\n";
    CHECK(parse(scan, strlen(scan), &img, &w, &h, err) == 0, "scan: %s", err);
    if (img) {
        float out[N28];
        CHECK(preprocess_auto_invert(img, w, h) == 1, "scan inverted");
        CHECK(preprocess_digit(out, img, w, h, 0.05f) == 1, "scan has a digit");
        Stats s = stats_of(out);
        CHECK(s.y1 - s.y0 + 1 >= 19 && s.x1 - s.x0 + 1 <= 8, "scan stroke box %dx%d", s.x1 - s.x0 + 1,
              s.y1 - s.y0 + 1);
        free(img);
        img = NULL;
    }

    /* Bad inputs. */
    CHECK_ERR(parse("", 0, &img, &w, &h, err), err, "too short");
    CHECK_ERR(parse("P6\n1 1 255\nabc", 14, &img, &w, &h, err), err, "bad magic");
    CHECK_ERR(parse("GIF89a", 6, &img, &w, &h, err), err, "bad magic");
    CHECK_ERR(parse("P51 1 255\n", 10, &img, &w, &h, err), err, "bad magic");
    CHECK_ERR(parse("P5\n1 1 0\n\x01", 10, &img, &w, &h, err), err, "maxval 0");
    CHECK_ERR(parse("P5\n1 1 65536\n\x01\x01", 15, &img, &w, &h, err), err, "maxval too large");
    CHECK_ERR(parse("P5\n0 1 255\n", 11, &img, &w, &h, err), err, "zero size");
    CHECK_ERR(parse("P5\n99999999999999999999 1 255\n", 30, &img, &w, &h, err), err, "width too large");
    CHECK_ERR(parse("P5\n70000 10 255\n", 16, &img, &w, &h, err), err, "width too large");
    CHECK_ERR(parse("P5\n60000 60000 255\n", 19, &img, &w, &h, err), err, "too large");
    CHECK_ERR(parse("P5\n10000 10000 255\n\x01\x02", 21, &img, &w, &h, err), err, "truncated pixel data");
    CHECK_ERR(parse("P5\n2 2 255\n\x01\x02\x03", 14, &img, &w, &h, err), err, "need 4 bytes, got 3");
    CHECK_ERR(parse("P5\n2 1 300\n\x01\x02\x03", 14, &img, &w, &h, err), err, "need 4 bytes, got 3");
    CHECK_ERR(parse("P5\n1 1 255", 10, &img, &w, &h, err), err, "truncated");
    CHECK_ERR(parse("P5\n1 1 255\n", 11, &img, &w, &h, err), err, "truncated");
    CHECK_ERR(parse("P5\n3", 4, &img, &w, &h, err), err, "missing height");
    CHECK_ERR(parse("P5\n3x3 255\n", 11, &img, &w, &h, err), err, "bad width");
    CHECK_ERR(parse("P5\n1 1 100\n\xc8", 12, &img, &w, &h, err), err, "above maxval");
    CHECK_ERR(parse("P2\n3 1 9\n1 2", 12, &img, &w, &h, err), err, "truncated");
    CHECK_ERR(parse("P2\n2 2 9\n1 2 3   \n\n", 19, &img, &w, &h, err), err, "truncated pixel data: got 3 of 4");
    CHECK_ERR(parse("P2\n2 1 9\n1 12", 13, &img, &w, &h, err), err, "above maxval");
    CHECK_ERR(parse("P2\n2 1 9\n1 x", 12, &img, &w, &h, err), err, "bad sample");
    CHECK_ERR(parse("P2\n2 1 9\n1 2x", 13, &img, &w, &h, err), err, "bad sample");
    CHECK_ERR(parse("P2 1000 1000 255\n1 2 3", 22, &img, &w, &h, err), err, "truncated");
    CHECK(img == NULL, "no image written on failure");

    /* Every prefix of a valid file fails cleanly (and never reads past len). */
    int prefix_fail = 0;
    for (size_t l = 0; l < sizeof p5 - 1; l++) {
        char *copy = malloc(l ? l : 1);
        memcpy(copy, p5, l);
        if (parse(copy, l, &img, &w, &h, err) != 0)
            prefix_fail++;
        else
            free(img);
        img = NULL;
        free(copy);
    }
    CHECK(prefix_fail == (int)(sizeof p5 - 1), "all %d prefixes rejected (%d)", (int)(sizeof p5 - 1), prefix_fail);
}

/* MNIST's digits already follow the recipe: a test digit blown up 10x (nearest neighbour) must
 * come back as itself. Needs the real data in $DIGITREC_DATA. */
static void test_mnist_round_trip(void)
{
    const char *dir = getenv("DIGITREC_DATA");
    char err[ERR_LEN];
    Dataset te = {0};
    if (!dir || dataset_load_dir(dir, NULL, &te, err) != 0) {
        printf("skipped: MNIST round trip (DIGITREC_DATA=%s: %s)\n", dir ? dir : "(unset)",
               dir ? err : "unset");
        return;
    }
    const int S = 10, W = 28 * S, count = 300;
    float *big = canvas(W, W);
    float x[N28], out[N28];
    double total = 0.0, worst = 0.0;
    int bad_com = 0;
    for (int n = 0; n < count && n < te.n; n++) {
        dataset_slice(&te, n, 1, x, NULL);
        for (int y = 0; y < W; y++)
            for (int i = 0; i < W; i++)
                big[y * W + i] = x[(y / S) * 28 + i / S];
        preprocess_digit(out, big, W, W, 0.05f);
        double d = 0.0;
        for (int i = 0; i < N28; i++)
            d += fabs(out[i] - x[i]);
        d /= N28;
        total += d;
        worst = d > worst ? d : worst;
        Stats s = stats_of(out);
        bad_com += !com_ok(&s);
    }
    CHECK(total / count < 0.002 && worst < 0.01, "MNIST digits survive: mean abs diff %.5f, worst %.5f",
          total / count, worst);
    CHECK(bad_com == 0, "%d of %d MNIST digits off-centre", bad_com, count);
    free(big);
    dataset_free(&te);
}

/* The frame preprocess_digit_frame returns maps the ink box onto where the input's ink is, and
 * preprocess_naive shrinks the whole picture (inverted when light). */
static void test_frame_and_naive(void)
{
    float out[N28];
    float *img = canvas(280, 280);
    fill_rect(img, 280, 100, 40, 140, 240, 1.0f); /* 40x200 -> 4x20 */
    PreFrame f;
    CHECK(preprocess_digit_frame(out, &f, img, 280, 280, 0.05f) == 1, "frame: ink");
    Stats s = stats_of(out);
    double u0 = f.offx + (100 - f.x0) * f.sx, u1 = f.offx + (140 - f.x0) * f.sx;
    double v0 = f.offy + (40 - f.y0) * f.sy, v1 = f.offy + (240 - f.y0) * f.sy;
    CHECK(fabs(u0 - s.x0) < 1e-6 && fabs(u1 - (s.x1 + 1)) < 1e-6 && fabs(v0 - s.y0) < 1e-6 && fabs(v1 - (s.y1 + 1)) < 1e-6,
          "frame maps the ink box [%g,%g)x[%g,%g) onto the input's ink %d..%d x %d..%d", u0, u1, v0, v1, s.x0, s.x1, s.y0, s.y1);
    float blank[N28];
    memset(img, 0, sizeof(float) * 280 * 280);
    CHECK(preprocess_digit_frame(blank, &f, img, 280, 280, 0.05f) == 0 && f.sx == 0 && f.offx == 0, "blank: zero frame");
    for (int i = 0; i < 280 * 70; i++)
        img[i] = 1.0f; /* 280x140: white top half, black bottom half -> rows 7..20 of the input */
    CHECK(preprocess_naive(out, img, 280, 140) == 1, "naive");
    CHECK(out[2 * PRE_SIDE + 14] == 0.0f && out[24 * PRE_SIDE + 14] == 0.0f && out[9 * PRE_SIDE + 14] == 1.0f &&
              out[16 * PRE_SIDE + 14] == 0.0f,
          "naive: mean 0.5 is kept; padding rows are 0 (%g %g %g %g)", out[2 * PRE_SIDE + 14], out[24 * PRE_SIDE + 14],
          out[9 * PRE_SIDE + 14], out[16 * PRE_SIDE + 14]);
    for (int i = 0; i < 280 * 105; i++)
        img[i] = 1.0f; /* three quarters white: light, so inverted */
    preprocess_naive(out, img, 280, 140);
    CHECK(out[9 * PRE_SIDE + 14] == 0.0f && out[19 * PRE_SIDE + 14] == 1.0f && out[2 * PRE_SIDE + 14] == 0.0f,
          "naive: a light picture is inverted (%g %g)", out[9 * PRE_SIDE + 14], out[19 * PRE_SIDE + 14]);
    free(img);
}

int main(void)
{
    test_centre_of_mass();
    test_aspect();
    test_blank_and_odd();
    test_auto_invert();
    test_pgm();
    test_mnist_round_trip();
    test_frame_and_naive();
    return check_summary("preprocess");
}

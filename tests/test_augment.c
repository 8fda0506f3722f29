/* test_augment.c - augmentation: identity parameters give the identity, the same (seed, epoch,
 * index) gives the same image on any thread, displacements stay within their configured
 * bounds, mass and centre stay plausible, extreme settings never read outside the image (run
 * under ASan), and the per-image cost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "check.h"
#include "common.h"
#include "kernels.h"

/* A digit-like image: a thick ring, off centre, with a stroke through it. */
static void make_digit(uint8_t *img, int variant) {
    memset(img, 0, AUG_PIXELS);
    double cx = 12.5 + variant % 3, cy = 13.0 + variant % 2, rr = 6.0 + variant % 4;
    for (int y = 0; y < AUG_SIDE; y++)
        for (int x = 0; x < AUG_SIDE; x++) {
            double d = fabs(hypot(x - cx, y - cy) - rr);
            double v = d < 1.5 ? 255.0 : d < 2.5 ? 255.0 * (2.5 - d) : 0.0;
            if (abs(x - (int)cx - (y - 14) / 3) <= 1 && y > 4 && y < 24) v = 255.0;
            img[y * AUG_SIDE + x] = (uint8_t)v;
        }
}

static void moments(const float *a, double *mass, double *cx, double *cy) {
    double m = 0, sx = 0, sy = 0;
    for (int y = 0; y < AUG_SIDE; y++)
        for (int x = 0; x < AUG_SIDE; x++) {
            double v = a[y * AUG_SIDE + x];
            m += v, sx += v * x, sy += v * y;
        }
    *mass = m, *cx = m > 0 ? sx / m : 0, *cy = m > 0 ? sy / m : 0;
}

static void test_validate(void) {
    AugmentParams p = augment_defaults(), z;
    char err[ERR_LEN];
    memset(&z, 0, sizeof z);
    CHECK(augment_validate(&p, err) == 0, "defaults invalid: %s", err);
    CHECK(augment_validate(&z, err) == 0, "zeros invalid: %s", err);
    AugmentParams b = p;
    b.rotate_deg = 200;
    CHECK(augment_validate(&b, err) == -1 && strstr(err, "rotate 200"), "rotate 200: %s", err);
    b = p, b.scale = NAN;
    CHECK(augment_validate(&b, err) == -1 && strstr(err, "scale"), "NaN scale: %s", err);
    b = p, b.elastic_sigma = 0.5f;
    CHECK(augment_validate(&b, err) == -1 && strstr(err, "elastic sigma"), "sigma 0.5: %s", err);
    b = p, b.shift = -1;
    CHECK(augment_validate(&b, err) == -1 && strstr(err, "shift"), "shift -1: %s", err);
}

static void test_identity(void) {
    AugmentParams z;
    memset(&z, 0, sizeof z);
    z.elastic_sigma = 4; /* unused without alpha */
    uint8_t img[AUG_PIXELS], b[AUG_PIXELS];
    float f[AUG_PIXELS], want[AUG_PIXELS];
    Rng r;
    rng_seed(&r, 7);
    for (int t = 0; t < 20; t++) {
        for (int i = 0; i < AUG_PIXELS; i++) img[i] = (uint8_t)rng_below(&r, 256); /* noise, full border */
        if (t == 1) memset(img, 0, sizeof img);
        augment_image(f, img, &z, 99, (uint64_t)t, (uint64_t)t * 31);
        augment_image_u8(b, img, &z, 99, (uint64_t)t, (uint64_t)t * 31);
        kernels_pixels_to_floats(want, img, AUG_PIXELS);
        CHECK(memcmp(f, want, sizeof f) == 0, "identity floats differ from pixel/255 (image %d)", t);
        CHECK(memcmp(b, img, sizeof b) == 0, "identity bytes differ (image %d)", t);
    }
}

static void test_determinism(void) {
    AugmentParams p = augment_defaults();
    enum { N = 100 };
    uint8_t *imgs = malloc((size_t)N * AUG_PIXELS);
    const uint8_t *ptr[N], *rev[N];
    uint64_t idx[N], ridx[N];
    for (int i = 0; i < N; i++) {
        make_digit(imgs + (size_t)i * AUG_PIXELS, i);
        ptr[i] = imgs + (size_t)i * AUG_PIXELS, idx[i] = 1000 + (uint64_t)i;
        rev[N - 1 - i] = ptr[i], ridx[N - 1 - i] = idx[i];
    }
    float *a = kernels_alloc((size_t)N * AUG_PIXELS), *b = kernels_alloc((size_t)N * AUG_PIXELS);
    float *c = kernels_alloc((size_t)N * AUG_PIXELS), one[AUG_PIXELS];
    kernels_set_threads(1);
    augment_batch(a, ptr, idx, N, &p, 5, 3);
    kernels_set_threads(2);
    augment_batch(b, ptr, idx, N, &p, 5, 3);
    augment_batch(c, rev, ridx, N, &p, 5, 3); /* other order: other threads take each image */
    kernels_set_threads(1);
    CHECK(memcmp(a, b, sizeof(float) * N * AUG_PIXELS) == 0, "1 and 2 threads differ");
    int same = 1;
    for (int i = 0; i < N; i++) same &= memcmp(a + (size_t)i * AUG_PIXELS, c + (size_t)(N - 1 - i) * AUG_PIXELS, sizeof one) == 0;
    CHECK(same, "the order of the batch changed an image");
    augment_image(one, ptr[17], &p, 5, 3, idx[17]);
    CHECK(memcmp(one, a + 17 * AUG_PIXELS, sizeof one) == 0, "a single call differs from the batch");
    /* and each of seed, epoch, index changes the image */
    float o2[AUG_PIXELS];
    augment_image(o2, ptr[17], &p, 6, 3, idx[17]);
    CHECK(memcmp(one, o2, sizeof one) != 0, "another seed gave the same image");
    augment_image(o2, ptr[17], &p, 5, 4, idx[17]);
    CHECK(memcmp(one, o2, sizeof one) != 0, "another epoch gave the same image");
    augment_image(o2, ptr[17], &p, 5, 3, idx[17] + 1);
    CHECK(memcmp(one, o2, sizeof one) != 0, "another index gave the same image");
    free(imgs), free(a), free(b), free(c);
}

/* The sampling map moves no pixel further than the parameters allow. */
static void test_bounds(void) {
    uint8_t img[AUG_PIXELS];
    float sx[AUG_PIXELS], sy[AUG_PIXELS];
    AugmentParams z;
    memset(&z, 0, sizeof z);
    double worst_shift = 0, worst_el = 0, worst_rot = 0, rms = 0;
    long nel = 0;
    for (int t = 0; t < 300; t++) {
        make_digit(img, t);
        /* shift only: every pixel moves by the same vector, each axis within shift */
        AugmentParams p = z;
        p.shift = 2.5f;
        augment_map(sx, sy, img, &p, 1, 0, (uint64_t)t);
        double ddx = sx[0] - 0, ddy = sy[0] - 0;
        for (int i = 0; i < AUG_PIXELS; i++) {
            double ex = fabs((sx[i] - i % AUG_SIDE) - ddx), ey = fabs((sy[i] - i / AUG_SIDE) - ddy);
            if (ex > 1e-4 || ey > 1e-4) worst_shift = 1e9;
        }
        if (fabs(ddx) > worst_shift) worst_shift = fabs(ddx);
        if (fabs(ddy) > worst_shift) worst_shift = fabs(ddy);
        /* elastic only: each component within elastic_max, RMS near alpha / (sqrt(12 pi) sigma) */
        p = z, p.elastic_alpha = 34, p.elastic_sigma = 4, p.elastic_max = 2.0f;
        augment_map(sx, sy, img, &p, 1, 0, (uint64_t)t);
        for (int i = 0; i < AUG_PIXELS; i++) {
            double ex = sx[i] - i % AUG_SIDE, ey = sy[i] - i / AUG_SIDE;
            if (fabs(ex) > worst_el) worst_el = fabs(ex);
            if (fabs(ey) > worst_el) worst_el = fabs(ey);
            rms += ex * ex + ey * ey, nel += 2;
        }
        /* rotation only: a pixel at distance d from the centre moves at most 2 d sin(r/2) */
        p = z, p.rotate_deg = 10;
        augment_map(sx, sy, img, &p, 1, 0, (uint64_t)t);
        double mass = 0, cx = 0, cy = 0;
        for (int i = 0; i < AUG_PIXELS; i++) mass += img[i], cx += img[i] * (double)(i % AUG_SIDE), cy += img[i] * (double)(i / AUG_SIDE);
        cx /= mass, cy /= mass;
        for (int i = 0; i < AUG_PIXELS; i++) {
            double d = hypot(i % AUG_SIDE - cx, i / AUG_SIDE - cy), m = hypot(sx[i] - i % AUG_SIDE, sy[i] - i / AUG_SIDE);
            double ratio = m / (2 * d * sin(10 * 3.14159265358979 / 360) + 1e-9);
            if (d > 1 && ratio > worst_rot) worst_rot = ratio;
        }
    }
    CHECK(worst_shift <= 2.5 + 1e-5, "shift moved a pixel by %g (limit 2.5)", worst_shift);
    CHECK(worst_shift > 2.0, "shift never came near its limit (%g): the range is not used", worst_shift);
    CHECK(worst_el <= 2.0 + 1e-6, "elastic displacement %g beyond elastic_max 2", worst_el);
    rms = sqrt(rms / nel);
    double want = 34 / (sqrt(12 * 3.14159265358979) * 4);
    /* interpolation between grid nodes and the clamp lower it a little */
    CHECK(rms > 0.6 * want && rms < 1.1 * want, "elastic RMS %g px, Simard's %g", rms, want);
    CHECK(worst_rot <= 1.0 + 1e-4, "rotation moved a pixel %g times its bound", worst_rot);
    printf("augment: shift max %.3f px, elastic max %.3f px, elastic RMS %.3f px (alpha 34 sigma 4: %.3f)\n",
           worst_shift, worst_el, rms, want);
}

/* Default augmentation keeps the ink and the centre plausible. */
static void test_mass(void) {
    AugmentParams p = augment_defaults();
    uint8_t img[AUG_PIXELS];
    float in[AUG_PIXELS], out[AUG_PIXELS];
    double lo = 1e9, hi = 0, far = 0;
    for (int t = 0; t < 500; t++) {
        make_digit(img, t);
        kernels_pixels_to_floats(in, img, AUG_PIXELS);
        augment_image(out, img, &p, 11, 0, (uint64_t)t);
        double m0, x0, y0, m1, x1, y1;
        moments(in, &m0, &x0, &y0);
        moments(out, &m1, &x1, &y1);
        double r = m1 / m0, d = hypot(x1 - x0, y1 - y0);
        if (r < lo) lo = r;
        if (r > hi) hi = r;
        if (d > far) far = d;
        int bad = 0;
        for (int i = 0; i < AUG_PIXELS; i++) bad |= !(out[i] >= 0.0f && out[i] <= 1.0f);
        CHECK(!bad, "image %d: a value outside [0, 1]", t);
    }
    /* zoom 0.9..1.1 changes the area by 0.81..1.21; a little ink can leave the frame */
    CHECK(lo > 0.7 && hi < 1.35, "ink ratio %.3f..%.3f", lo, hi);
    /* shift <= 2 per axis (2.83 diagonal) plus what the shear and elastic field move */
    CHECK(far < 4.5, "centre of mass moved %.2f px", far);
    printf("augment: ink kept %.3f..%.3f, centre moved at most %.2f px over 500 images\n", lo, hi, far);
}

/* The largest settings, on images that are ink to the edge, in an exactly sized heap buffer:
 * ASan reports any read outside it. */
static void test_extremes(void) {
    AugmentParams p = {180, 0.5f, 1, 14, 1000, 1, 14, 2, 1, 4};
    uint8_t *img = malloc(AUG_PIXELS), *ob = malloc(AUG_PIXELS);
    float *of = malloc(sizeof(float) * AUG_PIXELS);
    memset(img, 255, AUG_PIXELS);
    int bad = 0;
    for (int t = 0; t < 200; t++) {
        if (t == 100) for (int i = 0; i < AUG_PIXELS; i++) img[i] = (uint8_t)(i * 37);
        augment_image(of, img, &p, 3, (uint64_t)t, (uint64_t)t);
        augment_image_u8(ob, img, &p, 3, (uint64_t)t, (uint64_t)t);
        for (int i = 0; i < AUG_PIXELS; i++) bad |= !(of[i] >= 0.0f && of[i] <= 1.0f);
    }
    CHECK(!bad, "extreme settings gave values outside [0, 1]");
    p.elastic_sigma = 14;
    augment_image(of, img, &p, 3, 0, 0);
    free(img), free(ob), free(of);
}

static void test_speed(void) {
    AugmentParams p = augment_defaults();
    uint8_t img[AUG_PIXELS];
    float out[AUG_PIXELS];
    make_digit(img, 0);
    double best = 1e9;
    uint64_t k = 0;
    for (int trial = 0; trial < 7; trial++) { /* the best of 7: the machine may be shared */
        int n = 0;
        double t0 = time_now(), el;
        do {
            augment_image(out, img, &p, 1, 0, k++);
            n++;
        } while ((el = time_now() - t0) < 0.03);
        if (el / n < best) best = el / n;
    }
    printf("augment: %.1f us per image (defaults, one thread, best of 7)\n", best * 1e6);
    CHECK(best < 1e-3, "%.0f us per image", best * 1e6);
}

/* The ink changes: the same map as without them; a wider stroke has more ink and a thinner one
 * less, with the centre kept; a coarser grid keeps the peak and the centre and blurs; the same
 * triple gives the same image. */
static void test_ink(void) {
    char err[ERR_LEN];
    AugmentParams g = augment_defaults(), k = augment_ink_defaults();
    CHECK(augment_validate(&k, err) == 0, "ink defaults invalid: %s", err);
    AugmentParams b = k;
    b.lowres_side = 2;
    CHECK(augment_validate(&b, err) == -1 && strstr(err, "lowres side"), "lowres side 2: %s", err);
    uint8_t img[AUG_PIXELS];
    make_digit(img, 1);
    float sx0[AUG_PIXELS], sy0[AUG_PIXELS], sx1[AUG_PIXELS], sy1[AUG_PIXELS];
    augment_map(sx0, sy0, img, &g, 3, 1, 77);
    augment_map(sx1, sy1, img, &k, 3, 1, 77);
    CHECK(!memcmp(sx0, sx1, sizeof sx0) && !memcmp(sy0, sy1, sizeof sy0), "the ink changes moved the map");
    /* width alone, no geometry: over many draws, wider means more ink */
    AugmentParams w;
    memset(&w, 0, sizeof w);
    w.elastic_sigma = 4, w.ink_width = 1;
    float base[AUG_PIXELS], o[AUG_PIXELS];
    double m0, cx0, cy0, m, cx, cy, lo = 1e9, hi = 0, far = 0;
    kernels_pixels_to_floats(base, img, AUG_PIXELS);
    moments(base, &m0, &cx0, &cy0);
    for (uint64_t i = 0; i < 200; i++) {
        augment_image(o, img, &w, 9, 0, i);
        moments(o, &m, &cx, &cy);
        lo = m / m0 < lo ? m / m0 : lo, hi = m / m0 > hi ? m / m0 : hi;
        far = fmax(far, hypot(cx - cx0, cy - cy0));
    }
    CHECK(lo < 0.85 && lo > 0.4 && hi > 1.3 && hi < 2.5, "width changes the ink %.2f..%.2f times", lo, hi);
    CHECK(far < 0.5, "width moved the centre %.2f px", far);
    /* coarser grids alone */
    memset(&w, 0, sizeof w);
    w.elastic_sigma = 4, w.lowres = 1, w.lowres_side = 9;
    int blurred = 0;
    for (uint64_t i = 0; i < 50; i++) {
        augment_image(o, img, &w, 9, 0, i);
        float top = 0;
        int grey = 0, grey0 = 0;
        for (int j = 0; j < AUG_PIXELS; j++) {
            top = o[j] > top ? o[j] : top;
            grey += o[j] > 0.1f && o[j] < 0.9f, grey0 += base[j] > 0.1f && base[j] < 0.9f;
        }
        moments(o, &m, &cx, &cy);
        CHECK(fabsf(top - 1.0f) < 1e-5f, "a coarser grid keeps the peak (%.4f)", top);
        CHECK(hypot(cx - cx0, cy - cy0) < 0.6, "a coarser grid moved the centre %.2f px", hypot(cx - cx0, cy - cy0));
        blurred += grey > grey0;
    }
    CHECK(blurred == 50, "a coarser grid blurs (%d of 50 have more grey pixels)", blurred);
    float a1[AUG_PIXELS], a2[AUG_PIXELS];
    augment_image(a1, img, &k, 5, 2, 11);
    augment_image(a2, img, &k, 5, 2, 11);
    CHECK(!memcmp(a1, a2, sizeof a1), "the same triple gave two images");
}

int main(void) {
    test_validate();
    test_ink();
    test_identity();
    test_determinism();
    test_bounds();
    test_mass();
    test_extremes();
    test_speed();
    return check_summary("augment");
}

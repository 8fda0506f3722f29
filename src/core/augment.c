/* augment.c - random affine + elastic distortion of 28x28 bytes, sampled bilinearly (see
 * augment.h for the parameters). The randomness of one image comes from a generator seeded by
 * a hash of (seed, epoch, index) and nothing else. No allocation, no I/O. */
#include "augment.h"

#include <math.h>
#include <string.h>

#include "common.h"
#include "kernels.h"

#define PI 3.14159265358979323846
#define GRID_MAX 32 /* nodes per side of the elastic grid: sigma >= 1 needs at most 28 + 4 (even) */

AugmentParams augment_defaults(void) {
    AugmentParams p = {12.0f, 0.10f, 0.15f, 2.0f, 12.0f, 4.0f, 3.0f, 0.0f, 0.0f, 0.0f};
    return p;
}

AugmentParams augment_ink_defaults(void) {
    AugmentParams p = augment_defaults();
    p.ink_width = 1.0f, p.lowres = 0.3f, p.lowres_side = 9.0f;
    return p;
}

int augment_validate(const AugmentParams *p, char *err) {
    struct {
        const char *name;
        float v, lo, hi;
    } f[] = {{"rotate", p->rotate_deg, 0, 180},        {"scale", p->scale, 0, 0.5f},
             {"shear", p->shear, 0, 1},                {"shift", p->shift, 0, 14},
             {"elastic alpha", p->elastic_alpha, 0, 1000}, {"elastic sigma", p->elastic_sigma, 1, 14},
             {"elastic max", p->elastic_max, 0, 14},   {"ink width", p->ink_width, 0, 2},
             {"lowres", p->lowres, 0, 1},              {"lowres side", p->lowres_side, 4, 27}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (i == 5 && !(p->elastic_alpha > 0)) continue; /* sigma matters only with a field */
        if (i == 9 && !(p->lowres > 0)) continue;        /* and the side only with a chance */
        if (!(f[i].v >= f[i].lo && f[i].v <= f[i].hi))
            return err_set(err, "augment: %s %g outside %g..%g", f[i].name, (double)f[i].v, (double)f[i].lo,
                           (double)f[i].hi);
    }
    return 0;
}

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in [-1, 1) */
static double sym(Rng *r) { return 2.0 * rng_uniform(r) - 1.0; }

/* The elastic field at every pixel, dx, dy (784 each), in pixels. */
static void elastic_field(float *dx, float *dy, const AugmentParams *p, Rng *r) {
    double g = p->elastic_sigma;                 /* grid spacing = sigma: the blur is 1 node */
    int n = (int)ceil((AUG_SIDE - 1) / g) + 1;   /* nodes covering 0..27 */
    int m = n + 4;                               /* and 2 more each side for the 5-tap blur */
    double k1[5], ss = 0;
    for (int i = 0; i < 5; i++) k1[i] = exp(-0.5 * (i - 2) * (i - 2)), ss += k1[i];
    double sq = 0;
    for (int i = 0; i < 5; i++) k1[i] /= ss, sq += k1[i] * k1[i];
    /* the smoothed uniform(-1,1) noise has RMS sqrt(1/3) * sum k1^2 at the nodes; Simard's field
     * alpha * G_sigma * U has RMS alpha / (sqrt(12 pi) sigma) */
    double gain = p->elastic_alpha / (sqrt(12.0 * PI) * p->elastic_sigma) / (sqrt(1.0 / 3.0) * sq);
    float *field[2] = {dx, dy};
    int w0[AUG_SIDE]; /* pixel x lies between nodes w0[x] and w0[x] + 1, wf[x] of the way */
    double wf[AUG_SIDE];
    for (int x = 0; x < AUG_SIDE; x++) {
        double gx = x / g;
        w0[x] = (int)gx < n - 2 ? (int)gx : n - 2;
        wf[x] = gx - w0[x];
    }
    for (int f = 0; f < 2; f++) {
        double noise[GRID_MAX][GRID_MAX], rows[GRID_MAX][GRID_MAX], grid[GRID_MAX][GRID_MAX];
        /* two uniform(-1, 1) values from each 64-bit draw */
        for (int y = 0; y < m; y++)
            for (int x = 0; x < m; x += 2) {
                uint64_t bits = rng_next(r);
                noise[y][x] = (double)(int32_t)(uint32_t)bits * (1.0 / 2147483648.0);
                noise[y][x + 1] = (double)(int32_t)(uint32_t)(bits >> 32) * (1.0 / 2147483648.0);
            }
        for (int y = 0; y < m; y++) /* along x: m rows of n */
            for (int x = 0; x < n; x++) {
                double s = 0;
                for (int k = 0; k < 5; k++) s += k1[k] * noise[y][x + k];
                rows[y][x] = s;
            }
        for (int y = 0; y < n; y++) /* along y */
            for (int x = 0; x < n; x++) {
                double s = 0;
                for (int k = 0; k < 5; k++) s += k1[k] * rows[y + k][x];
                grid[y][x] = s * gain;
            }
        /* bilinear up to the pixels: along x for each node row, then along y */
        float up[GRID_MAX][AUG_SIDE], lim = p->elastic_max;
        for (int y = 0; y < n; y++)
            for (int x = 0; x < AUG_SIDE; x++)
                up[y][x] = (float)((1 - wf[x]) * grid[y][w0[x]] + wf[x] * grid[y][w0[x] + 1]);
        for (int y = 0; y < AUG_SIDE; y++) {
            float a = (float)(1 - wf[y]), b = (float)wf[y];
            const float *r0 = up[w0[y]], *r1 = up[w0[y] + 1];
            float *o = field[f] + y * AUG_SIDE;
            for (int x = 0; x < AUG_SIDE; x++) {
                float v = a * r0[x] + b * r1[x];
                o[x] = v > lim ? lim : v < -lim ? -lim : v;
            }
        }
    }
}

/* The ink changes drawn for one image, after its map. */
typedef struct {
    float width; /* > 0 dilate, < 0 erode, by that fraction */
    int side;    /* the coarser grid's side, 0 = none */
} InkOp;

/* The map (see augment_map) and, drawn after it from the same generator, the ink changes: the
 * map of a parameter set without ink changes is the same as with them. */
static void map_and_ink(float *sx, float *sy, InkOp *op, const uint8_t *img, const AugmentParams *p, uint64_t seed,
                        uint64_t epoch, uint64_t index) {
    Rng r;
    rng_seed(&r, mix64(mix64(mix64(seed) ^ epoch) ^ index));
    /* centre of mass: rotation and zoom about the digit, not the frame */
    double mass = 0, mx = 0, my = 0;
    for (int y = 0; y < AUG_SIDE; y++)
        for (int x = 0; x < AUG_SIDE; x++) {
            double v = img[y * AUG_SIDE + x];
            mass += v, mx += v * x, my += v * y;
        }
    double cx = mass > 0 ? mx / mass : (AUG_SIDE - 1) / 2.0, cy = mass > 0 ? my / mass : (AUG_SIDE - 1) / 2.0;
    /* always five draws, so a zero range changes no other parameter's value */
    double ang = sym(&r) * p->rotate_deg * (PI / 180.0), s = 1.0 + sym(&r) * p->scale, k = sym(&r) * p->shear;
    double tx = sym(&r) * p->shift, ty = sym(&r) * p->shift;
    double c = cos(ang), sn = sin(ang);
    float dx[AUG_PIXELS], dy[AUG_PIXELS];
    int elastic = p->elastic_alpha > 0 && p->elastic_max > 0;
    if (elastic) elastic_field(dx, dy, p, &r);
    /* output = M (input - centre) + centre + t with M = rotation * zoom * shear, inverted:
     * input = A output + B. With zero ranges A = I and B = 0 exactly, so the map is exact. */
    double a11 = (c + k * sn) / s, a12 = (sn - k * c) / s, a21 = -sn / s, a22 = c / s;
    double b1 = cx - a11 * (cx + tx) - a12 * (cy + ty), b2 = cy - a21 * (cx + tx) - a22 * (cy + ty);
    for (int y = 0; y < AUG_SIDE; y++)
        for (int x = 0; x < AUG_SIDE; x++) {
            int i = y * AUG_SIDE + x;
            float px = (float)(a11 * x + a12 * y + b1), py = (float)(a21 * x + a22 * y + b2);
            sx[i] = elastic ? px + dx[i] : px, sy[i] = elastic ? py + dy[i] : py;
        }
    op->width = 0, op->side = 0;
    if (p->ink_width > 0) op->width = (float)(sym(&r) * p->ink_width);
    if (p->lowres > 0 && rng_uniform(&r) < p->lowres) {
        int lo = (int)p->lowres_side;
        op->side = lo + (int)rng_below(&r, (uint32_t)(AUG_SIDE - lo));
    }
}

void augment_map(float *sx, float *sy, const uint8_t *img, const AugmentParams *p, uint64_t seed, uint64_t epoch,
                 uint64_t index) {
    InkOp op;
    map_and_ink(sx, sy, &op, img, p, seed, epoch, index);
}

/* v (784, 0..255) through op: the width change, then the coarser grid. */
static void ink_apply(float *v, const InkOp *op) {
    /* a dilation of more than 1 is one whole pass and the rest of a second; erosion at most half */
    for (float left = op->width > 0 ? op->width : fminf(0.5f, -0.5f * op->width); left > 0; left -= 1.0f) {
        float t[AUG_PIXELS], a = left < 1.0f ? left : 1.0f;
        int dil = op->width > 0;
        for (int y = 0; y < AUG_SIDE; y++)
            for (int x = 0; x < AUG_SIDE; x++) {
                int i = y * AUG_SIDE + x;
                /* outside the frame counts as paper (0) */
                float e = v[i], n[4] = {x > 0 ? v[i - 1] : 0, x + 1 < AUG_SIDE ? v[i + 1] : 0,
                                        y > 0 ? v[i - AUG_SIDE] : 0, y + 1 < AUG_SIDE ? v[i + AUG_SIDE] : 0};
                for (int k = 0; k < 4; k++) e = dil ? (n[k] > e ? n[k] : e) : (n[k] < e ? n[k] : e);
                t[i] = v[i] + a * (e - v[i]);
            }
        memcpy(v, t, sizeof t);
    }
    if (op->side > 0 && op->side < AUG_SIDE) {
        const int s = op->side;
        const double k = (double)AUG_SIDE / s; /* source pixels per coarse pixel */
        float top = 0, top2 = 0; /* the peak before and after: a preprocessed input keeps its ink level */
        for (int i = 0; i < AUG_PIXELS; i++) top = v[i] > top ? v[i] : top;
        float c[AUG_SIDE * AUG_SIDE], rows[AUG_SIDE * AUG_SIDE];
        /* area average: along x into rows (28, s), then along y into c (s, s) */
        for (int y = 0; y < AUG_SIDE; y++)
            for (int i = 0; i < s; i++) {
                double a0 = i * k, a1 = (i + 1) * k, acc = 0;
                for (int x = (int)a0; x < AUG_SIDE && x < a1; x++) acc += (fmin(a1, x + 1.0) - fmax(a0, (double)x)) * v[y * AUG_SIDE + x];
                rows[y * s + i] = (float)(acc / k);
            }
        for (int j = 0; j < s; j++)
            for (int i = 0; i < s; i++) {
                double a0 = j * k, a1 = (j + 1) * k, acc = 0;
                for (int y = (int)a0; y < AUG_SIDE && y < a1; y++) acc += (fmin(a1, y + 1.0) - fmax(a0, (double)y)) * rows[y * s + i];
                c[j * s + i] = (float)(acc / k);
            }
        /* bilinear back: pixel centre x + 0.5 lies at coarse position (x + 0.5) / k - 0.5 */
        for (int y = 0; y < AUG_SIDE; y++) {
            double fy = (y + 0.5) / k - 0.5;
            fy = fy < 0 ? 0 : (fy > s - 1 ? s - 1 : fy);
            int y0 = (int)fy < s - 1 ? (int)fy : s - 2;
            double wy = fy - y0;
            for (int x = 0; x < AUG_SIDE; x++) {
                double fx = (x + 0.5) / k - 0.5;
                fx = fx < 0 ? 0 : (fx > s - 1 ? s - 1 : fx);
                int x0 = (int)fx < s - 1 ? (int)fx : s - 2;
                double wx = fx - x0;
                const float *q = c + y0 * s + x0;
                float u = (float)((1 - wy) * ((1 - wx) * q[0] + wx * q[1]) + wy * ((1 - wx) * q[s] + wx * q[s + 1]));
                v[y * AUG_SIDE + x] = u;
                top2 = u > top2 ? u : top2;
            }
        }
        if (top2 > 0)
            for (int i = 0; i < AUG_PIXELS; i++) v[i] *= top / top2;
    }
}

/* Bilinear value (0..255 scale) of img at (x, y), zero outside; never reads outside img. */
static inline float sample(const uint8_t *img, float x, float y) {
    /* far outside is all zeros anyway; the test also keeps the floor in int range */
    if (!(x > -1.0f && x < (float)AUG_SIDE && y > -1.0f && y < (float)AUG_SIDE)) return 0.0f;
    float fx0 = floorf(x), fy0 = floorf(y);
    int x0 = (int)fx0, y0 = (int)fy0;
    float fx = x - fx0, fy = y - fy0;
    if (x0 >= 0 && y0 >= 0 && x0 < AUG_SIDE - 1 && y0 < AUG_SIDE - 1) { /* all four inside */
        const uint8_t *q = img + y0 * AUG_SIDE + x0;
        return (1 - fy) * ((1 - fx) * q[0] + fx * q[1]) + fy * ((1 - fx) * q[AUG_SIDE] + fx * q[AUG_SIDE + 1]);
    }
    float p00 = 0, p10 = 0, p01 = 0, p11 = 0;
    int inx0 = x0 >= 0, inx1 = x0 + 1 < AUG_SIDE, iny0 = y0 >= 0, iny1 = y0 + 1 < AUG_SIDE;
    if (iny0 && inx0) p00 = img[y0 * AUG_SIDE + x0];
    if (iny0 && inx1) p10 = img[y0 * AUG_SIDE + x0 + 1];
    if (iny1 && inx0) p01 = img[(y0 + 1) * AUG_SIDE + x0];
    if (iny1 && inx1) p11 = img[(y0 + 1) * AUG_SIDE + x0 + 1];
    /* at an integer position the weights are exactly 1, 0, 0, 0 and the pixel comes out exact */
    return (1 - fy) * ((1 - fx) * p00 + fx * p10) + fy * ((1 - fx) * p01 + fx * p11);
}

void augment_image(float *out, const uint8_t *img, const AugmentParams *p, uint64_t seed, uint64_t epoch,
                   uint64_t index) {
    float sx[AUG_PIXELS], sy[AUG_PIXELS], v[AUG_PIXELS];
    InkOp op;
    map_and_ink(sx, sy, &op, img, p, seed, epoch, index);
    for (int i = 0; i < AUG_PIXELS; i++) v[i] = sample(img, sx[i], sy[i]);
    ink_apply(v, &op);
    for (int i = 0; i < AUG_PIXELS; i++) out[i] = (v[i] > 255.0f ? 255.0f : v[i] < 0.0f ? 0.0f : v[i]) / 255.0f;
}

void augment_image_u8(uint8_t *out, const uint8_t *img, const AugmentParams *p, uint64_t seed, uint64_t epoch,
                      uint64_t index) {
    float sx[AUG_PIXELS], sy[AUG_PIXELS], v[AUG_PIXELS];
    InkOp op;
    map_and_ink(sx, sy, &op, img, p, seed, epoch, index);
    for (int i = 0; i < AUG_PIXELS; i++) v[i] = sample(img, sx[i], sy[i]);
    ink_apply(v, &op);
    for (int i = 0; i < AUG_PIXELS; i++) {
        float u = v[i] + 0.5f;
        out[i] = (uint8_t)(u >= 255.0f ? 255 : u <= 0.0f ? 0 : (int)u);
    }
}

typedef struct {
    float *out;
    const uint8_t *const *imgs;
    const uint64_t *indices;
    int n;
    const AugmentParams *p;
    uint64_t seed, epoch;
} BatchJob;

#define BATCH_TASK 8 /* images per task (~8 x 10 us) */

static void batch_task(void *ctx, int t) {
    const BatchJob *j = ctx;
    int i1 = (t + 1) * BATCH_TASK < j->n ? (t + 1) * BATCH_TASK : j->n;
    for (int i = t * BATCH_TASK; i < i1; i++)
        augment_image(j->out + (size_t)i * AUG_PIXELS, j->imgs[i], j->p, j->seed, j->epoch, j->indices[i]);
}

void augment_batch(float *out, const uint8_t *const *imgs, const uint64_t *indices, int n, const AugmentParams *p,
                   uint64_t seed, uint64_t epoch) {
    BatchJob j = {out, imgs, indices, n, p, seed, epoch};
    kernels_run(batch_task, &j, (n + BATCH_TASK - 1) / BATCH_TASK);
}

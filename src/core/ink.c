/* ink.c - Zhang-Suen thinning, skeleton length and stroke width (ink mass / skeleton length).
 * Plain loops over small images (a 28x28 input, or a working copy of a photo). */
#include "ink.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Neighbour p(k) of (x, y), k = 0..7 clockwise from north (Zhang and Suen's P2..P9). */
static int nb(const uint8_t *m, int w, int h, int x, int y, int k) {
    static const int dx[8] = {0, 1, 1, 1, 0, -1, -1, -1}, dy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
    int i = x + dx[k], j = y + dy[k];
    if (i < 0 || j < 0 || i >= w || j >= h) return 0;
    return m[(size_t)j * (size_t)w + (size_t)i] != 0;
}

int ink_thin(uint8_t *mask, int w, int h) {
    if (!mask || w < 1 || h < 1) return 0;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *del = malloc(n);
    if (!del) return -1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int pass = 0; pass < 2; pass++) {
            memset(del, 0, n);
            int any = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    if (!mask[(size_t)y * w + x]) continue;
                    int p[8], b = 0, a = 0;
                    for (int k = 0; k < 8; k++) b += p[k] = nb(mask, w, h, x, y, k);
                    if (b < 2 || b > 6) continue;
                    for (int k = 0; k < 8; k++) a += !p[k] && p[(k + 1) & 7];
                    if (a != 1) continue;
                    /* pass 0: P2*P4*P6 = 0 and P4*P6*P8 = 0; pass 1: P2*P4*P8 = 0 and P2*P6*P8 = 0 */
                    if (pass == 0 ? (p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])
                                  : (p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6]))
                        continue;
                    del[(size_t)y * w + x] = 1;
                    any = 1;
                }
            if (any) {
                for (size_t i = 0; i < n; i++)
                    if (del[i]) mask[i] = 0;
                changed = 1;
            }
        }
    }
    free(del);
    return 0;
}

double ink_skeleton_length(const uint8_t *m, int w, int h) {
    double len = 0.0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!m[(size_t)y * w + x]) continue;
            /* each link once: east, south, and the two lower diagonals */
            int e = nb(m, w, h, x, y, 2), s = nb(m, w, h, x, y, 4), sw = nb(m, w, h, x, y, 5), se = nb(m, w, h, x, y, 3);
            int west = nb(m, w, h, x, y, 6);
            len += e + s;
            if (se && !e && !s) len += M_SQRT2;
            if (sw && !west && !s) len += M_SQRT2;
        }
    return len;
}

double ink_stroke_width(const float *img, int w, int h, float level) {
    if (!img || w < 1 || h < 1) return 0.0;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *m = malloc(n);
    if (!m) return -1.0;
    double mass = 0.0;
    for (size_t i = 0; i < n; i++) {
        float v = img[i];
        v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
        mass += v;
        m[i] = v >= level;
    }
    if (ink_thin(m, w, h) != 0) {
        free(m);
        return -1.0;
    }
    double len = ink_skeleton_length(m, w, h);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += m[i];
    free(m);
    if (count == 0) return 0.0;
    if (len < 1.0) len = 1.0; /* a dot: one pixel of skeleton */
    return mass / len;
}

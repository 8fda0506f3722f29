/* stroke_width.c - the typical stroke width of a set of 28x28 digits: ink_stroke_width (ink mass /
 * skeleton length at level 0.5) of every image of an IDX file, printed as quantiles. Run by hand:
 *   bench/reading/stroke_width DIR_WITH_MNIST [train|test]
 * It measures; it does not change or write anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dataset.h"
#include "ink.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: stroke_width MNIST_DIR [train|test]\n");
        return 2;
    }
    int use_test = argc > 2 && !strcmp(argv[2], "test");
    char err[ERR_LEN];
    Dataset tr = {0}, te = {0};
    if (dataset_load_dir(argv[1], use_test ? NULL : &tr, use_test ? &te : NULL, err) != 0) {
        fprintf(stderr, "stroke_width: %s\n", err);
        return 1;
    }
    Dataset *ds = use_test ? &te : &tr;
    int n = ds->n;
    double *wd = malloc(sizeof(double) * (size_t)n), *len = malloc(sizeof(double) * (size_t)n);
    double *mass = malloc(sizeof(double) * (size_t)n), *shortside = malloc(sizeof(double) * (size_t)n), mass_sum = 0;
    float x[784];
    uint8_t m[784];
    for (int i = 0; i < n; i++) {
        dataset_slice(ds, i, 1, x, NULL);
        wd[i] = ink_stroke_width(x, 28, 28, 0.5f);
        double ms = 0;
        int x0 = 28, x1 = -1, y0 = 28, y1 = -1;
        for (int k = 0; k < 784; k++) {
            ms += x[k];
            m[k] = x[k] >= 0.5f;
            if (x[k] > 0.05f) {
                int c = k % 28, r = k / 28;
                x0 = c < x0 ? c : x0, x1 = c > x1 ? c : x1, y0 = r < y0 ? r : y0, y1 = r > y1 ? r : y1;
            }
        }
        ink_thin(m, 28, 28);
        len[i] = ink_skeleton_length(m, 28, 28);
        mass[i] = ms;
        mass_sum += ms;
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        shortside[i] = bw > bh ? (double)bh / bw : 10 + (double)bw / bh; /* wider than tall: h/w; else 10 + w/h */
    }
    qsort(wd, (size_t)n, sizeof(double), cmp_double);
    qsort(len, (size_t)n, sizeof(double), cmp_double);
    qsort(mass, (size_t)n, sizeof(double), cmp_double);
    qsort(shortside, (size_t)n, sizeof(double), cmp_double);
    int wider = 0;
    while (wider < n && shortside[wider] < 10) wider++;
    printf("skeleton length: min %.1f p0.1 %.1f p1 %.1f median %.1f; ink mass: min %.1f p0.1 %.1f p1 %.1f; "
           "%d of %d wider than tall, height/width min %.3f p0.1 %.3f p1 %.3f\n",
           len[0], len[n / 1000], len[n / 100], len[n / 2], mass[0], mass[n / 1000], mass[n / 100], wider, n,
           wider ? shortside[0] : 1.0, wider > 0 ? shortside[n / 1000] : 1.0, shortside[n / 100]);
    printf("%s %s: %d digits, stroke width (px of 28x28) p5 %.2f p25 %.2f median %.2f p75 %.2f p95 %.2f; "
           "mean ink mass %.1f\n",
           ds->name, use_test ? "test" : "train", n, wd[n / 20], wd[n / 4], wd[n / 2], wd[3 * n / 4], wd[19 * n / 20],
           mass_sum / n);
    free(wd);
    free(len);
    free(mass);
    free(shortside);
    dataset_free(ds);
    return 0;
}

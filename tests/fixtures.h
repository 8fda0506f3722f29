/* fixtures.h - small helpers the window and worker tests share: a pause, a learnable synthetic
 * 28x28 dataset, and handing a network to the App as a new snapshot would. Header-only. */
#ifndef DIGITREC_FIXTURES_H
#define DIGITREC_FIXTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "dataset.h"

static inline void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* n synthetic 28x28 images named "synthetic": class k lights up rows 2k+4 and 2k+5, plus noise,
 * so it is easy to learn but not trivial. The caller frees with dataset_free. */
static inline void fixture_dataset(Dataset *ds, int n, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    ds->n = n, ds->rows = ds->cols = 28, ds->d = 784, ds->nclass = 10;
    snprintf(ds->name, sizeof ds->name, "synthetic");
    for (int k = 0; k < 10; k++) snprintf(ds->classes[k], sizeof ds->classes[k], "%d", k);
    ds->x = calloc((size_t)n * 784, 1);
    ds->y = calloc((size_t)n, 1);
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(&r, 10);
        ds->y[i] = (uint8_t)k;
        for (int p = 0; p < 784; p++) {
            int row = p / 28;
            int on = row == 2 * k + 4 || row == 2 * k + 5;
            ds->x[(size_t)i * 784 + p] = (uint8_t)(on ? 200 + rng_below(&r, 56) : rng_below(&r, 60));
        }
    }
}

#ifdef DIGITREC_APP_H
/* A TraceFn writing each line to the FILE ud. */
static inline void fixture_trace(void *ud, const char *line) {
    fputs(line, (FILE *)ud);
    fputc('\n', (FILE *)ud);
    fflush((FILE *)ud);
}

/* Gives the App net as the worker's next publish would: copied into the snapshot, version bumped. */
static inline void fixture_install(App *a, const Net *n) {
    char err[ERR_LEN];
    net_copy(&a->snap.net, n, err);
    a->snap.version++;
    a->snap.generation = 1;
    app_on_snapshot(a);
}
#endif

#endif

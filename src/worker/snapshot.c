/* snapshot.c - the parts of what the worker publishes that outlive a publish: the shared test
 * set, the test-set views, the spool of every step's loss, and the copy of a Snapshot the UI
 * takes under the worker's lock. */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

SharedData *shared_new(Dataset *ds) {
    SharedData *s = calloc(1, sizeof *s);
    if (!s) {
        dataset_free(ds);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->data = *ds;
    memset(ds, 0, sizeof *ds);
    return s;
}

void shared_release(SharedData *s) {
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    dataset_free(&s->data);
    free(s);
}

TestView *testview_retain(TestView *v) {
    if (v) atomic_fetch_add(&v->refs, 1);
    return v;
}

void testview_release(TestView *v) {
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1) return;
    shared_release(v->test);
    free(v->pred);
    free(v->prob);
    free(v->emb_xy);
    embed_free(&v->emb);
    free(v);
}

/* ---- the loss spool ---- */

struct LossSpool {
    atomic_int refs;
    FILE *f;                     /* an unlinked temporary file: gone with the last reference */
    atomic_long n;               /* losses written and flushed */
    int failed;                  /* a write failed: no more are taken */
};

LossSpool *spool_new(void) {
    LossSpool *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->f = tmpfile();
    if (!s->f) {
        free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    atomic_init(&s->n, 0);
    return s;
}

LossSpool *spool_retain(LossSpool *s) {
    if (s) atomic_fetch_add(&s->refs, 1);
    return s;
}

void spool_release(LossSpool *s) {
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    fclose(s->f);
    free(s);
}

int spool_append(LossSpool *s, const float *loss, long n) {
    if (!s || s->failed) return -1;
    if (n <= 0) return 0;
    if (fwrite(loss, sizeof(float), (size_t)n, s->f) != (size_t)n || fflush(s->f) != 0) {
        s->failed = 1;
        return -1;
    }
    atomic_fetch_add(&s->n, n);
    return 0;
}

long spool_read(const LossSpool *s, long from, long n, float *out) {
    if (!s || from < 0 || n <= 0) return 0;
    long have = atomic_load(&s->n);
    if (from >= have) return 0;
    if (n > have - from) n = have - from;
    /* pread leaves the writer's stream position alone */
    ssize_t got = pread(fileno(s->f), out, sizeof(float) * (size_t)n, (off_t)(from * (long)sizeof(float)));
    return got > 0 ? (long)got / (long)sizeof(float) : 0;
}

/* ---- copies ---- */

int net_copy_into(Net *dst, const Net *src) {
    if (net_same_shape(dst, src) && dst->params) {
        memcpy(dst->params, src->params, sizeof(float) * src->nparams);
        return 0;
    }
    char err[ERR_LEN];
    return net_copy(dst, src, err);
}

int snapshot_grow_evals(Snapshot *s, int need) {
    if (need <= s->cap_evals) return 0;
    int cap = s->cap_evals ? s->cap_evals : 64;
    while (cap < need) cap *= 2;
    EvalPoint *p = realloc(s->evals, sizeof(EvalPoint) * (size_t)cap);
    if (!p) return -1;
    s->evals = p;
    s->cap_evals = cap;
    return 0;
}

int snapshot_copy(Snapshot *dst, const Snapshot *src, int hold) {
    if (src->version == dst->version && dst->net.params) return 0;
    if (hold && dst->generation != src->generation && (dst->loss.n > 0 || dst->nevals > 0)) return 2;
    int same_run = dst->generation == src->generation && dst->nevals <= src->nevals;
    if (net_copy_into(&dst->net, &src->net) != 0 || snapshot_grow_evals(dst, src->nevals) != 0) return -1;
    int have = same_run ? dst->nevals : 0; /* test points are append-only within a run */
    if (src->nevals > have) memcpy(dst->evals + have, src->evals + have, sizeof(EvalPoint) * (size_t)(src->nevals - have));
    /* everything else by value, then the owned and shared parts put back */
    Net net = dst->net;
    EvalPoint *evals = dst->evals;
    int cap = dst->cap_evals;
    TestView *view = dst->view;
    LossSpool *spool = dst->spool;
    *dst = *src;
    dst->net = net;
    dst->evals = evals;
    dst->cap_evals = cap;
    dst->view = view, dst->spool = spool;
    if (dst->view != src->view) {
        testview_release(dst->view);
        dst->view = testview_retain(src->view);
    }
    if (dst->spool != src->spool) {
        spool_release(dst->spool);
        dst->spool = spool_retain(src->spool);
    }
    return 1;
}

void snapshot_free(Snapshot *s) {
    testview_release(s->view);
    spool_release(s->spool);
    net_free(&s->net);
    free(s->evals);
    memset(s, 0, sizeof *s);
}

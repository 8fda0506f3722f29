/* optim.c - update rules over a flat parameter block. gd and sgd share the notes' rule
 * theta <- theta - lr * dC/dtheta; they differ only in how many images the gradient averages. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char *NAMES[] = {"gd", "sgd", "momentum", "adam"};

int optim_parse(const char *s, OptKind *out) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, NAMES[i]) == 0) {
            *out = (OptKind)i;
            return 0;
        }
    return -1;
}

const char *optim_name(OptKind k) { return (unsigned)k < 4 ? NAMES[k] : "?"; }

int optim_create(Optim *o, OptKind kind, size_t n, char *err) {
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->momentum = 0.9f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->n = n;
    if (kind == OPT_MOMENTUM || kind == OPT_ADAM) {
        o->m = xcalloc(n, sizeof(float));
        if (!o->m) return err_set(err, "optimiser: out of memory");
    }
    if (kind == OPT_ADAM) {
        o->v = xcalloc(n, sizeof(float));
        if (!o->v) {
            free(o->m);
            o->m = NULL;
            return err_set(err, "optimiser: out of memory");
        }
    }
    return 0;
}

void optim_free(Optim *o) {
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

void optim_reset(Optim *o) {
    if (o->m) memset(o->m, 0, sizeof(float) * o->n);
    if (o->v) memset(o->v, 0, sizeof(float) * o->n);
    o->t = 0;
}

void optim_step(Optim *o, float *params, const float *grad, float lr) {
    size_t n = o->n;
    o->t++;
    switch (o->kind) {
    case OPT_GD:
    case OPT_SGD:
        for (size_t i = 0; i < n; i++) params[i] -= lr * grad[i];
        break;
    case OPT_MOMENTUM: {
        /* heavy ball: v <- mu v + g; theta <- theta - lr v (PyTorch's SGD momentum) */
        float mu = o->momentum, *v = o->m;
        for (size_t i = 0; i < n; i++) {
            v[i] = mu * v[i] + grad[i];
            params[i] -= lr * v[i];
        }
        break;
    }
    case OPT_ADAM: {
        float b1 = o->beta1, b2 = o->beta2, *m = o->m, *v = o->v;
        float c1 = 1.0f - powf(b1, (float)o->t), c2 = 1.0f - powf(b2, (float)o->t);
        float step = lr * sqrtf(c2) / c1, eps = o->eps * sqrtf(c2);
        for (size_t i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * grad[i];
            v[i] = b2 * v[i] + (1.0f - b2) * grad[i] * grad[i];
            params[i] -= step * m[i] / (sqrtf(v[i]) + eps);
        }
        break;
    }
    }
}

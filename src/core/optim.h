/* optim.h - update rules on a parameter block: plain gradient steps (full-batch GD or
 * mini-batch SGD: theta <- theta - lr * grad), momentum, Adam. */
#ifndef DIGITREC_OPTIM_H
#define DIGITREC_OPTIM_H

#include <stddef.h>

typedef enum { OPT_GD = 0, OPT_SGD, OPT_MOMENTUM, OPT_ADAM } OptKind;

typedef struct {
    OptKind kind;
    float momentum;       /* 0.9 */
    float beta1, beta2;   /* 0.9, 0.999 */
    float eps;            /* 1e-8 */
    size_t n;
    float *m, *v;         /* (n) state, owned; NULL when the rule needs none */
    long t;               /* steps taken */
} Optim;

int optim_parse(const char *s, OptKind *out);
const char *optim_name(OptKind k);
/* State for n parameters (zeroed). The learning rate is not kept here: each step takes it. */
int optim_create(Optim *o, OptKind kind, size_t n, char *err);
void optim_free(Optim *o);
void optim_reset(Optim *o);
/* One update of params (n) with grad (n), at learning rate lr (the schedule's current value). */
void optim_step(Optim *o, float *params, const float *grad, float lr);

#endif

/* test_optim.c - each update rule against values worked out by hand. */
#include <math.h>

#include "check.h"
#include "common.h"
#include "optim.h"

int main(void) {
    char err[ERR_LEN];
    OptKind k;
    CHECK(optim_parse("adam", &k) == 0 && k == OPT_ADAM, "parse adam");
    CHECK(optim_parse("gd", &k) == 0 && k == OPT_GD, "parse gd");
    CHECK(optim_parse("rmsprop", &k) != 0, "unknown optimiser rejected");

    /* gd / sgd: theta <- theta - lr * g */
    Optim o;
    float p[2] = {1, -2}, g[2] = {0.5f, -1};
    CHECK(optim_create(&o, OPT_SGD, 2, err) == 0, "%s", err);
    optim_step(&o, p, g, 0.1f);
    CHECK(fabsf(p[0] - 0.95f) < 1e-7f && fabsf(p[1] + 1.9f) < 1e-7f, "sgd step gives %g %g", p[0], p[1]);
    optim_free(&o);

    /* momentum 0.9: v1 = g, v2 = 0.9 g + g = 1.9 g; theta moves lr*(1 + 1.9) g in two steps */
    float q[1] = {0}, gq[1] = {1};
    optim_create(&o, OPT_MOMENTUM, 1, err);
    optim_step(&o, q, gq, 0.1f);
    optim_step(&o, q, gq, 0.1f);
    CHECK(fabsf(q[0] + 0.29f) < 1e-6f, "momentum after 2 steps %g (want -0.29)", q[0]);
    optim_reset(&o);
    CHECK(o.m[0] == 0 && o.t == 0, "reset clears velocity");
    optim_free(&o);

    /* adam: the first step moves each coordinate by ~lr * sign(g), whatever |g| */
    float a[3] = {0, 0, 0}, ga[3] = {1e-3f, -50, 2};
    optim_create(&o, OPT_ADAM, 3, err);
    optim_step(&o, a, ga, 0.01f);
    CHECK(fabsf(a[0] + 0.01f) < 1e-4f && fabsf(a[1] - 0.01f) < 1e-6f && fabsf(a[2] + 0.01f) < 1e-6f,
          "adam first step %g %g %g", a[0], a[1], a[2]);
    /* second step with the same gradient: still lr * sign(g) (m/sqrt(v) stays 1 after bias correction) */
    optim_step(&o, a, ga, 0.01f);
    CHECK(fabsf(a[2] + 0.02f) < 1e-5f, "adam second step %g", a[2]);
    optim_free(&o);

    /* minimising (x-3)^2 converges for every rule */
    for (int kind = OPT_GD; kind <= OPT_ADAM; kind++) {
        float x[1] = {0}, gx[1];
        optim_create(&o, (OptKind)kind, 1, err);
        for (int i = 0; i < 2000; i++) {
            gx[0] = 2 * (x[0] - 3);
            optim_step(&o, x, gx, kind == OPT_ADAM ? 0.1f : 0.05f);
        }
        CHECK(fabsf(x[0] - 3) < 1e-2f, "%s converges to 3, got %g", optim_name((OptKind)kind), x[0]);
        optim_free(&o);
    }
    return check_summary("optim");
}

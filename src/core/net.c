/* net.c - dense network: layout of the parameter block, initialisation, forward and backward.
 * Hidden layers use ReLU; the output is softmax (optionally after a ReLU, the notes' variant). */
#include "net.h"

#include <errno.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "kernels.h"

int net_parse_layers(const char *s, int *sizes, int max, char *err) {
    int n = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        if (*p < '0' || *p > '9') {
            if (!*p) break;
            return err_set(err, "layers \"%s\": expected sizes like 784-128-10 or 784,128,10", s);
        }
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || v < 1 || v > NET_MAX_WIDTH)
            return err_set(err, "layers \"%s\": size %.12s out of range 1..%d", s, p, NET_MAX_WIDTH);
        if (n == max) return err_set(err, "layers \"%s\": at most %d sizes", s, max);
        sizes[n++] = (int)v;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',' || *p == '-' || *p == 'x') {
            p++;
            while (*p == ' ') p++;
            if (!*p) return err_set(err, "layers \"%s\": a size is missing at the end", s);
        } else if (*p) {
            return err_set(err, "layers \"%s\": unexpected '%c'", s, *p);
        }
    }
    if (n < 2) return err_set(err, "layers \"%s\": need at least input and output sizes", s);
    return n;
}

static const struct {
    const char *name;
    int nlayers;
    int sizes[NET_MAX_LAYERS + 1];
} PRESETS[] = {{"softmax", 1, {784, 10}}, {"mlp", 3, {784, 128, 64, 10}}};

int net_preset(const char *name, int sizes[NET_MAX_LAYERS + 1]) {
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (!strcmp(name, PRESETS[i].name)) {
            memcpy(sizes, PRESETS[i].sizes, sizeof PRESETS[i].sizes);
            return PRESETS[i].nlayers;
        }
    return 0;
}

const char *net_preset_of(const int *sizes, int nlayers) {
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (PRESETS[i].nlayers == nlayers && !memcmp(sizes, PRESETS[i].sizes, sizeof(int) * (size_t)(nlayers + 1)))
            return PRESETS[i].name;
    return NULL;
}

void net_sizes_str(const int *sizes, int nlayers, char *buf, size_t n) {
    size_t j = 0;
    if (n) buf[0] = 0;
    for (int l = 0; l <= nlayers && j < n; l++) {
        int w = snprintf(buf + j, n - j, "%s%d", l ? "-" : "", sizes[l]);
        if (w < 0) break;
        j += (size_t)w;
    }
}

int net_create(Net *net, const int *sizes, int nlayers, BiasMode bias, int output_relu, char *err) {
    memset(net, 0, sizeof *net);
    if (nlayers < 1 || nlayers > NET_MAX_LAYERS)
        return err_set(err, "network: %d layers (must be 1..%d)", nlayers, NET_MAX_LAYERS);
    size_t total = 0;
    for (int l = 0; l <= nlayers; l++)
        if (sizes[l] < 1 || sizes[l] > NET_MAX_WIDTH)
            return err_set(err, "network: layer size %d out of range 1..%d", sizes[l], NET_MAX_WIDTH);
    for (int l = 0; l < nlayers; l++) {
        net->woff[l] = total;
        total += (size_t)sizes[l + 1] * (size_t)sizes[l];
        net->boff[l] = total;
        total += bias == BIAS_LAYER ? 1 : (size_t)sizes[l + 1];
    }
    net->params = kernels_alloc(total); /* aligned: the weight rows feed AVX loads */
    if (!net->params) return err_set(err, "network: out of memory for %zu parameters", total);
    net->nlayers = nlayers;
    memcpy(net->sizes, sizes, sizeof(int) * (size_t)(nlayers + 1));
    net->bias = bias;
    net->output_relu = output_relu ? 1 : 0;
    net->nparams = total;
    for (int l = 0; l < nlayers; l++) {
        net->w[l] = net->params + net->woff[l];
        net->b[l] = net->params + net->boff[l];
    }
    return 0;
}

void net_free(Net *net) {
    free(net->params);
    memset(net, 0, sizeof *net);
}

int net_same_shape(const Net *a, const Net *b) {
    if (a->nlayers != b->nlayers || a->bias != b->bias || a->output_relu != b->output_relu) return 0;
    for (int l = 0; l <= a->nlayers; l++)
        if (a->sizes[l] != b->sizes[l]) return 0;
    return 1;
}

int net_copy(Net *dst, const Net *src, char *err) {
    if (!dst->params || !net_same_shape(dst, src)) {
        Net fresh;
        if (net_create(&fresh, src->sizes, src->nlayers, src->bias, src->output_relu, err) != 0) return -1;
        net_free(dst);
        *dst = fresh;
    }
    memcpy(dst->params, src->params, sizeof(float) * src->nparams);
    return 0;
}

void net_init_he(Net *net, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (int l = 0; l < net->nlayers; l++) {
        size_t nw = (size_t)net->sizes[l + 1] * net->sizes[l];
        double sd = sqrt(2.0 / net->sizes[l]);
        for (size_t i = 0; i < nw; i++) net->w[l][i] = (float)(rng_normal(&r) * sd);
        size_t nb = net->bias == BIAS_LAYER ? 1 : (size_t)net->sizes[l + 1];
        memset(net->b[l], 0, sizeof(float) * nb);
    }
}

void net_init_uniform(Net *net, float a, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < net->nparams; i++) net->params[i] = (float)((2.0 * rng_uniform(&r) - 1.0) * a);
}

static int net_max_width(const Net *net) {
    int m = 0;
    for (int l = 0; l <= net->nlayers; l++) m = net->sizes[l] > m ? net->sizes[l] : m;
    return m;
}

int netwk_create(NetWork *wk, const Net *net, int cap, char *err) {
    memset(wk, 0, sizeof *wk);
    int L = net->nlayers, K = net->sizes[L];
    wk->cap = cap;
    int ok = 1;
    for (int l = 1; l <= L; l++) ok &= (wk->act[l] = kernels_alloc((size_t)cap * net->sizes[l])) != NULL;
    ok &= (wk->pre_out = kernels_alloc((size_t)cap * K)) != NULL;
    for (int i = 0; i < 2; i++) ok &= (wk->dact[i] = kernels_alloc((size_t)cap * net_max_width(net))) != NULL;
    if (!ok) {
        netwk_free(wk);
        return err_set(err, "network: out of memory for a batch of %d", cap);
    }
    return 0;
}

void netwk_free(NetWork *wk) {
    for (int l = 0; l <= NET_MAX_LAYERS; l++) free(wk->act[l]);
    free(wk->pre_out);
    free(wk->dact[0]);
    free(wk->dact[1]);
    memset(wk, 0, sizeof *wk);
}

static int nbias(const Net *net, int l) { return net->bias == BIAS_LAYER ? 1 : net->sizes[l + 1]; }

// x (B,D) -> act[l] (B,sizes[l]) ..., pre_out (B,K) logits, act[L] (B,K) probs
double net_forward(const Net *net, NetWork *wk, const float *x, const int *y, int B) {
    int L = net->nlayers;
    const float *in = x;
    for (int l = 0; l < L; l++) {
        int K = net->sizes[l], N = net->sizes[l + 1];
        float *out = l == L - 1 ? wk->pre_out : wk->act[l + 1];
        linear_forward_ex(out, in, net->w[l], net->b[l], nbias(net, l), B, K, N, l < L - 1 || net->output_relu);
        in = out;
    }
    return softmax_xent_forward(wk->act[L], wk->pre_out, y, B, net->sizes[L]);
}

const float *net_probs(const Net *net, const NetWork *wk) { return wk->act[net->nlayers]; }

void net_backward(const Net *net, NetWork *wk, float *grad, const float *x, const int *y, int B) {
    int L = net->nlayers, K = net->sizes[L];
    float *d = wk->dact[0], *dnext = wk->dact[1];
    softmax_xent_backward(d, wk->act[L], y, B, K);
    if (net->output_relu) relu_backward(d, d, wk->pre_out, B * K);
    for (int l = L - 1; l >= 0; l--) {
        int Kin = net->sizes[l], N = net->sizes[l + 1];
        const float *inp = l == 0 ? x : wk->act[l];
        float *dinp = l == 0 ? NULL : dnext;
        /* for l > 0 the input is a ReLU output, so dinp comes back already through that ReLU */
        linear_backward_ex(dinp, grad + net->woff[l], grad + net->boff[l], d, inp, net->w[l], nbias(net, l),
                           B, Kin, N, l > 0);
        if (l > 0) {
            float *t = d;
            d = dnext;
            dnext = t;
        }
    }
}

void net_group_name(const Net *net, int g, char *buf, size_t n) {
    (void)net;
    snprintf(buf, n, "layers.%d.%s", g / 2, g % 2 ? "bias" : "weight");
}

void net_group_span(const Net *net, int g, size_t *off, size_t *count) {
    int l = g / 2;
    if (g % 2 == 0) {
        *off = net->woff[l];
        *count = (size_t)net->sizes[l + 1] * net->sizes[l];
    } else {
        *off = net->boff[l];
        *count = (size_t)nbias(net, l);
    }
}

int net_all_finite(const Net *net) {
    for (size_t i = 0; i < net->nparams; i++)
        if (!isfinite(net->params[i])) return 0;
    return 1;
}

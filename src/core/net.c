/* net.c - networks: layout of the parameter block, initialisation, forward and backward. A dense
 * net's passes are here (hidden layers ReLU; softmax output, optionally after a ReLU, the notes'
 * variant); a layer stack's are in layers.c. */
#include "net.h"

#include <errno.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "kernels.h"
#include "layers.h"

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
        net->wlen[l] = (size_t)sizes[l + 1] * (size_t)sizes[l];
        net->blen[l] = bias == BIAS_LAYER ? 1 : (size_t)sizes[l + 1];
    }
    return 0;
}

int net_create_arch(Net *net, const Arch *a, char *err) {
    int sizes[NET_MAX_LAYERS + 1];
    if (a->dense) {
        int n = arch_dense_sizes(a, sizes, NET_MAX_LAYERS + 1);
        if (n < 2) {
            memset(net, 0, sizeof *net);
            return err_set(err, "network: more than %d layers", NET_MAX_LAYERS);
        }
        return net_create(net, sizes, n - 1, BIAS_NEURON, 0, err);
    }
    memset(net, 0, sizeof *net);
    if (a->nparam_layers < 1 || a->nparam_layers > NET_MAX_LAYERS)
        return err_set(err, "network: %d layers with parameters (conv and fc; at most %d)", a->nparam_layers,
                       NET_MAX_LAYERS);
    size_t total = 0;
    int L = 0;
    sizes[0] = ARCH_IN_C * ARCH_IN_H * ARCH_IN_W;
    for (int i = 0; i < a->n; i++) {
        const LayerSpec *l = &a->layer[i];
        if (l->param_index < 0) continue;
        net->woff[L] = total;
        net->wlen[L] = l->nweight;
        total += l->nweight;
        net->boff[L] = total;
        net->blen[L] = l->nbias;
        total += l->nbias;
        sizes[++L] = (int)layers_out_size(l);
    }
    net->params = kernels_alloc(total);
    if (!net->params) return err_set(err, "network: out of memory for %zu parameters", total);
    net->nlayers = L;
    memcpy(net->sizes, sizes, sizeof(int) * (size_t)(L + 1));
    net->bias = BIAS_NEURON;
    net->nparams = total;
    for (int l = 0; l < L; l++) {
        net->w[l] = net->params + net->woff[l];
        net->b[l] = net->params + net->boff[l];
    }
    net->stack = 1;
    net->arch = *a;
    return 0;
}

int net_create_str(Net *net, const char *arch, char *err) {
    Arch a;
    if (arch_parse(&a, arch, err) != 0) {
        memset(net, 0, sizeof *net);
        return -1;
    }
    return net_create_arch(net, &a, err);
}

int net_inputs(const Net *net) { return net->sizes[0]; }
int net_outputs(const Net *net) { return net->sizes[net->nlayers]; }
int net_is_dense(const Net *net) { return !net->stack; }

void net_arch_str(const Net *net, char *buf, size_t n) {
    if (!net->stack) {
        net_sizes_str(net->sizes, net->nlayers, buf, n);
        return;
    }
    char tmp[ARCH_MAX_TEXT];
    if (arch_format(&net->arch, tmp, sizeof tmp) < 0) tmp[0] = 0;
    snprintf(buf, n, "%s", tmp);
}

const char *net_preset_name(const Net *net) {
    if (!net->stack) return net_preset_of(net->sizes, net->nlayers);
    char s[ARCH_MAX_TEXT];
    return arch_format(&net->arch, s, sizeof s) > 0 && !strcmp(s, ARCH_CNN) ? "cnn" : NULL;
}

const LayerSpec *net_param_spec(const Net *net, int j) {
    if (!net->stack || j < 0 || j >= net->nlayers) return NULL;
    for (int i = 0; i < net->arch.n; i++)
        if (net->arch.layer[i].param_index == j) return &net->arch.layer[i];
    return NULL;
}

int net_eval_batch(const Net *net) { return net->stack ? 250 : 1000; }

void net_free(Net *net) {
    free(net->params);
    memset(net, 0, sizeof *net);
}

int net_same_shape(const Net *a, const Net *b) {
    if (a->nlayers != b->nlayers || a->bias != b->bias || a->output_relu != b->output_relu) return 0;
    for (int l = 0; l <= a->nlayers; l++)
        if (a->sizes[l] != b->sizes[l]) return 0;
    if (a->stack != b->stack) return 0;
    return !a->stack || arch_same(&a->arch, &b->arch);
}

int net_copy(Net *dst, const Net *src, char *err) {
    if (!dst->params || !net_same_shape(dst, src)) {
        Net fresh;
        int rc = src->stack ? net_create_arch(&fresh, &src->arch, err)
                            : net_create(&fresh, src->sizes, src->nlayers, src->bias, src->output_relu, err);
        if (rc != 0) return -1;
        net_free(dst);
        *dst = fresh;
    }
    memcpy(dst->params, src->params, sizeof(float) * src->nparams);
    return 0;
}

void net_init_he(Net *net, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    if (net->stack) {
        /* std sqrt(2 / fan_in), fan_in = in_c*k*k for a conv, in features for an fc */
        for (int l = 0; l < net->nlayers; l++) {
            double sd = sqrt(2.0 / (double)(net->wlen[l] / net->blen[l]));
            for (size_t i = 0; i < net->wlen[l]; i++) net->w[l][i] = (float)(rng_normal(&r) * sd);
            memset(net->b[l], 0, sizeof(float) * net->blen[l]);
        }
        return;
    }
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

static int work_create(NetWork *wk, const Net *net, int cap, int fwd_only, char *err) {
    memset(wk, 0, sizeof *wk);
    int L = net->nlayers, K = net->sizes[L];
    wk->cap = cap;
    wk->fwd_only = fwd_only;
    if (net->stack) {
        if (layers_work_create(wk, net, cap, err) == 0) return 0;
        netwk_free(wk);
        return -1;
    }
    int ok = 1;
    for (int l = 1; l <= L; l++) ok &= (wk->act[l] = kernels_alloc((size_t)cap * net->sizes[l])) != NULL;
    ok &= (wk->pre_out = kernels_alloc((size_t)cap * K)) != NULL;
    for (int i = 0; i < 2 && !fwd_only; i++) ok &= (wk->dact[i] = kernels_alloc((size_t)cap * net_max_width(net))) != NULL;
    if (!ok) {
        netwk_free(wk);
        return err_set(err, "network: out of memory for a batch of %d", cap);
    }
    return 0;
}

int netwk_create(NetWork *wk, const Net *net, int cap, char *err) { return work_create(wk, net, cap, 0, err); }
int netwk_create_forward(NetWork *wk, const Net *net, int cap, char *err) { return work_create(wk, net, cap, 1, err); }

void netwk_free(NetWork *wk) {
    layers_work_free(wk);
    for (int l = 0; l <= NET_MAX_LAYERS; l++) free(wk->act[l]);
    free(wk->pre_out);
    free(wk->dact[0]);
    free(wk->dact[1]);
    memset(wk, 0, sizeof *wk);
}

static int nbias(const Net *net, int l) { return net->bias == BIAS_LAYER ? 1 : net->sizes[l + 1]; }

// x (B,D) -> act[l] (B,sizes[l]) ..., pre_out (B,K) logits, act[L] (B,K) probs
double net_forward(const Net *net, NetWork *wk, const float *x, const int *y, int B) {
    if (net->stack) return layers_forward(net, wk, x, y, B);
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

const float *net_layer_output(const Net *net, const NetWork *wk, int i, const float *x) {
    if (!net->stack || i < 0 || i >= net->arch.n) return NULL;
    return layers_input(net, wk, i + 1, x);
}

const float *net_scores(const Net *net, const NetWork *wk) {
    (void)net;
    return wk->pre_out;
}

void net_backward(const Net *net, NetWork *wk, float *grad, const float *x, const int *y, int B) {
    int L = net->nlayers, K = net->sizes[L];
    float *d = wk->dact[0], *dnext = wk->dact[1];
    softmax_xent_backward(d, wk->act[L], y, B, K);
    if (net->stack) {
        layers_backward(net, wk, grad, NULL, d, x, B);
        return;
    }
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

void net_backward_scores(const Net *net, NetWork *wk, float *grad, float *dx, const float *dscore, const float *x,
                         int B) {
    if (net->stack) {
        layers_backward(net, wk, grad, dx, dscore, x, B);
        return;
    }
    int L = net->nlayers, K = net->sizes[L];
    float *d = wk->dact[0], *dnext = wk->dact[1];
    memcpy(d, dscore, sizeof(float) * (size_t)B * K);
    if (net->output_relu) relu_backward(d, d, wk->pre_out, B * K);
    for (int l = L - 1; l >= 0; l--) {
        int Kin = net->sizes[l], N = net->sizes[l + 1];
        const float *inp = l == 0 ? x : wk->act[l];
        linear_backward_ex(l == 0 ? dx : dnext, grad + net->woff[l], grad + net->boff[l], d, inp, net->w[l],
                           nbias(net, l), B, Kin, N, l > 0);
        float *t = d;
        d = dnext;
        dnext = t;
    }
}

void net_group_name(const Net *net, int g, char *buf, size_t n) {
    (void)net;
    snprintf(buf, n, "layers.%d.%s", g / 2, g % 2 ? "bias" : "weight");
}

void net_group_span(const Net *net, int g, size_t *off, size_t *count) {
    int l = g / 2;
    *off = g % 2 == 0 ? net->woff[l] : net->boff[l];
    *count = g % 2 == 0 ? net->wlen[l] : net->blen[l];
}

int net_all_finite(const Net *net) {
    for (size_t i = 0; i < net->nparams; i++)
        if (!isfinite(net->params[i])) return 0;
    return 1;
}

/* saliency.c - one input through the network keeping every layer, then back to the pixels.
 * Dense: z = W a + b, ReLU on hidden layers (and on the logits in the literal variant), softmax;
 * backward from d score/d score-vector down through W^T and the ReLU masks to d/dx. A stack goes
 * through net.c's passes with a batch of one. */
#include "saliency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "preprocess.h"

static int stack_init(Saliency *s, const Net *net, char *err) {
    s->stack = 1;
    s->arch = net->arch;
    s->nlayers = net->nlayers;
    memcpy(s->sizes, net->sizes, sizeof s->sizes);
    s->block = xmalloc_array((size_t)net_inputs(net) + (size_t)net_outputs(net), sizeof(float));
    s->grad = xmalloc_array(net->nparams, sizeof(float));
    if (!s->block || !s->grad || netwk_create(&s->wk, net, 1, err) != 0) {
        saliency_free(s);
        return err_set(err, "saliency: out of memory");
    }
    s->a[0] = s->block;
    s->g0 = s->block + net_inputs(net); /* (K) d target / d score */
    return 0;
}

int saliency_init(Saliency *s, const Net *net, char *err) {
    memset(s, 0, sizeof *s);
    if (net->stack) return stack_init(s, net, err);
    int L = net->nlayers, wmax = 0;
    size_t total = (size_t)net->sizes[0];
    for (int l = 0; l < L; l++) total += 2 * (size_t)net->sizes[l + 1];
    for (int l = 0; l <= L; l++) wmax = net->sizes[l] > wmax ? net->sizes[l] : wmax;
    total += (size_t)net->sizes[L] + 2 * (size_t)wmax;
    s->block = xmalloc_array(total, sizeof(float));
    if (!s->block) return err_set(err, "saliency: out of memory");
    float *p = s->block;
    s->nlayers = L;
    memcpy(s->sizes, net->sizes, sizeof s->sizes);
    s->a[0] = p, p += net->sizes[0];
    for (int l = 0; l < L; l++) {
        s->z[l] = p, p += net->sizes[l + 1];
        s->a[l + 1] = p, p += net->sizes[l + 1];
    }
    s->score = p, p += net->sizes[L];
    s->g0 = p, p += wmax;
    s->g1 = p;
    return 0;
}

void saliency_free(Saliency *s) {
    free(s->block);
    free(s->grad);
    netwk_free(&s->wk);
    memset(s, 0, sizeof *s);
}

int saliency_fits(const Saliency *s, const Net *net) {
    if (!s->block || s->nlayers != net->nlayers || s->stack != net->stack) return 0;
    if (s->stack && !arch_same(&s->arch, &net->arch)) return 0;
    for (int l = 0; l <= net->nlayers; l++)
        if (s->sizes[l] != net->sizes[l]) return 0;
    return 1;
}

int saliency_forward(Saliency *s, const Net *net, const float *x) {
    int L = net->nlayers;
    memcpy(s->a[0], x, sizeof(float) * (size_t)net->sizes[0]);
    if (s->stack) {
        net_forward(net, &s->wk, s->a[0], NULL, 1);
        s->a[L] = (float *)net_probs(net, &s->wk);
        s->score = (float *)net_scores(net, &s->wk);
        int top = 0;
        for (int k = 1; k < net->sizes[L]; k++)
            if (s->score[k] > s->score[top]) top = k;
        return top;
    }
    for (int l = 0; l < L; l++) {
        int I = net->sizes[l], O = net->sizes[l + 1];
        const float *in = s->a[l], *w = net->w[l]; /* w (O, I) */
        for (int o = 0; o < O; o++) {
            double acc = net->b[l][net->bias == BIAS_NEURON ? o : 0];
            const float *wo = w + (size_t)o * I;
            for (int i = 0; i < I; i++) acc += (double)wo[i] * in[i];
            s->z[l][o] = (float)acc;
        }
        int relu = l < L - 1 || net->output_relu;
        float *out = l < L - 1 ? s->a[l + 1] : s->score;
        for (int o = 0; o < O; o++) out[o] = relu && s->z[l][o] < 0 ? 0.0f : s->z[l][o];
    }
    /* softmax of the scores into a[L] */
    int K = net->sizes[L], top = 0;
    float m = s->score[0];
    for (int k = 1; k < K; k++)
        if (s->score[k] > m) m = s->score[k], top = k;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((double)s->score[k] - m);
    for (int k = 0; k < K; k++) s->a[L][k] = (float)(exp((double)s->score[k] - m) / sum);
    return top;
}

void saliency_input_grad(Saliency *s, const Net *net, int k, SalTarget t, float *g) {
    int L = net->nlayers, K = net->sizes[L];
    float *d = s->g0, *e = s->g1;
    /* d = d target / d score: a one-hot for the score, p_k (delta_kj - p_j) for the probability */
    const float *p = s->a[L];
    for (int j = 0; j < K; j++) d[j] = t == SAL_LOGIT ? (j == k ? 1.0f : 0.0f) : p[k] * ((j == k ? 1.0f : 0.0f) - p[j]);
    if (s->stack) {
        net_backward_scores(net, &s->wk, s->grad, g, d, s->a[0], 1);
        return;
    }
    for (int l = L - 1; l >= 0; l--) {
        int I = net->sizes[l], O = net->sizes[l + 1];
        /* through the ReLU of layer l (hidden layers, and the logits in the literal variant) */
        if (l < L - 1 || net->output_relu)
            for (int o = 0; o < O; o++)
                if (!(s->z[l][o] > 0)) d[o] = 0;
        /* e (I) = W^T d */
        const float *w = net->w[l];
        float *out = l == 0 ? g : e;
        for (int i = 0; i < I; i++) out[i] = 0;
        for (int o = 0; o < O; o++) {
            float dv = d[o];
            if (dv == 0) continue;
            const float *wo = w + (size_t)o * I;
            for (int i = 0; i < I; i++) out[i] += dv * wo[i];
        }
        if (l > 0) {
            float *tmp = d;
            d = e;
            e = tmp;
        }
    }
}

const float *saliency_layer(const Saliency *s, const Net *net, int i) {
    if (!s->stack || i < 0 || i >= net->arch.n) return NULL;
    return net_layer_output(net, &s->wk, i, s->a[0]);
}

int saliency_frame(const float *img, int w, int h, float threshold, const float *input, SalFrame *f) {
    /* the frame preprocess_digit applied, taken from it rather than reconstructed */
    float again[PRE_SIDE * PRE_SIDE];
    int any = 0;
    for (int i = 0; i < PRE_SIDE * PRE_SIDE && !any; i++) any = input[i] > 0;
    if (!preprocess_digit_frame(again, f, img, w, h, threshold) || !any) {
        memset(f, 0, sizeof *f);
        return 0;
    }
    return 1;
}

/* layers.c - forward and backward through a typed layer stack over the Net's parameter block.
 * A ReLU right after a conv or fc runs inside that layer's kernel (its output is the ReLU's);
 * flatten is the NCHW tensor itself. The loss is softmax cross-entropy over the last fc. No
 * allocation outside layers_work_create; threads only through the kernels. */
#include "layers.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conv.h"
#include "kernels.h"

size_t layers_out_size(const LayerSpec *l) { return (size_t)l->out_c * (size_t)l->out_h * (size_t)l->out_w; }

static size_t in_size(const LayerSpec *l) { return (size_t)l->in_c * (size_t)l->in_h * (size_t)l->in_w; }

/* 1 when layer i is a conv or fc whose ReLU (layer i+1) runs inside it. */
static int fused(const Arch *a, int i) {
    const LayerSpec *l = &a->layer[i];
    return (l->kind == LAYER_CONV || l->kind == LAYER_FC) && i + 1 < a->n && a->layer[i + 1].kind == LAYER_RELU;
}

/* 1 when layer i is a MaxPool2d that the conv two layers below runs inside its own passes (a
 * conv, its fused ReLU, the pool): the pool's output and winners are still the pool's buffers. */
static int pooled_by_conv(const Arch *a, int i) {
    return a->layer[i].kind == LAYER_POOL && i >= 2 && a->layer[i - 2].kind == LAYER_CONV && fused(a, i - 2) &&
           a->layer[i - 2].out_h >= 2 && a->layer[i - 2].out_w >= 2;
}

/* 1 when layer i's output is another layer's buffer (a fused ReLU, a flatten). */
static int aliased(const Arch *a, int i) {
    return a->layer[i].kind == LAYER_FLATTEN || (a->layer[i].kind == LAYER_RELU && i > 0 && fused(a, i - 1));
}

static const float *output_of(const Net *net, const NetWork *wk, int i, const float *x) {
    const Arch *a = &net->arch;
    while (i >= 0 && aliased(a, i)) i--;
    if (i < 0) return x;
    return i == a->n - 1 ? wk->pre_out : wk->out[i];
}

const float *layers_input(const Net *net, const NetWork *wk, int i, const float *x) {
    return output_of(net, wk, i - 1, x);
}

static ConvShape shape_of(const LayerSpec *l, int B) {
    return conv_shape(B, l->in_c, l->in_h, l->in_w, l->out_c, l->k, l->s, l->p);
}

int layers_work_create(NetWork *wk, const Net *net, int cap, char *err) {
    const Arch *a = &net->arch;
    int L = net->nlayers, K = net->sizes[L];
    size_t widest = (size_t)ARCH_IN_C * ARCH_IN_H * ARCH_IN_W, ws = 0;
    int ok = 1;
    for (int i = 0; i < a->n && ok; i++) {
        const LayerSpec *l = &a->layer[i];
        size_t n = layers_out_size(l);
        if (n > widest) widest = n;
        if (in_size(l) > widest) widest = in_size(l);
        if (l->kind == LAYER_CONV) {
            ConvShape s = shape_of(l, cap);
            size_t need = conv2d_workspace(&s);
            if (need > ws) ws = need;
        }
        if (aliased(a, i) || i == a->n - 1) continue;
        ok &= (wk->out[i] = kernels_alloc((size_t)cap * n)) != NULL;
        wk->own[i] = 1;
        if (l->kind == LAYER_POOL) ok &= (wk->idx[i] = malloc((size_t)cap * n)) != NULL;
    }
    if (ok && ws) ok = (wk->cws = kernels_alloc(ws)) != NULL;
    ok = ok && (wk->act[L] = kernels_alloc((size_t)cap * K)) != NULL;
    ok = ok && (wk->pre_out = kernels_alloc((size_t)cap * K)) != NULL;
    for (int i = 0; i < 2 && ok && !wk->fwd_only; i++) ok = (wk->dact[i] = kernels_alloc((size_t)cap * widest)) != NULL;
    if (!ok) return err_set(err, "network: out of memory for a batch of %d", cap);
    return 0;
}

void layers_work_free(NetWork *wk) {
    for (int i = 0; i < ARCH_MAX_LAYERS; i++) {
        if (wk->own[i]) free(wk->out[i]);
        free(wk->idx[i]);
        wk->out[i] = NULL, wk->idx[i] = NULL, wk->own[i] = 0;
    }
    free(wk->cws);
    wk->cws = NULL;
}

// x (B,784) -> out[i] (B, out size of layer i) ..., pre_out (B,K) logits, act[L] (B,K) probs
double layers_forward(const Net *net, NetWork *wk, const float *x, const int *y, int B) {
    const Arch *a = &net->arch;
    const float *in = x;
    for (int i = 0; i < a->n; i++) {
        const LayerSpec *l = &a->layer[i];
        int j = l->param_index;
        float *out = i == a->n - 1 ? wk->pre_out : wk->out[i];
        switch (l->kind) {
        case LAYER_CONV: {
            ConvShape s = shape_of(l, B);
            // in (B,Ci,H,W), w (Co,Ci,K,K), b (Co) -> out (B,Co,Ho,Wo)
            if (i + 2 < a->n && pooled_by_conv(a, i + 2))
                // ... and the pool two layers up: out[i+2] (B,Co,Ho/2,Wo/2), idx alike
                conv2d_forward_pool(out, wk->out[i + 2], wk->idx[i + 2], wk->cws, in, net->w[j], net->b[j], &s, 1,
                                    CONV_AUTO);
            else
                conv2d_forward(out, wk->cws, in, net->w[j], net->b[j], &s, fused(a, i));
            break;
        }
        case LAYER_FC:
            // in (B,Kin), w (N,Kin), b (N) -> out (B,N)
            linear_forward_ex(out, in, net->w[j], net->b[j], l->out_c, B, l->in_c, l->out_c, fused(a, i));
            break;
        case LAYER_POOL:
            // in (B*C,H,W) -> out (B*C,H/2,W/2), idx alike
            if (!pooled_by_conv(a, i)) maxpool2d_forward(out, wk->idx[i], in, B * l->in_c, l->in_h, l->in_w);
            break;
        case LAYER_RELU:
            if (!aliased(a, i)) relu_forward(out, in, (int)((size_t)B * layers_out_size(l)));
            break;
        case LAYER_FLATTEN:
            break;
        }
        in = output_of(net, wk, i, x);
    }
    int L = net->nlayers;
    return softmax_xent_forward(wk->act[L], wk->pre_out, y, B, net->sizes[L]);
}

void layers_backward(const Net *net, NetWork *wk, float *grad, float *dx, const float *dscore, const float *x, int B) {
    const Arch *a = &net->arch;
    int K = net->sizes[net->nlayers], first = -1;
    for (int i = 0; i < a->n && first < 0; i++)
        if (a->layer[i].param_index >= 0) first = i;
    float *d = wk->dact[0], *other = wk->dact[1];
    if (dscore != d) memcpy(d, dscore, sizeof(float) * (size_t)B * K);
    int stop = dx ? 0 : first; /* the lowest layer whose input gradient is still needed, plus one */
    for (int i = a->n - 1; i >= stop; i--) {
        const LayerSpec *l = &a->layer[i];
        int j = l->param_index, want = i > stop || dx; /* the gradient of this layer's input */
        const float *in = layers_input(net, wk, i, x);
        float *dst = want ? other : NULL;
        switch (l->kind) {
        case LAYER_CONV: {
            ConvShape s = shape_of(l, B);
            /* a fused ReLU's mask is the conv's own output; with the pool above run inside, d is
             * still the pool's output gradient */
            if (i + 2 < a->n && pooled_by_conv(a, i + 2))
                conv2d_backward_pool(dst, grad + net->woff[j], grad + net->boff[j], wk->cws, d, wk->idx[i + 2],
                                     wk->out[i + 2], in, net->w[j], wk->out[i], &s, CONV_AUTO);
            else
                conv2d_backward(dst, grad + net->woff[j], grad + net->boff[j], wk->cws, d, in, net->w[j],
                                fused(a, i) ? wk->out[i] : NULL, &s);
            break;
        }
        case LAYER_FC:
            if (fused(a, i)) relu_backward(d, d, wk->out[i], (int)((size_t)B * l->out_c));
            linear_backward_ex(dst, grad + net->woff[j], grad + net->boff[j], d, in, net->w[j], l->out_c, B, l->in_c,
                               l->out_c, 0);
            break;
        case LAYER_POOL:
            if (pooled_by_conv(a, i) && i - 2 >= stop) dst = NULL; /* the conv below routes it */
            if (dst) maxpool2d_backward(dst, d, wk->idx[i], B * l->in_c, l->in_h, l->in_w);
            break;
        case LAYER_RELU:
            /* fused: the conv or fc below applies the mask; else in place */
            if (!aliased(a, i)) relu_backward(d, d, wk->out[i], (int)((size_t)B * layers_out_size(l)));
            dst = NULL;
            break;
        case LAYER_FLATTEN:
            dst = NULL;
            break;
        }
        if (dst) {
            other = d;
            d = dst;
        }
    }
    if (dx) memcpy(dx, d, sizeof(float) * (size_t)B * ARCH_IN_C * ARCH_IN_H * ARCH_IN_W);
}

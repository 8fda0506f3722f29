/* net.h - a network: either dense (any layer sizes, ReLU hidden layers, softmax output, the
 * fused MLP fast paths) or a typed layer stack of the architecture grammar (arch.h: Conv2d,
 * MaxPool2d, ReLU, Flatten, Linear; softmax output). Either way all parameters live in one block
 * (layer 0 weight, layer 0 bias, layer 1 weight, ...: the layers with parameters, in order) with
 * named views into it, so a save is one loop, an optimiser step one loop. */
#ifndef DIGITREC_NET_H
#define DIGITREC_NET_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h"

#define NET_MAX_LAYERS 8      /* weight layers (for a stack: layers with parameters) */
#define NET_MAX_WIDTH 65536

typedef enum { BIAS_NEURON = 0, BIAS_LAYER = 1 } BiasMode;

/* For a dense net every field but arch describes it. For a stack (stack = 1) nlayers is the
 * number of layers with parameters, w[j]/b[j] their views (conv weights (out, in, k, k), fc
 * weights (out, in)), sizes[0] = 784 inputs, sizes[j+1] the output values of parameter layer j
 * (out_c*out_h*out_w for a conv) and so sizes[L] = K classes; bias is per-neuron, output_relu 0,
 * and arch holds the layer specs. Use net_inputs/net_outputs/net_is_dense rather than assume. */
typedef struct {
    int nlayers;                        /* L weight layers */
    int sizes[NET_MAX_LAYERS + 1];      /* sizes[0] = D input, sizes[L] = K classes */
    BiasMode bias;                      /* one bias per neuron (default) or one scalar per layer */
    int output_relu;                    /* notes' literal variant: ReLU on the logits before softmax */
    size_t nparams;
    float *params;                      /* (nparams), owned */
    float *w[NET_MAX_LAYERS];           /* w[l] (sizes[l+1], sizes[l]) view into params */
    float *b[NET_MAX_LAYERS];           /* b[l] (sizes[l+1]) or (1) view into params */
    size_t woff[NET_MAX_LAYERS], boff[NET_MAX_LAYERS]; /* offsets of the views in params */
    size_t wlen[NET_MAX_LAYERS], blen[NET_MAX_LAYERS]; /* element counts of the views */
    int stack;                          /* 1: a typed layer stack described by arch */
    Arch arch;                          /* stack only (zeroed for a dense net) */
} Net;

/* Per-batch buffers for forward/backward, sized for up to cap examples. */
typedef struct {
    int cap;
    int fwd_only;                       /* made by netwk_create_forward: no backward buffers */
    float *act[NET_MAX_LAYERS + 1];     /* act[l+1] (B, sizes[l+1]) output of layer l after ReLU;
                                           act[L] holds softmax probabilities; act[0] unused */
    float *pre_out;                     /* (B, K) logits before output ReLU (output_relu only);
                                           a stack's logits */
    float *dact[2];                     /* (B, max width) ping-pong gradient buffers */
    /* a stack's buffers (layers.c): out[i] (B, layer i's output size) is layer i's output, its
       own buffer or an alias (a fused ReLU shares its conv's or fc's, flatten its input's) */
    float *out[ARCH_MAX_LAYERS];
    unsigned char own[ARCH_MAX_LAYERS]; /* out[i] is allocated here */
    uint8_t *idx[ARCH_MAX_LAYERS];      /* pool winners (B, output size) */
    float *cws;                         /* conv workspace, shared by the conv layers */
} NetWork;

/* Parses layer sizes, "784,128,64,10" or "784-128-64-10" (',', '-' or 'x' between sizes, spaces
 * allowed), each 1..NET_MAX_WIDTH, at least two, at most max, into sizes. Returns the count, or -1
 * with err naming what is wrong. */
int net_parse_layers(const char *s, int *sizes, int max, char *err);
/* The named architectures: "softmax" (784-10, softmax regression) and "mlp" (784-128-64-10).
 * Writes the sizes (nlayers+1 entries) and returns nlayers, or 0 for any other name. */
int net_preset(const char *name, int sizes[NET_MAX_LAYERS + 1]);
/* The preset's name when sizes (nlayers+1 entries) are one, else NULL. */
const char *net_preset_of(const int *sizes, int nlayers);
/* sizes as "784-128-64-10" into buf (n bytes). */
void net_sizes_str(const int *sizes, int nlayers, char *buf, size_t n);
/* Allocates a network (params zeroed). sizes has nlayers+1 entries. */
int net_create(Net *net, const int *sizes, int nlayers, BiasMode bias, int output_relu, char *err);
/* Allocates the network a describes (params zeroed): a dense arch as net_create(its sizes,
 * per-neuron bias, softmax output) would, anything else as a stack. Returns 0, or -1 with err
 * (e.g. more than NET_MAX_LAYERS layers with parameters). */
int net_create_arch(Net *net, const Arch *a, char *err);
/* arch_parse + net_create_arch. */
int net_create_str(Net *net, const char *arch, char *err);
void net_free(Net *net);
/* Deep copy into dst (allocating when dst's shape differs). */
int net_copy(Net *dst, const Net *src, char *err);
/* Same layer sizes and modes (and for stacks the same layers). */
int net_same_shape(const Net *a, const Net *b);

/* Inputs per example (784 for a stack), outputs (K classes). */
int net_inputs(const Net *net);
int net_outputs(const Net *net);
/* 1 for a dense net (sizes, w[l] (sizes[l+1], sizes[l]) describe it), 0 for a stack. */
int net_is_dense(const Net *net);
/* The architecture as a string into buf (n bytes): "784-128-64-10" for a dense net, the
 * canonical grammar (arch_format) for a stack. */
void net_arch_str(const Net *net, char *buf, size_t n);
/* "softmax", "mlp" or "cnn" when net is that preset's shape (any bias mode for the dense two),
 * else NULL. */
const char *net_preset_name(const Net *net);
/* A stack's spec of parameter layer j (0..nlayers-1), or NULL for a dense net. */
const LayerSpec *net_param_spec(const Net *net, int j);
/* Examples per forward pass for evaluation of this net: 1000 for a dense net, fewer for a stack
 * (its activations and conv workspace grow with the batch). */
int net_eval_batch(const Net *net);

/* He-normal weights (std sqrt(2/fan_in)), zero biases. */
void net_init_he(Net *net, uint64_t seed);
/* Weights and biases uniform in [-a, a] (the notes' choice, a = 10). */
void net_init_uniform(Net *net, float a, uint64_t seed);

/* Buffers for forward and backward passes of up to cap examples. Returns 0 or -1 with err. */
int netwk_create(NetWork *wk, const Net *net, int cap, char *err);
/* The same without the backward's buffers: for evaluation and prediction only. */
int netwk_create_forward(NetWork *wk, const Net *net, int cap, char *err);
void netwk_free(NetWork *wk);

/* Forward pass of x (B, D). Probabilities land in net_probs(net, wk) (B, K).
 * Returns the mean cross-entropy when y is given, else 0. */
double net_forward(const Net *net, NetWork *wk, const float *x, const int *y, int B);
const float *net_probs(const Net *net, const NetWork *wk);
/* After net_forward with the same x, y, B: writes d(mean loss)/d(params) into grad (nparams). */
void net_backward(const Net *net, NetWork *wk, float *grad, const float *x, const int *y, int B);
/* After net_forward of x (B, D): given dscore (B, K), the gradient of some function with respect
 * to the scores the softmax sees (after the output ReLU in the literal variant), writes its
 * gradient with respect to the parameters into grad (nparams) and, unless dx is NULL, with
 * respect to the input into dx (B, D). wk must not be forward-only. */
void net_backward_scores(const Net *net, NetWork *wk, float *grad, float *dx, const float *dscore, const float *x,
                         int B);
/* A stack's layer i output (B, its output size) in the last net_forward of x, or NULL (dense). */
const float *net_layer_output(const Net *net, const NetWork *wk, int i, const float *x);
/* The scores of the last net_forward (B, K): the logits, after the output ReLU when output_relu. */
const float *net_scores(const Net *net, const NetWork *wk);

/* Name of parameter group g (0..2L-1): "layers.{i}.weight" / "layers.{i}.bias". */
void net_group_name(const Net *net, int g, char *buf, size_t n);
/* Offset and element count of group g in params. */
void net_group_span(const Net *net, int g, size_t *off, size_t *count);

/* 1 if every parameter is finite. */
int net_all_finite(const Net *net);

#endif

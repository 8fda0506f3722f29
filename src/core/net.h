/* net.h - a dense network of any layer sizes: ReLU hidden layers, softmax output.
 * All parameters live in one block (layer 0 weight, layer 0 bias, layer 1 weight, ...)
 * with named views into it, so a save is one loop, an optimiser step one loop. */
#ifndef DIGITREC_NET_H
#define DIGITREC_NET_H

#include <stddef.h>
#include <stdint.h>

#define NET_MAX_LAYERS 8      /* weight layers */
#define NET_MAX_WIDTH 65536

typedef enum { BIAS_NEURON = 0, BIAS_LAYER = 1 } BiasMode;

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
} Net;

/* Per-batch buffers for forward/backward, sized for up to cap examples. */
typedef struct {
    int cap;
    float *act[NET_MAX_LAYERS + 1];     /* act[l+1] (B, sizes[l+1]) output of layer l after ReLU;
                                           act[L] holds softmax probabilities; act[0] unused */
    float *pre_out;                     /* (B, K) logits before output ReLU (output_relu only) */
    float *dact[2];                     /* (B, max width) ping-pong gradient buffers */
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
void net_free(Net *net);
/* Deep copy into dst (allocating when dst's shape differs). */
int net_copy(Net *dst, const Net *src, char *err);
/* Same layer sizes and modes. */
int net_same_shape(const Net *a, const Net *b);

/* He-normal weights (std sqrt(2/fan_in)), zero biases. */
void net_init_he(Net *net, uint64_t seed);
/* Weights and biases uniform in [-a, a] (the notes' choice, a = 10). */
void net_init_uniform(Net *net, float a, uint64_t seed);

int netwk_create(NetWork *wk, const Net *net, int cap, char *err);
void netwk_free(NetWork *wk);

/* Forward pass of x (B, D). Probabilities land in net_probs(net, wk) (B, K).
 * Returns the mean cross-entropy when y is given, else 0. */
double net_forward(const Net *net, NetWork *wk, const float *x, const int *y, int B);
const float *net_probs(const Net *net, const NetWork *wk);
/* After net_forward with the same x, y, B: writes d(mean loss)/d(params) into grad (nparams). */
void net_backward(const Net *net, NetWork *wk, float *grad, const float *x, const int *y, int B);

/* Name of parameter group g (0..2L-1): "layers.{i}.weight" / "layers.{i}.bias". */
void net_group_name(const Net *net, int g, char *buf, size_t n);
/* Offset and element count of group g in params. */
void net_group_span(const Net *net, int g, size_t *off, size_t *count);

/* 1 if every parameter is finite. */
int net_all_finite(const Net *net);

#endif

/* saliency.h - what the network looks at, for one input: every layer's activations, and the
 * gradient of one class's score with respect to the input pixels (a saliency map). A dense net's
 * pass is plain loops over its weights (one image: 784x128 and smaller products, well under a
 * millisecond); a layer stack's is net_forward / net_backward_scores on a batch of one, which
 * keeps every layer's output (the conv layers' feature maps). Also the map from a drawing to the
 * 28x28 input preprocess_digit made of it, so a saliency map can be laid over the drawing. Owns
 * only its buffers; a stack's pass runs on the kernels' threads. */
#ifndef DIGITREC_SALIENCY_H
#define DIGITREC_SALIENCY_H

#include "net.h"
#include "preprocess.h"

typedef enum {
    SAL_LOGIT = 0, /* the score the softmax sees for class k (after the output ReLU in the literal variant) */
    SAL_PROB       /* its softmax probability (saturates near 1: flat maps for sure guesses) */
} SalTarget;

typedef struct {
    int nlayers;
    int sizes[NET_MAX_LAYERS + 1];
    float *z[NET_MAX_LAYERS];      /* z[l] (sizes[l+1]) pre-activation of layer l */
    float *a[NET_MAX_LAYERS + 1];  /* a[0] (D) the input; a[l+1] (sizes[l+1]) after ReLU for hidden
                                      layers; a[L] (K) the softmax probabilities */
    float *score;                  /* (K) what the softmax sees */
    float *g0, *g1;                /* (max width) backward scratch */
    float *block;                  /* one allocation behind all of the above */
    /* a layer stack (stack = 1): a[0] the input, a[L] and score point into wk, z unused */
    int stack;
    Arch arch;                     /* the stack it was made for */
    NetWork wk;                    /* a batch of one, every layer kept */
    float *grad;                   /* (nparams) the parameters' gradient, a by-product */
} Saliency;

/* Buffers for net's shape. Returns 0, or -1 with err. */
int saliency_init(Saliency *s, const Net *net, char *err);
void saliency_free(Saliency *s);
/* 1 when s was made for net's layer sizes. */
int saliency_fits(const Saliency *s, const Net *net);

/* Forward pass of one input x (D) keeping every layer. Returns the top class. */
int saliency_forward(Saliency *s, const Net *net, const float *x);
/* After saliency_forward: g (D) = d score(k) / d x for the target t. ReLU kinks take the
 * derivative of the side the forward pass was on (0 at exactly 0); a max pool's, its winner's. */
void saliency_input_grad(Saliency *s, const Net *net, int k, SalTarget t, float *g);
/* After saliency_forward of a stack: the output of its layer i (0..arch.n-1; after its ReLU when
 * one follows fused), (out_c, out_h, out_w) as net->arch.layer[i] says; NULL for a dense net. */
const float *saliency_layer(const Saliency *s, const Net *net, int i);

/* Where a drawing's pixels went in its 28x28 input: preprocessing's own frame (preprocess.h),
 * input column u = offx + (x - x0) * sx for drawing column x, rows alike. */
typedef PreFrame SalFrame;

/* The frame of input (28*28) = preprocess_digit(img (h, w), threshold), as preprocess_digit_frame
 * returns it. Returns 1, or 0 for a blank img or input (f then zeroed). Only right for the raster
 * path: a caller that made its input another way (canvas_input, preprocess_photo) keeps the frame
 * that call returned instead, and this function can then go. */
int saliency_frame(const float *img, int w, int h, float threshold, const float *input, SalFrame *f);

#endif

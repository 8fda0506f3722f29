/* arch.h - the architecture grammar: a short string naming a stack of layers, parsed into typed
 * layer specs with every shape worked out and checked, and printed back in one canonical form.
 * It describes networks; it allocates and computes nothing.
 *
 * Grammar (tokens joined by '-', the input is always 1x28x28, ink = 1):
 *   conv<C>k<K>[s<S>][p<P>]  Conv2d, C output channels (1..ARCH_MAX_CHANNELS), square kernel K
 *                            (3..7), stride S (1 or 2, default 1), zero padding P (0..K-1,
 *                            default K/2, i.e. "same" size for stride 1)
 *   relu                     ReLU (after a conv, fc or pool; not first, not twice in a row)
 *   pool                     MaxPool2d 2x2 stride 2 (odd sizes floor, like torch)
 *   flatten                  NCHW order, as torch.flatten(x, 1); implied before the first fc
 *   fc<N>                    Linear to N outputs (1..ARCH_MAX_FC); the last layer must be one,
 *                            and its N is the number of classes
 * The dense shorthand "784-128-64-10" (or "784,128,64,10") is the input size then each fc width,
 * with ReLU between: it is the same network as fc128-relu-fc64-relu-fc10. Named presets:
 * "softmax" (784-10), "mlp" (784-128-64-10), "cnn" (ARCH_CNN).
 *
 * Canonical form: defaults omitted (s1, p = K/2), flatten omitted before an fc (where it is
 * implied; kept before a relu), and a network of fc layers
 * with a ReLU between each pair (and nowhere else) written as the dense shorthand.
 * Example: "conv16k5p2-relu-pool-conv32k5s1-relu-pool-flatten-fc10" is
 * "conv16k5-relu-pool-conv32k5-relu-pool-fc10". */
#ifndef DIGITREC_ARCH_H
#define DIGITREC_ARCH_H

#include <stddef.h>

#define ARCH_MAX_LAYERS 32          /* layer specs, the implied flatten included */
#define ARCH_MAX_TEXT 256           /* longest accepted string, and room for the canonical one */
#define ARCH_MAX_CHANNELS 1024
#define ARCH_MAX_FC 65536           /* = NET_MAX_WIDTH */
#define ARCH_MAX_PARAMS ((size_t)1 << 28)       /* 1 GiB of float32: within the model file limit */
#define ARCH_MAX_ACTIVATION ((size_t)1 << 19)   /* floats of one image's output of any layer (2 MB) */
#define ARCH_IN_C 1
#define ARCH_IN_H 28
#define ARCH_IN_W 28

/* The shipped convolutional recogniser (docs/cnn.md says why this one). */
#define ARCH_CNN "conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10"

typedef enum { LAYER_CONV = 0, LAYER_RELU, LAYER_POOL, LAYER_FLATTEN, LAYER_FC } LayerKind;

typedef struct {
    LayerKind kind;
    int in_c, in_h, in_w;      /* input shape; after flatten (features, 1, 1) */
    int out_c, out_h, out_w;   /* output shape */
    int k, s, p;               /* conv: kernel, stride, padding (0 otherwise) */
    int param_index;           /* j of "layers.{j}.weight/bias" for conv and fc, else -1 */
    size_t nweight, nbias;     /* conv: out*in*k*k and out; fc: out*in and out; else 0 */
} LayerSpec;

typedef struct {
    int n;                     /* layer specs in order */
    LayerSpec layer[ARCH_MAX_LAYERS];
    int classes;               /* outputs of the last fc */
    int nparam_layers;         /* layers with parameters (conv and fc) */
    size_t nparams;            /* weights and biases of all layers */
    int dense;                 /* 1 if the dense shorthand describes it (net.h's Net can hold it) */
} Arch;

/* Parses s into a (the whole struct is written only on success). On failure returns -1 and
 * err says which token is wrong and why, e.g.
 *   arch "conv8k9-fc10": token 1 "conv8k9": kernel size 9 outside 3..7 */
int arch_parse(Arch *a, const char *s, char *err);

/* Writes a's canonical string into buf (n bytes). Returns its length, or -1 if it does not fit
 * (buf then holds a truncated string; ARCH_MAX_TEXT bytes always suffice for a parsed Arch). */
int arch_format(const Arch *a, char *buf, size_t n);

/* For a dense arch: sizes[0] = 784, then each fc width (count = fc layers + 1, at most max).
 * Returns the count, or -1 if a is not dense or max is too small. */
int arch_dense_sizes(const Arch *a, int *sizes, int max);

/* 1 when a and b describe the same layers (the same canonical string). */
int arch_same(const Arch *a, const Arch *b);

/* Multiply-adds of one image's forward pass (conv and fc layers). */
double arch_macs(const Arch *a);

#endif

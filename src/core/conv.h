/* conv.h - the convolutional layers' kernels, NCHW float32: Conv2d (square kernel, stride 1 or 2,
 * zero padding, optional fused ReLU) and MaxPool2d 2x2 stride 2, each forward with its backward
 * beside it, plus plain-loop references (*_ref) for the tests. ReLU and Flatten need no kernel
 * here: relu_forward/relu_backward are in kernels.h, and flatten of an NCHW tensor is the tensor
 * itself (the order of torch.flatten(x, 1)). No allocation: callers pass a workspace.
 *
 * Shapes: inp (B,Ci,H,W), w (Co,Ci,K,K) (torch.nn.Conv2d.weight), bias (Co), out (B,Co,Ho,Wo)
 * with Ho = (H + 2P - K) / S + 1, Wo likewise. Results do not depend on the thread count
 * (kernels_set_threads): work is cut by image, by problem size only, and every sum over the
 * batch is reduced in one fixed order. */
#ifndef DIGITREC_CONV_H
#define DIGITREC_CONV_H

#include <stddef.h>
#include <stdint.h>

#define CONV_MIN_K 3
#define CONV_MAX_K 7

typedef struct {
    int B;          /* batch */
    int Ci, H, W;   /* input channels, height, width */
    int Co, K;      /* output channels, kernel size (K x K) */
    int S, P;       /* stride (1 or 2), zero padding on every side (0..K-1) */
    int Ho, Wo;     /* output height and width, derived */
} ConvShape;

/* The shape of a Conv2d with these sizes, Ho and Wo worked out. Sizes out of range (K outside
 * 3..7, S not 1 or 2, P outside 0..K-1, an output below 1x1, a non-positive count) are
 * programmer errors and assert: the architecture parser rejects them with a message first. */
ConvShape conv_shape(int B, int Ci, int H, int W, int Co, int K, int S, int P);

/* How the fast kernels compute: CONV_AUTO picks the measured-fastest for the shape (see
 * docs/conv-kernels.md); the others force one, for the benchmark and the tests.
 * CONV_DIRECT (vectors along the image rows) and CONV_CHANNELS (vectors across 16 output
 * channels; AVX-512 builds only, elsewhere it runs CONV_DIRECT) work on stride 1 only;
 * CONV_AUTO uses CONV_IM2COL for stride 2. CONV_DNNL is oneDNN's primitives, in a build
 * compiled with -DDIGITREC_DNNL and linked with -ldnnl (src/core/conv_dnnl.c); CONV_AUTO then
 * uses it for every layer (it measured fastest). Without that build CONV_DNNL is CONV_AUTO.
 * CONV_OWN is CONV_AUTO's choice among digitrec's own kernels, in any build. */
typedef enum { CONV_AUTO = 0, CONV_DIRECT = 1, CONV_IM2COL = 2, CONV_CHANNELS = 3, CONV_DNNL = 4, CONV_OWN = 5 } ConvAlgo;

/* Floats of workspace conv2d_forward and conv2d_backward need for shape s (any algorithm). A
 * workspace sized for batch B serves every smaller batch of the same layer. The contents need
 * no initialisation and carry nothing between calls. Allocate with kernels_alloc. */
size_t conv2d_workspace(const ConvShape *s);

/* out (B,Co,Ho,Wo) = conv(inp (B,Ci,H,W), w (Co,Ci,K,K)) + bias (Co), then max(0, .) when relu
 * is set. ws holds conv2d_workspace(s) floats. */
void conv2d_forward(float *out, float *ws, const float *inp, const float *w, const float *bias,
                    const ConvShape *s, int relu);
/* Given dout (B,Co,Ho,Wo), the gradient of the loss with respect to this layer's output:
 * dw (Co,Ci,K,K), db (Co) and, unless dinp is NULL (a first layer), dinp (B,Ci,H,W). When the
 * forward fused a ReLU, pass its output as out_relu (B,Co,Ho,Wo): dout is then taken as zero
 * where out_relu <= 0 (the ReLU's backward); else NULL. dw, db, dinp are overwritten, not
 * accumulated. */
void conv2d_backward(float *dinp, float *dw, float *db, float *ws, const float *dout, const float *inp,
                     const float *w, const float *out_relu, const ConvShape *s);

/* The same two with the algorithm forced (CONV_DIRECT asserts stride 1). */
void conv2d_forward_algo(float *out, float *ws, const float *inp, const float *w, const float *bias,
                         const ConvShape *s, int relu, ConvAlgo algo);
void conv2d_backward_algo(float *dinp, float *dw, float *db, float *ws, const float *dout, const float *inp,
                          const float *w, const float *out_relu, const ConvShape *s, ConvAlgo algo);

/* A Conv2d followed (after its ReLU, if any) by MaxPool2d(2, 2), in one pass: out as
 * conv2d_forward_algo (kept: it is the layer's output and its ReLU's mask), and pooled
 * (B,Co,Ho/2,Wo/2) and idx as maxpool2d_forward(pooled, idx, out, B*Co, Ho, Wo) would give; each
 * task pools its own images while they are in cache. Ho, Wo >= 2. */
void conv2d_forward_pool(float *out, float *pooled, uint8_t *idx, float *ws, const float *inp, const float *w,
                         const float *bias, const ConvShape *s, int relu, ConvAlgo algo);
/* The backward of that pair, with a ReLU: given dpool (B,Co,Ho/2,Wo/2), the gradient with
 * respect to the pool's output, and the forward's idx, pooled and out (as out_relu), the same
 * results as maxpool2d_backward into a dout (B,Co,Ho,Wo) and then conv2d_backward_algo on it,
 * without that tensor: each task routes its own images' gradient, through the ReLU (the
 * winner's value is the pool's output), into the layout its kernels read. */
void conv2d_backward_pool(float *dinp, float *dw, float *db, float *ws, const float *dpool, const uint8_t *idx,
                          const float *pooled, const float *inp, const float *w, const float *out_relu, const ConvShape *s,
                          ConvAlgo algo);

/* References: the same contracts as plain loops with double sums, no workspace. */
void conv2d_forward_ref(float *out, const float *inp, const float *w, const float *bias, const ConvShape *s,
                        int relu);
void conv2d_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         const float *out_relu, const ConvShape *s);

/* MaxPool2d(2, 2) over n = B*C planes of H x W: out (n,H/2,W/2) (odd sizes floor, like torch:
 * the last row or column is dropped) and idx (n,H/2,W/2), which of the 4 inputs won
 * (dy*2 + dx; the first in row-major order on ties, as torch). */
void maxpool2d_forward(float *out, uint8_t *idx, const float *inp, int n, int H, int W);
/* dinp (n,H,W) = dout (n,H/2,W/2) routed to each window's winner, zero elsewhere (overwritten). */
void maxpool2d_backward(float *dinp, const float *dout, const uint8_t *idx, int n, int H, int W);
void maxpool2d_forward_ref(float *out, uint8_t *idx, const float *inp, int n, int H, int W);
void maxpool2d_backward_ref(float *dinp, const float *dout, const uint8_t *idx, int n, int H, int W);

#endif

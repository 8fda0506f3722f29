/* layers.h - the forward and backward passes of a typed layer stack (a Net with stack = 1):
 * Conv2d and MaxPool2d through conv.h's kernels, Linear and ReLU through kernels.h's, over the
 * Net's one parameter block. net.c calls these for stacks; dense nets never come here. It
 * allocates only in layers_work_create. */
#ifndef DIGITREC_LAYERS_H
#define DIGITREC_LAYERS_H

#include "net.h"

/* A stack's buffers in wk for up to cap examples (wk->cap and wk->fwd_only already set; wk
 * otherwise zeroed): the layer outputs, pool winners, conv workspace, the probabilities
 * (act[L]) and logits (pre_out), and unless fwd_only the gradient ping-pong (dact). Returns 0,
 * or -1 with err; on failure the caller frees what was made with layers_work_free. */
int layers_work_create(NetWork *wk, const Net *net, int cap, char *err);
/* Frees what layers_work_create made (not the NetWork itself). */
void layers_work_free(NetWork *wk);

/* x (B,784) -> every layer's output; logits in wk->pre_out, probabilities in wk->act[L].
 * Returns the mean cross-entropy when y is given, else 0. */
double layers_forward(const Net *net, NetWork *wk, const float *x, const int *y, int B);
/* After layers_forward of x: given dscore (B, K) (it may be wk->dact[0]), the gradient with
 * respect to the logits, writes the parameters' gradient into grad (nparams) and, unless dx is
 * NULL, the input's into dx (B, 784). Layers below the first one with parameters are skipped
 * when dx is NULL. */
void layers_backward(const Net *net, NetWork *wk, float *grad, float *dx, const float *dscore, const float *x, int B);

/* Output values per example of stack layer i, and the input of layer i in the last forward
 * (x for layer 0; aliases resolved). */
size_t layers_out_size(const LayerSpec *l);
const float *layers_input(const Net *net, const NetWork *wk, int i, const float *x);

#endif

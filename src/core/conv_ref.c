/* conv_ref.c - the plain-loop references of Conv2d forward and backward (double sums, no
 * workspace, no threads): what the tests hold the fast kernels of conv.c against. */
#include "conv.h"

#include <stddef.h>

void conv2d_forward_ref(float *out, const float *inp, const float *w, const float *bias, const ConvShape *s,
                        int relu) {
    int K = s->K;
    for (int b = 0; b < s->B; b++)
        for (int o = 0; o < s->Co; o++)
            for (int oh = 0; oh < s->Ho; oh++)
                for (int ow = 0; ow < s->Wo; ow++) {
                    double sum = bias[o];
                    for (int c = 0; c < s->Ci; c++)
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                int ih = oh * s->S + kh - s->P, iw = ow * s->S + kw - s->P;
                                if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W) continue;
                                sum += (double)w[(((size_t)o * s->Ci + c) * K + kh) * K + kw] *
                                       inp[(((size_t)b * s->Ci + c) * s->H + ih) * s->W + iw];
                            }
                    float v = (float)sum;
                    out[(((size_t)b * s->Co + o) * s->Ho + oh) * s->Wo + ow] = relu && !(v > 0.0f) ? 0.0f : v;
                }
}

void conv2d_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         const float *out_relu, const ConvShape *s) {
    int K = s->K;
#define DOUT(b, o, oh, ow)                                                                    \
    (out_relu && !(out_relu[(((size_t)(b) * s->Co + (o)) * s->Ho + (oh)) * s->Wo + (ow)] > 0.0f) \
         ? 0.0                                                                                \
         : (double)dout[(((size_t)(b) * s->Co + (o)) * s->Ho + (oh)) * s->Wo + (ow)])
    for (int o = 0; o < s->Co; o++) {
        double sb = 0;
        for (int b = 0; b < s->B; b++)
            for (int oh = 0; oh < s->Ho; oh++)
                for (int ow = 0; ow < s->Wo; ow++) sb += DOUT(b, o, oh, ow);
        db[o] = (float)sb;
        for (int c = 0; c < s->Ci; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++) {
                    double sum = 0;
                    for (int b = 0; b < s->B; b++)
                        for (int oh = 0; oh < s->Ho; oh++)
                            for (int ow = 0; ow < s->Wo; ow++) {
                                int ih = oh * s->S + kh - s->P, iw = ow * s->S + kw - s->P;
                                if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W) continue;
                                sum += DOUT(b, o, oh, ow) * inp[(((size_t)b * s->Ci + c) * s->H + ih) * s->W + iw];
                            }
                    dw[(((size_t)o * s->Ci + c) * K + kh) * K + kw] = (float)sum;
                }
    }
    if (!dinp) return;
    for (int b = 0; b < s->B; b++)
        for (int c = 0; c < s->Ci; c++)
            for (int ih = 0; ih < s->H; ih++)
                for (int iw = 0; iw < s->W; iw++) {
                    double sum = 0;
                    for (int o = 0; o < s->Co; o++)
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                int nh = ih + s->P - kh, nw = iw + s->P - kw;
                                if (nh < 0 || nw < 0 || nh % s->S || nw % s->S) continue;
                                int oh = nh / s->S, ow = nw / s->S;
                                if (oh >= s->Ho || ow >= s->Wo) continue;
                                sum += DOUT(b, o, oh, ow) * w[(((size_t)o * s->Ci + c) * K + kh) * K + kw];
                            }
                    dinp[(((size_t)b * s->Ci + c) * s->H + ih) * s->W + iw] = (float)sum;
                }
#undef DOUT
}

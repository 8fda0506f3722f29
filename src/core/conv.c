/* conv.c - Conv2d forward/backward (NCHW float32): the workspace plan, the per-image jobs and
 * the algorithm choice. The micro-kernels are conv_micro.c, the references conv_ref.c, pooling
 * pool.c. No allocation (the caller's workspace), no I/O; threads only via kernels_run.
 *
 * Stride-1 convolutions use a direct method with no im2col: each image is copied once into a
 * zero-padded plane of width Wp = W + 2P, and an output row is computed over the whole padded
 * width, so every tap (ci, kh, kw) of the kernel reads one contiguous run of that copy starting at
 * ci*Hp*Wp + kh*Wp + kw. The Wp - Wo extra columns of each row are computed and thrown away
 * (about 12% extra work at 28x28, 22% at 14x14) in exchange for no im2col copy and loads that
 * are all contiguous vectors. Kernel rows that would read only zero padding are skipped. The
 * input gradient is the same kernel run on the output gradient padded by K-1-P with the weights
 * flipped and transposed, or, when K-1-P > P (where that padding would be mostly zeros), per-tap
 * 1x1 products of the output gradient added into a padded plane; dW is a dot product of the
 * output-gradient rows with the same shifted runs of the padded input. On AVX-512 a second
 * direct kernel puts 16 output channels in a vector instead and broadcasts pixels (no padding
 * columns, and dW sums stay in registers); it is used where it measured faster (see resolve).
 * Its input gradient, when K-1-P > P, scatters per-tap 1x1 products of the compact output
 * gradient (no padding columns) into the padded plane with masked row-run adds. On AVX-512 the
 * row kernel's forward stores bias + ReLU straight into the output rows. Stride 2 goes through
 * im2col and kernels_gemm.c's products. docs/conv-kernels.md and docs/cnn-speed-notes.md have
 * the measurements behind these choices.
 *
 * A conv followed by MaxPool2d (conv2d_forward_pool / conv2d_backward_pool) pools each task's
 * images as soon as they are computed, and routes the pool's gradient through the ReLU straight
 * into the layout the backward kernels read, with no whole-batch tensor in between.
 *
 * Threads: the batch is cut into at most CONV_TASKS chunks of whole images, by B alone; each
 * chunk's dW/db goes to its own slot and the slots are summed in chunk order afterwards, so the
 * result is the same for any thread count. Scratch that lives only within a task is per thread
 * (room_of), so it stays in cache. */
#include "conv.h"

#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "conv_simd.h"
#include "kernels.h"
#include "kernels_gemm.h"

#if defined(DIGITREC_DNNL)
/* conv_dnnl.c: 0, or -1 when oneDNN cannot run it (then digitrec's kernels do) */
int conv_dnnl_forward(float *out, const float *inp, const float *w, const float *bias, const ConvShape *s, int relu);
int conv_dnnl_backward(float *dinp, float *dw, float *db, float *ws, const float *dout, const float *inp, const float *w,
                       const float *out_relu, const ConvShape *s);
#endif

#define CONV_TASKS 16
#define TASK_MACS 131072L /* below 2 tasks' worth, everything runs on the calling thread */

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

#if !defined(__AVX512F__)
/* dst[x] = src[x] + bias, then max(0, .) when relu, for x < n (on AVX-512 the direct kernel
 * applies them as it stores). */
static void row_bias_relu(float *dst, const float *src, int n, float bias, int relu) {
    int x = 0;
#if defined(__AVX2__)
    const __m256 vb = _mm256_set1_ps(bias), z = _mm256_setzero_ps();
    for (; x + 8 <= n; x += 8) {
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(src + x), vb);
        if (relu) v = _mm256_and_ps(v, _mm256_cmp_ps(v, z, _CMP_GT_OQ));
        _mm256_storeu_ps(dst + x, v);
    }
#endif
    for (; x < n; x++) {
        float v = src[x] + bias;
        dst[x] = relu && !(v > 0.0f) ? 0.0f : v;
    }
}
#endif

/* The sum of a (n, a multiple of 16), always added up in the same order. */
static double plane_sum(const float *a, size_t n) {
#if defined(__AVX512F__)
    __m512 acc = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(a + i));
    return _mm512_reduce_add_ps(acc);
#else
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i];
    return s;
#endif
}

/* dst[x] = g[x], or 0 where m[x] <= 0 (m may be NULL), for x < n; returns the sum of dst,
 * always added up in the same order. */
static float row_mask_copy(float *dst, const float *g, const float *m, int n) {
    int x = 0;
    float sum = 0;
#if defined(__AVX512F__)
    __m512 acc = _mm512_setzero_ps(), z = _mm512_setzero_ps();
    for (; x < n; x += 16) {
        __mmask16 k = n - x >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - x)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, g + x);
        if (m) v = _mm512_maskz_mov_ps(_mm512_mask_cmp_ps_mask(k, _mm512_maskz_loadu_ps(k, m + x), z, _CMP_GT_OQ), v);
        _mm512_mask_storeu_ps(dst + x, k, v);
        acc = _mm512_add_ps(acc, v);
    }
    sum = _mm512_reduce_add_ps(acc);
#elif defined(__AVX2__)
    __m256 acc = _mm256_setzero_ps(), z = _mm256_setzero_ps();
    for (; x + 8 <= n; x += 8) {
        __m256 v = _mm256_loadu_ps(g + x);
        if (m) v = _mm256_and_ps(v, _mm256_cmp_ps(_mm256_loadu_ps(m + x), z, _CMP_GT_OQ));
        _mm256_storeu_ps(dst + x, v);
        acc = _mm256_add_ps(acc, v);
    }
    sum = hsum8(acc);
#endif
    for (; x < n; x++) {
        float v = m && !(m[x] > 0.0f) ? 0.0f : g[x];
        dst[x] = v;
        sum += v;
    }
    return sum;
}

ConvShape conv_shape(int B, int Ci, int H, int W, int Co, int K, int S, int P) {
    assert(B >= 1 && Ci >= 1 && H >= 1 && W >= 1 && Co >= 1);
    assert(K >= CONV_MIN_K && K <= CONV_MAX_K && (S == 1 || S == 2) && P >= 0 && P < K);
    ConvShape s = {B, Ci, H, W, Co, K, S, P, (H + 2 * P - K) / S + 1, (W + 2 * P - K) / S + 1};
    assert(H + 2 * P >= K && W + 2 * P >= K);
    return s;
}

/* ---- workspace plan ---- */

typedef struct {
    int ntasks, chunk;  /* tasks (chunks of whole images) and the most images in one */
    int T;              /* taps per output channel: Ci*K*K */
    /* direct (stride 1) */
    int Hp, Wp;         /* padded input plane */
    size_t xp_len;      /* floats of one padded image, slack for the last block's over-read */
    size_t ld_o;        /* row stride of the forward's wide output: Ho*Wp rounded up */
    size_t ld_d;        /* row stride of the masked output gradient, same layout */
    int Q, Hq, Wq;      /* the input gradient: dout padded by Q = K-1-P */
    int scatter;        /* dinp by per-tap 1x1 products added into a padded plane (Q > P) */
    size_t dq_len, ld_i;
    size_t o_len;       /* the wide output of one image (forward or input gradient) */
    size_t direct_task;
    /* im2col */
    size_t im2col_task;
    /* channel vectors (AVX-512): output channels padded to 16 */
    int Cop;
    size_t dt_len, cv_task;
    size_t ldc;         /* row stride of the compact masked gradient (Co, Ho*Wo) the scatter reads */
    size_t wpack_len, wflip_len;
    /* shared: per-task dW/db slots, the flipped weights, the tap offsets */
    size_t slot;        /* floats: dW (wpack_len), then db (Co doubles), each rounded to 64 bytes */
    size_t shared;
    size_t task_max;    /* the largest of the per-task parts above, for any algorithm */
    size_t unpool;      /* per task, after all the tasks' parts: a pool's gradient routed back to
                           the conv's output, (chunk, Co, Ho, Wo) */
} Plan;

static Plan plan_make(const ConvShape *s) {
    Plan p;
    p.ntasks = s->B < CONV_TASKS ? s->B : CONV_TASKS;
    p.chunk = (s->B + p.ntasks - 1) / p.ntasks;
    p.T = s->Ci * s->K * s->K;
    size_t Co = (size_t)s->Co, Ci = (size_t)s->Ci, K = (size_t)s->K;
    p.Hp = s->H + 2 * s->P, p.Wp = s->W + 2 * s->P;
    size_t n_out = (size_t)s->Ho * (size_t)p.Wp;
    p.ld_o = round_up(n_out, VL);
    p.ld_d = p.ld_o;
    size_t off_max = (Ci - 1) * (size_t)p.Hp * (size_t)p.Wp + (K - 1) * (size_t)p.Wp + (K - 1);
    p.xp_len = round_up(off_max + p.ld_o + 1, 16);
    p.Q = s->K - 1 - s->P;
    /* gathering through dout padded by Q computes H*(Wo+2Q) wide positions per channel pair and
     * tap; scattering computes Ho*Wp: fewer when Q > P (e.g. padding 0: 3x fewer at 12x12) */
    p.scatter = s->S == 1 && p.Q > s->P;
    p.Hq = s->Ho + 2 * p.Q, p.Wq = s->Wo + 2 * p.Q;
    p.ld_i = round_up((size_t)s->H * (size_t)p.Wq, VL);
    size_t offq_max = (Co - 1) * (size_t)p.Hq * (size_t)p.Wq + (K - 1) * (size_t)p.Wq + (K - 1);
    p.dq_len = round_up(offq_max + p.ld_i + 1, 16);
    p.o_len = round_up(Co * p.ld_o > Ci * p.ld_i ? Co * p.ld_o : Ci * p.ld_i, 16);
    p.direct_task = (size_t)p.chunk * (p.xp_len + round_up(Co * p.ld_d, 16)) + p.dq_len + p.o_len;
    size_t hw = (size_t)s->Ho * (size_t)s->Wo, T = (size_t)p.T;
    p.im2col_task = round_up(hw * T, 16) * 2 + round_up(Co * T, 16) + round_up(Co * hw, 16);
    p.Cop = (int)round_up(Co, 16);
    p.dt_len = round_up(hw * (size_t)p.Cop, 16);
    p.ldc = round_up(hw, 16);
    p.cv_task = (size_t)p.chunk * (p.xp_len + p.dt_len) + p.dq_len + p.o_len + round_up(Co * p.ld_d, 16) +
                round_up(Co * p.ldc, 16) + round_up(Ci * (size_t)p.Hp * (size_t)p.Wp, 16);
    size_t wk = T * (size_t)p.Cop;
    p.wpack_len = round_up(wk > Co * T ? wk : Co * T, 16);
    p.wflip_len = round_up(Co * T, 16);
    p.slot = p.wpack_len + round_up(2 * Co, 16);
    p.shared = (size_t)p.ntasks * p.slot + p.wpack_len + p.wflip_len + round_up(T, 16);
    p.task_max = p.im2col_task;
    if (s->S == 1 && p.direct_task > p.task_max) p.task_max = p.direct_task;
    if (s->S == 1 && p.cv_task > p.task_max) p.task_max = p.cv_task;
    p.unpool = round_up((size_t)p.chunk * Co * hw, 16);
    return p;
}

size_t conv2d_workspace(const ConvShape *s) {
    Plan p = plan_make(s);
    size_t total = p.shared + (size_t)p.ntasks * (p.task_max + p.unpool);
#if defined(DIGITREC_DNNL)
    /* conv_dnnl_backward's masked dout, then (conv2d_backward_pool) the routed pool gradient */
    size_t masked = (size_t)s->B * s->Co * s->Ho * s->Wo;
    if (2 * masked > total) total = 2 * masked;
#endif
    return total;
}

/* ---- jobs ---- */

typedef struct {
    float *out, *dinp, *dw, *db, *ws;
    const float *inp, *w, *bias, *dout, *out_relu;
    float *pooled;          /* forward: MaxPool2d(2, 2) of out, and its winners (else NULL) */
    uint8_t *pool_idx;
    const uint8_t *pidx;    /* backward: dout is the pool's gradient, with these winners and */
    const float *ppool;     /* the pool's output (else NULL) */
    const ConvShape *s;
    Plan p;
    int relu, algo;
    unsigned long id;  /* unique to this call: rooms are per job */
    atomic_int *rooms; /* rooms handed out so far */
    float *wpack;    /* channel vectors: (T, Cop) packed weights */
    float *wflip;    /* (Ci, Co, K, K) flipped, transposed weights (dinp by the direct kernel) */
    int *off;        /* direct: (T) tap offsets into a padded image; channel vectors: (Ci*K)
                        kernel-row offsets */
} ConvJob;

/* A task's scratch (padded images, gradients in other layouts: nothing that outlives the task)
 * is the room of the thread running it, one of the ntasks rooms handed out to threads in the
 * order they first run a task of the job: the same few rooms stay in cache from task to task
 * and step to step, instead of one per task. Nothing computed depends on which room was used. */
static _Thread_local unsigned long t_job; /* the last job this thread ran a task of, */
static _Thread_local int t_room;          /* and its room in that job */

static int room_of(const ConvJob *j) {
    if (t_job != j->id) {
        /* the first task of this job on this thread: no more threads than tasks take a room */
        t_job = j->id;
        t_room = atomic_fetch_add(j->rooms, 1);
    }
    return t_room;
}

static float *task_ws(const ConvJob *j, int t) {
    t = room_of(j);
    size_t task = j->algo == CONV_DIRECT ? j->p.direct_task : j->algo == CONV_CHANNELS ? j->p.cv_task : j->p.im2col_task;
    return j->ws + j->p.shared + (size_t)t * task;
}
static float *task_slot(const ConvJob *j, int t) { return j->ws + (size_t)t * j->p.slot; }
static float *task_unpool(const ConvJob *j, int t) {
    t = room_of(j);
    return j->ws + j->p.shared + (size_t)j->p.ntasks * j->p.task_max + (size_t)t * j->p.unpool;
}
/* The gradient of the conv's output for image b of task t (images from b0): dout's, or with a
 * pool after the conv the one bwd_task routed back into the task's room. */
static const float *grad_of(const ConvJob *j, int t, int b0, int b) {
    size_t img = (size_t)j->s->Co * j->s->Ho * j->s->Wo;
    return j->pidx ? task_unpool(j, t) + (size_t)(b - b0) * img : j->dout + (size_t)b * img;
}
static double *task_db(const ConvJob *j, int t) {
    return (double *)(task_slot(j, t) + j->p.wpack_len);
}

/* Xp (Ci, Hp, Wp) + slack = inp (Ci, H, W) zero-padded by P. */
/* dst[x] = src[x], x < n: short rows, where a memcpy call costs more than the copy. */
static inline void copy_row(float *dst, const float *src, int n) {
    int x = 0;
#if defined(__AVX512F__)
    for (; x + 16 <= n; x += 16) _mm512_storeu_ps(dst + x, _mm512_loadu_ps(src + x));
    if (x < n) {
        __mmask16 m = (__mmask16)((1u << (n - x)) - 1);
        _mm512_mask_storeu_ps(dst + x, m, _mm512_maskz_loadu_ps(m, src + x));
    }
    return;
#endif
    for (; x < n; x++) dst[x] = src[x];
}

static void pad_image(float *xp, const float *inp, const ConvShape *s, const Plan *p) {
    int P = s->P, W = s->W, Wp = p->Wp;
    float *d = xp;
    for (int c = 0; c < s->Ci; c++) {
        memset(d, 0, sizeof(float) * (size_t)P * Wp); /* top rows */
        for (int h = 0; h < s->H; h++) {
            float *row = d + (size_t)(h + P) * Wp;
            for (int x = 0; x < P; x++) row[x] = row[P + W + x] = 0.0f;
            copy_row(row + P, inp + ((size_t)c * s->H + h) * W, W);
        }
        memset(d + (size_t)(P + s->H) * Wp, 0, sizeof(float) * (size_t)P * Wp); /* bottom rows */
        d += (size_t)p->Hp * Wp;
    }
    memset(d, 0, sizeof(float) * (p->xp_len - (size_t)(d - xp))); /* the slack the last blocks read */
}

// inp (B,Ci,H,W), w (Co,Ci,K,K), bias (Co) -> out (B,Co,Ho,Wo), images [b0, b1) of task t
static void fwd_direct(const ConvJob *j, int t, int b0, int b1) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    float *xp = task_ws(j, t);
    size_t n = (size_t)s->Ho * p->Wp, in_img = (size_t)s->Ci * s->H * s->W, out_img = (size_t)s->Co * s->Ho * s->Wo;
    size_t plane = (size_t)p->Hp * p->Wp;
#if !defined(__AVX512F__)
    float *o = xp + (size_t)p->chunk * (p->xp_len + round_up((size_t)s->Co * p->ld_d, 16)) + p->dq_len;
#endif
    for (int b = b0; b < b1; b++) {
        pad_image(xp, j->inp + (size_t)b * in_img, s, p);
        float *ob = j->out + (size_t)b * out_img;
#if defined(__AVX512F__)
        /* bias and ReLU in the kernel's stores, which skip the padding columns: no wide copy */
        conv_mk_direct_conv_out(ob, s->Ho, s->Wo, xp, plane, p->Wp, j->w, j->bias, j->relu, s->Co, s->Ci, s->K, n, s->P,
                                s->P + s->H);
#else
        conv_mk_direct_conv(o, p->ld_o, xp, plane, p->Wp, j->w, s->Co, s->Ci, s->K, n, s->P, s->P + s->H);
        for (int c = 0; c < s->Co; c++)
            for (int h = 0; h < s->Ho; h++)
                row_bias_relu(ob + ((size_t)c * s->Ho + h) * s->Wo, o + (size_t)c * p->ld_o + (size_t)h * p->Wp, s->Wo,
                              j->bias[c], j->relu);
#endif
    }
}

/* colT (Ho*Wo, T): row (oh, ow) holds the K*K*Ci inputs under the kernel, zero outside. */
static void im2col(float *colT, const float *inp, const ConvShape *s) {
    int K = s->K, T = s->Ci * K * K;
    for (int oh = 0; oh < s->Ho; oh++)
        for (int ow = 0; ow < s->Wo; ow++) {
            float *row = colT + ((size_t)oh * s->Wo + ow) * T;
            for (int c = 0; c < s->Ci; c++)
                for (int kh = 0; kh < K; kh++) {
                    int ih = oh * s->S + kh - s->P;
                    for (int kw = 0; kw < K; kw++) {
                        int iw = ow * s->S + kw - s->P;
                        *row++ = ih >= 0 && ih < s->H && iw >= 0 && iw < s->W
                                     ? inp[((size_t)c * s->H + ih) * s->W + iw] : 0.0f;
                    }
                }
        }
}

/* dinp (Ci,H,W) = the sum of dcolT's entries over the positions they came from. */
static void col2im(float *dinp, const float *dcolT, const ConvShape *s) {
    int K = s->K;
    memset(dinp, 0, sizeof(float) * (size_t)s->Ci * s->H * s->W);
    for (int oh = 0; oh < s->Ho; oh++)
        for (int ow = 0; ow < s->Wo; ow++) {
            const float *row = dcolT + ((size_t)oh * s->Wo + ow) * s->Ci * K * K;
            for (int c = 0; c < s->Ci; c++)
                for (int kh = 0; kh < K; kh++) {
                    int ih = oh * s->S + kh - s->P;
                    for (int kw = 0; kw < K; kw++, row++) {
                        int iw = ow * s->S + kw - s->P;
                        if (ih >= 0 && ih < s->H && iw >= 0 && iw < s->W) dinp[((size_t)c * s->H + ih) * s->W + iw] += *row;
                    }
                }
        }
}

static void fwd_im2col(const ConvJob *j, int t, int b0, int b1) {
    const ConvShape *s = j->s;
    float *colT = task_ws(j, t);
    int hw = s->Ho * s->Wo, T = j->p.T;
    size_t in_img = (size_t)s->Ci * s->H * s->W;
    for (int b = b0; b < b1; b++) {
        im2col(colT, j->inp + (size_t)b * in_img, s);
        float *ob = j->out + (size_t)b * s->Co * hw;
        gemm_nt(ob, hw, j->w, T, colT, T, s->Co, hw, T, NULL, GEMM_BIAS_NONE, 0);
        for (int c = 0; c < s->Co; c++)
            for (int i = 0; i < hw; i++) {
                float v = ob[(size_t)c * hw + i] + j->bias[c];
                ob[(size_t)c * hw + i] = j->relu && !(v > 0.0f) ? 0.0f : v;
            }
    }
}

#if CV_HAVE
/* Wk (T, Cop) = w (Co, T) transposed, zero past Co. */
static void cv_pack(float *wk, const float *w, int Co, int T, int Cop) {
    for (int t = 0; t < T; t++) {
        float *row = wk + (size_t)t * Cop;
        for (int c = 0; c < Co; c++) row[c] = w[(size_t)c * T + t];
        for (int c = Co; c < Cop; c++) row[c] = 0.0f;
    }
}

static void fwd_cv(const ConvJob *j, int t, int b0, int b1) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    float *xp = task_ws(j, t);
    size_t in_img = (size_t)s->Ci * s->H * s->W, out_img = (size_t)s->Co * s->Ho * s->Wo;
    for (int b = b0; b < b1; b++) {
        /* channel vectors read only inside the padded planes: with no padding, the input itself */
        const float *x = j->inp + (size_t)b * in_img;
        if (s->P) pad_image(xp, x, s, p), x = xp;
        conv_mk_cv_conv(j->out + (size_t)b * out_img, x, (size_t)p->Hp * p->Wp, p->Wp, j->wpack, p->Cop, s->Co, s->Ci, s->K,
                s->Ho, s->Wo, j->bias, j->relu);
    }
}
#endif

static void fwd_task(void *ctx, int t) {
    const ConvJob *j = ctx;
    int b0, b1;
    kernels_split(j->s->B, 1, t, j->p.ntasks, &b0, &b1);
    if (j->algo == CONV_DIRECT) fwd_direct(j, t, b0, b1);
#if CV_HAVE
    else if (j->algo == CONV_CHANNELS) fwd_cv(j, t, b0, b1);
#endif
    else fwd_im2col(j, t, b0, b1);
    if (!j->pooled || b1 <= b0) return;
    /* the task's images are still in cache: pool them now instead of in a pass of their own */
    const ConvShape *s = j->s;
    size_t out_img = (size_t)s->Co * s->Ho * s->Wo, pool_img = (size_t)s->Co * (s->Ho / 2) * (s->Wo / 2);
    maxpool2d_planes_forward(j->pooled + (size_t)b0 * pool_img, j->pool_idx + (size_t)b0 * pool_img,
                             j->out + (size_t)b0 * out_img, (b1 - b0) * s->Co, s->Ho, s->Wo);
}

/* The measured choice (docs/conv-kernels.md, CPU time per batch of 64): stride 2 goes through
 * im2col. For stride 1 the row-vector direct kernel, except where channel vectors measured
 * faster: dW (the backward) when there are >= 16 output channels and Ci*K*K >= 100 taps (so the
 * transposed gradient is cheap beside the products), and the forward when there are also
 * >= 32 output channels (two full vectors) and K >= 5. First layers (Ci = 1) stay on rows. */
static int resolve(const ConvShape *s, ConvAlgo algo, int backward) {
#if defined(DIGITREC_DNNL)
    if (algo == CONV_AUTO) return CONV_DNNL;
#else
    if (algo == CONV_DNNL) algo = CONV_AUTO;
#endif
    if (algo == CONV_DNNL) return CONV_DNNL;
    if (algo == CONV_AUTO || algo == CONV_OWN) {
        if (s->S != 1) return CONV_IM2COL;
        int taps = s->Ci * s->K * s->K >= 100;
        int cv = backward ? taps && s->Co >= 16 : taps && s->Co >= 32 && s->K >= 5;
        return CV_HAVE && cv ? CONV_CHANNELS : CONV_DIRECT;
    }
    assert(algo == CONV_IM2COL || s->S == 1);
    if (algo == CONV_CHANNELS && !CV_HAVE) return CONV_DIRECT;
    return algo;
}

/* Where the shared parts of the workspace are: after the per-task dW/db slots. */
static void shared_parts(ConvJob *j) {
    j->wpack = j->ws + (size_t)j->p.ntasks * j->p.slot;
    j->wflip = j->wpack + j->p.wpack_len;
    j->off = (int *)(j->wflip + j->p.wflip_len);
}

static atomic_ulong g_jobs;

static void run(ConvJob *j, KernelsTask fn) {
    const ConvShape *s = j->s;
    atomic_int rooms = 0;
    j->id = atomic_fetch_add(&g_jobs, 1) + 1;
    j->rooms = &rooms;
    long macs = (long)s->B * s->Co * s->Ho * s->Wo * j->p.T;
    if (macs < 2 * TASK_MACS)
        for (int t = 0; t < j->p.ntasks; t++) fn(j, t);
    else
        kernels_run(fn, j, j->p.ntasks);
}

static void forward_job(float *out, float *pooled, uint8_t *idx, float *ws, const float *inp, const float *w,
                        const float *bias, const ConvShape *s, int relu, ConvAlgo algo) {
    ConvJob j = {.out = out, .ws = ws, .inp = inp, .w = w, .bias = bias, .pooled = pooled, .pool_idx = idx, .s = s,
                 .p = plan_make(s), .relu = relu, .algo = resolve(s, algo, 0)};
#if defined(DIGITREC_DNNL)
    if (j.algo == CONV_DNNL) {
        if (conv_dnnl_forward(out, inp, w, bias, s, relu) == 0) {
            if (pooled) maxpool2d_forward(pooled, idx, out, s->B * s->Co, s->Ho, s->Wo);
            return;
        }
        j.algo = resolve(s, CONV_OWN, 0);
    }
#endif
    shared_parts(&j);
#if CV_HAVE
    if (j.algo == CONV_CHANNELS) cv_pack(j.wpack, w, s->Co, j.p.T, j.p.Cop);
#endif
    run(&j, fwd_task);
}

void conv2d_forward_algo(float *out, float *ws, const float *inp, const float *w, const float *bias,
                         const ConvShape *s, int relu, ConvAlgo algo) {
    forward_job(out, NULL, NULL, ws, inp, w, bias, s, relu, algo);
}

void conv2d_forward(float *out, float *ws, const float *inp, const float *w, const float *bias,
                    const ConvShape *s, int relu) {
    forward_job(out, NULL, NULL, ws, inp, w, bias, s, relu, CONV_AUTO);
}

void conv2d_forward_pool(float *out, float *pooled, uint8_t *idx, float *ws, const float *inp, const float *w,
                         const float *bias, const ConvShape *s, int relu, ConvAlgo algo) {
    assert(s->Ho >= 2 && s->Wo >= 2);
    forward_job(out, pooled, idx, ws, inp, w, bias, s, relu, algo);
}

/* ---- backward ---- */

/* D (Co, ld_d) = g, the output gradient of image b, in the wide layout (zero in the Wp - Wo extra columns and past
 * Ho*Wp), masked by out_relu > 0; adds its column sums to dbs (Co) in order. */
static void wide_grad(float *D, double *dbs, const ConvJob *j, const float *g, int b) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    size_t img = (size_t)s->Co * s->Ho * s->Wo, n = (size_t)s->Ho * p->Wp;
    const float *m = j->out_relu ? j->out_relu + (size_t)b * img : NULL;
    for (int c = 0; c < s->Co; c++) {
        float *dc = D + (size_t)c * p->ld_d;
        for (int h = 0; h < s->Ho; h++) {
            size_t src = ((size_t)c * s->Ho + h) * s->Wo;
            float *row = dc + (size_t)h * p->Wp;
            row_mask_copy(row, g + src, m ? m + src : NULL, s->Wo);
            for (int x = s->Wo; x < p->Wp; x++) row[x] = 0.0f;
        }
        memset(dc + n, 0, sizeof(float) * (p->ld_d - n));
        if (dbs) dbs[c] += plane_sum(dc, p->ld_d);
    }
}

/* wide_grad's D for image b when dout is the pool's gradient: routed to the winners through the
 * ReLU (the pool's output > 0) straight into the wide rows. */
static void route_wide(float *D, double *dbs, const ConvJob *j, int b) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    size_t pool_img = (size_t)s->Co * (s->Ho / 2) * (s->Wo / 2), n = (size_t)s->Ho * p->Wp;
    maxpool2d_route(D, p->ld_d, p->Wp, p->Wp, j->dout + (size_t)b * pool_img, j->pidx + (size_t)b * pool_img,
                    j->ppool + (size_t)b * pool_img, s->Co, s->Ho, s->Wo);
    for (int c = 0; c < s->Co; c++) {
        float *dc = D + (size_t)c * p->ld_d;
        memset(dc + n, 0, sizeof(float) * (p->ld_d - n));
        dbs[c] += plane_sum(dc, p->ld_d);
    }
}

/* dinp (Ci, H, W) of one image from its masked output gradient Dw (Co, ld_d; rows of Wp, zero
 * past Wo). Either scattered: for each tap (kh, kw), the 1x1 product wtap (Ci, Co) @ Dw added
 * into a padded plane at offset kh*Wp + kw, then cropped (pad: xp_len floats); or gathered: Dw
 * padded by Q (dq) through the flipped weights into the wide o. */
static void dinp_from_wide(const ConvJob *j, float *di, const float *Dw, float *dq, float *o, float *pad) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    int Co = s->Co, Ci = s->Ci, K = s->K;
    if (p->scatter) {
        size_t plane = (size_t)p->Hp * p->Wp, n = (size_t)s->Ho * p->Wp;
        memset(pad, 0, sizeof(float) * p->xp_len);
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                const float *wt = j->wflip + (size_t)(kh * K + kw) * Ci * Co;
                float *dst = pad + (size_t)kh * p->Wp + kw;
                for (int c0 = 0; c0 < Ci; c0 += FWD_MR) {
                    int mr = Ci - c0 < FWD_MR ? Ci - c0 : FWD_MR;
                    for (size_t n0 = 0; n0 < n; n0 += FWD_NV * VL) {
                        size_t left = (n - n0 + VL - 1) / VL;
                        int nv = left < FWD_NV ? (int)left : FWD_NV;
                        conv_mk_direct(dst + (size_t)c0 * plane + n0, plane, Dw + n0, p->ld_d, p->Wp, wt + (size_t)c0 * Co,
                                        Co, 1, 0, 1, mr, nv, 1);
                    }
                }
            }
        for (int c = 0; c < Ci; c++)
            for (int h = 0; h < s->H; h++)
                memcpy(di + ((size_t)c * s->H + h) * s->W, pad + (size_t)c * plane + (size_t)(h + s->P) * p->Wp + s->P,
                       sizeof(float) * (size_t)s->W);
        return;
    }
    size_t qplane = (size_t)p->Hq * p->Wq;
    memset(dq, 0, sizeof(float) * p->dq_len);
    for (int c = 0; c < Co; c++)
        for (int h = 0; h < s->Ho; h++)
            memcpy(dq + (size_t)c * qplane + (size_t)(h + p->Q) * p->Wq + p->Q, Dw + (size_t)c * p->ld_d + (size_t)h * p->Wp,
                   sizeof(float) * (size_t)s->Wo);
    conv_mk_direct_conv(o, p->ld_i, dq, qplane, p->Wq, j->wflip, Ci, Co, K, (size_t)s->H * p->Wq, p->Q, p->Q + s->Ho);
    for (int c = 0; c < Ci; c++)
        for (int h = 0; h < s->H; h++)
            memcpy(di + ((size_t)c * s->H + h) * s->W, o + (size_t)c * p->ld_i + (size_t)h * p->Wq, sizeof(float) * (size_t)s->W);
}

static void bwd_direct(const ConvJob *j, int t, int b0, int b1) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    int nimg = b1 - b0, Co = s->Co, Ci = s->Ci, T = p->T;
    size_t dlen = round_up((size_t)Co * p->ld_d, 16);
    float *xp = task_ws(j, t), *D = xp + (size_t)p->chunk * p->xp_len, *dq = D + (size_t)p->chunk * dlen;
    float *o = dq + p->dq_len, *slot = task_slot(j, t);
    double *dbs = task_db(j, t);
    size_t in_img = (size_t)Ci * s->H * s->W;
    for (int c = 0; c < Co; c++) dbs[c] = 0;
    for (int i = 0; i < nimg; i++) {
        pad_image(xp + (size_t)i * p->xp_len, j->inp + (size_t)(b0 + i) * in_img, s, p);
        if (j->pidx) route_wide(D + (size_t)i * dlen, dbs, j, b0 + i);
        else wide_grad(D + (size_t)i * dlen, dbs, j, grad_of(j, t, b0, b0 + i), b0 + i);
    }
    /* dW slot (Co, T) over the chunk's images */
    for (int c0 = 0; c0 < Co; c0 += DOT_MR) {
        int mr = Co - c0 < DOT_MR ? Co - c0 : DOT_MR;
        /* taps in nearly equal blocks (25 = 5 x 5, not 4 x 6 + 1) */
        int nblk = (T + DOT_NT - 1) / DOT_NT;
        for (int bk = 0, t0 = 0; bk < nblk; bk++) {
            int t1 = (int)((long)T * (bk + 1) / nblk), nt = t1 - t0;
            conv_mk_dot(slot + (size_t)c0 * T + t0, (size_t)T, D + (size_t)c0 * p->ld_d, dlen, p->ld_d, xp, p->xp_len,
                         j->off + t0, nimg, p->ld_d, mr, nt);
            t0 = t1;
        }
    }
    if (!j->dinp) return;
    /* the padded inputs are no longer needed: the first one's room is the scatter plane */
    for (int i = 0; i < nimg; i++)
        dinp_from_wide(j, j->dinp + (size_t)(b0 + i) * in_img, D + (size_t)i * dlen, dq, o, xp);
}

static void bwd_im2col(const ConvJob *j, int t, int b0, int b1) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    int Co = s->Co, T = p->T, hw = s->Ho * s->Wo;
    size_t cl = round_up((size_t)hw * T, 16);
    float *colT = task_ws(j, t), *dcolT = colT + cl, *tmp = dcolT + cl, *dm = tmp + round_up((size_t)Co * T, 16);
    float *slot = task_slot(j, t);
    double *dbs = task_db(j, t);
    size_t in_img = (size_t)s->Ci * s->H * s->W, out_img = (size_t)Co * hw;
    for (int c = 0; c < Co; c++) dbs[c] = 0;
    for (int b = b0; b < b1; b++) {
        const float *g = grad_of(j, t, b0, b), *m = j->out_relu ? j->out_relu + (size_t)b * out_img : NULL;
        for (int c = 0; c < Co; c++) {
            double sum = 0;
            for (int i = 0; i < hw; i++) {
                size_t e = (size_t)c * hw + i;
                float v = m && !(m[e] > 0.0f) ? 0.0f : g[e];
                dm[e] = v;
                sum += v;
            }
            dbs[c] += sum;
        }
        im2col(colT, j->inp + (size_t)b * in_img, s);
        /* dW (Co, T) += dm (Co, hw) @ colT (hw, T) */
        gemm_bc(b == b0 ? slot : tmp, T, dm, hw, 1, colT, T, Co, T, hw, NULL, 0);
        if (b != b0) kernels_axpy(slot, 1.0f, tmp, (size_t)Co * T);
        if (j->dinp) {
            /* dcolT (hw, T) = dm^T (hw, Co) @ w (Co, T) */
            gemm_bc(dcolT, T, dm, 1, hw, j->w, T, hw, T, Co, NULL, 0);
            col2im(j->dinp + (size_t)b * in_img, dcolT, s);
        }
    }
}

#if CV_HAVE
/* 16 rows of 16 floats transposed in registers: r[i][k] becomes r[k][i]. */
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* u[4a + b], 128-bit lane k: column 4k + b of rows 4a..4a+3 */
    __m512 u[16];
    for (int a = 0; a < 16; a += 4) {
        __m512d t0 = _mm512_castps_pd(t[a]), t1 = _mm512_castps_pd(t[a + 1]);
        __m512d t2 = _mm512_castps_pd(t[a + 2]), t3 = _mm512_castps_pd(t[a + 3]);
        u[a] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        u[a + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        u[a + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        u[a + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    for (int b = 0; b < 4; b++) {
        __m512 vlo = _mm512_shuffle_f32x4(u[b], u[4 + b], 0x88), vhi = _mm512_shuffle_f32x4(u[b], u[4 + b], 0xdd);
        __m512 wlo = _mm512_shuffle_f32x4(u[8 + b], u[12 + b], 0x88), whi = _mm512_shuffle_f32x4(u[8 + b], u[12 + b], 0xdd);
        r[b] = _mm512_shuffle_f32x4(vlo, wlo, 0x88);
        r[8 + b] = _mm512_shuffle_f32x4(vlo, wlo, 0xdd);
        r[4 + b] = _mm512_shuffle_f32x4(vhi, whi, 0x88);
        r[12 + b] = _mm512_shuffle_f32x4(vhi, whi, 0xdd);
    }
}

/* dT (hw, Cop) = Dc^T: Dc (Co, ldc) read in blocks of 16 x 16 (rows from Co to Cop as zero),
 * rows q < hw of dT written. */
static void transpose_grad(float *dT, const float *Dc, int Co, int Cop, int hw, size_t ldc) {
    for (int c0 = 0; c0 < Cop; c0 += 16)
        for (int q0 = 0; q0 < hw; q0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = c0 + i < Co ? _mm512_loadu_ps(Dc + (size_t)(c0 + i) * ldc + q0) : _mm512_setzero_ps();
            transpose16(r);
            int nq = hw - q0 < 16 ? hw - q0 : 16;
            for (int i = 0; i < nq; i++) _mm512_storeu_ps(dT + (size_t)(q0 + i) * Cop + c0, r[i]);
        }
}

/* dinp (Ci, H, W) of one image by scattering (K-1-P > P) from Dc (Co, ldc), its masked output
 * gradient (compact, zero past Ho*Wo): for each tap (kh, kw) the 1x1 product wtap (Ci, Co) @ Dc added at
 * offset kh*Wp + kw of a padded plane (Ci, Hp, Wp), cropped into dinp; with no padding the plane
 * is dinp itself. Every product is over the compact positions: none is thrown away. */
static void dinp_scatter(const ConvJob *j, float *di, const float *Dc, float *pad) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    int Co = s->Co, Ci = s->Ci, K = s->K, hw = s->Ho * s->Wo;
    size_t plane = (size_t)p->Hp * p->Wp;
    float *dst = s->P == 0 ? di : pad;
    memset(dst, 0, sizeof(float) * (size_t)Ci * plane);
    int nvec = (hw + 15) / 16, nvb = (nvec + SC_NV - 1) / SC_NV, ncb = (Ci + SC_MR - 1) / SC_MR;
    for (int tap = 0; tap < K * K; tap++) {
        const float *wt = j->wflip + (size_t)tap * Ci * Co;
        float *at = dst + (size_t)(tap / K) * p->Wp + tap % K;
        /* channels and vectors in nearly equal blocks (16 = 6 + 5 + 5, not 6 + 6 + 4) */
        for (int cb = 0; cb < ncb; cb++) {
            int c0 = (int)((long)Ci * cb / ncb), c1 = (int)((long)Ci * (cb + 1) / ncb);
            for (int vb = 0; vb < nvb; vb++) {
                int v0 = (int)((long)nvec * vb / nvb), v1 = (int)((long)nvec * (vb + 1) / nvb);
                conv_mk_scatter(at + (size_t)c0 * plane, plane, p->Wp, wt + (size_t)c0 * Co, Co, Dc, p->ldc, 16 * v0, hw,
                                s->Wo, c1 - c0, v1 - v0);
            }
        }
    }
    if (s->P == 0) return;
    for (int c = 0; c < Ci; c++)
        for (int h = 0; h < s->H; h++)
            memcpy(di + ((size_t)c * s->H + h) * s->W, pad + (size_t)c * plane + (size_t)(h + s->P) * p->Wp + s->P,
                   sizeof(float) * (size_t)s->W);
}

static void bwd_cv(const ConvJob *j, int t, int b0, int b1) {
    const ConvShape *s = j->s;
    const Plan *p = &j->p;
    int nimg = b1 - b0, Co = s->Co, Ci = s->Ci, K = s->K, Cop = p->Cop, hw = s->Ho * s->Wo;
    float *xp = task_ws(j, t), *dT = xp + (size_t)p->chunk * p->xp_len, *dq = dT + (size_t)p->chunk * p->dt_len;
    float *o = dq + p->dq_len, *Dw = o + p->o_len, *Dc = Dw + round_up((size_t)Co * p->ld_d, 16);
    float *pad = Dc + round_up((size_t)Co * p->ldc, 16);
    float *slot = task_slot(j, t);
    double *dbs = task_db(j, t);
    size_t in_img = (size_t)Ci * s->H * s->W, out_img = (size_t)Co * hw;
    for (int c = 0; c < Co; c++) dbs[c] = 0;
    /* channel vectors read only inside the padded planes: with no padding, the inputs themselves */
    const float *X = s->P ? xp : j->inp + (size_t)b0 * in_img;
    size_t ximg = s->P ? p->xp_len : in_img;
    for (int i = 0; i < nimg; i++) {
        int b = b0 + i;
        if (s->P) pad_image(xp + (size_t)i * p->xp_len, j->inp + (size_t)b * in_img, s, p);
        /* Dc (Co, ldc): the masked output gradient, compact; then dT (hw, Cop), pixels by channels */
        const float *g = j->dout + (size_t)b * out_img, *m = j->out_relu ? j->out_relu + (size_t)b * out_img : NULL;
        if (j->pidx) {
            /* routed from the pool's gradient through the ReLU into the compact rows; the sums
             * as row_mask_copy adds them */
            size_t pool_img = (size_t)Co * (s->Ho / 2) * (s->Wo / 2);
            maxpool2d_route(Dc, p->ldc, s->Wo, s->Wo, j->dout + (size_t)b * pool_img, j->pidx + (size_t)b * pool_img,
                            j->ppool + (size_t)b * pool_img, Co, s->Ho, s->Wo);
            g = Dc, m = NULL;
        }
        for (int c = 0; c < Co; c++) {
            float *dc = Dc + (size_t)c * p->ldc;
            dbs[c] += row_mask_copy(dc, g == Dc ? dc : g + (size_t)c * hw, m ? m + (size_t)c * hw : NULL, hw);
            for (size_t q = (size_t)hw; q < p->ldc; q++) dc[q] = 0.0f;
        }
        transpose_grad(dT + (size_t)i * p->dt_len, Dc, Co, Cop, hw, p->ldc);
        if (j->dinp && p->scatter) dinp_scatter(j, j->dinp + (size_t)b * in_img, Dc, pad);
    }
    /* dWk (Ci*K*K, Cop) over the chunk's images, kernel rows by channel vectors */
    int rows = Ci * K;
    for (int j0 = 0; j0 < Cop; j0 += 32) {
        int J = Cop - j0 >= 32 ? 2 : 1, KR = cv_rows(K, J);
        for (int q0 = 0; q0 < rows;) {
            int kr = rows - q0 >= KR ? KR : 1;
            conv_mk_cv_dw(slot + (size_t)q0 * K * Cop + j0, Cop, X, ximg, j->off + q0, dT + j0, p->dt_len, nimg,
                           s->Ho, s->Wo, p->Wp, K, kr, J);
            q0 += kr;
        }
    }
    if (!j->dinp || p->scatter) return;
    /* dinp gathered by the row-vector kernels (measured faster here than channel vectors over
     * the few input channels), from the masked gradient in the wide layout */
    for (int i = 0; i < nimg; i++) {
        int b = b0 + i;
        wide_grad(Dw, NULL, j, grad_of(j, t, b0, b), b);
        dinp_from_wide(j, j->dinp + (size_t)b * in_img, Dw, dq, o, xp);
    }
}
#endif

static void bwd_task(void *ctx, int t) {
    const ConvJob *j = ctx;
    int b0, b1;
    kernels_split(j->s->B, 1, t, j->p.ntasks, &b0, &b1);
    if (j->pidx && b1 > b0 && (j->algo == CONV_IM2COL || (j->algo == CONV_CHANNELS && !j->p.scatter))) {
        /* the pool's gradient routed to its winners, for this task's images only (the row and
         * channel kernels route it straight into their own layouts, except for a gathered dinp) */
        const ConvShape *s = j->s;
        size_t pool_img = (size_t)s->Co * (s->Ho / 2) * (s->Wo / 2);
        maxpool2d_planes_backward(task_unpool(j, t), j->dout + (size_t)b0 * pool_img, j->pidx + (size_t)b0 * pool_img,
                                  (b1 - b0) * s->Co, s->Ho, s->Wo);
    }
    if (j->algo == CONV_DIRECT) bwd_direct(j, t, b0, b1);
#if CV_HAVE
    else if (j->algo == CONV_CHANNELS) bwd_cv(j, t, b0, b1);
#endif
    else bwd_im2col(j, t, b0, b1);
}

/* wf (Ci, Co, K, K) = w (Co, Ci, K, K) with the channels swapped and each kernel turned 180 deg:
 * the input gradient is the forward of these over the padded output gradient. */
static void flip_weights(float *wf, const float *w, const ConvShape *s) {
    int Co = s->Co, Ci = s->Ci, K = s->K;
    for (int o = 0; o < Co; o++)
        for (int c = 0; c < Ci; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++)
                    wf[(((size_t)c * Co + o) * K + kh) * K + kw] = w[(((size_t)o * Ci + c) * K + (K - 1 - kh)) * K + (K - 1 - kw)];
}

/* The weights dinp_from_wide takes: per tap (kh, kw) the (Ci, Co) matrix for scattering, or
 * the flipped (Ci, Co, K, K) kernels for gathering. */
static void dinp_weights(float *wf, const float *w, const ConvShape *s, const Plan *p) {
    int Co = s->Co, Ci = s->Ci, K = s->K;
    if (!p->scatter) {
        flip_weights(wf, w, s);
        return;
    }
    for (int o = 0; o < Co; o++)
        for (int c = 0; c < Ci; c++)
            for (int t = 0; t < K * K; t++) wf[((size_t)t * Ci + c) * Co + o] = w[((size_t)o * Ci + c) * K * K + t];
}

static void backward_job(float *dinp, float *dw, float *db, float *ws, const float *dout, const uint8_t *pidx,
                         const float *pooled, const float *inp, const float *w, const float *out_relu, const ConvShape *s,
                         ConvAlgo algo) {
    ConvJob j = {.dinp = dinp, .dw = dw, .db = db, .ws = ws, .inp = inp, .w = w, .dout = dout, .out_relu = out_relu,
                 .pidx = pidx, .ppool = pooled, .s = s, .p = plan_make(s), .algo = resolve(s, algo, 1)};
#if defined(DIGITREC_DNNL)
    if (j.algo == CONV_DNNL) {
        const float *g = dout;
        if (pidx) {
            /* the routed gradient after the room conv_dnnl_backward takes (conv2d_workspace) */
            float *u = ws + (size_t)s->B * s->Co * s->Ho * s->Wo;
            maxpool2d_backward(u, dout, pidx, s->B * s->Co, s->Ho, s->Wo);
            g = u;
        }
        if (conv_dnnl_backward(dinp, dw, db, ws, g, inp, w, out_relu, s) == 0) return;
        j.algo = resolve(s, CONV_OWN, 1);
    }
#endif
    int Co = s->Co, Ci = s->Ci, K = s->K, T = j.p.T;
    shared_parts(&j);
#if CV_HAVE
    if (j.algo == CONV_CHANNELS) {
        for (int q = 0; q < Ci * K; q++) j.off[q] = (q / K * j.p.Hp + q % K) * j.p.Wp;
        if (dinp) dinp_weights(j.wflip, w, s, &j.p);
        run(&j, bwd_task);
        /* the chunks' (T, Cop) sums in chunk order, then back to (Co, T) */
        float *acc = task_slot(&j, 0);
        size_t n = (size_t)T * j.p.Cop;
        for (int t = 1; t < j.p.ntasks; t++) kernels_axpy(acc, 1.0f, task_slot(&j, t), n);
        for (int o = 0; o < Co; o++)
            for (int t = 0; t < T; t++) dw[(size_t)o * T + t] = acc[(size_t)t * j.p.Cop + o];
        for (int c = 0; c < Co; c++) {
            double sum = 0;
            for (int t = 0; t < j.p.ntasks; t++) sum += task_db(&j, t)[c];
            db[c] = (float)sum;
        }
        return;
    }
#endif
    if (j.algo == CONV_DIRECT) {
        for (int c = 0; c < Ci; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++)
                    j.off[(c * K + kh) * K + kw] = (c * j.p.Hp + kh) * j.p.Wp + kw;
        if (dinp) dinp_weights(j.wflip, w, s, &j.p);
    }
    run(&j, bwd_task);
    /* the chunks' dW and db, summed in chunk order */
    size_t n = (size_t)Co * T;
    memcpy(dw, task_slot(&j, 0), sizeof(float) * n);
    for (int t = 1; t < j.p.ntasks; t++) kernels_axpy(dw, 1.0f, task_slot(&j, t), n);
    for (int c = 0; c < Co; c++) {
        double sum = 0;
        for (int t = 0; t < j.p.ntasks; t++) sum += task_db(&j, t)[c];
        db[c] = (float)sum;
    }
}

void conv2d_backward_algo(float *dinp, float *dw, float *db, float *ws, const float *dout, const float *inp,
                          const float *w, const float *out_relu, const ConvShape *s, ConvAlgo algo) {
    backward_job(dinp, dw, db, ws, dout, NULL, NULL, inp, w, out_relu, s, algo);
}

void conv2d_backward(float *dinp, float *dw, float *db, float *ws, const float *dout, const float *inp,
                     const float *w, const float *out_relu, const ConvShape *s) {
    backward_job(dinp, dw, db, ws, dout, NULL, NULL, inp, w, out_relu, s, CONV_AUTO);
}

void conv2d_backward_pool(float *dinp, float *dw, float *db, float *ws, const float *dpool, const uint8_t *idx,
                          const float *pooled, const float *inp, const float *w, const float *out_relu, const ConvShape *s,
                          ConvAlgo algo) {
    assert(s->Ho >= 2 && s->Wo >= 2 && out_relu && pooled);
    backward_job(dinp, dw, db, ws, dpool, idx, pooled, inp, w, out_relu, s, algo);
}

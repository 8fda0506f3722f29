/* conv_libs.c - times one Conv2d layer's training work (forward, then dW, db and, except for a
 * first layer, dinp) on the CNN presets' shapes at batch 64, for each way of computing it:
 * digitrec's two direct kernels (vectors along rows; vectors across output channels), the
 * choice among them (own choice), its im2col + kernels_gemm path (src/core/conv.c), the same
 * API with oneDNN behind it (src/core/conv_dnnl.c, built here with -DDIGITREC_DNNL), im2col +
 * OpenBLAS sgemm, im2col + libxsmm JIT small products, and oneDNN's convolution primitives.
 * Every contender takes and gives NCHW float32 (OIHW weights), the layout digitrec keeps, and
 * is checked against digitrec's direct result before it is timed. Prints a table; trains
 * nothing. Run by hand through bench/conv_libs.sh, which builds it with plain cc.
 *
 * usage: conv_libs [--threads N] [--rounds R] [--batch B] [--only NAME] [--cpu]
 * The contenders are interleaved within every round; each figure is the min and the median
 * over rounds of the mean time of a batch over >= 0.15 s. --cpu times with the process's CPU
 * clock instead of the wall clock: with one thread that is the work itself, little moved by
 * other programs sharing the cores (with more threads it also counts spinning workers). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <libxsmm.h>
#include <oneapi/dnnl/dnnl.h>

#include "conv.h"
#include "kernels.h"

void openblas_set_num_threads(int num_threads);
void omp_set_num_threads(int n);

static int g_cpu_clock;

static double now(void) {
    struct timespec ts;
    clock_gettime(g_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "conv_libs: %s\n", what);
    exit(1);
}

typedef struct {
    const char *name;
    ConvShape s;
    int need_dinp;
} Layer;

/* The buffers of one layer's batch, shared by every contender. */
typedef struct {
    const Layer *L;
    float *inp, *w, *bias, *dout;         /* inputs */
    float *out, *dinp, *dw, *db;          /* outputs */
    float *ws;                            /* digitrec workspace */
} Bufs;

/* ---- im2col + an external GEMM, cut by images over the kernels pool like conv.c ---- */

enum { GEMM_OPENBLAS = 0, GEMM_XSMM = 1 };

#define TASKS 16

typedef struct {
    Bufs *b;
    int gemm, ntasks, T, hw;
    float *col[TASKS], *slot[TASKS]; /* per task: (T*hw) columns + (T*hw) grads; dW (Co*T) + db (Co) */
    float *wt;                       /* (T, Co) transposed weights, for libxsmm's dcol */
} ExtJob;

/* col (T, hw): row t = (ci, kh, kw) holds that tap's input at every output position. */
static void im2col_rows(float *col, const float *inp, const ConvShape *s) {
    int K = s->K, hw = s->Ho * s->Wo;
    for (int c = 0; c < s->Ci; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                float *row = col + ((size_t)(c * K + kh) * K + kw) * hw;
                for (int oh = 0; oh < s->Ho; oh++) {
                    int ih = oh * s->S + kh - s->P;
                    for (int ow = 0; ow < s->Wo; ow++) {
                        int iw = ow * s->S + kw - s->P;
                        row[oh * s->Wo + ow] = ih >= 0 && ih < s->H && iw >= 0 && iw < s->W
                                                   ? inp[((size_t)c * s->H + ih) * s->W + iw] : 0.0f;
                    }
                }
            }
}

/* colT (hw, T): the transpose of im2col_rows. */
static void im2col_cols(float *colT, const float *inp, const ConvShape *s) {
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

/* dinp (Ci,H,W) from dcol (T, hw). */
static void col2im_rows(float *dinp, const float *dcol, const ConvShape *s) {
    int K = s->K, hw = s->Ho * s->Wo;
    memset(dinp, 0, sizeof(float) * (size_t)s->Ci * s->H * s->W);
    for (int c = 0; c < s->Ci; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                const float *row = dcol + ((size_t)(c * K + kh) * K + kw) * hw;
                for (int oh = 0; oh < s->Ho; oh++) {
                    int ih = oh * s->S + kh - s->P;
                    if (ih < 0 || ih >= s->H) continue;
                    for (int ow = 0; ow < s->Wo; ow++) {
                        int iw = ow * s->S + kw - s->P;
                        if (iw >= 0 && iw < s->W) dinp[((size_t)c * s->H + ih) * s->W + iw] += row[oh * s->Wo + ow];
                    }
                }
            }
}

/* libxsmm, column-major: C (m x n) = A (m x k) @ B (k x n) (+ C when beta1), in JIT blocks of
 * at most 64 in each dimension (libxsmm's small-product range). */
static void xsmm_gemm(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                      int beta1) {
    const float one = 1.0f, zero = 0.0f;
    for (int m0 = 0; m0 < m; m0 += 64)
        for (int n0 = 0; n0 < n; n0 += 64)
            for (int k0 = 0; k0 < k; k0 += 64) {
                int mb = m - m0 < 64 ? m - m0 : 64, nb = n - n0 < 64 ? n - n0 : 64, kb = k - k0 < 64 ? k - k0 : 64;
                libxsmm_blasint M = mb, N = nb, Kk = kb, la = lda, lb = ldb, lc = ldc;
                libxsmm_smmfunction f =
                    libxsmm_smmdispatch(M, N, Kk, &la, &lb, &lc, &one, (k0 > 0 || beta1) ? &one : &zero, NULL, NULL);
                if (!f) die("libxsmm_smmdispatch returned NULL");
                f(A + m0 + (size_t)k0 * lda, B + k0 + (size_t)n0 * ldb, C + m0 + (size_t)n0 * ldc);
            }
}

static void ext_fwd_task(void *ctx, int t) {
    ExtJob *j = ctx;
    const ConvShape *s = &j->b->L->s;
    int b0, b1, hw = j->hw, T = j->T;
    kernels_split(s->B, 1, t, j->ntasks, &b0, &b1);
    for (int b = b0; b < b1; b++) {
        const float *x = j->b->inp + (size_t)b * s->Ci * s->H * s->W;
        float *o = j->b->out + (size_t)b * s->Co * hw;
        im2col_rows(j->col[t], x, s);
        /* out (Co, hw) = w (Co, T) @ col (T, hw) */
        if (j->gemm == GEMM_OPENBLAS)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->Co, hw, T, 1.0f, j->b->w, T, j->col[t], hw, 0.0f,
                        o, hw);
        else
            xsmm_gemm(hw, s->Co, T, j->col[t], hw, j->b->w, T, o, hw, 0);
        for (int c = 0; c < s->Co; c++)
            for (int i = 0; i < hw; i++) o[(size_t)c * hw + i] += j->b->bias[c];
    }
}

static void ext_bwd_task(void *ctx, int t) {
    ExtJob *j = ctx;
    const ConvShape *s = &j->b->L->s;
    int b0, b1, hw = j->hw, T = j->T, Co = s->Co;
    kernels_split(s->B, 1, t, j->ntasks, &b0, &b1);
    float *colT = j->col[t], *dcol = colT + (size_t)T * hw, *dw = j->slot[t], *db = dw + (size_t)Co * T;
    memset(db, 0, sizeof(float) * Co);
    for (int b = b0; b < b1; b++) {
        const float *x = j->b->inp + (size_t)b * s->Ci * s->H * s->W, *g = j->b->dout + (size_t)b * Co * hw;
        for (int c = 0; c < Co; c++)
            for (int i = 0; i < hw; i++) db[c] += g[(size_t)c * hw + i];
        im2col_cols(colT, x, s);
        /* dW (Co, T) += dout (Co, hw) @ colT (hw, T) */
        if (j->gemm == GEMM_OPENBLAS)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Co, T, hw, 1.0f, g, hw, colT, T, b == b0 ? 0.0f : 1.0f,
                        dw, T);
        else
            xsmm_gemm(T, Co, hw, colT, T, g, hw, dw, T, b != b0);
        if (!j->b->L->need_dinp) continue;
        /* dcol (T, hw) = w^T (T, Co) @ dout (Co, hw) */
        if (j->gemm == GEMM_OPENBLAS)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hw, Co, 1.0f, j->b->w, T, g, hw, 0.0f, dcol, hw);
        else
            xsmm_gemm(hw, T, Co, g, hw, j->wt, Co, dcol, hw, 0);
        col2im_rows(j->b->dinp + (size_t)b * s->Ci * s->H * s->W, dcol, s);
    }
}

static ExtJob ext_make(Bufs *b, int gemm) {
    const ConvShape *s = &b->L->s;
    ExtJob j = {b, gemm, s->B < TASKS ? s->B : TASKS, s->Ci * s->K * s->K, s->Ho * s->Wo, {0}, {0}, NULL};
    for (int t = 0; t < j.ntasks; t++) {
        j.col[t] = kernels_alloc((size_t)2 * j.T * j.hw);
        j.slot[t] = kernels_alloc((size_t)s->Co * j.T + s->Co);
        if (!j.col[t] || !j.slot[t]) die("out of memory");
    }
    j.wt = kernels_alloc((size_t)j.T * s->Co);
    return j;
}

static void ext_free(ExtJob *j) {
    for (int t = 0; t < j->ntasks; t++) free(j->col[t]), free(j->slot[t]);
    free(j->wt);
}

static void ext_step(ExtJob *j) {
    const ConvShape *s = &j->b->L->s;
    kernels_run(ext_fwd_task, j, j->ntasks);
    if (j->gemm == GEMM_XSMM)
        for (int c = 0; c < s->Co; c++)
            for (int t = 0; t < j->T; t++) j->wt[(size_t)t * s->Co + c] = j->b->w[(size_t)c * j->T + t];
    kernels_run(ext_bwd_task, j, j->ntasks);
    size_t n = (size_t)s->Co * j->T;
    memcpy(j->b->dw, j->slot[0], sizeof(float) * n);
    memcpy(j->b->db, j->slot[0] + n, sizeof(float) * s->Co);
    for (int t = 1; t < j->ntasks; t++) {
        kernels_axpy(j->b->dw, 1.0f, j->slot[t], n);
        kernels_axpy(j->b->db, 1.0f, j->slot[t] + n, (size_t)s->Co);
    }
}

/* ---- oneDNN ---- */

typedef struct {
    dnnl_engine_t eng;
    dnnl_stream_t st;
    dnnl_primitive_t fwd, bwd_w, bwd_d;
    dnnl_memory_t src, wei, bia, dst, dsrc, dwei, dbia, ddst;
    /* with blocked layouts: oneDNN's own copies and the reorders between them and NCHW */
    int blocked;
    dnnl_memory_t src_b, wei_b, dst_b, ddst_b, dsrc_b, dwei_b, wei_bd, ddst_bd, src_bw;
    dnnl_primitive_t r_src, r_wei, r_dst, r_ddst, r_dsrc, r_dwei, r_wei_bd, r_ddst_bd, r_src_bw;
    int bw_src_is_user;
    const char *impl_fwd, *impl_bw, *impl_bd;
} Dnnl;

#define DN(call)                                                                            \
    do {                                                                                    \
        dnnl_status_t st_ = (call);                                                         \
        if (st_ != dnnl_success) {                                                          \
            fprintf(stderr, "conv_libs: %s failed (status %d)\n", #call, (int)st_);          \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

static dnnl_memory_t dn_mem(const dnnl_memory_desc_t *md, dnnl_engine_t eng, void *ptr) {
    dnnl_memory_t m;
    DN(dnnl_memory_create(&m, md, eng, ptr ? ptr : DNNL_MEMORY_ALLOCATE));
    return m;
}

static dnnl_primitive_t dn_reorder(dnnl_memory_t from, dnnl_memory_t to, dnnl_engine_t eng) {
    const dnnl_memory_desc_t *a, *b;
    DN(dnnl_memory_get_memory_desc(from, &a));
    DN(dnnl_memory_get_memory_desc(to, &b));
    dnnl_primitive_desc_t pd;
    DN(dnnl_reorder_primitive_desc_create(&pd, a, eng, b, eng, NULL));
    dnnl_primitive_t p;
    DN(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd);
    return p;
}

/* A reorder only when oneDNN chose a layout other than the user's. */
static int same_md(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b) { return dnnl_memory_desc_equal(a, b); }

static const char *impl_name(dnnl_primitive_desc_t pd) {
    const char *s = NULL;
    DN(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s));
    return s ? strdup(s) : "?";
}

static void dnnl_make(Dnnl *d, Bufs *b, int blocked) {
    const ConvShape *s = &b->L->s;
    memset(d, 0, sizeof *d);
    d->blocked = blocked;
    DN(dnnl_engine_create(&d->eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&d->st, d->eng, dnnl_stream_default_flags));
    dnnl_dims_t src_dims = {s->B, s->Ci, s->H, s->W}, wei_dims = {s->Co, s->Ci, s->K, s->K}, bia_dims = {s->Co},
                dst_dims = {s->B, s->Co, s->Ho, s->Wo}, strides = {s->S, s->S}, pad = {s->P, s->P};
    /* the right padding that makes oneDNN's output size equal (H + 2P - K) / S + 1 */
    dnnl_dims_t pad_r = {(s->Ho - 1) * s->S + s->K - s->H - s->P, (s->Wo - 1) * s->S + s->K - s->W - s->P};
    dnnl_memory_desc_t src_u, wei_u, bia_u, dst_u, src_a, wei_a, dst_a;
    DN(dnnl_memory_desc_init_by_tag(&src_u, 4, src_dims, dnnl_f32, dnnl_nchw));
    DN(dnnl_memory_desc_init_by_tag(&wei_u, 4, wei_dims, dnnl_f32, dnnl_oihw));
    DN(dnnl_memory_desc_init_by_tag(&bia_u, 1, bia_dims, dnnl_f32, dnnl_x));
    DN(dnnl_memory_desc_init_by_tag(&dst_u, 4, dst_dims, dnnl_f32, dnnl_nchw));
    dnnl_format_tag_t any = dnnl_format_tag_any;
    DN(dnnl_memory_desc_init_by_tag(&src_a, 4, src_dims, dnnl_f32, blocked ? any : dnnl_nchw));
    DN(dnnl_memory_desc_init_by_tag(&wei_a, 4, wei_dims, dnnl_f32, blocked ? any : dnnl_oihw));
    DN(dnnl_memory_desc_init_by_tag(&dst_a, 4, dst_dims, dnnl_f32, blocked ? any : dnnl_nchw));
    dnnl_convolution_desc_t fd, bwd, bdd;
    DN(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_a, &wei_a, &bia_u,
                                          &dst_a, strides, pad, pad_r));
    dnnl_primitive_desc_t fpd, wpd, dpd = NULL;
    DN(dnnl_primitive_desc_create(&fpd, &fd, NULL, d->eng, NULL));
    DN(dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src_a, &wei_a, &bia_u, &dst_a,
                                                   strides, pad, pad_r));
    DN(dnnl_primitive_desc_create(&wpd, &bwd, NULL, d->eng, fpd));
    if (b->L->need_dinp) {
        DN(dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &src_a, &wei_a, &dst_a, strides, pad,
                                                    pad_r));
        DN(dnnl_primitive_desc_create(&dpd, &bdd, NULL, d->eng, fpd));
    }
    d->impl_fwd = impl_name(fpd), d->impl_bw = impl_name(wpd), d->impl_bd = dpd ? impl_name(dpd) : "-";
    DN(dnnl_primitive_create(&d->fwd, fpd));
    DN(dnnl_primitive_create(&d->bwd_w, wpd));
    if (dpd) DN(dnnl_primitive_create(&d->bwd_d, dpd));
    /* user memories on the shared NCHW buffers */
    d->src = dn_mem(&src_u, d->eng, b->inp), d->wei = dn_mem(&wei_u, d->eng, b->w), d->bia = dn_mem(&bia_u, d->eng, b->bias);
    d->dst = dn_mem(&dst_u, d->eng, b->out), d->ddst = dn_mem(&dst_u, d->eng, b->dout);
    d->dwei = dn_mem(&wei_u, d->eng, b->dw), d->dbia = dn_mem(&bia_u, d->eng, b->db);
    d->dsrc = dn_mem(&src_u, d->eng, b->dinp);
    /* the layouts the primitives chose */
    const dnnl_memory_desc_t *f_src = dnnl_primitive_desc_query_md(fpd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *f_wei = dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *f_dst = dnnl_primitive_desc_query_md(fpd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *w_src = dnnl_primitive_desc_query_md(wpd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_dwei = dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_weights_md, 0);
    const dnnl_memory_desc_t *w_ddst = dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_dst_md, 0);
    if (!same_md(f_src, &src_u)) d->src_b = dn_mem(f_src, d->eng, NULL), d->r_src = dn_reorder(d->src, d->src_b, d->eng);
    if (!same_md(f_wei, &wei_u)) d->wei_b = dn_mem(f_wei, d->eng, NULL), d->r_wei = dn_reorder(d->wei, d->wei_b, d->eng);
    if (!same_md(f_dst, &dst_u)) d->dst_b = dn_mem(f_dst, d->eng, NULL), d->r_dst = dn_reorder(d->dst_b, d->dst, d->eng);
    if (!same_md(w_src, f_src) && !same_md(w_src, &src_u))
        d->src_bw = dn_mem(w_src, d->eng, NULL), d->r_src_bw = dn_reorder(d->src, d->src_bw, d->eng);
    d->bw_src_is_user = same_md(w_src, &src_u);
    if (!same_md(w_ddst, &dst_u)) d->ddst_b = dn_mem(w_ddst, d->eng, NULL), d->r_ddst = dn_reorder(d->ddst, d->ddst_b, d->eng);
    if (!same_md(w_dwei, &wei_u)) d->dwei_b = dn_mem(w_dwei, d->eng, NULL), d->r_dwei = dn_reorder(d->dwei_b, d->dwei, d->eng);
    if (dpd) {
        const dnnl_memory_desc_t *d_dsrc = dnnl_primitive_desc_query_md(dpd, dnnl_query_diff_src_md, 0);
        const dnnl_memory_desc_t *d_wei = dnnl_primitive_desc_query_md(dpd, dnnl_query_weights_md, 0);
        const dnnl_memory_desc_t *d_ddst = dnnl_primitive_desc_query_md(dpd, dnnl_query_diff_dst_md, 0);
        if (!same_md(d_dsrc, &src_u)) d->dsrc_b = dn_mem(d_dsrc, d->eng, NULL), d->r_dsrc = dn_reorder(d->dsrc_b, d->dsrc, d->eng);
        if (!same_md(d_wei, &wei_u)) d->wei_bd = dn_mem(d_wei, d->eng, NULL), d->r_wei_bd = dn_reorder(d->wei, d->wei_bd, d->eng);
        if (!same_md(d_ddst, &dst_u)) d->ddst_bd = dn_mem(d_ddst, d->eng, NULL), d->r_ddst_bd = dn_reorder(d->ddst, d->ddst_bd, d->eng);
    }
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(wpd);
    if (dpd) dnnl_primitive_desc_destroy(dpd);
}

static void dn_run(dnnl_primitive_t p, dnnl_stream_t st, int n, const dnnl_exec_arg_t *args) {
    DN(dnnl_primitive_execute(p, st, n, args));
}

static void dn_reo(dnnl_primitive_t p, dnnl_memory_t from, dnnl_memory_t to, dnnl_stream_t st) {
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    dn_run(p, st, 2, a);
}

#define PICK(blk, user) ((blk) ? (blk) : (user))

static void dnnl_step(Dnnl *d) {
    if (d->r_src) dn_reo(d->r_src, d->src, d->src_b, d->st);
    if (d->r_wei) dn_reo(d->r_wei, d->wei, d->wei_b, d->st);
    dnnl_exec_arg_t fa[4] = {{DNNL_ARG_SRC, PICK(d->src_b, d->src)}, {DNNL_ARG_WEIGHTS, PICK(d->wei_b, d->wei)},
                             {DNNL_ARG_BIAS, d->bia}, {DNNL_ARG_DST, PICK(d->dst_b, d->dst)}};
    dn_run(d->fwd, d->st, 4, fa);
    if (d->r_dst) dn_reo(d->r_dst, d->dst_b, d->dst, d->st);
    if (d->r_ddst) dn_reo(d->r_ddst, d->ddst, d->ddst_b, d->st);
    if (d->r_src_bw) dn_reo(d->r_src_bw, d->src, d->src_bw, d->st);
    dnnl_memory_t bw_src = d->src_bw ? d->src_bw : d->bw_src_is_user ? d->src : PICK(d->src_b, d->src);
    dnnl_exec_arg_t wa[4] = {{DNNL_ARG_SRC, bw_src}, {DNNL_ARG_DIFF_DST, PICK(d->ddst_b, d->ddst)},
                             {DNNL_ARG_DIFF_WEIGHTS, PICK(d->dwei_b, d->dwei)}, {DNNL_ARG_DIFF_BIAS, d->dbia}};
    dn_run(d->bwd_w, d->st, 4, wa);
    if (d->r_dwei) dn_reo(d->r_dwei, d->dwei_b, d->dwei, d->st);
    if (d->bwd_d) {
        if (d->r_wei_bd) dn_reo(d->r_wei_bd, d->wei, d->wei_bd, d->st);
        if (d->r_ddst_bd) dn_reo(d->r_ddst_bd, d->ddst, d->ddst_bd, d->st);
        dnnl_exec_arg_t da[3] = {{DNNL_ARG_DIFF_DST, PICK(d->ddst_bd, d->ddst)},
                                 {DNNL_ARG_WEIGHTS, PICK(d->wei_bd, d->wei)}, {DNNL_ARG_DIFF_SRC, PICK(d->dsrc_b, d->dsrc)}};
        dn_run(d->bwd_d, d->st, 3, da);
        if (d->r_dsrc) dn_reo(d->r_dsrc, d->dsrc_b, d->dsrc, d->st);
    }
    DN(dnnl_stream_wait(d->st));
}

/* ---- the contenders ---- */

enum { C_DIRECT, C_CHANNELS, C_OWN, C_IM2COL, C_OPENBLAS, C_XSMM, C_DNNL, C_DNNL_BLOCKED, C_VIA_DNNL, NCONT };
static const char *const CNAME[NCONT] = {"digitrec direct (rows)", "digitrec channels", "digitrec own choice",
                                         "im2col+digitrec gemm", "im2col+OpenBLAS", "im2col+libxsmm",
                                         "oneDNN nchw", "oneDNN blocked+reorders", "conv2d API -> oneDNN"};

typedef struct {
    Bufs *b;
    ExtJob ext[2];
    Dnnl dn[2];
} Ctx;

static void step(Ctx *c, int who) {
    Bufs *b = c->b;
    const ConvShape *s = &b->L->s;
    switch (who) {
    case C_DIRECT:
    case C_CHANNELS:
    case C_OWN:
    case C_VIA_DNNL:
    case C_IM2COL: {
        ConvAlgo a = who == C_DIRECT     ? CONV_DIRECT
                     : who == C_CHANNELS ? CONV_CHANNELS
                     : who == C_OWN      ? CONV_OWN
                     : who == C_VIA_DNNL ? CONV_DNNL
                                         : CONV_IM2COL;
        conv2d_forward_algo(b->out, b->ws, b->inp, b->w, b->bias, s, 0, a);
        conv2d_backward_algo(b->L->need_dinp ? b->dinp : NULL, b->dw, b->db, b->ws, b->dout, b->inp, b->w, NULL, s, a);
        break;
    }
    case C_OPENBLAS:
    case C_XSMM:
        ext_step(&c->ext[who - C_OPENBLAS]);
        break;
    default:
        dnnl_step(&c->dn[who - C_DNNL]);
    }
}

static double max_rel(const float *a, const float *r, size_t n) {
    double e = 0, m = 1e-3;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - r[i]);
        if (!(d <= e)) e = d;
        if (fabs(r[i]) > m) m = fabs(r[i]);
    }
    return e / m;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int threads = 1, rounds = 5, batch = 64;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--cpu")) g_cpu_clock = 1;
        else die("usage: conv_libs [--threads N] [--rounds R] [--batch B] [--only NAME] [--cpu]");
    }
    if (threads < 1 || rounds < 1 || rounds > 100 || batch < 1) die("bad arguments");
    kernels_set_threads(threads);
    openblas_set_num_threads(1); /* each task calls a single-threaded sgemm */
    omp_set_num_threads(threads);
    libxsmm_init();
    int B = batch;
    Layer layers[] = {
        {"c1 1->8 k5p2 28x28", conv_shape(B, 1, 28, 28, 8, 5, 1, 2), 0},
        {"c2 8->16 k5p2 14x14", conv_shape(B, 8, 14, 14, 16, 5, 1, 2), 1},
        {"c1 1->16 k5p2 28x28", conv_shape(B, 1, 28, 28, 16, 5, 1, 2), 0},
        {"c2 16->32 k5p2 14x14", conv_shape(B, 16, 14, 14, 32, 5, 1, 2), 1},
        {"c1 1->16 k5p0 28x28", conv_shape(B, 1, 28, 28, 16, 5, 1, 0), 0},
        {"c2 16->32 k5p0 12x12", conv_shape(B, 16, 12, 12, 32, 5, 1, 0), 1},
        {"c1 1->32 k3p1 28x28", conv_shape(B, 1, 28, 28, 32, 3, 1, 1), 0},
        {"c2 32->32 k3p1 28x28", conv_shape(B, 32, 28, 28, 32, 3, 1, 1), 1},
        {"c2 32->64 k3p1 14x14", conv_shape(B, 32, 14, 14, 64, 3, 1, 1), 1},
    };
    int nl = (int)(sizeof layers / sizeof layers[0]);
    printf("conv_libs: batch %d, %d thread%s, %d rounds, %s clock; ms per batch for forward + dW + db (+ dinp), "
           "min / median, and GFLOP/s of the min\n",
           B, threads, threads > 1 ? "s" : "", rounds, g_cpu_clock ? "CPU" : "wall");
    for (int li = 0; li < nl; li++) {
        if (only && !strstr(layers[li].name, only)) continue;
        const ConvShape *s = &layers[li].s;
        size_t ni = (size_t)B * s->Ci * s->H * s->W, no = (size_t)B * s->Co * s->Ho * s->Wo;
        size_t nw = (size_t)s->Co * s->Ci * s->K * s->K;
        Bufs b = {&layers[li], kernels_alloc(ni), kernels_alloc(nw), kernels_alloc((size_t)s->Co), kernels_alloc(no),
                  kernels_alloc(no), kernels_alloc(ni), kernels_alloc(nw), kernels_alloc((size_t)s->Co),
                  kernels_alloc(conv2d_workspace(s))};
        unsigned seed = 12345u + (unsigned)li;
        for (size_t i = 0; i < ni; i++) b.inp[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f;
        for (size_t i = 0; i < nw; i++) b.w[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
        for (int i = 0; i < s->Co; i++) b.bias[i] = 0.01f * (float)i;
        for (size_t i = 0; i < no; i++) b.dout[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
        Ctx c = {&b, {ext_make(&b, GEMM_OPENBLAS), ext_make(&b, GEMM_XSMM)}, {{0}}};
        dnnl_make(&c.dn[0], &b, 0);
        dnnl_make(&c.dn[1], &b, 1);
        /* reference results: digitrec direct (itself checked against the plain loops in test_conv) */
        float *r_out = kernels_alloc(no), *r_dw = kernels_alloc(nw), *r_db = kernels_alloc((size_t)s->Co);
        float *r_di = kernels_alloc(ni);
        step(&c, C_DIRECT);
        memcpy(r_out, b.out, sizeof(float) * no), memcpy(r_dw, b.dw, sizeof(float) * nw);
        memcpy(r_db, b.db, sizeof(float) * s->Co), memcpy(r_di, b.dinp, sizeof(float) * ni);
        double err[NCONT];
        for (int k = 0; k < NCONT; k++) {
            memset(b.out, 0, sizeof(float) * no), memset(b.dw, 0, sizeof(float) * nw), memset(b.dinp, 0, sizeof(float) * ni);
            step(&c, k);
            double e = max_rel(b.out, r_out, no), e2 = max_rel(b.dw, r_dw, nw), e3 = max_rel(b.db, r_db, (size_t)s->Co);
            double e4 = layers[li].need_dinp ? max_rel(b.dinp, r_di, ni) : 0;
            err[k] = fmax(fmax(e, e2), fmax(e3, e4));
            if (!(err[k] < 1e-4)) {
                fprintf(stderr, "conv_libs: %s on %s disagrees with digitrec direct: fwd %.2g dw %.2g db %.2g dinp %.2g\n",
                        CNAME[k], layers[li].name, e, e2, e3, e4);
                exit(1);
            }
        }
        /* the same bits with 1 thread as with `threads`? (digitrec promises it for its kernels) */
        int same[NCONT];
        for (int k = 0; k < NCONT; k++) {
            float *o1 = kernels_alloc(no), *w1 = kernels_alloc(nw), *d1 = kernels_alloc(ni);
            kernels_set_threads(1), omp_set_num_threads(1);
            step(&c, k);
            memcpy(o1, b.out, sizeof(float) * no), memcpy(w1, b.dw, sizeof(float) * nw), memcpy(d1, b.dinp, sizeof(float) * ni);
            kernels_set_threads(threads), omp_set_num_threads(threads);
            step(&c, k);
            same[k] = !memcmp(o1, b.out, sizeof(float) * no) && !memcmp(w1, b.dw, sizeof(float) * nw) &&
                      !memcmp(d1, b.dinp, sizeof(float) * ni);
            free(o1), free(w1), free(d1);
        }
        double macs = (double)B * s->Co * s->Ho * s->Wo * s->Ci * s->K * s->K * (layers[li].need_dinp ? 3 : 2);
        double t[NCONT][100];
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < NCONT; k++) {
                int who = (k + r) % NCONT; /* a different contender first each round */
                long n = 0;
                double t0 = now(), el;
                do {
                    step(&c, who);
                    n++;
                } while ((el = now() - t0) < 0.15);
                t[who][r] = el / n;
            }
        printf("\n%s  (B=%d Ci=%d %dx%d Co=%d K=%d S=%d P=%d -> %dx%d; %.1f MFLOP per batch)\n", layers[li].name, B, s->Ci,
               s->H, s->W, s->Co, s->K, s->S, s->P, s->Ho, s->Wo, 2 * macs * 1e-6);
        printf("  %-26s %9s %9s %8s %9s %s\n", "contender", "min ms", "median ms", "GFLOP/s", "max err",
               threads > 1 ? " same bits as 1 thread" : "");
        for (int k = 0; k < NCONT; k++) {
            qsort(t[k], (size_t)rounds, sizeof(double), cmp_double);
            printf("  %-26s %9.3f %9.3f %8.1f %9.1e %s\n", CNAME[k], t[k][0] * 1e3, t[k][rounds / 2] * 1e3,
                   2 * macs / t[k][0] * 1e-9, err[k], threads == 1 ? "" : same[k] ? " yes" : " NO");
        }
        printf("  oneDNN implementations: nchw fwd %s, bwd-w %s, bwd-d %s; blocked fwd %s, bwd-w %s, bwd-d %s\n",
               c.dn[0].impl_fwd, c.dn[0].impl_bw, c.dn[0].impl_bd, c.dn[1].impl_fwd, c.dn[1].impl_bw, c.dn[1].impl_bd);
        fflush(stdout);
        ext_free(&c.ext[0]), ext_free(&c.ext[1]);
        free(r_out), free(r_dw), free(r_db), free(r_di);
        free(b.inp), free(b.w), free(b.bias), free(b.dout), free(b.out), free(b.dinp), free(b.dw), free(b.db), free(b.ws);
    }
    return 0;
}

/* conv_dnnl.c - Conv2d forward/backward through oneDNN (Intel's library, Debian libdnnl-dev),
 * behind conv.h's API as CONV_DNNL: NCHW in and out, oneDNN's own blocked layouts and the
 * reorders to and from them inside. Built only with -DDIGITREC_DNNL and -ldnnl; without it
 * this file is empty and CONV_DNNL runs digitrec's own kernels. docs/conv-kernels.md has the
 * measurements and what the dependency costs.
 *
 * oneDNN needs a primitive per shape, so this keeps a small cache of them (a mutex guards it;
 * a caller runs under that mutex, like a second caller of kernels_run runs alone). It uses the
 * kernels' thread count (kernels_get_threads) for its OpenMP threads. */
#include "conv.h"

#if defined(DIGITREC_DNNL)

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <string.h>

#include "kernels.h"

void omp_set_num_threads(int n);

#define CACHE 8

typedef struct {
    dnnl_memory_t user, blk;   /* the caller's NCHW/OIHW buffer, and oneDNN's layout (or NULL) */
    dnnl_primitive_t reorder;  /* user -> blk for inputs, blk -> user for outputs */
} Arg;

typedef struct {
    int used;
    unsigned long last;        /* for replacing the least recently used */
    ConvShape s;
    int relu;
    dnnl_primitive_t fwd, bwd_w, bwd_d;
    Arg f_src, f_wei, f_dst, w_src, w_ddst, w_dwei, d_ddst, d_wei, d_dsrc;
    dnnl_memory_t bia, dbia;
} Entry;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static Entry g_cache[CACHE];
static unsigned long g_clock;
static dnnl_engine_t g_eng;
static dnnl_stream_t g_st;
static int g_broken;           /* oneDNN failed to start: use digitrec's kernels */

#define TRY(call)                                                                            \
    do {                                                                                     \
        if ((call) != dnnl_success) goto fail;                                              \
    } while (0)

static void arg_free(Arg *a) {
    if (a->reorder) dnnl_primitive_destroy(a->reorder);
    if (a->blk) dnnl_memory_destroy(a->blk);
    if (a->user) dnnl_memory_destroy(a->user);
    memset(a, 0, sizeof *a);
}

static void entry_free(Entry *e) {
    if (e->fwd) dnnl_primitive_destroy(e->fwd);
    if (e->bwd_w) dnnl_primitive_destroy(e->bwd_w);
    if (e->bwd_d) dnnl_primitive_destroy(e->bwd_d);
    Arg *args[] = {&e->f_src, &e->f_wei, &e->f_dst, &e->w_src, &e->w_ddst, &e->w_dwei, &e->d_ddst, &e->d_wei, &e->d_dsrc};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) arg_free(args[i]);
    if (e->bia) dnnl_memory_destroy(e->bia);
    if (e->dbia) dnnl_memory_destroy(e->dbia);
    memset(e, 0, sizeof *e);
}

/* The user memory for md_user (no data yet) and, when the primitive wants another layout, its
 * own memory and the reorder; to_user: the reorder runs blk -> user (an output). */
static int arg_make(Arg *a, const dnnl_memory_desc_t *md_user, const dnnl_memory_desc_t *md_prim, int to_user) {
    dnnl_primitive_desc_t pd = NULL;
    TRY(dnnl_memory_create(&a->user, md_user, g_eng, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(md_user, md_prim)) return 0;
    TRY(dnnl_memory_create(&a->blk, md_prim, g_eng, DNNL_MEMORY_ALLOCATE));
    if (to_user) TRY(dnnl_reorder_primitive_desc_create(&pd, md_prim, g_eng, md_user, g_eng, NULL));
    else TRY(dnnl_reorder_primitive_desc_create(&pd, md_user, g_eng, md_prim, g_eng, NULL));
    TRY(dnnl_primitive_create(&a->reorder, pd));
    dnnl_primitive_desc_destroy(pd);
    return 0;
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    return -1;
}

static int entry_make(Entry *e, const ConvShape *s, int relu) {
    dnnl_primitive_desc_t fpd = NULL, wpd = NULL, dpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    memset(e, 0, sizeof *e);
    e->s = *s, e->relu = relu;
    dnnl_dims_t src_d = {s->B, s->Ci, s->H, s->W}, wei_d = {s->Co, s->Ci, s->K, s->K}, bia_d = {s->Co},
                dst_d = {s->B, s->Co, s->Ho, s->Wo}, str = {s->S, s->S}, pl = {s->P, s->P};
    /* right padding that gives oneDNN the output size (H + 2P - K) / S + 1 */
    dnnl_dims_t pr = {(s->Ho - 1) * s->S + s->K - s->H - s->P, (s->Wo - 1) * s->S + s->K - s->W - s->P};
    dnnl_memory_desc_t src_u, wei_u, bia_u, dst_u, src_a, wei_a, dst_a;
    TRY(dnnl_memory_desc_init_by_tag(&src_u, 4, src_d, dnnl_f32, dnnl_nchw));
    TRY(dnnl_memory_desc_init_by_tag(&wei_u, 4, wei_d, dnnl_f32, dnnl_oihw));
    TRY(dnnl_memory_desc_init_by_tag(&bia_u, 1, bia_d, dnnl_f32, dnnl_x));
    TRY(dnnl_memory_desc_init_by_tag(&dst_u, 4, dst_d, dnnl_f32, dnnl_nchw));
    TRY(dnnl_memory_desc_init_by_tag(&src_a, 4, src_d, dnnl_f32, dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&wei_a, 4, wei_d, dnnl_f32, dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&dst_a, 4, dst_d, dnnl_f32, dnnl_format_tag_any));
    dnnl_convolution_desc_t fd, wd, dd;
    TRY(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_a, &wei_a, &bia_u,
                                           &dst_a, str, pl, pr));
    TRY(dnnl_primitive_attr_create(&attr));
    if (relu) {
        TRY(dnnl_post_ops_create(&po));
        TRY(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        TRY(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    TRY(dnnl_primitive_desc_create(&fpd, &fd, attr, g_eng, NULL));
    TRY(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src_a, &wei_a, &bia_u, &dst_a, str,
                                                    pl, pr));
    TRY(dnnl_primitive_desc_create(&wpd, &wd, NULL, g_eng, fpd));
    TRY(dnnl_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct, &src_a, &wei_a, &dst_a, str, pl, pr));
    TRY(dnnl_primitive_desc_create(&dpd, &dd, NULL, g_eng, fpd));
    TRY(dnnl_primitive_create(&e->fwd, fpd));
    TRY(dnnl_primitive_create(&e->bwd_w, wpd));
    TRY(dnnl_primitive_create(&e->bwd_d, dpd));
#define MD(pd, what) dnnl_primitive_desc_query_md((pd), (what), 0)
    if (arg_make(&e->f_src, &src_u, MD(fpd, dnnl_query_src_md), 0) || arg_make(&e->f_wei, &wei_u, MD(fpd, dnnl_query_weights_md), 0) ||
        arg_make(&e->f_dst, &dst_u, MD(fpd, dnnl_query_dst_md), 1) || arg_make(&e->w_src, &src_u, MD(wpd, dnnl_query_src_md), 0) ||
        arg_make(&e->w_ddst, &dst_u, MD(wpd, dnnl_query_diff_dst_md), 0) ||
        arg_make(&e->w_dwei, &wei_u, MD(wpd, dnnl_query_diff_weights_md), 1) ||
        arg_make(&e->d_ddst, &dst_u, MD(dpd, dnnl_query_diff_dst_md), 0) ||
        arg_make(&e->d_wei, &wei_u, MD(dpd, dnnl_query_weights_md), 0) ||
        arg_make(&e->d_dsrc, &src_u, MD(dpd, dnnl_query_diff_src_md), 1))
        goto fail;
#undef MD
    TRY(dnnl_memory_create(&e->bia, &bia_u, g_eng, DNNL_MEMORY_NONE));
    TRY(dnnl_memory_create(&e->dbia, &bia_u, g_eng, DNNL_MEMORY_NONE));
    dnnl_primitive_desc_destroy(fpd), dnnl_primitive_desc_destroy(wpd), dnnl_primitive_desc_destroy(dpd);
    dnnl_primitive_attr_destroy(attr);
    if (po) dnnl_post_ops_destroy(po);
    e->used = 1;
    return 0;
fail:
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    if (dpd) dnnl_primitive_desc_destroy(dpd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (po) dnnl_post_ops_destroy(po);
    entry_free(e);
    return -1;
}

/* The entry for (s, relu), made if needed; NULL if oneDNN cannot do it. Holds g_mu. */
static Entry *entry_get(const ConvShape *s, int relu) {
    if (g_broken) return NULL;
    if (!g_eng) {
        if (dnnl_engine_create(&g_eng, dnnl_cpu, 0) != dnnl_success ||
            dnnl_stream_create(&g_st, g_eng, dnnl_stream_default_flags) != dnnl_success) {
            g_broken = 1;
            return NULL;
        }
    }
    Entry *lru = &g_cache[0];
    for (int i = 0; i < CACHE; i++) {
        Entry *e = &g_cache[i];
        if (e->used && e->relu == relu && memcmp(&e->s, s, sizeof *s) == 0) {
            e->last = ++g_clock;
            return e;
        }
        if (!e->used || (lru->used && e->last < lru->last)) lru = e;
    }
    if (lru->used) entry_free(lru);
    if (entry_make(lru, s, relu)) return NULL;
    lru->last = ++g_clock;
    return lru;
}

/* Points an argument at the caller's buffer; returns the memory the primitive takes. For an
 * input the reorder into oneDNN's layout runs now. */
static dnnl_memory_t arg_in(Arg *a, const void *data) {
    if (dnnl_memory_set_data_handle(a->user, (void *)data) != dnnl_success) return NULL;
    if (!a->reorder) return a->user;
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, a->user}, {DNNL_ARG_TO, a->blk}};
    if (dnnl_primitive_execute(a->reorder, g_st, 2, r) != dnnl_success) return NULL;
    return a->blk;
}

static dnnl_memory_t arg_out(Arg *a, void *data) {
    if (dnnl_memory_set_data_handle(a->user, data) != dnnl_success) return NULL;
    return a->blk ? a->blk : a->user;
}

static int arg_done(Arg *a) {
    if (!a->reorder) return 0;
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, a->blk}, {DNNL_ARG_TO, a->user}};
    return dnnl_primitive_execute(a->reorder, g_st, 2, r) == dnnl_success ? 0 : -1;
}

int conv_dnnl_forward(float *out, const float *inp, const float *w, const float *bias, const ConvShape *s, int relu) {
    pthread_mutex_lock(&g_mu);
    omp_set_num_threads(kernels_get_threads());
    kernels_rest(); /* the pool's workers sleep while OpenMP's threads run */
    int rc = -1;
    Entry *e = entry_get(s, relu);
    if (e) {
        dnnl_memory_t src = arg_in(&e->f_src, inp), wei = arg_in(&e->f_wei, w), dst = arg_out(&e->f_dst, out);
        if (src && wei && dst && dnnl_memory_set_data_handle(e->bia, (void *)bias) == dnnl_success) {
            dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_BIAS, e->bia}, {DNNL_ARG_DST, dst}};
            rc = dnnl_primitive_execute(e->fwd, g_st, 4, a) == dnnl_success && arg_done(&e->f_dst) == 0 &&
                         dnnl_stream_wait(g_st) == dnnl_success
                     ? 0
                     : -1;
        }
    }
    pthread_mutex_unlock(&g_mu);
    return rc;
}

int conv_dnnl_backward(float *dinp, float *dw, float *db, float *ws, const float *dout, const float *inp, const float *w,
                       const float *out_relu, const ConvShape *s) {
    size_t n = (size_t)s->B * s->Co * s->Ho * s->Wo;
    if (out_relu) { /* the ReLU's backward: dout where the output was > 0 */
        for (size_t i = 0; i < n; i++) ws[i] = out_relu[i] > 0.0f ? dout[i] : 0.0f;
        dout = ws;
    }
    pthread_mutex_lock(&g_mu);
    omp_set_num_threads(kernels_get_threads());
    kernels_rest();
    int rc = -1;
    Entry *e = entry_get(s, 0);
    if (!e) goto done;
    dnnl_memory_t src = arg_in(&e->w_src, inp), dd = arg_in(&e->w_ddst, dout), dwm = arg_out(&e->w_dwei, dw);
    if (!src || !dd || !dwm || dnnl_memory_set_data_handle(e->dbia, db) != dnnl_success) goto done;
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_DIFF_WEIGHTS, dwm}, {DNNL_ARG_DIFF_BIAS, e->dbia}};
    if (dnnl_primitive_execute(e->bwd_w, g_st, 4, a) != dnnl_success || arg_done(&e->w_dwei)) goto done;
    if (dinp) {
        dnnl_memory_t d2 = arg_in(&e->d_ddst, dout), wei = arg_in(&e->d_wei, w), dsrc = arg_out(&e->d_dsrc, dinp);
        if (!d2 || !wei || !dsrc) goto done;
        dnnl_exec_arg_t b[3] = {{DNNL_ARG_DIFF_DST, d2}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, dsrc}};
        if (dnnl_primitive_execute(e->bwd_d, g_st, 3, b) != dnnl_success || arg_done(&e->d_dsrc)) goto done;
    }
    rc = dnnl_stream_wait(g_st) == dnnl_success ? 0 : -1;
done:
    pthread_mutex_unlock(&g_mu);
    return rc;
}

#else
typedef int conv_dnnl_unused; /* built without oneDNN: CONV_DNNL runs digitrec's kernels */
#endif

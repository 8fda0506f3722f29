/* arch.c - parses and prints the architecture grammar of arch.h. Pure string and size
 * arithmetic: no allocation, no I/O. */
#include "arch.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

typedef struct {
    const char *src;   /* the whole string, for messages */
    char *err;
} Ctx;

/* err = arch "<string>": token N "<tok>": <message>; returns -1 */
static int token_err(const Ctx *c, int idx, const char *tok, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int token_err(const Ctx *c, int idx, const char *tok, const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(c->err, "arch \"%.80s\": token %d \"%.40s\": %s", c->src, idx, tok, msg);
}

/* Reads decimal digits at *p (at most 9) into *v; advances *p. 0 if there are none. */
static int read_uint(const char **p, long *v) {
    const char *q = *p;
    long x = 0;
    int n = 0;
    while (isdigit((unsigned char)*q)) {
        if (++n > 9) return 0;
        x = x * 10 + (*q - '0');
        q++;
    }
    if (n == 0) return 0;
    *v = x, *p = q;
    return 1;
}

static int all_digits(const char *t) {
    if (!*t) return 0;
    for (; *t; t++)
        if (!isdigit((unsigned char)*t)) return 0;
    return 1;
}

/* The canonical token of a spec, into buf (n bytes); an empty string for flatten. */
static void spec_token(const LayerSpec *l, char *buf, size_t n) {
    switch (l->kind) {
    case LAYER_CONV: {
        int j = snprintf(buf, n, "conv%dk%d", l->out_c, l->k);
        if (l->s != 1 && j >= 0 && (size_t)j < n) j += snprintf(buf + j, n - (size_t)j, "s%d", l->s);
        if (l->p != l->k / 2 && j >= 0 && (size_t)j < n) snprintf(buf + j, n - (size_t)j, "p%d", l->p);
        break;
    }
    case LAYER_RELU: snprintf(buf, n, "relu"); break;
    case LAYER_POOL: snprintf(buf, n, "pool"); break;
    case LAYER_FC: snprintf(buf, n, "fc%d", l->out_c); break;
    default: buf[0] = 0;
    }
}

/* Appends l to a after checking its output size and parameter count. */
static int push(Arch *a, const Ctx *c, int idx, const char *tok, LayerSpec l) {
    if (a->n >= ARCH_MAX_LAYERS) return token_err(c, idx, tok, "more than %d layers", ARCH_MAX_LAYERS);
    size_t act = (size_t)l.out_c * (size_t)l.out_h * (size_t)l.out_w;
    if (act > ARCH_MAX_ACTIVATION)
        return token_err(c, idx, tok, "output %dx%dx%d has more than %zu values", l.out_c, l.out_h, l.out_w,
                         ARCH_MAX_ACTIVATION);
    l.param_index = -1;
    if (l.kind == LAYER_CONV || l.kind == LAYER_FC) {
        size_t fan = (size_t)l.in_c * (size_t)(l.kind == LAYER_CONV ? l.k * l.k : 1);
        /* out_c <= 65536 and fan <= 2^19 * 49: the product fits a 64-bit size_t */
        l.nweight = (size_t)l.out_c * fan;
        l.nbias = (size_t)l.out_c;
        if (l.nweight + l.nbias > ARCH_MAX_PARAMS - a->nparams)
            return token_err(c, idx, tok, "the network would have more than %zu parameters", ARCH_MAX_PARAMS);
        a->nparams += l.nweight + l.nbias;
        l.param_index = a->nparam_layers++;
    }
    a->layer[a->n++] = l;
    return 0;
}

static LayerSpec spec_from(LayerKind kind, const LayerSpec *prev) {
    LayerSpec l;
    memset(&l, 0, sizeof l);
    l.kind = kind;
    if (prev) l.in_c = prev->out_c, l.in_h = prev->out_h, l.in_w = prev->out_w;
    else l.in_c = ARCH_IN_C, l.in_h = ARCH_IN_H, l.in_w = ARCH_IN_W;
    l.out_c = l.in_c, l.out_h = l.in_h, l.out_w = l.in_w;
    return l;
}

static const LayerSpec *last(const Arch *a) { return a->n ? &a->layer[a->n - 1] : NULL; }

static int add_flatten(Arch *a, const Ctx *c, int idx, const char *tok) {
    LayerSpec l = spec_from(LAYER_FLATTEN, last(a));
    l.out_c = l.in_c * l.in_h * l.in_w, l.out_h = l.out_w = 1;
    return push(a, c, idx, tok, l);
}

static int flattened(const Arch *a) {
    for (int i = 0; i < a->n; i++)
        if (a->layer[i].kind == LAYER_FLATTEN) return 1;
    return 0;
}

static int add_fc(Arch *a, const Ctx *c, int idx, const char *tok, long n) {
    if (n < 1 || n > ARCH_MAX_FC) return token_err(c, idx, tok, "width %ld outside 1..%d", n, ARCH_MAX_FC);
    if (!flattened(a) && add_flatten(a, c, idx, tok)) return -1;
    LayerSpec l = spec_from(LAYER_FC, last(a));
    l.out_c = (int)n;
    return push(a, c, idx, tok, l);
}

/* conv<C>k<K>[s<S>][p<P>] */
static int add_conv(Arch *a, const Ctx *c, int idx, const char *tok) {
    const char *p = tok + 4;
    long C, K, S = 1, P = -1;
    if (!read_uint(&p, &C)) return token_err(c, idx, tok, "expected conv<C>k<K>[s<S>][p<P>], e.g. conv16k5");
    if (*p != 'k') return token_err(c, idx, tok, "missing k<K> (kernel size), e.g. conv%ldk5", C);
    p++;
    if (!read_uint(&p, &K)) return token_err(c, idx, tok, "k must be followed by the kernel size, e.g. k5");
    if (*p == 's') {
        p++;
        if (!read_uint(&p, &S)) return token_err(c, idx, tok, "s must be followed by the stride (1 or 2)");
    }
    if (*p == 'p') {
        p++;
        if (!read_uint(&p, &P)) return token_err(c, idx, tok, "p must be followed by the padding");
    }
    if (*p) return token_err(c, idx, tok, "unexpected \"%.20s\" (form conv<C>k<K>[s<S>][p<P>], s before p)", p);
    if (C < 1 || C > ARCH_MAX_CHANNELS) return token_err(c, idx, tok, "%ld channels outside 1..%d", C, ARCH_MAX_CHANNELS);
    if (K < 3 || K > 7) return token_err(c, idx, tok, "kernel size %ld outside 3..7", K);
    if (S != 1 && S != 2) return token_err(c, idx, tok, "stride %ld (only 1 or 2)", S);
    if (P < 0) P = K / 2;
    if (P > K - 1) return token_err(c, idx, tok, "padding %ld outside 0..%ld (kernel %ld)", P, K - 1, K);
    if (flattened(a)) return token_err(c, idx, tok, "a conv cannot follow flatten or fc");
    LayerSpec l = spec_from(LAYER_CONV, last(a));
    if (l.in_h + 2 * P < K || l.in_w + 2 * P < K)
        return token_err(c, idx, tok, "input %dx%d is smaller than the %ldx%ld kernel (padding %ld)", l.in_h, l.in_w,
                         K, K, P);
    l.k = (int)K, l.s = (int)S, l.p = (int)P;
    l.out_c = (int)C;
    l.out_h = (l.in_h + 2 * l.p - l.k) / l.s + 1;
    l.out_w = (l.in_w + 2 * l.p - l.k) / l.s + 1;
    return push(a, c, idx, tok, l);
}

static int parse_dense(Arch *a, const Ctx *c, const char *s, char sep) {
    char tok[ARCH_MAX_TEXT];
    int idx = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        memcpy(tok, p, len), tok[len] = 0;
        idx++;
        long v = 0;
        const char *q = tok;
        if (!all_digits(tok) || !read_uint(&q, &v))
            return token_err(c, idx, tok, "the dense form takes sizes only, like 784%c128%c10", sep, sep);
        if (idx == 1) {
            if (v != ARCH_IN_C * ARCH_IN_H * ARCH_IN_W)
                return token_err(c, idx, tok, "the first size is the input, %d (28x28)", ARCH_IN_C * ARCH_IN_H * ARCH_IN_W);
        } else {
            if (idx > 2) {
                LayerSpec r = spec_from(LAYER_RELU, last(a));
                if (push(a, c, idx, tok, r)) return -1;
            }
            if (add_fc(a, c, idx, tok, v)) return -1;
        }
        if (!e) break;
        p = e + 1;
    }
    if (idx < 2) return token_err(c, idx, tok, "need the input size and at least one layer, like 784%c10", sep);
    return 0;
}

static void finish(Arch *a) {
    a->classes = a->layer[a->n - 1].out_c;
    /* dense: flatten, fc, then (relu, fc)* and nothing else */
    int dense = a->n >= 2 && a->layer[0].kind == LAYER_FLATTEN;
    for (int i = 1; dense && i < a->n; i++) dense = a->layer[i].kind == ((i % 2) ? LAYER_FC : LAYER_RELU);
    a->dense = dense;
}

int arch_parse(Arch *out, const char *s, char *err) {
    Arch local; /* about 2.5 KB; *out is written only on success */
    memset(&local, 0, sizeof local);
    Ctx c = {s ? s : "", err};
    if (!s) return err_set(err, "arch: no architecture given");
    /* trim surrounding spaces */
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len == 0) return err_set(err, "arch: empty; expected e.g. %s or 784-128-64-10", ARCH_CNN);
    if (len >= ARCH_MAX_TEXT) return err_set(err, "arch: longer than %d characters", ARCH_MAX_TEXT - 1);
    char buf[ARCH_MAX_TEXT];
    memcpy(buf, s, len), buf[len] = 0;
    c.src = buf;
    const char *src = buf;
    if (strcmp(buf, "softmax") == 0) src = "784-10";
    else if (strcmp(buf, "mlp") == 0) src = "784-128-64-10";
    else if (strcmp(buf, "cnn") == 0) src = ARCH_CNN;
    for (const char *q = src; *q; q++)
        if (isspace((unsigned char)*q)) return err_set(err, "arch \"%.80s\": spaces inside; join tokens with '-'", buf);
    /* the dense shorthand: sizes only, joined by '-' or ',' */
    if (isdigit((unsigned char)src[0])) {
        char sep = strchr(src, ',') ? ',' : '-';
        if (parse_dense(&local, &c, src, sep)) return -1;
        finish(&local);
        *out = local;
        return 0;
    }
    char tok[ARCH_MAX_TEXT];
    int idx = 0;
    const char *p = src;
    for (;;) {
        const char *e = strchr(p, '-');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        memcpy(tok, p, n), tok[n] = 0;
        idx++;
        if (n == 0) return err_set(err, "arch \"%.80s\": token %d is empty (two '-' in a row, or one at an end)", buf, idx);
        const LayerSpec *prev = last(&local);
        if (strncmp(tok, "conv", 4) == 0) {
            if (add_conv(&local, &c, idx, tok)) return -1;
        } else if (strcmp(tok, "relu") == 0) {
            if (!prev) return token_err(&c, idx, tok, "a relu needs a conv, pool or fc before it");
            if (prev->kind == LAYER_RELU) return token_err(&c, idx, tok, "relu twice in a row");
            if (push(&local, &c, idx, tok, spec_from(LAYER_RELU, prev))) return -1;
        } else if (strcmp(tok, "pool") == 0) {
            if (flattened(&local)) return token_err(&c, idx, tok, "a pool cannot follow flatten or fc");
            LayerSpec l = spec_from(LAYER_POOL, prev);
            if (l.in_h < 2 || l.in_w < 2)
                return token_err(&c, idx, tok, "input %dx%d is too small to pool 2x2", l.in_h, l.in_w);
            l.out_h = l.in_h / 2, l.out_w = l.in_w / 2;
            if (push(&local, &c, idx, tok, l)) return -1;
        } else if (strcmp(tok, "flatten") == 0) {
            if (flattened(&local)) return token_err(&c, idx, tok, "already flat (flatten twice, or after an fc)");
            if (add_flatten(&local, &c, idx, tok)) return -1;
        } else if (strncmp(tok, "fc", 2) == 0) {
            const char *q = tok + 2;
            long v;
            if (!all_digits(q) || !read_uint(&q, &v)) return token_err(&c, idx, tok, "expected fc<N>, e.g. fc10");
            if (add_fc(&local, &c, idx, tok, v)) return -1;
        } else if (all_digits(tok)) {
            return token_err(&c, idx, tok, "a bare size belongs to the dense form (784-128-10); here write fc%s", tok);
        } else {
            return token_err(&c, idx, tok, "unknown layer (conv<C>k<K>[s<S>][p<P>], relu, pool, flatten, fc<N>)");
        }
        if (!e) break;
        p = e + 1;
    }
    const LayerSpec *l = last(&local);
    if (l->kind != LAYER_FC)
        return token_err(&c, idx, tok, "the last layer must be fc<N>, the class scores");
    finish(&local);
    *out = local;
    return 0;
}

int arch_format(const Arch *a, char *buf, size_t n) {
    size_t j = 0;
    int w;
    if (n == 0) return -1;
    buf[0] = 0;
    if (a->dense) {
        w = snprintf(buf, n, "%d", ARCH_IN_C * ARCH_IN_H * ARCH_IN_W);
        if (w < 0 || (size_t)w >= n) return -1;
        j = (size_t)w;
        for (int i = 0; i < a->n; i++) {
            if (a->layer[i].kind != LAYER_FC) continue;
            w = snprintf(buf + j, n - j, "-%d", a->layer[i].out_c);
            if (w < 0 || (size_t)w >= n - j) return -1;
            j += (size_t)w;
        }
        return (int)j;
    }
    for (int i = 0; i < a->n; i++) {
        char tok[48];
        spec_token(&a->layer[i], tok, sizeof tok);
        /* flatten is implied only before an fc: before a relu it must be written */
        if (a->layer[i].kind == LAYER_FLATTEN && i + 1 < a->n && a->layer[i + 1].kind != LAYER_FC)
            snprintf(tok, sizeof tok, "flatten");
        if (!tok[0]) continue;
        w = snprintf(buf + j, n - j, "%s%s", j ? "-" : "", tok);
        if (w < 0 || (size_t)w >= n - j) return -1;
        j += (size_t)w;
    }
    return (int)j;
}

int arch_dense_sizes(const Arch *a, int *sizes, int max) {
    if (!a->dense || max < 1) return -1;
    int n = 0;
    sizes[n++] = ARCH_IN_C * ARCH_IN_H * ARCH_IN_W;
    for (int i = 0; i < a->n; i++) {
        if (a->layer[i].kind != LAYER_FC) continue;
        if (n >= max) return -1;
        sizes[n++] = a->layer[i].out_c;
    }
    return n;
}

int arch_same(const Arch *a, const Arch *b) {
    if (a->n != b->n || a->dense != b->dense) return 0;
    for (int i = 0; i < a->n; i++) {
        const LayerSpec *x = &a->layer[i], *y = &b->layer[i];
        if (x->kind != y->kind || x->in_c != y->in_c || x->in_h != y->in_h || x->in_w != y->in_w || x->out_c != y->out_c ||
            x->out_h != y->out_h || x->out_w != y->out_w || x->k != y->k || x->s != y->s || x->p != y->p)
            return 0;
    }
    return 1;
}

double arch_macs(const Arch *a) {
    double m = 0;
    for (int i = 0; i < a->n; i++) {
        const LayerSpec *l = &a->layer[i];
        if (l->kind == LAYER_CONV) m += (double)l->out_h * l->out_w * (double)l->nweight;
        else if (l->kind == LAYER_FC) m += (double)l->nweight;
    }
    return m;
}

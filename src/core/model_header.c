/* model_header.c - the safetensors header of a model file, read and checked: the JSON found and
 * bounded, every tensor entry (name, dtype, shape, offsets) against the data, the layer chain or
 * the layer stack's arch, the metadata; and what a file says of itself from its header alone (the
 * Open dialog's listing). It reads no weights: model_io.c does. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "model_header.h"

#define JSON_INT_MAX 9007199254740992.0 /* 2^53: larger JSON numbers are not exact */

/* Copies a file-supplied string into out (n bytes) for an error message: printable ASCII only,
 * cut to NAME_SHOW bytes, so a hostile name can neither break the one-line rule nor flood it. */
const char *model_show(char *out, size_t n, const char *s) {
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 4 < n; i++) {
        if (i == NAME_SHOW) {
            memcpy(out + j, "...", 3);
            j += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[j] = '\0';
    return out;
}

/* "[64, 128]" into out (n bytes). */
void model_shape_str(char *out, size_t n, const uint64_t *dims, int rank) {
    size_t j = (size_t)snprintf(out, n, "[");
    for (int i = 0; i < rank && j < n; i++)
        j += (size_t)snprintf(out + j, n - j, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (j < n) snprintf(out + j, n - j, "]");
}

/* ---- the walkers ------------------------------------------------------------------------------- */


/* Reads a JSON number that must be an exact non-negative integer. Returns 0, or -1 with err set
 * using what (e.g. "tensor X: shape") for context. */
static int json_uint(const cJSON *it, uint64_t *out, const char *what, char *err) {
    if (!cJSON_IsNumber(it)) return err_set(err, "model: %s: expected a non-negative integer, got a non-number", what);
    double v = it->valuedouble;
    if (!isfinite(v) || v > JSON_INT_MAX) return err_set(err, "model: %s: number %g too large", what, v);
    if (v < 0) return err_set(err, "model: %s: %g is negative", what, v);
    if (v != floor(v)) return err_set(err, "model: %s: %g is not an integer", what, v);
    *out = (uint64_t)v;
    return 0;
}

/* Parses "layers.{i}.weight" / "layers.{i}.bias" (decimal i without leading zeros).
 * Returns 1 with *layer and *is_bias set, 0 for any other name. *layer may be >= NET_MAX_LAYERS. */
static int name_parse(const char *s, int *layer, int *is_bias) {
    if (strncmp(s, "layers.", 7) != 0) return 0;
    s += 7;
    if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9')) return 0;
    long v = 0;
    int nd = 0;
    while (*s >= '0' && *s <= '9') {
        if (++nd > 6) return 0;
        v = v * 10 + (*s++ - '0');
    }
    if (strcmp(s, ".weight") == 0) *is_bias = 0;
    else if (strcmp(s, ".bias") == 0) *is_bias = 1;
    else return 0;
    *layer = (int)v;
    return 1;
}

/* Checks one tensor entry (object with exactly dtype, shape, data_offsets) against the data
 * section of data_len bytes and fills *t. Returns 0 or -1 with err set. */
static int tensor_check(const cJSON *e, size_t data_len, TensorInfo *t, int want, char *err) {
    char nm[NAME_SHOW + 8], what[NAME_SHOW + 40], tmp[NAME_SHOW + 8];
    model_show(nm, sizeof nm, t->name);
    if (!cJSON_IsObject(e)) return err_set(err, "model: tensor %s: entry is not a JSON object", nm);
    const cJSON *dtype = NULL, *shape = NULL, *offs = NULL;
    for (const cJSON *f = e->child; f; f = f->next) {
        const cJSON **slot = strcmp(f->string, "dtype") == 0        ? &dtype
                             : strcmp(f->string, "shape") == 0        ? &shape
                             : strcmp(f->string, "data_offsets") == 0 ? &offs
                                                                      : NULL;
        if (!slot) return err_set(err, "model: tensor %s: unexpected field \"%s\"", nm, model_show(tmp, sizeof tmp, f->string));
        if (*slot) return err_set(err, "model: tensor %s: duplicate field \"%s\"", nm, f->string);
        *slot = f;
    }
    if (!dtype) return err_set(err, "model: tensor %s: missing field \"dtype\"", nm);
    if (!shape) return err_set(err, "model: tensor %s: missing field \"shape\"", nm);
    if (!offs) return err_set(err, "model: tensor %s: missing field \"data_offsets\"", nm);
    if (!cJSON_IsString(dtype)) return err_set(err, "model: tensor %s: dtype is not a string", nm);
    if (strcmp(dtype->valuestring, "F32") != 0)
        return err_set(err, "model: tensor %s: dtype %s not supported (only F32)", nm,
                       model_show(tmp, sizeof tmp, dtype->valuestring));

    if (!cJSON_IsArray(shape)) return err_set(err, "model: tensor %s: shape is not an array", nm);
    int rank = cJSON_GetArraySize(shape);
    uint64_t dims[4] = {0, 0, 0, 0};
    size_t count = 1;
    snprintf(what, sizeof what, "tensor %s: shape", nm);
    int i = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        uint64_t v;
        if (json_uint(d, &v, what, err) != 0) return -1;
        if (v > SIZE_MAX || size_mul(count, (size_t)v, &count) != 0)
            return err_set(err, "model: tensor %s: shape dimensions overflow when multiplied", nm);
        if (i < 4) dims[i] = v;
    }
    size_t bytes;
    if (size_mul(count, 4, &bytes) != 0) return err_set(err, "model: tensor %s: shape too large", nm);
    if (rank != want)
        return err_set(err, "model: tensor %s: rank %d, expected %d (%s)", nm, rank, want,
                       t->layer < 0  ? "an extra tensor is [n] or [rows, cols]"
                       : t->is_bias  ? "[out] or [1]"
                       : want == 4   ? "[out, in, k, k]"
                                     : "[out, in]");

    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return err_set(err, "model: tensor %s: data_offsets is not an array of two integers", nm);
    snprintf(what, sizeof what, "tensor %s: data_offsets", nm);
    uint64_t b, en;
    if (json_uint(offs->child, &b, what, err) != 0 || json_uint(offs->child->next, &en, what, err) != 0) return -1;
    if (b > en)
        return err_set(err, "model: tensor %s: data_offsets [%llu, %llu] begin after end", nm, (unsigned long long)b,
                       (unsigned long long)en);
    if (en > data_len)
        return err_set(err, "model: tensor %s: data_offsets end %llu beyond the %zu data bytes", nm,
                       (unsigned long long)en, data_len);
    if (en - b != bytes) {
        char sh[96];
        model_shape_str(sh, sizeof sh, dims, rank < 4 ? rank : 4);
        return err_set(err, "model: tensor %s: data_offsets [%llu, %llu] do not match shape %s (%zu bytes)", nm,
                       (unsigned long long)b, (unsigned long long)en, sh, bytes);
    }
    t->rank = rank;
    memcpy(t->dims, dims, sizeof dims);
    t->begin = b;
    t->end = en;
    return 0;
}

/* The byte buffer must be covered exactly once: no hole, no overlap, nothing after the end. */
static int coverage_check(TensorInfo *ts, int n, size_t data_len, char *err) {
    TensorInfo *by[MAX_TENSORS];
    for (int i = 0; i < n; i++) by[i] = &ts[i];
    for (int i = 1; i < n; i++) /* insertion sort by begin: n <= MAX_TENSORS */
        for (int j = i; j > 0 && by[j - 1]->begin > by[j]->begin; j--) {
            TensorInfo *x = by[j];
            by[j] = by[j - 1];
            by[j - 1] = x;
        }
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (by[i]->begin < at) {
            char a[NAME_SHOW + 8], b[NAME_SHOW + 8];
            return err_set(err, "model: tensors %s and %s overlap in the data", model_show(a, sizeof a, by[i - 1]->name),
                           model_show(b, sizeof b, by[i]->name));
        }
        if (by[i]->begin > at)
            return err_set(err, "model: data bytes [%llu, %llu) are not covered by any tensor", (unsigned long long)at,
                           (unsigned long long)by[i]->begin);
        at = by[i]->end;
    }
    if (at != data_len)
        return err_set(err, "model: %llu trailing byte%s after the last tensor", (unsigned long long)(data_len - at),
                       data_len - at == 1 ? "" : "s");
    return 0;
}

/* Copies the __metadata__ object into *m; all values must be strings that fit ModelMeta. */
static int meta_read(const cJSON *md, ModelMeta *m, char *err) {
    char k[NAME_SHOW + 8];
    if (!cJSON_IsObject(md)) return err_set(err, "model: __metadata__ is not a JSON object");
    for (const cJSON *e = md->child; e; e = e->next) {
        model_show(k, sizeof k, e->string);
        if (!cJSON_IsString(e)) return err_set(err, "model: __metadata__ value of \"%s\" is not a string", k);
        if (model_meta_get(m, e->string)) return err_set(err, "model: __metadata__ has key \"%s\" twice", k);
        if (strlen(e->string) >= META_KEY_LEN)
            return err_set(err, "model: __metadata__ key \"%s\" longer than %d bytes", k, META_KEY_LEN - 1);
        if (strlen(e->valuestring) >= META_VAL_LEN)
            return err_set(err, "model: __metadata__ value of \"%s\" longer than %d bytes", k, META_VAL_LEN - 1);
        if (m->n >= META_MAX) return err_set(err, "model: __metadata__ has more than %d entries", META_MAX);
        if (model_meta_set(m, e->string, "%s", e->valuestring) != 0)
            return err_set(err, "model: __metadata__ entry \"%s\" does not fit", k);
    }
    return 0;
}

/* Counts comma-separated items of s ("0,1,2" -> 3). */
static int count_items(const char *s) {
    int n = 1;
    for (; *s; s++) n += *s == ',';
    return n;
}

/* Checks the metadata keys that describe the network against what the tensors say, and reads
 * output_relu. bias_meta is -1 when metadata says nothing about the bias mode. */
static int meta_check(const ModelMeta *m, const int *sizes, int L, int *output_relu, int *bias_meta, char *err) {
    char v[NAME_SHOW + 8];
    const char *s = model_meta_get(m, "output_activation");
    *output_relu = 0;
    if (s) {
        if (strcmp(s, "relu+softmax") == 0) *output_relu = 1;
        else if (strcmp(s, "softmax") != 0)
            return err_set(err, "model: unknown output_activation \"%s\" (softmax or relu+softmax)", model_show(v, sizeof v, s));
    }
    s = model_meta_get(m, "activation");
    if (s && strcmp(s, "relu") != 0)
        return err_set(err, "model: unknown activation \"%s\" (only relu)", model_show(v, sizeof v, s));
    *bias_meta = -1;
    s = model_meta_get(m, "bias");
    if (s) {
        if (strcmp(s, "per-neuron") == 0) *bias_meta = BIAS_NEURON;
        else if (strcmp(s, "per-layer") == 0) *bias_meta = BIAS_LAYER;
        else return err_set(err, "model: unknown bias mode \"%s\" (per-neuron or per-layer)", model_show(v, sizeof v, s));
    }
    const char *fmt = model_meta_get(m, "format");
    s = model_meta_get(m, "format_version");
    if (fmt && strcmp(fmt, "digitrec") == 0 && s && strcmp(s, MODEL_FORMAT_VERSION) != 0)
        return err_set(err, "model: format_version \"%s\" not supported (this build reads %s)", model_show(v, sizeof v, s),
                       MODEL_FORMAT_VERSION);
    s = model_meta_get(m, "layers");
    if (s) {
        char want[NET_MAX_LAYERS * 8 + 8];
        size_t j = 0;
        for (int l = 0; l <= L; l++) j += (size_t)snprintf(want + j, sizeof want - j, "%s%d", l ? "," : "", sizes[l]);
        if (strcmp(s, want) != 0)
            return err_set(err, "model: metadata layers \"%s\" disagree with the tensors (%s)", model_show(v, sizeof v, s), want);
    }
    s = model_meta_get(m, "classes");
    if (s && count_items(s) != sizes[L])
        return err_set(err, "model: metadata classes name %d classes but the output layer has %d units", count_items(s),
                       sizes[L]);
    return 0;
}

/* A stack's metadata: what describes the network must agree with its arch (softmax output,
 * ReLU, per-neuron biases, no dense `layers`, as many classes as outputs). */
static int stack_meta_check(const ModelMeta *m, const Arch *a, char *err) {
    char v[NAME_SHOW + 8];
    const char *s = model_meta_get(m, "output_activation");
    if (s && strcmp(s, "softmax") != 0)
        return err_set(err, "model: output_activation \"%s\" with an arch (a layer stack ends in softmax)",
                       model_show(v, sizeof v, s));
    s = model_meta_get(m, "activation");
    if (s && strcmp(s, "relu") != 0)
        return err_set(err, "model: unknown activation \"%s\" (only relu)", model_show(v, sizeof v, s));
    s = model_meta_get(m, "bias");
    if (s && strcmp(s, "per-neuron") != 0)
        return err_set(err, "model: bias \"%s\" with an arch (a layer stack has per-neuron biases)", model_show(v, sizeof v, s));
    const char *fmt = model_meta_get(m, "format");
    s = model_meta_get(m, "format_version");
    if (fmt && strcmp(fmt, "digitrec") == 0 && s && strcmp(s, MODEL_FORMAT_VERSION) != 0)
        return err_set(err, "model: format_version \"%s\" not supported (this build reads %s)", model_show(v, sizeof v, s),
                       MODEL_FORMAT_VERSION);
    if (model_meta_get(m, "layers"))
        return err_set(err, "model: metadata has both layers (a dense network) and an arch that is not dense");
    s = model_meta_get(m, "classes");
    if (s && count_items(s) != a->classes)
        return err_set(err, "model: metadata classes name %d classes but the arch has %d outputs", count_items(s),
                       a->classes);
    return 0;
}

/* Every parameter layer of a has both tensors, shaped as the arch says. */
static int stack_check(const TensorInfo *ts, int seen[][2], const Arch *a, char *err) {
    for (int i = 0; i < a->n; i++) {
        const LayerSpec *l = &a->layer[i];
        int j = l->param_index;
        if (j < 0) continue;
        uint64_t want[4] = {(uint64_t)l->out_c, (uint64_t)l->in_c, (uint64_t)l->k, (uint64_t)l->k};
        int rank = l->kind == LAYER_CONV ? 4 : 2;
        for (int g = 0; g < 2; g++) {
            const char *what = g ? "bias" : "weight";
            if (seen[j][g] < 0)
                return err_set(err, "model: missing tensor layers.%d.%s (the arch's %s)", j, what,
                               l->kind == LAYER_CONV ? "conv" : "fc");
            const TensorInfo *t = &ts[seen[j][g]];
            int r = g ? 1 : rank;
            if (memcmp(t->dims, want, sizeof(uint64_t) * (size_t)r) != 0) {
                char got[96], exp[96];
                model_shape_str(got, sizeof got, t->dims, r);
                model_shape_str(exp, sizeof exp, want, r);
                return err_set(err, "model: tensor layers.%d.%s: shape %s, the arch gives %s", j, what, got, exp);
            }
        }
    }
    return 0;
}

/* The architecture a file's metadata names (a->n = 0 when it names none). A string that is not
 * a valid arch is an error: the tensors cannot be read without it. */
static int header_arch(const cJSON *md, Arch *a, char *err) {
    memset(a, 0, sizeof *a);
    const cJSON *s = cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, "arch") : NULL;
    if (!s) return 0;
    if (!cJSON_IsString(s)) return err_set(err, "model: __metadata__ value of \"arch\" is not a string");
    char e[ERR_LEN];
    if (arch_parse(a, s->valuestring, e) != 0) {
        for (char *c = e; *c; c++) /* the parser quotes the file's text: no control bytes in one line */
            if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
        return err_set(err, "model: metadata %s", e);
    }
    if (!a->dense && a->nparam_layers > NET_MAX_LAYERS)
        return err_set(err, "model: metadata arch: %d layers with parameters (at most %d)", a->nparam_layers,
                       NET_MAX_LAYERS);
    return 0;
}

/* Walks the header: validates each entry, finds the layers, checks coverage, the layer chain,
 * the bias mode and the metadata. Fills sizes/L/bias/output_relu, the tensors and *m, and *a
 * when the metadata names a layer stack (a->n = 0 and a dense net otherwise). */
int model_header_check(const cJSON *root, size_t data_len, TensorInfo *ts, int *nts, int *sizes, int *L,
                        BiasMode *bias, int *output_relu, ModelMeta *m, Arch *a, char *err) {
    char nm[NAME_SHOW + 8];
    int seen[NET_MAX_LAYERS][2];
    memset(seen, -1, sizeof seen);
    const cJSON *md = NULL;
    int n = 0, nextra = 0;
    for (const cJSON *e = root->child; e; e = e->next)
        if (strcmp(e->string, "__metadata__") == 0) {
            if (md) return err_set(err, "model: duplicate __metadata__");
            md = e;
        }
    if (header_arch(md, a, err) != 0) return -1;
    int stack = a->n > 0 && !a->dense;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (e == md) continue;
        int layer, is_bias;
        model_show(nm, sizeof nm, e->string);
        if (strncmp(e->string, MODEL_EXTRA_PREFIX, strlen(MODEL_EXTRA_PREFIX)) == 0) {
            if (strlen(e->string) >= META_KEY_LEN)
                return err_set(err, "model: tensor name %s longer than %d bytes", nm, META_KEY_LEN - 1);
            if (n >= MAX_TENSORS || nextra >= MODEL_EXTRA_MAX)
                return err_set(err, "model: more than %d extra tensors (%s...)", MODEL_EXTRA_MAX, MODEL_EXTRA_PREFIX);
            for (int i = 0; i < n; i++)
                if (ts[i].layer < 0 && strcmp(ts[i].name, e->string) == 0) return err_set(err, "model: duplicate tensor %s", nm);
            TensorInfo *t = &ts[n];
            t->name = e->string;
            t->layer = -1;
            t->is_bias = 0;
            const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
            if (tensor_check(e, data_len, t, cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == 1 ? 1 : 2, err) != 0) return -1;
            if (t->dims[0] < 1 || (t->rank == 2 && t->dims[1] < 1) || t->dims[0] > NET_MAX_WIDTH ||
                t->dims[1] > NET_MAX_WIDTH)
                return err_set(err, "model: tensor %s: a dimension outside 1..%d", nm, NET_MAX_WIDTH);
            n++, nextra++;
            continue;
        }
        if (n >= MAX_TENSORS) return err_set(err, "model: more than %d tensors", MAX_TENSORS);
        if (!name_parse(e->string, &layer, &is_bias))
            return err_set(err, "model: unknown tensor \"%s\" (expected layers.{i}.weight / layers.{i}.bias)", nm);
        if (stack && layer >= a->nparam_layers)
            return err_set(err, "model: extra tensor %s: the arch has %d layers with parameters (layers.0..%d)", nm,
                           a->nparam_layers, a->nparam_layers - 1);
        if (layer >= NET_MAX_LAYERS)
            return err_set(err, "model: tensor %s: more than %d layers (NET_MAX_LAYERS)", nm, NET_MAX_LAYERS);
        if (seen[layer][is_bias] >= 0) return err_set(err, "model: duplicate tensor %s", nm);
        TensorInfo *t = &ts[n];
        t->name = e->string;
        t->layer = layer;
        t->is_bias = is_bias;
        int rank = is_bias ? 1 : 2;
        if (stack && !is_bias) {
            const LayerSpec *ls = NULL;
            for (int i = 0; i < a->n && !ls; i++)
                if (a->layer[i].param_index == layer) ls = &a->layer[i];
            rank = ls && ls->kind == LAYER_CONV ? 4 : 2;
        }
        if (tensor_check(e, data_len, t, rank, err) != 0) return -1;
        seen[layer][is_bias] = n++;
    }
    if (n == 0) return err_set(err, "model: no tensors (expected layers.0.weight, layers.0.bias, ...)");
    if (coverage_check(ts, n, data_len, err) != 0) return -1;
    if (stack) {
        if (stack_check(ts, seen, a, err) != 0) return -1;
        if (md && (meta_read(md, m, err) != 0 || stack_meta_check(m, a, err) != 0)) return -1;
        *bias = BIAS_NEURON;
        *output_relu = 0;
        *nts = n;
        *L = a->nparam_layers;
        return 0;
    }

    int nl = 0;
    for (int l = 0; l < NET_MAX_LAYERS; l++)
        if (seen[l][0] >= 0 || seen[l][1] >= 0) nl = l + 1;
    if (nl == 0) return err_set(err, "model: no network tensors (expected layers.0.weight, layers.0.bias, ...)");
    for (int l = 0; l < nl; l++) {
        if (seen[l][0] < 0 && seen[l][1] < 0)
            return err_set(err, "model: layer %d missing (layer indices must run 0..%d without gaps)", l, nl - 1);
        if (seen[l][0] < 0) return err_set(err, "model: missing tensor layers.%d.weight", l);
        if (seen[l][1] < 0) return err_set(err, "model: missing tensor layers.%d.bias", l);
    }
    /* Bias mode: [out] is per-neuron, [1] per-layer; with out == 1 either reading fits. */
    int mode = -1;
    for (int l = 0; l < nl; l++) {
        const TensorInfo *w = &ts[seen[l][0]], *b = &ts[seen[l][1]];
        if (w->dims[0] < 1 || w->dims[0] > NET_MAX_WIDTH || w->dims[1] < 1 || w->dims[1] > NET_MAX_WIDTH)
            return err_set(err, "model: tensor layers.%d.weight: shape [%llu, %llu] has a width outside 1..%d", l,
                           (unsigned long long)w->dims[0], (unsigned long long)w->dims[1], NET_MAX_WIDTH);
        if (l > 0 && w->dims[1] != ts[seen[l - 1][0]].dims[0])
            return err_set(err, "model: layers.%d.weight takes %llu inputs but layers.%d.weight gives %llu outputs", l,
                           (unsigned long long)w->dims[1], l - 1, (unsigned long long)ts[seen[l - 1][0]].dims[0]);
        int this_mode;
        if (b->dims[0] == w->dims[0] && b->dims[0] != 1) this_mode = BIAS_NEURON;
        else if (b->dims[0] == 1 && w->dims[0] != 1) this_mode = BIAS_LAYER;
        else if (b->dims[0] == 1) continue; /* out == 1: fits both modes */
        else
            return err_set(err, "model: tensor layers.%d.bias: shape [%llu], expected [%llu] (per-neuron) or [1] (per-layer)",
                           l, (unsigned long long)b->dims[0], (unsigned long long)w->dims[0]);
        if (mode >= 0 && this_mode != mode)
            return err_set(err, "model: layers mix per-neuron and per-layer biases (layers.%d.bias)", l);
        mode = this_mode;
    }
    sizes[0] = (int)ts[seen[0][0]].dims[1];
    for (int l = 0; l < nl; l++) sizes[l + 1] = (int)ts[seen[l][0]].dims[0];

    int bias_meta = -1;
    if (md) {
        if (meta_read(md, m, err) != 0) return -1;
        if (meta_check(m, sizes, nl, output_relu, &bias_meta, err) != 0) return -1;
    } else {
        *output_relu = 0;
    }
    if (a->n) { /* a dense arch: it must name these sizes */
        int as[NET_MAX_LAYERS + 1], an = arch_dense_sizes(a, as, NET_MAX_LAYERS + 1);
        char s[ARCH_MAX_TEXT];
        arch_format(a, s, sizeof s);
        if (an != nl + 1 || memcmp(as, sizes, sizeof(int) * (size_t)an) != 0)
            return err_set(err, "model: metadata arch \"%s\" disagrees with the tensors", s);
        memset(a, 0, sizeof *a); /* loaded as the dense net it is */
    }
    if (bias_meta >= 0 && mode >= 0 && bias_meta != mode)
        return err_set(err, "model: metadata bias \"%s\" disagrees with the bias tensors",
                       bias_meta == BIAS_LAYER ? "per-layer" : "per-neuron");
    *bias = mode >= 0 ? (BiasMode)mode : bias_meta >= 0 ? (BiasMode)bias_meta : BIAS_NEURON;
    *nts = n;
    *L = nl;
    return 0;
}

/* Parses a safetensors buffer into a new net (and meta, when not NULL: the file's __metadata__
 * verbatim, empty when the file has none). A file without metadata loads with softmax output and
 * the bias mode its tensors show. On failure *net and *meta are untouched and nothing is allocated. */
/* Checks the 8-byte header length and the JSON header of a file of total bytes, of which buf holds
 * the first avail (at least 8 + the header length, or the file is reported truncated). Returns the
 * parsed header (caller deletes) with *hlen_out set, or NULL with err. */
cJSON *model_header_json(const uint8_t *buf, size_t avail, uint64_t total, uint64_t *hlen_out, char *err) {
    if (avail < 8 || total < 8) {
        err_set(err, "model: %llu bytes, too short for a safetensors file (8-byte header length)",
                (unsigned long long)(total < avail ? total : avail));
        return NULL;
    }
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    if (hlen == 0) {
        err_set(err, "model: header length is 0");
        return NULL;
    }
    if (hlen > HEADER_MAX) {
        err_set(err, "model: header length %llu exceeds the %llu-byte limit", (unsigned long long)hlen,
                (unsigned long long)HEADER_MAX);
        return NULL;
    }
    if (hlen > total - 8 || hlen > avail - 8) {
        err_set(err, "model: header length %llu exceeds the %llu bytes after it (truncated file?)",
                (unsigned long long)hlen, (unsigned long long)((total < avail ? total : avail) - 8));
        return NULL;
    }
    const char *hdr = (const char *)buf + 8;
    if (hdr[0] != '{') {
        err_set(err, "model: header is not a JSON object (must start with '{')");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)hlen, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr && end <= hdr + hlen ? (size_t)(end - hdr) : 0;
        err_set(err, "model: header is not valid JSON (at byte %zu of %llu)", at, (unsigned long long)hlen);
        return NULL;
    }
    for (const char *p = end; p < hdr + hlen; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            err_set(err, "model: header has bytes after the JSON object (at byte %zu)", (size_t)(p - hdr));
            return NULL;
        }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        err_set(err, "model: header is not a JSON object");
        return NULL;
    }
    *hlen_out = hlen;
    return root;
}

/* ---- the header alone ---------------------------------------------------------------------- */

int model_parse_meta(const uint8_t *buf, size_t avail, uint64_t total, ModelMeta *meta, int *sizes, int *nlayers,
                     char *err) {
    uint64_t hlen = 0;
    cJSON *root = model_header_json(buf, avail, total, &hlen, err);
    if (!root) return -1;
    TensorInfo ts[MAX_TENSORS];
    int nts = 0, sz[NET_MAX_LAYERS + 1], L = 0, output_relu = 0;
    BiasMode bias = BIAS_NEURON;
    ModelMeta *m = xcalloc(1, sizeof *m);
    if (!m) {
        cJSON_Delete(root);
        return err_set(err, "model: out of memory");
    }
    Arch *arch = xcalloc(1, sizeof *arch);
    /* the data section's size comes from the file's size: every tensor is checked against it */
    int rc = arch ? model_header_check(root, (size_t)(total - 8 - hlen), ts, &nts, sz, &L, &bias, &output_relu, m, arch, err)
                  : err_set(err, "model: out of memory");
    cJSON_Delete(root);
    if (rc == 0) {
        if (arch->n) L = 0, sz[0] = arch->layer[0].in_c * arch->layer[0].in_h * arch->layer[0].in_w; /* a stack: "arch" names it */
        if (meta) *meta = *m;
        if (sizes) memcpy(sizes, sz, sizeof(int) * (size_t)(L + 1));
        if (nlayers) *nlayers = L;
    }
    free(arch);
    free(m);
    return rc;
}

int model_read_meta(const char *path, ModelMeta *meta, int *sizes, int *nlayers, char *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return err_set(err, "%s: not a regular file", path);
    }
    uint64_t total = (uint64_t)st.st_size;
    if (total > (uint64_t)MODEL_MAX_FILE) {
        fclose(f);
        return err_set(err, "%s: %llu bytes, larger than the %zu-byte model limit", path, (unsigned long long)total,
                       (size_t)MODEL_MAX_FILE);
    }
    uint8_t len8[8] = {0};
    size_t got = fread(len8, 1, 8, f);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)len8[i] << (8 * i);
    /* only as much as the header claims, within the limits header_json checks again */
    size_t want = got < 8 ? got : hlen > HEADER_MAX || hlen > total - 8 ? 8 : (size_t)(8 + hlen);
    uint8_t *buf = malloc(want ? want : 1);
    if (!buf) {
        fclose(f);
        return err_set(err, "%s: out of memory for its header", path);
    }
    memcpy(buf, len8, got < 8 ? got : 8);
    size_t have = got < 8 ? got : 8 + fread(buf + 8, 1, want - 8, f);
    int read_failed = ferror(f);
    fclose(f);
    if (read_failed) {
        free(buf);
        return err_set(err, "%s: read error", path);
    }
    char e[ERR_LEN];
    int rc = model_parse_meta(buf, have, total, meta, sizes, nlayers, e);
    free(buf);
    if (rc != 0) return err_set(err, "%s: %s", path, strncmp(e, "model: ", 7) == 0 ? e + 7 : e);
    return 0;
}

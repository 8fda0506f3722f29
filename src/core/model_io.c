/* model_io.c - reads and writes networks as safetensors: u64 LE header length, JSON header, bytes.
 * Dense nets are described by their tensors (and the `layers` metadata); a layer stack by its
 * `arch` metadata, against which every tensor's shape is checked. It trusts nothing in a file:
 * every length, offset, shape and value is checked before use. It does not convert dtypes (F32
 * only) and does not map files; a model is read whole. */
#include "model_io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch.h"
#include "common.h"
#include "model_header.h"

/* ---- little helpers ---------------------------------------------------------------------- */

static void put_f32_le(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

static float get_f32_le(const uint8_t *p) {
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- encode ------------------------------------------------------------------------------ */

static int add_meta(cJSON *obj, const char *key, const char *val, char *err) {
    if (!cJSON_AddStringToObject(obj, key, val)) return err_set(err, "model: out of memory building the header");
    return 0;
}

/* Builds the __metadata__ object: keys derived from net first, then the caller's other keys.
 * Returns the object (caller deletes) or NULL with err set. */
static cJSON *meta_build(const Net *net, const ModelMeta *meta, char *err) {
    char layers[ARCH_MAX_TEXT > NET_MAX_LAYERS * 8 + 8 ? ARCH_MAX_TEXT : NET_MAX_LAYERS * 8 + 8], classes[META_VAL_LEN],
        input[160];
    size_t j = 0;
    if (net->stack) {
        if (arch_format(&net->arch, layers, sizeof layers) < 0) {
            err_set(err, "model: the architecture does not fit the metadata");
            return NULL;
        }
    } else {
        for (int l = 0; l <= net->nlayers; l++)
            j += (size_t)snprintf(layers + j, sizeof layers - j, "%s%d", l ? "," : "", net->sizes[l]);
    }
    const char *user_classes = meta ? model_meta_get(meta, "classes") : NULL;
    int K = net->sizes[net->nlayers];
    if (user_classes) {
        snprintf(classes, sizeof classes, "%s", user_classes);
    } else {
        j = 0;
        for (int k = 0; k < K && j < sizeof classes; k++)
            j += (size_t)snprintf(classes + j, sizeof classes - j, "%s%d", k ? "," : "", k);
        if (j >= sizeof classes) {
            err_set(err, "model: %d classes do not fit the metadata; pass meta \"classes\"", K);
            return NULL;
        }
    }
    if (net->sizes[0] == 784)
        snprintf(input, sizeof input, "784 floats: 28x28 row-major, pixel/255 in [0,1], ink=1 background=0 (MNIST)");
    else
        snprintf(input, sizeof input, "%d floats in [0,1]", net->sizes[0]);

    int extra = 0;
    if (meta)
        for (int i = 0; i < meta->n; i++) extra += !model_meta_is_derived(meta->key[i]);
    if (model_meta_nderived() - 1 + extra > META_MAX) { /* one of layers and arch */
        err_set(err, "model: %d metadata entries, at most %d fit (%d are derived from the net)", model_meta_nderived() - 1 + extra,
                META_MAX, model_meta_nderived() - 1);
        return NULL;
    }

    cJSON *obj = cJSON_CreateObject();
    if (!obj) {
        err_set(err, "model: out of memory building the header");
        return NULL;
    }
    if (add_meta(obj, "format", "digitrec", err) || add_meta(obj, "format_version", MODEL_FORMAT_VERSION, err) ||
        add_meta(obj, net->stack ? "arch" : "layers", layers, err) || add_meta(obj, "activation", "relu", err) ||
        add_meta(obj, "output_activation", net->output_relu ? "relu+softmax" : "softmax", err) ||
        add_meta(obj, "bias", net->bias == BIAS_LAYER ? "per-layer" : "per-neuron", err) ||
        add_meta(obj, "input", input, err) || add_meta(obj, "classes", classes, err))
        goto fail;
    if (meta)
        for (int i = 0; i < meta->n; i++)
            if (!model_meta_is_derived(meta->key[i]) && add_meta(obj, meta->key[i], meta->val[i], err)) goto fail;
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

/* Serialises net: header {__metadata__, layers.0.weight, layers.0.bias, ...} padded with spaces
 * so the data starts 8-byte aligned, then every tensor in that order as little-endian F32.
 * On success *buf (caller frees) holds *len bytes; on failure nothing is allocated. */
int model_encode(const Net *net, const ModelMeta *meta, uint8_t **buf, size_t *len, char *err) {
    return model_encode_extras(net, meta, NULL, buf, len, err);
}

/* One tensor entry {dtype F32, shape, data_offsets [begin, begin + 4 * count)} under name in
 * root. Returns 1, or 0 when out of memory (nothing left allocated but root). */
static int add_tensor_entry(cJSON *root, const char *name, const double *shape, int rank, size_t begin, size_t count) {
    double offs[2] = {(double)begin, (double)(begin + 4 * count)};
    cJSON *t = cJSON_CreateObject(), *sh = cJSON_CreateDoubleArray(shape, rank), *of = cJSON_CreateDoubleArray(offs, 2);
    int ok = t && sh && of && cJSON_AddStringToObject(t, "dtype", "F32") && cJSON_AddItemToObject(t, "shape", sh);
    if (ok) sh = NULL; /* now owned by t */
    ok = ok && cJSON_AddItemToObject(t, "data_offsets", of);
    if (ok) of = NULL;
    ok = ok && cJSON_AddItemToObject(root, name, t);
    if (ok) t = NULL;
    cJSON_Delete(t);
    cJSON_Delete(sh);
    cJSON_Delete(of);
    return ok;
}

/* model_encode, then the extra tensors (names checked, in their order) after the network's. */
int model_encode_extras(const Net *net, const ModelMeta *meta, const ModelExtras *ex, uint8_t **buf, size_t *len,
                        char *err) {
    int nex = ex ? ex->n : 0;
    if (nex < 0 || nex > MODEL_EXTRA_MAX) return err_set(err, "model: %d extra tensors (at most %d)", nex, MODEL_EXTRA_MAX);
    for (int i = 0; i < nex; i++)
        if (strncmp(ex->t[i].name, MODEL_EXTRA_PREFIX, strlen(MODEL_EXTRA_PREFIX)) != 0 || ex->t[i].rank < 1 ||
            ex->t[i].rank > 2 || ex->t[i].dims[0] < 1 || ex->t[i].dims[1] < 1 || !ex->t[i].data)
            return err_set(err, "model: extra tensor %d is malformed (name, rank or shape)", i);
    if (net->nlayers < 1 || net->nlayers > NET_MAX_LAYERS || !net->params)
        return err_set(err, "model: network has %d layers (must be 1..%d)", net->nlayers, NET_MAX_LAYERS);
    cJSON *root = cJSON_CreateObject();
    if (!root) return err_set(err, "model: out of memory building the header");
    cJSON *md = meta_build(net, meta, err);
    if (!md) {
        cJSON_Delete(root);
        return -1;
    }
    if (!cJSON_AddItemToObject(root, "__metadata__", md)) {
        cJSON_Delete(md);
        cJSON_Delete(root);
        return err_set(err, "model: out of memory building the header");
    }

    size_t data_len = 0;
    int ok = 1;
    for (int l = 0; l < net->nlayers && ok; l++) {
        for (int g = 0; g < 2 && ok; g++) {
            size_t out = (size_t)net->sizes[l + 1], in = (size_t)net->sizes[l];
            size_t count = g == 0 ? out * in : (net->bias == BIAS_LAYER ? 1 : out);
            double shape[4] = {(double)out, (double)in};
            int rank = g == 0 ? 2 : 1;
            if (g == 1) shape[0] = (double)count;
            const LayerSpec *ls = net_param_spec(net, l);
            if (ls) { /* a stack: conv weights (out, in, k, k), fc weights (out, in) */
                count = g == 0 ? net->wlen[l] : net->blen[l];
                shape[0] = ls->out_c, shape[1] = ls->in_c, shape[2] = shape[3] = ls->k;
                rank = g == 1 ? 1 : ls->kind == LAYER_CONV ? 4 : 2;
            }
            double offs[2] = {(double)data_len, (double)(data_len + 4 * count)};
            char name[32];
            snprintf(name, sizeof name, "layers.%d.%s", l, g == 0 ? "weight" : "bias");
            cJSON *t = cJSON_CreateObject(), *sh = cJSON_CreateDoubleArray(shape, rank),
                  *of = cJSON_CreateDoubleArray(offs, 2);
            ok = t && sh && of && cJSON_AddStringToObject(t, "dtype", "F32") && cJSON_AddItemToObject(t, "shape", sh);
            if (ok) sh = NULL; /* now owned by t */
            ok = ok && cJSON_AddItemToObject(t, "data_offsets", of);
            if (ok) of = NULL;
            ok = ok && cJSON_AddItemToObject(root, name, t);
            if (ok) t = NULL;
            cJSON_Delete(t); /* whatever was not handed over (cJSON_Delete(NULL) is a no-op) */
            cJSON_Delete(sh);
            cJSON_Delete(of);
            data_len += 4 * count;
        }
    }
    for (int i = 0; i < nex && ok; i++) {
        const ModelTensor *t = &ex->t[i];
        double shape[2] = {(double)t->dims[0], (double)t->dims[1]};
        size_t count = (size_t)t->dims[0] * (size_t)t->dims[1];
        ok = add_tensor_entry(root, t->name, shape, t->rank, data_len, count);
        data_len += 4 * count;
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return err_set(err, "model: out of memory building the header");

    size_t hlen = strlen(json), padded = (hlen + 7) & ~(size_t)7;
    size_t total = 8 + padded + data_len;
    if (total > MODEL_MAX_FILE) {
        free(json);
        return err_set(err, "model: %zu bytes exceed the %zu-byte model file limit", total, (size_t)MODEL_MAX_FILE);
    }
    uint8_t *out = malloc(total);
    if (!out) {
        free(json);
        return err_set(err, "model: out of memory for %zu bytes", total);
    }
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(out + 8, json, hlen);
    memset(out + 8 + hlen, ' ', padded - hlen);
    free(json);
    uint8_t *p = out + 8 + padded;
    for (int l = 0; l < net->nlayers; l++) {
        size_t nw = net->wlen[l], nb = net->blen[l];
        for (size_t i = 0; i < nw; i++, p += 4) put_f32_le(p, net->w[l][i]);
        for (size_t i = 0; i < nb; i++, p += 4) put_f32_le(p, net->b[l][i]);
    }
    for (int i = 0; i < nex; i++) {
        size_t count = (size_t)ex->t[i].dims[0] * (size_t)ex->t[i].dims[1];
        for (size_t k = 0; k < count; k++, p += 4) put_f32_le(p, ex->t[i].data[k]);
    }
    *buf = out;
    *len = total;
    return 0;
}

/* Encodes and writes path atomically (file_write_atomic). A net holding NaN or Inf is refused,
 * naming the tensor. On failure an existing file at path is untouched. */
int model_save(const char *path, const Net *net, const ModelMeta *meta, char *err) {
    return model_save_extras(path, net, meta, NULL, err);
}

/* model_save with extra tensors; a NaN or Inf in one of them is refused too. */
int model_save_extras(const char *path, const Net *net, const ModelMeta *meta, const ModelExtras *ex, char *err) {
    for (int i = 0; ex && i < ex->n && i < MODEL_EXTRA_MAX; i++) {
        size_t count = ex->t[i].data ? (size_t)ex->t[i].dims[0] * (size_t)ex->t[i].dims[1] : 0;
        for (size_t k = 0; k < count; k++)
            if (!isfinite(ex->t[i].data[k]))
                return err_set(err, "%s: refusing to save: %s[%zu] is %s", path, ex->t[i].name, k,
                               isnan(ex->t[i].data[k]) ? "NaN" : "Inf");
    }
    for (int l = 0; l < net->nlayers && net->params; l++) {
        size_t nw = net->wlen[l], nb = net->blen[l];
        for (size_t i = 0; i < nw; i++)
            if (!isfinite(net->w[l][i]))
                return err_set(err, "%s: refusing to save: layers.%d.weight[%zu] is %s", path, l, i,
                               isnan(net->w[l][i]) ? "NaN" : "Inf");
        for (size_t i = 0; i < nb; i++)
            if (!isfinite(net->b[l][i]))
                return err_set(err, "%s: refusing to save: layers.%d.bias[%zu] is %s", path, l, i,
                               isnan(net->b[l][i]) ? "NaN" : "Inf");
    }
    uint8_t *buf;
    size_t len;
    char e[ERR_LEN];
    if (model_encode_extras(net, meta, ex, &buf, &len, e) != 0)
        return err_set(err, "%s: %s", path, strncmp(e, "model: ", 7) == 0 ? e + 7 : e);
    int rc = file_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int model_parse(const uint8_t *buf, size_t len, Net *net, ModelMeta *meta, char *err) {
    return model_parse_extras(buf, len, net, meta, NULL, err);
}

int model_parse_extras(const uint8_t *buf, size_t len, Net *net, ModelMeta *meta, ModelExtras *ex, char *err) {
    uint64_t hlen = 0;
    cJSON *root = model_header_json(buf, len, len, &hlen, err);
    if (!root) return -1;

    const uint8_t *data = buf + 8 + hlen;
    size_t data_len = len - 8 - (size_t)hlen;
    TensorInfo ts[MAX_TENSORS];
    int nts = 0, sizes[NET_MAX_LAYERS + 1], L = 0, output_relu = 0;
    BiasMode bias = BIAS_NEURON;
    ModelMeta *m = xcalloc(1, sizeof *m);
    if (!m) {
        cJSON_Delete(root);
        return err_set(err, "model: out of memory");
    }
    Arch *arch = xcalloc(1, sizeof *arch);
    int rc = arch ? model_header_check(root, data_len, ts, &nts, sizes, &L, &bias, &output_relu, m, arch, err)
                  : err_set(err, "model: out of memory");
    Net fresh;
    if (rc == 0) rc = arch->n ? net_create_arch(&fresh, arch, err) : net_create(&fresh, sizes, L, bias, output_relu, err);
    free(arch);
    ModelExtras got = {0};
    if (rc == 0) {
        for (int i = 0; i < nts && rc == 0; i++) {
            const TensorInfo *t = &ts[i];
            size_t count = (size_t)(t->end - t->begin) / 4;
            float *dst = NULL;
            if (t->layer < 0 && ex) { /* an extra tensor; without ex only checked below */
                ModelTensor *x = &got.t[got.n];
                dst = x->data = xmalloc_array(count ? count : 1, sizeof(float));
                if (!dst) {
                    rc = err_set(err, "model: out of memory for tensor %.40s", t->name);
                    break;
                }
                snprintf(x->name, sizeof x->name, "%s", t->name);
                x->rank = t->rank;
                x->dims[0] = (int)t->dims[0];
                x->dims[1] = t->rank == 2 ? (int)t->dims[1] : 1;
                got.n++;
            } else if (t->layer >= 0) {
                dst = t->is_bias ? fresh.b[t->layer] : fresh.w[t->layer];
            }
            for (size_t k = 0; k < count; k++) {
                float f = get_f32_le(data + t->begin + 4 * k);
                if (!isfinite(f)) {
                    char nm[NAME_SHOW + 8];
                    rc = err_set(err, "model: tensor %s holds %s at index %zu", model_show(nm, sizeof nm, t->name),
                                 isnan(f) ? "NaN" : "Inf", k);
                    break;
                }
                if (dst) dst[k] = f;
            }
        }
        if (rc != 0) net_free(&fresh);
    }
    cJSON_Delete(root);
    if (rc == 0) {
        *net = fresh;
        if (meta) *meta = *m;
        if (ex) *ex = got;
    } else {
        model_extras_free(&got);
    }
    free(m);
    return rc;
}

/* Reads path (refusing files over MODEL_MAX_FILE) and parses it; errors start with the path. */
int model_load(const char *path, Net *net, ModelMeta *meta, char *err) {
    return model_load_extras(path, net, meta, NULL, err);
}

int model_load_extras(const char *path, Net *net, ModelMeta *meta, ModelExtras *ex, char *err) {
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size > (uint64_t)MODEL_MAX_FILE)
        return err_set(err, "%s: %llu bytes, larger than the %zu-byte model limit", path,
                       (unsigned long long)st.st_size, (size_t)MODEL_MAX_FILE);
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, &buf, &len, err) != 0) return -1; /* its message names the path */
    if (len > MODEL_MAX_FILE) {
        free(buf);
        return err_set(err, "%s: larger than the %zu-byte model limit", path, (size_t)MODEL_MAX_FILE);
    }
    char e[ERR_LEN];
    int rc = model_parse_extras(buf, len, net, meta, ex, e);
    free(buf);
    if (rc != 0) return err_set(err, "%s: %s", path, strncmp(e, "model: ", 7) == 0 ? e + 7 : e);
    return 0;
}

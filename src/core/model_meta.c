/* model_meta.c - a model file's metadata (keys and values, and which keys the file format itself
 * derives from the network) and the container of its extra tensors (ood.*). No parsing here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "model_header.h"

/* Keys model_encode derives from the net; a caller's meta cannot override them (classes aside). */
static const char *const DERIVED_KEYS[] = {"format", "format_version", "layers", "activation",
                                           "output_activation", "bias", "input", "classes", "arch"};
#define NDERIVED ((int)(sizeof DERIVED_KEYS / sizeof DERIVED_KEYS[0]))

/* ---- metadata ---------------------------------------------------------------------------- */

/* Sets key to a printf-formatted value, replacing an existing entry. Returns 0, or -1 when the
 * table is full or key/value do not fit (the table is then unchanged). */
int model_meta_set(ModelMeta *m, const char *key, const char *fmt, ...) {
    char val[META_VAL_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof val || strlen(key) >= META_KEY_LEN) return -1;
    int i = 0;
    while (i < m->n && strcmp(m->key[i], key) != 0) i++;
    if (i == m->n) {
        if (m->n >= META_MAX) return -1;
        m->n++;
        memcpy(m->key[i], key, strlen(key) + 1);
    }
    memcpy(m->val[i], val, (size_t)n + 1);
    return 0;
}

/* Value stored for key, or NULL. The pointer lives as long as m and its entry. */
const char *model_meta_get(const ModelMeta *m, const char *key) {
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->key[i], key) == 0) return m->val[i];
    return NULL;
}

int model_meta_nderived(void) { return NDERIVED; }

int model_meta_is_derived(const char *key) {
    for (int i = 0; i < NDERIVED; i++)
        if (strcmp(key, DERIVED_KEYS[i]) == 0) return 1;
    return 0;
}

void model_extras_free(ModelExtras *x) {
    if (!x) return;
    for (int i = 0; i < x->n && i < MODEL_EXTRA_MAX; i++) free(x->t[i].data);
    memset(x, 0, sizeof *x);
}

const ModelTensor *model_extras_get(const ModelExtras *x, const char *name) {
    for (int i = 0; x && i < x->n; i++)
        if (!strcmp(x->t[i].name, name)) return &x->t[i];
    return NULL;
}

int model_extras_put(ModelExtras *x, const char *name, const float *data, int dims0, int dims1, char *err) {
    if (strncmp(name, MODEL_EXTRA_PREFIX, strlen(MODEL_EXTRA_PREFIX)) != 0 || strlen(name) >= META_KEY_LEN)
        return err_set(err, "model: extra tensor name \"%.40s\" must start with %s and be short", name, MODEL_EXTRA_PREFIX);
    if (dims0 < 1 || dims0 > NET_MAX_WIDTH || dims1 < 0 || dims1 > NET_MAX_WIDTH)
        return err_set(err, "model: extra tensor %s: shape %d x %d outside 1..%d", name, dims0, dims1, NET_MAX_WIDTH);
    int slot = x->n;
    for (int i = 0; i < x->n; i++)
        if (!strcmp(x->t[i].name, name)) slot = i;
    if (slot == MODEL_EXTRA_MAX) return err_set(err, "model: more than %d extra tensors", MODEL_EXTRA_MAX);
    size_t count = (size_t)dims0 * (size_t)(dims1 ? dims1 : 1);
    float *copy = xmalloc_array(count, sizeof(float));
    if (!copy) return err_set(err, "model: out of memory for extra tensor %s", name);
    memcpy(copy, data, count * sizeof(float));
    ModelTensor *t = &x->t[slot];
    if (slot < x->n) free(t->data);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = dims1 ? 2 : 1;
    t->dims[0] = dims0;
    t->dims[1] = dims1 ? dims1 : 1;
    t->data = copy;
    if (slot == x->n) x->n++;
    return 0;
}

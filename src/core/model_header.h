/* model_header.h - private to the model file's modules (model_io.c, model_header.c, model_meta.c): the safetensors header's two walkers
 * (the JSON found and bounded; every entry, the layer chain and the metadata checked) and what they
 * fill. */
#ifndef DIGITREC_MODEL_HEADER_H
#define DIGITREC_MODEL_HEADER_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "arch.h"
#include "model_io.h"
#include "net.h"

#define HEADER_MAX ((uint64_t)100 * 1000 * 1000) /* the reference implementation's limit */
#define MAX_TENSORS (2 * NET_MAX_LAYERS + MODEL_EXTRA_MAX)
#define NAME_SHOW 48                             /* bytes of a hostile name shown in errors */

typedef struct {
    const char *name; /* points into the cJSON tree */
    int layer, is_bias; /* layer -1: an extra tensor (MODEL_EXTRA_PREFIX) */
    int rank;
    uint64_t dims[4];
    uint64_t begin, end; /* relative to the data section */
} TensorInfo;

/* The header of a file of total bytes whose first avail are in buf, parsed: its length in
 * *hlen_out, the JSON tree (the caller deletes it), or NULL with err. */
cJSON *model_header_json(const uint8_t *buf, size_t avail, uint64_t total, uint64_t *hlen_out, char *err);
/* Walks the header: validates each entry, finds the layers, checks coverage, the layer chain,
 * the bias mode and the metadata against data_len bytes of data. Fills sizes/L/bias/output_relu,
 * the tensors and *m, and *a when the metadata names a layer stack (a->n = 0 otherwise).
 * Returns 0, or -1 with err. */
int model_header_check(const cJSON *root, size_t data_len, TensorInfo *ts, int *nts, int *sizes, int *L,
                       BiasMode *bias, int *output_relu, ModelMeta *m, Arch *a, char *err);

/* Copies a file-supplied string into out (n bytes) for an error message: printable ASCII only,
 * cut to NAME_SHOW bytes, so a hostile name can neither break the one-line rule nor flood it. */
const char *model_show(char *out, size_t n, const char *s);
/* "[64, 128]" into out (n bytes). */
void model_shape_str(char *out, size_t n, const uint64_t *dims, int rank);
/* 1 when model_encode derives key from the net (a caller's metadata cannot set it). */
int model_meta_is_derived(const char *key);
/* How many keys that is. */
int model_meta_nderived(void);

#endif

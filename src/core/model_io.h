/* model_io.h - models as safetensors files that PyTorch and NumPy read directly.
 * Tensors "layers.{i}.weight" F32 [out, in] row-major (as torch.nn.Linear.weight) and
 * "layers.{i}.bias" F32 [out] ([1] in per-layer bias mode), i counting the layers with
 * parameters. A layer stack's file also names its layers in the metadata ("arch", the canonical
 * grammar string of arch.h, in place of the dense "layers") and its conv weights are F32
 * [out, in, k, k] (as torch.nn.Conv2d.weight). __metadata__ holds strings only. The header is
 * JSON parsed with cJSON; every offset, shape and value is validated. */
#ifndef DIGITREC_MODEL_IO_H
#define DIGITREC_MODEL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define MODEL_FORMAT_VERSION "1"
#define META_MAX 32
#define META_KEY_LEN 48
#define META_VAL_LEN 512
#define MODEL_MAX_FILE ((size_t)1 << 31) /* 2 GiB: anything larger is refused */

/* String metadata, in insertion order. */
typedef struct {
    int n;
    char key[META_MAX][META_KEY_LEN];
    char val[META_MAX][META_VAL_LEN];
} ModelMeta;

/* Sets key to a printf-formatted value, replacing an existing entry. Returns 0, or -1 when
 * full or too long (the entry is then left unchanged). */
int model_meta_set(ModelMeta *m, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Value for key, or NULL. */
const char *model_meta_get(const ModelMeta *m, const char *key);

/* Serialises net to safetensors bytes (caller frees *buf). The keys describing the network
 * (format, format_version, layers or arch, activation, output_activation, bias, input, classes
 * when absent) are written from net itself; the rest of meta (training details) is copied. */
int model_encode(const Net *net, const ModelMeta *meta, uint8_t **buf, size_t *len, char *err);
/* model_encode + atomic write (temp file in the same folder, fsync, rename). Refuses a net with
 * non-finite values. On failure the old file is untouched. */
int model_save(const char *path, const Net *net, const ModelMeta *meta, char *err);

/* Parses a safetensors buffer into a new network (net must not hold memory; freed with net_free)
 * and its metadata (meta may be NULL). On failure nothing is allocated and err says what is wrong. */
int model_parse(const uint8_t *buf, size_t len, Net *net, ModelMeta *meta, char *err);
int model_load(const char *path, Net *net, ModelMeta *meta, char *err);

/* What a model file says about itself without reading its weights: the header is parsed and
 * checked as model_parse checks it (every tensor's name, dtype, shape and offsets against the
 * data the file's size leaves, the metadata against the tensors), so a file it accepts differs
 * from one model_load accepts only in its weight values. From memory: buf holds the first avail
 * bytes (at least 8 + the header) of a file of total bytes. meta (the __metadata__ verbatim),
 * sizes (NET_MAX_LAYERS + 1 ints: the layer widths, input first) and nlayers may each be NULL;
 * they are written only on success. A layer stack gives nlayers 0 and sizes[0] its inputs; its
 * metadata's "arch" names its layers. Returns 0, or -1 with err. */
int model_parse_meta(const uint8_t *buf, size_t avail, uint64_t total, ModelMeta *meta, int *sizes, int *nlayers,
                     char *err);
/* The same from a file: reads its 8-byte length and its header only (at most 100 MB, the header
 * limit); errors start with the path. */
int model_read_meta(const char *path, ModelMeta *meta, int *sizes, int *nlayers, char *err);

/* Tensors a model file may carry beside the network's own: any F32 tensor of rank 1 or 2 whose
 * name starts with MODEL_EXTRA_PREFIX (the fitted "not a digit" detector, ood.h). model_parse and
 * model_load accept and skip them (they are still validated); the _extras variants below read and
 * write them. */
#define MODEL_EXTRA_PREFIX "ood."
#define MODEL_EXTRA_MAX 8
typedef struct {
    char name[META_KEY_LEN];
    int rank;                 /* 1 or 2 */
    int dims[2];              /* dims[1] = 1 when rank 1 */
    float *data;              /* (dims[0] * dims[1]) row-major, owned */
} ModelTensor;
typedef struct {
    int n;
    ModelTensor t[MODEL_EXTRA_MAX];
} ModelExtras;

/* Frees every tensor's data and empties x (x may be NULL). */
void model_extras_free(ModelExtras *x);
/* The tensor named name, or NULL. */
const ModelTensor *model_extras_get(const ModelExtras *x, const char *name);
/* Adds (or replaces) a copy of data (dims0 * dims1 floats; rank 1 when dims1 is 0) under name,
 * which must start with MODEL_EXTRA_PREFIX. Returns 0, or -1 with err (full, bad name, no memory). */
int model_extras_put(ModelExtras *x, const char *name, const float *data, int dims0, int dims1, char *err);
/* model_encode / model_save with the extra tensors ex (NULL: none) written after the network's. */
int model_encode_extras(const Net *net, const ModelMeta *meta, const ModelExtras *ex, uint8_t **buf, size_t *len,
                        char *err);
int model_save_extras(const char *path, const Net *net, const ModelMeta *meta, const ModelExtras *ex, char *err);
/* model_parse / model_load that also return the file's extra tensors in *ex (ex must be empty;
 * free with model_extras_free). On failure nothing is allocated. */
int model_parse_extras(const uint8_t *buf, size_t len, Net *net, ModelMeta *meta, ModelExtras *ex, char *err);
int model_load_extras(const char *path, Net *net, ModelMeta *meta, ModelExtras *ex, char *err);

#endif

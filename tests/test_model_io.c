/* test_model_io.c - safetensors save/load: round trips, atomic saves, hand-built malformed files
 * (each must fail for its own reason), random corruption, the header-only reader (model_read_meta:
 * truncated and corrupt headers, agreement with the full parser), and interop with Python.
 * Exits non-zero on any failure. The Python part is skipped (not passed) without numpy. */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "model_io.h"
#include "net.h"

static int g_pass, g_fail;

#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (cond) {                                                   \
            g_pass++;                                                 \
        } else {                                                      \
            g_fail++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

/* ---- helpers ----------------------------------------------------------------------------- */

/* Fills every parameter from a seeded stream, plus a few awkward but finite values
 * (negative zero, the smallest subnormal, FLT_MAX) that a lossy writer would mangle. */
static void fill_pattern(Net *net, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < net->nparams; i++) net->params[i] = (float)(rng_normal(&r) * 0.1);
    if (net->nparams > 3) {
        net->params[0] = -0.0f;
        net->params[1] = FLT_TRUE_MIN;
        net->params[2] = FLT_MAX;
    }
}

/* Same sizes, modes and bit-identical parameters. */
static int net_identical(const Net *a, const Net *b) {
    if (!net_same_shape(a, b) || a->nparams != b->nparams) return 0;
    for (int l = 0; l < a->nlayers; l++)
        if (a->woff[l] != b->woff[l] || a->boff[l] != b->boff[l]) return 0;
    return memcmp(a->params, b->params, a->nparams * sizeof(float)) == 0;
}

/* Probabilities of both nets on the same B inputs are bit-identical. */
static int same_predictions(const Net *a, const Net *b, uint64_t seed) {
    enum { B = 7 };
    char err[ERR_LEN];
    int D = a->sizes[0], K = a->sizes[a->nlayers], ok = 0;
    float *x = xcalloc((size_t)B * (size_t)D, sizeof(float));
    NetWork wa, wb;
    memset(&wa, 0, sizeof wa);
    memset(&wb, 0, sizeof wb);
    if (!x || netwk_create(&wa, a, B, err) != 0 || netwk_create(&wb, b, B, err) != 0) {
        fprintf(stderr, "same_predictions: %s\n", x ? err : "out of memory");
        goto done;
    }
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)B * (size_t)D; i++) x[i] = (float)rng_uniform(&r);
    net_forward(a, &wa, x, NULL, B);
    net_forward(b, &wb, x, NULL, B);
    const float *pa = net_probs(a, &wa), *pb = net_probs(b, &wb);
    ok = memcmp(pa, pb, sizeof(float) * B * (size_t)K) == 0;
    for (int i = 0; i < B * K; i++)
        if (!isfinite(pa[i])) ok = 0;
done:
    netwk_free(&wa);
    netwk_free(&wb);
    free(x);
    return ok;
}

/* A safetensors buffer from a header string and payload, with header length hlen_field written
 * as the first 8 bytes (pass UINT64_MAX for the true length). Caller frees. */
static uint8_t *mk_bytes(uint64_t hlen_field, const char *hdr, size_t hl, const void *payload, size_t plen,
                         size_t *len) {
    uint64_t field = hlen_field == UINT64_MAX ? (uint64_t)hl : hlen_field;
    uint8_t *b = malloc(8 + hl + plen + 1);
    if (!b) abort();
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(field >> (8 * i));
    memcpy(b + 8, hdr, hl);
    if (plen) memcpy(b + 8 + hl, payload, plen);
    *len = 8 + hl + plen;
    return b;
}

static uint8_t *mk_raw(uint64_t hlen_field, const char *hdr, const void *payload, size_t plen, size_t *len) {
    return mk_bytes(hlen_field, hdr, strlen(hdr), payload, plen, len);
}

/* n little-endian floats 0.25*i (finite, distinct). Caller frees. */
static uint8_t *floats(size_t n) {
    uint8_t *p = malloc(4 * n + 1);
    if (!p) abort();
    for (size_t i = 0; i < n; i++) {
        float f = 0.25f * (float)i - 1.0f;
        uint32_t u;
        memcpy(&u, &f, 4);
        for (int k = 0; k < 4; k++) p[4 * i + k] = (uint8_t)(u >> (8 * k));
    }
    return p;
}

static void put_float(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(u >> (8 * k));
}

/* Parses buf and checks that it fails, says `want`, allocates nothing and keeps to one line.
 * The buffer is copied into an exactly sized allocation so a sanitizer sees any over-read. */
static int g_malformed;
static void expect_fail_raw(const char *what, const uint8_t *buf, size_t len, const char *want) {
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) abort();
    if (len) memcpy(copy, buf, len);
    Net net;
    memset(&net, 0, sizeof net);
    ModelMeta meta;
    memset(&meta, 0, sizeof meta);
    char err[ERR_LEN] = "";
    int rc = model_parse(copy, len, &net, &meta, err);
    if (getenv("DIGITREC_TEST_VERBOSE")) printf("  %-32s -> %s\n", what, err);
    CHECK(rc != 0, "%s: parsed although malformed", what);
    CHECK(strstr(err, want) != NULL, "%s: error \"%s\" lacks \"%s\"", what, err, want);
    CHECK(net.params == NULL && net.nlayers == 0 && meta.n == 0, "%s: outputs touched on failure", what);
    CHECK(strchr(err, '\n') == NULL && strlen(err) > 0, "%s: error not one line", what);
    if (rc == 0) net_free(&net);
    free(copy);
}

/* One hand-written malformed file: header text + payload of n_floats pattern floats. */
static void expect_fail(const char *what, const char *hdr, size_t n_floats, const char *want) {
    size_t len;
    uint8_t *p = floats(n_floats);
    uint8_t *b = mk_raw(UINT64_MAX, hdr, p, 4 * n_floats, &len);
    expect_fail_raw(what, b, len, want);
    g_malformed++;
    free(b);
    free(p);
}

/* A hand-written file that must parse (the positive control for the malformed variants). */
static void expect_ok(const char *what, const char *hdr, size_t n_floats, int nlayers, BiasMode bias, int orelu) {
    size_t len;
    uint8_t *p = floats(n_floats);
    uint8_t *b = mk_raw(UINT64_MAX, hdr, p, 4 * n_floats, &len);
    Net net;
    char err[ERR_LEN] = "";
    int rc = model_parse(b, len, &net, NULL, err);
    CHECK(rc == 0, "%s: %s", what, err);
    if (rc == 0) {
        CHECK(net.nlayers == nlayers && net.bias == bias && net.output_relu == orelu, "%s: wrong shape/mode", what);
        CHECK(net.nparams == n_floats, "%s: nparams %zu", what, net.nparams);
        net_free(&net);
    }
    free(b);
    free(p);
}

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static int file_equals(const char *path, const uint8_t *want, size_t n) {
    uint8_t *buf;
    size_t len;
    char err[ERR_LEN];
    if (file_read_all(path, &buf, &len, err) != 0) return 0;
    int eq = len == n && memcmp(buf, want, n) == 0;
    free(buf);
    return eq;
}

/* ---- round trips ------------------------------------------------------------------------- */

static void test_meta_helpers(void) {
    ModelMeta m;
    memset(&m, 0, sizeof m);
    CHECK(model_meta_set(&m, "lr", "%g", 0.01) == 0 && strcmp(model_meta_get(&m, "lr"), "0.01") == 0, "set/get");
    CHECK(model_meta_set(&m, "lr", "%g", 0.5) == 0 && m.n == 1 && strcmp(model_meta_get(&m, "lr"), "0.5") == 0,
          "replace");
    CHECK(model_meta_get(&m, "nope") == NULL, "missing key");
    char longkey[META_KEY_LEN + 4];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    CHECK(model_meta_set(&m, longkey, "x") == -1 && m.n == 1, "long key refused");
    char longval[META_VAL_LEN + 4];
    memset(longval, 'v', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    CHECK(model_meta_set(&m, "lr", "%s", longval) == -1 && strcmp(model_meta_get(&m, "lr"), "0.5") == 0,
          "long value refused, old value kept");
    memset(&m, 0, sizeof m);
    char key[16];
    for (int i = 0; i < META_MAX; i++) {
        snprintf(key, sizeof key, "k%d", i);
        model_meta_set(&m, key, "%d", i);
    }
    CHECK(m.n == META_MAX && model_meta_set(&m, "one_more", "x") == -1 && m.n == META_MAX, "full table refused");
}

static void roundtrip_one(const char *label, const int *sizes, int L, BiasMode bias, int orelu, const char *tmpdir,
                          uint64_t seed) {
    char err[ERR_LEN];
    Net net;
    if (net_create(&net, sizes, L, bias, orelu, err) != 0) {
        CHECK(0, "%s: net_create: %s", label, err);
        return;
    }
    fill_pattern(&net, seed);
    ModelMeta meta;
    memset(&meta, 0, sizeof meta);
    model_meta_set(&meta, "dataset", "mnist");
    model_meta_set(&meta, "optimizer", "adam");
    model_meta_set(&meta, "lr", "%g", 0.001);
    model_meta_set(&meta, "seed", "%llu", (unsigned long long)seed);
    model_meta_set(&meta, "test_accuracy", "0.9812");
    model_meta_set(&meta, "layers", "1,2,3");     /* derived keys must win over these */
    model_meta_set(&meta, "format", "evil");
    model_meta_set(&meta, "note", "quote \" backslash \\ newline \n unicode \xc3\xa9");

    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = model_encode(&net, &meta, &buf, &len, err);
    CHECK(rc == 0, "%s: encode: %s", label, err);
    if (rc != 0) {
        net_free(&net);
        return;
    }
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)buf[i] << (8 * i);
    CHECK((8 + hl) % 8 == 0 && buf[8] == '{', "%s: header length %llu not padded to 8", label, (unsigned long long)hl);
    CHECK(len == 8 + hl + 4 * net.nparams, "%s: file is %zu bytes, expected %llu", label, len,
          (unsigned long long)(8 + hl + 4 * net.nparams));

    Net back;
    ModelMeta mb;
    rc = model_parse(buf, len, &back, &mb, err);
    CHECK(rc == 0, "%s: parse: %s", label, err);
    if (rc == 0) {
        CHECK(net_identical(&net, &back), "%s: parameters or shape differ after round trip", label);
        CHECK(same_predictions(&net, &back, seed + 1), "%s: predictions differ after round trip", label);
        char layers[128];
        size_t j = 0;
        for (int l = 0; l <= L; l++) j += (size_t)snprintf(layers + j, sizeof layers - j, "%s%d", l ? "," : "", sizes[l]);
        const char *v;
        CHECK((v = model_meta_get(&mb, "format")) && strcmp(v, "digitrec") == 0, "%s: format", label);
        CHECK((v = model_meta_get(&mb, "format_version")) && strcmp(v, MODEL_FORMAT_VERSION) == 0, "%s: version", label);
        CHECK((v = model_meta_get(&mb, "layers")) && strcmp(v, layers) == 0, "%s: layers %s", label, v ? v : "-");
        CHECK((v = model_meta_get(&mb, "activation")) && strcmp(v, "relu") == 0, "%s: activation", label);
        CHECK((v = model_meta_get(&mb, "output_activation")) && strcmp(v, orelu ? "relu+softmax" : "softmax") == 0,
              "%s: output_activation", label);
        CHECK((v = model_meta_get(&mb, "bias")) && strcmp(v, bias == BIAS_LAYER ? "per-layer" : "per-neuron") == 0,
              "%s: bias", label);
        CHECK((v = model_meta_get(&mb, "input")) && strstr(v, "28x28") && strstr(v, "255"), "%s: input", label);
        CHECK((v = model_meta_get(&mb, "classes")) && strcmp(v, "0,1,2,3,4,5,6,7,8,9") == 0, "%s: classes", label);
        CHECK((v = model_meta_get(&mb, "dataset")) && strcmp(v, "mnist") == 0, "%s: dataset", label);
        CHECK((v = model_meta_get(&mb, "optimizer")) && strcmp(v, "adam") == 0, "%s: optimizer", label);
        CHECK((v = model_meta_get(&mb, "lr")) && strcmp(v, "0.001") == 0, "%s: lr", label);
        CHECK((v = model_meta_get(&mb, "test_accuracy")) && strcmp(v, "0.9812") == 0, "%s: test_accuracy", label);
        CHECK((v = model_meta_get(&mb, "note")) && strcmp(v, model_meta_get(&meta, "note")) == 0, "%s: note", label);
        CHECK(mb.n == 8 + 6, "%s: %d metadata entries, expected 14", label, mb.n);
        net_free(&back);
    }
    free(buf);

    /* Through the file system: save, load, then overwrite with other weights. */
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.safetensors", tmpdir, label);
    rc = model_save(path, &net, &meta, err);
    CHECK(rc == 0, "%s: save: %s", label, err);
    rc = model_load(path, &back, &mb, err);
    CHECK(rc == 0, "%s: load: %s", label, err);
    if (rc == 0) {
        CHECK(net_identical(&net, &back), "%s: loaded network differs", label);
        CHECK(same_predictions(&net, &back, seed + 2), "%s: loaded predictions differ", label);
        net_free(&back);
    }
    struct stat st1, st2;
    int s1 = stat(path, &st1);
    fill_pattern(&net, seed + 100);
    rc = model_save(path, &net, &meta, err);
    CHECK(rc == 0, "%s: second save: %s", label, err);
    int s2 = stat(path, &st2);
    CHECK(s1 == 0 && s2 == 0 && st1.st_ino != st2.st_ino, "%s: file was rewritten in place, not renamed over", label);
    rc = model_load(path, &back, NULL, err);
    CHECK(rc == 0 && net_identical(&net, &back), "%s: reload after overwrite: %s", label, rc ? err : "differs");
    if (rc == 0) net_free(&back);
    net_free(&net);
}

static void test_roundtrips(const char *tmpdir) {
    static const int a[] = {784, 128, 64, 10}, b[] = {784, 10}, c[] = {784, 256, 10};
    roundtrip_one("mlp_784_128_64_10", a, 3, BIAS_NEURON, 0, tmpdir, 11);
    roundtrip_one("linear_784_10_layerbias_relu", b, 1, BIAS_LAYER, 1, tmpdir, 22);
    roundtrip_one("custom_784_256_10", c, 2, BIAS_NEURON, 0, tmpdir, 33);
    CHECK(count_dir_entries(tmpdir) == 3, "temporary files left in %s (%d entries)", tmpdir, count_dir_entries(tmpdir));

    /* Caller-supplied classes replace the default list. */
    char err[ERR_LEN];
    Net net, back;
    if (net_create(&net, b, 1, BIAS_NEURON, 0, err) == 0) {
        ModelMeta m, mb;
        memset(&m, 0, sizeof m);
        model_meta_set(&m, "classes", "zero,one,two,three,four,five,six,seven,eight,nine");
        uint8_t *buf;
        size_t len;
        int rc = model_encode(&net, &m, &buf, &len, err);
        CHECK(rc == 0, "encode with classes: %s", err);
        if (rc == 0) {
            rc = model_parse(buf, len, &back, &mb, err);
            CHECK(rc == 0 && strcmp(model_meta_get(&mb, "classes"), m.val[0]) == 0, "custom classes: %s",
                  rc ? err : "lost");
            if (rc == 0) net_free(&back);
            free(buf);
        }
        /* More caller entries than ModelMeta can hold once the derived keys are added. */
        memset(&m, 0, sizeof m);
        char key[16];
        for (int i = 0; i < META_MAX; i++) {
            snprintf(key, sizeof key, "k%d", i);
            model_meta_set(&m, key, "%d", i);
        }
        rc = model_encode(&net, &m, &buf, &len, err);
        CHECK(rc != 0 && strstr(err, "metadata entries"), "oversized metadata accepted: %s", err);
        if (rc == 0) free(buf);
        net_free(&net);
    }
}

/* model_save of a non-finite net fails and leaves the old file byte-identical. */
static void test_save_nan(const char *tmpdir) {
    char err[ERR_LEN], path[1024];
    static const int s[] = {784, 16, 10};
    Net net;
    if (net_create(&net, s, 2, BIAS_NEURON, 0, err) != 0) {
        CHECK(0, "net_create: %s", err);
        return;
    }
    fill_pattern(&net, 5);
    snprintf(path, sizeof path, "%s/nan.safetensors", tmpdir);
    CHECK(model_save(path, &net, NULL, err) == 0, "save: %s", err);
    uint8_t *before;
    size_t blen;
    if (file_read_all(path, &before, &blen, err) != 0) {
        CHECK(0, "read back: %s", err);
        net_free(&net);
        return;
    }
    int entries = count_dir_entries(tmpdir);
    net.w[1][3] = NAN;
    CHECK(model_save(path, &net, NULL, err) != 0 && strstr(err, "layers.1.weight") && strstr(err, "NaN"),
          "NaN weight saved or unnamed: %s", err);
    net.w[1][3] = 0.0f;
    net.b[0][2] = -INFINITY;
    CHECK(model_save(path, &net, NULL, err) != 0 && strstr(err, "layers.0.bias") && strstr(err, "Inf"),
          "Inf bias saved or unnamed: %s", err);
    CHECK(file_equals(path, before, blen), "existing file changed by a refused save");
    CHECK(count_dir_entries(tmpdir) == entries, "refused save left files behind");

    /* Loading errors name the path. */
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/does_not_exist.safetensors", tmpdir);
    Net back;
    CHECK(model_load(missing, &back, NULL, err) != 0 && strstr(err, missing), "missing file: %s", err);
    char junk[1024];
    snprintf(junk, sizeof junk, "%s/junk.safetensors", tmpdir);
    CHECK(file_write_atomic(junk, "\x05\0\0\0\0\0\0\0[1,2]", 13, err) == 0, "write junk: %s", err);
    CHECK(model_load(junk, &back, NULL, err) != 0 && strncmp(err, junk, strlen(junk)) == 0 && strstr(err, "JSON"),
          "junk file: %s", err);
    remove(junk);
    free(before);
    net_free(&net);
}

/* ---- malformed files --------------------------------------------------------------------- */

/* One tensor entry; offsets are spelled as strings so they can be wrong in any way. */
#define TD(name, dtype, shape, b, e) \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":[" b "," e "]}"
#define T(name, shape, b, e) TD(name, "F32", shape, b, e)
/* The base file: one layer 3 -> 2, weight [2,3] at [0,24), bias [2] at [24,32): 8 floats. */
#define W0 T("layers.0.weight", "[2,3]", "0", "24")
#define B0 T("layers.0.bias", "[2]", "24", "32")
/* A second layer 2 -> 2 after it: weight at [32,48), bias at [48,56): 14 floats in all. */
#define W1 T("layers.1.weight", "[2,2]", "32", "48")
#define B1 T("layers.1.bias", "[2]", "48", "56")
#define META(body) "\"__metadata__\":{" body "}"

static void expect_fail_payload(const char *what, const char *hdr, const uint8_t *payload, size_t plen,
                                const char *want) {
    size_t len;
    uint8_t *b = mk_raw(UINT64_MAX, hdr, payload, plen, &len);
    expect_fail_raw(what, b, len, want);
    g_malformed++;
    free(b);
}

static void test_malformed(void) {
    /* Positive controls: the bases the cases below break, in several spellings. */
    expect_ok("base 1 layer", "{" W0 "," B0 "}", 8, 1, BIAS_NEURON, 0);
    expect_ok("base 2 layers", "{" W0 "," B0 "," W1 "," B1 "}", 14, 2, BIAS_NEURON, 0);
    expect_ok("base reversed, spaced, padded", "{ " B1 " , " W1 ",\n" B0 ",\t" W0 " }      ", 14, 2, BIAS_NEURON, 0);
    expect_ok("base per-layer bias", "{" W0 "," T("layers.0.bias", "[1]", "24", "28") "}", 7, 1, BIAS_LAYER, 0);
    expect_ok("base with metadata",
              "{" META("\"output_activation\":\"relu+softmax\",\"layers\":\"3,2\",\"bias\":\"per-neuron\"") "," W0
              "," B0 "}",
              8, 1, BIAS_NEURON, 1);
    expect_ok("base foreign metadata", "{" META("\"format\":\"pt\"") "," W0 "," B0 "}", 8, 1, BIAS_NEURON, 0);
    expect_ok("base out=1 layer", "{" T("layers.0.weight", "[1,3]", "0", "12") "," T("layers.0.bias", "[1]", "12", "16") "}",
              4, 1, BIAS_NEURON, 0);
    expect_ok("base out=1 per-layer by metadata",
              "{" META("\"bias\":\"per-layer\"") "," T("layers.0.weight", "[1,3]", "0", "12") "," T("layers.0.bias", "[1]", "12", "16") "}",
              4, 1, BIAS_LAYER, 0);

    /* Framing: lengths. */
    uint8_t *p8 = floats(8);
    const char *base = "{" W0 "," B0 "}";
    size_t len;
    uint8_t *b;
    expect_fail_raw("empty file", p8, 0, "too short");
    g_malformed++;
    expect_fail_raw("7 bytes", (const uint8_t *)"\x10\0\0\0\0\0\0", 7, "too short");
    g_malformed++;
    expect_fail_raw("length field only", (const uint8_t *)"\0\0\0\0\0\0\0\0", 8, "header length is 0");
    g_malformed++;
    b = mk_raw(0, base, p8, 32, &len);
    expect_fail_raw("header length 0", b, len, "header length is 0");
    g_malformed++;
    free(b);
    b = mk_raw(strlen(base) + 33, base, p8, 32, &len);
    expect_fail_raw("header length past the end", b, len, "bytes after it");
    g_malformed++;
    free(b);
    b = mk_raw((uint64_t)1 << 40, base, p8, 32, &len);
    expect_fail_raw("absurd header length", b, len, "limit");
    g_malformed++;
    free(b);
    b = mk_raw(UINT64_MAX - 1, base, p8, 32, &len);
    expect_fail_raw("header length 2^64-2", b, len, "limit");
    g_malformed++;
    free(b);
    b = mk_raw(strlen(base) - 1, base, p8, 32, &len);
    expect_fail_raw("header length one short", b, len, "not valid JSON");
    g_malformed++;
    free(b);
    {
        char hdr[512];
        size_t hl = (size_t)snprintf(hdr, sizeof hdr, "%s", base);
        hdr[hl++] = '\0';
        hdr[hl++] = ' ';
        b = mk_bytes(UINT64_MAX, hdr, hl, p8, 32, &len);
        expect_fail_raw("NUL byte in header padding", b, len, "after the JSON object");
        g_malformed++;
        free(b);
    }

    /* Framing: JSON. */
    expect_fail("bad JSON", "{\"layers.0.weight\":{\"dtype\":\"F32\",", 8, "not valid JSON");
    expect_fail("NaN literal in JSON", "{" T("layers.0.weight", "[NaN,3]", "0", "24") "," B0 "}", 8, "not valid JSON");
    expect_fail("not an object", "[1,2,3]", 8, "JSON object");
    expect_fail("leading space", " {" W0 "," B0 "}", 8, "JSON object");
    expect_fail("garbage after JSON", "{" W0 "," B0 "}x", 8, "after the JSON object");
    expect_fail("two JSON objects", "{" W0 "," B0 "}{}", 8, "after the JSON object");
    expect_fail("no tensors", "{}", 0, "no tensors");
    expect_fail("metadata only", "{" META("\"format\":\"digitrec\"") "}", 0, "no tensors");

    /* Entries and fields. */
    expect_fail("entry not object", "{\"layers.0.weight\":5," B0 "}", 8, "not a JSON object");
    expect_fail("dtype F64", "{" TD("layers.0.weight", "F64", "[2,3]", "0", "24") "," B0 "}", 8, "dtype F64");
    expect_fail("dtype I32", "{" W0 "," TD("layers.0.bias", "I32", "[2]", "24", "32") "}", 8, "dtype I32");
    expect_fail("dtype BF16", "{" TD("layers.0.weight", "BF16", "[2,3]", "0", "24") "," B0 "}", 8, "dtype BF16");
    expect_fail("dtype lowercase", "{" TD("layers.0.weight", "f32", "[2,3]", "0", "24") "," B0 "}", 8, "dtype f32");
    expect_fail("dtype not string", "{\"layers.0.weight\":{\"dtype\":32,\"shape\":[2,3],\"data_offsets\":[0,24]}," B0 "}",
                8, "dtype is not a string");
    expect_fail("missing data_offsets", "{\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3]}," B0 "}", 8,
                "missing field \"data_offsets\"");
    expect_fail("missing shape", "{\"layers.0.weight\":{\"dtype\":\"F32\",\"data_offsets\":[0,24]}," B0 "}", 8,
                "missing field \"shape\"");
    expect_fail("missing dtype", "{\"layers.0.weight\":{\"shape\":[2,3],\"data_offsets\":[0,24]}," B0 "}", 8,
                "missing field \"dtype\"");
    expect_fail("extra field",
                "{\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24],\"scale\":1}," B0 "}", 8,
                "unexpected field \"scale\"");
    expect_fail("duplicate field",
                "{\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"dtype\":\"F32\",\"data_offsets\":[0,24]}," B0 "}",
                8, "duplicate field \"dtype\"");
    expect_fail("shape not array", "{" T("layers.0.weight", "6", "0", "24") "," B0 "}", 8, "shape is not an array");
    expect_fail("weight rank 1", "{" T("layers.0.weight", "[6]", "0", "24") "," B0 "}", 8, "rank 1, expected 2");
    expect_fail("weight rank 3", "{" T("layers.0.weight", "[1,2,3]", "0", "24") "," B0 "}", 8, "rank 3, expected 2");
    expect_fail("bias rank 2", "{" W0 "," T("layers.0.bias", "[2,1]", "24", "32") "}", 8, "rank 2, expected 1");
    expect_fail("weight rank 0", "{" T("layers.0.weight", "[]", "0", "4") "," T("layers.0.bias", "[2]", "4", "12") "}", 3,
                "rank 0, expected 2");
    expect_fail("shape/offsets mismatch", "{" T("layers.0.weight", "[2,3]", "0", "20") "," T("layers.0.bias", "[2]", "20", "28") "}", 7,
                "data_offsets [0, 20] do not match shape [2, 3] (24 bytes)");
    expect_fail("offset end past the buffer", "{" W0 "," T("layers.0.bias", "[2]", "32", "40") "}", 8,
                "end 40 beyond the 32 data bytes");
    expect_fail("begin after end", "{" W0 "," T("layers.0.bias", "[2]", "32", "24") "}", 8, "begin after end");
    expect_fail("offsets one number", "{\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[24]}," B0 "}",
                8, "two integers");
    expect_fail("offsets three numbers", "{" T("layers.0.weight", "[2,3]", "0", "24,24") "," B0 "}", 8, "two integers");
    expect_fail("offsets strings", "{" T("layers.0.weight", "[2,3]", "\"0\"", "\"24\"") "," B0 "}", 8, "non-number");
    expect_fail("negative offset", "{" T("layers.0.weight", "[2,3]", "-8", "16") "," B0 "}", 8, "-8 is negative");
    expect_fail("fractional offset", "{" T("layers.0.weight", "[2,3]", "0.5", "24.5") "," B0 "}", 8, "not an integer");
    expect_fail("overlap", "{" W0 "," T("layers.0.bias", "[2]", "20", "28") "}", 7, "overlap");
    expect_fail("same range twice", "{" T("layers.0.weight", "[2,1]", "0", "8") "," T("layers.0.bias", "[2]", "0", "8") "}", 2,
                "overlap");
    expect_fail("hole between tensors", "{" W0 "," T("layers.0.bias", "[2]", "28", "36") "}", 9,
                "data bytes [24, 28) are not covered");
    expect_fail("hole before first", "{" T("layers.0.weight", "[2,3]", "4", "28") "," T("layers.0.bias", "[2]", "28", "36") "}", 9,
                "data bytes [0, 4) are not covered");
    expect_fail("trailing bytes", base, 9, "4 trailing bytes");
    expect_fail("duplicate tensor name", "{" W0 "," W0 "," B0 "}", 8, "duplicate tensor layers.0.weight");
    expect_fail("unknown tensor", "{" W0 "," B0 "," T("fc1.weight", "[1]", "32", "36") "}", 9, "unknown tensor \"fc1.weight\"");
    expect_fail("torch Sequential name", "{" T("0.weight", "[2,3]", "0", "24") "," T("0.bias", "[2]", "24", "32") "}", 8,
                "unknown tensor \"0.weight\"");
    expect_fail("leading zero index", "{" W0 "," B0 "," T("layers.01.weight", "[2,2]", "32", "48") "," B1 "}", 14,
                "unknown tensor \"layers.01.weight\"");
    expect_fail("name suffix", "{" T("layers.0.weight.T", "[2,3]", "0", "24") "," B0 "}", 8, "unknown tensor");
    expect_fail("missing bias", "{" W0 "}", 6, "missing tensor layers.0.bias");
    expect_fail("missing weight", "{" T("layers.0.bias", "[2]", "0", "8") "}", 2, "missing tensor layers.0.weight");
    expect_fail("missing later bias", "{" W0 "," B0 "," W1 "}", 12, "missing tensor layers.1.bias");
    expect_fail("layer gap", "{" W0 "," B0 "," T("layers.2.weight", "[2,2]", "32", "48") "," T("layers.2.bias", "[2]", "48", "56") "}",
                14, "layer 1 missing");
    expect_fail("chain mismatch",
                "{" W0 "," B0 "," T("layers.1.weight", "[2,3]", "32", "56") "," T("layers.1.bias", "[2]", "56", "64") "}", 16,
                "layers.1.weight takes 3 inputs but layers.0.weight gives 2 outputs");
    expect_fail("mixed bias modes", "{" W0 "," B0 "," W1 "," T("layers.1.bias", "[1]", "48", "52") "}", 13,
                "mix per-neuron and per-layer");
    expect_fail("bias length wrong", "{" W0 "," T("layers.0.bias", "[3]", "24", "36") "}", 9, "expected [2] (per-neuron) or [1]");
    expect_fail("huge dims overflow", "{" T("layers.0.weight", "[4294967296,4294967296]", "0", "24") "," B0 "}", 8, "overflow");
    expect_fail("byte count overflow", "{" T("layers.0.weight", "[2147483648,2147483648]", "0", "24") "," B0 "}", 8,
                "shape too large");
    expect_fail("dimension 1e300", "{" T("layers.0.weight", "[1e300,1]", "0", "24") "," B0 "}", 8, "too large");
    expect_fail("negative dim", "{" T("layers.0.weight", "[-2,-3]", "0", "24") "," B0 "}", 8, "-2 is negative");
    expect_fail("fractional dim", "{" T("layers.0.weight", "[2.5,3]", "0", "24") "," B0 "}", 8, "2.5 is not an integer");
    expect_fail("zero width", "{" T("layers.0.weight", "[0,3]", "0", "0") "," T("layers.0.bias", "[0]", "0", "0") "}", 0,
                "width outside");
    {
        /* 65537 outputs of 1 input: a width above NET_MAX_WIDTH, otherwise consistent. */
        size_t n = 2 * (size_t)(NET_MAX_WIDTH + 1);
        uint8_t *big = floats(n);
        expect_fail_payload("width above NET_MAX_WIDTH",
                            "{" T("layers.0.weight", "[65537,1]", "0", "262148") "," T("layers.0.bias", "[65537]", "262148",
                                                                                      "524296") "}",
                            big, 4 * n, "width outside 1..65536");
        free(big);
    }
    {
        /* NET_MAX_LAYERS + 1 layers of 1 -> 1, otherwise a valid file. */
        char hdr[4096];
        size_t j = (size_t)snprintf(hdr, sizeof hdr, "{");
        for (int l = 0; l <= NET_MAX_LAYERS; l++)
            j += (size_t)snprintf(hdr + j, sizeof hdr - j,
                                  "%s\"layers.%d.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[%d,%d]},"
                                  "\"layers.%d.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}",
                                  l ? "," : "", l, 8 * l, 8 * l + 4, l, 8 * l + 4, 8 * l + 8);
        snprintf(hdr + j, sizeof hdr - j, "}");
        expect_fail("too many layers", hdr, 2 * (NET_MAX_LAYERS + 1), "more than 8 layers");
        /* The same with exactly NET_MAX_LAYERS layers loads. */
        j = (size_t)snprintf(hdr, sizeof hdr, "{");
        for (int l = 0; l < NET_MAX_LAYERS; l++)
            j += (size_t)snprintf(hdr + j, sizeof hdr - j,
                                  "%s\"layers.%d.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[%d,%d]},"
                                  "\"layers.%d.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}",
                                  l ? "," : "", l, 8 * l, 8 * l + 4, l, 8 * l + 4, 8 * l + 8);
        snprintf(hdr + j, sizeof hdr - j, "}");
        expect_ok("exactly NET_MAX_LAYERS layers", hdr, 2 * NET_MAX_LAYERS, NET_MAX_LAYERS, BIAS_NEURON, 0);
    }

    /* Values. */
    {
        uint8_t *p = floats(8);
        put_float(p + 4 * 4, NAN);
        expect_fail_payload("NaN weight", base, p, 32, "tensor layers.0.weight holds NaN at index 4");
        free(p);
        p = floats(8);
        put_float(p + 4 * 7, INFINITY);
        expect_fail_payload("Inf bias", base, p, 32, "tensor layers.0.bias holds Inf at index 1");
        free(p);
        p = floats(8);
        put_float(p, -INFINITY);
        expect_fail_payload("-Inf first weight", "{" B0 "," W0 "}", p, 32, "layers.0.weight holds Inf at index 0");
        free(p);
    }

    /* Metadata. */
    expect_fail("metadata not object", "{\"__metadata__\":\"digitrec\"," W0 "," B0 "}", 8, "__metadata__ is not a JSON object");
    expect_fail("metadata number value", "{" META("\"epochs\":5") "," W0 "," B0 "}", 8,
                "value of \"epochs\" is not a string");
    expect_fail("metadata nested value", "{" META("\"opt\":{\"lr\":\"0.1\"}") "," W0 "," B0 "}", 8, "is not a string");
    expect_fail("metadata null value", "{" META("\"seed\":null") "," W0 "," B0 "}", 8, "is not a string");
    expect_fail("duplicate __metadata__", "{" META("") "," W0 "," B0 "," META("") "}", 8, "duplicate __metadata__");
    expect_fail("duplicate metadata key", "{" META("\"lr\":\"1\",\"lr\":\"2\"") "," W0 "," B0 "}", 8, "\"lr\" twice");
    expect_fail("unknown output_activation", "{" META("\"output_activation\":\"tanh\"") "," W0 "," B0 "}", 8,
                "unknown output_activation \"tanh\"");
    expect_fail("unknown activation", "{" META("\"activation\":\"sigmoid\"") "," W0 "," B0 "}", 8, "unknown activation");
    expect_fail("unknown bias mode", "{" META("\"bias\":\"per-pixel\"") "," W0 "," B0 "}", 8, "unknown bias mode");
    expect_fail("metadata bias disagrees", "{" META("\"bias\":\"per-layer\"") "," W0 "," B0 "}", 8,
                "disagrees with the bias tensors");
    expect_fail("metadata layers disagree", "{" META("\"layers\":\"784,10\"") "," W0 "," B0 "}", 8,
                "metadata layers \"784,10\" disagree with the tensors (3,2)");
    expect_fail("metadata classes count", "{" META("\"classes\":\"a,b,c\"") "," W0 "," B0 "}", 8, "name 3 classes");
    expect_fail("future format_version", "{" META("\"format\":\"digitrec\",\"format_version\":\"2\"") "," W0 "," B0 "}", 8,
                "format_version \"2\" not supported");
    expect_fail("metadata key too long",
                "{" META("\"a_key_that_is_far_longer_than_forty_seven_bytes_in_all\":\"x\"") "," W0 "," B0 "}", 8,
                "longer than 47 bytes");
    {
        char hdr[2048];
        char val[META_VAL_LEN + 2];
        memset(val, 'v', sizeof val - 1);
        val[sizeof val - 1] = '\0';
        snprintf(hdr, sizeof hdr, "{\"__metadata__\":{\"note\":\"%s\"},%s,%s}", val, W0, B0);
        expect_fail("metadata value too long", hdr, 8, "value of \"note\" longer than");
        size_t j = (size_t)snprintf(hdr, sizeof hdr, "{\"__metadata__\":{");
        for (int i = 0; i <= META_MAX; i++)
            j += (size_t)snprintf(hdr + j, sizeof hdr - j, "%s\"k%d\":\"%d\"", i ? "," : "", i, i);
        snprintf(hdr + j, sizeof hdr - j, "},%s,%s}", W0, B0);
        expect_fail("metadata too many entries", hdr, 8, "more than 32 entries");
    }
    free(p8);
}

/* Every prefix of a valid file fails with the reason its cut implies; an extra byte fails too. */
static void truncations_of(const char *label, const Net *net, size_t data_stride) {
    char err[ERR_LEN];
    ModelMeta meta;
    memset(&meta, 0, sizeof meta);
    model_meta_set(&meta, "dataset", "mnist");
    uint8_t *buf;
    size_t len;
    if (model_encode(net, &meta, &buf, &len, err) != 0) {
        CHECK(0, "%s: encode: %s", label, err);
        return;
    }
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)buf[i] << (8 * i);
    int before = g_fail;
    char what[96];
    for (size_t cut = 0; cut < len; cut = cut < 8 + hl + 16 ? cut + 1 : cut + data_stride) {
        const char *want = cut < 8 ? "too short" : cut < 8 + hl ? "bytes after it" : "beyond the";
        snprintf(what, sizeof what, "%s cut at %zu of %zu", label, cut, len);
        expect_fail_raw(what, buf, cut, want);
        if (g_fail - before > 8) break; /* one bug, not thousands of lines */
    }
    uint8_t *longer = malloc(len + 1);
    if (!longer) abort();
    memcpy(longer, buf, len);
    longer[len] = 0;
    snprintf(what, sizeof what, "%s plus one byte", label);
    expect_fail_raw(what, longer, len + 1, "1 trailing byte after the last tensor");
    free(longer);
    free(buf);
}

static void test_truncations(void) {
    char err[ERR_LEN];
    static const int small[] = {3, 4, 2}, big[] = {784, 128, 64, 10};
    Net net;
    if (net_create(&net, small, 2, BIAS_NEURON, 1, err) == 0) {
        fill_pattern(&net, 7);
        truncations_of("3-4-2", &net, 1); /* every byte */
        net_free(&net);
    }
    if (net_create(&net, big, 3, BIAS_NEURON, 0, err) == 0) {
        fill_pattern(&net, 8);
        truncations_of("784-128-64-10", &net, 4099); /* every header byte, then a sample of the data */
        net_free(&net);
    }
}

/* ---- layer stacks ---- */

/* Encode, parse and file round trips of stack arch: the canonical arch in the metadata (and no
 * layers), conv weights as [out, in, k, k], the same parameters and predictions back. */
static void stack_roundtrip(const char *arch, const char *shape0, const char *tmpdir, uint64_t seed) {
    char err[ERR_LEN], canon[ARCH_MAX_TEXT], path[1024];
    Net net, back;
    if (net_create_str(&net, arch, err) != 0) {
        CHECK(0, "%s: %s", arch, err);
        return;
    }
    net_arch_str(&net, canon, sizeof canon);
    fill_pattern(&net, seed);
    ModelMeta meta, mb;
    memset(&meta, 0, sizeof meta);
    model_meta_set(&meta, "dataset", "mnist");
    model_meta_set(&meta, "arch", "784-10"); /* derived: the net's own wins */
    uint8_t *buf;
    size_t len;
    int rc = model_encode(&net, &meta, &buf, &len, err);
    CHECK(rc == 0, "%s: encode: %s", arch, err);
    if (rc != 0) {
        net_free(&net);
        return;
    }
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)buf[i] << (8 * i);
    char *hdr = strndup((const char *)buf + 8, (size_t)hl);
    CHECK(hdr && strstr(hdr, shape0), "%s: header lacks %s", arch, shape0);
    free(hdr);
    CHECK(len == 8 + hl + 4 * net.nparams, "%s: %zu bytes", arch, len);
    rc = model_parse(buf, len, &back, &mb, err);
    CHECK(rc == 0, "%s: parse: %s", arch, err);
    if (rc == 0) {
        const char *v = model_meta_get(&mb, "arch");
        CHECK(back.stack && v && !strcmp(v, canon) && !model_meta_get(&mb, "layers"), "%s: arch metadata %s", arch,
              v ? v : "-");
        CHECK(net_identical(&net, &back), "%s: parameters or layers differ after round trip", arch);
        CHECK(same_predictions(&net, &back, seed + 1), "%s: predictions differ after round trip", arch);
        net_free(&back);
    }
    free(buf);
    snprintf(path, sizeof path, "%s/stack%llu.safetensors", tmpdir, (unsigned long long)seed);
    rc = model_save(path, &net, &meta, err);
    CHECK(rc == 0, "%s: save: %s", arch, err);
    rc = rc == 0 ? model_load(path, &back, NULL, err) : -1;
    CHECK(rc == 0 && net_identical(&net, &back) && same_predictions(&net, &back, seed + 2), "%s: load: %s", arch,
          rc ? err : "differs");
    if (rc == 0) net_free(&back);
    net_free(&net);
}

/* The small stack of the hand-built files: 1x28x28 -> conv 3x3 p0 (1) 1x26x26 -> pool x4 -> 1x1x1
 * -> fc 2. conv weight [1,1,3,3] at [0,36), bias [1] at [36,40), fc [2,1] at [40,48), bias at
 * [48,56): 14 floats. */
#define SARCH "conv1k3p0-pool-pool-pool-pool-fc2"
#define SW0 T("layers.0.weight", "[1,1,3,3]", "0", "36")
#define SB0 T("layers.0.bias", "[1]", "36", "40")
#define SW1 T("layers.1.weight", "[2,1]", "40", "48")
#define SB1 T("layers.1.bias", "[2]", "48", "56")
#define SMETA(arch) META("\"format\":\"digitrec\",\"arch\":\"" arch "\"")

static void test_stacks(const char *tmpdir) {
    stack_roundtrip("cnn", "\"shape\":[16,1,5,5]", tmpdir, 41);
    stack_roundtrip("conv4k3s2-relu-conv6k3-pool-fc12-relu-fc7", "\"shape\":[6,4,3,3]", tmpdir, 42);
    stack_roundtrip("fc32-fc10", "\"shape\":[32,784]", tmpdir, 43);
    stack_roundtrip("flatten-relu-fc10", "\"shape\":[10,784]", tmpdir, 44);

    char err[ERR_LEN];
    Net net;
    if (net_create_str(&net, "conv2k3-relu-pool-fc3", err) == 0) {
        fill_pattern(&net, 45);
        truncations_of("conv2k3-relu-pool-fc3", &net, 1);
        net_free(&net);
    }
    const char *base = "{" SMETA(SARCH) "," SW0 "," SB0 "," SW1 "," SB1 "}";
    size_t len;
    uint8_t *p = floats(14), *b = mk_raw(UINT64_MAX, base, p, 56, &len);
    Net s;
    int rc = model_parse(b, len, &s, NULL, err);
    CHECK(rc == 0 && s.stack && s.nlayers == 2 && s.nparams == 14 && s.sizes[1] == 676 && s.sizes[2] == 2,
          "small stack base: %s", rc ? err : "wrong shape");
    if (rc == 0) {
        CHECK(memcmp(s.w[0], s.params, 4) == 0 && s.b[1] == s.params + 12, "small stack views");
        net_free(&s);
    }
    free(b);
    free(p);
    expect_ok("dense arch agreeing", "{" META("\"arch\":\"784-10\"") "," T("layers.0.weight", "[10,784]", "0", "31360")
              "," T("layers.0.bias", "[10]", "31360", "31400") "}", 7850, 1, BIAS_NEURON, 0);
    expect_fail("arch: unknown token", "{" SMETA("conv1k3p0-pool-pool-pool-pool-gelu-fc2") "," SW0 "," SB0 "," SW1 "," SB1 "}",
                14, "token 6 \"gelu\": unknown layer");
    expect_fail("arch: kernel 9", "{" SMETA("conv1k9p0-pool-pool-fc2") "," SW0 "," SB0 "," SW1 "," SB1 "}", 14,
                "kernel size 9 outside 3..7");
    expect_fail("arch: shape mismatch", "{" SMETA(SARCH) "," T("layers.0.weight", "[1,1,9,1]", "0", "36") "," SB0 "," SW1 "," SB1 "}",
                14, "layers.0.weight: shape [1, 1, 9, 1], the arch gives [1, 1, 3, 3]");
    expect_fail("arch: fc shape mismatch", "{" SMETA(SARCH) "," SW0 "," SB0 "," T("layers.1.weight", "[1,2]", "40", "48") "," SB1 "}",
                14, "layers.1.weight: shape [1, 2], the arch gives [2, 1]");
    expect_fail("arch: conv weight rank 2", "{" SMETA(SARCH) "," T("layers.0.weight", "[1,9]", "0", "36") "," SB0 "," SW1 "," SB1 "}",
                14, "rank 2, expected 4");
    expect_fail("arch: missing tensor", "{" SMETA(SARCH) "," SW0 "," SB0 "," SW1 "}", 12, "missing tensor layers.1.bias");
    expect_fail("arch: extra tensor", "{" SMETA(SARCH) "," SW0 "," SB0 "," SW1 "," SB1 "," T("layers.2.bias", "[1]", "56", "60") "}",
                15, "extra tensor layers.2.bias");
    expect_fail("arch: pool below 1x1", "{" SMETA("conv1k3p0-pool-pool-pool-pool-pool-fc2") "," SW0 "," SB0 "," SW1 "," SB1 "}", 14,
                "too small to pool");
    expect_fail("arch: conv output below 1x1", "{" SMETA("conv1k3p0-pool-pool-pool-pool-conv1k3p0-fc2") "," SW0 "," SB0 "," SW1
                "," SB1 "}", 14, "smaller than the 3x3 kernel");
    expect_fail("arch: huge channel count", "{" SMETA("conv2000k3-fc2") "," SW0 "," SB0 "," SW1 "," SB1 "}", 14,
                "2000 channels outside 1..1024");
    expect_fail("arch: huge activation", "{" SMETA("conv1000k3-fc2") "," SW0 "," SB0 "," SW1 "," SB1 "}", 14,
                "more than 524288 values");
    expect_fail("arch: not a string", "{" META("\"arch\":[1]") "," SW0 "," SB0 "," SW1 "," SB1 "}", 14,
                "value of \"arch\" is not a string");
    expect_fail("arch: per-layer bias", "{" META("\"arch\":\"" SARCH "\",\"bias\":\"per-layer\"") "," SW0 "," SB0 "," SW1 "," SB1 "}",
                14, "per-neuron biases");
    expect_fail("arch: dense arch disagrees", "{" META("\"arch\":\"784-3\"") "," W0 "," B0 "}", 8,
                "metadata arch \"784-3\" disagrees with the tensors");
}

/* Random corruption of a small valid file: parse must never crash; a success must be a sane net,
 * a failure one line. Half the flips land in the header, where the parser's branches are. */
static void test_fuzz(void) {
    char err[ERR_LEN];
    static const int s[] = {5, 4, 3};
    Net net;
    if (net_create(&net, s, 2, BIAS_LAYER, 0, err) != 0) {
        CHECK(0, "net_create: %s", err);
        return;
    }
    fill_pattern(&net, 9);
    ModelMeta meta;
    memset(&meta, 0, sizeof meta);
    model_meta_set(&meta, "lr", "0.1");
    uint8_t *buf;
    size_t len;
    if (model_encode(&net, &meta, &buf, &len, err) != 0) {
        CHECK(0, "encode: %s", err);
        net_free(&net);
        return;
    }
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)buf[i] << (8 * i);
    static const char tokens[] = "{}[],:\"0123456789-.eE ";
    Rng r;
    rng_seed(&r, 1234);
    int bad = 0, parsed = 0;
    uint8_t *m = malloc(len);
    if (!m) abort();
    for (int it = 0; it < 20000 && bad < 5; it++) {
        memcpy(m, buf, len);
        int flips = 1 + (int)rng_below(&r, 3);
        for (int f = 0; f < flips; f++) {
            size_t at = rng_below(&r, 2) ? 8 + rng_below(&r, (uint32_t)hl) : rng_below(&r, (uint32_t)len);
            m[at] = rng_below(&r, 2) ? (uint8_t)tokens[rng_below(&r, sizeof tokens - 1)] : (uint8_t)rng_next(&r);
        }
        size_t mlen = rng_below(&r, 8) ? len : rng_below(&r, (uint32_t)len);
        uint8_t *exact = malloc(mlen ? mlen : 1);
        if (!exact) abort();
        memcpy(exact, m, mlen);
        Net out;
        memset(&out, 0, sizeof out);
        err[0] = '\0';
        if (model_parse(exact, mlen, &out, NULL, err) == 0) {
            parsed++;
            if (!net_all_finite(&out) || out.nlayers < 1 || out.nparams * 4 > mlen) {
                bad++;
                fprintf(stderr, "fuzz %d: accepted an invalid network\n", it);
            }
            net_free(&out);
        } else if (!err[0] || strchr(err, '\n') || out.params) {
            bad++;
            fprintf(stderr, "fuzz %d: bad failure report \"%s\"\n", it, err);
        }
        free(exact);
    }
    CHECK(bad == 0, "%d fuzz failures", bad);
    printf("fuzz: 20000 corrupted files, %d still valid, 0 crashes\n", parsed);
    free(m);
    free(buf);
    net_free(&net);
}

/* ---- interop with an independent Python implementation ----------------------------------- */

static int run(const char *cmd) {
    fflush(stdout); /* keep our lines and the child's in order */
    return system(cmd);
}

/* Runs the C forward pass on x (B, D) and returns the probabilities (caller frees) or NULL. */
static float *probs_of(const Net *net, const float *x, int B) {
    char err[ERR_LEN];
    NetWork wk;
    memset(&wk, 0, sizeof wk);
    if (netwk_create(&wk, net, B, err) != 0) return NULL;
    net_forward(net, &wk, x, NULL, B);
    int K = net->sizes[net->nlayers];
    float *p = xcalloc((size_t)B * (size_t)K, sizeof(float));
    if (p) memcpy(p, net_probs(net, &wk), sizeof(float) * (size_t)B * (size_t)K);
    netwk_free(&wk);
    return p;
}

/* Python wrote the model (reversed tensor order, no metadata) and reference probabilities. */
static void python_reads_foreign_file(const char *py, const char *script, const char *tmpdir) {
    char model[1024], ref[1024], cmd[4200], err[ERR_LEN];
    snprintf(model, sizeof model, "%s/torch.safetensors", tmpdir);
    snprintf(ref, sizeof ref, "%s/torch.ref", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' '%s' write '%s' '%s'", py, script, model, ref);
    int rc = run(cmd);
    CHECK(rc == 0, "python writer failed (%d): %s", rc, cmd);
    if (rc != 0) return;
    Net net;
    ModelMeta meta;
    rc = model_load(model, &net, &meta, err);
    CHECK(rc == 0, "loading the Python-written model: %s", err);
    if (rc != 0) return;
    CHECK(meta.n == 0 && net.nlayers == 3 && net.sizes[0] == 784 && net.sizes[1] == 48 && net.sizes[2] == 24 &&
              net.sizes[3] == 10 && net.bias == BIAS_NEURON && net.output_relu == 0,
          "foreign model loaded with wrong shape or defaults");
    FILE *f = fopen(ref, "r");
    int B = 0, D = 0, K = 0;
    float *x = NULL, *p = NULL;
    double *want = NULL;
    int ok = f && fscanf(f, "%d %d %d", &B, &D, &K) == 3 && B > 0 && B < 100 && D == 784 && K == 10;
    if (ok) {
        x = xcalloc((size_t)B * (size_t)D, sizeof *x);
        want = xcalloc((size_t)B * (size_t)K, sizeof *want);
        ok = x && want;
    }
    for (int i = 0; ok && i < B * D; i++) ok = fscanf(f, "%f", &x[i]) == 1;
    for (int i = 0; ok && i < B * K; i++) ok = fscanf(f, "%lf", &want[i]) == 1;
    if (f) fclose(f);
    CHECK(ok, "reading %s", ref);
    if (ok && (p = probs_of(&net, x, B)) != NULL) {
        double worst = 0;
        for (int i = 0; i < B * K; i++) worst = fmax(worst, fabs((double)p[i] - want[i]));
        CHECK(worst <= 1e-5, "C and Python probabilities differ by %g", worst);
        printf("interop: Python-written model, %d inputs, max |dp| = %.3g\n", B, worst);
    } else {
        CHECK(0, "forward pass on the foreign model");
    }
    free(p);
    free(x);
    free(want);
    net_free(&net);
}

/* C wrote the model; the Python reader computes probabilities from it in float64. */
static void python_reads_our_file(const char *py, const char *script, const char *tmpdir, const int *sizes, int L,
                                  BiasMode bias, int orelu) {
    enum { B = 5 };
    char model[1024], in[1024], out[1024], cmd[4200], err[ERR_LEN];
    snprintf(model, sizeof model, "%s/ours.safetensors", tmpdir);
    snprintf(in, sizeof in, "%s/ours.in", tmpdir);
    snprintf(out, sizeof out, "%s/ours.out", tmpdir);
    Net net;
    if (net_create(&net, sizes, L, bias, orelu, err) != 0) {
        CHECK(0, "net_create: %s", err);
        return;
    }
    net_init_uniform(&net, 0.1f, 77);
    int D = sizes[0], K = sizes[L];
    float *x = xcalloc((size_t)B * (size_t)D, sizeof *x), *p = NULL;
    Rng r;
    rng_seed(&r, 78);
    FILE *f = fopen(in, "w");
    int ok = x && f && model_save(model, &net, NULL, err) == 0 && fprintf(f, "%d %d\n", B, D) > 0;
    for (int b = 0; ok && b < B; b++) {
        for (int i = 0; ok && i < D; i++) {
            x[b * D + i] = (float)rng_uniform(&r);
            ok = fprintf(f, "%s%.9g", i ? " " : "", x[b * D + i]) > 0;
        }
        ok = ok && fputc('\n', f) != EOF;
    }
    if (f) ok = fclose(f) == 0 && ok;
    CHECK(ok, "writing the model and inputs for Python: %s", err);
    snprintf(cmd, sizeof cmd, "'%s' '%s' read '%s' '%s' '%s'", py, script, model, in, out);
    if (ok) {
        int rc = run(cmd);
        CHECK(rc == 0, "python reader failed (%d): %s", rc, cmd);
        ok = rc == 0;
    }
    double *want = ok ? xcalloc((size_t)B * (size_t)K, sizeof *want) : NULL;
    f = ok ? fopen(out, "r") : NULL;
    int b2 = 0, k2 = 0;
    ok = ok && want && f && fscanf(f, "%d %d", &b2, &k2) == 2 && b2 == B && k2 == K;
    for (int i = 0; ok && i < B * K; i++) ok = fscanf(f, "%lf", &want[i]) == 1;
    if (f) fclose(f);
    if (ok && (p = probs_of(&net, x, B)) != NULL) {
        double worst = 0;
        for (int i = 0; i < B * K; i++) worst = fmax(worst, fabs((double)p[i] - want[i]));
        CHECK(worst <= 1e-5, "Python reading our %d-layer file differs by %g", L, worst);
        printf("interop: Python read our %d-layer %s%s model, max |dp| = %.3g\n", L,
               bias == BIAS_LAYER ? "per-layer" : "per-neuron", orelu ? " relu+softmax" : "", worst);
    } else {
        CHECK(0, "reading Python's probabilities from %s", out);
    }
    free(p);
    free(want);
    free(x);
    net_free(&net);
}

/* Returns 1 when the interop ran, 0 when skipped. */
static int test_python(const char *tmpdir) {
    const char *py = getenv("DIGITREC_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3"; /* Debian's, with python3-numpy */
    char script[1024];
    const char *src = getenv("DIGITREC_SRC");
    if (src && *src) {
        snprintf(script, sizeof script, "%s/tests/safetensors_torch.py", src);
    } else {
        snprintf(script, sizeof script, "%s", __FILE__);
        char *slash = strrchr(script, '/');
        snprintf(slash ? slash + 1 : script, sizeof script - (size_t)(slash ? slash + 1 - script : 0),
                 "safetensors_torch.py");
    }
    if (strchr(py, '\'') || strchr(script, '\'') || strchr(tmpdir, '\'') || access(script, R_OK) != 0) {
        printf("skipped: python interop (no usable script path %s)\n", script);
        return 0;
    }
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import numpy' >/dev/null 2>&1", py);
    if (run(cmd) != 0) {
        printf("skipped: python interop (%s cannot import numpy; set DIGITREC_PYTHON)\n", py);
        return 0;
    }
    python_reads_foreign_file(py, script, tmpdir);
    static const int a[] = {784, 32, 10}, b[] = {784, 64, 32, 10};
    python_reads_our_file(py, script, tmpdir, a, 2, BIAS_LAYER, 1);
    python_reads_our_file(py, script, tmpdir, b, 3, BIAS_NEURON, 0);
    return 1;
}

/* ---- the header-only reader ------------------------------------------------------------------- */

/* model_parse_meta on exactly avail bytes (an exact allocation, so an over-read shows under a
 * sanitizer) of a file of total bytes. */
static int meta_of(const uint8_t *buf, size_t avail, uint64_t total, ModelMeta *m, int *sizes, int *L, char *err) {
    uint8_t *copy = malloc(avail ? avail : 1);
    if (!copy) abort();
    if (avail) memcpy(copy, buf, avail);
    int rc = model_parse_meta(copy, avail, total, m, sizes, L, err);
    free(copy);
    return rc;
}

static int write_file(const char *path, const uint8_t *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* A 1-in 1-out layer whose tensors fill 8 data bytes. */
#define ONE_LAYER                                                                  \
    "\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}," \
    "\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}"

static void test_read_meta(const char *tmpdir) {
    char err[ERR_LEN], path[700];
    static const int sizes[] = {784, 128, 64, 10};
    Net net;
    if (net_create(&net, sizes, 3, BIAS_NEURON, 0, err) != 0) {
        CHECK(0, "net_create: %s", err);
        return;
    }
    fill_pattern(&net, 11);
    ModelMeta want;
    memset(&want, 0, sizeof want);
    model_meta_set(&want, "dataset", "fashion-mnist");
    model_meta_set(&want, "test_accuracy", "0.8812");
    model_meta_set(&want, "date", "2024-03-05T10:11:12Z");
    snprintf(path, sizeof path, "%s/m.safetensors", tmpdir);
    CHECK(model_save(path, &net, &want, err) == 0, "save: %s", err);

    /* the file: the same metadata model_load gives, the sizes from the tensors */
    ModelMeta got, loaded;
    int sz[NET_MAX_LAYERS + 1] = {0}, L = -1;
    Net back;
    CHECK(model_read_meta(path, &got, sz, &L, err) == 0, "read_meta: %s", err);
    CHECK(model_load(path, &back, &loaded, err) == 0, "load: %s", err);
    net_free(&back);
    CHECK(L == 3 && sz[0] == 784 && sz[1] == 128 && sz[2] == 64 && sz[3] == 10, "sizes %d: %d-%d-%d-%d", L, sz[0], sz[1],
          sz[2], sz[3]);
    int same = got.n == loaded.n;
    for (int i = 0; same && i < got.n; i++) same = !strcmp(got.key[i], loaded.key[i]) && !strcmp(got.val[i], loaded.val[i]);
    CHECK(same, "read_meta's metadata (%d entries) differs from model_load's (%d)", got.n, loaded.n);
    CHECK(model_meta_get(&got, "test_accuracy") && !strcmp(model_meta_get(&got, "test_accuracy"), "0.8812") &&
              !strcmp(model_meta_get(&got, "layers"), "784,128,64,10") && !strcmp(model_meta_get(&got, "date"), "2024-03-05T10:11:12Z"),
          "the entries a listing shows");

    uint8_t *buf;
    size_t len;
    CHECK(model_encode(&net, &want, &buf, &len, err) == 0, "encode: %s", err);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)buf[i] << (8 * i);
    /* from memory, the header alone is enough: the weights are never looked at */
    CHECK(meta_of(buf, (size_t)(8 + hl), len, &got, NULL, NULL, err) == 0, "the header alone: %s", err);
    CHECK(meta_of(buf, (size_t)(8 + hl - 1), len, &got, NULL, NULL, err) != 0 && strstr(err, "truncated"),
          "one header byte short: %s", err);
    /* a NaN among the weights: the header reader cannot see it, model_parse refuses it */
    uint8_t *nanbuf = malloc(len);
    if (!nanbuf) abort();
    memcpy(nanbuf, buf, len);
    put_float(nanbuf + len - 4, NAN);
    CHECK(meta_of(nanbuf, len, len, NULL, NULL, NULL, err) == 0, "NaN weights, header fine: %s", err);
    CHECK(model_parse(nanbuf, len, &back, NULL, err) != 0 && strstr(err, "NaN"), "model_parse sees the NaN: %s", err);
    free(nanbuf);

    /* truncated on disk: every cut fails for its own reason, names the file, touches nothing */
    size_t cuts[] = {0, 5, 8, 9, (size_t)(8 + hl / 2), (size_t)(8 + hl - 1), (size_t)(8 + hl), (size_t)(8 + hl + 100), len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t cut = cuts[k];
        const char *why = cut < 8 ? "too short" : cut < 8 + hl ? "truncated" : "beyond the";
        snprintf(path, sizeof path, "%s/cut%zu.safetensors", tmpdir, k);
        CHECK(write_file(path, buf, cut) == 0, "write %s", path);
        ModelMeta m;
        memset(&m, 0, sizeof m);
        int szs[NET_MAX_LAYERS + 1] = {-7}, LL = -7;
        err[0] = 0;
        int rc = model_read_meta(path, &m, szs, &LL, err);
        CHECK(rc != 0 && strstr(err, why) && !strncmp(err, path, strlen(path)) && !strchr(err, '\n'),
              "cut at %zu of %zu: rc %d, \"%s\" (want \"%s\")", cut, len, rc, err, why);
        CHECK(m.n == 0 && szs[0] == -7 && LL == -7, "cut at %zu: outputs written on failure", cut);
        remove(path);
    }
    /* header bytes flipped at random: the header reader agrees with the full parser, message and all */
    Rng r;
    rng_seed(&r, 99);
    int disagree = 0, failed = 0;
    uint8_t *mut = malloc(len);
    if (!mut) abort();
    for (int t = 0; t < 3000; t++) {
        memcpy(mut, buf, len);
        int flips = 1 + (int)rng_below(&r, 3);
        for (int f = 0; f < flips; f++) mut[rng_below(&r, (uint32_t)(8 + hl))] ^= (uint8_t)(1u << rng_below(&r, 8));
        char e1[ERR_LEN] = "", e2[ERR_LEN] = "";
        Net n2;
        int r1 = meta_of(mut, len, len, NULL, NULL, NULL, e1);
        int r2 = model_parse(mut, len, &n2, NULL, e2);
        if (r2 == 0) net_free(&n2);
        failed += r1 != 0;
        if (r1 != r2 || strcmp(e1, e2) != 0) {
            if (disagree++ < 3) fprintf(stderr, "  disagree: meta %d \"%s\", parse %d \"%s\"\n", r1, e1, r2, e2);
        }
    }
    CHECK(disagree == 0, "%d of 3000 header corruptions judged differently", disagree);
    CHECK(failed > 1000, "most header corruptions must fail (%d did)", failed);
    free(mut);
    free(buf);

    /* hand-built broken headers: each refused with its reason */
    static const struct {
        const char *hdr;
        uint64_t field; /* UINT64_MAX: the true length */
        const char *want;
    } bad[] = {
        {"{\"__metadata__\":{\"a\":", UINT64_MAX, "not valid JSON"},
        {"[1,2]", UINT64_MAX, "not a JSON object"},
        {"{\"__metadata__\":{\"a\":1}," ONE_LAYER "}", UINT64_MAX, "not a string"},
        {"{\"__metadata__\":[]," ONE_LAYER "}", UINT64_MAX, "__metadata__ is not a JSON object"},
        {"{\"__metadata__\":{\"layers\":\"2,1\"}," ONE_LAYER "}", UINT64_MAX, "disagree with the tensors"},
        {"{\"weights\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", UINT64_MAX, "unknown tensor"},
        {"{}", UINT64_MAX, "no tensors"},
        {"{}", 0, "header length is 0"},
        {"{}", (uint64_t)200 * 1000 * 1000, "exceeds the 100000000-byte limit"},
        {"{}", 1000, "truncated"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t n;
        uint8_t *pl = floats(2); /* ONE_LAYER's 8 bytes */
        uint8_t *b = mk_raw(bad[k].field, bad[k].hdr, pl, strstr(bad[k].hdr, "layers.0") ? 8 : 0, &n);
        free(pl);
        snprintf(path, sizeof path, "%s/bad%zu.safetensors", tmpdir, k);
        CHECK(write_file(path, b, n) == 0, "write %s", path);
        ModelMeta m;
        memset(&m, 0, sizeof m);
        CHECK(model_read_meta(path, &m, NULL, NULL, err) != 0 && strstr(err, bad[k].want) && m.n == 0,
              "%s: \"%s\" lacks \"%s\"", bad[k].hdr, err, bad[k].want);
        remove(path);
        free(b);
    }
    /* not a file */
    snprintf(path, sizeof path, "%s/none.safetensors", tmpdir);
    CHECK(model_read_meta(path, &got, NULL, NULL, err) != 0 && strstr(err, "No such file"), "missing: %s", err);
    CHECK(model_read_meta(tmpdir, &got, NULL, NULL, err) != 0 && strstr(err, "not a regular file"), "a folder: %s", err);
    snprintf(path, sizeof path, "%s/m.safetensors", tmpdir);
    remove(path);
    net_free(&net);
}

/* ---- main -------------------------------------------------------------------------------- */

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            remove(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int make_tmpdir(char *out, size_t n, const char *tag) {
    const char *base = getenv("TMPDIR");
    snprintf(out, n, "%s/digitrec_mio_%s_XXXXXX", base && *base ? base : "/tmp", tag);
    return mkdtemp(out) ? 0 : -1;
}

int main(void) {
    char dir1[512], dir2[512], dir3[512], dir4[512];
    if (make_tmpdir(dir1, sizeof dir1, "rt") != 0 || make_tmpdir(dir2, sizeof dir2, "nan") != 0 ||
        make_tmpdir(dir3, sizeof dir3, "py") != 0 || make_tmpdir(dir4, sizeof dir4, "meta") != 0) {
        perror("mkdtemp");
        return 1;
    }
    test_meta_helpers();
    test_roundtrips(dir1);
    test_save_nan(dir2);
    test_malformed();
    test_truncations();
    test_stacks(dir1);
    test_fuzz();
    test_read_meta(dir4);
    int py = test_python(dir3);
    remove_tree(dir1);
    remove_tree(dir2);
    remove_tree(dir3);
    remove_tree(dir4);
    printf("test_model_io: %d checks passed, %d failed; %d hand-built malformed files; python interop %s\n", g_pass,
           g_fail, g_malformed, py ? "ran" : "skipped");
    return g_fail == 0 && g_pass > 0 ? 0 : 1;
}

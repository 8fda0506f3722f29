/* fuzz_idx.c - libFuzzer harness for the IDX reader: idx_gunzip (raw copy or gzip, capped) then
 * idx_parse_images and idx_parse_labels on the result. Accepted files must re-encode to exactly
 * the bytes they came from. The streaming readers (idx_read_images / idx_read_labels, which
 * inflate straight into the final array) must agree with that two-step path on every input. */
#include <stdint.h>

#include "fuzz_common.h"
#include "idx.h"

#define GUNZIP_CAP ((size_t)64 << 20) /* far above any input libFuzzer hands us (-max_len) */

static void check_images(const uint8_t *buf, size_t len) {
    IdxImages im = {0};
    char err[ERR_LEN] = "";
    if (idx_parse_images(buf, len, &im, err) != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(im.pixels == NULL, "failed parse wrote its output");
        return;
    }
    FUZZ_ASSERT(im.n > 0 && im.rows > 0 && im.cols > 0, "dims %d %d %d", im.n, im.rows, im.cols);
    FUZZ_ASSERT((size_t)im.n * (size_t)im.rows * (size_t)im.cols + 16 == len, "size mismatch");
    uint8_t *enc = NULL;
    size_t elen = 0;
    FUZZ_ASSERT(idx_encode_images(&im, &enc, &elen, err) == 0, "encode: %s", err);
    FUZZ_ASSERT(elen == len && memcmp(enc, buf, len) == 0, "re-encoded images differ");
    free(enc);
    idx_images_free(&im);
}

static void check_labels(const uint8_t *buf, size_t len, int max_label) {
    IdxLabels lb = {0};
    char err[ERR_LEN] = "";
    if (idx_parse_labels(buf, len, max_label, &lb, err) != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(lb.labels == NULL, "failed parse wrote its output");
        return;
    }
    FUZZ_ASSERT(lb.n > 0 && (size_t)lb.n + 8 == len, "n %d for %zu bytes", lb.n, len);
    for (int i = 0; i < lb.n; i++) FUZZ_ASSERT(lb.labels[i] < max_label, "label %d out of range", lb.labels[i]);
    uint8_t *enc = NULL;
    size_t elen = 0;
    FUZZ_ASSERT(idx_encode_labels(&lb, &enc, &elen, err) == 0, "encode: %s", err);
    FUZZ_ASSERT(elen == len && memcmp(enc, buf, len) == 0, "re-encoded labels differ");
    free(enc);
    idx_labels_free(&lb);
}

/* idx_read_* on the original bytes against idx_parse_* on the gunzipped ones (raw, len): the
 * same verdict and, when accepted, the same array. (The cap differs, 1 GiB against 64 MB, but
 * no input libFuzzer makes inflates past 64 MB within its time limit.) */
static void check_streaming(const uint8_t *data, size_t size, const uint8_t *raw, size_t len) {
    char err[ERR_LEN] = "", err2[ERR_LEN] = "";
    IdxImages a = {0}, b = {0};
    int ra = idx_read_images(data, size, &a, err), rb = idx_parse_images(raw, len, &b, err2);
    FUZZ_ASSERT((ra == 0) == (rb == 0), "images: streaming %d ('%s') vs parse %d ('%s')", ra, err, rb, err2);
    if (ra == 0 && rb == 0)
        FUZZ_ASSERT(a.n == b.n && a.rows == b.rows && a.cols == b.cols &&
                        memcmp(a.pixels, b.pixels, (size_t)a.n * a.rows * a.cols) == 0,
                    "images: streaming and parse differ");
    if (ra != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(a.pixels == NULL, "failed streaming read wrote its output");
    }
    idx_images_free(&a);
    idx_images_free(&b);
    IdxLabels la = {0}, lb = {0};
    ra = idx_read_labels(data, size, 10, &la, err);
    rb = idx_parse_labels(raw, len, 10, &lb, err2);
    FUZZ_ASSERT((ra == 0) == (rb == 0), "labels: streaming %d ('%s') vs parse %d ('%s')", ra, err, rb, err2);
    if (ra == 0 && rb == 0)
        FUZZ_ASSERT(la.n == lb.n && memcmp(la.labels, lb.labels, (size_t)la.n) == 0, "labels: streaming and parse differ");
    if (ra != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(la.labels == NULL, "failed streaming read wrote its output");
    }
    idx_labels_free(&la);
    idx_labels_free(&lb);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    uint8_t *raw = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    if (idx_gunzip(data, size, GUNZIP_CAP, &raw, &len, err) != 0) {
        fuzz_check_err(err);
        if (!strstr(err, "exceeds the limit")) { /* bad data: the streaming readers must refuse it too */
            IdxImages im = {0};
            IdxLabels lb = {0};
            FUZZ_ASSERT(idx_read_images(data, size, &im, err) != 0 && im.pixels == NULL, "streaming accepted bad images");
            FUZZ_ASSERT(idx_read_labels(data, size, 10, &lb, err) != 0 && lb.labels == NULL, "streaming accepted bad labels");
        }
        return 0;
    }
    FUZZ_ASSERT(raw != NULL && len <= GUNZIP_CAP, "gunzip output");
    int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    FUZZ_ASSERT(gz || (len == size && memcmp(raw, data, size) == 0), "raw copy differs");
    check_images(raw, len);
    check_labels(raw, len, 10);
    check_labels(raw, len, 256);
    check_streaming(data, size, raw, len);
    free(raw);
    return 0;
}

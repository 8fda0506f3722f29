/* fuzz_idx.c - libFuzzer harness for the IDX reader: idx_gunzip (raw copy or gzip, capped) then
 * idx_parse_images and idx_parse_labels on the result. Accepted files must re-encode to exactly
 * the bytes they came from. */
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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    uint8_t *raw = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    if (idx_gunzip(data, size, GUNZIP_CAP, &raw, &len, err) != 0) {
        fuzz_check_err(err);
        return 0;
    }
    FUZZ_ASSERT(raw != NULL && len <= GUNZIP_CAP, "gunzip output");
    int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    FUZZ_ASSERT(gz || (len == size && memcmp(raw, data, size) == 0), "raw copy differs");
    check_images(raw, len);
    check_labels(raw, len, 10);
    check_labels(raw, len, 256);
    free(raw);
    return 0;
}

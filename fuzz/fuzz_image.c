/* fuzz_image.c - libFuzzer harness for image_decode_memory, the decoder behind `digitrec predict`
 * and dropped pictures (PNG/JPEG/BMP by stb_image compiled into core, so instrumented too; PGM by
 * core's parser), then every preprocessing path a decoded picture can take: the photo pipeline
 * (28x28 input and the cleaned ink for a canvas), the legacy crop and the naive shrink, for
 * pictures up to 4 Mpixel (larger ones are decoded only, to stay well under libFuzzer's 10 s). */
#include <math.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "image.h"
#include "preprocess.h"

static void check_input(const float *out, int ink, const char *what) {
    int any = 0;
    for (int i = 0; i < PRE_SIDE * PRE_SIDE; i++) {
        FUZZ_ASSERT(out[i] >= 0.0f && out[i] <= 1.0f, "%s: out %d is %g", what, i, out[i]);
        any |= out[i] > 0.0f;
    }
    FUZZ_ASSERT(ink || !any, "%s: blank result but ink in the output", what);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    float *img = NULL;
    int w = 0, h = 0;
    char err[ERR_LEN] = "";
    if (image_decode_memory(data, size, &img, &w, &h, err) != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(img == NULL, "failed decode wrote its output");
        return 0;
    }
    FUZZ_ASSERT(w >= 1 && h >= 1 && (size_t)w * (size_t)h <= IMAGE_MAX_PIXELS, "size %dx%d", w, h);
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++) FUZZ_ASSERT(img[i] >= 0.0f && img[i] <= 1.0f, "pixel %zu is %g", i, img[i]);
    if (n > ((size_t)1 << 22)) { /* above 4 Mpixel the decoder alone: preprocessing 16 Mpixel under the */
        free(img);                 /* sanitizers takes most of libFuzzer's 10 s (tests/test_photo.c covers it) */
        return 0;
    }
    float out[PRE_SIDE * PRE_SIDE];
    PreFrame f;
    PreInfo info;
    int ink = preprocess_photo(out, &f, &info, img, w, h, err);
    FUZZ_ASSERT(ink >= 0, "photo: %s", err);
    check_input(out, ink, "photo");
    if (ink) FUZZ_ASSERT(isfinite(f.sx) && f.sx > 0 && isfinite(f.offx) && isfinite(f.x0), "photo frame");

    float *clean = NULL;
    int cw = 0, ch = 0;
    int ci = preprocess_photo_ink(&clean, &cw, &ch, &info, img, w, h, err);
    FUZZ_ASSERT(ci == ink, "photo_ink %d but photo %d", ci, ink);
    if (ci == 1) {
        for (size_t i = 0; i < (size_t)cw * (size_t)ch; i++) FUZZ_ASSERT(clean[i] >= 0.0f && clean[i] <= 1.0f, "clean %zu", i);
        free(clean);
    }
    check_input(out, preprocess_naive(out, img, w, h), "naive");
    preprocess_auto_invert(img, w, h);
    check_input(out, preprocess_digit(out, img, w, h, 0.05f), "legacy");
    free(img);
    return 0;
}

/* fuzz_pgm.c - libFuzzer harness for image_parse_pgm (P2/P5, 8/16-bit) followed by the predict
 * path's preprocessing of whatever it decodes. */
#include <math.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "preprocess.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    float *img = NULL;
    int w = 0, h = 0;
    char err[ERR_LEN] = "";
    if (image_parse_pgm(data, (unsigned long)size, &img, &w, &h, err) != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(img == NULL, "failed parse wrote its output");
        return 0;
    }
    FUZZ_ASSERT(w >= 1 && h >= 1 && (size_t)w * (size_t)h <= ((size_t)1 << 28), "size %dx%d", w, h);
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++) FUZZ_ASSERT(img[i] >= 0.0f && img[i] <= 1.0f, "pixel %zu is %g", i, img[i]);
    float out[PRE_SIDE * PRE_SIDE];
    preprocess_auto_invert(img, w, h);
    preprocess_digit(out, img, w, h, 0.05f);
    for (int i = 0; i < PRE_SIDE * PRE_SIDE; i++) FUZZ_ASSERT(out[i] >= 0.0f && out[i] <= 1.0f, "out %d is %g", i, out[i]);
    free(img);
    return 0;
}

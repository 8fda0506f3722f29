/* fuzz_preprocess.c - libFuzzer harness for the stroke/photo preprocessing: preprocess_auto_invert,
 * preprocess_digit, preprocess_photo and preprocess_naive on fuzzer-chosen sizes (1x1 up to 16384
 * wide or tall), thresholds and pixels, including NaN, +-Inf, negatives and values above 1; and
 * preprocess_strokes on the same bytes read as stroke points (any float bit pattern in mode 1).
 * Input layout: w (2 bytes LE), h (2 bytes LE), threshold selector, pixel mode, pixel bytes
 * (repeated cyclically when shorter than the image). */
#include <math.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "preprocess.h"

#define MAX_SIDE 16384
#define MAX_PIXELS ((size_t)1 << 14) /* keeps one run fast (~1 ms); shape, not size, is what breaks code */

static float pick_threshold(uint8_t b) {
    switch (b) {
    case 251: return 0.0f;
    case 252: return -1.0f;
    case 253: return NAN;
    case 254: return INFINITY;
    case 255: return 1e-30f;
    default: return (float)b / 250.0f;
    }
}

/* Byte b as a pixel under mode 2: mostly [0,1], plus the values a careless caller might pass. */
static float special_pixel(uint8_t b) {
    switch (b) {
    case 251: return NAN;
    case 252: return INFINITY;
    case 253: return -INFINITY;
    case 254: return -1.0f;
    case 255: return 2.0f;
    default: return (float)b / 250.0f;
    }
}

static void check_out(const float *out, int ink) {
    int any = 0;
    for (int i = 0; i < PRE_SIDE * PRE_SIDE; i++) {
        FUZZ_ASSERT(out[i] >= 0.0f && out[i] <= 1.0f, "out[%d] = %g", i, out[i]);
        any |= out[i] > 0.0f;
    }
    FUZZ_ASSERT(ink || !any, "blank result (0) but ink in the output");
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 6) return 0;
    int w = 1 + (int)((data[0] | data[1] << 8) % MAX_SIDE);
    int h = 1 + (int)((data[2] | data[3] << 8) % MAX_SIDE);
    if ((size_t)w * (size_t)h > MAX_PIXELS) h = (int)(MAX_PIXELS / (size_t)w);
    float threshold = pick_threshold(data[4]);
    int mode = data[5] % 3;
    const uint8_t *px = data + 6;
    size_t npx = size - 6, n = (size_t)w * (size_t)h;

    /* Exactly w*h floats on the heap, so ASan catches a read one past the image. */
    float *img = malloc(n * sizeof(float));
    FUZZ_ASSERT(img != NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (npx == 0) {
            img[i] = 0.0f;
        } else if (mode == 0) {
            img[i] = (float)px[i % npx] / 255.0f;
        } else if (mode == 1) {
            uint8_t b[4];
            for (int k = 0; k < 4; k++) b[k] = px[(4 * i + (size_t)k) % npx];
            memcpy(&img[i], b, 4); /* any bit pattern: subnormals, NaN payloads, huge */
        } else {
            img[i] = special_pixel(px[i % npx]);
        }
    }
    float *out = malloc(PRE_SIDE * PRE_SIDE * sizeof(float));
    FUZZ_ASSERT(out != NULL, "out of memory");
    char err[ERR_LEN] = "";
    PreFrame f;
    PreInfo info;
    int ink = preprocess_photo(out, &f, &info, img, w, h, err);
    FUZZ_ASSERT(ink >= 0, "photo: %s", err);
    check_out(out, ink);
    check_out(out, preprocess_naive(out, img, w, h));
    /* the same floats as strokes: up to 4 strokes cutting the point list at fuzzer-chosen places */
    size_t npts = n / 2;
    PreStroke st[4];
    int ns = 1 + (int)(data[5] / 3 % 4);
    size_t at = 0;
    for (int k = 0; k < ns; k++) {
        size_t len = k == ns - 1 ? npts - at : (npts - at) / (size_t)(ns - k) + (size_t)(data[4] % 3);
        if (len > npts - at) len = npts - at;
        st[k] = (PreStroke){img + 2 * at, (int)len};
        at += len;
    }
    ink = preprocess_strokes(out, &f, &info, st, ns);
    check_out(out, ink);
    if (ink) FUZZ_ASSERT(isfinite(f.sx) && isfinite(f.offx) && isfinite(f.offy), "stroke frame");
    check_out(out, preprocess_digit(out, img, w, h, threshold));
    int inv = preprocess_auto_invert(img, w, h);
    FUZZ_ASSERT(inv == 0 || inv == 1, "auto_invert returned %d", inv);
    check_out(out, preprocess_digit(out, img, w, h, threshold));
    free(out);
    free(img);
    return 0;
}

/* preprocess.h - turns a drawing or photo of a digit into MNIST's convention:
 * crop to the ink, scale the longer side to 20 px keeping aspect, put the centre of mass
 * at the centre of a 28x28 frame. Values are in [0,1] with ink = 1. Three ways in: a raster
 * (preprocess_digit), a canvas's pen strokes re-rendered at MNIST's stroke width
 * (preprocess_strokes) and a photo or scan whose paper is found first (preprocess_photo).
 * Each returns the frame it applied. Nothing here reads files, prints or keeps state. */
#ifndef DIGITREC_PREPROCESS_H
#define DIGITREC_PREPROCESS_H

#define PRE_SIDE 28
#define PRE_BOX 20

/* Where a source's pixels went in the 28x28 input: input column u = offx + (x - x0) * sx for
 * source column x, rows alike (continuous coordinates: source pixel i spans [i, i+1), input
 * pixel k spans [k, k+1)). A canvas stroke point (x, y) in raster pixels maps the same way. */
typedef struct {
    double x0, y0, sx, sy, offx, offy;
} PreFrame;

/* What the preprocessing saw, for the reading's state and for the curious. */
typedef struct {
    int ink;          /* 1 when something was fitted into the 28x28 */
    int near_blank;   /* ink, but too little to be a digit (see PRE_MIN_SKELETON): read as "no digit" */
    int odd_shape;    /* ink box flatter than any MNIST digit (height/width < PRE_MIN_ASPECT): a dash */
    int dark_ink;     /* photos: 1 when the ink is darker than its paper */
    int components;   /* photos: connected ink parts found / kept */
    int kept;
    float paper;      /* photos: mean paper level (1 = white) */
    float contrast;   /* photos: the ink's own level above the paper, in paper units */
    float noise;      /* photos: robust noise sigma of the corrected image */
    float width;      /* stroke width of the 28x28 result (ink_stroke_width at 0.5) */
    float skeleton;   /* skeleton length of the 28x28 result, px */
} PreInfo;

/* An input is near-blank when its 28x28 skeleton is shorter than this: the shortest of MNIST's
 * 60,000 training digits has 9.7 px, 0.1% have under 13 (bench/reading/stroke_width.c). */
#define PRE_MIN_SKELETON 6.0f
/* MNIST's flattest training digit is 0.45 as tall as wide (0.1% under 0.60); ink flatter than
 * this is not read as a digit with confidence. */
#define PRE_MIN_ASPECT 0.35f

/* img (h, w) floats in [0,1], ink = 1. Writes out (28*28). Returns 1 when ink was found,
 * 0 for a blank image (out is all zeros). Pixels below `threshold` count as background
 * for the crop (0.05 is a good default). */
int preprocess_digit(float *out, const float *img, int w, int h, float threshold);
/* preprocess_digit, also writing the frame it applied into *f (when f is not NULL; zeroed for
 * a blank image). */
int preprocess_digit_frame(float *out, PreFrame *f, const float *img, int w, int h, float threshold);

/* One pen stroke: n points (x, y) in source (canvas raster) pixels, drawn as a polyline. */
typedef struct {
    const float *xy; /* (n, 2) */
    int n;
} PreStroke;

/* Re-renders pen strokes the way MNIST's digits look whatever the drawing's size, place and pen:
 * the polylines' extent is fitted so the ink box's longer side is PRE_BOX px, then drawn with a
 * round anti-aliased pen of INK_MNIST_WIDTH px (ink.h) in the 28x28, and shifted by sub-pixel
 * amounts so the centre of mass is at pixel (14, 14) (less centred only where the ink would
 * leave the frame). The canvas's own pen radius does not matter. Strokes with n < 1 are skipped;
 * NaN or infinite points make the drawing count as blank. Writes out (28*28) and, when not NULL,
 * *f (the map from canvas pixels) and *info. Returns 1 when ink was drawn, 0 for no strokes
 * (out zeroed). Allocates nothing. */
int preprocess_strokes(float *out, PreFrame *f, PreInfo *info, const PreStroke *strokes, int nstrokes);

/* MNIST's 5th and 95th percentiles of stroke width (ink.h's measure, 28x28 px). A fitted photo
 * with strokes thinner than the first is re-stroked (preprocess_restroke). */
#define PRE_WIDTH_MIN 1.52f
#define PRE_WIDTH_MAX 4.34f

/* A raster drawn again with MNIST's pen: img (h, w) ink in [0,1] is thresholded at 0.5, thinned
 * to a skeleton (ink_thin), and every link between skeleton pixels becomes a stroke for
 * preprocess_strokes (so the result has INK_MNIST_WIDTH strokes whatever the original's). *f maps
 * img's pixels. Returns 1, 0 when nothing reaches 0.5 (out zeroed), -1 out of memory. */
int preprocess_restroke(float *out, PreFrame *f, PreInfo *info, const float *img, int w, int h);

/* The raster path: preprocess_digit_frame (threshold 0.05) and preprocess_measure, then
 * preprocess_restroke instead when the fitted strokes are thinner than PRE_WIDTH_MIN (and the
 * restroke is not near-blank). Fat strokes stay as they are: a thick marker's skeleton loses the
 * loops its ink filled in. Returns 1 with ink, 0 blank (out zeroed), -1 out of memory. */
int preprocess_raster(float *out, PreFrame *f, PreInfo *info, const float *img, int w, int h);

/* A photo or scan: img (h, w) grey in [0,1] as decoded (1 = white), any polarity. Finds the
 * paper first: a smooth background (quadratic surface fitted robustly to block medians, on a
 * copy at most 512 px on its longer side) is removed; the ink's polarity is the side the
 * strong deviations from a background of cell medians fall on, by three to one (it follows a
 * shadow, whose edge stands out on both sides), else the side they fall on from the surface
 * (the paper's level decides a tie); ink is
 * what lies above a threshold of max(4 noise sigmas, min(Otsu, half the ink's own level)); of its
 * 8-connected parts the digit's are kept (the heaviest central part, plus
 * parts near it; specks, parts touching the border or spanning the picture such as page edges,
 * shadows and frames are dropped unless nothing else is there); in pictures under 64 px the kept
 * parts grow into their connected pixels above half the threshold; the kept ink keeps its own grey
 * levels (ink level = 1) and goes through preprocess_raster. Writes out (28*28), *f (from img's pixels) and *info when not
 * NULL. Returns 1 with a digit, 0 when nothing stands out of the paper (out zeroed), -1 when
 * out of memory (err set). img is only read. */
int preprocess_photo(float *out, PreFrame *f, PreInfo *info, const float *img, int w, int h, char *err);
/* The cleaned ink of a photo as preprocess_photo finds it, for showing on a canvas: a new
 * (*ih, *iw) image, ink = 1 on 0, cropped to the kept ink plus a margin, at the working scale
 * (longer side of img at most 512 px). Returns 1 (caller frees *ink), 0 when no ink (nothing
 * allocated), -1 when out of memory. */
int preprocess_photo_ink(float **ink, int *iw, int *ih, PreInfo *info, const float *img, int w, int h, char *err);

/* The naive baseline, for comparisons only: the whole image area-averaged into 28x28 (aspect
 * kept, centred), inverted when its mean is above 0.5. Returns 1, or 0 for an empty image. */
int preprocess_naive(float *out, const float *img, int w, int h);

/* The 28x28 measurements behind PreInfo's width, skeleton, near_blank and odd_shape. */
void preprocess_measure(PreInfo *info, const float *x28);

/* For photos/scans: if the border of the image is mostly light, inverts it in place so
 * ink becomes 1. Returns 1 if it inverted. */
int preprocess_auto_invert(float *img, int w, int h);

/* Decodes a PGM (P2 or P5, maxval <= 65535) from memory into a new (h, w) float image in
 * [0,1] where 1 = white as stored (not yet inverted). Caller frees *img. */
int image_parse_pgm(const unsigned char *buf, unsigned long len, float **img, int *w, int *h, char *err);

#endif

/* augment.h - on-the-fly training augmentation of 28x28 uint8 images: a random affine map
 * (rotation, scale, shear, translation about the digit's centre of mass) and an elastic
 * distortion (Simard, Steinkraus & Platt 2003), sampled bilinearly with zero outside. Each
 * image's randomness comes from (seed, epoch, example index) alone, so the same triple gives the
 * same image on any thread, in any order, with any thread count. No allocation, no I/O.
 *
 * Parameters (all zero = the identity: the output is exactly the input, pixel/255):
 *   rotate_deg     rotation angle uniform in [-rotate_deg, rotate_deg] degrees (0..180)
 *   scale          zoom factor uniform in [1 - scale, 1 + scale] (0..0.5)
 *   shear          horizontal shear x += k*y, k uniform in [-shear, shear] (0..1)
 *   shift          translation, each axis uniform in [-shift, shift] pixels (0..14)
 *   elastic_alpha  Simard's alpha: the displacement field is alpha times uniform(-1, 1) noise
 *                  smoothed by a Gaussian of elastic_sigma; its RMS per axis is therefore
 *                  alpha / (sqrt(12 pi) sigma) pixels (alpha 34, sigma 4 as in the paper: 1.4 px)
 *   elastic_sigma  smoothing in pixels (1..14; unused when alpha is 0); the field is drawn on a grid sigma pixels apart,
 *                  smoothed there and interpolated, which has the same per-axis RMS and
 *                  correlation length as the full-resolution blur at a small fraction of its cost
 *   elastic_max    each displacement component is clamped to [-elastic_max, elastic_max] px
 *   ink_width      stroke width change, after the map: an amount a uniform in [-ink_width,
 *                  ink_width] (0..1); a > 0 blends a of a grey dilation (the 4-neighbourhood's
 *                  maximum: about a px wider on each side), a < 0 blends |a|/2 of an erosion
 *   lowres         probability (0..1) of passing the image through a coarser grid: an area
 *                  average onto s x s pixels, s uniform in [lowres_side, 27], and bilinear back
 *                  (a scan, a photo or a bitmap of a few pixels across, as seen after the fit)
 *   lowres_side    the coarsest grid (4..27; unused when lowres is 0)
 * The defaults (augment_defaults) are those the CNN preset was tuned with (docs/cnn.md). */
#ifndef DIGITREC_AUGMENT_H
#define DIGITREC_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#define AUG_SIDE 28
#define AUG_PIXELS (AUG_SIDE * AUG_SIDE)

typedef struct {
    float rotate_deg, scale, shear, shift;
    float elastic_alpha, elastic_sigma, elastic_max;
    float ink_width, lowres, lowres_side;
} AugmentParams;

/* rotate 12 deg, scale 0.10, shear 0.15, shift 2 px, elastic alpha 12, sigma 4, max 3 px; no ink
 * changes. */
AugmentParams augment_defaults(void);
/* augment_defaults plus ink_width 1, lowres 0.3, lowres_side 9 (docs/reading.md); the coarser grid keeps the image's peak level. */
AugmentParams augment_ink_defaults(void);

/* 0 if every parameter is finite and in its range, else -1 with err naming the first bad one. */
int augment_validate(const AugmentParams *p, char *err);

/* The sampling map of image (seed, epoch, index) whose input is img (for its centre of mass):
 * output pixel i = y*28 + x is read from input position (sx[i], sy[i]). p must be valid. */
void augment_map(float *sx, float *sy, const uint8_t *img, const AugmentParams *p, uint64_t seed, uint64_t epoch,
                 uint64_t index);

/* out (784) = the augmented img (784 bytes) as floats pixel/255 in [0, 1], ready for the
 * network (the identity gives exactly dataset_gather's values). p must be valid. */
void augment_image(float *out, const uint8_t *img, const AugmentParams *p, uint64_t seed, uint64_t epoch,
                   uint64_t index);
/* The same image as bytes (rounded to nearest). */
void augment_image_u8(uint8_t *out, const uint8_t *img, const AugmentParams *p, uint64_t seed, uint64_t epoch,
                      uint64_t index);

/* out (n, 784) = augment_image of imgs[i] with example index indices[i], shared across the
 * kernels' threads (kernels_run); the result does not depend on the thread count. */
void augment_batch(float *out, const uint8_t *const *imgs, const uint64_t *indices, int n, const AugmentParams *p,
                   uint64_t seed, uint64_t epoch);

#endif

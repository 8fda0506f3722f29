/* ink.h - measurements of ink in a grey image (ink = 1, background = 0): a one-pixel skeleton by
 * Zhang-Suen thinning, its length, and the stroke width they give. Used to set and check the pen
 * width of re-rendered drawings; it changes no image it is given. */
#ifndef DIGITREC_INK_H
#define DIGITREC_INK_H

#include <stdint.h>

/* The typical stroke width of MNIST's digits in 28x28 pixels, ink_stroke_width(img, 28, 28, 0.5)
 * over the 60,000 training digits: median 2.47, quartiles 2.06 and 3.07
 * (bench/reading/stroke_width.c; docs/reading.md). */
#define INK_MNIST_WIDTH 2.47f

/* Thins mask (h, w), values 0/1, to a one-pixel-wide 8-connected skeleton in place (Zhang and
 * Suen's two sub-iterations until nothing changes). Pixels on the image border are treated as if
 * the outside were 0. Returns 0, or -1 when scratch memory cannot be had (mask untouched). */
int ink_thin(uint8_t *mask, int w, int h);

/* Length in pixels of the skeleton in mask (h, w): the sum over 8-neighbour links (1 for a
 * horizontal or vertical link, sqrt 2 for a diagonal one not bridged by a 4-connected corner). */
double ink_skeleton_length(const uint8_t *mask, int w, int h);

/* Mean stroke width of img (h, w): total ink (sum of clamped values) divided by the length of
 * the skeleton of the pixels >= level. 0 when there is no skeleton; -1 when out of memory. */
double ink_stroke_width(const float *img, int w, int h, float level);

#endif

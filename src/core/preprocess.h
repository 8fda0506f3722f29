/* preprocess.h - turns a drawing or photo of a digit into MNIST's convention:
 * crop to the ink, scale the longer side to 20 px keeping aspect, put the centre of mass
 * at the centre of a 28x28 frame. Values are in [0,1] with ink = 1. */
#ifndef DIGITREC_PREPROCESS_H
#define DIGITREC_PREPROCESS_H

#define PRE_SIDE 28
#define PRE_BOX 20

/* img (h, w) floats in [0,1], ink = 1. Writes out (28*28). Returns 1 when ink was found,
 * 0 for a blank image (out is all zeros). Pixels below `threshold` count as background
 * for the crop (0.05 is a good default). */
int preprocess_digit(float *out, const float *img, int w, int h, float threshold);

/* For photos/scans: if the border of the image is mostly light, inverts it in place so
 * ink becomes 1. Returns 1 if it inverted. */
int preprocess_auto_invert(float *img, int w, int h);

/* Decodes a PGM (P2 or P5, maxval <= 65535) from memory into a new (h, w) float image in
 * [0,1] where 1 = white as stored (not yet inverted). Caller frees *img. */
int image_parse_pgm(const unsigned char *buf, unsigned long len, float **img, int *w, int *h, char *err);

#endif

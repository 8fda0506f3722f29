/* image.h - picture files to grey floats without SDL: PNG, JPEG and BMP through stb_image (its
 * implementation is compiled into image.c with only those three loaders), PGM through
 * image_parse_pgm. Also a small grey PNG encoder for writing what the network was given.
 * Does no preprocessing: 1 = white as stored, transparent pixels composited onto white. */
#ifndef DIGITREC_IMAGE_H
#define DIGITREC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Largest picture accepted, in pixels (16 Mpixel). Checked from the header before decoding. */
#define IMAGE_MAX_PIXELS (16u * 1024u * 1024u)

/* Decodes a PNG (any bit depth, grey, grey+alpha, palette with tRNS, RGB, RGBA), baseline or
 * progressive JPEG (grey, YCbCr, Adobe CMYK/YCCK), BMP or PGM (P2/P5) held in buf[0..len) into a
 * new (h, w) float image: luma (0.299 R + 0.587 G + 0.114 B) in [0,1], 1 = white, composited
 * over white paper by its alpha. The format is told by its first bytes, never by a file name.
 * The size the header declares is checked before anything is allocated (1x1 up to
 * IMAGE_MAX_PIXELS), every PNG chunk must lie inside the buffer with a correct CRC on its
 * critical chunks, and no allocation inside the decoder may exceed 256 MB.
 * On success *img is owned by the caller (free()), *w and *h set; on failure nothing is written
 * and err holds one line ("not a readable PNG image: ...", "image is 30000x30000; sizes from ...").
 * Thread-safe: no global state. */
int image_decode_memory(const unsigned char *buf, size_t len, float **img, int *w, int *h, char *err);
/* Reads path whole (file_read_all) and decodes it; errors are prefixed with the path. */
int image_decode_file(const char *path, float **img, int *w, int *h, char *err);

/* Encodes px (h, w) floats in [0,1] (clamped, NaN = 0) as an 8-bit grey PNG, value*255 rounded
 * (so a network input shows ink as white, as MNIST stores it). On success *buf (caller frees)
 * and *len are set. Returns 0, or -1 with err (bad size, out of memory). */
int image_encode_png_grey(const float *px, int w, int h, uint8_t **buf, size_t *len, char *err);
/* image_encode_png_grey, then file_write_atomic to path. */
int image_save_png_grey(const char *path, const float *px, int w, int h, char *err);

#endif

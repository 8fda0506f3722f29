/* image_load.h - reads a picture file (PNG, JPEG, BMP... through SDL2_image, or PGM through core)
 * into a grey float image in [0,1], 1 = white as stored. No window or video needed. */
#ifndef DIGITREC_IMAGE_LOAD_H
#define DIGITREC_IMAGE_LOAD_H

/* Decodes an image held in memory. Transparent pixels count as white paper.
 * On success *img (h, w) is owned by the caller (free()). */
int image_decode(const unsigned char *buf, unsigned long len, float **img, int *w, int *h, char *err);
/* Reads and decodes a file; errors are prefixed with the path. */
int image_load_file(const char *path, float **img, int *w, int *h, char *err);

#endif

/* embed.h - a 2-D map of a network's features for the window's embedding view: PCA of (n, d)
 * features to their two main axes, and a refit that stays aligned with the previous map (the
 * rotation or reflection and shift that best carry the new map onto the old one on the same
 * points), so points move smoothly between refits. Pure maths in double; no drawing. */
#ifndef DIGITREC_EMBED_H
#define DIGITREC_EMBED_H

#define EMBED_MAX_D 4096

typedef struct {
    int d;            /* feature width */
    double *mean;     /* (d) the features' mean, owned */
    double *axis;     /* (2, d) orthonormal rows: the map's x and y directions, owned */
    double offset[2]; /* added to the projection (0 for a fresh fit; set by the alignment) */
    double var[2];    /* variance of the features along the two principal axes, var[0] >= var[1] */
} Embed;

/* Fits e to feat (n, d): the mean, and the two leading eigenvectors of the covariance (orthogonal
 * iteration on two vectors with a Rayleigh-Ritz step, to a relative residual of 1e-10 or 20000
 * steps), each signed so its largest component is positive. With prev (a fit of the same d, may
 * be e itself) the axes are then turned by the 2x2 orthogonal matrix, and shifted by the offset,
 * that carry the new projection of these n points closest (least squares) onto prev's projection
 * of them. e's old buffers are freed on success; on failure e is untouched. Returns 0, or -1 with
 * err: n < 3, d outside 1..EMBED_MAX_D, a non-finite feature, features with no variance, prev of
 * another width, out of memory. */
int embed_fit(Embed *e, const float *feat, int n, int d, const Embed *prev, char *err);

/* xy = the map position of one feature vector feat (d). */
void embed_project(const Embed *e, const float *feat, float xy[2]);

void embed_free(Embed *e);

#endif

/* canvas.h - the drawing surface behind the window's canvas: a square float raster (ink = 1)
 * plus the strokes that made it, so undo re-rasterises. Pure C; knows nothing of windows,
 * mice or networks. Coordinates are raster pixels, (0,0) the top-left corner. */
#ifndef DIGITREC_CANVAS_H
#define DIGITREC_CANVAS_H

#include "preprocess.h"

#define CANVAS_SIDE 280
/* Pen radius as a fraction of the side: a digit drawn across the canvas gets MNIST's ~3 px
 * stroke once preprocessing scales it into the 20x20 box. */
#define CANVAS_PEN_FRAC (2.2f / 28.0f)
#define CANVAS_ERASER_SCALE 2.0f

typedef enum { STROKE_DRAW = 0, STROKE_ERASE, STROKE_CLEAR } StrokeKind;

typedef struct {
    StrokeKind kind;
    int n, cap;
    float *xy;              /* (n, 2) points in raster pixels */
} Stroke;

typedef struct {
    int side;               /* S */
    float *px;              /* (S, S) ink in [0,1], owned */
    float *base;            /* (S, S) image loaded under the strokes, or NULL */
    Stroke *strokes;        /* (nstrokes), owned */
    int nstrokes, cap;
    int active;             /* 1 while a stroke is open */
    float radius;           /* pen radius in raster pixels */
    unsigned long version;  /* bumped on every change of px */
} Canvas;

/* Allocates a blank side x side canvas. Returns 0, or -1 with err set (ERR_LEN bytes). */
int canvas_init(Canvas *c, int side, char *err);
void canvas_free(Canvas *c);

/* Opens a stroke at (x, y) and stamps one dot. erase = 1 makes it an eraser stroke (a wider
 * brush that removes ink). An open stroke is closed first. Returns -1 when out of memory. */
int canvas_stroke_begin(Canvas *c, float x, float y, int erase);
/* Extends the open stroke to (x, y), rasterising the segment from the previous point with a
 * round anti-aliased brush (max blending when drawing). No-op without an open stroke. */
int canvas_stroke_extend(Canvas *c, float x, float y);
void canvas_stroke_end(Canvas *c);

/* Removes the last stroke (a clear counts as one) and re-rasterises. Returns 1 if something was
 * undone, 0 when there was nothing to undo. */
int canvas_undo(Canvas *c);
/* Wipes the canvas as an undoable step. Returns 1 if the canvas had ink or strokes. */
int canvas_clear(Canvas *c);
/* 1 when no pixel holds ink. */
int canvas_is_blank(const Canvas *c);

/* Replaces everything with img (h, w) in [0,1], ink = 1, resampled to fit the canvas with
 * its aspect kept (area averaging). Strokes are dropped; the image is not undoable away except
 * by clear. Returns -1 when out of memory. */
int canvas_set_image(Canvas *c, const float *img, int w, int h);
/* 1 when what the canvas shows is pen strokes alone: no image under them since the last clear
 * and no eraser stroke after it. *first (when not NULL) is the index of the first visible stroke. */
int canvas_strokes_only(const Canvas *c, int *first);
/* The network's 28x28 input for what the canvas shows, out (28*28), and the frame from canvas
 * pixels (f, info may be NULL): the visible strokes re-rendered at MNIST's stroke width
 * (preprocess_strokes) when canvas_strokes_only, else the raster through preprocess_raster
 * (also when memory for the stroke list cannot be had). Returns 1 when there is ink, 0 when
 * blank. The canvas is only read. */
int canvas_input(const Canvas *c, float *out, PreFrame *f, PreInfo *info);

/* Draws a hand-made stroke sequence for digit d (0..9) as if with the mouse. */
int canvas_draw_demo(Canvas *c, int d);

#endif

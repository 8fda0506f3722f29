/* drawlist.h - the command list the app layer emits each frame and the platform layer renders:
 * filled rects, outlines, lines, polylines, text and images (microui-style). Holds no pixels
 * and calls nothing; strings and points live in pools owned by the list. */
#ifndef DIGITREC_DRAWLIST_H
#define DIGITREC_DRAWLIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int x, y, w, h;
} Rect;

typedef struct {
    uint8_t r, g, b, a;
} Color;

typedef enum {
    CMD_RECT = 0,   /* filled rect r in colour c (alpha-blended) */
    CMD_FRAME,      /* 1-px outline of r */
    CMD_LINE,       /* from (x0,y0) to (x1,y1) */
    CMD_LINES,      /* polyline: npts points at pts + 2*pts_off (x, y floats) */
    CMD_TEXT,       /* text at top-left (r.x, r.y) in font; r.w, r.h = measured size */
    CMD_IMAGE,      /* image id drawn into r from its source rect src (w = 0: whole image) */
    CMD_CLIP,       /* clip later commands to r (w = 0: no clip) */
} CmdType;

typedef enum { FONT_SMALL = 0, FONT_BODY, FONT_BOLD, FONT_MONO, FONT_TITLE, FONT_HUGE, FONT_BIG, FONT_TINY, FONT_COUNT } FontId;
/* Each font's size in pixels at scale 1 (the platform opens them so; the app's estimates use it). */
extern const int FONT_PX[FONT_COUNT];
/* 1 for the bold faces, 2 for the monospaced one, 0 for the regular. */
extern const int FONT_FACE[FONT_COUNT];

typedef struct {
    CmdType type;
    Rect r;
    Color c;
    int x0, y0, x1, y1;      /* CMD_LINE */
    int font;                /* CMD_TEXT */
    Rect box;                /* CMD_TEXT: the box ui_text_in aligned it in (w = 0: placed at a point) */
    size_t text_off;         /* CMD_TEXT: offset of a NUL-terminated string in the text pool */
    int image;               /* CMD_IMAGE */
    Rect src;                /* CMD_IMAGE */
    size_t pts_off;          /* CMD_LINES: first point index */
    int npts;
} DrawCmd;

typedef struct {
    DrawCmd *cmds;
    int n, cap;
    char *text;
    size_t ntext, captext;
    float *pts;              /* (npts, 2) */
    size_t npts, cappts;
    int oom;                 /* set when a push failed; the frame is then incomplete */
} DrawList;

void drawlist_init(DrawList *d);
void drawlist_free(DrawList *d);
/* Empties the list, keeping its memory. */
void drawlist_clear(DrawList *d);

void draw_rect(DrawList *d, Rect r, Color c);
void draw_frame(DrawList *d, Rect r, Color c);
void draw_line(DrawList *d, int x0, int y0, int x1, int y1, Color c);
/* xy (n, 2); copied. */
void draw_lines(DrawList *d, const float *xy, int n, Color c);
/* w, h: the text's measured size (kept so tests and hit-testing can see it). */
void draw_text(DrawList *d, int font, int x, int y, int w, int h, Color c, const char *s);
void draw_image(DrawList *d, int image, Rect dst, Rect src);
void draw_clip(DrawList *d, Rect r);

/* The string of a CMD_TEXT command. */
const char *drawcmd_text(const DrawList *d, const DrawCmd *c);
/* The points of a CMD_LINES command, (npts, 2). */
const float *drawcmd_points(const DrawList *d, const DrawCmd *c);

int rect_contains(Rect r, int x, int y);

#endif

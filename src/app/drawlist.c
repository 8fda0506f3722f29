/* drawlist.c - growable command list with string and point pools. A failed allocation drops
 * the command and sets oom, so a low-memory frame draws less instead of crashing. */
#include "drawlist.h"

#include <stdlib.h>
#include <string.h>

const int FONT_PX[FONT_COUNT] = {12, 14, 14, 13, 16, 120, 56, 10};
const int FONT_FACE[FONT_COUNT] = {0, 0, 1, 2, 1, 0, 0, 0};

void drawlist_init(DrawList *d) { memset(d, 0, sizeof *d); }

void drawlist_free(DrawList *d) {
    free(d->cmds);
    free(d->text);
    free(d->pts);
    memset(d, 0, sizeof *d);
}

void drawlist_clear(DrawList *d) {
    d->n = 0;
    d->ntext = 0;
    d->npts = 0;
    d->oom = 0;
}

static DrawCmd *push(DrawList *d, CmdType t) {
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 512;
        DrawCmd *p = realloc(d->cmds, sizeof(DrawCmd) * (size_t)cap);
        if (!p) {
            d->oom = 1;
            return NULL;
        }
        d->cmds = p;
        d->cap = cap;
    }
    DrawCmd *c = &d->cmds[d->n++];
    memset(c, 0, sizeof *c);
    c->type = t;
    return c;
}

void draw_rect(DrawList *d, Rect r, Color c) {
    if (r.w <= 0 || r.h <= 0) return;
    DrawCmd *k = push(d, CMD_RECT);
    if (k) k->r = r, k->c = c;
}

void draw_frame(DrawList *d, Rect r, Color c) {
    if (r.w <= 0 || r.h <= 0) return;
    DrawCmd *k = push(d, CMD_FRAME);
    if (k) k->r = r, k->c = c;
}

void draw_line(DrawList *d, int x0, int y0, int x1, int y1, Color c) {
    DrawCmd *k = push(d, CMD_LINE);
    if (!k) return;
    k->x0 = x0, k->y0 = y0, k->x1 = x1, k->y1 = y1;
    k->c = c;
}

void draw_lines(DrawList *d, const float *xy, int n, Color c) {
    if (n < 2) return;
    if (d->npts + (size_t)n > d->cappts) {
        size_t cap = d->cappts ? d->cappts : 4096;
        while (cap < d->npts + (size_t)n) cap *= 2;
        float *p = realloc(d->pts, sizeof(float) * 2 * cap);
        if (!p) {
            d->oom = 1;
            return;
        }
        d->pts = p;
        d->cappts = cap;
    }
    DrawCmd *k = push(d, CMD_LINES);
    if (!k) return;
    memcpy(d->pts + 2 * d->npts, xy, sizeof(float) * 2 * (size_t)n);
    k->pts_off = d->npts;
    k->npts = n;
    k->c = c;
    d->npts += (size_t)n;
}

void draw_text(DrawList *d, int font, int x, int y, int w, int h, Color c, const char *s) {
    if (!s || !*s) return;
    size_t len = strlen(s) + 1;
    if (d->ntext + len > d->captext) {
        size_t cap = d->captext ? d->captext : 8192;
        while (cap < d->ntext + len) cap *= 2;
        char *p = realloc(d->text, cap);
        if (!p) {
            d->oom = 1;
            return;
        }
        d->text = p;
        d->captext = cap;
    }
    DrawCmd *k = push(d, CMD_TEXT);
    if (!k) return;
    memcpy(d->text + d->ntext, s, len);
    k->text_off = d->ntext;
    d->ntext += len;
    k->font = font;
    k->r = (Rect){x, y, w, h};
    k->c = c;
}

void draw_image(DrawList *d, int image, Rect dst, Rect src) {
    if (dst.w <= 0 || dst.h <= 0) return;
    DrawCmd *k = push(d, CMD_IMAGE);
    if (!k) return;
    k->image = image;
    k->r = dst;
    k->src = src;
}

void draw_clip(DrawList *d, Rect r) {
    DrawCmd *k = push(d, CMD_CLIP);
    if (k) k->r = r;
}

const char *drawcmd_text(const DrawList *d, const DrawCmd *c) { return d->text + c->text_off; }

const float *drawcmd_points(const DrawList *d, const DrawCmd *c) { return d->pts + 2 * c->pts_off; }

int rect_contains(Rect r, int x, int y) { return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h; }

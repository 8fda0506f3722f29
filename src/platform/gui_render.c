/* gui_render.c - the only code that turns draw commands into pixels. Text is rendered once per
 * (font, colour, string) with SDL2_ttf and kept as a texture while it keeps being drawn; images
 * are streamed into textures when the app bumps their version. */
#include "gui_render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef DIGITREC_FONTCONFIG
#include <fontconfig/fontconfig.h>
#endif

#include "common.h"

struct TextEntry {
    uint64_t hash;           /* 0 = empty slot */
    int font;
    uint32_t color;
    char *s;
    SDL_Texture *tex;
    int w, h;
    unsigned long used;      /* frame last drawn */
};



/* Font lookup: the system's DejaVu through fontconfig first, then the bundled copy in
 * assets_dir/fonts, then whatever fontconfig substitutes (any font beats no window). */
typedef struct {
    const char *file;   /* the bundled file's name */
    const char *family; /* its family, as fontconfig names it */
    int bold;
} FontFace;

#ifdef DIGITREC_FONTCONFIG
/* Writes the file fontconfig matches for the face into out. exact: only when the match is that
 * family (and bold when asked), since fontconfig always answers with something. Returns 1 found. */
static int fc_find(const FontFace *face, int exact, char *out, size_t n) {
    FcPattern *pat = FcPatternCreate();
    if (!pat) return 0;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)face->family);
    FcPatternAddInteger(pat, FC_WEIGHT, face->bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pat, FC_SLANT, FC_SLANT_ROMAN);
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *m = FcFontMatch(NULL, pat, &res);
    FcPatternDestroy(pat);
    if (!m) return 0;
    FcChar8 *file = NULL, *family = NULL;
    int weight = 0, ok = FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch && file;
    if (ok && exact) {
        ok = FcPatternGetString(m, FC_FAMILY, 0, &family) == FcResultMatch && family &&
             strcasecmp((const char *)family, face->family) == 0;
        if (ok && face->bold)
            ok = FcPatternGetInteger(m, FC_WEIGHT, 0, &weight) == FcResultMatch && weight >= FC_WEIGHT_BOLD;
    }
    if (ok) snprintf(out, n, "%s", (const char *)file);
    FcPatternDestroy(m);
    return ok;
}
#endif

/* Appends one tried place to the list in the error message. */
static void tried_add(char *tried, size_t n, const char *what) {
    size_t l = strlen(tried);
    if (l + 4 < n) snprintf(tried + l, n - l, "%s%.300s", l ? ", " : "", what);
}

static TTF_Font *open_font(const char *assets_dir, const FontFace *face, char *tried, size_t n, int px) {
    char path[1200];
    TTF_Font *f;
#ifdef DIGITREC_FONTCONFIG
    if (fc_find(face, 1, path, sizeof path) && (f = TTF_OpenFont(path, px))) return f;
    tried_add(tried, n, face->family);
#endif
    if (assets_dir) {
        snprintf(path, sizeof path, "%s/fonts/%s", assets_dir, face->file);
        if ((f = TTF_OpenFont(path, px))) return f;
        tried_add(tried, n, path);
    }
#ifdef DIGITREC_FONTCONFIG
    if (fc_find(face, 0, path, sizeof path) && (f = TTF_OpenFont(path, px))) return f;
#else
    snprintf(path, sizeof path, "/usr/share/fonts/truetype/dejavu/%s", face->file); /* Debian's fonts-dejavu-core */
    if ((f = TTF_OpenFont(path, px))) return f;
    tried_add(tried, n, path);
#endif
    return NULL;
}

int gui_render_init(GuiRender *g, SDL_Renderer *ren, const char *assets_dir, float scale, char *err) {
    memset(g, 0, sizeof *g);
    g->ren = ren;
    g->scale = scale >= 0.5f && scale <= 4 ? scale : 1;
    SDL_RenderSetScale(ren, g->scale, g->scale);
    static const FontFace SANS = {"DejaVuSans.ttf", "DejaVu Sans", 0}, BOLD = {"DejaVuSans-Bold.ttf", "DejaVu Sans", 1},
                          MONO = {"DejaVuSansMono.ttf", "DejaVu Sans Mono", 0};
    static const FontFace *const by_face[3] = {&SANS, &BOLD, &MONO};
    char tried[1024] = "";
    for (int i = 0; i < FONT_COUNT; i++) {
        g->font[i] = open_font(assets_dir, by_face[FONT_FACE[i]], tried, sizeof tried, (int)(FONT_PX[i] * g->scale + 0.5f));
        if (!g->font[i]) g->font[i] = open_font(assets_dir, &SANS, tried, sizeof tried, (int)(FONT_PX[i] * g->scale + 0.5f));
        if (!g->font[i]) {
            gui_render_free(g);
            return err_set(err, "no font: the window needs DejaVu Sans (apt-get install fonts-dejavu-core); tried %.160s",
                           tried);
        }
    }
    g->cache_cap = 4096;
    g->cache = calloc((size_t)g->cache_cap, sizeof(TextEntry));
    if (!g->cache) {
        gui_render_free(g);
        return err_set(err, "out of memory");
    }
    return 0;
}

static void cache_drop(TextEntry *e) {
    if (e->tex) SDL_DestroyTexture(e->tex);
    free(e->s);
    memset(e, 0, sizeof *e);
}

void gui_render_free(GuiRender *g) {
    for (int i = 0; i < g->cache_cap && g->cache; i++)
        if (g->cache[i].hash) cache_drop(&g->cache[i]);
    free(g->cache);
    for (int i = 0; i < IMG_COUNT; i++)
        if (g->tex[i]) SDL_DestroyTexture(g->tex[i]);
    for (int i = 0; i < FONT_COUNT; i++)
        if (g->font[i]) TTF_CloseFont(g->font[i]);
    memset(g, 0, sizeof *g);
}

void gui_render_retarget(GuiRender *g, SDL_Renderer *ren) {
    /* the textures belonged to the old renderer, which is destroyed: forget them */
    for (int i = 0; i < g->cache_cap && g->cache; i++)
        if (g->cache[i].hash) {
            free(g->cache[i].s);
            memset(&g->cache[i], 0, sizeof g->cache[i]);
        }
    g->cache_n = 0;
    memset(g->tex, 0, sizeof g->tex);
    memset(g->tex_ver, 0, sizeof g->tex_ver);
    g->ren = ren;
    SDL_RenderSetScale(ren, g->scale, g->scale);
    g->nregions = 0;
}

int gui_text_width(void *ud, int font, const char *s) {
    GuiRender *g = ud;
    int w = 0, h = 0;
    if (!s || !*s || TTF_SizeUTF8(g->font[font], s, &w, &h) != 0) return 0;
    return (int)ceilf((float)w / g->scale);
}

int gui_font_height(void *ud, int font) {
    GuiRender *g = ud;
    return (int)ceilf((float)TTF_FontHeight(g->font[font]) / g->scale);
}

static uint64_t hash_text(int font, uint32_t color, const char *s) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)font * 0x9E3779B97F4A7C15ull ^ color;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

/* Rebuilds the table without entries unused for a while (linear probing cannot delete in place). */
static void cache_sweep(GuiRender *g) {
    TextEntry *old = g->cache;
    TextEntry *fresh = calloc((size_t)g->cache_cap, sizeof(TextEntry));
    if (!fresh) return;
    g->cache = fresh;
    g->cache_n = 0;
    for (int i = 0; i < g->cache_cap; i++) {
        TextEntry *e = &old[i];
        if (!e->hash) continue;
        if (g->frame - e->used > 30) {
            cache_drop(e);
            continue;
        }
        int j = (int)(e->hash % (uint64_t)g->cache_cap);
        while (fresh[j].hash) j = (j + 1) % g->cache_cap;
        fresh[j] = *e;
        g->cache_n++;
    }
    free(old);
}

static TextEntry *text_get(GuiRender *g, int font, SDL_Color c, const char *s) {
    uint32_t col = (uint32_t)c.r | (uint32_t)c.g << 8 | (uint32_t)c.b << 16 | (uint32_t)c.a << 24;
    uint64_t h = hash_text(font, col, s);
    int j = (int)(h % (uint64_t)g->cache_cap);
    while (g->cache[j].hash) {
        TextEntry *e = &g->cache[j];
        if (e->hash == h && e->font == font && e->color == col && strcmp(e->s, s) == 0) return e;
        j = (j + 1) % g->cache_cap;
    }
    if (g->cache_n > g->cache_cap * 3 / 4) return NULL; /* full until the next sweep */
    SDL_Surface *surf = TTF_RenderUTF8_Blended(g->font[font], s, c);
    if (!surf) return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(g->ren, surf);
    int w = surf->w, hh = surf->h;
    SDL_FreeSurface(surf);
    if (!tex) return NULL;
    char *dup = malloc(strlen(s) + 1);
    if (!dup) {
        SDL_DestroyTexture(tex);
        return NULL;
    }
    strcpy(dup, s);
    TextEntry *e = &g->cache[j];
    e->hash = h, e->font = font, e->color = col, e->s = dup, e->tex = tex, e->w = w, e->h = hh;
    g->cache_n++;
    return e;
}

static void upload_images(GuiRender *g, const App *a) {
    for (int i = 0; i < IMG_COUNT; i++) {
        const AppImage *im = &a->img[i];
        if (!im->rgba || g->tex_ver[i] == im->version) continue;
        if (!g->tex[i] || g->tex_w[i] != im->w || g->tex_h[i] != im->h) {
            if (g->tex[i]) SDL_DestroyTexture(g->tex[i]);
            g->tex[i] = SDL_CreateTexture(g->ren, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING, im->w, im->h);
            if (!g->tex[i]) continue;
            g->tex_w[i] = im->w, g->tex_h[i] = im->h;
            SDL_SetTextureScaleMode(g->tex[i], im->smooth ? SDL_ScaleModeLinear : SDL_ScaleModeNearest);
        }
        /* overlays have alpha; an opaque image is copied without blending, which costs a software
           renderer most of the blit */
        int opaque = 1;
        for (size_t p = 3; p < (size_t)im->w * im->h * 4 && opaque; p += 4) opaque = im->rgba[p] == 255;
        SDL_SetTextureBlendMode(g->tex[i], opaque ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
        SDL_UpdateTexture(g->tex[i], NULL, im->rgba, im->w * 4);
        g->tex_ver[i] = im->version;
    }
}

/* Where a command draws, in app pixels (w = 0: nowhere). */
static Rect cmd_box(const DrawList *d, const DrawCmd *c) {
    switch (c->type) {
    case CMD_LINE: {
        int x0 = c->x0 < c->x1 ? c->x0 : c->x1, y0 = c->y0 < c->y1 ? c->y0 : c->y1;
        return (Rect){x0, y0, abs(c->x1 - c->x0) + 1, abs(c->y1 - c->y0) + 1};
    }
    case CMD_LINES: {
        const float *p = drawcmd_points(d, c);
        float lo_x = 1e9f, lo_y = 1e9f, hi_x = -1e9f, hi_y = -1e9f;
        for (int i = 0; i < c->npts; i++) {
            lo_x = fminf(lo_x, p[2 * i]), hi_x = fmaxf(hi_x, p[2 * i]);
            lo_y = fminf(lo_y, p[2 * i + 1]), hi_y = fmaxf(hi_y, p[2 * i + 1]);
        }
        if (c->npts == 0 || !(hi_x >= lo_x)) return (Rect){0, 0, 0, 0};
        return (Rect){(int)floorf(lo_x) - 1, (int)floorf(lo_y) - 1, (int)(hi_x - lo_x) + 3, (int)(hi_y - lo_y) + 3};
    }
    case CMD_CLIP: return (Rect){0, 0, 0, 0};
    default: return c->r;
    }
}

static int rect_inside(Rect in, Rect out) {
    return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w && in.y + in.h <= out.y + out.h;
}

static int rect_meets(Rect p, Rect q) { return p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h; }

static Rect rect_and(Rect p, Rect q) {
    int x0 = p.x > q.x ? p.x : q.x, y0 = p.y > q.y ? p.y : q.y;
    int x1 = p.x + p.w < q.x + q.w ? p.x + p.w : q.x + q.w, y1 = p.y + p.h < q.y + q.h ? p.y + p.h : q.y + q.h;
    return x1 > x0 && y1 > y0 ? (Rect){x0, y0, x1 - x0, y1 - y0} : (Rect){0, 0, 0, 0};
}

/* FNV-1a over n bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* What one command draws, as a number: its fields, its text or points, its image's version. */
static uint64_t cmd_hash(const GuiRender *g, const App *a, const DrawCmd *c) {
    const DrawList *d = &a->dl;
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, &c->type, sizeof c->type);
    h = fnv(h, &c->r, sizeof c->r);
    h = fnv(h, &c->c, sizeof c->c);
    if (c->type == CMD_LINE) h = fnv(h, &c->x0, 4 * sizeof c->x0);
    if (c->type == CMD_TEXT) {
        const char *t = drawcmd_text(d, c);
        h = fnv(h, &c->font, sizeof c->font);
        h = fnv(h, t, strlen(t));
    }
    if (c->type == CMD_LINES) h = fnv(h, drawcmd_points(d, c), sizeof(float) * 2 * (size_t)c->npts);
    if (c->type == CMD_IMAGE && c->image >= 0 && c->image < IMG_COUNT) {
        h = fnv(h, &c->src, sizeof c->src);
        h = fnv(h, &a->img[c->image].version, sizeof a->img[c->image].version);
        (void)g;
    }
    return h;
}

/* Draws the commands that reach clip (NULL: all of them) with the renderer's clip set to it. */
static void draw_commands(GuiRender *g, App *a, const Rect *clip) {
    SDL_Renderer *r = g->ren;
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_Rect cr0 = clip ? (SDL_Rect){clip->x, clip->y, clip->w, clip->h} : (SDL_Rect){0, 0, 0, 0};
    SDL_RenderSetClipRect(r, clip ? &cr0 : NULL);
    const DrawList *d = &a->dl;
    Rect cur = clip ? *clip : (Rect){0, 0, a->w, a->h}; /* the command list's clip, within ours */
    for (int i = 0; i < d->n; i++) {
        const DrawCmd *c = &d->cmds[i];
        SDL_Rect rr = {c->r.x, c->r.y, c->r.w, c->r.h};
        if (c->type == CMD_CLIP) {
            Rect want = c->r.w > 0 ? c->r : (Rect){0, 0, a->w, a->h};
            cur = clip ? rect_and(want, *clip) : want;
            SDL_Rect cr = {cur.x, cur.y, cur.w, cur.h};
            if (cur.w > 0)
                SDL_RenderSetClipRect(r, clip || c->r.w > 0 ? &cr : NULL);
            continue;
        }
        if (cur.w <= 0) continue;
        if (clip && !rect_meets(cmd_box(d, c), *clip)) continue;
        switch (c->type) {
        case CMD_RECT:
            SDL_SetRenderDrawColor(r, c->c.r, c->c.g, c->c.b, c->c.a);
            SDL_RenderFillRect(r, &rr);
            break;
        case CMD_FRAME:
            SDL_SetRenderDrawColor(r, c->c.r, c->c.g, c->c.b, c->c.a);
            SDL_RenderDrawRect(r, &rr);
            break;
        case CMD_LINE:
            SDL_SetRenderDrawColor(r, c->c.r, c->c.g, c->c.b, c->c.a);
            SDL_RenderDrawLine(r, c->x0, c->y0, c->x1, c->y1);
            break;
        case CMD_LINES:
            SDL_SetRenderDrawColor(r, c->c.r, c->c.g, c->c.b, c->c.a);
            /* (x, y) float pairs have SDL_FPoint's layout */
            SDL_RenderDrawLinesF(r, (const SDL_FPoint *)drawcmd_points(d, c), c->npts);
            break;
        case CMD_TEXT: {
            SDL_Color col = {c->c.r, c->c.g, c->c.b, c->c.a};
            TextEntry *e = text_get(g, c->font, col, drawcmd_text(d, c));
            if (!e) break;
            e->used = g->frame;
            /* the texture has the font's physical size: drawn 1:1 under the renderer's scale */
            SDL_FRect dst = {(float)c->r.x, (float)c->r.y, (float)e->w / g->scale, (float)e->h / g->scale};
            SDL_RenderCopyF(r, e->tex, NULL, &dst);
            break;
        }
        case CMD_IMAGE: {
            if (c->image < 0 || c->image >= IMG_COUNT || !g->tex[c->image]) break;
            SDL_Rect src = {c->src.x, c->src.y, c->src.w, c->src.h};
            SDL_RenderCopy(r, g->tex[c->image], c->src.w ? &src : NULL, &rr);
            break;
        }
        case CMD_CLIP: break;
        }
    }
    SDL_RenderSetClipRect(r, NULL);
}

static void frame_begin(GuiRender *g, App *a) {
    g->frame++;
    if (g->cache_n > g->cache_cap / 2 || g->frame % 600 == 0) cache_sweep(g);
    upload_images(g, a);
}

void gui_render_frame(GuiRender *g, App *a) {
    frame_begin(g, a);
    draw_commands(g, a, NULL);
    g->nregions = 0; /* the next partial frame starts from scratch */
}

int gui_render_changed(GuiRender *g, App *a, SDL_Rect *dirty) {
    Rect reg[GUI_MAX_REGIONS];
    int n = app_regions(a, reg, GUI_MAX_REGIONS);
    uint64_t hash[GUI_MAX_REGIONS], rest = 1469598103934665603ull;
    for (int k = 0; k < n; k++) hash[k] = 1469598103934665603ull;
    const DrawList *d = &a->dl;
    Rect clip = {0, 0, a->w, a->h};
    for (int i = 0; i < d->n; i++) {
        const DrawCmd *c = &d->cmds[i];
        if (c->type == CMD_CLIP) {
            clip = c->r.w > 0 ? c->r : (Rect){0, 0, a->w, a->h};
            continue;
        }
        Rect box = rect_and(cmd_box(d, c), clip);
        if (box.w <= 0) continue;
        uint64_t h = cmd_hash(g, a, c);
        int k = 0;
        while (k < n && !rect_inside(box, reg[k])) k++;
        if (k < n)
            hash[k] = fnv(hash[k], &h, sizeof h);
        else
            rest = fnv(rest, &h, sizeof h); /* spans regions (the background, a dialog): all of them */
    }
    int full = g->nregions != n || g->drawn_w != a->w || g->drawn_h != a->h || rest != g->rest_hash ||
               memcmp(reg, g->region, sizeof(Rect) * (size_t)n) != 0;
    frame_begin(g, a);
    int nd = 0;
    float s = g->scale;
    if (full) {
        draw_commands(g, a, NULL);
        dirty[nd++] = (SDL_Rect){0, 0, (int)ceilf(a->w * s), (int)ceilf(a->h * s)};
    } else {
        for (int k = 0; k < n; k++) {
            if (hash[k] == g->region_hash[k]) continue;
            draw_commands(g, a, &reg[k]);
            dirty[nd++] = (SDL_Rect){(int)floorf(reg[k].x * s), (int)floorf(reg[k].y * s), (int)ceilf(reg[k].w * s),
                                     (int)ceilf(reg[k].h * s)};
        }
    }
    memcpy(g->region, reg, sizeof(Rect) * (size_t)n);
    memcpy(g->region_hash, hash, sizeof(uint64_t) * (size_t)n);
    g->rest_hash = rest;
    g->nregions = n;
    g->drawn_w = a->w, g->drawn_h = a->h;
    return nd;
}

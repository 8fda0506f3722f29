/* gui_render.c - the only code that turns draw commands into pixels. Text is rendered once per
 * (font, colour, string) with SDL2_ttf and kept as a texture while it keeps being drawn; images
 * are streamed into textures when the app bumps their version. */
#include "gui_render.h"

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

int gui_render_init(GuiRender *g, SDL_Renderer *ren, const char *assets_dir, char *err) {
    memset(g, 0, sizeof *g);
    g->ren = ren;
    static const FontFace SANS = {"DejaVuSans.ttf", "DejaVu Sans", 0}, BOLD = {"DejaVuSans-Bold.ttf", "DejaVu Sans", 1},
                          MONO = {"DejaVuSansMono.ttf", "DejaVu Sans Mono", 0};
    static const FontFace *const by_face[3] = {&SANS, &BOLD, &MONO};
    char tried[1024] = "";
    for (int i = 0; i < FONT_COUNT; i++) {
        g->font[i] = open_font(assets_dir, by_face[FONT_FACE[i]], tried, sizeof tried, FONT_PX[i]);
        if (!g->font[i]) g->font[i] = open_font(assets_dir, &SANS, tried, sizeof tried, FONT_PX[i]);
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

int gui_text_width(void *ud, int font, const char *s) {
    GuiRender *g = ud;
    int w = 0, h = 0;
    if (!s || !*s || TTF_SizeUTF8(g->font[font], s, &w, &h) != 0) return 0;
    return w;
}

int gui_font_height(void *ud, int font) {
    GuiRender *g = ud;
    return TTF_FontHeight(g->font[font]);
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
            SDL_SetTextureBlendMode(g->tex[i], SDL_BLENDMODE_BLEND); /* overlays have alpha; opaque images are 255 */
        }
        SDL_UpdateTexture(g->tex[i], NULL, im->rgba, im->w * 4);
        g->tex_ver[i] = im->version;
    }
}

void gui_render_frame(GuiRender *g, App *a) {
    g->frame++;
    if (g->cache_n > g->cache_cap / 2 || g->frame % 600 == 0) cache_sweep(g);
    upload_images(g, a);
    SDL_Renderer *r = g->ren;
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_RenderSetClipRect(r, NULL);
    const DrawList *d = &a->dl;
    for (int i = 0; i < d->n; i++) {
        const DrawCmd *c = &d->cmds[i];
        SDL_Rect rr = {c->r.x, c->r.y, c->r.w, c->r.h};
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
            SDL_Rect dst = {c->r.x, c->r.y, e->w, e->h};
            SDL_RenderCopy(r, e->tex, NULL, &dst);
            break;
        }
        case CMD_IMAGE: {
            if (c->image < 0 || c->image >= IMG_COUNT || !g->tex[c->image]) break;
            SDL_Rect src = {c->src.x, c->src.y, c->src.w, c->src.h};
            SDL_RenderCopy(r, g->tex[c->image], c->src.w ? &src : NULL, &rr);
            break;
        }
        case CMD_CLIP:
            SDL_RenderSetClipRect(r, c->r.w > 0 ? &rr : NULL);
            break;
        }
    }
    SDL_RenderSetClipRect(r, NULL);
}

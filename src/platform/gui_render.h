/* gui_render.h - renders an App draw list with an SDL_Renderer: fonts, a text-texture cache
 * and one texture per app image (re-uploaded only when its version changes). Main thread only. */
#ifndef DIGITREC_GUI_RENDER_H
#define DIGITREC_GUI_RENDER_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "app.h"

typedef struct TextEntry TextEntry;

#define GUI_MAX_REGIONS 16

typedef struct {
    SDL_Renderer *ren;
    float scale;             /* physical pixels per app pixel (the UI scale) */
    TTF_Font *font[FONT_COUNT];
    SDL_Texture *tex[IMG_COUNT];
    unsigned long tex_ver[IMG_COUNT];
    int tex_w[IMG_COUNT], tex_h[IMG_COUNT];
    TextEntry *cache;        /* open-addressed table of rendered strings */
    int cache_cap, cache_n;
    unsigned long frame;
    /* what the last frame drew, per region of the window (app_regions) and for the rest */
    Rect region[GUI_MAX_REGIONS];
    uint64_t region_hash[GUI_MAX_REGIONS], rest_hash;
    int nregions, drawn_w, drawn_h; /* nregions 0: nothing drawn yet */
} GuiRender;

/* Opens the fonts at scale times their size: DejaVu Sans, Sans Bold and Sans Mono as fontconfig
 * finds them on the system, else the bundled files in assets_dir/fonts (assets_dir may be NULL),
 * else fontconfig's nearest substitute. Draws in app pixels (the renderer scales by scale).
 * Returns 0, or -1 with err saying what was tried. */
int gui_render_init(GuiRender *g, SDL_Renderer *ren, const char *assets_dir, float scale, char *err);
void gui_render_free(GuiRender *g);
/* Moves g to a new renderer (the old one is gone: a resized window's new surface): its textures
 * are dropped, to be made again as needed; the fonts stay. */
void gui_render_retarget(GuiRender *g, SDL_Renderer *ren);
/* Text metric callbacks for app_set_text_metrics (ud = GuiRender*), in app pixels. */
int gui_text_width(void *ud, int font, const char *s);
int gui_font_height(void *ud, int font);
/* Draws all of a->dl, uploading changed images first. Does not present. */
void gui_render_frame(GuiRender *g, App *a);
/* Draws only the regions of the window (app_regions) whose draw commands changed since the last
 * call (everything when the window's size, the regions or anything spanning them changed), and
 * writes into dirty (physical pixels, up to GUI_MAX_REGIONS) what must be shown. Returns how many
 * rectangles: 0 when nothing changed (nothing was drawn). */
int gui_render_changed(GuiRender *g, App *a, SDL_Rect *dirty);

#endif

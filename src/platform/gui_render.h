/* gui_render.h - renders an App draw list with an SDL_Renderer: fonts, a text-texture cache
 * and one texture per app image (re-uploaded only when its version changes). Main thread only. */
#ifndef DIGITREC_GUI_RENDER_H
#define DIGITREC_GUI_RENDER_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "app.h"

typedef struct TextEntry TextEntry;

typedef struct {
    SDL_Renderer *ren;
    TTF_Font *font[FONT_COUNT];
    SDL_Texture *tex[IMG_COUNT];
    unsigned long tex_ver[IMG_COUNT];
    int tex_w[IMG_COUNT], tex_h[IMG_COUNT];
    TextEntry *cache;        /* open-addressed table of rendered strings */
    int cache_cap, cache_n;
    unsigned long frame;
} GuiRender;

/* Opens the fonts: DejaVu Sans, Sans Bold and Sans Mono as fontconfig finds them on the system,
 * else the bundled files in assets_dir/fonts (assets_dir may be NULL), else fontconfig's nearest
 * substitute. Returns 0, or -1 with err saying what was tried. */
int gui_render_init(GuiRender *g, SDL_Renderer *ren, const char *assets_dir, char *err);
void gui_render_free(GuiRender *g);
/* Text metric callbacks for app_set_text_metrics (ud = GuiRender*). */
int gui_text_width(void *ud, int font, const char *s);
int gui_font_height(void *ud, int font);
/* Draws a->dl, uploading changed images first. Does not present. */
void gui_render_frame(GuiRender *g, App *a);

#endif

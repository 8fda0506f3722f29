/* gui_export.c - PNG export: app images are wrapped as SDL surfaces (scaled up with nearest
 * neighbours where their pixels are the point), the curves and the window are drawn again by a
 * software renderer on an off-screen surface from the app's last draw list. */
#include "gui_export.h"

#include <SDL.h>
#include <SDL_image.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "gui_render.h"

/* IMG_SavePNG into a temp file beside path, fsync it, rename it over path. */
static int save_png_atomic(SDL_Surface *s, const char *path, char *err) {
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (IMG_SavePNG(s, tmp) != 0) {
        unlink(tmp);
        return err_set(err, "%s: %s", path, IMG_GetError());
    }
    int fd = open(tmp, O_RDONLY);
    int ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!ok || rename(tmp, path) != 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Saves an app image scaled by k (nearest neighbour). Returns 1 written, 0 nothing to write, -1 error. */
static int save_image(const AppImage *im, int k, const char *prefix, const char *suffix, char *err) {
    if (!im->rgba || im->w <= 0 || im->h <= 0) return 0;
    SDL_Surface *src = SDL_CreateRGBSurfaceWithFormatFrom(im->rgba, im->w, im->h, 32, im->w * 4, SDL_PIXELFORMAT_RGBA32);
    SDL_Surface *dst = src ? SDL_CreateRGBSurfaceWithFormat(0, im->w * k, im->h * k, 32, SDL_PIXELFORMAT_RGBA32) : NULL;
    int rc = -1;
    char path[1100];
    snprintf(path, sizeof path, "%s%s", prefix, suffix);
    if (!dst) {
        err_set(err, "%s: %s", path, SDL_GetError());
    } else {
        SDL_SetSurfaceBlendMode(src, SDL_BLENDMODE_NONE);
        if (SDL_BlitScaled(src, NULL, dst, NULL) != 0)
            err_set(err, "%s: %s", path, SDL_GetError());
        else
            rc = save_png_atomic(dst, path, err) == 0 ? 1 : -1;
    }
    if (dst) SDL_FreeSurface(dst);
    if (src) SDL_FreeSurface(src);
    return rc;
}

/* The smallest rect holding both. */
static SDL_Rect span(Rect a, Rect b) {
    int x0 = a.x < b.x ? a.x : b.x, y0 = a.y < b.y ? a.y : b.y;
    int x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w, y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;
    return (SDL_Rect){x0, y0, x1 - x0, y1 - y0};
}

/* Renders the app's last draw list off screen; saves the curves' region and the whole window. */
static int save_render(App *a, const char *assets, const char *prefix, char *err) {
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, a->w, a->h, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    if (!ren) {
        if (surf) SDL_FreeSurface(surf);
        return err_set(err, "off-screen renderer: %s", SDL_GetError());
    }
    GuiRender g;
    if (gui_render_init(&g, ren, assets, 1, err) != 0) {
        SDL_DestroyRenderer(ren);
        SDL_FreeSurface(surf);
        return -1;
    }
    SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
    SDL_RenderClear(ren);
    gui_render_frame(&g, a);
    SDL_RenderPresent(ren);
    int n = 0;
    char path[1100];
    SDL_Rect cr = span(a->lay.loss_plot, a->lay.acc_plot);
    SDL_Surface *crop = SDL_CreateRGBSurfaceWithFormat(0, cr.w, cr.h, 32, SDL_PIXELFORMAT_RGBA32);
    if (!crop) {
        err_set(err, "curves: %s", SDL_GetError());
        n = -1;
    } else {
        SDL_SetSurfaceBlendMode(surf, SDL_BLENDMODE_NONE);
        SDL_BlitSurface(surf, &cr, crop, NULL);
        snprintf(path, sizeof path, "%s-curves.png", prefix);
        n = save_png_atomic(crop, path, err) == 0 ? 1 : -1;
        SDL_FreeSurface(crop);
    }
    if (n > 0) {
        snprintf(path, sizeof path, "%s-window.png", prefix);
        n = save_png_atomic(surf, path, err) == 0 ? 2 : -1;
    }
    gui_render_free(&g);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    return n;
}

int gui_export_pngs(void *ud, App *a, const char *prefix, char *err) {
    const char *assets = ud;
    int n = 0, k;
    if ((k = save_image(&a->img[IMG_CANVAS], 1, prefix, "-canvas.png", err)) < 0) return -1;
    n += k;
    if ((k = save_image(&a->img[IMG_PREVIEW], 10, prefix, "-input.png", err)) < 0) return -1;
    n += k;
    if (a->snap.net.params && a->snap.net.sizes[0] == 784) {
        if ((k = save_image(&a->img[IMG_TILES], 4, prefix, "-weights.png", err)) < 0) return -1;
        n += k;
    }
    for (int l = 1; a->snap.net.params && l < a->snap.net.nlayers && IMG_LAYER1 + l - 1 < IMG_COUNT; l++) {
        char suffix[64];
        snprintf(suffix, sizeof suffix, "-layers.%d.weight.png", l);
        const AppImage *im = &a->img[IMG_LAYER1 + l - 1];
        int scale = im->w > 0 && im->w < 256 ? 4 : 2;
        if ((k = save_image(im, scale, prefix, suffix, err)) < 0) return -1;
        n += k;
    }
    if ((k = save_render(a, assets, prefix, err)) < 0) return -1;
    return n + k;
}

/* window_id.c - see window_id.h. */
#include "window_id.h"
#include <SDL_syswm.h>

unsigned long window_native_id(SDL_Window *w) {
#if defined(SDL_VIDEO_DRIVER_X11)
    SDL_SysWMinfo wm;
    SDL_VERSION(&wm.version);
    if (SDL_GetWindowWMInfo(w, &wm) && wm.subsystem == SDL_SYSWM_X11) return (unsigned long)wm.info.x11.window;
#else
    (void)w;
#endif
    return 0;
}

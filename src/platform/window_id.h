/* window_id.h - the window's id on its display server, in a file of its own because the X11
 * headers it needs define names (Screen, Window, None...) that the rest of the window code uses. */
#ifndef DIGITREC_WINDOW_ID_H
#define DIGITREC_WINDOW_ID_H
#include <SDL.h>

/* The X11 window id of w, or 0 on any other video driver. The trace gives it so that scripts
 * driving the window need not search the server's windows by name. */
unsigned long window_native_id(SDL_Window *w);

#endif

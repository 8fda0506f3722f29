/* window.h - the SDL window: the program's main loop when digitrec opens its window. */
#ifndef DIGITREC_WINDOW_H
#define DIGITREC_WINDOW_H

#include "startup.h"

/* Opens the window (or, with o->screenshot, renders one frame to a PNG) and runs it until the
 * user quits. Returns the process exit status: 0, or 1 with a one-line message on stderr. */
int window_main(const WindowOptions *o);

#endif

/* gui_export.h - the window's pictures as PNG files (SDL2_image): the canvas and the network's
 * input, the weight heatmaps, the loss and accuracy curves and the whole window. Installed as the
 * App's exporter; runs on the main thread. */
#ifndef DIGITREC_GUI_EXPORT_H
#define DIGITREC_GUI_EXPORT_H

#include "app.h"

/* ExportFn for app->exporter; ud is the assets folder (const char *, for the fonts of the
 * off-screen render). Writes prefix-canvas.png, -input.png, -weights.png (first layer, 4x),
 * -layers.N.weight.png (deeper layers), -curves.png and -window.png, each atomically (temp
 * file in the same folder, fsync, rename). Returns the number of files, or -1 with err. */
int gui_export_pngs(void *ud, App *a, const char *prefix, char *err);

#endif

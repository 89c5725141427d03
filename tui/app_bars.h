/* The status bar and the footer, drawn by app_draw() (tui/app_bars.c). */
#ifndef KASSA_APP_BARS_H
#define KASSA_APP_BARS_H

#include "app.h"

/* Mode, offline, profile, printer, shift, outbox, listener and the clock, in app->w_status. */
void app_draw_status(struct app *app);
/* The top screen's keys (or a question's), in app->w_footer. */
void app_draw_footer(struct app *app);
/* The key map section for keys now: the top view's name, or "generic". */
const char *app_key_view(const struct app *app);

#endif

/*
 * The cashier's screen as kassa runs it: the table of views and the hooks
 * that plug the scanner, the saved basket and the status pane into the app
 * (tui/screen.c). app_main_with() (app.h) uses them.
 */
#ifndef KASSA_SCREEN_H
#define KASSA_SCREEN_H

#include "app.h"

extern const struct app_hooks screen_hooks;

#endif

/*
 * The cashier's screen without a terminal: curses runs on a /dev/null
 * pair at a chosen size, the app draws as it would before an update, and
 * the composed screen is read back cell by cell as text. Views get
 * golden-text tests from it (tests/tui/test_views_golden.c).
 */
#ifndef KASSA_APP_DUMP_H
#define KASSA_APP_DUMP_H

#include <stddef.h>

#include "app.h"

struct app_dump;

/*
 * Starts a headless curses screen of rows x cols for app (no initscr(),
 * nothing written anywhere) and lays the app's windows out on it. NULL,
 * with err filled, when curses cannot start (no terminfo entry).
 */
struct app_dump *app_dump_open(struct app *app, int rows, int cols, struct kerr *err);
/* Ends the headless screen; the app keeps its state. */
void app_dump_close(struct app_dump *d);
/*
 * Draws the whole screen (status bar, the top view, message, input line,
 * footer) and writes it into buf as UTF-8, one line per row ending in
 * '\n', spaces at the ends of lines cut. Returns the bytes written (cut
 * to fit n, always terminated).
 */
size_t app_dump_text(struct app_dump *d, char *buf, size_t n);

#endif

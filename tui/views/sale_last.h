/*
 * The sale screen's view of where things stand (tui/views/sale_last.c):
 * the last sale's TOTAL and CHANGE (PAY BACK) in large digits until the
 * next sale starts, and the last document's state, live.
 */
#ifndef KASSA_VIEWS_SALE_LAST_H
#define KASSA_VIEWS_SALE_LAST_H

#include "app.h"

/* Draws the last sale's panel from row y (at most rows rows); returns the rows used (0: none). */
int sale_last_draw_panel(struct app *app, WINDOW *w, int y, int rows, int cols);
/* Draws the last document's line (number, kind, amount, state) at row y. */
void sale_last_draw_line(struct app *app, WINDOW *w, int y, int cols);

#endif

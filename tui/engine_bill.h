/*
 * The bill engine behind the screen (lib/bill.h): started with the outbox,
 * stopped before it; the newest transaction notifications for the status
 * pane and F9, re-read when a bill or the journal changes.
 */
#ifndef KASSA_ENGINE_BILL_H
#define KASSA_ENGINE_BILL_H

#include <stdbool.h>

#include "bill.h"
#include "engine.h"

#define ENGINE_TX_MAX 8

/* Starts the bill engine for e's profile (LIFE PAY only; none for PayKeeper). */
void engine_bills_start(struct engine *e);
/* Stops it (before the outbox goes). */
void engine_bills_stop(struct engine *e);
/* The running bill engine, or NULL (no engine, PayKeeper). */
struct bills *engine_bills(struct engine *e);
/* The newest notifications, newest first, into out; returns how many. */
size_t engine_bill_tx(struct engine *e, struct journal_tx *out, size_t max);
/* "card payment 1,250.00 success, confirmed" for a pane or list row. */
void engine_bill_tx_text(struct app *app, const struct journal_tx *t, char *buf, size_t n);

/* Rows the notification block takes (a title and up to max_rows - 1), 0 = none. */
int engine_bill_tx_rows(struct engine *e, int max_rows);
/* Draws the newest notifications at y (status pane, F9); returns the rows used. */
int engine_bill_tx_draw(struct app *app, WINDOW *w, int y, int x, int cols, int max_rows);

#endif

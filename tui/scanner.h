/*
 * Barcode scanners at the till and the catalog they scan into.
 *
 * Every key the terminal gives passes through scanner_feed() (tui/app.c's
 * key reader) while lib/scan.h decides whether the keys are a scanner's
 * burst ending in Enter. Typing is never delayed: a character key that only
 * types into the input line is shown at once, and the line's text and
 * cursor as they were before the burst's first key are remembered. Keys
 * that would do more (a bound action, a question asked, a control key) wait
 * until the burst is decided, as do the keys after them. A burst whose code
 * is in the catalog is a scan, wherever the cursor is: its keys are taken
 * back off the line (a quantity half typed stays as it was, cursor
 * included) and the item goes into the basket on the sale screen. Any other
 * burst stays as typed (scripts, fast typists), unless the cashier had
 * already typed something: then an unknown code is reported and taken back
 * so that it is never appended to the line.
 *
 * The catalog is the profile's `catalog` CSV file when it is set (bad rows
 * reported once on the message line; the settings screen lists them all),
 * else the demo catalog.
 */
#ifndef KASSA_SCANNER_H
#define KASSA_SCANNER_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* How a key that is not a scan reaches the screen (tui/app.c's dispatch). */
typedef void (*scanner_dispatch_fn)(struct app *app, int key);

/*
 * Starts watching keys for app and loads the catalog. KASSA_SCANNER=off
 * switches scan detection off (every key passes straight on);
 * KASSA_SCANNER_GAP_MS sets the largest gap between a burst's keys
 * (default 30).
 */
void scanner_start(struct app *app, scanner_dispatch_fn dispatch);
/* Stops: held keys are dropped, the timer cancelled, catalogs freed. */
void scanner_stop(struct app *app);
/* Takes one key; false when scanning is off (the caller dispatches it). */
bool scanner_feed(struct app *app, int key);
/* Loads the engine profile's catalog again (after a profile switch). */
void scanner_catalog_reload(struct app *app);
/*
 * A scanned code, as if the scanner had sent it: looked up (layout mapped,
 * marking codes by their GTIN) and added on the sale screen. Returns true
 * when an item was found.
 */
bool scanner_take_code(struct app *app, const char *code);

/*
 * Adds it to the basket as one piece, the new line selected; code is its
 * marking code (kept on the line) or NULL. Says on the message line why
 * when it cannot (a marking code too long, a full basket).
 */
bool scanner_add_piece(struct app *app, const struct catalog_item *it, const char *code);

/* What the settings screen says about the catalog, into buf. */
void scanner_catalog_summary(char *buf, size_t n);
/* Problems of the catalog file: their number and each text ("line 7: price: ..."). */
size_t scanner_catalog_problems(void);
const char *scanner_catalog_problem(size_t i);

#endif

/*
 * Barcode scanners at the till and the catalog they scan into.
 *
 * Every key the terminal gives passes through scanner_feed() (tui/app.c's
 * key reader): character keys are held for a few milliseconds while
 * lib/scan.h decides whether they are a scanner's burst ending in Enter. A
 * burst whose code is in the catalog is a scan, wherever the cursor is: the
 * item goes into the basket on the sale screen and nothing reaches the field
 * being typed (a quantity half typed stays as it was). Any other burst is
 * handed on as typing (scripts, fast typists), unless the cashier had
 * already typed something: then an unknown code is reported and dropped so
 * that it is never appended to the line.
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
 * switches scan detection off (keys pass at once); KASSA_SCANNER_GAP_MS
 * sets the largest gap between a burst's keys (default 30).
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

/* What the settings screen says about the catalog, into buf. */
void scanner_catalog_summary(char *buf, size_t n);
/* Problems of the catalog file: their number and each text ("line 7: price: ..."). */
size_t scanner_catalog_problems(void);
const char *scanner_catalog_problem(size_t i);

#endif

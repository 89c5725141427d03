/*
 * Nothing a cashier typed is lost. The open basket (lines, discounts, the
 * pay dialog's fields) is saved in the journal whenever it changes
 * (basket_store_sync() from the loop's prepare hook, after drawing: one
 * small upsert; pay field keystrokes at most every BASKET_STORE_PAY_MS) and
 * restored at start with a message ("Basket restored: 4 lines"). Queuing
 * the basket's document deletes the saved copy in the same transaction
 * (lib/journal.h, clear_open_basket).
 *
 * A basket document the provider refuses (rejected or failed, any code) is
 * remembered: the message says which key (recall, C-r by default) brings its
 * lines back to the sale screen, rebuilt from the request the journal
 * stored, to be fixed and paid again as a new document with a new ext_id.
 * After a restart the offer stands while the newest sale in the journal is
 * a refused one.
 */
#ifndef KASSA_BASKET_STORE_H
#define KASSA_BASKET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "journal.h"

/* Pay field keystrokes are saved at most this often (the last one always). */
#define BASKET_STORE_PAY_MS 250

/* Restores the basket saved in the engine's journal; call with the sale screen pushed. */
void basket_store_start(struct app *app);
/* Saves the open basket if it changed since the last save. Cheap when it did not. */
void basket_store_sync(struct app *app);
/* The engine's journal is about to close (profile switch): its copy is dropped. */
void basket_store_detach(struct app *app);
/* Stops the timer (end of the screen). */
void basket_store_stop(struct app *app);

/* The sale screen opens the pay dialog for kind. */
void basket_store_pay_opened(int kind);
/* The pay dialog's fields as they are now (it calls this whenever they change). */
void basket_store_pay(const char *cash, const char *card);
/* The pay dialog's settlement (enum settle_kind) and the part taken now, as they are now. */
void basket_store_pay_settle(int settle, const char *now);
/* The pay dialog opens: the restored settlement and part; call before basket_store_pay_restore().
 */
bool basket_store_pay_restore_settle(int *settle, char *now, size_t n);
/* The pay dialog opens: restored amounts into cash and card (n bytes each), once. */
bool basket_store_pay_restore(char *cash, char *card, size_t n);

/* Whether doc is the open basket being paid (its queuing clears the saved copy). */
bool basket_store_owns(const struct app *app, const struct document *doc);
/* doc was just queued; when it owned the basket the saved copy is gone with it. */
void basket_store_submitted(const struct app *app, const struct document *doc);
/*
 * A document turned rejected or failed: when its lines can come back
 * (a receipt or non-fiscal receipt that is not a refund of an original),
 * it is remembered and hint gets what to tell the cashier ("C-r brings the
 * basket back"); else hint is "" and false is returned.
 */
bool basket_store_refused(struct app *app, const struct journal_doc *d, char *hint, size_t n);
/* The document whose basket the recall key brings back; 0 = none. */
int64_t basket_store_recall_pending(void);
/*
 * F7 on bill bill_id: once it is cancelled (or failed, refused), the recall
 * key brings the basket it took back; hint gets what to tell the cashier.
 */
bool basket_store_bill_cancelling(struct app *app, int64_t bill_id, char *hint, size_t n);
/* The recall key: the refused document's lines into the empty basket. Returns app flags. */
int basket_store_recall(struct app *app);

#endif

/*
 * Pay-by-link bills (LIFE PAY /v1/bill): create one for a basket's total,
 * follow it by polling /v1/bill/status at the interval LIFE PAY suggests
 * (and at once when a transaction notification names it), cancel it while
 * unpaid, and when it is paid send the basket's fiscal receipt through the
 * outbox (unless the profile says LIFE PAY prints it from invoice_data).
 * Everything runs on the loop; nothing blocks. Journal first, then the
 * request: a bill row exists before its request leaves, and a bill whose
 * request may have reached LIFE PAY without an answer is never sent again
 * by itself (state unknown, resolved by its notification or the cashier).
 */
#ifndef KASSA_BILL_H
#define KASSA_BILL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "document.h"
#include "journal.h"
#include "journal_bill.h"
#include "loop.h"
#include "outbox.h"
#include "status.h"
#include "wire/bill.h"

struct bills;

struct bills_options {
	long request_timeout_ms; /* default 30000 */
	const char *ca_file;	 /* extra CA bundle (tests); verification stays on */
	unsigned tick_ms;	 /* how often due work is looked for; default 1000 */
	/* Milliseconds one second of LIFE PAY's interval lasts (tests); default 1000. */
	unsigned time_unit_ms;
	void (*log)(void *cls, const char *line); /* never a secret; NULL = quiet */
	void *log_cls;
	void (*on_change)(void *cls, int64_t bill_id); /* a bill moved */
	void *change_cls;
};

/*
 * The bill engine for profile p (LIFE PAY only) on journal j; ob sends the
 * receipts of paid bills and gives the callback address (both outlive it).
 * Bills left in sending by a crash become unknown here.
 */
struct bills *bills_new(struct loop *l, struct journal *j, struct outbox *ob,
			const struct config_profile *p, const struct bills_options *o,
			struct kerr *err);
void bills_free(struct bills *b);

/* Where bills go: the profile's bill_url, else derived from base_url (sapi -> api). */
void bills_base_url(const struct config_profile *p, char *out, size_t n);

/*
 * Creates a bill for receipt d's basket (a payment receipt; its payment is
 * replaced by a card payment of the total) to the buyer of rq (phone or
 * e-mail, method). Checked, journaled (with clear_open_basket the screen's
 * basket leaves in the same transaction), then sent from the loop. K_EXISTS
 * with *id when this basket (d's ext_id) already has a bill.
 */
kstatus bills_create(struct bills *b, const struct document *d, struct bill_request *rq,
		     bool clear_open_basket, int64_t *id, struct kerr *err);
/* Asks LIFE PAY to cancel an unpaid bill; a bill never sent is cancelled here. */
kstatus bills_cancel(struct bills *b, int64_t id, struct kerr *err);
/*
 * Refunds `amount` kopecks (0 = all that is left) of paid bill bill_id:
 * LIFE PAY returns the money, then the refund receipt (type refund, citing
 * the bill's receipt) is queued once. Refused, naming the field: a bill not
 * paid or whose receipt is not processed ("bill"), more than was paid minus
 * earlier refunds, or a partial refund of lines with different VAT
 * ("amount"). Journaled (*refund_id), then sent from the loop.
 */
kstatus bills_refund(struct bills *b, int64_t bill_id, int64_t amount, int64_t *refund_id,
		     struct kerr *err);
/* Looks for due work now (after a notification, or in tests). */
void bills_kick(struct bills *b);
/* Requests on the wire. */
size_t bills_in_flight(const struct bills *b);

/*
 * A transaction notification from the listener or the relay: parsed,
 * committed (journal_tx_add), then answered 200; 400 when malformed, 500
 * when the journal cannot take it (LIFE PAY tries again).
 */
int bill_tx_callback(struct journal *j, const char *content_type, const char *body, size_t len,
		     char *reply, size_t reply_n);

#endif

/*
 * kassa's own rules for a document it is about to journal, stricter than
 * the providers' (who would fiscalize it as sent): so that no slip at the
 * till becomes a wrong fiscal document. The screen, the command line and
 * any other front end share them: outbox_submit() runs guard_document() on
 * every new document, and front ends call the parts to ask or explain first.
 *
 * - Tender: payment_check() (cash only when non-cash leaves something to
 *   pay; change never above the cash given; non-cash never above the total).
 * - Piece goods in whole pieces (basket_check_qty()).
 * - A refund cites its original (ref_uuid) unless the document says
 *   no_original (the explicit flow for a refund without one).
 * - A card refund is at most the original's card share minus the card
 *   refunds made of it before (from the journal).
 * - Amounts above the profile's max_receipt (price, line sum, total, cash
 *   in/out) and quantities above GUARD_QTY_LARGE need allow_large.
 */
#ifndef KASSA_GUARD_H
#define KASSA_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "document.h"
#include "journal.h"
#include "status.h"

/* A line quantity above this (10,000 units of any measure) asks first. */
#define GUARD_QTY_LARGE INT64_C(10000000)

/* What an original sale was paid with and what its earlier refunds took back. */
struct refund_left {
	bool known;		      /* the original is in this journal */
	int64_t paid_card, paid_cash; /* the original: card, cash net of change */
	int64_t done_card, done_cash; /* refunds of it that may still stand */
	int64_t card, cash;	      /* what is left to refund by card and in cash */
};

/*
 * Fills out from the original's payment and its earlier refunds: what is
 * left by card (never below zero) and in cash. Pure arithmetic.
 */
void refund_left_compute(int64_t paid_card, int64_t paid_cash, int64_t done_card, int64_t done_cash,
			 struct refund_left *out);

/*
 * How a refund of total is paid back by default, following how the
 * original was paid: in proportion to what is left on the card and in
 * cash (half-up), the card part never above what is left on the card.
 * Unknown originals: all to the card.
 */
void refund_default_split(const struct refund_left *l, int64_t total, int64_t *card, int64_t *cash);

/*
 * Reads the original with this uuid and its refunds from the journal.
 * K_OK with out->known false when the journal does not hold it.
 */
kstatus guard_refund_left(struct journal *j, const char *uuid, struct refund_left *out,
			  struct kerr *err);

/* K_REFUSED (field card_amount) when card is more than l leaves on the card. */
kstatus guard_refund_card(const struct refund_left *l, int64_t card, struct kerr *err);

/*
 * The first amount or quantity of d above the ceiling, as a refusal naming
 * the field and the rule (K_REFUSED); K_OK when none is. max <= 0 means
 * CONFIG_MAX_RECEIPT_DEFAULT.
 */
kstatus guard_ceiling(const struct document *d, int64_t max, struct kerr *err);

/*
 * Every rule above for a new, validated document (d->resolved filled).
 * j may be NULL (no refund look-up). K_REFUSED / K_INVALID with err.
 */
kstatus guard_document(struct journal *j, const struct document *d, int64_t max_receipt,
		       struct kerr *err);

#endif

/*
 * Seed 002's two receipts meet the journal: what a prepayment receipt
 * stores (its order) and how a final receipt is built from it later.
 */
#ifndef KASSA_SETTLE_JOURNAL_H
#define KASSA_SETTLE_JOURNAL_H

#include <stdint.h>

#include "document.h"
#include "journal.h"
#include "status.h"

/*
 * Fills nd's prepayment fields from d, a document about to be queued: a
 * prepayment receipt (lines of method 1-3) stores its order (d->order, or
 * its own lines with method 4) as a LifePay request in *order_out (owned:
 * free it after journal_enqueue()) and the buyer's contact; a final receipt
 * (d->settles) its link and prepayment_amount.
 */
void settle_journal_fields(const struct document *d, struct journal_new_doc *nd, char **order_out);

/*
 * The final receipt of prepaid order prepaid_id: its order's lines with
 * method 4, prepayment_amount = what was prepaid, the buyer's contact, and
 * out->settles set; the payment (card/cash, "#") is the caller's. Refuses an
 * order that took no prepayment, was refused, or is settled already.
 */
kstatus settle_from_journal(struct journal *j, int64_t prepaid_id, struct document *out,
			    struct kerr *err);

#endif

/*
 * Refunds of paid bills (schema 9): each refund asked of LIFE PAY
 * (/v1/transactions/refund) is written here, with its idempotency uuid,
 * before the request leaves. A crash after the row and before the answer
 * sends the same uuid again, which LIFE PAY does not process twice; the
 * refund receipt carries the ext_id "rf-" + uuid, so it too exists once.
 */
#ifndef KASSA_JOURNAL_REFUND_H
#define KASSA_JOURNAL_REFUND_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "journal_bill.h"

/* Migration 9 (lib/journal.c's list). */
#define JOURNAL_REFUND_SCHEMA                                                                      \
	"CREATE TABLE bill_refunds ("                                                              \
	" id INTEGER PRIMARY KEY,"                                                                 \
	" bill_id INTEGER NOT NULL REFERENCES bills(id),"                                          \
	" uuid TEXT NOT NULL UNIQUE,"                                                              \
	" amount_kop INTEGER NOT NULL,"                                                            \
	" state TEXT NOT NULL,"                                                                    \
	" number TEXT NOT NULL DEFAULT '',"                                                        \
	" receipt_doc_id INTEGER,"                                                                 \
	" next_at INTEGER NOT NULL DEFAULT 0,"                                                     \
	" last_error TEXT NOT NULL DEFAULT '',"                                                    \
	" created_at INTEGER NOT NULL,"                                                            \
	" updated_at INTEGER NOT NULL);"                                                           \
	"CREATE INDEX bill_refunds_bill ON bill_refunds(bill_id);"

/* new: to be sent; sending: on the wire; done: LIFE PAY refunded; refused: it did not. */
enum refund_state { REFUND_NEW, REFUND_SENDING, REFUND_DONE, REFUND_REFUSED };

struct journal_refund {
	int64_t id, bill_id;
	char uuid[40];
	int64_t amount; /* kopecks */
	enum refund_state state;
	char number[BILL_NUMBER_MAX]; /* LIFE PAY's number of the refund */
	int64_t receipt_doc_id;	      /* the refund receipt, 0 = none yet */
	int64_t next_at;
	char last_error[JOURNAL_BILL_TEXT_MAX];
	int64_t created_at;
};

const char *refund_state_word(enum refund_state s);
/* The untranslated label (pass through _()). */
const char *refund_state_label(enum refund_state s);

/*
 * What can still be refunded of bill b: its amount minus the refunds not
 * refused. *refunded receives the latter (may be NULL).
 */
kstatus journal_bill_refund_left(struct journal *j, const struct journal_bill *b, int64_t *left,
				 int64_t *refunded, struct kerr *err);

/*
 * Writes a refund of `amount` kopecks (0 = all that is left) of bill_id with
 * a fresh uuid and a history row on the bill, in one transaction that checks
 * again what is left: K_REFUSED naming "amount" when it is more than that,
 * "bill" when the bill is not paid.
 */
kstatus journal_bill_refund_insert(struct journal *j, int64_t bill_id, int64_t amount, int64_t *id,
				   struct kerr *err);
kstatus journal_bill_refund_get(struct journal *j, int64_t id, struct journal_refund *out,
				struct kerr *err);
/* Moves a refund (with number and error text when given) and writes the bill's history. */
kstatus journal_bill_refund_set(struct journal *j, int64_t id, enum refund_state to,
				const char *number, int64_t next_at, const char *detail,
				struct kerr *err);
kstatus journal_bill_refund_set_receipt(struct journal *j, int64_t id, int64_t doc_id,
					struct kerr *err);
/* Refunds to send (new, due) or whose receipt is due (done, none yet, kassa prints). */
kstatus journal_bill_refund_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
				struct kerr *err);
/* After a crash: refunds left in sending go back to new (same uuid). */
kstatus journal_bill_refund_reset_sending(struct journal *j, struct kerr *err);
/* The refunds of one bill (0 = all bills), newest first; stop by returning false. */
kstatus journal_bill_refund_list(struct journal *j, int64_t bill_id,
				 bool (*cb)(const struct journal_refund *r, void *ctx), void *ctx,
				 struct kerr *err);

/*
 * Refund notifications are confirmed by LIFE PAY's own answer to the refund
 * request: each success notification whose number is a done refund's.
 */
kstatus journal_bill_refund_confirm_tx(struct journal *j, struct kerr *err);

#endif

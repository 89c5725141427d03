/*
 * Prepaid orders in the journal (seed 002's two receipts): the prepayment
 * receipt (lines of method 1-3) is stored with the order it will settle,
 * and the final receipt (method 4, prepayment_amount) is linked to it in the
 * transaction that queues it. An order settles once: a second final
 * receipt is refused while the first is not rejected or failed.
 */
#ifndef KASSA_JOURNAL_LINK_H
#define KASSA_JOURNAL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "journal.h"
#include "status.h"

/* Migration 7 (lib/journal.c's list). */
#define JOURNAL_LINK_MIGRATION                                                                     \
	"CREATE TABLE prepaid_orders ("                                                            \
	" doc_id INTEGER PRIMARY KEY REFERENCES documents(id),"                                    \
	" order_body TEXT NOT NULL,"                                                               \
	" order_total_kop INTEGER NOT NULL,"                                                       \
	" prepaid_kop INTEGER NOT NULL,"                                                           \
	" contact TEXT NOT NULL DEFAULT '',"                                                       \
	" settled_by INTEGER UNIQUE REFERENCES documents(id),"                                     \
	" created_at INTEGER NOT NULL);"                                                           \
	"CREATE INDEX prepaid_orders_contact ON prepaid_orders(contact);"

/* A prepaid order as stored. order_body is owned. */
struct journal_prepaid {
	int64_t doc_id;
	char *order_body;    /* LifePay request of the order (lines of method 4), no payment */
	int64_t order_total; /* the order's total, kopecks */
	int64_t prepaid;     /* what the prepayment receipt took */
	char contact[256];   /* the buyer's e-mail or phone, may be empty */
	int64_t settled_by;  /* the final receipt's id, 0 = none */
	enum journal_state settled_state; /* its state when settled_by != 0 */
	enum journal_state state;	  /* the prepayment receipt's state */
	int64_t created_at;
	int64_t refunded_by; /* a refund citing the prepayment receipt that stands, 0 = none */
};

/*
 * Called by journal_enqueue() inside its transaction for the new document
 * id: stores a prepaid order (d->order_body) or links a final receipt to
 * the order it settles (d->settles), refusing (K_REFUSED/K_EXISTS/K_NOTFOUND,
 * err->field prepayment_amount) an order not prepaid, refused by the provider,
 * settled already, or a prepayment_amount other than what was prepaid.
 */
kstatus journal_link_enqueued(sqlite3 *db, int64_t id, const struct journal_new_doc *d, int64_t now,
			      struct kerr *err);

/* The prepaid order of document doc_id; K_NOTFOUND when it took no prepayment. */
kstatus journal_link_get(struct journal *j, int64_t doc_id, struct journal_prepaid *out,
			 struct kerr *err);
/* The prepayment receipt a final receipt settles (*prepaid_id), K_NOTFOUND if none. */
kstatus journal_link_settles(struct journal *j, int64_t final_id, int64_t *prepaid_id,
			     struct kerr *err);
/*
 * Calls cb for each prepaid order, newest first, whose contact contains
 * `contact` (case-insensitive ASCII; NULL or "" = all) and, when open_only,
 * that is not settled (or whose settlement was rejected or failed). cb
 * returns false to stop; the order is valid during the call.
 */
kstatus journal_link_list(struct journal *j, const char *contact, bool open_only,
			  bool (*cb)(const struct journal_prepaid *o, void *ctx), void *ctx,
			  struct kerr *err);
/* K_OK when the order can be settled now; else why not (prepayment refused, settled already). */
kstatus journal_link_open_check(const struct journal_prepaid *o, struct kerr *err);
void journal_prepaid_free(struct journal_prepaid *o);

#endif

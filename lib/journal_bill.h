/*
 * Bills and transaction notifications in the journal (schema 8): each bill
 * with its history, like documents, and every LIFE PAY transaction
 * notification as received. A bill is written before its request is sent
 * and is unique per basket (the receipt's ext_id), so a crash can neither
 * double it nor lose it; the receipt sent when it is paid carries the same
 * ext_id, so it too exists once. See docs/ARCHITECTURE.md "Bills (pay by link)".
 */
#ifndef KASSA_JOURNAL_BILL_H
#define KASSA_JOURNAL_BILL_H

#include <stdbool.h>
#include <stdint.h>

#include "document.h"
#include "journal.h"
#include "wire/bill.h"

/* The tables of migration 8 (lib/journal.c's list). */
#define JOURNAL_BILL_SCHEMA                                                                        \
	"CREATE TABLE bills ("                                                                     \
	" id INTEGER PRIMARY KEY,"                                                                 \
	" ext_id TEXT NOT NULL UNIQUE,"                                                            \
	" profile TEXT NOT NULL DEFAULT '',"                                                       \
	" state TEXT NOT NULL,"                                                                    \
	" number TEXT UNIQUE,"                                                                     \
	" method TEXT NOT NULL,"                                                                   \
	" phone TEXT NOT NULL DEFAULT '',"                                                         \
	" email TEXT NOT NULL DEFAULT '',"                                                         \
	" amount_kop INTEGER NOT NULL,"                                                            \
	" description TEXT NOT NULL,"                                                              \
	" receipt_body TEXT NOT NULL,"                                                             \
	" provider_prints INTEGER NOT NULL DEFAULT 0,"                                             \
	" payment_url TEXT NOT NULL DEFAULT '',"                                                   \
	" payment_url_web TEXT NOT NULL DEFAULT '',"                                               \
	" interval_s INTEGER NOT NULL DEFAULT 0,"                                                  \
	" next_poll_at INTEGER NOT NULL DEFAULT 0,"                                                \
	" cancel_wanted INTEGER NOT NULL DEFAULT 0,"                                               \
	" receipt_doc_id INTEGER,"                                                                 \
	" last_error TEXT NOT NULL DEFAULT '',"                                                    \
	" created_at INTEGER NOT NULL,"                                                            \
	" updated_at INTEGER NOT NULL);"                                                           \
	"CREATE TABLE bill_history ("                                                              \
	" bill_id INTEGER NOT NULL REFERENCES bills(id),"                                          \
	" at INTEGER NOT NULL,"                                                                    \
	" from_state TEXT NOT NULL DEFAULT '',"                                                    \
	" to_state TEXT NOT NULL,"                                                                 \
	" source TEXT NOT NULL,"                                                                   \
	" detail TEXT NOT NULL DEFAULT '');"                                                       \
	"CREATE INDEX bill_history_bill ON bill_history(bill_id, at);"                             \
	"CREATE TABLE tx_notifications ("                                                          \
	" id INTEGER PRIMARY KEY,"                                                                 \
	" at INTEGER NOT NULL,"                                                                    \
	" number TEXT NOT NULL,"                                                                   \
	" original_number TEXT NOT NULL DEFAULT '',"                                               \
	" type TEXT NOT NULL,"                                                                     \
	" status TEXT NOT NULL,"                                                                   \
	" method TEXT NOT NULL DEFAULT '',"                                                        \
	" amount_kop INTEGER NOT NULL,"                                                            \
	" bill_id INTEGER,"                                                                        \
	" confirmed INTEGER NOT NULL DEFAULT 0,"                                                   \
	" replays INTEGER NOT NULL DEFAULT 0,"                                                     \
	" content_type TEXT NOT NULL DEFAULT '',"                                                  \
	" body TEXT NOT NULL,"                                                                     \
	" UNIQUE(number, type, status));"

#define JOURNAL_BILL_TEXT_MAX 320

struct journal_bill {
	int64_t id;
	char ext_id[EXT_ID_MAX + 1];
	char profile[JOURNAL_PROFILE_MAX];
	enum bill_state state;
	char number[BILL_NUMBER_MAX];
	enum bill_method method;
	char phone[BILL_PHONE_MAX];
	char email[BILL_EMAIL_MAX];
	int64_t amount;
	char description[BILL_DESCRIPTION_MAX];
	char *receipt_body; /* owned; the receipt sent when paid (no credentials) */
	bool provider_prints;
	char payment_url[BILL_URL_MAX];
	char payment_url_web[BILL_URL_MAX];
	int interval_s;
	int64_t next_poll_at;
	bool cancel_wanted;
	int64_t receipt_doc_id; /* 0 = none yet */
	char last_error[JOURNAL_BILL_TEXT_MAX];
	int64_t created_at, updated_at;
};

struct journal_bill_history_row {
	int64_t at;
	char from[16], to[16];
	char source[16]; /* create, poll, notification, cashier, start */
	char detail[JOURNAL_BILL_TEXT_MAX];
};

/* A transaction notification as stored. */
struct journal_tx {
	int64_t id, at;
	char number[BILL_NUMBER_MAX];
	char original_number[BILL_NUMBER_MAX];
	char type[16], status[16], method[32];
	int64_t amount;
	int64_t bill_id; /* 0 = about no bill of this journal */
	bool confirmed;	 /* the bill's status, asked of LIFE PAY, agrees */
	int replays;
};

/*
 * Writes a new bill (state new) with its first history row; with
 * clear_open_basket the screen's open basket goes in the same transaction.
 * K_EXISTS with *id set when a bill with this ext_id (basket) exists.
 */
kstatus journal_bill_insert(struct journal *j, const struct journal_bill *b, bool clear_open_basket,
			    int64_t *id, struct kerr *err);
/* By local id. K_NOTFOUND when absent. Free with journal_bill_free. */
kstatus journal_bill_get(struct journal *j, int64_t id, struct journal_bill *out, struct kerr *err);
/* By "#id", local id, ext_id or provider number. */
kstatus journal_bill_find(struct journal *j, const char *key, struct journal_bill *out,
			  struct kerr *err);
void journal_bill_free(struct journal_bill *b);
/* Moves a bill to `to` with a history row (nothing when already there). */
kstatus journal_bill_transition(struct journal *j, int64_t id, enum bill_state to,
				const char *source, const char *detail, struct kerr *err);
/* The provider named the bill: number, links, interval, first poll; state initiated. */
kstatus journal_bill_set_created(struct journal *j, int64_t id, const struct bill_reply *r,
				 int64_t next_poll_at, struct kerr *err);
kstatus journal_bill_set_poll(struct journal *j, int64_t id, int64_t next_poll_at,
			      const char *last_error, struct kerr *err);
/* The cashier asked to cancel (sent by the bill engine). */
kstatus journal_bill_want_cancel(struct journal *j, int64_t id, struct kerr *err);
/* Links the receipt document sent for a paid bill. */
kstatus journal_bill_set_receipt(struct journal *j, int64_t id, int64_t doc_id, struct kerr *err);
/* Bills with work due at now (send, poll, cancel, send the receipt), oldest first;
 * a cancellation asked is due at once (journal_bill_want_cancel). */
kstatus journal_bill_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
			 struct kerr *err);
/* Bills left in sending (by a crash). */
kstatus journal_bill_sending(struct journal *j, int64_t *ids, size_t max, size_t *n,
			     struct kerr *err);
/* LIFE PAY refused the cancellation: not asked again; detail goes to the history. */
kstatus journal_bill_cancel_refused(struct journal *j, int64_t id, const char *detail,
				    struct kerr *err);
/* The earliest next_poll_at of a bill being followed; INT64_MAX when none. */
kstatus journal_bill_next_due(struct journal *j, int64_t *when, struct kerr *err);
/* Every bill, newest first (limit 0 = all); stop by returning false. */
kstatus journal_bill_list(struct journal *j, int64_t limit,
			  bool (*cb)(const struct journal_bill *b, void *ctx), void *ctx,
			  struct kerr *err);
kstatus journal_bill_history(struct journal *j, int64_t id,
			     bool (*cb)(const struct journal_bill_history_row *r, void *ctx),
			     void *ctx, struct kerr *err);

/*
 * Stores a transaction notification (committed when this returns K_OK),
 * linked to a bill by number, or by the ext_id kassa wrote into the
 * description (then the bill learns its number). The same number, type and
 * status again counts a replay (*dup). *bill_id: the linked bill or 0.
 */
kstatus journal_tx_add(struct journal *j, const struct bill_tx *tx, const char *content_type,
		       const char *body, size_t len, int64_t *bill_id, bool *dup, struct kerr *err);
/* Marks the bill's notifications whose outcome its polled state confirms. */
kstatus journal_tx_confirm(struct journal *j, int64_t bill_id, enum bill_state polled,
			   struct kerr *err);
/* Notifications, newest first (limit 0 = all). */
kstatus journal_tx_list(struct journal *j, int64_t limit,
			bool (*cb)(const struct journal_tx *t, void *ctx), void *ctx,
			struct kerr *err);

#endif

/*
 * Bills and transaction notifications in the journal (schema 8). Plain
 * prepared statements on the journal's connection; every change with its
 * history row in one transaction.
 */
#include "journal_bill.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "journal_sql.h"
#include "util.h"

#define BILL_COLS                                                                                  \
	"id, ext_id, profile, state, COALESCE(number, ''), method, phone, email, amount_kop,"      \
	" description, receipt_body, provider_prints, payment_url, payment_url_web, interval_s,"   \
	" next_poll_at, cancel_wanted, COALESCE(receipt_doc_id, 0), last_error, created_at,"       \
	" updated_at"

static void text(sqlite3_stmt *s, int c, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, c);
	str_copy(out, t ? (const char *)t : "", n);
}

static void bill_row(sqlite3_stmt *s, struct journal_bill *b)
{
	memset(b, 0, sizeof *b);
	int c = 0;
	char word[32];
	b->id = sqlite3_column_int64(s, c++);
	text(s, c++, b->ext_id, sizeof b->ext_id);
	text(s, c++, b->profile, sizeof b->profile);
	text(s, c++, word, sizeof word);
	if (!bill_state_parse(word, &b->state))
		b->state = BILL_UNKNOWN;
	text(s, c++, b->number, sizeof b->number);
	text(s, c++, word, sizeof word);
	if (!bill_method_parse(word, &b->method))
		b->method = BILL_METHOD_SBP;
	text(s, c++, b->phone, sizeof b->phone);
	text(s, c++, b->email, sizeof b->email);
	b->amount = sqlite3_column_int64(s, c++);
	text(s, c++, b->description, sizeof b->description);
	const unsigned char *rb = sqlite3_column_text(s, c++);
	b->receipt_body = xstrdup(rb ? (const char *)rb : "");
	b->provider_prints = sqlite3_column_int(s, c++) != 0;
	text(s, c++, b->payment_url, sizeof b->payment_url);
	text(s, c++, b->payment_url_web, sizeof b->payment_url_web);
	b->interval_s = sqlite3_column_int(s, c++);
	b->next_poll_at = sqlite3_column_int64(s, c++);
	b->cancel_wanted = sqlite3_column_int(s, c++) != 0;
	b->receipt_doc_id = sqlite3_column_int64(s, c++);
	text(s, c++, b->last_error, sizeof b->last_error);
	b->created_at = sqlite3_column_int64(s, c++);
	b->updated_at = sqlite3_column_int64(s, c++);
}

void journal_bill_free(struct journal_bill *b)
{
	if (!b)
		return;
	free(b->receipt_body);
	b->receipt_body = NULL;
}

static kstatus history(struct journal *j, int64_t id, const char *from, const char *to,
		       const char *source, const char *detail, struct kerr *err)
{
	sqlite3_stmt *s = journal_sql_prepare(
	    j,
	    "INSERT INTO bill_history(bill_id, at, from_state, to_state, source,"
	    " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, journal_clock_now(j));
	sqlite3_bind_text(s, 3, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, to, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, detail ? detail : "", -1, SQLITE_TRANSIENT);
	return journal_sql_step(j, s, err);
}

kstatus journal_bill_insert(struct journal *j, const struct journal_bill *b, bool clear_open_basket,
			    int64_t *id, struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	sqlite3_stmt *s = journal_sql_prepare(j, "SELECT id FROM bills WHERE ext_id = ?1", err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_text(s, 1, b->ext_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		journal_sql_finish(j, K_EXISTS, NULL);
		return kerr_set(err, K_EXISTS, "ext_id",
				_("this basket already has bill #%lld: follow or cancel that one"),
				(long long)(id ? *id : 0));
	}
	sqlite3_finalize(s);
	int64_t now = journal_clock_now(j);
	s = journal_sql_prepare(
	    j,
	    "INSERT INTO bills(ext_id, profile, state, method, phone, email, amount_kop,"
	    " description, receipt_body, provider_prints, created_at, updated_at)"
	    " VALUES (?1, ?2, 'new', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
	    err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_text(s, 1, b->ext_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, b->profile, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, bill_method_wire(b->method), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, b->phone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, b->email, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, b->amount);
	sqlite3_bind_text(s, 7, b->description, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 8, b->receipt_body ? b->receipt_body : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 9, b->provider_prints);
	sqlite3_bind_int64(s, 10, now);
	if ((st = journal_sql_step(j, s, err)) != K_OK)
		return journal_sql_finish(j, st, err);
	int64_t nid = sqlite3_last_insert_rowid(journal_db(j));
	st = history(j, nid, "", "new", "create", "", err);
	if (st == K_OK && clear_open_basket)
		st = journal_sql_exec(j, "DELETE FROM open_basket", err);
	st = journal_sql_finish(j, st, err);
	if (st == K_OK && id)
		*id = nid;
	return st;
}

kstatus journal_bill_get(struct journal *j, int64_t id, struct journal_bill *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s =
	    journal_sql_prepare(j, "SELECT " BILL_COLS " FROM bills WHERE id = ?1", err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	kstatus st = K_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		bill_row(s, out);
	else
		st = kerr_set(err, K_NOTFOUND, "bill",
			      _("no bill has id #%lld: see kassa bill list"), (long long)id);
	sqlite3_finalize(s);
	return st;
}

kstatus journal_bill_find(struct journal *j, const char *key, struct journal_bill *out,
			  struct kerr *err)
{
	memset(out, 0, sizeof *out);
	const char *k = key && key[0] == '#' ? key + 1 : key ? key : "";
	char *end = NULL;
	long long id = strtoll(k, &end, 10);
	/* A short number is a local id; provider numbers are long. */
	if (k[0] && !*end && id > 0 && strlen(k) < 7)
		return journal_bill_get(j, id, out, err);
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT " BILL_COLS " FROM bills WHERE ext_id = ?1 OR number = ?1"
				" ORDER BY id LIMIT 1",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_TRANSIENT);
	kstatus st = K_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		bill_row(s, out);
	else
		st = kerr_set(err, K_NOTFOUND, "bill",
			      _("no bill has id, ext_id or number \"%s\": see kassa bill list"), k);
	sqlite3_finalize(s);
	return st;
}

static kstatus transition_in(struct journal *j, int64_t id, enum bill_state to, const char *source,
			     const char *detail, struct kerr *err)
{
	sqlite3_stmt *s = journal_sql_prepare(j, "SELECT state FROM bills WHERE id = ?1", err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	char from[32] = "";
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return kerr_set(err, K_NOTFOUND, "bill", _("there is no bill #%lld"),
				(long long)id);
	}
	text(s, 0, from, sizeof from);
	sqlite3_finalize(s);
	if (strcmp(from, bill_state_word(to)) == 0)
		return K_OK;
	s = journal_sql_prepare(j, "UPDATE bills SET state = ?2, updated_at = ?3 WHERE id = ?1",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, bill_state_word(to), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, journal_clock_now(j));
	kstatus st = journal_sql_step(j, s, err);
	if (st == K_OK)
		st = history(j, id, from, bill_state_word(to), source, detail, err);
	return st;
}

kstatus journal_bill_transition(struct journal *j, int64_t id, enum bill_state to,
				const char *source, const char *detail, struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	return journal_sql_finish(j, transition_in(j, id, to, source, detail, err), err);
}

kstatus journal_bill_set_created(struct journal *j, int64_t id, const struct bill_reply *r,
				 int64_t next_poll_at, struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	sqlite3_stmt *s = journal_sql_prepare(
	    j,
	    "UPDATE bills SET number = ?2, payment_url = ?3, payment_url_web = ?4,"
	    " interval_s = ?5, next_poll_at = ?6, last_error = '' WHERE id = ?1",
	    err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, r->number, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, r->payment_url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, r->payment_url_web, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 5, r->interval_s);
	sqlite3_bind_int64(s, 6, next_poll_at);
	st = journal_sql_step(j, s, err);
	char detail[96];
	snprintf(detail, sizeof detail, "number %s", r->number);
	if (st == K_OK)
		st = transition_in(j, id, r->state, "create", detail, err);
	return journal_sql_finish(j, st, err);
}

static kstatus update_one(struct journal *j, const char *sql, int64_t id, int64_t v, const char *t,
			  struct kerr *err)
{
	sqlite3_stmt *s = journal_sql_prepare(j, sql, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, v);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_text(s, 3, t ? t : "", -1, SQLITE_TRANSIENT);
	return journal_sql_step(j, s, err);
}

kstatus journal_bill_set_poll(struct journal *j, int64_t id, int64_t next_poll_at,
			      const char *last_error, struct kerr *err)
{
	return update_one(j, "UPDATE bills SET next_poll_at = ?2, last_error = ?3 WHERE id = ?1",
			  id, next_poll_at, last_error, err);
}

kstatus journal_bill_want_cancel(struct journal *j, int64_t id, struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	st = update_one(j, "UPDATE bills SET cancel_wanted = ?2, next_poll_at = 0 WHERE id = ?1",
			id, 1, NULL, err);
	if (st == K_OK)
		st = history(j, id, "", "cancel", "cashier", _("cancellation asked"), err);
	return journal_sql_finish(j, st, err);
}

kstatus journal_bill_set_receipt(struct journal *j, int64_t id, int64_t doc_id, struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	st = update_one(j, "UPDATE bills SET receipt_doc_id = ?2 WHERE id = ?1", id, doc_id, NULL,
			err);
	char detail[64];
	snprintf(detail, sizeof detail, "receipt #%lld", (long long)doc_id);
	if (st == K_OK)
		st = history(j, id, "success", "success", "receipt", detail, err);
	return journal_sql_finish(j, st, err);
}

/* Work is due: send (new), poll or cancel (initiated, awaiting), the receipt (success). */
#define DUE_WHERE                                                                                  \
	"(state IN ('new', 'initiated', 'awaiting') AND next_poll_at <= ?1) OR (state = 'success'" \
	" AND receipt_doc_id IS NULL AND provider_prints = 0 AND next_poll_at <= ?1)"

kstatus journal_bill_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
			 struct kerr *err)
{
	*n = 0;
	sqlite3_stmt *s =
	    journal_sql_prepare(j, "SELECT id FROM bills WHERE " DUE_WHERE " ORDER BY id", err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now);
	while (*n < max && sqlite3_step(s) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return K_OK;
}

kstatus journal_bill_sending(struct journal *j, int64_t *ids, size_t max, size_t *n,
			     struct kerr *err)
{
	*n = 0;
	sqlite3_stmt *s =
	    journal_sql_prepare(j, "SELECT id FROM bills WHERE state = 'sending' ORDER BY id", err);
	if (!s)
		return K_DB;
	while (*n < max && sqlite3_step(s) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return K_OK;
}

kstatus journal_bill_cancel_refused(struct journal *j, int64_t id, const char *detail,
				    struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	st = update_one(j, "UPDATE bills SET cancel_wanted = ?2, last_error = ?3 WHERE id = ?1", id,
			0, detail, err);
	if (st == K_OK)
		st = history(j, id, "", "", "cashier", detail, err);
	return journal_sql_finish(j, st, err);
}

kstatus journal_bill_next_due(struct journal *j, int64_t *when, struct kerr *err)
{
	*when = INT64_MAX;
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT MIN(next_poll_at) FROM bills WHERE state IN ('initiated',"
				" 'awaiting')",
				err);
	if (!s)
		return K_DB;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*when = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return K_OK;
}

kstatus journal_bill_list(struct journal *j, int64_t limit,
			  bool (*cb)(const struct journal_bill *b, void *ctx), void *ctx,
			  struct kerr *err)
{
	sqlite3_stmt *s = journal_sql_prepare(
	    j, "SELECT " BILL_COLS " FROM bills ORDER BY id DESC LIMIT ?1", err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : -1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct journal_bill b;
		bill_row(s, &b);
		bool more = cb(&b, ctx);
		journal_bill_free(&b);
		if (!more)
			break;
	}
	sqlite3_finalize(s);
	return K_OK;
}

kstatus journal_bill_history(struct journal *j, int64_t id,
			     bool (*cb)(const struct journal_bill_history_row *r, void *ctx),
			     void *ctx, struct kerr *err)
{
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT at, from_state, to_state, source, detail FROM bill_history"
				" WHERE bill_id = ?1 ORDER BY rowid",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct journal_bill_history_row r;
		memset(&r, 0, sizeof r);
		r.at = sqlite3_column_int64(s, 0);
		text(s, 1, r.from, sizeof r.from);
		text(s, 2, r.to, sizeof r.to);
		text(s, 3, r.source, sizeof r.source);
		text(s, 4, r.detail, sizeof r.detail);
		if (!cb(&r, ctx))
			break;
	}
	sqlite3_finalize(s);
	return K_OK;
}

/* The bill a notification is about: by number, else by the ext_id in its description. */
static int64_t tx_bill(struct journal *j, const struct bill_tx *tx, bool *learned)
{
	*learned = false;
	const char *num = strcmp(tx->type, "refund") == 0 && tx->original_number[0]
			      ? tx->original_number
			      : tx->number;
	sqlite3_stmt *s = journal_sql_prepare(j, "SELECT id FROM bills WHERE number = ?1", NULL);
	int64_t id = 0;
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, num, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	char ext[EXT_ID_MAX + 1];
	if (id || strcmp(tx->type, "payment") != 0 ||
	    !wire_bill_description_ext(tx->description, ext, sizeof ext))
		return id;
	/* A bill whose create reply was lost learns its number here. */
	s = journal_sql_prepare(j, "SELECT id FROM bills WHERE ext_id = ?1 AND number IS NULL",
				NULL);
	if (!s)
		return 0;
	sqlite3_bind_text(s, 1, ext, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		*learned = true;
	}
	sqlite3_finalize(s);
	return id;
}

kstatus journal_tx_add(struct journal *j, const struct bill_tx *tx, const char *content_type,
		       const char *body, size_t len, int64_t *bill_id, bool *dup, struct kerr *err)
{
	*dup = false;
	*bill_id = 0;
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	bool learned = false;
	int64_t bid = tx_bill(j, tx, &learned);
	sqlite3_stmt *s = journal_sql_prepare(
	    j,
	    "UPDATE tx_notifications SET replays = replays + 1 WHERE number = ?1"
	    " AND type = ?2 AND status = ?3",
	    err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_text(s, 1, tx->number, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, tx->type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, tx->status, -1, SQLITE_TRANSIENT);
	if ((st = journal_sql_step(j, s, err)) != K_OK)
		return journal_sql_finish(j, st, err);
	if (sqlite3_changes(journal_db(j)) > 0) {
		*dup = true;
	} else {
		s = journal_sql_prepare(
		    j,
		    "INSERT INTO tx_notifications(at, number, original_number, type, status,"
		    " method, amount_kop, bill_id, content_type, body)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, 0), ?9, ?10)",
		    err);
		if (!s)
			return journal_sql_finish(j, K_DB, err);
		sqlite3_bind_int64(s, 1, journal_clock_now(j));
		sqlite3_bind_text(s, 2, tx->number, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, tx->original_number, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, tx->type, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 5, tx->status, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, tx->method, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 7, tx->amount);
		sqlite3_bind_int64(s, 8, bid);
		sqlite3_bind_text(s, 9, content_type ? content_type : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 10, body ? body : "", (int)len, SQLITE_TRANSIENT);
		st = journal_sql_step(j, s, err);
	}
	if (st == K_OK && bid && learned) {
		s = journal_sql_prepare(j, "UPDATE bills SET number = ?2 WHERE id = ?1", err);
		if (!s)
			return journal_sql_finish(j, K_DB, err);
		sqlite3_bind_int64(s, 1, bid);
		sqlite3_bind_text(s, 2, tx->number, -1, SQLITE_TRANSIENT);
		st = journal_sql_step(j, s, err);
		if (st == K_OK)
			st = transition_in(j, bid, BILL_INITIATED, "notification",
					   _("number learned from a notification"), err);
	}
	/* Ask LIFE PAY now: a notification is trusted only once the status agrees. */
	if (st == K_OK && bid && !*dup)
		st = update_one(j, "UPDATE bills SET next_poll_at = ?2 WHERE id = ?1", bid, 0, NULL,
				err);
	if (st == K_OK && bid && !*dup) {
		char detail[128];
		snprintf(detail, sizeof detail, "%s %s %s (unconfirmed)", tx->type, tx->status,
			 tx->number);
		st = history(j, bid, "", "", "notification", detail, err);
	}
	/* Already polled to its end: that answer confirms the notification now. */
	if (st == K_OK && bid) {
		s = journal_sql_prepare(j, "SELECT state FROM bills WHERE id = ?1", err);
		if (!s)
			return journal_sql_finish(j, K_DB, err);
		sqlite3_bind_int64(s, 1, bid);
		enum bill_state bs = BILL_NEW;
		char word[32] = "";
		if (sqlite3_step(s) == SQLITE_ROW)
			text(s, 0, word, sizeof word);
		sqlite3_finalize(s);
		if (bill_state_parse(word, &bs) && bill_state_final(bs))
			st = journal_tx_confirm(j, bid, bs, err);
	}
	st = journal_sql_finish(j, st, err);
	if (st == K_OK)
		*bill_id = bid;
	return st;
}

kstatus journal_tx_confirm(struct journal *j, int64_t bill_id, enum bill_state polled,
			   struct kerr *err)
{
	const char *status = polled == BILL_SUCCESS  ? "success"
			     : polled == BILL_FAILED ? "fail"
						     : NULL;
	if (!status)
		return K_OK;
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"UPDATE tx_notifications SET confirmed = 1 WHERE bill_id = ?1 AND"
				" type = 'payment' AND status = ?2",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, bill_id);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	return journal_sql_step(j, s, err);
}

kstatus journal_tx_list(struct journal *j, int64_t limit,
			bool (*cb)(const struct journal_tx *t, void *ctx), void *ctx,
			struct kerr *err)
{
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT id, at, number, original_number, type, status, method,"
				" amount_kop, COALESCE(bill_id, 0), confirmed, replays FROM"
				" tx_notifications ORDER BY id DESC LIMIT ?1",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : -1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct journal_tx t;
		memset(&t, 0, sizeof t);
		t.id = sqlite3_column_int64(s, 0);
		t.at = sqlite3_column_int64(s, 1);
		text(s, 2, t.number, sizeof t.number);
		text(s, 3, t.original_number, sizeof t.original_number);
		text(s, 4, t.type, sizeof t.type);
		text(s, 5, t.status, sizeof t.status);
		text(s, 6, t.method, sizeof t.method);
		t.amount = sqlite3_column_int64(s, 7);
		t.bill_id = sqlite3_column_int64(s, 8);
		t.confirmed = sqlite3_column_int(s, 9) != 0;
		t.replays = sqlite3_column_int(s, 10);
		if (!cb(&t, ctx))
			break;
	}
	sqlite3_finalize(s);
	return K_OK;
}

/* The sandbox store: PayKeeper receipts and access tokens. */
#include "sandbox/internal.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sandbox/store_int.h"
#include "util.h"

#define PK_COLS                                                                                    \
	"id, user, payment_id, type, is_post_sale, is_correction, refund_id, receipt_key, status," \
	" outcome, contact, sum_cashless, sum_cash, sum_advance, sum_credit, sum_counter_payment," \
	" cart, receipt_properties, custom_params, error, fn, fnd, fpd, ts, rnkkt, shift_number,"  \
	" receipt_number, obtain_datetime, request_datetime, fop_receipt_key, fop_uuid, fop_url,"  \
	" created_ms, next_ms"

static void pk_from_row(sqlite3_stmt *s, struct sb_pk_receipt *r)
{
	memset(r, 0, sizeof *r);
	int c = 0;
	r->id = sqlite3_column_int64(s, c++);
	store_col_copy(s, c++, r->user, sizeof r->user);
	store_col_copy(s, c++, r->payment_id, sizeof r->payment_id);
	store_col_copy(s, c++, r->type, sizeof r->type);
	store_col_copy(s, c++, r->is_post_sale, sizeof r->is_post_sale);
	store_col_copy(s, c++, r->is_correction, sizeof r->is_correction);
	store_col_copy(s, c++, r->refund_id, sizeof r->refund_id);
	store_col_copy(s, c++, r->receipt_key, sizeof r->receipt_key);
	store_col_copy(s, c++, r->status, sizeof r->status);
	store_col_copy(s, c++, r->outcome, sizeof r->outcome);
	store_col_copy(s, c++, r->contact, sizeof r->contact);
	r->sum_cashless = sqlite3_column_int64(s, c++);
	r->sum_cash = sqlite3_column_int64(s, c++);
	r->sum_advance = sqlite3_column_int64(s, c++);
	r->sum_credit = sqlite3_column_int64(s, c++);
	r->sum_counter_payment = sqlite3_column_int64(s, c++);
	r->cart = store_col_dup(s, c++);
	r->receipt_properties = store_col_dup(s, c++);
	r->custom_params = store_col_dup(s, c++);
	r->error = store_col_dup(s, c++);
	store_col_copy(s, c++, r->fn, sizeof r->fn);
	store_col_copy(s, c++, r->fnd, sizeof r->fnd);
	store_col_copy(s, c++, r->fpd, sizeof r->fpd);
	store_col_copy(s, c++, r->ts, sizeof r->ts);
	store_col_copy(s, c++, r->rnkkt, sizeof r->rnkkt);
	store_col_copy(s, c++, r->shift_number, sizeof r->shift_number);
	store_col_copy(s, c++, r->receipt_number, sizeof r->receipt_number);
	store_col_copy(s, c++, r->obtain_datetime, sizeof r->obtain_datetime);
	store_col_copy(s, c++, r->request_datetime, sizeof r->request_datetime);
	store_col_copy(s, c++, r->fop_receipt_key, sizeof r->fop_receipt_key);
	store_col_copy(s, c++, r->fop_uuid, sizeof r->fop_uuid);
	store_col_copy(s, c++, r->fop_url, sizeof r->fop_url);
	r->created_ms = sqlite3_column_int64(s, c++);
	r->next_ms = sqlite3_column_int64(s, c++);
}

void sandbox_pk_free(struct sb_pk_receipt *r)
{
	free(r->cart);
	free(r->receipt_properties);
	free(r->custom_params);
	free(r->error);
	r->cart = r->receipt_properties = r->custom_params = r->error = NULL;
}

kstatus sandbox_store_pk_insert(struct sb_store *st, struct sb_pk_receipt *r, struct kerr *err)
{
	kstatus ks = store_exec(
	    st, err,
	    "INSERT INTO pk_receipts(id, user, payment_id, type, is_post_sale, is_correction,"
	    " refund_id, receipt_key, status, outcome, contact, sum_cashless, sum_cash,"
	    " sum_advance, sum_credit, sum_counter_payment, cart, receipt_properties,"
	    " custom_params, error, fn, fnd, fpd, ts, rnkkt, shift_number, receipt_number,"
	    " obtain_datetime, request_datetime, fop_receipt_key, fop_uuid, fop_url, created_ms,"
	    " next_ms) VALUES((SELECT COALESCE(MAX(id), 1000) + 1 FROM pk_receipts),"
	    " ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "ssssssssssiiiiissssssssssssssssii", r->user, r->payment_id, r->type, r->is_post_sale,
	    r->is_correction, r->refund_id, r->receipt_key, r->status, r->outcome, r->contact,
	    (long long)r->sum_cashless, (long long)r->sum_cash, (long long)r->sum_advance,
	    (long long)r->sum_credit, (long long)r->sum_counter_payment, r->cart,
	    r->receipt_properties, r->custom_params, r->error, r->fn, r->fnd, r->fpd, r->ts,
	    r->rnkkt, r->shift_number, r->receipt_number, r->obtain_datetime, r->request_datetime,
	    r->fop_receipt_key, r->fop_uuid, r->fop_url, r->created_ms, r->next_ms);
	if (ks == K_OK)
		r->id = sqlite3_last_insert_rowid(st->db);
	return ks;
}

static kstatus pk_one(struct sb_store *st, sqlite3_stmt *s, struct sb_pk_receipt *r,
		      struct kerr *err)
{
	if (!s)
		return store_db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		pk_from_row(s, r);
	else if (rc == SQLITE_DONE)
		ks = kerr_set(err, K_NOTFOUND, "id", "no such receipt");
	else
		ks = store_db_error(st, err, "read");
	store_done(st, s);
	return ks;
}

kstatus sandbox_store_pk_get(struct sb_store *st, long long id, struct sb_pk_receipt *r,
			     struct kerr *err)
{
	return pk_one(st,
		      store_query(st, "SELECT " PK_COLS " FROM pk_receipts WHERE id = ?", "i", id),
		      r, err);
}

kstatus sandbox_store_pk_due(struct sb_store *st, long long now_ms, struct sb_pk_receipt *r,
			     struct kerr *err)
{
	return pk_one(st,
		      store_query(st,
				  "SELECT " PK_COLS
				  " FROM pk_receipts WHERE next_ms > 0 AND next_ms <= ?"
				  " ORDER BY next_ms, id LIMIT 1",
				  "i", now_ms),
		      r, err);
}

kstatus sandbox_store_pk_save(struct sb_store *st, const struct sb_pk_receipt *r, struct kerr *err)
{
	return store_exec(
	    st, err,
	    "UPDATE pk_receipts SET status = ?, next_ms = ?, error = ?, fn = ?, fnd = ?,"
	    " fpd = ?, ts = ?, rnkkt = ?, shift_number = ?, receipt_number = ?,"
	    " fop_uuid = ?, fop_url = ? WHERE id = ?",
	    "sissssssssssi", r->status, r->next_ms, r->error, r->fn, r->fnd, r->fpd, r->ts,
	    r->rnkkt, r->shift_number, r->receipt_number, r->fop_uuid, r->fop_url, r->id);
}

kstatus sandbox_store_pk_find_dup(struct sb_store *st, const struct sb_pk_receipt *r, long long *id,
				  struct kerr *err)
{
	sqlite3_stmt *s =
	    store_query(st,
			"SELECT id FROM pk_receipts WHERE user = ? AND payment_id = ? AND"
			" refund_id = ? AND is_post_sale = ? AND type = ? AND receipt_key = ?"
			" AND status NOT IN ('rejected', 'failed') ORDER BY id LIMIT 1",
			"ssssss", r->user, r->payment_id, r->refund_id, r->is_post_sale, r->type,
			r->receipt_key);
	if (!s)
		return store_db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		ks = K_NOTFOUND;
	else
		ks = store_db_error(st, err, "read");
	store_done(st, s);
	return ks;
}

kstatus sandbox_store_pk_all(struct sb_store *st, const char *user, struct sb_pk_receipt **out,
			     size_t *n, struct kerr *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (user)
		s = store_query(st,
				"SELECT " PK_COLS " FROM pk_receipts WHERE user = ? ORDER BY id",
				"s", user);
	else
		s = store_query(st, "SELECT " PK_COLS " FROM pk_receipts ORDER BY id", "");
	if (!s)
		return store_db_error(st, err, "query");
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		pk_from_row(s, &(*out)[(*n)++]);
	}
	store_done(st, s);
	return rc == SQLITE_DONE ? K_OK : store_db_error(st, err, "read");
}

kstatus sandbox_store_token_get(struct sb_store *st, const char *user, long long now_ms,
				long long valid_ms, char *buf, size_t n, struct kerr *err)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT token FROM pk_tokens WHERE user = ? AND issued_ms > ?"
				      " AND issued_ms <= ? ORDER BY issued_ms DESC LIMIT 1",
				      "sii", user, now_ms - valid_ms, now_ms);
	if (!s)
		return store_db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		store_col_copy(s, 0, buf, n);
	else if (rc == SQLITE_DONE)
		ks = K_NOTFOUND;
	else
		ks = store_db_error(st, err, "read");
	store_done(st, s);
	return ks;
}

kstatus sandbox_store_token_add(struct sb_store *st, const char *user, const char *token,
				long long now_ms, struct kerr *err)
{
	return store_exec(st, err, "INSERT INTO pk_tokens(token, user, issued_ms) VALUES(?,?,?)",
			  "ssi", token, user, now_ms);
}

kstatus sandbox_store_token_check(struct sb_store *st, const char *user, const char *token,
				  long long now_ms, long long valid_ms, struct kerr *err)
{
	sqlite3_stmt *s =
	    store_query(st,
			"SELECT 1 FROM pk_tokens WHERE token = ? AND user = ? AND issued_ms > ?"
			" AND issued_ms <= ?",
			"ssii", token, user, now_ms - valid_ms, now_ms);
	if (!s)
		return store_db_error(st, err, "query");
	int rc = sqlite3_step(s);
	store_done(st, s);
	if (rc == SQLITE_ROW)
		return K_OK;
	if (rc == SQLITE_DONE)
		return K_NOTFOUND;
	return store_db_error(st, err, "read");
}

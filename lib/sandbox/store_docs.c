/* The sandbox store: LifePay documents, the ledger, callbacks waiting to be sent. */
#include "sandbox/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "jsonx.h"
#include "money.h"
#include "sandbox/store_int.h"
#include "util.h"

#define DOC_COLS                                                                                   \
	"seq, uuid, login, COALESCE(ext_id, ''), kind, type, printer, shift_id, shift_number,"     \
	" tax_system, total, card, cash, change, amount, lines, ref_uuid, status, outcome,"        \
	" due_ms, error_code, error_message, fn, fd, fpd, ofd_url, callback_url, callback_data,"   \
	" report, created_ms, final_ms"

static void doc_from_row(sqlite3_stmt *s, struct sb_doc *d)
{
	memset(d, 0, sizeof *d);
	int c = 0;
	d->seq = sqlite3_column_int64(s, c++);
	store_col_copy(s, c++, d->uuid, sizeof d->uuid);
	store_col_copy(s, c++, d->login, sizeof d->login);
	store_col_copy(s, c++, d->ext_id, sizeof d->ext_id);
	store_col_copy(s, c++, d->kind, sizeof d->kind);
	store_col_copy(s, c++, d->type, sizeof d->type);
	store_col_copy(s, c++, d->printer, sizeof d->printer);
	d->shift_id = sqlite3_column_int64(s, c++);
	d->shift_number = sqlite3_column_int64(s, c++);
	store_col_copy(s, c++, d->tax_system, sizeof d->tax_system);
	d->total = sqlite3_column_int64(s, c++);
	d->card = sqlite3_column_int64(s, c++);
	d->cash = sqlite3_column_int64(s, c++);
	d->change = sqlite3_column_int64(s, c++);
	d->amount = sqlite3_column_int64(s, c++);
	d->lines = store_col_dup(s, c++);
	store_col_copy(s, c++, d->ref_uuid, sizeof d->ref_uuid);
	store_col_copy(s, c++, d->status, sizeof d->status);
	store_col_copy(s, c++, d->outcome, sizeof d->outcome);
	d->due_ms = sqlite3_column_int64(s, c++);
	d->error_code = sqlite3_column_int(s, c++);
	store_col_copy(s, c++, d->error_message, sizeof d->error_message);
	store_col_copy(s, c++, d->fn, sizeof d->fn);
	d->fd = sqlite3_column_int64(s, c++);
	store_col_copy(s, c++, d->fpd, sizeof d->fpd);
	store_col_copy(s, c++, d->ofd_url, sizeof d->ofd_url);
	d->callback_url = store_col_dup(s, c++);
	d->callback_data = store_col_dup(s, c++);
	d->report = store_col_dup(s, c++);
	d->created_ms = sqlite3_column_int64(s, c++);
	d->final_ms = sqlite3_column_int64(s, c++);
}

void sandbox_doc_free(struct sb_doc *d)
{
	free(d->lines);
	free(d->callback_url);
	free(d->callback_data);
	free(d->report);
	d->lines = d->callback_url = d->callback_data = d->report = NULL;
}

static kstatus doc_one(struct sb_store *st, sqlite3_stmt *s, struct sb_doc *d, struct kerr *err)
{
	if (!s)
		return store_db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		doc_from_row(s, d);
	else if (rc == SQLITE_DONE)
		ks = kerr_set(err, K_NOTFOUND, "uuid", "no such document");
	else
		ks = store_db_error(st, err, "read");
	store_done(st, s);
	return ks;
}

kstatus sandbox_store_doc_by_ext(struct sb_store *st, const char *login, const char *ext_id,
				 struct sb_doc *d, struct kerr *err)
{
	return doc_one(st,
		       store_query(st,
				   "SELECT " DOC_COLS " FROM docs WHERE login = ? AND ext_id = ?",
				   "ss", login, ext_id),
		       d, err);
}

kstatus sandbox_store_doc_get(struct sb_store *st, const char *uuid, struct sb_doc *d,
			      struct kerr *err)
{
	return doc_one(
	    st, store_query(st, "SELECT " DOC_COLS " FROM docs WHERE uuid = ?", "s", uuid), d, err);
}

kstatus sandbox_store_doc_due(struct sb_store *st, long long now_ms, struct sb_doc *d,
			      struct kerr *err)
{
	return doc_one(st,
		       store_query(st,
				   "SELECT " DOC_COLS
				   " FROM docs WHERE status = 'pending' AND due_ms <= ?"
				   " ORDER BY due_ms, seq LIMIT 1",
				   "i", now_ms),
		       d, err);
}

kstatus sandbox_store_doc_insert(struct sb_store *st, const struct sb_doc *d, struct kerr *err)
{
	return store_exec(
	    st, err,
	    "INSERT INTO docs(uuid, login, ext_id, kind, type, printer, shift_id,"
	    " shift_number, tax_system, total, card, cash, change, amount, lines, ref_uuid,"
	    " status, outcome, due_ms, error_code, error_message, fn, fd, fpd, ofd_url,"
	    " callback_url, callback_data, report, created_ms, final_ms)"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "ssesssiisiiiiissssiississsssii", d->uuid, d->login, d->ext_id, d->kind, d->type,
	    d->printer, d->shift_id, d->shift_number, d->tax_system, (long long)d->total,
	    (long long)d->card, (long long)d->cash, (long long)d->change, (long long)d->amount,
	    d->lines, d->ref_uuid, d->status, d->outcome, d->due_ms, (long long)d->error_code,
	    d->error_message, d->fn, d->fd, d->fpd, d->ofd_url, d->callback_url, d->callback_data,
	    d->report, d->created_ms, d->final_ms);
}

kstatus sandbox_store_doc_finish(struct sb_store *st, const struct sb_doc *d, struct kerr *err)
{
	return store_exec(
	    st, err,
	    "UPDATE docs SET status = ?, error_code = ?, error_message = ?, fn = ?, fd = ?,"
	    " fpd = ?, ofd_url = ?, final_ms = ?, report = ? WHERE uuid = ?",
	    "sissississ", d->status, (long long)d->error_code, d->error_message, d->fn, d->fd,
	    d->fpd, d->ofd_url, d->final_ms, d->report, d->uuid);
}

kstatus sandbox_store_doc_requeue(struct sb_store *st, const struct sb_doc *d, struct kerr *err)
{
	return store_exec(st, err, "UPDATE docs SET outcome = ?, due_ms = ? WHERE uuid = ?", "sis",
			  d->outcome, d->due_ms, d->uuid);
}

kstatus sandbox_store_refunded(struct sb_store *st, const char *ref_uuid, int64_t *sum,
			       struct kerr *err)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT COALESCE(SUM(total), 0) FROM docs WHERE ref_uuid = ?"
				      " AND status != 'error'",
				      "s", ref_uuid);
	if (!s)
		return store_db_error(st, err, "query");
	kstatus ks = K_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		*sum = sqlite3_column_int64(s, 0);
	else
		ks = store_db_error(st, err, "read");
	store_done(st, s);
	return ks;
}

static json_t *money_str(int64_t kop)
{
	char buf[32];
	money_format_wire(kop, buf, sizeof buf);
	return json_string(buf);
}

static json_t *json_or_null(const char *text)
{
	if (!text)
		return json_null();
	json_t *j = jsonx_loads(text, strlen(text), NULL);
	return j ? j : json_string(text);
}

/* The cloud-print path of a stored kind (the store keeps the short wire name). */
static const char *kind_endpoint(const char *kind)
{
	static const char *const map[][2] = {
	    {"receipt", "/cloud-print/create-receipt"},
	    {"non-fiscal", "/cloud-print/create-non-fiscal-receipt"},
	    {"correction", "/cloud-print/create-receipt-correction"},
	    {"open-shift", "/cloud-print/create-session"},
	    {"x-report", "/cloud-print/create-x-report"},
	    {"z-report", "/cloud-print/create-z-report"},
	    {"cash-in", "/cloud-print/cash-in"},
	    {"cash-out", "/cloud-print/cash-out"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(kind, map[i][0]) == 0)
			return map[i][1];
	return "";
}

static json_t *doc_json(struct sb_store *st, const struct sb_doc *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "uuid", json_string(d->uuid));
	json_object_set_new(o, "ext_id", d->ext_id[0] ? json_string(d->ext_id) : json_null());
	json_object_set_new(o, "login", json_string(d->login));
	json_object_set_new(o, "endpoint", json_string(kind_endpoint(d->kind)));
	json_object_set_new(o, "kind", json_string(d->kind));
	json_object_set_new(o, "type", d->type[0] ? json_string(d->type) : json_null());
	json_object_set_new(o, "printer", json_string(d->printer));
	json_object_set_new(o, "shift_number", json_integer(d->shift_number));
	json_object_set_new(o, "tax_system", json_string(d->tax_system));
	json_object_set_new(o, "status", json_string(d->status));
	json_object_set_new(o, "total", money_str(d->total));
	json_object_set_new(o, "card_amount", money_str(d->card));
	json_object_set_new(o, "cash_amount", money_str(d->cash));
	json_object_set_new(o, "change", money_str(d->change));
	json_object_set_new(o, "amount", money_str(d->amount));
	json_object_set_new(o, "lines", d->lines ? json_or_null(d->lines) : json_array());
	json_object_set_new(o, "ref_uuid", d->ref_uuid[0] ? json_string(d->ref_uuid) : json_null());
	if (d->error_code) {
		json_object_set_new(o, "error_code", json_integer(d->error_code));
		json_object_set_new(o, "error_message", json_string(d->error_message));
	}
	if (d->fn[0]) {
		json_object_set_new(o, "fn", json_string(d->fn));
		char fd[24];
		snprintf(fd, sizeof fd, "%lld", d->fd);
		json_object_set_new(o, "fd", json_string(fd));
		json_object_set_new(o, "fpd", json_string(d->fpd));
	}
	if (d->ofd_url[0])
		json_object_set_new(o, "ofd_url", json_string(d->ofd_url));
	json_object_set_new(o, "callback_url",
			    d->callback_url ? json_string(d->callback_url) : json_null());
	if (d->report)
		json_object_set_new(o, "report", json_or_null(d->report));
	json_object_set_new(o, "created_ms", json_integer(d->created_ms));
	json_object_set_new(o, "final_ms", json_integer(d->final_ms));

	json_t *refunds = json_array();
	int64_t refunded = 0;
	sqlite3_stmt *s = store_query(st,
				      "SELECT uuid, total, status FROM docs WHERE ref_uuid = ?"
				      " ORDER BY seq",
				      "s", d->uuid);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		json_t *r = json_object();
		json_object_set_new(r, "uuid",
				    json_string((const char *)sqlite3_column_text(s, 0)));
		json_object_set_new(r, "total", money_str(sqlite3_column_int64(s, 1)));
		const char *status = (const char *)sqlite3_column_text(s, 2);
		json_object_set_new(r, "status", json_string(status ? status : ""));
		if (!status || strcmp(status, "error") != 0)
			refunded += sqlite3_column_int64(s, 1);
		json_array_append_new(refunds, r);
	}
	if (s)
		store_done(st, s);
	json_object_set_new(o, "refunds", refunds);
	json_object_set_new(o, "refunded", money_str(refunded));
	return o;
}

json_t *sandbox_store_ledger(struct sb_store *st, struct kerr *err)
{
	/* Read all rows first: doc_json runs its own query on the same connection. */
	struct sb_doc *docs = NULL;
	size_t n = 0;
	sqlite3_stmt *s = store_query(st, "SELECT " DOC_COLS " FROM docs ORDER BY seq", "");
	if (!s) {
		store_db_error(st, err, "query");
		return NULL;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		docs = xrealloc(docs, (n + 1) * sizeof *docs);
		doc_from_row(s, &docs[n++]);
	}
	store_done(st, s);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(arr, doc_json(st, &docs[i]));
		sandbox_doc_free(&docs[i]);
	}
	free(docs);
	return arr;
}

void sandbox_callback_free(struct sb_callback *c)
{
	free(c->url);
	free(c->content_type);
	free(c->body);
	c->url = c->content_type = c->body = NULL;
}

kstatus sandbox_store_cb_add(struct sb_store *st, const struct sb_callback *c, struct kerr *err)
{
	return store_exec(
	    st, err,
	    "INSERT INTO callbacks(provider, ref, url, content_type, body, attempts,"
	    " max_attempts, next_ms, state, last_result) VALUES(?,?,?,?,?,?,?,?,'pending','')",
	    "sssssiii", c->provider, c->ref, c->url, c->content_type, c->body,
	    (long long)c->attempts, (long long)c->max_attempts, c->next_ms);
}

kstatus sandbox_store_cb_due(struct sb_store *st, long long now_ms, struct sb_callback *c,
			     struct kerr *err)
{
	sqlite3_stmt *s =
	    store_query(st,
			"SELECT id, provider, ref, url, content_type, body, attempts,"
			" max_attempts, next_ms, state, last_result FROM callbacks"
			" WHERE state = 'pending' AND next_ms <= ? ORDER BY next_ms, id LIMIT 1",
			"i", now_ms);
	if (!s)
		return store_db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW) {
		memset(c, 0, sizeof *c);
		c->id = sqlite3_column_int64(s, 0);
		store_col_copy(s, 1, c->provider, sizeof c->provider);
		store_col_copy(s, 2, c->ref, sizeof c->ref);
		c->url = store_col_dup(s, 3);
		c->content_type = store_col_dup(s, 4);
		c->body = store_col_dup(s, 5);
		c->attempts = sqlite3_column_int(s, 6);
		c->max_attempts = sqlite3_column_int(s, 7);
		c->next_ms = sqlite3_column_int64(s, 8);
		store_col_copy(s, 9, c->state, sizeof c->state);
		store_col_copy(s, 10, c->last_result, sizeof c->last_result);
	} else if (rc == SQLITE_DONE) {
		ks = kerr_set(err, K_NOTFOUND, "callback", "none due");
	} else {
		ks = store_db_error(st, err, "read");
	}
	store_done(st, s);
	return ks;
}

kstatus sandbox_store_cb_save(struct sb_store *st, const struct sb_callback *c, struct kerr *err)
{
	return store_exec(
	    st, err,
	    "UPDATE callbacks SET attempts = ?, next_ms = ?, state = ?, last_result = ?"
	    " WHERE id = ?",
	    "iissi", (long long)c->attempts, c->next_ms, c->state, c->last_result, c->id);
}

json_t *sandbox_store_callbacks(struct sb_store *st, struct kerr *err)
{
	return store_rows_json(
	    st, err,
	    "SELECT id, provider, ref, url, attempts, max_attempts, next_ms, state,"
	    " last_result, body FROM callbacks ORDER BY id",
	    NULL);
}

long long sandbox_store_next_due(struct sb_store *st)
{
	sqlite3_stmt *s =
	    store_query(st,
			"SELECT MIN(t) FROM (SELECT MIN(due_ms) AS t FROM docs WHERE status ="
			" 'pending' UNION ALL SELECT MIN(next_ms) FROM callbacks WHERE state ="
			" 'pending' UNION ALL SELECT MIN(next_ms) FROM pk_receipts WHERE"
			" next_ms > 0)",
			"");
	if (!s)
		return -1;
	long long t = -1;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	store_done(st, s);
	return t;
}

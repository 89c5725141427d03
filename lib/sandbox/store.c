/*
 * The sandbox's state in SQLite: a file (documents and shifts survive a
 * restart) or :memory:. Prepared statements only, cached per SQL text.
 * Not thread-safe by itself: the engine serialises every call with its lock.
 */
#include "sandbox/internal.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "money.h"
#include "util.h"

#define STORE_SCHEMA_VERSION 1
#define STMT_CACHE 96

struct sb_store {
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	size_t n;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS printers(serial TEXT PRIMARY KEY, fn TEXT NOT NULL,"
    " next_fd INTEGER NOT NULL, drawer INTEGER NOT NULL, shifts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS shifts(id INTEGER PRIMARY KEY, printer TEXT NOT NULL,"
    " number INTEGER NOT NULL, opened_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS shifts_open ON shifts(printer, closed_ms);"
    "CREATE TABLE IF NOT EXISTS docs(seq INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,"
    " login TEXT NOT NULL, ext_id TEXT, kind TEXT NOT NULL, type TEXT NOT NULL,"
    " printer TEXT NOT NULL, shift_id INTEGER NOT NULL, shift_number INTEGER NOT NULL,"
    " tax_system TEXT NOT NULL, total INTEGER NOT NULL, card INTEGER NOT NULL,"
    " cash INTEGER NOT NULL, change INTEGER NOT NULL, amount INTEGER NOT NULL, lines TEXT,"
    " ref_uuid TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT NOT NULL,"
    " due_ms INTEGER NOT NULL, error_code INTEGER NOT NULL, error_message TEXT NOT NULL,"
    " fn TEXT NOT NULL, fd INTEGER NOT NULL, fpd TEXT NOT NULL, ofd_url TEXT NOT NULL,"
    " callback_url TEXT, callback_data TEXT, report TEXT, created_ms INTEGER NOT NULL,"
    " final_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS docs_ext ON docs(login, ext_id);"
    "CREATE INDEX IF NOT EXISTS docs_ref ON docs(ref_uuid);"
    "CREATE INDEX IF NOT EXISTS docs_due ON docs(status, due_ms);"
    "CREATE INDEX IF NOT EXISTS docs_shift ON docs(shift_id);"
    "CREATE TABLE IF NOT EXISTS callbacks(id INTEGER PRIMARY KEY, provider TEXT NOT NULL,"
    " ref TEXT NOT NULL, url TEXT NOT NULL, content_type TEXT NOT NULL, body TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, next_ms INTEGER NOT NULL,"
    " state TEXT NOT NULL, last_result TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(state, next_ms);"
    "CREATE TABLE IF NOT EXISTS pk_receipts(id INTEGER PRIMARY KEY, user TEXT NOT NULL,"
    " payment_id TEXT NOT NULL, type TEXT NOT NULL, is_post_sale TEXT NOT NULL,"
    " is_correction TEXT NOT NULL, refund_id TEXT NOT NULL, receipt_key TEXT NOT NULL,"
    " status TEXT NOT NULL, outcome TEXT NOT NULL, contact TEXT NOT NULL,"
    " sum_cashless INTEGER NOT NULL, sum_cash INTEGER NOT NULL, sum_advance INTEGER NOT NULL,"
    " sum_credit INTEGER NOT NULL, sum_counter_payment INTEGER NOT NULL, cart TEXT NOT NULL,"
    " receipt_properties TEXT, custom_params TEXT, error TEXT, fn TEXT NOT NULL,"
    " fnd TEXT NOT NULL, fpd TEXT NOT NULL, ts TEXT NOT NULL, rnkkt TEXT NOT NULL,"
    " shift_number TEXT NOT NULL, receipt_number TEXT NOT NULL,"
    " obtain_datetime TEXT NOT NULL, request_datetime TEXT NOT NULL,"
    " fop_receipt_key TEXT NOT NULL, fop_uuid TEXT NOT NULL, fop_url TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS pk_due ON pk_receipts(next_ms);"
    "CREATE TABLE IF NOT EXISTS pk_tokens(token TEXT PRIMARY KEY, user TEXT NOT NULL,"
    " issued_ms INTEGER NOT NULL);";

static kstatus db_error(struct sb_store *st, struct kerr *err, const char *what)
{
	return kerr_set(err, K_DB, "store", "%s: %s", what, sqlite3_errmsg(st->db));
}

static sqlite3_stmt *prep(struct sb_store *st, const char *sql)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (st->n < STMT_CACHE) {
		st->cache[st->n].sql = sql;
		st->cache[st->n].stmt = s;
		st->n++;
	}
	return s;
}

/* Releases a statement that did not fit into the cache. */
static void done(struct sb_store *st, sqlite3_stmt *s)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->cache[i].stmt == s) {
			sqlite3_reset(s);
			return;
		}
	sqlite3_finalize(s);
}

/*
 * Binds arguments by a format: 's' text (NULL binds NULL), 'e' text with
 * "" bound as NULL, 'i' long long.
 */
static int bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	/* A format that does not match the SQL is a bug: refuse rather than misbind. */
	if ((size_t)sqlite3_bind_parameter_count(s) != strlen(fmt))
		return SQLITE_RANGE;
	int idx = 1;
	for (const char *f = fmt; *f; f++, idx++) {
		int rc;
		if (*f == 'i') {
			rc = sqlite3_bind_int64(s, idx, va_arg(ap, long long));
		} else {
			const char *v = va_arg(ap, const char *);
			if (!v || (*f == 'e' && !v[0]))
				rc = sqlite3_bind_null(s, idx);
			else
				rc = sqlite3_bind_text(s, idx, v, -1, SQLITE_TRANSIENT);
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Runs a statement that returns no rows. */
static kstatus exec(struct sb_store *st, struct kerr *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return db_error(st, err, "prepare");
	va_list ap;
	va_start(ap, fmt);
	int rc = bindv(s, fmt, ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_CONSTRAINT)
		ks = kerr_set(err, K_EXISTS, "store", "%s", sqlite3_errmsg(st->db));
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ks = db_error(st, err, "write");
	done(st, s);
	return ks;
}

/* Starts a query; the caller steps it and calls done(). NULL on error. */
static sqlite3_stmt *query(struct sb_store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = bindv(s, fmt, ap);
	va_end(ap);
	if (rc != SQLITE_OK) {
		done(st, s);
		return NULL;
	}
	return s;
}

static void col_copy(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	str_copy(dst, t ? (const char *)t : "", n);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

kstatus sandbox_store_open(const char *path, struct sb_store **out, struct kerr *err)
{
	struct sb_store *st = xcalloc(1, sizeof *st);
	bool memory = !path || !path[0] || strcmp(path, ":memory:") == 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(memory ? ":memory:" : path, &st->db, flags, NULL) != SQLITE_OK) {
		kerr_set(err, K_DB, "db", "cannot open %s: %s", memory ? "memory database" : path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		free(st);
		return K_DB;
	}
	sqlite3_busy_timeout(st->db, 2000);
	char *msg = NULL;
	if (!memory &&
	    sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	int version = 0;
	sqlite3_stmt *v = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK &&
	    sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (version > STORE_SCHEMA_VERSION) {
		kerr_set(err, K_DB, "db",
			 "%s was written by a newer kassa-sandbox (schema %d); use a newer binary "
			 "or another --db file",
			 path, version);
		sqlite3_close(st->db);
		free(st);
		return K_DB;
	}
	/* The whole schema in one transaction, so a crash leaves none or all of it. */
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(st->db, "PRAGMA user_version=1", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	*out = st;
	return K_OK;
fail:
	kerr_set(err, K_DB, "db", "cannot prepare %s: %s", memory ? "memory database" : path,
		 msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	sqlite3_close(st->db);
	free(st);
	return K_DB;
}

void sandbox_store_close(struct sb_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st);
}

kstatus sandbox_store_begin(struct sb_store *st, struct kerr *err)
{
	return exec(st, err, "BEGIN IMMEDIATE", "");
}

kstatus sandbox_store_commit(struct sb_store *st, struct kerr *err)
{
	return exec(st, err, "COMMIT", "");
}

void sandbox_store_rollback(struct sb_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec(st, NULL, "ROLLBACK", "");
}

kstatus sandbox_store_reset(struct sb_store *st, struct kerr *err)
{
	static const char *const sql[] = {
	    "DELETE FROM docs",	     "DELETE FROM shifts",	"DELETE FROM printers",
	    "DELETE FROM callbacks", "DELETE FROM pk_receipts", "DELETE FROM pk_tokens",
	};
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		kstatus ks = exec(st, err, sql[i], "");
		if (ks != K_OK)
			return ks;
	}
	return K_OK;
}

/* ---- documents ---- */

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
	col_copy(s, c++, d->uuid, sizeof d->uuid);
	col_copy(s, c++, d->login, sizeof d->login);
	col_copy(s, c++, d->ext_id, sizeof d->ext_id);
	col_copy(s, c++, d->kind, sizeof d->kind);
	col_copy(s, c++, d->type, sizeof d->type);
	col_copy(s, c++, d->printer, sizeof d->printer);
	d->shift_id = sqlite3_column_int64(s, c++);
	d->shift_number = sqlite3_column_int64(s, c++);
	col_copy(s, c++, d->tax_system, sizeof d->tax_system);
	d->total = sqlite3_column_int64(s, c++);
	d->card = sqlite3_column_int64(s, c++);
	d->cash = sqlite3_column_int64(s, c++);
	d->change = sqlite3_column_int64(s, c++);
	d->amount = sqlite3_column_int64(s, c++);
	d->lines = col_dup(s, c++);
	col_copy(s, c++, d->ref_uuid, sizeof d->ref_uuid);
	col_copy(s, c++, d->status, sizeof d->status);
	col_copy(s, c++, d->outcome, sizeof d->outcome);
	d->due_ms = sqlite3_column_int64(s, c++);
	d->error_code = sqlite3_column_int(s, c++);
	col_copy(s, c++, d->error_message, sizeof d->error_message);
	col_copy(s, c++, d->fn, sizeof d->fn);
	d->fd = sqlite3_column_int64(s, c++);
	col_copy(s, c++, d->fpd, sizeof d->fpd);
	col_copy(s, c++, d->ofd_url, sizeof d->ofd_url);
	d->callback_url = col_dup(s, c++);
	d->callback_data = col_dup(s, c++);
	d->report = col_dup(s, c++);
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
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		doc_from_row(s, d);
	else if (rc == SQLITE_DONE)
		ks = kerr_set(err, K_NOTFOUND, "uuid", "no such document");
	else
		ks = db_error(st, err, "read");
	done(st, s);
	return ks;
}

kstatus sandbox_store_doc_by_ext(struct sb_store *st, const char *login, const char *ext_id,
				 struct sb_doc *d, struct kerr *err)
{
	return doc_one(st,
		       query(st, "SELECT " DOC_COLS " FROM docs WHERE login = ? AND ext_id = ?",
			     "ss", login, ext_id),
		       d, err);
}

kstatus sandbox_store_doc_get(struct sb_store *st, const char *uuid, struct sb_doc *d,
			      struct kerr *err)
{
	return doc_one(st, query(st, "SELECT " DOC_COLS " FROM docs WHERE uuid = ?", "s", uuid), d,
		       err);
}

kstatus sandbox_store_doc_due(struct sb_store *st, long long now_ms, struct sb_doc *d,
			      struct kerr *err)
{
	return doc_one(st,
		       query(st,
			     "SELECT " DOC_COLS
			     " FROM docs WHERE status = 'pending' AND due_ms <= ?"
			     " ORDER BY due_ms, seq LIMIT 1",
			     "i", now_ms),
		       d, err);
}

kstatus sandbox_store_doc_insert(struct sb_store *st, const struct sb_doc *d, struct kerr *err)
{
	return exec(st, err,
		    "INSERT INTO docs(uuid, login, ext_id, kind, type, printer, shift_id,"
		    " shift_number, tax_system, total, card, cash, change, amount, lines, ref_uuid,"
		    " status, outcome, due_ms, error_code, error_message, fn, fd, fpd, ofd_url,"
		    " callback_url, callback_data, report, created_ms, final_ms)"
		    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    "ssesssiisiiiiissssiississsssii", d->uuid, d->login, d->ext_id, d->kind,
		    d->type, d->printer, d->shift_id, d->shift_number, d->tax_system,
		    (long long)d->total, (long long)d->card, (long long)d->cash,
		    (long long)d->change, (long long)d->amount, d->lines, d->ref_uuid, d->status,
		    d->outcome, d->due_ms, (long long)d->error_code, d->error_message, d->fn, d->fd,
		    d->fpd, d->ofd_url, d->callback_url, d->callback_data, d->report, d->created_ms,
		    d->final_ms);
}

kstatus sandbox_store_doc_finish(struct sb_store *st, const struct sb_doc *d, struct kerr *err)
{
	return exec(st, err,
		    "UPDATE docs SET status = ?, error_code = ?, error_message = ?, fn = ?, fd = ?,"
		    " fpd = ?, ofd_url = ?, final_ms = ?, report = ? WHERE uuid = ?",
		    "sissississ", d->status, (long long)d->error_code, d->error_message, d->fn,
		    d->fd, d->fpd, d->ofd_url, d->final_ms, d->report, d->uuid);
}

kstatus sandbox_store_doc_requeue(struct sb_store *st, const struct sb_doc *d, struct kerr *err)
{
	return exec(st, err, "UPDATE docs SET outcome = ?, due_ms = ? WHERE uuid = ?", "sis",
		    d->outcome, d->due_ms, d->uuid);
}

kstatus sandbox_store_refunded(struct sb_store *st, const char *ref_uuid, int64_t *sum,
			       struct kerr *err)
{
	sqlite3_stmt *s = query(st,
				"SELECT COALESCE(SUM(total), 0) FROM docs WHERE ref_uuid = ?"
				" AND status != 'error'",
				"s", ref_uuid);
	if (!s)
		return db_error(st, err, "query");
	kstatus ks = K_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		*sum = sqlite3_column_int64(s, 0);
	else
		ks = db_error(st, err, "read");
	done(st, s);
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
	sqlite3_stmt *s = query(st,
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
		done(st, s);
	json_object_set_new(o, "refunds", refunds);
	json_object_set_new(o, "refunded", money_str(refunded));
	return o;
}

json_t *sandbox_store_ledger(struct sb_store *st, struct kerr *err)
{
	/* Read all rows first: doc_json runs its own query on the same connection. */
	struct sb_doc *docs = NULL;
	size_t n = 0;
	sqlite3_stmt *s = query(st, "SELECT " DOC_COLS " FROM docs ORDER BY seq", "");
	if (!s) {
		db_error(st, err, "query");
		return NULL;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		docs = xrealloc(docs, (n + 1) * sizeof *docs);
		doc_from_row(s, &docs[n++]);
	}
	done(st, s);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(arr, doc_json(st, &docs[i]));
		sandbox_doc_free(&docs[i]);
	}
	free(docs);
	return arr;
}

/* ---- printers and shifts ---- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

kstatus sandbox_store_printer(struct sb_store *st, const char *serial, struct sb_printer_state *p,
			      struct kerr *err)
{
	sqlite3_stmt *s = query(
	    st, "SELECT fn, next_fd, drawer, shifts FROM printers WHERE serial = ?", "s", serial);
	if (!s)
		return db_error(st, err, "query");
	memset(p, 0, sizeof *p);
	str_copy(p->serial, serial, sizeof p->serial);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		col_copy(s, 0, p->fn, sizeof p->fn);
		p->next_fd = sqlite3_column_int64(s, 1);
		p->drawer = sqlite3_column_int64(s, 2);
		p->shifts = sqlite3_column_int64(s, 3);
		done(st, s);
		return K_OK;
	}
	done(st, s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "read");
	/* A sandbox FN number: 9999 marks it as not real, the rest follows the serial. */
	snprintf(p->fn, sizeof p->fn, "9999%012llu",
		 (unsigned long long)(fnv1a(serial) % UINT64_C(1000000000000)));
	p->next_fd = 1;
	return exec(st, err,
		    "INSERT INTO printers(serial, fn, next_fd, drawer, shifts) VALUES(?,?,?,?,?)",
		    "ssiii", p->serial, p->fn, p->next_fd, (long long)p->drawer, p->shifts);
}

kstatus sandbox_store_printer_save(struct sb_store *st, const struct sb_printer_state *p,
				   struct kerr *err)
{
	return exec(st, err,
		    "UPDATE printers SET next_fd = ?, drawer = ?, shifts = ? WHERE serial = ?",
		    "iiis", p->next_fd, (long long)p->drawer, p->shifts, p->serial);
}

kstatus sandbox_store_shift_open_get(struct sb_store *st, const char *serial, struct sb_shift *sh,
				     struct kerr *err)
{
	sqlite3_stmt *s = query(st,
				"SELECT id, number, opened_ms FROM shifts WHERE printer = ?"
				" AND closed_ms = 0 ORDER BY id DESC LIMIT 1",
				"s", serial);
	if (!s)
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW) {
		memset(sh, 0, sizeof *sh);
		sh->id = sqlite3_column_int64(s, 0);
		sh->number = sqlite3_column_int64(s, 1);
		sh->opened_ms = sqlite3_column_int64(s, 2);
		str_copy(sh->printer, serial, sizeof sh->printer);
	} else if (rc == SQLITE_DONE) {
		ks = kerr_set(err, K_NOTFOUND, "session", "the shift is closed");
	} else {
		ks = db_error(st, err, "read");
	}
	done(st, s);
	return ks;
}

kstatus sandbox_store_shift_open(struct sb_store *st, const char *serial, long long number,
				 long long now_ms, struct sb_shift *sh, struct kerr *err)
{
	kstatus ks = exec(
	    st, err, "INSERT INTO shifts(printer, number, opened_ms, closed_ms) VALUES(?,?,?,0)",
	    "sii", serial, number, now_ms);
	if (ks != K_OK)
		return ks;
	memset(sh, 0, sizeof *sh);
	sh->id = sqlite3_last_insert_rowid(st->db);
	sh->number = number;
	sh->opened_ms = now_ms;
	str_copy(sh->printer, serial, sizeof sh->printer);
	return K_OK;
}

kstatus sandbox_store_shift_close(struct sb_store *st, long long id, long long now_ms,
				  struct kerr *err)
{
	/* closed_ms 0 means open, so a close at time 0 is stored as 1. */
	return exec(st, err, "UPDATE shifts SET closed_ms = ? WHERE id = ?", "ii",
		    now_ms > 0 ? now_ms : 1, id);
}

static int type_index(const char *type)
{
	static const char *const types[] = {"payment", "refund", "buy", "buy_refund"};
	for (int i = 0; i < 4; i++)
		if (strcmp(type, types[i]) == 0)
			return i;
	return -1;
}

kstatus sandbox_store_shift_totals(struct sb_store *st, long long shift_id, struct sb_totals *t,
				   struct kerr *err)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *s =
	    query(st,
		  "SELECT kind, type, COUNT(*), SUM(total), SUM(card), SUM(cash - change),"
		  " SUM(amount) FROM docs WHERE shift_id = ? AND status != 'error'"
		  " GROUP BY kind, type",
		  "i", shift_id);
	if (!s)
		return db_error(st, err, "query");
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 0);
		const char *type = (const char *)sqlite3_column_text(s, 1);
		long long count = sqlite3_column_int64(s, 2);
		t->documents += count;
		if (!kind || !type)
			continue;
		if (strcmp(kind, "cash-in") == 0) {
			t->cash_in += sqlite3_column_int64(s, 6);
		} else if (strcmp(kind, "cash-out") == 0) {
			t->cash_out += sqlite3_column_int64(s, 6);
		} else if (strcmp(kind, "receipt") == 0 || strcmp(kind, "correction") == 0) {
			int i = type_index(type);
			if (i < 0)
				continue;
			t->count[i] += count;
			t->sum[i] += sqlite3_column_int64(s, 3);
			t->card[i] += sqlite3_column_int64(s, 4);
			t->cash[i] += sqlite3_column_int64(s, 5);
		}
	}
	done(st, s);
	return rc == SQLITE_DONE ? K_OK : db_error(st, err, "read");
}

json_t *sandbox_store_shifts(struct sb_store *st, struct kerr *err)
{
	sqlite3_stmt *s = query(st,
				"SELECT id, printer, number, opened_ms, closed_ms FROM shifts"
				" ORDER BY id",
				"");
	if (!s) {
		db_error(st, err, "query");
		return NULL;
	}
	json_t *arr = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
		json_object_set_new(o, "printer",
				    json_string((const char *)sqlite3_column_text(s, 1)));
		json_object_set_new(o, "number", json_integer(sqlite3_column_int64(s, 2)));
		json_object_set_new(o, "opened_ms", json_integer(sqlite3_column_int64(s, 3)));
		long long closed = sqlite3_column_int64(s, 4);
		json_object_set_new(o, "closed_ms", closed ? json_integer(closed) : json_null());
		json_object_set_new(o, "open", json_boolean(closed == 0));
		json_array_append_new(arr, o);
	}
	done(st, s);
	return arr;
}

/* ---- callbacks ---- */

void sandbox_callback_free(struct sb_callback *c)
{
	free(c->url);
	free(c->content_type);
	free(c->body);
	c->url = c->content_type = c->body = NULL;
}

kstatus sandbox_store_cb_add(struct sb_store *st, const struct sb_callback *c, struct kerr *err)
{
	return exec(
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
	    query(st,
		  "SELECT id, provider, ref, url, content_type, body, attempts,"
		  " max_attempts, next_ms, state, last_result FROM callbacks"
		  " WHERE state = 'pending' AND next_ms <= ? ORDER BY next_ms, id LIMIT 1",
		  "i", now_ms);
	if (!s)
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW) {
		memset(c, 0, sizeof *c);
		c->id = sqlite3_column_int64(s, 0);
		col_copy(s, 1, c->provider, sizeof c->provider);
		col_copy(s, 2, c->ref, sizeof c->ref);
		c->url = col_dup(s, 3);
		c->content_type = col_dup(s, 4);
		c->body = col_dup(s, 5);
		c->attempts = sqlite3_column_int(s, 6);
		c->max_attempts = sqlite3_column_int(s, 7);
		c->next_ms = sqlite3_column_int64(s, 8);
		col_copy(s, 9, c->state, sizeof c->state);
		col_copy(s, 10, c->last_result, sizeof c->last_result);
	} else if (rc == SQLITE_DONE) {
		ks = kerr_set(err, K_NOTFOUND, "callback", "none due");
	} else {
		ks = db_error(st, err, "read");
	}
	done(st, s);
	return ks;
}

kstatus sandbox_store_cb_save(struct sb_store *st, const struct sb_callback *c, struct kerr *err)
{
	return exec(st, err,
		    "UPDATE callbacks SET attempts = ?, next_ms = ?, state = ?, last_result = ?"
		    " WHERE id = ?",
		    "iissi", (long long)c->attempts, c->next_ms, c->state, c->last_result, c->id);
}

json_t *sandbox_store_callbacks(struct sb_store *st, struct kerr *err)
{
	sqlite3_stmt *s =
	    query(st,
		  "SELECT id, provider, ref, url, attempts, max_attempts, next_ms, state,"
		  " last_result, body FROM callbacks ORDER BY id",
		  "");
	if (!s) {
		db_error(st, err, "query");
		return NULL;
	}
	json_t *arr = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
		json_object_set_new(o, "provider",
				    json_string((const char *)sqlite3_column_text(s, 1)));
		json_object_set_new(o, "ref", json_string((const char *)sqlite3_column_text(s, 2)));
		json_object_set_new(o, "url", json_string((const char *)sqlite3_column_text(s, 3)));
		json_object_set_new(o, "attempts", json_integer(sqlite3_column_int(s, 4)));
		json_object_set_new(o, "max_attempts", json_integer(sqlite3_column_int(s, 5)));
		json_object_set_new(o, "next_ms", json_integer(sqlite3_column_int64(s, 6)));
		json_object_set_new(o, "state",
				    json_string((const char *)sqlite3_column_text(s, 7)));
		json_object_set_new(o, "last_result",
				    json_string((const char *)sqlite3_column_text(s, 8)));
		json_object_set_new(o, "body",
				    json_string((const char *)sqlite3_column_text(s, 9)));
		json_array_append_new(arr, o);
	}
	done(st, s);
	return arr;
}

long long sandbox_store_next_due(struct sb_store *st)
{
	sqlite3_stmt *s =
	    query(st,
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
	done(st, s);
	return t;
}

/* ---- PayKeeper receipts ---- */

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
	col_copy(s, c++, r->user, sizeof r->user);
	col_copy(s, c++, r->payment_id, sizeof r->payment_id);
	col_copy(s, c++, r->type, sizeof r->type);
	col_copy(s, c++, r->is_post_sale, sizeof r->is_post_sale);
	col_copy(s, c++, r->is_correction, sizeof r->is_correction);
	col_copy(s, c++, r->refund_id, sizeof r->refund_id);
	col_copy(s, c++, r->receipt_key, sizeof r->receipt_key);
	col_copy(s, c++, r->status, sizeof r->status);
	col_copy(s, c++, r->outcome, sizeof r->outcome);
	col_copy(s, c++, r->contact, sizeof r->contact);
	r->sum_cashless = sqlite3_column_int64(s, c++);
	r->sum_cash = sqlite3_column_int64(s, c++);
	r->sum_advance = sqlite3_column_int64(s, c++);
	r->sum_credit = sqlite3_column_int64(s, c++);
	r->sum_counter_payment = sqlite3_column_int64(s, c++);
	r->cart = col_dup(s, c++);
	r->receipt_properties = col_dup(s, c++);
	r->custom_params = col_dup(s, c++);
	r->error = col_dup(s, c++);
	col_copy(s, c++, r->fn, sizeof r->fn);
	col_copy(s, c++, r->fnd, sizeof r->fnd);
	col_copy(s, c++, r->fpd, sizeof r->fpd);
	col_copy(s, c++, r->ts, sizeof r->ts);
	col_copy(s, c++, r->rnkkt, sizeof r->rnkkt);
	col_copy(s, c++, r->shift_number, sizeof r->shift_number);
	col_copy(s, c++, r->receipt_number, sizeof r->receipt_number);
	col_copy(s, c++, r->obtain_datetime, sizeof r->obtain_datetime);
	col_copy(s, c++, r->request_datetime, sizeof r->request_datetime);
	col_copy(s, c++, r->fop_receipt_key, sizeof r->fop_receipt_key);
	col_copy(s, c++, r->fop_uuid, sizeof r->fop_uuid);
	col_copy(s, c++, r->fop_url, sizeof r->fop_url);
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
	kstatus ks = exec(
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
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		pk_from_row(s, r);
	else if (rc == SQLITE_DONE)
		ks = kerr_set(err, K_NOTFOUND, "id", "no such receipt");
	else
		ks = db_error(st, err, "read");
	done(st, s);
	return ks;
}

kstatus sandbox_store_pk_get(struct sb_store *st, long long id, struct sb_pk_receipt *r,
			     struct kerr *err)
{
	return pk_one(st, query(st, "SELECT " PK_COLS " FROM pk_receipts WHERE id = ?", "i", id), r,
		      err);
}

kstatus sandbox_store_pk_due(struct sb_store *st, long long now_ms, struct sb_pk_receipt *r,
			     struct kerr *err)
{
	return pk_one(st,
		      query(st,
			    "SELECT " PK_COLS " FROM pk_receipts WHERE next_ms > 0 AND next_ms <= ?"
			    " ORDER BY next_ms, id LIMIT 1",
			    "i", now_ms),
		      r, err);
}

kstatus sandbox_store_pk_save(struct sb_store *st, const struct sb_pk_receipt *r, struct kerr *err)
{
	return exec(st, err,
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
	    query(st,
		  "SELECT id FROM pk_receipts WHERE user = ? AND payment_id = ? AND"
		  " refund_id = ? AND is_post_sale = ? AND type = ? AND receipt_key = ?"
		  " AND status NOT IN ('rejected', 'failed') ORDER BY id LIMIT 1",
		  "ssssss", r->user, r->payment_id, r->refund_id, r->is_post_sale, r->type,
		  r->receipt_key);
	if (!s)
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		ks = K_NOTFOUND;
	else
		ks = db_error(st, err, "read");
	done(st, s);
	return ks;
}

kstatus sandbox_store_pk_all(struct sb_store *st, const char *user, struct sb_pk_receipt **out,
			     size_t *n, struct kerr *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (user)
		s = query(st, "SELECT " PK_COLS " FROM pk_receipts WHERE user = ? ORDER BY id", "s",
			  user);
	else
		s = query(st, "SELECT " PK_COLS " FROM pk_receipts ORDER BY id", "");
	if (!s)
		return db_error(st, err, "query");
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		pk_from_row(s, &(*out)[(*n)++]);
	}
	done(st, s);
	return rc == SQLITE_DONE ? K_OK : db_error(st, err, "read");
}

kstatus sandbox_store_token_get(struct sb_store *st, const char *user, long long now_ms,
				long long valid_ms, char *buf, size_t n, struct kerr *err)
{
	sqlite3_stmt *s = query(st,
				"SELECT token FROM pk_tokens WHERE user = ? AND issued_ms > ?"
				" AND issued_ms <= ? ORDER BY issued_ms DESC LIMIT 1",
				"sii", user, now_ms - valid_ms, now_ms);
	if (!s)
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	kstatus ks = K_OK;
	if (rc == SQLITE_ROW)
		col_copy(s, 0, buf, n);
	else if (rc == SQLITE_DONE)
		ks = K_NOTFOUND;
	else
		ks = db_error(st, err, "read");
	done(st, s);
	return ks;
}

kstatus sandbox_store_token_add(struct sb_store *st, const char *user, const char *token,
				long long now_ms, struct kerr *err)
{
	return exec(st, err, "INSERT INTO pk_tokens(token, user, issued_ms) VALUES(?,?,?)", "ssi",
		    token, user, now_ms);
}

kstatus sandbox_store_token_check(struct sb_store *st, const char *user, const char *token,
				  long long now_ms, long long valid_ms, struct kerr *err)
{
	sqlite3_stmt *s =
	    query(st,
		  "SELECT 1 FROM pk_tokens WHERE token = ? AND user = ? AND issued_ms > ?"
		  " AND issued_ms <= ?",
		  "ssii", token, user, now_ms - valid_ms, now_ms);
	if (!s)
		return db_error(st, err, "query");
	int rc = sqlite3_step(s);
	done(st, s);
	if (rc == SQLITE_ROW)
		return K_OK;
	if (rc == SQLITE_DONE)
		return K_NOTFOUND;
	return db_error(st, err, "read");
}

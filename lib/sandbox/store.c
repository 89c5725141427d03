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
#include "sandbox/store_int.h"
#include "util.h"

#define STORE_SCHEMA_VERSION 1

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

kstatus store_db_error(struct sb_store *st, struct kerr *err, const char *what)
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
void store_done(struct sb_store *st, sqlite3_stmt *s)
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
kstatus store_exec(struct sb_store *st, struct kerr *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return store_db_error(st, err, "prepare");
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
		ks = store_db_error(st, err, "write");
	store_done(st, s);
	return ks;
}

/* Starts a query; the caller steps it and calls store_done(). NULL on error. */
sqlite3_stmt *store_query(struct sb_store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = bindv(s, fmt, ap);
	va_end(ap);
	if (rc != SQLITE_OK) {
		store_done(st, s);
		return NULL;
	}
	return s;
}

void store_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	str_copy(dst, t ? (const char *)t : "", n);
}

char *store_col_dup(sqlite3_stmt *s, int i)
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
	return store_exec(st, err, "BEGIN IMMEDIATE", "");
}

kstatus sandbox_store_commit(struct sb_store *st, struct kerr *err)
{
	return store_exec(st, err, "COMMIT", "");
}

void sandbox_store_rollback(struct sb_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_exec(st, NULL, "ROLLBACK", "");
}

kstatus sandbox_store_reset(struct sb_store *st, struct kerr *err)
{
	static const char *const sql[] = {
	    "DELETE FROM docs",	     "DELETE FROM shifts",	"DELETE FROM printers",
	    "DELETE FROM callbacks", "DELETE FROM pk_receipts", "DELETE FROM pk_tokens",
	};
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		kstatus ks = store_exec(st, err, sql[i], "");
		if (ks != K_OK)
			return ks;
	}
	return K_OK;
}

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
	sqlite3_stmt *s = store_query(
	    st, "SELECT fn, next_fd, drawer, shifts FROM printers WHERE serial = ?", "s", serial);
	if (!s)
		return store_db_error(st, err, "query");
	memset(p, 0, sizeof *p);
	str_copy(p->serial, serial, sizeof p->serial);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		store_col_copy(s, 0, p->fn, sizeof p->fn);
		p->next_fd = sqlite3_column_int64(s, 1);
		p->drawer = sqlite3_column_int64(s, 2);
		p->shifts = sqlite3_column_int64(s, 3);
		store_done(st, s);
		return K_OK;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, err, "read");
	/* A sandbox FN number: 9999 marks it as not real, the rest follows the serial. */
	snprintf(p->fn, sizeof p->fn, "9999%012llu",
		 (unsigned long long)(fnv1a(serial) % UINT64_C(1000000000000)));
	p->next_fd = 1;
	return store_exec(
	    st, err, "INSERT INTO printers(serial, fn, next_fd, drawer, shifts) VALUES(?,?,?,?,?)",
	    "ssiii", p->serial, p->fn, p->next_fd, (long long)p->drawer, p->shifts);
}

kstatus sandbox_store_printer_save(struct sb_store *st, const struct sb_printer_state *p,
				   struct kerr *err)
{
	return store_exec(
	    st, err, "UPDATE printers SET next_fd = ?, drawer = ?, shifts = ? WHERE serial = ?",
	    "iiis", p->next_fd, (long long)p->drawer, p->shifts, p->serial);
}

kstatus sandbox_store_shift_open_get(struct sb_store *st, const char *serial, struct sb_shift *sh,
				     struct kerr *err)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, number, opened_ms FROM shifts WHERE printer = ?"
				      " AND closed_ms = 0 ORDER BY id DESC LIMIT 1",
				      "s", serial);
	if (!s)
		return store_db_error(st, err, "query");
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
		ks = store_db_error(st, err, "read");
	}
	store_done(st, s);
	return ks;
}

kstatus sandbox_store_shift_open(struct sb_store *st, const char *serial, long long number,
				 long long now_ms, struct sb_shift *sh, struct kerr *err)
{
	kstatus ks = store_exec(
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
	return store_exec(st, err, "UPDATE shifts SET closed_ms = ? WHERE id = ?", "ii",
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
	    store_query(st,
			"SELECT kind, type, COUNT(*), SUM(total), SUM(card), SUM(cash - change),"
			" SUM(amount) FROM docs WHERE shift_id = ? AND status != 'error'"
			" GROUP BY kind, type",
			"i", shift_id);
	if (!s)
		return store_db_error(st, err, "query");
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
	store_done(st, s);
	return rc == SQLITE_DONE ? K_OK : store_db_error(st, err, "read");
}

json_t *store_rows_json(struct sb_store *st, struct kerr *err, const char *sql,
			void (*on_row)(json_t *o))
{
	sqlite3_stmt *s = store_query(st, sql, "");
	if (!s) {
		store_db_error(st, err, "query");
		return NULL;
	}
	json_t *arr = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const char *name = sqlite3_column_name(s, i);
			int type = sqlite3_column_type(s, i);
			if (type == SQLITE_INTEGER)
				json_object_set_new(o, name,
						    json_integer(sqlite3_column_int64(s, i)));
			else if (type == SQLITE_TEXT)
				json_object_set_new(
				    o, name, json_string((const char *)sqlite3_column_text(s, i)));
		}
		if (on_row)
			on_row(o);
		json_array_append_new(arr, o);
	}
	store_done(st, s);
	return arr;
}

/* closed_ms 0 is an open shift: null, and "open" says so. */
static void on_shift_row(json_t *o)
{
	json_int_t closed = json_integer_value(json_object_get(o, "closed_ms"));
	json_object_set_new(o, "closed_ms", closed ? json_integer(closed) : json_null());
	json_object_set_new(o, "open", json_boolean(closed == 0));
}

json_t *sandbox_store_shifts(struct sb_store *st, struct kerr *err)
{
	return store_rows_json(
	    st, err, "SELECT id, printer, number, opened_ms, closed_ms FROM shifts ORDER BY id",
	    on_shift_row);
}

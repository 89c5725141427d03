#include "journal_raw.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

static const char SQL_RAW[] =
    "SELECT id, at, COALESCE(doc_id, 0), uuid, content_type, body, applied, state, source, "
    "error_code, detail, replays, last_at FROM raw_callbacks "
    "WHERE doc_id = ?1 OR (?2 <> '' AND uuid = ?2) ORDER BY id";
/* A journal from before schema 5 has no replay counts. */
static const char SQL_RAW_V3[] =
    "SELECT id, at, COALESCE(doc_id, 0), uuid, content_type, body, applied, state, source, "
    "error_code, detail, 0, at FROM raw_callbacks "
    "WHERE doc_id = ?1 OR (?2 <> '' AND uuid = ?2) ORDER BY id";

static void col_copy(sqlite3_stmt *s, int col, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	str_copy(buf, t ? (const char *)t : "", n);
}

static bool table_exists(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
			       "name = 'raw_callbacks'",
			       -1, &s, NULL) == SQLITE_OK)
		found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

kstatus journal_raw_callbacks(const char *journal_path, int64_t doc_id, const char *uuid,
			      bool (*cb)(const struct journal_raw_callback *c, void *ctx),
			      void *ctx, struct kerr *err)
{
	sqlite3 *db = NULL;
	int rc =
	    sqlite3_open_v2(journal_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		kstatus st = kerr_set(err, K_IO, "journal", _("cannot open journal %s: %s"),
				      journal_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return st;
	}
	sqlite3_busy_timeout(db, 2000);
	kstatus st = K_OK;
	if (!table_exists(db)) {
		sqlite3_close(db);
		return K_OK;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, SQL_RAW, -1, &s, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db, SQL_RAW_V3, -1, &s, NULL) != SQLITE_OK) {
		st = kerr_set(err, K_DB, "journal", _("cannot read the callbacks of %s: %s"),
			      journal_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return st;
	}
	sqlite3_bind_int64(s, 1, doc_id);
	sqlite3_bind_text(s, 2, uuid ? uuid : "", -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct journal_raw_callback c;
		memset(&c, 0, sizeof c);
		c.id = sqlite3_column_int64(s, 0);
		c.at = sqlite3_column_int64(s, 1);
		c.doc_id = sqlite3_column_int64(s, 2);
		col_copy(s, 3, c.uuid, sizeof c.uuid);
		col_copy(s, 4, c.content_type, sizeof c.content_type);
		/* A BLOB may hold anything; the caller gets it NUL-terminated. */
		const void *blob = sqlite3_column_blob(s, 5);
		int len = sqlite3_column_bytes(s, 5);
		char *body = xmalloc((size_t)(len > 0 ? len : 0) + 1);
		if (blob && len > 0)
			memcpy(body, blob, (size_t)len);
		body[len > 0 ? len : 0] = '\0';
		c.body = body;
		c.body_len = len > 0 ? (size_t)len : 0;
		c.applied = sqlite3_column_int(s, 6) != 0;
		const unsigned char *w = sqlite3_column_text(s, 7);
		if (!w || !journal_state_parse((const char *)w, &c.state))
			c.state = JS_QUEUED;
		w = sqlite3_column_text(s, 8);
		if (!w || !journal_source_parse((const char *)w, &c.source))
			c.source = JSRC_CALLBACK;
		c.error_code = sqlite3_column_int(s, 9);
		col_copy(s, 10, c.detail, sizeof c.detail);
		c.replays = sqlite3_column_int64(s, 11);
		c.last_at = sqlite3_column_int64(s, 12);
		bool more = cb(&c, ctx);
		free(body);
		if (!more)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		st = kerr_set(err, K_DB, "journal", _("cannot read the callbacks of %s: %s"),
			      journal_path, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return st;
}

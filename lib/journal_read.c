/* Reading the journal: documents, history, filters; the open basket; named values. */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "i18n.h"
#include "journal_int.h"
#include "util.h"

static kstatus doc_query(struct journal *j, enum stmt_id sid, int64_t num, const char *text,
			 struct journal_doc *out, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, sid, err);
	if (!s)
		return K_DB;
	if (sid == ST_DOC_BY_ID)
		sqlite3_bind_int64(s, 1, num);
	else
		journal_bind_text(s, 1, text);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		journal_doc_from_row(s, out, true);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return K_NOTFOUND;
	if (rc != SQLITE_ROW)
		return journal_db_error(j, rc, err);
	return K_OK;
}

kstatus journal_get(struct journal *j, int64_t id, struct journal_doc *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	kstatus st = doc_query(j, ST_DOC_BY_ID, id, NULL, out, err);
	if (st == K_NOTFOUND)
		kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"), id);
	return st;
}

/*
 * The beginning of an ext_id or uuid, as the journal and the screen show it
 * cut ("b0a6353e-7934-4d4c-921…"): found when exactly one document starts so.
 */
static kstatus doc_by_prefix(struct journal *j, const char *k, struct journal_doc *out,
			     struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_DOC_BY_PREFIX, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, k);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		journal_doc_from_row(s, out, true);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			sqlite3_reset(s);
			journal_doc_free(out);
			memset(out, 0, sizeof *out);
			return kerr_set(err, K_NOTFOUND, "id",
					_("more than one document's ext_id or uuid starts with "
					  "\"%s\": give more of it"),
					k);
		}
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE && out->id > 0)
		return K_OK;
	if (rc == SQLITE_DONE)
		return kerr_set(err, K_NOTFOUND, "id",
				_("no document with id, ext_id or uuid \"%s\" (or starting so) in "
				  "this journal"),
				k);
	return journal_db_error(j, rc, err);
}

kstatus journal_find(struct journal *j, const char *key, struct journal_doc *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	if (!key)
		key = "";
	char buf[128];
	str_copy(buf, key, sizeof buf);
	char *k = str_trim(buf);
	if (*k == '#')
		k++;
	if (!*k)
		return kerr_set(err, K_INVALID, "id", _("give a local id, an ext_id or a uuid"));
	kstatus st = K_NOTFOUND;
	bool digits = strspn(k, "0123456789") == strlen(k) && strlen(k) <= 18;
	if (digits) {
		char *end;
		long long v = strtoll(k, &end, 10);
		st = doc_query(j, ST_DOC_BY_ID, v, NULL, out, err);
	}
	if (st == K_NOTFOUND)
		st = doc_query(j, ST_DOC_BY_EXT, 0, k, out, err);
	if (st == K_NOTFOUND)
		st = doc_query(j, ST_DOC_BY_UUID, 0, k, out, err);
	if (st == K_NOTFOUND)
		st = doc_query(j, ST_DOC_BY_RECEIPT, 0, k, out, err);
	if (st == K_NOTFOUND && strlen(k) >= JOURNAL_PREFIX_MIN)
		st = doc_by_prefix(j, k, out, err);
	else if (st == K_NOTFOUND)
		kerr_set(err, K_NOTFOUND, "id",
			 _("no document with id, ext_id or uuid \"%s\" in this journal"), k);
	return st;
}

struct history_walk {
	bool (*cb)(const struct journal_history_row *row, void *ctx);
	void *ctx;
};

static bool on_history_row(sqlite3_stmt *s, void *cls)
{
	const struct history_walk *w = cls;
	struct journal_history_row r;
	memset(&r, 0, sizeof r);
	r.doc_id = sqlite3_column_int64(s, 0);
	r.at = sqlite3_column_int64(s, 1);
	r.from = JS_NONE;
	if (sqlite3_column_type(s, 2) != SQLITE_NULL)
		r.from = (int)journal_col_state(s, 2);
	r.to = journal_col_state(s, 3);
	r.source = JSRC_LOCAL;
	journal_source_parse((const char *)sqlite3_column_text(s, 4), &r.source);
	journal_col_text(s, 5, r.detail, sizeof r.detail);
	return w->cb(&r, w->ctx);
}

kstatus journal_history(struct journal *j, int64_t id,
			bool (*cb)(const struct journal_history_row *row, void *ctx), void *ctx,
			struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_HISTORY, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	struct history_walk w = {cb, ctx};
	return journal_st_rows(j, s, on_history_row, &w, err);
}

struct attempt_walk {
	bool (*cb)(const struct journal_attempt_row *row, void *ctx);
	void *ctx;
};

static bool on_attempt_row(sqlite3_stmt *s, void *cls)
{
	const struct attempt_walk *w = cls;
	struct journal_attempt_row r;
	memset(&r, 0, sizeof r);
	r.doc_id = sqlite3_column_int64(s, 0);
	r.at = sqlite3_column_int64(s, 1);
	r.http_status = sqlite3_column_int(s, 2);
	r.provider_code = sqlite3_column_int(s, 3);
	journal_col_text(s, 4, r.error, sizeof r.error);
	return w->cb(&r, w->ctx);
}

kstatus journal_attempts(struct journal *j, int64_t id,
			 bool (*cb)(const struct journal_attempt_row *row, void *ctx), void *ctx,
			 struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_ATTEMPTS, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	struct attempt_walk w = {cb, ctx};
	return journal_st_rows(j, s, on_attempt_row, &w, err);
}

static unsigned filter_mask(const struct journal_filter *f)
{
	if (!f)
		return 0;
	unsigned m = 0;
	if (f->by_state)
		m |= F_STATE;
	if (f->kind && *f->kind)
		m |= F_KIND;
	if (f->text && *f->text)
		m |= F_TEXT;
	if (f->by_amount)
		m |= F_AMOUNT;
	if (f->since)
		m |= F_SINCE;
	if (f->until)
		m |= F_UNTIL;
	if (f->flagged_only)
		m |= F_FLAGGED;
	return m;
}

/*
 * The list/count statement for one filter combination. Only the terms in use
 * appear. Without statistics SQLite cannot tell which term is selective, so
 * we say it: the first present of text, amount, dates, state, kind, flagged
 * drives through its index, the others are filters (unary +). A text prefix
 * becomes ranges on the ext_id, uuid and receipt-id indexes; a date range
 * walks created_at in order (it grows with id) so LIMIT stops early.
 */
static sqlite3_stmt *filter_stmt(struct journal *j, unsigned mask, bool count, struct kerr *err)
{
	sqlite3_stmt **slot = count ? &j->count_stmt[mask] : &j->list_stmt[mask];
	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return *slot;
	}
	static const unsigned order[] = {F_TEXT,  F_AMOUNT, F_SINCE | F_UNTIL,
					 F_STATE, F_KIND,   F_FLAGGED};
	unsigned driver = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0] && !driver; i++)
		driver = mask & order[i];
	static const struct {
		unsigned bit;
		const char *indexed, *filtered;
	} terms[] = {
	    {F_TEXT,
	     " AND id IN (SELECT id FROM documents WHERE ext_id >= ?3 AND ext_id < ?4"
	     " UNION ALL SELECT id FROM documents WHERE uuid >= ?3 AND uuid < ?4"
	     " UNION ALL SELECT id FROM documents WHERE provider_receipt_id >= ?3"
	     " AND provider_receipt_id < ?4)",
	     NULL},
	    {F_AMOUNT, " AND total_kop = ?5", " AND +total_kop = ?5"},
	    {F_SINCE, " AND created_at >= ?6", " AND +created_at >= ?6"},
	    {F_UNTIL, " AND created_at < ?7", " AND +created_at < ?7"},
	    {F_STATE, " AND state = ?1", " AND +state = ?1"},
	    {F_KIND, " AND kind = ?2", " AND +kind = ?2"},
	    {F_FLAGGED, " AND flagged = 1", " AND +flagged = 1"},
	};
	char sql[1024];
	size_t len = (size_t)snprintf(sql, sizeof sql, "%s",
				      count ? "SELECT COUNT(*) FROM documents WHERE 1"
					    : "SELECT " DOC_COLS " FROM documents WHERE 1");
	for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
		if (!(mask & terms[i].bit))
			continue;
		const char *t = (driver & terms[i].bit) || !terms[i].filtered ? terms[i].indexed
									      : terms[i].filtered;
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s", t);
	}
	if (!count)
		snprintf(sql + len, sizeof sql - len, "%s LIMIT ?8 OFFSET ?9",
			 driver & (F_SINCE | F_UNTIL) ? " ORDER BY created_at DESC, id DESC"
						      : " ORDER BY id DESC");
	int rc = sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	if (rc != SQLITE_OK) {
		journal_db_error(j, rc, err);
		*slot = NULL;
		return NULL;
	}
	return *slot;
}

static void filter_bind(sqlite3_stmt *s, const struct journal_filter *f, unsigned mask, char *hi,
			size_t hi_n)
{
	if (mask & F_STATE)
		journal_bind_text(s, 1, journal_state_word(f->state));
	if (mask & F_KIND)
		journal_bind_text(s, 2, f->kind);
	if (mask & F_TEXT) {
		/* UTF-8 never holds 0xFF, so prefix + 0xFF bounds every text starting with prefix.
		 */
		snprintf(hi, hi_n, "%s\xff", f->text);
		journal_bind_text(s, 3, f->text);
		sqlite3_bind_text(s, 4, hi, -1, SQLITE_STATIC);
	}
	if (mask & F_AMOUNT)
		sqlite3_bind_int64(s, 5, f->amount);
	if (mask & F_SINCE)
		sqlite3_bind_int64(s, 6, f->since);
	if (mask & F_UNTIL)
		sqlite3_bind_int64(s, 7, f->until);
}

struct list_walk {
	bool (*cb)(const struct journal_doc *d, void *ctx);
	void *ctx;
};

static bool on_list_row(sqlite3_stmt *s, void *cls)
{
	const struct list_walk *w = cls;
	struct journal_doc d;
	journal_doc_from_row(s, &d, false);
	return w->cb(&d, w->ctx);
}

kstatus journal_list(struct journal *j, const struct journal_filter *f, int64_t limit,
		     int64_t offset, bool (*cb)(const struct journal_doc *d, void *ctx), void *ctx,
		     struct kerr *err)
{
	unsigned mask = filter_mask(f);
	sqlite3_stmt *s = filter_stmt(j, mask, false, err);
	if (!s)
		return K_DB;
	char hi[256];
	filter_bind(s, f, mask, hi, sizeof hi);
	sqlite3_bind_int64(s, 8, limit < 0 ? -1 : limit);
	sqlite3_bind_int64(s, 9, offset < 0 ? 0 : offset);
	struct list_walk w = {cb, ctx};
	kstatus st = journal_st_rows(j, s, on_list_row, &w, err);
	sqlite3_clear_bindings(s); /* hi[] goes out of scope */
	return st;
}

kstatus journal_count(struct journal *j, const struct journal_filter *f, int64_t *n,
		      struct kerr *err)
{
	unsigned mask = filter_mask(f);
	sqlite3_stmt *s = filter_stmt(j, mask, true, err);
	if (!s)
		return K_DB;
	char hi[256];
	filter_bind(s, f, mask, hi, sizeof hi);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW)
		return journal_db_error(j, rc, err);
	return K_OK;
}

kstatus journal_basket_save(struct journal *j, const char *profile, int lines, const char *body,
			    struct kerr *err)
{
	if (!body || !*body || lines <= 0)
		return journal_basket_clear(j, err);
	sqlite3_stmt *s = journal_st_get(j, ST_BASKET_SAVE, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, profile ? profile : "");
	sqlite3_bind_int(s, 2, lines);
	journal_bind_text(s, 3, body);
	sqlite3_bind_int64(s, 4, journal_now(j));
	/* One statement is one transaction: a single small write, synced like any other. */
	return journal_st_done(j, s, err);
}

kstatus journal_basket_clear(struct journal *j, struct kerr *err)
{
	return journal_st_simple(j, ST_BASKET_CLEAR, err);
}

kstatus journal_basket_load(struct journal *j, struct journal_basket *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = journal_st_get(j, ST_BASKET_LOAD, err);
	if (!s)
		return K_DB;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return K_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return journal_db_error(j, rc, err);
	}
	journal_col_text(s, 0, out->profile, sizeof out->profile);
	out->lines = sqlite3_column_int(s, 1);
	const unsigned char *b = sqlite3_column_text(s, 2);
	out->body = xstrdup(b ? (const char *)b : "");
	out->updated_at = sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	return K_OK;
}

void journal_basket_free(struct journal_basket *b)
{
	free(b->body);
	b->body = NULL;
}

kstatus journal_kv_get(struct journal *j, const char *key, char *buf, size_t n, struct kerr *err)
{
	if (n)
		buf[0] = '\0';
	sqlite3_stmt *s = journal_st_get(j, ST_KV_GET, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, key);
	int rc = sqlite3_step(s);
	kstatus st = K_OK;
	if (rc == SQLITE_ROW)
		journal_col_text(s, 0, buf, n);
	else if (rc == SQLITE_DONE)
		st = K_NOTFOUND;
	else
		st = journal_db_error(j, rc, err);
	sqlite3_reset(s);
	return st;
}

kstatus journal_kv_set(struct journal *j, const char *key, const char *value, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_KV_SET, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, key);
	journal_bind_text(s, 2, value);
	sqlite3_bind_int64(s, 3, journal_now(j));
	return journal_st_done(j, s, err);
}

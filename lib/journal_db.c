/* The journal's SQLite plumbing: cached statements, transactions, row readers. */
#include "journal.h"

#include <inttypes.h>
#include <string.h>

#include <sqlite3.h>

#include "i18n.h"
#include "journal_int.h"
#include "util.h"

#define STMT_SQL(name, sql) sql,
static const char *const stmt_sql[] = {STMT_INFO(STMT_SQL)};
#undef STMT_SQL

int64_t journal_now(struct journal *j)
{
	return j->clock ? j->clock(j->clock_ctx) : (int64_t)now_ms();
}

kstatus journal_db_error(struct journal *j, int rc, struct kerr *err)
{
	int base = rc & 0xff;
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return kerr_set(err, K_BUSY, "journal",
				_("journal %s is busy (another kassa process holds it); try again"),
				j->path);
	if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB)
		return kerr_set(
		    err, K_DB, "journal",
		    _("journal %s is damaged (%s): run `kassa journal check` and restore "
		      "the newest backup (see kassa(1), RESTORING THE JOURNAL)"),
		    j->path, j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
	if (base == SQLITE_FULL)
		return kerr_set(err, K_IO, "journal",
				_("journal %s: the disk is full; free some space and try again"),
				j->path);
	return kerr_set(err, K_DB, "journal", _("journal %s: %s"), j->path,
			j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
}

/* The cached statement, reset and with bindings cleared; NULL after filling err. */
sqlite3_stmt *journal_st_get(struct journal *j, enum stmt_id id, struct kerr *err)
{
	sqlite3_stmt *s = j->stmt[id];
	if (!s) {
		int rc = sqlite3_prepare_v3(j->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s,
					    NULL);
		if (rc != SQLITE_OK) {
			journal_db_error(j, rc, err);
			return NULL;
		}
		j->stmt[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

void journal_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
kstatus journal_st_done(struct journal *j, sqlite3_stmt *s, struct kerr *err)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return journal_db_error(j, rc, err);
	return K_OK;
}

kstatus journal_st_rows(struct journal *j, sqlite3_stmt *s,
			bool (*on_row)(sqlite3_stmt *s, void *cls), void *cls, struct kerr *err)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!on_row(s, cls)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return journal_db_error(j, rc, err);
	return K_OK;
}

kstatus journal_st_simple(struct journal *j, enum stmt_id id, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, id, err);
	if (!s)
		return K_DB;
	return journal_st_done(j, s, err);
}

kstatus journal_tx_begin(struct journal *j, struct kerr *err)
{
	return journal_st_simple(j, ST_BEGIN, err);
}

kstatus journal_tx_commit(struct journal *j, struct kerr *err)
{
	kstatus st = journal_st_simple(j, ST_COMMIT, err);
	if (st != K_OK && !sqlite3_get_autocommit(j->db))
		journal_st_simple(j, ST_ROLLBACK, NULL);
	return st;
}

/* Rolls back if a transaction is open and passes st through. */
kstatus journal_tx_abort(struct journal *j, kstatus st)
{
	if (!sqlite3_get_autocommit(j->db))
		journal_st_simple(j, ST_ROLLBACK, NULL);
	return st;
}

void journal_col_text(sqlite3_stmt *s, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	str_copy(buf, t ? (const char *)t : "", n);
}

enum journal_state journal_col_state(sqlite3_stmt *s, int i)
{
	enum journal_state st = JS_FAILED; /* a word we do not know must not look pending */
	journal_state_parse((const char *)sqlite3_column_text(s, i), &st);
	return st;
}

void journal_doc_from_row(sqlite3_stmt *s, struct journal_doc *d, bool with_body)
{
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(s, 0);
	journal_col_text(s, 1, d->profile, sizeof d->profile);
	provider_parse((const char *)sqlite3_column_text(s, 2), &d->provider);
	journal_col_text(s, 3, d->kind, sizeof d->kind);
	journal_col_text(s, 4, d->type, sizeof d->type);
	journal_col_text(s, 5, d->ext_id, sizeof d->ext_id);
	d->total = sqlite3_column_int64(s, 6);
	d->card = sqlite3_column_int64(s, 7);
	d->cash = sqlite3_column_int64(s, 8);
	d->change = sqlite3_column_int64(s, 9);
	journal_col_text(s, 10, d->uuid, sizeof d->uuid);
	d->state = journal_col_state(s, 11);
	d->created_at = sqlite3_column_int64(s, 12);
	d->updated_at = sqlite3_column_int64(s, 13);
	d->next_attempt_at = sqlite3_column_int64(s, 14);
	d->attempts = sqlite3_column_int(s, 15);
	journal_col_text(s, 16, d->ref_uuid, sizeof d->ref_uuid);
	d->last_error_code = sqlite3_column_int(s, 17);
	journal_col_text(s, 18, d->last_error_text, sizeof d->last_error_text);
	journal_col_text(s, 19, d->provider_receipt_id, sizeof d->provider_receipt_id);
	d->flagged = sqlite3_column_int(s, 20) != 0;
	d->test = sqlite3_column_int(s, 21) != 0;
	if (with_body) {
		const unsigned char *b = sqlite3_column_text(s, DOC_COL_BODY);
		d->body = xstrdup(b ? (const char *)b : "");
	}
}

/* Looks up a document's head by id, uuid or receipt id; K_NOTFOUND without filling err. */
kstatus journal_head_load(struct journal *j, enum stmt_id id, int64_t num, const char *text,
			  struct head *h, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, id, err);
	if (!s)
		return K_DB;
	if (id == ST_HEAD_BY_ID)
		sqlite3_bind_int64(s, 1, num);
	else
		journal_bind_text(s, 1, text);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return K_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return journal_db_error(j, rc, err);
	}
	memset(h, 0, sizeof *h);
	h->id = sqlite3_column_int64(s, 0);
	h->state = journal_col_state(s, 1);
	h->test = sqlite3_column_int(s, 2) != 0;
	provider_parse((const char *)sqlite3_column_text(s, 3), &h->provider);
	journal_col_text(s, 4, h->uuid, sizeof h->uuid);
	journal_col_text(s, 5, h->receipt_id, sizeof h->receipt_id);
	h->attempts = sqlite3_column_int(s, 6);
	sqlite3_reset(s);
	return K_OK;
}

kstatus journal_head_by_id(struct journal *j, int64_t id, struct head *h, struct kerr *err)
{
	kstatus st = journal_head_load(j, ST_HEAD_BY_ID, id, NULL, h, err);
	if (st == K_NOTFOUND)
		kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"), id);
	return st;
}

kstatus journal_history_add(struct journal *j, int64_t doc, int64_t at, int from,
			    enum journal_state to, enum journal_source src, const char *detail,
			    struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_INSERT_HISTORY, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, doc);
	sqlite3_bind_int64(s, 2, at);
	if (from == JS_NONE)
		sqlite3_bind_null(s, 3);
	else
		journal_bind_text(s, 3, journal_state_word((enum journal_state)from));
	journal_bind_text(s, 4, journal_state_word(to));
	journal_bind_text(s, 5, journal_source_word(src));
	journal_bind_text(s, 6, detail ? detail : "");
	return journal_st_done(j, s, err);
}

/* True for failures of the journal itself (the transaction cannot go on). */
bool journal_fatal(kstatus st)
{
	return st == K_DB || st == K_BUSY || st == K_IO || st == K_NOMEM;
}

/* Commits after a step whose refusals wrote nothing; rolls back after a fatal one. */
kstatus journal_tx_end(struct journal *j, kstatus st, struct kerr *err)
{
	if (journal_fatal(st))
		return journal_tx_abort(j, st);
	struct kerr cerr;
	kerr_clear(&cerr);
	kstatus c = journal_tx_commit(j, &cerr);
	if (c != K_OK) {
		if (err)
			*err = cerr;
		return c;
	}
	return st;
}

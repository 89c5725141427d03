#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "i18n.h"
#include "journal_bill.h"
#include "journal_check.h"
#include "money.h"
#include "util.h"

/*
 * Migrations, each run in its own transaction together with the row that
 * records it in schema_version. Never edit a released migration: add one.
 */
static const char *const migrations[] = {
	/* 1: documents, attempts, status history. */
	"CREATE TABLE documents ("
	" id INTEGER PRIMARY KEY,"
	" profile TEXT NOT NULL,"
	" provider TEXT NOT NULL CHECK (provider IN ('lifepay', 'paykeeper')),"
	" kind TEXT NOT NULL,"
	" type TEXT NOT NULL DEFAULT '',"
	" ext_id TEXT NOT NULL UNIQUE,"
	" body TEXT NOT NULL,"
	" total_kop INTEGER NOT NULL DEFAULT 0,"
	" card_kop INTEGER NOT NULL DEFAULT 0,"
	" cash_kop INTEGER NOT NULL DEFAULT 0,"
	" change_kop INTEGER NOT NULL DEFAULT 0,"
	" uuid TEXT,"
	" state TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" ref_uuid TEXT,"
	" last_error_code INTEGER NOT NULL DEFAULT 0,"
	" last_error_text TEXT NOT NULL DEFAULT '',"
	" provider_receipt_id TEXT,"
	" flagged INTEGER NOT NULL DEFAULT 0,"
	" test INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX documents_uuid ON documents(uuid);"
	"CREATE INDEX documents_receipt ON documents(provider_receipt_id);"
	"CREATE INDEX documents_ref ON documents(ref_uuid);"
	"CREATE INDEX documents_due ON documents(state, next_attempt_at);"
	"CREATE INDEX documents_created ON documents(created_at);"
	"CREATE INDEX documents_state ON documents(state);"
	"CREATE INDEX documents_kind ON documents(kind);"
	"CREATE INDEX documents_total ON documents(total_kop);"
	"CREATE INDEX documents_flagged ON documents(flagged);"
	"CREATE INDEX documents_unsettled ON documents(created_at)"
	" WHERE flagged = 0 AND state IN ('accepted', 'provider_retry');"
	"CREATE TABLE attempts ("
	" id INTEGER PRIMARY KEY,"
	" doc_id INTEGER NOT NULL REFERENCES documents(id),"
	" at INTEGER NOT NULL,"
	" http_status INTEGER NOT NULL,"
	" provider_code INTEGER NOT NULL,"
	" error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX attempts_doc ON attempts(doc_id);"
	"CREATE TABLE status_history ("
	" id INTEGER PRIMARY KEY,"
	" doc_id INTEGER NOT NULL REFERENCES documents(id),"
	" at INTEGER NOT NULL,"
	" from_state TEXT,"
	" to_state TEXT NOT NULL,"
	" source TEXT NOT NULL,"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX status_history_doc ON status_history(doc_id);",

	/*
	 * 2: raw callbacks, kept whether or not they could be applied. The parsed
	 * outcome is stored too, so a callback that overtakes the provider's
	 * reply is applied once the reply gives us its uuid.
	 */
	"CREATE TABLE raw_callbacks ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" doc_id INTEGER REFERENCES documents(id),"
	" uuid TEXT NOT NULL,"
	" content_type TEXT NOT NULL DEFAULT '',"
	" body BLOB,"
	" applied INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL,"
	" source TEXT NOT NULL,"
	" error_code INTEGER NOT NULL DEFAULT 0,"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX raw_callbacks_uuid ON raw_callbacks(uuid);"
	"CREATE INDEX raw_callbacks_doc ON raw_callbacks(doc_id);",

	/*
	 * 3: sent_at, the time of the last send (or replay): staleness counts
	 * from it, so a replayed document is not flagged again at once. Existing
	 * documents take the time of their last move to sending, else created_at.
	 */
	"ALTER TABLE documents ADD COLUMN sent_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE documents SET sent_at = MAX(created_at, COALESCE((SELECT MAX(h.at)"
	" FROM status_history h WHERE h.doc_id = documents.id AND h.to_state = 'sending'), 0));"
	"DROP INDEX documents_unsettled;"
	"CREATE INDEX documents_unsettled ON documents(sent_at)"
	" WHERE flagged = 0 AND state IN ('accepted', 'provider_retry');",

	/*
	 * 4: the open basket, the one the cashier is typing (at most one row:
	 * one screen per journal). Saved on every change, deleted in the same
	 * transaction that queues its document, so after a crash exactly one of
	 * the two exists.
	 */
	"CREATE TABLE open_basket ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" profile TEXT NOT NULL DEFAULT '',"
	" lines INTEGER NOT NULL,"
	" body TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL);",

	/*
	 * 5: a callback repeated byte for byte is counted on its first row
	 * (replays, last_at) rather than stored again; callbacks for unknown
	 * uuids (doc_id NULL) are capped by size, count and age, found through
	 * the partial index (JOURNAL_RAW_UNKNOWN_*).
	 */
	"ALTER TABLE raw_callbacks ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE raw_callbacks ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE raw_callbacks SET last_at = at;"
	"CREATE INDEX raw_callbacks_unknown ON raw_callbacks(at) WHERE doc_id IS NULL;",

	/*
	 * 6: small named values of kassa itself (journal_kv_get/set), e.g. the
	 * next offset to pull from kassa-relay, so a restart neither loses nor
	 * re-applies callbacks.
	 */
	"CREATE TABLE kv ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL);",

	/* 7: reserved for prepayment and settlement (branch prepay); nothing here. */
	"SELECT 1;",

	/* 8: pay-by-link bills and transaction notifications (lib/journal_bill.c). */
	JOURNAL_BILL_SCHEMA,
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

/* Columns of struct journal_doc, body last so lists can skip it. */
#define DOC_COLS                                                                                   \
	"id, profile, provider, kind, type, ext_id, total_kop, card_kop, cash_kop, change_kop,"   \
	" uuid, state, created_at, updated_at, next_attempt_at, attempts, ref_uuid,"              \
	" last_error_code, last_error_text, provider_receipt_id, flagged, test"
#define DOC_COL_BODY 22

#define STMT_INFO(_)                                                                               \
	_(BEGIN, "BEGIN IMMEDIATE")                                                                \
	_(KV_GET, "SELECT value FROM kv WHERE key = ?1")                                           \
	_(KV_SET, "INSERT INTO kv(key, value, updated_at) VALUES (?1, ?2, ?3)"                     \
		  " ON CONFLICT(key) DO UPDATE SET value = ?2, updated_at = ?3")                   \
	_(COMMIT, "COMMIT")                                                                        \
	_(ROLLBACK, "ROLLBACK")                                                                    \
	_(VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_version")                        \
	_(VERSION_ADD, "INSERT INTO schema_version(version, applied_at) VALUES (?1, ?2)")         \
	_(INSERT_DOC,                                                                              \
	  "INSERT INTO documents(profile, provider, kind, type, ext_id, body, total_kop,"         \
	  " card_kop, cash_kop, change_kop, state, created_at, updated_at, next_attempt_at,"      \
	  " ref_uuid, test) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?11," \
	  " ?11, ?12, ?13)")                                                                       \
	_(EXT_ID_OWNER, "SELECT id FROM documents WHERE ext_id = ?1")                              \
	_(INSERT_HISTORY,                                                                          \
	  "INSERT INTO status_history(doc_id, at, from_state, to_state, source, detail)"          \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                                      \
	_(DOC_BY_ID, "SELECT " DOC_COLS ", body FROM documents WHERE id = ?1")                    \
	_(DOC_BY_EXT, "SELECT " DOC_COLS ", body FROM documents WHERE ext_id = ?1")               \
	_(DOC_BY_UUID, "SELECT " DOC_COLS ", body FROM documents WHERE uuid = ?1"                 \
		       " ORDER BY id LIMIT 1")                                                     \
	_(DOC_BY_RECEIPT, "SELECT " DOC_COLS ", body FROM documents"                              \
			  " WHERE provider_receipt_id = ?1 ORDER BY id LIMIT 1")                   \
	_(DOC_BY_PREFIX, "SELECT " DOC_COLS ", body FROM documents"                               \
			 " WHERE substr(ext_id, 1, length(?1)) = ?1"                              \
			 " OR substr(uuid, 1, length(?1)) = ?1 ORDER BY id LIMIT 2")               \
	_(HEAD_BY_ID, "SELECT id, state, test, provider, uuid, provider_receipt_id, attempts"     \
		      " FROM documents WHERE id = ?1")                                             \
	_(HEAD_BY_UUID, "SELECT id, state, test, provider, uuid, provider_receipt_id, attempts"   \
			" FROM documents WHERE uuid = ?1 ORDER BY id LIMIT 1")                     \
	_(HEAD_BY_RECEIPT, "SELECT id, state, test, provider, uuid, provider_receipt_id,"        \
			   " attempts FROM documents WHERE provider_receipt_id = ?1"               \
			   " ORDER BY id LIMIT 1")                                                  \
	_(HEAD_BY_EXT, "SELECT id, state, test, provider, uuid, provider_receipt_id, attempts"    \
		       " FROM documents WHERE ext_id = ?1")                                        \
	_(SET_UUID, "UPDATE documents SET uuid = ?2, updated_at = ?3 WHERE id = ?1")              \
	_(SET_SENT_AT, "UPDATE documents SET sent_at = ?2 WHERE id = ?1")                         \
	_(SET_SENDING, "UPDATE documents SET state = 'sending', attempts = attempts + 1,"         \
		       " updated_at = ?2 WHERE id = ?1")                                           \
	_(SET_ACCEPTED, "UPDATE documents SET state = ?2, uuid = NULLIF(?3, ''),"                 \
			" provider_receipt_id = NULLIF(?4, ''), next_attempt_at = ?5,"             \
			" flagged = 0, updated_at = ?6 WHERE id = ?1")                              \
	_(SET_ERROR, "UPDATE documents SET state = ?2, last_error_code = ?3,"                     \
		     " last_error_text = ?4, updated_at = ?5 WHERE id = ?1")                       \
	_(SET_RETRY, "UPDATE documents SET state = 'queued', next_attempt_at = ?2,"               \
		     " last_error_code = 0, last_error_text = ?3, updated_at = ?4 WHERE id = ?1") \
	_(SET_FINAL_CB, "UPDATE documents SET state = ?2, last_error_code = ?3,"                  \
			" last_error_text = ?4, flagged = 0, updated_at = ?5 WHERE id = ?1")       \
	_(SET_REPLAY, "UPDATE documents SET state = 'queued', next_attempt_at = ?2, flagged = 0," \
		      " updated_at = ?2 WHERE id = ?1")                                            \
	_(SET_NEXT, "UPDATE documents SET next_attempt_at = ?2 WHERE id = ?1")                    \
	_(SET_FLAGGED, "UPDATE documents SET flagged = 1 WHERE id = ?1")                          \
	_(FLUSH, "UPDATE documents SET next_attempt_at = ?1"                                      \
		 " WHERE state = 'queued' AND next_attempt_at > ?1")                               \
	_(FLUSH_PROFILE, "UPDATE documents SET next_attempt_at = ?1"                              \
			 " WHERE state = 'queued' AND next_attempt_at > ?1 AND profile = ?2")      \
	_(INSERT_ATTEMPT, "INSERT INTO attempts(doc_id, at, http_status, provider_code, error)"   \
			  " VALUES (?1, ?2, ?3, ?4, ?5)")                                          \
	_(DUE, "SELECT id FROM documents WHERE state = 'queued' AND next_attempt_at <= ?1"       \
	       " ORDER BY next_attempt_at, id LIMIT ?2")                                           \
	_(NEXT_DUE, "SELECT MIN(next_attempt_at) FROM documents WHERE state = 'queued'")          \
	_(DEPTH, "SELECT COUNT(*) FROM documents WHERE state IN ('queued', 'sending')")           \
	_(POLL_DUE, "SELECT id FROM documents WHERE state IN ('accepted', 'provider_retry')"      \
		    " AND next_attempt_at > 0 AND next_attempt_at <= ?1 AND provider = 'paykeeper'" \
		    " ORDER BY next_attempt_at, id LIMIT ?2")                                      \
	_(SENDING_IDS, "SELECT id FROM documents WHERE state = 'sending' ORDER BY id")            \
	_(STALE_IDS, "SELECT id, state FROM documents INDEXED BY documents_unsettled"             \
		     " WHERE flagged = 0 AND state IN ('accepted', 'provider_retry')"             \
		     " AND sent_at <= ?1 ORDER BY id")                                             \
	_(STALE_IDS_V2, "SELECT id, state FROM documents INDEXED BY documents_unsettled"          \
			" WHERE flagged = 0 AND state IN ('accepted', 'provider_retry')"          \
			" AND created_at <= ?1 ORDER BY id")                                       \
	_(HISTORY, "SELECT doc_id, at, from_state, to_state, source, detail FROM status_history"  \
		   " WHERE doc_id = ?1 ORDER BY id")                                               \
	_(ATTEMPTS, "SELECT doc_id, at, http_status, provider_code, error FROM attempts"          \
		    " WHERE doc_id = ?1 ORDER BY id")                                              \
	_(INSERT_RAW, "INSERT INTO raw_callbacks(at, doc_id, uuid, content_type, body, applied,"  \
		      " state, source, error_code, detail)"                                        \
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")                         \
	_(EARLY_RAW, "SELECT id, state, source, error_code, detail FROM raw_callbacks"            \
		     " WHERE uuid = ?1 AND doc_id IS NULL ORDER BY id")                            \
	_(ADOPT_RAW, "UPDATE raw_callbacks SET doc_id = ?2, applied = ?3 WHERE id = ?1")          \
	_(RAW_SAME, "SELECT id FROM raw_callbacks WHERE uuid = ?1 AND doc_id IS ?2"               \
		    " AND content_type = ?3 AND body = ?4 AND state = ?5 AND source = ?6"         \
		    " AND error_code = ?7 AND detail = ?8 ORDER BY id LIMIT 1")                    \
	_(RAW_REPLAY, "UPDATE raw_callbacks SET replays = replays + 1, last_at = ?2 WHERE id = ?1") \
	_(RAW_EXPIRE, "DELETE FROM raw_callbacks WHERE doc_id IS NULL AND at < ?1")               \
	_(RAW_TRIM, "DELETE FROM raw_callbacks WHERE doc_id IS NULL AND id <= (SELECT id"         \
		    " FROM raw_callbacks WHERE doc_id IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?1)")  \
	_(ORIGINAL, "SELECT total_kop, state, type, test FROM documents WHERE uuid = ?1"          \
		    " ORDER BY id LIMIT 1")                                                        \
	_(BASKET_SAVE, "INSERT INTO open_basket(id, profile, lines, body, updated_at)"            \
		       " VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET"                 \
		       " profile = ?1, lines = ?2, body = ?3, updated_at = ?4")                    \
	_(BASKET_LOAD, "SELECT profile, lines, body, updated_at FROM open_basket WHERE id = 1")   \
	_(BASKET_CLEAR, "DELETE FROM open_basket")                                                \
	_(REFUNDED, "SELECT COALESCE(SUM(total_kop), 0) FROM documents WHERE ref_uuid = ?1"       \
		    " AND state NOT IN ('rejected', 'failed', 'validated') AND test = 0")

#define STMT_ENUM(name, sql) ST_##name,
enum stmt_id { STMT_INFO(STMT_ENUM) ST_COUNT };
#undef STMT_ENUM
#define STMT_SQL(name, sql) sql,
static const char *const stmt_sql[] = {STMT_INFO(STMT_SQL)};
#undef STMT_SQL

/* Filter bits of journal_list/journal_count; each combination is prepared once. */
enum {
	F_STATE = 1 << 0,
	F_KIND = 1 << 1,
	F_TEXT = 1 << 2,
	F_AMOUNT = 1 << 3,
	F_SINCE = 1 << 4,
	F_UNTIL = 1 << 5,
	F_FLAGGED = 1 << 6,
	F_COMBOS = 1 << 7,
};

struct journal {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST_COUNT];
	sqlite3_stmt *list_stmt[F_COMBOS];
	sqlite3_stmt *count_stmt[F_COMBOS];
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
	int version;
	int lock_fd; /* journal_lock_sender(), -1 when not held */
	char warning[768]; /* journal_warning() */
};

/* A document's delivery-relevant columns, enough to decide a transition. */
struct head {
	int64_t id;
	enum journal_state state;
	bool test;
	enum kprovider provider;
	char uuid[UUID_TEXT_MAX + 1];
	char receipt_id[JOURNAL_RECEIPT_ID_MAX];
	int attempts;
};

#define STATE_WORD(name, word, label, final) word,
static const char *const state_words[] = {JOURNAL_STATE_INFO(STATE_WORD)};
#undef STATE_WORD
#define STATE_LABEL(name, word, label, final) label,
static const char *const state_labels[] = {JOURNAL_STATE_INFO(STATE_LABEL)};
#undef STATE_LABEL
#define STATE_FINAL(name, word, label, final) final,
static const bool state_finals[] = {JOURNAL_STATE_INFO(STATE_FINAL)};
#undef STATE_FINAL
#define SOURCE_WORD(name, word) word,
static const char *const source_words[] = {JOURNAL_SOURCE_INFO(SOURCE_WORD)};
#undef SOURCE_WORD
#define PROVIDER_WORD(name, word) word,
static const char *const provider_words[] = {KPROVIDER_INFO(PROVIDER_WORD)};
#undef PROVIDER_WORD

const char *journal_state_word(enum journal_state s)
{
	return (unsigned)s < JS_COUNT ? state_words[s] : "?";
}

const char *journal_state_label(enum journal_state s)
{
	return (unsigned)s < JS_COUNT ? state_labels[s] : "?";
}

bool journal_state_final(enum journal_state s)
{
	return (unsigned)s < JS_COUNT && state_finals[s];
}

static bool word_parse(const char *const *words, int count, const char *word, int *out)
{
	if (!word)
		return false;
	for (int i = 0; i < count; i++) {
		if (strcmp(words[i], word) == 0) {
			*out = i;
			return true;
		}
	}
	return false;
}

bool journal_state_parse(const char *word, enum journal_state *s)
{
	int v;
	if (!word_parse(state_words, JS_COUNT, word, &v))
		return false;
	*s = (enum journal_state)v;
	return true;
}

const char *journal_source_word(enum journal_source s)
{
	return (unsigned)s < JSRC_COUNT ? source_words[s] : "?";
}

bool journal_source_parse(const char *word, enum journal_source *s)
{
	int v;
	if (!word_parse(source_words, JSRC_COUNT, word, &v))
		return false;
	*s = (enum journal_source)v;
	return true;
}

const char *journal_provider_word(enum kprovider p)
{
	return (unsigned)p < KPROVIDER_COUNT ? provider_words[p] : "?";
}

bool journal_provider_parse(const char *word, enum kprovider *p)
{
	int v;
	if (!word_parse(provider_words, KPROVIDER_COUNT, word, &v))
		return false;
	*p = (enum kprovider)v;
	return true;
}

int journal_schema_latest(void)
{
	return MIGRATION_COUNT;
}

int64_t retry_delay_ms(const int64_t *schedule_s, size_t n, int attempt)
{
	static const int64_t defaults[] = {60, 180, 300, 600};
	if (!schedule_s || n == 0) {
		schedule_s = defaults;
		n = sizeof defaults / sizeof defaults[0];
	}
	size_t i = attempt <= 1 ? 0 : (size_t)(attempt - 1);
	if (i >= n)
		i = n - 1;
	int64_t s = schedule_s[i];
	if (s < 0)
		s = 0;
	if (s > INT64_MAX / 1000)
		return INT64_MAX;
	return s * 1000;
}

static int64_t journal_now(struct journal *j)
{
	return j->clock ? j->clock(j->clock_ctx) : (int64_t)now_ms();
}

struct sqlite3 *journal_db(struct journal *j)
{
	return j->db;
}

int64_t journal_clock_now(struct journal *j)
{
	return journal_now(j);
}

void journal_set_clock(struct journal *j, int64_t (*fn)(void *ctx), void *ctx)
{
	j->clock = fn;
	j->clock_ctx = ctx;
}

static kstatus pragma(struct journal *j, const char *sql, const char *want, struct kerr *err);

kstatus journal_set_sync(struct journal *j, bool full, struct kerr *err)
{
	return pragma(j, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL,
		      err);
}

void journal_set_busy_timeout(struct journal *j, int ms)
{
	sqlite3_busy_timeout(j->db, ms);
}

/* --- SQLite plumbing ------------------------------------------------------------------------ */

static kstatus db_error(struct journal *j, int rc, struct kerr *err)
{
	int base = rc & 0xff;
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return kerr_set(err, K_BUSY, "journal",
				_("journal %s is busy (another kassa process holds it); try again"),
				j->path);
	if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB)
		return kerr_set(err, K_DB, "journal",
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
static sqlite3_stmt *st_get(struct journal *j, enum stmt_id id, struct kerr *err)
{
	sqlite3_stmt *s = j->stmt[id];
	if (!s) {
		int rc = sqlite3_prepare_v3(j->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s,
					    NULL);
		if (rc != SQLITE_OK) {
			db_error(j, rc, err);
			return NULL;
		}
		j->stmt[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
static kstatus st_done(struct journal *j, sqlite3_stmt *s, struct kerr *err)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(j, rc, err);
	return K_OK;
}

static kstatus st_simple(struct journal *j, enum stmt_id id, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, id, err);
	if (!s)
		return K_DB;
	return st_done(j, s, err);
}

static kstatus tx_begin(struct journal *j, struct kerr *err)
{
	return st_simple(j, ST_BEGIN, err);
}

static kstatus tx_commit(struct journal *j, struct kerr *err)
{
	kstatus st = st_simple(j, ST_COMMIT, err);
	if (st != K_OK && !sqlite3_get_autocommit(j->db))
		st_simple(j, ST_ROLLBACK, NULL);
	return st;
}

/* Rolls back if a transaction is open and passes st through. */
static kstatus tx_abort(struct journal *j, kstatus st)
{
	if (!sqlite3_get_autocommit(j->db))
		st_simple(j, ST_ROLLBACK, NULL);
	return st;
}

/* Runs SQL text of several statements, each prepared in turn (migrations only). */
static kstatus db_script(struct journal *j, const char *sql, struct kerr *err)
{
	const char *tail = sql;
	while (tail && *tail) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(j->db, tail, -1, &s, &tail);
		if (rc != SQLITE_OK)
			return db_error(j, rc, err);
		if (!s)
			break; /* only white space left */
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return db_error(j, rc, err);
	}
	return K_OK;
}

static void col_text(sqlite3_stmt *s, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	str_copy(buf, t ? (const char *)t : "", n);
}

static enum journal_state col_state(sqlite3_stmt *s, int i)
{
	enum journal_state st = JS_FAILED; /* a word we do not know must not look pending */
	journal_state_parse((const char *)sqlite3_column_text(s, i), &st);
	return st;
}

static void doc_from_row(sqlite3_stmt *s, struct journal_doc *d, bool with_body)
{
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, d->profile, sizeof d->profile);
	journal_provider_parse((const char *)sqlite3_column_text(s, 2), &d->provider);
	col_text(s, 3, d->kind, sizeof d->kind);
	col_text(s, 4, d->type, sizeof d->type);
	col_text(s, 5, d->ext_id, sizeof d->ext_id);
	d->total = sqlite3_column_int64(s, 6);
	d->card = sqlite3_column_int64(s, 7);
	d->cash = sqlite3_column_int64(s, 8);
	d->change = sqlite3_column_int64(s, 9);
	col_text(s, 10, d->uuid, sizeof d->uuid);
	d->state = col_state(s, 11);
	d->created_at = sqlite3_column_int64(s, 12);
	d->updated_at = sqlite3_column_int64(s, 13);
	d->next_attempt_at = sqlite3_column_int64(s, 14);
	d->attempts = sqlite3_column_int(s, 15);
	col_text(s, 16, d->ref_uuid, sizeof d->ref_uuid);
	d->last_error_code = sqlite3_column_int(s, 17);
	col_text(s, 18, d->last_error_text, sizeof d->last_error_text);
	col_text(s, 19, d->provider_receipt_id, sizeof d->provider_receipt_id);
	d->flagged = sqlite3_column_int(s, 20) != 0;
	d->test = sqlite3_column_int(s, 21) != 0;
	if (with_body) {
		const unsigned char *b = sqlite3_column_text(s, DOC_COL_BODY);
		d->body = xstrdup(b ? (const char *)b : "");
	}
}

void journal_doc_free(struct journal_doc *d)
{
	if (!d)
		return;
	free(d->body);
	d->body = NULL;
}

/* Looks up a document's head by id, uuid or receipt id; K_NOTFOUND without filling err. */
static kstatus head_load(struct journal *j, enum stmt_id id, int64_t num, const char *text,
			 struct head *h, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, id, err);
	if (!s)
		return K_DB;
	if (id == ST_HEAD_BY_ID)
		sqlite3_bind_int64(s, 1, num);
	else
		bind_text(s, 1, text);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return K_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_error(j, rc, err);
	}
	memset(h, 0, sizeof *h);
	h->id = sqlite3_column_int64(s, 0);
	h->state = col_state(s, 1);
	h->test = sqlite3_column_int(s, 2) != 0;
	journal_provider_parse((const char *)sqlite3_column_text(s, 3), &h->provider);
	col_text(s, 4, h->uuid, sizeof h->uuid);
	col_text(s, 5, h->receipt_id, sizeof h->receipt_id);
	h->attempts = sqlite3_column_int(s, 6);
	sqlite3_reset(s);
	return K_OK;
}

static kstatus head_by_id(struct journal *j, int64_t id, struct head *h, struct kerr *err)
{
	kstatus st = head_load(j, ST_HEAD_BY_ID, id, NULL, h, err);
	if (st == K_NOTFOUND)
		kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"), id);
	return st;
}

static kstatus history_add(struct journal *j, int64_t doc, int64_t at, int from,
			   enum journal_state to, enum journal_source src, const char *detail,
			   struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_INSERT_HISTORY, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, doc);
	sqlite3_bind_int64(s, 2, at);
	if (from == JS_NONE)
		sqlite3_bind_null(s, 3);
	else
		bind_text(s, 3, journal_state_word((enum journal_state)from));
	bind_text(s, 4, journal_state_word(to));
	bind_text(s, 5, journal_source_word(src));
	bind_text(s, 6, detail ? detail : "");
	return st_done(j, s, err);
}

/* --- open, migrate, close ------------------------------------------------------------------- */

static kstatus pragma(struct journal *j, const char *sql, const char *want, struct kerr *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_error(j, rc, err);
	rc = sqlite3_step(s);
	char got[32] = "";
	if (rc == SQLITE_ROW)
		col_text(s, 0, got, sizeof got);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(j, rc, err);
	if (want && strcmp(got, want) != 0)
		return kerr_set(err, K_DB, "journal",
				_("journal %s: cannot switch to %s mode (got \"%s\"); keep the "
				  "journal on a local disk"),
				j->path, want, got);
	return K_OK;
}

static kstatus read_version(struct journal *j, int *version, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_VERSION, err);
	if (!s)
		return K_DB;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_error(j, rc, err);
	}
	*version = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return K_OK;
}

static kstatus migrate(struct journal *j, int target, struct kerr *err)
{
	kstatus st = db_script(j,
			       "CREATE TABLE IF NOT EXISTS schema_version ("
			       " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
			       err);
	if (st != K_OK)
		return st;
	int have;
	if ((st = read_version(j, &have, err)) != K_OK)
		return st;
	if (have > MIGRATION_COUNT)
		return kerr_set(err, K_DB, "journal",
				_("journal %s has schema version %d but this kassa knows only up "
				  "to %d: use a newer kassa"),
				j->path, have, MIGRATION_COUNT);
	for (int v = have + 1; v <= target; v++) {
		if ((st = tx_begin(j, err)) != K_OK)
			return st;
		/* Another process may have migrated while we waited for the lock. */
		int now_have;
		if ((st = read_version(j, &now_have, err)) != K_OK)
			return tx_abort(j, st);
		if (now_have >= v) {
			tx_abort(j, K_OK);
			continue;
		}
		st = db_script(j, migrations[v - 1], err);
		if (st == K_OK) {
			sqlite3_stmt *s = st_get(j, ST_VERSION_ADD, err);
			if (!s)
				return tx_abort(j, K_DB);
			sqlite3_bind_int(s, 1, v);
			sqlite3_bind_int64(s, 2, journal_now(j));
			st = st_done(j, s, err);
		}
		if (st == K_OK)
			st = tx_commit(j, err);
		if (st != K_OK) {
			tx_abort(j, st);
			if (err) {
				char msg[sizeof err->text];
				snprintf(msg, sizeof msg, _("migration to schema version %d failed, "
							    "nothing changed: %s"),
					 v, err->text);
				str_copy(err->text, msg, sizeof err->text);
			}
			return st;
		}
	}
	return read_version(j, &j->version, err);
}

kstatus journal_open_version(const char *path, int version, struct journal **out,
			     struct kerr *err)
{
	*out = NULL;
	if (!path || !*path)
		return kerr_set(err, K_INVALID, "journal", _("no journal path given"));
	if (version <= 0 || version > MIGRATION_COUNT)
		version = MIGRATION_COUNT;
	struct journal *j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path);
	j->lock_fd = -1;
	kstatus cst = journal_check_before_open(path, j->warning, sizeof j->warning, err);
	if (cst != K_OK) {
		journal_close(j);
		return cst;
	}
	int rc = sqlite3_open_v2(path, &j->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	kstatus st = K_OK;
	if (rc != SQLITE_OK) {
		st = kerr_set(err, K_IO, "journal",
			      _("cannot open journal %s: %s; check that its folder exists and is "
				"writable"),
			      path, j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
		journal_close(j);
		return st;
	}
	sqlite3_extended_result_codes(j->db, 1);
	sqlite3_busy_timeout(j->db, 2000);
	/*
	 * WAL keeps readers (kassa status in a second terminal) off the writer's
	 * back; synchronous=FULL makes each commit durable before we send, which
	 * is the whole point of the write-ahead journal.
	 */
	if ((st = pragma(j, "PRAGMA journal_mode=WAL", "wal", err)) != K_OK ||
	    (st = pragma(j, "PRAGMA synchronous=FULL", NULL, err)) != K_OK ||
	    (st = pragma(j, "PRAGMA foreign_keys=ON", NULL, err)) != K_OK ||
	    (st = journal_check_after_open(j->db, path, err)) != K_OK ||
	    (st = migrate(j, version, err)) != K_OK) {
		journal_close(j);
		return st;
	}
	journal_check_mark(path);
	*out = j;
	return K_OK;
}

kstatus journal_open(const char *path, struct journal **out, struct kerr *err)
{
	return journal_open_version(path, 0, out, err);
}

const char *journal_warning(const struct journal *j)
{
	return j && j->warning[0] ? j->warning : NULL;
}

const char *journal_file(const struct journal *j)
{
	return j->path;
}

int journal_schema_version(struct journal *j)
{
	return j->version;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(j->stmt[i]);
	for (int i = 0; i < F_COMBOS; i++) {
		sqlite3_finalize(j->list_stmt[i]);
		sqlite3_finalize(j->count_stmt[i]);
	}
	sqlite3_close(j->db);
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	free(j->path);
	free(j);
}

kstatus journal_lock_sender(struct journal *j, struct kerr *err)
{
	if (j->lock_fd >= 0)
		return K_OK;
	/* In-memory and URI journals have no file to put a lock next to. */
	if (strcmp(j->path, ":memory:") == 0 || strncmp(j->path, "file:", 5) == 0)
		return K_OK;
	size_t n = strlen(j->path) + sizeof ".lock";
	char *lock = xmalloc(n);
	snprintf(lock, n, "%s.lock", j->path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;
		kerr_set(err, K_IO, "journal",
			 _("cannot create the lock file %s: %s; check that its folder is writable"),
			 lock, strerror(e));
		free(lock);
		return K_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		/* The holder wrote its pid there; show digits only. */
		char raw[24] = "", pid[24] = "";
		ssize_t r = pread(fd, raw, sizeof raw - 1, 0);
		size_t k = 0;
		for (ssize_t i = 0; i < r && raw[i] >= '0' && raw[i] <= '9'; i++)
			pid[k++] = raw[i];
		pid[k] = '\0';
		close(fd);
		free(lock);
		if (e == EWOULDBLOCK)
			return kerr_set(err, K_BUSY, "journal",
					_("journal %s is in use by another kassa (process %s) that "
					  "sends its documents; use that one or close it and try "
					  "again (kassa status, journal and outbox can read the "
					  "journal meanwhile)"),
					j->path, pid[0] ? pid : "?");
		return kerr_set(err, K_IO, "journal", _("cannot lock journal %s: %s"), j->path,
				strerror(e));
	}
	free(lock);
	char text[24];
	int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	/* The pid is only for the message above: a failure here changes nothing. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) != len) {
	}
	j->lock_fd = fd;
	return K_OK;
}

/* --- enqueue and the outbox ----------------------------------------------------------------- */

/* True when the body carries a credential that must not be stored. */
static bool body_has_secret(const char *body)
{
	const char *p = body;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '{') {
		json_t *root = json_loads(body, JSON_DECODE_ANY, NULL);
		if (!root)
			return false;
		bool bad = false;
		static const char *const keys[] = {"apikey", "password", "token", "secret"};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const char *v = json_string_value(json_object_get(root, keys[i]));
			if (v && *v)
				bad = true;
		}
		json_decref(root);
		return bad;
	}
	/* form-urlencoded: a non-empty token= field */
	for (const char *q = body; (q = strstr(q, "token=")) != NULL; q += 6) {
		if ((q == body || q[-1] == '&') && q[6] && q[6] != '&')
			return true;
	}
	return false;
}

/* Within a transaction: what is left on original_uuid; K_NOTFOUND without err text. */
static kstatus refund_left_locked(struct journal *j, const char *uuid, int64_t *total,
				  int64_t *refunded, enum journal_state *state, char *type,
				  size_t type_n, bool *test, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_ORIGINAL, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, uuid);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return K_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_error(j, rc, err);
	}
	*total = sqlite3_column_int64(s, 0);
	*state = col_state(s, 1);
	col_text(s, 2, type, type_n);
	*test = sqlite3_column_int(s, 3) != 0;
	sqlite3_reset(s);
	if (!(s = st_get(j, ST_REFUNDED, err)))
		return K_DB;
	bind_text(s, 1, uuid);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_error(j, rc, err);
	}
	*refunded = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return K_OK;
}

/* The refund rule, with its messages; K_NOTFOUND gets a message too. */
static kstatus refund_check_locked(struct journal *j, const char *ref_uuid, int64_t amount,
				   int64_t *left_out, struct kerr *err)
{
	int64_t total = 0, refunded = 0;
	enum journal_state state;
	char type[JOURNAL_WORD_MAX];
	bool test;
	kstatus st = refund_left_locked(j, ref_uuid, &total, &refunded, &state, type, sizeof type,
					&test, err);
	if (st == K_NOTFOUND)
		return kerr_set(err, K_NOTFOUND, "ref_uuid",
				_("no document with uuid %s in this journal; check the uuid (the "
				  "provider checks refunds of sales made elsewhere)"),
				ref_uuid);
	if (st != K_OK)
		return st;
	if (strcmp(type, "refund") == 0 || strcmp(type, "buy_refund") == 0)
		return kerr_set(err, K_REFUSED, "ref_uuid",
				_("%s is itself a refund; cite the original sale's uuid"),
				ref_uuid);
	if (test || state == JS_FAILED || state == JS_REJECTED || state == JS_VALIDATED)
		return kerr_set(err, K_REFUSED, "ref_uuid",
				_("%s was not fiscalized (%s), so there is nothing to refund"),
				ref_uuid, _(journal_state_label(state)));
	int64_t left = total - refunded;
	if (left < 0)
		left = 0;
	if (left_out)
		*left_out = left;
	if (amount <= 0)
		return kerr_set(err, K_INVALID, "amount", _("a refund amount must be above zero"));
	if (amount > left) {
		char a[32], l[32], t[32], r[32];
		money_format_wire(amount, a, sizeof a);
		money_format_wire(left, l, sizeof l);
		money_format_wire(total, t, sizeof t);
		money_format_wire(refunded, r, sizeof r);
		if (left == 0)
			return kerr_set(err, K_REFUSED, "amount",
					_("%s is already refunded in full (%s of %s); nothing is "
					  "left to refund"),
					ref_uuid, r, t);
		return kerr_set(err, K_REFUSED, "amount",
				_("refund of %s is more than is left on %s: %s left of %s (%s "
				  "already refunded); refund at most %s"),
				a, ref_uuid, l, t, r, l);
	}
	return K_OK;
}

/*
 * The rotated backup at each Z-report (the day's end): a failure never fails
 * the Z-report, it is left in journal_warning().
 */
static void auto_backup(struct journal *j)
{
	struct kerr e = {0};
	char made[512];
	if (journal_backup_rotate(j->db, j->path, made, sizeof made, &e) != K_OK)
		snprintf(j->warning, sizeof j->warning, _("the Z-report's journal backup failed: %s"),
			 e.text);
}

kstatus journal_enqueue(struct journal *j, const struct journal_new_doc *d, int64_t *id,
			struct kerr *err)
{
	if (id)
		*id = 0;
	if (!d->ext_id || !*d->ext_id)
		return kerr_set(err, K_INVALID, "ext_id", _("a document needs an ext_id"));
	if (strlen(d->ext_id) > EXT_ID_MAX)
		return kerr_set(err, K_INVALID, "ext_id", _("ext_id is longer than %d characters"),
				EXT_ID_MAX);
	if (!d->kind || !*d->kind)
		return kerr_set(err, K_INVALID, "kind", _("a document needs its kind"));
	if ((unsigned)d->provider >= KPROVIDER_COUNT)
		return kerr_set(err, K_INVALID, "provider", _("unknown provider"));
	if (!d->body || !*d->body)
		return kerr_set(err, K_INVALID, "body", _("a document needs its request body"));
	if (body_has_secret(d->body))
		return kerr_set(err, K_INVALID, "body",
				_("the request body holds a credential; journal it without apikey "
				  "or token, the sender adds them"));
	if (d->total < 0 || d->card < 0 || d->cash < 0 || d->change < 0)
		return kerr_set(err, K_INVALID, "total", _("amounts cannot be negative"));
	if (d->ref_uuid && strlen(d->ref_uuid) > UUID_TEXT_MAX)
		return kerr_set(err, K_INVALID, "ref_uuid", _("ref_uuid is too long"));

	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	if (d->ref_uuid && *d->ref_uuid && !d->test) {
		st = refund_check_locked(j, d->ref_uuid, d->total, NULL, err);
		if (st == K_NOTFOUND)
			kerr_clear(err); /* a sale made elsewhere: the provider checks it */
		else if (st != K_OK)
			return tx_abort(j, st);
	}
	int64_t now = journal_now(j);
	sqlite3_stmt *s = st_get(j, ST_INSERT_DOC, err);
	if (!s)
		return tx_abort(j, K_DB);
	bind_text(s, 1, d->profile ? d->profile : "");
	bind_text(s, 2, journal_provider_word(d->provider));
	bind_text(s, 3, d->kind);
	bind_text(s, 4, d->type ? d->type : "");
	bind_text(s, 5, d->ext_id);
	bind_text(s, 6, d->body);
	sqlite3_bind_int64(s, 7, d->total);
	sqlite3_bind_int64(s, 8, d->card);
	sqlite3_bind_int64(s, 9, d->cash);
	sqlite3_bind_int64(s, 10, d->change);
	sqlite3_bind_int64(s, 11, now);
	if (d->ref_uuid && *d->ref_uuid)
		bind_text(s, 12, d->ref_uuid);
	else
		sqlite3_bind_null(s, 12);
	sqlite3_bind_int(s, 13, d->test ? 1 : 0);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		int64_t owner = 0;
		sqlite3_stmt *o = st_get(j, ST_EXT_ID_OWNER, NULL);
		if (o) {
			bind_text(o, 1, d->ext_id);
			if (sqlite3_step(o) == SQLITE_ROW)
				owner = sqlite3_column_int64(o, 0);
			sqlite3_reset(o);
		}
		kerr_set(err, K_EXISTS, "ext_id",
			 _("ext_id %s is already in the journal (document #%" PRId64
			   "); a resend reuses that document, a new sale needs a new ext_id"),
			 d->ext_id, owner);
		return tx_abort(j, K_EXISTS);
	}
	if (rc != SQLITE_DONE) {
		db_error(j, rc, err);
		return tx_abort(j, K_DB);
	}
	int64_t new_id = sqlite3_last_insert_rowid(j->db);
	st = history_add(j, new_id, now, JS_NONE, JS_QUEUED, JSRC_LOCAL, "created", err);
	if (st == K_OK && d->clear_open_basket)
		st = st_simple(j, ST_BASKET_CLEAR, err);
	if (st != K_OK)
		return tx_abort(j, st);
	if ((st = tx_commit(j, err)) != K_OK)
		return st;
	if (id)
		*id = new_id;
	if (strcmp(d->kind, "z-report") == 0 && !d->test)
		auto_backup(j);
	return K_OK;
}

static kstatus ids_query(struct journal *j, enum stmt_id sid, int64_t now, int64_t *ids,
			 size_t max, size_t *n, struct kerr *err)
{
	*n = 0;
	if (max == 0)
		return K_OK;
	sqlite3_stmt *s = st_get(j, sid, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(j, rc, err);
	return K_OK;
}

kstatus journal_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
		    struct kerr *err)
{
	return ids_query(j, ST_DUE, now, ids, max, n, err);
}

kstatus journal_poll_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
			 struct kerr *err)
{
	return ids_query(j, ST_POLL_DUE, now, ids, max, n, err);
}

static kstatus one_int64(struct journal *j, enum stmt_id sid, int64_t *out, bool *null,
			 struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, sid, err);
	if (!s)
		return K_DB;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_error(j, rc, err);
	}
	if (null)
		*null = sqlite3_column_type(s, 0) == SQLITE_NULL;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return K_OK;
}

kstatus journal_next_due(struct journal *j, int64_t *when, struct kerr *err)
{
	bool null = true;
	kstatus st = one_int64(j, ST_NEXT_DUE, when, &null, err);
	if (st != K_OK)
		return st;
	if (null)
		return kerr_set(err, K_NOTFOUND, "outbox", _("the outbox is empty"));
	return K_OK;
}

kstatus journal_outbox_depth(struct journal *j, int64_t *n, struct kerr *err)
{
	return one_int64(j, ST_DEPTH, n, NULL, err);
}

/* True for failures of the journal itself (the transaction cannot go on). */
static bool fatal(kstatus st)
{
	return st == K_DB || st == K_BUSY || st == K_IO || st == K_NOMEM;
}

/* Commits after a step whose refusals wrote nothing; rolls back after a fatal one. */
static kstatus tx_end(struct journal *j, kstatus st, struct kerr *err)
{
	if (fatal(st))
		return tx_abort(j, st);
	struct kerr cerr;
	kerr_clear(&cerr);
	kstatus c = tx_commit(j, &cerr);
	if (c != K_OK) {
		if (err)
			*err = cerr;
		return c;
	}
	return st;
}

static kstatus mark_sending_locked(struct journal *j, int64_t id, int64_t now, struct kerr *err)
{
	struct head h;
	kstatus st;
	if ((st = head_by_id(j, id, &h, err)) != K_OK)
		return st;
	if (h.state != JS_QUEUED)
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is %s, not queued; it is not sent again"),
				id, _(journal_state_label(h.state)));
	sqlite3_stmt *s = st_get(j, ST_SET_SENDING, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if ((st = st_done(j, s, err)) != K_OK)
		return st;
	if (j->version >= 3) {
		if (!(s = st_get(j, ST_SET_SENT_AT, err)))
			return K_DB;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		if ((st = st_done(j, s, err)) != K_OK)
			return st;
	}
	char detail[64];
	snprintf(detail, sizeof detail, "attempt %d", h.attempts + 1);
	return history_add(j, id, now, JS_QUEUED, JS_SENDING, JSRC_LOCAL, detail, err);
}

kstatus journal_mark_sending(struct journal *j, int64_t id, struct kerr *err)
{
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = mark_sending_locked(j, id, journal_now(j), err);
	if (st != K_OK)
		return tx_abort(j, st);
	return tx_commit(j, err);
}

kstatus journal_mark_sending_many(struct journal *j, const int64_t *ids, size_t n, bool *marked,
				  struct kerr *err)
{
	for (size_t i = 0; i < n; i++)
		marked[i] = false;
	if (n == 0)
		return K_OK;
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	int64_t now = journal_now(j);
	for (size_t i = 0; i < n; i++) {
		struct kerr one;
		kerr_clear(&one);
		st = mark_sending_locked(j, ids[i], now, &one);
		if (fatal(st)) {
			if (err)
				*err = one;
			return tx_abort(j, st);
		}
		marked[i] = st == K_OK;
	}
	st = tx_commit(j, err);
	if (st != K_OK)
		for (size_t i = 0; i < n; i++)
			marked[i] = false;
	return st;
}

kstatus journal_record_attempt(struct journal *j, int64_t id, int http_status, int provider_code,
			       const char *error_text, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_INSERT_ATTEMPT, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, journal_now(j));
	sqlite3_bind_int(s, 3, http_status);
	sqlite3_bind_int(s, 4, provider_code);
	bind_text(s, 5, error_text ? error_text : "");
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"),
				id);
	if (rc != SQLITE_DONE)
		return db_error(j, rc, err);
	return K_OK;
}

/* --- replies, callbacks, polls -------------------------------------------------------------- */

/*
 * A callback already stored byte for byte (same uuid, document, content type
 * and body, and so the same parsed outcome): its row counts one more replay. *done tells whether it was one.
 * Bodiless rows (polls) are not compared.
 */
static kstatus raw_replay(struct journal *j, int64_t now, int64_t doc_id,
			  const struct journal_callback *cb, bool *done, struct kerr *err)
{
	*done = false;
	if (j->version < 5 || !cb->body)
		return K_OK;
	sqlite3_stmt *s = st_get(j, ST_RAW_SAME, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, cb->uuid);
	if (doc_id)
		sqlite3_bind_int64(s, 2, doc_id);
	else
		sqlite3_bind_null(s, 2);
	bind_text(s, 3, cb->content_type ? cb->content_type : "");
	size_t len = cb->body_len;
	if (!doc_id && len > JOURNAL_RAW_UNKNOWN_BODY_MAX)
		len = JOURNAL_RAW_UNKNOWN_BODY_MAX; /* as it was stored */
	sqlite3_bind_blob64(s, 4, cb->body, len, SQLITE_STATIC);
	bind_text(s, 5, journal_state_word(cb->state));
	bind_text(s, 6, journal_source_word(cb->source));
	sqlite3_bind_int(s, 7, cb->error_code);
	bind_text(s, 8, cb->detail ? cb->detail : "");
	int rc = sqlite3_step(s);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(j, rc, err);
	if (!id)
		return K_OK;
	if (!(s = st_get(j, ST_RAW_REPLAY, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	*done = true;
	return st_done(j, s, err);
}

/* Unknown-uuid rows: older than the retention go, then all but the newest cap. */
static kstatus raw_unknown_trim(struct journal *j, int64_t now, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_RAW_EXPIRE, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now - JOURNAL_RAW_UNKNOWN_KEEP_MS);
	kstatus st = st_done(j, s, err);
	if (st != K_OK)
		return st;
	if (!(s = st_get(j, ST_RAW_TRIM, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, JOURNAL_RAW_UNKNOWN_MAX);
	return st_done(j, s, err);
}

static kstatus raw_insert(struct journal *j, int64_t now, int64_t doc_id, bool applied,
			  const struct journal_callback *cb, struct kerr *err)
{
	bool replay = false;
	kstatus rst = raw_replay(j, now, doc_id, cb, &replay, err);
	if (rst != K_OK || replay)
		return rst;
	sqlite3_stmt *s = st_get(j, ST_INSERT_RAW, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now);
	if (doc_id)
		sqlite3_bind_int64(s, 2, doc_id);
	else
		sqlite3_bind_null(s, 2);
	bind_text(s, 3, cb->uuid);
	bind_text(s, 4, cb->content_type ? cb->content_type : "");
	/* A body for no document of ours is kept only in part (the parsed
	 * outcome is in its own columns). */
	size_t len = cb->body_len;
	if (!doc_id && j->version >= 5 && len > JOURNAL_RAW_UNKNOWN_BODY_MAX)
		len = JOURNAL_RAW_UNKNOWN_BODY_MAX;
	if (cb->body)
		sqlite3_bind_blob64(s, 5, cb->body, len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_int(s, 6, applied ? 1 : 0);
	bind_text(s, 7, journal_state_word(cb->state));
	bind_text(s, 8, journal_source_word(cb->source));
	sqlite3_bind_int(s, 9, cb->error_code);
	bind_text(s, 10, cb->detail ? cb->detail : "");
	kstatus st = st_done(j, s, err);
	if (st == K_OK && !doc_id && j->version >= 5)
		st = raw_unknown_trim(j, now, err);
	return st;
}

/*
 * The outcome of a callback or poll for a known document (in a
 * transaction): decides whether it is a change, a repeat or a conflict.
 */
static kstatus outcome_apply(struct journal *j, struct head *h, enum journal_state to,
			     enum journal_source src, int code, const char *detail, int64_t now,
			     bool *applied, struct kerr *err)
{
	*applied = false;
	if (h->state == to)
		return K_OK;
	if (h->test)
		return kerr_set(err, K_REFUSED, "uuid",
				_("document #%" PRId64 " is a test document; the provider sends "
				  "it no status"),
				h->id);
	if (journal_state_final(h->state))
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is already %s; a later \"%s\" is kept "
				  "but not applied"),
				h->id, _(journal_state_label(h->state)),
				_(journal_state_label(to)));
	sqlite3_stmt *s = st_get(j, ST_SET_FINAL_CB, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, h->id);
	bind_text(s, 2, journal_state_word(to));
	sqlite3_bind_int(s, 3, to == JS_PROCESSED ? 0 : code);
	bind_text(s, 4, to == JS_PROCESSED ? "" : (detail ? detail : ""));
	sqlite3_bind_int64(s, 5, now);
	kstatus st = st_done(j, s, err);
	if (st != K_OK)
		return st;
	char text[JOURNAL_TEXT_MAX];
	if (code)
		snprintf(text, sizeof text, "%d: %s", code, detail ? detail : "");
	else
		snprintf(text, sizeof text, "%s", detail ? detail : "");
	if ((st = history_add(j, h->id, now, (int)h->state, to, src, text, err)) != K_OK)
		return st;
	h->state = to;
	*applied = true;
	return K_OK;
}

/* Callbacks that reached us before the reply told us their uuid. */
static kstatus adopt_early(struct journal *j, struct head *h, const char *key, int64_t now,
			   struct kerr *err)
{
	if (!key || !*key || j->version < 2) /* raw_callbacks came with version 2 */
		return K_OK;
	struct early {
		int64_t id;
		enum journal_state state;
		enum journal_source src;
		int code;
		char detail[JOURNAL_TEXT_MAX];
	} *list = NULL;
	size_t n = 0;
	sqlite3_stmt *s = st_get(j, ST_EARLY_RAW, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, key);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		list = xrealloc(list, (n + 1) * sizeof *list);
		struct early *e = &list[n++];
		e->id = sqlite3_column_int64(s, 0);
		e->state = col_state(s, 1);
		e->src = JSRC_CALLBACK;
		journal_source_parse((const char *)sqlite3_column_text(s, 2), &e->src);
		e->code = sqlite3_column_int(s, 3);
		col_text(s, 4, e->detail, sizeof e->detail);
	}
	sqlite3_reset(s);
	kstatus st = K_OK;
	if (rc != SQLITE_DONE)
		st = db_error(j, rc, err);
	for (size_t i = 0; st == K_OK && i < n; i++) {
		bool applied = false;
		struct kerr ignore;
		kstatus a = outcome_apply(j, h, list[i].state, list[i].src, list[i].code,
					  list[i].detail, now, &applied, &ignore);
		if (a == K_DB || a == K_BUSY || a == K_IO) {
			st = a;
			if (err)
				*err = ignore;
			break;
		}
		if (!(s = st_get(j, ST_ADOPT_RAW, err))) {
			st = K_DB;
			break;
		}
		sqlite3_bind_int64(s, 1, list[i].id);
		sqlite3_bind_int64(s, 2, h->id);
		sqlite3_bind_int(s, 3, applied ? 1 : 0);
		st = st_done(j, s, err);
	}
	free(list);
	return st;
}

static kstatus reply_ok_locked(struct journal *j, int64_t id, const char *uuid,
			       const char *provider_receipt_id, int64_t now, struct kerr *err)
{
	uuid = uuid ? uuid : "";
	provider_receipt_id = provider_receipt_id ? provider_receipt_id : "";
	if (strlen(uuid) > UUID_TEXT_MAX || strlen(provider_receipt_id) >= JOURNAL_RECEIPT_ID_MAX)
		return kerr_set(err, K_INVALID, "uuid", _("the provider's document id is too long"));
	struct head h;
	kstatus st;
	if ((st = head_by_id(j, id, &h, err)) != K_OK)
		return st;
	enum journal_state to = h.test ? JS_VALIDATED : JS_ACCEPTED;
	if (!h.test && !*uuid && !*provider_receipt_id)
		return kerr_set(err, K_PROVIDER, "uuid",
				_("the provider accepted document #%" PRId64 " but sent no uuid"),
				id);
	if (h.state != JS_QUEUED && h.state != JS_SENDING) {
		/* A repeated reply (replay of a known document) changes nothing. */
		bool same = h.test ? h.state == JS_VALIDATED
				   : (strcmp(h.uuid, uuid) == 0 &&
				      strcmp(h.receipt_id, provider_receipt_id) == 0);
		if (same && h.state != JS_REJECTED)
			return K_OK;
		return kerr_set(err, K_REFUSED, "uuid",
				_("document #%" PRId64 " is %s with uuid \"%s\"; the reply naming "
				  "\"%s\" is not applied"),
				id, _(journal_state_label(h.state)), h.uuid, uuid);
	}
	int64_t next = h.provider == KPROVIDER_PAYKEEPER && !h.test ? now + JOURNAL_FIRST_POLL_MS
								    : 0;
	sqlite3_stmt *s = st_get(j, ST_SET_ACCEPTED, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, journal_state_word(to));
	bind_text(s, 3, h.test ? "" : uuid);
	bind_text(s, 4, h.test ? "" : provider_receipt_id);
	sqlite3_bind_int64(s, 5, next);
	sqlite3_bind_int64(s, 6, now);
	if ((st = st_done(j, s, err)) != K_OK)
		return st;
	char detail[JOURNAL_TEXT_MAX];
	if (h.test)
		snprintf(detail, sizeof detail, "test mode: checked, nothing fiscalized");
	else if (*uuid)
		snprintf(detail, sizeof detail, "uuid %s", uuid);
	else
		snprintf(detail, sizeof detail, "receipt id %s", provider_receipt_id);
	if ((st = history_add(j, id, now, (int)h.state, to, JSRC_REPLY, detail, err)) != K_OK)
		return st;
	if (!h.test) {
		h.state = to;
		if ((st = adopt_early(j, &h, uuid, now, err)) != K_OK)
			return st;
		if (strcmp(provider_receipt_id, uuid) != 0 &&
		    (st = adopt_early(j, &h, provider_receipt_id, now, err)) != K_OK)
			return st;
	}
	return K_OK;
}

kstatus journal_apply_reply_ok(struct journal *j, int64_t id, const char *uuid,
			       const char *provider_receipt_id, struct kerr *err)
{
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = reply_ok_locked(j, id, uuid, provider_receipt_id, journal_now(j), err);
	if (st != K_OK)
		return tx_abort(j, st);
	return tx_commit(j, err);
}

static kstatus reply_rejected_locked(struct journal *j, int64_t id, int code, const char *text,
				     const char *flag_detail, int64_t now, struct kerr *err)
{
	text = text ? text : "";
	struct head h;
	kstatus st;
	if ((st = head_by_id(j, id, &h, err)) != K_OK)
		return st;
	if (h.state == JS_REJECTED)
		return K_OK;
	if (h.state != JS_QUEUED && h.state != JS_SENDING)
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is %s; a rejection now is not applied"), id,
				_(journal_state_label(h.state)));
	sqlite3_stmt *s = st_get(j, ST_SET_ERROR, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, journal_state_word(JS_REJECTED));
	sqlite3_bind_int(s, 3, code);
	bind_text(s, 4, text);
	sqlite3_bind_int64(s, 5, now);
	if ((st = st_done(j, s, err)) != K_OK)
		return st;
	char detail[JOURNAL_TEXT_MAX];
	snprintf(detail, sizeof detail, "%d: %s", code, text);
	st = history_add(j, id, now, (int)h.state, JS_REJECTED, JSRC_REPLY, detail, err);
	if (st != K_OK || !flag_detail || !*flag_detail)
		return st;
	/* The rejection may not be the whole truth: the operator must look. */
	if (!(s = st_get(j, ST_SET_FLAGGED, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	if ((st = st_done(j, s, err)) != K_OK)
		return st;
	return history_add(j, id, now, JS_REJECTED, JS_REJECTED, JSRC_LOCAL, flag_detail, err);
}

kstatus journal_apply_reply_rejected(struct journal *j, int64_t id, int code, const char *text,
				     struct kerr *err)
{
	return journal_apply_reply_rejected_flagged(j, id, code, text, NULL, err);
}

kstatus journal_apply_reply_rejected_flagged(struct journal *j, int64_t id, int code,
					     const char *text, const char *flag_detail,
					     struct kerr *err)
{
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = reply_rejected_locked(j, id, code, text, flag_detail, journal_now(j), err);
	if (st != K_OK)
		return tx_abort(j, st);
	return tx_commit(j, err);
}

static kstatus retry_locked(struct journal *j, int64_t id, int64_t next_attempt_at,
			    enum journal_source source, const char *reason, int64_t now,
			    struct kerr *err)
{
	reason = reason ? reason : "";
	struct head h;
	kstatus st;
	if ((st = head_by_id(j, id, &h, err)) != K_OK)
		return st;
	if (h.state != JS_QUEUED && h.state != JS_SENDING)
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is %s; it is not queued again"), id,
				_(journal_state_label(h.state)));
	sqlite3_stmt *s = st_get(j, ST_SET_RETRY, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt_at);
	bind_text(s, 3, reason);
	sqlite3_bind_int64(s, 4, now);
	if ((st = st_done(j, s, err)) != K_OK)
		return st;
	if (h.state == JS_SENDING)
		return history_add(j, id, now, JS_SENDING, JS_QUEUED, source, reason, err);
	return K_OK;
}

kstatus journal_schedule_retry(struct journal *j, int64_t id, int64_t next_attempt_at,
			       enum journal_source source, const char *reason, struct kerr *err)
{
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = retry_locked(j, id, next_attempt_at, source, reason, journal_now(j), err);
	if (st != K_OK)
		return tx_abort(j, st);
	return tx_commit(j, err);
}

/* One outcome inside the caller's transaction; o->st gets its own result. */
static kstatus outcome_one(struct journal *j, struct journal_outcome *o, int64_t now)
{
	kerr_clear(&o->err);
	o->st = K_OK;
	if (o->record_attempt) {
		o->st = journal_record_attempt(j, o->id, o->http_status, o->provider_code,
					       o->attempt_error, &o->err);
		if (o->st != K_OK)
			return o->st;
	}
	switch (o->kind) {
	case JO_ACCEPTED:
		o->st = reply_ok_locked(j, o->id, o->uuid, o->receipt_id, now, &o->err);
		if (o->st == K_OK && o->poll_at) {
			sqlite3_stmt *s = st_get(j, ST_SET_NEXT, &o->err);
			if (!s)
				return o->st = K_DB;
			sqlite3_bind_int64(s, 1, o->id);
			sqlite3_bind_int64(s, 2, o->poll_at);
			o->st = st_done(j, s, &o->err);
		}
		if (o->st == K_PROVIDER) {
			/* Accepted without an id: ask again with the same ext_id, which names it. */
			struct kerr why = o->err;
			kstatus r = retry_locked(j, o->id, o->next_attempt_at, JSRC_REPLY, why.text,
						 now, &o->err);
			if (r != K_OK)
				return o->st = r;
			o->err = why;
		}
		break;
	case JO_REJECTED:
		o->st = reply_rejected_locked(j, o->id, o->code, o->text, o->flag_detail, now,
					      &o->err);
		break;
	case JO_RETRY:
		o->st = retry_locked(j, o->id, o->next_attempt_at, o->source, o->reason, now,
				     &o->err);
		break;
	}
	return o->st;
}

kstatus journal_apply_outcomes(struct journal *j, struct journal_outcome *o, size_t n,
			       struct kerr *err)
{
	if (n == 0)
		return K_OK;
	kstatus st = tx_begin(j, err);
	for (size_t i = 0; st == K_OK && i < n; i++) {
		if (fatal(outcome_one(j, &o[i], journal_now(j)))) {
			st = o[i].st;
			if (err)
				*err = o[i].err;
		}
	}
	if (st == K_OK)
		st = tx_commit(j, err);
	else
		tx_abort(j, st);
	if (st != K_OK)
		for (size_t i = 0; i < n; i++) {
			o[i].st = st;
			if (err)
				o[i].err = *err;
		}
	return st;
}

static bool outcome_state_ok(enum journal_state s)
{
	return s == JS_PROCESSED || s == JS_PROVIDER_RETRY || s == JS_FAILED ||
	       s == JS_ACCEPTED;
}

/*
 * A callback whose uuid we do not know but whose ext_id is ours: the reply
 * that would have told us the uuid was lost. A document without a uuid takes
 * the callback's; one with another uuid keeps its own and is flagged, since
 * two uuids for one ext_id is something a person must look at.
 */
static kstatus adopt_by_ext_id(struct journal *j, struct head *h, const struct journal_callback *cb,
			       int64_t now, bool *conflict, struct kerr *err)
{
	*conflict = false;
	sqlite3_stmt *s;
	kstatus st;
	if (!h->uuid[0] && !h->receipt_id[0]) {
		if (strlen(cb->uuid) > UUID_TEXT_MAX)
			return kerr_set(err, K_INVALID, "uuid", _("the callback's uuid is too long"));
		if (!(s = st_get(j, ST_SET_UUID, err)))
			return K_DB;
		sqlite3_bind_int64(s, 1, h->id);
		bind_text(s, 2, cb->uuid);
		sqlite3_bind_int64(s, 3, now);
		if ((st = st_done(j, s, err)) != K_OK)
			return st;
		str_copy(h->uuid, cb->uuid, sizeof h->uuid);
		char detail[JOURNAL_TEXT_MAX];
		snprintf(detail, sizeof detail,
			 "uuid %.64s learnt from a callback naming ext_id %.64s (the reply was lost)",
			 cb->uuid, cb->ext_id);
		return history_add(j, h->id, now, (int)h->state, h->state, JSRC_CALLBACK, detail,
				   err);
	}
	*conflict = true;
	if (!(s = st_get(j, ST_SET_FLAGGED, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, h->id);
	if ((st = st_done(j, s, err)) != K_OK)
		return st;
	char detail[JOURNAL_TEXT_MAX];
	snprintf(detail, sizeof detail,
		 "a callback for ext_id %.64s names uuid %.64s but the journal holds %.64s; "
		 "kept the stored one, callback not applied: check the cabinet",
		 cb->ext_id, cb->uuid, h->uuid[0] ? h->uuid : h->receipt_id);
	return history_add(j, h->id, now, (int)h->state, h->state, JSRC_CALLBACK, detail, err);
}

static kstatus callback_locked(struct journal *j, const struct journal_callback *cb,
			       struct journal_callback_result *res, int64_t now, struct kerr *err)
{
	memset(res, 0, sizeof *res);
	res->from = res->to = JS_NONE;
	if (!cb->uuid || !*cb->uuid)
		return kerr_set(err, K_INVALID, "uuid", _("the callback carries no uuid"));
	if (!outcome_state_ok(cb->state) || cb->state == JS_ACCEPTED)
		return kerr_set(err, K_INVALID, "status",
				_("a callback can only make a document processed, provider "
				  "retry or failed"));
	if (cb->source != JSRC_CALLBACK && cb->source != JSRC_POLL && cb->source != JSRC_RELAY)
		return kerr_set(err, K_INVALID, "source",
				_("a callback's source is callback, relay or poll"));
	struct head h;
	kstatus st = head_load(j, ST_HEAD_BY_UUID, 0, cb->uuid, &h, err);
	if (st == K_NOTFOUND)
		st = head_load(j, ST_HEAD_BY_RECEIPT, 0, cb->uuid, &h, err);
	bool by_ext = false;
	if (st == K_NOTFOUND && cb->ext_id && *cb->ext_id) {
		st = head_load(j, ST_HEAD_BY_EXT, 0, cb->ext_id, &h, err);
		by_ext = st == K_OK;
	}
	if (st == K_NOTFOUND) {
		if ((st = raw_insert(j, now, 0, false, cb, err)) != K_OK)
			return st;
		return kerr_set(err, K_NOTFOUND, "uuid",
				_("no document with uuid %s in this journal; the callback is kept "
				  "but not applied"),
				cb->uuid);
	}
	if (st != K_OK)
		return st;
	res->doc_id = h.id;
	res->from = (int)h.state;
	if (by_ext) {
		bool conflict = false;
		if ((st = adopt_by_ext_id(j, &h, cb, now, &conflict, err)) != K_OK)
			return st;
		if (conflict) {
			if ((st = raw_insert(j, now, h.id, false, cb, err)) != K_OK)
				return st;
			res->to = (int)h.state;
			res->flagged = true;
			return kerr_set(err, K_REFUSED, "uuid",
					_("document #%" PRId64 " has uuid %s, the callback for its "
					  "ext_id names %s; flagged, not applied"),
					h.id, h.uuid[0] ? h.uuid : h.receipt_id, cb->uuid);
		}
	}
	bool applied = false;
	struct kerr why;
	kerr_clear(&why);
	kstatus outcome = outcome_apply(j, &h, cb->state, cb->source, cb->error_code, cb->detail,
					now, &applied, &why);
	if (outcome != K_OK && outcome != K_REFUSED) {
		if (err)
			*err = why;
		return outcome;
	}
	if ((st = raw_insert(j, now, h.id, applied, cb, err)) != K_OK)
		return st;
	res->applied = applied || by_ext;
	res->to = (int)h.state;
	if (outcome == K_REFUSED && err)
		*err = why;
	return outcome;
}

kstatus journal_apply_callback(struct journal *j, const struct journal_callback *cb,
			       struct journal_callback_result *res, struct kerr *err)
{
	struct journal_callback_result dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof *res);
	res->from = res->to = JS_NONE;
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = callback_locked(j, cb, res, journal_now(j), err);
	if (st == K_INVALID)
		return tx_abort(j, st);
	kstatus end = tx_end(j, st, err);
	if (end != st || fatal(st))
		memset(res, 0, sizeof *res), res->from = res->to = JS_NONE;
	return end;
}

kstatus journal_apply_callbacks(struct journal *j, struct journal_callback_item *items, size_t n,
				struct kerr *err)
{
	if (n == 0)
		return K_OK;
	kstatus st = tx_begin(j, err);
	for (size_t i = 0; st == K_OK && i < n; i++) {
		kerr_clear(&items[i].err);
		items[i].st = callback_locked(j, &items[i].cb, &items[i].res, journal_now(j),
					      &items[i].err);
		if (fatal(items[i].st)) {
			st = items[i].st;
			if (err)
				*err = items[i].err;
		}
	}
	if (st == K_OK)
		st = tx_commit(j, err);
	else
		tx_abort(j, st);
	if (st != K_OK)
		for (size_t i = 0; i < n; i++) {
			items[i].st = st;
			if (err)
				items[i].err = *err;
			memset(&items[i].res, 0, sizeof items[i].res);
			items[i].res.from = items[i].res.to = JS_NONE;
		}
	return st;
}

kstatus journal_transition(struct journal *j, int64_t id, enum journal_state to,
			   enum journal_source source, const char *detail, struct kerr *err)
{
	if (!outcome_state_ok(to))
		return kerr_set(err, K_INVALID, "state",
				_("a poll or the operator can only set accepted, processed, "
				  "provider retry or failed"));
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	struct head h;
	if ((st = head_by_id(j, id, &h, err)) != K_OK)
		return tx_abort(j, st);
	bool applied;
	st = outcome_apply(j, &h, to, source, 0, detail, journal_now(j), &applied, err);
	if (st != K_OK)
		return tx_abort(j, st);
	return tx_commit(j, err);
}

kstatus journal_replay(struct journal *j, int64_t id, struct kerr *err)
{
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	struct head h;
	if ((st = head_by_id(j, id, &h, err)) != K_OK)
		return tx_abort(j, st);
	if (h.state != JS_ACCEPTED && h.state != JS_PROVIDER_RETRY) {
		kerr_set(err, K_REFUSED, "state",
			 _("document #%" PRId64 " is %s; only a document whose fate is unknown "
			   "(accepted or provider retry) can be replayed"),
			 id, _(journal_state_label(h.state)));
		return tx_abort(j, K_REFUSED);
	}
	int64_t now = journal_now(j);
	sqlite3_stmt *s = st_get(j, ST_SET_REPLAY, err);
	if (!s)
		return tx_abort(j, K_DB);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if ((st = st_done(j, s, err)) != K_OK)
		return tx_abort(j, st);
	st = history_add(j, id, now, (int)h.state, JS_QUEUED, JSRC_OPERATOR,
			 "replayed with the same ext_id", err);
	if (st != K_OK)
		return tx_abort(j, st);
	return tx_commit(j, err);
}

kstatus journal_set_next_attempt(struct journal *j, int64_t id, int64_t at, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_SET_NEXT, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	kstatus st = st_done(j, s, err);
	if (st == K_OK && sqlite3_changes(j->db) == 0)
		return kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"),
				id);
	return st;
}

kstatus journal_flush(struct journal *j, int64_t *count, struct kerr *err)
{
	if (count)
		*count = 0;
	sqlite3_stmt *s = st_get(j, ST_FLUSH, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, journal_now(j));
	kstatus st = st_done(j, s, err);
	if (st == K_OK && count)
		*count = sqlite3_changes(j->db);
	return st;
}

kstatus journal_flush_profile(struct journal *j, const char *profile, int64_t *count,
			      struct kerr *err)
{
	if (count)
		*count = 0;
	sqlite3_stmt *s = st_get(j, ST_FLUSH_PROFILE, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, journal_now(j));
	bind_text(s, 2, profile ? profile : "");
	kstatus st = st_done(j, s, err);
	if (st == K_OK && count)
		*count = sqlite3_changes(j->db);
	return st;
}

/* Collects the ids a statement yields (bound with ?1 = arg when has_arg). */
static kstatus collect_ids(struct journal *j, enum stmt_id sid, bool has_arg, int64_t arg,
			   int64_t **ids, size_t *n, struct kerr *err)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *s = st_get(j, sid, err);
	if (!s)
		return K_DB;
	if (has_arg)
		sqlite3_bind_int64(s, 1, arg);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return db_error(j, rc, err);
	}
	return K_OK;
}

kstatus journal_resume_on_start(struct journal *j, int64_t *count, struct kerr *err)
{
	if (count)
		*count = 0;
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	int64_t *ids;
	size_t n;
	if ((st = collect_ids(j, ST_SENDING_IDS, false, 0, &ids, &n, err)) != K_OK)
		return tx_abort(j, st);
	int64_t now = journal_now(j);
	for (size_t i = 0; i < n && st == K_OK; i++) {
		sqlite3_stmt *s = st_get(j, ST_SET_REPLAY, err);
		if (!s) {
			st = K_DB;
			break;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, now);
		if ((st = st_done(j, s, err)) == K_OK)
			st = history_add(j, ids[i], now, JS_SENDING, JS_QUEUED, JSRC_RESTART,
					 "kassa stopped while sending; resent with the same ext_id",
					 err);
	}
	free(ids);
	if (st != K_OK)
		return tx_abort(j, st);
	if ((st = tx_commit(j, err)) != K_OK)
		return st;
	if (count)
		*count = (int64_t)n;
	return K_OK;
}

kstatus journal_flag_stale(struct journal *j, int64_t older_than_ms, int64_t *count,
			   struct kerr *err)
{
	if (count)
		*count = 0;
	kstatus st = tx_begin(j, err);
	if (st != K_OK)
		return st;
	int64_t now = journal_now(j);
	sqlite3_stmt *s = st_get(j, j->version >= 3 ? ST_STALE_IDS : ST_STALE_IDS_V2, err);
	if (!s)
		return tx_abort(j, K_DB);
	sqlite3_bind_int64(s, 1, now - older_than_ms);
	struct {
		int64_t id;
		enum journal_state state;
	} *list = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		list = xrealloc(list, (n + 1) * sizeof *list);
		list[n].id = sqlite3_column_int64(s, 0);
		list[n].state = col_state(s, 1);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(list);
		db_error(j, rc, err);
		return tx_abort(j, K_DB);
	}
	char detail[JOURNAL_TEXT_MAX];
	snprintf(detail, sizeof detail,
		 "no final status after %" PRId64 " s; flagged: replay it or check the cabinet",
		 older_than_ms / 1000);
	for (size_t i = 0; i < n && st == K_OK; i++) {
		if (!(s = st_get(j, ST_SET_FLAGGED, err))) {
			st = K_DB;
			break;
		}
		sqlite3_bind_int64(s, 1, list[i].id);
		if ((st = st_done(j, s, err)) == K_OK)
			st = history_add(j, list[i].id, now, (int)list[i].state, list[i].state,
					 JSRC_LOCAL, detail, err);
	}
	free(list);
	if (st != K_OK)
		return tx_abort(j, st);
	if ((st = tx_commit(j, err)) != K_OK)
		return st;
	if (count)
		*count = (int64_t)n;
	return K_OK;
}

/* --- reading -------------------------------------------------------------------------------- */

static kstatus doc_query(struct journal *j, enum stmt_id sid, int64_t num, const char *text,
			 struct journal_doc *out, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, sid, err);
	if (!s)
		return K_DB;
	if (sid == ST_DOC_BY_ID)
		sqlite3_bind_int64(s, 1, num);
	else
		bind_text(s, 1, text);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		doc_from_row(s, out, true);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return K_NOTFOUND;
	if (rc != SQLITE_ROW)
		return db_error(j, rc, err);
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
	sqlite3_stmt *s = st_get(j, ST_DOC_BY_PREFIX, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, k);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		doc_from_row(s, out, true);
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
	return db_error(j, rc, err);
}

kstatus journal_find(struct journal *j, const char *key, struct journal_doc *out,
		     struct kerr *err)
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
		return kerr_set(err, K_INVALID, "id",
				_("give a local id, an ext_id or a uuid"));
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

kstatus journal_history(struct journal *j, int64_t id,
			bool (*cb)(const struct journal_history_row *row, void *ctx), void *ctx,
			struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_HISTORY, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct journal_history_row r;
		memset(&r, 0, sizeof r);
		r.doc_id = sqlite3_column_int64(s, 0);
		r.at = sqlite3_column_int64(s, 1);
		r.from = JS_NONE;
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			r.from = (int)col_state(s, 2);
		r.to = col_state(s, 3);
		r.source = JSRC_LOCAL;
		journal_source_parse((const char *)sqlite3_column_text(s, 4), &r.source);
		col_text(s, 5, r.detail, sizeof r.detail);
		if (!cb(&r, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(j, rc, err);
	return K_OK;
}

kstatus journal_attempts(struct journal *j, int64_t id,
			 bool (*cb)(const struct journal_attempt_row *row, void *ctx), void *ctx,
			 struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_ATTEMPTS, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct journal_attempt_row r;
		memset(&r, 0, sizeof r);
		r.doc_id = sqlite3_column_int64(s, 0);
		r.at = sqlite3_column_int64(s, 1);
		r.http_status = sqlite3_column_int(s, 2);
		r.provider_code = sqlite3_column_int(s, 3);
		col_text(s, 4, r.error, sizeof r.error);
		if (!cb(&r, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(j, rc, err);
	return K_OK;
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
	static const unsigned order[] = {F_TEXT, F_AMOUNT, F_SINCE | F_UNTIL, F_STATE, F_KIND,
					 F_FLAGGED};
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
		db_error(j, rc, err);
		*slot = NULL;
		return NULL;
	}
	return *slot;
}

static void filter_bind(sqlite3_stmt *s, const struct journal_filter *f, unsigned mask,
			char *hi, size_t hi_n)
{
	if (mask & F_STATE)
		bind_text(s, 1, journal_state_word(f->state));
	if (mask & F_KIND)
		bind_text(s, 2, f->kind);
	if (mask & F_TEXT) {
		/* UTF-8 never holds 0xFF, so prefix + 0xFF bounds every text starting with prefix. */
		snprintf(hi, hi_n, "%s\xff", f->text);
		bind_text(s, 3, f->text);
		sqlite3_bind_text(s, 4, hi, -1, SQLITE_STATIC);
	}
	if (mask & F_AMOUNT)
		sqlite3_bind_int64(s, 5, f->amount);
	if (mask & F_SINCE)
		sqlite3_bind_int64(s, 6, f->since);
	if (mask & F_UNTIL)
		sqlite3_bind_int64(s, 7, f->until);
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
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct journal_doc d;
		doc_from_row(s, &d, false);
		if (!cb(&d, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* hi[] goes out of scope */
	if (rc != SQLITE_DONE)
		return db_error(j, rc, err);
	return K_OK;
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
		return db_error(j, rc, err);
	return K_OK;
}

/* --- refunds -------------------------------------------------------------------------------- */

kstatus journal_refund_left(struct journal *j, const char *original_uuid, int64_t *left,
			    struct kerr *err)
{
	*left = 0;
	if (!original_uuid || !*original_uuid)
		return kerr_set(err, K_INVALID, "ref_uuid", _("give the original sale's uuid"));
	int64_t total, refunded;
	enum journal_state state;
	char type[JOURNAL_WORD_MAX];
	bool test;
	kstatus st = refund_left_locked(j, original_uuid, &total, &refunded, &state, type,
					sizeof type, &test, err);
	if (st == K_NOTFOUND)
		return kerr_set(err, K_NOTFOUND, "ref_uuid",
				_("no document with uuid %s in this journal"), original_uuid);
	if (st != K_OK)
		return st;
	if (test || state == JS_FAILED || state == JS_REJECTED || state == JS_VALIDATED)
		return K_OK; /* nothing was fiscalized */
	*left = total > refunded ? total - refunded : 0;
	return K_OK;
}

kstatus journal_check_refund(struct journal *j, const char *ref_uuid, int64_t amount,
			     struct kerr *err)
{
	if (!ref_uuid || !*ref_uuid)
		return kerr_set(err, K_INVALID, "ref_uuid", _("a refund needs the original's uuid"));
	return refund_check_locked(j, ref_uuid, amount, NULL, err);
}

kstatus journal_apply_batch(struct journal *j, struct journal_batch *b, struct kerr *err)
{
	for (size_t i = 0; i < b->nmark; i++)
		b->marked[i] = false;
	if (b->ncallbacks + b->noutcomes + b->nmark == 0)
		return K_OK;
	kstatus st = tx_begin(j, err);
	int64_t now = journal_now(j);
	for (size_t i = 0; st == K_OK && i < b->ncallbacks; i++) {
		struct journal_callback_item *it = &b->callbacks[i];
		kerr_clear(&it->err);
		it->st = callback_locked(j, &it->cb, &it->res, now, &it->err);
		if (fatal(it->st)) {
			st = it->st;
			if (err)
				*err = it->err;
		}
	}
	for (size_t i = 0; st == K_OK && i < b->noutcomes; i++) {
		if (fatal(outcome_one(j, &b->outcomes[i], now))) {
			st = b->outcomes[i].st;
			if (err)
				*err = b->outcomes[i].err;
		}
	}
	for (size_t i = 0; st == K_OK && i < b->nmark; i++) {
		struct kerr one;
		kerr_clear(&one);
		kstatus m = mark_sending_locked(j, b->mark[i], now, &one);
		if (fatal(m)) {
			st = m;
			if (err)
				*err = one;
		}
		b->marked[i] = m == K_OK;
	}
	if (st == K_OK)
		st = tx_commit(j, err);
	else
		tx_abort(j, st);
	if (st != K_OK) {
		for (size_t i = 0; i < b->ncallbacks; i++) {
			b->callbacks[i].st = st;
			if (err)
				b->callbacks[i].err = *err;
			memset(&b->callbacks[i].res, 0, sizeof b->callbacks[i].res);
			b->callbacks[i].res.from = b->callbacks[i].res.to = JS_NONE;
		}
		for (size_t i = 0; i < b->noutcomes; i++) {
			b->outcomes[i].st = st;
			if (err)
				b->outcomes[i].err = *err;
		}
		for (size_t i = 0; i < b->nmark; i++)
			b->marked[i] = false;
	}
	return st;
}

/* --- the open basket ------------------------------------------------------------------------ */

kstatus journal_basket_save(struct journal *j, const char *profile, int lines, const char *body,
			    struct kerr *err)
{
	if (!body || !*body || lines <= 0)
		return journal_basket_clear(j, err);
	sqlite3_stmt *s = st_get(j, ST_BASKET_SAVE, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, profile ? profile : "");
	sqlite3_bind_int(s, 2, lines);
	bind_text(s, 3, body);
	sqlite3_bind_int64(s, 4, journal_now(j));
	/* One statement is one transaction: a single small write, synced like any other. */
	return st_done(j, s, err);
}

kstatus journal_basket_clear(struct journal *j, struct kerr *err)
{
	return st_simple(j, ST_BASKET_CLEAR, err);
}

kstatus journal_basket_load(struct journal *j, struct journal_basket *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = st_get(j, ST_BASKET_LOAD, err);
	if (!s)
		return K_DB;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return K_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_error(j, rc, err);
	}
	col_text(s, 0, out->profile, sizeof out->profile);
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

/* --- small named values ----------------------------------------------------------------------- */

kstatus journal_kv_get(struct journal *j, const char *key, char *buf, size_t n, struct kerr *err)
{
	if (n)
		buf[0] = '\0';
	sqlite3_stmt *s = st_get(j, ST_KV_GET, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, key);
	int rc = sqlite3_step(s);
	kstatus st = K_OK;
	if (rc == SQLITE_ROW)
		col_text(s, 0, buf, n);
	else if (rc == SQLITE_DONE)
		st = K_NOTFOUND;
	else
		st = db_error(j, rc, err);
	sqlite3_reset(s);
	return st;
}

kstatus journal_kv_set(struct journal *j, const char *key, const char *value, struct kerr *err)
{
	sqlite3_stmt *s = st_get(j, ST_KV_SET, err);
	if (!s)
		return K_DB;
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	sqlite3_bind_int64(s, 3, journal_now(j));
	return st_done(j, s, err);
}

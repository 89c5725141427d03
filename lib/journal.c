/* The journal: open, migrations, close, the sender lock; state and source words. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "i18n.h"
#include "journal_sql.h"
#include "journal_bill.h"
#include "journal_check.h"
#include "journal_int.h"
#include "journal_link.h"
#include "journal_refund.h"
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

    /* 7: prepaid orders and the final receipt that settles each (lib/journal_link.h). */
    JOURNAL_LINK_MIGRATION,

    /* 8: pay-by-link bills and transaction notifications (lib/journal_bill.c). */
    JOURNAL_BILL_SCHEMA,

    /* 9: refunds of paid bills, each with its idempotency uuid (lib/journal_refund.c). */
    JOURNAL_REFUND_SCHEMA,
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

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

void journal_set_clock(struct journal *j, int64_t (*fn)(void *ctx), void *ctx)
{
	j->clock = fn;
	j->clock_ctx = ctx;
}

static kstatus pragma(struct journal *j, const char *sql, const char *want, struct kerr *err);

kstatus journal_set_sync(struct journal *j, bool full, struct kerr *err)
{
	return pragma(j, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL, err);
}

/* Runs SQL text of several statements, each prepared in turn (migrations only). */
static kstatus db_script(struct journal *j, const char *sql, struct kerr *err)
{
	const char *tail = sql;
	while (tail && *tail) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(j->db, tail, -1, &s, &tail);
		if (rc != SQLITE_OK)
			return journal_db_error(j, rc, err);
		if (!s)
			break; /* only white space left */
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return journal_db_error(j, rc, err);
	}
	return K_OK;
}

void journal_doc_free(struct journal_doc *d)
{
	if (!d)
		return;
	free(d->body);
	d->body = NULL;
}

static kstatus pragma(struct journal *j, const char *sql, const char *want, struct kerr *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return journal_db_error(j, rc, err);
	rc = sqlite3_step(s);
	char got[32] = "";
	if (rc == SQLITE_ROW)
		journal_col_text(s, 0, got, sizeof got);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_db_error(j, rc, err);
	if (want && strcmp(got, want) != 0)
		return kerr_set(err, K_DB, "journal",
				_("journal %s: cannot switch to %s mode (got \"%s\"); keep the "
				  "journal on a local disk"),
				j->path, want, got);
	return K_OK;
}

static kstatus read_version(struct journal *j, int *version, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_VERSION, err);
	if (!s)
		return K_DB;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return journal_db_error(j, rc, err);
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
		if ((st = journal_tx_begin(j, err)) != K_OK)
			return st;
		/* Another process may have migrated while we waited for the lock. */
		int now_have;
		if ((st = read_version(j, &now_have, err)) != K_OK)
			return journal_tx_abort(j, st);
		if (now_have >= v) {
			journal_tx_abort(j, K_OK);
			continue;
		}
		st = db_script(j, migrations[v - 1], err);
		if (st == K_OK) {
			sqlite3_stmt *s = journal_st_get(j, ST_VERSION_ADD, err);
			if (!s)
				return journal_tx_abort(j, K_DB);
			sqlite3_bind_int(s, 1, v);
			sqlite3_bind_int64(s, 2, journal_now(j));
			st = journal_st_done(j, s, err);
		}
		if (st == K_OK)
			st = journal_tx_commit(j, err);
		if (st != K_OK) {
			journal_tx_abort(j, st);
			if (err) {
				char msg[sizeof err->text];
				snprintf(msg, sizeof msg,
					 _("migration to schema version %d failed, "
					   "nothing changed: %s"),
					 v, err->text);
				str_copy(err->text, msg, sizeof err->text);
			}
			return st;
		}
	}
	return read_version(j, &j->version, err);
}

kstatus journal_open_version(const char *path, int version, struct journal **out, struct kerr *err)
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
	int rc = sqlite3_open_v2(
	    path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
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

struct sqlite3 *journal_db(struct journal *j)
{
	return j->db;
}

int64_t journal_clock_now(struct journal *j)
{
	return journal_now(j);
}

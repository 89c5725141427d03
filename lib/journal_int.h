/*
 * Inside the journal: shared by journal.c (open, migrations, close) and
 * journal_db.c (SQLite plumbing), journal_docs.c (enqueue, refunds),
 * journal_send.c (the outbox side), journal_callback.c (callbacks and
 * polls), journal_status.c (manual moves, start-up, staleness) and
 * journal_read.c (reading, the open basket, named values).
 * Not for use outside these files. A new statement is one line in
 * STMT_INFO below; a new migration goes to migrations[] in journal.c.
 */
#ifndef KASSA_JOURNAL_INT_H
#define KASSA_JOURNAL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "journal.h"

/* Columns of struct journal_doc, body last so lists can skip it. */
#define DOC_COLS                                                                                   \
	"id, profile, provider, kind, type, ext_id, total_kop, card_kop, cash_kop, change_kop,"    \
	" uuid, state, created_at, updated_at, next_attempt_at, attempts, ref_uuid,"               \
	" last_error_code, last_error_text, provider_receipt_id, flagged, test"
#define DOC_COL_BODY 22

#define STMT_INFO(_)                                                                               \
	_(BEGIN, "BEGIN IMMEDIATE")                                                                \
	_(KV_GET, "SELECT value FROM kv WHERE key = ?1")                                           \
	_(KV_SET, "INSERT INTO kv(key, value, updated_at) VALUES (?1, ?2, ?3)"                     \
		  " ON CONFLICT(key) DO UPDATE SET value = ?2, updated_at = ?3")                   \
	_(COMMIT, "COMMIT")                                                                        \
	_(ROLLBACK, "ROLLBACK")                                                                    \
	_(VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_version")                         \
	_(VERSION_ADD, "INSERT INTO schema_version(version, applied_at) VALUES (?1, ?2)")          \
	_(INSERT_DOC,                                                                              \
	  "INSERT INTO documents(profile, provider, kind, type, ext_id, body, total_kop,"          \
	  " card_kop, cash_kop, change_kop, state, created_at, updated_at, next_attempt_at,"       \
	  " ref_uuid, test) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?11,"  \
	  " ?11, ?12, ?13)")                                                                       \
	_(EXT_ID_OWNER, "SELECT id FROM documents WHERE ext_id = ?1")                              \
	_(INSERT_HISTORY,                                                                          \
	  "INSERT INTO status_history(doc_id, at, from_state, to_state, source, detail)"           \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                                      \
	_(DOC_BY_ID, "SELECT " DOC_COLS ", body FROM documents WHERE id = ?1")                     \
	_(DOC_BY_EXT, "SELECT " DOC_COLS ", body FROM documents WHERE ext_id = ?1")                \
	_(DOC_BY_UUID, "SELECT " DOC_COLS ", body FROM documents WHERE uuid = ?1"                  \
		       " ORDER BY id LIMIT 1")                                                     \
	_(DOC_BY_RECEIPT, "SELECT " DOC_COLS ", body FROM documents"                               \
			  " WHERE provider_receipt_id = ?1 ORDER BY id LIMIT 1")                   \
	_(DOC_BY_PREFIX, "SELECT " DOC_COLS ", body FROM documents"                                \
			 " WHERE substr(ext_id, 1, length(?1)) = ?1"                               \
			 " OR substr(uuid, 1, length(?1)) = ?1 ORDER BY id LIMIT 2")               \
	_(HEAD_BY_ID, "SELECT id, state, test, provider, uuid, provider_receipt_id, attempts"      \
		      " FROM documents WHERE id = ?1")                                             \
	_(HEAD_BY_UUID, "SELECT id, state, test, provider, uuid, provider_receipt_id, attempts"    \
			" FROM documents WHERE uuid = ?1 ORDER BY id LIMIT 1")                     \
	_(HEAD_BY_RECEIPT, "SELECT id, state, test, provider, uuid, provider_receipt_id,"          \
			   " attempts FROM documents WHERE provider_receipt_id = ?1"               \
			   " ORDER BY id LIMIT 1")                                                 \
	_(HEAD_BY_EXT, "SELECT id, state, test, provider, uuid, provider_receipt_id, attempts"     \
		       " FROM documents WHERE ext_id = ?1")                                        \
	_(SET_UUID, "UPDATE documents SET uuid = ?2, updated_at = ?3 WHERE id = ?1")               \
	_(SET_SENT_AT, "UPDATE documents SET sent_at = ?2 WHERE id = ?1")                          \
	_(SET_SENDING, "UPDATE documents SET state = 'sending', attempts = attempts + 1,"          \
		       " updated_at = ?2 WHERE id = ?1")                                           \
	_(SET_ACCEPTED, "UPDATE documents SET state = ?2, uuid = NULLIF(?3, ''),"                  \
			" provider_receipt_id = NULLIF(?4, ''), next_attempt_at = ?5,"             \
			" flagged = 0, updated_at = ?6 WHERE id = ?1")                             \
	_(SET_ERROR, "UPDATE documents SET state = ?2, last_error_code = ?3,"                      \
		     " last_error_text = ?4, updated_at = ?5 WHERE id = ?1")                       \
	_(SET_RETRY, "UPDATE documents SET state = 'queued', next_attempt_at = ?2,"                \
		     " last_error_code = 0, last_error_text = ?3, updated_at = ?4 WHERE id = ?1")  \
	_(SET_FINAL_CB, "UPDATE documents SET state = ?2, last_error_code = ?3,"                   \
			" last_error_text = ?4, flagged = 0, updated_at = ?5 WHERE id = ?1")       \
	_(SET_REPLAY, "UPDATE documents SET state = 'queued', next_attempt_at = ?2, flagged = 0,"  \
		      " updated_at = ?2 WHERE id = ?1")                                            \
	_(SET_NEXT, "UPDATE documents SET next_attempt_at = ?2 WHERE id = ?1")                     \
	_(SET_FLAGGED, "UPDATE documents SET flagged = 1 WHERE id = ?1")                           \
	_(FLUSH, "UPDATE documents SET next_attempt_at = ?1"                                       \
		 " WHERE state = 'queued' AND next_attempt_at > ?1")                               \
	_(FLUSH_PROFILE, "UPDATE documents SET next_attempt_at = ?1"                               \
			 " WHERE state = 'queued' AND next_attempt_at > ?1 AND profile = ?2")      \
	_(INSERT_ATTEMPT, "INSERT INTO attempts(doc_id, at, http_status, provider_code, error)"    \
			  " VALUES (?1, ?2, ?3, ?4, ?5)")                                          \
	_(DUE, "SELECT id FROM documents WHERE state = 'queued' AND next_attempt_at <= ?1"         \
	       " ORDER BY next_attempt_at, id LIMIT ?2")                                           \
	_(NEXT_DUE, "SELECT MIN(next_attempt_at) FROM documents WHERE state = 'queued'")           \
	_(DEPTH, "SELECT COUNT(*) FROM documents WHERE state IN ('queued', 'sending')")            \
	_(POLL_DUE,                                                                                \
	  "SELECT id FROM documents WHERE state IN ('accepted', 'provider_retry')"                 \
	  " AND next_attempt_at > 0 AND next_attempt_at <= ?1 AND provider = 'paykeeper'"          \
	  " ORDER BY next_attempt_at, id LIMIT ?2")                                                \
	_(SENDING_IDS, "SELECT id FROM documents WHERE state = 'sending' ORDER BY id")             \
	_(STALE_IDS, "SELECT id, state FROM documents INDEXED BY documents_unsettled"              \
		     " WHERE flagged = 0 AND state IN ('accepted', 'provider_retry')"              \
		     " AND sent_at <= ?1 ORDER BY id")                                             \
	_(STALE_IDS_V2, "SELECT id, state FROM documents INDEXED BY documents_unsettled"           \
			" WHERE flagged = 0 AND state IN ('accepted', 'provider_retry')"           \
			" AND created_at <= ?1 ORDER BY id")                                       \
	_(HISTORY, "SELECT doc_id, at, from_state, to_state, source, detail FROM status_history"   \
		   " WHERE doc_id = ?1 ORDER BY id")                                               \
	_(ATTEMPTS, "SELECT doc_id, at, http_status, provider_code, error FROM attempts"           \
		    " WHERE doc_id = ?1 ORDER BY id")                                              \
	_(INSERT_RAW, "INSERT INTO raw_callbacks(at, doc_id, uuid, content_type, body, applied,"   \
		      " state, source, error_code, detail)"                                        \
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")                         \
	_(EARLY_RAW, "SELECT id, state, source, error_code, detail FROM raw_callbacks"             \
		     " WHERE uuid = ?1 AND doc_id IS NULL ORDER BY id")                            \
	_(ADOPT_RAW, "UPDATE raw_callbacks SET doc_id = ?2, applied = ?3 WHERE id = ?1")           \
	_(RAW_SAME, "SELECT id FROM raw_callbacks WHERE uuid = ?1 AND doc_id IS ?2"                \
		    " AND content_type = ?3 AND body = ?4 AND state = ?5 AND source = ?6"          \
		    " AND error_code = ?7 AND detail = ?8 ORDER BY id LIMIT 1")                    \
	_(RAW_REPLAY,                                                                              \
	  "UPDATE raw_callbacks SET replays = replays + 1, last_at = ?2 WHERE id = ?1")            \
	_(RAW_EXPIRE, "DELETE FROM raw_callbacks WHERE doc_id IS NULL AND at < ?1")                \
	_(RAW_TRIM,                                                                                \
	  "DELETE FROM raw_callbacks WHERE doc_id IS NULL AND id <= (SELECT id"                    \
	  " FROM raw_callbacks WHERE doc_id IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?1)")          \
	_(ORIGINAL, "SELECT total_kop, state, type, test FROM documents WHERE uuid = ?1"           \
		    " ORDER BY id LIMIT 1")                                                        \
	_(BASKET_SAVE, "INSERT INTO open_basket(id, profile, lines, body, updated_at)"             \
		       " VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET"                 \
		       " profile = ?1, lines = ?2, body = ?3, updated_at = ?4")                    \
	_(BASKET_LOAD, "SELECT profile, lines, body, updated_at FROM open_basket WHERE id = 1")    \
	_(BASKET_CLEAR, "DELETE FROM open_basket")                                                 \
	_(REFUNDED, "SELECT COALESCE(SUM(total_kop), 0) FROM documents WHERE ref_uuid = ?1"        \
		    " AND state NOT IN ('rejected', 'failed', 'validated') AND test = 0")

#define STMT_ENUM(name, sql) ST_##name,
enum stmt_id { STMT_INFO(STMT_ENUM) ST_COUNT };
#undef STMT_ENUM

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
	int lock_fd;	   /* journal_lock_sender(), -1 when not held */
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

/* journal_db.c */
/* The journal's clock in ms (journal_set_clock(), else the wall clock). */
int64_t journal_now(struct journal *j);
/* Fills err for an SQLite result code (busy, damaged, disk full, ...); returns the kstatus. */
kstatus journal_db_error(struct journal *j, int rc, struct kerr *err);
/* The cached statement, reset and with bindings cleared; NULL after filling err. */
sqlite3_stmt *journal_st_get(struct journal *j, enum stmt_id id, struct kerr *err);
/* Binds v (not copied: it must outlive the step), NULL as NULL. */
void journal_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Runs a statement that returns no rows. */
kstatus journal_st_done(struct journal *j, sqlite3_stmt *s, struct kerr *err);
/* Steps a bound statement, calling on_row for each row until it returns
 * false, then resets it; a step error is reported as journal_db_error. */
kstatus journal_st_rows(struct journal *j, sqlite3_stmt *s,
			bool (*on_row)(sqlite3_stmt *s, void *cls), void *cls, struct kerr *err);
/* Runs cached statement id, which takes no parameters and returns no rows. */
kstatus journal_st_simple(struct journal *j, enum stmt_id id, struct kerr *err);
/* BEGIN IMMEDIATE. */
kstatus journal_tx_begin(struct journal *j, struct kerr *err);
/* COMMIT; rolls back when the commit fails. */
kstatus journal_tx_commit(struct journal *j, struct kerr *err);
/* Rolls back if a transaction is open and passes st through. */
kstatus journal_tx_abort(struct journal *j, kstatus st);
/* Copies column i into buf ("" for NULL). */
void journal_col_text(sqlite3_stmt *s, int i, char *buf, size_t n);
/* Column i as a state; a word we do not know reads as failed, never as pending. */
enum journal_state journal_col_state(sqlite3_stmt *s, int i);
/* Fills d from a row of DOC_COLS (and the body after them when with_body). */
void journal_doc_from_row(sqlite3_stmt *s, struct journal_doc *d, bool with_body);
/* Looks up a document's head by id, uuid or receipt id; K_NOTFOUND without filling err. */
kstatus journal_head_load(struct journal *j, enum stmt_id id, int64_t num, const char *text,
			  struct head *h, struct kerr *err);
/* journal_head_load() by id, with a message naming the id when there is none. */
kstatus journal_head_by_id(struct journal *j, int64_t id, struct head *h, struct kerr *err);
/* Appends a status_history row; from is JS_NONE for a document's first row. */
kstatus journal_history_add(struct journal *j, int64_t doc, int64_t at, int from,
			    enum journal_state to, enum journal_source src, const char *detail,
			    struct kerr *err);
/* True for failures of the journal itself (the transaction cannot go on). */
bool journal_fatal(kstatus st);
/* Commits after a step whose refusals wrote nothing; rolls back after a fatal one. */
kstatus journal_tx_end(struct journal *j, kstatus st, struct kerr *err);

/* journal_callback.c */
/*
 * The outcome of a callback or poll for a known document (in a
 * transaction): decides whether it is a change, a repeat or a conflict.
 */
kstatus journal_outcome_apply(struct journal *j, struct head *h, enum journal_state to,
			      enum journal_source src, int code, const char *detail, int64_t now,
			      bool *applied, struct kerr *err);
/* Callbacks that reached us before the reply told us their uuid. */
kstatus journal_adopt_early(struct journal *j, struct head *h, const char *key, int64_t now,
			    struct kerr *err);
/* The states a callback, poll or outcome may move a document to. */
bool journal_outcome_state_ok(enum journal_state s);
/* Applies one callback or poll inside the caller's transaction. */
kstatus journal_callback_locked(struct journal *j, const struct journal_callback *cb,
				struct journal_callback_result *res, int64_t now, struct kerr *err);

#endif

/*
 * The SQLite store: one file in WAL mode with synchronous=FULL, so a batch is
 * on disk when its COMMIT returns and only then are its callbacks answered
 * 200. A batch runs synchronously inside store_flush(): one local fsync per
 * loop iteration, shared by every callback and pull of that iteration.
 * Schema versions as in the journal: each migration in one transaction,
 * recorded in relay_schema.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "i18n.h"
#include "util.h"

static const char *const migrations[] = {
    /* 1: tills with their per-till sequence, callbacks keyed by (till, offset). */
    "CREATE TABLE relay_tills ("
    " name TEXT PRIMARY KEY,"
    " seq INTEGER NOT NULL DEFAULT 0,"
    " acked INTEGER NOT NULL DEFAULT 0,"
    " last_pull_ms INTEGER NOT NULL DEFAULT 0,"
    " last_callback_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE relay_callbacks ("
    " till TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " acked_ms INTEGER,"
    " suffix TEXT NOT NULL,"
    " content_type TEXT NOT NULL,"
    " body BLOB NOT NULL,"
    " PRIMARY KEY (till, seq)) WITHOUT ROWID;"
    "CREATE INDEX relay_callbacks_acked ON relay_callbacks(acked_ms)"
    " WHERE acked_ms IS NOT NULL;",
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

enum {
	Q_TILL_ADD,
	Q_SEQ_NEXT,
	Q_INSERT,
	Q_ACK_ROWS,
	Q_ACK_TILL,
	Q_FETCH,
	Q_LAST,
	Q_PRUNE,
	Q_STATUS,
	Q_COUNT
};

static const char *const queries[Q_COUNT] = {
    [Q_TILL_ADD] = "INSERT OR IGNORE INTO relay_tills(name) VALUES (?1)",
    [Q_SEQ_NEXT] = "UPDATE relay_tills SET seq = seq + 1, last_callback_ms = ?2"
		   " WHERE name = ?1 RETURNING seq",
    [Q_INSERT] = "INSERT INTO relay_callbacks(till, seq, received_ms, suffix, content_type,"
		 " body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_ACK_ROWS] = "UPDATE relay_callbacks SET acked_ms = ?3 WHERE till = ?1 AND seq < ?2"
		   " AND seq > (SELECT acked FROM relay_tills WHERE name = ?1)",
    [Q_ACK_TILL] = "UPDATE relay_tills SET acked = MAX(acked, MIN(?2 - 1, seq)),"
		   " last_pull_ms = ?3 WHERE name = ?1",
    [Q_FETCH] = "SELECT seq, received_ms, suffix, content_type, body FROM relay_callbacks"
		" WHERE till = ?1 AND seq >= MAX(?2, (SELECT acked + 1 FROM relay_tills"
		" WHERE name = ?1)) ORDER BY seq LIMIT ?3",
    [Q_LAST] = "SELECT seq FROM relay_tills WHERE name = ?1",
    [Q_PRUNE] = "DELETE FROM relay_callbacks WHERE acked_ms IS NOT NULL AND acked_ms < ?1",
    [Q_STATUS] = "SELECT seq, acked, last_pull_ms, last_callback_ms FROM relay_tills"
		 " WHERE name = ?1",
};

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *q[Q_COUNT];
};

static kstatus sq_fail(struct store_sqlite *s, const char *what, struct kerr *err)
{
	return kerr_set(err, K_DB, "db", _("relay database %s: %s: %s"), s->path, what,
			sqlite3_errmsg(s->db));
}

static kstatus sq_exec(struct store_sqlite *s, const char *sql, struct kerr *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		kstatus st = kerr_set(err, K_DB, "db", _("relay database %s: %s"), s->path,
				      msg ? msg : "error");
		sqlite3_free(msg);
		return st;
	}
	return K_OK;
}

static kstatus sq_migrate(struct store_sqlite *s, struct kerr *err)
{
	kstatus st = sq_exec(s,
			     "CREATE TABLE IF NOT EXISTS relay_schema (version INTEGER"
			     " PRIMARY KEY, applied_ms INTEGER NOT NULL)",
			     err);
	if (st != K_OK)
		return st;
	for (int v = 1; v <= MIGRATION_COUNT; v++) {
		if ((st = sq_exec(s, "BEGIN IMMEDIATE", err)) != K_OK)
			return st;
		sqlite3_stmt *q = NULL;
		sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(version), 0) FROM relay_schema", -1,
				   &q, NULL);
		int have = q && sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
		sqlite3_finalize(q);
		if (have < 0) {
			sq_exec(s, "ROLLBACK", NULL);
			return sq_fail(s, "reading the schema version", err);
		}
		if (have > MIGRATION_COUNT) {
			sq_exec(s, "ROLLBACK", NULL);
			return kerr_set(
			    err, K_DB, "db",
			    _("relay database %s has schema version %d but this "
			      "kassa-relay knows only up to %d: use a newer kassa-relay"),
			    s->path, have, MIGRATION_COUNT);
		}
		if (have >= v) {
			sq_exec(s, "ROLLBACK", NULL);
			continue;
		}
		char rec[128];
		snprintf(rec, sizeof rec, "INSERT INTO relay_schema VALUES (%d, %lld)", v,
			 now_ms());
		if ((st = sq_exec(s, migrations[v - 1], err)) != K_OK ||
		    (st = sq_exec(s, rec, err)) != K_OK ||
		    (st = sq_exec(s, "COMMIT", err)) != K_OK) {
			sq_exec(s, "ROLLBACK", NULL);
			return st;
		}
	}
	return K_OK;
}

static kstatus sq_add_tills(struct store *base, const char *const *names, size_t n,
			    struct kerr *err)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	kstatus st = sq_exec(s, "BEGIN IMMEDIATE", err);
	if (st != K_OK)
		return st;
	sqlite3_stmt *q = s->q[Q_TILL_ADD];
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(q, 1, names[i], -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE) {
			st = sq_fail(s, "adding tills", err);
			sq_exec(s, "ROLLBACK", NULL);
			return st;
		}
	}
	return sq_exec(s, "COMMIT", err);
}

static bool sq_step_done(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE;
}

static bool sq_append(struct store_sqlite *s, struct store_append *a, long long now)
{
	sqlite3_stmt *q = s->q[Q_SEQ_NEXT];
	sqlite3_bind_text(q, 1, a->till, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		return false;
	}
	a->offset = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	q = s->q[Q_INSERT];
	sqlite3_bind_text(q, 1, a->till, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, a->offset);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_text(q, 4, a->suffix, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, a->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 6, a->body, (int)a->len, SQLITE_STATIC);
	return sq_step_done(q);
}

static bool sq_fetch(struct store_sqlite *s, struct store_fetch *f, long long now)
{
	sqlite3_stmt *q;
	if (f->ack) {
		q = s->q[Q_ACK_ROWS];
		sqlite3_bind_text(q, 1, f->till, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, f->offset);
		sqlite3_bind_int64(q, 3, now);
		if (!sq_step_done(q))
			return false;
		q = s->q[Q_ACK_TILL];
		sqlite3_bind_text(q, 1, f->till, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, f->offset);
		sqlite3_bind_int64(q, 3, now);
		if (!sq_step_done(q))
			return false;
	}
	q = s->q[Q_LAST];
	sqlite3_bind_text(q, 1, f->till, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		return false;
	}
	f->last = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	q = s->q[Q_FETCH];
	sqlite3_bind_text(q, 1, f->till, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, f->offset);
	sqlite3_bind_int(q, 3, f->limit);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (f->n == cap) {
			cap = cap ? 2 * cap : 4;
			f->updates = xrealloc(f->updates, cap * sizeof *f->updates);
		}
		struct relay_update *u = &f->updates[f->n++];
		memset(u, 0, sizeof *u);
		u->offset = sqlite3_column_int64(q, 0);
		u->received_ms = sqlite3_column_int64(q, 1);
		str_copy(u->suffix, (const char *)sqlite3_column_text(q, 2), sizeof u->suffix);
		u->content_type = xstrdup((const char *)sqlite3_column_text(q, 3));
		const void *b = sqlite3_column_blob(q, 4);
		u->len = (size_t)sqlite3_column_bytes(q, 4);
		u->body = xmalloc(u->len + 1);
		if (u->len)
			memcpy(u->body, b, u->len);
		u->body[u->len] = '\0';
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE;
}

static void sq_flush(struct store *base, struct store_batch *b)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct kerr e = {0};
	b->ok = false;
	const char *what = NULL;
	if (sq_exec(s, "BEGIN IMMEDIATE", &e) != K_OK) {
		str_copy(b->error, e.text, sizeof b->error);
		b->done(b, b->cls);
		return;
	}
	for (size_t i = 0; i < b->n_new_tills && !what; i++) {
		sqlite3_stmt *q = s->q[Q_TILL_ADD];
		sqlite3_bind_text(q, 1, b->new_tills[i], -1, SQLITE_STATIC);
		if (!sq_step_done(q))
			what = "adding tills";
	}
	for (size_t i = 0; i < b->n_appends && !what; i++)
		if (!sq_append(s, &b->appends[i], b->now_ms))
			what = "storing a callback";
	for (size_t i = 0; i < b->n_fetches && !what; i++)
		if (!sq_fetch(s, &b->fetches[i], b->now_ms))
			what = "reading callbacks";
	if (!what && b->prune_before_ms > 0) {
		sqlite3_stmt *q = s->q[Q_PRUNE];
		sqlite3_bind_int64(q, 1, b->prune_before_ms);
		if (!sq_step_done(q))
			what = "removing old callbacks";
	}
	if (!what && sq_exec(s, "COMMIT", &e) != K_OK)
		what = "committing";
	if (what) {
		snprintf(b->error, sizeof b->error, "relay database %s: %s: %s", s->path, what,
			 sqlite3_errmsg(s->db));
		sq_exec(s, "ROLLBACK", NULL);
		for (size_t i = 0; i < b->n_fetches; i++)
			store_fetch_clear(&b->fetches[i]);
	} else {
		b->ok = true;
	}
	b->done(b, b->cls);
}

static kstatus sq_till_status(struct store *base, const char *till, struct store_till_status *out,
			      struct kerr *err)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = s->q[Q_STATUS];
	sqlite3_bind_text(q, 1, till, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->last = sqlite3_column_int64(q, 0);
		out->acked = sqlite3_column_int64(q, 1);
		out->last_pull_ms = sqlite3_column_int64(q, 2);
		out->last_callback_ms = sqlite3_column_int64(q, 3);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(s, "reading till status", err);
	return K_OK;
}

static void sq_close(struct store *base)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	if (!s)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .add_tills = sq_add_tills,
    .flush = sq_flush,
    .till_status = sq_till_status,
    .close = sq_close,
};

struct store *store_sqlite_open(const char *path, struct kerr *err)
{
	if (!path || !*path) {
		kerr_set(err, K_INVALID, "db",
			 _("no database path after sqlite:; use e.g. "
			   "--db sqlite:/var/lib/kassa-relay/relay.db"));
		return NULL;
	}
	struct store_sqlite *s = xcalloc(1, sizeof *s);
	s->base.ops = &sqlite_ops;
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		kerr_set(err, K_IO, "db",
			 _("cannot open relay database %s: %s; check that its folder exists and "
			   "is writable"),
			 path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sq_exec(s,
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		    " PRAGMA foreign_keys=ON",
		    err) != K_OK ||
	    sq_migrate(s, err) != K_OK) {
		sq_close(&s->base);
		return NULL;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
				       NULL) != SQLITE_OK) {
			sq_fail(s, "preparing statements", err);
			sq_close(&s->base);
			return NULL;
		}
	}
	return &s->base;
}

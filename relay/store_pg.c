/*
 * The PostgreSQL store, for a chain: several relay processes on one database
 * serve the same tills. libpq's asynchronous API on the one loop: a batch's
 * statements go in one pipeline (store_pg_batch.c), results are read with
 * PQconsumeInput as the socket becomes readable, and LISTEN/NOTIFY
 * (PQnotifies) wakes the pulls waiting on this process when another process
 * committed callbacks. This file holds the connection: start-up, schema
 * migrations, the blocking calls of start-up and the status command, the
 * loop, and reconnecting after the server went away.
 */
#include "store_pg.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "i18n.h"
#include "util.h"

static const char *const pg_migrations[] = {
    "CREATE TABLE relay_tills ("
    " name TEXT PRIMARY KEY,"
    " seq BIGINT NOT NULL DEFAULT 0,"
    " acked BIGINT NOT NULL DEFAULT 0,"
    " last_pull_ms BIGINT NOT NULL DEFAULT 0,"
    " last_callback_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE relay_callbacks ("
    " till TEXT NOT NULL,"
    " seq BIGINT NOT NULL,"
    " received_ms BIGINT NOT NULL,"
    " acked_ms BIGINT,"
    " suffix TEXT NOT NULL,"
    " content_type TEXT NOT NULL,"
    " body BYTEA NOT NULL,"
    " PRIMARY KEY (till, seq));"
    "CREATE INDEX relay_callbacks_acked ON relay_callbacks(acked_ms)"
    " WHERE acked_ms IS NOT NULL;",
    /* 2: retention by offset. An acknowledgement writes the till's row only;
     * relay_ack_marks records now and then how far each till had acknowledged
     * (the callbacks up to a mark older than the retention period go), seeded
     * from the per-row acknowledgement times that version 1 wrote. acked_ms
     * stays (unused), so a relay of version 1 still running keeps working. */
    "CREATE TABLE relay_ack_marks ("
    " till TEXT NOT NULL,"
    " acked BIGINT NOT NULL,"
    " at_ms BIGINT NOT NULL,"
    " PRIMARY KEY (till, acked));"
    "INSERT INTO relay_ack_marks SELECT till, max(seq), max(acked_ms) FROM relay_callbacks"
    " WHERE acked_ms IS NOT NULL GROUP BY till;"
    "DROP INDEX relay_callbacks_acked;",
};
#define PG_MIGRATION_COUNT ((int)(sizeof pg_migrations / sizeof pg_migrations[0]))

static void pg_watch(struct store_pg *s);

/* libpq's messages span lines; ours are one line each. */
char *store_pg_one_line(char *msg)
{
	char *w = msg;
	bool space = false;
	for (char *r = msg; *r; r++) {
		bool ws = *r == '\n' || *r == '\t' || *r == '\r' || *r == ' ';
		if (ws && (space || w == msg))
			continue;
		*w++ = ws ? ' ' : *r;
		space = ws;
	}
	*w = '\0';
	return str_trim(msg);
}

/* ---- blocking use: start-up, migrations, the status command ---- */

kstatus store_pg_fail(struct store_pg *s, const char *what, const PGresult *r, struct kerr *err)
{
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn);
	char clean[240];
	str_copy(clean, msg && *msg ? msg : "error", sizeof clean);
	store_pg_one_line(clean);
	return kerr_set(err, K_DB, "db", _("relay database (PostgreSQL): %s: %s"), what, clean);
}

static kstatus pg_exec(struct store_pg *s, const char *sql, struct kerr *err)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	kstatus ret = K_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = store_pg_fail(s, "setting up", r, err);
	PQclear(r);
	return ret;
}

static kstatus pg_migrate(struct store_pg *s, struct kerr *err)
{
	/* One process migrates at a time; the others wait and find it done. */
	kstatus st = pg_exec(s, "SELECT pg_advisory_lock(4242170013)", err);
	if (st != K_OK)
		return st;
	st = pg_exec(s,
		     "CREATE TABLE IF NOT EXISTS relay_schema (version INTEGER PRIMARY KEY,"
		     " applied_ms BIGINT NOT NULL)",
		     err);
	for (int v = 1; st == K_OK && v <= PG_MIGRATION_COUNT; v++) {
		PGresult *r = PQexec(s->conn, "SELECT COALESCE(MAX(version), 0) FROM relay_schema");
		int have = PQresultStatus(r) == PGRES_TUPLES_OK
			       ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10)
			       : -1;
		PQclear(r);
		if (have < 0) {
			st = store_pg_fail(s, "reading the schema version", NULL, err);
			break;
		}
		if (have > PG_MIGRATION_COUNT) {
			st = kerr_set(err, K_DB, "db",
				      _("the relay database has schema version %d but this "
					"kassa-relay knows only up to %d: use a newer kassa-relay"),
				      have, PG_MIGRATION_COUNT);
			break;
		}
		if (have >= v)
			continue;
		char rec[128];
		snprintf(rec, sizeof rec, "INSERT INTO relay_schema VALUES (%d, %lld)", v,
			 now_ms());
		if ((st = pg_exec(s, "BEGIN", err)) != K_OK)
			break;
		if ((st = pg_exec(s, pg_migrations[v - 1], err)) != K_OK ||
		    (st = pg_exec(s, rec, err)) != K_OK || (st = pg_exec(s, "COMMIT", err)) != K_OK)
			pg_exec(s, "ROLLBACK", NULL);
	}
	pg_exec(s, "SELECT pg_advisory_unlock(4242170013)", NULL);
	return st;
}

static kstatus pg_add_tills(struct store *base, const char *const *names, size_t n,
			    struct kerr *err)
{
	struct store_pg *s = (struct store_pg *)base;
	if (n == 0)
		return K_OK;
	char *arr = store_pg_batch_names(names, n);
	const char *params[1] = {arr};
	PQsetnonblocking(s->conn, 0);
	PGresult *r = PQexecParams(s->conn,
				   "INSERT INTO relay_tills(name) SELECT unnest($1::text[])"
				   " ON CONFLICT DO NOTHING",
				   1, NULL, params, NULL, NULL, 0);
	kstatus st = K_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		st = store_pg_fail(s, "adding tills", r, err);
	PQclear(r);
	if (s->loop)
		PQsetnonblocking(s->conn, 1);
	free(arr);
	return st;
}

static kstatus pg_till_status(struct store *base, const char *till, struct store_till_status *out,
			      struct kerr *err)
{
	struct store_pg *s = (struct store_pg *)base;
	memset(out, 0, sizeof *out);
	const char *params[1] = {till};
	PGresult *r = PQexecParams(s->conn,
				   "SELECT seq, acked, last_pull_ms, last_callback_ms FROM "
				   "relay_tills WHERE name = $1",
				   1, NULL, params, NULL, NULL, 0);
	kstatus st = K_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		st = store_pg_fail(s, "reading till status", r, err);
	} else if (PQntuples(r) == 1) {
		out->last = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		out->acked = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		out->last_pull_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		out->last_callback_ms = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	}
	PQclear(r);
	return st;
}

static void pg_finish(struct store_pg *s, const char *error)
{
	struct store_batch *b = s->batch;
	s->batch = NULL;
	if (!error && PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF && !PQexitPipelineMode(s->conn))
		error = "relay database (PostgreSQL): the pipeline did not end";
	size_t want = 0;
	for (size_t i = 0; i < s->n_expect; i++)
		want += s->expect[i].seg == 0;
	if (error || s->failed || s->got < want) {
		b->ok = false;
		if (error)
			str_copy(b->error, error, sizeof b->error);
		else if (!b->error[0])
			str_copy(b->error,
				 "relay database (PostgreSQL): the batch did not complete",
				 sizeof b->error);
		for (size_t i = 0; i < b->n_fetches; i++)
			store_fetch_clear(&b->fetches[i]);
	} else {
		b->ok = true;
		s->need_listen = false;
		s->need_prepare = false;
	}
	b->done(b, b->cls);
}

static void pg_notifications(struct store_pg *s)
{
	PGnotify *nf;
	while ((nf = PQnotifies(s->conn))) {
		if (nf->be_pid != s->own_pid && s->base.on_notify) {
			if (strcmp(nf->extra, "*") == 0) {
				s->base.on_notify(NULL, s->base.notify_cls);
			} else {
				char *save = NULL;
				for (char *t = strtok_r(nf->extra, ",", &save); t;
				     t = strtok_r(NULL, ",", &save))
					s->base.on_notify(t, s->base.notify_cls);
			}
		}
		PQfreemem(nf);
	}
}

static void on_pg_retry(struct loop *l, void *cls);

static void pg_lost(struct store_pg *s)
{
	char msg[256];
	char clean[200];
	str_copy(clean, PQerrorMessage(s->conn), sizeof clean);
	snprintf(msg, sizeof msg, "relay database (PostgreSQL): connection lost (%s); reconnecting",
		 store_pg_one_line(clean));
	fprintf(stderr, "kassa-relay: %s\n", msg);
	if (s->batch)
		pg_finish(s, msg);
	if (!s->resetting && !s->retry_timer)
		s->retry_timer = loop_add_timer(s->loop, 0, on_pg_retry, s);
}

static void on_pg_fd(struct loop *l, int fd, short revents, void *cls)
{
	struct store_pg *s = cls;
	if (s->resetting) {
		PostgresPollingStatusType ps = PQresetPoll(s->conn);
		if (ps == PGRES_POLLING_OK) {
			s->resetting = false;
			s->need_listen = true;
			s->need_prepare = true; /* a new session has none */
			s->own_pid = PQbackendPID(s->conn);
			PQsetnonblocking(s->conn, 1);
			fprintf(stderr, "kassa-relay: relay database (PostgreSQL): reconnected\n");
			/* Notifications sent meanwhile are lost: wake every pull. */
			if (s->base.on_notify)
				s->base.on_notify(NULL, s->base.notify_cls);
		} else if (ps == PGRES_POLLING_FAILED) {
			s->resetting = false;
			loop_unwatch_fd(s->loop, s->fd);
			s->fd = -1;
			s->retry_timer = loop_add_timer(s->loop, 1000, on_pg_retry, s);
			return;
		} else {
			s->events = ps == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		}
		pg_watch(s);
		return;
	}
	if ((revents & POLLOUT) && PQflush(s->conn) < 0) {
		pg_lost(s);
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP)) {
		if (!PQconsumeInput(s->conn)) {
			pg_lost(s);
			return;
		}
		pg_notifications(s);
		/* In a pipeline each statement's result ends with a NULL; the
		 * batch is done with its last sync. */
		int nulls = 0;
		while (s->batch && !PQisBusy(s->conn)) {
			PGresult *r = PQgetResult(s->conn);
			if (!r) {
				if (++nulls > 1)
					break; /* nothing more has arrived */
				continue;
			}
			nulls = 0;
			store_pg_batch_take(s, r);
			PQclear(r);
			if (s->synced == s->syncs)
				pg_finish(s, NULL);
		}
		pg_notifications(s);
	}
	pg_watch(s);
}

static void pg_watch(struct store_pg *s)
{
	int fd = PQsocket(s->conn);
	if (fd != s->fd && s->fd >= 0)
		loop_unwatch_fd(s->loop, s->fd);
	s->fd = fd;
	if (fd < 0)
		return;
	short ev = s->resetting ? s->events : POLLIN;
	if (!s->resetting && PQisnonblocking(s->conn) && s->batch && PQflush(s->conn) == 1)
		ev |= POLLOUT;
	loop_watch_fd(s->loop, fd, ev, on_pg_fd, s);
}

static void on_pg_retry(struct loop *l, void *cls)
{
	struct store_pg *s = cls;
	s->retry_timer = 0;
	if (s->fd >= 0) {
		loop_unwatch_fd(s->loop, s->fd);
		s->fd = -1;
	}
	if (!PQresetStart(s->conn)) {
		s->retry_timer = loop_add_timer(l, 1000, on_pg_retry, s);
		return;
	}
	s->resetting = true;
	s->events = POLLOUT;
	pg_watch(s);
}

static void pg_flush(struct store *base, struct store_batch *b)
{
	struct store_pg *s = (struct store_pg *)base;
	b->ok = false;
	b->error[0] = '\0';
	if (s->resetting || s->retry_timer || PQstatus(s->conn) != CONNECTION_OK) {
		str_copy(b->error, "relay database (PostgreSQL): not connected; reconnecting",
			 sizeof b->error);
		b->done(b, b->cls);
		return;
	}
	s->batch = b;
	s->got = 0;
	s->synced = 0;
	s->failed = false;
	if (!PQenterPipelineMode(s->conn) || !store_pg_batch_send(s, b)) {
		pg_lost(s);
		return;
	}
	pg_watch(s);
}

static void pg_close(struct store *base)
{
	struct store_pg *s = (struct store_pg *)base;
	if (!s)
		return;
	if (s->loop && s->fd >= 0)
		loop_unwatch_fd(s->loop, s->fd);
	if (s->retry_timer)
		loop_cancel_timer(s->loop, s->retry_timer);
	PQfinish(s->conn);
	free(s->expect);
	free(s);
}

static const struct store_ops pg_ops = {
    .name = "postgresql",
    .add_tills = pg_add_tills,
    .flush = pg_flush,
    .till_status = pg_till_status,
    .close = pg_close,
};

struct store *store_pg_open(const char *conninfo, struct loop *l, struct kerr *err)
{
	struct store_pg *s = xcalloc(1, sizeof *s);
	s->base.ops = &pg_ops;
	s->loop = l;
	s->fd = -1;
	s->conn = PQconnectdb(conninfo);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char desc[256];
		store_describe(conninfo, desc, sizeof desc);
		char clean[240];
		str_copy(clean, PQerrorMessage(s->conn), sizeof clean);
		kerr_set(err, K_DB, "--db",
			 _("cannot connect to %s: %s; check the server, the user and the database"),
			 desc, store_pg_one_line(clean));
		pg_close(&s->base);
		return NULL;
	}
	if (pg_exec(s, "SET client_min_messages = warning", err) != K_OK ||
	    pg_migrate(s, err) != K_OK || (l && store_pg_batch_prepare(s, err) != K_OK)) {
		pg_close(&s->base);
		return NULL;
	}
	if (l) {
		if (pg_exec(s, "LISTEN " PG_CHANNEL, err) != K_OK) {
			pg_close(&s->base);
			return NULL;
		}
		s->own_pid = PQbackendPID(s->conn);
		PQsetnonblocking(s->conn, 1);
		pg_watch(s);
	}
	return &s->base;
}

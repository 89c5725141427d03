/*
 * The PostgreSQL store, for a chain: several relay processes on one database
 * serve the same tills. libpq's asynchronous API on the one loop: a batch is
 * one multi-statement query (PQsendQuery: one implicit transaction, committed
 * when the server reports ready), results are read with PQconsumeInput as the
 * socket becomes readable, and LISTEN/NOTIFY (PQnotifies) wakes the pulls
 * waiting on this process when another process committed callbacks.
 *
 * Each till row carries its own sequence; an append takes the row lock
 * (UPDATE ... RETURNING seq) until commit, so a till's offsets commit in
 * order and a pull can never skip an offset still being committed elsewhere.
 * Every batch first locks the rows of all tills it touches in name order, so
 * two processes never deadlock. Names and suffixes are checked characters;
 * content types go through PQescapeLiteral and bodies as hex.
 */
#include "store.h"

#include <poll.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "i18n.h"
#include "util.h"

#define PG_CHANNEL "kassa_relay"

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

enum pg_res { R_SKIP, R_APPEND, R_FETCH };

struct pg_expect {
	enum pg_res kind;
	int seg; /* 0: the batch's transaction, 1: the prune's */
};

struct store_pg {
	struct store base;
	PGconn *conn;
	struct loop *loop;
	int fd;
	short events;
	bool resetting, need_listen, need_prepare;
	uint64_t retry_timer;
	struct store_batch *batch; /* in flight */
	struct pg_expect *expect;
	size_t n_expect, cap_expect, got;
	int syncs, synced; /* pipeline syncs sent and received for the batch */
	bool failed;
	int own_pid;
};

static void pg_watch(struct store_pg *s);

/* ---- a growable query text ---- */

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap : 4096;
		while (b->n + n + 1 > b->cap)
			b->cap *= 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

__attribute__((format(printf, 2, 3))) static void buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[512];
	int w = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	if ((size_t)w < sizeof small) {
		buf_add(b, small, (size_t)w);
		return;
	}
	char *big = xmalloc((size_t)w + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)w + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)w);
	free(big);
}

static void buf_hex(struct buf *b, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char chunk[512];
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		chunk[o++] = hex[(unsigned char)data[i] >> 4];
		chunk[o++] = hex[(unsigned char)data[i] & 15];
		if (o == sizeof chunk) {
			buf_add(b, chunk, o);
			o = 0;
		}
	}
	buf_add(b, chunk, o);
}

/* libpq's messages span lines; ours are one line each. */
static char *one_line(char *msg)
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

static kstatus pg_fail(struct store_pg *s, const char *what, const PGresult *r, struct kerr *err)
{
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn);
	char clean[240];
	str_copy(clean, msg && *msg ? msg : "error", sizeof clean);
	one_line(clean);
	return kerr_set(err, K_DB, "db", _("relay database (PostgreSQL): %s: %s"), what, clean);
}

static kstatus pg_exec(struct store_pg *s, const char *sql, struct kerr *err)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	kstatus ret = K_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = pg_fail(s, "setting up", r, err);
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
			st = pg_fail(s, "reading the schema version", NULL, err);
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
	struct buf b = {0};
	buf_fmt(&b, "INSERT INTO relay_tills(name) VALUES ");
	for (size_t i = 0; i < n; i++)
		buf_fmt(&b, "%s('%s')", i ? "," : "", names[i]); /* checked names */
	buf_fmt(&b, " ON CONFLICT DO NOTHING");
	PQsetnonblocking(s->conn, 0);
	kstatus st = pg_exec(s, b.p, err);
	if (s->loop)
		PQsetnonblocking(s->conn, 1);
	free(b.p);
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
		st = pg_fail(s, "reading till status", r, err);
	} else if (PQntuples(r) == 1) {
		out->last = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		out->acked = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		out->last_pull_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		out->last_callback_ms = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	}
	PQclear(r);
	return st;
}

/* ---- batches: prepared statements, sent in one pipeline ---- */

/*
 * Each statement is parsed and planned once per connection (PQprepare) and
 * takes a whole batch as arrays, so a batch costs the server no parsing or
 * planning whatever its size. Statements of a batch travel in one pipeline
 * (PQpipelineSync): one implicit transaction, committed at the sync, with no
 * round trip between them.
 */
enum pg_stmt { S_NEW_TILLS, S_LOCK, S_APPEND, S_ACK, S_FETCH, S_NOTIFY, S_MARK, S_PRUNE, S_COUNT };

static const struct {
	const char *name, *sql;
	int nparams;
} pg_stmts[S_COUNT] = {
    [S_NEW_TILLS] =
	{"kr_new_tills",
	 "INSERT INTO relay_tills(name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", 1},
    /* The rows of every till the batch touches, locked in name order (the
     * caller sorts), so two processes never deadlock. */
    [S_LOCK] = {"kr_lock",
		"SELECT 1 FROM relay_tills WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE",
		1},
    /* Each till's sequence moves by its count, its new rows are numbered in
     * the batch's order. */
    [S_APPEND] = {"kr_append",
		  "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
		  " $4::bytea[]) WITH ORDINALITY AS i(till, suffix, ctype, body, ord)),"
		  " counts AS (SELECT till, count(*) AS n FROM input GROUP BY till),"
		  " upd AS (UPDATE relay_tills t SET seq = t.seq + c.n, last_callback_ms = $5"
		  " FROM counts c WHERE t.name = c.till RETURNING t.name, t.seq - c.n AS base),"
		  " numbered AS (SELECT i.ord, i.till, u.base + row_number() OVER (PARTITION BY"
		  " i.till ORDER BY i.ord) AS seq, i.suffix, i.ctype, i.body FROM input i JOIN"
		  " upd u ON u.name = i.till),"
		  " ins AS (INSERT INTO relay_callbacks(till, seq, received_ms, suffix,"
		  " content_type, body) SELECT till, seq, $5, suffix, ctype, body FROM numbered)"
		  " SELECT ord - 1, seq FROM numbered ORDER BY ord",
		  5},
    /* A pull's offset acknowledges everything before it: one write of the
     * till's row, none of the callbacks' (retention goes by offset). */
    [S_ACK] = {"kr_ack",
	       "WITH w AS (SELECT till, max(off) AS off FROM unnest($1::text[], $2::bigint[])"
	       " AS v(till, off) GROUP BY till)"
	       " UPDATE relay_tills t SET acked = GREATEST(t.acked, LEAST(w.off - 1, t.seq)),"
	       " last_pull_ms = $3 FROM w WHERE t.name = w.till",
	       3},
    [S_FETCH] = {"kr_fetch",
		 "SELECT w.ord - 1, t.seq, c.seq, c.received_ms, c.suffix, c.content_type,"
		 " c.body FROM unnest($1::text[], $2::bigint[], $3::int[]) WITH ORDINALITY AS"
		 " w(till, off, lim, ord) JOIN relay_tills t ON t.name = w.till LEFT JOIN LATERAL"
		 " (SELECT * FROM relay_callbacks WHERE till = t.name AND seq >="
		 " GREATEST(w.off, t.acked + 1) ORDER BY seq LIMIT w.lim) c ON true"
		 " ORDER BY w.ord, c.seq",
		 3},
    /* Delivered on commit; the payload names the tills ("*": too many). */
    [S_NOTIFY] = {"kr_notify", "SELECT pg_notify('" PG_CHANNEL "', $1)", 1},
    /*
     * Retention without a write per acknowledged callback: now and then
     * ($2: the till's newest mark is older than that) a till's acknowledged
     * offset is recorded with the time ($1); callbacks up to the newest mark
     * older than the retention period are removed. The pg_try_advisory_xact_lock
     * lets one relay process prune at a time (the others skip this round).
     */
    [S_MARK] = {"kr_mark",
		"INSERT INTO relay_ack_marks(till, acked, at_ms) SELECT t.name, t.acked, $1"
		" FROM relay_tills t LEFT JOIN LATERAL (SELECT m.acked, m.at_ms FROM"
		" relay_ack_marks m WHERE m.till = t.name ORDER BY m.acked DESC LIMIT 1) m ON true"
		" WHERE t.acked > COALESCE(m.acked, 0) AND COALESCE(m.at_ms, 0) < $2"
		" AND pg_try_advisory_xact_lock(4242170014) ON CONFLICT DO NOTHING",
		2},
    [S_PRUNE] = {"kr_prune",
		 "WITH cut AS (SELECT till, max(acked) AS upto FROM relay_ack_marks WHERE"
		 " at_ms < $1 AND pg_try_advisory_xact_lock(4242170014) GROUP BY till),"
		 " gone AS (DELETE FROM relay_callbacks c USING cut WHERE c.till = cut.till"
		 " AND c.seq <= cut.upto)"
		 " DELETE FROM relay_ack_marks m USING cut WHERE m.till = cut.till AND"
		 " m.acked < cut.upto",
		 1},
};

/* Prepares every statement (blocking: at connection). */
static kstatus pg_prepare_all(struct store_pg *s, struct kerr *err)
{
	for (int i = 0; i < S_COUNT; i++) {
		PGresult *r = PQprepare(s->conn, pg_stmts[i].name, pg_stmts[i].sql,
					pg_stmts[i].nparams, NULL);
		kstatus st = K_OK;
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			st = pg_fail(s, "preparing statements", r, err);
		PQclear(r);
		if (st != K_OK)
			return st;
	}
	return K_OK;
}

/* ---- array parameters in text form: {"a","b"} ---- */

struct arr {
	struct buf b;
	bool any;
};

static void arr_sep(struct arr *a)
{
	buf_add(&a->b, a->any ? "," : "{", 1);
	a->any = true;
}

static void arr_str(struct arr *a, const char *v)
{
	arr_sep(a);
	buf_add(&a->b, "\"", 1);
	for (const char *p = v; *p; p++) {
		const char *run = p;
		while (*p && *p != '"' && *p != '\\')
			p++;
		buf_add(&a->b, run, (size_t)(p - run));
		if (!*p)
			break;
		buf_add(&a->b, "\\", 1);
		buf_add(&a->b, p, 1);
	}
	buf_add(&a->b, "\"", 1);
}

static void arr_bytes(struct arr *a, const char *data, size_t len)
{
	arr_sep(a);
	buf_add(&a->b, "\"\\\\x", 4); /* the element \x…: bytea's hex input */
	buf_hex(&a->b, data, len);
	buf_add(&a->b, "\"", 1);
}

static void arr_int(struct arr *a, long long v)
{
	arr_sep(a);
	buf_fmt(&a->b, "%lld", v);
}

static const char *arr_text(struct arr *a)
{
	if (!a->any)
		buf_add(&a->b, "{", 1);
	buf_add(&a->b, "}", 1);
	return a->b.p;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void expect_add(struct store_pg *s, enum pg_res kind, int seg)
{
	if (s->n_expect == s->cap_expect) {
		s->cap_expect = s->cap_expect ? 2 * s->cap_expect : 16;
		s->expect = xrealloc(s->expect, s->cap_expect * sizeof *s->expect);
	}
	s->expect[s->n_expect++] = (struct pg_expect){kind, seg};
}

/* Queues one prepared statement; its params are arrays and numbers. */
static bool pg_send(struct store_pg *s, enum pg_stmt st, const char *const *params,
		    enum pg_res kind, int seg)
{
	if (!PQsendQueryPrepared(s->conn, pg_stmts[st].name, pg_stmts[st].nparams, params, NULL,
				 NULL, 0))
		return false;
	expect_add(s, kind, seg);
	return true;
}

static bool pg_send_ack_fetch(struct store_pg *s, struct store_batch *b, const char *now)
{
	bool ok = true;
	struct arr till = {0}, off = {0}, lim = {0};
	for (size_t i = 0; i < b->n_fetches; i++)
		if (b->fetches[i].ack) {
			arr_str(&till, b->fetches[i].till);
			arr_int(&off, b->fetches[i].offset);
		}
	if (till.any) {
		const char *p[3] = {arr_text(&till), arr_text(&off), now};
		ok = pg_send(s, S_ACK, p, R_SKIP, 0);
	}
	free(till.b.p);
	free(off.b.p);
	till = (struct arr){0};
	off = (struct arr){0};
	for (size_t i = 0; i < b->n_fetches; i++) {
		arr_str(&till, b->fetches[i].till);
		arr_int(&off, b->fetches[i].offset);
		arr_int(&lim, b->fetches[i].limit);
	}
	if (ok && b->n_fetches) {
		const char *p[3] = {arr_text(&till), arr_text(&off), arr_text(&lim)};
		ok = pg_send(s, S_FETCH, p, R_FETCH, 0);
	}
	free(till.b.p);
	free(off.b.p);
	free(lim.b.p);
	return ok;
}

static bool pg_send_appends(struct store_pg *s, struct store_batch *b, const char *now)
{
	struct arr till = {0}, suffix = {0}, ctype = {0}, body = {0};
	for (size_t i = 0; i < b->n_appends; i++) {
		const struct store_append *a = &b->appends[i];
		arr_str(&till, a->till);
		arr_str(&suffix, a->suffix);
		arr_str(&ctype, a->content_type);
		arr_bytes(&body, a->body, a->len);
	}
	const char *p[5] = {arr_text(&till), arr_text(&suffix), arr_text(&ctype), arr_text(&body),
			    now};
	bool ok = pg_send(s, S_APPEND, p, R_APPEND, 0);
	free(till.b.p);
	free(suffix.b.p);
	free(ctype.b.p);
	free(body.b.p);
	return ok;
}

/* The statements of b, in order; false when libpq refused to queue one. */
static bool pg_send_batch(struct store_pg *s, struct store_batch *b)
{
	char now[32];
	snprintf(now, sizeof now, "%lld", b->now_ms);
	s->n_expect = 0;
	bool ok = true;
	if (s->need_listen) {
		ok = PQsendQueryParams(s->conn, "LISTEN " PG_CHANNEL, 0, NULL, NULL, NULL, NULL, 0);
		expect_add(s, R_SKIP, 0);
	}
	for (int i = 0; ok && s->need_prepare && i < S_COUNT; i++) {
		ok = PQsendPrepare(s->conn, pg_stmts[i].name, pg_stmts[i].sql, pg_stmts[i].nparams,
				   NULL);
		expect_add(s, R_SKIP, 0);
	}
	if (ok && b->n_new_tills) {
		struct arr names = {0};
		for (size_t i = 0; i < b->n_new_tills; i++)
			arr_str(&names, b->new_tills[i]);
		const char *p[1] = {arr_text(&names)};
		ok = pg_send(s, S_NEW_TILLS, p, R_SKIP, 0);
		free(names.b.p);
	}
	size_t nt = b->n_appends + b->n_fetches;
	const char **tills = xcalloc(nt ? nt : 1, sizeof *tills);
	size_t k = 0;
	for (size_t i = 0; i < b->n_appends; i++)
		tills[k++] = b->appends[i].till;
	for (size_t i = 0; i < b->n_fetches; i++)
		if (b->fetches[i].ack)
			tills[k++] = b->fetches[i].till;
	qsort(tills, k, sizeof *tills, cmp_names);
	if (ok && k) {
		struct arr names = {0};
		for (size_t i = 0; i < k; i++)
			if (i == 0 || strcmp(tills[i], tills[i - 1]) != 0)
				arr_str(&names, tills[i]);
		const char *p[1] = {arr_text(&names)};
		ok = pg_send(s, S_LOCK, p, R_SKIP, 0);
		free(names.b.p);
	}
	free(tills);
	if (ok && b->n_appends)
		ok = pg_send_appends(s, b, now);
	if (ok)
		ok = pg_send_ack_fetch(s, b, now);
	if (ok && b->n_appends) {
		struct buf names = {0};
		for (size_t i = 0; i < b->n_appends; i++)
			if (i == 0 || strcmp(b->appends[i].till, b->appends[i - 1].till) != 0)
				buf_fmt(&names, "%s%s", names.n ? "," : "", b->appends[i].till);
		const char *p[1] = {names.n < 7000 ? names.p : "*"};
		ok = pg_send(s, S_NOTIFY, p, R_SKIP, 0);
		free(names.p);
	}
	if (ok)
		ok = PQpipelineSync(s->conn);
	s->syncs = 1;
	if (ok && b->prune_before_ms > 0) {
		/* Its own transaction after the batch's: a prune that fails or
		 * finds another process pruning costs the batch nothing. */
		long long retention = b->now_ms - b->prune_before_ms;
		long long every = retention / 100 > 60000 ? retention / 100 : 60000;
		char cut[32], mark_before[32];
		snprintf(cut, sizeof cut, "%lld", b->prune_before_ms);
		snprintf(mark_before, sizeof mark_before, "%lld", b->now_ms - every);
		const char *pm[2] = {now, mark_before};
		const char *pp[1] = {cut};
		ok = pg_send(s, S_MARK, pm, R_SKIP, 1) && pg_send(s, S_PRUNE, pp, R_SKIP, 1) &&
		     PQpipelineSync(s->conn);
		s->syncs = 2;
	}
	return ok;
}

static char *pg_unhex(const char *v, size_t *len)
{
	/* bytea in text output: \x then hex digits. */
	size_t n = strlen(v);
	if (n < 2 || v[0] != '\\' || v[1] != 'x')
		n = 2;
	size_t out_n = (n - 2) / 2;
	char *out = xmalloc(out_n + 1);
	for (size_t i = 0; i < out_n; i++) {
		unsigned hi = (unsigned)v[2 + 2 * i], lo = (unsigned)v[3 + 2 * i];
		hi = hi <= '9' ? hi - '0' : (hi | 0x20) - 'a' + 10;
		lo = lo <= '9' ? lo - '0' : (lo | 0x20) - 'a' + 10;
		out[i] = (char)(hi << 4 | lo);
	}
	out[out_n] = '\0';
	*len = out_n;
	return out;
}

/* Rows of the fetch statement: (ord, last, seq, received, suffix, type, body),
 * ordered by ord then seq; seq is NULL for a till with nothing to deliver. */
static void pg_take_fetches(struct store_batch *b, PGresult *r)
{
	int rows = PQntuples(r);
	size_t cap = 0, at = SIZE_MAX;
	for (int i = 0; i < rows; i++) {
		size_t ord = strtoul(PQgetvalue(r, i, 0), NULL, 10);
		if (ord >= b->n_fetches)
			continue;
		struct store_fetch *f = &b->fetches[ord];
		if (ord != at) {
			at = ord;
			cap = 0;
		}
		f->last = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		if (PQgetisnull(r, i, 2))
			continue;
		if (f->n == cap) {
			cap = cap ? 2 * cap : 4;
			f->updates = xrealloc(f->updates, cap * sizeof *f->updates);
		}
		struct relay_update *u = &f->updates[f->n++];
		memset(u, 0, sizeof *u);
		u->offset = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		u->received_ms = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		str_copy(u->suffix, PQgetvalue(r, i, 4), sizeof u->suffix);
		u->content_type = xstrdup(PQgetvalue(r, i, 5));
		u->body = pg_unhex(PQgetvalue(r, i, 6), &u->len);
	}
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

static void pg_take_result(struct store_pg *s, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_PIPELINE_SYNC) {
		s->synced++;
		return;
	}
	if (s->got >= s->n_expect)
		return;
	struct pg_expect *e = &s->expect[s->got++];
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char clean[200];
		str_copy(clean, PQresultErrorMessage(r), sizeof clean);
		if (e->seg == 1) {
			/* The prune's own transaction: the batch stands. */
			if (st != PGRES_PIPELINE_ABORTED)
				fprintf(stderr,
					"kassa-relay: relay database (PostgreSQL): pruning: %s\n",
					one_line(clean));
		} else if (!s->failed) {
			s->failed = true;
			snprintf(s->batch->error, sizeof s->batch->error,
				 "relay database (PostgreSQL): %s",
				 st == PGRES_PIPELINE_ABORTED ? "the batch was aborted"
							      : one_line(clean));
		}
		return;
	}
	if (e->kind == R_APPEND) {
		struct store_batch *b = s->batch;
		/* One row per append; fewer means a till without its row, which
		 * add_tills rules out. */
		if ((size_t)PQntuples(r) != b->n_appends)
			s->failed = true;
		for (int i = 0; i < PQntuples(r); i++) {
			size_t ord = strtoul(PQgetvalue(r, i, 0), NULL, 10);
			if (ord < b->n_appends)
				b->appends[ord].offset = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		}
	} else if (e->kind == R_FETCH) {
		pg_take_fetches(s->batch, r);
	}
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
		 one_line(clean));
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
			pg_take_result(s, r);
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
	if (!PQenterPipelineMode(s->conn) || !pg_send_batch(s, b)) {
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
			 desc, one_line(clean));
		pg_close(&s->base);
		return NULL;
	}
	if (pg_exec(s, "SET client_min_messages = warning", err) != K_OK ||
	    pg_migrate(s, err) != K_OK || (l && pg_prepare_all(s, err) != K_OK)) {
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

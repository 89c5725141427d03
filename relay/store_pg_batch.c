/*
 * The PostgreSQL store's batches. Each statement is parsed and planned once
 * per connection (PQprepare) and takes a whole batch as array parameters, so
 * a batch costs the server no parsing or planning whatever its size. The
 * statements of a batch go in one pipeline (PQenterPipelineMode, then
 * PQpipelineSync): one implicit transaction, committed at the sync, with no
 * round trip between statements.
 *
 * Each till row carries its own sequence; an append takes the row lock until
 * commit, so a till's offsets commit in order and a pull can never skip an
 * offset still being committed elsewhere. Every batch first locks the rows
 * of all tills it touches in name order, so two processes never deadlock.
 */
#include "store_pg.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
kstatus store_pg_batch_prepare(struct store_pg *s, struct kerr *err)
{
	for (int i = 0; i < S_COUNT; i++) {
		PGresult *r = PQprepare(s->conn, pg_stmts[i].name, pg_stmts[i].sql,
					pg_stmts[i].nparams, NULL);
		kstatus st = K_OK;
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			st = store_pg_fail(s, "preparing statements", r, err);
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
bool store_pg_batch_send(struct store_pg *s, struct store_batch *b)
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

void store_pg_batch_take(struct store_pg *s, PGresult *r)
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
					store_pg_one_line(clean));
		} else if (!s->failed) {
			s->failed = true;
			snprintf(s->batch->error, sizeof s->batch->error,
				 "relay database (PostgreSQL): %s",
				 st == PGRES_PIPELINE_ABORTED ? "the batch was aborted"
							      : store_pg_one_line(clean));
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

char *store_pg_batch_names(const char *const *names, size_t n)
{
	struct arr a = {0};
	for (size_t i = 0; i < n; i++)
		arr_str(&a, names[i]);
	arr_text(&a);
	return a.b.p;
}

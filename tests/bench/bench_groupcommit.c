/*
 * Prototype for the group commit proposed in docs/PERFORMANCE.md: how much
 * of the journal's write cost is the one fsync per transaction, measured on
 * the journal's real schema (journal_open creates it) with WAL and
 * synchronous=FULL, writing exactly the rows the journal writes.
 *
 *   bench_groupcommit [--docs 20000]
 *
 * callback: what journal_apply_callback() does for one callback (look the
 *           uuid up, store the raw callback, move the document, add a history
 *           row) - one transaction each (today), or k callbacks that arrived
 *           in the same loop iteration in one transaction, each answered 200
 *           only after that COMMIT (the proposal: still "committed before 200").
 * send:     what one delivered receipt costs the sender today: three
 *           transactions (journal_mark_sending, journal_record_attempt,
 *           journal_apply_reply_ok), against two (the attempt recorded inside
 *           the reply's transaction) and against the marks of k due documents
 *           in one transaction plus k replies of one loop iteration in one.
 * Nothing here is used by kassa; it only measures.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "journal.h"
#include "util.h"

static sqlite3 *db;

static void ok(int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		bench_die(what, sqlite3_errmsg(db));
}

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *s = NULL;
	ok(sqlite3_prepare_v2(db, sql, -1, &s, NULL), sql);
	return s;
}

static void run(sqlite3_stmt *s)
{
	ok(sqlite3_step(s), sqlite3_sql(s));
	sqlite3_reset(s);
}

static sqlite3_stmt *st_begin, *st_commit, *st_find, *st_raw, *st_move, *st_hist, *st_attempt;

static void uuid_of(long i, char *buf, size_t n)
{
	snprintf(buf, n, "6c0c0000-0000-4000-8000-%012ld", i);
}

/* The rows of one callback for document i. */
static void one_callback(long i, int64_t now)
{
	char uuid[64];
	uuid_of(i, uuid, sizeof uuid);
	sqlite3_bind_text(st_find, 1, uuid, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st_find);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st_find, 0) : 0;
	sqlite3_reset(st_find);
	if (!id)
		bench_die("callback", "unknown uuid");
	static const char body[] =
	    "data=%7B%22uuid%22%3A%226c0c0000-0000-4000-8000-000000000001%22%2C%22status%22%3A"
	    "%22processed%22%2C%22ofd_url%22%3A%22https%3A%2F%2Fofd.example%2Fr%3Fi%3D1%22%7D";
	sqlite3_bind_int64(st_raw, 1, now);
	sqlite3_bind_int64(st_raw, 2, id);
	sqlite3_bind_text(st_raw, 3, uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st_raw, 4, body, (int)sizeof body - 1, SQLITE_STATIC);
	run(st_raw);
	sqlite3_bind_int64(st_move, 1, now);
	sqlite3_bind_int64(st_move, 2, id);
	run(st_move);
	sqlite3_bind_int64(st_hist, 1, id);
	sqlite3_bind_int64(st_hist, 2, now);
	sqlite3_bind_text(st_hist, 3, "accepted", -1, SQLITE_STATIC);
	sqlite3_bind_text(st_hist, 4, "processed", -1, SQLITE_STATIC);
	sqlite3_bind_text(st_hist, 5, "callback", -1, SQLITE_STATIC);
	run(st_hist);
}

/* One history row + state change: the shape of mark_sending / apply_reply_ok. */
static void one_move(long id, const char *from, const char *to, int64_t now)
{
	sqlite3_bind_int64(st_move, 1, now);
	sqlite3_bind_int64(st_move, 2, id);
	run(st_move);
	sqlite3_bind_int64(st_hist, 1, id);
	sqlite3_bind_int64(st_hist, 2, now);
	sqlite3_bind_text(st_hist, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_hist, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_hist, 5, "reply", -1, SQLITE_STATIC);
	run(st_hist);
}

static void one_attempt(long id, int64_t now)
{
	sqlite3_bind_int64(st_attempt, 1, id);
	sqlite3_bind_int64(st_attempt, 2, now);
	run(st_attempt);
}

int main(int argc, char **argv)
{
	bench_set_name("bench_groupcommit");
	long docs = 20000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--docs") == 0 && i + 1 < argc)
			docs = bench_arg_long(argv[++i], "--docs");
		else
			bench_die("usage", "bench_groupcommit [--docs N]");
	}
	if (docs < 1000)
		bench_die("--docs", "at least 1000");
	char dir[256], path[300];
	bench_tmpdir("groupcommit", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("journal", e.text);
	journal_set_sync(j, false, NULL);
	for (long i = 0; i < docs; i++) {
		char ext[64], uuid[64];
		snprintf(ext, sizeof ext, "gc-%ld", i);
		uuid_of(i, uuid, sizeof uuid);
		struct journal_new_doc d = {.profile = "p",
					    .provider = KPROVIDER_LIFEPAY,
					    .kind = "receipt",
					    .type = "payment",
					    .ext_id = ext,
					    .body = "{}",
					    .total = 100,
					    .card = 100};
		int64_t id;
		if (journal_enqueue(j, &d, &id, &e) != K_OK ||
		    journal_mark_sending(j, id, &e) != K_OK ||
		    journal_apply_reply_ok(j, id, uuid, NULL, &e) != K_OK)
			bench_die("populate", e.text);
	}
	journal_close(j);

	ok(sqlite3_open(path, &db), path);
	ok(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL),
	   "pragmas");
	st_begin = prep("BEGIN IMMEDIATE");
	st_commit = prep("COMMIT");
	st_find = prep("SELECT id, state FROM documents WHERE uuid = ?1 ORDER BY id LIMIT 1");
	st_raw = prep("INSERT INTO raw_callbacks(at, doc_id, uuid, content_type, body, applied, "
		      "state, source) VALUES (?1, ?2, ?3, 'application/x-www-form-urlencoded', ?4, "
		      "1, 'processed', 'callback')");
	st_move = prep("UPDATE documents SET updated_at = ?1 WHERE id = ?2");
	st_hist = prep("INSERT INTO status_history(doc_id, at, from_state, to_state, source, "
		       "detail) VALUES (?1, ?2, ?3, ?4, ?5, '')");
	st_attempt = prep("INSERT INTO attempts(doc_id, at, http_status, provider_code, error) "
			  "VALUES (?1, ?2, 200, 0, '')");

	printf("bench_groupcommit: journal schema v%d, WAL, synchronous=FULL, %ld documents\n",
	       journal_schema_latest(), docs);
	static const int batches[] = {1, 4, 8, 16, 64};
	long per = docs / 5;
	long next = 0;
	double base = 0;
	for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
		int k = batches[b];
		int64_t t0 = bench_mono_us();
		for (long n = 0; n < per; n += k) {
			run(st_begin);
			for (int i = 0; i < k && n + i < per; i++)
				one_callback(next + n + i, now_ms());
			run(st_commit);
		}
		next += per;
		double s = (double)(bench_mono_us() - t0) / 1e6;
		double rate = (double)per / s;
		if (k == 1)
			base = rate;
		printf("  callbacks, %2d per transaction: %6.0f/s (%.1fx)\n", k, rate, rate / base);
	}
	/* the sender: per receipt 3 transactions, 2, or batched marks + batched replies */
	static const struct {
		const char *what;
		int mode;
		int k;
	} sends[] = {{"send today: 3 transactions per receipt", 0, 1},
		     {"attempt inside the reply's transaction: 2", 1, 1},
		     {"marks of 8 due in one, 8 replies in one", 2, 8}};
	long nsend = docs / 4;
	for (size_t s = 0; s < sizeof sends / sizeof sends[0]; s++) {
		int64_t t0 = bench_mono_us();
		for (long n = 0; n < nsend; n += sends[s].k) {
			int k = sends[s].k;
			if (sends[s].mode == 2) {
				run(st_begin);
				for (int i = 0; i < k; i++)
					one_move(1 + n + i, "queued", "sending", now_ms());
				run(st_commit);
				run(st_begin);
				for (int i = 0; i < k; i++) {
					one_attempt(1 + n + i, now_ms());
					one_move(1 + n + i, "sending", "accepted", now_ms());
				}
				run(st_commit);
				continue;
			}
			run(st_begin);
			one_move(1 + n, "queued", "sending", now_ms());
			run(st_commit);
			if (sends[s].mode == 0) {
				run(st_begin);
				one_attempt(1 + n, now_ms());
				run(st_commit);
				run(st_begin);
			} else {
				run(st_begin);
				one_attempt(1 + n, now_ms());
			}
			one_move(1 + n, "sending", "accepted", now_ms());
			run(st_commit);
		}
		double secs = (double)(bench_mono_us() - t0) / 1e6;
		printf("  %-44s %6.0f receipts/s of journal work\n", sends[s].what,
		       (double)nsend / secs);
	}
	printf("  command: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	sqlite3_stmt *all[] = {st_begin, st_commit, st_find, st_raw, st_move, st_hist, st_attempt};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		sqlite3_finalize(all[i]);
	sqlite3_close(db);
	bench_rmtree(dir);
	return 0;
}

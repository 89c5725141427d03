/* Tests for lib/journal*.c: schema, enqueue, outbox, replies, refunds, words, the sender lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "journal.h"
#include "journal_fixture.h"
#include "util.h"

static void journal_open__fresh_db__is_wal_at_latest_schema(void **state)
{
	struct fixture *fx = *state;
	assert_true(journal_schema_latest() >= 2);
	assert_int_equal(journal_schema_version(fx->j), journal_schema_latest());
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM schema_version"),
			 journal_schema_latest());
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(journal_set_sync(fx->j, false, NULL), K_OK);
	assert_int_equal(journal_set_sync(fx->j, true, NULL), K_OK);
	/* opening again migrates nothing */
	fx_reopen(fx);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM schema_version"),
			 journal_schema_latest());
}

static void journal_open__old_schema_with_documents__migrates_and_keeps_them(void **state)
{
	struct fixture *fx = *state;
	fx_wipe(fx);
	struct kerr err = {0};
	assert_int_equal(journal_open_version(fx->path, 1, &fx->j, &err), K_OK);
	journal_set_clock(fx->j, on_clock, fx);
	assert_int_equal(journal_schema_version(fx->j), 1);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
				     "'raw_callbacks'"),
			 0);
	int64_t id = accepted(fx, "old-1", 1000, "uuid-old-1");
	fx_reopen(fx);
	assert_int_equal(journal_schema_version(fx->j), journal_schema_latest());
	struct journal_doc d;
	assert_int_equal(journal_find(fx->j, "old-1", &d, &err), K_OK);
	assert_int_equal(d.id, id);
	assert_int_equal(d.state, JS_ACCEPTED);
	journal_doc_free(&d);
	/* the new table works on the migrated file */
	struct journal_callback cb = {.uuid = "uuid-old-1", .state = JS_PROCESSED};
	assert_int_equal(journal_apply_callback(fx->j, &cb, NULL, &err), K_OK);
	assert_int_equal(state_of(fx, id), JS_PROCESSED);
}

static void journal_open__newer_schema__refused_with_advice(void **state)
{
	struct fixture *fx = *state;
	journal_close(fx->j);
	fx->j = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	struct kerr err = {0};
	struct journal *j = NULL;
	assert_int_equal(journal_open(fx->path, &j, &err), K_DB);
	assert_null(j);
	assert_non_null(strstr(err.text, "99"));
	assert_non_null(strstr(err.text, "newer kassa"));
	/* a folder that does not exist: a clear I/O error */
	assert_int_equal(journal_open("/nonexistent-kassa-dir/j.db", &j, &err), K_IO);
	assert_non_null(strstr(err.text, "/nonexistent-kassa-dir/j.db"));
	fx_wipe(fx);
	fx_open(fx); /* a fresh file for teardown */
}

static void journal_enqueue__committed_before_send__survives_reopen(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("ext-commit", 20730);
	d.cash = 0;
	d.change = 0;
	int64_t id = enqueue(fx, &d);
	/* nothing else happens: the process "dies" here */
	fx_reopen(fx);
	struct journal_doc got;
	struct kerr err = {0};
	assert_int_equal(journal_find(fx->j, "ext-commit", &got, &err), K_OK);
	assert_int_equal(got.id, id);
	assert_int_equal(got.state, JS_QUEUED);
	assert_int_equal(got.total, 20730);
	assert_int_equal(got.card, 20730);
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.next_attempt_at, T0);
	assert_int_equal(got.attempts, 0);
	assert_string_equal(got.profile, "shop");
	assert_string_equal(got.kind, "receipt");
	assert_int_equal(got.provider, KPROVIDER_LIFEPAY);
	assert_string_equal(got.body, d.body);
	journal_doc_free(&got);
	struct hist h = history(fx, id);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.rows[0].from, JS_NONE);
	assert_int_equal(h.rows[0].to, JS_QUEUED);
	assert_int_equal(h.rows[0].source, JSRC_LOCAL);
	assert_int_equal(h.rows[0].at, T0);
}

static void journal_enqueue__same_ext_id__refused_naming_the_first(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("dup-1", 100);
	int64_t id = enqueue(fx, &d);
	struct kerr err = {0};
	int64_t id2 = -1;
	assert_int_equal(journal_enqueue(fx->j, &d, &id2, &err), K_EXISTS);
	assert_int_equal(id2, 0);
	assert_string_equal(err.field, "ext_id");
	char want[32];
	snprintf(want, sizeof want, "#%lld", (long long)id);
	assert_non_null(strstr(err.text, want));
	int64_t n;
	assert_int_equal(journal_count(fx->j, NULL, &n, NULL), K_OK);
	assert_int_equal(n, 1);
}

static void journal_enqueue__bad_input__refused_naming_the_field(void **state)
{
	struct fixture *fx = *state;
	char long_id[EXT_ID_MAX + 2];
	memset(long_id, 'a', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	static const char *const secret_bodies[] = {
	    "{\"login\":\"79990000000\",\"apikey\":\"k-123\"}",
	    "  {\"token\":\"abc\"}",
	    "cart=%5B%5D&token=abc",
	};
	struct {
		struct journal_new_doc d;
		const char *field;
	} cases[] = {
	    {sale("", 100), "ext_id"},	 {sale(long_id, 100), "ext_id"},
	    {sale("ok-1", -1), "total"}, {sale("ok-2", 100), "body"},
	    {sale("ok-3", 100), "body"}, {sale("ok-4", 100), "body"},
	    {sale("ok-5", 100), "body"}, {sale("ok-6", 100), "kind"},
	};
	cases[3].d.body = "";
	cases[4].d.body = secret_bodies[0];
	cases[5].d.body = secret_bodies[1];
	cases[6].d.body = secret_bodies[2];
	cases[7].d.kind = NULL;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kerr err = {0};
		int64_t id;
		assert_int_equal(journal_enqueue(fx->j, &cases[i].d, &id, &err), K_INVALID);
		assert_string_equal(err.field, cases[i].field);
		assert_null(strstr(err.text, "k-123"));
	}
	int64_t n;
	assert_int_equal(journal_count(fx->j, NULL, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	/* an empty apikey, as the wire builder leaves it, is fine */
	struct journal_new_doc ok = sale("ok-7", 100);
	enqueue(fx, &ok);
}

static void retry_delay_ms__follows_schedule__last_repeats(void **state)
{
	(void)state;
	static const struct {
		int attempt;
		int64_t want;
	} defaults[] = {
	    {-1, 60000}, {0, 60000},  {1, 60000},  {2, 180000},
	    {3, 300000}, {4, 600000}, {5, 600000}, {1000, 600000},
	};
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		assert_int_equal(retry_delay_ms(NULL, 0, defaults[i].attempt), defaults[i].want);
	const int64_t fast[] = {1, 2};
	assert_int_equal(retry_delay_ms(fast, 2, 1), 1000);
	assert_int_equal(retry_delay_ms(fast, 2, 2), 2000);
	assert_int_equal(retry_delay_ms(fast, 2, 7), 2000);
}

static void journal_due__by_time__oldest_first(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc a = sale("due-a", 100), b = sale("due-b", 200),
			       c = sale("due-c", 300);
	int64_t ia = enqueue(fx, &a);
	fx->now += 10;
	int64_t ib = enqueue(fx, &b);
	fx->now += 10;
	int64_t ic = enqueue(fx, &c);
	int64_t ids[8];
	size_t n;
	/* before anything is due */
	assert_int_equal(journal_due(fx->j, T0 - 1, ids, 8, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	assert_int_equal(journal_due(fx->j, T0 + 10, ids, 8, &n, NULL), K_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], ia);
	assert_int_equal(ids[1], ib);
	assert_int_equal(journal_due(fx->j, T0 + 100, ids, 2, &n, NULL), K_OK);
	assert_int_equal(n, 2); /* max respected */
	/* a failed send of a goes to the back of the line */
	assert_int_equal(journal_mark_sending(fx->j, ia, NULL), K_OK);
	assert_int_equal(journal_schedule_retry(fx->j, ia, T0 + 60000, JSRC_LOCAL, "timeout", NULL),
			 K_OK);
	assert_int_equal(journal_due(fx->j, T0 + 100, ids, 8, &n, NULL), K_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], ib);
	assert_int_equal(ids[1], ic);
	int64_t when;
	assert_int_equal(journal_next_due(fx->j, &when, NULL), K_OK);
	assert_int_equal(when, T0 + 10);
	int64_t depth;
	assert_int_equal(journal_outbox_depth(fx->j, &depth, NULL), K_OK);
	assert_int_equal(depth, 3);
	/* sending still counts as waiting */
	assert_int_equal(journal_mark_sending(fx->j, ib, NULL), K_OK);
	assert_int_equal(journal_outbox_depth(fx->j, &depth, NULL), K_OK);
	assert_int_equal(depth, 3);
	assert_int_equal(journal_apply_reply_ok(fx->j, ib, "u-b", NULL, NULL), K_OK);
	assert_int_equal(journal_outbox_depth(fx->j, &depth, NULL), K_OK);
	assert_int_equal(depth, 2);
	assert_int_equal(journal_mark_sending(fx->j, ic, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, ic, "u-c", NULL, NULL), K_OK);
	assert_int_equal(journal_next_due(fx->j, &when, NULL), K_OK);
	assert_int_equal(when, T0 + 60000);
	assert_int_equal(journal_due(fx->j, fx->now, ids, 8, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	int64_t moved;
	assert_int_equal(journal_flush(fx->j, &moved, NULL), K_OK); /* kassa outbox --flush */
	assert_int_equal(moved, 1);
	assert_int_equal(journal_due(fx->j, fx->now, ids, 8, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], ia);
	assert_int_equal(journal_flush(fx->j, &moved, NULL), K_OK);
	assert_int_equal(moved, 0);
}

static void journal_retry__keeps_ext_id__records_attempts_and_history(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("retry-1", 500);
	int64_t id = enqueue(fx, &d);
	struct kerr err = {0};
	for (int attempt = 1; attempt <= 3; attempt++) {
		assert_int_equal(journal_mark_sending(fx->j, id, &err), K_OK);
		/* a document in flight is not sent twice */
		assert_int_equal(journal_mark_sending(fx->j, id, &err), K_REFUSED);
		assert_int_equal(journal_record_attempt(fx->j, id, 500, 0, "HTTP 500", NULL), K_OK);
		int64_t at = fx->now + retry_delay_ms(NULL, 0, attempt);
		assert_int_equal(
		    journal_schedule_retry(fx->j, id, at, JSRC_REPLY, "HTTP 500", &err), K_OK);
		int64_t ids[2];
		size_t n;
		assert_int_equal(journal_due(fx->j, at - 1, ids, 2, &n, NULL), K_OK);
		assert_int_equal(n, 0);
		assert_int_equal(journal_due(fx->j, at, ids, 2, &n, NULL), K_OK);
		assert_int_equal(n, 1);
		fx->now = at;
	}
	struct journal_doc got;
	assert_int_equal(journal_get(fx->j, id, &got, NULL), K_OK);
	assert_int_equal(got.attempts, 3);
	assert_string_equal(got.ext_id, "retry-1");
	assert_string_equal(got.last_error_text, "HTTP 500");
	assert_int_equal(got.state, JS_QUEUED);
	journal_doc_free(&got);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM attempts WHERE http_status = 500"), 3);
	assert_int_equal(journal_record_attempt(fx->j, 9999, 0, 0, "x", &err), K_NOTFOUND);
	struct hist h = history(fx, id);
	assert_int_equal(h.n, 7); /* created + 3 x (sending, back to queued) */
	assert_int_equal(h.rows[1].to, JS_SENDING);
	assert_string_equal(h.rows[1].detail, "attempt 1");
	assert_int_equal(h.rows[2].from, JS_SENDING);
	assert_int_equal(h.rows[2].to, JS_QUEUED);
	assert_int_equal(h.rows[2].source, JSRC_REPLY);
	/* a retry of a document the provider already has is refused */
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "u-r", NULL, NULL), K_OK);
	assert_int_equal(journal_schedule_retry(fx->j, id, fx->now, JSRC_LOCAL, "late", &err),
			 K_REFUSED);
	assert_int_equal(state_of(fx, id), JS_ACCEPTED);
}

static void journal_reply__ok_rejected_and_test(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	int64_t ok = accepted(fx, "r-ok", 100, "uuid-ok");
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, ok, &d, NULL), K_OK);
	assert_int_equal(d.state, JS_ACCEPTED);
	assert_string_equal(d.uuid, "uuid-ok");
	journal_doc_free(&d);
	struct hist h = history(fx, ok);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.rows[2].source, JSRC_REPLY);
	assert_int_equal(h.rows[2].from, JS_SENDING);
	assert_int_equal(h.rows[2].to, JS_ACCEPTED);
	/* a repeated reply (replay) with the same uuid changes nothing */
	assert_int_equal(journal_apply_reply_ok(fx->j, ok, "uuid-ok", NULL, &err), K_OK);
	assert_int_equal(history(fx, ok).n, 3);
	/* another uuid for the same document is suspicious and refused */
	assert_int_equal(journal_apply_reply_ok(fx->j, ok, "uuid-other", NULL, &err), K_REFUSED);
	assert_int_equal(journal_find(fx->j, "uuid-other", &d, NULL), K_NOTFOUND);

	struct journal_new_doc r = sale("r-rej", 100);
	int64_t rej = enqueue(fx, &r);
	assert_int_equal(journal_mark_sending(fx->j, rej, NULL), K_OK);
	assert_int_equal(
	    journal_apply_reply_rejected(fx->j, rej, 3896, "сумма безнала больше", &err), K_OK);
	assert_int_equal(journal_get(fx->j, rej, &d, NULL), K_OK);
	assert_int_equal(d.state, JS_REJECTED);
	assert_int_equal(d.last_error_code, 3896);
	assert_string_equal(d.last_error_text, "сумма безнала больше");
	journal_doc_free(&d);
	assert_true(journal_state_final(JS_REJECTED));
	/* never retried */
	assert_int_equal(journal_mark_sending(fx->j, rej, &err), K_REFUSED);
	assert_int_equal(journal_schedule_retry(fx->j, rej, fx->now, JSRC_LOCAL, "x", &err),
			 K_REFUSED);
	h = history(fx, rej);
	assert_string_equal(h.rows[h.n - 1].detail, "3896: сумма безнала больше");

	struct journal_new_doc t = sale("r-test", 100);
	t.test = true;
	int64_t test = enqueue(fx, &t);
	assert_int_equal(journal_mark_sending(fx->j, test, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, test, NULL, NULL, &err), K_OK);
	assert_int_equal(journal_get(fx->j, test, &d, NULL), K_OK);
	assert_int_equal(d.state, JS_VALIDATED);
	assert_true(d.test);
	assert_string_equal(d.uuid, "");
	journal_doc_free(&d);
	assert_string_equal(journal_state_label(JS_VALIDATED), "validated (test)");
	/* a live document without uuid is a provider error */
	struct journal_new_doc nu = sale("r-nouuid", 100);
	int64_t nouuid = enqueue(fx, &nu);
	assert_int_equal(journal_mark_sending(fx->j, nouuid, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, nouuid, "", NULL, &err), K_PROVIDER);
	assert_int_equal(state_of(fx, nouuid), JS_SENDING);
}

static void journal_resume_on_start__sending_goes_back_to_queued(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc a = sale("crash-a", 100), b = sale("crash-b", 100);
	int64_t ia = enqueue(fx, &a);
	int64_t ib = enqueue(fx, &b);
	assert_int_equal(journal_mark_sending(fx->j, ia, NULL), K_OK);
	assert_int_equal(journal_mark_sending(fx->j, ib, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, ib, "uuid-b", NULL, NULL), K_OK);
	/* kill -9 while a is in flight */
	fx_reopen(fx);
	fx->now = T0 + 42;
	int64_t n = -1;
	assert_int_equal(journal_resume_on_start(fx->j, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, ia, &d, NULL), K_OK);
	assert_int_equal(d.state, JS_QUEUED);
	assert_int_equal(d.next_attempt_at, T0 + 42);
	assert_string_equal(d.ext_id, "crash-a");
	journal_doc_free(&d);
	struct hist h = history(fx, ia);
	assert_int_equal(h.rows[h.n - 1].source, JSRC_RESTART);
	assert_int_equal(h.rows[h.n - 1].from, JS_SENDING);
	assert_int_equal(state_of(fx, ib), JS_ACCEPTED);
	int64_t ids[4];
	size_t due;
	assert_int_equal(journal_due(fx->j, fx->now, ids, 4, &due, NULL), K_OK);
	assert_int_equal(due, 1);
	assert_int_equal(ids[0], ia);
	/* a second start finds nothing to resume */
	assert_int_equal(journal_resume_on_start(fx->j, &n, NULL), K_OK);
	assert_int_equal(n, 0);
}

static void journal_open__upgrade_from_v2__sent_at_from_last_send(void **state)
{
	struct fixture *fx = *state;
	fx_wipe(fx);
	struct kerr err = {0};
	assert_int_equal(journal_open_version(fx->path, 2, &fx->j, &err), K_OK);
	journal_set_clock(fx->j, on_clock, fx);
	assert_int_equal(journal_schema_version(fx->j), 2);
	int64_t old = accepted(fx, "v2-old", 100, "u-v2-old");
	int64_t n = -1;
	/* v2: staleness counts from created_at */
	fx->now += 901 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	assert_int_equal(journal_replay(fx->j, old, NULL), K_OK);
	fx->now += 1000;
	int64_t resent_at = fx->now;
	assert_int_equal(journal_mark_sending(fx->j, old, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, old, "u-v2-old", NULL, NULL), K_OK);
	int64_t queued = enqueue(fx, &(struct journal_new_doc){.profile = "shop",
							       .provider = KPROVIDER_LIFEPAY,
							       .kind = "receipt",
							       .ext_id = "v2-queued",
							       .body = "{}"});
	fx_reopen(fx);
	assert_int_equal(journal_schema_version(fx->j), journal_schema_latest());
	assert_true(journal_schema_latest() >= 3);
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT sent_at FROM documents WHERE id = %lld", (long long)old);
	assert_int_equal(sql_int(fx, sql), resent_at);
	snprintf(sql, sizeof sql, "SELECT sent_at - created_at FROM documents WHERE id = %lld",
		 (long long)queued);
	assert_int_equal(sql_int(fx, sql), 0);
	/* the replayed document is not flagged again a minute later */
	fx->now += 60 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	fx->now += 900 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 1);
}

static void journal_mark_sending_many__queued_only__in_one_go(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc a = sale("many-a", 100), b = sale("many-b", 100);
	int64_t ida = enqueue(fx, &a), idb = enqueue(fx, &b);
	int64_t done = accepted(fx, "many-done", 100, "u-many-done");
	int64_t ids[3] = {ida, done, idb};
	bool marked[3] = {true, true, false};
	assert_int_equal(journal_mark_sending_many(fx->j, ids, 3, marked, NULL), K_OK);
	assert_true(marked[0]);
	assert_false(marked[1]);
	assert_true(marked[2]);
	assert_int_equal(state_of(fx, ida), JS_SENDING);
	assert_int_equal(state_of(fx, idb), JS_SENDING);
	assert_int_equal(state_of(fx, done), JS_ACCEPTED);
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, ida, &d, NULL), K_OK);
	journal_doc_free(&d);
	assert_int_equal(d.attempts, 1);
}

static void journal_poll__paykeeper_due_after_first_delay(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc pk = sale("poll-1", 100);
	pk.provider = KPROVIDER_PAYKEEPER;
	pk.body = "cart=%5B%5D&token=";
	int64_t id = enqueue(fx, &pk);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, NULL, "777", NULL), K_OK);
	int64_t ids[4];
	size_t n;
	assert_int_equal(
	    journal_poll_due(fx->j, fx->now + JOURNAL_FIRST_POLL_MS - 1, ids, 4, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	assert_int_equal(journal_poll_due(fx->j, fx->now + JOURNAL_FIRST_POLL_MS, ids, 4, &n, NULL),
			 K_OK);
	assert_int_equal(n, 1);
	assert_int_equal(journal_set_next_attempt(fx->j, id, fx->now + 999999, NULL), K_OK);
	assert_int_equal(journal_poll_due(fx->j, fx->now + JOURNAL_FIRST_POLL_MS, ids, 4, &n, NULL),
			 K_OK);
	assert_int_equal(n, 0);
	assert_int_equal(journal_transition(fx->j, id, JS_PROCESSED, JSRC_POLL, "success", NULL),
			 K_OK);
	struct hist h = history(fx, id);
	assert_int_equal(h.rows[h.n - 1].source, JSRC_POLL);
	/* the receipt id finds it */
	struct journal_doc d;
	assert_int_equal(journal_find(fx->j, "777", &d, NULL), K_OK);
	assert_int_equal(d.id, id);
	journal_doc_free(&d);
	assert_int_equal(journal_poll_due(fx->j, INT64_MAX, ids, 4, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	assert_int_equal(journal_set_next_attempt(fx->j, 4242, 0, NULL), K_NOTFOUND);
}

static int64_t refund(struct fixture *fx, const char *ext_id, const char *ref, int64_t total,
		      kstatus want, struct kerr *err)
{
	struct journal_new_doc r = sale(ext_id, total);
	r.type = "refund";
	r.ref_uuid = ref;
	int64_t id = 0;
	assert_int_equal(journal_enqueue(fx->j, &r, &id, err), want);
	return id;
}

static void journal_refund__left_and_over_refund_refused(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	accepted(fx, "pay-1", 25000, "uuid-pay-1");
	int64_t left;
	assert_int_equal(journal_refund_left(fx->j, "uuid-pay-1", &left, NULL), K_OK);
	assert_int_equal(left, 25000);
	int64_t r1 = refund(fx, "ref-1", "uuid-pay-1", 15000, K_OK, &err);
	assert_int_equal(journal_refund_left(fx->j, "uuid-pay-1", &left, NULL), K_OK);
	assert_int_equal(left, 10000);
	assert_int_equal(journal_check_refund(fx->j, "uuid-pay-1", 10000, &err), K_OK);
	assert_int_equal(journal_check_refund(fx->j, "uuid-pay-1", 10001, &err), K_REFUSED);
	assert_string_equal(err.field, "amount");
	assert_non_null(strstr(err.text, "100.00 left of 250.00"));
	assert_non_null(strstr(err.text, "150.00 already refunded"));
	/* enqueue checks the same rule in its own transaction */
	refund(fx, "ref-2", "uuid-pay-1", 15000, K_REFUSED, &err);
	assert_int_equal(journal_find(fx->j, "ref-2", &(struct journal_doc){0}, NULL), K_NOTFOUND);
	/* a rejected refund gives its amount back */
	assert_int_equal(journal_mark_sending(fx->j, r1, NULL), K_OK);
	assert_int_equal(journal_apply_reply_rejected(fx->j, r1, 400, "bad", NULL), K_OK);
	assert_int_equal(journal_refund_left(fx->j, "uuid-pay-1", &left, NULL), K_OK);
	assert_int_equal(left, 25000);
	/* refunding the rest, then nothing is left */
	refund(fx, "ref-3", "uuid-pay-1", 25000, K_OK, &err);
	assert_int_equal(journal_check_refund(fx->j, "uuid-pay-1", 1, &err), K_REFUSED);
	assert_non_null(strstr(err.text, "in full"));
	/* a test refund does not count */
	struct journal_new_doc t = sale("ref-test", 100);
	t.type = "refund";
	t.ref_uuid = "uuid-pay-2";
	t.test = true;
	accepted(fx, "pay-2", 1000, "uuid-pay-2");
	enqueue(fx, &t);
	assert_int_equal(journal_refund_left(fx->j, "uuid-pay-2", &left, NULL), K_OK);
	assert_int_equal(left, 1000);
	/* unknown originals: not found here, the provider decides */
	assert_int_equal(journal_check_refund(fx->j, "uuid-elsewhere", 100, &err), K_NOTFOUND);
	assert_string_equal(err.field, "ref_uuid");
	refund(fx, "ref-elsewhere", "uuid-elsewhere", 100, K_OK, &err);
	/* nor can a zero amount be refunded */
	assert_int_equal(journal_check_refund(fx->j, "uuid-pay-2", 0, &err), K_INVALID);
	assert_string_equal(err.field, "amount");
}

static void journal_refund__failed_original__nothing_to_refund(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	accepted(fx, "pay-f", 5000, "uuid-pay-f");
	struct journal_callback cb = {.uuid = "uuid-pay-f", .state = JS_FAILED, .error_code = 1};
	assert_int_equal(journal_apply_callback(fx->j, &cb, NULL, NULL), K_OK);
	assert_int_equal(journal_check_refund(fx->j, "uuid-pay-f", 100, &err), K_REFUSED);
	assert_non_null(strstr(err.text, "not fiscalized"));
	int64_t left = -1;
	assert_int_equal(journal_refund_left(fx->j, "uuid-pay-f", &left, NULL), K_OK);
	assert_int_equal(left, 0);
	int64_t r = refund(fx, "ref-of-ref-src", "uuid-pay-x", 100, K_OK, &err);
	assert_int_equal(journal_mark_sending(fx->j, r, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, r, "uuid-ref", NULL, NULL), K_OK);
	assert_int_equal(journal_check_refund(fx->j, "uuid-ref", 100, &err), K_REFUSED);
	assert_non_null(strstr(err.text, "itself a refund"));
}

static void journal_words__round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < JS_COUNT; s++) {
		enum journal_state back;
		assert_true(journal_state_parse(journal_state_word((enum journal_state)s), &back));
		assert_int_equal(back, s);
	}
	for (int s = 0; s < JSRC_COUNT; s++) {
		enum journal_source back;
		assert_true(
		    journal_source_parse(journal_source_word((enum journal_source)s), &back));
		assert_int_equal(back, s);
	}
	enum kprovider p;
	assert_true(provider_parse("paykeeper", &p));
	assert_int_equal(p, KPROVIDER_PAYKEEPER);
	assert_false(provider_parse("atol", &p));
	assert_string_equal(journal_state_word(JS_PROVIDER_RETRY), "provider_retry");
	assert_string_equal(journal_state_label(JS_PROVIDER_RETRY), "provider retry");
	assert_string_equal(journal_state_word((enum journal_state)99), "?");
	static const bool finals[JS_COUNT] = {
	    [JS_PROCESSED] = true,
	    [JS_FAILED] = true,
	    [JS_REJECTED] = true,
	    [JS_VALIDATED] = true,
	};
	for (int s = 0; s < JS_COUNT; s++)
		assert_int_equal(journal_state_final((enum journal_state)s), finals[s]);
}

/* Two kassa processes sending from one journal would resend each other's documents. */
static void journal_lock_sender__second_holder__refused_until_first_closes(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	assert_int_equal(journal_lock_sender(fx->j, &err), K_OK);
	assert_int_equal(journal_lock_sender(fx->j, &err), K_OK); /* again: harmless */
	/* a second handle is what a second process has: its own open file */
	struct journal *other = NULL;
	assert_int_equal(journal_open(fx->path, &other, &err), K_OK);
	kerr_clear(&err);
	assert_int_equal(journal_lock_sender(other, &err), K_BUSY);
	assert_string_equal(err.field, "journal");
	assert_non_null(strstr(err.text, "another kassa"));
	char pid[32];
	snprintf(pid, sizeof pid, "process %ld", (long)getpid());
	assert_non_null(strstr(err.text, pid));
	/* reading needs no lock */
	int64_t n = -1;
	assert_int_equal(journal_count(other, NULL, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	/* once the first closes, the second may send */
	journal_close(fx->j);
	fx->j = NULL;
	assert_int_equal(journal_lock_sender(other, &err), K_OK);
	journal_close(other);
	fx_open(fx);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(journal_open__fresh_db__is_wal_at_latest_schema),
	    T(journal_open__old_schema_with_documents__migrates_and_keeps_them),
	    T(journal_open__newer_schema__refused_with_advice),
	    T(journal_enqueue__committed_before_send__survives_reopen),
	    T(journal_enqueue__same_ext_id__refused_naming_the_first),
	    T(journal_enqueue__bad_input__refused_naming_the_field),
	    cmocka_unit_test(retry_delay_ms__follows_schedule__last_repeats),
	    T(journal_due__by_time__oldest_first),
	    T(journal_retry__keeps_ext_id__records_attempts_and_history),
	    T(journal_reply__ok_rejected_and_test),
	    T(journal_resume_on_start__sending_goes_back_to_queued),
	    T(journal_open__upgrade_from_v2__sent_at_from_last_send),
	    T(journal_mark_sending_many__queued_only__in_one_go),
	    T(journal_poll__paykeeper_due_after_first_delay),
	    T(journal_refund__left_and_over_refund_refused),
	    T(journal_refund__failed_original__nothing_to_refund),
	    cmocka_unit_test(journal_words__round_trip),
	    T(journal_lock_sender__second_holder__refused_until_first_closes),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

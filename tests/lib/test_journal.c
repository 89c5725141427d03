/* Tests for lib/journal.c: schema, write-ahead enqueue, outbox, transitions, refunds, lists. */
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
#include "util.h"

#define T0 1700000000000LL /* the fake clock's start */

struct fixture {
	char dir[64];
	char path[128];
	int64_t now;
	struct journal *j;
};

static int64_t on_clock(void *ctx)
{
	return ((struct fixture *)ctx)->now;
}

static void fx_open(struct fixture *fx)
{
	struct kerr err = {0};
	assert_int_equal(journal_open(fx->path, &fx->j, &err), K_OK);
	journal_set_clock(fx->j, on_clock, fx);
}

static void fx_reopen(struct fixture *fx)
{
	journal_close(fx->j);
	fx->j = NULL;
	fx_open(fx);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kassa-test-journal-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/journal.db", fx->dir);
	fx->now = T0;
	fx_open(fx);
	*state = fx;
	return 0;
}

/* Closes and removes the journal files. */
static void fx_wipe(struct fixture *fx)
{
	journal_close(fx->j);
	fx->j = NULL;
	/* The marker too: a wipe here means "begin an empty journal" on purpose. */
	static const char *const files[] = {"journal.db", "journal.db-wal", "journal.db-shm",
					    "journal.db.lock", "journal.db.marker"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char p[160];
		snprintf(p, sizeof p, "%s/%s", fx->dir, files[i]);
		unlink(p);
	}
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	fx_wipe(fx);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct journal_new_doc sale(const char *ext_id, int64_t total)
{
	struct journal_new_doc d = {
		.profile = "shop",
		.provider = KPROVIDER_LIFEPAY,
		.kind = "receipt",
		.type = "payment",
		.ext_id = ext_id,
		.body = "{\"login\":\"\",\"apikey\":\"\",\"type\":\"payment\"}",
		.total = total,
		.card = total,
	};
	return d;
}

static int64_t enqueue(struct fixture *fx, const struct journal_new_doc *d)
{
	int64_t id = 0;
	struct kerr err = {0};
	assert_int_equal(journal_enqueue(fx->j, d, &id, &err), K_OK);
	assert_true(id > 0);
	return id;
}

/* Enqueue, send and get accepted with uuid. */
static int64_t accepted(struct fixture *fx, const char *ext_id, int64_t total, const char *uuid)
{
	struct journal_new_doc d = sale(ext_id, total);
	int64_t id = enqueue(fx, &d);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, uuid, NULL, NULL), K_OK);
	return id;
}

static enum journal_state state_of(struct fixture *fx, int64_t id)
{
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, id, &d, NULL), K_OK);
	journal_doc_free(&d);
	return d.state;
}

struct hist {
	size_t n;
	struct journal_history_row rows[32];
};

static bool on_history(const struct journal_history_row *r, void *ctx)
{
	struct hist *h = ctx;
	if (h->n < 32)
		h->rows[h->n++] = *r;
	return true;
}

static struct hist history(struct fixture *fx, int64_t id)
{
	struct hist h;
	memset(&h, 0, sizeof h);
	assert_int_equal(journal_history(fx->j, id, on_history, &h, NULL), K_OK);
	return h;
}

/* A direct look at the file, as support staff would with sqlite3. */
static int64_t sql_int(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* --- schema --------------------------------------------------------------------------------- */

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
	assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", NULL, NULL,
				      NULL),
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

/* --- enqueue -------------------------------------------------------------------------------- */

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
		{sale("", 100), "ext_id"},
		{sale(long_id, 100), "ext_id"},
		{sale("ok-1", -1), "total"},
		{sale("ok-2", 100), "body"},
		{sale("ok-3", 100), "body"},
		{sale("ok-4", 100), "body"},
		{sale("ok-5", 100), "body"},
		{sale("ok-6", 100), "kind"},
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

/* --- outbox --------------------------------------------------------------------------------- */

static void retry_delay_ms__follows_schedule__last_repeats(void **state)
{
	(void)state;
	static const struct {
		int attempt;
		int64_t want;
	} defaults[] = {
		{-1, 60000}, {0, 60000}, {1, 60000}, {2, 180000}, {3, 300000}, {4, 600000},
		{5, 600000}, {1000, 600000},
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
	assert_int_equal(journal_schedule_retry(fx->j, ia, T0 + 60000, JSRC_LOCAL, "timeout",
						NULL),
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
		assert_int_equal(journal_schedule_retry(fx->j, id, at, JSRC_REPLY, "HTTP 500", &err),
				 K_OK);
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

/* --- replies and callbacks ------------------------------------------------------------------ */

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
	assert_int_equal(journal_apply_reply_rejected(fx->j, rej, 3896, "сумма безнала больше",
						      &err),
			 K_OK);
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

static void journal_apply_callback__transitions_with_history_and_raw(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	int64_t id = accepted(fx, "cb-1", 100, "uuid-cb-1");
	fx->now += 1000;
	const char *body = "data=%7B%22uuid%22%3A%22uuid-cb-1%22%7D";
	struct journal_callback cb = {
		.uuid = "uuid-cb-1",
		.state = JS_PROVIDER_RETRY,
		.source = JSRC_CALLBACK,
		.detail = "waiting for retry",
		.body = body,
		.body_len = strlen(body),
		.content_type = "application/x-www-form-urlencoded",
	};
	struct journal_callback_result res;
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_OK);
	assert_true(res.applied);
	assert_int_equal(res.doc_id, id);
	assert_int_equal(res.from, JS_ACCEPTED);
	assert_int_equal(res.to, JS_PROVIDER_RETRY);
	assert_false(journal_state_final(JS_PROVIDER_RETRY));
	fx->now += 1000;
	cb.state = JS_PROCESSED;
	cb.detail = "https://ofd.example/receipt/1";
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_OK);
	assert_true(res.applied);
	assert_int_equal(state_of(fx, id), JS_PROCESSED);
	struct hist h = history(fx, id);
	assert_int_equal(h.n, 5);
	assert_int_equal(h.rows[3].source, JSRC_CALLBACK);
	assert_int_equal(h.rows[3].to, JS_PROVIDER_RETRY);
	assert_int_equal(h.rows[4].from, JS_PROVIDER_RETRY);
	assert_int_equal(h.rows[4].to, JS_PROCESSED);
	assert_int_equal(h.rows[4].at, T0 + 2000);
	assert_string_equal(h.rows[4].detail, "https://ofd.example/receipt/1");

	/* the same callback again: counted on its row (not stored again), harmless */
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_OK);
	assert_false(res.applied);
	assert_int_equal(history(fx, id).n, 5);
	assert_int_equal(sql_int(fx, "SELECT MAX(replays) FROM raw_callbacks"), 1);
	/* a different outcome after a final one: kept, not applied */
	cb.state = JS_FAILED;
	cb.error_code = 500;
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_REFUSED);
	assert_false(res.applied);
	assert_int_equal(state_of(fx, id), JS_PROCESSED);
	assert_int_equal(history(fx, id).n, 5);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'uuid-cb-1'"),
			 3);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE applied = 1"), 2);
	assert_int_equal(sql_int(fx, "SELECT length(body) FROM raw_callbacks ORDER BY id LIMIT 1"),
			 (int64_t)strlen(body));

	/* a failure carries its code and text */
	int64_t f = accepted(fx, "cb-2", 100, "uuid-cb-2");
	struct journal_callback fail = {.uuid = "uuid-cb-2", .state = JS_FAILED, .error_code = 3975,
					.detail = "ФН отклонил"};
	assert_int_equal(journal_apply_callback(fx->j, &fail, NULL, &err), K_OK);
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, f, &d, NULL), K_OK);
	assert_int_equal(d.state, JS_FAILED);
	assert_int_equal(d.last_error_code, 3975);
	assert_string_equal(d.last_error_text, "ФН отклонил");
	journal_doc_free(&d);

	/* bad callbacks are refused before anything is stored */
	struct journal_callback bad = {.uuid = "", .state = JS_PROCESSED};
	assert_int_equal(journal_apply_callback(fx->j, &bad, NULL, &err), K_INVALID);
	bad.uuid = "uuid-cb-2";
	bad.state = JS_QUEUED;
	assert_int_equal(journal_apply_callback(fx->j, &bad, NULL, &err), K_INVALID);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks"), 4);
}

static void journal_apply_callback__unknown_uuid__kept_not_applied(void **state)
{
	struct fixture *fx = *state;
	int64_t id = accepted(fx, "known", 100, "uuid-known");
	struct journal_callback cb = {.uuid = "uuid-stranger", .state = JS_PROCESSED,
				      .body = "{}", .body_len = 2, .content_type = "application/json"};
	struct journal_callback_result res;
	struct kerr err = {0};
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_NOTFOUND);
	assert_int_equal(res.doc_id, 0);
	assert_false(res.applied);
	assert_non_null(strstr(err.text, "uuid-stranger"));
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = "
				     "'uuid-stranger' AND applied = 0 AND doc_id IS NULL"),
			 1);
	assert_int_equal(state_of(fx, id), JS_ACCEPTED);
	assert_int_equal(history(fx, id).n, 3);
}

static void journal_apply_callback__before_reply__applied_when_uuid_known(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("early", 100);
	int64_t id = enqueue(fx, &d);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	struct journal_callback cb = {.uuid = "uuid-early", .state = JS_PROCESSED,
				      .detail = "ofd"};
	assert_int_equal(journal_apply_callback(fx->j, &cb, NULL, NULL), K_NOTFOUND);
	fx->now += 5;
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "uuid-early", NULL, NULL), K_OK);
	assert_int_equal(state_of(fx, id), JS_PROCESSED);
	struct hist h = history(fx, id);
	assert_int_equal(h.n, 4);
	assert_int_equal(h.rows[2].to, JS_ACCEPTED);
	assert_int_equal(h.rows[3].to, JS_PROCESSED);
	assert_int_equal(h.rows[3].source, JSRC_CALLBACK);
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SELECT COUNT(*) FROM raw_callbacks WHERE doc_id = %lld AND applied = 1",
		 (long long)id);
	assert_int_equal(sql_int(fx, sql), 1);
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

static void journal_flag_stale__lifepay_without_final__then_replay(void **state)
{
	struct fixture *fx = *state;
	int64_t old = accepted(fx, "stale-old", 100, "u-old");
	int64_t done = accepted(fx, "stale-done", 100, "u-done");
	struct journal_callback cb = {.uuid = "u-done", .state = JS_PROCESSED};
	assert_int_equal(journal_apply_callback(fx->j, &cb, NULL, NULL), K_OK);
	struct journal_new_doc pk = sale("stale-pk", 100);
	pk.provider = KPROVIDER_PAYKEEPER;
	int64_t pkid = enqueue(fx, &pk);
	assert_int_equal(journal_mark_sending(fx->j, pkid, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, pkid, NULL, "12345", NULL), K_OK);
	fx->now += 600 * 1000;
	int64_t fresh = accepted(fx, "stale-fresh", 100, "u-fresh");
	int64_t n;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	fx->now += 301 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 2); /* the LifePay and the PayKeeper one */
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, old, &d, NULL), K_OK);
	assert_true(d.flagged);
	journal_doc_free(&d);
	assert_int_equal(journal_get(fx->j, done, &d, NULL), K_OK);
	assert_false(d.flagged);
	journal_doc_free(&d);
	assert_int_equal(journal_get(fx->j, pkid, &d, NULL), K_OK);
	assert_true(d.flagged);
	journal_doc_free(&d);
	assert_int_equal(journal_get(fx->j, fresh, &d, NULL), K_OK);
	assert_false(d.flagged);
	journal_doc_free(&d);
	/* flagged once only */
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	struct journal_filter f = {.flagged_only = true};
	int64_t cnt;
	assert_int_equal(journal_count(fx->j, &f, &cnt, NULL), K_OK);
	assert_int_equal(cnt, 2);

	/* the operator replays it with its own ext_id */
	struct kerr err = {0};
	assert_int_equal(journal_replay(fx->j, done, &err), K_REFUSED);
	assert_int_equal(journal_replay(fx->j, old, &err), K_OK);
	assert_int_equal(journal_get(fx->j, old, &d, NULL), K_OK);
	assert_int_equal(d.state, JS_QUEUED);
	assert_false(d.flagged);
	assert_int_equal(d.next_attempt_at, fx->now);
	assert_string_equal(d.ext_id, "stale-old");
	journal_doc_free(&d);
	struct hist h = history(fx, old);
	assert_int_equal(h.rows[h.n - 1].source, JSRC_OPERATOR);
	assert_int_equal(journal_mark_sending(fx->j, old, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, old, "u-old", NULL, &err), K_OK);
	assert_int_equal(state_of(fx, old), JS_ACCEPTED);
}

static bool flagged(struct fixture *fx, int64_t id)
{
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, id, &d, NULL), K_OK);
	journal_doc_free(&d);
	return d.flagged;
}

static bool history_has(struct fixture *fx, int64_t id, const char *needle)
{
	struct hist h = history(fx, id);
	for (size_t i = 0; i < h.n; i++)
		if (strstr(h.rows[i].detail, needle))
			return true;
	return false;
}

static void journal_flag_stale__paykeeper_stuck_in_provider_retry__flagged(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc pk = sale("pk-timeout", 100);
	pk.provider = KPROVIDER_PAYKEEPER;
	int64_t id = enqueue(fx, &pk);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, NULL, "777", NULL), K_OK);
	struct journal_callback cb = {.uuid = "777", .state = JS_PROVIDER_RETRY,
				      .source = JSRC_POLL, .detail = "timeout"};
	assert_int_equal(journal_apply_callback(fx->j, &cb, NULL, NULL), K_OK);
	assert_int_equal(state_of(fx, id), JS_PROVIDER_RETRY);
	int64_t n = -1;
	fx->now += 899 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	fx->now += 2 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	assert_true(flagged(fx, id));
	assert_true(history_has(fx, id, "flagged"));
}

static void journal_flag_stale__replayed_document__counts_from_the_resend(void **state)
{
	struct fixture *fx = *state;
	int64_t id = accepted(fx, "replayed", 100, "u-replayed");
	fx->now += 901 * 1000;
	int64_t n = -1;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	assert_int_equal(journal_replay(fx->j, id, NULL), K_OK);
	fx->now += 1000;
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "u-replayed", NULL, NULL), K_OK);
	/* a minute after the replay: not stale yet, although created long ago */
	fx->now += 60 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	assert_false(flagged(fx, id));
	/* stale_after after the resend: flagged again */
	fx->now += 840 * 1000;
	assert_int_equal(journal_flag_stale(fx->j, 900 * 1000, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	assert_true(flagged(fx, id));
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

static void journal_apply_callback__unknown_uuid_known_ext_id__adopts_uuid(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("lost-reply", 500);
	int64_t id = enqueue(fx, &d);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_record_attempt(fx->j, id, 0, 0, "timeout", NULL), K_OK);
	assert_int_equal(journal_schedule_retry(fx->j, id, fx->now + 60000, JSRC_LOCAL, "timeout",
						NULL),
			 K_OK);
	struct journal_callback cb = {.uuid = "u-from-cb",
				      .ext_id = "lost-reply",
				      .state = JS_PROCESSED,
				      .detail = "https://ofd/x"};
	struct journal_callback_result res;
	struct kerr err = {0};
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_OK);
	assert_int_equal(res.doc_id, id);
	assert_true(res.applied);
	assert_false(res.flagged);
	struct journal_doc jd;
	assert_int_equal(journal_get(fx->j, id, &jd, NULL), K_OK);
	journal_doc_free(&jd);
	assert_int_equal(jd.state, JS_PROCESSED);
	assert_string_equal(jd.uuid, "u-from-cb");
	assert_true(history_has(fx, id, "reply was lost"));
	/* the resend's late reply with the same uuid changes nothing */
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "u-from-cb", NULL, NULL), K_OK);
	assert_int_equal(state_of(fx, id), JS_PROCESSED);
	/* the outbox does not send it again */
	int64_t ids[4];
	size_t n = 9;
	fx->now += 120000;
	assert_int_equal(journal_due(fx->j, fx->now, ids, 4, &n, NULL), K_OK);
	assert_int_equal(n, 0);
	/* without ext_id (or an unknown one) an unknown uuid is still not applied */
	struct journal_callback stray = {.uuid = "u-stray", .ext_id = "nobody",
					 .state = JS_PROCESSED};
	assert_int_equal(journal_apply_callback(fx->j, &stray, &res, NULL), K_NOTFOUND);
	assert_int_equal(res.doc_id, 0);
}

static void journal_apply_callback__ext_id_with_other_uuid__flagged_not_applied(void **state)
{
	struct fixture *fx = *state;
	int64_t id = accepted(fx, "two-uuids", 500, "u-stored");
	struct journal_callback cb = {
	    .uuid = "u-other", .ext_id = "two-uuids", .state = JS_FAILED, .error_code = 3975};
	struct journal_callback_result res;
	struct kerr err = {0};
	assert_int_equal(journal_apply_callback(fx->j, &cb, &res, &err), K_REFUSED);
	assert_int_equal(res.doc_id, id);
	assert_false(res.applied);
	assert_true(res.flagged);
	assert_non_null(strstr(err.text, "u-other"));
	struct journal_doc jd;
	assert_int_equal(journal_get(fx->j, id, &jd, NULL), K_OK);
	journal_doc_free(&jd);
	assert_int_equal(jd.state, JS_ACCEPTED);
	assert_string_equal(jd.uuid, "u-stored");
	assert_true(jd.flagged);
	struct hist h = history(fx, id);
	assert_non_null(strstr(h.rows[h.n - 1].detail, "u-stored"));
	assert_non_null(strstr(h.rows[h.n - 1].detail, "u-other"));
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'u-other'"
				     " AND applied = 0"),
			 1);
}

static void journal_apply_reply_rejected_flagged__rejected_and_flagged_with_detail(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("unsure-reject", 500);
	int64_t id = enqueue(fx, &d);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_rejected_flagged(fx->j, id, 400, "bad field",
							      "an earlier attempt got no answer",
							      NULL),
			 K_OK);
	struct journal_doc jd;
	assert_int_equal(journal_get(fx->j, id, &jd, NULL), K_OK);
	journal_doc_free(&jd);
	assert_int_equal(jd.state, JS_REJECTED);
	assert_true(jd.flagged);
	assert_int_equal(jd.last_error_code, 400);
	assert_true(history_has(fx, id, "earlier attempt got no answer"));
	/* the plain rejection does not flag */
	struct journal_new_doc d2 = sale("plain-reject", 500);
	int64_t id2 = enqueue(fx, &d2);
	assert_int_equal(journal_mark_sending(fx->j, id2, NULL), K_OK);
	assert_int_equal(journal_apply_reply_rejected(fx->j, id2, 400, "bad", NULL), K_OK);
	assert_false(flagged(fx, id2));
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

static void journal_apply_batch__callbacks_outcomes_marks__each_with_its_result(void **state)
{
	struct fixture *fx = *state;
	int64_t cbdoc = accepted(fx, "b-cb", 100, "u-b-cb");
	struct journal_new_doc s1 = sale("b-ok", 100), s2 = sale("b-rej", 100),
			       s3 = sale("b-retry", 100), s4 = sale("b-next", 100),
			       s5 = sale("b-nouuid", 100);
	int64_t ok = enqueue(fx, &s1), rej = enqueue(fx, &s2), retry = enqueue(fx, &s3),
		next = enqueue(fx, &s4), nouuid = enqueue(fx, &s5);
	int64_t sending[4] = {ok, rej, retry, nouuid};
	bool m[4];
	assert_int_equal(journal_mark_sending_many(fx->j, sending, 4, m, NULL), K_OK);
	struct journal_callback_item items[2];
	memset(items, 0, sizeof items);
	items[0].cb = (struct journal_callback){.uuid = "u-b-cb", .state = JS_PROCESSED};
	items[1].cb = (struct journal_callback){.uuid = "u-nobody", .state = JS_PROCESSED};
	struct journal_outcome o[5];
	memset(o, 0, sizeof o);
	o[0] = (struct journal_outcome){.id = ok, .kind = JO_ACCEPTED, .record_attempt = true,
					.http_status = 200, .uuid = "u-b-ok"};
	o[1] = (struct journal_outcome){.id = rej, .kind = JO_REJECTED, .record_attempt = true,
					.http_status = 200, .provider_code = 400, .code = 400,
					.text = "bad"};
	o[2] = (struct journal_outcome){.id = retry, .kind = JO_RETRY, .record_attempt = true,
					.reason = "timeout", .next_attempt_at = fx->now + 5000};
	o[3] = (struct journal_outcome){.id = cbdoc, .kind = JO_REJECTED, .code = 1,
					.text = "late"}; /* not sending: refused */
	o[4] = (struct journal_outcome){.id = nouuid, .kind = JO_ACCEPTED, .record_attempt = true,
					.http_status = 200, .next_attempt_at = fx->now + 7000};
	int64_t mark[2] = {next, ok};
	bool marked[2] = {false, true};
	struct journal_batch b = {.callbacks = items, .ncallbacks = 2, .outcomes = o,
				  .noutcomes = 5, .mark = mark, .nmark = 2, .marked = marked};
	assert_int_equal(journal_apply_batch(fx->j, &b, NULL), K_OK);
	assert_int_equal(items[0].st, K_OK);
	assert_true(items[0].res.applied);
	assert_int_equal(items[1].st, K_NOTFOUND);
	assert_int_equal(o[0].st, K_OK);
	assert_int_equal(o[1].st, K_OK);
	assert_int_equal(o[2].st, K_OK);
	assert_int_equal(o[3].st, K_REFUSED);
	assert_int_equal(o[4].st, K_PROVIDER);
	assert_true(marked[0]);
	assert_false(marked[1]); /* accepted in the same batch, before the marks */
	assert_int_equal(state_of(fx, cbdoc), JS_PROCESSED);
	assert_int_equal(state_of(fx, ok), JS_ACCEPTED);
	assert_int_equal(state_of(fx, rej), JS_REJECTED);
	assert_int_equal(state_of(fx, retry), JS_QUEUED);
	assert_int_equal(state_of(fx, nouuid), JS_QUEUED);
	assert_int_equal(state_of(fx, next), JS_SENDING);
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, nouuid, &d, NULL), K_OK);
	journal_doc_free(&d);
	assert_int_equal(d.next_attempt_at, fx->now + 7000);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM attempts"), 4);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks"), 2);
	/* the single-call forms agree with the batch */
	struct journal_callback_item again = {
	    .cb = {.uuid = "u-b-ok", .state = JS_PROCESSED}};
	assert_int_equal(journal_apply_callbacks(fx->j, &again, 1, NULL), K_OK);
	assert_int_equal(again.st, K_OK);
	assert_int_equal(state_of(fx, ok), JS_PROCESSED);
	struct journal_outcome late = {.id = next, .kind = JO_RETRY, .reason = "x",
				       .next_attempt_at = fx->now};
	assert_int_equal(journal_apply_outcomes(fx->j, &late, 1, NULL), K_OK);
	assert_int_equal(late.st, K_OK);
	assert_int_equal(state_of(fx, next), JS_QUEUED);
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
	assert_int_equal(journal_poll_due(fx->j, fx->now + JOURNAL_FIRST_POLL_MS - 1, ids, 4, &n,
					  NULL),
			 K_OK);
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

/* --- refunds -------------------------------------------------------------------------------- */

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

/* --- reading -------------------------------------------------------------------------------- */

struct collected {
	size_t n;
	int64_t ids[64];
};

static bool on_doc(const struct journal_doc *d, void *ctx)
{
	struct collected *c = ctx;
	assert_null(d->body);
	if (c->n < 64)
		c->ids[c->n++] = d->id;
	return true;
}

static struct collected list(struct fixture *fx, const struct journal_filter *f, int64_t limit,
			     int64_t offset)
{
	struct collected c;
	memset(&c, 0, sizeof c);
	struct kerr err = {0};
	assert_int_equal(journal_list(fx->j, f, limit, offset, on_doc, &c, &err), K_OK);
	int64_t n;
	assert_int_equal(journal_count(fx->j, f, &n, &err), K_OK);
	if (limit < 0 && offset == 0)
		assert_int_equal(n, (int64_t)c.n);
	return c;
}

static void journal_list__filters_and_newest_first(void **state)
{
	struct fixture *fx = *state;
	int64_t a = accepted(fx, "shop-0001", 10000, "aaaa-1111");
	fx->now += 1000;
	int64_t b = accepted(fx, "shop-0002", 25000, "bbbb-2222");
	fx->now += 1000;
	struct journal_new_doc cd = sale("other-0003", 10000);
	int64_t c = enqueue(fx, &cd);
	fx->now += 1000;
	struct journal_new_doc zd = sale("z-0004", 0);
	zd.kind = "z-report";
	int64_t z = enqueue(fx, &zd);

	struct collected all = list(fx, NULL, -1, 0);
	assert_int_equal(all.n, 4);
	assert_int_equal(all.ids[0], z);
	assert_int_equal(all.ids[3], a);
	struct collected page = list(fx, NULL, 2, 1);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.ids[0], c);
	assert_int_equal(page.ids[1], b);

	struct journal_filter f = {.by_state = true, .state = JS_ACCEPTED};
	struct collected r = list(fx, &f, -1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], b);

	struct journal_filter t = {.text = "shop-"};
	r = list(fx, &t, -1, 0);
	assert_int_equal(r.n, 2);
	t.text = "bbbb";
	r = list(fx, &t, -1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], b);
	t.text = "shop-0002x";
	assert_int_equal(list(fx, &t, -1, 0).n, 0);

	struct journal_filter m = {.by_amount = true, .amount = 10000};
	r = list(fx, &m, -1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], c);
	assert_int_equal(r.ids[1], a);
	m.by_state = true;
	m.state = JS_QUEUED;
	r = list(fx, &m, -1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], c);

	struct journal_filter dr = {.since = T0 + 1000, .until = T0 + 3000};
	r = list(fx, &dr, -1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], c);
	assert_int_equal(r.ids[1], b);

	struct journal_filter k = {.kind = "z-report"};
	r = list(fx, &k, -1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], z);

	/* a callback that stops early */
	struct journal_doc d;
	assert_int_equal(journal_find(fx->j, "#2", &d, NULL), K_OK);
	assert_int_equal(d.id, b);
	journal_doc_free(&d);
	assert_int_equal(journal_find(fx->j, " aaaa-1111 ", &d, NULL), K_OK);
	assert_int_equal(d.id, a);
	journal_doc_free(&d);
	assert_int_equal(journal_find(fx->j, "shop-0002", &d, NULL), K_OK);
	assert_int_equal(d.id, b);
	journal_doc_free(&d);
	struct kerr err = {0};
	assert_int_equal(journal_find(fx->j, "nothing", &d, &err), K_NOTFOUND);
	assert_non_null(strstr(err.text, "nothing"));
	assert_int_equal(journal_find(fx->j, "", &d, &err), K_INVALID);
	assert_int_equal(journal_get(fx->j, 999, &d, &err), K_NOTFOUND);
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
		assert_true(journal_source_parse(journal_source_word((enum journal_source)s), &back));
		assert_int_equal(back, s);
	}
	enum kprovider p;
	assert_true(journal_provider_parse("paykeeper", &p));
	assert_int_equal(p, KPROVIDER_PAYKEEPER);
	assert_false(journal_provider_parse("atol", &p));
	assert_string_equal(journal_state_word(JS_PROVIDER_RETRY), "provider_retry");
	assert_string_equal(journal_state_label(JS_PROVIDER_RETRY), "provider retry");
	assert_string_equal(journal_state_word((enum journal_state)99), "?");
	static const bool finals[JS_COUNT] = {
		[JS_PROCESSED] = true, [JS_FAILED] = true, [JS_REJECTED] = true,
		[JS_VALIDATED] = true,
	};
	for (int s = 0; s < JS_COUNT; s++)
		assert_int_equal(journal_state_final((enum journal_state)s), finals[s]);
}

/* --- scale ---------------------------------------------------------------------------------- */

static double elapsed_ms(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static void journal_lookups__index_backed__on_100k_docs(void **state)
{
	struct fixture *fx = *state;
	/* Fill through a side connection in one transaction: quick, and the same file. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(
		sqlite3_prepare_v2(db,
				   "INSERT INTO documents(profile, provider, kind, type, ext_id, "
				   "body, total_kop, uuid, state, created_at, updated_at) VALUES "
				   "('shop', 'lifepay', 'receipt', 'payment', ?1, '{}', ?2, ?3, "
				   "'processed', ?4, ?4)",
				   -1, &s, NULL),
		SQLITE_OK);
	enum { N = 100000 };
	for (int i = 0; i < N; i++) {
		char ext[32], uuid[48];
		snprintf(ext, sizeof ext, "ext-%08d", i);
		snprintf(uuid, sizeof uuid, "uuid-%08x-%04d", (unsigned)(i * 2654435761u), i % 10000);
		sqlite3_bind_text(s, 1, ext, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, 100 + i % 5000);
		sqlite3_bind_text(s, 3, uuid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, T0 + i);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enum { LOOKUPS = 200 };
	for (int k = 0; k < LOOKUPS; k++) {
		int i = (k * 7919) % N;
		char key[48];
		if (k % 2)
			snprintf(key, sizeof key, "ext-%08d", i);
		else
			snprintf(key, sizeof key, "uuid-%08x-%04d", (unsigned)(i * 2654435761u),
				 i % 10000);
		struct journal_doc d;
		assert_int_equal(journal_find(fx->j, key, &d, NULL), K_OK);
		assert_int_equal(d.total, 100 + i % 5000);
		journal_doc_free(&d);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double per = elapsed_ms(t0, t1) / LOOKUPS;
	/* A table scan of 100k rows takes several ms; an index lookup takes microseconds. */
	assert_true(per < 1.0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < 20; k++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "ext-000%02d", k);
		struct journal_filter f = {.text = prefix};
		struct collected c = list(fx, &f, 20, 0);
		assert_int_equal(c.n, 20);
	}
	struct collected recent = list(fx, NULL, 50, 0);
	assert_int_equal(recent.n, 50);
	/* rare and common states, a short recent date range, an amount */
	struct journal_filter rare = {.by_state = true, .state = JS_FAILED};
	assert_int_equal(list(fx, &rare, 50, 0).n, 0);
	struct journal_filter common = {.by_state = true, .state = JS_PROCESSED};
	assert_int_equal(list(fx, &common, 50, 0).n, 50);
	struct journal_filter since = {.since = T0 + N - 5};
	struct collected last = list(fx, &since, 50, 0);
	assert_int_equal(last.n, 5);
	assert_true(last.ids[0] > last.ids[4]);
	struct journal_filter amount = {.by_amount = true, .amount = 4242,
					.by_state = true, .state = JS_PROCESSED};
	assert_int_equal(list(fx, &amount, 50, 0).n, N / 5000);
	int64_t depth;
	assert_int_equal(journal_outbox_depth(fx->j, &depth, NULL), K_OK);
	assert_int_equal(depth, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(elapsed_ms(t0, t1) / 26 < 5.0);
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
		T(journal_apply_callback__transitions_with_history_and_raw),
		T(journal_apply_callback__unknown_uuid__kept_not_applied),
		T(journal_apply_callback__before_reply__applied_when_uuid_known),
		T(journal_resume_on_start__sending_goes_back_to_queued),
		T(journal_flag_stale__lifepay_without_final__then_replay),
		T(journal_flag_stale__paykeeper_stuck_in_provider_retry__flagged),
		T(journal_flag_stale__replayed_document__counts_from_the_resend),
		T(journal_open__upgrade_from_v2__sent_at_from_last_send),
		T(journal_apply_callback__unknown_uuid_known_ext_id__adopts_uuid),
		T(journal_apply_callback__ext_id_with_other_uuid__flagged_not_applied),
		T(journal_apply_reply_rejected_flagged__rejected_and_flagged_with_detail),
		T(journal_mark_sending_many__queued_only__in_one_go),
		T(journal_apply_batch__callbacks_outcomes_marks__each_with_its_result),
		T(journal_poll__paykeeper_due_after_first_delay),
		T(journal_refund__left_and_over_refund_refused),
		T(journal_refund__failed_original__nothing_to_refund),
		T(journal_list__filters_and_newest_first),
		cmocka_unit_test(journal_words__round_trip),
		T(journal_lookups__index_backed__on_100k_docs),
		T(journal_lock_sender__second_holder__refused_until_first_closes),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

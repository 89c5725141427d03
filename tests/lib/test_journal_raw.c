/* Tests for lib/journal_raw.c: the raw callbacks read back as stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "journal.h"
#include "tmpdir.h"
#include "journal_raw.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[128];
	struct journal *j;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	if (!tmpdir_journal("raw", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path))
		return -1;
	if (journal_open(fx->path, &fx->j, NULL) != K_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	journal_close(fx->j);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static int64_t enqueue(struct fixture *fx, const char *ext_id)
{
	struct journal_new_doc d = {.profile = "shop",
				    .provider = KPROVIDER_LIFEPAY,
				    .kind = "receipt",
				    .type = "payment",
				    .ext_id = ext_id,
				    .body = "{\"purchase\":{}}",
				    .total = 10000};
	int64_t id = 0;
	assert_int_equal(journal_enqueue(fx->j, &d, &id, NULL), K_OK);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	return id;
}

struct seen {
	size_t n;
	struct journal_raw_callback c[4];
	char bodies[4][256];
	size_t stop_after;
};

static bool on_cb(const struct journal_raw_callback *c, void *ctx)
{
	struct seen *s = ctx;
	if (s->n < 4) {
		s->c[s->n] = *c;
		str_copy(s->bodies[s->n], c->body, sizeof s->bodies[0]);
		s->c[s->n].body = s->bodies[s->n];
	}
	s->n++;
	return s->stop_after == 0 || s->n < s->stop_after;
}

static void apply(struct fixture *fx, const char *uuid, enum journal_state st, int code,
		  const char *body)
{
	struct journal_callback cb = {.uuid = uuid,
				      .state = st,
				      .error_code = code,
				      .detail =
					  code ? "Принтер не найден." : "https://ofd.example/1",
				      .body = body,
				      .body_len = strlen(body),
				      .content_type = "application/json"};
	kstatus st2 = journal_apply_callback(fx->j, &cb, NULL, NULL);
	assert_true(st2 == K_OK || st2 == K_NOTFOUND);
}

static void journal_raw_callbacks__none__calls_nothing(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enqueue(fx, "ext-none");
	struct seen s = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, id, "", on_cb, &s, NULL), K_OK);
	assert_int_equal(s.n, 0);
}

static void journal_raw_callbacks__missing_file__is_io_error(void **state)
{
	(void)state;
	struct seen s = {0};
	struct kerr err = {0};
	assert_int_equal(
	    journal_raw_callbacks("/nonexistent/dir/journal.db", 1, NULL, on_cb, &s, &err), K_IO);
	assert_non_null(strstr(err.text, "/nonexistent/dir/journal.db"));
	assert_int_equal(s.n, 0);
}

static void journal_raw_callbacks__after_reply__oldest_first_with_body(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enqueue(fx, "ext-1");
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "uuid-1", NULL, NULL), K_OK);
	apply(fx, "uuid-1", JS_PROVIDER_RETRY, 0, "{\"status\":\"waiting_for_retry\"}");
	apply(fx, "uuid-1", JS_PROCESSED, 0, "{\"status\":\"success\"}");
	/* Another document's callback is not ours. */
	int64_t other = enqueue(fx, "ext-2");
	assert_int_equal(journal_apply_reply_ok(fx->j, other, "uuid-2", NULL, NULL), K_OK);
	apply(fx, "uuid-2", JS_FAILED, 400, "{\"status\":\"fail\"}");

	struct seen s = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, id, "uuid-1", on_cb, &s, NULL), K_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.c[0].body, "{\"status\":\"waiting_for_retry\"}");
	assert_int_equal(s.c[0].state, JS_PROVIDER_RETRY);
	assert_true(s.c[0].applied);
	assert_int_equal(s.c[0].doc_id, id);
	assert_string_equal(s.c[1].body, "{\"status\":\"success\"}");
	assert_int_equal(s.c[1].state, JS_PROCESSED);
	assert_string_equal(s.c[1].content_type, "application/json");
	assert_true(s.c[0].id < s.c[1].id);

	struct seen o = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, other, "uuid-2", on_cb, &o, NULL), K_OK);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.c[0].error_code, 400);
	assert_string_equal(o.c[0].detail, "Принтер не найден.");
}

static void journal_raw_callbacks__before_reply__found_by_uuid(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enqueue(fx, "ext-early");
	/* The callback beats the reply: stored under its uuid, no document yet. */
	apply(fx, "uuid-early", JS_PROCESSED, 0, "{\"early\":true}");
	struct seen s = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, id, "uuid-early", on_cb, &s, NULL), K_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.c[0].uuid, "uuid-early");
	/* By id alone it is not ours until the reply adopts it. */
	struct seen t = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, id, NULL, on_cb, &t, NULL), K_OK);
	assert_int_equal(t.n, 0);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "uuid-early", NULL, NULL), K_OK);
	struct seen u = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, id, NULL, on_cb, &u, NULL), K_OK);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.c[0].doc_id, id);
}

static void journal_raw_callbacks__cb_false__stops(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enqueue(fx, "ext-stop");
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "uuid-stop", NULL, NULL), K_OK);
	apply(fx, "uuid-stop", JS_PROVIDER_RETRY, 0, "{\"n\":1}");
	apply(fx, "uuid-stop", JS_PROCESSED, 0, "{\"n\":2}");
	struct seen s = {.stop_after = 1};
	assert_int_equal(journal_raw_callbacks(fx->path, id, "uuid-stop", on_cb, &s, NULL), K_OK);
	assert_int_equal(s.n, 1);
}

/* One number from the journal file, read beside the engine's connection. */
static int64_t sql_int(struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Issue 11, finding 6: 2,000 replays of a valid callback made 2,000 rows. */
static void journal_raw__replay__counted_on_its_row_not_stored_again(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enqueue(fx, "ext-replay");
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "uuid-replay", NULL, NULL), K_OK);
	for (int i = 0; i < 2000; i++)
		apply(fx, "uuid-replay", JS_PROCESSED, 0, "{\"status\":\"success\"}");
	/* an unknown uuid's replays too */
	for (int i = 0; i < 50; i++)
		apply(fx, "uuid-nobody", JS_PROCESSED, 0, "{\"status\":\"success\",\"n\":1}");
	struct seen s = {0};
	assert_int_equal(journal_raw_callbacks(fx->path, id, "uuid-replay", on_cb, &s, NULL), K_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.c[0].replays, 1999);
	assert_true(s.c[0].applied);
	assert_true(s.c[0].last_at >= s.c[0].at);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks"), 2);
	assert_int_equal(
	    sql_int(fx, "SELECT replays FROM raw_callbacks WHERE uuid = 'uuid-nobody'"), 49);
	/* a different body is a new callback, stored */
	apply(fx, "uuid-replay", JS_PROCESSED, 0, "{\"status\":\"success\",\"again\":1}");
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks"), 3);
}

/* Issue 11, finding 6: unknown-uuid callbacks of 60 KB were stored without bound. */
static void journal_raw__unknown_uuids__cut_and_capped_oldest_first(void **state)
{
	struct fixture *fx = *state;
	size_t big = 60 * 1024;
	char *body = xmalloc(big + 1);
	memset(body, 'x', big);
	body[big] = '\0';
	int n = JOURNAL_RAW_UNKNOWN_MAX + 100;
	for (int i = 0; i < n; i++) {
		char uuid[32];
		snprintf(uuid, sizeof uuid, "stranger-%04d", i);
		memcpy(body, uuid, strlen(uuid)); /* every body differs */
		apply(fx, uuid, JS_PROCESSED, 0, body);
	}
	free(body);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE doc_id IS NULL"),
			 JOURNAL_RAW_UNKNOWN_MAX);
	assert_int_equal(sql_int(fx, "SELECT MAX(LENGTH(body)) FROM raw_callbacks"),
			 JOURNAL_RAW_UNKNOWN_BODY_MAX);
	/* the oldest went first */
	assert_int_equal(
	    sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'stranger-0099'"), 0);
	assert_int_equal(
	    sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'stranger-0100'"), 1);
}

static int64_t fake_now;
static int64_t on_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void journal_raw__unknown_uuid__dropped_after_retention(void **state)
{
	struct fixture *fx = *state;
	fake_now = 1700000000000LL;
	journal_set_clock(fx->j, on_clock, NULL);
	apply(fx, "stranger-old", JS_PROCESSED, 0, "{\"old\":1}");
	/* an early callback later adopted by its document is not a stranger's */
	int64_t id = enqueue(fx, "ext-kept");
	apply(fx, "uuid-kept", JS_PROCESSED, 0, "{\"kept\":1}");
	assert_int_equal(journal_apply_reply_ok(fx->j, id, "uuid-kept", NULL, NULL), K_OK);
	fake_now += JOURNAL_RAW_UNKNOWN_KEEP_MS + 1;
	apply(fx, "stranger-new", JS_PROCESSED, 0, "{\"new\":1}");
	journal_set_clock(fx->j, NULL, NULL);
	assert_int_equal(
	    sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'stranger-old'"), 0);
	assert_int_equal(
	    sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'stranger-new'"), 1);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM raw_callbacks WHERE uuid = 'uuid-kept'"),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(journal_raw_callbacks__none__calls_nothing, setup,
					    teardown),
	    cmocka_unit_test(journal_raw_callbacks__missing_file__is_io_error),
	    cmocka_unit_test_setup_teardown(
		journal_raw_callbacks__after_reply__oldest_first_with_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(journal_raw_callbacks__before_reply__found_by_uuid,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(journal_raw_callbacks__cb_false__stops, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		journal_raw__replay__counted_on_its_row_not_stored_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(journal_raw__unknown_uuids__cut_and_capped_oldest_first,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(journal_raw__unknown_uuid__dropped_after_retention,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

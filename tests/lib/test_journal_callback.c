/* Tests for lib/journal_callback.c and staleness: callbacks, polls, early and adopted uuids,
 * batches. */
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
	struct journal_callback fail = {
	    .uuid = "uuid-cb-2", .state = JS_FAILED, .error_code = 3975, .detail = "ФН отклонил"};
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
	struct journal_callback cb = {.uuid = "uuid-stranger",
				      .state = JS_PROCESSED,
				      .body = "{}",
				      .body_len = 2,
				      .content_type = "application/json"};
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
	struct journal_callback cb = {.uuid = "uuid-early", .state = JS_PROCESSED, .detail = "ofd"};
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
	struct journal_callback cb = {
	    .uuid = "777", .state = JS_PROVIDER_RETRY, .source = JSRC_POLL, .detail = "timeout"};
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

static void journal_apply_callback__unknown_uuid_known_ext_id__adopts_uuid(void **state)
{
	struct fixture *fx = *state;
	struct journal_new_doc d = sale("lost-reply", 500);
	int64_t id = enqueue(fx, &d);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_record_attempt(fx->j, id, 0, 0, "timeout", NULL), K_OK);
	assert_int_equal(
	    journal_schedule_retry(fx->j, id, fx->now + 60000, JSRC_LOCAL, "timeout", NULL), K_OK);
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
	struct journal_callback stray = {
	    .uuid = "u-stray", .ext_id = "nobody", .state = JS_PROCESSED};
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
	assert_int_equal(journal_apply_reply_rejected_flagged(
			     fx->j, id, 400, "bad field", "an earlier attempt got no answer", NULL),
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
	o[0] = (struct journal_outcome){.id = ok,
					.kind = JO_ACCEPTED,
					.record_attempt = true,
					.http_status = 200,
					.uuid = "u-b-ok"};
	o[1] = (struct journal_outcome){.id = rej,
					.kind = JO_REJECTED,
					.record_attempt = true,
					.http_status = 200,
					.provider_code = 400,
					.code = 400,
					.text = "bad"};
	o[2] = (struct journal_outcome){.id = retry,
					.kind = JO_RETRY,
					.record_attempt = true,
					.reason = "timeout",
					.next_attempt_at = fx->now + 5000};
	o[3] = (struct journal_outcome){
	    .id = cbdoc, .kind = JO_REJECTED, .code = 1, .text = "late"}; /* not sending: refused */
	o[4] = (struct journal_outcome){.id = nouuid,
					.kind = JO_ACCEPTED,
					.record_attempt = true,
					.http_status = 200,
					.next_attempt_at = fx->now + 7000};
	int64_t mark[2] = {next, ok};
	bool marked[2] = {false, true};
	struct journal_batch b = {.callbacks = items,
				  .ncallbacks = 2,
				  .outcomes = o,
				  .noutcomes = 5,
				  .mark = mark,
				  .nmark = 2,
				  .marked = marked};
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
	struct journal_callback_item again = {.cb = {.uuid = "u-b-ok", .state = JS_PROCESSED}};
	assert_int_equal(journal_apply_callbacks(fx->j, &again, 1, NULL), K_OK);
	assert_int_equal(again.st, K_OK);
	assert_int_equal(state_of(fx, ok), JS_PROCESSED);
	struct journal_outcome late = {
	    .id = next, .kind = JO_RETRY, .reason = "x", .next_attempt_at = fx->now};
	assert_int_equal(journal_apply_outcomes(fx->j, &late, 1, NULL), K_OK);
	assert_int_equal(late.st, K_OK);
	assert_int_equal(state_of(fx, next), JS_QUEUED);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(journal_apply_callback__transitions_with_history_and_raw),
	    T(journal_apply_callback__unknown_uuid__kept_not_applied),
	    T(journal_apply_callback__before_reply__applied_when_uuid_known),
	    T(journal_flag_stale__lifepay_without_final__then_replay),
	    T(journal_flag_stale__paykeeper_stuck_in_provider_retry__flagged),
	    T(journal_flag_stale__replayed_document__counts_from_the_resend),
	    T(journal_apply_callback__unknown_uuid_known_ext_id__adopts_uuid),
	    T(journal_apply_callback__ext_id_with_other_uuid__flagged_not_applied),
	    T(journal_apply_reply_rejected_flagged__rejected_and_flagged_with_detail),
	    T(journal_apply_batch__callbacks_outcomes_marks__each_with_its_result),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}

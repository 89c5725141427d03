/*
 * The delivery engine against the in-process sandbox over loopback: real
 * HTTP both ways, the retry schedule shrunk to milliseconds (time_unit_ms),
 * faults switched on and off through the sandbox's admin endpoint, and the
 * sandbox's ledger as the ground truth (PayKeeper: test_outbox_paykeeper.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "net.h"
#include "outbox.h"
#include "sandbox/sandbox.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

#include "outbox_fixture.h"
/* ---- delivery ---- */

static void outbox__delivers__receipt_processed_by_callback(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 15000);
	int64_t id = fx_submit(f, &d);
	assert_true(id > 0);
	assert_int_equal(state_of(f, id, NULL), JS_QUEUED); /* committed before sending */
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_true(jd.uuid[0] != '\0');
	assert_int_equal(jd.attempts, 1);
	assert_string_equal(jd.ext_id, d.ext_id);
	assert_int_equal(ledger_count(f, d.ext_id), 1);
	assert_true(f->changes >= 3); /* queued, sending, accepted, processed */
	struct outbox_stats st;
	outbox_stats(f->ob, &st);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.listener, LISTENER_LISTENING);
	assert_true(st.callbacks >= 1);
	document_free(&d);
}

static void outbox__stores__body_without_credentials(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 100);
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	memset(&jd, 0, sizeof jd);
	assert_int_equal(journal_get(f->j, id, &jd, NULL), K_OK);
	assert_null(strstr(jd.body, f->p.apikey));
	assert_null(strstr(jd.body, f->p.login));
	/* nor the callback token: the sender adds callback_url as it adds the apikey */
	assert_null(strstr(jd.body, TOKEN));
	journal_doc_free(&jd);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	document_free(&d);
}

static void outbox__rejects__data_error_without_retry(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 5000);
	str_copy(d.target_serial, "NO-SUCH-PRINTER", sizeof d.target_serial);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_REJECTED), JS_REJECTED);
	fx_run_for(f, 200); /* ten retry periods: nothing may happen */
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_int_equal(jd.state, JS_REJECTED);
	assert_int_equal(jd.attempts, 1);
	assert_int_equal(jd.last_error_code, 400);
	assert_non_null(strstr(jd.last_error_text, "target_serial"));
	assert_int_equal(ledger_count(f, d.ext_id), 0);
	document_free(&d);
}

/*
 * created: the fault leaves the document created at the provider, whose
 * callback (naming our ext_id) may settle it before any resend.
 */
static void retried_once_then_delivered(struct fx *f, const char *fault, bool created)
{
	struct document d;
	receipt(&d, 7000);
	set_faults(f, fault);
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	fx_run_until_attempts(f, id, 2, &jd);
	assert_true(jd.attempts >= 2 || (created && jd.state == JS_PROCESSED));
	set_faults(f, "none");
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	state_of(f, id, &jd);
	assert_string_equal(jd.ext_id, d.ext_id);
	assert_int_equal(ledger_count(f, d.ext_id), 1);
	document_free(&d);
}

static void outbox__retries__http500_with_same_ext_id(void **state)
{
	retried_once_then_delivered(*state, "http500=1", false);
}

static void outbox__retries__dropped_reply_with_one_ledger_document(void **state)
{
	/* drop: the sandbox creates the document, then closes without answering */
	retried_once_then_delivered(*state, "drop=1", true);
}

static void outbox__retries__stalled_reply_after_timeout(void **state)
{
	struct fx *f = *state;
	outbox_free(f->ob);
	struct outbox_options o = {.time_unit_ms = 20, .token = TOKEN, .request_timeout_ms = 300};
	f->ob = outbox_new(f->l, f->j, &f->p, &o, NULL);
	assert_non_null(f->ob);
	retried_once_then_delivered(f, "stall=1:2", true);
}

static void outbox__marks__test_document_validated(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 3000);
	d.test = true;
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_VALIDATED), JS_VALIDATED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_string_equal(jd.uuid, "");
	assert_int_equal(ledger_count(f, d.ext_id), 0);
	document_free(&d);
}

static void outbox__refuses__over_refund_locally(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 10000);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	struct journal_doc jd;
	state_of(f, id, &jd);

	struct document r;
	receipt(&r, 10001);
	r.type = RT_REFUND;
	str_copy(r.ref_uuid, jd.uuid, sizeof r.ref_uuid);
	int64_t before = 0, after = 0;
	journal_count(f->j, NULL, &before, NULL);
	int64_t rid = 0;
	struct kerr e = {0};
	assert_int_equal(outbox_submit(f->ob, &r, &rid, &e), K_REFUSED);
	assert_string_equal(e.field, "amount");
	journal_count(f->j, NULL, &after, NULL);
	assert_int_equal(before, after);
	document_free(&r);

	/* the whole amount is fine, and goes through */
	receipt(&r, 10000);
	r.type = RT_REFUND;
	str_copy(r.ref_uuid, jd.uuid, sizeof r.ref_uuid);
	rid = fx_submit(f, &r);
	assert_int_equal(run_until_state(f, rid, JS_PROCESSED), JS_PROCESSED);
	document_free(&r);
	document_free(&d);
}

static void outbox__refuses__invalid_document(void **state)
{
	struct fx *f = *state;
	struct document d;
	document_init(&d, DOC_RECEIPT); /* no lines */
	int64_t id = 0, n = 0;
	struct kerr e = {0};
	assert_int_not_equal(outbox_submit(f->ob, &d, &id, &e), K_OK);
	assert_true(e.text[0] != '\0');
	journal_count(f->j, NULL, &n, NULL);
	assert_int_equal(n, 0);
	document_free(&d);
}

static void outbox__resumes__document_left_sending(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 4200);
	int64_t id = fx_submit(f, &d);
	/* kassa dies after marking it sending, before any reply: nothing ran the loop yet */
	assert_int_equal(journal_mark_sending(f->j, id, NULL), K_OK);
	/* the restart listens where the callback_url points: same port, same token */
	f->p.listen_port = outbox_listener_port(f->ob);
	outbox_free(f->ob);
	assert_int_equal(state_of(f, id, NULL), JS_SENDING);
	fx_outbox(f); /* the restart */
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	assert_int_equal(ledger_count(f, d.ext_id), 1);
	document_free(&d);
}

/* A second kassa on the same journal would resume and resend the first one's documents. */
static void outbox__refuses__second_sender_on_one_journal(void **state)
{
	struct fx *f = *state;
	struct journal *other = NULL;
	assert_int_equal(journal_open(f->jpath, &other, NULL), K_OK);
	struct document d;
	receipt(&d, 3100);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(journal_mark_sending(f->j, id, NULL), K_OK); /* on the wire */
	struct outbox_options o = {.time_unit_ms = 20, .no_listener = true};
	struct kerr e = {0};
	struct outbox *second = outbox_new(f->l, other, &f->p, &o, &e);
	assert_null(second);
	assert_non_null(strstr(e.text, "another kassa"));
	/* the first one's document was left alone */
	assert_int_equal(state_of(f, id, NULL), JS_SENDING);
	journal_close(other);
	document_free(&d);
}

/* A reply that could not be written leaves the document sending: it must not wait for a restart. */
static void outbox__requeues__document_left_sending_while_running(void **state)
{
	struct fx *f = *state;
	f->p.retry_schedule[0] = 3600; /* 18 s of 5 ms "seconds": only the sweep can resend */
	outbox_free(f->ob);
	fx_outbox_unit(f, 5);
	struct document d;
	receipt(&d, 2600);
	set_faults(f, "http500=1");
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	fx_run_until_requeued(f, id, &jd, 3000);
	set_faults(f, "none");
	/* as if the engine had sent it and then failed to record the answer */
	assert_int_equal(journal_mark_sending(f->j, id, NULL), K_OK);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	assert_int_equal(ledger_count(f, d.ext_id), 1);
	document_free(&d);
}

static void outbox__flush__sends_waiting_document_now(void **state)
{
	struct fx *f = *state;
	f->p.retry_schedule[0] = 3600; /* an hour of 20 ms "seconds": 72 s */
	outbox_free(f->ob);
	fx_outbox(f);
	struct document d;
	receipt(&d, 2500);
	set_faults(f, "http500=1");
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	long long end = mono_ms() + 3000;
	do {
		loop_run_once(f->l, 10);
		state_of(f, id, &jd);
	} while (jd.attempts < 1 && mono_ms() < end);
	fx_run_for(f, 100);
	state_of(f, id, &jd);
	assert_int_equal(jd.state, JS_QUEUED);
	assert_int_equal(jd.attempts, 1);
	set_faults(f, "none");
	outbox_flush(f->ob);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	document_free(&d);
}

/* No connection: offline with the reason at once; the next answer of any kind clears it. */
static void outbox__marks__offline_until_the_provider_answers(void **state)
{
	struct fx *f = *state;
	f->p.retry_schedule[0] = 3600; /* only outbox_flush() sends again */
	outbox_free(f->ob);
	fx_outbox(f);
	struct outbox_stats st;
	outbox_stats(f->ob, &st);
	assert_false(st.offline);
	unsigned port = fx_sandbox_down(f);
	struct document d;
	receipt(&d, 2500);
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	fx_run_until_requeued(f, id, &jd, 3000);
	assert_int_equal(jd.state, JS_QUEUED);
	outbox_stats(f->ob, &st);
	assert_true(st.offline);
	assert_non_null(strstr(st.offline_reason, "connection failed"));
	assert_true(st.offline_since > 0);
	/* The provider is back on the same port. */
	fx_sandbox_up(f, port);
	outbox_flush(f->ob);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	outbox_stats(f->ob, &st);
	assert_false(st.offline);
	assert_string_equal(st.offline_reason, "");
	document_free(&d);
}

/*
 * After an outage the open-shift goes alone, before the receipt made after
 * it: sent side by side, the receipt could open the shift at the provider
 * first and the open-shift be refused ("shift already open").
 */
static void outbox__sends__open_shift_alone_before_later_receipts(void **state)
{
	struct fx *f = *state;
	f->p.retry_schedule[0] = 3600; /* only outbox_flush() sends again */
	outbox_free(f->ob);
	fx_outbox(f);
	unsigned port = fx_sandbox_down(f);
	struct document open, d;
	document_init(&open, DOC_OPEN_SHIFT);
	int64_t open_id = fx_submit(f, &open);
	receipt(&d, 2500);
	int64_t id = fx_submit(f, &d);
	struct journal_doc a, b;
	long long end = mono_ms() + 3000;
	do {
		loop_run_once(f->l, 10);
		state_of(f, open_id, &a);
		state_of(f, id, &b);
	} while (
	    (a.attempts < 1 || b.attempts < 1 || a.state != JS_QUEUED || b.state != JS_QUEUED) &&
	    mono_ms() < end);
	assert_int_equal(a.state, JS_QUEUED);
	assert_int_equal(b.state, JS_QUEUED);
	fx_sandbox_up(f, port);
	outbox_flush(f->ob);
	/* While the open-shift is on its way, the receipt waits. */
	end = mono_ms() + 3000;
	bool receipt_beside = false;
	do {
		loop_run_once(f->l, 5);
		state_of(f, open_id, &a);
		state_of(f, id, &b);
		if (a.state == JS_SENDING && b.state == JS_SENDING)
			receipt_beside = true;
	} while (a.state != JS_PROCESSED && !journal_state_final(a.state) && mono_ms() < end);
	assert_false(receipt_beside);
	assert_int_equal(a.state, JS_PROCESSED);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	document_free(&open);
	document_free(&d);
}

static void outbox_token_load__keeps__token_between_starts(void **state)
{
	struct fx *f = *state;
	char path[160], a[LISTENER_TOKEN_LEN + 1], b[LISTENER_TOKEN_LEN + 1];
	snprintf(path, sizeof path, "%s/callback-token", f->dir);
	assert_int_equal(outbox_token_load(path, a, NULL), K_OK);
	assert_int_equal(strlen(a), LISTENER_TOKEN_LEN);
	assert_int_equal(outbox_token_load(path, b, NULL), K_OK);
	assert_string_equal(a, b);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a damaged file is replaced by a fresh token */
	FILE *fp = fopen(path, "w");
	fputs("not a token", fp);
	fclose(fp);
	assert_int_equal(outbox_token_load(path, b, NULL), K_OK);
	assert_string_not_equal(a, b);
}

/* ---- the listener ---- */

struct http {
	bool done;
	long status;
	char body[512];
};

static void on_http(void *cls, const struct net_result *res)
{
	struct http *h = cls;
	h->done = true;
	h->status = res->http_status;
	size_t n = res->body_len < sizeof h->body - 1 ? res->body_len : sizeof h->body - 1;
	if (res->body)
		memcpy(h->body, res->body, n);
	h->body[n] = '\0';
}

static struct http last_reply; /* of post() */

static long post(struct fx *f, const char *path, const char *ct, const char *body)
{
	struct net *n = net_new(f->l, NULL);
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", outbox_listener_port(f->ob), path);
	struct http h = {0};
	assert_non_null(net_post(n, url, ct, body, strlen(body), NULL, on_http, &h));
	long long end = mono_ms() + 5000;
	while (!h.done && mono_ms() < end)
		loop_run_once(f->l, 20);
	net_free(n);
	assert_true(h.done);
	last_reply = h;
	return h.status;
}

static void listener__answers__wrong_token_404(void **state)
{
	struct fx *f = *state;
	assert_int_equal(
	    post(f, "/cb/ffffffffffffffffffffffffffffffff", "application/json", "{\"uuid\":\"x\"}"),
	    404);
	assert_int_equal(post(f, "/other", "application/json", "{}"), 404);
}

static void listener__answers__malformed_400_unknown_uuid_200(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 1000);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	struct journal_doc before;
	state_of(f, id, &before);
	assert_int_equal(post(f, "/cb/" TOKEN, "application/json", "{not json"), 400);
	assert_int_equal(post(f, "/cb/" TOKEN, "application/json", "{\"status\":\"processed\"}"),
			 400);
	/* Issue 11: the reply names the field ("malformed callback: is missing ..." did not). */
	assert_non_null(strstr(last_reply.body, "uuid: is missing from the callback"));
	assert_int_equal(post(f, "/cb/" TOKEN, "application/json",
			      "{\"uuid\":\"00000000-0000-4000-8000-000000000000\","
			      "\"status\":\"error\",\"error_code\":3975}"),
			 200);
	/* a failing callback for our processed document changes nothing either */
	char body[256];
	snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"status\":\"error\",\"error_code\":1}",
		 before.uuid);
	assert_int_equal(post(f, "/cb/" TOKEN, "application/json", body), 200);
	struct journal_doc after;
	state_of(f, id, &after);
	assert_int_equal(after.state, JS_PROCESSED);
	assert_int_equal(after.updated_at, before.updated_at);
	/* the listener keeps serving */
	snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"status\":\"processed\"}", before.uuid);
	assert_int_equal(post(f, "/cb/" TOKEN, "application/json", body), 200);
	document_free(&d);
}

static void listener__refuses__bad_paykeeper_signature_403(void **state)
{
	struct fx *f = *state;
	outbox_free(f->ob);
	config_profile_defaults(&f->p, "pk");
	f->p.provider = KPROVIDER_PAYKEEPER;
	snprintf(f->p.base_url, sizeof f->p.base_url, "http://127.0.0.1:%d", sandbox_port(f->sb));
	str_copy(f->p.user, "sandbox", sizeof f->p.user);
	str_copy(f->p.password, "sandbox", sizeof f->p.password);
	str_copy(f->p.secret, "right-secret", sizeof f->p.secret);
	fx_outbox(f);
	struct form_pair pairs[] = {
	    {(char *)"id", (char *)"1001"},
	    {(char *)"status", (char *)"success"},
	    {(char *)"fop_url", (char *)""},
	};
	char *bad = NULL, *good = NULL;
	assert_int_equal(paykeeper_callback_body(pairs, 3, "wrong-secret", &bad, NULL), K_OK);
	assert_int_equal(paykeeper_callback_body(pairs, 3, "right-secret", &good, NULL), K_OK);
	int before = f->changes;
	assert_int_equal(
	    post(f, "/cb/" TOKEN "/paykeeper", "application/x-www-form-urlencoded", bad), 403);
	assert_int_equal(f->changes, before);
	/* signed right, for a receipt this journal does not know: 200, no effect */
	assert_int_equal(
	    post(f, "/cb/" TOKEN "/paykeeper", "application/x-www-form-urlencoded", good), 200);
	assert_int_equal(f->changes, before);
	int64_t n = 0;
	journal_count(f->j, NULL, &n, NULL);
	assert_int_equal(n, 0);
	free(bad);
	free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(outbox__delivers__receipt_processed_by_callback, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__stores__body_without_credentials, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__rejects__data_error_without_retry, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__retries__http500_with_same_ext_id, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__retries__dropped_reply_with_one_ledger_document,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox__retries__stalled_reply_after_timeout, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__marks__test_document_validated, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__refuses__over_refund_locally, setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox__refuses__invalid_document, setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox__resumes__document_left_sending, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__refuses__second_sender_on_one_journal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__requeues__document_left_sending_while_running,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox__marks__offline_until_the_provider_answers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox__flush__sends_waiting_document_now, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__sends__open_shift_alone_before_later_receipts,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox_token_load__keeps__token_between_starts, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(listener__answers__wrong_token_404, setup, teardown),
	    cmocka_unit_test_setup_teardown(listener__answers__malformed_400_unknown_uuid_200,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(listener__refuses__bad_paykeeper_signature_403, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

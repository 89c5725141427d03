/*
 * The delivery engine with a PayKeeper profile against the in-process
 * sandbox: token, signed callbacks, polls, and the search for a receipt
 * that a lost reply created.
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
/* ---- PayKeeper ---- */

static void pk_profile(struct fx *f, unsigned unit, bool callbacks)
{
	outbox_free(f->ob);
	config_profile_defaults(&f->p, "pk");
	f->p.provider = KPROVIDER_PAYKEEPER;
	snprintf(f->p.base_url, sizeof f->p.base_url, "http://127.0.0.1:%d", sandbox_port(f->sb));
	str_copy(f->p.user, "sandbox", sizeof f->p.user);
	str_copy(f->p.password, "sandbox", sizeof f->p.password);
	str_copy(f->p.secret, "sandbox-secret", sizeof f->p.secret);
	f->p.retry_schedule[0] = f->pk_retry_s ? f->pk_retry_s : 1;
	f->p.retry_count = 1;
	fx_outbox_unit(f, unit);
	if (callbacks) {
		char body[256];
		snprintf(body, sizeof body,
			 "{\"user\":\"sandbox\",\"url\":\"http://127.0.0.1:%u/cb/" TOKEN
			 "/paykeeper\"}",
			 outbox_listener_port(f->ob));
		admin(f, "POST", "/sandbox/paykeeper/callback-url", body, NULL);
	}
}

static int pk_ledger_count(struct fx *f, const char *receipt_key)
{
	json_t *j;
	admin(f, "GET", "/sandbox/ledger", NULL, &j);
	json_t *rs = json_object_get(j, "paykeeper");
	size_t i;
	json_t *r;
	int n = 0;
	json_array_foreach(rs, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "receipt_key"));
		if (k && strcmp(k, receipt_key) == 0)
			n++;
	}
	json_decref(j);
	return n;
}

static void pk_receipt(struct document *d, int64_t price)
{
	receipt(d, price);
	d->basket.lines[0].vat = VAT_VAT20;
	d->basket.lines[0].vat_set = true;
	str_copy(d->customer_email, "buyer@example.com", sizeof d->customer_email);
}

static bool on_poll_row(const struct journal_history_row *r, void *cls)
{
	if (r->source == JSRC_POLL)
		(*(int *)cls)++;
	return true;
}

static bool on_callback_row(const struct journal_history_row *r, void *cls)
{
	if (r->source == JSRC_CALLBACK)
		(*(int *)cls)++;
	return true;
}

/* Status and outcome the sandbox ledger shows for a PayKeeper receipt_key; "" if none. */
static void pk_ledger_status(struct fx *f, const char *receipt_key, char *out, size_t n)
{
	json_t *j;
	admin(f, "GET", "/sandbox/ledger", NULL, &j);
	json_t *rs = json_object_get(j, "paykeeper");
	size_t i;
	json_t *r;
	out[0] = '\0';
	json_array_foreach(rs, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "receipt_key"));
		const char *s = json_string_value(json_object_get(r, "status"));
		if (k && s && strcmp(k, receipt_key) == 0)
			str_copy(out, s, n);
	}
	json_decref(j);
}

/*
 * Issue 15: PayKeeper's "timeout" is final (seed 8, table 8.4.3: "Финальный: да",
 * the receipt was dropped from the queue unprinted). kassa kept it in
 * provider_retry, waiting for a status that never comes.
 */
static void paykeeper__ends__timeout_receipt_as_final_failure(void **state)
{
	struct fx *f = *state;
	pk_profile(f, 20, true);
	set_faults(f, "{\"faults\":\"error=1\",\"seed\":7}");
	bool seen = false;
	for (int k = 0; k < 20 && !seen; k++) {
		struct document d;
		pk_receipt(&d, 1000 + k);
		int64_t id = fx_submit(f, &d);
		char st[32] = "";
		long long end = mono_ms() + 5000;
		while (mono_ms() < end) {
			loop_run_once(f->l, 10);
			pk_ledger_status(f, d.ext_id, st, sizeof st);
			if (!strcmp(st, "timeout") || !strcmp(st, "failed") ||
			    !strcmp(st, "rejected"))
				break;
		}
		if (strcmp(st, "timeout") == 0) {
			seen = true;
			enum journal_state js = run_until_state(f, id, JS_FAILED);
			assert_int_equal(js, JS_FAILED);
			struct journal_doc jd;
			state_of(f, id, &jd);
			assert_non_null(strstr(jd.last_error_text, "timeout"));
		} else {
			assert_int_equal(run_until_state(f, id, JS_FAILED), JS_FAILED);
		}
		document_free(&d);
	}
	assert_true(seen);
}

static void paykeeper__delivers__receipt_processed_by_signed_callback(void **state)
{
	struct fx *f = *state;
	pk_profile(f, 20, true);
	struct document d;
	pk_receipt(&d, 12300);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_true(jd.provider_receipt_id[0] != '\0');
	assert_int_equal(pk_ledger_count(f, d.ext_id), 1);
	int callbacks = 0;
	journal_history(f->j, id, on_callback_row, &callbacks, NULL);
	assert_int_equal(callbacks, 1);
	/* the journal holds no token and no password */
	struct journal_doc full;
	memset(&full, 0, sizeof full);
	journal_get(f->j, id, &full, NULL);
	assert_null(strstr(full.body, "token="));
	journal_doc_free(&full);
	document_free(&d);
}

static bool on_attempt_401(const struct journal_attempt_row *r, void *cls)
{
	if (r->http_status == 401 && strstr(r->error, "PayKeeper token"))
		(*(int *)cls)++;
	return true;
}

/* Issue 11: a refused token left no trace without -v. */
static void paykeeper__records__token_failure_as_attempt(void **state)
{
	struct fx *f = *state;
	pk_profile(f, 20, false);
	outbox_free(f->ob);
	str_copy(f->p.password, "wrong-password", sizeof f->p.password);
	fx_outbox_unit(f, 20);
	struct document d;
	pk_receipt(&d, 4500);
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	long long end = mono_ms() + 5000;
	do {
		loop_run_once(f->l, 20);
		state_of(f, id, &jd);
	} while (jd.attempts == 0 && mono_ms() < end);
	assert_int_equal(jd.state, JS_QUEUED);
	assert_true(jd.attempts >= 1);
	assert_non_null(strstr(jd.last_error_text, "PayKeeper token: HTTP 401"));
	int rows = 0;
	assert_int_equal(journal_attempts(f->j, id, on_attempt_401, &rows, NULL), K_OK);
	assert_true(rows >= 1);
	assert_int_equal(pk_ledger_count(f, d.ext_id), 0);
	document_free(&d);
}

static void paykeeper__polls__receipt_without_callback(void **state)
{
	struct fx *f = *state;
	pk_profile(f, 5, false); /* first poll after 120 "s" = 600 ms */
	struct document d;
	pk_receipt(&d, 4500);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	int polls = 0;
	assert_int_equal(journal_history(f->j, id, on_poll_row, &polls, NULL), K_OK);
	assert_int_equal(polls, 1); /* processed by a poll: no callback URL is set */
	assert_int_equal(pk_ledger_count(f, d.ext_id), 1);
	document_free(&d);
}

static void paykeeper__finds__receipt_of_a_lost_reply(void **state)
{
	struct fx *f = *state;
	pk_profile(f, 20, true);
	/* fetch the token first, so the drop hits the print request */
	struct document warm;
	pk_receipt(&warm, 100);
	int64_t wid = fx_submit(f, &warm);
	assert_int_equal(run_until_state(f, wid, JS_PROCESSED), JS_PROCESSED);
	struct document d;
	pk_receipt(&d, 9900);
	set_faults(f, "drop=1");
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	fx_run_until_attempts(f, id, 1, &jd);
	fx_run_for(f, 30);
	set_faults(f, "none");
	/* the resend is refused as a repeat of receipt_key; kassa finds the first one */
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	state_of(f, id, &jd);
	assert_true(jd.attempts >= 2);
	assert_int_equal(pk_ledger_count(f, d.ext_id), 1);
	document_free(&d);
	document_free(&warm);
}

/*
 * PayKeeper lists newest first: receipts made after the lost one push it off
 * the first page of the search, which must go on to the next pages instead
 * of calling the resend a rejection (and the cashier making a second one).
 */
static void paykeeper__finds__lost_receipt_past_the_first_page(void **state)
{
	struct fx *f = *state;
	f->recover_page = 1;
	f->pk_retry_s = 25; /* 500 ms: the others go out before the resend */
	pk_profile(f, 20, true);
	struct document warm;
	pk_receipt(&warm, 100);
	int64_t wid = fx_submit(f, &warm);
	assert_int_equal(run_until_state(f, wid, JS_PROCESSED), JS_PROCESSED);
	struct document d;
	pk_receipt(&d, 7700);
	set_faults(f, "drop=1");
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	fx_run_until_requeued(f, id, &jd, 5000);
	set_faults(f, "none");
	struct document later[2];
	for (int i = 0; i < 2; i++) {
		pk_receipt(&later[i], 1000 + i);
		int64_t lid = fx_submit(f, &later[i]);
		assert_int_equal(run_until_state(f, lid, JS_PROCESSED), JS_PROCESSED);
	}
	state_of(f, id, &jd);
	assert_int_equal(jd.attempts, 1); /* the resend has not happened yet */
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	assert_int_equal(pk_ledger_count(f, d.ext_id), 1);
	for (int i = 0; i < 2; i++)
		document_free(&later[i]);
	document_free(&d);
	document_free(&warm);
}

static void provider_search_days__start__the_day_before_the_document(void **state)
{
	(void)state;
	time_t now = 1700000000; /* 2023-11-14 */
	char start[11], end[11], want[11];
	/* a document from three days ago: its day before, up to tomorrow */
	provider_search_days((int64_t)(now - 3 * 86400) * 1000, now, start, end);
	struct tm tm;
	time_t t = now - 4 * 86400;
	localtime_r(&t, &tm);
	strftime(want, sizeof want, "%Y-%m-%d", &tm);
	assert_string_equal(start, want);
	t = now + 86400;
	localtime_r(&t, &tm);
	strftime(want, sizeof want, "%Y-%m-%d", &tm);
	assert_string_equal(end, want);
	/* unknown creation time: yesterday */
	provider_search_days(0, now, start, end);
	t = now - 86400;
	localtime_r(&t, &tm);
	strftime(want, sizeof want, "%Y-%m-%d", &tm);
	assert_string_equal(start, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(paykeeper__finds__lost_receipt_past_the_first_page,
					    setup, teardown),
	    cmocka_unit_test(provider_search_days__start__the_day_before_the_document),
	    cmocka_unit_test_setup_teardown(
		paykeeper__delivers__receipt_processed_by_signed_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__records__token_failure_as_attempt, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__polls__receipt_without_callback, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__finds__receipt_of_a_lost_reply, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__ends__timeout_receipt_as_final_failure,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Every provider outcome the sandbox can produce in training (issue 15):
 * "awaiting retry" then final, 6095, 3975 and the POS terminal's approved,
 * declined and timeout, each driven by a sandbox fault through the admin
 * endpoint, checked by what the journal records. The fixture is
 * test_outbox.c's (strict sandbox over loopback, real callbacks).
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

/* ---- every provider outcome (issue 15, item 5) ---- */

static bool on_row(const struct journal_history_row *r, void *cls)
{
	char *out = cls;
	char line[JOURNAL_TEXT_MAX + 64];
	snprintf(line, sizeof line, "%s<%s>%s|", journal_state_word(r->to),
		 r->source == JSRC_CALLBACK ? "callback" : "other", r->detail);
	strncat(out, line, 4095 - strlen(out));
	return true;
}

/* The journal's history of a document as "state<source>detail|..." */
static void history(struct fx *f, int64_t id, char out[4096])
{
	out[0] = '\0';
	assert_int_equal(journal_history(f->j, id, on_row, out, NULL), K_OK);
}

static void pos_receipt(struct document *d, int slips)
{
	receipt(d, 25000);
	d->pos_set = true;
	d->pos_perform = 1;
	d->pos_slip_count = slips;
}

/* "Awaiting retry" first (journal: provider_retry, by callback), then processed. */
static void lifepay__records__awaiting_retry_then_final_callback(void **state)
{
	struct fx *f = *state;
	set_faults(f, "retry=1");
	struct document d;
	receipt(&d, 15000);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	char h[4096];
	history(f, id, h);
	const char *retry = strstr(h, "provider_retry<callback>");
	assert_non_null(retry);
	assert_non_null(strstr(retry, "processed<callback>"));
	document_free(&d);
}

/* 6095 "Доступ запрещен.": refused at once, final, the code kept. */
static void lifepay__records__6095_denied_as_rejected(void **state)
{
	struct fx *f = *state;
	set_faults(f, "denied=1");
	struct document d;
	receipt(&d, 15000);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_REJECTED), JS_REJECTED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_int_equal(jd.last_error_code, 6095);
	assert_non_null(strstr(jd.last_error_text, "Доступ запрещен"));
	assert_int_equal(ledger_count(f, d.ext_id), 0); /* nothing was created */
	document_free(&d);
}

/* 3975 from the FN: failed by the error callback, the overview's text kept. */
static void lifepay__records__3975_as_failed_with_the_fn_text(void **state)
{
	struct fx *f = *state;
	set_faults(f, "fn3975=1");
	struct document d;
	receipt(&d, 15000);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_FAILED), JS_FAILED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_int_equal(jd.last_error_code, 3975);
	assert_non_null(strstr(jd.last_error_text, "Некорректное значение параметров команды ФН"));
	document_free(&d);
}

static void lifepay__records__pos_approved_as_processed(void **state)
{
	struct fx *f = *state;
	struct document d;
	pos_receipt(&d, 2);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_int_equal(jd.last_error_code, 0);
	document_free(&d);
}

/* A declined card: failed, and the history says nothing was charged. */
static void lifepay__records__pos_declined_as_not_charged(void **state)
{
	struct fx *f = *state;
	set_faults(f, "pos_decline=1");
	struct document d;
	pos_receipt(&d, 2);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_FAILED), JS_FAILED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_non_null(strstr(jd.last_error_text, "POS terminal declined the card"));
	assert_non_null(strstr(jd.last_error_text, "Операция по POS-терминалу отклонена"));
	document_free(&d);
}

/* No answer from the terminal: failed, with the slips asked for and a warning
 * that the card may have been charged (the cashier checks before charging again). */
static void lifepay__records__pos_timeout_with_slip_count(void **state)
{
	struct fx *f = *state;
	set_faults(f, "pos_timeout=1");
	struct document d;
	pos_receipt(&d, 2);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_FAILED), JS_FAILED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_non_null(strstr(jd.last_error_text, "POS terminal timeout, 2 slip(s)"));
	assert_non_null(strstr(jd.last_error_text, "may have been charged"));
	char h[4096];
	history(f, id, h);
	assert_non_null(strstr(h, "failed<callback>POS terminal timeout"));
	document_free(&d);
}

/* ---- FFD 1.2 marked goods (issue 15, item 7) ---- */

static void ffd12_profile(struct fx *f)
{
	outbox_free(f->ob);
	f->p.ffd12 = true;
	fx_outbox(f);
}

/* ffd = 1.2: the marked pack goes to /cloud-print-ffd1_2/ with its code (GS kept). */
static void lifepay__ffd12__sends_marked_pack_with_its_code(void **state)
{
	struct fx *f = *state;
	ffd12_profile(f);
	struct document d;
	receipt(&d, 12900);
	str_copy(d.basket.lines[0].marking,
		 "010460043993125621JgXJ5.T\x1d"
		 "91EE06\x1d"
		 "92abc",
		 sizeof d.basket.lines[0].marking);
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	memset(&jd, 0, sizeof jd);
	assert_int_equal(journal_get(f->j, id, &jd, NULL), K_OK);
	if (!strstr(jd.body, "\"marking_code\":\"010460043993125621JgXJ5.T\\u001d91EE06") &&
	    !strstr(jd.body, "\"marking_code\":\"010460043993125621JgXJ5.T\\u001D91EE06"))
		fail_msg("body: %s", jd.body);
	assert_non_null(strstr(jd.body, "\"item_type\":33"));
	journal_doc_free(&jd);
	/* the strict sandbox takes marking codes on the FFD 1.2 path only */
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	assert_int_equal(ledger_count(f, d.ext_id), 1);
	document_free(&d);
}

/* A marked good without its code is refused before anything is sent, naming the product. */
static void lifepay__ffd12__refuses_marked_good_without_code(void **state)
{
	struct fx *f = *state;
	ffd12_profile(f);
	struct document d;
	receipt(&d, 12900);
	d.basket.lines[0].object = 33;
	int64_t id = 0;
	struct kerr e = {0};
	assert_int_equal(outbox_submit(f->ob, &d, &id, &e), K_INVALID);
	assert_string_equal(e.field, "purchase.products[0].marking_code");
	assert_non_null(strstr(e.text, "scan the code"));
	assert_int_equal(id, 0);
	document_free(&d);
}

/* The profile switch: ffd = 1.2 (or 1.05, the default); anything else names the key. */
static void config__reads_the_ffd_switch(void **state)
{
	struct fx *f = *state;
	char path[160];
	snprintf(path, sizeof path, "%s/config.ini", f->dir);
	static const char *const texts[] = {
	    "[profile.shop]\nprovider = lifepay\nbase_url = http://127.0.0.1:9\nlogin = "
	    "70000000000\napikey = k\nffd = 1.2\n",
	    "[profile.shop]\nprovider = lifepay\nbase_url = http://127.0.0.1:9\nlogin = "
	    "70000000000\napikey = k\nffd = 2\n"};
	for (int i = 0; i < 2; i++) {
		FILE *fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(texts[i], fp);
		fclose(fp);
		assert_int_equal(chmod(path, 0600), 0);
		struct config *cfg = NULL;
		struct kerr e = {0};
		kstatus st = config_load(path, &cfg, &e);
		if (i == 0) {
			assert_int_equal(st, K_OK);
			assert_true(config_profile_find(cfg, "shop")->ffd12);
		} else {
			assert_int_equal(st, K_INVALID);
			assert_non_null(strstr(e.text, "ffd"));
			assert_non_null(strstr(e.text, "1.05 or 1.2"));
		}
		config_free(cfg);
	}
	struct config_profile dflt;
	config_profile_defaults(&dflt, "x");
	assert_false(dflt.ffd12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(lifepay__records__awaiting_retry_then_final_callback,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(lifepay__records__6095_denied_as_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(lifepay__records__3975_as_failed_with_the_fn_text,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(lifepay__records__pos_approved_as_processed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(lifepay__records__pos_declined_as_not_charged, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(lifepay__records__pos_timeout_with_slip_count, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(lifepay__ffd12__sends_marked_pack_with_its_code, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(lifepay__ffd12__refuses_marked_good_without_code, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(config__reads_the_ffd_switch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

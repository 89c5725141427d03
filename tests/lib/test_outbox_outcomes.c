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

/* One provider outcome: the sandbox fault that causes it and what the journal keeps. */
struct outcome_case {
	const char *name;
	const char *faults;	    /* NULL: none */
	int pos_slips;		    /* 0: a plain receipt, else paid at the POS terminal */
	enum journal_state want;    /* the final state */
	int code;		    /* last_error_code, -1: not checked */
	const char *text[2];	    /* in last_error_text */
	const char *history[2];	    /* in the history, the second after the first */
	bool nothing_in_the_ledger; /* refused before anything was created */
};

static const struct outcome_case outcomes[] = {
    {.name = "awaiting retry (provider_retry, by callback), then processed",
     .faults = "retry=1",
     .want = JS_PROCESSED,
     .code = -1,
     .history = {"provider_retry<callback>", "processed<callback>"}},
    {.name = "6095 \"Доступ запрещен.\": refused at once, final, the code kept",
     .faults = "denied=1",
     .want = JS_REJECTED,
     .code = 6095,
     .text = {"Доступ запрещен"},
     .nothing_in_the_ledger = true},
    {.name = "3975 from the FN: failed by the error callback, the overview's text kept",
     .faults = "fn3975=1",
     .want = JS_FAILED,
     .code = 3975,
     .text = {"Некорректное значение параметров команды ФН"}},
    {.name = "POS terminal approved: processed", .pos_slips = 2, .want = JS_PROCESSED},
    {.name = "a declined card: failed, and the text says nothing was charged",
     .faults = "pos_decline=1",
     .pos_slips = 2,
     .want = JS_FAILED,
     .code = -1,
     .text = {"POS terminal declined the card", "Операция по POS-терминалу отклонена"}},
    /* the cashier checks before charging again */
    {.name = "no answer from the terminal: failed, with the slips and a may-be-charged warning",
     .faults = "pos_timeout=1",
     .pos_slips = 2,
     .want = JS_FAILED,
     .code = -1,
     .text = {"POS terminal timeout, 2 slip(s)", "may have been charged"},
     .history = {"failed<callback>POS terminal timeout"}},
};

static void check_outcome(struct fx *f, const struct outcome_case *c)
{
	if (c->faults)
		set_faults(f, c->faults);
	struct document d;
	if (c->pos_slips)
		pos_receipt(&d, c->pos_slips);
	else
		receipt(&d, 15000);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, c->want), c->want);
	struct journal_doc jd;
	state_of(f, id, &jd);
	if (c->code >= 0)
		assert_int_equal(jd.last_error_code, c->code);
	for (size_t i = 0; i < 2 && c->text[i]; i++)
		assert_non_null(strstr(jd.last_error_text, c->text[i]));
	if (c->history[0]) {
		char h[4096];
		history(f, id, h);
		const char *first = strstr(h, c->history[0]);
		assert_non_null(first);
		if (c->history[1])
			assert_non_null(strstr(first, c->history[1]));
	}
	if (c->nothing_in_the_ledger)
		assert_int_equal(ledger_count(f, d.ext_id), 0);
	document_free(&d);
}

/* Each outcome on a fresh fixture (journal, sandbox, outbox). */
static void lifepay__records__each_provider_outcome(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
		print_message("outcome: %s\n", outcomes[i].name);
		void *fx = NULL;
		assert_int_equal(setup(&fx), 0);
		check_outcome(fx, &outcomes[i]);
		teardown(&fx);
	}
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
	    cmocka_unit_test(lifepay__records__each_provider_outcome),
	    cmocka_unit_test_setup_teardown(lifepay__ffd12__sends_marked_pack_with_its_code, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(lifepay__ffd12__refuses_marked_good_without_code, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(config__reads_the_ffd_switch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

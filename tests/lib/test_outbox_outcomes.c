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

#define TOKEN "0123456789abcdef0123456789abcdef"

struct fx {
	char dir[64];
	char jpath[128];
	struct sandbox *sb;
	struct loop *l;
	struct journal *j;
	struct config_profile p;
	struct outbox *ob;
	int changes;
	size_t recover_page; /* 0 = the default */
	int64_t pk_retry_s;  /* PayKeeper retry schedule, 0 = 1 */
};

static void on_change(void *cls, int64_t id)
{
	(void)id;
	((struct fx *)cls)->changes++;
}

static void on_log(void *cls, const char *line)
{
	(void)cls;
	fprintf(stderr, "outbox: %s\n", line);
}

static void fx_outbox_unit(struct fx *f, unsigned unit)
{
	struct outbox_options o = {.time_unit_ms = unit,
				   .token = TOKEN,
				   .request_timeout_ms = 3000,
				   .recover_page = f->recover_page,
				   .log = getenv("OUTBOX_LOG") ? on_log : NULL};
	struct kerr e = {0};
	f->ob = outbox_new(f->l, f->j, &f->p, &o, &e);
	if (!f->ob)
		fail_msg("outbox_new: %s: %s", e.field, e.text);
	outbox_set_listener(f->ob, on_change, f);
}

static void fx_outbox(struct fx *f)
{
	fx_outbox_unit(f, 20);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/kassa-outbox-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->jpath, sizeof f->jpath, "%s/journal.db", f->dir);
	struct sandbox_options so = {
	    .listen = "127.0.0.1:0",
	    .callback_delay_ms = 20,
	    .paykeeper_step_ms = 20,
	    .strict = true}; /* kassa's own requests: nothing the strict sandbox refuses */
	struct kerr e = {0};
	f->sb = sandbox_start(&so, &e);
	if (!f->sb) {
		fprintf(stderr, "sandbox_start: %s\n", e.text);
		return -1;
	}
	if (journal_open(f->jpath, &f->j, &e) != K_OK) {
		fprintf(stderr, "journal_open: %s\n", e.text);
		return -1;
	}
	f->l = loop_new();
	config_training_profile(&f->p, (unsigned)sandbox_port(f->sb));
	f->p.retry_schedule[0] = 1; /* one "second" = 20 ms here */
	f->p.retry_count = 1;
	fx_outbox(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	outbox_free(f->ob);
	journal_close(f->j);
	loop_free(f->l);
	sandbox_stop(f->sb);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static void admin(struct fx *f, const char *method, const char *path, const char *body,
		  json_t **out)
{
	struct sandbox_request rq = {
	    .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0};
	struct sandbox_reply rp;
	sandbox_handle(f->sb, &rq, &rp);
	assert_int_equal(rp.http_status, 200);
	if (out) {
		*out = json_loads(rp.body, 0, NULL);
		assert_non_null(*out);
	}
	sandbox_reply_free(&rp);
}

static void set_faults(struct fx *f, const char *spec)
{
	admin(f, "POST", "/sandbox/faults", spec, NULL);
}

/* How many ledger documents carry ext_id. */
static int ledger_count(struct fx *f, const char *ext_id)
{
	json_t *j;
	admin(f, "GET", "/sandbox/ledger", NULL, &j);
	json_t *docs = json_object_get(j, "documents");
	size_t i;
	json_t *d;
	int n = 0;
	json_array_foreach(docs, i, d)
	{
		const char *e = json_string_value(json_object_get(d, "ext_id"));
		if (e && strcmp(e, ext_id) == 0)
			n++;
	}
	json_decref(j);
	return n;
}

static void receipt(struct document *d, int64_t price)
{
	document_init(d, DOC_RECEIPT);
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, "Хлеб", sizeof l.name);
	l.price = price;
	l.qty = 1000;
	struct kerr e = {0};
	assert_int_equal(basket_add(&d->basket, &l, &e), K_OK);
	d->pay.card.kind = PAY_REMAINDER;
}

static enum journal_state state_of(struct fx *f, int64_t id, struct journal_doc *out)
{
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	assert_int_equal(journal_get(f->j, id, &d, NULL), K_OK);
	enum journal_state s = d.state;
	if (out) {
		*out = d;
		out->body = NULL;
	}
	journal_doc_free(&d);
	return s;
}

/* Runs the loop until id reaches want (or any final state), at most 5 s. */
static enum journal_state run_until_state(struct fx *f, int64_t id, enum journal_state want)
{
	long long end = mono_ms() + 5000;
	enum journal_state s;
	while ((s = state_of(f, id, NULL)) != want && !journal_state_final(s) && mono_ms() < end)
		loop_run_once(f->l, 20);
	return s;
}

static int64_t submit(struct fx *f, struct document *d)
{
	int64_t id = 0;
	struct kerr e = {0};
	kstatus st = outbox_submit(f->ob, d, &id, &e);
	if (st != K_OK)
		fail_msg("outbox_submit: %s: %s", e.field, e.text);
	return id;
}

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
	int64_t id = submit(f, &d);
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
	int64_t id = submit(f, &d);
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
	int64_t id = submit(f, &d);
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
	int64_t id = submit(f, &d);
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
	int64_t id = submit(f, &d);
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
	int64_t id = submit(f, &d);
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
	int64_t id = submit(f, &d);
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

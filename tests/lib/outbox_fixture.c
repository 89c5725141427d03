/* The delivery engine tests' fixture: see outbox_fixture.h. */
#include "outbox_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

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

void fx_outbox_unit(struct fx *f, unsigned unit)
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

void fx_outbox(struct fx *f)
{
	fx_outbox_unit(f, 20);
}

int setup(void **state)
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

int teardown(void **state)
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

void admin(struct fx *f, const char *method, const char *path, const char *body, json_t **out)
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

void set_faults(struct fx *f, const char *spec)
{
	admin(f, "POST", "/sandbox/faults", spec, NULL);
}

/* How many ledger documents carry ext_id. */
int ledger_count(struct fx *f, const char *ext_id)
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

void receipt(struct document *d, int64_t price)
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

enum journal_state state_of(struct fx *f, int64_t id, struct journal_doc *out)
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
enum journal_state run_until_state(struct fx *f, int64_t id, enum journal_state want)
{
	long long end = mono_ms() + 5000;
	enum journal_state s;
	while ((s = state_of(f, id, NULL)) != want && !journal_state_final(s) && mono_ms() < end)
		loop_run_once(f->l, 20);
	return s;
}

/* Runs the loop for ms milliseconds. */
void fx_run_for(struct fx *f, long long ms)
{
	long long end = mono_ms() + ms;
	while (mono_ms() < end)
		loop_run_once(f->l, 10);
}

/* Submits d; fails the test when the outbox refuses it. */
int64_t fx_submit(struct fx *f, struct document *d)
{
	int64_t id = 0;
	struct kerr e = {0};
	kstatus st = outbox_submit(f->ob, d, &id, &e);
	if (st != K_OK)
		fail_msg("outbox_submit: %s: %s", e.field, e.text);
	return id;
}

/* Runs the loop until id has n attempts recorded or a final state, at most 5 s; jd gets the row. */
void fx_run_until_attempts(struct fx *f, int64_t id, int n, struct journal_doc *jd)
{
	long long end = mono_ms() + 5000;
	do {
		loop_run_once(f->l, 10);
		state_of(f, id, jd);
	} while (jd->attempts < n && !journal_state_final(jd->state) && mono_ms() < end);
}

void fx_run_until_requeued(struct fx *f, int64_t id, struct journal_doc *jd, long long ms)
{
	long long end = mono_ms() + ms;
	do {
		loop_run_once(f->l, 10);
		state_of(f, id, jd);
	} while ((jd->attempts < 1 || jd->state != JS_QUEUED) && mono_ms() < end);
}

unsigned fx_sandbox_down(struct fx *f)
{
	unsigned port = (unsigned)sandbox_port(f->sb);
	sandbox_stop(f->sb);
	f->sb = NULL;
	return port;
}

void fx_sandbox_up(struct fx *f, unsigned port)
{
	char listen[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
	struct sandbox_options so = {.listen = listen, .callback_delay_ms = 20, .strict = true};
	struct kerr e = {0};
	f->sb = sandbox_start(&so, &e);
	assert_non_null(f->sb);
}

/*
 * The delivery engine against a scripted LifePay stand-in answering
 * envelope codes the sandbox never sends (429, 500), and callbacks of
 * lost replies.
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
/* ---- a scripted LifePay stand-in: envelope codes the sandbox never sends ---- */

struct fake {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	int first_code; /* the envelope code of the first `bad` replies */
	int bad;	/* how many replies carry first_code */
	int requests;
	char ext_ids[8][EXT_ID_MAX + 1];
};

struct fake_req {
	char *body;
	size_t len;
};

static enum MHD_Result on_fake(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **ctx)
{
	(void)url;
	(void)method;
	(void)version;
	struct fake *fk = cls;
	struct fake_req *r = *ctx;
	if (!r) {
		*ctx = calloc(1, sizeof *r);
		return MHD_YES;
	}
	if (*size) {
		r->body = realloc(r->body, r->len + *size + 1);
		memcpy(r->body + r->len, data, *size);
		r->len += *size;
		r->body[r->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	json_t *req = r->body ? json_loads(r->body, 0, NULL) : NULL;
	const char *ext = req ? json_string_value(json_object_get(req, "ext_id")) : NULL;
	pthread_mutex_lock(&fk->mu);
	int n = fk->requests++;
	if (n < 8 && ext)
		str_copy(fk->ext_ids[n], ext, sizeof fk->ext_ids[n]);
	int code = n < fk->bad ? fk->first_code : 0;
	pthread_mutex_unlock(&fk->mu);
	json_decref(req);
	char body[256];
	if (code)
		snprintf(body, sizeof body,
			 "{\"code\":%d,\"message\":\"scripted %d\",\"data\":null}", code, code);
	else
		snprintf(body, sizeof body,
			 "{\"code\":0,\"message\":\"\",\"data\":{\"uuid\":\"fake-uuid-1\"}}");
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_fake_done(void *cls, struct MHD_Connection *c, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct fake_req *r = *ctx;
	if (r) {
		free(r->body);
		free(r);
	}
	*ctx = NULL;
}

/* Points the engine at a stand-in answering `bad` times with code, then accepting. */
static void fake_start(struct fx *f, struct fake *fk, int code, int bad)
{
	memset(fk, 0, sizeof *fk);
	pthread_mutex_init(&fk->mu, NULL);
	fk->first_code = code;
	fk->bad = bad;
	fk->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				 on_fake, fk, MHD_OPTION_NOTIFY_COMPLETED, on_fake_done, NULL,
				 MHD_OPTION_END);
	assert_non_null(fk->d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(fk->d, MHD_DAEMON_INFO_BIND_PORT);
	outbox_free(f->ob);
	snprintf(f->p.base_url, sizeof f->p.base_url, "http://127.0.0.1:%u", (unsigned)info->port);
	fx_outbox(f);
}

static void fake_stop(struct fake *fk)
{
	MHD_stop_daemon(fk->d);
	pthread_mutex_destroy(&fk->mu);
}

struct attempts {
	int n;
	struct journal_attempt_row rows[8];
};

static bool on_attempt(const struct journal_attempt_row *row, void *cls)
{
	struct attempts *a = cls;
	if (a->n < 8)
		a->rows[a->n++] = *row;
	return true;
}

static void envelope_code_is_retried(struct fx *f, int code)
{
	struct fake fk;
	fake_start(f, &fk, code, 1);
	struct document d;
	receipt(&d, 4200);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_ACCEPTED), JS_ACCEPTED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_string_equal(jd.uuid, "fake-uuid-1");
	assert_int_equal(jd.attempts, 2);
	assert_false(jd.flagged);
	struct attempts a = {0};
	assert_int_equal(journal_attempts(f->j, id, on_attempt, &a, NULL), K_OK);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.rows[0].http_status, 200);
	assert_int_equal(a.rows[0].provider_code, code);
	assert_non_null(strstr(a.rows[0].error, "scripted"));
	assert_int_equal(a.rows[1].provider_code, 0);
	pthread_mutex_lock(&fk.mu);
	assert_int_equal(fk.requests, 2);
	assert_string_equal(fk.ext_ids[0], d.ext_id);
	assert_string_equal(fk.ext_ids[1], d.ext_id);
	pthread_mutex_unlock(&fk.mu);
	outbox_free(f->ob);
	f->ob = NULL;
	fake_stop(&fk);
	document_free(&d);
}

static void outbox__retries__envelope_429_with_same_ext_id(void **state)
{
	envelope_code_is_retried(*state, 429);
}

static void outbox__retries__envelope_500_with_same_ext_id(void **state)
{
	envelope_code_is_retried(*state, 500);
}

static void outbox__flags__rejection_after_an_unanswered_attempt(void **state)
{
	struct fx *f = *state;
	struct document d;
	receipt(&d, 5000);
	str_copy(d.target_serial, "NO-SUCH-PRINTER", sizeof d.target_serial);
	set_faults(f, "http500=1");
	int64_t id = fx_submit(f, &d);
	struct journal_doc jd;
	fx_run_until_attempts(f, id, 1, &jd);
	long long end = mono_ms() + 5000;
	while (jd.state == JS_SENDING && mono_ms() < end) {
		loop_run_once(f->l, 10);
		state_of(f, id, &jd);
	}
	set_faults(f, "none");
	assert_int_equal(run_until_state(f, id, JS_REJECTED), JS_REJECTED);
	state_of(f, id, &jd);
	assert_true(jd.attempts >= 2);
	assert_int_equal(jd.last_error_code, 400);
	assert_true(jd.flagged);
	struct journal_filter flt = {.flagged_only = true};
	int64_t n = 0;
	assert_int_equal(journal_count(f->j, &flt, &n, NULL), K_OK);
	assert_int_equal(n, 1);
	document_free(&d);
}

static void outbox__applies__callback_of_a_lost_reply_by_ext_id(void **state)
{
	struct fx *f = *state;
	/* the resend would come only after 1000 "seconds" (20 s): the callback must do it */
	outbox_free(f->ob);
	f->p.retry_schedule[0] = 1000;
	fx_outbox(f);
	set_faults(f, "drop=1");
	struct document d;
	receipt(&d, 6100);
	int64_t id = fx_submit(f, &d);
	assert_int_equal(run_until_state(f, id, JS_PROCESSED), JS_PROCESSED);
	struct journal_doc jd;
	state_of(f, id, &jd);
	assert_int_equal(jd.attempts, 1);
	assert_true(jd.uuid[0] != '\0');
	assert_false(jd.flagged);
	assert_int_equal(ledger_count(f, d.ext_id), 1);
	set_faults(f, "none");
	document_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(outbox__retries__envelope_429_with_same_ext_id, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__retries__envelope_500_with_same_ext_id, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(outbox__flags__rejection_after_an_unanswered_attempt,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(outbox__applies__callback_of_a_lost_reply_by_ext_id,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

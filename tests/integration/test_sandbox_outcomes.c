/*
 * Every LifePay outcome a client must handle, reachable through the faults:
 * an "awaiting retry" callback followed by the final one (retry), code 6095
 * (denied), the FN's 3975 (fn3975) and the POS terminal's approved, declined
 * and timed-out card payments with their slip_count (pos_decline,
 * pos_timeout). Each callback is read with the client's own parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "jsonx.h"
#include "util.h"
#include "wire/lifepay.h"

#define AUTH "\"apikey\":\"sandbox-apikey\",\"login\":\"70000000000\""
#define RECEIPT "/cloud-print/create-receipt"
#define FAST 1000 /* time scale 0.001 */

/* A receipt with a callback to l; pos adds pos.perform=1 with that many slips (-1: none). */
static json_t *send_receipt(struct sandbox *sb, struct listener *l, const char *ext, int pos)
{
	char body[1024], posj[64] = "";
	if (pos >= 0)
		snprintf(posj, sizeof posj, ",\"pos\":{\"perform\":1,\"slip_count\":%d}", pos);
	snprintf(
	    body, sizeof body,
	    "{" AUTH ",\"ext_id\":\"%s\",\"card_amount\":\"#\",\"callback_url\":\"%s\"%s,"
	    "\"purchase\":{\"products\":[{\"name\":\"Хлеб\",\"price\":45.50,\"quantity\":2}]}}",
	    ext, listener_url(l, "/cb"), posj);
	return lp_call(sb, RECEIPT, body);
}

static struct sandbox *start(const char *faults)
{
	struct sandbox_options o = {.time_scale = FAST,
				    .faults = faults,
				    .seed = 7,
				    .seed_set = true,
				    .callback_delay_ms = 20,
				    .conn_timeout_s = 2,
				    .strict = true};
	return sbt_start_opts(&o);
}

/* Callback i of l, parsed by the client; its raw JSON in *raw (free both). */
static struct lifepay_callback callback(struct listener *l, size_t i, json_t **raw)
{
	struct lrec rec = listener_get(l, i);
	struct lifepay_callback cb;
	assert_int_equal(
	    wire_lifepay_parse_callback(rec.content_type, rec.body, strlen(rec.body), &cb, NULL),
	    K_OK);
	if (raw) {
		/* data=<urlencoded JSON>: the client's parser already proved it; read pos here. */
		char *data = NULL;
		const char *eq = strstr(rec.body, "data=");
		assert_non_null(eq);
		size_t n = 0;
		data = xmalloc(strlen(eq));
		for (const char *p = eq + 5; *p && *p != '&'; p++) {
			if (*p == '%' && p[1] && p[2]) {
				char hex[3] = {p[1], p[2], 0};
				data[n++] = (char)strtol(hex, NULL, 16);
				p += 2;
			} else {
				data[n++] = *p == '+' ? ' ' : *p;
			}
		}
		data[n] = '\0';
		*raw = jsonx_loads(data, n, NULL);
		assert_non_null(*raw);
		free(data);
	}
	free(rec.body);
	return cb;
}

static void retry__awaiting_retry_then_final(void **state)
{
	(void)state;
	struct sandbox *sb = start("retry=1");
	struct listener *l = listener_start(0);
	json_t *r = send_receipt(sb, l, "retry-1", -1);
	assert_int_equal(lp_code(r), 0);
	assert_true(listener_wait(l, 2, 5000));
	struct lifepay_callback a = callback(l, 0, NULL), b = callback(l, 1, NULL);
	assert_int_equal(a.status, LP_CB_RETRY);
	assert_string_equal(a.uuid, lp_uuid(r));
	assert_false(a.fn[0]);
	assert_int_equal(b.status, LP_CB_PROCESSED);
	assert_true(b.fn[0] && b.fd[0] && b.fpd[0]);
	json_t *doc = ledger_doc(sb, lp_uuid(r));
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "processed");
	json_decref(doc);
	wire_lifepay_callback_free(&a);
	wire_lifepay_callback_free(&b);
	json_decref(r);
	listener_stop(l);
	sandbox_stop(sb);
}

static void denied__6095__nothing_created(void **state)
{
	(void)state;
	struct sandbox *sb = start("denied=1");
	struct listener *l = listener_start(0);
	json_t *r = send_receipt(sb, l, "denied-1", -1);
	assert_int_equal(lp_code(r), 6095);
	assert_string_equal(json_string_value(json_object_get(r, "message")), "Доступ запрещен.");
	assert_int_equal(ledger_count(sb), 0);
	json_decref(r);
	listener_stop(l);
	sandbox_stop(sb);
}

static void fn3975__error_with_the_real_text(void **state)
{
	(void)state;
	struct sandbox *sb = start("fn3975=1");
	struct listener *l = listener_start(0);
	json_t *r = send_receipt(sb, l, "fn-1", -1);
	assert_int_equal(lp_code(r), 0);
	assert_true(listener_wait(l, 1, 5000));
	struct lifepay_callback cb = callback(l, 0, NULL);
	assert_int_equal(cb.status, LP_CB_ERROR);
	assert_true(cb.has_error_code);
	assert_int_equal(cb.error_code, 3975);
	assert_string_equal(cb.error_message, "Некорректное значение параметров команды ФН");
	wire_lifepay_callback_free(&cb);
	json_decref(r);
	listener_stop(l);
	sandbox_stop(sb);
}

static void pos__approved_declined_timeout__with_slip_count(void **state)
{
	(void)state;
	const struct {
		const char *faults;
		int slips;
		enum lifepay_cb_status status;
		const char *result;
		int slip_count;
	} cases[] = {
	    {"none", 2, LP_CB_PROCESSED, "approved", 2},
	    {"pos_decline=1", 1, LP_CB_ERROR, "declined", 0},
	    {"pos_timeout=1", 1, LP_CB_ERROR, "timeout", 1},
	};
	for (size_t i = 0; i < 3; i++) {
		struct sandbox *sb = start(cases[i].faults);
		struct listener *l = listener_start(0);
		json_t *r = send_receipt(sb, l, "pos-1", cases[i].slips);
		assert_int_equal(lp_code(r), 0);
		assert_true(listener_wait(l, 1, 5000));
		json_t *raw = NULL;
		struct lifepay_callback cb = callback(l, 0, &raw);
		assert_int_equal(cb.status, cases[i].status);
		json_t *pos = json_object_get(raw, "pos");
		assert_string_equal(json_string_value(json_object_get(pos, "result")),
				    cases[i].result);
		assert_int_equal(json_integer_value(json_object_get(pos, "slip_count")),
				 cases[i].slip_count);
		if (cases[i].status == LP_CB_ERROR)
			assert_non_null(strstr(cb.error_message, "POS-терминал"));
		json_decref(raw);
		wire_lifepay_callback_free(&cb);
		json_decref(r);
		listener_stop(l);
		sandbox_stop(sb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(retry__awaiting_retry_then_final),
	    cmocka_unit_test(denied__6095__nothing_created),
	    cmocka_unit_test(fn3975__error_with_the_real_text),
	    cmocka_unit_test(pos__approved_declined_timeout__with_slip_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

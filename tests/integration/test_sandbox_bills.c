/*
 * kassa-sandbox, LIFE PAY bills over HTTP: create (and every refusal with
 * its field), status, the payment page's Pay and Fail, cancellation, refund
 * idempotency, and transaction notifications retried on the seed's schedule
 * and parsed by the client's wire (form with `data`, and JSON).
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
#include "wire/bill.h"

#define AUTH "\"apikey\":\"sandbox-apikey\",\"login\":\"70000000000\""
#define FAST 1000 /* 1 minute -> 60 ms */

static int setup(void **state)
{
	*state = sbt_start(FAST, NULL);
	return 0;
}

static int teardown(void **state)
{
	sandbox_stop(*state);
	return 0;
}

static json_t *create(struct sandbox *sb, const char *fields)
{
	char body[1024];
	snprintf(body, sizeof body, "{" AUTH "%s}", fields);
	return lp_call(sb, "/v1/bill", body);
}

static const char *number_of(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "data"), "number"));
}

static int status_of(struct sandbox *sb, const char *number)
{
	char path[256];
	snprintf(path, sizeof path,
		 "/v1/bill/status?apikey=sandbox-apikey&login=70000000000&number=%s", number);
	struct hres h = http_do("GET", sbt_url(sb, path), NULL, NULL, 0, NULL, 5000);
	assert_int_equal(h.status, 200);
	enum bill_state s = BILL_NEW;
	char msg[128];
	assert_int_equal(wire_bill_parse_status(h.body, h.len, number, &s, msg, sizeof msg, NULL),
			 K_OK);
	hres_free(&h);
	return (int)s;
}

static void create__refusals__name_the_field(void **state)
{
	struct sandbox *sb = *state;
	static const struct {
		const char *fields, *field;
		int code;
	} cases[] = {
	    {",\"amount\":\"12.345\",\"customer_phone\":\"79161234567\"", "amount", 400},
	    {",\"amount\":12.34,\"customer_phone\":\"79161234567\"", "amount", 400},
	    {",\"amount\":\"0.00\",\"customer_phone\":\"79161234567\"", "amount", 400},
	    {",\"amount\":\"10.00\"", "customer_phone", 400},
	    {",\"amount\":\"10.00\",\"customer_phone\":\"89161234567\"", "customer_phone", 400},
	    {",\"amount\":\"10.00\",\"customer_email\":\"nobody\"", "customer_email", 400},
	    {",\"amount\":\"10.00\",\"customer_email\":\"a@b.ru\",\"method\":\"mobileCommerce\"",
	     "customer_phone", 400},
	    {",\"amount\":\"10.00\",\"customer_email\":\"a@b.ru\",\"method\":\"cash\"", "method",
	     400},
	    /* invoice_data, when sent, is held to seed 003's schema */
	    {",\"amount\":\"10.00\",\"customer_email\":\"a@b.ru\",\"invoice_data\":{\"items\":[]}",
	     "invoice_data.items", 400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *r = create(sb, cases[i].fields);
		assert_int_equal(lp_code(r), cases[i].code);
		assert_non_null(lp_msg(r, cases[i].field));
		json_decref(r);
	}
	json_t *r = lp_call(sb, "/v1/bill",
			    "{\"apikey\":\"wrong\",\"login\":\"70000000000\",\"amount\":\"1.00\"}");
	assert_int_equal(lp_code(r), 6010);
	json_decref(r);
	json_t *bills = admin_get(sb, "/sandbox/bills");
	assert_int_equal(json_array_size(json_object_get(bills, "bills")), 0);
	json_decref(bills);
}

static void create__pay_page__success_notification_retried(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(2);
	char fields[512];
	snprintf(fields, sizeof fields,
		 ",\"amount\":\"1250.00\",\"description\":\"Заказ [kassa:b-1]\","
		 "\"customer_phone\":\"79161234567\",\"method\":\"sbp\",\"callback_url\":\"%s\"",
		 listener_url(l, "/tx"));
	json_t *r = create(sb, fields);
	assert_int_equal(lp_code(r), 0);
	struct bill_reply br;
	char *text = jsonx_dumps(r, JSON_COMPACT);
	assert_int_equal(wire_bill_parse_create(text, strlen(text), &br, NULL), K_OK);
	free(text);
	assert_int_equal(br.state, BILL_INITIATED);
	assert_true(br.interval_s >= 1);
	assert_non_null(strstr(br.payment_url, "/pay/"));
	assert_true(br.payment_url_web[0]); /* sbp only */
	assert_int_equal(status_of(sb, br.number), BILL_INITIATED);
	/* The page at the link, then its Pay button. */
	const char *path = strstr(br.payment_url, "/pay/");
	struct hres h = http_do("GET", sbt_url(sb, path), NULL, NULL, 0, NULL, 5000);
	assert_int_equal(h.status, 200);
	assert_non_null(strstr(h.body, "1250.00"));
	assert_non_null(strstr(h.body, "id=\"pay\""));
	hres_free(&h);
	char act[128];
	snprintf(act, sizeof act, "%s/pay", path);
	h = http_do("POST", sbt_url(sb, act), NULL, "", 0, NULL, 5000);
	assert_int_equal(h.status, 200);
	hres_free(&h);
	assert_true(listener_wait(l, 3, 5000));
	struct lrec rec[3];
	for (int i = 0; i < 3; i++)
		rec[i] = listener_get(l, i);
	assert_true(rec[1].at_ms - rec[0].at_ms >= 55);	 /* 1 minute, scaled */
	assert_true(rec[2].at_ms - rec[1].at_ms >= 170); /* 3 minutes, scaled */
	for (int i = 0; i < 3; i++) {
		struct bill_tx tx;
		assert_int_equal(wire_bill_parse_tx(rec[i].content_type, rec[i].body,
						    strlen(rec[i].body), &tx, NULL),
				 K_OK);
		assert_string_equal(tx.number, br.number);
		assert_string_equal(tx.type, "payment");
		assert_string_equal(tx.status, "success");
		assert_int_equal(tx.amount, 125000);
		char ext[64];
		assert_true(wire_bill_description_ext(tx.description, ext, sizeof ext));
		assert_string_equal(ext, "b-1");
		free(rec[i].body);
	}
	assert_int_equal(status_of(sb, br.number), BILL_SUCCESS);
	/* Paid: not cancellable; refunded once per uuid. */
	char body[256];
	snprintf(body, sizeof body, "{" AUTH ",\"number\":\"%s\"}", br.number);
	json_t *c = lp_call(sb, "/v1/bill/cancellation", body);
	assert_int_equal(lp_code(c), 400);
	json_decref(c);
	snprintf(body, sizeof body, "{" AUTH ",\"number\":\"%s\",\"uuid\":\"u-1\"}", br.number);
	json_t *f1 = lp_call(sb, "/v1/transactions/refund", body);
	json_t *f2 = lp_call(sb, "/v1/transactions/refund", body);
	assert_int_equal(lp_code(f1), 0);
	assert_int_equal(lp_code(f2), 0);
	assert_string_equal(number_of(f1), number_of(f2));
	assert_true(listener_wait(l, 4, 5000));
	sleep_ms(100);
	assert_int_equal(listener_count(l), 4); /* one refund notification */
	struct lrec rf = listener_get(l, 3);
	struct bill_tx tx;
	assert_int_equal(wire_bill_parse_tx(rf.content_type, rf.body, strlen(rf.body), &tx, NULL),
			 K_OK);
	assert_string_equal(tx.type, "refund");
	assert_string_equal(tx.original_number, br.number);
	free(rf.body);
	json_decref(f1);
	json_decref(f2);
	json_decref(r);
	listener_stop(l);
}

static void fail_and_cancel__final_states__json_notification(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(0);
	char body[256];
	snprintf(body, sizeof body, "{\"url\":\"%s\",\"format\":\"json\"}", listener_url(l, "/n"));
	admin_post(sb, "/sandbox/bills/notify-url", body);
	json_t *a = create(sb, ",\"amount\":\"10.00\",\"customer_email\":\"a@b.ru\","
			       "\"method\":\"internetAcquiring\"");
	json_t *b = create(sb, ",\"amount\":\"20.00\",\"customer_email\":\"a@b.ru\"");
	assert_int_equal(lp_code(a), 0);
	assert_null(json_object_get(json_object_get(a, "data"), "paymentUrlWeb"));
	snprintf(body, sizeof body, "{\"number\":\"%s\"}", number_of(a));
	admin_post(sb, "/sandbox/bills/fail", body);
	assert_int_equal(status_of(sb, number_of(a)), BILL_FAILED);
	assert_true(listener_wait(l, 1, 5000));
	struct lrec r0 = listener_get(l, 0);
	assert_non_null(strstr(r0.content_type, "application/json"));
	struct bill_tx tx;
	assert_int_equal(wire_bill_parse_tx(r0.content_type, r0.body, strlen(r0.body), &tx, NULL),
			 K_OK);
	assert_string_equal(tx.status, "fail");
	assert_int_equal(tx.amount, 1000);
	free(r0.body);
	snprintf(body, sizeof body, "{" AUTH ",\"number\":\"%s\"}", number_of(b));
	json_t *c = lp_call(sb, "/v1/bill/cancellation", body);
	assert_int_equal(lp_code(c), 0);
	json_decref(c);
	assert_int_equal(status_of(sb, number_of(b)), BILL_CANCELLED);
	/* A cancelled bill cannot be paid at its page. */
	char path[64];
	snprintf(path, sizeof path, "/pay/%s/pay", number_of(b));
	struct hres h = http_do("POST", sbt_url(sb, path), NULL, "", 0, NULL, 5000);
	assert_int_equal(h.status, 409);
	hres_free(&h);
	sleep_ms(100);
	assert_int_equal(listener_count(l), 1);
	json_decref(a);
	json_decref(b);
	listener_stop(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(create__refusals__name_the_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(create__pay_page__success_notification_retried, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(fail_and_cancel__final_states__json_notification, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

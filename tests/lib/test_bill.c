/*
 * The bill engine (lib/bill.c, lib/journal_bill.c) against the in-process
 * sandbox: create, poll, pay, the receipt once; cancel and no receipt;
 * refusals naming their field; one bill per basket; a bill left in sending
 * by a crash is not sent again and is found by its notification; 500s on
 * create are retried without a second bill.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bill.h"
#include "journal_bill.h"
#include "outbox_fixture.h"
#include "util.h"
#include "wire/lifepay.h"

static void on_log(void *cls, const char *line)
{
	(void)cls;
	fprintf(stderr, "bills: %s\n", line);
}

static struct bills *bills_start(struct fx *f)
{
	struct bills_options o = {.time_unit_ms = 20,
				  .tick_ms = 20,
				  .request_timeout_ms = 2000,
				  .log = getenv("OUTBOX_LOG") ? on_log : NULL};
	struct kerr e = {0};
	struct bills *b = bills_new(f->l, f->j, f->ob, &f->p, &o, &e);
	if (!b)
		fail_msg("bills_new: %s", e.text);
	return b;
}

static enum bill_state bill_state_of(struct fx *f, int64_t id, struct journal_bill *out)
{
	struct journal_bill b;
	assert_int_equal(journal_bill_get(f->j, id, &b, NULL), K_OK);
	enum bill_state s = b.state;
	if (out) {
		*out = b;
		out->receipt_body = NULL;
	}
	journal_bill_free(&b);
	return s;
}

static enum bill_state run_until_bill(struct fx *f, int64_t id, enum bill_state want, long ms)
{
	long long end = mono_ms() + ms;
	enum bill_state s;
	while ((s = bill_state_of(f, id, NULL)) != want && mono_ms() < end)
		loop_run_once(f->l, 20);
	return s;
}

static void run_ms(struct fx *f, long ms)
{
	long long end = mono_ms() + ms;
	while (mono_ms() < end)
		loop_run_once(f->l, 20);
}

static int sandbox_bills(struct fx *f, const char *number, int *status)
{
	json_t *j;
	admin(f, "GET", "/sandbox/bills", NULL, &j);
	json_t *arr = json_object_get(j, "bills");
	int n = (int)json_array_size(arr);
	for (size_t i = 0; number && i < json_array_size(arr); i++) {
		json_t *b = json_array_get(arr, i);
		if (strcmp(json_string_value(json_object_get(b, "number")), number) == 0)
			*status = (int)json_integer_value(json_object_get(b, "status"));
	}
	json_decref(j);
	return n;
}

static void pay(struct fx *f, const char *number, const char *what)
{
	char body[96], path[64];
	snprintf(body, sizeof body, "{\"number\":\"%s\"}", number);
	snprintf(path, sizeof path, "/sandbox/bills/%s", what);
	admin(f, "POST", path, body, NULL);
}

struct txs {
	int n, confirmed;
	int64_t bill_id;
	char type[16], status[16];
};

static bool on_tx(const struct journal_tx *t, void *ctx)
{
	struct txs *x = ctx;
	x->n++;
	x->confirmed += t->confirmed;
	x->bill_id = t->bill_id;
	str_copy(x->type, t->type, sizeof x->type);
	str_copy(x->status, t->status, sizeof x->status);
	return true;
}

static int64_t create(struct fx *f, struct bills *b, const char *ext, const char *phone,
		      enum bill_method m, kstatus want, struct kerr *e)
{
	struct document d;
	receipt(&d, 125000);
	if (ext)
		str_copy(d.ext_id, ext, sizeof d.ext_id);
	struct bill_request rq;
	memset(&rq, 0, sizeof rq);
	str_copy(rq.phone, phone, sizeof rq.phone);
	rq.method = m;
	int64_t id = 0;
	kstatus got = bills_create(b, &d, &rq, false, &id, e);
	if (got != want)
		fail_msg("bills_create: %d %s: %s", got, e->field, e->text);
	document_free(&d);
	return id;
}

static void paid__receipt_queued_once__notification_confirmed(void **state)
{
	struct fx *f = *state;
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	int64_t id = create(f, b, "bill-paid-1", "+7 (916) 123-45-67", BILL_METHOD_SBP, K_OK, &e);
	assert_int_equal(run_until_bill(f, id, BILL_INITIATED, 3000), BILL_INITIATED);
	struct journal_bill bl;
	bill_state_of(f, id, &bl);
	assert_true(bl.number[0]);
	assert_non_null(strstr(bl.payment_url, "/pay/"));
	assert_true(bl.payment_url_web[0]);
	assert_string_equal(bl.phone, "79161234567");
	assert_int_equal(bl.amount, 125000);
	pay(f, bl.number, "pay");
	assert_int_equal(run_until_bill(f, id, BILL_SUCCESS, 3000), BILL_SUCCESS);
	run_ms(f, 400);
	bill_state_of(f, id, &bl);
	assert_true(bl.receipt_doc_id > 0);
	assert_int_equal(run_until_state(f, bl.receipt_doc_id, JS_PROCESSED), JS_PROCESSED);
	assert_int_equal(ledger_count(f, "bill-paid-1"), 1);
	/* The notification came through the listener and the poll confirmed it. */
	struct txs x = {0};
	journal_tx_list(f->j, 0, on_tx, &x, NULL);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.bill_id, id);
	assert_int_equal(x.confirmed, 1);
	assert_string_equal(x.status, "success");
	/* A second bill for the same basket is refused, naming the first. */
	int64_t again = 0;
	again = create(f, b, "bill-paid-1", "79161234567", BILL_METHOD_SBP, K_EXISTS, &e);
	assert_int_equal(again, id);
	assert_int_equal(sandbox_bills(f, NULL, NULL), 1);
	/* Paid: cannot be cancelled. */
	assert_int_equal(bills_cancel(b, id, &e), K_REFUSED);
	bills_free(b);
}

static void cancelled__no_receipt(void **state)
{
	struct fx *f = *state;
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	int64_t id = create(f, b, "bill-cancel-1", "79161234567", BILL_METHOD_SBP, K_OK, &e);
	assert_int_equal(run_until_bill(f, id, BILL_INITIATED, 3000), BILL_INITIATED);
	assert_int_equal(bills_cancel(b, id, &e), K_OK);
	assert_int_equal(run_until_bill(f, id, BILL_CANCELLED, 3000), BILL_CANCELLED);
	struct journal_bill bl;
	bill_state_of(f, id, &bl);
	int st = -1;
	sandbox_bills(f, bl.number, &st);
	assert_int_equal(st, 30);
	run_ms(f, 300);
	assert_int_equal(bl.receipt_doc_id, 0);
	assert_int_equal(ledger_count(f, "bill-cancel-1"), 0);
	bills_free(b);
}

static void refusals__name_the_field(void **state)
{
	struct fx *f = *state;
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	create(f, b, NULL, "12345", BILL_METHOD_SBP, K_INVALID, &e);
	assert_string_equal(e.field, "customer_phone");
	create(f, b, NULL, "", BILL_METHOD_SBP, K_INVALID, &e);
	assert_string_equal(e.field, "customer_phone");
	struct document d;
	receipt(&d, 1000);
	d.type = RT_REFUND;
	struct bill_request rq = {.method = BILL_METHOD_SBP};
	str_copy(rq.phone, "79161234567", sizeof rq.phone);
	assert_int_equal(bills_create(b, &d, &rq, false, NULL, &e), K_INVALID);
	assert_string_equal(e.field, "type");
	document_free(&d);
	struct config_profile pk = f->p;
	pk.provider = KPROVIDER_PAYKEEPER;
	assert_null(bills_new(f->l, f->j, f->ob, &pk, NULL, &e));
	assert_string_equal(e.field, "provider");
	assert_int_equal(sandbox_bills(f, NULL, NULL), 0);
	bills_free(b);
}

static void crash_while_sending__not_resent__found_by_notification(void **state)
{
	struct fx *f = *state;
	/* A bill journaled and sent, the reply lost with the process. */
	struct journal_bill bl;
	memset(&bl, 0, sizeof bl);
	str_copy(bl.ext_id, "bill-crash-1", sizeof bl.ext_id);
	bl.amount = 125000;
	bl.method = BILL_METHOD_SBP;
	str_copy(bl.phone, "79161234567", sizeof bl.phone);
	str_copy(bl.description, "Хлеб [kassa:bill-crash-1]", sizeof bl.description);
	struct document d;
	receipt(&d, 125000);
	str_copy(d.ext_id, "bill-crash-1", sizeof d.ext_id);
	bl.receipt_body = wire_lifepay_request_text(&d, NULL);
	document_free(&d);
	int64_t id = 0;
	assert_int_equal(journal_bill_insert(f->j, &bl, false, &id, NULL), K_OK);
	free(bl.receipt_body);
	assert_int_equal(journal_bill_transition(f->j, id, BILL_SENDING, "create", "", NULL), K_OK);
	/* What LIFE PAY got: the bill, with kassa's callback address. */
	char body[512];
	snprintf(body, sizeof body,
		 "{\"apikey\":\"%s\",\"login\":\"%s\",\"amount\":\"1250.00\",\"description\":"
		 "\"Хлеб [kassa:bill-crash-1]\",\"customer_phone\":\"79161234567\","
		 "\"callback_url\":\"%s/lifepay-tx\"}",
		 f->p.apikey, f->p.login, outbox_callback_url(f->ob));
	json_t *r;
	admin(f, "POST", "/v1/bill", body, &r);
	const char *number =
	    json_string_value(json_object_get(json_object_get(r, "data"), "number"));
	char num[32];
	str_copy(num, number, sizeof num);
	json_decref(r);
	struct bills *b = bills_start(f);
	assert_int_equal(bill_state_of(f, id, NULL), BILL_UNKNOWN);
	run_ms(f, 300);
	assert_int_equal(sandbox_bills(f, NULL, NULL), 1); /* not sent again */
	pay(f, num, "pay");
	assert_int_equal(run_until_bill(f, id, BILL_SUCCESS, 4000), BILL_SUCCESS);
	run_ms(f, 300);
	bill_state_of(f, id, &bl);
	assert_string_equal(bl.number, num);
	assert_true(bl.receipt_doc_id > 0);
	assert_int_equal(run_until_state(f, bl.receipt_doc_id, JS_PROCESSED), JS_PROCESSED);
	assert_int_equal(ledger_count(f, "bill-crash-1"), 1);
	assert_int_equal(sandbox_bills(f, NULL, NULL), 1);
	bills_free(b);
}

static void server_errors_on_create__retried__one_bill(void **state)
{
	struct fx *f = *state;
	set_faults(f, "{\"faults\":\"http500=0.6\",\"seed\":7}");
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	int64_t id = create(f, b, "bill-500-1", "79161234567", BILL_METHOD_SBP, K_OK, &e);
	/* 5 s between tries at this time unit is 5000 ms: shrink by polling often. */
	enum bill_state s = run_until_bill(f, id, BILL_INITIATED, 8000);
	set_faults(f, "none");
	if (s != BILL_INITIATED)
		s = run_until_bill(f, id, BILL_INITIATED, 8000);
	assert_int_equal(s, BILL_INITIATED);
	assert_int_equal(sandbox_bills(f, NULL, NULL), 1);
	bills_free(b);
}

static void provider_prints__invoice_data_sent__no_receipt(void **state)
{
	struct fx *f = *state;
	f->p.bill_provider_receipt = true;
	struct bills *b = bills_start(f);
	struct document d;
	receipt(&d, 125000);
	d.basket.lines[0].vat = VAT_VAT20;
	d.basket.lines[0].vat_set = true;
	str_copy(d.ext_id, "bill-inv-1", sizeof d.ext_id);
	struct bill_request rq = {.method = BILL_METHOD_INTERNET};
	str_copy(rq.email, "buyer@example.ru", sizeof rq.email);
	int64_t id = 0;
	struct kerr e = {0};
	kstatus st = bills_create(b, &d, &rq, false, &id, &e);
	document_free(&d);
	if (st != K_OK)
		fail_msg("bills_create: %s: %s", e.field, e.text);
	assert_int_equal(run_until_bill(f, id, BILL_INITIATED, 3000), BILL_INITIATED);
	json_t *j;
	admin(f, "GET", "/sandbox/bills", NULL, &j);
	json_t *sb = json_array_get(json_object_get(j, "bills"), 0);
	assert_int_equal(json_integer_value(json_object_get(sb, "invoice_items")), 1);
	char number[32];
	str_copy(number, json_string_value(json_object_get(sb, "number")), sizeof number);
	json_decref(j);
	pay(f, number, "pay");
	assert_int_equal(run_until_bill(f, id, BILL_SUCCESS, 3000), BILL_SUCCESS);
	run_ms(f, 400);
	struct journal_bill bl;
	bill_state_of(f, id, &bl);
	assert_true(bl.provider_prints);
	assert_int_equal(bl.receipt_doc_id, 0);
	assert_int_equal(ledger_count(f, "bill-inv-1"), 0); /* LIFE PAY prints it, not kassa */
	bills_free(b);
}

static void relayed_notification__stored_before_200__malformed_400(void **state)
{
	struct fx *f = *state;
	const char *json = "{\"number\":\"555\",\"type\":\"payment\",\"status\":\"fail\","
			   "\"method\":\"card\",\"amount\":\"1250.00\"}";
	char reply[128];
	assert_int_equal(outbox_apply_relayed(f->ob, "lifepay-tx", "application/json", json,
					      strlen(json), reply, sizeof reply),
			 200);
	/* The same again (LIFE PAY retries): counted, not stored twice. */
	assert_int_equal(outbox_apply_relayed(f->ob, "lifepay-tx", "application/json", json,
					      strlen(json), reply, sizeof reply),
			 200);
	assert_int_equal(outbox_apply_relayed(f->ob, "lifepay-tx", "application/json", "{}", 2,
					      reply, sizeof reply),
			 400);
	assert_non_null(strstr(reply, "number"));
	struct txs x = {0};
	journal_tx_list(f->j, 0, on_tx, &x, NULL);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.bill_id, 0); /* about no bill of this till */
	assert_string_equal(x.status, "fail");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(paid__receipt_queued_once__notification_confirmed,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(cancelled__no_receipt, setup, teardown),
	    cmocka_unit_test_setup_teardown(refusals__name_the_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(crash_while_sending__not_resent__found_by_notification,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(server_errors_on_create__retried__one_bill, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(provider_prints__invoice_data_sent__no_receipt, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(relayed_notification__stored_before_200__malformed_400,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

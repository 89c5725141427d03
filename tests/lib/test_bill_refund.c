/*
 * Refunds of paid bills (lib/bill_refund.c, lib/journal_refund.c) against
 * the in-process sandbox: a partial then the rest, each refund receipt once
 * citing the bill's receipt; never more than what was paid minus earlier
 * refunds (field amount); an unpaid bill is refused (field bill); a crash
 * before or after the request sends the same uuid again and LIFE PAY
 * refunds once.
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
#include "journal_refund.h"
#include "outbox_fixture.h"
#include "util.h"

static struct bills *bills_start(struct fx *f)
{
	struct bills_options o = {.time_unit_ms = 20, .tick_ms = 20, .request_timeout_ms = 2000};
	struct kerr e = {0};
	struct bills *b = bills_new(f->l, f->j, f->ob, &f->p, &o, &e);
	if (!b)
		fail_msg("bills_new: %s", e.text);
	return b;
}

static void run_ms(struct fx *f, long ms)
{
	long long end = mono_ms() + ms;
	while (mono_ms() < end)
		loop_run_once(f->l, 20);
}

static struct journal_bill bill_now(struct fx *f, int64_t id)
{
	struct journal_bill b;
	assert_int_equal(journal_bill_get(f->j, id, &b, NULL), K_OK);
	free(b.receipt_body);
	b.receipt_body = NULL;
	return b;
}

static struct journal_refund refund_now(struct fx *f, int64_t id)
{
	struct journal_refund r;
	assert_int_equal(journal_bill_refund_get(f->j, id, &r, NULL), K_OK);
	return r;
}

/* Runs until refund id is done with its receipt processed (or the time is up). */
static struct journal_refund run_refund(struct fx *f, int64_t id)
{
	long long end = mono_ms() + 5000;
	struct journal_refund r = refund_now(f, id);
	while (mono_ms() < end &&
	       !(r.receipt_doc_id && state_of(f, r.receipt_doc_id, NULL) == JS_PROCESSED)) {
		loop_run_once(f->l, 20);
		r = refund_now(f, id);
	}
	return r;
}

struct txs {
	int refunds, confirmed_refunds;
};

static bool on_tx(const struct journal_tx *t, void *ctx)
{
	struct txs *x = ctx;
	if (strcmp(t->type, "refund") == 0) {
		x->refunds++;
		x->confirmed_refunds += t->confirmed;
		assert_true(t->bill_id > 0);
	}
	return true;
}

static json_t *sandbox_bill(struct fx *f, json_t **root)
{
	admin(f, "GET", "/sandbox/bills", NULL, root);
	return json_array_get(json_object_get(*root, "bills"), 0);
}

/* A bill of 1250.00 for ext, paid, its receipt processed. */
static int64_t paid_bill(struct fx *f, struct bills *b, const char *ext)
{
	struct document d;
	receipt(&d, 125000);
	str_copy(d.ext_id, ext, sizeof d.ext_id);
	struct bill_request rq = {.method = BILL_METHOD_SBP};
	str_copy(rq.phone, "79161234567", sizeof rq.phone);
	int64_t id = 0;
	struct kerr e = {0};
	assert_int_equal(bills_create(b, &d, &rq, false, &id, &e), K_OK);
	document_free(&d);
	long long end = mono_ms() + 3000;
	while (!bill_now(f, id).number[0] && mono_ms() < end)
		loop_run_once(f->l, 20);
	char body[96];
	snprintf(body, sizeof body, "{\"number\":\"%s\"}", bill_now(f, id).number);
	admin(f, "POST", "/sandbox/bills/pay", body, NULL);
	end = mono_ms() + 5000;
	while (mono_ms() < end) {
		struct journal_bill bl = bill_now(f, id);
		if (bl.receipt_doc_id && state_of(f, bl.receipt_doc_id, NULL) == JS_PROCESSED)
			return id;
		loop_run_once(f->l, 20);
	}
	fail_msg("bill #%lld was not paid with its receipt processed", (long long)id);
	return 0;
}

static void partial_then_rest__each_receipt_once__never_more_than_paid(void **state)
{
	struct fx *f = *state;
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	int64_t id = paid_bill(f, b, "bill-rf-1");
	struct journal_doc sale;
	state_of(f, bill_now(f, id).receipt_doc_id, &sale);

	int64_t r1 = 0;
	assert_int_equal(bills_refund(b, id, 50000, &r1, &e), K_OK);
	struct journal_refund r = run_refund(f, r1);
	assert_int_equal(r.state, REFUND_DONE);
	assert_true(r.number[0]);
	assert_int_equal(r.amount, 50000);
	struct journal_doc rd;
	assert_int_equal(state_of(f, r.receipt_doc_id, &rd), JS_PROCESSED);
	assert_string_equal(rd.type, "refund");
	assert_string_equal(rd.ref_uuid, sale.uuid);
	assert_int_equal(rd.total, 50000);
	char ext[64];
	snprintf(ext, sizeof ext, "rf-%s", r.uuid);
	assert_int_equal(ledger_count(f, ext), 1);

	/* 750.00 is left: 800.00 is refused, naming the amount; nothing was sent. */
	int64_t r2 = 0;
	assert_int_equal(bills_refund(b, id, 80000, &r2, &e), K_REFUSED);
	assert_string_equal(e.field, "amount");
	assert_non_null(strstr(e.text, "750.00"));
	assert_int_equal(bills_refund(b, id, -1, &r2, &e), K_INVALID);
	assert_string_equal(e.field, "amount");

	/* The rest (0 = all that is left). */
	assert_int_equal(bills_refund(b, id, 0, &r2, &e), K_OK);
	r = run_refund(f, r2);
	assert_int_equal(r.state, REFUND_DONE);
	assert_int_equal(r.amount, 75000);
	assert_int_equal(state_of(f, r.receipt_doc_id, &rd), JS_PROCESSED);
	assert_int_equal(rd.total, 75000);
	json_t *root;
	json_t *sb = sandbox_bill(f, &root);
	assert_string_equal(json_string_value(json_object_get(sb, "refunded")), "1250.00");
	assert_int_equal(json_integer_value(json_object_get(sb, "refunds")), 2);
	json_decref(root);

	/* Both refund notifications came and are confirmed by LIFE PAY's answers. */
	run_ms(f, 300);
	struct txs x = {0};
	journal_tx_list(f->j, 0, on_tx, &x, NULL);
	assert_int_equal(x.refunds, 2);
	assert_int_equal(x.confirmed_refunds, 2);

	/* Refunded in full: refused again. */
	assert_int_equal(bills_refund(b, id, 100, NULL, &e), K_REFUSED);
	assert_string_equal(e.field, "amount");
	run_ms(f, 200);
	bills_free(b);
}

static void unpaid_bill__refused_naming_bill(void **state)
{
	struct fx *f = *state;
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	struct document d;
	receipt(&d, 1000);
	struct bill_request rq = {.method = BILL_METHOD_SBP};
	str_copy(rq.phone, "79161234567", sizeof rq.phone);
	int64_t id = 0;
	assert_int_equal(bills_create(b, &d, &rq, false, &id, &e), K_OK);
	document_free(&d);
	assert_int_equal(bills_refund(b, id, 0, NULL, &e), K_REFUSED);
	assert_string_equal(e.field, "bill");
	assert_int_equal(bills_refund(b, 999, 0, NULL, &e), K_NOTFOUND);
	bills_free(b);
}

static void crash_before_and_after_request__same_uuid__refunded_once(void **state)
{
	struct fx *f = *state;
	struct bills *b = bills_start(f);
	struct kerr e = {0};
	int64_t id = paid_bill(f, b, "bill-rf-crash");
	int64_t rid = 0;
	/* Journaled and handed to the transport, then "killed" before it left. */
	assert_int_equal(bills_refund(b, id, 0, &rid, &e), K_OK);
	bills_free(b);
	struct journal_refund r = refund_now(f, rid);
	assert_int_equal(r.state, REFUND_SENDING);
	char uuid[40];
	str_copy(uuid, r.uuid, sizeof uuid);
	b = bills_start(f);
	r = run_refund(f, rid);
	assert_int_equal(r.state, REFUND_DONE);
	assert_string_equal(r.uuid, uuid);
	/* Killed after LIFE PAY refunded, before its answer was written. */
	assert_int_equal(journal_bill_refund_set(f->j, rid, REFUND_SENDING, NULL, 0, "", &e), K_OK);
	bills_free(b);
	b = bills_start(f);
	run_ms(f, 600);
	r = refund_now(f, rid);
	if (r.state != REFUND_DONE)
		fail_msg("refund #%lld is %s: %s", (long long)rid, refund_state_word(r.state),
			 r.last_error);
	json_t *root;
	json_t *sb = sandbox_bill(f, &root);
	assert_int_equal(json_integer_value(json_object_get(sb, "refunds")), 1);
	json_decref(root);
	char ext[64];
	snprintf(ext, sizeof ext, "rf-%s", uuid);
	assert_int_equal(ledger_count(f, ext), 1);
	bills_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		partial_then_rest__each_receipt_once__never_more_than_paid, setup, teardown),
	    cmocka_unit_test_setup_teardown(unpaid_bill__refused_naming_bill, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		crash_before_and_after_request__same_uuid__refunded_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

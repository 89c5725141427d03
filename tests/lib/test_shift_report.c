/* Tests for lib/shift_report.c: the X/Z totals counted from a journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"
#include "tmpdir.h"
#include "shift_report.h"
#include "util.h"

#define T0 1700000000000LL

struct fixture {
	char dir[64];
	char path[128];
	int64_t now;
	struct journal *j;
	int seq;
};

static int64_t on_clock(void *ctx)
{
	struct fixture *fx = ctx;
	return fx->now;
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	if (!tmpdir_journal("shift", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path))
		return -1;
	fx->now = T0;
	if (journal_open(fx->path, &fx->j, NULL) != K_OK)
		return -1;
	journal_set_clock(fx->j, on_clock, fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	journal_close(fx->j);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

/*
 * One document a second later than the last, brought to state `to`.
 * kind "receipt" with type, or a shift kind with type "".
 */
static int64_t doc(struct fixture *fx, const char *profile, const char *kind, const char *type,
		   int64_t total, int64_t card, int64_t cash, int64_t change, enum journal_state to)
{
	char ext_id[32], uuid[40];
	fx->seq++;
	fx->now += 1000;
	snprintf(ext_id, sizeof ext_id, "ext-%d", fx->seq);
	snprintf(uuid, sizeof uuid, "uuid-%d", fx->seq);
	struct journal_new_doc d = {
	    .profile = profile,
	    .provider = KPROVIDER_LIFEPAY,
	    .kind = kind,
	    .type = type,
	    .ext_id = ext_id,
	    .body = "{}",
	    .total = total,
	    .card = card,
	    .cash = cash,
	    .change = change,
	};
	int64_t id = 0;
	struct kerr err = {0};
	assert_int_equal(journal_enqueue(fx->j, &d, &id, &err), K_OK);
	if (to == JS_QUEUED)
		return id;
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	if (to == JS_SENDING)
		return id;
	if (to == JS_REJECTED) {
		assert_int_equal(journal_apply_reply_rejected(fx->j, id, 6010, "bad key", NULL),
				 K_OK);
		return id;
	}
	assert_int_equal(journal_apply_reply_ok(fx->j, id, uuid, NULL, NULL), K_OK);
	if (to != JS_ACCEPTED)
		assert_int_equal(journal_transition(fx->j, id, to, JSRC_POLL, "", NULL), K_OK);
	return id;
}

static void totals(struct fixture *fx, struct shift_totals *t)
{
	struct kerr err = {0};
	assert_int_equal(shift_report_totals(fx->j, "shop", false, 0, t, &err), K_OK);
}

static void shift_report_totals__empty_journal__all_zero(void **state)
{
	struct fixture *fx = *state;
	struct shift_totals t;
	totals(fx, &t);
	assert_int_equal(t.documents, 0);
	assert_int_equal(t.sales.count, 0);
	assert_int_equal(t.drawer, 0);
	assert_false(t.opened);
}

static void shift_report_totals__counts_sales_refunds_cash__in_every_state(void **state)
{
	struct fixture *fx = *state;
	/* An earlier shift, closed: none of it counts. */
	doc(fx, "shop", "open-shift", "", 0, 0, 0, 0, JS_PROCESSED);
	doc(fx, "shop", "receipt", "payment", 99900, 0, 99900, 0, JS_PROCESSED);
	doc(fx, "shop", "z-report", "", 0, 0, 0, 0, JS_PROCESSED);
	/* A refused open-shift does not start the shift. */
	doc(fx, "shop", "open-shift", "", 0, 0, 0, 0, JS_REJECTED);
	int64_t opened_at = fx->now + 1000;
	doc(fx, "shop", "open-shift", "", 0, 0, 0, 0, JS_PROCESSED);
	/* 535.80 paid card 300.00 + cash 500.00 with change 264.20. */
	doc(fx, "shop", "receipt", "payment", 53580, 30000, 50000, 26420, JS_PROCESSED);
	/* 200.00 in cash, still on its way: counted (the cash is in the drawer). */
	doc(fx, "shop", "receipt", "payment", 20000, 0, 20000, 0, JS_ACCEPTED);
	/* 54.90 by card, not sent yet: counted. */
	doc(fx, "shop", "receipt", "payment", 5490, 5490, 0, 0, JS_QUEUED);
	/* Refused: not counted anywhere but the states. */
	doc(fx, "shop", "receipt", "payment", 700000, 0, 700000, 0, JS_REJECTED);
	/* A refund of 54.90 in cash, processed; one of 10.00 to the card, retrying. */
	doc(fx, "shop", "receipt", "refund", 5490, 0, 5490, 0, JS_PROCESSED);
	doc(fx, "shop", "receipt", "refund", 1000, 1000, 0, 0, JS_PROVIDER_RETRY);
	doc(fx, "shop", "cash-in", "", 150050, 0, 0, 0, JS_PROCESSED);
	doc(fx, "shop", "cash-out", "", 30000, 0, 0, 0, JS_SENDING);
	doc(fx, "shop", "x-report", "", 0, 0, 0, 0, JS_PROCESSED);
	/* Another profile's sale in the same journal is not this shift's. */
	doc(fx, "back", "receipt", "payment", 12345, 0, 12345, 0, JS_PROCESSED);

	struct shift_totals t;
	totals(fx, &t);
	assert_true(t.opened);
	assert_int_equal(t.since, opened_at);
	assert_int_equal(t.sales.count, 3);
	assert_int_equal(t.sales.sum, 53580 + 20000 + 5490);
	assert_int_equal(t.sales.card, 30000 + 5490);
	assert_int_equal(t.sales.cash, 50000 - 26420 + 20000);
	assert_int_equal(t.refunds.count, 2);
	assert_int_equal(t.refunds.sum, 6490);
	assert_int_equal(t.refunds.card, 1000);
	assert_int_equal(t.refunds.cash, 5490);
	assert_int_equal(t.cash_in_count, 1);
	assert_int_equal(t.cash_in, 150050);
	assert_int_equal(t.cash_out_count, 1);
	assert_int_equal(t.cash_out, 30000);
	/* 235.80 + 200.00 - 54.90 + 1500.50 - 300.00 */
	assert_int_equal(t.drawer, 23580 + 20000 - 5490 + 150050 - 30000);
	assert_int_equal(t.documents, 10);
	assert_int_equal(t.by_state[JS_PROCESSED], 5);
	assert_int_equal(t.by_state[JS_ACCEPTED], 1);
	assert_int_equal(t.by_state[JS_QUEUED], 1);
	assert_int_equal(t.by_state[JS_SENDING], 1);
	assert_int_equal(t.by_state[JS_PROVIDER_RETRY], 1);
	assert_int_equal(t.by_state[JS_REJECTED], 1);
	assert_int_equal(t.not_counted, 1);
	assert_int_equal(shift_report_pending(&t), 4);

	char lines[SHIFT_REPORT_LINES][SHIFT_REPORT_LINE_MAX];
	size_t n = shift_report_format(&t, &MONEY_STYLE_EN, lines, SHIFT_REPORT_LINES);
	assert_int_equal(n, 5);
	assert_string_equal(lines[0], "Sales: 3, 790.70 (card 354.90, cash 435.80)");
	assert_string_equal(lines[1], "Refunds: 2, 64.90 (card 10.00, cash 54.90)");
	assert_string_equal(lines[2], "Cash in: 1, 1,500.50 · cash out: 1, 300.00");
	assert_string_equal(lines[3], "Cash in the drawer: 1,581.40");
	assert_string_equal(lines[4], "Documents: 10: not sent yet 2, processed 5, accepted 1, "
				      "provider retry 1, rejected 1");
}

static void shift_report_totals__after_z__a_receipt_opens_the_next(void **state)
{
	struct fixture *fx = *state;
	doc(fx, "shop", "open-shift", "", 0, 0, 0, 0, JS_PROCESSED);
	doc(fx, "shop", "receipt", "payment", 10000, 0, 10000, 0, JS_PROCESSED);
	int64_t z = doc(fx, "shop", "z-report", "", 0, 0, 0, 0, JS_PROCESSED);
	(void)z;
	struct shift_totals t;
	totals(fx, &t);
	assert_int_equal(t.documents, 0);
	assert_false(t.opened);
	doc(fx, "shop", "receipt", "refund", 2500, 0, 2500, 0, JS_PROCESSED);
	totals(fx, &t);
	assert_int_equal(t.documents, 1);
	assert_int_equal(t.refunds.count, 1);
	assert_int_equal(t.drawer, -2500);
}

static void shift_report_totals__until__leaves_out_the_z_itself(void **state)
{
	struct fixture *fx = *state;
	doc(fx, "shop", "open-shift", "", 0, 0, 0, 0, JS_PROCESSED);
	doc(fx, "shop", "receipt", "payment", 10000, 0, 10000, 0, JS_PROCESSED);
	doc(fx, "shop", "z-report", "", 0, 0, 0, 0, JS_QUEUED);
	struct shift_totals t;
	struct kerr err = {0};
	/* Just before the Z: the shift it closes, with its sale. */
	assert_int_equal(shift_report_totals(fx->j, "shop", false, fx->now, &t, &err), K_OK);
	assert_int_equal(t.sales.count, 1);
	assert_int_equal(t.drawer, 10000);
	assert_int_equal(t.documents, 2);
}

static void shift_report_totals__test_documents__only_in_a_test_report(void **state)
{
	struct fixture *fx = *state;
	fx->seq++;
	fx->now += 1000;
	struct journal_new_doc d = {.profile = "shop",
				    .provider = KPROVIDER_LIFEPAY,
				    .kind = "receipt",
				    .type = "payment",
				    .ext_id = "test-1",
				    .body = "{}",
				    .total = 4200,
				    .cash = 4200,
				    .test = true};
	int64_t id;
	assert_int_equal(journal_enqueue(fx->j, &d, &id, NULL), K_OK);
	struct shift_totals t;
	totals(fx, &t);
	assert_int_equal(t.sales.count, 0);
	assert_int_equal(t.not_counted, 1);
	assert_int_equal(shift_report_totals(fx->j, "shop", true, 0, &t, NULL), K_OK);
	assert_int_equal(t.sales.count, 1);
	assert_int_equal(t.drawer, 4200);
}

/* Queues a receipt of journal_new_doc d (ext_id and uuid made here), brought to processed. */
static int64_t linked(struct fixture *fx, struct journal_new_doc *d)
{
	char ext_id[32], uuid[40];
	fx->seq++;
	fx->now += 1000;
	snprintf(ext_id, sizeof ext_id, "ext-%d", fx->seq);
	snprintf(uuid, sizeof uuid, "uuid-%d", fx->seq);
	d->profile = "shop";
	d->provider = KPROVIDER_LIFEPAY;
	d->kind = "receipt";
	d->type = "payment";
	d->ext_id = ext_id;
	d->body = "{}";
	int64_t id = 0;
	struct kerr err = {0};
	if (journal_enqueue(fx->j, d, &id, &err) != K_OK)
		fail_msg("refused: %s: %s", err.field, err.text);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, uuid, NULL, NULL), K_OK);
	assert_int_equal(journal_transition(fx->j, id, JS_PROCESSED, JSRC_POLL, "", NULL), K_OK);
	return id;
}

/*
 * The field test's shift: an advance of 513.90 by card, then the order of
 * 1,618.50 settled with 1,104.60 (card 604.60 + cash 500.00). Sales are what
 * was paid (card + cash), the advance counted once, when it was taken.
 */
static void shift_report_totals__settled_order__prepayment_counted_once(void **state)
{
	struct fixture *fx = *state;
	doc(fx, "shop", "open-shift", "", 0, 0, 0, 0, JS_PROCESSED);
	struct journal_new_doc pre = {.total = 51390,
				      .card = 51390,
				      .order_body = "{}",
				      .order_total = 161850,
				      .contact = "buyer@example.ru"};
	int64_t pre_id = linked(fx, &pre);
	struct journal_new_doc fin = {
	    .total = 161850, .card = 60460, .cash = 50000, .settles = pre_id, .prepayment = 51390};
	linked(fx, &fin);

	struct shift_totals t;
	totals(fx, &t);
	assert_int_equal(t.sales.count, 2);
	assert_int_equal(t.sales.card, 51390 + 60460);
	assert_int_equal(t.sales.cash, 50000);
	assert_int_equal(t.sales.sum, t.sales.card + t.sales.cash);
	assert_int_equal(t.prepaid_settled_count, 1);
	assert_int_equal(t.prepaid_settled, 51390);
	assert_int_equal(t.drawer, 50000);

	char lines[SHIFT_REPORT_LINES][SHIFT_REPORT_LINE_MAX];
	size_t n = shift_report_format(&t, &MONEY_STYLE_EN, lines, SHIFT_REPORT_LINES);
	assert_int_equal(n, 6);
	assert_string_equal(lines[0], "Sales: 2, 1,618.50 (card 1,118.50, cash 500.00)");
	assert_string_equal(
	    lines[1], "Prepaid orders settled: 1, prepaid earlier 513.90 (not in sales again)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(shift_report_totals__empty_journal__all_zero, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		shift_report_totals__counts_sales_refunds_cash__in_every_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(shift_report_totals__after_z__a_receipt_opens_the_next,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(shift_report_totals__until__leaves_out_the_z_itself,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		shift_report_totals__test_documents__only_in_a_test_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		shift_report_totals__settled_order__prepayment_counted_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

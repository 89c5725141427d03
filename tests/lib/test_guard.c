/* Tests for lib/guard.c: kassa's own tender, refund, piece and ceiling rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "guard.h"
#include "journal.h"
#include "tmpdir.h"
#include "util.h"

#define SALE_UUID "84fefc72-cbc5-5cc1-ba40-d00f035f05cb"

struct fixture {
	char dir[64];
	char path[128];
	struct journal *j;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	if (!tmpdir_journal("guard", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path))
		return -1;
	struct kerr err = {0};
	if (journal_open(fx->path, &fx->j, &err) != K_OK)
		return -1;
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

/* A document in the journal, accepted with uuid (NULL: left queued). */
static int64_t put(struct fixture *fx, const char *ext_id, const char *type, const char *ref,
		   int64_t card, int64_t cash, int64_t change, const char *uuid)
{
	struct journal_new_doc nd = {
	    .profile = "shop",
	    .provider = KPROVIDER_LIFEPAY,
	    .kind = "receipt",
	    .type = type,
	    .ext_id = ext_id,
	    .body = "{}",
	    .ref_uuid = ref,
	    .total = card + cash - change,
	    .card = card,
	    .cash = cash,
	    .change = change,
	};
	int64_t id = 0;
	struct kerr err = {0};
	assert_int_equal(journal_enqueue(fx->j, &nd, &id, &err), K_OK);
	if (uuid) {
		assert_int_equal(journal_mark_sending(fx->j, id, &err), K_OK);
		assert_int_equal(journal_apply_reply_ok(fx->j, id, uuid, NULL, &err), K_OK);
	}
	return id;
}

static void one_line(struct document *d, int64_t price, int64_t qty, enum unit u)
{
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, "Кофе", sizeof l.name);
	l.price = price;
	l.qty = qty;
	l.unit = u;
	d->basket.lines[d->basket.n++] = l;
	assert_int_equal(basket_recalc(&d->basket, NULL), K_OK);
}

static void refund_left_compute__table(void **state)
{
	(void)state;
	static const struct {
		int64_t paid_card, paid_cash, done_card, done_cash, card, cash;
	} cases[] = {
	    {0, 0, 0, 0, 0, 0},
	    {3580, 50000, 0, 0, 3580, 50000},
	    {3580, 50000, 3580, 0, 0, 50000},
	    {3580, 50000, 5000, 0, 0, 50000}, /* never below zero */
	    {10000, 0, 2500, 0, 7500, 0},
	    {0, 10000, 0, 9999, 0, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct refund_left l;
		refund_left_compute(cases[i].paid_card, cases[i].paid_cash, cases[i].done_card,
				    cases[i].done_cash, &l);
		assert_int_equal(l.card, cases[i].card);
		assert_int_equal(l.cash, cases[i].cash);
	}
}

/* Issue 10 item 4: card 35.80 + cash 500.00, refund 54.90 must not all go to the card. */
static void refund_default_split__follows_how_the_original_was_paid(void **state)
{
	(void)state;
	struct refund_left l;
	refund_left_compute(3580, 50000, 0, 0, &l);
	l.known = true;
	int64_t card = -1, cash = -1;
	refund_default_split(&l, 5490, &card, &cash);
	assert_int_equal(card + cash, 5490);
	assert_true(card <= 3580);
	assert_true(cash > 0);
	assert_int_equal(card, 367); /* 54.90 x 35.80 / 535.80 = 3.668 -> 3.67, half-up */

	/* all that is left: exactly the card and the cash left */
	refund_default_split(&l, 53580, &card, &cash);
	assert_int_equal(card, 3580);
	assert_int_equal(cash, 50000);

	/* paid in cash only: nothing to the card */
	refund_left_compute(0, 10000, 0, 0, &l);
	l.known = true;
	refund_default_split(&l, 5490, &card, &cash);
	assert_int_equal(card, 0);
	assert_int_equal(cash, 5490);

	/* card already refunded in full: the rest in cash */
	refund_left_compute(3580, 50000, 3580, 0, &l);
	l.known = true;
	refund_default_split(&l, 5490, &card, &cash);
	assert_int_equal(card, 0);
	assert_int_equal(cash, 5490);

	/* an original from another till: the card, as before */
	memset(&l, 0, sizeof l);
	refund_default_split(&l, 5490, &card, &cash);
	assert_int_equal(card, 5490);
	assert_int_equal(cash, 0);
}

static void guard_refund_card__caps_at_the_card_share(void **state)
{
	(void)state;
	struct refund_left l;
	refund_left_compute(3580, 50000, 0, 0, &l);
	l.known = true;
	struct kerr err = {0};
	assert_int_equal(guard_refund_card(&l, 3580, &err), K_OK);
	assert_int_equal(guard_refund_card(&l, 3581, &err), K_REFUSED);
	assert_string_equal(err.field, "card_amount");
	assert_non_null(strstr(err.text, "at most 35.80"));

	refund_left_compute(0, 50000, 0, 0, &l);
	l.known = true;
	assert_int_equal(guard_refund_card(&l, 1, &err), K_REFUSED);
	assert_non_null(strstr(err.text, "cash"));

	memset(&l, 0, sizeof l); /* not in this journal: the provider checks */
	assert_int_equal(guard_refund_card(&l, 1000000, &err), K_OK);
}

static void guard_refund_left__reads_original_and_earlier_card_refunds(void **state)
{
	struct fixture *fx = *state;
	put(fx, "sale-1", "payment", NULL, 3580, 100000, 50000, SALE_UUID);
	/* an earlier card refund of 20.00 that stands, one rejected, one queued in cash */
	int64_t r1 = put(fx, "ref-1", "refund", SALE_UUID, 2000, 0, 0,
			 "11111111-1111-4111-8111-111111111111");
	(void)r1;
	int64_t r2 = put(fx, "ref-2", "refund", SALE_UUID, 1000, 0, 0, NULL);
	struct kerr err = {0};
	assert_int_equal(journal_mark_sending(fx->j, r2, &err), K_OK);
	assert_int_equal(journal_apply_reply_rejected(fx->j, r2, 400, "no", &err), K_OK);
	put(fx, "ref-3", "refund", SALE_UUID, 0, 500, 0, NULL);

	struct refund_left l;
	assert_int_equal(guard_refund_left(fx->j, SALE_UUID, &l, &err), K_OK);
	assert_true(l.known);
	assert_int_equal(l.paid_card, 3580);
	assert_int_equal(l.paid_cash, 50000); /* cash 1000.00 less change 500.00 */
	assert_int_equal(l.done_card, 2000);  /* the rejected one does not count */
	assert_int_equal(l.card, 1580);
	assert_int_equal(l.cash, 49500);

	assert_int_equal(guard_refund_left(fx->j, "22222222-2222-4222-8222-222222222222", &l, &err),
			 K_OK);
	assert_false(l.known);
}

static void guard_document__refund_card_over_the_card_share__refused(void **state)
{
	struct fixture *fx = *state;
	put(fx, "sale-2", "payment", NULL, 3580, 50000, 0, SALE_UUID);
	struct document d;
	document_init(&d, DOC_RECEIPT);
	d.type = RT_REFUND;
	str_copy(d.ref_uuid, SALE_UUID, sizeof d.ref_uuid);
	one_line(&d, 5490, 1000, UNIT_PIECE);
	d.pay.card.kind = PAY_REMAINDER;
	struct kerr err = {0};
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(guard_document(fx->j, &d, 0, &err), K_REFUSED);
	assert_string_equal(err.field, "card_amount");

	/* the same refund split: card 35.80, the rest in cash */
	d.pay.card = (struct pay_amount){PAY_AMOUNT, 3580};
	d.pay.cash.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(guard_document(fx->j, &d, 0, &err), K_OK);
	document_free(&d);
}

static void guard_document__refund_without_original__needs_no_original(void **state)
{
	struct fixture *fx = *state;
	struct document d;
	document_init(&d, DOC_RECEIPT);
	d.type = RT_REFUND;
	one_line(&d, 45900, 1000, UNIT_PIECE);
	d.pay.cash.kind = PAY_REMAINDER;
	struct kerr err = {0};
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(guard_document(fx->j, &d, 0, &err), K_REFUSED);
	assert_string_equal(err.field, "ref_uuid");
	d.no_original = true;
	assert_int_equal(guard_document(fx->j, &d, 0, &err), K_OK);
	document_free(&d);
}

static void guard_document__cash_when_card_covers__refused(void **state)
{
	(void)state;
	struct document d;
	document_init(&d, DOC_RECEIPT);
	one_line(&d, 63780, 1000, UNIT_PIECE);
	d.pay.card = (struct pay_amount){PAY_AMOUNT, 63780};
	d.pay.cash = (struct pay_amount){PAY_AMOUNT, 500000};
	struct kerr err = {0};
	assert_int_equal(document_validate(&d, &err), K_OK); /* the provider would take it */
	assert_int_equal(guard_document(NULL, &d, 0, &err), K_REFUSED);
	assert_string_equal(err.field, "cash_amount");
	assert_non_null(strstr(err.text, "card already covers the total"));
	document_free(&d);
}

static void guard_document__fractional_piece__refused(void **state)
{
	(void)state;
	struct document d;
	document_init(&d, DOC_RECEIPT);
	one_line(&d, 5490, 1500, UNIT_PIECE);
	d.pay.cash.kind = PAY_REMAINDER;
	struct kerr err = {0};
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(guard_document(NULL, &d, 0, &err), K_INVALID);
	assert_string_equal(err.field, "purchase.products[0].quantity");
	d.basket.lines[0].unit = UNIT_KG; /* weighed goods keep three decimals */
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(guard_document(NULL, &d, 0, &err), K_OK);
	document_free(&d);
}

static void guard_ceiling__table(void **state)
{
	(void)state;
	static const struct {
		int64_t price, qty, max;
		kstatus st;
		const char *field;
	} cases[] = {
	    {100000000, 1000, 0, K_OK, NULL},		       /* 1,000,000.00 exactly */
	    {100000001, 1000, 0, K_REFUSED, "line 1: price"},  /* one kopeck above */
	    {100, 10000000, 0, K_OK, NULL},		       /* 10,000 pieces */
	    {100, 10001000, 0, K_REFUSED, "line 1: quantity"}, /* 10,001 pieces */
	    {60000000, 2000, 0, K_REFUSED, "line 1: sum"},     /* 2 x 600,000.00 */
	    {100000, 1000, 50000, K_REFUSED, "line 1: price"}, /* the profile's own ceiling */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct document d;
		document_init(&d, DOC_RECEIPT);
		one_line(&d, cases[i].price, cases[i].qty, UNIT_PIECE);
		struct kerr err = {0};
		assert_int_equal(guard_ceiling(&d, cases[i].max, &err), cases[i].st);
		if (cases[i].field)
			assert_string_equal(err.field, cases[i].field);
		document_free(&d);
	}
	struct document c;
	document_init(&c, DOC_CASH_IN);
	c.amount = 9999999999900; /* 99,999,999,999.00 */
	struct kerr err = {0};
	assert_int_equal(guard_ceiling(&c, 0, &err), K_REFUSED);
	assert_string_equal(err.field, "amount");
	assert_non_null(strstr(err.text, "max_receipt"));
	c.allow_large = true;
	assert_int_equal(guard_document(NULL, &c, 0, &err), K_OK);
	c.amount = CONFIG_MAX_RECEIPT_DEFAULT;
	c.allow_large = false;
	assert_int_equal(guard_document(NULL, &c, 0, &err), K_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(refund_left_compute__table),
	    cmocka_unit_test(refund_default_split__follows_how_the_original_was_paid),
	    cmocka_unit_test(guard_refund_card__caps_at_the_card_share),
	    cmocka_unit_test_setup_teardown(
		guard_refund_left__reads_original_and_earlier_card_refunds, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		guard_document__refund_card_over_the_card_share__refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		guard_document__refund_without_original__needs_no_original, setup, teardown),
	    cmocka_unit_test(guard_document__cash_when_card_covers__refused),
	    cmocka_unit_test(guard_document__fractional_piece__refused),
	    cmocka_unit_test(guard_ceiling__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

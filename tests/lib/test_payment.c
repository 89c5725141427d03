/* Tests for lib/payment.c, with the seed's worked example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "basket.h"
#include "payment.h"

static struct pay_amount amt(const char *text)
{
	struct pay_amount a;
	struct kerr err = {0};
	if (pay_amount_parse(text, &a, "amount", &err) != K_OK)
		fail_msg("'%s': %s", text, err.text);
	return a;
}

/* Seed lifepay-cloud-print-non-fiscal-receipt: 20730.00 and 3710.00 with 10%
 * off each, cash 10000, card '#' -> total 21996.00, card 11996.00. */
static void payment_resolve__seed_example__card_is_remainder(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l;
	basket_line_init(&l);
	strcpy(l.name, "Монитор DELL U2412M");
	l.price = 2073000;
	l.discount = (struct discount){DISCOUNT_PERCENT, 1000};
	assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	strcpy(l.name, "Сканер Canon CanoScan LiDE 120");
	l.price = 371000;
	assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	assert_int_equal(b.total, 2199600);

	struct payment p = {.card = amt("#"), .cash = amt("10000")};
	struct payment_result r;
	assert_int_equal(payment_resolve(b.total, &p, &r, NULL), K_OK);
	assert_int_equal(r.card, 1199600);
	assert_int_equal(r.cash, 1000000);
	assert_int_equal(r.change, 0);
}

struct pay_case {
	int64_t total;
	const char *card, *cash;
	kstatus st;
	int64_t card_out, cash_out, change;
	int code;
	const char *field;
};

static void payment_resolve__rules__table(void **state)
{
	static const struct pay_case cases[] = {
	    {1000, "#", "", K_OK, 1000, 0, 0, 0, NULL},
	    {1000, "", "#", K_OK, 0, 1000, 0, 0, NULL},
	    {1000, "", "20", K_OK, 0, 2000, 1000, 0, NULL}, /* change */
	    {1000, "4", "#", K_OK, 400, 600, 0, 0, NULL},
	    {1000, "4", "7", K_OK, 400, 700, 100, 0, NULL}, /* change from cash */
	    {1000, "10", "", K_OK, 1000, 0, 0, 0, NULL},    /* exact card */
	    {1000, "#", "15", K_OK, 0, 1500, 500, 0, NULL}, /* cash covers all */
	    {1000, "#", "#", K_REFUSED, 0, 0, 0, 400, "card_amount"},
	    {1000, "10.01", "", K_REFUSED, 0, 0, 0, 3896, "card_amount"},
	    {1000, "11", "#", K_REFUSED, 0, 0, 0, 3896, "card_amount"},
	    {1000, "5", "4.99", K_REFUSED, 0, 0, 0, 400, "cash_amount"},
	    {1000, "", "", K_REFUSED, 0, 0, 0, 400, "cash_amount"},
	    {1000, "9.99", "", K_REFUSED, 0, 0, 0, 400, "card_amount"},
	    {0, "", "", K_OK, 0, 0, 0, 0, NULL},
	    {0, "#", "", K_OK, 0, 0, 0, 0, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct pay_case *c = &cases[i];
		struct payment p = {.card = amt(c->card), .cash = amt(c->cash)};
		struct payment_result r = {0};
		struct kerr err = {0};
		kstatus st = payment_resolve(c->total, &p, &r, &err);
		if (st != c->st)
			fail_msg("case %zu: status %d want %d (%s)", i, st, c->st, err.text);
		if (st == K_OK) {
			assert_int_equal(r.card, c->card_out);
			assert_int_equal(r.cash, c->cash_out);
			assert_int_equal(r.change, c->change);
		} else {
			assert_int_equal(err.code, c->code);
			assert_string_equal(err.field, c->field);
			assert_true(strlen(err.text) > 10);
		}
	}
}

static void pay_amount_parse__rejects_bad_text(void **state)
{
	(void)state;
	struct pay_amount a;
	struct kerr err = {0};
	assert_int_equal(pay_amount_parse("##", &a, "cash_amount", &err), K_INVALID);
	assert_string_equal(err.field, "cash_amount");
	assert_int_equal(pay_amount_parse("-5", &a, "cash_amount", &err), K_INVALID);
	assert_int_equal(pay_amount_parse(" # ", &a, "cash_amount", &err), K_OK);
	assert_int_equal(a.kind, PAY_REMAINDER);
}

/* kassa's own tender rules (issue 10 item 3), on top of the provider's. */
static void payment_check__tender_rules__table(void **state)
{
	static const struct pay_case cases[] = {
	    /* total 637.80, cash 5000 + card 637.80: the card covers it all */
	    {63780, "637.80", "5000", K_REFUSED, 0, 0, 0, 0, "cash_amount"},
	    {63780, "#", "5000", K_OK, 0, 500000, 436220, 0, NULL},	  /* card # is 0 */
	    {63780, "600", "5000", K_OK, 60000, 500000, 496220, 0, NULL}, /* 37.80 left */
	    {63780, "637.80", "", K_OK, 63780, 0, 0, 0, NULL},
	    {63780, "637.80", "0", K_OK, 63780, 0, 0, 0, NULL},
	    {63780, "637.81", "", K_REFUSED, 0, 0, 0, 3896, "card_amount"},
	    {63780, "500", "#", K_OK, 50000, 13780, 0, 0, NULL},
	    {63780, "", "", K_REFUSED, 0, 0, 0, 400, "cash_amount"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct pay_case *c = &cases[i];
		struct payment p = {.card = amt(c->card), .cash = amt(c->cash)};
		struct payment_result r = {0};
		struct kerr err = {0};
		kstatus st = payment_check(c->total, &p, &r, &err);
		if (st != c->st)
			fail_msg("case %zu: status %d, want %d (%s)", i, st, c->st, err.text);
		if (st == K_OK) {
			assert_int_equal(r.card, c->card_out);
			assert_int_equal(r.cash, c->cash_out);
			assert_int_equal(r.change, c->change);
			assert_true(r.change <= r.cash);
		} else {
			assert_string_equal(err.field, c->field);
			assert_int_equal(err.code, c->code);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(payment_resolve__seed_example__card_is_remainder),
	    cmocka_unit_test(payment_resolve__rules__table),
	    cmocka_unit_test(pay_amount_parse__rejects_bad_text),
	    cmocka_unit_test(payment_check__tender_rules__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

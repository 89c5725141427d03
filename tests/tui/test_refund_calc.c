/* Tests for tui/refund_calc.c: what a refund pays back and how the pick list is searched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "money.h"
#include "refund_calc.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay.h"
#include "wire/paykeeper.h"

static void add(struct basket *b, const char *name, int64_t price, int64_t qty, struct discount d)
{
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, name, sizeof l.name);
	l.price = price;
	l.qty = qty;
	l.unit = qty % QTY_ONE ? UNIT_KG : UNIT_PIECE; /* pieces are whole */
	l.discount = d;
	l.vat = VAT_VAT20;
	l.vat_set = true;
	assert_int_equal(basket_add(b, &l, NULL), K_OK);
}

static const struct discount none = {DISCOUNT_NONE, 0};

static void refund_build__rejects__nothing_chosen_and_too_much(void **state)
{
	(void)state;
	static struct basket b, out;
	basket_init(&b);
	add(&b, "Кофе", 45900, 2000, none);
	int64_t qty[BASKET_MAX_LINES] = {0};
	struct kerr err = {0};
	assert_int_equal(refund_build(&b, qty, &out, &err), K_INVALID);
	qty[0] = 2001; /* more than sold */
	assert_int_equal(refund_build(&b, qty, &out, &err), K_INVALID);
	assert_non_null(strstr(err.text, "2"));
	qty[0] = -1;
	assert_int_equal(refund_build(&b, qty, &out, &err), K_INVALID);
}

static void refund_taken__counts_earlier_refunds__per_line(void **state)
{
	(void)state;
	static struct basket orig, a, b;
	basket_init(&orig);
	add(&orig, "Хлеб", 5490, 1000, none);
	add(&orig, "Яблоки", 14900, 455, none);
	add(&orig, "Хлеб", 5490, 2000, none); /* the same item on a second line */
	basket_init(&a);
	add(&a, "Хлеб", 5490, 1000, none);
	add(&a, "Яблоки", 14900, 200, none);
	basket_init(&b);
	add(&b, "Хлеб", 5490, 1500, none);   /* no room on line 1 now: goes to line 3 */
	add(&b, "Яблоки", 14900, 300, none); /* over what is left: still counted */
	add(&b, "Кефир", 8990, 1000, none);  /* not on the original: ignored */
	add(&b, "Хлеб", 9990, 1000, none);   /* another price: ignored */
	int64_t done[BASKET_MAX_LINES] = {0};
	refund_taken(&orig, &a, done);
	assert_int_equal(done[0], 1000);
	assert_int_equal(done[1], 200);
	assert_int_equal(done[2], 0);
	refund_taken(&orig, &b, done);
	assert_int_equal(done[0], 1000);
	assert_int_equal(done[1], 500);
	assert_int_equal(done[2], 1500);
	assert_int_equal(done[3], 0);
}

static void refund_build__whole_line__pays_back_its_sum(void **state)
{
	(void)state;
	static struct basket b, out;
	basket_init(&b);
	add(&b, "Хлеб", 5490, 1000, none);
	add(&b, "Сыр", 74900, 455, (struct discount){DISCOUNT_PERCENT, 1000}); /* 10% */
	assert_int_equal(
	    basket_set_receipt_discount(&b, (struct discount){DISCOUNT_AMOUNT, 1001}, NULL), K_OK);
	int64_t qty[BASKET_MAX_LINES] = {1000, 455};
	assert_int_equal(refund_build(&b, qty, &out, NULL), K_OK);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.lines[0].sum, b.lines[0].sum);
	assert_int_equal(out.lines[1].sum, b.lines[1].sum);
	assert_int_equal(out.total, b.total);
}

static void refund_build__part_of_a_line__takes_the_discount_in_proportion(void **state)
{
	(void)state;
	static struct basket b, out;
	basket_init(&b);
	/* 3 x 100.00 with 10.00 off the line: 290.00. */
	add(&b, "Чай", 10000, 3000, (struct discount){DISCOUNT_AMOUNT, 1000});
	int64_t qty[BASKET_MAX_LINES] = {1000};
	assert_int_equal(refund_build(&b, qty, &out, NULL), K_OK);
	/* One of three: 100.00 - 3.33 (10.00 / 3, half-up) = 96.67. */
	assert_int_equal(out.total, 9667);
	qty[0] = 2000;
	assert_int_equal(refund_build(&b, qty, &out, NULL), K_OK);
	assert_int_equal(out.total, 20000 - 667); /* 6.666.. rounds up to 6.67 */
}

static void refund_build__part_of_a_weighed_line__rounds_half_up(void **state)
{
	(void)state;
	static struct basket b, out;
	basket_init(&b);
	add(&b, "Яблоки", 14900, 1455, none); /* 216.80 (216.795 half-up) */
	int64_t qty[BASKET_MAX_LINES] = {455};
	assert_int_equal(refund_build(&b, qty, &out, NULL), K_OK);
	assert_int_equal(out.total, 6780); /* 0.455 x 149.00 = 67.795 -> 67.80 */
}

static void refund_parse_original__reads_a_stored_lifepay_body(void **state)
{
	(void)state;
	struct document *d = calloc(1, sizeof *d);
	document_init(d, DOC_RECEIPT);
	add(&d->basket, "Хлеб «Бородинский»", 5490, 2000, none);
	add(&d->basket, "Кофе", 45900, 1000, (struct discount){DISCOUNT_PERCENT, 1000});
	d->pay.card.kind = PAY_AMOUNT;
	d->pay.card.kop = 10000;
	d->pay.cash.kind = PAY_REMAINDER;
	d->tax_system = TAX_USN6;
	char *body = wire_lifepay_request_text(d, NULL); /* stored without credentials */
	assert_non_null(body);
	static struct refund_original o;
	struct kerr err = {0};
	assert_int_equal(refund_parse_original(KPROVIDER_LIFEPAY, body, &o, &err), K_OK);
	assert_int_equal(o.basket.n, 2);
	assert_string_equal(o.basket.lines[0].name, "Хлеб «Бородинский»");
	assert_int_equal(o.basket.lines[0].qty, 2000);
	assert_int_equal(o.basket.total, d->basket.total);
	assert_int_equal(o.type, RT_PAYMENT);
	assert_int_equal(o.tax, TAX_USN6);
	assert_int_equal(o.card, 10000);
	assert_int_equal(o.cash, d->basket.total - 10000);
	free(body);
	document_free(d);
	free(d);
}

static void refund_parse_original__reads_a_stored_paykeeper_form(void **state)
{
	(void)state;
	static struct basket b;
	basket_init(&b);
	add(&b, "Кофе", 45900, 2000, (struct discount){DISCOUNT_AMOUNT, 1800});
	char *cart = NULL;
	assert_int_equal(paykeeper_cart_json(&b, &cart, NULL), K_OK);
	char *form = NULL;
	form_add(&form, "type", "sale");
	form_add(&form, "sum_cashless", "900.00");
	form_add(&form, "sum_cash", "0.00");
	form_add(&form, "cart", cart);
	static struct refund_original o;
	assert_int_equal(refund_parse_original(KPROVIDER_PAYKEEPER, form, &o, NULL), K_OK);
	assert_int_equal(o.basket.total, b.total);
	assert_int_equal(o.card, 90000);
	assert_int_equal(o.type, RT_PAYMENT);
	free(cart);
	free(form);
}

static void refund_parse_original__refuses__empty_and_broken_bodies(void **state)
{
	(void)state;
	static struct refund_original o;
	struct kerr err = {0};
	assert_int_equal(refund_parse_original(KPROVIDER_LIFEPAY, "", &o, &err), K_INVALID);
	assert_int_equal(refund_parse_original(KPROVIDER_LIFEPAY, NULL, &o, &err), K_INVALID);
	assert_int_equal(refund_parse_original(KPROVIDER_LIFEPAY, "{\"purchase\": 5", &o, &err),
			 K_INVALID);
	assert_int_equal(refund_parse_original(KPROVIDER_PAYKEEPER, "type=sale", &o, &err),
			 K_INVALID);
	assert_string_equal(err.field, "cart");
}

static void refund_type_for__table(void **state)
{
	(void)state;
	enum receipt_type t;
	assert_true(refund_type_for(RT_PAYMENT, &t));
	assert_int_equal(t, RT_REFUND);
	assert_true(refund_type_for(RT_BUY, &t));
	assert_int_equal(t, RT_BUY_REFUND);
	assert_false(refund_type_for(RT_REFUND, &t));
	assert_false(refund_type_for(RT_BUY_REFUND, &t));
}

static void refund_matches__table(void **state)
{
	(void)state;
	/* 2024-11-23 14:03:00 UTC */
	const int64_t at = 1732370580000LL;
	const char *ext = "AbC-123", *uuid = "84fefc72-cbc5-5cc1-ba40-d00f035f05cb";
	static const struct {
		const char *text;
		bool want;
	} cases[] = {
	    {"", true},
	    {"   ", true},
	    {"abc", true},
	    {"ABC-1", true},
	    {"bc", false},
	    {"84FEFC", true},
	    {"84fefc72-cbc5", true},
	    {"#12", true},
	    {"12", true},
	    {"13", false},
	    {"535.80", true},
	    {"535,80", true},
	    {"535.81", false},
	    {"23.11", true},
	    {"23.11.2024", true},
	    {"2024-11-23", true},
	    {"24.11", false},
	    {"2", false},
	    {"x", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool got = refund_matches(cases[i].text, 12, ext, uuid, 53580, at);
		if (got != cases[i].want)
			fail_msg("refund_matches(\"%s\") = %d, want %d", cases[i].text, got,
				 cases[i].want);
	}
	assert_true(refund_matches("", 1, NULL, NULL, 0, at));
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(refund_build__rejects__nothing_chosen_and_too_much),
	    cmocka_unit_test(refund_build__whole_line__pays_back_its_sum),
	    cmocka_unit_test(refund_taken__counts_earlier_refunds__per_line),
	    cmocka_unit_test(refund_build__part_of_a_line__takes_the_discount_in_proportion),
	    cmocka_unit_test(refund_build__part_of_a_weighed_line__rounds_half_up),
	    cmocka_unit_test(refund_parse_original__reads_a_stored_lifepay_body),
	    cmocka_unit_test(refund_parse_original__reads_a_stored_paykeeper_form),
	    cmocka_unit_test(refund_parse_original__refuses__empty_and_broken_bodies),
	    cmocka_unit_test(refund_type_for__table),
	    cmocka_unit_test(refund_matches__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

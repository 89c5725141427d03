/* Tests for lib/basket.c: lines, discounts, the receipt discount spread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "basket.h"
#include "document.h"
#include "money.h"

static struct basket_line line(const char *name, int64_t price, int64_t qty)
{
	struct basket_line l;
	basket_line_init(&l);
	snprintf(l.name, sizeof l.name, "%s", name);
	l.price = price;
	l.qty = qty;
	return l;
}

/* Issue 11: U+202E turned "Milk 001" into a name that reads backwards on the receipt. */
static void basket_check_name__refuses__bidi_and_invisible_characters(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "Milk \xe2\x80\xae"
	    "100", /* U+202E right-to-left override */
	    "Milk \xe2\x80\xad"
	    "100",			      /* U+202D left-to-right override */
	    "Mi\xe2\x80\x8blk",		      /* U+200B zero-width space */
	    "Milk \xe2\x81\xa6x\xe2\x81\xa9", /* U+2066 isolate */
	    "\xef\xbb\xbfMilk",		      /* U+FEFF */
	    "Milk\xc2\x85",		      /* U+0085 C1 control */
	    "Mi\xc2\xadlk",		      /* U+00AD soft hyphen */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct kerr err = {0};
		assert_int_equal(basket_check_name(bad[i], "purchase.products[0].name", &err),
				 K_INVALID);
		assert_string_equal(err.field, "purchase.products[0].name");
		assert_non_null(strstr(err.text, "U+"));
	}
	assert_int_equal(basket_check_name("Хлеб «Бородинский» №1 — 0,5 кг", "name", NULL), K_OK);
	struct kerr err = {0};
	assert_int_equal(document_check_text("Ива\xe2\x80\xaeнов", 0, "cashier_name", &err),
			 K_INVALID);
	assert_non_null(strstr(err.text, "U+202E"));
}

static void basket_check_name__counts_characters_not_bytes(void **state)
{
	(void)state;
	char name[LINE_NAME_MAX_BYTES + 8];
	/* 128 Cyrillic letters = 256 bytes: allowed */
	name[0] = '\0';
	for (int i = 0; i < 128; i++)
		strcat(name, "Ж");
	assert_int_equal(basket_check_name(name, "name", NULL), K_OK);
	strcat(name, "Ж");
	struct kerr err = {0};
	assert_int_equal(basket_check_name(name, "name", &err), K_INVALID);
	assert_non_null(strstr(err.text, "129"));
	assert_int_equal(basket_check_name("", "name", &err), K_INVALID);
	assert_int_equal(basket_check_name("   ", "name", &err), K_INVALID);
	assert_int_equal(basket_check_name("\xD0", "name", &err), K_INVALID);	  /* cut */
	assert_int_equal(basket_check_name("\xC0\xAF", "name", &err), K_INVALID); /* overlong */
	assert_int_equal(basket_check_name("\xED\xA0\x80", "name", &err),
			 K_INVALID); /* surrogate */
	assert_int_equal(basket_check_name("a\tb", "name", &err), K_INVALID);
	assert_int_equal(basket_check_name("Хлеб", "name", &err), K_OK);
}

static void basket_add__rejects_bad_lines__keeps_basket(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line ok = line("Хлеб", 4550, 1000);
	assert_int_equal(basket_add(&b, &ok, NULL), K_OK);

	struct {
		struct basket_line l;
		const char *field;
	} bad[] = {
	    {line("Молоко", 100, 0), "quantity"},
	    {line("Молоко", 100, -1000), "quantity"},
	    {line("Молоко", -1, 1000), "price"},
	    {line("", 100, 1000), "name"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct kerr err = {0};
		assert_int_not_equal(basket_add(&b, &bad[i].l, &err), K_OK);
		assert_string_equal(err.field, bad[i].field);
	}
	struct basket_line big = line("Золото", MONEY_MAX, QTY_MAX);
	struct kerr err = {0};
	assert_int_equal(basket_add(&b, &big, &err), K_OVERFLOW);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.total, 4550);
}

static void basket_add__at_most_100_lines(void **state)
{
	(void)state;
	static struct basket b;
	basket_init(&b);
	struct basket_line l = line("Спички", 100, 1000);
	for (int i = 0; i < BASKET_MAX_LINES; i++)
		assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	struct kerr err = {0};
	assert_int_equal(basket_add(&b, &l, &err), K_REFUSED);
	assert_non_null(strstr(err.text, "100"));
	assert_int_equal(b.total, 100 * 100);
}

static void basket_discounts__line_percent_and_amount(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line a = line("Сыр", 99900, 455); /* 999.00 x 0.455 = 454.545 -> 454.55 */
	a.unit = UNIT_KG;
	a.discount = (struct discount){DISCOUNT_PERCENT, 1000}; /* 45.455 -> 45.46 */
	assert_int_equal(basket_add(&b, &a, NULL), K_OK);
	assert_int_equal(b.lines[0].gross, 45455);
	assert_int_equal(b.lines[0].line_discount, 4546);
	assert_int_equal(b.lines[0].sum, 40909);

	struct basket_line c = line("Чай", 15000, 3000);       /* 450.00 */
	c.discount = (struct discount){DISCOUNT_AMOUNT, 5000}; /* 50.00 off the line */
	assert_int_equal(basket_add(&b, &c, NULL), K_OK);
	assert_int_equal(b.lines[1].sum, 40000);
	assert_int_equal(b.total, 80909);
	assert_int_equal(b.gross, 45455 + 45000);
	assert_int_equal(b.discount, 4546 + 5000);

	struct kerr err = {0};
	assert_int_equal(
	    basket_set_discount(&b, 1, (struct discount){DISCOUNT_AMOUNT, 45001}, &err), K_INVALID);
	assert_int_equal(b.lines[1].discount.value, 5000); /* unchanged */
	assert_int_equal(
	    basket_set_discount(&b, 1, (struct discount){DISCOUNT_PERCENT, 10001}, &err),
	    K_INVALID);
	assert_int_equal(b.total, 80909);
}

static void basket_receipt_discount__spreads_to_exact_total(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l = line("Тетрадь", 100, 1000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	/* 1.00 off 3.00: 34 + 33 + 33 kopecks */
	assert_int_equal(
	    basket_set_receipt_discount(&b, (struct discount){DISCOUNT_AMOUNT, 100}, NULL), K_OK);
	assert_int_equal(b.total, 200);
	assert_int_equal(b.lines[0].sum, 66);
	assert_int_equal(b.lines[1].sum, 67);
	assert_int_equal(b.lines[2].sum, 67);
	int64_t s = 0;
	for (size_t i = 0; i < b.n; i++)
		s += b.lines[i].sum;
	assert_int_equal(s, b.total);

	/* 10% off 3.00 = 0.30 spread 10/10/10 */
	assert_int_equal(
	    basket_set_receipt_discount(&b, (struct discount){DISCOUNT_PERCENT, 1000}, NULL), K_OK);
	assert_int_equal(b.total, 270);
	/* more than the total is refused and the old discount stays */
	struct kerr err = {0};
	assert_int_equal(
	    basket_set_receipt_discount(&b, (struct discount){DISCOUNT_AMOUNT, 301}, &err),
	    K_INVALID);
	assert_int_equal(b.total, 270);
}

static void basket_edit__qty_price_remove_clear(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l = line("Кефир", 8990, 1000);
	assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	l = line("Батон", 5500, 2000);
	assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	assert_int_equal(b.total, 8990 + 11000);
	assert_int_equal(basket_set_qty(&b, 0, 3000, NULL), K_OK);
	assert_int_equal(b.total, 26970 + 11000);
	assert_int_equal(basket_set_qty(&b, 0, 0, NULL), K_INVALID);
	assert_int_equal(basket_set_price(&b, 1, 6000, NULL), K_OK);
	assert_int_equal(b.total, 26970 + 12000);
	assert_int_equal(basket_set_qty(&b, 5, 1000, NULL), K_NOTFOUND);
	assert_int_equal(basket_remove(&b, 0, NULL), K_OK);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.lines[0].name, "Батон");
	assert_int_equal(b.total, 12000);
	assert_int_equal(basket_remove(&b, 3, NULL), K_NOTFOUND);
	basket_clear(&b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.total, 0);
}

static void basket_remove__drops_receipt_amount_discount_that_no_longer_fits(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l = line("A", 1000, 1000);
	assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	l = line("B", 100, 1000);
	assert_int_equal(basket_add(&b, &l, NULL), K_OK);
	assert_int_equal(
	    basket_set_receipt_discount(&b, (struct discount){DISCOUNT_AMOUNT, 500}, NULL), K_OK);
	assert_int_equal(basket_remove(&b, 0, NULL), K_OK);
	assert_int_equal(b.receipt_discount.type, DISCOUNT_NONE);
	assert_int_equal(b.total, 100);
}

static void unit_and_vat__wire_names_round_trip(void **state)
{
	(void)state;
	for (int u = 0; u < UNIT_COUNT; u++) {
		enum unit got;
		assert_true(unit_parse(unit_wire((enum unit)u), &got));
		assert_int_equal(got, u);
	}
	for (int v = 0; v < VAT_COUNT; v++) {
		enum vat got;
		assert_true(vat_parse(vat_wire((enum vat)v), &got));
		assert_int_equal(got, v);
	}
	enum unit u;
	enum vat v;
	assert_false(unit_parse("pcs", &u));
	assert_false(vat_parse("vat21", &v));
	assert_true(vat_parse("vat22", &v));
	assert_int_equal(v, VAT_VAT22);
}

/* Issue 10 item 6: piece goods in whole pieces, weighed goods with three decimals. */
static void basket_add__piece_goods__whole_quantities_only(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l = line("Хлеб", 5490, 1500);
	struct kerr err = {0};
	assert_int_equal(basket_add(&b, &l, &err), K_INVALID);
	assert_non_null(strstr(err.text, "whole"));
	assert_int_equal(b.n, 0);
	l.unit = UNIT_KG;
	assert_int_equal(basket_add(&b, &l, &err), K_OK);
	l = line("Молоко", 8990, 2000);
	assert_int_equal(basket_add(&b, &l, &err), K_OK);
	assert_int_equal(basket_set_qty(&b, 1, 2500, &err), K_INVALID);
	assert_int_equal(b.lines[1].qty, 2000); /* nothing changed */
	assert_int_equal(basket_set_qty(&b, 0, 455, &err), K_OK);
	assert_int_equal(basket_check_qty(UNIT_PIECE, 3000, "quantity", &err), K_OK);
	assert_int_equal(basket_check_qty(UNIT_L, 1, "quantity", &err), K_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basket_check_name__counts_characters_not_bytes),
	    cmocka_unit_test(basket_check_name__refuses__bidi_and_invisible_characters),
	    cmocka_unit_test(basket_add__rejects_bad_lines__keeps_basket),
	    cmocka_unit_test(basket_add__at_most_100_lines),
	    cmocka_unit_test(basket_discounts__line_percent_and_amount),
	    cmocka_unit_test(basket_receipt_discount__spreads_to_exact_total),
	    cmocka_unit_test(basket_edit__qty_price_remove_clear),
	    cmocka_unit_test(basket_remove__drops_receipt_amount_discount_that_no_longer_fits),
	    cmocka_unit_test(unit_and_vat__wire_names_round_trip),
	    cmocka_unit_test(basket_add__piece_goods__whole_quantities_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

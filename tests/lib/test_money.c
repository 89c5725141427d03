/* Tests for lib/money.c: the strict parser, formatting, rounding, spreading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"

struct parse_case {
	const char *text;
	kstatus st;
	int64_t value;
	const char *why; /* a word the error must contain */
};

static void money_parse__accepts_and_rejects__table(void **state)
{
	static const struct parse_case cases[] = {
	    {"1", K_OK, 100, NULL},
	    {"1.5", K_OK, 150, NULL},
	    {"1,50", K_OK, 150, NULL},
	    {" 12.50 ", K_OK, 1250, NULL},
	    {"0", K_OK, 0, NULL},
	    {"0.01", K_OK, 1, NULL},
	    {"20730.00", K_OK, 2073000, NULL},
	    {"999999999999.99", K_OK, MONEY_MAX, NULL},
	    {"", K_INVALID, 0, "empty"},
	    {"   ", K_INVALID, 0, "empty"},
	    {"1.234", K_INVALID, 0, "2 decimal"},
	    {"-1", K_INVALID, 0, "sign"},
	    {"+1", K_INVALID, 0, "sign"},
	    {"1e3", K_INVALID, 0, "exponent"},
	    {"1E3", K_INVALID, 0, "exponent"},
	    {"1 000", K_OK, 100000, NULL},
	    {"1 234,50", K_OK, 123450, NULL},
	    {"20 730.00", K_OK, 2073000, NULL},
	    {"2,000.00", K_OK, 200000, NULL},
	    {"1,000,000", K_OK, 100000000, NULL},
	    {"1\u00a0000,5", K_OK, 100050, NULL},
	    {"1\u202f000", K_OK, 100000, NULL},
	    {"1 00", K_INVALID, 0, "three digits"},
	    {"1  000", K_INVALID, 0, "three digits"},
	    {"1000 000", K_INVALID, 0, "three digits"},
	    {"1 000 0", K_INVALID, 0, "three digits"},
	    {"1,000", K_INVALID, 0, "for thousands write 1000, 1 000 or 1,000.00"},
	    {"12,345", K_INVALID, 0, "three digits after the comma"},
	    {"1.000", K_INVALID, 0, "2 decimal"},
	    {"1,00.00", K_INVALID, 0, "three digits"},
	    {"1'000", K_INVALID, 0, "thousands"},
	    {"nan", K_INVALID, 0, "not a number"},
	    {"NaN", K_INVALID, 0, "not a number"},
	    {"inf", K_INVALID, 0, "not a number"},
	    {"-inf", K_INVALID, 0, "sign"},
	    {"1000000000000", K_OVERFLOW, 0, "too large"},
	    {"99999999999999999999999", K_OVERFLOW, 0, "too large"},
	    {"12.", K_INVALID, 0, "after the decimal"},
	    {".5", K_INVALID, 0, "before the decimal"},
	    {"12a", K_INVALID, 0, "'a'"},
	    {"0x10", K_INVALID, 0, "'x'"},
	    {"#", K_INVALID, 0, "not a number"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kerr err = {0};
		int64_t v = -77;
		kstatus st = money_parse(cases[i].text, &v, "price", &err);
		if (st != cases[i].st)
			fail_msg("case %zu '%s': status %d, want %d (%s)", i, cases[i].text, st,
				 cases[i].st, err.text);
		if (st == K_OK) {
			assert_int_equal(v, cases[i].value);
		} else {
			assert_int_equal(v, -77);
			assert_string_equal(err.field, "price");
			if (!strstr(err.text, cases[i].why))
				fail_msg("case '%s': message '%s' lacks '%s'", cases[i].text,
					 err.text, cases[i].why);
		}
	}
}

static void qty_parse__takes_three_decimals__rejects_four(void **state)
{
	(void)state;
	int64_t q;
	assert_int_equal(qty_parse("0.455", &q, "quantity", NULL), K_OK);
	assert_int_equal(q, 455);
	assert_int_equal(qty_parse("2", &q, "quantity", NULL), K_OK);
	assert_int_equal(q, 2000);
	assert_int_equal(qty_parse("1,5", &q, "quantity", NULL), K_OK);
	assert_int_equal(q, 1500);
	struct kerr err = {0};
	assert_int_equal(qty_parse("0.4551", &q, "quantity", &err), K_INVALID);
	assert_non_null(strstr(err.text, "3 decimal"));
}

static void decimal_parse__strict__refuses_groups_without_an_unrelated_example(void **state)
{
	(void)state;
	int64_t v;
	struct kerr err = {0};
	assert_int_equal(decimal_parse("1 000", 2, MONEY_MAX, 0, &v, "amount", &err), K_INVALID);
	assert_non_null(strstr(err.text, "thousands separators are not allowed"));
	assert_null(strstr(err.text, "20730"));
	assert_int_equal(qty_parse("1 000,5", &v, "quantity", NULL), K_OK);
	assert_int_equal(v, 1000500);
}

static void qty_format_display__uses_the_decimal_comma_in_russian(void **state)
{
	(void)state;
	char buf[32];
	qty_format_display(455, &MONEY_STYLE_RU, buf, sizeof buf);
	assert_string_equal(buf, "0,455");
	qty_format_display(455, &MONEY_STYLE_EN, buf, sizeof buf);
	assert_string_equal(buf, "0.455");
	percent_format_display(1250, &MONEY_STYLE_RU, buf, sizeof buf);
	assert_string_equal(buf, "12,5");
}

static void decimal_parse__signed__only_when_allowed(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(decimal_parse("-5.10", 2, MONEY_MAX, MONEY_SIGNED, &v, "x", NULL), K_OK);
	assert_int_equal(v, -510);
	assert_int_equal(decimal_parse("-5.10", 2, MONEY_MAX, 0, &v, "x", NULL), K_INVALID);
}

static void percent_parse__rejects__over_100(void **state)
{
	(void)state;
	int64_t p;
	assert_int_equal(percent_parse("10", &p, "discount", NULL), K_OK);
	assert_int_equal(p, 1000);
	assert_int_equal(percent_parse("12.5", &p, "discount", NULL), K_OK);
	assert_int_equal(p, 1250);
	assert_int_equal(percent_parse("100", &p, "discount", NULL), K_OK);
	assert_int_equal(percent_parse("100.01", &p, "discount", NULL), K_INVALID);
	assert_int_equal(percent_parse("1e9", &p, "discount", NULL), K_INVALID);
}

static void money_format__wire_and_display(void **state)
{
	(void)state;
	char buf[64];
	money_format_wire(2073000, buf, sizeof buf);
	assert_string_equal(buf, "20730.00");
	money_format_wire(5, buf, sizeof buf);
	assert_string_equal(buf, "0.05");
	money_format_wire(-510, buf, sizeof buf);
	assert_string_equal(buf, "-5.10");
	money_format_wire(MONEY_MAX, buf, sizeof buf);
	assert_string_equal(buf, "999999999999.99");
	money_format_display(2073000, &MONEY_STYLE_RU, buf, sizeof buf);
	assert_string_equal(buf, "20 730,00");
	money_format_display(2073000, &MONEY_STYLE_EN, buf, sizeof buf);
	assert_string_equal(buf, "20,730.00");
	money_format_display(99, &MONEY_STYLE_RU, buf, sizeof buf);
	assert_string_equal(buf, "0,99");
	money_format_display(100000000, &MONEY_STYLE_RU, buf, sizeof buf);
	assert_string_equal(buf, "1 000 000,00");
	money_format_display(-123456, &MONEY_STYLE_RU, buf, sizeof buf);
	assert_string_equal(buf, "-1 234,56");
	assert_ptr_equal(money_style_for("ru_RU.UTF-8"), &MONEY_STYLE_RU);
	assert_ptr_equal(money_style_for("C.UTF-8"), &MONEY_STYLE_EN);
	assert_ptr_equal(money_style_for(NULL), &MONEY_STYLE_EN);
	qty_format(455, buf, sizeof buf);
	assert_string_equal(buf, "0.455");
	qty_format(2000, buf, sizeof buf);
	assert_string_equal(buf, "2");
	qty_format(2500, buf, sizeof buf);
	assert_string_equal(buf, "2.5");
	percent_format(1250, buf, sizeof buf);
	assert_string_equal(buf, "12.5");
}

static void money_mul_qty__rounds_half_up(void **state)
{
	static const struct {
		int64_t price, qty, want;
	} cases[] = {
	    {2073000, 1000, 2073000}, /* 20730.00 x 1 */
	    {10000, 455, 4550},	      /* 100.00 x 0.455 */
	    {999, 455, 455},	      /* 9.99 x 0.455 = 4.54545 -> 4.55 */
	    {1, 500, 1},	      /* 0.01 x 0.5 = 0.005 -> 0.01 (half up) */
	    {1, 499, 0},	      /* 0.004990 -> 0.00 */
	    {333, 3000, 999},
	    {12345, 1, 12}, /* 123.45 x 0.001 = 0.12345 -> 0.12 */
	    {15, 100, 2},   /* 0.15 x 0.1 = 0.015 -> 0.02 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got;
		assert_int_equal(money_mul_qty(cases[i].price, cases[i].qty, &got), K_OK);
		if (got != cases[i].want)
			fail_msg("case %zu: %lld x %lld = %lld, want %lld", i,
				 (long long)cases[i].price, (long long)cases[i].qty, (long long)got,
				 (long long)cases[i].want);
	}
	int64_t got;
	assert_int_equal(money_mul_qty(MONEY_MAX, QTY_MAX, &got), K_OVERFLOW);
	assert_int_equal(money_mul_qty(MONEY_MAX, 2000, &got), K_OVERFLOW);
}

static void money_add__reports_overflow(void **state)
{
	(void)state;
	int64_t r;
	assert_int_equal(money_add(MONEY_MAX, 1, &r), K_OVERFLOW);
	assert_int_equal(money_add(INT64_MAX, 1, &r), K_OVERFLOW);
	assert_int_equal(money_add(100, 250, &r), K_OK);
	assert_int_equal(r, 350);
}

static void money_percent_of__rounds_half_up(void **state)
{
	(void)state;
	int64_t r;
	assert_int_equal(money_percent_of(2073000, 1000, &r), K_OK);
	assert_int_equal(r, 207300);
	assert_int_equal(money_percent_of(5, 1000, &r), K_OK); /* 0.005 -> 0.01 */
	assert_int_equal(r, 1);
	assert_int_equal(money_percent_of(4, 1000, &r), K_OK); /* 0.004 -> 0 */
	assert_int_equal(r, 0);
	assert_int_equal(money_percent_of(999, 3333, &r), K_OK); /* 332.9667 -> 333 */
	assert_int_equal(r, 333);
	assert_int_equal(div_round_half_up(-15, 10), -2);
	assert_int_equal(div_round_half_up(14, 10), 1);
}

static void money_spread__sums_exactly__largest_remainder(void **state)
{
	(void)state;
	int64_t w[3] = {100, 100, 100}, p[3];
	assert_int_equal(money_spread(100, w, 3, p), K_OK);
	/* 33.33 each, the one extra kopeck to the first (ties go earlier) */
	assert_int_equal(p[0], 34);
	assert_int_equal(p[1], 33);
	assert_int_equal(p[2], 33);

	int64_t w2[3] = {1000, 2000, 7}, p2[3];
	assert_int_equal(money_spread(1001, w2, 3, p2), K_OK);
	assert_int_equal(p2[0] + p2[1] + p2[2], 1001);
	/* exact shares: 333.0003, 666.0007, 2.3310 -> remainders .0003 .0007 .3310 */
	assert_int_equal(p2[0], 333);
	assert_int_equal(p2[1], 666);
	assert_int_equal(p2[2], 2 + 0);
	/* 333+666+2 = 1001 exactly, no extra needed */

	int64_t w3[2] = {1, 1}, p3[2];
	assert_int_equal(money_spread(2, w3, 2, p3), K_OK);
	assert_int_equal(p3[0], 1);
	assert_int_equal(p3[1], 1);

	int64_t w4[2] = {0, 0}, p4[2];
	assert_int_equal(money_spread(1, w4, 2, p4), K_INVALID);
	assert_int_equal(money_spread(0, w4, 2, p4), K_OK);
	assert_int_equal(p4[0] + p4[1], 0);

	/* Many lines, all parts within their weights and summing exactly. */
	int64_t w5[100], p5[100], total = 0;
	for (int i = 0; i < 100; i++)
		total += (w5[i] = 1 + (i * 7919) % 1013);
	for (int64_t amount = 0; amount <= total; amount += total / 37 + 1) {
		assert_int_equal(money_spread(amount, w5, 100, p5), K_OK);
		int64_t s = 0;
		for (int i = 0; i < 100; i++) {
			assert_true(p5[i] >= 0 && p5[i] <= w5[i]);
			s += p5[i];
		}
		assert_int_equal(s, amount);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(money_parse__accepts_and_rejects__table),
	    cmocka_unit_test(qty_parse__takes_three_decimals__rejects_four),
	    cmocka_unit_test(decimal_parse__signed__only_when_allowed),
	    cmocka_unit_test(decimal_parse__strict__refuses_groups_without_an_unrelated_example),
	    cmocka_unit_test(qty_format_display__uses_the_decimal_comma_in_russian),
	    cmocka_unit_test(percent_parse__rejects__over_100),
	    cmocka_unit_test(money_format__wire_and_display),
	    cmocka_unit_test(money_mul_qty__rounds_half_up),
	    cmocka_unit_test(money_add__reports_overflow),
	    cmocka_unit_test(money_percent_of__rounds_half_up),
	    cmocka_unit_test(money_spread__sums_exactly__largest_remainder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for lib/preview.c: receipts at 32/42/48 columns, marks, money styles, bodies. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "document.h"
#include "preview.h"
#include "util.h"

static void add_line(struct document *d, const char *name, int64_t price, int64_t qty,
		     enum unit unit, enum vat vat)
{
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, name, sizeof l.name);
	l.price = price;
	l.qty = qty;
	l.unit = unit;
	l.vat = vat;
	l.vat_set = true;
	l.object = 1;
	assert_int_equal(basket_add(&d->basket, &l, NULL), K_OK);
}

/* A sale: bread, 1.5 kg apples with 10% off, a long name; card 500, cash "#". */
static struct document *sample(void)
{
	struct document *d = xmalloc(sizeof *d);
	document_init(d, DOC_RECEIPT);
	add_line(d, "Хлеб «Бородинский» 400 г", 5490, 2000, UNIT_PIECE, VAT_VAT10);
	add_line(d, "Яблоки Гала", 14900, 1500, UNIT_KG, VAT_VAT10);
	assert_int_equal(
	    basket_set_discount(&d->basket, 1, (struct discount){DISCOUNT_PERCENT, 1000}, NULL),
	    K_OK);
	add_line(d,
		 "Набор для творчества «Юный художник»: краски, кисти, альбом и "
		 "подробная инструкция",
		 123456, 1000, UNIT_PIECE, VAT_VAT20);
	d->pay.card = (struct pay_amount){PAY_AMOUNT, 50000};
	d->pay.cash = (struct pay_amount){PAY_REMAINDER, 0};
	str_copy(d->ext_id, "8f14e45f-ceea-467f-a0e6-0c7e0d2b9a01", sizeof d->ext_id);
	str_copy(d->cashier_name, "Иванова Мария", sizeof d->cashier_name);
	str_copy(d->target_serial, "00000000381001234", sizeof d->target_serial);
	d->tax_system = TAX_USN6;
	return d;
}

static void release(struct document *d)
{
	document_free(d);
	free(d);
}

static bool has_line(const struct preview_lines *p, const char *text)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->lines[i], text))
			return true;
	return false;
}

static size_t count_lines(const struct preview_lines *p, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += strstr(p->lines[i], text) != NULL;
	return n;
}

static void dump(const struct preview_lines *p)
{
	for (size_t i = 0; i < p->n; i++)
		print_message("|%s|\n", p->lines[i]);
}

static struct preview_meta meta(int width, bool russian, enum preview_mode mode)
{
	struct preview_meta m = {0};
	m.width = width;
	m.russian = russian;
	m.mode = mode;
	m.time_ms = 1714566896000LL; /* 2024-05-01 12:34:56 UTC */
	m.uuid = "84fefc72-cbc5-5cc1-ba40-d00f035f05cb";
	m.state = "processed";
	return m;
}

static void preview_render__fits_every_width__in_display_columns(void **state)
{
	struct document *d = sample();
	static const int widths[] = {32, 42, 48};
	for (size_t w = 0; w < 3; w++) {
		for (int ru = 0; ru < 2; ru++) {
			struct preview_meta m = meta(widths[w], ru, PREVIEW_LIVE);
			struct preview_lines p;
			assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
			assert_true(p.n > 10);
			bool full_cyrillic = false;
			for (size_t i = 0; i < p.n; i++) {
				int cols = preview_text_width(p.lines[i]);
				if (cols > widths[w]) {
					dump(&p);
					fail_msg("width %d: line %zu has %d columns", widths[w], i,
						 cols);
				}
				/* Cyrillic takes 2 bytes but 1 column: bytes exceed columns. */
				if (cols == widths[w] && strlen(p.lines[i]) > (size_t)cols)
					full_cyrillic = true;
			}
			assert_true(full_cyrillic);
			preview_lines_free(&p);
			assert_null(p.lines);
		}
	}
	release(d);
}

static void preview_render__shows_amounts__in_both_styles(void **state)
{
	struct document *d = sample();
	/* bread 109.80, apples 223.50 - 22.35 = 201.15, set 1234.56: total 1545.51 */
	struct preview_meta m = meta(42, true, PREVIEW_LIVE);
	struct preview_lines p;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_true(has_line(&p, "1 545,51"));
	assert_true(has_line(&p, "-22,35"));
	assert_true(has_line(&p, "201,15"));
	assert_true(has_line(&p, "   1,5 kg × 149,00"));
	assert_true(has_line(&p, "500,00"));   /* card */
	assert_true(has_line(&p, "1 045,51")); /* cash: the rest */
	assert_false(has_line(&p, "Change"));
	assert_true(has_line(&p, "01.05.2024"));
	preview_lines_free(&p);

	m.russian = false;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_true(has_line(&p, "1,545.51"));
	assert_true(has_line(&p, "-22.35"));
	assert_true(has_line(&p, "   1.5 kg × 149.00"));
	assert_true(has_line(&p, "2024-05-01"));
	preview_lines_free(&p);

	/* Cash above the rest: change. */
	d->pay.card = (struct pay_amount){PAY_NONE, 0};
	d->pay.cash = (struct pay_amount){PAY_AMOUNT, 200000};
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_true(has_line(&p, "Change"));
	assert_true(has_line(&p, "454.49"));
	assert_false(has_line(&p, "Card"));
	preview_lines_free(&p);
	release(d);
}

static void preview_render__fiscal_attributes_and_percent__as_given(void **state)
{
	(void)state;
	struct document *d = sample();
	assert_int_equal(
	    basket_set_discount(&d->basket, 1, (struct discount){DISCOUNT_PERCENT, 1250}, NULL),
	    K_OK);
	struct preview_meta m = meta(42, true, PREVIEW_LIVE);
	m.fn = "9999843856473198";
	m.fd = "17";
	m.fp = "9235985495";
	m.ofd_url = "https://ofd.example/receipt?fn=9999843856473198&i=17&fp=9235985495";
	struct preview_lines p;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_true(has_line(&p, "12,5%"));
	assert_true(has_line(&p, "ФН"));
	assert_true(has_line(&p, "9999843856473198"));
	assert_true(has_line(&p, "ФД"));
	assert_true(has_line(&p, "ФП"));
	assert_true(has_line(&p, "9235985495"));
	assert_true(has_line(&p, "https://ofd.example/"));
	for (size_t i = 0; i < p.n; i++)
		assert_true(preview_text_width(p.lines[i]) <= 42);
	preview_lines_free(&p);
	m.fn = m.fd = m.fp = m.ofd_url = NULL;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_false(has_line(&p, "ФН"));
	preview_lines_free(&p);
	release(d);
}

static void preview_render__marks_training_and_test__top_and_bottom(void **state)
{
	struct document *d = sample();
	static const struct {
		enum preview_mode mode;
		bool test;
		bool copy;
		size_t training, tests, copies;
	} cases[] = {
	    {PREVIEW_LIVE, false, false, 0, 0, 0},    {PREVIEW_TRAINING, false, false, 2, 0, 0},
	    {PREVIEW_TEST, false, false, 0, 2, 0},    {PREVIEW_LIVE, true, false, 0, 2, 0},
	    {PREVIEW_TRAINING, true, false, 2, 2, 0}, {PREVIEW_LIVE, false, true, 0, 0, 2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		d->test = cases[i].test;
		struct preview_meta m = meta(32, false, cases[i].mode);
		m.copy = cases[i].copy;
		struct preview_lines p;
		assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
		if (count_lines(&p, "TRAINING") != cases[i].training ||
		    count_lines(&p, "*** TEST ***") != cases[i].tests ||
		    count_lines(&p, "COPY") != cases[i].copies) {
			dump(&p);
			fail_msg("case %zu: marks wrong", i);
		}
		bool marked = cases[i].training || cases[i].tests;
		assert_int_equal(has_line(&p, "not a fiscal document"), marked);
		if (marked) { /* first and last lines carry the mark */
			assert_true(strstr(p.lines[0], "***") != NULL);
			assert_true(strstr(p.lines[p.n - 1], "fiscal") ||
				    strstr(p.lines[p.n - 1], "***"));
		}
		preview_lines_free(&p);
	}
	release(d);
}

static void preview_render__matches_golden__small_receipt_32(void **state)
{
	struct document *d = xmalloc(sizeof *d);
	document_init(d, DOC_RECEIPT);
	add_line(d, "Молоко 3,2% 1 л", 8990, 2000, UNIT_PIECE, VAT_VAT10);
	d->pay.cash = (struct pay_amount){PAY_AMOUNT, 20000};
	str_copy(d->ext_id, "ext-1", sizeof d->ext_id);
	struct preview_meta m = {0};
	m.width = 32;
	m.mode = PREVIEW_TRAINING;
	struct preview_lines p;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	static const char *const want[] = {
	    "        *** TRAINING ***",
	    "     not a fiscal document",
	    "         Receipt: sale",
	    "--------------------------------",
	    "1. Молоко 3,2% 1 л",
	    "   2 pc × 89.90           179.80",
	    "   VAT 10%",
	    "--------------------------------",
	    "TOTAL                     179.80",
	    "Cash                      200.00",
	    "Change                     20.20",
	    "--------------------------------",
	    "ext_id                     ext-1",
	    "        *** TRAINING ***",
	    "     not a fiscal document",
	};
	size_t n = sizeof want / sizeof want[0];
	if (p.n != n) {
		dump(&p);
		fail_msg("%zu lines, want %zu", p.n, n);
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(p.lines[i], want[i]) != 0) {
			dump(&p);
			fail_msg("line %zu: \"%s\", want \"%s\"", i, p.lines[i], want[i]);
		}
	preview_lines_free(&p);
	release(d);
}

static void preview_render__wraps_long_values__within_width(void **state)
{
	struct document *d = sample();
	document_init(d, DOC_RECEIPT);
	d->type = RT_REFUND;
	add_line(d, "Оченьдлинноесловобезпробеловкотороенепомещаетсявстроку", 100, 1000, UNIT_PIECE,
		 VAT_NONE);
	str_copy(d->ref_uuid, "84fefc72-cbc5-5cc1-ba40-d00f035f05cb", sizeof d->ref_uuid);
	struct preview_meta m = meta(32, false, PREVIEW_LIVE);
	struct preview_lines p;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	for (size_t i = 0; i < p.n; i++)
		assert_true(preview_text_width(p.lines[i]) <= 32);
	assert_true(has_line(&p, "Receipt: refund"));
	assert_true(has_line(&p, "Refund of"));
	assert_true(has_line(&p, "no VAT"));
	/* The uuid is cut between characters, nothing lost. */
	char joined[256] = "";
	size_t o = 0;
	for (size_t i = 0; i < p.n; i++)
		if (strstr(p.lines[i], "84fefc72") || (o && strstr(p.lines[i], "5f05cb")))
			o += (size_t)snprintf(joined + o, sizeof joined - o, "%s", p.lines[i]);
	assert_non_null(strstr(joined, "84fefc72-cbc5-5cc1-ba40-d00f035"));
	preview_lines_free(&p);
	release(d);
}

static void preview_render__cleans_control_characters(void **state)
{
	struct document *d = sample();
	str_copy(d->cashier_name, "Eve\x1b[31mRED\x07", sizeof d->cashier_name);
	struct preview_meta m = meta(48, false, PREVIEW_LIVE);
	m.state = "bad\x9bstate";
	struct preview_lines p;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	for (size_t i = 0; i < p.n; i++)
		for (const unsigned char *c = (const unsigned char *)p.lines[i]; *c; c++)
			assert_true(*c >= 0x20 && *c != 0x7f);
	assert_true(has_line(&p, "Eve?[31mRED?"));
	preview_lines_free(&p);
	release(d);
}

static void preview_render__other_kinds__amount_and_title(void **state)
{
	struct document *d = xmalloc(sizeof *d);
	document_init(d, DOC_CASH_IN);
	d->amount = 1500000;
	str_copy(d->target_serial, "SANDBOX-0001", sizeof d->target_serial);
	struct preview_meta m = meta(42, true, PREVIEW_LIVE);
	struct preview_lines p;
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_true(has_line(&p, "Cash in"));
	assert_true(has_line(&p, "15 000,00"));
	assert_true(has_line(&p, "SANDBOX-0001"));
	assert_false(has_line(&p, "TOTAL"));
	preview_lines_free(&p);
	document_init(d, DOC_Z_REPORT);
	assert_int_equal(preview_render(d, &m, &p, NULL), K_OK);
	assert_true(has_line(&p, "Z-report"));
	preview_lines_free(&p);
	release(d);
}

static void preview_render__refuses_bad_width(void **state)
{
	struct document *d = sample();
	static const int bad[] = {0, 31, 40, 80, -1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct preview_meta m = meta(bad[i], false, PREVIEW_LIVE);
		struct preview_lines p;
		struct kerr err;
		assert_int_equal(preview_render(d, &m, &p, &err), K_INVALID);
		assert_string_equal(err.field, "paper_width");
		assert_int_equal(p.n, 0);
	}
	release(d);
}

static void preview_text_width__counts_columns__with_and_without_locale(void **state)
{
	static const struct {
		const char *s;
		int w;
	} cases[] = {
	    {"", 0}, {"abc", 3}, {"Хлеб", 4}, {"ёЁ", 2}, {"×", 1}, {"日本", 4}, {"e\xcc\x81", 1},
	};
	for (int pass = 0; pass < 2; pass++) {
		setlocale(LC_ALL, pass ? "C" : "C.UTF-8");
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			if (preview_text_width(cases[i].s) != cases[i].w)
				fail_msg("locale %d: \"%s\" is %d columns, want %d", pass,
					 cases[i].s, preview_text_width(cases[i].s), cases[i].w);
	}
	setlocale(LC_ALL, "C.UTF-8");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(preview_render__fits_every_width__in_display_columns),
	    cmocka_unit_test(preview_render__shows_amounts__in_both_styles),
	    cmocka_unit_test(preview_render__fiscal_attributes_and_percent__as_given),
	    cmocka_unit_test(preview_render__marks_training_and_test__top_and_bottom),
	    cmocka_unit_test(preview_render__matches_golden__small_receipt_32),
	    cmocka_unit_test(preview_render__wraps_long_values__within_width),
	    cmocka_unit_test(preview_render__cleans_control_characters),
	    cmocka_unit_test(preview_render__other_kinds__amount_and_title),
	    cmocka_unit_test(preview_render__refuses_bad_width),
	    cmocka_unit_test(preview_text_width__counts_columns__with_and_without_locale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

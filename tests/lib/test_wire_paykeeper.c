/* Tests for lib/wire/paykeeper.c: statuses, cart, print form, request parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "document.h"
#include "money.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

/* ---- helpers ---- */

static struct basket_line line(const char *name, int64_t price, int64_t qty, enum vat v)
{
	struct basket_line l;
	basket_line_init(&l);
	snprintf(l.name, sizeof l.name, "%s", name);
	l.price = price;
	l.qty = qty;
	l.unit = qty % QTY_ONE ? UNIT_KG : UNIT_PIECE; /* pieces are whole */
	l.vat = v;
	l.vat_set = true;
	return l;
}

static void doc_with(struct document *d, const struct basket_line *lines, size_t n)
{
	document_init(d, DOC_RECEIPT);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(basket_add(&d->basket, &lines[i], NULL), K_OK);
	snprintf(d->ext_id, sizeof d->ext_id, "%s", "6f1c2a4e-0b7d-4c1e-9a55-3d2f8e7b6a10");
	snprintf(d->customer_email, sizeof d->customer_email, "%s", "buyer@example.ru");
	d->pay.card.kind = PAY_REMAINDER;
}

static const char *pair_value(const struct form_pair *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

/* ---- statuses ---- */

static void paykeeper_status__final_table_and_round_trip(void **state)
{
	(void)state;
	static const struct {
		const char *wire;
		bool final;
	} cases[] = {
	    {"created", false}, {"sending", false}, {"request_sent", false}, {"success", true},
	    {"rejected", true}, {"timeout", true},  {"failed", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum pk_status s;
		assert_true(paykeeper_status_parse(cases[i].wire, &s));
		assert_string_equal(paykeeper_status_wire(s), cases[i].wire);
		assert_int_equal(paykeeper_status_final(s), cases[i].final);
	}
	enum pk_status s;
	assert_false(paykeeper_status_parse("printed", &s));
	assert_int_equal(s, PK_STATUS_UNKNOWN);
	assert_false(paykeeper_status_final(PK_STATUS_UNKNOWN));
	assert_false(paykeeper_status_parse("", &s));
	assert_false(paykeeper_status_parse("SUCCESS", &s));
}

/* ---- the print form ---- */

static void paykeeper_print_form__sale_with_card_remainder(void **state)
{
	(void)state;
	struct basket_line lines[] = {
	    line("Хлеб белый", 4550, 1000, VAT_VAT10),
	    line("Сыр", 89900, 455, VAT_VAT20),
	};
	lines[1].unit = UNIT_KG;
	lines[1].object = 1;
	lines[1].method = 4;
	struct document d;
	doc_with(&d, lines, 2);
	struct pk_print_opts o = {.token = "tok123"};
	char *form;
	struct kerr err = {0};
	assert_int_equal(paykeeper_print_form(&d, &o, &form, &err), K_OK);

	size_t n;
	struct form_pair *p = form_parse(form, strlen(form), &n);
	assert_string_equal(p[0].key, "payment_id"); /* always first, even empty */
	assert_string_equal(p[0].value, "");
	assert_string_equal(pair_value(p, n, "type"), "sale");
	assert_string_equal(pair_value(p, n, "is_post_sale"), "false");
	assert_string_equal(pair_value(p, n, "refund_id"), "");
	assert_string_equal(pair_value(p, n, "contact"), "buyer@example.ru");
	/* 899.00 x 0.455 = 409.045 -> 409.05; + 45.50 = 454.55 */
	assert_string_equal(pair_value(p, n, "sum_cashless"), "454.55");
	assert_string_equal(pair_value(p, n, "sum_cash"), "0.00");
	assert_string_equal(pair_value(p, n, "receipt_key"), d.ext_id);
	assert_string_equal(pair_value(p, n, "token"), "tok123");
	assert_string_equal(
	    pair_value(p, n, "cart"),
	    "[{\"name\":\"Хлеб белый\",\"price\":45.50,\"quantity\":1,\"sum\":45.50,"
	    "\"tax\":\"vat10\"},"
	    "{\"name\":\"Сыр\",\"price\":899.00,\"quantity\":0.455,\"sum\":409.05,"
	    "\"tax\":\"vat20\",\"item_type\":\"goods\",\"payment_type\":\"full\"}]");
	form_pairs_free(p, n);

	/* The sandbox's parser accepts exactly what we send. */
	struct pk_print_request req;
	assert_int_equal(paykeeper_parse_print_request(form, strlen(form), &req, &err), K_OK);
	assert_int_equal(req.n_items, 2);
	assert_int_equal(req.items[1].qty, 455);
	assert_int_equal(req.items[1].sum, 40905);
	assert_int_equal(req.sum_cashless, 45455);
	paykeeper_print_request_free(&req);
	free(form);
	document_free(&d);
}

static void paykeeper_print_form__refund_cash_change_phone(void **state)
{
	(void)state;
	struct basket_line lines[] = {line("Кофе", 15000, 1000, VAT_NONE)};
	struct document d;
	doc_with(&d, lines, 1);
	d.type = RT_REFUND;
	d.customer_email[0] = '\0';
	snprintf(d.customer_phone, sizeof d.customer_phone, "8 (910) 123-45-67");
	d.pay.card.kind = PAY_NONE;
	d.pay.cash = (struct pay_amount){PAY_AMOUNT, 20000};
	struct pk_print_opts o = {.token = "t",
				  .payment_id = "2211",
				  .refund_id = "1",
				  .receipt_key = "my_key-01",
				  .is_post_sale = true};
	char *form;
	assert_int_equal(paykeeper_print_form(&d, &o, &form, NULL), K_OK);
	size_t n;
	struct form_pair *p = form_parse(form, strlen(form), &n);
	assert_string_equal(pair_value(p, n, "type"), "refund");
	assert_null(pair_value(p, n, "is_post_sale")); /* never with type=refund */
	assert_string_equal(pair_value(p, n, "payment_id"), "2211");
	assert_string_equal(pair_value(p, n, "refund_id"), "1");
	assert_string_equal(pair_value(p, n, "contact"), "+79101234567");
	assert_string_equal(pair_value(p, n, "sum_cash"), "150.00"); /* change not on the receipt */
	assert_string_equal(pair_value(p, n, "sum_cashless"), "0.00");
	assert_string_equal(pair_value(p, n, "receipt_key"), "my_key-01");
	form_pairs_free(p, n);
	free(form);

	/* Expense types map to PayKeeper's names. */
	d.type = RT_BUY_REFUND;
	assert_int_equal(paykeeper_print_form(&d, &o, &form, NULL), K_OK);
	p = form_parse(form, strlen(form), &n);
	assert_string_equal(pair_value(p, n, "type"), "expense-refund");
	assert_string_equal(pair_value(p, n, "is_post_sale"), "true");
	form_pairs_free(p, n);
	free(form);
	document_free(&d);
}

static void paykeeper_print_form__refuses_what_paykeeper_cannot_take(void **state)
{
	(void)state;
	static const struct {
		const char *what, *field;
	} cases[] = {
	    {"no token", "token"},
	    {"short receipt key", "receipt_key"},
	    {"bad receipt key char", "receipt_key"},
	    {"no contact", "contact"},
	    {"bad phone", "contact"},
	    {"18% VAT", "cart[0].tax"},
	    {"no VAT", "cart[0].tax"},
	    {"gambling object", "cart[0].item_type"},
	    {"marked goods", "cart[0].item_type"},
	    {"method 9", "cart[0].payment_type"},
	    {"X-report", "type"},
	    {"card above total", "card_amount"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct basket_line lines[] = {line("Чай", 10000, 1000, VAT_VAT20)};
		struct document d;
		doc_with(&d, lines, 1);
		struct pk_print_opts o = {.token = "secret-token-value"};
		switch (c) {
		case 0:
			o.token = "";
			break;
		case 1:
			o.receipt_key = "abc12";
			break;
		case 2:
			o.receipt_key = "abc 123";
			break;
		case 3:
			d.customer_email[0] = '\0';
			break;
		case 4:
			d.customer_email[0] = '\0';
			snprintf(d.customer_phone, sizeof d.customer_phone, "+1 555 0100");
			break;
		case 5:
			d.basket.lines[0].vat = VAT_VAT18;
			break;
		case 6:
			d.basket.lines[0].vat_set = false;
			break;
		case 7:
			d.basket.lines[0].object = 5;
			break;
		case 8:
			d.basket.lines[0].object = 33;
			break;
		case 9:
			d.basket.lines[0].method = 9;
			break;
		case 10:
			d.kind = DOC_X_REPORT;
			break;
		case 11:
			d.pay.card = (struct pay_amount){PAY_AMOUNT, 20000};
			break;
		}
		char *form = (char *)"untouched";
		struct kerr err = {0};
		kstatus st = paykeeper_print_form(&d, &o, &form, &err);
		if (st == K_OK)
			fail_msg("%s: accepted", cases[c].what);
		if (strcmp(err.field, cases[c].field) != 0)
			fail_msg("%s: field %s, want %s", cases[c].what, err.field, cases[c].field);
		assert_null(form);
		assert_null(strstr(err.text, "secret-token-value"));
		document_free(&d);
	}
}

static void paykeeper_cart_json__discounted_lines_reproduce_sum(void **state)
{
	(void)state;
	static const struct {
		int64_t price, qty;
		struct discount disc;
		const char *cart;
	} cases[] = {
	    /* No discount: the price as entered. */
	    {10000,
	     3000,
	     {DISCOUNT_NONE, 0},
	     "[{\"name\":\"X\",\"price\":100.00,\"quantity\":3,\"sum\":300.00,\"tax\":\"none\"}]"},
	    /* 10% of 2 x 10.00: 9.00 each, exact. */
	    {1000,
	     2000,
	     {DISCOUNT_PERCENT, 1000},
	     "[{\"name\":\"X\",\"price\":9.00,\"quantity\":2,\"sum\":18.00,\"tax\":\"none\"}]"},
	    /* 1.00 off 3 x 10.00 = 29.00: no price fits, the last unit carries 2 kopecks. */
	    {1000,
	     3000,
	     {DISCOUNT_AMOUNT, 100},
	     "[{\"name\":\"X\",\"price\":9.66,\"quantity\":2,\"sum\":19.32,\"tax\":\"none\"},"
	     "{\"name\":\"X\",\"price\":9.68,\"quantity\":1,\"sum\":9.68,\"tax\":\"none\"}]"},
	    /* Weighed: 1.00 off 100.00 x 0.455 = 44.50 -> 97.80 x 0.455 = 44.499 -> 44.50. */
	    {10000,
	     455,
	     {DISCOUNT_AMOUNT, 100},
	     "[{\"name\":\"X\",\"price\":97.80,\"quantity\":0.455,\"sum\":44.50,\"tax\":\"none\"}"
	     "]"},
	    /* 2.5 kg, 0.01 off 10.00 x 2.5 = 24.99 -> 1.5 kg at 9.99 (14.99 rounded) + 1 at 10.00
	     */
	    {1000,
	     2500,
	     {DISCOUNT_AMOUNT, 1},
	     "[{\"name\":\"X\",\"price\":9.99,\"quantity\":1.5,\"sum\":14.99,\"tax\":\"none\"},"
	     "{\"name\":\"X\",\"price\":10.00,\"quantity\":1,\"sum\":10.00,\"tax\":\"none\"}]"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct basket b;
		basket_init(&b);
		struct basket_line l = line("X", cases[c].price, cases[c].qty, VAT_NONE);
		l.discount = cases[c].disc;
		assert_int_equal(basket_add(&b, &l, NULL), K_OK);
		char *cart;
		assert_int_equal(paykeeper_cart_json(&b, &cart, NULL), K_OK);
		if (strcmp(cart, cases[c].cart) != 0)
			fail_msg("case %zu: got %s", c, cart);
		/* Whatever the split, the cart passes the sandbox's price x qty check. */
		struct pk_cart_item *items;
		size_t n;
		int64_t total = 0;
		assert_int_equal(paykeeper_parse_cart(cart, strlen(cart), &items, &n, NULL), K_OK);
		for (size_t i = 0; i < n; i++)
			total += items[i].sum;
		assert_int_equal(total, b.total);
		free(items);
		free(cart);
	}
	struct basket empty;
	basket_init(&empty);
	char *cart;
	struct kerr err = {0};
	assert_int_equal(paykeeper_cart_json(&empty, &cart, &err), K_INVALID);
	assert_string_equal(err.field, "cart");
}

static void paykeeper_contact__normalises_or_explains(void **state)
{
	(void)state;
	static const struct {
		const char *email, *phone, *want; /* want NULL = refused */
	} cases[] = {
	    {"a@b.ru", "", "a@b.ru"},
	    {"a@b.ru", "+79101234567", "a@b.ru"}, /* e-mail wins */
	    {"", "+7 (910) 123-45-67", "+79101234567"},
	    {"", "89101234567", "+79101234567"},
	    {"", "79101234567", "+79101234567"},
	    {"", "9101234567", NULL},
	    {"", "+7 910 123 45 678", NULL},
	    {"", "+7 910 ABC", NULL},
	    {"not-an-email", "", NULL},
	    {"a@b", "", NULL},
	    {"a b@c.ru", "", NULL},
	    {"", "", NULL},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char out[64];
		struct kerr err = {0};
		kstatus st =
		    paykeeper_contact(cases[c].email, cases[c].phone, out, sizeof out, &err);
		if (cases[c].want) {
			assert_int_equal(st, K_OK);
			assert_string_equal(out, cases[c].want);
		} else {
			if (st == K_OK)
				fail_msg("case %zu accepted: %s", c, out);
			assert_string_equal(err.field, "contact");
		}
	}
}

static void paykeeper_parse_print_request__refuses_bad_bodies(void **state)
{
	(void)state;
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {"type=sale&cart=[]&token=t", "payment_id"},
	    {"payment_id=&type=gift&token=t", "type"},
	    {"payment_id=&type=refund&is_post_sale=false&token=t&cart=x", "is_post_sale"},
	    {"payment_id=&type=sale&token=t", "cart"},
	    {"payment_id=&type=sale&cart=%5B%5D", "token"},
	    {"payment_id=&type=sale&token=t&cart=%5B%5D", "cart"},
	    {"payment_id=&type=sale&token=t&receipt_key=abc&cart=%5B%5D", "receipt_key"},
	    {"payment_id=&type=sale&token=t&sum_cash=1.005&cart=%5B%5D", "sum_cash"},
	    {"payment_id=&payment_id=1&type=sale&token=t", "payment_id"},
	    {"payment_id=&type=sale&token=t&sum_cash=10&cart="
	     "%5B%7B%22name%22%3A%22A%22%2C%22price%22%3A10%2C%22quantity%22%3A1%2C%22sum%22%3A10"
	     "%2C%22tax%22%3A%22vat18%22%7D%5D",
	     "cart[0].tax"},
	    {"payment_id=&type=sale&token=t&sum_cash=10&cart="
	     "%5B%7B%22name%22%3A%22A%22%2C%22price%22%3A10%2C%22quantity%22%3A1%2C%22sum%22%3A9"
	     "%2C%22tax%22%3A%22none%22%7D%5D",
	     "cart[0].sum"},
	    {"payment_id=&type=sale&token=t&sum_cash=9&cart="
	     "%5B%7B%22name%22%3A%22A%22%2C%22price%22%3A10%2C%22quantity%22%3A1%2C%22sum%22%3A10"
	     "%2C%22tax%22%3A%22none%22%7D%5D",
	     "sum_cashless"},
	    {"payment_id=&type=sale&token=t&sum_cash=10&cart="
	     "%5B%7B%22name%22%3A%22A%22%2C%22price%22%3A10%2C%22qty%22%3A1%2C%22sum%22%3A10"
	     "%2C%22tax%22%3A%22none%22%7D%5D",
	     "cart[0].qty"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct pk_print_request r;
		struct kerr err = {0};
		kstatus st =
		    paykeeper_parse_print_request(cases[c].body, strlen(cases[c].body), &r, &err);
		if (st == K_OK)
			fail_msg("case %zu accepted", c);
		if (strcmp(err.field, cases[c].field) != 0)
			fail_msg("case %zu: field %s, want %s (%s)", c, err.field, cases[c].field,
				 err.text);
		assert_null(r.items);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(paykeeper_status__final_table_and_round_trip),
	    cmocka_unit_test(paykeeper_print_form__sale_with_card_remainder),
	    cmocka_unit_test(paykeeper_print_form__refund_cash_change_phone),
	    cmocka_unit_test(paykeeper_print_form__refuses_what_paykeeper_cannot_take),
	    cmocka_unit_test(paykeeper_cart_json__discounted_lines_reproduce_sum),
	    cmocka_unit_test(paykeeper_contact__normalises_or_explains),
	    cmocka_unit_test(paykeeper_parse_print_request__refuses_bad_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

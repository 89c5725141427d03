/* lib/settle.c: seed 002's prepayment pair, the guards on prepayment_amount and the wire shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "basket.h"
#include "document.h"
#include "jsonx.h"
#include "settle.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay.h"
#include "wire/paykeeper.h"

static void add_line(struct document *d, const char *name, int64_t price, int64_t qty, enum vat v,
		     int method)
{
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, name, sizeof l.name);
	l.price = price;
	l.qty = qty;
	l.vat = v;
	l.vat_set = true;
	l.method = method;
	assert_int_equal(basket_add(&d->basket, &l, NULL), K_OK);
	assert_int_equal(basket_recalc(&d->basket, NULL), K_OK);
}

/* 1,000.00 of goods: a 600.00 kettle and two 200.00 mugs, 20% VAT. */
static void order_doc(struct document *d, int method)
{
	document_init(d, DOC_RECEIPT);
	add_line(d, "Чайник", 60000, 1000, VAT_VAT20, method);
	add_line(d, "Кружка", 20000, 2000, VAT_VAT20, method);
	str_copy(d->ext_id, "pre-001", sizeof d->ext_id);
}

static const char *body_text(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *n = jsonx_number_text(v);
	return n ? n : json_is_string(v) ? json_string_value(v) : NULL;
}

static void settle_check__refuses__each_rule_naming_the_field(void **state)
{
	(void)state;
	static const struct {
		int method;
		enum receipt_type type;
		int64_t pre;
		const char *cash; /* NULL = "#" by card */
		const char *field;
	} rows[] = {
	    {0, RT_PAYMENT, 30000, NULL, "purchase.products[0].type"}, /* type not written */
	    {1, RT_PAYMENT, 30000, NULL,
	     "purchase.products[0].type"}, /* a prepayment offsets none */
	    {3, RT_PAYMENT, 30000, NULL, "purchase.products[0].type"},
	    {4, RT_REFUND, 30000, NULL, "prepayment_amount"},	/* a refund offsets none */
	    {4, RT_PAYMENT, 100000, "50", "cash_amount"},	/* nothing is due */
	    {4, RT_PAYMENT, 100001, NULL, "prepayment_amount"}, /* above the total */
	    {4, RT_PAYMENT, -1, NULL, "prepayment_amount"},
	    {4, RT_PAYMENT, 30000, "600", "cash_amount"}, /* 700.00 due: 600.00 is not enough */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct document d;
		order_doc(&d, rows[i].method);
		d.type = rows[i].type;
		d.prepayment = rows[i].pre;
		struct kerr err = {0};
		if (rows[i].cash)
			assert_int_equal(
			    pay_amount_parse(rows[i].cash, &d.pay.cash, "cash_amount", &err), K_OK);
		else
			d.pay.card.kind = PAY_REMAINDER;
		kstatus st = document_validate(&d, &err);
		if (st == K_OK)
			st = document_check_lifepay(&d, &err);
		if (st == K_OK)
			fail_msg("row %zu accepted", i);
		if (strcmp(err.field, rows[i].field) != 0)
			fail_msg("row %zu: field %s (%s), want %s", i, err.field, err.text,
				 rows[i].field);
		document_free(&d);
	}
}

static void final_receipt__wire_carries_prepayment_amount_and_type_4(void **state)
{
	(void)state;
	struct document pre;
	order_doc(&pre, 0);
	struct basket order;
	struct kerr err = {0};
	assert_int_equal(settle_make_prepayment(&pre, SETTLE_PREPAY_FULL, 0, NULL, &order, &err),
			 K_OK);
	pre.pay.card.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(&pre, &err), K_OK);
	assert_int_equal(document_check_lifepay(&pre, &err), K_OK);
	json_t *o = wire_lifepay_request(&pre, NULL);
	json_t *p0 = json_array_get(json_object_get(json_object_get(o, "purchase"), "products"), 0);
	assert_int_equal(json_integer_value(json_object_get(p0, "type")), 1);
	/* a prepayment carries the calculated rate */
	assert_string_equal(body_text(p0, "tax"), "vat120");
	assert_null(json_object_get(o, "prepayment_amount"));
	json_decref(o);

	struct document fin;
	assert_int_equal(settle_make_final(&order, pre.basket.total, &pre, &fin, &err), K_OK);
	fin.pay.card.kind = PAY_REMAINDER;
	str_copy(fin.ext_id, "fin-1", sizeof fin.ext_id);
	assert_int_equal(document_validate(&fin, &err), K_OK);
	assert_int_equal(document_check_lifepay(&fin, &err), K_OK);
	assert_int_equal(document_due(&fin), 0);
	o = wire_lifepay_request(&fin, NULL);
	assert_string_equal(body_text(o, "prepayment_amount"), "1000.00");
	p0 = json_array_get(json_object_get(json_object_get(o, "purchase"), "products"), 1);
	assert_int_equal(json_integer_value(json_object_get(p0, "type")), 4);
	assert_string_equal(body_text(p0, "tax"), "vat20");
	/* and it reads back the same */
	char *text = jsonx_dumps(o, JSON_COMPACT);
	struct document back;
	assert_int_equal(
	    wire_lifepay_parse_request(text, strlen(text), DOC_RECEIPT, &back, NULL, &err), K_OK);
	assert_int_equal(back.prepayment, 100000);
	free(text);
	json_decref(o);
	document_free(&back);
	document_free(&fin);
	document_free(&pre);
}

static void partial_prepayment__one_line_now__remainder_at_settlement(void **state)
{
	(void)state;
	struct document pre;
	order_doc(&pre, 0);
	struct basket order;
	struct kerr err = {0};
	/* nothing, or all of it, is not a partial prepayment */
	assert_int_equal(
	    settle_make_prepayment(&pre, SETTLE_PREPAY_PARTIAL, 0, "Предоплата", &order, &err),
	    K_INVALID);
	assert_string_equal(err.field, "prepayment");
	assert_int_equal(
	    settle_make_prepayment(&pre, SETTLE_PREPAY_PARTIAL, 100000, "Предоплата", &order, &err),
	    K_INVALID);
	assert_int_equal(settle_make_prepayment(&pre, SETTLE_ADVANCE, 30000, "Аванс", &order, &err),
			 K_OK);
	assert_int_equal(pre.basket.n, 1);
	assert_int_equal(pre.basket.total, 30000);
	assert_int_equal(pre.basket.lines[0].method, 3);
	assert_int_equal(pre.basket.lines[0].vat, VAT_VAT120);
	assert_int_equal(order.n, 2);
	assert_int_equal(order.total, 100000);

	struct document fin;
	assert_int_equal(settle_make_final(&order, 30000, &pre, &fin, &err), K_OK);
	assert_int_equal(document_due(&fin), 70000);
	assert_int_equal(pay_amount_parse("#", &fin.pay.cash, "cash_amount", &err), K_OK);
	assert_int_equal(document_validate(&fin, &err), K_OK);
	assert_int_equal(fin.resolved.cash, 70000);
	/* the prepaid amount is never above the order */
	assert_int_equal(settle_make_final(&order, 100001, &pre, &fin, &err), K_INVALID);
	assert_string_equal(err.field, "prepayment_amount");
	document_free(&fin);
	document_free(&pre);
}

static void partial_prepayment__refuses__mixed_vat(void **state)
{
	(void)state;
	struct document pre;
	order_doc(&pre, 0);
	add_line(&pre, "Хлеб", 5000, 1000, VAT_VAT10, 0);
	struct kerr err = {0};
	assert_int_equal(settle_make_prepayment(&pre, SETTLE_ADVANCE, 30000, NULL, NULL, &err),
			 K_INVALID);
	assert_string_equal(err.field, "vat");
	assert_int_equal(pre.basket.n, 3); /* nothing entered is lost */
	document_free(&pre);
}

static const char *pair(const struct form_pair *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

/* PayKeeper: receipt 1's lines say "prepay"; receipt 2 is sum_advance with is_post_sale. */
static void paykeeper__pair_maps_to_prepay_and_sum_advance(void **state)
{
	(void)state;
	struct document pre;
	order_doc(&pre, 0);
	str_copy(pre.customer_email, "a@b.ru", sizeof pre.customer_email);
	struct basket order;
	struct kerr err = {0};
	assert_int_equal(settle_make_prepayment(&pre, SETTLE_PREPAY_FULL, 0, NULL, &order, &err),
			 K_OK);
	pre.pay.card.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(&pre, &err), K_OK);
	struct pk_print_opts o = {.token = "tok"};
	char *form = NULL;
	if (paykeeper_print_form(&pre, &o, &form, &err) != K_OK)
		fail_msg("%s: %s", err.field, err.text);
	size_t n;
	struct form_pair *p = form_parse(form, strlen(form), &n);
	assert_non_null(strstr(pair(p, n, "cart"), "\"payment_type\":\"prepay\""));
	assert_non_null(strstr(pair(p, n, "cart"), "\"tax\":\"vat120\""));
	assert_string_equal(pair(p, n, "sum_advance"),
			    "0.00"); /* every receipt states the five sums */
	form_pairs_free(p, n);
	free(form);

	struct document fin;
	assert_int_equal(settle_make_final(&order, pre.basket.total, &pre, &fin, &err), K_OK);
	str_copy(fin.ext_id, "fin-pk", sizeof fin.ext_id);
	assert_int_equal(document_validate(&fin, &err), K_OK);
	o.is_post_sale = true;
	assert_int_equal(paykeeper_print_form(&fin, &o, &form, &err), K_OK);
	p = form_parse(form, strlen(form), &n);
	assert_string_equal(pair(p, n, "sum_advance"), "1000.00");
	assert_string_equal(pair(p, n, "sum_cashless"), "0.00");
	assert_non_null(strstr(pair(p, n, "cart"), "\"payment_type\":\"full\""));
	form_pairs_free(p, n);
	free(form);
	document_free(&fin);
	document_free(&pre);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(settle_check__refuses__each_rule_naming_the_field),
	    cmocka_unit_test(final_receipt__wire_carries_prepayment_amount_and_type_4),
	    cmocka_unit_test(partial_prepayment__one_line_now__remainder_at_settlement),
	    cmocka_unit_test(partial_prepayment__refuses__mixed_vat),
	    cmocka_unit_test(paykeeper__pair_maps_to_prepay_and_sum_advance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

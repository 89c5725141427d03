/* PayKeeper's sum_counter_payment and receipt_properties (issue 15): when
 * kassa sends them (lib/wire/pk_extras.c) and the one check both sides apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "basket.h"
#include "document.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay.h"
#include "wire/paykeeper.h"
#include "wire/pk_extras.h"

static void sale(struct document *d)
{
	document_init(d, DOC_RECEIPT);
	struct basket_line l;
	basket_line_init(&l);
	snprintf(l.name, sizeof l.name, "%s", "Кофе в зёрнах 1 кг");
	l.price = 150000;
	l.qty = 1000;
	l.vat = VAT_VAT20;
	l.vat_set = true;
	assert_int_equal(basket_add(&d->basket, &l, NULL), K_OK);
	snprintf(d->ext_id, sizeof d->ext_id, "%s", "sale-7a2b3c4d");
	snprintf(d->customer_email, sizeof d->customer_email, "%s", "buyer@example.ru");
	d->pay.card.kind = PAY_REMAINDER;
}

static const char *value(const struct form_pair *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

/* The form as sent, checked by the sandbox's parser too. */
static struct form_pair *sent(struct document *d, size_t *n)
{
	struct kerr err = {0};
	if (document_validate(d, &err) != K_OK)
		fail_msg("validate: %s: %s", err.field, err.text);
	struct pk_print_opts o = {.token = "tok123"};
	char *form = NULL;
	if (paykeeper_print_form(d, &o, &form, &err) != K_OK)
		fail_msg("print_form: %s: %s", err.field, err.text);
	struct pk_print_request req;
	if (paykeeper_parse_print_request(form, strlen(form), &req, &err) != K_OK)
		fail_msg("sandbox parser: %s: %s", err.field, err.text);
	paykeeper_print_request_free(&req);
	char *props = form_get(form, strlen(form), "receipt_properties");
	assert_int_equal(paykeeper_properties_check(props, true), PK_PROPS_OK);
	free(props);
	struct form_pair *p = form_parse(form, strlen(form), n);
	free(form);
	return p;
}

static void plain_sale__states_all_five_sums(void **state)
{
	(void)state;
	struct document d;
	sale(&d);
	size_t n;
	struct form_pair *p = sent(&d, &n);
	assert_string_equal(value(p, n, "sum_cashless"), "1500.00");
	assert_string_equal(value(p, n, "sum_cash"), "0.00");
	assert_string_equal(value(p, n, "sum_advance"), "0.00");
	assert_string_equal(value(p, n, "sum_credit"), "0.00");
	assert_string_equal(value(p, n, "sum_counter_payment"), "0.00");
	assert_null(value(p, n, "receipt_properties")); /* no buyer named */
	form_pairs_free(p, n);
	document_free(&d);
}

static void named_buyer__goes_in_receipt_properties(void **state)
{
	(void)state;
	struct document d;
	sale(&d);
	str_copy(d.customer_name, "ООО «Ромашка»", sizeof d.customer_name);
	str_copy(d.customer_inn, "7707083893", sizeof d.customer_inn);
	size_t n;
	struct form_pair *p = sent(&d, &n);
	assert_string_equal(value(p, n, "receipt_properties"),
			    "{\"client\":{\"identity\":\"ООО «Ромашка»\",\"inn\":\"7707083893\"}}");
	form_pairs_free(p, n);
	document_free(&d);

	/* a name alone (a person) */
	sale(&d);
	str_copy(d.customer_name, "Иванов Иван Иванович", sizeof d.customer_name);
	p = sent(&d, &n);
	assert_string_equal(value(p, n, "receipt_properties"),
			    "{\"client\":{\"identity\":\"Иванов Иван Иванович\"}}");
	form_pairs_free(p, n);
	document_free(&d);
}

static void buyer_fields__read_from_a_receipt_file_and_checked(void **state)
{
	(void)state;
	const char *file = "{\"type\":\"payment\",\"purchase\":{\"products\":[{\"name\":\"Кофе\","
			   "\"price\":\"100.00\",\"quantity\":1,\"tax\":\"vat20\"}]},"
			   "\"card_amount\":\"#\",\"customer_name\":\"ООО «Ромашка»\","
			   "\"customer_inn\":\"7707083894\"}";
	struct document d;
	struct kerr err = {0};
	assert_int_equal(
	    wire_lifepay_parse_request(file, strlen(file), DOC_RECEIPT, &d, NULL, &err), K_OK);
	assert_string_equal(d.customer_name, "ООО «Ромашка»");
	/* a wrong check digit is refused, naming the field */
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "customer_inn");
	/* LifePay takes a buyer on its FFD 1.2 receipt only */
	str_copy(d.customer_inn, "7707083893", sizeof d.customer_inn);
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(document_check_lifepay(&d, &err), K_INVALID);
	assert_string_equal(err.field, "customer_name");
	d.ffd12 = true;
	assert_int_equal(document_check_lifepay(&d, &err), K_OK);
	/* and they survive the journal's round trip through the LifePay JSON */
	char *text = wire_lifepay_request_text(&d, NULL);
	assert_non_null(strstr(text, "\"customer_inn\":\"7707083893\""));
	free(text);
	document_free(&d);
}

static void properties_check__table(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		bool strict;
		enum pk_props_bad want;
	} cases[] = {
	    {NULL, true, PK_PROPS_OK},
	    {"", true, PK_PROPS_OK},
	    {"{}", true, PK_PROPS_OK},
	    {"{\"client\":{\"identity\":\"Иванов И. И.\",\"inn\":\"500100732259\"}}", true,
	     PK_PROPS_OK},
	    {"[]", false, PK_PROPS_NOT_OBJECT},
	    {"not json", false, PK_PROPS_NOT_OBJECT},
	    {"{\"client\":\"Иванов\"}", false, PK_PROPS_CLIENT},
	    {"{\"client\":{\"identity\":\"\"}}", false, PK_PROPS_IDENTITY},
	    {"{\"client\":{\"identity\":12}}", false, PK_PROPS_IDENTITY},
	    {"{\"client\":{\"inn\":\"7707083894\"}}", false, PK_PROPS_INN},
	    {"{\"client\":{\"inn\":\"77070838\"}}", false, PK_PROPS_INN},
	    {"{\"client\":{\"inn\":7707083893}}", false, PK_PROPS_INN},
	    {"{\"additional_check_props\":\"x\"}", false, PK_PROPS_OK},
	    {"{\"additional_check_props\":\"x\"}", true, PK_PROPS_UNKNOWN},
	    {"{\"client\":{\"identity\":\"A\",\"email\":\"a@b.ru\"}}", true, PK_PROPS_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (paykeeper_properties_check(cases[i].json, cases[i].strict) != cases[i].want)
			fail_msg("case %zu (%s): got %d, want %d", i,
				 cases[i].json ? cases[i].json : "NULL",
				 (int)paykeeper_properties_check(cases[i].json, cases[i].strict),
				 (int)cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plain_sale__states_all_five_sums),
	    cmocka_unit_test(named_buyer__goes_in_receipt_properties),
	    cmocka_unit_test(buyer_fields__read_from_a_receipt_file_and_checked),
	    cmocka_unit_test(properties_check__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

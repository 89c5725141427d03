/* What kassa sends PayKeeper beyond a plain sale (issue 15): FFD 1.2
 * corrections with their fields checked by the sandbox's own rules; the
 * advance, credit, payment_id and is_post_sale where the basket calls for them. */
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
#include "money.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

static void correction_doc(struct document *d, const char *initiator, const char *date,
			   const char *number)
{
	document_init(d, DOC_CORRECTION);
	struct basket_line l;
	basket_line_init(&l);
	snprintf(l.name, sizeof l.name, "%s", "Молоко 1 л");
	l.price = 8990;
	l.qty = 1000;
	l.vat = VAT_VAT10;
	l.vat_set = true;
	assert_int_equal(basket_add(&d->basket, &l, NULL), K_OK);
	assert_int_equal(basket_recalc(&d->basket, NULL), K_OK);
	snprintf(d->ext_id, sizeof d->ext_id, "%s", "corr-6f1c2a4e");
	snprintf(d->customer_email, sizeof d->customer_email, "%s", "buyer@example.ru");
	d->pay.cash.kind = PAY_REMAINDER;
	str_copy(d->correction_initiator, initiator, sizeof d->correction_initiator);
	str_copy(d->correction_doc_date, date, sizeof d->correction_doc_date);
	/* longer than the document allows on purpose: the wire must still refuse it */
	snprintf(d->correction_doc_number, sizeof d->correction_doc_number, "%s", number);
}

static const char *pair_value(const struct form_pair *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

static void correction__form_carries_the_ffd12_fields(void **state)
{
	(void)state;
	struct document d;
	correction_doc(&d, "directive", "2024-12-31", "ФНС-77/123");
	struct pk_print_opts o = {.token = "tok123"};
	char *form = NULL;
	struct kerr err = {0};
	assert_int_equal(paykeeper_print_form(&d, &o, &form, &err), K_OK);
	size_t n;
	struct form_pair *p = form_parse(form, strlen(form), &n);
	assert_string_equal(pair_value(p, n, "type"), "sale");
	assert_string_equal(pair_value(p, n, "is_correction"), "true");
	assert_string_equal(pair_value(p, n, "correction_type"), "by_order");
	assert_string_equal(pair_value(p, n, "correction_operation_date"), "2024-12-31");
	assert_string_equal(pair_value(p, n, "correction_document_number"), "ФНС-77/123");
	assert_string_equal(pair_value(p, n, "sum_cash"), "89.90");
	form_pairs_free(p, n);
	free(form);
	document_free(&d);

	/* independently (or no initiator) is self, and no number is sent */
	correction_doc(&d, "", "2024-02-29", "");
	assert_int_equal(paykeeper_print_form(&d, &o, &form, &err), K_OK);
	p = form_parse(form, strlen(form), &n);
	assert_string_equal(pair_value(p, n, "correction_type"), "self");
	assert_null(pair_value(p, n, "correction_document_number"));
	form_pairs_free(p, n);
	free(form);
	document_free(&d);
}

static void correction__refusals_name_the_paykeeper_field(void **state)
{
	(void)state;
	static const struct {
		const char *initiator, *date, *number, *field;
	} cases[] = {
	    {"whatever", "2024-12-31", "", "correction_type"},
	    {"independently", "31.12.2024", "", "correction_operation_date"},
	    {"independently", "2023-02-29", "", "correction_operation_date"},
	    {"independently", "", "", "correction_operation_date"},
	    {"directive", "2024-12-31", "", "correction_document_number"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct document d;
		correction_doc(&d, cases[i].initiator, cases[i].date, cases[i].number);
		struct pk_print_opts o = {.token = "tok123"};
		char *form = NULL;
		struct kerr err = {0};
		assert_int_equal(paykeeper_print_form(&d, &o, &form, &err), K_INVALID);
		assert_null(form);
		if (strcmp(err.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s, want %s", i, err.field, cases[i].field);
		assert_true(err.text[0] != '\0');
		document_free(&d);
	}
}

/* The sandbox's rules are these rules: one table for both sides. */
static void correction_check__the_seed_rules(void **state)
{
	(void)state;
	char forty[41];
	memset(forty, '7', 40);
	forty[40] = '\0';
	assert_int_equal(paykeeper_correction_check("self", "2024-12-31", NULL), PK_CORR_OK);
	assert_int_equal(paykeeper_correction_check("by_order", "2024-12-31", "12"), PK_CORR_OK);
	assert_int_equal(paykeeper_correction_check("whatever", "2024-12-31", NULL),
			 PK_CORR_BAD_TYPE);
	assert_int_equal(paykeeper_correction_check(NULL, "2024-12-31", NULL), PK_CORR_BAD_TYPE);
	assert_int_equal(paykeeper_correction_check("self", "31.12.2024", NULL), PK_CORR_BAD_DATE);
	assert_int_equal(paykeeper_correction_check("self", NULL, NULL), PK_CORR_BAD_DATE);
	assert_int_equal(paykeeper_correction_check("self", "2024-12-31", forty),
			 PK_CORR_NUMBER_LONG);
	forty[32] = '\0';
	assert_int_equal(paykeeper_correction_check("by_order", "2024-12-31", forty), PK_CORR_OK);
	assert_int_equal(paykeeper_correction_check("by_order", "2024-12-31", ""),
			 PK_CORR_NUMBER_MISSING);
	assert_string_equal(paykeeper_correction_field(PK_CORR_NUMBER_LONG),
			    "correction_document_number");
}

/* ---- settlements beyond money now (issue 15, item 4) ---- */

static void sale_doc(struct document *d, const int *methods, const int64_t *prices, size_t n)
{
	document_init(d, DOC_RECEIPT);
	for (size_t i = 0; i < n; i++) {
		struct basket_line l;
		basket_line_init(&l);
		snprintf(l.name, sizeof l.name, "Позиция %zu", i + 1);
		l.price = prices[i];
		l.qty = 1000;
		l.vat = VAT_VAT20;
		l.vat_set = true;
		l.object = 1;
		l.method = methods[i];
		assert_int_equal(basket_add(&d->basket, &l, NULL), K_OK);
	}
	snprintf(d->ext_id, sizeof d->ext_id, "%s", "sale-6f1c2a4e");
	snprintf(d->customer_email, sizeof d->customer_email, "%s", "buyer@example.ru");
	d->pay.card.kind = PAY_REMAINDER;
}

/* Builds the form after document_validate(), checks the sandbox's parser takes it. */
static struct form_pair *sent(struct document *d, size_t *n, struct pk_print_request *req)
{
	struct kerr err = {0};
	assert_int_equal(document_validate(d, &err), K_OK);
	struct pk_print_opts o = {.token = "tok123"};
	char *form = NULL;
	if (paykeeper_print_form(d, &o, &form, &err) != K_OK)
		fail_msg("print_form: %s: %s", err.field, err.text);
	if (paykeeper_parse_print_request(form, strlen(form), req, &err) != K_OK)
		fail_msg("sandbox parser: %s: %s", err.field, err.text);
	struct form_pair *p = form_parse(form, strlen(form), n);
	free(form);
	return p;
}

static void final_settlement__sends_advance_and_is_post_sale(void **state)
{
	(void)state;
	struct document d;
	int m[] = {4};
	int64_t pr[] = {100000};
	sale_doc(&d, m, pr, 1);
	d.prepayment = 30000; /* 300.00 paid earlier, 700.00 by card now */
	size_t n;
	struct pk_print_request req;
	struct form_pair *p = sent(&d, &n, &req);
	assert_string_equal(pair_value(p, n, "is_post_sale"), "true");
	assert_string_equal(pair_value(p, n, "sum_advance"), "300.00");
	assert_string_equal(pair_value(p, n, "sum_cashless"), "700.00");
	assert_string_equal(pair_value(p, n, "sum_cash"), "0.00");
	assert_string_equal(pair_value(p, n, "sum_credit"), "0.00");
	assert_int_equal(req.sum_advance, 30000);
	assert_int_equal(d.resolved.card, 70000); /* the journal records the money now */
	form_pairs_free(p, n);
	paykeeper_print_request_free(&req);
	document_free(&d);

	/* wholly paid by the advance: nothing by card or cash */
	sale_doc(&d, m, pr, 1);
	d.prepayment = 100000;
	p = sent(&d, &n, &req);
	assert_string_equal(pair_value(p, n, "sum_advance"), "1000.00");
	assert_string_equal(pair_value(p, n, "sum_cashless"), "0.00");
	assert_string_equal(pair_value(p, n, "is_post_sale"), "true");
	form_pairs_free(p, n);
	paykeeper_print_request_free(&req);
	document_free(&d);
}

static void credit_lines__send_sum_credit_and_payment_id(void **state)
{
	(void)state;
	struct document d;
	int m[] = {6, 4};
	int64_t pr[] = {50000, 20000};
	sale_doc(&d, m, pr, 2);
	d.pay.card.kind = PAY_NONE;
	d.pay.cash.kind = PAY_REMAINDER;
	str_copy(d.payment_id, "2211", sizeof d.payment_id);
	size_t n;
	struct pk_print_request req;
	struct form_pair *p = sent(&d, &n, &req);
	assert_string_equal(pair_value(p, n, "payment_id"), "2211");
	assert_string_equal(pair_value(p, n, "sum_credit"), "500.00");
	assert_string_equal(pair_value(p, n, "sum_cash"), "200.00");
	assert_string_equal(pair_value(p, n, "is_post_sale"), "false");
	assert_string_equal(pair_value(p, n, "sum_advance"), "0.00");
	assert_int_equal(req.sum_credit, 50000);
	assert_string_equal(req.payment_id, "2211");
	form_pairs_free(p, n);
	paykeeper_print_request_free(&req);
	document_free(&d);

	/* a plain sale states the other sums as zeros (pk_extras.c), payment_id '' */
	int m4[] = {4};
	sale_doc(&d, m4, pr, 1);
	p = sent(&d, &n, &req);
	assert_string_equal(pair_value(p, n, "payment_id"), "");
	assert_string_equal(pair_value(p, n, "sum_advance"), "0.00");
	assert_string_equal(pair_value(p, n, "sum_credit"), "0.00");
	assert_string_equal(pair_value(p, n, "is_post_sale"), "false");
	form_pairs_free(p, n);
	paykeeper_print_request_free(&req);
	document_free(&d);
}

static void settlements__refusals_name_the_field(void **state)
{
	(void)state;
	struct document d;
	struct kerr err = {0};
	int m5[] = {5};
	int64_t pr[] = {100000};
	sale_doc(&d, m5, pr, 1);
	assert_int_equal(document_validate(&d, &err), K_OK);
	struct pk_print_opts o = {.token = "tok123"};
	char *form = NULL;
	assert_int_equal(paykeeper_print_form(&d, &o, &form, &err), K_INVALID);
	assert_string_equal(err.field, "cart[0].payment_type");
	document_free(&d);

	int m4[] = {4};
	sale_doc(&d, m4, pr, 1);
	d.prepayment = 100001; /* more than the total */
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "prepayment_amount");
	d.prepayment = 1000;
	assert_int_equal(document_validate(&d, &err), K_OK);
	/* LifePay takes it too (seed 002: prepayment_amount on lines of type 4) */
	assert_int_equal(document_check_lifepay(&d, &err), K_OK);
	document_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(correction__form_carries_the_ffd12_fields),
	    cmocka_unit_test(correction__refusals_name_the_paykeeper_field),
	    cmocka_unit_test(correction_check__the_seed_rules),
	    cmocka_unit_test(final_settlement__sends_advance_and_is_post_sale),
	    cmocka_unit_test(credit_lines__send_sum_credit_and_payment_id),
	    cmocka_unit_test(settlements__refusals_name_the_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* What kassa sends PayKeeper beyond a plain sale (issue 15): FFD 1.2
 * corrections with their fields checked by the sandbox's own rules. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(correction__form_carries_the_ffd12_fields),
	    cmocka_unit_test(correction__refusals_name_the_paykeeper_field),
	    cmocka_unit_test(correction_check__the_seed_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

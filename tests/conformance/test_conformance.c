/*
 * Conformance: what published LifePay and PayKeeper integrations send,
 * replayed against the sandbox as it runs by default (tolerant), each with the
 * answer it must get. The first five tests are the refusals issue 15 lists;
 * they failed against the sandbox before it read requests tolerantly.
 * The strict sandbox's refusals are in test_conformance_strict.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../integration/harness.h"
#include "cases.h"
#include "jsonx.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

#define USERPWD "sandbox:sandbox"

struct fx {
	struct sandbox *sb;
	FILE *log;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->log = tmpfile();
	struct sandbox_options o = {
	    .callback_delay_ms = 20, .paykeeper_step_ms = 20, .conn_timeout_s = 2, .log = f->log};
	f->sb = sbt_start_opts(&o);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sandbox_stop(f->sb);
	fclose(f->log);
	free(f);
	return 0;
}

/* The request log so far (the sandbox writes it under its lock; replies came after). */
static char *log_text(struct fx *f)
{
	fflush(f->log);
	long n = ftell(f->log);
	char *buf = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f->log);
	size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), f->log);
	buf[got] = '\0';
	fseek(f->log, 0, SEEK_END);
	return buf;
}

static void log_has(struct fx *f, const char *what)
{
	char *t = log_text(f);
	if (!strstr(t, what))
		fail_msg("the request log lacks \"%s\":\n%s", what, t);
	free(t);
}

/* POSTs a LifePay body; the reply as JSON (fails on anything but HTTP 200 + JSON). */
static json_t *lp(struct fx *f, const char *path, const char *body)
{
	struct hres r = http_do("POST", sbt_url(f->sb, path), "application/json", body,
				strlen(body), NULL, 10000);
	if (r.status != 200)
		fail_msg("%s: HTTP %ld: %s", path, r.status, r.body ? r.body : "");
	json_t *j = hres_json(&r);
	if (!j)
		fail_msg("%s: not JSON: %s", path, r.body);
	hres_free(&r);
	return j;
}

/* The request is accepted: code 0, a uuid, a document in the ledger; returns it. */
static json_t *accepted(struct fx *f, const char *path, const char *body)
{
	json_t *j = lp(f, path, body);
	if (lp_code(j) != 0) {
		char *t = jsonx_dumps(j, JSON_COMPACT);
		fail_msg("%s refused: %s", path, t);
	}
	const char *uuid = lp_uuid(j);
	assert_non_null(uuid);
	json_t *doc = ledger_doc(f->sb, uuid);
	assert_non_null(doc);
	json_decref(j);
	return doc;
}

static const char *doc_text(const json_t *doc, const char *key)
{
	const json_t *v = json_object_get(doc, key);
	const char *num = jsonx_number_text(v);
	return num ? num : json_is_string(v) ? json_string_value(v) : "";
}

/* ---- the five refusals of issue 15 ---- */

static void opencart__enable_and_four_decimals__accepted(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, CF_RECEIPT, CF_OPENCART);
	assert_string_equal(doc_text(doc, "card_amount"), "1500.00");
	assert_string_equal(doc_text(doc, "total"), "1500.00");
	json_decref(doc);
	log_has(f, "ignored unknown field enable");
	log_has(f, "card_amount \"1500.0000\" read as 1500.00");
}

static void bitrix__quantity_four_decimals__accepted(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, CF_RECEIPT, CF_BITRIX);
	assert_string_equal(doc_text(doc, "total"), "2490.50");
	json_decref(doc);
	log_has(f, "quantity \"1.0000\" read as 1.000");
	log_has(f, "empty customer_phone read as not given");
	log_has(f, "empty target_serial read as not given");
}

static void modx__product_vat__read_as_tax(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, CF_RECEIPT, CF_MODX);
	json_t *line = json_array_get(json_object_get(doc, "lines"), 0);
	assert_string_equal(doc_text(line, "tax"), "vat10");
	assert_string_equal(doc_text(doc, "total"), "1200.00");
	json_decref(doc);
}

static void laravel__ffd12_path_order_number_key_prepayment__accepted(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, CF_FFD12, CF_LARAVEL_PREPAY);
	assert_string_equal(doc_text(doc, "kind"), "receipt");
	json_decref(doc);
	doc = accepted(f, CF_FFD12, CF_LARAVEL_FINAL);
	/* The advance settles it: no cash reaches the drawer. */
	assert_string_equal(doc_text(doc, "cash_amount"), "0.00");
	assert_string_equal(doc_text(doc, "total"), "990.00");
	/* seed 002: the advance is the receipt's prepayment_amount (the ledger's amount), no card
	 */
	assert_string_equal(doc_text(doc, "amount"), "990.00");
	assert_string_equal(doc_text(doc, "card_amount"), "0.00");
	json_decref(doc);
	log_has(f, "order_number accepted and recorded");
	log_has(f, "marking_code accepted and recorded");
}

/* Seed 002, tolerant: a final line without type is read as 4 (logged); the rules stay. */
static void seed002__untyped_final_line_read_as_4__type1_still_refused(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, CF_RECEIPT,
			       "{" CF_AUTH ",\"prepayment_amount\":40,\"card_amount\":\"#\","
			       "\"purchase\":{\"products\":[{\"name\":\"X\",\"price\":100,"
			       "\"quantity\":1}]}}");
	assert_string_equal(doc_text(doc, "amount"), "40.00");
	assert_string_equal(doc_text(doc, "card_amount"), "60.00");
	json_decref(doc);
	log_has(f, "purchase.products[0].type missing beside prepayment_amount, read as 4");
	json_t *j = lp(f, CF_RECEIPT,
		       "{" CF_AUTH ",\"prepayment_amount\":40,\"card_amount\":\"#\","
		       "\"purchase\":{\"products\":[{\"name\":\"X\",\"price\":100,"
		       "\"quantity\":1,\"type\":1}]}}");
	assert_int_equal(lp_code(j), 400);
	assert_non_null(lp_msg(j, "purchase.products[0].type"));
	json_decref(j);
}

static void paykeeper__token_without_slash__and_the_real_token_error(void **state)
{
	struct fx *f = *state;
	/* A Bitrix PayKeeper handler asks for the token without the trailing slash. */
	struct hres h =
	    http_do("GET", sbt_url(f->sb, "/info/settings/token"), NULL, NULL, 0, USERPWD, 5000);
	assert_int_equal(h.status, 200);
	char tok[256];
	assert_int_equal(paykeeper_parse_token(h.body, h.len, tok, sizeof tok, NULL), K_OK);
	hres_free(&h);
	/* The SDK renews its token only on the real text, matched escaped in the raw body. */
	char *form = NULL;
	form_add(&form, "payment_id", "");
	form_add(&form, "type", "sale");
	form_add(&form, "contact", "a@example.ru");
	form_add(&form, "sum_cashless", "1500");
	form_add(&form, "cart", CF_PK_CART);
	form_add(&form, "receipt_key", "sdk-receipt-0001");
	form_add(&form, "token", "expired-token");
	h = http_do("POST", sbt_url(f->sb, PAYKEEPER_PATH_PRINT),
		    "application/x-www-form-urlencoded", form, strlen(form), USERPWD, 5000);
	free(form);
	assert_int_equal(h.status, 200);
	if (!strstr(h.body, CF_PK_TOKEN_ERROR_ESCAPED))
		fail_msg("the token error is not the real text: %s", h.body);
	hres_free(&h);
}

/* ---- the rest of the rule set ---- */

static void integer_ext_id_and_phone__accepted(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, CF_RECEIPT, CF_INTEGER_IDS);
	assert_string_equal(doc_text(doc, "ext_id"), "4001");
	json_decref(doc);
}

static void seed_examples__accepted(void **state)
{
	struct fx *f = *state;
	json_t *doc = accepted(f, "/cloud-print/create-non-fiscal-receipt", CF_SEED_NONFISCAL);
	json_decref(doc);
	/* Seed S0's Z-report example, once a receipt has opened the shift. */
	json_decref(accepted(f, CF_RECEIPT, CF_INTEGER_IDS));
	doc = accepted(f, "/cloud-print/create-z-report",
		       "{" CF_AUTH ",\"test\":0,\"target_serial\":\"SANDBOX-0001\"}");
	json_decref(doc);
}

static void nonzero_extra_decimals__refused_in_russian(void **state)
{
	struct fx *f = *state;
	json_t *j = lp(f, CF_RECEIPT, CF_BAD_QUANTITY);
	assert_int_equal(lp_code(j), 400);
	assert_string_equal(json_string_value(json_object_get(j, "message")), "Ошибка данных.");
	const char *m = lp_msg(j, "purchase.products[0].quantity");
	assert_non_null(m);
	assert_null(strstr(m, "kassa"));
	assert_non_null(strstr(m, "Значение"));
	json_decref(j);
}

static void unknown_field__ignored_and_logged(void **state)
{
	struct fx *f = *state;
	/* A field not allowed on this endpoint is ignored, and logged as such. */
	json_t *doc = accepted(f, "/cloud-print/create-x-report",
			       "{" CF_AUTH ",\"purchase\":{\"products\":[]},\"colour\":\"red\"}");
	json_decref(doc);
	log_has(f, "ignored unknown field colour");
}

/* A PayKeeper print form in the Bitrix handler's shape; the reply body. */
static char *pk_print(struct fx *f, const char *contact, const char *key, const char *extra[][2])
{
	struct hres h =
	    http_do("GET", sbt_url(f->sb, PAYKEEPER_PATH_TOKEN), NULL, NULL, 0, USERPWD, 5000);
	char tok[256];
	assert_int_equal(paykeeper_parse_token(h.body, h.len, tok, sizeof tok, NULL), K_OK);
	hres_free(&h);
	char *form = NULL;
	form_add(&form, "payment_id", "");
	form_add(&form, "type", "sale");
	form_add(&form, "is_post_sale", "false");
	form_add(&form, "refund_id", "");
	form_add(&form, "contact", contact);
	form_add(&form, "sum_cashless", "1500");
	form_add(&form, "sum_cash", "0");
	form_add(&form, "sum_advance", "0");
	form_add(&form, "sum_credit", "0");
	form_add(&form, "sum_counter_payment", "0");
	form_add(&form, "cart", CF_PK_CART);
	form_add(&form, "receipt_key", key);
	for (size_t i = 0; extra && extra[i][0]; i++)
		form_add(&form, extra[i][0], extra[i][1]);
	form_add(&form, "token", tok);
	h = http_do("POST", sbt_url(f->sb, PAYKEEPER_PATH_PRINT),
		    "application/x-www-form-urlencoded", form, strlen(form), USERPWD, 5000);
	free(form);
	assert_int_equal(h.status, 200);
	char *body = xstrdup(h.body);
	hres_free(&h);
	return body;
}

static void paykeeper__bitrix_receipt__accepted(void **state)
{
	struct fx *f = *state;
	const char *extra[][2] = {{"is_correction", "false"}, {NULL, NULL}};
	char *b =
	    pk_print(f, "buyer@example.ru", "3f786850e387550fdab836ed7e6dc881de23001b", extra);
	assert_non_null(strstr(b, "receipt_id"));
	free(b);
}

static void paykeeper__corrections_checked(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *type, *date, *number;
		bool ok;
	} cases[] = {
	    {"self", "2024-12-31", NULL, true},
	    {"by_order", "2024-12-31", "12-34/567", true},
	    {"whatever", "2024-12-31", NULL, false},
	    {"self", "31.12.2024", NULL, false},
	    {"self", "2024-02-30", NULL, false},
	    {"by_order", "2024-12-31", "1234567890123456789012345678901234567890", false},
	    {"by_order", "2024-12-31", NULL, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "correction-%04zu", i);
		const char *extra[5][2] = {{"is_correction", "true"},
					   {"correction_type", cases[i].type},
					   {"correction_operation_date", cases[i].date},
					   {NULL, NULL},
					   {NULL, NULL}};
		if (cases[i].number) {
			extra[3][0] = "correction_document_number";
			extra[3][1] = cases[i].number;
		}
		char *b = pk_print(f, "buyer@example.ru", key, extra);
		if ((strstr(b, "receipt_id") != NULL) != cases[i].ok)
			fail_msg("case %zu (%s %s): %s", i, cases[i].type, cases[i].date, b);
		free(b);
	}
}

static void paykeeper__contact_checked(void **state)
{
	struct fx *f = *state;
	char *b = pk_print(f, "not a contact", "contact-0001", NULL);
	assert_non_null(strstr(b, "\"fail\""));
	assert_non_null(strstr(b, "contact"));
	free(b);
	b = pk_print(f, "+79101234567", "contact-0002", NULL);
	assert_non_null(strstr(b, "receipt_id"));
	free(b);
}

/* receipt_properties (seed 8.11 item 14, table 12.5 unpublished): the buyer as
 * a published PayKeeper module writes it, {"client":{"identity","inn"}};
 * the value must be a JSON object and the INN real. The byid answer keeps it. */
static void paykeeper__receipt_properties_checked(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *props;
		bool ok;
	} cases[] = {
	    {"{\"client\":{\"identity\":\"ООО «Ромашка»\",\"inn\":\"7707083893\"}}", true},
	    {"{\"client\":{\"identity\":\"Тестовый Пользователь\"}}", true},
	    {"{\"additional_check_props\":\"A-1\"}", true},   /* tolerant: unknown keys kept */
	    {"{\"client\":{\"inn\":\"7707083894\"}}", false}, /* check digit */
	    {"[\"client\"]", false},
	    {"{\"client\":\"ООО\"}", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "props-%04zu", i);
		const char *extra[][2] = {{"receipt_properties", cases[i].props}, {NULL, NULL}};
		char *b = pk_print(f, "buyer@example.ru", key, extra);
		if ((strstr(b, "receipt_id") != NULL) != cases[i].ok)
			fail_msg("case %zu (%s): %s", i, cases[i].props, b);
		if (!cases[i].ok && !strstr(b, "receipt_properties"))
			fail_msg("case %zu: the refusal does not name the field: %s", i, b);
		free(b);
	}
}

/* The buyer on the FFD 1.2 receipt (reference D2: customer_name, customer_inn): read and
 * checked by the client's rules, a wrong INN refused in Russian naming the field. */
static void lifepay__ffd12_buyer__inn_checked(void **state)
{
	struct fx *f = *state;
#define BUYER_BODY(inn)                                                                            \
	"{" CF_AUTH ",\"type\":\"payment\",\"card_amount\":\"#\",\"customer_name\":\"ООО "      \
	"«Ромашка»\",\"customer_inn\":\"" inn "\",\"purchase\":{\"products\":[{\"name\":"          \
	"\"Хлеб\",\"price\":45.50,\"quantity\":1}]}}"
	json_decref(accepted(f, CF_FFD12, BUYER_BODY("7707083893")));
	json_t *j = lp(f, CF_FFD12, BUYER_BODY("7707083894"));
	assert_int_equal(lp_code(j), 400);
	const char *m = lp_msg(j, "customer_inn");
	if (!m || !strstr(m, "ИНН покупателя"))
		fail_msg("customer_inn: %s", m ? m : "(no message)");
	json_decref(j);
#undef BUYER_BODY
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(opencart__enable_and_four_decimals__accepted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(bitrix__quantity_four_decimals__accepted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(modx__product_vat__read_as_tax, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		laravel__ffd12_path_order_number_key_prepayment__accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		seed002__untyped_final_line_read_as_4__type1_still_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		paykeeper__token_without_slash__and_the_real_token_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(integer_ext_id_and_phone__accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(seed_examples__accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(nonzero_extra_decimals__refused_in_russian, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unknown_field__ignored_and_logged, setup, teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__bitrix_receipt__accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__corrections_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__contact_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(paykeeper__receipt_properties_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(lifepay__ffd12_buyer__inn_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Conformance, strict: `kassa-sandbox --strict` (and sandbox_options.strict)
 * keeps refusing what a careful client should never send, so testing clients
 * (kassa's own suites) see their junk. The same bodies the tolerant sandbox
 * accepts (test_conformance.c) get these answers here; what both modes share
 * (the FFD 1.2 path, the token path, the real token-error text) is checked too.
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

static int setup(void **state)
{
	struct sandbox_options o = {
	    .callback_delay_ms = 20, .paykeeper_step_ms = 20, .conn_timeout_s = 2, .strict = true};
	*state = sbt_start_opts(&o);
	return 0;
}

static int teardown(void **state)
{
	sandbox_stop(*state);
	return 0;
}

static void refused(struct sandbox *sb, const char *path, const char *body, int code,
		    const char *key)
{
	struct hres r =
	    http_do("POST", sbt_url(sb, path), "application/json", body, strlen(body), NULL, 10000);
	assert_int_equal(r.status, 200);
	json_t *j = hres_json(&r);
	assert_non_null(j);
	if (lp_code(j) != code || !lp_msg(j, key))
		fail_msg("%s: want %d on %s, got %s", path, code, key, r.body);
	const char *m = lp_msg(j, key);
	/* Russian, as the provider writes it, and never naming the client. */
	assert_null(strstr(m, "kassa"));
	assert_true((unsigned char)m[0] >= 0x80 || strstr(m, "«") != NULL);
	json_decref(j);
	hres_free(&r);
}

static void strict__refuses_what_integrations_send(void **state)
{
	struct sandbox *sb = *state;
	refused(sb, CF_RECEIPT, CF_OPENCART, 400, "enable");
	refused(sb, CF_RECEIPT, CF_BITRIX, 6000, "customer_phone");
	refused(sb, CF_RECEIPT,
		"{" CF_AUTH ",\"card_amount\":\"#\",\"purchase\":{\"products\":[{\"name\":"
		"\"X\",\"price\":10,\"quantity\":\"1.0000\"}]}}",
		400, "purchase.products[0].quantity");
	refused(sb, CF_RECEIPT, CF_MODX, 400, "purchase.products[0].vat");
	refused(sb, CF_FFD12, CF_LARAVEL_PREPAY, 400, "order_number");
	refused(sb, CF_RECEIPT, CF_INTEGER_IDS, 6000, "customer_phone");
	refused(sb, CF_RECEIPT, CF_BAD_QUANTITY, 400, "purchase.products[0].quantity");
	/* Four decimals alone, without the unknown field, are refused on their own. */
	refused(sb, CF_RECEIPT,
		"{" CF_AUTH ",\"card_amount\":\"1500.0000\",\"purchase\":{\"products\":[{\"name\":"
		"\"X\",\"price\":1500,\"quantity\":1}]}}",
		400, "card_amount");
}

#define PRE_LINE(type) "{\"name\":\"X\",\"price\":100,\"quantity\":1" type "}"
#define PRE_BODY(head, line) "{" CF_AUTH "," head ",\"purchase\":{\"products\":[" line "]}}"

/* Seed 002: the final receipt settles in full (type 4), by an advance it never exceeds. */
static void strict__seed002_prepayment_rules(void **state)
{
	struct sandbox *sb = *state;
	/* strict: the type is written, as the seed's recipe writes it */
	refused(sb, CF_RECEIPT, PRE_BODY("\"prepayment_amount\":100", PRE_LINE("")), 400,
		"purchase.products[0].type");
	/* a prepayment receipt (type 1) offsets no advance */
	refused(sb, CF_RECEIPT, PRE_BODY("\"prepayment_amount\":100", PRE_LINE(",\"type\":1")), 400,
		"purchase.products[0].type");
	/* never above the total */
	refused(sb, CF_RECEIPT, PRE_BODY("\"prepayment_amount\":100.01", PRE_LINE(",\"type\":4")),
		400, "prepayment_amount");
	/* a refund offsets none */
	refused(sb, CF_RECEIPT,
		PRE_BODY("\"type\":\"refund\",\"cash_amount\":\"#\",\"prepayment_amount\":40",
			 PRE_LINE(",\"type\":4")),
		400, "prepayment_amount");
	/* the advance covers it all: no money beside it */
	refused(sb, CF_RECEIPT,
		PRE_BODY("\"prepayment_amount\":100,\"cash_amount\":50", PRE_LINE(",\"type\":4")),
		400, "cash_amount");
	/* and what is left is paid now: 40 by the advance, 50 is not enough */
	refused(sb, CF_RECEIPT,
		PRE_BODY("\"prepayment_amount\":40,\"card_amount\":50", PRE_LINE(",\"type\":4")),
		400, "card_amount");
}

static void strict__still_serves_the_paths_and_the_real_token_text(void **state)
{
	struct sandbox *sb = *state;
	struct hres h =
	    http_do("GET", sbt_url(sb, "/info/settings/token"), NULL, NULL, 0, USERPWD, 5000);
	assert_int_equal(h.status, 200);
	hres_free(&h);
	char *form = NULL;
	form_add(&form, "payment_id", "");
	form_add(&form, "type", "sale");
	form_add(&form, "contact", "a@example.ru");
	form_add(&form, "sum_cashless", "1500");
	form_add(&form, "cart", CF_PK_CART);
	form_add(&form, "receipt_key", "strict-000001");
	form_add(&form, "token", "expired-token");
	h = http_do("POST", sbt_url(sb, PAYKEEPER_PATH_PRINT), "application/x-www-form-urlencoded",
		    form, strlen(form), USERPWD, 5000);
	free(form);
	assert_non_null(strstr(h.body, CF_PK_TOKEN_ERROR_ESCAPED));
	hres_free(&h);
	/* The FFD 1.2 path takes a receipt in kassa's own shape. */
	const char *ok = "{" CF_AUTH ",\"card_amount\":\"#\",\"purchase\":{\"products\":[{\"name\":"
			 "\"Хлеб\",\"price\":45.50,\"quantity\":2}]}}";
	h = http_do("POST", sbt_url(sb, CF_FFD12), "application/json", ok, strlen(ok), NULL, 5000);
	assert_int_equal(h.status, 200);
	json_t *j = hres_json(&h);
	assert_int_equal(lp_code(j), 0);
	json_decref(j);
	hres_free(&h);
}

static void strict__paykeeper_contact_required(void **state)
{
	struct sandbox *sb = *state;
	struct hres h =
	    http_do("GET", sbt_url(sb, PAYKEEPER_PATH_TOKEN), NULL, NULL, 0, USERPWD, 5000);
	char tok[256];
	assert_int_equal(paykeeper_parse_token(h.body, h.len, tok, sizeof tok, NULL), K_OK);
	hres_free(&h);
	const char *contacts[] = {"", "8 910 123-45-67"};
	for (size_t i = 0; i < 2; i++) {
		char *form = NULL, key[32];
		snprintf(key, sizeof key, "strict-contact-%zu", i);
		form_add(&form, "payment_id", "");
		form_add(&form, "type", "sale");
		form_add(&form, "contact", contacts[i]);
		form_add(&form, "sum_cashless", "1500");
		form_add(&form, "cart", CF_PK_CART);
		form_add(&form, "receipt_key", key);
		form_add(&form, "token", tok);
		h = http_do("POST", sbt_url(sb, PAYKEEPER_PATH_PRINT),
			    "application/x-www-form-urlencoded", form, strlen(form), USERPWD, 5000);
		free(form);
		if (!strstr(h.body, "\"fail\"") || !strstr(h.body, "contact"))
			fail_msg("contact \"%s\": %s", contacts[i], h.body);
		hres_free(&h);
	}
}

/* Strict keeps to the keys the evidence shows in receipt_properties. */
static void strict__receipt_properties_known_keys_only(void **state)
{
	struct sandbox *sb = *state;
	const char *props[] = {
	    "{\"client\":{\"identity\":\"ООО «Ромашка»\",\"inn\":\"7707083893\"}}",
	    "{\"additional_check_props\":\"A-1\"}"};
	for (size_t i = 0; i < 2; i++) {
		struct hres h =
		    http_do("GET", sbt_url(sb, PAYKEEPER_PATH_TOKEN), NULL, NULL, 0, USERPWD, 5000);
		char tok[256];
		assert_int_equal(paykeeper_parse_token(h.body, h.len, tok, sizeof tok, NULL), K_OK);
		hres_free(&h);
		char *form = NULL, key[32];
		snprintf(key, sizeof key, "strict-props-%zu", i);
		form_add(&form, "payment_id", "");
		form_add(&form, "type", "sale");
		form_add(&form, "contact", "+79101234567");
		form_add(&form, "sum_cashless", "1500");
		form_add(&form, "cart", CF_PK_CART);
		form_add(&form, "receipt_properties", props[i]);
		form_add(&form, "receipt_key", key);
		form_add(&form, "token", tok);
		h = http_do("POST", sbt_url(sb, PAYKEEPER_PATH_PRINT),
			    "application/x-www-form-urlencoded", form, strlen(form), USERPWD, 5000);
		free(form);
		bool ok = strstr(h.body, "receipt_id") != NULL;
		if (ok != (i == 0) || (!ok && !strstr(h.body, "receipt_properties")))
			fail_msg("receipt_properties %s: %s", props[i], h.body);
		hres_free(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(strict__seed002_prepayment_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(strict__refuses_what_integrations_send, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(strict__still_serves_the_paths_and_the_real_token_text,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(strict__paykeeper_contact_required, setup, teardown),
	    cmocka_unit_test_setup_teardown(strict__receipt_properties_known_keys_only, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

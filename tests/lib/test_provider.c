/* Tests for lib/provider.c and the providers: the table, credentials at send time, verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "document.h"
#include "net.h"
#include "provider.h"
#include "util.h"

static void profile(struct config_profile *p, enum kprovider id)
{
	config_profile_defaults(p, "t");
	p->provider = id;
	str_copy(p->base_url, "https://example.test", sizeof p->base_url);
	str_copy(p->login, "79001234567", sizeof p->login);
	str_copy(p->apikey, "key\"with-quote", sizeof p->apikey);
	str_copy(p->user, "u", sizeof p->user);
	str_copy(p->password, "pw", sizeof p->password);
}

static void provider__table__words_suffixes_caps(void **state)
{
	(void)state;
	enum kprovider id;
	for (int i = 0; i < KPROVIDER_COUNT; i++) {
		const struct provider_ops *ops = provider_get((enum kprovider)i);
		assert_int_equal(ops->id, i);
		assert_true(provider_parse(provider_word(ops->id), &id));
		assert_int_equal(id, i);
		assert_ptr_equal(provider_by_suffix(ops->callback_suffix), ops);
	}
	assert_false(provider_parse("atol", &id));
	assert_ptr_equal(provider_by_suffix(""), provider_get(KPROVIDER_LIFEPAY));
	assert_null(provider_by_suffix("atol"));
	assert_true(provider_can(KPROVIDER_LIFEPAY, PROVIDER_CAP_TEST_MODE));
	assert_false(provider_can(KPROVIDER_PAYKEEPER, PROVIDER_CAP_TEST_MODE));
	assert_true(provider_can(KPROVIDER_PAYKEEPER, PROVIDER_CAP_POLLS | PROVIDER_CAP_REGISTRY));
}

static void provider_check_profile__names_the_missing_credential(void **state)
{
	(void)state;
	struct config_profile p;
	struct kerr e = {0};
	profile(&p, KPROVIDER_LIFEPAY);
	assert_int_equal(provider_check_profile(&p, &e), K_OK);
	assert_string_equal(provider_user(&p), "79001234567");
	p.apikey[0] = '\0';
	assert_int_equal(provider_check_profile(&p, &e), K_INVALID);
	assert_string_equal(e.field, "login");
	assert_non_null(strstr(e.text, "needs login and apikey"));
	profile(&p, KPROVIDER_PAYKEEPER);
	assert_string_equal(provider_secret(&p), "pw");
	p.user[0] = '\0';
	assert_int_equal(provider_check_profile(&p, &e), K_INVALID);
	assert_non_null(strstr(e.text, "(PayKeeper) needs user and password"));
}

/* LifePay: the stored text goes out byte for byte, the credentials in front of it. */
static void lifepay_send_request__splices_credentials_into_stored_text(void **state)
{
	(void)state;
	struct config_profile p;
	profile(&p, KPROVIDER_LIFEPAY);
	struct provider_ctx c = {.ops = provider_get(KPROVIDER_LIFEPAY),
				 .p = &p,
				 .callback_url = "http://127.0.0.1:1/cb/t"};
	static const struct {
		const char *stored, *want;
	} cases[] = {
	    {"{\"type\":\"payment\",\"cash_amount\":10000.10}",
	     "{\"apikey\":\"key\\\"with-quote\",\"login\":\"79001234567\",\"callback_url\":"
	     "\"http://127.0.0.1:1/cb/t\",\"type\":\"payment\",\"cash_amount\":10000.10}"},
	    {" {}", "{\"apikey\":\"key\\\"with-quote\",\"login\":\"79001234567\",\"callback_url\":"
		    "\"http://127.0.0.1:1/cb/t\"}"},
	    /* a document's own callback_url (journaled without a listener) is kept */
	    {"{\"callback_url\":\"https://shop/cb\"}",
	     "{\"apikey\":\"key\\\"with-quote\",\"login\":\"79001234567\",\"callback_url\":"
	     "\"https://shop/cb\"}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct provider_request rq = {0};
		assert_int_equal(c.ops->send.request(&c, "receipt", cases[i].stored, &rq, NULL),
				 K_OK);
		assert_string_equal(rq.body, cases[i].want);
		assert_string_equal(rq.url, "https://example.test/cloud-print/create-receipt");
		provider_request_free(&rq);
	}
	struct provider_request rq = {0};
	struct kerr e = {0};
	assert_int_equal(c.ops->send.request(&c, "receipt", "[1]", &rq, &e), K_INVALID);
	assert_string_equal(e.field, "body");
	provider_request_free(&rq);
}

/* PayKeeper: the journal's form has no token; the send appends the cached one. */
static void paykeeper_stored_body__no_token__send_appends_it(void **state)
{
	(void)state;
	struct config_profile p;
	profile(&p, KPROVIDER_PAYKEEPER);
	struct provider_ctx c = {
	    .ops = provider_get(KPROVIDER_PAYKEEPER), .p = &p, .callback_url = ""};
	str_copy(c.token.value, "t&k", sizeof c.token.value);
	struct document d;
	document_init(&d, DOC_RECEIPT);
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, "Хлеб", sizeof l.name);
	l.price = 5000;
	l.qty = 1000;
	l.vat = VAT_VAT20;
	l.vat_set = true;
	assert_int_equal(basket_add(&d.basket, &l, NULL), K_OK);
	str_copy(d.customer_email, "buyer@example.ru", sizeof d.customer_email);
	d.pay.card.kind = PAY_REMAINDER;
	document_assign_ext_id(&d);
	assert_int_equal(document_validate(&d, NULL), K_OK);
	char *stored = NULL;
	struct kerr e = {0};
	if (c.ops->send.stored_body(&c, &d, &stored, &e) != K_OK)
		fail_msg("stored_body: %s: %s", e.field, e.text);
	assert_null(strstr(stored, "token="));
	assert_non_null(strstr(stored, "sum_cashless=50.00"));
	struct provider_request rq = {0};
	assert_int_equal(c.ops->send.request(&c, "receipt", stored, &rq, NULL), K_OK);
	size_t n = strlen(stored);
	assert_memory_equal(rq.body, stored, n);
	assert_string_equal(rq.body + n, "&token=t%26k");
	assert_string_equal(rq.user, "u");
	/* and back: the journal screen and refunds read the stored form */
	struct document back;
	assert_int_equal(c.ops->status.decode_stored(stored, DOC_RECEIPT, &back, NULL), K_OK);
	assert_int_equal(back.basket.n, 1);
	assert_int_equal(back.basket.total, 5000);
	assert_int_equal(back.resolved.card, 5000);
	provider_request_free(&rq);
	free(stored);
	document_free(&d);
}

static struct net_result reply(long http, const char *body)
{
	struct net_result r;
	memset(&r, 0, sizeof r);
	r.outcome = NET_OK;
	r.http_status = http;
	r.body = body;
	r.body_len = strlen(body);
	r.content_type = "application/json";
	return r;
}

static void account_verdict__table(void **state)
{
	(void)state;
	static const struct {
		enum kprovider id;
		long http;
		const char *body;
		bool ok;
		const char *says;
	} cases[] = {
	    {KPROVIDER_LIFEPAY, 200, "{\"code\":0,\"message\":\"\",\"data\":[]}", true,
	     "OK: login and API key are right"},
	    {KPROVIDER_LIFEPAY, 200, "{\"code\":400,\"message\":\"bad\",\"data\":null}", false,
	     "the test document was refused: bad"},
	    {KPROVIDER_LIFEPAY, 502, "{\"code\":1,\"message\":\"\"}", false, "HTTP 502"},
	    {KPROVIDER_LIFEPAY, 200, "<html>", false, "unreadable reply"},
	    {KPROVIDER_PAYKEEPER, 200, "{\"token\":\"abc\"}", true, "PayKeeper issued a token"},
	    {KPROVIDER_PAYKEEPER, 401, "", false, "Refused (HTTP 401)"},
	    {KPROVIDER_PAYKEEPER, 500, "", false, "No token (HTTP 500)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config_profile p;
		profile(&p, cases[i].id);
		struct net_result r = reply(cases[i].http, cases[i].body);
		char text[1400];
		assert_int_equal(provider_check_verdict(&p, &r, text, sizeof text), cases[i].ok);
		if (!strstr(text, cases[i].says))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, text, cases[i].says);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(provider__table__words_suffixes_caps),
	    cmocka_unit_test(provider_check_profile__names_the_missing_credential),
	    cmocka_unit_test(lifepay_send_request__splices_credentials_into_stored_text),
	    cmocka_unit_test(paykeeper_stored_body__no_token__send_appends_it),
	    cmocka_unit_test(account_verdict__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

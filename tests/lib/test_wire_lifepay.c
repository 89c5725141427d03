/* Tests for lib/wire/lifepay.c and lifepay_parse.c: request bodies and request parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "document.h"
#include "jsonx.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay.h"

/* The seed's PHP example (non-fiscal receipt page), as the JSON it sends. */
static const char seed_request[] =
    "{\"apikey\":\"{your_apikey_0123456789}\",\"login\":\"79001234567\","
    "\"purchase\":{\"products\":["
    "{\"name\":\"Монитор DELL U2412M\",\"unit\":\"piece\",\"price\":20730.00,\"quantity\":1,"
    "\"discount\":{\"type\":\"percent\",\"value\":10}},"
    "{\"name\":\"Сканер Canon CanoScan LiDE 120\",\"unit\":\"piece\",\"price\":3710.00,"
    "\"quantity\":1,\"discount\":{\"type\":\"percent\",\"value\":10}}]},"
    "\"type\":\"payment\",\"test\":0,\"cash_amount\":10000,\"card_amount\":\"#\","
    "\"payment_place\":\"м. Автозаводская (центр зала)\"}";

/* What kassa sends for it: our field order, exact decimals, "#" kept. */
static const char seed_body[] =
    "{\"apikey\":\"{your_apikey_0123456789}\",\"login\":\"79001234567\",\"type\":\"payment\","
    "\"purchase\":{\"products\":["
    "{\"name\":\"Монитор DELL U2412M\",\"price\":20730.00,\"quantity\":1,\"unit\":\"piece\","
    "\"discount\":{\"type\":\"percent\",\"value\":10}},"
    "{\"name\":\"Сканер Canon CanoScan LiDE 120\",\"price\":3710.00,\"quantity\":1,"
    "\"unit\":\"piece\",\"discount\":{\"type\":\"percent\",\"value\":10}}]},"
    "\"card_amount\":\"#\",\"cash_amount\":10000.00,"
    "\"payment_place\":\"м. Автозаводская (центр зала)\"}";

static void parse_ok(const char *text, enum doc_kind kind, struct document *d,
		     struct lifepay_auth *auth)
{
	struct kerr err = {0};
	if (wire_lifepay_parse_request(text, strlen(text), kind, d, auth, &err) != K_OK)
		fail_msg("parse: %s: %s", err.field, err.text);
}

static void wire_lifepay__seed_example__parse_validate_build(void **state)
{
	(void)state;
	struct document d;
	struct lifepay_auth auth;
	struct kerr err;
	parse_ok(seed_request, DOC_NONFISCAL, &d, &auth);
	assert_string_equal(auth.login, "79001234567");
	assert_string_equal(auth.apikey, "{your_apikey_0123456789}");
	assert_int_equal(d.basket.n, 2);
	assert_int_equal(d.basket.lines[0].price, 2073000);
	assert_int_equal(d.basket.lines[0].qty, 1000);
	assert_int_equal(d.basket.lines[1].discount.type, DISCOUNT_PERCENT);
	assert_int_equal(d.basket.lines[1].discount.value, 1000);
	assert_int_equal(d.pay.card.kind, PAY_REMAINDER);
	assert_int_equal(d.pay.cash.kind, PAY_AMOUNT);
	assert_int_equal(d.pay.cash.kop, 1000000);
	assert_false(d.test);
	if (document_validate(&d, &err) != K_OK)
		fail_msg("%s: %s", err.field, err.text);
	assert_int_equal(d.basket.total, 2199600);
	assert_int_equal(d.resolved.card, 1199600);

	char *body = wire_lifepay_request_text(&d, &auth);
	assert_string_equal(body, seed_body);

	/* what we send parses back to the same body */
	struct document again;
	struct lifepay_auth auth2;
	parse_ok(body, DOC_NONFISCAL, &again, &auth2);
	char *body2 = wire_lifepay_request_text(&again, &auth2);
	assert_string_equal(body2, body);
	free(body);
	free(body2);
	document_free(&d);
	document_free(&again);
}

struct money_case {
	const char *price, *quantity; /* JSON literals as written */
	const char *want_price, *want_qty;
};

static void wire_lifepay_request__amounts_are_exact_decimals(void **state)
{
	(void)state;
	static const struct money_case cases[] = {
	    {"0.01", "1", "0.01", "1"},
	    {"20730.1", "0.455", "20730.10", "0.455"},
	    {"\"20730,10\"", "\"2.5\"", "20730.10", "2.5"},
	    {"\" 12.50 \"", "1.000", "12.50", "1"},
	    {"999999999999.99", "1", "999999999999.99", "1"},
	    {"0.07", "3", "0.07", "3"},
	    {"1.10", "99999999.999", "1.10", "99999999.999"},
	    {"0.29", "0.001", "0.29", "0.001"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512], want[256];
		snprintf(
		    text, sizeof text,
		    "{\"purchase\":{\"products\":[{\"name\":\"x\",\"price\":%s,\"quantity\":%s}]}}",
		    cases[i].price, cases[i].quantity);
		struct document d;
		parse_ok(text, DOC_RECEIPT, &d, NULL);
		char *body = wire_lifepay_request_text(&d, NULL);
		snprintf(want, sizeof want,
			 "{\"type\":\"payment\",\"purchase\":{\"products\":[{\"name\":\"x\","
			 "\"price\":%s,"
			 "\"quantity\":%s,\"unit\":\"piece\"}]}}",
			 cases[i].want_price, cases[i].want_qty);
		assert_string_equal(body, want);
		/* nothing a double would produce */
		assert_null(strstr(body, "0000001"));
		assert_null(strstr(body, "9999999999999"));
		assert_null(strstr(body, "e+"));
		free(body);
	}
}

/* Every line field and every receipt field, in and out. */
static void wire_lifepay__full_receipt__round_trip(void **state)
{
	(void)state;
	const char *in =
	    "{\"apikey\":\"k-0123456789\",\"login\":79001234567,\"test\":1,\"type\":\"refund\","
	    "\"purchase\":{\"products\":[{\"name\":\"Сыр\",\"price\":\"700\",\"quantity\":0.455,"
	    "\"unit\":\"kg\",\"discount\":{\"type\":\"amount\",\"value\":\"18.50\"},"
	    "\"tax\":\"vat10\",\"type\":4,\"item_type\":1}]},"
	    "\"card_amount\":\"#\",\"tax_system\":\"usn6\",\"payment_place\":\"Зал 1\","
	    "\"cashier_name\":\"Иванова\",\"cashier_inn\":\"500100732259\","
	    "\"target_serial\":\"00106304012797\",\"customer_email\":\"b@example.ru\","
	    "\"customer_phone\":\"+7 910 123-45-67\",\"mode\":\"print_email\","
	    "\"pos\":{\"perform\":1,\"slip_count\":2},"
	    "\"ref_uuid\":\"84fefc72-cbc5-5cc1-ba40-d00f035f05cb\",\"ext_id\":\"order-17\","
	    "\"callback_url\":\"https://kassa.example.ru/cb/t0k3n\","
	    "\"callback_data\":{\"order\":17,\"sum\":12.50,\"tags\":[\"a\",1.5e3],\"n\":null}}";
	struct document d;
	struct lifepay_auth auth;
	struct kerr err;
	parse_ok(in, DOC_RECEIPT, &d, &auth);
	assert_string_equal(auth.login, "79001234567");
	assert_true(d.test);
	assert_int_equal(d.type, RT_REFUND);
	assert_int_equal(d.basket.lines[0].qty, 455);
	assert_int_equal(d.basket.lines[0].unit, UNIT_KG);
	assert_int_equal(d.basket.lines[0].vat, VAT_VAT10);
	assert_true(d.basket.lines[0].vat_set);
	assert_int_equal(d.basket.lines[0].method, 4);
	assert_int_equal(d.basket.lines[0].object, 1);
	assert_int_equal(d.tax_system, TAX_USN6);
	assert_int_equal(d.mode, MODE_PRINT_EMAIL);
	assert_true(d.pos_set);
	if (document_validate(&d, &err) != K_OK)
		fail_msg("%s: %s", err.field, err.text);
	/* 700 x 0.455 = 318.50, less 18.50 */
	assert_int_equal(d.basket.total, 30000);
	char *body = wire_lifepay_request_text(&d, &auth);
	assert_string_equal(
	    body,
	    "{\"apikey\":\"k-0123456789\",\"login\":\"79001234567\",\"test\":1,\"type\":\"refund\","
	    "\"purchase\":{\"products\":[{\"name\":\"Сыр\",\"price\":700.00,\"quantity\":0.455,"
	    "\"unit\":\"kg\",\"discount\":{\"type\":\"amount\",\"value\":18.50},\"tax\":\"vat10\","
	    "\"type\":4,\"item_type\":1}]},\"card_amount\":\"#\",\"tax_system\":\"usn6\","
	    "\"payment_place\":\"Зал 1\",\"cashier_name\":\"Иванова\","
	    "\"cashier_inn\":\"500100732259\",\"target_serial\":\"00106304012797\","
	    "\"customer_email\":\"b@example.ru\",\"customer_phone\":\"79101234567\","
	    "\"mode\":\"print_email\",\"pos\":{\"perform\":1,\"slip_count\":2},"
	    "\"ref_uuid\":\"84fefc72-cbc5-5cc1-ba40-d00f035f05cb\",\"ext_id\":\"order-17\","
	    "\"callback_url\":\"https://kassa.example.ru/cb/t0k3n\","
	    "\"callback_data\":{\"order\":17,\"sum\":12.50,\"tags\":[\"a\",1.5e3],\"n\":null}}");
	free(body);
	document_free(&d);
}

static void wire_lifepay_request__other_kinds(void **state)
{
	(void)state;
	struct lifepay_auth auth = {"79001234567", "apikey-0123456789"};
	struct document d;
	char *body;

	document_init(&d, DOC_Z_REPORT);
	strcpy(d.target_serial, "00106304012797");
	strcpy(d.cashier_name, "Иванова");
	strcpy(d.ext_id, "z-1");
	body = wire_lifepay_request_text(&d, &auth);
	assert_string_equal(body,
			    "{\"apikey\":\"apikey-0123456789\",\"login\":\"79001234567\","
			    "\"cashier_name\":\"Иванова\",\"target_serial\":\"00106304012797\","
			    "\"ext_id\":\"z-1\"}");
	free(body);

	document_init(&d, DOC_X_REPORT);
	strcpy(d.cashier_name, "ignored"); /* x-report does not carry it */
	d.test = true;
	body = wire_lifepay_request_text(&d, NULL);
	assert_string_equal(body, "{\"test\":1}");
	free(body);

	document_init(&d, DOC_CASH_OUT);
	d.amount = 123456;
	strcpy(d.target_serial, "0010");
	body = wire_lifepay_request_text(&d, NULL);
	assert_string_equal(body, "{\"target_serial\":\"0010\",\"amount\":1234.56}");
	free(body);

	document_init(&d, DOC_CORRECTION);
	d.type = RT_BUY;
	d.basket.n = 1;
	basket_line_init(&d.basket.lines[0]);
	strcpy(d.basket.lines[0].name, "x");
	d.basket.lines[0].price = 100;
	strcpy(d.correction_initiator, "directive");
	strcpy(d.correction_doc_date, "2024-03-31");
	strcpy(d.correction_doc_number, "17");
	strcpy(d.correction_description, "ошибка кассира");
	body = wire_lifepay_request_text(&d, NULL);
	assert_string_equal(
	    body, "{\"type\":\"buy_correction\",\"purchase\":{\"products\":[{\"name\":\"x\","
		  "\"price\":1.00,\"quantity\":1,\"unit\":\"piece\"}]},"
		  "\"initiator\":\"directive\",\"description\":\"ошибка кассира\","
		  "\"doc_date\":\"2024-03-31\",\"doc_number\":\"17\"}");
	/* and it reads back */
	struct document back;
	parse_ok(body, DOC_CORRECTION, &back, NULL);
	assert_int_equal(back.type, RT_BUY);
	assert_string_equal(back.correction_doc_number, "17");
	free(body);
}

static void wire_lifepay_request__receipt_discount__sent_as_line_amounts(void **state)
{
	(void)state;
	struct document d;
	struct kerr err;
	document_init(&d, DOC_RECEIPT);
	for (int i = 0; i < 3; i++) {
		basket_line_init(&d.basket.lines[i]);
		snprintf(d.basket.lines[i].name, sizeof d.basket.lines[i].name, "t%d", i);
		d.basket.lines[i].price = 1000;
	}
	d.basket.lines[0].discount = (struct discount){DISCOUNT_PERCENT, 1000};
	d.basket.n = 3;
	d.basket.receipt_discount = (struct discount){DISCOUNT_AMOUNT, 100};
	d.pay.card.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(&d, &err), K_OK);
	/* nets 9.00, 10.00, 10.00; 1.00 spread by largest remainder: 31, 35, 34 */
	assert_int_equal(d.basket.total, 2800);
	char *body = wire_lifepay_request_text(&d, NULL);
	const char *want =
	    "{\"type\":\"payment\",\"purchase\":{\"products\":["
	    "{\"name\":\"t0\",\"price\":10.00,\"quantity\":1,\"unit\":\"piece\","
	    "\"discount\":{\"type\":\"amount\",\"value\":1.31}},"
	    "{\"name\":\"t1\",\"price\":10.00,\"quantity\":1,\"unit\":\"piece\","
	    "\"discount\":{\"type\":\"amount\",\"value\":0.35}},"
	    "{\"name\":\"t2\",\"price\":10.00,\"quantity\":1,\"unit\":\"piece\","
	    "\"discount\":{\"type\":\"amount\",\"value\":0.34}}]},\"card_amount\":\"#\"}";
	int64_t shares = 0;
	for (int i = 0; i < 3; i++)
		shares += d.basket.lines[i].receipt_share;
	assert_int_equal(shares, 100);
	assert_string_equal(body, want);
	free(body);
}

struct reject_case {
	const char *json;
	enum doc_kind kind;
	const char *field;
};

static void wire_lifepay_parse_request__rejections__name_their_field(void **state)
{
	(void)state;
#define P(x) "{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":1,\"quantity\":1}," x "]}}"
	static const struct reject_case cases[] = {
	    {"", DOC_RECEIPT, ""},
	    {"[]", DOC_RECEIPT, ""},
	    {"{\"a\":1,}", DOC_RECEIPT, ""},
	    {"{\"test\":1,\"test\":0}", DOC_RECEIPT, ""},
	    {"{\"nonsense\":1}", DOC_RECEIPT, "nonsense"},
	    {"{\"amount\":1}", DOC_RECEIPT, "amount"},
	    {"{\"purchase\":{}}", DOC_Z_REPORT, "purchase"},
	    {"{\"cashier_name\":\"a\"}", DOC_X_REPORT, "cashier_name"},
	    {"{\"purchase\":[]}", DOC_RECEIPT, "purchase"},
	    {"{\"purchase\":{\"items\":[]}}", DOC_RECEIPT, "purchase.items"},
	    {"{\"purchase\":{\"products\":{}}}", DOC_RECEIPT, "purchase.products"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":0.0001}"), DOC_RECEIPT,
	     "purchase.products[1].quantity"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":-1}"), DOC_RECEIPT,
	     "purchase.products[1].quantity"},
	    {P("{\"name\":\"b\",\"price\":1.001,\"quantity\":1}"), DOC_RECEIPT,
	     "purchase.products[1].price"},
	    {P("{\"name\":\"b\",\"price\":1e3,\"quantity\":1}"), DOC_RECEIPT,
	     "purchase.products[1].price"},
	    {P("{\"name\":\"b\",\"price\":\"1 000\",\"quantity\":1}"), DOC_RECEIPT,
	     "purchase.products[1].price"},
	    {P("{\"name\":\"b\",\"price\":true,\"quantity\":1}"), DOC_RECEIPT,
	     "purchase.products[1].price"},
	    {P("{\"name\":\"b\",\"quantity\":1}"), DOC_RECEIPT, "purchase.products[1].price"},
	    {P("{\"price\":1,\"quantity\":1}"), DOC_RECEIPT, "purchase.products[1].name"},
	    {P("{\"name\":\"b\",\"price\":1}"), DOC_RECEIPT, "purchase.products[1].quantity"},
	    {P("{\"name\":12.5,\"price\":1,\"quantity\":1}"), DOC_RECEIPT,
	     "purchase.products[1].name"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"unit\":\"box\"}"), DOC_RECEIPT,
	     "purchase.products[1].unit"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"tax\":\"vat99\"}"), DOC_RECEIPT,
	     "purchase.products[1].tax"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"type\":0}"), DOC_RECEIPT,
	     "purchase.products[1].type"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"item_type\":\"1\"}"), DOC_RECEIPT,
	     "purchase.products[1].item_type"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"colour\":\"red\"}"), DOC_RECEIPT,
	     "purchase.products[1].colour"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"discount\":5}"), DOC_RECEIPT,
	     "purchase.products[1].discount"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"discount\":{\"type\":\"x\","
	       "\"value\":1}}"),
	     DOC_RECEIPT, "purchase.products[1].discount.type"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"discount\":{\"type\":\"percent\","
	       "\"value\":101}}"),
	     DOC_RECEIPT, "purchase.products[1].discount.value"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"discount\":{\"type\":\"amount\"}}"),
	     DOC_RECEIPT, "purchase.products[1].discount.value"},
	    {P("{\"name\":\"b\",\"price\":1,\"quantity\":1,\"discount\":{\"type\":\"amount\","
	       "\"value\":1,\"max\":2}}"),
	     DOC_RECEIPT, "purchase.products[1].discount.max"},
	    {P("7"), DOC_RECEIPT, "purchase.products[1]"},
	    {"{\"card_amount\":\"##\"}", DOC_RECEIPT, "card_amount"},
	    {"{\"card_amount\":-5}", DOC_RECEIPT, "card_amount"},
	    {"{\"cash_amount\":[1]}", DOC_RECEIPT, "cash_amount"},
	    {"{\"cash_amount\":\"10.999\"}", DOC_RECEIPT, "cash_amount"},
	    {"{\"type\":\"sale\"}", DOC_RECEIPT, "type"},
	    {"{\"type\":\"sell_correction\"}", DOC_RECEIPT, "type"},
	    {"{\"type\":\"sell\"}", DOC_CORRECTION, "type"},
	    {"{\"test\":2}", DOC_RECEIPT, "test"},
	    {"{\"test\":\"yes\"}", DOC_RECEIPT, "test"},
	    {"{\"tax_system\":\"envd\"}", DOC_RECEIPT, "tax_system"},
	    {"{\"mode\":\"sms\"}", DOC_RECEIPT, "mode"},
	    {"{\"pos\":1}", DOC_RECEIPT, "pos"},
	    {"{\"pos\":{\"perform\":2}}", DOC_RECEIPT, "pos.perform"},
	    {"{\"pos\":{\"slip_count\":3}}", DOC_RECEIPT, "pos.slip_count"},
	    {"{\"pos\":{\"perform\":1,\"amount\":3}}", DOC_RECEIPT, "pos.amount"},
	    {"{\"ext_id\":\"123456789012345678901234567890123456789012345678901\"}", DOC_RECEIPT,
	     "ext_id"},
	    {"{\"ext_id\":[1]}", DOC_RECEIPT, "ext_id"},
	    {"{\"cashier_name\":1}", DOC_RECEIPT, "cashier_name"},
	    {"{\"cashier_inn\":500100732259}", DOC_RECEIPT, "cashier_inn"},
	    {"{\"callback_data\":{\"a\":\"\\u0001\\u0002\\u0003x\"}}", DOC_RECEIPT,
	     "callback_data"},
	    {"{\"callback_data\":\"line\\u0007\"}", DOC_RECEIPT, "callback_data"},
	    {"{\"amount\":\"-1\"}", DOC_CASH_IN, "amount"},
	    {"{\"amount\":1.001}", DOC_CASH_OUT, "amount"},
	    {"{\"doc_date\":\"2024-03-310\"}", DOC_CORRECTION, "doc_date"},
	};
#undef P
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct document d;
		struct lifepay_auth auth;
		struct kerr err = {0};
		const char *j = cases[i].json;
		kstatus st =
		    wire_lifepay_parse_request(j, strlen(j), cases[i].kind, &d, &auth, &err);
		if (st == K_OK || strcmp(err.field, cases[i].field) != 0)
			fail_msg("case %zu %s: got %d field '%s' (%s), want field '%s'", i, j, st,
				 err.field, err.text, cases[i].field);
		assert_true(strlen(err.text) > 3);
		assert_null(d.callback_data_json);
	}
}

/* Rules that only validation can see, on parsed input: the field stays named. */
static void wire_lifepay_parse_request__then_validate__names_fields(void **state)
{
	(void)state;
	static const struct {
		const char *json, *field;
		int code;
	} cases[] = {
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":1,\"quantity\":1},"
	     "{\"name\":\"b\",\"price\":1,\"quantity\":0}]},\"card_amount\":\"#\"}",
	     "purchase.products[1].quantity", 0},
	    {"{\"purchase\":{\"products\":[]}}", "purchase.products", 0},
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":10,\"quantity\":1}]},"
	     "\"card_amount\":11}",
	     "card_amount", 3896},
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":10,\"quantity\":1}]},"
	     "\"card_amount\":\"#\",\"cash_amount\":\"#\"}",
	     "card_amount", 400},
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\\u0001\",\"price\":10,\"quantity\":1}]}}",
	     "purchase.products[0].name", 0},
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":10,\"quantity\":1}]},"
	     "\"card_amount\":\"#\",\"type\":\"refund\",\"pos\":{\"perform\":1}}",
	     "ref_uuid", 0},
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":10,\"quantity\":1}]},"
	     "\"card_amount\":\"#\",\"customer_phone\":\"12\"}",
	     "customer_phone", 0},
	    {"{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":10,\"quantity\":1}]},"
	     "\"card_amount\":\"#\",\"callback_url\":\"mailto:x\"}",
	     "callback_url", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct document d;
		struct kerr err = {0};
		parse_ok(cases[i].json, DOC_RECEIPT, &d, NULL);
		kstatus st = document_validate(&d, &err);
		if (st == K_OK || strcmp(err.field, cases[i].field) != 0 ||
		    err.code != cases[i].code)
			fail_msg("case %zu: got %d field '%s' code %d (%s)", i, st, err.field,
				 err.code, err.text);
		document_free(&d);
	}
}

static void wire_lifepay_parse_request__nulls_and_long_names(void **state)
{
	(void)state;
	struct document d;
	struct kerr err;
	parse_ok("{\"purchase\":{\"products\":[{\"name\":\"a\",\"price\":1,\"quantity\":1,"
		 "\"tax\":null,\"discount\":null,\"type\":null}]},\"card_amount\":null,"
		 "\"ext_id\":12345,\"cashier_name\":null,\"callback_data\":\"text\"}",
		 DOC_RECEIPT, &d, NULL);
	assert_int_equal(d.pay.card.kind, PAY_NONE);
	assert_string_equal(d.ext_id, "12345");
	assert_string_equal(d.callback_data_json, "\"text\"");
	char *body = wire_lifepay_request_text(&d, NULL);
	assert_non_null(strstr(body, "\"callback_data\":\"text\""));
	free(body);
	document_free(&d);

	/* a 129-character name is refused with its length */
	char json[2048];
	char name[300];
	memset(name, 'n', 129);
	name[129] = '\0';
	snprintf(json, sizeof json,
		 "{\"purchase\":{\"products\":[{\"name\":\"%s\",\"price\":1,\"quantity\":1}]}}",
		 name);
	parse_ok(json, DOC_RECEIPT, &d, NULL);
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "purchase.products[0].name");
	assert_non_null(strstr(err.text, "129"));
	/* a name too long for the buffer is refused while reading */
	char big[700];
	memset(big, 'n', 600);
	big[600] = '\0';
	snprintf(json, sizeof json,
		 "{\"purchase\":{\"products\":[{\"name\":\"%s\",\"price\":1,\"quantity\":1}]}}",
		 big);
	assert_int_equal(
	    wire_lifepay_parse_request(json, strlen(json), DOC_RECEIPT, &d, NULL, &err), K_INVALID);
	assert_string_equal(err.field, "purchase.products[0].name");
	assert_non_null(strstr(err.text, "600"));

	/* 101 products are refused */
	size_t cap = 101 * 60 + 64, o = 0;
	char *many = xmalloc(cap);
	o += (size_t)snprintf(many + o, cap - o, "{\"purchase\":{\"products\":[");
	for (int i = 0; i < 101; i++)
		o +=
		    (size_t)snprintf(many + o, cap - o,
				     "%s{\"name\":\"a\",\"price\":1,\"quantity\":1}", i ? "," : "");
	snprintf(many + o, cap - o, "]}}");
	assert_int_equal(
	    wire_lifepay_parse_request(many, strlen(many), DOC_RECEIPT, &d, NULL, &err), K_INVALID);
	assert_string_equal(err.field, "purchase.products");
	free(many);
}

static void wire_mask_secret__table(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"a", "********"},
	    {"12345678", "********"},
	    {"123456789", "12****89"},
	    {"sandbox-apikey-0001", "sa****01"},
	    {"Жж-secret-Жж", "********"}, /* non-ASCII ends are hidden too */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[32];
		wire_mask_secret(cases[i].in, out, sizeof out);
		assert_string_equal(out, cases[i].out);
		if (strlen(cases[i].in) > 0)
			assert_null(strstr(out, cases[i].in));
	}
	char small[4];
	wire_mask_secret("sandbox-apikey-0001", small, sizeof small);
	assert_string_equal(small, "sa*");
	wire_mask_secret(NULL, small, sizeof small);
	assert_string_equal(small, "");
}

static void wire_lifepay_check_auth__table(void **state)
{
	(void)state;
	static const struct {
		const char *login, *apikey, *field;
	} cases[] = {
	    {"79001234567", "k", NULL},
	    {"89001234567", "k", "login"},
	    {"7900123456", "k", "login"},
	    {"7900123456a", "k", "login"},
	    {"", "k", "login"},
	    {"79001234567", "", "apikey"},
	    {"79001234567", "with space", "apikey"},
	    {"79001234567", "ключ", "apikey"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lifepay_auth a;
		struct kerr err = {0};
		memset(&a, 0, sizeof a);
		strcpy(a.login, cases[i].login);
		strcpy(a.apikey, cases[i].apikey);
		kstatus st = wire_lifepay_check_auth(&a, &err);
		if (!cases[i].field) {
			assert_int_equal(st, K_OK);
			continue;
		}
		assert_int_equal(st, K_INVALID);
		assert_string_equal(err.field, cases[i].field);
		if (cases[i].apikey[0])
			assert_null(strstr(err.text, cases[i].apikey));
	}
}
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(wire_lifepay__seed_example__parse_validate_build),
	    cmocka_unit_test(wire_lifepay_request__amounts_are_exact_decimals),
	    cmocka_unit_test(wire_lifepay__full_receipt__round_trip),
	    cmocka_unit_test(wire_lifepay_request__other_kinds),
	    cmocka_unit_test(wire_lifepay_request__receipt_discount__sent_as_line_amounts),
	    cmocka_unit_test(wire_lifepay_parse_request__rejections__name_their_field),
	    cmocka_unit_test(wire_lifepay_parse_request__then_validate__names_fields),
	    cmocka_unit_test(wire_lifepay_parse_request__nulls_and_long_names),
	    cmocka_unit_test(wire_mask_secret__table),
	    cmocka_unit_test(wire_lifepay_check_auth__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* lib/wire/bill.c: bill request checks, replies and notifications, from tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire/bill.h"

static void check__refuses__naming_the_field(void **state)
{
	(void)state;
	static const struct {
		int64_t amount;
		const char *phone, *email;
		enum bill_method m;
		const char *field;
	} cases[] = {
	    {0, "79161234567", "", BILL_METHOD_SBP, "amount"},
	    {-5, "79161234567", "", BILL_METHOD_SBP, "amount"},
	    {100, "", "", BILL_METHOD_SBP, "customer_phone"},
	    {100, "12345", "", BILL_METHOD_SBP, "customer_phone"},
	    {100, "", "a@b", BILL_METHOD_SBP, "customer_email"},
	    {100, "", "@b.ru", BILL_METHOD_SBP, "customer_email"},
	    {100, "", "a b@c.ru", BILL_METHOD_SBP, "customer_email"},
	    {100, "", "a@b.ru", BILL_METHOD_MOBILE, "customer_phone"},
	    {100, "", "a@b.ru", BILL_METHOD_COUNT, "method"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bill_request rq;
		memset(&rq, 0, sizeof rq);
		rq.amount = cases[i].amount;
		rq.method = cases[i].m;
		str_copy(rq.phone, cases[i].phone, sizeof rq.phone);
		str_copy(rq.email, cases[i].email, sizeof rq.email);
		struct kerr e = {0};
		assert_int_equal(wire_bill_check(&rq, &e), K_INVALID);
		assert_string_equal(e.field, cases[i].field);
	}
	struct bill_request ok = {.amount = 125000, .method = BILL_METHOD_MOBILE};
	str_copy(ok.phone, "8 (916) 123-45-67", sizeof ok.phone);
	assert_int_equal(wire_bill_check(&ok, NULL), K_OK);
	assert_string_equal(ok.phone, "79161234567");
}

static void create_body__amount_as_text__no_invoice_when_absent(void **state)
{
	(void)state;
	struct bill_request rq = {.amount = 125050, .method = BILL_METHOD_INTERNET};
	str_copy(rq.email, "a@b.ru", sizeof rq.email);
	char *b = wire_bill_create_body(&rq, "70000000000", "key");
	assert_non_null(strstr(b, "\"amount\":\"1250.50\""));
	assert_non_null(strstr(b, "\"method\":\"internetAcquiring\""));
	assert_null(strstr(b, "customer_phone"));
	assert_null(strstr(b, "invoice_data"));
	free(b);
	rq.invoice_data = "{\"items\":[]}";
	b = wire_bill_create_body(&rq, "70000000000", "key");
	assert_non_null(strstr(b, "\"invoice_data\":{\"items\":[]}"));
	free(b);
}

static void parse_create__table(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		kstatus st;
	} cases[] = {
	    {"{\"code\":0,\"data\":{\"number\":\"1\",\"paymentUrl\":\"u\"}}", K_OK},
	    {"{\"code\":0,\"data\":{\"number\":77,\"status\":0,\"paymentUrl\":\"u\"}}", K_OK},
	    {"{\"code\":0,\"data\":{\"number\":\"1\"}}", K_INVALID},
	    {"{\"code\":0,\"data\":{\"paymentUrl\":\"u\"}}", K_INVALID},
	    {"{\"code\":0,\"data\":{\"number\":\"1\",\"status\":7,\"paymentUrl\":\"u\"}}",
	     K_INVALID},
	    {"{\"code\":6010,\"message\":\"нет\",\"data\":{}}", K_PROVIDER},
	    {"{\"message\":\"x\"}", K_INVALID},
	    {"[]", K_INVALID},
	    {"", K_INVALID},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bill_reply r;
		assert_int_equal(
		    wire_bill_parse_create(cases[i].body, strlen(cases[i].body), &r, NULL),
		    cases[i].st);
	}
	struct bill_reply r;
	const char *b =
	    "{\"code\":0,\"data\":{\"number\":77,\"interval\":99999,\"paymentUrl\":\"u\"}}";
	assert_int_equal(wire_bill_parse_create(b, strlen(b), &r, NULL), K_OK);
	assert_string_equal(r.number, "77");
	assert_int_equal(r.interval_s, 0); /* out of range: the default */
	assert_int_equal(r.state, BILL_INITIATED);
}

static void parse_status__the_number_asked(void **state)
{
	(void)state;
	const char *b = "{\"code\":0,\"data\":{\"5\":{\"status\":15,\"msg\":\"ждём\"},"
			"\"6\":{\"status\":30}}}";
	enum bill_state s;
	char msg[64];
	assert_int_equal(wire_bill_parse_status(b, strlen(b), "5", &s, msg, sizeof msg, NULL),
			 K_OK);
	assert_int_equal(s, BILL_AWAITING);
	assert_string_equal(msg, "ждём");
	assert_int_equal(wire_bill_parse_status(b, strlen(b), "6", &s, msg, sizeof msg, NULL),
			 K_OK);
	assert_int_equal(s, BILL_CANCELLED);
	assert_int_equal(wire_bill_parse_status(b, strlen(b), "7", &s, msg, sizeof msg, NULL),
			 K_NOTFOUND);
	/* A long message is cut on a character boundary. */
	char small[6];
	assert_int_equal(wire_bill_parse_status(b, strlen(b), "5", &s, small, sizeof small, NULL),
			 K_OK);
	assert_string_equal(small, "жд");
}

static void parse_tx__form_json_and_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *ct, *body;
		kstatus st;
		const char *field;
	} cases[] = {
	    {"application/x-www-form-urlencoded",
	     "data=%7B%22number%22%3A%221%22%2C%22type%22%3A%22payment%22%2C%22status%22%3A%22"
	     "success%22%2C%22amount%22%3A%221250.00%22%7D",
	     K_OK, ""},
	    {"application/json",
	     "{\"number\":2,\"original_number\":\"1\",\"type\":\"refund\",\"status\":\"fail\","
	     "\"amount\":\"10.00\"}",
	     K_OK, ""},
	    {"application/json", "{\"type\":\"payment\",\"status\":\"success\",\"amount\":\"1\"}",
	     K_INVALID, "number"},
	    {"application/json",
	     "{\"number\":\"1\",\"type\":\"x\",\"status\":\"success\","
	     "\"amount\":\"1\"}",
	     K_INVALID, "type"},
	    {"application/json",
	     "{\"number\":\"1\",\"type\":\"payment\",\"status\":\"ok\","
	     "\"amount\":\"1\"}",
	     K_INVALID, "status"},
	    {"application/json",
	     "{\"number\":\"1\",\"type\":\"payment\",\"status\":\"fail\","
	     "\"amount\":\"1.001\"}",
	     K_INVALID, "amount"},
	    {"application/json",
	     "{\"number\":\"1\",\"type\":\"payment\",\"status\":\"fail\","
	     "\"amount\":\"-1.00\"}",
	     K_INVALID, "amount"},
	    {"application/x-www-form-urlencoded", "foo=bar", K_INVALID, "data"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bill_tx tx;
		struct kerr e = {0};
		assert_int_equal(
		    wire_bill_parse_tx(cases[i].ct, cases[i].body, strlen(cases[i].body), &tx, &e),
		    cases[i].st);
		if (cases[i].st != K_OK)
			assert_string_equal(e.field, cases[i].field);
	}
}

static void description_ext__only_safe_ids(void **state)
{
	(void)state;
	char ext[64];
	assert_true(wire_bill_description_ext("Хлеб [kassa:ab-12_C]", ext, sizeof ext));
	assert_string_equal(ext, "ab-12_C");
	assert_false(wire_bill_description_ext("[kassa:]", ext, sizeof ext));
	assert_false(wire_bill_description_ext("[kassa:a b]", ext, sizeof ext));
	assert_false(wire_bill_description_ext("[kassa:abc", ext, sizeof ext));
	assert_false(wire_bill_description_ext("nothing", ext, sizeof ext));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(check__refuses__naming_the_field),
	    cmocka_unit_test(create_body__amount_as_text__no_invoice_when_absent),
	    cmocka_unit_test(parse_create__table),
	    cmocka_unit_test(parse_status__the_number_asked),
	    cmocka_unit_test(parse_tx__form_json_and_refusals),
	    cmocka_unit_test(description_ext__only_safe_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

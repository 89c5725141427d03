/* Tests for lib/wire/lifepay_reply.c: replies and callbacks. */
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

struct reply_case {
	const char *body;
	kstatus st;
	int code;
	const char *uuid;
	size_t n_errors;
	const char *first_error;
	const char *message;
};

static void wire_lifepay_parse_reply__table(void **state)
{
	(void)state;
	static const struct reply_case cases[] = {
	    {"{\"code\":0,\"message\":\"\",\"data\":{\"uuid\":\"84fefc72-cbc5-5cc1-ba40-"
	     "d00f035f05cb\"}}",
	     K_OK, 0, "84fefc72-cbc5-5cc1-ba40-d00f035f05cb", 0, NULL, ""},
	    /* test mode: no uuid; PHP sends an empty data as [] */
	    {"{\"code\":0,\"message\":\"\",\"data\":[]}", K_OK, 0, "", 0, NULL, ""},
	    {"{\"code\":0}", K_OK, 0, "", 0, NULL, ""},
	    {"{\"code\":\"0\",\"data\":{\"uuid\":\"abc\"}}", K_OK, 0, "abc", 0, NULL, ""},
	    /* the seeds' error examples */
	    {"{\"code\":400,\"message\":\"Ошибка данных.\",\"data\":{\"purchase\":[\"purchase не "
	     "содержит products или products не является массивом\"]}}",
	     K_OK, 400, "", 1,
	     "purchase: purchase не содержит products или products не является массивом",
	     "Ошибка данных."},
	    {"{\"code\":400,\"message\":\"Ошибка данных.\",\"data\":{\"target_serial\":[\"Принтер "
	     "не найден.\"],\"ext_id\":[\"a\",\"b\"]}}",
	     K_OK, 400, "", 3, "target_serial: Принтер не найден.", "Ошибка данных."},
	    {"{\"code\":400,\"message\":\"x\",\"data\":{\"purchase\":{\"products\":{\"0\":{"
	     "\"price\":"
	     "[\"bad\"]}}}}}",
	     K_OK, 400, "", 1, "purchase.products.0.price: bad", "x"},
	    {"{\"code\":6010,\"message\":\"Не удалось найти пользователя\",\"data\":null}", K_OK,
	     6010, "", 0, NULL, "Не удалось найти пользователя"},
	    {"{\"code\":3896,\"message\":\"m\",\"data\":{\"card_amount\":\"too big\"}}", K_OK, 3896,
	     "", 1, "card_amount: too big", "m"},
	    /* not an envelope */
	    {"", K_INVALID, 0, "", 0, NULL, ""},
	    {"<html><body>502 Bad Gateway</body></html>", K_INVALID, 0, "", 0, NULL, ""},
	    {"{\"message\":\"ok\"}", K_INVALID, 0, "", 0, NULL, ""},
	    {"[1,2]", K_INVALID, 0, "", 0, NULL, ""},
	    {"{\"code\":1.5}", K_INVALID, 0, "", 0, NULL, ""},
	    {"{\"code\":\"zero\"}", K_INVALID, 0, "", 0, NULL, ""},
	    {"{\"code\":0,\"data\":{\"uuid\":\"has space\"}}", K_INVALID, 0, "", 0, NULL, ""},
	    {"{\"code\":0,\"data\":{\"uuid\":7}}", K_INVALID, 0, "", 0, NULL, ""},
	    {"{\"code\":0,\"code\":1}", K_INVALID, 0, "", 0, NULL, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct reply_case *c = &cases[i];
		struct lifepay_reply r;
		struct kerr err = {0};
		kstatus st = wire_lifepay_parse_reply(c->body, strlen(c->body), &r, &err);
		if (st != c->st)
			fail_msg("case %zu: status %d (%s)", i, st, err.text);
		if (st != K_OK) {
			assert_true(strlen(err.text) > 3);
			continue;
		}
		assert_int_equal(r.code, c->code);
		assert_string_equal(r.uuid, c->uuid);
		assert_string_equal(r.message, c->message);
		assert_int_equal(r.n_field_errors, c->n_errors);
		if (c->first_error)
			assert_string_equal(r.field_errors[0], c->first_error);
	}
}

static void wire_lifepay_parse_reply__html__excerpt_in_message(void **state)
{
	(void)state;
	const char *body = "<html>\n<h1>502 Bad Gateway</h1></html>";
	struct lifepay_reply r;
	struct kerr err = {0};
	assert_int_equal(wire_lifepay_parse_reply(body, strlen(body), &r, &err), K_INVALID);
	assert_non_null(strstr(err.text, "502 Bad Gateway"));
	assert_null(strchr(err.text, '\n'));
}

static void wire_lifepay_parse_reply__many_field_errors__capped(void **state)
{
	(void)state;
	char body[4096];
	size_t o = (size_t)snprintf(body, sizeof body, "{\"code\":400,\"data\":{");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(body + o, sizeof body - o, "%s\"f%d\":[\"m\"]", i ? "," : "",
				      i);
	snprintf(body + o, sizeof body - o, "}}");
	struct lifepay_reply r;
	assert_int_equal(wire_lifepay_parse_reply(body, strlen(body), &r, NULL), K_OK);
	assert_int_equal(r.n_field_errors, LIFEPAY_FIELD_ERRORS_MAX);
	assert_string_equal(r.field_errors[15], "f15: m");
}

static void wire_lifepay_cb_status_parse__table(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		enum lifepay_cb_status st;
	} cases[] = {
	    {"processed", LP_CB_PROCESSED},  {"Processed", LP_CB_PROCESSED},
	    {"SUCCESS", LP_CB_PROCESSED},    {" done ", LP_CB_PROCESSED},
	    {"обработан", LP_CB_PROCESSED},  {"retry", LP_CB_RETRY},
	    {"awaiting retry", LP_CB_RETRY}, {"awaiting_retry", LP_CB_RETRY},
	    {"Awaiting-Retry", LP_CB_RETRY}, {"pending", LP_CB_RETRY},
	    {"wait", LP_CB_RETRY},	     {"ожидает повтора", LP_CB_RETRY},
	    {"error", LP_CB_ERROR},	     {"FAILED", LP_CB_ERROR},
	    {"Ошибка", LP_CB_ERROR},	     {"", LP_CB_UNKNOWN},
	    {"processing", LP_CB_UNKNOWN},   {NULL, LP_CB_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (wire_lifepay_cb_status_parse(cases[i].text) != cases[i].st)
			fail_msg("'%s'", cases[i].text ? cases[i].text : "(null)");
	assert_string_equal(wire_lifepay_cb_status_name(LP_CB_PROCESSED), "processed");
	assert_string_equal(wire_lifepay_cb_status_name(LP_CB_RETRY), "retry");
	assert_string_equal(wire_lifepay_cb_status_name(LP_CB_ERROR), "error");
	assert_string_equal(wire_lifepay_cb_status_name(LP_CB_UNKNOWN), "unknown");
}

struct cb_case {
	const char *ctype;
	const char *json; /* sent raw, or as form field data when form is true */
	bool form;
	kstatus st;
	enum lifepay_cb_status status;
	int error_code;
	bool has_error_code;
	const char *field; /* on failure */
};

#define UUID "\"uuid\":\"84fefc72-cbc5-5cc1-ba40-d00f035f05cb\""
#define FORM "application/x-www-form-urlencoded"

static void wire_lifepay_parse_callback__table(void **state)
{
	(void)state;
	static const struct cb_case cases[] = {
	    /* as the public handlers read it: form field data, ofd_url on success */
	    {FORM, "{" UUID ",\"ofd_url\":\"https://ofd.ru/r/1\"}", true, K_OK, LP_CB_PROCESSED, 0,
	     false, NULL},
	    {FORM "; charset=UTF-8", "{" UUID ",\"error_code\":3975}", true, K_OK, LP_CB_ERROR,
	     3975, true, NULL},
	    {NULL, "{" UUID ",\"ofd_url\":\"https://ofd.ru/r/1\"}", true, K_OK, LP_CB_PROCESSED, 0,
	     false, NULL},
	    /* raw JSON */
	    {"application/json", "{" UUID ",\"status\":\"awaiting retry\"}", false, K_OK,
	     LP_CB_RETRY, 0, false, NULL},
	    {NULL, "  {" UUID ",\"status\":\"error\",\"error_message\":\"no paper\"}", false, K_OK,
	     LP_CB_ERROR, 0, false, NULL},
	    {"text/plain", "{" UUID ",\"status\":\"processed\"}", false, K_OK, LP_CB_PROCESSED, 0,
	     false, NULL},
	    /* error_code wins over everything; 0 and "" mean no error */
	    {"application/json", "{" UUID ",\"status\":\"processed\",\"error_code\":\"6000\"}",
	     false, K_OK, LP_CB_ERROR, 6000, true, NULL},
	    {"application/json", "{" UUID ",\"ofd_url\":\"https://o\",\"error_code\":0}", false,
	     K_OK, LP_CB_PROCESSED, 0, false, NULL},
	    {"application/json", "{" UUID ",\"ofd_url\":\"https://o\",\"error_code\":\"\"}", false,
	     K_OK, LP_CB_PROCESSED, 0, false, NULL},
	    {"application/json", "{" UUID ",\"error_code\":\"E-17\"}", false, K_OK, LP_CB_ERROR, -1,
	     true, NULL},
	    {"application/json", "{" UUID ",\"error_code\":null,\"ofd_url\":null}", false, K_OK,
	     LP_CB_UNKNOWN, 0, false, NULL},
	    {"application/json", "{" UUID ",\"status\":\"strange\",\"ofd_url\":\"https://o\"}",
	     false, K_OK, LP_CB_PROCESSED, 0, false, NULL},
	    {"application/json", "{" UUID ",\"status\":\"retry\",\"ofd_url\":\"https://o\"}", false,
	     K_OK, LP_CB_RETRY, 0, false, NULL},
	    /* refusals */
	    {"application/json", "{\"ofd_url\":\"https://o\"}", false, K_INVALID, 0, 0, false,
	     "uuid"},
	    {"application/json", "{\"uuid\":\"\"}", false, K_INVALID, 0, 0, false, "uuid"},
	    {"application/json", "{\"uuid\":\"a b\"}", false, K_INVALID, 0, 0, false, "uuid"},
	    {"application/json", "{\"uuid\":[1]}", false, K_INVALID, 0, 0, false, "uuid"},
	    {"application/json",
	     "{" UUID ",\"ext_id\":\""
	     "123456789012345678901234567890"
	     "123456789012345678901\"}",
	     false, K_INVALID, 0, 0, false, "ext_id"},
	    {"application/json", "[1]", false, K_INVALID, 0, 0, false, "data"},
	    {"application/json", "not json", false, K_INVALID, 0, 0, false, "data"},
	    {FORM, "{oops", true, K_INVALID, 0, 0, false, "data"},
	    {NULL, "hello", false, K_INVALID, 0, 0, false, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cb_case *c = &cases[i];
		char *body;
		if (c->form) {
			body = NULL;
			form_add(&body, "token", "x");
			form_add(&body, "data", c->json);
		} else {
			body = xstrdup(c->json);
		}
		struct lifepay_callback cb;
		struct kerr err = {0};
		kstatus st = wire_lifepay_parse_callback(c->ctype, body, strlen(body), &cb, &err);
		if (st != c->st)
			fail_msg("case %zu: status %d (%s: %s)", i, st, err.field, err.text);
		if (st == K_OK) {
			assert_string_equal(cb.uuid, "84fefc72-cbc5-5cc1-ba40-d00f035f05cb");
			if (cb.status != c->status)
				fail_msg("case %zu: cb status %d want %d", i, cb.status, c->status);
			assert_int_equal(cb.has_error_code, c->has_error_code);
			assert_int_equal(cb.error_code, c->error_code);
		} else {
			if (strcmp(err.field, c->field) != 0)
				fail_msg("case %zu: field '%s' want '%s'", i, err.field, c->field);
			assert_null(cb.callback_data_json);
		}
		wire_lifepay_callback_free(&cb);
		free(body);
	}
}

static void wire_lifepay_parse_callback__all_keys(void **state)
{
	(void)state;
	const char *json = "{" UUID ",\"ext_id\":\"4a1c0b9e-0f6d-4a53-9c1e-1d2f3a4b5c6d\","
			   "\"status\":\"processed\",\"ofd_url\":\"https://ofd.ru/rec/1?x=1&y=2\","
			   "\"callback_data\":{\"order\":17,\"sum\":12.50},\"fn\":9289000100123456,"
			   "\"fd\":\"1234\",\"fpd\":\"3512345678\",\"error_message\":\"\","
			   "\"future_key\":{\"ignored\":true}}";
	char *body = NULL;
	form_add(&body, "data", json);
	struct lifepay_callback cb;
	struct kerr err;
	assert_int_equal(wire_lifepay_parse_callback(FORM, body, strlen(body), &cb, &err), K_OK);
	assert_string_equal(cb.ext_id, "4a1c0b9e-0f6d-4a53-9c1e-1d2f3a4b5c6d");
	assert_string_equal(cb.status_text, "processed");
	assert_int_equal(cb.status, LP_CB_PROCESSED);
	assert_string_equal(cb.ofd_url, "https://ofd.ru/rec/1?x=1&y=2");
	assert_string_equal(cb.callback_data_json, "{\"order\":17,\"sum\":12.50}");
	assert_string_equal(cb.fn, "9289000100123456");
	assert_string_equal(cb.fd, "1234");
	assert_string_equal(cb.fpd, "3512345678");
	wire_lifepay_callback_free(&cb);
	wire_lifepay_callback_free(&cb);
	free(body);

	/* the error message is kept, cut at a character if it is very long */
	char big[2048];
	size_t o =
	    (size_t)snprintf(big, sizeof big, "{" UUID ",\"error_code\":1,\"error_message\":\"");
	while (o < 1500) {
		memcpy(big + o, "Ж", 2);
		o += 2;
	}
	snprintf(big + o, sizeof big - o, "\"}");
	assert_int_equal(
	    wire_lifepay_parse_callback("application/json", big, strlen(big), &cb, &err), K_OK);
	assert_true(strlen(cb.error_message) < sizeof cb.error_message);
	assert_true(utf8_valid(cb.error_message, strlen(cb.error_message)));
	wire_lifepay_callback_free(&cb);

	/* empty body, form without data */
	assert_int_equal(wire_lifepay_parse_callback(FORM, "", 0, &cb, &err), K_INVALID);
	assert_int_equal(wire_lifepay_parse_callback(FORM, "x=1", 3, &cb, &err), K_INVALID);
	assert_string_equal(err.field, "data");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(wire_lifepay_parse_reply__table),
	    cmocka_unit_test(wire_lifepay_parse_reply__html__excerpt_in_message),
	    cmocka_unit_test(wire_lifepay_parse_reply__many_field_errors__capped),
	    cmocka_unit_test(wire_lifepay_cb_status_parse__table),
	    cmocka_unit_test(wire_lifepay_parse_callback__table),
	    cmocka_unit_test(wire_lifepay_parse_callback__all_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

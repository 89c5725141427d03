/* Tests for lib/wire/pk_receipt.c and pk_query.c: callback signature, replies, queries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "document.h"
#include "money.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

/* ---- helpers ---- */

static const char *pair_value(const struct form_pair *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

/* ---- signature ---- */

/*
 * Expected values were computed outside our code with the OpenSSL command line:
 *   printf '%s' "$MSG" | openssl dgst -sha256 -hmac 's3cret-word'
 * where MSG is the values sorted by key and joined with ';':
 *   [{"name":"Хлеб белый","price":45.50,"quantity":1,"sum":45.50,"tax":"none"}];
 *   buyer@example.ru;;abcXYZ_123;1234567890;4201;;success;0.00;45.50;sale
 * (one line, no newline; keys cart, contact, error, fop_receipt_key, fpd, id,
 * payment_id, status, sum_cash, sum_cashless, type).
 */
#define CART_TEXT                                                                                  \
	"[{\"name\":\"Хлеб "                                                                   \
	"белый\",\"price\":45.50,\"quantity\":1,\"sum\":45.50,\"tax\":\"none\"}]"
#define VECTOR_SIGN "38ba2ff379b17298a8a73e1e02fd67c1470f5a58f10519496238cb1244c102be"
#define SECRET "s3cret-word"

/* Deliberately not in key order. */
static struct form_pair vector_pairs[] = {
    {(char *)"type", (char *)"sale"},
    {(char *)"status", (char *)"success"},
    {(char *)"id", (char *)"4201"},
    {(char *)"payment_id", (char *)""},
    {(char *)"sum_cashless", (char *)"45.50"},
    {(char *)"sum_cash", (char *)"0.00"},
    {(char *)"cart", (char *)CART_TEXT},
    {(char *)"contact", (char *)"buyer@example.ru"},
    {(char *)"fpd", (char *)"1234567890"},
    {(char *)"fop_receipt_key", (char *)"abcXYZ_123"},
    {(char *)"error", (char *)""},
};
#define N_VECTOR (sizeof vector_pairs / sizeof vector_pairs[0])

static void paykeeper_sign__matches_openssl_vector(void **state)
{
	(void)state;
	char hex[PAYKEEPER_SIGN_HEX_LEN + 1];
	assert_int_equal(paykeeper_sign(vector_pairs, N_VECTOR, SECRET, hex, NULL), K_OK);
	assert_string_equal(hex, VECTOR_SIGN);

	/* Second vector: printf '%s' 'a;b' | openssl dgst -sha256 -hmac 'k' */
	struct form_pair two[] = {{(char *)"z", (char *)"b"}, {(char *)"m", (char *)"a"}};
	assert_int_equal(paykeeper_sign(two, 2, "k", hex, NULL), K_OK);
	assert_string_equal(hex,
			    "672b11feb29645a9542225c6106cac90f6b51878167a7cb3e4439ca01640870e");
}

static void paykeeper_sign__ignores_input_order_and_sign_pair(void **state)
{
	(void)state;
	struct form_pair rev[N_VECTOR + 1];
	for (size_t i = 0; i < N_VECTOR; i++)
		rev[i] = vector_pairs[N_VECTOR - 1 - i];
	char hex[PAYKEEPER_SIGN_HEX_LEN + 1];
	assert_int_equal(paykeeper_sign(rev, N_VECTOR, SECRET, hex, NULL), K_OK);
	assert_string_equal(hex, VECTOR_SIGN);
	/* A "sign" among the pairs is not part of what is signed. */
	rev[N_VECTOR] = (struct form_pair){(char *)"sign", (char *)"whatever"};
	assert_int_equal(paykeeper_sign(rev, N_VECTOR + 1, SECRET, hex, NULL), K_OK);
	assert_string_equal(hex, VECTOR_SIGN);
}

static void paykeeper_sign__empty_values_count__duplicates_refused(void **state)
{
	(void)state;
	char hex[PAYKEEPER_SIGN_HEX_LEN + 1];
	/* Dropping the empty "error" removes one ';' from the message. */
	struct form_pair fewer[N_VECTOR];
	size_t m = 0;
	for (size_t i = 0; i < N_VECTOR; i++)
		if (strcmp(vector_pairs[i].key, "error") != 0)
			fewer[m++] = vector_pairs[i];
	assert_int_equal(paykeeper_sign(fewer, m, SECRET, hex, NULL), K_OK);
	assert_string_not_equal(hex, VECTOR_SIGN);

	struct form_pair dup[] = {{(char *)"a", (char *)"1"}, {(char *)"a", (char *)"2"}};
	struct kerr err = {0};
	assert_int_equal(paykeeper_sign(dup, 2, SECRET, hex, &err), K_INVALID);
	assert_string_equal(err.field, "a");

	assert_int_equal(paykeeper_sign(vector_pairs, N_VECTOR, "", hex, &err), K_INVALID);
	assert_string_equal(err.field, "secret");
}

static char *signed_body(const struct form_pair *pairs, size_t n, const char *sign)
{
	char *body = NULL;
	for (size_t i = 0; i < n; i++)
		form_add(&body, pairs[i].key, pairs[i].value);
	if (sign)
		form_add(&body, "sign", sign);
	return body;
}

static void paykeeper_verify_callback__accepts_vector__fills_receipt(void **state)
{
	(void)state;
	char *body = signed_body(vector_pairs, N_VECTOR, VECTOR_SIGN);
	struct pk_receipt r;
	struct kerr err = {0};
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), SECRET, &r, &err), K_OK);
	assert_int_equal(r.id, 4201);
	assert_string_equal(r.type, "sale");
	assert_int_equal(r.status, PK_STATUS_SUCCESS);
	assert_true(paykeeper_status_final(r.status));
	assert_int_equal(r.sum_cashless, 4550);
	assert_int_equal(r.sum_cash, 0);
	assert_string_equal(r.cart, CART_TEXT); /* exactly as received */
	assert_string_equal(r.contact, "buyer@example.ru");
	assert_string_equal(r.fop_receipt_key, "abcXYZ_123");
	assert_false(r.has_error);
	paykeeper_receipt_free(&r);
	free(body);

	/* The sign in upper case is the same signature. */
	char upper[PAYKEEPER_SIGN_HEX_LEN + 1];
	for (size_t i = 0; i <= PAYKEEPER_SIGN_HEX_LEN; i++)
		upper[i] = (char)(VECTOR_SIGN[i] >= 'a' && VECTOR_SIGN[i] <= 'f'
				      ? VECTOR_SIGN[i] - 'a' + 'A'
				      : VECTOR_SIGN[i]);
	body = signed_body(vector_pairs, N_VECTOR, upper);
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), SECRET, &r, &err), K_OK);
	paykeeper_receipt_free(&r);
	free(body);
}

/*
 * Issue 11: the sign covers values only, so a key renamed without changing
 * the order of the keys keeps a valid sign; such a notification is refused.
 */
static void paykeeper_verify_callback__refuses__renamed_key_with_valid_sign(void **state)
{
	(void)state;
	static const char *const renames[][2] = {
	    {"status", "statuz"}, {"contact", "contacts"}, {"type", "typo"}};
	for (size_t k = 0; k < sizeof renames / sizeof renames[0]; k++) {
		struct form_pair pairs[N_VECTOR];
		memcpy(pairs, vector_pairs, sizeof pairs);
		for (size_t i = 0; i < N_VECTOR; i++)
			if (strcmp(pairs[i].key, renames[k][0]) == 0)
				pairs[i].key = (char *)renames[k][1];
		/* The sign is still right: the values keep their order. */
		char sign[PAYKEEPER_SIGN_HEX_LEN + 1];
		struct kerr err = {0};
		assert_int_equal(paykeeper_sign(pairs, N_VECTOR, SECRET, sign, &err), K_OK);
		assert_string_equal(sign, VECTOR_SIGN);
		char *body = signed_body(pairs, N_VECTOR, VECTOR_SIGN);
		struct pk_receipt r;
		assert_int_equal(paykeeper_verify_callback(body, strlen(body), SECRET, &r, &err),
				 K_INVALID);
		assert_string_equal(err.field, renames[k][1]);
		assert_non_null(strstr(err.text, "unknown keys are refused"));
		free(body);
	}
	/* Without status at all (the sign then covers fewer values). */
	struct form_pair pairs[N_VECTOR];
	size_t m = 0;
	for (size_t i = 0; i < N_VECTOR; i++)
		if (strcmp(vector_pairs[i].key, "status") != 0)
			pairs[m++] = vector_pairs[i];
	char sign[PAYKEEPER_SIGN_HEX_LEN + 1];
	struct kerr err = {0};
	assert_int_equal(paykeeper_sign(pairs, m, SECRET, sign, &err), K_OK);
	char *body = signed_body(pairs, m, sign);
	struct pk_receipt r;
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), SECRET, &r, &err),
			 K_INVALID);
	assert_string_equal(err.field, "status");
	free(body);
}

static void paykeeper_verify_callback__raw_body_with_plus_and_escapes(void **state)
{
	(void)state;
	/* Written by hand: '+' for spaces, upper- and lower-case escapes, sign first. */
	const char *body =
	    "sign=" VECTOR_SIGN "&id=4201&type=sale&status=success&payment_id=&"
	    "sum_cashless=45.50&sum_cash=0.00&contact=buyer%40example.ru&fpd=1234567890&"
	    "fop_receipt_key=abcXYZ_123&error=&"
	    "cart=%5B%7B%22name%22%3A%22%D0%A5%D0%BB%D0%B5%D0%B1+%d0%b1%d0%b5%d0%bb%d1%8b%d0%b9"
	    "%22%2C%22price%22%3A45.50%2C%22quantity%22%3A1%2C%22sum%22%3A45.50%2C%22tax%22%3A"
	    "%22none%22%7D%5D";
	struct pk_receipt r;
	struct kerr err = {0};
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), SECRET, &r, &err), K_OK);
	assert_string_equal(r.cart, CART_TEXT);
	paykeeper_receipt_free(&r);
}

static void paykeeper_verify_callback__refuses_tampering(void **state)
{
	(void)state;
	struct kerr err;
	struct pk_receipt r;
	struct {
		const char *what;
		const char *key, *value; /* replaced value, or NULL to drop the key */
		const char *sign;
		kstatus want;
	} cases[] = {
	    {"changed amount", "sum_cashless", "4550.00", VECTOR_SIGN, K_REFUSED},
	    {"changed status", "status", "failed", VECTOR_SIGN, K_REFUSED},
	    {"dropped empty param", "error", NULL, VECTOR_SIGN, K_REFUSED},
	    {"missing sign", NULL, NULL, NULL, K_REFUSED},
	    {"short sign", NULL, NULL, "38ba2ff3", K_REFUSED},
	    {"non-hex sign", NULL, NULL,
	     "zzba2ff379b17298a8a73e1e02fd67c1470f5a58f10519496238cb1244c102be", K_REFUSED},
	    {"one digit off", NULL, NULL,
	     "38ba2ff379b17298a8a73e1e02fd67c1470f5a58f10519496238cb1244c102bf", K_REFUSED},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct form_pair p[N_VECTOR];
		size_t m = 0;
		for (size_t i = 0; i < N_VECTOR; i++) {
			p[m] = vector_pairs[i];
			if (cases[c].key && strcmp(p[m].key, cases[c].key) == 0) {
				if (!cases[c].value)
					continue;
				p[m].value = (char *)cases[c].value;
			}
			m++;
		}
		char *body = signed_body(p, m, cases[c].sign);
		memset(&err, 0, sizeof err);
		kstatus st = paykeeper_verify_callback(body, strlen(body), SECRET, &r, &err);
		if (st != cases[c].want)
			fail_msg("%s: got %d", cases[c].what, st);
		assert_string_equal(err.field, "sign");
		assert_null(strstr(err.text, SECRET));
		assert_null(r.cart); /* nothing handed out */
		free(body);
	}
	/* Wrong secret, two signatures, a NUL smuggled in, no secret configured. */
	char *body = signed_body(vector_pairs, N_VECTOR, VECTOR_SIGN);
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), "other", &r, &err),
			 K_REFUSED);
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), "", &r, &err), K_INVALID);
	assert_null(strstr(err.text, SECRET));
	char both[2048];
	assert_true(strlen(body) + 80 < sizeof both);
	snprintf(both, sizeof both, "%s&sign=%s", body, VECTOR_SIGN);
	assert_int_equal(paykeeper_verify_callback(both, strlen(both), SECRET, &r, &err),
			 K_REFUSED);
	snprintf(both, sizeof both, "%s&fpd=1%%00x", body);
	assert_int_equal(paykeeper_verify_callback(both, strlen(both), SECRET, &r, &err),
			 K_INVALID);
	assert_int_equal(paykeeper_verify_callback("", 0, SECRET, &r, &err), K_REFUSED);
	free(body);
}

static void paykeeper_callback_body__round_trips_receipt(void **state)
{
	(void)state;
	struct pk_receipt r = {0};
	r.id = 77;
	snprintf(r.type, sizeof r.type, "refund");
	r.status = PK_STATUS_FAILED;
	snprintf(r.status_text, sizeof r.status_text, "failed");
	r.sum_cash = 123456;
	r.cart = strdup(CART_TEXT);
	r.has_error = true;
	snprintf(r.error_type, sizeof r.error_type, "ffd_error");
	snprintf(r.error_message, sizeof r.error_message, "Тег 1212; недопустим");
	snprintf(r.error_id, sizeof r.error_id, "e-42");
	size_t n;
	struct form_pair *p = paykeeper_receipt_pairs(&r, &n);
	assert_string_equal(pair_value(p, n, "sum_cash"), "1234.56");
	assert_string_equal(pair_value(p, n, "fn"), ""); /* empty fields are sent */
	char *body;
	assert_int_equal(paykeeper_callback_body(p, n, SECRET, &body, NULL), K_OK);
	struct pk_receipt got;
	struct kerr err = {0};
	assert_int_equal(paykeeper_verify_callback(body, strlen(body), SECRET, &got, &err), K_OK);
	assert_int_equal(got.id, 77);
	assert_int_equal(got.status, PK_STATUS_FAILED);
	assert_int_equal(got.sum_cash, 123456);
	assert_true(got.has_error);
	assert_string_equal(got.error_type, "ffd_error");
	assert_string_equal(got.error_message, "Тег 1212; недопустим");
	assert_string_equal(got.error_id, "e-42");
	assert_string_equal(got.cart, CART_TEXT);
	paykeeper_receipt_free(&got);
	free(body);

	/* The JSON form (a byid reply) parses back to the same receipt. */
	char *json = paykeeper_receipt_json(&r);
	assert_non_null(strstr(json, "\"sum_cash\":1234.56"));
	assert_int_equal(paykeeper_parse_receipt(json, strlen(json), &got, &err), K_OK);
	assert_int_equal(got.id, 77);
	assert_int_equal(got.sum_cash, 123456);
	assert_string_equal(got.error_message, "Тег 1212; недопустим");
	paykeeper_receipt_free(&got);
	free(json);
	form_pairs_free(p, n);
	paykeeper_receipt_free(&r);
}

/* ---- replies ---- */

static void paykeeper_parse_token_and_print_reply(void **state)
{
	(void)state;
	char tok[128];
	struct kerr err = {0};
	const char *ok = "{\"token\": \"a1b2c3\"}";
	assert_int_equal(paykeeper_parse_token(ok, strlen(ok), tok, sizeof tok, &err), K_OK);
	assert_string_equal(tok, "a1b2c3");
	const char *fail = "{\"result\":\"fail\",\"msg\":\"Неверный логин\"}";
	assert_int_equal(paykeeper_parse_token(fail, strlen(fail), tok, sizeof tok, &err),
			 K_PROVIDER);
	assert_non_null(strstr(err.text, "Неверный логин"));
	assert_string_equal(tok, "");
	assert_int_equal(paykeeper_parse_token("{}", 2, tok, sizeof tok, &err), K_INVALID);
	assert_int_equal(paykeeper_parse_token("", 0, tok, sizeof tok, &err), K_INVALID);
	assert_int_equal(paykeeper_parse_token("<html>", 6, tok, sizeof tok, &err), K_INVALID);
	assert_int_equal(paykeeper_parse_token(ok, strlen(ok), tok, 4, &err), K_INVALID);
	assert_null(strstr(err.text, "a1b2c3"));

	static const struct {
		const char *body;
		kstatus st;
		int64_t id;
	} cases[] = {
	    {"{\"receipt_id\": 4201}", K_OK, 4201},
	    {"{\"receipt_id\": \"4202\"}", K_OK, 4202},
	    {"{\"result\":\"fail\",\"msg\":\"Чек с таким ключом уже существует\"}", K_PROVIDER, 0},
	    {"{\"receipt_id\": 0}", K_INVALID, 0},
	    {"{\"receipt_id\": 1.5}", K_INVALID, 0},
	    {"{\"receipt_id\": \"x\"}", K_INVALID, 0},
	    {"{}", K_INVALID, 0},
	    {"", K_INVALID, 0},
	    {"[1", K_INVALID, 0},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int64_t id = -1;
		kstatus st =
		    paykeeper_parse_print_reply(cases[c].body, strlen(cases[c].body), &id, &err);
		if (st != cases[c].st)
			fail_msg("case %zu: %d", c, st);
		assert_int_equal(id, cases[c].id);
	}
	int64_t id;
	const char *dup = "{\"result\":\"fail\",\"msg\":\"Чек с таким ключом уже существует\"}";
	assert_int_equal(paykeeper_parse_print_reply(dup, strlen(dup), &id, &err), K_PROVIDER);
	assert_non_null(strstr(err.text, "Чек с таким ключом уже существует"));
}

static const char BYID[] =
    "{\"id\":\"4201\",\"payment_id\":\"\",\"type\":\"sale\",\"is_post_sale\":\"0\","
    "\"is_correction\":\"0\",\"refund_id\":null,\"status\":\"failed\","
    "\"contact\":\"+79101234567\",\"sum_cashless\":20730.00,\"sum_cash\":\"3710.10\","
    "\"sum_advance\":0,\"sum_credit\":\"\",\"sum_counter_payment\":null,"
    "\"cart\":\"[{\\\"name\\\":\\\"A\\\",\\\"price\\\":1.10}]\",\"receipt_properties\":\"\","
    "\"fpd\":\"3812345678\",\"fnd\":123,\"fn\":\"9999078900012345\",\"ts\":\"20240128T1530\","
    "\"rnkkt\":\"0000000001012345\",\"shift_number\":12,\"receipt_number\":\"7\","
    "\"obtain_datetime\":\"2024-01-28 15:30:00\",\"request_datetime\":\"2024-01-28 15:29:58\","
    "\"fop_receipt_key\":\"k_123456\",\"fop_uuid\":\"u-1\",\"fop_url\":\"t=20240128T1530&s=1\","
    "\"custom_params\":\"\",\"new_field\":{\"x\":1},"
    "\"error\":\"{\\\"type\\\":\\\"print_error\\\",\\\"message\\\":\\\"Нет бумаги\\\","
    "\\\"error_id\\\":98765}\"}";

static void paykeeper_parse_receipt__table_842(void **state)
{
	(void)state;
	struct pk_receipt r;
	struct kerr err = {0};
	assert_int_equal(paykeeper_parse_receipt(BYID, strlen(BYID), &r, &err), K_OK);
	assert_int_equal(r.id, 4201);
	assert_string_equal(r.payment_id, "");
	assert_false(r.is_post_sale);
	assert_int_equal(r.status, PK_STATUS_FAILED);
	assert_true(paykeeper_status_final(r.status));
	assert_int_equal(r.sum_cashless, 2073000);
	assert_int_equal(r.sum_cash, 371010);
	assert_int_equal(r.sum_advance, 0);
	assert_int_equal(r.sum_credit, 0);
	assert_string_equal(r.cart, "[{\"name\":\"A\",\"price\":1.10}]");
	assert_null(r.receipt_properties);
	assert_string_equal(r.fnd, "123");
	assert_string_equal(r.shift_number, "12");
	assert_string_equal(r.ts, "20240128T1530");
	assert_string_equal(r.fop_url, "t=20240128T1530&s=1");
	assert_true(r.has_error);
	assert_string_equal(r.error_type, "print_error");
	assert_string_equal(r.error_message, "Нет бумаги");
	assert_string_equal(r.error_id, "98765");
	paykeeper_receipt_free(&r);

	/* Wrapped in a one-element array, as some PayKeeper versions answer. */
	char arr[sizeof BYID + 2];
	snprintf(arr, sizeof arr, "[%s]", BYID);
	assert_int_equal(paykeeper_parse_receipt(arr, strlen(arr), &r, &err), K_OK);
	assert_int_equal(r.id, 4201);
	paykeeper_receipt_free(&r);
}

static void paykeeper_parse_receipt__empty_is_not_found__bad_fields_named(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		kstatus st;
		const char *field;
	} cases[] = {
	    {"", K_NOTFOUND, "id"},
	    {"  \n", K_NOTFOUND, "id"},
	    {"[]", K_NOTFOUND, "id"},
	    {"{}", K_NOTFOUND, "id"},
	    {"null", K_NOTFOUND, "id"},
	    {"{\"result\":\"fail\",\"msg\":\"no\"}", K_PROVIDER, ""},
	    {"{\"id\":1,\"sum_cash\":\"1.005\"}", K_INVALID, "sum_cash"},
	    {"{\"id\":1,\"sum_cash\":-1}", K_INVALID, "sum_cash"},
	    {"{\"id\":1,\"is_post_sale\":\"maybe\"}", K_INVALID, "is_post_sale"},
	    {"{\"id\":\"x\"}", K_INVALID, "id"},
	    {"{\"status\":\"success\"}", K_INVALID, "id"},
	    {"{\"id\":1,\"contact\":{\"a\":1}}", K_INVALID, "contact"},
	    {"{\"id\":1,\"id\":2}", K_INVALID, "reply"},
	    {"[{\"id\":1},{\"id\":2}]", K_INVALID, "reply"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct pk_receipt r;
		struct kerr err = {0};
		kstatus st =
		    paykeeper_parse_receipt(cases[c].body, strlen(cases[c].body), &r, &err);
		if (st != cases[c].st || strcmp(err.field, cases[c].field) != 0)
			fail_msg("case %zu: %d %s: %s", c, st, err.field, err.text);
		assert_null(r.cart);
	}
}

static void paykeeper_parse_receipt_list__bydate_and_arrays(void **state)
{
	(void)state;
	const char *bydate =
	    "{\"receipts\":[{\"id\":1,\"status\":\"success\",\"sum_cash\":\"10.00\"},"
	    "{\"id\":2,\"status\":\"request_sent\",\"sum_cashless\":5.5}],"
	    "\"counts\":{\"status\":{\"success\":1,\"request_sent\":\"1\"},"
	    "\"receipt_type\":{\"sale\":2},\"sum_type\":{\"sum_cash\":1,\"sum_cashless\":1},"
	    "\"page_size\":2,\"totals\":{\"total\":40,\"status\":{\"success\":39}}}}";
	struct pk_receipt_list l;
	struct kerr err = {0};
	assert_int_equal(paykeeper_parse_receipt_list(bydate, strlen(bydate), &l, &err), K_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.items[0].sum_cash, 1000);
	assert_int_equal(l.items[1].sum_cashless, 550);
	assert_int_equal(l.items[1].status, PK_STATUS_REQUEST_SENT);
	assert_true(l.has_counts);
	assert_int_equal(l.counts.by_status[PK_STATUS_SUCCESS], 39); /* totals win */
	assert_int_equal(l.counts.by_status[PK_STATUS_REQUEST_SENT], 1);
	assert_int_equal(l.counts.by_status[PK_STATUS_FAILED], -1);
	assert_int_equal(l.counts.by_type[PK_TYPE_SALE], 2);
	assert_int_equal(l.counts.by_sum_type[PK_SUM_CASH], 1);
	assert_int_equal(l.counts.page_size, 2);
	assert_int_equal(l.counts.total, 40);
	paykeeper_receipt_list_free(&l);

	const char *arr = "[{\"id\":7,\"status\":\"timeout\"}]";
	assert_int_equal(paykeeper_parse_receipt_list(arr, strlen(arr), &l, &err), K_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].status, PK_STATUS_TIMEOUT);
	assert_false(l.has_counts);
	paykeeper_receipt_list_free(&l);

	assert_int_equal(paykeeper_parse_receipt_list("", 0, &l, &err), K_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(paykeeper_parse_receipt_list("[]", 2, &l, &err), K_OK);
	assert_int_equal(l.n, 0);

	const char *bad = "[{\"id\":7},{\"id\":8,\"sum_cash\":\"x\"}]";
	assert_int_equal(paykeeper_parse_receipt_list(bad, strlen(bad), &l, &err), K_INVALID);
	assert_string_equal(err.field, "receipts[1].sum_cash");
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	const char *fail = "{\"result\":\"fail\",\"msg\":\"Нет доступа\"}";
	assert_int_equal(paykeeper_parse_receipt_list(fail, strlen(fail), &l, &err), K_PROVIDER);
	assert_int_equal(paykeeper_parse_receipt_list("\"x\"", 3, &l, &err), K_INVALID);
}

static void paykeeper_parse_counts__nested_and_dotted(void **state)
{
	(void)state;
	struct pk_counts c;
	const char *nested =
	    "{\"status\":{\"created\":4,\"weird\":1},\"receipt_type\":{\"refund\":2},"
	    "\"sum_type\":{\"sum_advance\":3},\"total\":9}";
	assert_int_equal(paykeeper_parse_counts(nested, strlen(nested), &c, NULL), K_OK);
	assert_int_equal(c.by_status[PK_STATUS_CREATED], 4);
	assert_int_equal(c.by_type[PK_TYPE_REFUND], 2);
	assert_int_equal(c.by_sum_type[PK_SUM_ADVANCE], 3);
	assert_int_equal(c.total, 9);
	assert_int_equal(c.by_type[PK_TYPE_SALE], -1);
	const char *dotted = "{\"status.request_sent\":4,\"receipt_type.sale\":\"4\","
			     "\"sum_type.sum_cashless\":4,\"totals.total\":12}";
	assert_int_equal(paykeeper_parse_counts(dotted, strlen(dotted), &c, NULL), K_OK);
	assert_int_equal(c.by_status[PK_STATUS_REQUEST_SENT], 4);
	assert_int_equal(c.by_type[PK_TYPE_SALE], 4);
	assert_int_equal(c.by_sum_type[PK_SUM_CASHLESS], 4);
	assert_int_equal(c.total, 12);
	struct kerr err = {0};
	const char *bad = "{\"status\":{\"created\":-1}}";
	assert_int_equal(paykeeper_parse_counts(bad, strlen(bad), &c, &err), K_INVALID);
	assert_string_equal(err.field, "counts.status.created");
	assert_int_equal(paykeeper_parse_counts("[]", 2, &c, &err), K_INVALID);
}

/* ---- queries ---- */

static void paykeeper_query__bydate_search_count_byid(void **state)
{
	(void)state;
	struct pk_bydate_query q = {
	    .start = "2021-01-28",
	    .end = "2021-02-28",
	    .statuses = 1u << PK_STATUS_CREATED | 1u << PK_STATUS_SUCCESS,
	    .types = 1u << PK_TYPE_SALE,
	    .sum_types = 1u << PK_SUM_CASHLESS | 1u << PK_SUM_CASH,
	    .sort = PK_SORT_OBTAIN_DATETIME,
	    .direction = PK_DIR_ASC,
	    .from = 20,
	    .limit = 10,
	};
	char *s;
	assert_int_equal(paykeeper_query_bydate(&q, &s, NULL), K_OK);
	assert_string_equal(s, "start=2021-01-28&end=2021-02-28&status%5B0%5D=created&"
			       "status%5B1%5D=success&receipt_type%5B0%5D=sale&"
			       "sum_type%5B0%5D=sum_cashless&sum_type%5B1%5D=sum_cash&"
			       "sort=obtain_datetime&direction=ASC&from=20&limit=10");
	/* A server decoding it sees PHP array keys. */
	size_t n;
	struct form_pair *p = form_parse(s, strlen(s), &n);
	assert_string_equal(pair_value(p, n, "status[1]"), "success");
	form_pairs_free(p, n);
	free(s);

	struct pk_bydate_query min = {.types = 1u << PK_TYPE_REFUND,
				      .sum_types = 1u << PK_SUM_CASH};
	assert_int_equal(paykeeper_query_bydate(&min, &s, NULL), K_OK);
	assert_string_equal(s, "receipt_type%5B0%5D=refund&sum_type%5B0%5D=sum_cash");
	free(s);

	static const struct {
		struct pk_bydate_query q;
		const char *field;
	} bad[] = {
	    {{.sum_types = 1}, "receipt_type"},
	    {{.types = 1}, "sum_type"},
	    {{.types = 1, .sum_types = 1, .start = "2021-13-01"}, "start"},
	    {{.types = 1, .sum_types = 1, .end = "21-01-01"}, "end"},
	    {{.types = 1, .sum_types = 1, .end = "2021-02-29"}, "end"},
	    {{.types = 1, .sum_types = 1, .start = "2021-02-01", .end = "2021-01-01"}, "end"},
	    {{.types = 1, .sum_types = 1, .limit = -1}, "limit"},
	    {{.types = 1, .sum_types = 1, .from = -5}, "from"},
	};
	for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
		struct kerr err = {0};
		s = (char *)"untouched";
		assert_int_equal(paykeeper_query_bydate(&bad[c].q, &s, &err), K_INVALID);
		assert_string_equal(err.field, bad[c].field);
		assert_null(s);
	}

	assert_int_equal(paykeeper_query_search("2020-10-18", "2021-10-18", "+7 910", &s, NULL),
			 K_OK);
	assert_string_equal(s, "start=2020-10-18&end=2021-10-18&query=%2B7%20910");
	free(s);
	struct kerr err = {0};
	assert_int_equal(paykeeper_query_search("2020-10-18", "2021-10-18", "", &s, &err),
			 K_INVALID);
	assert_string_equal(err.field, "query");
	assert_int_equal(paykeeper_query_search("", "2021-10-18", "x", &s, &err), K_INVALID);
	assert_string_equal(err.field, "start");

	assert_int_equal(paykeeper_query_bydatecount("2020-10-18", "2021-10-18", &s, NULL), K_OK);
	assert_string_equal(s, "start=2020-10-18&end=2021-10-18");
	free(s);
	s = paykeeper_query_byid(4201);
	assert_string_equal(s, "id=4201");
	free(s);
	s = paykeeper_query_bypaymentid("22&11");
	assert_string_equal(s, "payment_id=22%2611");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(paykeeper_sign__matches_openssl_vector),
	    cmocka_unit_test(paykeeper_sign__ignores_input_order_and_sign_pair),
	    cmocka_unit_test(paykeeper_sign__empty_values_count__duplicates_refused),
	    cmocka_unit_test(paykeeper_verify_callback__accepts_vector__fills_receipt),
	    cmocka_unit_test(paykeeper_verify_callback__raw_body_with_plus_and_escapes),
	    cmocka_unit_test(paykeeper_verify_callback__refuses__renamed_key_with_valid_sign),
	    cmocka_unit_test(paykeeper_verify_callback__refuses_tampering),
	    cmocka_unit_test(paykeeper_callback_body__round_trips_receipt),
	    cmocka_unit_test(paykeeper_parse_token_and_print_reply),
	    cmocka_unit_test(paykeeper_parse_receipt__table_842),
	    cmocka_unit_test(paykeeper_parse_receipt__empty_is_not_found__bad_fields_named),
	    cmocka_unit_test(paykeeper_parse_receipt_list__bydate_and_arrays),
	    cmocka_unit_test(paykeeper_parse_counts__nested_and_dotted),
	    cmocka_unit_test(paykeeper_query__bydate_search_count_byid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * kassa-sandbox, PayKeeper side: Basic auth, the token, the print request
 * and its uniqueness rule, status progression, the signed one-time callback
 * and the registries, checked with the client's own lib/wire/paykeeper.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "jsonx.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

#define USERPWD "sandbox:sandbox"
#define CART "[{\"name\":\"Хлеб\",\"price\":45.50,\"quantity\":2,\"sum\":91.00,\"tax\":\"none\"}]"

static int setup(void **state)
{
	*state = sbt_start(SANDBOX_SCALE_ONE, NULL); /* PayKeeper steps: 20 ms */
	return 0;
}

static int teardown(void **state)
{
	sandbox_stop(*state);
	return 0;
}

static char *get_token(struct sandbox *sb)
{
	struct hres h =
	    http_do("GET", sbt_url(sb, PAYKEEPER_PATH_TOKEN), NULL, NULL, 0, USERPWD, 5000);
	assert_int_equal(h.status, 200);
	char tok[256];
	assert_int_equal(paykeeper_parse_token(h.body, h.len, tok, sizeof tok, NULL), K_OK);
	hres_free(&h);
	return xstrdup(tok);
}

/* POSTs a print form; returns the receipt id, or 0 with the fail message in msg. */
static int64_t print(struct sandbox *sb, const char *token, const char *payment_id,
		     const char *type, const char *key, const char *contact, const char *cart,
		     const char *cashless, char *msg, size_t n)
{
	char *f = NULL;
	form_add(&f, "payment_id", payment_id);
	form_add(&f, "type", type);
	form_add(&f, "refund_id", "");
	form_add(&f, "contact", contact);
	form_add(&f, "sum_cashless", cashless);
	form_add(&f, "cart", cart);
	if (key)
		form_add(&f, "receipt_key", key);
	if (token)
		form_add(&f, "token", token);
	struct hres h = http_do("POST", sbt_url(sb, PAYKEEPER_PATH_PRINT),
				"application/x-www-form-urlencoded", f, strlen(f), USERPWD, 5000);
	free(f);
	assert_int_equal(h.status, 200);
	int64_t id = 0;
	struct kerr e = {0};
	if (paykeeper_parse_print_reply(h.body, h.len, &id, &e) != K_OK) {
		id = 0;
		if (msg)
			str_copy(msg, e.text, n);
	}
	hres_free(&h);
	return id;
}

static struct pk_receipt byid(struct sandbox *sb, int64_t id, kstatus *st)
{
	char path[96];
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYID "?id=%lld", (long long)id);
	struct hres h = http_do("GET", sbt_url(sb, path), NULL, NULL, 0, USERPWD, 5000);
	assert_int_equal(h.status, 200);
	struct pk_receipt r;
	*st = paykeeper_parse_receipt(h.body, h.len, &r, NULL);
	hres_free(&h);
	return r;
}

static void auth__required_on_every_path(void **state)
{
	struct sandbox *sb = *state;
	static const char *const paths[] = {PAYKEEPER_PATH_TOKEN, PAYKEEPER_PATH_PRINT,
					    PAYKEEPER_PATH_BYID "?id=1", PAYKEEPER_PATH_BYDATE,
					    PAYKEEPER_PATH_SEARCH "?query=1"};
	static const char *const creds[] = {NULL, "sandbox:wrong", "nobody:sandbox", "sandbox"};
	for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
		for (size_t c = 0; c < sizeof creds / sizeof creds[0]; c++) {
			struct hres h =
			    http_do(p == 1 ? "POST" : "GET", sbt_url(sb, paths[p]),
				    "application/x-www-form-urlencoded", "", 0, creds[c], 5000);
			if (h.status != 401)
				fail_msg("%s with %s: HTTP %ld", paths[p],
					 creds[c] ? creds[c] : "-", h.status);
			assert_non_null(strstr(h.www_auth, "Basic"));
			hres_free(&h);
		}
	}
	/* A malformed header is a 401 too, never a crash. */
	struct hres h =
	    http_do("GET", sbt_url(sb, PAYKEEPER_PATH_TOKEN), NULL, NULL, 0, NULL, 5000);
	assert_int_equal(h.status, 401);
	hres_free(&h);
}

static void token__stable_for_a_day__required_for_print(void **state)
{
	struct sandbox *sb = *state;
	char *t1 = get_token(sb), *t2 = get_token(sb);
	assert_string_equal(t1, t2);
	assert_true(strlen(t1) >= 32);
	char msg[512] = "";
	assert_int_equal(
	    print(sb, NULL, "", "sale", "key-000001", "a@b.ru", CART, "91.00", msg, sizeof msg), 0);
	assert_non_null(
	    strstr(msg, ": Токен безопасности не верен.")); /* the real service's text */
	assert_int_equal(
	    print(sb, "bogus", "", "sale", "key-000001", "a@b.ru", CART, "91.00", msg, sizeof msg),
	    0);
	assert_true(print(sb, t1, "", "sale", "key-000001", "a@b.ru", CART, "91.00", NULL, 0) >
		    1000);
	/* A day later the token is refused and a new one is issued. */
	admin_post(sb, "/sandbox/clock", "{\"advance_ms\": 86400001}");
	assert_int_equal(
	    print(sb, t1, "", "sale", "key-000002", "a@b.ru", CART, "91.00", msg, sizeof msg), 0);
	char *t3 = get_token(sb);
	assert_string_not_equal(t1, t3);
	assert_true(print(sb, t3, "", "sale", "key-000002", "a@b.ru", CART, "91.00", NULL, 0) > 0);
	free(t1);
	free(t2);
	free(t3);
}

static void print__checked_with_client_rules(void **state)
{
	struct sandbox *sb = *state;
	char *tok = get_token(sb);
	const struct {
		const char *type, *key, *cart, *cashless;
	} bad[] = {
	    {"gift", "key-000003", CART, "91.00"},
	    {"sale", "k1", CART, "91.00"},
	    {"sale", NULL, CART, "91.00"},
	    {"sale", "key-000003", "[{\"name\":\"X\"}]", "91.00"},
	    {"sale", "key-000003", "not json", "91.00"},
	    {"sale", "key-000003", CART, "90.00"},
	    {"sale", "key-000003", CART, "abc"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char msg[512] = "";
		if (print(sb, tok, "", bad[i].type, bad[i].key, "a@b.ru", bad[i].cart,
			  bad[i].cashless, msg, sizeof msg) != 0)
			fail_msg("case %zu was accepted", i);
		assert_true(msg[0] != '\0');
	}
	json_t *l = admin_get(sb, "/sandbox/ledger");
	assert_int_equal(json_array_size(json_object_get(l, "paykeeper")), 0);
	json_decref(l);
	free(tok);
}

static void uniqueness__same_keys_refused__new_receipt_key_accepted(void **state)
{
	struct sandbox *sb = *state;
	char *tok = get_token(sb);
	char msg[512];
	int64_t a = print(sb, tok, "", "sale", "order-0001", "a@b.ru", CART, "91.00", NULL, 0);
	assert_true(a > 0);
	assert_int_equal(
	    print(sb, tok, "", "sale", "order-0001", "a@b.ru", CART, "91.00", msg, sizeof msg), 0);
	assert_non_null(strstr(msg, "receipt_key"));
	/* Another type or key is another receipt. */
	assert_true(print(sb, tok, "", "refund", "order-0001", "a@b.ru", CART, "91.00", NULL, 0) >
		    a);
	assert_true(print(sb, tok, "", "sale", "order-0002", "a@b.ru", CART, "91.00", NULL, 0) > a);
	/* A failed receipt does not block a retry with the same keys. */
	admin_post(sb, "/sandbox/faults", "{\"faults\":\"error=1\",\"seed\":3}");
	int64_t f = 0;
	const char *final = NULL;
	for (int i = 0; i < 12 && !final; i++) {
		char key[32];
		snprintf(key, sizeof key, "fail-%04d", i);
		f = print(sb, tok, "", "sale", key, "a@b.ru", CART, "91.00", NULL, 0);
		assert_true(f > 0);
		kstatus st;
		struct pk_receipt r;
		for (int w = 0; w < 100; w++) {
			r = byid(sb, f, &st);
			assert_int_equal(st, K_OK);
			if (paykeeper_status_final(r.status))
				break;
			paykeeper_receipt_free(&r);
			sleep_ms(10);
		}
		assert_true(paykeeper_status_final(r.status));
		assert_int_not_equal(r.status, PK_STATUS_SUCCESS);
		if (r.status == PK_STATUS_FAILED || r.status == PK_STATUS_REJECTED) {
			assert_true(r.has_error);
			assert_true(r.error_type[0] != '\0');
			final = key;
			admin_post(sb, "/sandbox/faults", "none");
			int64_t again =
			    print(sb, tok, "", "sale", key, "a@b.ru", CART, "91.00", NULL, 0);
			assert_true(again > f);
		} else {
			/* timeout: "may still succeed", so it blocks a repeat */
			assert_int_equal(r.status, PK_STATUS_TIMEOUT);
			assert_int_equal(
			    print(sb, tok, "", "sale", key, "a@b.ru", CART, "91.00", NULL, 0), 0);
		}
		paykeeper_receipt_free(&r);
	}
	assert_non_null(final);
	free(tok);
}

static void status__progresses__signed_callback_once(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(-1); /* answers 500: PayKeeper must not retry */
	char body[256];
	snprintf(body, sizeof body, "{\"user\":\"sandbox\",\"url\":\"%s\"}",
		 listener_url(l, "/pk"));
	admin_post(sb, "/sandbox/paykeeper/callback-url", body);
	char *tok = get_token(sb);
	int64_t id =
	    print(sb, tok, "", "sale", "cb-000001", "+79101234567", CART, "91.00", NULL, 0);
	assert_true(id > 0);
	const char *order[] = {"created", "sending", "request_sent", "success"};
	size_t seen = 0;
	for (int i = 0; i < 300; i++) {
		kstatus st;
		struct pk_receipt r = byid(sb, id, &st);
		assert_int_equal(st, K_OK);
		size_t at = 0;
		while (at < 4 && strcmp(order[at], r.status_text) != 0)
			at++;
		assert_true(at < 4);
		assert_true(at >= seen); /* never goes back */
		seen = at;
		bool done = r.status == PK_STATUS_SUCCESS;
		if (done) {
			assert_true(r.fn[0] && r.fnd[0] && r.fpd[0] && r.fop_url[0]);
			assert_int_equal(r.sum_cashless, 9100);
			assert_string_equal(r.contact, "+79101234567");
		}
		paykeeper_receipt_free(&r);
		if (done)
			break;
		sleep_ms(3);
	}
	assert_int_equal(seen, 3);
	assert_true(listener_wait(l, 1, 3000));
	sleep_ms(200);
	assert_int_equal(listener_count(l), 1);
	struct lrec rec = listener_get(l, 0);
	struct pk_receipt cb;
	assert_int_equal(
	    paykeeper_verify_callback(rec.body, strlen(rec.body), "sandbox-secret", &cb, NULL),
	    K_OK);
	assert_int_equal(cb.id, id);
	assert_int_equal(cb.status, PK_STATUS_SUCCESS);
	paykeeper_receipt_free(&cb);
	assert_int_equal(
	    paykeeper_verify_callback(rec.body, strlen(rec.body), "other-secret", &cb, NULL),
	    K_REFUSED);
	paykeeper_receipt_free(&cb);
	free(rec.body);
	kstatus st;
	struct pk_receipt none = byid(sb, 999999, &st);
	assert_int_equal(st, K_NOTFOUND);
	paykeeper_receipt_free(&none);
	free(tok);
	listener_stop(l);
}

static void callback_fail__not_sent__recorded(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(0);
	char body[256];
	snprintf(body, sizeof body, "{\"user\":\"sandbox\",\"url\":\"%s\"}",
		 listener_url(l, "/pk"));
	admin_post(sb, "/sandbox/paykeeper/callback-url", body);
	admin_post(sb, "/sandbox/faults", "callback_fail=1");
	char *tok = get_token(sb);
	assert_true(print(sb, tok, "", "sale", "cbf-000001", "a@b.ru", CART, "91.00", NULL, 0) > 0);
	json_t *cbs = NULL;
	for (int i = 0; i < 200; i++) {
		json_decref(cbs);
		cbs = admin_get(sb, "/sandbox/callbacks");
		json_t *c0 = json_array_get(json_object_get(cbs, "callbacks"), 0);
		if (c0 && strcmp(json_string_value(json_object_get(c0, "state")), "failed") == 0)
			break;
		sleep_ms(5);
	}
	json_t *c0 = json_array_get(json_object_get(cbs, "callbacks"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "state")), "failed");
	assert_int_equal(json_integer_value(json_object_get(c0, "attempts")), 1);
	json_decref(cbs);
	assert_int_equal(listener_count(l), 0);
	free(tok);
	listener_stop(l);
}

static struct pk_receipt_list registry(struct sandbox *sb, const char *path_query)
{
	struct hres h = http_do("GET", sbt_url(sb, path_query), NULL, NULL, 0, USERPWD, 5000);
	assert_int_equal(h.status, 200);
	struct pk_receipt_list l;
	struct kerr e = {0};
	if (paykeeper_parse_receipt_list(h.body, h.len, &l, &e) != K_OK)
		fail_msg("%s: %s: %s (%s)", path_query, e.field, e.text, h.body);
	hres_free(&h);
	return l;
}

static void registries__bydate_count_search_bypaymentid(void **state)
{
	struct sandbox *sb = *state;
	char *tok = get_token(sb);
	int64_t ids[5];
	ids[0] =
	    print(sb, tok, "P-1", "sale", "reg-000001", "ivan@shop.ru", CART, "91.00", NULL, 0);
	ids[1] =
	    print(sb, tok, "P-1", "refund", "reg-000002", "ivan@shop.ru", CART, "91.00", NULL, 0);
	ids[2] =
	    print(sb, tok, "P-1", "sale", "reg-000003", "ivan@shop.ru", CART, "91.00", NULL, 0);
	ids[3] = print(sb, tok, "", "sale", "reg-000004", "petr@shop.ru", CART, "91.00", NULL, 0);
	ids[4] = print(sb, tok, "", "sale", "reg-000005", "+79991112233", CART, "91.00", NULL, 0);
	for (int i = 0; i < 5; i++)
		assert_true(ids[i] > 0);
	sleep_ms(150); /* all reach success */

	/* bydate needs receipt_type[] and sum_type[] */
	struct hres h =
	    http_do("GET", sbt_url(sb, PAYKEEPER_PATH_BYDATE), NULL, NULL, 0, USERPWD, 5000);
	struct pk_receipt_list l;
	struct kerr e = {0};
	assert_int_equal(paykeeper_parse_receipt_list(h.body, h.len, &l, &e), K_PROVIDER);
	hres_free(&h);

	struct pk_bydate_query q = {.types = 1u << PK_TYPE_SALE | 1u << PK_TYPE_REFUND,
				    .sum_types = 1u << PK_SUM_CASHLESS,
				    .statuses = 1u << PK_STATUS_SUCCESS,
				    .sort = PK_SORT_PAYMENT_ID,
				    .direction = PK_DIR_ASC,
				    .limit = 2};
	char *qs = NULL;
	assert_int_equal(paykeeper_query_bydate(&q, &qs, NULL), K_OK);
	char path[512];
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYDATE "?%s", qs);
	free(qs);
	l = registry(sb, path);
	assert_int_equal(l.n, 2);
	assert_true(l.has_counts);
	assert_int_equal(l.counts.total, 5);
	assert_int_equal(l.counts.by_type[PK_TYPE_REFUND], 1);
	assert_string_equal(l.items[0].payment_id, ""); /* ascending payment_id: empty first */
	paykeeper_receipt_list_free(&l);
	q.from = 4;
	assert_int_equal(paykeeper_query_bydate(&q, &qs, NULL), K_OK);
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYDATE "?%s", qs);
	free(qs);
	l = registry(sb, path);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].payment_id, "P-1");
	paykeeper_receipt_list_free(&l);
	/* Only refunds; a status filter that matches nothing. */
	q.types = 1u << PK_TYPE_REFUND;
	q.from = 0;
	assert_int_equal(paykeeper_query_bydate(&q, &qs, NULL), K_OK);
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYDATE "?%s", qs);
	free(qs);
	l = registry(sb, path);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].id, ids[1]);
	paykeeper_receipt_list_free(&l);
	q.types = 1u << PK_TYPE_SALE;
	q.statuses = 1u << PK_STATUS_FAILED;
	assert_int_equal(paykeeper_query_bydate(&q, &qs, NULL), K_OK);
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYDATE "?%s", qs);
	free(qs);
	l = registry(sb, path);
	assert_int_equal(l.n, 0);
	paykeeper_receipt_list_free(&l);

	/* bydatecount */
	json_t *today = admin_get(sb, "/sandbox/clock");
	(void)today;
	json_decref(today);
	assert_int_equal(paykeeper_query_bydatecount("2000-01-01", "2999-12-31", &qs, NULL), K_OK);
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYDATECOUNT "?%s", qs);
	free(qs);
	h = http_do("GET", sbt_url(sb, path), NULL, NULL, 0, USERPWD, 5000);
	struct pk_counts c;
	assert_int_equal(paykeeper_parse_counts(h.body, h.len, &c, NULL), K_OK);
	assert_int_equal(c.total, 5);
	assert_int_equal(c.by_status[PK_STATUS_SUCCESS], 5);
	assert_int_equal(c.by_type[PK_TYPE_SALE], 4);
	hres_free(&h);
	assert_int_equal(paykeeper_query_bydatecount("2000-01-01", "2000-12-31", &qs, NULL), K_OK);
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYDATECOUNT "?%s", qs);
	free(qs);
	h = http_do("GET", sbt_url(sb, path), NULL, NULL, 0, USERPWD, 5000);
	assert_int_equal(paykeeper_parse_counts(h.body, h.len, &c, NULL), K_OK);
	assert_int_equal(c.total, 0);
	hres_free(&h);

	/* search: contact, payment id */
	assert_int_equal(paykeeper_query_search("2000-01-01", "2999-12-31", "shop.ru", &qs, NULL),
			 K_OK);
	snprintf(path, sizeof path, PAYKEEPER_PATH_SEARCH "?%s", qs);
	free(qs);
	l = registry(sb, path);
	assert_int_equal(l.n, 4);
	paykeeper_receipt_list_free(&l);
	snprintf(path, sizeof path, PAYKEEPER_PATH_SEARCH "?query=7999111");
	l = registry(sb, path);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].id, ids[4]);
	paykeeper_receipt_list_free(&l);

	/* bypaymentid leaves out the payment's first sale receipt */
	qs = paykeeper_query_bypaymentid("P-1");
	snprintf(path, sizeof path, PAYKEEPER_PATH_BYPAYMENTID "?%s", qs);
	free(qs);
	l = registry(sb, path);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.items[0].id, ids[1]);
	assert_int_equal(l.items[1].id, ids[2]);
	paykeeper_receipt_list_free(&l);
	free(tok);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(auth__required_on_every_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(token__stable_for_a_day__required_for_print, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(print__checked_with_client_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(uniqueness__same_keys_refused__new_receipt_key_accepted,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(status__progresses__signed_callback_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(callback_fail__not_sent__recorded, setup, teardown),
	    cmocka_unit_test_setup_teardown(registries__bydate_count_search_bypaymentid, setup,
					    teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}

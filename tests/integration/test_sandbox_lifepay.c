/*
 * kassa-sandbox, LifePay cloud-print side, driven over HTTP with libcurl:
 * every error code, ext_id idempotency (also under dropped replies), refund
 * limits, shift rules, test mode, callbacks with retries, faults, ledger.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "harness.h"
#include "sandbox/internal.h"
#include "jsonx.h"
#include "util.h"
#include "wire/lifepay.h"

#define AUTH "\"apikey\":\"sandbox-apikey\",\"login\":\"70000000000\""
#define BREAD "{\"name\":\"Хлеб\",\"price\":45.50,\"quantity\":2}"
#define RECEIPT "/cloud-print/create-receipt"
#define FAST 1000 /* time scale 0.001 in millionths: 1 minute -> 60 ms */

static int setup(void **state)
{
	*state = sbt_start(FAST, NULL);
	return 0;
}

static int teardown(void **state)
{
	sandbox_stop(*state);
	return 0;
}

/* A receipt body: AUTH, one product list and extra fields (",..." or ""). */
static char *receipt(const char *products, const char *extra)
{
	char *b = xmalloc(strlen(products) + strlen(extra) + 200);
	snprintf(b, strlen(products) + strlen(extra) + 200,
		 "{" AUTH ",\"purchase\":{\"products\":[%s]}%s}", products, extra);
	return b;
}

static json_t *call_receipt(struct sandbox *sb, const char *products, const char *extra)
{
	char *b = receipt(products, extra);
	json_t *r = lp_call(sb, RECEIPT, b);
	free(b);
	return r;
}

/* ---- error codes ---- */

static void errors__every_code__with_its_field(void **state)
{
	struct sandbox *sb = *state;
	char long_ext[64], long_url[300], b1[400], b2[700];
	memset(long_ext, 'x', 51);
	long_ext[51] = '\0';
	snprintf(long_url, sizeof long_url, "http://a/%0247d", 0);
	snprintf(b1, sizeof b1, ",\"card_amount\":\"#\",\"ext_id\":\"%s\"", long_ext);
	snprintf(b2, sizeof b2, ",\"card_amount\":\"#\",\"callback_url\":\"%s\"", long_url);
	assert_int_equal(strlen(long_url), 256);
	static const char *const pay = ",\"card_amount\":\"#\"";
	const struct {
		const char *endpoint;
		const char *body; /* NULL: receipt(products, extra) */
		const char *products, *extra;
		int code;
		const char *key;   /* data key, NULL = not checked */
		const char *exact; /* exact message, NULL = any */
	} cases[] = {
	    {RECEIPT, "not json", NULL, NULL, 6000, NULL, NULL},
	    {RECEIPT, "[1,2]", NULL, NULL, 6000, NULL, NULL},
	    {RECEIPT, "{\"login\":\"70000000000\",\"apikey\":\"sandbox-apikey\"", NULL, NULL, 6000,
	     NULL, NULL},
	    {RECEIPT, "{\"login\":70000000000,\"apikey\":\"sandbox-apikey\"}", NULL, NULL, 6000,
	     "login", NULL},
	    {RECEIPT, "{\"login\":\"79999999999\",\"apikey\":\"sandbox-apikey\"}", NULL, NULL, 6009,
	     NULL, NULL},
	    {RECEIPT, "{\"apikey\":\"sandbox-apikey\"}", NULL, NULL, 6009, NULL, NULL},
	    {RECEIPT, "{\"login\":\"70000000000\",\"apikey\":\"wrong\"}", NULL, NULL, 6010, NULL,
	     NULL},
	    {RECEIPT, "{\"login\":\"70000000000\"}", NULL, NULL, 6010, NULL, NULL},
	    {RECEIPT, "{\"login\":\"70000000001\",\"apikey\":\"off-apikey\"}", NULL, NULL, 6080,
	     NULL, NULL},
	    {RECEIPT, "{" AUTH "}", NULL, NULL, 400, "purchase",
	     "purchase не содержит products или products не является массивом"},
	    {RECEIPT, "{" AUTH ",\"purchase\":{\"products\":{}}}", NULL, NULL, 400, "purchase",
	     "purchase не содержит products или products не является массивом"},
	    {RECEIPT, "{" AUTH ",\"purchase\":{\"products\":[7]}}", NULL, NULL, 6000,
	     "purchase.products[0]", NULL},
	    {RECEIPT, NULL, "{\"name\":\"X\",\"price\":{},\"quantity\":1}", pay, 6000,
	     "purchase.products[0].price", NULL},
	    {RECEIPT, NULL, "{\"name\":\"\",\"price\":10,\"quantity\":1}", pay, 400,
	     "purchase.products[0].name", NULL},
	    {RECEIPT, NULL, "{\"name\":\"X\",\"price\":10,\"quantity\":0}", pay, 400,
	     "purchase.products[0].quantity", NULL},
	    {RECEIPT, NULL, "{\"name\":\"X\",\"price\":10,\"quantity\":-1}", pay, 400,
	     "purchase.products[0].quantity", NULL},
	    {RECEIPT, NULL, "{\"name\":\"X\",\"price\":10,\"quantity\":1,\"unit\":\"box\"}", pay,
	     400, "purchase.products[0].unit", NULL},
	    {RECEIPT, NULL, BREAD, ",\"card_amount\":\"#\",\"cash_amount\":\"#\"", 400, NULL, NULL},
	    {RECEIPT, NULL, BREAD, ",\"cash_amount\":50", 400, NULL, NULL},
	    {RECEIPT, NULL, BREAD, ",\"card_amount\":100", 3896, "card_amount", NULL},
	    {RECEIPT, NULL, BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"NOPE-1\"", 400,
	     "target_serial", "Принтер не найден."},
	    {RECEIPT, NULL, BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"OFF-0003\"", 400,
	     "target_serial", "Принтер не найден."},
	    {RECEIPT, NULL, BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"OTHER-0001\"", 400,
	     "target_serial", "Принтер не найден."},
	    {RECEIPT, NULL, BREAD, b1, 400, "ext_id", NULL},
	    {RECEIPT, NULL, BREAD, b2, 400, "callback_url", NULL},
	    {RECEIPT, NULL, BREAD, ",\"card_amount\":\"#\",\"colour\":\"red\"", 400, "colour",
	     NULL},
	    {"/cloud-print/create-z-report", "{" AUTH ",\"target_serial\":\"NOPE\"}", NULL, NULL,
	     400, "target_serial", "Принтер не найден."},
	    {"/cloud-print/cash-in", "{" AUTH ",\"amount\":100}", NULL, NULL, 400, "target_serial",
	     NULL},
	    {"/cloud-print/cash-in", "{" AUTH ",\"amount\":[1],\"target_serial\":\"SANDBOX-0001\"}",
	     NULL, NULL, 6000, "amount", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *b = cases[i].body ? xstrdup(cases[i].body)
					: receipt(cases[i].products, cases[i].extra);
		json_t *r = lp_call(sb, cases[i].endpoint, b);
		if (lp_code(r) != cases[i].code)
			fail_msg("case %zu: code %d, want %d: %s", i, lp_code(r), cases[i].code, b);
		assert_null(lp_uuid(r));
		if (cases[i].key && !lp_msg(r, cases[i].key))
			fail_msg("case %zu: no data.%s in the reply", i, cases[i].key);
		if (cases[i].exact)
			assert_string_equal(lp_msg(r, cases[i].key), cases[i].exact);
		assert_true(json_is_string(json_object_get(r, "message")));
		json_decref(r);
		free(b);
	}
	assert_int_equal(ledger_count(sb), 0);
}

static void errors__reply_parses_with_client_wire(void **state)
{
	struct sandbox *sb = *state;
	char *b = receipt(BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"NOPE\"");
	struct hres h =
	    http_do("POST", sbt_url(sb, RECEIPT), "application/json", b, strlen(b), NULL, 5000);
	struct lifepay_reply rep;
	assert_int_equal(wire_lifepay_parse_reply(h.body, h.len, &rep, NULL), K_OK);
	assert_int_equal(rep.code, 400);
	assert_true(rep.n_field_errors >= 1);
	assert_non_null(strstr(rep.field_errors[0], "target_serial"));
	assert_non_null(strstr(rep.field_errors[0], "Принтер не найден."));
	hres_free(&h);
	free(b);
}

/* ---- idempotency ---- */

static void ext_id__repeat_returns_first_uuid__creates_nothing(void **state)
{
	struct sandbox *sb = *state;
	json_t *a = call_receipt(sb, BREAD, ",\"card_amount\":\"#\",\"ext_id\":\"order-1\"");
	assert_int_equal(lp_code(a), 0);
	assert_non_null(lp_uuid(a));
	/* Even a changed body (other amount) answers with the first document. */
	json_t *b = call_receipt(sb, "{\"name\":\"Сыр\",\"price\":300,\"quantity\":1}",
				 ",\"cash_amount\":\"#\",\"ext_id\":\"order-1\"");
	assert_int_equal(lp_code(b), 0);
	assert_string_equal(lp_uuid(a), lp_uuid(b));
	json_t *c = call_receipt(sb, BREAD, ",\"card_amount\":\"#\",\"ext_id\":\"order-2\"");
	assert_string_not_equal(lp_uuid(a), lp_uuid(c));
	assert_int_equal(ledger_count(sb), 2);
	json_t *d = ledger_doc(sb, lp_uuid(a));
	assert_string_equal(json_string_value(json_object_get(d, "total")), "91.00");
	assert_string_equal(json_string_value(json_object_get(d, "ext_id")), "order-1");
	assert_string_equal(json_string_value(json_object_get(d, "endpoint")), RECEIPT);
	json_t *line = json_array_get(json_object_get(d, "lines"), 0);
	assert_string_equal(json_string_value(json_object_get(line, "price")), "45.50");
	assert_string_equal(json_string_value(json_object_get(line, "sum")), "91.00");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
}

static void drop__client_retries__same_uuid__one_document(void **state)
{
	struct sandbox *sb = *state;
	admin_post(sb, "/sandbox/faults", "drop=1");
	char *b = receipt(BREAD, ",\"card_amount\":\"#\",\"ext_id\":\"drop-1\"");
	struct hres h =
	    http_do("POST", sbt_url(sb, RECEIPT), "application/json", b, strlen(b), NULL, 5000);
	assert_int_equal(h.status, 0); /* no reply at all */
	assert_int_not_equal(h.rc, CURLE_OK);
	hres_free(&h);
	assert_int_equal(ledger_count(sb), 1); /* created before the reply was dropped */
	admin_post(sb, "/sandbox/faults", "none");
	json_t *r = lp_call(sb, RECEIPT, b);
	assert_int_equal(lp_code(r), 0);
	json_t *l = admin_get(sb, "/sandbox/ledger");
	json_t *docs = json_object_get(l, "documents");
	assert_int_equal(json_array_size(docs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(docs, 0), "uuid")),
			    lp_uuid(r));
	json_decref(l);
	json_decref(r);
	free(b);
}

static void drop__random_drops__exactly_one_document_per_ext_id(void **state)
{
	struct sandbox *sb = *state;
	admin_post(sb, "/sandbox/faults", "{\"faults\":\"drop=0.5,http500=0.2\",\"seed\":7}");
	char uuids[12][40];
	int dropped = 0, errors500 = 0;
	for (int i = 0; i < 12; i++) {
		char extra[96];
		snprintf(extra, sizeof extra, ",\"card_amount\":\"#\",\"ext_id\":\"retry-%d\"", i);
		char *b = receipt(BREAD, extra);
		bool done = false;
		for (int attempt = 0; attempt < 60 && !done; attempt++) {
			struct hres h = http_do("POST", sbt_url(sb, RECEIPT), "application/json", b,
						strlen(b), NULL, 5000);
			if (h.status == 200) {
				json_t *r = hres_json(&h);
				assert_int_equal(lp_code(r), 0);
				str_copy(uuids[i], lp_uuid(r), sizeof uuids[i]);
				json_decref(r);
				done = true;
			} else if (h.status == 500) {
				errors500++;
			} else {
				dropped++;
			}
			hres_free(&h);
		}
		assert_true(done);
		free(b);
	}
	assert_true(dropped > 0);
	assert_true(errors500 > 0);
	admin_post(sb, "/sandbox/faults", "none");
	json_t *l = admin_get(sb, "/sandbox/ledger");
	json_t *docs = json_object_get(l, "documents");
	assert_int_equal(json_array_size(docs), 12);
	for (int i = 0; i < 12; i++) {
		const json_t *d = json_array_get(docs, (size_t)i);
		char ext[32];
		snprintf(ext, sizeof ext, "retry-%d", i);
		assert_string_equal(json_string_value(json_object_get(d, "ext_id")), ext);
		assert_string_equal(json_string_value(json_object_get(d, "uuid")), uuids[i]);
	}
	json_decref(l);
}

static void http500__creates_nothing(void **state)
{
	struct sandbox *sb = *state;
	admin_post(sb, "/sandbox/faults", "http500=1");
	char *b = receipt(BREAD, ",\"card_amount\":\"#\",\"ext_id\":\"e500\"");
	struct hres h =
	    http_do("POST", sbt_url(sb, RECEIPT), "application/json", b, strlen(b), NULL, 5000);
	assert_int_equal(h.status, 500);
	hres_free(&h);
	admin_post(sb, "/sandbox/faults", "");
	assert_int_equal(ledger_count(sb), 0);
	free(b);
}

struct stalled {
	struct sandbox *sb;
	struct hres h;
};

static void *on_stalled(void *arg)
{
	struct stalled *s = arg;
	char *b = receipt(BREAD, ",\"card_amount\":\"#\",\"ext_id\":\"stall-1\"");
	s->h =
	    http_do("POST", sbt_url(s->sb, RECEIPT), "application/json", b, strlen(b), NULL, 10000);
	free(b);
	return NULL;
}

static void stall__holds_one_reply__others_go_on(void **state)
{
	struct sandbox *sb = *state;
	/* 1500 s at scale 0.001 = 1.5 s */
	admin_post(sb, "/sandbox/faults", "stall=1:1500");
	struct stalled s = {.sb = sb};
	pthread_t t;
	long long t0 = test_ms();
	pthread_create(&t, NULL, on_stalled, &s);
	/* Wait until the stalled document exists, then switch the fault off. */
	for (int i = 0; i < 200 && ledger_count(sb) == 0; i++)
		sleep_ms(5);
	admin_post(sb, "/sandbox/faults", "none");
	json_t *r = call_receipt(sb, BREAD, ",\"card_amount\":\"#\",\"ext_id\":\"quick\"");
	long long quick = test_ms() - t0;
	assert_int_equal(lp_code(r), 0);
	assert_true(quick < 1200);
	pthread_join(t, NULL);
	assert_int_equal(s.h.status, 200);
	assert_true(s.h.ms >= 1400);
	hres_free(&s.h);
	json_decref(r);
}

/* ---- refunds ---- */

static void refund__limited_to_the_sale(void **state)
{
	struct sandbox *sb = *state;
	json_t *sale = call_receipt(sb, "{\"name\":\"Товар\",\"price\":100,\"quantity\":1}",
				    ",\"card_amount\":\"#\"");
	assert_int_equal(lp_code(sale), 0);
	const char *su = lp_uuid(sale);
	char extra[256];
	const struct {
		const char *price;
		int code;
	} steps[] = {{"60", 0}, {"50", 400}, {"40", 0}, {"0.01", 400}};
	for (size_t i = 0; i < 4; i++) {
		char prod[96];
		snprintf(prod, sizeof prod, "{\"name\":\"Товар\",\"price\":%s,\"quantity\":1}",
			 steps[i].price);
		snprintf(extra, sizeof extra,
			 ",\"type\":\"refund\",\"card_amount\":\"#\",\"ref_uuid\":\"%s\"", su);
		json_t *r = call_receipt(sb, prod, extra);
		if (lp_code(r) != steps[i].code)
			fail_msg("refund %zu of %s: code %d", i, steps[i].price, lp_code(r));
		if (steps[i].code)
			assert_non_null(lp_msg(r, "ref_uuid"));
		json_decref(r);
	}
	json_t *d = ledger_doc(sb, su);
	assert_int_equal(json_array_size(json_object_get(d, "refunds")), 2);
	assert_string_equal(json_string_value(json_object_get(d, "refunded")), "100.00");
	json_decref(d);

	/* Unknown uuid, another login's sale, and a refund citing a refund. */
	snprintf(extra, sizeof extra,
		 ",\"type\":\"refund\",\"card_amount\":\"#\",\"ref_uuid\":\"%s\"",
		 "84fefc72-cbc5-5cc1-ba40-d00f035f05cb");
	json_t *r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 400);
	assert_non_null(lp_msg(r, "ref_uuid"));
	json_decref(r);

	json_t *other = lp_call(sb, RECEIPT,
				"{\"apikey\":\"other-apikey\",\"login\":\"70000000002\","
				"\"purchase\":{\"products\":[" BREAD "]},\"cash_amount\":\"#\"}");
	assert_int_equal(lp_code(other), 0);
	json_t *od = ledger_doc(sb, lp_uuid(other));
	assert_string_equal(json_string_value(json_object_get(od, "tax_system")), "usn6");
	assert_string_equal(json_string_value(json_object_get(od, "printer")), "OTHER-0001");
	json_decref(od);
	snprintf(extra, sizeof extra,
		 ",\"type\":\"refund\",\"card_amount\":\"#\",\"ref_uuid\":\"%s\"", lp_uuid(other));
	r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 400);
	json_decref(r);
	json_decref(other);
	json_decref(sale);
}

/* ---- shifts ---- */

static json_t *shift_call(struct sandbox *sb, const char *endpoint, const char *extra)
{
	char b[512];
	snprintf(b, sizeof b, "{" AUTH ",\"target_serial\":\"SANDBOX-0002\"%s}", extra);
	return lp_call(sb, endpoint, b);
}

static json_t *x_report(struct sandbox *sb)
{
	json_t *r = shift_call(sb, "/cloud-print/create-x-report", "");
	assert_int_equal(lp_code(r), 0);
	json_t *d = ledger_doc(sb, lp_uuid(r));
	json_t *rep = json_incref(json_object_get(d, "report"));
	json_decref(d);
	json_decref(r);
	return rep;
}

static void expect(struct sandbox *sb, const char *endpoint, const char *extra, int code,
		   const char *key)
{
	json_t *r = shift_call(sb, endpoint, extra);
	if (lp_code(r) != code)
		fail_msg("%s%s: code %d, want %d", endpoint, extra, lp_code(r), code);
	if (key)
		assert_non_null(lp_msg(r, key));
	json_decref(r);
}

static void shift__open_x_cash_z_and_the_24_hour_rule(void **state)
{
	struct sandbox *sb = *state;
	json_t *rep = x_report(sb);
	assert_false(json_is_true(json_object_get(rep, "shift_open")));
	json_decref(rep);
	/* A receipt opens the shift; create-session then refuses. */
	json_t *r = call_receipt(sb, "{\"name\":\"Молоко\",\"price\":80,\"quantity\":1}",
				 ",\"cash_amount\":100,\"target_serial\":\"SANDBOX-0002\"");
	assert_int_equal(lp_code(r), 0);
	json_decref(r);
	expect(sb, "/cloud-print/create-session", "", 400, "session");
	expect(sb, "/cloud-print/cash-in", ",\"amount\":500", 0, NULL);
	expect(sb, "/cloud-print/cash-out", ",\"amount\":1000", 400, "amount");
	expect(sb, "/cloud-print/cash-out", ",\"amount\":\"100.00\"", 0, NULL);
	rep = x_report(sb);
	assert_true(json_is_true(json_object_get(rep, "shift_open")));
	assert_int_equal(json_integer_value(json_object_get(rep, "shift_number")), 1);
	json_t *pay = json_object_get(json_object_get(rep, "receipts"), "payment");
	assert_int_equal(json_integer_value(json_object_get(pay, "count")), 1);
	assert_string_equal(json_string_value(json_object_get(pay, "total")), "80.00");
	assert_string_equal(json_string_value(json_object_get(pay, "cash")), "80.00");
	assert_string_equal(json_string_value(json_object_get(rep, "cash_in")), "500.00");
	assert_string_equal(json_string_value(json_object_get(rep, "cash_out")), "100.00");
	assert_string_equal(json_string_value(json_object_get(rep, "drawer")), "480.00");
	json_decref(rep);
	/* Z closes; a second Z has nothing to close; create-session opens shift 2. */
	expect(sb, "/cloud-print/create-z-report", ",\"cashier_name\":\"Иванова\"", 0, NULL);
	expect(sb, "/cloud-print/create-z-report", "", 400, "session");
	expect(sb, "/cloud-print/create-session", "", 0, NULL);
	/* 24 hours and a minute later receipts and cash moves are refused until Z. */
	admin_post(sb, "/sandbox/clock", "{\"advance_ms\": 86460000}");
	r = call_receipt(sb, BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"SANDBOX-0002\"");
	assert_int_equal(lp_code(r), 400);
	assert_non_null(strstr(lp_msg(r, "session"), "24"));
	json_decref(r);
	expect(sb, "/cloud-print/cash-in", ",\"amount\":1", 400, "session");
	/* Test mode sees the same rule. */
	r = call_receipt(sb, BREAD,
			 ",\"card_amount\":\"#\",\"test\":1,\"target_serial\":\"SANDBOX-0002\"");
	assert_int_equal(lp_code(r), 400);
	json_decref(r);
	/* The other printer is not affected. */
	r = call_receipt(sb, BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"SANDBOX-0001\"");
	assert_int_equal(lp_code(r), 0);
	json_decref(r);
	expect(sb, "/cloud-print/create-z-report", "", 0, NULL);
	r = call_receipt(sb, BREAD, ",\"card_amount\":\"#\",\"target_serial\":\"SANDBOX-0002\"");
	assert_int_equal(lp_code(r), 0);
	json_t *d = ledger_doc(sb, lp_uuid(r));
	assert_int_equal(json_integer_value(json_object_get(d, "shift_number")), 3);
	json_decref(d);
	json_decref(r);
	json_t *shifts = admin_get(sb, "/sandbox/shifts");
	json_t *arr = json_object_get(shifts, "shifts");
	size_t open = 0, on2 = 0, i;
	json_t *s;
	json_array_foreach(arr, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "printer")), "SANDBOX-0002") == 0) {
			on2++;
			open += json_is_true(json_object_get(s, "open"));
		}
	}
	assert_int_equal(on2, 3);
	assert_int_equal(open, 1);
	json_decref(shifts);
}

/* ---- test mode ---- */

static void test_mode__validates__no_uuid__nothing_stored__no_callback(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(0);
	char extra[256];
	snprintf(extra, sizeof extra, ",\"card_amount\":\"#\",\"test\":1,\"callback_url\":\"%s\"",
		 listener_url(l, "/cb"));
	json_t *r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 0);
	assert_null(lp_uuid(r));
	json_decref(r);
	/* Invalid data is still refused in test mode. */
	r = call_receipt(sb, "{\"name\":\"X\",\"price\":10,\"quantity\":0}",
			 ",\"card_amount\":\"#\",\"test\":1");
	assert_int_equal(lp_code(r), 400);
	json_decref(r);
	r = lp_call(sb, "/cloud-print/create-session",
		    "{" AUTH ",\"test\":1,\"target_serial\":\"SANDBOX-0001\"}");
	assert_int_equal(lp_code(r), 0);
	assert_null(lp_uuid(r));
	json_decref(r);
	assert_false(listener_wait(l, 1, 300));
	assert_int_equal(ledger_count(sb), 0);
	json_t *shifts = admin_get(sb, "/sandbox/shifts");
	assert_int_equal(json_array_size(json_object_get(shifts, "shifts")), 0);
	json_decref(shifts);
	listener_stop(l);
}

/* ---- callbacks ---- */

static void callback__retried_until_200__parses_with_client_wire(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(2);
	char extra[512];
	snprintf(extra, sizeof extra,
		 ",\"card_amount\":\"#\",\"ext_id\":\"cb-1\",\"callback_url\":\"%s\","
		 "\"callback_data\":{\"order\":42,\"amount\":12.50,\"note\":\"тест\"}",
		 listener_url(l, "/lifepay?token=abc"));
	json_t *r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 0);
	assert_true(listener_wait(l, 3, 5000));
	sleep_ms(100);
	assert_int_equal(listener_count(l), 3); /* nothing after the 200 */
	struct lrec rec[3];
	for (size_t i = 0; i < 3; i++)
		rec[i] = listener_get(l, i);
	/* 1 and 3 minutes at scale 0.001. */
	assert_true(rec[1].at_ms - rec[0].at_ms >= 55);
	assert_true(rec[2].at_ms - rec[1].at_ms >= 170);
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(strstr(rec[i].content_type, "application/x-www-form-urlencoded"));
		struct lifepay_callback cb;
		assert_int_equal(wire_lifepay_parse_callback(rec[i].content_type, rec[i].body,
							     strlen(rec[i].body), &cb, NULL),
				 K_OK);
		assert_string_equal(cb.uuid, lp_uuid(r));
		assert_string_equal(cb.ext_id, "cb-1");
		assert_int_equal(cb.status, LP_CB_PROCESSED);
		assert_non_null(strstr(cb.ofd_url, "fn="));
		assert_true(cb.fn[0] && cb.fd[0] && cb.fpd[0]);
		assert_false(cb.has_error_code);
		assert_string_equal(cb.callback_data_json,
				    "{\"order\":42,\"amount\":12.50,\"note\":\"тест\"}");
		wire_lifepay_callback_free(&cb);
		free(rec[i].body);
	}
	json_t *cbs = admin_get(sb, "/sandbox/callbacks");
	json_t *c0 = json_array_get(json_object_get(cbs, "callbacks"), 0);
	assert_int_equal(json_integer_value(json_object_get(c0, "attempts")), 3);
	assert_string_equal(json_string_value(json_object_get(c0, "state")), "delivered");
	json_decref(cbs);
	json_decref(r);
	listener_stop(l);
}

static void callback__gives_up_after_10_attempts(void **state)
{
	(void)state;
	/* Scale 0.00001: the whole schedule (about 5.3 hours) takes about 200 ms. */
	struct sandbox *sb = sbt_start(10, NULL);
	struct listener *l = listener_start(-1);
	char extra[256];
	snprintf(extra, sizeof extra, ",\"card_amount\":\"#\",\"callback_url\":\"%s\"",
		 listener_url(l, "/cb"));
	json_t *r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 0);
	assert_true(listener_wait(l, 10, 5000));
	sleep_ms(300);
	assert_int_equal(listener_count(l), 10);
	json_t *cbs = admin_get(sb, "/sandbox/callbacks");
	json_t *c0 = json_array_get(json_object_get(cbs, "callbacks"), 0);
	assert_int_equal(json_integer_value(json_object_get(c0, "attempts")), 10);
	assert_string_equal(json_string_value(json_object_get(c0, "state")), "failed");
	assert_string_equal(json_string_value(json_object_get(c0, "last_result")), "HTTP 500");
	json_decref(cbs);
	json_decref(r);
	listener_stop(l);
	sandbox_stop(sb);
}

static void callback__schedule_matches_the_seed(void **state)
{
	(void)state;
	const long long want[] = {60000,   180000,  300000,  600000,  3600000,
				  3600000, 3600000, 3600000, 3600000, -1};
	for (int a = 1; a <= 10; a++)
		assert_int_equal(sandbox_callback_retry_ms(a, 10), want[a - 1]);
	assert_int_equal(sandbox_callback_retry_ms(1, 1), -1);
}

static void fault_error__document_ends_in_error__refund_refused(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(0);
	admin_post(sb, "/sandbox/faults", "error=1");
	char extra[256];
	snprintf(extra, sizeof extra, ",\"card_amount\":\"#\",\"callback_url\":\"%s\"",
		 listener_url(l, "/cb"));
	json_t *r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 0);
	admin_post(sb, "/sandbox/faults", "none");
	assert_true(listener_wait(l, 1, 3000));
	struct lrec rec = listener_get(l, 0);
	struct lifepay_callback cb;
	assert_int_equal(
	    wire_lifepay_parse_callback(rec.content_type, rec.body, strlen(rec.body), &cb, NULL),
	    K_OK);
	assert_int_equal(cb.status, LP_CB_ERROR);
	assert_true(cb.has_error_code);
	assert_true(cb.error_message[0] != '\0');
	assert_string_equal(cb.ofd_url, "");
	wire_lifepay_callback_free(&cb);
	free(rec.body);
	json_t *d = ledger_doc(sb, lp_uuid(r));
	assert_string_equal(json_string_value(json_object_get(d, "status")), "error");
	json_decref(d);
	snprintf(extra, sizeof extra,
		 ",\"type\":\"refund\",\"card_amount\":\"#\",\"ref_uuid\":\"%s\"", lp_uuid(r));
	json_t *ref = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(ref), 400);
	json_decref(ref);
	json_decref(r);
	listener_stop(l);
}

static void fault_callback_fail__attempts_fail__then_delivered_once(void **state)
{
	struct sandbox *sb = *state;
	struct listener *l = listener_start(0);
	admin_post(sb, "/sandbox/faults", "callback_fail=1");
	char extra[256];
	snprintf(extra, sizeof extra, ",\"card_amount\":\"#\",\"callback_url\":\"%s\"",
		 listener_url(l, "/cb"));
	json_t *r = call_receipt(sb, BREAD, extra);
	assert_int_equal(lp_code(r), 0);
	/* Attempt 1 fails at once, attempt 2 comes 60 ms later. */
	json_t *cbs = NULL;
	for (int i = 0; i < 100; i++) {
		json_decref(cbs);
		cbs = admin_get(sb, "/sandbox/callbacks");
		json_t *c0 = json_array_get(json_object_get(cbs, "callbacks"), 0);
		if (c0 && json_integer_value(json_object_get(c0, "attempts")) >= 1)
			break;
		sleep_ms(5);
	}
	json_t *c0 = json_array_get(json_object_get(cbs, "callbacks"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "last_result")),
			    "fault callback_fail");
	json_decref(cbs);
	assert_int_equal(listener_count(l), 0);
	admin_post(sb, "/sandbox/faults", "none");
	assert_true(listener_wait(l, 1, 3000));
	sleep_ms(150);
	assert_int_equal(listener_count(l), 1);
	json_decref(r);
	listener_stop(l);
}

/* ---- other documents ---- */

static void documents__every_endpoint_creates_its_kind(void **state)
{
	struct sandbox *sb = *state;
	const struct {
		const char *endpoint, *body, *kind;
	} cases[] = {
	    {"/cloud-print/create-non-fiscal-receipt",
	     "{" AUTH ",\"purchase\":{\"products\":[" BREAD "]},\"cash_amount\":\"#\"}",
	     "non-fiscal"},
	    {"/cloud-print/create-session", "{" AUTH ",\"target_serial\":\"SANDBOX-0001\"}",
	     "open-shift"},
	    {RECEIPT, "{" AUTH ",\"purchase\":{\"products\":[" BREAD "]},\"card_amount\":\"#\"}",
	     "receipt"},
	    {"/cloud-print/create-x-report", "{" AUTH "}", "x-report"},
	    {"/cloud-print/cash-in",
	     "{" AUTH ",\"amount\":\"1000.00\",\"target_serial\":\"SANDBOX-0001\"}", "cash-in"},
	    {"/cloud-print/cash-out", "{" AUTH ",\"amount\":10,\"target_serial\":\"SANDBOX-0001\"}",
	     "cash-out"},
	    {"/cloud-print/create-z-report", "{" AUTH ",\"target_serial\":\"SANDBOX-0001\"}",
	     "z-report"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *r = lp_call(sb, cases[i].endpoint, cases[i].body);
		if (lp_code(r) != 0)
			fail_msg("%s: code %d: %s", cases[i].endpoint, lp_code(r),
				 json_string_value(json_object_get(r, "message")));
		json_t *d = ledger_doc(sb, lp_uuid(r));
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "kind")), cases[i].kind);
		assert_string_equal(json_string_value(json_object_get(d, "endpoint")),
				    cases[i].endpoint);
		json_decref(d);
		json_decref(r);
	}
	/* Documents become final after the callback delay. */
	sleep_ms(100);
	json_t *l = admin_get(sb, "/sandbox/ledger");
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(l, "documents"), i, d)
	    assert_string_equal(json_string_value(json_object_get(d, "status")), "processed");
	json_decref(l);
}

static void admin__reset_and_bad_requests(void **state)
{
	struct sandbox *sb = *state;
	json_t *r = call_receipt(sb, BREAD, ",\"card_amount\":\"#\"");
	json_decref(r);
	assert_int_equal(ledger_count(sb), 1);
	admin_post(sb, "/sandbox/reset", NULL);
	assert_int_equal(ledger_count(sb), 0);
	const struct {
		const char *method, *path, *body;
		long status;
	} cases[] = {
	    {"POST", "/sandbox/faults", "explode=1", 400},
	    {"POST", "/sandbox/faults", "drop=2", 400},
	    {"POST", "/sandbox/clock", "{}", 400},
	    {"POST", "/sandbox/clock", "{\"offset_ms\": 1e99}", 400},
	    {"DELETE", "/sandbox/ledger", NULL, 405},
	    {"GET", "/sandbox/reset", NULL, 405},
	    {"GET", "/sandbox/nothing", NULL, 404},
	    {"GET", "/sandbox/", NULL, 200},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hres h =
		    http_do(cases[i].method, sbt_url(sb, cases[i].path), "text/plain",
			    cases[i].body, cases[i].body ? strlen(cases[i].body) : 0, NULL, 5000);
		if (h.status != cases[i].status)
			fail_msg("%s %s: HTTP %ld", cases[i].method, cases[i].path, h.status);
		hres_free(&h);
	}
	json_t *f = admin_get(sb, "/sandbox/faults");
	assert_string_equal(json_string_value(json_object_get(f, "faults")), "none");
	json_decref(f);
	admin_post(sb, "/sandbox/faults", "stall=0.05:3,drop=0.1");
	f = admin_get(sb, "/sandbox/faults");
	assert_string_equal(json_string_value(json_object_get(f, "faults")),
			    "drop=0.1,stall=0.05:3");
	json_decref(f);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(errors__every_code__with_its_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(errors__reply_parses_with_client_wire, setup, teardown),
	    cmocka_unit_test_setup_teardown(ext_id__repeat_returns_first_uuid__creates_nothing,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(drop__client_retries__same_uuid__one_document, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(drop__random_drops__exactly_one_document_per_ext_id,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(http500__creates_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(stall__holds_one_reply__others_go_on, setup, teardown),
	    cmocka_unit_test_setup_teardown(refund__limited_to_the_sale, setup, teardown),
	    cmocka_unit_test_setup_teardown(shift__open_x_cash_z_and_the_24_hour_rule, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_mode__validates__no_uuid__nothing_stored__no_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(callback__retried_until_200__parses_with_client_wire,
					    setup, teardown),
	    cmocka_unit_test(callback__gives_up_after_10_attempts),
	    cmocka_unit_test(callback__schedule_matches_the_seed),
	    cmocka_unit_test_setup_teardown(fault_error__document_ends_in_error__refund_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(fault_callback_fail__attempts_fail__then_delivered_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(documents__every_endpoint_creates_its_kind, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(admin__reset_and_bad_requests, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}

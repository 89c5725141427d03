/* Tests for lib/relay_proto.c: the kassa-relay pull protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay_proto.h"

static void relay_proto_route__paths__to_routes(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		enum relay_route_kind kind;
		const char *key, *suffix;
	} cases[] = {
	    {"/pull", RELAY_ROUTE_PULL, "", ""},
	    {"/pull/", RELAY_ROUTE_NONE, "", ""},
	    {"/whoami", RELAY_ROUTE_WHOAMI, "", ""},
	    {"/health", RELAY_ROUTE_HEALTH, "", ""},
	    {"/cb/abc123", RELAY_ROUTE_CALLBACK, "abc123", ""},
	    {"/cb/abc123/paykeeper", RELAY_ROUTE_CALLBACK, "abc123", "paykeeper"},
	    {"/cb/abc123/", RELAY_ROUTE_NONE, "", ""},
	    {"/cb/abc123/PayKeeper", RELAY_ROUTE_NONE, "", ""},
	    {"/cb/abc123/a/b", RELAY_ROUTE_NONE, "", ""},
	    {"/cb/", RELAY_ROUTE_NONE, "", ""},
	    {"/cb/a%2f", RELAY_ROUTE_NONE, "", ""},
	    {"/acct/Key_-9", RELAY_ROUTE_ACCOUNT, "Key_-9", ""},
	    {"/acct/k/lifepay", RELAY_ROUTE_ACCOUNT, "k", "lifepay"},
	    {"/", RELAY_ROUTE_NONE, "", ""},
	    {"", RELAY_ROUTE_NONE, "", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct relay_route r;
		relay_proto_route(cases[i].path, &r);
		assert_int_equal(r.kind, cases[i].kind);
		assert_string_equal(r.key, cases[i].key);
		assert_string_equal(r.suffix, cases[i].suffix);
	}
}

static void relay_proto_route__rejects__overlong_key_and_suffix(void **state)
{
	(void)state;
	char path[600] = "/cb/";
	memset(path + 4, 'k', RELAY_TOKEN_MAX + 1);
	path[4 + RELAY_TOKEN_MAX + 1] = '\0';
	struct relay_route r;
	relay_proto_route(path, &r);
	assert_int_equal(r.kind, RELAY_ROUTE_NONE);
	path[4 + RELAY_TOKEN_MAX] = '\0';
	relay_proto_route(path, &r);
	assert_int_equal(r.kind, RELAY_ROUTE_CALLBACK);
	relay_proto_route("/cb/k/abcdefghijabcdefghijabcdefghijabc", &r); /* 33 */
	assert_int_equal(r.kind, RELAY_ROUTE_NONE);
}

static void relay_proto_bearer__takes_token__only_of_valid_shape(void **state)
{
	(void)state;
	const char *tok = NULL;
	size_t len = 0;
	const char *t32 = "0123456789abcdef0123456789abcdef";
	char hdr[100];
	snprintf(hdr, sizeof hdr, "Bearer %s", t32);
	assert_true(relay_proto_bearer(hdr, &tok, &len));
	assert_int_equal(len, 32);
	assert_memory_equal(tok, t32, 32);
	snprintf(hdr, sizeof hdr, "bearer  %s  ", t32);
	assert_true(relay_proto_bearer(hdr, &tok, &len));
	assert_int_equal(len, 32);
	assert_false(relay_proto_bearer(NULL, &tok, &len));
	assert_false(relay_proto_bearer("Basic abc", &tok, &len));
	assert_false(relay_proto_bearer("Bearer short", &tok, &len));
	snprintf(hdr, sizeof hdr, "Bearer %.16s %.16s", t32, t32 + 16);
	assert_false(relay_proto_bearer(hdr, &tok, &len));
}

static void relay_proto_pull_args__defaults_limits_and_messages(void **state)
{
	(void)state;
	struct relay_pull_args a;
	struct kerr e = {0};
	assert_int_equal(relay_proto_pull_args(NULL, NULL, NULL, &a, &e), K_OK);
	assert_int_equal(a.offset, 0);
	assert_int_equal(a.timeout_s, RELAY_POLL_DEFAULT_S);
	assert_int_equal(a.limit, RELAY_LIMIT_DEFAULT);
	assert_int_equal(relay_proto_pull_args("17", "0", "1", &a, &e), K_OK);
	assert_int_equal(a.offset, 17);
	assert_int_equal(a.timeout_s, 0);
	assert_int_equal(a.limit, 1);
	static const struct {
		const char *off, *to, *lim, *field;
	} bad[] = {
	    {"-1", NULL, NULL, "offset"},
	    {"1x", NULL, NULL, "offset"},
	    {"", NULL, NULL, "offset"},
	    {" 1", NULL, NULL, "offset"},
	    {"99999999999999999999", NULL, NULL, "offset"},
	    {NULL, "51", NULL, "timeout"},
	    {NULL, "-0", NULL, "timeout"},
	    {NULL, NULL, "0", "limit"},
	    {NULL, NULL, "1001", "limit"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		kerr_clear(&e);
		assert_int_equal(relay_proto_pull_args(bad[i].off, bad[i].to, bad[i].lim, &a, &e),
				 K_INVALID);
		assert_string_equal(e.field, bad[i].field);
	}
}

static void relay_proto_b64__round_trips__and_rejects_non_canonical(void **state)
{
	(void)state;
	static const struct {
		const char *raw, *enc;
	} cases[] = {
	    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *e = relay_proto_b64_encode(cases[i].raw, strlen(cases[i].raw));
		assert_string_equal(e, cases[i].enc);
		size_t n = 99;
		char *d = relay_proto_b64_decode(e, strlen(e), &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(cases[i].raw));
		assert_memory_equal(d, cases[i].raw, n);
		free(d);
		free(e);
	}
	static const char *const bad[] = {"Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9v!", "=Zm9"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n;
		assert_null(relay_proto_b64_decode(bad[i], strlen(bad[i]), &n));
	}
}

static void relay_proto_pull__reply_parses_back__with_binary_bodies(void **state)
{
	(void)state;
	struct relay_update u[2] = {
	    {.offset = 3,
	     .received_ms = 1700000000123,
	     .suffix = "",
	     .content_type = (char *)"application/x-www-form-urlencoded",
	     .body = (char *)"data=%7B%7D",
	     .len = 11},
	    {.offset = 5,
	     .received_ms = 1700000000999,
	     .suffix = "paykeeper",
	     .content_type = (char *)"",
	     .body = (char *)"a\0b",
	     .len = 3},
	};
	char *text = relay_proto_pull_reply(u, 2, 7);
	struct relay_pull_reply r;
	struct kerr e = {0};
	assert_int_equal(relay_proto_pull_parse(text, strlen(text), &r, &e), K_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.last, 7);
	assert_int_equal(r.updates[0].offset, 3);
	assert_int_equal(r.updates[0].received_ms, 1700000000123);
	assert_string_equal(r.updates[0].content_type, "application/x-www-form-urlencoded");
	assert_string_equal(r.updates[0].body, "data=%7B%7D");
	assert_string_equal(r.updates[1].suffix, "paykeeper");
	assert_int_equal(r.updates[1].len, 3);
	assert_memory_equal(r.updates[1].body, "a\0b", 3);
	relay_proto_pull_free(&r);
	free(text);
}

static void relay_proto_pull_parse__rejects__malformed_replies(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"updates\":[]}",
	    "{\"updates\":{},\"last\":0}",
	    "{\"updates\":[],\"last\":-1}",
	    "{\"updates\":[],\"last\":0,\"last\":1}",
	    /* offsets out of order, past last, bad suffix, bad base64 */
	    "{\"updates\":[{\"offset\":2,\"received_ms\":1,\"suffix\":\"\",\"content_type\":\"\","
	    "\"body\":\"\"},{\"offset\":2,\"received_ms\":1,\"suffix\":\"\",\"content_type\":"
	    "\"\",\"body\":\"\"}],\"last\":3}",
	    "{\"updates\":[{\"offset\":4,\"received_ms\":1,\"suffix\":\"\",\"content_type\":\"\","
	    "\"body\":\"\"}],\"last\":3}",
	    "{\"updates\":[{\"offset\":1,\"received_ms\":1,\"suffix\":\"A/B\",\"content_type\":"
	    "\"\",\"body\":\"\"}],\"last\":3}",
	    "{\"updates\":[{\"offset\":1,\"received_ms\":1,\"suffix\":\"\",\"content_type\":\"\","
	    "\"body\":\"@@@@\"}],\"last\":3}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct relay_pull_reply r;
		struct kerr e = {0};
		assert_int_equal(relay_proto_pull_parse(bad[i], strlen(bad[i]), &r, &e), K_INVALID);
		assert_string_equal(e.field, "relay");
		assert_int_equal(r.n, 0);
		assert_null(r.updates);
	}
}

static void relay_proto_callback_url__derived_from_token__without_revealing_it(void **state)
{
	(void)state;
	const char *tok = "0123456789abcdef0123456789abcdef0123";
	char url[200];
	assert_true(relay_proto_callback_url("https://relay.example/", tok, url, sizeof url));
	/* HMAC-SHA256(token, "kassa-relay callback v1"), first 128 bits (openssl dgst -hmac). */
	assert_string_equal(url, "https://relay.example/cb/cec4de960848fd9a5383a605c1f84e70");
	assert_null(strstr(url, tok));
	char small[20];
	assert_false(relay_proto_callback_url("https://relay.example", tok, small, sizeof small));
	assert_true(relay_proto_token_valid(tok));
	assert_false(relay_proto_token_valid("0123456789abcdef0123456789abcde"));
	assert_false(relay_proto_token_valid("0123456789abcdef 0123456789abcdef"));
	assert_true(relay_proto_name_valid("shop-1.till_2"));
	assert_false(relay_proto_name_valid(".hidden"));
	assert_false(relay_proto_name_valid("a'b"));
	assert_false(relay_proto_name_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(relay_proto_route__paths__to_routes),
	    cmocka_unit_test(relay_proto_route__rejects__overlong_key_and_suffix),
	    cmocka_unit_test(relay_proto_bearer__takes_token__only_of_valid_shape),
	    cmocka_unit_test(relay_proto_pull_args__defaults_limits_and_messages),
	    cmocka_unit_test(relay_proto_b64__round_trips__and_rejects_non_canonical),
	    cmocka_unit_test(relay_proto_pull__reply_parses_back__with_binary_bodies),
	    cmocka_unit_test(relay_proto_pull_parse__rejects__malformed_replies),
	    cmocka_unit_test(relay_proto_callback_url__derived_from_token__without_revealing_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * libFuzzer target for what kassa-relay parses from providers and tills, and
 * what a till parses from the relay (lib/relay_proto.c). The first byte picks
 * the entry point: '0' a request path (relay_proto_route), '1' an
 * Authorization header (relay_proto_bearer), '2' pull query values
 * (relay_proto_pull_args, three NUL-separated strings), '3' a pull reply
 * (relay_proto_pull_parse), '4' base64 (relay_proto_b64_decode).
 * Properties: routes carry only keys and suffixes of their alphabet; a parsed
 * reply serialises and parses back to the same updates; base64 that decodes
 * is canonical (encoding the bytes gives the same text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfuzz.h"
#include "relay_proto.h"

static void check_route(const char *path)
{
	struct relay_route r;
	relay_proto_route(path, &r);
	size_t k = strlen(r.key), s = strlen(r.suffix);
	KFZ_CHECK(k <= RELAY_TOKEN_MAX && s <= RELAY_SUFFIX_MAX, "key %zu suffix %zu", k, s);
	if (r.kind == RELAY_ROUTE_CALLBACK || r.kind == RELAY_ROUTE_ACCOUNT) {
		KFZ_CHECK(k > 0, "a callback route without a key");
		KFZ_CHECK(
		    strspn(r.key,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == k,
		    "key with a character outside its alphabet");
		KFZ_CHECK(strspn(r.suffix, "abcdefghijklmnopqrstuvwxyz0123456789_-") == s,
			  "suffix with a character outside its alphabet");
	} else {
		KFZ_CHECK(k == 0 && s == 0, "a non-callback route kept a key");
	}
}

static void check_reply(const char *text, size_t len)
{
	struct relay_pull_reply r;
	struct kerr e = {0};
	if (relay_proto_pull_parse(text, len, &r, &e) != K_OK) {
		KFZ_CHECK(r.n == 0 && r.updates == NULL && e.text[0], "failure left state");
		return;
	}
	char *again = relay_proto_pull_reply(r.updates, r.n, r.last);
	struct relay_pull_reply r2;
	KFZ_CHECK(relay_proto_pull_parse(again, strlen(again), &r2, &e) == K_OK,
		  "our own reply does not parse: %s", e.text);
	KFZ_CHECK(r2.n == r.n && r2.last == r.last, "round trip changed the count or last");
	for (size_t i = 0; i < r.n; i++) {
		KFZ_CHECK(r2.updates[i].offset == r.updates[i].offset &&
			      r2.updates[i].len == r.updates[i].len &&
			      memcmp(r2.updates[i].body, r.updates[i].body, r.updates[i].len) ==
				  0 &&
			      strcmp(r2.updates[i].suffix, r.updates[i].suffix) == 0,
			  "update %zu changed in the round trip", i);
	}
	relay_proto_pull_free(&r2);
	relay_proto_pull_free(&r);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned which = kfz_select(data, size, 5);
	const uint8_t *d = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0;
	char *str = kfz_str(d, n);
	switch (which) {
	case 0:
		check_route(str);
		break;
	case 1: {
		const char *tok = NULL;
		size_t len = 0;
		if (relay_proto_bearer(str, &tok, &len))
			KFZ_CHECK(len >= RELAY_TOKEN_MIN && len <= RELAY_TOKEN_MAX && tok >= str &&
				      tok + len <= str + strlen(str),
				  "token outside the header or of a wrong length");
		break;
	}
	case 2: {
		/* offset\0timeout\0limit, each absent when its part is missing. */
		const char *parts[3] = {NULL, NULL, NULL};
		size_t at = 0;
		for (int i = 0; i < 3 && at <= n; i++) {
			parts[i] = str + at;
			at += strlen(str + at) + 1;
		}
		struct relay_pull_args a;
		struct kerr e = {0};
		if (relay_proto_pull_args(parts[0], parts[1], parts[2], &a, &e) == K_OK)
			KFZ_CHECK(a.offset >= 0 && a.timeout_s >= 0 &&
				      a.timeout_s <= RELAY_POLL_MAX_S && a.limit >= 1 &&
				      a.limit <= RELAY_LIMIT_MAX,
				  "pull arguments out of range");
		else
			KFZ_CHECK(e.field[0] && e.text[0], "refused without a field and message");
		break;
	}
	case 3: {
		char *exact = kfz_bytes(d, n);
		check_reply(exact, n);
		free(exact);
		break;
	}
	default: {
		char *exact = kfz_bytes(d, n);
		size_t len = 0;
		char *raw = relay_proto_b64_decode(exact, n, &len);
		if (raw) {
			char *enc = relay_proto_b64_encode(raw, len);
			KFZ_CHECK(strlen(enc) == n && memcmp(enc, exact, n) == 0,
				  "decoded base64 is not canonical");
			free(enc);
			free(raw);
		}
		free(exact);
		break;
	}
	}
	free(str);
	return 0;
}

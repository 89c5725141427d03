/*
 * The pull protocol's pure parts. Everything here takes outside input (paths,
 * headers, query values, replies from the network) and is fuzzed by
 * tests/fuzz/fuzz_relay_proto.c.
 */
#include "relay_proto.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util.h"

bool relay_proto_name_valid(const char *name)
{
	if (!name || !*name || name[0] == '.')
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return n <= RELAY_NAME_MAX;
}

bool relay_proto_token_valid(const char *token)
{
	if (!token)
		return false;
	size_t n = strlen(token);
	if (n < RELAY_TOKEN_MIN || n > RELAY_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)token[i] <= ' ' || (unsigned char)token[i] >= 0x7f)
			return false;
	return true;
}

void relay_proto_callback_key(const char *token, char out[RELAY_KEY_LEN + 1])
{
	static const char msg[] = "kassa-relay callback v1";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	HMAC(EVP_sha256(), token, (int)strlen(token), (const unsigned char *)msg, sizeof msg - 1,
	     mac, &mlen);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < RELAY_KEY_LEN / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[RELAY_KEY_LEN] = '\0';
	explicit_bzero(mac, sizeof mac);
}

bool relay_proto_callback_url(const char *relay_url, const char *token, char *out, size_t n)
{
	if (!relay_url || !token || !out || n == 0)
		return false;
	size_t blen = strlen(relay_url);
	while (blen && relay_url[blen - 1] == '/')
		blen--;
	char key[RELAY_KEY_LEN + 1];
	relay_proto_callback_key(token, key);
	int w = snprintf(out, n, "%.*s/cb/%s", (int)blen, relay_url, key);
	explicit_bzero(key, sizeof key);
	if (w < 0 || (size_t)w >= n) {
		explicit_bzero(out, n);
		return false;
	}
	return true;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static bool suffix_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* "<key>" or "<key>/<suffix>" after a route prefix. */
static bool route_key(const char *p, struct relay_route *out)
{
	size_t k = 0;
	while (p[k] && p[k] != '/') {
		if (!key_char(p[k]) || k >= RELAY_TOKEN_MAX)
			return false;
		k++;
	}
	if (k == 0)
		return false;
	memcpy(out->key, p, k);
	out->key[k] = '\0';
	if (!p[k])
		return true;
	const char *s = p + k + 1;
	size_t n = 0;
	while (s[n]) {
		if (!suffix_char(s[n]) || n >= RELAY_SUFFIX_MAX)
			return false;
		n++;
	}
	if (n == 0)
		return false;
	memcpy(out->suffix, s, n + 1);
	return true;
}

void relay_proto_route(const char *path, struct relay_route *out)
{
	memset(out, 0, sizeof *out);
	if (!path)
		return;
	if (strcmp(path, "/pull") == 0)
		out->kind = RELAY_ROUTE_PULL;
	else if (strcmp(path, "/whoami") == 0)
		out->kind = RELAY_ROUTE_WHOAMI;
	else if (strcmp(path, "/health") == 0)
		out->kind = RELAY_ROUTE_HEALTH;
	else if (strncmp(path, "/cb/", 4) == 0 && route_key(path + 4, out))
		out->kind = RELAY_ROUTE_CALLBACK;
	else if (strncmp(path, "/acct/", 6) == 0 && route_key(path + 6, out))
		out->kind = RELAY_ROUTE_ACCOUNT;
	if (out->kind == RELAY_ROUTE_NONE)
		memset(out, 0, sizeof *out);
}

bool relay_proto_bearer(const char *header, const char **tok, size_t *len)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return false;
	const char *t = header + 7;
	while (*t == ' ')
		t++;
	size_t n = strlen(t);
	while (n && t[n - 1] == ' ')
		n--;
	if (n < RELAY_TOKEN_MIN || n > RELAY_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f)
			return false;
	*tok = t;
	*len = n;
	return true;
}

static bool parse_num(const char *s, long long max, long long *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

kstatus relay_proto_pull_args(const char *offset, const char *timeout, const char *limit,
			      struct relay_pull_args *out, struct kerr *err)
{
	out->offset = 0;
	out->timeout_s = RELAY_POLL_DEFAULT_S;
	out->limit = RELAY_LIMIT_DEFAULT;
	long long v;
	if (offset) {
		if (!parse_num(offset, INT64_MAX - 1, &v))
			return kerr_set(err, K_INVALID, "offset",
					"offset must be a whole number from 0 (the next update "
					"wanted: the last offset received plus one)");
		out->offset = v;
	}
	if (timeout) {
		if (!parse_num(timeout, RELAY_POLL_MAX_S, &v))
			return kerr_set(err, K_INVALID, "timeout",
					"timeout must be whole seconds from 0 to %d",
					RELAY_POLL_MAX_S);
		out->timeout_s = (int)v;
	}
	if (limit) {
		if (!parse_num(limit, RELAY_LIMIT_MAX, &v) || v == 0)
			return kerr_set(err, K_INVALID, "limit",
					"limit must be a whole number from 1 to %d",
					RELAY_LIMIT_MAX);
		out->limit = (int)v;
	}
	return K_OK;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *relay_proto_b64_encode(const void *data, size_t len)
{
	const unsigned char *d = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1);
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)d[i] << 16 | (i + 1 < len ? (unsigned)d[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

char *relay_proto_b64_decode(const char *text, size_t tlen, size_t *len)
{
	if (tlen % 4)
		return NULL;
	char *out = xmalloc(tlen / 4 * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < tlen; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = text[i + k];
			if (c == '=' && i + 4 == tlen && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64_val(c)) < 0) {
				free(out);
				return NULL;
			}
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
			     (unsigned)v[3];
		/* Canonical only: the bits under the padding must be zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(w >> 16);
		if (pad < 2)
			out[o++] = (char)(w >> 8);
		if (pad < 1)
			out[o++] = (char)w;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* ---- the pull reply ---- */

char *relay_proto_pull_reply(const struct relay_update *u, size_t n, int64_t last)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char *body = relay_proto_b64_encode(u[i].body, u[i].len);
		json_array_append_new(
		    arr, json_pack("{s:I,s:I,s:s,s:s,s:s}", "offset", (json_int_t)u[i].offset,
				   "received_ms", (json_int_t)u[i].received_ms, "suffix",
				   u[i].suffix, "content_type",
				   u[i].content_type ? u[i].content_type : "", "body", body));
		free(body);
	}
	json_t *root = json_pack("{s:o,s:I}", "updates", arr, "last", (json_int_t)last);
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		abort();
	return text;
}

void relay_proto_pull_free(struct relay_pull_reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->updates[i].content_type);
		free(r->updates[i].body);
	}
	free(r->updates);
	memset(r, 0, sizeof *r);
}

static bool suffix_valid(const char *s)
{
	size_t n = strlen(s);
	if (n > RELAY_SUFFIX_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!suffix_char(s[i]))
			return false;
	return true;
}

kstatus relay_proto_pull_parse(const char *text, size_t len, struct relay_pull_reply *out,
			       struct kerr *err)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return kerr_set(err, K_INVALID, "relay",
				"the relay's reply is not JSON (%s at line %d); check relay_url",
				je.text, je.line);
	json_t *arr = NULL;
	json_int_t last = 0;
	kstatus st = K_OK;
	/* Not JSON_STRICT: a newer relay may add keys the till can ignore. */
	if (json_unpack_ex(root, &je, 0, "{s:o,s:I}", "updates", &arr, "last", &last) != 0 ||
	    !json_is_array(arr) || last < 0) {
		st = kerr_set(err, K_INVALID, "relay",
			      "the relay's reply lacks \"updates\" or \"last\" (%s)", je.text);
		goto done;
	}
	size_t n = json_array_size(arr);
	out->updates = xcalloc(n ? n : 1, sizeof *out->updates);
	out->last = last;
	int64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		json_int_t off = 0, rcv = 0;
		const char *suffix = NULL, *ct = NULL, *body = NULL;
		size_t blen = 0;
		if (json_unpack_ex(json_array_get(arr, i), &je, 0, "{s:I,s:I,s:s,s:s,s:s%}",
				   "offset", &off, "received_ms", &rcv, "suffix", &suffix,
				   "content_type", &ct, "body", &body, &blen) != 0) {
			st = kerr_set(err, K_INVALID, "relay", "update %zu is malformed (%s)", i,
				      je.text);
			goto done;
		}
		if (off <= prev || off > last || rcv < 0 || !suffix_valid(suffix)) {
			st = kerr_set(err, K_INVALID, "relay",
				      "update %zu has an offset out of order or a bad suffix", i);
			goto done;
		}
		struct relay_update *u = &out->updates[out->n];
		u->body = relay_proto_b64_decode(body, blen, &u->len);
		if (!u->body) {
			st = kerr_set(err, K_INVALID, "relay", "update %zu: body is not base64", i);
			goto done;
		}
		u->offset = off;
		u->received_ms = rcv;
		memcpy(u->suffix, suffix, strlen(suffix) + 1);
		u->content_type = xstrdup(ct);
		out->n++;
		prev = off;
	}
done:
	json_decref(root);
	if (st != K_OK)
		relay_proto_pull_free(out);
	return st;
}

/*
 * The kassa-relay pull protocol (docs/RELAY.md), pure functions shared by the
 * relay (kassa-relay) and the till: request routing, the Bearer header, the
 * pull query, the pull reply in JSON (bodies in base64) and the per-till
 * callback key a till derives from its own token.
 */
#ifndef KASSA_RELAY_PROTO_H
#define KASSA_RELAY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Shortest accepted till token, in characters. */
#define RELAY_TOKEN_MIN 32
/* Longest till token, in characters. */
#define RELAY_TOKEN_MAX 256
/* Longest till or account name. */
#define RELAY_NAME_MAX 64
/* A callback key: 32 hex digits (128 bits of HMAC-SHA256). */
#define RELAY_KEY_LEN 32
/* Longest path suffix after the key ("paykeeper"). */
#define RELAY_SUFFIX_MAX 32
/* Long-poll limits in seconds and updates per reply. */
#define RELAY_POLL_DEFAULT_S 25
#define RELAY_POLL_MAX_S 50
#define RELAY_LIMIT_DEFAULT 100
#define RELAY_LIMIT_MAX 1000

/* True for 1..RELAY_NAME_MAX of [A-Za-z0-9_.-], not starting with '.'. */
bool relay_proto_name_valid(const char *name);
/* True for RELAY_TOKEN_MIN..RELAY_TOKEN_MAX printable ASCII without spaces. */
bool relay_proto_token_valid(const char *token);

/* The callback key of a till: the first 128 bits of HMAC-SHA256(token,
 * "kassa-relay callback v1") in lower-case hex. Reveals nothing of token. */
void relay_proto_callback_key(const char *token, char out[RELAY_KEY_LEN + 1]);
/* "<relay_url>/cb/<key>" (a trailing '/' on relay_url dropped); false when it
 * does not fit. A secret of the till: never log it. */
bool relay_proto_callback_url(const char *relay_url, const char *token, char *out, size_t n);

enum relay_route_kind {
	RELAY_ROUTE_NONE,     /* unknown path: 404 */
	RELAY_ROUTE_CALLBACK, /* POST /cb/<key>[/<suffix>]: one till */
	RELAY_ROUTE_ACCOUNT,  /* POST /acct/<key>[/<suffix>]: every till of an account */
	RELAY_ROUTE_PULL,     /* GET /pull */
	RELAY_ROUTE_WHOAMI,   /* GET /whoami */
	RELAY_ROUTE_HEALTH,   /* GET /health */
};

struct relay_route {
	enum relay_route_kind kind;
	char key[RELAY_TOKEN_MAX + 1];	   /* the path key (callback and account) */
	char suffix[RELAY_SUFFIX_MAX + 1]; /* "" or 1-32 of [a-z0-9_-] */
};

/* Splits a request path (without the query) into a route. Keys are checked
 * for shape only (1..RELAY_TOKEN_MAX of [A-Za-z0-9_-]); the caller looks
 * them up. */
void relay_proto_route(const char *path, struct relay_route *out);

/* The token in an "Authorization: Bearer <token>" value: *tok points into
 * header; false when header is not a Bearer credential of a valid shape. */
bool relay_proto_bearer(const char *header, const char **tok, size_t *len);

struct relay_pull_args {
	int64_t offset; /* first update wanted; every earlier one is acknowledged */
	int timeout_s;	/* 0..RELAY_POLL_MAX_S */
	int limit;	/* 1..RELAY_LIMIT_MAX */
};

/* Parses the pull query values (each NULL when absent) with their defaults:
 * offset 0, timeout RELAY_POLL_DEFAULT_S, limit RELAY_LIMIT_DEFAULT. */
kstatus relay_proto_pull_args(const char *offset, const char *timeout, const char *limit,
			      struct relay_pull_args *out, struct kerr *err);

/* One stored callback as delivered to a till. */
struct relay_update {
	int64_t offset;	       /* per-till sequence number, from 1 */
	long long received_ms; /* when the relay committed it (Unix ms) */
	char suffix[RELAY_SUFFIX_MAX + 1];
	char *content_type; /* as the provider sent it, "" when none */
	char *body;	    /* exact bytes, NUL-terminated for convenience */
	size_t len;
};

/* The JSON reply to a pull: {"updates":[...],"last":N}; last is the till's
 * highest offset so far (0: none yet). Returns a malloc'd string. */
char *relay_proto_pull_reply(const struct relay_update *u, size_t n, int64_t last);

struct relay_pull_reply {
	struct relay_update *updates;
	size_t n;
	int64_t last;
};

/* Parses a pull reply (offsets must increase); fills err and returns K_INVALID
 * when it is not one. Free with relay_proto_pull_free. */
kstatus relay_proto_pull_parse(const char *text, size_t len, struct relay_pull_reply *out,
			       struct kerr *err);
void relay_proto_pull_free(struct relay_pull_reply *r);

/* Base64 (RFC 4648, with padding). encode returns a malloc'd string;
 * decode returns a malloc'd NUL-terminated buffer and its length in *len,
 * or NULL when text is not base64. */
char *relay_proto_b64_encode(const void *data, size_t len);
char *relay_proto_b64_decode(const char *text, size_t tlen, size_t *len);

#endif

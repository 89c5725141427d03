/* Shared helpers for the integration tests: libcurl calls, a sandbox, a callback listener. */
#ifndef KASSA_TEST_HARNESS_H
#define KASSA_TEST_HARNESS_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sandbox/sandbox.h"

struct hres {
	long status; /* HTTP status, 0 when no reply came */
	CURLcode rc;
	char *body;
	size_t len;
	char allow[128];
	char www_auth[256];
	long long ms; /* how long the call took */
};

/* One HTTP call. userpwd "user:password" for Basic auth or NULL. */
struct hres http_do(const char *method, const char *url, const char *content_type, const char *body,
		    size_t len, const char *userpwd, long timeout_ms);
void hres_free(struct hres *r);
/* The reply body as JSON (exact decimals kept); NULL if it is not JSON. */
json_t *hres_json(const struct hres *r);

/* Accounts used by most tests: see harness.c. */
extern const char *const TEST_ACCOUNTS;
/* Writes text to a fresh temporary file; returns its malloc'd path. */
char *write_temp(const char *text);

/* A sandbox on 127.0.0.1:0 in memory with test accounts and a fast clock (scale in millionths). */
struct sandbox *sbt_start(int64_t scale, const char *faults);
struct sandbox *sbt_start_opts(struct sandbox_options *o);
/* "http://127.0.0.1:PORT" + path into a static buffer (one per call site is enough). */
const char *sbt_url(struct sandbox *sb, const char *path);
/* POSTs a LifePay request; returns the reply JSON (never NULL: fails the test otherwise). */
json_t *lp_call(struct sandbox *sb, const char *endpoint, const char *body);
/* The reply's code, the first message of data[key] (or NULL), data.uuid (or NULL). */
int lp_code(const json_t *reply);
const char *lp_msg(const json_t *reply, const char *key);
const char *lp_uuid(const json_t *reply);
/* POST to an admin endpoint; asserts 200. */
void admin_post(struct sandbox *sb, const char *path, const char *body);
/* GET an admin endpoint as JSON (asserts 200). */
json_t *admin_get(struct sandbox *sb, const char *path);
/* Number of LifePay documents in the ledger. */
size_t ledger_count(struct sandbox *sb);
/* The ledger entry of a uuid (a new reference), or NULL. */
json_t *ledger_doc(struct sandbox *sb, const char *uuid);

/* A tiny callback receiver (libmicrohttpd) recording every POST. */
struct listener;
struct lrec {
	char *body;
	char content_type[128];
	long long at_ms;
	int answered; /* the HTTP status it answered */
};
/* Answers 500 to the first fail_first requests, 200 afterwards (fail_first < 0: always 500). */
struct listener *listener_start(int fail_first);
int listener_port(const struct listener *l);
/* "http://127.0.0.1:PORT/path" into a static buffer. */
const char *listener_url(const struct listener *l, const char *path);
size_t listener_count(struct listener *l);
/* Waits until at least n requests arrived or timeout_ms passed. */
bool listener_wait(struct listener *l, size_t n, long timeout_ms);
/* A copy of request i (free the body). */
struct lrec listener_get(struct listener *l, size_t i);
void listener_stop(struct listener *l);

/* Milliseconds on a monotonic clock. */
long long test_ms(void);
void sleep_ms(long ms);

#endif

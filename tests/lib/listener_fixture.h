/*
 * The fixture of the listener's tests (test_listener.c, test_listener_guard.c):
 * a listener on the test's loop in the main thread with a recording handler, and
 * clients (libcurl easy) in a second thread so they may block.
 */
#ifndef KASSA_TEST_LISTENER_FIXTURE_H
#define KASSA_TEST_LISTENER_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "listener.h"
#include "loop.h"

/* The handler under test: records what it was given, answers h->answer. */
struct handler {
	int calls;
	int answer;
	struct listener_reply *deferred; /* answer == LISTENER_DEFERRED: the request kept */
	char suffix[40];
	char ctype[80];
	char body[4096];
	size_t len;
	char header[80];
};

struct client {
	const char *method;
	char url[1200];
	const char *body;
	size_t len;
	bool chunked;
	size_t sent; /* for chunked uploads */
	long status;
	int curl_code;
	char reply[256];
	size_t reply_len;
	atomic_int done;
};

struct fx {
	struct loop *loop;
	struct listener *ls;
	struct handler h;
	char token[LISTENER_TOKEN_LEN + 1];
	char base[64];
};

int on_callback(void *cls, const struct listener_request *req, char *reply, size_t reply_n);
void *client_main(void *arg);
/* Serves the listener on the loop until the client finishes. */
void serve_until(struct loop *l, atomic_int *flag, long long ms);
void request(struct loop *l, struct client *c);
struct fx *fx_new(size_t body_limit, unsigned timeout_s);
void fx_free(struct fx *f);
void fx_client(struct fx *f, struct client *c, const char *method, const char *path,
	       const char *body);
/* A good callback, used after every bad request to show the listener still
 * serves. */
void assert_good_request_served(struct fx *f);
int setup_curl(void **state);
int teardown_curl(void **state);

#endif

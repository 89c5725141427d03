/*
 * The callback listener: a libmicrohttpd server in external-polling mode
 * (MHD_USE_EPOLL; the loop watches the one epoll descriptor), so callbacks
 * are served by the same poll() loop as everything else, without threads.
 *
 * Only POST /cb/<token> and POST /cb/<token>/<suffix> reach the handler
 * (suffix: 1-32 of [a-z0-9_-], e.g. "paykeeper", telling which provider
 * format to expect). Any other path is 404, another method on a callback path
 * 405, a body over the limit 413; none of these touch the handler. The token
 * is compared in constant time and never appears in any message.
 */
#ifndef KASSA_LISTENER_H
#define KASSA_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "status.h"

struct listener;

/* Length of a path token in hex digits (128 random bits). */
#define LISTENER_TOKEN_LEN 32

/* A request whose handler chose to answer later (see LISTENER_DEFERRED). */
struct listener_reply;

/* One callback request, valid only during the handler. */
struct listener_request {
	const char *suffix;       /* "" for /cb/<token>, else the part after it */
	const char *content_type; /* "" when none */
	const char *body;         /* NUL-terminated (binary bodies: use len) */
	size_t len;
	const char *remote_addr;  /* "127.0.0.1", "::1", or "" */
	void *conn;               /* for listener_request_header */
	/*
	 * Non-NULL when the handler may defer: it returns LISTENER_DEFERRED and
	 * later calls listener_answer(deferred, ...) exactly once (the
	 * connection waits, suspended, meanwhile). NULL: answer now.
	 */
	struct listener_reply *deferred;
};

/* Handler's return value: the answer comes later through listener_answer(). */
#define LISTENER_DEFERRED 0

/*
 * Handles a callback and returns the HTTP status to answer (200 only after
 * the callback is safely committed; 400 malformed, 403 bad signature, ...),
 * or LISTENER_DEFERRED when req->deferred is set and it answers later.
 * It may write a reply body (text/plain) into reply (reply_n bytes, already
 * ""); an empty reply gets a short standard text.
 */
typedef int (*listener_cb)(void *cls, const struct listener_request *req, char *reply,
			   size_t reply_n);

/* Zero means "the default" for every number. */
struct listener_options {
	const char *listen;      /* "host:port": "127.0.0.1:8080", "0.0.0.0:0", "[::1]:0" */
	const char *token;       /* LISTENER_TOKEN_LEN hex digits, see listener_new_token */
	size_t body_limit;       /* default 64 KiB; larger bodies get 413 */
	unsigned timeout_s;      /* idle connection timeout, default 10 s */
	unsigned max_connections; /* default 64 */
	listener_cb on_callback;
	void *cls;
};

/* Counters for the status bar and tests. */
struct listener_stats {
	unsigned long handled;     /* requests that reached the handler */
	unsigned long not_found;   /* 404: wrong path or token */
	unsigned long bad_method;  /* 405 */
	unsigned long too_large;   /* 413 */
	unsigned long timed_out;   /* connections closed for idleness */
};

enum listener_status {
	LISTENER_OFF,
	LISTENER_LISTENING,
	LISTENER_FAILED,
};

/* Writes a fresh random token (LISTENER_TOKEN_LEN hex digits + NUL). */
kstatus listener_new_token(char out[LISTENER_TOKEN_LEN + 1], struct kerr *err);

/* Starts listening on opt->listen; NULL with err filled when the address is
 * wrong or busy. The loop must outlive the listener. */
struct listener *listener_start(struct loop *l, const struct listener_options *opt,
				struct kerr *err);
/* Stops listening, closes every connection and frees the listener. */
void listener_stop(struct listener *ls);

/* The port actually bound (useful with port 0). */
unsigned listener_port(const struct listener *ls);
/* "<public_base>/cb/<token>" (a trailing '/' on public_base is dropped) into
 * out; false when it does not fit. Holds the secret: never log it. */
bool listener_url(const struct listener *ls, const char *public_base, char *out, size_t n);
/* The listener's state and a line for the status bar ("listening on port
 * 8080", "failed: ..."); ls may be NULL (off). */
enum listener_status listener_state(const struct listener *ls, char *buf, size_t n);
/* Copies the counters. */
void listener_get_stats(const struct listener *ls, struct listener_stats *out);
/*
 * Answers a deferred request (status, text/plain body; NULL or "" = a short
 * standard text) and lets the listener send it from the loop. rp is invalid
 * afterwards. Must be called before listener_stop().
 */
void listener_answer(struct listener_reply *rp, int status, const char *text);
/* A request header by name (case-insensitive), or NULL. */
const char *listener_request_header(const struct listener_request *req, const char *name);

#endif

/*
 * Asynchronous HTTP(S) over libcurl's multi interface, socket API, driven by
 * the one event loop. Nothing here blocks: connects, TLS, sends and receives
 * all progress from loop callbacks. Name resolution uses curl's threaded
 * resolver, an internal thread of libcurl that never touches our data.
 *
 * TLS peer and host verification are always on; there is no switch. Redirects
 * are not followed. Connections are kept alive and reused between requests.
 * At most max_in_flight requests are on the wire; the rest wait in order.
 */
#ifndef KASSA_NET_H
#define KASSA_NET_H

#include <stddef.h>

#include "loop.h"
#include "status.h"

struct net;
struct net_job;

/* Zero means "the default" for every field. */
struct net_options {
	unsigned max_in_flight;	 /* default 4 */
	long connect_timeout_ms; /* default 10000 */
	long total_timeout_ms;	 /* default 30000 (the whole request) */
	const char *user_agent;	 /* default "kassa/<version>" */
	size_t max_body;	 /* reply size cap, default 4 MiB */
	const char *ca_file;	 /* extra CA bundle; verification stays on */
};

/* An extra request header. Arrays of them end with {NULL, NULL}. */
struct net_header {
	const char *name;
	const char *value;
};

/* How a request ended, for the retry decision and the message shown. */
enum net_outcome {
	NET_OK,		 /* an HTTP reply arrived (any status: check http_status) */
	NET_ERR_RESOLVE, /* the host name did not resolve */
	NET_ERR_CONNECT, /* refused, unreachable, or the connect timed out */
	NET_ERR_TIMEOUT, /* the whole request took longer than its timeout */
	NET_ERR_TLS,	 /* TLS handshake or certificate check failed */
	NET_ERR_TOO_BIG, /* the reply was larger than max_body */
	NET_ERR_IO,	 /* the connection broke while sending or receiving */
	NET_ERR_OTHER,
};

/* What on_done receives; valid only during the callback. */
struct net_result {
	enum net_outcome outcome;
	long http_status; /* 0 without an HTTP reply */
	const char *body; /* NUL-terminated, "" when empty */
	size_t body_len;
	const char *content_type; /* the reply's Content-Type, "" when none */
	int curl_code;		  /* CURLcode, 0 on NET_OK */
	char error[256];	  /* "" on NET_OK; never holds credentials */
	long long elapsed_ms;	  /* from the first byte attempt to the end */
	long long queued_ms;	  /* time spent waiting for a free slot */
};

/* Runs from the loop when a request ends (never for a cancelled one). The
 * job is gone once this returns. */
typedef void (*net_done_cb)(void *cls, const struct net_result *res);

/* A request in full; net_post and net_get fill one for the common cases. */
struct net_request {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *content_type; /* POST; NULL = "application/json; charset=utf-8" */
	const char *body;	  /* POST body (copied) */
	size_t body_len;
	const struct net_header *headers; /* NULL or ended by {NULL, NULL} */
	const char *user;		  /* Basic auth when not NULL; never logged */
	const char *password;
	long timeout_ms; /* 0 = the net's total timeout */
};

/* A transport driven by loop l (never NULL; opt may be NULL). */
struct net *net_new(struct loop *l, const struct net_options *opt);
/* Cancels every request (without callbacks) and frees the transport. Not
 * from inside an on_done callback. */
void net_free(struct net *n);

/* Queues a request; everything in req is copied. NULL with err filled when
 * the request is malformed (no URL, unknown method). */
struct net_job *net_submit(struct net *n, const struct net_request *req, net_done_cb on_done,
			   void *cls, struct kerr *err);
/* POST body (content_type NULL = JSON, UTF-8) with optional extra headers. */
struct net_job *net_post(struct net *n, const char *url, const char *content_type, const char *body,
			 size_t len, const struct net_header *extra_headers, net_done_cb on_done,
			 void *cls);
/* GET with optional Basic auth (user NULL = none) and extra headers. */
struct net_job *net_get(struct net *n, const char *url, const char *user, const char *password,
			const struct net_header *extra_headers, net_done_cb on_done, void *cls);
/* Drops a request that has not finished; its on_done is never called. */
void net_cancel(struct net_job *job);
/* Requests queued or on the wire. */
size_t net_in_flight(const struct net *n);
/* English text for an outcome ("connection failed", ...). */
const char *net_outcome_str(enum net_outcome o);

#endif

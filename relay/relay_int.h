/* Between relay.c (batches, waiting pulls) and http.c (libmicrohttpd). */
#ifndef KASSA_RELAY_INT_H
#define KASSA_RELAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"
#include "relay_proto.h"

struct http;
struct MHD_Connection;
struct tills_set;

/* One request, alive from its headers until its connection completes. */
struct relay_req {
	struct http *http;
	struct MHD_Connection *conn;
	struct relay_route route;
	struct till *till;     /* the till of a pull or of /cb/<key> */
	struct account *acc;   /* the account of /acct/<key> */
	struct tills_set *set; /* the loaded tills file till and acc belong to (held) */
	char *content_type;
	char *body;
	size_t len, cap;
	int reject;   /* status decided from the headers */
	bool started; /* the handler saw the whole request */
	bool too_big; /* a chunked body past the limit: dropped, then 413 */
	bool suspended;
	bool answered; /* a response is queued */
	/* The answer, set by http_answer and queued when MHD calls again. */
	int status;
	char *reply;
	const char *reply_type;
	/* A pull. */
	struct relay_pull_args pull;
	long long deadline_ms;		   /* monotonic */
	int64_t last;			   /* the till's highest offset at the last fetch */
	bool parked;			   /* waiting on till->waiters */
	bool fetching;			   /* in a batch */
	struct relay_req *w_prev, *w_next; /* till->waiters */
	struct relay_req *d_prev, *d_next; /* the deadline list */
};

struct http_options {
	const char *listen;
	const char *tls_cert_pem;
	const char *tls_key_pem;
	unsigned max_connections, per_ip_limit, timeout_s;
	size_t body_limit;
};

/* Calls relay_on_request for each complete request. */
struct http *http_start(struct loop *l, const struct http_options *o, struct relay *r,
			struct kerr *err);
unsigned http_port(const struct http *h);
/* Holds the request until http_answer. */
void http_suspend(struct relay_req *q);
/* Sets the answer (takes reply, malloc'd) and sends it from the loop. */
void http_answer(struct relay_req *q, int status, const char *type, char *reply);
/* A query argument of the request, or NULL. */
const char *http_query(struct relay_req *q, const char *name);
void http_stop(struct http *h);

/* relay.c: a complete request that passed routing and limits. */
void relay_on_request(struct relay *r, struct relay_req *q);
/* relay.c: the connection is gone (unlinks a waiting pull). */
void relay_on_gone(struct relay *r, struct relay_req *q);
/* relay.c: find tills and accounts. */
struct tills *relay_tills(struct relay *r);
/* relay.c: q found its till or account in relay_tills(): keeps that set alive
 * until q is gone, whatever reloads happen meanwhile. */
void relay_bind(struct relay *r, struct relay_req *q);
/* relay.c: a token or key matched nothing. Reloads the tills file when it
 * changed since it was read (looked at most once a second); true when a new
 * set was loaded, so the lookup is worth repeating. */
bool relay_tills_missed(struct relay *r);

#endif

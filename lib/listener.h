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
	const char *suffix;	  /* "" for /cb/<token>, else the part after it */
	const char *content_type; /* "" when none */
	const char *body;	  /* NUL-terminated (binary bodies: use len) */
	size_t len;
	const char *remote_addr; /* "127.0.0.1", "::1", or "" */
	void *conn;		 /* for listener_request_header */
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
	const char *listen; /* "host:port": "127.0.0.1:8080", "0.0.0.0:0", "[::1]:0" */
	const char *token;  /* LISTENER_TOKEN_LEN hex digits, see listener_new_token */
	size_t body_limit;  /* default 64 KiB; larger bodies get 413 */
	/*
	 * Seconds a connection has to deliver one whole request (headers and
	 * body), counted from its opening or from the end of its previous
	 * request; default 5. Not an idle timer: trickled bytes do not extend it.
	 */
	unsigned timeout_s;
	/* Open connections at most, default 64; when full, the one idle longest is closed. */
	unsigned max_connections;
	/* Open connections from one address, default 8; at the cap its idle longest is closed. */
	unsigned per_ip_limit;
	/* Where to publish the health for other processes (`kassa outbox`), kept
	 * up to date every 2 s and removed at stop; NULL = nowhere. */
	const char *health_path;
	/*
	 * HTTPS: a PEM certificate (chain) file and its private key file, both or
	 * neither (NULL = plain HTTP). The key file must not be readable by group
	 * or others (mode 0600) or the listener refuses to start, naming it.
	 */
	const char *tls_cert;
	const char *tls_key;
	listener_cb on_callback;
	void *cls;
};

/* Counters for the status bar and tests. */
struct listener_stats {
	unsigned long handled;	  /* requests that reached the handler */
	unsigned long not_found;  /* 404: wrong path or token */
	unsigned long bad_method; /* 405 */
	unsigned long too_large;  /* 413 */
	unsigned long timed_out;  /* connections closed at the request deadline */
	unsigned long refused;	  /* connections closed at once: all busy, out of descriptors */
	unsigned long shed;	  /* idle connections closed to make room (address cap or total) */
	unsigned long recreated;  /* times the listen socket failed and was opened again */
};

enum listener_status {
	LISTENER_OFF,
	LISTENER_LISTENING,
	LISTENER_FAILED,
	/* Serving, but in the last 10 s it refused or shed connections, closed
	 * slow ones or had to open its listen socket again (see the reason). */
	LISTENER_DEGRADED,
};

/* The listener's health, for the status bar and `kassa outbox`. */
struct listener_health {
	enum listener_status status;
	unsigned port;
	unsigned connections; /* open now */
	unsigned max_connections;
	char reason[160]; /* why degraded or failed; "" when serving */
};

/* Writes a fresh random token (LISTENER_TOKEN_LEN hex digits + NUL). */
kstatus listener_new_token(char out[LISTENER_TOKEN_LEN + 1], struct kerr *err);

/* Starts listening on opt->listen; NULL with err filled when the address is
 * wrong or busy. The loop must outlive the listener. */
struct listener *listener_start(struct loop *l, const struct listener_options *opt,
				struct kerr *err);
/* Stops listening, closes every connection and frees the listener. */
void listener_stop(struct listener *ls);

/* True when the listener speaks HTTPS. */
bool listener_tls(const struct listener *ls);
/* The port actually bound (useful with port 0). */
unsigned listener_port(const struct listener *ls);
/* "<public_base>/cb/<token>" (a trailing '/' on public_base is dropped) into
 * out; false when it does not fit. Holds the secret: never log it. */
bool listener_url(const struct listener *ls, const char *public_base, char *out, size_t n);
/* The listener's state and a line for the status bar ("listening on port
 * 8080", "degraded on port 8080: ...", "failed: ..."); ls may be NULL (off). */
enum listener_status listener_state(const struct listener *ls, char *buf, size_t n);
/* Fills h with the listener's health; ls may be NULL (off). */
void listener_health(const struct listener *ls, struct listener_health *h);
/* Writes h to path (replaced at once, mode 0600) with this process's id and the time. */
kstatus listener_health_save(const char *path, const struct listener_health *h, struct kerr *err);
/*
 * Reads what listener_health_save() wrote: K_NOTFOUND when there is none,
 * K_IO when it cannot be read. *age_ms: how long ago it was written; *pid:
 * the process that wrote it (both may be NULL).
 */
kstatus listener_health_load(const char *path, struct listener_health *h, long long *age_ms,
			     long *pid, struct kerr *err);
/* "listening", "degraded", "failed", "off". */
const char *listener_status_word(enum listener_status s);
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

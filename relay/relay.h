/*
 * kassa-relay's server: takes provider callbacks, commits them through the
 * store before answering 200, and hands them to tills that long-poll
 * GET /pull with their Bearer token. One loop, no threads: libmicrohttpd in
 * external epoll mode with suspended connections for the waiting pulls.
 */
#ifndef KASSA_RELAY_RELAY_H
#define KASSA_RELAY_RELAY_H

#include <stddef.h>

#include "loop.h"
#include "status.h"
#include "store.h"
#include "tills.h"

struct relay_options {
	const char *listen;	/* "ADDR:PORT" */
	const char *tills_path; /* the tills file, reloaded on SIGHUP or when it changed */
	const char *public_url; /* for /whoami; NULL: none */
	const char *tls_cert;	/* PEM files; both or neither */
	const char *tls_key;
	unsigned max_connections; /* default 12000 */
	unsigned per_ip_limit;	  /* default 64; 0 in options = default, UINT_MAX = off */
	unsigned timeout_s;	  /* whole-request deadline, default 60 */
	size_t body_limit;	  /* largest callback body, default 64 KiB */
	long long retention_ms;	  /* acknowledged callbacks kept this long, default 7 days */
};

struct relay;

/* Starts serving (the store must outlive the relay); takes t, loaded from
 * opt->tills_path, and frees it (and any later set) at relay_stop. */
struct relay *relay_start(struct loop *l, struct store *s, struct tills *t,
			  const struct relay_options *opt, struct kerr *err);
/* Reads the tills file again (SIGHUP): new tills are served at once, waiting
 * pulls of kept tills stay, removed tills lose their pulls. A file that does
 * not load (mode, syntax) leaves the set in use and says why on stderr. */
void relay_reload_tills(struct relay *r, const char *why);
/* The port actually bound. */
unsigned relay_port(const struct relay *r);
/* Answers every waiting pull, lets an in-flight batch finish, stops serving
 * and frees the relay. Runs the loop until done. */
void relay_stop(struct relay *r);

#endif

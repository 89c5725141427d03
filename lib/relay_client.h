/*
 * The till's side of kassa-relay (docs/RELAY.md, "The till's loop"): pulls
 * the callbacks the relay holds for this till over an outbound long-poll on
 * the one event loop (libcurl multi through lib/net, no thread, no blocking
 * call), applies each one exactly as a direct callback (outbox_apply_relayed:
 * the same parsing, PayKeeper signature check and journal path; the history
 * names the relay as the source) and only then acknowledges it: the next
 * offset is kept in the journal (journal_kv, "relay.next.<profile>"), so a
 * restart neither loses nor skips a callback. Applying is idempotent, so one
 * delivered twice (a stop between applying and storing) changes nothing.
 *
 * Network errors and 5xx are retried after 1, 2, 4 ... 30 s; 401 stops the
 * client (relay_token is wrong: the operator is told). The token never
 * appears in a message, a log line or the journal.
 */
#ifndef KASSA_RELAY_CLIENT_H
#define KASSA_RELAY_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "status.h"

struct relay_client;

struct relay_client_options {
	/* Long-poll seconds (1-50); 0 = one pass: pull until nothing is left, then stop. */
	int poll_s;
	/* Milliseconds of one backoff "second" (tests shrink it); default 1000. */
	unsigned backoff_unit_ms;
	const char *ca_file;	 /* extra CA bundle (tests); verification stays on */
	long connect_timeout_ms; /* default 10000 */
	/* One line per notable event (never holding a secret); NULL = quiet. */
	void (*log)(void *cls, const char *line);
	void *log_cls;
};

enum relay_client_status {
	RELAY_CLIENT_CONNECTING,   /* the first pull is on its way */
	RELAY_CLIENT_CONNECTED,	   /* the last pull was answered */
	RELAY_CLIENT_RECONNECTING, /* the last pull failed; retried after a pause */
	RELAY_CLIENT_STOPPED,	   /* 401 (wrong token) or a one-pass client that finished */
};

struct relay_client_state {
	enum relay_client_status status;
	int64_t since_ms;      /* wall clock: when this status began */
	char reason[200];      /* why reconnecting or stopped; "" otherwise; never a secret */
	int64_t next;	       /* the next offset wanted (every earlier one acknowledged) */
	unsigned long applied; /* updates applied since start */
	bool caught_up;	       /* a pull came back with everything the relay had */
	bool unauthorized;     /* the relay refused relay_token */
};

/*
 * Starts pulling for profile p (relay_url and relay_token set) into the
 * journal j through ob (receive-only or the full engine); all must outlive
 * the client. NULL and err when p has no relay or the stored offset cannot
 * be read.
 */
struct relay_client *relay_client_new(struct loop *l, struct journal *j, struct outbox *ob,
				      const struct config_profile *p,
				      const struct relay_client_options *opt, struct kerr *err);
/* Cancels the pull on the wire and frees the client (NULL is fine). */
void relay_client_free(struct relay_client *rc);
/* The client's state, for the status bar and the CLI. */
void relay_client_state(const struct relay_client *rc, struct relay_client_state *out);
/* One line for the status bar: "relay ok", "relay: reconnecting 42s", "relay: wrong token". */
void relay_client_line(const struct relay_client *rc, char *buf, size_t n);

/* The journal key holding a profile's next offset ("relay.next.<profile>"). */
void relay_client_kv_key(const char *profile, char *out, size_t n);
/*
 * The next offset stored for profile p: 0 when none is stored, or when it
 * was stored for another relay_url or relay_token (a fingerprint that reveals
 * neither is kept with it). Exposed for tests.
 */
kstatus relay_client_load_next(struct journal *j, const struct config_profile *p, int64_t *next,
			       struct kerr *err);
/* Stores next for profile p (with the fingerprint). Exposed for tests. */
kstatus relay_client_save_next(struct journal *j, const struct config_profile *p, int64_t next,
			       struct kerr *err);

#endif

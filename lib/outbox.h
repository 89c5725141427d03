/*
 * The delivery engine: carries documents from the journal to the provider
 * and the provider's answers back into the journal, from loop callbacks only.
 *
 *   outbox_submit(): ext_id fixed, validated, refund checked, body built
 *   WITHOUT credentials, committed to the journal (queued) -> the sender picks
 *   due documents (queued -> sending), adds the profile's credentials at send
 *   time and posts them -> the reply decides: accepted/validated (HTTP 200,
 *   code 0), rejected (HTTP 200, code != 0: never retried), or queued again
 *   after the profile's retry schedule with the SAME ext_id (HTTP != 200,
 *   timeout, connection error, unreadable reply) -> the provider's callback
 *   reaches the listener at <public_url>/cb/<token> and is committed before
 *   200 is answered -> processed / provider retry / failed.
 *
 * Group commit: replies and callbacks are not written from the transport's
 * or the listener's callbacks; a loop prepare hook commits everything one
 * iteration produced (callbacks, request outcomes with their attempt rows,
 * and the marks queued -> sending of the next documents) in ONE journal
 * transaction, and only then answers those callbacks and sends those
 * documents (journal_apply_batch()).
 *
 * PayKeeper: Basic auth on every request, the 24-hour token fetched from
 * /info/settings/token/, cached and renewed when a POST fails for it; every
 * accepted receipt is polled (byid: first after 2 minutes, then backing off)
 * until final, because its callback is sent only once. Callbacks to
 * /cb/<token>/paykeeper are applied only with a valid signature.
 *
 * Documents (LifePay and PayKeeper) without a final status stale_after
 * (profile) after their last send are flagged for the operator
 * (outbox_replay() resends the same ext_id). LifePay envelope codes 429 and
 * 500 are retried with the same ext_id, not taken as a rejection; a data
 * rejection after an attempt that got no answer is also flagged. A callback
 * with an unknown uuid but one of our ext_ids (a lost reply) is applied by
 * its ext_id.
 */
#ifndef KASSA_OUTBOX_H
#define KASSA_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "document.h"
#include "journal.h"
#include "listener.h"
#include "loop.h"
#include "status.h"

struct outbox;

/* Zero means "the default" for every field. */
struct outbox_options {
	/*
	 * How many milliseconds one second of the profile's schedules lasts:
	 * the retry schedule, stale_after, the PayKeeper polls and the stale
	 * check. Default 1000 (real time); tests shrink it (e.g. 10).
	 */
	unsigned time_unit_ms;
	long request_timeout_ms; /* whole request; default 30000 */
	long connect_timeout_ms; /* default 10000 */
	const char *ca_file;	 /* extra CA bundle (tests); verification stays on */
	/* Callback path token (LISTENER_TOKEN_LEN hex digits); NULL = a fresh random one. */
	const char *token;
	bool no_listener; /* no callback listener: callback_url is left empty */
	/*
	 * Applies callbacks (outbox_apply_relayed) and nothing else: no listener,
	 * nothing sent, polled or flagged (a command pulling from kassa-relay).
	 */
	bool receive_only;
	size_t listener_body_limit; /* default: the listener's (64 KiB) */
	/* Receipts per bydate page when looking for one a lost reply created; default 1000. */
	size_t recover_page;
	unsigned listener_timeout_s; /* request deadline; default: the listener's (5 s) */
	/* One line per notable event (never holding a secret); NULL = quiet. */
	void (*log)(void *cls, const char *line);
	void *log_cls;
};

/* What the status bar shows. */
struct outbox_stats {
	int64_t depth;	  /* documents waiting to be delivered (queued + sending) */
	size_t in_flight; /* requests on the wire (sends, polls, token) */
	enum listener_status listener;
	char listener_text[160]; /* "listening on port 8080", "off", "failed: ..." */
	unsigned long callbacks; /* callbacks answered 200 since start */
	char last_error[256];	 /* the last delivery problem not tied to a document, or "" */
	/*
	 * The provider could not be reached at the last request (no such host,
	 * no connection, no answer in time); cleared by the next reply of any kind.
	 */
	bool offline;
	int64_t offline_since;	  /* wall clock, ms: the first failure of this outage */
	char offline_reason[256]; /* "connection failed: ...", never a secret */
};

/* Called when a document changed (0: several changed, reload everything). */
typedef void (*outbox_change_cb)(void *cls, int64_t doc_id);

/*
 * Starts the engine for profile p on journal j (both must outlive it): the
 * transport (max_in_flight from the profile), the callback listener on the
 * profile's listen address with its token (callback_url =
 * <public_url or http://listen-host:port>/cb/<token>), and resumes the
 * journal (documents left in sending go back to queued). Takes the
 * journal's sender lock first (journal_lock_sender). NULL and err when
 * another kassa sends from this journal (K_BUSY), the listener cannot start
 * or the journal cannot be resumed.
 */
struct outbox *outbox_new(struct loop *l, struct journal *j, const struct config_profile *p,
			  const struct outbox_options *opt, struct kerr *err);
/* Cancels requests in flight (they stay in the journal as sending, resumed
 * at the next start), stops the listener, frees the engine (NULL is fine). */
void outbox_free(struct outbox *ob);

/*
 * Takes a document: assigns its ext_id, fills what the profile provides and
 * the document leaves empty (target_serial, cashier, tax system, test mode),
 * sets callback_url, validates, refuses an over-refund locally, commits it to
 * the journal (queued; the stored body holds neither the credentials nor our
 * callback_url with its token: the sender adds both) and wakes the sender.
 * Returns at once with the journal id in *id. K_INVALID/K_REFUSED for bad
 * input (err names the field), K_DB when the journal refused it. Nothing is
 * sent unless K_OK is returned.
 */
kstatus outbox_submit(struct outbox *ob, struct document *d, int64_t *id, struct kerr *err);

/* Registers the change hook (NULL removes it). */
void outbox_set_listener(struct outbox *ob, outbox_change_cb on_change, void *cls);
/* Makes every queued document due now and wakes the sender. */
void outbox_flush(struct outbox *ob);
/* Operator replay of a document whose fate is unknown (journal_replay), sent now. */
kstatus outbox_replay(struct outbox *ob, int64_t id, struct kerr *err);
/* Fills the status bar counters. */
void outbox_stats(struct outbox *ob, struct outbox_stats *out);
/* Where the listener of the kassa sending from journal_path publishes its
 * health (listener_health_load): "<journal_path>-listener". */
bool outbox_health_path(const char *journal_path, char *out, size_t n);
/* The port the callback listener bound, 0 without a listener. */
unsigned outbox_listener_port(const struct outbox *ob);

/*
 * The callback token kept in the file at path (mode 0600): the one stored
 * there, or a fresh one written there. With a fixed listen port or a
 * public_url, callbacks for documents sent before a restart still arrive.
 * The token is a secret: never print it.
 */
kstatus outbox_token_load(const char *path, char out[LISTENER_TOKEN_LEN + 1], struct kerr *err);

/*
 * The listener's handler, exposed for tests: handles one callback request
 * as described above and returns the HTTP status to answer. When
 * req->deferred is set, a well-formed LifePay callback is kept for the group
 * commit instead and LISTENER_DEFERRED is returned: it is committed with the
 * others of this loop iteration before the next poll(), then answered with
 * listener_answer(). Without req->deferred it is committed and answered now.
 */
int outbox_handle_callback(struct outbox *ob, const struct listener_request *req, char *reply,
			   size_t reply_n);

/*
 * A callback pulled from kassa-relay (lib/relay_client.h), applied exactly as
 * outbox_handle_callback() applies a direct one with the same suffix and
 * Content-Type (PayKeeper signatures checked here), committed before it
 * returns; the history names the relay as the source. Returns the HTTP
 * status the listener would answer (500: not committed, pull it again).
 */
int outbox_apply_relayed(struct outbox *ob, const char *suffix, const char *content_type,
			 const char *body, size_t len, char *reply, size_t reply_n);
/* The address callbacks reach this till at ("" = none); holds the token: never log it. */
const char *outbox_callback_url(const struct outbox *ob);
/* True when documents carry a callback_url on kassa-relay (relay_url is set). */
bool outbox_uses_relay(const struct outbox *ob);

#endif

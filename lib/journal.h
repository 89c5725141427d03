/*
 * The journal and outbox: every document kassa sends, committed to SQLite
 * (WAL, synchronous=FULL) before its first byte goes on the wire, with its
 * delivery attempts, the history of its states and the raw callbacks that
 * reached us. The outbox is simply the documents in state `queued`.
 *
 * Every call is quick and local (no network); the engine drives it from the
 * event loop. Times are milliseconds since the Unix epoch, taken from the
 * journal's clock (now_ms() unless journal_set_clock() says otherwise).
 * Amounts are int64 kopecks.
 *
 * Request bodies are stored WITHOUT credentials: the caller passes the body
 * as built with empty/absent apikey and login (PayKeeper: no token) and the
 * sender adds the current profile's credentials at send time. So the journal
 * never holds a secret, and a resend after a key change uses the new key.
 * journal_enqueue() refuses a body holding a non-empty apikey, password,
 * token or secret.
 *
 * A typical send: journal_due() -> journal_mark_sending() -> (request) ->
 * journal_record_attempt() -> journal_apply_reply_ok() | _rejected() |
 * journal_schedule_retry(now + retry_delay_ms(schedule, n, doc.attempts)).
 * A crash anywhere leaves the document queued or sending; sending is resumed
 * by journal_resume_on_start() and resent with the same ext_id.
 */
#ifndef KASSA_JOURNAL_H
#define KASSA_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "document.h"
#include "provider.h"
#include "status.h"

/*
 * Document states: enum name, word stored in the journal, word for the UI,
 * final (no further change expected). provider_retry is the provider's
 * "waiting for retry": it will try again and call back, so it is not final.
 */
#define JOURNAL_STATE_INFO(_)                                                                      \
	_(QUEUED, "queued", N_("queued"), false)                                                   \
	_(SENDING, "sending", N_("sending"), false)                                                \
	_(ACCEPTED, "accepted", N_("accepted"), false)                                             \
	_(PROCESSED, "processed", N_("processed"), true)                                           \
	_(PROVIDER_RETRY, "provider_retry", N_("provider retry"), false)                           \
	_(FAILED, "failed", N_("failed"), true)                                                    \
	_(REJECTED, "rejected", N_("rejected"), true)                                              \
	_(VALIDATED, "validated", N_("validated (test)"), true)
#define JOURNAL_STATE_ENUM(name, word, label, final) JS_##name,
enum journal_state { JOURNAL_STATE_INFO(JOURNAL_STATE_ENUM) JS_COUNT };
#undef JOURNAL_STATE_ENUM
#define JS_NONE (-1) /* "from" of the first history row */

/*
 * Who caused a transition: the provider's reply, its callback, a poll, the
 * operator, the restart after a crash, or kassa itself (enqueue, send,
 * network error, stale flag).
 */
#define JOURNAL_SOURCE_INFO(_)                                                                     \
	_(CALLBACK, "callback")                                                                    \
	_(REPLY, "reply")                                                                          \
	_(POLL, "poll")                                                                            \
	_(OPERATOR, "operator")                                                                    \
	_(RESTART, "restart")                                                                      \
	_(LOCAL, "local")                                                                          \
	_(RELAY, "relay")
#define JOURNAL_SOURCE_ENUM(name, word) JSRC_##name,
enum journal_source { JOURNAL_SOURCE_INFO(JOURNAL_SOURCE_ENUM) JSRC_COUNT };
#undef JOURNAL_SOURCE_ENUM

#define JOURNAL_PROFILE_MAX 64
#define JOURNAL_WORD_MAX 32
#define JOURNAL_TEXT_MAX 320
#define JOURNAL_RECEIPT_ID_MAX 64
#define JOURNAL_FIRST_POLL_MS (2 * 60 * 1000)

struct journal;

/* What the caller knows about a new document; strings may be NULL = empty. */
struct journal_new_doc {
	const char *profile;
	enum kprovider provider;
	const char *kind;     /* doc_kind_wire(): "receipt", "z-report", ... */
	const char *type;     /* receipt_type_lifepay(): "payment", "refund", ... or "" */
	const char *ext_id;   /* required, <= EXT_ID_MAX, unique in the journal */
	const char *body;     /* the request body WITHOUT credentials (see top) */
	const char *ref_uuid; /* refunds: the original's uuid */
	int64_t total, card, cash, change;
	bool test; /* provider test mode: ends as validated */
	/* The screen's open basket is this document's: it goes in the same transaction. */
	bool clear_open_basket;
	/*
	 * Seed 002 (lib/journal_link.h), in the same transaction. A prepayment
	 * receipt: order_body (the order it will settle, a LifePay request),
	 * order_total, contact. A final receipt: settles (the prepayment
	 * receipt's id) and prepayment (its prepayment_amount).
	 */
	const char *order_body, *contact;
	int64_t order_total, settles, prepayment;
};

/* A document as stored. body is owned (NULL when not loaded: lists). */
struct journal_doc {
	int64_t id;
	char profile[JOURNAL_PROFILE_MAX];
	enum kprovider provider;
	char kind[JOURNAL_WORD_MAX];
	char type[JOURNAL_WORD_MAX];
	char ext_id[EXT_ID_MAX + 1];
	char *body;
	int64_t total, card, cash, change;
	char uuid[UUID_TEXT_MAX + 1];
	enum journal_state state;
	int64_t created_at, updated_at, next_attempt_at;
	int attempts;
	char ref_uuid[UUID_TEXT_MAX + 1];
	int last_error_code;
	char last_error_text[JOURNAL_TEXT_MAX];
	char provider_receipt_id[JOURNAL_RECEIPT_ID_MAX];
	bool flagged; /* fate unknown for too long: the operator should look */
	bool test;
};

struct journal_history_row {
	int64_t doc_id;
	int64_t at;
	int from; /* enum journal_state or JS_NONE */
	enum journal_state to;
	enum journal_source source;
	char detail[JOURNAL_TEXT_MAX];
};

struct journal_attempt_row {
	int64_t doc_id;
	int64_t at;
	int http_status;   /* 0 = no HTTP answer (timeout, connection error) */
	int provider_code; /* the envelope's code, 0 = none/ok */
	char error[JOURNAL_TEXT_MAX];
};

/*
 * Raw callbacks (table raw_callbacks). One sent again byte for byte is
 * counted on its first row, not stored again. Callbacks naming a uuid this
 * journal does not know (kept for support, and adopted when a reply names
 * the uuid later) are capped: bodies cut to JOURNAL_RAW_UNKNOWN_BODY_MAX
 * bytes, at most JOURNAL_RAW_UNKNOWN_MAX such rows (the oldest go first),
 * each kept JOURNAL_RAW_UNKNOWN_KEEP_MS at most. Worst case: about 8 MiB.
 */
#define JOURNAL_RAW_UNKNOWN_BODY_MAX 8192
#define JOURNAL_RAW_UNKNOWN_MAX 1000
#define JOURNAL_RAW_UNKNOWN_KEEP_MS (7LL * 24 * 3600 * 1000)

/* A callback (or a poll answer) as parsed by wire/ and the listener. */
struct journal_callback {
	const char *uuid;	    /* LifePay uuid or PayKeeper receipt id; required */
	enum journal_state state;   /* processed, provider_retry or failed */
	enum journal_source source; /* JSRC_CALLBACK (0, the default) or JSRC_POLL */
	int error_code;		    /* provider's error code, 0 = none */
	const char *detail;	    /* error message or ofd_url, shown in the history */
	const char *body;	    /* raw body as received (may be NULL for polls) */
	size_t body_len;
	const char *content_type;
	/* LifePay: the ext_id the callback names, or NULL; used when the uuid is unknown. */
	const char *ext_id;
};

/* What journal_apply_callback() did. */
struct journal_callback_result {
	int64_t doc_id; /* 0 when the uuid is unknown */
	bool applied;	/* a transition was written */
	int from;	/* state before (JS_NONE if unknown uuid) */
	int to;		/* state after */
	bool flagged;	/* matched by ext_id with another uuid: flagged, not applied */
};

/* One callback of a batch (journal_apply_callbacks) with its own result. */
struct journal_callback_item {
	struct journal_callback cb;
	struct journal_callback_result res;
	kstatus st;
	struct kerr err;
};

/* How a request ended, for journal_apply_outcomes(). */
enum journal_outcome_kind {
	JO_ACCEPTED, /* journal_apply_reply_ok(); without a uuid: a retry at next_attempt_at */
	JO_REJECTED, /* journal_apply_reply_rejected_flagged() */
	JO_RETRY,    /* journal_schedule_retry() */
};

struct journal_outcome {
	int64_t id;
	enum journal_outcome_kind kind;
	bool record_attempt; /* write the attempt row (http_status, provider_code, attempt_error) */
	int http_status;
	int provider_code;
	const char *attempt_error;
	const char *uuid, *receipt_id; /* JO_ACCEPTED */
	int code;		       /* JO_REJECTED */
	const char *text;	       /* JO_REJECTED */
	const char *flag_detail;       /* JO_REJECTED: non-empty = also flagged, with this row */
	int64_t next_attempt_at;       /* JO_RETRY, and JO_ACCEPTED without a uuid */
	int64_t poll_at;	       /* JO_ACCEPTED: first poll (PayKeeper), 0 = the default */
	enum journal_source source;    /* JO_RETRY */
	const char *reason;	       /* JO_RETRY */
	kstatus st;		       /* out: this outcome's own result */
	struct kerr err;	       /* out */
};

/* List filter; zero-initialise and set what you need. */
struct journal_filter {
	bool by_state;
	enum journal_state state;
	const char *kind; /* doc kind word or NULL */
	const char *text; /* prefix of ext_id, uuid or PayKeeper receipt id, or NULL */
	bool by_amount;
	int64_t amount; /* exact total in kopecks */
	int64_t since;	/* created_at >= since (ms), 0 = open */
	int64_t until;	/* created_at < until (ms), 0 = open */
	bool flagged_only;
};

/* Latest schema version this build knows. */
int journal_schema_latest(void);

/* Opens (creating if needed) the journal at path and migrates it to the latest schema. */
kstatus journal_open(const char *path, struct journal **out, struct kerr *err);
/* The path the journal was opened with. */
const char *journal_file(const struct journal *j);
/* As journal_open(), migrating only up to version (tests and tools). */
kstatus journal_open_version(const char *path, int version, struct journal **out, struct kerr *err);
/* Closes the journal (NULL is fine). */
void journal_close(struct journal *j);
/*
 * What the caller should tell the user once, or NULL: modes found looser
 * than 0600/0700 and tightened at open, or a failed Z-report backup.
 */
const char *journal_warning(const struct journal *j);
/* The schema version of an open journal. */
int journal_schema_version(struct journal *j);
/* Replaces the clock used for timestamps (tests); fn NULL restores now_ms(). */
void journal_set_clock(struct journal *j, int64_t (*fn)(void *ctx), void *ctx);
/*
 * full (the default): each commit survives power loss (synchronous=FULL).
 * false: commits survive a crash or kill -9 but maybe not power loss
 * (synchronous=NORMAL); for tests and benchmarks.
 */
kstatus journal_set_sync(struct journal *j, bool full, struct kerr *err);
/*
 * Takes the journal for this process's delivery engine: an advisory lock
 * (flock) on "<path>.lock", held until journal_close(). Only one kassa at a
 * time may send, resume and poll from a journal; readers (status, journal,
 * outbox listings) need no lock. K_BUSY, naming the other process, when
 * another kassa holds it. Calling it again on the same journal is harmless.
 */
kstatus journal_lock_sender(struct journal *j, struct kerr *err);

/* Name of a state in the journal ("provider_retry"); "?" when out of range. */
const char *journal_state_word(enum journal_state s);
/* Word for the UI (untranslated; pass through _()): "provider retry", "validated (test)". */
const char *journal_state_label(enum journal_state s);
/* True for processed, failed, rejected, validated. */
bool journal_state_final(enum journal_state s);
/* Parses a stored state word. */
bool journal_state_parse(const char *word, enum journal_state *s);
const char *journal_source_word(enum journal_source s);
bool journal_source_parse(const char *word, enum journal_source *s);

/*
 * Commits a new document in state queued (due now) with its first history
 * row, in one transaction, before anything is sent. K_EXISTS if the ext_id is
 * taken. A refund whose ref_uuid names a document of this journal is checked
 * against what is left to refund in the same transaction (K_REFUSED).
 */
kstatus journal_enqueue(struct journal *j, const struct journal_new_doc *d, int64_t *id,
			struct kerr *err);

/* Up to max ids of queued documents due at now (next_attempt_at <= now), oldest first. */
kstatus journal_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
		    struct kerr *err);
/* Earliest next_attempt_at of a queued document; K_NOTFOUND when the outbox is empty. */
kstatus journal_next_due(struct journal *j, int64_t *when, struct kerr *err);
/* Makes every queued document due now (kassa outbox --flush); n gets how many moved. */
kstatus journal_flush(struct journal *j, int64_t *n, struct kerr *err);
/* As journal_flush(), for one profile's documents only, in one statement. */
kstatus journal_flush_profile(struct journal *j, const char *profile, int64_t *n, struct kerr *err);
/* Documents waiting to be delivered (queued + sending). */
kstatus journal_outbox_depth(struct journal *j, int64_t *n, struct kerr *err);

/* queued -> sending and attempts + 1; K_REFUSED if the document is not queued. */
kstatus journal_mark_sending(struct journal *j, int64_t id, struct kerr *err);
/*
 * queued -> sending for each of ids in ONE transaction (one fsync): all are
 * committed as sending before any of them is sent. marked[i] tells which
 * were (false: not queued any more). On a journal failure none is marked.
 */
kstatus journal_mark_sending_many(struct journal *j, const int64_t *ids, size_t n, bool *marked,
				  struct kerr *err);
/* Records how one request ended (http_status 0 = no answer). */
kstatus journal_record_attempt(struct journal *j, int64_t id, int http_status, int provider_code,
			       const char *error_text, struct kerr *err);
/*
 * The provider accepted the document: sending -> accepted with its uuid
 * (PayKeeper: receipt_id, uuid may repeat it), or -> validated for a test
 * document. A repeat with the same uuid is harmless. Callbacks that arrived
 * for this uuid before the reply are applied now, in the same transaction.
 * PayKeeper documents get their first poll due JOURNAL_FIRST_POLL_MS later.
 */
kstatus journal_apply_reply_ok(struct journal *j, int64_t id, const char *uuid,
			       const char *provider_receipt_id, struct kerr *err);
/* The provider refused the data (code != 0): -> rejected with code and text; never retried. */
kstatus journal_apply_reply_rejected(struct journal *j, int64_t id, int code, const char *text,
				     struct kerr *err);
/*
 * As journal_apply_reply_rejected(), and when flag_detail is non-empty the
 * document is also flagged for the operator with a history row saying why
 * (an earlier attempt got no answer: the document may exist after all).
 */
kstatus journal_apply_reply_rejected_flagged(struct journal *j, int64_t id, int code,
					     const char *text, const char *flag_detail,
					     struct kerr *err);
/*
 * Delivery failed (HTTP != 200, timeout, connection error): back to queued,
 * due at next_attempt_at, reason kept as last_error_text.
 */
kstatus journal_schedule_retry(struct journal *j, int64_t id, int64_t next_attempt_at,
			       enum journal_source source, const char *reason, struct kerr *err);
/*
 * Applies n request outcomes (each with its attempt row) in ONE transaction.
 * Each o[i].st says how that one went (K_REFUSED: not applied, nothing
 * written but the attempt; K_PROVIDER: accepted without a uuid, queued again).
 * A journal failure rolls everything back and is returned (and set in each).
 */
kstatus journal_apply_outcomes(struct journal *j, struct journal_outcome *o, size_t n,
			       struct kerr *err);
/*
 * Stores the raw callback and applies it, in one transaction. K_NOTFOUND for
 * an unknown uuid (stored with applied = 0); a repeat of the current state
 * writes no transition (K_OK, applied false); a change after a final state is
 * refused (K_REFUSED, stored, not applied). res may be NULL.
 * An unknown uuid with a known cb->ext_id (the reply was lost): a document
 * without a uuid takes the callback's uuid and the callback is applied; one
 * with another uuid keeps its own, is flagged with both in the history and
 * the callback is not applied (K_REFUSED, res->flagged).
 */
kstatus journal_apply_callback(struct journal *j, const struct journal_callback *cb,
			       struct journal_callback_result *res, struct kerr *err);
/*
 * Applies n callbacks as journal_apply_callback() does, all in ONE
 * transaction; items[i].st/res/err get each one's result. A journal failure
 * rolls everything back and is returned (and set in each item).
 */
kstatus journal_apply_callbacks(struct journal *j, struct journal_callback_item *items, size_t n,
				struct kerr *err);
/* All the journal work of one loop iteration, for journal_apply_batch(). */
struct journal_batch {
	struct journal_callback_item *callbacks; /* applied first */
	size_t ncallbacks;
	struct journal_outcome *outcomes; /* then these */
	size_t noutcomes;
	const int64_t *mark; /* then these go queued -> sending */
	size_t nmark;
	bool *marked; /* out: nmark entries, as journal_mark_sending_many() */
};
/*
 * Group commit: the callbacks, the request outcomes and the marks of b in
 * ONE transaction (one fsync), each with its own result as in
 * journal_apply_callbacks(), journal_apply_outcomes() and
 * journal_mark_sending_many(). A journal failure rolls back everything and
 * is returned (and set in each; nothing marked).
 */
kstatus journal_apply_batch(struct journal *j, struct journal_batch *b, struct kerr *err);
/* A state change decided by a poll or the operator, with its history row. */
kstatus journal_transition(struct journal *j, int64_t id, enum journal_state to,
			   enum journal_source source, const char *detail, struct kerr *err);
/*
 * The operator replays a document whose fate is unknown, with its own ext_id:
 * -> queued, due now, flag cleared. Refused for queued/sending and for
 * processed/rejected/validated documents.
 */
kstatus journal_replay(struct journal *j, int64_t id, struct kerr *err);
/* Sets when a non-final document is next looked at (PayKeeper polls). */
kstatus journal_set_next_attempt(struct journal *j, int64_t id, int64_t at, struct kerr *err);
/* Up to max PayKeeper documents in accepted/provider_retry whose next poll is due. */
kstatus journal_poll_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
			 struct kerr *err);

/*
 * At start: documents left in sending by a crash go back to queued, due now,
 * with a history row (source restart). n (may be NULL) gets how many.
 */
kstatus journal_resume_on_start(struct journal *j, int64_t *n, struct kerr *err);
/*
 * Flags documents (LifePay and PayKeeper) still without a final status
 * (accepted or provider_retry) last sent (or replayed) more than
 * older_than_ms ago; n gets how many were newly flagged. Each gets a history
 * row (same state, source local) saying so.
 */
kstatus journal_flag_stale(struct journal *j, int64_t older_than_ms, int64_t *n, struct kerr *err);

/* One document with its body; free with journal_doc_free(). K_NOTFOUND if no such id. */
kstatus journal_get(struct journal *j, int64_t id, struct journal_doc *out, struct kerr *err);
/* The shortest ext_id or uuid beginning journal_find() looks up. */
#define JOURNAL_PREFIX_MIN 6
/*
 * Finds a document by what a person typed: a local id (digits), an ext_id, a
 * uuid or a PayKeeper receipt id, tried in that order; then the beginning
 * (JOURNAL_PREFIX_MIN characters or more) of one document's ext_id or uuid.
 */
kstatus journal_find(struct journal *j, const char *key, struct journal_doc *out, struct kerr *err);
/* Frees the body; the struct stays usable. */
void journal_doc_free(struct journal_doc *d);

/* Calls cb for each history row of a document, oldest first; cb returns false to stop. */
kstatus journal_history(struct journal *j, int64_t id,
			bool (*cb)(const struct journal_history_row *row, void *ctx), void *ctx,
			struct kerr *err);
/* Calls cb for each delivery attempt of a document, oldest first. */
kstatus journal_attempts(struct journal *j, int64_t id,
			 bool (*cb)(const struct journal_attempt_row *row, void *ctx), void *ctx,
			 struct kerr *err);
/*
 * Documents matching f (NULL = all), newest first, without bodies; limit < 0
 * = no limit. The doc passed to cb is valid only during the call; cb may call
 * other journal functions but not journal_list/journal_count.
 */
kstatus journal_list(struct journal *j, const struct journal_filter *f, int64_t limit,
		     int64_t offset, bool (*cb)(const struct journal_doc *d, void *ctx), void *ctx,
		     struct kerr *err);
/* How many documents match f (NULL = all). */
kstatus journal_count(struct journal *j, const struct journal_filter *f, int64_t *n,
		      struct kerr *err);

/*
 * What is left to refund on the payment with this uuid: its total minus the
 * totals of refunds citing it that are not rejected, failed or test
 * documents. K_NOTFOUND when the journal does not hold that payment.
 */
kstatus journal_refund_left(struct journal *j, const char *original_uuid, int64_t *left,
			    struct kerr *err);
/*
 * K_OK when a refund of amount may cite ref_uuid; K_REFUSED with a message
 * saying what is left otherwise; K_NOTFOUND when the original is unknown here.
 */
kstatus journal_check_refund(struct journal *j, const char *ref_uuid, int64_t amount,
			     struct kerr *err);

/*
 * The open basket: the one the cashier is typing, kept so a crash, kill -9
 * or power loss loses nothing (text from basket_snapshot_dump()). One per
 * journal; journal_enqueue() with clear_open_basket deletes it in the same
 * transaction as the document it became.
 */
struct journal_basket {
	char profile[JOURNAL_PROFILE_MAX];
	int lines;
	char *body; /* owned */
	int64_t updated_at;
};
/* Saves (replaces) the open basket in one small transaction; no lines or body: clears it. */
kstatus journal_basket_save(struct journal *j, const char *profile, int lines, const char *body,
			    struct kerr *err);
/* The saved open basket; K_NOTFOUND when there is none. Free with journal_basket_free(). */
kstatus journal_basket_load(struct journal *j, struct journal_basket *out, struct kerr *err);
/* Deletes the saved open basket (none is fine). */
kstatus journal_basket_clear(struct journal *j, struct kerr *err);
void journal_basket_free(struct journal_basket *b);

/*
 * Delay before the next try after `attempt` failed tries (1 = the first):
 * schedule_s[attempt - 1] seconds, the last entry repeating. NULL/0 uses the
 * default 60, 180, 300, 600.
 */
int64_t retry_delay_ms(const int64_t *schedule_s, size_t n, int attempt);

/*
 * Small named values of kassa itself (schema 6), e.g. "relay.next.<profile>":
 * get copies the value into buf (K_NOTFOUND when none); set stores it in its
 * own transaction (or the caller's). Never store a secret here.
 */
kstatus journal_kv_get(struct journal *j, const char *key, char *buf, size_t n, struct kerr *err);
kstatus journal_kv_set(struct journal *j, const char *key, const char *value, struct kerr *err);

#endif

/*
 * The sandbox engine's private parts, shared by the lib/sandbox sources and the
 * sandbox unit tests. Nothing outside lib/sandbox and tests includes this.
 */
#ifndef KASSA_SANDBOX_INTERNAL_H
#define KASSA_SANDBOX_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "document.h"
#include "sandbox/sandbox.h"
#include "status.h"

/* ---- faults.c: the --faults spec and the seeded PRNG ---- */

/* Probabilities in millionths (1000000 = always). */
struct sb_faults {
	uint32_t http500, drop, stall, callback_fail, error;
	uint32_t retry;	 /* LifePay: an "awaiting retry" callback, then the final one */
	uint32_t denied; /* LifePay: code 6095, nothing created */
	uint32_t fn3975; /* LifePay receipt: the FN refuses it (3975) */
	uint32_t pos_decline, pos_timeout; /* LifePay pos.perform=1: the terminal's outcome */
	long long stall_ms;		   /* unscaled hold time for `stall` */
};

/* Parses "http500=0.2,drop=0.1,stall=0.05:3,callback_fail=0.3,error=0.05"; "" or "none" = off. */
kstatus sandbox_faults_parse(const char *spec, struct sb_faults *f, struct kerr *err);
/* The spec text of f ("none" when all are off). */
int sandbox_faults_format(const struct sb_faults *f, char *buf, size_t n);

struct sb_prng {
	uint64_t s;
};
/* Seeds the generator; the same seed gives the same sequence. */
void sandbox_prng_seed(struct sb_prng *p, uint64_t seed);
/* Next 64 random bits (splitmix64). */
uint64_t sandbox_prng_next(struct sb_prng *p);
/* True with probability ppm millionths. */
bool sandbox_prng_chance(struct sb_prng *p, uint32_t ppm);

/* ---- accounts.c: who may log in ---- */

struct sb_printer_acc {
	char serial[64];
	bool active;
};

struct sb_lifepay_acc {
	char login[32];
	char apikey[256];
	bool cloud;	     /* cloud fiscalization enabled (6080 otherwise) */
	char tax_system[16]; /* cabinet default: osn, usn6, ... */
	struct sb_printer_acc *printers;
	size_t n_printers;
};

struct sb_paykeeper_acc {
	char user[64];
	char password[128];
	char secret[128];	/* secret word for callback signatures */
	char callback_url[256]; /* receipt callbacks go here; empty = none */
};

struct sb_accounts {
	struct sb_lifepay_acc *lp;
	size_t n_lp;
	struct sb_paykeeper_acc *pk;
	size_t n_pk;
};

/* The built-in accounts (login 70000000000, PayKeeper user sandbox). */
void sandbox_accounts_defaults(struct sb_accounts *a);
/* Loads an INI file (format in docs/SANDBOX.md); the message names file and line. */
kstatus sandbox_accounts_load(const char *path, struct sb_accounts *a, struct kerr *err);
/* The same from INI text in memory. */
kstatus sandbox_accounts_parse(const char *text, struct sb_accounts *a, struct kerr *err);
void sandbox_accounts_free(struct sb_accounts *a);
struct sb_lifepay_acc *sandbox_accounts_lifepay(const struct sb_accounts *a, const char *login);
const struct sb_printer_acc *sandbox_accounts_printer(const struct sb_lifepay_acc *acc,
						      const char *serial);
struct sb_paykeeper_acc *sandbox_accounts_paykeeper(const struct sb_accounts *a, const char *user);

/* ---- store.c: SQLite state. Not thread-safe: callers hold sb->lock. ---- */

struct sb_store;

/* One LifePay document as stored. Strings are empty when absent. */
struct sb_doc {
	long long seq;
	char uuid[40];
	char login[32];
	char ext_id[64];
	char kind[16]; /* doc_kind_wire(): receipt, non-fiscal, ... */
	char type[16]; /* payment, refund, buy, buy_refund; empty for shift documents */
	char printer[64];
	long long shift_id;
	long long shift_number;
	char tax_system[16];
	int64_t total, card, cash, change, amount;
	char *lines; /* JSON array text, owned, may be NULL */
	char ref_uuid[40];
	char status[16];  /* pending, processed, error */
	char outcome[16]; /* processed or error, decided at creation */
	long long due_ms;
	int error_code;
	char error_message[256];
	char fn[32];
	long long fd;
	char fpd[32];
	char ofd_url[256];
	char *callback_url;  /* owned, may be NULL */
	char *callback_data; /* JSON text as sent, owned, may be NULL */
	char *report;	     /* JSON object text (X/Z totals), owned, may be NULL */
	long long created_ms, final_ms;
};

struct sb_shift {
	long long id;
	char printer[64];
	long long number;
	long long opened_ms, closed_ms; /* closed_ms 0 while open */
};

struct sb_printer_state {
	char serial[64];
	char fn[32];
	long long next_fd;
	int64_t drawer;
	long long shifts; /* how many shifts were opened */
};

/* Totals of one shift, from its documents. */
struct sb_totals {
	long long count[4]; /* by receipt type: payment, refund, buy, buy_refund */
	int64_t sum[4], card[4], cash[4];
	int64_t cash_in, cash_out;
	long long documents;
};

struct sb_callback {
	long long id;
	char provider[16]; /* lifepay, paykeeper */
	char ref[64];	   /* document uuid or receipt id */
	char *url;
	char *content_type;
	char *body;
	int attempts, max_attempts;
	long long next_ms;
	char state[16]; /* pending, delivered, failed */
	char last_result[128];
};

/* A PayKeeper receipt; money in kopecks, the rest as text. */
struct sb_pk_receipt {
	long long id;
	char user[64];
	char payment_id[64];
	char type[24];
	char is_post_sale[2], is_correction[2]; /* "0" or "1" */
	char refund_id[64];
	char receipt_key[128];
	char status[16];
	char outcome[16];
	char contact[256];
	int64_t sum_cashless, sum_cash, sum_advance, sum_credit, sum_counter_payment;
	char *cart;		  /* JSON text as received, owned */
	char *receipt_properties; /* owned, may be NULL */
	char *custom_params;	  /* owned, may be NULL */
	char *error;		  /* JSON text, owned, may be NULL */
	char fn[32], fnd[32], fpd[32], ts[16], rnkkt[32], shift_number[16], receipt_number[16];
	char obtain_datetime[24], request_datetime[24];
	char fop_receipt_key[64], fop_uuid[40], fop_url[256];
	long long created_ms, next_ms;
};

kstatus sandbox_store_open(const char *path, struct sb_store **out, struct kerr *err);
void sandbox_store_close(struct sb_store *st);
/* Deletes every document, shift, receipt, token and callback. */
kstatus sandbox_store_reset(struct sb_store *st, struct kerr *err);
/* Transactions around multi-step changes. */
kstatus sandbox_store_begin(struct sb_store *st, struct kerr *err);
kstatus sandbox_store_commit(struct sb_store *st, struct kerr *err);
void sandbox_store_rollback(struct sb_store *st);

void sandbox_doc_free(struct sb_doc *d);
/* K_NOTFOUND when absent. */
kstatus sandbox_store_doc_by_ext(struct sb_store *st, const char *login, const char *ext_id,
				 struct sb_doc *d, struct kerr *err);
kstatus sandbox_store_doc_get(struct sb_store *st, const char *uuid, struct sb_doc *d,
			      struct kerr *err);
kstatus sandbox_store_doc_insert(struct sb_store *st, const struct sb_doc *d, struct kerr *err);
/* Writes the final status, fiscal attributes and error of d (by uuid). */
kstatus sandbox_store_doc_finish(struct sb_store *st, const struct sb_doc *d, struct kerr *err);
/* Sets outcome and due_ms of a pending document (the retry fault's second round). */
kstatus sandbox_store_doc_requeue(struct sb_store *st, const struct sb_doc *d, struct kerr *err);
/* Sum of totals of refunds citing ref_uuid that did not end in error. */
kstatus sandbox_store_refunded(struct sb_store *st, const char *ref_uuid, int64_t *sum,
			       struct kerr *err);
/* The oldest pending document due at or before now_ms; K_NOTFOUND if none. */
kstatus sandbox_store_doc_due(struct sb_store *st, long long now_ms, struct sb_doc *d,
			      struct kerr *err);
/* Every document as a JSON array for the ledger (refunds listed under each sale). */
json_t *sandbox_store_ledger(struct sb_store *st, struct kerr *err);

/* Printer state, created with a fresh FN number on first use. */
kstatus sandbox_store_printer(struct sb_store *st, const char *serial, struct sb_printer_state *p,
			      struct kerr *err);
kstatus sandbox_store_printer_save(struct sb_store *st, const struct sb_printer_state *p,
				   struct kerr *err);
/* The open shift of a printer; K_NOTFOUND if it is closed. */
kstatus sandbox_store_shift_open_get(struct sb_store *st, const char *serial, struct sb_shift *s,
				     struct kerr *err);
kstatus sandbox_store_shift_open(struct sb_store *st, const char *serial, long long number,
				 long long now_ms, struct sb_shift *s, struct kerr *err);
kstatus sandbox_store_shift_close(struct sb_store *st, long long id, long long now_ms,
				  struct kerr *err);
kstatus sandbox_store_shift_totals(struct sb_store *st, long long shift_id, struct sb_totals *t,
				   struct kerr *err);
/* Every shift as a JSON array. */
json_t *sandbox_store_shifts(struct sb_store *st, struct kerr *err);

void sandbox_callback_free(struct sb_callback *c);
kstatus sandbox_store_cb_add(struct sb_store *st, const struct sb_callback *c, struct kerr *err);
/* The pending callback due first at or before now_ms; K_NOTFOUND if none. */
kstatus sandbox_store_cb_due(struct sb_store *st, long long now_ms, struct sb_callback *c,
			     struct kerr *err);
/* Saves attempts, next_ms, state and last_result. */
kstatus sandbox_store_cb_save(struct sb_store *st, const struct sb_callback *c, struct kerr *err);
json_t *sandbox_store_callbacks(struct sb_store *st, struct kerr *err);
/* The earliest time any pending work (document, receipt, callback) is due; -1 if none. */
long long sandbox_store_next_due(struct sb_store *st);

void sandbox_pk_free(struct sb_pk_receipt *r);
/* Inserts r and sets r->id (ids start at 1001). */
kstatus sandbox_store_pk_insert(struct sb_store *st, struct sb_pk_receipt *r, struct kerr *err);
kstatus sandbox_store_pk_get(struct sb_store *st, long long id, struct sb_pk_receipt *r,
			     struct kerr *err);
/* Saves status, next_ms, fiscal attributes and error. */
kstatus sandbox_store_pk_save(struct sb_store *st, const struct sb_pk_receipt *r, struct kerr *err);
/* A receipt that blocks the uniqueness rule (same key fields, not rejected/failed). */
kstatus sandbox_store_pk_find_dup(struct sb_store *st, const struct sb_pk_receipt *r, long long *id,
				  struct kerr *err);
kstatus sandbox_store_pk_due(struct sb_store *st, long long now_ms, struct sb_pk_receipt *r,
			     struct kerr *err);
/* All receipts of a user, oldest first; free each and the array. */
kstatus sandbox_store_pk_all(struct sb_store *st, const char *user, struct sb_pk_receipt **out,
			     size_t *n, struct kerr *err);
/* A valid token of user at now_ms into buf; K_NOTFOUND if none. */
kstatus sandbox_store_token_get(struct sb_store *st, const char *user, long long now_ms,
				long long valid_ms, char *buf, size_t n, struct kerr *err);
kstatus sandbox_store_token_add(struct sb_store *st, const char *user, const char *token,
				long long now_ms, struct kerr *err);
/* K_OK if token belongs to user and is younger than valid_ms. */
kstatus sandbox_store_token_check(struct sb_store *st, const char *user, const char *token,
				  long long now_ms, long long valid_ms, struct kerr *err);

/* ---- sandbox.c: the engine ---- */

struct sandbox_http;

struct sandbox {
	struct sandbox_options opt;
	pthread_mutex_t lock; /* guards everything below */
	struct sb_accounts accounts;
	struct sb_store *store;
	struct sb_faults faults;
	struct sb_prng prng;
	uint64_t seed;
	long long clock_offset_ms;
	int64_t scale; /* millionths */
	bool stopping;

	pthread_cond_t wake; /* the worker waits on it (monotonic clock) */
	pthread_t worker;
	bool worker_running;
	atomic_bool worker_quit;

	pthread_mutex_t stall_lock; /* stalled replies wait here, woken on stop */
	pthread_cond_t stall_cond;

	struct sandbox_http *http;
	struct sb_bills *bills; /* bills.c, in memory; NULL until the first bill */
};

/* The sandbox's own clock: wall time plus the admin offset. Caller holds lock. */
long long sandbox_now(const struct sandbox *sb);
/* ms scaled by --time-scale (at least 1 for a positive ms). */
long long sandbox_scaled(const struct sandbox *sb, long long ms);
/* Wakes the worker (new work queued). Caller holds lock. */
void sandbox_wake(struct sandbox *sb);
/* Fills rp with a JSON body (takes ownership of j). */
void sandbox_reply_json(struct sandbox_reply *rp, int http_status, json_t *j);
/* A random lowercase UUID v4. */
void sandbox_uuid(char out[40]);
/* Writes a log line if logging is on (never secrets). */
void sandbox_log(struct sandbox *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- lifepay.c / paykeeper.c: endpoint handlers, called with lock held ---- */

/* True if path is one of cloud-print's; fills rp. */
bool sandbox_lifepay_handle(struct sandbox *sb, const struct sandbox_request *rq,
			    struct sandbox_reply *rp);
/* True if path is one of PayKeeper's; fills rp. */
bool sandbox_paykeeper_handle(struct sandbox *sb, const struct sandbox_request *rq,
			      struct sandbox_reply *rp);
/* A receipt as table 8.4.2 (byid, registry, ledger); money as exact decimals. */
json_t *sandbox_paykeeper_receipt_json(const struct sb_pk_receipt *r);
/* Moves due PayKeeper receipts one status on; queues callbacks on final ones. */
void sandbox_paykeeper_advance(struct sandbox *sb);
/* Finishes due LifePay documents and queues their callbacks. */
void sandbox_lifepay_finish_due(struct sandbox *sb);

/* ---- outcomes.c: how a LifePay document ends ---- */

/* The outcome of a new document into out: processed, error, fn3975, retry, pos-ok:N ... */
void sandbox_lifepay_outcome(struct sandbox *sb, enum doc_kind kind, const struct document *d,
			     char *out, size_t n);
/* The callback's `pos` object for a pos-* outcome, else NULL. */
json_t *sandbox_lifepay_pos_json(const char *outcome);
/* error_code and error_message of a document that ends in error, by its outcome. */
void sandbox_lifepay_set_error(struct sb_doc *r);

/* ---- tolerant.c: the non-strict reading of a LifePay request ---- */

/* Rewrites what integrations send into the client's shape (logged); see docs/SANDBOX.md. */
void sandbox_lifepay_tolerate(struct sandbox *sb, json_t *root, enum doc_kind kind);

/* ---- messages.c ---- */

/* The provider-style Russian text for a validation problem the client reported in English. */
void sandbox_message_ru(const char *field, const char *english, char *out, size_t n);

/* ---- pk_checks.c: PayKeeper fields the client's parser leaves to the provider ---- */

/* correction_type, correction_operation_date, correction_document_number; false + msg. */
bool sandbox_pk_check_correction(const char *body, size_t len, char *msg, size_t n);
/* contact: an e-mail or +79101234567 (strict: required, only that phone spelling). */
bool sandbox_pk_check_contact(const char *contact, bool strict, char *msg, size_t n);
/* receipt_properties by the client's rule (paykeeper_properties_check()); false + msg. */
bool sandbox_pk_check_properties(const char *body, size_t len, bool strict, char *msg, size_t n);

/* ---- bills.c: pay-by-link bills (/v1/bill*, /pay/N, /sandbox/bills) ---- */

struct sb_bills;
/* True if path is a bill endpoint or payment page; fills rp. */
bool sandbox_bills_handle(struct sandbox *sb, const struct sandbox_request *rq,
			  struct sandbox_reply *rp);
/* True if path is under /sandbox/bills; fills rp. */
bool sandbox_bills_admin(struct sandbox *sb, const struct sandbox_request *rq,
			 struct sandbox_reply *rp);
/* Bills paid and due become success and queue their notification. */
void sandbox_bills_advance(struct sandbox *sb);
/* Forgets every bill (keeps the notification URL). */
void sandbox_bills_reset(struct sandbox *sb);
void sandbox_bills_free(struct sandbox *sb);

/* ---- callbacks.c: the worker thread ---- */

/* Delay after attempt n (1-based) failed, unscaled; -1 after the last attempt. */
long long sandbox_callback_retry_ms(int attempt, int max_attempts);
#define SANDBOX_CALLBACK_ATTEMPTS 10
kstatus sandbox_worker_start(struct sandbox *sb, struct kerr *err);
void sandbox_worker_stop(struct sandbox *sb);

/* ---- http.c: libmicrohttpd plumbing ---- */

kstatus sandbox_http_start(struct sandbox *sb, const char *listen, struct kerr *err);
int sandbox_http_port(const struct sandbox *sb);
void sandbox_http_stop(struct sandbox *sb);

#endif

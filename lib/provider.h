/*
 * The cloud providers kassa sends to, one `const struct provider_ops` each
 * (lib/provider/<name>.c), found by provider_get(). A provider turns
 * documents into requests and replies, callbacks and polls into a
 * struct provider_outcome: it returns data and never touches the journal
 * or the job list. The outbox (lib/outbox*.c) owns the jobs, the journal
 * and the group commit, and calls providers only through this table, so the
 * include graph stays acyclic: outbox -> provider -> wire.
 *
 * A third provider takes one wire file (lib/wire/<name>.c: its shapes), one
 * provider file (lib/provider/<name>.c: its ops), one sandbox module
 * (lib/sandbox/<name>.c) and one row in KPROVIDER_INFO and the table in
 * lib/provider.c.
 */
#ifndef KASSA_PROVIDER_H
#define KASSA_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "document.h"
#include "status.h"

/* Providers: enum name, word stored in the journal and the config. */
#define KPROVIDER_INFO(_)                                                                          \
	_(LIFEPAY, "lifepay")                                                                      \
	_(PAYKEEPER, "paykeeper")
#define KPROVIDER_ENUM(name, word) KPROVIDER_##name,
enum kprovider { KPROVIDER_INFO(KPROVIDER_ENUM) KPROVIDER_COUNT };
#undef KPROVIDER_ENUM

struct config_profile;
struct net_result;
struct net_request;
struct net;
struct net_job;

/* What the provider says about one document: a send's reply, a callback or a poll. */
enum provider_verdict {
	PV_ACCEPTED,	   /* send: taken; uuid (and receipt_id) set */
	PV_REJECTED,	   /* send: refused for its data; never retried */
	PV_RETRY,	   /* send: no answer about the data; again later, same ext_id */
	PV_RETRY_NOW,	   /* send: again at once (a stale token was dropped) */
	PV_SEARCH,	   /* send: refused after an unanswered attempt: look for it first */
	PV_PENDING,	   /* status: still on its way; nothing to apply */
	PV_PROCESSED,	   /* status: fiscalized; text holds the receipt's link */
	PV_PROVIDER_RETRY, /* status: the provider retries and calls back */
	PV_FAILED,	   /* status: final failure; text says why */
};

/* The public outcome type: what the outbox journals. Strings are owned here. */
struct provider_outcome {
	enum provider_verdict verdict;
	int http_status;   /* the reply's; 0 without one */
	int provider_code; /* the envelope's code; 0 = none */
	/* PV_REJECTED: flag it when an earlier attempt got no answer (the provider may hold it). */
	bool flag_if_unanswered;
	char uuid[UUID_TEXT_MAX + 1];
	char receipt_id[64];
	char ext_id[EXT_ID_MAX + 1]; /* callbacks: the ext_id named, or "" */
	char text[400];		     /* reason, refusal or detail for the history */
};

/* A request a provider wants sent; provider_request_free() wipes and frees it. */
struct provider_request {
	const char *method; /* "GET" or "POST" */
	char *url;
	char *body; /* POST; may hold credentials */
	const char *content_type;
	const char *user, *password; /* Basic auth (the profile's strings), or NULL */
};

/* A provider's cached login token (PayKeeper's lives 24 hours). */
struct provider_token {
	char value[256];
	long long until;    /* mono_ms; 0 = none */
	unsigned gen;	    /* bumped at every renewal */
	long long retry_at; /* mono_ms: no new fetch before this after a failure */
};

/* One provider bound to a profile: what the ops need at send time. */
struct provider_ctx {
	const struct provider_ops *ops;
	const struct config_profile *p;
	const char *callback_url; /* ours (holds the listener token), or "" */
	struct provider_token token;
};

/* How a search for a document a lost reply created went. */
enum provider_search {
	PS_FOUND,   /* out is PV_ACCEPTED */
	PS_MORE,    /* a full page without it: ask for the next */
	PS_NONE,    /* the provider does not hold it */
	PS_UNKNOWN, /* could not tell (unreadable, too many pages) */
};

/* Capabilities: what the outbox and the screens may ask of a provider. */
enum {
	PROVIDER_CAP_TEST_MODE = 1u << 0,	/* a test flag that fiscalizes nothing */
	PROVIDER_CAP_POLLS = 1u << 1,		/* accepted documents are polled until final */
	PROVIDER_CAP_REGISTRY = 1u << 2,	/* its registry of receipts can be read */
	PROVIDER_CAP_DEFER_CALLBACKS = 1u << 3, /* callbacks wait for the group commit */
	/* login and apikey go in the body (else user and password, Basic auth, and a secret) */
	PROVIDER_CAP_KEY_IN_BODY = 1u << 4,
	PROVIDER_CAP_BILLS = 1u << 5, /* pay-by-link bills and transaction notifications */
	/* its cabinet holds one callback URL per account, typed by a person without our suffix */
	PROVIDER_CAP_ACCOUNT_URL = 1u << 6,
};

/* A provider's two credentials. */
struct provider_cred {
	const char *user_key, *secret_key;     /* the config's keys: "login", "apikey" */
	const char *user_label, *secret_label; /* the screens' labels (N_() text) */
	size_t user_off, secret_off;	       /* where they sit in struct config_profile */
};

/* Sending a document. */
struct provider_send_ops {
	/* The provider's rules and fields before validation (callback_url, FFD). */
	kstatus (*prepare)(const struct provider_ctx *c, struct document *d, struct kerr *err);
	/* The provider's rules on the validated document (d->resolved filled), or NULL. */
	kstatus (*check)(const struct document *d, struct kerr *err);
	/* The body the journal keeps, with no credential nor our callback token. */
	kstatus (*stored_body)(const struct provider_ctx *c, struct document *d, char **out,
			       struct kerr *err);
	/* The request for a stored body, the credentials added: the one place they go in. */
	kstatus (*request)(const struct provider_ctx *c, const char *kind, const char *stored,
			   struct provider_request *rq, struct kerr *err);
	/* What a reply means; token_gen is the token generation it was sent with. */
	void (*reply)(struct provider_ctx *c, const struct net_result *res, int attempt,
		      unsigned token_gen, struct provider_outcome *out);
	/* True when an attempt row proves the provider answered; NULL: never flag. */
	bool (*attempt_answered)(int http_status, int provider_code, const char *error);
};

/* A document's status: callbacks, polls, the stored body read back. */
struct provider_status_ops {
	/*
	 * A callback to /cb/<token>/<suffix>: 0 with out filled (a status
	 * verdict and uuid), or the HTTP status to refuse it with and msg.
	 */
	int (*callback)(const struct provider_ctx *c, const char *content_type, const char *body,
			size_t len, struct provider_outcome *out, char *msg, size_t msg_n);
	/* The stored body back into a document (the journal's detail, refunds). */
	kstatus (*decode_stored)(const char *body, enum doc_kind kind, struct document *d,
				 struct kerr *err);
	/* Polls (PROVIDER_CAP_POLLS): the request for one document, and its answer. */
	bool (*poll_request)(const struct provider_ctx *c, const char *uuid, const char *receipt_id,
			     struct provider_request *rq);
	void (*poll_reply)(const struct provider_ctx *c, const struct net_result *res,
			   struct provider_outcome *out);
};

/* The account check: a request that proves the credentials and fiscalizes nothing. */
struct provider_account_ops {
	kstatus (*request)(const struct config_profile *p, struct provider_request *rq, char *what,
			   size_t what_n, struct kerr *err);
	/* Its verdict: true when the account works; text says what the answer means. */
	bool (*verdict)(const struct config_profile *p, const struct net_result *res, char *text,
			size_t n);
};

/* Requests beside the sends (NULL without them). */
struct provider_follow_ops {
	/* The login token: the request, and storing its reply in the context. */
	kstatus (*token_request)(const struct provider_ctx *c, struct provider_request *rq,
				 struct kerr *err);
	bool (*token_reply)(struct provider_ctx *c, const struct net_result *res, char *msg,
			    size_t n);
	/* The search for a document a lost reply created: one page, and its answer. */
	bool (*search_request)(const struct provider_ctx *c, int64_t created_at, int64_t from,
			       size_t page, struct provider_request *rq);
	enum provider_search (*search_reply)(const struct provider_ctx *c,
					     const struct net_result *res, const char *ext_id,
					     size_t page, struct provider_outcome *out);
};

/* One provider: what it is, what it can, and its ops by concern. */
struct provider_ops {
	enum kprovider id;	     /* its word (provider_word()) is KPROVIDER_INFO's */
	const char *name;	     /* "LifePay", for messages */
	const char *callback_suffix; /* /cb/<token>/<suffix> */
	unsigned caps;		     /* PROVIDER_CAP_* */
	struct provider_cred cred;
	struct provider_send_ops send;
	struct provider_status_ops status;
	struct provider_account_ops account;
	struct provider_follow_ops follow;
};

/* The ops of provider id (a valid enum value). */
const struct provider_ops *provider_get(enum kprovider id);
/* The ops answering callbacks at /cb/<token>/<suffix>, or NULL; "" is LifePay's. */
const struct provider_ops *provider_by_suffix(const char *suffix);
/* The config's and the journal's word; "?" for an unknown value. */
const char *provider_word(enum kprovider id);
/* Parses a word ("lifepay", "paykeeper"); false for an unknown one. */
bool provider_parse(const char *word, enum kprovider *id);
/* The profile's credentials, as its provider names them (login/apikey, user/password). */
const char *provider_user(const struct config_profile *p);
const char *provider_secret(const struct config_profile *p);
/* K_INVALID naming the field when the profile lacks a credential sending needs. */
kstatus provider_check_profile(const struct config_profile *p, struct kerr *err);

/* True when provider id has every capability in caps. */
bool provider_can(enum kprovider id, unsigned caps);

/* Fills a net request from rq (pointers into rq). */
void provider_request_net(const struct provider_request *rq, struct net_request *out);
/* Wipes the body (it may hold credentials) and frees rq's strings. */
void provider_request_free(struct provider_request *rq);
/* "<base_url><path>" into rq->url (malloc'd). */
void provider_request_url(struct provider_request *rq, const char *base, const char *path,
			  const char *query);

/*
 * The days (YYYY-MM-DD) a search for a document a lost reply created
 * covers: from the day before it was created to the day after now.
 */
void provider_search_days(int64_t created_at_ms, time_t now, char start[11], char end[11]);

/* True while the context's cached token is fresh. */
bool provider_token_valid(const struct provider_ctx *c);

/*
 * The account check of profile p, started on n: done is called with the
 * reply (read it with provider_check_verdict). what (may be NULL) says what
 * is asked. NULL with err when the request cannot be made.
 */
struct net_job *provider_check_account(struct net *n, const struct config_profile *p,
				       void (*done)(void *cls, const struct net_result *res),
				       void *cls, char *what, size_t what_n, struct kerr *err);
/* The verdict of an account check's reply: true when the account works. */
bool provider_check_verdict(const struct config_profile *p, const struct net_result *res,
			    char *text, size_t n);

#endif

/*
 * The delivery engine's insides, shared by its files (not a public API):
 * outbox.c (jobs, sends, the group commit, life cycle), outbox_follow.c
 * (token, polls and searches a provider asks for), outbox_callback.c
 * (callbacks) and outbox_submit.c (taking documents). Providers are reached
 * only through struct provider_ctx (lib/provider.h).
 */
#ifndef KASSA_OUTBOX_INT_H
#define KASSA_OUTBOX_INT_H

#include "net.h"
#include "outbox.h"
#include "provider.h"

/* Ids fetched per look at the outbox; foreign profiles' documents are skipped. */
#define DUE_WINDOW 256
/* Polls of an accepted document: from 2 minutes, doubling-ish, up to 30. */
#define POLL_MIN_S 120
#define POLL_MAX_S 1800

enum job_kind { JOB_SEND, JOB_POLL, JOB_TOKEN, JOB_RECOVER };

struct job {
	struct outbox *ob;
	enum job_kind kind;
	int64_t doc_id;
	int attempt;	    /* delivery attempts including this one */
	unsigned token_gen; /* the token generation this send used */
	char ext_id[EXT_ID_MAX + 1];
	char refusal[320];  /* JOB_RECOVER: the refusal, applied when nothing is found */
	int64_t created_at; /* JOB_RECOVER: the document's, where the search starts */
	bool barrier;	    /* JOB_SEND of a shift document: nothing else goes beside it */
	int64_t from;	    /* JOB_RECOVER: the page's first row */
	struct net_job *nj;
	long long started; /* mono_ms */
	struct job *next;
};

/* A request's outcome waiting for the group commit; strings owned here. */
struct outcome {
	struct journal_outcome o;
	char uuid[UUID_TEXT_MAX + 1];
	char receipt_id[JOURNAL_RECEIPT_ID_MAX];
	char text[400];
	long long delay; /* JO_RETRY: for the log */
};

/* A callback waiting for the group commit, its connection suspended. */
struct cb_pending {
	struct journal_callback_item it;
	struct listener_reply *reply;
	char uuid[UUID_TEXT_MAX + 1];
	char ext_id[EXT_ID_MAX + 1];
	char detail[JOURNAL_TEXT_MAX];
	char content_type[128];
	char *body;
};

struct outbox {
	struct loop *loop;
	struct journal *j;
	struct config_profile p;
	struct outbox_options opt;
	long long unit; /* ms per schedule second */
	struct net *net;
	struct listener *ls;
	char token[LISTENER_TOKEN_LEN + 1];
	char callback_url[CALLBACK_URL_MAX + 1];
	/* The profile's provider, its token cache included. */
	struct provider_ctx prov;
	outbox_change_cb on_change;
	void *change_cls;
	struct job *jobs;
	size_t njobs;
	uint64_t tick_timer, kick_timer, stale_timer;
	/* Other profiles' documents in the same journal: never ours to send. */
	int64_t *foreign;
	size_t nforeign;
	unsigned long callbacks;
	char last_error[256];
	/*
	 * Group commit: outcomes of requests and callbacks that completed in
	 * this loop iteration, committed together by commit_iteration() before
	 * the next poll (one fsync for all of them).
	 */
	struct outcome *outcomes;
	size_t noutcomes, outcomes_cap;
	struct cb_pending *cbs;
	size_t ncbs, cbs_cap;
	bool pump_wanted;     /* look for due documents at the next commit_iteration() */
	long long flushed_at; /* mono_ms of the last outbox_flush() */
	/* The provider could not be reached at the last request (outbox_stats). */
	bool offline;
	int64_t offline_since; /* wall clock, ms */
	char offline_reason[256];
	/* Who delivers the callback being handled: the listener or kassa-relay. */
	enum journal_source cb_source;
};

void ob_log(struct outbox *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ob_notify(struct outbox *ob, int64_t id);
void ob_set_last_error(struct outbox *ob, const char *text);
/* Marks the provider reachable or not by a request's result. */
void ob_note_reach(struct outbox *ob, const struct net_result *res);
long long ob_scaled_s(const struct outbox *ob, int64_t seconds);
size_t ob_capacity(const struct outbox *ob);
/* The sender looks at the outbox before the next poll(). */
void ob_kick(struct outbox *ob);

struct job *ob_job_new(struct outbox *ob, enum job_kind kind, int64_t doc_id);
void ob_job_unlink(struct outbox *ob, struct job *jb);
bool ob_job_exists(const struct outbox *ob, enum job_kind kind, int64_t doc_id);
/* Sends rq for jb (done gets jb); false (jb unlinked, not freed) when it cannot go. */
bool ob_job_send(struct outbox *ob, struct job *jb, struct provider_request *rq, net_done_cb done,
		 struct kerr *err);
bool ob_is_foreign(const struct outbox *ob, int64_t id);
void ob_add_foreign(struct outbox *ob, int64_t id);

/* Request outcomes for the group commit. */
void ob_retry_later(struct outbox *ob, const struct job *jb, int http_status, int provider_code,
		    bool now, const char *reason);
void ob_rejected(struct outbox *ob, const struct job *jb, int code, const char *text, bool flag);
void ob_accepted(struct outbox *ob, const struct job *jb, const char *uuid, const char *receipt_id);

/* outbox_follow.c: what the provider asks for beside the sends. */
bool ob_need_token(struct outbox *ob);
void ob_start_search(struct outbox *ob, struct job *sent, const char *refusal);
void ob_start_polls(struct outbox *ob);

/* outbox_callback.c */
/* The callback listener with its token, and callback_url from it. */
kstatus ob_start_listener(struct outbox *ob, const struct outbox_options *opt, struct kerr *err);
int ob_callback_answer(struct outbox *ob, const struct journal_callback *jc, kstatus st,
		       const struct journal_callback_result *res, const struct kerr *e, char *reply,
		       size_t reply_n);
/* Applies a status outcome (a callback or a poll) now; K_NOTFOUND for PV_PENDING. */
kstatus ob_apply_status(struct outbox *ob, const struct provider_outcome *pc,
			enum journal_source source, const char *body, size_t len,
			const char *content_type, struct journal_callback_result *res,
			struct kerr *err);

#endif

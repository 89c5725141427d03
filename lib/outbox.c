/*
 * The delivery engine (see outbox.h). Everything here runs from loop
 * callbacks: a periodic tick and an immediate "kick" run the sender, the
 * transport reports replies through on_*_done, the listener hands callbacks
 * to outbox_handle_callback. Every state change goes through the journal,
 * which commits it before we act on it or answer anybody.
 */
#include "outbox.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "bill.h"
#include "errors.h"
#include "guard.h"
#include "i18n.h"
#include "jsonx.h"
#include "net.h"
#include "relay_proto.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay.h"
#include "wire/paykeeper.h"

/* Ids fetched per look at the outbox; foreign profiles' documents are skipped. */
#define DUE_WINDOW 256
/* The PayKeeper token lives 24 hours; renew it a little earlier. */
#define PK_TOKEN_LIFE_MS (23LL * 3600 * 1000)
/* Polls of an accepted PayKeeper receipt: from 2 minutes, doubling-ish, up to 30. */
#define POLL_MIN_S 120
#define POLL_MAX_S 1800
#define STALE_CHECK_S 60

enum job_kind { JOB_SEND, JOB_POLL, JOB_TOKEN, JOB_RECOVER };

struct job {
	struct outbox *ob;
	enum job_kind kind;
	int64_t doc_id;
	int attempt;	    /* delivery attempts including this one */
	unsigned token_gen; /* the PayKeeper token generation this send used */
	char ext_id[EXT_ID_MAX + 1];
	char refusal[320]; /* JOB_RECOVER: the refusal, applied when nothing is found */
	int64_t created_at; /* JOB_RECOVER: the document's, where the search starts */
	bool barrier;	    /* JOB_SEND of a shift document: nothing else goes beside it */
	int64_t from;	    /* JOB_RECOVER: the page's first row */
	struct net_job *nj;
	long long started; /* mono_ms */
	struct job *next;
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
	outbox_change_cb on_change;
	void *change_cls;
	struct job *jobs;
	size_t njobs;
	uint64_t tick_timer, kick_timer, stale_timer;
	/* Other profiles' documents in the same journal: never ours to send. */
	int64_t *foreign;
	size_t nforeign;
	/* PayKeeper's 24-hour token: cached, renewed when a POST fails for it. */
	char pk_token[256];
	long long pk_token_until; /* mono_ms */
	unsigned pk_token_gen;
	long long pk_token_retry_at; /* mono_ms: no new fetch before this after a failure */
	unsigned long callbacks;
	char last_error[256];
	/*
	 * Group commit: outcomes of requests and callbacks that completed in
	 * this loop iteration, committed together by on_prepare() before the
	 * next poll (one fsync for all of them).
	 */
	struct outcome *outcomes;
	size_t noutcomes, outcomes_cap;
	struct cb_pending *cbs;
	size_t ncbs, cbs_cap;
	bool pump_wanted; /* look for due documents at the next commit_iteration() */
	long long flushed_at; /* mono_ms of the last outbox_flush() */
	/* The provider could not be reached at the last request (outbox_stats). */
	bool offline;
	int64_t offline_since; /* wall clock, ms */
	char offline_reason[256];
	/* Who delivers the callback being handled: the listener or kassa-relay. */
	enum journal_source cb_source;
};

/* A request's outcome waiting for the group commit; strings owned here. */
struct outcome {
	struct journal_outcome o;
	char uuid[UUID_TEXT_MAX + 1];
	char receipt_id[JOURNAL_RECEIPT_ID_MAX];
	char text[400];
	long long delay; /* JO_RETRY: for the log */
};

/* A LifePay callback waiting for the group commit, its connection suspended. */
struct cb_pending {
	struct journal_callback_item it;
	struct listener_reply *reply;
	char uuid[UUID_TEXT_MAX + 1];
	char ext_id[EXT_ID_MAX + 1];
	char detail[JOURNAL_TEXT_MAX];
	char content_type[128];
	char *body;
};

static void logf_(struct outbox *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(struct outbox *ob, const char *fmt, ...)
{
	if (!ob->opt.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ob->opt.log(ob->opt.log_cls, line);
}

static void notify(struct outbox *ob, int64_t id)
{
	if (ob->on_change)
		ob->on_change(ob->change_cls, id);
}

static void set_last_error(struct outbox *ob, const char *text)
{
	str_copy(ob->last_error, text, sizeof ob->last_error);
	logf_(ob, "%s", text);
}

/*
 * Whether the provider can be reached: a request that found no host, no
 * connection or no answer in time marks the engine offline with the reason;
 * any HTTP reply (whatever its status) clears the mark.
 */
static void note_reach(struct outbox *ob, const struct net_result *res)
{
	switch (res->outcome) {
	case NET_OK:
		if (ob->offline)
			logf_(ob, "the provider answers again");
		ob->offline = false;
		ob->offline_reason[0] = '\0';
		break;
	case NET_ERR_RESOLVE:
	case NET_ERR_CONNECT:
	case NET_ERR_TIMEOUT:
	case NET_ERR_IO:
		if (!ob->offline)
			ob->offline_since = now_ms();
		ob->offline = true;
		snprintf(ob->offline_reason, sizeof ob->offline_reason, "%s%s%.200s",
			 net_outcome_str(res->outcome), res->error[0] ? ": " : "", res->error);
		break;
	default:
		break; /* TLS, a reply too big: the host answered, something else is wrong */
	}
}

static long long scaled_s(const struct outbox *ob, int64_t seconds)
{
	return (long long)seconds * ob->unit;
}

/* ---- the job list ---- */

static struct job *job_new(struct outbox *ob, enum job_kind kind, int64_t doc_id)
{
	struct job *jb = xcalloc(1, sizeof *jb);
	jb->ob = ob;
	jb->kind = kind;
	jb->doc_id = doc_id;
	jb->started = mono_ms();
	jb->next = ob->jobs;
	ob->jobs = jb;
	ob->njobs++;
	return jb;
}

static void job_unlink(struct outbox *ob, struct job *jb)
{
	for (struct job **pp = &ob->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == jb) {
			*pp = jb->next;
			ob->njobs--;
			return;
		}
	}
}

static bool job_exists(const struct outbox *ob, enum job_kind kind, int64_t doc_id)
{
	for (const struct job *jb = ob->jobs; jb; jb = jb->next)
		if (jb->kind == kind && jb->doc_id == doc_id)
			return true;
	return false;
}

static bool is_foreign(const struct outbox *ob, int64_t id)
{
	for (size_t i = 0; i < ob->nforeign; i++)
		if (ob->foreign[i] == id)
			return true;
	return false;
}

static void add_foreign(struct outbox *ob, int64_t id)
{
	ob->foreign = xrealloc(ob->foreign, (ob->nforeign + 1) * sizeof *ob->foreign);
	ob->foreign[ob->nforeign++] = id;
}

static size_t capacity(const struct outbox *ob)
{
	return ob->p.max_in_flight > 0 ? (size_t)ob->p.max_in_flight : 4;
}

static void kick(struct outbox *ob);
static void commit_iteration(struct outbox *ob, bool may_send);
static int callback_answer(struct outbox *ob, const struct journal_callback *jc, kstatus st,
			   const struct journal_callback_result *res, const struct kerr *e,
			   char *reply, size_t reply_n);

/* ---- delivery outcomes ---- */

static struct outcome *outcome_add(struct outbox *ob, const struct job *jb,
				   enum journal_outcome_kind kind)
{
	if (ob->noutcomes == ob->outcomes_cap) {
		ob->outcomes_cap = ob->outcomes_cap ? ob->outcomes_cap * 2 : 16;
		ob->outcomes = xrealloc(ob->outcomes, ob->outcomes_cap * sizeof *ob->outcomes);
	}
	struct outcome *oc = &ob->outcomes[ob->noutcomes++];
	memset(oc, 0, sizeof *oc);
	oc->o.id = jb->doc_id;
	oc->o.kind = kind;
	oc->o.record_attempt = true;
	/* The string pointers are set at the flush: the array may move until then. */
	oc->o.next_attempt_at =
	    now_ms() + retry_delay_ms(ob->p.retry_schedule, ob->p.retry_count, jb->attempt) *
			   ob->unit / 1000;
	return oc;
}

static bool outcome_pending(const struct outbox *ob, int64_t id)
{
	for (size_t i = 0; i < ob->noutcomes; i++)
		if (ob->outcomes[i].o.id == id)
			return true;
	return false;
}

/*
 * A failed delivery: recorded, then queued again after the schedule, same
 * ext_id. Like every request outcome it is committed by the group commit
 * before the next poll (nobody is answered on the strength of a reply).
 */
static void retry_later(struct outbox *ob, const struct job *jb, int http_status, int provider_code,
			bool now, const char *reason)
{
	/* A request already on the wire at outbox_flush() is flushed too. */
	if (jb->started <= ob->flushed_at)
		now = true;
	struct outcome *oc = outcome_add(ob, jb, JO_RETRY);
	oc->o.http_status = http_status;
	oc->o.provider_code = provider_code;
	str_copy(oc->text, reason, sizeof oc->text);
	oc->delay = now ? 0
			: retry_delay_ms(ob->p.retry_schedule, ob->p.retry_count, jb->attempt) *
			      ob->unit / 1000;
	oc->o.next_attempt_at = now_ms() + oc->delay;
	oc->o.source = http_status ? JSRC_REPLY : JSRC_LOCAL;
}

struct unanswered_ctx {
	int rows;
	bool unknown;
};

static bool on_attempt_row(const struct journal_attempt_row *row, void *cls)
{
	struct unanswered_ctx *c = cls;
	c->rows++;
	/* A failed token step sent nothing (see token_failed()). */
	if (strncmp(row->error, "PayKeeper token", 15) == 0)
		return true;
	/* Only "too many requests" says for sure that nothing was taken. */
	if (row->http_status != 200 || (row->provider_code != 0 && row->provider_code != 429))
		c->unknown = true;
	return true;
}

/*
 * True when an earlier attempt of this document got no answer we can trust
 * (timeout, connection error, HTTP != 200, an internal error, or a send that
 * a stop left without any recorded outcome): the provider may hold it.
 */
static bool earlier_unanswered(struct outbox *ob, const struct job *jb)
{
	if (jb->attempt <= 1)
		return false;
	struct unanswered_ctx c = {0};
	if (journal_attempts(ob->j, jb->doc_id, on_attempt_row, &c, NULL) != K_OK)
		return true;
	return c.unknown || c.rows < jb->attempt - 1;
}

#define UNANSWERED_DETAIL                                                                          \
	"an earlier attempt got no answer: the document may exist at the provider; check the "   \
	"cabinet before selling again"

static void rejected(struct outbox *ob, const struct job *jb, int code, const char *text)
{
	struct outcome *oc = outcome_add(ob, jb, JO_REJECTED);
	oc->o.http_status = 200;
	oc->o.provider_code = code;
	oc->o.code = code;
	str_copy(oc->text, text, sizeof oc->text);
	if (ob->p.provider == KPROVIDER_LIFEPAY && earlier_unanswered(ob, jb))
		oc->o.flag_detail = UNANSWERED_DETAIL;
}

static void accepted(struct outbox *ob, const struct job *jb, const char *uuid,
		     const char *receipt_id)
{
	struct outcome *oc = outcome_add(ob, jb, JO_ACCEPTED);
	oc->o.http_status = 200;
	str_copy(oc->uuid, uuid ? uuid : "", sizeof oc->uuid);
	str_copy(oc->receipt_id, receipt_id ? receipt_id : "", sizeof oc->receipt_id);
	if (ob->p.provider == KPROVIDER_PAYKEEPER)
		oc->o.poll_at = now_ms() + scaled_s(ob, POLL_MIN_S);
}

/* Logs what the group commit did with one outcome. */
static void outcome_log(struct outbox *ob, const struct outcome *oc)
{
	const struct journal_outcome *o = &oc->o;
	int64_t id = o->id;
	if (o->st == K_PROVIDER) {
		logf_(ob, "document #%" PRId64 ": %s; next try with the same ext_id", id,
		      o->err.text);
		return;
	}
	if (o->st != K_OK) {
		logf_(ob, "document #%" PRId64 ": outcome not recorded: %s", id, o->err.text);
		return;
	}
	switch (o->kind) {
	case JO_ACCEPTED:
		logf_(ob, "document #%" PRId64 ": accepted%s%s", id, oc->uuid[0] ? ", uuid " : "",
		      oc->uuid);
		break;
	case JO_REJECTED:
		logf_(ob, "document #%" PRId64 ": rejected by the provider (code %d)%s", id, o->code,
		      o->flag_detail ? "; flagged: an earlier attempt got no answer" : "");
		break;
	case JO_RETRY:
		logf_(ob, "document #%" PRId64 ": %s; next try in %lld ms with the same ext_id", id,
		      oc->text, oc->delay);
		break;
	}
}


/* A rejection text with the per-field errors, so the cashier sees what to fix. */
static void lifepay_reject_text(const struct lifepay_reply *r, char *buf, size_t n)
{
	size_t used = (size_t)snprintf(buf, n, "%s", r->message);
	for (size_t i = 0; i < r->n_field_errors && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "; " : "",
					 r->field_errors[i]);
	if (!buf[0]) {
		char d[256];
		errors_describe(r->code, NULL, false, d, sizeof d);
		str_copy(buf, d, n);
	}
}

/*
 * A LifePay code that says nothing about the document's data: the table's
 * retry_later codes (429: not taken, try later) and 500 (an internal error:
 * the document may well exist; the same ext_id finds it without a double).
 */
static bool lifepay_code_retryable(int code)
{
	const struct provider_error *pe = errors_lookup(code);
	return (pe && pe->retry_later) || code == 500;
}

static bool looks_like_token_problem(const char *msg)
{
	char low[512];
	size_t i = 0;
	for (; msg[i] && i + 1 < sizeof low; i++)
		low[i] = (msg[i] >= 'A' && msg[i] <= 'Z') ? (char)(msg[i] - 'A' + 'a') : msg[i];
	low[i] = '\0';
	return strstr(low, "token") || strstr(low, "токен") || strstr(low, "Токен");
}

static void start_recover(struct outbox *ob, struct job *sent, const char *refusal);

static void on_send_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	note_reach(ob, res);
	job_unlink(ob, jb);
	char reason[384];
	if (res->outcome != NET_OK) {
		snprintf(reason, sizeof reason, "%s%s%s", net_outcome_str(res->outcome),
			 res->error[0] ? ": " : "", res->error);
		retry_later(ob, jb, 0, 0, false, reason);
		goto out;
	}
	if (ob->p.provider == KPROVIDER_LIFEPAY) {
		struct lifepay_reply r;
		struct kerr e = {0};
		kstatus st = wire_lifepay_parse_reply(res->body, res->body_len, &r, &e);
		if (res->http_status != 200) {
			snprintf(reason, sizeof reason, "HTTP %ld%s%.200s", res->http_status,
				 st == K_OK && r.message[0] ? ": " : "",
				 st == K_OK ? r.message : "");
			retry_later(ob, jb, (int)res->http_status, st == K_OK ? r.code : 0, false,
				    reason);
		} else if (st != K_OK) {
			snprintf(reason, sizeof reason, "unreadable reply: %s", e.text);
			retry_later(ob, jb, 200, 0, false, reason);
		} else if (r.code == 0) {
			accepted(ob, jb, r.uuid, NULL);
		} else if (lifepay_code_retryable(r.code)) {
			/* Not an answer about the data: ask again later, same ext_id. */
			snprintf(reason, sizeof reason, "code %d: %.300s", r.code,
				 r.message[0] ? r.message : "provider busy or failing");
			retry_later(ob, jb, 200, r.code, false, reason);
		} else {
			lifepay_reject_text(&r, reason, sizeof reason);
			rejected(ob, jb, r.code, reason);
		}
	} else {
		if (res->http_status == 401 || res->http_status == 403) {
			ob->pk_token_until = 0;
		}
		if (res->http_status != 200) {
			snprintf(reason, sizeof reason, "HTTP %ld", res->http_status);
			retry_later(ob, jb, (int)res->http_status, 0, false, reason);
			goto out;
		}
		int64_t rid = 0;
		struct kerr e = {0};
		kstatus st = paykeeper_parse_print_reply(res->body, res->body_len, &rid, &e);
		if (st == K_OK) {
			char idtext[32];
			snprintf(idtext, sizeof idtext, "%" PRId64, rid);
			accepted(ob, jb, idtext, idtext);
		} else if (st == K_PROVIDER && looks_like_token_problem(e.text) &&
			   jb->token_gen == ob->pk_token_gen) {
			/* The cached token expired early: fetch a new one and send again now. */
			ob->pk_token_until = 0;
			snprintf(reason, sizeof reason, "token refused, renewing it: %s", e.text);
			retry_later(ob, jb, 200, 0, true, reason);
		} else if (st == K_PROVIDER && jb->attempt > 1) {
			/*
			 * An earlier attempt got no answer, so PayKeeper may hold the
			 * receipt already and refuse this one as a repeat of its
			 * receipt_key: look for it before calling this a rejection.
			 */
			start_recover(ob, jb, e.text);
		} else if (st == K_PROVIDER) {
			rejected(ob, jb, 0, e.text);
		} else {
			snprintf(reason, sizeof reason, "unreadable reply: %s", e.text);
			retry_later(ob, jb, 200, 0, false, reason);
		}
	}
out:
	notify(ob, jb->doc_id);
	free(jb);
	kick(ob);
}

/* ---- sending ---- */

/* The stored LifePay body plus the profile's credentials; NULL if the body is unreadable. */
static char *lifepay_body(const struct outbox *ob, const char *stored, struct kerr *err)
{
	json_t *root = jsonx_loads(stored, strlen(stored), err);
	if (!root)
		return NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		kerr_set(err, K_INVALID, "body", "the stored request is not a JSON object");
		return NULL;
	}
	json_object_set_new(root, "apikey", json_string(ob->p.apikey));
	json_object_set_new(root, "login", json_string(ob->p.login));
	/* Its token is a secret too; a resend after a restart names today's listener. */
	if (ob->callback_url[0])
		json_object_set_new(root, "callback_url", json_string(ob->callback_url));
	char *text = jsonx_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

static bool pk_token_valid(const struct outbox *ob)
{
	return ob->pk_token[0] && mono_ms() < ob->pk_token_until;
}

/*
 * The token step failed: every due document of this profile gets an attempt
 * with the reason (issue 11: a TLS error or a 401 left no trace without -v)
 * and its next try by the retry schedule, as a failed send would.
 */
static void token_failed(struct outbox *ob, int http_status, const char *msg)
{
	int64_t ids[DUE_WINDOW];
	size_t n = 0;
	struct kerr e = {0};
	if (journal_due(ob->j, now_ms(), ids, DUE_WINDOW, &n, &e) != K_OK) {
		set_last_error(ob, e.text);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (is_foreign(ob, ids[i]) || job_exists(ob, JOB_SEND, ids[i]))
			continue;
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(ob->j, ids[i], &d, &e) != K_OK)
			continue;
		bool ours = strcmp(d.profile, ob->p.name) == 0 && d.provider == ob->p.provider;
		journal_doc_free(&d);
		if (!ours || journal_mark_sending(ob->j, ids[i], &e) != K_OK)
			continue;
		int64_t delay = retry_delay_ms(ob->p.retry_schedule, ob->p.retry_count,
					       d.attempts + 1) *
				ob->unit / 1000;
		if (journal_record_attempt(ob->j, ids[i], http_status, 0, msg, &e) != K_OK ||
		    journal_schedule_retry(ob->j, ids[i], now_ms() + delay, JSRC_LOCAL, msg, &e) !=
			K_OK)
			set_last_error(ob, e.text);
		notify(ob, ids[i]);
	}
}

static void on_token_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	note_reach(ob, res);
	job_unlink(ob, jb);
	free(jb);
	char msg[320];
	if (res->outcome != NET_OK) {
		/* The reason (a certificate problem, a refused connection) goes with it. */
		snprintf(msg, sizeof msg, "PayKeeper token: %s%s%.200s",
			 net_outcome_str(res->outcome), res->error[0] ? ": " : "", res->error);
	} else if (res->http_status != 200) {
		snprintf(msg, sizeof msg, "PayKeeper token: HTTP %ld%s", res->http_status,
			 res->http_status == 401 ? " (check user and password of the profile)"
						 : "");
	} else {
		struct kerr e = {0};
		char tok[sizeof ob->pk_token];
		if (paykeeper_parse_token(res->body, res->body_len, tok, sizeof tok, &e) == K_OK &&
		    tok[0]) {
			str_copy(ob->pk_token, tok, sizeof ob->pk_token);
			explicit_bzero(tok, sizeof tok);
			ob->pk_token_until = mono_ms() + PK_TOKEN_LIFE_MS;
			ob->pk_token_gen++;
			ob->last_error[0] = '\0';
			logf_(ob, "PayKeeper token renewed");
			kick(ob);
			return;
		}
		explicit_bzero(tok, sizeof tok);
		snprintf(msg, sizeof msg, "PayKeeper token: %.280s", e.text[0] ? e.text : "empty");
	}
	set_last_error(ob, msg);
	ob->pk_token_retry_at = mono_ms() + scaled_s(ob, 10);
	token_failed(ob, res->outcome == NET_OK ? (int)res->http_status : 0, msg);
}

static void fetch_token(struct outbox *ob)
{
	if (job_exists(ob, JOB_TOKEN, 0) || mono_ms() < ob->pk_token_retry_at)
		return;
	char url[CONFIG_URL_MAX + 64];
	snprintf(url, sizeof url, "%s%s", ob->p.base_url, PAYKEEPER_PATH_TOKEN);
	struct job *jb = job_new(ob, JOB_TOKEN, 0);
	struct net_request rq = {
	    .method = "GET", .url = url, .user = ob->p.user, .password = ob->p.password};
	struct kerr e = {0};
	jb->nj = net_submit(ob->net, &rq, on_token_done, jb, &e);
	if (!jb->nj) {
		job_unlink(ob, jb);
		free(jb);
		set_last_error(ob, e.text);
	}
}

/* Sends a document the journal has just committed as sending; frees d's body. */
/* The shift documents, which go alone (see pick_due). */
static bool is_barrier_kind(const char *kind)
{
	return strcmp(kind, doc_kind_wire(DOC_OPEN_SHIFT)) == 0 ||
	       strcmp(kind, doc_kind_wire(DOC_Z_REPORT)) == 0;
}

static void start_send(struct outbox *ob, struct journal_doc *dd)
{
	struct journal_doc d = *dd;
	int64_t id = d.id;
	struct kerr e = {0};
	struct job *jb = job_new(ob, JOB_SEND, id);
	jb->attempt = d.attempts + 1;
	jb->barrier = is_barrier_kind(d.kind);
	str_copy(jb->ext_id, d.ext_id, sizeof jb->ext_id);
	jb->token_gen = ob->pk_token_gen;
	char url[CONFIG_URL_MAX + 128];
	char *body = NULL;
	struct net_request rq = {.method = "POST", .url = url};
	if (ob->p.provider == KPROVIDER_LIFEPAY) {
		enum doc_kind k;
		if (!doc_kind_parse(d.kind, &k)) {
			kerr_set(&e, K_INVALID, "kind", "unknown document kind \"%s\"", d.kind);
		} else {
			snprintf(url, sizeof url, "%s%s", ob->p.base_url,
				 k == DOC_RECEIPT && ob->p.ffd12 ? LIFEPAY_PATH_FFD12
								 : doc_kind_path(k));
			body = lifepay_body(ob, d.body ? d.body : "", &e);
		}
	} else {
		snprintf(url, sizeof url, "%s%s", ob->p.base_url, PAYKEEPER_PATH_PRINT);
		char *tok = form_encode(ob->pk_token);
		const char *stored = d.body ? d.body : "";
		size_t ls = strlen(stored), lt = strlen(tok);
		body = xmalloc(ls + lt + 8);
		char *w = body;
		memcpy(w, stored, ls);
		w += ls;
		if (ls)
			*w++ = '&';
		memcpy(w, "token=", 6);
		memcpy(w + 6, tok, lt + 1);
		explicit_bzero(tok, strlen(tok));
		free(tok);
		rq.content_type = "application/x-www-form-urlencoded";
		rq.user = ob->p.user;
		rq.password = ob->p.password;
	}
	journal_doc_free(&d);
	if (!body) {
		/* Our own stored body is unreadable: resending cannot help. */
		char text[400];
		snprintf(text, sizeof text, "kassa cannot read its stored request: %s", e.text);
		job_unlink(ob, jb);
		journal_apply_reply_rejected(ob->j, id, 0, text, NULL);
		set_last_error(ob, text);
		free(jb);
		notify(ob, id);
		return;
	}
	rq.body = body;
	rq.body_len = strlen(body);
	jb->nj = net_submit(ob->net, &rq, on_send_done, jb, &e);
	explicit_bzero(body, strlen(body));
	free(body);
	if (!jb->nj) {
		job_unlink(ob, jb);
		retry_later(ob, jb, 0, 0, false, e.text);
		free(jb);
	}
	notify(ob, id);
}

/* ---- PayKeeper: finding a receipt that a lost reply created ---- */

static bool recover_request(struct outbox *ob, struct job *jb);

static size_t recover_page(const struct outbox *ob)
{
	return ob->opt.recover_page ? ob->opt.recover_page : 1000;
}

static void on_recover_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	note_reach(ob, res);
	job_unlink(ob, jb);
	bool found = false, full = false;
	if (res->outcome == NET_OK && res->http_status == 200) {
		struct pk_receipt_list list;
		memset(&list, 0, sizeof list);
		bool parsed =
		    paykeeper_parse_receipt_list(res->body, res->body_len, &list, NULL) == K_OK;
		if (parsed) {
			for (size_t i = 0; i < list.n && !found; i++) {
				const struct pk_receipt *r = &list.items[i];
				if (strcmp(r->fop_receipt_key, jb->ext_id) != 0)
					continue;
				char idtext[32];
				snprintf(idtext, sizeof idtext, "%" PRId64, r->id);
				logf_(ob,
				      "document #%" PRId64
				      ": PayKeeper already holds it as receipt %s",
				      jb->doc_id, idtext);
				accepted(ob, jb, idtext, idtext);
				found = true;
			}
			full = list.n >= recover_page(ob);
			paykeeper_receipt_list_free(&list);
		}
		bool more = parsed && full && jb->from < (int64_t)recover_page(ob) * 100;
		if (found) {
			/* accepted() above */
		} else if (more) {
			/* A full page: the receipt may be on the next one. */
			struct job *next = job_new(ob, JOB_RECOVER, jb->doc_id);
			next->attempt = jb->attempt;
			str_copy(next->ext_id, jb->ext_id, sizeof next->ext_id);
			str_copy(next->refusal, jb->refusal, sizeof next->refusal);
			next->created_at = jb->created_at;
			next->from = jb->from + (int64_t)recover_page(ob);
			if (!recover_request(ob, next)) {
				job_unlink(ob, next);
				retry_later(ob, jb, 0, 0, false, jb->refusal);
				free(next);
			}
		} else if (parsed && !full) {
			rejected(ob, jb, 0, jb->refusal);
		} else {
			/* Unreadable, or too many pages to tell: never call it a rejection. */
			retry_later(ob, jb, 200, 0, false, jb->refusal);
		}
	} else {
		/* Could not look: try the whole thing again later, same receipt_key. */
		retry_later(ob, jb, (int)res->http_status, 0, false, jb->refusal);
	}
	notify(ob, jb->doc_id);
	free(jb);
	kick(ob);
}

static void day_text(time_t t, char out[11])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void outbox_recover_days(int64_t created_at_ms, time_t now, char start[11], char end[11])
{
	/* PayKeeper's dates are Moscow time, ours may not be: a day of margin each side. */
	time_t created = created_at_ms > 0 ? (time_t)(created_at_ms / 1000) : now;
	if (created > now)
		created = now;
	day_text(created - 86400, start);
	day_text(now + 86400, end);
}

/* Asks PayKeeper for one page of receipts since the document was created. */
static bool recover_request(struct outbox *ob, struct job *jb)
{
	struct pk_bydate_query q = {.types = (1u << PK_TYPE_COUNT) - 1,
				    .sum_types = (1u << PK_SUM_COUNT) - 1,
				    .from = jb->from,
				    .limit = (int64_t)recover_page(ob)};
	outbox_recover_days(jb->created_at, time(NULL), q.start, q.end);
	char *query = NULL;
	struct kerr e = {0};
	if (paykeeper_query_bydate(&q, &query, &e) == K_OK) {
		size_t n = strlen(ob->p.base_url) + strlen(query) + 64;
		char *url = xmalloc(n);
		snprintf(url, n, "%s%s?%s", ob->p.base_url, PAYKEEPER_PATH_BYDATE, query);
		struct net_request rq = {
		    .method = "GET", .url = url, .user = ob->p.user, .password = ob->p.password};
		jb->nj = net_submit(ob->net, &rq, on_recover_done, jb, &e);
		free(url);
	}
	free(query);
	return jb->nj != NULL;
}

static void start_recover(struct outbox *ob, struct job *sent, const char *refusal)
{
	struct job *jb = job_new(ob, JOB_RECOVER, sent->doc_id);
	jb->attempt = sent->attempt;
	str_copy(jb->ext_id, sent->ext_id, sizeof jb->ext_id);
	str_copy(jb->refusal, refusal, sizeof jb->refusal);
	/*
	 * The first attempt may lie days back (a kassa switched off over the
	 * weekend right after a lost reply): search from the document's day.
	 */
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(ob->j, sent->doc_id, &d, NULL) == K_OK)
		jb->created_at = d.created_at;
	journal_doc_free(&d);
	if (!recover_request(ob, jb)) {
		job_unlink(ob, jb);
		retry_later(ob, jb, 0, 0, false, refusal);
		free(jb);
	}
}

/* ---- PayKeeper polls and callbacks ---- */

/* Applies a PayKeeper receipt's status; *final tells whether polling can stop. */
static kstatus apply_pk_receipt(struct outbox *ob, const struct pk_receipt *r,
				enum journal_source source, const char *body, size_t len,
				const char *content_type, int64_t *doc_id, struct kerr *err)
{
	enum journal_state to;
	char detail[JOURNAL_TEXT_MAX];
	switch (r->status) {
	case PK_STATUS_SUCCESS:
		to = JS_PROCESSED;
		str_copy(detail, r->fop_url[0] ? r->fop_url : "success", sizeof detail);
		break;
	case PK_STATUS_REJECTED:
	case PK_STATUS_FAILED:
		to = JS_FAILED;
		snprintf(detail, sizeof detail, "%.31s%s%.31s%s%.240s", r->status_text,
			 r->error_type[0] ? ": " : "", r->error_type,
			 r->error_message[0] ? ": " : "", r->error_message);
		break;
	case PK_STATUS_TIMEOUT:
		/* Final (seed 8, table 8.4.3): dropped from the queue unprinted. */
		to = JS_FAILED;
		snprintf(detail, sizeof detail, "%s",
			 _("timeout: the register did not answer and PayKeeper dropped the "
			   "receipt from its queue; a late success is possible, so check the "
			   "receipt in PayKeeper's cabinet before selling it again"));
		break;
	default:
		return K_NOTFOUND; /* still on its way: nothing to apply */
	}
	char idtext[32];
	snprintf(idtext, sizeof idtext, "%" PRId64, r->id);
	struct journal_callback cb = {.uuid = idtext,
				      .state = to,
				      .source = source,
				      .detail = detail,
				      .body = body,
				      .body_len = len,
				      .content_type = content_type};
	struct journal_callback_result res;
	kstatus st = journal_apply_callback(ob->j, &cb, &res, err);
	if (doc_id)
		*doc_id = res.doc_id;
	if (res.applied)
		notify(ob, res.doc_id);
	return st;
}

static long long poll_delay(const struct outbox *ob, int64_t created_at)
{
	long long age = now_ms() - created_at;
	long long lo = scaled_s(ob, POLL_MIN_S), hi = scaled_s(ob, POLL_MAX_S);
	long long d = age / 2;
	return d < lo ? lo : d > hi ? hi : d;
}

static void on_poll_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	note_reach(ob, res);
	job_unlink(ob, jb);
	int64_t id = jb->doc_id;
	free(jb);
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(ob->j, id, &d, NULL) != K_OK)
		return;
	bool still = !journal_state_final(d.state);
	if (res->outcome == NET_OK && res->http_status == 200) {
		struct pk_receipt r;
		memset(&r, 0, sizeof r);
		struct kerr e = {0};
		if (paykeeper_parse_receipt(res->body, res->body_len, &r, &e) == K_OK) {
			kstatus st = apply_pk_receipt(ob, &r, JSRC_POLL, res->body, res->body_len,
						      res->content_type, NULL, &e);
			if (st == K_OK && paykeeper_status_final(r.status))
				still = false;
		}
		paykeeper_receipt_free(&r);
	} else {
		logf_(ob, "document #%" PRId64 ": poll failed: %s (HTTP %ld)", id,
		      net_outcome_str(res->outcome), res->http_status);
	}
	if (still)
		journal_set_next_attempt(ob->j, id, now_ms() + poll_delay(ob, d.created_at), NULL);
	journal_doc_free(&d);
	kick(ob);
}

static void start_poll(struct outbox *ob, int64_t id)
{
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(ob->j, id, &d, NULL) != K_OK)
		return;
	if (strcmp(d.profile, ob->p.name) != 0 || d.provider != KPROVIDER_PAYKEEPER) {
		add_foreign(ob, id);
		journal_doc_free(&d);
		return;
	}
	const char *rid = d.provider_receipt_id[0] ? d.provider_receipt_id : d.uuid;
	char *end = NULL;
	long long n = strtoll(rid, &end, 10);
	if (!rid[0] || *end || n <= 0) {
		/* Nothing to ask about: look again much later rather than every tick. */
		journal_set_next_attempt(ob->j, id, now_ms() + scaled_s(ob, POLL_MAX_S), NULL);
		journal_doc_free(&d);
		return;
	}
	journal_doc_free(&d);
	char *q = paykeeper_query_byid(n);
	char url[CONFIG_URL_MAX + 128];
	snprintf(url, sizeof url, "%s%s?%s", ob->p.base_url, PAYKEEPER_PATH_BYID, q);
	free(q);
	struct job *jb = job_new(ob, JOB_POLL, id);
	struct net_request rq = {
	    .method = "GET", .url = url, .user = ob->p.user, .password = ob->p.password};
	jb->nj = net_submit(ob->net, &rq, on_poll_done, jb, NULL);
	if (!jb->nj) {
		job_unlink(ob, jb);
		free(jb);
	}
}

/* ---- the sender ---- */

static bool sends_in_flight(const struct outbox *ob)
{
	for (const struct job *jb = ob->jobs; jb; jb = jb->next)
		if (jb->kind == JOB_SEND)
			return true;
	return false;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Up to the free slots of our own due documents, loaded (bodies included)
 * into docs; their ids into pick. Nothing is written here.
 *
 * Shift documents are barriers: an open-shift or a Z-report goes alone,
 * after every document made before it has been answered, and nothing made
 * after it goes until it has been answered. Otherwise, after an outage, a
 * receipt sent beside its open-shift may open the shift at the provider
 * first (and the open-shift is refused: "shift already open"), or a
 * receipt sent beside a Z-report may land in the next shift.
 */
static size_t pick_due(struct outbox *ob, int64_t *pick, struct journal_doc *docs, size_t cap)
{
	int64_t ids[DUE_WINDOW];
	size_t n = 0, np = 0;
	struct kerr e = {0};
	for (struct job *jb = ob->jobs; jb; jb = jb->next)
		if (jb->kind == JOB_SEND && jb->barrier)
			return 0;
	if (journal_due(ob->j, now_ms(), ids, DUE_WINDOW, &n, &e) != K_OK) {
		set_last_error(ob, e.text);
		return 0;
	}
	qsort(ids, n, sizeof ids[0], cmp_id); /* the order they were made in */
	bool need_token = ob->p.provider == KPROVIDER_PAYKEEPER && !pk_token_valid(ob);
	for (size_t i = 0; i < n && ob->njobs + np < cap; i++) {
		if (is_foreign(ob, ids[i]))
			continue;
		if (need_token) {
			fetch_token(ob);
			break;
		}
		struct journal_doc *d = &docs[np];
		if (journal_get(ob->j, ids[i], d, &e) != K_OK) {
			logf_(ob, "document #%" PRId64 ": %s", ids[i], e.text);
			continue;
		}
		if (strcmp(d->profile, ob->p.name) != 0 || d->provider != ob->p.provider) {
			add_foreign(ob, ids[i]);
			journal_doc_free(d);
			continue;
		}
		bool barrier = is_barrier_kind(d->kind);
		if (barrier && (np > 0 || sends_in_flight(ob))) {
			journal_doc_free(d); /* once what went before it is answered */
			break;
		}
		pick[np++] = ids[i];
		if (barrier)
			break;
	}
	return np;
}

/* PayKeeper: receipts whose next poll is due, while there are free slots. */
static void start_polls(struct outbox *ob)
{
	size_t cap = capacity(ob);
	if (ob->p.provider != KPROVIDER_PAYKEEPER || ob->njobs >= cap)
		return;
	int64_t ids[DUE_WINDOW];
	size_t n = 0;
	if (journal_poll_due(ob->j, now_ms(), ids, DUE_WINDOW, &n, NULL) != K_OK)
		return;
	for (size_t i = 0; i < n && ob->njobs < cap; i++)
		if (!is_foreign(ob, ids[i]) && !job_exists(ob, JOB_POLL, ids[i]))
			start_poll(ob, ids[i]);
}

/*
 * The group commit, run before every poll(): the callbacks received, the
 * request outcomes collected and the marks of the documents to send next
 * go to the journal in ONE transaction. Only after its COMMIT are the
 * callbacks answered and the marked documents sent, so "committed before
 * 200" and "committed before the first byte" both hold, for one fsync per
 * loop iteration instead of one per step. may_send false: commit only.
 */
static void commit_iteration(struct outbox *ob, bool may_send)
{
	size_t cap = capacity(ob);
	bool want = may_send && ob->pump_wanted && ob->njobs < cap;
	if (may_send)
		ob->pump_wanted = false;
	struct journal_doc *docs = NULL;
	int64_t pick[DUE_WINDOW];
	bool marked[DUE_WINDOW];
	size_t np = 0;
	if (want) {
		docs = xcalloc(cap, sizeof *docs);
		np = pick_due(ob, pick, docs, cap);
	}
	/* Taken out first: a change hook may cause new ones meanwhile. */
	struct cb_pending *cbs = ob->cbs;
	size_t ncb = ob->ncbs;
	ob->cbs = NULL;
	ob->ncbs = ob->cbs_cap = 0;
	struct outcome *ocs = ob->outcomes;
	size_t noc = ob->noutcomes;
	ob->outcomes = NULL;
	ob->noutcomes = ob->outcomes_cap = 0;

	struct journal_callback_item *items = ncb ? xmalloc(ncb * sizeof *items) : NULL;
	for (size_t i = 0; i < ncb; i++) {
		items[i] = cbs[i].it;
		items[i].cb.uuid = cbs[i].uuid;
		items[i].cb.ext_id = cbs[i].ext_id;
		items[i].cb.detail = cbs[i].detail;
		items[i].cb.content_type = cbs[i].content_type;
		items[i].cb.body = cbs[i].body;
	}
	struct journal_outcome *list = noc ? xmalloc(noc * sizeof *list) : NULL;
	for (size_t i = 0; i < noc; i++) {
		list[i] = ocs[i].o;
		list[i].attempt_error = list[i].text = list[i].reason = ocs[i].text;
		list[i].uuid = ocs[i].uuid;
		list[i].receipt_id = ocs[i].receipt_id;
	}
	struct journal_batch b = {.callbacks = items,
				  .ncallbacks = ncb,
				  .outcomes = list,
				  .noutcomes = noc,
				  .mark = pick,
				  .nmark = np,
				  .marked = marked};
	struct kerr e = {0};
	/* On failure nothing is committed: callbacks get 500, outcomes stay in sending
	 * (requeue_orphans() sends them again), nothing new is sent. */
	if (journal_apply_batch(ob->j, &b, &e) != K_OK)
		set_last_error(ob, e.text);

	/* Committed (or not, then 500): only now may anyone hear 200. */
	for (size_t i = 0; i < ncb; i++) {
		char reply[400];
		reply[0] = '\0';
		int status = callback_answer(ob, &items[i].cb, items[i].st, &items[i].res,
					     &items[i].err, reply, sizeof reply);
		listener_answer(cbs[i].reply, status, reply);
	}
	for (size_t i = 0; i < noc; i++) {
		ocs[i].o.st = list[i].st;
		ocs[i].o.err = list[i].err;
		outcome_log(ob, &ocs[i]);
	}
	/* Committed as sending: now their first bytes may go. */
	for (size_t i = 0; i < np; i++) {
		if (marked[i])
			start_send(ob, &docs[i]);
		else
			journal_doc_free(&docs[i]);
	}
	free(docs);
	for (size_t i = 0; i < ncb; i++) {
		if (items[i].res.applied || items[i].res.flagged)
			notify(ob, items[i].res.doc_id);
		free(cbs[i].body);
	}
	for (size_t i = 0; i < noc; i++)
		notify(ob, ocs[i].o.id);
	free(items);
	free(cbs);
	free(list);
	free(ocs);
	if (noc)
		ob->pump_wanted = true; /* slots were freed, retries may be due now */
	if (want)
		start_polls(ob);
}

static void on_prepare(struct loop *l, void *cls)
{
	struct outbox *ob = cls;
	commit_iteration(ob, !ob->opt.receive_only);
}

/* The sender looks at the outbox before the next poll(). */
static void kick(struct outbox *ob)
{
	ob->pump_wanted = true;
}

static long long tick_ms(const struct outbox *ob)
{
	long long t = ob->unit;
	return t < 20 ? 20 : t > 1000 ? 1000 : t;
}

static void on_tick(struct loop *l, void *cls)
{
	struct outbox *ob = cls;
	ob->tick_timer = loop_add_timer(l, tick_ms(ob), on_tick, ob);
	kick(ob);
}

struct ids_ctx {
	int64_t *ids;
	size_t n;
};

static bool on_sending_doc(const struct journal_doc *d, void *cls)
{
	struct ids_ctx *c = cls;
	c->ids = xrealloc(c->ids, (c->n + 1) * sizeof *c->ids);
	c->ids[c->n++] = d->id;
	return true;
}

/*
 * A document left in sending with no request of ours on the wire (its reply
 * could not be written to the journal: disk full, a lock) would wait for the
 * next start; queue it again now, same ext_id. The journal's sender lock
 * makes every sending document ours.
 */
static void requeue_orphans(struct outbox *ob)
{
	struct journal_filter f = {.by_state = true, .state = JS_SENDING};
	struct ids_ctx c = {0};
	if (journal_list(ob->j, &f, -1, 0, on_sending_doc, &c, NULL) != K_OK) {
		free(c.ids);
		return;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (job_exists(ob, JOB_SEND, c.ids[i]) || job_exists(ob, JOB_RECOVER, c.ids[i]) ||
		    outcome_pending(ob, c.ids[i]))
			continue;
		if (journal_schedule_retry(
			ob->j, c.ids[i], now_ms(), JSRC_LOCAL,
			"no answer was recorded; sent again with the same ext_id", NULL) == K_OK) {
			logf_(ob, "document #%" PRId64 ": left in sending, queued again", c.ids[i]);
			notify(ob, c.ids[i]);
			kick(ob);
		}
	}
	free(c.ids);
}

static void on_stale(struct loop *l, void *cls)
{
	struct outbox *ob = cls;
	ob->stale_timer = loop_add_timer(l, scaled_s(ob, STALE_CHECK_S), on_stale, ob);
	if (ob->opt.receive_only)
		return;
	requeue_orphans(ob);
	/* Documents stuck without a final status are the operator's business too. */
	if (ob->p.stale_after_s <= 0)
		return;
	int64_t n = 0;
	struct kerr e = {0};
	if (journal_flag_stale(ob->j, scaled_s(ob, ob->p.stale_after_s), &n, &e) != K_OK) {
		set_last_error(ob, e.text);
		return;
	}
	if (n > 0) {
		logf_(ob, "%" PRId64 " document(s) without a final status flagged for the operator",
		      n);
		notify(ob, 0);
	}
}

/* ---- callbacks ---- */

static int reply_text(char *reply, size_t n, int status, const char *text)
{
	str_copy(reply, text, n);
	return status;
}

static int defer_callback(struct outbox *ob, const struct listener_request *req,
			  const struct journal_callback *jc);

static int handle_lifepay(struct outbox *ob, const struct listener_request *req, char *reply,
			  size_t reply_n)
{
	struct lifepay_callback cb;
	memset(&cb, 0, sizeof cb);
	struct kerr e = {0};
	char msg[400];
	if (wire_lifepay_parse_callback(req->content_type, req->body, req->len, &cb, &e) != K_OK) {
		char what[360];
		/* "uuid: is missing from the callback": the field is named. */
		snprintf(msg, sizeof msg, "malformed callback: %s", kerr_str(&e, what, sizeof what));
		logf_(ob, "callback from %s refused: %s", req->remote_addr, msg);
		wire_lifepay_callback_free(&cb);
		return reply_text(reply, reply_n, 400, msg);
	}
	enum journal_state to;
	switch (cb.status) {
	case LP_CB_PROCESSED:
		to = JS_PROCESSED;
		break;
	case LP_CB_RETRY:
		to = JS_PROVIDER_RETRY;
		break;
	case LP_CB_ERROR:
		to = JS_FAILED;
		break;
	default:
		if (!cb.has_error_code) {
			snprintf(msg, sizeof msg, "unknown status \"%.60s\"", cb.status_text);
			wire_lifepay_callback_free(&cb);
			return reply_text(reply, reply_n, 400, msg);
		}
		to = JS_FAILED;
	}
	char detail[JOURNAL_TEXT_MAX];
	if (to == JS_PROCESSED)
		str_copy(detail, cb.ofd_url[0] ? cb.ofd_url : "processed", sizeof detail);
	else if (cb.has_pos && strcmp(cb.pos_result, "declined") == 0)
		snprintf(detail, sizeof detail, "%s: %.280s",
			 _("POS terminal declined the card; nothing was charged"),
			 cb.error_message);
	else if (cb.has_pos && strcmp(cb.pos_result, "timeout") == 0)
		snprintf(detail, sizeof detail,
			 _("POS terminal timeout, %d slip(s) asked for: the "
			   "card may have been charged; check the terminal "
			   "before charging again: %.200s"),
			 cb.pos_slip_count, cb.error_message);
	else
		snprintf(detail, sizeof detail, "code %d: %.280s", cb.error_code, cb.error_message);
	struct journal_callback jc = {.uuid = cb.uuid,
				      .state = to,
				      .source = ob->cb_source,
				      .error_code = cb.error_code,
				      .detail = detail,
				      .body = req->body,
				      .body_len = req->len,
				      .content_type = req->content_type,
				      .ext_id = cb.ext_id};
	if (req->deferred) {
		/* Group commit: committed with this iteration's others, then answered. */
		int deferred = defer_callback(ob, req, &jc);
		wire_lifepay_callback_free(&cb);
		return deferred;
	}
	struct journal_callback_result res;
	kstatus st = journal_apply_callback(ob->j, &jc, &res, &e);
	int status = callback_answer(ob, &jc, st, &res, &e, reply, reply_n);
	if (res.applied || res.flagged)
		notify(ob, res.doc_id);
	wire_lifepay_callback_free(&cb);
	return status;
}

/* The answer to a LifePay callback once the journal has had its say. */
static int callback_answer(struct outbox *ob, const struct journal_callback *jc, kstatus st,
			   const struct journal_callback_result *res, const struct kerr *e,
			   char *reply, size_t reply_n)
{
	int status = 200;
	enum journal_state to = jc->state;
	switch (st) {
	case K_OK:
		logf_(ob, "callback for %s: %s%s", jc->uuid, journal_state_word(to),
		      res->applied ? "" : " (no change)");
		reply_text(reply, reply_n, 200, "OK");
		break;
	case K_NOTFOUND:
		logf_(ob, "callback for unknown uuid %s kept, not applied", jc->uuid);
		reply_text(reply, reply_n, 200, "OK (unknown uuid, not applied)");
		break;
	case K_REFUSED:
		logf_(ob, "callback for %s not applied: %s", jc->uuid, e->text);
		reply_text(reply, reply_n, 200, "OK (not applied)");
		break;
	case K_INVALID:
		status = reply_text(reply, reply_n, 400, e->text);
		break;
	default:
		/* Not committed: let the provider try again. */
		logf_(ob, "callback for %s could not be stored: %s", jc->uuid, e->text);
		status = reply_text(reply, reply_n, 500, "journal unavailable, try again");
	}
	if (status == 200)
		ob->callbacks++;
	return status;
}

/* Keeps a parsed callback (copied) for the group commit; its connection waits. */
static int defer_callback(struct outbox *ob, const struct listener_request *req,
			  const struct journal_callback *jc)
{
	if (ob->ncbs == ob->cbs_cap) {
		ob->cbs_cap = ob->cbs_cap ? ob->cbs_cap * 2 : 16;
		ob->cbs = xrealloc(ob->cbs, ob->cbs_cap * sizeof *ob->cbs);
	}
	struct cb_pending *p = &ob->cbs[ob->ncbs++];
	memset(p, 0, sizeof *p);
	p->reply = req->deferred;
	p->it.cb = *jc;
	str_copy(p->uuid, jc->uuid, sizeof p->uuid);
	str_copy(p->ext_id, jc->ext_id ? jc->ext_id : "", sizeof p->ext_id);
	str_copy(p->detail, jc->detail ? jc->detail : "", sizeof p->detail);
	str_copy(p->content_type, jc->content_type ? jc->content_type : "",
		 sizeof p->content_type);
	p->body = xmalloc(req->len + 1);
	memcpy(p->body, req->body, req->len);
	p->body[req->len] = '\0';
	return LISTENER_DEFERRED;
}


static int handle_paykeeper(struct outbox *ob, const struct listener_request *req, char *reply,
			    size_t reply_n)
{
	if (ob->p.provider != KPROVIDER_PAYKEEPER || !ob->p.secret[0])
		return reply_text(reply, reply_n, 403, "PayKeeper callbacks are not accepted here");
	struct pk_receipt r;
	memset(&r, 0, sizeof r);
	struct kerr e = {0};
	kstatus st = paykeeper_verify_callback(req->body, req->len, ob->p.secret, &r, &e);
	if (st != K_OK) {
		paykeeper_receipt_free(&r);
		logf_(ob, "PayKeeper callback from %s refused: %s", req->remote_addr, e.text);
		if (st == K_REFUSED)
			return reply_text(reply, reply_n, 403, "bad signature");
		char what[360], msg[400];
		snprintf(msg, sizeof msg, "malformed callback: %s", kerr_str(&e, what, sizeof what));
		return reply_text(reply, reply_n, 400, msg);
	}
	int64_t doc = 0;
	st = apply_pk_receipt(ob, &r, ob->cb_source, req->body, req->len, req->content_type, &doc,
			      &e);
	int status = 200;
	if (st == K_OK || st == K_NOTFOUND || st == K_REFUSED) {
		if (st != K_OK)
			logf_(ob, "PayKeeper callback for receipt %" PRId64 " not applied (%s)",
			      r.id, r.status_text);
		reply_text(reply, reply_n, 200, "OK");
		ob->callbacks++;
	} else {
		status = reply_text(reply, reply_n, 500, "journal unavailable");
	}
	paykeeper_receipt_free(&r);
	return status;
}

int outbox_handle_callback(struct outbox *ob, const struct listener_request *req, char *reply,
			   size_t reply_n)
{
	if (!req->suffix[0] || strcmp(req->suffix, "lifepay") == 0)
		return handle_lifepay(ob, req, reply, reply_n);
	if (strcmp(req->suffix, "paykeeper") == 0)
		return handle_paykeeper(ob, req, reply, reply_n);
	if (strcmp(req->suffix, "lifepay-tx") == 0) /* LIFE PAY transaction notifications */
		return bill_tx_callback(ob->j, req->content_type, req->body, req->len, reply,
					reply_n);
	return reply_text(reply, reply_n, 404, "not found");
}

int outbox_apply_relayed(struct outbox *ob, const char *suffix, const char *content_type,
			 const char *body, size_t len, char *reply, size_t reply_n)
{
	struct listener_request req = {.suffix = suffix ? suffix : "",
				       .content_type = content_type ? content_type : "",
				       .body = body,
				       .len = len,
				       .remote_addr = "kassa-relay"};
	ob->cb_source = JSRC_RELAY;
	int status = outbox_handle_callback(ob, &req, reply, reply_n);
	ob->cb_source = JSRC_CALLBACK;
	return status;
}

const char *outbox_callback_url(const struct outbox *ob)
{
	return ob->callback_url;
}

bool outbox_uses_relay(const struct outbox *ob)
{
	return ob->p.relay_url[0] && ob->p.relay_token[0];
}

static int on_callback(void *cls, const struct listener_request *req, char *reply, size_t reply_n)
{
	return outbox_handle_callback(cls, req, reply, reply_n);
}

/* ---- life cycle ---- */

/* The base the provider calls back: public_url, else the listen address itself. */
static void callback_base(const struct outbox *ob, char *buf, size_t n)
{
	if (ob->p.public_url[0]) {
		str_copy(buf, ob->p.public_url, n);
		return;
	}
	const char *h = ob->p.listen_host;
	unsigned port = listener_port(ob->ls);
	const char *sch = listener_tls(ob->ls) ? "https" : "http";
	if (strcmp(h, "0.0.0.0") == 0 || !h[0])
		snprintf(buf, n, "%s://127.0.0.1:%u", sch, port);
	else if (strcmp(h, "::") == 0)
		snprintf(buf, n, "%s://[::1]:%u", sch, port);
	else if (strchr(h, ':'))
		snprintf(buf, n, "%s://[%s]:%u", sch, h, port);
	else
		snprintf(buf, n, "%s://%s:%u", sch, h, port);
}

struct outbox *outbox_new(struct loop *l, struct journal *j, const struct config_profile *p,
			  const struct outbox_options *opt, struct kerr *err)
{
	if (!p->base_url[0]) {
		kerr_set(err, K_INVALID, "base_url",
			 _("profile \"%s\" has no provider address: set base_url (or server for "
			   "PayKeeper)"),
			 p->name);
		return NULL;
	}
	if (p->provider == KPROVIDER_PAYKEEPER && (!p->user[0] || !p->password[0])) {
		kerr_set(err, K_INVALID, "user",
			 _("profile \"%s\" (PayKeeper) needs user and password"), p->name);
		return NULL;
	}
	if (p->provider == KPROVIDER_LIFEPAY && (!p->login[0] || !p->apikey[0])) {
		kerr_set(err, K_INVALID, "login",
			 _("profile \"%s\" (LifePay) needs login and apikey"), p->name);
		return NULL;
	}
	/* Two senders on one journal would resume and resend each other's documents. */
	if (journal_lock_sender(j, err) != K_OK)
		return NULL;
	int64_t resumed = 0;
	if (journal_resume_on_start(j, &resumed, err) != K_OK)
		return NULL;
	struct outbox *ob = xcalloc(1, sizeof *ob);
	ob->loop = l;
	ob->j = j;
	ob->p = *p;
	if (opt)
		ob->opt = *opt;
	ob->opt.token = NULL; /* copied below; the caller's string need not outlive us */
	ob->unit = ob->opt.time_unit_ms ? ob->opt.time_unit_ms : 1000;
	struct net_options no = {.max_in_flight = (unsigned)capacity(ob),
				 .connect_timeout_ms = ob->opt.connect_timeout_ms,
				 .total_timeout_ms = ob->opt.request_timeout_ms,
				 .ca_file = ob->opt.ca_file};
	ob->net = net_new(l, &no);
	ob->cb_source = JSRC_CALLBACK;
	if (outbox_uses_relay(ob)) {
		/* Callbacks go to kassa-relay and are pulled from there: no listener. */
		if (!relay_proto_callback_url(p->relay_url, p->relay_token, ob->callback_url,
					      sizeof ob->callback_url)) {
			kerr_set(err, K_INVALID, "relay_url",
				 _("the callback address on the relay is longer than %d "
				   "characters: shorten relay_url"),
				 CALLBACK_URL_MAX);
			outbox_free(ob);
			return NULL;
		}
	} else if (!(opt && (opt->no_listener || opt->receive_only))) {
		if (opt && opt->token) {
			if (strlen(opt->token) != LISTENER_TOKEN_LEN) {
				kerr_set(err, K_INVALID, "token",
					 _("the callback token must be %d hex digits"),
					 LISTENER_TOKEN_LEN);
				outbox_free(ob);
				return NULL;
			}
			str_copy(ob->token, opt->token, sizeof ob->token);
		} else if (listener_new_token(ob->token, err) != K_OK) {
			outbox_free(ob);
			return NULL;
		}
		char listen[CONFIG_NAME_MAX + 16];
		config_listen_str(p, listen, sizeof listen);
		char health[4096];
		outbox_health_path(journal_file(j), health, sizeof health);
		struct listener_options lo = {.listen = listen,
					      .health_path = health,
					      .token = ob->token,
					      .body_limit = ob->opt.listener_body_limit,
					      .timeout_s = ob->opt.listener_timeout_s,
					      .tls_cert = p->listen_cert[0] ? p->listen_cert : NULL,
					      .tls_key = p->listen_key[0] ? p->listen_key : NULL,
					      .on_callback = on_callback,
					      .cls = ob};
		ob->ls = listener_start(l, &lo, err);
		if (!ob->ls) {
			kerr_prefix(err, "listen");
			outbox_free(ob);
			return NULL;
		}
		char base[CONFIG_URL_MAX + 64];
		callback_base(ob, base, sizeof base);
		if (!listener_url(ob->ls, base, ob->callback_url, sizeof ob->callback_url)) {
			kerr_set(err, K_INVALID, "public_url",
				 _("the callback address is longer than %d characters: shorten "
				   "public_url"),
				 CALLBACK_URL_MAX);
			outbox_free(ob);
			return NULL;
		}
	}
	if (resumed > 0)
		logf_(ob, "%" PRId64 " document(s) left in sending by a stop are queued again",
		      resumed);
	loop_add_prepare(l, on_prepare, ob);
	ob->tick_timer = loop_add_timer(l, tick_ms(ob), on_tick, ob);
	ob->stale_timer = loop_add_timer(l, 0, on_stale, ob);
	kick(ob);
	return ob;
}

void outbox_free(struct outbox *ob)
{
	if (!ob)
		return;
	/* What completed is committed (and answered) before anything goes away. */
	ob->on_change = NULL;
	commit_iteration(ob, false);
	loop_remove_prepare(ob->loop, on_prepare, ob);
	for (struct job *jb = ob->jobs, *next; jb; jb = next) {
		next = jb->next;
		if (jb->nj)
			net_cancel(jb->nj);
		free(jb);
	}
	ob->jobs = NULL;
	loop_cancel_timer(ob->loop, ob->tick_timer);
	loop_cancel_timer(ob->loop, ob->kick_timer);
	loop_cancel_timer(ob->loop, ob->stale_timer);
	if (ob->ls)
		listener_stop(ob->ls);
	if (ob->net)
		net_free(ob->net);
	free(ob->foreign);
	explicit_bzero(ob->pk_token, sizeof ob->pk_token);
	explicit_bzero(ob->token, sizeof ob->token);
	explicit_bzero(ob->callback_url, sizeof ob->callback_url);
	explicit_bzero(&ob->p, sizeof ob->p);
	free(ob);
}

/* What the profile provides and the document leaves empty. */
static void fill_from_profile(const struct outbox *ob, struct document *d)
{
	const struct config_profile *p = &ob->p;
	if (!d->target_serial[0] && p->target_serial[0] &&
	    document_field_allowed(d->kind, "target_serial"))
		str_copy(d->target_serial, p->target_serial, sizeof d->target_serial);
	if (!d->cashier_name[0] && p->cashier_name[0] &&
	    document_field_allowed(d->kind, "cashier_name"))
		str_copy(d->cashier_name, p->cashier_name, sizeof d->cashier_name);
	/* A cashier is a person: only a 12-digit INN belongs on the document. */
	if (!d->cashier_inn[0] && strlen(p->cashier_inn) == 12 &&
	    document_field_allowed(d->kind, "cashier_inn"))
		str_copy(d->cashier_inn, p->cashier_inn, sizeof d->cashier_inn);
	if (d->tax_system == TAX_DEFAULT && document_field_allowed(d->kind, "tax_system"))
		d->tax_system = p->tax_system;
	if (p->test)
		d->test = true;
}

/* The PayKeeper form without its token: the journal holds no secret. */
static kstatus paykeeper_stored_body(const struct document *d, char **out, struct kerr *err)
{
	struct pk_print_opts o = {.token = "-"};
	char *form = NULL;
	kstatus st = paykeeper_print_form(d, &o, &form, err);
	if (st != K_OK)
		return st;
	size_t n = 0;
	struct form_pair *pairs = form_parse(form, strlen(form), &n);
	free(form);
	char *body = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i].key, "token") != 0)
			form_add(&body, pairs[i].key, pairs[i].value);
	form_pairs_free(pairs, n);
	*out = body ? body : xstrdup("");
	return K_OK;
}

kstatus outbox_submit(struct outbox *ob, struct document *d, int64_t *id, struct kerr *err)
{
	if (id)
		*id = 0;
	kerr_clear(err);
	bool pk = ob->p.provider == KPROVIDER_PAYKEEPER;
	if (pk && d->kind != DOC_RECEIPT && d->kind != DOC_CORRECTION)
		return kerr_set(
		    err, K_INVALID, "kind",
		    _("PayKeeper prints receipts and corrections only; a %s is not sent "
		      "to PayKeeper"),
		    _(doc_kind_label(d->kind)));
	fill_from_profile(ob, d);
	/* PayKeeper's correction rules (the sandbox's too), named by its fields */
	kstatus st;
	if (pk && d->kind == DOC_CORRECTION && (st = paykeeper_correction_validate(d, err)) != K_OK)
		return st;
	if (pk && d->test)
		return kerr_set(err, K_INVALID, "test",
				_("PayKeeper has no test mode; use the training mode instead"));
	document_assign_ext_id(d);
	if (!pk && ob->callback_url[0])
		str_copy(d->callback_url, ob->callback_url, sizeof d->callback_url);
	if (!pk && d->kind == DOC_RECEIPT)
		d->ffd12 = ob->p.ffd12;
	st = document_validate(d, err);
	if (st == K_OK && !pk)
		st = document_check_lifepay(d, err);
	if (st == K_OK && !pk)
		st = wire_lifepay_check_ffd12(d, err);
	if (st != K_OK)
		return st;
	bool refund = d->type == RT_REFUND || d->type == RT_BUY_REFUND;
	if (doc_kind_has_basket(d->kind) && refund && d->ref_uuid[0]) {
		st = journal_check_refund(ob->j, d->ref_uuid, d->basket.total, err);
		if (st == K_NOTFOUND)
			kerr_clear(err); /* made elsewhere: the provider checks it */
		else if (st != K_OK)
			return st;
	}
	/* kassa's own rules (lib/guard.h): tender, whole pieces, refunds, the ceiling */
	if ((st = guard_document(ob->j, d, ob->p.max_receipt, err)) != K_OK)
		return st;
	char *body = NULL;
	if (pk) {
		if ((st = paykeeper_stored_body(d, &body, err)) != K_OK)
			return st;
	} else {
		/* Journaled without our callback_url (it holds the token); the sender adds it. */
		char cb[CALLBACK_URL_MAX + 1];
		str_copy(cb, d->callback_url, sizeof cb);
		if (ob->callback_url[0])
			d->callback_url[0] = '\0';
		body = wire_lifepay_request_text(d, NULL);
		str_copy(d->callback_url, cb, sizeof d->callback_url);
		explicit_bzero(cb, sizeof cb);
		if (!body)
			return kerr_set(err, K_INVALID, "", _("the request could not be built"));
	}
	bool basket = doc_kind_has_basket(d->kind);
	struct journal_new_doc nd = {
	    .profile = ob->p.name,
	    .provider = ob->p.provider,
	    .kind = doc_kind_wire(d->kind),
	    .type = basket ? receipt_type_lifepay(d->type) : "",
	    .ext_id = d->ext_id,
	    .body = body,
	    .ref_uuid = d->ref_uuid,
	    .total = basket ? d->basket.total : d->amount,
	    .card = basket ? d->resolved.card : 0,
	    .cash = basket ? d->resolved.cash : 0,
	    .change = basket ? d->resolved.change : 0,
	    .test = d->test,
	    .clear_open_basket = basket && d->clear_open_basket,
	};
	st = journal_enqueue(ob->j, &nd, id, err);
	free(body);
	if (st != K_OK)
		return st;
	logf_(ob, "document #%" PRId64 " (%s) queued with ext_id %s", id ? *id : 0,
	      doc_kind_wire(d->kind), d->ext_id);
	if (id)
		notify(ob, *id);
	kick(ob);
	return K_OK;
}

void outbox_set_listener(struct outbox *ob, outbox_change_cb on_change, void *cls)
{
	ob->on_change = on_change;
	ob->change_cls = cls;
}

void outbox_flush(struct outbox *ob)
{
	/* Outcomes not yet committed first, or their retries would escape the flush. */
	commit_iteration(ob, false);
	journal_flush_profile(ob->j, ob->p.name, NULL, NULL);
	ob->flushed_at = mono_ms();
	ob->pk_token_retry_at = 0;
	kick(ob);
}

kstatus outbox_replay(struct outbox *ob, int64_t id, struct kerr *err)
{
	kstatus st = journal_replay(ob->j, id, err);
	if (st == K_OK) {
		notify(ob, id);
		kick(ob);
	}
	return st;
}

void outbox_stats(struct outbox *ob, struct outbox_stats *out)
{
	memset(out, 0, sizeof *out);
	journal_outbox_depth(ob->j, &out->depth, NULL);
	out->in_flight = ob->njobs;
	out->listener = listener_state(ob->ls, out->listener_text, sizeof out->listener_text);
	out->callbacks = ob->callbacks;
	str_copy(out->last_error, ob->last_error, sizeof out->last_error);
	out->offline = ob->offline;
	out->offline_since = ob->offline_since;
	str_copy(out->offline_reason, ob->offline_reason, sizeof out->offline_reason);
}

bool outbox_busy(const struct outbox *ob)
{
	return ob->njobs > 0;
}

void outbox_listener_health(const struct outbox *ob, struct listener_health *h)
{
	listener_health(ob ? ob->ls : NULL, h);
}

bool outbox_health_path(const char *journal_path, char *out, size_t n)
{
	int w = snprintf(out, n, "%s-listener", journal_path);
	return w > 0 && (size_t)w < n;
}

unsigned outbox_listener_port(const struct outbox *ob)
{
	return ob->ls ? listener_port(ob->ls) : 0;
}

const struct config_profile *outbox_profile(const struct outbox *ob)
{
	return &ob->p;
}

static bool token_shape_ok(const char *t)
{
	if (strlen(t) != LISTENER_TOKEN_LEN)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

kstatus outbox_token_load(const char *path, char out[LISTENER_TOKEN_LEN + 1], struct kerr *err)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		char buf[LISTENER_TOKEN_LEN + 2];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n >= LISTENER_TOKEN_LEN) {
			buf[LISTENER_TOKEN_LEN] = '\0';
			if (token_shape_ok(buf)) {
				str_copy(out, buf, LISTENER_TOKEN_LEN + 1);
				explicit_bzero(buf, sizeof buf);
				return K_OK;
			}
		}
		explicit_bzero(buf, sizeof buf);
	} else if (errno != ENOENT) {
		return kerr_set(err, K_IO, "token", _("cannot read %s: %s"), path, strerror(errno));
	}
	kstatus st = listener_new_token(out, err);
	if (st != K_OK)
		return st;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_set(err, K_IO, "token", _("cannot write %s: %s"), path,
				strerror(errno));
	bool ok = fchmod(fd, 0600) == 0 &&
		  write(fd, out, LISTENER_TOKEN_LEN) == LISTENER_TOKEN_LEN &&
		  write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	if (!ok)
		return kerr_set(err, K_IO, "token", _("cannot write %s: %s"), path,
				strerror(saved));
	return K_OK;
}

/*
 * The delivery engine (see outbox.h). Everything here runs from loop
 * callbacks: a periodic tick and an immediate "kick" run the sender, the
 * transport reports replies through on_*_done, the listener hands callbacks
 * to outbox_handle_callback. Every state change goes through the journal,
 * which commits it before we act on it or answer anybody. What a reply
 * means, and what goes on the wire, is the provider's (lib/provider.h).
 */
#include "outbox_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "relay_proto.h"
#include "util.h"

#define STALE_CHECK_S 60

void ob_log(struct outbox *ob, const char *fmt, ...)
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

void ob_notify(struct outbox *ob, int64_t id)
{
	if (ob->on_change)
		ob->on_change(ob->change_cls, id);
}

void ob_set_last_error(struct outbox *ob, const char *text)
{
	str_copy(ob->last_error, text, sizeof ob->last_error);
	ob_log(ob, "%s", text);
}

/*
 * Whether the provider can be reached: a request that found no host, no
 * connection or no answer in time marks the engine offline with the reason;
 * any HTTP reply (whatever its status) clears the mark.
 */
void ob_note_reach(struct outbox *ob, const struct net_result *res)
{
	switch (res->outcome) {
	case NET_OK:
		if (ob->offline)
			ob_log(ob, "the provider answers again");
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

long long ob_scaled_s(const struct outbox *ob, int64_t seconds)
{
	return (long long)seconds * ob->unit;
}

/* ---- the job list ---- */

struct job *ob_job_new(struct outbox *ob, enum job_kind kind, int64_t doc_id)
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

void ob_job_unlink(struct outbox *ob, struct job *jb)
{
	for (struct job **pp = &ob->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == jb) {
			*pp = jb->next;
			ob->njobs--;
			return;
		}
	}
}

bool ob_job_exists(const struct outbox *ob, enum job_kind kind, int64_t doc_id)
{
	for (const struct job *jb = ob->jobs; jb; jb = jb->next)
		if (jb->kind == kind && jb->doc_id == doc_id)
			return true;
	return false;
}

bool ob_job_send(struct outbox *ob, struct job *jb, struct provider_request *rq, net_done_cb done,
		 struct kerr *err)
{
	struct net_request nr;
	provider_request_net(rq, &nr);
	jb->nj = net_submit(ob->net, &nr, done, jb, err);
	provider_request_free(rq);
	if (!jb->nj)
		ob_job_unlink(ob, jb);
	return jb->nj != NULL;
}

bool ob_is_foreign(const struct outbox *ob, int64_t id)
{
	for (size_t i = 0; i < ob->nforeign; i++)
		if (ob->foreign[i] == id)
			return true;
	return false;
}

void ob_add_foreign(struct outbox *ob, int64_t id)
{
	ob->foreign = xrealloc(ob->foreign, (ob->nforeign + 1) * sizeof *ob->foreign);
	ob->foreign[ob->nforeign++] = id;
}

size_t ob_capacity(const struct outbox *ob)
{
	return ob->p.max_in_flight > 0 ? (size_t)ob->p.max_in_flight : 4;
}

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
	    now_ms() +
	    retry_delay_ms(ob->p.retry_schedule, ob->p.retry_count, jb->attempt) * ob->unit / 1000;
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
void ob_retry_later(struct outbox *ob, const struct job *jb, int http_status, int provider_code,
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
	const struct provider_ops *ops;
	int rows;
	bool unknown;
};

static bool on_attempt_row(const struct journal_attempt_row *row, void *cls)
{
	struct unanswered_ctx *c = cls;
	c->rows++;
	if (!c->ops->send.attempt_answered(row->http_status, row->provider_code, row->error))
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
	if (jb->attempt <= 1 || !ob->prov.ops->send.attempt_answered)
		return false;
	struct unanswered_ctx c = {.ops = ob->prov.ops};
	if (journal_attempts(ob->j, jb->doc_id, on_attempt_row, &c, NULL) != K_OK)
		return true;
	return c.unknown || c.rows < jb->attempt - 1;
}

#define UNANSWERED_DETAIL                                                                          \
	"an earlier attempt got no answer: the document may exist at the provider; check the "     \
	"cabinet before selling again"

void ob_rejected(struct outbox *ob, const struct job *jb, int code, const char *text, bool flag)
{
	struct outcome *oc = outcome_add(ob, jb, JO_REJECTED);
	oc->o.http_status = 200;
	oc->o.provider_code = code;
	oc->o.code = code;
	str_copy(oc->text, text, sizeof oc->text);
	if (flag && earlier_unanswered(ob, jb))
		oc->o.flag_detail = UNANSWERED_DETAIL;
}

void ob_accepted(struct outbox *ob, const struct job *jb, const char *uuid, const char *receipt_id)
{
	struct outcome *oc = outcome_add(ob, jb, JO_ACCEPTED);
	oc->o.http_status = 200;
	str_copy(oc->uuid, uuid ? uuid : "", sizeof oc->uuid);
	str_copy(oc->receipt_id, receipt_id ? receipt_id : "", sizeof oc->receipt_id);
	if (ob->prov.ops->caps & PROVIDER_CAP_POLLS)
		oc->o.poll_at = now_ms() + ob_scaled_s(ob, POLL_MIN_S);
}

/* Logs what the group commit did with one outcome. */
static void outcome_log(struct outbox *ob, const struct outcome *oc)
{
	const struct journal_outcome *o = &oc->o;
	int64_t id = o->id;
	if (o->st == K_PROVIDER) {
		ob_log(ob, "document #%" PRId64 ": %s; next try with the same ext_id", id,
		       o->err.text);
		return;
	}
	if (o->st != K_OK) {
		ob_log(ob, "document #%" PRId64 ": outcome not recorded: %s", id, o->err.text);
		return;
	}
	switch (o->kind) {
	case JO_ACCEPTED:
		ob_log(ob, "document #%" PRId64 ": accepted%s%s", id, oc->uuid[0] ? ", uuid " : "",
		       oc->uuid);
		break;
	case JO_REJECTED:
		ob_log(ob, "document #%" PRId64 ": rejected by the provider (code %d)%s", id,
		       o->code,
		       o->flag_detail ? "; flagged: an earlier attempt got no answer" : "");
		break;
	case JO_RETRY:
		ob_log(ob, "document #%" PRId64 ": %s; next try in %lld ms with the same ext_id",
		       id, oc->text, oc->delay);
		break;
	}
}

/* ---- sending ---- */

static void on_send_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	ob_note_reach(ob, res);
	ob_job_unlink(ob, jb);
	if (res->outcome != NET_OK) {
		char reason[384];
		snprintf(reason, sizeof reason, "%s%s%s", net_outcome_str(res->outcome),
			 res->error[0] ? ": " : "", res->error);
		ob_retry_later(ob, jb, 0, 0, false, reason);
	} else {
		struct provider_outcome pc;
		memset(&pc, 0, sizeof pc);
		ob->prov.ops->send.reply(&ob->prov, res, jb->attempt, jb->token_gen, &pc);
		switch (pc.verdict) {
		case PV_ACCEPTED:
			ob_accepted(ob, jb, pc.uuid, pc.receipt_id[0] ? pc.receipt_id : NULL);
			break;
		case PV_REJECTED:
			ob_rejected(ob, jb, pc.provider_code, pc.text, pc.flag_if_unanswered);
			break;
		case PV_SEARCH:
			ob_start_search(ob, jb, pc.text);
			break;
		default: /* PV_RETRY, PV_RETRY_NOW */
			ob_retry_later(ob, jb, pc.http_status, pc.provider_code,
				       pc.verdict == PV_RETRY_NOW, pc.text);
		}
	}
	ob_notify(ob, jb->doc_id);
	free(jb);
	ob_kick(ob);
}

/* The shift documents, which go alone (see pick_due). */
static bool is_barrier_kind(const char *kind)
{
	return strcmp(kind, doc_kind_wire(DOC_OPEN_SHIFT)) == 0 ||
	       strcmp(kind, doc_kind_wire(DOC_Z_REPORT)) == 0;
}

/* Sends a document the journal has just committed as sending; frees d's body. */
static void start_send(struct outbox *ob, struct journal_doc *dd)
{
	struct journal_doc d = *dd;
	int64_t id = d.id;
	struct kerr e = {0};
	struct job *jb = ob_job_new(ob, JOB_SEND, id);
	jb->attempt = d.attempts + 1;
	jb->barrier = is_barrier_kind(d.kind);
	str_copy(jb->ext_id, d.ext_id, sizeof jb->ext_id);
	jb->token_gen = ob->prov.token.gen;
	struct provider_request rq = {0};
	kstatus st = ob->prov.ops->send.request(&ob->prov, d.kind, d.body ? d.body : "", &rq, &e);
	journal_doc_free(&d);
	if (st != K_OK) {
		/* Our own stored body is unreadable: resending cannot help. */
		char text[400];
		snprintf(text, sizeof text, "kassa cannot read its stored request: %s", e.text);
		provider_request_free(&rq);
		ob_job_unlink(ob, jb);
		journal_apply_reply_rejected(ob->j, id, 0, text, NULL);
		ob_set_last_error(ob, text);
		free(jb);
		ob_notify(ob, id);
		return;
	}
	if (!ob_job_send(ob, jb, &rq, on_send_done, &e)) {
		ob_retry_later(ob, jb, 0, 0, false, e.text);
		free(jb);
	}
	ob_notify(ob, id);
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
		ob_set_last_error(ob, e.text);
		return 0;
	}
	qsort(ids, n, sizeof ids[0], cmp_id); /* the order they were made in */
	for (size_t i = 0; i < n && ob->njobs + np < cap; i++) {
		if (ob_is_foreign(ob, ids[i]))
			continue;
		if (ob_need_token(ob))
			break; /* the token is being fetched: the sends wait for it */
		struct journal_doc *d = &docs[np];
		if (journal_get(ob->j, ids[i], d, &e) != K_OK) {
			ob_log(ob, "document #%" PRId64 ": %s", ids[i], e.text);
			continue;
		}
		if (strcmp(d->profile, ob->p.name) != 0 || d->provider != ob->p.provider) {
			ob_add_foreign(ob, ids[i]);
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
	size_t cap = ob_capacity(ob);
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
		ob_set_last_error(ob, e.text);

	/* Committed (or not, then 500): only now may anyone hear 200. */
	for (size_t i = 0; i < ncb; i++) {
		char reply[400];
		reply[0] = '\0';
		int status = ob_callback_answer(ob, &items[i].cb, items[i].st, &items[i].res,
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
			ob_notify(ob, items[i].res.doc_id);
		free(cbs[i].body);
	}
	for (size_t i = 0; i < noc; i++)
		ob_notify(ob, ocs[i].o.id);
	free(items);
	free(cbs);
	free(list);
	free(ocs);
	if (noc)
		ob->pump_wanted = true; /* slots were freed, retries may be due now */
	if (want)
		ob_start_polls(ob);
}

static void on_prepare(struct loop *l, void *cls)
{
	(void)l;
	struct outbox *ob = cls;
	commit_iteration(ob, !ob->opt.receive_only);
}

void ob_kick(struct outbox *ob)
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
	ob_kick(ob);
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
		if (ob_job_exists(ob, JOB_SEND, c.ids[i]) ||
		    ob_job_exists(ob, JOB_RECOVER, c.ids[i]) || outcome_pending(ob, c.ids[i]))
			continue;
		if (journal_schedule_retry(
			ob->j, c.ids[i], now_ms(), JSRC_LOCAL,
			"no answer was recorded; sent again with the same ext_id", NULL) == K_OK) {
			ob_log(ob, "document #%" PRId64 ": left in sending, queued again",
			       c.ids[i]);
			ob_notify(ob, c.ids[i]);
			ob_kick(ob);
		}
	}
	free(c.ids);
}

static void on_stale(struct loop *l, void *cls)
{
	struct outbox *ob = cls;
	ob->stale_timer = loop_add_timer(l, ob_scaled_s(ob, STALE_CHECK_S), on_stale, ob);
	if (ob->opt.receive_only)
		return;
	requeue_orphans(ob);
	/* Documents stuck without a final status are the operator's business too. */
	if (ob->p.stale_after_s <= 0)
		return;
	int64_t n = 0;
	struct kerr e = {0};
	if (journal_flag_stale(ob->j, ob_scaled_s(ob, ob->p.stale_after_s), &n, &e) != K_OK) {
		ob_set_last_error(ob, e.text);
		return;
	}
	if (n > 0) {
		ob_log(ob,
		       "%" PRId64 " document(s) without a final status flagged for the operator",
		       n);
		ob_notify(ob, 0);
	}
}

/* ---- life cycle ---- */

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
	const struct provider_ops *ops = provider_get(p->provider);
	if (provider_check_profile(p, err) != K_OK)
		return NULL;
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
	ob->prov = (struct provider_ctx){.ops = ops, .p = &ob->p, .callback_url = ob->callback_url};
	struct net_options no = {.max_in_flight = (unsigned)ob_capacity(ob),
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
	} else if (!(opt && (opt->no_listener || opt->receive_only)) &&
		   ob_start_listener(ob, opt, err) != K_OK) {
		outbox_free(ob);
		return NULL;
	}
	if (resumed > 0)
		ob_log(ob, "%" PRId64 " document(s) left in sending by a stop are queued again",
		       resumed);
	loop_add_prepare(l, on_prepare, ob);
	ob->tick_timer = loop_add_timer(l, tick_ms(ob), on_tick, ob);
	ob->stale_timer = loop_add_timer(l, 0, on_stale, ob);
	ob_kick(ob);
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
	explicit_bzero(&ob->prov.token, sizeof ob->prov.token);
	explicit_bzero(ob->token, sizeof ob->token);
	explicit_bzero(ob->callback_url, sizeof ob->callback_url);
	explicit_bzero(&ob->p, sizeof ob->p);
	free(ob);
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
	ob->prov.token.retry_at = 0;
	ob_kick(ob);
}

kstatus outbox_replay(struct outbox *ob, int64_t id, struct kerr *err)
{
	kstatus st = journal_replay(ob->j, id, err);
	if (st == K_OK) {
		ob_notify(ob, id);
		ob_kick(ob);
	}
	return st;
}

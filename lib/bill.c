/*
 * The bill engine: a timer looks for bills with work due in the journal and
 * sends one request per bill at a time (create, status, cancellation) over
 * its own transport; replies are written to the journal before anything
 * else looks at them. A paid bill's receipt goes through the outbox with the
 * bill's ext_id, so journal_find() tells whether it was already queued.
 */
#include "bill.h"
#include "bill_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "journal_sql.h"
#include "journal_refund.h"
#include "net.h"
#include "provider.h"
#include "util.h"
#include "wire/invoice.h"
#include "wire/lifepay.h"

void bills_logf(struct bills *b, const char *fmt, ...)
{
	if (!b->o.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	b->o.log(b->o.log_cls, line);
}

void bills_changed(struct bills *b, int64_t id)
{
	if (b->o.on_change)
		b->o.on_change(b->o.change_cls, id);
}

static int64_t unit_ms(const struct bills *b)
{
	return b->o.time_unit_ms ? b->o.time_unit_ms : 1000;
}

void bills_base_url(const struct config_profile *p, char *out, size_t n)
{
	const char *sapi = strstr(p->base_url, "://sapi.life-pay.ru");
	if (p->bill_url[0])
		str_copy(out, p->bill_url, n);
	else if (sapi)
		snprintf(out, n, "%.*s://api.life-pay.ru", (int)(sapi - p->base_url), p->base_url);
	else
		str_copy(out, p->base_url, n);
}

struct bill_job *bills_job_of(struct bills *b, enum job_kind k, int64_t id)
{
	for (size_t i = 0; i < BILLS_MAX_FLIGHT; i++)
		if (b->jobs[i].used && b->jobs[i].id == id &&
		    (b->jobs[i].kind == JOB_REFUND) == (k == JOB_REFUND))
			return &b->jobs[i];
	return NULL;
}

struct bill_job *bills_job_new(struct bills *b, int64_t id, enum job_kind k)
{
	for (size_t i = 0; i < BILLS_MAX_FLIGHT; i++)
		if (!b->jobs[i].used) {
			struct bill_job *jb = &b->jobs[i];
			memset(jb, 0, sizeof *jb);
			jb->used = true;
			jb->b = b;
			jb->id = id;
			jb->kind = k;
			return jb;
		}
	return NULL;
}

size_t bills_in_flight(const struct bills *b)
{
	size_t n = 0;
	for (size_t i = 0; b && i < BILLS_MAX_FLIGHT; i++)
		n += b->jobs[i].used;
	return n;
}

/* ---- replies ---- */

/* True when the request surely never reached LIFE PAY (so sending again cannot double it). */
static bool never_arrived(const struct net_result *r)
{
	return r->outcome == NET_ERR_RESOLVE || r->outcome == NET_ERR_CONNECT ||
	       r->outcome == NET_ERR_TLS;
}

static void on_create_done(struct bills *b, struct bill_job *jb, const struct net_result *r)
{
	struct kerr e = {0};
	int64_t now = journal_clock_now(b->j);
	struct bill_reply br;
	kstatus st = K_INVALID;
	if (r->outcome == NET_OK && r->http_status == 200)
		st = wire_bill_parse_create(r->body, r->body_len, &br, &e);
	if (st == K_OK) {
		int64_t next = now + (int64_t)(br.interval_s ? br.interval_s : 5) * unit_ms(b);
		if (journal_bill_set_created(b->j, jb->id, &br, next, &e) != K_OK)
			bills_logf(b, "bill #%" PRId64 " created as %s but not journaled: %s",
				   jb->id, br.number, e.text);
		else
			bills_logf(b, "bill #%" PRId64 " created: number %s", jb->id, br.number);
	} else if (st == K_PROVIDER) {
		journal_bill_transition(b->j, jb->id, BILL_REFUSED, "create", e.text, NULL);
		bills_logf(b, "bill #%" PRId64 " refused: %s", jb->id, e.text);
	} else if (never_arrived(r) ||
		   (r->outcome == NET_OK && r->http_status >= 500 && r->http_status != 504)) {
		/*
		 * Not reached, or a server error answered before the bill was made
		 * (LIFE PAY's envelope on 5xx; docs/SANDBOX.md "Bills"): send again.
		 */
		char why[300];
		snprintf(why, sizeof why, "%s (HTTP %ld)",
			 r->outcome == NET_OK ? "server error" : net_outcome_str(r->outcome),
			 r->http_status);
		journal_bill_transition(b->j, jb->id, BILL_NEW, "create", why, NULL);
		journal_bill_set_poll(b->j, jb->id, now + BILLS_RETRY_MS, why, NULL);
	} else {
		/* Timeout, dropped connection, unreadable reply: a bill may exist. */
		char why[360];
		snprintf(why, sizeof why, "%s%s%s",
			 r->outcome == NET_OK ? _("unreadable reply") : net_outcome_str(r->outcome),
			 e.text[0] ? ": " : "", e.text);
		journal_bill_transition(b->j, jb->id, BILL_UNKNOWN, "create", why, NULL);
		bills_logf(b, "bill #%" PRId64 " fate unknown: %s", jb->id, why);
	}
}

static void on_status_done(struct bills *b, struct bill_job *jb, const struct net_result *r)
{
	struct kerr e = {0};
	struct journal_bill bl;
	if (journal_bill_get(b->j, jb->id, &bl, &e) != K_OK)
		return;
	int64_t now = journal_clock_now(b->j);
	int64_t next = now + (int64_t)(bl.interval_s ? bl.interval_s : 5) * unit_ms(b);
	enum bill_state s;
	char msg[256] = "";
	kstatus st = K_INVALID;
	if (r->outcome == NET_OK && r->http_status == 200)
		st = wire_bill_parse_status(r->body, r->body_len, jb->number, &s, msg, sizeof msg,
					    &e);
	if (st == K_OK) {
		journal_bill_transition(b->j, jb->id, s, "poll", msg, NULL);
		journal_tx_confirm(b->j, jb->id, s, NULL);
		/* Paid: its receipt is due now, not after another interval. */
		journal_bill_set_poll(b->j, jb->id, bill_state_final(s) ? 0 : next, "", NULL);
	} else {
		char why[360];
		snprintf(why, sizeof why, "%s",
			 r->outcome != NET_OK ? net_outcome_str(r->outcome)
			 : e.text[0]	      ? e.text
					      : "HTTP error");
		journal_bill_set_poll(b->j, jb->id, next, why, NULL);
	}
	journal_bill_free(&bl);
}

static void on_cancel_done(struct bills *b, struct bill_job *jb, const struct net_result *r)
{
	struct kerr e = {0};
	int code = 0;
	char msg[256] = "";
	kstatus st = K_INVALID;
	if (r->outcome == NET_OK && r->http_status == 200)
		st = wire_bill_parse_ack(r->body, r->body_len, &code, msg, sizeof msg, &e);
	if (st == K_OK) {
		journal_bill_transition(b->j, jb->id, BILL_CANCELLED, "cashier", msg, NULL);
	} else {
		/* Refused (paid meanwhile?) or not answered: asked again after a pause. */
		journal_bill_set_poll(b->j, jb->id, journal_clock_now(b->j) + BILLS_RETRY_MS,
				      e.text[0] ? e.text : "cancellation failed", NULL);
		bills_logf(b, "bill #%" PRId64 " cancellation: %s", jb->id,
			   e.text[0] ? e.text : net_outcome_str(r->outcome));
		if (st == K_PROVIDER) /* do not ask again: the cashier sees why */
			journal_bill_cancel_refused(b->j, jb->id, e.text, NULL);
	}
}

void bills_net_done(void *cls, const struct net_result *r)
{
	struct bill_job *jb = cls;
	struct bills *b = jb->b;
	jb->nj = NULL;
	if (jb->kind == JOB_REFUND) {
		bills_refund_done(b, jb, r);
		return;
	}
	if (jb->kind == JOB_CREATE)
		on_create_done(b, jb, r);
	else if (jb->kind == JOB_STATUS)
		on_status_done(b, jb, r);
	else
		on_cancel_done(b, jb, r);
	int64_t id = jb->id;
	jb->used = false;
	bills_changed(b, id);
}

/* ---- sending ---- */

static void send_create(struct bills *b, const struct journal_bill *bl)
{
	struct bill_job *jb = bills_job_new(b, bl->id, JOB_CREATE);
	if (!jb)
		return;
	struct kerr e = {0};
	/* Journal first: from here a crash leaves it "sending", i.e. unknown. */
	if (journal_bill_transition(b->j, bl->id, BILL_SENDING, "create", "", &e) != K_OK) {
		jb->used = false;
		bills_logf(b, "bill #%" PRId64 " not sent: %s", bl->id, e.text);
		return;
	}
	struct bill_request rq;
	memset(&rq, 0, sizeof rq);
	rq.amount = bl->amount;
	rq.method = bl->method;
	str_copy(rq.description, bl->description, sizeof rq.description);
	str_copy(rq.phone, bl->phone, sizeof rq.phone);
	str_copy(rq.email, bl->email, sizeof rq.email);
	const char *cb = b->ob ? outbox_callback_url(b->ob) : "";
	if (cb && cb[0])
		snprintf(rq.callback_url, sizeof rq.callback_url, "%s/lifepay-tx", cb);
	/* LIFE PAY prints from invoice_data: built from the basket and validated. */
	char *inv_text = NULL;
	if (bl->provider_prints) {
		struct document d;
		document_init(&d, DOC_RECEIPT);
		struct invoice inv;
		memset(&inv, 0, sizeof inv);
		if (wire_lifepay_parse_request(bl->receipt_body, strlen(bl->receipt_body),
					       DOC_RECEIPT, &d, NULL, &e) == K_OK &&
		    invoice_from_basket(&d.basket, &inv, &e) == K_OK &&
		    invoice_validate(&inv, &e) == K_OK &&
		    invoice_build(&inv, &inv_text, &e) == K_OK)
			rq.invoice_data = inv_text;
		else
			bills_logf(b, "bill #%" PRId64 ": invoice_data not built: %s", bl->id,
				   e.text);
		invoice_free(&inv);
		document_free(&d);
	}
	char *body = wire_bill_create_body(&rq, b->p.login, b->p.apikey);
	free(inv_text);
	char url[CONFIG_URL_MAX + 32];
	snprintf(url, sizeof url, "%s/v1/bill", b->base);
	jb->nj = net_post(b->net, url, NULL, body, strlen(body), NULL, bills_net_done, jb);
	explicit_bzero(body, strlen(body));
	free(body);
	if (!jb->nj) {
		jb->used = false;
		journal_bill_transition(b->j, bl->id, BILL_NEW, "create", "not sent", NULL);
	}
	bills_logf(b, "bill #%" PRId64 " sent to %s", bl->id, url);
}

static void send_poll(struct bills *b, const struct journal_bill *bl, bool cancel)
{
	struct bill_job *jb = bills_job_new(b, bl->id, cancel ? JOB_CANCEL : JOB_STATUS);
	if (!jb)
		return;
	str_copy(jb->number, bl->number, sizeof jb->number);
	char url[CONFIG_URL_MAX + 1024];
	if (cancel) {
		char *body = wire_bill_cancel_body(bl->number, b->p.login, b->p.apikey);
		snprintf(url, sizeof url, "%s/v1/bill/cancellation", b->base);
		jb->nj = net_post(b->net, url, NULL, body, strlen(body), NULL, bills_net_done, jb);
		explicit_bzero(body, strlen(body));
		free(body);
	} else {
		char *q = wire_bill_status_query(bl->number, b->p.login, b->p.apikey);
		snprintf(url, sizeof url, "%s/v1/bill/status?%s", b->base, q);
		explicit_bzero(q, strlen(q));
		free(q);
		jb->nj = net_get(b->net, url, NULL, NULL, NULL, bills_net_done, jb);
		explicit_bzero(url, sizeof url);
	}
	if (!jb->nj)
		jb->used = false;
}

/* The paid bill's receipt, once: found by its ext_id, else queued now. */
static void send_receipt(struct bills *b, const struct journal_bill *bl)
{
	struct kerr e = {0};
	struct journal_doc doc;
	if (journal_find(b->j, bl->ext_id, &doc, NULL) == K_OK) {
		int64_t did = doc.id;
		journal_doc_free(&doc);
		journal_bill_set_receipt(b->j, bl->id, did, NULL);
		bills_changed(b, bl->id);
		return;
	}
	if (!b->ob)
		return;
	struct document d;
	document_init(&d, DOC_RECEIPT);
	int64_t did = 0;
	kstatus st = wire_lifepay_parse_request(bl->receipt_body, strlen(bl->receipt_body),
						DOC_RECEIPT, &d, NULL, &e);
	if (st == K_OK) {
		str_copy(d.ext_id, bl->ext_id, sizeof d.ext_id);
		d.allow_large = true; /* the cashier confirmed it when the bill was made */
		st = outbox_submit(b->ob, &d, &did, &e);
	}
	document_free(&d);
	if (st == K_OK) {
		journal_bill_set_receipt(b->j, bl->id, did, NULL);
		bills_logf(b, "bill #%" PRId64 " paid: receipt #%" PRId64 " queued", bl->id, did);
	} else {
		char why[360];
		kerr_str(&e, why, sizeof why);
		journal_bill_set_poll(b->j, bl->id,
				      journal_clock_now(b->j) + BILLS_RECEIPT_RETRY_MS, why, NULL);
		bills_logf(b, "bill #%" PRId64 " paid but its receipt was not queued: %s", bl->id,
			   why);
	}
	bills_changed(b, bl->id);
}

static void run_due(struct bills *b)
{
	int64_t ids[64];
	size_t n = 0;
	if (journal_bill_due(b->j, journal_clock_now(b->j), ids, 64, &n, NULL) != K_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (bills_job_of(b, JOB_STATUS, ids[i]))
			continue;
		struct journal_bill bl;
		if (journal_bill_get(b->j, ids[i], &bl, NULL) != K_OK)
			continue;
		if (bl.state == BILL_NEW)
			send_create(b, &bl);
		else if (bl.state == BILL_SUCCESS)
			send_receipt(b, &bl);
		else if (bl.number[0])
			send_poll(b, &bl, bl.cancel_wanted && bl.state == BILL_INITIATED);
		journal_bill_free(&bl);
	}
	bills_refund_run_due(b);
}

static void on_tick(struct loop *l, void *cls)
{
	struct bills *b = cls;
	run_due(b);
	b->timer = loop_add_timer(l, b->o.tick_ms ? b->o.tick_ms : 1000, on_tick, b);
}

void bills_kick(struct bills *b)
{
	if (b)
		run_due(b);
}

struct bills *bills_new(struct loop *l, struct journal *j, struct outbox *ob,
			const struct config_profile *p, const struct bills_options *o,
			struct kerr *err)
{
	if (!provider_can(p->provider, PROVIDER_CAP_BILLS)) {
		kerr_set(err, K_INVALID, "provider",
			 _("bills are LIFE PAY's: profile \"%s\" is not a LIFE PAY profile"),
			 p->name);
		return NULL;
	}
	struct bills *b = xcalloc(1, sizeof *b);
	b->loop = l;
	b->j = j;
	b->ob = ob;
	b->p = *p;
	if (o)
		b->o = *o;
	bills_base_url(p, b->base, sizeof b->base);
	struct net_options no = {.max_in_flight = 4,
				 .total_timeout_ms = b->o.request_timeout_ms,
				 .ca_file = b->o.ca_file};
	b->net = net_new(l, &no);
	/* A crash between "sending" and the reply: the bill may exist at LIFE PAY. */
	int64_t ids[64];
	size_t n = 0;
	if (journal_bill_sending(j, ids, 64, &n, NULL) == K_OK)
		for (size_t i = 0; i < n; i++)
			journal_bill_transition(j, ids[i], BILL_UNKNOWN, "start",
						_("kassa stopped while the bill was being sent"),
						NULL);
	/* A refund left in sending goes again with its uuid: LIFE PAY does it once. */
	journal_bill_refund_reset_sending(j, NULL);
	b->timer = loop_add_timer(l, 0, on_tick, b);
	return b;
}

void bills_free(struct bills *b)
{
	if (!b)
		return;
	loop_cancel_timer(b->loop, b->timer);
	net_free(b->net);
	explicit_bzero(&b->p, sizeof b->p);
	free(b);
}

kstatus bills_create(struct bills *b, const struct document *src, struct bill_request *rq,
		     bool clear_open_basket, int64_t *id, struct kerr *err)
{
	if (src->kind != DOC_RECEIPT || src->type != RT_PAYMENT)
		return kerr_set(
		    err, K_INVALID, "type", "%s",
		    _("a bill is for a sale: only a payment receipt can be paid by link"));
	struct document d;
	document_copy(&d, src);
	memset(&d.pay, 0, sizeof d.pay);
	pay_amount_parse("#", &d.pay.card, "card_amount", NULL);
	if (!d.customer_phone[0] && rq->phone[0])
		str_copy(d.customer_phone, rq->phone, sizeof d.customer_phone);
	if (!d.customer_email[0] && rq->email[0])
		str_copy(d.customer_email, rq->email, sizeof d.customer_email);
	document_assign_ext_id(&d);
	kstatus st = document_validate(&d, err);
	if (st == K_OK)
		st = document_check_lifepay(&d, err);
	rq->amount = d.basket.total;
	if (st == K_OK)
		st = wire_bill_check(rq, err);
	if (st == K_OK && rq->method == BILL_METHOD_INTERNET && b->p.bill_provider_receipt) {
		struct invoice inv;
		memset(&inv, 0, sizeof inv);
		st = invoice_from_basket(&d.basket, &inv, err);
		if (st == K_OK)
			st = invoice_validate(&inv, err);
		invoice_free(&inv);
		if (st != K_OK)
			kerr_prefix(err, "invoice_data");
	}
	if (st != K_OK) {
		document_free(&d);
		return st;
	}
	struct journal_bill bl;
	memset(&bl, 0, sizeof bl);
	str_copy(bl.ext_id, d.ext_id, sizeof bl.ext_id);
	str_copy(bl.profile, b->p.name, sizeof bl.profile);
	bl.method = rq->method;
	str_copy(bl.phone, rq->phone, sizeof bl.phone);
	str_copy(bl.email, rq->email, sizeof bl.email);
	bl.amount = rq->amount;
	if (rq->description[0])
		snprintf(bl.description, sizeof bl.description, "%.400s [kassa:%s]",
			 rq->description, d.ext_id);
	else
		snprintf(bl.description, sizeof bl.description, "%.200s%s [kassa:%s]",
			 d.basket.n ? d.basket.lines[0].name : "", d.basket.n > 1 ? " ..." : "",
			 d.ext_id);
	bl.provider_prints = rq->method == BILL_METHOD_INTERNET && b->p.bill_provider_receipt;
	bl.receipt_body = wire_lifepay_request_text(&d, NULL);
	document_free(&d);
	if (!bl.receipt_body)
		return kerr_set(err, K_INVALID, "", "%s", _("the receipt could not be built"));
	st = journal_bill_insert(b->j, &bl, clear_open_basket, id, err);
	free(bl.receipt_body);
	if (st == K_OK) {
		bills_logf(b, "bill #%" PRId64 " journaled for ext_id %s", id ? *id : 0, bl.ext_id);
		run_due(b);
	}
	return st;
}

kstatus bills_cancel(struct bills *b, int64_t id, struct kerr *err)
{
	struct journal_bill bl;
	kstatus st = journal_bill_get(b->j, id, &bl, err);
	if (st != K_OK)
		return st;
	switch (bl.state) {
	case BILL_NEW:
		if (bills_job_of(b, JOB_STATUS, id))
			st = kerr_set(err, K_BUSY, "bill", "%s",
				      _("the bill is being sent: cancel it in a moment"));
		else
			st = journal_bill_transition(b->j, id, BILL_CANCELLED, "cashier",
						     _("cancelled before it was sent"), err);
		break;
	case BILL_INITIATED:
		st = journal_bill_want_cancel(b->j, id, err);
		if (st == K_OK)
			run_due(b);
		break;
	case BILL_SENDING:
	case BILL_UNKNOWN:
		st = kerr_set(err, K_REFUSED, "bill", "%s",
			      _("LIFE PAY has not named this bill yet, so it cannot be cancelled "
				"there: wait for its notification, then cancel"));
		break;
	default:
		st = kerr_set(err, K_REFUSED, "bill",
			      _("bill #%lld is %s: only a bill waiting for the buyer can be "
				"cancelled (a paid one is refunded)"),
			      (long long)id, bill_state_label(bl.state));
	}
	journal_bill_free(&bl);
	return st;
}

/*
 * Refunds of paid bills: LIFE PAY returns the money (/v1/transactions/refund)
 * and kassa sends the refund receipt (type refund, ref_uuid = the bill's
 * receipt). Journal first, then the request: the refund row and its uuid are
 * written before anything is sent; a refund whose answer was lost is sent
 * again with the same uuid, which LIFE PAY does not process twice. The
 * refund receipt's ext_id is "rf-" + that uuid, so journal_find() tells
 * whether it was queued already.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bill_int.h"
#include "i18n.h"
#include "journal_sql.h"
#include "journal_refund.h"
#include "money.h"
#include "util.h"
#include "wire/lifepay.h"

/* The sale receipt of a bill kassa printed: its uuid, else why not (field "bill"). */
static kstatus sale_uuid(struct journal *j, const struct journal_bill *bl, char *uuid, size_t n,
			 struct kerr *err)
{
	if (!bl->receipt_doc_id)
		return kerr_set(err, K_REFUSED, "bill",
				_("bill #%lld's receipt is not queued yet: refund once it is "
				  "processed (kassa bill status %lld)"),
				(long long)bl->id, (long long)bl->id);
	struct journal_doc d;
	kstatus st = journal_get(j, bl->receipt_doc_id, &d, err);
	if (st != K_OK)
		return st;
	if (d.state != JS_PROCESSED || !d.uuid[0])
		st = kerr_set(err, K_REFUSED, "bill",
			      _("bill #%lld's receipt #%lld is %s, not processed: the refund "
				"receipt must cite it, so refund once it is processed"),
			      (long long)bl->id, (long long)d.id, _(journal_state_label(d.state)));
	else
		str_copy(uuid, d.uuid, n);
	journal_doc_free(&d);
	return st;
}

/*
 * The refund receipt of r: the bill's basket as type refund citing the
 * sale; a partial refund is one line of its amount with the basket's VAT.
 */
static kstatus refund_doc(const struct journal_bill *bl, int64_t amount, struct document *d,
			  struct kerr *err)
{
	document_init(d, DOC_RECEIPT);
	kstatus st = wire_lifepay_parse_request(bl->receipt_body, strlen(bl->receipt_body),
						DOC_RECEIPT, d, NULL, err);
	if (st != K_OK)
		return st;
	d->type = RT_REFUND;
	memset(&d->pay, 0, sizeof d->pay);
	if ((st = basket_recalc(&d->basket, err)) != K_OK)
		return st;
	pay_amount_parse("#", &d->pay.card, "card_amount", NULL);
	if (amount >= d->basket.total || d->basket.n == 0)
		return K_OK;
	const struct basket_line *first = &d->basket.lines[0];
	for (size_t i = 1; i < d->basket.n; i++) {
		const struct basket_line *l = &d->basket.lines[i];
		if (l->vat_set != first->vat_set || (l->vat_set && l->vat != first->vat))
			return kerr_set(err, K_REFUSED, "amount", "%s",
					_("the bill's lines have different VAT rates: one refund "
					  "line cannot carry them; refund the whole bill"));
	}
	struct basket_line one;
	basket_line_init(&one);
	snprintf(one.name, sizeof one.name, _("Partial refund: %s"), first->name);
	one.price = amount;
	one.vat_set = first->vat_set;
	one.vat = first->vat;
	one.method = first->method;
	memset(&d->basket, 0, sizeof d->basket);
	d->basket.lines[0] = one;
	d->basket.n = 1;
	return basket_recalc(&d->basket, err);
}

kstatus bills_refund(struct bills *b, int64_t bill_id, int64_t amount, int64_t *refund_id,
		     struct kerr *err)
{
	struct journal_bill bl;
	kstatus st = journal_bill_get(b->j, bill_id, &bl, err);
	if (st != K_OK)
		return st;
	int64_t left = 0;
	char uuid[UUID_TEXT_MAX + 1];
	if (bl.state != BILL_SUCCESS)
		st = kerr_set(err, K_REFUSED, "bill",
			      _("bill #%lld is %s: only a paid bill can be refunded"),
			      (long long)bill_id, _(bill_state_label(bl.state)));
	if (st == K_OK && amount < 0)
		st = kerr_set(err, K_INVALID, "amount", "%s",
			      _("must be more than zero (or left out: all that is left)"));
	if (st == K_OK && !bl.provider_prints)
		st = sale_uuid(b->j, &bl, uuid, sizeof uuid, err);
	if (st == K_OK)
		st = journal_bill_refund_left(b->j, &bl, &left, NULL, err);
	if (st == K_OK && !bl.provider_prints && amount > 0 && amount < left) {
		struct document d;
		st = refund_doc(&bl, amount, &d, err);
		document_free(&d);
	}
	journal_bill_free(&bl);
	if (st == K_OK)
		st = journal_bill_refund_insert(b->j, bill_id, amount, refund_id, err);
	if (st == K_OK) {
		bills_logf(b, "bill #%" PRId64 ": refund #%" PRId64 " journaled", bill_id,
			   refund_id ? *refund_id : 0);
		bills_refund_run_due(b);
	}
	return st;
}

static void send_refund(struct bills *b, const struct journal_refund *r,
			const struct journal_bill *bl)
{
	struct bill_job *jb = bills_job_new(b, r->id, JOB_REFUND);
	if (!jb)
		return;
	/* Journal first: from here a crash sends it again with the same uuid. */
	if (journal_bill_refund_set(b->j, r->id, REFUND_SENDING, NULL, 0, "", NULL) != K_OK) {
		jb->used = false;
		return;
	}
	int64_t amount = r->amount < bl->amount ? r->amount : 0;
	char *body = wire_bill_refund_body(bl->number, r->uuid, amount, b->p.login, b->p.apikey);
	char url[CONFIG_URL_MAX + 32];
	snprintf(url, sizeof url, "%s/v1/transactions/refund", b->base);
	jb->nj = net_post(b->net, url, NULL, body, strlen(body), NULL, bills_net_done, jb);
	explicit_bzero(body, strlen(body));
	free(body);
	if (!jb->nj) {
		jb->used = false;
		journal_bill_refund_set(b->j, r->id, REFUND_NEW, NULL,
					journal_clock_now(b->j) + BILLS_RETRY_MS, "not sent", NULL);
	}
	bills_logf(b, "bill #%" PRId64 ": refund #%" PRId64 " sent", bl->id, r->id);
}

void bills_refund_done(struct bills *b, struct bill_job *jb, const struct net_result *r)
{
	struct kerr e = {0};
	int code = 0;
	char msg[256] = "", number[BILL_NUMBER_MAX] = "";
	kstatus st = K_INVALID;
	int64_t rid = jb->id;
	jb->used = false;
	if (r->outcome == NET_OK && r->http_status == 200)
		st = wire_bill_parse_ack(r->body, r->body_len, &code, msg, sizeof msg, &e);
	if (st == K_OK)
		wire_bill_parse_number(r->body, r->body_len, number, sizeof number);
	if (st == K_OK) {
		journal_bill_refund_set(b->j, rid, REFUND_DONE, number, 0, "", NULL);
		journal_bill_refund_confirm_tx(b->j, NULL);
	} else if (st == K_PROVIDER) {
		journal_bill_refund_set(b->j, rid, REFUND_REFUSED, NULL, 0, e.text, NULL);
	} else {
		/* Not answered: the same uuid again after a pause (LIFE PAY does it once). */
		char why[360];
		snprintf(why, sizeof why, "%s",
			 r->outcome != NET_OK ? net_outcome_str(r->outcome)
			 : e.text[0]	      ? e.text
					      : "HTTP error");
		journal_bill_refund_set(b->j, rid, REFUND_NEW, NULL,
					journal_clock_now(b->j) + BILLS_RETRY_MS, why, NULL);
	}
	struct journal_refund rf;
	if (journal_bill_refund_get(b->j, rid, &rf, NULL) == K_OK) {
		bills_logf(b, "refund #%" PRId64 ": %s %s", rid, refund_state_word(rf.state),
			   rf.last_error);
		bills_changed(b, rf.bill_id);
	}
}

/* The refund receipt, once: found by its ext_id, else queued now. */
static void send_refund_receipt(struct bills *b, const struct journal_refund *r,
				const struct journal_bill *bl)
{
	char ext[EXT_ID_MAX + 1];
	snprintf(ext, sizeof ext, "rf-%s", r->uuid);
	struct journal_doc doc;
	if (journal_find(b->j, ext, &doc, NULL) == K_OK) {
		journal_bill_refund_set_receipt(b->j, r->id, doc.id, NULL);
		journal_doc_free(&doc);
		bills_changed(b, bl->id);
		return;
	}
	if (!b->ob)
		return;
	struct kerr e = {0};
	char uuid[UUID_TEXT_MAX + 1] = "";
	struct document d;
	int64_t did = 0;
	kstatus st = sale_uuid(b->j, bl, uuid, sizeof uuid, &e);
	if (st == K_OK)
		st = refund_doc(bl, r->amount, &d, &e);
	else
		document_init(&d, DOC_RECEIPT);
	if (st == K_OK) {
		str_copy(d.ext_id, ext, sizeof d.ext_id);
		str_copy(d.ref_uuid, uuid, sizeof d.ref_uuid);
		d.allow_large = true;
		st = outbox_submit(b->ob, &d, &did, &e);
	}
	document_free(&d);
	if (st == K_OK) {
		journal_bill_refund_set_receipt(b->j, r->id, did, NULL);
	} else {
		char why[360];
		kerr_str(&e, why, sizeof why);
		journal_bill_refund_set(b->j, r->id, REFUND_DONE, NULL,
					journal_clock_now(b->j) + BILLS_RECEIPT_RETRY_MS, why,
					NULL);
		bills_logf(b, "refund #%" PRId64 ": receipt not queued: %s", r->id, why);
	}
	bills_changed(b, bl->id);
}

void bills_refund_run_due(struct bills *b)
{
	int64_t ids[32];
	size_t n = 0;
	if (journal_bill_refund_due(b->j, journal_clock_now(b->j), ids, 32, &n, NULL) != K_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (bills_job_of(b, JOB_REFUND, ids[i]))
			continue;
		struct journal_refund r;
		struct journal_bill bl;
		if (journal_bill_refund_get(b->j, ids[i], &r, NULL) != K_OK)
			continue;
		if (journal_bill_get(b->j, r.bill_id, &bl, NULL) != K_OK)
			continue;
		if (r.state == REFUND_NEW)
			send_refund(b, &r, &bl);
		else if (r.state == REFUND_DONE)
			send_refund_receipt(b, &r, &bl);
		journal_bill_free(&bl);
	}
}

#include "settle_journal.h"

#include <stdlib.h>
#include <string.h>

#include "journal_link.h"
#include "settle.h"
#include "util.h"
#include "wire/lifepay.h"

void settle_journal_fields(const struct document *d, struct journal_new_doc *nd, char **order_out)
{
	*order_out = NULL;
	if (d->settles) {
		nd->settles = d->settles;
		nd->prepayment = d->prepayment;
		return;
	}
	if (d->kind != DOC_RECEIPT || d->type != RT_PAYMENT || !settle_is_prepayment(d))
		return;
	struct document *o = xcalloc(1, sizeof *o);
	document_init(o, DOC_RECEIPT);
	/* FFD 1.2: the marked lines keep their codes (and item type) for the settlement. */
	o->ffd12 = d->ffd12;
	o->basket = d->order ? *d->order : d->basket;
	for (size_t i = 0; i < o->basket.n; i++) {
		struct basket_line *l = &o->basket.lines[i];
		if (!d->order && settle_method_is_prepay(l->method))
			l->method = 4;
	}
	if (basket_recalc(&o->basket, NULL) == K_OK) {
		*order_out = wire_lifepay_request_text(o, NULL);
		nd->order_body = *order_out;
		nd->order_total = o->basket.total;
		nd->contact = d->customer_email[0] ? d->customer_email : d->customer_phone;
	}
	document_free(o);
	free(o);
}

kstatus settle_from_journal(struct journal *j, int64_t prepaid_id, struct document *out,
			    struct kerr *err)
{
	document_init(out, DOC_RECEIPT);
	struct journal_prepaid o;
	kstatus st = journal_link_get(j, prepaid_id, &o, err);
	if (st != K_OK)
		return st;
	if ((st = journal_link_open_check(&o, err)) != K_OK) {
		journal_prepaid_free(&o);
		return st;
	}
	struct document *order = xcalloc(1, sizeof *order);
	struct journal_doc pre;
	memset(&pre, 0, sizeof pre);
	st = wire_lifepay_parse_request(o.order_body, strlen(o.order_body), DOC_RECEIPT, order,
					NULL, err);
	/* The buyer and the tax system are the prepayment receipt's. */
	struct document *first = xcalloc(1, sizeof *first);
	document_init(first, DOC_RECEIPT);
	if (st == K_OK && journal_get(j, prepaid_id, &pre, err) == K_OK && pre.body &&
	    wire_lifepay_parse_request(pre.body, strlen(pre.body), DOC_RECEIPT, first, NULL,
				       NULL) != K_OK)
		document_init(first, DOC_RECEIPT); /* a PayKeeper body: the order's contact */
	if (st == K_OK && !first->customer_email[0] && !first->customer_phone[0]) {
		if (strchr(o.contact, '@'))
			str_copy(first->customer_email, o.contact, sizeof first->customer_email);
		else
			str_copy(first->customer_phone, o.contact, sizeof first->customer_phone);
	}
	if (st == K_OK)
		st = settle_make_final(&order->basket, o.prepaid, first, out, err);
	if (st == K_OK)
		out->settles = prepaid_id;
	journal_doc_free(&pre);
	document_free(first);
	free(first);
	document_free(order);
	free(order);
	journal_prepaid_free(&o);
	return st;
}

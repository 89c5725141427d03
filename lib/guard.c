#include "guard.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "i18n.h"
#include "money.h"
#include "payment.h"
#include "util.h"

void refund_left_compute(int64_t paid_card, int64_t paid_cash, int64_t done_card, int64_t done_cash,
			 struct refund_left *out)
{
	out->paid_card = paid_card > 0 ? paid_card : 0;
	out->paid_cash = paid_cash > 0 ? paid_cash : 0;
	out->done_card = done_card > 0 ? done_card : 0;
	out->done_cash = done_cash > 0 ? done_cash : 0;
	out->card = out->paid_card - out->done_card;
	if (out->card < 0)
		out->card = 0;
	out->cash = out->paid_cash - out->done_cash;
	if (out->cash < 0)
		out->cash = 0;
}

void refund_default_split(const struct refund_left *l, int64_t total, int64_t *card, int64_t *cash)
{
	int64_t c;
	if (!l || !l->known) {
		c = total;
	} else if (l->card + l->cash <= 0) {
		c = 0;
	} else {
		/* 128 bits: total x card cannot overflow; half-up. */
		__int128 num = (__int128)total * l->card * 2 + (l->card + l->cash);
		c = (int64_t)(num / ((__int128)(l->card + l->cash) * 2));
	}
	if (l && l->known && c > l->card)
		c = l->card;
	if (c > total)
		c = total;
	if (c < 0)
		c = 0;
	*card = c;
	*cash = total - c;
}

struct earlier {
	const char *uuid;
	int64_t card, cash;
};

static bool on_refund(const struct journal_doc *d, void *ctx)
{
	struct earlier *e = ctx;
	/* What journal_refund_left() counts: refunds that may still stand. */
	if (strcmp(d->ref_uuid, e->uuid) != 0 || d->test || d->state == JS_REJECTED ||
	    d->state == JS_FAILED || d->state == JS_VALIDATED)
		return true;
	e->card += d->card;
	e->cash += d->cash - d->change;
	return true;
}

kstatus guard_refund_left(struct journal *j, const char *uuid, struct refund_left *out,
			  struct kerr *err)
{
	memset(out, 0, sizeof *out);
	if (!j || !uuid || !*uuid)
		return K_OK;
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr e2 = {0};
	kstatus st = journal_find(j, uuid, &d, &e2);
	if (st == K_NOTFOUND)
		return K_OK;
	if (st != K_OK) {
		if (err)
			*err = e2;
		return st;
	}
	struct earlier e = {.uuid = uuid};
	struct journal_filter f = {.kind = d.kind, .since = d.created_at};
	st = journal_list(j, &f, -1, 0, on_refund, &e, err);
	if (st == K_OK) {
		refund_left_compute(d.card, d.cash - d.change, e.card, e.cash, out);
		out->known = true;
	}
	journal_doc_free(&d);
	return st;
}

kstatus guard_refund_card(const struct refund_left *l, int64_t card, struct kerr *err)
{
	if (!l->known || card <= l->card)
		return K_OK;
	char a[32], left[32], paid[32], done[32];
	money_format_wire(card, a, sizeof a);
	money_format_wire(l->card, left, sizeof left);
	money_format_wire(l->paid_card, paid, sizeof paid);
	money_format_wire(l->done_card, done, sizeof done);
	if (l->paid_card == 0)
		return kerr_set(err, K_REFUSED, "card_amount",
				_("the original sale was paid in cash: a refund of %s goes back in "
				  "cash, not to a card"),
				a);
	return kerr_set(err, K_REFUSED, "card_amount",
			_("%s to the card is more than is left of the card payment: at most %s "
			  "goes back to the card (it paid %s, %s refunded already), the rest in "
			  "cash"),
			a, left, paid, done);
}

static kstatus above(struct kerr *err, const char *field, int64_t v, int64_t max, bool qty)
{
	char a[40], m[40];
	if (qty) {
		qty_format(v, a, sizeof a);
		qty_format(max, m, sizeof m);
		return kerr_set(err, K_REFUSED, field,
				_("%s is above the ceiling of %s for one line; check it, then "
				  "confirm it (or --allow-large)"),
				a, m);
	}
	money_format_wire(v, a, sizeof a);
	money_format_wire(max, m, sizeof m);
	return kerr_set(
	    err, K_REFUSED, field,
	    _("%s is above the profile's ceiling max_receipt %s; check it, then confirm "
	      "it (or --allow-large)"),
	    a, m);
}

kstatus guard_ceiling(const struct document *d, int64_t max, struct kerr *err)
{
	if (max <= 0)
		max = CONFIG_MAX_RECEIPT_DEFAULT;
	if (d->kind == DOC_CASH_IN || d->kind == DOC_CASH_OUT)
		return d->amount > max ? above(err, "amount", d->amount, max, false) : K_OK;
	if (!doc_kind_has_basket(d->kind))
		return K_OK;
	const struct basket *b = &d->basket;
	for (size_t i = 0; i < b->n; i++) {
		const struct basket_line *l = &b->lines[i];
		char field[64];
		if (l->price > max) {
			snprintf(field, sizeof field, _("line %zu: price"), i + 1);
			return above(err, field, l->price, max, false);
		}
		if (l->qty > GUARD_QTY_LARGE) {
			snprintf(field, sizeof field, _("line %zu: quantity"), i + 1);
			return above(err, field, l->qty, GUARD_QTY_LARGE, true);
		}
		if (l->sum > max) {
			snprintf(field, sizeof field, _("line %zu: sum"), i + 1);
			return above(err, field, l->sum, max, false);
		}
	}
	if (b->total > max)
		return above(err, "total", b->total, max, false);
	if (d->resolved.cash > max)
		return above(err, "cash_amount", d->resolved.cash, max, false);
	return K_OK;
}

kstatus guard_document(struct journal *j, const struct document *d, int64_t max_receipt,
		       struct kerr *err)
{
	kstatus st;
	if (doc_kind_has_basket(d->kind)) {
		for (size_t i = 0; i < d->basket.n; i++) {
			const struct basket_line *l = &d->basket.lines[i];
			if ((st = basket_check_qty(l->unit, l->qty, "quantity", err)) != K_OK) {
				char prefix[48];
				snprintf(prefix, sizeof prefix, "purchase.products[%zu]", i);
				kerr_prefix(err, prefix);
				return st;
			}
		}
		if (document_due(d) > 0 &&
		    (st = payment_rules(document_due(d), &d->resolved, err)) != K_OK)
			return st;
	}
	bool refund = d->type == RT_REFUND || d->type == RT_BUY_REFUND;
	if (doc_kind_has_basket(d->kind) && d->kind != DOC_CORRECTION && refund) {
		if (!d->ref_uuid[0] && !d->no_original)
			return kerr_set(
			    err, K_REFUSED, "ref_uuid", "%s",
			    _("a refund cites its original sale: F4 on the screen, or "
			      "ref_uuid in the file; a refund without an original needs "
			      "the explicit flow (F4 then F6 on the screen, --no-original in the "
			      "CLI)"));
		if (d->ref_uuid[0]) {
			struct refund_left l;
			if ((st = guard_refund_left(j, d->ref_uuid, &l, err)) != K_OK)
				return st;
			if ((st = guard_refund_card(&l, d->resolved.card, err)) != K_OK)
				return st;
		}
	}
	if (!d->allow_large)
		return guard_ceiling(d, max_receipt, err);
	return K_OK;
}

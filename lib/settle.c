#include "settle.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

#define SETTLE_METHOD(name, method, label) method,
static const int methods[] = {SETTLE_KIND_INFO(SETTLE_METHOD)};
#undef SETTLE_METHOD
#define SETTLE_LABEL(name, method, label) label,
static const char *const labels[] = {SETTLE_KIND_INFO(SETTLE_LABEL)};
#undef SETTLE_LABEL

int settle_kind_method(enum settle_kind k)
{
	return (unsigned)k < SETTLE_COUNT ? methods[k] : 4;
}

const char *settle_kind_label(enum settle_kind k)
{
	return (unsigned)k < SETTLE_COUNT ? labels[k] : "";
}

const char *settle_method_label(int method)
{
	for (int k = 0; k < SETTLE_COUNT; k++)
		if (methods[k] == method)
			return labels[k];
	return "";
}

bool settle_method_is_prepay(int method)
{
	return method >= 1 && method <= 3;
}

bool settle_is_prepayment(const struct document *d)
{
	if (!doc_kind_has_basket(d->kind))
		return false;
	for (size_t i = 0; i < d->basket.n; i++)
		if (settle_method_is_prepay(d->basket.lines[i].method))
			return true;
	return false;
}

kstatus settle_check(const struct document *d, struct kerr *err)
{
	if (!d->prepayment)
		return K_OK;
	if (d->kind != DOC_RECEIPT || d->type != RT_PAYMENT)
		return kerr_set(err, K_INVALID, "prepayment_amount", "%s",
				_("only a sale (type payment) offsets an advance; remove it"));
	for (size_t i = 0; i < d->basket.n; i++) {
		int m = d->basket.lines[i].method;
		if (m == 4)
			continue;
		char field[64];
		snprintf(field, sizeof field, "purchase.products[%zu].type", i);
		if (m == 0)
			return kerr_set(err, K_INVALID, field, "%s",
					_("must be 4 (full settlement) on a receipt that offsets "
					  "prepayment_amount; add \"type\": 4"));
		return kerr_set(err, K_INVALID, field,
				_("is %d, but a receipt that offsets prepayment_amount settles "
				  "in full: every line has type 4"),
				m);
	}
	if (document_due(d) == 0) {
		const struct pay_amount *a[2] = {&d->pay.card, &d->pay.cash};
		const char *names[2] = {"card_amount", "cash_amount"};
		for (int i = 0; i < 2; i++)
			if (a[i]->kind == PAY_AMOUNT && a[i]->kop > 0)
				return kerr_set(
				    err, K_INVALID, names[i], "%s",
				    _("nothing is due now: prepayment_amount covers the "
				      "total; remove it"));
	}
	return K_OK;
}

/* The calculated rate a prepayment carries (FFD: 20/120 where the goods are 20%). */
static enum vat calculated(enum vat v)
{
	switch (v) {
	case VAT_VAT5:
		return VAT_VAT105;
	case VAT_VAT7:
		return VAT_VAT107;
	case VAT_VAT10:
		return VAT_VAT110;
	case VAT_VAT20:
		return VAT_VAT120;
	case VAT_VAT22:
		return VAT_VAT122;
	case VAT_VAT18:
		return VAT_VAT118;
	default:
		return v;
	}
}

kstatus settle_make_prepayment(struct document *d, enum settle_kind k, int64_t now,
			       const char *name, struct basket *order, struct kerr *err)
{
	if ((unsigned)k >= SETTLE_COUNT)
		return kerr_set(err, K_INVALID, "type", "%s", _("unknown settlement kind"));
	if (order) {
		*order = d->basket;
		for (size_t i = 0; i < order->n; i++)
			order->lines[i].method = 4;
	}
	int method = settle_kind_method(k);
	if (k == SETTLE_FULL || k == SETTLE_PREPAY_FULL) {
		for (size_t i = 0; i < d->basket.n; i++) {
			struct basket_line *l = &d->basket.lines[i];
			l->method = method;
			if (k == SETTLE_PREPAY_FULL && l->vat_set)
				l->vat = calculated(l->vat);
		}
		return basket_recalc(&d->basket, err);
	}
	if (d->basket.n == 0)
		return kerr_set(err, K_INVALID, "purchase.products", "%s",
				_("is empty; add at least one product"));
	if (now <= 0 || now >= d->basket.total)
		return kerr_set(err, K_INVALID, "prepayment",
				_("the amount taken now must be more than zero and less than the "
				  "total %lld.%02lld (all of it is a full prepayment)"),
				(long long)(d->basket.total / 100),
				(long long)(d->basket.total % 100));
	const struct basket_line *first = &d->basket.lines[0];
	for (size_t i = 1; i < d->basket.n; i++) {
		const struct basket_line *l = &d->basket.lines[i];
		if (l->vat_set != first->vat_set || (l->vat_set && l->vat != first->vat))
			return kerr_set(
			    err, K_INVALID, "vat", "%s",
			    _("the lines have different VAT rates: one prepayment line "
			      "cannot carry them; take a full prepayment or split the order"));
	}
	struct basket_line one;
	basket_line_init(&one);
	str_copy(one.name, name && *name ? name : _("Prepayment"), sizeof one.name);
	one.price = now;
	one.vat_set = first->vat_set;
	one.vat = calculated(first->vat);
	one.method = method;
	memset(&d->basket, 0, sizeof d->basket);
	d->basket.lines[0] = one;
	d->basket.n = 1;
	return basket_recalc(&d->basket, err);
}

kstatus settle_make_final(const struct basket *order, int64_t prepaid,
			  const struct document *prepayment, struct document *out, struct kerr *err)
{
	document_init(out, DOC_RECEIPT);
	out->basket = *order;
	for (size_t i = 0; i < out->basket.n; i++)
		out->basket.lines[i].method = 4;
	kstatus st = basket_recalc(&out->basket, err);
	if (st != K_OK)
		return st;
	if (prepaid <= 0 || prepaid > out->basket.total)
		return kerr_set(err, K_INVALID, "prepayment_amount",
				_("the prepaid %lld.%02lld must be more than zero and at most the "
				  "order's total %lld.%02lld"),
				(long long)(prepaid / 100), (long long)(prepaid % 100),
				(long long)(out->basket.total / 100),
				(long long)(out->basket.total % 100));
	out->prepayment = prepaid;
	if (prepayment) {
		out->tax_system = prepayment->tax_system;
		str_copy(out->customer_email, prepayment->customer_email,
			 sizeof out->customer_email);
		str_copy(out->customer_phone, prepayment->customer_phone,
			 sizeof out->customer_phone);
		out->mode = prepayment->mode;
		out->test = prepayment->test;
	}
	return K_OK;
}

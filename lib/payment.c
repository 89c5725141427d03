#include "payment.h"

#include <string.h>

#include "i18n.h"
#include "money.h"

kstatus pay_amount_parse(const char *text, struct pay_amount *out, const char *field,
			 struct kerr *err)
{
	const char *p = text;
	while (*p == ' ')
		p++;
	size_t len = strlen(p);
	while (len && p[len - 1] == ' ')
		len--;
	if (len == 0) {
		out->kind = PAY_NONE;
		out->kop = 0;
		return K_OK;
	}
	if (len == 1 && p[0] == '#') {
		out->kind = PAY_REMAINDER;
		out->kop = 0;
		return K_OK;
	}
	int64_t v;
	kstatus st = money_parse(text, &v, field, err);
	if (st != K_OK)
		return st;
	out->kind = PAY_AMOUNT;
	out->kop = v;
	return K_OK;
}

static kstatus refuse(struct kerr *err, int code, const char *field, const char *text)
{
	kerr_set(err, K_REFUSED, field, "%s", text);
	if (err)
		err->code = code;
	return K_REFUSED;
}

kstatus payment_resolve(int64_t total, const struct payment *p, struct payment_result *r,
			struct kerr *err)
{
	if (p->card.kind == PAY_REMAINDER && p->cash.kind == PAY_REMAINDER)
		return refuse(err, PAYMENT_CODE_DATA, "card_amount",
			      _("only one of card and cash may be # (the remainder)"));
	int64_t card = p->card.kind == PAY_AMOUNT ? p->card.kop : 0;
	int64_t cash = p->cash.kind == PAY_AMOUNT ? p->cash.kop : 0;
	if (card < 0 || cash < 0)
		return refuse(err, PAYMENT_CODE_DATA, card < 0 ? "card_amount" : "cash_amount",
			      _("an amount cannot be negative"));
	if (p->card.kind == PAY_REMAINDER)
		card = total - cash > 0 ? total - cash : 0;
	else if (p->cash.kind == PAY_REMAINDER)
		cash = total - card > 0 ? total - card : 0;
	if (card > total) {
		char want[32];
		money_format_wire(total, want, sizeof want);
		kerr_set(
		    err, K_REFUSED, "card_amount",
		    _("card payment is more than the receipt total %s; only cash can give change"),
		    want);
		if (err)
			err->code = PAYMENT_CODE_NONCASH_OVER;
		return K_REFUSED;
	}
	int64_t paid;
	if (money_add(card, cash, &paid) != K_OK)
		return refuse(err, PAYMENT_CODE_DATA, "cash_amount", _("the amount is too large"));
	if (paid < total) {
		char short_by[32];
		money_format_wire(total - paid, short_by, sizeof short_by);
		kerr_set(err, K_REFUSED,
			 p->cash.kind == PAY_NONE && p->card.kind != PAY_NONE ? "card_amount"
									      : "cash_amount",
			 _("%s is still to pay: card and cash must cover the total"), short_by);
		if (err)
			err->code = PAYMENT_CODE_DATA;
		return K_REFUSED;
	}
	r->card = card;
	r->cash = cash;
	r->change = paid - total;
	return K_OK;
}

kstatus payment_rules(int64_t total, const struct payment_result *res, struct kerr *err)
{
	/* Cash handed over when the card pays everything would all come back as change. */
	if (res->cash > 0 && res->card >= total && total > 0)
		return refuse(err, 0, "cash_amount",
			      _("card already covers the total; cash would all be change: "
				"leave cash empty, or lower the card amount"));
	if (res->change > res->cash)
		return refuse(err, 0, "cash_amount",
			      _("the change would be more than the cash given"));
	return K_OK;
}

kstatus payment_check(int64_t total, const struct payment *p, struct payment_result *r,
		      struct kerr *err)
{
	struct payment_result res;
	kstatus st = payment_resolve(total, p, &res, err);
	if (st == K_OK)
		st = payment_rules(total, &res, err);
	if (st == K_OK && r)
		*r = res;
	return st;
}

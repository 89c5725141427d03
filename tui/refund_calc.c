#include "refund_calc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "money.h"
#include "provider.h"
#include "text.h"
#include "util.h"

kstatus refund_parse_original(enum kprovider provider, const char *body,
			      struct refund_original *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	basket_init(&out->basket);
	if (!body || !*body)
		return kerr_set(err, K_INVALID, "body", "%s",
				_("the journal holds no request for this document"));
	/* The provider reads its own stored body back; d->resolved holds what was paid how. */
	struct document *d = xcalloc(1, sizeof *d);
	kstatus st = provider_get(provider)->status.decode_stored(body, DOC_RECEIPT, d, err);
	if (st == K_OK) {
		out->basket = d->basket;
		out->type = d->type;
		out->tax = d->tax_system;
		out->card = d->resolved.card;
		out->cash = d->resolved.cash - d->resolved.change;
	}
	document_free(d);
	free(d);
	return st;
}

kstatus refund_build(const struct basket *orig, const int64_t *qty, struct basket *out,
		     struct kerr *err)
{
	basket_init(out);
	for (size_t i = 0; i < orig->n; i++) {
		const struct basket_line *o = &orig->lines[i];
		if (qty[i] == 0)
			continue;
		if (qty[i] < 0 || qty[i] > o->qty) {
			char sold[32];
			qty_format(o->qty, sold, sizeof sold);
			return kerr_set(err, K_INVALID, _("quantity"),
					_("line %zu: from 0 to %s (what was sold)"), i + 1, sold);
		}
		struct basket_line l = *o;
		l.qty = qty[i];
		int64_t disc = o->line_discount + o->receipt_share;
		if (qty[i] != o->qty && disc > 0) {
			/* In proportion to the quantity; 128 bits so the product cannot overflow.
			 */
			__int128 num = (__int128)disc * qty[i] * 2 + o->qty;
			disc = (int64_t)(num / ((__int128)o->qty * 2));
		}
		l.discount = disc > 0 ? (struct discount){DISCOUNT_AMOUNT, disc}
				      : (struct discount){DISCOUNT_NONE, 0};
		kstatus st = basket_add(out, &l, err);
		if (st != K_OK)
			return st;
	}
	if (out->n == 0)
		return kerr_set(err, K_INVALID, "", "%s",
				_("nothing to refund yet: choose lines or quantities"));
	return K_OK;
}

void refund_taken(const struct basket *orig, const struct basket *earlier, int64_t *done)
{
	for (size_t k = 0; k < earlier->n; k++) {
		const struct basket_line *r = &earlier->lines[k];
		size_t first = orig->n;
		size_t room = orig->n;
		for (size_t i = 0; i < orig->n; i++) {
			const struct basket_line *o = &orig->lines[i];
			if (o->price != r->price || strcmp(o->name, r->name) != 0)
				continue;
			if (first == orig->n)
				first = i;
			if (done[i] + r->qty <= o->qty) {
				room = i;
				break;
			}
		}
		size_t at = room < orig->n ? room : first;
		if (at < orig->n)
			done[at] += r->qty;
	}
}

bool refund_type_for(enum receipt_type original, enum receipt_type *refund)
{
	if (original == RT_PAYMENT)
		*refund = RT_REFUND;
	else if (original == RT_BUY)
		*refund = RT_BUY_REFUND;
	else
		return false;
	return true;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool refund_matches(const char *text, int64_t id, const char *ext_id, const char *uuid,
		    int64_t total, int64_t created_at_ms)
{
	char t[128];
	str_copy(t, text ? text : "", sizeof t);
	char *s = str_trim(t);
	if (!*s)
		return true;
	if ((ext_id && text_starts_with(ext_id, s)) || (uuid && *uuid && text_starts_with(uuid, s)))
		return true;
	const char *num = s[0] == '#' ? s + 1 : s;
	if (all_digits(num)) {
		char *end;
		long long v = strtoll(num, &end, 10);
		if (v == id)
			return true;
	}
	int64_t amount;
	if (strpbrk(s, ".,") && money_parse(s, &amount, "amount", NULL) == K_OK && amount == total)
		return true;
	if (all_digits(s) && money_parse(s, &amount, "amount", NULL) == K_OK && amount == total)
		return true;
	time_t tt = (time_t)(created_at_ms / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	char d1[16], d2[16];
	strftime(d1, sizeof d1, "%d.%m.%Y", &tm);
	strftime(d2, sizeof d2, "%Y-%m-%d", &tm);
	return strlen(s) >= 2 && (strncmp(d1, s, strlen(s)) == 0 || strncmp(d2, s, strlen(s)) == 0);
}

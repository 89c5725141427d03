#include "doc_search.h"

#include <stdio.h>
#include <string.h>

#include "document.h"
#include "i18n.h"
#include "money.h"
#include "text.h"
#include "util.h"

/*
 * "2 000,5" / "2,000.50" / "2000" -> "2000.5" / "2000.50" / "2000": group
 * separators (spaces, no-break spaces, commas before a point) dropped, the
 * decimal comma made a point. False when it is not an amount.
 */
static bool amount_text(const char *s, char *out, size_t n)
{
	bool has_point = strchr(s, '.') != NULL;
	size_t commas = 0, k = 0;
	for (const char *p = s; *p; p++)
		commas += *p == ',';
	bool digit = false, point = false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == ' ')
			continue;
		if (p[0] == 0xc2 && p[1] == 0xa0) { /* no-break space */
			p++;
			continue;
		}
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xaf) { /* narrow no-break space */
			p += 2;
			continue;
		}
		char c = (char)*p;
		if (c == ',' && (has_point || commas > 1))
			continue;
		if (c == ',' || c == '.') {
			if (point || !digit)
				return false;
			point = true;
			c = '.';
		} else if (c < '0' || c > '9') {
			return false;
		} else {
			digit = true;
		}
		if (k + 1 >= n)
			return false;
		out[k++] = c;
	}
	out[k] = '\0';
	return digit;
}

static bool amount_matches(const char *typed, int64_t total)
{
	char t[64], w[32];
	if (!amount_text(typed, t, sizeof t))
		return false;
	money_format_wire(total, w, sizeof w);
	const char *tp = strchr(t, '.'), *wp = strchr(w, '.');
	size_t tw = tp ? (size_t)(tp - t) : strlen(t), ww = wp ? (size_t)(wp - w) : strlen(w);
	/* Roubles exactly ("535" is not 5350.00), kopecks as far as typed ("535.8"). */
	if (tw != ww || strncmp(t, w, tw) != 0)
		return false;
	return !tp || (wp && strncmp(tp + 1, wp + 1, strlen(tp + 1)) == 0 &&
		       strlen(tp + 1) <= strlen(wp + 1));
}

/* Does the typed word begin one of the words in list (English and Russian)? */
static bool word_in(const char *typed, const char *const *list)
{
	for (; *list; list++)
		if (text_starts_with(*list, typed))
			return true;
	return false;
}

bool doc_search_matches(const char *text, const struct doc_search_row *r)
{
	char buf[128];
	str_copy(buf, text ? text : "", sizeof buf);
	char *s = str_trim(buf);
	if (!*s)
		return true;
	if (amount_matches(s, r->total))
		return true;
	if (text_width(s) < 3)
		return false; /* "c" would find everything */
	static const char *const cash_words[] = {"cash", "наличные", "наличными", "нал", NULL};
	static const char *const card_words[] = {"card",	"карта",  "картой",
						 "безналичные", "безнал", NULL};
	static const char *const refund_words[] = {"refund", "return", "возврат", NULL};
	static const char *const sale_words[] = {"sale", "payment", "продажа", "приход", NULL};
	enum doc_kind kind;
	bool known = doc_kind_parse(r->kind, &kind);
	enum receipt_type type;
	bool typed = r->type && *r->type && receipt_type_parse(r->type, &type);
	bool cash_doc = r->cash > 0 || (known && (kind == DOC_CASH_IN || kind == DOC_CASH_OUT));
	if (cash_doc && word_in(s, cash_words))
		return true;
	if (r->card > 0 && word_in(s, card_words))
		return true;
	if (typed && (type == RT_REFUND || type == RT_BUY_REFUND) && word_in(s, refund_words))
		return true;
	if (typed && type == RT_PAYMENT && word_in(s, sale_words))
		return true;
	/* The kind and type as the screen names them, in either language. */
	const char *names[5] = {NULL};
	size_t k = 0;
	if (known) {
		names[k++] = doc_kind_label(kind);
		names[k++] = _(doc_kind_label(kind));
	}
	if (typed) {
		names[k++] = receipt_type_label(type);
		names[k++] = _(receipt_type_label(type));
	}
	return word_in(s, names);
}

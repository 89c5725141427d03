#include "entry.h"

#include <string.h>

#include "i18n.h"
#include "money.h"
#include "text.h"
#include "util.h"

/* True for a bare number with a decimal separator ("0.455", "1,5"). */
static bool is_fraction(const char *s)
{
	bool sep = false, digit = false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if ((*s == '.' || *s == ',') && !sep)
			sep = true;
		else
			return false;
	}
	return sep && digit;
}

static kstatus parse_qty(const char *text, int64_t *qty, struct kerr *err)
{
	kstatus st = qty_parse(text, qty, _("quantity"), err);
	if (st != K_OK)
		return st;
	if (*qty <= 0)
		return kerr_set(err, K_INVALID, _("quantity"), "%s",
				_("must be above zero; to remove a line press F7"));
	return K_OK;
}

bool entry_is_code(const char *text)
{
	size_t n = 0;
	for (; *text; text++, n++)
		if (*text < '0' || *text > '9')
			return false;
	return n > 0 && n <= 64;
}

kstatus entry_parse(const char *text, struct entry *e, struct kerr *err)
{
	memset(e, 0, sizeof *e);
	char buf[LINE_NAME_MAX_BYTES + 64];
	if (!str_copy(buf, text ? text : "", sizeof buf))
		return kerr_set(err, K_INVALID, _("entry"), "%s",
				_("is too long; an item name has at most 128 characters"));
	char *s = str_trim(buf);
	if (!*s) {
		e->kind = ENTRY_EMPTY;
		return K_OK;
	}
	if (strcmp(s, "+") == 0) {
		e->kind = ENTRY_INC;
		return K_OK;
	}
	if (strcmp(s, "-") == 0) {
		e->kind = ENTRY_DEC;
		return K_OK;
	}
	if (s[0] == '*') {
		char *q = str_trim(s + 1);
		if (!*q)
			return kerr_set(err, K_INVALID, _("quantity"), "%s",
					_("is missing after '*'; type *3 for three"));
		kstatus st = parse_qty(q, &e->qty, err);
		if (st != K_OK)
			return st;
		e->kind = ENTRY_SET_QTY;
		e->qty_given = true;
		return K_OK;
	}
	char *star = strchr(s, '*');
	if (star) {
		*star = '\0';
		char *left = str_trim(s), *right = str_trim(star + 1);
		kstatus st = parse_qty(left, &e->qty, err);
		if (st != K_OK)
			return st;
		e->qty_given = true;
		if (!*right) {
			e->kind = ENTRY_PENDING_QTY;
			return K_OK;
		}
		s = right;
	} else if (is_fraction(s)) {
		kstatus st = parse_qty(s, &e->qty, err);
		if (st != K_OK)
			return st;
		e->qty_given = true;
		e->kind = ENTRY_PENDING_QTY;
		return K_OK;
	}
	kstatus st = basket_check_name(s, _("item"), err);
	if (st != K_OK)
		return st;
	if (strchr(s, '*'))
		return kerr_set(err, K_INVALID, _("entry"), "%s",
				_("has more than one '*'; write quantity*item, as in 3*1001"));
	str_copy(e->query, s, sizeof e->query);
	e->kind = ENTRY_ITEM;
	return K_OK;
}

kstatus entry_parse_discount(const char *text, struct discount *d, struct kerr *err)
{
	char buf[64];
	if (!str_copy(buf, text ? text : "", sizeof buf))
		return kerr_set(err, K_INVALID, _("discount"), "%s", _("is too long"));
	char *s = str_trim(buf);
	size_t len = strlen(s);
	if (len == 0)
		return kerr_set(err, K_INVALID, _("discount"), "%s",
				/* xgettext:no-c-format */
				_("is empty; type 10% for a percentage or 150 for an amount"));
	if (s[len - 1] == '%') {
		s[len - 1] = '\0';
		str_trim(s);
		int64_t v;
		kstatus st = percent_parse(s, &v, _("discount"), err);
		if (st != K_OK)
			return st;
		*d = (struct discount){v ? DISCOUNT_PERCENT : DISCOUNT_NONE, v};
		return K_OK;
	}
	int64_t v;
	kstatus st = money_parse(s, &v, _("discount"), err);
	if (st != K_OK)
		return st;
	*d = (struct discount){v ? DISCOUNT_AMOUNT : DISCOUNT_NONE, v};
	return K_OK;
}

const struct catalog_item *entry_lookup(const struct catalog_item *items, size_t n,
					const char *query, size_t *count)
{
	*count = 0;
	if (!query || !*query)
		return NULL;
	for (int level = 0; level < 4; level++) {
		const struct catalog_item *hit = NULL;
		size_t c = 0;
		for (size_t i = 0; i < n; i++) {
			const struct catalog_item *it = &items[i];
			bool m;
			switch (level) {
			case 0:
				m = strcmp(it->code, query) == 0;
				break;
			case 1:
				m = text_equal(it->name, query);
				break;
			case 2:
				m = text_starts_with(it->name, query);
				break;
			default:
				m = text_contains(it->name, query);
				break;
			}
			if (m) {
				if (!hit)
					hit = it;
				c++;
			}
		}
		if (c > 0) {
			*count = c;
			return c == 1 ? hit : NULL;
		}
		/* A code that matched nothing is not looked for in names. */
		if (level == 0 && entry_is_code(query))
			return NULL;
	}
	return NULL;
}

size_t entry_search(const struct catalog_item *items, size_t n, const char *query,
		    const struct catalog_item **out, size_t max)
{
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n && k < max; i++) {
			const struct catalog_item *it = &items[i];
			bool prefix = !query || !*query || text_starts_with(it->name, query) ||
				      strncmp(it->code, query, strlen(query)) == 0;
			bool inside = !prefix && text_contains(it->name, query);
			if ((pass == 0 && prefix) || (pass == 1 && inside))
				out[k++] = it;
		}
	return k;
}

#include "basket.h"

#include <string.h>

#include "i18n.h"
#include "money.h"
#include "util.h"

#define UNIT_WIRE(name, wire, label) wire,
#define UNIT_LABEL(name, wire, label) label,
static const char *const unit_wires[] = {UNIT_INFO(UNIT_WIRE)};
static const char *const unit_labels[] = {UNIT_INFO(UNIT_LABEL)};
#define VAT_WIRE(name, wire, label) wire,
#define VAT_LABEL(name, wire, label) label,
static const char *const vat_wires[] = {VAT_INFO(VAT_WIRE)};
static const char *const vat_labels[] = {VAT_INFO(VAT_LABEL)};

const char *unit_wire(enum unit u)
{
	return (unsigned)u < UNIT_COUNT ? unit_wires[u] : "piece";
}

const char *unit_label(enum unit u)
{
	return (unsigned)u < UNIT_COUNT ? _(unit_labels[u]) : "?";
}

bool unit_parse(const char *s, enum unit *u)
{
	for (int i = 0; i < UNIT_COUNT; i++)
		if (strcmp(s, unit_wires[i]) == 0) {
			*u = (enum unit)i;
			return true;
		}
	return false;
}

const char *vat_wire(enum vat v)
{
	return (unsigned)v < VAT_COUNT ? vat_wires[v] : "none";
}

const char *vat_label(enum vat v)
{
	return (unsigned)v < VAT_COUNT ? _(vat_labels[v]) : "?";
}

bool vat_parse(const char *s, enum vat *v)
{
	for (int i = 0; i < VAT_COUNT; i++)
		if (strcmp(s, vat_wires[i]) == 0) {
			*v = (enum vat)i;
			return true;
		}
	return false;
}

kstatus basket_check_name(const char *name, const char *field, struct kerr *err)
{
	size_t len = strlen(name);
	if (!utf8_valid(name, len))
		return kerr_set(err, K_INVALID, field, "%s", _("is not valid UTF-8 text"));
	bool blank = true;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return kerr_set(err, K_INVALID, field, "%s",
					_("contains a control character"));
		if (*p != ' ')
			blank = false;
	}
	uint32_t cp = utf8_find_control(name);
	if (cp)
		return kerr_set(err, K_INVALID, field,
				_("contains an invisible control or direction character (U+%04X) "
				  "that would change how the receipt reads; remove it"),
				(unsigned)cp);
	if (blank)
		return kerr_set(err, K_INVALID, field, "%s", _("is empty; enter the item's name"));
	size_t chars = utf8_chars(name);
	if (chars > LINE_NAME_MAX_CHARS)
		return kerr_set(err, K_INVALID, field,
				_("is %zu characters long; at most %d are allowed"), chars,
				LINE_NAME_MAX_CHARS);
	return K_OK;
}

static kstatus check_discount(struct discount d, const char *field, struct kerr *err)
{
	switch (d.type) {
	case DISCOUNT_NONE:
		return K_OK;
	case DISCOUNT_PERCENT:
		if (d.value < 0 || d.value > PERCENT_100)
			return kerr_set(err, K_INVALID, field, "%s",
					_("percent must be between 0 and 100"));
		return K_OK;
	case DISCOUNT_AMOUNT:
		if (d.value < 0 || d.value > MONEY_MAX)
			return kerr_set(err, K_INVALID, field, "%s",
					_("amount must be zero or more"));
		return K_OK;
	}
	return kerr_set(err, K_INVALID, field, "%s", _("type must be percent or amount"));
}

kstatus basket_check_line(const struct basket_line *l, struct kerr *err)
{
	kstatus st = basket_check_name(l->name, "name", err);
	if (st != K_OK)
		return st;
	if (l->price < 0 || l->price > MONEY_MAX)
		return kerr_set(err, K_INVALID, "price", "%s", _("must be zero or more"));
	if (l->qty <= 0)
		return kerr_set(err, K_INVALID, "quantity", "%s", _("must be more than zero"));
	if (l->qty > QTY_MAX)
		return kerr_set(err, K_OVERFLOW, "quantity", "%s", _("is too large"));
	if ((unsigned)l->unit >= UNIT_COUNT)
		return kerr_set(err, K_INVALID, "unit", "%s",
				_("must be one of piece, kg, g, l, ml, m2"));
	if ((unsigned)l->vat >= VAT_COUNT)
		return kerr_set(err, K_INVALID, "tax", "%s", _("is not a known VAT code"));
	if (l->method < 0 || l->method > 7)
		return kerr_set(err, K_INVALID, "type", "%s",
				_("payment method (tag 1214) must be 1..7"));
	if (l->object < 0 || l->object > 33)
		return kerr_set(err, K_INVALID, "item_type", "%s",
				_("payment object (tag 1212) must be 1..33"));
	return check_discount(l->discount, "discount", err);
}

kstatus basket_check_qty(enum unit u, int64_t qty, const char *field, struct kerr *err)
{
	if (u == UNIT_PIECE && qty % QTY_ONE != 0) {
		char q[32];
		qty_format(qty, q, sizeof q);
		return kerr_set(err, K_INVALID, field,
				_("%s: goods sold by the piece take whole numbers, such as 1 or 2"),
				q);
	}
	return K_OK;
}

void basket_line_init(struct basket_line *l)
{
	memset(l, 0, sizeof *l);
	l->qty = QTY_ONE;
	l->unit = UNIT_PIECE;
	l->vat = VAT_NONE;
}

void basket_init(struct basket *b)
{
	memset(b, 0, sizeof *b);
}

void basket_clear(struct basket *b)
{
	basket_init(b);
}

kstatus basket_recalc(struct basket *b, struct kerr *err)
{
	int64_t nets[BASKET_MAX_LINES], shares[BASKET_MAX_LINES];
	int64_t gross = 0, net_total = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct basket_line *l = &b->lines[i];
		if (money_mul_qty(l->price, l->qty, &l->gross) != K_OK)
			return kerr_set(err, K_OVERFLOW, "sum",
					_("line %zu: price x quantity is too large"), i + 1);
		switch (l->discount.type) {
		case DISCOUNT_NONE:
			l->line_discount = 0;
			break;
		case DISCOUNT_PERCENT:
			money_percent_of(l->gross, l->discount.value, &l->line_discount);
			break;
		case DISCOUNT_AMOUNT:
			l->line_discount = l->discount.value;
			break;
		}
		if (l->line_discount > l->gross)
			return kerr_set(err, K_INVALID, "discount",
					_("line %zu: the discount is larger than the line's sum"),
					i + 1);
		nets[i] = l->gross - l->line_discount;
		if (money_add(gross, l->gross, &gross) != K_OK ||
		    money_add(net_total, nets[i], &net_total) != K_OK)
			return kerr_set(err, K_OVERFLOW, "total", "%s",
					_("the receipt total is too large"));
	}
	int64_t receipt_disc = 0;
	if (b->receipt_discount.type == DISCOUNT_PERCENT)
		money_percent_of(net_total, b->receipt_discount.value, &receipt_disc);
	else if (b->receipt_discount.type == DISCOUNT_AMOUNT)
		receipt_disc = b->receipt_discount.value;
	if (receipt_disc > net_total)
		return kerr_set(err, K_INVALID, "discount", "%s",
				_("the receipt discount is larger than the receipt total"));
	if (b->n && money_spread(receipt_disc, nets, b->n, shares) != K_OK)
		return kerr_set(
		    err, K_INVALID, "discount", "%s",
		    _("the receipt discount cannot be spread over lines that sum to zero"));
	for (size_t i = 0; i < b->n; i++) {
		b->lines[i].receipt_share = shares[i];
		b->lines[i].sum = nets[i] - shares[i];
	}
	b->gross = gross;
	b->total = net_total - (b->n ? receipt_disc : 0);
	b->discount = gross - b->total;
	return K_OK;
}

kstatus basket_add(struct basket *b, const struct basket_line *line, struct kerr *err)
{
	if (b->n >= BASKET_MAX_LINES)
		return kerr_set(err, K_REFUSED, "", _("a receipt holds at most %d lines"),
				BASKET_MAX_LINES);
	kstatus st = basket_check_line(line, err);
	if (st != K_OK)
		return st;
	struct basket_line saved = b->lines[b->n];
	b->lines[b->n++] = *line;
	st = basket_recalc(b, err);
	if (st == K_OK)
		st = basket_check_qty(line->unit, line->qty, _("quantity"), err);
	if (st != K_OK) {
		b->lines[--b->n] = saved;
		basket_recalc(b, NULL);
	}
	return st;
}

static kstatus line_index(const struct basket *b, size_t i, struct kerr *err)
{
	if (i >= b->n)
		return kerr_set(err, K_NOTFOUND, "", _("there is no line %zu"), i + 1);
	return K_OK;
}

static kstatus change_line(struct basket *b, size_t i, const struct basket_line *nl,
			   struct kerr *err)
{
	kstatus st = line_index(b, i, err);
	if (st != K_OK)
		return st;
	st = basket_check_line(nl, err);
	if (st != K_OK)
		return st;
	struct basket_line old = b->lines[i];
	b->lines[i] = *nl;
	st = basket_recalc(b, err);
	if (st != K_OK) {
		b->lines[i] = old;
		basket_recalc(b, NULL);
	}
	return st;
}

kstatus basket_set_qty(struct basket *b, size_t i, int64_t qty, struct kerr *err)
{
	kstatus st = line_index(b, i, err);
	if (st != K_OK)
		return st;
	struct basket_line nl = b->lines[i];
	nl.qty = qty;
	if ((st = basket_check_qty(nl.unit, qty, _("quantity"), err)) != K_OK)
		return st;
	return change_line(b, i, &nl, err);
}

kstatus basket_set_price(struct basket *b, size_t i, int64_t price, struct kerr *err)
{
	kstatus st = line_index(b, i, err);
	if (st != K_OK)
		return st;
	struct basket_line nl = b->lines[i];
	nl.price = price;
	return change_line(b, i, &nl, err);
}

kstatus basket_set_discount(struct basket *b, size_t i, struct discount d, struct kerr *err)
{
	kstatus st = line_index(b, i, err);
	if (st != K_OK)
		return st;
	struct basket_line nl = b->lines[i];
	nl.discount = d;
	return change_line(b, i, &nl, err);
}

kstatus basket_set_receipt_discount(struct basket *b, struct discount d, struct kerr *err)
{
	kstatus st = check_discount(d, "discount", err);
	if (st != K_OK)
		return st;
	struct discount old = b->receipt_discount;
	b->receipt_discount = d;
	st = basket_recalc(b, err);
	if (st != K_OK) {
		b->receipt_discount = old;
		basket_recalc(b, NULL);
	}
	return st;
}

kstatus basket_remove(struct basket *b, size_t i, struct kerr *err)
{
	kstatus st = line_index(b, i, err);
	if (st != K_OK)
		return st;
	memmove(&b->lines[i], &b->lines[i + 1], (b->n - i - 1) * sizeof b->lines[0]);
	b->n--;
	if (basket_recalc(b, NULL) != K_OK) {
		/* a receipt amount discount may now exceed the total: drop it */
		b->receipt_discount.type = DISCOUNT_NONE;
		basket_recalc(b, NULL);
	}
	return K_OK;
}

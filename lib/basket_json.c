#include "basket_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "i18n.h"
#include "jsonx.h"
#include "util.h"

#define SNAPSHOT_VERSION 1

static const char *const discount_words[] = {"none", "percent", "amount"};

static json_t *discount_json(struct discount d)
{
	return json_pack("{s:s, s:I}", "type", discount_words[d.type], "value",
			 (json_int_t)d.value);
}

char *basket_snapshot_dump(const struct basket_snapshot *s)
{
	const struct basket *b = &s->basket;
	json_t *lines = json_array();
	for (size_t i = 0; i < b->n; i++) {
		const struct basket_line *l = &b->lines[i];
		json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:i, s:i, s:s, s:s}", "name", l->name,
				      "price", (json_int_t)l->price, "qty", (json_int_t)l->qty,
				      "unit", unit_wire(l->unit), "method", l->method, "object",
				      l->object, "code", l->code, "marking", l->marking);
		if (l->vat_set)
			json_object_set_new(o, "vat", json_string(vat_wire(l->vat)));
		if (l->discount.type != DISCOUNT_NONE)
			json_object_set_new(o, "discount", discount_json(l->discount));
		json_array_append_new(lines, o);
	}
	json_t *root = json_pack("{s:i, s:o}", "v", SNAPSHOT_VERSION, "lines", lines);
	if (b->receipt_discount.type != DISCOUNT_NONE)
		json_object_set_new(root, "receipt_discount", discount_json(b->receipt_discount));
	if (s->pay_open) {
		json_t *pay = json_pack("{s:s, s:s, s:s}", "kind", doc_kind_wire(s->pay_kind),
					"cash", s->cash, "card", s->card);
		if (s->settle || s->now[0]) { /* seed 002's prepayment, as chosen and typed */
			json_object_set_new(pay, "settle", json_integer(s->settle));
			json_object_set_new(pay, "now", json_string(s->now));
		}
		json_object_set_new(root, "pay", pay);
	}
	char *text = jsonx_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text ? text : xstrdup("{}");
}

static kstatus discount_load(json_t *o, struct discount *d, const char *field, struct kerr *err)
{
	const char *type = NULL;
	json_int_t value = 0;
	json_error_t je;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:I}", "type", &type, "value", &value))
		return kerr_set(err, K_INVALID, field, "%s", je.text);
	for (int t = 0; t < 3; t++)
		if (strcmp(type, discount_words[t]) == 0) {
			*d = (struct discount){(enum discount_type)t, (int64_t)value};
			return K_OK;
		}
	return kerr_set(err, K_INVALID, field, _("unknown discount type \"%s\""), type);
}

static kstatus line_load(json_t *o, size_t i, struct basket *b, struct kerr *err)
{
	char field[32];
	snprintf(field, sizeof field, "lines[%zu]", i);
	const char *name = NULL, *unit = NULL, *vat = NULL, *code = NULL, *marking = NULL;
	json_int_t price = 0, qty = 0;
	int method = 0, object = 0;
	json_t *disc = NULL;
	json_error_t je;
	if (json_unpack_ex(
		o, &je, JSON_STRICT, "{s:s, s:I, s:I, s:s, s:i, s:i, s:s, s:s, s?s, s?o}", "name",
		&name, "price", &price, "qty", &qty, "unit", &unit, "method", &method, "object",
		&object, "code", &code, "marking", &marking, "vat", &vat, "discount", &disc))
		return kerr_set(err, K_INVALID, field, "%s", je.text);
	struct basket_line l;
	basket_line_init(&l);
	if (!str_copy(l.name, name, sizeof l.name) || !str_copy(l.code, code, sizeof l.code) ||
	    !str_copy(l.marking, marking, sizeof l.marking))
		return kerr_set(err, K_INVALID, field, "%s", _("a text is too long"));
	l.price = (int64_t)price;
	l.qty = (int64_t)qty;
	l.method = method;
	l.object = object;
	if (!unit_parse(unit, &l.unit))
		return kerr_set(err, K_INVALID, field, _("unknown unit \"%s\""), unit);
	if (vat) {
		if (!vat_parse(vat, &l.vat))
			return kerr_set(err, K_INVALID, field, _("unknown VAT \"%s\""), vat);
		l.vat_set = true;
	}
	kstatus st = disc ? discount_load(disc, &l.discount, field, err) : K_OK;
	if (st == K_OK)
		st = basket_add(b, &l, err);
	return st;
}

kstatus basket_snapshot_load(const char *text, struct basket_snapshot *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	basket_init(&out->basket);
	json_t *root = jsonx_loads(text ? text : "", text ? strlen(text) : 0, err);
	if (!root)
		return K_INVALID;
	int v = 0;
	json_t *lines = NULL, *rd = NULL, *pay = NULL;
	json_error_t je;
	kstatus st = K_OK;
	if (json_unpack_ex(root, &je, JSON_STRICT, "{s:i, s:o, s?o, s?o}", "v", &v, "lines", &lines,
			   "receipt_discount", &rd, "pay", &pay) ||
	    !json_is_array(lines))
		st = kerr_set(err, K_INVALID, "basket", "%s",
			      json_is_array(lines) ? je.text : _("no lines"));
	else if (v != SNAPSHOT_VERSION)
		st = kerr_set(err, K_INVALID, "v", _("unknown basket version %d"), v);
	for (size_t i = 0; st == K_OK && i < json_array_size(lines); i++)
		st = line_load(json_array_get(lines, i), i, &out->basket, err);
	if (st == K_OK && rd) {
		struct discount d;
		st = discount_load(rd, &d, "receipt_discount", err);
		if (st == K_OK)
			st = basket_set_receipt_discount(&out->basket, d, err);
	}
	if (st == K_OK && pay) {
		const char *kind = NULL, *cash = NULL, *card = NULL, *now = "";
		int settle = 0;
		if (json_unpack_ex(pay, &je, JSON_STRICT, "{s:s, s:s, s:s, s?i, s?s}", "kind",
				   &kind, "cash", &cash, "card", &card, "settle", &settle, "now",
				   &now))
			st = kerr_set(err, K_INVALID, "pay", "%s", je.text);
		else if (settle < 0 || settle > 3 || !str_copy(out->now, now, sizeof out->now))
			st = kerr_set(err, K_INVALID, "pay.settle", "%s",
				      _("is not a settlement kassa knows"));
		else if (!doc_kind_parse(kind, &out->pay_kind) ||
			 !doc_kind_has_basket(out->pay_kind))
			st = kerr_set(err, K_INVALID, "pay", _("unknown document kind \"%s\""),
				      kind);
		else if (!str_copy(out->cash, cash, sizeof out->cash) ||
			 !str_copy(out->card, card, sizeof out->card))
			st = kerr_set(err, K_INVALID, "pay", "%s", _("a text is too long"));
		else {
			out->pay_open = true;
			out->settle = settle;
		}
	}
	json_decref(root);
	if (st != K_OK) {
		basket_init(&out->basket);
		out->pay_open = false;
	}
	return st;
}
